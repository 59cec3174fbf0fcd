/* SPDX-License-Identifier: MIT */
/*
 * rr.c - parsers of DNS rdata from libunbound and the TLSA usability
 * rules (see rr.h).
 *
 * SECURITY: everything parsed here comes from the network (through a
 * validating resolver, but a signed zone can still publish garbage).
 * Reads go through struct cursor; a failed bounds check sets a sticky
 * error and every later read fails too.
 */
#include "dns/rr.h"
#include "util/hostname.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct cursor {
	const unsigned char *p;
	size_t len, off;
	const char *err;
};

static void cur_init(struct cursor *c, const unsigned char *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->err = NULL;
}

static int cur_need(struct cursor *c, size_t n)
{
	if (c->err)
		return -1;
	if (c->len - c->off < n) {
		c->err = "truncated";
		return -1;
	}
	return 0;
}

static int cur_u8(struct cursor *c, uint8_t *v)
{
	if (cur_need(c, 1) < 0)
		return -1;
	*v = c->p[c->off++];
	return 0;
}

static int cur_u16(struct cursor *c, unsigned *v)
{
	if (cur_need(c, 2) < 0)
		return -1;
	*v = (unsigned)c->p[c->off] << 8 | c->p[c->off + 1];
	c->off += 2;
	return 0;
}

/* Appends s (n bytes) to out at *o, keeping room for the NUL. */
static int out_put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (outlen == 0 || outlen - 1 - *o < n)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

static int cur_name(struct cursor *c, char *out, size_t outlen)
{
	size_t o = 0, total = 0;
	uint8_t lablen;

	if (outlen == 0) {
		c->err = "no room for the name";
		return -1;
	}
	out[0] = '\0';
	for (;;) {
		if (cur_u8(c, &lablen) < 0)
			return -1;
		total += 1 + (size_t)lablen;
		if (total > DNS_NAME_MAX) {
			c->err = "name longer than 255 octets";
			return -1;
		}
		if (lablen == 0)
			break;
		if (lablen > DNS_LABEL_MAX) {
			/* 0xc0 = compression pointer, 0x40/0x80 = extended
			 * label types: libunbound never hands us either. */
			c->err = (lablen & 0xc0) == 0xc0 ? "compressed name"
							 : "bad label type";
			return -1;
		}
		if (cur_need(c, lablen) < 0)
			return -1;
		if (o > 0 && out_put(out, outlen, &o, ".", 1) < 0)
			goto toolong;
		for (size_t i = 0; i < lablen; i++) {
			unsigned char ch = c->p[c->off + i];
			char esc[5];

			if (isalnum(ch) || ch == '-' || ch == '_') {
				char lc = (char)tolower(ch);

				if (out_put(out, outlen, &o, &lc, 1) < 0)
					goto toolong;
			} else {
				snprintf(esc, sizeof(esc), "\\%03u", ch);
				if (out_put(out, outlen, &o, esc, 4) < 0)
					goto toolong;
			}
		}
		c->off += lablen;
	}
	if (o == 0 && out_put(out, outlen, &o, ".", 1) < 0)
		goto toolong;
	out[o] = '\0';
	return 0;
toolong:
	c->err = "name does not fit the output buffer";
	out[0] = '\0';
	return -1;
}

int rr_name(const unsigned char *wire, size_t len, size_t *used, char *out,
	    size_t outlen, struct errbuf *why)
{
	struct cursor c;

	cur_init(&c, wire, len);
	if (cur_name(&c, out, outlen) < 0)
		return errbuf_set(why, "bad domain name: %s", c.err);
	if (used)
		*used = c.off;
	return 0;
}

int rr_mx(const unsigned char *rdata, size_t len, unsigned *pref, char *host,
	  size_t hostlen, struct errbuf *why)
{
	struct cursor c;

	cur_init(&c, rdata, len);
	if (cur_u16(&c, pref) < 0 || cur_name(&c, host, hostlen) < 0)
		return errbuf_set(why, "bad MX record: %s", c.err);
	if (c.off != c.len)
		return errbuf_set(why, "bad MX record: %zu bytes after the name",
				  c.len - c.off);
	return 0;
}

int rr_addr(int rrtype, const unsigned char *rdata, size_t len, char *out,
	    size_t outlen, struct errbuf *why)
{
	int af = rrtype == DNS_TYPE_A ? AF_INET : AF_INET6;
	size_t want = rrtype == DNS_TYPE_A ? 4 : 16;

	if (rrtype != DNS_TYPE_A && rrtype != DNS_TYPE_AAAA)
		return errbuf_set(why, "not an address type: %d", rrtype);
	if (len != want)
		return errbuf_set(why, "bad %s record: %zu bytes, want %zu",
				  rrtype == DNS_TYPE_A ? "A" : "AAAA", len, want);
	if (inet_ntop(af, rdata, out, (socklen_t)outlen) == NULL)
		return errbuf_set(why, "address does not fit the buffer");
	return 0;
}

int rr_tlsa(const unsigned char *rdata, size_t len, struct tlsa_rr *out,
	    struct errbuf *why)
{
	struct cursor c;

	memset(out, 0, sizeof(*out));
	cur_init(&c, rdata, len);
	if (cur_u8(&c, &out->usage) < 0 || cur_u8(&c, &out->selector) < 0 ||
	    cur_u8(&c, &out->mtype) < 0)
		return errbuf_set(why, "bad TLSA record: %s (%zu bytes)", c.err, len);
	out->data = rdata + c.off;
	out->len = c.len - c.off;
	return 0;
}

/* 1 when data is exactly one DER certificate (selector 0) or
 * SubjectPublicKeyInfo (selector 1). */
static int full_data_parses(unsigned selector, const unsigned char *data,
			    size_t len)
{
	const unsigned char *p = data;
	int ok = 0;

	if (len == 0 || len > 65535)
		return 0;
	if (selector == TLSA_SEL_CERT) {
		X509 *x = d2i_X509(NULL, &p, (long)len);

		ok = x != NULL && p == data + len;
		X509_free(x);
	} else {
		EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);

		ok = k != NULL && p == data + len;
		EVP_PKEY_free(k);
	}
	return ok;
}

int tlsa_usable(const struct tlsa_rr *rr, const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	switch (rr->usage) {
	case TLSA_PKIX_TA:
	case TLSA_PKIX_EE:
		*why = "usage PKIX-TA(0)/PKIX-EE(1) is not used for SMTP (RFC 7672 3.1.3)";
		return 0;
	case TLSA_DANE_TA:
	case TLSA_DANE_EE:
		break;
	default:
		*why = "unknown certificate usage";
		return 0;
	}
	if (rr->selector != TLSA_SEL_CERT && rr->selector != TLSA_SEL_SPKI) {
		*why = "unknown selector";
		return 0;
	}
	switch (rr->mtype) {
	case TLSA_MATCH_FULL:
		if (rr->len == 0) {
			*why = "empty association data";
			return 0;
		}
		if (!full_data_parses(rr->selector, rr->data, rr->len)) {
			*why = rr->selector == TLSA_SEL_CERT
				       ? "full data is not a DER certificate"
				       : "full data is not a DER SubjectPublicKeyInfo";
			return 0;
		}
		return 1;
	case TLSA_MATCH_SHA256:
		if (rr->len != TLSA_SHA256_LEN) {
			*why = "SHA2-256 digest is not 32 bytes";
			return 0;
		}
		return 1;
	case TLSA_MATCH_SHA512:
		if (rr->len != TLSA_SHA512_LEN) {
			*why = "SHA2-512 digest is not 64 bytes";
			return 0;
		}
		return 1;
	default:
		*why = "unknown matching type";
		return 0;
	}
}

const char *tlsa_usage_name(unsigned usage)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };

	return usage < 4 ? names[usage] : NULL;
}

int rr_domain_normalize(const char *in, char *out, size_t outlen,
			struct errbuf *why)
{
	size_t n = strlen(in);
	char shown[80];

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > HOSTNAME_MAX || n >= outlen)
		return errbuf_set(why, "invalid domain name \"%s\"",
				  printable(shown, sizeof(shown), in, strlen(in)));
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	if (!hostname_valid(out)) {
		out[0] = '\0';
		return errbuf_set(why, "invalid domain name \"%s\"",
				  printable(shown, sizeof(shown), in, strlen(in)));
	}
	return 0;
}
