/* SPDX-License-Identifier: MIT */
/*
 * sources - the discovery sources of the daemon and of `tlspolicy
 * query`, set up in one place so both answer alike: the stack.  The
 * sources know only engine/source.h; this is the one place that knows
 * both them and the engine, makes the one DNS context they share,
 * builds each service and registers its source with engine_add_source()
 * in precedence order: DANE, MTA-STS, provider templates
 * (ARCHITECTURE.md; as Unbound's module stack is built in one place).
 * With the setting `discovery = no` the engine ignores them (engine.h).
 */
#ifndef TP_ENGINE_SOURCES_H
#define TP_ENGINE_SOURCES_H

#include <stddef.h>
#include "util/errbuf.h"

struct event_base;
struct config;
struct engine;
struct engine_sources;

/* Creates every discovery service on base and adds its source to eng.
 * db_url (NULL: the setting `database`) holds the MTA-STS cache,
 * loaded and/or saved as persist_flags (STS_PERSIST_LOAD|_SAVE, see
 * mtasts/sts.h) say.  Errors name the setting at fault. */
int engine_sources_new(struct event_base *base, const struct config *cfg,
		       struct engine *eng, const char *db_url,
		       unsigned persist_flags, struct engine_sources **out,
		       struct errbuf *why);
/* The same on dns (not NULL: the caller's context, e.g. a DNS replay
 * in tests, dns/replay.h; it must outlive srcs). */
struct dns;
int engine_sources_new_dns(struct event_base *base, const struct config *cfg,
			   struct engine *eng, struct dns *dns, const char *db_url,
			   unsigned persist_flags, struct engine_sources **out,
			   struct errbuf *why);
/* The sources in the precedence order engine_sources_new() added them
 * (DANE when it is on, MTA-STS, provider templates with
 * provider_policies = yes), for a second engine on the same services
 * (cli/published.h).  Fills out (at most max), returns the count. */
#define ENGINE_SOURCES_MAX 8
struct engine_source;
size_t engine_sources_list(const struct engine_sources *srcs,
			   struct engine_source *out, size_t max);

/* Takes the live settings of the sources from cfg (SIGHUP): dane_answer,
 * sts_testing, sts_servername (cached MTA-STS answers are made again).
 * The others need a restart (server/daemon_main.c says which). */
int engine_sources_reconfigure(struct engine_sources *srcs, const struct config *cfg,
			       struct errbuf *why);

/* After engine_free() (the engine may cancel discoveries). */
void engine_sources_free(struct engine_sources *srcs);

/* The services behind the sources, for commands that show their facts
 * (`check`) without a second DNS context.  Owned by srcs; NULL when the
 * service is off (DANE without a trust anchor). */
struct dane_service;
struct sts;
struct provider_service;
struct dns;
/* The one DNS context every source uses (made by engine_sources_new(),
 * freed by engine_sources_free()). */
struct dns *engine_sources_dns(const struct engine_sources *srcs);
struct dane_service *engine_sources_dane(const struct engine_sources *srcs);
struct sts *engine_sources_sts(const struct engine_sources *srcs);
struct provider_service *engine_sources_provider(const struct engine_sources *srcs);

#endif
