/* SPDX-License-Identifier: MIT */
/*
 * cmd_config.c - tlspolicy config [-n|-d] [NAME...]: effective settings,
 * printed like postconf(1).  Reading the file (cli_config()) checks
 * every value, so `tlspolicy config` is also the check of a changed
 * tlspolicy.cf: exit 1 and FILE:LINE for the first bad line.
 */
#include "cli/cli.h"

#include <stdio.h>

static void config_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy config [-n | -d] [--json] [-c FILE] [NAME...]\n"
		"\n"
		"Prints the effective settings as 'name = value' lines, like postconf;\n"
		"every value is checked (exit 1 with FILE:LINE for the first bad one).\n"
		"  -n         only the settings the file sets (postconf -n)\n"
		"  -d         the built-in defaults instead of the effective values\n"
		"             (postconf -d)\n"
		"  NAME...    only these settings, their values alone, one a line\n"
		"             (as postconf -h NAME; exit 1 for an unknown name)\n"
		"  --json     one JSON object {\"name\": \"value\", ...} of the same settings\n"
		"             (docs/json.md)\n"
		"tlspolicy.cf(5) describes every setting.\n");
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config *cfg;
	int opt, ec = EXIT_OK, which = 0, rc = EXIT_OK;

	while ((opt = cli_next_opt(cli, argc, argv, "ndc:vh", longopts, config_usage,
				    &ec)) > 0) {
		switch (opt) {
		case 'n':
		case 'd':
			if (which != 0) {
				cli_error("config", "-n and -d exclude each other");
				return EXIT_USAGE;
			}
			which = opt == 'n' ? CONFIG_PRINT_NONDEFAULT : CONFIG_PRINT_DEFAULTS;
			break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return ec;
	if (which == CONFIG_PRINT_NONDEFAULT && optind < argc) {
		cli_error("config", "-n lists what the file sets; with NAME use no option");
		return EXIT_USAGE;
	}
	/* -d needs no file, but a bad file is still reported: it is the
	 * configuration every other command would refuse */
	cfg = cli_config(cli);
	if (cli->json) {
		int bad = config_print_json(cfg, stdout, which, argv + optind,
					    (size_t)(argc - optind));

		if (bad >= 0) {
			cli_error("config", "unknown setting \"%s\" (tlspolicy config lists them)",
				  argv[optind + bad]);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if (optind >= argc) {
		config_print(cfg, stdout, which);
		return EXIT_OK;
	}
	for (int i = optind; i < argc; i++) {
		if (config_print_one(cfg, stdout, argv[i], CONFIG_PRINT_BARE | which) < 0) {
			cli_error("config", "unknown setting \"%s\" (tlspolicy config lists them)",
				  argv[i]);
			rc = EXIT_FAIL;
		}
	}
	return rc;
}
