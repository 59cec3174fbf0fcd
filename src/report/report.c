/* SPDX-License-Identifier: MIT */
/*
 * report.c - the model of `tlspolicy report` (report.h): building it,
 * the changes against the previous snapshot, and the JSON writer.  The
 * HTML page is in page.c.
 */
#include "report/report.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

static const char *const grade_title[LOGLINE_TRUST_COUNT] = {
	"Verified", "Trusted", "Untrusted", "Anonymous", "plaintext"
};

const char *report_grade_title(int grade)
{
	return grade >= 0 && grade < LOGLINE_TRUST_COUNT ? grade_title[grade] : "?";
}

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->expiry_days = REPORT_DEFAULT_EXPIRY_DAYS;
}

static void dest_free(struct report_dest *d)
{
	free(d->domain);
	free(d->provider);
	free(d->published);
	free(d->policy);
	free(d->parameter);
	free(d->table);
	free(d->recommend);
	free(d->recommend_src);
	free(d->note);
	free(d->suggestion);
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->ndests; i++)
		dest_free(&r->dests[i]);
	for (size_t i = 0; i < r->nfindings; i++) {
		free(r->findings[i].domain);
		free(r->findings[i].host);
		free(r->findings[i].text);
	}
	for (size_t i = 0; i < r->nchanges; i++) {
		free(r->changes[i].domain);
		free(r->changes[i].what);
		free(r->changes[i].before);
		free(r->changes[i].after);
	}
	free(r->days);
	free(r->dests);
	free(r->findings);
	free(r->changes);
	free(r->host);
	free(r->snap_note);
	free(r->check_note);
	free(r->own_note);
	memset(r, 0, sizeof(*r));
}

unsigned long report_sum(const unsigned long n[LOGLINE_TRUST_COUNT])
{
	unsigned long s = 0;

	for (int i = 0; i < LOGLINE_TRUST_COUNT; i++)
		s += n[i];
	return s;
}

/* Grows *v (of *n elements of size sz) by one zeroed element. */
static void *grow(void *pv, size_t n, size_t sz)
{
	void **v = pv;
	char *nv;

	/* capacity: powers of two from 16 */
	if (n >= 16 && (n & (n - 1)) != 0)
		return *v;
	nv = realloc(*v, (n < 16 ? 16 : n * 2) * sz);
	if (nv == NULL)
		return NULL;
	*v = nv;
	return nv;
}

int report_add_day(struct report *r, int year, int mon, int mday,
		   const unsigned long n[LOGLINE_TRUST_COUNT])
{
	struct report_day *d;

	if (grow(&r->days, r->ndays, sizeof(*r->days)) == NULL)
		return -1;
	d = &r->days[r->ndays];
	if (year < 0 || year > 9999 || mon < 1 || mon > 12 || mday < 1 || mday > 31)
		return -1;
	snprintf(d->date, sizeof(d->date), "%04u-%02u-%02u", (unsigned)year % 10000u,
		 (unsigned)mon % 100u, (unsigned)mday % 100u);
	memcpy(d->n, n, sizeof(d->n));
	r->ndays++;
	return 0;
}

struct report_dest *report_add_dest(struct report *r, const char *domain)
{
	struct report_dest *d;

	if (r->ndests >= REPORT_MAX_DESTS) {
		r->dests_left++;
		return NULL;
	}
	if (grow(&r->dests, r->ndests, sizeof(*r->dests)) == NULL)
		return NULL;
	d = &r->dests[r->ndests];
	memset(d, 0, sizeof(*d));
	if ((d->domain = strdup(domain ? domain : "")) == NULL)
		return NULL;
	r->ndests++;
	return d;
}

static char *dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

int report_add_finding(struct report *r, enum report_finding_kind kind,
		       const char *domain, const char *host, const char *text,
		       time_t when)
{
	struct report_finding *f;

	r->nkind[kind]++;
	if (r->nfindings >= REPORT_MAX_FINDINGS) {
		r->findings_left++;
		return 0;
	}
	if (grow(&r->findings, r->nfindings, sizeof(*r->findings)) == NULL)
		return -1;
	f = &r->findings[r->nfindings];
	f->kind = kind;
	f->when = when;
	f->domain = dup0(domain ? domain : "");
	f->host = dup0(host);
	f->text = dup0(text ? text : "");
	if (f->domain == NULL || f->text == NULL || (host && f->host == NULL)) {
		free(f->domain);
		free(f->host);
		free(f->text);
		return -1;
	}
	r->nfindings++;
	return 0;
}

static int add_change(struct report *r, const char *domain, const char *what,
		      const char *before, const char *after)
{
	struct report_change *c;

	if (r->nchanges >= REPORT_MAX_CHANGES) {
		r->changes_left++;
		return 0;
	}
	if (grow(&r->changes, r->nchanges, sizeof(*r->changes)) == NULL)
		return -1;
	c = &r->changes[r->nchanges];
	c->domain = strdup(domain);
	c->what = strdup(what);
	c->before = strdup(before ? before : "");
	c->after = strdup(after ? after : "");
	if (!c->domain || !c->what || !c->before || !c->after) {
		free(c->domain);
		free(c->what);
		free(c->before);
		free(c->after);
		return -1;
	}
	r->nchanges++;
	return 0;
}

/* The policy text a snapshot keeps for d: "LEVEL params", "" none. */
static void dest_policy(const struct report_dest *d, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", d->policy ? d->policy : "",
		 d->parameter && d->parameter[0] ? " " : "",
		 d->parameter ? d->parameter : "");
}

/* Verified share in tenths of a percent; -1 without deliveries. */
static long share_permille(unsigned long verified, unsigned long sent)
{
	return sent ? (long)((verified * 1000.0) / (double)sent + 0.5) : -1;
}

static int str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

int report_diff(struct report *r, const struct report_snap *prev, size_t n)
{
	char pol[1024], a[64], b[64];

	for (size_t i = 0; i < r->ndests; i++) {
		const struct report_dest *d = &r->dests[i];
		const struct report_snap *p = NULL;
		long s0, s1;

		for (size_t k = 0; k < n && p == NULL; k++)
			if (strcmp(prev[k].domain, d->domain) == 0)
				p = &prev[k];
		dest_policy(d, pol, sizeof(pol));
		if (p == NULL) {
			if (add_change(r, d->domain, "new destination", "", pol) < 0)
				return -1;
			continue;
		}
		/* policy and publication only between two checked reports (an
		 * unchecked snapshot row has published "") */
		if (d->checked && p->published[0] && !str_eq(p->policy, pol) &&
		    add_change(r, d->domain, "policy", p->policy, pol) < 0)
			return -1;
		if (d->checked && p->published[0] && !str_eq(p->published, d->published) &&
		    add_change(r, d->domain, "published", p->published, d->published) < 0)
			return -1;
		s0 = share_permille(p->verified, p->sent);
		s1 = share_permille(d->n[LOGLINE_VERIFIED], d->sent);
		if (s0 >= 0 && s1 >= 0 && labs(s1 - s0) >= 10) {
			snprintf(a, sizeof(a), "%ld.%ld%% of %lu", s0 / 10, s0 % 10, p->sent);
			snprintf(b, sizeof(b), "%ld.%ld%% of %lu", s1 / 10, s1 % 10, d->sent);
			if (add_change(r, d->domain, "Verified share", a, b) < 0)
				return -1;
		}
	}
	for (size_t k = 0; k < n; k++) {
		int found = 0;

		for (size_t i = 0; i < r->ndests && !found; i++)
			found = strcmp(prev[k].domain, r->dests[i].domain) == 0;
		if (!found && add_change(r, prev[k].domain, "no longer in the report",
					 prev[k].policy, "") < 0)
			return -1;
	}
	return 0;
}

/* ---- JSON ---- */

/* A JSON string (util/json: valid UTF-8 as it is, other bytes >= 0x80
 * as \u00XX, their Latin-1 reading). */
static int json_str(struct buf *b, const char *s)
{
	return json_buf_str(b, s, JSON_LATIN1);
}

static int json_nstr(struct buf *b, const char *s)
{
	return s ? json_str(b, s) : buf_puts(b, "null");
}

static int json_time(struct buf *b, time_t t)
{
	char tb[32];
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return buf_puts(b, "null");
	strftime(tb, sizeof(tb), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	return buf_puts(b, tb);
}

static int json_grades(struct buf *b, const unsigned long n[LOGLINE_TRUST_COUNT])
{
	int rc = 0;

	for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
		rc |= buf_printf(b, "\"%s\": %lu, ", logline_trust_name((enum logline_trust)g),
				 n[g]);
	rc |= buf_printf(b, "\"deliveries\": %lu", report_sum(n));
	return rc;
}

static const char *const kind_name[REPORT_F_COUNT] = {
	"weaker", "would_defer", "certificate_expiry", "own_domain"
};

int report_json(struct buf *b, const struct report *r)
{
	unsigned long tot[LOGLINE_TRUST_COUNT] = { 0 };
	int rc = 0;

	rc |= buf_puts(b, "{\n  \"generated\": ");
	rc |= json_time(b, r->generated);
	rc |= buf_puts(b, ",\n  \"host\": ");
	rc |= json_nstr(b, r->host);
	rc |= buf_printf(b, ",\n  \"logs\": %s,\n  \"summary\": {\"files\": %lu, \"lines\": %lu, "
			 "\"deliveries\": %lu, \"undated\": %lu, \"domains\": %lu},\n  \"days\": [",
			 r->have_logs ? "true" : "false", r->files, r->lines, r->deliveries,
			 r->undated, r->domains);
	for (size_t i = 0; i < r->ndays; i++) {
		rc |= buf_printf(b, "%s{\"date\": \"%s\", ", i ? ",\n    " : "\n    ",
				 r->days[i].date);
		rc |= json_grades(b, r->days[i].n);
		rc |= buf_puts(b, "}");
		for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
			tot[g] += r->days[i].n[g];
	}
	rc |= buf_puts(b, r->ndays ? "\n  ],\n  \"totals\": {" : "],\n  \"totals\": {");
	rc |= json_grades(b, tot);
	rc |= buf_printf(b, "},\n  \"checked\": %s, \"probed\": %s, \"check_note\": ",
			 r->checked ? "true" : "false", r->probed ? "true" : "false");
	rc |= json_nstr(b, r->check_note);
	rc |= buf_printf(b, ", \"expiry_days\": %u,\n  \"destinations_left_out\": %zu,\n"
			 "  \"destinations\": [", r->expiry_days, r->dests_left);
	for (size_t i = 0; i < r->ndests; i++) {
		const struct report_dest *d = &r->dests[i];

		rc |= buf_puts(b, i ? ",\n    {\"domain\": " : "\n    {\"domain\": ");
		rc |= json_str(b, d->domain);
		rc |= buf_printf(b, ", \"checked\": %s, \"provider\": ", d->checked ? "true" : "false");
		rc |= json_nstr(b, d->provider);
		rc |= buf_puts(b, ", \"published\": ");
		rc |= json_nstr(b, d->published);
		rc |= buf_puts(b, ", \"policy\": ");
		rc |= json_nstr(b, d->policy);
		rc |= buf_puts(b, ", \"parameter\": ");
		rc |= json_nstr(b, d->parameter);
		rc |= buf_puts(b, ", \"table\": ");
		rc |= json_nstr(b, d->table);
		rc |= buf_puts(b, ", \"recommendation\": ");
		if (d->recommend) {
			rc |= buf_puts(b, "{\"policy\": ");
			rc |= json_str(b, d->recommend);
			rc |= buf_puts(b, ", \"source\": ");
			rc |= json_nstr(b, d->recommend_src);
			rc |= buf_puts(b, "}");
		} else {
			rc |= buf_puts(b, "null");
		}
		rc |= buf_puts(b, ", \"suggestion\": ");
		rc |= json_nstr(b, d->suggestion);
		rc |= buf_printf(b, ", \"warning\": %s, \"note\": ", d->warning ? "true" : "false");
		rc |= json_nstr(b, d->note);
		rc |= buf_puts(b, ", ");
		rc |= json_grades(b, d->n);
		rc |= buf_printf(b, ", \"deferred\": %lu, \"bounced\": %lu, \"failures\": %lu}",
				 d->deferred, d->bounced, d->failures);
	}
	rc |= buf_puts(b, r->ndests ? "\n  ],\n  \"findings\": {" : "],\n  \"findings\": {");
	for (int k = 0; k < REPORT_F_COUNT; k++)
		rc |= buf_printf(b, "%s\"%s\": %zu", k ? ", " : "", kind_name[k], r->nkind[k]);
	rc |= buf_printf(b, ", \"own_domain_checks\": %s, \"own_note\": ",
			 r->own_checks ? "true" : "false");
	rc |= json_nstr(b, r->own_note);
	rc |= buf_printf(b, ", \"left_out\": %zu, \"list\": [", r->findings_left);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct report_finding *f = &r->findings[i];

		rc |= buf_printf(b, "%s{\"kind\": \"%s\", \"domain\": ", i ? ",\n    " : "\n    ",
				 kind_name[f->kind]);
		rc |= json_str(b, f->domain);
		rc |= buf_puts(b, ", \"host\": ");
		rc |= json_nstr(b, f->host);
		rc |= buf_puts(b, ", \"text\": ");
		rc |= json_str(b, f->text);
		rc |= buf_puts(b, ", \"not_after\": ");
		rc |= f->kind == REPORT_F_EXPIRY ? json_time(b, f->when) : buf_puts(b, "null");
		rc |= buf_puts(b, "}");
	}
	rc |= buf_puts(b, r->nfindings ? "\n  ]},\n  \"previous\": " : "]},\n  \"previous\": ");
	rc |= r->have_previous ? json_time(b, r->previous) : buf_puts(b, "null");
	rc |= buf_puts(b, ",\n  \"snapshot_note\": ");
	rc |= json_nstr(b, r->snap_note);
	rc |= buf_printf(b, ",\n  \"changes_left_out\": %zu,\n  \"changes\": [", r->changes_left);
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct report_change *c = &r->changes[i];

		rc |= buf_puts(b, i ? ",\n    {\"domain\": " : "\n    {\"domain\": ");
		rc |= json_str(b, c->domain);
		rc |= buf_puts(b, ", \"what\": ");
		rc |= json_str(b, c->what);
		rc |= buf_puts(b, ", \"before\": ");
		rc |= json_str(b, c->before);
		rc |= buf_puts(b, ", \"after\": ");
		rc |= json_str(b, c->after);
		rc |= buf_puts(b, "}");
	}
	rc |= buf_puts(b, r->nchanges ? "\n  ]\n}\n" : "]\n}\n");
	return rc ? -1 : 0;
}
