/* SPDX-License-Identifier: MIT */
/* jparse.c - strict JSON into a tree (jparse.h). */
#include "tlsrpt/jparse.h"

#include "util/text.h"

#include <stdlib.h>
#include <string.h>

struct jp {
	const char *s, *e, *base;
	size_t nodes;
	struct errbuf *why;
	int failed;
};

static int fail(struct jp *p, const char *what)
{
	if (!p->failed)
		errbuf_set(p->why, "JSON: %s at byte %zu", what, (size_t)(p->s - p->base));
	p->failed = 1;
	return -1;
}

static void ws(struct jp *p)
{
	while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static struct jp_node *node(struct jp *p, enum jp_type t)
{
	struct jp_node *n;

	if (++p->nodes > JP_MAX_NODES) {
		fail(p, "more than " "200000" " values");
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		fail(p, "out of memory");
		return NULL;
	}
	n->type = t;
	return n;
}

void jp_free(struct jp_node *n)
{
	while (n) {
		struct jp_node *next = n->next;

		jp_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* p->s at the opening quote; a malloc'ed decoded string */
static char *string(struct jp *p)
{
	const char *q = ++p->s;
	char *out, *o;

	/* the decoded string is never longer than the escaped one */
	while (q < p->e && *q != '"') {
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= p->e) {
		fail(p, "unterminated string");
		return NULL;
	}
	if ((out = o = malloc((size_t)(q - p->s) + 1)) == NULL) {
		fail(p, "out of memory");
		return NULL;
	}
	while (p->s < q) {
		unsigned char c = (unsigned char)*p->s;

		if (c < 0x20) {
			fail(p, "control character in a string");
			goto bad;
		}
		if (c == '\\') {
			char e = p->s[1];
			unsigned cp, lo;

			p->s += 2;
			switch (e) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				if (q - p->s < 4 || hex4(p->s, &cp) < 0) {
					fail(p, "bad \\u escape");
					goto bad;
				}
				p->s += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (q - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u' ||
					    hex4(p->s + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
						fail(p, "unpaired surrogate");
						goto bad;
					}
					p->s += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					fail(p, "unpaired surrogate");
					goto bad;
				}
				if (cp == 0) {
					fail(p, "NUL in a string");
					goto bad;
				}
				o += put_utf8(o, cp);
				break;
			default:
				fail(p, "bad escape");
				goto bad;
			}
		} else if (c < 0x80) {
			*o++ = (char)c;
			p->s++;
		} else {
			size_t n = text_utf8_seq((const unsigned char *)p->s, (size_t)(q - p->s));

			if (n == 0) {
				fail(p, "invalid UTF-8 in a string");
				goto bad;
			}
			memcpy(o, p->s, n);
			o += n;
			p->s += n;
		}
	}
	*o = '\0';
	p->s = q + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static struct jp_node *value(struct jp *p, int depth);

static struct jp_node *container(struct jp *p, int depth, int obj)
{
	struct jp_node *n = node(p, obj ? JP_OBJECT : JP_ARRAY), **tail;
	char close = obj ? '}' : ']';

	if (n == NULL)
		return NULL;
	tail = &n->child;
	p->s++;
	ws(p);
	if (p->s < p->e && *p->s == close) {
		p->s++;
		return n;
	}
	for (;;) {
		char *key = NULL;
		struct jp_node *v;

		ws(p);
		if (obj) {
			if (p->s >= p->e || *p->s != '"') {
				fail(p, "expected a member name");
				goto bad;
			}
			if ((key = string(p)) == NULL)
				goto bad;
			for (struct jp_node *m = n->child; m; m = m->next)
				if (strcmp(m->key, key) == 0) {
					free(key);
					fail(p, "duplicate member name");
					goto bad;
				}
			ws(p);
			if (p->s >= p->e || *p->s != ':') {
				free(key);
				fail(p, "expected ':'");
				goto bad;
			}
			p->s++;
		}
		if ((v = value(p, depth + 1)) == NULL) {
			free(key);
			goto bad;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		n->n++;
		ws(p);
		if (p->s < p->e && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->e && *p->s == close) {
			p->s++;
			return n;
		}
		fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	jp_free(n);
	return NULL;
}

static struct jp_node *number(struct jp *p)
{
	const char *b = p->s;
	struct jp_node *n;
	int digits = 0, integer = 1;

	if (p->s < p->e && *p->s == '-')
		p->s++, integer = 0;
	if (p->s < p->e && *p->s == '0') {
		p->s++;
		digits = 1;
	} else {
		while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
			p->s++, digits++;
	}
	if (digits == 0) {
		fail(p, "bad number");
		return NULL;
	}
	if (p->s < p->e && *p->s == '.') {
		integer = 0;
		p->s++;
		if (p->s >= p->e || *p->s < '0' || *p->s > '9')
			return fail(p, "bad number"), NULL;
		while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
			p->s++;
	}
	if (p->s < p->e && (*p->s == 'e' || *p->s == 'E')) {
		integer = 0;
		p->s++;
		if (p->s < p->e && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (p->s >= p->e || *p->s < '0' || *p->s > '9')
			return fail(p, "bad number"), NULL;
		while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
			p->s++;
	}
	if ((n = node(p, JP_NUMBER)) == NULL)
		return NULL;
	if ((n->str = text_dupn(b, (size_t)(p->s - b))) == NULL) {
		jp_free(n);
		return fail(p, "out of memory"), NULL;
	}
	if (integer && p->s - b <= 19) {
		n->num = strtoull(n->str, NULL, 10);
		n->num_ok = 1;
	}
	return n;
}

static int lit(struct jp *p, const char *w)
{
	size_t l = strlen(w);

	if ((size_t)(p->e - p->s) < l || memcmp(p->s, w, l) != 0)
		return 0;
	p->s += l;
	return 1;
}

static struct jp_node *value(struct jp *p, int depth)
{
	struct jp_node *n;

	if (depth > JP_MAX_DEPTH)
		return fail(p, "nested deeper than 32"), NULL;
	ws(p);
	if (p->s >= p->e)
		return fail(p, "unexpected end"), NULL;
	switch (*p->s) {
	case '{':
		return container(p, depth, 1);
	case '[':
		return container(p, depth, 0);
	case '"':
		if ((n = node(p, JP_STRING)) == NULL)
			return NULL;
		if ((n->str = string(p)) == NULL) {
			jp_free(n);
			return NULL;
		}
		return n;
	case 't':
		if (lit(p, "true"))
			return node(p, JP_TRUE);
		break;
	case 'f':
		if (lit(p, "false"))
			return node(p, JP_FALSE);
		break;
	case 'n':
		if (lit(p, "null"))
			return node(p, JP_NULL);
		break;
	default:
		if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
			return number(p);
	}
	return fail(p, "unexpected character"), NULL;
}

struct jp_node *jp_parse(const char *text, size_t len, struct errbuf *why)
{
	struct jp p = { text, text + len, text, 0, why, 0 };
	struct jp_node *n;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a BOM: tolerated */
		p.s += 3;
	if ((n = value(&p, 0)) == NULL)
		return NULL;
	ws(&p);
	if (p.s != p.e) {
		fail(&p, "trailing data after the JSON value");
		jp_free(n);
		return NULL;
	}
	return n;
}

const struct jp_node *jp_get(const struct jp_node *obj, const char *key)
{
	if (obj == NULL || obj->type != JP_OBJECT)
		return NULL;
	for (const struct jp_node *m = obj->child; m; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *jp_type_name(enum jp_type t)
{
	static const char *const names[] = { "null", "false", "true", "number",
					     "string", "array", "object" };

	return (unsigned)t < 7 ? names[t] : "?";
}
