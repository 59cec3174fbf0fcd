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
	int opt, ec = EXIT_OK, only_nondefault = 0, rc = EXIT_OK;

	while ((opt = cli_next_opt(cli, argc, argv, "nc:vh", longopts, config_usage,
				    &ec)) > 0) {
		switch (opt) {
		case 'n':
			only_nondefault = 1;
			break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return ec;
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
