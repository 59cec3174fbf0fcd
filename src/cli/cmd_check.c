/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - tlspolicy check [--json] DOMAIN...: what each domain
 * publishes for DANE and what the daemon would answer for it.
 *
 * Per domain: the MX RRset (DNSSEC status, TTL, hosts; implicit and
 * null MX), each MX host's A and AAAA RRsets, its TLSA RRset with every
 * record marked usable or unusable and why, the DANE verdict, and the
 * daemon's answer from the same engine and discovery sources the daemon
 * runs (admin's table first, then DANE, MTA-STS, providers), in-process.
 * When the table cannot be read the answer is the DANE verdict alone,
 * and the output says so.
 *
 * Domains are checked concurrently (setting check_concurrency) on one
 * event loop; the output comes in the order of the arguments.  --json
 * prints one JSON object per domain per line.
 *
 * Exit: 0 when every domain was checked; 1 when a name was invalid or
 * its DNS lookups failed (timeout, SERVFAIL: nothing could be said);
 * 2 usage.  A bogus or DANE-less domain is a result, not a failure.
 *
 * LIMITS: CHECK_MAX_DOMAINS arguments, CHECK_MAX_OUTPUT bytes of output
 * per domain, CHECK_HEX_FULL bytes of full TLSA data shown in text.
 */
#include "cli/cli.h"
#include "dane/dane.h"
#include "dane/dns.h"
#include "engine/engine.h"
#include "engine/sources.h"
#include "mtasts/sts.h"
#include "server/sockmap.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define CHECK_MAX_DOMAINS 10000
#define CHECK_MAX_OUTPUT (256 * 1024)
#define CHECK_HEX_FULL 24

struct check;

struct check_item {
	struct check *chk;
	const char *arg;
	char domain[DANE_NAME_BUF];
	int invalid, started, facts_done, answer_done, failed;
	struct dane_lookup *lk;
	struct engine_req *req;
	struct buf out;         /* the report (facts part) */
	struct dane_decision d;
	enum lookup_status status;
	enum answer_source source;
	char *answer_text;
};

struct check {
	struct cli *cli;
	struct event_base *base;
	struct dane *dane;
	struct engine *eng;
	char table_why[ERRBUF_MAX];
	struct check_item *items;
	size_t nitems, next, running, concurrency;
};

static void check_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy check [-c FILE] [--db URL] [--json] DOMAIN...\n"
		"\n"
		"Shows what each DOMAIN publishes for DANE (MX, A/AAAA and TLSA RRsets\n"
		"with their DNSSEC status, each TLSA record usable or not and why), the\n"
		"DANE verdict and the answer the daemon would give.  Domains are checked\n"
		"concurrently (check_concurrency).\n"
		"  --json     one JSON object per domain per line\n"
		"Exit 0 when every domain was checked, 1 when a name was invalid or its\n"
		"DNS lookups failed, 2 usage.\n");
}

static void check_start_more(struct check *chk);

/* ---- text report ---- */

static void hex(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%02x", p[i]);
}

static const char *rrset_state(const struct dane_rrset *r, char *tmp, size_t len)
{
	if (!r->done)
		return "not looked up";
	if (r->status == DNS_STATUS_DATA)
		return dns_sec_name(r->sec);
	snprintf(tmp, len, "%s %s", dns_sec_name(r->sec), dns_status_name(r->status));
	if (r->status == DNS_STATUS_TIMEOUT || r->status == DNS_STATUS_ERROR ||
	    (r->status == DNS_STATUS_SERVFAIL && r->sec != DNS_SEC_BOGUS))
		snprintf(tmp, len, "%s", dns_status_name(r->status));
	return tmp;
}

/* One RRset line: label (indented by depth), status, TTL, rest. */
#define COL_LABEL 10
static void text_rrset_line(struct buf *b, int depth, const char *label,
			    const struct dane_rrset *r, const char *rest)
{
	char tmp[64], ttl[24] = "";

	if (r->done && (r->status == DNS_STATUS_DATA || r->status == DNS_STATUS_NODATA ||
			r->status == DNS_STATUS_NXDOMAIN) && r->sec != DNS_SEC_BOGUS)
		snprintf(ttl, sizeof(ttl), "ttl %u", r->ttl);
	buf_printf(b, "  %*s%-*s%-18s %-9s %s", depth * 2, "", COL_LABEL - depth * 2,
		   label, rrset_state(r, tmp, sizeof(tmp)), ttl, rest ? rest : "");
	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	if (r->done && r->canon[0] && strcmp(r->canon, r->qname) != 0)
		buf_printf(b, " (CNAME -> %s)", r->canon);
	if (r->done && r->why[0] && (r->status != DNS_STATUS_DATA || r->sec == DNS_SEC_BOGUS))
		buf_printf(b, " [%s]", r->why);
	buf_puts(b, "\n");
}

static void text_tlsa(struct buf *b, const struct dane_tlsa *t)
{
	buf_printf(b, "  %*s%-18s ", COL_LABEL, "", t->usable ? "usable" : "unusable");
	if (t->malformed) {
		buf_printf(b, "(%s)\n", t->why_unusable ? t->why_unusable : "?");
		return;
	}
	buf_printf(b, "%u %u %u ", t->rr.usage, t->rr.selector, t->rr.mtype);
	if (t->rr.mtype == TLSA_MATCH_FULL && t->rr.len > CHECK_HEX_FULL) {
		hex(b, t->rr.data, CHECK_HEX_FULL);
		buf_printf(b, "... (%zu bytes)", t->rr.len);
	} else if (t->rr.len > TLSA_SHA512_LEN) {
		hex(b, t->rr.data, TLSA_SHA512_LEN);
		buf_printf(b, "... (%zu bytes)", t->rr.len);
	} else {
		hex(b, t->rr.data, t->rr.len);
	}
	if (!t->usable && t->why_unusable)
		buf_printf(b, "  (%s)", t->why_unusable);
	buf_puts(b, "\n");
}

/* The addresses of one family, space-separated. */
static void addr_list(struct buf *b, const struct dane_host *h, int v6)
{
	int first = 1;

	for (size_t j = 0; j < h->naddrs; j++) {
		if ((strchr(h->addrs[j], ':') != NULL) != v6)
			continue;
		buf_printf(b, "%s%s", first ? "" : " ", h->addrs[j]);
		first = 0;
	}
}

static void text_report(struct buf *b, const struct dane_facts *f, int secure_mx)
{
	struct buf tmp;

	buf_init(&tmp, 16384);
	if (f->null_mx)
		buf_puts(&tmp, "0 . (null MX)");
	else if (f->implicit_mx)
		buf_printf(&tmp, "none: implicit MX %s", f->domain);
	for (size_t i = 0; !f->implicit_mx && i < f->nhosts; i++)
		buf_printf(&tmp, "%s%u %s", i ? ", " : "", f->hosts[i].pref,
			   f->hosts[i].name);
	if (f->truncated)
		buf_printf(&tmp, ", ... (only the first %d looked at)", DANE_MAX_HOSTS);
	if (f->nbad_mx)
		buf_printf(&tmp, " (+%zu invalid MX record%s)", f->nbad_mx,
			   f->nbad_mx == 1 ? "" : "s");
	text_rrset_line(b, 0, "MX", &f->mx, tmp.data);
	for (size_t i = 0; i < f->nhosts; i++) {
		const struct dane_host *h = &f->hosts[i];

		if (!secure_mx || f->null_mx) {
			buf_printf(b, "  %-*s%s: not looked up (MX RRset not secure)\n",
				   COL_LABEL, "host", h->name);
			continue;
		}
		buf_printf(b, "  %-*s%s: %s\n", COL_LABEL, "host", h->name,
			   dane_host_state_name(dane_host_state(h)));
		buf_reset(&tmp);
		addr_list(&tmp, h, 0);
		text_rrset_line(b, 1, "A", &h->a, tmp.data);
		buf_reset(&tmp);
		addr_list(&tmp, h, 1);
		text_rrset_line(b, 1, "AAAA", &h->aaaa, tmp.data);
		if (h->tlsa_canon.done)
			text_rrset_line(b, 1, "TLSA", &h->tlsa_canon, h->tlsa_canon.qname);
		if (h->tlsa_orig.done)
			text_rrset_line(b, 1, "TLSA", &h->tlsa_orig, h->tlsa_orig.qname);
		for (size_t j = 0; j < h->ntlsa; j++)
			text_tlsa(b, &h->tlsas[j]);
	}
	buf_free(&tmp);
}

/* ---- JSON report ---- */

static void json_str(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_printf(b, "%c", *p);
	}
	buf_puts(b, "\"");
}

static void json_rrset(struct buf *b, const struct dane_rrset *r)
{
	if (!r->done) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"name\":");
	json_str(b, r->qname);
	buf_puts(b, ",\"canonical\":");
	json_str(b, r->canon[0] ? r->canon : r->qname);
	buf_printf(b, ",\"status\":\"%s\",\"dnssec\":\"%s\",\"ttl\":%u,\"why\":",
		   dns_status_name(r->status), dns_sec_name(r->sec), r->ttl);
	if (r->why[0])
		json_str(b, r->why);
	else
		buf_puts(b, "null");
	buf_puts(b, "}");
}

static void json_report(struct buf *b, const struct dane_facts *f, int secure_mx)
{
	buf_puts(b, "\"mx\":");
	json_rrset(b, &f->mx);
	buf_printf(b, ",\"implicit_mx\":%s,\"null_mx\":%s,\"truncated\":%s,"
		   "\"invalid_mx_records\":%zu,\"hosts\":[",
		   f->implicit_mx ? "true" : "false", f->null_mx ? "true" : "false",
		   f->truncated ? "true" : "false", f->nbad_mx);
	for (size_t i = 0; i < f->nhosts; i++) {
		const struct dane_host *h = &f->hosts[i];

		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		json_str(b, h->name);
		buf_printf(b, ",\"preference\":%u,\"looked_up\":%s,\"state\":", h->pref,
			   secure_mx && !f->null_mx ? "true" : "false");
		if (secure_mx && !f->null_mx)
			json_str(b, dane_host_state_name(dane_host_state(h)));
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"a\":");
		json_rrset(b, &h->a);
		buf_puts(b, ",\"aaaa\":");
		json_rrset(b, &h->aaaa);
		buf_puts(b, ",\"addresses\":[");
		for (size_t j = 0; j < h->naddrs; j++) {
			if (j)
				buf_puts(b, ",");
			json_str(b, h->addrs[j]);
		}
		buf_puts(b, "],\"tlsa_lookups\":[");
		if (h->tlsa_canon.done) {
			json_rrset(b, &h->tlsa_canon);
			if (h->tlsa_orig.done)
				buf_puts(b, ",");
		}
		if (h->tlsa_orig.done)
			json_rrset(b, &h->tlsa_orig);
		buf_puts(b, "],\"tlsa\":[");
		for (size_t j = 0; j < h->ntlsa; j++) {
			const struct dane_tlsa *t = &h->tlsas[j];

			if (t->malformed) {
				buf_puts(b, j ? ",{\"malformed\":true,\"usable\":false,\"why\":"
					      : "{\"malformed\":true,\"usable\":false,\"why\":");
				json_str(b, t->why_unusable);
				buf_puts(b, "}");
				continue;
			}
			buf_printf(b, "%s{\"usage\":%u,\"selector\":%u,\"matching_type\":%u,"
				   "\"data\":\"", j ? "," : "", t->rr.usage,
				   t->rr.selector, t->rr.mtype);
			hex(b, t->rr.data, t->rr.len);
			buf_printf(b, "\",\"usable\":%s,\"why\":", t->usable ? "true" : "false");
			if (t->why_unusable)
				json_str(b, t->why_unusable);
			else
				buf_puts(b, "null");
			buf_puts(b, "}");
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]");
}

/* ---- driving the checks ---- */

static void item_maybe_done(struct check_item *it)
{
	struct check *chk = it->chk;

	if (!it->facts_done || !it->answer_done)
		return;
	chk->running--;
	check_start_more(chk);
	/* the engine keeps timers of its own: stop the loop explicitly */
	if (chk->running == 0 && chk->next >= chk->nitems)
		event_base_loopbreak(chk->base);
}

static void facts_cb(void *arg, const struct dane_facts *f)
{
	struct check_item *it = arg;
	int secure_mx = f->mx.sec == DNS_SEC_SECURE;

	it->lk = NULL;
	dane_decide(f, dane_mode(it->chk->dane), &it->d);
	if (it->d.verdict == DANE_FAILED)
		it->failed = 1;
	if (it->chk->cli->json)
		json_report(&it->out, f, secure_mx);
	else
		text_report(&it->out, f, secure_mx);
	it->facts_done = 1;
	item_maybe_done(it);
}

static void answer_cb(const struct engine_answer *ans, void *arg)
{
	struct check_item *it = arg;

	it->req = NULL;
	it->status = ans->status;
	it->source = ans->source;
	it->answer_text = strdup(ans->text ? ans->text : "");
	if (it->answer_text == NULL)
		log_fatal("check");
	it->answer_done = 1;
	item_maybe_done(it);
}

static void check_start_more(struct check *chk)
{
	while (chk->running < chk->concurrency && chk->next < chk->nitems) {
		struct check_item *it = &chk->items[chk->next++];

		if (it->invalid)
			continue;
		it->started = 1;
		chk->running++;
		it->lk = dane_lookup(chk->dane, it->domain, facts_cb, it);
		if (chk->eng) {
			it->req = engine_lookup(chk->eng, it->domain, answer_cb, it);
		} else {
			it->answer_done = 1; /* the verdict alone, below */
		}
	}
}

/* The answer without the engine: what the DANE verdict alone gives. */
static void verdict_answer(const struct check_item *it, enum lookup_status *st,
			   const char **text)
{
	switch (it->d.verdict) {
	case DANE_APPLIES:
		*st = LOOKUP_OK;
		*text = it->d.level;
		return;
	case DANE_TEMP:
		*st = LOOKUP_TEMP;
		*text = it->d.reason;
		return;
	default:
		*st = LOOKUP_NOTFOUND;
		*text = "";
		return;
	}
}

static const char *status_word(enum lookup_status st)
{
	static const char *const w[] = { "OK", "NOTFOUND", "TEMP", "PERM" };

	return (unsigned)st < 4 ? w[st] : "?";
}

static void print_item(struct check *chk, struct check_item *it)
{
	enum lookup_status st = it->status;
	const char *text = it->answer_text, *source;

	if (chk->eng) {
		source = answer_source_name(it->source);
	} else {
		verdict_answer(it, &st, &text);
		source = it->d.verdict == DANE_APPLIES || it->d.verdict == DANE_TEMP
				 ? "dane" : "none";
	}
	if (chk->cli->json) {
		struct buf b;

		buf_init(&b, CHECK_MAX_OUTPUT + 4096);
		buf_puts(&b, "{\"domain\":");
		json_str(&b, it->domain);
		buf_printf(&b, ",%s,\"dane\":{\"verdict\":\"%s\",\"level\":",
			   it->out.data ? it->out.data : "", dane_verdict_name(it->d.verdict));
		if (it->d.level)
			json_str(&b, it->d.level);
		else
			buf_puts(&b, "null");
		buf_puts(&b, ",\"reason\":");
		json_str(&b, it->d.reason);
		buf_printf(&b, ",\"ttl\":%u},\"answer\":{\"status\":\"%s\",\"source\":\"%s\","
			   "\"text\":", it->d.ttl, status_word(st), source);
		json_str(&b, text ? text : "");
		buf_puts(&b, ",\"table_read\":");
		buf_puts(&b, chk->eng ? "true" : "false");
		buf_puts(&b, ",\"note\":");
		if (chk->eng)
			buf_puts(&b, "null");
		else
			json_str(&b, chk->table_why);
		buf_puts(&b, "}}");
		printf("%s\n", b.data ? b.data : "");
		buf_free(&b);
		return;
	}
	printf("%s\n%s", it->domain, it->out.data ? it->out.data : "");
	printf("  %-*s%-18s %s\n", COL_LABEL, "DANE",
	       it->d.verdict == DANE_APPLIES ? it->d.level : dane_verdict_name(it->d.verdict),
	       it->d.reason);
	printf("  %-*s%s%s%s  (source %s%s)\n", COL_LABEL, "answer", status_word(st),
	       text && *text ? " " : "", text ? text : "", source,
	       chk->eng ? "" : "; DANE verdict only, table not read");
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct check chk;
	struct config *cfg;
	struct dane_service *svc = NULL;
	struct engine_sources *srcs = NULL;
	struct errbuf why;
	int opt, rc = EXIT_OK;
	long conc;

	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'h':
			check_usage(stdout);
			return EXIT_OK;
		default:
			check_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if (argc - optind > CHECK_MAX_DOMAINS) {
		cli_error("check", "more than %d domains", CHECK_MAX_DOMAINS);
		return EXIT_USAGE;
	}
	cfg = cli_config(cli);
	if (cli->verbose)
		log_set_verbose(cli->verbose);
	memset(&chk, 0, sizeof(chk));
	chk.cli = cli;
	conc = config_get_int(cfg, "check_concurrency");
	chk.concurrency = conc < 1 ? 1 : (size_t)conc;
	chk.nitems = (size_t)(argc - optind);
	if ((chk.items = calloc(chk.nitems, sizeof(*chk.items))) == NULL) {
		cli_error("check", "out of memory");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < chk.nitems; i++) {
		struct check_item *it = &chk.items[i];

		it->chk = &chk;
		it->arg = argv[optind + (int)i];
		buf_init(&it->out, CHECK_MAX_OUTPUT);
		errbuf_clear(&why);
		if (rr_domain_normalize(it->arg, it->domain, sizeof(it->domain), &why) < 0) {
			cli_error("check", "%s", why.msg);
			it->invalid = 1;
			rc = EXIT_FAIL;
		}
	}
	errbuf_clear(&why);
	if ((chk.base = event_base_new()) == NULL) {
		cli_error("check", "cannot create an event loop");
		rc = EXIT_FAIL;
		goto out;
	}
	if ((chk.eng = engine_new(chk.base, cfg, cli->db_url, &why)) == NULL) {
		snprintf(chk.table_why, sizeof(chk.table_why), "%s", why.msg);
		cli_error("check", "the admin's table was not read (%s); answers are "
			  "the DANE verdict alone", why.msg);
	}
	/* The daemon's discovery sources (DANE, MTA-STS, providers) behind
	 * the engine, so the answer is the daemon's; the facts shown come
	 * from a DANE layer of our own (engine_sources has no accessor for
	 * its DNS context, so this is a second one). */
	errbuf_clear(&why);
	if (chk.eng && engine_sources_new(chk.base, cfg, chk.eng, cli->db_url,
					  STS_PERSIST_LOAD, &srcs, &why) < 0) {
		cli_error("check", "%s", why.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	errbuf_clear(&why);
	if (dane_service_new(chk.base, cfg, NULL, &svc, &why) < 0) {
		cli_error("check", "%s", why.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	if (svc == NULL) {
		cli_error("check", "DNSSEC validation is off (dns_trust_anchor_file is "
			  "empty): nothing to check");
		rc = EXIT_FAIL;
		goto out;
	}
	chk.dane = dane_service_dane(svc);
	check_start_more(&chk);
	if (chk.running > 0)
		event_base_dispatch(chk.base);
	for (size_t i = 0; i < chk.nitems; i++) {
		struct check_item *it = &chk.items[i];

		if (it->invalid)
			continue;
		if (!it->facts_done || !it->answer_done) {
			cli_error("check", "%s: no result", it->domain);
			rc = EXIT_FAIL;
			continue;
		}
		if (i > 0 && !cli->json)
			putchar('\n');
		print_item(&chk, it);
		if (it->failed)
			rc = EXIT_FAIL;
	}
out:
	for (size_t i = 0; i < chk.nitems; i++) {
		if (chk.items[i].lk)
			dane_lookup_cancel(chk.items[i].lk);
		if (chk.items[i].req)
			engine_cancel(chk.items[i].req);
		buf_free(&chk.items[i].out);
		free(chk.items[i].answer_text);
	}
	free(chk.items);
	if (chk.eng)
		engine_free(chk.eng);
	engine_sources_free(srcs);
	dane_service_free(svc);
	if (chk.base)
		event_base_free(chk.base);
	return rc;
}
