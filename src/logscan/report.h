/* SPDX-License-Identifier: MIT */
/*
 * report - suggestions and output of a finished logscan: the table, JSON,
 * and the suggestions as tls_policy (postmap) lines or SQL.
 *
 * Suggestion rules (per recipient domain, from status=sent records):
 *   - no TLS session line in the whole input (smtp_tls_loglevel = 0):
 *     no suggestion, TLS unknown (logscan_tls_unlogged());
 *   - any plaintext delivery, or TLS failures that a required level
 *     would turn into deferrals (STARTTLS not offered or refused,
 *     handshake failures): no suggestion;
 *   - fewer than min_deliveries deliveries: no suggestion;
 *   - every delivery Verified, every relay known by name and no
 *     certificate failures: "verify";
 *   - otherwise (every delivery at least Anonymous/Untrusted/Trusted):
 *     "encrypt";
 *   - never a policy weaker than or equal to the admin's current table
 *     entry for the domain (exact key, else the nearest ".parent" key),
 *     by logscan_rank();
 *   - with --discover (the caller; on by default for --apply and
 *     --format): nothing where the daemon's discovery already answers at
 *     least as strong a policy (DANE, MTA-STS, a provider template): the
 *     domain is served automatically; nothing weaker than what the domain
 *     publishes, nothing where that is unknown (discovery failed, MTA-STS
 *     published but not fetchable), unless --force-weaker names it
 *     (cli/published.h, policy/compare.h);
 *   - with --probe (the caller): "verify" becomes "secure match=..." when
 *     every MX host seen in the log was probed and namematch_policy()
 *     says that policy delivers to each.
 * The table and JSON show a PUBLISHED column / "published" member only
 * when some row was looked up (row->published set).
 *
 * All names printed come from untrusted logs: the table and postmap/SQL
 * output only carry names that passed policy_key_normalize() or were
 * made printable; JSON strings are escaped.
 */
#ifndef TP_LOGSCAN_REPORT_H
#define TP_LOGSCAN_REPORT_H

#include <stdio.h>

#include "logscan/logscan.h"
#include "policy/policy.h"

/*
 * One row per destination.  The strings are allocated to their length
 * (issue 20 item 6: fixed arrays made a row ~1.1 KB, 55 MB for 50,000
 * destinations); logscan_rows_free() frees them.
 */
#define LOGSCAN_REASON_MAX 512      /* bytes of a reason, NUL included */
struct logscan_row {
	const struct logscan_domain *d;
	const char *key;            /* normalised domain; "" when invalid */
	/* the admin's table (filled by the caller) */
	int has_current;
	char *current_key;          /* the matching table key; malloc'ed */
	enum policy_level current_level;
	char *current_text;         /* "LEVEL attrs" as stored; malloc'ed */
	int current_exact;          /* current_key is the domain itself */
	/* filled by logscan_suggest() */
	int has_suggestion;
	enum policy_level suggestion;
	char *suggestion_params;    /* "match=..." or NULL; malloc'ed */
	const char *reason;         /* never NULL: logscan_row_reason() */
	/* filled by the caller with --discover: what the domain publishes,
	 * as the daemon's discovery answers it whatever the table holds
	 * (cli/published.h: "dane-only", "dane", "mta-sts", "provider",
	 * "none", "unknown"); "" when not looked up */
	char published[16];
	/* the suggestion was dropped because the daemon serves the domain
	 * (served), or because it would be weaker than what the domain
	 * publishes or that is unknown (refused); kept although weaker or
	 * unknown because --force-weaker names the domain (forced) */
	unsigned char served, refused, forced;
	/* the whole input has deliveries but not one TLS session line
	 * (logscan_tls_unlogged()): its "plaintext" deliveries are unknown */
	unsigned char tls_unlogged;
};

/* Sets row->reason (printf; at most LOGSCAN_REASON_MAX - 1 bytes). */
void logscan_row_reason(struct logscan_row *row, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Input that says nothing: no line at all, or not one Postfix line
 * (/etc/passwd, the wrong log).  Returns 0, or -1 with the reason in msg
 * (the caller prints it and fails).
 */
int logscan_input_check(const struct logscan *ls, char *msg, size_t n);
/*
 * Deliveries (status=sent) but not one "TLS connection established"
 * line in the whole input: Postfix logs those only with
 * smtp_tls_loglevel >= 1, and its default is 0.  Plaintext cannot be
 * told from TLS then, so no delivery counts as plaintext: the table and
 * JSON show the TLS share as unknown and nothing is suggested.  A log
 * that really has only plaintext deliveries looks the same, and is
 * reported the same way (never inferred from missing lines).
 */
int logscan_tls_unlogged(const struct logscan *ls);
/* The warning for logscan_tls_unlogged() input, or NULL. */
const char *logscan_input_warning(const struct logscan *ls, char *msg, size_t n);

/* Rows for every domain, sorted by deliveries (descending), then name;
 * key normalised.  Returns the count; *rows is malloc'ed (free with
 * logscan_rows_free), NULL on ENOMEM with a count of 0. */
size_t logscan_rows(const struct logscan *ls, struct logscan_row **rows);
void logscan_rows_free(struct logscan_row *rows, size_t n);

/* Strength of a level for "never suggest weaker": none 0, may 1,
 * encrypt 2, dane and verify 3, dane-only, fingerprint, secure 4. */
int logscan_rank(enum policy_level level);

/* Fills has_suggestion, suggestion and reason of row. */
void logscan_suggest(struct logscan_row *row, unsigned long min_deliveries);

/* "LEVEL" or "LEVEL params" of the row's suggestion into out. */
const char *logscan_suggestion_text(const struct logscan_row *row, char *out, size_t n);

/* Sum of the sent deliveries, of all failures. */
unsigned long logscan_sent(const struct logscan_tally *t);
unsigned long logscan_failures(const struct logscan_tally *t);

void logscan_print_table(FILE *out, const struct logscan *ls,
			 const struct logscan_row *rows, size_t n);
void logscan_print_json(FILE *out, const struct logscan *ls,
			const struct logscan_row *rows, size_t n,
			unsigned long min_deliveries);
/* tls_policy lines "domain LEVEL" of every suggestion. */
void logscan_print_postmap(FILE *out, const struct logscan_row *rows, size_t n,
			   unsigned long min_deliveries);
/* SQL for the tlspolicies table: INSERT for domains without a row of
 * their own; UPDATE for those with one when force, else a comment. */
void logscan_print_sql(FILE *out, const struct logscan_row *rows, size_t n,
		       int force);

#endif
