/* SPDX-License-Identifier: MIT */
/*
 * cmd_tlsrpt_intake.c - tlspolicy tlsrpt intake: store the TLSRPT reports
 * other senders send for our own domains, and summarise them.
 *
 *   intake [-]                 one report mail (or .json / .json.gz) on
 *                              stdin: a Postfix pipe(8) transport
 *   intake FILE...             files (mail, .json, .json.gz)
 *   intake --maildir DIR       every message in DIR/new (moved to DIR/cur
 *                              with the flag S when stored or already
 *                              stored; left in new/ on a database error)
 *   intake --summary [--days N]  per own domain, MX and result: sessions
 *                              and reporting organisations (last N days,
 *                              default 30)
 *
 * Only reports whose every policy-domain is one of the setting
 * tlsrpt_own_domains (or a subdomain) are stored when that list is set.
 * A report is stored once per (organization-name, report-id).
 *
 * Exit: 0 every input stored (or stored before); 1 an input was refused
 * (the reason names it; nothing of it stored) or the database failed; 2
 * usage.  Reading standard input (a Postfix pipe(8) transport) a database
 * failure exits 75 (EX_TEMPFAIL): Postfix keeps the mail and retries; a
 * refused report exits 1 and Postfix bounces it with the reason.
 */
#include "cli/cli.h"
#include "store/store.h"
#include "tlsrpt/db.h"
#include "tlsrpt/intake.h"
#include "util/config.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int own_domain(const char *list, const char *d)
{
	char *copy, *save = NULL;
	int ok = 0;

	if (list == NULL || *list == '\0')
		return 1;
	if ((copy = strdup(list)) == NULL)
		return 0;
	for (char *w = strtok_r(copy, " \t,", &save); w && !ok; w = strtok_r(NULL, " \t,", &save)) {
		size_t wl = strlen(w), dl = strlen(d);

		if (strcasecmp(w, d) == 0 ||
		    (dl > wl && d[dl - wl - 1] == '.' && strcasecmp(d + dl - wl, w) == 0))
			ok = 1;
	}
	free(copy);
	return ok;
}

/* Parses and stores one input.  1 stored, 0 stored before, -1 refused
 * (why), -2 database error (why). */
static int intake_one(struct store *st, const struct config *cfg, const char *data, size_t len,
		      struct tlsrpt_rx *rx, struct errbuf *why)
{
	int rc;

	if (tlsrpt_rx_parse(data, len, rx, why) < 0)
		return -1;
	for (size_t i = 0; i < rx->npolicies; i++)
		if (!own_domain(config_get(cfg, "tlsrpt_own_domains"), rx->policies[i].domain)) {
			errbuf_set(why, "policy-domain %.255s is not in tlsrpt_own_domains",
				   rx->policies[i].domain);
			tlsrpt_rx_free(rx);
			return -1;
		}
	rc = tlsrpt_db_add_received(st, rx, (long long)time(NULL), why);
	if (rc < 0) {
		tlsrpt_rx_free(rx);
		return -2;
	}
	return rc;
}

static void print_result(const char *name, int rc, const struct tlsrpt_rx *rx,
			 const struct errbuf *why)
{
	if (rc == 1 || rc == 0) {
		unsigned long long ok = 0, failed = 0;

		for (size_t i = 0; i < rx->npolicies; i++)
			ok += rx->policies[i].ok, failed += rx->policies[i].failed;
		printf("%s: %s report %s from %s: %zu policies, %llu successful, %llu failed "
		       "sessions\n", name, rc ? "stored" : "already stored", rx->report_id,
		       rx->organization, rx->npolicies, ok, failed);
	} else {
		cli_error("tlsrpt intake", "%s: %s%s", name, why->msg,
			  rc == -1 ? " (nothing stored)" : "");
	}
}

/* One input from fp (util/file's reader: at most TLSRPT_INTAKE_MAX). */
static int do_stream(struct store *st, const struct config *cfg, const char *name, FILE *fp)
{
	struct errbuf why = { 0 };
	struct tlsrpt_rx rx;
	char *data = NULL;
	size_t len = 0;
	int rc, err = 0;
	enum file_status fs;

	memset(&rx, 0, sizeof(rx));
	if ((fs = file_read_stream(fp, TLSRPT_INTAKE_MAX, &data, &len, &err)) != FILE_OK) {
		file_read_why(fs, name, TLSRPT_INTAKE_MAX, err, &why);
		cli_error("tlsrpt intake", "%s (nothing stored)", why.msg);
		return -1;
	}
	rc = intake_one(st, cfg, data, len, &rx, &why);
	print_result(name, rc, &rx, &why);
	tlsrpt_rx_free(&rx);
	free(data);
	return rc;
}

static int do_path(struct store *st, const struct config *cfg, const char *path)
{
	FILE *fp = fopen(path, "rb");
	int rc;

	if (fp == NULL) {
		cli_error("tlsrpt intake", "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = do_stream(st, cfg, path, fp);
	fclose(fp);
	return rc;
}

static int do_maildir(struct store *st, const struct config *cfg, const char *dir)
{
	char path[4096], dest[4096];
	DIR *d;
	struct dirent *de;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/new", dir);
	if ((d = opendir(path)) == NULL) {
		cli_error("tlsrpt intake", "%s: %s (a Maildir has new/ and cur/)", path,
			  strerror(errno));
		return EXIT_FAIL;
	}
	while ((de = readdir(d)) != NULL) {
		int rc;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/new/%s", dir, de->d_name);
		rc = do_path(st, cfg, path);
		if (rc == -2) {
			bad++;
			continue; /* database: leave it in new/ for the next run */
		}
		if (rc == -1)
			bad++;
		/* seen: stored, stored before, or refused (kept, flagged) */
		snprintf(dest, sizeof(dest), "%s/cur/%s:2,%s", dir, de->d_name, rc >= 0 ? "S" : "F");
		if (rename(path, dest) < 0) {
			cli_error("tlsrpt intake", "rename %s: %s", path, strerror(errno));
			bad++;
		}
	}
	closedir(d);
	return bad ? EXIT_FAIL : EXIT_OK;
}

static int summary_row(void *arg, char *const *c, int n)
{
	struct cli *cli = arg;

	(void)n;
	if (cli->json) {
		printf("{\"domain\":");
		json_fput_str(stdout, c[0], JSON_LATIN1);
		printf(",\"mx\":");
		json_fput_str(stdout, c[1], JSON_LATIN1);
		printf(",\"result\":");
		json_fput_str(stdout, c[2], JSON_LATIN1);
		printf(",\"sessions\":%s,\"organizations\":%s}\n", c[3], c[4]);
	} else {
		printf("%-30s  %-36s  %-26s  %10s  %5s\n", c[0], c[1][0] ? c[1] : "-", c[2], c[3],
		       c[4]);
	}
	return 0;
}

int cmd_tlsrpt_intake(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "maildir", required_argument, NULL, 'm' },
		{ "summary", no_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *maildir = NULL;
	int opt, summary = 0, rc = EXIT_OK;
	long days = 30;
	struct config *cfg;
	struct store *st;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'm':
			maildir = optarg;
			break;
		case 's':
			summary = 1;
			break;
		case 'd':
			days = strtol(optarg, NULL, 10);
			if (days <= 0 || days > 3650)
				return cli_error("tlsrpt intake", "--days 1..3650"), EXIT_USAGE;
			break;
		case 'h':
			printf("usage: tlspolicy tlsrpt intake [- | FILE... | --maildir DIR]\n"
			       "       tlspolicy tlsrpt intake --summary [--days N] [--json]\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	cfg = cli_config(cli);
	if ((st = cli_store_open(cli, "tlsrpt intake", STORE_OPEN_EXISTING | CLI_STORE_WRITE)) == NULL)
		return EXIT_FAIL;
	if (summary) {
		struct errbuf why = { 0 };

		if (!cli->json)
			printf("%-30s  %-36s  %-26s  %10s  %5s\n", "DOMAIN", "MX", "RESULT",
			       "SESSIONS", "ORGS");
		if (tlsrpt_db_received_summary(st, (long long)time(NULL) - days * 86400,
					       summary_row, cli, &why) < 0) {
			cli_error("tlsrpt intake", "%s", why.msg);
			rc = EXIT_FAIL;
		}
	} else if (maildir) {
		rc = do_maildir(st, cfg, maildir);
	} else if (optind >= argc || (argc - optind == 1 && strcmp(argv[optind], "-") == 0)) {
		int r = do_stream(st, cfg, "stdin", stdin);

		rc = r >= 0 ? EXIT_OK : r == -2 ? 75 /* EX_TEMPFAIL: retried */ : EXIT_FAIL;
	} else {
		for (int i = optind; i < argc; i++)
			if (do_path(st, cfg, argv[i]) < 0)
				rc = EXIT_FAIL;
	}
	store_close(st);
	return rc;
}
