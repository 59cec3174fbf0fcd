/* SPDX-License-Identifier: MIT */
/*
 * sources.c - set-up of the discovery sources (see sources.h).
 */
#include "engine/sources.h"
#include "dane/dane.h"
#include "engine/engine.h"

#include <stdlib.h>

struct engine_sources {
	struct dane_service *dane;
	/* SOURCES-FIELDS: MTA-STS and provider services here */
};

int engine_sources_new(struct event_base *base, const struct config *cfg,
		       struct engine *eng, struct engine_sources **out,
		       struct errbuf *why)
{
	struct engine_sources *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return errbuf_set(why, "out of memory");
	/* 1. DANE */
	if (dane_service_new(base, cfg, eng, &s->dane, why) < 0)
		goto fail;
	/* SOURCES: 2. MTA-STS, 3. provider templates, in this order */
	*out = s;
	return 0;
fail:
	engine_sources_free(s);
	return -1;
}

void engine_sources_free(struct engine_sources *s)
{
	if (s == NULL)
		return;
	/* reverse order of set-up */
	dane_service_free(s->dane);
	free(s);
}
