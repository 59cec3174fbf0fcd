/* SPDX-License-Identifier: MIT */
/*
 * mx - an MX RRset as parsed, faithfully: every record in the order of
 * the answer, with what is special about it, and the usable ones sorted
 * by preference then name.  It decides nothing: each source applies its
 * own rule to it in one place (dane/: sorted usable hosts, repeated
 * hosts once, DANE_MAX_HOSTS; provider/: every record but bad and "."
 * ones, in answer order, PROVIDER_MAX_HOSTS), so their rules stay
 * visibly theirs.
 *
 *   struct dns_mx mx;
 *   dns_mx_parse(answer, &mx);    (a DNS_STATUS_DATA answer; others: empty)
 *   ... mx.rec[i] (answer order), mx.rec[mx.order[k]] (sorted usable) ...
 *   dns_mx_free(&mx);
 *
 * LIMITS: as many records as the answer (libunbound's); names as
 * rr_mx() (DNS_NAME_BUF).
 */
#ifndef TP_DNS_MX_H
#define TP_DNS_MX_H

#include <stddef.h>
#include "dns/rr.h"

struct dns_answer;

#define DNS_MX_BAD     0x1   /* the rdata does not parse (pref, host unset) */
#define DNS_MX_ROOT    0x2   /* exchange "." (RFC 7505); also DNS_MX_INVALID */
#define DNS_MX_INVALID 0x4   /* exchange not a host name (hostname_valid()) */
#define DNS_MX_DUP     0x8   /* usable, the same host as a usable record
			      * before it in order (so with a better or the
			      * same preference) */

struct dns_mx_rec {
	unsigned pref;
	unsigned flags;                /* DNS_MX_* */
	char host[DNS_NAME_BUF];       /* as rr_mx() gives it */
};

struct dns_mx {
	size_t count;                  /* records in the RRset */
	struct dns_mx_rec *rec;        /* count of them, in answer order */
	size_t nusable;                /* records neither BAD nor INVALID */
	size_t *order;                 /* their indexes in rec, by preference
					* then host name */
	size_t nbad;                   /* BAD or INVALID, the null MX aside */
	size_t ndup;                   /* usable records flagged DNS_MX_DUP */
	int null_mx;                   /* one record, exchange "." (any preference) */
};

/* Fills mx from a (an MX answer; anything but DNS_STATUS_DATA gives an
 * empty set).  Out of memory ends the process (util/xalloc). */
void dns_mx_parse(const struct dns_answer *a, struct dns_mx *mx);
void dns_mx_free(struct dns_mx *mx);

#endif
