/* SPDX-License-Identifier: MIT */
/*
 * smtp_reply - parser of SMTP server replies (RFC 5321 §4.2): the
 * banner, the EHLO reply and the answers to STARTTLS and QUIT, read
 * from an untrusted peer.  Pure: no I/O.
 *
 * A reply is one or more lines "NNN-text" ending with a line "NNN text"
 * or "NNN"; every line carries the same code, whose first digit is 2..5
 * and second 0..5.  Lines end with CRLF; a bare LF is accepted (as
 * Postfix does).  smtp_reply_parse() is restartable: called on the bytes
 * received so far it says "need more", "complete" (and how many bytes
 * the reply used) or "error"; a partial line longer than the line limit
 * is an error at once, so a peer cannot make the caller buffer more
 * than SMTP_REPLY_MAX_BYTES.
 *
 * smtp_ehlo_parse() splits an EHLO reply into the greeting line and the
 * extension keywords (RFC 5321 §4.1.1.1: keyword [params]).
 *
 * LIMITS: SMTP_REPLY_MAX_LINE bytes per line including CRLF (RFC 5321
 * §4.5.3.1.5 says 512; servers send longer banners), SMTP_REPLY_MAX_LINES
 * lines per reply, SMTP_EHLO_MAX_KEYWORD bytes per EHLO keyword.
 * SECURITY: the text is kept as received (any byte but NUL and CR/LF);
 * print it through printable() or a JSON escaper.
 */
#ifndef TP_PROBE_SMTP_REPLY_H
#define TP_PROBE_SMTP_REPLY_H

#include <stddef.h>
#include "util/errbuf.h"

#define SMTP_REPLY_MAX_LINE 1000
#define SMTP_REPLY_MAX_LINES 100
#define SMTP_REPLY_MAX_BYTES (SMTP_REPLY_MAX_LINE * SMTP_REPLY_MAX_LINES)
#define SMTP_EHLO_MAX_KEYWORD 64

struct smtp_reply {
	int code;                 /* 200..559 */
	size_t nlines;
	/* Line i is text + off[i] (NUL-terminated, without "NNN-" and
	 * CRLF). */
	size_t off[SMTP_REPLY_MAX_LINES];
	char text[SMTP_REPLY_MAX_BYTES];
};

enum smtp_parse_status {
	SMTP_PARSE_MORE = 0,      /* no complete reply yet: read more */
	SMTP_PARSE_DONE = 1,      /* *out holds a reply; *used bytes consumed */
	SMTP_PARSE_ERROR = -1,    /* malformed or over a limit: why says which */
};

/*
 * Parses the first reply in data[0..len).  Returns SMTP_PARSE_DONE and
 * sets *used (the bytes of the reply, so the caller can keep what
 * follows), SMTP_PARSE_MORE, or SMTP_PARSE_ERROR with why.
 */
enum smtp_parse_status smtp_reply_parse(const char *data, size_t len,
					struct smtp_reply *out, size_t *used,
					struct errbuf *why);

/* Line i of r (i < r->nlines); a pointer into r. */
static inline const char *smtp_reply_line(const struct smtp_reply *r, size_t i)
{
	return r->text + r->off[i];
}

/* An EHLO reply split up.  keyword[i] is upper case; params[i] points
 * into the reply ("" when none).  Lines that do not start with a valid
 * keyword (RFC 5321: ALPHA / DIGIT, then also '-') are skipped and
 * counted in nbad. */
struct smtp_ehlo {
	const char *greeting;     /* first line: the server's name and text */
	size_t next;
	char keyword[SMTP_REPLY_MAX_LINES][SMTP_EHLO_MAX_KEYWORD + 1];
	const char *params[SMTP_REPLY_MAX_LINES];
	size_t nbad;
};

/* Fills out from r (a 250 reply); out points into r. Returns 0, or -1
 * when r is not a 2xx reply. */
int smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *out);
/* 1 when keyword (case-insensitive) was offered. */
int smtp_ehlo_has(const struct smtp_ehlo *e, const char *keyword);

#endif
