/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - tlspolicy report [--html FILE] [--json] [--from-logs
 * FILE...] [--domains FILE] [DOMAIN...] [--probe] [--top N] [--since T]: one page of
 * TLS coverage, destinations, findings and changes (report/report.h).
 *
 * One source of truth: the chart and the evidence columns come from the
 * logscan library (logscan_day(), logscan_rows(), logscan_suggest(): what
 * `logscan --json` prints); the destination columns, recommendations and
 * findings from cmd_check() itself, run with cli->check_sink (cli/check.h:
 * the rows `check --json` prints, from the same functions); with --own
 * the own-domain findings from cmd_own() `own check`, run with
 * cli->own_sink (the report `own check --json` prints).
 *
 * Destinations: the DOMAINs and --domains FILE when given, else every
 * domain of the logs; the --top N with most deliveries (then in the
 * order given) are shown and checked.
 *
 * The snapshot of the shown destinations is kept in the store
 * (store/store_report.h) and compared with the previous one; a report
 * without check (--no-check, or check gave nothing) compares but keeps
 * the last checked snapshot; --no-snapshot neither reads nor writes it.
 *
 * Exit: 0 the report was written; 1 it could not be (unreadable log or
 * domain file, write error, out of memory); 2 usage.  Findings do not
 * change the exit status (they are in the page and the JSON).
 */
#include "cli/check.h"
#include "cli/cli.h"
#include "logscan/logscan.h"
#include "logscan/report.h"
#include "own/report.h"
#include "policy/policy.h"
#include "report/report.h"
#include "store/store.h"
#include "store/store_report.h"
#include "util/buf.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define REPORT_MAX_FILES 1024
#define REPORT_MAX_DOMAINS 100000   /* = check's CHECK_MAX_DOMAINS */

static void report_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy report [-c FILE] [--db URL] [--html FILE] [--json]\n"
		"                        [--from-logs FILE...] [--domains FILE] [DOMAIN...]\n"
		"                        [--probe] [--no-check] [--top N] [--expiry-days N]\n"
		"                        [--since TIME] [--until TIME] [--year YYYY]\n"
		"                        [--no-snapshot] [--own]\n"
		"\n"
		"One self-contained HTML page (no script or font from the network,\n"
		"readable without JavaScript): TLS coverage per day from Postfix logs,\n"
		"the destinations table of `check` with the logs' evidence and the\n"
		"recommendation, findings, and what changed since the previous report.\n"
		"  --html FILE        write the page to FILE (\"-\": standard output)\n"
		"  --json             the same data as JSON on standard output\n"
		"  --from-logs FILE...  Postfix logs (plain or gzip; \"-\": stdin), as logscan\n"
		"  --domains FILE     destinations, one per line (# comments), like\n"
		"                     check --from-file; DOMAIN... on the command line too.\n"
		"                     Default: the domains of the logs\n"
		"  --top N            show and check the N destinations with most\n"
		"                     deliveries (default %d, at most %d)\n"
		"  --probe            connect to every MX (check --probe): policies that\n"
		"                     would defer, certificates that expire soon\n"
		"  --no-check         no DNS, no table: the logs alone\n"
		"  --expiry-days N    certificates expiring within N days are findings\n"
		"                     (default %d)\n"
		"  --since TIME, --until TIME  only log records in [since, until), as\n"
		"                     logscan: YYYY-MM-DD[ hh:mm[:ss]], RFC 3339, or Nd/Nh/Nm\n"
		"                     ago (a weekly report: --since 7d)\n"
		"  --year YYYY        year of log time stamps without one (as logscan)\n"
		"  --no-snapshot      do not compare with, nor keep, the snapshot in the\n"
		"                     store (table %s, made by db init)\n"
		"  --own              also run `own check` on your own domains (settings\n"
		"                     own_domains, own_mx_hosts, ...): its findings that\n"
		"                     are not ok go to the findings\n"
		"Exit 0 the report was written, 1 it could not be, 2 usage.\n",
		REPORT_DEFAULT_TOP, REPORT_MAX_DESTS, REPORT_DEFAULT_EXPIRY_DAYS,
		STORE_REPORT_TABLE);
}

/* ---- the destinations ---- */

struct want {
	char *name;      /* as given; lower case, no trailing dot */
	size_t order;
	unsigned long sent;
	const struct logscan_row *row;
};

static void name_fold(char *s)
{
	size_t n;

	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	n = strlen(s);
	while (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
}

static int want_add(struct want **v, size_t *n, size_t *cap, const char *name)
{
	if (*n >= REPORT_MAX_DOMAINS) {
		cli_error("report", "more than %d domains", REPORT_MAX_DOMAINS);
		return -1;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct want *nv = realloc(*v, nc * sizeof(*nv));

		if (nv == NULL)
			log_fatal("report");
		*v = nv;
		*cap = nc;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	if (((*v)[*n].name = strdup(name)) == NULL)
		log_fatal("report");
	name_fold((*v)[*n].name);
	(*v)[*n].order = *n;
	(*n)++;
	return 0;
}

static int read_domains(const char *path, struct want **v, size_t *n, size_t *cap)
{
	char **names = NULL;
	size_t nnames = 0;
	int rc = 0;

	if (check_read_domains("report", path, REPORT_MAX_DOMAINS, &names, &nnames) < 0)
		return -1;
	for (size_t i = 0; i < nnames; i++) {
		if (rc == 0)
			rc = want_add(v, n, cap, names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int want_cmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	if (x->sent != y->sent)
		return x->sent > y->sent ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->name, ((const struct want *)b)->name);
}

/* ---- check rows into the model ---- */

struct sink_ctx {
	struct report *r;
	time_t now;
	int failed;
};

static struct report_dest *dest_find(struct report *r, const char *domain)
{
	for (size_t i = 0; i < r->ndests; i++)
		if (strcasecmp(r->dests[i].domain, domain) == 0)
			return &r->dests[i];
	return NULL;
}

static char *xdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		log_fatal("report");
	return p;
}

static void sink_row(void *arg, const struct check_row *row)
{
	struct sink_ctx *sc = arg;
	struct report *r = sc->r;
	struct report_dest *d = dest_find(r, row->domain);
	struct buf nb;
	char why[1024];

	if (d == NULL)
		return;
	d->checked = 1;
	d->provider = xdup(row->provider);
	d->published = xdup(row->published);
	d->policy = xdup(row->policy);
	d->parameter = xdup(row->parameter);
	d->table = xdup(row->table);
	d->recommend = xdup(row->recommend);
	d->recommend_src = xdup(row->recommend_src);
	d->warning = row->warning;
	buf_init(&nb, 64 * 1024);
	for (size_t k = 0; k < row->nnotes; k++)
		buf_printf(&nb, "%s%s%s", k ? "; " : "", row->notes[k].warn ? "WARNING: " : "",
			   row->notes[k].text);
	d->note = xdup(nb.data ? nb.data : "");
	buf_free(&nb);
	if (row->weaker)
		sc->failed |= report_add_finding(r, REPORT_F_WEAKER, row->domain, NULL,
						 row->weaker, 0);
	if (strcmp(row->answer_status, "TEMP") == 0) {
		snprintf(why, sizeof(why), "the daemon answers TEMP (%.400s): Postfix defers "
			 "the mail", row->answer_text);
		sc->failed |= report_add_finding(r, REPORT_F_DEFER, row->domain, NULL, why, 0);
	}
	for (size_t i = 0; i < row->nmx; i++) {
		const struct check_row_mx *m = &row->mx[i];

		if (m->answer_fails) {
			snprintf(why, sizeof(why), "%s policy \"%.200s%s%.200s\" fails: %.200s",
				 row->table ? "table" : "the daemon's", row->policy,
				 row->parameter[0] ? " " : "", row->parameter, m->answer_fails);
			sc->failed |= report_add_finding(r, REPORT_F_DEFER, row->domain, m->host,
							 why, 0);
		}
		if (m->not_after &&
		    m->not_after - sc->now < (time_t)r->expiry_days * 86400) {
			long days = (long)((m->not_after - sc->now) / 86400);

			if (m->not_after <= sc->now)
				snprintf(why, sizeof(why), "the certificate has expired");
			else
				snprintf(why, sizeof(why), "the certificate expires in %ld day%s",
					 days, days == 1 ? "" : "s");
			sc->failed |= report_add_finding(r, REPORT_F_EXPIRY, row->domain, m->host,
							 why, m->not_after);
		}
	}
}

/* Runs `check [--probe] -- DOMAIN...` in-process on the shown
 * destinations with a valid name; the rows go to sink_row(). */
static int run_check(struct cli *cli, struct report *r, int probe)
{
	struct sink_ctx sc = { r, time(NULL), 0 };
	struct check_sink sink = { sink_row, &sc };
	char **av = calloc(r->ndests + 4, sizeof(*av));
	char key[POLICY_KEY_MAX];
	enum policy_key_kind kind;
	struct errbuf why;
	int ac = 0, rc;
	int json = cli->json;

	if (av == NULL)
		log_fatal("report");
	av[ac++] = "check";
	if (probe)
		av[ac++] = "--probe";
	av[ac++] = "--";
	for (size_t i = 0; i < r->ndests; i++) {
		errbuf_clear(&why);
		if (policy_key_normalize(r->dests[i].domain, key, sizeof(key), &kind, &why) < 0 ||
		    kind != POLICY_KEY_DOMAIN || strcmp(key, r->dests[i].domain) != 0) {
			r->dests[i].note = xdup("not a valid domain name: not checked");
			continue;
		}
		av[ac++] = r->dests[i].domain;
	}
	if (ac == (probe ? 3 : 2)) {
		free(av);
		return 0;
	}
	cli->check_sink = &sink;
	cli->json = 0;
	optind = 0;           /* glibc: initialise getopt again */
	rc = cmd_check(cli, ac, av);
	cli->check_sink = NULL;
	cli->json = json;
	free(av);
	if (sc.failed) {
		cli_error("report", "out of memory");
		return -1;
	}
	/* 1: warnings or a domain that could not be checked: in the page */
	return rc == EXIT_USAGE ? -1 : 0;
}

/* ---- the snapshot ---- */

struct snaps {
	struct report_snap *v;
	size_t n, cap;
	long long taken;
};

static int snap_cb(const struct store_report_row *row, void *arg)
{
	struct snaps *s = arg;

	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct report_snap *nv = realloc(s->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n].domain = xdup(row->domain);
	s->v[s->n].policy = xdup(row->policy);
	s->v[s->n].published = xdup(row->published);
	s->v[s->n].sent = row->sent;
	s->v[s->n].verified = row->verified;
	s->taken = row->taken;
	s->n++;
	return 0;
}

static void snapshot(struct cli *cli, struct report *r)
{
	struct store *st = cli_store_open(cli, "report", STORE_OPEN_EXISTING);
	struct snaps s = { 0 };
	struct store_report_row *rows = NULL;
	struct errbuf why;
	char note[ERRBUF_MAX + 64];
	int rc;

	if (st == NULL) {
		r->snap_note = xdup("the store could not be opened");
		return;
	}
	errbuf_clear(&why);
	rc = store_report_list(st, snap_cb, &s, &why);
	if (rc == STORE_REPORT_NO_TABLE) {
		snprintf(note, sizeof(note), "the store has no table %s (run tlspolicy db init); "
			 "no snapshot kept", STORE_REPORT_TABLE);
		r->snap_note = xdup(note);
		goto out;
	} else if (rc < 0) {
		snprintf(note, sizeof(note), "reading the snapshot: %s", why.msg);
		r->snap_note = xdup(note);
		cli_error("report", "%s", note);
		goto out;
	}
	if (s.n > 0) {
		r->have_previous = 1;
		r->previous = (time_t)s.taken;
		if (report_diff(r, s.v, s.n) < 0)
			log_fatal("report");
	} else {
		r->snap_note = xdup("this is the first report kept in the store");
	}
	if (!r->checked)
		goto out;       /* a report of the logs alone keeps the last checked one */
	if ((rows = calloc(r->ndests + 1, sizeof(*rows))) == NULL)
		log_fatal("report");
	{
		char (*pol)[1024] = calloc(r->ndests + 1, sizeof(*pol));

		if (pol == NULL)
			log_fatal("report");
		for (size_t i = 0; i < r->ndests; i++) {
			const struct report_dest *d = &r->dests[i];

			snprintf(pol[i], sizeof(pol[i]), "%s%s%s", d->policy ? d->policy : "",
				 d->parameter && d->parameter[0] ? " " : "",
				 d->parameter ? d->parameter : "");
			rows[i].domain = d->domain;
			rows[i].policy = pol[i];
			rows[i].published = d->published ? d->published : "";
			rows[i].sent = d->sent;
			rows[i].verified = d->n[LOGLINE_VERIFIED];
			rows[i].taken = (long long)r->generated;
		}
		errbuf_clear(&why);
		if (store_report_replace(st, rows, r->ndests, &why) < 0)
			cli_error("report", "keeping the snapshot: %s", why.msg);
		free(pol);
	}
out:
	for (size_t i = 0; i < s.n; i++) {
		free(s.v[i].domain);
		free(s.v[i].policy);
		free(s.v[i].published);
	}
	free(s.v);
	free(rows);
	store_close(st);
}

/* ---- progress on a terminal while the logs are read ---- */

struct progress {
	const char *file;
	time_t last;
	int shown;
};

static void progress_cb(void *arg, unsigned long long bytes)
{
	struct progress *pg = arg;
	time_t now = time(NULL);

	if (now == pg->last)
		return;
	pg->last = now;
	pg->shown = 1;
	fprintf(stderr, "\rtlspolicy report: reading %.60s: %llu MB   ", pg->file, bytes >> 20);
	fflush(stderr);
}

/* ---- the command ---- */

static int write_out(const char *path, const struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (f == NULL) {
		cli_error("report", "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(b->data ? b->data : "", 1, b->len, f) != b->len || fflush(f) != 0 ||
	    ferror(f)) {
		cli_error("report", "cannot write %s: %s", path, strerror(errno));
		if (f != stdout)
			fclose(f);
		return -1;
	}
	if (f != stdout && fclose(f) != 0) {
		cli_error("report", "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

enum { OPT_HTML = 0x2000, OPT_FROM_LOGS, OPT_DOMAINS, OPT_TOP, OPT_PROBE, OPT_NO_CHECK,
       OPT_EXPIRY, OPT_YEAR, OPT_NO_SNAPSHOT, OPT_SINCE, OPT_UNTIL, OPT_OWN };

/* What the command line asks for. */
struct report_cmd {
	const char *files[REPORT_MAX_FILES];
	int nfiles;
	const char *html, *domfile;
	char **names;                   /* DOMAIN... */
	int nnames;
	int probe, nocheck, nosnap, own;
	unsigned long top, expiry, year;
	struct logscan_opts lo;         /* --since, --until, --year */
};

/* One option into *o; -1 to go on, else the exit code. */
static int report_opt(struct report_cmd *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_HTML: o->html = arg; return -1;
	case OPT_DOMAINS: o->domfile = arg; return -1;
	case OPT_PROBE: o->probe = 1; return -1;
	case OPT_NO_CHECK: o->nocheck = 1; return -1;
	case OPT_NO_SNAPSHOT: o->nosnap = 1; return -1;
	case OPT_OWN: o->own = 1; return -1;
	case OPT_FROM_LOGS:
		if (o->nfiles >= REPORT_MAX_FILES) {
			cli_error("report", "more than %d log files", REPORT_MAX_FILES);
			return EXIT_USAGE;
		}
		o->files[o->nfiles++] = arg;
		return -1;
	case OPT_SINCE:
	case OPT_UNTIL:
		/* as logscan --since/--until */
		if (logscan_parse_time(arg, time(NULL),
				       opt == OPT_SINCE ? &o->lo.since : &o->lo.until) < 0) {
			cli_error("report", "invalid time \"%s\"", arg);
			return EXIT_USAGE;
		}
		*(opt == OPT_SINCE ? &o->lo.has_since : &o->lo.has_until) = 1;
		return -1;
	case OPT_TOP:
		if (cli_parse_ulong(arg, REPORT_MAX_DESTS, &o->top) < 0 || o->top == 0) {
			cli_error("report", "--top: a number 1..%d", REPORT_MAX_DESTS);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_EXPIRY:
		if (cli_parse_ulong(arg, 3650, &o->expiry) < 0) {
			cli_error("report", "--expiry-days: a number 0..3650");
			return EXIT_USAGE;
		}
		return -1;
	case OPT_YEAR:
		if (cli_parse_ulong(arg, 9999, &o->year) < 0 || o->year < 1970) {
			cli_error("report", "--year: a year 1970..9999");
			return EXIT_USAGE;
		}
		o->lo.year = (int)o->year;
		return -1;
	}
	report_usage(stderr);
	return EXIT_USAGE;
}

/* Parses argv into *o; -1 to run, else the exit code. */
static int report_parse(struct cli *cli, int argc, char **argv, struct report_cmd *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "html", required_argument, NULL, OPT_HTML },
		{ "from-logs", required_argument, NULL, OPT_FROM_LOGS },
		{ "domains", required_argument, NULL, OPT_DOMAINS },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "no-check", no_argument, NULL, OPT_NO_CHECK },
		{ "expiry-days", required_argument, NULL, OPT_EXPIRY },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ "no-snapshot", no_argument, NULL, OPT_NO_SNAPSHOT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "own", no_argument, NULL, OPT_OWN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, rc = EXIT_OK;

	memset(o, 0, sizeof(*o));
	o->top = REPORT_DEFAULT_TOP;
	o->expiry = REPORT_DEFAULT_EXPIRY_DAYS;
	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, report_usage, &rc)) > 0)
		if ((rc = report_opt(o, opt, optarg)) >= 0)
			return rc;
	if (opt == CLI_OPT_EXIT)
		return rc;
	o->names = argv + optind;
	o->nnames = argc - optind;
	if (o->html && strcmp(o->html, "-") == 0 && cli->json) {
		cli_error("report", "--html - and --json both write to standard output");
		return EXIT_USAGE;
	}
	if (o->html == NULL && !cli->json) {
		cli_error("report", "give --html FILE, --json or both");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	if (o->lo.has_since && o->lo.has_until && o->lo.until <= o->lo.since) {
		cli_error("report", "--until is not after --since");
		return EXIT_USAGE;
	}
	if (o->probe && o->nocheck) {
		cli_error("report", "--probe and --no-check exclude each other");
		return EXIT_USAGE;
	}
	if (o->nfiles == 0 && o->domfile == NULL && o->nnames == 0) {
		cli_error("report", "nothing to report on: give --from-logs FILE..., "
			  "--domains FILE or DOMAIN...");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/* 1. the logs, as logscan reads them: the days into r; *ls kept for the
 * destinations.  0, or -1 after the message. */
static int report_logs(const struct report_cmd *o, struct report *r, struct logscan **lsp)
{
	const struct logscan_counts *c;
	struct logscan *ls;
	struct errbuf why;

	if ((*lsp = ls = logscan_new(&o->lo)) == NULL)
		log_fatal("report");
	for (int i = 0; i < o->nfiles; i++) {
		struct progress pg = { o->files[i], time(NULL), 0 };
		int frc;

		errbuf_clear(&why);
		frc = logscan_file(ls, o->files[i], isatty(STDERR_FILENO) ? progress_cb : NULL, &pg,
				   &why);
		if (pg.shown)
			fprintf(stderr, "\r%*s\r", 90, "");
		if (frc < 0) {
			cli_error("report", "%s", why.msg);
			return -1;
		}
	}
	if (o->nfiles == 0)
		return 0;
	c = logscan_counts(ls);
	r->have_logs = 1;
	r->files = c->files;
	r->lines = c->lines;
	r->deliveries = c->deliveries;
	r->undated = c->undated;
	r->domains = logscan_ndomains(ls);
	for (size_t i = 0; i < logscan_ndays(ls); i++) {
		const struct logscan_day *d = logscan_day(ls, i);

		if (report_add_day(r, d->year, d->mon, d->mday, d->tls) < 0)
			log_fatal("report");
	}
	if (c->deliveries && c->tls_sessions == 0)
		fprintf(stderr, "tlspolicy report: warning: %lu deliveries but not one TLS "
			"session line; with smtp_tls_loglevel = 0 TLS deliveries look like "
			"plaintext: set smtp_tls_loglevel = 1\n", c->deliveries);
	return 0;
}

/* Drops repeated names (the first stays), attaches the log rows, sorts
 * by deliveries, then in the order given. */
static void want_order(struct want *want, size_t *nwant, struct logscan_row *rows, size_t nrows)
{
	size_t k = 0;

	qsort(want, *nwant, sizeof(*want), name_cmp);
	for (size_t i = 0; i < *nwant; i++) {
		if (k && strcmp(want[k - 1].name, want[i].name) == 0) {
			if (want[i].order < want[k - 1].order)
				want[k - 1].order = want[i].order;
			free(want[i].name);
			continue;
		}
		want[k++] = want[i];
	}
	*nwant = k;
	for (size_t i = 0; i < nrows; i++) {
		struct want key = { .name = (char *)rows[i].d->name };
		struct want *w = bsearch(&key, want, *nwant, sizeof(*want), name_cmp);

		if (w) {
			w->row = &rows[i];
			w->sent = logscan_sent(&rows[i].d->t);
		}
	}
	qsort(want, *nwant, sizeof(*want), want_cmp);
}

/* 2. the destinations: given, else the logs'; the top N into r with
 * their evidence.  0, or -1 after the message. */
static int report_dests(const struct report_cmd *o, struct report *r, const struct logscan *ls,
			unsigned long min, struct logscan_row **rowsp, size_t *nrowsp)
{
	struct want *want = NULL;
	size_t nwant = 0, cap = 0, nrows;
	struct logscan_row *rows = NULL;
	int rc = -1;

	for (int i = 0; i < o->nnames; i++)
		if (want_add(&want, &nwant, &cap, o->names[i]) < 0)
			goto out;
	if (o->domfile && read_domains(o->domfile, &want, &nwant, &cap) < 0)
		goto out;
	*nrowsp = nrows = logscan_rows(ls, &rows);
	*rowsp = rows;
	if (rows == NULL && logscan_ndomains(ls))
		log_fatal("report");
	for (size_t i = 0; i < nrows; i++)
		logscan_suggest(&rows[i], min);
	if (nwant == 0)
		for (size_t i = 0; i < nrows; i++)
			if (want_add(&want, &nwant, &cap, rows[i].d->name) < 0)
				goto out;
	if (nwant)
		want_order(want, &nwant, rows, nrows);
	for (size_t i = 0; i < nwant; i++) {
		const struct logscan_row *lr = want[i].row;
		struct report_dest *d;
		char text[POLICY_MAX_TEXT];

		if (i >= o->top) {
			r->dests_left++;
			continue;
		}
		if ((d = report_add_dest(r, want[i].name)) == NULL)
			log_fatal("report");     /* o->top <= REPORT_MAX_DESTS */
		if (lr == NULL)
			continue;
		for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
			d->n[g] = lr->d->t.tls[g]; /* uint32_t into unsigned long */
		d->sent = logscan_sent(&lr->d->t);
		d->deferred = lr->d->t.deferred;
		d->bounced = lr->d->t.bounced;
		d->failures = logscan_failures(&lr->d->t);
		if (lr->has_suggestion)
			d->suggestion = xdup(logscan_suggestion_text(lr, text, sizeof(text)));
	}
	rc = 0;
out:
	for (size_t i = 0; i < nwant; i++)
		free(want[i].name);
	free(want);
	return rc;
}

/* 3. check on the shown destinations: columns and findings. */
static int report_check(struct cli *cli, const struct report_cmd *o, struct report *r)
{
	size_t nchecked = 0;

	if (o->nocheck) {
		r->check_note = xdup("--no-check");
		return 0;
	}
	if (r->ndests == 0)
		return 0;
	r->checked = 1;
	r->probed = o->probe;
	if (run_check(cli, r, o->probe) < 0)
		return -1;
	for (size_t i = 0; i < r->ndests; i++)
		nchecked += r->dests[i].checked != 0;
	if (nchecked == 0) {
		r->checked = r->probed = 0;
		r->check_note = xdup("check gave no result (see its messages; "
				     "--no-check for the logs alone)");
		cli_error("report", "check gave no result for any destination");
	}
	return 0;
}

/* 3b. --own: `own check` in-process (its settings); the findings that
 * are not ok into r.  Its messages (no own domain, ...) go to stderr as
 * own check prints them; the page says when it gave no findings. */
static void report_own(struct cli *cli, struct report *r)
{
	static char *av[] = { "own", "check", NULL };
	struct own_report rep;
	char text[OWN_REPORT_MSG_MAX + 64];
	int json = cli->json;

	own_report_init(&rep);
	cli->own_sink = &rep;
	cli->json = 0;
	optind = 0;           /* glibc: initialise getopt again */
	cmd_own(cli, 2, av);
	cli->own_sink = NULL;
	cli->json = json;
	r->own_checks = 1;
	for (size_t i = 0; i < rep.n; i++) {
		const struct own_finding *f = &rep.f[i];

		if (f->verdict == OWN_OK)
			continue;
		snprintf(text, sizeof(text), "%s (%s): %s", own_verdict_name(f->verdict),
			 f->check, f->msg);
		if (report_add_finding(r, REPORT_F_OWN, f->domain, f->subject, text, 0) < 0)
			log_fatal("report");
	}
	if (rep.n == 0)
		r->own_note = xdup("own check gave no result (see its messages)");
	own_report_free(&rep);
}

/* The page and/or the JSON.  0, or -1 after the message. */
static int report_write(struct cli *cli, const struct report_cmd *o, const struct report *r)
{
	struct buf out;
	int rc = -1;

	buf_init(&out, REPORT_MAX_PAGE);
	if (o->html) {
		if (report_html(&out, r) < 0) {
			cli_error("report", "the page would pass %u bytes (or out of memory)",
				  REPORT_MAX_PAGE);
			goto out;
		}
		if (write_out(o->html, &out) < 0)
			goto out;
	}
	if (cli->json) {
		buf_reset(&out);
		if (report_json(&out, r) < 0) {
			cli_error("report", "the JSON would pass %u bytes (or out of memory)",
				  REPORT_MAX_PAGE);
			goto out;
		}
		if (write_out("-", &out) < 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

static int report_run(struct cli *cli, const struct report_cmd *o)
{
	struct logscan_row *rows = NULL;
	struct logscan *ls = NULL;
	size_t nrows = 0;
	struct report r;
	char host[256];
	long min = config_get_int(cli_config(cli), "logscan_min_deliveries");
	int rc = EXIT_FAIL;

	if (cli->verbose)
		log_set_verbose(cli->verbose);
	report_init(&r);
	r.generated = time(NULL);
	r.expiry_days = (unsigned)o->expiry;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	r.host = xdup(host);
	if (report_logs(o, &r, &ls) < 0 ||
	    report_dests(o, &r, ls, min < 0 ? 0 : (unsigned long)min, &rows, &nrows) < 0 ||
	    report_check(cli, o, &r) < 0)
		goto out;
	if (o->own)
		report_own(cli, &r);
	/* 4. changes since the previous report */
	if (!o->nosnap)
		snapshot(cli, &r);
	else
		r.snap_note = xdup("--no-snapshot");
	if (report_write(cli, o, &r) == 0)
		rc = EXIT_OK;
out:
	logscan_rows_free(rows, nrows);
	logscan_free(ls);
	report_free(&r);
	return rc;
}

/* "--from-logs A B C" → "--from-logs A --from-logs B --from-logs C", so
 * getopt sees one argument per option; the files end at the next
 * argument beginning with '-' (a file named so: ./-name). */
static char **expand_from_logs(int argc, char **argv, int *outc)
{
	char **v = calloc((size_t)argc * 2 + 1, sizeof(*v));
	int n = 0;

	if (v == NULL)
		log_fatal("report");
	for (int i = 0; i < argc; i++) {
		v[n++] = argv[i];
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				v[n++] = argv[i];
			break;
		}
		if (strcmp(argv[i], "--from-logs") == 0 && i + 1 < argc) {
			v[n++] = argv[++i];
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				v[n++] = "--from-logs";
				v[n++] = argv[++i];
			}
		}
	}
	*outc = n;
	return v;
}

int cmd_report(struct cli *cli, int argc0, char **argv0)
{
	struct report_cmd o;
	int argc, rc;
	char **argv = expand_from_logs(argc0, argv0, &argc);

	if ((rc = report_parse(cli, argc, argv, &o)) < 0)
		rc = report_run(cli, &o);
	free(argv);
	return rc;
}
