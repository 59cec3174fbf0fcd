/* SPDX-License-Identifier: MIT */
/* Unit tests of the Postfix log line parser (src/logscan/logline.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "logscan/logline.h"

static void assert_str(struct logline_str s, const char *want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%.*s", (int)s.len, s.p ? s.p : "");
	assert_string_equal(buf, want);
}

/* ---- envelope ------------------------------------------------------- */

static const struct env_case {
	const char *line;
	int ok;
	enum logline_fmt fmt;
	int year, mon, mday, hour, min, sec;
	int has_zone, zone_off;
	const char *host, *tag, *prog;
	unsigned long pid;
	const char *msg;
	enum logline_prog which;
} env_cases[] = {
	{ "Nov 28 12:00:00 mail postfix/smtp[123]: hello", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0, 0,
	  0, 0, "mail", "postfix/smtp", "smtp", 123, "hello", LOGLINE_PROG_SMTP },
	{ "Nov  2 01:02:03 mx1 postfix/qmgr[9]: x", 1, LOGLINE_FMT_BSD, 0, 11, 2, 1, 2, 3, 0, 0,
	  "mx1", "postfix/qmgr", "qmgr", 9, "x", LOGLINE_PROG_POSTFIX },
	/* postlogd (maillog_file): zero-padded day */
	{ "Dec 05 23:59:59 mail postfix/smtp[4]: y", 1, LOGLINE_FMT_BSD, 0, 12, 5, 23, 59, 59, 0,
	  0, "mail", "postfix/smtp", "smtp", 4, "y", LOGLINE_PROG_SMTP },
	{ "Nov 28 12:00:00.123456 mail postfix/lmtp[5]: z", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0,
	  0, 0, 0, "mail", "postfix/lmtp", "lmtp", 5, "z", LOGLINE_PROG_LMTP },
	{ "2024 Nov 28 12:00:00 mail postfix/smtp[6]: a", 1, LOGLINE_FMT_BSD_YEAR, 2024, 11, 28,
	  12, 0, 0, 0, 0, "mail", "postfix/smtp", "smtp", 6, "a", LOGLINE_PROG_SMTP },
	{ "Nov 28 2024 12:00:00 mail postfix/smtp[7]: b", 1, LOGLINE_FMT_BSD_YEAR, 2024, 11, 28,
	  12, 0, 0, 0, 0, "mail", "postfix/smtp", "smtp", 7, "b", LOGLINE_PROG_SMTP },
	{ "2024-11-28T12:00:00.123456+01:00 mail postfix/smtp[8]: c", 1, LOGLINE_FMT_ISO, 2024,
	  11, 28, 12, 0, 0, 1, 3600, "mail", "postfix/smtp", "smtp", 8, "c", LOGLINE_PROG_SMTP },
	/* journalctl -o short-iso */
	{ "2024-11-28T12:00:00+0100 mail postfix/smtp[9]: d", 1, LOGLINE_FMT_ISO, 2024, 11, 28,
	  12, 0, 0, 1, 3600, "mail", "postfix/smtp", "smtp", 9, "d", LOGLINE_PROG_SMTP },
	{ "2024-11-28T12:00:00-0530 mail postfix/smtp[9]: d", 1, LOGLINE_FMT_ISO, 2024, 11, 28,
	  12, 0, 0, 1, -19800, "mail", "postfix/smtp", "smtp", 9, "d", LOGLINE_PROG_SMTP },
	{ "2024-11-28T12:00:00Z mail postfix/smtp[10]: e", 1, LOGLINE_FMT_ISO, 2024, 11, 28, 12,
	  0, 0, 1, 0, "mail", "postfix/smtp", "smtp", 10, "e", LOGLINE_PROG_SMTP },
	{ "2024-11-28T12:00:00 mail postfix/smtp[10]: e", 1, LOGLINE_FMT_ISO, 2024, 11, 28, 12,
	  0, 0, 0, 0, "mail", "postfix/smtp", "smtp", 10, "e", LOGLINE_PROG_SMTP },
	{ "<22>Nov 28 12:00:00 mail postfix/smtp[11]: f", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0,
	  0, 0, 0, "mail", "postfix/smtp", "smtp", 11, "f", LOGLINE_PROG_SMTP },
	/* instances */
	{ "Nov 28 12:00:00 mail postfix-out/smtp[12]: g", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0,
	  0, 0, 0, "mail", "postfix-out/smtp", "smtp", 12, "g", LOGLINE_PROG_SMTP },
	{ "Nov 28 12:00:00 mail postfix/smtp-out/smtp[13]: h", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12,
	  0, 0, 0, 0, "mail", "postfix/smtp-out/smtp", "smtp", 13, "h", LOGLINE_PROG_SMTP },
	{ "Nov 28 12:00:00 mail postfix/smtpd[14]: i", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0, 0,
	  0, 0, "mail", "postfix/smtpd", "smtpd", 14, "i", LOGLINE_PROG_POSTFIX },
	{ "Nov 28 12:00:00 mail postfix/discard[15]: j", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0, 0,
	  0, 0, "mail", "postfix/discard", "discard", 15, "j", LOGLINE_PROG_POSTFIX },
	{ "Nov 28 12:00:00 mail postfix/tlsproxy[16]: k", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0,
	  0, 0, 0, "mail", "postfix/tlsproxy", "tlsproxy", 16, "k", LOGLINE_PROG_POSTFIX },
	/* other programs */
	{ "Nov 28 12:00:00 mail dovecot: imap-login: Login", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0,
	  0, 0, 0, "mail", "dovecot", "dovecot", 0, "imap-login: Login", LOGLINE_PROG_OTHER },
	{ "Nov 28 12:00:00 mail CRON[99]: (root) CMD", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0, 0, 0,
	  0, "mail", "CRON", "CRON", 99, "(root) CMD", LOGLINE_PROG_OTHER },
	{ "Nov 28 12:00:00 mail amavis/worker[99]: x", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0, 0, 0,
	  0, "mail", "amavis/worker", "worker", 99, "x", LOGLINE_PROG_OTHER },
	{ "Nov 28 12:00:00 mail postfix/smtp[1]: crlf\r", 1, LOGLINE_FMT_BSD, 0, 11, 28, 12, 0, 0,
	  0, 0, "mail", "postfix/smtp", "smtp", 1, "crlf", LOGLINE_PROG_SMTP },
	/* not syslog lines */
	{ "-- Boot 0f6a1c2b3d4e4f5a8b9c0d1e2f3a4b5c --", 0, .fmt = LOGLINE_FMT_NONE },
	{ "-- Journal begins at Mon 2024-12-02 08:00:01 CET. --", 0, .fmt = LOGLINE_FMT_NONE },
	{ "", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Foo 28 12:00:00 mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 32 12:00:00 mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 24:00:00 mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 12:00:00  postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 12:00:00 mail", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 12:00:00 mail postfix/smtp[12a]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 12:00:00 mail postfix/smtp[12]x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 12:00:00 mail postfix/smtp", 0, .fmt = LOGLINE_FMT_NONE },
	{ "Nov 28 12:00:00 mail no colon here", 0, .fmt = LOGLINE_FMT_NONE },
	{ "2024-13-28T12:00:00Z mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "2024-11-28T12:00:00+25:00 mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "2024-11-28X12:00:00Z mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
	{ "<999999>Nov 28 12:00:00 mail postfix/smtp[1]: x", 0, .fmt = LOGLINE_FMT_NONE },
};

static void test_envelope(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		const struct env_case *c = &env_cases[i];
		struct logline ll;
		int rc = logline_envelope(c->line, strlen(c->line), &ll);

		if (!c->ok) {
			if (rc != -1)
				fail_msg("accepted: %s", c->line);
			continue;
		}
		if (rc != 0)
			fail_msg("rejected: %s", c->line);
		assert_int_equal(ll.fmt, c->fmt);
		assert_int_equal(ll.year, c->year);
		assert_int_equal(ll.mon, c->mon);
		assert_int_equal(ll.mday, c->mday);
		assert_int_equal(ll.hour, c->hour);
		assert_int_equal(ll.min, c->min);
		assert_int_equal(ll.sec, c->sec);
		assert_int_equal(ll.has_zone, c->has_zone);
		assert_int_equal(ll.zone_off, c->zone_off);
		assert_str(ll.host, c->host);
		assert_str(ll.tag, c->tag);
		assert_str(ll.prog, c->prog);
		assert_int_equal(ll.pid, c->pid);
		assert_str(ll.msg, c->msg);
		assert_int_equal(logline_program(&ll), c->which);
	}
}

/* The parser must not read past the given length: parse every prefix of
 * a line from a heap copy of exactly that size (ASan catches overreads). */
/* 1 when piece lies inside [base, base + len) (an empty one may sit at
 * its end). */
static int inside(struct logline_str piece, const char *base, size_t len)
{
	return piece.p >= base && piece.len <= len && piece.p - base <= (ptrdiff_t)(len - piece.len);
}

static void test_envelope_prefixes(void **state)
{
	static const struct {
		const char *line;
		const char *msg;   /* of the whole line */
	} lines[] = {
		{ "2024-11-28T12:00:00.123456+01:00 mail postfix/smtp[8]: c", "c" },
		{ "<22>Nov 28 2024 12:00:00.5 mail postfix/smtp[11]: f", "f" },
		{ "2024 Nov  2 12:00:00 mail postfix/smtp-out/smtp[13]: h", "h" },
	};

	(void)state;
	assert_int_equal(sizeof(lines) / sizeof(lines[0]), 3);
	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		size_t n = strlen(lines[k].line), accepted = 0;
		/* no envelope without the "]:" that ends the tag */
		size_t tag_end = (size_t)(strstr(lines[k].line, "]:") - lines[k].line) + 2;

		for (size_t len = 0; len <= n; len++) {
			char *copy = test_malloc(len ? len : 1);
			struct logline ll;

			memcpy(copy, lines[k].line, len);
			if (logline_envelope(copy, len, &ll) == 0) {
				struct logline_smtp ev;

				accepted++;
				if (len < tag_end)
					fail_msg("line %zu: accepted a prefix of %zu bytes, cut in the tag",
						 k, len);
				if (!inside(ll.host, copy, len) || !inside(ll.tag, copy, len) ||
				    !inside(ll.prog, copy, len) || !inside(ll.msg, copy, len))
					fail_msg("line %zu, prefix %zu: a piece lies outside the line", k, len);
				assert_int_equal(logline_program(&ll), LOGLINE_PROG_SMTP);
				if (len == n)
					assert_str(ll.msg, lines[k].msg);
				(void)logline_smtp(&ll, &ev);
			} else if (len == n) {
				fail_msg("line %zu: the whole line was rejected", k);
			}
			test_free(copy);
		}
		/* the whole line, and at most the prefixes from the tag on */
		assert_true(accepted >= 1);
		assert_true(accepted <= n - tag_end + 2);
	}
}

/* ---- smtp messages ---------------------------------------------------- */

/* Parses "Nov 28 12:00:00 mail postfix/smtp[1]: MSG"; the event points
 * into a static line buffer, valid until the next call. */
static char line_buf[2048];
static struct logline line_ll;

static enum logline_kind parse(const char *msg, struct logline_smtp *ev)
{
	snprintf(line_buf, sizeof(line_buf), "Nov 28 12:00:00 mail postfix/smtp[1]: %s", msg);
	assert_int_equal(logline_envelope(line_buf, strlen(line_buf), &line_ll), 0);
	return logline_smtp(&line_ll, ev);
}

static void test_tls_lines(void **state)
{
	struct logline_smtp ev;

	(void)state;
	assert_int_equal(parse("Verified TLS connection established to mx.example.net[192.0.2.1]:25: "
			       "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
			       "key-exchange X25519 server-signature ECDSA (prime256v1) "
			       "server-digest SHA256", &ev), LOGLINE_TLS);
	assert_int_equal(ev.trust, LOGLINE_VERIFIED);
	assert_int_equal(ev.reused, 0);
	assert_str(ev.relay, "mx.example.net[192.0.2.1]:25");
	assert_str(ev.relay_host, "mx.example.net");
	assert_str(ev.relay_addr, "192.0.2.1");
	assert_str(ev.proto, "TLSv1.3");
	assert_str(ev.cipher, "TLS_AES_256_GCM_SHA384");

	assert_int_equal(parse("Trusted TLS connection reused to mx[2001:db8::1]:25: TLSv1.2 with "
			       "cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)", &ev), LOGLINE_TLS);
	assert_int_equal(ev.trust, LOGLINE_TRUSTED);
	assert_int_equal(ev.reused, 1);
	assert_str(ev.relay, "mx[2001:db8::1]:25");
	assert_str(ev.relay_addr, "2001:db8::1");
	assert_str(ev.cipher, "ECDHE-RSA-AES256-GCM-SHA384");

	assert_int_equal(parse("Untrusted TLS connection established to a.b[192.0.2.9]:587: TLSv1.3 "
			       "with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)", &ev), LOGLINE_TLS);
	assert_int_equal(ev.trust, LOGLINE_UNTRUSTED);
	assert_str(ev.relay, "a.b[192.0.2.9]:587");
	assert_int_equal(parse("Anonymous TLS connection established to a.b[192.0.2.9]:25: TLSv1.2 "
			       "with cipher ADH-AES256-GCM-SHA384 (256/256 bits)", &ev), LOGLINE_TLS);
	assert_int_equal(ev.trust, LOGLINE_ANONYMOUS);
	/* lmtp over a unix socket: no port */
	assert_int_equal(parse("Trusted TLS connection established to mail.example[private/lmtp]: "
			       "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", &ev),
			 LOGLINE_TLS);
	assert_str(ev.relay, "mail.example[private/lmtp]");
	/* smtpd's direction, and broken ones */
	assert_int_equal(parse("Anonymous TLS connection established from c.example[192.0.2.7]: "
			       "TLSv1.3 with cipher X (256/256 bits)", &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("Verified TLS connection established to mx[192.0.2.1", &ev),
			 LOGLINE_UNKNOWN);
	assert_int_equal(parse("Verified TLS connection established to mx[192.0.2.1]:25: TLSv1.3",
			       &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("Verified TLS connection", &ev), LOGLINE_UNKNOWN);
}

static void test_delivery_lines(void **state)
{
	struct logline_smtp ev;

	(void)state;
	assert_int_equal(parse("4NfXyZ1abcz1: to=<alice@Example.NET>, orig_to=<a@x.org>, "
			       "relay=mx.example.net[192.0.2.1]:25, conn_use=3, delay=0.52, "
			       "delays=0.01/0.01/0.3/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
			       "queued as 12345)", &ev), LOGLINE_DELIVERY);
	assert_str(ev.qid, "4NfXyZ1abcz1");
	assert_str(ev.domain, "Example.NET");
	assert_str(ev.relay, "mx.example.net[192.0.2.1]:25");
	assert_str(ev.relay_host, "mx.example.net");
	assert_int_equal(ev.conn_use, 3);
	assert_int_equal(ev.status, LOGLINE_STATUS_SENT);
	assert_str(ev.text, "250 2.0.0 Ok: queued as 12345");
	assert_int_equal(ev.fail, LOGLINE_FAIL_NONE);

	/* '>' and ">, " inside the address: the first ">, relay=" ends it
	 * (the search jumps from '>' to '>') */
	assert_int_equal(parse("4NfXyZ1abcz1: to=<\"a>b>, x\"@q>.example>, orig_to=<o>@p.example>, "
			       "relay=mx.q.example[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, "
			       "status=sent (ok)", &ev), LOGLINE_DELIVERY);
	assert_str(ev.domain, "q>.example");
	assert_str(ev.relay_host, "mx.q.example");
	assert_int_equal(parse("4NfXyZ1abcz1: to=<a@q.example>>, relay=mx.q.example[192.0.2.9]:25, "
			       "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)", &ev),
			 LOGLINE_DELIVERY);
	assert_str(ev.domain, "q.example>");
	/* no ">, relay=" at all, a '>' in the last bytes */
	assert_int_equal(parse("4NfXyZ1abcz1: to=<a@q.example>, relay", &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("4NfXyZ1abcz1: to=<a@q.example>, relay=", &ev), LOGLINE_UNKNOWN);

	assert_int_equal(parse("3F2A11C0D2: to=<b@notls.example>, relay=mx2.notls.example"
			       "[192.0.2.71]:25, delay=0.5, delays=0.01/0.01/0.4/0, dsn=4.7.4, "
			       "status=deferred (TLS is required, but was not offered by host "
			       "mx2.notls.example[192.0.2.71])", &ev), LOGLINE_DELIVERY);
	assert_int_equal(ev.status, LOGLINE_STATUS_DEFERRED);
	assert_int_equal(logline_classify(ev.text.p, ev.text.len), LOGLINE_FAIL_NOT_OFFERED);

	assert_int_equal(parse("3F2A11C0D2: to=<c@b.example>, relay=none, delay=5, "
			       "delays=0.01/0.01/5/0, dsn=4.4.1, status=deferred (connect to "
			       "mx.b.example[192.0.2.150]:25: Connection refused)", &ev), LOGLINE_DELIVERY);
	assert_str(ev.relay_host, "none");
	assert_str(ev.relay_addr, "");
	assert_int_equal(logline_classify(ev.text.p, ev.text.len), LOGLINE_FAIL_NONE);

	assert_int_equal(parse("3F2A11C0D2: to=<d@b.example>, relay=mx[192.0.2.1]:25, delay=1, "
			       "delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: "
			       "550 5.1.1 User unknown (in reply to RCPT TO command))", &ev),
			 LOGLINE_DELIVERY);
	assert_int_equal(ev.status, LOGLINE_STATUS_BOUNCED);
	assert_str(ev.text, "host mx[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT "
			    "TO command)");

	/* a local recipient has no domain; a quoted local part may hold '@'
	 * and '>': the domain is after the last '@' */
	assert_int_equal(parse("3F2A11C0D2: to=<root>, relay=mx[192.0.2.1]:25, delay=1, "
			       "delays=0/0/0/1, dsn=2.0.0, status=sent (ok)", &ev), LOGLINE_DELIVERY);
	assert_int_equal(ev.domain.len, 0);
	assert_int_equal(parse("3F2A11C0D2: to=<\"a>, relay=x@evil\"@good.example>, relay=mx[192.0.2.1]"
			       ":25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)", &ev),
			 LOGLINE_DELIVERY);
	/* the first ">, relay=" ends the address: a crafted local part can
	 * only lose or misname its own domain, never crash the parser */
	assert_int_equal(ev.domain.len, 0);
	assert_int_equal(ev.status, LOGLINE_STATUS_SENT);

	assert_int_equal(parse("3F2A11C0D2: to=<x@y.example>, relay=lmtp.example[private/dovecot-lmtp], "
			       "delay=0.05, delays=0.01/0.01/0.01/0.02, dsn=2.0.0, status=sent (250 "
			       "2.0.0 Saved)", &ev), LOGLINE_DELIVERY);
	assert_str(ev.relay_host, "lmtp.example");
	assert_str(ev.relay_addr, "private/dovecot-lmtp");

	assert_int_equal(parse("3F2A11C0D2: to=<x@y.example>, relay=mx[1.2.3.4]:25, delay=1, "
			       "delays=0/0/0/1, dsn=2.0.0, status=deliverable (250 Ok)", &ev),
			 LOGLINE_DELIVERY);
	assert_int_equal(ev.status, LOGLINE_STATUS_OTHER);

	/* broken */
	assert_int_equal(parse("3F2A11C0D2: to=<x@y.example>, status=sent (x)", &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("3F2A11C0D2: to=<x@y.example>, relay=mx[1.2.3.4]:25", &ev),
			 LOGLINE_UNKNOWN);
	assert_int_equal(parse("3F2A11C0D2: to=<x@y.example>, relay=mx[1.2.3.4]:25 delay=1", &ev),
			 LOGLINE_UNKNOWN);
	assert_int_equal(parse("3F2A11C0D2: to=<x@y.example>, relay=mx[1.2.3.4, status=sent", &ev),
			 LOGLINE_UNKNOWN);
}

static void test_failure_lines(void **state)
{
	struct logline_smtp ev;

	(void)state;
	assert_int_equal(parse("4Q1KKz1uv11: TLS is required, but was not offered by host "
			       "mx1.notls.example[192.0.2.70]", &ev), LOGLINE_QID_FAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_NOT_OFFERED);
	assert_str(ev.qid, "4Q1KKz1uv11");
	assert_str(ev.relay_host, "mx1.notls.example");
	assert_int_equal(parse("4Q1KKz1uv11: TLS is required, but host mx1.x[192.0.2.70] refused "
			       "to start TLS: 454 4.7.0 TLS not available", &ev), LOGLINE_QID_FAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_STARTTLS_REFUSED);
	assert_str(ev.relay_host, "mx1.x");
	assert_int_equal(parse("4Q1MMz3yz13: Server certificate not trusted", &ev), LOGLINE_QID_FAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_UNTRUSTED);
	assert_int_equal(ev.relay_host.len, 0);
	assert_int_equal(parse("4Q1MMz3yz13: Server certificate not verified", &ev), LOGLINE_QID_FAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_UNVERIFIED);
	assert_int_equal(parse("4Q1MMz3yz13: Cannot start TLS: handshake failure", &ev),
			 LOGLINE_QID_FAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_HANDSHAKE);
	assert_int_equal(parse("4Q1MMz3yz13: host mx[1.2.3.4] said: 450 greylisted", &ev),
			 LOGLINE_IGNORED);
	assert_int_equal(parse("4Q1MMz3yz13: enabling PIX workarounds: disable_esmtp for "
			       "mx[1.2.3.4]:25", &ev), LOGLINE_IGNORED);

	assert_int_equal(parse("certificate verification failed for mx.c.example[192.0.2.80]:25: "
			       "untrusted issuer /C=XX/O=Snake Oil", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_UNTRUSTED);
	assert_str(ev.relay_host, "mx.c.example");
	assert_str(ev.text, "untrusted issuer /C=XX/O=Snake Oil");
	assert_int_equal(parse("certificate verification failed for mx[192.0.2.80]:25: self-signed "
			       "certificate", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_UNTRUSTED);
	assert_int_equal(parse("server certificate verification failed for mx[192.0.2.90]:25: "
			       "certificate has expired", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_EXPIRED);
	assert_int_equal(parse("server certificate verification failed for mx[192.0.2.90]:25: "
			       "certificate not yet valid", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_EXPIRED);
	assert_int_equal(parse("server certificate verification failed for mx[192.0.2.90]:25: "
			       "num=62:hostname mismatch", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_NAME_MISMATCH);
	assert_int_equal(parse("server certificate verification failed for mx[192.0.2.90]:25: "
			       "num=65:No matching DANE TLSA records", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_DANE);
	assert_int_equal(parse("CA certificate verification failed for mx[192.0.2.90]:25: "
			       "certificate has expired", &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_EXPIRED);
	assert_int_equal(parse("SSL_connect error to mx.h.example[192.0.2.120]:25: lost connection",
			       &ev), LOGLINE_DETAIL);
	assert_int_equal(ev.fail, LOGLINE_FAIL_HANDSHAKE);
	assert_str(ev.relay_host, "mx.h.example");
	assert_str(ev.relay, "mx.h.example[192.0.2.120]:25");

	assert_int_equal(parse("warning: TLS policy lookup for d.example/mx2.d.example: TLSA lookup "
			       "error for mx2.d.example:25", &ev), LOGLINE_POLICY_WARN);
	assert_int_equal(ev.fail, LOGLINE_FAIL_TLSA_ERROR);
	assert_str(ev.domain, "d.example");
	assert_str(ev.relay_host, "mx2.d.example");
	assert_int_equal(parse("warning: TLS policy lookup for d.example/mx.d.example: no TLSA "
			       "records found", &ev), LOGLINE_POLICY_WARN);
	assert_int_equal(ev.fail, LOGLINE_FAIL_NO_TLSA);
	assert_int_equal(parse("warning: TLS policy lookup for d.example/mx.d.example: non DNSSEC "
			       "destination", &ev), LOGLINE_POLICY_WARN);
	assert_int_equal(ev.fail, LOGLINE_FAIL_DANE);
	assert_int_equal(parse("warning: TLS policy lookup for d.example/mx.d.example: something new",
			       &ev), LOGLINE_IGNORED);
	assert_int_equal(parse("warning: TLS policy lookup for d.example mx.d.example: TLSA lookup "
			       "error", &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("warning: TLS library problem: error:0A000126:SSL routines::"
			       "unexpected eof while reading", &ev), LOGLINE_IGNORED);
	assert_int_equal(parse("connect to mx[192.0.2.150]:25: Connection refused", &ev),
			 LOGLINE_IGNORED);
	assert_int_equal(parse("Some future Postfix message", &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("", &ev), LOGLINE_UNKNOWN);
	assert_int_equal(parse("ABC: short queue id", &ev), LOGLINE_UNKNOWN);
}

static const struct {
	const char *text;
	enum logline_fail want;
} classify_cases[] = {
	{ "TLS is required, but was not offered by host mx[1.2.3.4]", LOGLINE_FAIL_NOT_OFFERED },
	{ "TLS is required, but host mx[1.2.3.4] refused to start TLS: 454 x",
	  LOGLINE_FAIL_STARTTLS_REFUSED },
	{ "Cannot start TLS: handshake failure", LOGLINE_FAIL_HANDSHAKE },
	{ "Server certificate not trusted", LOGLINE_FAIL_UNTRUSTED },
	{ "Server certificate not verified", LOGLINE_FAIL_UNVERIFIED },
	{ "no TLSA records found", LOGLINE_FAIL_NO_TLSA },
	{ "TLSA lookup error for mx.example:25", LOGLINE_FAIL_TLSA_ERROR },
	{ "TLSA records unusable", LOGLINE_FAIL_DANE },
	{ "non DNSSEC destination", LOGLINE_FAIL_DANE },
	{ "MTA-STS policy mismatch", LOGLINE_FAIL_STS },
	{ "TLS is required, but our TLS engine is unavailable", LOGLINE_FAIL_LOCAL },
	{ "TLS is required, but unavailable", LOGLINE_FAIL_LOCAL },
	{ "host mx said: 550 5.1.1 unknown user", LOGLINE_FAIL_NONE },
	{ "connect to mx[1.2.3.4]:25: Connection timed out", LOGLINE_FAIL_NONE },
	{ "lost connection with mx[1.2.3.4] while receiving the initial server greeting",
	  LOGLINE_FAIL_NONE },
	{ "", LOGLINE_FAIL_NONE },
};

static void test_classify(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
		enum logline_fail got = logline_classify(classify_cases[i].text,
							 strlen(classify_cases[i].text));

		if (got != classify_cases[i].want)
			fail_msg("\"%s\": got %s, want %s", classify_cases[i].text,
				 logline_fail_name(got), logline_fail_name(classify_cases[i].want));
	}
	assert_string_equal(logline_fail_name(LOGLINE_FAIL_HANDSHAKE), "handshake");
	assert_string_equal(logline_fail_name(LOGLINE_FAIL_COUNT), "?");
	assert_string_equal(logline_trust_name(LOGLINE_PLAINTEXT), "plaintext");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_envelope_prefixes),
		cmocka_unit_test(test_tls_lines),
		cmocka_unit_test(test_delivery_lines),
		cmocka_unit_test(test_failure_lines),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
