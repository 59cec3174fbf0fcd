/* SPDX-License-Identifier: MIT */
/*
 * metrics_http.c - the Prometheus endpoint (see metrics_http.h).
 */
#include "server/metrics_http.h"

#include "engine/engine.h"
#include "metrics/metrics.h"
#include "server/listener.h"
#include "server/server.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* LIMITS: the exposition is a few hundred lines. */
#define METRICS_BODY_MAX (256 * 1024)
#define METRICS_HTTP_TIMEOUT 10 /* seconds a scrape connection may take */

struct metrics_http {
	struct evhttp *http;
	struct engine *eng;
	struct server *srv;
	int exposed;
};

/* Label values of engine answer sources (Prometheus: lower case words). */
static const char *const source_label[ANSWER_SOURCE_COUNT] = {
	[ANSWER_TABLE] = "table", [ANSWER_DEFAULT] = "default",
	[ANSWER_DANE] = "dane", [ANSWER_STS] = "mtasts",
	[ANSWER_PROVIDER] = "provider", [ANSWER_NONE] = "notfound",
	[ANSWER_ERROR] = "error",
};
static const char *const reply_label[4] = { "OK", "NOTFOUND", "TEMP", "PERM" };

/* Lookups by source and reply kind, discovery. */
static int render_lookups(struct buf *b, const struct engine_stats *es)
{
	char lab[96];
	int rc = 0;

	rc |= metrics_family(b, "tlspolicy_build_info", "gauge",
			     "Version of the running daemon (always 1).");
	rc |= metrics_sample(b, "tlspolicy_build_info",
			     "version=\"" TLSPOLICY_VERSION "\"", 1);

	rc |= metrics_family(b, "tlspolicy_lookups_total", "counter",
			     "Socketmap lookups answered, by answer source and reply kind.");
	for (int s = 0; s < ANSWER_SOURCE_COUNT; s++)
		for (int k = 0; k < 4; k++) {
			/* every pair that can occur, zero or not (absent series
			 * break rate()); errors are TEMP/PERM, others OK/NOTFOUND */
			int err = s == ANSWER_ERROR, errk = k >= LOOKUP_TEMP;

			if (err != errk && es->by_source_status[s][k] == 0)
				continue;
			if (s == ANSWER_NONE && k == LOOKUP_OK && es->by_source_status[s][k] == 0)
				continue;
			snprintf(lab, sizeof(lab), "source=\"%s\",reply=\"%s\"",
				 source_label[s], reply_label[k]);
			rc |= metrics_sample(b, "tlspolicy_lookups_total", lab,
					     es->by_source_status[s][k]);
		}
	rc |= metrics_single(b, "tlspolicy_invalid_keys_total", "counter",
			     "Lookup keys refused as malformed (answered like unlisted keys).",
			     es->invalid_keys);

	rc |= metrics_family(b, "tlspolicy_discovery_duration_seconds", "histogram",
			     "Time each discovery source took to decide one domain.");
	for (int s = ANSWER_DANE; s <= ANSWER_PROVIDER; s++) {
		snprintf(lab, sizeof(lab), "source=\"%s\"", source_label[s]);
		rc |= metrics_hist_write(b, "tlspolicy_discovery_duration_seconds", lab,
					 &es->disc_latency[s]);
	}
	rc |= metrics_single(b, "tlspolicy_discoveries_total", "counter",
			     "Discoveries started for lookups (not refresh-ahead).",
			     es->discoveries);
	rc |= metrics_single(b, "tlspolicy_discoveries_coalesced_total", "counter",
			     "Lookups that joined a discovery already running for the domain.",
			     es->coalesced);
	rc |= metrics_single(b, "tlspolicy_refreshes_total", "counter",
			     "Refresh-ahead discoveries started.",
			     es->refreshes_started);
	rc |= metrics_family(b, "tlspolicy_deadline_answers_total", "counter",
			     "Lookups answered at lookup_deadline, by what was answered.");
	rc |= metrics_sample(b, "tlspolicy_deadline_answers_total", "answer=\"stale\"",
			     es->deadline_stale);
	rc |= metrics_sample(b, "tlspolicy_deadline_answers_total", "answer=\"notfound\"",
			     es->deadline_notfound);

	return rc;
}

/* Cache, MTA-STS fetches, DNSSEC, the table snapshot. */
static int render_state(struct buf *b, const struct engine_stats *es)
{
	unsigned long long hits, disc;
	char lab[96];
	int rc = 0;

	rc |= metrics_single(b, "tlspolicy_cache_entries", "gauge",
			     "Domains in the discovery cache.",
			     es->cache_entries);
	rc |= metrics_single(b, "tlspolicy_cache_hits_total", "counter",
			     "Lookups answered from a fresh cached discovery decision.",
			     es->cache_hits);
	hits = es->cache_hits;
	disc = es->discoveries + es->coalesced;
	rc |= metrics_family(b, "tlspolicy_cache_hit_ratio", "gauge",
			     "Cache hits over cache hits plus discoveries since start (0 before any).");
	rc |= metrics_sample_double(b, "tlspolicy_cache_hit_ratio", "",
				    hits + disc ? (double)hits / (double)(hits + disc) : 0);

	rc |= metrics_family(b, "tlspolicy_mtasts_fetches_total", "counter",
			     "MTA-STS policy fetches over HTTPS, by result.");
	for (int i = 0; i < METRICS_STS_COUNT; i++) {
		snprintf(lab, sizeof(lab), "result=\"%s\"", metrics_sts_fetch_name(i));
		rc |= metrics_sample(b, "tlspolicy_mtasts_fetches_total", lab,
				     metrics_read(&metrics_g.sts_fetch[i]));
	}
	rc |= metrics_single(b, "tlspolicy_dnssec_failures_total", "counter",
			     "DNS answers that failed DNSSEC validation (bogus).",
			     metrics_read(&metrics_g.dnssec_bogus));

	rc |= metrics_single(b, "tlspolicy_table_rows", "gauge",
			     "Rows of the policy table snapshot in use.",
			     es->table_rows);
	rc |= metrics_single(b, "tlspolicy_table_invalid_rows", "gauge",
			     "Rows of the policy table skipped as invalid.",
			     es->table_invalid_rows);
	rc |= metrics_single(b, "tlspolicy_snapshot_timestamp_seconds", "gauge",
			     "When the table snapshot in use was loaded (Unix time).",
			     (unsigned long long)(es->snapshot_time > 0 ? es->snapshot_time : 0));
	rc |= metrics_family(b, "tlspolicy_snapshot_age_seconds", "gauge",
			     "Seconds since the table snapshot in use was loaded.");
	{
		long long age = es->snapshot_time > 0 ? (long long)time(NULL) - es->snapshot_time : 0;

		rc |= metrics_sample(b, "tlspolicy_snapshot_age_seconds", "",
				     (unsigned long long)(age > 0 ? age : 0));
	}
	rc |= metrics_single(b, "tlspolicy_reloads_total", "counter",
			     "Table reloads that swapped in a new snapshot.",
			     es->reloads);
	rc |= metrics_single(b, "tlspolicy_reload_failures_total", "counter",
			     "Table reloads that failed (the old snapshot kept serving).",
			     es->reload_failures);
	rc |= metrics_single(b, "tlspolicy_reload_unchanged_total", "counter",
			     "Timer reloads that read only the change marker: the table had not changed.",
			     es->reload_unchanged);
	rc |= metrics_single(b, "tlspolicy_shadow_answers_total", "counter",
			     "Answers made NOTFOUND by shadow mode (setting shadow, rows marked testing).",
			     es->shadow_answers);
	rc |= metrics_single(b, "tlspolicy_bypasses_active", "gauge",
			     "Emergency bypasses (tlspolicy bypass) not expired.",
			     es->bypass_active);
	rc |= metrics_single(b, "tlspolicy_bypass_answers_total", "counter",
			     "Lookups answered from an emergency bypass (also counted as source table).",
			     es->bypass_answers);
	rc |= metrics_single(b, "tlspolicy_database_up", "gauge",
			     "1 when the last table reload read the database, else 0.",
			     es->db_down ? 0 : 1);
	/* a MariaDB replica (its state readable: SLAVE MONITOR) */
	rc |= metrics_family(b, "tlspolicy_database_replication_running", "gauge",
			     "1 when the database replica's IO and SQL threads run, 0 when "
			     "one stopped (no sample: not a replica, or not readable).");
	if (es->replica_known)
		rc |= metrics_sample(b, "tlspolicy_database_replication_running", "",
				     (unsigned long long)es->replica_running);
	rc |= metrics_family(b, "tlspolicy_database_replica_lag_seconds", "gauge",
			     "Seconds the database replica is behind its primary at the last "
			     "reload (no sample: not a replica, or a thread stopped).");
	if (es->replica_known && es->replica_lag >= 0)
		rc |= metrics_sample(b, "tlspolicy_database_replica_lag_seconds", "",
				     (unsigned long long)es->replica_lag);

	return rc;
}

static int render_server(struct buf *b, const struct server_stats *ss)
{
	int rc = 0;

	rc |= metrics_single(b, "tlspolicy_connections", "gauge",
			     "Socketmap client connections open.",
			     ss->connections);
	rc |= metrics_single(b, "tlspolicy_connections_accepted_total", "counter",
			     "Socketmap client connections accepted.",
			     ss->accepted);
	rc |= metrics_single(b, "tlspolicy_connections_refused_total", "counter",
			     "Connections refused at max_connections (all waiting for answers).",
			     ss->refused_cap);
	rc |= metrics_family(b, "tlspolicy_connections_closed_total", "counter",
			     "Connections closed by the daemon, by reason.");
	rc |= metrics_sample(b, "tlspolicy_connections_closed_total", "reason=\"idle\"",
			     ss->closed_idle);
	rc |= metrics_sample(b, "tlspolicy_connections_closed_total", "reason=\"slow\"",
			     ss->closed_slow);
	rc |= metrics_sample(b, "tlspolicy_connections_closed_total", "reason=\"unread\"",
			     ss->closed_unread);
	rc |= metrics_sample(b, "tlspolicy_connections_closed_total", "reason=\"malformed\"",
			     ss->closed_malformed);
	rc |= metrics_sample(b, "tlspolicy_connections_closed_total", "reason=\"evicted\"",
			     ss->evicted_idle);
	rc |= metrics_single(b, "tlspolicy_requests_total", "counter",
			     "Socketmap requests read (including malformed ones).",
			     ss->requests);
	return rc;
}

int metrics_render(struct buf *b, struct engine *eng, struct server *srv)
{
	struct engine_stats *es = xcalloc(1, sizeof(*es));
	struct server_stats ss;
	int rc;

	engine_stats(eng, es);
	if (srv) {
		/* PERM replies the server gives itself (malformed request,
		 * unknown map name) count as source "error" too */
		server_stats(srv, &ss);
		es->by_source_status[ANSWER_ERROR][LOOKUP_PERM] += ss.perm_replies;
	}
	rc = render_lookups(b, es) | render_state(b, es);
	if (srv)
		rc |= render_server(b, &ss);
	free(es);
	return rc ? -1 : 0;
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	struct evbuffer *out;
	struct buf b;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "only GET and HEAD");
		return;
	}
	if (strcmp(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)) ?
		   evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)) : "",
		   "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics here");
		return;
	}
	buf_init(&b, METRICS_BODY_MAX);
	if (metrics_render(&b, m->eng, m->srv) < 0 || (out = evbuffer_new()) == NULL) {
		buf_free(&b);
		log_warnx("metrics: exposition larger than %d bytes", METRICS_BODY_MAX);
		evhttp_send_error(req, HTTP_INTERNAL, "exposition too large");
		return;
	}
	evbuffer_add(out, b.data, b.len);
	buf_free(&b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

struct metrics_http *metrics_http_new(struct event_base *base, const char *spec,
				      struct engine *eng, struct errbuf *why)
{
	char host[256], port[16], path[8];
	struct metrics_http *m;
	struct in6_addr a6;
	struct in_addr a4;
	char *end;
	long p;

	if (strpbrk(spec, " \t,") != NULL) {
		errbuf_set(why, "metrics_listen: one inet:HOST:PORT only");
		return NULL;
	}
	if (listener_spec_parse(spec, host, sizeof(host), port, sizeof(port),
				path, sizeof(path), why) != 0) {
		if (why && !why->msg[0])
			errbuf_set(why, "metrics_listen: \"%s\": only inet:HOST:PORT", spec);
		else if (why)
			errbuf_prefix(why, "metrics_listen");
		return NULL;
	}
	p = strtol(port, &end, 10);
	if (*end || p <= 0 || p > 65535) {
		errbuf_set(why, "metrics_listen: bad port \"%s\"", port);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->eng = eng;
	if (inet_pton(AF_INET, host, &a4) == 1)
		m->exposed = (ntohl(a4.s_addr) >> 24) != 127;
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		m->exposed = !IN6_IS_ADDR_LOOPBACK(&a6);
	else
		m->exposed = strcmp(host, "localhost") != 0;
	if ((m->http = evhttp_new(base)) == NULL) {
		free(m);
		errbuf_set(why, "metrics_listen: out of memory");
		return NULL;
	}
	/* others get 405 from metrics_cb (libevent itself would say 501) */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
				   EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(m->http, METRICS_HTTP_TIMEOUT);
	evhttp_set_max_headers_size(m->http, 16384);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_gencb(m->http, metrics_cb, m);
	if (evhttp_bind_socket_with_handle(m->http, host, (ev_uint16_t)p) == NULL) {
		evhttp_free(m->http);
		free(m);
		errbuf_set(why, "metrics_listen %s: cannot listen (address in use or "
			   "not local?)", spec);
		return NULL;
	}
	return m;
}

void metrics_http_set_server(struct metrics_http *m, struct server *srv)
{
	if (m)
		m->srv = srv;
}

int metrics_http_exposed(const struct metrics_http *m)
{
	return m && m->exposed;
}

void metrics_http_free(struct metrics_http *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http);
	free(m);
}
