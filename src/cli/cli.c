/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "store/store.h"
#include "util/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include "util/config.h"

int cli_common_opt(struct cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_JSON:
		cli->json = 1;
		return 1;
	case CLI_OPT_DB:
		cli->db_url = arg;
		return 1;
	case CLI_OPT_CONFIG:
	case 'c':
		cli->config_path = arg;
		return 1;
	case 'v':
		cli->verbose++;
		return 1;
	}
	return 0;
}

/* cli_next_opt()'s command and usage, for cli_next_opt_spec() */
struct opt_cmd {
	const char *cmd;
	void (*usage)(FILE *out);
};

static void opt_cmd_usage(FILE *out, const void *arg)
{
	((const struct opt_cmd *)arg)->usage(out);
}

static void opt_cmd_bad(int argc, char **argv, const void *arg)
{
	(void)argc;
	cli_error(((const struct opt_cmd *)arg)->cmd,
		  "unknown option or missing argument: %s", argv[optind - 1]);
}

int cli_next_opt(struct cli *cli, int argc, char **argv, const char *shortopts,
		 const struct option *longopts, void (*usage)(FILE *out), int *code)
{
	return cli_next_opt_cmd(cli, NULL, argc, argv, shortopts, longopts, usage, code);
}

int cli_next_opt_cmd(struct cli *cli, const char *cmd, int argc, char **argv,
		     const char *shortopts, const struct option *longopts,
		     void (*usage)(FILE *out), int *code)
{
	const struct opt_cmd oc = { cmd, usage };
	const struct cli_optspec spec = { shortopts, longopts, opt_cmd_usage,
					  cmd ? opt_cmd_bad : NULL, &oc };

	return cli_next_opt_spec(cli, argc, argv, &spec, code);
}

int cli_next_opt_spec(struct cli *cli, int argc, char **argv,
		      const struct cli_optspec *spec, int *code)
{
	int opt;

	if (spec->bad)
		opterr = 0;
	while ((opt = getopt_long(argc, argv, spec->shortopts, spec->longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == 'h') {
			spec->usage(stdout, spec->arg);
			*code = EXIT_OK;
			return CLI_OPT_EXIT;
		}
		if (opt == '?' || opt == ':') {
			if (spec->bad)
				spec->bad(argc, argv, spec->arg);
			spec->usage(stderr, spec->arg);
			*code = EXIT_USAGE;
			return CLI_OPT_EXIT;
		}
		return opt;
	}
	return CLI_OPT_END;
}

const struct cli_command *cli_command_find(const struct cli_command *table, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

struct config *cli_config(struct cli *cli)
{
	struct errbuf why;

	if (cli->cfg)
		return cli->cfg;
	cli->cfg = config_new();
	errbuf_clear(&why);
	if (cli->config_path) {
		if (config_load_file(cli->cfg, cli->config_path, 0, &why) < 0) {
			fprintf(stderr, "tlspolicy: %s\n", why.msg);
			exit(EXIT_FAIL);
		}
	} else if (config_load_file(cli->cfg, CONFIG_DEFAULT_FILE, 1, &why) < 0) {
		fprintf(stderr, "tlspolicy: %s\n", why.msg);
		exit(EXIT_FAIL);
	}
	return cli->cfg;
}

const char *cli_store_url(struct cli *cli, int flags)
{
	struct config *cfg = cli_config(cli);

	if (cli->db_url)
		return cli->db_url;
	return (flags & CLI_STORE_WRITE) ? config_database_write(cfg)
					 : config_get(cfg, "database");
}

/* Opens --db or the setting; NULL with why on failure. */
static struct store *store_of(struct cli *cli, int flags, struct errbuf *why)
{
	const char *url = cli_store_url(cli, flags);
	struct store *st = NULL;

	errbuf_clear(why);
	return store_open_ex(url, flags & ~CLI_STORE_WRITE, &st, why) < 0 ? NULL : st;
}

struct store *cli_store(struct cli *cli)
{
	return cli_store_flags(cli, 0);
}

struct store *cli_store_flags(struct cli *cli, int flags)
{
	struct errbuf why;
	struct store *st = store_of(cli, flags, &why);

	if (st == NULL)
		fprintf(stderr, "tlspolicy: database: %s\n", why.msg);
	return st;
}

struct store *cli_store_open(struct cli *cli, const char *cmd, int flags)
{
	struct errbuf why;
	struct store *st = store_of(cli, flags, &why);

	if (st == NULL)
		cli_error(cmd, "%s", why.msg);
	return st;
}

int cli_refuse_json(const struct cli *cli, const char *cmd)
{
	if (!cli->json)
		return 0;
	cli_error(cmd, "--json: this command prints no data, only what it did "
		  "(docs/json.md lists the commands with JSON output)");
	return 1;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlspolicy %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}


/* Where the tell goes: stderr, so that stdout stays the command's
 * result (scripts, --json). */
static FILE *tell_out(const struct cli *cli)
{
	(void)cli;
	fputs("tlspolicy: ", stderr);
	return stderr;
}

int cli_tell_daemon(struct cli *cli, int sig, const char *what)
{
	struct config *cfg = cli_config(cli);
	const char *pidfile = config_get(cfg, "pidfile");
	const char *url = cli->db_url ? cli->db_url : config_get(cfg, "database");
	unsigned interval = config_get_time(cfg, "reload_interval");
	char buf[32], later[160];
	ssize_t n;
	long pid;
	int fd;

	if (sig == SIGHUP)
		snprintf(later, sizeof(later), "within reload_interval (%us)", interval);
	else
		snprintf(later, sizeof(later), "when it restarts");
	/* No daemon found: said only with -v (cron runs stay quiet). */
	if (*pidfile == '\0') {
		if (cli->verbose)
			fprintf(tell_out(cli), "no pid file (setting pidfile is empty): a running "
			"daemon sees the change %s\n", later);
		return 0;
	}
	if ((fd = open(pidfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (cli->verbose)
			fprintf(tell_out(cli), "no running daemon found (pid file %s: %s): a daemon "
			"started without a pid file sees the change %s\n", pidfile,
			strerror(errno), later);
		return 0;
	}
	/* The daemon holds an exclusive lock for its lifetime
	 * (server/daemon.c); a file nobody locks is left over. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		if (cli->verbose)
			fprintf(tell_out(cli), "no running daemon (pid file %s is not locked)\n",
			pidfile);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 1) {
		fprintf(tell_out(cli), "the running daemon's pid file %s holds no pid: it "
			"sees the change %s\n", pidfile, later);
		return 0;
	}
	if (kill((pid_t)pid, sig) < 0) {
		fprintf(tell_out(cli), "the running daemon (pid %ld) could not be told "
			"(%s; run this as root or as the daemon's user): it sees the change %s\n",
			pid, strerror(errno), later);
		return 0;
	}
	fprintf(tell_out(cli), "the running daemon (pid %ld) was told to %s\n", pid, what);
	if (strncmp(url, "mysql:", 6) == 0 && sig == SIGHUP)
		fprintf(tell_out(cli), "daemons on other servers sharing this database "
			"see it within reload_interval (%us)\n", interval);
	return 1;
}

int cli_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}
