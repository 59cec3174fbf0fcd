/* SPDX-License-Identifier: MIT */
/* tally.c - counts by key (tally.h). */
#include "tlsrpt/tally.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void tally_init(struct tally *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->ent[i].key);
	free(t->ent);
	memset(t, 0, sizeof(*t));
}

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static int grow(struct tally *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct tally_ent *ent = calloc(cap, sizeof(*ent));

	if (ent == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (t->ent[i].key == NULL)
			continue;
		for (j = hash(t->ent[i].key) & (cap - 1); ent[j].key; j = (j + 1) & (cap - 1))
			;
		ent[j] = t->ent[i];
	}
	free(t->ent);
	t->ent = ent;
	t->cap = cap;
	return 0;
}

int tally_add(struct tally *t, const char *key, unsigned long long count)
{
	return tally_add_at(t, key, count, 0);
}

static void seen(struct tally_ent *e, long long when)
{
	if (when == 0)
		return;
	if (e->first == 0 || when < e->first)
		e->first = when;
	if (when > e->last)
		e->last = when;
}

int tally_add_at(struct tally *t, const char *key, unsigned long long count, long long when)
{
	size_t i;

	if (t->cap) {
		for (i = hash(key) & (t->cap - 1); t->ent[i].key; i = (i + 1) & (t->cap - 1))
			if (strcmp(t->ent[i].key, key) == 0) {
				t->ent[i].count += count;
				seen(&t->ent[i], when);
				return 0;
			}
	}
	if (t->n >= t->max || strlen(key) > TALLY_KEY_MAX) {
		t->dropped += count;
		return -1;
	}
	if ((t->n + 1) * 2 > t->cap && grow(t) < 0) {
		t->dropped += count;
		return -1;
	}
	for (i = hash(key) & (t->cap - 1); t->ent[i].key; i = (i + 1) & (t->cap - 1))
		;
	if ((t->ent[i].key = strdup(key)) == NULL) {
		t->dropped += count;
		return -1;
	}
	t->ent[i].count = count;
	t->ent[i].first = t->ent[i].last = 0;
	seen(&t->ent[i], when);
	t->n++;
	return 0;
}

int tally_key(char *out, size_t outlen, const char *const *fields, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(fields[i]);

		if (memchr(fields[i], TALLY_SEP, l) || k + l + 2 > outlen)
			return -1;
		if (i)
			out[k++] = TALLY_SEP;
		memcpy(out + k, fields[i], l);
		k += l;
	}
	if (outlen == 0)
		return -1;
	out[k] = '\0';
	return 0;
}

size_t tally_split(char *key, char **fields, size_t max)
{
	size_t n = 0;
	char *p = key;

	while (n < max) {
		char *s = strchr(p, TALLY_SEP);

		fields[n++] = p;
		if (s == NULL)
			break;
		*s = '\0';
		p = s + 1;
	}
	return n;
}
