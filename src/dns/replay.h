/* SPDX-License-Identifier: MIT */
/*
 * replay - DNS answers read from a file, for tests: a struct dns made
 * by dns_new_replay() (dns.h) answers every query from the file instead
 * of libunbound, on the same path (callbacks from the loop, never from
 * within dns_resolve()), so the DANE, MTA-STS, provider and engine code
 * above runs unchanged without a network or a lab.  In the spirit of
 * Unbound's testdata (.rpl files), much smaller: one entry per (name, type),
 * with the DNSSEC status the validator would have given.
 *
 * Format (UTF-8 text, one item per line, '#' starts a comment line):
 *
 *   query NAME TYPE SEC STATUS [ttl=N] [canon=NAME] [why=TEXT...]
 *     RDATA...
 *
 *   NAME    presentation form, trailing dot optional, matched without
 *           regard to case
 *   TYPE    A AAAA MX TXT TLSA CNAME DNSKEY (or TYPEnn)
 *   SEC     secure | insecure | bogus | indeterminate
 *   STATUS  data | nodata | nxdomain | servfail | timeout | error
 *   ttl=N   the answer's TTL (default 300)
 *   canon=  the owner after CNAMEs (default NAME)
 *   why=    the rest of the line: the bogus reason / error text
 *
 * Each RDATA line (indented, only after a `data` query) is one record of
 * the query's type in presentation form:
 *   A       192.0.2.1
 *   AAAA    2001:db8::1
 *   MX      10 mx.example          ("0 ." is the null MX)
 *   TXT     "v=STSv1; id=1" "more"  (one or more quoted strings; \" \\)
 *   TLSA    3 1 1 HEX              (HEX may be empty: "3 1 1 -")
 *   CNAME   target.example
 *   any     \# LENGTH HEX           (RFC 3597 generic form)
 * A query that the file does not list is answered DNS_STATUS_ERROR with
 * why "no replay entry for NAME TYPE" and counted (dns_replay_misses()),
 * so a test sees what it forgot.
 *
 * Errors name the file and line ("f.rpl:12: unknown SEC \"sec\""); a
 * file with an error makes nothing.  LIMITS: REPLAY_MAX_FILE bytes,
 * REPLAY_MAX_LINE bytes per line, REPLAY_MAX_ENTRIES entries,
 * DNS_MAX_RECORDS records per entry, REPLAY_MAX_RDATA bytes per record.
 * The parser is covered by tests/fuzz/fuzz_replay.c.
 */
#ifndef TP_DNS_REPLAY_H
#define TP_DNS_REPLAY_H

#include <stddef.h>
#include "dns/dns.h"
#include "util/errbuf.h"

#define REPLAY_MAX_FILE (1024 * 1024)
#define REPLAY_MAX_LINE 4096
#define REPLAY_MAX_ENTRIES 4096
#define REPLAY_MAX_RDATA 2048

struct replay;

struct replay_record {
	unsigned char *data;
	size_t len;
};

struct replay_entry {
	char *name;               /* normalised: lower case, no trailing dot */
	int qtype;
	enum dns_sec sec;
	enum dns_status status;
	unsigned ttl;
	char *canon;              /* normalised */
	char *why;                /* NULL: none */
	size_t count;
	struct replay_record *records;
};

/* Parses text[0..len) (origin names it in messages).  NULL with why on
 * a syntax error or ENOMEM. */
struct replay *replay_parse(const char *text, size_t len, const char *origin,
			    struct errbuf *why);
/* Reads and parses a file. */
struct replay *replay_load(const char *path, struct errbuf *why);
void replay_free(struct replay *r);

size_t replay_count(const struct replay *r);
/* Entry i (< replay_count()) in file order. */
const struct replay_entry *replay_entry_at(const struct replay *r, size_t i);
/* The entry for name (any case, trailing dot optional) and qtype, or
 * NULL. */
const struct replay_entry *replay_find(const struct replay *r, const char *name,
				       int qtype);

#endif
