/* SPDX-License-Identifier: MIT */
/*
 * test_certinfo - certificate facts, Postfix-style fingerprints and TLSA
 * matching (probe/certinfo.h) on certificates made here with OpenSSL: a
 * root, an issuing CA and a leaf.  Fingerprints are compared with
 * OpenSSL's own X509_digest() / X509_pubkey_digest(), and the text form
 * with Postfix's tls_digest_encode() format (upper-case hex, ':').
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "probe/certinfo.h"

static EVP_PKEY *root_key, *ca_key, *leaf_key;
static X509 *root, *ca, *leaf;

static X509 *make(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer,
		  EVP_PKEY *issuer_key, long from, long days, int is_ca)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), from + days * 86400L);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (san) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	{
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
							is_ca ? "critical,CA:TRUE" : "CA:FALSE");

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static int setup(void **state)
{
	(void)state;
	root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	root = make("Test Root", NULL, root_key, NULL, NULL, -86400, 3650, 1);
	ca = make("Test Issuing", NULL, ca_key, root, root_key, -86400, 3650, 1);
	leaf = make("mx.example.org", "DNS:mx.example.org,DNS:*.mail.example.org,IP:192.0.2.1",
		    leaf_key, ca, ca_key, -86400, 90, 0);
	return root && ca && leaf ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(root);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return 0;
}

static void test_fprint_format(void **state)
{
	unsigned char md[32];
	char out[FPRINT_TEXT_MAX], small[8];

	(void)state;
	for (int i = 0; i < 32; i++)
		md[i] = (unsigned char)(i * 8 + 10);
	fprint_format(md, 32, out, sizeof(out));
	assert_int_equal(strlen(out), 95);
	assert_memory_equal(out, "0A:12:1A:22:2A:32", 17);
	assert_string_equal(out + 90, "FA:02");   /* 250, 258 & 255 */
	fprint_format(md, 1, out, sizeof(out));
	assert_string_equal(out, "0A");
	fprint_format(md, 32, small, sizeof(small));   /* cut, still terminated */
	assert_true(strlen(small) < sizeof(small));
}

static void test_leaf_facts(void **state)
{
	struct cert_info ci;
	struct errbuf why;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	(void)state;
	assert_int_equal(cert_info_from_x509(leaf, &ci, &why), 0);
	assert_string_equal(ci.subject, "CN=mx.example.org");
	assert_string_equal(ci.issuer, "CN=Test Issuing");
	assert_int_equal(ci.ndns, 2);
	assert_string_equal(ci.dns[0], "mx.example.org");
	assert_string_equal(ci.dns[1], "*.mail.example.org");
	assert_int_equal(ci.ncn, 1);
	assert_string_equal(ci.cn[0], "mx.example.org");
	assert_int_equal(ci.nip, 1);
	assert_string_equal(ci.ip[0], "192.0.2.1");
	assert_string_equal(ci.key_type, "RSA");
	assert_int_equal(ci.key_bits, 2048);
	assert_string_equal(ci.serial, "1234");
	assert_false(ci.is_ca);
	assert_false(ci.self_issued);
	assert_true(ci.not_after - ci.not_before == 90 * 86400L);
	/* fingerprints: OpenSSL's own digests */
	assert_int_equal(X509_digest(leaf, EVP_sha256(), md, &mdlen), 1);
	assert_memory_equal(ci.cert_sha256, md, 32);
	assert_int_equal(X509_pubkey_digest(leaf, EVP_sha256(), md, &mdlen), 1);
	/* X509_pubkey_digest hashes the key bits only; Postfix hashes the DER
	 * SubjectPublicKeyInfo, which is what we must match */
	{
		unsigned char *der = NULL;
		int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
		unsigned char want[32];
		unsigned int wl;

		assert_true(len > 0);
		EVP_Digest(der, (size_t)len, want, &wl, EVP_sha256(), NULL);
		assert_memory_equal(ci.pkey_sha256, want, 32);
		assert_int_equal(ci.spkilen, (size_t)len);
		OPENSSL_free(der);
	}
	{
		struct namematch_cert n;

		cert_info_names(&ci, &n);
		assert_int_equal(n.ndns, 2);
		assert_int_equal(n.ncn, 1);
	}
	cert_info_free(&ci);

	assert_int_equal(cert_info_from_x509(ca, &ci, &why), 0);
	assert_true(ci.is_ca);
	assert_string_equal(ci.key_type, "EC");
	assert_int_equal(ci.key_bits, 256);
	assert_string_equal(ci.key_curve, "prime256v1");
	assert_int_equal(ci.ndns, 0);
	cert_info_free(&ci);

	assert_int_equal(cert_info_from_x509(root, &ci, &why), 0);
	assert_true(ci.self_issued);
	cert_info_free(&ci);
}

static void test_time_format(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(cert_time_format(0, b, sizeof(b)), "1970-01-01T00:00:00Z");
	assert_string_equal(cert_time_format(1700000000, b, sizeof(b)), "2023-11-14T22:13:20Z");
}

static void test_tlsa(void **state)
{
	struct cert_info chain[3];
	struct errbuf why;
	unsigned char d256[32], d512[64];
	unsigned int l;
	struct tlsa_rr rr;
	int depth;

	(void)state;
	assert_int_equal(cert_info_from_x509(leaf, &chain[0], &why), 0);
	assert_int_equal(cert_info_from_x509(ca, &chain[1], &why), 0);
	assert_int_equal(cert_info_from_x509(root, &chain[2], &why), 0);

	/* 3 1 1: leaf SPKI SHA-256 */
	memset(&rr, 0, sizeof(rr));
	rr.usage = TLSA_DANE_EE;
	rr.selector = TLSA_SEL_SPKI;
	rr.mtype = TLSA_MATCH_SHA256;
	rr.data = chain[0].pkey_sha256;
	rr.len = 32;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	assert_int_equal(depth, 0);
	/* 3 0 1: leaf certificate SHA-256 */
	rr.selector = TLSA_SEL_CERT;
	rr.data = chain[0].cert_sha256;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	/* 3 0 0: the full certificate */
	rr.mtype = TLSA_MATCH_FULL;
	rr.data = chain[0].der;
	rr.len = chain[0].derlen;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	/* 3 1 2: SHA-512 of the SPKI */
	EVP_Digest(chain[0].spki, chain[0].spkilen, d512, &l, EVP_sha512(), NULL);
	rr.selector = TLSA_SEL_SPKI;
	rr.mtype = TLSA_MATCH_SHA512;
	rr.data = d512;
	rr.len = 64;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	/* DANE-EE of the CA's key: no match (EE is the leaf only) */
	rr.mtype = TLSA_MATCH_SHA256;
	rr.data = chain[1].pkey_sha256;
	rr.len = 32;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_NOMATCH);
	assert_int_equal(depth, -1);
	/* 2 1 1 of the issuing CA: depth 1; of the root: depth 2 */
	rr.usage = TLSA_DANE_TA;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	assert_int_equal(depth, 1);
	rr.data = chain[2].pkey_sha256;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	assert_int_equal(depth, 2);
	/* DANE-TA never matches the leaf */
	rr.data = chain[0].pkey_sha256;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_NOMATCH);
	/* 2 0 1 of the CA certificate */
	EVP_Digest(chain[1].der, chain[1].derlen, d256, &l, EVP_sha256(), NULL);
	rr.selector = TLSA_SEL_CERT;
	rr.data = d256;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_MATCH);
	assert_int_equal(depth, 1);
	/* wrong length for the matching type: no match */
	rr.len = 31;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_NOMATCH);
	/* PKIX usages and unknown selector/type: ignored as Postfix does */
	rr.len = 32;
	rr.usage = TLSA_PKIX_EE;
	rr.data = chain[0].cert_sha256;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_IGNORED);
	rr.usage = TLSA_DANE_EE;
	rr.selector = 2;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_IGNORED);
	rr.selector = 0;
	rr.mtype = 3;
	assert_int_equal(tlsa_match_chain(&rr, chain, 3, &depth), TLSA_CHAIN_IGNORED);
	/* an empty chain matches nothing */
	rr.mtype = TLSA_MATCH_SHA256;
	assert_int_equal(tlsa_match_chain(&rr, chain, 0, &depth), TLSA_CHAIN_NOMATCH);
	for (int i = 0; i < 3; i++)
		cert_info_free(&chain[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fprint_format),
		cmocka_unit_test(test_leaf_facts),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_tlsa),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
