/* SPDX-License-Identifier: MIT */
/*
 * cmd_serve.c - tlspolicy serve [-f] [--listen SPEC]...: the socketmap
 * daemon Postfix queries (smtp_tls_policy_maps = socketmap:...).
 *
 * The command parses its options into struct serve_opts and hands them,
 * with the configuration, to daemon_main() (server/daemon_main.h: the
 * start-up order; each failure is a one-line error and exit 1, printed
 * to the terminal also in background mode).
 * Signals: SIGTERM/SIGINT finish in-flight replies and exit; SIGHUP
 * re-reads the configuration file (server/daemon_main.h), reloads the
 * table and reopens the log; SIGUSR2 forgets flushed MTA-STS policies;
 * SIGUSR1 logs statistics.
 *
 * Under systemd (tlspolicy.service, Type=notify): readiness and stop
 * are reported with sd_notify; with tlspolicy.socket the listening
 * sockets are systemd's (socket activation, LISTEN_FDS) and replace the
 * setting listen and --listen, so the socket stays open across restarts
 * and the kernel queues Postfix's connections meanwhile.
 */
#include "cli/cli.h"
#include "server/daemon_main.h"
#include "util/config.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct serve_opts {
	int foreground;                          /* -f */
	const char *listen[DAEMON_MAX_LISTEN];   /* --listen, in order */
	size_t nlisten;
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
		"  -v                 one log line per answer with its source, and\n"
		"                     debug lines (as log_verbosity = 1)\n"
		"Signals: TERM stop after in-flight replies; HUP re-read tlspolicy.cf\n"
		"(live settings take effect, the others are logged as needing a\n"
		"restart; a bad file changes nothing), reload the table, reopen the log;\n"
		"USR2 forget MTA-STS policies `sts flush` deleted; USR1 log statistics.\n"
		"policy set/delete/import and sts flush signal the daemon themselves\n"
		"(pid file: setting pidfile).\n");
}

/* Parses argv into *o; returns -1 to go on, else the exit code. */
static int serve_parse(struct cli *cli, int argc, char **argv, struct serve_opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "foreground", no_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, ec = EXIT_OK;

	memset(o, 0, sizeof(*o));
	while ((opt = cli_next_opt(cli, argc, argv, "fl:c:vh", longopts, serve_usage,
				    &ec)) > 0) {
		switch (opt) {
		case 'f':
			o->foreground = 1;
			break;
		case 'l':
			if (o->nlisten >= DAEMON_MAX_LISTEN) {
				cli_error("serve", "too many --listen options");
				return EXIT_USAGE;
			}
			o->listen[o->nlisten++] = optarg;
			break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return ec;
	if (optind != argc) {
		serve_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_refuse_json(cli, "serve"))
		return EXIT_USAGE;
	return -1;
}

static int serve_run(struct cli *cli, const struct serve_opts *o)
{
	struct daemon_opts d;
	struct errbuf why;

	memset(&d, 0, sizeof(d));
	d.cfg = cli_config(cli);
	log_set_verbose(cli->verbose);
	d.db_url = cli->db_url;
	d.listen = o->listen;
	d.nlisten = o->nlisten;
	d.foreground = o->foreground;
	d.config_path = cli->config_path ? cli->config_path : CONFIG_DEFAULT_FILE;
	d.config_missing_ok = cli->config_path == NULL;
	if (daemon_main(&d, &why) < 0) {
		cli_error("serve", "%s", why.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	struct serve_opts o;
	int rc = serve_parse(cli, argc, argv, &o);

	return rc >= 0 ? rc : serve_run(cli, &o);
}
