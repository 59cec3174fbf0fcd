/* SPDX-License-Identifier: MIT */
/*
 * fuzz_providers - libFuzzer harness for the provider catalogue parser
 * (provider/catalog.h) and the transport(5) reader of provider
 * templates: the input is parsed as a built-in catalogue, then as an
 * admin layer over it, every host-like word of the input is matched,
 * and the input is read as a transport file.  Invariants (ids unique,
 * every entry named with patterns, a failed parse leaves the catalogue
 * unchanged) are checked with abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider/catalog.h"
#include "provider/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct catalog *c)
{
	for (size_t i = 0; i < catalog_count(c); i++) {
		const struct provider *p = catalog_get(c, i);

		if (p->id[0] == '\0' || p->name[0] == '\0' || p->nmx == 0 ||
		    p->nmx > CATALOG_MAX_MX)
			abort();
		for (size_t k = i + 1; k < catalog_count(c); k++)
			if (strcmp(p->id, catalog_get(c, k)->id) == 0)
				abort();
		if (catalog_find(c, p->id) != p)
			abort();
		for (size_t k = 0; k < p->nmx; k++) {
			/* a pattern matches an example host built from it */
			char host[CATALOG_PATTERN_MAX + 8];
			const char *m = p->mx[k];

			if (m[0] == '.')
				snprintf(host, sizeof(host), "a%s", m);
			else if (m[0] == '*')
				snprintf(host, sizeof(host), "a%s", m + 1);
			else
				snprintf(host, sizeof(host), "%s", m);
			if (!catalog_pattern_match(m, host))
				abort();
			if (catalog_match_host(c, host, NULL) == NULL)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] =
		"provider a\nname A\nmx .a.example\npolicy secure match=.a.example\n"
		"provider b\nname B\nmx mx.b.example\n";
	struct catalog *c = catalog_new();
	struct errbuf why;
	struct provider_pin *pins = NULL;
	size_t n = 0, before;

	if (c == NULL)
		return 0;
	if (catalog_parse(c, (const char *)data, size, "fuzz", 0, NULL, &why) == 0)
		check(c);
	catalog_free(c);

	c = catalog_new();
	if (c == NULL || catalog_parse(c, base, sizeof(base) - 1, "base", 0, NULL, &why) < 0)
		abort();
	before = catalog_count(c);
	if (catalog_parse(c, (const char *)data, size, "admin", 1, NULL, &why) < 0) {
		if (catalog_count(c) != before || catalog_find(c, "a") == NULL)
			abort();
	}
	check(c);
	{
		/* words of the input as host names */
		char word[300];
		size_t w = 0;

		for (size_t i = 0; i <= size; i++) {
			if (i == size || data[i] == ' ' || data[i] == '\n' || w + 1 >= sizeof(word)) {
				word[w] = '\0';
				if (w > 0)
					(void)catalog_match_host(c, word, NULL);
				w = 0;
			} else if (data[i] != '\0') {
				word[w++] = (char)data[i];
			}
		}
	}
	catalog_free(c);

	if (provider_pins_parse((const char *)data, size, "transport", &pins, &n, &why) == 0) {
		for (size_t i = 0; i < n; i++)
			if (pins[i].nhosts == 0 || pins[i].nhosts > PROVIDER_MAX_HOSTS)
				abort();
		free(pins);
	}
	return 0;
}
