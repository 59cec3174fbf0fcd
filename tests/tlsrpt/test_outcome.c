/* SPDX-License-Identifier: MIT */
/* Unit tests of src/tlsrpt/outcome.c: Postfix 3.7 smtp(8) lines to RFC 8460
 * session outcomes.  The fixture postfix37-lab.log is the lab sender's log
 * (tests/lab, Postfix 3.7.11) of one delivery to each scenario domain under
 * smtp_tls_security_level = dane and a policy map requiring TLS (see the
 * README of tests/tlsrpt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt/outcome.h"
#include "util/buf.h"

struct out {
	char text[8192];
};

static void collect(void *arg, const struct tlsrpt_outcome *o)
{
	struct out *out = arg;
	size_t n = strlen(out->text);

	snprintf(out->text + n, sizeof(out->text) - n, "%s %s %s %s %s %s\n", o->domain, o->day,
		 o->mta, o->mx_host[0] ? o->mx_host : "-", o->mx_ip[0] ? o->mx_ip : "-",
		 tlsrpt_result_name(o->result));
}

static void feed(struct tlsrpt_collector *c, const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		tlsrpt_collector_line(c, p, (size_t)(nl - p));
		p = *nl ? nl + 1 : nl;
	}
}

static struct tlsrpt_collector *mk(struct out *out)
{
	struct tlsrpt_collector *c;

	memset(out, 0, sizeof(*out));
	c = tlsrpt_collector_new(collect, out);
	assert_non_null(c);
	/* 2026-12-31 12:00 UTC: year-less stamps are 2026 */
	tlsrpt_collector_reftime(c, 1798718400);
	return c;
}

static void test_lab_log(void **state)
{
	struct out out;
	struct tlsrpt_collector *c = mk(&out);
	char path[4096], *text;
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/tlsrpt/fixtures/postfix37-lab.log",
		 getenv("SRCDIR") ? getenv("SRCDIR") : ".");
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	feed(c, text);
	free(text);
	assert_string_equal(out.text,
		"tls.example 2026-12-03 sender mx.tls.example 127.0.3.20 success\n"
		"plain.example 2026-12-03 sender mx.plain.example 127.0.3.21 starttls-not-supported\n"
		"selfsigned.example 2026-12-03 sender mx.selfsigned.example 127.0.3.22 certificate-not-trusted\n"
		"mismatch.example 2026-12-03 sender mx.mismatch.example 127.0.3.23 certificate-host-mismatch\n"
		"expired.example 2026-12-03 sender mx.expired.example 127.0.3.24 certificate-expired\n"
		"untrusted.example 2026-12-03 sender mx.untrusted.example 127.0.3.25 certificate-not-trusted\n"
		"dane-ee.example 2026-12-03 sender mx.dane-ee.example 127.0.3.1 success\n"
		"dane-mismatch.example 2026-12-03 sender mx.dane-mismatch.example 127.0.3.3 tlsa-invalid\n"
		"dane-tlsafail.example 2026-12-03 sender mx.dane-tlsafail.example - dnssec-invalid\n"
		"enforce.sts.example 2026-12-03 sender mx.enforce.sts.example 127.0.3.40 success\n"
		"untrusted.sts.example 2026-12-03 sender mx.untrusted.sts.example 127.0.3.42 success\n"
		"selfsigned.example 2026-12-03 sender mx.selfsigned.example 127.0.3.22 certificate-not-trusted\n"
		"plain.example 2026-12-03 sender mx.plain.example 127.0.3.21 starttls-not-supported\n");
	tlsrpt_collector_free(c);
}

/* Several recipients of one message over one session count once; the next
 * message on the same process and relay without a TLS line went in clear. */
static void test_one_session_per_message(void **state)
{
	struct out out;
	struct tlsrpt_collector *c = mk(&out);

	(void)state;
	feed(c,
	     "Dec 05 09:58:04 mail postfix/smtp[4001]: Verified TLS connection established to mx1.v.example[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
	     "Dec 05 09:58:04 mail postfix/smtp[4001]: 4Q1AZz1ab01: to=<bob@v.example>, relay=mx1.v.example[192.0.2.10]:25, delay=1.2, delays=0.9/0.01/0.18/0.11, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
	     "Dec 05 09:58:04 mail postfix/smtp[4001]: 4Q1AZz1ab01: to=<carol@V.Example>, relay=mx1.v.example[192.0.2.10]:25, delay=1.2, delays=0.9/0.01/0.18/0.11, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
	     "Dec 05 09:58:05 mail postfix/smtp[4001]: 4Q1BBz1ab02: to=<dan@v.example>, relay=mx1.v.example[192.0.2.10]:25, delay=1.2, delays=0.9/0.01/0.18/0.11, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
	     "Dec 05 09:58:06 mail postfix/smtp[4001]: Verified TLS connection reused to mx1.v.example[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
	     "Dec 05 09:58:06 mail postfix/smtp[4001]: 4Q1CCz1ab03: to=<eve@v.example>, relay=mx1.v.example[192.0.2.10]:25, conn_use=2, delay=1.2, delays=0.9/0.01/0.18/0.11, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n");
	assert_string_equal(out.text,
		"v.example 2026-12-05 mail mx1.v.example 192.0.2.10 success\n"
		"v.example 2026-12-05 mail mx1.v.example 192.0.2.10 starttls-not-supported\n"
		"v.example 2026-12-05 mail mx1.v.example 192.0.2.10 success\n");
	tlsrpt_collector_free(c);
}

/* A non-final failure on the first MX is charged to the message's domain
 * when its delivery record (from the second MX) comes; an expired
 * certificate detail refines "not trusted". */
static void test_nonfinal_failure(void **state)
{
	struct out out;
	struct tlsrpt_collector *c = mk(&out);

	(void)state;
	feed(c,
	     "Dec 05 09:58:30 mail postfix/smtp[4011]: server certificate verification failed for mx1.e.example[192.0.2.90]:25: certificate has expired\n"
	     "Dec 05 09:58:30 mail postfix/smtp[4011]: Untrusted TLS connection established to mx1.e.example[192.0.2.90]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)\n"
	     "Dec 05 09:58:30 mail postfix/smtp[4011]: 4Q1MMz3yz13: Server certificate not trusted\n"
	     "Dec 05 09:58:30 mail postfix/smtp[4011]: Verified TLS connection established to mx2.e.example[192.0.2.91]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
	     "Dec 05 09:58:30 mail postfix/smtp[4011]: 4Q1MMz3yz13: to=<rob@e.example>, relay=mx2.e.example[192.0.2.91]:25, delay=0.9, delays=0.01/0.01/0.8/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
	     "Dec 05 09:58:26 mail postfix/smtp[4009]: 4Q1KKz1uv11: TLS is required, but was not offered by host mx1.n.example[192.0.2.70]\n"
	     "Dec 05 09:58:26 mail postfix/smtp[4009]: 4Q1KKz1uv11: to=<olga@n.example>, relay=mx2.n.example[192.0.2.71]:25, delay=0.5, delays=0.01/0.01/0.4/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx2.n.example[192.0.2.71])\n"
	     "Dec 05 09:58:26 mail postfix/smtp[4009]: 4Q1KKz1uv11: to=<pete@n.example>, relay=mx2.n.example[192.0.2.71]:25, delay=0.5, delays=0.01/0.01/0.4/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx2.n.example[192.0.2.71])\n");
	assert_string_equal(out.text,
		"e.example 2026-12-05 mail mx1.e.example 192.0.2.90 certificate-expired\n"
		"e.example 2026-12-05 mail mx2.e.example 192.0.2.91 success\n"
		"n.example 2026-12-05 mail mx1.n.example 192.0.2.70 starttls-not-supported\n"
		"n.example 2026-12-05 mail mx2.n.example 192.0.2.71 starttls-not-supported\n");
	tlsrpt_collector_free(c);
}

/* The UTC day of zoned stamps; connection failures and non-TLS bounces
 * are no TLS session; hostile names are dropped. */
static void test_day_and_skips(void **state)
{
	struct out out;
	struct tlsrpt_collector *c = mk(&out);

	(void)state;
	feed(c,
	     "2026-12-05T23:30:00-02:00 mx2 postfix/smtp[7]: Trusted TLS connection established to mx.z.example[2001:db8::1]:25: TLSv1.3 with cipher X (256/256 bits)\n"
	     "2026-12-05T23:30:00-02:00 mx2 postfix/smtp[7]: AAAAA11111: to=<a@z.example>, relay=mx.z.example[2001:db8::1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n"
	     "Dec 03 12:12:23 sender postfix/smtp[17482]: 34E96A72830: to=<a@dead.example>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to mx.dead.example[127.0.3.250]:25: Connection refused)\n"
	     "Dec 03 12:12:23 sender postfix/smtp[17482]: B5B11A72832: to=<a@gone.example>, relay=none, delay=0.01, delays=0/0/0/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=gone.example type=AAAA: Host not found)\n"
	     "Dec 03 12:12:23 sender postfix/smtp[17482]: B5B11A72833: to=<a@b\x01""ad.example>, relay=mx.x.example[192.0.2.1]:25, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)\n"
	     "Dec 03 12:12:23 sender postfix/qmgr[1]: B5B11A72833: removed\n");
	assert_string_equal(out.text, "z.example 2026-12-06 mx2 mx.z.example 2001:db8::1 success\n");
	tlsrpt_collector_free(c);
}

/* Loop guard: the report mails' own deliveries produce no outcome. */
static void test_loop_guard(void **state)
{
	struct out out;
	struct tlsrpt_collector *c = mk(&out);

	(void)state;
	tlsrpt_collector_ignore_sender(c, "tlsrpt-noreply@lab.example");
	feed(c,
	     "Dec 03 12:35:21 sender postfix/qmgr[8313]: 1EAF6A72807: from=<tlsrpt-noreply@lab.example>, size=2080, nrcpt=1 (queue active)\n"
	     "Dec 03 12:35:21 sender postfix/qmgr[8313]: 1EAF6A72808: from=<someone@lab.example>, size=2080, nrcpt=1 (queue active)\n"
	     "Dec 03 12:35:21 sender postfix/smtp[3683]: Trusted TLS connection established to mx.tls.example[127.0.3.20]:25: TLSv1.3 with cipher X (256/256 bits)\n"
	     "Dec 03 12:35:21 sender postfix/smtp[3683]: 1EAF6A72807: to=<tlsrpt@rua.tls.example>, relay=mx.tls.example[127.0.3.20]:25, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
	     "Dec 03 12:35:22 sender postfix/smtp[3683]: Trusted TLS connection established to mx.tls.example[127.0.3.20]:25: TLSv1.3 with cipher X (256/256 bits)\n"
	     "Dec 03 12:35:22 sender postfix/smtp[3683]: 1EAF6A72808: to=<x@rua.tls.example>, relay=mx.tls.example[127.0.3.20]:25, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n");
	assert_string_equal(out.text,
		"rua.tls.example 2026-12-03 sender mx.tls.example 127.0.3.20 success\n");
	assert_int_equal(tlsrpt_collector_counts(c)->guarded, 1);
	tlsrpt_collector_free(c);
}

/* A session whose TLS line and delivery fall into two runs: the state
 * saved after the first is loaded by the second. */
static void test_state_between_runs(void **state)
{
	struct out out;
	struct tlsrpt_collector *c = mk(&out), *c2;
	struct buf b;

	(void)state;
	tlsrpt_collector_ignore_sender(c, "tlsrpt-noreply@lab.example");
	feed(c,
	     "Dec 03 12:35:20 sender postfix/qmgr[8313]: 1EAF6A72807: from=<tlsrpt-noreply@lab.example>, size=2080, nrcpt=1 (queue active)\n"
	     "Dec 03 12:12:21 sender postfix/smtp[17482]: certificate verification failed for mx.s.example[127.0.3.22]:25: self-signed certificate\n"
	     "Dec 03 12:12:21 sender postfix/smtp[17482]: Untrusted TLS connection established to mx.s.example[127.0.3.22]:25: TLSv1.3 with cipher X (256/256 bits)\n"
	     "Dec 03 12:12:22 sender postfix/smtp[17483]: 4Q1MMz3yz13: TLS is required, but was not offered by host mx1.n.example[192.0.2.70]\n"
	     "Dec 03 12:12:22 sender postfix/smtp[17484]: Verified TLS connection established to mx.v.example[192.0.2.5]:25: TLSv1.3 with cipher X (256/256 bits)\n");
	assert_string_equal(out.text, "");
	buf_init(&b, 65536);
	assert_int_equal(tlsrpt_collector_save(c, &b), 0);
	tlsrpt_collector_free(c);
	c2 = tlsrpt_collector_new(collect, &out);
	tlsrpt_collector_reftime(c2, 1798718400);
	tlsrpt_collector_ignore_sender(c2, "tlsrpt-noreply@lab.example");
	tlsrpt_collector_load(c2, b.data);
	feed(c2,
	     "Dec 03 12:12:23 sender postfix/smtp[17482]: BDFCAA7281B: to=<a@s.example>, relay=mx.s.example[127.0.3.22]:25, delay=0.02, delays=0.01/0/0.01/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
	     "Dec 03 12:12:23 sender postfix/smtp[17483]: 4Q1MMz3yz13: to=<b@n.example>, relay=mx2.n.example[192.0.2.71]:25, delay=0.5, delays=0.01/0.01/0.4/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx2.n.example[192.0.2.71])\n"
	     "Dec 03 12:12:23 sender postfix/smtp[17484]: 1EAF6A72807: to=<tlsrpt@rua.example>, relay=mx.v.example[192.0.2.5]:25, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n");
	assert_string_equal(out.text,
		"s.example 2026-12-03 sender mx.s.example 127.0.3.22 certificate-not-trusted\n"
		"n.example 2026-12-03 sender mx1.n.example 192.0.2.70 starttls-not-supported\n"
		"n.example 2026-12-03 sender mx2.n.example 192.0.2.71 starttls-not-supported\n");
	assert_int_equal(tlsrpt_collector_counts(c2)->guarded, 1);
	/* garbage state is ignored */
	tlsrpt_collector_load(c2, "P\tx\ny\tz\tq\nF\t1\n\n\t\t\t");
	buf_free(&b);
	tlsrpt_collector_free(c2);
}

static void test_result_names(void **state)
{
	(void)state;
	for (int i = 0; i < TLSRPT_RESULT_COUNT; i++)
		assert_int_equal(tlsrpt_result_parse(tlsrpt_result_name((enum tlsrpt_result)i)), i);
	assert_int_equal(tlsrpt_result_parse("certificate-revoked"), -1);
	assert_null(tlsrpt_result_name(TLSRPT_RESULT_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_log),
		cmocka_unit_test(test_one_session_per_message),
		cmocka_unit_test(test_nonfinal_failure),
		cmocka_unit_test(test_day_and_skips),
		cmocka_unit_test(test_loop_guard),
		cmocka_unit_test(test_state_between_runs),
		cmocka_unit_test(test_result_names),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
