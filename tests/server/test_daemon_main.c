/* SPDX-License-Identifier: MIT */
/*
 * test_daemon_main.c - daemon_main() called in-process, as `tlspolicy
 * serve -f` calls it: on a temporary SQLite table and a loopback port
 * chosen by the kernel, it answers a socketmap query from a client
 * thread and stops on SIGTERM (the real signal path) or daemon_stop();
 * a start-up failure returns -1 with the CLI's message and leaves no
 * listener behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/daemon_main.h"
#include "server/sockmap_client.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"

#define TEST_DIR "/tmp/tlspolicy-server-test"

struct fx {
	char dbpath[256], snappath[256], url[300], listen[64];
	int port;
	struct config *cfg;
	/* what the client thread saw */
	pthread_t client;
	int client_started;
	char reply[256], reply2[256];
	struct errbuf why;
	int queried;
};

/* A port nobody listens on: bound to port 0 and read back. */
static int free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct store *st;
	struct errbuf why;
	int created;

	errbuf_clear(&why);
	mkdir(TEST_DIR, 0755);
	snprintf(fx->dbpath, sizeof(fx->dbpath), TEST_DIR "/daemon-main-%ld.db", (long)getpid());
	snprintf(fx->url, sizeof(fx->url), "sqlite:%s", fx->dbpath);
	unlink(fx->dbpath);
	if (store_open_ex(fx->url, STORE_OPEN_CREATE, &st, &why) < 0 ||
	    store_init(st, &created, &why) < 0 ||
	    store_put(st, "example.com", "secure", "match=mx.example.com", NULL, &why) < 0)
		fail_msg("store: %s", why.msg);
	store_close(st);
	fx->port = free_port();
	snprintf(fx->listen, sizeof(fx->listen), "inet:127.0.0.1:%d", fx->port);
	fx->cfg = config_new();
	assert_int_equal(config_set(fx->cfg, "user", "root", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "discovery", "no", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "reload_interval", "0", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "listen", fx->listen, NULL), 0);
	/* this test's own persisted table, not the state directory's */
	snprintf(fx->snappath, sizeof(fx->snappath), TEST_DIR "/daemon-main-%ld.snapshot",
		 (long)getpid());
	unlink(fx->snappath);
	assert_int_equal(config_set(fx->cfg, "table_snapshot", fx->snappath, NULL), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	config_free(fx->cfg);
	unlink(fx->dbpath);
	unlink(fx->snappath);
	free(fx);
	return 0;
}

/* The client thread: two queries on one connection, then SIGTERM to
 * the process, as a service manager would send it. */
static void *client_main(void *arg)
{
	struct fx *fx = arg;
	struct sockmap_client *cl;
	const char *reply;
	size_t rlen;

	errbuf_clear(&fx->why);
	if (sockmap_client_open(fx->listen, 5, &cl, &fx->why) == 0) {
		if (sockmap_client_query(cl, "tlspolicy", "example.com", &reply, &rlen, &fx->why) == 0)
			snprintf(fx->reply, sizeof(fx->reply), "%s", reply);
		if (sockmap_client_query(cl, "tlspolicy", "nothing.example", &reply, &rlen, &fx->why) == 0)
			snprintf(fx->reply2, sizeof(fx->reply2), "%s", reply);
		sockmap_client_close(cl);
		fx->queried = 1;
	}
	kill(getpid(), SIGTERM);
	return NULL;
}

static void on_ready_client(void *arg, struct daemon_run *run)
{
	struct fx *fx = arg;

	(void)run;
	assert_int_equal(pthread_create(&fx->client, NULL, client_main, fx), 0);
	fx->client_started = 1;
}

static void test_answers_and_stops_on_sigterm(void **state)
{
	struct fx *fx = *state;
	struct daemon_opts o = { .cfg = fx->cfg, .db_url = fx->url, .foreground = 1,
				 .on_ready = on_ready_client, .arg = fx };
	struct errbuf why;

	if (daemon_main(&o, &why) != 0)
		fail_msg("daemon_main: %s", why.msg);
	assert_true(fx->client_started);
	assert_int_equal(pthread_join(fx->client, NULL), 0);
	if (!fx->queried)
		fail_msg("client: %s", fx->why.msg);
	assert_string_equal(fx->reply, "OK secure match=mx.example.com");
	assert_string_equal(fx->reply2, "NOTFOUND ");
	/* stopped: the port is free again */
	{
		struct sockmap_client *cl;

		assert_int_equal(sockmap_client_open(fx->listen, 1, &cl, &why), -1);
	}
}

static void on_ready_stop(void *arg, struct daemon_run *run)
{
	int *called = arg;

	(*called)++;
	assert_non_null(daemon_run_base(run));
	daemon_stop(run);
	daemon_stop(run);     /* twice: the second does nothing */
}

static void test_stop_hook(void **state)
{
	struct fx *fx = *state;
	const char *specs[] = { fx->listen };
	int called = 0;
	struct daemon_opts o = { .cfg = fx->cfg, .db_url = fx->url, .foreground = 1,
				 .listen = specs, .nlisten = 1,
				 .on_ready = on_ready_stop, .arg = &called };
	struct errbuf why;

	assert_int_equal(daemon_main(&o, &why), 0);
	assert_int_equal(called, 1);
}

static void test_startup_errors(void **state)
{
	struct fx *fx = *state;
	const char *bad[] = { "bogus:1" };
	struct daemon_opts o = { .cfg = fx->cfg, .db_url = fx->url, .foreground = 1,
				 .listen = bad, .nlisten = 1 };
	struct errbuf why;

	/* the message `tlspolicy serve` prints after "tlspolicy serve: " */
	assert_int_equal(daemon_main(&o, &why), -1);
	assert_memory_equal(why.msg, "listen bogus:1", 14);

	/* a missing table: the engine's error, nothing left listening */
	o.listen = NULL;
	o.nlisten = 0;
	o.db_url = "sqlite:" TEST_DIR "/no-such-daemon-main.db";
	assert_int_equal(daemon_main(&o, &why), -1);
	assert_non_null(strstr(why.msg, "does not exist"));
	{
		struct sockmap_client *cl;

		assert_int_equal(sockmap_client_open(fx->listen, 1, &cl, &why), -1);
	}

	assert_int_equal(config_set(fx->cfg, "listen", "", NULL), 0);
	o.db_url = fx->url;
	assert_int_equal(daemon_main(&o, &why), -1);
	assert_string_equal(why.msg, "nothing to listen on (setting listen is empty)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answers_and_stops_on_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_errors, setup, teardown),
	};

	log_init("test_daemon_main", LOG_DEST_STDERR, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
