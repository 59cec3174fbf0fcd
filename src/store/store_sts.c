/* SPDX-License-Identifier: MIT */
/*
 * store_sts.c - the backend-independent part of the persisted MTA-STS
 * cache (store_sts.h): the limits every row is checked against before
 * any SQL runs (and after it is read back), and the dispatch through
 * the backend's ops table.  The SQL is in store_sts_sqlite.c and
 * store_sts_mysql.c.
 *
 * LIMITS: STORE_DOMAIN_MAX, STORE_STS_ID_MAX, STORE_STS_POLICY_MAX.
 * SECURITY: the domain of a row read back may be anything another tool
 * wrote; messages quote it through printable().
 */
#include "store/store_int.h"
#include "util/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void store_sts_row_free(struct store_sts_row *row)
{
	if (row == NULL)
		return;
	free(row->domain);
	free(row->policy_id);
	free(row->policy);
	memset(row, 0, sizeof(*row));
}

static int check_domain(const char *domain, struct errbuf *why)
{
	size_t n;

	if (domain == NULL || *domain == '\0')
		return errbuf_set(why, "empty domain");
	n = strnlen(domain, STORE_DOMAIN_MAX + 1);
	if (n > STORE_DOMAIN_MAX)
		return errbuf_set(why, "domain longer than %d bytes", STORE_DOMAIN_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)domain[i] <= 0x20 || (unsigned char)domain[i] >= 0x7f)
			return errbuf_set(why, "domain with a space, control or "
					  "non-ASCII character");
	return 0;
}

/* The columns other than the domain; why gets no domain prefix. */
static int check_values(const struct store_sts_row *row, struct errbuf *why)
{
	const char *id = row->policy_id;
	size_t n;

	if (id == NULL || *id == '\0')
		return errbuf_set(why, "empty policy id");
	n = strnlen(id, STORE_STS_ID_MAX + 1);
	if (n > STORE_STS_ID_MAX)
		return errbuf_set(why, "policy id longer than %d characters",
				  STORE_STS_ID_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) || (unsigned char)id[i] >= 0x80)
			return errbuf_set(why, "policy id may contain only letters "
					  "and digits");
	if (row->policy == NULL || row->policy[0] == '\0')
		return errbuf_set(why, "empty policy");
	n = strnlen(row->policy, STORE_STS_POLICY_MAX + 1);
	if (n > STORE_STS_POLICY_MAX)
		return errbuf_set(why, "policy longer than %d bytes",
				  STORE_STS_POLICY_MAX);
	if (row->fetched < 0)
		return errbuf_set(why, "negative fetch time %lld", row->fetched);
	if (row->expires < row->fetched)
		return errbuf_set(why, "expiry %lld before the fetch time %lld",
				  row->expires, row->fetched);
	return 0;
}

static int check_row(const struct store_sts_row *row, struct errbuf *why)
{
	char d[80];

	if (check_domain(row->domain, why) < 0)
		return errbuf_prefix(why, "sts put");
	if (check_values(row, why) < 0)
		return errbuf_prefix(why, "sts %s",
				     printable(d, sizeof(d), row->domain,
					       strlen(row->domain)));
	return 0;
}

int store_sts_row_check(const struct store_sts_row *row, struct errbuf *why)
{
	const char *dom = row->domain ? row->domain : "";
	char d[80];

	if (check_domain(dom, why) < 0 || check_values(row, why) < 0)
		return errbuf_prefix(why, "table %s, row \"%s\"", STORE_STS_TABLE,
				     printable(d, sizeof(d), dom, strlen(dom)));
	return 0;
}

int store_sts_row_copy(const struct store_sts_row *view,
		       struct store_sts_row *out, struct errbuf *why)
{
	memset(out, 0, sizeof(*out));
	out->domain = strdup(view->domain);
	out->policy_id = strdup(view->policy_id);
	out->policy = strdup(view->policy);
	out->fetched = view->fetched;
	out->expires = view->expires;
	if (out->domain == NULL || out->policy_id == NULL || out->policy == NULL) {
		store_sts_row_free(out);
		return errbuf_set(why, "out of memory");
	}
	return 0;
}

int store_init_ex(struct store *st, int *created, int *sts_created,
		  struct errbuf *why)
{
	int dummy, dummy_sts;

	if (created == NULL)
		created = &dummy;
	if (sts_created == NULL)
		sts_created = &dummy_sts;
	*sts_created = 0;
	st->err = 0;
	if (st->ops->init(st, created, why) < 0)
		return store_classed(st, -1);
	return store_classed(st, st->ops->sts_init(st, sts_created, why));
}

int store_sts_get(struct store *st, const char *domain,
		  struct store_sts_row *row, struct errbuf *why)
{
	memset(row, 0, sizeof(*row));
	if (check_domain(domain, why) < 0) {
		errbuf_prefix(why, "sts get");
		return STORE_ERR_CONFIG;
	}
	st->err = 0;
	return store_classed(st, st->ops->sts_get(st, domain, row, why));
}

int store_sts_put(struct store *st, const struct store_sts_row *row,
		  struct errbuf *why)
{
	if (check_row(row, why) < 0)
		return STORE_ERR_CONFIG;
	st->err = 0;
	return store_classed(st, st->ops->sts_put(st, row, why));
}

int store_sts_delete(struct store *st, const char *domain, struct errbuf *why)
{
	if (check_domain(domain, why) < 0) {
		errbuf_prefix(why, "sts delete");
		return STORE_ERR_CONFIG;
	}
	st->err = 0;
	return store_classed(st, st->ops->sts_del(st, domain, why));
}

int store_sts_purge(struct store *st, long long now, unsigned long *deleted,
		    struct errbuf *why)
{
	unsigned long dummy;

	if (deleted == NULL)
		deleted = &dummy;
	*deleted = 0;
	st->err = 0;
	return store_classed(st, st->ops->sts_purge(st, now, deleted, why));
}

int store_sts_list(struct store *st, store_sts_fn fn, void *arg,
		   struct errbuf *why)
{
	st->err = 0;
	return store_classed(st, st->ops->sts_list(st, fn, arg, why));
}

/* ---- the fetch lease ------------------------------------------------------ */

static int check_owner(const char *owner, struct errbuf *why)
{
	size_t n;

	if (owner == NULL || *owner == '\0')
		return errbuf_set(why, "sts lease: empty owner");
	if ((n = strnlen(owner, STORE_STS_OWNER_MAX + 1)) > STORE_STS_OWNER_MAX)
		return errbuf_set(why, "sts lease: owner longer than %d bytes",
				  STORE_STS_OWNER_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)owner[i] < 0x20 || (unsigned char)owner[i] >= 0x7f)
			return errbuf_set(why, "sts lease: owner with a control or "
					  "non-ASCII character");
	return 0;
}

int store_sts_lease_init(struct store *st, int *created, struct errbuf *why)
{
	int dummy;

	st->err = 0;
	return store_classed(st, st->ops->lease_init(st, created ? created : &dummy, why));
}

int store_sts_claim(struct store *st, const struct store_sts_lease *want,
		    long long now, struct store_sts_lease *held, struct errbuf *why)
{
	struct store_sts_lease dummy;

	if (held == NULL)
		held = &dummy;
	memset(held, 0, sizeof(*held));
	if (check_domain(want->domain, why) < 0) {
		errbuf_prefix(why, "sts lease");
		return STORE_ERR_CONFIG;
	}
	if (check_owner(want->owner, why) < 0)
		return STORE_ERR_CONFIG;
	st->err = 0;
	return store_classed(st, st->ops->lease_claim(st, want, now, held, why));
}

int store_sts_release(struct store *st, const char *domain, const char *owner,
		      struct errbuf *why)
{
	if (check_domain(domain, why) < 0) {
		errbuf_prefix(why, "sts lease");
		return STORE_ERR_CONFIG;
	}
	if (check_owner(owner, why) < 0)
		return STORE_ERR_CONFIG;
	st->err = 0;
	return store_classed(st, st->ops->lease_release(st, domain, owner, why));
}

int store_sts_lease_purge(struct store *st, long long now,
			  unsigned long *deleted, struct errbuf *why)
{
	unsigned long dummy;

	if (deleted == NULL)
		deleted = &dummy;
	*deleted = 0;
	st->err = 0;
	return store_classed(st, st->ops->lease_purge(st, now, deleted, why));
}

int store_sts_batch_begin(struct store *st, struct errbuf *why)
{
	st->err = 0;
	return store_classed(st, st->ops->sts_txn(st, STORE_STS_TXN_BEGIN, why));
}

int store_sts_batch_commit(struct store *st, struct errbuf *why)
{
	st->err = 0;
	return store_classed(st, st->ops->sts_txn(st, STORE_STS_TXN_COMMIT, why));
}

void store_sts_batch_rollback(struct store *st)
{
	(void)st->ops->sts_txn(st, STORE_STS_TXN_ROLLBACK, NULL);
}
