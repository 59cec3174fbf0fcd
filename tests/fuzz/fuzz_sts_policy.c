/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sts_policy - libFuzzer harness for the MTA-STS policy parser.
 * A policy that parses must parse again from its stored text to the
 * same policy, its mx patterns must match the names they describe, and
 * every answer it gives (Postfix 3.7 and 3.10 forms) must be a policy
 * the policy layer accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/sts_policy.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy *p, *q;
	struct errbuf why;

	if (sts_policy_parse((const char *)data, size, &p, &why) < 0) {
		if (p != NULL || why.msg[0] == '\0')
			abort();
		return 0;
	}
	if (p->max_age > STS_POLICY_MAX_AGE || p->nmx > STS_POLICY_MAX_MX
	    || (p->nmx == 0 && p->mode != STS_MODE_NONE))
		abort();
	if (strlen(p->text) > size) /* the store keeps it where the body fits */
		abort();
	if (sts_policy_parse(p->text, strlen(p->text), &q, &why) < 0)
		abort();
	if (q->mode != p->mode || q->max_age != p->max_age || q->nmx != p->nmx
	    || strcmp(q->text, p->text) != 0)
		abort();
	for (size_t i = 0; i < p->nmx; i++) {
		char host[STS_MX_MAX + 8];
		const char *mx = p->mx[i];

		if (strcmp(mx, q->mx[i]) != 0)
			abort();
		/* "*.x" matches "a.x"; a plain name matches itself */
		if (mx[0] == '*') {
			host[0] = 'a';
			strcpy(host + 1, mx + 1);
		} else {
			strcpy(host, mx);
		}
		if (!sts_policy_mx_match(p, host))
			abort();
	}
	for (unsigned compat = 307; compat <= 310; compat += 3) {
		struct sts_answer_opts o = { 1, 1, compat };
		struct policy_opts po = { compat };
		struct policy *pol;
		char *text;
		int rc = sts_policy_answer(p, "example.com", &o, &text, &why);

		if (rc == 1) {
			if (policy_parse(text, &po, &pol, &why) < 0)
				abort();
			policy_free(pol);
			free(text);
		} else if (text != NULL || (rc == 0 && p->mode != STS_MODE_NONE)) {
			abort(); /* with testing_may only none is not applicable */
		}
	}
	sts_policy_free(q);
	sts_policy_free(p);
	return 0;
}
