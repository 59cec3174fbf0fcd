/* SPDX-License-Identifier: MIT */
/* replay - DNS answers from a file (see replay.h). */
#include "dns/replay.h"
#include "dns/rr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define REPLAY_DEFAULT_TTL 300
#define REPLAY_MAX_TOKENS 64

struct replay {
	struct replay_entry *e;
	size_t n, cap;
};

/* The parser's state: where it is, for messages. */
struct rp {
	const char *origin;
	size_t line;
	struct errbuf *why;
	struct replay *r;
	struct replay_entry *cur;  /* the query records are added to */
};

static int rp_err(struct rp *p, const char *fmt, const char *arg)
{
	char shown[80];
	size_t i;

	/* arg comes from the file: printable ASCII only, cut */
	for (i = 0; arg && arg[i] && i + 1 < sizeof(shown); i++)
		shown[i] = (arg[i] >= 0x20 && arg[i] < 0x7f) ? arg[i] : '?';
	shown[i] = '\0';
	errbuf_set(p->why, "%s:%zu: ", p->origin, p->line);
	if (p->why) {
		size_t used = strlen(p->why->msg);

		snprintf(p->why->msg + used, sizeof(p->why->msg) - used, fmt, shown);
	}
	return -1;
}

static void entry_clear(struct replay_entry *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->records[i].data);
	free(e->records);
	free(e->name);
	free(e->canon);
	free(e->why);
}

void replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		entry_clear(&r->e[i]);
	free(r->e);
	free(r);
}

size_t replay_count(const struct replay *r)
{
	return r->n;
}

const struct replay_entry *replay_entry_at(const struct replay *r, size_t i)
{
	return i < r->n ? &r->e[i] : NULL;
}

/* Lower case, one trailing dot removed, into out (outlen bytes); -1
 * when it does not fit. */
static int name_norm(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n > 1 && in[n - 1] == '.')
		n--;
	if (n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	out[n] = '\0';
	return 0;
}

const struct replay_entry *replay_find(const struct replay *r, const char *name,
				       int qtype)
{
	char norm[DNS_NAME_BUF];

	if (r == NULL || name_norm(name, norm, sizeof(norm)) < 0)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].qtype == qtype && strcmp(r->e[i].name, norm) == 0)
			return &r->e[i];
	return NULL;
}

/* A query or target name: printable ASCII labels of 1..63 bytes, at
 * most DNS_NAME_MAX octets in wire form.  "." only with root_ok. */
static int name_ok(const char *s, int root_ok)
{
	size_t n = strlen(s), lab = 0, wire = 1;

	if (strcmp(s, ".") == 0)
		return root_ok;
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (lab == 0 || lab > DNS_LABEL_MAX)
				return 0;
			wire += lab + 1;
			lab = 0;
			continue;
		}
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '\\')
			return 0;
		lab++;
	}
	return wire <= DNS_NAME_MAX;
}

/* Wire form of a name that passed name_ok(); out has DNS_NAME_MAX bytes. */
static size_t name_wire(const char *s, unsigned char *out)
{
	size_t o = 0, n = strlen(s);
	const char *lab = s;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (n > 0 && s[n - 1] == '.')
		n--;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t l = (size_t)(s + i - lab);

			out[o++] = (unsigned char)l;
			for (size_t k = 0; k < l; k++)
				out[o++] = (unsigned char)((lab[k] >= 'A' && lab[k] <= 'Z')
								   ? lab[k] + 32 : lab[k]);
			lab = s + i + 1;
		}
	}
	out[o++] = 0;
	return o;
}

static int type_parse(const char *s, int *qtype)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{ "A", DNS_TYPE_A }, { "AAAA", DNS_TYPE_AAAA }, { "MX", DNS_TYPE_MX },
		{ "TXT", DNS_TYPE_TXT }, { "TLSA", DNS_TYPE_TLSA }, { "CNAME", DNS_TYPE_CNAME },
		{ "DNSKEY", DNS_TYPE_DNSKEY },
	};
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0) {
			*qtype = types[i].type;
			return 0;
		}
	if (strncasecmp(s, "TYPE", 4) != 0 || s[4] < '0' || s[4] > '9')
		return -1;
	errno = 0;
	v = strtoul(s + 4, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -1;
	*qtype = (int)v;
	return 0;
}

static int sec_parse(const char *s, enum dns_sec *sec)
{
	if (strcmp(s, "secure") == 0)
		*sec = DNS_SEC_SECURE;
	else if (strcmp(s, "insecure") == 0)
		*sec = DNS_SEC_INSECURE;
	else if (strcmp(s, "bogus") == 0)
		*sec = DNS_SEC_BOGUS;
	else if (strcmp(s, "indeterminate") == 0)
		*sec = DNS_SEC_INDETERMINATE;
	else
		return -1;
	return 0;
}

static int status_parse(const char *s, enum dns_status *st)
{
	static const char *names[] = {
		[DNS_STATUS_DATA] = "data", [DNS_STATUS_NODATA] = "nodata",
		[DNS_STATUS_NXDOMAIN] = "nxdomain", [DNS_STATUS_SERVFAIL] = "servfail",
		[DNS_STATUS_TIMEOUT] = "timeout", [DNS_STATUS_ERROR] = "error",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*st = (enum dns_status)i;
			return 0;
		}
	return -1;
}

/* Splits line (modified) into at most max tokens at blanks. */
static size_t tokens(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n == max)
			return max + 1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static int parse_query(struct rp *p, char *line)
{
	char *tok[REPLAY_MAX_TOKENS], norm[DNS_NAME_BUF], *why_text = NULL;
	struct replay_entry e;
	struct replay *r = p->r;
	size_t n;

	/* why= takes the rest of the line, blanks included */
	if ((why_text = strstr(line, " why=")) != NULL) {
		*why_text = '\0';
		why_text += 5;
	}
	n = tokens(line, tok, REPLAY_MAX_TOKENS);
	if (n > REPLAY_MAX_TOKENS)
		return rp_err(p, "too many words%s", "");
	if (n < 5)
		return rp_err(p, "expected \"query NAME TYPE SEC STATUS\"%s", "");
	memset(&e, 0, sizeof(e));
	e.ttl = REPLAY_DEFAULT_TTL;
	if (!name_ok(tok[1], 1) || name_norm(tok[1], norm, sizeof(norm)) < 0)
		return rp_err(p, "invalid name \"%s\"", tok[1]);
	if (type_parse(tok[2], &e.qtype) < 0)
		return rp_err(p, "unknown TYPE \"%s\" (A, AAAA, MX, TXT, TLSA, CNAME, TYPEnn)",
			      tok[2]);
	if (sec_parse(tok[3], &e.sec) < 0)
		return rp_err(p, "unknown SEC \"%s\" (secure, insecure, bogus, indeterminate)",
			      tok[3]);
	if (status_parse(tok[4], &e.status) < 0)
		return rp_err(p, "unknown STATUS \"%s\" (data, nodata, nxdomain, servfail, "
			      "timeout, error)", tok[4]);
	if (replay_find(r, norm, e.qtype))
		return rp_err(p, "second entry for %s of this type", norm);
	if (r->n == REPLAY_MAX_ENTRIES)
		return rp_err(p, "more than " "4096" " entries%s", "");
	for (size_t i = 5; i < n; i++) {
		if (strncmp(tok[i], "ttl=", 4) == 0) {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(tok[i] + 4, &end, 10);
			if (errno || *end || tok[i][4] < '0' || tok[i][4] > '9' ||
			    v > 2147483647UL) {
				free(e.canon);
				return rp_err(p, "invalid ttl \"%s\"", tok[i] + 4);
			}
			e.ttl = (unsigned)v;
		} else if (strncmp(tok[i], "canon=", 6) == 0) {
			char cn[DNS_NAME_BUF];

			if (e.canon != NULL) {
				free(e.canon);
				return rp_err(p, "%s given twice", "canon=");
			}
			if (!name_ok(tok[i] + 6, 0) || name_norm(tok[i] + 6, cn, sizeof(cn)) < 0)
				return rp_err(p, "invalid canon name \"%s\"", tok[i] + 6);
			if ((e.canon = xstrdup(cn)) == NULL)
				goto nomem;
		} else {
			free(e.canon);
			return rp_err(p, "unknown option \"%s\" (ttl=, canon=, why=)", tok[i]);
		}
	}
	if ((e.name = xstrdup(norm)) == NULL || (e.canon == NULL && (e.canon = xstrdup(norm)) == NULL))
		goto nomem;
	if (why_text && *why_text && (e.why = xstrdup(why_text)) == NULL)
		goto nomem;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct replay_entry *ne = realloc(r->e, cap * sizeof(*ne));

		if (ne == NULL)
			goto nomem;
		r->e = ne;
		r->cap = cap;
	}
	r->e[r->n] = e;
	p->cur = &r->e[r->n++];
	return 0;
nomem:
	entry_clear(&e);
	errbuf_set(p->why, "%s:%zu: out of memory", p->origin, p->line);
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* TXT: one or more "quoted" strings (\" and \\ escapes), each at most
 * 255 bytes, as <len><bytes> character-strings. */
static int rdata_txt(struct rp *p, const char *s, unsigned char *out, size_t *len)
{
	size_t o = 0;

	while (*s) {
		size_t lenpos;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (*s != '"')
			return rp_err(p, "TXT: expected a quoted string at \"%s\"", s);
		s++;
		lenpos = o++;
		if (o >= REPLAY_MAX_RDATA)
			return rp_err(p, "TXT: record longer than 2048 bytes%s", "");
		while (*s && *s != '"') {
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (o - lenpos - 1 == 255)
				return rp_err(p, "TXT: string longer than 255 bytes%s", "");
			if (o >= REPLAY_MAX_RDATA)
				return rp_err(p, "TXT: record longer than 2048 bytes%s", "");
			out[o++] = (unsigned char)*s++;
		}
		if (*s != '"')
			return rp_err(p, "TXT: unterminated string%s", "");
		s++;
		if (*s && *s != ' ' && *s != '\t')
			return rp_err(p, "TXT: expected a blank after a string at \"%s\"", s);
		out[lenpos] = (unsigned char)(o - lenpos - 1);
	}
	if (o == 0)
		return rp_err(p, "TXT: no string%s", "");
	*len = o;
	return 0;
}

static int byte_parse(const char *s, unsigned *v)
{
	char *end;
	unsigned long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x > 255)
		return -1;
	*v = (unsigned)x;
	return 0;
}

static int rdata_tlsa(struct rp *p, char **tok, size_t n, unsigned char *out, size_t *len)
{
	unsigned v[3];
	size_t hl, o = 3;

	if (n != 5)
		return rp_err(p, "TLSA: expected \"TLSA USAGE SELECTOR MTYPE HEX\"%s", "");
	for (int i = 0; i < 3; i++) {
		if (byte_parse(tok[1 + i], &v[i]) < 0)
			return rp_err(p, "TLSA: \"%s\" is not a number 0..255", tok[1 + i]);
		out[i] = (unsigned char)v[i];
	}
	if (strcmp(tok[4], "-") == 0) {
		*len = 3;
		return 0;
	}
	hl = strlen(tok[4]);
	if (hl % 2 || (hl / 2) + 3 > REPLAY_MAX_RDATA)
		return rp_err(p, "TLSA: bad hex length in \"%s\"", tok[4]);
	for (size_t i = 0; i < hl; i += 2) {
		int hi = hexval((unsigned char)tok[4][i]), lo = hexval((unsigned char)tok[4][i + 1]);

		if (hi < 0 || lo < 0)
			return rp_err(p, "TLSA: not hex: \"%s\"", tok[4]);
		out[o++] = (unsigned char)(hi * 16 + lo);
	}
	*len = o;
	return 0;
}

/* One record line of the current query. */
static int parse_record(struct rp *p, char *line)
{
	struct replay_entry *e = p->cur;
	unsigned char data[REPLAY_MAX_RDATA];
	char *tok[REPLAY_MAX_TOKENS], raw[REPLAY_MAX_LINE + 1], *rest;
	size_t n, len = 0;
	int rtype;
	struct replay_record *nr;

	if (e == NULL)
		return rp_err(p, "record before any \"query\" line%s", "");
	if (e->status != DNS_STATUS_DATA)
		return rp_err(p, "record under a query whose STATUS is not data%s", "");
	if (e->count == DNS_MAX_RECORDS)
		return rp_err(p, "more than 256 records for one query%s", "");
	while (*line == ' ' || *line == '\t')
		line++;
	/* the unsplit text after the type, for TXT strings with blanks */
	snprintf(raw, sizeof(raw), "%s", line);
	rest = raw + strcspn(raw, " \t");
	rest += strspn(rest, " \t");
	n = tokens(line, tok, REPLAY_MAX_TOKENS);
	if (n == 0 || n > REPLAY_MAX_TOKENS)
		return rp_err(p, "bad record line%s", "");
	if (type_parse(tok[0], &rtype) < 0 || rtype != e->qtype)
		return rp_err(p, "record type \"%s\" differs from the query's", tok[0]);
	if (n >= 2 && strcmp(tok[1], "\\#") == 0)
		rtype = -1; /* RFC 3597 generic form: \# LENGTH HEX */
	switch (rtype) {
	case -1: {
		char *end;
		unsigned long want;
		size_t hl;

		errno = 0;
		want = n >= 3 ? strtoul(tok[2], &end, 10) : 0;
		if (n < 3 || n > 4 || errno || *end || tok[2][0] < '0' || tok[2][0] > '9' ||
		    want > REPLAY_MAX_RDATA)
			return rp_err(p, "expected \"TYPE \\# LENGTH HEX\"%s", "");
		hl = n == 4 ? strlen(tok[3]) : 0;
		if (hl != want * 2)
			return rp_err(p, "generic record: LENGTH %s does not match the hex", tok[2]);
		for (size_t i = 0; i < hl; i += 2) {
			int hi = hexval((unsigned char)tok[3][i]);
			int lo = hexval((unsigned char)tok[3][i + 1]);

			if (hi < 0 || lo < 0)
				return rp_err(p, "generic record: not hex: \"%s\"", tok[3]);
			data[i / 2] = (unsigned char)(hi * 16 + lo);
		}
		len = want;
		break;
	}
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (n != 2 || inet_pton(rtype == DNS_TYPE_A ? AF_INET : AF_INET6, tok[1], data) != 1)
			return rp_err(p, "invalid address \"%s\"", n > 1 ? tok[1] : "");
		len = rtype == DNS_TYPE_A ? 4 : 16;
		break;
	case DNS_TYPE_MX: {
		unsigned pref;
		char *end;
		unsigned long x;

		if (n != 3)
			return rp_err(p, "MX: expected \"MX PREFERENCE HOST\"%s", "");
		errno = 0;
		x = strtoul(tok[1], &end, 10);
		if (errno || *end || tok[1][0] < '0' || tok[1][0] > '9' || x > 65535)
			return rp_err(p, "MX: invalid preference \"%s\"", tok[1]);
		pref = (unsigned)x;
		if (!name_ok(tok[2], 1))
			return rp_err(p, "MX: invalid host \"%s\"", tok[2]);
		data[0] = (unsigned char)(pref >> 8);
		data[1] = (unsigned char)(pref & 0xff);
		len = 2 + name_wire(tok[2], data + 2);
		break;
	}
	case DNS_TYPE_CNAME:
		if (n != 2 || !name_ok(tok[1], 0))
			return rp_err(p, "CNAME: invalid target \"%s\"", n > 1 ? tok[1] : "");
		len = name_wire(tok[1], data);
		break;
	case DNS_TYPE_TXT:
		if (rdata_txt(p, rest, data, &len) < 0)
			return -1;
		break;
	case DNS_TYPE_TLSA:
		if (rdata_tlsa(p, tok, n, data, &len) < 0)
			return -1;
		break;
	default:
		return rp_err(p, "records of type %s cannot be written here", tok[0]);
	}
	if ((nr = realloc(e->records, (e->count + 1) * sizeof(*nr))) == NULL)
		goto nomem;
	e->records = nr;
	if ((nr[e->count].data = malloc(len ? len : 1)) == NULL)
		goto nomem;
	memcpy(nr[e->count].data, data, len);
	nr[e->count].len = len;
	e->count++;
	return 0;
nomem:
	errbuf_set(p->why, "%s:%zu: out of memory", p->origin, p->line);
	return -1;
}

static int parse_line(struct rp *p, char *line)
{
	const char *s = line + strspn(line, " \t");

	if (*s == '\0' || *s == '#')
		return 0;
	if (s == line) {
		if (strncmp(line, "query", 5) != 0 || (line[5] != ' ' && line[5] != '\t'))
			return rp_err(p, "expected \"query ...\" or an indented record, "
				      "not \"%s\"", line);
		if (p->cur && p->cur->status == DNS_STATUS_DATA && p->cur->count == 0)
			return rp_err(p, "the query before this line is data without "
				      "records%s", "");
		return parse_query(p, line);
	}
	return parse_record(p, line);
}

struct replay *replay_parse(const char *text, size_t len, const char *origin,
			    struct errbuf *why)
{
	struct rp p;
	char line[REPLAY_MAX_LINE + 1];
	size_t pos = 0;

	memset(&p, 0, sizeof(p));
	p.origin = origin ? origin : "replay";
	p.why = why;
	if (len > REPLAY_MAX_FILE) {
		errbuf_set(why, "%s: longer than %d bytes", p.origin, REPLAY_MAX_FILE);
		return NULL;
	}
	if ((p.r = calloc(1, sizeof(*p.r))) == NULL) {
		errbuf_set(why, "%s: out of memory", p.origin);
		return NULL;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (n > REPLAY_MAX_LINE) {
			rp_err(&p, "line longer than 4096 bytes%s", "");
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			rp_err(&p, "NUL byte in the line%s", "");
			goto fail;
		}
		if (parse_line(&p, line) < 0)
			goto fail;
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
	}
	if (p.cur && p.cur->status == DNS_STATUS_DATA && p.cur->count == 0) {
		rp_err(&p, "the last query is data without records%s", "");
		goto fail;
	}
	return p.r;
fail:
	replay_free(p.r);
	return NULL;
}

struct replay *replay_load(const char *path, struct errbuf *why)
{
	FILE *f = fopen(path, "r");
	struct replay *r;
	struct stat st;
	char *buf;
	size_t n;

	if (f == NULL) {
		errbuf_set(why, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) < 0 || st.st_size > REPLAY_MAX_FILE) {
		errbuf_set(why, "%s: not readable or longer than %d bytes", path, REPLAY_MAX_FILE);
		fclose(f);
		return NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		errbuf_set(why, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	r = replay_parse(buf, n, path, why);
	free(buf);
	return r;
}
