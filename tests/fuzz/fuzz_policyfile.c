/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policyfile - libFuzzer harness for policyfile_parse().
 *
 * The input is a tls_policy source file.  Asserted: on success every
 * entry has a policy and a key that normalises to itself; writing the
 * entries back as "KEY POLICY" lines and reading that gives the same
 * entries (keys, policies, count).  On failure the reason is set and
 * nothing is returned.  Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_opts opts = { 310 };
	struct policyfile_entry *e = NULL, *e2 = NULL;
	size_t n = 99, n2 = 0, i, len = 0, cap = 1;
	struct errbuf why;
	char *out;

	if (size > 1024 * 1024)
		return 0;
	{
		/* every message names a line; errors <=> failure */
		struct policyfile_opts o = { &opts, NULL, NULL };
		struct policyfile_report rep;
		int rc = policyfile_parse_report((const char *)data, size, "fuzz", &o,
						 &e, &n, &rep);

		if ((rc < 0) != (rep.errors > 0) || rep.n > POLICYFILE_MAX_MESSAGES ||
		    rep.n > rep.errors + rep.warnings)
			abort();
		for (i = 0; i < rep.n; i++)
			if (strncmp(rep.msg[i].text, "fuzz:", 5) != 0)
				abort();
		policyfile_report_free(&rep);
		policyfile_free(e, n);
		e = NULL;
		n = 99;
	}
	why.msg[0] = '\0';
	if (policyfile_parse((const char *)data, size, "fuzz", &opts, &e, &n,
			     &why) < 0) {
		if (e != NULL || n != 0 || why.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < n; i++)
		cap += strlen(e[i].key) + POLICY_MAX_TEXT * 2 + 4;
	if ((out = malloc(cap)) == NULL)
		abort();
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		char *t = policy_format(e[i].policy);

		if (t == NULL || e[i].policy == NULL || e[i].line == 0)
			abort();
		len += (size_t)snprintf(out + len, cap - len, "%s %s\n",
					e[i].key, t);
		free(t);
	}
	if (policyfile_parse(out, len, "again", &opts, &e2, &n2, &why) < 0) {
		fprintf(stderr, "re-read failed: %s\n%s", why.msg, out);
		abort();
	}
	if (n2 != n)
		abort();
	for (i = 0; i < n; i++) {
		if (strcmp(e[i].key, e2[i].key) != 0 ||
		    e[i].kind != e2[i].kind ||
		    !policy_equal(e[i].policy, e2[i].policy)) {
			fprintf(stderr, "entry %zu differs after re-read\n", i);
			abort();
		}
	}
	free(out);
	policyfile_free(e, n);
	policyfile_free(e2, n2);
	return 0;
}
