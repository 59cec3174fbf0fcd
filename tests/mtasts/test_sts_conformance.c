/* SPDX-License-Identifier: MIT */
/*
 * test_sts_conformance - the MTA-STS parsers against test vectors taken
 * from the test suites of other implementations (tests/mtasts/
 * conformance/, one file per source; the format is described in its
 * README.md).  Each vector carries the verdict RFC 8461 gives and, when
 * the source's own test asserts something else, the RFC sentence that
 * decides.  The TXT vectors go through sts_txt_rdata_concat() and
 * sts_txt_select() as src/mtasts/sts.c uses them, the policies through
 * sts_policy_parse(), the MX vectors through sts_policy_mx_match() on a
 * policy made of their patterns.
 *
 * Fails on: a verdict (or id, policy, reason) that differs from the
 * expected one; a disagreement with a peer without its deciding RFC
 * sentence; a vector missing from the libFuzzer seed corpora (argv[2],
 * argv[3]).  Prints the summary (vectors per source, agreements, the
 * deliberate disagreements with their RFC sentences) to stdout, i.e.
 * into the test log.
 *
 * Usage: test_sts_conformance VECTOR_DIR TXT_CORPUS POLICY_CORPUS
 *        [--write-corpus]   (writes the missing seeds, then checks)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/sts_policy.h"
#include "mtasts/sts_txt.h"

#define MAX_SOURCES 32
#define MAX_QUOTES 64
#define MAX_RECS (STS_TXT_MAX_RECORDS + 2)
#define MAX_PATTERNS STS_POLICY_MAX_MX

enum kind { K_TXT, K_POLICY, K_MX, K_NKINDS };
static const char *kind_name[K_NKINDS] = { "txt", "policy", "mx" };

enum verdict { V_NONE, V_VALID, V_INVALID, V_MATCH, V_NOMATCH };
static const char *verdict_name[] = { "-", "valid", "invalid", "match", "nomatch" };

struct bytes {
	char *p;
	size_t n;
};

struct source {
	char repo[128];   /* owner/name, or "RFC 8461" */
	char commit[48];
	char lang[32];
	char slug[64];    /* corpus file prefix */
	int count[K_NKINDS], agree, disagree, nopeer;
};

struct quote {
	char key[48];
	char section[16];
	char *text;       /* quoted from RFC 8461 */
	char *reading;    /* ours: how it applies, or NULL */
};

struct vec {
	enum kind kind;
	char name[64];
	char *from;
	char *note;
	const char *file;
	int line;
	struct source *src;
	/* txt: each record as TXT RDATA in wire form */
	struct bytes rec[MAX_RECS];
	size_t nrec;
	/* policy body; mx: patterns and host */
	struct bytes body;
	struct bytes pat[MAX_PATTERNS];
	size_t npat;
	struct bytes host;
	int have_host;
	enum verdict peer, expect;
	char *detail;      /* id / "MODE MAX_AGE MX,..." / reason substring */
	const struct quote *rfc;
	struct vec *next;
};

static struct source sources[MAX_SOURCES];
static size_t nsources;
static struct quote quotes[MAX_QUOTES];
static size_t nquotes;
static struct vec *vecs, **vec_tail = &vecs;
static size_t nvecs;
static const char *corpus_dir[K_NKINDS];
static int write_corpus;

/* ---- reading the vector files ------------------------------------------ */

static void die(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void die(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void append(struct bytes *b, const char *p, size_t n)
{
	char *q = xmalloc(b->n + n);

	if (b->n)
		memcpy(q, b->p, b->n);
	if (n)
		memcpy(q + b->n, p, n);
	free(b->p);
	b->p = q;
	b->n += n;
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

/*
 * One string token at *s: "..." with the escapes \\ \" \n \r \t \xHH,
 * optionally preceded by a repetition count N*.  Returns the number of
 * repetitions (0 at the end of the line) and the string in *out.
 */
static unsigned long next_string(const char *file, int line, const char **s,
				 struct bytes *out)
{
	const char *p = *s;
	unsigned long reps = 1;

	out->p = NULL;
	out->n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (*p >= '0' && *p <= '9') {
		char *end;

		reps = strtoul(p, &end, 10);
		if (*end != '*' || reps == 0 || reps > 1000000)
			die(file, line, "bad repetition at \"%.20s\"", p);
		p = end + 1;
	}
	if (*p != '"')
		die(file, line, "a quoted string expected at \"%.20s\"", p);
	for (p++; *p != '"'; p++) {
		char c = *p;

		if (c == '\0')
			die(file, line, "unterminated string");
		if (c == '\\') {
			int h, l;

			switch (*++p) {
			case '\\': c = '\\'; break;
			case '"': c = '"'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'x':
				if ((h = hexval(p[1])) < 0 || (l = hexval(p[2])) < 0)
					die(file, line, "bad \\x escape");
				c = (char)(h * 16 + l);
				p += 2;
				break;
			default:
				die(file, line, "unknown escape \\%c", *p);
			}
		}
		append(out, &c, 1);
	}
	*s = p + 1;
	return reps;
}

/* The strings of a line, concatenated (repetitions expanded). */
static void strings_concat(const char *file, int line, const char *s,
			   struct bytes *out)
{
	struct bytes t;
	unsigned long reps;

	while ((reps = next_string(file, line, &s, &t)) > 0) {
		for (unsigned long i = 0; i < reps; i++)
			append(out, t.p, t.n);
		free(t.p);
	}
}

/* The strings of a line as TXT RDATA: each one a character-string. */
static void strings_rdata(const char *file, int line, const char *s,
			  struct bytes *out)
{
	struct bytes t;
	unsigned long reps;

	while ((reps = next_string(file, line, &s, &t)) > 0) {
		unsigned char len = (unsigned char)t.n;

		if (t.n > 255)
			die(file, line, "a TXT character-string has at most 255 bytes");
		for (unsigned long i = 0; i < reps; i++) {
			append(out, (const char *)&len, 1);
			append(out, t.p, t.n);
		}
		free(t.p);
	}
	if (out->n == 0)
		die(file, line, "record without a string");
}

static enum verdict parse_verdict(const char *file, int line, const char *w,
				  size_t n)
{
	for (int v = V_VALID; v <= V_NOMATCH; v++)
		if (strlen(verdict_name[v]) == n && strncmp(w, verdict_name[v], n) == 0)
			return (enum verdict)v;
	die(file, line, "unknown verdict \"%.*s\"", (int)n, w);
}

static const struct quote *find_quote(const char *key)
{
	for (size_t i = 0; i < nquotes; i++)
		if (strcmp(quotes[i].key, key) == 0)
			return &quotes[i];
	return NULL;
}

static void slugify(char *out, size_t outlen, const char *repo)
{
	const char *name = strchr(repo, '/');
	size_t o = 0;

	for (const char *p = name ? name + 1 : repo; *p && o + 1 < outlen; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (o == 0 || out[o - 1] == '-'))
			continue;
		out[o++] = c;
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
}

static int kind_verdict_ok(enum kind k, enum verdict v)
{
	if (k == K_MX)
		return v == V_MATCH || v == V_NOMATCH || v == V_INVALID;
	return v == V_VALID || v == V_INVALID;
}

static void finish_vec(struct vec *v)
{
	if (v == NULL)
		return;
	if (v->expect == V_NONE)
		die(v->file, v->line, "%s: no expect line", v->name);
	if (!kind_verdict_ok(v->kind, v->expect)
	    || (v->peer != V_NONE && !kind_verdict_ok(v->kind, v->peer)))
		die(v->file, v->line, "%s: verdict not allowed for %s", v->name,
		    kind_name[v->kind]);
	if (v->kind == K_TXT && v->nrec == 0)
		die(v->file, v->line, "%s: txt vector without a record (use record \"\" for none)",
		    v->name);
	if (v->kind == K_POLICY && v->body.p == NULL)
		die(v->file, v->line, "%s: policy vector without a body", v->name);
	if (v->kind == K_MX && (v->npat == 0 || !v->have_host))
		die(v->file, v->line, "%s: mx vector needs pattern and host", v->name);
	if (v->expect == V_INVALID && (v->detail == NULL || v->detail[0] == '\0'))
		die(v->file, v->line, "%s: expect invalid needs the reason", v->name);
	if (v->peer != V_NONE && v->peer != v->expect && v->rfc == NULL)
		die(v->file, v->line, "%s: the peer says %s, RFC 8461 %s: an rfc line "
		    "(the deciding sentence) is required", v->name,
		    verdict_name[v->peer], verdict_name[v->expect]);
	if (v->from == NULL && strcmp(v->src->repo, "RFC 8461") != 0)
		die(v->file, v->line, "%s: no from line", v->name);
	for (struct vec *w = vecs; w; w = w->next)
		if (w->src == v->src && w->kind == v->kind && strcmp(w->name, v->name) == 0)
			die(v->file, v->line, "%s %s: name used twice", kind_name[v->kind],
			    v->name);
	v->src->count[v->kind]++;
	*vec_tail = v;
	vec_tail = &v->next;
	nvecs++;
}

/* Reads a line of any length; NULL at EOF. */
static char *read_line(FILE *f)
{
	size_t cap = 256, n = 0;
	char *s = xmalloc(cap);
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n + 1 >= cap) {
			char *t = xmalloc(cap * 2);

			memcpy(t, s, n);
			free(s);
			s = t;
			cap *= 2;
		}
		s[n++] = (char)c;
	}
	if (c == EOF && n == 0) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

static char *rest_text(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return xstrdup(s);
}

static void load_quotes(const char *path)
{
	FILE *f = fopen(path, "r");
	char *l;
	int line = 0;

	if (f == NULL)
		die(path, 0, "%s", strerror(errno));
	while ((l = read_line(f)) != NULL) {
		struct bytes t;
		const char *s = l;
		char key[48], sec[16];
		int off = 0;

		line++;
		if (l[0] == '\0' || l[0] == '#') {
			free(l);
			continue;
		}
		if (sscanf(l, "%47s %15s %n", key, sec, &off) != 2 || off == 0)
			die(path, line, "want: KEY SECTION \"sentence\"");
		if (nquotes == MAX_QUOTES)
			die(path, line, "more than %d quotes", MAX_QUOTES);
		if (find_quote(key))
			die(path, line, "quote %s twice", key);
		s += off;
		if (next_string(path, line, &s, &t) != 1)
			die(path, line, "want: KEY SECTION \"sentence\" [\"reading\"]");
		append(&t, "", 1);
		quotes[nquotes].text = t.p;
		quotes[nquotes].reading = NULL;
		switch (next_string(path, line, &s, &t)) {
		case 0:
			break;
		case 1:
			append(&t, "", 1);
			quotes[nquotes].reading = t.p;
			if (next_string(path, line, &s, &t) == 0)
				break;
			/* fall through */
		default:
			die(path, line, "want: KEY SECTION \"sentence\" [\"reading\"]");
		}
		snprintf(quotes[nquotes].key, sizeof(quotes[0].key), "%s", key);
		snprintf(quotes[nquotes].section, sizeof(quotes[0].section), "%s", sec);
		nquotes++;
		free(l);
	}
	fclose(f);
}

static void load_vectors(const char *path)
{
	FILE *f = fopen(path, "r");
	struct source *src = NULL;
	struct vec *v = NULL;
	char *l;
	int line = 0;
	const char *file = xstrdup(path);

	if (f == NULL)
		die(path, 0, "%s", strerror(errno));
	while ((l = read_line(f)) != NULL) {
		char *s = l, *kw;
		size_t kwlen;

		line++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#') {
			free(l);
			continue;
		}
		kw = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		kwlen = (size_t)(s - kw);
#define KW(lit) (kwlen == sizeof(lit) - 1 && strncmp(kw, lit, kwlen) == 0)
		if (KW("source")) {
			if (src != NULL)
				die(file, line, "one source per file");
			if (nsources == MAX_SOURCES)
				die(file, line, "too many sources");
			src = &sources[nsources++];
			snprintf(src->repo, sizeof(src->repo), "%s", s + strspn(s, " \t"));
			slugify(src->slug, sizeof(src->slug), src->repo);
		} else if (src == NULL) {
			die(file, line, "the file must begin with a source line");
		} else if (KW("commit") && v == NULL) {
			snprintf(src->commit, sizeof(src->commit), "%s", s + strspn(s, " \t"));
		} else if (KW("lang") && v == NULL) {
			snprintf(src->lang, sizeof(src->lang), "%s", s + strspn(s, " \t"));
		} else if (KW("txt") || KW("policy") || KW("mx")) {
			finish_vec(v);
			v = xmalloc(sizeof(*v));
			memset(v, 0, sizeof(*v));
			v->kind = KW("txt") ? K_TXT : KW("policy") ? K_POLICY : K_MX;
			v->file = file;
			v->line = line;
			v->src = src;
			s += strspn(s, " \t");
			if (*s == '\0' || strlen(s) >= sizeof(v->name)
			    || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s))
				die(file, line, "a vector name: [a-z0-9-]{1,63}");
			snprintf(v->name, sizeof(v->name), "%s", s);
		} else if (v == NULL) {
			die(file, line, "\"%.*s\" outside a vector", (int)kwlen, kw);
		} else if (KW("from")) {
			v->from = rest_text(s);
		} else if (KW("note")) {
			v->note = rest_text(s);
		} else if (KW("record") && v->kind == K_TXT) {
			if (v->nrec == MAX_RECS)
				die(file, line, "too many records");
			strings_rdata(file, line, s, &v->rec[v->nrec++]);
		} else if (KW("body") && v->kind == K_POLICY) {
			size_t before = v->body.n;

			strings_concat(file, line, s, &v->body);
			if (v->body.p == NULL)
				append(&v->body, "", 0);
			if (v->body.n == before && before > 0)
				die(file, line, "empty body line");
		} else if (KW("pattern") && v->kind == K_MX) {
			if (v->npat == MAX_PATTERNS)
				die(file, line, "too many patterns");
			strings_concat(file, line, s, &v->pat[v->npat++]);
		} else if (KW("host") && v->kind == K_MX) {
			strings_concat(file, line, s, &v->host);
			append(&v->host, "", 1); /* NUL-terminated */
			v->have_host = 1;
		} else if (KW("peer") || KW("expect")) {
			char *w = s + strspn(s, " \t");
			size_t wl = strcspn(w, " \t");
			enum verdict vd = parse_verdict(file, line, w, wl);

			if (KW("peer")) {
				v->peer = vd;
			} else {
				char *d = w + wl;

				v->expect = vd;
				d += strspn(d, " \t");
				if (vd == V_INVALID) {
					struct bytes t = { NULL, 0 };

					strings_concat(file, line, d, &t);
					append(&t, "", 1);
					v->detail = t.p;
				} else {
					v->detail = xstrdup(d);
				}
			}
		} else if (KW("rfc")) {
			const char *key = s + strspn(s, " \t");

			if ((v->rfc = find_quote(key)) == NULL)
				die(file, line, "no quote \"%s\" in rfc8461.quotes", key);
		} else {
			die(file, line, "unknown line \"%.*s\"", (int)kwlen, kw);
		}
#undef KW
		free(l);
	}
	finish_vec(v);
	if (src == NULL)
		die(file, line, "no source line");
	fclose(f);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[64], path[4096];
	size_t n = 0;

	if (d == NULL)
		die(dir, 0, "%s", strerror(errno));
	snprintf(path, sizeof(path), "%s/rfc8461.quotes", dir);
	load_quotes(path);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 8 && strcmp(e->d_name + l - 8, ".vectors") == 0) {
			if (n == sizeof(names) / sizeof(names[0]))
				die(dir, 0, "too many vector files");
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		load_vectors(path);
		free(names[i]);
	}
	if (nvecs == 0)
		die(dir, 0, "no vectors");
}

/* ---- running them -------------------------------------------------------- */

static int failures;

static void vec_fail(const struct vec *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vec_fail(const struct vec *v, const char *fmt, ...)
{
	va_list ap;

	printf("MISMATCH %s:%d %s %s %s: ", v->file, v->line, v->src->repo,
	       kind_name[v->kind], v->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

/* The policy an mx vector is matched against. */
static void mx_policy(const struct vec *v, struct bytes *out)
{
	static const char head[] = "version: STSv1\nmode: enforce\nmax_age: 86400\n";

	out->p = NULL;
	out->n = 0;
	append(out, head, sizeof(head) - 1);
	for (size_t i = 0; i < v->npat; i++) {
		append(out, "mx: ", 4);
		append(out, v->pat[i].p, v->pat[i].n);
		append(out, "\n", 1);
	}
}

static void describe_policy(const struct sts_policy *p, char *out, size_t outlen)
{
	size_t o = (size_t)snprintf(out, outlen, "%s %lu ", sts_mode_name(p->mode),
				    p->max_age);

	if (p->nmx == 0)
		snprintf(out + o, outlen - o, "-");
	for (size_t i = 0; i < p->nmx && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "," : "", p->mx[i]);
}

static void check_invalid(const struct vec *v, const char *why)
{
	if (strstr(why, v->detail) == NULL)
		vec_fail(v, "invalid as expected, but the reason \"%s\" lacks \"%s\"",
			 why, v->detail);
}

static void run_txt(const struct vec *v)
{
	char buf[MAX_RECS][STS_TXT_MAX_LEN];
	struct sts_txt_rec recs[MAX_RECS];
	size_t n = 0;
	struct sts_txt t;
	struct errbuf why;
	int rc;

	/* as src/mtasts/sts.c: strings concatenated, an RDATA that does not
	 * fit STS_TXT_MAX_LEN ignored like a record of another protocol */
	for (size_t i = 0; i < v->nrec; i++) {
		size_t len;

		if (sts_txt_rdata_concat((const unsigned char *)v->rec[i].p, v->rec[i].n,
					 buf[n], STS_TXT_MAX_LEN, &len, NULL) < 0)
			continue;
		recs[n].data = buf[n];
		recs[n].len = len;
		n++;
	}
	errbuf_clear(&why);
	rc = sts_txt_select(recs, n, &t, &why);
	if (v->expect == V_VALID) {
		if (rc < 0)
			vec_fail(v, "want valid id=%s, got invalid: %s", v->detail, why.msg);
		else if (strcmp(t.id, v->detail) != 0)
			vec_fail(v, "want id=%s, got id=%s", v->detail, t.id);
	} else if (rc == 0) {
		vec_fail(v, "want invalid (%s), got valid id=%s", v->detail, t.id);
	} else {
		check_invalid(v, why.msg);
	}
}

static void run_policy_body(const struct vec *v, const struct bytes *body)
{
	struct sts_policy *p = NULL;
	struct errbuf why;
	char got[4096];

	errbuf_clear(&why);
	if (sts_policy_parse(body->p, body->n, &p, &why) < 0) {
		if (v->expect == V_INVALID)
			check_invalid(v, why.msg);
		else
			vec_fail(v, "want %s, got invalid: %s", verdict_name[v->expect],
				 why.msg);
		return;
	}
	describe_policy(p, got, sizeof(got));
	if (v->expect == V_INVALID) {
		vec_fail(v, "want invalid (%s), got valid: %s", v->detail, got);
	} else if (v->kind == K_POLICY) {
		if (strcmp(got, v->detail) != 0)
			vec_fail(v, "want valid %s, got valid %s", v->detail, got);
	} else {
		int m = sts_policy_mx_match(p, v->host.p);

		if (m != (v->expect == V_MATCH))
			vec_fail(v, "want %s, got %s", verdict_name[v->expect],
				 m ? "match" : "nomatch");
	}
	sts_policy_free(p);
}

/* The seed a vector gives its fuzz target (kind txt: the records'
 * strings concatenated, several records one per line). */
static void seed_of(const struct vec *v, struct bytes *out)
{
	out->p = NULL;
	out->n = 0;
	if (v->kind == K_POLICY) {
		append(out, v->body.p, v->body.n);
	} else if (v->kind == K_MX) {
		mx_policy(v, out);
	} else {
		for (size_t i = 0; i < v->nrec; i++) {
			const unsigned char *r = (const unsigned char *)v->rec[i].p;

			if (i > 0)
				append(out, "\n", 1);
			for (size_t o = 0; o < v->rec[i].n; o += 1 + r[o])
				append(out, (const char *)r + o + 1, r[o]);
		}
	}
}

struct seedfile {
	struct bytes data;
	struct seedfile *next;
};

static struct seedfile *read_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct seedfile *list = NULL;
	char path[4096];

	if (d == NULL)
		fail_msg("corpus %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		struct seedfile *s;
		FILE *f;
		char chunk[4096];
		size_t r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		s = xmalloc(sizeof(*s));
		s->data.p = NULL;
		s->data.n = 0;
		append(&s->data, "", 0);
		while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
			append(&s->data, chunk, r);
		fclose(f);
		s->next = list;
		list = s;
	}
	closedir(d);
	return list;
}

static void free_corpus(struct seedfile *s)
{
	while (s) {
		struct seedfile *n = s->next;

		free(s->data.p);
		free(s);
		s = n;
	}
}

static int in_corpus(const struct seedfile *s, const struct bytes *b)
{
	for (; s; s = s->next)
		if (s->data.n == b->n && (b->n == 0 || memcmp(s->data.p, b->p, b->n) == 0))
			return 1;
	return 0;
}

static void test_txt(void **state)
{
	int before = failures;

	(void)state;
	for (const struct vec *v = vecs; v; v = v->next)
		if (v->kind == K_TXT)
			run_txt(v);
	if (failures != before)
		fail_msg("%d TXT vector(s) differ from RFC 8461", failures - before);
}

static void test_policy(void **state)
{
	int before = failures;

	(void)state;
	for (const struct vec *v = vecs; v; v = v->next)
		if (v->kind == K_POLICY)
			run_policy_body(v, &v->body);
	if (failures != before)
		fail_msg("%d policy vector(s) differ from RFC 8461", failures - before);
}

static void test_mx(void **state)
{
	int before = failures;

	(void)state;
	for (const struct vec *v = vecs; v; v = v->next) {
		struct bytes b;

		if (v->kind != K_MX)
			continue;
		mx_policy(v, &b);
		run_policy_body(v, &b);
		free(b.p);
	}
	if (failures != before)
		fail_msg("%d MX vector(s) differ from RFC 8461", failures - before);
}

/* Every vector is a seed of its fuzz target. */
static void test_corpus(void **state)
{
	struct seedfile *seeds[K_NKINDS];
	int missing = 0;

	(void)state;
	seeds[K_TXT] = read_corpus(corpus_dir[K_TXT]);
	seeds[K_POLICY] = seeds[K_MX] = read_corpus(corpus_dir[K_POLICY]);
	for (const struct vec *v = vecs; v; v = v->next) {
		struct bytes b;

		seed_of(v, &b);
		if (!in_corpus(seeds[v->kind], &b)) {
			if (write_corpus) {
				char path[4096];
				FILE *f;

				snprintf(path, sizeof(path), "%s/conf-%s-%s%s", corpus_dir[v->kind],
					 v->src->slug, v->kind == K_MX ? "mx-" : "", v->name);
				if ((f = fopen(path, "wb")) == NULL
				    || fwrite(b.p, 1, b.n, f) != b.n || fclose(f) != 0)
					fail_msg("%s: %s", path, strerror(errno));
				printf("wrote %s\n", path);
			} else {
				printf("MISSING SEED %s %s %s: not in %s\n", v->src->repo,
				       kind_name[v->kind], v->name, corpus_dir[v->kind]);
				missing++;
			}
		}
		free(b.p);
	}
	free_corpus(seeds[K_TXT]);
	free_corpus(seeds[K_POLICY]);
	if (missing)
		fail_msg("%d vector(s) not in the fuzz corpora: run %s with "
			 "--write-corpus", missing, "test_sts_conformance");
}

/* ---- the summary ------------------------------------------------------- */

static void print_escaped(const char *p, size_t n, size_t max)
{
	putchar('"');
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\r')
			printf("\\r");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20 || c > 0x7e)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
	if (n > max)
		printf("... (%zu bytes)", n);
}

static void print_input(const struct vec *v)
{
	struct bytes b;

	if (v->kind == K_MX) {
		printf("      host ");
		print_escaped(v->host.p, v->host.n - 1, 80);
		printf(", patterns");
		for (size_t i = 0; i < v->npat; i++) {
			putchar(' ');
			print_escaped(v->pat[i].p, v->pat[i].n, 80);
		}
		putchar('\n');
		return;
	}
	seed_of(v, &b);
	printf("      %s ", v->kind == K_TXT ? "record(s)" : "body");
	print_escaped(b.p, b.n, 160);
	putchar('\n');
	free(b.p);
}

static void summary(void)
{
	int total[K_NKINDS] = { 0 }, agree = 0, disagree = 0, nopeer = 0;
	size_t nimpl = 0;

	for (size_t i = 0; i < nsources; i++)
		nimpl += strcmp(sources[i].repo, "RFC 8461") != 0;

	for (const struct vec *v = vecs; v; v = v->next) {
		if (v->peer == V_NONE)
			v->src->nopeer++;
		else if (v->peer == v->expect)
			v->src->agree++;
		else
			v->src->disagree++;
	}
	printf("\nMTA-STS conformance (RFC 8461): %zu vectors from the test suites "
	       "of %zu other implementations and from RFC 8461 itself\n\n", nvecs,
	       nimpl);
	printf("%-36s %-8s %4s %6s %4s %5s  %5s %8s %7s\n", "source", "lang", "txt",
	       "policy", "mx", "total", "agree", "disagree", "no-peer");
	/* the implementations, then RFC 8461 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nsources; i++) {
			struct source *s = &sources[i];
			int t = s->count[K_TXT] + s->count[K_POLICY] + s->count[K_MX];

			if ((strcmp(s->repo, "RFC 8461") == 0) != pass)
				continue;
			printf("%-36s %-8s %4d %6d %4d %5d  %5d %8d %7d\n", s->repo,
			       s->lang, s->count[K_TXT], s->count[K_POLICY],
			       s->count[K_MX], t, s->agree, s->disagree, s->nopeer);
			for (int k = 0; k < K_NKINDS; k++)
				total[k] += s->count[k];
			agree += s->agree;
			disagree += s->disagree;
			nopeer += s->nopeer;
		}
	}
	printf("%-36s %-8s %4d %6d %4d %5zu  %5d %8d %7d\n", "all", "", total[K_TXT],
	       total[K_POLICY], total[K_MX], nvecs, agree, disagree, nopeer);
	printf("\ntlspolicy's verdict = the RFC 8461 verdict: %zu of %zu vectors\n",
	       nvecs - (size_t)failures, nvecs);
	printf("(agree: the source's own test asserts the RFC 8461 verdict; disagree: "
	       "it asserts the other one; no-peer: vectors of the RFC itself)\n");

	printf("\nDeliberate disagreements (%d): tlspolicy follows RFC 8461\n", disagree);
	for (const struct vec *v = vecs; v; v = v->next) {
		if (v->peer == V_NONE || v->peer == v->expect)
			continue;
		printf("\n  %s %s %s: the source says %s, RFC 8461 %s\n", v->src->repo,
		       kind_name[v->kind], v->name, verdict_name[v->peer],
		       verdict_name[v->expect]);
		printf("      from %s\n", v->from);
		print_input(v);
		printf("      RFC 8461 %s: \"%s\"\n", v->rfc->section, v->rfc->text);
		if (v->rfc->reading)
			printf("      reading: %s\n", v->rfc->reading);
		if (v->note)
			printf("      note: %s\n", v->note);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_corpus),
	};
	int rc;

	if (argc < 4 || (argc == 5 && strcmp(argv[4], "--write-corpus") != 0)
	    || argc > 5) {
		fprintf(stderr, "usage: %s VECTOR_DIR TXT_CORPUS POLICY_CORPUS "
			"[--write-corpus]\n", argv[0]);
		return 2;
	}
	write_corpus = argc == 5;
	corpus_dir[K_TXT] = argv[2];
	corpus_dir[K_POLICY] = corpus_dir[K_MX] = argv[3];
	load_dir(argv[1]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	summary();
	return rc;
}
