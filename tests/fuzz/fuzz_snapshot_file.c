/* SPDX-License-Identifier: MIT */
/*
 * fuzz_snapshot_file - libFuzzer harness for snapshot_file_parse(), the
 * reader of the persisted policy table (setting table_snapshot), a
 * local file someone could damage or edit.
 *
 * Input: the file's bytes (at most FUZZ_SNAPSHOT_MAX; the reader's own
 * limit is SNAPSHOT_FILE_MAX).  Random bytes rarely pass the checksum,
 * so when the input has no valid checksum line the harness also tries
 * it with one appended (the SHA-256 of the input): that reaches the
 * line parser.  Asserted: a snapshot accepted formats to a file that
 * parses back to the same rows (equal rows digests) and the same time.
 * Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "engine/snapshot.h"
#include "engine/snapshot_file.h"
#include "policy/policy.h"

#define FUZZ_SNAPSHOT_MAX (64 * 1024)

static const struct policy_opts opts = { .postfix_compat = 307 };

/* the bypass lines read back, as the engine collects them */
struct bps {
	struct store_bypass_row v[64];
	char str[64][3][256];
	size_t n;
};

static int collect(const struct store_bypass_row *r, void *arg)
{
	struct bps *b = arg;

	if (b->n == 64)
		return 1;   /* as out of memory: the parse fails */
	snprintf(b->str[b->n][0], 256, "%s", r->domain);
	snprintf(b->str[b->n][1], 256, "%s", r->level);
	snprintf(b->str[b->n][2], 256, "%s", r->reason);
	b->v[b->n] = *r;
	b->v[b->n].domain = b->str[b->n][0];
	b->v[b->n].level = b->str[b->n][1];
	b->v[b->n].reason = b->str[b->n][2];
	b->n++;
	return 0;
}

static void check(const char *data, size_t len)
{
	unsigned char d1[SNAPSHOT_DIGEST_LEN], d2[SNAPSHOT_DIGEST_LEN];
	struct snapshot *s, *r;
	struct errbuf why;
	time_t w = 0, w2 = 0;
	size_t flen, flen2;
	char *f, *f2;
	static struct bps b1, b2;

	b1.n = b2.n = 0;
	errbuf_clear(&why);
	if ((s = snapshot_file_parse_bp(data, len, &opts, &w, collect, &b1, &why)) == NULL) {
		if (why.msg[0] == '\0')
			abort();   /* a refusal always says why */
		return;
	}
	if ((f = snapshot_file_format_bp(s, b1.v, b1.n, w, &flen, d1)) == NULL)
		abort();
	if ((r = snapshot_file_parse_bp(f, flen, &opts, &w2, collect, &b2, &why)) == NULL) {
		fprintf(stderr, "formatted snapshot does not parse: %s\n", why.msg);
		abort();
	}
	if (w2 != w || snapshot_rows(r) != snapshot_rows(s) || b2.n != b1.n ||
	    (f2 = snapshot_file_format_bp(r, b2.v, b2.n, w2, &flen2, d2)) == NULL ||
	    memcmp(d1, d2, sizeof(d1)) != 0)
		abort();
	free(f2);
	free(f);
	snapshot_free(r);
	snapshot_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char d[32];
	unsigned int dl = 0;
	char *sealed;

	if (size > FUZZ_SNAPSHOT_MAX)
		return 0;
	check((const char *)data, size);
	/* the same bytes with a valid checksum line appended */
	if ((sealed = malloc(size + 7 + 64 + 1)) == NULL)
		return 0;
	if (EVP_Digest(data, size, d, &dl, EVP_sha256(), NULL) != 1)
		abort();
	memcpy(sealed, data, size);
	memcpy(sealed + size, "sha256 ", 7);
	for (unsigned i = 0; i < 32; i++) {
		static const char hx[] = "0123456789abcdef";

		sealed[size + 7 + 2 * i] = hx[d[i] >> 4];
		sealed[size + 7 + 2 * i + 1] = hx[d[i] & 15];
	}
	sealed[size + 7 + 64] = '\n';
	check(sealed, size + 7 + 64 + 1);
	free(sealed);
	return 0;
}
