/* SPDX-License-Identifier: MIT */
/*
 * store_bypass.c - the backend-independent part of tlspolicy_bypass
 * (store_bypass.h): the limits, the dispatch through the ops table.
 */
#include "store/store_int.h"
#include "policy/policy.h"

#include <string.h>

static int check_text(const char *what, const char *s, size_t max, int empty_ok,
		      struct errbuf *why)
{
	size_t n;

	if (s == NULL || (*s == '\0' && !empty_ok))
		return errbuf_set(why, "empty %s", what);
	if ((n = strnlen(s, max + 1)) > max)
		return errbuf_set(why, "%s longer than %zu bytes", what, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return errbuf_set(why, "%s with a control character", what);
	return 0;
}

int store_bypass_row_check(const struct store_bypass_row *row, struct errbuf *why)
{
	enum policy_level lv;

	if (check_text("domain", row->domain, STORE_BYPASS_KEY_MAX, 0, why) < 0 ||
	    check_text("reason", row->reason, STORE_BYPASS_REASON_MAX, 1, why) < 0)
		return -1;
	if (row->level == NULL || policy_level_parse(row->level, &lv, why) < 0)
		return errbuf_set(why, "bad level \"%s\"", row->level ? row->level : "");
	if (row->created < 0 || row->expires < row->created)
		return errbuf_set(why, "expires %lld before created %lld",
				  row->expires, row->created);
	return 0;
}

int store_bypass_init(struct store *st, int *created, struct errbuf *why)
{
	int dummy;

	return store_classed(st, st->ops->bypass_init(st, created ? created : &dummy, why));
}

int store_bypass_put(struct store *st, const struct store_bypass_row *row,
		     struct errbuf *why)
{
	if (store_bypass_row_check(row, why) < 0)
		return errbuf_prefix(why, "bypass");
	return store_classed(st, st->ops->bypass_put(st, row, why));
}

int store_bypass_delete(struct store *st, const char *domain, struct errbuf *why)
{
	if (check_text("domain", domain, STORE_BYPASS_KEY_MAX, 0, why) < 0)
		return errbuf_prefix(why, "bypass delete");
	return store_classed(st, st->ops->bypass_del(st, domain, why));
}

int store_bypass_list(struct store *st, store_bypass_fn fn, void *arg,
		      struct errbuf *why)
{
	return store_classed(st, st->ops->bypass_list(st, fn, arg, why));
}
