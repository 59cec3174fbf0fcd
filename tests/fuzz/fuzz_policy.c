/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy - libFuzzer harness for policy_parse(), policy_format()
 * and policy_key_normalize().
 *
 * Input: the first byte picks postfix_compat (even: 3.7, odd: 3.10), the
 * rest is the policy text (and, separately, a lookup key).  Asserted:
 * a parsed policy formats to text that parses back to an equal policy
 * (parse(format(p)) == p), both as one string and as the two table
 * columns (level, params); normalising a normalised key is the identity.
 * Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

#define FUZZ_POLICY_MAX (POLICY_MAX_TEXT + 64)

static void check_roundtrip(const struct policy *p,
			    const struct policy_opts *opts)
{
	struct errbuf why;
	struct policy *q = NULL, *r = NULL;
	char *text = policy_format(p), *params = policy_format_params(p);

	if (text == NULL || params == NULL)
		abort();
	if (policy_parse(text, opts, &q, &why) < 0) {
		fprintf(stderr, "formatted policy does not parse: %s: %s\n",
			text, why.msg);
		abort();
	}
	if (!policy_equal(p, q)) {
		fprintf(stderr, "parse(format(p)) != p: %s\n", text);
		abort();
	}
	if (policy_parse_parts(policy_level_name(p->level), params, opts, &r,
			       &why) < 0 || !policy_equal(p, r)) {
		fprintf(stderr, "parse_parts(level, params) != p: %s\n", text);
		abort();
	}
	{
		char *again = policy_format(q);

		if (again == NULL || strcmp(again, text) != 0) {
			fprintf(stderr, "format not stable: %s\n", text);
			abort();
		}
		free(again);
	}
	policy_free(q);
	policy_free(r);
	free(text);
	free(params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_opts opts;
	struct errbuf why;
	struct policy *p = NULL;
	char *text;
	char key[POLICY_KEY_MAX], key2[POLICY_KEY_MAX];
	enum policy_key_kind kind, kind2;

	if (size < 1 || size > FUZZ_POLICY_MAX)
		return 0;
	opts.postfix_compat = (data[0] & 1) ? 310 : 307;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	why.msg[0] = '\0';

	if (policy_parse(text, &opts, &p, &why) == 0) {
		if (p == NULL)
			abort();
		check_roundtrip(p, &opts);
		policy_free(p);
	} else if (p != NULL || why.msg[0] == '\0') {
		abort();
	}

	if (policy_key_normalize(text, key, sizeof(key), &kind, &why) == 0) {
		if (policy_key_normalize(key, key2, sizeof(key2), &kind2,
					 &why) < 0 ||
		    strcmp(key, key2) != 0 || kind != kind2) {
			fprintf(stderr, "key not idempotent: %s\n", key);
			abort();
		}
	}
	free(text);
	return 0;
}
