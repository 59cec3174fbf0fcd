/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config - libFuzzer harness for the main.cf-syntax configuration
 * parser (config_load_string(); config_load_file() adds only the size
 * and NUL checks).
 *
 * Asserted: a failed load changes nothing (the printed settings stay the
 * defaults); a successful load prints settings that load again to the
 * same print (round trip), and the typed getters of the loaded values
 * never fail (they panic -- abort -- on a value that slipped through).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* config_print() into a malloc'ed string. */
static char *print_all(const struct config *cfg)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);

	if (fp == NULL)
		abort();
	config_print(cfg, fp, 0);
	fclose(fp);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg, *again;
	struct errbuf why;
	char *text, *p1, *p2, *defaults;

	if (size > 64 * 1024)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';          /* the file reader refuses NUL bytes */
	cfg = config_new();
	defaults = print_all(cfg);
	if (config_load_string(cfg, text, "fuzz", &why) < 0) {
		p1 = print_all(cfg);
		if (strcmp(p1, defaults) != 0)
			abort();    /* a failed load changed something */
		free(p1);
		goto out;
	}
	(void)config_get_time(cfg, "reload_interval");
	(void)config_get_time(cfg, "idle_timeout");
	(void)config_get_int(cfg, "max_connections");
	(void)config_get_bool(cfg, "discovery");
	(void)config_get_version(cfg, "postfix_compatibility");
	p1 = print_all(cfg);
	again = config_new();
	if (config_load_string(again, p1, "print", &why) < 0) {
		fprintf(stderr, "printed settings do not load: %s\n", why.msg);
		abort();
	}
	p2 = print_all(again);
	if (strcmp(p1, p2) != 0)
		abort();
	free(p1);
	free(p2);
	config_free(again);
out:
	free(defaults);
	config_free(cfg);
	free(text);
	return 0;
}
