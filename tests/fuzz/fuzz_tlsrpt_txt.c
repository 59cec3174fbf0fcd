/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsrpt_txt - libFuzzer harness for the _smtp._tls TXT record
 * (src/tlsrpt/txt.c): one record, and records separated by '\n' for the
 * selection rule.  Named limits: TLSRPT_TXT_MAX, TLSRPT_RUA_MAX,
 * TLSRPT_URI_MAX; a parsed record must keep them (abort()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt/txt.h"

static void check(const struct tlsrpt_txt *t)
{
	if (t->nrua == 0 || t->nrua > TLSRPT_RUA_MAX)
		abort();
	for (size_t i = 0; i < t->nrua; i++) {
		if (strlen(t->rua[i].uri) == 0 || strlen(t->rua[i].uri) > TLSRPT_URI_MAX)
			abort();
		if (t->rua[i].kind == TLSRPT_RUA_MAILTO && strchr(t->rua[i].addr, '@') == NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsrpt_txt t;
	struct errbuf why;
	const char *recs[8];
	size_t lens[8], n = 0, start = 0;

	if (tlsrpt_txt_parse((const char *)data, size, &t, &why) == 0)
		check(&t);
	for (size_t i = 0; i <= size && n < 8; i++)
		if (i == size || data[i] == '\n') {
			recs[n] = (const char *)data + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	if (tlsrpt_txt_select(recs, lens, n, &t, &why) == 1)
		check(&t);
	return 0;
}
