/* SPDX-License-Identifier: MIT */
/*
 * text - small helpers for byte strings that came from outside: a
 * length-bounded copy, and strict UTF-8 checks (no overlong forms, no
 * surrogates, nothing past U+10FFFF), as JSON output and host name
 * parsing need them.
 */
#ifndef TP_UTIL_TEXT_H
#define TP_UTIL_TEXT_H

#include <stddef.h>

/* A malloc'ed copy of p[0..n) plus a NUL (bytes copied as they are,
 * NULs included); NULL on ENOMEM. */
char *text_dupn(const void *p, size_t n);

/* Copies the string s into dst (of size n > 0), cut to fit, always
 * NUL-terminated; returns 1 when it was cut, else 0.  For values whose
 * length was checked before, or where a cut copy is what is wanted. */
int text_copy(char *dst, size_t n, const char *s);

/* Length (2..4) of the valid multi-byte UTF-8 sequence that starts at
 * p, of which n bytes may be read; 0 when none starts there (an ASCII
 * byte, a stray continuation byte, a truncated or invalid sequence). */
size_t text_utf8_seq(const unsigned char *p, size_t n);

/* 1 when s[0..n) is valid UTF-8 (ASCII included), else 0. */
int text_utf8_valid(const char *s, size_t n);

#endif
