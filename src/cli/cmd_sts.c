/* SPDX-License-Identifier: MIT */
/*
 * cmd_sts.c - tlspolicy sts refresh|show|flush: the MTA-STS policy
 * cache.
 *
 *   refresh DOMAIN...  discovers each domain's policy now, through the
 *                      daemon's code path (sts_cache on the DNS context
 *                      and libcurl: TXT record, HTTPS fetch, parse,
 *                      Postfix answer), prints it and saves what was
 *                      fetched in the database's tlspolicy_sts table;
 *   show [DOMAIN...]   prints the cached policies of the database (all,
 *                      or the domains given) with the answer they give
 *                      under the current settings;
 *   flush [DOMAIN...]  deletes them from the database (all, or the
 *                      domains given).
 * The daemon loads the table when it starts; a running daemon keeps the
 * policies it has in memory, and reads a domain's row before it would
 * fetch (a domain it has not cached, a new TXT id: sts_store.h
 * "Sharing"), so a policy `refresh` saved is used without a fetch.
 * refresh itself always fetches (no sharing).
 *
 * Output per domain (text):
 *   DOMAIN
 *     id        TXT id of the policy
 *     mode      enforce | testing | none
 *     max_age   seconds
 *     mx        one line per mx field
 *     fetched   UTC time (show: and the age)
 *     expires   UTC time (show: "expired" when past)
 *     answer    the Postfix policy, or "(none: reason)"
 *   refresh without a policy: "none REASON" or "error REASON".
 * --json: one object per domain.
 *
 * Exit: 0 when every domain gave (refresh) or has (show, flush) a
 * policy; 1 when any has none, failed, or is invalid, or the database
 * failed; 2 usage.
 */
#include "cli/cli.h"
#include "util/json.h"
#include "dns/dns.h"
#include "util/worker.h"
#include "dns/rr.h"
#include "mtasts/sts.h"
#include "mtasts/sts_store.h"
#include "store/store.h"
#include "store/store_sts.h"
#include "util/config.h"
#include "util/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#define STS_CLI_MAX_DOMAINS 1000
#define STS_CLI_LABEL 10

static void sts_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy sts refresh [--json] [-v] DOMAIN...\n"
		"       tlspolicy sts show [--json] [DOMAIN...]\n"
		"       tlspolicy sts flush [DOMAIN...]\n"
		"\n"
		"The MTA-STS policy cache (table tlspolicy_sts of the database).\n"
		"  refresh  discover each DOMAIN's policy now (TXT record at\n"
		"           _mta-sts.DOMAIN, https://mta-sts.DOMAIN/.well-known/mta-sts.txt)\n"
		"           the way the daemon does, print it and the Postfix answer\n"
		"           it gives, and save it in the cache\n"
		"  show     print the cached policies (all, or the DOMAINs)\n"
		"  flush    delete cached policies (all, or the DOMAINs)\n"
		"A running daemon loads the cache when it starts.  Settings: database,\n"
		"dns_*, https_ca_file, https_timeout, sts_testing, sts_servername,\n"
		"postfix_compatibility.\n"
		"Exit 0 when every domain has a policy, 1 otherwise.\n");
}

static const char *utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

/* What is printed about one domain. */
struct sts_view {
	const char *domain;
	const char *status;         /* "policy", "none", "failed" */
	const struct sts_policy *pol;  /* NULL: no policy */
	const char *id;
	time_t fetched, expires;
	const char *answer;         /* NULL: not applicable / none */
	const char *reason;
	int show_age;               /* show: age and "expired" */
};

static void print_view(const struct cli *cli, const struct sts_view *v)
{
	const struct sts_policy *pol = v->pol;
	time_t now = time(NULL);
	char t1[32], t2[32];

	if (cli->json) {
		printf("{\"domain\":");
		json_fput_str(stdout, v->domain, JSON_LATIN1);
		printf(",\"status\":\"%s\"", v->status);
		if (pol) {
			printf(",\"id\":");
			json_fput_str(stdout, v->id, JSON_LATIN1);
			printf(",\"mode\":\"%s\",\"max_age\":%lu,\"mx\":[",
			       sts_mode_name(pol->mode), pol->max_age);
			for (size_t i = 0; i < pol->nmx; i++) {
				printf("%s", i ? "," : "");
				json_fput_str(stdout, pol->mx[i], JSON_LATIN1);
			}
			printf("],\"fetched\":%lld,\"expires\":%lld",
			       (long long)v->fetched, (long long)v->expires);
			if (v->show_age)
				printf(",\"age\":%lld,\"expired\":%s",
				       (long long)(now - v->fetched),
				       now >= v->expires ? "true" : "false");
		}
		printf(",\"answer\":");
		if (v->answer)
			json_fput_str(stdout, v->answer, JSON_LATIN1);
		else
			printf("null");
		printf(",\"reason\":");
		json_fput_str(stdout, v->reason ? v->reason : "", JSON_LATIN1);
		printf("}\n");
		return;
	}
	printf("%s\n", v->domain);
	if (pol == NULL) {
		printf("  %-*s%s\n", STS_CLI_LABEL, strcmp(v->status, "none") == 0
		       ? "none" : "error", v->reason ? v->reason : "");
		return;
	}
	printf("  %-*s%s\n", STS_CLI_LABEL, "id", v->id);
	printf("  %-*s%s\n", STS_CLI_LABEL, "mode", sts_mode_name(pol->mode));
	printf("  %-*s%lu\n", STS_CLI_LABEL, "max_age", pol->max_age);
	for (size_t i = 0; i < pol->nmx; i++)
		printf("  %-*s%s\n", STS_CLI_LABEL, "mx", pol->mx[i]);
	if (v->show_age)
		printf("  %-*s%s (%llds ago)\n", STS_CLI_LABEL, "fetched",
		       utc(v->fetched, t1, sizeof(t1)), (long long)(now - v->fetched));
	else
		printf("  %-*s%s\n", STS_CLI_LABEL, "fetched", utc(v->fetched, t1, sizeof(t1)));
	printf("  %-*s%s%s\n", STS_CLI_LABEL, "expires", utc(v->expires, t2, sizeof(t2)),
	       v->show_age && now >= v->expires ? " (expired)" : "");
	if (v->answer)
		printf("  %-*s%s\n", STS_CLI_LABEL, "answer", v->answer);
	else
		printf("  %-*s(none: %s)\n", STS_CLI_LABEL, "answer", v->reason);
}

/* Normalises the domain arguments; returns -1 when one is invalid. */
static int normalize_args(int argc, char **argv, char (*out)[STS_DOMAIN_MAX + 1])
{
	struct errbuf why;
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		errbuf_clear(&why);
		if (rr_domain_normalize(argv[i], out[i], STS_DOMAIN_MAX + 1, &why) < 0) {
			cli_error("sts", "%s", why.msg);
			out[i][0] = '\0';
			rc = -1;
		}
	}
	return rc;
}

static const char *db_url_of(struct cli *cli, const struct config *cfg)
{
	return cli->db_url ? cli->db_url : config_get(cfg, "database");
}

/* ---- refresh ----------------------------------------------------------- */

struct sts_item {
	char *domain;
	int done;
	enum source_verdict verdict;
	char *text;
	char reason[STS_REASON_MAX * 2];
	struct sts_cli *run;
	/* the cached record as it was when the answer came (a max_age 0
	 * policy is gone from the cache at the next tick) */
	struct sts_policy *pol;
	char id[STS_TXT_ID_MAX + 1];
	time_t fetched, expires;
};

struct sts_cli {
	struct event_base *base;
	struct sts *sts;
	size_t pending;
};

static int find_cb(const struct sts_record *r, void *arg)
{
	struct sts_item *it = arg;
	struct errbuf why;

	if (strcmp(r->domain, it->domain) != 0 || r->policy_text[0] == '\0')
		return 0;
	snprintf(it->id, sizeof(it->id), "%s", r->id);
	it->fetched = r->fetched;
	it->expires = r->expires;
	if (sts_policy_parse(r->policy_text, strlen(r->policy_text), &it->pol,
			     &why) < 0)
		it->pol = NULL;
	return 1;
}

static void done_cb(void *arg, const struct source_result *res)
{
	struct sts_item *it = arg;

	it->done = 1;
	it->verdict = res->verdict;
	if (res->policy_text)
		it->text = strdup(res->policy_text);
	snprintf(it->reason, sizeof(it->reason), "%s", res->reason ? res->reason : "");
	sts_cache_walk(sts_cache_of(it->run->sts), find_cb, it);
	if (--it->run->pending == 0)
		event_base_loopbreak(it->run->base);
}

static int sts_refresh(struct cli *cli, int argc, char **argv)
{
	struct config *cfg = cli_config(cli);
	char (*names)[STS_DOMAIN_MAX + 1];
	struct sts_cli run = { 0 };
	struct sts_item *items;
	struct sts *sts = NULL;
	struct dns *dns = NULL;
	struct worker *wk = NULL;
	struct errbuf why;
	size_t n = (size_t)argc;
	int rc = EXIT_OK;

	if ((items = calloc(n, sizeof(*items))) == NULL
	    || (names = calloc(n, sizeof(*names))) == NULL) {
		free(items);
		cli_error("sts", "out of memory");
		return EXIT_FAIL;
	}
	if (normalize_args(argc, argv, names) < 0)
		rc = EXIT_FAIL;
	errbuf_clear(&why);
	if ((run.base = event_base_new()) == NULL
	    || (dns = dns_new(run.base, cfg, &why)) == NULL
	    || (wk = worker_new(run.base, "sts", STS_STORE_QUEUE_MAX, &why)) == NULL
	    || sts_service_new(run.base, cfg, dns, wk, db_url_of(cli, cfg),
			       STS_PERSIST_SAVE, &sts, &why) < 0) {
		cli_error("sts", "%s", why.msg[0] ? why.msg : "cannot create an event loop");
		rc = EXIT_FAIL;
		goto out;
	}
	run.sts = sts;
	for (size_t i = 0; i < n; i++) {
		items[i].run = &run;
		items[i].domain = names[i];
		if (names[i][0] == '\0')
			continue;
		run.pending++;
		sts_cache_lookup(sts_cache_of(sts), names[i], done_cb, &items[i]);
	}
	if (run.pending > 0)
		event_base_dispatch(run.base);
	for (size_t i = 0; i < n; i++) {
		struct sts_item *it = &items[i];
		struct sts_view v = { 0 };

		if (names[i][0] == '\0')
			continue;
		if (!it->done) {
			cli_error("sts", "%s: no result", it->domain);
			rc = EXIT_FAIL;
			continue;
		}
		if (i > 0 && !cli->json)
			putchar('\n');
		v.domain = it->domain;
		v.reason = it->reason;
		if (it->pol != NULL && (it->verdict == SOURCE_APPLIES ||
					it->verdict == SOURCE_NOT_APPLICABLE)) {
			v.status = "policy";
			v.pol = it->pol;
			v.id = it->id;
			v.fetched = it->fetched;
			v.expires = it->expires;
			v.answer = it->verdict == SOURCE_APPLIES ? it->text : NULL;
		} else {
			v.status = it->verdict == SOURCE_NOT_APPLICABLE ? "none" : "failed";
			rc = EXIT_FAIL;
		}
		print_view(cli, &v);
	}
out:
	sts_free(sts); /* writes what was fetched */
	worker_free(wk);
	dns_free(dns);
	if (run.base)
		event_base_free(run.base);
	for (size_t i = 0; i < n; i++) {
		free(items[i].text);
		sts_policy_free(items[i].pol);
	}
	free(items);
	free(names);
	return rc;
}

/* ---- show and flush ------------------------------------------------------ */

struct list_arg {
	const struct cli *cli;
	struct sts_answer_opts opts;
	char (*names)[STS_DOMAIN_MAX + 1];
	int *found;
	size_t n, shown;
	int bad;            /* a row that does not parse */
	struct store *st;   /* flush of everything: delete what is listed */
	char **all;
	size_t nall, capall;
};

/* Index of domain among the names, -1 when not asked for; with no
 * names every domain is asked for. */
static long wanted(const struct list_arg *la, const char *domain)
{
	if (la->n == 0)
		return 0;
	for (size_t i = 0; i < la->n; i++)
		if (strcasecmp(la->names[i], domain) == 0)
			return (long)i;
	return -1;
}

static int show_row(const struct store_sts_row *row, void *arg)
{
	struct list_arg *la = arg;
	struct sts_policy *pol = NULL;
	struct sts_view v = { 0 };
	struct errbuf why;
	char *text = NULL;
	long k = wanted(la, row->domain);

	if (k < 0)
		return 0;
	if (la->n)
		la->found[k] = 1;
	if (la->shown++ > 0 && !la->cli->json)
		putchar('\n');
	v.domain = row->domain;
	v.show_age = 1;
	if (sts_policy_parse(row->policy, strlen(row->policy), &pol, &why) < 0) {
		v.status = "failed";
		v.reason = why.msg;
		la->bad = 1;
		print_view(la->cli, &v);
		return 0;
	}
	v.status = "policy";
	v.pol = pol;
	v.id = row->policy_id;
	v.fetched = (time_t)row->fetched;
	v.expires = (time_t)row->expires;
	errbuf_clear(&why);
	if (sts_policy_answer(pol, row->domain, &la->opts, &text, &why) > 0)
		v.answer = text;
	v.reason = why.msg;
	print_view(la->cli, &v);
	free(text);
	sts_policy_free(pol);
	return 0;
}

static int collect_row(const struct store_sts_row *row, void *arg)
{
	struct list_arg *la = arg;

	if (la->nall == la->capall) {
		size_t cap = la->capall ? la->capall * 2 : 64;
		char **p = realloc(la->all, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		la->all = p;
		la->capall = cap;
	}
	if ((la->all[la->nall] = strdup(row->domain)) == NULL)
		return -1;
	la->nall++;
	return 0;
}

static int sts_show_flush(struct cli *cli, int flush, int argc, char **argv)
{
	struct config *cfg = cli_config(cli);
	struct list_arg la;
	struct errbuf why;
	int rc = EXIT_OK, lrc;

	/* parse_sts() refused flush with --json */
	memset(&la, 0, sizeof(la));
	la.cli = cli;
	la.n = (size_t)argc;
	if ((la.names = calloc(la.n + 1, sizeof(*la.names))) == NULL
	    || (la.found = calloc(la.n + 1, sizeof(*la.found))) == NULL) {
		cli_error("sts", "out of memory");
		rc = EXIT_FAIL;
		goto out;
	}
	if (normalize_args(argc, argv, la.names) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	errbuf_clear(&why);
	if (sts_answer_opts_from_config(cfg, &la.opts, &why) < 0) {
		cli_error("sts", "%s", why.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	if ((la.st = cli_store(cli)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (!flush) {
		if (store_sts_list(la.st, show_row, &la, &why) < 0) {
			cli_error("sts", "%s", why.msg);
			rc = EXIT_FAIL;
			goto out;
		}
		if (la.bad)
			rc = EXIT_FAIL;
		for (size_t i = 0; i < la.n; i++) {
			if (!la.found[i]) {
				cli_error("sts", "%s: not cached", la.names[i]);
				rc = EXIT_FAIL;
			}
		}
		goto out;
	}
	/* flush */
	if (la.n == 0) {
		if ((lrc = store_sts_list(la.st, collect_row, &la, &why)) != 0) {
			cli_error("sts", "%s", lrc < 0 ? why.msg : "out of memory");
			rc = EXIT_FAIL;
			goto out;
		}
		for (size_t i = 0; i < la.nall; i++) {
			if (store_sts_delete(la.st, la.all[i], &why) < 0) {
				cli_error("sts", "%s", why.msg);
				rc = EXIT_FAIL;
				goto out;
			}
		}
		printf("flushed %zu cached polic%s\n", la.nall, la.nall == 1 ? "y" : "ies");
		goto out;
	}
	for (size_t i = 0; i < la.n; i++) {
		int d = store_sts_delete(la.st, la.names[i], &why);

		if (d < 0) {
			cli_error("sts", "%s", why.msg);
			rc = EXIT_FAIL;
			goto out;
		}
		if (d == 0) {
			cli_error("sts", "%s: not cached", la.names[i]);
			rc = EXIT_FAIL;
		} else {
			printf("flushed %s\n", la.names[i]);
		}
	}
out:
	if (flush && rc == EXIT_OK)
		cli_tell_daemon(cli, SIGUSR2, "forget the flushed MTA-STS policies");
	if (la.st)
		store_close(la.st);
	for (size_t i = 0; i < la.nall; i++)
		free(la.all[i]);
	free(la.all);
	free(la.names);
	free(la.found);
	return rc;
}

enum { STS_REFRESH = 1, STS_SHOW, STS_FLUSH };

struct sts_opts {
	int sub;        /* STS_REFRESH, STS_SHOW or STS_FLUSH */
	char **domains; /* DOMAIN... */
	int n;
};

/* Fills *o from the command line; -1 when the command must return *code. */
static int parse_sts(struct cli *cli, int argc, char **argv, struct sts_opts *o, int *code)
{
	static const struct cli_command subs[] = {
		{ "refresh", NULL, NULL, STS_REFRESH },
		{ "show", NULL, NULL, STS_SHOW },
		{ "flush", NULL, NULL, STS_FLUSH },
	};
	const struct cli_command *c;
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub;
	int opt;

	/* options may come before or after the subcommand and domains;
	 * "c:vh": every option is common, -h or an error */
	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, sts_usage,
				    code)) > 0)
		;
	if (opt == CLI_OPT_EXIT)
		return -1;
	*code = EXIT_USAGE;
	if (optind >= argc) {
		sts_usage(stderr);
		return -1;
	}
	if (cli->verbose)
		log_set_verbose(cli->verbose);
	sub = argv[optind];
	o->n = argc - optind - 1;
	o->domains = argv + optind + 1;
	if (o->n > STS_CLI_MAX_DOMAINS) {
		cli_error("sts", "more than %d domains", STS_CLI_MAX_DOMAINS);
		return -1;
	}
	if ((c = cli_command_find(subs, CLI_NCOMMANDS(subs), sub)) == NULL) {
		cli_error("sts", "unknown subcommand \"%s\" (refresh, show, flush)", sub);
		return -1;
	}
	o->sub = c->id;
	if (o->sub == STS_REFRESH && o->n == 0) {
		cli_error("sts", "refresh needs at least one DOMAIN");
		return -1;
	}
	if (o->sub == STS_FLUSH && cli_refuse_json(cli, "sts"))
		return -1;
	return 0;
}

static int run_sts(struct cli *cli, const struct sts_opts *o)
{
	if (o->sub == STS_REFRESH)
		return sts_refresh(cli, o->n, o->domains);
	return sts_show_flush(cli, o->sub == STS_FLUSH, o->n, o->domains);
}

int cmd_sts(struct cli *cli, int argc, char **argv)
{
	struct sts_opts o;
	int code = EXIT_OK;

	if (parse_sts(cli, argc, argv, &o, &code) < 0)
		return code;
	return run_sts(cli, &o);
}
