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

static void check(const char *data, size_t len)
{
	unsigned char d1[SNAPSHOT_DIGEST_LEN], d2[SNAPSHOT_DIGEST_LEN];
	struct snapshot *s, *r;
	struct errbuf why;
	time_t w = 0, w2 = 0;
	size_t flen, flen2;
	char *f, *f2;

	errbuf_clear(&why);
	if ((s = snapshot_file_parse(data, len, &opts, &w, &why)) == NULL) {
		if (why.msg[0] == '\0')
			abort();   /* a refusal always says why */
		return;
	}
	if ((f = snapshot_file_format(s, w, &flen, d1)) == NULL)
		abort();
	if ((r = snapshot_file_parse(f, flen, &opts, &w2, &why)) == NULL) {
		fprintf(stderr, "formatted snapshot does not parse: %s\n", why.msg);
		abort();
	}
	if (w2 != w || snapshot_rows(r) != snapshot_rows(s) ||
	    (f2 = snapshot_file_format(r, w2, &flen2, d2)) == NULL ||
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
