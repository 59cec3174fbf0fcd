/* SPDX-License-Identifier: MIT */
/*
 * test_replay.c - the replay file parser (src/dns/replay.h): what it
 * reads, the clear errors it gives (file:line: reason) and that a bad
 * file makes nothing; and a replay context answering on the loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/replay.h"
#include "dns/rr.h"
#include "metrics/metrics.h"
#include "util/errbuf.h"

static const char good[] =
	"# comment\n"
	"query Example.COM. MX secure data ttl=60\n"
	"  MX 10 mx1.example.com\n"
	"\tMX 20 MX2.example.com.\n"
	"\n"
	"query mx1.example.com A secure data\n"
	"  A 192.0.2.1\n"
	"query mx1.example.com AAAA insecure nodata\n"
	"query _25._tcp.mx1.example.com TLSA secure data canon=t.example.net\n"
	"  TLSA 3 1 1 0011ff\n"
	"  TLSA 2 0 0 -\n"
	"query _mta-sts.example.com TXT secure data\n"
	"  TXT \"v=STSv1; \" \"id=a\\\"b\"\n"
	"query null.example MX secure data\n"
	"  MX 0 .\n"
	"query bad.example MX bogus servfail why=signature expired: RRSIG\n"
	"query . DNSKEY secure data\n"
	"  DNSKEY \\# 3 0a0b0c\r\n"
	"query gone.example MX secure nxdomain\n";

static void test_parse_good(void **state)
{
	struct errbuf why;
	struct replay *r;
	const struct replay_entry *e;
	unsigned pref;
	char host[DNS_NAME_BUF];

	(void)state;
	errbuf_clear(&why);
	r = replay_parse(good, strlen(good), "good.rpl", &why);
	if (r == NULL)
		fail_msg("%s", why.msg);
	assert_int_equal(replay_count(r), 9);
	assert_non_null(e = replay_find(r, "EXAMPLE.com.", DNS_TYPE_MX));
	assert_string_equal(e->name, "example.com");
	assert_int_equal(e->ttl, 60);
	assert_int_equal(e->sec, DNS_SEC_SECURE);
	assert_int_equal(e->status, DNS_STATUS_DATA);
	assert_int_equal(e->count, 2);
	assert_int_equal(rr_mx(e->records[1].data, e->records[1].len, &pref, host,
			       sizeof(host), NULL), 0);
	assert_int_equal(pref, 20);
	assert_string_equal(host, "mx2.example.com");
	assert_null(replay_find(r, "example.com", DNS_TYPE_A));
	assert_non_null(e = replay_find(r, "mx1.example.com", DNS_TYPE_A));
	assert_int_equal(e->records[0].len, 4);
	assert_memory_equal(e->records[0].data, "\xc0\x00\x02\x01", 4);
	assert_non_null(e = replay_find(r, "mx1.example.com", DNS_TYPE_AAAA));
	assert_int_equal(e->sec, DNS_SEC_INSECURE);
	assert_int_equal(e->count, 0);
	assert_non_null(e = replay_find(r, "_25._tcp.mx1.example.com", DNS_TYPE_TLSA));
	assert_string_equal(e->canon, "t.example.net");
	assert_int_equal(e->records[0].len, 6);
	assert_memory_equal(e->records[0].data, "\x03\x01\x01\x00\x11\xff", 6);
	assert_int_equal(e->records[1].len, 3);
	assert_non_null(e = replay_find(r, "_mta-sts.example.com", DNS_TYPE_TXT));
	assert_int_equal(e->records[0].len, 1 + 9 + 1 + 6);
	assert_memory_equal(e->records[0].data, "\x09v=STSv1; \x06id=a\"b", 17);
	assert_non_null(e = replay_find(r, "null.example", DNS_TYPE_MX));
	assert_int_equal(e->records[0].len, 3);
	assert_non_null(e = replay_find(r, "bad.example", DNS_TYPE_MX));
	assert_string_equal(e->why, "signature expired: RRSIG");
	assert_int_equal(e->sec, DNS_SEC_BOGUS);
	assert_non_null(e = replay_find(r, ".", DNS_TYPE_DNSKEY));
	assert_int_equal(e->records[0].len, 3);
	replay_free(r);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "foo bar\n", "x.rpl:1: expected \"query ...\" or an indented record" },
		{ "  A 192.0.2.1\n", "x.rpl:1: record before any \"query\" line" },
		{ "query a.example MX\n", "x.rpl:1: expected \"query NAME TYPE SEC STATUS\"" },
		{ "query a..example MX secure data\n", "x.rpl:1: invalid name \"a..example\"" },
		{ "query a.example MXX secure data\n", "x.rpl:1: unknown TYPE \"MXX\"" },
		{ "query a.example MX sure data\n", "x.rpl:1: unknown SEC \"sure\"" },
		{ "query a.example MX secure ok\n", "x.rpl:1: unknown STATUS \"ok\"" },
		{ "query a.example MX secure nodata ttl=x\n", "x.rpl:1: invalid ttl \"x\"" },
		{ "query a.example MX secure nodata color=red\n", "x.rpl:1: unknown option" },
		{ "query a.example MX secure data\n", "x.rpl:1: the last query is data without records" },
		{ "query a.example MX secure data\nquery b.example MX secure nodata\n",
		  "x.rpl:2: the query before this line is data without records" },
		{ "query a.example MX secure nodata\n  MX 10 b.example\n",
		  "x.rpl:2: record under a query whose STATUS is not data" },
		{ "query a.example MX secure data\n  A 192.0.2.1\n",
		  "x.rpl:2: record type \"A\" differs from the query's" },
		{ "query a.example A secure data\n  A 192.0.2.256\n",
		  "x.rpl:2: invalid address \"192.0.2.256\"" },
		{ "query a.example MX secure data\n  MX 70000 b.example\n",
		  "x.rpl:2: MX: invalid preference \"70000\"" },
		{ "query a.example MX secure data\n  MX 10 b..example\n",
		  "x.rpl:2: MX: invalid host \"b..example\"" },
		{ "query a.example TLSA secure data\n  TLSA 3 1 1 abc\n",
		  "x.rpl:2: TLSA: bad hex length" },
		{ "query a.example TLSA secure data\n  TLSA 3 1 256 ab\n",
		  "x.rpl:2: TLSA: \"256\" is not a number 0..255" },
		{ "query a.example TLSA secure data\n  TLSA 3 1 1 zz\n", "x.rpl:2: TLSA: not hex" },
		{ "query a.example TXT secure data\n  TXT \"open\n", "x.rpl:2: TXT: unterminated string" },
		{ "query a.example TXT secure data\n  TXT bare\n",
		  "x.rpl:2: TXT: expected a quoted string" },
		{ "query a.example TYPE99 secure data\n  TYPE99 \\# 2 ab\n",
		  "x.rpl:2: generic record: LENGTH 2 does not match the hex" },
		{ "query a.example MX secure nodata\nquery A.example. MX secure nxdomain\n",
		  "x.rpl:2: second entry for a.example of this type" },
		/* errors after canon=: nothing leaks (ASan, valgrind) */
		{ "query a.example MX secure nodata canon=b.example canon=c.example\n",
		  "x.rpl:1: canon= given twice" },
		{ "query a.example MX secure nodata canon=b.example ttl=x\n",
		  "x.rpl:1: invalid ttl \"x\"" },
		{ "query a.example MX secure nodata canon=b.example canon=..\n",
		  "x.rpl:1: canon= given twice" },
	};
	char longline[REPLAY_MAX_LINE + 16];
	struct errbuf why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct replay *r;

		errbuf_clear(&why);
		r = replay_parse(bad[i].text, strlen(bad[i].text), "x.rpl", &why);
		if (r != NULL) {
			replay_free(r);
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		}
		if (strncmp(why.msg, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, why.msg, bad[i].want);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_null(replay_parse(longline, strlen(longline), "x.rpl", &why));
	assert_string_equal(why.msg, "x.rpl:1: line longer than 4096 bytes");
	assert_null(replay_parse("query a\0b MX secure nodata\n", 27, "x.rpl", &why));
	assert_string_equal(why.msg, "x.rpl:1: NUL byte in the line");
	assert_null(replay_load("/nonexistent/x.rpl", &why));
	assert_non_null(strstr(why.msg, "/nonexistent/x.rpl: "));
}

struct got {
	int n;
	enum dns_status status;
	enum dns_sec sec;
	unsigned ttl;
	size_t count;
	char why[200];
};

static void cb(void *arg, const struct dns_answer *a)
{
	struct got *g = arg;

	g->n++;
	g->status = a->status;
	g->sec = a->sec;
	g->ttl = a->ttl;
	g->count = a->count;
	snprintf(g->why, sizeof(g->why), "%s", a->why ? a->why : "");
}

/* Answers come from the loop, never from within dns_resolve(). */
static void test_context(void **state)
{
	struct errbuf why;
	struct event_base *base = event_base_new();
	struct replay *r = replay_parse(good, strlen(good), "good.rpl", &why);
	struct dns *dns;
	struct got a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	struct dns_query *q;
	unsigned long long bogus0 = metrics_read(&metrics_g.dnssec_bogus);

	(void)state;
	assert_non_null(base);
	assert_non_null(r);
	assert_non_null(dns = dns_new_replay(base, r));
	dns_resolve(dns, "example.com", DNS_TYPE_MX, cb, &a);
	dns_resolve(dns, "bad.example", DNS_TYPE_MX, cb, &b);
	dns_resolve(dns, "missing.example", DNS_TYPE_MX, cb, &c);
	q = dns_resolve(dns, "gone.example", DNS_TYPE_MX, cb, &d);
	dns_cancel(q);
	assert_int_equal(a.n + b.n + c.n + d.n, 0);
	assert_int_equal(dns_pending(dns), 3);
	event_base_dispatch(base);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.status, DNS_STATUS_DATA);
	assert_int_equal(a.sec, DNS_SEC_SECURE);
	assert_int_equal(a.ttl, 60);
	assert_int_equal(a.count, 2);
	assert_int_equal(b.status, DNS_STATUS_SERVFAIL);
	assert_int_equal(b.sec, DNS_SEC_BOGUS);
	assert_string_equal(b.why, "signature expired: RRSIG");
	/* issue 13: tlspolicy_dnssec_failures_total counts the bogus one only */
	assert_int_equal(metrics_read(&metrics_g.dnssec_bogus) - bogus0, 1);
	assert_int_equal(c.status, DNS_STATUS_ERROR);
	assert_string_equal(c.why, "no replay entry for missing.example MX");
	assert_int_equal(d.n, 0);
	assert_int_equal(dns_replay_misses(dns), 1);
	assert_int_equal(dns_pending(dns), 0);
	dns_free(dns);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
