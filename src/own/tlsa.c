/* SPDX-License-Identifier: MIT */
/*
 * own/tlsa.c - TLSA records of our own servers from PEM files and
 * probed chains (tlsa.h).  Digests with OpenSSL's EVP interface.
 */
#include "own/tlsa.h"
#include "probe/certinfo.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void item_free(struct own_tlsa_item *it)
{
	free(it->spki);
	free(it->cert);
	memset(it, 0, sizeof(*it));
}

void own_keyset_free(struct own_keyset *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		item_free(&ks->chain[i]);
	ks->n = 0;
}

static int dup_mem(unsigned char **out, size_t *outlen, const unsigned char *p,
		   size_t len)
{
	if ((*out = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(*out, p, len);
	*outlen = len;
	return 0;
}

static int spki_of(EVP_PKEY *pk, struct own_tlsa_item *it)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);

	if (n <= 0)
		return -1;
	if (dup_mem(&it->spki, &it->spkilen, der, (size_t)n) < 0) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	return 0;
}

static void key_facts(EVP_PKEY *pk, struct own_keyset *ks)
{
	int id = EVP_PKEY_get_base_id(pk);

	snprintf(ks->key_type, sizeof(ks->key_type), "%s",
		 id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" :
		 id == EVP_PKEY_ED25519 ? "ED25519" : id == EVP_PKEY_ED448 ? "ED448" :
		 "other");
	ks->key_bits = EVP_PKEY_get_bits(pk);
}

static void name_of(const X509_NAME *n, char *out, size_t outlen)
{
	if (X509_NAME_oneline(n, out, (int)outlen) == NULL)
		snprintf(out, outlen, "?");
}

static int item_from_x509(X509 *x, struct own_tlsa_item *it, struct errbuf *why)
{
	unsigned char *der = NULL;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int n;
	const ASN1_TIME *na = X509_get0_notAfter(x);
	struct tm tm;

	memset(it, 0, sizeof(*it));
	if (pk == NULL || spki_of(pk, it) < 0)
		return errbuf_set(why, "certificate without a usable public key");
	if ((n = i2d_X509(x, &der)) <= 0 ||
	    dup_mem(&it->cert, &it->certlen, der, (size_t)n) < 0) {
		OPENSSL_free(der);
		item_free(it);
		return errbuf_set(why, "cannot encode a certificate");
	}
	OPENSSL_free(der);
	name_of(X509_get_subject_name(x), it->subject, sizeof(it->subject));
	name_of(X509_get_issuer_name(x), it->issuer, sizeof(it->issuer));
	if (na && ASN1_TIME_to_tm(na, &tm) == 1)
		it->not_after = timegm(&tm);
	return 0;
}

/* 1 when x's subject is the issuer of the previous certificate. */
static int issues(const struct own_tlsa_item *prev, const struct own_tlsa_item *it)
{
	return prev->cert != NULL && it->cert != NULL &&
	       strcmp(prev->issuer, it->subject) == 0 &&
	       strcmp(prev->subject, it->subject) != 0;
}

int own_keyset_from_pem(const char *pem, size_t len, const char *source,
			struct own_keyset *sets, size_t max, size_t *nsets,
			struct errbuf *why)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen;
	size_t n = 0;
	int rc = 0, blocks = 0;
	/* the private key whose certificate may follow (or precede) */
	struct own_keyset *cur = NULL;

	*nsets = 0;
	if (bio == NULL)
		return errbuf_set(why, "%s: out of memory", source);
	while (PEM_read_bio(bio, &name, &header, &data, &dlen) == 1) {
		const unsigned char *p = data;
		struct own_tlsa_item it;
		int is_cert = strcmp(name, "CERTIFICATE") == 0 ||
			      strcmp(name, "TRUSTED CERTIFICATE") == 0;
		EVP_PKEY *pk = NULL;
		X509 *x = NULL;

		blocks++;
		memset(&it, 0, sizeof(it));
		if (is_cert) {
			x = d2i_X509(NULL, &p, dlen);
			if (x == NULL) {
				rc = errbuf_set(why, "%s: block %d: not a certificate", source, blocks);
				goto next;
			}
			if (item_from_x509(x, &it, why) < 0) {
				rc = errbuf_prefix(why, "%s", source);
				goto next;
			}
			pk = X509_get0_pubkey(x);
		} else if (strcmp(name, "PRIVATE KEY") == 0 ||
			   strcmp(name, "RSA PRIVATE KEY") == 0 ||
			   strcmp(name, "EC PRIVATE KEY") == 0) {
			pk = d2i_AutoPrivateKey(NULL, &p, dlen);
			if (pk == NULL || spki_of(pk, &it) < 0) {
				rc = errbuf_set(why, "%s: block %d: unreadable %s", source,
						blocks, name);
				goto next;
			}
			snprintf(it.subject, sizeof(it.subject), "private key");
		} else if (strcmp(name, "PUBLIC KEY") == 0) {
			pk = d2i_PUBKEY(NULL, &p, dlen);
			if (pk == NULL || spki_of(pk, &it) < 0) {
				rc = errbuf_set(why, "%s: block %d: unreadable PUBLIC KEY",
						source, blocks);
				goto next;
			}
			snprintf(it.subject, sizeof(it.subject), "public key");
		} else if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
			rc = errbuf_set(why, "%s: the private key is encrypted; give its "
					"certificate or its public key (openssl pkey -pubout)",
					source);
			goto next;
		} else {
			goto next; /* EC PARAMETERS, DH PARAMETERS, ... */
		}
		/* a key followed by its certificate (or the reverse) is one leaf */
		if (cur != NULL && cur->n >= 1 &&
		    cur->chain[0].spkilen == it.spkilen &&
		    memcmp(cur->chain[0].spki, it.spki, it.spkilen) == 0) {
			if (it.cert && cur->n == 1 && cur->chain[0].cert == NULL) {
				item_free(&cur->chain[0]);
				cur->chain[0] = it;
				memset(&it, 0, sizeof(it));
			}
			goto next;
		}
		if (cur != NULL && cur->n < OWN_TLSA_MAX_CHAIN && is_cert &&
		    issues(&cur->chain[cur->n - 1], &it)) {
			cur->chain[cur->n++] = it;
			memset(&it, 0, sizeof(it));
			goto next;
		}
		if (n >= max) {
			rc = errbuf_set(why, "%s: more than %zu keys", source, max);
			goto next;
		}
		cur = &sets[n++];
		memset(cur, 0, sizeof(*cur));
		snprintf(cur->source, sizeof(cur->source), "%s", source);
		key_facts(pk, cur);
		cur->chain[cur->n++] = it;
		memset(&it, 0, sizeof(it));
next:
		item_free(&it);
		if (x)
			X509_free(x);
		else
			EVP_PKEY_free(pk);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
		if (rc < 0)
			break;
	}
	BIO_free(bio);
	if (rc == 0 && n == 0)
		rc = errbuf_set(why, "%s: no certificate or key in PEM form", source);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			own_keyset_free(&sets[i]);
		return -1;
	}
	*nsets = n;
	return 0;
}

int own_keyset_from_file(const char *path, struct own_keyset *sets, size_t max,
			 size_t *n, struct errbuf *why)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t len;
	int rc;

	*n = 0;
	if (f == NULL)
		return errbuf_set(why, "%s: cannot open: %m", path);
	if ((buf = malloc(OWN_TLSA_MAX_FILE + 1)) == NULL) {
		fclose(f);
		return errbuf_set(why, "out of memory");
	}
	len = fread(buf, 1, OWN_TLSA_MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = errbuf_set(why, "%s: read error", path);
	} else if (len > OWN_TLSA_MAX_FILE) {
		rc = errbuf_set(why, "%s: larger than %d bytes", path, OWN_TLSA_MAX_FILE);
	} else {
		rc = own_keyset_from_pem(buf, len, path, sets, max, n, why);
	}
	fclose(f);
	free(buf);
	return rc;
}

int own_keyset_from_chain(const struct cert_info *chain, size_t n,
			  const char *source, struct own_keyset *out,
			  struct errbuf *why)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->source, sizeof(out->source), "%s", source);
	if (n == 0)
		return errbuf_set(why, "%s: no certificate", source);
	for (size_t i = 0; i < n && i < OWN_TLSA_MAX_CHAIN; i++) {
		struct own_tlsa_item *it = &out->chain[i];

		if (dup_mem(&it->spki, &it->spkilen, chain[i].spki, chain[i].spkilen) < 0 ||
		    dup_mem(&it->cert, &it->certlen, chain[i].der, chain[i].derlen) < 0) {
			out->n = i + 1;
			own_keyset_free(out);
			return errbuf_set(why, "out of memory");
		}
		snprintf(it->subject, sizeof(it->subject), "%s", chain[i].subject);
		snprintf(it->issuer, sizeof(it->issuer), "%s", chain[i].issuer);
		it->not_after = chain[i].not_after;
		out->n = i + 1;
	}
	snprintf(out->key_type, sizeof(out->key_type), "%s", chain[0].key_type);
	out->key_bits = chain[0].key_bits;
	return 0;
}

static void digest(const EVP_MD *md, const unsigned char *p, size_t len,
		   struct own_tlsa_rr *out)
{
	unsigned int n = 0;

	EVP_Digest(p, len, out->data, &n, md, NULL);
	out->len = n;
}

void own_tlsa_leaf(const struct own_keyset *ks, struct own_tlsa_rr *out)
{
	memset(out, 0, sizeof(*out));
	out->usage = 3;
	out->selector = 1;
	out->mtype = 1;
	digest(EVP_sha256(), ks->chain[0].spki, ks->chain[0].spkilen, out);
}

int own_tlsa_issuer(const struct own_keyset *ks, struct own_tlsa_rr *out)
{
	memset(out, 0, sizeof(*out));
	if (ks->n < 2)
		return 0;
	out->usage = 2;
	out->selector = 1;
	out->mtype = 1;
	digest(EVP_sha256(), ks->chain[1].spki, ks->chain[1].spkilen, out);
	return 1;
}

static int match_item(const struct own_tlsa_rr *rr, const struct own_tlsa_item *it)
{
	const unsigned char *p;
	size_t len;
	struct own_tlsa_rr d;

	if (rr->selector == 0) {
		if (it->cert == NULL)
			return 0;
		p = it->cert;
		len = it->certlen;
	} else if (rr->selector == 1) {
		p = it->spki;
		len = it->spkilen;
	} else {
		return 0;
	}
	if (rr->mtype == 0)
		return 0; /* full data is not kept in struct own_tlsa_rr */
	if (rr->mtype == 1)
		digest(EVP_sha256(), p, len, &d);
	else if (rr->mtype == 2)
		digest(EVP_sha512(), p, len, &d);
	else
		return 0;
	return d.len == rr->len && memcmp(d.data, rr->data, d.len) == 0;
}

int own_tlsa_matches(const struct own_tlsa_rr *rr, const struct own_keyset *ks,
		     int *depth)
{
	if (depth)
		*depth = -1;
	if (rr->usage == 3) {
		if (ks->n >= 1 && match_item(rr, &ks->chain[0])) {
			if (depth)
				*depth = 0;
			return 1;
		}
		return 0;
	}
	if (rr->usage != 2)
		return 0;
	for (size_t i = 1; i < ks->n; i++)
		if (match_item(rr, &ks->chain[i])) {
			if (depth)
				*depth = (int)i;
			return 1;
		}
	return 0;
}

char *own_tlsa_hex(const struct own_tlsa_rr *rr, char *out, size_t outlen)
{
	static const char hx[] = "0123456789abcdef";
	size_t j = 0;

	for (size_t i = 0; i < rr->len && j + 2 < outlen; i++) {
		out[j++] = hx[rr->data[i] >> 4];
		out[j++] = hx[rr->data[i] & 15];
	}
	if (outlen)
		out[j] = '\0';
	return out;
}

char *own_tlsa_text(const struct own_tlsa_rr *rr, char *out, size_t outlen)
{
	char hex[OWN_TLSA_HEX];

	snprintf(out, outlen, "%u %u %u %s", rr->usage, rr->selector, rr->mtype,
		 own_tlsa_hex(rr, hex, sizeof(hex)));
	return out;
}

char *own_tlsa_zone_line(const char *host, unsigned port, unsigned ttl,
			 const struct own_tlsa_rr *rr, char *out, size_t outlen)
{
	char txt[OWN_TLSA_HEX + 16], t[16] = "";

	if (ttl)
		snprintf(t, sizeof(t), "%u ", ttl);
	snprintf(out, outlen, "_%u._tcp.%s. %sIN TLSA %s", port ? port : 25, host, t,
		 own_tlsa_text(rr, txt, sizeof(txt)));
	return out;
}

int own_tlsa_equal(const struct own_tlsa_rr *a, const struct own_tlsa_rr *b)
{
	return a->usage == b->usage && a->selector == b->selector &&
	       a->mtype == b->mtype && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

int own_keyset_same_key(const struct own_keyset *a, const struct own_keyset *b)
{
	return a->n && b->n && a->chain[0].spkilen == b->chain[0].spkilen &&
	       memcmp(a->chain[0].spki, b->chain[0].spki, a->chain[0].spkilen) == 0;
}
