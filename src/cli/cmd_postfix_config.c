/* SPDX-License-Identifier: MIT */
/*
 * cmd_postfix_config.c - tlspolicy postfix-config [--role mx|mta]
 * [--write-maps DIR [--direct]]: the main.cf lines that make Postfix's
 * SMTP client use tlspolicy, and optionally Postfix's own mysql:/sqlite:
 * lookup-table files (mysql_table(5), sqlite_table(5)) that read the
 * same policy table directly.
 *
 * smtp_tls_security_level comes from the `_default` row, else from the
 * role (mta: dane-only, mx: dane); with dane_answer = notfound it is at
 * least dane (the daemon then leaves DANE domains to Postfix's own dane
 * level: a weaker main.cf level would drop DANE).  smtp_tls_policy_maps
 * points at the first `listen` address (socketmap:inet:HOST:PORT:NAME);
 * for a unix: listener the tlspolicy.cf lines that let Postfix's smtp(8)
 * (user postfix) connect follow as comments.  The table
 * files select CONCAT(policy, ' ', params), without the space when
 * params is NULL or empty, so Postfix receives exactly what
 * `tlspolicy policy get` prints for rows stored in canonical form.
 *
 * SECURITY: the mysql file holds the database password; it is written
 * mode 0640, group postfix when that group exists, via a temporary file
 * and rename.
 */
#include "cli/cli.h"
#include "policy/policy.h"
#include "store/store.h"
#include "util/errbuf.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PFCONF_MYSQL_FILE "tlspolicy-mysql.cf"
#define PFCONF_SQLITE_FILE "tlspolicy-sqlite.cf"
#define PFCONF_MAP_NAME "tlspolicy"

/* What Postfix runs for each lookup; '%s' is the key, escaped by Postfix. */
#define PFCONF_MYSQL_QUERY                                              \
	"SELECT CONCAT_WS(' ', policy, NULLIF(params, '')) FROM tlspolicies " \
	"WHERE domain = '%s'"
#define PFCONF_SQLITE_QUERY                                             \
	"SELECT policy || COALESCE(' ' || NULLIF(params, ''), '') "     \
	"FROM tlspolicies WHERE domain = '%s'"

static const char *const pfconf_help =
	"usage: tlspolicy postfix-config [--role mx|mta] [--write-maps DIR [--direct]]\n"
	"\n"
	"Prints the main.cf lines for Postfix's SMTP client:\n"
	"  smtp_tls_security_level  the _default row's level, else by role:\n"
	"                           mx: dane (default), mta: dane-only\n"
	"  smtp_dns_support_level   dnssec (needed for DANE)\n"
	"  smtp_tls_policy_maps     socketmap:inet:HOST:PORT:NAME (from 'listen')\n"
	"\n"
	"  --write-maps DIR  also write DIR/" PFCONF_MYSQL_FILE " or DIR/" PFCONF_SQLITE_FILE "\n"
	"                    (the database in use), a Postfix lookup table reading\n"
	"                    the policy table directly, and print its line\n"
	"  --direct          make that table the active smtp_tls_policy_maps\n"
	"                    (Postfix then needs no tlspolicy daemon, but gets no\n"
	"                    discovered policies)\n";

enum { OPT_ROLE = 0x2000, OPT_WRITE_MAPS, OPT_DIRECT };

/* The socketmap table for the first listener, into out. */
static int socketmap_of(struct config *cfg, char *out, size_t outlen)
{
	char *words[4], *storage = NULL, *names[2], *nstorage = NULL;
	const char *name = PFCONF_MAP_NAME;
	size_t n, nn;
	int rc = 0;

	n = config_split_list(config_get(cfg, "listen"), words, 4, &storage);
	nn = config_split_list(config_get(cfg, "map_names"), names, 2, &nstorage);
	if (nn > 0)
		name = names[0];
	if (n == 0) {
		cli_error("postfix-config", "setting 'listen' is empty");
		rc = -1;
	} else if (strncmp(words[0], "inet:", 5) == 0) {
		const char *hp = words[0] + 5;

		/* a wildcard listener is reached over loopback */
		if (strncmp(hp, "0.0.0.0:", 8) == 0)
			snprintf(out, outlen, "socketmap:inet:127.0.0.1:%s:%s", hp + 8, name);
		else if (strncmp(hp, "[::]:", 5) == 0)
			snprintf(out, outlen, "socketmap:inet:[::1]:%s:%s", hp + 5, name);
		else if (hp[0] == ':')
			snprintf(out, outlen, "socketmap:inet:127.0.0.1%s:%s", hp, name);
		else
			snprintf(out, outlen, "socketmap:inet:%s:%s", hp, name);
	} else if (strncmp(words[0], "unix:", 5) == 0) {
		snprintf(out, outlen, "socketmap:unix:%s:%s", words[0] + 5, name);
	} else {
		cli_error("postfix-config", "cannot use listener \"%s\" (inet: or unix:)",
			  words[0]);
		rc = -1;
	}
	free(storage);
	free(nstorage);
	return rc;
}

/* Rejects a value Postfix's table config parser would not read back
 * as given (one line, no surrounding whitespace). */
static int cf_value_ok(const char *what, const char *v)
{
	size_t n = strlen(v);

	if (strpbrk(v, "\r\n") || (n && (v[0] == ' ' || v[0] == '\t' ||
					  v[n - 1] == ' ' || v[n - 1] == '\t'))) {
		cli_error("postfix-config", "the %s cannot be written to a Postfix table "
			  "file (line break or surrounding whitespace)", what);
		return -1;
	}
	return 0;
}

/* Writes text to dir/name atomically, mode 0640, group postfix if any. */
static int write_file(const char *dir, const char *name, const char *text,
		      char *path, size_t pathlen)
{
	struct group *gr;
	gid_t gid = (gid_t)-1;
	struct errbuf why;

	if ((size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen) {
		cli_error("postfix-config", "%s: path too long", dir);
		return -1;
	}
	if (geteuid() == 0 && (gr = getgrnam("postfix")) != NULL)
		gid = gr->gr_gid;
	if (file_write_atomic(path, text, strlen(text), 0640, gid, &why) < 0) {
		cli_error("postfix-config", "%s", why.msg);
		return -1;
	}
	return 0;
}

/* Writes the Postfix table file for the database; its type:path into
 * map (e.g. "mysql:/etc/postfix/tlspolicy-mysql.cf"). */
static int write_maps(struct cli *cli, const char *dir, char *map, size_t maplen)
{
	const char *url = cli->db_url ? cli->db_url : config_get(cli_config(cli), "database");
	char absdir[PATH_MAX], path[PATH_MAX], hosts[600], *text = NULL, *desc = NULL;
	struct store_url u;
	struct errbuf why;
	int rc = -1, n;

	errbuf_clear(&why);
	if (store_url_parse(url, &u, &why) < 0) {
		cli_error("postfix-config", "%s", why.msg);
		return -1;
	}
	if (realpath(dir, absdir) == NULL) {
		cli_error("postfix-config", "%s: %s", dir, strerror(errno));
		goto done;
	}
	desc = store_url_describe(&u);
	if (u.kind == STORE_SQLITE) {
		char dbpath[PATH_MAX];

		if (realpath(u.path, dbpath) == NULL) {
			cli_error("postfix-config", "sqlite:%s: %s (run tlspolicy db init)",
				  u.path, strerror(errno));
			goto done;
		}
		if (cf_value_ok("database path", dbpath) < 0)
			goto done;
		n = asprintf(&text,
			     "# Postfix sqlite_table(5): the tlspolicy policy table, read directly.\n"
			     "# Written by tlspolicy postfix-config from %s.\n"
			     "# main.cf: smtp_tls_policy_maps = sqlite:%s/%s\n"
			     "dbpath = %s\n"
			     "query = %s\n",
			     desc ? desc : "sqlite", absdir, PFCONF_SQLITE_FILE, dbpath,
			     PFCONF_SQLITE_QUERY);
		if (n < 0)
			goto nomem;
		if (write_file(absdir, PFCONF_SQLITE_FILE, text, path, sizeof(path)) < 0)
			goto done;
		snprintf(map, maplen, "sqlite:%s", path);
	} else {
		if (u.socket)
			snprintf(hosts, sizeof(hosts), "unix:%s", u.socket);
		else if (strchr(u.host, ':'))
			snprintf(hosts, sizeof(hosts), "inet:[%s]:%u", u.host,
				 u.port ? u.port : 3306);
		else if (u.port)
			snprintf(hosts, sizeof(hosts), "inet:%s:%u", u.host, u.port);
		else
			snprintf(hosts, sizeof(hosts), "%s", u.host);
		if (cf_value_ok("user name", u.user) < 0 ||
		    (u.password && cf_value_ok("password", u.password) < 0) ||
		    cf_value_ok("socket path", hosts) < 0)
			goto done;
		n = asprintf(&text,
			     "# Postfix mysql_table(5): the tlspolicy policy table, read directly.\n"
			     "# Written by tlspolicy postfix-config from %s.\n"
			     "# main.cf: smtp_tls_policy_maps = mysql:%s/%s\n"
			     "hosts = %s\n"
			     "user = %s\n"
			     "password = %s\n"
			     "dbname = %s\n"
			     "query = %s\n",
			     desc ? desc : "mysql", absdir, PFCONF_MYSQL_FILE, hosts, u.user,
			     u.password ? u.password : "", u.dbname, PFCONF_MYSQL_QUERY);
		if (n < 0)
			goto nomem;
		if (write_file(absdir, PFCONF_MYSQL_FILE, text, path, sizeof(path)) < 0)
			goto done;
		snprintf(map, maplen, "mysql:%s", path);
	}
	fprintf(stderr, "tlspolicy postfix-config: wrote %s\n", path);
	rc = 0;
	goto done;
nomem:
	text = NULL;
	cli_error("postfix-config", "out of memory");
done:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	free(desc);
	store_url_free(&u);
	return rc;
}

/* The level for smtp_tls_security_level: the _default row's, else the
 * role's.  note gets a comment about where it came from. */
static int default_level(struct cli *cli, const char *role, char *level,
			 size_t levellen, char *note, size_t notelen)
{
	struct policy_opts opts;
	struct store_row row;
	struct policy *p;
	struct store *st;
	struct errbuf why;
	int rc;

	if ((st = cli_store_open(cli, "postfix-config", STORE_OPEN_EXISTING)) == NULL)
		return -1;
	errbuf_clear(&why);
	rc = store_get(st, "_default", &row, &why);
	store_close(st);
	if (rc < 0) {
		cli_error("postfix-config", "%s", why.msg);
		return -1;
	}
	snprintf(level, levellen, "%s", strcmp(role, "mta") == 0 ? "dane-only" : "dane");
	snprintf(note, notelen, "# smtp_tls_security_level: role %s (no _default row)", role);
	if (rc == 0)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.postfix_compat = config_get_version(cli_config(cli), "postfix_compatibility");
	if (store_row_policy(&row, &opts, &p, &why) < 0) {
		cli_error("postfix-config", "warning: %s; using the role's level", why.msg);
		snprintf(note, notelen, "# smtp_tls_security_level: role %s "
			 "(the _default row is invalid)", role);
	} else {
		snprintf(level, levellen, "%s", policy_level_name(p->level));
		if (p->nattrs)
			snprintf(note, notelen, "# smtp_tls_security_level: from the _default row "
				 "(its attributes are not set here)");
		else
			snprintf(note, notelen, "# smtp_tls_security_level: from the _default row");
		policy_free(p);
	}
	store_row_free(&row);
	return 0;
}

/* For a unix: listener: the tlspolicy.cf lines that let Postfix's
 * smtp(8) (user postfix, group postfix) connect, as comments; whether
 * the current settings already do. */
static void unix_socket_lines(const struct config *cfg)
{
	const char *mode = config_get(cfg, "unix_socket_mode");
	const char *owner = config_get(cfg, "unix_socket_owner");
	const char *colon = strchr(owner, ':');
	unsigned long m = strtoul(mode, NULL, 8);
	int ok = (m & 006) == 006 || (colon && strcmp(colon + 1, "postfix") == 0 &&
				      (m & 060) == 060);

	printf("# tlspolicy.cf, so that Postfix's smtp(8) (group postfix) may connect to "
	       "the unix: listener%s:\n", ok ? " (set already)" : "");
	printf("#   unix_socket_mode = 0660\n");
	printf("#   unix_socket_owner = tlspolicy:postfix\n");
	printf("# (a chrooted smtp(8) reaches only paths under the queue directory, "
	       "e.g. unix:/var/spool/postfix/private/tlspolicy as socketmap:unix:"
	       "private/tlspolicy:NAME)\n");
}

/* What the command line asks for. */
struct pfconf_opts {
	const char *role;   /* --role: mx or mta */
	const char *dir;    /* --write-maps DIR, or NULL */
	int direct;         /* --direct */
};

/* The command line into *o; -1 to go on, else the exit code. */
static int pfconf_parse(struct cli *cli, int argc, char **argv, struct pfconf_opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "write-maps", required_argument, NULL, OPT_WRITE_MAPS },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	o->role = "mx";
	o->dir = NULL;
	o->direct = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'h':
			fputs(pfconf_help, stdout);
			return EXIT_OK;
		case OPT_ROLE:
			o->role = optarg;
			break;
		case OPT_WRITE_MAPS:
			o->dir = optarg;
			break;
		case OPT_DIRECT:
			o->direct = 1;
			break;
		default:
			cli_error("postfix-config", "unknown option or missing argument: %s",
				  argv[optind - 1]);
			fputs(pfconf_help, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(pfconf_help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(o->role, "mx") != 0 && strcmp(o->role, "mta") != 0) {
		cli_error("postfix-config", "unknown role \"%s\" (mx or mta)", o->role);
		return EXIT_USAGE;
	}
	if (o->direct && o->dir == NULL) {
		cli_error("postfix-config", "--direct needs --write-maps DIR");
		return EXIT_USAGE;
	}
	return -1;
}

static int pfconf_run(struct cli *cli, const struct pfconf_opts *o)
{
	const char *role = o->role, *dir = o->dir;
	char level[32], note[160], sockmap[600], map[PATH_MAX + 16];
	int direct = o->direct;

	if (socketmap_of(cli_config(cli), sockmap, sizeof(sockmap)) < 0)
		return EXIT_FAIL;
	if (default_level(cli, role, level, sizeof(level), note, sizeof(note)) < 0)
		return EXIT_FAIL;
	if (strcmp(config_get(cli_config(cli), "dane_answer"), "notfound") == 0 &&
	    strcmp(level, "dane") != 0 && strcmp(level, "dane-only") != 0) {
		snprintf(note, sizeof(note), "# smtp_tls_security_level: dane, not %s: with "
			 "dane_answer = notfound Postfix's own dane level decides for DANE "
			 "domains", level);
		snprintf(level, sizeof(level), "dane");
	}
	if (dir && write_maps(cli, dir, map, sizeof(map)) < 0)
		return EXIT_FAIL;

	printf("# main.cf lines for tlspolicy (postconf -e 'LINE' for each)\n");
	printf("%s\n", note);
	printf("smtp_tls_security_level = %s\n", level);
	printf("smtp_dns_support_level = dnssec\n");
	if (dir == NULL) {
		printf("smtp_tls_policy_maps = %s\n", sockmap);
	} else if (!direct) {
		printf("smtp_tls_policy_maps = %s\n", sockmap);
		printf("# without the tlspolicy daemon (table rows only, no discovery):\n");
		printf("#smtp_tls_policy_maps = %s\n", map);
	} else {
		printf("# Postfix reads the policy table itself (no discovery):\n");
		printf("smtp_tls_policy_maps = %s\n", map);
		printf("# with the tlspolicy daemon instead:\n");
		printf("#smtp_tls_policy_maps = %s\n", sockmap);
	}
	if (strncmp(sockmap, "socketmap:unix:", 15) == 0)
		unix_socket_lines(cli_config(cli));
	return EXIT_OK;
}

int cmd_postfix_config(struct cli *cli, int argc, char **argv)
{
	struct pfconf_opts o;
	int rc = pfconf_parse(cli, argc, argv, &o);

	return rc >= 0 ? rc : pfconf_run(cli, &o);
}
