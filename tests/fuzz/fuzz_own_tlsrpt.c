/* SPDX-License-Identifier: MIT */
/*
 * fuzz_own_tlsrpt - libFuzzer harness for the TLSRPT record check of
 * tlspolicy own (own/stspub.h own_tlsrpt_check): the input is split at
 * '\n' into TXT records (at most STS_TXT_MAX_RECORDS, each at most
 * STS_TXT_MAX_LEN bytes, as the CLI hands them over).  Invariants: one
 * finding, a known verdict, a fix exactly when the verdict is not ok,
 * NUL-terminated message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/report.h"
#include "own/stspub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_txt_rec recs[STS_TXT_MAX_RECORDS];
	struct own_report rep;
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= size && n < STS_TXT_MAX_RECORDS; i++) {
		if (i == size || data[i] == '\n') {
			size_t len = i - start;

			recs[n].data = (const char *)data + start;
			recs[n].len = len > STS_TXT_MAX_LEN ? STS_TXT_MAX_LEN : len;
			n++;
			start = i + 1;
		}
	}
	own_report_init(&rep);
	own_tlsrpt_check("example.org", OWN_LOOKUP_DATA, NULL, recs, n, &rep);
	if (rep.n != 1 || rep.f[0].verdict > OWN_UNKNOWN ||
	    memchr(rep.f[0].msg, '\0', sizeof(rep.f[0].msg)) == NULL ||
	    (rep.f[0].verdict == OWN_OK) != (rep.f[0].fix == NULL))
		abort();
	own_report_free(&rep);
	return 0;
}
