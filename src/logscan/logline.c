/* SPDX-License-Identifier: MIT */
/*
 * logline.c - parse one Postfix log line (see logline.h).
 *
 * Hot path: this runs for every line of logs that are often gigabytes
 * long, so the envelope parser is a handful of byte compares and memchr()
 * calls, and everything beyond the envelope runs only for smtp/lmtp
 * lines.  Nothing here allocates.
 */
#include "logscan/logline.h"

#include <stdint.h>
#include <string.h>

#define LIT(s) (s), (sizeof(s) - 1)

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* p[0..n) starts with the literal s[0..sn) */
static inline int has_prefix(const char *p, size_t n, const char *s, size_t sn)
{
	return n >= sn && memcmp(p, s, sn) == 0;
}

static inline const char *find(const char *p, size_t n, const char *s, size_t sn)
{
	/* memmem's arguments are declared nonnull: an empty field may be NULL */
	if (p == NULL || n < sn)
		return NULL;
	return memmem(p, n, s, sn);
}

/*
 * find() for a needle whose first byte is rare in the haystack (">, relay=",
 * " with cipher " right after the protocol): memchr() to each candidate and
 * a compare, cheaper than memmem()'s set-up for the few bytes it skips on
 * these lines.  Same result as find(); at most sn compared bytes per
 * candidate, so linear in n for the short needles used here.
 */
static inline const char *find_rare(const char *p, size_t n, const char *s, size_t sn)
{
	const char *e, *q;

	if (p == NULL || n < sn)
		return NULL;
	e = p + n - sn + 1; /* candidates start before e */
	for (q = p; q < e && (q = memchr(q, s[0], (size_t)(e - q))) != NULL; q++)
		if (memcmp(q + 1, s + 1, sn - 1) == 0)
			return q;
	return NULL;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LOGLINE_SWAR 1
#define ONES 0x0101010101010101ULL
#define LOW7 0x7f7f7f7f7f7f7f7fULL

/* 0x80 in every byte of w that equals c, 0 elsewhere (exact: no
 * borrow from one byte to the next) */
static inline uint64_t byte_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);

	return ~(((x & LOW7) + LOW7) | x | LOW7);
}
#endif

/*
 * The tag of "tag[pid]:" at p: returns its end (the first '[', ':' or
 * ' ', or e) and sets *slash to its last '/' (NULL: none).  Eight bytes
 * at a time while the line has them: tags are "postfix/smtpd" and the
 * like, and this runs for every line.
 */
static inline const char *scan_tag(const char *p, const char *e, const char **slash)
{
	*slash = NULL;
#ifdef LOGLINE_SWAR
	while (e - p >= 8) {
		uint64_t w, stop, sl;

		memcpy(&w, p, 8);
		stop = byte_eq(w, '[') | byte_eq(w, ':') | byte_eq(w, ' ');
		sl = byte_eq(w, '/');
		if (stop) {
			unsigned k = (unsigned)__builtin_ctzll(stop) / 8;

			sl &= (1ULL << (k * 8)) - 1; /* the '/' before the stop */
			if (sl)
				*slash = p + (63 - __builtin_clzll(sl)) / 8;
			return p + k;
		}
		if (sl)
			*slash = p + (63 - __builtin_clzll(sl)) / 8;
		p += 8;
	}
#endif
	for (; p < e && *p != '[' && *p != ':' && *p != ' '; p++)
		if (*p == '/')
			*slash = p;
	return p;
}

static int two_digits(const char *p, int *v)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

static int four_digits(const char *p, int *v)
{
	int a, b;

	if (two_digits(p, &a) < 0 || two_digits(p + 2, &b) < 0)
		return -1;
	*v = a * 100 + b;
	return 0;
}

/* "Jan".."Dec" -> 1..12, else 0.  p has at least 3 bytes. */
static int month_num(const char *p)
{
	switch (p[0]) {
	case 'J':
		if (p[1] == 'a' && p[2] == 'n')
			return 1;
		if (p[1] == 'u' && p[2] == 'n')
			return 6;
		if (p[1] == 'u' && p[2] == 'l')
			return 7;
		return 0;
	case 'F':
		return p[1] == 'e' && p[2] == 'b' ? 2 : 0;
	case 'M':
		if (p[1] == 'a' && p[2] == 'r')
			return 3;
		if (p[1] == 'a' && p[2] == 'y')
			return 5;
		return 0;
	case 'A':
		if (p[1] == 'p' && p[2] == 'r')
			return 4;
		if (p[1] == 'u' && p[2] == 'g')
			return 8;
		return 0;
	case 'S':
		return p[1] == 'e' && p[2] == 'p' ? 9 : 0;
	case 'O':
		return p[1] == 'c' && p[2] == 't' ? 10 : 0;
	case 'N':
		return p[1] == 'o' && p[2] == 'v' ? 11 : 0;
	case 'D':
		return p[1] == 'e' && p[2] == 'c' ? 12 : 0;
	}
	return 0;
}

/* "hh:mm:ss" at p (8 bytes available) */
static int parse_hms(const char *p, struct logline *ll)
{
	if (two_digits(p, &ll->hour) < 0 || p[2] != ':' ||
	    two_digits(p + 3, &ll->min) < 0 || p[5] != ':' ||
	    two_digits(p + 6, &ll->sec) < 0)
		return -1;
	if (ll->hour > 23 || ll->min > 59 || ll->sec > 60)
		return -1;
	return 0;
}

/* Skips ".digits" or ",digits" (fractions of a second). */
static const char *skip_frac(const char *p, const char *e)
{
	if (p < e && (*p == '.' || *p == ',') && p + 1 < e && is_digit(p[1])) {
		p++;
		while (p < e && is_digit(*p))
			p++;
	}
	return p;
}

/* "Mmm dd[ YYYY] hh:mm:ss[.frac]" at p; returns the end or NULL. */
static const char *parse_bsd(const char *p, const char *e, struct logline *ll)
{
	if (e - p < 15 || p[3] != ' ' || p[6] != ' ')
		return NULL;
	if ((ll->mon = month_num(p)) == 0)
		return NULL;
	if (p[4] == ' ') {
		if (!is_digit(p[5]))
			return NULL;
		ll->mday = p[5] - '0';
	} else if (two_digits(p + 4, &ll->mday) < 0) {
		return NULL;
	}
	if (ll->mday < 1 || ll->mday > 31)
		return NULL;
	p += 7;
	/* "Nov 28 2024 12:00:00" */
	if (e - p >= 13 && p[4] == ' ' && is_digit(p[0]) && p[2] != ':') {
		if (four_digits(p, &ll->year) < 0)
			return NULL;
		p += 5;
	}
	if (e - p < 8 || parse_hms(p, ll) < 0)
		return NULL;
	return skip_frac(p + 8, e);
}

/* "YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|+hhmm]" at p */
static const char *parse_iso(const char *p, const char *e, struct logline *ll)
{
	int zh, zm;

	if (e - p < 19 || p[4] != '-' || p[7] != '-' || p[10] != 'T')
		return NULL;
	if (four_digits(p, &ll->year) < 0 || two_digits(p + 5, &ll->mon) < 0 ||
	    two_digits(p + 8, &ll->mday) < 0)
		return NULL;
	if (ll->mon < 1 || ll->mon > 12 || ll->mday < 1 || ll->mday > 31)
		return NULL;
	if (parse_hms(p + 11, ll) < 0)
		return NULL;
	p = skip_frac(p + 19, e);
	if (p < e && *p == 'Z') {
		ll->has_zone = 1;
		ll->zone_off = 0;
		return p + 1;
	}
	if (p < e && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;

		if (e - p >= 6 && p[3] == ':') {
			if (two_digits(p + 1, &zh) < 0 || two_digits(p + 4, &zm) < 0)
				return NULL;
			p += 6;
		} else if (e - p >= 5) {
			if (two_digits(p + 1, &zh) < 0 || two_digits(p + 3, &zm) < 0)
				return NULL;
			p += 5;
		} else {
			return NULL;
		}
		if (zh > 23 || zm > 59)
			return NULL;
		ll->has_zone = 1;
		ll->zone_off = sign * (zh * 3600 + zm * 60);
	}
	return p;
}

int logline_envelope(const char *line, size_t len, struct logline *ll)
{
	const char *p = line, *e = line + len, *q;
	const char *tag, *slash;

	ll->fmt = LOGLINE_FMT_NONE;
	ll->year = 0;
	ll->has_zone = 0;
	ll->zone_off = 0;
	ll->pid = 0;
	if (len && e[-1] == '\r')
		e--;
	if (p < e && *p == '<') { /* <PRI> */
		q = p + 1;
		while (q < e && q - p <= 4 && is_digit(*q))
			q++;
		if (q == p + 1 || q >= e || *q != '>')
			return -1;
		p = q + 1;
	}
	if (e - p < 15)
		return -1;
	if (is_digit(p[0])) {
		if (p[4] == '-') {
			if ((p = parse_iso(p, e, ll)) == NULL)
				return -1;
			ll->fmt = LOGLINE_FMT_ISO;
		} else if (p[4] == ' ') {
			if (four_digits(p, &ll->year) < 0 ||
			    (p = parse_bsd(p + 5, e, ll)) == NULL)
				return -1;
			ll->fmt = LOGLINE_FMT_BSD_YEAR;
		} else {
			return -1;
		}
	} else {
		if ((p = parse_bsd(p, e, ll)) == NULL)
			return -1;
		ll->fmt = ll->year ? LOGLINE_FMT_BSD_YEAR : LOGLINE_FMT_BSD;
	}
	if (p >= e || *p != ' ')
		return -1;
	p++;
	/* host */
	if ((q = memchr(p, ' ', (size_t)(e - p))) == NULL || q == p)
		return -1;
	ll->host.p = p;
	ll->host.len = (size_t)(q - p);
	p = q + 1;
	/* tag[pid]: */
	tag = p;
	p = scan_tag(p, e, &slash);
	if (p >= e || p == tag || *p == ' ')
		return -1;
	ll->tag.p = tag;
	ll->tag.len = (size_t)(p - tag);
	if (*p == '[') {
		unsigned long pid = 0;
		int nd = 0;

		p++;
		while (p < e && is_digit(*p) && nd < 10) {
			pid = pid * 10 + (unsigned long)(*p - '0');
			p++;
			nd++;
		}
		if (nd == 0 || p >= e || *p != ']')
			return -1;
		ll->pid = pid;
		p++;
		if (p >= e || *p != ':')
			return -1;
	}
	p++; /* ':' */
	if (p < e && *p == ' ')
		p++;
	ll->msg.p = p;
	ll->msg.len = (size_t)(e - p);
	/* program: last path component of the tag */
	q = slash ? slash + 1 : tag;
	ll->prog.p = q;
	ll->prog.len = (size_t)(tag + ll->tag.len - q);
	return 0;
}

/* Postfix 3.7 programs that log (postfix/NAME), by length. */
#define PROG(s) { (s), sizeof(s) - 1 }
static const struct {
	const char *s;
	size_t n;
} postfix_progs[] = {
	PROG("smtpd"), PROG("qmgr"), PROG("cleanup"), PROG("postscreen"),
	PROG("local"), PROG("bounce"), PROG("pickup"), PROG("anvil"),
	PROG("tlsproxy"), PROG("dnsblog"), PROG("virtual"), PROG("pipe"),
	PROG("discard"), PROG("error"), PROG("flush"), PROG("master"),
	PROG("oqmgr"), PROG("postalias"), PROG("postcat"), PROG("postconf"),
	PROG("postdrop"), PROG("postfix"), PROG("postfix-script"),
	PROG("postkick"), PROG("postlock"), PROG("postlog"), PROG("postlogd"),
	PROG("postmap"), PROG("postmulti"), PROG("postqueue"), PROG("postsuper"),
	PROG("proxymap"), PROG("qmqpd"), PROG("scache"), PROG("sendmail"),
	PROG("showq"), PROG("spawn"), PROG("tlsmgr"), PROG("trivial-rewrite"),
	PROG("verify"), PROG("retry"), PROG("defer"), PROG("trace"),
};

enum logline_prog logline_program(const struct logline *ll)
{
	const char *p = ll->prog.p;
	size_t n = ll->prog.len;

	if (n == ll->tag.len) /* no '/' : not postfix/NAME */
		return LOGLINE_PROG_OTHER;
	if (n == 4 && p[1] == 'm' && p[2] == 't' && p[3] == 'p') {
		if (p[0] == 's')
			return LOGLINE_PROG_SMTP;
		if (p[0] == 'l')
			return LOGLINE_PROG_LMTP;
	}
	for (size_t i = 0; i < sizeof(postfix_progs) / sizeof(postfix_progs[0]); i++)
		if (postfix_progs[i].n == n && postfix_progs[i].s[0] == p[0] &&
		    memcmp(postfix_progs[i].s, p, n) == 0)
			return LOGLINE_PROG_POSTFIX;
	return LOGLINE_PROG_OTHER;
}

static const struct {
	const char *s;
	size_t n;
	enum logline_fail f;
} fail_patterns[] = {
	{ LIT("but was not offered by host"), LOGLINE_FAIL_NOT_OFFERED },
	{ LIT("refused to start TLS"), LOGLINE_FAIL_STARTTLS_REFUSED },
	{ LIT("Cannot start TLS: handshake failure"), LOGLINE_FAIL_HANDSHAKE },
	{ LIT("Server certificate not trusted"), LOGLINE_FAIL_UNTRUSTED },
	{ LIT("Server certificate not verified"), LOGLINE_FAIL_UNVERIFIED },
	{ LIT("no TLSA records found"), LOGLINE_FAIL_NO_TLSA },
	{ LIT("TLSA lookup error"), LOGLINE_FAIL_TLSA_ERROR },
	{ LIT("TLSA records unusable"), LOGLINE_FAIL_DANE },
	{ LIT("non DNSSEC destination"), LOGLINE_FAIL_DANE },
	{ LIT("MTA-STS"), LOGLINE_FAIL_STS },
	{ LIT("TLS is required, but our TLS engine is unavailable"), LOGLINE_FAIL_LOCAL },
	{ LIT("TLS is required, but unavailable"), LOGLINE_FAIL_LOCAL },
	{ LIT("TLS is required, but not available"), LOGLINE_FAIL_LOCAL },
};

enum logline_fail logline_classify(const char *text, size_t len)
{
	/* Every pattern contains "TLS", "STS", "certificate" or "DNSSEC";
	 * most status texts contain none of them. */
	if (!find(text, len, LIT("TLS")) && !find(text, len, LIT("certificate")) &&
	    !find(text, len, LIT("DNSSEC")) && !find(text, len, LIT("STS")))
		return LOGLINE_FAIL_NONE;
	for (size_t i = 0; i < sizeof(fail_patterns) / sizeof(fail_patterns[0]); i++)
		if (find(text, len, fail_patterns[i].s, fail_patterns[i].n))
			return fail_patterns[i].f;
	return LOGLINE_FAIL_NONE;
}

enum logline_fail logline_classify_detail(const char *text, size_t len)
{
	if (find(text, len, LIT("name mismatch")))
		return LOGLINE_FAIL_NAME_MISMATCH;
	if (find(text, len, LIT("expired")) || find(text, len, LIT("not yet valid")))
		return LOGLINE_FAIL_EXPIRED;
	if (find(text, len, LIT("DANE")) || find(text, len, LIT("TLSA")))
		return LOGLINE_FAIL_DANE;
	return LOGLINE_FAIL_UNTRUSTED;
}

static const char *const fail_names[LOGLINE_FAIL_COUNT] = {
	[LOGLINE_FAIL_NONE] = "none",
	[LOGLINE_FAIL_NOT_OFFERED] = "starttls-not-offered",
	[LOGLINE_FAIL_STARTTLS_REFUSED] = "starttls-refused",
	[LOGLINE_FAIL_HANDSHAKE] = "handshake",
	[LOGLINE_FAIL_UNTRUSTED] = "cert-untrusted",
	[LOGLINE_FAIL_EXPIRED] = "cert-expired",
	[LOGLINE_FAIL_NAME_MISMATCH] = "cert-name-mismatch",
	[LOGLINE_FAIL_UNVERIFIED] = "cert-not-verified",
	[LOGLINE_FAIL_NO_TLSA] = "no-tlsa",
	[LOGLINE_FAIL_TLSA_ERROR] = "tlsa-lookup-error",
	[LOGLINE_FAIL_DANE] = "dane",
	[LOGLINE_FAIL_STS] = "mta-sts",
	[LOGLINE_FAIL_LOCAL] = "local-tls-unavailable",
};

const char *logline_fail_name(enum logline_fail f)
{
	return (unsigned)f < LOGLINE_FAIL_COUNT ? fail_names[f] : "?";
}

static const char *const trust_names[LOGLINE_TRUST_COUNT] = {
	"verified", "trusted", "untrusted", "anonymous", "plaintext"
};

const char *logline_trust_name(enum logline_trust t)
{
	return (unsigned)t < LOGLINE_TRUST_COUNT ? trust_names[t] : "?";
}

/*
 * Splits "host[addr]:port" (or "host[addr]", or "host") at p[0..n) and
 * returns how many bytes the relay takes: it ends after "]:port",
 * after "]" or at the first ", " / ": " / space when there are no
 * brackets.  An IPv6 address inside brackets may contain ':'.
 */
static size_t parse_relay(const char *p, size_t n, struct logline_smtp *ev)
{
	const char *e = p + n, *q, *lb, *rb;

	q = p;
	while (q < e && *q != '[' && *q != ' ' && *q != ',' &&
	       !(*q == ':' && q + 1 < e && q[1] == ' '))
		q++;
	ev->relay_host.p = p;
	ev->relay_host.len = (size_t)(q - p);
	ev->relay_addr.p = q;
	ev->relay_addr.len = 0;
	if (q < e && *q == '[') {
		lb = q;
		if ((rb = memchr(lb, ']', (size_t)(e - lb))) == NULL)
			return 0;
		ev->relay_addr.p = lb + 1;
		ev->relay_addr.len = (size_t)(rb - lb - 1);
		q = rb + 1;
		if (q + 1 < e && *q == ':' && is_digit(q[1])) {
			q++;
			while (q < e && is_digit(*q))
				q++;
		}
	}
	ev->relay.p = p;
	ev->relay.len = (size_t)(q - p);
	return (size_t)(q - p);
}

/* "Verified TLS connection established to R: PROTO with cipher C (...)" */
static enum logline_kind parse_tls(const char *p, const char *e,
				   struct logline_smtp *ev)
{
	size_t n;
	const char *q;

	if (has_prefix(p, (size_t)(e - p), LIT("established to "))) {
		p += sizeof("established to ") - 1;
	} else if (has_prefix(p, (size_t)(e - p), LIT("reused to "))) {
		p += sizeof("reused to ") - 1;
		ev->reused = 1;
	} else {
		return ev->kind = LOGLINE_UNKNOWN;
	}
	if ((n = parse_relay(p, (size_t)(e - p), ev)) == 0)
		return ev->kind = LOGLINE_UNKNOWN;
	p += n;
	if (!has_prefix(p, (size_t)(e - p), LIT(": ")))
		return ev->kind = LOGLINE_UNKNOWN;
	p += 2;
	if ((q = find_rare(p, (size_t)(e - p), LIT(" with cipher "))) == NULL)
		return ev->kind = LOGLINE_UNKNOWN;
	ev->proto.p = p;
	ev->proto.len = (size_t)(q - p);
	p = q + sizeof(" with cipher ") - 1;
	q = p;
	while (q < e && *q != ' ')
		q++;
	ev->cipher.p = p;
	ev->cipher.len = (size_t)(q - p);
	return ev->kind = LOGLINE_TLS;
}

/* "to=<addr>, [orig_to=<addr>, ]relay=R, [conn_use=N, ]delay=...,
 *  delays=..., dsn=X.Y.Z, status=WORD (text)" after "QID: " */
static enum logline_kind parse_delivery(const char *p, const char *e,
					struct logline_smtp *ev)
{
	const char *addr = p + 4, *aend, *r, *o, *q, *at;
	size_t n;

	if ((r = find_rare(addr, (size_t)(e - addr), LIT(">, relay="))) == NULL)
		return ev->kind = LOGLINE_UNKNOWN;
	aend = r;
	if ((o = find_rare(addr, (size_t)(r - addr), LIT(">, orig_to=<"))) != NULL)
		aend = o;
	/* recipient domain: after the last '@' of the address */
	at = NULL;
	for (q = aend; q > addr; q--) {
		if (q[-1] == '@') {
			at = q;
			break;
		}
	}
	if (at) {
		ev->domain.p = at;
		ev->domain.len = (size_t)(aend - at);
	}
	p = r + sizeof(">, relay=") - 1;
	if ((n = parse_relay(p, (size_t)(e - p), ev)) == 0)
		return ev->kind = LOGLINE_UNKNOWN;
	p += n;
	/* the remaining ", name=value" fields up to status= */
	while (p < e) {
		if (!has_prefix(p, (size_t)(e - p), LIT(", ")))
			return ev->kind = LOGLINE_UNKNOWN;
		p += 2;
		if (has_prefix(p, (size_t)(e - p), LIT("status="))) {
			p += sizeof("status=") - 1;
			q = p;
			while (q < e && *q != ' ')
				q++;
			n = (size_t)(q - p);
			if (n == 4 && memcmp(p, "sent", 4) == 0)
				ev->status = LOGLINE_STATUS_SENT;
			else if (n == 8 && memcmp(p, "deferred", 8) == 0)
				ev->status = LOGLINE_STATUS_DEFERRED;
			else if (n == 7 && memcmp(p, "bounced", 7) == 0)
				ev->status = LOGLINE_STATUS_BOUNCED;
			else
				ev->status = LOGLINE_STATUS_OTHER;
			if (q + 1 < e && q[0] == ' ' && q[1] == '(') {
				ev->text.p = q + 2;
				ev->text.len = (size_t)(e - q - 2);
				if (ev->text.len && e[-1] == ')')
					ev->text.len--;
			}
			return ev->kind = LOGLINE_DELIVERY;
		}
		if (has_prefix(p, (size_t)(e - p), LIT("conn_use="))) {
			unsigned v = 0;

			p += sizeof("conn_use=") - 1;
			while (p < e && is_digit(*p) && v < 1000000)
				v = v * 10 + (unsigned)(*p++ - '0');
			ev->conn_use = v;
		}
		if ((q = memchr(p, ',', (size_t)(e - p))) == NULL)
			return ev->kind = LOGLINE_UNKNOWN;
		p = q;
	}
	return ev->kind = LOGLINE_UNKNOWN;
}

/* "[server |CA ]certificate verification failed for R: detail",
 * "SSL_connect error to R: detail" */
static enum logline_kind parse_detail(const char *p, const char *e,
				      struct logline_smtp *ev, int handshake)
{
	size_t n;

	if ((n = parse_relay(p, (size_t)(e - p), ev)) == 0)
		return ev->kind = LOGLINE_UNKNOWN;
	p += n;
	if (has_prefix(p, (size_t)(e - p), LIT(": ")))
		p += 2;
	ev->text.p = p;
	ev->text.len = (size_t)(e - p);
	ev->fail = handshake ? LOGLINE_FAIL_HANDSHAKE :
			       logline_classify_detail(p, (size_t)(e - p));
	return ev->kind = LOGLINE_DETAIL;
}

/* "warning: TLS policy lookup for DEST/HOST: reason" */
static enum logline_kind parse_warning(const char *p, const char *e,
				       struct logline_smtp *ev)
{
	const char *slash, *colon;

	if (!has_prefix(p, (size_t)(e - p), LIT("TLS policy lookup for ")))
		return ev->kind = LOGLINE_IGNORED;
	p += sizeof("TLS policy lookup for ") - 1;
	if ((colon = find(p, (size_t)(e - p), LIT(": "))) == NULL ||
	    (slash = memchr(p, '/', (size_t)(colon - p))) == NULL)
		return ev->kind = LOGLINE_UNKNOWN;
	ev->domain.p = p;
	ev->domain.len = (size_t)(slash - p);
	ev->relay_host.p = slash + 1;
	ev->relay_host.len = (size_t)(colon - slash - 1);
	ev->relay = ev->relay_host;
	ev->text.p = colon + 2;
	ev->text.len = (size_t)(e - colon - 2);
	if ((ev->fail = logline_classify(ev->text.p, ev->text.len)) == LOGLINE_FAIL_NONE)
		return ev->kind = LOGLINE_IGNORED;
	return ev->kind = LOGLINE_POLICY_WARN;
}

/* The host named in "... not offered by host H[A]" / "but host H[A]
 * refused ...": fills relay_host when found. */
static void failure_host(struct logline_smtp *ev)
{
	const char *p = ev->text.p, *e = p + ev->text.len, *q;

	if ((q = find(p, ev->text.len, LIT(" host "))) == NULL)
		return;
	q += sizeof(" host ") - 1;
	(void)parse_relay(q, (size_t)(e - q), ev);
}

static int is_qid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

enum logline_kind logline_smtp(const struct logline *ll, struct logline_smtp *ev)
{
	const char *p = ll->msg.p, *e = p + ll->msg.len, *q;
	size_t n = ll->msg.len;

	memset(ev, 0, sizeof(*ev));
	ev->trust = LOGLINE_PLAINTEXT;
	if (n == 0)
		return ev->kind = LOGLINE_UNKNOWN;
	switch (p[0]) {
	case 'V':
		if (has_prefix(p, n, LIT("Verified TLS connection "))) {
			ev->trust = LOGLINE_VERIFIED;
			return parse_tls(p + sizeof("Verified TLS connection ") - 1, e, ev);
		}
		break;
	case 'T':
		if (has_prefix(p, n, LIT("Trusted TLS connection "))) {
			ev->trust = LOGLINE_TRUSTED;
			return parse_tls(p + sizeof("Trusted TLS connection ") - 1, e, ev);
		}
		break;
	case 'U':
		if (has_prefix(p, n, LIT("Untrusted TLS connection "))) {
			ev->trust = LOGLINE_UNTRUSTED;
			return parse_tls(p + sizeof("Untrusted TLS connection ") - 1, e, ev);
		}
		break;
	case 'A':
		if (has_prefix(p, n, LIT("Anonymous TLS connection "))) {
			ev->trust = LOGLINE_ANONYMOUS;
			return parse_tls(p + sizeof("Anonymous TLS connection ") - 1, e, ev);
		}
		break;
	case 'w':
		if (has_prefix(p, n, LIT("warning: ")))
			return parse_warning(p + sizeof("warning: ") - 1, e, ev);
		break;
	case 'c':
		if (has_prefix(p, n, LIT("certificate verification failed for ")))
			return parse_detail(p + sizeof("certificate verification failed for ") - 1,
					    e, ev, 0);
		if (has_prefix(p, n, LIT("connect to ")))
			return ev->kind = LOGLINE_IGNORED;
		break;
	case 's':
		if (has_prefix(p, n, LIT("server certificate verification failed for ")))
			return parse_detail(p + sizeof("server certificate verification failed for ") - 1,
					    e, ev, 0);
		if (has_prefix(p, n, LIT("setting up TLS connection")))
			return ev->kind = LOGLINE_IGNORED;
		break;
	case 'C':
		if (has_prefix(p, n, LIT("CA certificate verification failed for ")))
			return parse_detail(p + sizeof("CA certificate verification failed for ") - 1,
					    e, ev, 0);
		break;
	case 'S':
		if (has_prefix(p, n, LIT("SSL_connect error to ")))
			return parse_detail(p + sizeof("SSL_connect error to ") - 1, e, ev, 1);
		break;
	}
	/* QUEUEID: ... */
	q = p;
	while (q < e && q - p <= LOGLINE_QID_MAX && is_qid_char(*q))
		q++;
	if (q - p < LOGLINE_QID_MIN || q - p > LOGLINE_QID_MAX ||
	    !has_prefix(q, (size_t)(e - q), LIT(": ")))
		return ev->kind = LOGLINE_UNKNOWN;
	ev->qid.p = p;
	ev->qid.len = (size_t)(q - p);
	p = q + 2;
	if (has_prefix(p, (size_t)(e - p), LIT("to=<")))
		return parse_delivery(p, e, ev);
	ev->text.p = p;
	ev->text.len = (size_t)(e - p);
	if ((ev->fail = logline_classify(p, (size_t)(e - p))) == LOGLINE_FAIL_NONE)
		return ev->kind = LOGLINE_IGNORED;
	if (ev->fail == LOGLINE_FAIL_NOT_OFFERED || ev->fail == LOGLINE_FAIL_STARTTLS_REFUSED)
		failure_host(ev);
	return ev->kind = LOGLINE_QID_FAIL;
}
