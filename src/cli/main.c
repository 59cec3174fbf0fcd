/* SPDX-License-Identifier: MIT */
/*
 * main.c - tlspolicy: TLS policy for Postfix's SMTP client.
 *
 * Dispatches to the subcommands; see tlspolicy(8).
 */
#include "cli/cli.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line per subcommand (keep in the order of the help text). */
static const struct cli_command commands[] = {
	{ "config", cmd_config, "print effective settings (like postconf)", 0 },
	{ "db", cmd_db, "create or check the policy table (db init, db check)", 0 },
	{ "policy", cmd_policy, "set/get/delete/list/import/export table rows", 0 },
	{ "postfix-config", cmd_postfix_config, "main.cf lines and Postfix table files", 0 },
	{ "serve", cmd_serve, "run the socketmap daemon Postfix queries", 0 },
	{ "query", cmd_query, "print the daemon's reply for keys (in-process or --server)", 0 },
	{ "logscan", cmd_logscan, "learn from Postfix logs which destinations take stronger TLS", 0 },
	{ "check", cmd_check, "DANE facts of domains and the answer the daemon would give", 0 },
	{ "sts", cmd_sts, "MTA-STS policy cache: refresh (discover now), show, flush", 0 },
	{ "probe", cmd_probe, "STARTTLS probe of SMTP servers: certificates, fingerprints, TLSA", 0 },
	{ "provider", cmd_provider, "provider catalogue and templates (list, match, template)", 0 },
	{ "own", cmd_own, "our own domains: TLSA records, rollover guard, MTA-STS/TLSRPT checks", 0 },
	{ "report", cmd_report, "one HTML page: TLS coverage, destinations, findings, changes", 0 },
	{ "tlsrpt", cmd_tlsrpt, "TLS reports (RFC 8460): collect, report, status, intake", 0 },
	/* COMMANDS: add new subcommands above this line */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy [-c FILE] [--db URL] [--json] [-v] COMMAND [ARGS]\n"
		"\n"
		"TLS policy for Postfix's SMTP client: discovers what each destination\n"
		"can take (DANE, MTA-STS, providers, logs) and answers Postfix over\n"
		"socketmap.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < CLI_NCOMMANDS(commands); i++)
		fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Global options:\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  --db URL           policy table: sqlite:/path or mysql://user:pass@host/db\n"
		"  --json             machine-readable output where the output is data\n"
		"  -v                 more log output\n"
		"  -h, --help         this help; tlspolicy COMMAND --help for a command\n"
		"  --version          print the version\n"
		"\n"
		"Exit codes: 0 ok, 1 operation failed, 2 usage error.\n",
		CONFIG_DEFAULT_FILE);
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct cli cli;
	int i, rc;

	memset(&cli, 0, sizeof(cli));
	log_init("tlspolicy", LOG_DEST_STDERR, NULL);

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("tlspolicy %s\n", TLSPOLICY_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(a, "-v") == 0) {
			cli.verbose++;
		} else if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			cli.config_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			cli.config_path = a + 9;
		} else if (strcmp(a, "--db") == 0 && i + 1 < argc) {
			cli.db_url = argv[++i];
		} else if (strncmp(a, "--db=", 5) == 0) {
			cli.db_url = a + 5;
		} else {
			fprintf(stderr, "tlspolicy: unknown or incomplete option %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd = cli_command_find(commands, CLI_NCOMMANDS(commands), argv[i])) != NULL) {
		optind = 1;
		rc = cmd->fn(&cli, argc - i, argv + i);
		config_free(cli.cfg);
		return rc;
	}
	fprintf(stderr, "tlspolicy: unknown command \"%s\"; see tlspolicy --help\n", argv[i]);
	return EXIT_USAGE;
}
