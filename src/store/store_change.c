/* SPDX-License-Identifier: MIT */
/*
 * store_change.c - the backend-independent part of the change marker
 * (store_change.h): the dispatch through the ops table, comparisons.
 */
#include "store/store_int.h"

int store_mark_same(const struct store_mark *a, const struct store_mark *b)
{
	return a->kind != STORE_MARK_NONE && a->kind == b->kind && a->a == b->a &&
	       a->b == b->b;
}

const char *store_mark_kind_name(enum store_mark_kind kind)
{
	switch (kind) {
	case STORE_MARK_COUNTER:
		return "counter";
	case STORE_MARK_DATA_VERSION:
		return "data_version";
	case STORE_MARK_CHECKSUM:
		return "checksum";
	case STORE_MARK_NONE:
		break;
	}
	return "none";
}

int store_change_init(struct store *st, int *created, int *marker,
		      struct errbuf *warn, struct errbuf *why)
{
	int dummy_c, dummy_m;
	struct errbuf dummy_w;

	errbuf_clear(&dummy_w);
	return store_classed(st, st->ops->change_init(st, created ? created : &dummy_c,
						      marker ? marker : &dummy_m,
						      warn ? warn : &dummy_w, why));
}

int store_change_mark(struct store *st, struct store_mark *mark, struct errbuf *why)
{
	mark->kind = STORE_MARK_NONE;
	mark->a = mark->b = 0;
	return store_classed(st, st->ops->change_mark(st, mark, why));
}
