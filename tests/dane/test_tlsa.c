/* SPDX-License-Identifier: MIT */
/*
 * test_tlsa.c - the rdata parsers and the TLSA usability rules of
 * RFC 7672 §3.1 (src/dane/rr.c), table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dns/rr.h"
#include "util/hostname.h"

/* ---- helpers ---- */

static size_t mk_tlsa(unsigned char *out, unsigned u, unsigned s, unsigned m,
		      const unsigned char *data, size_t len)
{
	out[0] = (unsigned char)u;
	out[1] = (unsigned char)s;
	out[2] = (unsigned char)m;
	if (len)
		memcpy(out + 3, data, len);
	return 3 + len;
}

static EVP_PKEY *test_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* DER of a self-signed certificate and of its SubjectPublicKeyInfo. */
static void test_der(unsigned char **cert, size_t *certlen, unsigned char **spki,
		     size_t *spkilen)
{
	EVP_PKEY *k = test_key();
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *p;
	int len;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"mx.test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);

	len = i2d_X509(x, NULL);
	assert_true(len > 0);
	*cert = p = malloc((size_t)len);
	assert_non_null(p);
	i2d_X509(x, &p);
	*certlen = (size_t)len;

	len = i2d_PUBKEY(k, NULL);
	assert_true(len > 0);
	*spki = p = malloc((size_t)len);
	assert_non_null(p);
	i2d_PUBKEY(k, &p);
	*spkilen = (size_t)len;

	X509_free(x);
	EVP_PKEY_free(k);
}

/* ---- TLSA usability, one row per rule ---- */

struct usable_row {
	unsigned usage, selector, mtype;
	size_t datalen;         /* bytes of 0xab data (ignored for FULL_*) */
	int full;               /* 0 digest/raw, 1 certificate DER, 2 SPKI DER */
	int want;
	const char *want_why;   /* substring of the reason when unusable */
};

static const struct usable_row usable_rows[] = {
	/* usages: only DANE-TA(2) and DANE-EE(3) */
	{ 3, 1, 1, 32, 0, 1, NULL },
	{ 2, 1, 1, 32, 0, 1, NULL },
	{ 3, 0, 1, 32, 0, 1, NULL },
	{ 2, 0, 2, 64, 0, 1, NULL },
	{ 3, 1, 2, 64, 0, 1, NULL },
	{ 0, 0, 1, 32, 0, 0, "PKIX-TA" },
	{ 1, 1, 1, 32, 0, 0, "PKIX-EE" },
	{ 4, 1, 1, 32, 0, 0, "unknown certificate usage" },
	{ 255, 1, 1, 32, 0, 0, "unknown certificate usage" },
	/* selectors 0/1 */
	{ 3, 2, 1, 32, 0, 0, "unknown selector" },
	{ 3, 255, 1, 32, 0, 0, "unknown selector" },
	/* digest lengths */
	{ 3, 1, 1, 31, 0, 0, "not 32 bytes" },
	{ 3, 1, 1, 33, 0, 0, "not 32 bytes" },
	{ 3, 1, 1, 0, 0, 0, "not 32 bytes" },
	{ 3, 1, 1, 64, 0, 0, "not 32 bytes" },
	{ 3, 1, 2, 32, 0, 0, "not 64 bytes" },
	{ 3, 1, 2, 63, 0, 0, "not 64 bytes" },
	{ 3, 1, 2, 65, 0, 0, "not 64 bytes" },
	/* matching types */
	{ 3, 1, 3, 32, 0, 0, "unknown matching type" },
	{ 3, 1, 255, 32, 0, 0, "unknown matching type" },
	/* full data: must be a whole DER certificate / SPKI */
	{ 3, 0, 0, 0, 0, 0, "empty" },
	{ 3, 0, 0, 40, 0, 0, "not a DER certificate" },
	{ 3, 1, 0, 40, 0, 0, "not a DER SubjectPublicKeyInfo" },
	{ 3, 0, 0, 0, 1, 1, NULL },
	{ 2, 0, 0, 0, 1, 1, NULL },
	{ 3, 1, 0, 0, 2, 1, NULL },
	{ 2, 1, 0, 0, 2, 1, NULL },
	/* crossed: a certificate where an SPKI belongs and back */
	{ 3, 1, 0, 0, 1, 0, "SubjectPublicKeyInfo" },
	{ 3, 0, 0, 0, 2, 0, "certificate" },
	/* PKIX usages stay unusable even with perfect data */
	{ 1, 0, 0, 0, 1, 0, "PKIX" },
};

static void test_usable_table(void **state)
{
	unsigned char *cert, *spki, rdata[4096], filler[128];
	size_t certlen, spkilen;

	(void)state;
	memset(filler, 0xab, sizeof(filler));
	test_der(&cert, &certlen, &spki, &spkilen);
	for (size_t i = 0; i < sizeof(usable_rows) / sizeof(usable_rows[0]); i++) {
		const struct usable_row *r = &usable_rows[i];
		const unsigned char *data = r->full == 1 ? cert : r->full == 2 ? spki : filler;
		size_t dlen = r->full == 1 ? certlen : r->full == 2 ? spkilen : r->datalen;
		size_t n = mk_tlsa(rdata, r->usage, r->selector, r->mtype, data, dlen);
		struct tlsa_rr rr;
		const char *why = NULL;
		int got;

		assert_int_equal(rr_tlsa(rdata, n, &rr, NULL), 0);
		assert_int_equal(rr.usage, r->usage);
		assert_int_equal(rr.selector, r->selector);
		assert_int_equal(rr.mtype, r->mtype);
		assert_int_equal(rr.len, dlen);
		got = tlsa_usable(&rr, &why);
		if (got != r->want)
			fail_msg("row %zu (%u %u %u, %zu bytes): usable=%d, want %d (%s)",
				 i, r->usage, r->selector, r->mtype, dlen, got, r->want,
				 why ? why : "");
		if (r->want_why) {
			assert_non_null(why);
			if (strstr(why, r->want_why) == NULL)
				fail_msg("row %zu: reason \"%s\" lacks \"%s\"", i, why,
					 r->want_why);
		} else {
			assert_null(why);
		}
	}
	/* a certificate followed by junk is not "a certificate" */
	{
		unsigned char *junk = malloc(certlen + 1);
		struct tlsa_rr rr;
		size_t n;

		assert_non_null(junk);
		memcpy(junk, cert, certlen);
		junk[certlen] = 0;
		n = mk_tlsa(rdata, 3, 0, 0, junk, certlen + 1);
		assert_int_equal(rr_tlsa(rdata, n, &rr, NULL), 0);
		assert_int_equal(tlsa_usable(&rr, NULL), 0);
		free(junk);
	}
	free(cert);
	free(spki);
}

static void test_tlsa_malformed(void **state)
{
	const unsigned char short2[] = { 3, 1 };
	struct tlsa_rr rr;
	struct errbuf why;

	(void)state;
	assert_int_equal(rr_tlsa(short2, 0, &rr, &why), -1);
	assert_int_equal(rr_tlsa(short2, 1, &rr, &why), -1);
	assert_int_equal(rr_tlsa(short2, 2, &rr, &why), -1);
	assert_non_null(strstr(why.msg, "truncated"));
	/* three bytes: parses, data empty, unusable */
	{
		const unsigned char three[] = { 3, 1, 1 };

		assert_int_equal(rr_tlsa(three, 3, &rr, &why), 0);
		assert_int_equal(rr.len, 0);
		assert_int_equal(tlsa_usable(&rr, NULL), 0);
	}
	assert_string_equal(tlsa_usage_name(3), "DANE-EE");
	assert_string_equal(tlsa_usage_name(2), "DANE-TA");
	assert_null(tlsa_usage_name(7));
}

/* ---- names, MX, addresses ---- */

struct name_row {
	const char *wire;  /* as a C string with embedded lengths */
	size_t len;
	int want_rc;
	const char *want;  /* text, or substring of the error */
};

#define W(s) s, sizeof(s) - 1

static const struct name_row name_rows[] = {
	{ W("\x02mx\x07" "Example\x03" "com\x00"), 0, "mx.example.com" },
	{ W("\x00"), 0, "." },
	{ W("\x03" "a_b\x01-\x00"), 0, "a_b.-" },
	{ W("\x03" "a.b\x00"), 0, "a\\046b" },            /* dot inside a label */
	{ W("\x02" "a\\\x00"), 0, "a\\092" },             /* backslash */
	{ W("\x01\xff\x00"), 0, "\\255" },
	{ W("\x01" " \x00"), 0, "\\032" },
	{ W(""), -1, "truncated" },
	{ W("\x02mx"), -1, "truncated" },                 /* no root label */
	{ W("\x05mx"), -1, "truncated" },                 /* label past the end */
	{ W("\xc0\x0c"), -1, "compressed" },
	{ W("\x41" "a"), -1, "bad label type" },
	{ W("\x80" "a"), -1, "bad label type" },
};

static void test_names(void **state)
{
	char out[DNS_NAME_BUF];
	struct errbuf why;

	(void)state;
	for (size_t i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++) {
		const struct name_row *r = &name_rows[i];
		size_t used = 0;
		int rc = rr_name((const unsigned char *)r->wire, r->len, &used, out,
				 sizeof(out), &why);

		if (rc != r->want_rc)
			fail_msg("row %zu: rc %d, want %d", i, rc, r->want_rc);
		if (rc == 0) {
			assert_string_equal(out, r->want);
			assert_int_equal(used, r->len);
		} else if (strstr(why.msg, r->want) == NULL) {
			fail_msg("row %zu: error \"%s\" lacks \"%s\"", i, why.msg, r->want);
		}
	}
}

static void test_name_limits(void **state)
{
	unsigned char wire[300];
	char out[DNS_NAME_BUF];
	size_t o = 0, used;
	struct errbuf why;

	(void)state;
	/* 63-byte labels: four of them plus the root is 257 octets: too long */
	for (int l = 0; l < 4; l++) {
		wire[o++] = 63;
		memset(wire + o, 'a', 63);
		o += 63;
	}
	wire[o++] = 0;
	assert_int_equal(rr_name(wire, o, &used, out, sizeof(out), &why), -1);
	assert_non_null(strstr(why.msg, "255"));
	/* three 63-byte labels + one 61-byte label = 255 octets: fine */
	o = 0;
	for (int l = 0; l < 3; l++) {
		wire[o++] = 63;
		memset(wire + o, 'a', 63);
		o += 63;
	}
	wire[o++] = 61;
	memset(wire + o, 'b', 61);
	o += 61;
	wire[o++] = 0;
	assert_int_equal(o, 255);
	assert_int_equal(rr_name(wire, o, &used, out, sizeof(out), &why), 0);
	assert_int_equal(strlen(out), 253);
	/* an output buffer too small is an error, not an overflow */
	assert_int_equal(rr_name(wire, o, &used, out, 100, &why), -1);
	/* every octet escaped still fits DNS_NAME_BUF */
	o = 0;
	for (int l = 0; l < 3; l++) {
		wire[o++] = 63;
		memset(wire + o, 0xfe, 63);
		o += 63;
	}
	wire[o++] = 61;
	memset(wire + o, 0xfe, 61);
	o += 61;
	wire[o++] = 0;
	assert_int_equal(rr_name(wire, o, &used, out, sizeof(out), &why), 0);
	assert_int_equal(strlen(out), 250 * 4 + 3);
}

static void test_mx(void **state)
{
	const unsigned char ok[] = "\x00\x0a\x02mx\x04test\x00";
	const unsigned char null_mx[] = "\x00\x00\x00";
	const unsigned char trailing[] = "\x00\x0a\x02mx\x00\x01";
	char host[DNS_NAME_BUF];
	unsigned pref;
	struct errbuf why;

	(void)state;
	assert_int_equal(rr_mx(ok, sizeof(ok) - 1, &pref, host, sizeof(host), &why), 0);
	assert_int_equal(pref, 10);
	assert_string_equal(host, "mx.test");
	assert_int_equal(rr_mx(null_mx, 3, &pref, host, sizeof(host), &why), 0);
	assert_int_equal(pref, 0);
	assert_string_equal(host, ".");
	assert_int_equal(rr_mx(trailing, sizeof(trailing) - 1, &pref, host,
			       sizeof(host), &why), -1);
	assert_non_null(strstr(why.msg, "after the name"));
	assert_int_equal(rr_mx(ok, 1, &pref, host, sizeof(host), &why), -1);
	assert_int_equal(rr_mx(ok, 2, &pref, host, sizeof(host), &why), -1);
}

static void test_addr(void **state)
{
	const unsigned char v4[] = { 192, 0, 2, 25 };
	unsigned char v6[16] = { 0 };
	char out[46];
	struct errbuf why;

	(void)state;
	v6[15] = 1;
	assert_int_equal(rr_addr(DNS_TYPE_A, v4, 4, out, sizeof(out), &why), 0);
	assert_string_equal(out, "192.0.2.25");
	assert_int_equal(rr_addr(DNS_TYPE_AAAA, v6, 16, out, sizeof(out), &why), 0);
	assert_string_equal(out, "::1");
	assert_int_equal(rr_addr(DNS_TYPE_A, v4, 3, out, sizeof(out), &why), -1);
	assert_int_equal(rr_addr(DNS_TYPE_AAAA, v6, 4, out, sizeof(out), &why), -1);
	assert_int_equal(rr_addr(DNS_TYPE_MX, v4, 4, out, sizeof(out), &why), -1);
}

static void test_hostnames(void **state)
{
	static const struct {
		const char *in;
		int valid;
	} rows[] = {
		{ "mx.example.com", 1 }, { "a", 1 }, { "mx-1.x_y.test", 1 },
		{ "", 0 }, { ".", 0 }, { "a..b", 0 }, { ".a", 0 }, { "a.", 0 },
		{ "1.2.3.4", 0 }, { "mx.123", 0 }, { "123.mx", 1 }, { "a b", 0 },
		{ "a\\046b", 0 }, { "ex\xc3\xa4mple.com", 0 },
		/* RFC 1123 section 2.1: no label begins or ends with a hyphen */
		{ "-a.example", 0 }, { "a-.example", 0 }, { "a.-b.example", 0 },
		{ "a.b-", 0 }, { "a-b.example", 1 }, { "xn--bcher-kva.example", 1 },
	};
	char big[300], out[300];
	struct errbuf why;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (hostname_valid(rows[i].in) != rows[i].valid)
			fail_msg("\"%s\": want %d", rows[i].in, rows[i].valid);
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(hostname_valid(big), 0); /* label > 63 */
	for (int i = 0; i < 254; i++)
		big[i] = (i % 2) ? '.' : 'a';
	big[253] = '\0';
	assert_int_equal(hostname_valid(big), 1);
	big[253] = 'a';
	big[254] = '\0';
	assert_int_equal(hostname_valid(big), 0); /* 254 characters */

	assert_int_equal(rr_domain_normalize("Example.COM.", out, sizeof(out), &why), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(rr_domain_normalize("bad domain", out, sizeof(out), &why), -1);
	assert_non_null(strstr(why.msg, "invalid domain name"));
	assert_int_equal(rr_domain_normalize(".", out, sizeof(out), &why), -1);
	assert_int_equal(rr_domain_normalize("", out, sizeof(out), &why), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usable_table),
		cmocka_unit_test(test_tlsa_malformed),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_hostnames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
