/* SPDX-License-Identifier: MIT */
/*
 * test_sts_store - the MTA-STS cache persisted in a real SQLite
 * database (tlspolicy_sts): the writer thread applies saves and
 * removals in order, a failing database is survived and counted, and
 * loading the rows into a new cache answers without any network I/O
 * (the daemon restarted while the policy hosts are down).
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

#include <event2/event.h>
#include <time.h>

#include "dns/dns.h"
#include "dns/replay.h"
#include "mtasts/sts.h"
#include "mtasts/sts_store.h"
#include "store/store.h"
#include "store/store_sts.h"
#include "util/config.h"
#include "util/worker.h"

#define NOW 1700000000

static char dir[64], url[600];
static int is_mysql;
static struct event_base *base;
static struct worker *wk;

static time_t t_now(void *ctx)
{
	(void)ctx;
	return NOW;
}

static void *t_no_io(void *ctx, const char *domain, void *op)
{
	(void)ctx;
	(void)op;
	fail_msg("no I/O expected (asked for %s)", domain);
	return NULL;
}

static void t_cancel(void *ctx, void *h)
{
	(void)ctx;
	(void)h;
}

static struct sts_cache *offline_cache(void)
{
	struct sts_cache_opts o = { 3600, 4, { 0, 1, 307 } };
	struct sts_io io = { 0 };

	io.now = t_now;
	io.txt_start = t_no_io;
	io.txt_cancel = t_cancel;
	io.fetch_start = t_no_io;
	io.fetch_cancel = t_cancel;
	return sts_cache_new(&o, &io);
}

struct got {
	int called;
	enum source_verdict v;
	char text[512];
};

static void done_cb(void *arg, const struct source_result *r)
{
	struct got *g = arg;

	g->called++;
	g->v = r->verdict;
	snprintf(g->text, sizeof(g->text), "%s", r->policy_text ? r->policy_text : "");
}

static int setup(void **state)
{
	struct store *st;
	struct errbuf why;
	int created;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tlspolicy-sts-store.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	if (!is_mysql)
		snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	if (store_open_ex(url, STORE_OPEN_CREATE, &st, &why) < 0 || store_init(st, &created, &why) < 0) {
		fprintf(stderr, "%s\n", why.msg);
		return -1;
	}
	store_close(st);
	if ((base = event_base_new()) == NULL || (wk = worker_new(base, "test", 100000, &why)) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char path[160];

	(void)state;
	worker_free(wk);
	event_base_free(base);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

#define ENF(mx, age) "version: STSv1\nmode: enforce\nmx: " mx "\nmax_age: " age "\n"

static void save(struct sts_persist *p, const char *domain, const char *id,
		 const char *text, time_t fetched, time_t expires)
{
	struct sts_record r = { 0 };

	r.domain = domain;
	r.id = id;
	r.policy_text = text;
	r.fetched = fetched;
	r.expires = expires;
	p->save(p->ctx, &r);
}

/* After a sync: the store's counters of writes made, removed, failed
 * (-1: not checked) and batches (-1: not checked). */
static void sync_expect(struct sts_store *s, long puts, long deletes, long failed,
			long batches)
{
	struct sts_store_stats stt;

	sts_store_sync(s);
	sts_store_stats(s, &stt);
	if (puts >= 0)
		assert_int_equal(stt.puts, puts);
	if (deletes >= 0)
		assert_int_equal(stt.deletes, deletes);
	if (failed >= 0)
		assert_int_equal(stt.failed, failed);
	if (batches >= 0)
		assert_int_equal(stt.batches, batches);
}

static void test_write_and_load(void **state)
{
	struct sts_store *s;
	struct sts_persist p;
	struct store *st;
	struct store_sts_row row;
	struct errbuf why;
	struct sts_cache *c;
	struct got g;
	size_t loaded, skipped;

	(void)state;
	assert_non_null(s = sts_store_new(url, wk, &why));
	sts_store_persist(s, &p);
	save(&p, "a.example", "id1", ENF("mx.a.example", "86400"), NOW - 100, NOW - 100 + 86400);
	save(&p, "a.example", "id2", ENF("*.a.example", "86400"), NOW - 50, NOW - 50 + 86400);
	save(&p, "b.example", "b1", ENF("mx.b.example", "600"), NOW - 1000, NOW - 400);  /* expired */
	save(&p, "c.example", "c1", "not a policy", NOW, NOW + 600);                   /* invalid */
	save(&p, "d.example", "d1", ENF("mx.d.example", "86400"), NOW, NOW + 86400);
	p.remove(p.ctx, "d.example", 0);
	p.remove(p.ctx, "never.example", 0);
	sync_expect(s, 5, 2, 0, -1);
	sts_store_free(s);

	assert_int_equal(store_open(url, &st, &why), 0);
	assert_int_equal(store_sts_get(st, "a.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "id2");   /* in order: the last save */
	assert_int_equal(row.fetched, NOW - 50);
	store_sts_row_free(&row);
	assert_int_equal(store_sts_get(st, "d.example", &row, &why), 0);

	/* a new cache (the daemon restarted): answers from the rows, no I/O */
	assert_non_null(c = offline_cache());
	assert_int_equal(sts_store_load(st, c, &loaded, &skipped, &why), 0);
	assert_int_equal(loaded, 1);
	assert_int_equal(skipped, 2);
	store_close(st);
	memset(&g, 0, sizeof(g));
	assert_null(sts_cache_lookup(c, "a.example", done_cb, &g));
	assert_int_equal(g.called, 1);
	assert_int_equal(g.v, SOURCE_APPLIES);
	assert_string_equal(g.text, "secure match=.a.example servername=hostname");
	sts_cache_free(c);
}

/*
 * Issue 20 item 2: the writes go in batches, one transaction each.  The
 * loop does not run the worker's completions here, so the first save
 * goes alone and the next ones collect behind it; the sync hands them
 * over as one batch.  A row the store refuses (an id with a dash)
 * costs only itself: its batch is rolled back and made again write by
 * write.
 */
static void test_batches(void **state)
{
	struct sts_store *s;
	struct sts_persist p;
	struct store *st;
	struct store_sts_row row;
	struct errbuf why;
	char dom[64];

	(void)state;
	assert_non_null(s = sts_store_new(url, wk, &why));
	sts_store_persist(s, &p);
	for (int i = 0; i < 300; i++) {
		snprintf(dom, sizeof(dom), "b%d.batch.example", i);
		save(&p, dom, "b1", ENF("mx.a.example", "86400"), NOW, NOW + 86400);
	}
	p.remove(p.ctx, "b7.batch.example", 0);
	sync_expect(s, 300, 1, 0, 2);   /* batches: b0 alone, then the other 300 writes */

	save(&p, "ok1.batch.example", "k1", ENF("mx.a.example", "86400"), NOW, NOW + 86400);
	save(&p, "ok2.batch.example", "k2", ENF("mx.a.example", "86400"), NOW, NOW + 86400);
	save(&p, "bad.batch.example", "bad-id", ENF("mx.a.example", "86400"), NOW, NOW + 86400);
	save(&p, "ok3.batch.example", "k3", ENF("mx.a.example", "86400"), NOW, NOW + 86400);
	sync_expect(s, 303, -1, 1, 4);
	sts_store_free(s);

	assert_int_equal(store_open(url, &st, &why), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(dom, sizeof(dom), "b%d.batch.example", i);
		assert_int_equal(store_sts_get(st, dom, &row, &why), i == 7 ? 0 : 1);
		store_sts_row_free(&row);
		if (i != 7)
			assert_int_equal(store_sts_delete(st, dom, &why), 1);
	}
	assert_int_equal(store_sts_get(st, "ok2.batch.example", &row, &why), 1);
	store_sts_row_free(&row);
	assert_int_equal(store_sts_get(st, "ok3.batch.example", &row, &why), 1);
	store_sts_row_free(&row);
	assert_int_equal(store_sts_get(st, "bad.batch.example", &row, &why), 0);
	for (int i = 1; i <= 3; i++) {
		snprintf(dom, sizeof(dom), "ok%d.batch.example", i);
		assert_int_equal(store_sts_delete(st, dom, &why), 1);
	}
	store_close(st);
}

/* A database that cannot be written: counted, logged, survived. */
static void test_failing_database(void **state)
{
	struct sts_store *s;
	struct sts_persist p;
	struct sts_store_stats stt;
	struct errbuf why;

	char file[160], bad[200];
	FILE *fp;

	(void)state;
	/* a directory that cannot exist: a regular file is in the way */
	snprintf(file, sizeof(file), "%s/file", dir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	snprintf(bad, sizeof(bad), "sqlite:%s/x/y.db", file);
	assert_non_null(s = sts_store_new(bad, wk, &why));
	sts_store_persist(s, &p);
	save(&p, "a.example", "id1", ENF("mx.a.example", "60"), NOW, NOW + 60);
	p.remove(p.ctx, "a.example", 0);
	sts_store_sync(s);
	sts_store_stats(s, &stt);
	assert_int_equal(stt.failed, 2);
	assert_int_equal(stt.puts + stt.deletes, 0);
	sts_store_free(s);
	unlink(file);
}

/* Expired rows go away (issue 11 item 4: store_sts_purge existed in
 * both backends and was never called): sts_store_purge() as the purge
 * timer of sts.c calls it. */
static void test_purge(void **state)
{
	struct sts_store *s;
	struct sts_persist p;
	struct sts_store_stats stt;
	struct store *st;
	struct store_sts_row row;
	struct errbuf why;
	unsigned long long base_purged;

	(void)state;
	assert_non_null(s = sts_store_new(url, wk, &why));
	sts_store_persist(s, &p);
	/* what earlier tests left expired goes first */
	sts_store_purge(s, NOW);
	sts_store_sync(s);
	sts_store_stats(s, &stt);
	assert_int_equal(stt.purges, 1);
	base_purged = stt.purged;
	save(&p, "old1.purge.example", "o1", ENF("mx.a.example", "60"), NOW - 200, NOW - 100);
	save(&p, "old2.purge.example", "o2", ENF("mx.a.example", "60"), NOW - 61, NOW - 1);
	save(&p, "keep.purge.example", "k1", ENF("mx.a.example", "600"), NOW - 100, NOW + 500);
	sts_store_purge(s, NOW);
	sts_store_sync(s);
	sts_store_stats(s, &stt);
	assert_int_equal(stt.purges, 2);
	assert_int_equal(stt.purged - base_purged, 2);
	assert_int_equal(stt.failed, 0);
	sts_store_free(s);
	assert_int_equal(store_open(url, &st, &why), 0);
	assert_int_equal(store_sts_get(st, "old1.purge.example", &row, &why), 0);
	assert_int_equal(store_sts_get(st, "old2.purge.example", &row, &why), 0);
	assert_int_equal(store_sts_get(st, "keep.purge.example", &row, &why), 1);
	store_sts_row_free(&row);
	assert_int_equal(store_sts_delete(st, "keep.purge.example", &why), 1);
	store_close(st);
}

/* The daemon's set-up purges at start (and every STS_PURGE_INTERVAL). */
static void test_service_purges_at_start(void **state)
{
	struct store *st;
	struct store_sts_row row = { "gone.purge.example", "g1",
				     ENF("mx.a.example", "60"), 1000, 2000 };
	struct store_sts_row keep = { "kept.purge.example", "k1",
				      ENF("mx.a.example", "86400"), 0, 0 };
	struct errbuf why;
	struct config *cfg = config_new();
	struct replay *r = replay_parse("", 0, "empty", &why);
	struct dns *dns;
	struct sts *sts;

	(void)state;
	keep.fetched = (long long)time(NULL);
	keep.expires = keep.fetched + 86400;
	assert_non_null(cfg);
	assert_non_null(r);
	assert_non_null(dns = dns_new_replay(base, r));
	assert_int_equal(store_open(url, &st, &why), 0);
	assert_int_equal(store_sts_put(st, &row, &why), 0);
	assert_int_equal(store_sts_put(st, &keep, &why), 0);
	if (sts_service_new(base, cfg, dns, wk, url, STS_PERSIST_LOAD | STS_PERSIST_SAVE,
			    &sts, &why) < 0)
		fail_msg("sts_service_new: %s", why.msg);
	worker_sync(wk);
	assert_int_equal(store_sts_get(st, "gone.purge.example", &row, &why), 0);
	assert_int_equal(store_sts_get(st, "kept.purge.example", &row, &why), 1);
	store_sts_row_free(&row);
	assert_int_equal(store_sts_delete(st, "kept.purge.example", &why), 1);
	store_close(st);
	sts_free(sts);
	dns_free(dns);
	config_free(cfg);
}

/* ---- sharing with another daemon (issue 14) ---------------------------- */

struct share_got {
	int called, result;
	char id[40], holder[300];
};

static void share_cb(void *arg, int result, const struct sts_record *rec,
		     const char *holder)
{
	struct share_got *g = arg;

	g->called++;
	g->result = result;
	snprintf(g->id, sizeof(g->id), "%s", rec ? rec->id : "");
	snprintf(g->holder, sizeof(g->holder), "%s", holder ? holder : "");
}

static void share(struct sts_store *s, const char *domain, const char *id,
		  struct share_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_non_null(sts_store_share(s, domain, id, 3600, 13, share_cb, g));
	sts_store_sync(s);
	assert_int_equal(g->called, 1);
}

static int find_id(const struct sts_record *r, void *arg)
{
	char *out = arg;

	if (strcmp(r->domain, "sh-kept.example") == 0)
		snprintf(out, 40, "%s", r->id);
	return 0;
}

/* Two writers ("two daemons") on one database: an older fetch saved
 * late never replaces a newer row, and the cache takes the newer row
 * instead; a removal keeps a row fetched after what it forgets; the
 * shared lookup answers from a fresh row, else hands out the lease to
 * one of them and makes the other wait, then answers it from the row. */
static void test_shared_writers(void **state)
{
	struct sts_store *s1, *s2;
	struct sts_persist p1, p2;
	struct sts_store_stats stt;
	struct sts_cache *c = offline_cache();
	struct store *st;
	struct store_sts_row row;
	struct share_got g;
	struct errbuf why;
	char id[40] = "";
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(store_open(url, &st, &why), 0);
	assert_int_equal(store_sts_lease_init(st, NULL, &why), 0);
	/* MariaDB: the test database outlives a run */
	store_sts_delete(st, "sh-kept.example", &why);
	store_sts_delete(st, "sh-lease.example", &why);
	store_sts_delete(st, "sh-cancel.example", &why);
	assert_int_equal(store_sts_lease_purge(st, 1LL << 62, NULL, &why), 0);
	assert_non_null(s1 = sts_store_new(url, wk, &why));
	assert_non_null(s2 = sts_store_new(url, wk, &why));
	assert_string_not_equal(sts_store_owner(s1), sts_store_owner(s2));
	sts_store_persist(s1, &p1);
	sts_store_persist(s2, &p2);
	sts_store_set_cache(s2, c);

	/* s1 saves the newer fetch; s2's older one, of the old id, comes late */
	save(&p1, "sh-kept.example", "new2", ENF("mx.new.example", "86400"), NOW, NOW + 86400);
	sts_store_sync(s1);
	save(&p2, "sh-kept.example", "old1", ENF("mx.old.example", "86400"), NOW - 60, NOW - 60 + 86400);
	sts_store_sync(s2);
	sts_store_stats(s2, &stt);
	assert_int_equal(stt.kept, 1);
	assert_int_equal(stt.puts, 0);
	assert_int_equal(store_sts_get(st, "sh-kept.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "new2");
	store_sts_row_free(&row);
	sts_cache_walk(c, find_id, id);
	assert_string_equal(id, "new2");   /* the newer row, read back */

	/* s2 forgets what it fetched at NOW - 60: s1's row of NOW stays */
	p2.remove(p2.ctx, "sh-kept.example", NOW - 60);
	sts_store_sync(s2);
	assert_int_equal(store_sts_get(st, "sh-kept.example", &row, &why), 1);
	store_sts_row_free(&row);
	p2.remove(p2.ctx, "sh-kept.example", NOW);
	sts_store_sync(s2);
	assert_int_equal(store_sts_get(st, "sh-kept.example", &row, &why), 0);

	/* nobody has it: s1 gets the lease, s2 waits (told who holds it) */
	share(s1, "sh-lease.example", "l1", &g);
	assert_int_equal(g.result, STS_SHARED_LEASED);
	share(s2, "sh-lease.example", "l1", &g);
	assert_int_equal(g.result, STS_SHARE_WAIT);
	assert_string_equal(g.holder, sts_store_owner(s1));
	/* s1's fetch is saved (which ends its lease): s2 reads it */
	save(&p1, "sh-lease.example", "l1", ENF("mx.l.example", "86400"), now, now + 86400);
	sts_store_sync(s1);
	share(s2, "sh-lease.example", "l1", &g);
	assert_int_equal(g.result, STS_SHARED_USE);
	assert_string_equal(g.id, "l1");
	/* another id in the TXT record: the row does not answer for it */
	share(s2, "sh-lease.example", "l2", &g);
	assert_int_equal(g.result, STS_SHARED_LEASED);
	/* a failed fetch releases the lease: s1 may take it */
	sts_store_release(s2, "sh-lease.example");
	sts_store_sync(s2);
	share(s1, "sh-lease.example", "l2", &g);
	assert_int_equal(g.result, STS_SHARED_LEASED);
	sts_store_release(s1, "sh-lease.example");
	sts_store_sync(s1);
	/* a cancelled request calls nothing and keeps no lease */
	memset(&g, 0, sizeof(g));
	sts_store_share_cancel(sts_store_share(s1, "sh-cancel.example", "x", 3600, 13,
					       share_cb, &g));
	sts_store_sync(s1);
	sts_store_sync(s1);   /* the release it queued */
	assert_int_equal(g.called, 0);
	share(s2, "sh-cancel.example", "x", &g);
	assert_int_equal(g.result, STS_SHARED_LEASED);

	sts_store_stats(s1, &stt);
	assert_int_equal(stt.share_failed, 0);
	assert_int_equal(stt.share_leased, 3);
	store_close(st);
	sts_store_free(s2);
	sts_store_free(s1);
	sts_cache_free(c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_load),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_failing_database),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_service_purges_at_start),
		cmocka_unit_test(test_shared_writers),
	};
	const struct CMUnitTest mysql_tests[] = {
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_service_purges_at_start),
		cmocka_unit_test(test_shared_writers),
	};
	const char *env;

	if (argc == 2 && strcmp(argv[1], "mysql") == 0) {
		/* the MariaDB server of tests/lib/mariadb-start */
		env = getenv("TLSPOLICY_TEST_MYSQL_URL");
		if (env == NULL || *env == '\0') {
			printf("TLSPOLICY_TEST_MYSQL_URL not set (run tests/lib/mariadb-start)\n");
			return getenv("CI") && *getenv("CI") ? 1 : 77;
		}
		is_mysql = 1;
		snprintf(url, sizeof(url), "%s", env);
		return cmocka_run_group_tests_name("sts_store mysql", mysql_tests, setup, teardown);
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
