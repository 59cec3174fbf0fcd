/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "store/store.h"

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

struct store *cli_store(struct cli *cli)
{
	struct config *cfg = cli_config(cli);
	const char *url = cli->db_url ? cli->db_url : config_get(cfg, "database");
	struct store *st = NULL;
	struct errbuf why;

	errbuf_clear(&why);
	if (store_open(url, &st, &why) < 0) {
		fprintf(stderr, "tlspolicy: database: %s\n", why.msg);
		return NULL;
	}
	return st;
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

void cli_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}
