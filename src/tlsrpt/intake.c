/* SPDX-License-Identifier: MIT */
/* intake.c - received TLSRPT reports (intake.h). */
#include "tlsrpt/intake.h"

#include "tlsrpt/jparse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

void tlsrpt_rx_free(struct tlsrpt_rx *r)
{
	for (size_t i = 0; i < r->npolicies; i++) {
		struct tlsrpt_rx_policy *p = &r->policies[i];

		for (size_t k = 0; k < p->ndetails; k++) {
			free(p->details[k].result);
			free(p->details[k].sending_ip);
			free(p->details[k].receiving_mx);
			free(p->details[k].receiving_ip);
		}
		free(p->details);
		free(p->type);
		free(p->domain);
		free(p->mx);
	}
	free(r->policies);
	free(r->organization);
	free(r->contact);
	free(r->report_id);
	memset(r, 0, sizeof(*r));
}

long long tlsrpt_parse_datetime(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;
	long off = 0;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + 10;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (sscanf(p, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
		return -1;
	p += 8;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;

		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	} /* else: no zone, read as UTC (tolerated) */
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm) - off;
}

int tlsrpt_gunzip(const void *in, size_t n, size_t max, char **out, size_t *outlen,
		  struct errbuf *why)
{
	z_stream z;
	size_t cap = n * 4 + 1024 < max ? n * 4 + 1024 : max, len = 0;
	char *buf;
	int rc = Z_OK;

	*out = NULL;
	*outlen = 0;
	if ((buf = malloc(cap + 1)) == NULL)
		return errbuf_set(why, "gunzip: out of memory");
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		free(buf);
		return errbuf_set(why, "gunzip: inflateInit2 failed");
	}
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap >= max) {
				inflateEnd(&z);
				free(buf);
				return errbuf_set(why, "decompressed report larger than %zu bytes "
						  "(a gzip bomb?)", max);
			}
			cap = cap * 2 < max ? cap * 2 : max;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				inflateEnd(&z);
				free(buf);
				return errbuf_set(why, "gunzip: out of memory");
			}
			buf = nb;
		}
		z.next_out = (unsigned char *)buf + len;
		z.avail_out = (uInt)(cap - len);
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (rc == Z_STREAM_END) {
			if (z.avail_in == 0)
				break;
			/* another member follows */
			if (inflateReset(&z) != Z_OK)
				break;
			continue;
		}
		if (rc == Z_BUF_ERROR && z.avail_in == 0) {
			inflateEnd(&z);
			free(buf);
			return errbuf_set(why, "truncated gzip data");
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			inflateEnd(&z);
			free(buf);
			return errbuf_set(why, "corrupt gzip data (%s)", z.msg ? z.msg : "inflate");
		}
	}
	inflateEnd(&z);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* ---- JSON to the model --------------------------------------------------- */

#define STR_MAX 1024

static int get_str(const struct jp_node *obj, const char *key, int required, char **out,
		   struct errbuf *why, const char *where)
{
	const struct jp_node *v = jp_get(obj, key);

	*out = NULL;
	if (v == NULL || v->type == JP_NULL) {
		if (required)
			return errbuf_set(why, "%s: \"%s\" is missing", where, key);
		*out = strdup("");
		return *out ? 0 : errbuf_set(why, "out of memory");
	}
	if (v->type != JP_STRING)
		return errbuf_set(why, "%s: \"%s\" is a %s, not a string", where, key,
				  jp_type_name(v->type));
	if (strlen(v->str) > STR_MAX)
		return errbuf_set(why, "%s: \"%s\" longer than %d bytes", where, key, STR_MAX);
	if (required && v->str[0] == '\0')
		return errbuf_set(why, "%s: \"%s\" is empty", where, key);
	*out = strdup(v->str);
	return *out ? 0 : errbuf_set(why, "out of memory");
}

static int get_count(const struct jp_node *obj, const char *key, int required,
		     unsigned long long *out, struct errbuf *why, const char *where)
{
	const struct jp_node *v = jp_get(obj, key);

	*out = 0;
	if (v == NULL) {
		if (required)
			return errbuf_set(why, "%s: \"%s\" is missing", where, key);
		return 0;
	}
	if (v->type != JP_NUMBER || !v->num_ok || v->num > (1ULL << 53))
		return errbuf_set(why, "%s: \"%s\" is %s%s, not a non-negative integer", where, key,
				  v->type == JP_NUMBER ? "" : "a ",
				  v->type == JP_NUMBER ? v->str : jp_type_name(v->type));
	*out = v->num;
	return 0;
}

static int get_mx(const struct jp_node *pol, char **out, struct errbuf *why)
{
	const struct jp_node *v = jp_get(pol, "mx-host");
	size_t len = 1;
	char *s;

	*out = NULL;
	if (v == NULL || v->type == JP_NULL)
		return (*out = strdup("")) ? 0 : errbuf_set(why, "out of memory");
	if (v->type == JP_STRING) /* tolerated: one string */
		return (*out = strdup(v->str)) ? 0 : errbuf_set(why, "out of memory");
	if (v->type != JP_ARRAY)
		return errbuf_set(why, "policy: \"mx-host\" is a %s, not an array",
				  jp_type_name(v->type));
	for (const struct jp_node *m = v->child; m; m = m->next) {
		if (m->type != JP_STRING)
			return errbuf_set(why, "policy: an \"mx-host\" value is a %s, not a string",
					  jp_type_name(m->type));
		len += strlen(m->str) + 1;
	}
	if (len > STR_MAX)
		return errbuf_set(why, "policy: \"mx-host\" longer than %d bytes", STR_MAX);
	if ((s = *out = calloc(1, len)) == NULL)
		return errbuf_set(why, "out of memory");
	for (const struct jp_node *m = v->child; m; m = m->next) {
		if (*s)
			strcat(s, " ");
		strcat(s, m->str);
	}
	return 0;
}

static int policy_of(const struct jp_node *item, struct tlsrpt_rx_policy *p, struct errbuf *why)
{
	const struct jp_node *pol, *sum, *fd, *ps;

	if (item->type != JP_OBJECT)
		return errbuf_set(why, "a \"policies\" entry is a %s, not an object",
				  jp_type_name(item->type));
	if ((pol = jp_get(item, "policy")) == NULL || pol->type != JP_OBJECT)
		return errbuf_set(why, "\"policy\" is %s, not an object",
				  pol ? jp_type_name(pol->type) : "missing");
	if (get_str(pol, "policy-type", 1, &p->type, why, "policy") < 0 ||
	    get_str(pol, "policy-domain", 1, &p->domain, why, "policy") < 0 ||
	    get_mx(pol, &p->mx, why) < 0)
		return -1;
	if (strcmp(p->type, "sts") != 0 && strcmp(p->type, "tlsa") != 0 &&
	    strcmp(p->type, "no-policy-found") != 0)
		return errbuf_set(why, "policy: unknown policy-type \"%.64s\"", p->type);
	if ((ps = jp_get(pol, "policy-string")) != NULL && ps->type != JP_ARRAY &&
	    ps->type != JP_NULL)
		return errbuf_set(why, "policy: \"policy-string\" is a %s, not an array",
				  jp_type_name(ps->type));
	if ((sum = jp_get(item, "summary")) == NULL || sum->type != JP_OBJECT)
		return errbuf_set(why, "\"summary\" is %s, not an object",
				  sum ? jp_type_name(sum->type) : "missing");
	if (get_count(sum, "total-successful-session-count", 1, &p->ok, why, "summary") < 0 ||
	    get_count(sum, "total-failure-session-count", 1, &p->failed, why, "summary") < 0)
		return -1;
	if ((fd = jp_get(item, "failure-details")) == NULL || fd->type == JP_NULL)
		return 0;
	if (fd->type != JP_ARRAY)
		return errbuf_set(why, "\"failure-details\" is a %s, not an array",
				  jp_type_name(fd->type));
	if (fd->n > TLSRPT_INTAKE_DETAILS)
		return errbuf_set(why, "more than %d failure details", TLSRPT_INTAKE_DETAILS);
	if (fd->n && (p->details = calloc(fd->n, sizeof(*p->details))) == NULL)
		return errbuf_set(why, "out of memory");
	for (const struct jp_node *d = fd->child; d; d = d->next) {
		struct tlsrpt_rx_detail *x = &p->details[p->ndetails++];

		if (d->type != JP_OBJECT)
			return errbuf_set(why, "a failure detail is a %s, not an object",
					  jp_type_name(d->type));
		if (get_str(d, "result-type", 1, &x->result, why, "failure detail") < 0 ||
		    get_str(d, "sending-mta-ip", 0, &x->sending_ip, why, "failure detail") < 0 ||
		    get_str(d, "receiving-mx-hostname", 0, &x->receiving_mx, why,
			    "failure detail") < 0 ||
		    get_str(d, "receiving-ip", 0, &x->receiving_ip, why, "failure detail") < 0 ||
		    get_count(d, "failed-session-count", 1, &x->count, why, "failure detail") < 0)
			return -1;
		if (strlen(x->sending_ip) > 45 || strlen(x->receiving_ip) > 45 ||
		    strlen(x->receiving_mx) > 255 || strlen(x->result) > 64)
			return errbuf_set(why, "failure detail: a value longer than its column");
	}
	return 0;
}

int tlsrpt_rx_json(const char *text, size_t len, struct tlsrpt_rx *r, struct errbuf *why)
{
	struct jp_node *root;
	const struct jp_node *dr, *pols;
	char *s = NULL, *e = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (len > TLSRPT_INTAKE_JSON_MAX)
		return errbuf_set(why, "report larger than %d bytes", TLSRPT_INTAKE_JSON_MAX);
	if ((root = jp_parse(text, len, why)) == NULL)
		return -1;
	if (root->type != JP_OBJECT) {
		errbuf_set(why, "the report is a JSON %s, not an object", jp_type_name(root->type));
		goto out;
	}
	if (get_str(root, "organization-name", 1, &r->organization, why, "report") < 0 ||
	    get_str(root, "contact-info", 0, &r->contact, why, "report") < 0 ||
	    get_str(root, "report-id", 1, &r->report_id, why, "report") < 0)
		goto out;
	if ((dr = jp_get(root, "date-range")) == NULL || dr->type != JP_OBJECT) {
		errbuf_set(why, "report: \"date-range\" is %s, not an object",
			   dr ? jp_type_name(dr->type) : "missing");
		goto out;
	}
	if (get_str(dr, "start-datetime", 1, &s, why, "date-range") < 0 ||
	    get_str(dr, "end-datetime", 1, &e, why, "date-range") < 0)
		goto out;
	if ((r->start = tlsrpt_parse_datetime(s)) < 0 || (r->end = tlsrpt_parse_datetime(e)) < 0) {
		errbuf_set(why, "date-range: \"%.40s\" / \"%.40s\" is not an RFC 3339 date-time", s, e);
		goto out;
	}
	if (r->end < r->start) {
		errbuf_set(why, "date-range: end-datetime before start-datetime");
		goto out;
	}
	if ((pols = jp_get(root, "policies")) == NULL || pols->type != JP_ARRAY) {
		errbuf_set(why, "report: \"policies\" is %s, not an array",
			   pols ? jp_type_name(pols->type) : "missing");
		goto out;
	}
	if (pols->n > TLSRPT_INTAKE_POLICIES) {
		errbuf_set(why, "more than %d policies", TLSRPT_INTAKE_POLICIES);
		goto out;
	}
	if (pols->n && (r->policies = calloc(pols->n, sizeof(*r->policies))) == NULL) {
		errbuf_set(why, "out of memory");
		goto out;
	}
	for (const struct jp_node *it = pols->child; it; it = it->next)
		if (policy_of(it, &r->policies[r->npolicies++], why) < 0)
			goto out;
	rc = 0;
out:
	free(s);
	free(e);
	jp_free(root);
	if (rc < 0)
		tlsrpt_rx_free(r);
	return rc;
}

/* ---- mail ---------------------------------------------------------------- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 from p[0..n) (white space skipped, stops at '=' or at a
 * line beginning with "--"); out has room for n bytes. */
static size_t unbase64(const char *p, size_t n, unsigned char *out)
{
	unsigned acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (p[i] == '-' && i + 1 < n && p[i + 1] == '-' && (i == 0 || p[i - 1] == '\n'))
			break;
		if (p[i] == '=')
			break;
		if ((v = b64val((unsigned char)p[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	return k;
}

static const char *memcasemem(const char *h, size_t hn, const char *n)
{
	size_t nn = strlen(n);

	for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
		if (strncasecmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

/* The report part of a mail: its decoded bytes (malloc'ed) and whether
 * it is gzip. */
static int mail_part(const char *m, size_t len, char **out, size_t *outlen, struct errbuf *why)
{
	static const char *const types[] = { "application/tlsrpt+gzip", "application/tlsrpt+json",
					     "application/gzip", "application/octet-stream" };
	const char *ct = NULL, *e = m + len;

	for (size_t t = 0; t < 4 && ct == NULL; t++) {
		const char *from = m;

		while ((ct = memcasemem(from, (size_t)(e - from), types[t])) != NULL) {
			/* a header line "Content-Type: TYPE" */
			const char *ls = ct;

			while (ls > m && ls[-1] != '\n')
				ls--;
			if (strncasecmp(ls, "Content-Type:", 13) == 0) {
				if (t < 2)
					break;
				/* generic types only for a *.json.gz file name */
				const char *he = memcasemem(ct, (size_t)(e - ct), "\n\r\n");
				const char *he2 = memcasemem(ct, (size_t)(e - ct), "\n\n");
				const char *hend = he && (!he2 || he < he2) ? he : he2;

				if (hend && memcasemem(ct, (size_t)(hend - ct), ".json.gz"))
					break;
			}
			from = ct + 1;
		}
	}
	if (ct == NULL)
		return errbuf_set(why, "no application/tlsrpt+gzip or application/tlsrpt+json part");
	/* the part's headers end at the first empty line */
	const char *hend = NULL, *body;
	for (const char *q = ct; q + 1 < e; q++) {
		if (q[0] == '\n' && (q[1] == '\n' || (q[1] == '\r' && q + 2 < e && q[2] == '\n'))) {
			hend = q;
			break;
		}
	}
	if (hend == NULL)
		return errbuf_set(why, "the report part has no body");
	body = hend + (hend[1] == '\n' ? 2 : 3);
	if ((*out = malloc((size_t)(e - body) + 1)) == NULL)
		return errbuf_set(why, "out of memory");
	{
		const char *cte = memcasemem(ct, (size_t)(hend - ct), "Content-Transfer-Encoding:");

		if (cte && memcasemem(cte, (size_t)(hend - cte), "base64")) {
			*outlen = unbase64(body, (size_t)(e - body), (unsigned char *)*out);
		} else {
			/* 7bit / 8bit / binary: up to the next boundary line */
			const char *b = body;

			while (b < e && !(b[0] == '-' && b + 1 < e && b[1] == '-' &&
					  (b == body || b[-1] == '\n')))
				b++;
			*outlen = (size_t)(b - body);
			memcpy(*out, body, *outlen);
		}
	}
	return 0;
}

int tlsrpt_rx_parse(const char *data, size_t len, struct tlsrpt_rx *r, struct errbuf *why)
{
	char *part = NULL, *json = NULL;
	size_t plen = 0, jlen = 0;
	const char *p = data;
	size_t n = len;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len > TLSRPT_INTAKE_MAX)
		return errbuf_set(why, "input larger than %d bytes", TLSRPT_INTAKE_MAX);
	while (n && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++, n--;
	if (!(n >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b) &&
	    !(n && (*p == '{' || *p == '\xef'))) {
		if (mail_part(data, len, &part, &plen, why) < 0)
			return -1;
		p = part;
		n = plen;
	}
	if (n >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b) {
		if (tlsrpt_gunzip(p, n, TLSRPT_INTAKE_JSON_MAX, &json, &jlen, why) < 0) {
			free(part);
			return -1;
		}
		p = json;
		n = jlen;
	}
	rc = tlsrpt_rx_json(p, n, r, why);
	free(part);
	free(json);
	return rc;
}
