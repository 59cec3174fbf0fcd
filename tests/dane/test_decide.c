/* SPDX-License-Identifier: MIT */
/*
 * test_decide.c - the DANE decision table (dane_decide(), pure), one
 * row per case of issue 4 and dane.h, plus the per-host states.
 *
 * Each row describes the MX lookup and up to three hosts in a compact
 * form; build_facts() turns it into the struct dane_facts that
 * dane_lookup() would have produced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dane/dane.h"

/* How one host's lookups came out. */
enum hs {
	H_NONE = 0,      /* no host in this slot */
	H_USABLE,        /* secure addresses, secure TLSA with a usable record */
	H_UNUSABLE,      /* secure addresses, secure TLSA, none usable */
	H_NOTLSA,        /* secure addresses, secure NODATA for TLSA */
	H_TLSA_INSECURE, /* secure addresses, TLSA data but insecure (CNAME to unsigned) */
	H_INSECURE,      /* address records insecure (unsigned host zone) */
	H_NOADDR,        /* secure NODATA for A and AAAA */
	H_ADDR_BOGUS,
	H_ADDR_FAIL,     /* A lookup timed out */
	H_TLSA_BOGUS,
	H_TLSA_FAIL,     /* TLSA SERVFAIL (not bogus) */
	H_TLSA_TIMEOUT,
};

struct row {
	const char *name;
	enum dns_status mx_status;
	enum dns_sec mx_sec;
	int null_mx, truncated;
	enum hs hosts[3];
	enum dane_answer_mode mode;
	enum source_verdict want;
	const char *want_level;   /* APPLIES only */
	const char *want_reason;  /* substring */
};

#define SEC DNS_SEC_SECURE
#define INSEC DNS_SEC_INSECURE
#define BOGUS DNS_SEC_BOGUS
#define INDET DNS_SEC_INDETERMINATE
#define DATA DNS_STATUS_DATA
#define ONLY DANE_ANSWER_DANE_ONLY

static const struct row rows[] = {
	/* the MX lookup */
	{ "MX timeout (unsigned or not)", DNS_STATUS_TIMEOUT, INDET, 0, 0, { H_NONE },
	  ONLY, SOURCE_FAILED, NULL, "MX lookup for d.test failed" },
	{ "MX SERVFAIL, not bogus: never TEMP", DNS_STATUS_SERVFAIL, INDET, 0, 0,
	  { H_NONE }, ONLY, SOURCE_FAILED, NULL, "failed" },
	{ "MX local error", DNS_STATUS_ERROR, INDET, 0, 0, { H_NONE }, ONLY, SOURCE_FAILED,
	  NULL, "failed" },
	{ "MX bogus -> TEMP naming the record", DNS_STATUS_SERVFAIL, BOGUS, 0, 0,
	  { H_NONE }, ONLY, SOURCE_TEMP, NULL, "DNSSEC validation failure for MX d.test" },
	{ "MX bogus with data -> TEMP", DATA, BOGUS, 0, 0, { H_USABLE }, ONLY, SOURCE_TEMP,
	  NULL, "MX d.test" },
	{ "NXDOMAIN", DNS_STATUS_NXDOMAIN, SEC, 0, 0, { H_NONE }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "does not exist" },
	/* RFC 7672 section 2.2.1 MAY, as Postfix's own dane level does: the
	 * TLSA of secure hosts behind an insecure MX RRset is used, the
	 * answer is "dane" (never dane-only, never NOTFOUND: the host names
	 * were not obtained securely) */
	{ "MX insecure, secure host with TLSA -> dane", DATA, INSEC, 0, 0, { H_USABLE },
	  ONLY, SOURCE_APPLIES, "dane", "MX RRset of d.test is insecure" },
	{ "MX insecure, dane_answer=dane -> dane", DATA, INSEC, 0, 0, { H_USABLE },
	  DANE_ANSWER_DANE, SOURCE_APPLIES, "dane", "insecure" },
	{ "MX insecure, dane_answer=notfound -> still dane", DATA, INSEC, 0, 0,
	  { H_USABLE, H_USABLE }, DANE_ANSWER_NOTFOUND, SOURCE_APPLIES, "dane", "insecure" },
	{ "MX insecure, one of two hosts with TLSA -> dane", DATA, INSEC, 0, 0,
	  { H_NOTLSA, H_USABLE }, ONLY, SOURCE_APPLIES, "dane", "1 of 2" },
	{ "MX insecure, TLSA unusable -> dane", DATA, INSEC, 0, 0, { H_UNUSABLE }, ONLY,
	  SOURCE_APPLIES, "dane", "none usable" },
	{ "MX insecure, hosts insecure too", DATA, INSEC, 0, 0, { H_INSECURE, H_INSECURE },
	  ONLY, SOURCE_NOT_APPLICABLE, NULL, "no TLSA" },
	{ "MX insecure, secure host without TLSA", DATA, INSEC, 0, 0, { H_NOTLSA }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "no TLSA" },
	{ "MX indeterminate", DATA, INDET, 0, 0, { H_USABLE }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "indeterminate" },
	{ "implicit MX insecure, host secure (CNAME) -> dane", DNS_STATUS_NODATA, INSEC, 0,
	  0, { H_USABLE }, ONLY, SOURCE_APPLIES, "dane", "insecure" },
	{ "implicit MX insecure, host insecure", DNS_STATUS_NODATA, INSEC, 0, 0,
	  { H_INSECURE }, ONLY, SOURCE_NOT_APPLICABLE, NULL, "no TLSA" },
	{ "null MX", DATA, SEC, 1, 0, { H_NONE }, ONLY, SOURCE_NOT_APPLICABLE, NULL,
	  "null MX" },
	{ "secure MX without usable host names", DATA, SEC, 0, 0, { H_NONE }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "no usable MX host name" },

	/* every MX host secure with usable TLSA */
	{ "one host usable -> dane-only", DATA, SEC, 0, 0, { H_USABLE }, ONLY,
	  SOURCE_APPLIES, "dane-only", "every MX host" },
	{ "two hosts usable -> dane-only", DATA, SEC, 0, 0, { H_USABLE, H_USABLE }, ONLY,
	  SOURCE_APPLIES, "dane-only", "2 hosts" },
	{ "implicit MX usable -> dane-only", DNS_STATUS_NODATA, SEC, 0, 0, { H_USABLE },
	  ONLY, SOURCE_APPLIES, "dane-only", NULL },
	{ "dane_answer=dane", DATA, SEC, 0, 0, { H_USABLE }, DANE_ANSWER_DANE,
	  SOURCE_APPLIES, "dane", "every MX host" },
	{ "dane_answer=notfound", DATA, SEC, 0, 0, { H_USABLE }, DANE_ANSWER_NOTFOUND,
	  SOURCE_NOTFOUND, NULL, "every MX host" },
	{ "host without address left out", DATA, SEC, 0, 0, { H_USABLE, H_NOADDR }, ONLY,
	  SOURCE_APPLIES, "dane-only", "1 host" },
	{ "more hosts than looked at -> at most dane", DATA, SEC, 0, 1,
	  { H_USABLE, H_USABLE }, ONLY, SOURCE_APPLIES, "dane", "2+" },

	/* some, or present but unusable -> dane */
	{ "one of two usable -> dane", DATA, SEC, 0, 0, { H_USABLE, H_NOTLSA }, ONLY,
	  SOURCE_APPLIES, "dane", "1 of 2" },
	{ "usable + insecure host -> dane", DATA, SEC, 0, 0, { H_INSECURE, H_USABLE },
	  ONLY, SOURCE_APPLIES, "dane", "1 of 2" },
	{ "TLSA present, none usable -> dane", DATA, SEC, 0, 0, { H_UNUSABLE }, ONLY,
	  SOURCE_APPLIES, "dane", "none usable" },
	{ "unusable + no TLSA -> dane", DATA, SEC, 0, 0, { H_NOTLSA, H_UNUSABLE }, ONLY,
	  SOURCE_APPLIES, "dane", "none usable" },
	{ "usable + unusable -> dane", DATA, SEC, 0, 0, { H_USABLE, H_UNUSABLE }, ONLY,
	  SOURCE_APPLIES, "dane", "1 of 2" },
	{ "usable + bogus TLSA host -> dane", DATA, SEC, 0, 0, { H_USABLE, H_TLSA_BOGUS },
	  ONLY, SOURCE_APPLIES, "dane", "1 of 2" },
	{ "no TLSA + bogus host -> dane (Postfix skips it)", DATA, SEC, 0, 0,
	  { H_NOTLSA, H_ADDR_BOGUS }, ONLY, SOURCE_APPLIES, "dane", "1 of 2 MX hosts" },
	{ "usable + failed host -> dane", DATA, SEC, 0, 0, { H_USABLE, H_TLSA_TIMEOUT },
	  ONLY, SOURCE_APPLIES, "dane", "1 of 2" },

	/* bogus for the TLSA / address lookups of a signed domain */
	{ "TLSA bogus -> TEMP naming TLSA", DATA, SEC, 0, 0, { H_TLSA_BOGUS }, ONLY,
	  SOURCE_TEMP, NULL, "DNSSEC validation failure for TLSA _25._tcp.mx0.d.test" },
	{ "A bogus -> TEMP naming A", DATA, SEC, 0, 0, { H_ADDR_BOGUS }, ONLY, SOURCE_TEMP,
	  NULL, "for A mx0.d.test" },
	{ "every host bogus -> TEMP", DATA, SEC, 0, 0, { H_TLSA_BOGUS, H_ADDR_BOGUS },
	  ONLY, SOURCE_TEMP, NULL, "TLSA _25._tcp.mx0.d.test" },
	{ "bogus + no-address host -> TEMP", DATA, SEC, 0, 0, { H_NOADDR, H_TLSA_BOGUS },
	  ONLY, SOURCE_TEMP, NULL, "mx1.d.test" },

	/* not applicable */
	{ "no TLSA anywhere", DATA, SEC, 0, 0, { H_NOTLSA, H_NOTLSA }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "no TLSA records" },
	{ "signed domain, hosts in unsigned zone", DATA, SEC, 0, 0,
	  { H_INSECURE, H_INSECURE }, ONLY, SOURCE_NOT_APPLICABLE, NULL, "no TLSA" },
	{ "TLSA only insecure", DATA, SEC, 0, 0, { H_TLSA_INSECURE }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "no TLSA" },
	{ "no host has an address", DATA, SEC, 0, 0, { H_NOADDR, H_NOADDR }, ONLY,
	  SOURCE_NOT_APPLICABLE, NULL, "has an address" },

	/* failures below a secure MX: never TEMP.  An address lookup that
	 * failed tells nothing (FAILED: the next source decides); a TLSA
	 * lookup that failed at a secure host is what Postfix's own dane
	 * level defers ("TLSA lookup error"), so the answer is "dane" and
	 * Postfix decides per host as it would alone (issue 10, item 5) */
	{ "address lookup failed", DATA, SEC, 0, 0, { H_ADDR_FAIL }, ONLY, SOURCE_FAILED,
	  NULL, "lookup of mx0.d.test failed" },
	{ "TLSA SERVFAIL (not bogus) -> dane", DATA, SEC, 0, 0, { H_TLSA_FAIL }, ONLY,
	  SOURCE_APPLIES, "dane", "TLSA lookup failed at 1 of 1 MX hosts (_25._tcp.mx0.d.test" },
	{ "TLSA timeout -> dane", DATA, SEC, 0, 0, { H_TLSA_TIMEOUT }, ONLY,
	  SOURCE_APPLIES, "dane", "_25._tcp.mx0.d.test" },
	{ "TLSA SERVFAIL + timeout on every host -> dane", DATA, SEC, 0, 0,
	  { H_TLSA_FAIL, H_TLSA_TIMEOUT }, ONLY, SOURCE_APPLIES, "dane",
	  "TLSA lookup failed at 2 of 2" },
	{ "TLSA timeout + no TLSA -> dane", DATA, SEC, 0, 0, { H_NOTLSA, H_TLSA_TIMEOUT },
	  ONLY, SOURCE_APPLIES, "dane", "_25._tcp.mx1.d.test" },
	{ "TLSA timeout + address failed -> dane", DATA, SEC, 0, 0,
	  { H_ADDR_FAIL, H_TLSA_TIMEOUT }, ONLY, SOURCE_APPLIES, "dane", "1 of 2" },
	{ "TLSA SERVFAIL with dane_answer=notfound -> still dane", DATA, SEC, 0, 0,
	  { H_TLSA_FAIL }, DANE_ANSWER_NOTFOUND, SOURCE_APPLIES, "dane", "TLSA lookup failed" },
};

/* Which "dane" answers are partial: some MX host gets no DANE
 * authentication from them (engine: MTA-STS enforce may answer instead). */
static const struct {
	const char *name;
	int truncated;
	enum hs hosts[3];
	int want_partial;
} partial_rows[] = {
	{ "usable + no TLSA", 0, { H_USABLE, H_NOTLSA }, 1 },
	{ "usable + insecure host", 0, { H_USABLE, H_INSECURE }, 1 },
	{ "usable + unusable", 0, { H_USABLE, H_UNUSABLE }, 1 },
	{ "unusable only", 0, { H_UNUSABLE }, 1 },
	{ "usable + TLSA only insecure", 0, { H_USABLE, H_TLSA_INSECURE }, 1 },
	{ "usable, more hosts than looked at", 1, { H_USABLE, H_USABLE }, 1 },
	{ "usable + bogus host (Postfix skips it)", 0, { H_USABLE, H_TLSA_BOGUS }, 0 },
	{ "usable + TLSA lookup failed (Postfix defers it)", 0, { H_USABLE, H_TLSA_TIMEOUT }, 0 },
	{ "TLSA lookup failed everywhere", 0, { H_TLSA_FAIL, H_TLSA_TIMEOUT }, 0 },
	{ "TLSA lookup failed + no TLSA", 0, { H_TLSA_FAIL, H_NOTLSA }, 1 },
	{ "usable + no address", 0, { H_USABLE, H_NOADDR }, 0 },
};

static void copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src) < dstlen ? strlen(src) : dstlen - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void rrset(struct dane_rrset *r, const char *qname, enum dns_status st,
		  enum dns_sec sec, unsigned ttl)
{
	memset(r, 0, sizeof(*r));
	r->done = 1;
	copy(r->qname, sizeof(r->qname), qname);
	copy(r->canon, sizeof(r->canon), qname);
	r->status = st;
	r->sec = sec;
	r->ttl = ttl;
	if (sec == DNS_SEC_BOGUS)
		snprintf(r->why, sizeof(r->why), "signature expired");
	else if (st == DNS_STATUS_TIMEOUT)
		snprintf(r->why, sizeof(r->why), "no answer");
	else if (st == DNS_STATUS_SERVFAIL)
		snprintf(r->why, sizeof(r->why), "SERVFAIL");
}

/* Fills h as the lookups of state s would have; ttl base t. */
static void build_host(struct dane_host *h, int i, enum hs s, unsigned t)
{
	char tname[DANE_NAME_BUF + 16];
	enum dns_sec asec = SEC;
	enum dns_status ast = DATA;

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "mx%d.d.test", i);
	h->pref = (unsigned)(10 * (i + 1));
	snprintf(tname, sizeof(tname), "_25._tcp.%s", h->name);
	if (s == H_INSECURE)
		asec = INSEC;
	else if (s == H_ADDR_BOGUS)
		asec = BOGUS;
	if (s == H_NOADDR)
		ast = DNS_STATUS_NODATA;
	rrset(&h->a, h->name, s == H_ADDR_FAIL ? DNS_STATUS_TIMEOUT : ast,
	      s == H_ADDR_FAIL ? INDET : asec, t + 1);
	rrset(&h->aaaa, h->name, DNS_STATUS_NODATA, asec, t + 2);
	if (ast == DATA && s != H_ADDR_FAIL && s != H_ADDR_BOGUS) {
		h->naddrs = 1;
		snprintf(h->addrs[0], sizeof(h->addrs[0]), "127.0.0.%d", i + 1);
	}
	switch (s) {
	case H_USABLE:
		rrset(&h->tlsa_orig, tname, DATA, SEC, t + 3);
		h->ntlsa = 2;
		h->nusable = 1;
		h->tlsas[0].usable = 1;
		h->tlsas[1].usable = 0;
		break;
	case H_UNUSABLE:
		rrset(&h->tlsa_orig, tname, DATA, SEC, t + 3);
		h->ntlsa = 1;
		break;
	case H_NOTLSA:
		rrset(&h->tlsa_orig, tname, DNS_STATUS_NXDOMAIN, SEC, t + 3);
		break;
	case H_TLSA_INSECURE:
		rrset(&h->tlsa_orig, tname, DATA, INSEC, t + 3);
		h->ntlsa = 1;
		h->tlsas[0].usable = 1; /* usable record, but not secure */
		break;
	case H_TLSA_BOGUS:
		rrset(&h->tlsa_orig, tname, DNS_STATUS_SERVFAIL, BOGUS, t + 3);
		break;
	case H_TLSA_FAIL:
		rrset(&h->tlsa_orig, tname, DNS_STATUS_SERVFAIL, INDET, t + 3);
		break;
	case H_TLSA_TIMEOUT:
		rrset(&h->tlsa_orig, tname, DNS_STATUS_TIMEOUT, INDET, 0);
		break;
	default:
		break;
	}
	if (h->tlsa_orig.done)
		h->tlsa = &h->tlsa_orig;
}

static size_t build_facts(struct dane_facts *f, struct dane_host *hosts,
			  const struct row *r)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->domain, sizeof(f->domain), "d.test");
	rrset(&f->mx, "d.test", r->mx_status, r->mx_sec, 1000);
	f->null_mx = r->null_mx;
	f->truncated = r->truncated;
	f->implicit_mx = r->mx_status == DNS_STATUS_NODATA;
	f->hosts = hosts;
	for (int i = 0; i < 3 && r->hosts[i] != H_NONE; i++) {
		build_host(&hosts[i], i, r->hosts[i], 100 * (unsigned)(i + 1));
		f->nhosts++;
	}
	return f->nhosts;
}

static void test_table(void **state)
{
	static struct dane_host hosts[3];
	struct dane_facts f;
	struct dane_decision d;

	(void)state;
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), 48);  /* an emptied table fails (41 + the 7 insecure-MX rows of issue 11 item 0) */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		build_facts(&f, hosts, r);
		dane_decide(&f, r->mode, &d);
		if (d.verdict != r->want)
			fail_msg("row %zu \"%s\": verdict %s (%s), want %s", i, r->name,
				 source_verdict_name(d.verdict), d.reason,
				 source_verdict_name(r->want));
		if (r->want_level) {
			if (d.level == NULL || strcmp(d.level, r->want_level) != 0)
				fail_msg("row %zu \"%s\": level %s, want %s", i, r->name,
					 d.level ? d.level : "(none)", r->want_level);
		} else if (r->want == SOURCE_APPLIES) {
			fail_msg("row %zu: APPLIES row without a level", i);
		}
		if (r->want_reason && strstr(d.reason, r->want_reason) == NULL)
			fail_msg("row %zu \"%s\": reason \"%s\" lacks \"%s\"", i, r->name,
				 d.reason, r->want_reason);
		if (d.reason[0] == '\0')
			fail_msg("row %zu \"%s\": empty reason", i, r->name);
	}
}

/* TTL: the smallest TTL of the records used. */
static void test_partial(void **state)
{
	static struct dane_host hosts[3];
	struct dane_facts f;
	struct dane_decision d;

	(void)state;
	assert_int_equal(sizeof(partial_rows) / sizeof(partial_rows[0]), 11);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(partial_rows) / sizeof(partial_rows[0]); i++) {
		struct row r = { partial_rows[i].name, DATA, SEC, 0, partial_rows[i].truncated,
				 { partial_rows[i].hosts[0], partial_rows[i].hosts[1],
				   partial_rows[i].hosts[2] },
				 DANE_ANSWER_DANE, SOURCE_APPLIES, "dane", NULL };

		build_facts(&f, hosts, &r);
		dane_decide(&f, DANE_ANSWER_DANE, &d);
		if (d.verdict != SOURCE_APPLIES)
			fail_msg("\"%s\": verdict %s (%s), want applies", r.name,
				 source_verdict_name(d.verdict), d.reason);
		if (d.partial != partial_rows[i].want_partial)
			fail_msg("\"%s\": partial %d, want %d (%s)", r.name, d.partial,
				 partial_rows[i].want_partial, d.reason);
	}
	/* behind an insecure MX RRset every "dane" answer is partial: no MX
	 * host name is authenticated, so MTA-STS enforce answers instead */
	{
		struct row r = { "insecure MX, all usable", DATA, INSEC, 0, 0,
				 { H_USABLE, H_USABLE }, ONLY, SOURCE_APPLIES, "dane", NULL };

		build_facts(&f, hosts, &r);
		dane_decide(&f, ONLY, &d);
		assert_int_equal(d.verdict, SOURCE_APPLIES);
		assert_string_equal(d.level, "dane");
		assert_int_equal(d.partial, 1);
	}
	/* never partial outside "dane" answers */
	{
		struct row r = { "all usable", DATA, SEC, 0, 0, { H_USABLE, H_USABLE },
				 ONLY, SOURCE_APPLIES, "dane-only", NULL };

		build_facts(&f, hosts, &r);
		dane_decide(&f, ONLY, &d);
		assert_int_equal(d.partial, 0);
		dane_decide(&f, DANE_ANSWER_DANE, &d);
		assert_int_equal(d.partial, 0);
	}
}

static void test_ttl(void **state)
{
	static struct dane_host hosts[3];
	struct dane_facts f;
	struct dane_decision d;
	struct row r = { "ttl", DATA, SEC, 0, 0, { H_USABLE, H_USABLE }, ONLY,
			 SOURCE_APPLIES, "dane-only", NULL };

	(void)state;
	build_facts(&f, hosts, &r);
	dane_decide(&f, ONLY, &d);
	assert_int_equal(d.ttl, 101); /* host 0's A: min(1000, 101..303) */
	f.mx.ttl = 50;
	dane_decide(&f, ONLY, &d);
	assert_int_equal(d.ttl, 50);
	f.mx.ttl = 1000;
	hosts[1].tlsa_orig.ttl = 7;
	dane_decide(&f, ONLY, &d);
	assert_int_equal(d.ttl, 7);

	/* insecure MX with TLSA below: the host records count too */
	r.mx_sec = INSEC;
	build_facts(&f, hosts, &r);
	f.mx.ttl = 3600;
	dane_decide(&f, ONLY, &d);
	assert_int_equal(d.verdict, SOURCE_APPLIES);
	assert_int_equal(d.ttl, 101);
	/* insecure MX, nothing below: only the MX record was used */
	r.hosts[0] = H_INSECURE;
	r.hosts[1] = H_INSECURE;
	build_facts(&f, hosts, &r);
	f.mx.ttl = 3600;
	for (size_t i = 0; i < f.nhosts; i++)
		hosts[i].a.ttl = hosts[i].aaaa.ttl = 5000;
	dane_decide(&f, ONLY, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	assert_int_equal(d.ttl, 3600);
}

/* The TLSA RRset that counts is the one the lookup chose (h->tlsa):
 * after a CNAME'd host name, the expanded name's, else the original's. */
static void test_tlsa_base_domain(void **state)
{
	struct dane_host h;

	(void)state;
	build_host(&h, 0, H_NOTLSA, 100);
	/* expanded name had no TLSA, the original has a usable one */
	rrset(&h.tlsa_canon, "_25._tcp.real.d.test", DNS_STATUS_NODATA, SEC, 50);
	rrset(&h.tlsa_orig, "_25._tcp.mx0.d.test", DATA, SEC, 60);
	h.ntlsa = 1;
	h.nusable = 1;
	h.tlsa = &h.tlsa_orig;
	assert_int_equal(dane_host_state(&h), DANE_HOST_TLSA_USABLE);
	/* the expanded name's usable TLSA */
	h.tlsa_orig.done = 0;
	rrset(&h.tlsa_canon, "_25._tcp.real.d.test", DATA, SEC, 50);
	h.tlsa = &h.tlsa_canon;
	assert_int_equal(dane_host_state(&h), DANE_HOST_TLSA_USABLE);
	/* no TLSA lookup result at all for a secure host: failed */
	h.tlsa = NULL;
	assert_int_equal(dane_host_state(&h), DANE_HOST_TLSA_FAILED);
}

static void test_host_states(void **state)
{
	static const struct {
		enum hs in;
		enum dane_host_state want;
	} map[] = {
		{ H_USABLE, DANE_HOST_TLSA_USABLE },
		{ H_UNUSABLE, DANE_HOST_TLSA_UNUSABLE },
		{ H_NOTLSA, DANE_HOST_NO_TLSA },
		{ H_TLSA_INSECURE, DANE_HOST_NO_TLSA },
		{ H_INSECURE, DANE_HOST_INSECURE },
		{ H_NOADDR, DANE_HOST_NOADDR },
		{ H_ADDR_BOGUS, DANE_HOST_ADDR_BOGUS },
		{ H_ADDR_FAIL, DANE_HOST_ADDR_FAILED },
		{ H_TLSA_BOGUS, DANE_HOST_TLSA_BOGUS },
		{ H_TLSA_FAIL, DANE_HOST_TLSA_FAILED },
		{ H_TLSA_TIMEOUT, DANE_HOST_TLSA_FAILED },
	};
	struct dane_host h;

	(void)state;
	assert_int_equal(sizeof(map) / sizeof(map[0]), 11);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		build_host(&h, 0, map[i].in, 10);
		if (dane_host_state(&h) != map[i].want)
			fail_msg("host kind %d: %s, want %s", (int)map[i].in,
				 dane_host_state_name(dane_host_state(&h)),
				 dane_host_state_name(map[i].want));
	}
	/* AAAA insecure while A secure: the host is insecure */
	build_host(&h, 0, H_USABLE, 10);
	h.aaaa.sec = INSEC;
	assert_int_equal(dane_host_state(&h), DANE_HOST_INSECURE);
	/* AAAA bogus while A secure: bogus */
	h.aaaa.sec = BOGUS;
	assert_int_equal(dane_host_state(&h), DANE_HOST_ADDR_BOGUS);
}

static void test_answer_setting(void **state)
{
	enum dane_answer_mode m;

	(void)state;
	assert_int_equal(dane_answer_parse("dane-only", &m), 0);
	assert_int_equal(m, DANE_ANSWER_DANE_ONLY);
	assert_int_equal(dane_answer_parse("dane", &m), 0);
	assert_int_equal(m, DANE_ANSWER_DANE);
	assert_int_equal(dane_answer_parse("notfound", &m), 0);
	assert_int_equal(m, DANE_ANSWER_NOTFOUND);
	assert_int_equal(dane_answer_parse("secure", &m), -1);
	assert_int_equal(dane_answer_parse("", &m), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_tlsa_base_domain),
		cmocka_unit_test(test_host_states),
		cmocka_unit_test(test_answer_setting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
