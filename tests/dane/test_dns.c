/* SPDX-License-Identifier: MIT */
/*
 * test_dns.c - the dns layer without a DNS server: set-up errors name
 * the setting, and against a dead forwarder on loopback every query is
 * answered (failure, never a hang) within its timeout, from the loop,
 * and a cancelled query is never answered.  The lab tests
 * (tests/dane/lab-*.sh) cover real answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "dane/dane.h"
#include "dns/dns.h"
#include "util/config.h"

static char tmpdir[64];
static char ta_path[128];

/* The real root KSK-2017 DS: a syntactically valid anchor. */
static const char *root_ds =
	"; a comment line\n"
	"\n"
	". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";

static int setup(void **state)
{
	FILE *fp;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_dns.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(ta_path, sizeof(ta_path), "%s/root.ds", tmpdir);
	fp = fopen(ta_path, "w");
	assert_non_null(fp);
	fputs(root_ds, fp);
	fclose(fp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A UDP port on 127.0.0.1 bound by us and never read: queries sent
 * there go unanswered, which is what a dead resolver looks like. */
static unsigned dead_port(void)
{
	static int fd = -1;
	static unsigned port;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (fd >= 0)
		return port;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	return port;
}

static void test_setup_errors(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_opts o;
	struct errbuf why;
	struct dns *dns;
	char bad[160], path[160];
	static const struct {
		const char *resolvers;
		const char *want;
	} res_rows[] = {
		{ "not-an-ip", "not IP or IP@port" },
		{ "127.0.0.1@", "not IP or IP@port" },
		{ "127.0.0.1@0", "not IP or IP@port" },
		{ "127.0.0.1@65536", "not IP or IP@port" },
		{ "127.0.0.1@53x", "not IP or IP@port" },
		{ "127.0.0.1 recursive", "recursive must be alone" },
		{ "1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9",
		  "more than" },
	};

	(void)state;
	assert_non_null(base);
	memset(&o, 0, sizeof(o));
	o.trust_anchor_file = ta_path;
	for (size_t i = 0; i < sizeof(res_rows) / sizeof(res_rows[0]); i++) {
		o.resolvers = res_rows[i].resolvers;
		errbuf_clear(&why);
		assert_null(dns_new_opts(base, &o, &why));
		if (strstr(why.msg, res_rows[i].want) == NULL ||
		    strstr(why.msg, "dns_resolvers") == NULL)
			fail_msg("\"%s\": \"%s\"", res_rows[i].resolvers, why.msg);
	}

	o.resolvers = "127.0.0.1";
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	o.trust_anchor_file = path;
	assert_null(dns_new_opts(base, &o, &why));
	assert_non_null(strstr(why.msg, "dns_trust_anchor_file"));
	assert_non_null(strstr(why.msg, "No such file"));

	snprintf(bad, sizeof(bad), "%s/bad.key", tmpdir);
	o.trust_anchor_file = bad;
	write_file(bad, "; only comments\n\n");
	assert_null(dns_new_opts(base, &o, &why));
	assert_non_null(strstr(why.msg, "no DS or DNSKEY"));

	write_file(bad, "example. IN A 192.0.2.1\n");
	assert_null(dns_new_opts(base, &o, &why));
	assert_non_null(strstr(why.msg, ":1: not a DS or DNSKEY"));

	write_file(bad, ". IN DS 20326 8 2 ( E06D44B80B8F1D39A95C0B0D7C65D084\n");
	assert_null(dns_new_opts(base, &o, &why));
	assert_non_null(strstr(why.msg, "unbalanced"));

	/* libunbound rejects garbage in a DS record at set-up, not later */
	write_file(bad, ". IN DS twenty 8 2 nothex\n");
	assert_null(dns_new_opts(base, &o, &why));
	assert_non_null(strstr(why.msg, "dns_trust_anchor_file"));

	/* multi-line records with parentheses are joined */
	write_file(bad, ". IN DS 20326 8 2 (\n E06D44B80B8F1D39A95C0B0D7C65D084\n"
			"58E880409BBC683457104237C7F8EC8D ) ; KSK-2017\n");
	dns = dns_new_opts(base, &o, &why);
	if (dns == NULL)
		fail_msg("multi-line DS: %s", why.msg);
	dns_free(dns);

	/* the config path: dns_new() names the settings too */
	{
		struct config *cfg = config_new();

		assert_int_equal(config_set(cfg, "dns_trust_anchor_file", path, &why), 0);
		assert_null(dns_new(base, cfg, &why));
		assert_non_null(strstr(why.msg, "dns_trust_anchor_file"));
		assert_int_equal(config_set(cfg, "dns_trust_anchor_file", ta_path, &why), 0);
		assert_int_equal(config_set(cfg, "dns_resolvers", "::1@5353 127.0.0.1", &why), 0);
		dns = dns_new(base, cfg, &why);
		if (dns == NULL)
			fail_msg("dns_new: %s", why.msg);
		dns_free(dns);
		config_free(cfg);
	}
	event_base_free(base);
}

struct cb_state {
	int calls;
	enum dns_status status;
	struct timespec at;
};

static void count_cb(void *arg, const struct dns_answer *a)
{
	struct cb_state *st = arg;

	st->calls++;
	st->status = a->status;
	clock_gettime(CLOCK_MONOTONIC, &st->at);
}

static double since(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) +
	       (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

/* Every query against a dead forwarder ends (never hangs), from the
 * loop; a cancelled one is never answered; the fd leaves the loop when
 * nothing is pending, so event_base_dispatch() returns. */
static void test_dead_forwarder(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_opts o;
	struct errbuf why;
	struct dns *dns;
	struct cb_state s1 = { 0 }, s2 = { 0 }, s3 = { 0 }, s4 = { 0 };
	struct dns_query *q2;
	struct timespec t0, t1;
	char fwd[64];

	(void)state;
	snprintf(fwd, sizeof(fwd), "127.0.0.1@%u", dead_port());
	memset(&o, 0, sizeof(o));
	o.trust_anchor_file = ta_path;
	o.resolvers = fwd;
	o.timeout_ms = 700;
	dns = dns_new_opts(base, &o, &why);
	if (dns == NULL)
		fail_msg("dns_new_opts: %s", why.msg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dns_resolve(dns, "example.com", DNS_TYPE_MX, count_cb, &s1);
	q2 = dns_resolve(dns, "example.org", DNS_TYPE_TLSA, count_cb, &s2);
	dns_resolve(dns, "bad name", DNS_TYPE_A, count_cb, &s3);
	dns_resolve(dns, "", DNS_TYPE_A, count_cb, &s4);
	/* never from within dns_resolve() */
	assert_int_equal(s1.calls + s2.calls + s3.calls + s4.calls, 0);
	assert_int_equal(dns_pending(dns), 4);
	dns_cancel(q2);
	assert_int_equal(dns_pending(dns), 3);
	assert_int_equal(event_base_dispatch(base), 1); /* 1: no events left */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s1.calls, 1);
	assert_int_equal(s2.calls, 0);
	assert_int_equal(s3.calls, 1);
	assert_int_equal(s4.calls, 1);
	assert_int_equal(s3.status, DNS_STATUS_ERROR);
	assert_int_equal(s4.status, DNS_STATUS_ERROR);
	if (s1.status != DNS_STATUS_TIMEOUT && s1.status != DNS_STATUS_SERVFAIL)
		fail_msg("dead forwarder: status %s", dns_status_name(s1.status));
	/* the timeout bounds the wait (with slack for a slow machine) */
	if (since(&t0, &t1) > 3.0)
		fail_msg("took %.2f s with a 0.7 s timeout", since(&t0, &t1));
	assert_int_equal(dns_pending(dns), 0);

	/* the synchronous path runs the same loop */
	{
		struct dns_answer *a = dns_resolve_sync(dns, "example.net", DNS_TYPE_A);

		assert_true(a->status == DNS_STATUS_TIMEOUT ||
			    a->status == DNS_STATUS_SERVFAIL);
		assert_string_equal(a->qname, "example.net");
		assert_int_equal(a->sec, DNS_SEC_INDETERMINATE);
		dns_answer_free(a);
	}
	/* pending queries at dns_free() are cancelled, callbacks not made */
	dns_resolve(dns, "example.com", DNS_TYPE_AAAA, count_cb, &s2);
	dns_free(dns);
	assert_int_equal(s2.calls, 0);
	event_base_free(base);
}

/* A whole DANE lookup against the dead forwarder: FAILED, not TEMP. */
struct facts_state {
	int calls;
	struct dane_decision d;
};

static void facts_cb(void *arg, const struct dane_facts *f)
{
	struct facts_state *st = arg;

	st->calls++;
	dane_decide(f, DANE_ANSWER_DANE_ONLY, &st->d);
}

static void test_dane_dead_forwarder(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_opts o;
	struct errbuf why;
	struct dns *dns;
	struct dane *dane;
	struct facts_state s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	struct dane_lookup *lk;
	char fwd[64];

	(void)state;
	snprintf(fwd, sizeof(fwd), "127.0.0.1@%u", dead_port());
	memset(&o, 0, sizeof(o));
	o.trust_anchor_file = ta_path;
	o.resolvers = fwd;
	o.timeout_ms = 500;
	dns = dns_new_opts(base, &o, &why);
	assert_non_null(dns);
	dane = dane_new(dns, NULL, &why);
	assert_non_null(dane);
	dane_lookup(dane, "example.com", facts_cb, &s1);
	lk = dane_lookup(dane, "example.org", facts_cb, &s2);
	dane_lookup(dane, "not a domain", facts_cb, &s3);
	dane_lookup_cancel(lk);
	event_base_dispatch(base);
	assert_int_equal(s1.calls, 1);
	assert_int_equal(s2.calls, 0);
	assert_int_equal(s3.calls, 1);
	assert_int_equal(s1.d.verdict, SOURCE_FAILED);
	assert_int_equal(s3.d.verdict, SOURCE_FAILED);
	dane_free(dane);
	dns_free(dns);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_errors),
		cmocka_unit_test(test_dead_forwarder),
		cmocka_unit_test(test_dane_dead_forwarder),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
