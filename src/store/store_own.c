/* SPDX-License-Identifier: MIT */
/*
 * store_own.c - the backend-independent part of tlspolicy_own
 * (store_own.h): the limits every row is checked against before any SQL
 * runs and after it is read back, and the dispatch through the
 * backend's ops table.  The SQL is in store_own_sqlite.c and
 * store_own_mysql.c.
 *
 * LIMITS: STORE_OWN_KEY_MAX, STORE_OWN_VALUE_MAX.
 */
#include "store/store_int.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

void store_own_row_free(struct store_own_row *row)
{
	if (row == NULL)
		return;
	free(row->subject);
	free(row->fact);
	free(row->value);
	memset(row, 0, sizeof(*row));
}

static int check_key(const char *what, const char *s, int spaces,
		     struct errbuf *why)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return errbuf_set(why, "empty %s", what);
	n = strnlen(s, STORE_OWN_KEY_MAX + 1);
	if (n > STORE_OWN_KEY_MAX)
		return errbuf_set(why, "%s longer than %d bytes", what, STORE_OWN_KEY_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || (c == ' ' && !spaces))
			return errbuf_set(why, "%s with a %s character", what,
					  c == ' ' ? "space" : "control or non-ASCII");
	}
	return 0;
}

int store_own_row_check(const struct store_own_row *row, struct errbuf *why)
{
	if (check_key("subject", row->subject, 0, why) < 0 ||
	    check_key("fact", row->fact, 1, why) < 0)
		return -1;
	if (row->value == NULL)
		return errbuf_set(why, "no value");
	if (strnlen(row->value, STORE_OWN_VALUE_MAX + 1) > STORE_OWN_VALUE_MAX)
		return errbuf_set(why, "value longer than %d bytes", STORE_OWN_VALUE_MAX);
	if (row->first_seen < 0)
		return errbuf_set(why, "negative first_seen %lld", row->first_seen);
	if (row->last_seen < row->first_seen)
		return errbuf_set(why, "last_seen %lld before first_seen %lld",
				  row->last_seen, row->first_seen);
	return 0;
}

int store_own_row_copy(const struct store_own_row *v, struct store_own_row *out,
		       struct errbuf *why)
{
	memset(out, 0, sizeof(*out));
	out->subject = strdup(v->subject);
	out->fact = strdup(v->fact);
	out->value = strdup(v->value);
	out->first_seen = v->first_seen;
	out->last_seen = v->last_seen;
	if (!out->subject || !out->fact || !out->value) {
		store_own_row_free(out);
		return errbuf_set(why, "out of memory");
	}
	return 0;
}

int store_own_init(struct store *st, int *created, struct errbuf *why)
{
	int dummy;

	return st->ops->own_init(st, created ? created : &dummy, why);
}

int store_own_get(struct store *st, const char *subject, const char *fact,
		  struct store_own_row *row, struct errbuf *why)
{
	memset(row, 0, sizeof(*row));
	if (check_key("subject", subject, 0, why) < 0 ||
	    check_key("fact", fact, 1, why) < 0)
		return errbuf_prefix(why, "own get");
	return st->ops->own_get(st, subject, fact, row, why);
}

int store_own_put(struct store *st, const struct store_own_row *row,
		  struct errbuf *why)
{
	if (store_own_row_check(row, why) < 0)
		return errbuf_prefix(why, "own put");
	return st->ops->own_put(st, row, why);
}

int store_own_delete(struct store *st, const char *subject, const char *fact,
		     struct errbuf *why)
{
	if (check_key("subject", subject, 0, why) < 0 ||
	    check_key("fact", fact, 1, why) < 0)
		return errbuf_prefix(why, "own delete");
	return st->ops->own_del(st, subject, fact, why);
}

int store_own_list(struct store *st, const char *subject, store_own_fn fn,
		   void *arg, struct errbuf *why)
{
	if (check_key("subject", subject, 0, why) < 0)
		return errbuf_prefix(why, "own list");
	return st->ops->own_list(st, subject, fn, arg, why);
}
