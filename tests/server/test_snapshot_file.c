/* SPDX-License-Identifier: MIT */
/*
 * test_snapshot_file.c - engine/snapshot_file: the persisted table
 * snapshot.  Round trip (rows, written time), the rows digest (same
 * table: same digest, whatever the time; one row changed: another),
 * and refusal of every damaged file: each truncation, a flipped byte
 * (checksum mismatch), and files with a recomputed checksum but a bad
 * policy, a key that is not normalised, a wrong row count, a duplicate
 * key, bytes after the checksum.  Nothing is returned from a refused
 * file.  Issue 13: the bypass section (round trip, sorted, in the
 * digest; refused when unsorted, a bad level, a parent key, a count
 * that does not match) and shadowed rows (the mark kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/snapshot.h"
#include "engine/snapshot_file.h"
#include "policy/policy.h"

static const struct policy_opts opts = { .postfix_compat = 307 };

static struct snapshot *sample(const char *dane_text)
{
	struct snapshot *s = snapshot_empty();

	assert_non_null(s);
	assert_int_equal(snapshot_put(s, "example.com", dane_text), 0);
	assert_int_equal(snapshot_put(s, ".example.org", "secure match=.example.org"), 0);
	assert_int_equal(snapshot_put(s, "_default", "may"), 0);
	assert_int_equal(snapshot_put(s, "[mx.example.net]:25", "encrypt"), 0);
	return s;
}

static char *format(const struct snapshot *s, time_t when, size_t *len,
		    unsigned char d[SNAPSHOT_DIGEST_LEN])
{
	char *data = snapshot_file_format(s, when, len, d);

	assert_non_null(data);
	return data;
}

/* body (without a checksum line) + a correct checksum line */
static char *seal(const char *body, size_t *len)
{
	unsigned char d[32];
	unsigned int dl = 0;
	size_t n = strlen(body);
	char *out = malloc(n + 7 + 64 + 2);

	assert_non_null(out);
	assert_int_equal(EVP_Digest(body, n, d, &dl, EVP_sha256(), NULL), 1);
	memcpy(out, body, n);
	memcpy(out + n, "sha256 ", 7);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + n + 7 + 2 * i, "%02x", d[i]);
	out[n + 7 + 64] = '\n';
	out[n + 7 + 64 + 1] = '\0';
	*len = n + 7 + 64 + 1;
	return out;
}

static void refused(const char *data, size_t len, const char *reason)
{
	struct errbuf why;
	time_t w = 0;
	struct snapshot *s;

	errbuf_clear(&why);
	s = snapshot_file_parse(data, len, &opts, &w, &why);
	if (s != NULL)
		fail_msg("accepted: %.*s", (int)len, data);
	assert_non_null(strstr(why.msg, reason));
}

static void test_roundtrip(void **state)
{
	struct snapshot *s = sample("dane-only"), *r;
	unsigned char d[SNAPSHOT_DIGEST_LEN];
	struct errbuf why;
	time_t w = 0;
	size_t len;
	char *data;

	(void)state;
	data = format(s, 1700000000, &len, d);
	assert_memory_equal(data, SNAPSHOT_FILE_MAGIC "\nwritten 1700000000\nrows 4\n",
			    sizeof(SNAPSHOT_FILE_MAGIC "\nwritten 1700000000\nrows 4\n") - 1);
	/* sorted by key */
	assert_non_null(strstr(data, "rows 4\n.example.org secure match=.example.org\n"
				     "[mx.example.net]:25 encrypt\n_default may\n"
				     "example.com dane-only\nsha256 "));
	r = snapshot_file_parse(data, len, &opts, &w, &why);
	assert_non_null(r);
	assert_int_equal(w, 1700000000);
	assert_int_equal(snapshot_rows(r), 4);
	assert_string_equal(snapshot_get(r, "example.com", 11), "dane-only");
	assert_string_equal(snapshot_get(r, ".example.org", 12), "secure match=.example.org");
	assert_string_equal(snapshot_get(r, "_default", 8), "may");
	assert_string_equal(snapshot_get(r, "[mx.example.net]:25", 19), "encrypt");
	snapshot_free(r);
	free(data);
	snapshot_free(s);

	/* an empty table is a valid snapshot too */
	s = snapshot_empty();
	data = format(s, 5, &len, d);
	r = snapshot_file_parse(data, len, &opts, &w, &why);
	assert_non_null(r);
	assert_int_equal(snapshot_rows(r), 0);
	snapshot_free(r);
	free(data);
	snapshot_free(s);
}

struct got { char dom[4][64], level[4][20], reason[4][64]; long long exp[4]; size_t n; };

static int got_bypass(const struct store_bypass_row *r, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < 4);
	snprintf(g->dom[g->n], 64, "%s", r->domain);
	snprintf(g->level[g->n], 20, "%s", r->level);
	snprintf(g->reason[g->n], 64, "%s", r->reason);
	g->exp[g->n++] = r->expires;
	return 0;
}

static void test_bypasses(void **state)
{
	struct snapshot *s = sample("dane-only"), *r;
	const struct store_bypass_row bp[2] = {
		{ "z.example", "encrypt", "", 0, 1800000001 },
		{ "broken.example", "may", "their DANE is broken, ticket 42", 0, 1800000000 },
	};
	unsigned char d0[SNAPSHOT_DIGEST_LEN], d1[SNAPSHOT_DIGEST_LEN], d2[SNAPSHOT_DIGEST_LEN];
	struct got g = { .n = 0 };
	struct errbuf why;
	time_t w = 0;
	size_t len, l0;
	char *data, *d;

	(void)state;
	assert_int_equal(snapshot_put_row(s, "shadow.example", "secure match=.shadow.example", 1), 0);
	free(snapshot_file_format(s, 7, &l0, d0));
	data = snapshot_file_format_bp(s, bp, 2, 7, &len, d1);
	assert_non_null(data);
	assert_memory_not_equal(d0, d1, sizeof(d0));   /* bypasses are in the digest */
	assert_non_null(strstr(data, "shadow.example !secure match=.shadow.example\n"
				     "bypasses 2\nbroken.example may 1800000000 their DANE is "
				     "broken, ticket 42\nz.example encrypt 1800000001 \nsha256 "));
	r = snapshot_file_parse_bp(data, len, &opts, &w, got_bypass, &g, &why);
	assert_non_null(r);
	assert_string_equal(snapshot_get(r, "shadow.example", 14), "!secure match=.shadow.example");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.dom[0], "broken.example");
	assert_string_equal(g.reason[0], "their DANE is broken, ticket 42");
	assert_int_equal(g.exp[0], 1800000000);
	assert_string_equal(g.level[1], "encrypt");
	assert_string_equal(g.reason[1], "");
	free(snapshot_file_format_bp(r, bp, 2, 8, &len, d2));
	assert_memory_equal(d1, d2, sizeof(d1));
	snapshot_free(r);
	free(data);
	snapshot_free(s);

#define HEAD "tlspolicy-table-snapshot 1\nwritten 1\nrows 1\n_default may\n"
	d = seal(HEAD "bypasses 2\nz.example may 5 x\na.example may 5 y\n", &len);
	refused(d, len, "not sorted");
	free(d);
	d = seal(HEAD "bypasses 1\na.example bogus 5 y\n", &len);
	refused(d, len, "bad level");
	free(d);
	d = seal(HEAD "bypasses 1\n.example.com may 5 y\n", &len);
	refused(d, len, "bad domain");
	free(d);
	d = seal(HEAD "bypasses 2\na.example may 5 y\n", &len);
	refused(d, len, "truncated: 1 of 2 bypasses");
	free(d);
	d = seal(HEAD "bypasses 1\na.example may 5 y\nb.example may 5 y\n", &len);
	refused(d, len, "more lines than the bypass count says");
	free(d);
	d = seal(HEAD "bypasses 1\na.example may x y\n", &len);
	refused(d, len, "expected \"DOMAIN LEVEL EXPIRES REASON\"");
	free(d);
#undef HEAD
}

static void test_digest(void **state)
{
	struct snapshot *a = sample("dane-only"), *b = sample("dane-only"), *c = sample("dane");
	unsigned char da[SNAPSHOT_DIGEST_LEN], db[SNAPSHOT_DIGEST_LEN], dc[SNAPSHOT_DIGEST_LEN];
	size_t len;

	(void)state;
	free(format(a, 1, &len, da));
	free(format(b, 999, &len, db));
	free(format(c, 1, &len, dc));
	assert_memory_equal(da, db, sizeof(da));
	assert_memory_not_equal(da, dc, sizeof(da));
	snapshot_free(a);
	snapshot_free(b);
	snapshot_free(c);
}

static void test_truncated(void **state)
{
	struct snapshot *s = sample("dane-only");
	unsigned char d[SNAPSHOT_DIGEST_LEN];
	size_t len;
	char *data;

	(void)state;
	data = format(s, 1700000000, &len, d);
	for (size_t n = 0; n < len; n++) {
		struct errbuf why;
		time_t w = 0;

		errbuf_clear(&why);
		if (snapshot_file_parse(data, n, &opts, &w, &why) != NULL)
			fail_msg("a truncation to %zu of %zu bytes was accepted", n, len);
		assert_true(why.msg[0] != '\0');
	}
	refused(data, len - 1, "truncated");
	refused(data, len / 2, "truncated");
	free(data);
	snapshot_free(s);
}

static void test_mismatch(void **state)
{
	struct snapshot *s = sample("dane-only");
	unsigned char d[SNAPSHOT_DIGEST_LEN];
	size_t len;
	char *data, *p;

	(void)state;
	data = format(s, 1700000000, &len, d);
	/* "dane-only" -> "dane-onlz": still a line, wrong checksum */
	assert_non_null(p = strstr(data, "dane-only"));
	p[8] = 'z';
	refused(data, len, "checksum mismatch");
	p[8] = 'y';
	/* each byte flipped, one at a time */
	for (size_t i = 0; i < len; i++) {
		struct errbuf why;
		time_t w = 0;

		data[i] ^= 0x01;
		if (snapshot_file_parse(data, len, &opts, &w, &why) != NULL)
			fail_msg("byte %zu flipped was accepted", i);
		data[i] ^= 0x01;
	}
	free(data);
	snapshot_free(s);
}

static void test_sealed_but_bad(void **state)
{
	static const struct {
		const char *body, *reason;
	} cases[] = {
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 1\nexample.com bogus\n", "line 4" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 1\nExample.COM may\n", "bad key" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 1\nexample.com\n", "KEY POLICY" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 2\nexample.com may\n", "truncated: 1 of 2" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 1\na.example may\nb.example may\n", "more lines" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 2\na.example may\na.example dane\n", "duplicate" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten x\nrows 0\n", "line 2" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 99999999999\n", "line 3" },
		{ "tlspolicy-table-snapshot 2\nwritten 1\nrows 0\n", "not a tlspolicy table snapshot" },
		{ SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 1\nexample.com may tls_foo=1\n", "line 4" },
	};
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *data = seal(cases[i].body, &len);

		refused(data, len, cases[i].reason);
		free(data);
	}
	/* bytes after the checksum line */
	{
		char *data = seal(SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 0\n", &len);
		char *more = malloc(len + 2);

		memcpy(more, data, len);
		memcpy(more + len, "x\n", 2);
		refused(more, len + 2, "truncated");
		free(more);
		free(data);
	}
	/* the control: the same shape sealed and valid is accepted */
	{
		char *data = seal(SNAPSHOT_FILE_MAGIC "\nwritten 1\nrows 1\nexample.com may\n", &len);
		struct errbuf why;
		time_t w = 0;
		struct snapshot *s = snapshot_file_parse(data, len, &opts, &w, &why);

		assert_non_null(s);
		assert_string_equal(snapshot_get(s, "example.com", 11), "may");
		snapshot_free(s);
		free(data);
	}
}

static void test_file(void **state)
{
	char dir[] = "/tmp/tp-test-snapfile-XXXXXX", path[256];
	struct snapshot *s = sample("dane-only"), *r;
	unsigned char d[SNAPSHOT_DIGEST_LEN];
	struct errbuf why;
	time_t w = 0;
	size_t len;
	char *data;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/table.snapshot", dir);
	errbuf_clear(&why);
	assert_null(snapshot_file_read(path, &opts, &w, &why));
	assert_non_null(strstr(why.msg, path));
	data = format(s, 42, &len, d);
	assert_int_equal(snapshot_file_write(path, data, len, &why), 0);
	r = snapshot_file_read(path, &opts, &w, &why);
	assert_non_null(r);
	assert_int_equal(w, 42);
	assert_int_equal(snapshot_rows(r), 4);
	snapshot_free(r);
	/* a damaged file names the path and the defect */
	assert_int_equal(truncate(path, (off_t)len - 10), 0);
	assert_null(snapshot_file_read(path, &opts, &w, &why));
	assert_non_null(strstr(why.msg, path));
	assert_non_null(strstr(why.msg, "truncated"));
	unlink(path);
	rmdir(dir);
	free(data);
	snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_bypasses),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_sealed_but_bad),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
