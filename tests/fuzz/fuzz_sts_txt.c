/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sts_txt - libFuzzer harness for the _mta-sts TXT record parser.
 * The input is used three ways: as one record (strings concatenated),
 * as TXT RDATA in wire form (a single record is selected exactly when
 * it parses), and as several records separated by '\n' for the
 * selection rule.  Invariants are checked with abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/sts_txt.h"

static void check_id(const struct sts_txt *t)
{
	size_t n = strlen(t->id);

	if (n == 0 || n > STS_TXT_ID_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = t->id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		      || (c >= '0' && c <= '9')))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_txt t;
	struct errbuf why;
	struct sts_txt_rec recs[STS_TXT_MAX_RECORDS + 1];
	char cat[STS_TXT_MAX_LEN];
	size_t catlen, n = 0, start = 0;

	if (sts_txt_parse((const char *)data, size, &t, &why) == 0)
		check_id(&t);

	if (sts_txt_rdata_concat(data, size, cat, sizeof(cat), &catlen, &why) == 0) {
		recs[0].data = cat;
		recs[0].len = catlen;
		if (sts_txt_select(recs, 1, &t, &why) == 0) {
			struct sts_txt t1;

			/* one record: selected exactly when it parses, same id */
			check_id(&t);
			if (sts_txt_parse(cat, catlen, &t1, &why) != 0
			    || strcmp(t1.id, t.id) != 0)
				abort();
		} else if (sts_txt_parse(cat, catlen, &t, &why) == 0) {
			abort();
		}
	}

	for (size_t i = 0; i <= size && n < STS_TXT_MAX_RECORDS + 1; i++) {
		if (i == size || data[i] == '\n') {
			recs[n].data = (const char *)data + start;
			recs[n].len = i - start;
			n++;
			start = i + 1;
		}
	}
	if (sts_txt_select(recs, n, &t, &why) == 0)
		check_id(&t);
	return 0;
}
