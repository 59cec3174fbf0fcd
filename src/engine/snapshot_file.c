/* SPDX-License-Identifier: MIT */
/*
 * snapshot_file.c - the persisted table snapshot (see snapshot_file.h).
 */
#include "engine/snapshot_file.h"
#include "engine/snapshot.h"
#include "policy/policy.h"
#include "store/store_bypass.h"
#include "util/buf.h"
#include "util/file.h"

#include <stdint.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static int sha256(const void *p, size_t n, unsigned char out[SNAPSHOT_DIGEST_LEN])
{
	unsigned int olen = 0;

	return EVP_Digest(p, n, out, &olen, EVP_sha256(), NULL) == 1 &&
	       olen == SNAPSHOT_DIGEST_LEN ? 0 : -1;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

struct collect {
	const char **keys;
	size_t n, cap;
	int oom;
};

static int collect_row(const char *key, const char *text, void *arg)
{
	struct collect *c = arg;

	(void)text;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		const char **nk = realloc(c->keys, ncap * sizeof(*nk));

		if (nk == NULL) {
			c->oom = 1;
			return 1;
		}
		c->keys = nk;
		c->cap = ncap;
	}
	c->keys[c->n++] = key;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_bypass(const void *a, const void *b)
{
	return strcmp((*(const struct store_bypass_row *const *)a)->domain,
		      (*(const struct store_bypass_row *const *)b)->domain);
}

char *snapshot_file_format(const struct snapshot *s, time_t written, size_t *len,
			   unsigned char rows_digest[SNAPSHOT_DIGEST_LEN])
{
	return snapshot_file_format_bp(s, NULL, 0, written, len, rows_digest);
}

/* The bypass section (none: nothing, so the file is as before). */
static int format_bypasses(struct buf *b, const struct store_bypass_row *bp, size_t nb)
{
	const struct store_bypass_row **v;
	int bad = 0;

	if (nb == 0)
		return 0;
	if ((v = malloc(nb * sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < nb; i++)
		v[i] = &bp[i];
	if (nb > 1)
		qsort(v, nb, sizeof(*v), cmp_bypass);
	bad |= buf_printf(b, "bypasses %zu\n", nb);
	for (size_t i = 0; i < nb && !bad; i++)
		bad |= buf_printf(b, "%s %s %lld %s\n", v[i]->domain, v[i]->level,
				  v[i]->expires, v[i]->reason ? v[i]->reason : "");
	free(v);
	return bad ? -1 : 0;
}

char *snapshot_file_format_bp(const struct snapshot *s, const struct store_bypass_row *bp,
			      size_t nb, time_t written, size_t *len,
			      unsigned char rows_digest[SNAPSHOT_DIGEST_LEN])
{
	struct collect c = { NULL, 0, 0, 0 };
	struct buf b;
	unsigned char d[SNAPSHOT_DIGEST_LEN];
	char hx[2 * SNAPSHOT_DIGEST_LEN + 1];
	size_t rows_at;
	char *out = NULL;
	int bad = 0;

	buf_init(&b, SNAPSHOT_FILE_MAX);
	if (snapshot_each(s, collect_row, &c) != 0 || c.oom)
		goto out;
	if (c.n > 1) /* qsort wants a non-null array, even of none */
		qsort(c.keys, c.n, sizeof(*c.keys), cmp_key);
	bad |= buf_printf(&b, "%s\nwritten %" PRIdMAX "\nrows %zu\n", SNAPSHOT_FILE_MAGIC,
			  (intmax_t)written, c.n);
	rows_at = b.len;
	for (size_t i = 0; i < c.n && !bad; i++)
		bad |= buf_printf(&b, "%s %s\n", c.keys[i],
				  snapshot_get(s, c.keys[i], strlen(c.keys[i])));
	if (!bad)
		bad |= format_bypasses(&b, bp, nb);
	if (bad || sha256(b.data + rows_at, b.len - rows_at, rows_digest) < 0 ||
	    sha256(b.data, b.len, d) < 0)
		goto out;
	hex(d, sizeof(d), hx);
	if (buf_printf(&b, "sha256 %s\n", hx) < 0)
		goto out;
	*len = b.len;
	out = b.data;   /* the buffer's storage becomes the result */
	b.data = NULL;
out:
	buf_free(&b);
	free(c.keys);
	return out;
}

/* The next line of data[*off..len) without its "\n" (required). */
static const char *next_line(const char *data, size_t len, size_t *off, size_t *n)
{
	const char *p = data + *off, *nl;

	if (*off >= len || (nl = memchr(p, '\n', len - *off)) == NULL)
		return NULL;
	*n = (size_t)(nl - p);
	*off += *n + 1;
	return p;
}

static int parse_uint(const char *p, size_t n, const char *prefix, uintmax_t max,
		      uintmax_t *out)
{
	size_t pl = strlen(prefix);
	uintmax_t v = 0;

	if (n <= pl || memcmp(p, prefix, pl) != 0 || n - pl > 20)
		return -1;
	for (size_t i = pl; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uintmax_t)(p[i] - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* One bypass line "DOMAIN LEVEL EXPIRES REASON" into row (strings in
 * the buffers).  prev: the domain of the line before ("" for none). */
static int parse_bypass(const char *line, size_t n, const char *prev,
			char key[STORE_BYPASS_KEY_MAX + 1], char level[STORE_BYPASS_LEVEL_MAX + 1],
			char reason[STORE_BYPASS_REASON_MAX + 1], struct store_bypass_row *row,
			struct errbuf *why)
{
	char norm[POLICY_KEY_MAX];
	enum policy_key_kind kind;
	const char *p = line, *end = line + n, *sp;
	uintmax_t exp;
	struct errbuf pw;
	size_t l;

	if (memchr(line, '\0', n) != NULL)
		return errbuf_set(why, "a NUL byte");
	/* domain, level: up to a space each */
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || (l = (size_t)(sp - p)) == 0 ||
	    l > STORE_BYPASS_KEY_MAX)
		return errbuf_set(why, "expected \"DOMAIN LEVEL EXPIRES REASON\"");
	memcpy(key, p, l);
	key[l] = '\0';
	p = sp + 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || (l = (size_t)(sp - p)) == 0 ||
	    l > STORE_BYPASS_LEVEL_MAX)
		return errbuf_set(why, "expected \"DOMAIN LEVEL EXPIRES REASON\"");
	memcpy(level, p, l);
	level[l] = '\0';
	p = sp + 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    parse_uint(p, (size_t)(sp - p), "", (uintmax_t)INT64_MAX / 2, &exp) < 0)
		return errbuf_set(why, "expected \"DOMAIN LEVEL EXPIRES REASON\"");
	p = sp + 1;
	if ((l = (size_t)(end - p)) > STORE_BYPASS_REASON_MAX)
		return errbuf_set(why, "reason longer than %d bytes", STORE_BYPASS_REASON_MAX);
	memcpy(reason, p, l);
	reason[l] = '\0';
	errbuf_clear(&pw);
	if (policy_key_normalize(key, norm, sizeof(norm), &kind, &pw) < 0 ||
	    strcmp(key, norm) != 0 || kind != POLICY_KEY_DOMAIN)
		return errbuf_set(why, "bad domain %s", key);
	if (strcmp(prev, key) >= 0)
		return errbuf_set(why, "%s: not sorted after %s (or a duplicate)", key, prev);
	row->domain = key;
	row->level = level;
	row->reason = reason;
	row->created = 0;
	row->expires = (long long)exp;
	return store_bypass_row_check(row, why);
}

struct snapshot *snapshot_file_parse(const char *data, size_t len,
				     const struct policy_opts *opts, time_t *written,
				     struct errbuf *why)
{
	return snapshot_file_parse_bp(data, len, opts, written, NULL, NULL, why);
}

/* The optional bypass section at data[*off..body), checked whole before
 * fn sees any row. */
static int parse_bypasses(const char *data, size_t body, size_t *off, store_bypass_fn fn,
			  void *arg, struct errbuf *why)
{
	struct bp_line { char key[STORE_BYPASS_KEY_MAX + 1], level[STORE_BYPASS_LEVEL_MAX + 1],
			 reason[STORE_BYPASS_REASON_MAX + 1]; struct store_bypass_row row; } *v;
	uintmax_t nb;
	size_t n;
	const char *line;
	int rc = 0;

	if (*off == body)
		return 0;
	if ((line = next_line(data, body, off, &n)) == NULL ||
	    parse_uint(line, n, "bypasses ", SNAPSHOT_MAX_BYPASSES, &nb) < 0 || nb == 0)
		return errbuf_set(why, "after the rows: expected \"bypasses N\" (N 1..%d)",
				  SNAPSHOT_MAX_BYPASSES);
	if ((v = calloc((size_t)nb, sizeof(*v))) == NULL)
		return errbuf_set(why, "out of memory");
	for (uintmax_t i = 0; i < nb && rc == 0; i++) {
		struct errbuf bw;

		errbuf_clear(&bw);
		if ((line = next_line(data, body, off, &n)) == NULL)
			rc = errbuf_set(why, "truncated: %ju of %ju bypasses", i, nb);
		else if (parse_bypass(line, n, i ? v[i - 1].key : "", v[i].key, v[i].level,
				      v[i].reason, &v[i].row, &bw) < 0)
			rc = errbuf_set(why, "bypass %ju: %s", i + 1, bw.msg);
	}
	for (uintmax_t i = 0; i < nb && rc == 0 && fn; i++)
		if (fn(&v[i].row, arg) != 0)
			rc = errbuf_set(why, "out of memory");
	free(v);
	return rc;
}

struct snapshot *snapshot_file_parse_bp(const char *data, size_t len,
					const struct policy_opts *opts, time_t *written,
					store_bypass_fn fn, void *arg, struct errbuf *why)
{
	static const char tag[] = "sha256 ";
	const size_t trailer = sizeof(tag) - 1 + 2 * SNAPSHOT_DIGEST_LEN + 1;
	unsigned char d[SNAPSHOT_DIGEST_LEN];
	char hx[2 * SNAPSHOT_DIGEST_LEN + 1];
	struct snapshot *s = NULL;
	uintmax_t rows, when;
	size_t off = 0, n, body;
	const char *line;

	if (len > SNAPSHOT_FILE_MAX) {
		errbuf_set(why, "larger than %zu bytes", SNAPSHOT_FILE_MAX);
		return NULL;
	}
	/* the checksum line: last, complete, matching */
	if (len < trailer || data[len - 1] != '\n' ||
	    memcmp(data + len - trailer, tag, sizeof(tag) - 1) != 0 ||
	    (len > trailer && data[len - trailer - 1] != '\n')) {
		errbuf_set(why, "truncated (no checksum line at the end)");
		return NULL;
	}
	body = len - trailer;
	if (sha256(data, body, d) < 0) {
		errbuf_set(why, "cannot compute SHA-256");
		return NULL;
	}
	hex(d, sizeof(d), hx);
	if (memcmp(hx, data + body + sizeof(tag) - 1, 2 * SNAPSHOT_DIGEST_LEN) != 0) {
		errbuf_set(why, "checksum mismatch (damaged or edited)");
		return NULL;
	}
	if ((line = next_line(data, body, &off, &n)) == NULL ||
	    n != strlen(SNAPSHOT_FILE_MAGIC) || memcmp(line, SNAPSHOT_FILE_MAGIC, n) != 0) {
		errbuf_set(why, "not a tlspolicy table snapshot (first line is not \"%s\")",
			   SNAPSHOT_FILE_MAGIC);
		return NULL;
	}
	if ((line = next_line(data, body, &off, &n)) == NULL ||
	    parse_uint(line, n, "written ", (uintmax_t)INT64_MAX / 2, &when) < 0) {
		errbuf_set(why, "line 2: expected \"written UNIXTIME\"");
		return NULL;
	}
	if ((line = next_line(data, body, &off, &n)) == NULL ||
	    parse_uint(line, n, "rows ", SNAPSHOT_MAX_ROWS, &rows) < 0) {
		errbuf_set(why, "line 3: expected \"rows N\" (N at most %d)", SNAPSHOT_MAX_ROWS);
		return NULL;
	}
	if ((s = snapshot_empty()) == NULL)
		goto oom;
	for (uintmax_t i = 0; i < rows; i++) {
		char key[POLICY_KEY_MAX], norm[POLICY_KEY_MAX];
		char text[POLICY_MAX_TEXT + 1];
		struct policy *p = NULL;
		struct errbuf pw;
		const char *sp;
		char *canon;
		size_t kl;
		int shadowed;

		if ((line = next_line(data, body, &off, &n)) == NULL) {
			errbuf_set(why, "truncated: %ju of %ju rows", i, rows);
			goto fail;
		}
		if ((sp = memchr(line, ' ', n)) == NULL || (kl = (size_t)(sp - line)) == 0 ||
		    kl >= sizeof(key) || n - kl - 1 > POLICY_MAX_TEXT ||
		    memchr(line, '\0', n) != NULL) {
			errbuf_set(why, "line %ju: expected \"KEY POLICY\"", i + 4);
			goto fail;
		}
		memcpy(key, line, kl);
		key[kl] = '\0';
		memcpy(text, sp + 1, n - kl - 1);
		text[n - kl - 1] = '\0';
		errbuf_clear(&pw);
		if (policy_key_normalize(key, norm, sizeof(norm), NULL, &pw) < 0 ||
		    strcmp(key, norm) != 0) {
			errbuf_set(why, "line %ju: bad key: %s", i + 4,
				   pw.msg[0] ? pw.msg : "not normalised");
			goto fail;
		}
		if (snapshot_get(s, key, kl) != NULL) {
			errbuf_set(why, "line %ju: duplicate key %s", i + 4, key);
			goto fail;
		}
		shadowed = text[0] == SNAPSHOT_SHADOW_MARK;
		if (policy_parse(text + shadowed, opts, &p, &pw) < 0) {
			errbuf_set(why, "line %ju: %s", i + 4, pw.msg);
			goto fail;
		}
		canon = policy_format(p);
		policy_free(p);
		if (canon == NULL || snapshot_put_row(s, key, canon, shadowed) < 0) {
			free(canon);
			goto oom;
		}
		free(canon);
	}
	if (off != body && (body - off < 9 || memcmp(data + off, "bypasses ", 9) != 0)) {
		errbuf_set(why, "more lines than \"rows %ju\" says", rows);
		goto fail;
	}
	if (parse_bypasses(data, body, &off, fn, arg, why) < 0)
		goto fail;
	if (off != body) {
		errbuf_set(why, "more lines than the bypass count says");
		goto fail;
	}
	*written = (time_t)when;
	return s;
oom:
	errbuf_set(why, "out of memory");
fail:
	snapshot_free(s);
	return NULL;
}

struct snapshot *snapshot_file_read(const char *path, const struct policy_opts *opts,
				    time_t *written, struct errbuf *why)
{
	return snapshot_file_read_bp(path, opts, written, NULL, NULL, why);
}

struct snapshot *snapshot_file_read_bp(const char *path, const struct policy_opts *opts,
				       time_t *written, store_bypass_fn fn, void *arg,
				       struct errbuf *why)
{
	enum file_status st;
	struct snapshot *s;
	char *text;
	size_t len;
	int err = 0;

	if ((st = file_read(path, SNAPSHOT_FILE_MAX, &text, &len, &err)) != FILE_OK) {
		file_read_why(st, path, SNAPSHOT_FILE_MAX, err, why);
		return NULL;
	}
	s = snapshot_file_parse_bp(text, len, opts, written, fn, arg, why);
	free(text);
	if (s == NULL)
		errbuf_prefix(why, "%s", path);
	return s;
}

int snapshot_file_write(const char *path, const char *data, size_t len,
			struct errbuf *why)
{
	return file_write_atomic(path, data, len, 0640, (gid_t)-1, why);
}
