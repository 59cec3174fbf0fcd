/* SPDX-License-Identifier: MIT */
/*
 * cmd_policy.c - tlspolicy policy set|get|delete|list|import|export: the
 * admin's policy table from the command line.
 *
 * Everything written is validated by policy/ first (levels, attributes
 * per level, value syntax, postfix_compatibility) and stored in
 * canonical form: the level in `policy`, the attributes in `params`
 * (NULL when there are none).  Everything read is validated again; a
 * row that does not validate (written by another tool) is reported with
 * its id on stderr and never printed as a policy.
 *
 * import is all or nothing: the whole file is parsed first (every bad
 * line is named as file:line in one run and nothing is imported; a key
 * repeated with the same policy only warns, the first line kept, as
 * postmap does), then written in one transaction.  set and import record
 * each row they add or change in tlspolicy_provenance (store_prov.h;
 * list -v shows it) and refuse "fingerprint" without match=
 * (policy_check_row()).  No subcommand creates a database: db init does.
 *
 * LIMITS: import files up to POLICY_IMPORT_MAX bytes.
 */
#include "cli/cli.h"
#include "util/json.h"
#include "cli/published.h"
#include "engine/sources.h"
#include "mtasts/sts.h"
#include <event2/event.h>
#include <arpa/inet.h>
#include "tlsrpt/jparse.h"
#include "util/buf.h"
#include "util/file.h"
#include "policy/policy.h"
#include "policy/policyfile.h"
#include "store/store.h"
#include "store/store_prov.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define POLICY_IMPORT_MAX POLICYFILE_MAX_SIZE

static const char *const policy_help =
	"usage: tlspolicy policy COMMAND [ARGS]\n"
	"\n"
	"The admin's policy table (tlspolicies: domain, policy, params).\n"
	"\n"
	"Commands:\n"
	"  set KEY LEVEL [ATTR=VALUE ...]   add or replace the policy for KEY\n"
	"  get KEY                          print KEY's policy as Postfix receives it\n"
	"                                   (exit 1 when KEY has no row)\n"
	"  delete KEY                       remove KEY's row (exit 1 when none)\n"
	"  list [-v] [--json]               all rows: DOMAIN POLICY PARAMS; -v adds\n"
	"                                   who wrote each row, when and why\n"
	"  import [--dry-run] [--sync] FILE|-  rows from a Postfix tls_policy source file\n"
	"                                   or a JSON export; --sync: the table = FILE\n"
	"  export [--format postmap|json]   the table as a postmap(1) source (sorted)\n"
	"\n"
	"KEY: domain, .domain (its subdomains), [host], [host]:port, [ipv4],\n"
	"[ipv6], or _default (the level postfix-config puts into main.cf).\n"
	"LEVEL: none may encrypt dane dane-only fingerprint verify secure.\n"
	"\n"
	"Options: --db URL, -c FILE (config), -h/--help.  tlspolicy policy\n"
	"COMMAND --help for one command.  Exit: 0 ok, 1 failed, 2 usage.\n";

/* ---- helpers --------------------------------------------------------- */

static struct policy_opts policy_opts_of(struct cli *cli)
{
	struct policy_opts o;

	memset(&o, 0, sizeof(o));
	o.postfix_compat = config_get_version(cli_config(cli), "postfix_compatibility");
	return o;
}

/* Parses the sub-command's options: only the common ones plus those in
 * extra (NULL-terminated like getopt's table) handled by cb. */
struct subopt {
	const char *usage;
	int dry_run, sync;
	const char *format;
	struct published_force *force;   /* import: --force-weaker */
};

enum { OPT_DRY_RUN = 0x2000, OPT_FORMAT, OPT_SYNC, OPT_FORCE_WEAKER };

/* getopt refused a word: name it; one that looks like a key ("-foo.com":
 * getopt saw options -f -o ...) gets the key's own error as well. */
static int bad_option(int argc, char **argv, struct subopt *so)
{
	const char *bad = argv[optind - 1];
	char norm[POLICY_KEY_MAX];
	struct errbuf why;

	/* inside a cluster of short options optind has not moved on */
	if (optopt && optind < argc && argv[optind][0] == '-' &&
	    argv[optind][1] != '-' && strchr(argv[optind] + 1, optopt))
		bad = argv[optind];
	errbuf_clear(&why);
	if (bad[0] == '-' && bad[1] != '-' && strlen(bad) > 2 &&
	    policy_key_normalize(bad, norm, sizeof(norm), NULL, &why) < 0)
		cli_error("policy", "%s: \"%s\" is not an option, and not a valid key "
			  "either: %s", argv[0], bad, why.msg);
	else
		cli_error("policy", "%s: unknown option or missing argument: %s",
			  argv[0], bad);
	fputs(so->usage, stderr);
	return EXIT_USAGE;
}

static int parse_subopts(struct cli *cli, int argc, char **argv,
			 struct subopt *so)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "sync", no_argument, NULL, OPT_SYNC },
		{ "force-weaker", required_argument, NULL, OPT_FORCE_WEAKER },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:vhn", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'h':
			fputs(so->usage, stdout);
			return EXIT_OK;
		case 'n':
		case OPT_DRY_RUN:
			so->dry_run = 1;
			break;
		case OPT_FORMAT:
			so->format = optarg;
			break;
		case OPT_SYNC:
			so->sync = 1;
			break;
		case OPT_FORCE_WEAKER: {
			struct errbuf why;

			errbuf_clear(&why);
			if (so->force == NULL) {
				cli_error("policy", "%s: unknown option --force-weaker", argv[0]);
				return EXIT_USAGE;
			}
			if (published_force_add(so->force, optarg, &why) < 0) {
				cli_error("policy", "--force-weaker: %s", why.msg);
				return EXIT_USAGE;
			}
			break;
		}
		default:
			return bad_option(argc, argv, so);
		}
	}
	return -1;
}

/* Every command opens an existing database; only `tlspolicy db init`
 * creates one (or its tables). */
static struct store *open_store(struct cli *cli)
{
	return cli_store_open(cli, "policy", 0);
}

/* After a write: say when the provenance could not be recorded. */
static void prov_note(const struct store_counts *c)
{
	if (c->provenance_missing)
		cli_error("policy", "warning: provenance not recorded: the database has "
			  "no table %s yet (tlspolicy db init adds it)", STORE_PROV_TABLE);
}

static int normalize_key(const char *in, char *out, size_t outlen)
{
	struct errbuf why;

	errbuf_clear(&why);
	if (policy_key_normalize(in, out, outlen, NULL, &why) < 0) {
		cli_error("policy", "%s", why.msg);
		return -1;
	}
	return 0;
}

/* Writes untrusted text with control characters replaced. */
static void put_safe(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		fputc(*p >= 0x20 && *p != 0x7f ? *p : '?', out);
}

/* A copy of the table, for commands that sort or align. */
struct rowvec {
	struct store_row *rows;
	size_t n, cap;
};

static int rowvec_add(const struct store_row *row, void *arg)
{
	struct rowvec *v = arg;
	struct store_row *r;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct store_row *nr = realloc(v->rows, cap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		v->rows = nr;
		v->cap = cap;
	}
	r = &v->rows[v->n];
	r->id = row->id;
	r->defect = row->defect;
	r->domain = strdup(row->domain);
	r->policy = strdup(row->policy);
	r->params = row->params ? strdup(row->params) : NULL;
	if (!r->domain || !r->policy || (row->params && !r->params)) {
		store_row_free(r);
		return -1;
	}
	v->n++;
	return 0;
}

static void rowvec_free(struct rowvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		store_row_free(&v->rows[i]);
	free(v->rows);
	memset(v, 0, sizeof(*v));
}

static int rowvec_load(struct store *st, struct rowvec *v)
{
	struct errbuf why;
	int rc;

	memset(v, 0, sizeof(*v));
	errbuf_clear(&why);
	rc = store_list(st, rowvec_add, v, &why);
	if (rc != 0) {
		if (rc == -1 && why.msg[0] == '\0')
			errbuf_set(&why, "out of memory");
		cli_error("policy", "%s", why.msg);
		rowvec_free(v);
		return -1;
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct store_row *x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

static void row_json(FILE *out, const struct store_row *r, int valid, const char *error,
		     const char *text);

/* ---- set / get / delete ---------------------------------------------- */

static int policy_set(struct cli *cli, int argc, char **argv)
{
	struct subopt so = { .usage =
		"usage: tlspolicy policy set KEY LEVEL [ATTR=VALUE ...]\n"
		"\n"
		"Adds or replaces KEY's row.  The policy is checked exactly as Postfix\n"
		"(postfix_compatibility) would accept it and stored in canonical form;\n"
		"fingerprint needs match= (Postfix would defer the mail without it).\n"
		"The word testing among the attributes shadows the row: the daemon\n"
		"answers NOTFOUND for it and logs what it would answer (shadow mode).\n"
		"Example: tlspolicy policy set example.com secure match=nexthop:dot-nexthop\n" };
	struct policy_opts opts;
	char key[POLICY_KEY_MAX], *text = NULL, *params = NULL, *full = NULL;
	struct policy *p = NULL;
	struct store *st = NULL;
	struct errbuf why;
	size_t len = 0;
	char change;
	int rc, shadowed;

	if ((rc = parse_subopts(cli, argc, argv, &so)) >= 0)
		return rc;
	if (argc - optind < 2) {
		fputs(so.usage, stderr);
		return EXIT_USAGE;
	}
	if (cli_refuse_json(cli, "policy"))
		return EXIT_USAGE;
	/* after the options: -c FILE may follow the command */
	opts = policy_opts_of(cli);
	if (normalize_key(argv[optind], key, sizeof(key)) < 0)
		return EXIT_FAIL;
	for (int i = optind + 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > POLICY_MAX_TEXT) {
		cli_error("policy", "policy longer than %d bytes", POLICY_MAX_TEXT);
		return EXIT_FAIL;
	}
	text = calloc(1, len + 1);
	if (text == NULL) {
		cli_error("policy", "out of memory");
		return EXIT_FAIL;
	}
	for (int i = optind + 1; i < argc; i++) {
		if (i > optind + 1)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	rc = EXIT_FAIL;
	errbuf_clear(&why);
	/* the shadow marker (issue 13) is stored, never parsed as an attribute */
	shadowed = policy_strip_testing(text, text, len + 1) == 1;
	if (policy_parse(text, &opts, &p, &why) < 0 || policy_check_row(p, &why) < 0) {
		cli_error("policy", "%s", why.msg);
		goto done;
	}
	params = policy_format_params(p);
	full = policy_format(p);
	if (shadowed && params && full) {
		char *sp = NULL, *sf = NULL;

		if (asprintf(&sp, "%s%s" POLICY_SHADOW_WORD, params, *params ? " " : "") < 0)
			sp = NULL;
		if (asprintf(&sf, "%s " POLICY_SHADOW_WORD, full) < 0)
			sf = NULL;
		free(params);
		free(full);
		params = sp;
		full = sf;
	}
	if (params == NULL || full == NULL) {
		cli_error("policy", "out of memory");
		goto done;
	}
	if (strlen(params) > STORE_PARAMS_MAX) {
		cli_error("policy", "attributes are %zu bytes; the table's params column "
			  "holds %d", strlen(params), STORE_PARAMS_MAX);
		goto done;
	}
	if ((st = open_store(cli)) == NULL)
		goto done;
	{
		struct store_provenance prov = { "policy set", "set by the admin", 0, NULL };
		struct store_put_item it = { key, policy_level_name(p->level), params, &prov };
		struct store_counts c;

		if (store_put_many(st, &it, 1, &c, &why) < 0) {
			cli_error("policy", "%s", why.msg);
			goto done;
		}
		change = c.added ? 'a' : c.changed ? 'c' : 'u';
		prov_note(&c);
	}
	printf("%s: %s: %s\n", key,
	       change == 'a' ? "added" : change == 'c' ? "changed" : "unchanged", full);
	if (change != 'u')
		cli_tell_daemon(cli, SIGHUP, "reload the policy table");
	if (key[0] == '.')
		cli_error("policy", "note: the parent row %s outranks DANE, MTA-STS and "
			  "provider templates for every domain under %s without a row of "
			  "its own (tlspolicy check DOMAIN warns where it is weaker)", key,
			  key + 1);
	rc = EXIT_OK;
done:
	store_close(st);
	policy_free(p);
	free(params);
	free(full);
	free(text);
	return rc;
}

/*
 * The row the daemon's table answers for a bare domain key without a row
 * of its own: the nearest ".parent" row (a.b.c: .b.c, then .c), as the
 * engine walks (engine/engine.c table_find()).  Its key into matched;
 * returns store_get()'s result for the last key tried.
 */
static int parent_row(struct store *st, const char *key, char *matched, size_t len,
		      struct store_row *row, struct errbuf *why)
{
	const char *dot;
	int rc = 0;

	for (dot = strchr(key, '.'); dot && dot[1]; dot = strchr(dot + 1, '.')) {
		if ((rc = store_get(st, dot, row, why)) != 0) {
			if (rc > 0)
				snprintf(matched, len, "%s", dot);
			return rc;
		}
	}
	return 0;
}

/*
 * get and delete: one KEY, an existing table.  Runs store_get() (row
 * not NULL) or store_delete() on the normalised key.  Returns -1 when
 * the row was there, else the exit code (the error printed).  get
 * (matched not NULL): a bare domain without a row of its own gets its
 * nearest parent row, as the daemon answers it; matched is the key of
 * the row found.
 */
static int policy_key_op(struct cli *cli, int argc, char **argv,
			 struct subopt *so, char *key, size_t keylen,
			 struct store_row *row, char *matched, size_t mlen)
{
	enum policy_key_kind kind;
	char tmp[POLICY_KEY_MAX];
	struct store *st;
	struct errbuf why;
	int rc;

	if ((rc = parse_subopts(cli, argc, argv, so)) >= 0)
		return rc;
	if (argc - optind != 1) {
		fputs(so->usage, stderr);
		return EXIT_USAGE;
	}
	if (normalize_key(argv[optind], key, keylen) < 0)
		return EXIT_FAIL;
	if ((st = open_store(cli)) == NULL)
		return EXIT_FAIL;
	errbuf_clear(&why);
	rc = row ? store_get(st, key, row, &why) : store_delete(st, key, &why);
	if (matched)
		snprintf(matched, mlen, "%s", key);
	if (matched && rc == 0) {
		struct errbuf kwhy;

		errbuf_clear(&kwhy);
		if (policy_key_normalize(key, tmp, sizeof(tmp), &kind, &kwhy) == 0 &&
		    kind == POLICY_KEY_DOMAIN)
			rc = parent_row(st, key, matched, mlen, row, &why);
	}
	store_close(st);
	if (rc < 0) {
		cli_error("policy", "%s", why.msg);
		return EXIT_FAIL;
	}
	if (rc == 0) {
		cli_error("policy", "no entry for %s", key);
		return EXIT_FAIL;
	}
	return -1;
}

static int policy_get(struct cli *cli, int argc, char **argv)
{
	struct subopt so = { .usage =
		"usage: tlspolicy policy get [-v] [--json] KEY\n"
		"\n"
		"Prints KEY's policy on one line exactly as Postfix receives it\n"
		"(LEVEL attr=value ...).  A domain without a row of its own gets its\n"
		"nearest parent row (.example.com, .com), as the daemon answers it; the\n"
		"row's key is named on stderr.  -v: \"ROW<TAB>POLICY\", ROW the key of the\n"
		"row that matched.  --json: that row as one policy row object\n"
		"(docs/json.md).  Exit 1 when no row matches KEY or the row is invalid.\n" };
	struct policy_opts opts;
	char key[POLICY_KEY_MAX], matched[POLICY_KEY_MAX], *text = NULL;
	struct store_row row;
	struct policy *p = NULL;
	struct errbuf why;
	int rc;

	if ((rc = policy_key_op(cli, argc, argv, &so, key, sizeof(key), &row, matched,
				sizeof(matched))) >= 0)
		return rc;
	opts = policy_opts_of(cli);
	errbuf_clear(&why);
	rc = store_row_policy(&row, &opts, &p, &why);
	if (rc < 0)
		cli_error("policy", "warning: %s", why.msg);
	else if ((text = policy_format(p)) == NULL)
		cli_error("policy", "out of memory");
	policy_free(p);
	if (cli->json && (rc < 0 || text)) {
		row_json(stdout, &row, rc == 0, why.msg, text);
		fputs("}\n", stdout);
	} else if (text && cli->verbose) {
		printf("%s\t%s\n", matched, text);
	} else if (text) {
		printf("%s\n", text);
	}
	store_row_free(&row);
	if (strcmp(matched, key) != 0)
		cli_error("policy", "%s has no row of its own: the parent row %s matches "
			  "it", key, matched);
	rc = text ? EXIT_OK : EXIT_FAIL;
	free(text);
	return rc;
}

static int policy_delete(struct cli *cli, int argc, char **argv)
{
	struct subopt so = { .usage =
		"usage: tlspolicy policy delete KEY\n"
		"\n"
		"Removes KEY's row.  Exit 1 when there is none.\n" };
	char key[POLICY_KEY_MAX];
	int rc;

	if ((rc = parse_subopts(cli, argc, argv, &so)) >= 0)
		return rc;
	if (cli_refuse_json(cli, "policy"))
		return EXIT_USAGE;
	if ((rc = policy_key_op(cli, argc, argv, &so, key, sizeof(key), NULL, NULL, 0)) >= 0)
		return rc;
	printf("%s: deleted\n", key);
	cli_tell_daemon(cli, SIGHUP, "reload the policy table");
	return EXIT_OK;
}

/* ---- list / export --------------------------------------------------- */

/* Validates every row; reports invalid ones on stderr with their id.
 * valid[i] is set per row. Returns the number of invalid rows. */
static size_t validate_rows(struct cli *cli, struct rowvec *v, char *valid,
			    char **errors, char **texts)
{
	struct policy_opts opts = policy_opts_of(cli);
	size_t bad = 0;

	for (size_t i = 0; i < v->n; i++) {
		struct policy *p;
		struct errbuf why;

		errbuf_clear(&why);
		valid[i] = store_row_policy(&v->rows[i], &opts, &p, &why) == 0;
		if (!valid[i]) {
			cli_error("policy", "warning: %s", why.msg);
			if (errors)
				errors[i] = strdup(why.msg);
			bad++;
			continue;
		}
		if (texts)
			texts[i] = policy_format(p);
		policy_free(p);
	}
	return bad;
}

/* ---- provenance (list -v) ------------------------------------------- */

struct provrec {
	char *domain, *command, *by, *policy, *evidence;
	long long written;
};

struct provvec {
	struct provrec *r;
	size_t n, cap;
	int missing;
};

static int provvec_add(const struct store_prov_row *row, void *arg)
{
	struct provvec *v = arg;
	struct provrec *r;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct provrec *nr = realloc(v->r, cap * sizeof(*nr));

		if (nr == NULL)
			return -1;
		v->r = nr;
		v->cap = cap;
	}
	r = &v->r[v->n];
	r->domain = strdup(row->domain);
	r->command = strdup(row->command);
	r->by = strdup(row->written_by);
	r->policy = strdup(row->policy);
	r->evidence = strdup(row->evidence);
	r->written = row->written;
	v->n++;
	if (!r->domain || !r->command || !r->by || !r->policy || !r->evidence)
		return -1;
	return 0;
}

static void provvec_free(struct provvec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->r[i].domain);
		free(v->r[i].command);
		free(v->r[i].by);
		free(v->r[i].policy);
		free(v->r[i].evidence);
	}
	free(v->r);
	memset(v, 0, sizeof(*v));
}

static int provrec_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct provrec *)a)->domain,
			  ((const struct provrec *)b)->domain);
}

static int provvec_load(struct store *st, struct provvec *v)
{
	struct errbuf why;
	int rc;

	memset(v, 0, sizeof(*v));
	errbuf_clear(&why);
	rc = store_prov_list(st, provvec_add, v, &why);
	if (rc == STORE_PROV_NO_TABLE) {
		v->missing = 1;
		cli_error("policy", "no table %s in %s: nothing is known about who wrote "
			  "the rows (tlspolicy db init adds it)", STORE_PROV_TABLE,
			  store_describe(st));
		return 0;
	}
	if (rc != 0) {
		cli_error("policy", "%s", why.msg[0] ? why.msg : "out of memory");
		provvec_free(v);
		return -1;
	}
	if (v->n > 1)
		qsort(v->r, v->n, sizeof(*v->r), provrec_cmp);
	return 0;
}

static const struct provrec *provvec_find(const struct provvec *v, const char *domain)
{
	struct provrec k = { .domain = (char *)domain };

	return v->n ? bsearch(&k, v->r, v->n, sizeof(*v->r), provrec_cmp) : NULL;
}

/* 1 when the row still holds what tlspolicy wrote. */
static int prov_current(const struct provrec *p, const struct store_row *r)
{
	char now[STORE_PROV_POLICY_MAX + 1];

	snprintf(now, sizeof(now), "%s%s%s", r->policy, r->params && *r->params ? " " : "",
		 r->params ? r->params : "");
	return strcmp(now, p->policy) == 0;
}

static void prov_time(char *out, size_t len, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL || strftime(out, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, len, "-");
}

/* What list shows: the rows, their validity and (-v) provenance. */
struct list_view {
	struct rowvec v;
	struct provvec pv;
	char *valid, **errors, **texts;
	int verbose;
};

/* The provenance member of one JSON row. */
static void list_json_prov(const struct provrec *p, const struct store_row *r)
{
	fputs(", \"provenance\": ", stdout);
	if (p == NULL) {
		fputs("null", stdout);
		return;
	}
	fputs("{\"command\": ", stdout);
	json_fput_str(stdout, p->command, JSON_LATIN1);
	printf(", \"written\": %lld, \"written_by\": ", p->written);
	json_fput_str(stdout, p->by, JSON_LATIN1);
	fputs(", \"policy\": ", stdout);
	json_fput_str(stdout, p->policy, JSON_LATIN1);
	fputs(", \"evidence\": ", stdout);
	json_fput_str(stdout, p->evidence, JSON_LATIN1);
	printf(", \"current\": %s}", prov_current(p, r) ? "true" : "false");
}

/*
 * One policy row as JSON: the "policy row" object of docs/json.md, the
 * same for list, get and export (and what import reads back):
 * {"id", "domain", "policy", "params" (null when none), "valid",
 *  "text" (LEVEL attr=value ... as Postfix receives it; null when the
 *  row is invalid)[, "error"][, "provenance"]}.
 */
static void row_json(FILE *out, const struct store_row *r, int valid, const char *error,
		     const char *text)
{
	fprintf(out, "{\"id\": %lu, \"domain\": ", r->id);
	json_fput_str(out, r->domain, JSON_LATIN1);
	fputs(", \"policy\": ", out);
	json_fput_str(out, r->policy, JSON_LATIN1);
	fputs(", \"params\": ", out);
	if (r->params && *r->params)
		json_fput_str(out, r->params, JSON_LATIN1);
	else
		fputs("null", out);
	fprintf(out, ", \"valid\": %s, \"text\": ", valid ? "true" : "false");
	if (valid && text)
		json_fput_str(out, text, JSON_LATIN1);
	else
		fputs("null", out);
	if (!valid && error) {
		fputs(", \"error\": ", out);
		json_fput_str(out, error, JSON_LATIN1);
	}
}

static void list_json(const struct list_view *lv)
{
	fputc('[', stdout);
	for (size_t i = 0; i < lv->v.n; i++) {
		struct store_row *r = &lv->v.rows[i];

		fputs(i ? ",\n  " : "\n  ", stdout);
		row_json(stdout, r, lv->valid[i], lv->errors[i], lv->texts[i]);
		if (lv->verbose)
			list_json_prov(provvec_find(&lv->pv, r->domain), r);
		fputc('}', stdout);
	}
	fputs(lv->v.n ? "\n]\n" : "]\n", stdout);
}

struct list_widths {
	size_t d, p, q, t, b;   /* DOMAIN POLICY PARAMS WRITTEN BY */
};

static void pad(size_t from, size_t to)
{
	for (size_t n = from; n < to; n++)
		fputc(' ', stdout);
}

/* The WRITTEN, BY and EVIDENCE columns of one row (-v). */
static void list_text_prov(const struct list_view *lv, const struct list_widths *w,
			   const struct store_row *r, size_t q)
{
	const struct provrec *p = provvec_find(&lv->pv, r->domain);
	char when[32], by[STORE_PROV_COMMAND_MAX + STORE_PROV_BY_MAX + 8];

	pad(q, w->q + 2);
	prov_time(when, sizeof(when), p ? p->written : 0);
	snprintf(by, sizeof(by), "%s%s%s%s", p ? p->command : "-",
		 p ? " (" : "", p ? p->by : "", p ? ")" : "");
	printf("%-*s  ", (int)w->t, when);
	put_safe(stdout, by);
	pad(strlen(by), w->b + 2);
	if (p == NULL) {
		fputs(lv->pv.missing ? "(no provenance table)"
			 : "(no provenance: written by another tool, or "
			   "before tlspolicy recorded it)", stdout);
		return;
	}
	if (!prov_current(p, r)) {
		fputs("changed since by another tool; tlspolicy wrote \"", stdout);
		put_safe(stdout, p->policy);
		fputs("\": ", stdout);
	}
	put_safe(stdout, p->evidence);
}

/* Column widths and the header line. */
static void list_text_header(const struct list_view *lv, struct list_widths *w)
{
	*w = (struct list_widths){ 6, 6, 6, 16, 2 };
	for (size_t i = 0; i < lv->v.n; i++) {
		if (strlen(lv->v.rows[i].domain) > w->d)
			w->d = strlen(lv->v.rows[i].domain);
		if (strlen(lv->v.rows[i].policy) > w->p)
			w->p = strlen(lv->v.rows[i].policy);
	}
	if (!lv->verbose) {
		printf("%-*s  %-*s  %s\n", (int)w->d, "DOMAIN", (int)w->p, "POLICY", "PARAMS");
		return;
	}
	for (size_t i = 0; i < lv->v.n; i++) {
		const struct provrec *p = provvec_find(&lv->pv, lv->v.rows[i].domain);
		size_t q = (lv->v.rows[i].params ? strlen(lv->v.rows[i].params) : 0) +
			   (lv->valid[i] ? 0 : 24);

		if (q > w->q)
			w->q = q;
		if (p && strlen(p->command) + strlen(p->by) + 3 > w->b)
			w->b = strlen(p->command) + strlen(p->by) + 3;
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w->d, "DOMAIN", (int)w->p,
	       "POLICY", (int)w->q, "PARAMS", (int)w->t, "WRITTEN", (int)w->b, "BY",
	       "EVIDENCE");
}

static void list_text(const struct list_view *lv)
{
	struct list_widths w;

	list_text_header(lv, &w);
	for (size_t i = 0; i < lv->v.n; i++) {
		struct store_row *r = &lv->v.rows[i];
		size_t q;

		put_safe(stdout, r->domain);
		pad(strlen(r->domain), w.d + 2);
		put_safe(stdout, r->policy);
		if ((r->params && *r->params) || !lv->valid[i] || lv->verbose)
			pad(strlen(r->policy), w.p + 2);
		put_safe(stdout, r->params ? r->params : "");
		q = r->params ? strlen(r->params) : 0;
		if (!lv->valid[i])
			q += (size_t)printf("%s(INVALID, row id %lu)",
					    r->params && *r->params ? "  " : "", r->id);
		if (lv->verbose)
			list_text_prov(lv, &w, r, q);
		fputc('\n', stdout);
	}
}

static void list_view_free(struct list_view *lv)
{
	for (size_t i = 0; lv->errors && i < lv->v.n; i++)
		free(lv->errors[i]);
	for (size_t i = 0; lv->texts && i < lv->v.n; i++)
		free(lv->texts[i]);
	free(lv->errors);
	free(lv->texts);
	free(lv->valid);
	rowvec_free(&lv->v);
	provvec_free(&lv->pv);
}

static int policy_list(struct cli *cli, int argc, char **argv)
{
	struct subopt so = { .usage =
		"usage: tlspolicy policy list [-v] [--json]\n"
		"\n"
		"All rows ordered by domain: an aligned DOMAIN POLICY PARAMS table, or\n"
		"with --json an array of policy row objects (docs/json.md): {id, domain,\n"
		"policy, params, valid, text[, error]}.\n"
		"Rows that no longer validate are reported on stderr by their id and\n"
		"marked INVALID.\n"
		"  -v   also WRITTEN, BY and EVIDENCE: when, by which command (and\n"
		"       user@host) and from what evidence tlspolicy wrote the row (table\n"
		"       tlspolicy_provenance; JSON: a provenance member); a row changed\n"
		"       since by another tool says so\n" };
	struct list_view lv;
	struct store *st;
	int rc;

	memset(&lv, 0, sizeof(lv));
	if ((rc = parse_subopts(cli, argc, argv, &so)) >= 0)
		return rc;
	if (argc != optind) {
		fputs(so.usage, stderr);
		return EXIT_USAGE;
	}
	lv.verbose = cli->verbose > 0;
	if ((st = open_store(cli)) == NULL)
		return EXIT_FAIL;
	rc = rowvec_load(st, &lv.v);
	if (rc == 0 && lv.verbose && provvec_load(st, &lv.pv) < 0) {
		rowvec_free(&lv.v);
		rc = -1;
	}
	store_close(st);
	if (rc < 0)
		return EXIT_FAIL;
	if (lv.v.n > 1)
		qsort(lv.v.rows, lv.v.n, sizeof(*lv.v.rows), row_cmp);
	lv.valid = calloc(lv.v.n + 1, 1);
	lv.errors = calloc(lv.v.n + 1, sizeof(*lv.errors));
	lv.texts = calloc(lv.v.n + 1, sizeof(*lv.texts));
	if (lv.valid == NULL || lv.errors == NULL || lv.texts == NULL) {
		cli_error("policy", "out of memory");
		list_view_free(&lv);
		return EXIT_FAIL;
	}
	validate_rows(cli, &lv.v, lv.valid, lv.errors, lv.texts);
	if (cli->json)
		list_json(&lv);
	else
		list_text(&lv);
	list_view_free(&lv);
	return EXIT_OK;
}

static int policy_export(struct cli *cli, int argc, char **argv)
{
	struct subopt so = { .usage =
		"usage: tlspolicy policy export [--format postmap|json]\n"
		"\n"
		"Writes the table to stdout, sorted by key.  postmap (default): a Postfix\n"
		"tls_policy source file, 'KEY LEVEL attr=value ...', for\n"
		"'postmap hash:FILE'.  json (or --json): an array of the policy row\n"
		"objects of policy list --json (docs/json.md), which policy import reads.\n"
		"Rows that do not validate are left out and reported by their id\n"
		"(exit 1).\n" };
	struct rowvec v;
	struct store *st;
	char *valid, **texts;
	size_t bad, w = 0, good = 0;
	int rc, json;

	if ((rc = parse_subopts(cli, argc, argv, &so)) >= 0)
		return rc;
	if (argc != optind) {
		fputs(so.usage, stderr);
		return EXIT_USAGE;
	}
	json = cli->json;
	if (so.format) {
		if (strcmp(so.format, "json") == 0) {
			json = 1;
		} else if (strcmp(so.format, "postmap") == 0) {
			json = 0;
		} else {
			cli_error("policy", "unknown export format \"%s\" (postmap, json)",
				  so.format);
			return EXIT_USAGE;
		}
	}
	if ((st = open_store(cli)) == NULL)
		return EXIT_FAIL;
	rc = rowvec_load(st, &v);
	if (rc < 0) {
		store_close(st);
		return EXIT_FAIL;
	}
	if (v.n > 1)
		qsort(v.rows, v.n, sizeof(*v.rows), row_cmp);
	valid = calloc(v.n + 1, 1);
	texts = calloc(v.n + 1, sizeof(*texts));
	if (valid == NULL || texts == NULL) {
		cli_error("policy", "out of memory");
		rc = EXIT_FAIL;
		goto done;
	}
	bad = validate_rows(cli, &v, valid, NULL, texts);
	for (size_t i = 0; i < v.n; i++) {
		if (valid[i] && texts[i] == NULL) {
			cli_error("policy", "out of memory");
			rc = EXIT_FAIL;
			goto done;
		}
		if (valid[i]) {
			good++;
			if (strlen(v.rows[i].domain) > w)
				w = strlen(v.rows[i].domain);
		}
	}
	if (json) {
		int first = 1;

		fputc('[', stdout);
		for (size_t i = 0; i < v.n; i++) {
			if (!valid[i])
				continue;
			fputs(first ? "\n  " : ",\n  ", stdout);
			first = 0;
			row_json(stdout, &v.rows[i], 1, NULL, texts[i]);
			fputc('}', stdout);
		}
		fputs(good ? "\n]\n" : "]\n", stdout);
	} else {
		size_t shadowed = 0;

		/* a shadowed row (testing) is NOTFOUND in the daemon: left out */
		for (size_t i = 0; i < v.n; i++)
			if (valid[i] && store_row_shadowed(&v.rows[i])) {
				valid[i] = 0;
				good--;
				shadowed++;
			}
		printf("# Postfix TLS policy table (smtp_tls_policy_maps), exported by\n"
		       "# tlspolicy %s from %s.\n"
		       "# %zu entries, sorted.  Build with: postmap hash:FILE\n"
		       "# Edit the table (tlspolicy policy set/import), not this file.\n",
		       TLSPOLICY_VERSION, store_describe(st), good);
		if (bad)
			printf("# %zu invalid row(s) left out; see tlspolicy policy list.\n", bad);
		if (shadowed)
			printf("# %zu shadowed row(s) (params: testing) left out: the daemon "
			       "answers NOTFOUND for them.\n", shadowed);
		for (size_t i = 0; i < v.n; i++)
			if (valid[i])
				printf("%-*s %s\n", (int)w, v.rows[i].domain, texts[i]);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("policy", "export: write error: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto done;
	}
	rc = bad ? EXIT_FAIL : EXIT_OK;
done:
	store_close(st);
	for (size_t i = 0; texts && i < v.n; i++)
		free(texts[i]);
	free(texts);
	free(valid);
	rowvec_free(&v);
	return rc;
}

/* ---- import ---------------------------------------------------------- */

/* Reads all of path ("-": stdin) up to POLICY_IMPORT_MAX bytes. */
static char *read_all(const char *path, size_t *lenp)
{
	int is_stdin = strcmp(path, "-") == 0, err = 0;
	FILE *fp = is_stdin ? stdin : fopen(path, "r");
	char *data;

	if (fp == NULL) {
		cli_error("policy", "%s: %s", path, strerror(errno));
		return NULL;
	}
	errno = 0;
	switch (file_read_stream(fp, POLICY_IMPORT_MAX, &data, lenp, &err)) {
	case FILE_OK:
		break;
	case FILE_ERR_TOO_LARGE:
		cli_error("policy", "%s: larger than %u bytes", path, POLICY_IMPORT_MAX);
		break;
	case FILE_ERR_NOMEM:
		cli_error("policy", "%s: out of memory", path);
		break;
	case FILE_ERR_READ:
	case FILE_ERR_OPEN:
		cli_error("policy", "%s: read error: %s", path, strerror(err));
		break;
	}
	if (!is_stdin)
		fclose(fp);
	return data;
}

/*
 * An `export --format json` (or `list --json`) file as the postmap text
 * policyfile_parse_report() reads: "DOMAIN POLICY PARAMS" for each
 * policy row object, element N of the array on line N, so messages name
 * FILE:N with N the element's number.  Parsed by the strict JSON parser
 * (tlsrpt/jparse.h).  Returns the new text, or NULL after printing every
 * bad element.
 */
static int json_str_ok(const struct jp_node *v, int may_be_null)
{
	if (v == NULL || v->type == JP_NULL)
		return may_be_null;
	return v->type == JP_STRING && strpbrk(v->str, "\n\r#") == NULL;
}

static char *json_to_postmap(const char *data, size_t len, const char *origin, size_t *outlen)
{
	struct jp_node *doc;
	struct errbuf why;
	struct buf b;
	unsigned bad = 0, k = 0;
	int err = 0;
	char *out = NULL;

	errbuf_clear(&why);
	if ((doc = jp_parse(data, len, &why)) == NULL) {
		cli_error("policy", "%s: not valid JSON: %s; nothing imported", origin, why.msg);
		return NULL;
	}
	if (doc->type != JP_ARRAY) {
		cli_error("policy", "%s: a JSON import is an array of policy row objects "
			  "(docs/json.md); nothing imported", origin);
		jp_free(doc);
		return NULL;
	}
	buf_init(&b, POLICY_IMPORT_MAX * 2);
	for (const struct jp_node *e = doc->child; e; e = e->next) {
		const struct jp_node *d = jp_get(e, "domain"), *pol = jp_get(e, "policy"),
				     *par = jp_get(e, "params"), *txt = jp_get(e, "text");
		int has_par = par && par->type == JP_STRING;

		k++;
		if (e->type != JP_OBJECT || !json_str_ok(d, 0) ||
		    !(pol ? json_str_ok(pol, 0) && json_str_ok(par, 1) : json_str_ok(txt, 0))) {
			cli_error("policy", "%s:%u: element %u is not a policy row object: it "
				  "needs \"domain\" and \"policy\" (with \"params\", a string or "
				  "null) or \"text\", strings on one line", origin, k, k);
			bad++;
			err |= buf_puts(&b, "\n") < 0;
			continue;
		}
		if (pol)
			err |= buf_printf(&b, "%s %s%s%s\n", d->str, pol->str,
					  has_par && *par->str ? " " : "", has_par ? par->str : "") < 0;
		else
			err |= buf_printf(&b, "%s %s\n", d->str, txt->str) < 0;
	}
	jp_free(doc);
	if (bad) {
		cli_error("policy", "%s: %u invalid element%s; nothing imported", origin, bad,
			  bad == 1 ? "" : "s");
	} else if (err || (out = malloc(b.len + 1)) == NULL) {
		cli_error("policy", "%s: out of memory", origin);
	} else {
		if (b.len)
			memcpy(out, b.data, b.len);
		out[b.len] = '\0';
		*outlen = b.len;
	}
	buf_free(&b);
	return out;
}

/* What the table can hold, checked per line of an import. */
static int import_check(const struct policyfile_entry *e, void *arg, struct errbuf *why)
{
	char *params;
	size_t plen;

	(void)arg;
	if (strlen(e->key) > STORE_DOMAIN_MAX)
		return errbuf_set(why, "%s: key longer than the table's %d bytes", e->key,
				  STORE_DOMAIN_MAX);
	if (policy_check_row(e->policy, why) < 0)
		return errbuf_prefix(why, "%s", e->key);
	if ((params = policy_format_params(e->policy)) == NULL)
		return errbuf_set(why, "out of memory");
	plen = strlen(params);
	free(params);
	if (plen > STORE_PARAMS_MAX)
		return errbuf_set(why, "%s: attributes are %zu bytes; the table's params "
				  "column holds %d", e->key, plen, STORE_PARAMS_MAX);
	return 0;
}

/* One line of an import's diff. */
struct import_change {
	const char *change;   /* "added", "changed", "removed", "kept" */
	const char *domain;
	char *old, *new;      /* LEVEL attr=value ..., NULL: none */
};

static char *row_text(const struct store_row *r)
{
	char *t;

	if (asprintf(&t, "%s%s%s", r->policy, r->params && *r->params ? " " : "",
		     r->params ? r->params : "") < 0)
		return NULL;
	return t;
}

static const struct store_row *rowvec_find(const struct rowvec *v, const char *key)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcasecmp(v->rows[i].domain, key) == 0)
			return &v->rows[i];
	return NULL;
}

static int entry_in(const struct store_put_item *items, size_t n, const char *domain)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(items[i].domain, domain) == 0)
			return 1;
	return 0;
}

static void import_print(const char *origin, int dry_run, int sync, const struct store_counts *c,
			 const struct import_change *ch, size_t nch, int json)
{
	size_t wc = 6, wd = 6, wo = 3;

	if (json) {
		printf("{\"file\": ");
		json_fput_str(stdout, origin, 0);
		printf(", \"dry_run\": %s, \"sync\": %s, \"added\": %lu, \"changed\": %lu, "
		       "\"removed\": %lu, \"unchanged\": %lu, \"changes\": [",
		       dry_run ? "true" : "false", sync ? "true" : "false", c->added, c->changed,
		       c->removed, c->unchanged);
		for (size_t i = 0; i < nch; i++) {
			printf("%s\n  {\"change\": \"%s\", \"domain\": ", i ? "," : "", ch[i].change);
			json_fput_str(stdout, ch[i].domain, JSON_LATIN1);
			fputs(", \"old\": ", stdout);
			if (ch[i].old)
				json_fput_str(stdout, ch[i].old, JSON_LATIN1);
			else
				fputs("null", stdout);
			fputs(", \"new\": ", stdout);
			if (ch[i].new)
				json_fput_str(stdout, ch[i].new, JSON_LATIN1);
			else
				fputs("null", stdout);
			fputc('}', stdout);
		}
		fputs(nch ? "\n]}\n" : "]}\n", stdout);
		return;
	}
	printf("%s%s: %lu added, %lu changed, ", dry_run ? "dry run, nothing written: " : "",
	       origin, c->added, c->changed);
	if (sync)
		printf("%lu removed, ", c->removed);
	printf("%lu unchanged\n", c->unchanged);
	if (!dry_run || nch == 0)
		return;
	for (size_t i = 0; i < nch; i++) {
		if (strlen(ch[i].change) > wc)
			wc = strlen(ch[i].change);
		if (strlen(ch[i].domain) > wd)
			wd = strlen(ch[i].domain);
		if (ch[i].old && strlen(ch[i].old) > wo)
			wo = strlen(ch[i].old);
	}
	printf("%-*s  %-*s  %-*s  %s\n", (int)wc, "CHANGE", (int)wd, "DOMAIN", (int)wo, "OLD", "NEW");
	for (size_t i = 0; i < nch; i++) {
		printf("%-*s  ", (int)wc, ch[i].change);
		put_safe(stdout, ch[i].domain);
		pad(strlen(ch[i].domain), wd + 2);
		put_safe(stdout, ch[i].old ? ch[i].old : "-");
		pad(ch[i].old ? strlen(ch[i].old) : 1, wo + 2);
		put_safe(stdout, ch[i].new ? ch[i].new : "-");
		fputc('\n', stdout);
	}
}

/* ---- import --sync: never weaker than published ------------------- */

struct judge_dom {
	const struct import_change *ch;
	struct published pub;
	int have;
};

static void judge_cb(void *arg, const struct published *res)
{
	struct judge_dom *d = arg;

	d->pub = *res;
	d->have = 1;
}

/* A bare domain: the keys discovery answers (not _default, .parent,
 * [host], addresses). */
static int key_is_domain(const char *k)
{
	unsigned char b[16];

	return k[0] != '.' && k[0] != '[' && strcmp(k, "_default") != 0 &&
	       inet_pton(AF_INET, k, b) != 1 && inet_pton(AF_INET6, k, b) != 1;
}

/*
 * Every added or changed row of a bare domain against what the domain
 * publishes (cli/published.h, the daemon's discovery without the
 * table): a row weaker than that, or for a domain whose publication
 * cannot be found out, is refused unless --force-weaker names it.
 * Returns the number refused (each printed), or -1 on a setup error.
 */
static long import_judge(struct cli *cli, const struct import_change *ch, size_t nch,
			 struct published_force *force)
{
	const struct config *cfg = cli_config(cli);
	struct event_base *base = NULL;
	struct engine_sources *srcs = NULL;
	struct published_ctx *pc = NULL;
	struct judge_dom *d = calloc(nch + 1, sizeof(*d));
	struct errbuf why;
	size_t nd = 0;
	long refused = -1;

	errbuf_clear(&why);
	if (d == NULL || (base = event_base_new()) == NULL) {
		cli_error("policy", "out of memory");
		goto out;
	}
	if (engine_sources_new(base, cfg, NULL, cli->db_url, STS_PERSIST_LOAD, &srcs, &why) < 0 ||
	    (pc = published_new(base, cfg, srcs, &why)) == NULL) {
		cli_error("policy", "cannot find out what the domains publish: %s", why.msg);
		goto out;
	}
	for (size_t i = 0; i < nch; i++) {
		if (ch[i].new == NULL || strcmp(ch[i].change, "kept") == 0 ||
		    !key_is_domain(ch[i].domain))
			continue;
		d[nd].ch = &ch[i];
		published_lookup(pc, ch[i].domain, judge_cb, &d[nd]);
		nd++;
	}
	published_wait(pc);
	refused = 0;
	for (size_t i = 0; i < nd; i++) {
		char w[1024];
		enum published_verdict v;

		if (!d[i].have)
			d[i].pub.kind = PUBLISHED_UNKNOWN;
		v = published_judge(&d[i].pub, d[i].ch->domain, d[i].ch->new, w, sizeof(w));
		if (v != PUBLISHED_WEAKER && v != PUBLISHED_NOT_KNOWN)
			continue;
		if (published_forced(force, d[i].ch->domain)) {
			cli_error("policy", "%s: written although %s (--force-weaker)",
				  d[i].ch->domain, w);
			continue;
		}
		cli_error("policy", "%s: \"%s\" refused: %s (--force-weaker %s writes it)",
			  d[i].ch->domain, d[i].ch->new, w, d[i].ch->domain);
		refused++;
	}
	for (size_t i = 0; i < force->n; i++)
		if (!force->used[i])
			cli_error("policy", "warning: --force-weaker %s: no row of the file needed it",
				  force->key[i]);
out:
	published_free(pc);
	engine_sources_free(srcs);
	if (base)
		event_base_free(base);
	free(d);
	return refused;
}

/* What an import writes: the items for store_put_many_ex() and the
 * diff it prints. */
struct import_plan {
	struct policyfile_entry *ents;
	size_t n;                       /* entries of the file */
	char *text;                     /* the file (as postmap text) */
	struct rowvec cur;              /* the table before */
	struct store_put_item *items;
	size_t nitems;
	struct store_provenance *provs;
	char **params, **evidence;
	struct import_change *ch;
	size_t nch;
};

static void import_plan_free(struct import_plan *pl)
{
	for (size_t i = 0; pl->ch && i < pl->nch; i++) {
		free(pl->ch[i].old);
		free(pl->ch[i].new);
	}
	free(pl->ch);
	rowvec_free(&pl->cur);
	for (size_t i = 0; pl->params && i < pl->n; i++)
		free(pl->params[i]);
	for (size_t i = 0; pl->evidence && i < pl->n; i++)
		free(pl->evidence[i]);
	free(pl->evidence);
	free(pl->provs);
	free(pl->params);
	free(pl->items);
	policyfile_free(pl->ents, pl->n);
	free(pl->text);
}

/* Reads and parses path (postmap source, or a JSON export) into
 * pl->ents; 0, or -1 after printing every bad line. */
static int import_read(struct cli *cli, const char *path, const char *origin,
		       struct import_plan *pl)
{
	struct policy_opts opts = policy_opts_of(cli);
	struct policyfile_opts fopts;
	struct policyfile_report rep;
	size_t len, i;
	char *conv;
	int rc;

	if ((pl->text = read_all(path, &len)) == NULL)
		return -1;
	/* JSON: '[' then '{' or ']' (a postmap line may start "[host]") */
	i = strspn(pl->text, " \t\r\n");
	if (i < len && pl->text[i] == '[' &&
	    (i += 1 + strspn(pl->text + i + 1, " \t\r\n")) < len &&
	    (pl->text[i] == '{' || pl->text[i] == ']')) {
		conv = json_to_postmap(pl->text, len, origin, &len);
		free(pl->text);
		if ((pl->text = conv) == NULL)
			return -1;
	}
	memset(&fopts, 0, sizeof(fopts));
	fopts.policy = &opts;
	fopts.check = import_check;
	rc = policyfile_parse_report(pl->text, len, origin, &fopts, &pl->ents, &pl->n, &rep);
	for (i = 0; i < rep.n; i++)
		cli_error("policy", "%s", rep.msg[i].text);
	if (rep.errors + rep.warnings > rep.n)
		cli_error("policy", "%s: %zu more messages not shown", origin,
			  rep.errors + rep.warnings - rep.n);
	if (rc < 0)
		cli_error("policy", "%s: %zu invalid line%s; nothing imported", origin,
			  rep.errors, rep.errors == 1 ? "" : "s");
	policyfile_report_free(&rep);
	return rc < 0 ? -1 : 0;
}

/* The items and the diff against pl->cur: every entry (added, changed
 * or unchanged), with sync also the removal of every other row but
 * _default ("kept").  0, or -1 (out of memory, printed). */
static int import_plan_build(struct import_plan *pl, const char *origin, int sync)
{
	size_t n = pl->n, m = pl->cur.n;

	pl->items = calloc(n + m + 1, sizeof(*pl->items));
	pl->ch = calloc(n + m + 1, sizeof(*pl->ch));
	pl->params = calloc(n + 1, sizeof(*pl->params));
	pl->provs = calloc(n + 1, sizeof(*pl->provs));
	pl->evidence = calloc(n + 1, sizeof(*pl->evidence));
	if (!pl->items || !pl->ch || !pl->params || !pl->provs || !pl->evidence)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const struct store_row *old = rowvec_find(&pl->cur, pl->ents[i].key);
		struct store_put_item *it = &pl->items[i];
		struct import_change *c = &pl->ch[pl->nch];

		if ((pl->params[i] = policy_format_params(pl->ents[i].policy)) != NULL &&
		    pl->ents[i].shadowed) {
			char *sp = NULL;

			if (asprintf(&sp, "%s%s" POLICY_SHADOW_WORD, pl->params[i],
				     *pl->params[i] ? " " : "") < 0)
				sp = NULL;
			free(pl->params[i]);
			pl->params[i] = sp;
		}
		if (pl->params[i] == NULL ||
		    asprintf(&pl->evidence[i], "%s:%u", origin, pl->ents[i].line) < 0) {
			pl->evidence[i] = NULL;
			goto nomem;
		}
		pl->provs[i].command = "policy import";
		pl->provs[i].evidence = pl->evidence[i];
		it->domain = pl->ents[i].key;
		it->policy = policy_level_name(pl->ents[i].policy->level);
		it->params = pl->params[i];
		it->prov = &pl->provs[i];
		if (old && strcasecmp(old->policy, it->policy) == 0 &&
		    strcmp(old->params ? old->params : "", it->params) == 0)
			continue;
		c->change = old ? "changed" : "added";
		c->domain = it->domain;
		c->old = old ? row_text(old) : NULL;
		if (asprintf(&c->new, "%s%s%s", it->policy, *it->params ? " " : "", it->params) < 0)
			c->new = NULL;
		pl->nch++;
	}
	pl->nitems = n;
	for (size_t i = 0; sync && i < m; i++) {
		const struct store_row *r = &pl->cur.rows[i];
		struct import_change *c = &pl->ch[pl->nch];

		if (entry_in(pl->items, n, r->domain))
			continue;
		c->domain = r->domain;
		c->old = row_text(r);
		pl->nch++;
		if (strcasecmp(r->domain, "_default") == 0) {
			c->change = "kept";
			c->new = row_text(r);
			cli_error("policy", "--sync: %s has no _default row; the table's "
				  "(_default %s) is kept (tlspolicy policy delete _default removes it)",
				  origin, c->old ? c->old : "");
			continue;
		}
		c->change = "removed";
		pl->items[pl->nitems].domain = r->domain;
		pl->items[pl->nitems].policy = NULL;
		pl->nitems++;
	}
	return 0;
nomem:
	cli_error("policy", "out of memory");
	return -1;
}

static int policy_import(struct cli *cli, int argc, char **argv)
{
	struct subopt so = { .usage =
		"usage: tlspolicy policy import [--dry-run] [--sync] [--json] FILE|-\n"
		"\n"
		"Adds or replaces the rows of a Postfix tls_policy source file (postmap\n"
		"syntax: 'KEY LEVEL attr=value ...', # comments, blank lines, lines\n"
		"starting with whitespace continue the previous one), or of a JSON file\n"
		"written by 'policy export --format json' (a file that starts with '['\n"
		"and '{' or ']', white space aside; docs/json.md; FILE:N below is then\n"
		"element N).  All or nothing: every\n"
		"invalid line is named as FILE:LINE and nothing is imported.  A key\n"
		"repeated with the same policy is a warning and the first line is kept\n"
		"(as postmap does); repeated with another policy it is an error.  Rows\n"
		"not in the file are kept.  Prints the counts added/changed/unchanged.\n"
		"  -n, --dry-run   check and count, write nothing; prints the diff:\n"
		"                  CHANGE DOMAIN OLD NEW, one line per added, changed or\n"
		"                  removed row\n"
		"  --sync          make the table the file: rows not in the file are\n"
		"                  removed too, in the same transaction.  _default is never\n"
		"                  removed this way: when the file has no _default the row\n"
		"                  is kept and reported as \"kept\" (remove it with\n"
		"                  'policy delete _default')\n"
		"                  (and never weaker: each added or changed row of a domain is\n"
		"                  compared with what the domain publishes, as logscan --apply\n"
		"                  does; a weaker row, or one for a domain whose publication\n"
		"                  cannot be found out, refuses the whole import)\n"
		"  --force-weaker DOMAIN  with --sync: write DOMAIN's row anyway (repeatable)\n"
		"  --json          the counts and the diff as one JSON object (docs/json.md)\n" };
	static struct published_force force;
	struct import_plan pl;
	struct store_counts c;
	struct store *st = NULL;
	struct errbuf why;
	const char *origin;
	long refused = 0;
	int rc;

	memset(&pl, 0, sizeof(pl));
	so.force = &force;
	if ((rc = parse_subopts(cli, argc, argv, &so)) >= 0)
		return rc;
	if (force.n && !so.sync) {
		cli_error("policy", "--force-weaker needs --sync");
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		fputs(so.usage, stderr);
		return EXIT_USAGE;
	}
	origin = strcmp(argv[optind], "-") == 0 ? "stdin" : argv[optind];
	rc = EXIT_FAIL;
	errbuf_clear(&why);
	/* the options first: -c FILE may follow the command */
	if (import_read(cli, argv[optind], origin, &pl) < 0 || (st = open_store(cli)) == NULL ||
	    rowvec_load(st, &pl.cur) < 0 || import_plan_build(&pl, origin, so.sync) < 0)
		goto done;
	if (so.sync && (refused = import_judge(cli, pl.ch, pl.nch, &force)) != 0) {
		if (refused > 0)
			cli_error("policy", "%s: %ld row%s weaker than published or for a "
				  "domain whose publication is unknown; nothing %s", origin,
				  refused, refused == 1 ? "" : "s",
				  so.dry_run ? "would be imported" : "imported");
		if (refused < 0 || !so.dry_run)
			goto done;
	}
	if (store_put_many_ex(st, pl.items, pl.nitems, so.dry_run ? STORE_DRY_RUN : 0, &c,
			      &why) < 0) {
		cli_error("policy", "%s: nothing imported: %s", origin, why.msg);
		goto done;
	}
	if (pl.nitems == 0)
		memset(&c, 0, sizeof(c));
	import_print(origin, so.dry_run, so.sync, &c, pl.ch, pl.nch, cli->json);
	if (!so.dry_run)
		prov_note(&c);
	/* (with --sync also rows removed: a reload that changed nothing
	 * logs nothing) */
	if (!so.dry_run)
		cli_tell_daemon(cli, SIGHUP, "reload the policy table");
	rc = refused ? EXIT_FAIL : EXIT_OK;
done:
	store_close(st);
	import_plan_free(&pl);
	return rc;
}

/* ---- dispatch -------------------------------------------------------- */

int cmd_policy(struct cli *cli, int argc, char **argv)
{
	static const struct cli_command subs[] = {
		{ "set", policy_set, NULL, 0 },       { "get", policy_get, NULL, 0 },
		{ "delete", policy_delete, NULL, 0 }, { "list", policy_list, NULL, 0 },
		{ "import", policy_import, NULL, 0 }, { "export", policy_export, NULL, 0 },
	};
	const struct cli_command *c;

	if (argc < 2) {
		fputs(policy_help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(policy_help, stdout);
		return EXIT_OK;
	}
	if ((c = cli_command_find(subs, CLI_NCOMMANDS(subs), argv[1])) != NULL)
		return c->fn(cli, argc - 1, argv + 1);
	cli_error("policy", "unknown command \"%s\"; see tlspolicy policy --help",
		  argv[1]);
	return EXIT_USAGE;
}
