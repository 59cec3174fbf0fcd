/* SPDX-License-Identifier: MIT */
/*
 * test_sts_txt - the _mta-sts TXT record parser and the RFC 8461 3.1
 * selection rule, table-driven: { input, want status, want id or a
 * substring of the reason }.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mtasts/sts_txt.h"

struct txt_case {
	const char *in;
	size_t len;      /* 0: strlen(in) */
	int want_rc;
	const char *want; /* id on success, reason substring on failure */
};

#define OK(s, id) { s, 0, 0, id }
#define BAD(s, why) { s, 0, -1, why }
#define BADN(s, n, why) { s, n, -1, why }

static const struct txt_case parse_cases[] = {
	OK("v=STSv1; id=20160831085700Z;", "20160831085700Z"),
	OK("v=STSv1; id=20160831085700Z", "20160831085700Z"),
	OK("v=STSv1;id=abc", "abc"),
	OK("v=STSv1;\tid=abc\t;\t", "abc"),
	OK("v=STSv1 ; id=abc", "abc"),       /* *WSP ";" per the ABNF */
	OK("v=STSv1; id=a", "a"),
	OK("v=STSv1; id=0123456789abcdefghijklmnopqrstuv", "0123456789abcdefghijklmnopqrstuv"),
	OK("v=STSv1; ext=1; id=X9", "X9"),
	OK("v=STSv1; id=first; id=second", "first"),
	OK("v=STSv1; id=first; id=not-valid-as-id!", "first"),
	OK("v=STSv1; id=1; foo.bar-baz_9=!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~", "1"),
	OK("v=STSv1; id=1; v=STSv2", "1"),
	OK("v=STSv1; a234567890123456789012345678901=x; id=1", "1"),
	BAD("", "does not begin"),
	BAD("v=STSv2; id=1", "does not begin"),
	BAD("V=STSv1; id=1", "does not begin"),
	BAD("v=stsv1; id=1", "does not begin"),
	BAD(" v=STSv1; id=1", "does not begin"),
	BAD("v=STSv1", "no field"),
	BAD("v=STSv1;", "no field"),
	BAD("v=STSv1; ", "no field"),
	BAD("v=STSv1; ;", "name starts with ';'"),
	BAD("v=STSv1;; id=1", "name starts with ';'"),
	BAD("v=STSv1 id=1", "where ';' belongs"),
	BAD("v=STSv1x; id=1", "where ';' belongs"),
	BAD("v=STSv1; id=1 ", "whitespace at the end"),
	BAD("v=STSv1; id=1 x", "where ';' belongs"),
	BAD("v=STSv1; ext=1", "no id field"),
	BAD("v=STSv1; ID=1", "no id field"),
	BAD("v=STSv1; id=", "empty value"),
	BAD("v=STSv1; id", "no '='"),
	BAD("v=STSv1; id=0123456789abcdefghijklmnopqrstuvw", "33 characters, at most 32"),
	BAD("v=STSv1; id=2016-08-31", "id: '-' is not a letter or digit"),
	BAD("v=STSv1; id=a.b", "id: '.'"),
	BAD("v=STSv1; id=a=b", "'=' in value"),
	BAD("v=STSv1; id=\xc3\xa9", "byte 0xc3 in value"),
	BAD("v=STSv1; _x=1; id=1", "name starts with '_'"),
	BAD("v=STSv1; -x=1; id=1", "name starts with '-'"),
	BAD("v=STSv1; a b=1; id=1", "space in name"),
	BAD("v=STSv1; a234567890123456789012345678901xy=x; id=1", "name of 33 characters"),
	OK("v=STSv1; a234567890123456789012345678901x=x; id=1", "1"), /* 32 */
	BAD("v=STSv1; id=1; x=\x7f", "byte 0x7f in value"),
	BAD("v=STSv1; id=1\r\n", "byte 0x0d"),
	BADN("v=STSv1; id=1\0", 14, "byte 0x00"),
	BADN("v=STSv1; id=a\0b", 15, "byte 0x00 in value"),
};

static void test_parse_table(void **state)
{
	(void)state;
	assert_int_equal(sizeof(parse_cases) / sizeof(parse_cases[0]), 45);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct txt_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct sts_txt t;
		struct errbuf why;
		int rc;

		errbuf_clear(&why);
		rc = sts_txt_parse(c->in, len, &t, &why);
		if (rc != c->want_rc)
			fail_msg("case %zu \"%s\": rc %d, want %d (%s)", i, c->in, rc,
				 c->want_rc, why.msg);
		if (rc == 0 && strcmp(t.id, c->want) != 0)
			fail_msg("case %zu \"%s\": id \"%s\", want \"%s\"", i, c->in,
				 t.id, c->want);
		if (rc < 0 && strstr(why.msg, c->want) == NULL)
			fail_msg("case %zu \"%s\": reason \"%s\" lacks \"%s\"", i,
				 c->in, why.msg, c->want);
	}
}

static void test_parse_too_long(void **state)
{
	char rec[STS_TXT_MAX_LEN + 2];
	struct sts_txt t;
	struct errbuf why;

	(void)state;
	memset(rec, 'a', sizeof(rec));
	memcpy(rec, "v=STSv1; id=1; x=", 17);
	assert_int_equal(sts_txt_parse(rec, STS_TXT_MAX_LEN, &t, &why), 0);
	assert_string_equal(t.id, "1");
	assert_int_equal(sts_txt_parse(rec, STS_TXT_MAX_LEN + 1, &t, &why), -1);
	assert_non_null(strstr(why.msg, "at most 2048"));
}

#define REC(s) { s, sizeof(s) - 1 }

static void test_select(void **state)
{
	struct sts_txt t;
	struct errbuf why;
	const struct sts_txt_rec one[] = { REC("v=STSv1; id=abc") };
	const struct sts_txt_rec mixed[] = {
		REC("google-site-verification=xyz"),
		REC("v=STSv1; id=abc"),
		REC("v=spf1 -all"),
		REC("v=STSv1 ; id=other"), /* no "v=STSv1;" prefix: ignored */
	};
	const struct sts_txt_rec two[] = {
		REC("v=STSv1; id=abc"),
		REC("v=STSv1; id=def"),
	};
	const struct sts_txt_rec two_one_bad[] = {
		REC("v=STSv1; id=abc"),
		REC("v=STSv1;id=!"),
	};
	const struct sts_txt_rec none[] = { REC("v=spf1 -all"), REC("hello") };
	const struct sts_txt_rec bad[] = { REC("v=STSv1; id=a-b") };
	/* one record: the ABNF decides (whitespace before ';' is fine);
	 * among several it is discarded (RFC 8461 3.1) */
	const struct sts_txt_rec wsp[] = { REC("v=STSv1 \t; id=wsp") };
	const struct sts_txt_rec wsp_two[] = {
		REC("v=STSv1 ; id=wsp"),
		REC("v=spf1 -all"),
	};
	const struct sts_txt_rec other[] = { REC("v=spf1 -all") };

	(void)state;
	assert_int_equal(sts_txt_select(one, 1, &t, &why), 0);
	assert_string_equal(t.id, "abc");
	assert_int_equal(sts_txt_select(mixed, 4, &t, &why), 0);
	assert_string_equal(t.id, "abc");

	assert_int_equal(sts_txt_select(two, 2, &t, &why), -1);
	assert_string_equal(why.msg, "2 records begin with \"v=STSv1;\", exactly one is allowed");
	assert_int_equal(sts_txt_select(two_one_bad, 2, &t, &why), -1);
	assert_non_null(strstr(why.msg, "2 records"));
	assert_int_equal(sts_txt_select(none, 2, &t, &why), -1);
	assert_string_equal(why.msg, "no record begins with \"v=STSv1;\" (2 TXT records)");
	assert_int_equal(sts_txt_select(NULL, 0, &t, &why), -1);
	assert_string_equal(why.msg, "no TXT record");
	assert_int_equal(sts_txt_select(bad, 1, &t, &why), -1);
	assert_string_equal(why.msg, "invalid record: id: '-' is not a letter or digit");
	assert_string_equal(t.id, "");

	assert_int_equal(sts_txt_select(wsp, 1, &t, &why), 0);
	assert_string_equal(t.id, "wsp");
	assert_int_equal(sts_txt_select(wsp_two, 2, &t, &why), -1);
	assert_string_equal(why.msg, "no record begins with \"v=STSv1;\" (2 TXT records; "
			    "1 begins with \"v=STSv1\" and whitespace: discarded among "
			    "several, RFC 8461 3.1)");
	assert_int_equal(sts_txt_select(other, 1, &t, &why), -1);
	assert_string_equal(why.msg, "invalid record: does not begin with \"v=STSv1\"");
}

static void test_select_limit(void **state)
{
	struct sts_txt_rec recs[STS_TXT_MAX_RECORDS + 1];
	struct sts_txt t;
	struct errbuf why;

	(void)state;
	for (size_t i = 0; i <= STS_TXT_MAX_RECORDS; i++) {
		recs[i].data = "x";
		recs[i].len = 1;
	}
	recs[0].data = "v=STSv1; id=1";
	recs[0].len = 13;
	assert_int_equal(sts_txt_select(recs, STS_TXT_MAX_RECORDS, &t, &why), 0);
	assert_int_equal(sts_txt_select(recs, STS_TXT_MAX_RECORDS + 1, &t, &why), -1);
	assert_non_null(strstr(why.msg, "TXT records, at most"));
}

static void test_rdata_concat(void **state)
{
	char out[64];
	size_t n;
	struct errbuf why;
	static const unsigned char split[] = "\x08v=STSv1;\x05 id=1\x00";
	static const unsigned char single[] = "\x0dv=STSv1; id=9";
	static const unsigned char overrun[] = "\x10v=STSv1";

	(void)state;
	/* "v=STSv1;" + " id=1" + an empty string */
	assert_int_equal(sts_txt_rdata_concat(split, sizeof(split) - 1, out,
					      sizeof(out), &n, &why), 0);
	assert_int_equal(n, 13);
	assert_memory_equal(out, "v=STSv1; id=1", 13);
	assert_int_equal(sts_txt_rdata_concat(single, sizeof(single) - 1, out,
					      sizeof(out), &n, &why), 0);
	assert_int_equal(n, 13);
	assert_int_equal(sts_txt_rdata_concat(overrun, sizeof(overrun) - 1, out,
					      sizeof(out), &n, &why), -1);
	assert_non_null(strstr(why.msg, "overruns"));
	assert_int_equal(sts_txt_rdata_concat(single, sizeof(single) - 1, out,
					      12, &n, &why), -1);
	assert_non_null(strstr(why.msg, "longer than 12"));
	assert_int_equal(sts_txt_rdata_concat(single, 0, out, sizeof(out), &n,
					      &why), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_select_limit),
		cmocka_unit_test(test_rdata_concat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
