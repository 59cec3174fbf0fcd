/* SPDX-License-Identifier: MIT */
/*
 * smtp_reply.c - SMTP reply and EHLO parser (see smtp_reply.h).
 *
 * The parser walks the received bytes line by line with an explicit
 * offset, checking the length left before every read; nothing is
 * copied before its size was checked against the limits.
 */
#include "probe/smtp_reply.h"

#include <string.h>
#include <strings.h>

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum smtp_parse_status smtp_reply_parse(const char *data, size_t len,
					struct smtp_reply *out, size_t *used,
					struct errbuf *why)
{
	size_t off = 0, textlen = 0;
	int code = -1;

	out->code = 0;
	out->nlines = 0;
	for (;;) {
		const char *line = data + off, *nl;
		size_t avail = len - off, linelen, body, end;
		int c, last;

		nl = memchr(line, '\n', avail < SMTP_REPLY_MAX_LINE ? avail : SMTP_REPLY_MAX_LINE);
		if (nl == NULL) {
			if (avail >= SMTP_REPLY_MAX_LINE) {
				errbuf_set(why, "reply line %zu longer than %d bytes",
					   out->nlines + 1, SMTP_REPLY_MAX_LINE);
				return SMTP_PARSE_ERROR;
			}
			return SMTP_PARSE_MORE;
		}
		linelen = (size_t)(nl - line);          /* without LF */
		end = linelen;
		if (end > 0 && line[end - 1] == '\r')
			end--;
		if (memchr(line, '\0', end) != NULL || memchr(line, '\r', end) != NULL) {
			errbuf_set(why, "reply line %zu contains a NUL or CR byte",
				   out->nlines + 1);
			return SMTP_PARSE_ERROR;
		}
		if (end < 3 || !is_digit((unsigned char)line[0]) ||
		    !is_digit((unsigned char)line[1]) || !is_digit((unsigned char)line[2])) {
			errbuf_set(why, "reply line %zu does not start with a 3-digit code",
				   out->nlines + 1);
			return SMTP_PARSE_ERROR;
		}
		c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (line[0] < '2' || line[0] > '5' || line[1] > '5') {
			errbuf_set(why, "reply code %03d out of range", c);
			return SMTP_PARSE_ERROR;
		}
		if (code >= 0 && c != code) {
			errbuf_set(why, "reply lines with different codes (%03d, %03d)",
				   code, c);
			return SMTP_PARSE_ERROR;
		}
		code = c;
		if (end == 3) {
			last = 1;
			body = 3;
		} else if (line[3] == ' ') {
			last = 1;
			body = 4;
		} else if (line[3] == '-') {
			last = 0;
			body = 4;
		} else {
			errbuf_set(why, "reply line %zu: '%c' after the code (want ' ' or '-')",
				   out->nlines + 1,
				   (line[3] >= 0x20 && line[3] < 0x7f) ? line[3] : '?');
			return SMTP_PARSE_ERROR;
		}
		if (out->nlines >= SMTP_REPLY_MAX_LINES) {
			errbuf_set(why, "reply has more than %d lines", SMTP_REPLY_MAX_LINES);
			return SMTP_PARSE_ERROR;
		}
		/* end - body + 1 <= SMTP_REPLY_MAX_LINE, and at most
		 * SMTP_REPLY_MAX_LINES lines: always fits. */
		if (textlen + (end - body) + 1 > sizeof(out->text)) {
			errbuf_set(why, "reply longer than %d bytes", SMTP_REPLY_MAX_BYTES);
			return SMTP_PARSE_ERROR;
		}
		out->off[out->nlines++] = textlen;
		memcpy(out->text + textlen, line + body, end - body);
		textlen += end - body;
		out->text[textlen++] = '\0';
		off += linelen + 1;
		if (last) {
			out->code = code;
			*used = off;
			return SMTP_PARSE_DONE;
		}
		if (off >= len)
			return SMTP_PARSE_MORE;
	}
}

int smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *out)
{
	memset(out, 0, sizeof(*out));
	if (r->code < 200 || r->code > 299 || r->nlines == 0)
		return -1;
	out->greeting = smtp_reply_line(r, 0);
	for (size_t i = 1; i < r->nlines; i++) {
		const char *s = smtp_reply_line(r, i);
		size_t k = 0;

		if (!is_alnum((unsigned char)s[0])) {
			out->nbad++;
			continue;
		}
		while (is_alnum((unsigned char)s[k]) || s[k] == '-')
			k++;
		if (k > SMTP_EHLO_MAX_KEYWORD || (s[k] != '\0' && s[k] != ' ')) {
			out->nbad++;
			continue;
		}
		for (size_t j = 0; j < k; j++) {
			char ch = s[j];

			out->keyword[out->next][j] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
		}
		out->keyword[out->next][k] = '\0';
		while (s[k] == ' ')
			k++;
		out->params[out->next] = s + k;
		out->next++;
	}
	return 0;
}

int smtp_ehlo_has(const struct smtp_ehlo *e, const char *keyword)
{
	for (size_t i = 0; i < e->next; i++)
		if (strcasecmp(e->keyword[i], keyword) == 0)
			return 1;
	return 0;
}
