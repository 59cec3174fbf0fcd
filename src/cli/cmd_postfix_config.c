/* SPDX-License-Identifier: MIT */
/*
 * cmd_postfix_config.c - tlspolicy postfix-config [--role mx|mta]
 * [--write-maps DIR [--direct]]: the main.cf lines that make Postfix's
 * SMTP client use tlspolicy, and optionally Postfix's own mysql:/sqlite:
 * lookup-table files (mysql_table(5), sqlite_table(5)) that read the
 * same policy table directly.
 *
 * Roles (the design document): an mx delivers to the internet (MX
 * lookups for any domain) and gets dane; an mta relays only to the own MX
 * servers, which publish DANE, and gets dane-only, whatever the _default
 * row says (in a table shared with the mx servers it is the internet's
 * default).  For an mx smtp_tls_security_level comes from the `_default`
 * row, else dane (an mx never gets dane-only, it would defer mail to
 * every domain without DANE); the role must be given; with dane_answer =
 * notfound it is at least dane (the daemon then leaves DANE domains to
 * Postfix's own dane level: a weaker main.cf level would drop DANE).
 * smtp_tls_policy_maps points at the first `listen` address
 * (socketmap:inet:HOST:PORT:NAME); for a unix: listener the tlspolicy.cf
 * lines that let Postfix's smtp(8) (user postfix) connect follow as
 * comments, the path relative to queue_directory when it is below it, and
 * a warning when it is outside while smtp(8) runs chrooted.  Postfix's
 * settings come from postconf(1) when it runs (MAIL_CONFIG honoured):
 * smtp_tls_CAfile (for verify/secure answers) and smtp_tls_loglevel = 1
 * (for logscan) are printed unless already set.  The table
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
#include "util/text.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PFCONF_MYSQL_FILE "tlspolicy-mysql.cf"
#define PFCONF_SQLITE_FILE "tlspolicy-sqlite.cf"
#define PFCONF_MAP_NAME "tlspolicy"
/* Debian's bundle of the system's CA certificates (ca-certificates);
 * smtp(8) reads smtp_tls_CAfile before it enters the chroot. */
#define PFCONF_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

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
	"Prints the main.cf lines for Postfix's SMTP client (postconf -e each, then\n"
	"postfix reload):\n"
	"  smtp_tls_security_level  the level Postfix applies where tlspolicy answers\n"
	"                           nothing: the _default row's level, else the role's\n"
	"  smtp_dns_support_level   dnssec (needed for DANE)\n"
	"  smtp_tls_policy_maps     socketmap:inet:HOST:PORT:NAME (from 'listen')\n"
	"  smtp_tls_CAfile          when answers may be verify or secure (MTA-STS,\n"
	"                           provider templates, such table rows)\n"
	"  smtp_tls_loglevel = 1    the TLS lines tlspolicy logscan reads\n"
	"  smtp_tls_dane_insecure_mx_policy = dane\n"
	"                           when the level is below dane: Postfix then\n"
	"                           enforces dane answers behind an unsigned MX\n"
	"Postfix's current settings are read with postconf (MAIL_CONFIG honoured)\n"
	"where available: lines already right are shown as such, and a unix:\n"
	"listener that a chrooted smtp(8) cannot reach is warned about.\n"
	"\n"
	"  --role mx     a server that delivers to the internet (looks up the MX of\n"
	"                any domain): global level dane - DANE where published,\n"
	"                else opportunistic TLS; never dane-only, which would defer\n"
	"                mail to every domain without DANE\n"
	"  --role mta    a server that relays only to your own MX servers, which\n"
	"                publish DANE TLSA records (relayhost): global level dane-only,\n"
	"                whatever the _default row (the internet's default) says\n"
	"  One of the two must be given: the role decides the level (an mx takes\n"
	"  the _default row's level, else dane).\n"
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

/* What the table says that matters here: the _default row's level,
 * and how many rows need CA certificates (verify, secure). */
struct table_facts {
	int have_default;          /* a valid _default row */
	int default_invalid;       /* a _default row Postfix would refuse */
	int default_attrs;         /* it has attributes (not set in main.cf) */
	char default_level[32];
	unsigned long pkix_rows;   /* verify and secure rows */
	unsigned compat;
};

static int count_pkix(const struct store_row *row, void *arg)
{
	struct table_facts *tf = arg;

	if (row->policy && (strcasecmp(row->policy, "verify") == 0 ||
			    strcasecmp(row->policy, "secure") == 0))
		tf->pkix_rows++;
	return 0;
}

static int table_facts(struct cli *cli, struct table_facts *tf)
{
	struct policy_opts opts;
	struct store_row row;
	struct policy *p;
	struct store *st;
	struct errbuf why;
	int rc;

	memset(tf, 0, sizeof(*tf));
	if ((st = cli_store_open(cli, "postfix-config", STORE_OPEN_EXISTING)) == NULL)
		return -1;
	errbuf_clear(&why);
	rc = store_get(st, "_default", &row, &why);
	if (rc >= 0 && store_list(st, count_pkix, tf, &why) < 0)
		rc = -1;
	store_close(st);
	if (rc < 0) {
		cli_error("postfix-config", "%s", why.msg);
		return -1;
	}
	if (rc == 0)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.postfix_compat = config_get_version(cli_config(cli), "postfix_compatibility");
	if (store_row_policy(&row, &opts, &p, &why) < 0) {
		cli_error("postfix-config", "warning: the _default row is invalid: %s; "
			  "using the role's level", why.msg);
		tf->default_invalid = 1;
	} else {
		tf->have_default = 1;
		tf->default_attrs = p->nattrs > 0;
		snprintf(tf->default_level, sizeof(tf->default_level), "%s",
			 policy_level_name(p->level));
		policy_free(p);
	}
	store_row_free(&row);
	return 0;
}

/* Postfix's own settings, read with postconf(1) when it runs here. */
struct postfix_facts {
	int have;                      /* postconf answered */
	char queue_directory[PATH_MAX];
	char cafile[PATH_MAX], capath[PATH_MAX];
	long loglevel;
	int smtp_chroot;               /* a unix smtp(8) service is chrooted */
	char insecure_mx[16];          /* smtp_tls_dane_insecure_mx_policy, if set */
};

/* Runs a fixed postconf command line (no caller input reaches the
 * shell); up to max lines of its output into lines (newlines cut). */
static int run_postconf(const char *cmdline, char lines[][PATH_MAX], int max)
{
	char buf[4096];
	FILE *fp;
	int n = 0, more = 0, st;

	if ((fp = popen(cmdline, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (n < max)
			snprintf(lines[n++], PATH_MAX, "%s", buf);
		else
			more = 1;
	}
	st = pclose(fp);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return more ? max : n;
}

static void postfix_facts(struct postfix_facts *pf)
{
	static char lines[64][PATH_MAX];
	int n;

	memset(pf, 0, sizeof(*pf));
	n = run_postconf("postconf -h -x queue_directory smtp_tls_CAfile smtp_tls_CApath "
			 "smtp_tls_loglevel 2>/dev/null", lines, 4);
	if (n != 4)
		return;
	pf->have = 1;
	snprintf(pf->queue_directory, sizeof(pf->queue_directory), "%s", lines[0]);
	snprintf(pf->cafile, sizeof(pf->cafile), "%s", lines[1]);
	snprintf(pf->capath, sizeof(pf->capath), "%s", lines[2]);
	pf->loglevel = strtol(lines[3], NULL, 10);
	/* main.cf's own value only: the default follows the current level */
	if (run_postconf("postconf -n -h smtp_tls_dane_insecure_mx_policy 2>/dev/null",
			 lines, 1) == 1)
		(void)text_copy(pf->insecure_mx, sizeof(pf->insecure_mx), lines[0]);
	/* master.cf: service type private unpriv chroot wakeup maxproc command */
	n = run_postconf("postconf -M 2>/dev/null", lines, 64);
	for (int i = 0; i < n; i++) {
		char svc[64], type[16], priv[8], unpriv[8], chroot[8], wake[16], maxp[16],
		     cmd[64];

		if (sscanf(lines[i], "%63s %15s %7s %7s %7s %15s %15s %63s", svc, type, priv,
			   unpriv, chroot, wake, maxp, cmd) == 8 &&
		    strcmp(type, "unix") == 0 && strcmp(cmd, "smtp") == 0 &&
		    strcmp(chroot, "y") == 0)
			pf->smtp_chroot = 1;
	}
}

/* path below dir/ ?  Returns the part after "dir/", else NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(path, dir, n) != 0 || path[n] != '/')
		return NULL;
	return path + n + 1;
}

/* For a unix: listener: the tlspolicy.cf lines that let Postfix's
 * smtp(8) (user postfix, group postfix) connect, as comments; whether
 * the current settings already do; and whether a chrooted smtp(8) can
 * reach the path at all. */
static void unix_socket_lines(const struct config *cfg, const char *path,
			      const struct postfix_facts *pf)
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
	if (!pf->have) {
		printf("# (a chrooted smtp(8) reaches only paths under the queue directory, "
		       "e.g. unix:/var/spool/postfix/private/tlspolicy as socketmap:unix:"
		       "private/tlspolicy:NAME; postconf did not run here to check)\n");
		return;
	}
	if (below(path, pf->queue_directory) == NULL && pf->smtp_chroot) {
		printf("# WARNING: %s is outside queue_directory = %s, and smtp(8) runs "
		       "chrooted there (master.cf): it cannot reach the socket\n",
		       path, pf->queue_directory);
		cli_error("postfix-config", "warning: the unix: listener %s is outside "
			  "Postfix's queue_directory %s, where the chrooted smtp(8) "
			  "(master.cf) lives: Postfix cannot connect. Listen on "
			  "unix:%s/private/tlspolicy (tlspolicy.cf: listen), or use an "
			  "inet: listener, or run smtp(8) without chroot",
			  path, pf->queue_directory, pf->queue_directory);
	}
}

/* What the command line asks for. */
struct pfconf_opts {
	const char *role;   /* --role: mx or mta; NULL: not given */
	const char *dir;    /* --write-maps DIR, or NULL */
	int direct;         /* --direct */
};

static void pfconf_usage(FILE *out)
{
	fputs(pfconf_help, out);
}

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
	int opt, code;

	o->role = NULL;
	o->dir = NULL;
	o->direct = 0;
	while ((opt = cli_next_opt_cmd(cli, "postfix-config", argc, argv, "c:vh", longopts,
				       pfconf_usage, &code)) != CLI_OPT_END) {
		switch (opt) {
		case CLI_OPT_EXIT:
			return code;
		case OPT_ROLE:
			o->role = optarg;
			break;
		case OPT_WRITE_MAPS:
			o->dir = optarg;
			break;
		case OPT_DIRECT:
			o->direct = 1;
			break;
		default: /* an option of longopts without a case */
			pfconf_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(pfconf_help, stderr);
		return EXIT_USAGE;
	}
	if (cli_refuse_json(cli, "postfix-config"))
		return EXIT_USAGE;
	if (o->role && strcmp(o->role, "mx") != 0 && strcmp(o->role, "mta") != 0) {
		cli_error("postfix-config", "unknown role \"%s\" (mx or mta)", o->role);
		return EXIT_USAGE;
	}
	if (o->direct && o->dir == NULL) {
		cli_error("postfix-config", "--direct needs --write-maps DIR");
		return EXIT_USAGE;
	}
	return -1;
}

/* What pfconf_run() prints, worked out before anything is printed. */
struct pfconf_out {
	char level[32], note[300];
	char sockmap[600], map[PATH_MAX + 16];
	char upath[600];     /* the unix: listener's path, "" for inet: */
	int relative;        /* sockmap holds upath relative to queue_directory */
	int mta_note;        /* an mta with a _default row that is not dane-only */
};

/* The role decides the level: an mta gets dane-only whatever the table
 * says, an mx the _default row's level (never dane-only), else dane.
 * Never guessed: without --role, the refusal says what each would get. */
static int pfconf_level(const struct pfconf_opts *o, const struct table_facts *tf,
			const struct config *cfg, struct pfconf_out *out)
{
	if (o->role == NULL) {
		cli_error("postfix-config", "say which role this Postfix server has, it "
			  "decides smtp_tls_security_level:\n"
			  "  --role mx   it delivers to the internet (MX lookups for any "
			  "domain): %s\n"
			  "  --role mta  it relays only to your own MX servers, which publish "
			  "DANE: dane-only",
			  !tf->have_default ? "dane (there is no _default row)" :
			  strcmp(tf->default_level, "dane-only") == 0 ?
			  "dane (not the _default row's dane-only)" :
			  "the _default row's level");
		return -1;
	}
	if (strcmp(o->role, "mta") == 0) {
		/* the design's mta relays only to the own DANE MX servers: its
		 * level whatever the _default row (in a table shared with the
		 * mx servers, the internet's default) says */
		out->mta_note = tf->have_default && strcmp(tf->default_level, "dane-only") != 0;
		snprintf(out->level, sizeof(out->level), "dane-only");
		snprintf(out->note, sizeof(out->note), "# smtp_tls_security_level: role mta%s",
			 out->mta_note ? " (not the _default row's level: that is the answer "
			 "for destinations without a row of their own)" : "");
	} else if (tf->have_default) {
		snprintf(out->level, sizeof(out->level), "%s", tf->default_level);
		snprintf(out->note, sizeof(out->note), "# smtp_tls_security_level: from the "
			 "_default row%s", tf->default_attrs ?
			 " (its attributes are not set here)" : "");
	} else {
		snprintf(out->level, sizeof(out->level), "dane");
		snprintf(out->note, sizeof(out->note), "# smtp_tls_security_level: role mx (%s)",
			 tf->default_invalid ? "the _default row is invalid" : "no _default row");
	}
	if (strcmp(o->role, "mx") == 0 && strcmp(out->level, "dane-only") == 0) {
		/* a server that delivers to the internet must not defer mail to
		 * every domain without DANE where tlspolicy answers nothing */
		snprintf(out->note, sizeof(out->note), "# smtp_tls_security_level: dane, not "
			 "the _default row's dane-only: a server that delivers to the "
			 "internet would defer mail to every domain without DANE");
		snprintf(out->level, sizeof(out->level), "dane");
		cli_error("postfix-config", "warning: the _default row is dane-only: tlspolicy "
			  "answers it for every domain that publishes nothing, so this mx "
			  "defers mail to all of them; if the table is shared with your mta, "
			  "give the mta its own rows ([relay.host] dane-only) and set "
			  "_default to dane or may (tlspolicy policy set _default dane)");
	}
	if (strcmp(config_get(cfg, "dane_answer"), "notfound") == 0 &&
	    strcmp(out->level, "dane") != 0 && strcmp(out->level, "dane-only") != 0) {
		snprintf(out->note, sizeof(out->note), "# smtp_tls_security_level: dane, not "
			 "%s: with dane_answer = notfound Postfix's own dane level decides "
			 "for DANE domains", out->level);
		snprintf(out->level, sizeof(out->level), "dane");
	}
	return 0;
}

/* A unix: listener: its path into out->upath, and the map relative to
 * queue_directory when the path is below it (smtp(8) runs there,
 * chrooted or not). */
static void pfconf_unix_path(const struct postfix_facts *pf, struct pfconf_out *out)
{
	const char *name, *rel;
	char tmp[sizeof(out->sockmap)];

	if (strncmp(out->sockmap, "socketmap:unix:", 15) != 0)
		return;
	name = strrchr(out->sockmap, ':') + 1;
	snprintf(out->upath, sizeof(out->upath), "%.*s",
		 (int)(name - 1 - (out->sockmap + 15)), out->sockmap + 15);
	if (pf->have && (rel = below(out->upath, pf->queue_directory)) != NULL) {
		snprintf(tmp, sizeof(tmp), "socketmap:unix:%s:%s", rel, name);
		memcpy(out->sockmap, tmp, sizeof(out->sockmap));
		out->relative = 1;
	}
}

/* smtp_tls_CAfile when answers may be verify or secure: MTA-STS enforce
 * and provider templates (discovery answers bare domains; an mta asks
 * only for its relayhost, [host]: table rows), the table's rows, the
 * level itself.  Shown as set when Postfix has a CA file or directory. */
static void pfconf_ca_lines(const struct pfconf_opts *o, const struct config *cfg,
			    const struct table_facts *tf, const struct postfix_facts *pf,
			    const struct pfconf_out *out)
{
	int sts_ca = !o->direct && config_get_bool(cfg, "discovery") &&
		     strcmp(o->role, "mta") != 0;
	char why[160];

	if (!sts_ca && tf->pkix_rows == 0 && strcmp(out->level, "verify") != 0 &&
	    strcmp(out->level, "secure") != 0)
		return;
	if (tf->pkix_rows > 0)
		snprintf(why, sizeof(why), "%s%lu verify/secure table row%s",
			 sts_ca ? "MTA-STS and provider answers, " : "",
			 tf->pkix_rows, tf->pkix_rows == 1 ? "" : "s");
	else
		snprintf(why, sizeof(why), "%s", sts_ca ? "MTA-STS and provider answers" :
			 "the level above");
	if (pf->have && (*pf->cafile || *pf->capath)) {
		printf("# CA certificates for verify and secure answers (%s): set already "
		       "(smtp_tls_CAfile = %s, smtp_tls_CApath = %s)\n", why,
		       pf->cafile, pf->capath);
		return;
	}
	printf("# CA certificates for verify and secure answers (%s); without "
	       "them Postfix defers those deliveries:\n", why);
	if (access(PFCONF_CA_BUNDLE, R_OK) == 0)
		printf("smtp_tls_CAfile = %s\n", PFCONF_CA_BUNDLE);
	else
		printf("#smtp_tls_CAfile = /path/to/ca-bundle.pem (%s not found)\n",
		       PFCONF_CA_BUNDLE);
}

/*
 * tlspolicy answers dane for a domain whose MX RRset is not DNSSEC-signed
 * but whose hosts publish TLSA (RFC 7672 section 2.2.1).  Postfix enforces
 * such an answer only when smtp_tls_dane_insecure_mx_policy is dane, and
 * its default is dane only when the global level is dane.
 */
static void pfconf_insecure_mx_lines(const struct pfconf_out *out,
				     const struct postfix_facts *pf)
{
	if (strcmp(out->level, "dane") == 0 || strcmp(out->level, "dane-only") == 0)
		return;
	if (pf->have && strcmp(pf->insecure_mx, "dane") == 0) {
		printf("# smtp_tls_dane_insecure_mx_policy = dane: set already (DANE "
		       "behind an MX RRset without DNSSEC)\n");
		return;
	}
	printf("# DANE behind an MX RRset without DNSSEC (RFC 7672 section 2.2.1): "
	       "tlspolicy answers dane there, which Postfix enforces only with:\n");
	printf("smtp_tls_dane_insecure_mx_policy = dane\n");
}

static void pfconf_print(const struct pfconf_opts *o, const struct config *cfg,
			 const struct table_facts *tf, const struct postfix_facts *pf,
			 const struct pfconf_out *out)
{
	printf("# main.cf lines for tlspolicy, role %s (postconf -e 'LINE' for each, then "
	       "postfix reload)\n", o->role);
	printf("%s\n", out->note);
	printf("smtp_tls_security_level = %s\n", out->level);
	printf("smtp_dns_support_level = dnssec\n");
	pfconf_insecure_mx_lines(out, pf);
	if (o->dir == NULL) {
		printf("smtp_tls_policy_maps = %s\n", out->sockmap);
	} else if (!o->direct) {
		printf("smtp_tls_policy_maps = %s\n", out->sockmap);
		printf("# without the tlspolicy daemon (table rows only, no discovery):\n");
		printf("#smtp_tls_policy_maps = %s\n", out->map);
	} else {
		printf("# Postfix reads the policy table itself (no discovery):\n");
		printf("smtp_tls_policy_maps = %s\n", out->map);
		printf("# with the tlspolicy daemon instead:\n");
		printf("#smtp_tls_policy_maps = %s\n", out->sockmap);
	}
	if (out->relative)
		printf("# (the unix: listener %s relative to queue_directory = %s, where "
		       "smtp(8) runs, chrooted or not; postmap -q needs cd %s first)\n",
		       out->upath, pf->queue_directory, pf->queue_directory);
	if (*out->upath && !o->direct)
		unix_socket_lines(cfg, out->upath, pf);
	if (out->mta_note)
		printf("# tlspolicy answers the _default row (%s) for the relayhost unless "
		       "the table has a row for it:\n#   tlspolicy policy set "
		       "'[mx.example.com]' dane-only   (your relayhost)\n",
		       tf->default_level);
	pfconf_ca_lines(o, cfg, tf, pf, out);
	if (pf->have && pf->loglevel >= 1) {
		printf("# smtp_tls_loglevel = %ld: set already (tlspolicy logscan reads the "
		       "TLS lines of level 1)\n", pf->loglevel);
	} else {
		printf("# the TLS lines tlspolicy logscan reads (Postfix's default 0 logs none):\n");
		printf("smtp_tls_loglevel = 1\n");
	}
	printf("# then: postfix reload\n");
}

static int pfconf_run(struct cli *cli, const struct pfconf_opts *o)
{
	struct config *cfg = cli_config(cli);
	struct postfix_facts pf;
	struct table_facts tf;
	struct pfconf_out out;

	memset(&out, 0, sizeof(out));
	if (socketmap_of(cfg, out.sockmap, sizeof(out.sockmap)) < 0)
		return EXIT_FAIL;
	if (table_facts(cli, &tf) < 0)
		return EXIT_FAIL;
	if (pfconf_level(o, &tf, cfg, &out) < 0)
		return EXIT_USAGE;
	if (o->dir && write_maps(cli, o->dir, out.map, sizeof(out.map)) < 0)
		return EXIT_FAIL;
	postfix_facts(&pf);
	pfconf_unix_path(&pf, &out);
	pfconf_print(o, cfg, &tf, &pf, &out);
	return EXIT_OK;
}

int cmd_postfix_config(struct cli *cli, int argc, char **argv)
{
	struct pfconf_opts o;
	int rc = pfconf_parse(cli, argc, argv, &o);

	return rc >= 0 ? rc : pfconf_run(cli, &o);
}
