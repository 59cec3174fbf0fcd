/* SPDX-License-Identifier: MIT */
/*
 * loggen - write a large, realistic Postfix mail log for benchmarks.
 *
 * usage: loggen [-s SIZE[K|M|G]] [-f bsd|iso|journal] [-d DOMAINS]
 *               [-r SEED] [-o FILE]
 *
 * The mix follows a busy Debian mail server: inbound smtpd sessions
 * (postscreen, connect, STARTTLS, rejects, disconnect), cleanup, qmgr,
 * outbound smtp(8) deliveries with TLS summary lines (Verified, Trusted,
 * Untrusted, Anonymous or none), connection reuse, deferrals (timeouts,
 * greylisting, TLS required but not offered, certificate failures),
 * bounces, local and lmtp deliveries, and lines of other programs
 * (dovecot, amavis, opendkim, CRON, systemd).  Output is deterministic
 * for a given seed.  Formats: bsd ("Nov 28 12:00:00 host ..."), iso
 * (rsyslog RFC 3339 high precision), journal (journalctl -o short-iso).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUTBUF (1 << 20)
#define MAX_DOMAINS 1000000

static char outbuf[OUTBUF];
static size_t outlen;
static unsigned long long written, target;
static FILE *out;
static int fmt; /* 0 bsd, 1 iso, 2 journal */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static int chance(unsigned percent)
{
	return rn(1000) < percent * 10;
}

static void flush_out(void)
{
	if (outlen && fwrite(outbuf, 1, outlen, out) != outlen) {
		perror("loggen: write");
		exit(1);
	}
	outlen = 0;
}

/* simulated clock: seconds and microseconds since the start */
static time_t now_s;
static long now_us;
static const char *hostname = "mail";

static void tick(unsigned max_us)
{
	now_us += rn(max_us + 1);
	while (now_us >= 1000000) {
		now_us -= 1000000;
		now_s++;
	}
}

static void line(const char *prog, unsigned pid, const char *fmtstr, ...)
	__attribute__((format(printf, 3, 4)));

static void line(const char *prog, unsigned pid, const char *fmtstr, ...)
{
	struct tm tm;
	va_list ap;
	int n;
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	size_t start;

	if (OUTBUF - outlen < 4096)
		flush_out();
	start = outlen;
	gmtime_r(&now_s, &tm);
	if (fmt == 0)
		n = snprintf(outbuf + outlen, OUTBUF - outlen, "%s %2d %02d:%02d:%02d %s %s[%u]: ",
			     mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     hostname, prog, pid);
	else if (fmt == 1)
		n = snprintf(outbuf + outlen, OUTBUF - outlen,
			     "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00 %s %s[%u]: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec, now_us, hostname, prog, pid);
	else
		n = snprintf(outbuf + outlen, OUTBUF - outlen,
			     "%04d-%02d-%02dT%02d:%02d:%02d+0000 %s %s[%u]: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec, hostname, prog, pid);
	outlen += (size_t)n;
	va_start(ap, fmtstr);
	n = vsnprintf(outbuf + outlen, OUTBUF - outlen - 1, fmtstr, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= OUTBUF - outlen - 1)
		n = (int)(OUTBUF - outlen - 2);
	outlen += (size_t)n;
	outbuf[outlen++] = '\n';
	written += outlen - start;
}

/* ---- the world ---------------------------------------------------------- */

enum dclass { D_VERIFIED, D_TRUSTED, D_UNTRUSTED, D_ANON, D_PLAIN, D_NOTLS_REQ,
	      D_CERTFAIL, D_DEAD };

struct dom {
	char name[40];
	enum dclass cls;
	int nmx;
	unsigned ip;
};

static struct dom *doms;
static unsigned ndoms = 5000;

static const char *const words[] = {
	"acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne",
	"wonka", "tyrell", "cyberdyne", "soylent", "aperture", "blackmesa", "gringotts",
	"oscorp", "monarch", "nakatomi", "dunder", "sterling", "prestige", "pied", "piper",
	"bluth", "kramerica", "duff", "ollivander", "zorg", "weyland", "yutani"
};
static const char *const tlds[] = { "com", "net", "org", "de", "nl", "fr", "io", "ch",
				    "co.uk", "example" };

static void make_world(void)
{
	doms = calloc(ndoms, sizeof(*doms));
	if (doms == NULL) {
		perror("loggen");
		exit(1);
	}
	for (unsigned i = 0; i < ndoms; i++) {
		struct dom *d = &doms[i];
		unsigned c = rn(100);

		snprintf(d->name, sizeof(d->name), "%s%s%u.%s", words[rn(30)], words[rn(30)], i,
			 tlds[rn(10)]);
		d->cls = c < 10 ? D_VERIFIED : c < 55 ? D_TRUSTED : c < 70 ? D_UNTRUSTED :
			 c < 72 ? D_ANON : c < 88 ? D_PLAIN : c < 92 ? D_NOTLS_REQ :
			 c < 96 ? D_CERTFAIL : D_DEAD;
		d->nmx = 1 + (int)rn(3);
		d->ip = (unsigned)(rnd() & 0xffffff);
	}
	/* the big providers first: they get most of the mail */
	snprintf(doms[0].name, sizeof(doms[0].name), "gmail.com");
	doms[0].cls = D_TRUSTED;
	snprintf(doms[1].name, sizeof(doms[1].name), "outlook.com");
	doms[1].cls = D_TRUSTED;
	snprintf(doms[2].name, sizeof(doms[2].name), "posteo.de");
	doms[2].cls = D_VERIFIED;
	snprintf(doms[3].name, sizeof(doms[3].name), "web.de");
	doms[3].cls = D_TRUSTED;
}

/* Zipf-ish: a few domains get most of the mail */
static struct dom *pick_domain(void)
{
	double u = (double)(rnd() >> 11) / 9007199254740992.0;

	return &doms[(unsigned)(u * u * u * ndoms) % ndoms];
}

static const char *const users[] = { "alice", "bob", "carol", "dave", "eve", "frank",
				     "grace", "heidi", "ivan", "judy", "mallory", "oscar",
				     "peggy", "trent", "victor", "walter", "info", "sales",
				     "support", "noreply" };

static const char *const ciphers12[] = { "ECDHE-RSA-AES256-GCM-SHA384",
					 "ECDHE-ECDSA-AES256-GCM-SHA384",
					 "ECDHE-RSA-AES128-GCM-SHA256",
					 "ECDHE-RSA-CHACHA20-POLY1305" };
static const char *const ciphers13[] = { "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
					 "TLS_CHACHA20_POLY1305_SHA256" };

static void qid(char *buf, size_t n)
{
	static const char alpha[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy";

	if (n < 14)
		return;
	for (int i = 0; i < 12; i++)
		buf[i] = alpha[rn(sizeof(alpha) - 1)];
	buf[4] = 'z';
	buf[12] = '\0';
}

static unsigned smtp_pids[64], smtpd_pids[32];

static void tls_line(unsigned pid, const struct dom *d, int mx, const char *trust, int reused)
{
	if (chance(70))
		line("postfix/smtp", pid,
		     "%s TLS connection %s to mx%d.%s[%u.%u.%u.%u]:25: TLSv1.3 with cipher %s "
		     "(256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) "
		     "server-digest SHA256",
		     trust, reused ? "reused" : "established", mx, d->name, 198, (d->ip >> 16) & 255,
		     (d->ip >> 8) & 255, (d->ip + (unsigned)mx) & 255, ciphers13[rn(3)]);
	else
		line("postfix/smtp", pid,
		     "%s TLS connection %s to mx%d.%s[%u.%u.%u.%u]:25: TLSv1.2 with cipher %s "
		     "(256/256 bits)",
		     trust, reused ? "reused" : "established", mx, d->name, 198, (d->ip >> 16) & 255,
		     (d->ip >> 8) & 255, (d->ip + (unsigned)mx) & 255, ciphers12[rn(4)]);
}

static void outbound(const char *id, const char *from, int nrcpt)
{
	struct dom *d = pick_domain();
	unsigned pid = smtp_pids[rn(64)];
	int mx = 1 + (int)rn((unsigned)d->nmx);
	const char *trust = NULL;
	char ip[32];

	snprintf(ip, sizeof(ip), "198.%u.%u.%u", (d->ip >> 16) & 255, (d->ip >> 8) & 255,
		 (d->ip + (unsigned)mx) & 255);
	(void)from;
	tick(300000);
	switch (d->cls) {
	case D_VERIFIED: trust = "Verified"; break;
	case D_TRUSTED: trust = "Trusted"; break;
	case D_UNTRUSTED: trust = "Untrusted"; break;
	case D_ANON: trust = "Anonymous"; break;
	case D_PLAIN: trust = NULL; break;
	case D_NOTLS_REQ:
		line("postfix/smtp", pid, "%s: to=<%s@%s>, relay=mx%d.%s[%s]:25, delay=%u.%u, "
		     "delays=0.01/0/0.2/0, dsn=4.7.4, status=deferred (TLS is required, but was "
		     "not offered by host mx%d.%s[%s])",
		     id, users[rn(20)], d->name, mx, d->name, ip, rn(900), rn(10), mx, d->name, ip);
		return;
	case D_CERTFAIL:
		line("postfix/smtp", pid, "server certificate verification failed for mx%d.%s[%s]:25: "
		     "num=10:certificate has expired", mx, d->name, ip);
		line("postfix/smtp", pid, "Untrusted TLS connection established to mx%d.%s[%s]:25: "
		     "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)", mx, d->name, ip);
		line("postfix/smtp", pid, "%s: to=<%s@%s>, relay=mx%d.%s[%s]:25, delay=%u, "
		     "delays=0.01/0/0.31/0, dsn=4.7.5, status=deferred (Server certificate not "
		     "trusted)", id, users[rn(20)], d->name, mx, d->name, ip, rn(9000));
		return;
	case D_DEAD:
		line("postfix/smtp", pid, "connect to mx%d.%s[%s]:25: Connection timed out", mx,
		     d->name, ip);
		line("postfix/smtp", pid, "%s: to=<%s@%s>, relay=none, delay=%u, delays=%u/0.01/30/0, "
		     "dsn=4.4.1, status=deferred (connect to mx%d.%s[%s]:25: Connection timed out)",
		     id, users[rn(20)], d->name, rn(90000), rn(90000), mx, d->name, ip);
		return;
	}
	if (trust)
		tls_line(pid, d, mx, trust, chance(15));
	for (int r = 0; r < nrcpt; r++) {
		tick(20000);
		if (chance(3))
			line("postfix/smtp", pid, "%s: to=<%s%d@%s>, relay=mx%d.%s[%s]:25, delay=%u.%u, "
			     "delays=0.1/0/0.31/0.1, dsn=5.1.1, status=bounced (host mx%d.%s[%s] said: "
			     "550 5.1.1 <%s%d@%s>: Recipient address rejected: User unknown in virtual "
			     "mailbox table (in reply to RCPT TO command))",
			     id, users[rn(20)], r, d->name, mx, d->name, ip, rn(9), rn(10), mx, d->name,
			     ip, users[rn(20)], r, d->name);
		else if (chance(2))
			line("postfix/smtp", pid, "%s: to=<%s%d@%s>, relay=mx%d.%s[%s]:25, delay=%u, "
			     "delays=0.1/0/0.31/0.1, dsn=4.7.1, status=deferred (host mx%d.%s[%s] said: "
			     "450 4.7.1 <%s%d@%s>: Recipient address rejected: Greylisted, see "
			     "http://postgrey.schweikert.ch/help/%s.html (in reply to RCPT TO command))",
			     id, users[rn(20)], r, d->name, mx, d->name, ip, rn(900), mx, d->name, ip,
			     users[rn(20)], r, d->name, d->name);
		else
			line("postfix/smtp", pid, "%s: to=<%s%d@%s>, %srelay=mx%d.%s[%s]:25, %sdelay=%u.%u, "
			     "delays=0.1/0.01/0.2%u/0.%u, dsn=2.0.0, status=sent (250 2.0.0 OK  %u "
			     "%c%c%c%u - gsmtp)",
			     id, users[rn(20)], r, d->name, chance(5) ? "orig_to=<list@mail.example>, " : "",
			     mx, d->name, ip, chance(10) ? "conn_use=2, " : "", rn(5), rn(100), rn(10),
			     rn(10), (unsigned)rnd(), 'a' + rn(26), 'a' + rn(26), 'a' + rn(26),
			     rn(100000));
	}
}

static void other_programs(void)
{
	unsigned k = rn(100);

	if (k < 30)
		line("dovecot", 0, "imap-login: Login: user=<%s@mail.example>, method=PLAIN, "
		     "rip=203.0.113.%u, lip=192.0.2.5, mpid=%u, TLS, session=<%08x%08x>",
		     users[rn(20)], rn(255), 10000 + rn(50000), (unsigned)rnd(), (unsigned)rnd());
	else if (k < 45)
		line("dovecot", 0, "imap(%s@mail.example)<%u><%08x>: Logged out in=%u out=%u "
		     "deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
		     users[rn(20)], 10000 + rn(50000), (unsigned)rnd(), rn(2000), rn(200000));
	else if (k < 70)
		line("amavis", 3000 + rn(8), "(%05u-%02u) Passed CLEAN {RelayedInbound}, [203.0.113.%u]"
		     ":%u [203.0.113.%u] <%s@%s> -> <%s@mail.example>, Queue-ID: ABCDEF%04X, "
		     "Message-ID: <%08x.%u@%s>, mail_id: %08x%08x, Hits: -%u.%03u, size: %u, "
		     "queued_as: 1234%04X, %u ms",
		     rn(99999), rn(99), rn(255), 1024 + rn(60000), rn(255), users[rn(20)],
		     pick_domain()->name, users[rn(20)], rn(65536), (unsigned)rnd(), rn(99999),
		     pick_domain()->name, (unsigned)rnd(), (unsigned)rnd(), rn(5), rn(999),
		     1000 + rn(100000), rn(65536), rn(3000));
	else if (k < 85)
		line("opendkim", 700, "ABCDEF%04X: DKIM-Signature field added (s=mail, d=mail.example)",
		     rn(65536));
	else if (k < 95)
		line("CRON", 20000 + rn(9999), "(root) CMD (command -v debian-sa1 > /dev/null && "
		     "debian-sa1 1 1)");
	else
		line("systemd", 1, "Started session-%u.scope - Session %u of User vmail.",
		     rn(99999), rn(99999));
}

static void message(void)
{
	char id[16], from[96];
	unsigned spid = smtpd_pids[rn(32)];
	int nrcpt = 1 + (chance(15) ? (int)rn(4) : 0);
	unsigned cip = rn(255);

	qid(id, sizeof(id));
	tick(400000);
	if (chance(30)) {
		line("postfix/postscreen", 900, "CONNECT from [203.0.113.%u]:%u to [192.0.2.5]:25",
		     cip, 1024 + rn(60000));
		line("postfix/postscreen", 900, "PASS OLD [203.0.113.%u]:%u", cip, 1024 + rn(60000));
	}
	line("postfix/smtpd", spid, "connect from mail%u.sender.example[203.0.113.%u]", cip, cip);
	if (chance(20)) {
		line("postfix/smtpd", spid, "NOQUEUE: reject: RCPT from unknown[203.0.113.%u]: 554 "
		     "5.7.1 Service unavailable; Client host [203.0.113.%u] blocked using "
		     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.%u; "
		     "from=<spam@bad.example> to=<%s@mail.example> proto=ESMTP helo=<bad.example>",
		     cip, cip, cip, users[rn(20)]);
		line("postfix/smtpd", spid, "disconnect from unknown[203.0.113.%u] ehlo=1 mail=1 "
		     "rcpt=0/1 quit=1 commands=3/4", cip);
		return;
	}
	if (chance(80))
		line("postfix/smtpd", spid, "Anonymous TLS connection established from "
		     "mail%u.sender.example[203.0.113.%u]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
		     "(256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) "
		     "server-digest SHA256", cip, cip);
	line("postfix/smtpd", spid, "%s: client=mail%u.sender.example[203.0.113.%u]", id, cip, cip);
	line("postfix/cleanup", 500 + rn(4), "%s: message-id=<%08x%08x@sender.example>", id,
	     (unsigned)rnd(), (unsigned)rnd());
	snprintf(from, sizeof(from), "%s@sender%u.example", users[rn(20)], cip);
	line("postfix/qmgr", 400, "%s: from=<%s>, size=%u, nrcpt=%d (queue active)", id, from,
	     1000 + rn(200000), nrcpt);
	line("postfix/smtpd", spid, "disconnect from mail%u.sender.example[203.0.113.%u] ehlo=2 "
	     "starttls=1 mail=1 rcpt=%d data=1 quit=1 commands=%d", cip, cip, nrcpt, 6 + nrcpt);
	if (chance(25)) { /* local mailbox via lmtp */
		tick(50000);
		line("postfix/lmtp", 8000 + rn(8), "%s: to=<%s@mail.example>, relay=mail.example"
		     "[private/dovecot-lmtp], delay=0.%u, delays=0.07/0.01/0.01/0.1, dsn=2.0.0, "
		     "status=sent (250 2.0.0 <%s@mail.example> %08x Saved)",
		     id, users[rn(20)], rn(99), users[rn(20)], (unsigned)rnd());
	} else if (chance(5)) {
		line("postfix/local", 8100, "%s: to=<root@mail.example>, orig_to=<postmaster>, "
		     "relay=local, delay=0.02, delays=0.01/0/0/0, dsn=2.0.0, status=sent (delivered "
		     "to mailbox)", id);
	} else {
		outbound(id, from, nrcpt);
		if (chance(3))
			line("postfix/bounce", 700, "%s: sender non-delivery notification: ABCD%08X", id,
			     (unsigned)rnd());
	}
	line("postfix/qmgr", 400, "%s: removed", id);
	for (unsigned i = rn(6); i > 0; i--)
		other_programs();
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'G': case 'g': v <<= 30; break;
	case 'M': case 'm': v <<= 20; break;
	case 'K': case 'k': v <<= 10; break;
	case '\0': break;
	default: return 0;
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int opt;

	target = 100ULL << 20;
	while ((opt = getopt(argc, argv, "s:f:d:r:o:h")) != -1) {
		switch (opt) {
		case 's':
			if ((target = parse_size(optarg)) == 0) {
				fprintf(stderr, "loggen: bad size %s\n", optarg);
				return 2;
			}
			break;
		case 'f':
			fmt = strcmp(optarg, "iso") == 0 ? 1 : strcmp(optarg, "journal") == 0 ? 2 :
			      strcmp(optarg, "bsd") == 0 ? 0 : -1;
			if (fmt < 0) {
				fprintf(stderr, "loggen: format must be bsd, iso or journal\n");
				return 2;
			}
			break;
		case 'd':
			ndoms = (unsigned)strtoul(optarg, NULL, 10);
			if (ndoms < 10 || ndoms > MAX_DOMAINS) {
				fprintf(stderr, "loggen: domains must be 10..%d\n", MAX_DOMAINS);
				return 2;
			}
			break;
		case 'r':
			rng_state = strtoull(optarg, NULL, 10) * 0x9e3779b97f4a7c15ULL + 1;
			break;
		case 'o':
			path = optarg;
			break;
		default:
			fprintf(stderr, "usage: loggen [-s SIZE[K|M|G]] [-f bsd|iso|journal] "
				"[-d DOMAINS] [-r SEED] [-o FILE]\n");
			return 2;
		}
	}
	out = path ? fopen(path, "w") : stdout;
	if (out == NULL) {
		perror(path);
		return 1;
	}
	now_s = 1730419200; /* 2024-11-01T00:00:00Z */
	make_world();
	for (int i = 0; i < 64; i++)
		smtp_pids[i] = 10000 + rn(20000);
	for (int i = 0; i < 32; i++)
		smtpd_pids[i] = 30000 + rn(20000);
	while (written < target) {
		message();
		if (chance(1)) /* processes come and go */
			smtp_pids[rn(64)] = 10000 + rn(50000);
	}
	flush_out();
	if (fclose(out) != 0) {
		perror("loggen: close");
		return 1;
	}
	free(doms);
	return 0;
}
