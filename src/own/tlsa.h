/* SPDX-License-Identifier: MIT */
/*
 * own/tlsa - the TLSA records (RFC 6698, 7671, 7672) that authenticate
 * our own SMTP servers, computed from what the server serves or will
 * serve: PEM files (certificates, chain files, private or public keys)
 * or the chain a live STARTTLS probe saw.
 *
 * A key set is one server key with what it came with:
 *   - the leaf key: `3 1 1` (DANE-EE, SubjectPublicKeyInfo, SHA-256);
 *   - the issuing CA, when the file or chain holds it (the certificate
 *     after the leaf): `2 1 1` of its key.
 * A file with several leaf certificates or keys (an RSA and an ECDSA
 * certificate in one file is unusual but allowed) gives one key set per
 * leaf: a key set starts at each private key, public key or certificate
 * that is not the issuer of the one before it.
 *
 * own_tlsa_matches() says whether a published TLSA record authenticates
 * a key set as Postfix and OpenSSL do (DANE-EE against the leaf, DANE-TA
 * against a certificate above it; selector 0 needs the certificate,
 * selector 1 the key; matching types 0, 1, 2).
 *
 * LIMITS: OWN_TLSA_MAX_FILE bytes per PEM file, OWN_TLSA_MAX_SETS key
 * sets per file, OWN_TLSA_MAX_CHAIN certificates per set.
 * SECURITY: the files are the admin's; a probe's chain comes from the
 * network and is only digested, never trusted.
 */
#ifndef TP_OWN_TLSA_H
#define TP_OWN_TLSA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "util/errbuf.h"

#define OWN_TLSA_MAX_FILE (1024 * 1024)
#define OWN_TLSA_MAX_SETS 8
#define OWN_TLSA_MAX_CHAIN 8
#define OWN_TLSA_HEX (64 * 2 + 1)   /* SHA-512 in hex with NUL */
/* "_25._tcp." + name + ". 86400 IN TLSA 3 1 1 " + 64 hex */
#define OWN_TLSA_LINE_MAX 512

struct cert_info;

/* One certificate or bare key: its DER forms (owned). */
struct own_tlsa_item {
	unsigned char *spki;     /* DER SubjectPublicKeyInfo */
	size_t spkilen;
	unsigned char *cert;     /* DER certificate, NULL for a bare key */
	size_t certlen;
	char subject[256];       /* "CN=..." or "key" */
	char issuer[256];
	time_t not_after;        /* 0 for a bare key */
};

struct own_keyset {
	char source[256];        /* file name or "probe HOST" */
	char key_type[16];       /* "RSA", "EC", "ED25519", ... */
	int key_bits;
	size_t n;                /* [0] the leaf, [1] its issuer, ... */
	struct own_tlsa_item chain[OWN_TLSA_MAX_CHAIN];
};

/* A record as published or to publish. */
struct own_tlsa_rr {
	uint8_t usage, selector, mtype;
	size_t len;
	unsigned char data[64];  /* matching types 1 and 2 only */
};

void own_keyset_free(struct own_keyset *ks);

/*
 * Reads the PEM file path: CERTIFICATE, PRIVATE KEY, RSA/EC PRIVATE KEY,
 * PUBLIC KEY blocks (others are skipped; an ENCRYPTED PRIVATE KEY is an
 * error naming the way out).  Fills sets[0..*n).  Returns 0, or -1 with
 * why (unreadable, no certificate or key, more than max sets).
 */
int own_keyset_from_file(const char *path, struct own_keyset *sets,
			 size_t max, size_t *n, struct errbuf *why);

/* The same for PEM text in memory (len bytes). */
int own_keyset_from_pem(const char *pem, size_t len, const char *source,
			struct own_keyset *sets, size_t max, size_t *n,
			struct errbuf *why);

/* A key set from a chain as a probe saw it (leaf first). */
int own_keyset_from_chain(const struct cert_info *chain, size_t n,
			  const char *source, struct own_keyset *out,
			  struct errbuf *why);

/* The `3 1 1` record of the leaf key. */
void own_tlsa_leaf(const struct own_keyset *ks, struct own_tlsa_rr *out);
/* The `2 1 1` record of the issuing CA; 0 when the set has none. */
int own_tlsa_issuer(const struct own_keyset *ks, struct own_tlsa_rr *out);

/* 1 when rr (usage 2 or 3; others never) authenticates ks; *depth gets
 * the matching certificate's depth (0 leaf). */
int own_tlsa_matches(const struct own_tlsa_rr *rr, const struct own_keyset *ks,
		     int *depth);

/* Lower-case hex of rr's data into out (OWN_TLSA_HEX). */
char *own_tlsa_hex(const struct own_tlsa_rr *rr, char *out, size_t outlen);
/* "3 1 1 HEX" into out. */
char *own_tlsa_text(const struct own_tlsa_rr *rr, char *out, size_t outlen);
/* The zone-file line "_25._tcp.HOST. [TTL ]IN TLSA U S M HEX" (ttl 0:
 * none) into out (OWN_TLSA_LINE_MAX). */
char *own_tlsa_zone_line(const char *host, unsigned port, unsigned ttl,
			 const struct own_tlsa_rr *rr, char *out, size_t outlen);
/* 1 when a and b are the same record. */
int own_tlsa_equal(const struct own_tlsa_rr *a, const struct own_tlsa_rr *b);
/* 1 when a and b have the same leaf key. */
int own_keyset_same_key(const struct own_keyset *a, const struct own_keyset *b);

#endif
