/* SPDX-License-Identifier: MIT */
/*
 * xalloc - the daemon's out-of-memory policy in one place: an allocation
 * that fails ends the process (log_fatalx: "out of memory", exit 1), as
 * Postfix's mymalloc(), OpenSMTPD's xmalloc() and Redis's zmalloc do.
 * Why not degrade per request: a half-built lookup state that pretends
 * to answer can answer wrong, and the degraded paths could never be
 * tested; the listening socket is systemd's (tlspolicy.socket), so
 * Postfix's connections wait for the restarted daemon instead of failing.
 * Used by the event-loop code of dns/, dane/, mtasts/, provider/ and
 * engine/ (docs/ARCHITECTURE.md "Out of memory").  Not for memory a
 * peer's input asks for (server/ closes that connection) or for the
 * CLI's and the store's error returns.
 */
#ifndef TP_UTIL_XALLOC_H
#define TP_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
