/* SPDX-License-Identifier: MIT */
/* Unit tests of src/tlsrpt: the _smtp._tls record (RFC 8460 3), the JSON
 * writer and parser, the tally, date-times, gzip round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt/intake.h"
#include "tlsrpt/jparse.h"
#include "tlsrpt/json.h"
#include "tlsrpt/report.h"
#include "tlsrpt/tally.h"
#include "tlsrpt/txt.h"

static void test_txt(void **state)
{
	struct tlsrpt_txt t;
	struct errbuf why;
	static const struct {
		const char *rec;
		int ok;
		size_t nrua;
		const char *first;
	} cases[] = {
		/* RFC 8460 3's examples */
		{ "v=TLSRPTv1;rua=mailto:reports@example.com", 1, 1, "reports@example.com" },
		{ "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", 1, 1, NULL },
		{ "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x", 1, 2, "a@example.com" },
		{ "v=TLSRPTv1 ; rua=mailto:a@example.com , mailto:b@example.com ;", 1, 2, "a@example.com" },
		{ "v=TLSRPTv1; rua=mailto:a%40x@example.com", 0, 0, NULL }, /* two '@' once decoded */
		{ "v=TLSRPTv1; rua=mailto:first%2Elast@example.com", 1, 1, "first.last@example.com" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com; ext-1=val", 1, 1, "a@example.com" },
		{ "v=TLSRPTv1; ext=1", 0, 0, NULL },                /* no rua */
		{ "v=TLSRPTv1", 0, 0, NULL },
		{ "v=TLSRPTv2; rua=mailto:a@example.com", 0, 0, NULL },
		{ "rua=mailto:a@example.com; v=TLSRPTv1", 0, 0, NULL }, /* v first */
		{ "v=TLSRPTv1; rua=", 0, 0, NULL },
		{ "v=TLSRPTv1; rua=mailto:a@example.com,", 0, 0, NULL },
		{ "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", 0, 0, NULL },
		{ "v=TLSRPTv1; rua=mailto:a b@example.com", 0, 0, NULL },
		{ "v=TLSRPTv1; rua=mailto:a@example.com!10m", 0, 0, NULL }, /* no size limits */
		{ "v=TLSRPTv1; rua=ftp://x.example/", 1, 1, NULL },          /* kept, not used */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = tlsrpt_txt_parse(cases[i].rec, strlen(cases[i].rec), &t, &why);

		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d (%s)", cases[i].rec, rc, rc ? why.msg : "");
		if (rc == 0) {
			assert_int_equal(t.nrua, cases[i].nrua);
			if (cases[i].first)
				assert_string_equal(t.rua[0].addr, cases[i].first);
		}
	}
	/* selection: records not beginning with v=TLSRPTv1; are dropped */
	{
		const char *recs[] = { "v=spf1 -all", "v=TLSRPTv1; rua=mailto:x@example.com" };
		size_t lens[] = { strlen(recs[0]), strlen(recs[1]) };

		assert_int_equal(tlsrpt_txt_select(recs, lens, 2, &t, &why), 1);
		recs[0] = "v=TLSRPTv1; rua=mailto:y@example.com";
		lens[0] = strlen(recs[0]);
		assert_int_equal(tlsrpt_txt_select(recs, lens, 2, &t, &why), 0);
		assert_non_null(strstr(why.msg, "exactly one"));
		assert_int_equal(tlsrpt_txt_select(recs, lens, 0, &t, &why), 0);
	}
}

static void test_json_roundtrip(void **state)
{
	struct buf b;
	struct tjw w;
	struct jp_node *n;
	struct errbuf why;

	(void)state;
	buf_init(&b, 4096);
	tjw_init(&w, &b);
	tjw_obj(&w);
	tjw_key(&w, "s");
	tjw_str(&w, "a\"b\\c\n\x01\xc3\xa9\xff");
	tjw_key(&w, "a");
	tjw_arr(&w);
	tjw_int(&w, 0);
	tjw_int(&w, 18446744073709551615ULL);
	tjw_end_arr(&w);
	tjw_end_obj(&w);
	assert_int_equal(tjw_done(&w), 0);
	assert_string_equal(b.data, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\",\"a\":[0,18446744073709551615]}");
	n = jp_parse(b.data, b.len, &why);
	assert_non_null(n);
	assert_string_equal(jp_get(n, "s")->str, "a\"b\\c\n\x01\xc3\xa9\xef\xbf\xbd");
	assert_int_equal(jp_get(n, "a")->n, 2);
	jp_free(n);
	buf_free(&b);
	/* strictness */
	static const char *const bad[] = {
		"{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"\\u0000\"", "\"\\ud800\"", "{\"a\":1,\"a\":2}",
		"01", "1.", "\"\x80\"", "[", "nul", "\"a\tb\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = jp_parse(bad[i], strlen(bad[i]), &why);
		if (n)
			fail_msg("accepted %s", bad[i]);
	}
	/* depth limit */
	{
		char deep[100];

		memset(deep, '[', 40);
		memset(deep + 40, ']', 40);
		assert_null(jp_parse(deep, 80, &why));
		assert_non_null(strstr(why.msg, "deeper"));
		n = jp_parse(deep + 10, 60, &why); /* 30 deep: fine */
		assert_non_null(n);
		jp_free(n);
	}
}

static void test_tally(void **state)
{
	struct tally t;
	const char *f[] = { "a.example", "2026-12-03", "success" };
	char key[256], *parts[4];
	unsigned long long sum = 0;

	(void)state;
	tally_init(&t, 1000);
	assert_int_equal(tally_key(key, sizeof(key), f, 3), 0);
	for (int i = 0; i < 5000; i++) {
		char k[64];

		snprintf(k, sizeof(k), "k%d", i % 900);
		assert_int_equal(tally_add(&t, k, 1), 0);
	}
	assert_int_equal(t.n, 900);
	assert_int_equal(tally_add(&t, "new", 7), 0);
	for (int i = 0; i < 200; i++) {
		char k[64];

		snprintf(k, sizeof(k), "x%d", i);
		(void)tally_add(&t, k, 1);
	}
	assert_int_equal(t.n, 1000);
	assert_int_equal(t.dropped, 101);
	for (size_t i = 0; i < t.cap; i++)
		if (t.ent[i].key)
			sum += t.ent[i].count;
	assert_int_equal(sum, 5000 + 7 + 99);
	tally_free(&t);
	assert_int_equal(tally_split(key, parts, 4), 3);
	assert_string_equal(parts[2], "success");
	f[1] = "bad\x1f";
	assert_int_equal(tally_key(key, sizeof(key), f, 3), -1);
}

static void test_datetime(void **state)
{
	(void)state;
	assert_int_equal(tlsrpt_parse_datetime("2026-11-30T00:00:00Z"), 1795996800);
	assert_int_equal(tlsrpt_parse_datetime("2026-11-30T00:00:00"), 1795996800);
	assert_int_equal(tlsrpt_parse_datetime("2026-11-30 00:00:00.123Z"), 1795996800);
	assert_int_equal(tlsrpt_parse_datetime("2026-11-30T01:00:00+01:00"), 1795996800);
	assert_int_equal(tlsrpt_parse_datetime("2026-11-29T23:00:00-01:00"), 1795996800);
	assert_int_equal(tlsrpt_parse_datetime("2026-11-30"), -1);
	assert_int_equal(tlsrpt_parse_datetime("2026-13-30T00:00:00Z"), -1);
	assert_int_equal(tlsrpt_parse_datetime("2026-11-30T00:00:00Zjunk"), -1);
	assert_int_equal(tlsrpt_day_start("2026-11-30"), 1795996800);
	assert_int_equal(tlsrpt_day_start("2026-11-3"), -1);
}

static void test_gzip_roundtrip(void **state)
{
	struct buf gz;
	struct errbuf why;
	char *out;
	size_t n;
	const char *text = "{\"organization-name\":\"x\"}";

	(void)state;
	assert_int_equal(tlsrpt_gzip(text, strlen(text), &gz, &why), 0);
	assert_int_equal(tlsrpt_gunzip(gz.data, gz.len, 1024, &out, &n, &why), 0);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(out, text, n);
	free(out);
	assert_int_equal(tlsrpt_gunzip(gz.data, gz.len, 10, &out, &n, &why), -1);
	assert_non_null(strstr(why.msg, "larger than 10 bytes"));
	assert_int_equal(tlsrpt_gunzip(gz.data, gz.len - 5, 1024, &out, &n, &why), -1);
	buf_free(&gz);
}

/* one report's failure details merge per (result, IPs, host); a failed
 * policy turns every session into its failure */
static void test_report_model(void **state)
{
	struct tlsrpt_report r;

	(void)state;
	tlsrpt_report_init(&r, "d.example", "2026-12-03");
	tlsrpt_report_add(&r, NULL, TLSRPT_SUCCESS, "192.0.2.1", "mx.d.example", "192.0.2.9", 5);
	tlsrpt_report_add(&r, NULL, TLSRPT_CERT_EXPIRED, "192.0.2.1", "mx.d.example", "192.0.2.9",
			  2);
	tlsrpt_report_add(&r, NULL, TLSRPT_CERT_EXPIRED, "192.0.2.1", "mx.d.example", "192.0.2.9",
			  1);
	tlsrpt_report_add(&r, NULL, TLSRPT_CERT_EXPIRED, "192.0.2.2", "mx.d.example", "192.0.2.9",
			  1);
	assert_int_equal(r.npol, 1);
	assert_int_equal(r.ok, 5);
	assert_int_equal(r.failed, 4);
	assert_int_equal(r.pol[0].ndetails, 2);
	assert_int_equal(r.pol[0].details[0].count, 3);
	tlsrpt_report_free(&r);
	tlsrpt_report_init(&r, "d.example", "2026-12-03");
	{
		struct tlsrpt_policy *a = tlsrpt_report_policy(&r, "a");
		struct tlsrpt_policy *b = tlsrpt_report_policy(&r, "b");
		struct tlsrpt_policy *c = tlsrpt_report_policy(&r, "c");

		a->policy_result = TLSRPT_STS_POLICY_FETCH_ERROR;
		tlsrpt_report_add(&r, a, TLSRPT_SUCCESS, "", "mx.d.example", "192.0.2.9", 5);
		tlsrpt_report_add(&r, b, TLSRPT_SUCCESS, "", "mx.d.example", "192.0.2.9", 2);
		(void)c;
	}
	assert_int_equal(r.ok, 2);
	assert_int_equal(r.failed, 5);
	assert_int_equal(r.pol[0].failed, 5);
	assert_int_equal(r.pol[0].details[0].result, TLSRPT_STS_POLICY_FETCH_ERROR);
	assert_int_equal(r.pol[1].ok, 2);
	tlsrpt_report_prune(&r); /* c: no session */
	assert_int_equal(r.npol, 2);
	assert_string_equal(r.pol[1].key, "b");
	tlsrpt_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_report_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
