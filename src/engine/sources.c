/* SPDX-License-Identifier: MIT */
/*
 * sources.c - set-up of the discovery sources (see sources.h).
 */
#include "engine/sources.h"
#include "dane/dane.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "mtasts/sts.h"
#include "mtasts/sts_cache.h"
#include "mtasts/sts_policy.h"
#include "provider/provider.h"
#include "util/config.h"

#include <stdlib.h>

struct engine_sources {
	struct dns *dns;        /* the one DNS context every source uses */
	struct dns *own_dns;    /* dns when made here (freed here) */
	struct dane_service *dane;
	struct sts *sts;
	struct provider_service *provider;
	int provider_on;        /* provider_policies */
};

size_t engine_sources_list(const struct engine_sources *s, struct engine_source *out,
			   size_t max)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	if (s->dane && n < max && dane_source_init(dane_service_dane(s->dane), &out[n]) == 0)
		n++;
	if (s->sts && n < max)
		sts_source_init(s->sts, &out[n++]);
	if (s->provider && s->provider_on && n < max &&
	    provider_source_init(provider_service_src(s->provider), &out[n]) == 0)
		n++;
	return n;
}

int engine_sources_new(struct event_base *base, const struct config *cfg,
		       struct engine *eng, const char *db_url,
		       unsigned persist_flags, struct engine_sources **out,
		       struct errbuf *why)
{
	return engine_sources_new_dns(base, cfg, eng, NULL, db_url, persist_flags, out, why);
}

int engine_sources_new_dns(struct event_base *base, const struct config *cfg,
			   struct engine *eng, struct dns *dns, const char *db_url,
			   unsigned persist_flags, struct engine_sources **out,
			   struct errbuf *why)
{
	struct engine_sources *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return errbuf_set(why, "out of memory");
	/* The services first, then their sources in precedence order, the
	 * same list engine_sources_list() gives other engines. */
	s->provider_on = config_get_bool(cfg, "provider_policies");
	/* 0. one DNS context, validating unless dns_trust_anchor_file is
	 * empty (then DANE is off and the others get unvalidated answers) */
	if (dns != NULL)
		s->dns = dns;
	else if ((s->dns = s->own_dns = dns_new(base, cfg, why)) == NULL)
		goto fail;
	/* 1. DANE */
	if (dane_service_new(base, cfg, s->dns, &s->dane, why) < 0)
		goto fail;
	/* 2. MTA-STS (cache persisted in the policy database; it writes
	 * there: the primary, database_write, when database is a replica) */
	if (sts_service_new(base, cfg, s->dns, eng ? engine_worker(eng) : NULL,
			    db_url ? db_url : config_database_write(cfg),
			    persist_flags, &s->sts, why) < 0)
		goto fail;
	/* 3. provider templates (a source only with provider_policies = yes) */
	if (provider_service_new(base, cfg, s->dns, &s->provider, why) < 0)
		goto fail;
	if (eng) {
		struct engine_source list[ENGINE_SOURCES_MAX];
		size_t n = engine_sources_list(s, list, ENGINE_SOURCES_MAX);

		for (size_t i = 0; i < n; i++)
			if (engine_add_source(eng, &list[i]) < 0) {
				errbuf_set(why, "cannot add the %s source to the engine",
					   list[i].name);
				goto fail;
			}
	}
	*out = s;
	return 0;
fail:
	engine_sources_free(s);
	return -1;
}

int engine_sources_reconfigure(struct engine_sources *s, const struct config *cfg,
			       struct errbuf *why)
{
	struct sts_answer_opts ao;

	if (s->dane)
		dane_service_reconfigure(s->dane, cfg);
	if (s->sts) {
		if (sts_answer_opts_from_config(cfg, &ao, why) < 0)
			return -1;
		sts_cache_set_answer_opts(sts_cache_of(s->sts), &ao);
	}
	return 0;
}

void engine_sources_free(struct engine_sources *s)
{
	if (s == NULL)
		return;
	/* reverse order of set-up; each before the dns context it uses */
	provider_service_free(s->provider);
	sts_free(s->sts);
	dane_service_free(s->dane);
	dns_free(s->own_dns);
	free(s);
}

struct dns *engine_sources_dns(const struct engine_sources *s)
{
	return s ? s->dns : NULL;
}

struct dane_service *engine_sources_dane(const struct engine_sources *s)
{
	return s ? s->dane : NULL;
}

struct sts *engine_sources_sts(const struct engine_sources *s)
{
	return s ? s->sts : NULL;
}

struct provider_service *engine_sources_provider(const struct engine_sources *s)
{
	return s ? s->provider : NULL;
}
