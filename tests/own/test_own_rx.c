/* SPDX-License-Identifier: MIT */
/*
 * test_own_rx.c - own check's judgement of the TLSRPT reports received
 * for an own domain (own/rx.h): no report, no failure, failures below
 * and at the error share, per MX with the hint where to look, and an MX
 * DNS no longer lists.
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
#include "own/rx.h"

static const char *LIVE[] = { "mx1.example.org.", "mx2.example.org" };

static void base(struct own_rx_in *in, const struct own_rx_row *rows, size_t n)
{
	memset(in, 0, sizeof(*in));
	in->domain = "example.org";
	in->rows = rows;
	in->nrows = n;
	in->reports = 3;
	in->orgs = "Google LLC, Microsoft Corporation";
	in->last_day = "2026-12-02";
	in->live_mx = LIVE;
	in->nlive = 2;
	in->live_known = 1;
	in->days = 7;
	in->error_percent = 10;
}

static const struct own_finding *find(const struct own_report *r, const char *subject)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].subject, subject) == 0)
			return &r->f[i];
	return NULL;
}

static void test_no_reports(void **state)
{
	struct own_report rep;
	struct own_rx_in in;

	(void)state;
	own_report_init(&rep);
	base(&in, NULL, 0);
	in.reports = 0;
	own_rx_check(&in, &rep);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.f[0].verdict, OWN_OK);
	assert_string_equal(rep.f[0].check, "tlsrpt-rx");
	assert_non_null(strstr(rep.f[0].msg, "no TLSRPT report received in the last 7 days"));
	own_report_free(&rep);
}

static void test_all_ok(void **state)
{
	static const struct own_rx_row rows[] = {
		{ "*.example.org", "success", 340, "Google LLC,Microsoft Corporation" },
	};
	struct own_report rep;
	struct own_rx_in in;

	(void)state;
	own_report_init(&rep);
	base(&in, rows, 1);
	own_rx_check(&in, &rep);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.f[0].verdict, OWN_OK);
	assert_non_null(strstr(rep.f[0].msg, "3 reports in the last 7 days (newest for 2026-12-02; "
					     "from Google LLC, Microsoft Corporation): 340 sessions "
					     "ok, 0 failed (0.0%)"));
	assert_int_equal(own_report_exit(&rep), 0);
	own_report_free(&rep);
}

static void test_failures(void **state)
{
	/* ordered by MX as the database gives them */
	static const struct own_rx_row rows[] = {
		{ "*.example.org", "success", 90, "Google LLC,Microsoft Corporation" },
		{ "mx1.example.org", "certificate-expired", 4, "Google LLC" },
		{ "mx1.example.org", "starttls-not-supported", 1, "Microsoft Corporation" },
		{ "mx2.example.org", "tlsa-invalid", 20, "Google LLC" },
		{ "old.example.org", "validation-failure", 1, "Google LLC" },
	};
	struct own_report rep;
	struct own_rx_in in;
	const struct own_finding *f;

	(void)state;
	own_report_init(&rep);
	base(&in, rows, 5);
	own_rx_check(&in, &rep);
	assert_int_equal(rep.n, 4);
	f = find(&rep, "example.org"); /* 26 of 116 failed: 22% */
	assert_non_null(f);
	assert_int_equal(f->verdict, OWN_ERROR);
	assert_non_null(strstr(f->msg, "90 sessions ok, 26 failed (22.4%)"));
	f = find(&rep, "mx1.example.org"); /* 5 of 116: a warning */
	assert_non_null(f);
	assert_int_equal(f->verdict, OWN_WARNING);
	assert_non_null(strstr(f->msg, "5 failed sessions: certificate-expired 4 (Google LLC), "
				       "starttls-not-supported 1 (Microsoft Corporation)"));
	assert_non_null(strstr(f->msg, "check the certificate it serves"));
	assert_null(strstr(f->msg, "not a current MX"));
	f = find(&rep, "mx2.example.org"); /* 20 of 116: an error */
	assert_non_null(f);
	assert_int_equal(f->verdict, OWN_ERROR);
	assert_non_null(strstr(f->msg, "see the dane findings of this host"));
	f = find(&rep, "old.example.org");
	assert_non_null(f);
	assert_int_equal(f->verdict, OWN_WARNING);
	assert_non_null(strstr(f->msg, "not a current MX of the domain"));
	assert_int_equal(own_report_exit(&rep), 2);
	own_report_free(&rep);
	/* the MX lookup failed: no claim about which MX is current */
	own_report_init(&rep);
	in.live_known = 0;
	in.nlive = 0;
	own_rx_check(&in, &rep);
	f = find(&rep, "old.example.org");
	assert_non_null(f);
	assert_null(strstr(f->msg, "not a current MX"));
	own_report_free(&rep);
}

/* a policy-level failure (no receiving MX): the domain is the subject */
static void test_policy_failure(void **state)
{
	static const struct own_rx_row rows[] = {
		{ "", "sts-webpki-invalid", 7, "Google LLC" },
	};
	struct own_report rep;
	struct own_rx_in in;

	(void)state;
	own_report_init(&rep);
	base(&in, rows, 1);
	in.error_percent = 100;
	own_rx_check(&in, &rep);
	assert_int_equal(rep.n, 2);
	assert_string_equal(rep.f[1].subject, "example.org");
	assert_int_equal(rep.f[1].verdict, OWN_ERROR); /* 7 of 7 */
	assert_non_null(strstr(rep.f[1].msg, "sts-webpki-invalid 7 (Google LLC); see the sts"));
	own_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_reports),
		cmocka_unit_test(test_all_ok),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_policy_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
