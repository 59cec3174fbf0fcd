/* SPDX-License-Identifier: MIT */
/*
 * cmd_logscan.c - tlspolicy logscan FILE...: read Postfix logs and
 * suggest stronger TLS policies per destination domain (see
 * logscan/logscan.h for what is read, logscan/report.h for the rules).
 *
 * The admin's table is read (not written) for the CURRENT column and for
 * "never weaker" unless --apply is given; --apply adds rows for domains
 * without a row of their own and replaces existing rows only with
 * --force, all in one transaction, each with its provenance (the log
 * files and the reason).
 *
 * --discover (always on with --apply and --format) asks what each
 * domain with a suggestion publishes (cli/published.h: the daemon's
 * discovery with the table left out, the MTA-STS cache loaded read-only
 * from the table's database), check_concurrency at a time: a domain the
 * daemon already serves at least as well gets no suggestion, nor one
 * whose suggestion would be weaker than what it publishes or whose
 * publication is unknown -- unless --force-weaker names the domain; the
 * rows left out are named, and PUBLISHED says what discovery found.
 * --probe connects to every MX host the log names for
 * each "verify" domain (probe/) and suggests "secure match=..." (a
 * common .parent of several hosts, else the host list) only when
 * namematch_policy() says it delivers on every one.
 *
 * LIMITS: LOGSCAN_PROBE_MAX_MX hosts per domain probed,
 * LOGSCAN_MATCH_MAX bytes of match= value.
 * SECURITY: host names from the log are probed only when they are valid
 * host names (policy_key_normalize); the probes connect to port 25 of
 * whatever those names resolve to.
 */
#include "cli/cli.h"
#include "dane/dane.h"
#include "engine/engine.h"
#include "cli/published.h"
#include "engine/sources.h"
#include "logscan/logscan.h"
#include "logscan/report.h"
#include "mtasts/sts.h"
#include "policy/policy.h"
#include "probe/namematch.h"
#include "probe/probe.h"
#include "store/store.h"
#include "store/store_prov.h"
#include "util/json.h"
#include "util/log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdarg.h>

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
#define LOGSCAN_PROBE_MAX_MX 16   /* MX hosts probed per domain (--probe) */
#define LOGSCAN_MATCH_MAX 1024    /* longest suggested match= value */

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
		"  --discover             ask the daemon's discovery (DANE, MTA-STS, provider\n"
		"                         templates) what each suggested domain publishes: no\n"
		"                         suggestion where the daemon serves it, where it would\n"
		"                         be weaker, or where that is unknown (PUBLISHED column);\n"
		"                         always on with --apply and --format\n"
		"  --force-weaker DOMAIN  with --apply or --format: keep DOMAIN's suggestion\n"
		"                         although it is weaker than, or cannot be compared with,\n"
		"                         what DOMAIN publishes (repeatable)\n"
		"  --probe                probe every MX host seen for each \"verify\" domain\n"
		"                         and suggest \"secure match=...\" when that policy\n"
		"                         would deliver to every one of them\n"
		"  --shadow               only the shadow-mode report: per domain the daemon\n"
		"                         shadowed (its \"shadow: ... would answer\" lines in\n"
		"                         the same log), the deliveries that policy would have\n"
		"                         deferred (TEMP: all; dane, dane-only, secure, verify,\n"
		"                         fingerprint: all but Verified; encrypt: plaintext)\n"
		"  --db URL, -c FILE      policy table, configuration file\n"
		"\n"
		"  -v                     also the summary line and the informational lines\n"
		"\n"
		"A summary line (lines, Postfix lines, deliveries, domains, seconds, MB/s)\n"
		"goes to stderr when stderr is a terminal (with a progress bar) or with -v;\n"
		"a cron run prints nothing on stderr when all is well.\n"
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
	free(r->current_key);
	r->current_key = strdup(e->key);
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

/* The suggestions dropped because they would be weaker than what the
 * domain publishes or that is unknown: one line each. */
static unsigned long not_written(const struct logscan_row *rows, size_t n, FILE *rep,
				 const char *prefix)
{
	unsigned long k = 0;

	for (size_t i = 0; i < n; i++)
		if (rows[i].refused) {
			fprintf(rep, "%snot written %s: %s\n", prefix, rows[i].key, rows[i].reason);
			k++;
		}
	return k;
}

/* "maillog, maillog.1 (+3 more)": the files in a provenance. */
static void files_text(char *out, size_t len, const char *const *files, int nfiles)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < nfiles && o + 1 < len; i++) {
		const char *f = strcmp(files[i], "-") == 0 ? "stdin" : files[i];

		if (i == 3) {
			snprintf(out + o, len - o, " (+%d more)", nfiles - 3);
			return;
		}
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", f);
	}
}

/* Writes the suggestions (see the file header); reports each change on
 * rep (stdout after a table, stderr after JSON or --format output). */
static int apply(struct store *st, struct logscan_row *rows, size_t n, int force, FILE *rep,
		 const char *const *files, int nfiles, int *changed)
{
	struct store_put_item *items;
	struct store_provenance *provs;
	struct store_counts counts;
	struct errbuf why;
	size_t k = 0, *idx;
	unsigned long kept = 0, served = 0, refused;
	char text[POLICY_MAX_TEXT], ftext[300];
	char (*evidence)[STORE_PROV_EVIDENCE_MAX + 1];

	items = calloc(n ? n : 1, sizeof(*items));
	provs = calloc(n ? n : 1, sizeof(*provs));
	evidence = calloc(n ? n : 1, sizeof(*evidence));
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (items == NULL || idx == NULL || provs == NULL || evidence == NULL) {
		free(items);
		free(provs);
		free(evidence);
		free(idx);
		cli_error("logscan", "out of memory");
		return EXIT_FAIL;
	}
	files_text(ftext, sizeof(ftext), files, nfiles);
	refused = not_written(rows, n, rep, "");
	for (size_t i = 0; i < n; i++) {
		struct logscan_row *r = &rows[i];

		served += r->served;
		if (!r->has_suggestion)
			continue;
		if (r->has_current && r->current_exact && !force) {
			fprintf(rep, "kept %s: table has \"%s\" (--force replaces it with %s)\n",
				r->key, r->current_text ? r->current_text : "",
				logscan_suggestion_text(r, text, sizeof(text)));
			kept++;
			continue;
		}
		snprintf(evidence[k], sizeof(evidence[k]), "%s: %s", ftext, r->reason);
		provs[k].command = "logscan --apply";
		provs[k].evidence = evidence[k];
		items[k].domain = r->key;
		items[k].policy = policy_level_name(r->suggestion);
		items[k].params = r->suggestion_params;
		items[k].prov = &provs[k];
		idx[k] = i;
		k++;
	}
	memset(&counts, 0, sizeof(counts));
	errbuf_clear(&why);
	if (k && store_put_many(st, items, k, &counts, &why) < 0) {
		cli_error("logscan", "database: %s", why.msg);
		free(items);
		free(provs);
		free(evidence);
		free(idx);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < k; i++) {
		const struct logscan_row *r = &rows[idx[i]];

		logscan_suggestion_text(r, text, sizeof(text));
		if (r->has_current && r->current_exact)
			fprintf(rep, "replaced %s: \"%s\" -> %s%s\n", items[i].domain,
				r->current_text ? r->current_text : "", text,
				r->forced ? " (--force-weaker)" : "");
		else
			fprintf(rep, "added %s %s%s\n", items[i].domain, text,
				r->forced ? " (--force-weaker)" : "");
	}
	fprintf(rep, "logscan --apply: %lu added, %lu changed, %lu unchanged, %lu kept, "
		"%lu served automatically, %lu not written\n", counts.added, counts.changed,
		counts.unchanged, kept, served, refused);
	*changed = counts.added || counts.changed;
	if (counts.provenance_missing)
		cli_error("logscan", "warning: provenance not recorded: the database has no table "
			  "%s yet (tlspolicy db init adds it)", STORE_PROV_TABLE);
	free(items);
	free(provs);
	free(evidence);
	free(idx);
	return EXIT_OK;
}

/* ---- --discover and --probe ------------------------------------------- */

struct live;
struct live_dom;

enum { CAND_HOSTS, CAND_PARENT, CAND_N };

struct live_mx {
	struct live_dom *dom;
	char host[POLICY_KEY_MAX];
	struct probe_req *req;
	enum namematch_verdict v[CAND_N];
	char why[CAND_N][ERRBUF_MAX];
};

struct live_dom {
	struct live *lv;
	struct logscan_row *row;
	size_t nmx, pending;
	struct live_mx *mx;
	char cand[CAND_N][LOGSCAN_MATCH_MAX + 16]; /* "secure match=..."; "" none */
	int have_pub;
	struct published pub;     /* what the domain publishes */
};

struct live {
	struct event_base *base;
	struct engine_sources *srcs;
	struct published_ctx *pc;
	struct published_force *force;
	struct probe_ctx *probe;
	struct live_dom *doms;
	size_t ndoms, finished, conc;
};

/* Appends "; WHAT" to the row's reason (truncated to fit). */
static void reason_add(struct logscan_row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reason_add(struct logscan_row *r, const char *fmt, ...)
{
	char buf[LOGSCAN_REASON_MAX];
	size_t o = strlen(r->reason);
	va_list ap;

	if (o + 2 >= sizeof(buf))
		return;
	memcpy(buf, r->reason, o);
	memcpy(buf + o, "; ", 3);
	o += 2;
	va_start(ap, fmt);
	vsnprintf(buf + o, sizeof(buf) - o, fmt, ap);
	va_end(ap);
	logscan_row_reason(r, "%s", buf);
}

/* PUBLISHED column: what discovery found. */
static void published_word(struct logscan_row *r, const struct published *p)
{
	const char *w = "none";

	if (p->kind == PUBLISHED_UNKNOWN)
		w = "unknown";
	else if (p->kind == PUBLISHED_POLICY && p->source == ANSWER_DANE)
		w = strncmp(p->text, "dane-only", 9) == 0 ? "dane-only" : "dane";
	else if (p->kind == PUBLISHED_POLICY && p->source == ANSWER_STS)
		w = "mta-sts";
	else if (p->kind == PUBLISHED_POLICY && p->source == ANSWER_PROVIDER)
		w = "provider";
	snprintf(r->published, sizeof(r->published), "%s", w);
}

static const char *publishes_what(const struct published *p)
{
	switch (p->source) {
	case ANSWER_DANE: return "DANE";
	case ANSWER_STS: return "MTA-STS enforce";
	case ANSWER_PROVIDER: return "a provider template";
	default: return "a policy";
	}
}

/*
 * Judges the row's suggestion against what the domain publishes
 * (cli/published.h): kept when nothing is published or it is stronger;
 * dropped when the daemon serves at least as much ("served
 * automatically"), when it would be weaker, or when the publication is
 * unknown -- unless --force-weaker names the domain.
 */
static void judge_published(struct live_dom *d)
{
	struct logscan_row *r = d->row;
	char text[POLICY_MAX_TEXT], why[1024], t[160];
	enum published_verdict v;

	if (!d->have_pub || !r->has_suggestion)
		return;
	logscan_suggestion_text(r, text, sizeof(text));
	v = published_judge(&d->pub, r->key, text, why, sizeof(why));
	printable(t, sizeof(t), d->pub.text, strlen(d->pub.text));
	switch (v) {
	case PUBLISHED_WRITE:
		if (d->pub.kind == PUBLISHED_POLICY && strstr(r->reason, "stronger than the") == NULL)
			reason_add(r, "stronger than the published %s (%s)", publishes_what(&d->pub), t);
		return;
	case PUBLISHED_SERVED:
		r->has_suggestion = 0;
		r->served = 1;
		logscan_row_reason(r, "publishes %s: served automatically (%s)",
			 publishes_what(&d->pub), t);
		return;
	case PUBLISHED_WEAKER:
		if (published_forced(d->lv->force, r->key)) {
			r->forced = 1;
			reason_add(r, "forced although weaker than the published %s (%s)",
				   publishes_what(&d->pub), t);
			return;
		}
		r->has_suggestion = 0;
		r->refused = 1;
		logscan_row_reason(r, "publishes %s: served automatically (%.100s); "
			 "%.100s would be weaker (--force-weaker writes it)", publishes_what(&d->pub),
			 t, text);
		return;
	case PUBLISHED_NOT_KNOWN:
		if (published_forced(d->lv->force, r->key)) {
			r->forced = 1;
			reason_add(r, "forced although what it publishes is unknown: %s", d->pub.reason);
			return;
		}
		r->has_suggestion = 0;
		r->refused = 1;
		logscan_row_reason(r, "not suggested (%.100s): cannot tell what it "
			 "publishes: %.300s (--force-weaker writes it anyway)", text, d->pub.reason);
		return;
	}
}

static void published_done(void *arg, const struct published *res)
{
	struct live_dom *d = arg;

	d->pub = *res;
	d->have_pub = 1;
	published_word(d->row, res);
	judge_published(d);
	d->lv->finished++;
}

/* Verdict of policy text on one probed MX (Postfix's rules). */
static enum namematch_verdict judge(const char *text, const struct probe_result *res,
				    const char *nexthop, const char *host, char *why,
				    size_t whylen)
{
	struct namematch_peer peer;
	struct namematch_result nr;
	struct policy *p = NULL;
	struct errbuf eb;
	enum namematch_verdict v;

	if (res->status != PROBE_OK) {
		snprintf(why, whylen, "not reachable: %.400s", res->why);
		return NAMEMATCH_UNKNOWN;
	}
	errbuf_clear(&eb);
	if (policy_parse(text, NULL, &p, &eb) < 0) {
		snprintf(why, whylen, "invalid policy: %s", eb.msg);
		return NAMEMATCH_UNKNOWN;
	}
	probe_result_peer(res, &peer);
	v = namematch_policy(p, &peer, nexthop, host, &nr);
	snprintf(why, whylen, "%s", nr.why);
	policy_free(p);
	return v;
}

/* All MX of d probed: "secure match=..." when a candidate delivers on
 * every one (the .parent first), else keep verify and say why. */
static void probe_decide(struct live_dom *d)
{
	struct logscan_row *r = d->row;
	char why[ERRBUF_MAX];
	const struct live_mx *bad = NULL;
	int badc = CAND_HOSTS;

	for (int c = CAND_PARENT; c >= CAND_HOSTS; c--) {
		size_t i;

		if (d->cand[c][0] == '\0')
			continue;
		for (i = 0; i < d->nmx && d->mx[i].v[c] == NAMEMATCH_DELIVERS; i++)
			;
		if (i == d->nmx) {
			free(r->suggestion_params);
			if ((r->suggestion_params = strdup(d->cand[c] + strlen("secure "))) == NULL)
				return; /* keeps verify */
			r->suggestion = POLICY_SECURE;
			reason_add(r, "probe: delivers on %s%zu MX", d->nmx == 1 ? "the " : "all ",
				   d->nmx);
			return;
		}
		if (bad == NULL || c == CAND_HOSTS) {
			bad = &d->mx[i];
			badc = c;
		}
	}
	if (bad == NULL) {
		reason_add(r, "probe: no usable MX host names");
		return;
	}
	printable(why, sizeof(why), bad->why[badc], strlen(bad->why[badc]));
	reason_add(r, "probe: secure %s on %s (%s)",
		   bad->v[badc] == NAMEMATCH_FAILS ? "fails" : "not confirmed", bad->host, why);
}

static void live_probe_cb(void *arg, const struct probe_result *res)
{
	struct live_mx *m = arg;
	struct live_dom *d = m->dom;

	m->req = NULL;
	for (int c = 0; c < CAND_N; c++) {
		if (d->cand[c][0])
			m->v[c] = judge(d->cand[c], res, d->row->key, m->host, m->why[c],
					sizeof(m->why[c]));
	}
	if (--d->pending == 0) {
		probe_decide(d);
		d->lv->finished++;
	}
}

/* ".parent" every host is strictly under (at least two labels), or "". */
static void common_parent(struct live_mx *mx, size_t n, char *out, size_t outlen)
{
	const char *p = strchr(mx[0].host, '.');

	out[0] = '\0';
	while (p && strchr(p + 1, '.')) {
		size_t pl = strlen(p), i;

		for (i = 0; i < n; i++) {
			size_t hl = strlen(mx[i].host);

			if (hl <= pl || strcmp(mx[i].host + hl - pl, p) != 0)
				break;
		}
		if (i == n) {
			snprintf(out, outlen, "%s", p);
			return;
		}
		p = strchr(p + 1, '.');
	}
}

/* Sets up the probes of d (a "verify" row); 0 when nothing to probe
 * (reason says why). */
static int probe_prepare(struct live_dom *d, const struct logscan *ls)
{
	struct logscan_row *r = d->row;
	char parent[POLICY_KEY_MAX];
	size_t n = 0, o;
	uint32_t m;

	for (m = r->d->mx_first; m; m = logscan_mx(ls, m)->next)
		n++;
	if (n == 0 || n > LOGSCAN_PROBE_MAX_MX) {
		reason_add(r, "not probed: %zu MX hosts (max %d)", n, LOGSCAN_PROBE_MAX_MX);
		return 0;
	}
	if ((d->mx = calloc(n, sizeof(*d->mx))) == NULL)
		return 0;
	for (m = r->d->mx_first; m; m = logscan_mx(ls, m)->next) {
		const char *h = logscan_host_name(ls, logscan_mx(ls, m)->host);
		enum policy_key_kind kind;
		struct live_mx *x = &d->mx[d->nmx];

		if (policy_key_normalize(h, x->host, sizeof(x->host), &kind, NULL) < 0 ||
		    kind != POLICY_KEY_DOMAIN) {
			char t[80];

			printable(t, sizeof(t), h, strlen(h));
			reason_add(r, "not probed: MX \"%s\" is not a host name", t);
			return 0;
		}
		x->dom = d;
		d->nmx++;
	}
	o = (size_t)snprintf(d->cand[CAND_HOSTS], sizeof(d->cand[CAND_HOSTS]), "secure match=");
	for (size_t i = 0; i < d->nmx && o < sizeof(d->cand[CAND_HOSTS]); i++)
		o += (size_t)snprintf(d->cand[CAND_HOSTS] + o, sizeof(d->cand[CAND_HOSTS]) - o,
				      "%s%s", i ? ":" : "", d->mx[i].host);
	if (o >= sizeof(d->cand[CAND_HOSTS]) - 1)
		d->cand[CAND_HOSTS][0] = '\0'; /* too long for a match= value */
	if (d->nmx >= 2) {
		common_parent(d->mx, d->nmx, parent, sizeof(parent));
		if (parent[0])
			snprintf(d->cand[CAND_PARENT], sizeof(d->cand[CAND_PARENT]),
				 "secure match=%s", parent);
	}
	return 1;
}

static void live_free(struct live *lv)
{
	for (size_t i = 0; lv->doms && i < lv->ndoms; i++) {
		struct live_dom *d = &lv->doms[i];

		for (size_t j = 0; j < d->nmx; j++)
			if (d->mx[j].req)
				probe_cancel(d->mx[j].req);
		free(d->mx);
	}
	free(lv->doms);
	if (lv->probe)
		probe_free(lv->probe);
	published_free(lv->pc);
	engine_sources_free(lv->srcs);
	if (lv->base)
		event_base_free(lv->base);
}

static void live_loop(struct live *lv, size_t want)
{
	while (lv->finished < want && event_base_loop(lv->base, EVLOOP_ONCE) == 0)
		;
}

/* --discover and/or --probe over the rows with a suggestion; 0 or -1
 * (error printed).  With a table (have_table) the MTA-STS cache is loaded
 * from its database, read-only. */
static int live_run(struct cli *cli, const struct logscan *ls, struct logscan_row *rows,
		    size_t nrows, int discover, int do_probe, int have_table,
		    struct published_force *force)
{
	const struct config *cfg = cli_config(cli);
	struct live lv;
	struct errbuf why;
	struct dane_service *dsvc;
	long conc = config_get_int(cfg, "check_concurrency");
	size_t want;
	int rc = -1;

	memset(&lv, 0, sizeof(lv));
	lv.conc = conc > 0 ? (size_t)conc : 1;
	lv.force = force;
	errbuf_clear(&why);
	if ((lv.base = event_base_new()) == NULL) {
		cli_error("logscan", "cannot create an event loop");
		goto out;
	}
	if (engine_sources_new(lv.base, cfg, NULL, cli->db_url,
			       have_table ? STS_PERSIST_LOAD : 0, &lv.srcs, &why) < 0) {
		cli_error("logscan", "%s", why.msg);
		goto out;
	}
	if ((lv.doms = calloc(nrows ? nrows : 1, sizeof(*lv.doms))) == NULL) {
		cli_error("logscan", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		if (!rows[i].has_suggestion)
			continue;
		lv.doms[lv.ndoms].lv = &lv;
		lv.doms[lv.ndoms].row = &rows[i];
		lv.ndoms++;
	}
	if (discover) {
		if (engine_sources_dane(lv.srcs) == NULL)
			cli_error("logscan", "DNSSEC validation is off "
				  "(dns_trust_anchor_file is empty): DANE is not discovered, "
				  "so no suggestion is safe to write");
		if ((lv.pc = published_new(lv.base, cfg, lv.srcs, &why)) == NULL) {
			cli_error("logscan", "%s", why.msg);
			goto out;
		}
		for (size_t i = 0; i < lv.ndoms; i++)
			published_lookup(lv.pc, lv.doms[i].row->key, published_done, &lv.doms[i]);
		published_wait(lv.pc);
	}
	if (do_probe) {
		signal(SIGPIPE, SIG_IGN);
		dsvc = engine_sources_dane(lv.srcs);
		lv.probe = probe_new_cfg(lv.base, dsvc ? dane_service_dns(dsvc) : NULL, cfg,
					 &(struct probe_opts){ .max_parallel = (unsigned)
						 (lv.conc < PROBE_MAX_PARALLEL ? lv.conc
									       : PROBE_MAX_PARALLEL) },
					 &why);
		if (lv.probe == NULL) {
			cli_error("logscan", "%s", why.msg);
			goto out;
		}
		lv.finished = 0;
		want = 0;
		for (size_t i = 0; i < lv.ndoms; i++) {
			struct live_dom *d = &lv.doms[i];

			if (!d->row->has_suggestion || d->row->suggestion != POLICY_VERIFY ||
			    !probe_prepare(d, ls))
				continue;
			want++;
			d->pending = d->nmx;
			for (size_t j = 0; j < d->nmx; j++)
				d->mx[j].req = probe_start(lv.probe,
							   &(struct probe_target){
								   .host = d->mx[j].host },
							   live_probe_cb, &d->mx[j]);
		}
		live_loop(&lv, want);
		/* a probe may have turned verify into secure: judge it again */
		for (size_t i = 0; i < lv.ndoms; i++)
			if (lv.doms[i].row->suggestion == POLICY_SECURE && !lv.doms[i].row->forced)
				judge_published(&lv.doms[i]);
	}
	rc = 0;
out:
	live_free(&lv);
	return rc;
}

/* ---- the command -------------------------------------------------------- */

enum {
	OPT_SINCE = 0x2000, OPT_UNTIL, OPT_DOMAIN, OPT_MIN, OPT_FORMAT, OPT_APPLY,
	OPT_FORCE, OPT_YEAR, OPT_DISCOVER, OPT_PROBE, OPT_FORCE_WEAKER, OPT_SHADOW
};

/* What the command line asks for. */
struct logscan_cmd {
	struct logscan_opts opts;
	const char *filters[LOGSCAN_MAX_FILTERS];
	const char *format;             /* --format: "postmap", "sql" or NULL */
	unsigned long min;              /* --min-deliveries or the setting */
	int have_min, do_apply, force, discover, do_probe, shadow;
	struct published_force force_weaker;
	const char *const *files;
	int nfiles;
};

/* One option of getopt_long into *o; -1 to go on, else the exit code. */
static int logscan_opt(struct logscan_cmd *o, int opt, const char *arg, time_t now)
{
	struct errbuf why;
	unsigned long year;

	switch (opt) {
	case OPT_SINCE:
	case OPT_UNTIL:
		if (logscan_parse_time(arg, now,
				       opt == OPT_SINCE ? &o->opts.since : &o->opts.until) < 0) {
			cli_error("logscan", "invalid time \"%s\"", arg);
			return EXIT_USAGE;
		}
		if (opt == OPT_SINCE)
			o->opts.has_since = 1;
		else
			o->opts.has_until = 1;
		return -1;
	case OPT_DOMAIN: {
		char key[POLICY_KEY_MAX];
		enum policy_key_kind kind;

		if (o->opts.ndomains == LOGSCAN_MAX_FILTERS) {
			cli_error("logscan", "too many --domain options (max %d)",
				  LOGSCAN_MAX_FILTERS);
			return EXIT_USAGE;
		}
		if (policy_key_normalize(arg, key, sizeof(key), &kind, &why) < 0 ||
		    kind != POLICY_KEY_DOMAIN) {
			cli_error("logscan", "invalid domain \"%s\"", arg);
			return EXIT_USAGE;
		}
		o->filters[o->opts.ndomains++] = arg;
		return -1;
	}
	case OPT_MIN:
		if (cli_parse_ulong(arg, 1000000000UL, &o->min) < 0) {
			cli_error("logscan", "invalid --min-deliveries \"%s\"", arg);
			return EXIT_USAGE;
		}
		o->have_min = 1;
		return -1;
	case OPT_FORMAT:
		if (strcmp(arg, "postmap") != 0 && strcmp(arg, "sql") != 0) {
			cli_error("logscan", "--format must be postmap or sql");
			return EXIT_USAGE;
		}
		o->format = arg;
		return -1;
	case OPT_APPLY: o->do_apply = 1; return -1;
	case OPT_FORCE: o->force = 1; return -1;
	case OPT_DISCOVER: o->discover = 1; return -1;
	case OPT_PROBE: o->do_probe = 1; return -1;
	case OPT_SHADOW: o->shadow = 1; return -1;
	case OPT_FORCE_WEAKER:
		errbuf_clear(&why);
		if (published_force_add(&o->force_weaker, arg, &why) < 0) {
			cli_error("logscan", "%s", why.msg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_YEAR:
		if (cli_parse_ulong(arg, 9999, &year) < 0 || year < 1970) {
			cli_error("logscan", "invalid --year \"%s\"", arg);
			return EXIT_USAGE;
		}
		o->opts.year = (int)year;
		return -1;
	default:
		return -1;
	}
}

/* The command line into *o; -1 to go on, else the exit code. */
static int logscan_parse(struct cli *cli, int argc, char **argv, struct logscan_cmd *o)
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
		{ "discover", no_argument, NULL, OPT_DISCOVER },
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "shadow", no_argument, NULL, OPT_SHADOW },
		{ "force-weaker", required_argument, NULL, OPT_FORCE_WEAKER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const stdin_only[] = { "-" };
	time_t now = time(NULL);
	int opt, rc = EXIT_OK;

	memset(o, 0, sizeof(*o));
	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, logscan_usage,
				    &rc)) > 0)
		if ((rc = logscan_opt(o, opt, optarg, now)) >= 0)
			return rc;
	if (opt == CLI_OPT_EXIT)
		return rc;
	if (o->format && cli->json) {
		cli_error("logscan", "--json and --format exclude each other");
		return EXIT_USAGE;
	}
	if (o->shadow && (o->format || o->do_apply || o->discover || o->do_probe)) {
		cli_error("logscan", "--shadow is a report of its own: without --format, "
			  "--apply, --discover and --probe");
		return EXIT_USAGE;
	}
	if (o->force && !o->do_apply && !(o->format && strcmp(o->format, "sql") == 0)) {
		cli_error("logscan", "--force needs --apply or --format sql");
		return EXIT_USAGE;
	}
	if (o->force_weaker.n && !o->do_apply && !o->format) {
		cli_error("logscan", "--force-weaker needs --apply or --format");
		return EXIT_USAGE;
	}
	/* Commands that write rows (or print rows to be written) always ask
	 * discovery: nothing weaker than what a domain publishes. */
	if (o->do_apply || o->format)
		o->discover = 1;
	if (o->opts.has_since && o->opts.has_until && o->opts.until <= o->opts.since) {
		cli_error("logscan", "--until is not after --since");
		return EXIT_USAGE;
	}
	if (!o->have_min) {
		long v = config_get_int(cli_config(cli), "logscan_min_deliveries");

		o->min = v > 0 ? (unsigned long)v : 0;
	} else {
		(void)cli_config(cli);
	}
	o->opts.domains = o->filters;
	if (optind < argc) {
		o->files = (const char *const *)(argv + optind);
		o->nfiles = argc - optind;
	} else {
		o->files = stdin_only;
		o->nfiles = 1;
	}
	return -1;
}

/*
 * The admin's table (CURRENT), read before the (maybe long) scan: with
 * --apply a database problem stops us here.  Returns -1 to go on (*st
 * may be NULL: no table), else the exit code.
 */
static int logscan_read_table(struct cli *cli, const struct logscan_cmd *o,
			      struct store **stp, struct table *table)
{
	/* --apply writes: database_write when set */
	const char *url = cli_store_url(cli, o->do_apply ? CLI_STORE_WRITE : 0);
	struct store *st = NULL;
	struct errbuf why;

	errbuf_clear(&why);
	if (o->do_apply) {
		if (sqlite_missing(url)) {
			cli_error("logscan", "no policy table at %s (tlspolicy db init creates it)", url);
			return EXIT_FAIL;
		}
		if ((st = cli_store_flags(cli, CLI_STORE_WRITE)) == NULL)
			return EXIT_FAIL;
	} else if (sqlite_missing(url)) {
		cli_error("logscan", "no policy table at %s; CURRENT left empty", url);
	} else if (store_open(url, &st, &why) < 0) {
		cli_error("logscan", "policy table not read (%s); CURRENT left empty", why.msg);
		st = NULL;
	}
	*stp = st;
	if (st && store_list(st, table_add, table, &why) < 0) {
		if (o->do_apply) {
			cli_error("logscan", "database: %s", why.msg);
			return EXIT_FAIL;
		}
		cli_error("logscan", "policy table not read (%s); CURRENT left empty", why.msg);
		table_free(table);
		memset(table, 0, sizeof(*table));
	}
	if (table->n)
		qsort(table->e, table->n, sizeof(*table->e), entry_cmp);
	if (table->invalid)
		cli_error("logscan", "%lu table rows with an invalid key or level ignored",
			  table->invalid);
	return -1;
}

/* Feeds every file to the scanner, with progress on a terminal; *secs:
 * the time it took.  0, or -1 after the error message. */
static int logscan_scan_files(struct logscan *ls, const struct logscan_cmd *o, double *secs)
{
	struct progress pg;
	struct timespec t0, t1;
	struct errbuf why;

	memset(&pg, 0, sizeof(pg));
	pg.on = isatty(STDERR_FILENO);
	for (int i = 0; pg.on && i < o->nfiles; i++) {
		struct stat sb;

		if (strcmp(o->files[i], "-") == 0 || stat(o->files[i], &sb) < 0 ||
		    !S_ISREG(sb.st_mode)) {
			pg.total = 0;
			break;
		}
		pg.total += (unsigned long long)sb.st_size;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < o->nfiles; i++) {
		errbuf_clear(&why);
		pg.cur = 0;
		if (logscan_file(ls, o->files[i], pg.on ? progress_cb : NULL, &pg, &why) < 0) {
			progress_clear(&pg);
			cli_error("logscan", "%s", why.msg);
			return -1;
		}
		pg.done += pg.cur;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (pg.on) {
		pg.cur = 0;
		progress_draw(&pg, 1);
		progress_clear(&pg);
	}
	*secs = (double)elapsed_ns(&t0, &t1) / 1e9;
	return 0;
}

/* The summary line on stderr, only with -v or on a terminal (a cron run
 * mails nothing when all is well); with -v the other counters too. */
static void logscan_summary(const struct cli *cli, const struct logscan *ls, double secs)
{
	const struct logscan_counts *c = logscan_counts(ls);

	if (!cli->verbose && !isatty(STDERR_FILENO))
		return;
	cli_error("logscan", "%lu lines, %lu Postfix lines, %lu deliveries, "
		  "%zu domains, %.2f s, %.1f MB/s",
		  c->lines, c->postfix_lines, c->deliveries, logscan_ndomains(ls), secs,
		  secs > 0 ? (double)c->bytes / 1e6 / secs : 0.0);
	if (cli->verbose)
		cli_error("logscan", "%lu other lines, %lu unknown smtp/lmtp "
			  "lines, %lu long lines, %lu out of range, %lu TLS sessions, %lu "
			  "delivery records, %lu without domain, %lu filtered, %lu evicted "
			  "process states, %lu dropped (limits)",
			  c->other_lines, c->unknown_lines, c->long_lines, c->out_of_range,
			  c->tls_sessions, c->delivery_records, c->no_domain, c->filtered,
			  c->evicted, c->dropped);
}

/* --shadow: the deliveries the shadowed policies would have deferred. */
struct shadow_row {
	const struct logscan_shadow *sh;   /* the domain's last line */
	unsigned long sent[LOGLINE_TRUST_COUNT], total, would_defer;
};

static int shadow_cmp(const void *a, const void *b)
{
	const struct logscan_shadow *x = *(const struct logscan_shadow *const *)a;
	const struct logscan_shadow *y = *(const struct logscan_shadow *const *)b;
	int c = strcmp(x->domain, y->domain);

	/* one domain: input order (the last line wins) */
	return c ? c : (x < y ? -1 : x > y);
}

static int row_key_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct logscan_row *)row)->d->name);
}

static int row_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct logscan_row *)a)->d->name,
		      ((const struct logscan_row *)b)->d->name);
}

/* Which trust classes the policy text would have refused (1 each). */
static void shadow_refused(const struct logscan_shadow *sh, int refuse[LOGLINE_TRUST_COUNT])
{
	struct policy *p = NULL;
	struct errbuf why;

	memset(refuse, 0, sizeof(int) * LOGLINE_TRUST_COUNT);
	if (sh->temp) {   /* TEMP: every delivery deferred */
		for (int i = 0; i < LOGLINE_TRUST_COUNT; i++)
			refuse[i] = 1;
		return;
	}
	errbuf_clear(&why);
	if (policy_parse(sh->text, NULL, &p, &why) < 0)
		return;   /* not a policy we know: nothing claimed */
	switch (p->level) {
	case POLICY_DANE: case POLICY_DANE_ONLY: case POLICY_SECURE:
	case POLICY_VERIFY: case POLICY_FINGERPRINT:
		refuse[LOGLINE_TRUSTED] = refuse[LOGLINE_UNTRUSTED] = 1;
		refuse[LOGLINE_ANONYMOUS] = refuse[LOGLINE_PLAINTEXT] = 1;
		break;
	case POLICY_ENCRYPT:
		refuse[LOGLINE_PLAINTEXT] = 1;
		break;
	default:
		break;
	}
	policy_free(p);
}

static void shadow_json(FILE *out, const struct shadow_row *r, size_t n)
{
	static const char *const cls[LOGLINE_TRUST_COUNT] = {
		"verified", "trusted", "untrusted", "anonymous", "plaintext" };

	fputs("{\"shadow\": [", out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n  {" : "\n  {", out);
		fputs("\"domain\": ", out);
		json_fput_str(out, r[i].sh->domain, 0);
		fputs(", \"would_answer\": ", out);
		json_fput_str(out, r[i].sh->temp ? "TEMP" : r[i].sh->text, 0);
		fputs(", \"temp_reason\": ", out);
		if (r[i].sh->temp)
			json_fput_str(out, r[i].sh->text, 0);
		else
			fputs("null", out);
		fputs(", \"from\": ", out);
		json_fput_str(out, r[i].sh->from, 0);
		fprintf(out, ", \"sent\": %lu, \"would_defer\": %lu, \"sent_by_tls\": {",
			r[i].total, r[i].would_defer);
		for (int c = 0; c < LOGLINE_TRUST_COUNT; c++)
			fprintf(out, "%s\"%s\": %lu", c ? ", " : "", cls[c], r[i].sent[c]);
		fputs("}}", out);
	}
	fputs(n ? "\n]}\n" : "]}\n", out);
}

static void shadow_table(FILE *out, const struct shadow_row *r, size_t n)
{
	int wd = 6, wp = 15, wf = 4;
	char d[LOGSCAN_NAME_MAX + 1], t[POLICY_MAX_TEXT + 16], f[300];

	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(r[i].sh->domain), lt = (int)strlen(r[i].sh->text) + 5 * r[i].sh->temp,
		    lf = (int)strlen(r[i].sh->from);

		wd = l > wd ? l : wd;
		wp = lt > wp && lt < 60 ? lt : wp;
		wf = lf > wf && lf < 40 ? lf : wf;
	}
	if (n == 0) {
		fputs("no shadow-mode lines of tlspolicy in the input (setting shadow, or rows "
		      "with the word testing)\n", out);
		return;
	}
	fprintf(out, "%-*s  %-*s  %-*s  %6s  %11s  %s\n", wd, "DOMAIN", wp, "SHADOWED POLICY",
		wf, "FROM", "SENT", "WOULD DEFER", "SENT BY TLS (V/T/U/A/P)");
	for (size_t i = 0; i < n; i++) {
		char tt[POLICY_MAX_TEXT + 8];

		printable(d, sizeof(d), r[i].sh->domain, strlen(r[i].sh->domain));
		printable(tt, sizeof(tt), r[i].sh->text, strlen(r[i].sh->text));
		snprintf(t, sizeof(t), "%s%s", r[i].sh->temp ? "TEMP " : "", tt);
		printable(f, sizeof(f), r[i].sh->from, strlen(r[i].sh->from));
		fprintf(out, "%-*s  %-*s  %-*s  %6lu  %11lu  %lu/%lu/%lu/%lu/%lu\n", wd, d, wp, t,
			wf, f, r[i].total, r[i].would_defer, r[i].sent[0], r[i].sent[1],
			r[i].sent[2], r[i].sent[3], r[i].sent[4]);
	}
}

/* Joins the daemon's shadow lines with the deliveries per domain. */
static int logscan_shadow_report(struct cli *cli, struct logscan *ls)
{
	const struct logscan_shadow *v;
	const struct logscan_shadow **idx = NULL;
	struct logscan_row *rows = NULL;
	struct shadow_row *out = NULL;
	size_t n = logscan_shadows(ls, &v), nrows, nout = 0;
	char msg[ERRBUF_MAX];
	int rc = -1;

	if (logscan_input_check(ls, msg, sizeof(msg)) < 0) {
		cli_error("logscan", "%s", msg);
		return -1;
	}
	nrows = logscan_rows(ls, &rows);
	if ((rows == NULL && logscan_ndomains(ls)) || (n && ((idx = calloc(n, sizeof(*idx))) == NULL ||
						     (out = calloc(n, sizeof(*out))) == NULL))) {
		cli_error("logscan", "out of memory");
		goto done;
	}
	if (nrows > 1)
		qsort(rows, nrows, sizeof(*rows), row_name_cmp);
	for (size_t i = 0; i < n; i++)
		idx[i] = &v[i];
	if (n > 1)
		qsort(idx, n, sizeof(*idx), shadow_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct logscan_row *row;
		int refuse[LOGLINE_TRUST_COUNT];
		struct shadow_row *r;

		if (i + 1 < n && strcmp(idx[i]->domain, idx[i + 1]->domain) == 0)
			continue;   /* a later line of the domain */
		r = &out[nout++];
		r->sh = idx[i];
		shadow_refused(r->sh, refuse);
		row = nrows ? bsearch(r->sh->domain, rows, nrows, sizeof(*rows), row_key_cmp) : NULL;
		for (int c = 0; row && c < LOGLINE_TRUST_COUNT; c++) {
			r->sent[c] = row->d->t.tls[c];
			r->total += r->sent[c];
			if (refuse[c])
				r->would_defer += r->sent[c];
		}
	}
	if (cli->json)
		shadow_json(stdout, out, nout);
	else
		shadow_table(stdout, out, nout);
	rc = EXIT_OK;
done:
	logscan_rows_free(rows, nrows);
	free(idx);
	free(out);
	return rc;
}

/* Suggestions, discovery, the report and --apply.  Returns -1 after
 * a failure that ends the run (no summary), else the exit code. */
static int logscan_report(struct cli *cli, struct logscan_cmd *o, struct logscan *ls,
			  struct store *st, const struct table *table,
			  struct logscan_row **rowsp, size_t *nrowsp)
{
	struct logscan_row *rows = NULL;
	char msg[ERRBUF_MAX];
	size_t nrows;
	int rc;

	if (logscan_input_check(ls, msg, sizeof(msg)) < 0) {
		cli_error("logscan", "%s", msg);
		return -1;
	}
	if (logscan_input_warning(ls, msg, sizeof(msg)))
		cli_error("logscan", "%s", msg);
	nrows = logscan_rows(ls, &rows);
	*rowsp = rows;
	*nrowsp = nrows;
	if (rows == NULL && logscan_ndomains(ls)) {
		cli_error("logscan", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nrows; i++) {
		row_current(table, &rows[i]);
		logscan_suggest(&rows[i], o->min);
	}
	if ((o->discover || o->do_probe) &&
	    live_run(cli, ls, rows, nrows, o->discover, o->do_probe, st != NULL,
		     &o->force_weaker) < 0)
		return -1;
	for (size_t i = 0; i < o->force_weaker.n; i++)
		if (!o->force_weaker.used[i])
			cli_error("logscan", "--force-weaker %s: no suggestion for it needed it",
				  o->force_weaker.key[i]);
	if (o->format && strcmp(o->format, "postmap") == 0)
		logscan_print_postmap(stdout, rows, nrows, o->min);
	else if (o->format)
		logscan_print_sql(stdout, rows, nrows, o->force);
	else if (cli->json)
		logscan_print_json(stdout, ls, rows, nrows, o->min);
	else
		logscan_print_table(stdout, ls, rows, nrows);
	rc = EXIT_OK;
	if (o->do_apply) {
		fflush(stdout);
		int changed = 0;

		rc = apply(st, rows, nrows, o->force, cli->json || o->format ? stderr : stdout,
			   o->files, o->nfiles, &changed);
		if (rc == EXIT_OK && changed)
			cli_tell_daemon(cli, SIGHUP, "reload the policy table");
	} else if (o->format) {
		not_written(rows, nrows, stderr, "tlspolicy logscan: ");
	}
	return rc;
}

static int logscan_run(struct cli *cli, struct logscan_cmd *o)
{
	struct logscan *ls = NULL;
	struct logscan_row *rows = NULL;
	struct table table;
	struct store *st = NULL;
	size_t nrows = 0;
	double secs = 0;
	int rc;

	/* informational lines (sts: ... loaded) only with -v */
	log_set_info(cli->verbose > 0);
	memset(&table, 0, sizeof(table));
	if ((rc = logscan_read_table(cli, o, &st, &table)) >= 0)
		goto out;
	rc = EXIT_FAIL;
	if ((ls = logscan_new(&o->opts)) == NULL) {
		cli_error("logscan", "out of memory");
		goto out;
	}
	if (logscan_scan_files(ls, o, &secs) < 0)
		goto out;
	if (o->shadow) {
		if ((rc = logscan_shadow_report(cli, ls)) < 0)
			rc = EXIT_FAIL;
		else
			logscan_summary(cli, ls, secs);
		goto out;
	}
	if ((rc = logscan_report(cli, o, ls, st, &table, &rows, &nrows)) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	logscan_summary(cli, ls, secs);
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

int cmd_logscan(struct cli *cli, int argc, char **argv)
{
	struct logscan_cmd o;
	int rc = logscan_parse(cli, argc, argv, &o);

	return rc >= 0 ? rc : logscan_run(cli, &o);
}
