/* SPDX-License-Identifier: MIT */
/*
 * own/stspub.c - MTA-STS publication and TLSRPT record checks
 * (stspub.h).
 */
#include "own/stspub.h"
#include "mtasts/sts_policy.h"
#include "own/roll.h"
#include "util/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *own_sts_new_id(long long now, char *out, size_t outlen)
{
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y%m%d%H%M%S", &tm);
	return out;
}

char *own_sts_policy_text(const char *const *mx, size_t nmx, const char *mode,
			  unsigned long max_age)
{
	size_t cap = 128 + nmx * 260, n;
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	n = (size_t)snprintf(s, cap, "version: STSv1\nmode: %s\n", mode);
	for (size_t i = 0; i < nmx && n < cap; i++)
		n += (size_t)snprintf(s + n, cap - n, "mx: %s\n", mx[i]);
	if (n < cap)
		snprintf(s + n, cap - n, "max_age: %lu\n", max_age);
	return s;
}

char *own_sts_fix(const char *domain, const char *const *mx, size_t nmx,
		  const char *mode, unsigned long max_age, long long now)
{
	char id[32], *pol = own_sts_policy_text(mx, nmx, mode, max_age), *s;
	size_t cap = strlen(pol) + 2 * strlen(domain) + 256;

	if ((s = malloc(cap)) == NULL)
		abort();
	snprintf(s, cap, "_mta-sts.%s. IN TXT \"v=STSv1; id=%s\"\n"
		 "https://mta-sts.%s/.well-known/mta-sts.txt (200, Content-Type: "
		 "text/plain, no redirect):\n%s", domain,
		 own_sts_new_id(now, id, sizeof(id)), domain, pol);
	free(pol);
	return s;
}

void own_sts_out_free(struct own_sts_out *out)
{
	free(out->text);
	memset(out, 0, sizeof(*out));
}

/* 1 when a "*.X" pattern would match host if it covered more labels. */
static int wildcard_near_miss(const struct sts_policy *p, const char *host,
			      const char **pat)
{
	for (size_t i = 0; i < p->nmx; i++) {
		const char *m = p->mx[i];
		size_t hl = strlen(host), sl;

		if (strncmp(m, "*.", 2) != 0)
			continue;
		sl = strlen(m + 1); /* ".X" */
		if (hl > sl && strcasecmp(host + hl - sl, m + 1) == 0) {
			*pat = m;
			return 1;
		}
	}
	return 0;
}

int own_sts_check(const struct own_sts_in *in, struct own_report *rep,
		  struct own_sts_out *out)
{
	const char *d = in->domain;
	char sub[300], url[320], a[32], b[32], *fix;
	struct sts_txt txt;
	struct sts_policy *pol = NULL;
	struct errbuf why;
	const char *mode = "enforce";
	unsigned long max_age = OWN_STS_MIN_MAX_AGE;
	int txt_ok = 0;

	memset(out, 0, sizeof(*out));
	snprintf(sub, sizeof(sub), "_mta-sts.%s", d);
	snprintf(url, sizeof(url), "https://mta-sts.%s/.well-known/mta-sts.txt", d);

	/* the policy first: the fixes keep its mode and max_age */
	if (in->fetch_ok) {
		errbuf_clear(&why);
		if (sts_policy_parse(in->body, in->len, &pol, &why) == 0) {
			mode = sts_mode_name(pol->mode);
			if (pol->max_age > max_age)
				max_age = pol->max_age;
		}
	}
	if (pol && pol->mode == STS_MODE_TESTING && in->testing_since > 0 &&
	    in->now - in->testing_since > (long long)in->testing_max)
		mode = "enforce";
	fix = own_sts_fix(d, in->mx, in->nmx, mode, max_age, in->now);

	switch (in->txt_state) {
	case OWN_LOOKUP_FAILED:
		own_report_add(rep, d, "sts-txt", sub, OWN_UNKNOWN, NULL,
			       "could not look up the TXT record: %s",
			       in->txt_why ? in->txt_why : "lookup failed");
		break;
	case OWN_LOOKUP_NONE:
		if (!in->fetch_ok && in->http_status == 0) {
			own_report_add(rep, d, "sts-txt", sub, OWN_WARNING, fix,
				       "MTA-STS not published (no TXT record, no policy): "
				       "senders without DANE get no protection");
			free(fix);
			return 0;
		}
		own_report_add(rep, d, "sts-txt", sub, OWN_ERROR, fix,
			       "no TXT record: senders never fetch the policy");
		break;
	case OWN_LOOKUP_DATA: {
		size_t nsts = 0;

		for (size_t i = 0; i < in->ntxt; i++)
			nsts += sts_txt_is_sts(in->txt[i].data, in->txt[i].len);
		errbuf_clear(&why);
		if (nsts > 1) {
			own_report_add(rep, d, "sts-txt", sub, OWN_ERROR, fix,
				       "%zu records begin with \"v=STSv1;\": senders "
				       "ignore them all (RFC 8461 3.1: exactly one)", nsts);
		} else if (sts_txt_select(in->txt, in->ntxt, &txt, &why) < 0) {
			own_report_add(rep, d, "sts-txt", sub, OWN_ERROR, fix,
				       "%s", why.msg);
		} else {
			txt_ok = 1;
			own_report_add(rep, d, "sts-txt", sub, OWN_OK, NULL,
				       "one record, id=%s", txt.id);
		}
		break;
	}
	}

	if (!in->fetch_ok) {
		own_report_add(rep, d, "sts-policy", url, OWN_ERROR, fix,
			       "not fetched as a sender fetches it: %s",
			       in->fetch_error ? in->fetch_error : "failed");
		goto cert;
	}
	if (pol == NULL) {
		errbuf_clear(&why);
		sts_policy_parse(in->body, in->len, &pol, &why);
		own_report_add(rep, d, "sts-policy", url, OWN_ERROR, fix,
			       "invalid policy: %s", why.msg);
		pol = NULL;
		goto cert;
	}
	own_report_add(rep, d, "sts-policy", url, OWN_OK, NULL,
		       "fetched (200, text/plain), valid: mode %s, %zu mx, max_age %lu",
		       sts_mode_name(pol->mode), pol->nmx, pol->max_age);

	/* every live MX covered */
	if (pol->mode != STS_MODE_NONE && in->nmx == 0) {
		own_report_add(rep, d, "sts-mx", d, OWN_UNKNOWN, NULL,
			       "no live MX host known (MX lookup failed, or a null MX): "
			       "the mx lines were not compared");
	} else if (pol->mode != STS_MODE_NONE) {
		size_t missing = 0;

		for (size_t i = 0; i < in->nmx; i++) {
			const char *pat;

			if (sts_policy_mx_match(pol, in->mx[i]))
				continue;
			missing++;
			if (wildcard_near_miss(pol, in->mx[i], &pat))
				own_report_add(rep, d, "sts-mx", in->mx[i], OWN_ERROR, fix,
					       "not covered: \"%s\" covers exactly one label, "
					       "%s has more; senders in enforce mode defer",
					       pat, in->mx[i]);
			else
				own_report_add(rep, d, "sts-mx", in->mx[i], OWN_ERROR, fix,
					       "not covered by any mx line; senders in "
					       "enforce mode defer mail to it");
		}
		if (missing == 0)
			own_report_add(rep, d, "sts-mx", d, OWN_OK, NULL,
				       "all %zu live MX hosts covered", in->nmx);
	}

	/* mode */
	if (pol->mode == STS_MODE_ENFORCE) {
		own_report_add(rep, d, "sts-mode", url, OWN_OK, NULL, "enforce");
	} else if (pol->mode == STS_MODE_TESTING) {
		long long age = in->testing_since > 0 ? in->now - in->testing_since : 0;

		out->testing = 1;
		if (age > (long long)in->testing_max)
			own_report_add(rep, d, "sts-mode", url, OWN_WARNING, fix,
				       "testing for %s (first seen %s), longer than "
				       "own_sts_testing_max (%s): switch to enforce",
				       own_duration(age, a, sizeof(a)),
				       own_time(in->testing_since, url, sizeof(url)),
				       own_duration((long long)in->testing_max, b, sizeof(b)));
		else
			own_report_add(rep, d, "sts-mode", url, OWN_OK, NULL,
				       "testing for %s so far (own_sts_testing_max %s)",
				       own_duration(age, a, sizeof(a)),
				       own_duration((long long)in->testing_max, b, sizeof(b)));
	} else {
		own_report_add(rep, d, "sts-mode", url, OWN_WARNING, NULL,
			       "none: the policy is being withdrawn (RFC 8461 8.3)");
	}

	if (pol->max_age < OWN_STS_MIN_MAX_AGE)
		own_report_add(rep, d, "sts-max-age", url, OWN_WARNING, fix,
			       "max_age %lu is below one week (604800): a short "
			       "outage of the policy host lets senders drop the policy",
			       pol->max_age);
	else
		own_report_add(rep, d, "sts-max-age", url, OWN_OK, NULL,
			       "max_age %lu", pol->max_age);

	/* the id changed whenever the text did */
	if (txt_ok) {
		out->have_policy = 1;
		snprintf(out->id, sizeof(out->id), "%s", txt.id);
		if ((out->text = strdup(pol->text)) == NULL)
			abort();
		if (in->last_id == NULL) {
			own_report_add(rep, d, "sts-id", sub, OWN_OK, NULL,
				       "id=%s, first seen now (later changes are compared "
				       "with this policy)", txt.id);
		} else if (strcmp(in->last_text, pol->text) != 0 &&
			   strcmp(in->last_id, txt.id) == 0) {
			out->keep_last = 1;
			own_report_add(rep, d, "sts-id", sub, OWN_ERROR, fix,
				       "the policy changed but the id is still %s: senders "
				       "with the old policy cached never fetch the new one",
				       txt.id);
		} else {
			own_report_add(rep, d, "sts-id", sub, OWN_OK, NULL,
				       "id=%s%s", txt.id,
				       strcmp(in->last_id, txt.id) == 0 ? ", policy unchanged"
								       : ", new id");
		}
	}

cert:
	{
		char host[300], t[32];

		snprintf(host, sizeof(host), "mta-sts.%s", d);
		if (in->cert_not_after == 0)
			own_report_add(rep, d, "sts-cert", host, OWN_UNKNOWN, NULL,
				       "could not read the web certificate: %s",
				       in->cert_why ? in->cert_why : "no connection");
		else if (in->cert_not_after <= in->now)
			own_report_add(rep, d, "sts-cert", host, OWN_ERROR, NULL,
				       "the web certificate expired %s: senders cannot "
				       "fetch the policy; renew it",
				       own_time(in->cert_not_after, t, sizeof(t)));
		else if (in->cert_not_after - in->now < (long long)in->cert_days * 86400)
			own_report_add(rep, d, "sts-cert", host, OWN_WARNING, NULL,
				       "the web certificate expires %s, in %s (< %u days): "
				       "renew it", own_time(in->cert_not_after, t, sizeof(t)),
				       own_duration(in->cert_not_after - in->now, a, sizeof(a)),
				       in->cert_days);
		else
			own_report_add(rep, d, "sts-cert", host, OWN_OK, NULL,
				       "valid until %s", own_time(in->cert_not_after, t, sizeof(t)));
	}
	sts_policy_free(pol);
	free(fix);
	return 0;
}

/* ---- TLSRPT ---------------------------------------------------------- */

static int uri_ok(const char *u, size_t len, const char **why)
{
	if (len > 7 && strncasecmp(u, "mailto:", 7) == 0) {
		const char *at = memchr(u + 7, '@', len - 7);

		if (at == NULL || at == u + 7 || at + 1 >= u + len) {
			*why = "mailto: needs an address local@domain";
			return 0;
		}
		for (const char *p = at + 1; p < u + len; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '!')) {
				/* '!' begins a size limit (RFC 8460 3, RFC 6591 style) */
				*why = "mailto: domain with an invalid character";
				return 0;
			}
		return 1;
	}
	if (len > 8 && strncasecmp(u, "https://", 8) == 0) {
		if (u[8] == '/' || u[8] == '\0') {
			*why = "https: URI without a host";
			return 0;
		}
		for (const char *p = u + 8; p < u + len; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				*why = "https: URI with a space or non-ASCII byte";
				return 0;
			}
		return 1;
	}
	*why = "only mailto: and https: URIs are allowed (RFC 8460 3)";
	return 0;
}

int own_tlsrpt_check(const char *domain, enum own_lookup state, const char *why,
		     const struct sts_txt_rec *txt, size_t ntxt,
		     struct own_report *rep)
{
	char sub[300], fix[600], rec[STS_TXT_MAX_LEN + 1], bad[128];
	size_t nrpt = 0, which = 0;

	snprintf(sub, sizeof(sub), "_smtp._tls.%s", domain);
	snprintf(fix, sizeof(fix), "_smtp._tls.%s. IN TXT \"v=TLSRPTv1; "
		 "rua=mailto:tlsrpt@%s\"\n", domain, domain);
	if (state == OWN_LOOKUP_FAILED) {
		own_report_add(rep, domain, "tlsrpt", sub, OWN_UNKNOWN, NULL,
			       "could not look up the TXT record: %s", why ? why : "failed");
		return 0;
	}
	for (size_t i = 0; i < ntxt; i++)
		if (txt[i].len >= 10 && memcmp(txt[i].data, "v=TLSRPTv1", 10) == 0) {
			nrpt++;
			which = i;
		}
	if (nrpt == 0) {
		own_report_add(rep, domain, "tlsrpt", sub, OWN_WARNING, fix,
			       "no TLSRPT record: senders cannot report TLS failures to you");
		return 0;
	}
	if (nrpt > 1) {
		own_report_add(rep, domain, "tlsrpt", sub, OWN_ERROR, fix,
			       "%zu records begin with \"v=TLSRPTv1\": senders ignore "
			       "them all (RFC 8460 3: exactly one)", nrpt);
		return 0;
	}
	snprintf(rec, sizeof(rec), "%.*s", (int)txt[which].len, txt[which].data);
	{
		char *save = NULL, *f, *p = rec + 10;
		int have_rua = 0;
		const char *w;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ';') {
			own_report_add(rep, domain, "tlsrpt", sub, OWN_ERROR, fix,
				       "\"v=TLSRPTv1\" must be followed by \";\"");
			return 0;
		}
		for (f = strtok_r(p + 1, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
			char *e, *u, *s2 = NULL;

			while (*f == ' ' || *f == '\t')
				f++;
			for (e = f + strlen(f); e > f && (e[-1] == ' ' || e[-1] == '\t'); e--)
				*(e - 1) = '\0';
			if (*f == '\0')
				continue;
			if (strncmp(f, "rua=", 4) != 0)
				continue; /* extensions */
			have_rua = 1;
			for (u = strtok_r(f + 4, ",", &s2); u; u = strtok_r(NULL, ",", &s2)) {
				while (*u == ' ')
					u++;
				for (e = u + strlen(u); e > u && e[-1] == ' '; e--)
					*(e - 1) = '\0';
				if (!uri_ok(u, strlen(u), &w)) {
					own_report_add(rep, domain, "tlsrpt", sub, OWN_ERROR, fix,
						       "rua \"%s\": %s",
						       printable(bad, sizeof(bad), u, strlen(u)), w);
					return 0;
				}
			}
		}
		if (!have_rua) {
			own_report_add(rep, domain, "tlsrpt", sub, OWN_ERROR, fix,
				       "no rua= field: reports have nowhere to go");
			return 0;
		}
	}
	own_report_add(rep, domain, "tlsrpt", sub, OWN_OK, NULL, "%s",
		       printable(bad, sizeof(bad), txt[which].data, txt[which].len));
	return 0;
}
