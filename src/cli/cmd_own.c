/* SPDX-License-Identifier: MIT */
/*
 * cmd_own.c - tlspolicy own: what we publish for our own domains.
 *
 *   own tlsa [--probe] [--cert [HOST=]FILE]... [--next [HOST=]FILE]...
 *            [--ttl N] [--port N] [HOST...]
 *       the TLSA records (3 1 1 leaf key, 2 1 1 issuing CA) as zone-file
 *       lines for the keys in service and the next keys;
 *   own check [--deploy-check] [--cert ..] [--next ..] [--mx HOST]...
 *             [--no-probe] [--only dane,sts,tlsrpt] [--now T] [--no-save]
 *             [DOMAIN...]
 *       one report per own domain: the DANE rollover state of every MX
 *       host, the MTA-STS publication, the TLSRPT record; exit 0 ok,
 *       1 warning, 2 error, 3 could not check;
 *   own deploy-check ...   = own check --deploy-check (ACME hooks);
 *   own sts-policy [--mode M] [--max-age N] [--mx HOST]... DOMAIN
 *       the MTA-STS TXT record and policy file for the live MX set.
 *
 * The facts are gathered here (DNS through one function, own_lookup(),
 * the STARTTLS probe, the MTA-STS fetcher with discovery's strict
 * rules, the web certificate, the tlspolicy_own table); src/own/ judges
 * them.
 */
#include "cli/cli.h"
#include "dns/dns.h"
#include "dns/rr.h"
#include "mtasts/sts_fetch.h"
#include "mtasts/sts_txt.h"
#include "own/report.h"
#include "own/roll.h"
#include "own/rx.h"
#include "own/stspub.h"
#include "own/tlsa.h"
#include "own/webcert.h"
#include "probe/probe.h"
#include "store/store.h"
#include "store/store_own.h"
#include "tlsrpt/db.h"
#include "util/config.h"
#include "util/json.h"
#include "util/log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OWN_MAX_SPECS 64
#define OWN_MAX_HOSTS 32
#define OWN_MAX_KEYS 8
#define OWN_EXIT_CANNOT 3

/* a client that takes only ECDSA (and EdDSA) or only RSA signatures */
#define OWN_SIGALGS_EC "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448"
#define OWN_SIGALGS_RSA "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:" \
	"rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512"

enum { ONLY_DANE = 1, ONLY_STS = 2, ONLY_TLSRPT = 4, ONLY_ALL = 7 };

struct own_run {
	struct cli *cli;
	struct config *cfg;
	struct event_base *base;
	struct dns *dns;
	struct probe_ctx *probe;
	struct probe_ctx *probe_ec, *probe_rsa;  /* one signature type only */
	struct sts_fetcher *fetcher;
	struct store *st;
	int save, no_probe, deploy, only, probe_tlsa;
	const char *mode;              /* sts-policy --mode */
	unsigned long max_age;         /* sts-policy --max-age */
	long long now;
	unsigned port, ttl;
	const char *cert[OWN_MAX_SPECS], *next[OWN_MAX_SPECS], *mx[OWN_MAX_SPECS];
	size_t ncert, nnext, nmx;
	char *words[3][OWN_MAX_SPECS];   /* own_cert_files, own_next_files, own_mx_hosts */
	char *storage[3];
	struct own_report rep;
};

/* ---- DNS: the one call site of the dns layer -------------------------- */

static struct dns_answer *own_lookup(struct own_run *r, const char *name, int type)
{
	return dns_resolve_sync(r->dns, name, type);
}

static enum own_lookup lookup_state(const struct dns_answer *a, char *why, size_t len)
{
	why[0] = '\0';
	if (a->sec == DNS_SEC_BOGUS) {
		snprintf(why, len, "DNSSEC bogus: %s", a->why ? a->why : "validation failed");
		return OWN_LOOKUP_FAILED;
	}
	switch (a->status) {
	case DNS_STATUS_DATA: return OWN_LOOKUP_DATA;
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN: return OWN_LOOKUP_NONE;
	default:
		snprintf(why, len, "%s%s%s", dns_status_name(a->status),
			 a->why ? ": " : "", a->why ? a->why : "");
		return OWN_LOOKUP_FAILED;
	}
}

/* TXT records of name, strings concatenated; *recs and bufs freed by
 * the caller (free(*bufs); free(*recs)). */
static enum own_lookup txt_lookup(struct own_run *r, const char *name,
				  struct sts_txt_rec **recs, char **bufs, size_t *n,
				  char *why, size_t whylen)
{
	struct dns_answer *a = own_lookup(r, name, DNS_TYPE_TXT);
	enum own_lookup s = lookup_state(a, why, whylen);
	size_t k = 0;

	*recs = NULL;
	*bufs = NULL;
	*n = 0;
	if (s == OWN_LOOKUP_DATA && a->count > 0) {
		size_t cnt = a->count < STS_TXT_MAX_RECORDS ? a->count : STS_TXT_MAX_RECORDS;

		*recs = calloc(cnt, sizeof(**recs));
		*bufs = malloc(cnt * STS_TXT_MAX_LEN);
		if (*recs == NULL || *bufs == NULL)
			abort();
		for (size_t i = 0; i < cnt; i++) {
			size_t len;
			char *b = *bufs + k * STS_TXT_MAX_LEN;

			if (sts_txt_rdata_concat(a->records[i].data, a->records[i].len,
						 b, STS_TXT_MAX_LEN, &len, NULL) < 0)
				continue;
			(*recs)[k].data = b;
			(*recs)[k].len = len;
			k++;
		}
	}
	*n = k;
	dns_answer_free(a);
	return s;
}

/* The MX hosts of domain (null MX left out; none: the domain itself). */
static enum own_lookup mx_lookup(struct own_run *r, const char *domain,
				 char (*hosts)[DNS_NAME_BUF], size_t max, size_t *n,
				 char *why, size_t whylen)
{
	struct dns_answer *a = own_lookup(r, domain, DNS_TYPE_MX);
	enum own_lookup s = lookup_state(a, why, whylen);

	*n = 0;
	if (s == OWN_LOOKUP_DATA)
		for (size_t i = 0; i < a->count && *n < max; i++) {
			unsigned pref;

			if (rr_mx(a->records[i].data, a->records[i].len, &pref, hosts[*n],
				  DNS_NAME_BUF, NULL) < 0 || strcmp(hosts[*n], ".") == 0)
				continue;
			(*n)++;
		}
	dns_answer_free(a);
	return s;
}

/* ---- key files, probe -------------------------------------------------- */

/* "HOST=FILE" applies to HOST, "FILE" to every host. */
static const char *spec_for(const char *spec, const char *host)
{
	const char *eq = strchr(spec, '=');
	size_t hl;

	if (eq == NULL || memchr(spec, '/', (size_t)(eq - spec)) != NULL)
		return spec;
	hl = (size_t)(eq - spec);
	if (host && strlen(host) == hl && strncasecmp(spec, host, hl) == 0)
		return eq + 1;
	return NULL;
}

static int add_sets(struct own_keyset *sets, size_t *n, size_t max,
		    const struct own_keyset *add, size_t nadd)
{
	for (size_t i = 0; i < nadd; i++) {
		int dup = 0;

		for (size_t j = 0; j < *n && !dup; j++)
			dup = own_keyset_same_key(&sets[j], &add[i]);
		if (dup || *n >= max) {
			struct own_keyset tmp = add[i];

			own_keyset_free(&tmp);
			continue;
		}
		sets[(*n)++] = add[i];
	}
	return 0;
}

static int load_files(const char *const *specs, size_t nspecs, const char *host,
		      struct own_keyset *sets, size_t *n, size_t max,
		      struct errbuf *why)
{
	for (size_t i = 0; i < nspecs; i++) {
		const char *file = spec_for(specs[i], host);
		struct own_keyset got[OWN_TLSA_MAX_SETS];
		size_t ngot;

		if (file == NULL)
			continue;
		if (own_keyset_from_file(file, got, OWN_TLSA_MAX_SETS, &ngot, why) < 0)
			return -1;
		add_sets(sets, n, max, got, ngot);
	}
	return 0;
}

struct probe_wait {
	int done, ok;
	char why[ERRBUF_MAX];
	struct own_keyset ks;
};

static void probe_done(void *arg, const struct probe_result *res)
{
	struct probe_wait *w = arg;
	struct errbuf why;
	char src[PROBE_HOST_MAX + 64];

	w->done = 1;
	if (res->status != PROBE_OK) {
		snprintf(w->why, sizeof(w->why), "probe %.250s: %.240s", res->host, res->why);
		return;
	}
	if (res->tls != PROBE_TLS_OK || res->nchain == 0) {
		snprintf(w->why, sizeof(w->why), "probe %.250s: STARTTLS %s%s%.200s", res->host,
			 probe_tls_name(res->tls), res->tls_why[0] ? ": " : "", res->tls_why);
		return;
	}
	snprintf(src, sizeof(src), "probe of %.250s[%.46s]", res->host, res->addr);
	errbuf_clear(&why);
	if (own_keyset_from_chain(res->chain, res->nchain, src, &w->ks, &why) < 0) {
		snprintf(w->why, sizeof(w->why), "%s", why.msg);
		return;
	}
	w->ok = 1;
}

static int probe_host(struct own_run *r, const char *host, struct own_keyset *out,
		      char *why, size_t whylen)
{
	struct probe_wait w;
	struct probe_target t;

	memset(&w, 0, sizeof(w));
	memset(&t, 0, sizeof(t));
	t.host = host;
	t.port = r->port;
	probe_start(r->probe, &t, probe_done, &w);
	while (!w.done)
		if (event_base_loop(r->base, EVLOOP_ONCE) < 0)
			break;
	if (!w.ok) {
		snprintf(why, whylen, "%s", w.why[0] ? w.why : "probe failed");
		return -1;
	}
	*out = w.ks;
	return 0;
}

/*
 * The keys a host serves: the chain of a default handshake, then one
 * offering only the other signature type (a server with an RSA and an
 * ECDSA certificate shows each to a client that takes only it; a server
 * with one certificate fails that handshake, which is no finding).
 * Returns the number of key sets added; pwhy says why none.
 */
static size_t probe_keys(struct own_run *r, const char *host, struct own_keyset *sets,
			 size_t *n, size_t max, char *pwhy, size_t pwhylen)
{
	struct own_keyset ks, alt;
	struct probe_ctx *other;
	struct probe_ctx *save = r->probe;
	char ignore[ERRBUF_MAX];
	size_t n0 = *n;

	if (probe_host(r, host, &ks, pwhy, pwhylen) < 0)
		return 0;
	other = strcmp(ks.key_type, "RSA") == 0 ? r->probe_ec : r->probe_rsa;
	add_sets(sets, n, max, &ks, 1);
	if (other != NULL) {
		r->probe = other;
		if (probe_host(r, host, &alt, ignore, sizeof(ignore)) == 0)
			add_sets(sets, n, max, &alt, 1);
		r->probe = save;
	}
	return *n - n0;
}

/* ---- the tlspolicy_own facts ------------------------------------------- */

/* first_seen of (subject, fact); records it at now when new.  Without a
 * store (or --no-save for new facts): now. */
static long long seen(struct own_run *r, const char *subject, const char *fact)
{
	struct store_own_row row;
	struct errbuf why;
	long long t = r->now;
	int rc;

	if (r->st == NULL)
		return t;
	errbuf_clear(&why);
	rc = store_own_get(r->st, subject, fact, &row, &why);
	if (rc == 1) {
		t = row.first_seen;
		if (r->save && r->now >= row.first_seen) {
			row.last_seen = r->now;
			store_own_put(r->st, &row, &why);
		}
		store_own_row_free(&row);
		return t;
	}
	if (rc < 0) {
		log_warnx("own: %s", why.msg);
		return t;
	}
	if (r->save) {
		struct store_own_row n = { (char *)subject, (char *)fact, (char *)"", t, t };

		if (store_own_put(r->st, &n, &why) < 0)
			log_warnx("own: %s", why.msg);
	}
	return t;
}

struct forget {
	const char *prefix;
	const char **keep;
	size_t nkeep;
	char (*del)[STORE_OWN_KEY_MAX + 1];
	size_t ndel, max;
};

static int forget_cb(const struct store_own_row *row, void *arg)
{
	struct forget *f = arg;

	if (strncmp(row->fact, f->prefix, strlen(f->prefix)) != 0)
		return 0;
	for (size_t i = 0; i < f->nkeep; i++)
		if (strcmp(row->fact, f->keep[i]) == 0)
			return 0;
	if (f->ndel < f->max)
		snprintf(f->del[f->ndel++], STORE_OWN_KEY_MAX + 1, "%s", row->fact);
	return 0;
}

/* Deletes subject's facts beginning with prefix that are not in keep:
 * a record removed and published again counts from then. */
static void forget_others(struct own_run *r, const char *subject, const char *prefix,
			  const char **keep, size_t nkeep)
{
	char del[64][STORE_OWN_KEY_MAX + 1];
	struct forget f = { prefix, keep, nkeep, del, 0, 64 };
	struct errbuf why;

	if (r->st == NULL || !r->save)
		return;
	errbuf_clear(&why);
	if (store_own_list(r->st, subject, forget_cb, &f, &why) < 0) {
		log_warnx("own: %s", why.msg);
		return;
	}
	for (size_t i = 0; i < f.ndel; i++)
		store_own_delete(r->st, subject, del[i], &why);
}

/*
 * The original TTL of the RRSIGs over owner's TLSA RRset (RFC 4034 3.1:
 * type covered, algorithm, labels, original TTL), 0 when none.  It is
 * not validated (RRSIG answers are not signed themselves), so it may
 * only make the wait longer, never shorter; capped at OWN_TTL_CAP.
 */
#define OWN_TTL_CAP 604800UL  /* BIND's default max-cache-ttl: one week */
#define OWN_TYPE_RRSIG 46     /* RFC 4034 */
static unsigned long rrsig_ttl(struct own_run *r, const char *owner)
{
	struct dns_answer *a = own_lookup(r, owner, OWN_TYPE_RRSIG);
	unsigned long best = 0;

	if (a->status == DNS_STATUS_DATA)
		for (size_t i = 0; i < a->count; i++) {
			const unsigned char *d = a->records[i].data;
			unsigned long t;

			if (a->records[i].len < 8 || ((d[0] << 8) | d[1]) != DNS_TYPE_TLSA)
				continue;
			t = ((unsigned long)d[4] << 24) | ((unsigned long)d[5] << 16) |
			    ((unsigned long)d[6] << 8) | d[7];
			if (t > best)
				best = t;
		}
	dns_answer_free(a);
	return best > OWN_TTL_CAP ? OWN_TTL_CAP : best;
}

/*
 * The TTL of the TLSA RRset as published: a resolver answers from its
 * cache with the TTL counted down, so the largest of the answer's TTL,
 * the RRSIGs' original TTL, the largest TTL ever seen for the owner
 * (fact "ttl") and --ttl counts.
 */
static unsigned rrset_ttl(struct own_run *r, const char *owner,
			  const struct dns_answer *a)
{
	struct store_own_row row;
	struct errbuf why;
	unsigned long ttl = a->status == DNS_STATUS_DATA ? a->ttl : 0, old = 0, sig;
	char v[24];

	if (r->ttl > ttl)
		ttl = r->ttl;
	if (a->status == DNS_STATUS_DATA && a->sec == DNS_SEC_SECURE &&
	    (sig = rrsig_ttl(r, owner)) > ttl)
		ttl = sig;
	if (r->st == NULL || a->status != DNS_STATUS_DATA || a->sec != DNS_SEC_SECURE)
		return (unsigned)ttl;
	errbuf_clear(&why);
	if (store_own_get(r->st, owner, "ttl", &row, &why) == 1) {
		old = strtoul(row.value, NULL, 10);
		store_own_row_free(&row);
	}
	if (old > ttl)
		return (unsigned)old;
	if (r->save && ttl > old) {
		struct store_own_row n = { (char *)owner, (char *)"ttl", v, r->now, r->now };

		snprintf(v, sizeof(v), "%lu", ttl);
		if (store_own_put(r->st, &n, &why) < 0)
			log_warnx("own: %s", why.msg);
	}
	return (unsigned)ttl;
}

/* ---- DANE of one host -------------------------------------------------- */

/* The facts of one host's TLSA RRset and the keys it serves. */
struct host_facts {
	struct own_roll_in in;
	struct own_roll_pub pubs[OWN_ROLL_MAX_TLSA];
	char why[ERRBUF_MAX];
};

static enum own_tlsa_state tlsa_state(const struct dns_answer *a, char *why, size_t len)
{
	if (a->sec == DNS_SEC_BOGUS) {
		snprintf(why, len, "%s", a->why ? a->why : "bogus");
		return OWN_TLSA_BOGUS;
	}
	if (a->status == DNS_STATUS_DATA || a->status == DNS_STATUS_NODATA ||
	    a->status == DNS_STATUS_NXDOMAIN) {
		if (a->sec != DNS_SEC_SECURE)
			return OWN_TLSA_INSECURE;
		return a->status == DNS_STATUS_DATA ? OWN_TLSA_SECURE : OWN_TLSA_NONE;
	}
	snprintf(why, len, "%s%s%s", dns_status_name(a->status),
		 a->why ? ": " : "", a->why ? a->why : "");
	return OWN_TLSA_FAILED;
}

/* The TLSA RRset at owner into h, each record with its first-seen time;
 * the facts of records no longer published are forgotten. */
static void tlsa_facts(struct own_run *r, const char *owner, struct host_facts *h)
{
	char facts[OWN_ROLL_MAX_TLSA][STORE_OWN_KEY_MAX + 1];
	const char *keep[OWN_ROLL_MAX_TLSA];
	struct dns_answer *a = own_lookup(r, owner, DNS_TYPE_TLSA);
	size_t npub = 0;

	h->in.ttl = rrset_ttl(r, owner, a);
	h->in.state = tlsa_state(a, h->why, sizeof(h->why));
	for (size_t i = 0; a->status == DNS_STATUS_DATA && i < a->count &&
	     npub < OWN_ROLL_MAX_TLSA; i++) {
		struct tlsa_rr t;
		struct own_roll_pub *p = &h->pubs[npub];
		char txt[OWN_TLSA_HEX + 16];

		if (rr_tlsa(a->records[i].data, a->records[i].len, &t, NULL) < 0)
			continue;
		if (t.len > sizeof(p->rr.data) || t.mtype == 0) {
			/* full data (matching type 0): not compared here */
			if (t.mtype == 0 && (t.usage == 2 || t.usage == 3))
				h->in.nuncompared++;
			continue;
		}
		memset(p, 0, sizeof(*p));
		p->rr.usage = t.usage;
		p->rr.selector = t.selector;
		p->rr.mtype = t.mtype;
		p->rr.len = t.len;
		memcpy(p->rr.data, t.data, t.len);
		snprintf(facts[npub], sizeof(facts[0]), "tlsa %s",
			 own_tlsa_text(&p->rr, txt, sizeof(txt)));
		keep[npub] = facts[npub];
		p->first_seen = h->in.state == OWN_TLSA_SECURE ? seen(r, owner, facts[npub])
							       : r->now;
		npub++;
	}
	dns_answer_free(a);
	h->in.tlsa = h->pubs;
	h->in.ntlsa = npub;
	if (h->in.state == OWN_TLSA_SECURE || h->in.state == OWN_TLSA_NONE)
		forget_others(r, owner, "tlsa ", keep, npub);
}

/* When the keys in service were first seen serving (the newest of
 * them); the facts of keys no longer served are forgotten. */
static long long live_since(struct own_run *r, const char *owner,
			    const struct own_keyset *live, size_t nlive)
{
	char facts[OWN_MAX_KEYS][STORE_OWN_KEY_MAX + 1];
	const char *keep[OWN_MAX_KEYS];
	long long since = 0;

	for (size_t i = 0; i < nlive && i < OWN_MAX_KEYS; i++) {
		struct own_tlsa_rr rr;
		char hex[OWN_TLSA_HEX];
		long long t;

		own_tlsa_leaf(&live[i], &rr);
		snprintf(facts[i], sizeof(facts[0]), "live %s",
			 own_tlsa_hex(&rr, hex, sizeof(hex)));
		keep[i] = facts[i];
		if ((t = seen(r, owner, facts[i])) > since)
			since = t;
	}
	if (nlive > 0)
		forget_others(r, owner, "live ", keep, nlive);
	return since;
}

static void roll_host(struct own_run *r, const char *domain, const char *host)
{
	struct own_keyset live[OWN_MAX_KEYS], next[OWN_MAX_KEYS];
	struct host_facts *h = calloc(1, sizeof(*h));
	char owner[DNS_NAME_BUF + 16], pwhy[ERRBUF_MAX] = "";
	size_t nlive = 0, nnext = 0;
	struct errbuf eb;

	if (h == NULL)
		abort();
	if (!r->no_probe) {
		if (probe_keys(r, host, live, &nlive, OWN_MAX_KEYS, pwhy, sizeof(pwhy)) > 0)
			pwhy[0] = '\0';
	} else {
		snprintf(pwhy, sizeof(pwhy), "--no-probe and no --cert file for %s", host);
	}
	errbuf_clear(&eb);
	if (load_files(r->cert, r->ncert, host, live, &nlive, OWN_MAX_KEYS, &eb) < 0 ||
	    load_files(r->next, r->nnext, host, next, &nnext, OWN_MAX_KEYS, &eb) < 0) {
		own_report_add(&r->rep, domain, "keys", host, OWN_UNKNOWN, NULL, "%s", eb.msg);
		goto out;
	}
	if (!r->no_probe && nlive > 0 && pwhy[0])
		own_report_add(&r->rep, domain, "probe", host, OWN_UNKNOWN, NULL,
			       "%s (judged by the --cert files only)", pwhy);
	snprintf(owner, sizeof(owner), "_%u._tcp.%s", r->port ? r->port : 25, host);
	tlsa_facts(r, owner, h);
	h->in.live_since = live_since(r, owner, live, nlive);
	h->in.domain = domain;
	h->in.host = host;
	h->in.port = r->port;
	h->in.live = live;
	h->in.nlive = nlive;
	h->in.live_why = pwhy;
	h->in.next = next;
	h->in.nnext = nnext;
	h->in.tlsa_why = h->why;
	h->in.now = r->now;
	h->in.deploy_check = r->deploy;
	own_roll_check(&h->in, &r->rep);
out:
	for (size_t i = 0; i < nlive; i++)
		own_keyset_free(&live[i]);
	for (size_t i = 0; i < nnext; i++)
		own_keyset_free(&next[i]);
	free(h);
}

/* ---- MTA-STS, TLSRPT of one domain ------------------------------------ */

struct fetch_wait {
	int done, ok;
	long status;
	char *body;
	size_t len;
	char error[ERRBUF_MAX];
};

static void fetch_done(void *arg, const struct sts_fetch_result *res)
{
	struct fetch_wait *w = arg;

	w->done = 1;
	w->ok = res->ok;
	w->status = res->http_status;
	if (res->ok) {
		if ((w->body = malloc(res->len + 1)) == NULL)
			abort();
		memcpy(w->body, res->body, res->len);
		w->body[res->len] = '\0';
		w->len = res->len;
	} else {
		snprintf(w->error, sizeof(w->error), "%s", res->error ? res->error : "failed");
	}
}

static void sts_domain(struct own_run *r, const char *domain,
		       const char *const *mx, size_t nmx)
{
	char name[DNS_NAME_BUF + 16], why[ERRBUF_MAX], cwhy[ERRBUF_MAX] = "";
	char host[DNS_NAME_BUF + 16];
	struct sts_txt_rec *recs;
	char *bufs;
	size_t n;
	struct fetch_wait w;
	struct own_sts_in in;
	struct own_sts_out out;
	struct store_own_row last, testing;
	int have_last = 0, have_testing = 0;
	struct errbuf eb;
	long long not_after = 0;

	memset(&in, 0, sizeof(in));
	memset(&w, 0, sizeof(w));
	memset(&last, 0, sizeof(last));
	memset(&testing, 0, sizeof(testing));
	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	in.txt_state = txt_lookup(r, name, &recs, &bufs, &n, why, sizeof(why));
	sts_fetch_start(r->fetcher, domain, fetch_done, &w);
	while (!w.done)
		if (event_base_loop(r->base, EVLOOP_ONCE) < 0)
			break;
	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	errbuf_clear(&eb);
	if (own_webcert_expiry(host, 443, config_get_time(r->cfg, "https_timeout") * 1000,
			       &not_after, &eb) < 0)
		snprintf(cwhy, sizeof(cwhy), "%s", eb.msg);
	if (r->st) {
		errbuf_clear(&eb);
		have_last = store_own_get(r->st, domain, "sts-policy", &last, &eb) == 1;
		have_testing = store_own_get(r->st, domain, "sts-testing", &testing, &eb) == 1;
	}
	in.domain = domain;
	in.mx = mx;
	in.nmx = nmx;
	in.txt_why = why;
	in.txt = recs;
	in.ntxt = n;
	in.fetch_ok = w.ok;
	in.http_status = w.status;
	in.fetch_error = w.error;
	in.body = w.body;
	in.len = w.len;
	in.cert_not_after = not_after;
	in.cert_why = cwhy;
	if (have_last) {
		char *nl = strchr(last.value, '\n');

		if (nl) {
			*nl = '\0';
			in.last_id = last.value;
			in.last_text = nl + 1;
		}
	}
	in.testing_since = have_testing ? testing.first_seen : 0;
	in.now = r->now;
	in.testing_max = config_get_time(r->cfg, "own_sts_testing_max");
	in.cert_days = (unsigned)config_get_int(r->cfg, "own_web_cert_days");
	own_sts_check(&in, &r->rep, &out);
	if (r->st && r->save) {
		errbuf_clear(&eb);
		if (out.have_policy && !out.keep_last &&
		    (!in.last_id || strcmp(in.last_id, out.id) != 0 ||
		     strcmp(in.last_text, out.text) != 0)) {
			size_t len = strlen(out.id) + strlen(out.text) + 2;
			char *v = malloc(len);
			struct store_own_row row = { (char *)domain, (char *)"sts-policy", v,
						     r->now, r->now };

			if (v == NULL)
				abort();
			snprintf(v, len, "%s\n%s", out.id, out.text);
			if (store_own_put(r->st, &row, &eb) < 0)
				log_warnx("own: %s", eb.msg);
			free(v);
		}
		if (out.testing && !have_testing) {
			struct store_own_row row = { (char *)domain, (char *)"sts-testing",
						     (char *)"", r->now, r->now };

			store_own_put(r->st, &row, &eb);
		} else if (!out.testing && have_testing && w.ok) {
			store_own_delete(r->st, domain, "sts-testing", &eb);
		}
	}
	own_sts_out_free(&out);
	store_own_row_free(&last);
	store_own_row_free(&testing);
	free(w.body);
	free(recs);
	free(bufs);
}

static void tlsrpt_domain(struct own_run *r, const char *domain)
{
	char name[DNS_NAME_BUF + 16], why[ERRBUF_MAX];
	struct sts_txt_rec *recs;
	char *bufs;
	size_t n;
	enum own_lookup s;

	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	s = txt_lookup(r, name, &recs, &bufs, &n, why, sizeof(why));
	own_tlsrpt_check(domain, s, why, recs, n, &r->rep);
	free(recs);
	free(bufs);
}

/* The received TLSRPT reports for domain (own/rx.h): over own_tlsrpt_days,
 * beside the live MX hosts. */
struct rx_rows {
	struct own_rx_row *rows;
	size_t n, cap;
	char orgs[OWN_RX_ORGS_MAX]; /* every organisation */
};

/* Adds ", org" to list unless it is there (cut when full). */
static void org_add(char *list, size_t len, const char *org)
{
	size_t n = strlen(org), k = strlen(list);

	for (const char *p = list; *p;) {
		const char *e = strstr(p, ", ");
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && strncmp(p, org, n) == 0)
			return;
		p += l;
		if (*p)
			p += 2;
	}
	snprintf(list + k, len - k, "%s%s", k ? ", " : "", org);
}

/* mx, result, organization, sum: one own_rx_row per (mx, result) */
static int rx_row(void *arg, char *const *c, int n)
{
	struct rx_rows *x = arg;
	struct own_rx_row *r = x->n ? &x->rows[x->n - 1] : NULL;

	(void)n;
	org_add(x->orgs, sizeof(x->orgs), c[2]);
	if (r == NULL || strcmp(r->mx, c[0]) != 0 || strcmp(r->result, c[1]) != 0) {
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 16;
			struct own_rx_row *nr = realloc(x->rows, cap * sizeof(*nr));

			if (nr == NULL)
				return 1;
			x->rows = nr;
			x->cap = cap;
		}
		r = &x->rows[x->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->mx, sizeof(r->mx), "%s", c[0]);
		snprintf(r->result, sizeof(r->result), "%s", c[1]);
	}
	r->sessions += strtoull(c[3], NULL, 10);
	org_add(r->orgs, sizeof(r->orgs), c[2]);
	return 0;
}

/* The received TLSRPT reports for domain (own/rx.h): over own_tlsrpt_days,
 * beside the live MX hosts (live_known 0: the MX lookup failed). */
static void rx_domain(struct own_run *r, const char *domain, const char *const *live,
		      size_t nlive, int live_known)
{
	struct rx_rows x;
	struct own_rx_in in;
	struct errbuf why;
	char day[16] = "";
	long long last = 0;
	unsigned long long reports = 0;
	unsigned days = (unsigned)config_get_int(r->cfg, "own_tlsrpt_days");

	memset(&x, 0, sizeof(x));
	errbuf_clear(&why);
	if (r->st == NULL)
		return;
	if (tlsrpt_db_received_domain(r->st, domain, r->now - (long long)days * 86400, rx_row,
				      &x, &reports, &last, &why) < 0) {
		own_report_add(&r->rep, domain, "tlsrpt-rx", domain, OWN_UNKNOWN, NULL,
			       "could not read the received reports: %s", why.msg);
		free(x.rows);
		return;
	}
	if (last > 0) {
		time_t t = (time_t)last;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	}
	memset(&in, 0, sizeof(in));
	in.domain = domain;
	in.rows = x.rows;
	in.nrows = x.n;
	in.reports = reports;
	in.orgs = x.orgs;
	in.last_day = day;
	in.live_mx = live;
	in.nlive = nlive;
	in.live_known = live_known;
	in.days = days;
	in.error_percent = (unsigned)config_get_int(r->cfg, "own_tlsrpt_error_percent");
	own_rx_check(&in, &r->rep);
	free(x.rows);
}

/* ---- set-up ----------------------------------------------------------- */

static void own_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy own tlsa [--probe] [--cert [HOST=]FILE]... [--next [HOST=]FILE]...\n"
		"                          [--ttl N] [--port N] [HOST...]\n"
		"       tlspolicy own check [--deploy-check] [--cert [HOST=]FILE]... [--next [HOST=]FILE]...\n"
		"                          [--mx HOST]... [--no-probe] [--only dane,sts,tlsrpt]\n"
		"                          [--now UNIXTIME|+DURATION] [--no-save] [--json] [DOMAIN...]\n"
		"       tlspolicy own deploy-check ... (own check --deploy-check)\n"
		"       tlspolicy own sts-policy [--mode enforce|testing] [--max-age SECONDS]\n"
		"                          [--mx HOST]... DOMAIN\n"
		"\n"
		"What we publish for our own domains (settings own_domains, own_mx_hosts,\n"
		"own_cert_files, own_next_files): TLSA records for the keys in service and\n"
		"the next key, the rollover guard (is the next key's TLSA published for\n"
		"2 x TTL?), MTA-STS publication and the TLSRPT record.\n"
		"\n"
		"  --cert [HOST=]FILE  PEM certificate/chain/key in service (repeatable)\n"
		"  --next [HOST=]FILE  PEM certificate/chain/key not yet in service\n"
		"  --probe             (tlsa) also the chain a STARTTLS probe of HOST sees\n"
		"  --no-probe          (check) no STARTTLS probe: the --cert files only\n"
		"  --mx HOST           check this MX host too (besides the domain's MX records)\n"
		"  --deploy-check      for ACME deploy hooks: exit 0 only when every --next key's\n"
		"                      TLSA has been published for 2 x TTL; else 2 and the records\n"
		"  --now T             the clock (unix time or +DURATION from now): ages, first seen\n"
		"  --no-save           do not record first-seen facts in the database\n"
		"  --ttl N             (check) the TLSA RRset's TTL as in the zone, when larger than\n"
		"                      any seen (a resolver counts it down); (tlsa) the TTL printed\n"
		"  --only LIST         dane, sts, tlsrpt (comma-separated)\n"
		"\n"
		"Exit codes (check): 0 ok, 1 warning, 2 error, 3 could not check (also bad usage).\n");
}

enum { O_CERT = CLI_OPT_BASE + 100, O_NEXT, O_PROBE, O_NOPROBE, O_MX, O_DEPLOY,
       O_NOW, O_NOSAVE, O_ONLY, O_TTL, O_PORT, O_MODE, O_MAXAGE };

static const struct option own_longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "cert", required_argument, NULL, O_CERT },
	{ "next", required_argument, NULL, O_NEXT },
	{ "probe", no_argument, NULL, O_PROBE },
	{ "no-probe", no_argument, NULL, O_NOPROBE },
	{ "mx", required_argument, NULL, O_MX },
	{ "deploy-check", no_argument, NULL, O_DEPLOY },
	{ "now", required_argument, NULL, O_NOW },
	{ "no-save", no_argument, NULL, O_NOSAVE },
	{ "only", required_argument, NULL, O_ONLY },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "port", required_argument, NULL, O_PORT },
	{ "mode", required_argument, NULL, O_MODE },
	{ "max-age", required_argument, NULL, O_MAXAGE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_now(const char *s, long long *now)
{
	char *end;
	unsigned secs;

	if (s[0] == '+') {
		if (config_parse_time(s + 1, &secs) < 0)
			return -1;
		*now = (long long)time(NULL) + secs;
		return 0;
	}
	*now = strtoll(s, &end, 10);
	return (*end || end == s || *now < 0) ? -1 : 0;
}

static int parse_only(const char *s, int *only)
{
	char buf[64], *save = NULL, *w;

	snprintf(buf, sizeof(buf), "%s", s);
	*only = 0;
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "dane") == 0)
			*only |= ONLY_DANE;
		else if (strcmp(w, "sts") == 0)
			*only |= ONLY_STS;
		else if (strcmp(w, "tlsrpt") == 0)
			*only |= ONLY_TLSRPT;
		else
			return -1;
	}
	return *only ? 0 : -1;
}

static int add_spec(const char **arr, size_t *n, const char *v)
{
	if (*n >= OWN_MAX_SPECS)
		return -1;
	arr[(*n)++] = v;
	return 0;
}

static void setting_words(struct own_run *r, int idx, const char *name,
			  const char **arr, size_t *n)
{
	size_t k = config_split_list(config_get(r->cfg, name), r->words[idx],
				     OWN_MAX_SPECS, &r->storage[idx]);

	for (size_t i = 0; i < k && i < OWN_MAX_SPECS; i++)
		add_spec(arr, n, r->words[idx][i]);
}

static void run_free(struct own_run *r)
{
	if (r->fetcher)
		sts_fetcher_free(r->fetcher);
	probe_free(r->probe);
	probe_free(r->probe_ec);
	probe_free(r->probe_rsa);
	if (r->dns)
		dns_free(r->dns);
	if (r->base)
		event_base_free(r->base);
	if (r->st)
		store_close(r->st);
	for (int i = 0; i < 3; i++)
		free(r->storage[i]);
	own_report_free(&r->rep);
}

static int run_setup(struct own_run *r, const char *cmd, int need_dns, int need_db)
{
	struct errbuf why;

	signal(SIGPIPE, SIG_IGN);
	if ((r->base = event_base_new()) == NULL) {
		cli_error(cmd, "cannot create an event loop");
		return -1;
	}
	errbuf_clear(&why);
	if (need_dns && (r->dns = dns_new(r->base, r->cfg, &why)) == NULL) {
		cli_error(cmd, "%s (own checks need a validating resolver)", why.msg);
		return -1;
	}
	if ((r->probe = probe_new_cfg(r->base, r->dns, r->cfg, NULL, &why)) == NULL) {
		cli_error(cmd, "%s", why.msg);
		return -1;
	}
	{
		struct probe_opts ec = { .sigalgs = OWN_SIGALGS_EC };
		struct probe_opts rsa = { .sigalgs = OWN_SIGALGS_RSA };

		if ((r->probe_ec = probe_new_cfg(r->base, r->dns, r->cfg, &ec, &why)) == NULL ||
		    (r->probe_rsa = probe_new_cfg(r->base, r->dns, r->cfg, &rsa, &why)) == NULL) {
			cli_error(cmd, "%s", why.msg);
			return -1;
		}
	}
	if (need_db) {
		struct sts_fetch_opts fo;

		sts_fetch_opts_from_config(r->cfg, &fo);
		if ((r->fetcher = sts_fetcher_new(r->base, &fo, &why)) == NULL) {
			cli_error(cmd, "%s", why.msg);
			return -1;
		}
		if (!r->save) {
			/* --no-save: a database is read when there is one; without
			 * it every fact counts from now */
			const char *url = r->cli->db_url ? r->cli->db_url :
					  config_get(r->cfg, "database");

			errbuf_clear(&why);
			if (store_open_ex(url, STORE_OPEN_EXISTING, &r->st, &why) != 0) {
				r->st = NULL;
				log_warnx("own: %s: every record counts as first seen now", why.msg);
				return 0;
			}
		} else if ((r->st = cli_store_open(r->cli, cmd, STORE_OPEN_EXISTING)) == NULL) {
			return -1;
		}
		errbuf_clear(&why);
		{
			struct store_own_row row;

			if (store_own_get(r->st, "_probe.", "probe", &row, &why) < 0) {
				cli_error(cmd, "%s", why.msg);
				return -1;
			}
			store_own_row_free(&row);
		}
	}
	return 0;
}

/* ---- own tlsa ----------------------------------------------------------- */

/* Records printed for the current host (a CA shared by two keys once). */
struct printed {
	size_t n;
	struct own_tlsa_rr rr[2 * 2 * OWN_MAX_KEYS];
};

static int printed_before(struct printed *p, const struct own_tlsa_rr *rr)
{
	for (size_t i = 0; i < p->n; i++)
		if (own_tlsa_equal(&p->rr[i], rr))
			return 1;
	if (p->n < sizeof(p->rr) / sizeof(p->rr[0]))
		p->rr[p->n++] = *rr;
	return 0;
}

static void tlsa_print(struct own_run *r, const char *host, const char *role,
		       const struct own_keyset *ks, int *first, struct printed *done)
{
	struct own_tlsa_rr rr[2];
	int n = 1;
	char line[OWN_TLSA_LINE_MAX], hex[OWN_TLSA_HEX];

	own_tlsa_leaf(ks, &rr[0]);
	n += own_tlsa_issuer(ks, &rr[1]);
	for (int i = 0; i < n; i++) {
		if (printed_before(done, &rr[i]))
			continue;
		own_tlsa_zone_line(host, r->port, r->ttl, &rr[i], line, sizeof(line));
		if (r->cli->json) {
			printf("%s{\"host\":", *first ? "" : ",");
			*first = 0;
			json_fput_str(stdout, host, 0);
			printf(",\"role\":\"%s\",\"what\":\"%s\",\"key\":", role,
			       i == 0 ? "leaf key" : "issuing CA");
			if (i == 0)
				printf("\"%s %d\"", ks->key_type, ks->key_bits);
			else
				printf("null");
			printf(",\"source\":");
			json_fput_str(stdout, ks->source, 0);
			printf(",\"subject\":");
			json_fput_str(stdout, ks->chain[i].subject, 0);
			printf(",\"usage\":%u,\"selector\":%u,\"mtype\":%u,\"data\":\"%s\",\"zone\":",
			       rr[i].usage, rr[i].selector, rr[i].mtype,
			       own_tlsa_hex(&rr[i], hex, sizeof(hex)));
			json_fput_str(stdout, line, 0);
			putchar('}');
		} else {
			if (i == 0)
				printf("; %s, %s: leaf key %s %d from %s (%s)\n", host, role,
				       ks->key_type, ks->key_bits, ks->source,
				       ks->chain[0].subject);
			else
				printf("; %s, %s: issuing CA %s from %s\n", host, role,
				       ks->chain[i].subject, ks->source);
			printf("%s\n", line);
		}
	}
}

static int own_tlsa(struct own_run *r, int argc, char **argv, int probe)
{
	const char *hosts[OWN_MAX_SPECS];
	size_t nhosts = 0;
	int first = 1, rc = EXIT_OK;
	struct errbuf why;

	for (int i = optind; i < argc; i++)
		add_spec(hosts, &nhosts, argv[i]);
	if (nhosts == 0)
		for (size_t i = 0; i < r->nmx; i++)
			add_spec(hosts, &nhosts, r->mx[i]);
	if (nhosts == 0) {
		cli_error("own tlsa", "name the MX host(s) (arguments or own_mx_hosts)");
		return EXIT_USAGE;
	}
	if (!probe && r->ncert == 0 && r->nnext == 0) {
		cli_error("own tlsa", "nothing to compute: give --cert, --next or --probe");
		return EXIT_USAGE;
	}
	if (run_setup(r, "own tlsa", probe, 0) < 0)
		return EXIT_FAIL;
	if (r->cli->json)
		printf("{\"records\":[");
	for (size_t h = 0; h < nhosts; h++) {
		struct own_keyset live[OWN_MAX_KEYS], next[OWN_MAX_KEYS];
		size_t nlive = 0, nnext = 0;
		char pwhy[ERRBUF_MAX];
		struct printed done;

		if (probe && probe_keys(r, hosts[h], live, &nlive, OWN_MAX_KEYS, pwhy,
					sizeof(pwhy)) == 0) {
			cli_error("own tlsa", "%s", pwhy);
			rc = EXIT_FAIL;
		}
		errbuf_clear(&why);
		if (load_files(r->cert, r->ncert, hosts[h], live, &nlive, OWN_MAX_KEYS, &why) < 0 ||
		    load_files(r->next, r->nnext, hosts[h], next, &nnext, OWN_MAX_KEYS, &why) < 0) {
			cli_error("own tlsa", "%s", why.msg);
			rc = EXIT_FAIL;
		}
		memset(&done, 0, sizeof(done));
		for (size_t i = 0; i < nlive; i++)
			tlsa_print(r, hosts[h], "in service", &live[i], &first, &done);
		for (size_t i = 0; i < nnext; i++)
			tlsa_print(r, hosts[h], "next", &next[i], &first, &done);
		for (size_t i = 0; i < nlive; i++)
			own_keyset_free(&live[i]);
		for (size_t i = 0; i < nnext; i++)
			own_keyset_free(&next[i]);
	}
	if (r->cli->json)
		printf("]}\n");
	return rc;
}

/* ---- own check ---------------------------------------------------------- */

static int own_check(struct own_run *r, int argc, char **argv)
{
	const char *doms[OWN_MAX_SPECS];
	char *dwords[OWN_MAX_SPECS] = { 0 }, *dstore = NULL;
	size_t ndoms = 0, nd;
	int rc;

	for (int i = optind; i < argc; i++)
		add_spec(doms, &ndoms, argv[i]);
	nd = ndoms == 0 ? config_split_list(config_get(r->cfg, "own_domains"), dwords,
					    OWN_MAX_SPECS, &dstore) : 0;
	for (size_t i = 0; i < nd && i < OWN_MAX_SPECS; i++)
		add_spec(doms, &ndoms, dwords[i]);
	if (ndoms == 0 && r->nmx == 0) {
		cli_error("own check", "no own domain: give DOMAIN arguments or set own_domains");
		rc = OWN_EXIT_CANNOT;
		goto out;
	}
	if (r->deploy) {
		r->only = ONLY_DANE;
		if (r->nnext == 0) {
			cli_error("own check", "--deploy-check needs the key about to go live: "
				  "--next [HOST=]FILE (or own_next_files)");
			rc = OWN_EXIT_CANNOT;
			goto out;
		}
	}
	if (run_setup(r, "own check", 1, 1) < 0) {
		rc = OWN_EXIT_CANNOT;
		goto out;
	}
	for (size_t d = 0; d < ndoms; d++) {
		char norm[DNS_NAME_BUF], why[ERRBUF_MAX];
		char hosts[OWN_MAX_HOSTS][DNS_NAME_BUF];
		const char *hp[OWN_MAX_HOSTS + OWN_MAX_SPECS];
		size_t nh = 0, nhp = 0;
		enum own_lookup s;
		struct errbuf eb;

		errbuf_clear(&eb);
		if (rr_domain_normalize(doms[d], norm, sizeof(norm), &eb) < 0) {
			own_report_add(&r->rep, doms[d], "domain", doms[d], OWN_UNKNOWN, NULL,
				       "not a domain name: %s", eb.msg);
			continue;
		}
		s = mx_lookup(r, norm, hosts, OWN_MAX_HOSTS, &nh, why, sizeof(why));
		if (s == OWN_LOOKUP_FAILED)
			own_report_add(&r->rep, norm, "mx", norm, OWN_UNKNOWN, NULL,
				       "could not look up the MX records: %s", why);
		else if (s == OWN_LOOKUP_NONE)
			own_report_add(&r->rep, norm, "mx", norm, OWN_WARNING, NULL,
				       "no MX records: mail goes to the domain's address "
				       "(implicit MX)");
		if (s == OWN_LOOKUP_NONE)
			snprintf(hosts[nh++], DNS_NAME_BUF, "%s", norm);
		for (size_t i = 0; i < nh; i++)
			hp[nhp++] = hosts[i];
		if (r->only & ONLY_DANE) {
			for (size_t i = 0; i < r->nmx; i++) {
				int dup = 0;

				for (size_t j = 0; j < nhp && !dup; j++)
					dup = strcasecmp(hp[j], r->mx[i]) == 0;
				if (!dup && nhp < OWN_MAX_HOSTS + OWN_MAX_SPECS)
					hp[nhp++] = r->mx[i];
			}
			for (size_t i = 0; i < nhp; i++)
				roll_host(r, norm, hp[i]);
		}
		if (r->only & ONLY_STS)
			sts_domain(r, norm, (const char *const *)hp, nh);
		if (r->only & ONLY_TLSRPT) {
			tlsrpt_domain(r, norm);
			rx_domain(r, norm, (const char *const *)hp, nh, s != OWN_LOOKUP_FAILED);
		}
	}
	if (ndoms == 0)
		for (size_t i = 0; i < r->nmx; i++)
			roll_host(r, r->mx[i], r->mx[i]);
	rc = r->deploy ? own_roll_deploy_exit(&r->rep) : own_report_exit(&r->rep);
	if (r->cli->json)
		own_report_json_exit(stdout, &r->rep, rc);
	else
		own_report_text(stdout, &r->rep);
	if (r->deploy && !r->cli->json)
		printf("\ndeploy-check: %s\n", rc == 0 ? "safe to deploy the next key" :
		       rc == 2 ? "NOT safe: publish the records above and wait 2 x TTL" :
		       "could not check");
out:
	free(dstore);
	return rc;
}

/* ---- own sts-policy ------------------------------------------------------ */

static int own_sts_policy(struct own_run *r, int argc, char **argv, const char *mode,
			  unsigned long max_age)
{
	char norm[DNS_NAME_BUF], why[ERRBUF_MAX];
	char hosts[OWN_MAX_HOSTS][DNS_NAME_BUF];
	const char *hp[OWN_MAX_HOSTS + OWN_MAX_SPECS];
	size_t nh = 0, nhp = 0;
	struct errbuf eb;
	char *fix;

	if (optind + 1 != argc) {
		own_usage(stderr);
		return EXIT_USAGE;
	}
	errbuf_clear(&eb);
	if (rr_domain_normalize(argv[optind], norm, sizeof(norm), &eb) < 0) {
		cli_error("own sts-policy", "%s", eb.msg);
		return EXIT_USAGE;
	}
	if (r->nmx == 0) {
		if (run_setup(r, "own sts-policy", 1, 0) < 0)
			return EXIT_FAIL;
		if (mx_lookup(r, norm, hosts, OWN_MAX_HOSTS, &nh, why, sizeof(why)) !=
		    OWN_LOOKUP_DATA || nh == 0) {
			cli_error("own sts-policy", "%s: no MX records (%s); give --mx HOST",
				  norm, why[0] ? why : "none");
			return EXIT_FAIL;
		}
		for (size_t i = 0; i < nh; i++)
			hp[nhp++] = hosts[i];
	} else {
		for (size_t i = 0; i < r->nmx; i++)
			hp[nhp++] = r->mx[i];
	}
	fix = own_sts_fix(norm, hp, nhp, mode, max_age, r->now);
	fputs(fix, stdout);
	free(fix);
	return EXIT_OK;
}

/* ---- parse -> options -> run --------------------------------------------- */

enum { OWN_TLSA = 1, OWN_CHECK, OWN_DEPLOY, OWN_STS_POLICY };

static const struct cli_command own_subs[] = {
	{ "tlsa", NULL, NULL, OWN_TLSA },
	{ "check", NULL, NULL, OWN_CHECK },
	{ "deploy-check", NULL, NULL, OWN_DEPLOY },
	{ "sts-policy", NULL, NULL, OWN_STS_POLICY },
};

/* One option into r; 0, or -1 after printing why. */
static int own_option(struct own_run *r, int opt, const char *arg)
{
	char *end;
	unsigned long v;

	switch (opt) {
	case O_CERT:
	case O_NEXT:
	case O_MX:
		if (add_spec(opt == O_CERT ? r->cert : opt == O_NEXT ? r->next : r->mx,
			     opt == O_CERT ? &r->ncert : opt == O_NEXT ? &r->nnext : &r->nmx,
			     arg) < 0) {
			cli_error("own", "more than %d of --cert/--next/--mx", OWN_MAX_SPECS);
			return -1;
		}
		return 0;
	case O_PROBE: r->probe_tlsa = 1; return 0;
	case O_NOPROBE: r->no_probe = 1; return 0;
	case O_DEPLOY: r->deploy = 1; return 0;
	case O_NOSAVE: r->save = 0; return 0;
	case O_NOW:
		if (parse_now(arg, &r->now) == 0)
			return 0;
		cli_error("own", "--now: \"%s\" is not a unix time or +DURATION", arg);
		return -1;
	case O_ONLY:
		if (parse_only(arg, &r->only) == 0)
			return 0;
		cli_error("own", "--only: \"%s\": dane, sts, tlsrpt", arg);
		return -1;
	case O_MODE:
		if (strcmp(arg, "enforce") == 0 || strcmp(arg, "testing") == 0 ||
		    strcmp(arg, "none") == 0) {
			r->mode = arg;
			return 0;
		}
		cli_error("own", "--mode: enforce, testing or none");
		return -1;
	case O_TTL:
	case O_PORT:
	case O_MAXAGE:
		v = strtoul(arg, &end, 10);
		if (*end || end == arg || v > (opt == O_PORT ? 65535UL : 31557600UL) ||
		    (opt == O_PORT && v == 0)) {
			cli_error("own", "\"%s\" is not a valid number here", arg);
			return -1;
		}
		if (opt == O_TTL)
			r->ttl = (unsigned)v;
		else if (opt == O_PORT)
			r->port = (unsigned)v;
		else
			r->max_age = v;
		return 0;
	}
	own_usage(stderr);
	return -1;
}

/* The subcommand and options into r; returns the subcommand's id, or 0
 * with *code set (help, usage error). */
static int own_parse(struct cli *cli, int argc, char **argv, struct own_run *r,
		     int *code)
{
	const struct cli_command *c;
	int opt, usage_rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		own_usage(argc < 2 ? stderr : stdout);
		*code = argc < 2 ? EXIT_USAGE : EXIT_OK;
		return 0;
	}
	if ((c = cli_command_find(own_subs, CLI_NCOMMANDS(own_subs), argv[1])) == NULL) {
		cli_error("own", "unknown subcommand \"%s\" (tlsa, check, deploy-check, "
			  "sts-policy)", argv[1]);
		*code = EXIT_USAGE;
		return 0;
	}
	/* check and deploy-check: 3 "could not check" for a bad command line */
	usage_rc = c->id == OWN_CHECK || c->id == OWN_DEPLOY ? OWN_EXIT_CANNOT : EXIT_USAGE;
	r->cli = cli;
	r->save = 1;
	r->only = ONLY_ALL;
	r->now = (long long)time(NULL);
	r->deploy = c->id == OWN_DEPLOY;
	r->mode = "enforce";
	r->max_age = OWN_STS_MIN_MAX_AGE;
	optind = 1;
	while ((opt = cli_next_opt(cli, argc - 1, argv + 1, "c:vh", own_longopts,
				   own_usage, code)) != CLI_OPT_END) {
		if (opt == CLI_OPT_EXIT) {
			if (*code == EXIT_USAGE)
				*code = usage_rc;
			return 0;
		}
		if (own_option(r, opt, optarg) < 0) {
			*code = usage_rc;
			return 0;
		}
	}
	return c->id;
}

int cmd_own(struct cli *cli, int argc, char **argv)
{
	struct own_run r;
	int id, rc = EXIT_OK;

	memset(&r, 0, sizeof(r));
	own_report_init(&r.rep);
	if ((id = own_parse(cli, argc, argv, &r, &rc)) == 0)
		return rc;
	r.cfg = cli_config(cli);
	if (cli->verbose)
		log_set_verbose(cli->verbose);
	if (r.ncert == 0)
		setting_words(&r, 0, "own_cert_files", r.cert, &r.ncert);
	if (r.nnext == 0)
		setting_words(&r, 1, "own_next_files", r.next, &r.nnext);
	if (r.nmx == 0)
		setting_words(&r, 2, "own_mx_hosts", r.mx, &r.nmx);
	/* the arguments after the options, as own_tlsa() etc. expect them */
	argc--;
	argv++;
	if (id == OWN_TLSA)
		rc = own_tlsa(&r, argc, argv, r.probe_tlsa);
	else if (id == OWN_STS_POLICY)
		rc = own_sts_policy(&r, argc, argv, r.mode, r.max_age);
	else
		rc = own_check(&r, argc, argv);
	run_free(&r);
	return rc;
}
