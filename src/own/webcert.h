/* SPDX-License-Identifier: MIT */
/*
 * own/webcert - the expiry of the certificate an HTTPS server presents
 * (the `mta-sts.` policy host), read with one TLS handshake (SNI = the
 * host name; the chain is not judged here: the policy fetch does that
 * with the same rules as discovery).  Blocking, for the CLI only; the
 * name is resolved with getaddrinfo().
 *
 * LIMITS: timeout_ms per step (connect, handshake); the first address
 * that connects is used.
 */
#ifndef TP_OWN_WEBCERT_H
#define TP_OWN_WEBCERT_H

#include "util/errbuf.h"

/* Returns 0 and *not_after (unix time), or -1 with why. */
int own_webcert_expiry(const char *host, unsigned port, unsigned timeout_ms,
		       long long *not_after, struct errbuf *why);

#endif
