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
 * HOST is a name, an IPv4 address, or an IPv6 address (bare, or in
 * brackets when a port follows: [::1]:2525).
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

struct probe_item {
	char host[PROBE_HOST_MAX];
	unsigned port;
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
		"                       [--json] HOST[:PORT]...\n"
		"\n"
		"Connects to each SMTP server (port 25 unless given), reads the banner,\n"
		"sends EHLO, does STARTTLS when offered and reports the extensions, the\n"
		"TLS version and cipher, the certificate chain (subject, issuer, names,\n"
		"validity, key, SHA-256 fingerprints of certificate and public key in\n"
		"Postfix's AA:BB:... form), chain verification, the names the\n"
		"certificate is valid for and, when the host has TLSA records, which\n"
		"record matches.  HOST: name, IPv4, IPv6 ([IPv6]:PORT with a port).\n"
		"  --servername NAME  send SNI NAME (default: none, as Postfix at verify/secure)\n"
		"  --ca-file FILE     trust these CAs (default: smtp_ca_file, else the system store)\n"
		"  --timeout S        timeout of each step in seconds (default: probe_timeout)\n"
		"  --helo NAME        EHLO name (default: this host's name)\n"
		"  --policy TEXT      judge a Postfix TLS policy (\"secure match=.example.com\")\n"
		"  --nexthop DOMAIN   next-hop domain for nexthop/dot-nexthop (default: HOST)\n"
		"  --json             one JSON object per host\n"
		"Exit 0 when every host gave an SMTP session (and --policy would deliver),\n"
		"1 otherwise, 2 usage.\n");
}

/* Splits HOST[:PORT]; returns 0 or -1. */
static int split_host(const char *arg, char *host, size_t hostlen, unsigned *port)
{
	const char *colon;
	unsigned char b[16];

	*port = 25;
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
		if (inet_pton(AF_INET6, host, b) != 1 && inet_pton(AF_INET, host, b) != 1)
			return -1;
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
		const char *nexthop = run->nexthop ? run->nexthop : res->host;

		probe_result_peer(res, &peer);
		namematch_policy(run->policy, &peer, nexthop, res->host, &nr);
		it->delivers = nr.verdict == NAMEMATCH_DELIVERS;
	}
	if (run->cli->json) {
		if (run->policy) {
			/* the probe object, with the verdict added in front */
			fprintf(mem, "{\"policy\":");
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
		}
	} else {
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

/* One item per HOST argument; *need_dns: a name to resolve (or a
 * servername's TLSA).  -1 to go on, else the exit code. */
static int probe_items_new(const struct probe_cmd *pc, struct probe_cli *run,
			   struct probe_item **out, int *need_dns)
{
	struct probe_item *items;

	if ((*out = items = calloc(pc->n, sizeof(*items))) == NULL) {
		cli_error("probe", "out of memory");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < pc->n; i++) {
		unsigned char b[16];

		items[i].run = run;
		if (split_host(pc->hosts[i], items[i].host, sizeof(items[i].host),
			       &items[i].port) < 0) {
			cli_error("probe", "\"%s\" is not HOST, HOST:PORT or [ADDRESS]:PORT",
				  pc->hosts[i]);
			return EXIT_USAGE;
		}
		if (inet_pton(AF_INET, items[i].host, b) != 1 &&
		    inet_pton(AF_INET6, items[i].host, b) != 1)
			*need_dns = 1;
	}
	if (pc->sni)
		*need_dns = 1;           /* TLSA for the servername */
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
		struct dns_opts d = { NULL, config_get(cfg, "dns_resolvers"),
				      config_get_time(cfg, "dns_timeout") * 1000 };

		log_debug("probe: no DNSSEC resolver (%s); trying without validation",
			  why.msg);
		errbuf_clear(&why);
		dns = dns_new_opts(base, &d, &why);
		if (dns == NULL)
			log_debug("probe: no resolver (%s); using getaddrinfo", why.msg);
	}
	return dns;
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
	int rc, need_dns = 0;

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
	if ((rc = probe_items_new(pc, run, &items, &need_dns)) >= 0)
		goto out;
	rc = EXIT_FAIL;
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL) {
		cli_error("probe", "cannot create an event loop");
		goto out;
	}
	if (need_dns)
		dns = probe_dns(base, cfg);
	errbuf_clear(&why);
	if ((ctx = probe_new_cfg(base, dns, cfg, &pc->o, &why)) == NULL) {
		cli_error("probe", "%s", why.msg);
		goto out;
	}
	for (size_t i = 0; i < pc->n; i++) {
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
	rc = probe_print(cli, run, items, pc->n);
out:
	probe_free(ctx);
	if (dns)
		dns_free(dns);
	if (base)
		event_base_free(base);
	for (size_t i = 0; items && i < pc->n; i++)
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
