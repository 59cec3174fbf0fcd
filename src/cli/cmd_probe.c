/* SPDX-License-Identifier: MIT */
/*
 * cmd_probe.c - tlspolicy probe [options] HOST[:PORT]...: connects to
 * each SMTP server, reads the banner, says EHLO, does STARTTLS when
 * offered and prints what it found (src/probe/probe.h): extensions, TLS
 * version and cipher, the certificate chain with Postfix-style SHA-256
 * fingerprints, chain verification (system CA store, or smtp_ca_file /
 * --ca-file), the names the certificate is valid for and the TLSA
 * match.  Several hosts are probed concurrently; the output keeps the
 * order of the arguments.
 *
 * Which argument is a domain and which a host, as posttls-finger(1)
 * tells them: a bare NAME is a destination domain: its MX hosts are
 * looked up and each is probed, in preference order (a name without MX
 * records is its own host, RFC 5321 section 5.1, so `probe mx1.example`
 * still probes that host); [NAME], [NAME]:PORT, NAME:PORT (a port names
 * one server), IPv4 and IPv6 addresses (in brackets when a port
 * follows: [::1]:2525) are that host, without an MX lookup.
 *
 * --policy TEXT judges a Postfix TLS policy against what was found,
 * with Postfix's rules (probe/namematch.h): "would deliver" or not and
 * why; --nexthop gives the next-hop domain for nexthop/dot-nexthop
 * (default: the host).
 *
 * Exit: 0 when every host gave an SMTP session (and, with --policy, the
 * policy would deliver to each); 1 otherwise; 2 usage.
 */
#include "cli/cli.h"
#include "util/json.h"
#include "dns/dns.h"
#include "dns/rr.h"
#include "policy/policy.h"
#include "probe/probe.h"
#include "util/config.h"
#include "util/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <event2/event.h>

#define PROBE_CLI_MAX_HOSTS 1000

#define PROBE_CLI_MAX_MX 16   /* MX hosts probed per domain, as check */

struct probe_item {
	char host[PROBE_HOST_MAX];
	unsigned port;
	char domain[PROBE_HOST_MAX]; /* "": a host argument; else its MX host */
	unsigned pref;
	int done, ok, delivers;
	char *text;          /* the report, captured */
	size_t textlen;
	struct probe_cli *run;
};

struct probe_cli {
	struct cli *cli;
	struct policy *policy;
	const char *policy_text;
	const char *nexthop;
	size_t pending;
};

static void probe_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy probe [--servername NAME] [--ca-file FILE] [--timeout S]\n"
		"                       [--helo NAME] [--policy TEXT [--nexthop DOMAIN]]\n"
		"                       [--json] DOMAIN|[HOST]|HOST:PORT...\n"
		"\n"
		"Connects to each SMTP server (port 25 unless given), reads the banner,\n"
		"sends EHLO, does STARTTLS when offered and reports the extensions, the\n"
		"TLS version and cipher, the certificate chain (subject, issuer, names,\n"
		"validity, key, SHA-256 fingerprints of certificate and public key in\n"
		"Postfix's AA:BB:... form), chain verification, the names the\n"
		"certificate is valid for and, when the host has TLSA records, which\n"
		"record matches.  As posttls-finger: a bare DOMAIN is a destination: its\n"
		"MX hosts are probed in preference order (no MX records: the name itself);\n"
		"[HOST], [HOST]:PORT, HOST:PORT and addresses are that server, no MX\n"
		"lookup ([IPv6]:PORT with a port).\n"
		"  --servername NAME  send SNI NAME (default: none, as Postfix at verify/secure)\n"
		"  --ca-file FILE     trust these CAs (default: smtp_ca_file, else the system store)\n"
		"  --timeout S        timeout of each step in seconds (default: probe_timeout)\n"
		"  --helo NAME        EHLO name (default: this host's name)\n"
		"  --policy TEXT      judge a Postfix TLS policy (\"secure match=.example.com\")\n"
		"  --nexthop DOMAIN   next-hop domain for nexthop/dot-nexthop (default: HOST)\n"
		"  --json             one JSON object per host a line; an MX host of a DOMAIN:\n"
		"                     {domain, mx_host: {name, preference}, probe: {...}}\n"
		"Exit 0 when every host gave an SMTP session (and --policy would deliver),\n"
		"1 otherwise, 2 usage.\n");
}

/* Splits HOST[:PORT]; returns 0 or -1.  *domain = 1 for a bare name
 * (no brackets, no port): a destination whose MX hosts are probed. */
static int split_host(const char *arg, char *host, size_t hostlen, unsigned *port,
		      int *domain)
{
	const char *colon;
	unsigned char b[16];

	*port = 25;
	*domain = 0;
	if (arg[0] == '[') {
		const char *e = strchr(arg, ']');
		size_t n;

		if (e == NULL)
			return -1;
		n = (size_t)(e - arg - 1);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, arg + 1, n);
		host[n] = '\0';
		colon = e[1] == ':' ? e + 1 : NULL;
		if (e[1] != '\0' && colon == NULL)
			return -1;
	} else if (inet_pton(AF_INET6, arg, b) == 1) {
		if (strlen(arg) >= hostlen)
			return -1;
		memcpy(host, arg, strlen(arg) + 1);
		return 0;
	} else {
		size_t n;

		colon = strrchr(arg, ':');
		n = colon ? (size_t)(colon - arg) : strlen(arg);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, arg, n);
		host[n] = '\0';
		*domain = colon == NULL && inet_pton(AF_INET, host, b) != 1;
	}
	if (colon) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (colon[1] < '1' || colon[1] > '9' || *end != '\0' || p > 65535)
			return -1;
		*port = (unsigned)p;
	}
	if (inet_pton(AF_INET, host, b) != 1 && inet_pton(AF_INET6, host, b) != 1) {
		char norm[DNS_NAME_BUF];

		if (rr_domain_normalize(host, norm, sizeof(norm), NULL) < 0 ||
		    strlen(norm) >= hostlen)
			return -1;
		memcpy(host, norm, strlen(norm) + 1);
	}
	return 0;
}

static void done_cb(void *arg, const struct probe_result *res)
{
	struct probe_item *it = arg;
	struct probe_cli *run = it->run;
	FILE *mem = open_memstream(&it->text, &it->textlen);
	struct namematch_result nr;

	if (mem == NULL)
		log_fatal("probe: out of memory");
	it->done = 1;
	it->ok = res->status == PROBE_OK;
	if (run->policy) {
		struct namematch_peer peer;
		const char *nexthop = run->nexthop ? run->nexthop
				      : it->domain[0] ? it->domain : res->host;

		probe_result_peer(res, &peer);
		namematch_policy(run->policy, &peer, nexthop, res->host, &nr);
		it->delivers = nr.verdict == NAMEMATCH_DELIVERS;
	}
	if (run->cli->json) {
		if (it->domain[0]) {
			/* an MX host of a domain: the MX host object in front */
			fprintf(mem, "{\"domain\":");
			json_fput_str(mem, it->domain, JSON_LATIN1);
			fprintf(mem, ",\"mx_host\":{\"name\":");
			json_fput_str(mem, it->host, JSON_LATIN1);
			fprintf(mem, ",\"preference\":%u},%s", it->pref, run->policy ? "" : "\"probe\":");
		}
		if (run->policy) {
			/* the probe object, with the verdict added in front */
			fprintf(mem, "%s\"policy\":", it->domain[0] ? "" : "{");
			json_fput_str(mem, run->policy_text, JSON_LATIN1);
			fprintf(mem, ",\"verdict\":\"%s\",\"verdict_why\":",
				namematch_verdict_name(nr.verdict));
			json_fput_str(mem, nr.why, JSON_LATIN1);
			fprintf(mem, ",\"probe\":");
			probe_report_json(mem, res);
			fseek(mem, -1, SEEK_CUR);   /* drop the newline */
			fprintf(mem, "}\n");
		} else {
			probe_report_json(mem, res);
			if (it->domain[0]) {
				fseek(mem, -1, SEEK_CUR);
				fprintf(mem, "}\n");
			}
		}
	} else {
		if (it->domain[0])
			fprintf(mem, "%s: MX %u %s\n", it->domain, it->pref, it->host);
		probe_report_text(mem, res);
		if (run->policy)
			fprintf(mem, "  policy:        %s: %s (%s)\n", run->policy_text,
				nr.verdict == NAMEMATCH_DELIVERS ? "would deliver" :
				nr.verdict == NAMEMATCH_FAILS ? "would NOT deliver" : "cannot tell",
				nr.why);
	}
	fclose(mem);
	run->pending--;
}

/* What the command line asks for (the --policy/--nexthop part goes
 * into the run). */
struct probe_cmd {
	struct probe_opts o;
	const char *sni;
	char **hosts;
	size_t n;
};

/* The command line into *pc and *run; -1 to go on, else the exit code. */
static int probe_parse(struct cli *cli, int argc, char **argv, struct probe_cmd *pc,
		       struct probe_cli *run)
{
	enum { O_SNI = 1, O_CA, O_TIMEOUT, O_HELO, O_POLICY, O_NEXTHOP };
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "servername", required_argument, NULL, O_SNI },
		{ "ca-file", required_argument, NULL, O_CA },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "helo", required_argument, NULL, O_HELO },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "nexthop", required_argument, NULL, O_NEXTHOP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *timeout = NULL;
	int opt, ec = EXIT_OK;

	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, probe_usage,
				    &ec)) > 0) {
		switch (opt) {
		case O_SNI: pc->sni = optarg; break;
		case O_CA: pc->o.ca_file = optarg; break;
		case O_TIMEOUT: timeout = optarg; break;
		case O_HELO: pc->o.helo = optarg; break;
		case O_POLICY: run->policy_text = optarg; break;
		case O_NEXTHOP: run->nexthop = optarg; break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return ec;
	if (optind >= argc) {
		probe_usage(stderr);
		return EXIT_USAGE;
	}
	pc->hosts = argv + optind;
	pc->n = (size_t)(argc - optind);
	if (pc->n > PROBE_CLI_MAX_HOSTS) {
		cli_error("probe", "more than %d hosts", PROBE_CLI_MAX_HOSTS);
		return EXIT_USAGE;
	}
	if (run->nexthop && !run->policy_text) {
		cli_error("probe", "--nexthop needs --policy");
		return EXIT_USAGE;
	}
	if (timeout) {
		unsigned s;

		if (config_parse_time(timeout, &s) < 0 || s == 0 || s > 3600) {
			cli_error("probe", "--timeout: \"%s\" is not a time of 1s..1h", timeout);
			return EXIT_USAGE;
		}
		pc->o.timeout_ms = s * 1000;
	}
	return -1;
}

/* The validating resolver, else one without validation, else none
 * (getaddrinfo). */
static struct dns *probe_dns(struct event_base *base, const struct config *cfg)
{
	struct errbuf why;
	struct dns *dns;

	errbuf_clear(&why);
	if ((dns = dns_new(base, cfg, &why)) == NULL) {
		struct dns_opts d;

		dns_opts_from_config(cfg, &d);
		d.trust_anchor_file = NULL;
		log_debug("probe: no DNSSEC resolver (%s); trying without validation",
			  why.msg);
		errbuf_clear(&why);
		dns = dns_new_opts(base, &d, &why);
		if (dns == NULL)
			log_debug("probe: no resolver (%s); using getaddrinfo", why.msg);
	}
	return dns;
}

static int mx_cmp(const void *a, const void *b)
{
	const struct probe_item *x = a, *y = b;

	return x->pref != y->pref ? (x->pref < y->pref ? -1 : 1) : strcmp(x->host, y->host);
}

/*
 * The MX hosts of domain as items at items[*n...] (sorted by preference,
 * at most PROBE_CLI_MAX_MX), or domain itself as a host when it has no
 * MX records (or no resolver is there to ask).  0, or -1 with the error
 * printed (null MX, a failed lookup).
 */
static int mx_items(struct dns *dns, const char *domain, struct probe_item *items, size_t *n)
{
	struct dns_answer *ans;
	size_t first = *n, k = 0;
	struct errbuf why;
	int rc = 0;

	if (dns == NULL) {
		log_debug("probe: no resolver; %s probed as a host", domain);
		goto as_host;
	}
	ans = dns_resolve_sync(dns, domain, DNS_TYPE_MX);
	if (ans->status == DNS_STATUS_NODATA || ans->status == DNS_STATUS_NXDOMAIN) {
		/* no MX: the name is its own host (NXDOMAIN: the probe says so) */
		dns_answer_free(ans);
		goto as_host;
	}
	if (ans->status != DNS_STATUS_DATA) {
		cli_error("probe", "%s: MX lookup failed (%s%s%s): cannot tell its MX hosts; "
			  "[%s] probes the host itself", domain, dns_status_name(ans->status),
			  ans->why ? ": " : "", ans->why ? ans->why : "", domain);
		dns_answer_free(ans);
		return -1;
	}
	for (size_t i = 0; i < ans->count && k < PROBE_CLI_MAX_MX; i++) {
		struct probe_item *it = &items[first + k];
		unsigned pref;

		errbuf_clear(&why);
		if (rr_mx(ans->records[i].data, ans->records[i].len, &pref, it->host,
			  sizeof(it->host), &why) < 0)
			continue;
		if (it->host[0] == '\0' || strcmp(it->host, ".") == 0) {
			cli_error("probe", "%s: null MX (RFC 7505): the domain accepts no mail",
				  domain);
			rc = -1;
			break;
		}
		it->pref = pref;
		it->port = 25;
		snprintf(it->domain, sizeof(it->domain), "%s", domain);
		k++;
	}
	if (rc == 0 && ans->count > PROBE_CLI_MAX_MX)
		cli_error("probe", "%s: %zu MX hosts; the first %d are probed", domain,
			  ans->count, PROBE_CLI_MAX_MX);
	dns_answer_free(ans);
	if (rc < 0) {
		memset(&items[first], 0, (k + 1) * sizeof(*items));
		return -1;
	}
	qsort(&items[first], k, sizeof(*items), mx_cmp);
	*n += k;
	return 0;
as_host:
	snprintf(items[first].host, sizeof(items[first].host), "%s", domain);
	items[first].port = 25;
	(*n)++;
	return 0;
}

/* One item per HOST argument, one per MX host of a DOMAIN argument.
 * -1 to go on, else the exit code; *failed: a domain had no MX hosts
 * to probe (error printed). */
static int probe_items_new(const struct probe_cmd *pc, struct probe_cli *run, struct dns *dns,
			   struct probe_item **out, size_t *nout, int *failed)
{
	struct probe_item *items;
	size_t n = 0;

	if ((*out = items = calloc(pc->n * PROBE_CLI_MAX_MX + 1, sizeof(*items))) == NULL) {
		cli_error("probe", "out of memory");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < pc->n; i++) {
		char host[PROBE_HOST_MAX];
		unsigned port;
		int domain;

		if (split_host(pc->hosts[i], host, sizeof(host), &port, &domain) < 0) {
			cli_error("probe", "\"%s\" is not DOMAIN, HOST:PORT, [HOST], [HOST]:PORT "
				  "or an address", pc->hosts[i]);
			return EXIT_USAGE;
		}
		if (domain) {
			if (mx_items(dns, host, items, &n) < 0)
				*failed = 1;
			continue;
		}
		memcpy(items[n].host, host, sizeof(host));
		items[n].port = port;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		items[i].run = run;
	*nout = n;
	return -1;
}

/* Names to resolve (hosts, MX of domains, a servername's TLSA)? */
static int probe_needs_dns(const struct probe_cmd *pc)
{
	unsigned char b[16];

	if (pc->sni)
		return 1;
	for (size_t i = 0; i < pc->n; i++) {
		const char *h = pc->hosts[i];
		char tmp[PROBE_HOST_MAX];
		size_t l;

		if (inet_pton(AF_INET6, h, b) == 1)
			continue;
		l = *h == '[' ? strcspn(h + 1, "]") : strcspn(h, ":");
		if (l >= sizeof(tmp))
			return 1;
		memcpy(tmp, h + (*h == '['), l);
		tmp[l] = '\0';
		if (inet_pton(AF_INET, tmp, b) != 1 && inet_pton(AF_INET6, tmp, b) != 1)
			return 1;
	}
	return 0;
}

/* Every report in the order of the arguments; the exit code. */
static int probe_print(const struct cli *cli, const struct probe_cli *run,
		       const struct probe_item *items, size_t n)
{
	int rc = EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		if (!items[i].done) {
			cli_error("probe", "%s: no result", items[i].host);
			rc = EXIT_FAIL;
			continue;
		}
		if (i > 0 && !cli->json)
			putchar('\n');
		fwrite(items[i].text, 1, items[i].textlen, stdout);
		if (!items[i].ok || (run->policy && !items[i].delivers))
			rc = EXIT_FAIL;
	}
	return rc;
}

static int probe_run(struct cli *cli, struct probe_cmd *pc, struct probe_cli *run)
{
	struct config *cfg = cli_config(cli);
	struct event_base *base = NULL;
	struct dns *dns = NULL;
	struct probe_ctx *ctx = NULL;
	struct probe_item *items = NULL;
	struct errbuf why;
	size_t n = 0;
	int rc, failed = 0;

	if (cli->verbose)
		log_set_verbose(cli->verbose);
	if (run->policy_text) {
		struct policy_opts po = { config_get_version(cfg, "postfix_compatibility") };

		errbuf_clear(&why);
		if (policy_parse(run->policy_text, &po, &run->policy, &why) < 0) {
			cli_error("probe", "--policy: %s", why.msg);
			return EXIT_FAIL;
		}
	}
	rc = EXIT_FAIL;
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL) {
		cli_error("probe", "cannot create an event loop");
		goto out;
	}
	if (probe_needs_dns(pc))
		dns = probe_dns(base, cfg);
	if ((rc = probe_items_new(pc, run, dns, &items, &n, &failed)) >= 0)
		goto out;
	rc = EXIT_FAIL;
	errbuf_clear(&why);
	if ((ctx = probe_new_cfg(base, dns, cfg, &pc->o, &why)) == NULL) {
		cli_error("probe", "%s", why.msg);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct probe_target t;

		memset(&t, 0, sizeof(t));
		t.host = items[i].host;
		t.port = items[i].port;
		t.servername = pc->sni;
		run->pending++;
		probe_start(ctx, &t, done_cb, &items[i]);
	}
	while (run->pending > 0)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	rc = probe_print(cli, run, items, n);
	if (failed)
		rc = EXIT_FAIL;
out:
	probe_free(ctx);
	if (dns)
		dns_free(dns);
	if (base)
		event_base_free(base);
	for (size_t i = 0; items && i < n; i++)
		free(items[i].text);
	free(items);
	return rc;
}

int cmd_probe(struct cli *cli, int argc, char **argv)
{
	struct probe_cli run;
	struct probe_cmd pc;
	int rc;

	memset(&run, 0, sizeof(run));
	memset(&pc, 0, sizeof(pc));
	run.cli = cli;
	if ((rc = probe_parse(cli, argc, argv, &pc, &run)) < 0)
		rc = probe_run(cli, &pc, &run);
	policy_free(run.policy);
	return rc;
}
