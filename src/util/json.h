/* SPDX-License-Identifier: MIT */
/*
 * json - the one JSON string writer.  Every --json output of the CLI,
 * the check/logscan/probe reports, goes through it, so a string from
 * outside (a DNS name, a peer's SMTP reply, a table row of a latin1
 * MariaDB column, a log line) always comes out as valid JSON:
 *
 *   "  \   \n \r \t  as their short escapes;
 *   other bytes < 0x20 and DEL as \u00XX;
 *   valid UTF-8 (text_utf8_seq) as it is;
 *   any other byte >= 0x80 as U+FFFD, or with JSON_LATIN1 as \u00XX
 *   (its Latin-1 reading: stored text need not be UTF-8).
 */
#ifndef TP_UTIL_JSON_H
#define TP_UTIL_JSON_H

#include <stddef.h>
#include <stdio.h>

struct buf;

#define JSON_LATIN1 0x1u   /* an invalid byte as \u00XX, not \ufffd */

/* Appends the escaped s[0..n) without quotes; returns 0, or -1 when
 * the buffer hit its maximum (buf_append's rule). */
int json_escape(struct buf *b, const char *s, size_t n, unsigned flags);

/* Appends "s" (quoted; NULL as ""); 0 or -1 as json_escape. */
int json_buf_str(struct buf *b, const char *s, unsigned flags);

/* Writes "s" (quoted; NULL as "") to out. */
void json_fput_str(FILE *out, const char *s, unsigned flags);

#endif
