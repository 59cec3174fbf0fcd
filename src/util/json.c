/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON string writer (see json.h).
 */
#include "util/json.h"

#include "util/buf.h"
#include "util/text.h"

#include <string.h>

#define JSON_FPUT_MAX (64u * 1024 * 1024) /* one string written to a FILE */

/* The escape for byte c (NUL-terminated in out, at most 7 bytes), or
 * NULL when c is printable ASCII and goes out as it is. */
static const char *hex_escape(unsigned char c, char out[8])
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "\\u00", 4);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 0xf];
	out[6] = '\0';
	return out;
}

static const char *escape_byte(unsigned char c, char out[8])
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		break;
	}
	if (c >= 0x20 && c < 0x7f)
		return NULL;
	return hex_escape(c, out);
}

int json_escape(struct buf *b, const char *s, size_t n, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, k;
	char tmp[8];
	const char *e;
	int rc = 0;

	while (i < n) {
		/* plain runs go out in one append */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			run++;
			i++;
			continue;
		}
		if (run && buf_append(b, p + i - run, run) < 0)
			rc = -1;
		run = 0;
		if (p[i] >= 0x80 && (k = text_utf8_seq(p + i, n - i)) != 0) {
			if (buf_append(b, p + i, k) < 0)
				rc = -1;
			i += k;
			continue;
		}
		if (p[i] >= 0x80)
			e = (flags & JSON_LATIN1) ? hex_escape(p[i], tmp) : "\\ufffd";
		else
			e = escape_byte(p[i], tmp);
		if (buf_puts(b, e) < 0)
			rc = -1;
		i++;
	}
	if (run && buf_append(b, p + i - run, run) < 0)
		rc = -1;
	return rc;
}

int json_buf_str(struct buf *b, const char *s, unsigned flags)
{
	int rc = buf_puts(b, "\"");

	if (s && json_escape(b, s, strlen(s), flags) < 0)
		rc = -1;
	if (buf_puts(b, "\"") < 0)
		rc = -1;
	return rc;
}

void json_fput_str(FILE *out, const char *s, unsigned flags)
{
	struct buf b;

	buf_init(&b, JSON_FPUT_MAX);
	if (json_buf_str(&b, s, flags) == 0) {
		fwrite(b.data, 1, b.len, out);
	} else {
		/* out of memory: write it byte by byte rather than lose it */
		const unsigned char *p = (const unsigned char *)(s ? s : "");
		char tmp[8];

		fputc('"', out);
		for (; *p; p++) {
			const char *e = *p >= 0x80 ? "\\ufffd" : escape_byte(*p, tmp);

			if (e)
				fputs(e, out);
			else
				fputc(*p, out);
		}
		fputc('"', out);
	}
	buf_free(&b);
}
