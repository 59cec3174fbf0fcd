/* SPDX-License-Identifier: MIT */
/*
 * sts_answer - the Postfix TLS policy an MTA-STS policy gives
 * (sts_policy_answer, declared in sts_policy.h).  Kept apart from the
 * parser so that the parser has no dependency on the policy layer.
 */
#include "mtasts/sts_policy.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/config.h"

#include <string.h>

int sts_answer_opts_from_config(const struct config *cfg,
				struct sts_answer_opts *opts,
				struct errbuf *why)
{
	const char *testing = config_get(cfg, "sts_testing");

	memset(opts, 0, sizeof(*opts));
	if (strcmp(testing, "may") == 0)
		opts->testing_may = 1;
	else if (strcmp(testing, "ignore") != 0)
		return errbuf_set(why, "sts_testing = %s: must be ignore or may",
				  testing);
	opts->servername = config_get_bool(cfg, "sts_servername");
	opts->postfix_compat = config_get_version(cfg, "postfix_compatibility");
	return 0;
}

/* A policy line that can travel inside "{ policy_string = ... }"
 * (Postfix makes a tab a space). */
static int tlsrpt_line_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c > 0x7e || c == '{' || c == '}')
			return 0;
	}
	return n > 0;
}

/* The TLSRPT attributes of Postfix >= 3.10, appended to b: always
 * policy_type and policy_domain; the mx_host_pattern= list and the
 * "{ policy_string = LINE }" list only when asked for (each list whole
 * or not at all: Postfix >= 3.11 can enforce the mx_host_pattern list,
 * and a report with half a policy would misstate it).  -1 when b's limit
 * is reached. */
static int put_tlsrpt(struct buf *b, const struct sts_policy *p, const char *domain,
		      int patterns, int strings)
{
	const char *line = p->text;

	if (buf_printf(b, " policy_type=sts policy_domain=%s", domain) < 0)
		return -1;
	for (size_t i = 0; patterns && i < p->nmx; i++)
		if (buf_printf(b, " mx_host_pattern=%s", p->mx[i]) < 0)
			return -1;
	while (strings && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		size_t m = n;

		while (m > 0 && (line[m - 1] == ' ' || line[m - 1] == '\t'))
			m--;
		if (tlsrpt_line_ok(line, m) &&
		    buf_printf(b, " { policy_string = %.*s }", (int)m, line) < 0)
			return -1;
		line += n + (nl != NULL);
	}
	return 0;
}

/* Parses text into its canonical form (*out, malloc'ed): 1, else -1
 * with why. */
static int finish_answer(const struct buf *b, const struct policy_opts *popts,
			 char **out, struct errbuf *why)
{
	struct policy *pol = NULL;
	int rc = -1;

	if (b->len > POLICY_MAX_TEXT)
		return errbuf_set(why, "answer longer than %d bytes", POLICY_MAX_TEXT);
	if (policy_parse(b->data, popts, &pol, why) < 0) {
		errbuf_prefix(why, "answer \"%.60s...\" rejected", b->data);
		return -1;
	}
	if ((*out = policy_format(pol)) == NULL)
		errbuf_set(why, "out of memory");
	else
		rc = 1;
	policy_free(pol);
	return rc;
}

int sts_policy_answer(const struct sts_policy *p, const char *domain,
		      const struct sts_answer_opts *opts, char **text,
		      struct errbuf *why)
{
	/* The TLSRPT extras, from all to none: enforcement is never given
	 * up to make room for them. */
	static const struct {
		int patterns, strings;
		const char *left_out;
	} tries[] = {
		{ 1, 1, NULL },
		{ 1, 0, "the policy_string lines" },
		{ 0, 0, "the policy_string lines and the mx_host_pattern list" },
	};
	struct policy_opts popts = { .postfix_compat = opts->postfix_compat };
	struct buf base, b;
	struct errbuf err;
	int rc = -1;

	*text = NULL;
	errbuf_clear(why);
	switch (p->mode) {
	case STS_MODE_NONE:
		errbuf_set(why, "mode none");
		return 0;
	case STS_MODE_TESTING:
		if (!opts->testing_may) {
			errbuf_set(why, "mode testing (sts_testing = ignore)");
			return 0;
		}
		break;
	case STS_MODE_ENFORCE:
		break;
	}

	/* One byte more than the limit, so that "too long" is detected. */
	buf_init(&base, POLICY_MAX_TEXT + 1);
	buf_init(&b, POLICY_MAX_TEXT + 1);
	if (p->mode == STS_MODE_TESTING) {
		if (buf_puts(&base, "may") < 0)
			goto too_long;
	} else {
		if (buf_puts(&base, "secure match=") < 0)
			goto too_long;
		for (size_t i = 0; i < p->nmx; i++) {
			const char *pat = p->mx[i][0] == '*' ? p->mx[i] + 1 : p->mx[i];
			int dup = 0;

			for (size_t j = 0; j < i && !dup; j++) {
				const char *q = p->mx[j][0] == '*' ? p->mx[j] + 1 : p->mx[j];

				dup = strcmp(pat, q) == 0;
			}
			if (dup)
				continue;
			if ((i > 0 && buf_puts(&base, ":") < 0) || buf_puts(&base, pat) < 0)
				goto too_long;
		}
		if (opts->servername && buf_puts(&base, " servername=hostname") < 0)
			goto too_long;
	}
	if (opts->postfix_compat >= 310) {
		for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
			buf_reset(&b);
			errbuf_clear(&err);
			if (buf_append(&b, base.data, base.len) < 0 ||
			    put_tlsrpt(&b, p, domain, tries[t].patterns, tries[t].strings) < 0)
				errbuf_set(&err, "answer longer than %d bytes", POLICY_MAX_TEXT);
			else if (finish_answer(&b, &popts, text, &err) > 0) {
				if (tries[t].left_out)
					errbuf_set(why, "TLSRPT attributes shortened to fit "
						   "(%d bytes, %d attributes): %s left out",
						   POLICY_MAX_TEXT, POLICY_MAX_ATTRS,
						   tries[t].left_out);
				rc = 1;
				goto out;
			}
		}
		/* not even policy_type and policy_domain fit: none */
		if (finish_answer(&base, &popts, text, why) > 0) {
			errbuf_set(why, "TLSRPT attributes shortened to fit (%d bytes, %d "
				   "attributes): all left out", POLICY_MAX_TEXT, POLICY_MAX_ATTRS);
			rc = 1;
		}
		goto out;
	}
	rc = finish_answer(&base, &popts, text, why);
	goto out;
too_long:
	errbuf_set(why, "answer longer than %d bytes", POLICY_MAX_TEXT);
out:
	buf_free(&base);
	buf_free(&b);
	return rc;
}
