/* SPDX-License-Identifier: MIT */
/*
 * cmd_logscan.c - tlspolicy logscan FILE...: read Postfix logs and
 * suggest stronger TLS policies per destination domain (see
 * logscan/logscan.h for what is read, logscan/report.h for the rules).
 *
 * The admin's table is read (not written) for the CURRENT column and for
 * "never weaker" unless --apply is given; --apply adds rows for domains
 * without a row of their own and replaces existing rows only with
 * --force, all in one transaction.
 */
#include "cli/cli.h"
#include "logscan/logscan.h"
#include "logscan/report.h"
#include "policy/policy.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOGSCAN_MAX_FILTERS 256
#define PROGRESS_INTERVAL_NS 200000000L /* redraw at most 5 times a second */
#define PROGRESS_WIDTH 30

static void logscan_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy logscan [options] [FILE...]\n"
		"\n"
		"Reads Postfix logs (syslog, RFC 3339, maillog_file, journalctl -o short-iso;\n"
		"plain or gzip; '-' or no FILE: standard input) and prints per recipient\n"
		"domain the deliveries by TLS class, failures, the current table policy and\n"
		"a suggested stronger policy with its reason.\n"
		"\n"
		"  --json                 machine-readable output (per domain and MX host)\n"
		"  --format postmap|sql   print only the suggestions, as tls_policy lines or SQL\n"
		"  --since TIME           ignore lines before TIME\n"
		"  --until TIME           ignore lines from TIME on\n"
		"                         TIME: YYYY-MM-DD[Thh:mm[:ss][Z|+hh:mm]] (local time\n"
		"                         without a zone), Nd/Nh/Nm/Nw ago, or @EPOCH\n"
		"  --domain D             only domain D and its subdomains (repeatable)\n"
		"  --min-deliveries N     deliveries needed for a suggestion\n"
		"                         (default: setting logscan_min_deliveries)\n"
		"  --year YYYY            year of time stamps that have none (default: from\n"
		"                         each file's modification time)\n"
		"  --apply                write the suggestions into the policy table; rows\n"
		"                         that exist are kept unless --force\n"
		"  --force                with --apply or --format sql: replace existing rows\n"
		"  --db URL, -c FILE      policy table, configuration file\n"
		"\n"
		"A summary line (lines, Postfix lines, deliveries, domains, seconds, MB/s)\n"
		"goes to stderr, with a progress bar when stderr is a terminal.\n"
		"\n"
		"Postfix logs TLS sessions only with smtp_tls_loglevel >= 1.  At level may a\n"
		"valid certificate logs as Trusted (names are checked only at verify, secure\n"
		"and dane), so \"verify\" is suggested only where every delivery was already\n"
		"Verified (note: a DANE-EE match also logs as Verified).\n");
}

/* ---- progress ---------------------------------------------------------- */

struct progress {
	int on;
	unsigned long long total;     /* bytes of all regular files; 0 unknown */
	unsigned long long done;      /* bytes of finished files */
	unsigned long long cur;       /* of the file being read */
	struct timespec last;
	int drawn;
};

static long elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

static void progress_draw(struct progress *pg, int force)
{
	struct timespec now;
	unsigned long long at = pg->done + pg->cur;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && pg->drawn && elapsed_ns(&pg->last, &now) < PROGRESS_INTERVAL_NS)
		return;
	pg->last = now;
	pg->drawn = 1;
	if (pg->total) {
		double f = (double)at / (double)pg->total;
		int fill;
		char bar[PROGRESS_WIDTH + 1];

		if (f > 1)
			f = 1;
		fill = (int)(f * PROGRESS_WIDTH);
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(PROGRESS_WIDTH - fill));
		bar[PROGRESS_WIDTH] = '\0';
		fprintf(stderr, "\rlogscan [%s] %3d%% %.1f/%.1f MB ", bar, (int)(f * 100),
			(double)at / 1e6, (double)pg->total / 1e6);
	} else {
		fprintf(stderr, "\rlogscan %.1f MB read ", (double)at / 1e6);
	}
}

static void progress_cb(void *arg, unsigned long long bytes)
{
	struct progress *pg = arg;

	pg->cur = bytes;
	progress_draw(pg, 0);
}

static void progress_clear(struct progress *pg)
{
	if (pg->on && pg->drawn)
		fprintf(stderr, "\r%*s\r", 70, "");
}

/* ---- the admin's table -------------------------------------------------- */

struct table_entry {
	char *key;
	char *text; /* "level params" */
	enum policy_level level;
};

struct table {
	struct table_entry *e;
	size_t n, cap;
	unsigned long invalid;
};

static int table_add(const struct store_row *row, void *arg)
{
	struct table *t = arg;
	enum policy_level level;
	char key[POLICY_KEY_MAX];
	size_t len;

	if (policy_level_parse(row->policy, &level, NULL) < 0 ||
	    policy_key_normalize(row->domain, key, sizeof(key), NULL, NULL) < 0) {
		t->invalid++;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct table_entry *e = realloc(t->e, cap * sizeof(*e));

		if (e == NULL)
			return -1;
		t->e = e;
		t->cap = cap;
	}
	len = strlen(row->policy) + (row->params ? strlen(row->params) : 0) + 2;
	t->e[t->n].key = strdup(key);
	t->e[t->n].text = malloc(len);
	if (t->e[t->n].key == NULL || t->e[t->n].text == NULL) {
		free(t->e[t->n].key);
		free(t->e[t->n].text);
		return -1;
	}
	snprintf(t->e[t->n].text, len, "%s%s%s", row->policy,
		 row->params && *row->params ? " " : "", row->params ? row->params : "");
	t->e[t->n].level = level;
	t->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct table_entry *)a)->key, ((const struct table_entry *)b)->key);
}

static const struct table_entry *table_find(const struct table *t, const char *key)
{
	struct table_entry k = { .key = (char *)key };

	return t->n ? bsearch(&k, t->e, t->n, sizeof(*t->e), entry_cmp) : NULL;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].key);
		free(t->e[i].text);
	}
	free(t->e);
}

/* The table entry Postfix would use for a domain: the domain itself, else
 * the nearest ".parent" entry. */
static void row_current(const struct table *t, struct logscan_row *r)
{
	const struct table_entry *e;
	char parent[POLICY_KEY_MAX];
	const char *p;

	if (r->key[0] == '\0')
		return;
	if ((e = table_find(t, r->key)) != NULL) {
		r->current_exact = 1;
	} else {
		for (p = r->key; (p = strchr(p, '.')) != NULL; p++) {
			snprintf(parent, sizeof(parent), "%s", p);
			if ((e = table_find(t, parent)) != NULL)
				break;
		}
	}
	if (e == NULL)
		return;
	r->has_current = 1;
	r->current_level = e->level;
	snprintf(r->current_key, sizeof(r->current_key), "%s", e->key);
	r->current_text = strdup(e->text);
}

/* A sqlite: URL naming a file that does not exist: there is no table
 * yet, and opening it must not create one. */
static int sqlite_missing(const char *url)
{
	struct stat st;

	return strncmp(url, "sqlite:", 7) == 0 && stat(url + 7, &st) < 0 && errno == ENOENT;
}

/* ---- apply ---------------------------------------------------------------- */

/* Writes the suggestions (see the file header); reports each change on
 * rep (stdout after a table, stderr after JSON or --format output). */
static int apply(struct store *st, struct logscan_row *rows, size_t n, int force, FILE *rep)
{
	struct store_put_item *items;
	struct store_counts counts;
	struct errbuf why;
	size_t k = 0, *idx;
	unsigned long kept = 0;

	items = calloc(n ? n : 1, sizeof(*items));
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (items == NULL || idx == NULL) {
		free(items);
		free(idx);
		cli_error("logscan", "out of memory");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		struct logscan_row *r = &rows[i];

		if (!r->has_suggestion)
			continue;
		if (r->has_current && r->current_exact && !force) {
			fprintf(rep, "kept %s: table has \"%s\" (--force replaces it with %s)\n",
				r->key, r->current_text ? r->current_text : "",
				policy_level_name(r->suggestion));
			kept++;
			continue;
		}
		items[k].domain = r->key;
		items[k].policy = policy_level_name(r->suggestion);
		items[k].params = NULL;
		idx[k] = i;
		k++;
	}
	memset(&counts, 0, sizeof(counts));
	errbuf_clear(&why);
	if (k && store_put_many(st, items, k, &counts, &why) < 0) {
		cli_error("logscan", "database: %s", why.msg);
		free(items);
		free(idx);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < k; i++) {
		const struct logscan_row *r = &rows[idx[i]];

		if (r->has_current && r->current_exact)
			fprintf(rep, "replaced %s: \"%s\" -> %s\n", items[i].domain,
				r->current_text ? r->current_text : "", items[i].policy);
		else
			fprintf(rep, "added %s %s\n", items[i].domain, items[i].policy);
	}
	fprintf(rep, "logscan --apply: %lu added, %lu changed, %lu unchanged, %lu kept\n",
		counts.added, counts.changed, counts.unchanged, kept);
	free(items);
	free(idx);
	return EXIT_OK;
}

/* ---- the command -------------------------------------------------------- */

enum {
	OPT_SINCE = 0x2000, OPT_UNTIL, OPT_DOMAIN, OPT_MIN, OPT_FORMAT, OPT_APPLY,
	OPT_FORCE, OPT_YEAR
};

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int cmd_logscan(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "min-deliveries", required_argument, NULL, OPT_MIN },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "apply", no_argument, NULL, OPT_APPLY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *filters[LOGSCAN_MAX_FILTERS];
	struct logscan_opts opts;
	struct logscan *ls = NULL;
	struct logscan_row *rows = NULL;
	struct table table;
	struct store *st = NULL;
	struct progress pg;
	struct errbuf why;
	struct timespec t0, t1;
	const char *format = NULL, *url;
	const char *stdin_only[] = { "-" };
	const char *const *files;
	unsigned long min = 0, year;
	int have_min = 0, do_apply = 0, force = 0, opt, rc = EXIT_FAIL, nfiles;
	size_t nrows = 0;
	time_t now = time(NULL);
	double secs;

	memset(&opts, 0, sizeof(opts));
	memset(&table, 0, sizeof(table));
	memset(&pg, 0, sizeof(pg));
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_SINCE:
		case OPT_UNTIL:
			if (logscan_parse_time(optarg, now,
					       opt == OPT_SINCE ? &opts.since : &opts.until) < 0) {
				cli_error("logscan", "invalid time \"%s\"", optarg);
				return EXIT_USAGE;
			}
			if (opt == OPT_SINCE)
				opts.has_since = 1;
			else
				opts.has_until = 1;
			break;
		case OPT_DOMAIN: {
			char key[POLICY_KEY_MAX];
			enum policy_key_kind kind;

			if (opts.ndomains == LOGSCAN_MAX_FILTERS) {
				cli_error("logscan", "too many --domain options (max %d)",
					  LOGSCAN_MAX_FILTERS);
				return EXIT_USAGE;
			}
			if (policy_key_normalize(optarg, key, sizeof(key), &kind, &why) < 0 ||
			    kind != POLICY_KEY_DOMAIN) {
				cli_error("logscan", "invalid domain \"%s\"", optarg);
				return EXIT_USAGE;
			}
			filters[opts.ndomains++] = optarg;
			break;
		}
		case OPT_MIN:
			if (parse_ulong(optarg, 1000000000UL, &min) < 0) {
				cli_error("logscan", "invalid --min-deliveries \"%s\"", optarg);
				return EXIT_USAGE;
			}
			have_min = 1;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "postmap") != 0 && strcmp(optarg, "sql") != 0) {
				cli_error("logscan", "--format must be postmap or sql");
				return EXIT_USAGE;
			}
			format = optarg;
			break;
		case OPT_APPLY:
			do_apply = 1;
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_YEAR:
			if (parse_ulong(optarg, 9999, &year) < 0 || year < 1970) {
				cli_error("logscan", "invalid --year \"%s\"", optarg);
				return EXIT_USAGE;
			}
			opts.year = (int)year;
			break;
		case 'h':
			logscan_usage(stdout);
			return EXIT_OK;
		default:
			logscan_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (format && cli->json) {
		cli_error("logscan", "--json and --format exclude each other");
		return EXIT_USAGE;
	}
	if (force && !do_apply && !(format && strcmp(format, "sql") == 0)) {
		cli_error("logscan", "--force needs --apply or --format sql");
		return EXIT_USAGE;
	}
	if (opts.has_since && opts.has_until && opts.until <= opts.since) {
		cli_error("logscan", "--until is not after --since");
		return EXIT_USAGE;
	}
	if (!have_min) {
		long v = config_get_int(cli_config(cli), "logscan_min_deliveries");

		min = v > 0 ? (unsigned long)v : 0;
	} else {
		(void)cli_config(cli);
	}
	opts.domains = filters;
	if (optind < argc) {
		files = (const char *const *)(argv + optind);
		nfiles = argc - optind;
	} else {
		files = stdin_only;
		nfiles = 1;
	}

	/* The table first: with --apply a database problem must stop us
	 * before the (maybe long) scan. */
	url = cli->db_url ? cli->db_url : config_get(cli->cfg, "database");
	errbuf_clear(&why);
	if (do_apply) {
		if (sqlite_missing(url)) {
			cli_error("logscan", "no policy table at %s (tlspolicy db init creates it)", url);
			return EXIT_FAIL;
		}
		if ((st = cli_store(cli)) == NULL)
			return EXIT_FAIL;
	} else if (sqlite_missing(url)) {
		fprintf(stderr, "tlspolicy logscan: no policy table at %s; CURRENT left empty\n", url);
	} else {
		if (store_open(url, &st, &why) < 0) {
			fprintf(stderr, "tlspolicy logscan: policy table not read (%s); "
				"CURRENT left empty\n", why.msg);
			st = NULL;
		}
	}
	if (st && store_list(st, table_add, &table, &why) < 0) {
		if (do_apply) {
			cli_error("logscan", "database: %s", why.msg);
			goto out;
		}
		fprintf(stderr, "tlspolicy logscan: policy table not read (%s); "
			"CURRENT left empty\n", why.msg);
		table_free(&table);
		memset(&table, 0, sizeof(table));
	}
	if (table.n)
		qsort(table.e, table.n, sizeof(*table.e), entry_cmp);
	if (table.invalid)
		fprintf(stderr, "tlspolicy logscan: %lu table rows with an invalid key or "
			"level ignored\n", table.invalid);

	if ((ls = logscan_new(&opts)) == NULL) {
		cli_error("logscan", "out of memory");
		goto out;
	}
	pg.on = isatty(STDERR_FILENO);
	if (pg.on) {
		for (int i = 0; i < nfiles; i++) {
			struct stat sb;

			if (strcmp(files[i], "-") == 0 || stat(files[i], &sb) < 0 ||
			    !S_ISREG(sb.st_mode)) {
				pg.total = 0;
				break;
			}
			pg.total += (unsigned long long)sb.st_size;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < nfiles; i++) {
		errbuf_clear(&why);
		pg.cur = 0;
		if (logscan_file(ls, files[i], pg.on ? progress_cb : NULL, &pg, &why) < 0) {
			progress_clear(&pg);
			cli_error("logscan", "%s", why.msg);
			goto out;
		}
		pg.done += pg.cur;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (pg.on) {
		pg.cur = 0;
		progress_draw(&pg, 1);
		progress_clear(&pg);
	}

	if (logscan_counts(ls)->deliveries && logscan_counts(ls)->tls_sessions == 0)
		fprintf(stderr, "tlspolicy logscan: warning: %lu deliveries but not one TLS "
			"session line; with smtp_tls_loglevel = 0 (Postfix's default) TLS "
			"deliveries look like plaintext: set smtp_tls_loglevel = 1\n",
			logscan_counts(ls)->deliveries);
	nrows = logscan_rows(ls, &rows);
	if (rows == NULL && logscan_ndomains(ls)) {
		cli_error("logscan", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		row_current(&table, &rows[i]);
		logscan_suggest(&rows[i], min);
	}
	if (format && strcmp(format, "postmap") == 0)
		logscan_print_postmap(stdout, rows, nrows, min);
	else if (format)
		logscan_print_sql(stdout, rows, nrows, force);
	else if (cli->json)
		logscan_print_json(stdout, ls, rows, nrows, min);
	else
		logscan_print_table(stdout, ls, rows, nrows);
	rc = EXIT_OK;
	if (do_apply) {
		fflush(stdout);
		rc = apply(st, rows, nrows, force, cli->json || format ? stderr : stdout);
	}

	{
		const struct logscan_counts *c = logscan_counts(ls);

		secs = (double)elapsed_ns(&t0, &t1) / 1e9;
		fprintf(stderr, "tlspolicy logscan: %lu lines, %lu Postfix lines, %lu deliveries, "
			"%zu domains, %.2f s, %.1f MB/s\n",
			c->lines, c->postfix_lines, c->deliveries, logscan_ndomains(ls), secs,
			secs > 0 ? (double)c->bytes / 1e6 / secs : 0.0);
		if (cli->verbose)
			fprintf(stderr, "tlspolicy logscan: %lu other lines, %lu unknown smtp/lmtp "
				"lines, %lu long lines, %lu out of range, %lu TLS sessions, %lu "
				"delivery records, %lu without domain, %lu filtered, %lu evicted "
				"process states, %lu dropped (limits)\n",
				c->other_lines, c->unknown_lines, c->long_lines, c->out_of_range,
				c->tls_sessions, c->delivery_records, c->no_domain, c->filtered,
				c->evicted, c->dropped);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("logscan", "write error: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
out:
	logscan_rows_free(rows, nrows);
	logscan_free(ls);
	table_free(&table);
	if (st)
		store_close(st);
	return rc;
}
