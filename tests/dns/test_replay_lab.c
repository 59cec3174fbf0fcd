/* SPDX-License-Identifier: MIT */
/*
 * test_replay_lab.c - the lab's DNS scenarios (tests/lab/README.md:
 * DANE, MTA-STS TXT, providers) answered by the real engine and the
 * real DANE, MTA-STS and provider sources, on DNS answers replayed from
 * tests/dns/lab.rpl (src/dns/replay.h) instead of libunbound and the
 * netns lab: no root, no namespace, `unit` suite.  The same cases run
 * against the real resolver in tests/dane/lab-answers.sh and friends.
 *
 * The admin's table holds only `_default encrypt`, so "nothing
 * published" (answered `_default`) and "our own failure" (NOTFOUND,
 * never `_default`) are told apart.  Every query the sources make must
 * be in the file (dns_replay_misses() == 0): a source asking for
 * something the lab would not have been asked is a failure too.
 *
 * Usage (meson): test_replay_lab LAB.RPL
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dane/dane.h"
#include "dns/dns.h"
#include "dns/replay.h"
#include "engine/engine.h"
#include "mtasts/sts.h"
#include "mtasts/sts_fetch.h"
#include "provider/provider.h"
#include "store/store.h"
#include "util/config.h"
#include "util/errbuf.h"
#include "util/log.h"

#define TEST_DIR "/tmp/tlspolicy-replay-test"

static const char *rpl_path;

/* key, expected answer line ("OK policy", "NOTFOUND", "TEMP <substring>"),
 * expected source, why (docs/ARCHITECTURE.md "Flow of one lookup") */
static const struct {
	const char *key, *want;
	enum answer_source src;
} cases[] = {
	/* DANE (tests/dane/lab-answers.sh) */
	{ "dane-ee.example", "OK dane-only", ANSWER_DANE },
	{ "dane-ta.example", "OK dane-only", ANSWER_DANE },
	{ "dane-mismatch.example", "OK dane-only", ANSWER_DANE },
	{ "dane-insecure.example", "OK encrypt", ANSWER_DEFAULT },
	{ "dane-bogus.example", "TEMP DNSSEC validation failure for MX dane-bogus.example",
	  ANSWER_ERROR },
	{ "dane-expired.example", "TEMP DNSSEC validation failure for MX dane-expired.example",
	  ANSWER_ERROR },
	{ "dane-mxinsecure.example", "OK encrypt", ANSWER_DEFAULT },
	{ "dane-partial.example", "OK dane", ANSWER_DANE },
	{ "dane-mxcname.example", "OK dane-only", ANSWER_DANE },
	{ "dane-tlsacname.example", "OK dane-only", ANSWER_DANE },
	{ "dane-nullmx.example", "OK encrypt", ANSWER_DEFAULT },
	{ "dane-nomx.example", "OK dane-only", ANSWER_DANE },
	{ "dane-usage01.example", "OK dane", ANSWER_DANE },
	{ "dane-ipv6.example", "OK dane-only", ANSWER_DANE },
	{ "dane-notlsa.example", "OK encrypt", ANSWER_DEFAULT },
	{ "dane-tlsafail.example", "OK dane", ANSWER_DANE },
	{ "nonexistent.example", "OK encrypt", ANSWER_DEFAULT },
	/* issue 11 item 0: secure host with TLSA behind an insecure MX */
	{ "dane-insecmx.example", "OK dane", ANSWER_DANE },
	/* MTA-STS TXT (RFC 8461 3.1) */
	{ "none.sts.example", "OK encrypt", ANSWER_DEFAULT },
	{ "spf.sts.example", "OK encrypt", ANSWER_DEFAULT },
	{ "twotxt.sts.example", "OK encrypt", ANSWER_DEFAULT },
	{ "txtfail.sts.example", "NOTFOUND", ANSWER_NONE },
	{ "txtslow.sts.example", "NOTFOUND", ANSWER_NONE },
	{ "nopolicy.sts.example", "NOTFOUND", ANSWER_NONE },
	{ "txtwsp.sts.example", "NOTFOUND", ANSWER_NONE },
	/* providers (issue 7) */
	{ "gmail-hosted.example", "OK secure match=mx.google.com", ANSWER_PROVIDER },
	{ "m365-hosted.example", "OK secure match=.mail.protection.outlook.com",
	  ANSWER_PROVIDER },
	{ "mixed-hosted.example", "OK encrypt", ANSWER_DEFAULT },
	{ "mxfail.example", "NOTFOUND", ANSWER_NONE },
};

struct got {
	int done;
	enum lookup_status status;
	enum answer_source src;
	char text[512];
};

static void cb(const struct engine_answer *a, void *arg)
{
	struct got *g = arg;

	g->done = 1;
	g->status = a->status;
	g->src = a->source;
	snprintf(g->text, sizeof(g->text), "%s", a->text ? a->text : "");
}

static void answer_line(const struct got *g, char *out, size_t outlen)
{
	static const char *const st[] = { "OK", "NOTFOUND", "TEMP", "PERM" };

	if (g->status == LOOKUP_NOTFOUND)
		snprintf(out, outlen, "NOTFOUND");
	else
		snprintf(out, outlen, "%s %s", st[g->status], g->text);
}

struct fx {
	char dbpath[256], url[300];
	struct config *cfg;
	struct event_base *base;
	struct engine *eng;
	struct dns *dns;
	struct dane_service *dane;
	struct sts *sts;
	struct provider_service *prov;
};

static void setup_fx(struct fx *fx, const char *dane_answer)
{
	struct store *st;
	struct errbuf why;
	struct replay *r;
	struct engine_source es;
	struct sts_fetch_opts fo;
	int created;

	memset(fx, 0, sizeof(*fx));
	errbuf_clear(&why);
	mkdir(TEST_DIR, 0755);
	snprintf(fx->dbpath, sizeof(fx->dbpath), TEST_DIR "/t-%ld.db", (long)getpid());
	unlink(fx->dbpath);
	snprintf(fx->url, sizeof(fx->url), "sqlite:%s", fx->dbpath);
	if (store_open_ex(fx->url, STORE_OPEN_CREATE, &st, &why) < 0 ||
	    store_init(st, &created, &why) < 0 ||
	    store_put(st, "_default", "encrypt", NULL, NULL, &why) < 0)
		fail_msg("store: %s", why.msg);
	store_close(st);
	fx->cfg = config_new();
	assert_non_null(fx->cfg);
	/* DANE is on with a trust anchor; the replay context never reads it */
	assert_int_equal(config_set(fx->cfg, "dns_trust_anchor_file", "/replay/anchor", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "reload_interval", "0", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "lookup_deadline", "20s", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "dane_answer", dane_answer, NULL), 0);
	assert_non_null(fx->base = event_base_new());
	if ((r = replay_load(rpl_path, &why)) == NULL)
		fail_msg("%s", why.msg);
	assert_non_null(fx->dns = dns_new_replay(fx->base, r));
	/* the stack of engine/sources.c, by hand for the fetch options:
	 * DANE, MTA-STS, provider templates */
	if ((fx->eng = engine_new(fx->base, fx->cfg, fx->url, &why)) == NULL ||
	    dane_service_new(fx->base, fx->cfg, fx->dns, &fx->dane, &why) < 0 || fx->dane == NULL)
		fail_msg("%s", why.msg);
	assert_int_equal(dane_source_init(dane_service_dane(fx->dane), &es), 0);
	assert_int_equal(engine_add_source(fx->eng, &es), 0);
	/* MTA-STS with policy fetches sent to a closed loopback port of
	 * this test's range: a published TXT record whose policy cannot be
	 * fetched (no traffic leaves the machine) */
	memset(&fo, 0, sizeof(fo));
	fo.timeout_ms = 5000;
	fo.connect_to = "::127.0.0.1:18499";
	if ((fx->sts = sts_new(fx->base, fx->dns, fx->cfg, &fo, NULL, &why)) == NULL)
		fail_msg("sts_new: %s", why.msg);
	sts_source_init(fx->sts, &es);
	assert_int_equal(engine_add_source(fx->eng, &es), 0);
	if (provider_service_new(fx->base, fx->cfg, fx->dns, &fx->prov, &why) < 0)
		fail_msg("provider: %s", why.msg);
	assert_int_equal(provider_source_init(provider_service_src(fx->prov), &es), 0);
	assert_int_equal(engine_add_source(fx->eng, &es), 0);
}

static void teardown_fx(struct fx *fx)
{
	engine_free(fx->eng);
	provider_service_free(fx->prov);
	sts_free(fx->sts);
	dane_service_free(fx->dane);
	dns_free(fx->dns);
	event_base_free(fx->base);
	config_free(fx->cfg);
	unlink(fx->dbpath);
}

static void run(struct fx *fx, const char *key, struct got *g)
{
	memset(g, 0, sizeof(*g));
	engine_lookup(fx->eng, key, cb, g);
	while (!g->done)
		if (event_base_loop(fx->base, EVLOOP_ONCE) < 0)
			fail_msg("event loop failed");
}

static void test_lab_cases(void **state)
{
	struct fx fx;
	size_t nfail = 0;

	(void)state;
	setup_fx(&fx, "dane-only");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct got g;
		char line[600];
		int ok;

		run(&fx, cases[i].key, &g);
		answer_line(&g, line, sizeof(line));
		if (strncmp(cases[i].want, "TEMP ", 5) == 0)
			ok = g.status == LOOKUP_TEMP && strstr(line, cases[i].want + 5) != NULL;
		else
			ok = strcmp(line, cases[i].want) == 0;
		if (!ok || g.src != cases[i].src) {
			print_error("%s: got \"%s\" from %s, want \"%s\" from %s\n", cases[i].key,
				    line, answer_source_name(g.src), cases[i].want,
				    answer_source_name(cases[i].src));
			nfail++;
		}
	}
	if (dns_replay_misses(fx.dns) != 0)
		fail_msg("%llu queries not in %s (see the answers' reasons)",
			 dns_replay_misses(fx.dns), rpl_path);
	teardown_fx(&fx);
	if (nfail)
		fail_msg("%zu of %zu cases wrong", nfail, sizeof(cases) / sizeof(cases[0]));
}

/* dane_answer = dane: every-MX-usable answers dane too (lab-answers.sh,
 * second part); dane_answer = notfound leaves them to Postfix. */
static void test_dane_answer_settings(void **state)
{
	struct fx fx;
	struct got g;

	(void)state;
	setup_fx(&fx, "dane");
	run(&fx, "dane-ee.example", &g);
	assert_int_equal(g.status, LOOKUP_OK);
	assert_string_equal(g.text, "dane");
	run(&fx, "dane-partial.example", &g);
	assert_string_equal(g.text, "dane");
	run(&fx, "dane-insecmx.example", &g);
	assert_string_equal(g.text, "dane");
	teardown_fx(&fx);

	setup_fx(&fx, "notfound");
	run(&fx, "dane-ee.example", &g);
	assert_int_equal(g.status, LOOKUP_NOTFOUND);
	assert_int_equal(g.src, ANSWER_DANE);
	/* behind an insecure MX: dane whatever dane_answer says */
	run(&fx, "dane-insecmx.example", &g);
	assert_int_equal(g.status, LOOKUP_OK);
	assert_string_equal(g.text, "dane");
	teardown_fx(&fx);
}

/* The queries as the dns layer saw them ("send MX dane-ee.example",
 * "answer TXT _mta-sts.dane-ee.example"), in order. */
struct trace {
	char line[256][96];
	size_t n;
};

static void trace_cb(void *arg, enum dns_trace_event ev, const char *name, int qtype)
{
	struct trace *t = arg;

	if (t->n < sizeof(t->line) / sizeof(t->line[0]))
		snprintf(t->line[t->n++], sizeof(t->line[0]), "%s %s %s",
			 ev == DNS_TRACE_SEND ? "send" : "answer", dns_type_name(qtype), name);
}

static size_t trace_find(const struct trace *t, const char *line)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->line[i], line) == 0)
			return i;
	fail_msg("\"%s\" not in the trace of %zu lines", line, t->n);
	return 0;
}

/* run() of domain with every query and answer traced into a new *t
 * (printed for the log); the caller frees it. */
static void traced_run(struct fx *fx, const char *domain, struct got *g,
		       struct trace **t)
{
	assert_non_null(*t = calloc(1, sizeof(**t)));
	setup_fx(fx, "dane-only");
	dns_set_trace(fx->dns, trace_cb, *t);
	run(fx, domain, g);
	dns_set_trace(fx->dns, NULL, NULL);
	for (size_t i = 0; i < (*t)->n; i++)
		print_message("  %s\n", (*t)->line[i]);
}

/*
 * Issue 20 item 4: the sources of one discovery run at once.  The
 * MTA-STS TXT query of dane-ee.example is sent before the answer to its
 * MX query arrived (DANE, the first source, is still deciding), the
 * provider's MX query too; the answer is still DANE's (precedence as
 * before).  The TLSA query goes out with the address queries, before
 * their answers (test_host_queries_overlap; RFC 7672 wants only that
 * TLSA counts behind secure addresses, not that it is asked after
 * them).  One after the other, the TXT query was sent only after DANE's
 * verdict: after every one of its answers.
 */
static void test_queries_overlap(void **state)
{
	struct fx fx;
	struct got g;
	struct trace *t;
	size_t mx_answer, txt_send;

	(void)state;
	traced_run(&fx, "dane-ee.example", &g, &t);
	assert_int_equal(g.status, LOOKUP_OK);
	assert_string_equal(g.text, "dane-only");
	assert_int_equal(g.src, ANSWER_DANE);
	assert_int_equal(trace_find(t, "send MX dane-ee.example"), 0);
	mx_answer = trace_find(t, "answer MX dane-ee.example");
	txt_send = trace_find(t, "send TXT _mta-sts.dane-ee.example");
	assert_true(txt_send < mx_answer);
	assert_true(trace_find(t, "send TLSA _25._tcp.mx.dane-ee.example") <
		    trace_find(t, "answer A mx.dane-ee.example"));
	teardown_fx(&fx);
	free(t);
}

/*
 * Issue 20 item 4, the MX hosts: once the MX RRset is in, the address
 * (A, AAAA) and TLSA queries of every MX host go out together.
 * dane-partial.example has two MX hosts (mx1 with usable TLSA, mx2
 * secure without): the TLSA query of the second host is sent before the
 * answer to any address or TLSA query of the first host arrived, and
 * each host's TLSA query before its own address answers.  Host by host
 * (TLSA only after that host's addresses were in), the TLSA query of
 * mx2 came after the answers of mx1.  The answer is the same "dane"
 * (partial: mx2 has no TLSA).  dane-insecure.example (unsigned zone,
 * host mx.dane-insecure.example below it) is still "_default" (RFC
 * 7672: TLSA counts only behind secure addresses; the lab's zone has an
 * insecure TLSA record there), and its host's TLSA is never asked: a
 * name below an insecure MX's domain cannot be secure.  Hosts of an
 * insecure MX RRset elsewhere (gmail-hosted.example: aspmx.l.google.com)
 * are still asked with their addresses.
 */
static void test_host_queries_overlap(void **state)
{
	static const char *const first[] = {
		"answer A mx1.dane-partial.example",
		"answer AAAA mx1.dane-partial.example",
		"answer TLSA _25._tcp.mx1.dane-partial.example",
	};
	struct fx fx;
	struct got g;
	struct trace *t;
	size_t mx_answer, tlsa2_send;

	(void)state;
	traced_run(&fx, "dane-partial.example", &g, &t);
	assert_int_equal(g.status, LOOKUP_OK);
	assert_string_equal(g.text, "dane");
	assert_int_equal(g.src, ANSWER_DANE);
	mx_answer = trace_find(t, "answer MX dane-partial.example");
	tlsa2_send = trace_find(t, "send TLSA _25._tcp.mx2.dane-partial.example");
	assert_true(mx_answer < tlsa2_send);
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		if (tlsa2_send > trace_find(t, first[i]))
			fail_msg("TLSA of mx2 sent after \"%s\"", first[i]);
	assert_true(trace_find(t, "send TLSA _25._tcp.mx1.dane-partial.example") <
		    trace_find(t, "answer A mx1.dane-partial.example"));
	assert_true(trace_find(t, "send TLSA _25._tcp.mx2.dane-partial.example") <
		    trace_find(t, "answer A mx2.dane-partial.example"));

	t->n = 0;
	dns_set_trace(fx.dns, trace_cb, t);
	run(&fx, "dane-insecure.example", &g);
	dns_set_trace(fx.dns, NULL, NULL);
	assert_int_equal(g.status, LOOKUP_OK);
	assert_string_equal(g.text, "encrypt");
	assert_int_equal(g.src, ANSWER_DEFAULT);
	trace_find(t, "answer A mx.dane-insecure.example");
	for (size_t i = 0; i < t->n; i++)
		if (strstr(t->line[i], "TLSA"))
			fail_msg("dane-insecure.example: \"%s\": the TLSA of a host below an "
				 "insecure MX was asked", t->line[i]);

	t->n = 0;
	dns_set_trace(fx.dns, trace_cb, t);
	run(&fx, "gmail-hosted.example", &g);
	dns_set_trace(fx.dns, NULL, NULL);
	assert_int_equal(g.status, LOOKUP_OK);
	assert_true(trace_find(t, "send TLSA _25._tcp.aspmx.l.google.com") <
		    trace_find(t, "answer A aspmx.l.google.com"));
	if (dns_replay_misses(fx.dns) != 0)
		fail_msg("%llu queries not in %s", dns_replay_misses(fx.dns), rpl_path);
	teardown_fx(&fx);
	free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_cases),
		cmocka_unit_test(test_dane_answer_settings),
		cmocka_unit_test(test_queries_overlap),
		cmocka_unit_test(test_host_queries_overlap),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_replay_lab LAB.RPL\n");
		return 2;
	}
	rpl_path = argv[1];
	log_init("test_replay_lab", LOG_DEST_STDERR, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
