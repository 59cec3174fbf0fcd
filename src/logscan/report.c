/* SPDX-License-Identifier: MIT */
/*
 * report.c - suggestions and output of logscan (see report.h).
 */
#include "logscan/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define TABLE_NAME_MAX 48    /* widest DOMAIN column */
#define TABLE_CURRENT_MAX 40 /* widest CURRENT column */
#define TABLE_SUGGESTION_MAX 200 /* widest SUGGESTION column */

unsigned long logscan_sent(const struct logscan_tally *t)
{
	unsigned long n = 0;

	for (int i = 0; i < LOGLINE_TRUST_COUNT; i++)
		n += t->tls[i];
	return n;
}

unsigned long logscan_failures(const struct logscan_tally *t)
{
	unsigned long n = 0;

	for (int i = 1; i < LOGLINE_FAIL_COUNT; i++)
		n += t->fail[i];
	return n;
}

int logscan_rank(enum policy_level level)
{
	switch (level) {
	case POLICY_NONE:
		return 0;
	case POLICY_MAY:
		return 1;
	case POLICY_ENCRYPT:
		return 2;
	case POLICY_DANE:
	case POLICY_VERIFY:
		return 3;
	case POLICY_DANE_ONLY:
	case POLICY_FINGERPRINT:
	case POLICY_SECURE:
		return 4;
	default:
		return 4;
	}
}

/* Sorting: by a 16-byte key per domain, not the 1 KB rows (qsort would
 * copy them, and glibc's merge sort takes a temporary array as large as
 * all the rows). */
struct row_order {
	unsigned long sent;
	const struct logscan_domain *d;
};

static int order_cmp(const void *a, const void *b)
{
	const struct row_order *x = a, *y = b;

	if (x->sent != y->sent)
		return x->sent > y->sent ? -1 : 1;
	return strcmp(x->d->name, y->d->name);
}

/* A row's key and reason before they are set (never freed). */
static const char no_text[1];

void logscan_row_reason(struct logscan_row *row, const char *fmt, ...)
{
	char buf[LOGSCAN_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (row->reason != no_text)
		free((char *)row->reason);
	row->reason = xstrdup(buf);
}

size_t logscan_rows(const struct logscan *ls, struct logscan_row **rows)
{
	size_t n = logscan_ndomains(ls);
	struct logscan_row *r;
	struct row_order *o;

	*rows = NULL;
	if (n == 0)
		return 0;
	if ((o = malloc(n * sizeof(*o))) == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		o[i].d = logscan_domain(ls, i);
		o[i].sent = logscan_sent(&o[i].d->t);
	}
	qsort(o, n, sizeof(*o), order_cmp);
	if ((r = calloc(n, sizeof(*r))) == NULL) {
		free(o);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		enum policy_key_kind kind;
		char key[POLICY_KEY_MAX];

		r[i].d = o[i].d;
		r[i].tls_unlogged = (unsigned char)logscan_tls_unlogged(ls);
		r[i].reason = no_text;
		r[i].key = no_text;
		if (policy_key_normalize(r[i].d->name, key, sizeof(key), &kind, NULL) == 0 &&
		    kind == POLICY_KEY_DOMAIN)
			r[i].key = xstrdup(key);
	}
	free(o);
	*rows = r;
	return n;
}

int logscan_input_check(const struct logscan *ls, char *msg, size_t n)
{
	const struct logscan_counts *c = logscan_counts(ls);

	if (c->lines == 0) {
		snprintf(msg, n, "empty input: no log line to read (is this Postfix's mail "
			 "log? e.g. /var/log/mail.log, or journalctl -o short-iso -t "
			 "postfix/smtp | tlspolicy logscan -)");
		return -1;
	}
	if (c->postfix_lines == 0) {
		snprintf(msg, n, "not one Postfix log line in %lu line%s (is this Postfix's "
			 "mail log? e.g. /var/log/mail.log, or journalctl -o short-iso -t "
			 "postfix/smtp | tlspolicy logscan -)", c->lines, c->lines == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

int logscan_tls_unlogged(const struct logscan *ls)
{
	const struct logscan_counts *c = logscan_counts(ls);

	return c->deliveries > 0 && c->tls_sessions == 0;
}

const char *logscan_input_warning(const struct logscan *ls, char *msg, size_t n)
{
	if (!logscan_tls_unlogged(ls))
		return NULL;
	snprintf(msg, n, "warning: %lu deliveries but not one \"TLS connection "
		 "established\" line in the whole input: Postfix logs them only with "
		 "smtp_tls_loglevel = 1 or more (its default is 0), so TLS and plaintext "
		 "deliveries cannot be told apart; TLS shown as unknown (?), nothing "
		 "suggested. Set smtp_tls_loglevel = 1 (postconf -e smtp_tls_loglevel=1; "
		 "postfix reload) and scan the log written after that",
		 logscan_counts(ls)->deliveries);
	return msg;
}

void logscan_rows_free(struct logscan_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		free(rows[i].current_text);
		free(rows[i].current_key);
		free(rows[i].suggestion_params);
		if (rows[i].key != no_text)
			free((char *)rows[i].key);
		if (rows[i].reason != no_text)
			free((char *)rows[i].reason);
	}
	free(rows);
}

#define FAIL_BIT(k) (1u << (k))
#define FAIL_ANY (~0u)
/* failures a required TLS level turns into deferrals */
#define FAIL_TLS (FAIL_BIT(LOGLINE_FAIL_NOT_OFFERED) | FAIL_BIT(LOGLINE_FAIL_STARTTLS_REFUSED) | \
		  FAIL_BIT(LOGLINE_FAIL_HANDSHAKE))
/* failures "verify" turns into deferrals (not TLSA lookup problems, not
 * our own TLS engine) */
#define FAIL_CERT (FAIL_BIT(LOGLINE_FAIL_UNTRUSTED) | FAIL_BIT(LOGLINE_FAIL_EXPIRED) | \
		   FAIL_BIT(LOGLINE_FAIL_NAME_MISMATCH) | FAIL_BIT(LOGLINE_FAIL_UNVERIFIED) | \
		   FAIL_BIT(LOGLINE_FAIL_DANE) | FAIL_BIT(LOGLINE_FAIL_STS))

/* The failure kind in mask seen most often (ties: the lower enum value),
 * and the sum of those kinds. */
static enum logline_fail top_failure(const struct logscan_tally *t, unsigned mask,
				     unsigned long *sum)
{
	enum logline_fail best = LOGLINE_FAIL_NONE;
	unsigned long n = 0;

	for (int i = 1; i < LOGLINE_FAIL_COUNT; i++) {
		if (!(mask & FAIL_BIT(i)) || t->fail[i] == 0)
			continue;
		n += t->fail[i];
		if (best == LOGLINE_FAIL_NONE || t->fail[i] > t->fail[best])
			best = (enum logline_fail)i;
	}
	if (sum)
		*sum = n;
	return best;
}

/* "all 12 deliveries" / "the 1 delivery"; static buffer. */
static const char *all(unsigned long n)
{
	static char buf[48];

	if (n == 1)
		snprintf(buf, sizeof(buf), "the 1 delivery");
	else
		snprintf(buf, sizeof(buf), "all %lu deliveries", n);
	return buf;
}

/* "(2 Verified, 1 Trusted)": the non-zero encrypted classes. */
static void classes(char *out, size_t n, const struct logscan_tally *t)
{
	static const char *const label[] = { "Verified", "Trusted", "Untrusted", "Anonymous" };
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < 4 && o < n; i++) {
		if (t->tls[i] == 0)
			continue;
		o += (size_t)snprintf(out + o, n - o, "%s%lu %s", o ? ", " : "(",
				      (unsigned long)t->tls[i], label[i]);
	}
	if (o && o < n)
		snprintf(out + o, n - o, ")");
}

void logscan_suggest(struct logscan_row *row, unsigned long min_deliveries)
{
	const struct logscan_tally *t = &row->d->t;
	unsigned long sent = logscan_sent(t);
	unsigned long plain = t->tls[LOGLINE_PLAINTEXT];
	unsigned long verified = t->tls[LOGLINE_VERIFIED];
	unsigned long tls_fail, cert_fail;
	enum logline_fail tls_top = top_failure(t, FAIL_TLS, &tls_fail);
	enum logline_fail cert_top = top_failure(t, FAIL_CERT, &cert_fail);
	enum policy_level s;
	char cls[96];

	row->has_suggestion = 0;
	if (row->key[0] == '\0') {
		logscan_row_reason(row, "not a valid domain name");
		return;
	}
	if (sent == 0) {
		logscan_row_reason(row, "no deliveries");
		return;
	}
	if (row->tls_unlogged) {
		logscan_row_reason(row, "TLS not logged (smtp_tls_loglevel "
			 "= 0?): %lu deliver%s, TLS unknown", sent, sent == 1 ? "y" : "ies");
		return;
	}
	if (plain) {
		logscan_row_reason(row, "%lu of %lu deliver%s in plaintext",
			 plain, sent, sent == 1 ? "y" : "ies");
		return;
	}
	if (tls_fail) {
		logscan_row_reason(row, "%lu TLS failure%s (%s)", tls_fail,
			 tls_fail == 1 ? "" : "s", logline_fail_name(tls_top));
		return;
	}
	if (sent < min_deliveries) {
		logscan_row_reason(row, "only %lu deliver%s (need %lu)", sent,
			 sent == 1 ? "y" : "ies", min_deliveries);
		return;
	}
	classes(cls, sizeof(cls), t);
	if (verified == sent && row->d->ip_only == 0 && cert_fail == 0) {
		s = POLICY_VERIFY;
		logscan_row_reason(row, "%s Verified", all(sent));
	} else if (cert_fail) {
		s = POLICY_ENCRYPT;
		logscan_row_reason(row,
			 "%s encrypted %s; %lu certificate failure%s (%s)", all(sent), cls,
			 cert_fail, cert_fail == 1 ? "" : "s", logline_fail_name(cert_top));
	} else if (verified == sent) {
		s = POLICY_ENCRYPT;
		logscan_row_reason(row,
			 "%s Verified, but relays named by address only", all(sent));
	} else {
		s = POLICY_ENCRYPT;
		logscan_row_reason(row, "%s encrypted %s", all(sent), cls);
	}
	if (row->has_current && logscan_rank(row->current_level) >= logscan_rank(s)) {
		logscan_row_reason(row, "table has %s, not weaker than %s",
			 policy_level_name(row->current_level), policy_level_name(s));
		return;
	}
	row->has_suggestion = 1;
	row->suggestion = s;
}

const char *logscan_suggestion_text(const struct logscan_row *row, char *out, size_t n)
{
	const char *p = row->suggestion_params;

	snprintf(out, n, "%s%s%s", policy_level_name(row->suggestion), p && *p ? " " : "",
		 p ? p : "");
	return out;
}

/* ---- table ------------------------------------------------------------- */

static void percent(char *out, size_t n, unsigned long part, unsigned long whole)
{
	if (whole == 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f%%", 100.0 * (double)part / (double)whole);
}

struct table_cells {
	char domain[TABLE_NAME_MAX + 1];
	char deliveries[24], verified[12], encrypted[12], plaintext[12];
	char failures[48];
	char current[TABLE_CURRENT_MAX + 1];
	char published[16];
	char suggestion[TABLE_SUGGESTION_MAX + 1];
	char reason[LOGSCAN_REASON_MAX];
};

static void table_cells(const struct logscan_row *r, struct table_cells *c)
{
	const struct logscan_tally *t = &r->d->t;
	unsigned long sent = logscan_sent(t), fails = logscan_failures(t);

	printable(c->domain, sizeof(c->domain), r->d->name, strlen(r->d->name));
	snprintf(c->deliveries, sizeof(c->deliveries), "%lu", sent);
	if (r->tls_unlogged && t->tls[LOGLINE_PLAINTEXT]) {
		/* no TLS line anywhere: those deliveries are unknown, not plaintext */
		snprintf(c->verified, sizeof(c->verified), "?");
		snprintf(c->encrypted, sizeof(c->encrypted), "?");
		snprintf(c->plaintext, sizeof(c->plaintext), "?");
	} else {
		percent(c->verified, sizeof(c->verified), t->tls[LOGLINE_VERIFIED], sent);
		percent(c->encrypted, sizeof(c->encrypted), sent - t->tls[LOGLINE_PLAINTEXT],
			sent);
		percent(c->plaintext, sizeof(c->plaintext), t->tls[LOGLINE_PLAINTEXT], sent);
	}
	if (fails)
		snprintf(c->failures, sizeof(c->failures), "%lu %s", fails,
			 logline_fail_name(top_failure(t, FAIL_ANY, NULL)));
	else
		snprintf(c->failures, sizeof(c->failures), "0");
	if (r->has_current) {
		char tmp[POLICY_KEY_MAX + POLICY_MAX_TEXT + 8];

		if (r->current_exact)
			snprintf(tmp, sizeof(tmp), "%s", r->current_text ? r->current_text : "?");
		else
			snprintf(tmp, sizeof(tmp), "%s (%s)", r->current_text ? r->current_text : "?",
				 r->current_key);
		printable(c->current, sizeof(c->current), tmp, strlen(tmp));
	} else {
		snprintf(c->current, sizeof(c->current), "-");
	}
	if (r->has_suggestion) {
		char tmp[POLICY_MAX_TEXT];

		logscan_suggestion_text(r, tmp, sizeof(tmp));
		printable(c->suggestion, sizeof(c->suggestion), tmp, strlen(tmp));
	} else {
		snprintf(c->suggestion, sizeof(c->suggestion), "-");
	}
	snprintf(c->published, sizeof(c->published), "%s", r->published[0] ? r->published : "-");
	printable(c->reason, sizeof(c->reason), r->reason, strlen(r->reason));
}

#define WIDEN(w, s) do { size_t l_ = strlen(s); if (l_ > (w)) (w) = l_; } while (0)

void logscan_print_table(FILE *out, const struct logscan *ls,
			 const struct logscan_row *rows, size_t n)
{
	static const char *const head[] = { "DOMAIN", "DELIVERIES", "VERIFIED", "ENCRYPTED",
					    "PLAINTEXT", "FAILURES", "CURRENT", "PUBLISHED",
					    "SUGGESTION", "REASON" };
	size_t w[9];
	int pub = 0;
	struct table_cells c;

	(void)ls;
	for (size_t i = 0; i < n && !pub; i++)
		pub = rows[i].published[0] != '\0';
	for (int i = 0; i < 9; i++)
		w[i] = strlen(head[i]);
	for (size_t i = 0; i < n; i++) {
		table_cells(&rows[i], &c);
		WIDEN(w[0], c.domain);
		WIDEN(w[1], c.deliveries);
		WIDEN(w[2], c.verified);
		WIDEN(w[3], c.encrypted);
		WIDEN(w[4], c.plaintext);
		WIDEN(w[5], c.failures);
		WIDEN(w[6], c.current);
		WIDEN(w[7], c.published);
		WIDEN(w[8], c.suggestion);
	}
	fprintf(out, "%-*s  %*s  %*s  %*s  %*s  %-*s  %-*s  ",
		(int)w[0], head[0], (int)w[1], head[1], (int)w[2], head[2], (int)w[3], head[3],
		(int)w[4], head[4], (int)w[5], head[5], (int)w[6], head[6]);
	if (pub)
		fprintf(out, "%-*s  ", (int)w[7], head[7]);
	fprintf(out, "%-*s  %s\n", (int)w[8], head[8], head[9]);
	for (size_t i = 0; i < n; i++) {
		table_cells(&rows[i], &c);
		fprintf(out, "%-*s  %*s  %*s  %*s  %*s  %-*s  %-*s  ",
			(int)w[0], c.domain, (int)w[1], c.deliveries, (int)w[2], c.verified,
			(int)w[3], c.encrypted, (int)w[4], c.plaintext, (int)w[5], c.failures,
			(int)w[6], c.current);
		if (pub)
			fprintf(out, "%-*s  ", (int)w[7], c.published);
		fprintf(out, "%-*s  %s\n", (int)w[8], c.suggestion, c.reason);
	}
}

/* ---- JSON ------------------------------------------------------------- */

/*
 * JSON output through an own buffer: a report for 50,000 domains is
 * ~60 MB, and stdio's per-call locking and format parsing made printing
 * it cost a third of a whole logscan run.  The bytes are exactly what
 * the fprintf() calls wrote before (the golden tests compare them).
 */
struct jout {
	FILE *out;
	struct buf b;
};

#define JOUT_FLUSH (64u * 1024)        /* write out from this many bytes */
#define JOUT_MAX (16u * 1024 * 1024)   /* one string may be this long */

static void jflush(struct jout *j)
{
	if (j->b.len)
		fwrite(j->b.data, 1, j->b.len, j->out);
	buf_reset(&j->b);
}

static void jmaybe_flush(struct jout *j)
{
	if (j->b.len >= JOUT_FLUSH)
		jflush(j);
}

static void jput(struct jout *j, const char *s, size_t n)
{
	if (buf_append(&j->b, s, n) < 0) { /* over JOUT_MAX: straight out */
		jflush(j);
		fwrite(s, 1, n, j->out);
	}
	jmaybe_flush(j);
}

#define JLIT(j, s) jput((j), (s), sizeof(s) - 1)

static void jputs(struct jout *j, const char *s)
{
	jput(j, s, strlen(s));
}

static void jchar(struct jout *j, char c)
{
	jput(j, &c, 1);
}

/* %lu / %llu / %zu */
static void jnum(struct jout *j, unsigned long long v)
{
	char tmp[24];
	size_t k = sizeof(tmp);

	do {
		tmp[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jput(j, tmp + k, sizeof(tmp) - k);
}

/* The one JSON string writer (util/json), into the buffer. */
static void json_str(struct jout *j, const char *s)
{
	if (json_buf_str(&j->b, s, 0) < 0) { /* a string over JOUT_MAX */
		buf_reset(&j->b);
		json_fput_str(j->out, s, 0);
	}
	jmaybe_flush(j);
}

static void json_time(struct jout *j, time_t t)
{
	struct tm tm;
	char buf[32];
	size_t n;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		JLIT(j, "null");
		return;
	}
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jchar(j, '"');
	jput(j, buf, n);
	jchar(j, '"');
}

/* unlogged: no TLS line in the input; "plaintext" is then null and the
 * deliveries without a TLS line are "tls_unknown". */
static void json_tally(struct jout *j, const struct logscan_tally *t, const char *indent,
		       int unlogged)
{
	size_t il = strlen(indent);

	jput(j, indent, il);
	JLIT(j, "\"deliveries\": ");
	jnum(j, logscan_sent(t));
	JLIT(j, ",\n");
	for (int i = 0; i < LOGLINE_TRUST_COUNT; i++) {
		jput(j, indent, il);
		jchar(j, '"');
		jputs(j, logline_trust_name((enum logline_trust)i));
		if (unlogged && i == LOGLINE_PLAINTEXT) {
			JLIT(j, "\": null,\n");
			jput(j, indent, il);
			JLIT(j, "\"tls_unknown\": ");
		} else {
			JLIT(j, "\": ");
		}
		jnum(j, t->tls[i]);
		JLIT(j, ",\n");
	}
	jput(j, indent, il);
	JLIT(j, "\"deferred\": ");
	jnum(j, t->deferred);
	JLIT(j, ",\n");
	jput(j, indent, il);
	JLIT(j, "\"bounced\": ");
	jnum(j, t->bounced);
	JLIT(j, ",\n");
	jput(j, indent, il);
	JLIT(j, "\"failures\": {\"total\": ");
	jnum(j, logscan_failures(t));
	for (int i = 1; i < LOGLINE_FAIL_COUNT; i++) {
		if (t->fail[i] == 0)
			continue;
		JLIT(j, ", \"");
		jputs(j, logline_fail_name((enum logline_fail)i));
		JLIT(j, "\": ");
		jnum(j, t->fail[i]);
	}
	jchar(j, '}');
}

static void json_names(struct jout *j, const struct logscan *ls, const uint16_t *ids,
		       const uint32_t *counts, int n, unsigned long other)
{
	int first = 1;

	jchar(j, '{');
	for (int i = 0; i < n && counts[i]; i++) {
		if (!first)
			JLIT(j, ", ");
		json_str(j, logscan_tls_name(ls, ids[i]));
		JLIT(j, ": ");
		jnum(j, counts[i]);
		first = 0;
	}
	if (other) {
		if (!first)
			JLIT(j, ", ");
		JLIT(j, "\"other\": ");
		jnum(j, other);
	}
	jchar(j, '}');
}

static void json_share(struct jout *j, unsigned long part, unsigned long whole)
{
	char buf[64];
	int n;

	if (whole == 0) {
		JLIT(j, "null");
		return;
	}
	if (part == whole) { /* the common cases, as %.4f prints them */
		JLIT(j, "1.0000");
		return;
	}
	if (part == 0) {
		JLIT(j, "0.0000");
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.4f", (double)part / (double)whole);
	if (n > 0)
		jput(j, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The report up to the domains: summary, days, min_deliveries. */
static void json_head(struct jout *j, const struct logscan *ls, size_t n,
		      unsigned long min_deliveries)
{
	const struct logscan_counts *c = logscan_counts(ls);

	JLIT(j, "{\n  \"summary\": {\"files\": "); jnum(j, c->files);
	JLIT(j, ", \"bytes\": "); jnum(j, c->bytes);
	JLIT(j, ", \"lines\": "); jnum(j, c->lines);
	JLIT(j, ", \"postfix_lines\": "); jnum(j, c->postfix_lines);
	JLIT(j, ", \"smtp_lines\": "); jnum(j, c->smtp_lines);
	JLIT(j, ", \"other_lines\": "); jnum(j, c->other_lines);
	JLIT(j, ", \"unknown_lines\": "); jnum(j, c->unknown_lines);
	JLIT(j, ", \"long_lines\": "); jnum(j, c->long_lines);
	JLIT(j, ", \"out_of_range\": "); jnum(j, c->out_of_range);
	JLIT(j, ", \"tls_sessions\": "); jnum(j, c->tls_sessions);
	JLIT(j, ", \"delivery_records\": "); jnum(j, c->delivery_records);
	JLIT(j, ", \"deliveries\": "); jnum(j, c->deliveries);
	JLIT(j, ", \"no_domain\": "); jnum(j, c->no_domain);
	JLIT(j, ", \"filtered\": "); jnum(j, c->filtered);
	JLIT(j, ", \"dropped\": "); jnum(j, c->dropped);
	JLIT(j, ", \"undated\": "); jnum(j, c->undated);
	JLIT(j, ", \"domains\": "); jnum(j, n);
	JLIT(j, "},\n  \"days\": [");
	for (size_t i = 0; i < logscan_ndays(ls); i++) {
		const struct logscan_day *day = logscan_day(ls, i);
		unsigned long total = 0;
		char date[40];
		int dn;

		dn = snprintf(date, sizeof(date), "%s{\"date\": \"%04d-%02d-%02d\"",
			      i ? ",\n    " : "\n    ", day->year, day->mon, day->mday);
		if (dn > 0)
			jput(j, date, (size_t)dn < sizeof(date) ? (size_t)dn : sizeof(date) - 1);
		for (int k = 0; k < LOGLINE_TRUST_COUNT; k++) {
			JLIT(j, ", \"");
			jputs(j, logline_trust_name((enum logline_trust)k));
			JLIT(j, "\": ");
			jnum(j, day->tls[k]);
			total += day->tls[k];
		}
		JLIT(j, ", \"deliveries\": ");
		jnum(j, total);
		jchar(j, '}');
	}
	if (logscan_ndays(ls))
		JLIT(j, "\n  ],\n");
	else
		JLIT(j, "],\n");
	if (logscan_tls_unlogged(ls))
		JLIT(j, "  \"tls_logged\": false,\n");
	JLIT(j, "  \"min_deliveries\": "); jnum(j, min_deliveries);
	JLIT(j, ",\n  \"domains\": [");
}

void logscan_print_json(FILE *out, const struct logscan *ls,
			const struct logscan_row *rows, size_t n,
			unsigned long min_deliveries)
{
	struct jout jo, *j = &jo;

	j->out = out;
	buf_init(&j->b, JOUT_MAX);
	fflush(out); /* what the caller printed before stays in front */
	json_head(j, ls, n, min_deliveries);
	for (size_t i = 0; i < n; i++) {
		const struct logscan_row *r = &rows[i];
		const struct logscan_domain *d = r->d;
		unsigned long sent = logscan_sent(&d->t);
		uint32_t m;
		int first = 1;

		if (i)
			JLIT(j, ",\n    {\n");
		else
			JLIT(j, "\n    {\n");
		JLIT(j, "      \"domain\": ");
		json_str(j, d->name);
		JLIT(j, ",\n");
		json_tally(j, &d->t, "      ", r->tls_unlogged);
		JLIT(j, ",\n      \"share\": {\"verified\": ");
		json_share(j, d->t.tls[LOGLINE_VERIFIED], r->tls_unlogged ? 0 : sent);
		JLIT(j, ", \"encrypted\": ");
		json_share(j, sent - d->t.tls[LOGLINE_PLAINTEXT], r->tls_unlogged ? 0 : sent);
		JLIT(j, ", \"plaintext\": ");
		json_share(j, d->t.tls[LOGLINE_PLAINTEXT], r->tls_unlogged ? 0 : sent);
		JLIT(j, "},\n      \"tls_versions\": ");
		json_names(j, ls, d->proto, d->proto_n, LOGSCAN_DOMAIN_PROTOS, d->proto_other);
		JLIT(j, ",\n      \"ciphers\": ");
		json_names(j, ls, d->cipher, d->cipher_n, LOGSCAN_DOMAIN_CIPHERS, d->cipher_other);
		JLIT(j, ",\n      \"first_seen\": ");
		json_time(j, d->first);
		JLIT(j, ",\n      \"last_seen\": ");
		json_time(j, d->last);
		JLIT(j, ",\n      \"mx\": [");
		for (m = d->mx_first; m; m = logscan_mx(ls, m)->next) {
			const struct logscan_mx *mx = logscan_mx(ls, m);

			if (first)
				JLIT(j, "\n        {\"host\": ");
			else
				JLIT(j, ",\n        {\"host\": ");
			json_str(j, logscan_host_name(ls, mx->host));
			JLIT(j, ",\n");
			json_tally(j, &mx->t, "         ", r->tls_unlogged);
			jchar(j, '}');
			first = 0;
		}
		if (first)
			JLIT(j, "],\n");
		else
			JLIT(j, "\n      ],\n");
		JLIT(j, "      \"current_policy\": ");
		if (r->has_current) {
			json_str(j, r->current_text ? r->current_text : "");
			JLIT(j, ",\n      \"current_key\": ");
			json_str(j, r->current_key);
		} else {
			JLIT(j, "null,\n      \"current_key\": null");
		}
		if (r->published[0]) {
			JLIT(j, ",\n      \"published\": ");
			json_str(j, r->published);
		}
		JLIT(j, ",\n      \"suggestion\": ");
		if (r->has_suggestion) {
			char tmp[POLICY_MAX_TEXT];

			json_str(j, logscan_suggestion_text(r, tmp, sizeof(tmp)));
		} else {
			JLIT(j, "null");
		}
		JLIT(j, ",\n      \"reason\": ");
		json_str(j, r->reason);
		JLIT(j, "\n    }");
	}
	if (n)
		JLIT(j, "\n  ]\n}\n");
	else
		JLIT(j, "]\n}\n");
	jflush(j);
	buf_free(&j->b);
}

/* ---- postmap / SQL ---------------------------------------------------- */

/* Keys are normalised domain names; anything beyond [a-z0-9._-] is
 * refused rather than quoted (SQLite and MariaDB quote differently). */
static int key_is_plain(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(s);
}

/* Suggested parameters ("match=a.example:.b.example") with the same
 * character set plus '=' and ':'. */
static int params_are_plain(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-=:") == strlen(s);
}

void logscan_print_postmap(FILE *out, const struct logscan_row *rows, size_t n,
			   unsigned long min_deliveries)
{
	size_t k = 0;
	char tmp[POLICY_MAX_TEXT];

	for (size_t i = 0; i < n; i++)
		k += rows[i].has_suggestion != 0;
	fprintf(out, "# tlspolicy logscan: %zu suggestion%s (at least %lu deliveries each)\n", k,
		k == 1 ? "" : "s", min_deliveries);
	for (size_t i = 0; i < n; i++) {
		const struct logscan_row *r = &rows[i];

		if (!r->has_suggestion)
			continue;
		if (r->has_current && r->current_exact)
			fprintf(out, "# %s: replaces table entry \"%s\"\n", r->key,
				r->current_text ? r->current_text : "");
		if (r->suggestion_params && !params_are_plain(r->suggestion_params)) {
			fprintf(out, "# %s: skipped, unusual characters in the policy\n", r->key);
			continue;
		}
		fprintf(out, "%s %s\n", r->key, logscan_suggestion_text(r, tmp, sizeof(tmp)));
	}
}


/* params as an SQL literal: '...' or NULL (checked plain above) */
#define P1(r) ((r)->suggestion_params ? "'" : "")
#define P2(r) ((r)->suggestion_params ? (r)->suggestion_params : "NULL")

void logscan_print_sql(FILE *out, const struct logscan_row *rows, size_t n, int force)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += rows[i].has_suggestion != 0;
	fprintf(out, "-- tlspolicy logscan: %zu suggestion%s\n", k, k == 1 ? "" : "s");
	if (k == 0)
		return;
	fputs("BEGIN;\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct logscan_row *r = &rows[i];
		const char *lvl;

		if (!r->has_suggestion)
			continue;
		lvl = policy_level_name(r->suggestion);
		if (!key_is_plain(r->key) ||
		    (r->suggestion_params && !params_are_plain(r->suggestion_params))) {
			fputs("-- skipped a domain with unusual characters\n", out);
		} else if (r->has_current && r->current_exact) {
			if (force) {
				fprintf(out, "UPDATE tlspolicies SET policy = '%s', params = %s%s%s "
					"WHERE domain = '%s';\n", lvl, P1(r), P2(r), P1(r), r->key);
			} else {
				fprintf(out, "-- %s: has a row (%s); --force to replace with %s\n",
					r->key, policy_level_name(r->current_level), lvl);
			}
		} else {
			fprintf(out, "INSERT INTO tlspolicies (domain, policy, params) "
				"VALUES ('%s', '%s', %s%s%s);\n", r->key, lvl, P1(r), P2(r), P1(r));
		}
	}
	fputs("COMMIT;\n", out);
}
