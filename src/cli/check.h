/* SPDX-License-Identifier: MIT */
/*
 * check.h - shared between the parts of `tlspolicy check` (cmd_check.c:
 * driving the lookups and probes, the table and JSON report;
 * check_facts.c: the DANE facts).
 */
#ifndef TP_CLI_CHECK_H
#define TP_CLI_CHECK_H

struct buf;
struct dane_facts;

#include <stddef.h>
#include <time.h>

#define CHECK_COL_LABEL 10

/*
 * One checked domain as `check` shows it (the columns of the table and
 * the members of --json, made by the same functions), handed to
 * cli->check_sink instead of being printed: `report` runs cmd_check()
 * with a sink.  Strings live until the callback returns.
 */
struct check_row_note {
	int warn;
	const char *text;
};
struct check_row_mx {
	const char *host, *status, *tls; /* probe_status_name, probe_tls_name */
	const char *why;                 /* NULL: probed fine */
	time_t not_after;                /* leaf certificate; 0 unknown */
	const char *answer_fails;        /* the daemon's answer fails here: why */
};
struct check_row {
	const char *domain, *provider, *published, *policy, *parameter;
	const char *answer_status, *answer_text;
	const char *answer_source;       /* SOURCE: "table KEY" (the row that
					  * matched), DANE, MTA-STS, provider,
					  * default, - */
	const char *reason;              /* why discovery failed, NULL */
	const char *table;               /* the admin's row, NULL */
	const char *recommend, *recommend_src; /* NULL: none */
	const char *weaker;              /* the "weaker than published" note */
	int warning, failed, probed;
	const struct check_row_note *notes;
	size_t nnotes;
	const struct check_row_mx *mx;   /* with --probe */
	size_t nmx;
};
/* Domains one per line ('#' comments, blank lines) from path, at most
 * max; errors "tlspolicy CMD: ..." on stderr.  *out (malloc'ed strings)
 * and *n; 0, or -1. */
int check_read_domains(const char *cmd, const char *path, size_t max, char ***out, size_t *n);

struct check_sink {
	void (*row)(void *arg, const struct check_row *row);
	void *arg;
};

/* Text block of the DANE facts (--details); looked_up: the MX RRset is
 * DNSSEC-secure (else the hosts were not looked up). */
void check_facts_text(struct buf *b, const struct dane_facts *f, int looked_up);
/* The same as JSON members ("mx":...,"hosts":[...]) without braces. */
void check_facts_json(struct buf *b, const struct dane_facts *f, int looked_up);

#endif
