/* SPDX-License-Identifier: MIT */
/* txt.c - the _smtp._tls TXT record (txt.h). */
#include "tlsrpt/txt.h"

#include <string.h>

#define PREFIX "v=TLSRPTv1"

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int add_uri(struct tlsrpt_txt *out, const char *p, size_t n, struct errbuf *why)
{
	struct tlsrpt_rua *r;

	if (n == 0)
		return errbuf_set(why, "empty URI in rua");
	if (n > TLSRPT_URI_MAX)
		return errbuf_set(why, "rua URI longer than %d bytes", TLSRPT_URI_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '!')
			return errbuf_set(why, "rua URI with a space, '!' or a non-ASCII byte");
	if (out->nrua == TLSRPT_RUA_MAX)
		return errbuf_set(why, "more than %d rua URIs", TLSRPT_RUA_MAX);
	r = &out->rua[out->nrua];
	memset(r, 0, sizeof(*r));
	memcpy(r->uri, p, n);
	if (n > 7 && strncasecmp(p, "mailto:", 7) == 0) {
		size_t k = 0, at = 0;

		r->kind = TLSRPT_RUA_MAILTO;
		for (size_t i = 7; i < n && p[i] != '?'; i++) {
			char c = p[i];

			if (c == '%') {
				int h, l;

				if (i + 2 >= n || (h = hexval(p[i + 1])) < 0 || (l = hexval(p[i + 2])) < 0)
					return errbuf_set(why, "bad %%-escape in %.*s", (int)n, p);
				c = (char)(h * 16 + l);
				i += 2;
			}
			if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f || c == ',' ||
			    c == '<' || c == '>' || c == '"')
				return errbuf_set(why, "bad character in the address of %.*s", (int)n, p);
			if (c == '@')
				at++;
			r->addr[k++] = c;
		}
		r->addr[k] = '\0';
		if (at != 1 || r->addr[0] == '@' || r->addr[k - 1] == '@')
			return errbuf_set(why, "%.*s is not mailto:local@domain", (int)n, p);
	} else if (n > 8 && strncasecmp(p, "https://", 8) == 0) {
		r->kind = TLSRPT_RUA_HTTPS;
	} else {
		r->kind = TLSRPT_RUA_OTHER;
	}
	out->nrua++;
	return 0;
}

int tlsrpt_txt_parse(const char *rec, size_t len, struct tlsrpt_txt *out,
		     struct errbuf *why)
{
	const char *p = rec, *e = rec + len;
	int have_rua = 0;

	memset(out, 0, sizeof(*out));
	if (len > TLSRPT_TXT_MAX)
		return errbuf_set(why, "record longer than %d bytes", TLSRPT_TXT_MAX);
	if (len < sizeof(PREFIX) - 1 || memcmp(p, PREFIX, sizeof(PREFIX) - 1) != 0)
		return errbuf_set(why, "record does not begin with v=TLSRPTv1");
	p += sizeof(PREFIX) - 1;
	while (p < e) {
		const char *f, *fe;

		while (p < e && is_wsp(*p))
			p++;
		if (p == e)
			break;
		if (*p != ';')
			return errbuf_set(why, "expected ';' after a field");
		p++;
		while (p < e && is_wsp(*p))
			p++;
		if (p == e)
			break; /* trailing field-delim */
		f = p;
		while (p < e && *p != ';')
			p++;
		fe = p;
		while (fe > f && is_wsp(fe[-1]))
			fe--;
		if (fe - f > 4 && memcmp(f, "rua=", 4) == 0) {
			const char *u = f + 4;

			if (have_rua)
				return errbuf_set(why, "rua given twice");
			have_rua = 1;
			while (u < fe) {
				const char *ue = memchr(u, ',', (size_t)(fe - u)), *t;

				if (ue == NULL)
					ue = fe;
				t = ue;
				while (t > u && is_wsp(t[-1]))
					t--;
				if (add_uri(out, u, (size_t)(t - u), why) < 0)
					return -1;
				u = ue < fe ? ue + 1 : fe;
				while (u < fe && is_wsp(*u))
					u++;
				if (ue < fe && u == fe)
					return errbuf_set(why, "empty URI in rua");
			}
		} else {
			/* tlsrpt-extension: name = 1*32(ALPHA/DIGIT/"_"/"-"/".") "=" value */
			const char *eq = memchr(f, '=', (size_t)(fe - f));

			if (eq == NULL || eq == f || eq - f > 32)
				return errbuf_set(why, "bad field '%.*s'", (int)(fe - f), f);
			for (const char *q = f; q < eq; q++)
				if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				      (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '.'))
					return errbuf_set(why, "bad field name '%.*s'", (int)(eq - f), f);
		}
	}
	if (!have_rua)
		return errbuf_set(why, "no rua field");
	return 0;
}

int tlsrpt_txt_select(const char *const *recs, const size_t *lens, size_t n,
		      struct tlsrpt_txt *out, struct errbuf *why)
{
	size_t pick = n, cand = 0;

	memset(out, 0, sizeof(*out));
	if (n == 1) {
		pick = 0;
		cand = 1;
	} else {
		for (size_t i = 0; i < n; i++)
			if (lens[i] >= sizeof(PREFIX) && memcmp(recs[i], PREFIX ";", sizeof(PREFIX)) == 0) {
				pick = i;
				cand++;
			}
	}
	if (cand == 0) {
		errbuf_set(why, "no v=TLSRPTv1 record");
		return 0;
	}
	if (cand > 1) {
		errbuf_set(why, "%zu v=TLSRPTv1 records (RFC 8460 3: exactly one)", cand);
		return 0;
	}
	if (tlsrpt_txt_parse(recs[pick], lens[pick], out, why) < 0)
		return 0;
	return 1;
}
