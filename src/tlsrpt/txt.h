/* SPDX-License-Identifier: MIT */
/*
 * txt - the TLSRPT policy record at _smtp._tls.<domain> (RFC 8460 3):
 *
 *   v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example/v1
 *
 * Selection as section 3 says: of the TXT records, those not beginning
 * with "v=TLSRPTv1;" are discarded (a single record is judged by the
 * ABNF alone, so "v=TLSRPTv1 ; rua=..." is valid); unless exactly one
 * remains the domain does not implement TLSRPT.  The rua field is
 * required; its URIs are split at ',' (whitespace around it allowed);
 * mailto: and https: are used, other schemes are kept but skipped by the
 * sender; unknown extension fields are ignored.  A mailto: URI's
 * address is percent-decoded and must be local@domain without ','.
 *
 * LIMITS: TLSRPT_TXT_MAX bytes per record, TLSRPT_RUA_MAX URIs of at
 * most TLSRPT_URI_MAX bytes each.
 */
#ifndef TP_TLSRPT_TXT_H
#define TP_TLSRPT_TXT_H

#include <stddef.h>
#include "util/errbuf.h"

#define TLSRPT_TXT_MAX 2048
#define TLSRPT_RUA_MAX 8
#define TLSRPT_URI_MAX 512

enum tlsrpt_rua_kind { TLSRPT_RUA_MAILTO, TLSRPT_RUA_HTTPS, TLSRPT_RUA_OTHER };

struct tlsrpt_rua {
	enum tlsrpt_rua_kind kind;
	char uri[TLSRPT_URI_MAX + 1];  /* as published */
	char addr[TLSRPT_URI_MAX + 1]; /* mailto: the decoded address */
};

struct tlsrpt_txt {
	size_t nrua;
	struct tlsrpt_rua rua[TLSRPT_RUA_MAX];
};

/* Parses one record (strings concatenated).  Returns 0, or -1 with why. */
int tlsrpt_txt_parse(const char *rec, size_t len, struct tlsrpt_txt *out,
		     struct errbuf *why);

/* Selection over every TXT record of _smtp._tls.<domain>: recs[i] with
 * lens[i].  Returns 1 and *out when the domain implements TLSRPT, 0 when
 * it does not (why says why: no record, two records, invalid record). */
int tlsrpt_txt_select(const char *const *recs, const size_t *lens, size_t n,
		      struct tlsrpt_txt *out, struct errbuf *why);

#endif
