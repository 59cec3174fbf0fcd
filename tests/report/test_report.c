/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the report writers: HTML escaping, the SVG chart, the
 * page and the JSON with hostile names in every field, the changes
 * against a snapshot, and the snapshot's text cut (store_report_text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/report.h"
#include "report/svg.h"
#include "store/store_report.h"

static char *esc(const char *s)
{
	struct buf b;
	char *out;

	buf_init(&b, 1 << 20);
	assert_int_equal(html_text(&b, s), 0);
	out = strdup(b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static void expect_esc(const char *in, const char *want)
{
	char *got = esc(in);

	assert_string_equal(got, want);
	free(got);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_escape(void **state)
{
	(void)state;
	expect_esc("", "");
	expect_esc("plain.example", "plain.example");
	expect_esc("<script>a&b</script>", "&lt;script&gt;a&amp;b&lt;/script&gt;");
	expect_esc("x\"'y", "x&quot;&#39;y");
	expect_esc("&amp;", "&amp;amp;");
	/* valid UTF-8 passes, tab and newline pass */
	expect_esc("b\xc3\xbc" "cher\t\n", "b\xc3\xbc" "cher\t\n");
	expect_esc("\xe2\x82\xac \xf0\x9f\x94\x92", "\xe2\x82\xac \xf0\x9f\x94\x92");
	/* invalid UTF-8, controls, DEL and C1 controls become U+FFFD */
	expect_esc("a\xff" "b", "a\xef\xbf\xbd" "b");
	expect_esc("\xc3", "\xef\xbf\xbd");
	expect_esc("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");        /* overlong '/' */
	expect_esc("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	expect_esc("a\x01\x1b\x7f" "b", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
	expect_esc("\xc2\x85", "\xef\xbf\xbd");                    /* NEL, C1 */
	expect_esc("\xc2\xa0", "\xc2\xa0");                        /* NBSP stays */
	expect_esc(NULL, "");
	{
		struct buf b;

		buf_init(&b, 1 << 10);
		assert_int_equal(html_attr(&b, "a\"><img src=x>"), 0);
		assert_string_equal(b.data, "a&quot;&gt;&lt;img src=x&gt;");
		buf_free(&b);
		/* a full buffer is an error, never a cut inside a reference */
		buf_init(&b, 8);
		assert_int_equal(html_text(&b, "<<<<<<<<"), -1);
		assert_int_equal(b.len % 4, 0);
		for (size_t i = 0; i < b.len; i += 4)
			assert_memory_equal(b.data + i, "&lt;", 4);
		buf_free(&b);
	}
}

static void test_tick_step(void **state)
{
	(void)state;
	assert_int_equal(svg_tick_step(0), 1);
	assert_int_equal(svg_tick_step(5), 1);
	assert_int_equal(svg_tick_step(6), 2);
	assert_int_equal(svg_tick_step(25), 5);
	assert_int_equal(svg_tick_step(30), 10);
	assert_int_equal(svg_tick_step(99), 20);
	assert_int_equal(svg_tick_step(1000000), 200000);
	assert_true(svg_tick_step((unsigned long)-1) > 0);
}

struct bars {
	const char *label[3];
	unsigned long v[3][2];
};

static const char *lab(const void *arg, size_t i)
{
	return ((const struct bars *)arg)->label[i];
}

static unsigned long val(const void *arg, size_t i, size_t s)
{
	return ((const struct bars *)arg)->v[i][s];
}

/* The height attribute of the n-th rect (0-based). */
static double rect_height(const char *svg, size_t n)
{
	const char *p = svg;

	for (size_t i = 0; i <= n; i++) {
		assert_non_null(p = strstr(p, "<rect "));
		p += 6;
	}
	assert_non_null(p = strstr(p, "height=\""));
	return atof(p + 8);
}

static void test_svg(void **state)
{
	static const struct svg_series ser[2] = {
		{ "good", "Good", "c-good" }, { "bad", "Bad <x>", "c-bad" }
	};
	struct bars d = { { "2024-01-01", "2024-01-02", "<b>&" }, { { 10, 0 }, { 3, 2 }, { 0, 0 } } };
	struct svg_bars c = { "chart", "nothing", 2, ser, 3, lab, val, &d };
	struct buf b;
	double h0, h1, h2;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(svg_stacked(&b, &c), 0);
	assert_int_equal(count(b.data, "<g class=\"bar\""), 3);
	assert_non_null(strstr(b.data, "data-label=\"2024-01-01\" data-good=\"10\" data-bad=\"0\" "
				       "data-total=\"10\""));
	assert_non_null(strstr(b.data, "data-label=\"2024-01-02\" data-good=\"3\" data-bad=\"2\" "
				       "data-total=\"5\""));
	assert_non_null(strstr(b.data, "data-label=\"&lt;b&gt;&amp;\" data-good=\"0\""));
	assert_null(strstr(b.data, "<b>"));
	assert_non_null(strstr(b.data, "Bad &lt;x&gt;"));
	/* zero values draw no rect: 10 | 3, 2 | - */
	assert_int_equal(count(b.data, "<rect "), 3);
	assert_non_null(strstr(b.data, "data-max=\"10\""));
	h0 = rect_height(b.data, 0);
	h1 = rect_height(b.data, 1);
	h2 = rect_height(b.data, 2);
	assert_true(h0 > 0);
	assert_true(h1 > h0 * 0.3 - 0.02 && h1 < h0 * 0.3 + 0.02);
	assert_true(h2 > h0 * 0.2 - 0.02 && h2 < h0 * 0.2 + 0.02);
	assert_non_null(strstr(b.data, "<rect class=\"c-good\" data-n=\"3\""));
	buf_free(&b);

	c.nbars = 0;
	buf_init(&b, 1 << 20);
	assert_int_equal(svg_stacked(&b, &c), 0);
	assert_int_equal(count(b.data, "<g class=\"bar\""), 0);
	assert_non_null(strstr(b.data, ">nothing</text>"));
	buf_free(&b);
}

#define EVIL "<script>alert(1)</script>\"'&<img src=http://evil.invalid/x>\x01\xff"

static void fill(struct report *r)
{
	unsigned long n[LOGLINE_TRUST_COUNT] = { 5, 4, 3, 2, 1 };
	struct report_dest *d;

	report_init(r);
	r->generated = 1733400000;
	r->host = strdup(EVIL);
	r->have_logs = r->checked = r->probed = 1;
	r->files = 1;
	r->deliveries = 15;
	assert_int_equal(report_add_day(r, 2024, 12, 5, n), 0);
	assert_int_equal(report_add_day(r, 2024, 12, 6, n), 0);
	assert_int_equal(report_add_day(r, 2024, 13, 6, n), -1);
	assert_non_null(d = report_add_dest(r, EVIL ".example"));
	d->checked = 1;
	d->provider = strdup(EVIL);
	d->published = strdup(EVIL);
	d->policy = strdup(EVIL);
	d->parameter = strdup(EVIL);
	d->recommend = strdup(EVIL);
	d->recommend_src = strdup(EVIL);
	d->note = strdup(EVIL);
	d->suggestion = strdup(EVIL);
	memcpy(d->n, n, sizeof(n));
	d->sent = 15;
	assert_int_equal(report_add_finding(r, REPORT_F_WEAKER, EVIL, NULL, EVIL, 0), 0);
	assert_int_equal(report_add_finding(r, REPORT_F_DEFER, EVIL, EVIL, EVIL, 0), 0);
	assert_int_equal(report_add_finding(r, REPORT_F_EXPIRY, EVIL, EVIL, EVIL, 1733400000), 0);
	{
		struct report_snap prev = { (char *)EVIL "gone", (char *)EVIL, (char *)EVIL, 1, 1 };

		r->have_previous = 1;
		r->previous = 1733300000;
		assert_int_equal(report_diff(r, &prev, 1), 0);
		assert_int_equal(r->nchanges, 2);   /* the new one, the gone one */
	}
}

static void test_page_escapes_everything(void **state)
{
	struct report r;
	struct buf b;

	(void)state;
	fill(&r);
	buf_init(&b, REPORT_MAX_PAGE);
	assert_int_equal(report_html(&b, &r), 0);
	/* our one script, no other element from the names */
	assert_int_equal(count(b.data, "<script"), 1);
	assert_int_equal(count(b.data, "</script>"), 1);
	assert_null(strstr(b.data, "<img"));
	/* "src=" only as the escaped text of the name, never an attribute */
	assert_int_equal(count(b.data, "src="), count(b.data, "&lt;img src="));
	assert_null(strstr(b.data, "href=\"http"));
	assert_null(strstr(b.data, "\x01"));
	assert_null(strstr(b.data, "\xff"));
	/* the escaped form is there, in text and in the data attribute */
	assert_true(count(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;") >= 10);
	assert_non_null(strstr(b.data, "data-domain=\"&lt;script&gt;"));
	/* the CSP forbids every load */
	assert_non_null(strstr(b.data, "default-src 'none'; style-src 'unsafe-inline'; "
				       "script-src 'sha256-"));
	/* sections and the chart */
	assert_non_null(strstr(b.data, "<section id=\"coverage\">"));
	assert_non_null(strstr(b.data, "<section id=\"destinations\">"));
	assert_non_null(strstr(b.data, "<section id=\"findings\">"));
	assert_non_null(strstr(b.data, "<section id=\"changes\">"));
	assert_int_equal(count(b.data, "<g class=\"bar\""), 2);
	assert_non_null(strstr(b.data, "data-label=\"2024-12-05\" data-verified=\"5\" "
				       "data-trusted=\"4\" data-untrusted=\"3\" data-anonymous=\"2\" "
				       "data-plaintext=\"1\" data-total=\"15\""));
	assert_non_null(strstr(b.data, "<div id=\"f-own\" data-count=\"0\">"));
	assert_non_null(strstr(b.data, "not part of this report yet: run <code>tlspolicy own "
				       "check</code>"));
	buf_free(&b);

	/* JSON: escaped, no raw control or invalid byte */
	buf_init(&b, REPORT_MAX_PAGE);
	assert_int_equal(report_json(&b, &r), 0);
	assert_non_null(strstr(b.data, "\"<script>alert(1)</script>\\\"'&<img src=http://evil.invalid/x>"
				       "\\u0001\\u00ff.example\""));
	assert_null(strstr(b.data, "\x01"));
	assert_null(strstr(b.data, "\xff"));
	buf_free(&b);
	report_free(&r);
}

/* report --own: the own-domain findings in their table, escaped like
 * the rest; the JSON says own check ran */
static void test_page_own(void **state)
{
	struct report r;
	struct buf b;

	(void)state;
	fill(&r);
	r.own_checks = 1;
	assert_int_equal(report_add_finding(&r, REPORT_F_OWN, "own<i>.example", "mx.own<i>.example",
					    "error (dane-current): <b>OUTAGE</b>", 0), 0);
	buf_init(&b, REPORT_MAX_PAGE);
	assert_int_equal(report_html(&b, &r), 0);
	assert_non_null(strstr(b.data, "<div id=\"f-own\" data-count=\"1\">"));
	assert_non_null(strstr(b.data, "<th>subject</th>"));
	assert_non_null(strstr(b.data, "<td>own&lt;i&gt;.example</td><td>mx.own&lt;i&gt;.example"
				       "</td><td>error (dane-current): &lt;b&gt;OUTAGE&lt;/b&gt;</td>"));
	assert_null(strstr(b.data, "<b>OUTAGE"));
	assert_null(strstr(b.data, "not part of this report yet"));
	buf_reset(&b);
	assert_int_equal(report_json(&b, &r), 0);
	assert_non_null(strstr(b.data, "\"own_domain\": 1, \"own_domain_checks\": true, "
				       "\"own_note\": null"));
	assert_non_null(strstr(b.data, "\"kind\": \"own_domain\", \"domain\": \"own<i>.example\", "
				       "\"host\": \"mx.own<i>.example\""));
	buf_free(&b);
	report_free(&r);
}

static void test_page_empty(void **state)
{
	struct report r;
	struct buf b;

	(void)state;
	report_init(&r);
	r.have_logs = 1;
	buf_init(&b, REPORT_MAX_PAGE);
	assert_int_equal(report_html(&b, &r), 0);
	assert_int_equal(count(b.data, "<g class=\"bar\""), 0);
	assert_non_null(strstr(b.data, "No deliveries in the logs"));
	assert_non_null(strstr(b.data, "No destinations"));
	assert_non_null(strstr(b.data, "No previous report"));
	buf_free(&b);
	report_free(&r);
}

static void test_limits(void **state)
{
	struct report r;
	struct buf b;

	(void)state;
	report_init(&r);
	for (int i = 0; i < REPORT_MAX_DESTS + 5; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d%d.example", i);
		if (i < REPORT_MAX_DESTS)
			assert_non_null(report_add_dest(&r, name));
		else
			assert_null(report_add_dest(&r, name));
	}
	assert_int_equal(r.ndests, REPORT_MAX_DESTS);
	assert_int_equal(r.dests_left, 5);
	for (int i = 0; i < REPORT_MAX_FINDINGS + 3; i++)
		assert_int_equal(report_add_finding(&r, REPORT_F_WEAKER, "a.example", NULL, "x", 0), 0);
	assert_int_equal(r.nfindings, REPORT_MAX_FINDINGS);
	assert_int_equal(r.findings_left, 3);
	assert_int_equal(r.nkind[REPORT_F_WEAKER], REPORT_MAX_FINDINGS + 3);
	/* a page larger than the buffer's maximum is an error */
	buf_init(&b, 4096);
	assert_int_equal(report_html(&b, &r), -1);
	buf_free(&b);
	report_free(&r);
}

static void test_diff(void **state)
{
	struct report r;
	struct report_dest *d;
	struct report_snap prev[3] = {
		{ (char *)"same.example", (char *)"verify", (char *)"none", 100, 90 },
		{ (char *)"moved.example", (char *)"may", (char *)"none", 100, 10 },
		{ (char *)"gone.example", (char *)"encrypt", (char *)"none", 5, 5 },
	};

	(void)state;
	report_init(&r);
	d = report_add_dest(&r, "same.example");
	d->checked = 1;
	d->policy = strdup("verify");
	d->parameter = strdup("");
	d->published = strdup("none");
	d->sent = 200;
	d->n[LOGLINE_VERIFIED] = 181;     /* 90.5%: under a point from 90% */
	d = report_add_dest(&r, "moved.example");
	d->checked = 1;
	d->policy = strdup("secure");
	d->parameter = strdup("match=.x.example");
	d->published = strdup("MTA-STS (enforce)");
	d->sent = 100;
	d->n[LOGLINE_VERIFIED] = 95;
	d = report_add_dest(&r, "new.example");
	assert_int_equal(report_diff(&r, prev, 3), 0);
	assert_int_equal(r.nchanges, 5);
	assert_string_equal(r.changes[0].domain, "moved.example");
	assert_string_equal(r.changes[0].what, "policy");
	assert_string_equal(r.changes[0].before, "may");
	assert_string_equal(r.changes[0].after, "secure match=.x.example");
	assert_string_equal(r.changes[1].what, "published");
	assert_string_equal(r.changes[2].what, "Verified share");
	assert_string_equal(r.changes[2].before, "10.0% of 100");
	assert_string_equal(r.changes[2].after, "95.0% of 100");
	assert_string_equal(r.changes[3].domain, "new.example");
	assert_string_equal(r.changes[3].what, "new destination");
	assert_string_equal(r.changes[4].domain, "gone.example");
	assert_string_equal(r.changes[4].what, "no longer in the report");
	report_free(&r);
}

static void test_snapshot_text(void **state)
{
	char out[6];

	(void)state;
	store_report_text(out, sizeof(out), "abc");
	assert_string_equal(out, "abc");
	store_report_text(out, sizeof(out), "a\x01" "b\n");
	assert_string_equal(out, "a?b?");
	store_report_text(out, sizeof(out), "abcdefgh");
	assert_string_equal(out, "abcde");
	/* "abc" + U+20AC (3 bytes): cut before the euro sign */
	store_report_text(out, sizeof(out), "abc\xe2\x82\xac");
	assert_string_equal(out, "abc");
	store_report_text(out, sizeof(out), "ab\xe2\x82\xac");
	assert_string_equal(out, "ab\xe2\x82\xac");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_tick_step),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_page_escapes_everything),
		cmocka_unit_test(test_page_own),
		cmocka_unit_test(test_page_empty),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_snapshot_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
