/* SPDX-License-Identifier: MIT */
/*
 * rr - parsers of the DNS record data libunbound hands back (struct
 * ub_result data[]/len[]), and the TLSA usability rules of RFC 7672.
 *
 * libunbound gives each record's rdata in network order with domain
 * names uncompressed.  Every parser here reads through a cursor with a
 * sticky error and checks bounds before each read (STYLE.md); none
 * trusts a length it did not check.  They are pure (no I/O) and covered
 * by tests/fuzz/fuzz_tlsa.c.
 *
 * Names are returned in presentation form, lower case, without the
 * trailing dot ("." only for the root).  Bytes outside letters, digits,
 * '-' and '_' are written as \DDD, and a literal '.' or '\' inside a
 * label is escaped, so a name never reads as a different name.
 *
 * LIMITS: DNS_NAME_MAX wire octets (RFC 1035), DNS_LABEL_MAX per label,
 * so DNS_NAME_BUF bytes hold any name in presentation form.
 */
#ifndef TP_DNS_RR_H
#define TP_DNS_RR_H

#include <stddef.h>
#include <stdint.h>
#include "util/errbuf.h"
#include "util/hostname.h"

#define DNS_NAME_MAX 255   /* wire octets including the root label */
#define DNS_LABEL_MAX 63
/* Worst case: every octet escaped as \DDD (4 bytes) plus NUL. */
#define DNS_NAME_BUF (DNS_NAME_MAX * 4 + 1)

/* RR types used here (RFC 1035, 3596, 6698). */
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_DNSKEY 48
#define DNS_TYPE_TLSA 52

/* TLSA fields (RFC 6698 §2.1, RFC 7218 acronyms). */
enum tlsa_usage { TLSA_PKIX_TA = 0, TLSA_PKIX_EE = 1, TLSA_DANE_TA = 2, TLSA_DANE_EE = 3 };
enum tlsa_selector { TLSA_SEL_CERT = 0, TLSA_SEL_SPKI = 1 };
enum tlsa_mtype { TLSA_MATCH_FULL = 0, TLSA_MATCH_SHA256 = 1, TLSA_MATCH_SHA512 = 2 };

#define TLSA_SHA256_LEN 32
#define TLSA_SHA512_LEN 64

/* One TLSA record; data points into the rdata it was parsed from. */
struct tlsa_rr {
	uint8_t usage, selector, mtype;
	const unsigned char *data;
	size_t len;
};

/*
 * Converts the uncompressed wire-format name at the start of wire (len
 * bytes) into presentation form in out (outlen >= DNS_NAME_BUF is always
 * enough).  *used (may be NULL) receives the octets consumed.
 * Compression pointers, label types other than plain labels, names over
 * DNS_NAME_MAX octets and truncation are errors.  Returns 0 or -1.
 */
int rr_name(const unsigned char *wire, size_t len, size_t *used, char *out,
	    size_t outlen, struct errbuf *why);

/* MX rdata: preference + exchange, nothing after it. */
int rr_mx(const unsigned char *rdata, size_t len, unsigned *pref, char *host,
	  size_t hostlen, struct errbuf *why);

/* A (4 octets) or AAAA (16 octets) rdata as text; out needs 46 bytes. */
int rr_addr(int rrtype, const unsigned char *rdata, size_t len, char *out,
	    size_t outlen, struct errbuf *why);

/* TLSA rdata: usage, selector, matching type, association data (may be
 * empty here; tlsa_usable() judges it).  out->data points into rdata. */
int rr_tlsa(const unsigned char *rdata, size_t len, struct tlsa_rr *out,
	    struct errbuf *why);

/*
 * RFC 7672 §3.1: 1 when the record can authenticate an SMTP server
 * (usage DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type 0
 * with a DER certificate / SubjectPublicKeyInfo that parses completely,
 * 1 with 32 octets, 2 with 64 octets); else 0 and *why (may be NULL)
 * points to a static explanation.
 */
int tlsa_usable(const struct tlsa_rr *rr, const char **why);

/* "DANE-EE" etc. for the usage number; "usage N" style text is the
 * caller's when NULL is returned. */
const char *tlsa_usage_name(unsigned usage);

/*
 * Normalises a domain given by a user or Postfix: lower case, trailing
 * dot removed, syntax as util/hostname.h (hostname_valid()).  Returns 0 or -1 with why.
 */
int rr_domain_normalize(const char *in, char *out, size_t outlen,
			struct errbuf *why);

#endif
