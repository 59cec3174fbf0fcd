/* SPDX-License-Identifier: MIT */
/*
 * test_server.c - the socketmap server in-process, on a unix socket,
 * with an engine over a real SQLite table and a test double of our own
 * discovery-source interface that answers when the test says so:
 * pipelined replies stay in order while an earlier request waits for
 * discovery, PERM replies keep their place, map names, half-close, and
 * a client that disconnects with lookups in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/engine.h"
#include "server/listener.h"
#include "server/server.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"

#define TEST_DIR "/tmp/tlspolicy-server-test"

struct slow {
	source_done_fn done;
	void *arg;
	char domain[256];
	int calls, cancels;
};

static void *slow_discover(void *ctx, const char *domain, source_done_fn done,
			   void *arg)
{
	struct slow *s = ctx;
	struct source_result r = { SOURCE_NOT_APPLICABLE, NULL, NULL, 300, 0, NULL, NULL };

	s->calls++;
	if (strncmp(domain, "slow", 4) != 0) {
		done(arg, &r);
		return NULL;
	}
	assert_null(s->done);
	s->done = done;
	s->arg = arg;
	snprintf(s->domain, sizeof(s->domain), "%s", domain);
	return s;
}

static void slow_cancel(void *ctx, void *h)
{
	struct slow *s = ctx;

	assert_ptr_equal(h, s);
	s->done = NULL;
	s->cancels++;
}

static void slow_finish(struct slow *s, const char *text)
{
	struct source_result r = { SOURCE_APPLIES, text, NULL, 300, 0, NULL, NULL };
	source_done_fn done = s->done;

	assert_non_null(done);
	s->done = NULL;
	done(s->arg, &r);
}

struct fx {
	char dbpath[256], url[300], sock[100];
	struct config *cfg;
	struct event_base *base;
	struct engine *eng;
	struct server *srv;
	struct slow slow;
};

static int fx_setup_cap(void **state, const char *map_names, const char *max_conns)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct listener_set set;
	struct listener_unix_opts uo;
	struct store *st;
	struct errbuf why;
	struct engine_source src;
	int created;

	errbuf_clear(&why);
	mkdir(TEST_DIR, 0755);
	snprintf(fx->dbpath, sizeof(fx->dbpath), TEST_DIR "/server-%ld.db", (long)getpid());
	snprintf(fx->url, sizeof(fx->url), "sqlite:%s", fx->dbpath);
	snprintf(fx->sock, sizeof(fx->sock), TEST_DIR "/server-%ld.sock", (long)getpid());
	unlink(fx->dbpath);
	if (store_open_ex(fx->url, STORE_OPEN_CREATE, &st, &why) < 0 || store_init(st, &created, &why) < 0 ||
	    store_put(st, "example.com", "secure", NULL, NULL, &why) < 0 ||
	    store_put(st, "_default", "may", NULL, NULL, &why) < 0)
		fail_msg("store: %s", why.msg);
	store_close(st);
	fx->cfg = config_new();
	config_set(fx->cfg, "reload_interval", "0", NULL);
	config_set(fx->cfg, "lookup_deadline", "60s", NULL);
	if (map_names)
		assert_int_equal(config_set(fx->cfg, "map_names", map_names, NULL), 0);
	if (max_conns)
		assert_int_equal(config_set(fx->cfg, "max_connections", max_conns, NULL), 0);
	fx->base = event_base_new();
	if ((fx->eng = engine_new(fx->base, fx->cfg, fx->url, &why)) == NULL)
		fail_msg("engine: %s", why.msg);
	src = (struct engine_source){ "dane", ANSWER_DANE, &fx->slow, slow_discover,
				      slow_cancel };
	assert_int_equal(engine_add_source(fx->eng, &src), 0);
	memset(&set, 0, sizeof(set));
	assert_int_equal(listener_unix_opts_parse("0600", "", &uo, &why), 0);
	char spec[300];
	snprintf(spec, sizeof(spec), "unix:%s", fx->sock);
	if (listener_open(&set, spec, &uo, &why) < 0)
		fail_msg("listen: %s", why.msg);
	if ((fx->srv = server_new(fx->base, fx->eng, fx->cfg, &set, &why)) == NULL)
		fail_msg("server: %s", why.msg);
	*state = fx;
	return 0;
}

static int setup(void **state) { return fx_setup_cap(state, NULL, NULL); }
static int setup_names(void **state) { return fx_setup_cap(state, "tlspolicy, other", NULL); }
static int setup_cap2(void **state) { return fx_setup_cap(state, NULL, "2"); }
static int setup_cap1(void **state) { return fx_setup_cap(state, NULL, "1"); }

static int teardown(void **state)
{
	struct fx *fx = *state;

	server_free(fx->srv);
	engine_free(fx->eng);
	event_base_free(fx->base);
	config_free(fx->cfg);
	unlink(fx->dbpath);
	assert_int_equal(access(fx->sock, F_OK), -1); /* socket file removed */
	free(fx);
	return 0;
}

static int client(struct fx *fx)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(fx->sock) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, fx->sock, strlen(fx->sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* Runs the loop for a while and collects what the client received. */
static size_t pump_for(struct fx *fx, int fd, char *out, size_t outlen,
		       size_t *have, size_t want, int *eof, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (*have >= want || (t.tv_sec - t0.tv_sec) * 1000 +
					     (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			break;
		ssize_t n;

		event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		n = recv(fd, out + *have, outlen - 1 - *have, 0);
		if (n > 0)
			*have += (size_t)n;
		else if (n == 0) {
			if (eof)
				*eof = 1;
			break;
		} else
			usleep(1000);
	}
	out[*have] = '\0';
	return *have;
}

/* Waits up to 5 s for want bytes. */
static size_t pump(struct fx *fx, int fd, char *out, size_t outlen, size_t *have,
		   size_t want, int *eof)
{
	return pump_for(fx, fd, out, outlen, have, want, eof, 5000);
}

/* Runs the loop 300 ms: nothing may arrive. */
static void pump_nothing(struct fx *fx, int fd, char *out, size_t outlen, size_t *have)
{
	pump_for(fx, fd, out, outlen, have, 1, NULL, 300);
	assert_int_equal(*have, 0);
}

static void test_pipelined_order(void **state)
{
	struct fx *fx = *state;
	char buf[1024];
	size_t have = 0;
	int fd = client(fx);
	const char *want = "7:OK dane,9:OK secure,6:OK may,"
			   "43:PERM malformed request: expected \"NAME KEY\",7:OK dane,";

	/* slow (discovery), table hit, source says not applicable, a bad
	 * request, and slow again (coalesced with the first) -- in one write */
	send_all(fd, "19:tlspolicy slow.test,21:tlspolicy example.com,"
		     "22:tlspolicy nothing.test,7:garbage,19:tlspolicy slow.test,");
	pump_nothing(fx, fd, buf, sizeof(buf), &have);
	assert_int_equal(fx->slow.calls, 2);  /* slow.test once, nothing.test */
	slow_finish(&fx->slow, "dane");
	pump(fx, fd, buf, sizeof(buf), &have, strlen(want), NULL);
	assert_string_equal(buf, want);

	/* the connection goes on: table hits answered at once */
	have = 0;
	send_all(fd, "21:tlspolicy example.com,");
	pump(fx, fd, buf, sizeof(buf), &have, 12, NULL);
	assert_string_equal(buf, "9:OK secure,");
	close(fd);
	for (int i = 0; i < 10; i++)
		event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	{
		struct server_stats ss;

		server_stats(fx->srv, &ss);
		assert_int_equal(ss.connections, 0);
		assert_int_equal(ss.requests, 6);
		assert_int_equal(ss.perm_replies, 1);
	}
}

static void test_disconnect_in_flight(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int fd = client(fx), fd2;

	send_all(fd, "20:tlspolicy slow2.test,21:tlspolicy example.com,");
	pump_nothing(fx, fd, buf, sizeof(buf), &have);
	close(fd);
	for (int i = 0; i < 20; i++)
		event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	/* the discovery goes on for the cache; the answer goes nowhere */
	slow_finish(&fx->slow, "dane-only");
	fd2 = client(fx);
	send_all(fd2, "20:tlspolicy slow2.test,");
	pump(fx, fd2, buf, sizeof(buf), &have, 16, NULL);
	assert_string_equal(buf, "12:OK dane-only,");
	close(fd2);
}

static void test_half_close(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int fd = client(fx), eof = 0;

	send_all(fd, "20:tlspolicy slow3.test,21:tlspolicy example.com,");
	shutdown(fd, SHUT_WR);
	pump_nothing(fx, fd, buf, sizeof(buf), &have);
	slow_finish(&fx->slow, "dane");
	pump(fx, fd, buf, sizeof(buf), &have, 100, &eof);
	assert_string_equal(buf, "7:OK dane,9:OK secure,");
	assert_true(eof);                     /* closed after the replies */
	close(fd);
}

static void test_map_names(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int fd = client(fx);
	const char *want = "9:OK secure,9:OK secure,21:PERM unknown map nope,";

	send_all(fd, "21:tlspolicy example.com,17:other example.com,"
		     "16:nope example.com,");
	pump(fx, fd, buf, sizeof(buf), &have, strlen(want), NULL);
	assert_string_equal(buf, want);
	close(fd);
}

static void test_malformed_closes(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int fd = client(fx), eof = 0;

	/* a good request, then a broken netstring: reply, then close */
	send_all(fd, "21:tlspolicy example.com,x:");
	pump(fx, fd, buf, sizeof(buf), &have, 100, &eof);
	assert_string_equal(buf, "9:OK secure,");
	assert_true(eof);
	close(fd);
}

static void test_shutdown_drains(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int fd = client(fx), idle = client(fx), eof = 0;

	send_all(fd, "20:tlspolicy slow4.test,");
	pump_nothing(fx, fd, buf, sizeof(buf), &have);
	server_shutdown(fx->srv, NULL, NULL);
	/* the idle client is closed at once, the busy one gets its reply */
	for (int i = 0; i < 20; i++)
		event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(recv(idle, buf, sizeof(buf), 0), 0);
	slow_finish(&fx->slow, "dane");
	pump(fx, fd, buf, sizeof(buf), &have, 100, &eof);
	assert_string_equal(buf, "7:OK dane,");
	assert_true(eof);
	close(fd);
	close(idle);
}

/* Runs the loop a little (accepts, closes). */
static void spin(struct fx *fx)
{
	for (int i = 0; i < 20; i++) {
		event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* At max_connections (2) a new client closes the connection idle
 * longest - by last activity, not by age - and is served. */
static void test_cap_closes_idle_longest(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int a = client(fx), b, c, eof = 0;
	struct server_stats ss;

	spin(fx);
	b = client(fx);
	spin(fx);
	/* a (the older) is used now: b becomes the one idle longest */
	send_all(a, "21:tlspolicy example.com,");
	pump(fx, a, buf, sizeof(buf), &have, 12, NULL);
	assert_string_equal(buf, "9:OK secure,");
	c = client(fx);
	spin(fx);
	have = 0;
	pump(fx, b, buf, sizeof(buf), &have, 1, &eof);
	assert_true(eof);                      /* b closed for c */
	have = 0;
	send_all(c, "21:tlspolicy example.com,");
	pump(fx, c, buf, sizeof(buf), &have, 12, NULL);
	assert_string_equal(buf, "9:OK secure,");
	have = 0;
	send_all(a, "21:tlspolicy example.com,");  /* a is still served */
	pump(fx, a, buf, sizeof(buf), &have, 12, NULL);
	assert_string_equal(buf, "9:OK secure,");
	server_stats(fx->srv, &ss);
	assert_int_equal(ss.evicted_idle, 1);
	assert_int_equal(ss.refused_cap, 0);
	assert_int_equal(ss.connections, 2);
	close(a);
	close(b);
	close(c);
}

/* A connection whose request waits for the engine is never closed for
 * a new one: with every connection busy the new one is refused. */
static void test_cap_busy_refuses(void **state)
{
	struct fx *fx = *state;
	char buf[256];
	size_t have = 0;
	int busy = client(fx), late, eof = 0;
	struct server_stats ss;

	send_all(busy, "20:tlspolicy slow5.test,");
	pump_nothing(fx, busy, buf, sizeof(buf), &have);
	late = client(fx);
	spin(fx);
	pump(fx, late, buf, sizeof(buf), &have, 1, &eof);
	assert_true(eof);                      /* refused */
	close(late);
	slow_finish(&fx->slow, "dane");
	have = 0;
	pump(fx, busy, buf, sizeof(buf), &have, 10, NULL);
	assert_string_equal(buf, "7:OK dane,");
	server_stats(fx->srv, &ss);
	assert_int_equal(ss.refused_cap, 1);
	assert_int_equal(ss.evicted_idle, 0);
	close(busy);
}

/*
 * Back-pressure: with SERVER_MAX_PENDING requests of one connection
 * unanswered, the server stops reading it; the rest stays in the socket
 * until answers go out, then is read and answered in order.
 */
static void test_max_pending_stops_reading(void **state)
{
	struct fx *fx = *state;
	const char *req = "19:tlspolicy slow.test,";
	size_t rlen = strlen(req), extra = 10, total = SERVER_MAX_PENDING + extra;
	size_t cap = total * 10 + 1, have = 0;
	char *chunk = malloc(SERVER_MAX_PENDING * rlen + 1), *buf = malloc(cap);
	struct server_stats ss;
	int fd = client(fx);

	assert_non_null(chunk);
	assert_non_null(buf);
	chunk[0] = '\0';
	for (size_t i = 0; i < SERVER_MAX_PENDING; i++)
		strcat(chunk, req);
	send_all(fd, chunk);
	pump_nothing(fx, fd, buf, cap, &have);
	server_stats(fx->srv, &ss);
	assert_int_equal(ss.requests, SERVER_MAX_PENDING);  /* all read, all waiting */
	/* more requests: not read while SERVER_MAX_PENDING are unanswered */
	for (size_t i = 0; i < extra; i++)
		send_all(fd, req);
	pump_nothing(fx, fd, buf, cap, &have);
	server_stats(fx->srv, &ss);
	assert_int_equal(ss.requests, SERVER_MAX_PENDING);
	assert_int_equal(fx->slow.calls, 1);
	/* answers go out: the server reads on, every request answered */
	slow_finish(&fx->slow, "dane");
	pump(fx, fd, buf, cap, &have, total * 10, NULL);
	assert_int_equal(have, total * 10);                 /* "7:OK dane," each */
	for (size_t i = 0; i < total; i++)
		assert_memory_equal(buf + i * 10, "7:OK dane,", 10);
	server_stats(fx->srv, &ss);
	assert_int_equal(ss.requests, total);
	close(fd);
	free(chunk);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cap_closes_idle_longest, setup_cap2, teardown),
		cmocka_unit_test_setup_teardown(test_cap_busy_refuses, setup_cap1, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_names, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_pending_stops_reading, setup, teardown),
	};

	log_init("test_server", LOG_DEST_STDERR, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
