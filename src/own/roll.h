/* SPDX-License-Identifier: MIT */
/*
 * own/roll - the DANE key rollover state machine and guard for one of
 * our MX hosts (a pure function of the facts; unit tested state by
 * state).  It compares
 *   (a) the key(s) in service: the chain a live probe saw and/or the
 *       admin's certificate files (an RSA and an ECDSA key may both
 *       serve),
 *   (b) the next key(s): a key or certificate not yet in service,
 *   (c) the TLSA RRset at _25._tcp.HOST as a validating resolver sees
 *       it, with its TTL, and when each record was first seen (the
 *       tlspolicy_own table, store_own.h),
 * and adds findings to a report:
 *
 *   check "tlsa"     the RRset: secure (ok), missing (warning: DANE
 *                    senders use no DANE; the records to publish),
 *                    insecure or bogus (error), lookup failed (unknown);
 *   check "current"  per key in service: published (ok), or matched by
 *                    no usable record while usable records exist:
 *                    OUTAGE NOW (error; DANE senders defer mail);
 *   check "next"     per next key: published for >= 2 x TTL (ok: safe
 *                    to switch), published more recently (warning: not
 *                    safe until the time given), not published
 *                    (warning: not safe; the records to publish); under
 *                    --deploy-check both are errors and the exit code
 *                    follows these findings only (own_roll_deploy_exit);
 *   check "stale"    per usable record that matches no key in service or
 *                    next: safe to remove once the key in service has
 *                    been served for 2 x TTL (warning either way, the
 *                    time given); a `2 x x` record whose CA the served
 *                    chain no longer contains is named as such;
 *   check "unusable" records DANE for SMTP ignores (usage 0/1, bad
 *                    selector or matching type, RFC 7672 3.1.3).
 *
 * Why 2 x TTL: a resolver may hold the old RRset for one TTL after the
 * new one is published, and a sender may have looked it up just before;
 * waiting two TTLs (RFC 7671 section 8, TLSA publisher requirements)
 * covers both.  Postfix's smtp(8) caches TLSA RRsets in-process for their
 * TTL too (tls_dane.c): in the lab, a switch one second after the next
 * key's record was published made the sender defer mail until its cached
 * RRset expired.
 * Ages are measured from the first time tlspolicy saw the record, so a
 * record published before the first run counts from that run.
 */
#ifndef TP_OWN_ROLL_H
#define TP_OWN_ROLL_H

#include <stddef.h>
#include "own/report.h"
#include "own/tlsa.h"

#define OWN_ROLL_MAX_TLSA 32

enum own_tlsa_state {
	OWN_TLSA_SECURE,     /* records, DNSSEC secure */
	OWN_TLSA_NONE,       /* secure NODATA / NXDOMAIN */
	OWN_TLSA_INSECURE,   /* records or denial not signed */
	OWN_TLSA_BOGUS,
	OWN_TLSA_FAILED,     /* timeout, SERVFAIL, our resolver */
};

struct own_roll_pub {
	struct own_tlsa_rr rr;
	long long first_seen;    /* unix time; the caller's store */
};

struct own_roll_in {
	const char *domain;      /* report grouping */
	const char *host;        /* the MX host */
	unsigned port;           /* 0: 25 */
	const struct own_keyset *live;  /* keys in service */
	size_t nlive;
	const char *live_why;    /* nlive == 0: why none is known */
	const struct own_keyset *next;
	size_t nnext;
	enum own_tlsa_state state;
	const char *tlsa_why;    /* BOGUS / FAILED reason */
	unsigned ttl;            /* of the TLSA RRset (or the negative TTL) */
	size_t ntlsa;
	const struct own_roll_pub *tlsa;
	size_t nuncompared;      /* records not in tlsa[]: matching type 0
				  * (full data), not compared here */
	long long live_since;    /* first seen serving the current key(s); 0: now */
	long long now;
	int deploy_check;
};

/* Adds the findings for one host.  Returns 0. */
int own_roll_check(const struct own_roll_in *in, struct own_report *rep);

/* The exit code of --deploy-check from the "next" and "tlsa" findings
 * of rep: 0 every next key safe, 2 some not, 3 when the TLSA RRset
 * could not be looked up. */
int own_roll_deploy_exit(const struct own_report *rep);

/* "1h2m3s" style (out >= 32 bytes). */
char *own_duration(long long secs, char *out, size_t outlen);
/* ISO 8601 UTC of t (out >= 21 bytes). */
char *own_time(long long t, char *out, size_t outlen);

#endif
