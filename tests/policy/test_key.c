/* SPDX-License-Identifier: MIT */
/*
 * test_key - table-driven tests of policy_key_normalize(): the key forms
 * Postfix queries smtp_tls_policy_maps with, their normal form and kind,
 * and rejected keys with their exact messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

struct key_case {
	const char *in;
	int ok;
	const char *want;  /* normal form, or the message */
	enum policy_key_kind kind;
};

static const struct key_case cases[] = {
	{"example.com", 1, "example.com", POLICY_KEY_DOMAIN},
	{"Example.COM.", 1, "example.com", POLICY_KEY_DOMAIN},
	{"com", 1, "com", POLICY_KEY_DOMAIN},
	{".example.com", 1, ".example.com", POLICY_KEY_PARENT},
	{".Example.Com.", 1, ".example.com", POLICY_KEY_PARENT},
	{"[mail.example.com]", 1, "[mail.example.com]", POLICY_KEY_HOST},
	{"[Mail.Example.com.]:587", 1, "[mail.example.com]:587",
	 POLICY_KEY_HOST},
	{"[mail.example.com]:Submission", 1, "[mail.example.com]:submission",
	 POLICY_KEY_HOST},
	{"example.com:2525", 1, "example.com:2525", POLICY_KEY_HOST},
	{"[192.0.2.1]", 1, "[192.0.2.1]", POLICY_KEY_ADDRESS},
	{"[192.0.2.1]:25", 1, "[192.0.2.1]:25", POLICY_KEY_ADDRESS},
	{"[2001:DB8::1]", 1, "[2001:db8::1]", POLICY_KEY_ADDRESS},
	{"[2001:db8::1]:2525", 1, "[2001:db8::1]:2525", POLICY_KEY_ADDRESS},
	{"[IPv6:2001:DB8::1]", 1, "[ipv6:2001:db8::1]", POLICY_KEY_ADDRESS},
	{"[::ffff:192.0.2.1]", 1, "[::ffff:192.0.2.1]", POLICY_KEY_ADDRESS},
	{"_default", 1, "_default", POLICY_KEY_DEFAULT},
	{"_DEFAULT", 1, "_default", POLICY_KEY_DEFAULT},
	{"b\xc3\xbc" "cher.de", 1, "xn--bcher-kva.de", POLICY_KEY_DOMAIN},
	{"B\xc3\x9c" "CHER.DE", 1, "xn--bcher-kva.de", POLICY_KEY_DOMAIN},
	{".b\xc3\xbc" "cher.de", 1, ".xn--bcher-kva.de", POLICY_KEY_PARENT},
	{"[mx.b\xc3\xbc" "cher.de]:25", 1, "[mx.xn--bcher-kva.de]:25",
	 POLICY_KEY_HOST},
	{"XN--BCHER-KVA.de", 1, "xn--bcher-kva.de", POLICY_KEY_DOMAIN},
	{"a-b.example", 1, "a-b.example", POLICY_KEY_DOMAIN},

	{"", 0, "empty key", 0},
	{"a b", 0, "invalid character ' ' in key \"a b\"", 0},
	{"a\x01" "b", 0, "invalid character '\\x01' in key \"a\\x01b\"", 0},
	{"a,b", 0, "invalid character ',' in key \"a,b\"", 0},
	{"user@example.com", 0,
	 "invalid character '@' in key \"user@example.com\"", 0},
	{"*.example.com", 0,
	 "invalid character '*' in key \"*.example.com\"", 0},
	{"ex!ample.com", 0, "invalid key \"ex!ample.com\": invalid character "
	 "'!' in host name \"ex!ample.com\"", 0},
	{"foo_bar.com", 0, "invalid key \"foo_bar.com\": invalid character "
	 "'_' in host name \"foo_bar.com\"", 0},
	{"_foo", 0, "invalid character '_' in key \"_foo\"", 0},
	{"1.2.3.4", 0, "invalid key \"1.2.3.4\": numeric host name "
	 "\"1.2.3.4\"", 0},
	{"example.123", 0, "invalid key \"example.123\": numeric top-level "
	 "label (write an IP address as [address])", 0},
	{"example..com", 0, "invalid key \"example..com\": misplaced '.' in "
	 "host name \"example..com\"", 0},
	{"-a.com", 0, "invalid key \"-a.com\": misplaced '-' in host name "
	 "\"-a.com\"", 0},
	{"a-.com", 0, "invalid key \"a-.com\": misplaced '-' in host name "
	 "\"a-.com\"", 0},
	{".", 0, "invalid key \".\": empty domain after '.'", 0},
	{"..com", 0, "invalid key \"..com\": empty domain after '.'", 0},
	{".example.com:25", 0, "invalid character ':' in key "
	 "\".example.com:25\" (a .domain key has no port)", 0},
	{"[mail.example.com", 0,
	 "missing ']' in key \"[mail.example.com\"", 0},
	{"[mail]x", 0, "invalid character 'x' after ']' in key \"[mail]x\"", 0},
	{"[]", 0, "empty host in key \"[]\"", 0},
	{"[192.0.2.256]", 0, "invalid IPv4 address in key \"[192.0.2.256]\"", 0},
	{"[ipv6:192.0.2.1]", 0,
	 "invalid IPv6 address in key \"[ipv6:192.0.2.1]\"", 0},
	{"[2001:db8::g]", 0, "invalid IPv6 address in key \"[2001:db8::g]\"", 0},
	{"[x.example]:0", 0, "invalid port \"0\" in key \"[x.example]:0\" "
	 "(expected 1-65535 or a service name)", 0},
	{"[x.example]:65536", 0, "invalid port \"65536\" in key "
	 "\"[x.example]:65536\" (expected 1-65535 or a service name)", 0},
	{"[x.example]:025", 0, "invalid port \"025\" in key "
	 "\"[x.example]:025\" (expected 1-65535 or a service name)", 0},
	{"[x.example]:", 0, "empty port in key \"[x.example]:\"", 0},
	{"x.example:s_mtp", 0, "invalid port \"s_mtp\" in key "
	 "\"x.example:s_mtp\" (expected 1-65535 or a service name)", 0},
	{"xn--zz.com", 0, "invalid key \"xn--zz.com\": invalid A-label in "
	 "host name \"xn--zz.com\": string contains invalid punycode data", 0},
	{"a\xff" "b.com", 0, "invalid key \"a\\xffb.com\": invalid "
	 "UTF-8 in host name \"a\\xffb.com\"", 0},
	{"a\xcc\x88.example", 1, "xn--4ca.example",
	 POLICY_KEY_DOMAIN},
	/* UTS #46 maps ZERO WIDTH SPACE to nothing, as Postfix (ICU) does */
	{"a\xe2\x80\x8b" "b.example", 1, "ab.example", POLICY_KEY_DOMAIN},
	{"\xe2\x99\xa5.example", 0, "invalid key \"\\xe2\\x99\\xa5.example\": "
	 "invalid internationalised name \"\\xe2\\x99\\xa5.example\": "
	 "string contains a disallowed character", 0},
	{"a\xc2\xa0" "b.example", 0, "invalid key \"a\\xc2\\xa0b.example\": "
	 "invalid character ' ' in host name \"a b.example\"", 0},
};

static void test_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct key_case *c = &cases[i];
		char out[POLICY_KEY_MAX], again[POLICY_KEY_MAX];
		enum policy_key_kind kind = POLICY_KEY_DEFAULT, kind2;
		struct errbuf why;
		int rc;

		why.msg[0] = '\0';
		rc = policy_key_normalize(c->in, out, sizeof(out), &kind, &why);
		if (c->ok) {
			if (rc < 0)
				fail_msg("case %zu \"%s\": %s", i, c->in,
					 why.msg);
			assert_string_equal(out, c->want);
			assert_int_equal(kind, c->kind);
			/* normalising a normal form changes nothing */
			assert_int_equal(policy_key_normalize(out, again,
					 sizeof(again), &kind2, &why), 0);
			assert_string_equal(again, out);
			assert_int_equal(kind2, kind);
		} else {
			if (rc == 0)
				fail_msg("case %zu \"%s\": accepted as \"%s\"",
					 i, c->in, out);
			if (strcmp(why.msg, c->want) != 0)
				fail_msg("case %zu:\n got \"%s\"\nwant \"%s\"",
					 i, why.msg, c->want);
		}
	}
}

static void test_long(void **state)
{
	char in[300], out[POLICY_KEY_MAX];
	struct errbuf why;
	int i, o = 0;

	(void)state;
	/* 4 x 63-byte labels = 255 bytes: too long for DNS */
	for (i = 0; i < 4; i++) {
		memset(in + o, 'a' + i, 63);
		o += 63;
		in[o++] = '.';
	}
	in[o - 1] = '\0';
	assert_int_equal(policy_key_normalize(in, out, sizeof(out), NULL,
					      &why), -1);
	assert_string_equal(why.msg + strlen(why.msg) - 31,
			    "host name longer than 253 bytes");
	/* a 64-byte label */
	memset(in, 'a', 64);
	strcpy(in + 64, ".com");
	assert_int_equal(policy_key_normalize(in, out, sizeof(out), NULL,
					      &why), -1);
	assert_non_null(strstr(why.msg, "label longer than 63 bytes"));
	/* the longest valid name fits with brackets and a port */
	o = 0;
	for (i = 0; i < 4; i++) {
		memset(in + o, 'a' + i, i < 3 ? 63 : 61);
		o += i < 3 ? 63 : 61;
		in[o++] = '.';
	}
	in[o - 1] = '\0';
	{
		char br[320];

		snprintf(br, sizeof(br), "[%s]:65535", in);
		assert_int_equal(policy_key_normalize(br, out, sizeof(out),
						      NULL, &why), 0);
		assert_string_equal(out, br);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
