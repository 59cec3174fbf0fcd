/* SPDX-License-Identifier: MIT */
/*
 * test_policy - table-driven tests of policy_parse()/policy_format():
 * every level, every attribute at every level (allowed or not, per
 * Postfix 3.7 smtp_tls_policy.c and the postfix_compat gate), each value
 * syntax, the { } form, canonical round trips, and invalid inputs with
 * their exact messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

struct ok_case {
	const char *in;
	unsigned compat; /* 0: default (307) */
	const char *want; /* canonical text */
};

struct bad_case {
	const char *in;
	unsigned compat;
	const char *msg;
};

#define FP_SHA1 "B6:B4:72:34:E2:59:CD:6C:B8:C2:CA:63:0D:4D:CC:2C:7D:84:DE:E6"
#define FP_SHA256 "51:E9:AF:2E:1E:40:1F:00:00:00:64:0A:30:35:2D:09:" \
	"16:31:5A:EB:82:76:00:11:22:33:44:55:66:77:88:99"

static const struct ok_case ok_cases[] = {
	/* every level, any case */
	{"none", 0, "none"},
	{"may", 0, "may"},
	{"encrypt", 0, "encrypt"},
	{"dane", 0, "dane"},
	{"dane-only", 0, "dane-only"},
	{"fingerprint", 0, "fingerprint"},
	{"verify", 0, "verify"},
	{"secure", 0, "secure"},
	{"SECURE", 0, "secure"},
	{"  Dane-Only  ", 0, "dane-only"},
	/* separators: whitespace, commas, CR/LF like Postfix CHARS_COMMA_SP */
	{"may,ciphers=high,,protocols=TLSv1.2", 0,
	 "may ciphers=high protocols=TLSv1.2"},
	{"may\tciphers=high\r\n exclude=RC4", 0,
	 "may ciphers=high exclude=RC4"},
	/* ciphers: grades, lower-cased */
	{"may ciphers=export", 0, "may ciphers=export"},
	{"may ciphers=LOW", 0, "may ciphers=low"},
	{"encrypt ciphers=Medium", 0, "encrypt ciphers=medium"},
	{"dane ciphers=high", 0, "dane ciphers=high"},
	{"secure ciphers=null", 0, "secure ciphers=null"},
	/* exclude */
	{"may exclude=3DES:aNULL:RC4-MD5", 0, "may exclude=3DES:aNULL:RC4-MD5"},
	{"encrypt { exclude = RC4, MD5 3DES }", 310,
	 "encrypt exclude=RC4:MD5:3DES"},
	{"may exclude=", 0, "may exclude="},
	/* protocols: Postfix >= / <= / ! syntax and names */
	{"may protocols=>=TLSv1.2", 0, "may protocols=>=TLSv1.2"},
	{"encrypt protocols=<=tlsv1.3", 0, "encrypt protocols=<=TLSv1.3"},
	{"encrypt protocols=!SSLv2:!sslv3:!TLSv1", 0,
	 "encrypt protocols=!SSLv2:!SSLv3:!TLSv1"},
	{"secure protocols=TLSv1.2:TLSv1.3", 0,
	 "secure protocols=TLSv1.2:TLSv1.3"},
	{"verify { protocols = >=TLSv1.1 <=TLSv1.2, !SSLv3 }", 310,
	 "verify protocols=>=TLSv1.1:<=TLSv1.2:!SSLv3"},
	{"may protocols=>=0x0303", 0, "may protocols=>=0x0303"},
	{"may protocols=>=None", 0, "may protocols=>=None"},
	{"may protocols=", 0, "may protocols="},
	/* servername */
	{"may servername=hostname", 0, "may servername=hostname"},
	{"dane servername=mx1.Example.com", 0,
	 "dane servername=mx1.Example.com"},
	/* connection_reuse: last one wins */
	{"encrypt connection_reuse=YES", 0, "encrypt connection_reuse=yes"},
	{"dane-only connection_reuse=yes connection_reuse=no", 0,
	 "dane-only connection_reuse=no"},
	/* match at fingerprint: | lists, repeatable, normalised */
	{"fingerprint match=" FP_SHA1, 0, "fingerprint match=" FP_SHA1},
	{"fingerprint match=b6b47234e259cd6cb8c2ca630d4dcc2c7d84dee6", 0,
	 "fingerprint match=" FP_SHA1},
	{"fingerprint match=" FP_SHA1 "|" FP_SHA256 " match=" FP_SHA256, 0,
	 "fingerprint match=" FP_SHA1 "|" FP_SHA256 " match=" FP_SHA256},
	{"fingerprint match=00112233445566778899aabbccddeeff", 0,
	 "fingerprint match=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"},
	/* match at verify/secure: strategies, names, .domain, A-labels */
	{"verify match=hostname", 0, "verify match=hostname"},
	{"secure match=nexthop:dot-nexthop", 0,
	 "secure match=nexthop:dot-nexthop"},
	{"secure match=.Example.NET:example.net", 0,
	 "secure match=.example.net:example.net"},
	{"secure match=b\xc3\xbc" "cher.de", 0,
	 "secure match=xn--bcher-kva.de"},
	{"secure match=a.example match=b.example", 0,
	 "secure match=a.example match=b.example"},
	{"secure match=a.example::b.example", 0,
	 "secure match=a.example:b.example"},
	/* the design document's Hostpoint template: a leading "*." label */
	{"secure match=*.mail.hostpoint.ch", 0,
	 "secure match=*.mail.hostpoint.ch"},
	{"verify match=*.Mail.Example.COM:.example.com", 0,
	 "verify match=*.mail.example.com:.example.com"},
	{"secure match=*.b\xc3\xbc" "cher.de", 0,
	 "secure match=*.xn--bcher-kva.de"},
	/* tafile: repeatable */
	{"verify tafile=/etc/postfix/ta.pem", 0,
	 "verify tafile=/etc/postfix/ta.pem"},
	{"secure tafile=/a.pem tafile=/b.pem", 0,
	 "secure tafile=/a.pem tafile=/b.pem"},
	/* canonical order */
	{"secure ciphers=high match=nexthop protocols=>=TLSv1.2 "
	 "tafile=/ta.pem connection_reuse=no exclude=RC4 servername=x.example",
	 0, "secure match=nexthop tafile=/ta.pem ciphers=high exclude=RC4 "
	 "protocols=>=TLSv1.2 servername=x.example connection_reuse=no"},
	/* the { name = value } form */
	{"secure {match=nexthop}", 310, "secure match=nexthop"},
	{"secure { match = nexthop:hostname } , {ciphers=high}", 310,
	 "secure match=nexthop:hostname ciphers=high"},
	{"verify {MATCH = hostname}", 310, "verify match=hostname"},
	/* enable_rpk: Postfix 3.9 */
	{"may enable_rpk=yes", 309, "may enable_rpk=yes"},
	{"secure enable_rpk=No", 310, "secure enable_rpk=no"},
	/* TLSRPT: Postfix 3.10 */
	{"may policy_type=sts", 310, "may policy_type=sts"},
	{"dane policy_type=no-policy-found policy_domain=Example.COM", 310,
	 "dane policy_type=no-policy-found policy_domain=example.com"},
	{"secure match=mx.example.com policy_type=sts "
	 "{ policy_string = version: STSv1 } "
	 "{ policy_string = mode:\tenforce } "
	 "mx_host_pattern=*.Example.com mx_host_pattern=mx.example.com "
	 "policy_domain=example.com policy_failure=sts-webpki-invalid", 310,
	 "secure match=mx.example.com policy_type=sts "
	 "policy_domain=example.com { policy_string = version: STSv1 } "
	 "{ policy_string = mode: enforce } mx_host_pattern=*.example.com "
	 "mx_host_pattern=mx.example.com policy_failure=sts-webpki-invalid"},
	{"may policy_type=sts policy_failure=VALIDATION-FAILURE", 310,
	 "may policy_type=sts policy_failure=validation-failure"},
};

#define LEVELS " (valid: none, may, encrypt, dane, dane-only, fingerprint, " \
	"verify, secure)"

static const struct bad_case bad_cases[] = {
	{"", 0, "empty policy"},
	{" , ", 0, "empty policy"},
	{"bogus", 0, "unknown TLS security level \"bogus\"" LEVELS},
	{"dane_only", 0, "unknown TLS security level \"dane_only\"" LEVELS},
	{"{secure}", 0, "unknown TLS security level \"{secure}\"" LEVELS},
	{"half-dane", 0, "unknown TLS security level \"half-dane\"" LEVELS},
	{"secure {match=nexthop}", 0, "malformed attribute \"{match=nexthop}\": "
	 "the { name = value } form requires Postfix 3.10 or later "
	 "(postfix_compatibility is 3.7; set it in tlspolicy.cf when Postfix is newer)"},
	{"may { ciphers = high }", 309, "malformed attribute \"{ ciphers = high }\": "
	 "the { name = value } form requires Postfix 3.10 or later "
	 "(postfix_compatibility is 3.9; set it in tlspolicy.cf when Postfix is newer)"},
	{"none ciphers=high", 0, "ciphers is not allowed at level none "
	 "(Postfix ignores all attributes with TLS disabled)"},
	{"none {match = x}", 0, "match is not allowed at level none "
	 "(Postfix ignores all attributes with TLS disabled)"},
	{"may match=nexthop", 0, "match is not allowed at level may"},
	{"encrypt match=foo", 0, "match is not allowed at level encrypt"},
	{"dane match=nexthop", 0, "match is not allowed at level dane"},
	{"dane-only match=nexthop", 0,
	 "match is not allowed at level dane-only"},
	{"fingerprint tafile=/x", 0,
	 "tafile is not allowed at level fingerprint"},
	{"dane tafile=/x", 0, "tafile is not allowed at level dane"},
	{"encrypt tafile=/x", 0, "tafile is not allowed at level encrypt"},
	{"may foo=bar", 0, "unknown attribute \"foo\" (valid at level may: "
	 "ciphers, exclude, protocols, servername, connection_reuse)"},
	{"may policy_ttl=10", 310, "unknown attribute \"policy_ttl\" (valid at "
	 "level may: ciphers, exclude, protocols, servername, connection_reuse, "
	 "enable_rpk, policy_type, policy_domain, policy_string, mx_host_pattern, "
	 "policy_failure)"},
	{"may level=secure", 0, "unknown attribute \"level\" (valid at level "
	 "may: ciphers, exclude, protocols, servername, connection_reuse)"},
	/* issue 17 item 15: messages that say what to do */
	{"secure tlsrpt=yes", 0, "unknown attribute \"tlsrpt\" (TLSRPT is not "
	 "switched on per policy: Postfix 3.10 or later reports with "
	 "smtp_tlsrpt_enable = yes in main.cf, and with postfix_compatibility = "
	 "3.10 in tlspolicy.cf the answers carry the policy_type, policy_domain, "
	 "... attributes it needs)"},
	{"secure protocols=!SSLv2,!SSLv3", 0, "malformed attribute \"!SSLv3\": "
	 "missing '=' after attribute name (',' and white space separate "
	 "attributes; separate the values of one attribute with ':', e.g. "
	 "protocols=!SSLv2:!SSLv3)"},
	{"secure match=nexthop,dot-nexthop", 0, "malformed attribute "
	 "\"dot-nexthop\": missing '=' after attribute name (',' and white "
	 "space separate attributes; separate the values of one attribute with "
	 "':', e.g. match=nexthop:dot-nexthop)"},
	{"may ciphers=high,medium", 0, "malformed attribute \"medium\": missing "
	 "'=' after attribute name"},
	{"may =bar", 0, "malformed attribute \"=bar\": missing attribute name"},
	{"may ciphers", 0, "malformed attribute \"ciphers\": missing '=' "
	 "after attribute name"},
	{"may { ciphers high }", 310, "malformed attribute \"{ ciphers high }\": "
	 "missing '=' after attribute name"},
	{"may {ciphers=high", 310,
	 "malformed attribute \"{ciphers=high\": missing '}'"},
	{"may {ciphers=high}x", 310,
	 "malformed attribute \"{ciphers=high}x\": syntax error after '}'"},
	{"may {}", 310, "malformed attribute \"{}\": missing attribute name"},
	{"may ciphers=high ciphers=low", 0, "ciphers may appear only once"},
	{"may protocols=TLSv1 protocols=TLSv1.2", 0,
	 "protocols may appear only once"},
	{"may exclude=RC4 exclude=MD5", 0, "exclude may appear only once"},
	{"may servername=a.example servername=b.example", 0,
	 "servername may appear only once"},
	{"may ciphers=", 0, "ciphers has an empty value"},
	{"may ciphers=strong", 0, "ciphers must be one of export, low, medium, "
	 "high, null, not \"strong\""},
	{"may connection_reuse=maybe", 0,
	 "connection_reuse must be yes or no, not \"maybe\""},
	{"may connection_reuse=", 0, "connection_reuse has an empty value"},
	{"may enable_rpk=yes", 0,
	 "enable_rpk requires Postfix 3.9 or later (postfix_compatibility is 3.7; set it in tlspolicy.cf when Postfix is newer)"},
	{"may enable_rpk=1", 309, "enable_rpk must be yes or no, not \"1\""},
	{"may policy_type=sts", 0,
	 "policy_type requires Postfix 3.10 or later (postfix_compatibility is 3.7; set it in tlspolicy.cf when Postfix is newer)"},
	{"may policy_domain=example.com", 307, "policy_domain requires "
	 "Postfix 3.10 or later (postfix_compatibility is 3.7; set it in tlspolicy.cf when Postfix is newer)"},
	{"may policy_domain=example.com", 310,
	 "policy_domain requires policy_type"},
	{"may { policy_string = mode: enforce }", 310,
	 "policy_string requires policy_type"},
	{"may policy_type=tlsa", 310,
	 "policy_type must be sts or no-policy-found, not \"tlsa\""},
	{"may policy_type=sts policy_type=sts", 310,
	 "policy_type may appear only once"},
	{"may policy_type=sts policy_failure=oops", 310, "policy_failure must "
	 "be one of sts-policy-fetch-error, sts-policy-invalid, "
	 "sts-webpki-invalid, validation-failure, not \"oops\""},
	{"may policy_type=sts mx_host_pattern=*", 310,
	 "mx_host_pattern: invalid character '*' in host name \"*\""},
	{"may policy_type=sts policy_domain=-x.example", 310,
	 "policy_domain: misplaced '-' in host name \"-x.example\""},
	{"may protocols=TLSv9", 0, "protocols: unknown TLS protocol \"TLSv9\" "
	 "(expected SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, "
	 "optionally with !, or >=VERSION, <=VERSION)"},
	{"may protocols=>=SSLv2", 0, "protocols: unknown TLS protocol version "
	 "\"SSLv2\" (expected None, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 or "
	 "a hex number)"},
	{"may protocols=>=0x123456789", 0, "protocols: unknown TLS protocol "
	 "version \"0x123456789\" (expected None, SSLv3, TLSv1, TLSv1.1, "
	 "TLSv1.2, TLSv1.3 or a hex number)"},
	{"may protocols=!", 0, "protocols: unknown TLS protocol \"\" (expected "
	 "SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, optionally with !, "
	 "or >=VERSION, <=VERSION)"},
	{"may exclude=!RC4", 0, "exclude: cipher \"!RC4\" starts with one of "
	 "'!+-@', which Postfix refuses in an exclusion"},
	{"may exclude=RC4/MD5", 0,
	 "invalid character '/' in value of exclude \"RC4/MD5\""},
	{"may servername=", 0, "servername has an empty value"},
	{"may servername=bad_-", 0,
	 "servername: misplaced '-' in host name \"bad_-\""},
	{"may servername=1.2.3.4", 0,
	 "servername: numeric host name \"1.2.3.4\""},
	{"may servername=b\xc3\xbc" "cher.de", 0,
	 "invalid character '\\xc3' in value of servername "
	 "\"b\\xc3\\xbccher.de\""},
	{"secure match=", 0, "match has an empty value"},
	{"secure match=:", 0, "match has an empty value"},
	{"secure { match = a b }", 310,
	 "invalid character ' ' in value of match \"a b\""},
	{"secure match={a}", 0,
	 "invalid character '{' in value of match \"{a}\""},
	/* a '*' label: only as the whole first label, two labels after it
	 * (issue 10 item 7b), and only in match= of verify/secure */
	{"secure match=*.com", 0, "match: \"*.com\": a '*' label needs at "
	 "least two labels after it (no certificate names \"*.tld\")"},
	{"secure match=**.example.com", 0,
	 "match: invalid character '*' in host name \"**.example.com\""},
	{"secure match=*example.com", 0,
	 "match: invalid character '*' in host name \"*example.com\""},
	{"secure match=f*.example.com", 0,
	 "match: invalid character '*' in host name \"f*.example.com\""},
	{"secure match=mx.*.example.com", 0,
	 "match: invalid character '*' in host name \"mx.*.example.com\""},
	{"secure match=.*.example.com", 0,
	 "match: invalid character '*' in host name \"*.example.com\""},
	{"secure match=*.", 0, "match: \"*.\": a '*' label needs at least "
	 "two labels after it (no certificate names \"*.tld\")"},
	{"may servername=*.example.com", 0,
	 "servername: invalid character '*' in host name \"*.example.com\""},
	{"fingerprint match=*.example.com", 0, "match: malformed fingerprint "
	 "\"*.example.com\" (expected hex digit pairs such as AB:CD:EF:...)"},
	{"secure match=..example.com", 0,
	 "match: misplaced '.' in host name \".example.com\""},
	{"secure match=xn--zz.example", 0, "match: invalid A-label in host "
	 "name \"xn--zz.example\": string contains invalid punycode data"},
	{"fingerprint match=zz", 0, "match: malformed fingerprint \"zz\" "
	 "(expected hex digit pairs such as AB:CD:EF:...)"},
	{"fingerprint match=AB:CD:", 0, "match: malformed fingerprint "
	 "\"AB:CD:\" (expected hex digit pairs such as AB:CD:EF:...)"},
	{"fingerprint match=ABC", 0, "match: malformed fingerprint \"ABC\" "
	 "(expected hex digit pairs such as AB:CD:EF:...)"},
	{"fingerprint match=AB:CDEF", 0, "match: malformed fingerprint "
	 "\"AB:CDEF\" (expected hex digit pairs such as AB:CD:EF:...)"},
	{"fingerprint match=AB:CD", 0, "match: fingerprint \"AB:CD\" has 2 "
	 "bytes, not the size of a digest (16 MD5, 20 SHA-1, 28 SHA-224, "
	 "32 SHA-256, 48 SHA-384, 64 SHA-512)"},
	{"fingerprint match=nexthop", 0, "match: malformed fingerprint "
	 "\"nexthop\" (expected hex digit pairs such as AB:CD:EF:...)"},
	{"fingerprint match=|", 0, "match has an empty value"},
	{"verify tafile=", 0, "tafile has an empty value"},
	{"may ciphers=high\x01", 0, "invalid character '\\x01' in policy"},
	{"may\x7f", 0, "invalid character '\\x7f' in policy"},
	{"may { policy_string = a{b }", 310,
	 "malformed attribute \"{ policy_string = a{b }\": missing '}'"},
};

static void test_ok(void **state)
{
	struct policy_opts opts;
	struct errbuf why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct policy *p = NULL, *q = NULL;
		char *text;

		opts.postfix_compat = c->compat;
		why.msg[0] = '\0';
		if (policy_parse(c->in, &opts, &p, &why) < 0)
			fail_msg("case %zu \"%s\": %s", i, c->in, why.msg);
		text = policy_format(p);
		assert_non_null(text);
		if (strcmp(text, c->want) != 0)
			fail_msg("case %zu \"%s\": got \"%s\" want \"%s\"", i,
				 c->in, text, c->want);
		/* round trip: parse(format(p)) == p */
		assert_int_equal(policy_parse(text, &opts, &q, &why), 0);
		assert_true(policy_equal(p, q));
		policy_free(q);
		free(text);
		policy_free(p);
	}
}

static void test_bad(void **state)
{
	struct policy_opts opts;
	struct errbuf why;
	size_t i;

	(void)state;
	assert_true(sizeof(bad_cases) / sizeof(bad_cases[0]) >= 40);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct policy *p = (struct policy *)&opts; /* must be reset */

		opts.postfix_compat = c->compat;
		why.msg[0] = '\0';
		if (policy_parse(c->in, &opts, &p, &why) == 0)
			fail_msg("case %zu \"%s\": accepted", i, c->in);
		assert_null(p);
		if (strcmp(why.msg, c->msg) != 0)
			fail_msg("case %zu \"%s\":\n got \"%s\"\nwant \"%s\"", i,
				 c->in, why.msg, c->msg);
	}
}

/*
 * Every attribute at every level: what Postfix 3.7 smtp_tls_policy.c
 * accepts (none: nothing; match: fingerprint verify secure; tafile:
 * verify secure; the rest: may and up), and the compat gate.
 */
struct attr_case {
	const char *name;
	const char *value;  /* valid at every allowed level */
	unsigned since;
	unsigned levels;    /* bit per enum policy_level */
};

#define B(l) (1u << (l))
#define TLS_UP (B(POLICY_MAY) | B(POLICY_ENCRYPT) | B(POLICY_DANE) | \
		B(POLICY_DANE_ONLY) | B(POLICY_FINGERPRINT) |        \
		B(POLICY_VERIFY) | B(POLICY_SECURE))

static const struct attr_case attr_cases[] = {
	{"match", NULL, 0, B(POLICY_FINGERPRINT) | B(POLICY_VERIFY) |
	 B(POLICY_SECURE)},
	{"tafile", "/etc/ta.pem", 0, B(POLICY_VERIFY) | B(POLICY_SECURE)},
	{"ciphers", "high", 0, TLS_UP},
	{"exclude", "RC4", 0, TLS_UP},
	{"protocols", ">=TLSv1.2", 0, TLS_UP},
	{"servername", "mx.example.com", 0, TLS_UP},
	{"connection_reuse", "yes", 0, TLS_UP},
	{"enable_rpk", "yes", 309, TLS_UP},
	{"policy_type", "sts", 310, TLS_UP},
};

static void test_attr_matrix(void **state)
{
	size_t i;
	unsigned l, compat;
	static const unsigned compats[] = {307, 309, 310};

	(void)state;
	for (i = 0; i < sizeof(attr_cases) / sizeof(attr_cases[0]); i++) {
		const struct attr_case *a = &attr_cases[i];

		for (compat = 0; compat < 3; compat++)
		for (l = 0; l < POLICY_LEVEL_COUNT; l++) {
			struct policy_opts opts = { compats[compat] };
			const char *value = a->value;
			char in[256], want[256];
			struct errbuf why;
			struct policy *p = NULL;
			int allowed = (a->levels & B(l)) &&
				      compats[compat] >= a->since;
			int rc;

			if (value == NULL)
				value = l == POLICY_FINGERPRINT ?
					"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
					"66:77:88:99" : "nexthop";
			snprintf(in, sizeof(in), "%s %s=%s",
				 policy_level_name(l), a->name, value);
			assert_int_equal(policy_attr_allowed(a->name, l, &opts),
					 allowed);
			rc = policy_parse(in, &opts, &p, &why);
			if (allowed) {
				char *t;

				if (rc < 0)
					fail_msg("\"%s\" (compat %u): %s", in,
						 compats[compat], why.msg);
				t = policy_format(p);
				assert_string_equal(t, in);
				free(t);
				policy_free(p);
				continue;
			}
			if (rc == 0)
				fail_msg("\"%s\" (compat %u) accepted", in,
					 compats[compat]);
			if (l == POLICY_NONE)
				snprintf(want, sizeof(want), "%s is not allowed "
					 "at level none (Postfix ignores all "
					 "attributes with TLS disabled)",
					 a->name);
			else if (compats[compat] < a->since)
				snprintf(want, sizeof(want), "%s requires "
					 "Postfix %u.%u or later "
					 "(postfix_compatibility is %u.%u; set it in "
					 "tlspolicy.cf when Postfix is newer)", a->name,
					 a->since / 100, a->since % 100,
					 compats[compat] / 100,
					 compats[compat] % 100);
			else
				snprintf(want, sizeof(want), "%s is not allowed "
					 "at level %s", a->name,
					 policy_level_name(l));
			assert_string_equal(why.msg, want);
		}
	}
}

static void test_levels(void **state)
{
	enum policy_level l;
	struct errbuf why;
	unsigned i;

	(void)state;
	for (i = 0; i < POLICY_LEVEL_COUNT; i++) {
		assert_int_equal(policy_level_parse(policy_level_name(i), &l,
						    &why), 0);
		assert_int_equal(l, i);
	}
	assert_null(policy_level_name(POLICY_LEVEL_COUNT));
	assert_int_equal(policy_level_parse("", &l, &why), -1);
	assert_string_equal(why.msg, "empty TLS security level");
	/* ordered weakest to strongest, as the header promises */
	assert_true(POLICY_NONE < POLICY_MAY && POLICY_MAY < POLICY_ENCRYPT);
}

static void test_parts(void **state)
{
	struct policy *p, *q;
	struct errbuf why;
	char *params, *text;

	(void)state;
	assert_int_equal(policy_parse_parts("secure", "match=nexthop "
					    "ciphers=HIGH", NULL, &p, &why), 0);
	params = policy_format_params(p);
	assert_string_equal(params, "match=nexthop ciphers=high");
	text = policy_format(p);
	assert_string_equal(text, "secure match=nexthop ciphers=high");
	assert_int_equal(policy_parse(text, NULL, &q, &why), 0);
	assert_true(policy_equal(p, q));
	assert_string_equal(policy_attr_get(p, "ciphers"), "high");
	assert_null(policy_attr_get(p, "tafile"));
	free(params);
	free(text);
	policy_free(q);
	policy_free(p);

	assert_int_equal(policy_parse_parts("dane", NULL, NULL, &p, &why), 0);
	params = policy_format_params(p);
	assert_string_equal(params, "");
	free(params);
	policy_free(p);

	assert_int_equal(policy_parse_parts("", "x=y", NULL, &p, &why), -1);
	assert_null(p);
	assert_string_equal(why.msg, "empty TLS security level");
	assert_int_equal(policy_parse_parts("encrypt", "match=x", NULL, &p,
					    &why), -1);
	assert_string_equal(why.msg, "match is not allowed at level encrypt");
}

static void test_limits(void **state)
{
	char *big = malloc(POLICY_MAX_TEXT + 2);
	struct policy *p;
	struct errbuf why;
	char buf[POLICY_MAX_TEXT];
	int i, o;

	(void)state;
	memset(big, ' ', POLICY_MAX_TEXT + 1);
	memcpy(big, "may", 3);
	big[POLICY_MAX_TEXT + 1] = '\0';
	assert_int_equal(policy_parse(big, NULL, &p, &why), -1);
	assert_string_equal(why.msg, "policy longer than 4096 bytes");
	free(big);

	o = snprintf(buf, sizeof(buf), "secure");
	for (i = 0; i < POLICY_MAX_ATTRS + 1; i++)
		o += snprintf(buf + o, sizeof(buf) - (size_t)o, " match=a%d", i);
	assert_int_equal(policy_parse(buf, NULL, &p, &why), -1);
	assert_string_equal(why.msg, "more than 64 attributes");
}

static void test_equal(void **state)
{
	struct policy *a, *b;
	struct errbuf why;

	(void)state;
	assert_int_equal(policy_parse("secure match=a.example match=b.example",
				      NULL, &a, &why), 0);
	assert_int_equal(policy_parse("secure match=b.example match=a.example",
				      NULL, &b, &why), 0);
	assert_false(policy_equal(a, b)); /* order of repeated attrs kept */
	assert_true(policy_equal(a, a));
	assert_false(policy_equal(a, NULL));
	assert_true(policy_equal(NULL, NULL));
	policy_free(a);
	policy_free(b);
	policy_free(NULL);
}

/* issue 13: the shadow marker among params / a policy text */
static void test_strip_testing(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(policy_strip_testing("match=a:b testing", out, sizeof(out)), 1);
	assert_string_equal(out, "match=a:b");
	assert_int_equal(policy_strip_testing("testing", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(policy_strip_testing("secure  testing\tmatch=x", out, sizeof(out)), 1);
	assert_string_equal(out, "secure match=x");
	assert_int_equal(policy_strip_testing(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* inside braces, or part of a word: a value, not the marker */
	assert_int_equal(policy_strip_testing("match={a testing} testing2 xtesting", out,
					      sizeof(out)), 0);
	assert_string_equal(out, "match={a testing} testing2 xtesting");
	assert_int_equal(policy_strip_testing("match=averylongvalue", out, 8), -1);
	/* in place */
	snprintf(out, sizeof(out), "testing may testing");
	assert_int_equal(policy_strip_testing(out, out, sizeof(out)), 1);
	assert_string_equal(out, "may");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_attr_matrix),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_strip_testing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
