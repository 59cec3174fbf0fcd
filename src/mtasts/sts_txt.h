/* SPDX-License-Identifier: MIT */
/*
 * sts_txt - the MTA-STS TXT record at _mta-sts.<domain> (RFC 8461 3.1).
 *
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field)
 *                     [sts-field-delim]
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Selection (sts_txt_select): a single TXT record is parsed by the
 * grammar (so "v=STSv1 ; id=1" is valid); of several, those that do not
 * begin with "v=STSv1;" are discarded (RFC 8461 3.1), exactly one must
 * remain, and it must parse; otherwise the domain has no MTA-STS
 * policy.  The strings of one record are concatenated first
 * (sts_txt_rdata_concat).  The id field is required;
 * for a repeated field the first occurrence counts (RFC 8461 3.2, which
 * covers TXT records and policies alike); unknown extension fields are
 * ignored once their syntax is checked.
 *
 * LIMITS: STS_TXT_MAX_LEN bytes per record (strings concatenated),
 * STS_TXT_MAX_RECORDS records examined per lookup.
 * SECURITY: the input is DNS data from anyone; every byte is checked,
 * NUL and control characters make a record invalid, reasons quote
 * at most a few printable bytes of it.
 */
#ifndef TP_MTASTS_STS_TXT_H
#define TP_MTASTS_STS_TXT_H

#include <stddef.h>
#include "util/errbuf.h"

#define STS_TXT_ID_MAX 32         /* RFC 8461: 1*32(ALPHA / DIGIT) */
#define STS_TXT_EXT_NAME_MAX 32   /* 1 + *31 characters */
#define STS_TXT_MAX_LEN 2048      /* one record, strings concatenated */
#define STS_TXT_MAX_RECORDS 32    /* TXT records examined per domain */
#define STS_TXT_PREFIX "v=STSv1;"

struct sts_txt {
	char id[STS_TXT_ID_MAX + 1]; /* NUL-terminated */
};

/* One TXT record with its strings concatenated (not NUL-terminated). */
struct sts_txt_rec {
	const char *data;
	size_t len;
};

/* 1 when the record begins with "v=STSv1;" (a candidate among several
 * records), else 0. */
int sts_txt_is_sts(const char *rec, size_t len);

/*
 * Parses one record (len bytes, any content).  Returns 0 and fills *out,
 * or -1 with the reason in why (e.g. "id: 33 characters, at most 32").
 */
int sts_txt_parse(const char *rec, size_t len, struct sts_txt *out,
		  struct errbuf *why);

/*
 * RFC 8461 selection over every TXT record of _mta-sts.<domain>: one
 * record is parsed as it is; of several, the records not beginning with
 * "v=STSv1;" are discarded, exactly one must remain and it is parsed.
 * Returns 0 and fills *out, or -1 with why ("no TXT record", "no record
 * begins with "v=STSv1;" (2 TXT records)", "2 records begin with ...",
 * "invalid record: ...").  At most STS_TXT_MAX_RECORDS records are
 * accepted.
 */
int sts_txt_select(const struct sts_txt_rec *recs, size_t n,
		   struct sts_txt *out, struct errbuf *why);

/*
 * Concatenates the character-strings of one TXT RDATA in wire form
 * (a sequence of length-prefixed strings, as libunbound returns it) into
 * out (room for outmax bytes, not NUL-terminated).  Returns 0 and sets
 * *outlen, or -1 when the RDATA is malformed or longer than outmax.
 */
int sts_txt_rdata_concat(const unsigned char *rdata, size_t rdlen,
			 char *out, size_t outmax, size_t *outlen,
			 struct errbuf *why);

#endif
