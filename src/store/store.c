/* SPDX-License-Identifier: MIT */
/*
 * store.c - the backend-independent part of the policy table: database
 * URL parsing, dispatch through the backend's ops table, the checks every
 * write gets before any SQL runs, and the validation of stored rows.
 *
 * LIMITS: URLs up to STORE_URL_MAX bytes; domain up to STORE_DOMAIN_MAX
 * and params up to STORE_PARAMS_MAX bytes (the column sizes).
 * SECURITY: the URL may hold a password; no message repeats it.
 */
#include "store/store_int.h"
#include "store/store_tlsrpt.h"
#include "policy/policy.h"
#include "util/log.h"
#include "util/text.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- URLs ------------------------------------------------------------ */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into a new string; NULL with why on a bad
 * escape or %00. */
static char *pct_decode(const char *s, size_t n, const char *what,
			struct errbuf *why)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (out == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (n - i < 3 || hexval((unsigned char)s[i + 1]) < 0 ||
		    hexval((unsigned char)s[i + 2]) < 0) {
			free(out);
			errbuf_set(why, "invalid database URL: bad %%-escape in the %s", what);
			return NULL;
		}
		int c = hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]);
		if (c == 0) {
			free(out);
			errbuf_set(why, "invalid database URL: %%00 in the %s", what);
			return NULL;
		}
		out[o++] = (char)c;
		i += 2;
	}
	out[o] = '\0';
	/* A control character (a decoded %0A) would end a line of the
	 * Postfix table file or of an export's header comment. */
	for (size_t i = 0; i < o; i++) {
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
			free(out);
			errbuf_set(why, "invalid database URL: control character in the %s",
				   what);
			return NULL;
		}
	}
	return out;
}

void store_url_free(struct store_url *u)
{
	if (u == NULL)
		return;
	free(u->path);
	free(u->user);
	if (u->password) {
		/* do not leave the password in freed memory */
		volatile char *p = u->password;
		while (*p)
			*p++ = '\0';
		free(u->password);
	}
	free(u->host);
	free(u->dbname);
	free(u->socket);
	memset(u, 0, sizeof(*u));
}

static int parse_sqlite(const char *rest, struct store_url *u,
			struct errbuf *why)
{
	if (strncmp(rest, "//", 2) == 0) {
		if (rest[2] != '/')
			return errbuf_set(why, "invalid database URL: use sqlite:/path/file.db "
					  "(or sqlite:///path/file.db)");
		rest += 2;
	}
	if (*rest == '\0')
		return errbuf_set(why, "invalid database URL: sqlite: needs a file name");
	for (const char *p = rest; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return errbuf_set(why, "invalid database URL: control character in the sqlite file name");
	u->path = strdup(rest);
	if (u->path == NULL)
		return errbuf_set(why, "out of memory");
	return 0;
}

static int parse_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int host_char_ok(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_';
}

static int parse_query(const char *q, struct store_url *u, struct errbuf *why)
{
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);

		if (eq == NULL)
			return errbuf_set(why, "invalid database URL: query parameter without '='");
		size_t klen = (size_t)(eq - q), vlen = len - klen - 1;
		if (klen == 6 && strncmp(q, "socket", 6) == 0) {
			if (u->socket)
				return errbuf_set(why, "invalid database URL: socket given twice");
			u->socket = pct_decode(eq + 1, vlen, "socket path", why);
			if (u->socket == NULL)
				return -1;
			if (u->socket[0] != '/')
				return errbuf_set(why, "invalid database URL: socket must be an absolute path");
		} else if (klen == 7 && strncmp(q, "timeout", 7) == 0) {
			if (parse_uint(eq + 1, vlen, STORE_MYSQL_TIMEOUT_MAX, &u->timeout) < 0 ||
			    u->timeout == 0)
				return errbuf_set(why, "invalid database URL: timeout must be 1-%d seconds",
						  STORE_MYSQL_TIMEOUT_MAX);
		} else {
			char name[40];
			return errbuf_set(why, "invalid database URL: unknown parameter \"%s\" "
					  "(known: socket, timeout)",
					  printable(name, sizeof(name), q, klen));
		}
		q += len;
		if (*q == '&')
			q++;
	}
	return 0;
}

static int parse_mysql(const char *rest, struct store_url *u,
		       struct errbuf *why)
{
	const char *auth_end = rest + strcspn(rest, "/?#");
	const char *at = NULL, *host, *p, *colon;

	for (p = rest; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return errbuf_set(why, "invalid database URL: mysql:// needs user[:password]@ "
				  "before the host");
	colon = memchr(rest, ':', (size_t)(at - rest));
	if (colon == NULL) {
		u->user = pct_decode(rest, (size_t)(at - rest), "user name", why);
	} else {
		u->user = pct_decode(rest, (size_t)(colon - rest), "user name", why);
		if (u->user)
			u->password = pct_decode(colon + 1, (size_t)(at - colon - 1),
						 "password", why);
		if (u->user && u->password == NULL)
			return -1;
	}
	if (u->user == NULL)
		return -1;
	if (u->user[0] == '\0')
		return errbuf_set(why, "invalid database URL: empty user name");

	/* host[:port] */
	host = at + 1;
	const char *hend, *port = NULL;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(auth_end - host));
		if (rb == NULL)
			return errbuf_set(why, "invalid database URL: '[' without ']' in the host");
		for (p = host + 1; p < rb; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return errbuf_set(why, "invalid database URL: bad character in the IPv6 address");
		u->host = text_dupn(host + 1, (size_t)(rb - host - 1));
		hend = rb + 1;
		if (hend < auth_end) {
			if (*hend != ':')
				return errbuf_set(why, "invalid database URL: junk after ']'");
			port = hend + 1;
		}
	} else {
		colon = memchr(host, ':', (size_t)(auth_end - host));
		hend = colon ? colon : auth_end;
		for (p = host; p < hend; p++)
			if (!host_char_ok((unsigned char)*p)) {
				char c[8];
				return errbuf_set(why, "invalid database URL: bad character '%s' in the host",
						  printable(c, sizeof(c), p, 1));
			}
		u->host = text_dupn(host, (size_t)(hend - host));
		if (colon)
			port = colon + 1;
	}
	if (u->host == NULL)
		return errbuf_set(why, "out of memory");
	if (port && (parse_uint(port, (size_t)(auth_end - port), 65535, &u->port) < 0 ||
		     u->port == 0))
		return errbuf_set(why, "invalid database URL: port must be a number 1-65535");

	/* /dbname */
	if (*auth_end != '/')
		return errbuf_set(why, "invalid database URL: mysql:// needs /dbname after the host");
	const char *db = auth_end + 1;
	size_t dblen = strcspn(db, "?#");
	if (dblen == 0)
		return errbuf_set(why, "invalid database URL: empty database name");
	if (dblen > STORE_DBNAME_MAX)
		return errbuf_set(why, "invalid database URL: database name longer than %d",
				  STORE_DBNAME_MAX);
	for (size_t i = 0; i < dblen; i++)
		if (!isalnum((unsigned char)db[i]) && db[i] != '_' && db[i] != '$' && db[i] != '-')
			return errbuf_set(why, "invalid database URL: database name may contain "
					  "only letters, digits, '_', '$' and '-'");
	u->dbname = text_dupn(db, dblen);
	if (u->dbname == NULL)
		return errbuf_set(why, "out of memory");
	p = db + dblen;
	if (*p == '#')
		return errbuf_set(why, "invalid database URL: '#' fragment not allowed");
	u->timeout = STORE_MYSQL_TIMEOUT;
	if (*p == '?' && parse_query(p + 1, u, why) < 0)
		return -1;
	if (u->host[0] == '\0' && u->socket == NULL)
		return errbuf_set(why, "invalid database URL: host missing (or give ?socket=/path)");
	return 0;
}

int store_url_parse(const char *url, struct store_url *u, struct errbuf *why)
{
	int rc;

	memset(u, 0, sizeof(*u));
	if (url == NULL || *url == '\0')
		return errbuf_set(why, "no database URL (setting \"database\" or --db)");
	if (strlen(url) > STORE_URL_MAX)
		return errbuf_set(why, "invalid database URL: longer than %d bytes", STORE_URL_MAX);
	if (strncmp(url, "sqlite:", 7) == 0) {
		u->kind = STORE_SQLITE;
		rc = parse_sqlite(url + 7, u, why);
	} else if (strncmp(url, "mysql://", 8) == 0) {
		u->kind = STORE_MYSQL;
		rc = parse_mysql(url + 8, u, why);
	} else if (strncmp(url, "mariadb://", 10) == 0) {
		u->kind = STORE_MYSQL;
		rc = parse_mysql(url + 10, u, why);
	} else {
		return errbuf_set(why, "invalid database URL: use sqlite:/path/file.db or "
				  "mysql://user:password@host[:port]/dbname");
	}
	if (rc < 0)
		store_url_free(u);
	return rc;
}

char *store_url_describe(const struct store_url *u)
{
	char *s = NULL;
	int n;

	if (u->kind == STORE_SQLITE) {
		n = asprintf(&s, "sqlite:%s", u->path);
	} else {
		char port[16] = "";
		int v6 = strchr(u->host, ':') != NULL;

		if (u->port)
			snprintf(port, sizeof(port), ":%u", u->port);
		n = asprintf(&s, "mysql://%s@%s%s%s%s/%s%s%s", u->user,
			     v6 ? "[" : "", u->host, v6 ? "]" : "", port, u->dbname,
			     u->socket ? "?socket=" : "", u->socket ? u->socket : "");
	}
	return n < 0 ? NULL : s;
}

/* ---- handles --------------------------------------------------------- */

const char *store_err_name(int err)
{
	return err == STORE_ERR_CONFIG ? "configuration" : "temporary";
}

int store_classed(struct store *st, int rc)
{
	if (rc >= 0)
		return rc;
	return st->err == STORE_ERR_CONFIG ? STORE_ERR_CONFIG : STORE_ERR_RETRY;
}

int store_open(const char *url, struct store **out, struct errbuf *why)
{
	return store_open_ex(url, 0, out, why);
}

int store_open_ex(const char *url, int flags, struct store **out,
		  struct errbuf *why)
{
	struct store_url u;
	char *desc;
	int rc;

	*out = NULL;
	if (store_url_parse(url, &u, why) < 0)
		return STORE_ERR_CONFIG;
	desc = store_url_describe(&u);
	if (desc == NULL) {
		store_url_free(&u);
		errbuf_set(why, "out of memory");
		return STORE_ERR_RETRY;
	}
	if (u.kind == STORE_SQLITE)
		rc = store_sqlite_open(&u, flags, out, why);
	else
		rc = store_mysql_open(&u, out, why);
	store_url_free(&u);
	if (rc < 0) {
		free(desc);
		return rc == STORE_ERR_CONFIG ? STORE_ERR_CONFIG : STORE_ERR_RETRY;
	}
	(*out)->desc = desc;
	return 0;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	free(st->desc);
	st->ops->close(st);
}

const char *store_backend(const struct store *st)
{
	return st->ops->name;
}

int store_replica_status(struct store *st, struct store_replica *r,
			 struct errbuf *why)
{
	memset(r, 0, sizeof(*r));
	r->lag = -1;
	if (strcmp(st->ops->name, "mysql") != 0)
		return 0; /* SQLite: one file, no replication */
	return store_classed(st, store_mysql_replica(st, r, why));
}

int store_replica_stopped(const struct store_replica *r)
{
	return r->is_replica && (strcmp(r->io_running, "Yes") != 0 ||
				 strcmp(r->sql_running, "Yes") != 0);
}

const char *store_describe(const struct store *st)
{
	return st->desc ? st->desc : st->ops->name;
}

int store_global_init(struct errbuf *why)
{
	return store_mysql_global_init(why);
}

void store_global_end(void)
{
	store_mysql_global_end();
}

void store_row_free(struct store_row *row)
{
	if (row == NULL)
		return;
	free(row->domain);
	free(row->policy);
	free(row->params);
	memset(row, 0, sizeof(*row));
}

int store_same(const char *pa, const char *qa, const char *pb, const char *qb)
{
	if (strcmp(pa ? pa : "", pb ? pb : "") != 0)
		return 0;
	return strcmp(qa ? qa : "", qb ? qb : "") == 0;
}

/* ---- operations ------------------------------------------------------ */

int store_init(struct store *st, int *created, struct errbuf *why)
{
	/* every table: tlspolicies, tlspolicy_sts (store_sts.c),
	 * tlspolicy_own (store_own.c), tlspolicy_provenance and
	 * tlspolicy_report */
	int rc;

	if ((rc = store_init_ex(st, created, NULL, why)) < 0)
		return rc;
	if ((rc = store_own_init(st, NULL, why)) < 0)
		return rc;
	/* issue 13: the emergency bypasses (store_bypass.h) */
	if ((rc = store_bypass_init(st, NULL, why)) < 0)
		return rc;
	if ((rc = store_prov_init(st, NULL, why)) < 0)
		return rc;
	if ((rc = store_report_init(st, NULL, why)) < 0)
		return rc;
	/* issue 15: the TLSRPT tables (store_tlsrpt.h) */
	if ((rc = store_tlsrpt_init(st, why)) < 0)
		return rc;
	/* issue 14: the change marker and its triggers (store_change.h) */
	return store_change_init(st, NULL, NULL, NULL, why);
}

int store_report_init(struct store *st, int *created, struct errbuf *why)
{
	int dummy;

	return st->ops->report_init(st, created ? created : &dummy, why);
}

int store_report_list(struct store *st, store_report_fn fn, void *arg,
		      struct errbuf *why)
{
	st->err = 0;
	return store_classed(st, st->ops->report_list(st, fn, arg, why));
}

int store_report_replace(struct store *st, const struct store_report_row *rows,
			 size_t n, struct errbuf *why)
{
	if (n > STORE_REPORT_MAX_ROWS) {
		errbuf_set(why, "keep report snapshot: more than %d rows", STORE_REPORT_MAX_ROWS);
		return STORE_ERR_CONFIG;
	}
	st->err = 0;
	return store_classed(st, st->ops->report_replace(st, rows, n, why));
}

void store_report_text(char *out, size_t outlen, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0, len = strlen((const char *)p), j;

	if (outlen == 0)
		return;
	for (; n < len && n + 1 < outlen; n++)
		out[n] = p[n] < 0x20 || p[n] == 0x7f ? '?' : (char)p[n];
	if (n < len) {
		/* cut: drop a UTF-8 sequence the cut left incomplete */
		j = n;
		while (j > 0 && (p[j - 1] & 0xC0) == 0x80)
			j--;
		if (j > 0 && p[j - 1] >= 0xC0) {
			size_t need = p[j - 1] >= 0xF0 ? 4 : p[j - 1] >= 0xE0 ? 3 : 2;

			if (j - 1 + need > n)
				n = j - 1;
		}
	}
	out[n] = '\0';
}

int store_prov_init(struct store *st, int *created, struct errbuf *why)
{
	int dummy;

	st->err = 0;
	return store_classed(st, st->ops->prov_init(st, created ? created : &dummy, why));
}

int store_prov_list(struct store *st, store_prov_fn fn, void *arg,
		    struct errbuf *why)
{
	st->err = 0;
	return store_classed(st, st->ops->prov_list(st, fn, arg, why));
}

/* ---- provenance values ------------------------------------------------ */

/* Copies in into out (size outlen) with control bytes as '?', cut at a
 * UTF-8 boundary with "..." when it does not fit. */
static void prov_copy(char *out, size_t outlen, const char *in)
{
	size_t n = in ? strlen(in) : 0, o = 0;

	if (n >= outlen) {
		n = outlen - 4;
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;            /* not inside a UTF-8 sequence */
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (in && strlen(in) >= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

void store_prov_policy_text(char *out, size_t outlen, const char *policy,
			    const char *params)
{
	char tmp[STORE_PROV_POLICY_MAX + 256];

	snprintf(tmp, sizeof(tmp), "%s%s%s", policy ? policy : "",
		 params && *params ? " " : "", params ? params : "");
	prov_copy(out, outlen, tmp);
}

/* A checked copy of a provenance, with its strings. */
struct prov_copy {
	struct store_provenance p;
	char command[STORE_PROV_COMMAND_MAX + 1];
	char by[STORE_PROV_BY_MAX + 1];
	char evidence[STORE_PROV_EVIDENCE_MAX + 1];
};

static void prov_who(char *out, size_t outlen)
{
	char host[256] = "", user[64] = "";
	struct passwd *pw = getpwuid(geteuid());

	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (pw && pw->pw_name)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "uid%lu", (unsigned long)geteuid());
	snprintf(out, outlen, "%s@%s", user, host);
}

static int prov_check(const struct store_provenance *in, struct prov_copy *out,
		      const char *who, struct errbuf *why)
{
	if (in->command == NULL || *in->command == '\0')
		return errbuf_set(why, "provenance without a command");
	prov_copy(out->command, sizeof(out->command), in->command);
	prov_copy(out->by, sizeof(out->by), in->written_by ? in->written_by : who);
	prov_copy(out->evidence, sizeof(out->evidence), in->evidence);
	out->p.command = out->command;
	out->p.written_by = out->by;
	out->p.evidence = out->evidence;
	out->p.written = in->written > 0 ? in->written : (long long)time(NULL);
	return 0;
}

static int check_domain(const char *domain, struct errbuf *why)
{
	size_t n;

	if (domain == NULL || *domain == '\0')
		return errbuf_set(why, "empty domain");
	n = strlen(domain);
	if (n > STORE_DOMAIN_MAX)
		return errbuf_set(why, "domain longer than %d bytes", STORE_DOMAIN_MAX);
	return 0;
}

static int check_item(const struct store_put_item *it, struct errbuf *why)
{
	enum policy_level level;
	char d[80];

	if (check_domain(it->domain, why) < 0)
		return -1;
	if (it->policy == NULL)   /* a removal */
		return 0;
	/* policy_level_parse() names a NULL level "empty" too */
	if (policy_level_parse(it->policy, &level, why) < 0)
		return errbuf_prefix(why, "%s", printable(d, sizeof(d), it->domain,
							   strlen(it->domain)));
	if (it->params && strlen(it->params) > STORE_PARAMS_MAX)
		return errbuf_set(why, "%s: params longer than the table's %d bytes (%zu)",
				  printable(d, sizeof(d), it->domain, strlen(it->domain)),
				  STORE_PARAMS_MAX, strlen(it->params));
	return 0;
}

int store_get(struct store *st, const char *domain, struct store_row *row,
	      struct errbuf *why)
{
	memset(row, 0, sizeof(*row));
	if (check_domain(domain, why) < 0)
		return STORE_ERR_CONFIG;
	st->err = 0;
	return store_classed(st, st->ops->get(st, domain, row, why));
}

int store_put_many_ex(struct store *st, const struct store_put_item *items,
		      size_t n, int flags, struct store_counts *counts,
		      struct errbuf *why)
{
	struct store_counts dummy;
	struct store_put_item *copy = NULL;
	struct prov_copy *pc = NULL;
	char who[STORE_PROV_BY_MAX + 1];
	size_t nprov = 0;
	int rc;

	if (counts == NULL)
		counts = &dummy;
	memset(counts, 0, sizeof(*counts));
	for (size_t i = 0; i < n; i++) {
		if (check_item(&items[i], why) < 0)
			return STORE_ERR_CONFIG;
		nprov += items[i].prov != NULL;
	}
	if (n == 0)
		return 0;
	if (nprov == 0) {
		st->err = 0;
		return store_classed(st, st->ops->put_many(st, items, n, flags, counts, why));
	}
	/* the backends get checked copies of the provenance values */
	copy = calloc(n, sizeof(*copy));
	pc = calloc(nprov, sizeof(*pc));
	if (copy == NULL || pc == NULL) {
		free(copy);
		free(pc);
		errbuf_set(why, "out of memory");
		return STORE_ERR_RETRY;
	}
	prov_who(who, sizeof(who));
	nprov = 0;
	for (size_t i = 0; i < n; i++) {
		copy[i] = items[i];
		if (items[i].prov == NULL)
			continue;
		if (prov_check(items[i].prov, &pc[nprov], who, why) < 0) {
			free(copy);
			free(pc);
			return STORE_ERR_CONFIG;
		}
		copy[i].prov = &pc[nprov++].p;
	}
	st->err = 0;
	rc = store_classed(st, st->ops->put_many(st, copy, n, flags, counts, why));
	free(copy);
	free(pc);
	return rc;
}

int store_put_many(struct store *st, const struct store_put_item *items,
		   size_t n, struct store_counts *counts, struct errbuf *why)
{
	return store_put_many_ex(st, items, n, 0, counts, why);
}

int store_put(struct store *st, const char *domain, const char *policy,
	      const char *params, char *change, struct errbuf *why)
{
	return store_put_prov(st, domain, policy, params, NULL, change, why);
}

int store_put_prov(struct store *st, const char *domain, const char *policy,
		   const char *params, const struct store_provenance *prov,
		   char *change, struct errbuf *why)
{
	struct store_put_item it = { domain, policy, params, prov };
	struct store_counts c;
	enum policy_level level;
	char d[80];
	int rc;

	/* a put, never a removal (policy NULL is one only in put_many) */
	if (policy == NULL) {
		if (check_domain(domain, why) < 0)
			return STORE_ERR_CONFIG;
		policy_level_parse(NULL, &level, why);   /* "empty ..." */
		errbuf_prefix(why, "%s", printable(d, sizeof(d), domain, strlen(domain)));
		return STORE_ERR_CONFIG;
	}
	if ((rc = store_put_many_ex(st, &it, 1, 0, &c, why)) < 0)
		return rc;
	if (change)
		*change = c.added ? 'a' : c.changed ? 'c' : 'u';
	return 0;
}

int store_delete(struct store *st, const char *domain, struct errbuf *why)
{
	if (check_domain(domain, why) < 0)
		return STORE_ERR_CONFIG;
	st->err = 0;
	return store_classed(st, st->ops->del(st, domain, why));
}

int store_list(struct store *st, store_row_fn fn, void *arg,
	       struct errbuf *why)
{
	st->err = 0;
	return store_classed(st, st->ops->list(st, fn, arg, why));
}

/* ---- stored rows ----------------------------------------------------- */

int store_row_policy(const struct store_row *row,
		     const struct policy_opts *opts, struct policy **out,
		     struct errbuf *why)
{
	char key[POLICY_KEY_MAX], d[80], params[POLICY_MAX_TEXT + 1];
	struct errbuf e;
	const char *dom = row->domain ? row->domain : "";

	*out = NULL;
	errbuf_clear(&e);
	printable(d, sizeof(d), dom, strlen(dom));
	if (row->defect)
		return errbuf_set(why, "row id %lu (%s): %s", row->id, d, row->defect);
	if (policy_key_normalize(dom, key, sizeof(key), NULL, &e) < 0)
		return errbuf_set(why, "row id %lu (%s): invalid key: %s", row->id, d, e.msg);
	if (strcasecmp(key, dom) != 0)
		return errbuf_set(why, "row id %lu (%s): key is not in normal form "
				  "(Postfix looks up \"%s\")", row->id, d, key);
	/* the shadow marker is tlspolicy's, not an attribute (issue 13) */
	if (policy_strip_testing(row->params, params, sizeof(params)) < 0)
		return errbuf_set(why, "row id %lu (%s): params too long", row->id, d);
	if (policy_parse_parts(row->policy ? row->policy : "", params, opts,
			       out, &e) < 0)
		return errbuf_set(why, "row id %lu (%s): %s", row->id, d, e.msg);
	return 0;
}

int store_row_shadowed(const struct store_row *row)
{
	char params[POLICY_MAX_TEXT + 1];

	return policy_strip_testing(row->params, params, sizeof(params)) == 1;
}
