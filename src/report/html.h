/* SPDX-License-Identifier: MIT */
/*
 * html - escaping for text and attribute values of an HTML document.
 *
 * html_text() and html_attr() make any byte string safe inside element
 * content resp. a double-quoted attribute value: & < > " ' become
 * character references; valid UTF-8 passes; every byte that is not part
 * of valid UTF-8, NUL and the C0/C1 controls other than TAB and LF (the
 * HTML parser rejects or rewrites them) become U+FFFD.  The output is
 * therefore valid UTF-8 and can never close an element, an attribute or
 * open a tag, a comment or a script.
 */
#ifndef TP_REPORT_HTML_H
#define TP_REPORT_HTML_H

#include "util/buf.h"

/* Both return 0, or -1 when b is full (b keeps what fit). */
int html_text(struct buf *b, const char *s);
int html_attr(struct buf *b, const char *s);

#endif
