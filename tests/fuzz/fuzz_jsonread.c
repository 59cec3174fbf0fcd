/* SPDX-License-Identifier: MIT */
/*
 * fuzz_jsonread - libFuzzer harness for the JSON reader policy import
 * uses for `export --format json` files (util/jsonread.h).  Invariants
 * checked with abort(): a parse either fails with a message or gives a
 * tree whose strings are no longer than JSONREAD_MAX_STRING, nested at
 * most JSONREAD_MAX_DEPTH deep, objects without duplicate keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonread.h"

static void walk(const struct json_value *v, int depth)
{
	if (depth > JSONREAD_MAX_DEPTH + 1)
		abort();
	if (v->type == JSON_STRING && (v->str == NULL || v->len > JSONREAD_MAX_STRING))
		abort();
	for (size_t i = 0; i < v->n; i++) {
		if (v->type == JSON_OBJECT) {
			if (v->keys[i] == NULL || json_get(v, v->keys[i]) != &v->items[i])
				abort();
		}
		walk(&v->items[i], depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *v = NULL;
	struct errbuf why;

	errbuf_clear(&why);
	if (json_read((const char *)data, size, &v, &why) == 0) {
		if (v == NULL)
			abort();
		walk(v, 0);
		json_value_free(v);
	} else if (v != NULL || why.msg[0] == '\0') {
		abort();
	}
	return 0;
}
