/* SPDX-License-Identifier: MIT */
/* db.c - the TLSRPT statements (db.h). */
#include "tlsrpt/db.h"

#include "store/store_tlsrpt.h"
#include "tlsrpt/intake.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESS STORE_TLSRPT_SESSIONS
#define POL STORE_TLSRPT_POLICIES
#define OFFS STORE_TLSRPT_OFFSETS
#define SENT STORE_TLSRPT_SENT

struct got_offset {
	long long inode, offset;
	char *state;
	int found;
};

static int offset_row(void *arg, char *const *c, int n)
{
	struct got_offset *g = arg;

	(void)n;
	g->inode = strtoll(c[0], NULL, 10);
	g->offset = strtoll(c[1], NULL, 10);
	free(g->state);
	g->state = strdup(c[2]);
	g->found = 1;
	return 0;
}

int tlsrpt_db_offset(struct store *st, const char *mta, const char *path,
		     long long *inode, long long *offset, char **state, struct errbuf *why)
{
	struct store_tlsrpt_val v[] = { TV_S(mta), TV_S(path) };
	struct got_offset g = { 0, 0, NULL, 0 };

	*state = NULL;
	if (store_tlsrpt_exec(st, OFFS, "read the log offset",
			      "SELECT inode, pos, state FROM tlspolicy_tlsrpt_offsets "
			      "WHERE mta = ? AND path = ?", NULL, v, 2, 3, offset_row, &g, NULL,
			      why) < 0) {
		free(g.state);
		return -1;
	}
	*inode = g.inode;
	*offset = g.offset;
	*state = g.state;
	return g.found;
}

int tlsrpt_db_add_sessions(struct store *st, const char *mta, const char *mta_ip,
			   const struct tally *t, const char *path, long long inode,
			   long long offset, const char *state, struct errbuf *why)
{
	if (store_tlsrpt_begin(st, why) < 0)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		char *f[TS_NFIELDS + 1], *key;

		if (t->ent[i].key == NULL)
			continue;
		if ((key = strdup(t->ent[i].key)) == NULL)
			goto fail_mem;
		if (tally_split(key, f, TS_NFIELDS + 1) != TS_NFIELDS) {
			free(key);
			continue;
		}
		struct store_tlsrpt_val v[] = { TV_S(f[TS_DOMAIN]), TV_S(f[TS_DAY]), TV_S(mta),
						TV_S(f[TS_MX_HOST]), TV_S(f[TS_MX_IP]),
						TV_S(f[TS_RESULT]), TV_S(mta_ip),
						TV_I((long long)t->ent[i].count), TV_S(f[TS_POLICY]) };
		int rc = store_tlsrpt_exec(
			st, SESS, "add sessions",
			"INSERT INTO tlspolicy_tlsrpt_sessions (domain, day, mta, mx_host, mx_ip, "
			"result, mta_ip, count, policy_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
			"ON CONFLICT (domain, day, mta, mx_host, mx_ip, result, policy_key) DO "
			"UPDATE SET count = count + excluded.count, mta_ip = excluded.mta_ip",
			"INSERT INTO tlspolicy_tlsrpt_sessions (domain, day, mta, mx_host, mx_ip, "
			"result, mta_ip, count, policy_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
			"ON DUPLICATE KEY UPDATE count = count + VALUES(count), "
			"mta_ip = VALUES(mta_ip)",
			v, 9, 0, NULL, NULL, NULL, why);
		free(key);
		if (rc < 0)
			goto fail;
	}
	if (path) {
		struct store_tlsrpt_val v[] = { TV_S(mta), TV_S(path), TV_I(inode), TV_I(offset),
						TV_I((long long)time(NULL)), TV_S(state ? state : "") };

		if (store_tlsrpt_exec(
			    st, OFFS, "save the log offset",
			    "INSERT INTO tlspolicy_tlsrpt_offsets (mta, path, inode, pos, updated, state) "
			    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (mta, path) DO UPDATE SET "
			    "inode = excluded.inode, pos = excluded.pos, "
			    "updated = excluded.updated, state = excluded.state",
			    "INSERT INTO tlspolicy_tlsrpt_offsets (mta, path, inode, pos, updated, state) "
			    "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE inode = VALUES(inode), "
			    "pos = VALUES(pos), updated = VALUES(updated), state = VALUES(state)",
			    v, 6, 0, NULL, NULL, NULL, why) < 0)
			goto fail;
	}
	return store_tlsrpt_commit(st, why) < 0 ? (store_tlsrpt_rollback(st), -1) : 0;
fail_mem:
	errbuf_set(why, "add sessions: out of memory");
fail:
	store_tlsrpt_rollback(st);
	return -1;
}

void tlsrpt_db_policy_key(const char *type, const char *strings, const char *mx,
		       const char *result, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(c, type, strlen(type) + 1);
		EVP_DigestUpdate(c, strings, strlen(strings) + 1);
		EVP_DigestUpdate(c, mx, strlen(mx) + 1);
		EVP_DigestUpdate(c, result, strlen(result) + 1);
		EVP_DigestFinal_ex(c, md, &mdlen);
	}
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int tlsrpt_db_add_policies(struct store *st, const char *mta, const struct tally *t,
			   struct errbuf *why)
{
	if (store_tlsrpt_begin(st, why) < 0)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		char *f[TJ_NFIELDS + 1], *key, pk[65];
		int rc;

		if (t->ent[i].key == NULL)
			continue;
		if ((key = strdup(t->ent[i].key)) == NULL) {
			errbuf_set(why, "journal: out of memory");
			goto fail;
		}
		if (tally_split(key, f, TJ_NFIELDS + 1) != TJ_NFIELDS) {
			free(key);
			continue;
		}
		tlsrpt_db_policy_key(f[TJ_TYPE], f[TJ_STRINGS], f[TJ_MX], f[TJ_RESULT], pk);
		struct store_tlsrpt_val v[] = { TV_S(f[TJ_DOMAIN]), TV_S(f[TJ_DAY]), TV_S(mta),
						TV_S(pk), TV_S(f[TJ_TYPE]), TV_S(f[TJ_STRINGS]),
						TV_S(f[TJ_MX]), TV_S(f[TJ_RESULT]),
						TV_I((long long)t->ent[i].count),
						TV_I(t->ent[i].first), TV_I(t->ent[i].last) };
		rc = store_tlsrpt_exec(
			st, POL, "journal",
			"INSERT INTO tlspolicy_tlsrpt_policies (domain, day, mta, policy_key, "
			"policy_type, policy_strings, mx, result, count, first_seen, last_seen) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (domain, day, mta, "
			"policy_key) DO UPDATE SET count = count + excluded.count, "
			"first_seen = CASE WHEN first_seen = 0 OR (excluded.first_seen > 0 AND "
			"excluded.first_seen < first_seen) THEN excluded.first_seen ELSE first_seen END, "
			"last_seen = MAX(last_seen, excluded.last_seen)",
			"INSERT INTO tlspolicy_tlsrpt_policies (domain, day, mta, policy_key, "
			"policy_type, policy_strings, mx, result, count, first_seen, last_seen) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
			"count = count + VALUES(count), "
			"first_seen = CASE WHEN first_seen = 0 OR (VALUES(first_seen) > 0 AND "
			"VALUES(first_seen) < first_seen) THEN VALUES(first_seen) ELSE first_seen END, "
			"last_seen = GREATEST(last_seen, VALUES(last_seen))",
			v, 11, 0, NULL, NULL, NULL, why);
		free(key);
		if (rc < 0)
			goto fail;
	}
	return store_tlsrpt_commit(st, why) < 0 ? (store_tlsrpt_rollback(st), -1) : 0;
fail:
	store_tlsrpt_rollback(st);
	return -1;
}

struct days_arg {
	tlsrpt_db_day_fn fn;
	void *arg;
};

static int day_row(void *arg, char *const *c, int n)
{
	struct days_arg *d = arg;

	(void)n;
	return d->fn(d->arg, c[0], c[1]);
}

int tlsrpt_db_days(struct store *st, const char *from, const char *before,
		   tlsrpt_db_day_fn fn, void *arg, struct errbuf *why)
{
	struct store_tlsrpt_val v[] = { TV_S(from), TV_S(before) };
	struct days_arg d = { fn, arg };

	return store_tlsrpt_exec(st, SESS, "list report days",
				 "SELECT DISTINCT lower(domain), day FROM tlspolicy_tlsrpt_sessions "
				 "WHERE day >= ? AND day < ? ORDER BY day, lower(domain)",
				 NULL, v, 2, 2, day_row, &d, NULL, why);
}

struct fill_arg {
	struct tlsrpt_report *r;
	struct tlsrpt_policy *most; /* answered most */
	unsigned long long most_n;
	int err;
};

static int add_lines(struct tlsrpt_policy *p, const char *text, int mx)
{
	const char *q = text;

	while (*q) {
		const char *nl = strpbrk(q, "\r\n");
		size_t n = nl ? (size_t)(nl - q) : strlen(q);
		char line[TLSRPT_NAME_MAX * 4];

		if (n && n < sizeof(line)) {
			memcpy(line, q, n);
			line[n] = '\0';
			if ((mx ? tlsrpt_policy_add_mx(p, line) : tlsrpt_policy_add_string(p, line)) < 0)
				return -1;
		}
		q += n;
		while (*q == '\r' || *q == '\n')
			q++;
	}
	return 0;
}

/* policy_key, type, strings, mx, result, SUM(count) */
static int policy_row(void *arg, char *const *c, int n)
{
	struct fill_arg *f = arg;
	int t = tlsrpt_ptype_parse(c[1]), res;
	unsigned long long answers = strtoull(c[5], NULL, 10);
	struct tlsrpt_policy *p;

	(void)n;
	if (t < 0 || tlsrpt_report_find(f->r, c[0]))
		return 0;
	if ((p = tlsrpt_report_policy(f->r, c[0])) == NULL)
		return 0; /* more than TLSRPT_REPORT_POLICIES: under the most answered */
	p->ptype = (enum tlsrpt_ptype)t;
	p->answers = answers;
	if (add_lines(p, c[2], 0) < 0 || add_lines(p, c[3], 1) < 0)
		f->err = 1;
	if (c[4][0] && (res = tlsrpt_result_parse(c[4])) > 0)
		p->policy_result = res;
	if (f->most == NULL || answers > f->most_n) {
		f->most = p;
		f->most_n = answers;
	}
	return 0;
}

/* policy_key, result, mta_ip, mx_host, mx_ip, SUM(count) */
static int session_row(void *arg, char *const *c, int n)
{
	struct fill_arg *f = arg;
	int res = tlsrpt_result_parse(c[1]);
	struct tlsrpt_policy *p;

	(void)n;
	if (res < 0)
		return 0;
	p = tlsrpt_report_find(f->r, c[0]);
	if (p == NULL && f->most != NULL)
		p = f->most;
	if (p == NULL) { /* no journal: one no-policy-found entry */
		p = tlsrpt_report_find(f->r, "-");
		if (p == NULL && (p = tlsrpt_report_policy(f->r, "-")) == NULL) {
			f->err = 1;
			return 0;
		}
	}
	if (tlsrpt_report_add(f->r, p, (enum tlsrpt_result)res, c[2], c[3], c[4],
			      strtoull(c[5], NULL, 10)) < 0)
		f->err = 1;
	return 0;
}

int tlsrpt_db_fill(struct store *st, struct tlsrpt_report *r, struct errbuf *why)
{
	struct store_tlsrpt_val v[] = { TV_S(r->domain), TV_S(r->day) };
	struct fill_arg f = { r, NULL, 0, 0 };

	/* ordered by when each policy was first answered: the day's order */
	if (store_tlsrpt_exec(st, POL, "read the journal",
			      "SELECT policy_key, MIN(policy_type), MIN(policy_strings), MIN(mx), "
			      "MIN(result), SUM(count), MIN(CASE WHEN first_seen > 0 THEN "
			      "first_seen END) AS t FROM tlspolicy_tlsrpt_policies "
			      "WHERE domain = ? AND day = ? GROUP BY policy_key "
			      "ORDER BY t, policy_key",
			      NULL, v, 2, 7, policy_row, &f, NULL, why) < 0)
		return -1;
	if (store_tlsrpt_exec(st, SESS, "read the sessions",
			      "SELECT policy_key, result, mta_ip, mx_host, mx_ip, SUM(count) "
			      "FROM tlspolicy_tlsrpt_sessions WHERE domain = ? AND day = ? "
			      "GROUP BY policy_key, result, mta_ip, mx_host, mx_ip "
			      "ORDER BY result, mx_host, mx_ip, mta_ip, policy_key",
			      NULL, v, 2, 6, session_row, &f, NULL, why) < 0)
		return -1;
	if (f.err)
		return errbuf_set(why, "report %s %s: out of memory or too many policy lines",
				  r->domain, r->day);
	tlsrpt_report_prune(r);
	return 0;
}

/* ---- the timeline (which policy a session was under) ------------------ */

struct tl_row {
	char key[65];
	int own; /* the asking mta's */
	long long first, last;
};

struct tlsrpt_timeline {
	struct store *st;
	char *mta;
	char domain[TLSRPT_NAME_MAX + 1], day[11];
	int loaded;
	struct tl_row *rows;
	size_t n, cap;
	char pick[65];
};

struct tlsrpt_timeline *tlsrpt_timeline_new(struct store *st, const char *mta)
{
	struct tlsrpt_timeline *tl = calloc(1, sizeof(*tl));

	if (tl == NULL || (tl->mta = strdup(mta)) == NULL) {
		free(tl);
		return NULL;
	}
	tl->st = st;
	return tl;
}

void tlsrpt_timeline_free(struct tlsrpt_timeline *tl)
{
	if (tl == NULL)
		return;
	free(tl->rows);
	free(tl->mta);
	free(tl);
}

static int tl_row(void *arg, char *const *c, int n)
{
	struct tlsrpt_timeline *tl = arg;
	struct tl_row *r;

	(void)n;
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 8;
		struct tl_row *nr = realloc(tl->rows, cap * sizeof(*nr));

		if (nr == NULL)
			return 0;
		tl->rows = nr;
		tl->cap = cap;
	}
	r = &tl->rows[tl->n++];
	snprintf(r->key, sizeof(r->key), "%s", c[0]);
	r->own = strcmp(c[1], tl->mta) == 0;
	r->first = strtoll(c[2], NULL, 10);
	r->last = strtoll(c[3], NULL, 10);
	return 0;
}

const char *tlsrpt_timeline_pick(struct tlsrpt_timeline *tl, const char *domain,
				 const char *day, long long when, struct errbuf *why)
{
	const struct tl_row *in = NULL, *before = NULL, *early = NULL;
	int own = 0;

	if (!tl->loaded || strcmp(tl->domain, domain) != 0 || strcmp(tl->day, day) != 0) {
		struct store_tlsrpt_val v[] = { TV_S(domain), TV_S(day) };

		tl->n = 0;
		tl->loaded = 0;
		if (store_tlsrpt_exec(tl->st, POL, "read the journal",
				      "SELECT policy_key, mta, first_seen, last_seen "
				      "FROM tlspolicy_tlsrpt_policies WHERE domain = ? AND day = ? "
				      "ORDER BY policy_key, mta",
				      NULL, v, 2, 4, tl_row, tl, NULL, why) < 0)
			return NULL;
		snprintf(tl->domain, sizeof(tl->domain), "%s", domain);
		snprintf(tl->day, sizeof(tl->day), "%s", day);
		tl->loaded = 1;
	}
	for (size_t i = 0; i < tl->n; i++)
		own |= tl->rows[i].own;
	for (size_t i = 0; i < tl->n; i++) {
		const struct tl_row *r = &tl->rows[i];

		if ((own && !r->own) || r->first == 0)
			continue;
		if (r->first <= when && when <= r->last && (in == NULL || r->first > in->first))
			in = r;
		if (r->last < when && (before == NULL || r->last > before->last))
			before = r;
		if (early == NULL || r->first < early->first)
			early = r;
	}
	if (in == NULL)
		in = before ? before : early;
	snprintf(tl->pick, sizeof(tl->pick), "%s", in ? in->key : "");
	return tl->pick;
}

int tlsrpt_db_claim(struct store *st, const struct tlsrpt_report *r, const char *rua,
		    const char *owner, long long now, long long stale, struct errbuf *why)
{
	struct store_tlsrpt_val ins[] = { TV_S(r->domain), TV_S(r->day), TV_S(rua),
					  TV_S(r->report_id), TV_S(owner), TV_I(now) };
	struct store_tlsrpt_val upd[] = { TV_S(owner), TV_I(now), TV_S(r->domain),
					  TV_S(r->day), TV_S(rua), TV_I(now - stale) };
	long long changed = 0;

	if (store_tlsrpt_exec(st, SENT, "claim the report",
			      "INSERT OR IGNORE INTO tlspolicy_tlsrpt_sent (domain, day, rua, "
			      "report_id, state, owner, updated, detail) "
			      "VALUES (?, ?, ?, ?, 'claimed', ?, ?, '')",
			      "INSERT IGNORE INTO tlspolicy_tlsrpt_sent (domain, day, rua, "
			      "report_id, state, owner, updated, detail) "
			      "VALUES (?, ?, ?, ?, 'claimed', ?, ?, '')",
			      ins, 6, 0, NULL, NULL, &changed, why) < 0)
		return -1;
	if (changed == 1)
		return 1;
	/* a failed attempt, or a claim whose owner died */
	if (store_tlsrpt_exec(st, SENT, "claim the report",
			      "UPDATE tlspolicy_tlsrpt_sent SET state = 'claimed', owner = ?, "
			      "updated = ? WHERE domain = ? AND day = ? AND rua = ? AND "
			      "(state = 'failed' OR (state = 'claimed' AND updated < ?))",
			      NULL, upd, 6, 0, NULL, NULL, &changed, why) < 0)
		return -1;
	return changed == 1;
}

int tlsrpt_db_mark(struct store *st, const struct tlsrpt_report *r, const char *rua,
		   const char *owner, const char *state, const char *detail, long long now,
		   struct errbuf *why)
{
	char d[STORE_TLSRPT_DETAIL_MAX + 1];
	struct store_tlsrpt_val v[] = { TV_S(state), TV_I(now), TV_S(d), TV_S(r->domain),
					TV_S(r->day), TV_S(rua), TV_S(owner) };

	snprintf(d, sizeof(d), "%s", detail ? detail : "");
	return store_tlsrpt_exec(st, SENT, "record the report",
				 "UPDATE tlspolicy_tlsrpt_sent SET state = ?, updated = ?, "
				 "detail = ? WHERE domain = ? AND day = ? AND rua = ? AND owner = ?",
				 NULL, v, 7, 0, NULL, NULL, NULL, why);
}

int tlsrpt_db_sent_list(struct store *st, int (*fn)(void *, char *const *, int), void *arg,
			struct errbuf *why)
{
	return store_tlsrpt_exec(st, SENT, "list sent reports",
				 "SELECT domain, day, rua, report_id, state, owner, updated, detail "
				 "FROM tlspolicy_tlsrpt_sent ORDER BY day, domain, rua",
				 NULL, NULL, 0, 8, fn, arg, NULL, why);
}

int tlsrpt_db_purge(struct store *st, const char *day, long long *deleted,
		    struct errbuf *why)
{
	static const struct {
		const char *table, *sql;
	} del[] = {
		{ SESS, "DELETE FROM tlspolicy_tlsrpt_sessions WHERE day < ?" },
		{ POL, "DELETE FROM tlspolicy_tlsrpt_policies WHERE day < ?" },
		{ SENT, "DELETE FROM tlspolicy_tlsrpt_sent WHERE day < ?" },
	};
	struct store_tlsrpt_val v[] = { TV_S(day) };
	long long n, total = 0;

	for (size_t i = 0; i < sizeof(del) / sizeof(del[0]); i++) {
		if (store_tlsrpt_exec(st, del[i].table, "purge old days", del[i].sql, NULL, v, 1, 0,
				      NULL, NULL, &n, why) < 0)
			return -1;
		total += n;
	}
	if (deleted)
		*deleted = total;
	return 0;
}

/* ---- received reports ------------------------------------------------- */

static int exists_row(void *arg, char *const *c, int n)
{
	(void)c;
	(void)n;
	*(int *)arg = 1;
	return 0;
}

static int rx_row(struct store *st, const struct tlsrpt_rx *rx, int row,
		  const struct tlsrpt_rx_policy *p, const char *result, const char *mx,
		  const char *rip, const char *sip, unsigned long long count, long long now,
		  struct errbuf *why)
{
	struct store_tlsrpt_val v[] = {
		TV_S(rx->organization), TV_S(rx->report_id), TV_I(row), TV_S(rx->contact),
		TV_I(rx->start), TV_I(rx->end), TV_S(p->domain), TV_S(p->type), TV_S(p->mx),
		TV_S(result), TV_S(mx), TV_S(rip), TV_S(sip), TV_I((long long)count), TV_I(now)
	};

	return store_tlsrpt_exec(st, STORE_TLSRPT_RECEIVED, "store the received report",
				 "INSERT INTO tlspolicy_tlsrpt_received (organization, report_id, "
				 "seq, contact, start_time, end_time, policy_domain, policy_type, "
				 "mx_host, result, receiving_mx, receiving_ip, sending_ip, count, "
				 "received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				 NULL, v, 15, 0, NULL, NULL, NULL, why);
}

int tlsrpt_db_add_received(struct store *st, const struct tlsrpt_rx *rx, long long now,
			   struct errbuf *why)
{
	struct store_tlsrpt_val k[] = { TV_S(rx->organization), TV_S(rx->report_id) };
	int exists = 0, row = 0;

	if (store_tlsrpt_begin(st, why) < 0)
		return -1;
	if (store_tlsrpt_exec(st, STORE_TLSRPT_RECEIVED, "look up the received report",
			      "SELECT 1 FROM tlspolicy_tlsrpt_received WHERE organization = ? "
			      "AND report_id = ? LIMIT 1", NULL, k, 2, 1, exists_row, &exists,
			      NULL, why) < 0)
		goto fail;
	if (exists) {
		store_tlsrpt_rollback(st);
		return 0;
	}
	for (size_t i = 0; i < rx->npolicies; i++) {
		const struct tlsrpt_rx_policy *p = &rx->policies[i];

		if (rx_row(st, rx, row++, p, "success", "", "", "", p->ok, now, why) < 0)
			goto fail;
		for (size_t d = 0; d < p->ndetails; d++) {
			const struct tlsrpt_rx_detail *x = &p->details[d];

			if (rx_row(st, rx, row++, p, x->result, x->receiving_mx, x->receiving_ip,
				   x->sending_ip, x->count, now, why) < 0)
				goto fail;
		}
	}
	if (store_tlsrpt_commit(st, why) < 0)
		goto fail;
	return 1;
fail:
	store_tlsrpt_rollback(st);
	return -1;
}

int tlsrpt_db_received_summary(struct store *st, long long since,
			       int (*fn)(void *, char *const *, int), void *arg,
			       struct errbuf *why)
{
	struct store_tlsrpt_val v[] = { TV_I(since) };

	return store_tlsrpt_exec(
		st, STORE_TLSRPT_RECEIVED, "summarise received reports",
		"SELECT lower(policy_domain), CASE WHEN receiving_mx <> '' THEN receiving_mx "
		"ELSE mx_host END AS mx, result, SUM(count), COUNT(DISTINCT organization), "
		"MIN(start_time), MAX(end_time) FROM tlspolicy_tlsrpt_received "
		"WHERE end_time >= ? GROUP BY lower(policy_domain), mx, result "
		"ORDER BY lower(policy_domain), mx, result",
		NULL, v, 1, 7, fn, arg, NULL, why);
}

struct rx_totals {
	unsigned long long reports;
	long long last;
};

static int rx_totals_row(void *arg, char *const *c, int n)
{
	struct rx_totals *t = arg;

	(void)n;
	t->reports = strtoull(c[0], NULL, 10);
	t->last = strtoll(c[1], NULL, 10);
	return 0;
}

int tlsrpt_db_received_domain(struct store *st, const char *domain, long long since,
			      int (*fn)(void *, char *const *, int), void *arg,
			      unsigned long long *reports, long long *last_end,
			      struct errbuf *why)
{
	struct store_tlsrpt_val v[] = { TV_S(domain), TV_I(since) };
	struct rx_totals t = { 0, 0 };

	*reports = 0;
	*last_end = 0;
	if (store_tlsrpt_exec(
		    st, STORE_TLSRPT_RECEIVED, "summarise received reports",
		    "SELECT CASE WHEN receiving_mx <> '' THEN lower(receiving_mx) ELSE "
		    "lower(mx_host) END AS mx, result, organization, SUM(count) FROM "
		    "tlspolicy_tlsrpt_received WHERE lower(policy_domain) = lower(?) AND "
		    "end_time >= ? GROUP BY mx, result, organization "
		    "ORDER BY mx, result, organization",
		    NULL, v, 2, 4, fn, arg, NULL, why) < 0)
		return -1;
	if (store_tlsrpt_exec(
		    st, STORE_TLSRPT_RECEIVED, "summarise received reports",
		    "SELECT COUNT(DISTINCT organization || char(10) || report_id), MAX(end_time) "
		    "FROM tlspolicy_tlsrpt_received WHERE lower(policy_domain) = lower(?) AND "
		    "end_time >= ?",
		    "SELECT COUNT(DISTINCT organization, report_id), MAX(end_time) FROM "
		    "tlspolicy_tlsrpt_received WHERE lower(policy_domain) = lower(?) AND "
		    "end_time >= ?",
		    v, 2, 2, rx_totals_row, &t, NULL, why) < 0)
		return -1;
	*reports = t.reports;
	*last_end = t.last;
	return 0;
}
