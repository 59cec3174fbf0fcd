/* SPDX-License-Identifier: MIT */
/*
 * provider.c - the provider discovery source, MX lookups and the
 * transport-map method (see provider.h).
 */
#include "provider/provider.h"
#include "dns/mx.h"
#include "dns/rr.h"
#include "util/text.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* MX lookup                                                          */
/* ------------------------------------------------------------------ */

struct provider_mxq {
	struct dns_query *q;
	provider_mx_cb cb;
	void *arg;
	char domain[PROVIDER_HOST_MAX];
};

void provider_mxset_from_answer(const struct dns_answer *ans, const char *domain,
				struct provider_mxset *out)
{
	struct dns_mx mx;

	memset(out, 0, sizeof(*out));
	text_copy(out->domain, sizeof(out->domain), domain);
	out->status = ans->status;
	out->sec = ans->sec;
	out->ttl = ans->ttl;
	if (ans->why)
		text_copy(out->why, sizeof(out->why), ans->why);
	if (ans->status == DNS_STATUS_NODATA) {
		out->implicit = 1;
		out->nhosts = 1;
		text_copy(out->hosts[0], sizeof(out->hosts[0]), domain);
		return;
	}
	if (ans->status != DNS_STATUS_DATA)
		return;
	dns_mx_parse(ans, &mx);
	/* the provider's rule (dns/mx.h): "MX 0 ." alone is the null MX;
	 * every other record but bad and "." ones, in answer order, at most
	 * PROVIDER_MAX_HOSTS (more: truncated), repeated hosts kept */
	out->null_mx = mx.null_mx && mx.rec[0].pref == 0;
	for (size_t i = 0; i < mx.count; i++) {
		const struct dns_mx_rec *r = &mx.rec[i];
		size_t k;

		if ((r->flags & (DNS_MX_BAD | DNS_MX_ROOT)) || strlen(r->host) >= PROVIDER_HOST_MAX)
			continue;
		if (out->nhosts >= PROVIDER_MAX_HOSTS) {
			out->truncated = 1;
			continue;
		}
		/* insertion by preference, then name (stable output) */
		for (k = out->nhosts; k > 0; k--) {
			if (out->pref[k - 1] < r->pref ||
			    (out->pref[k - 1] == r->pref && strcmp(out->hosts[k - 1], r->host) <= 0))
				break;
			memcpy(out->hosts[k], out->hosts[k - 1], PROVIDER_HOST_MAX);
			out->pref[k] = out->pref[k - 1];
		}
		text_copy(out->hosts[k], PROVIDER_HOST_MAX, r->host);
		out->pref[k] = r->pref;
		out->nhosts++;
	}
	dns_mx_free(&mx);
}

static void mx_cb(void *arg, const struct dns_answer *ans)
{
	struct provider_mxq *q = arg;
	struct provider_mxset *set = xmalloc(sizeof(*set));


	provider_mxset_from_answer(ans, q->domain, set);
	q->cb(q->arg, set);
	free(set);
	free(q);
}

struct provider_mxq *provider_mx_lookup(struct dns *dns, const char *domain,
					provider_mx_cb cb, void *arg)
{
	struct provider_mxq *q = xcalloc(1, sizeof(*q));


	q->cb = cb;
	q->arg = arg;
	text_copy(q->domain, sizeof(q->domain), domain);
	q->q = dns_resolve(dns, domain, DNS_TYPE_MX, mx_cb, q);
	return q;
}

void provider_mx_cancel(struct provider_mxq *q)
{
	dns_cancel(q->q);
	free(q);
}

/* ------------------------------------------------------------------ */
/* Decision                                                           */
/* ------------------------------------------------------------------ */

void provider_decide(const struct catalog *cat, const struct provider_mxset *mx,
		     struct provider_decision *out)
{
	const char *hosts[PROVIDER_MAX_HOSTS];
	const char *why_not = NULL;

	memset(out, 0, sizeof(*out));
	out->ttl = mx->ttl < PROVIDER_MIN_TTL ? PROVIDER_MIN_TTL : mx->ttl;
	out->verdict = SOURCE_NOT_APPLICABLE;
	switch (mx->status) {
	case DNS_STATUS_DATA:
	case DNS_STATUS_NODATA:
		break;
	case DNS_STATUS_NXDOMAIN:
		snprintf(out->reason, sizeof(out->reason), "%s does not exist", mx->domain);
		return;
	default:
		out->verdict = SOURCE_FAILED;
		out->ttl = PROVIDER_MIN_TTL;
		snprintf(out->reason, sizeof(out->reason), "MX lookup of %s: %s%s%.200s",
			 mx->domain, dns_status_name(mx->status), mx->why[0] ? ": " : "", mx->why);
		return;
	}
	if (mx->sec == DNS_SEC_BOGUS) {
		out->verdict = SOURCE_FAILED;
		out->ttl = PROVIDER_MIN_TTL;
		snprintf(out->reason, sizeof(out->reason), "MX of %s is DNSSEC-bogus", mx->domain);
		return;
	}
	if (mx->null_mx) {
		snprintf(out->reason, sizeof(out->reason), "%s has a null MX (no mail)", mx->domain);
		return;
	}
	if (mx->truncated) {
		snprintf(out->reason, sizeof(out->reason), "%s has more than %d MX hosts",
			 mx->domain, PROVIDER_MAX_HOSTS);
		return;
	}
	for (size_t i = 0; i < mx->nhosts; i++)
		hosts[i] = mx->hosts[i];
	out->provider = catalog_match_hosts(cat, hosts, mx->nhosts, &why_not);
	if (out->provider == NULL) {
		snprintf(out->reason, sizeof(out->reason), "%s", why_not ? why_not : "no provider");
		return;
	}
	if (out->provider->policy == NULL) {
		snprintf(out->reason, sizeof(out->reason), "provider %s has no template policy",
			 out->provider->id);
		return;
	}
	out->verdict = SOURCE_APPLIES;
	out->policy = out->provider->policy;
	snprintf(out->reason, sizeof(out->reason), "every MX host belongs to %s",
		 out->provider->id);
}

/* ------------------------------------------------------------------ */
/* The discovery source                                               */
/* ------------------------------------------------------------------ */

struct provider_src {
	struct dns *dns;
	const struct catalog *cat;
};

struct src_job {
	struct provider_src *src;
	struct provider_mxq *q;
	source_done_fn done;
	void *done_arg;
};

struct provider_src *provider_src_new(struct dns *dns, const struct catalog *cat)
{
	struct provider_src *s = calloc(1, sizeof(*s));

	if (s) {
		s->dns = dns;
		s->cat = cat;
	}
	return s;
}

void provider_src_free(struct provider_src *src)
{
	free(src);
}

static void job_cb(void *arg, const struct provider_mxset *mx)
{
	struct src_job *j = arg;
	struct provider_decision d;
	struct source_result res;

	provider_decide(j->src->cat, mx, &d);
	memset(&res, 0, sizeof(res));
	res.verdict = d.verdict;
	res.policy_text = d.policy;
	res.reason = d.reason;
	res.ttl = d.ttl;
	j->q = NULL;
	j->done(j->done_arg, &res);
	free(j);
}

static void *src_discover(void *ctx, const char *domain, source_done_fn done,
			  void *done_arg)
{
	struct src_job *j = xcalloc(1, sizeof(*j));


	j->src = ctx;
	j->done = done;
	j->done_arg = done_arg;
	j->q = provider_mx_lookup(j->src->dns, domain, job_cb, j);
	return j;
}

static void src_cancel(void *ctx, void *handle)
{
	struct src_job *j = handle;

	(void)ctx;
	if (j->q)
		provider_mx_cancel(j->q);
	free(j);
}

int provider_source_init(struct provider_src *src, struct engine_source *out)
{
	*out = (struct engine_source){ .name = "provider", .answer = ANSWER_PROVIDER, .ctx = src,
				       .discover = src_discover, .cancel = src_cancel };
	return 0;
}

/* ------------------------------------------------------------------ */
/* Service                                                            */
/* ------------------------------------------------------------------ */

struct provider_service {
	struct catalog *cat;
	struct dns *dns;
	struct provider_src *src;
};

int provider_service_new(struct event_base *base, const struct config *cfg,
			 struct dns *dns, struct provider_service **out,
			 struct errbuf *why)
{
	struct provider_service *svc = calloc(1, sizeof(*svc));

	*out = NULL;
	if (svc == NULL)
		return errbuf_set(why, "out of memory");
	if ((svc->cat = catalog_load(cfg, why)) == NULL)
		goto fail;
	(void)base;
	if (dns == NULL) {
		errbuf_set(why, "provider: no DNS context");
		goto fail;
	}
	svc->dns = dns;
	if ((svc->src = provider_src_new(dns, svc->cat)) == NULL) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	*out = svc;
	return 0;
fail:
	provider_service_free(svc);
	return -1;
}

const struct catalog *provider_service_catalog(const struct provider_service *svc)
{
	return svc->cat;
}

struct dns *provider_service_dns(const struct provider_service *svc)
{
	return svc->dns;
}

struct provider_src *provider_service_src(const struct provider_service *svc)
{
	return svc->src;
}

void provider_service_free(struct provider_service *svc)
{
	if (svc == NULL)
		return;
	provider_src_free(svc->src);
	catalog_free(svc->cat);
	free(svc);
}

/* ------------------------------------------------------------------ */
/* The transport-map method                                           */
/* ------------------------------------------------------------------ */

int provider_template_write(FILE *transport, FILE *tls_policy,
			    const struct provider *p,
			    const struct provider_mxset *const *sets, size_t n,
			    unsigned postfix_compat, struct errbuf *why)
{
	const char *pin = p->pin ? p->pin : p->policy;
	int list = postfix_compat == 0 || postfix_compat >= 305;

	if (pin == NULL)
		return errbuf_set(why, "provider %s has no template policy", p->id);
	fprintf(transport, "# transport(5) lines from tlspolicy provider template %s (%s)\n",
		p->id, p->name);
	if (!list)
		fprintf(transport, "# Postfix < 3.5 takes one next hop: only the most "
			"preferred MX host is pinned\n");
	for (size_t i = 0; i < n; i++) {
		const struct provider_mxset *s = sets[i];

		fprintf(transport, "# %s: MX", s->domain);
		for (size_t k = 0; k < s->nhosts; k++)
			fprintf(transport, "%s %s (%u)", k ? "," : "", s->hosts[k], s->pref[k]);
		fprintf(transport, "\n%s\tsmtp:", s->domain);
		for (size_t k = 0; k < s->nhosts && (list || k == 0); k++)
			fprintf(transport, "%s[%s]", k ? ", " : "", s->hosts[k]);
		fputc('\n', transport);
	}

	fprintf(tls_policy, "# tls_policy(5) lines for the pinned next hops (provider %s: %s)\n",
		p->id, p->name);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sets[i]->nhosts && (list || k == 0); k++) {
			const char *h = sets[i]->hosts[k];
			int seen = 0;

			/* one line per host; the first domain to pin it prints it */
			for (size_t j = 0; j < i && !seen; j++)
				for (size_t m = 0; m < sets[j]->nhosts && (list || m == 0); m++)
					if (strcasecmp(sets[j]->hosts[m], h) == 0)
						seen = 1;
			if (seen)
				continue;
			fprintf(tls_policy, "# %s: MX of", h);
			for (size_t j = i; j < n; j++)
				for (size_t m = 0; m < sets[j]->nhosts && (list || m == 0); m++)
					if (strcasecmp(sets[j]->hosts[m], h) == 0)
						fprintf(tls_policy, " %s", sets[j]->domain);
			fprintf(tls_policy, "\n[%s]\t%s\n", h, pin);
		}
	}
	return 0;
}

/* Splits the next hops of a transport value into pins. */
static int pins_from_value(const char *v, struct provider_pin *pin, const char *origin,
			   unsigned line, struct errbuf *why)
{
	const char *colon = strchr(v, ':'), *p;

	pin->nhosts = 0;
	if (colon == NULL)
		return 0;             /* "transport" only: no next hop */
	p = colon + 1;
	while (*p) {
		size_t l;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		l = strcspn(p, " \t,");
		if (*p == '[') {
			const char *e = memchr(p, ']', l);
			size_t hl;

			if (e == NULL)
				return errbuf_set(why, "%.200s:%u: next hop \"%.*s\" lacks ']'",
						  origin, line, (int)(l > 80 ? 80 : l), p);
			hl = (size_t)(e - p - 1);
			if (hl == 0 || hl >= PROVIDER_HOST_MAX)
				return errbuf_set(why, "%.200s:%u: bad next hop", origin, line);
			if (pin->nhosts >= PROVIDER_MAX_HOSTS)
				return errbuf_set(why, "%.200s:%u: more than %d next hops", origin,
						  line, PROVIDER_MAX_HOSTS);
			for (size_t i = 0; i < hl; i++) {
				char c = p[1 + i];

				pin->hosts[pin->nhosts][i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
			}
			pin->hosts[pin->nhosts][hl] = '\0';
			pin->nhosts++;
		}
		p += l;
	}
	return 0;
}

/* One logical line "KEY VALUE..." (k, NUL-terminated, modified) into
 * (*pins)[*npins]; an entry without hosts is not kept.  0 or -1. */
static int pin_entry(char *k, struct provider_pin **pins, size_t *npins, size_t *cap,
		     const char *origin, unsigned start, struct errbuf *why)
{
	struct provider_pin *p;
	size_t kl = strcspn(k, " \t");
	char *v = k + kl;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return errbuf_set(why, "%.200s:%u: \"%.80s\" has no value", origin, start, k);
	k[kl] = '\0';
	if (kl >= PROVIDER_HOST_MAX)
		return errbuf_set(why, "%.200s:%u: key too long", origin, start);
	if (*npins >= PROVIDER_MAX_PINS)
		return errbuf_set(why, "%.200s: more than %d entries", origin, PROVIDER_MAX_PINS);
	if (*npins == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct provider_pin *np = realloc(*pins, nc * sizeof(*np));

		if (np == NULL)
			return errbuf_set(why, "out of memory");
		*pins = np;
		*cap = nc;
	}
	p = &(*pins)[*npins];
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i <= kl; i++)
		p->domain[i] = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] + 32) : k[i];
	p->line = start;
	if (pins_from_value(v, p, origin, start, why) < 0)
		return -1;
	if (p->nhosts > 0)
		(*npins)++;
	return 0;
}

int provider_pins_parse(const char *text, size_t len, const char *origin,
			struct provider_pin **out, size_t *n, struct errbuf *why)
{
	struct provider_pin *pins = NULL;
	size_t npins = 0, cap = 0, off = 0;
	unsigned lineno = 0, start = 0;
	char *logical = NULL;
	size_t ll = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if ((logical = malloc(CATALOG_MAX_LINE * 4 + 1)) == NULL)
		return errbuf_set(why, "out of memory");
	for (;;) {
		const char *nl = NULL;
		size_t raw = 0, l = 0;
		int eof = off >= len, cont = 0;

		if (!eof) {
			nl = memchr(text + off, '\n', len - off);
			raw = nl ? (size_t)(nl - (text + off)) : len - off;
			lineno++;
			l = raw;
			if (l > 0 && text[off + l - 1] == '\r')
				l--;
			if (memchr(text + off, '\0', l)) {
				errbuf_set(why, "%.200s:%u: NUL byte", origin, lineno);
				goto out;
			}
			cont = l > 0 && (text[off] == ' ' || text[off] == '\t');
			/* comment or blank lines end nothing */
			{
				size_t k = 0;

				while (k < l && (text[off + k] == ' ' || text[off + k] == '\t'))
					k++;
				if (k == l || text[off + k] == '#') {
					off += raw + (nl ? 1 : 0);
					continue;
				}
			}
			if (cont && ll == 0) {
				errbuf_set(why, "%.200s:%u: continuation line without an entry",
					   origin, lineno);
				goto out;
			}
			if (cont) {
				if (ll + l + 1 > CATALOG_MAX_LINE * 4) {
					errbuf_set(why, "%.200s:%u: logical line too long", origin, lineno);
					goto out;
				}
				logical[ll++] = ' ';
				memcpy(logical + ll, text + off, l);
				ll += l;
				off += raw + (nl ? 1 : 0);
				continue;
			}
		}
		/* a new logical line starts (or EOF): finish the previous one */
		if (ll > 0) {
			logical[ll] = '\0';
			if (pin_entry(logical, &pins, &npins, &cap, origin, start, why) < 0)
				goto out;
			ll = 0;
		}
		if (eof)
			break;
		if (l > CATALOG_MAX_LINE * 4) {
			errbuf_set(why, "%.200s:%u: line too long", origin, lineno);
			goto out;
		}
		memcpy(logical, text + off, l);
		ll = l;
		start = lineno;
		off += raw + (nl ? 1 : 0);
	}
	*out = pins;
	*n = npins;
	pins = NULL;
	rc = 0;
out:
	free(pins);
	free(logical);
	return rc;
}
