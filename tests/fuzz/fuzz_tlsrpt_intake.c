/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsrpt_intake - libFuzzer harness for received TLSRPT reports
 * (src/tlsrpt/intake.c, jparse.c): the input is parsed as a report mail /
 * gzip / JSON file (tlsrpt_rx_parse) and as bare JSON (tlsrpt_rx_json).
 * Named limits: TLSRPT_INTAKE_MAX input, TLSRPT_INTAKE_JSON_MAX inflated,
 * JP_MAX_DEPTH nesting, JP_MAX_NODES values, TLSRPT_INTAKE_POLICIES and
 * TLSRPT_INTAKE_DETAILS; a parsed report must keep them (abort()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt/intake.h"

static void check(const struct tlsrpt_rx *r)
{
	if (r->organization == NULL || r->report_id == NULL || r->organization[0] == '\0' ||
	    r->report_id[0] == '\0' || r->end < r->start || r->npolicies > TLSRPT_INTAKE_POLICIES)
		abort();
	for (size_t i = 0; i < r->npolicies; i++) {
		const struct tlsrpt_rx_policy *p = &r->policies[i];

		if (p->type == NULL || p->domain == NULL || p->mx == NULL ||
		    p->ndetails > TLSRPT_INTAKE_DETAILS)
			abort();
		if (strcmp(p->type, "sts") && strcmp(p->type, "tlsa") &&
		    strcmp(p->type, "no-policy-found"))
			abort();
		for (size_t k = 0; k < p->ndetails; k++)
			if (p->details[k].result == NULL || strlen(p->details[k].receiving_ip) > 45)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsrpt_rx r;
	struct errbuf why;

	if (tlsrpt_rx_parse((const char *)data, size, &r, &why) == 0) {
		check(&r);
		tlsrpt_rx_free(&r);
	}
	if (tlsrpt_rx_json((const char *)data, size, &r, &why) == 0) {
		check(&r);
		tlsrpt_rx_free(&r);
	}
	return 0;
}
