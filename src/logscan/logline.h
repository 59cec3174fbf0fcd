/* SPDX-License-Identifier: MIT */
/*
 * logline - parse one Postfix log line: the syslog envelope (time stamp,
 * host, program tag, pid) and, for smtp(8)/lmtp(8) lines, the message:
 * delivery status records, TLS session summaries and TLS failures.
 *
 * Envelopes understood (an optional "<PRI>" prefix is skipped):
 *   Nov 28 12:00:00 host prog[pid]: msg          classic syslog, postlogd
 *   Nov 28 12:00:00.123456 host ...              same with fractions
 *   2024 Nov 28 12:00:00 host ...                year in front
 *   Nov 28 2024 12:00:00 host ...                year after the day
 *   2024-11-28T12:00:00.123456+01:00 host ...    RFC 3339 (rsyslog), also
 *   2024-11-28T12:00:00+0100 host ...            journalctl -o short-iso
 * The program tag is Postfix's syslog_name plus program, e.g.
 * "postfix/smtp", "postfix-out/smtp", "postfix/smtp-out/smtp"; the part
 * after the last '/' says which Postfix program wrote the line.
 *
 * Message formats follow Postfix 3.7 (log_adhoc.c, tls_misc.c
 * tls_log_summary(), tls_verify.c, smtp_proto.c, smtp_trouble.c,
 * smtp_tls_policy.c, smtp_connect.c).
 *
 * Everything here is pure and allocation-free: results point into the
 * caller's line and stay valid as long as the line does.
 *
 * SECURITY: the input is untrusted (anyone who can send mail controls
 * recipient addresses and server replies).  Every read is bounds-checked
 * against the given length; the line need not be NUL-terminated.
 */
#ifndef TP_LOGSCAN_LOGLINE_H
#define TP_LOGSCAN_LOGLINE_H

#include <stddef.h>

#define LOGLINE_QID_MIN 5   /* Postfix short queue ids have >= 6 chars */
#define LOGLINE_QID_MAX 32

/* A length-delimited piece of the line. */
struct logline_str {
	const char *p;
	size_t len;
};

enum logline_fmt {
	LOGLINE_FMT_NONE = 0,
	LOGLINE_FMT_BSD,      /* Mmm dd hh:mm:ss (no year) */
	LOGLINE_FMT_BSD_YEAR, /* Mmm dd with a year before or after */
	LOGLINE_FMT_ISO,      /* YYYY-MM-DDThh:mm:ss[.frac][zone] */
};

enum logline_prog {
	LOGLINE_PROG_OTHER = 0, /* not a Postfix program */
	LOGLINE_PROG_POSTFIX,   /* a Postfix program other than smtp/lmtp */
	LOGLINE_PROG_SMTP,      /* smtp(8) */
	LOGLINE_PROG_LMTP,      /* lmtp(8) */
};

struct logline {
	enum logline_fmt fmt;
	int year;    /* 0 when the line has none */
	int mon;     /* 1..12 */
	int mday, hour, min, sec;
	int has_zone;
	int zone_off; /* seconds east of UTC when has_zone */
	struct logline_str host;
	struct logline_str tag;  /* whole tag, e.g. "postfix-out/smtp" */
	struct logline_str prog; /* last component, e.g. "smtp" */
	unsigned long pid;       /* 0 when the tag has no [pid] */
	struct logline_str msg;
};

/*
 * Parses the envelope of one line (without its newline; a trailing CR is
 * ignored).  Returns 0, or -1 when the line is not a syslog line of a
 * known shape (journal headers such as "-- Boot ... --", garbage).
 */
int logline_envelope(const char *line, size_t len, struct logline *ll);

/* Which program wrote the line, from ll->prog and ll->tag. */
enum logline_prog logline_program(const struct logline *ll);

/* TLS trust class of a session, as logged by tls_log_summary(). */
enum logline_trust {
	LOGLINE_VERIFIED = 0,
	LOGLINE_TRUSTED,
	LOGLINE_UNTRUSTED,
	LOGLINE_ANONYMOUS,
	LOGLINE_PLAINTEXT, /* no TLS line for the session */
	LOGLINE_TRUST_COUNT
};

/* Kinds of TLS failure, from delivery status text and detail lines. */
enum logline_fail {
	LOGLINE_FAIL_NONE = 0,
	LOGLINE_FAIL_NOT_OFFERED,      /* TLS is required, but was not offered */
	LOGLINE_FAIL_STARTTLS_REFUSED, /* ... host X refused to start TLS */
	LOGLINE_FAIL_HANDSHAKE,        /* Cannot start TLS: handshake failure */
	LOGLINE_FAIL_UNTRUSTED,        /* Server certificate not trusted; untrusted chain */
	LOGLINE_FAIL_EXPIRED,          /* certificate expired / not yet valid */
	LOGLINE_FAIL_NAME_MISMATCH,    /* certificate name does not match */
	LOGLINE_FAIL_UNVERIFIED,       /* Server certificate not verified (no detail) */
	LOGLINE_FAIL_NO_TLSA,          /* no TLSA records found (dane-only) */
	LOGLINE_FAIL_TLSA_ERROR,       /* TLSA lookup error */
	LOGLINE_FAIL_DANE,             /* DANE verification failed, TLSA unusable */
	LOGLINE_FAIL_STS,              /* MTA-STS policy failure */
	LOGLINE_FAIL_LOCAL,            /* our TLS engine unavailable */
	LOGLINE_FAIL_COUNT
};

enum logline_status {
	LOGLINE_STATUS_OTHER = 0, /* expired, deliverable, ... */
	LOGLINE_STATUS_SENT,
	LOGLINE_STATUS_DEFERRED,
	LOGLINE_STATUS_BOUNCED,
};

enum logline_kind {
	LOGLINE_UNKNOWN = 0, /* an smtp/lmtp line not understood */
	LOGLINE_IGNORED,     /* understood, but carries no TLS evidence */
	LOGLINE_DELIVERY,    /* QID: to=<...>, relay=..., status=... */
	LOGLINE_TLS,         /* X TLS connection established|reused to R: ... */
	LOGLINE_QID_FAIL,    /* QID: <TLS failure text> (non-final server) */
	LOGLINE_DETAIL,      /* certificate verification failed for R: ...,
	                        SSL_connect error to R: ... */
	LOGLINE_POLICY_WARN, /* warning: TLS policy lookup for D/H: reason */
};

struct logline_smtp {
	enum logline_kind kind;
	struct logline_str qid;
	struct logline_str domain;     /* recipient domain (DELIVERY) or
	                                  next-hop (POLICY_WARN); may be empty */
	struct logline_str relay;      /* "host[addr]:port" as logged */
	struct logline_str relay_host; /* "host" part */
	struct logline_str relay_addr; /* "addr" part, empty if none */
	unsigned conn_use;             /* 0 when not logged */
	enum logline_status status;
	struct logline_str text;       /* status text / failure text / detail */
	enum logline_fail fail;
	enum logline_trust trust;      /* TLS lines */
	int reused;                    /* TLS lines: "reused" */
	struct logline_str proto, cipher;
};

/*
 * Parses the message of an smtp/lmtp line.  Returns ev->kind.
 */
enum logline_kind logline_smtp(const struct logline *ll,
			       struct logline_smtp *ev);

/* Classifies a delivery status text or a Postfix failure message. */
enum logline_fail logline_classify(const char *text, size_t len);

/* Classifies the detail of "certificate verification failed for R: D". */
enum logline_fail logline_classify_detail(const char *text, size_t len);

/* Short names used in reports ("handshake", "name-mismatch", ...). */
const char *logline_fail_name(enum logline_fail f);
const char *logline_trust_name(enum logline_trust t);

#endif
