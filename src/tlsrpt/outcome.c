/* SPDX-License-Identifier: MIT */
/*
 * outcome.c - correlation of Postfix smtp(8) lines into TLS session
 * outcomes (outcome.h has the rules and limits).
 */
#include "tlsrpt/outcome.h"

#include "logscan/logline.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const result_names[TLSRPT_RESULT_COUNT] = {
	[TLSRPT_SUCCESS] = "success",
	[TLSRPT_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
	[TLSRPT_CERT_HOST_MISMATCH] = "certificate-host-mismatch",
	[TLSRPT_CERT_EXPIRED] = "certificate-expired",
	[TLSRPT_CERT_NOT_TRUSTED] = "certificate-not-trusted",
	[TLSRPT_VALIDATION_FAILURE] = "validation-failure",
	[TLSRPT_TLSA_INVALID] = "tlsa-invalid",
	[TLSRPT_DNSSEC_INVALID] = "dnssec-invalid",
	[TLSRPT_DANE_REQUIRED] = "dane-required",
	[TLSRPT_STS_POLICY_FETCH_ERROR] = "sts-policy-fetch-error",
	[TLSRPT_STS_POLICY_INVALID] = "sts-policy-invalid",
	[TLSRPT_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
};

const char *tlsrpt_result_name(enum tlsrpt_result r)
{
	return (unsigned)r < TLSRPT_RESULT_COUNT ? result_names[r] : NULL;
}

int tlsrpt_result_parse(const char *s)
{
	for (int i = 0; i < TLSRPT_RESULT_COUNT; i++)
		if (strcmp(s, result_names[i]) == 0)
			return i;
	return -1;
}

/* logline failure kind -> result; -1: not counted */
static int map_fail(enum logline_fail f)
{
	switch (f) {
	case LOGLINE_FAIL_NOT_OFFERED:
	case LOGLINE_FAIL_STARTTLS_REFUSED:
		return TLSRPT_STARTTLS_NOT_SUPPORTED;
	case LOGLINE_FAIL_UNTRUSTED:
		return TLSRPT_CERT_NOT_TRUSTED;
	case LOGLINE_FAIL_EXPIRED:
		return TLSRPT_CERT_EXPIRED;
	case LOGLINE_FAIL_NAME_MISMATCH:
		return TLSRPT_CERT_HOST_MISMATCH;
	case LOGLINE_FAIL_DANE:
		return TLSRPT_TLSA_INVALID;
	case LOGLINE_FAIL_NO_TLSA:
		return TLSRPT_DANE_REQUIRED;
	case LOGLINE_FAIL_TLSA_ERROR:
		return TLSRPT_DNSSEC_INVALID;
	case LOGLINE_FAIL_HANDSHAKE:
	case LOGLINE_FAIL_UNVERIFIED:
		return TLSRPT_VALIDATION_FAILURE;
	case LOGLINE_FAIL_STS:
		return TLSRPT_STS_POLICY_INVALID;
	default:
		return -1;
	}
}

/* ---- per-process state -------------------------------------------------- */

#define RELAY_MAX (TLSRPT_NAME_MAX + TLSRPT_IP_MAX + 4)
#define QID_MAX 32

struct pending {
	char qid[QID_MAX + 1];
	char host[TLSRPT_NAME_MAX + 1];
	char ip[TLSRPT_IP_MAX + 1];
	int result;
};

struct proc {
	uint64_t key; /* 0: empty */
	/* open TLS session */
	int sess_open;
	char sess_relay[RELAY_MAX + 1];
	char sess_qid[QID_MAX + 1]; /* bound to; "" none yet */
	/* last certificate detail */
	char det_relay[RELAY_MAX + 1];
	enum logline_fail det_fail;
	/* last "TLS policy lookup" warning */
	char warn_host[TLSRPT_NAME_MAX + 1];
	enum logline_fail warn_fail;
	/* last outcome counted (dedupe per recipient records) */
	char last_qid[QID_MAX + 1];
	char last_relay[RELAY_MAX + 1];
	/* non-final failures waiting for their delivery record */
	struct pending pend[TLSRPT_PROC_PENDING];
	unsigned npend;
	time_t last_t; /* log time of its last line (state saved when recent) */
};

struct tlsrpt_collector {
	tlsrpt_outcome_fn fn;
	void *arg;
	struct tlsrpt_collect_counts n;
	int ref_year, ref_mon;
	struct proc *procs;
	char guard_from[TLSRPT_NAME_MAX * 2 + 1];
	char guard_qid[TLSRPT_GUARD_QIDS][QID_MAX + 1];
	unsigned guard_next;
	time_t newest; /* log time of the newest line */
	time_t now_t;  /* of the line being read */
};

struct tlsrpt_collector *tlsrpt_collector_new(tlsrpt_outcome_fn fn, void *arg)
{
	struct tlsrpt_collector *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->procs = calloc(TLSRPT_PROCS, sizeof(*c->procs))) == NULL) {
		free(c);
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	tlsrpt_collector_reftime(c, time(NULL));
	return c;
}

void tlsrpt_collector_free(struct tlsrpt_collector *c)
{
	if (c == NULL)
		return;
	free(c->procs);
	free(c);
}

void tlsrpt_collector_ignore_sender(struct tlsrpt_collector *c, const char *addr)
{
	snprintf(c->guard_from, sizeof(c->guard_from), "%s", addr ? addr : "");
}

static int guarded(const struct tlsrpt_collector *c, const char *qid)
{
	if (c->guard_from[0] == '\0')
		return 0;
	for (unsigned i = 0; i < TLSRPT_GUARD_QIDS; i++)
		if (strcmp(c->guard_qid[i], qid) == 0)
			return 1;
	return 0;
}

/* qmgr: "QID: from=<ADDR>, size=..." */
static void guard_line(struct tlsrpt_collector *c, const struct logline *ll)
{
	const char *p = ll->msg.p, *e = p + ll->msg.len, *q;
	size_t fl = strlen(c->guard_from);

	q = memchr(p, ':', (size_t)(e - p));
	if (q == NULL || q - p > QID_MAX || q - p < 5 || e - q < (long)(fl + 9))
		return;
	if (memcmp(q, ": from=<", 8) != 0 || strncasecmp(q + 8, c->guard_from, fl) != 0 ||
	    q[8 + fl] != '>')
		return;
	memcpy(c->guard_qid[c->guard_next], p, (size_t)(q - p));
	c->guard_qid[c->guard_next][q - p] = '\0';
	c->guard_next = (c->guard_next + 1) % TLSRPT_GUARD_QIDS;
}

void tlsrpt_collector_reftime(struct tlsrpt_collector *c, time_t ref)
{
	struct tm tm;

	localtime_r(&ref, &tm);
	c->ref_year = tm.tm_year + 1900;
	c->ref_mon = tm.tm_mon + 1;
}

const struct tlsrpt_collect_counts *tlsrpt_collector_counts(const struct tlsrpt_collector *c)
{
	return &c->n;
}

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

static struct proc *proc_get(struct tlsrpt_collector *c, const struct logline *ll)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, ll->host.p, ll->host.len);
	struct proc *p;

	h = fnv(h, "/", 1);
	h = fnv(h, ll->tag.p, ll->tag.len);
	h = fnv(h, (const char *)&ll->pid, sizeof(ll->pid));
	if (h == 0)
		h = 1;
	p = &c->procs[h % TLSRPT_PROCS];
	if (p->key != h) {
		memset(p, 0, sizeof(*p));
		p->key = h;
	}
	p->last_t = c->now_t;
	return p;
}

/* Copies a printable name (no spaces, no control or 8-bit bytes),
 * lower-cased when fold; returns -1 (dst "") when it is not one or does
 * not fit in cap - 1 bytes. */
static int copy_name(char *dst, size_t cap, const char *p, size_t n, int fold)
{
	dst[0] = '\0';
	if (n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch <= 0x20 || ch >= 0x7f)
			return (dst[0] = '\0'), -1;
		dst[i] = (char)(fold && ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	dst[n] = '\0';
	return 0;
}

/* "host[addr]" of an event as one string (the port dropped). */
static void relay_key(char *dst, const struct logline_smtp *ev)
{
	char h[TLSRPT_NAME_MAX + 1], a[TLSRPT_IP_MAX + 1];

	(void)copy_name(h, sizeof(h), ev->relay_host.p, ev->relay_host.len, 1);
	(void)copy_name(a, sizeof(a), ev->relay_addr.p, ev->relay_addr.len, 1);
	snprintf(dst, RELAY_MAX + 1, "%s[%s]", h, a);
}

static time_t line_time(const struct tlsrpt_collector *c, const struct logline *ll)
{
	struct tm tm = { 0 };
	int year = ll->year;

	if (year == 0) {
		year = c->ref_year;
		if (ll->mon > c->ref_mon) /* December lines read in January */
			year--;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = ll->mon - 1;
	tm.tm_mday = ll->mday;
	tm.tm_hour = ll->hour;
	tm.tm_min = ll->min;
	tm.tm_sec = ll->sec;
	if (ll->has_zone)
		return timegm(&tm) - ll->zone_off;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void utc_day(time_t t, char *day)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		tm.tm_year = 0 - 1900;
	day[0] = (char)('0' + (tm.tm_year + 1900) / 1000);
	day[1] = (char)('0' + (tm.tm_year + 1900) / 100 % 10);
	day[2] = (char)('0' + (tm.tm_year + 1900) / 10 % 10);
	day[3] = (char)('0' + (tm.tm_year + 1900) % 10);
	day[4] = '-';
	day[5] = (char)('0' + (tm.tm_mon + 1) / 10);
	day[6] = (char)('0' + (tm.tm_mon + 1) % 10);
	day[7] = '-';
	day[8] = (char)('0' + tm.tm_mday / 10);
	day[9] = (char)('0' + tm.tm_mday % 10);
	day[10] = '\0';
}

static void emit(struct tlsrpt_collector *c, const struct logline *ll,
		 const char *domain, const char *host, const char *ip, int result)
{
	struct tlsrpt_outcome o;
	char mta[TLSRPT_NAME_MAX + 1];

	if (copy_name(mta, sizeof(mta), ll->host.p, ll->host.len, 1) < 0)
		return;
	memset(&o, 0, sizeof(o));
	o.domain = domain;
	o.when = (long long)line_time(c, ll);
	utc_day((time_t)o.when, o.day);
	o.mta = mta;
	o.mx_host = strcmp(host, "none") == 0 ? "" : host;
	o.mx_ip = ip;
	o.result = (enum tlsrpt_result)result;
	c->n.sessions++;
	c->fn(c->arg, &o);
}

/* Splits a relay key "host[addr]" into its parts. */
static void split_relay(const char *key, char *host, char *ip)
{
	const char *lb = strchr(key, '[');
	size_t hn = lb ? (size_t)(lb - key) : strlen(key);

	memcpy(host, key, hn);
	host[hn] = '\0';
	ip[0] = '\0';
	if (lb) {
		size_t an = strlen(lb + 1);

		if (an && lb[an] == ']')
			an--;
		if (an <= TLSRPT_IP_MAX) {
			memcpy(ip, lb + 1, an);
			ip[an] = '\0';
		}
	}
}

static void on_delivery(struct tlsrpt_collector *c, const struct logline *ll,
			struct proc *p, const struct logline_smtp *ev)
{
	char domain[TLSRPT_NAME_MAX + 1], qid[QID_MAX + 1], relay[RELAY_MAX + 1];
	char host[TLSRPT_NAME_MAX + 1], ip[TLSRPT_IP_MAX + 1];
	size_t dn = ev->domain.len;
	int result = -1, same_sess;

	while (dn && ev->domain.p[dn - 1] == '.')
		dn--;
	if (copy_name(domain, sizeof(domain), ev->domain.p, dn, 1) < 0 || domain[0] == '\0' ||
	    copy_name(qid, sizeof(qid), ev->qid.p, ev->qid.len, 0) < 0)
		return;
	if (guarded(c, qid)) {
		c->n.guarded++;
		for (unsigned i = 0; i < p->npend;) /* its earlier MX hosts too */
			if (strcmp(p->pend[i].qid, qid) == 0)
				p->pend[i] = p->pend[--p->npend];
			else
				i++;
		return;
	}
	/* earlier MX hosts of this message that failed */
	for (unsigned i = 0; i < p->npend;) {
		if (strcmp(p->pend[i].qid, qid) == 0) {
			emit(c, ll, domain, p->pend[i].host, p->pend[i].ip, p->pend[i].result);
			p->pend[i] = p->pend[--p->npend];
		} else {
			i++;
		}
	}
	relay_key(relay, ev);
	split_relay(relay, host, ip);
	same_sess = p->sess_open && strcmp(p->sess_relay, relay) == 0;
	if (ev->status == LOGLINE_STATUS_SENT) {
		result = same_sess ? TLSRPT_SUCCESS : TLSRPT_STARTTLS_NOT_SUPPORTED;
	} else if (ev->status == LOGLINE_STATUS_DEFERRED || ev->status == LOGLINE_STATUS_BOUNCED) {
		enum logline_fail f = ev->fail != LOGLINE_FAIL_NONE ? ev->fail :
				      logline_classify(ev->text.p, ev->text.len);

		result = map_fail(f);
		if (f == LOGLINE_FAIL_LOCAL)
			return;
		if (result >= 0 && p->det_fail != LOGLINE_FAIL_NONE &&
		    strcmp(p->det_relay, relay) == 0 &&
		    (f == LOGLINE_FAIL_UNVERIFIED || f == LOGLINE_FAIL_UNTRUSTED))
			result = map_fail(p->det_fail);
		if (p->det_fail != LOGLINE_FAIL_NONE && strcmp(p->det_relay, relay) == 0)
			p->det_fail = LOGLINE_FAIL_NONE; /* used */
		if (result < 0) {
			if (same_sess)
				result = TLSRPT_SUCCESS; /* TLS worked; SMTP said no */
			else if (ip[0] != '\0')
				result = TLSRPT_STARTTLS_NOT_SUPPORTED;
			else
				return; /* no connection: nothing about TLS */
		}
		if (ip[0] == '\0' && (strcmp(host, "none") == 0 || host[0] == '\0') &&
		    p->warn_fail != LOGLINE_FAIL_NONE)
			snprintf(host, sizeof(host), "%s", p->warn_host);
	} else {
		return;
	}
	/* one outcome per (queue id, relay): one per session, not per recipient */
	if (same_sess && p->sess_qid[0] != '\0') {
		if (strcmp(p->sess_qid, qid) != 0) {
			/* a later message on the same relay without a new TLS line:
			 * a new connection in clear */
			p->sess_open = 0;
			if (result == TLSRPT_SUCCESS)
				result = TLSRPT_STARTTLS_NOT_SUPPORTED;
		}
	} else if (same_sess) {
		snprintf(p->sess_qid, sizeof(p->sess_qid), "%s", qid);
	}
	if (strcmp(p->last_qid, qid) == 0 && strcmp(p->last_relay, relay) == 0)
		return;
	snprintf(p->last_qid, sizeof(p->last_qid), "%s", qid);
	snprintf(p->last_relay, sizeof(p->last_relay), "%s", relay);
	emit(c, ll, domain, host, ip, result);
}

static void on_qid_fail(struct proc *p, const struct logline_smtp *ev)
{
	struct pending *pd;
	char relay[RELAY_MAX + 1];
	int result = map_fail(ev->fail);

	if (result < 0 || (ev->relay_host.len == 0 && !p->sess_open))
		return;
	if (p->npend == TLSRPT_PROC_PENDING) /* the oldest goes */
		memmove(&p->pend[0], &p->pend[1], sizeof(p->pend[0]) * (TLSRPT_PROC_PENDING - 1)),
			p->npend--;
	pd = &p->pend[p->npend];
	if (copy_name(pd->qid, sizeof(pd->qid), ev->qid.p, ev->qid.len, 0) < 0)
		return;
	if (ev->relay_host.len)
		relay_key(relay, ev);
	else
		memcpy(relay, p->sess_relay, sizeof(relay));
	split_relay(relay, pd->host, pd->ip);
	if (p->det_fail != LOGLINE_FAIL_NONE && strcmp(p->det_relay, relay) == 0) {
		if (ev->fail == LOGLINE_FAIL_UNVERIFIED || ev->fail == LOGLINE_FAIL_UNTRUSTED)
			result = map_fail(p->det_fail);
		p->det_fail = LOGLINE_FAIL_NONE; /* used */
	}
	pd->result = result;
	p->npend++;
}

void tlsrpt_collector_line(struct tlsrpt_collector *c, const char *line, size_t len)
{
	struct logline ll;
	struct logline_smtp ev;
	struct proc *p;
	enum logline_prog prog;

	c->n.lines++;
	if (len > TLSRPT_LINE_MAX) {
		c->n.skipped++;
		return;
	}
	if (logline_envelope(line, len, &ll) < 0)
		return;
	prog = logline_program(&ll);
	if (prog == LOGLINE_PROG_POSTFIX && c->guard_from[0] && ll.prog.len == 4 &&
	    memcmp(ll.prog.p, "qmgr", 4) == 0) {
		guard_line(c, &ll);
		return;
	}
	if (prog != LOGLINE_PROG_SMTP && prog != LOGLINE_PROG_LMTP)
		return;
	c->n.smtp_lines++;
	{
		time_t t = line_time(c, &ll);

		if (t > c->newest)
			c->newest = t;
		c->now_t = t;
	}
	switch (logline_smtp(&ll, &ev)) {
	case LOGLINE_TLS:
		p = proc_get(c, &ll);
		p->sess_open = 1;
		relay_key(p->sess_relay, &ev);
		p->sess_qid[0] = '\0';
		break;
	case LOGLINE_DETAIL:
		p = proc_get(c, &ll);
		p->det_fail = ev.fail;
		relay_key(p->det_relay, &ev);
		break;
	case LOGLINE_POLICY_WARN:
		p = proc_get(c, &ll);
		p->warn_fail = ev.fail;
		(void)copy_name(p->warn_host, sizeof(p->warn_host), ev.relay_host.p,
				ev.relay_host.len, 1);
		break;
	case LOGLINE_QID_FAIL:
		on_qid_fail(proc_get(c, &ll), &ev);
		break;
	case LOGLINE_DELIVERY:
		on_delivery(c, &ll, proc_get(c, &ll), &ev);
		break;
	default:
		break;
	}
}

/* ---- state between runs -------------------------------------------------- */

/*
 * Text, one line per item, fields separated by TAB (names never hold
 * one: copy_name() takes printable ASCII without spaces only):
 *   G QID                                   a loop-guard queue id
 *   P KEY LAST_T OPEN RELAY QID DETFAIL DETRELAY WARNFAIL WARNHOST LASTQID LASTRELAY
 *   F KEY QID HOST IP RESULT                a pending failure of process KEY
 * Empty fields are written as "-".
 */
static const char *f_(const char *s)
{
	return s[0] ? s : "-";
}

static void unf(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", strcmp(s, "-") == 0 ? "" : s);
}

int tlsrpt_collector_save(const struct tlsrpt_collector *c, struct buf *out)
{
	for (unsigned i = 0; i < TLSRPT_GUARD_QIDS; i++)
		if (c->guard_qid[i][0] && buf_printf(out, "G\t%s\n", c->guard_qid[i]) < 0)
			return -1;
	for (size_t i = 0; i < TLSRPT_PROCS; i++) {
		const struct proc *p = &c->procs[i];

		if (p->key == 0 || p->last_t + TLSRPT_STATE_MAX_AGE < c->newest)
			continue;
		if (!p->sess_open && p->npend == 0 && p->det_fail == LOGLINE_FAIL_NONE &&
		    p->warn_fail == LOGLINE_FAIL_NONE && p->last_qid[0] == '\0')
			continue;
		if (buf_printf(out, "P\t%llu\t%lld\t%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n",
			       (unsigned long long)p->key, (long long)p->last_t, p->sess_open,
			       f_(p->sess_relay), f_(p->sess_qid), (int)p->det_fail,
			       f_(p->det_relay), (int)p->warn_fail, f_(p->warn_host),
			       f_(p->last_qid), f_(p->last_relay)) < 0)
			return -1;
		for (unsigned k = 0; k < p->npend; k++)
			if (buf_printf(out, "F\t%llu\t%s\t%s\t%s\t%d\n", (unsigned long long)p->key,
				       p->pend[k].qid, f_(p->pend[k].host), f_(p->pend[k].ip),
				       p->pend[k].result) < 0)
				return -1;
	}
	return 0;
}

static struct proc *proc_by_key(struct tlsrpt_collector *c, uint64_t key)
{
	struct proc *p;

	if (key == 0)
		return NULL;
	p = &c->procs[key % TLSRPT_PROCS];
	if (p->key != key) {
		memset(p, 0, sizeof(*p));
		p->key = key;
	}
	return p;
}

void tlsrpt_collector_load(struct tlsrpt_collector *c, const char *text)
{
	char line[2048], *f[12], *save;
	const char *s = text;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s), k = 0;
		struct proc *p;

		if (n < sizeof(line)) {
			memcpy(line, s, n);
			line[n] = '\0';
			for (char *w = strtok_r(line, "\t", &save); w && k < 12;
			     w = strtok_r(NULL, "\t", &save))
				f[k++] = w;
			if (k == 2 && strcmp(f[0], "G") == 0 && strlen(f[1]) <= QID_MAX) {
				snprintf(c->guard_qid[c->guard_next], QID_MAX + 1, "%s", f[1]);
				c->guard_next = (c->guard_next + 1) % TLSRPT_GUARD_QIDS;
			} else if (k == 12 && strcmp(f[0], "P") == 0 &&
				   (p = proc_by_key(c, strtoull(f[1], NULL, 10))) != NULL) {
				p->last_t = (time_t)strtoll(f[2], NULL, 10);
				p->sess_open = atoi(f[3]) != 0;
				unf(p->sess_relay, sizeof(p->sess_relay), f[4]);
				unf(p->sess_qid, sizeof(p->sess_qid), f[5]);
				p->det_fail = (enum logline_fail)(atoi(f[6]) % LOGLINE_FAIL_COUNT);
				unf(p->det_relay, sizeof(p->det_relay), f[7]);
				p->warn_fail = (enum logline_fail)(atoi(f[8]) % LOGLINE_FAIL_COUNT);
				unf(p->warn_host, sizeof(p->warn_host), f[9]);
				unf(p->last_qid, sizeof(p->last_qid), f[10]);
				unf(p->last_relay, sizeof(p->last_relay), f[11]);
			} else if (k == 6 && strcmp(f[0], "F") == 0 &&
				   (p = &c->procs[strtoull(f[1], NULL, 10) % TLSRPT_PROCS])->key ==
					   strtoull(f[1], NULL, 10) &&
				   p->npend < TLSRPT_PROC_PENDING && strlen(f[2]) <= QID_MAX) {
				struct pending *pd = &p->pend[p->npend++];
				int r = atoi(f[5]);

				snprintf(pd->qid, sizeof(pd->qid), "%s", f[2]);
				unf(pd->host, sizeof(pd->host), f[3]);
				unf(pd->ip, sizeof(pd->ip), f[4]);
				pd->result = r >= 0 && r < TLSRPT_RESULT_COUNT ? r : TLSRPT_VALIDATION_FAILURE;
			}
		}
		s = nl ? nl + 1 : NULL;
	}
}
