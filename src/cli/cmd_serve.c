/* SPDX-License-Identifier: MIT */
/*
 * cmd_serve.c - tlspolicy serve [-f] [--listen SPEC]...: the socketmap
 * daemon Postfix queries (smtp_tls_policy_maps = socketmap:...).
 *
 * Start-up order (each failure is a one-line error and exit 1, printed
 * to the terminal also in background mode):
 *   configuration, user lookup, open-files limit, listeners (bound as
 *   root), background fork + pid file, event loop, engine (opens the
 *   database and loads the first snapshot), privilege drop, ready.
 * Signals: SIGTERM/SIGINT finish in-flight replies and exit; SIGHUP
 * reloads the table and reopens the log; SIGUSR1 logs statistics.
 *
 * Under systemd (tlspolicy.service, Type=notify): readiness and stop
 * are reported with sd_notify; with tlspolicy.socket the listening
 * sockets are systemd's (socket activation, LISTEN_FDS) and replace the
 * setting listen and --listen, so the socket stays open across restarts
 * and the kernel queues Postfix's connections meanwhile.
 */
#include "cli/cli.h"
#include "tlsrpt/journal.h"
#include "engine/sources.h"
#include "mtasts/sts.h"
#include "engine/engine.h"
#include "server/daemon.h"
#include "server/listener.h"
#include "server/server.h"
#include "util/config.h"
#include "util/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#define SERVE_MAX_LISTEN 32
/* File descriptors beyond max_connections: listeners, log, database,
 * reload pipe, resolver sockets. */
#define SERVE_FD_RESERVE 64

struct serve_state {
	struct event_base *base;
	struct server *srv;
	struct engine *eng;
	const char *facility;
	int foreground;
	int stopping;
};

static void serve_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy serve [-f] [--listen SPEC]... [-c FILE] [--db URL] [-v]\n"
		"\n"
		"Runs the socketmap daemon Postfix asks for TLS policies, e.g.\n"
		"  smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:tlspolicy\n"
		"  -f, --foreground   stay in the foreground and log to stderr\n"
		"                     (otherwise: background, pid file, syslog)\n"
		"  --listen SPEC      inet:HOST:PORT, inet:[IPv6]:PORT or unix:PATH;\n"
		"                     repeatable; replaces the setting listen\n"
		"                     (sockets passed by systemd socket activation,\n"
		"                     LISTEN_FDS, replace both)\n"
		"  -v                 log every lookup (debug)\n"
		"Signals: TERM stop after in-flight replies, HUP reload the table and\n"
		"reopen the log, USR1 log statistics.\n");
}

static void stopped_cb(void *arg)
{
	struct serve_state *ss = arg;

	event_base_loopexit(ss->base, NULL);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct serve_state *ss = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (ss->stopping)
			return;
		ss->stopping = 1;
		daemon_notify("STOPPING=1");
		log_info("stopping (signal %d): finishing in-flight replies", (int)sig);
		server_shutdown(ss->srv, stopped_cb, ss);
		break;
	case SIGHUP:
		if (!ss->foreground) {
			closelog();
			log_init("tlspolicy", LOG_DEST_SYSLOG, ss->facility);
		}
		log_info("SIGHUP: reloading the policy table");
		engine_reload(ss->eng);
		break;
	case SIGUSR1:
		server_log_stats(ss->srv);
		break;
	}
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "foreground", no_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	const char *listen_specs[SERVE_MAX_LISTEN];
	size_t nlisten = 0;
	struct serve_state ss;
	struct listener_set *set = NULL;
	struct engine_sources *srcs = NULL;
	struct tlsrpt_journal *journal = NULL; /* issue 15 */
	struct listener_unix_opts uo;
	struct daemon_user du;
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])];
	struct config *cfg;
	struct errbuf why;
	char *storage = NULL, *words[SERVE_MAX_LISTEN];
	const char *pidfile = NULL;
	int opt, pidfd = -1, rc = EXIT_FAIL, exposed = 0, inherited = 0;
	long nofile, maxconn;

	memset(&ss, 0, sizeof(ss));
	memset(sigev, 0, sizeof(sigev));
	while ((opt = getopt_long(argc, argv, "fl:c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'f':
			ss.foreground = 1;
			break;
		case 'l':
			if (nlisten >= SERVE_MAX_LISTEN) {
				cli_error("serve", "too many --listen options");
				return EXIT_USAGE;
			}
			listen_specs[nlisten++] = optarg;
			break;
		case 'h':
			serve_usage(stdout);
			return EXIT_OK;
		default:
			serve_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		serve_usage(stderr);
		return EXIT_USAGE;
	}
	cfg = cli_config(cli);
	log_set_verbose(cli->verbose);
	ss.facility = config_get(cfg, "syslog_facility");
	errbuf_clear(&why);

	if (daemon_user_resolve(config_get(cfg, "user"), &du, &why) < 0) {
		cli_error("serve", "%s", why.msg);
		return EXIT_FAIL;
	}
	if ((set = calloc(1, sizeof(*set))) == NULL) {
		cli_error("serve", "out of memory");
		goto out;
	}
	/* Socket activation: systemd's sockets replace listen/--listen. */
	if ((inherited = listener_inherit(set, &why)) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	if (inherited > SERVE_MAX_LISTEN) {
		cli_error("serve", "socket activation: more than %d sockets passed",
			  SERVE_MAX_LISTEN);
		goto out;
	}
	if (inherited > 0) {
		nlisten = 0;
		for (size_t i = 0; i < set->n; i++)
			listen_specs[nlisten++] = set->l[i].name;
	}
	if (nlisten == 0) {
		size_t n = config_split_list(config_get(cfg, "listen"), words,
					     SERVE_MAX_LISTEN, &storage);

		for (size_t i = 0; i < n; i++)
			listen_specs[nlisten++] = words[i];
	}
	if (nlisten == 0) {
		cli_error("serve", "nothing to listen on (setting listen is empty)");
		goto out;
	}
	daemon_cloexec_inherited();
	/* The pid file lock first: a second instance says so (instead of
	 * "address in use").  The lock survives the fork below. */
	pidfile = config_get(cfg, "pidfile");
	if (*pidfile && (!ss.foreground || !config_is_default(cfg, "pidfile")) &&
	    (pidfd = daemon_pidfile_open(pidfile, &why)) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	nofile = daemon_raise_nofile();
	maxconn = config_get_int(cfg, "max_connections");
	/* (no maxconn + RESERVE: max_connections may be LONG_MAX) */
	if (nofile > 0 && maxconn > nofile - SERVE_FD_RESERVE)
		log_warnx("open files limit %ld is too low for max_connections = %ld; "
			  "connections beyond the limit will wait", nofile, maxconn);

	if (listener_unix_opts_parse(config_get(cfg, "unix_socket_mode"),
				     config_get(cfg, "unix_socket_owner"), &uo, &why) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	for (size_t i = 0; i < nlisten && !inherited; i++) {
		if (listener_open(set, listen_specs[i], &uo, &why) < 0) {
			cli_error("serve", "listen %s", why.msg);
			goto out;
		}
	}
	for (size_t i = 0; i < set->n; i++)
		exposed |= set->l[i].exposed;

	if (!ss.foreground && daemon_background(&why) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	/* Foreground: a pid file only when configured explicitly. */
	if (pidfd >= 0 && daemon_pidfile_write(pidfd, &why) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	if ((ss.base = event_base_new()) == NULL) {
		cli_error("serve", "cannot create the event loop");
		goto out;
	}
	if ((ss.eng = engine_new(ss.base, cfg, cli->db_url, &why)) == NULL) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	/* Discovery sources (DANE, ...): shared with query. */
	if (engine_sources_new(ss.base, cfg, ss.eng, cli->db_url,
			       STS_PERSIST_LOAD | STS_PERSIST_SAVE, &srcs, &why) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	if (daemon_drop_privileges(&du, &why) < 0) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	/* issue 15: the TLSRPT decision journal (tlsrpt/journal.h) */
	if (config_get_bool(cfg, "tlsrpt_journal") &&
	    (journal = tlsrpt_journal_new(ss.base, cfg, cli->db_url, ss.eng, &why)) == NULL) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	if ((ss.srv = server_new(ss.base, ss.eng, cfg, set, &why)) == NULL) {
		cli_error("serve", "%s", why.msg);
		goto out;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(ss.base, sigs[i], signal_cb, &ss);
		if (sigev[i] == NULL || evsignal_add(sigev[i], NULL) < 0) {
			cli_error("serve", "cannot handle signal %d", sigs[i]);
			goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);

	if (!ss.foreground) {
		if (log_init("tlspolicy", LOG_DEST_SYSLOG, ss.facility) < 0) {
			cli_error("serve", "unknown syslog_facility \"%s\"", ss.facility);
			goto out;
		}
		daemon_ready();
	}
	{
		struct engine_stats es;

		engine_stats(ss.eng, &es);
		log_info("tlspolicy %s ready: %lu table rows, %zu listening sockets%s%s",
			 TLSPOLICY_VERSION, es.table_rows, nlisten,
			 du.drop ? ", running as " : "", du.drop ? du.name : "");
		/* systemd Type=notify: the sockets accept from here on. */
		daemon_notify("READY=1\nSTATUS=answering: %lu table rows",
			      es.table_rows);
	}
	for (size_t i = 0; i < nlisten; i++)
		log_info("listening on %s%s", listen_specs[i],
			 inherited ? " (socket activation: setting listen not used)" : "");
	if (exposed)
		log_warnx("listening on a non-loopback address: socketmap has no "
			  "authentication; restrict access with a firewall");
	if (geteuid() == 0)
		log_warnx("running as root (setting user = root)");

	/* Libraries (libunbound, the database client) open descriptors of
	 * their own during set-up; none of them may leak into a child. */
	daemon_cloexec_inherited();
	event_base_dispatch(ss.base);
	log_info("stopped");
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigev[i])
			event_free(sigev[i]);
	server_free(ss.srv);
	tlsrpt_journal_free(journal); /* issue 15: writes what is left */
	engine_free(ss.eng);
	engine_sources_free(srcs); /* after the engine: it may cancel discoveries */
	if (ss.base)
		event_base_free(ss.base);
	if (set) {
		listener_close_all(set, 1);
		free(set);
	}
	if (pidfd >= 0) {
		/* Only a pid file we wrote; may fail after the privilege drop
		 * (the lock is what counts). */
		if (rc == EXIT_OK || ss.base) {
			(void)!ftruncate(pidfd, 0);
			unlink(pidfile);
		}
		close(pidfd);
	}
	free(storage);
	return rc;
}
