/* SPDX-License-Identifier: MIT */
#include "report/html.h"
#include "util/text.h"

#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD"  /* U+FFFD */

static int esc(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), run = 0, k;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (p[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\t':
		case '\n':
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f) {
				rep = REPLACEMENT;
			} else if (p[i] >= 0x80) {
				k = text_utf8_seq(p + i, n - i);
				/* C1 controls U+0080..U+009F: 0xC2 0x80..0x9F */
				if (k == 0) {
					rep = REPLACEMENT;
				} else if (k == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0) {
					rep = REPLACEMENT;     /* the whole C1 character */
					rc |= buf_append(b, p + i - run, run);
					rc |= buf_puts(b, rep);
					run = 0;
					i++;
					continue;
				} else {
					i += k - 1;
					run += k;
					continue;
				}
			}
		}
		if (rep == NULL) {
			run++;
			continue;
		}
		/* the plain run before this byte, then its replacement */
		rc |= buf_append(b, p + i - run, run);
		rc |= buf_puts(b, rep);
		run = 0;
	}
	rc |= buf_append(b, p + n - run, run);
	return rc ? -1 : 0;
}

int html_text(struct buf *b, const char *s)
{
	return esc(b, s);
}

int html_attr(struct buf *b, const char *s)
{
	return esc(b, s);
}
