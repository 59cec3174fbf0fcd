/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - tlspolicy check DOMAIN... | --from-file FILE [--probe]
 * [--pin] [--json] [--details] [--save [--force]]: the admin's table.
 *
 * For each domain, on one event loop and check_concurrency at a time:
 *  - the DANE facts (dane_lookup) and verdict, the MTA-STS state (the
 *    engine's sts cache: TXT + policy, its mode) and the daemon's answer
 *    (the engine with the daemon's sources, in-process: admin's table,
 *    DANE, MTA-STS, provider templates, _default), all on the engine
 *    sources' one DNS context;
 *  - PROVIDER: the catalogue provider owning every MX host, "self" when
 *    the domain has MX hosts outside the catalogue, "none" (no MX, null
 *    MX, no such domain);
 *  - PUBLISHED: DANE, MTA-STS (mode), both, none; unknown, MTA-STS
 *    (failed) when discovery failed (the reason in NOTE and JSON);
 *  - ANSWER / SOURCE: the daemon's answer ("-" NOTFOUND, TEMP) and where
 *    it comes from: "table KEY" (the row that matched: the domain's own
 *    or a .parent row), DANE, MTA-STS, provider, default (_default);
 *  - RECOMMENDATION, when nothing is published: the provider template,
 *    else with --probe "verify" (every MX has a trusted certificate for
 *    its name), "fingerprint match=..." (--pin), "encrypt" (every MX
 *    does TLS), whatever the answer (a `_default` row included);
 *  - with --probe every MX is probed (probe/) and every candidate policy
 *    judged against the live certificates with Postfix's rules
 *    (namematch_policy(); dane levels from the TLSA match), so a policy
 *    that would fail is never recommended;
 *  - NOTE: warnings (table policy weaker than what is published, a
 *    table entry or discovered answer that would fail on an MX, a
 *    provider template that does not fit the MX, an MX that cannot be
 *    reached, a discovery failure, a TEMP answer) and information (MTA-STS
 *    mode none, null MX, no such domain).
 * --details adds the DANE facts, the MTA-STS state and, with --probe,
 * each MX's probe (certificate, TLSA, every candidate's verdict).
 * "Weaker than published" is policy_weaker() (policy/compare.h), the
 * rule of the writing commands: against DANE every level but dane and
 * dane-only; against MTA-STS enforce or a provider template the daemon
 * serves, unauthenticated levels and verify/secure rows whose names the
 * published policy does not cover.
 *
 * --save writes the recommendations into the table, only what discovery
 * cannot give (cli/published.h: the daemon's discovery with the table
 * left out judges each one; --force-weaker DOMAIN overrides "weaker" and
 * "unknown"), never changing an existing row unless --force (every
 * replaced row listed), each with its provenance (store_prov.h).
 *
 * Exit: 0 all checked, no warning; 1 a warning, an invalid name, a DNS
 * failure or a --save error; 2 usage; 3 an answer would defer mail
 * (TEMP), whatever else.
 *
 * LIMITS: CHECK_MAX_DOMAINS domains, CHECK_MAX_OUTPUT bytes of output
 * per domain, CHECK_MAX_NOTES notes per domain, CHECK_MAX_LINE bytes
 * per line of --from-file.
 */
#include "cli/check.h"
#include "util/json.h"
#include "cli/cli.h"
#include "dane/dane.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "engine/sources.h"
#include "mtasts/sts.h"
#include "mtasts/sts_cache.h"
#include "cli/published.h"
#include "policy/compare.h"
#include "policy/policy.h"
#include "probe/probe.h"
#include "probe/namematch.h"
#include "provider/catalog.h"
#include "provider/provider.h"
#include "store/store.h"
#include "store/store_prov.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#define CHECK_MAX_DOMAINS 100000
#define CHECK_MAX_OUTPUT (256 * 1024)
#define CHECK_MAX_NOTES 16
#define CHECK_NOTE_MAX 512
#define CHECK_MAX_LINE 1024
#define CHECK_PROGRESS_MIN 5   /* domains before a progress line is shown */
#define CHECK_FP_MAX 100       /* "AA:BB:..." of SHA-256 */
#define CHECK_EXIT_DEFERS 3    /* an answer would defer mail (TEMP) */

/* Candidate policies judged per MX. */
enum cand { CAND_ANSWER, CAND_PROVIDER, CAND_VERIFY, CAND_ENCRYPT, CAND_PIN, CAND_COUNT };
static const char *const cand_name[CAND_COUNT] = {
	"answer", "provider", "verify", "encrypt", "fingerprint"
};

struct check;
struct check_item;

struct check_mx {
	struct check_item *it;
	char host[DANE_NAME_BUF];
	struct probe_req *req;
	int done;
	enum probe_status status;
	enum probe_tls tls;
	char why[ERRBUF_MAX];
	char addr[INET6_ADDRSTRLEN];
	int verified, host_match;
	char verify_why[256];
	char fp[CHECK_FP_MAX], pkey_fp[CHECK_FP_MAX];
	time_t not_after;        /* the leaf certificate's; 0 unknown */
	const char *dane;
	char cand_text[CAND_COUNT][POLICY_MAX_TEXT];   /* "" not judged */
	enum namematch_verdict v[CAND_COUNT];
	char vwhy[CAND_COUNT][ERRBUF_MAX];
};

struct check_note {
	int warn;
	char text[CHECK_NOTE_MAX];
};

struct check_item {
	struct check *chk;
	char domain[DANE_NAME_BUF];
	int invalid, pending, done, failed;
	struct dane_lookup *lk;
	struct engine_req *req;
	void *sts_handle;
	struct buf out;          /* facts: JSON members or --details text */
	/* DANE */
	struct dane_decision d;
	int null_mx, nxdomain, mx_failed;
	/* MTA-STS */
	int sts_done, sts_found;
	enum source_verdict sts_verdict;
	enum sts_mode sts_mode;
	char sts_id[80];
	char *sts_answer;
	char *sts_reason;        /* SOURCE_FAILED / SOURCE_TEMP: why */
	/* the daemon */
	enum lookup_status status;
	enum answer_source source;
	char *answer_text;
	char *answer_row;        /* the table row that matched (exact, .parent, _default) */
	/* provider */
	const struct provider *prov;
	const char *prov_why;
	char *template;          /* the provider's policy (catalogue text) */
	const struct provider *table_prov; /* the table holds this provider's template */
	/* MX hosts and probes */
	size_t nmx;
	struct check_mx *mx;
	/* the result */
	char *recommend;         /* NULL: none */
	const char *recommend_src;
	size_t nnotes;
	struct check_note notes[CHECK_MAX_NOTES];
	int warning;
	int weaker_note;         /* index+1 of the "weaker than published" note */
};

struct check {
	struct cli *cli;
	const struct config *cfg;
	struct event_base *base;
	struct engine *eng;
	struct engine_sources *srcs;
	struct dane *dane;
	struct sts_cache *sts;
	const struct catalog *cat;
	struct probe_ctx *probe;
	int do_probe, pin, details, progress;
	int provider_on;         /* provider_policies: the daemon serves templates */
	char table_why[ERRBUF_MAX];
	struct check_item *items;
	size_t nitems, next, running, finished, concurrency;
};

static void check_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy check [-c FILE] [--db URL] [--json] [--probe [--pin]]\n"
		"                       [--details] [--save [--force] [--force-weaker DOMAIN]...]\n"
		"                       DOMAIN... | --from-file FILE\n"
		"\n"
		"For each DOMAIN: who hosts its mail (PROVIDER), what it publishes\n"
		"(DANE, MTA-STS), the policy the daemon answers (ANSWER) and where it\n"
		"comes from (SOURCE: table KEY -- the row that matched, DANE, MTA-STS,\n"
		"provider, default) and, for domains that publish nothing, a\n"
		"RECOMMENDATION.  A discovery that failed shows\n"
		"as PUBLISHED unknown or MTA-STS (failed), with the reason in NOTE\n"
		"(JSON: \"reason\").\n"
		"  --probe      connect to every MX (STARTTLS, certificates) and judge\n"
		"               each policy with Postfix's rules; recommend verify/encrypt\n"
		"  --pin        with --probe: recommend fingerprint match=... when the\n"
		"               certificates do not verify\n"
		"  --json       one JSON object per domain per line, with all the facts\n"
		"  --details    the facts before the table: DANE (MX, A/AAAA, TLSA),\n"
		"               MTA-STS, with --probe each MX's certificate and verdicts\n"
		"  --save       write the recommendations into the table, only what the\n"
		"               daemon's discovery cannot give: a domain it already serves\n"
		"               (DANE, MTA-STS, a provider template) is not saved, nor one\n"
		"               whose row would be weaker than what it publishes or whose\n"
		"               publication is unknown (MTA-STS published but not fetchable,\n"
		"               DNS failures); existing rows are kept unless --force; each\n"
		"               row records its provenance (policy list -v)\n"
		"  --force-weaker DOMAIN  with --save: save DOMAIN's recommendation although\n"
		"               it is weaker than, or cannot be compared with, what DOMAIN\n"
		"               publishes (repeatable)\n"
		"  --from-file FILE  domains one per line (# comments)\n"
		"Domains are checked concurrently (check_concurrency).\n"
		"  -v           also the informational lines (MTA-STS cache loaded, ...)\n"
		"Exit status: 0 every domain checked, no warning; 1 a warning (a policy\n"
		"weaker than published or failing on an MX, ...), an invalid name, a domain\n"
		"that could not be checked, a --save error; 2 usage; 3 mail to a domain\n"
		"would defer: the daemon answers TEMP (DNSSEC bogus, ...), before 1.\n");
}

static void check_start_more(struct check *chk);

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		log_fatal("check");
	return p;
}

static void note(struct check_item *it, int warn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct check_item *it, int warn, const char *fmt, ...)
{
	va_list ap;

	if (warn)
		it->warning = 1;
	if (it->nnotes >= CHECK_MAX_NOTES)
		return;
	it->notes[it->nnotes].warn = warn;
	va_start(ap, fmt);
	vsnprintf(it->notes[it->nnotes].text, CHECK_NOTE_MAX, fmt, ap);
	va_end(ap);
	it->nnotes++;
}

/* ---- judging a policy against one probed MX ---- */

static enum namematch_verdict judge(const char *text, const struct probe_result *res,
				    const struct namematch_peer *peer,
				    const char *nexthop, const char *host,
				    char *why, size_t whylen)
{
	struct policy *p = NULL;
	struct namematch_result nr;
	struct errbuf eb;
	enum namematch_verdict v;

	errbuf_clear(&eb);
	if (policy_parse(text, NULL, &p, &eb) < 0) {
		snprintf(why, whylen, "invalid policy: %s", eb.msg);
		return NAMEMATCH_UNKNOWN;
	}
	if (res->status != PROBE_OK) {
		snprintf(why, whylen, "not reachable: %.400s", res->why);
		policy_free(p);
		return NAMEMATCH_UNKNOWN;
	}
	if (p->level == POLICY_DANE || p->level == POLICY_DANE_ONLY) {
		int match = res->dane && (strcmp(res->dane, "ee-match") == 0 ||
					  strcmp(res->dane, "ta-match") == 0);
		int nomatch = res->dane && strcmp(res->dane, "no-match") == 0;

		if (match) {
			v = NAMEMATCH_DELIVERS;
			snprintf(why, whylen, "TLSA %s", res->dane);
		} else if (nomatch || p->level == POLICY_DANE_ONLY) {
			v = NAMEMATCH_FAILS;
			snprintf(why, whylen, "no usable TLSA record matches (%s)",
				 res->dane ? res->dane : "not checked");
		} else {
			/* dane without usable TLSA: Postfix uses may */
			v = NAMEMATCH_DELIVERS;
			snprintf(why, whylen, "no usable TLSA (%s): opportunistic TLS",
				 res->dane ? res->dane : "not checked");
		}
		policy_free(p);
		return v;
	}
	v = namematch_policy(p, peer, nexthop, host, &nr);
	snprintf(why, whylen, "%s", nr.why);
	policy_free(p);
	return v;
}

static void item_finish(struct check_item *it);

/* check_cert_expiry_days: a warning for an MX certificate that expires
 * within that many days (a verify/secure answer would then defer, a
 * fingerprint pin change); one that has expired is left to the failed
 * verification, which already decides the recommendation. */
static void cert_expiry_note(struct check_item *it, const char *host, time_t not_after)
{
	long days = config_get_int(cli_config(it->chk->cli), "check_cert_expiry_days");
	time_t now = time(NULL);
	char when[32];

	if (days <= 0 || not_after == 0 || not_after - now >= (time_t)days * 86400)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d", gmtime_r(&not_after, &(struct tm){ 0 }));
	if (not_after <= now)   /* expired: its failed verification tells */
		return;
	note(it, 1, "%s: certificate expires in %ld day%s (%s; check_cert_expiry_days = %ld)",
	     host, (long)((not_after - now) / 86400), (not_after - now) / 86400 == 1 ? "" : "s",
	     when, days);
}

static void check_probe_cb(void *arg, const struct probe_result *res)
{
	struct check_mx *m = arg;
	struct check_item *it = m->it;
	struct namematch_peer peer;

	m->req = NULL;
	m->done = 1;
	m->status = res->status;
	m->tls = res->tls;
	snprintf(m->why, sizeof(m->why), "%s",
		 res->status != PROBE_OK ? res->why :
		 res->tls != PROBE_TLS_OK ? (res->tls_why[0] ? res->tls_why
					     : probe_tls_name(res->tls)) : "");
	snprintf(m->addr, sizeof(m->addr), "%s", res->addr);
	m->verified = res->verified;
	m->host_match = res->host_match;
	snprintf(m->verify_why, sizeof(m->verify_why), "%s", res->verify_why);
	m->dane = res->dane;    /* static strings */
	if (res->nchain > 0) {
		fprint_format(res->chain[0].cert_sha256, 32, m->fp, sizeof(m->fp));
		fprint_format(res->chain[0].pkey_sha256, 32, m->pkey_fp, sizeof(m->pkey_fp));
		m->not_after = res->chain[0].not_after;
		snprintf(m->cand_text[CAND_PIN], POLICY_MAX_TEXT, "fingerprint match=%s", m->fp);
		cert_expiry_note(it, m->host, res->chain[0].not_after);
	}
	probe_result_peer(res, &peer);
	for (int c = 0; c < CAND_COUNT; c++) {
		if (m->cand_text[c][0] == '\0')
			continue;
		m->v[c] = judge(m->cand_text[c], res, &peer, it->domain, m->host,
				m->vwhy[c], sizeof(m->vwhy[c]));
	}
	if (--it->pending == 0)
		item_finish(it);
}

/* ---- after the lookups: provider, probes ---- */

static int answer_is_policy(const struct check_item *it)
{
	return it->status == LOOKUP_OK && it->answer_text && it->answer_text[0];
}

/* The catalogue provider whose template equals text, or NULL. */
static const struct provider *template_owner(const struct catalog *cat, const char *text)
{
	for (size_t i = 0; cat && i < catalog_count(cat); i++) {
		const struct provider *p = catalog_get(cat, i);

		if (p->policy && strcmp(p->policy, text) == 0)
			return p;
	}
	return NULL;
}

static void lookups_done(struct check_item *it)
{
	struct check *chk = it->chk;

	if (answer_is_policy(it) && it->source == ANSWER_TABLE)
		it->table_prov = template_owner(chk->cat, it->answer_text);
	if (chk->probe == NULL || it->nmx == 0) {
		item_finish(it);
		return;
	}
	it->pending = (int)it->nmx;
	for (size_t i = 0; i < it->nmx; i++) {
		struct check_mx *m = &it->mx[i];

		if (answer_is_policy(it))
			snprintf(m->cand_text[CAND_ANSWER], POLICY_MAX_TEXT, "%s", it->answer_text);
		if (it->template)
			snprintf(m->cand_text[CAND_PROVIDER], POLICY_MAX_TEXT, "%s", it->template);
		snprintf(m->cand_text[CAND_VERIFY], POLICY_MAX_TEXT, "verify");
		snprintf(m->cand_text[CAND_ENCRYPT], POLICY_MAX_TEXT, "encrypt");
		m->req = probe_start(chk->probe, &(struct probe_target){ .host = m->host },
				     check_probe_cb, m);
	}
}

static void step_done(struct check_item *it)
{
	if (--it->pending == 0)
		lookups_done(it);
}

static void facts_cb(void *arg, const struct dane_facts *f)
{
	struct check_item *it = arg;
	struct check *chk = it->chk;
	int looked_up = f->hosts_looked_up;
	const char *hosts[DANE_MAX_HOSTS];
	struct provider_mxset *mxs;

	it->lk = NULL;
	dane_decide(f, dane_mode(chk->dane), &it->d);
	if (it->d.verdict == SOURCE_FAILED)
		it->failed = 1;
	if (chk->cli->json)
		check_facts_json(&it->out, f, looked_up);
	else if (chk->details)
		check_facts_text(&it->out, f, looked_up);
	it->null_mx = f->null_mx;
	it->nxdomain = f->mx.status == DNS_STATUS_NXDOMAIN;
	it->mx_failed = f->mx.status != DNS_STATUS_DATA && f->mx.status != DNS_STATUS_NODATA &&
			f->mx.status != DNS_STATUS_NXDOMAIN;
	if (!f->null_mx && f->nhosts > 0) {
		it->nmx = f->nhosts;
		if ((it->mx = calloc(it->nmx, sizeof(*it->mx))) == NULL)
			log_fatal("check");
		for (size_t i = 0; i < f->nhosts; i++) {
			it->mx[i].it = it;
			snprintf(it->mx[i].host, sizeof(it->mx[i].host), "%s", f->hosts[i].name);
			hosts[i] = it->mx[i].host;
		}
	}
	/* the provider, as the daemon's provider source decides it */
	if (chk->cat && it->nmx > 0) {
		struct provider_decision pd;

		it->prov = catalog_match_hosts(chk->cat, hosts, it->nmx, &it->prov_why);
		if ((mxs = calloc(1, sizeof(*mxs))) == NULL)
			log_fatal("check");
		snprintf(mxs->domain, sizeof(mxs->domain), "%.255s", it->domain);
		mxs->status = f->mx.status;
		mxs->sec = f->mx.sec;
		mxs->ttl = f->mx.ttl;
		mxs->implicit = f->implicit_mx;
		mxs->truncated = f->truncated;
		mxs->nhosts = it->nmx < PROVIDER_MAX_HOSTS ? it->nmx : PROVIDER_MAX_HOSTS;
		for (size_t i = 0; i < mxs->nhosts; i++) {
			snprintf(mxs->hosts[i], sizeof(mxs->hosts[i]), "%.255s", hosts[i]);
			mxs->pref[i] = f->hosts[i].pref;
		}
		provider_decide(chk->cat, mxs, &pd);
		if (pd.verdict == SOURCE_APPLIES && pd.policy)
			it->template = xstrdup(pd.policy);
		free(mxs);
	}
	step_done(it);
}

static void answer_cb(const struct engine_answer *ans, void *arg)
{
	struct check_item *it = arg;

	it->req = NULL;
	it->status = ans->status;
	it->source = ans->source;
	it->answer_text = xstrdup(ans->text);
	it->answer_row = ans->key ? xstrdup(ans->key) : NULL;
	step_done(it);
}

struct sts_find {
	const char *domain;
	struct check_item *it;
};

static int sts_find_fn(const struct sts_record *rec, void *arg)
{
	struct sts_find *sf = arg;

	if (strcmp(rec->domain, sf->domain) != 0)
		return 0;
	if (rec->id == NULL || rec->id[0] == '\0')
		return 1;       /* a negative entry: nothing published */
	sf->it->sts_found = 1;
	sf->it->sts_mode = rec->mode;
	snprintf(sf->it->sts_id, sizeof(sf->it->sts_id), "%s", rec->id ? rec->id : "");
	return 1;
}

static void sts_done(void *arg, const struct source_result *res)
{
	struct check_item *it = arg;
	struct sts_find sf = { it->domain, it };

	it->sts_handle = NULL;
	it->sts_done = 1;
	it->sts_verdict = res->verdict;
	if (res->verdict == SOURCE_APPLIES)
		it->sts_answer = xstrdup(res->policy_text);
	else if ((res->verdict == SOURCE_FAILED || res->verdict == SOURCE_TEMP))
		it->sts_reason = xstrdup(res->reason && *res->reason ? res->reason
					 : "MTA-STS lookup failed");
	sts_cache_walk(it->chk->sts, sts_find_fn, &sf);
	step_done(it);
}

/* ---- the result: recommendation and notes ---- */

/* MTA-STS could not be found out: the TXT lookup failed, or a policy is
 * published (TXT record) but cannot be fetched (certificate, redirect,
 * ...). */
static int sts_failed(const struct check_item *it)
{
	return it->sts_done && (it->sts_verdict == SOURCE_FAILED ||
				it->sts_verdict == SOURCE_TEMP);
}

/*
 * PUBLISHED: DANE, MTA-STS (mode), both, none; "DNSSEC bogus"; "unknown"
 * when a lookup failed (our resolver, a timeout) so nothing can be said;
 * "MTA-STS (failed)" when a policy is announced but cannot be fetched,
 * "DANE, MTA-STS failed" with DANE.  Never "none" unless every source
 * ran to its end.
 */
static const char *published(const struct check_item *it, char *buf, size_t len)
{
	int dane = it->d.verdict == SOURCE_APPLIES || it->d.verdict == SOURCE_NOTFOUND;
	int sts = it->sts_found;

	if (dane && sts && it->sts_mode != STS_MODE_NONE)
		snprintf(buf, len, "both");
	else if (dane && sts_failed(it))
		snprintf(buf, len, "DANE, MTA-STS failed");
	else if (dane && sts)
		snprintf(buf, len, "DANE, MTA-STS (none)");
	else if (dane)
		snprintf(buf, len, "DANE");
	else if (it->d.verdict == SOURCE_TEMP)
		snprintf(buf, len, "DNSSEC bogus");
	else if (it->d.verdict == SOURCE_FAILED)
		snprintf(buf, len, "unknown");
	else if (sts)
		snprintf(buf, len, "MTA-STS (%s)", sts_mode_name(it->sts_mode));
	else if (sts_failed(it))
		snprintf(buf, len, "MTA-STS (failed)");
	else
		snprintf(buf, len, "none");
	return buf;
}

/* Why discovery could not tell what the domain publishes (JSON
 * "reason", the NOTE's warning), into buf; "" when it could. */
static const char *discovery_reason(const struct check_item *it, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (it->d.verdict == SOURCE_FAILED || it->d.verdict == SOURCE_TEMP)
		o = (size_t)snprintf(buf, len, "DANE: %s",
				     it->d.reason[0] ? it->d.reason : "lookup failed");
	if (sts_failed(it) && o < len)
		snprintf(buf + o, len - o, "%sMTA-STS: %s", o ? "; " : "", it->sts_reason);
	return buf;
}

static int publishes(const struct check_item *it)
{
	return it->d.verdict == SOURCE_APPLIES || it->d.verdict == SOURCE_NOTFOUND ||
	       it->d.verdict == SOURCE_TEMP ||
	       (it->sts_found && it->sts_mode != STS_MODE_NONE);
}

static const char *provider_col(const struct check_item *it)
{
	if (it->prov)
		return it->prov->name;
	if (it->mx_failed)
		return "unknown";       /* the MX lookup failed */
	return it->nmx > 0 ? "self" : "none";
}

/* 1 when every MX was probed and c delivers on all of them. */
static int all_deliver(const struct check_item *it, enum cand c)
{
	if (it->nmx == 0)
		return 0;
	for (size_t i = 0; i < it->nmx; i++)
		if (!it->mx[i].done || it->mx[i].cand_text[c][0] == '\0' ||
		    it->mx[i].v[c] != NAMEMATCH_DELIVERS)
			return 0;
	return 1;
}

/* The first MX on which c fails, or NULL. */
static const struct check_mx *first_failure(const struct check_item *it, enum cand c)
{
	for (size_t i = 0; i < it->nmx; i++)
		if (it->mx[i].done && it->mx[i].cand_text[c][0] &&
		    it->mx[i].v[c] == NAMEMATCH_FAILS)
			return &it->mx[i];
	return NULL;
}

/* "parent row .example: " when the table answer comes from a parent
 * row (it overrides DANE, MTA-STS, ... for every child), else "": the
 * notes about the table's answer name the row. */
static const char *row_prefix(const struct check_item *it, char *buf, size_t len)
{
	buf[0] = '\0';
	if (it->source == ANSWER_TABLE && it->answer_row && it->answer_row[0] == '.')
		snprintf(buf, len, "parent row %s: ", it->answer_row);
	return buf;
}

/* A table row weaker than what the daemon's discovery would answer for
 * the domain (policy/compare.h, the rule of the writing commands): DANE,
 * else MTA-STS, else a provider template the daemon serves. */
static void weaker_check(struct check_item *it)
{
	struct policy_opts o = { 9999 };  /* any answer the daemon gives */
	struct policy *p = NULL, *ref = NULL;
	const char *reftext = NULL, *what = NULL;
	char how[256];
	struct errbuf eb;

	if (!answer_is_policy(it) || it->source != ANSWER_TABLE)
		return;
	if (it->d.verdict == SOURCE_APPLIES || it->d.verdict == SOURCE_NOTFOUND) {
		reftext = it->d.level ? it->d.level : "dane";
		what = "DANE";
	} else if (it->sts_done && it->sts_verdict == SOURCE_APPLIES && it->sts_answer) {
		reftext = it->sts_answer;
		what = "MTA-STS";
	} else if (it->template && it->chk->provider_on) {
		reftext = it->template;
		what = "provider";
	}
	errbuf_clear(&eb);
	if (reftext == NULL || policy_parse(it->answer_text, &o, &p, &eb) < 0 ||
	    policy_parse(reftext, &o, &ref, &eb) < 0) {
		policy_free(p);
		return;
	}
	if (policy_weaker(p, ref, it->domain, how, sizeof(how))) {
		char pre[POLICY_KEY_MAX + 16];

		row_prefix(it, pre, sizeof(pre));
		if (it->nnotes < CHECK_MAX_NOTES)
			it->weaker_note = (int)it->nnotes + 1;
		if (strcmp(what, "DANE") == 0)
			note(it, 1, "%stable policy %s is weaker than the published DANE (%s): %s",
			     pre, policy_level_name(p->level), reftext, how);
		else if (strcmp(what, "MTA-STS") == 0)
			note(it, 1, "%stable policy %s is weaker than the published MTA-STS "
			     "enforce (%s): %s", pre, policy_level_name(p->level), reftext, how);
		else
			note(it, 1, "%stable policy %s is weaker than the %s provider template "
			     "(%s) the daemon would answer: %s", pre, policy_level_name(p->level),
			     it->prov ? it->prov->name : "catalogue", reftext, how);
	}
	policy_free(p);
	policy_free(ref);
}

static void recommend(struct check_item *it)
{
	struct check *chk = it->chk;
	const struct check_mx *bad;

	if (it->nmx == 0 || publishes(it) || it->mx_failed)
		return;
	if (it->template) {
		if (chk->probe && (bad = first_failure(it, CAND_PROVIDER)) != NULL) {
			note(it, 1, "provider template \"%s\" would fail on %s: %s",
			     it->template, bad->host, bad->vwhy[CAND_PROVIDER]);
		} else {
			it->recommend = xstrdup(it->template);
			it->recommend_src = "provider";
			return;
		}
	}
	if (chk->probe == NULL)
		return;
	if (all_deliver(it, CAND_VERIFY)) {
		it->recommend = xstrdup("verify");
		it->recommend_src = "probe";
	} else if (chk->pin && all_deliver(it, CAND_PIN)) {
		struct buf b;

		buf_init(&b, POLICY_MAX_TEXT);
		buf_puts(&b, "fingerprint match=");
		for (size_t i = 0; i < it->nmx; i++) {
			int dup = 0;

			for (size_t j = 0; j < i; j++)
				dup |= strcmp(it->mx[j].fp, it->mx[i].fp) == 0;
			if (!dup)
				buf_printf(&b, "%s%s", i ? "|" : "", it->mx[i].fp);
		}
		it->recommend = xstrdup(b.data);
		it->recommend_src = "probe";
		buf_free(&b);
	} else if (all_deliver(it, CAND_ENCRYPT)) {
		it->recommend = xstrdup("encrypt");
		it->recommend_src = "probe";
	}
}

/* Each discovery failure with its reason (a TEMP answer has its own
 * note); MTA-STS mode none said as such. */
static void discovery_notes(struct check_item *it)
{
	if (it->d.verdict == SOURCE_FAILED)
		note(it, 1, "DANE unknown: %s", it->d.reason[0] ? it->d.reason : "lookup failed");
	if (sts_failed(it))
		note(it, 1, "MTA-STS failed: %s", it->sts_reason);
	else if (it->sts_found && it->sts_mode == STS_MODE_NONE)
		note(it, 0, "MTA-STS mode none: the domain withdrew its policy, nothing "
		     "is enforced");
}

static void item_finish(struct check_item *it)
{
	struct check *chk = it->chk;
	const struct check_mx *bad;
	char pre[POLICY_KEY_MAX + 16];
	const char *bp_level, *bp_reason;
	long long bp_expires;

	/* unreachable MX hosts */
	for (size_t i = 0; chk->probe && i < it->nmx; i++)
		if (it->mx[i].done && it->mx[i].status != PROBE_OK)
			note(it, 1, "MX %s: %s", it->mx[i].host, it->mx[i].why);
	/* issue 13: the admin's emergency bypass answers above everything */
	if (chk->eng && engine_bypass(chk->eng, it->domain, &bp_level, &bp_expires,
				      &bp_reason)) {
		char when[32];
		time_t tt = (time_t)bp_expires;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		note(it, 1, "emergency bypass: the daemon answers %s until %s (%s); "
		     "end it with tlspolicy bypass delete %s", bp_level, when,
		     *bp_reason ? bp_reason : "no reason given", it->domain);
	} else {
		weaker_check(it);
	}
	row_prefix(it, pre, sizeof(pre));
	if (it->table_prov && it->nmx > 0 && it->prov != it->table_prov)
		note(it, 1, "%stable holds the %s template but the MX hosts are not %s's",
		     pre, it->table_prov->name, it->table_prov->name);
	if (chk->probe && answer_is_policy(it) &&
	    (bad = first_failure(it, CAND_ANSWER)) != NULL)
		note(it, 1, "%s%s policy \"%s\" would fail on %s: %s", pre,
		     it->source == ANSWER_TABLE ? "table" : answer_source_name(it->source),
		     it->answer_text, bad->host, bad->vwhy[CAND_ANSWER]);
	recommend(it);
	discovery_notes(it);
	if (it->status == LOOKUP_TEMP)
		note(it, 1, "mail to %s defers: the daemon answers TEMP (%s)", it->domain,
		     it->answer_text && *it->answer_text ? it->answer_text : "no reason");
	if (it->null_mx)
		note(it, 0, "null MX: accepts no mail");
	else if (it->nxdomain)
		note(it, 0, "no such domain");
	it->done = 1;
	chk->running--;
	chk->finished++;
	if (chk->progress) {
		fprintf(stderr, "\rcheck: %zu/%zu domains", chk->finished, chk->nitems);
		fflush(stderr);
	}
	check_start_more(chk);
	/* the engine keeps timers of its own: stop the loop explicitly */
	if (chk->running == 0 && chk->next >= chk->nitems)
		event_base_loopbreak(chk->base);
}

static void check_start_more(struct check *chk)
{
	while (chk->running < chk->concurrency && chk->next < chk->nitems) {
		struct check_item *it = &chk->items[chk->next++];

		if (it->invalid)
			continue;
		chk->running++;
		/* pending: facts, answer, MTA-STS; +1 held while starting them
		 * so a callback made at once cannot finish the item early */
		it->pending = 4;
		it->lk = dane_lookup(chk->dane, it->domain, facts_cb, it);
		if (chk->eng) {
			it->req = engine_lookup(chk->eng, it->domain, answer_cb, it);
		} else {
			/* the DANE verdict alone (the table was not read) */
			it->answer_text = NULL;
			it->status = LOOKUP_NOTFOUND;
			it->source = ANSWER_NONE;
			it->pending--;
		}
		if (chk->sts)
			it->sts_handle = sts_cache_lookup(chk->sts, it->domain, sts_done, it);
		else
			it->pending--;
		step_done(it);
	}
}

/* Without the engine: the answer the DANE verdict alone gives. */
static void verdict_answer(struct check_item *it)
{
	if (it->d.verdict == SOURCE_APPLIES) {
		it->status = LOOKUP_OK;
		it->source = ANSWER_DANE;
		free(it->answer_text);
		it->answer_text = xstrdup(it->d.level);
	} else if (it->d.verdict == SOURCE_TEMP) {
		it->status = LOOKUP_TEMP;
		it->source = ANSWER_ERROR;
		free(it->answer_text);
		it->answer_text = xstrdup(it->d.reason);
	}
}

/* ---- output ---- */

static const char *status_word(enum lookup_status st)
{
	static const char *const w[] = { "OK", "NOTFOUND", "TEMP", "PERM" };

	return (unsigned)st < 4 ? w[st] : "?";
}

/* POLICY and PARAMETER columns (malloc'ed). */
static void policy_cols(const struct check_item *it, char **level, char **params)
{
	const char *text = NULL;
	struct policy *p = NULL;
	struct errbuf eb;

	if (answer_is_policy(it) && it->source == ANSWER_STS) {
		*level = xstrdup("(automatic)");
		*params = xstrdup("-");
		return;
	}
	if (answer_is_policy(it))
		text = it->answer_text;
	else if (it->status == LOOKUP_TEMP)
		text = NULL;
	else if (it->recommend)
		text = it->recommend;
	errbuf_clear(&eb);
	if (text && policy_parse(text, NULL, &p, &eb) == 0) {
		*level = xstrdup(policy_level_name(p->level));
		*params = policy_format_params(p);
		if (*params == NULL)
			log_fatal("check");
		policy_free(p);
		return;
	}
	*level = xstrdup(it->status == LOOKUP_TEMP ? "(TEMP)" : "-");
	*params = xstrdup("");
}

static void json_nullstr(struct buf *b, const char *s)
{
	if (s)
		json_buf_str(b, s, JSON_LATIN1);
	else
		buf_puts(b, "null");
}

/* The "probe" member's value: null, or the MX servers probed. */
static void json_probe(struct buf *b, const struct check *chk, const struct check_item *it)
{
	if (!chk->probe) {
		buf_puts(b, "null");
	} else {
		buf_puts(b, "[");
		for (size_t i = 0; i < it->nmx; i++) {
			const struct check_mx *m = &it->mx[i];

			buf_puts(b, i ? ",{\"host\":" : "{\"host\":");
			json_buf_str(b, m->host, JSON_LATIN1);
			buf_printf(b, ",\"status\":\"%s\",\"tls\":\"%s\",\"address\":",
				   probe_status_name(m->status), probe_tls_name(m->tls));
			json_nullstr(b, m->addr[0] ? m->addr : NULL);
			buf_printf(b, ",\"verified\":%s,\"host_match\":%s,\"verify_error\":",
				   m->verified ? "true" : "false", m->host_match ? "true" : "false");
			json_nullstr(b, m->verify_why[0] && !m->verified ? m->verify_why : NULL);
			buf_puts(b, ",\"why\":");
			json_nullstr(b, m->why[0] ? m->why : NULL);
			buf_puts(b, ",\"fingerprint\":");
			json_nullstr(b, m->fp[0] ? m->fp : NULL);
			buf_puts(b, ",\"pkey_fingerprint\":");
			json_nullstr(b, m->pkey_fp[0] ? m->pkey_fp : NULL);
			buf_puts(b, ",\"not_after\":");
			if (m->not_after) {
				char tb[32];

				strftime(tb, sizeof(tb), "\"%Y-%m-%dT%H:%M:%SZ\"",
					 gmtime_r(&m->not_after, &(struct tm){ 0 }));
				buf_puts(b, tb);
			} else {
				buf_puts(b, "null");
			}
			buf_puts(b, ",\"dane\":");
			json_nullstr(b, m->dane);
			buf_puts(b, ",\"policies\":[");
			for (int c = 0, n = 0; c < CAND_COUNT; c++) {
				if (m->cand_text[c][0] == '\0')
					continue;
				buf_puts(b, n++ ? ",{\"role\":" : "{\"role\":");
				json_buf_str(b, cand_name[c], JSON_LATIN1);
				buf_puts(b, ",\"policy\":");
				json_buf_str(b, m->cand_text[c], JSON_LATIN1);
				buf_printf(b, ",\"delivers\":%s,\"verdict\":\"%s\",\"why\":",
					   m->v[c] == NAMEMATCH_DELIVERS ? "true" : "false",
					   namematch_verdict_name(m->v[c]));
				json_buf_str(b, m->vwhy[c], JSON_LATIN1);
				buf_puts(b, "}");
			}
			buf_puts(b, "]}");
		}
		buf_puts(b, "]");
	}
}

static void print_json(struct check *chk, struct check_item *it)
{
	struct buf b;
	char pub[64], why[1200];
	char *level, *params;

	buf_init(&b, CHECK_MAX_OUTPUT + 65536);
	buf_puts(&b, "{\"domain\":");
	json_buf_str(&b, it->domain, JSON_LATIN1);
	buf_printf(&b, ",%s,\"dane\":{\"verdict\":\"%s\",\"level\":",
		   it->out.data ? it->out.data : "", source_verdict_name(it->d.verdict));
	json_nullstr(&b, it->d.level);
	buf_puts(&b, ",\"reason\":");
	json_buf_str(&b, it->d.reason, JSON_LATIN1);
	buf_printf(&b, ",\"ttl\":%u},\"answer\":{\"status\":\"%s\",\"source\":\"%s\","
		   "\"text\":", it->d.ttl, status_word(it->status),
		   chk->eng ? answer_source_name(it->source)
			    : (it->source == ANSWER_DANE ? "dane" :
			       it->source == ANSWER_ERROR ? "dane" : "none"));
	json_buf_str(&b, it->answer_text ? it->answer_text : "", JSON_LATIN1);
	buf_puts(&b, ",\"row\":");
	json_nullstr(&b, it->answer_row);
	buf_printf(&b, ",\"table_read\":%s,\"note\":", chk->eng ? "true" : "false");
	json_nullstr(&b, chk->eng ? NULL : chk->table_why);
	buf_puts(&b, "},\"mta_sts\":");
	if (!it->sts_done) {
		buf_puts(&b, "null");
	} else {
		buf_printf(&b, "{\"verdict\":\"%s\",\"mode\":",
			   it->sts_verdict == SOURCE_APPLIES ? "applies" :
			   it->sts_verdict == SOURCE_NOT_APPLICABLE ? "not applicable" :
			   it->sts_verdict == SOURCE_TEMP ? "temporary failure" : "failed");
		json_nullstr(&b, it->sts_found ? sts_mode_name(it->sts_mode) : NULL);
		buf_puts(&b, ",\"id\":");
		json_nullstr(&b, it->sts_found ? it->sts_id : NULL);
		buf_puts(&b, ",\"policy\":");
		json_nullstr(&b, it->sts_answer);
		buf_puts(&b, ",\"reason\":");
		json_nullstr(&b, it->sts_reason);
		buf_puts(&b, "}");
	}
	buf_puts(&b, ",\"provider\":{\"column\":");
	json_buf_str(&b, provider_col(it), JSON_LATIN1);
	buf_puts(&b, ",\"id\":");
	json_nullstr(&b, it->prov ? it->prov->id : NULL);
	buf_puts(&b, ",\"name\":");
	json_nullstr(&b, it->prov ? it->prov->name : NULL);
	buf_puts(&b, ",\"template\":");
	json_nullstr(&b, it->template);
	buf_puts(&b, ",\"why_not\":");
	json_nullstr(&b, it->prov || it->nmx == 0 ? NULL : it->prov_why);
	buf_puts(&b, "},\"published\":");
	json_buf_str(&b, published(it, pub, sizeof(pub)), JSON_LATIN1);
	buf_puts(&b, ",\"reason\":");
	json_nullstr(&b, discovery_reason(it, why, sizeof(why))[0] ? why : NULL);
	policy_cols(it, &level, &params);
	buf_puts(&b, ",\"policy\":");
	json_buf_str(&b, level, JSON_LATIN1);
	buf_puts(&b, ",\"parameter\":");
	json_buf_str(&b, params, JSON_LATIN1);
	free(level);
	free(params);
	buf_puts(&b, ",\"table\":");
	json_nullstr(&b, answer_is_policy(it) && it->source == ANSWER_TABLE ? it->answer_text : NULL);
	buf_puts(&b, ",\"recommendation\":");
	if (it->recommend) {
		buf_puts(&b, "{\"policy\":");
		json_buf_str(&b, it->recommend, JSON_LATIN1);
		buf_puts(&b, ",\"source\":");
		json_buf_str(&b, it->recommend_src, JSON_LATIN1);
		buf_puts(&b, "}");
	} else {
		buf_puts(&b, "null");
	}
	buf_puts(&b, ",\"probe\":");
	json_probe(&b, chk, it);
	buf_puts(&b, ",\"notes\":[");
	for (size_t i = 0; i < it->nnotes; i++) {
		buf_printf(&b, "%s{\"warning\":%s,\"text\":", i ? "," : "",
			   it->notes[i].warn ? "true" : "false");
		json_buf_str(&b, it->notes[i].text, JSON_LATIN1);
		buf_puts(&b, "}");
	}
	buf_printf(&b, "],\"warning\":%s}", it->warning ? "true" : "false");
	printf("%s\n", b.data ? b.data : "");
	buf_free(&b);
}

static const char *source_col(const struct check_item *it, char *buf, size_t len);

/* One domain to cli->check_sink (cli/check.h): the columns and facts
 * print_json() and print_table() show, from the same functions. */
static void emit_row(struct check *chk, struct check_item *it)
{
	struct check_row r;
	struct check_row_mx *mx = calloc(it->nmx + 1, sizeof(*mx));
	struct check_row_note notes[CHECK_MAX_NOTES];
	char pub[64], src[POLICY_KEY_MAX + 8], why[1200], *level, *params;

	if (mx == NULL)
		log_fatal("check");
	memset(&r, 0, sizeof(r));
	r.answer_source = source_col(it, src, sizeof(src));
	r.reason = discovery_reason(it, why, sizeof(why))[0] ? why : NULL;
	r.domain = it->domain;
	r.provider = provider_col(it);
	r.published = published(it, pub, sizeof(pub));
	policy_cols(it, &level, &params);
	r.policy = level;
	r.parameter = params;
	r.answer_status = status_word(it->status);
	r.answer_text = it->answer_text ? it->answer_text : "";
	r.table = answer_is_policy(it) && it->source == ANSWER_TABLE ? it->answer_text : NULL;
	r.recommend = it->recommend;
	r.recommend_src = it->recommend_src;
	r.warning = it->warning;
	r.failed = it->failed;
	r.probed = chk->probe != NULL;
	for (size_t i = 0; i < it->nnotes; i++) {
		notes[i].warn = it->notes[i].warn;
		notes[i].text = it->notes[i].text;
	}
	r.notes = notes;
	r.nnotes = it->nnotes;
	r.weaker = it->weaker_note ? it->notes[it->weaker_note - 1].text : NULL;
	for (size_t i = 0; chk->probe && i < it->nmx; i++) {
		const struct check_mx *m = &it->mx[i];

		mx[i].host = m->host;
		mx[i].status = probe_status_name(m->status);
		mx[i].tls = probe_tls_name(m->tls);
		mx[i].why = m->why[0] ? m->why : NULL;
		mx[i].not_after = m->not_after;
		if (m->done && m->cand_text[CAND_ANSWER][0] && m->v[CAND_ANSWER] == NAMEMATCH_FAILS)
			mx[i].answer_fails = m->vwhy[CAND_ANSWER];
	}
	r.mx = mx;
	r.nmx = chk->probe ? it->nmx : 0;
	chk->cli->check_sink->row(chk->cli->check_sink->arg, &r);
	free(level);
	free(params);
	free(mx);
}

/* ANSWER: the daemon's answer ("-": NOTFOUND, Postfix's own level
 * decides; "TEMP": mail defers). */
static const char *answer_col(const struct check_item *it)
{
	if (answer_is_policy(it))
		return it->answer_text;
	return it->status == LOOKUP_TEMP ? "TEMP" : it->status == LOOKUP_PERM ? "PERM" : "-";
}

/* SOURCE: where the answer comes from: "table KEY" (the row that
 * matched: the domain's own, a .parent row), DANE, MTA-STS, provider,
 * default (the _default row), "-" (nothing), "DNSSEC" (TEMP). */
static const char *source_col(const struct check_item *it, char *buf, size_t len)
{
	switch (it->source) {
	case ANSWER_TABLE:
		snprintf(buf, len, "table %s", it->answer_row ? it->answer_row : it->domain);
		return buf;
	case ANSWER_DEFAULT: return "default";
	case ANSWER_DANE: return "DANE";
	case ANSWER_STS: return "MTA-STS";
	case ANSWER_PROVIDER: return "provider";
	case ANSWER_ERROR: return it->d.verdict == SOURCE_TEMP ? "DNSSEC" : "error";
	default: return "-";
	}
}

/* --details: the MTA-STS state and, with --probe, each MX's facts. */
static void details_text(const struct check *chk, const struct check_item *it)
{
	printf("  %-*s", CHECK_COL_LABEL, "MTA-STS");
	if (!it->sts_done)
		printf("not looked up\n");
	else if (sts_failed(it))
		printf("failed: %s\n", it->sts_reason);
	else if (it->sts_found)
		printf("mode %s, id %s%s%s\n", sts_mode_name(it->sts_mode), it->sts_id,
		       it->sts_answer ? ": " : "", it->sts_answer ? it->sts_answer : "");
	else
		printf("none published\n");
	for (size_t i = 0; chk->probe && i < it->nmx; i++) {
		const struct check_mx *m = &it->mx[i];

		printf("  %-*s%s [%s]: %s", CHECK_COL_LABEL, "probe", m->host,
		       m->addr[0] ? m->addr : "-", m->done ? probe_status_name(m->status)
							   : "not probed");
		if (m->done && m->status == PROBE_OK)
			printf(", TLS %s, certificate %s%s%s%s, TLSA %s", probe_tls_name(m->tls),
			       m->verified ? "trusted" : "not trusted",
			       !m->verified && m->verify_why[0] ? " (" : "",
			       !m->verified && m->verify_why[0] ? m->verify_why : "",
			       !m->verified && m->verify_why[0] ? ")" : "",
			       m->dane ? m->dane : "-");
		if (m->done && m->why[0])
			printf(" (%s)", m->why);
		printf("\n");
		for (int c = 0; c < CAND_COUNT; c++)
			if (m->cand_text[c][0])
				printf("  %-*s  %-11s %-8s %s: %s\n", CHECK_COL_LABEL, "",
				       cand_name[c], namematch_verdict_name(m->v[c]),
				       m->cand_text[c], m->vwhy[c]);
	}
}

static void details_print(const struct check *chk, const struct check_item *it)
{
	char src[POLICY_KEY_MAX + 8];

	printf("%s\n%s", it->domain, it->out.data ? it->out.data : "");
	printf("  %-*s%-18s %s\n", CHECK_COL_LABEL, "DANE",
	       it->d.verdict == SOURCE_APPLIES ? it->d.level : source_verdict_name(it->d.verdict),
	       it->d.reason);
	details_text(chk, it);
	printf("  %-*s%s%s%s  (source %s%s)\n", CHECK_COL_LABEL, "answer",
	       status_word(it->status), it->answer_text && *it->answer_text ? " " : "",
	       it->answer_text ? it->answer_text : "", source_col(it, src, sizeof(src)),
	       chk->eng ? "" : "; DANE verdict only, table not read");
	if (it->recommend)
		printf("  %-*s%s  (from %s)\n\n", CHECK_COL_LABEL, "recommend", it->recommend,
		       it->recommend_src);
	else
		printf("  %-*s-\n\n", CHECK_COL_LABEL, "recommend");
}

#define CHECK_NCOLS 7

struct row {
	const char *cols[CHECK_NCOLS];
	char *own[CHECK_NCOLS];
};

/* One table row for it into r. */
static void table_row(const struct check_item *it, struct row *r)
{
	char pub[64], src[POLICY_KEY_MAX + 8];
	struct buf nb;

	r->cols[0] = it->domain;
	r->cols[1] = provider_col(it);
	r->cols[2] = r->own[2] = xstrdup(published(it, pub, sizeof(pub)));
	r->cols[3] = answer_col(it);
	r->cols[4] = r->own[4] = xstrdup(source_col(it, src, sizeof(src)));
	r->cols[5] = it->recommend ? it->recommend : "-";
	buf_init(&nb, 64 * 1024);
	for (size_t k = 0; k < it->nnotes; k++)
		buf_printf(&nb, "%s%s%s", k ? "; " : "",
			   it->notes[k].warn ? "WARNING: " : "", it->notes[k].text);
	r->cols[6] = r->own[6] = xstrdup(nb.data ? nb.data : "");
	buf_free(&nb);
}

static void print_table(struct check *chk)
{
	static const char *const head[CHECK_NCOLS] = {
		"DOMAIN", "PROVIDER", "PUBLISHED", "ANSWER", "SOURCE", "RECOMMENDATION", "NOTE"
	};
	size_t w[CHECK_NCOLS] = { 0 }, n = 0;
	struct row *rows = calloc(chk->nitems + 1, sizeof(*rows));

	if (rows == NULL)
		log_fatal("check");
	for (int c = 0; c < CHECK_NCOLS; c++)
		rows[0].cols[c] = head[c];
	n = 1;
	for (size_t i = 0; i < chk->nitems; i++) {
		struct check_item *it = &chk->items[i];

		if (!it->done)
			continue;
		if (chk->details)
			details_print(chk, it);
		table_row(it, &rows[n++]);
	}
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < CHECK_NCOLS - 1; c++)
			if (strlen(rows[i].cols[c]) > w[c])
				w[c] = strlen(rows[i].cols[c]);
	for (size_t i = 0; i < n; i++) {
		struct buf line;

		buf_init(&line, 128 * 1024);
		for (int c = 0; c < CHECK_NCOLS; c++)
			buf_printf(&line, "%-*s%s", c < CHECK_NCOLS - 1 ? (int)w[c] : 0,
				   rows[i].cols[c], c < CHECK_NCOLS - 1 ? "  " : "");
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		printf("%s\n", line.data ? line.data : "");
		buf_free(&line);
		for (int c = 0; c < CHECK_NCOLS; c++)
			free(rows[i].own[c]);
	}
	free(rows);
}

/* ---- --save ---- */

struct save_item {
	struct check_item *it;
	int have;
	struct published pub;
};

static void save_pub_cb(void *arg, const struct published *res)
{
	struct save_item *si = arg;

	si->pub = *res;
	si->have = 1;
}

/* "probe: verify delivers on the 2 MX (a, b)": the evidence of a row. */
static void save_evidence(const struct check_item *it, char *out, size_t len)
{
	size_t o;

	if (strcmp(it->recommend_src, "provider") == 0)
		o = (size_t)snprintf(out, len, "check: the %s provider template fits every MX (",
				     it->prov ? it->prov->name : "catalogue");
	else
		o = (size_t)snprintf(out, len, "check --probe: \"%s\" delivers on %s%zu MX (",
				     it->recommend, it->nmx == 1 ? "the " : "all ", it->nmx);
	for (size_t i = 0; i < it->nmx && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", it->mx[i].host);
	if (o < len)
		snprintf(out + o, len - o, ")");
}

struct save_counts {
	size_t added, replaced, kept, served, refused;
};

/* Judges and saves one recommendation; -1 after an error message. */
static int save_one(struct store *st, struct save_item *si,
		    struct published_force *fw, int force, FILE *out, struct save_counts *sc)
{
	struct check_item *it = si->it;
	struct store_row row;
	struct policy *p = NULL;
	char *params = NULL, *old = NULL, change = 0, why[1024], ev[STORE_PROV_EVIDENCE_MAX];
	enum published_verdict v;
	struct errbuf eb;
	int found, forced = 0, rc = 0;

	errbuf_clear(&eb);
	memset(&row, 0, sizeof(row));
	v = si->have ? published_judge(&si->pub, it->domain, it->recommend, why,
					 sizeof(why))
		       : PUBLISHED_NOT_KNOWN;
	if (!si->have)
		snprintf(why, sizeof(why), "cannot tell what %s publishes: no answer",
			 it->domain);
	if (v == PUBLISHED_SERVED) {
		fprintf(out, "not saved %s: %s\n", it->domain, why);
		sc->served++;
		return 0;
	}
	if (v == PUBLISHED_WEAKER || v == PUBLISHED_NOT_KNOWN) {
		if (!published_forced(fw, it->domain)) {
			fprintf(out, "not saved %s: %s (--force-weaker %s saves it)\n",
				it->domain, why, it->domain);
			sc->refused++;
			return 0;
		}
		forced = 1;
	}
	if ((found = store_get(st, it->domain, &row, &eb)) < 0) {
		cli_error("check", "%s: %s", it->domain, eb.msg);
		return -1;
	}
	if (found) {
		struct policy *op = NULL;

		if (store_row_policy(&row, NULL, &op, &eb) == 0) {
			old = policy_format(op);
			policy_free(op);
		} else {
			old = xstrdup(row.policy);
		}
		store_row_free(&row);
	}
	if (policy_parse(it->recommend, NULL, &p, &eb) < 0) {
		cli_error("check", "%s: %s", it->domain, eb.msg);
		free(old);
		return -1;
	}
	if (old && strcmp(old, it->recommend) == 0) {
		policy_free(p);
		free(old);
		return 0;
	}
	if (old && !force) {
		fprintf(out, "kept %s: %s (recommended %s; --force replaces it)\n",
			it->domain, old, it->recommend);
		sc->kept++;
		policy_free(p);
		free(old);
		return 0;
	}
	save_evidence(it, ev, sizeof(ev));
	if (forced) {
		size_t o = strlen(ev);

		snprintf(ev + o, sizeof(ev) - o, "; forced (--force-weaker): %.600s", why);
	}
	params = policy_format_params(p);
	if (params == NULL) {
		cli_error("check", "%s: out of memory", it->domain);
		rc = -1;
	} else {
		struct store_provenance prov = { "check --save", ev, 0, NULL };
		struct store_counts c;
		struct store_put_item item = { it->domain, policy_level_name(p->level),
					       params[0] ? params : NULL, &prov };

		if (store_put_many(st, &item, 1, &c, &eb) < 0) {
			cli_error("check", "%s: %s", it->domain, eb.msg);
			rc = -1;
		} else {
			change = c.added ? 'a' : 'c';
			if (c.provenance_missing && sc->added + sc->replaced == 0)
				cli_error("check", "warning: provenance not recorded: the "
					  "database has no table %s yet (tlspolicy db init "
					  "adds it)", STORE_PROV_TABLE);
		}
	}
	if (change == 'c') {
		fprintf(out, "replaced %s: %s -> %s%s\n", it->domain, old, it->recommend,
			forced ? " (--force-weaker)" : "");
		sc->replaced++;
	} else if (change == 'a') {
		fprintf(out, "added %s: %s%s\n", it->domain, it->recommend,
			forced ? " (--force-weaker)" : "");
		sc->added++;
	}
	free(params);
	free(old);
	policy_free(p);
	return rc;
}

/*
 * Writes the recommendations, only what discovery cannot give: every
 * recommended domain is looked up again with the daemon's discovery
 * and the table left out (cli/published.h); a domain the daemon serves
 * at least as well (a provider template, ...) is not saved, nor one for
 * which the row would be weaker than what it publishes or whose
 * publication is unknown (MTA-STS published but not fetchable, DNS
 * failures) -- unless --force-weaker names it.  Each row saved records
 * its provenance.
 */
static int save_recommendations(struct check *chk, int force, struct published_force *fw)
{
	FILE *out = chk->cli->json ? stderr : stdout;
	struct published_ctx *pc;
	struct save_item *si;
	struct store *st;
	struct errbuf eb;
	struct save_counts sc = { 0, 0, 0, 0, 0 };
	int rc = 0;
	size_t n = 0;

	if ((st = cli_store_open(chk->cli, "check", CLI_STORE_WRITE)) == NULL)
		return -1;
	if ((si = calloc(chk->nitems + 1, sizeof(*si))) == NULL)
		log_fatal("check");
	errbuf_clear(&eb);
	if ((pc = published_new(chk->base, chk->cfg, chk->srcs, &eb)) == NULL) {
		cli_error("check", "%s", eb.msg);
		free(si);
		store_close(st);
		return -1;
	}
	for (size_t i = 0; i < chk->nitems; i++) {
		struct check_item *it = &chk->items[i];

		if (!it->done || it->recommend == NULL)
			continue;
		si[n].it = it;
		published_lookup(pc, it->domain, save_pub_cb, &si[n]);
		n++;
	}
	published_wait(pc);
	for (size_t i = 0; i < n; i++)
		if (save_one(st, &si[i], fw, force, out, &sc) < 0)
			rc = -1;
	for (size_t i = 0; i < fw->n; i++)
		if (!fw->used[i])
			cli_error("check", "--force-weaker %s: no recommendation needed it", fw->key[i]);
	fprintf(out, "saved: %zu added, %zu replaced, %zu kept, %zu served automatically, "
		"%zu not saved\n", sc.added, sc.replaced, sc.kept, sc.served, sc.refused);
	if (sc.added + sc.replaced > 0)
		cli_tell_daemon(chk->cli, SIGHUP, "reload the policy table");
	published_free(pc);
	free(si);
	store_close(st);
	return rc;
}

/* ---- domains from the command line or a file ---- */

int check_read_domains(const char *cmd, const char *path, size_t max, char ***out, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[CHECK_MAX_LINE + 2];
	size_t cap = 0, lineno = 0;
	char **v = NULL;

	*n = 0;
	if (f == NULL) {
		cli_error(cmd, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line, *e;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			cli_error(cmd, "%s:%zu: line too long", path, lineno);
			goto fail;
		}
		if ((e = strchr(s, '#')) != NULL)
			*e = '\0';
		while (*s && isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (*n >= max) {
			cli_error(cmd, "%s: more than %zu domains", path, max);
			goto fail;
		}
		if (*n == cap) {
			char **nv;

			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				log_fatal("check");
			v = nv;
		}
		v[(*n)++] = xstrdup(s);
	}
	if (ferror(f)) {
		cli_error(cmd, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	*out = v;
	return 0;
fail:
	fclose(f);
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	free(v);
	*n = 0;
	return -1;
}

enum { OPT_PROBE = 0x2000, OPT_PIN, OPT_SAVE, OPT_FORCE, OPT_FROM_FILE, OPT_DETAILS,
       OPT_FORCE_WEAKER };

/* What the command line asks for. */
struct check_cmd {
	int do_probe, pin, details, save, force;
	struct published_force force_weaker;
	const char *from_file;
	char **names;        /* the domains (argv, or read from --from-file) */
	size_t nnames;
	int names_owned;
};

/* The domains from --from-file or the command line. */
static int check_names(struct check_cmd *o, int argc, char **argv)
{
	if (o->from_file) {
		if (check_read_domains("check", o->from_file, CHECK_MAX_DOMAINS, &o->names, &o->nnames) < 0)
			return EXIT_FAIL;
		o->names_owned = 1;
		if (o->nnames == 0) {
			cli_error("check", "%s: no domains", o->from_file);
			return EXIT_FAIL;
		}
		return -1;
	}
	if (argc - optind > CHECK_MAX_DOMAINS) {
		cli_error("check", "more than %d domains", CHECK_MAX_DOMAINS);
		return EXIT_USAGE;
	}
	o->names = argv + optind;
	o->nnames = (size_t)(argc - optind);
	return -1;
}

/* The command line into *o; -1 to go on, else the exit code. */
static int check_parse(struct cli *cli, int argc, char **argv, struct check_cmd *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "pin", no_argument, NULL, OPT_PIN },
		{ "save", no_argument, NULL, OPT_SAVE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "details", no_argument, NULL, OPT_DETAILS },
		{ "from-file", required_argument, NULL, OPT_FROM_FILE },
		{ "force-weaker", required_argument, NULL, OPT_FORCE_WEAKER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct errbuf why;
	int opt, ec = EXIT_OK;

	memset(o, 0, sizeof(*o));
	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, check_usage,
				    &ec)) > 0) {
		switch (opt) {
		case OPT_PROBE: o->do_probe = 1; break;
		case OPT_PIN: o->pin = 1; break;
		case OPT_SAVE: o->save = 1; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_DETAILS: o->details = 1; break;
		case OPT_FROM_FILE: o->from_file = optarg; break;
		case OPT_FORCE_WEAKER:
			errbuf_clear(&why);
			if (published_force_add(&o->force_weaker, optarg, &why) < 0) {
				cli_error("check", "%s", why.msg);
				return EXIT_USAGE;
			}
			break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return ec;
	if ((o->from_file == NULL) == (optind >= argc) ||
	    ((o->force || o->force_weaker.n) && !o->save) || (o->pin && !o->do_probe)) {
		if (o->from_file && optind < argc)
			cli_error("check", "give domains or --from-file, not both");
		else if (o->force && !o->save)
			cli_error("check", "--force needs --save");
		else if (o->force_weaker.n && !o->save)
			cli_error("check", "--force-weaker needs --save");
		else if (o->pin && !o->do_probe)
			cli_error("check", "--pin needs --probe");
		check_usage(stderr);
		return EXIT_USAGE;
	}
	return check_names(o, argc, argv);
}

/* One item per domain (invalid names reported and marked). */
static int check_items_new(struct check *chk, const struct check_cmd *o, int *rc)
{
	struct errbuf why;

	if ((chk->items = calloc(chk->nitems, sizeof(*chk->items))) == NULL) {
		cli_error("check", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < chk->nitems; i++) {
		struct check_item *it = &chk->items[i];

		it->chk = chk;
		buf_init(&it->out, CHECK_MAX_OUTPUT);
		errbuf_clear(&why);
		if (rr_domain_normalize(o->names[i], it->domain, sizeof(it->domain), &why) < 0) {
			cli_error("check", "%s", why.msg);
			it->invalid = 1;
			*rc = EXIT_FAIL;
		}
	}
	return 0;
}

/* Loop, engine (the admin's table), the daemon's sources, the prober. */
static int check_services(struct check *chk)
{
	struct dane_service *dsvc;
	struct provider_service *psvc;
	struct errbuf why;

	errbuf_clear(&why);
	if ((chk->base = event_base_new()) == NULL) {
		cli_error("check", "cannot create an event loop");
		return -1;
	}
	if ((chk->eng = engine_new(chk->base, chk->cfg, chk->cli->db_url, &why)) == NULL) {
		snprintf(chk->table_why, sizeof(chk->table_why), "%s", why.msg);
		cli_error("check", "the admin's table was not read (%s); answers are "
			  "the DANE verdict alone", why.msg);
	}
	/* The daemon's sources behind the engine (or none, without it); the
	 * facts shown come from the same services and DNS context. */
	errbuf_clear(&why);
	if (engine_sources_new(chk->base, chk->cfg, chk->eng, chk->cli->db_url,
			       STS_PERSIST_LOAD, &chk->srcs, &why) < 0) {
		cli_error("check", "%s", why.msg);
		return -1;
	}
	if ((dsvc = engine_sources_dane(chk->srcs)) == NULL) {
		cli_error("check", "DNSSEC validation is off (dns_trust_anchor_file is "
			  "empty): nothing to check");
		return -1;
	}
	chk->dane = dane_service_dane(dsvc);
	if (engine_sources_sts(chk->srcs))
		chk->sts = sts_cache_of(engine_sources_sts(chk->srcs));
	if ((psvc = engine_sources_provider(chk->srcs)) != NULL)
		chk->cat = provider_service_catalog(psvc);
	if (!chk->do_probe)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	errbuf_clear(&why);
	chk->probe = probe_new_cfg(chk->base, dane_service_dns(dsvc), chk->cfg,
				   &(struct probe_opts){
					   .max_parallel = (unsigned)(chk->concurrency * 2 <
						PROBE_MAX_PARALLEL ? chk->concurrency * 2
								   : PROBE_MAX_PARALLEL) },
				   &why);
	if (chk->probe == NULL) {
		cli_error("check", "%s", why.msg);
		return -1;
	}
	return 0;
}

/* Every result printed (JSON lines or the table); the exit code. */
static int check_print(struct check *chk, int rc)
{
	for (size_t i = 0; i < chk->nitems; i++) {
		struct check_item *it = &chk->items[i];

		if (it->invalid)
			continue;
		if (!it->done) {
			cli_error("check", "%s: no result", it->domain);
			rc = EXIT_FAIL;
			continue;
		}
		if (chk->eng == NULL)
			verdict_answer(it);
		if (it->status == LOOKUP_TEMP)
			rc = CHECK_EXIT_DEFERS;
		else if ((it->failed || it->warning) && rc != CHECK_EXIT_DEFERS)
			rc = EXIT_FAIL;
		if (chk->cli->check_sink)
			emit_row(chk, it);
		else if (chk->cli->json)
			print_json(chk, it);
	}
	if (!chk->cli->json && !chk->cli->check_sink)
		print_table(chk);
	return rc;
}

static void check_free(struct check *chk)
{
	for (size_t i = 0; chk->items && i < chk->nitems; i++) {
		struct check_item *it = &chk->items[i];

		if (it->lk)
			dane_lookup_cancel(it->lk);
		if (it->req)
			engine_cancel(it->req);
		if (it->sts_handle)
			sts_cache_cancel(chk->sts, it->sts_handle);
		for (size_t j = 0; j < it->nmx; j++)
			if (it->mx[j].req)
				probe_cancel(it->mx[j].req);
		free(it->mx);
		buf_free(&it->out);
		free(it->answer_text);
		free(it->answer_row);
		free(it->sts_answer);
		free(it->sts_reason);
		free(it->template);
		free(it->recommend);
	}
	free(chk->items);
	if (chk->probe)
		probe_free(chk->probe);
	if (chk->eng)
		engine_free(chk->eng);
	engine_sources_free(chk->srcs);
	if (chk->base)
		event_base_free(chk->base);
}

static int check_run(struct cli *cli, struct check_cmd *o)
{
	struct check chk;
	int rc = EXIT_OK;
	long conc;

	memset(&chk, 0, sizeof(chk));
	chk.do_probe = o->do_probe;
	chk.pin = o->pin;
	chk.details = o->details;
	chk.cfg = cli_config(cli);
	if (cli->verbose)
		log_set_verbose(cli->verbose);
	log_set_info(cli->verbose > 0);  /* informational lines only with -v */
	chk.cli = cli;
	chk.provider_on = config_get_bool(chk.cfg, "provider_policies") &&
			  config_get_bool(chk.cfg, "discovery");
	conc = config_get_int(chk.cfg, "check_concurrency");
	chk.concurrency = conc < 1 ? 1 : (size_t)conc;
	chk.nitems = o->nnames;
	chk.progress = isatty(STDERR_FILENO) && o->nnames > CHECK_PROGRESS_MIN;
	if (check_items_new(&chk, o, &rc) < 0 || check_services(&chk) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	check_start_more(&chk);
	if (chk.running > 0)
		event_base_dispatch(chk.base);
	if (chk.progress)
		fprintf(stderr, "\r%*s\r", 40, "");
	rc = check_print(&chk, rc);
	if (o->save && save_recommendations(&chk, o->force, &o->force_weaker) < 0)
		rc = EXIT_FAIL;
out:
	check_free(&chk);
	return rc;
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	struct check_cmd o;
	int rc = check_parse(cli, argc, argv, &o);

	if (rc < 0)
		rc = check_run(cli, &o);
	if (o.names_owned) {
		for (size_t i = 0; i < o.nnames; i++)
			free(o.names[i]);
		free(o.names);
	}
	return rc;
}
