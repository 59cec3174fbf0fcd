/* SPDX-License-Identifier: MIT */
/*
 * cli - shared state and helpers of the tlspolicy subcommands.
 *
 * Every subcommand is `int cmd_NAME(struct cli *cli, int argc, char **argv)`
 * with argv[0] the command name; it returns an exit code:
 *   EXIT_OK 0      the operation succeeded
 *   EXIT_FAIL 1    it failed (not found, invalid input, DB error, ...)
 *   EXIT_USAGE 2   the command line is wrong
 *
 * Global options (-c FILE, --db URL, --json, -v) are accepted before the
 * command and, through CLI_COMMON_LONGOPTS / cli_common_opt(), after it.
 */
#ifndef TP_CLI_CLI_H
#define TP_CLI_CLI_H

#include <getopt.h>
#include "util/config.h"
#include "util/errbuf.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct store;
struct check_sink;
struct own_report;

struct cli {
	const char *config_path; /* -c; NULL: CONFIG_DEFAULT_FILE if present */
	const char *db_url;      /* --db; NULL: setting "database" */
	int json;                /* --json */
	int verbose;             /* -v (repeatable) */
	struct config *cfg;      /* loaded by cli_config() */
	/* cmd_check(): hand each domain to this instead of printing it
	 * (cli/check.h; used by `report`) */
	const struct check_sink *check_sink;
	/* cmd_own() `own check`: move the findings into this report
	 * (own/report.h) instead of printing them (used by `report --own`) */
	struct own_report *own_sink;
};

/* Long options every command accepts; use as the first entries of a
 * command's option table.  Their values are >= CLI_OPT_BASE. */
enum { CLI_OPT_BASE = 0x1000, CLI_OPT_JSON, CLI_OPT_DB, CLI_OPT_CONFIG };
#define CLI_COMMON_LONGOPTS                                    \
	{ "json", no_argument, NULL, CLI_OPT_JSON },           \
	{ "db", required_argument, NULL, CLI_OPT_DB },         \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG }

/* Handles a common option returned by getopt_long (also -c and -v when
 * the command's short options include "c:v"). Returns 1 if handled. */
int cli_common_opt(struct cli *cli, int opt, const char *arg);

/*
 * The one subcommand table: `tlspolicy COMMAND` (main.c) and the words
 * after a command (policy set, sts refresh, provider match, db init)
 * are looked up in arrays of these.  fn gets the command's argc/argv
 * (NULL when the caller dispatches on id itself, having parsed options
 * the words share).
 */
struct cli_command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *summary;   /* one line for the help text, or NULL */
	int id;
};
#define CLI_NCOMMANDS(t) (sizeof(t) / sizeof((t)[0]))

/* The entry of table[0..n) called name, or NULL. */
const struct cli_command *cli_command_find(const struct cli_command *table, size_t n,
					   const char *name);

/*
 * The one option loop of the commands: getopt_long with the common
 * options (--json, --db, -c/--config, -v) handled, -h/--help printing
 * usage(stdout) and an unknown option or missing argument printing
 * usage(stderr).  Returns the next option of the command's own, or
 * CLI_OPT_END after the last option, or CLI_OPT_EXIT when the command
 * must return *code (EXIT_OK after --help, EXIT_USAGE after an error).
 * shortopts must contain "h" (and "c:v" for -c and -v).
 */
enum { CLI_OPT_END = -1, CLI_OPT_EXIT = -2 };
int cli_next_opt(struct cli *cli, int argc, char **argv, const char *shortopts,
		 const struct option *longopts, void (*usage)(FILE *out), int *code);
/* The same, with getopt's own message replaced by "tlspolicy CMD:
 * unknown option or missing argument: ARG" before usage(stderr) (the
 * commands db and policy print that one). */
int cli_next_opt_cmd(struct cli *cli, const char *cmd, int argc, char **argv,
		     const char *shortopts, const struct option *longopts,
		     void (*usage)(FILE *out), int *code);
/*
 * The general form of both (the commands whose usage text depends on
 * more than the command, as the words of policy): usage(out, arg) for
 * --help and after an error; bad(argc, argv, arg), when not NULL,
 * prints the message for an unknown option or missing argument instead
 * of getopt's (optind and optopt as getopt left them).
 */
struct cli_optspec {
	const char *shortopts;
	const struct option *longopts;
	void (*usage)(FILE *out, const void *arg);
	void (*bad)(int argc, char **argv, const void *arg);
	const void *arg;
};
int cli_next_opt_spec(struct cli *cli, int argc, char **argv,
		      const struct cli_optspec *spec, int *code);

/* The loaded configuration (-c file, else the default file if it
 * exists).  Prints the error and exits EXIT_FAIL when it is invalid. */
struct config *cli_config(struct cli *cli);

/* Opens the store from --db or the setting; prints a one-line error
 * and returns NULL on failure. */
struct store *cli_store(struct cli *cli);
/* The same with flags (CLI_STORE_WRITE below). */
struct store *cli_store_flags(struct cli *cli, int flags);
/* The same with store_open_ex() flags (STORE_OPEN_EXISTING for commands
 * that only read); errors as "tlspolicy CMD: message".  With
 * CLI_STORE_WRITE (a command that writes) it opens the setting
 * database_write when that is set (the primary, when database is a
 * read-only replica); --db always wins. */
#define CLI_STORE_WRITE 0x100
struct store *cli_store_open(struct cli *cli, const char *cmd, int flags);
/* The URL cli_store_open opens for flags (never NULL). */
const char *cli_store_url(struct cli *cli, int flags);

/*
 * Tells the running daemon about a change the command made: signal sig
 * (SIGHUP: reload the table and configuration; SIGUSR2: forget the
 * MTA-STS policies no longer in the database) to the pid in the setting
 * pidfile, when a daemon holds its lock.  Prints what happened on
 * stderr (stdout stays the command's result): "tlspolicy: the running
 * daemon (pid N) was told to WHAT", or why not and when the daemon sees
 * the change anyway (when no daemon holds the pid file: only with -v).
 * Returns 1 when told.
 */
int cli_tell_daemon(struct cli *cli, int sig, const char *what);

/* For commands whose output is no data (db, serve, postfix-config,
 * policy set/delete, sts flush): with --json prints the usage error and
 * returns 1 (the command returns EXIT_USAGE), else 0. */
int cli_refuse_json(const struct cli *cli, const char *cmd);

/* Prints "tlspolicy COMMAND: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A decimal number 0..max (digits only) into *out; 0, or -1. */
int cli_parse_ulong(const char *s, unsigned long max, unsigned long *out);

/* Subcommands. */
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_db(struct cli *cli, int argc, char **argv);
int cmd_policy(struct cli *cli, int argc, char **argv);
int cmd_bypass(struct cli *cli, int argc, char **argv); /* issue 13 */
int cmd_postfix_config(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_query(struct cli *cli, int argc, char **argv);
int cmd_logscan(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_sts(struct cli *cli, int argc, char **argv);
int cmd_probe(struct cli *cli, int argc, char **argv);
int cmd_provider(struct cli *cli, int argc, char **argv);
int cmd_own(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_tlsrpt(struct cli *cli, int argc, char **argv); /* cmd_tlsrpt.c, issue 15 */

#endif
