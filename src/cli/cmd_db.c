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

#include "util/json.h"

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
	"  check [--json]  validate every row; report invalid rows by id; on\n"
	"          MariaDB also the replication state of the server: a replica's\n"
	"          primary, IO and SQL threads, seconds behind the primary,\n"
	"          read_only; a Galera node's state and cluster size (exit 1\n"
	"          on an invalid row or a stopped replication thread)\n"
	"\n"
	"The database is --db URL or the setting 'database' (init: the setting\n"
	"'database_write' when set, the primary of a replicated database):\n"
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
	if (o->sub == DB_INIT && cli_refuse_json(cli, "db"))
		return -1;
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

/* The replication part of db check (text). */
static void replica_print(const struct store *st, const struct store_replica *r)
{
	if (r->is_replica) {
		printf("replication: replica of %s, IO thread %s, SQL thread %s, ", r->primary,
		       r->io_running, r->sql_running);
		if (r->lag >= 0)
			printf("%lld s behind the primary", r->lag);
		else
			printf("lag unknown (a thread is not running)");
		printf(", read_only %s\n", r->read_only ? "ON" : "OFF");
	} else if (r->denied) {
		printf("replication: state not readable by this user (GRANT SLAVE MONITOR ON *.* "
		       "shows it), read_only %s\n", r->read_only ? "ON" : "OFF");
	} else if (!r->galera) {
		printf("replication: none (%s replicates from no primary), read_only %s\n",
		       store_describe(st), r->read_only ? "ON" : "OFF");
	}
	if (r->galera)
		printf("galera: node %s, %s, cluster size %ld\n", r->galera_state,
		       r->galera_ready ? "ready" : "NOT ready (it refuses queries)",
		       r->galera_size);
}

static void json_opt_str(const char *name, const char *v, int last)
{
	printf("\"%s\": ", name);
	if (v && *v)
		json_fput_str(stdout, v, JSON_LATIN1);
	else
		fputs("null", stdout);
	fputs(last ? "" : ", ", stdout);
}

/* db check --json: one object (docs/json.md). rc_rep: the status read. */
static void check_json(const struct store *st, unsigned long rows, unsigned long bad,
		       int rc_rep, const struct store_replica *r, const char *rep_err)
{
	printf("{\"database\": ");
	json_fput_str(stdout, store_describe(st), 0);
	printf(", \"backend\": \"%s\", \"rows\": %lu, \"invalid\": %lu, ",
	       store_backend(st), rows, bad);
	if (rc_rep < 0 || r->denied) {
		printf("\"replication\": null, \"replication_error\": ");
		json_fput_str(stdout, rc_rep < 0 ? rep_err : "the user may not read the "
			      "replication state (GRANT SLAVE MONITOR ON *.*)", JSON_LATIN1);
		if (rc_rep == 0)
			printf(", \"read_only\": %s", r->read_only ? "true" : "false");
	} else {
		printf("\"read_only\": %s, \"replication\": ", r->read_only ? "true" : "false");
		if (r->is_replica) {
			putchar('{');
			json_opt_str("primary", r->primary, 0);
			json_opt_str("io_running", r->io_running, 0);
			json_opt_str("sql_running", r->sql_running, 0);
			if (r->lag >= 0)
				printf("\"seconds_behind_primary\": %lld, ", r->lag);
			else
				printf("\"seconds_behind_primary\": null, ");
			printf("\"stopped\": %s, ", store_replica_stopped(r) ? "true" : "false");
			json_opt_str("last_error", r->last_error, 1);
			putchar('}');
		} else {
			fputs("null", stdout);
		}
		fputs(", \"galera\": ", stdout);
		if (r->galera) {
			putchar('{');
			json_opt_str("state", r->galera_state, 0);
			printf("\"ready\": %s, \"cluster_size\": %ld}",
			       r->galera_ready ? "true" : "false", r->galera_size);
		} else {
			fputs("null", stdout);
		}
	}
	puts("}");
}

/* db check: the rows, then (MariaDB) the replication state. */
static int db_check(struct cli *cli, struct store *st, struct errbuf *why)
{
	struct check_state cs;
	struct store_replica r;
	struct errbuf rwhy;
	int rc, rc_rep, code = EXIT_OK;

	memset(&cs, 0, sizeof(cs));
	cs.opts.postfix_compat = config_get_version(cli_config(cli), "postfix_compatibility");
	if ((rc = store_list(st, check_row, &cs, why)) != 0)
		return -1;
	errbuf_clear(&rwhy);
	rc_rep = store_replica_status(st, &r, &rwhy);
	if (cli->json) {
		check_json(st, cs.rows, cs.bad, rc_rep, &r, rwhy.msg);
	} else {
		printf("%s: %lu rows, %lu invalid\n", store_describe(st), cs.rows, cs.bad);
		if (rc_rep == 0 && strcmp(store_backend(st), "mysql") == 0)
			replica_print(st, &r);
	}
	if (rc_rep < 0)
		cli_error("db", "warning: replication state not read: %s", rwhy.msg);
	if (rc_rep == 0 && store_replica_stopped(&r)) {
		cli_error("db", "replication stopped on %s (IO thread %s, SQL thread %s%s%s): "
			  "this server no longer receives the primary's changes; daemons "
			  "reading it answer an old table until it runs again (START REPLICA)",
			  store_describe(st), r.io_running, r.sql_running,
			  r.last_error[0] ? "; last error: " : "", r.last_error);
		code = EXIT_FAIL;
	}
	return cs.bad ? EXIT_FAIL : code;
}

static int run_db(struct cli *cli, const struct db_opts *o)
{
	struct store *st;
	struct errbuf why;
	int rc;

	/* check reads only: it creates no SQLite file */
	if ((st = cli_store_open(cli, "db", o->sub == DB_INIT ?
				 STORE_OPEN_CREATE | CLI_STORE_WRITE :
				 STORE_OPEN_EXISTING)) == NULL)
		return EXIT_FAIL;
	errbuf_clear(&why);
	if (o->sub == DB_INIT) {
		rc = db_init(st, &why);
	} else if ((rc = db_check(cli, st, &why)) >= 0) {
		store_close(st);
		return rc;
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
