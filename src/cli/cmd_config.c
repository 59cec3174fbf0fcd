/* SPDX-License-Identifier: MIT */
/*
 * cmd_config.c - tlspolicy config [-n] [NAME...]: effective settings,
 * printed like postconf(1).
 */
#include "cli/cli.h"

#include <stdio.h>

static void config_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy config [-n] [-c FILE] [NAME...]\n"
		"\n"
		"Prints the effective settings as 'name = value' lines, like postconf.\n"
		"  -n         only settings that differ from the built-in default\n"
		"  NAME...    only these settings (exit 1 for an unknown name)\n");
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config *cfg;
	int opt, only_nondefault = 0, rc = EXIT_OK;

	while ((opt = getopt_long(argc, argv, "nc:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'n':
			only_nondefault = 1;
			break;
		case 'h':
			config_usage(stdout);
			return EXIT_OK;
		default:
			config_usage(stderr);
			return EXIT_USAGE;
		}
	}
	cfg = cli_config(cli);
	if (optind >= argc) {
		config_print(cfg, stdout, only_nondefault);
		return EXIT_OK;
	}
	for (int i = optind; i < argc; i++) {
		if (config_print_one(cfg, stdout, argv[i]) < 0) {
			cli_error("config", "unknown setting \"%s\"", argv[i]);
			rc = EXIT_FAIL;
		}
	}
	return rc;
}
