/* SPDX-License-Identifier: MIT */
/*
 * test_listener_inherit.c - listener_inherit(), the socket-activation
 * intake of serve: listening sockets passed as descriptors 3.. with
 * LISTEN_FDS/LISTEN_PID (sd_listen_fds(3)) are adopted with their
 * addresses as names, made non-blocking and close-on-exec, the
 * variables unset; LISTEN_FDS for another pid is ignored; a socket that
 * does not listen, or is not a stream, is refused with a message.
 * (End to end with systemd-socket-activate: test_socket_activation.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/listener.h"

static char sock_path[64]; /* per process: runs may overlap */

static int saved[2] = { -1, -1 };

/* Descriptors 3 and 4 may be in use by the test runner: keep them. */
static int setup(void **state)
{
	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/tlspolicy-test-inherit.%ld.sock",
		 (long)getpid());
	for (int i = 0; i < 2; i++)
		saved[i] = fcntl(3 + i, F_DUPFD_CLOEXEC, 100);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], 3 + i);
			close(saved[i]);
		} else {
			close(3 + i);
		}
	}
	unlink(sock_path);
	return 0;
}

/* Puts fd at descriptor at (3, 4, ...). */
static void place(int fd, int at)
{
	assert_true(fd >= 0);
	if (fd == at)
		return;
	assert_int_equal(dup2(fd, at), at);
	close(fd);
}

static void set_env(int n, long pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
	snprintf(buf, sizeof(buf), "%ld", pid);
	setenv("LISTEN_PID", buf, 1);
}

static int tcp_listener(int do_listen, unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void test_inherit_tcp_and_unix(void **state)
{
	struct listener_set *set = calloc(1, sizeof(*set));
	struct sockaddr_un sun;
	struct errbuf why;
	char want[128];
	unsigned port;
	int u;

	(void)state;
	place(tcp_listener(1, &port), 3);
	u = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	unlink(sock_path);
	assert_int_equal(bind(u, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(u, 16), 0);
	place(u, 4);
	set_env(2, (long)getpid());

	errbuf_clear(&why);
	assert_int_equal(listener_inherit(set, &why), 2);
	assert_int_equal(set->n, 2);
	snprintf(want, sizeof(want), "inet:127.0.0.1:%u", port);
	assert_string_equal(set->l[0].name, want);
	assert_int_equal(set->l[0].fd, 3);
	assert_false(set->l[0].exposed);
	assert_false(set->l[0].is_unix);
	snprintf(want, sizeof(want), "unix:%s", sock_path);
	assert_string_equal(set->l[1].name, want);
	assert_true(set->l[1].is_unix);
	assert_null(set->l[1].unix_path); /* the manager's file: never unlinked */
	for (size_t i = 0; i < set->n; i++) {
		assert_true(fcntl(set->l[i].fd, F_GETFL) & O_NONBLOCK);
		assert_true(fcntl(set->l[i].fd, F_GETFD) & FD_CLOEXEC);
	}
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_PID"));
	/* A second call finds nothing: the variables are gone. */
	assert_int_equal(listener_inherit(set, &why), 0);
	listener_close_all(set, 1);
	assert_int_equal(access(sock_path, F_OK), 0);
	free(set);
}

static void test_inherit_other_pid_ignored(void **state)
{
	struct listener_set *set = calloc(1, sizeof(*set));
	struct errbuf why;
	unsigned port;

	(void)state;
	place(tcp_listener(1, &port), 3);
	set_env(1, (long)getpid() + 1);
	errbuf_clear(&why);
	assert_int_equal(listener_inherit(set, &why), 0);
	assert_int_equal(set->n, 0);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	/* Nothing passed at all. */
	assert_int_equal(listener_inherit(set, &why), 0);
	free(set);
}

/* fd passed as descriptor 3 must be refused with the message. */
static void expect_refused(int fd)
{
	struct listener_set *set = calloc(1, sizeof(*set));
	struct errbuf why;

	place(fd, 3);
	set_env(1, (long)getpid());
	errbuf_clear(&why);
	assert_int_equal(listener_inherit(set, &why), -1);
	assert_non_null(strstr(why.msg, "descriptor 3 is not a listening stream socket"));
	assert_int_equal(set->n, 0);
	free(set);
}

static void test_inherit_refuses_non_listening(void **state)
{
	unsigned port;

	(void)state;
	expect_refused(tcp_listener(0, &port)); /* bound, not listening */
	expect_refused(socket(AF_INET, SOCK_DGRAM, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inherit_tcp_and_unix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherit_other_pid_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherit_refuses_non_listening, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
