/* SPDX-License-Identifier: MIT */
/* report.c - the RFC 8460 report: model, JSON, gzip, mail (report.h). */
#include "tlsrpt/report.h"

#include "tlsrpt/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static const char *const ptype_names[] = { "no-policy-found", "sts", "tlsa" };

const char *tlsrpt_ptype_name(enum tlsrpt_ptype t)
{
	return (unsigned)t < 3 ? ptype_names[t] : "no-policy-found";
}

int tlsrpt_ptype_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, ptype_names[i]) == 0)
			return i;
	return -1;
}

void tlsrpt_report_init(struct tlsrpt_report *r, const char *domain, const char *day)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	snprintf(r->day, sizeof(r->day), "%s", day);
}

static void policy_free(struct tlsrpt_policy *p)
{
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	for (size_t i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	free(p->details);
	memset(p, 0, sizeof(*p));
}

void tlsrpt_report_free(struct tlsrpt_report *r)
{
	for (size_t i = 0; i < r->npol; i++)
		policy_free(&r->pol[i]);
	free(r->pol);
	memset(r, 0, sizeof(*r));
}

struct tlsrpt_policy *tlsrpt_report_policy(struct tlsrpt_report *r, const char *key)
{
	struct tlsrpt_policy *p;

	if (r->npol == TLSRPT_REPORT_POLICIES)
		return NULL;
	/* room for all at once: the entries never move (callers keep pointers) */
	if (r->pol == NULL && (r->pol = calloc(TLSRPT_REPORT_POLICIES, sizeof(*r->pol))) == NULL)
		return NULL;
	p = &r->pol[r->npol++];
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", key ? key : "");
	p->policy_result = -1;
	return p;
}

struct tlsrpt_policy *tlsrpt_report_find(struct tlsrpt_report *r, const char *key)
{
	for (size_t i = 0; key && key[0] && i < r->npol; i++)
		if (strcmp(r->pol[i].key, key) == 0)
			return &r->pol[i];
	return NULL;
}

static int add_to(char **arr, size_t *n, size_t max, const char *s)
{
	if (*n == max)
		return -1;
	if ((arr[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int tlsrpt_policy_add_string(struct tlsrpt_policy *p, const char *s)
{
	return add_to(p->strings, &p->nstrings, TLSRPT_POLICY_STRINGS, s);
}

int tlsrpt_policy_add_mx(struct tlsrpt_policy *p, const char *s)
{
	for (size_t i = 0; i < p->nmx; i++)
		if (strcmp(p->mx[i], s) == 0)
			return 0;
	return add_to(p->mx, &p->nmx, TLSRPT_POLICY_MX, s);
}

int tlsrpt_report_add(struct tlsrpt_report *r, struct tlsrpt_policy *p,
		      enum tlsrpt_result result, const char *sending_ip, const char *mx_host,
		      const char *mx_ip, unsigned long long count)
{
	struct tlsrpt_detail *d;

	if (p == NULL)
		p = r->npol ? &r->pol[0] : tlsrpt_report_policy(r, "");
	if (p == NULL)
		return -1;
	if (p->policy_result >= 0) /* the policy could not be applied */
		result = (enum tlsrpt_result)p->policy_result;
	if (result == TLSRPT_SUCCESS) {
		p->ok += count;
		r->ok += count;
		return 0;
	}
	p->failed += count;
	r->failed += count;
	for (size_t i = 0; i < p->ndetails; i++) {
		d = &p->details[i];
		if (d->result == result && strcmp(d->sending_ip, sending_ip) == 0 &&
		    strcmp(d->mx_host, mx_host) == 0 && strcmp(d->mx_ip, mx_ip) == 0) {
			d->count += count;
			return 0;
		}
	}
	if (p->ndetails == TLSRPT_REPORT_DETAILS) {
		p->details_dropped += count;
		r->details_dropped += count;
		return 0;
	}
	if (p->ndetails == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct tlsrpt_detail *nd = realloc(p->details, cap * sizeof(*nd));

		if (nd == NULL)
			return -1;
		p->details = nd;
		p->cap = cap;
	}
	d = &p->details[p->ndetails++];
	memset(d, 0, sizeof(*d));
	d->result = result;
	snprintf(d->sending_ip, sizeof(d->sending_ip), "%s", sending_ip);
	snprintf(d->mx_host, sizeof(d->mx_host), "%s", mx_host);
	snprintf(d->mx_ip, sizeof(d->mx_ip), "%s", mx_ip);
	d->count = count;
	return 0;
}

void tlsrpt_report_prune(struct tlsrpt_report *r)
{
	size_t k = 0;

	for (size_t i = 0; i < r->npol; i++) {
		if (r->pol[i].ok + r->pol[i].failed == 0 && !(k == 0 && i + 1 == r->npol)) {
			policy_free(&r->pol[i]);
			continue;
		}
		if (k != i) {
			r->pol[k] = r->pol[i];
			memset(&r->pol[i], 0, sizeof(r->pol[i]));
		}
		k++;
	}
	r->npol = k;
}

void tlsrpt_report_types(const struct tlsrpt_report *r, char *out, size_t outlen)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->npol && k < outlen; i++) {
		const char *t = tlsrpt_ptype_name(r->pol[i].ptype);
		int dup = 0;

		for (size_t j = 0; j < i; j++)
			dup |= r->pol[j].ptype == r->pol[i].ptype;
		if (!dup)
			k += (size_t)snprintf(out + k, outlen - k, "%s%s", k ? "+" : "", t);
	}
	if (r->npol > 1 && k < outlen)
		snprintf(out + k, outlen - k, " (%zu policies)", r->npol);
	if (r->npol == 0)
		snprintf(out, outlen, "%s", tlsrpt_ptype_name(TLSRPT_P_NONE));
}

void tlsrpt_report_make_id(struct tlsrpt_report *r)
{
	snprintf(r->report_id, sizeof(r->report_id), "%sT00:00:00Z_%s@%s", r->day, r->domain,
		 r->submitter ? r->submitter : "localhost");
}

long long tlsrpt_day_start(const char *day)
{
	struct tm tm;
	int y, m, d;
	char tail;

	if (strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    day[4] != '-' || day[7] != '-' || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (long long)timegm(&tm);
}

static void policy_json(struct tjw *wp, const struct tlsrpt_report *r,
			const struct tlsrpt_policy *p)
{
	struct tjw *w = wp;

	tjw_obj(w);
	tjw_key(w, "policy");
	tjw_obj(w);
	tjw_key(w, "policy-type");
	tjw_str(w, tlsrpt_ptype_name(p->ptype));
	if (p->ptype != TLSRPT_P_NONE) {
		tjw_key(w, "policy-string");
		tjw_arr(w);
		for (size_t i = 0; i < p->nstrings; i++)
			tjw_str(w, p->strings[i]);
		tjw_end_arr(w);
	}
	tjw_key(w, "policy-domain");
	tjw_str(w, r->domain);
	if (p->ptype != TLSRPT_P_NONE && p->nmx) {
		tjw_key(w, "mx-host");
		tjw_arr(w);
		for (size_t i = 0; i < p->nmx; i++)
			tjw_str(w, p->mx[i]);
		tjw_end_arr(w);
	}
	tjw_end_obj(w);
	tjw_key(w, "summary");
	tjw_obj(w);
	tjw_key(w, "total-successful-session-count");
	tjw_int(w, p->ok);
	tjw_key(w, "total-failure-session-count");
	tjw_int(w, p->failed);
	tjw_end_obj(w);
	if (p->ndetails) {
		tjw_key(w, "failure-details");
		tjw_arr(w);
		for (size_t i = 0; i < p->ndetails; i++) {
			const struct tlsrpt_detail *d = &p->details[i];

			tjw_obj(w);
			tjw_key(w, "result-type");
			tjw_str(w, tlsrpt_result_name(d->result));
			if (d->sending_ip[0]) {
				tjw_key(w, "sending-mta-ip");
				tjw_str(w, d->sending_ip);
			}
			if (d->mx_host[0]) {
				tjw_key(w, "receiving-mx-hostname");
				tjw_str(w, d->mx_host);
			}
			if (d->mx_ip[0]) {
				tjw_key(w, "receiving-ip");
				tjw_str(w, d->mx_ip);
			}
			tjw_key(w, "failed-session-count");
			tjw_int(w, d->count);
			tjw_end_obj(w);
		}
		tjw_end_arr(w);
	}
	tjw_end_obj(w);
}

int tlsrpt_report_json(const struct tlsrpt_report *r, struct buf *out, struct errbuf *why)
{
	struct tjw w;
	char t[32];

	buf_init(out, TLSRPT_REPORT_MAX);
	tjw_init(&w, out);
	tjw_obj(&w);
	tjw_key(&w, "organization-name");
	tjw_str(&w, r->organization ? r->organization : "");
	tjw_key(&w, "date-range");
	tjw_obj(&w);
	tjw_key(&w, "start-datetime");
	snprintf(t, sizeof(t), "%sT00:00:00Z", r->day);
	tjw_str(&w, t);
	tjw_key(&w, "end-datetime");
	snprintf(t, sizeof(t), "%sT23:59:59Z", r->day);
	tjw_str(&w, t);
	tjw_end_obj(&w);
	tjw_key(&w, "contact-info");
	tjw_str(&w, r->contact ? r->contact : "");
	tjw_key(&w, "report-id");
	tjw_str(&w, r->report_id);
	tjw_key(&w, "policies");
	tjw_arr(&w);
	for (size_t k = 0; k < r->npol; k++)
		policy_json(&w, r, &r->pol[k]);
	if (r->npol == 0) { /* no session: one empty no-policy-found entry */
		struct tlsrpt_policy none;

		memset(&none, 0, sizeof(none));
		none.policy_result = -1;
		policy_json(&w, r, &none);
	}
	tjw_end_arr(&w);
	tjw_end_obj(&w);
	if (tjw_done(&w) < 0) {
		buf_free(out);
		return errbuf_set(why, "report for %s %s: longer than %d bytes", r->domain, r->day,
				  TLSRPT_REPORT_MAX);
	}
	return 0;
}

int tlsrpt_gzip(const void *in, size_t n, struct buf *out, struct errbuf *why)
{
	z_stream z;
	unsigned char chunk[16384];
	int rc;

	buf_init(out, TLSRPT_REPORT_MAX + 1024);
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return errbuf_set(why, "gzip: deflateInit2 failed");
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR ||
		    buf_append(out, chunk, sizeof(chunk) - z.avail_out) < 0) {
			deflateEnd(&z);
			buf_free(out);
			return errbuf_set(why, "gzip: failed (output too large?)");
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

void tlsrpt_report_filename(const struct tlsrpt_report *r, char *out, size_t outlen)
{
	long long s = tlsrpt_day_start(r->day);

	snprintf(out, outlen, "%s!%s!%lld!%lld.json.gz", r->submitter ? r->submitter : "localhost",
		 r->domain, s, s + 86399);
}

static void base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	size_t k = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		line[k++] = tab[(v >> 18) & 63];
		line[k++] = tab[(v >> 12) & 63];
		line[k++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		line[k++] = i + 2 < n ? tab[v & 63] : '=';
		if (k == 76) {
			line[k++] = '\r';
			line[k++] = '\n';
			buf_append(b, line, k);
			k = 0;
		}
	}
	if (k) {
		line[k++] = '\r';
		line[k++] = '\n';
		buf_append(b, line, k);
	}
}

int tlsrpt_report_mail(const struct tlsrpt_report *r, const char *from, const char *to,
		       const void *gz, size_t gzlen, long long now, struct buf *out,
		       struct errbuf *why)
{
	char date[64], fname[TLSRPT_NAME_MAX * 2 + 64], boundary[64];
	time_t t = (time_t)now;
	struct tm tm;
	const char *sub = r->submitter ? r->submitter : "localhost";
	char types[128];

	tlsrpt_report_types(r, types, sizeof(types));
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	tlsrpt_report_filename(r, fname, sizeof(fname));
	snprintf(boundary, sizeof(boundary), "=_tlsrpt_%08llx", (unsigned long long)now);
	buf_init(out, TLSRPT_REPORT_MAX * 2);
	buf_printf(out,
		   "From: %s\r\n"
		   "To: %s\r\n"
		   "Date: %s\r\n"
		   "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\r\n"
		   "Message-ID: <%s>\r\n"
		   "TLS-Report-Domain: %s\r\n"
		   "TLS-Report-Submitter: %s\r\n"
		   "TLS-Required: No\r\n"
		   "Auto-Submitted: auto-generated\r\n"
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
		   "\tboundary=\"%s\"\r\n"
		   "\r\n"
		   "This is a multipart message in MIME format.\r\n"
		   "\r\n"
		   "--%s\r\n"
		   "Content-Type: text/plain; charset=us-ascii\r\n"
		   "Content-Transfer-Encoding: 7bit\r\n"
		   "\r\n"
		   "This is an aggregate TLS report (RFC 8460) from %s\r\n"
		   "for mail sent to %s on %s (UTC): %llu successful and %llu failed\r\n"
		   "TLS sessions under policy type %s.\r\n",
		   from, to, date, r->domain, sub, r->report_id, r->report_id, r->domain, sub,
		   boundary, boundary, r->organization ? r->organization : sub, r->domain, r->day,
		   r->ok, r->failed, types);
	if (r->details_dropped)
		buf_printf(out, "%llu failed sessions are counted in the summary only "
			   "(more than %d failure details).\r\n", r->details_dropped,
			   TLSRPT_REPORT_DETAILS);
	buf_printf(out,
		   "\r\n"
		   "--%s\r\n"
		   "Content-Type: application/tlsrpt+gzip\r\n"
		   "Content-Transfer-Encoding: base64\r\n"
		   "Content-Disposition: attachment;\r\n"
		   "\tfilename=\"%s\"\r\n"
		   "\r\n",
		   boundary, fname);
	base64(out, gz, gzlen);
	if (buf_printf(out, "\r\n--%s--\r\n", boundary) < 0) {
		buf_free(out);
		return errbuf_set(why, "report mail for %s: too large", r->domain);
	}
	return 0;
}
