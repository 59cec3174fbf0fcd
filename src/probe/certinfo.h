/* SPDX-License-Identifier: MIT */
/*
 * certinfo - facts about an X.509 certificate as a report shows them,
 * fingerprints in Postfix's form, and TLSA matching against a chain.
 *
 * Fingerprints: Postfix (tls_fprint.c) digests the DER certificate
 * (tls_cert_fprint) and the DER SubjectPublicKeyInfo (tls_pkey_fprint)
 * with smtp_tls_fingerprint_digest (sha256 from compatibility level 3.6
 * on) and prints the digest as upper-case hex pairs joined by ':'
 * (tls_digest_encode), e.g. "AB:01:...".  fprint_format() produces
 * exactly that, so the text can go into "fingerprint match=".
 *
 * TLSA (RFC 6698 / 7671 / 7672): tlsa_match_chain() says which
 * certificate of the presented chain a record matches: DANE-EE(3) only
 * the leaf, DANE-TA(2) only an issuer (depth >= 1; OpenSSL, and so
 * Postfix, never matches DANE-TA against the leaf), PKIX-TA/EE(0/1)
 * are reported but Postfix ignores them; selector 0 the DER
 * certificate, 1 the DER SubjectPublicKeyInfo; matching type 0 the data
 * itself, 1 SHA-256, 2 SHA-512.
 *
 * LIMITS: CERT_MAX_NAMES names of each kind kept per certificate (the
 * rest counted), CERT_NAME_MAX bytes per name, CERT_DN_MAX bytes per
 * distinguished name (cut with "..."), CERT_MAX_DER bytes of DER kept.
 * SECURITY: every string comes from the peer; names containing a NUL
 * byte are replaced by "" (they never match) and counted in nbad.
 */
#ifndef TP_PROBE_CERTINFO_H
#define TP_PROBE_CERTINFO_H

#include <stddef.h>
#include <time.h>
#include "dns/rr.h"
#include "probe/namematch.h"
#include "util/errbuf.h"

#define CERT_MAX_NAMES 100
#define CERT_NAME_MAX 256
#define CERT_DN_MAX 512
#define CERT_MAX_DER 65536
#define FPRINT_SHA256_LEN 32
/* "AB:" per byte, the last without ':' but with NUL */
#define FPRINT_TEXT_MAX (64 * 3)

typedef struct x509_st X509;

struct cert_info {
	char subject[CERT_DN_MAX];
	char issuer[CERT_DN_MAX];
	char serial[CERT_NAME_MAX];       /* hex */
	size_t ndns, ncn, nip;
	char *dns[CERT_MAX_NAMES];        /* subjectAltName dNSName */
	char *cn[CERT_MAX_NAMES];         /* subject CN (UTF-8) */
	char *ip[CERT_MAX_NAMES];         /* subjectAltName iPAddress, as text */
	size_t nbad;                      /* names dropped or blanked */
	time_t not_before, not_after;
	char key_type[16];                /* "RSA", "EC", "ED25519", ... */
	int key_bits;
	char key_curve[32];               /* EC: "prime256v1", else "" */
	char sig_alg[64];
	int self_issued;                  /* subject == issuer */
	int is_ca;                        /* basicConstraints CA:TRUE */
	unsigned char cert_sha256[FPRINT_SHA256_LEN];
	unsigned char pkey_sha256[FPRINT_SHA256_LEN];
	unsigned char *der, *spki;        /* DER encodings (owned) */
	size_t derlen, spkilen;
};

/* Fills out from x.  Returns 0, or -1 with why (unencodable
 * certificate, out of memory). Free with cert_info_free(). */
int cert_info_from_x509(X509 *x, struct cert_info *out, struct errbuf *why);
void cert_info_free(struct cert_info *ci);

/* The names as namematch_check() wants them (pointers into ci). */
void cert_info_names(const struct cert_info *ci, struct namematch_cert *out);

/* Postfix's "AB:CD:..." form of md (len bytes) into out (outlen >=
 * 3 * len; FPRINT_TEXT_MAX always fits a SHA-512).  Returns out. */
char *fprint_format(const unsigned char *md, size_t len, char *out, size_t outlen);

/* ISO 8601 UTC "2026-01-31T12:00:00Z" of t into out (>= 21 bytes). */
char *cert_time_format(time_t t, char *out, size_t outlen);

enum tlsa_chain_match {
	TLSA_CHAIN_NOMATCH,
	TLSA_CHAIN_MATCH,
	TLSA_CHAIN_IGNORED,   /* usage 0/1, unknown selector/type: Postfix skips */
};

/*
 * Matches one TLSA record against chain[0..n) (leaf first).  Sets
 * *depth to the matching certificate's depth (-1 when none).
 */
enum tlsa_chain_match tlsa_match_chain(const struct tlsa_rr *rr,
				       const struct cert_info *chain, size_t n,
				       int *depth);

#endif
