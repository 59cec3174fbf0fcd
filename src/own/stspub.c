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

/* What the checks of one domain share. */
struct sts_ctx {
	const struct own_sts_in *in;
	struct own_report *rep;
	const char *d;
	char sub[300], url[320];
	char *fix;                 /* the TXT record + policy file to publish */
	struct sts_policy *pol;    /* NULL: not fetched or invalid */
	struct sts_txt txt;
	int txt_ok;
};

/* The _mta-sts TXT record.  Returns -1 when nothing is published at all
 * (the one finding says so and the rest is moot). */
static int check_txt(struct sts_ctx *c)
{
	const struct own_sts_in *in = c->in;
	struct errbuf why;
	size_t nsts = 0;

	switch (in->txt_state) {
	case OWN_LOOKUP_FAILED:
		own_report_add(c->rep, c->d, "sts-txt", c->sub, OWN_UNKNOWN, NULL,
			       "could not look up the TXT record: %s",
			       in->txt_why ? in->txt_why : "lookup failed");
		return 0;
	case OWN_LOOKUP_NONE:
		if (!in->fetch_ok && in->http_status == 0) {
			own_report_add(c->rep, c->d, "sts-txt", c->sub, OWN_WARNING, c->fix,
				       "MTA-STS not published (no TXT record, no policy): "
				       "senders without DANE get no protection");
			return -1;
		}
		own_report_add(c->rep, c->d, "sts-txt", c->sub, OWN_ERROR, c->fix,
			       "no TXT record: senders never fetch the policy");
		return 0;
	case OWN_LOOKUP_DATA:
		break;
	}
	for (size_t i = 0; i < in->ntxt; i++)
		nsts += sts_txt_is_sts(in->txt[i].data, in->txt[i].len);
	errbuf_clear(&why);
	if (nsts > 1) {
		own_report_add(c->rep, c->d, "sts-txt", c->sub, OWN_ERROR, c->fix,
			       "%zu records begin with \"v=STSv1;\": senders "
			       "ignore them all (RFC 8461 3.1: exactly one)", nsts);
	} else if (sts_txt_select(in->txt, in->ntxt, &c->txt, &why) < 0) {
		own_report_add(c->rep, c->d, "sts-txt", c->sub, OWN_ERROR, c->fix,
			       "%s", why.msg);
	} else {
		c->txt_ok = 1;
		own_report_add(c->rep, c->d, "sts-txt", c->sub, OWN_OK, NULL,
			       "one record, id=%s", c->txt.id);
	}
	return 0;
}

/* Every live MX host covered by an mx line. */
static void check_mx(struct sts_ctx *c)
{
	const struct own_sts_in *in = c->in;
	size_t missing = 0;

	if (c->pol->mode == STS_MODE_NONE)
		return;
	if (in->nmx == 0) {
		own_report_add(c->rep, c->d, "sts-mx", c->d, OWN_UNKNOWN, NULL,
			       "no live MX host known (MX lookup failed, or a null MX): "
			       "the mx lines were not compared");
		return;
	}
	for (size_t i = 0; i < in->nmx; i++) {
		const char *pat;

		if (sts_policy_mx_match(c->pol, in->mx[i]))
			continue;
		missing++;
		if (wildcard_near_miss(c->pol, in->mx[i], &pat))
			own_report_add(c->rep, c->d, "sts-mx", in->mx[i], OWN_ERROR, c->fix,
				       "not covered: \"%s\" covers exactly one label, "
				       "%s has more; senders in enforce mode defer",
				       pat, in->mx[i]);
		else
			own_report_add(c->rep, c->d, "sts-mx", in->mx[i], OWN_ERROR, c->fix,
				       "not covered by any mx line; senders in "
				       "enforce mode defer mail to it");
	}
	if (missing == 0)
		own_report_add(c->rep, c->d, "sts-mx", c->d, OWN_OK, NULL,
			       "all %zu live MX hosts covered", in->nmx);
}

/* mode (testing left on too long) and max_age. */
static void check_mode_age(struct sts_ctx *c, struct own_sts_out *out)
{
	const struct own_sts_in *in = c->in;
	char a[32], b[32], t[32];

	if (c->pol->mode == STS_MODE_ENFORCE) {
		own_report_add(c->rep, c->d, "sts-mode", c->url, OWN_OK, NULL, "enforce");
	} else if (c->pol->mode == STS_MODE_TESTING) {
		long long age = in->testing_since > 0 ? in->now - in->testing_since : 0;

		out->testing = 1;
		if (age > (long long)in->testing_max)
			own_report_add(c->rep, c->d, "sts-mode", c->url, OWN_WARNING, c->fix,
				       "testing for %s (first seen %s), longer than "
				       "own_sts_testing_max (%s): switch to enforce",
				       own_duration(age, a, sizeof(a)),
				       own_time(in->testing_since, t, sizeof(t)),
				       own_duration((long long)in->testing_max, b, sizeof(b)));
		else
			own_report_add(c->rep, c->d, "sts-mode", c->url, OWN_OK, NULL,
				       "testing for %s so far (own_sts_testing_max %s)",
				       own_duration(age, a, sizeof(a)),
				       own_duration((long long)in->testing_max, b, sizeof(b)));
	} else {
		own_report_add(c->rep, c->d, "sts-mode", c->url, OWN_WARNING, NULL,
			       "none: the policy is being withdrawn (RFC 8461 8.3)");
	}
	if (c->pol->max_age < OWN_STS_MIN_MAX_AGE)
		own_report_add(c->rep, c->d, "sts-max-age", c->url, OWN_WARNING, c->fix,
			       "max_age %lu is below one week (604800): a short "
			       "outage of the policy host lets senders drop the policy",
			       c->pol->max_age);
	else
		own_report_add(c->rep, c->d, "sts-max-age", c->url, OWN_OK, NULL,
			       "max_age %lu", c->pol->max_age);
}

/* The id changed whenever the text did (the last id and text seen are
 * the caller's, from tlspolicy_own). */
static void check_id(struct sts_ctx *c, struct own_sts_out *out)
{
	const struct own_sts_in *in = c->in;
	const char *id = c->txt.id;

	out->have_policy = 1;
	snprintf(out->id, sizeof(out->id), "%s", id);
	if ((out->text = strdup(c->pol->text)) == NULL)
		abort();
	if (in->last_id == NULL) {
		own_report_add(c->rep, c->d, "sts-id", c->sub, OWN_OK, NULL,
			       "id=%s, first seen now (later changes are compared "
			       "with this policy)", id);
	} else if (strcmp(in->last_text, c->pol->text) != 0 &&
		   strcmp(in->last_id, id) == 0) {
		out->keep_last = 1;
		own_report_add(c->rep, c->d, "sts-id", c->sub, OWN_ERROR, c->fix,
			       "the policy changed but the id is still %s: senders "
			       "with the old policy cached never fetch the new one", id);
	} else {
		own_report_add(c->rep, c->d, "sts-id", c->sub, OWN_OK, NULL, "id=%s%s", id,
			       strcmp(in->last_id, id) == 0 ? ", policy unchanged" : ", new id");
	}
}

/* The mta-sts. web certificate's expiry. */
static void check_cert(struct sts_ctx *c)
{
	const struct own_sts_in *in = c->in;
	char host[300], t[32], a[32];

	snprintf(host, sizeof(host), "mta-sts.%s", c->d);
	if (in->cert_not_after == 0)
		own_report_add(c->rep, c->d, "sts-cert", host, OWN_UNKNOWN, NULL,
			       "could not read the web certificate: %s",
			       in->cert_why ? in->cert_why : "no connection");
	else if (in->cert_not_after <= in->now)
		own_report_add(c->rep, c->d, "sts-cert", host, OWN_ERROR, NULL,
			       "the web certificate expired %s: senders cannot "
			       "fetch the policy; renew it",
			       own_time(in->cert_not_after, t, sizeof(t)));
	else if (in->cert_not_after - in->now < (long long)in->cert_days * 86400)
		own_report_add(c->rep, c->d, "sts-cert", host, OWN_WARNING, NULL,
			       "the web certificate expires %s, in %s (< %u days): "
			       "renew it", own_time(in->cert_not_after, t, sizeof(t)),
			       own_duration(in->cert_not_after - in->now, a, sizeof(a)),
			       in->cert_days);
	else
		own_report_add(c->rep, c->d, "sts-cert", host, OWN_OK, NULL,
			       "valid until %s", own_time(in->cert_not_after, t, sizeof(t)));
}

/* The fix keeps the published mode and max_age (enforce when testing
 * was left on too long; max_age at least a week). */
static void make_fix(struct sts_ctx *c)
{
	const struct own_sts_in *in = c->in;
	const char *mode = "enforce";
	unsigned long max_age = OWN_STS_MIN_MAX_AGE;

	if (c->pol) {
		mode = sts_mode_name(c->pol->mode);
		if (c->pol->max_age > max_age)
			max_age = c->pol->max_age;
		if (c->pol->mode == STS_MODE_TESTING && in->testing_since > 0 &&
		    in->now - in->testing_since > (long long)in->testing_max)
			mode = "enforce";
	}
	c->fix = own_sts_fix(c->d, in->mx, in->nmx, mode, max_age, in->now);
}

int own_sts_check(const struct own_sts_in *in, struct own_report *rep,
		  struct own_sts_out *out)
{
	struct sts_ctx c;
	struct errbuf why;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.in = in;
	c.rep = rep;
	c.d = in->domain;
	snprintf(c.sub, sizeof(c.sub), "_mta-sts.%s", c.d);
	snprintf(c.url, sizeof(c.url), "https://mta-sts.%s/.well-known/mta-sts.txt", c.d);
	errbuf_clear(&why);
	if (in->fetch_ok && sts_policy_parse(in->body, in->len, &c.pol, &why) < 0)
		c.pol = NULL;
	make_fix(&c);
	if (check_txt(&c) < 0)
		goto out;
	if (!in->fetch_ok)
		own_report_add(rep, c.d, "sts-policy", c.url, OWN_ERROR, c.fix,
			       "not fetched as a sender fetches it: %s",
			       in->fetch_error ? in->fetch_error : "failed");
	else if (c.pol == NULL)
		own_report_add(rep, c.d, "sts-policy", c.url, OWN_ERROR, c.fix,
			       "invalid policy: %s", why.msg);
	if (c.pol != NULL) {
		own_report_add(rep, c.d, "sts-policy", c.url, OWN_OK, NULL,
			       "fetched (200, text/plain), valid: mode %s, %zu mx, max_age %lu",
			       sts_mode_name(c.pol->mode), c.pol->nmx, c.pol->max_age);
		check_mx(&c);
		check_mode_age(&c, out);
		if (c.txt_ok)
			check_id(&c, out);
	}
	check_cert(&c);
out:
	sts_policy_free(c.pol);
	free(c.fix);
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
