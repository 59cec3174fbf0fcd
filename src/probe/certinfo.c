/* SPDX-License-Identifier: MIT */
/*
 * certinfo.c - certificate facts, Postfix-style fingerprints and TLSA
 * matching (see certinfo.h).
 */
#include "probe/certinfo.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

char *fprint_format(const unsigned char *md, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < len && o + 3 <= outlen; i++) {
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
		if (i + 1 < len && o + 3 <= outlen)
			out[o++] = ':';
	}
	out[o < outlen ? o : outlen - 1] = '\0';
	return out;
}

char *cert_time_format(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "?");
	return out;
}

static void name_oneline(const X509_NAME *n, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	out[0] = '\0';
	if (b == NULL)
		return;
	/* RFC 2253-like, UTF-8, no escaping of multibyte characters */
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len > 0) {
			size_t n2 = (size_t)len < outlen - 1 ? (size_t)len : outlen - 1;

			memcpy(out, p, n2);
			out[n2] = '\0';
			if ((size_t)len > outlen - 1 && outlen > 4)
				memcpy(out + outlen - 4, "...", 4);
		}
	}
	BIO_free(b);
}

/* A copy of an ASN.1 string's bytes; "" (counted in nbad) when it holds
 * a NUL or is too long. */
static char *name_copy(const unsigned char *d, int len, size_t *nbad)
{
	char *s;

	if (len < 0 || (size_t)len >= CERT_NAME_MAX || memchr(d, '\0', (size_t)len) != NULL) {
		(*nbad)++;
		return strdup("");
	}
	if ((s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	memcpy(s, d, (size_t)len);
	s[len] = '\0';
	return s;
}

static time_t asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static int digest(const unsigned char *d, size_t n, unsigned char out[FPRINT_SHA256_LEN])
{
	unsigned int len = 0;

	return EVP_Digest(d, n, out, &len, EVP_sha256(), NULL) == 1 && len == FPRINT_SHA256_LEN
		? 0 : -1;
}

/* The subject alternative names (DNS, IP) and the subject CNs; -1 when
 * memory ran out. */
static int cert_names(X509 *x, struct cert_info *out)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	const X509_NAME *subj;
	int idx;

	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);

		if (gn->type == GEN_DNS) {
			if (out->ndns >= CERT_MAX_NAMES) {
				out->nbad++;
				continue;
			}
			if ((out->dns[out->ndns] = name_copy(ASN1_STRING_get0_data(gn->d.dNSName),
							     ASN1_STRING_length(gn->d.dNSName),
							     &out->nbad)) == NULL) {
				GENERAL_NAMES_free(gens);
				return -1;
			}
			out->ndns++;
		} else if (gn->type == GEN_IPADD && out->nip < CERT_MAX_NAMES) {
			const unsigned char *a = ASN1_STRING_get0_data(gn->d.iPAddress);
			int alen = ASN1_STRING_length(gn->d.iPAddress);
			char buf[INET6_ADDRSTRLEN] = "?";

			if (alen == 4)
				inet_ntop(AF_INET, a, buf, sizeof(buf));
			else if (alen == 16)
				inet_ntop(AF_INET6, a, buf, sizeof(buf));
			if ((out->ip[out->nip] = strdup(buf)) == NULL) {
				GENERAL_NAMES_free(gens);
				return -1;
			}
			out->nip++;
		}
	}
	if (gens)
		GENERAL_NAMES_free(gens);
	subj = X509_get_subject_name(x);
	for (idx = -1; (idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0;) {
		const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
		unsigned char *u = NULL;
		int ulen = ASN1_STRING_to_UTF8(&u, s);

		if (ulen < 0 || out->ncn >= CERT_MAX_NAMES) {
			out->nbad++;
			continue;
		}
		out->cn[out->ncn] = name_copy(u, ulen, &out->nbad);
		OPENSSL_free(u);
		if (out->cn[out->ncn] == NULL)
			return -1;
		out->ncn++;
	}
	return 0;
}

/* Key type, size and (EC) curve. */
static void cert_key(X509 *x, struct cert_info *out)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *t;
	int id;

	if (pk == NULL)
		return;
	switch ((id = EVP_PKEY_get_base_id(pk))) {
	case EVP_PKEY_RSA: t = "RSA"; break;
	case EVP_PKEY_EC: t = "EC"; break;
	case EVP_PKEY_DSA: t = "DSA"; break;
	case EVP_PKEY_ED25519: t = "ED25519"; break;
	case EVP_PKEY_ED448: t = "ED448"; break;
	default: t = "other"; break;
	}
	snprintf(out->key_type, sizeof(out->key_type), "%s", t);
	out->key_bits = EVP_PKEY_get_bits(pk);
	if (id == EVP_PKEY_EC) {
		char curve[sizeof(out->key_curve)];
		size_t cl = 0;

		if (EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve), &cl) == 1)
			snprintf(out->key_curve, sizeof(out->key_curve), "%s", curve);
	}
}

/* The DER of the certificate and of its public key, and their SHA-256
 * digests. */
static int cert_encode(X509 *x, struct cert_info *out, struct errbuf *why)
{
	unsigned char *p;
	int len = i2d_X509(x, NULL);

	if (len <= 0 || len > CERT_MAX_DER)
		return errbuf_set(why, "certificate cannot be encoded (%d bytes)", len);
	if ((out->der = malloc((size_t)len)) == NULL)
		return errbuf_set(why, "out of memory");
	p = out->der;
	if (i2d_X509(x, &p) != len)
		goto encfail;
	out->derlen = (size_t)len;

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), NULL);
	if (len <= 0 || len > CERT_MAX_DER)
		goto encfail;
	if ((out->spki = malloc((size_t)len)) == NULL)
		return errbuf_set(why, "out of memory");
	p = out->spki;
	if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &p) != len)
		goto encfail;
	out->spkilen = (size_t)len;

	if (digest(out->der, out->derlen, out->cert_sha256) < 0 ||
	    digest(out->spki, out->spkilen, out->pkey_sha256) < 0)
		return errbuf_set(why, "SHA-256 digest failed");
	return 0;
encfail:
	return errbuf_set(why, "certificate or public key cannot be encoded");
}

int cert_info_from_x509(X509 *x, struct cert_info *out, struct errbuf *why)
{
	const ASN1_INTEGER *serial;
	BIGNUM *bn;

	memset(out, 0, sizeof(*out));
	name_oneline(X509_get_subject_name(x), out->subject, sizeof(out->subject));
	name_oneline(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
	out->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	out->is_ca = X509_check_ca(x) > 0;
	out->not_before = asn1_to_time(X509_get0_notBefore(x));
	out->not_after = asn1_to_time(X509_get0_notAfter(x));

	serial = X509_get0_serialNumber(x);
	if (serial && (bn = ASN1_INTEGER_to_BN(serial, NULL)) != NULL) {
		char *h = BN_bn2hex(bn);

		if (h) {
			snprintf(out->serial, sizeof(out->serial), "%s", h);
			OPENSSL_free(h);
		}
		BN_free(bn);
	}
	{
		int nid = X509_get_signature_nid(x);
		const char *sn = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;

		snprintf(out->sig_alg, sizeof(out->sig_alg), "%s", sn ? sn : "unknown");
	}
	if (cert_names(x, out) < 0) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	cert_key(x, out);
	if (cert_encode(x, out, why) < 0)
		goto fail;
	return 0;
fail:
	cert_info_free(out);
	return -1;
}

void cert_info_free(struct cert_info *ci)
{
	for (size_t i = 0; i < ci->ndns; i++)
		free(ci->dns[i]);
	for (size_t i = 0; i < ci->ncn; i++)
		free(ci->cn[i]);
	for (size_t i = 0; i < ci->nip; i++)
		free(ci->ip[i]);
	free(ci->der);
	free(ci->spki);
	ci->ndns = ci->ncn = ci->nip = 0;
	ci->der = ci->spki = NULL;
	ci->derlen = ci->spkilen = 0;
}

void cert_info_names(const struct cert_info *ci, struct namematch_cert *out)
{
	out->dns = (const char *const *)ci->dns;
	out->ndns = ci->ndns;
	out->cn = (const char *const *)ci->cn;
	out->ncn = ci->ncn;
}

static int data_matches(const struct tlsa_rr *rr, const unsigned char *d, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	switch (rr->mtype) {
	case TLSA_MATCH_FULL:
		return rr->len == n && memcmp(rr->data, d, n) == 0;
	case TLSA_MATCH_SHA256:
		if (rr->len != TLSA_SHA256_LEN ||
		    EVP_Digest(d, n, md, &mdlen, EVP_sha256(), NULL) != 1)
			return 0;
		return memcmp(md, rr->data, TLSA_SHA256_LEN) == 0;
	case TLSA_MATCH_SHA512:
		if (rr->len != TLSA_SHA512_LEN ||
		    EVP_Digest(d, n, md, &mdlen, EVP_sha512(), NULL) != 1)
			return 0;
		return memcmp(md, rr->data, TLSA_SHA512_LEN) == 0;
	}
	return 0;
}

enum tlsa_chain_match tlsa_match_chain(const struct tlsa_rr *rr,
				       const struct cert_info *chain, size_t n,
				       int *depth)
{
	size_t from, to;

	*depth = -1;
	if (rr->selector > TLSA_SEL_SPKI || rr->mtype > TLSA_MATCH_SHA512)
		return TLSA_CHAIN_IGNORED;
	switch (rr->usage) {
	case TLSA_DANE_EE:
		from = 0;
		to = n > 0 ? 1 : 0;
		break;
	case TLSA_DANE_TA:
		from = 1;
		to = n;
		break;
	default:
		return TLSA_CHAIN_IGNORED;
	}
	for (size_t i = from; i < to; i++) {
		const struct cert_info *c = &chain[i];
		int ok = rr->selector == TLSA_SEL_CERT ? data_matches(rr, c->der, c->derlen)
						       : data_matches(rr, c->spki, c->spkilen);

		if (ok) {
			*depth = (int)i;
			return TLSA_CHAIN_MATCH;
		}
	}
	return TLSA_CHAIN_NOMATCH;
}
