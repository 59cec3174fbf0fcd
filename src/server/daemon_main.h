/* SPDX-License-Identifier: MIT */
/*
 * daemon_main - the start-up order of the socketmap daemon, callable
 * from `tlspolicy serve` and from tests.
 *
 * Order (each failure ends start-up with the reason in *why):
 *   user lookup, listeners (socket activation, --listen or the setting
 *   listen), pid file lock, open-files limit, listeners bound as root,
 *   background fork + pid file, event loop, engine (opens the database
 *   and loads the first snapshot), discovery sources, privilege drop,
 *   server, signals, ready (syslog, sd_notify, log lines), event loop.
 * Signals: SIGTERM/SIGINT finish in-flight replies and return;
 * SIGHUP reads the configuration file again (the settings that can
 * change live take effect, the others are logged as needing a restart
 * and keep their value, a file with an error changes nothing), reloads
 * the table and reopens the log; SIGUSR2 forgets the MTA-STS policies
 * `sts flush` deleted from the database; SIGUSR1 logs statistics.
 */
#ifndef TP_SERVER_DAEMON_MAIN_H
#define TP_SERVER_DAEMON_MAIN_H

#include <stddef.h>

#include "util/errbuf.h"

struct config;
struct daemon_run;

#define DAEMON_MAX_LISTEN 32

struct daemon_opts {
	const struct config *cfg;   /* loaded configuration (required) */
	const char *db_url;         /* NULL: setting database */
	const char *const *listen;  /* listen specs replacing the setting */
	size_t nlisten;             /* (0: the setting listen) */
	int foreground;             /* 0: fork, pid file, syslog */
	/* The file SIGHUP reads again (NULL: SIGHUP reloads the table
	 * only); config_missing_ok: a missing file means the defaults. */
	const char *config_path;
	int config_missing_ok;
	/* Called once in the loop after "ready" (tests): arg, and the run
	 * for daemon_stop(). */
	void (*on_ready)(void *arg, struct daemon_run *run);
	void *arg;
};

/*
 * Runs the daemon until SIGTERM/SIGINT or daemon_stop().  Returns 0
 * after a clean stop, -1 when start-up failed (reason in *why, to be
 * printed by the caller on the terminal: stderr stays open until ready).
 */
int daemon_main(const struct daemon_opts *opts, struct errbuf *why);

/* Stops like SIGTERM: finishes in-flight replies, then daemon_main
 * returns.  Only from the daemon's own loop (e.g. in on_ready's
 * events). */
void daemon_stop(struct daemon_run *run);

/* The run's event loop (to schedule test events). */
struct event_base *daemon_run_base(struct daemon_run *run);

#endif
