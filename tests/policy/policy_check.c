/* SPDX-License-Identifier: MIT */
/*
 * policy_check - test helper: reads one policy (or, with -k, one lookup
 * key) per line on stdin and prints "OK<TAB>canonical" or
 * "ERR<TAB>reason" per line.  -c N sets postfix_compat.  Used by
 * postfix_judge.sh to compare our verdicts with real Postfix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"

int main(int argc, char **argv)
{
	struct policy_opts opts = { 307 };
	char line[POLICY_MAX_TEXT + 64];
	int keys = 0, ch;

	while ((ch = getopt(argc, argv, "c:k")) != -1) {
		if (ch == 'c')
			opts.postfix_compat = (unsigned)atoi(optarg);
		else if (ch == 'k')
			keys = 1;
		else
			return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct errbuf why;
		struct policy *p;
		char key[POLICY_KEY_MAX], *t;

		line[strcspn(line, "\n")] = '\0';
		if (keys) {
			if (policy_key_normalize(line, key, sizeof(key), NULL,
						 &why) < 0)
				printf("ERR\t%s\n", why.msg);
			else
				printf("OK\t%s\n", key);
			continue;
		}
		if (policy_parse(line, &opts, &p, &why) < 0) {
			printf("ERR\t%s\n", why.msg);
			continue;
		}
		if ((t = policy_format(p)) == NULL)
			return 1;
		printf("OK\t%s\n", t);
		free(t);
		policy_free(p);
	}
	return 0;
}
