/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - the policy table in memory (see snapshot.h).
 */
#include "engine/snapshot.h"
#include "policy/policy.h"
#include "store/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define ARENA_CHUNK (256 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

/* 16 bytes: four slots per cache line.  The entry is "key\0text\0" in
 * the arena, so the text is next to the key that was just compared. */
struct slot {
	uint32_t tag;        /* upper hash bits; 0: empty */
	uint32_t keylen;
	const char *key;
};

static uint32_t hash_tag(uint64_t h)
{
	uint32_t t = (uint32_t)(h >> 32);

	return t ? t : 1;
}

struct snapshot {
	struct slot *slots;
	size_t mask;         /* slots - 1 */
	size_t rows, invalid;
	struct arena_chunk *arena;
	size_t bytes;
	char *invalid_msg[SNAPSHOT_LOG_INVALID];
};

unsigned long long snapshot_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1; /* 0 marks an empty slot */
}

static char *arena_dup(struct snapshot *s, const char *p, size_t n)
{
	struct arena_chunk *c = s->arena;
	char *out;

	if (c == NULL || c->size - c->used < n + 1) {
		size_t size = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;

		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->next = s->arena;
		c->used = 0;
		c->size = size;
		s->arena = c;
		s->bytes += sizeof(*c) + size;
	}
	out = c->data + c->used;
	if (p)   /* NULL: the caller fills the n bytes */
		memcpy(out, p, n);
	out[n] = '\0';
	c->used += n + 1;
	return out;
}

static int table_grow(struct snapshot *s)
{
	size_t nsize = s->slots ? (s->mask + 1) * 2 : 1024, i;
	struct slot *ns = calloc(nsize, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (i = 0; s->slots && i <= s->mask; i++) {
		struct slot *o = &s->slots[i];
		size_t j;

		if (o->tag == 0)
			continue;
		for (j = snapshot_hash(o->key, o->keylen) & (nsize - 1); ns[j].tag;
		     j = (j + 1) & (nsize - 1))
			;
		ns[j] = *o;
	}
	if (s->slots)
		s->bytes -= (s->mask + 1) * sizeof(struct slot);
	free(s->slots);
	s->slots = ns;
	s->mask = nsize - 1;
	s->bytes += nsize * sizeof(struct slot);
	return 0;
}

/* "key\0text\0" into the arena. */
static const char *entry_dup(struct snapshot *s, const char *key, size_t keylen,
			     const char *text)
{
	size_t tlen = strlen(text);
	/* (not arena_dup(key, ...): key holds only keylen + 1 bytes) */
	char *e = arena_dup(s, NULL, keylen + 1 + tlen);

	if (e == NULL)
		return NULL;
	memcpy(e, key, keylen);
	e[keylen] = '\0';
	memcpy(e + keylen + 1, text, tlen + 1);
	return e;
}

int snapshot_put_row(struct snapshot *s, const char *key, const char *text, int shadowed)
{
	char buf[POLICY_MAX_TEXT + 2];

	if (!shadowed)
		return snapshot_put(s, key, text);
	if (strlen(text) + 2 > sizeof(buf))
		return -1;
	buf[0] = SNAPSHOT_SHADOW_MARK;
	strcpy(buf + 1, text);
	return snapshot_put(s, key, buf);
}

/* Inserts or replaces; key and text are copied. */
int snapshot_put(struct snapshot *s, const char *key, const char *text)
{
	size_t keylen = strlen(key), j;
	uint64_t h = snapshot_hash(key, keylen);
	uint32_t tag = hash_tag(h);
	const char *e;

	/* load factor <= 1/2 keeps probes short */
	if (s->slots == NULL || (s->rows + 1) * 2 > s->mask + 1)
		if (table_grow(s) < 0)
			return -1;
	for (j = h & s->mask; s->slots[j].tag; j = (j + 1) & s->mask) {
		struct slot *o = &s->slots[j];

		if (o->tag == tag && o->keylen == keylen &&
		    memcmp(o->key, key, keylen) == 0)
			break;  /* replace */
	}
	if ((e = entry_dup(s, key, keylen, text)) == NULL)
		return -1;
	if (s->slots[j].tag == 0)
		s->rows++;
	s->slots[j].tag = tag;
	s->slots[j].keylen = (uint32_t)keylen;
	s->slots[j].key = e;
	return 0;
}

const char *snapshot_get(const struct snapshot *s, const char *key, size_t keylen)
{
	uint64_t h;
	uint32_t tag;
	size_t j;

	if (s == NULL || s->slots == NULL)
		return NULL;
	h = snapshot_hash(key, keylen);
	tag = hash_tag(h);
	for (j = h & s->mask; s->slots[j].tag; j = (j + 1) & s->mask) {
		const struct slot *o = &s->slots[j];

		if (o->tag == tag && o->keylen == keylen &&
		    memcmp(o->key, key, keylen) == 0)
			return o->key + keylen + 1;
	}
	return NULL;
}

int snapshot_each(const struct snapshot *s,
		  int (*fn)(const char *key, const char *text, void *arg), void *arg)
{
	int rc;

	for (size_t j = 0; s && s->slots && j <= s->mask; j++) {
		const struct slot *o = &s->slots[j];

		if (o->tag && (rc = fn(o->key, o->key + o->keylen + 1, arg)) != 0)
			return rc;
	}
	return 0;
}

/* The rows of a that b lacks (removed: a = old), or holds with another
 * policy (changed, counted only when changed != NULL). */
static void diff_one(const struct snapshot *a, const struct snapshot *b,
		     size_t *missing, size_t *changed, char *names, size_t nlen,
		     const char *mark)
{
	for (size_t j = 0; a->slots && j <= a->mask; j++) {
		const struct slot *o = &a->slots[j];
		const char *t;
		size_t n;

		if (!o->tag)
			continue;
		t = snapshot_get(b, o->key, o->keylen);
		if (t == NULL)
			(*missing)++;
		else if (changed && strcmp(t, o->key + o->keylen + 1) != 0)
			(*changed)++;
		else
			continue;
		n = strlen(names);
		if (n + o->keylen + 8 < nlen)
			snprintf(names + n, nlen - n, "%s%s%.*s", n ? " " : "",
				 t == NULL ? mark : "~", (int)o->keylen, o->key);
		else if (n >= 3 && n + 4 < nlen && strcmp(names + n - 3, "...") != 0)
			snprintf(names + n, nlen - n, " ...");
	}
}

void snapshot_diff(const struct snapshot *old, const struct snapshot *new,
		   struct snapshot_diff *d)
{
	memset(d, 0, sizeof(*d));
	diff_one(new, old, &d->added, &d->changed, d->names, sizeof(d->names), "+");
	diff_one(old, new, &d->removed, NULL, d->names, sizeof(d->names), "-");
}

struct snapshot *snapshot_empty(void)
{
	return calloc(1, sizeof(struct snapshot));
}

void snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	while (s->arena) {
		struct arena_chunk *c = s->arena;

		s->arena = c->next;
		free(c);
	}
	for (size_t i = 0; i < SNAPSHOT_LOG_INVALID; i++)
		free(s->invalid_msg[i]);
	free(s->slots);
	free(s);
}

const char *snapshot_invalid_reason(const struct snapshot *s, size_t i)
{
	return s && i < SNAPSHOT_LOG_INVALID ? s->invalid_msg[i] : NULL;
}

size_t snapshot_rows(const struct snapshot *s) { return s ? s->rows : 0; }
size_t snapshot_invalid_rows(const struct snapshot *s) { return s ? s->invalid : 0; }
size_t snapshot_bytes(const struct snapshot *s) { return s ? s->bytes + sizeof(*s) : 0; }

struct load_ctx {
	struct snapshot *s;
	const struct policy_opts *opts;
	int oom;
	size_t seen;
};

static int load_row(const struct store_row *row, void *arg)
{
	struct load_ctx *lc = arg;
	struct policy *p = NULL;
	struct errbuf why;
	char key[POLICY_KEY_MAX];
	char *text;
	int rc;

	if (++lc->seen > SNAPSHOT_MAX_ROWS)
		return 2;
	errbuf_clear(&why);
	if (store_row_policy(row, lc->opts, &p, &why) < 0 ||
	    policy_key_normalize(row->domain, key, sizeof(key), NULL, &why) < 0) {
		policy_free(p);
		if (lc->s->invalid < SNAPSHOT_LOG_INVALID)
			lc->s->invalid_msg[lc->s->invalid] = strdup(why.msg);
		lc->s->invalid++;
		return 0;
	}
	text = policy_format(p);
	policy_free(p);
	if (text == NULL) {
		lc->oom = 1;
		return 1;
	}
	rc = snapshot_put_row(lc->s, key, text, store_row_shadowed(row));
	free(text);
	if (rc < 0) {
		lc->oom = 1;
		return 1;
	}
	return 0;
}

struct snapshot *snapshot_load(struct store *st, const struct policy_opts *opts,
			       int *err, struct errbuf *why)
{
	struct load_ctx lc;
	int rc;

	memset(&lc, 0, sizeof(lc));
	*err = STORE_ERR_RETRY;
	if ((lc.s = snapshot_empty()) == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	lc.opts = opts;
	rc = store_list(st, load_row, &lc, why);
	if (rc != 0 || lc.oom) {
		*err = rc < 0 ? rc : STORE_ERR_RETRY;
		if (lc.oom)
			errbuf_set(why, "out of memory loading the policy table");
		else if (rc == 2) {
			errbuf_set(why, "policy table has more than %d rows",
				   SNAPSHOT_MAX_ROWS);
			*err = STORE_ERR_CONFIG;
		}
		snapshot_free(lc.s);
		return NULL;
	}
	return lc.s;
}
