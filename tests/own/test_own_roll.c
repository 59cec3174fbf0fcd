/* SPDX-License-Identifier: MIT */
/*
 * test_own_roll - the rollover state machine (own/roll.h), state by
 * state, on keys made here with OpenSSL (a CA, an intermediate that is
 * later replaced, leaf keys A and B): current published, next not
 * published / younger than 2 x TTL / old enough (also under
 * --deploy-check and its exit code), outage now, stale records before
 * and after 2 x TTL, a 2 1 1 pinned to a CA the chain no longer has,
 * TLSA missing, insecure, bogus, failed, unusable records; and TLSA
 * from PEM text (key + certificate merged into one set, a chain's
 * issuer) against digests computed here independently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "own/roll.h"
#include "own/tlsa.h"

static EVP_PKEY *key_ca, *key_ca2, *key_a, *key_b;
static X509 *ca, *ca2, *leaf_a, *leaf_b, *leaf_b2;

static X509 *mkcert(EVP_PKEY *key, EVP_PKEY *signer, const char *cn, const char *issuer)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new(), *in = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), rand());
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_ASC, (const unsigned char *)issuer, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, in);
	X509_set_pubkey(x, key);
	X509_sign(x, signer, EVP_sha256());
	X509_NAME_free(n);
	X509_NAME_free(in);
	return x;
}

static int group_setup(void **state)
{
	(void)state;
	key_ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key_ca2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key_a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key_b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ca = mkcert(key_ca, key_ca, "ca one", "ca one");
	ca2 = mkcert(key_ca2, key_ca2, "ca two", "ca two");
	leaf_a = mkcert(key_a, key_ca, "mx.example", "ca one");
	leaf_b = mkcert(key_b, key_ca, "mx.example", "ca one");
	leaf_b2 = mkcert(key_b, key_ca2, "mx.example", "ca two");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(ca); X509_free(ca2); X509_free(leaf_a); X509_free(leaf_b); X509_free(leaf_b2);
	EVP_PKEY_free(key_ca); EVP_PKEY_free(key_ca2); EVP_PKEY_free(key_a); EVP_PKEY_free(key_b);
	return 0;
}

/* PEM of the given objects into a malloc'ed string. */
static char *pem_of(X509 *c1, X509 *c2, EVP_PKEY *key, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (key)
		PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	if (c1)
		PEM_write_bio_X509(b, c1);
	if (c2)
		PEM_write_bio_X509(b, c2);
	n = BIO_get_mem_data(b, &p);
	out = malloc((size_t)n + 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static void keyset(X509 *c1, X509 *c2, EVP_PKEY *key, struct own_keyset *ks)
{
	size_t len, n;
	char *pem = pem_of(c1, c2, key, &len);
	struct errbuf why;

	if (own_keyset_from_pem(pem, len, "test", ks, 1, &n, &why) < 0)
		fail_msg("keyset: %s", why.msg);
	assert_int_equal(n, 1);
	free(pem);
}

/* SHA-256 of the DER SubjectPublicKeyInfo, computed independently. */
static void spki_sha256(EVP_PKEY *k, unsigned char out[32])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	unsigned int mdlen;

	EVP_Digest(der, (size_t)n, out, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
}

static struct own_roll_pub pub_of(const struct own_tlsa_rr *rr, long long first)
{
	struct own_roll_pub p;

	memset(&p, 0, sizeof(p));
	p.rr = *rr;
	p.first_seen = first;
	return p;
}

static const struct own_finding *find(const struct own_report *r, const char *check,
				      enum own_verdict v)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].check, check) == 0 && r->f[i].verdict == v)
			return &r->f[i];
	return NULL;
}

static size_t count(const struct own_report *r, const char *check)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += strcmp(r->f[i].check, check) == 0;
	return n;
}

#define NOW 1800000000LL
#define TTL 60

static void base_in(struct own_roll_in *in, const struct own_keyset *live, size_t nlive,
		    const struct own_keyset *next, size_t nnext,
		    const struct own_roll_pub *pubs, size_t npubs)
{
	memset(in, 0, sizeof(*in));
	in->domain = "example";
	in->host = "mx.example";
	in->live = live;
	in->nlive = nlive;
	in->next = next;
	in->nnext = nnext;
	in->state = OWN_TLSA_SECURE;
	in->ttl = TTL;
	in->tlsa = pubs;
	in->ntlsa = npubs;
	in->now = NOW;
	in->live_since = NOW - 1000;
}

static void test_pem_digests(void **state)
{
	struct own_keyset ks;
	struct own_tlsa_rr rr;
	unsigned char want[32];

	(void)state;
	/* key first, then its certificate and the CA: one set of two */
	keyset(leaf_a, ca, key_a, &ks);
	assert_int_equal(ks.n, 2);
	assert_non_null(ks.chain[0].cert);   /* the certificate replaced the bare key */
	assert_string_equal(ks.key_type, "EC");
	own_tlsa_leaf(&ks, &rr);
	spki_sha256(key_a, want);
	assert_int_equal(rr.usage, 3);
	assert_int_equal(rr.len, 32);
	assert_memory_equal(rr.data, want, 32);
	assert_int_equal(own_tlsa_issuer(&ks, &rr), 1);
	spki_sha256(key_ca, want);
	assert_int_equal(rr.usage, 2);
	assert_memory_equal(rr.data, want, 32);
	own_keyset_free(&ks);

	/* a bare RSA key: 3 1 1 only */
	keyset(NULL, NULL, key_b, &ks);
	assert_int_equal(ks.n, 1);
	assert_string_equal(ks.key_type, "RSA");
	assert_int_equal(ks.key_bits, 2048);
	assert_int_equal(own_tlsa_issuer(&ks, &rr), 0);
	own_tlsa_leaf(&ks, &rr);
	spki_sha256(key_b, want);
	assert_memory_equal(rr.data, want, 32);
	{
		char line[OWN_TLSA_LINE_MAX], hex[OWN_TLSA_HEX], expect[OWN_TLSA_LINE_MAX];

		own_tlsa_zone_line("mx.example", 25, 300, &rr, line, sizeof(line));
		snprintf(expect, sizeof(expect), "_25._tcp.mx.example. 300 IN TLSA 3 1 1 %s",
			 own_tlsa_hex(&rr, hex, sizeof(hex)));
		assert_string_equal(line, expect);
	}
	own_keyset_free(&ks);

	/* garbage and encrypted keys are refused with a reason */
	{
		struct own_keyset s[2];
		size_t n;
		struct errbuf why;
		const char *enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
				  "-----END ENCRYPTED PRIVATE KEY-----\n";

		assert_int_equal(own_keyset_from_pem("junk", 4, "f", s, 2, &n, &why), -1);
		assert_non_null(strstr(why.msg, "no certificate or key"));
		assert_int_equal(own_keyset_from_pem(enc, strlen(enc), "f", s, 2, &n, &why), -1);
		assert_non_null(strstr(why.msg, "encrypted"));
	}
}

static void test_current_and_next(void **state)
{
	struct own_keyset a, b;
	struct own_tlsa_rr ra, rb;
	struct own_roll_pub pubs[2];
	struct own_roll_in in;
	struct own_report rep;

	(void)state;
	keyset(leaf_a, ca, NULL, &a);
	keyset(leaf_b, ca, NULL, &b);
	own_tlsa_leaf(&a, &ra);
	own_tlsa_leaf(&b, &rb);

	/* 1. current published, next not published */
	pubs[0] = pub_of(&ra, NOW - 5000);
	base_in(&in, &a, 1, &b, 1, pubs, 1);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "tlsa", OWN_OK));
	assert_non_null(find(&rep, "current", OWN_OK));
	assert_non_null(find(&rep, "next", OWN_WARNING));
	assert_non_null(strstr(find(&rep, "next", OWN_WARNING)->msg, "NOT published"));
	assert_non_null(find(&rep, "next", OWN_WARNING)->fix);
	{
		char line[OWN_TLSA_LINE_MAX];

		own_tlsa_zone_line("mx.example", 25, TTL, &rb, line, sizeof(line));
		assert_non_null(strstr(find(&rep, "next", OWN_WARNING)->fix, line));
	}
	assert_int_equal(count(&rep, "stale"), 0);
	assert_int_equal(own_report_exit(&rep), 1);
	own_report_free(&rep);
	/* the same under --deploy-check: refused */
	in.deploy_check = 1;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "next", OWN_ERROR));
	assert_int_equal(own_roll_deploy_exit(&rep), 2);
	own_report_free(&rep);

	/* 2. next published, younger than 2 x TTL: refused */
	pubs[1] = pub_of(&rb, NOW - (2 * TTL - 1));
	base_in(&in, &a, 1, &b, 1, pubs, 2);
	in.deploy_check = 1;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "next", OWN_ERROR));
	assert_non_null(strstr(find(&rep, "next", OWN_ERROR)->msg, "not safe to switch before"));
	assert_int_equal(own_roll_deploy_exit(&rep), 2);
	own_report_free(&rep);

	/* 3. exactly 2 x TTL: allowed */
	pubs[1] = pub_of(&rb, NOW - 2 * TTL);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "next", OWN_OK));
	assert_non_null(strstr(find(&rep, "next", OWN_OK)->msg, "safe to switch"));
	assert_int_equal(own_roll_deploy_exit(&rep), 0);
	assert_int_equal(own_report_exit(&rep), 0);
	own_report_free(&rep);

	/* 4. switched to b, a's record left: stale, not yet safe to remove */
	base_in(&in, &b, 1, NULL, 0, pubs, 2);
	in.live_since = NOW - 10;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "current", OWN_OK));
	assert_non_null(find(&rep, "stale", OWN_WARNING));
	assert_non_null(strstr(find(&rep, "stale", OWN_WARNING)->msg, "remove it after"));
	assert_non_null(strstr(find(&rep, "stale", OWN_WARNING)->fix, "delete: _25._tcp.mx.example."));
	own_report_free(&rep);
	/* ... and after 2 x TTL in service: safe to remove */
	in.live_since = NOW - 2 * TTL;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(strstr(find(&rep, "stale", OWN_WARNING)->msg, "safe to remove"));
	own_report_free(&rep);

	/* 5. switched without pre-publication: outage now */
	base_in(&in, &b, 1, NULL, 0, pubs, 1);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "current", OWN_ERROR));
	assert_non_null(strstr(find(&rep, "current", OWN_ERROR)->msg, "OUTAGE NOW"));
	assert_int_equal(own_report_exit(&rep), 2);
	own_report_free(&rep);

	own_keyset_free(&a);
	own_keyset_free(&b);
}

static void test_ta_records(void **state)
{
	struct own_keyset b, b2;
	struct own_tlsa_rr rca;
	struct own_roll_pub pubs[1];
	struct own_roll_in in;
	struct own_report rep;

	(void)state;
	keyset(leaf_b, ca, NULL, &b);
	keyset(leaf_b2, ca2, NULL, &b2);
	assert_int_equal(own_tlsa_issuer(&b, &rca), 1);
	pubs[0] = pub_of(&rca, NOW - 5000);

	/* 2 1 1 of the CA authenticates the leaf it issued */
	base_in(&in, &b, 1, NULL, 0, pubs, 1);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "current", OWN_OK));
	own_report_free(&rep);

	/* the served chain now comes from another CA: outage, and the 2 1 1
	 * is named as pinned to a CA the chain no longer contains */
	base_in(&in, &b2, 1, NULL, 0, pubs, 1);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "current", OWN_ERROR));
	assert_non_null(strstr(find(&rep, "stale", OWN_WARNING)->msg,
			       "pinned to a CA that the served chain no longer contains"));
	own_report_free(&rep);
	own_keyset_free(&b);
	own_keyset_free(&b2);
}

static void test_tlsa_states(void **state)
{
	struct own_keyset a, b;
	struct own_tlsa_rr ra, bad;
	struct own_roll_pub pubs[2];
	struct own_roll_in in;
	struct own_report rep;

	(void)state;
	keyset(leaf_a, ca, NULL, &a);
	keyset(leaf_b, NULL, NULL, &b);
	own_tlsa_leaf(&a, &ra);

	/* no TLSA: a warning with the records of both keys */
	base_in(&in, &a, 1, &b, 1, NULL, 0);
	in.state = OWN_TLSA_NONE;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "tlsa", OWN_WARNING));
	assert_non_null(strstr(find(&rep, "tlsa", OWN_WARNING)->fix, "IN TLSA 3 1 1"));
	assert_non_null(strstr(find(&rep, "tlsa", OWN_WARNING)->fix, "IN TLSA 2 1 1"));
	assert_null(find(&rep, "current", OWN_ERROR));
	own_report_free(&rep);

	in.state = OWN_TLSA_INSECURE;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "tlsa", OWN_ERROR));
	own_report_free(&rep);

	in.state = OWN_TLSA_BOGUS;
	in.tlsa_why = "signature expired";
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(strstr(find(&rep, "tlsa", OWN_ERROR)->msg, "signature expired"));
	own_report_free(&rep);

	in.state = OWN_TLSA_FAILED;
	in.deploy_check = 1;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "tlsa", OWN_UNKNOWN));
	assert_int_equal(own_report_exit(&rep), 3);
	assert_int_equal(own_roll_deploy_exit(&rep), 3);
	own_report_free(&rep);

	/* an unusable record (usage 1) next to a good one */
	bad = ra;
	bad.usage = 1;
	pubs[0] = pub_of(&ra, NOW - 500);
	pubs[1] = pub_of(&bad, NOW - 500);
	base_in(&in, &a, 1, NULL, 0, pubs, 2);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "current", OWN_OK));
	assert_non_null(find(&rep, "unusable", OWN_WARNING));
	own_report_free(&rep);

	/* only unusable records: the tlsa check is an error, so is current */
	base_in(&in, &a, 1, NULL, 0, pubs + 1, 1);
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "tlsa", OWN_ERROR));
	assert_non_null(find(&rep, "current", OWN_ERROR));
	own_report_free(&rep);

	/* only a matching type 0 record (not compared): unknown, never a
	 * false "OUTAGE NOW" */
	base_in(&in, &a, 1, NULL, 0, NULL, 0);
	in.nuncompared = 1;
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(find(&rep, "tlsa", OWN_OK));
	assert_non_null(find(&rep, "current", OWN_UNKNOWN));
	assert_null(find(&rep, "current", OWN_ERROR));
	own_report_free(&rep);

	/* the key in service unknown (probe failed, no files) */
	pubs[0] = pub_of(&ra, NOW - 500);
	base_in(&in, NULL, 0, NULL, 0, pubs, 1);
	in.live_why = "probe mx.example: connection refused";
	own_report_init(&rep);
	own_roll_check(&in, &rep);
	assert_non_null(strstr(find(&rep, "current", OWN_UNKNOWN)->msg, "connection refused"));
	assert_int_equal(count(&rep, "stale"), 0);
	own_report_free(&rep);
	own_keyset_free(&a);
	own_keyset_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_digests),
		cmocka_unit_test(test_current_and_next),
		cmocka_unit_test(test_ta_records),
		cmocka_unit_test(test_tlsa_states),
	};

	return cmocka_run_group_tests_name("own_roll", tests, group_setup, group_teardown);
}
