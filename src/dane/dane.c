/* SPDX-License-Identifier: MIT */
/*
 * dane.c - DANE facts for a destination domain, gathered concurrently
 * on the dns layer (see dane.h).
 *
 * One struct dane_lookup per domain.  Stage 1 is the MX query; stage 2,
 * once the MX RRset is in, the A, AAAA and TLSA (_25._tcp.HOST) queries
 * of every MX host at once (issue 20 item 4).  The TLSA answer is only
 * taken into the facts when the host's addresses turn out secure (RFC
 * 7672 §2.2), so the facts are those of asking it after them: until
 * then it is held (orig_ans), and a host whose addresses are insecure,
 * bogus, failed or absent drops it (the query is cancelled if still in
 * flight, so its answer is never waited for); a host at or below the
 * domain of an insecure MX RRset is not asked for it at all.  A host
 * reached through a
 * CNAME asks the TLSA of the expanded name after its addresses (the
 * name is known only then) and uses the original name's held answer
 * when that one has none (RFC 7672 §2.2.2).  `outstanding` counts the
 * queries in flight and the held answers not yet used or dropped; when
 * it drops to zero the facts are complete and the callback is made.
 */
#include "dane/dane.h"
#include "dns/dns.h"
#include "dns/mx.h"
#include "util/text.h"
#include "util/config.h"
#include "util/buf.h"
#include "util/hostname.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct dane_src_req;

/* Whether our own resolver validates at all (see "the root check"). */
enum root_state { ROOT_UNKNOWN, ROOT_SECURE, ROOT_BROKEN };

struct dane {
	struct dns *dns;
	enum dane_answer_mode mode;
	/* the root check: its last outcome, until when it holds, the query
	 * in flight and the source requests waiting for it */
	enum root_state root;
	time_t root_until;
	struct dns_query *rootq;
	struct dane_src_req *root_wait;
	int root_logged;             /* the outage was logged */
};

struct dane_lookup;

/* Per-host query state; arg of the host's dns callbacks. */
struct hostq {
	struct dane_lookup *lk;
	size_t idx;
	struct dns_query *a, *aaaa;
	struct dns_query *tlsa;      /* TLSA at the expanded name (CNAME'd host) */
	struct dns_query *orig;      /* TLSA at _25._tcp.HOST, sent with A/AAAA */
	struct dns_answer *orig_ans; /* its answer, held until the addresses decide */
	int orig_live;               /* orig or orig_ans counts in outstanding */
	int addr_pending;
	int tlsa_stage;              /* 0: addresses not decided, 1: expanded
				      * name, 2: original name */
};

struct dane_lookup {
	struct dane *dane;
	struct dane_facts f;
	struct hostq *hq;
	struct dns_query *mxq;
	size_t outstanding;
	dane_cb cb;
	void *arg;
};

int dane_answer_parse(const char *s, enum dane_answer_mode *mode)
{
	if (strcmp(s, "dane-only") == 0)
		*mode = DANE_ANSWER_DANE_ONLY;
	else if (strcmp(s, "dane") == 0)
		*mode = DANE_ANSWER_DANE;
	else if (strcmp(s, "notfound") == 0)
		*mode = DANE_ANSWER_NOTFOUND;
	else
		return -1;
	return 0;
}

const char *dane_host_state_name(enum dane_host_state st)
{
	switch (st) {
	case DANE_HOST_NOADDR: return "no address";
	case DANE_HOST_INSECURE: return "address insecure";
	case DANE_HOST_ADDR_BOGUS: return "address bogus";
	case DANE_HOST_ADDR_FAILED: return "address lookup failed";
	case DANE_HOST_NO_TLSA: return "no TLSA";
	case DANE_HOST_TLSA_UNUSABLE: return "TLSA unusable";
	case DANE_HOST_TLSA_USABLE: return "TLSA usable";
	case DANE_HOST_TLSA_BOGUS: return "TLSA bogus";
	case DANE_HOST_TLSA_FAILED: return "TLSA lookup failed";
	}
	return "?";
}

static int failed_status(enum dns_status st)
{
	return st == DNS_STATUS_SERVFAIL || st == DNS_STATUS_TIMEOUT ||
	       st == DNS_STATUS_ERROR;
}

enum dane_host_state dane_host_state(const struct dane_host *h)
{
	const struct dane_rrset *t = h->tlsa;

	if (h->a.sec == DNS_SEC_BOGUS || h->aaaa.sec == DNS_SEC_BOGUS)
		return DANE_HOST_ADDR_BOGUS;
	if (!h->a.done || !h->aaaa.done || failed_status(h->a.status) ||
	    failed_status(h->aaaa.status))
		return DANE_HOST_ADDR_FAILED;
	if (h->a.sec != DNS_SEC_SECURE || h->aaaa.sec != DNS_SEC_SECURE)
		return DANE_HOST_INSECURE;
	if (h->naddrs == 0)
		return DANE_HOST_NOADDR;
	if (t == NULL || !t->done)
		return DANE_HOST_TLSA_FAILED;
	if (t->sec == DNS_SEC_BOGUS)
		return DANE_HOST_TLSA_BOGUS;
	if (failed_status(t->status))
		return DANE_HOST_TLSA_FAILED;
	/* RFC 7672 §2.2: insecure TLSA records are as good as none. */
	if (t->status != DNS_STATUS_DATA || t->sec != DNS_SEC_SECURE)
		return DANE_HOST_NO_TLSA;
	return h->nusable > 0 ? DANE_HOST_TLSA_USABLE : DANE_HOST_TLSA_UNUSABLE;
}

static void ttl_min(unsigned *ttl, const struct dane_rrset *r)
{
	if (r && r->done && r->ttl < *ttl)
		*ttl = r->ttl;
}

static const char *or_unknown(const char *why)
{
	return why && *why ? why : "no reason given";
}

static void decide_hosts(const struct dane_facts *f, enum dane_answer_mode mode,
			 struct dane_decision *out);
static void insecure_mx(const struct dane_facts *f, struct dane_decision *out);

void dane_decide(const struct dane_facts *f, enum dane_answer_mode mode,
		 struct dane_decision *out)
{
	const struct dane_rrset *mx = &f->mx;
	unsigned ttl = UINT_MAX;

	memset(out, 0, sizeof(*out));
	if (!mx->done) {
		out->verdict = SOURCE_FAILED;
		snprintf(out->reason, sizeof(out->reason), "MX of %s not looked up",
			 f->domain);
		return;
	}
	if (mx->sec == DNS_SEC_BOGUS) {
		/* What Postfix's dane level does: the domain's signed data is
		 * broken, so mail waits rather than going out unprotected. */
		out->verdict = SOURCE_TEMP;
		out->ttl = 0;
		snprintf(out->reason, sizeof(out->reason),
			 "DNSSEC validation failure for MX %s: %s", mx->qname,
			 or_unknown(mx->why));
		return;
	}
	if (failed_status(mx->status)) {
		out->verdict = SOURCE_FAILED;
		snprintf(out->reason, sizeof(out->reason), "MX lookup for %s failed: %s",
			 mx->qname, or_unknown(mx->why));
		return;
	}
	ttl_min(&ttl, mx);
	out->ttl = ttl;
	out->verdict = SOURCE_NOT_APPLICABLE;
	if (mx->status == DNS_STATUS_NXDOMAIN) {
		snprintf(out->reason, sizeof(out->reason), "%s does not exist (%s)",
			 f->domain, dns_sec_name(mx->sec));
		return;
	}
	if (mx->sec != DNS_SEC_SECURE && mx->sec != DNS_SEC_INSECURE) {
		snprintf(out->reason, sizeof(out->reason), "MX RRset of %s is %s",
			 f->domain, dns_sec_name(mx->sec));
		return;
	}
	if (mx->sec == DNS_SEC_INSECURE) {
		decide_hosts(f, mode, out);
		insecure_mx(f, out);
		return;
	}
	decide_hosts(f, mode, out);
}

/* RFC 7672 section 2.2.1: "MAY proceed to use DANE TLS even with MX
 * hosts obtained via an insecure MX RRset", as Postfix's own dane level
 * does (it logs such a match as Trusted, not Verified).  The host names
 * were not obtained securely, so the answer is at most "dane" (never
 * dane-only, never dane_answer = notfound) and always partial: an
 * MTA-STS enforce policy, which authenticates every MX host, answers
 * instead. */
static void insecure_mx(const struct dane_facts *f, struct dane_decision *out)
{
	char why[DANE_REASON_MAX];
	int n;

	if (out->verdict == SOURCE_NOTFOUND)
		out->verdict = SOURCE_APPLIES;
	if (out->verdict == SOURCE_APPLIES) {
		out->level = "dane";
		out->partial = 1;
	}
	memcpy(why, out->reason, sizeof(why));
	n = snprintf(out->reason, sizeof(out->reason), "MX RRset of %s is insecure; ",
		     f->domain);
	if (n > 0 && (size_t)n < sizeof(out->reason)) {
		size_t room = sizeof(out->reason) - (size_t)n - 1;
		size_t len = strnlen(why, room);

		memcpy(out->reason + n, why, len);
		out->reason[(size_t)n + len] = '\0';
	}
}

/* The verdict from the MX hosts' facts, below a validated (secure or
 * insecure) MX RRset. */
/* What decide_hosts() counts over the MX hosts. */
struct host_counts {
	size_t considered, usable, unusable, bogus, failed, tlsa_failed, weak;
	const struct dane_host *first_bogus, *first_failed;
	unsigned ttl;
};

static void count_hosts(const struct dane_facts *f, struct host_counts *c)
{
	for (size_t i = 0; i < f->nhosts; i++) {
		const struct dane_host *h = &f->hosts[i];
		enum dane_host_state st = dane_host_state(h);

		ttl_min(&c->ttl, &h->a);
		ttl_min(&c->ttl, &h->aaaa);
		ttl_min(&c->ttl, &h->tlsa_canon);
		ttl_min(&c->ttl, &h->tlsa_orig);
		if (st == DANE_HOST_NOADDR)
			continue;
		c->considered++;
		switch (st) {
		case DANE_HOST_TLSA_USABLE:
			c->usable++;
			break;
		case DANE_HOST_TLSA_UNUSABLE:
			c->unusable++;
			c->weak++;
			break;
		case DANE_HOST_NO_TLSA:
		case DANE_HOST_INSECURE:
			c->weak++;
			break;
		case DANE_HOST_ADDR_BOGUS:
		case DANE_HOST_TLSA_BOGUS:
			if (!c->first_bogus)
				c->first_bogus = h;
			c->bogus++;
			break;
		case DANE_HOST_TLSA_FAILED:
			c->tlsa_failed++;
			/* FALLTHROUGH */
		case DANE_HOST_ADDR_FAILED:
			if (!c->first_failed)
				c->first_failed = h;
			c->failed++;
			break;
		default:
			break;
		}
	}
}

static void decide_hosts(const struct dane_facts *f, enum dane_answer_mode mode,
			 struct dane_decision *out)
{
	struct host_counts c;

	if (f->null_mx) {
		snprintf(out->reason, sizeof(out->reason),
			 "null MX: %s accepts no mail (RFC 7505)", f->domain);
		return;
	}
	if (f->nhosts == 0) {
		snprintf(out->reason, sizeof(out->reason), "no usable MX host name");
		return;
	}
	memset(&c, 0, sizeof(c));
	c.ttl = out->ttl;
	count_hosts(f, &c);
	out->ttl = c.ttl;
	if (c.considered == 0) {
		snprintf(out->reason, sizeof(out->reason), "no MX host of %s has an address",
			 f->domain);
		return;
	}
	if (c.bogus == c.considered) {
		const struct dane_rrset *r;
		const char *type;

		if (dane_host_state(c.first_bogus) == DANE_HOST_ADDR_BOGUS) {
			int is_a = c.first_bogus->a.sec == DNS_SEC_BOGUS;

			r = is_a ? &c.first_bogus->a : &c.first_bogus->aaaa;
			type = is_a ? "A" : "AAAA";
		} else {
			r = c.first_bogus->tlsa;
			type = "TLSA";
		}
		out->verdict = SOURCE_TEMP;
		out->ttl = 0;
		snprintf(out->reason, sizeof(out->reason),
			 "DNSSEC validation failure for %s %s: %s", type, r->qname,
			 or_unknown(r->why));
		return;
	}
	if (c.usable == c.considered && !f->truncated) {
		out->verdict = mode == DANE_ANSWER_NOTFOUND ? SOURCE_NOTFOUND : SOURCE_APPLIES;
		out->level = mode == DANE_ANSWER_DANE ? "dane" : "dane-only";
		snprintf(out->reason, sizeof(out->reason),
			 "every MX host of %s has usable TLSA (%zu host%s)", f->domain,
			 c.considered, c.considered == 1 ? "" : "s");
		return;
	}
	if (c.usable > 0 || c.unusable > 0 || c.bogus > 0 || c.tlsa_failed > 0) {
		out->verdict = SOURCE_APPLIES;
		out->level = "dane";
		out->partial = c.weak > 0 || f->truncated;
		if (c.usable > 0)
			snprintf(out->reason, sizeof(out->reason),
				 "%zu of %zu%s MX hosts of %s have usable TLSA", c.usable,
				 c.considered, f->truncated ? "+" : "", f->domain);
		else if (c.unusable > 0)
			snprintf(out->reason, sizeof(out->reason),
				 "TLSA published at %zu MX host%s of %s but none usable",
				 c.unusable, c.unusable == 1 ? "" : "s", f->domain);
		else if (c.bogus > 0)
			snprintf(out->reason, sizeof(out->reason),
				 "DNSSEC validation failure at %zu of %zu MX hosts of %s "
				 "(Postfix skips those)", c.bogus, c.considered, f->domain);
		else
			/* A secure host whose TLSA RRset cannot be had: what
			 * resists a downgrade is Postfix's own dane level,
			 * which defers it ("TLSA lookup error"). */
			snprintf(out->reason, sizeof(out->reason),
				 "TLSA lookup failed at %zu of %zu MX hosts (%s: %.160s); "
				 "Postfix defers those", c.tlsa_failed, c.considered,
				 c.first_failed->tlsa && c.first_failed->tlsa->done
					 ? c.first_failed->tlsa->qname : c.first_failed->name,
				 c.first_failed->tlsa ? or_unknown(c.first_failed->tlsa->why)
						    : "not looked up");
		return;
	}
	if (c.failed > 0) {
		const struct dane_rrset *r = dane_host_state(c.first_failed) ==
							 DANE_HOST_ADDR_FAILED
						     ? (failed_status(c.first_failed->a.status) ||
							!c.first_failed->a.done
							    ? &c.first_failed->a
							    : &c.first_failed->aaaa)
						     : c.first_failed->tlsa;

		out->verdict = SOURCE_FAILED;
		snprintf(out->reason, sizeof(out->reason), "lookup of %s failed: %s",
			 r && r->done ? r->qname : c.first_failed->name,
			 r ? or_unknown(r->why) : "not looked up");
		return;
	}
	snprintf(out->reason, sizeof(out->reason), "no TLSA records at the MX hosts of %s",
		 f->domain);
}

/* ---- the lookup ---- */

struct dane *dane_new(struct dns *dns, const struct config *cfg,
		      struct errbuf *why)
{
	struct dane *dane;
	enum dane_answer_mode mode = DANE_ANSWER_DANE_ONLY;

	if (cfg && dane_answer_parse(config_get(cfg, "dane_answer"), &mode) < 0) {
		errbuf_set(why, "dane_answer: \"%.40s\" is not dane-only, dane or notfound",
			   config_get(cfg, "dane_answer"));
		return NULL;
	}
	if ((dane = calloc(1, sizeof(*dane))) == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	dane->dns = dns;
	dane->mode = mode;
	return dane;
}

void dane_free(struct dane *dane)
{
	if (dane == NULL)
		return;
	if (dane->root_wait)
		log_panic("dane_free: source requests still waiting (free the engine first)");
	if (dane->rootq)
		dns_cancel(dane->rootq);
	free(dane);
}

enum dane_answer_mode dane_mode(const struct dane *dane)
{
	return dane->mode;
}

static void facts_free(struct dane_facts *f)
{
	for (size_t i = 0; i < f->nhosts; i++)
		for (size_t j = 0; j < f->hosts[i].ntlsa; j++)
			free(f->hosts[i].tlsas[j].data);
	free(f->hosts);
	f->hosts = NULL;
	f->nhosts = 0;
}

static void lookup_free(struct dane_lookup *lk)
{
	for (size_t i = 0; lk->hq && i < lk->f.nhosts; i++)
		dns_answer_free(lk->hq[i].orig_ans);
	facts_free(&lk->f);
	free(lk->hq);
	free(lk);
}

static void lookup_check_done(struct dane_lookup *lk)
{
	if (lk->outstanding > 0)
		return;
	lk->cb(lk->arg, &lk->f);
	lookup_free(lk);
}

/* Copies what the facts keep of an answer. */
static void rrset_fill(struct dane_rrset *r, const struct dns_answer *a)
{
	r->done = 1;
	snprintf(r->qname, sizeof(r->qname), "%s", a->qname);
	snprintf(r->canon, sizeof(r->canon), "%s", a->canonname);
	r->status = a->status;
	r->sec = a->sec;
	r->ttl = a->ttl;
	snprintf(r->why, sizeof(r->why), "%s", a->why ? a->why : "");
}

static void use_orig_tlsa(struct hostq *hq);
static void drop_orig_tlsa(struct hostq *hq);

/* Takes the TLSA answer a of the expanded name (tlsa_stage 1) or the
 * original one (2) into the host's facts.  May complete the lookup
 * (lk and hq freed). */
static void tlsa_apply(struct hostq *hq, const struct dns_answer *a)
{
	struct dane_lookup *lk = hq->lk;
	struct dane_host *h = &lk->f.hosts[hq->idx];
	struct dane_rrset *r = hq->tlsa_stage == 1 ? &h->tlsa_canon : &h->tlsa_orig;

	rrset_fill(r, a);
	h->tlsa = r;
	/* RFC 7672 §2.2.2: no TLSA at the expanded name -> the original. */
	if (hq->tlsa_stage == 1 && a->sec != DNS_SEC_BOGUS &&
	    (a->status == DNS_STATUS_NODATA || a->status == DNS_STATUS_NXDOMAIN)) {
		use_orig_tlsa(hq);
		return;
	}
	if (hq->tlsa_stage == 1)
		drop_orig_tlsa(hq); /* the expanded name's answer stands */
	if (a->status == DNS_STATUS_DATA) {
		for (size_t i = 0; i < a->count && h->ntlsa < DANE_MAX_TLSA; i++) {
			struct dane_tlsa *t = &h->tlsas[h->ntlsa];
			const struct dns_record *rec = &a->records[i];

			memset(t, 0, sizeof(*t));
			t->data = xmalloc(rec->len);
			if (rec->len)
				memcpy(t->data, rec->data, rec->len);
			h->ntlsa++;
			if (rr_tlsa(t->data, rec->len, &t->rr, NULL) < 0) {
				t->malformed = 1;
				t->why_unusable = "malformed record (shorter than 3 bytes)";
				continue;
			}
			t->usable = tlsa_usable(&t->rr, &t->why_unusable);
			if (t->usable && a->sec != DNS_SEC_SECURE) {
				/* RFC 7672 §2.2: only validated TLSA counts */
				t->usable = 0;
				t->why_unusable = "the TLSA RRset is not DNSSEC-secure";
			}
			if (t->usable)
				h->nusable++;
		}
	}
	lookup_check_done(lk);
}

/* The TLSA answer at the expanded name of a CNAME'd host. */
static void canon_tlsa_cb(void *arg, const struct dns_answer *a)
{
	struct hostq *hq = arg;

	hq->tlsa = NULL;
	hq->lk->outstanding--;
	tlsa_apply(hq, a);
}

/* The TLSA answer at _25._tcp.HOST: used at once when the host already
 * wants it (tlsa_stage 2), else held for addr_done() / tlsa_apply(). */
static void orig_tlsa_cb(void *arg, const struct dns_answer *a)
{
	struct hostq *hq = arg;

	hq->orig = NULL;
	if (hq->tlsa_stage == 2) {
		hq->orig_live = 0;
		hq->lk->outstanding--;
		tlsa_apply(hq, a);
		return;
	}
	hq->orig_ans = dns_answer_dup(a);
}

/* "_25._tcp." + base: fits, base is a host name (at most 253). */
static void tlsa_qname(char qname[DANE_NAME_BUF], const char *base)
{
	static const char prefix[] = "_25._tcp.";

	memcpy(qname, prefix, sizeof(prefix) - 1);
	text_copy(qname + sizeof(prefix) - 1, DANE_NAME_BUF - (sizeof(prefix) - 1), base);
}

/* Sends the TLSA query of the original host name (with its A/AAAA). */
static void start_orig_tlsa(struct hostq *hq)
{
	char qname[DANE_NAME_BUF];

	tlsa_qname(qname, hq->lk->f.hosts[hq->idx].name);
	hq->orig_live = 1;
	hq->lk->outstanding++;
	hq->orig = dns_resolve(hq->lk->dane->dns, qname, DNS_TYPE_TLSA, orig_tlsa_cb, hq);
}

/* The host's TLSA facts come from the original name: its held answer
 * now, or its answer when it comes.  May complete the lookup. */
static void use_orig_tlsa(struct hostq *hq)
{
	struct dns_answer *a = hq->orig_ans;

	hq->tlsa_stage = 2;
	if (!hq->orig_live) { /* not sent or dropped before (not reached) */
		start_orig_tlsa(hq);
		return;
	}
	if (a == NULL)
		return; /* in flight: orig_tlsa_cb() applies it */
	hq->orig_ans = NULL;
	hq->orig_live = 0;
	hq->lk->outstanding--;
	tlsa_apply(hq, a);
	dns_answer_free(a);
}

/* The original name's TLSA does not count for this host: never waited
 * for, never looked at.  Does not complete the lookup (the caller
 * checks). */
static void drop_orig_tlsa(struct hostq *hq)
{
	if (!hq->orig_live)
		return;
	hq->orig_live = 0;
	if (hq->orig) {
		dns_cancel(hq->orig);
		hq->orig = NULL;
	}
	dns_answer_free(hq->orig_ans);
	hq->orig_ans = NULL;
	hq->lk->outstanding--;
}

/* The TLSA query of the expanded name, known only from the addresses. */
static void start_canon_tlsa(struct hostq *hq, const char *canon)
{
	char qname[DANE_NAME_BUF];

	hq->tlsa_stage = 1;
	tlsa_qname(qname, canon);
	hq->lk->outstanding++;
	hq->tlsa = dns_resolve(hq->lk->dane->dns, qname, DNS_TYPE_TLSA, canon_tlsa_cb, hq);
}

static void addr_done(struct hostq *hq)
{
	struct dane_lookup *lk = hq->lk;
	struct dane_host *h = &lk->f.hosts[hq->idx];
	const char *canon;

	if (dane_host_state(h) != DANE_HOST_TLSA_FAILED) {
		/* insecure, bogus, failed or without address: its TLSA
		 * answer does not count (RFC 7672 §2.2) */
		drop_orig_tlsa(hq);
		lookup_check_done(lk);
		return;
	}
	/* Secure with addresses.  The expanded name of a CNAME'd host is
	 * the first TLSA base domain when it is a proper host name. */
	canon = h->a.status == DNS_STATUS_DATA ? h->a.canon : h->aaaa.canon;
	if (strcmp(canon, h->name) != 0 && hostname_valid(canon))
		start_canon_tlsa(hq, canon);
	else
		use_orig_tlsa(hq);
}

static void addr_cb_common(struct hostq *hq, struct dane_rrset *r,
			   const struct dns_answer *a)
{
	struct dane_lookup *lk = hq->lk;
	struct dane_host *h = &lk->f.hosts[hq->idx];

	lk->outstanding--;
	hq->addr_pending--;
	rrset_fill(r, a);
	if (a->status == DNS_STATUS_DATA) {
		for (size_t i = 0; i < a->count && h->naddrs < DANE_MAX_ADDRS; i++)
			if (rr_addr(a->qtype, a->records[i].data, a->records[i].len,
				    h->addrs[h->naddrs], sizeof(h->addrs[0]), NULL) == 0)
				h->naddrs++;
	}
	if (hq->addr_pending == 0)
		addr_done(hq);
}

static void a_cb(void *arg, const struct dns_answer *a)
{
	struct hostq *hq = arg;

	hq->a = NULL;
	addr_cb_common(hq, &hq->lk->f.hosts[hq->idx].a, a);
}

static void aaaa_cb(void *arg, const struct dns_answer *a)
{
	struct hostq *hq = arg;

	hq->aaaa = NULL;
	addr_cb_common(hq, &hq->lk->f.hosts[hq->idx].aaaa, a);
}

/* Fills f->hosts from the MX answer (or the domain itself).  DANE's
 * rule (dns/mx.h): the usable hosts by preference, a repeated host once
 * (with its best preference), at most DANE_MAX_HOSTS; a lone "." is the
 * null MX whatever its preference; other bad records are counted. */
static void hosts_from_mx(struct dane_facts *f, const struct dns_answer *a)
{
	struct dns_mx mx;
	size_t n;

	if (a->status == DNS_STATUS_NODATA) {
		f->implicit_mx = 1;
		f->hosts = xcalloc(1, sizeof(*f->hosts));
		snprintf(f->hosts[0].name, sizeof(f->hosts[0].name), "%s", f->domain);
		f->nhosts = 1;
		return;
	}
	if (a->status != DNS_STATUS_DATA || a->count == 0)
		return;
	dns_mx_parse(a, &mx);
	f->null_mx = mx.null_mx;
	f->nbad_mx = mx.nbad;
	n = mx.nusable - mx.ndup;
	f->hosts = xcalloc(n < DANE_MAX_HOSTS ? (n ? n : 1) : DANE_MAX_HOSTS,
			   sizeof(*f->hosts));
	for (size_t k = 0; k < mx.nusable; k++) {
		const struct dns_mx_rec *r = &mx.rec[mx.order[k]];

		if (r->flags & DNS_MX_DUP)
			continue;
		if (f->nhosts == DANE_MAX_HOSTS) {
			f->truncated = 1;
			break;
		}
		text_copy(f->hosts[f->nhosts].name, sizeof(f->hosts[0].name), r->host);
		f->hosts[f->nhosts].pref = r->pref;
		f->nhosts++;
	}
	dns_mx_free(&mx);
}

/* name is domain or a name below it (both normalised) */
static int at_or_below(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcasecmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' && strcasecmp(name + n - d, domain) == 0;
}

static void mx_cb(void *arg, const struct dns_answer *a)
{
	struct dane_lookup *lk = arg;
	struct dane_facts *f = &lk->f;

	lk->mxq = NULL;
	lk->outstanding--;
	rrset_fill(&f->mx, a);
	hosts_from_mx(f, a);
	/* Addresses and TLSA matter below a secure MX RRset, and below an
	 * insecure one (RFC 7672 section 2.2.1, see dane_decide()). */
	if ((a->sec == DNS_SEC_SECURE || a->sec == DNS_SEC_INSECURE) && !f->null_mx &&
	    f->nhosts > 0) {
		f->hosts_looked_up = 1;
		lk->hq = xcalloc(f->nhosts, sizeof(*lk->hq));
		for (size_t i = 0; i < f->nhosts; i++) {
			struct hostq *hq = &lk->hq[i];

			hq->lk = lk;
			hq->idx = i;
			hq->addr_pending = 2;
			lk->outstanding += 2;
			hq->a = dns_resolve(lk->dane->dns, f->hosts[i].name,
					    DNS_TYPE_A, a_cb, hq);
			hq->aaaa = dns_resolve(lk->dane->dns, f->hosts[i].name,
					       DNS_TYPE_AAAA, aaaa_cb, hq);
			/* A host at or below a domain whose MX RRset is
			 * insecure is insecure too (nothing below an insecure
			 * delegation validates): its TLSA would be dropped, so
			 * it is not asked for with the addresses.  Should the
			 * addresses be secure after all (a trust anchor of
			 * their own), addr_done() asks it then. */
			if (a->sec == DNS_SEC_SECURE || !at_or_below(f->hosts[i].name, f->domain))
				start_orig_tlsa(hq);
		}
	}
	lookup_check_done(lk);
}

struct dane_lookup *dane_lookup(struct dane *dane, const char *domain,
				dane_cb cb, void *arg)
{
	struct dane_lookup *lk = xcalloc(1, sizeof(*lk));
	char norm[DANE_NAME_BUF];

	lk->dane = dane;
	lk->cb = cb;
	lk->arg = arg;
	/* An invalid name still goes through the dns layer, which answers
	 * it with an error from the loop, so cb is never made from here. */
	if (rr_domain_normalize(domain, norm, sizeof(norm), NULL) == 0)
		snprintf(lk->f.domain, sizeof(lk->f.domain), "%s", norm);
	else
		snprintf(lk->f.domain, sizeof(lk->f.domain), "%s", "invalid name.");
	lk->outstanding = 1;
	lk->mxq = dns_resolve(dane->dns, lk->f.domain, DNS_TYPE_MX, mx_cb, lk);
	return lk;
}

void dane_lookup_cancel(struct dane_lookup *lk)
{
	if (lk->mxq)
		dns_cancel(lk->mxq);
	for (size_t i = 0; lk->hq && i < lk->f.nhosts; i++) {
		struct hostq *hq = &lk->hq[i];

		if (hq->a)
			dns_cancel(hq->a);
		if (hq->aaaa)
			dns_cancel(hq->aaaa);
		if (hq->tlsa)
			dns_cancel(hq->tlsa);
		if (hq->orig)
			dns_cancel(hq->orig);
	}
	lookup_free(lk);
}

/* ---- the engine source ---- */

struct dane_src_req {
	struct dane *dane;
	struct dane_lookup *lk;      /* NULL once the facts are in */
	source_done_fn done;
	void *done_arg;
	struct dane_src_req *next;   /* dane->root_wait */
	char domain[DANE_NAME_BUF];
	struct dane_decision d;      /* a TEMP waiting for the root check */
	struct buf rep_strings, rep_mx; /* issue 15: the TLSA records (TLSRPT) */
};

/* issue 15 (TLSRPT, RFC 8460 4.3): the policy the decision rests on, as a
 * report names it: "_25._tcp.HOST TLSA U S M HEX" for every TLSA record
 * of every MX host (policy-string) and those hosts (mx-host), taken from
 * the facts now, when the decision is made.  Too long (over 16 KB): the
 * records that fit. */
static void report_policy(struct dane_src_req *req, const struct dane_facts *f)
{
	buf_init(&req->rep_strings, 16 * 1024);
	buf_init(&req->rep_mx, 16 * 1024);
	for (size_t h = 0; h < f->nhosts; h++) {
		const struct dane_host *host = &f->hosts[h];
		int any = 0;

		for (size_t i = 0; i < host->ntlsa; i++) {
			const struct dane_tlsa *t = &host->tlsas[i];
			size_t mark = req->rep_strings.len;
			int bad = 0;

			if (t->malformed || host->tlsa == NULL)
				continue;
			bad |= buf_printf(&req->rep_strings, "%s%s TLSA %u %u %u ",
					  mark ? "\n" : "", host->tlsa->qname, t->rr.usage,
					  t->rr.selector, t->rr.mtype) < 0;
			for (size_t b = 0; !bad && b < t->rr.len; b++)
				bad |= buf_printf(&req->rep_strings, "%02x", t->rr.data[b]) < 0;
			if (bad) { /* full: keep what fits, whole lines */
				req->rep_strings.len = mark;
				if (req->rep_strings.data)
					req->rep_strings.data[mark] = '\0';
				break;
			}
			any = 1;
		}
		if (any)
			(void)buf_printf(&req->rep_mx, "%s%s", req->rep_mx.len ? "\n" : "",
					 host->name);
	}
}

static void src_finish(struct dane_src_req *req, const struct dane_decision *d)
{
	struct source_result res;

	memset(&res, 0, sizeof(res));
	res.ttl = d->ttl;
	res.reason = d->reason;
	/* SOURCE_NOTFOUND: DANE applies and the admin wants Postfix's own
	 * dane level to decide (dane_answer = notfound), and no later source
	 * (MTA-STS, provider) may answer instead. */
	res.verdict = d->verdict;
	if (d->verdict == SOURCE_APPLIES) {
		res.policy_text = d->level;
		if (d->partial)
			res.flags |= SOURCE_F_PARTIAL;
	}
	if (d->verdict == SOURCE_APPLIES || d->verdict == SOURCE_NOTFOUND) {
		res.report_strings = req->rep_strings.data ? req->rep_strings.data : "";
		res.report_mx = req->rep_mx.data ? req->rep_mx.data : "";
	}
	if (log_get_verbose() > 0)
		log_debug("dane %s: %s: %s", req->domain, source_verdict_name(d->verdict),
			  d->reason);
	req->done(req->done_arg, &res);
	buf_free(&req->rep_strings);
	buf_free(&req->rep_mx);
	free(req);
}

/*
 * The root check.  A bogus answer means TEMP only when the domain's own
 * data is broken.  When our resolver cannot validate anything (wrong
 * dns_trust_anchor_file, forwarders that strip DNSSEC, no route to the
 * root) every answer is bogus or fails, and TEMP would defer all mail
 * for tlspolicy's own failure.  So before a TEMP is given out, the
 * root's DNSKEY RRset must validate as secure through the same context;
 * the outcome holds for DANE_ROOT_CHECK_TTL seconds and one query serves
 * every request waiting for it.  When it does not validate the verdict
 * is FAILED (not applicable, not cached long), logged once per outage.
 */
static void root_apply(struct dane *dane, struct dane_src_req *req)
{
	if (dane->root != ROOT_SECURE) {
		static const char prefix[] = "tlspolicy's own DNSSEC validation "
			"fails (the root zone does not validate), not the domain's: ";
		size_t p = sizeof(prefix) - 1, n = strlen(req->d.reason);

		/* prefix the reason in place, cut to the buffer */
		if (p + n >= sizeof(req->d.reason))
			n = sizeof(req->d.reason) - p - 1;
		memmove(req->d.reason + p, req->d.reason, n);
		memcpy(req->d.reason, prefix, p);
		req->d.reason[p + n] = '\0';
		req->d.verdict = SOURCE_FAILED;
	}
	src_finish(req, &req->d);
}

static void root_cb(void *arg, const struct dns_answer *a)
{
	struct dane *dane = arg;
	struct dane_src_req *req;
	int secure = a->status == DNS_STATUS_DATA && a->sec == DNS_SEC_SECURE;

	dane->rootq = NULL;
	dane->root = secure ? ROOT_SECURE : ROOT_BROKEN;
	dane->root_until = time(NULL) + DANE_ROOT_CHECK_TTL;
	if (!secure && !dane->root_logged) {
		log_warnx("dane: the root zone's DNSKEY does not validate (%s, %s%s%s): "
			  "DNSSEC validation by tlspolicy itself is broken, so DANE "
			  "lookups are treated as failed (NOTFOUND), not TEMP; check "
			  "dns_trust_anchor_file and dns_resolvers (forwarders must "
			  "pass DNSSEC records)", dns_status_name(a->status),
			  dns_sec_name(a->sec), a->why ? ": " : "",
			  a->why ? a->why : "");
		dane->root_logged = 1;
	} else if (secure && dane->root_logged) {
		log_info("dane: the root zone validates again; DNSSEC failures "
			 "are the domains' own again (TEMP)");
		dane->root_logged = 0;
	}
	while ((req = dane->root_wait) != NULL) {
		dane->root_wait = req->next;
		root_apply(dane, req);
	}
}

/* Answers req (whose decision is TEMP) now or after the root check. */
static void root_check(struct dane *dane, struct dane_src_req *req)
{
	if (dane->root != ROOT_UNKNOWN && time(NULL) < dane->root_until) {
		root_apply(dane, req);
		return;
	}
	req->next = dane->root_wait;
	dane->root_wait = req;
	if (dane->rootq == NULL)
		dane->rootq = dns_resolve(dane->dns, ".", DNS_TYPE_DNSKEY, root_cb, dane);
}

static void src_cb(void *arg, const struct dane_facts *f)
{
	struct dane_src_req *req = arg;

	req->lk = NULL; /* freed by the caller after this */
	snprintf(req->domain, sizeof(req->domain), "%s", f->domain);
	dane_decide(f, req->dane->mode, &req->d);
	if (req->d.verdict == SOURCE_APPLIES || req->d.verdict == SOURCE_NOTFOUND)
		report_policy(req, f);
	if (req->d.verdict == SOURCE_TEMP) {
		root_check(req->dane, req);
		return;
	}
	src_finish(req, &req->d);
}

static void *src_discover(void *ctx, const char *domain, source_done_fn done,
			  void *done_arg)
{
	struct dane_src_req *req = xcalloc(1, sizeof(*req));

	req->dane = ctx;
	req->done = done;
	req->done_arg = done_arg;
	req->lk = dane_lookup(req->dane, domain, src_cb, req);
	return req;
}

static void src_cancel(void *ctx, void *handle)
{
	struct dane_src_req *req = handle;
	struct dane *dane = ctx;

	if (req->lk) {
		dane_lookup_cancel(req->lk);
	} else {
		/* waiting for the root check */
		for (struct dane_src_req **pp = &dane->root_wait; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				break;
			}
		}
	}
	buf_free(&req->rep_strings);
	buf_free(&req->rep_mx);
	free(req);
}

int dane_source_init(struct dane *dane, struct engine_source *out)
{
	*out = (struct engine_source){ .name = "dane", .answer = ANSWER_DANE, .ctx = dane,
				       .discover = src_discover, .cancel = src_cancel };
	return 0;
}

/* ---- shared set-up ---- */

struct dane_service {
	struct dns *dns;
	struct dane *dane;
};

int dane_service_reconfigure(struct dane_service *svc, const struct config *cfg)
{
	enum dane_answer_mode mode;

	if (svc == NULL || dane_answer_parse(config_get(cfg, "dane_answer"), &mode) < 0)
		return -1;
	svc->dane->mode = mode;
	return 0;
}

int dane_service_new(struct event_base *base, const struct config *cfg,
		     struct dns *dns, struct dane_service **out, struct errbuf *why)
{
	struct dane_service *svc;

	*out = NULL;
	if (*config_get(cfg, "dns_trust_anchor_file") == '\0') {
		log_warnx("dns_trust_anchor_file is empty: DANE discovery is off");
		return 0;
	}
	if ((svc = calloc(1, sizeof(*svc))) == NULL)
		return errbuf_set(why, "out of memory");
	(void)base;
	svc->dns = dns;
	if ((svc->dane = dane_new(svc->dns, cfg, why)) == NULL) {
		dane_service_free(svc);
		return -1;
	}
	*out = svc;
	return 0;
}

struct dns *dane_service_dns(const struct dane_service *svc)
{
	return svc->dns;
}

struct dane *dane_service_dane(const struct dane_service *svc)
{
	return svc->dane;
}

void dane_service_free(struct dane_service *svc)
{
	if (svc == NULL)
		return;
	dane_free(svc->dane);
	free(svc);
}
