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

struct config_opts {
	int which;      /* 0, CONFIG_PRINT_NONDEFAULT (-n) or CONFIG_PRINT_DEFAULTS (-d) */
	char **names;   /* NAME... */
	size_t nnames;
};

/* Fills *o from the command line; -1 when the command must return *code. */
static int parse_config(struct cli *cli, int argc, char **argv, struct config_opts *o,
			int *code)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	o->which = 0;
	while ((opt = cli_next_opt(cli, argc, argv, "ndc:vh", longopts, config_usage,
				    code)) > 0) {
		switch (opt) {
		case 'n':
		case 'd':
			if (o->which != 0) {
				cli_error("config", "-n and -d exclude each other");
				*code = EXIT_USAGE;
				return -1;
			}
			o->which = opt == 'n' ? CONFIG_PRINT_NONDEFAULT : CONFIG_PRINT_DEFAULTS;
			break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return -1;
	if (o->which == CONFIG_PRINT_NONDEFAULT && optind < argc) {
		cli_error("config", "-n lists what the file sets; with NAME use no option");
		*code = EXIT_USAGE;
		return -1;
	}
	o->names = argv + optind;
	o->nnames = (size_t)(argc - optind);
	return 0;
}

static int run_config(struct cli *cli, const struct config_opts *o)
{
	struct config *cfg;
	int rc = EXIT_OK;

	/* -d needs no file, but a bad file is still reported: it is the
	 * configuration every other command would refuse */
	cfg = cli_config(cli);
	if (cli->json) {
		int bad = config_print_json(cfg, stdout, o->which, o->names, o->nnames);

		if (bad >= 0) {
			cli_error("config", "unknown setting \"%s\" (tlspolicy config lists them)",
				  o->names[bad]);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if (o->nnames == 0) {
		config_print(cfg, stdout, o->which);
		return EXIT_OK;
	}
	for (size_t i = 0; i < o->nnames; i++) {
		if (config_print_one(cfg, stdout, o->names[i], CONFIG_PRINT_BARE | o->which) < 0) {
			cli_error("config", "unknown setting \"%s\" (tlspolicy config lists them)",
				  o->names[i]);
			rc = EXIT_FAIL;
		}
	}
	return rc;
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	struct config_opts o;
	int code = EXIT_OK;

	if (parse_config(cli, argc, argv, &o, &code) < 0)
		return code;
	return run_config(cli, &o);
}
