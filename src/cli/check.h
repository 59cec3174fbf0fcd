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

#define CHECK_COL_LABEL 10

/* Text block of the DANE facts (--details); looked_up: the MX RRset is
 * DNSSEC-secure (else the hosts were not looked up). */
void check_facts_text(struct buf *b, const struct dane_facts *f, int looked_up);
/* The same as JSON members ("mx":...,"hosts":[...]) without braces. */
void check_facts_json(struct buf *b, const struct dane_facts *f, int looked_up);

#endif
