/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the logscan scanner (correlation of TLS lines, delivery
 * records and failures per process) and of the suggestion rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/logscan.h"
#include "logscan/report.h"

#include <unistd.h>
#include <zlib.h>

#define R1 "mx1.a.example[192.0.2.1]:25"
#define R2 "mx2.a.example[192.0.2.2]:25"
#define TLS(trust, how, relay) trust " TLS connection " how " to " relay ": TLSv1.3 with cipher " \
	"TLS_AES_256_GCM_SHA384 (256/256 bits)"
#define DLV(qid, rcpt, relay, status) qid ": to=<" rcpt ">, relay=" relay ", delay=1, " \
	"delays=0.1/0/0.5/0.4, dsn=2.0.0, status=" status

static struct logscan *ls;

static int setup(void **state)
{
	(void)state;
	ls = logscan_new(NULL);
	return ls ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	logscan_free(ls);
	ls = NULL;
	return 0;
}

/* Feeds "Nov 28 12:00:SS mail TAG[PID]: MSG". */
static void feed_at(int sec, const char *tag, int pid, const char *msg)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "Nov 28 12:%02d:%02d mail %s[%d]: %s", sec / 60,
			 sec % 60, tag, pid, msg);

	logscan_line(ls, line, (size_t)n);
}

static void feed(const char *tag, int pid, const char *msg)
{
	feed_at(0, tag, pid, msg);
}

static const struct logscan_domain *dom(const char *name)
{
	for (size_t i = 0; i < logscan_ndomains(ls); i++)
		if (strcmp(logscan_domain(ls, i)->name, name) == 0)
			return logscan_domain(ls, i);
	fail_msg("no domain %s", name);
	return NULL;
}

static const struct logscan_mx *mx_of(const struct logscan_domain *d, const char *host)
{
	for (uint32_t m = d->mx_first; m; m = logscan_mx(ls, m)->next)
		if (strcmp(logscan_host_name(ls, logscan_mx(ls, m)->host), host) == 0)
			return logscan_mx(ls, m);
	fail_msg("no mx %s for %s", host, d->name);
	return NULL;
}

#define V LOGLINE_VERIFIED
#define T LOGLINE_TRUSTED
#define P LOGLINE_PLAINTEXT

static void test_session_recipients(void **state)
{
	const struct logscan_domain *d;

	(void)state;
	feed("postfix/smtp", 10, TLS("Verified", "established", R1));
	feed("postfix/smtp", 10, DLV("AAAAA1", "x@a.example", R1, "sent (250 ok)"));
	feed("postfix/smtp", 10, DLV("AAAAA1", "y@A.Example.", R1, "sent (250 ok)"));
	/* the next message of the process, new connection, no TLS line */
	feed("postfix/smtp", 10, DLV("AAAAA2", "z@a.example", R1, "sent (250 ok)"));
	d = dom("a.example");
	assert_int_equal(d->t.tls[V], 2);
	assert_int_equal(d->t.tls[P], 1);
	assert_int_equal(mx_of(d, "mx1.a.example")->t.tls[V], 2);
	assert_int_equal(logscan_ndomains(ls), 1);
	assert_string_equal(logscan_tls_name(ls, d->proto[0]), "TLSv1.3");
	assert_int_equal(d->proto_n[0], 2);
	assert_string_equal(logscan_tls_name(ls, d->cipher[0]), "TLS_AES_256_GCM_SHA384");
}

static void test_reuse(void **state)
{
	const struct logscan_domain *d;

	(void)state;
	/* a cached connection picked up by another process: "reused" */
	feed("postfix/tlsproxy", 20, TLS("Trusted", "established", R1));
	feed("postfix/smtp", 21, TLS("Trusted", "reused", R1));
	feed("postfix/smtp", 21, "BBBBB1: to=<x@a.example>, relay=" R1 ", conn_use=2, delay=1, "
	     "delays=0/0/0/1, dsn=2.0.0, status=sent (ok)");
	/* the tlsproxy line alone covers nothing */
	feed("postfix/smtp", 20, DLV("BBBBB2", "y@a.example", R1, "sent (ok)"));
	d = dom("a.example");
	assert_int_equal(d->t.tls[T], 1);
	assert_int_equal(d->t.tls[P], 1);
}

static void test_processes_apart(void **state)
{
	const struct logscan_domain *d;

	(void)state;
	feed("postfix/smtp", 30, TLS("Verified", "established", R1));
	/* other pid, other instance with the same pid, other host */
	feed("postfix/smtp", 31, DLV("CCCCC1", "a@a.example", R1, "sent (ok)"));
	feed("postfix-out/smtp", 30, DLV("CCCCC2", "b@a.example", R1, "sent (ok)"));
	logscan_line(ls, "Nov 28 12:00:00 other postfix/smtp[30]: " DLV("CCCCC3", "c@a.example", R1,
		     "sent (ok)"), strlen("Nov 28 12:00:00 other postfix/smtp[30]: " DLV("CCCCC3",
		     "c@a.example", R1, "sent (ok)")));
	/* other relay in the same process */
	feed("postfix/smtp", 30, DLV("CCCCC4", "d@a.example", R2, "sent (ok)"));
	/* finally the right one */
	feed("postfix/smtp", 30, DLV("CCCCC5", "e@a.example", R1, "sent (ok)"));
	d = dom("a.example");
	assert_int_equal(d->t.tls[V], 1);
	assert_int_equal(d->t.tls[P], 4);
	assert_int_equal(mx_of(d, "mx2.a.example")->t.tls[P], 1);
}

static void test_not_outbound(void **state)
{
	(void)state;
	feed("postfix/smtpd", 40, "Anonymous TLS connection established from c.example[192.0.2.7]: "
	     "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
	feed("postfix/local", 41, "DDDDD1: to=<root@a.example>, relay=local, delay=0, "
	     "delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)");
	feed("postfix/discard", 42, "DDDDD2: to=<x@a.example>, relay=none, delay=0, "
	     "delays=0/0/0/0, dsn=2.0.0, status=sent (a.example)");
	feed("postfix/qmgr", 43, "DDDDD3: from=<old@a.example>, status=expired, returned to sender");
	feed("postfix/smtp", 44, "DDDDD3: to=<root>, relay=mx[192.0.2.1]:25, delay=1, "
	     "delays=0/0/0/1, dsn=2.0.0, status=sent (ok)");
	assert_int_equal(logscan_ndomains(ls), 0);
	assert_int_equal(logscan_counts(ls)->postfix_lines, 5);
	assert_int_equal(logscan_counts(ls)->no_domain, 1);
	assert_int_equal(logscan_counts(ls)->deliveries, 0);
}

static void test_cert_failure_once(void **state)
{
	const struct logscan_domain *d;

	(void)state;
	feed("postfix/smtp", 50, "certificate verification failed for " R1 ": untrusted issuer /CN=x");
	feed("postfix/smtp", 50, TLS("Untrusted", "established", R1));
	feed("postfix/smtp", 50, DLV("EEEEE1", "a@a.example", R1, "deferred (Server certificate not trusted)"));
	feed("postfix/smtp", 50, DLV("EEEEE1", "b@a.example", R1, "deferred (Server certificate not trusted)"));
	d = dom("a.example");
	assert_int_equal(d->t.fail[LOGLINE_FAIL_UNTRUSTED], 1);
	assert_int_equal(logscan_failures(&d->t), 1);
	assert_int_equal(d->t.deferred, 2);
	assert_int_equal(logscan_sent(&d->t), 0);
	assert_int_equal(mx_of(d, "mx1.a.example")->t.fail[LOGLINE_FAIL_UNTRUSTED], 1);
	/* the next attempt fails again: a second failure */
	feed("postfix/smtp", 50, TLS("Untrusted", "established", R1));
	feed("postfix/smtp", 50, DLV("EEEEE2", "a@a.example", R1, "deferred (Server certificate not trusted)"));
	assert_int_equal(d->t.fail[LOGLINE_FAIL_UNTRUSTED], 2);
}

static void test_nonfinal_failures(void **state)
{
	const struct logscan_domain *d;

	(void)state;
	/* not offered by mx1, delivered over TLS via mx2 */
	feed("postfix/smtp", 60, "FFFFF1: TLS is required, but was not offered by host "
	     "mx1.a.example[192.0.2.1]");
	feed("postfix/smtp", 60, TLS("Trusted", "established", R2));
	feed("postfix/smtp", 60, DLV("FFFFF1", "a@a.example", R2, "sent (ok)"));
	d = dom("a.example");
	assert_int_equal(d->t.fail[LOGLINE_FAIL_NOT_OFFERED], 1);
	assert_int_equal(mx_of(d, "mx1.a.example")->t.fail[LOGLINE_FAIL_NOT_OFFERED], 1);
	assert_int_equal(mx_of(d, "mx2.a.example")->t.tls[T], 1);
	/* expired certificate on mx1 (detail + non-final status): once */
	feed("postfix/smtp", 61, "server certificate verification failed for " R1 ": certificate has expired");
	feed("postfix/smtp", 61, TLS("Untrusted", "established", R1));
	feed("postfix/smtp", 61, "FFFFF2: Server certificate not trusted");
	feed("postfix/smtp", 61, TLS("Verified", "established", R2));
	feed("postfix/smtp", 61, DLV("FFFFF2", "b@a.example", R2, "sent (ok)"));
	assert_int_equal(d->t.fail[LOGLINE_FAIL_EXPIRED], 1);
	assert_int_equal(d->t.fail[LOGLINE_FAIL_UNTRUSTED], 0);
	assert_int_equal(d->t.tls[V], 1);
	/* the not-offered final status of both MX: two failures */
	feed("postfix/smtp", 62, "FFFFF3: TLS is required, but was not offered by host "
	     "mx1.a.example[192.0.2.1]");
	feed("postfix/smtp", 62, DLV("FFFFF3", "c@a.example", R2, "deferred (TLS is required, but "
	     "was not offered by host mx2.a.example[192.0.2.2])"));
	assert_int_equal(d->t.fail[LOGLINE_FAIL_NOT_OFFERED], 3);
}

static void test_policy_warning_and_handshake(void **state)
{
	const struct logscan_domain *d;

	(void)state;
	feed("postfix/smtp", 70, "warning: TLS policy lookup for a.example/mx1.a.example: TLSA "
	     "lookup error for mx1.a.example:25");
	feed("postfix/smtp", 70, "GGGGG1: to=<a@a.example>, relay=none, delay=1, delays=0/0/1/0, "
	     "dsn=4.7.5, status=deferred (TLSA lookup error for mx1.a.example:25)");
	d = dom("a.example");
	assert_int_equal(d->t.fail[LOGLINE_FAIL_TLSA_ERROR], 1);
	assert_int_equal(d->t.deferred, 1);
	/* handshake failure, then plaintext retry on the same host */
	feed("postfix/smtp", 71, "SSL_connect error to " R1 ": lost connection");
	feed("postfix/smtp", 71, DLV("GGGGG2", "b@a.example", R1, "sent (ok)"));
	assert_int_equal(d->t.fail[LOGLINE_FAIL_HANDSHAKE], 1);
	assert_int_equal(d->t.tls[P], 1);
	/* a handshake failure where TLS is required */
	feed("postfix/smtp", 72, "SSL_connect error to " R2 ": -1");
	feed("postfix/smtp", 72, DLV("GGGGG3", "c@a.example", R2, "deferred (Cannot start TLS: "
	     "handshake failure)"));
	assert_int_equal(d->t.fail[LOGLINE_FAIL_HANDSHAKE], 2);
	/* name mismatch at secure: a Trusted session, then "not verified" */
	feed("postfix/smtp", 73, TLS("Trusted", "established", R1));
	feed("postfix/smtp", 73, DLV("GGGGG4", "d@a.example", R1, "deferred (Server certificate "
	     "not verified)"));
	assert_int_equal(d->t.fail[LOGLINE_FAIL_UNVERIFIED], 1);
	assert_int_equal(d->t.tls[T], 0);
	/* a later plaintext message on that relay is not the failed session's */
	feed("postfix/smtp", 73, DLV("GGGGG5", "e@a.example", R1, "sent (ok)"));
	assert_int_equal(d->t.tls[P], 2);
}

static void test_time_and_filter(void **state)
{
	struct logscan_opts o;
	static const char *const only[] = { "B.example." };

	(void)state;
	logscan_free(ls);
	memset(&o, 0, sizeof(o));
	o.year = 2024;
	assert_int_equal(logscan_parse_time("2024-11-28T12:00:10Z", 0, &o.since), 0);
	assert_int_equal(logscan_parse_time("2024-11-28T12:00:20Z", 0, &o.until), 0);
	o.has_since = o.has_until = 1;
	o.domains = only;
	o.ndomains = 1;
	setenv("TZ", "UTC", 1);
	ls = logscan_new(&o);
	assert_non_null(ls);
	feed_at(5, "postfix/smtp", 80, DLV("HHHHH1", "a@b.example", R1, "sent (ok)"));
	feed_at(10, "postfix/smtp", 80, DLV("HHHHH2", "a@b.example", R1, "sent (ok)"));
	feed_at(19, "postfix/smtp", 80, DLV("HHHHH3", "a@x.b.example", R1, "sent (ok)"));
	feed_at(19, "postfix/smtp", 80, DLV("HHHHH4", "a@xb.example", R1, "sent (ok)"));
	feed_at(20, "postfix/smtp", 80, DLV("HHHHH5", "a@b.example", R1, "sent (ok)"));
	assert_int_equal(logscan_ndomains(ls), 2);
	assert_int_equal(dom("b.example")->t.tls[P], 1);
	assert_int_equal(dom("b.example")->first, 1732795210); /* 2024-11-28T12:00:10Z */
	assert_int_equal(dom("x.b.example")->t.tls[P], 1);
	assert_int_equal(logscan_counts(ls)->out_of_range, 2);
	assert_int_equal(logscan_counts(ls)->filtered, 1);
}

/* Feeds "MON DD HH:MM:SS mail postfix/smtp[PID]: MSG" (year from opts). */
static void feed_day(const char *when, int pid, const char *msg)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "%s mail postfix/smtp[%d]: %s", when, pid, msg);

	logscan_line(ls, line, (size_t)n);
}

/* Sent deliveries per local calendar day, oldest first, whatever order
 * the lines come in; the day boundary is local midnight (also across a
 * 25-hour day); deferred records count in no day. */
static void test_days(void **state)
{
	struct logscan_opts o;
	const struct logscan_day *d;
	unsigned long sum = 0;

	(void)state;
	logscan_free(ls);
	memset(&o, 0, sizeof(o));
	o.year = 2024;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	ls = logscan_new(&o);
	assert_non_null(ls);
	feed_day("Oct 28 00:00:00", 1, TLS("Verified", "established", R1));
	feed_day("Oct 28 00:00:00", 1, DLV("DDDD1", "a@a.example", R1, "sent (ok)"));
	feed_day("Oct 27 23:59:59", 2, DLV("DDDD2", "a@a.example", R1, "sent (ok)"));
	feed_day("Oct 27 00:00:00", 3, TLS("Trusted", "established", R1));
	feed_day("Oct 27 00:00:00", 3, DLV("DDDD3", "a@a.example", R1, "sent (ok)"));
	feed_day("Oct 27 02:30:00", 4, DLV("DDDD4", "a@a.example", R1, "sent (ok)"));
	feed_day("Oct 26 23:59:59", 5, DLV("DDDD5", "a@a.example", R1, "sent (ok)"));
	feed_day("Oct 27 12:00:00", 6, DLV("DDDD6", "a@a.example", R1, "deferred (x)"));
	assert_int_equal(logscan_ndays(ls), 3);
	d = logscan_day(ls, 0);
	assert_int_equal(d->year * 10000 + d->mon * 100 + d->mday, 20241026);
	assert_int_equal(d->tls[P], 1);
	d = logscan_day(ls, 1);
	assert_int_equal(d->year * 10000 + d->mon * 100 + d->mday, 20241027);
	assert_int_equal(d->tls[T], 1);
	assert_int_equal(d->tls[P], 2);
	assert_int_equal(d->tls[V], 0);
	d = logscan_day(ls, 2);
	assert_int_equal(d->year * 10000 + d->mon * 100 + d->mday, 20241028);
	assert_int_equal(d->tls[V], 1);
	assert_null(logscan_day(ls, 3));
	for (size_t i = 0; i < logscan_ndays(ls); i++)
		for (int k = 0; k < LOGLINE_TRUST_COUNT; k++)
			sum += logscan_day(ls, i)->tls[k];
	assert_int_equal(sum + logscan_counts(ls)->undated, logscan_counts(ls)->deliveries);
	assert_int_equal(logscan_counts(ls)->undated, 0);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_parse_time(void **state)
{
	time_t t;

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(logscan_parse_time("2024-11-28", 0, &t), 0);
	assert_int_equal(t, 1732752000);
	assert_int_equal(logscan_parse_time("2024-11-28 12:30", 0, &t), 0);
	assert_int_equal(t, 1732752000 + 45000);
	assert_int_equal(logscan_parse_time("2024-11-28T12:30:15+01:00", 0, &t), 0);
	assert_int_equal(t, 1732752000 + 45015 - 3600);
	assert_int_equal(logscan_parse_time("7d", 1000000, &t), 0);
	assert_int_equal(t, 1000000 - 7 * 86400);
	assert_int_equal(logscan_parse_time("-2h", 100000, &t), 0);
	assert_int_equal(t, 100000 - 7200);
	assert_int_equal(logscan_parse_time("@12345", 0, &t), 0);
	assert_int_equal(t, 12345);
	assert_int_equal(logscan_parse_time("", 0, &t), -1);
	assert_int_equal(logscan_parse_time("yesterday", 0, &t), -1);
	assert_int_equal(logscan_parse_time("2024-13-01", 0, &t), -1);
	assert_int_equal(logscan_parse_time("2024-11-28T25:00", 0, &t), -1);
	assert_int_equal(logscan_parse_time("2024-11-28T12:00:00+1", 0, &t), -1);
	assert_int_equal(logscan_parse_time("7x", 0, &t), -1);
	assert_int_equal(logscan_parse_time("@", 0, &t), -1);
}

static void test_eviction(void **state)
{
	char msg[256];

	(void)state;
	/* far more processes than the table holds: bounded, no crash */
	for (int pid = 1; pid <= LOGSCAN_PROC_SETS * LOGSCAN_PROC_WAYS * 2; pid++) {
		snprintf(msg, sizeof(msg), TLS("Trusted", "established", "mx.p%d.example[192.0.2.1]:25"),
			 pid % 50);
		feed("postfix/smtp", pid, msg);
	}
	assert_true(logscan_counts(ls)->evicted >= LOGSCAN_PROC_SETS * LOGSCAN_PROC_WAYS);
	/* a recent process is still known */
	int last = LOGSCAN_PROC_SETS * LOGSCAN_PROC_WAYS * 2;

	snprintf(msg, sizeof(msg), DLV("IIIII1", "a@c.example", "mx.p%d.example[192.0.2.1]:25",
				       "sent (ok)"), last % 50);
	feed("postfix/smtp", last, msg);
	assert_int_equal(dom("c.example")->t.tls[T], 1);
}

/* Year-less time stamps take their year from the reference time: a month
 * after the reference month is last year's. */
static void test_year_inference(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	logscan_set_reftime(ls, 1736899200); /* 2025-01-15 */
	logscan_line(ls, "Dec 31 23:00:00 mail postfix/smtp[1]: " DLV("KKKKK1", "a@d.example", R1,
		     "sent (ok)"), strlen("Dec 31 23:00:00 mail postfix/smtp[1]: " DLV("KKKKK1",
		     "a@d.example", R1, "sent (ok)")));
	logscan_line(ls, "Jan  2 01:00:00 mail postfix/smtp[1]: " DLV("KKKKK2", "a@d.example", R1,
		     "sent (ok)"), strlen("Jan  2 01:00:00 mail postfix/smtp[1]: " DLV("KKKKK2",
		     "a@d.example", R1, "sent (ok)")));
	assert_int_equal(dom("d.example")->first, 1735686000); /* 2024-12-31T23:00:00Z */
	assert_int_equal(dom("d.example")->last, 1735779600);  /* 2025-01-02T01:00:00Z */
}

/* Files: plain and gzip give the same; overlong lines (longer than
 * LOGSCAN_MAX_LINE, and longer than the read buffer) are skipped and
 * counted; the last line needs no newline. */
static void write_test_log(const char *path, int gz)
{
	static const char ok[] = "Nov 28 12:00:00 mail postfix/smtp[7]: "
				 DLV("LLLLL1", "a@e.example", R1, "sent (ok)");
	size_t big1 = LOGSCAN_MAX_LINE + 100, big2 = LOGSCAN_BLOCK + 1000;
	char *junk = malloc(big2);
	FILE *fp = gz ? NULL : fopen(path, "w");
	gzFile z = gz ? gzopen(path, "wb") : NULL;

	assert_non_null(junk);
	assert_true(fp != NULL || z != NULL);
	memset(junk, 'x', big2);
#define PUT(p, n) do { if (z) gzwrite(z, (p), (unsigned)(n)); else fwrite((p), 1, (n), fp); } while (0)
	PUT(ok, strlen(ok));
	PUT("\n", 1);
	PUT(junk, big1);
	PUT("\n", 1);
	PUT(ok, strlen(ok));
	PUT("\n", 1);
	PUT(junk, big2);
	PUT("\n", 1);
	PUT(ok, strlen(ok)); /* no newline */
#undef PUT
	if (z)
		gzclose(z);
	else
		fclose(fp);
	free(junk);
}

static void test_files(void **state)
{
	char path[] = "/tmp/test_logscan.XXXXXX";
	struct errbuf why;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (int gz = 0; gz <= 1; gz++) {
		logscan_free(ls);
		ls = logscan_new(NULL);
		write_test_log(path, gz);
		errbuf_clear(&why);
		assert_int_equal(logscan_file(ls, path, NULL, NULL, &why), 0);
		assert_int_equal(logscan_counts(ls)->lines, 5);
		assert_int_equal(logscan_counts(ls)->long_lines, 2);
		assert_int_equal(logscan_counts(ls)->deliveries, 3);
		assert_int_equal(logscan_counts(ls)->files, 1);
		assert_int_equal(dom("e.example")->t.tls[P], 3);
	}
	unlink(path);
	assert_int_equal(logscan_file(ls, path, NULL, NULL, &why), -1);
	assert_non_null(strstr(why.msg, "No such file"));
}

/*
 * logscan_file() parses the smtp lines of a block some events ahead of
 * their tallies (struct qev in logscan.c): the same input, fed line by
 * line through logscan_line() (which applies each line at once), must
 * give the same counts, domains (in first-seen order), pairs and
 * tallies.  The log mixes processes whose TLS lines, failures and
 * deliveries come back to back and interleaved, domains with several
 * MX hosts, other programs, empty lines, CRLF, overlong lines; it spans
 * several read blocks (lines cross them) and ends without a newline.
 */
static size_t gen_line(char *out, size_t cap, unsigned *seed, int i)
{
	static const char *const trust[] = { "Verified", "Trusted", "Untrusted", "Anonymous" };
	unsigned r = (*seed = *seed * 1103515245u + 12345u) >> 8;
	int pid = 100 + (int)(r % 7), d = (int)((r >> 3) % 300), mx = (int)((r >> 12) % 3);
	char relay[128];

	snprintf(relay, sizeof(relay), "mx%d.d%d.example[192.0.2.%d]:25", mx, d, mx + 1);
	switch ((r >> 16) % 12) {
	case 0: case 1: case 2:
		return (size_t)snprintf(out, cap, "Nov 28 12:%02d:%02d mail postfix/smtp[%d]: %s TLS "
					"connection established to %s: TLSv1.%d with cipher C%d "
					"(256/256 bits)", i / 60 % 60, i % 60, pid,
					trust[(r >> 20) % 4], relay, 2 + (int)(r >> 22) % 2,
					(int)(r >> 23) % 3);
	case 3: case 4: case 5: case 6:
		return (size_t)snprintf(out, cap, "Nov 28 12:%02d:%02d mail postfix/smtp[%d]: "
					"Q%05X: to=<u%d@d%d.example>, relay=%s, delay=1, "
					"dsn=2.0.0, status=sent (250 ok)", i / 60 % 60, i % 60, pid,
					(unsigned)(i / 3), i % 5, d, relay);
	case 7:
		return (size_t)snprintf(out, cap, "Nov 28 12:00:%02d mail postfix/smtp[%d]: "
					"Q%05X: to=<u@d%d.example>, relay=%s, delay=1, dsn=4.7.5, "
					"status=deferred (TLS is required, but was not offered by "
					"host %s)", i % 60, pid, (unsigned)(i / 3), d, relay, relay);
	case 8:
		return (size_t)snprintf(out, cap, "Nov 28 12:00:%02d mail postfix/smtp[%d]: "
					"certificate verification failed for %s: untrusted issuer "
					"/CN=x", i % 60, pid, relay);
	case 9:
		return (size_t)snprintf(out, cap, "Nov 28 12:00:%02d mail postfix/qmgr[9]: "
					"Q%05X: from=<a@b.example>, size=1, nrcpt=1 (queue active)%s",
					i % 60, (unsigned)i, r & 1 ? "\r" : "");
	case 10:
		return (size_t)snprintf(out, cap, "Nov 28 12:00:%02d mail dovecot: imap(u%d): "
					"Logged out", i % 60, d);
	default:
		return r & 1 ? 0 : (size_t)snprintf(out, cap, "garbage %u", r);
	}
}

static void tallies_equal(const struct logscan_tally *a, const struct logscan_tally *b)
{
	assert_memory_equal(a, b, sizeof(*a));
}

static void test_queue_same(void **state)
{
	char path[] = "/tmp/test_logscan.XXXXXX";
	char line[512], *big = malloc(LOGSCAN_MAX_LINE + 10);
	unsigned seed = 1;
	size_t total = 0, nlong = 0;
	int fd = mkstemp(path);
	FILE *fp;
	struct logscan *ref = logscan_new(NULL);
	struct errbuf why;

	(void)state;
	assert_true(fd >= 0 && big != NULL && ref != NULL);
	assert_non_null(fp = fdopen(fd, "w"));
	memset(big, 'y', LOGSCAN_MAX_LINE + 10);
	logscan_set_reftime(ref, 1732795200); /* 2024-11-28 */
	for (int i = 0; total < 3 * LOGSCAN_BLOCK + 5000; i++) {
		size_t n = gen_line(line, sizeof(line), &seed, i);

		if (i % 4000 == 3999) { /* an overlong line: skipped, counted */
			fwrite(big, 1, LOGSCAN_MAX_LINE + 10, fp);
			fputc('\n', fp);
			total += LOGSCAN_MAX_LINE + 11;
			nlong++;
			continue;
		}
		fwrite(line, 1, n, fp);
		total += n;
		logscan_line(ref, line, n);
		if (total < 3 * LOGSCAN_BLOCK + 5000) {
			fputc('\n', fp);
			total++;
		}
	}
	fclose(fp);
	free(big);
	assert_true(nlong > 0);
	/* the same file, as it is read */
	setenv("TZ", "UTC", 1);
	errbuf_clear(&why);
	assert_int_equal(logscan_file(ls, path, NULL, NULL, &why), 0);
	{
		struct logscan_counts a = *logscan_counts(ls), b = *logscan_counts(ref);

		assert_int_equal(a.bytes, total);
		assert_int_equal(a.lines, b.lines + nlong);
		assert_int_equal(a.long_lines, nlong);
		assert_true(a.deliveries > 1000 && a.tls_sessions > 1000);
		a.bytes = b.bytes = 0;
		a.lines = b.lines = 0;
		a.long_lines = b.long_lines = 0;
		a.files = b.files = 0;
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_int_equal(logscan_ndomains(ls), logscan_ndomains(ref));
	for (size_t i = 0; i < logscan_ndomains(ls); i++) {
		const struct logscan_domain *a = logscan_domain(ls, i), *b = logscan_domain(ref, i);
		uint32_t ma = a->mx_first, mb = b->mx_first;

		assert_string_equal(a->name, b->name);
		tallies_equal(&a->t, &b->t);
		assert_int_equal(a->ip_only, b->ip_only);
		assert_memory_equal(a->proto_n, b->proto_n, sizeof(a->proto_n));
		assert_memory_equal(a->cipher_n, b->cipher_n, sizeof(a->cipher_n));
		for (int k = 0; k < LOGSCAN_DOMAIN_PROTOS; k++)
			if (a->proto_n[k])
				assert_string_equal(logscan_tls_name(ls, a->proto[k]),
						    logscan_tls_name(ref, b->proto[k]));
		for (; ma && mb; ma = logscan_mx(ls, ma)->next, mb = logscan_mx(ref, mb)->next) {
			assert_string_equal(logscan_host_name(ls, logscan_mx(ls, ma)->host),
					    logscan_host_name(ref, logscan_mx(ref, mb)->host));
			tallies_equal(&logscan_mx(ls, ma)->t, &logscan_mx(ref, mb)->t);
		}
		assert_true(ma == 0 && mb == 0);
	}
	logscan_free(ref);
	unlink(path);
}

/* ---- suggestions --------------------------------------------------------- */

static struct logscan_row row_for(struct logscan_domain *d, unsigned long v, unsigned long t,
				  unsigned long u, unsigned long a, unsigned long p)
{
	struct logscan_row r;

	memset(d, 0, sizeof(*d));
	d->name = "s.example";
	d->t.tls[LOGLINE_VERIFIED] = v;
	d->t.tls[LOGLINE_TRUSTED] = t;
	d->t.tls[LOGLINE_UNTRUSTED] = u;
	d->t.tls[LOGLINE_ANONYMOUS] = a;
	d->t.tls[LOGLINE_PLAINTEXT] = p;
	memset(&r, 0, sizeof(r));
	r.d = d;
	r.key = "s.example";
	return r;
}

static void expect(struct logscan_row *r, unsigned long min, int has, enum policy_level lvl,
		   const char *reason)
{
	logscan_suggest(r, min);
	if (r->has_suggestion != has || (has && r->suggestion != lvl) ||
	    strcmp(r->reason, reason) != 0)
		fail_msg("got %d %s \"%s\", want %d %s \"%s\"", r->has_suggestion,
			 r->has_suggestion ? policy_level_name(r->suggestion) : "-", r->reason, has,
			 has ? policy_level_name(lvl) : "-", reason);
	/* the row is reused: its allocated strings go here */
	free((char *)r->reason);
	r->reason = NULL;
	free(r->suggestion_params);
	r->suggestion_params = NULL;
}

static void test_suggest(void **state)
{
	struct logscan_domain d;
	struct logscan_row r;

	(void)state;
	r = row_for(&d, 10, 0, 0, 0, 0);
	expect(&r, 10, 1, POLICY_VERIFY, "all 10 deliveries Verified");
	r = row_for(&d, 9, 0, 0, 0, 0);
	expect(&r, 10, 0, 0, "only 9 deliveries (need 10)");
	r = row_for(&d, 1, 0, 0, 0, 0);
	expect(&r, 1, 1, POLICY_VERIFY, "the 1 delivery Verified");
	r = row_for(&d, 5, 3, 2, 1, 0);
	expect(&r, 10, 1, POLICY_ENCRYPT,
	       "all 11 deliveries encrypted (5 Verified, 3 Trusted, 2 Untrusted, 1 Anonymous)");
	r = row_for(&d, 10, 0, 0, 0, 1);
	expect(&r, 10, 0, 0, "1 of 11 deliveries in plaintext");
	r = row_for(&d, 0, 0, 0, 0, 0);
	expect(&r, 10, 0, 0, "no deliveries");
	/* relays without names: no verify */
	r = row_for(&d, 10, 0, 0, 0, 0);
	d.ip_only = 3;
	expect(&r, 10, 1, POLICY_ENCRYPT, "all 10 deliveries Verified, but relays named by "
	       "address only");
	/* certificate failures: no verify; TLS failures: nothing */
	r = row_for(&d, 10, 0, 0, 0, 0);
	d.t.fail[LOGLINE_FAIL_NAME_MISMATCH] = 2;
	d.t.fail[LOGLINE_FAIL_EXPIRED] = 1;
	expect(&r, 10, 1, POLICY_ENCRYPT, "all 10 deliveries encrypted (10 Verified); 3 "
	       "certificate failures (cert-name-mismatch)");
	r = row_for(&d, 10, 0, 0, 0, 0);
	d.t.fail[LOGLINE_FAIL_TLSA_ERROR] = 2;
	expect(&r, 10, 1, POLICY_VERIFY, "all 10 deliveries Verified");
	r = row_for(&d, 0, 10, 0, 0, 0);
	d.t.fail[LOGLINE_FAIL_HANDSHAKE] = 1;
	expect(&r, 10, 0, 0, "1 TLS failure (handshake)");
	r = row_for(&d, 0, 10, 0, 0, 0);
	d.t.fail[LOGLINE_FAIL_NOT_OFFERED] = 2;
	d.t.fail[LOGLINE_FAIL_STARTTLS_REFUSED] = 3;
	expect(&r, 10, 0, 0, "5 TLS failures (starttls-refused)");
	/* the admin's table: never weaker */
	r = row_for(&d, 0, 10, 0, 0, 0);
	r.has_current = 1;
	r.current_level = POLICY_MAY;
	expect(&r, 10, 1, POLICY_ENCRYPT, "all 10 deliveries encrypted (10 Trusted)");
	r.current_level = POLICY_ENCRYPT;
	expect(&r, 10, 0, 0, "table has encrypt, not weaker than encrypt");
	r.current_level = POLICY_DANE;
	expect(&r, 10, 0, 0, "table has dane, not weaker than encrypt");
	r = row_for(&d, 10, 0, 0, 0, 0);
	r.has_current = 1;
	r.current_level = POLICY_ENCRYPT;
	expect(&r, 10, 1, POLICY_VERIFY, "all 10 deliveries Verified");
	r.current_level = POLICY_DANE_ONLY;
	expect(&r, 10, 0, 0, "table has dane-only, not weaker than verify");
	r.current_level = POLICY_SECURE;
	expect(&r, 10, 0, 0, "table has secure, not weaker than verify");
	r.current_level = POLICY_NONE;
	expect(&r, 10, 1, POLICY_VERIFY, "all 10 deliveries Verified");
	/* a name that is not a domain */
	r = row_for(&d, 10, 0, 0, 0, 0);
	r.key = "";
	expect(&r, 10, 0, 0, "not a valid domain name");
	assert_true(logscan_rank(POLICY_MAY) < logscan_rank(POLICY_ENCRYPT));
	assert_true(logscan_rank(POLICY_ENCRYPT) < logscan_rank(POLICY_VERIFY));
	assert_true(logscan_rank(POLICY_VERIFY) < logscan_rank(POLICY_SECURE));
}

/* Rows: sorted by deliveries, then name; invalid names get no key. */
static void test_rows(void **state)
{
	struct logscan_row *rows;
	size_t n;

	(void)state;
	feed("postfix/smtp", 90, DLV("JJJJJ1", "a@b.example", R1, "sent (ok)"));
	feed("postfix/smtp", 90, DLV("JJJJJ2", "a@a.example", R1, "sent (ok)"));
	feed("postfix/smtp", 90, DLV("JJJJJ3", "a@c.example", R1, "sent (ok)"));
	feed("postfix/smtp", 90, DLV("JJJJJ4", "b@c.example", R1, "sent (ok)"));
	feed("postfix/smtp", 90, DLV("JJJJJ5", "a@[192.0.2.9]", R1, "sent (ok)"));
	n = logscan_rows(ls, &rows);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].d->name, "c.example");
	assert_string_equal(rows[1].d->name, "[192.0.2.9]");
	assert_string_equal(rows[1].key, "");
	assert_string_equal(rows[2].d->name, "a.example");
	assert_string_equal(rows[2].key, "a.example");
	assert_string_equal(rows[3].d->name, "b.example");
	logscan_rows_free(rows, n);
}

/* tlspolicy shadow-mode lines: found behind other 'y's and "tlspolic"
 * look-alikes, in and without a syslog envelope; near misses are not. */
static void test_shadow_lines(void **state)
{
	static const char *const lines[] = {
		"Nov 28 12:00:00 mx tlspolicy[7]: shadow: a.example would answer \"dane-only\" "
		"(from dane); answered NOTFOUND",
		"Nov 28 12:00:01 yy.example tlspolicy[7]: shadow: B.Example would answer TEMP "
		"\"x\" (from dnssec); answered NOTFOUND",
		"Nov 28 12:00:02 mx tlspolicx tlspolicytlspolicy: shadow: c.example would answer "
		"\"verify\" (from mta-sts); answered NOTFOUND",
		"tlspolicy: shadow: d.example would answer \"encrypt\" (from provider); answered NOTFOUND",
		/* not shadow lines */
		"Nov 28 12:00:03 mx tlspolicy[7]: shadow: e.example would answer \"x\" (from y); answered OK",
		"Nov 28 12:00:04 mx tlspolic[7]: shadow: f.example would answer \"x\" (from y); "
		"answered NOTFOUND",
		"tlspolicy",
		"y",
	};
	static const char *const want[] = { "a.example", "b.example", "c.example", "d.example" };
	const struct logscan_shadow *v;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		logscan_line(ls, lines[i], strlen(lines[i]));
	assert_int_equal(logscan_shadows(ls, &v), 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(v[i].domain, want[i]);
	assert_int_equal(v[1].temp, 1);
	assert_string_equal(v[1].text, "x");
	assert_string_equal(v[2].from, "mta-sts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_processes_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_outbound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_failure_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonfinal_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_warning_and_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_and_filter, setup, teardown),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test_setup_teardown(test_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_year_inference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shadow_lines, setup, teardown),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
