/* SPDX-License-Identifier: MIT */
/*
 * daemon_main.c - the daemon's start-up order (see daemon_main.h).
 */
#include "server/daemon_main.h"

#include "engine/engine.h"
#include "engine/sources.h"
#include "mtasts/sts.h"
#include "mtasts/sts_store.h"
#include "server/daemon.h"
#include "server/listener.h"
#include "server/metrics_http.h"
#include "server/server.h"
#include "tlsrpt/journal.h"
#include "util/config.h"
#include "util/log.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

/* File descriptors beyond max_connections: listeners, log, database,
 * reload pipe, resolver sockets. */
#define DAEMON_FD_RESERVE 64

static const int daemon_sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
#define DAEMON_NSIGS (sizeof(daemon_sigs) / sizeof(daemon_sigs[0]))

struct daemon_run {
	const struct daemon_opts *o;
	const struct config *cfg;   /* the running configuration */
	struct config **owned;      /* configurations read on SIGHUP: kept
				     * until exit (modules hold pointers) */
	size_t nowned;
	int cli_verbose;            /* -v */
	struct event_base *base;
	struct server *srv;
	struct engine *eng;
	struct engine_sources *srcs;
	struct tlsrpt_journal *journal; /* issue 15: TLSRPT decision journal */
	struct listener_set *set;
	struct metrics_http *metrics; /* issue 13: metrics_listen, or NULL */
	struct daemon_user du;
	struct event *sigev[DAEMON_NSIGS];
	const char *listen[DAEMON_MAX_LISTEN];
	size_t nlisten;
	char *storage;              /* of the split setting listen */
	const char *facility, *pidfile;
	int pidfd, inherited, exposed, stopping;
	struct timespec stop_t;     /* when stopping began */
};

static void stopped_cb(void *arg)
{
	struct daemon_run *r = arg;

	event_base_loopexit(r->base, NULL);
}

void daemon_stop(struct daemon_run *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	clock_gettime(CLOCK_MONOTONIC, &r->stop_t);
	daemon_notify("STOPPING=1");
	server_shutdown(r->srv, stopped_cb, r);
}

struct event_base *daemon_run_base(struct daemon_run *r)
{
	return r->base;
}

/* Settings a SIGHUP applies (engine_reconfigure, engine_sources_reconfigure,
 * server_reconfigure, the log); the first four change answers, so the
 * cached decisions are dropped when one of them changed. */
static const char *const live_settings[] = {
	"dane_answer", "sts_testing", "sts_servername", "discovery",
	"lookup_deadline", "cache_min_ttl", "cache_max_ttl", "negative_cache_ttl",
	"reload_interval", "idle_timeout", "request_timeout", "max_connections",
	"log_verbosity", "syslog_facility",
};
#define ANSWER_SETTINGS 4
/* Settings only commands use (check, probe, own, logscan). */
static const char *const cli_settings[] = {
	"smtp_ca_file", "probe_timeout", "check_concurrency", "own_domains",
	"own_mx_hosts", "own_cert_files", "own_next_files", "own_sts_testing_max",
	"own_web_cert_days", "own_tlsrpt_days", "own_tlsrpt_error_percent",
	"logscan_min_deliveries",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int list_index(const char *const *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], name) == 0)
			return (int)i;
	return -1;
}

static void apply_verbosity(struct daemon_run *r)
{
	long v = config_get_int(r->cfg, "log_verbosity");

	log_set_verbose(r->cli_verbose > v ? r->cli_verbose : (int)v);
}

/* Appends "name old -> new" (values of database never: a password). */
static void note_change(char *buf, size_t len, const char *name, const char *old,
			const char *new)
{
	size_t n = strlen(buf);

	if (strcmp(name, "database") == 0)
		snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
	else
		snprintf(buf + n, len - n, "%s%s = %s (was %s)", n ? ", " : "", name,
			 *new ? new : "\"\"", *old ? old : "\"\"");
}

/*
 * SIGHUP, like `postfix reload`: reads the configuration file again.
 * A file with an error changes nothing (FILE:LINE logged); settings that
 * need a restart keep their running value and are logged.
 */
static void reload_config(struct daemon_run *r)
{
	struct config *n, **owned;
	struct errbuf why;
	char live[2048] = "", other[1024] = "";
	int forget = 0, nlive = 0;

	if (r->o->config_path == NULL)
		return;
	n = config_new();
	errbuf_clear(&why);
	if (config_load_file(n, r->o->config_path, r->o->config_missing_ok, &why) < 0) {
		log_warnx("configuration not reloaded: %s; still running with the "
			  "configuration read before", why.msg);
		config_free(n);
		return;
	}
	for (size_t i = 0; i < config_count(); i++) {
		const char *name = config_name(i), *old = config_get(r->cfg, name);
		const char *new = config_get(n, name), *where = config_where(n, name);
		int li;

		if (strcmp(old, new) == 0)
			continue;
		if ((li = list_index(live_settings, NELEM(live_settings), name)) >= 0) {
			note_change(live, sizeof(live), name, old, new);
			forget |= li < ANSWER_SETTINGS;
			nlive++;
		} else if (list_index(cli_settings, NELEM(cli_settings), name) >= 0) {
			note_change(other, sizeof(other), name, old, new);
		} else {
			char msg[512] = "";

			note_change(msg, sizeof(msg), name, old, new);
			log_warnx("%s%s%s needs a restart (tlspolicy keeps the running "
				  "value until then)", where ? where : "", where ? ": " : "", msg);
			if (config_set(n, name, old, &why) < 0)
				log_panic("reload: %s", why.msg);
		}
	}
	if (other[0])
		log_info("configuration: changed settings the daemon does not use: %s", other);
	if (nlive == 0) {
		log_info("configuration %s reloaded: no setting the daemon uses changed",
			 r->o->config_path);
		config_free(n);
		return;
	}
	owned = realloc(r->owned, (r->nowned + 1) * sizeof(*owned));
	if (owned == NULL) {
		log_warnx("configuration not reloaded: out of memory");
		config_free(n);
		return;
	}
	r->owned = owned;
	r->owned[r->nowned++] = n;
	r->cfg = n;
	r->facility = config_get(n, "syslog_facility");
	apply_verbosity(r);
	server_reconfigure(r->srv, n);
	if (engine_sources_reconfigure(r->srcs, n, &why) < 0)
		log_warnx("configuration: %s", why.msg);
	{
		size_t dropped = engine_reconfigure(r->eng, n, forget);

		if (forget)
			log_info("configuration %s reloaded: %s; %zu cached decisions "
				 "dropped (made with the old settings)", r->o->config_path,
				 live, dropped);
		else
			log_info("configuration %s reloaded: %s", r->o->config_path, live);
	}
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon_run *r = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (r->stopping)
			return;
		log_info("stopping (signal %d): finishing in-flight replies", (int)sig);
		daemon_stop(r);
		break;
	case SIGHUP:
		if (!r->o->foreground) {
			closelog();
			log_init("tlspolicy", LOG_DEST_SYSLOG, r->facility);
		}
		log_info("SIGHUP: reloading the configuration and the policy table");
		reload_config(r);
		engine_reload(r->eng);
		break;
	case SIGUSR1:
		server_log_stats(r->srv);
		break;
	case SIGUSR2: {
		/* `tlspolicy sts flush`: forget the MTA-STS policies the table
		 * no longer holds, and the decisions made from them */
		struct sts *sts = engine_sources_sts(r->srcs);
		size_t n;

		if (sts == NULL || sts_store_of(sts) == NULL)
			break;
		n = engine_reconfigure(r->eng, r->cfg, 1);
		log_info("SIGUSR2: forgetting flushed MTA-STS policies (%zu cached "
			 "decisions dropped)", n);
		sts_store_forget_flushed(sts_store_of(sts), sts_cache_of(sts));
		break;
	}
	}
}

/* What to listen on: systemd's sockets, else --listen, else the setting. */
static int choose_listeners(struct daemon_run *r, struct errbuf *why)
{
	char *words[DAEMON_MAX_LISTEN];

	if ((r->set = calloc(1, sizeof(*r->set))) == NULL)
		return errbuf_set(why, "out of memory");
	/* Socket activation: systemd's sockets replace listen/--listen. */
	if ((r->inherited = listener_inherit(r->set, why)) < 0)
		return -1;
	if (r->inherited > DAEMON_MAX_LISTEN)
		return errbuf_set(why, "socket activation: more than %d sockets passed",
				  DAEMON_MAX_LISTEN);
	if (r->inherited > 0) {
		for (size_t i = 0; i < r->set->n; i++)
			r->listen[r->nlisten++] = r->set->l[i].name;
		return 0;
	}
	for (size_t i = 0; i < r->o->nlisten && i < DAEMON_MAX_LISTEN; i++)
		r->listen[r->nlisten++] = r->o->listen[i];
	if (r->nlisten == 0) {
		size_t n = config_split_list(config_get(r->cfg, "listen"), words,
					     DAEMON_MAX_LISTEN, &r->storage);

		for (size_t i = 0; i < n; i++)
			r->listen[r->nlisten++] = words[i];
	}
	if (r->nlisten == 0)
		return errbuf_set(why, "nothing to listen on (setting listen is empty)");
	return 0;
}

/* Pid file lock, open-files limit, the listeners bound (as root). */
static int open_listeners(struct daemon_run *r, struct errbuf *why)
{
	struct listener_unix_opts uo;
	long nofile, maxconn;

	daemon_cloexec_inherited();
	/* The pid file lock first: a second instance says so (instead of
	 * "address in use").  The lock survives the fork below. */
	r->pidfile = config_get(r->cfg, "pidfile");
	/* Foreground: only a pid file set explicitly, or under systemd
	 * (INVOCATION_ID), where the default's directory is the unit's
	 * RuntimeDirectory: CLI writes find the daemon by it
	 * (cli_tell_daemon()). */
	if (*r->pidfile && (!r->o->foreground || !config_is_default(r->cfg, "pidfile") ||
			    getenv("INVOCATION_ID") != NULL) &&
	    (r->pidfd = daemon_pidfile_open(r->pidfile, why)) < 0)
		return -1;
	nofile = daemon_raise_nofile();
	maxconn = config_get_int(r->cfg, "max_connections");
	/* (no maxconn + RESERVE: max_connections may be LONG_MAX) */
	if (nofile > 0 && maxconn > nofile - DAEMON_FD_RESERVE)
		log_warnx("open files limit %ld is too low for max_connections = %ld; "
			  "connections beyond the limit will wait", nofile, maxconn);
	if (listener_unix_opts_parse(config_get(r->cfg, "unix_socket_mode"),
				     config_get(r->cfg, "unix_socket_owner"), &uo, why) < 0)
		return -1;
	for (size_t i = 0; i < r->nlisten && !r->inherited; i++) {
		if (listener_open(r->set, r->listen[i], &uo, why) < 0) {
			char msg[ERRBUF_MAX];

			if (why == NULL)
				return -1;
			memcpy(msg, why->msg, sizeof(msg));
			return errbuf_set(why, "listen %.*s", ERRBUF_MAX - 8, msg);
		}
	}
	for (size_t i = 0; i < r->set->n; i++)
		r->exposed |= r->set->l[i].exposed;
	return 0;
}

/* Background, pid file, loop, engine, sources, privilege drop, server,
 * signals. */
static int start_services(struct daemon_run *r, struct errbuf *why)
{
	if (!r->o->foreground && daemon_background(why) < 0)
		return -1;
	/* Foreground: a pid file only when configured explicitly. */
	if (r->pidfd >= 0 && daemon_pidfile_write(r->pidfd, why) < 0)
		return -1;
	if ((r->base = event_base_new()) == NULL)
		return errbuf_set(why, "cannot create the event loop");
	if ((r->eng = engine_new_ex(r->base, r->cfg, r->o->db_url, ENGINE_PERSIST, why)) == NULL)
		return -1;
	engine_log_failures(r->eng, 1);
	/* Discovery sources (DANE, ...): shared with query. */
	if (engine_sources_new(r->base, r->cfg, r->eng, r->o->db_url,
			       STS_PERSIST_LOAD | STS_PERSIST_SAVE | STS_PERSIST_SHARE,
			       &r->srcs, why) < 0)
		return -1;
	/* issue 15: the TLSRPT decision journal (tlsrpt/journal.h); its
	 * database handle is opened before the privilege drop */
	if (config_get_bool(r->cfg, "tlsrpt_journal") &&
	    (r->journal = tlsrpt_journal_new(r->base, r->cfg, r->o->db_url, r->eng, why)) == NULL)
		return -1;
	/* issue 13: the metrics listener, bound before the privilege drop */
	if (*config_get(r->cfg, "metrics_listen") &&
	    (r->metrics = metrics_http_new(r->base, config_get(r->cfg, "metrics_listen"),
					   r->eng, why)) == NULL)
		return -1;
	if (daemon_drop_privileges(&r->du, why) < 0)
		return -1;
	if ((r->srv = server_new(r->base, r->eng, r->cfg, r->set, why)) == NULL)
		return -1;
	metrics_http_set_server(r->metrics, r->srv);
	for (size_t i = 0; i < DAEMON_NSIGS; i++) {
		r->sigev[i] = evsignal_new(r->base, daemon_sigs[i], signal_cb, r);
		if (r->sigev[i] == NULL || evsignal_add(r->sigev[i], NULL) < 0)
			return errbuf_set(why, "cannot handle signal %d", daemon_sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Syslog, readiness, the start-up log lines. */
static int announce(struct daemon_run *r, struct errbuf *why)
{
	struct engine_stats es;

	if (!r->o->foreground) {
		if (log_init("tlspolicy", LOG_DEST_SYSLOG, r->facility) < 0)
			return errbuf_set(why, "unknown syslog_facility \"%s\"", r->facility);
		daemon_ready();
	}
	engine_stats(r->eng, &es);
	log_info("tlspolicy %s ready: %lu table rows%s, %zu listening sockets%s%s",
		 TLSPOLICY_VERSION, es.table_rows,
		 es.from_persisted ? " (from the persisted snapshot: database unavailable)" : "",
		 r->nlisten,
		 r->du.drop ? ", running as " : "", r->du.drop ? r->du.name : "");
	/* systemd Type=notify: the sockets accept from here on. */
	daemon_notify("READY=1\nSTATUS=answering: %lu table rows", es.table_rows);
	for (size_t i = 0; i < r->nlisten; i++)
		log_info("listening on %s%s", r->listen[i],
			 r->inherited ? " (socket activation: setting listen not used)" : "");
	if (r->exposed)
		log_warnx("listening on a non-loopback address: socketmap has no "
			  "authentication; restrict access with a firewall");
	if (r->metrics) /* issue 13 */
		log_info("metrics on http://%s/metrics (metrics_listen)%s",
			 config_get(r->cfg, "metrics_listen") + 5,
			 metrics_http_exposed(r->metrics) ? "; non-loopback: no "
			 "authentication, restrict access with a firewall" : "");
	if (geteuid() == 0)
		log_warnx("running as root (setting user = root)");
	return 0;
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon_run *r = arg;

	(void)fd;
	(void)what;
	r->o->on_ready(r->o->arg, r);
}

static void cleanup(struct daemon_run *r, int ok)
{
	int had_loop = r->base != NULL;

	for (size_t i = 0; i < DAEMON_NSIGS; i++)
		if (r->sigev[i])
			event_free(r->sigev[i]);
	metrics_http_free(r->metrics); /* issue 13: before the server it reads */
	server_free(r->srv);
	tlsrpt_journal_free(r->journal); /* issue 15: writes what is left */
	engine_free(r->eng);
	engine_sources_free(r->srcs); /* after the engine: it may cancel discoveries */
	if (r->base)
		event_base_free(r->base);
	if (r->set) {
		listener_close_all(r->set, 1);
		free(r->set);
	}
	if (r->pidfd >= 0) {
		/* Only a pid file we wrote; may fail after the privilege drop
		 * (the lock is what counts). */
		if (ok || had_loop) {
			(void)!ftruncate(r->pidfd, 0);
			unlink(r->pidfile);
		}
		close(r->pidfd);
	}
	free(r->storage);
	for (size_t i = 0; i < r->nowned; i++)
		config_free(r->owned[i]);
	free(r->owned);
}

int daemon_main(const struct daemon_opts *o, struct errbuf *why)
{
	struct daemon_run r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.cfg = o->cfg;
	r.pidfd = -1;
	r.facility = config_get(r.cfg, "syslog_facility");
	r.cli_verbose = log_get_verbose();
	/* Foreground lines get a time stamp, unless stderr goes to the
	 * journal (systemd sets JOURNAL_STREAM), which stamps them itself. */
	if (o->foreground && getenv("JOURNAL_STREAM") == NULL)
		log_set_timestamps(1);
	apply_verbosity(&r);
	errbuf_clear(why);
	/* The CLI signals a daemon by its pid file (cli_tell_daemon()), which
	 * exists before the loop's handlers do: until then these signals
	 * must not end the process (the first table load comes after the
	 * pid file, so no change is lost but one made during start-up). */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	if (daemon_user_resolve(config_get(r.cfg, "user"), &r.du, why) < 0)
		return -1;
	if (choose_listeners(&r, why) < 0 || open_listeners(&r, why) < 0 ||
	    start_services(&r, why) < 0 || announce(&r, why) < 0)
		goto out;
	/* Libraries (libunbound, the database client) open descriptors of
	 * their own during set-up; none of them may leak into a child. */
	daemon_cloexec_inherited();
	if (o->on_ready)
		event_base_once(r.base, -1, EV_TIMEOUT, ready_cb, &r, NULL);
	event_base_dispatch(r.base);
	{
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		log_info("stopped (%ld ms after the stop request)",
			 (long)((now.tv_sec - r.stop_t.tv_sec) * 1000 +
				(now.tv_nsec - r.stop_t.tv_nsec) / 1000000));
	}
	rc = 0;
out:
	cleanup(&r, rc == 0);
	return rc;
}
