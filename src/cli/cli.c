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

int cli_next_opt(struct cli *cli, int argc, char **argv, const char *shortopts,
		 const struct option *longopts, void (*usage)(FILE *out), int *code)
{
	int opt;

	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == 'h') {
			usage(stdout);
			*code = EXIT_OK;
			return CLI_OPT_EXIT;
		}
		if (opt == '?' || opt == ':') {
			usage(stderr);
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

/* Opens --db or the setting; NULL with why on failure. */
static struct store *store_of(struct cli *cli, int flags, struct errbuf *why)
{
	struct config *cfg = cli_config(cli);
	const char *url = cli->db_url ? cli->db_url : config_get(cfg, "database");
	struct store *st = NULL;

	errbuf_clear(why);
	return store_open_ex(url, flags, &st, why) < 0 ? NULL : st;
}

struct store *cli_store(struct cli *cli)
{
	struct errbuf why;
	struct store *st = store_of(cli, 0, &why);

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
