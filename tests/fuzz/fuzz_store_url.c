/* SPDX-License-Identifier: MIT */
/*
 * fuzz_store_url - libFuzzer harness for store_url_parse() (database
 * URLs come from the config file and --db).
 *
 * Asserted: a failed parse leaves nothing allocated; a successful parse
 * yields a description that does not depend on the password, which (for mysql) parses
 * again to the same user, host, port, database and socket.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_url u, v;
	struct errbuf why;
	char *url, *desc;

	if (size > STORE_URL_MAX + 16)
		return 0;
	url = malloc(size + 1);
	if (url == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	if (store_url_parse(url, &u, &why) < 0) {
		if (u.user || u.password || u.path || u.host || u.dbname || u.socket)
			abort();
		free(url);
		return 0;
	}
	desc = store_url_describe(&u);
	if (desc == NULL)
		abort();
	if (u.kind == STORE_MYSQL) {
		/* the description does not depend on the password */
		char *pw = u.password, *d2;

		u.password = (char *)"another-password";
		d2 = store_url_describe(&u);
		u.password = pw;
		if (d2 == NULL || strcmp(desc, d2) != 0) {
			fprintf(stderr, "description depends on the password: %s\n", desc);
			abort();
		}
		free(d2);
	}
	/* user names with '@' ':' '/' describe ambiguously; the rest must
	 * round-trip */
	if (u.kind == STORE_MYSQL && strpbrk(u.user, "@:/%?#") == NULL &&
	    (u.socket == NULL || strpbrk(u.socket, "&#% ") == NULL)) {
		if (store_url_parse(desc, &v, &why) < 0) {
			fprintf(stderr, "description does not parse: %s: %s\n", desc, why.msg);
			abort();
		}
		if (!same(u.user, v.user) || !same(u.host, v.host) || u.port != v.port ||
		    !same(u.dbname, v.dbname) || !same(u.socket, v.socket))
			abort();
		store_url_free(&v);
	}
	free(desc);
	store_url_free(&u);
	free(url);
	return 0;
}
