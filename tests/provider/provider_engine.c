/* SPDX-License-Identifier: MIT */
/*
 * provider_engine - test tool: the engine as the daemon will run it,
 * with the discovery sources in their documented order (DANE, MTA-STS,
 * provider templates), answering each key given on the command line:
 *     KEY<TAB>SOURCE<TAB>STATUS<TAB>TEXT
 * Used by provider-lab.sh to show that provider templates are answered
 * through the engine and only below DANE and MTA-STS.
 *
 * usage: provider_engine CONFIG DB-URL KEY...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dane/dane.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "engine/sources.h"
#include "mtasts/sts.h"
#include "provider/provider.h"
#include "util/config.h"
#include "util/log.h"

static int pending;

static void cb(const struct engine_answer *a, void *arg)
{
	static const char *const st[] = { "OK", "NOTFOUND", "TEMP", "PERM" };

	printf("%s\t%s\t%s\t%s\n", (const char *)arg, answer_source_name(a->source),
	       st[a->status], a->text ? a->text : "");
	pending--;
}

int main(int argc, char **argv)
{
	struct config *cfg = config_new();
	struct errbuf why;
	struct event_base *base;
	struct engine *eng;
	struct engine_sources *srcs = NULL;

	log_init("provider_engine", LOG_DEST_STDERR, NULL);
	if (argc < 4) {
		fprintf(stderr, "usage: provider_engine CONFIG DB-URL KEY...\n");
		return 2;
	}
	errbuf_clear(&why);
	if (config_load_file(cfg, argv[1], 0, &why) < 0 || (base = event_base_new()) == NULL ||
	    (eng = engine_new(base, cfg, argv[2], &why)) == NULL ||
	    engine_sources_new(base, cfg, eng, NULL, 0, &srcs, &why) < 0) {
		fprintf(stderr, "provider_engine: %s\n", why.msg);
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		pending++;
		engine_lookup(eng, argv[i], cb, argv[i]);
	}
	while (pending > 0)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	engine_free(eng);
	engine_sources_free(srcs);
	event_base_free(base);
	config_free(cfg);
	return 0;
}
