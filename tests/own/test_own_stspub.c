/* SPDX-License-Identifier: MIT */
/*
 * test_own_stspub - MTA-STS publication checks, TLSRPT record checks
 * (own/stspub.h) and the report (own/report.h): each defect of issue 12
 * item 3 and 4 as a fact set, the fix that comes with it, and the
 * report's verdict precedence, exit codes, table and JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "own/report.h"
#include "own/stspub.h"

#define NOW 1800000000LL
#define DAY 86400LL

static const char *MX[] = { "mx1.example.org", "mx2.example.org" };
static const char *GOOD =
	"version: STSv1\nmode: enforce\nmx: mx1.example.org\nmx: mx2.example.org\n"
	"max_age: 604800\n";

static struct sts_txt_rec txt1[] = { { "v=STSv1; id=2026a", 17 } };

static void base(struct own_sts_in *in, const char *body)
{
	memset(in, 0, sizeof(*in));
	in->domain = "example.org";
	in->mx = MX;
	in->nmx = 2;
	in->txt_state = OWN_LOOKUP_DATA;
	in->txt = txt1;
	in->ntxt = 1;
	in->fetch_ok = 1;
	in->http_status = 200;
	in->body = body;
	in->len = strlen(body);
	in->cert_not_after = NOW + 90 * DAY;
	in->now = NOW;
	in->testing_max = 28 * DAY;
	in->cert_days = 21;
}

static const struct own_finding *find(const struct own_report *r, const char *check,
				      enum own_verdict v)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].check, check) == 0 && r->f[i].verdict == v)
			return &r->f[i];
	return NULL;
}

/* Runs the check; returns the worst verdict; out freed. */
static enum own_verdict run(const struct own_sts_in *in, struct own_report *rep,
			    struct own_sts_out *out)
{
	own_report_init(rep);
	own_sts_check(in, rep, out);
	return own_report_worst(rep, NULL);
}

static void test_good(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;

	(void)state;
	base(&in, GOOD);
	assert_int_equal(run(&in, &rep, &out), OWN_OK);
	assert_int_equal(out.have_policy, 1);
	assert_string_equal(out.id, "2026a");
	assert_string_equal(out.text, GOOD);
	assert_non_null(find(&rep, "sts-mx", OWN_OK));
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static void test_txt(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;
	struct sts_txt_rec two[] = { { "v=STSv1; id=a1;", 15 }, { "v=STSv1; id=a2;", 15 } };
	struct sts_txt_rec badid[] = { { "v=STSv1; id=a-1", 15 } };

	(void)state;
	base(&in, GOOD);
	in.txt = two;
	in.ntxt = 2;
	run(&in, &rep, &out);
	assert_non_null(strstr(find(&rep, "sts-txt", OWN_ERROR)->msg, "2 records"));
	assert_non_null(strstr(find(&rep, "sts-txt", OWN_ERROR)->fix,
			       "_mta-sts.example.org. IN TXT \"v=STSv1; id="));
	own_sts_out_free(&out);
	own_report_free(&rep);

	base(&in, GOOD);
	in.txt = badid;
	run(&in, &rep, &out);
	assert_non_null(find(&rep, "sts-txt", OWN_ERROR));
	own_sts_out_free(&out);
	own_report_free(&rep);

	/* nothing published at all: a warning with what to publish */
	base(&in, GOOD);
	in.txt_state = OWN_LOOKUP_NONE;
	in.ntxt = 0;
	in.fetch_ok = 0;
	in.http_status = 0;
	in.fetch_error = "Could not resolve host";
	assert_int_equal(run(&in, &rep, &out), OWN_WARNING);
	{
		const struct own_finding *f = find(&rep, "sts-txt", OWN_WARNING);

		assert_non_null(f);
		assert_true(f && strstr(f->fix, "mode: enforce\nmx: mx1.example.org\n"
				       "mx: mx2.example.org\nmax_age: 604800\n"));
	}
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static void test_fetch(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;

	(void)state;
	base(&in, GOOD);
	in.fetch_ok = 0;
	in.http_status = 301;
	in.fetch_error = "HTTP status 301 (redirects are not followed)";
	assert_int_equal(run(&in, &rep, &out), OWN_ERROR);
	assert_non_null(strstr(find(&rep, "sts-policy", OWN_ERROR)->msg, "redirects"));
	assert_non_null(strstr(find(&rep, "sts-policy", OWN_ERROR)->fix, "no redirect"));
	own_sts_out_free(&out);
	own_report_free(&rep);

	base(&in, "version: STSv1\nmode: enforce\n");
	run(&in, &rep, &out);
	assert_non_null(strstr(find(&rep, "sts-policy", OWN_ERROR)->msg, "invalid policy"));
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static void test_mx_cover(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;
	const char *mx[] = { "mx1.example.org", "a.mx.example.org" };

	(void)state;
	base(&in, "version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 604800\n");
	in.mx = mx;
	run(&in, &rep, &out);
	{
		const struct own_finding *f = find(&rep, "sts-mx", OWN_ERROR);

		assert_non_null(f);
		assert_string_equal(f->subject, "a.mx.example.org");
		assert_true(f && strstr(f->msg, "covers exactly one label"));
		assert_true(f && strstr(f->fix, "mx: a.mx.example.org\n"));
	}
	/* mx1 is covered by the wildcard */
	for (size_t i = 0; i < rep.n; i++)
		assert_true(strcmp(rep.f[i].subject, "mx1.example.org") != 0);
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static void test_mode_age(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;
	const char *testing = "version: STSv1\nmode: testing\nmx: mx1.example.org\n"
			      "mx: mx2.example.org\nmax_age: 86400\n";

	(void)state;
	base(&in, testing);
	in.testing_since = NOW - 2 * DAY;
	run(&in, &rep, &out);
	assert_non_null(find(&rep, "sts-mode", OWN_OK));
	assert_int_equal(out.testing, 1);
	/* max_age 86400 < one week */
	assert_non_null(strstr(find(&rep, "sts-max-age", OWN_WARNING)->msg, "below one week"));
	own_sts_out_free(&out);
	own_report_free(&rep);

	in.testing_since = NOW - 29 * DAY;
	run(&in, &rep, &out);
	{
		const struct own_finding *f = find(&rep, "sts-mode", OWN_WARNING);

		assert_non_null(f);
		assert_true(f && strstr(f->msg, "longer than own_sts_testing_max"));
		/* the fix switches to enforce and raises max_age to a week */
		assert_true(f && strstr(f->fix, "mode: enforce\n"));
		assert_true(f && strstr(f->fix, "max_age: 604800\n"));
	}
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static void test_id_bump(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;
	const char *old = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 604800\n";

	(void)state;
	base(&in, GOOD);
	in.last_id = "2026a";
	in.last_text = old;
	assert_int_equal(run(&in, &rep, &out), OWN_ERROR);
	assert_non_null(strstr(find(&rep, "sts-id", OWN_ERROR)->msg, "id is still 2026a"));
	assert_int_equal(out.keep_last, 1);
	own_sts_out_free(&out);
	own_report_free(&rep);

	/* the id changed with the text: ok */
	in.last_id = "2025z";
	assert_int_equal(run(&in, &rep, &out), OWN_OK);
	assert_int_equal(out.keep_last, 0);
	own_sts_out_free(&out);
	own_report_free(&rep);

	/* same text, same id: ok */
	in.last_id = "2026a";
	in.last_text = GOOD;
	assert_int_equal(run(&in, &rep, &out), OWN_OK);
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static void test_cert(void **state)
{
	struct own_sts_in in;
	struct own_report rep;
	struct own_sts_out out;

	(void)state;
	base(&in, GOOD);
	in.cert_not_after = NOW + 10 * DAY;
	run(&in, &rep, &out);
	assert_non_null(strstr(find(&rep, "sts-cert", OWN_WARNING)->msg, "< 21 days"));
	own_sts_out_free(&out);
	own_report_free(&rep);
	in.cert_not_after = NOW - 1;
	run(&in, &rep, &out);
	assert_non_null(find(&rep, "sts-cert", OWN_ERROR));
	own_sts_out_free(&out);
	own_report_free(&rep);
	in.cert_not_after = NOW + 22 * DAY;
	run(&in, &rep, &out);
	assert_non_null(find(&rep, "sts-cert", OWN_OK));
	own_sts_out_free(&out);
	own_report_free(&rep);
}

static enum own_verdict rpt(const char *const *recs, size_t n, char *msg, size_t len)
{
	struct sts_txt_rec r[4];
	struct own_report rep;
	enum own_verdict v;

	for (size_t i = 0; i < n; i++) {
		r[i].data = recs[i];
		r[i].len = strlen(recs[i]);
	}
	own_report_init(&rep);
	own_tlsrpt_check("example.org", OWN_LOOKUP_DATA, NULL, r, n, &rep);
	assert_int_equal(rep.n, 1);
	v = rep.f[0].verdict;
	snprintf(msg, len, "%s", rep.f[0].msg);
	if (v != OWN_OK)
		assert_non_null(strstr(rep.f[0].fix, "_smtp._tls.example.org. IN TXT "
				       "\"v=TLSRPTv1; rua=mailto:tlsrpt@example.org\""));
	own_report_free(&rep);
	return v;
}

static void test_tlsrpt(void **state)
{
	char m[OWN_REPORT_MSG_MAX];
	const char *ok1[] = { "v=TLSRPTv1; rua=mailto:tls@example.org" };
	const char *ok2[] = { "v=TLSRPTv1;rua=mailto:a@example.org,https://r.example.org/tls" };
	const char *none[] = { "v=spf1 -all" };
	const char *two[] = { "v=TLSRPTv1; rua=mailto:a@example.org",
			      "v=TLSRPTv1; rua=mailto:b@example.org" };
	const char *http[] = { "v=TLSRPTv1; rua=http://r.example.org/" };
	const char *noat[] = { "v=TLSRPTv1; rua=mailto:example.org" };
	const char *norua[] = { "v=TLSRPTv1; x=1" };
	const char *nosemi[] = { "v=TLSRPTv1 rua=mailto:a@example.org" };

	(void)state;
	assert_int_equal(rpt(ok1, 1, m, sizeof(m)), OWN_OK);
	assert_int_equal(rpt(ok2, 1, m, sizeof(m)), OWN_OK);
	assert_int_equal(rpt(none, 1, m, sizeof(m)), OWN_WARNING);
	assert_int_equal(rpt(two, 2, m, sizeof(m)), OWN_ERROR);
	assert_non_null(strstr(m, "2 records"));
	assert_int_equal(rpt(http, 1, m, sizeof(m)), OWN_ERROR);
	assert_non_null(strstr(m, "only mailto: and https:"));
	assert_int_equal(rpt(noat, 1, m, sizeof(m)), OWN_ERROR);
	assert_int_equal(rpt(norua, 1, m, sizeof(m)), OWN_ERROR);
	assert_int_equal(rpt(nosemi, 1, m, sizeof(m)), OWN_ERROR);
	{
		struct own_report rep;

		own_report_init(&rep);
		own_tlsrpt_check("example.org", OWN_LOOKUP_NONE, NULL, NULL, 0, &rep);
		assert_int_equal(rep.f[0].verdict, OWN_WARNING);
		own_report_free(&rep);
		own_report_init(&rep);
		own_tlsrpt_check("example.org", OWN_LOOKUP_FAILED, "TIMEOUT", NULL, 0, &rep);
		assert_int_equal(rep.f[0].verdict, OWN_UNKNOWN);
		own_report_free(&rep);
	}
}

static void test_report(void **state)
{
	struct own_report rep;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	own_report_init(&rep);
	assert_int_equal(own_report_exit(&rep), 0);
	own_report_add(&rep, "a.example", "tlsa", "_25._tcp.mx.a.example", OWN_OK, NULL, "fine");
	assert_int_equal(own_report_exit(&rep), 0);
	own_report_add(&rep, "a.example", "next", "mx.a.example", OWN_WARNING, "x\ny\n", "w");
	assert_int_equal(own_report_exit(&rep), 1);
	own_report_add(&rep, "b.example", "tlsrpt", "_smtp._tls.b.example", OWN_UNKNOWN, NULL, "u");
	assert_int_equal(own_report_exit(&rep), 3);
	own_report_add(&rep, "b.example", "sts-id", "_mta-sts.b.example", OWN_ERROR, NULL,
		       "quote \" and \\ and tab\t");
	assert_int_equal(own_report_exit(&rep), 2);
	assert_int_equal(own_report_worst(&rep, "a.example"), OWN_WARNING);
	assert_int_equal(own_report_worst(&rep, "b.example"), OWN_ERROR);

	f = open_memstream(&buf, &len);
	own_report_text(f, &rep);
	fclose(f);
	assert_non_null(strstr(buf, "a.example: warning\n"));
	assert_non_null(strstr(buf, "b.example: error\n"));
	/* aligned: the subject column is as wide as the longest subject */
	assert_non_null(strstr(buf, "  CHECK  SUBJECT                VERDICT  FINDING\n"));
	assert_non_null(strstr(buf, "  next   mx.a.example           warning  w\n"));
	assert_non_null(strstr(buf, "  To fix:\n  [next mx.a.example]\n    x\n    y\n"));
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	own_report_json(f, &rep);
	fclose(f);
	assert_non_null(strstr(buf, "{\"verdict\":\"error\",\"exit\":2,\"domains\":["
			       "{\"domain\":\"a.example\",\"verdict\":\"warning\",\"checks\":["));
	assert_non_null(strstr(buf, "\"fix\":\"x\\ny\\n\""));
	assert_non_null(strstr(buf, "\"message\":\"quote \\\" and \\\\ and tab\\t\""));
	assert_non_null(strstr(buf, "\"fix\":null"));
	free(buf);
	own_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_mx_cover),
		cmocka_unit_test(test_mode_age),
		cmocka_unit_test(test_id_bump),
		cmocka_unit_test(test_cert),
		cmocka_unit_test(test_tlsrpt),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests_name("own_stspub", tests, NULL, NULL);
}
