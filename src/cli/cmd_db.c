/* SPDX-License-Identifier: MIT */
/*
 * cmd_db.c - tlspolicy db init|check: the policy table itself.
 *
 * init creates the table tlspolicies when it is missing (for MariaDB
 * exactly the ViMbAdmin DDL; for SQLite its equivalent) and leaves an
 * existing one as it is after checking it has the columns we use; the
 * same for tlspolicy's own tables tlspolicy_sts (store_sts.h) and
 * tlspolicy_provenance (store_prov.h).  It is the only command that
 * creates a database (an SQLite file and its directory) or a table.
 * check validates every row the way the daemon and the exports do and
 * reports each invalid row by its id (exit 1 when there is one).
 */
#include "cli/cli.h"
#include "store/store_tlsrpt.h"
#include "policy/policy.h"
#include "store/store.h"
#include "store/store_bypass.h"
#include "store/store_change.h"
#include "store/store_prov.h"
#include "store/store_own.h"
#include "store/store_report.h"
#include "store/store_sts.h"

#include <stdio.h>
#include <string.h>

static const char *const db_help =
	"usage: tlspolicy db COMMAND\n"
	"\n"
	"Commands:\n"
	"  init    create the database (an SQLite file: also its directory) and\n"
	"          the tables tlspolicies (the policy table), tlspolicy_sts (the\n"
	"          MTA-STS cache) and tlspolicy_sts_lease (who fetches it for\n"
	"          every server), tlspolicy_provenance (who wrote each row\n"
	"          and why), tlspolicy_bypass (emergency bypasses) and more when\n"
	"          they are missing (an existing table is used as\n"
	"          it is, never altered), and tlspolicy_meta with triggers on\n"
	"          tlspolicies and tlspolicy_bypass (the daemons' change marker).\n"
	"          No other command creates any of them.\n"
	"  check   validate every row; report invalid rows by id (exit 1 if any)\n"
	"\n"
	"The database is --db URL or the setting 'database':\n"
	"  sqlite:/path/file.db\n"
	"  mysql://user:password@host[:port]/dbname[?socket=/path&timeout=N]\n";

struct check_state {
	struct policy_opts opts;
	unsigned long rows, bad;
};

static int check_row(const struct store_row *row, void *arg)
{
	struct check_state *cs = arg;
	struct policy *p;
	struct errbuf why;

	cs->rows++;
	errbuf_clear(&why);
	if (store_row_policy(row, &cs->opts, &p, &why) < 0) {
		cli_error("db", "%s", why.msg);
		cs->bad++;
		return 0;
	}
	policy_free(p);
	return 0;
}

enum { DB_HELP = 1, DB_INIT, DB_CHECK };

struct db_opts {
	int sub;        /* DB_INIT or DB_CHECK */
};

static void db_usage(FILE *out)
{
	fputs(db_help, out);
}

/* Fills *o from the command line; -1 when the command must return *code. */
static int parse_db(struct cli *cli, int argc, char **argv, struct db_opts *o, int *code)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_command subs[] = {
		{ "help", NULL, NULL, DB_HELP },
		{ "init", NULL, NULL, DB_INIT },
		{ "check", NULL, NULL, DB_CHECK },
	};
	const struct cli_command *c;
	const char *sub;
	int opt;

	/* "c:vh": every option is common, -h or an error */
	while ((opt = cli_next_opt_cmd(cli, "db", argc, argv, "c:vh", longopts, db_usage,
					code)) > 0)
		;
	if (opt == CLI_OPT_EXIT)
		return -1;
	*code = EXIT_USAGE;
	if (argc - optind != 1) {
		fputs(db_help, stderr);
		return -1;
	}
	if (cli_refuse_json(cli, "db"))
		return -1;
	sub = argv[optind];
	if ((c = cli_command_find(subs, CLI_NCOMMANDS(subs), sub)) == NULL) {
		cli_error("db", "unknown command \"%s\"; see tlspolicy db --help", sub);
		return -1;
	}
	if (c->id == DB_HELP) {
		fputs(db_help, stdout);
		*code = EXIT_OK;
		return -1;
	}
	o->sub = c->id;
	return 0;
}

/* db init: every table; prints what it created or found. */
static int db_init(struct store *st, struct errbuf *why)
{
	int created, sts_created, prov_created = 0, own_created = 0, report_created = 0;
	int bypass_created = 0, lease_created = 0, meta_created = 0, marker = 0, rc;
	struct errbuf warn;

	rc = store_init_ex(st, &created, &sts_created, why);
	if (rc == 0) /* issue 14: the shared MTA-STS cache's fetch lease */
		rc = store_sts_lease_init(st, &lease_created, why);
	if (rc == 0)
		rc = store_prov_init(st, &prov_created, why);
	if (rc == 0)
		rc = store_own_init(st, &own_created, why);
	if (rc == 0)
		rc = store_report_init(st, &report_created, why);
	if (rc == 0) /* issue 13: emergency bypasses (store_bypass.h) */
		rc = store_bypass_init(st, &bypass_created, why);
	if (rc == 0) /* issue 15: tlspolicy_tlsrpt_* (store_tlsrpt.h) */
		rc = store_tlsrpt_init(st, why);
	errbuf_clear(&warn);
	if (rc == 0) /* issue 14: the change marker, after the tables it watches */
		rc = store_change_init(st, &meta_created, &marker, &warn, why);
	if (rc == 0) {
		printf("%s table tlspolicies in %s\n",
		       created ? "created" : "using the existing", store_describe(st));
		printf("%s table %s in %s\n", sts_created ? "created" :
		       "using the existing", STORE_STS_TABLE, store_describe(st));
		printf("%s table %s in %s\n", lease_created ? "created" :
		       "using the existing", STORE_STS_LEASE_TABLE, store_describe(st));
		printf("%s table %s in %s\n", prov_created ? "created" :
		       "using the existing", STORE_PROV_TABLE, store_describe(st));
		printf("%s table %s in %s\n", own_created ? "created" :
		       "using the existing", STORE_OWN_TABLE, store_describe(st));
		printf("%s table %s in %s\n", report_created ? "created" :
		       "using the existing", STORE_REPORT_TABLE, store_describe(st));
		printf("%s table %s in %s\n", bypass_created ? "created" :
		       "using the existing", STORE_BYPASS_TABLE, store_describe(st));
		printf("TLSRPT tables tlspolicy_tlsrpt_* ready in %s\n", store_describe(st));
		printf("%s table %s in %s\n", meta_created ? "created" :
		       "using the existing", STORE_META_TABLE, store_describe(st));
		if (!marker)
			cli_error("db", "warning: %s", warn.msg);
	}
	return rc;
}

static int run_db(struct cli *cli, const struct db_opts *o)
{
	struct store *st;
	struct errbuf why;
	int rc;

	/* check reads only: it creates no SQLite file */
	if ((st = cli_store_open(cli, "db", o->sub == DB_INIT ? STORE_OPEN_CREATE :
				 STORE_OPEN_EXISTING)) == NULL)
		return EXIT_FAIL;
	errbuf_clear(&why);
	if (o->sub == DB_INIT) {
		rc = db_init(st, &why);
	} else {
		struct check_state cs;

		memset(&cs, 0, sizeof(cs));
		cs.opts.postfix_compat =
			config_get_version(cli_config(cli), "postfix_compatibility");
		rc = store_list(st, check_row, &cs, &why);
		if (rc == 0) {
			printf("%s: %lu rows, %lu invalid\n", store_describe(st), cs.rows,
			       cs.bad);
			if (cs.bad) {
				store_close(st);
				return EXIT_FAIL;
			}
		}
	}
	store_close(st);
	if (rc != 0) {
		cli_error("db", "%s", why.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_db(struct cli *cli, int argc, char **argv)
{
	struct db_opts o;
	int code = EXIT_OK;

	if (parse_db(cli, argc, argv, &o, &code) < 0)
		return code;
	return run_db(cli, &o);
}
