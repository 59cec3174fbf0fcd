/* SPDX-License-Identifier: MIT */
/*
 * jsonread.c - the small JSON reader (see jsonread.h).
 */
#include "util/jsonread.h"

#include <stdlib.h>
#include <string.h>

struct jr {
	const char *p, *end;
	unsigned line;
	struct errbuf *why;
};

static int jr_err(struct jr *r, const char *what)
{
	errbuf_set(r->why, "line %u: %s", r->line, what);
	return -1;
}

static void skip_ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) {
		if (*r->p == '\n')
			r->line++;
		r->p++;
	}
}

static int hex4(struct jr *r, unsigned *out)
{
	unsigned v = 0;

	if (r->end - r->p < 4)
		return jr_err(r, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return jr_err(r, "bad \\u escape");
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

/* At the opening quote; a new string in *out, its length in *lenp. */
static int read_string(struct jr *r, char **out, size_t *lenp)
{
	size_t cap = 64, n = 0;
	char *s = malloc(cap);

	if (s == NULL)
		return jr_err(r, "out of memory");
	r->p++;
	for (;;) {
		unsigned char c;

		if (r->p >= r->end) {
			free(s);
			return jr_err(r, "unterminated string");
		}
		if (n + 5 > cap) {
			char *ns;

			if (cap >= JSONREAD_MAX_STRING + 8) {
				free(s);
				return jr_err(r, "string longer than 65536 bytes");
			}
			cap *= 2;
			if ((ns = realloc(s, cap)) == NULL) {
				free(s);
				return jr_err(r, "out of memory");
			}
			s = ns;
		}
		c = (unsigned char)*r->p++;
		if (c == '"')
			break;
		if (c < 0x20) {
			free(s);
			return jr_err(r, "control character in a string");
		}
		if (c != '\\') {
			s[n++] = (char)c;
			continue;
		}
		if (r->p >= r->end) {
			free(s);
			return jr_err(r, "unterminated string");
		}
		c = (unsigned char)*r->p++;
		switch (c) {
		case '"': case '\\': case '/': s[n++] = (char)c; break;
		case 'b': s[n++] = '\b'; break;
		case 'f': s[n++] = '\f'; break;
		case 'n': s[n++] = '\n'; break;
		case 'r': s[n++] = '\r'; break;
		case 't': s[n++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (hex4(r, &cp) < 0) {
				free(s);
				return -1;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(s);
				return jr_err(r, "lone low surrogate in \\u escape");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') {
					free(s);
					return jr_err(r, "lone high surrogate in \\u escape");
				}
				r->p += 2;
				if (hex4(r, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					free(s);
					return jr_err(r, "bad surrogate pair in \\u escape");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			n += put_utf8(s + n, cp);
			break;
		}
		default:
			free(s);
			return jr_err(r, "bad escape in a string");
		}
		if (n > JSONREAD_MAX_STRING) {
			free(s);
			return jr_err(r, "string longer than 65536 bytes");
		}
	}
	s[n] = '\0';
	*out = s;
	*lenp = n;
	return 0;
}

static int read_value(struct jr *r, struct json_value *v, int depth);

static int add_member(struct jr *r, struct json_value *v, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct json_value *ni = realloc(v->items, nc * sizeof(*ni));

		if (ni == NULL)
			return jr_err(r, "out of memory");
		v->items = ni;
		if (v->type == JSON_OBJECT) {
			char **nk = realloc(v->keys, nc * sizeof(*nk));

			if (nk == NULL)
				return jr_err(r, "out of memory");
			v->keys = nk;
		}
		*cap = nc;
	}
	memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = NULL;
	v->n++;
	return 0;
}

static int read_container(struct jr *r, struct json_value *v, int depth)
{
	char close = v->type == JSON_ARRAY ? ']' : '}';
	size_t cap = 0;

	if (depth >= JSONREAD_MAX_DEPTH)
		return jr_err(r, "nested deeper than 16 levels");
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		skip_ws(r);
		if (add_member(r, v, &cap) < 0)
			return -1;
		if (v->type == JSON_OBJECT) {
			size_t klen;

			if (r->p >= r->end || *r->p != '"')
				return jr_err(r, "expected a member name in quotes");
			if (read_string(r, &v->keys[v->n - 1], &klen) < 0)
				return -1;
			for (size_t i = 0; i + 1 < v->n; i++)
				if (strcmp(v->keys[i], v->keys[v->n - 1]) == 0)
					return jr_err(r, "duplicate member name");
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return jr_err(r, "expected ':' after a member name");
			r->p++;
		}
		if (read_value(r, &v->items[v->n - 1], depth + 1) < 0)
			return -1;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return 0;
		}
		return jr_err(r, v->type == JSON_ARRAY ? "expected ',' or ']'" : "expected ',' or '}'");
	}
}

static int read_literal(struct jr *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return jr_err(r, "unexpected text (not a JSON value)");
	r->p += n;
	return 0;
}

static int read_number(struct jr *r, struct json_value *v)
{
	const char *s = r->p;
	char tmp[64], *e;
	size_t n;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return jr_err(r, "bad number");
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return jr_err(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return jr_err(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	n = (size_t)(r->p - s);
	if (n >= sizeof(tmp))
		return jr_err(r, "number longer than 63 characters");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v->number = strtod(tmp, &e);
	return 0;
}

static int read_value(struct jr *r, struct json_value *v, int depth)
{
	skip_ws(r);
	v->line = r->line;
	if (r->p >= r->end)
		return jr_err(r, "expected a value, found the end");
	switch (*r->p) {
	case '{':
		v->type = JSON_OBJECT;
		return read_container(r, v, depth);
	case '[':
		v->type = JSON_ARRAY;
		return read_container(r, v, depth);
	case '"':
		v->type = JSON_STRING;
		return read_string(r, &v->str, &v->len);
	case 't':
		v->type = JSON_BOOL;
		v->boolean = 1;
		return read_literal(r, "true");
	case 'f':
		v->type = JSON_BOOL;
		return read_literal(r, "false");
	case 'n':
		v->type = JSON_NULL;
		return read_literal(r, "null");
	default:
		v->type = JSON_NUMBER;
		return read_number(r, v);
	}
}

static void value_clear(struct json_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		value_clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void json_value_free(struct json_value *v)
{
	if (v == NULL)
		return;
	value_clear(v);
	free(v);
}

int json_read(const char *text, size_t len, struct json_value **out, struct errbuf *why)
{
	struct jr r = { text, text + len, 1, why };
	struct json_value *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (v == NULL)
		return errbuf_set(why, "out of memory");
	if (read_value(&r, v, 0) < 0) {
		json_value_free(v);
		return -1;
	}
	skip_ws(&r);
	if (r.p != r.end) {
		json_value_free(v);
		return jr_err(&r, "text after the JSON value");
	}
	*out = v;
	return 0;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}
