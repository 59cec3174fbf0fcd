/* SPDX-License-Identifier: MIT */
/*
 * sts_engine_tool - test driver: the real engine with the admin's table
 * (setting database), the DANE source and the MTA-STS source (with its
 * persisted cache), set up the way the daemon does it, answers every
 * DOMAIN given (all at once) and prints one line per domain, in order:
 *
 *   DOMAIN STATUS SOURCE TEXT
 *
 * STATUS is OK, NOTFOUND, TEMP or PERM; SOURCE is table, default, dane,
 * sts, provider, none or error (engine.h).  The persisted MTA-STS cache
 * is loaded at start and written at the end, so two runs are a daemon
 * restart.
 *
 * Usage: sts_engine_tool -c CONFIG DOMAIN...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dane/dane.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "mtasts/sts.h"
#include "util/config.h"
#include "util/log.h"

struct job {
	const char *domain;
	char line[4096];
	int done;
	size_t *pending;
	struct event_base *base;
};

static void answer_cb(const struct engine_answer *ans, void *arg)
{
	static const char *const st[] = { "OK", "NOTFOUND", "TEMP", "PERM" };
	struct job *j = arg;

	snprintf(j->line, sizeof(j->line), "%s %s %s %s", j->domain, st[ans->status],
		 answer_source_name(ans->source), ans->text ? ans->text : "");
	j->done = 1;
	if (--*j->pending == 0)
		event_base_loopbreak(j->base);
}

int main(int argc, char **argv)
{
	struct config *cfg = config_new();
	struct event_base *base;
	struct engine *eng;
	struct dane_service *dane = NULL;
	struct dns *dns = NULL;
	struct sts *sts = NULL;
	struct errbuf why;
	struct job *jobs;
	size_t pending = 0;
	int c, n;

	log_init("sts_engine_tool", LOG_DEST_STDERR, NULL);
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c' || config_load_file(cfg, optarg, 0, &why) < 0) {
			fprintf(stderr, "usage: sts_engine_tool -c CONFIG DOMAIN...%s%s\n",
				c == 'c' ? ": " : "", c == 'c' ? why.msg : "");
			return 2;
		}
	}
	n = argc - optind;
	if (n < 1 || (jobs = calloc((size_t)n, sizeof(*jobs))) == NULL)
		return 2;
	errbuf_clear(&why);
	if ((base = event_base_new()) == NULL
	    || (eng = engine_new(base, cfg, NULL, &why)) == NULL
	    || (dns = dns_new(base, cfg, &why)) == NULL
	    || dane_service_new(base, cfg, dns, &dane, &why) < 0
	    || sts_service_new(base, cfg, dns, engine_worker(eng), config_get(cfg, "database"),
			       STS_PERSIST_LOAD | STS_PERSIST_SAVE, &sts, &why) < 0) {
		fprintf(stderr, "sts_engine_tool: %s\n", why.msg);
		return 1;
	}
	/* DANE (when on) then MTA-STS, as engine/sources.c stacks them */
	if (dane) {
		struct engine_source es;

		dane_source_init(dane_service_dane(dane), &es);
		engine_add_source(eng, &es);
	}
	{
		struct engine_source es;

		sts_source_init(sts, &es);
		engine_add_source(eng, &es);
	}
	for (int i = 0; i < n; i++) {
		jobs[i].domain = argv[optind + i];
		jobs[i].pending = &pending;
		jobs[i].base = base;
		pending++;
	}
	for (int i = 0; i < n; i++)
		engine_lookup(eng, jobs[i].domain, answer_cb, &jobs[i]);
	if (pending > 0)
		event_base_dispatch(base);
	for (int i = 0; i < n; i++)
		printf("%s\n", jobs[i].done ? jobs[i].line : "(no answer)");
	engine_free(eng);
	sts_free(sts);          /* writes the fetched policies */
	dane_service_free(dane);
	dns_free(dns);
	event_base_free(base);
	config_free(cfg);
	free(jobs);
	return 0;
}
