/* SPDX-License-Identifier: MIT */
/*
 * cmd_bypass.c - `tlspolicy bypass`: the admin's emergency weakening of
 * one domain for a limited time (table tlspolicy_bypass, store_bypass.h).
 *
 *   bypass DOMAIN [--for TIME] [--level LEVEL] [--reason TEXT]
 *   bypass list [--json]
 *   bypass delete DOMAIN
 *
 * The daemon reads the table with every reload (reload_interval,
 * SIGHUP) and answers LEVEL for DOMAIN, above every other source, until
 * the row expires by its own clock.
 */
#include "cli/cli.h"
#include "policy/policy.h"
#include "store/store.h"
#include "store/store_bypass.h"
#include "util/config.h"
#include "util/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BYPASS_DEFAULT_FOR "2h"
#define BYPASS_MAX_FOR (30u * 86400u)   /* an emergency, not a policy */

static void usage(FILE *out)
{
	fputs("usage: tlspolicy bypass DOMAIN [--for TIME] [--level LEVEL] [--reason TEXT]\n"
	      "       tlspolicy bypass list [--json]\n"
	      "       tlspolicy bypass delete DOMAIN\n"
	      "\n"
	      "An emergency: the daemon answers LEVEL (default may) for DOMAIN until\n"
	      "the bypass expires (--for, a Postfix time: 30m, 2h, 1d; default "
	      BYPASS_DEFAULT_FOR ",\n"
	      "at most 30d), above every table row and discovered policy.  The daemon\n"
	      "sees it at its next table reload (reload_interval, or systemctl reload)\n"
	      "and logs when it takes effect and when it expires; tlspolicy check\n"
	      "warns about the domain meanwhile.  Kept in the table tlspolicy_bypass\n"
	      "(created by tlspolicy db init).\n", out);
}

static void fmt_time(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct list_ctx {
	long long now;
	size_t n;
	int json;
	struct store_bypass_row *rows;
};

static int collect(const struct store_bypass_row *r, void *arg)
{
	struct list_ctx *lc = arg;
	struct store_bypass_row *nr = realloc(lc->rows, (lc->n + 1) * sizeof(*nr));

	if (nr == NULL)
		return -1;
	lc->rows = nr;
	nr[lc->n].domain = strdup(r->domain);
	nr[lc->n].level = strdup(r->level);
	nr[lc->n].reason = strdup(r->reason);
	nr[lc->n].created = r->created;
	nr[lc->n].expires = r->expires;
	if (!nr[lc->n].domain || !nr[lc->n].level || !nr[lc->n].reason)
		return -1;
	lc->n++;
	return 0;
}

static void free_rows(struct list_ctx *lc)
{
	for (size_t i = 0; i < lc->n; i++) {
		free((char *)lc->rows[i].domain);
		free((char *)lc->rows[i].level);
		free((char *)lc->rows[i].reason);
	}
	free(lc->rows);
}

static void print_list(struct list_ctx *lc)
{
	size_t wd = strlen("DOMAIN"), wl = strlen("LEVEL");
	char exp[32];

	if (lc->json) {
		printf("[");
		for (size_t i = 0; i < lc->n; i++) {
			const struct store_bypass_row *r = &lc->rows[i];

			fmt_time(r->expires, exp, sizeof(exp));
			printf("%s\n  {\"domain\": ", i ? "," : "");
			json_fput_str(stdout, r->domain, 0);
			printf(", \"level\": ");
			json_fput_str(stdout, r->level, 0);
			printf(", \"expires\": \"%s\", \"expires_unix\": %lld, \"active\": %s, "
			       "\"created_unix\": %lld, \"reason\": ", exp, r->expires,
			       r->expires > lc->now ? "true" : "false", r->created);
			json_fput_str(stdout, r->reason, 0);
			printf("}");
		}
		printf("%s]\n", lc->n ? "\n" : "");
		return;
	}
	if (lc->n == 0) {
		printf("no bypasses\n");
		return;
	}
	for (size_t i = 0; i < lc->n; i++) {
		if (strlen(lc->rows[i].domain) > wd)
			wd = strlen(lc->rows[i].domain);
		if (strlen(lc->rows[i].level) > wl)
			wl = strlen(lc->rows[i].level);
	}
	printf("%-*s  %-*s  %-20s  %-9s  %s\n", (int)wd, "DOMAIN", (int)wl, "LEVEL",
	       "EXPIRES", "LEFT", "REASON");
	for (size_t i = 0; i < lc->n; i++) {
		const struct store_bypass_row *r = &lc->rows[i];
		char left[64];
		long long s = r->expires - lc->now;

		fmt_time(r->expires, exp, sizeof(exp));
		if (s <= 0)
			snprintf(left, sizeof(left), "expired");
		else if (s < 3600)
			snprintf(left, sizeof(left), "%lldm%llds", s / 60, s % 60);
		else
			snprintf(left, sizeof(left), "%lldh%lldm", s / 3600, s % 3600 / 60);
		if (r->reason[0])
			printf("%-*s  %-*s  %-20s  %-9s  %s\n", (int)wd, r->domain, (int)wl,
			       r->level, exp, left, r->reason);
		else   /* no trailing blanks */
			printf("%-*s  %-*s  %-20s  %s\n", (int)wd, r->domain, (int)wl,
			       r->level, exp, left);
	}
}

static int bypass_list(struct cli *cli)
{
	struct list_ctx lc;
	struct store *st;
	struct errbuf why;
	int rc;

	errbuf_clear(&why);
	memset(&lc, 0, sizeof(lc));
	lc.now = (long long)time(NULL);
	lc.json = cli->json;
	if ((st = cli_store_open(cli, "bypass", STORE_OPEN_EXISTING)) == NULL)
		return EXIT_FAIL;
	rc = store_bypass_list(st, collect, &lc, &why);
	store_close(st);
	if (rc != 0) {
		free_rows(&lc);
		cli_error("bypass", "%s", why.msg[0] ? why.msg : "out of memory");
		return EXIT_FAIL;
	}
	print_list(&lc);
	free_rows(&lc);
	return EXIT_OK;
}

static int bypass_delete(struct cli *cli, const char *domain)
{
	char key[POLICY_KEY_MAX];
	struct store *st;
	struct errbuf why;
	int rc;

	errbuf_clear(&why);
	if (policy_key_normalize(domain, key, sizeof(key), NULL, &why) < 0) {
		cli_error("bypass", "%s", why.msg);
		return EXIT_USAGE;
	}
	if ((st = cli_store_open(cli, "bypass",
				 STORE_OPEN_EXISTING | CLI_STORE_WRITE)) == NULL)
		return EXIT_FAIL;
	rc = store_bypass_delete(st, key, &why);
	store_close(st);
	if (rc < 0) {
		cli_error("bypass", "%s", why.msg);
		return EXIT_FAIL;
	}
	if (rc == 0) {
		cli_error("bypass", "no bypass for %s", key);
		return EXIT_FAIL;
	}
	printf("%s: bypass deleted (the daemon answers as before from its next reload)\n", key);
	return EXIT_OK;
}

int cmd_bypass(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "for", required_argument, NULL, 'f' },
		{ "level", required_argument, NULL, 'l' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dur = BYPASS_DEFAULT_FOR, *level = "may", *reason = "";
	char key[POLICY_KEY_MAX];
	enum policy_key_kind kind;
	enum policy_level lv;
	struct store *st;
	struct errbuf why;
	unsigned secs;
	int opt, code, rc;

	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, usage, &code)) !=
	       CLI_OPT_END) {
		if (opt == CLI_OPT_EXIT)
			return code;
		switch (opt) {
		case 'f': dur = optarg; break;
		case 'l': level = optarg; break;
		case 'r': reason = optarg; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	errbuf_clear(&why);
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "list") == 0) {
		if (optind + 1 != argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return bypass_list(cli);
	}
	if (strcmp(argv[optind], "delete") == 0) {
		if (optind + 2 != argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return bypass_delete(cli, argv[optind + 1]);
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (policy_key_normalize(argv[optind], key, sizeof(key), &kind, &why) < 0) {
		cli_error("bypass", "%s", why.msg);
		return EXIT_USAGE;
	}
	if (kind != POLICY_KEY_DOMAIN) {
		cli_error("bypass", "%s: a bypass is for a domain (not a .parent, [host] or _default key)",
			  key);
		return EXIT_USAGE;
	}
	if (config_parse_time(dur, &secs) < 0 || secs == 0 || secs > BYPASS_MAX_FOR) {
		cli_error("bypass", "--for %s: expected a time from 1s to 30d (e.g. 30m, 2h)", dur);
		return EXIT_USAGE;
	}
	if (policy_level_parse(level, &lv, &why) < 0) {
		cli_error("bypass", "--level %s: %s", level, why.msg);
		return EXIT_USAGE;
	}
	if (lv == POLICY_FINGERPRINT) {
		/* without match= Postfix takes main.cf's (empty) list: defers */
		cli_error("bypass", "--level fingerprint needs match=: use tlspolicy policy set");
		return EXIT_USAGE;
	}
	{
		long long now = (long long)time(NULL);
		struct store_bypass_row row = { key, policy_level_name(lv), reason, now,
						now + (long long)secs };
		char exp[32];

		if ((st = cli_store_open(cli, "bypass",
					 STORE_OPEN_EXISTING | CLI_STORE_WRITE)) == NULL)
			return EXIT_FAIL;
		rc = store_bypass_put(st, &row, &why);
		store_close(st);
		if (rc < 0) {
			cli_error("bypass", "%s", why.msg);
			return EXIT_FAIL;
		}
		fmt_time(row.expires, exp, sizeof(exp));
		printf("%s: bypass set: the daemon answers %s until %s (from its next table reload)\n",
		       key, row.level, exp);
	}
	return EXIT_OK;
}
