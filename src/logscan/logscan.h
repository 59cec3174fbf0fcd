/* SPDX-License-Identifier: MIT */
/*
 * logscan - turn Postfix logs into per-destination TLS evidence.
 *
 * A scanner reads log lines (plain or gzip files, stdin, or single lines
 * from the caller) and keeps, per recipient domain and per (domain, MX
 * host) pair, the deliveries by TLS trust class (Verified, Trusted,
 * Untrusted, Anonymous, plaintext), TLS versions and ciphers seen, TLS
 * failures by kind, deferred and bounced counts, and first/last seen.
 *
 * Correlation (smtp(8) and lmtp(8) only): a TLS summary line ("Verified
 * TLS connection established to R: ...") opens a session in the state of
 * the process (syslog host + tag + pid) that logged it.  The session
 * covers the delivery records of that process for the same relay R that
 * follow it, for one queue id only: the first such record binds it to
 * its queue id, and a later delivery of another message over the same
 * relay without a new TLS line (a new connection, or a reused cached
 * one, which logs "TLS connection reused") is plaintext.  TLS failures
 * without a queue id (certificate verification details, SSL_connect
 * errors, TLS policy lookup warnings) and non-final "QUEUEID: <reason>"
 * records are kept as pending events of the process and charged to the
 * recipient domain of its next delivery record; a final failure logged
 * once per recipient counts once per message and relay.
 *
 * LIMITS: per-process state is a set-associative table of
 * LOGSCAN_PROC_SETS x LOGSCAN_PROC_WAYS entries with LRU eviction;
 * domains, MX hosts, (domain, MX) pairs and TLS names are capped
 * (LOGSCAN_MAX_*); lines longer than LOGSCAN_MAX_LINE are skipped.
 * Memory is therefore bounded by the number of destinations, never by
 * the size of the log.
 *
 * SECURITY: log content is untrusted; domain and host names are stored
 * as logged (lower-cased) and must be made printable before display.
 */
#ifndef TP_LOGSCAN_LOGSCAN_H
#define TP_LOGSCAN_LOGSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "logscan/logline.h"
#include "util/errbuf.h"

#define LOGSCAN_MAX_LINE (64 * 1024)
#define LOGSCAN_BLOCK (256 * 1024) /* read size (fits L2 with the tables) */
#define LOGSCAN_PROC_SETS 4096
#define LOGSCAN_PROC_WAYS 4
#define LOGSCAN_PROC_PENDING 4           /* pending failures per process */
#define LOGSCAN_MAX_DOMAINS 1000000
#define LOGSCAN_MAX_HOSTS 1000000
#define LOGSCAN_MAX_PAIRS 2000000
#define LOGSCAN_MAX_NAMES 1024           /* distinct TLS versions + ciphers */
#define LOGSCAN_NAME_MAX 255             /* longest domain/host kept */
#define LOGSCAN_DOMAIN_PROTOS 4
#define LOGSCAN_DOMAIN_CIPHERS 8
#define LOGSCAN_MAX_DAYS 3660            /* days of the per-day tally */
#define LOGSCAN_MAX_SHADOW 1000000       /* tlspolicy "shadow:" lines kept */

struct logscan_opts {
	time_t since, until;   /* [since, until) when has_since/has_until */
	int has_since, has_until;
	int year;              /* year of time stamps without one; 0: from
	                          the file's modification time (stdin: now) */
	const char *const *domains; /* only these domains and their
	                               subdomains; NULL: all */
	size_t ndomains;
};

/* One line of the tlspolicy daemon in shadow mode (issue 13):
 *   tlspolicy[PID]: shadow: DOMAIN would answer [TEMP ]"TEXT" (from FROM); answered NOTFOUND
 * as it logs to syslog (or to stderr with serve -f: "...tlspolicy[PID]: shadow: ..."
 * or "tlspolicy: shadow: ...").  Strings lower-cased domain, text and
 * from as logged (untrusted: make printable before display). */
struct logscan_shadow {
	char *domain, *text, *from;
	int temp;
	time_t when;    /* 0: unknown */
};

/*
 * Counters of one domain or (domain, MX host) pair are 32 bits (issue 20
 * item 6: 50,000 domains with eight-byte counters took 30 MB).  They
 * saturate at LOGSCAN_COUNT_MAX instead of wrapping: 4,294,967,295
 * deliveries to one destination would take a log of some terabytes.
 * The totals of struct logscan_counts are unsigned long.
 */
#define LOGSCAN_COUNT_MAX UINT32_MAX

/* Pairs a domain record holds itself (most domains have 1-3 MX hosts);
 * further ones are found through the pair hash table. */
#define LOGSCAN_DOMAIN_MXC 4

struct logscan_tally {
	uint32_t tls[LOGLINE_TRUST_COUNT]; /* sent, by trust class */
	uint32_t deferred, bounced;
	uint32_t fail[LOGLINE_FAIL_COUNT];  /* fail[0] unused */
};

struct logscan_mx {
	uint32_t host;   /* host id: logscan_host_name() */
	uint32_t next;   /* next pair of the same domain; 0 = end */
	uint32_t dom;    /* internal: index of the domain */
	struct logscan_tally t;
};

struct logscan_domain {
	const char *name;       /* lower case, NUL-terminated */
	uint32_t mx_first;      /* first pair index; 0 = none */
	/* internal: the domain's first LOGSCAN_DOMAIN_MXC pairs (host id and
	 * pair index, 0 = free), found without the pair hash table */
	uint32_t mx_host[LOGSCAN_DOMAIN_MXC], mx_pair[LOGSCAN_DOMAIN_MXC];
	uint32_t ip_only;       /* sent via a relay without a host name */
	time_t first, last;     /* of any delivery record; 0 = unknown */
	struct logscan_tally t;
	uint16_t proto[LOGSCAN_DOMAIN_PROTOS];
	uint16_t cipher[LOGSCAN_DOMAIN_CIPHERS];
	uint32_t proto_n[LOGSCAN_DOMAIN_PROTOS];
	uint32_t cipher_n[LOGSCAN_DOMAIN_CIPHERS];
	uint32_t proto_other, cipher_other;
};

/* Sent deliveries of one calendar day (local time of the log's time
 * stamps), by trust class. */
struct logscan_day {
	int year, mon, mday;
	unsigned long tls[LOGLINE_TRUST_COUNT];
};

struct logscan_counts {
	unsigned long long bytes;       /* uncompressed bytes read */
	unsigned long lines;
	unsigned long postfix_lines;
	unsigned long smtp_lines;       /* smtp(8) and lmtp(8) */
	unsigned long other_lines;      /* not Postfix, or not syslog */
	unsigned long unknown_lines;    /* smtp/lmtp lines not understood */
	unsigned long long_lines;       /* longer than LOGSCAN_MAX_LINE */
	unsigned long out_of_range;     /* outside --since/--until */
	unsigned long deliveries;       /* status=sent records counted */
	unsigned long delivery_records; /* all delivery records counted */
	unsigned long tls_sessions;     /* TLS summary lines */
	unsigned long no_domain;        /* records without a recipient domain */
	unsigned long filtered;         /* records of other domains (--domain) */
	unsigned long evicted;          /* process states evicted */
	unsigned long dropped;          /* records lost to a LOGSCAN_MAX_* cap */
	unsigned long undated;          /* deliveries without a usable time
	                                   stamp, or past LOGSCAN_MAX_DAYS:
	                                   in no day of logscan_day() */
	unsigned long files;
};

struct logscan;

/* Returns NULL on ENOMEM. */
struct logscan *logscan_new(const struct logscan_opts *opts);
void logscan_free(struct logscan *ls);

/* Reference time for year-less time stamps of the lines that follow
 * (ignored when opts->year is set). */
void logscan_set_reftime(struct logscan *ls, time_t ref);

/* Feeds one line (without its newline). */
void logscan_line(struct logscan *ls, const char *line, size_t len);

/*
 * Reads a file ("-": standard input), plain or gzip (detected by its
 * magic number; concatenated members are read in turn), line by line.
 * progress (may be NULL) is called now and then with the number of file
 * bytes consumed so far (compressed bytes for gzip).  Returns 0, or -1
 * with why ("FILE: reason") on a read or decompression error.
 */
typedef void (*logscan_progress_fn)(void *arg, unsigned long long file_bytes);
int logscan_file(struct logscan *ls, const char *path,
		 logscan_progress_fn progress, void *arg, struct errbuf *why);

const struct logscan_counts *logscan_counts(const struct logscan *ls);

/* Domains in the order first seen; index 0 .. n-1. */
size_t logscan_ndomains(const struct logscan *ls);
/* The tlspolicy shadow-mode lines read, in input order (issue 13). */
size_t logscan_shadows(const struct logscan *ls, const struct logscan_shadow **v);
const struct logscan_domain *logscan_domain(const struct logscan *ls, size_t i);
/* Days with sent deliveries, oldest first; index 0 .. n-1.  Their sum
 * plus counts->undated equals counts->deliveries. */
size_t logscan_ndays(const struct logscan *ls);
const struct logscan_day *logscan_day(const struct logscan *ls, size_t i);
/* Pair by index (from domain->mx_first / mx->next); NULL for 0. */
const struct logscan_mx *logscan_mx(const struct logscan *ls, uint32_t idx);
const char *logscan_host_name(const struct logscan *ls, uint32_t host);
/* TLS version or cipher name by id; "other" for id 0. */
const char *logscan_tls_name(const struct logscan *ls, uint16_t id);

/* Parses a time for --since/--until: "YYYY-MM-DD", "YYYY-MM-DD hh:mm[:ss]",
 * "YYYY-MM-DDThh:mm[:ss][Z|+hh:mm]" (local time without a zone), or
 * "Nd"/"Nh"/"Nm" ago relative to now.  Returns 0 or -1. */
int logscan_parse_time(const char *s, time_t now, time_t *out);

#endif
