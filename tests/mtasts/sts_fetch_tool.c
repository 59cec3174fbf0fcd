/* SPDX-License-Identifier: MIT */
/*
 * sts_fetch_tool - test driver for sts_fetch: fetches every URL given,
 * all at once on one libevent loop, and prints one line per URL in the
 * order given:
 *
 *   URL ok STATUS BYTES MODE MAX_AGE MX,MX...   (fetched and parsed)
 *   URL invalid STATUS BYTES REASON               (fetched, not a policy)
 *   URL fail STATUS REASON                        (not fetched)
 *
 * Usage: sts_fetch_tool [-C CAFILE] [-t TIMEOUT_MS] [-p PARALLEL]
 *                       [-x CONNECT_TO] [-r REPLAY | -R RESOLVERS]
 *                       [-H HOSTS] [-k MS] [-s] [-m] URL...
 * -r / -R: the fetcher resolves policy hosts through a dns context
 * (sts_fetch_opts.dns): answers from a replay file (dns/replay.h), or
 * libunbound forwarding to RESOLVERS (as dns_resolvers; no trust
 * anchor; -H: and a hosts(5) file, as the daemon's /etc/hosts).
 * Without either, libcurl resolves.
 * -k: cancels every fetch still running MS ms after the start (its
 * line says "URL cancelled").
 * -m: a last line "metrics ok=N http=N ..." with the fetch results the
 * Prometheus counters saw (metrics/metrics.h, issue 13).
 * A URL "domain:NAME" fetches the policy of NAME (sts_fetch_start).
 * -s: one after the other on the same fetcher (each starts when the one
 * before finished); then "trust:FILE" replaces the contents of CAFILE
 * with FILE's and calls sts_fetcher_reload_trust() (printing
 * "trust:FILE reloaded").
 * Exit: 0 when every line was printed, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns/dns.h"
#include "dns/replay.h"
#include "mtasts/sts_fetch.h"
#include "mtasts/sts_policy.h"
#include "metrics/metrics.h"

struct job {
	const char *url;
	struct sts_fetch *h; /* while running */
	char line[1024];
	int done;
};

static struct {
	struct sts_fetcher *f;
	struct job *jobs;
	int n, next;
	const char *ca_file;
} seq;

static void start_job(struct sts_fetcher *f, struct job *j);

/* -s: "trust:FILE" copies FILE over the CA file (a new inode, as a
 * package update does) and reloads. */
static void trust_swap(struct job *j)
{
	char tmp[4096], buf[8192];
	FILE *in, *out;
	size_t n;

	j->done = 1;
	snprintf(tmp, sizeof(tmp), "%s.new", seq.ca_file);
	if (seq.ca_file == NULL || (in = fopen(j->url + 6, "rb")) == NULL
	    || (out = fopen(tmp, "wb")) == NULL) {
		snprintf(j->line, sizeof(j->line), "%s cannot copy", j->url);
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	if (fclose(out) != 0 || rename(tmp, seq.ca_file) != 0) {
		snprintf(j->line, sizeof(j->line), "%s cannot copy", j->url);
		return;
	}
	sts_fetcher_reload_trust(seq.f);
	snprintf(j->line, sizeof(j->line), "%s reloaded", j->url);
}

/* -s: the next job, once the one before finished. */
static void start_next(void)
{
	while (seq.next < seq.n) {
		struct job *j = &seq.jobs[seq.next++];

		if (strncmp(j->url, "trust:", 6) == 0) {
			trust_swap(j);
			continue;
		}
		start_job(seq.f, j);
		return;
	}
}

static void done_cb(void *arg, const struct sts_fetch_result *res)
{
	struct job *j = arg;
	struct sts_policy *p;
	struct errbuf why;

	j->done = 1;
	j->h = NULL;
	if (seq.f)
		start_next(); /* from the loop, as the daemon would */
	if (!res->ok) {
		snprintf(j->line, sizeof(j->line), "%s fail %ld %s", j->url,
			 res->http_status, res->error);
		return;
	}
	if (sts_policy_parse(res->body, res->len, &p, &why) < 0) {
		snprintf(j->line, sizeof(j->line), "%s invalid %ld %zu %s", j->url,
			 res->http_status, res->len, why.msg);
		return;
	}
	{
		size_t o = (size_t)snprintf(j->line, sizeof(j->line), "%s ok %ld %zu %s %lu ",
					    j->url, res->http_status, res->len,
					    sts_mode_name(p->mode), p->max_age);
		for (size_t i = 0; i < p->nmx && o < sizeof(j->line); i++)
			o += (size_t)snprintf(j->line + o, sizeof(j->line) - o, "%s%s",
					      i ? "," : "", p->mx[i]);
		if (p->nmx == 0 && o < sizeof(j->line))
			snprintf(j->line + o, sizeof(j->line) - o, "-");
	}
	sts_policy_free(p);
}

static void start_job(struct sts_fetcher *f, struct job *j)
{
	if (strncmp(j->url, "domain:", 7) == 0)
		j->h = sts_fetch_start(f, j->url + 7, done_cb, j);
	else
		j->h = sts_fetch_url(f, j->url, done_cb, j);
}

static struct {
	struct job *jobs;
	int n;
	struct dns *dns;
} kill_all;

/* -k: cancels what still runs, and the loop ends. */
static void cancel_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (int i = 0; i < kill_all.n; i++) {
		struct job *j = &kill_all.jobs[i];

		if (!j->done && j->h) {
			sts_fetch_cancel(j->h);
			j->h = NULL;
			j->done = 1;
			snprintf(j->line, sizeof(j->line), "%s cancelled", j->url);
		}
	}
	if (kill_all.dns && dns_pending(kill_all.dns) != 0)
		printf("dns pending %zu\n", dns_pending(kill_all.dns));
}

int main(int argc, char **argv)
{
	struct sts_fetch_opts opts = { 0 };
	struct event_base *base;
	struct sts_fetcher *f;
	struct errbuf why;
	struct job *jobs;
	struct event *cancel_ev = NULL;
	const char *replay = NULL, *resolvers = NULL;
	long cancel_ms = -1;
	const char *hosts = NULL;
	int c, n, sequential = 0, metrics = 0;

	while ((c = getopt(argc, argv, "C:H:k:p:r:R:st:x:m")) != -1) {
		switch (c) {
		case 'k':
			cancel_ms = strtol(optarg, NULL, 10);
			break;
		case 'H':
			hosts = optarg;
			break;
		case 'r':
			replay = optarg;
			break;
		case 'R':
			resolvers = optarg;
			break;
		case 'C':
			opts.ca_file = optarg;
			break;
		case 't':
			opts.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'x':
			opts.connect_to = optarg;
			break;
		case 'm':
			metrics = 1;
			break;
		case 'p':
			opts.max_parallel = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			sequential = 1;
			break;
		default:
			fprintf(stderr, "usage: sts_fetch_tool [-C CAFILE] [-t MS] "
				"[-p PARALLEL] [-x CONNECT_TO] [-r REPLAY | -R RESOLVERS] "
				"[-H HOSTS] [-k MS] [-s] [-m] URL...\n");
			return 2;
		}
	}
	n = argc - optind;
	if (n < 1) {
		fprintf(stderr, "sts_fetch_tool: no URL\n");
		return 2;
	}
	if ((base = event_base_new()) == NULL
	    || (jobs = calloc((size_t)n, sizeof(*jobs))) == NULL) {
		fprintf(stderr, "sts_fetch_tool: out of memory\n");
		return 1;
	}
	if (replay) {
		struct replay *r = replay_load(replay, &why);

		if (r == NULL || (opts.dns = dns_new_replay(base, r)) == NULL) {
			fprintf(stderr, "sts_fetch_tool: %s\n", r ? "out of memory" : why.msg);
			return 1;
		}
	} else if (resolvers) {
		struct dns_opts d = { .resolvers = resolvers, .unvalidated = 1,
				      .hosts_file = hosts };

		if ((opts.dns = dns_new_opts(base, &d, &why)) == NULL) {
			fprintf(stderr, "sts_fetch_tool: %s\n", why.msg);
			return 1;
		}
	}
	if ((f = sts_fetcher_new(base, &opts, &why)) == NULL) {
		fprintf(stderr, "sts_fetch_tool: %s\n", why.msg);
		return 1;
	}
	for (int i = 0; i < n; i++)
		jobs[i].url = argv[optind + i];
	if (sequential) {
		seq.f = f;
		seq.jobs = jobs;
		seq.n = n;
		seq.ca_file = opts.ca_file;
		start_next();
	} else {
		for (int i = 0; i < n; i++)
			start_job(f, &jobs[i]);
	}
	if (cancel_ms >= 0) {
		struct timeval tv = { cancel_ms / 1000, (cancel_ms % 1000) * 1000 };

		kill_all.jobs = jobs;
		kill_all.n = n;
		kill_all.dns = opts.dns;
		if ((cancel_ev = evtimer_new(base, cancel_cb, NULL)) == NULL) {
			fprintf(stderr, "sts_fetch_tool: out of memory\n");
			return 1;
		}
		evtimer_add(cancel_ev, &tv);
	}
	event_base_dispatch(base);
	for (int i = 0; i < n; i++)
		printf("%s\n", jobs[i].done ? jobs[i].line : "(no callback)");
	if (sts_fetcher_pending(f) != 0)
		printf("pending %zu\n", sts_fetcher_pending(f));
	if (metrics) {
		printf("metrics");
		for (int i = 0; i < METRICS_STS_COUNT; i++)
			printf(" %s=%llu", metrics_sts_fetch_name(i),
			       metrics_read(&metrics_g.sts_fetch[i]));
		printf("\n");
	}
	sts_fetcher_free(f);
	dns_free(opts.dns);
	if (cancel_ev)
		event_free(cancel_ev);
	event_base_free(base);
	free(jobs);
	return 0;
}
