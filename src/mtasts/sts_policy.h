/* SPDX-License-Identifier: MIT */
/*
 * sts_policy - the MTA-STS policy file (RFC 8461 3.2) and the Postfix
 * answer it gives.
 *
 *   sts-policy-record  = sts-policy-field *WSP
 *                        *(sts-policy-term sts-policy-field *WSP)
 *                        [sts-policy-term]
 *   sts-policy-term    = LF / CRLF
 *   sts-policy-field   = name ":" *WSP value
 *   name               = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   value              = vchar [*(%x20 / vchar) vchar]
 *   vchar              = %x21-7E / UTF8-2 / UTF8-3 / UTF8-4
 *
 * sts_policy_parse() accepts the fields in any order (the ABNF fixes
 * none): "version: STSv1", "mode" enforce | testing | none and
 * "max_age" (1 to 10 digits; above 31557600, the maximum, it counts as
 * 31557600) are required; a repeated field other than mx counts the
 * first time, the repeats are ignored unjudged (RFC 8461 3.2).  "mx" is
 * repeatable, ["*."] Domain (RFC 5321: LDH labels of at most 63 bytes,
 * at most 253 bytes, no trailing dot; "*." only as the whole left-most
 * label; all-digit labels are Domain syntax too), required at least
 * once unless the mode is none.  LF or CRLF line ends; unknown fields
 * ignored (their syntax still checked).  Field names and the values of
 * version and mode are case-sensitive (RFC 7405 %s): "Mode: enforce" is
 * an unknown field, named in the reason when "mode" is missing.  One
 * deliberate leniency: blank lines at the very end of the body are
 * ignored.  Anything else makes the policy invalid, with a reason that
 * names the line.  tests/mtasts/conformance/ holds the vectors of other
 * implementations that prove it.
 *
 * LIMITS: STS_POLICY_MAX_BODY bytes (RFC 8461 3.3), and so per line
 * (the RFC sets no line limit), STS_POLICY_MAX_MX mx fields.
 * SECURITY: the body comes from any web server; sizes are checked
 * before anything is allocated, every byte is validated (UTF-8 per
 * RFC 3629), reasons quote no more than a described byte or a field
 * name of at most 32 checked bytes.
 */
#ifndef TP_MTASTS_STS_POLICY_H
#define TP_MTASTS_STS_POLICY_H

#include <stddef.h>
#include "util/errbuf.h"

struct config;

#define STS_POLICY_MAX_BODY (64 * 1024) /* RFC 8461 3.3: 64 KiB */
#define STS_POLICY_MAX_MX 64
#define STS_POLICY_MAX_AGE 31557600UL   /* one year, RFC 8461 3.2 */
#define STS_POLICY_MAX_AGE_DIGITS 10    /* 1*10(DIGIT) */
#define STS_POLICY_NAME_MAX 32
#define STS_MX_MAX 255                  /* "*." + 253-byte domain */

enum sts_mode { STS_MODE_ENFORCE, STS_MODE_TESTING, STS_MODE_NONE };

/* "enforce", "testing", "none". */
const char *sts_mode_name(enum sts_mode mode);

struct sts_policy {
	enum sts_mode mode;
	unsigned long max_age;  /* seconds, <= STS_POLICY_MAX_AGE */
	size_t nmx;
	char **mx;              /* lower case, as published ("*.example.net") */
	char *text;             /* the body up to its last field, CRLF made
				 * LF (never longer than the body): what is
				 * stored and parsed again */
};

/*
 * Parses a policy body of len bytes.  On success returns 0 and *out is a
 * new policy (free with sts_policy_free()); otherwise -1, *out NULL and
 * why says which line is wrong and how.
 */
int sts_policy_parse(const char *body, size_t len, struct sts_policy **out,
		     struct errbuf *why);
void sts_policy_free(struct sts_policy *p);

/*
 * RFC 8461 4.1: 1 when host (a lower- or mixed-case name, trailing dot
 * allowed) matches one of the policy's mx patterns ("*." stands for
 * exactly one left-most label), else 0.
 */
int sts_policy_mx_match(const struct sts_policy *p, const char *host);

/* What the answer depends on; sts_answer_opts_from_config() reads
 * sts_testing, sts_servername and postfix_compatibility. */
struct sts_answer_opts {
	int testing_may;          /* sts_testing = may */
	int servername;           /* sts_servername = yes */
	unsigned postfix_compat;  /* major*100+minor; >= 310: TLSRPT attributes */
};
int sts_answer_opts_from_config(const struct config *cfg,
				struct sts_answer_opts *opts,
				struct errbuf *why);

/*
 * The Postfix policy for domain (normalised, A-labels) under policy p:
 *   enforce  "secure match=<patterns> [servername=hostname]" where the
 *            patterns are the mx fields with "*.example.com" written
 *            ".example.com", ":"-joined, duplicates removed;
 *   testing  "may" when opts->testing_may, else not applicable;
 *   none     not applicable.
 * With opts->postfix_compat >= 310 the Postfix 3.10 TLSRPT attributes
 * follow: policy_type=sts policy_domain=DOMAIN, one mx_host_pattern= per
 * mx field (literal "*."), one "{ policy_string = LINE }" per policy line
 * without its trailing blanks (lines with "{" or "}" or non-ASCII bytes
 * cannot be carried and are left out; Postfix turns a tab into a
 * space).  The text is checked and put in canonical form by
 * policy_parse()/policy_format().  The TLSRPT attributes never cost the
 * enforcement: when the whole answer is over POLICY_MAX_TEXT bytes or
 * POLICY_MAX_ATTRS attributes (e.g. 40 mx lines, or 60 extension
 * lines), the policy_string lines are left out, then the mx_host_pattern
 * list too (each list whole or not at all), then policy_type and
 * policy_domain; the answer then comes with why saying what was left out
 * (the caller logs it, once per policy).
 *
 * Returns 1 and *text (malloc'ed, caller frees) when the policy gives an
 * answer (why empty, or the note above); 0 when it does not apply (why
 * says why); -1 when no valid answer can be made (the enforcing part
 * alone too long for POLICY_MAX_TEXT, rejected by policy_parse, ENOMEM),
 * with why.
 */
int sts_policy_answer(const struct sts_policy *p, const char *domain,
		      const struct sts_answer_opts *opts, char **text,
		      struct errbuf *why);

#endif
