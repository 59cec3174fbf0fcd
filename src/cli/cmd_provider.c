/* SPDX-License-Identifier: MIT */
/*
 * cmd_provider.c - tlspolicy provider list|match|template: the provider
 * catalogue (src/provider/catalog.h) and provider templates
 * (src/provider/provider.h).
 *
 *   provider list [--json]
 *       the catalogue after the admin's file was applied.
 *   provider match [--json] DOMAIN...
 *       each domain's MX hosts and the answer of the provider source
 *       (what the daemon answers when DANE and MTA-STS do not apply).
 *   provider template NAME DOMAIN... [--transport FILE --tls-policy FILE]
 *       transport(5) lines pinning each domain to its MX hosts at
 *       provider NAME and tls_policy(5) lines for those [host] next
 *       hops; to stdout, or written to the two files (replaced whole,
 *       only when every domain could be pinned).
 *   provider template --check TRANSPORT TLS_POLICY [NAME]
 *       reports pins that are no longer the domain's MX hosts, MX hosts
 *       not pinned, hosts outside provider NAME, pinned hosts without a
 *       tls_policy line (or with a policy other than NAME's) and
 *       tls_policy [host] lines nothing pins.
 *
 * Exit: 0 ok; 1 when a domain could not be looked up or pinned, or
 * --check found problems, or input is invalid; 2 usage.
 */
#include "cli/cli.h"
#include "util/json.h"
#include "util/file.h"
#include "dns/dns.h"
#include "dns/rr.h"
#include "policy/policy.h"
#include "policy/policyfile.h"
#include "provider/provider.h"
#include "util/config.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#define PROVIDER_CLI_MAX_DOMAINS 10000
#define PROVIDER_CLI_MAX_FILE (64 * 1024 * 1024)

static void provider_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy provider list [--json]\n"
		"       tlspolicy provider match [--json] DOMAIN...\n"
		"       tlspolicy provider template NAME DOMAIN... [--transport FILE --tls-policy FILE]\n"
		"       tlspolicy provider template --check TRANSPORT TLS_POLICY [NAME]\n"
		"\n"
		"The provider catalogue (built-in %s plus provider_file)\n"
		"and the transport-map method: pin domains hosted at a provider to its MX\n"
		"hosts as [host] next hops, with tls_policy lines for those next hops.\n"
		"Exit 0 ok, 1 failed or problems found, 2 usage.\n",
		catalog_builtin_path()[0] ? catalog_builtin_path() : "providers.conf");
}

static struct catalog *load(struct cli *cli)
{
	struct errbuf why;
	struct catalog *cat;

	errbuf_clear(&why);
	if ((cat = catalog_load(cli_config(cli), &why)) == NULL)
		cli_error("provider", "%s", why.msg);
	return cat;
}

/* ------------------------------------------------------------------ */

static int provider_list(struct cli *cli)
{
	struct catalog *cat = load(cli);

	if (cat == NULL)
		return EXIT_FAIL;
	for (size_t i = 0; i < catalog_count(cat); i++) {
		const struct provider *p = catalog_get(cat, i);

		if (cli->json) {
			printf("{\"id\":");
			json_fput_str(stdout, p->id, JSON_LATIN1);
			printf(",\"name\":");
			json_fput_str(stdout, p->name, JSON_LATIN1);
			printf(",\"origin\":\"%s\",\"file\":", p->origin);
			json_fput_str(stdout, p->file, JSON_LATIN1);
			printf(",\"mx\":[");
			for (size_t k = 0; k < p->nmx; k++) {
				printf("%s", k ? "," : "");
				json_fput_str(stdout, p->mx[k], JSON_LATIN1);
			}
			printf("],\"policy\":");
			if (p->policy)
				json_fput_str(stdout, p->policy, JSON_LATIN1);
			else
				printf("null");
			printf(",\"pin\":");
			json_fput_str(stdout, p->pin ? p->pin : p->policy ? p->policy : "", JSON_LATIN1);
			printf(",\"sources\":[");
			for (size_t k = 0; k < p->nsources; k++) {
				printf("%s", k ? "," : "");
				json_fput_str(stdout, p->sources[k], JSON_LATIN1);
			}
			printf("]}\n");
		} else {
			printf("%s%s  %s (%s)\n", i ? "\n" : "", p->id, p->name, p->origin);
			printf("  mx:     ");
			for (size_t k = 0; k < p->nmx; k++)
				printf("%s%s", k ? " " : "", p->mx[k]);
			printf("\n  policy: %s\n", p->policy ? p->policy : "(none: recognised only)");
			if (p->pin)
				printf("  pin:    %s\n", p->pin);
		}
	}
	catalog_free(cat);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* MX lookups of many domains on one loop                             */
/* ------------------------------------------------------------------ */

struct mx_item {
	char domain[PROVIDER_HOST_MAX];
	int invalid, done;
	struct provider_mxset mx;
	/* match: the source's verdict */
	enum source_verdict verdict;
	char *answer;
	char reason[512];
	unsigned ttl;
	size_t *pending;
};

static void mx_done(void *arg, const struct provider_mxset *mx)
{
	struct mx_item *it = arg;

	it->mx = *mx;
	it->done = 1;
	(*it->pending)--;
}

struct lookups {
	struct event_base *base;
	struct provider_service *svc;
	struct dns *dns;
	size_t pending;
};

static int lookups_open(struct cli *cli, struct lookups *lk)
{
	struct errbuf why;

	memset(lk, 0, sizeof(*lk));
	errbuf_clear(&why);
	if ((lk->base = event_base_new()) == NULL) {
		cli_error("provider", "cannot create an event loop");
		return -1;
	}
	if ((lk->dns = dns_new(lk->base, cli_config(cli), &why)) == NULL ||
	    provider_service_new(lk->base, cli_config(cli), lk->dns, &lk->svc, &why) < 0) {
		cli_error("provider", "%s", why.msg);
		dns_free(lk->dns);
		lk->dns = NULL;
		event_base_free(lk->base);
		lk->base = NULL;
		return -1;
	}
	return 0;
}

static void lookups_close(struct lookups *lk)
{
	provider_service_free(lk->svc);
	dns_free(lk->dns);
	if (lk->base)
		event_base_free(lk->base);
}

static void lookups_run(struct lookups *lk)
{
	while (lk->pending > 0)
		if (event_base_loop(lk->base, EVLOOP_ONCE) < 0)
			break;
}

static int normalize_domains(char **argv, size_t n, struct mx_item *items)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct errbuf why;
		char d[DNS_NAME_BUF];

		errbuf_clear(&why);
		if (rr_domain_normalize(argv[i], d, sizeof(d), &why) < 0 ||
		    strlen(d) >= PROVIDER_HOST_MAX) {
			cli_error("provider", "%s", why.msg[0] ? why.msg : "domain too long");
			items[i].invalid = 1;
			bad = 1;
			continue;
		}
		memcpy(items[i].domain, d, strlen(d) + 1);
	}
	return bad;
}

/* ------------------------------------------------------------------ */

static void match_done(void *arg, const struct source_result *res)
{
	struct mx_item *it = arg;

	it->verdict = res->verdict;
	it->answer = res->policy_text ? strdup(res->policy_text) : NULL;
	snprintf(it->reason, sizeof(it->reason), "%s", res->reason ? res->reason : "");
	it->ttl = res->ttl;
	(*it->pending)--;
}

static const char *verdict_name(enum source_verdict v)
{
	switch (v) {
	case SOURCE_APPLIES: return "applies";
	case SOURCE_NOT_APPLICABLE: return "not-applicable";
	case SOURCE_TEMP: return "temp";
	case SOURCE_FAILED: return "failed";
	case SOURCE_NOTFOUND: return "notfound";
	}
	return "?";
}

/* The DOMAIN arguments as items (invalid ones reported: *rc) and the
 * lookups' services; -1 to go on, else the exit code. */
static int domains_open(struct cli *cli, int argc, char **argv, struct mx_item **items,
			struct lookups *lk, int *rc)
{
	size_t n = (size_t)argc;

	if (n == 0 || n > PROVIDER_CLI_MAX_DOMAINS) {
		provider_usage(stderr);
		return EXIT_USAGE;
	}
	if ((*items = calloc(n, sizeof(**items))) == NULL) {
		cli_error("provider", "out of memory");
		return EXIT_FAIL;
	}
	if (normalize_domains(argv, n, *items))
		*rc = EXIT_FAIL;
	if (lookups_open(cli, lk) < 0) {
		free(*items);
		return EXIT_FAIL;
	}
	return -1;
}

static int provider_match(struct cli *cli, int argc, char **argv)
{
	struct lookups lk;
	struct mx_item *items;
	struct engine_source es;
	size_t n = (size_t)argc;
	int rc = EXIT_OK, ec;

	if ((ec = domains_open(cli, argc, argv, &items, &lk, &rc)) >= 0)
		return ec;
	provider_source_init(provider_service_src(lk.svc), &es);
	for (size_t i = 0; i < n; i++) {
		if (items[i].invalid)
			continue;
		items[i].pending = &lk.pending;
		lk.pending += 2;
		provider_mx_lookup(provider_service_dns(lk.svc), items[i].domain, mx_done, &items[i]);
		/* the daemon's path: the engine source itself */
		es.discover(es.ctx, items[i].domain, match_done, &items[i]);
	}
	lookups_run(&lk);
	for (size_t i = 0; i < n; i++) {
		const struct mx_item *it = &items[i];
		const struct catalog *cat = provider_service_catalog(lk.svc);

		if (it->invalid)
			continue;
		if (cli->json) {
			printf("{\"domain\":");
			json_fput_str(stdout, it->domain, JSON_LATIN1);
			printf(",\"mx_status\":\"%s\",\"mx_dnssec\":\"%s\",\"null_mx\":%s,"
			       "\"implicit_mx\":%s,\"hosts\":[", dns_status_name(it->mx.status),
			       dns_sec_name(it->mx.sec), it->mx.null_mx ? "true" : "false",
			       it->mx.implicit ? "true" : "false");
			for (size_t k = 0; k < it->mx.nhosts; k++) {
				const struct provider *p = catalog_match_host(cat, it->mx.hosts[k], NULL);

				/* the MX host object of docs/json.md */
				printf("%s{\"name\":", k ? "," : "");
				json_fput_str(stdout, it->mx.hosts[k], JSON_LATIN1);
				printf(",\"preference\":%u,\"provider\":", it->mx.pref[k]);
				if (p)
					json_fput_str(stdout, p->id, JSON_LATIN1);
				else
					printf("null");
				printf("}");
			}
			printf("],\"verdict\":\"%s\",\"answer\":", verdict_name(it->verdict));
			if (it->answer)
				json_fput_str(stdout, it->answer, JSON_LATIN1);
			else
				printf("null");
			printf(",\"reason\":");
			json_fput_str(stdout, it->reason, JSON_LATIN1);
			printf(",\"ttl\":%u}\n", it->ttl);
		} else {
			printf("%s\n", it->domain);
			printf("  MX:       %s, DNSSEC %s%s%s\n", dns_status_name(it->mx.status),
			       dns_sec_name(it->mx.sec), it->mx.null_mx ? ", null MX" : "",
			       it->mx.implicit ? ", implicit MX" : "");
			for (size_t k = 0; k < it->mx.nhosts; k++) {
				const struct provider *p = catalog_match_host(cat, it->mx.hosts[k], NULL);

				printf("            %u %s%s%s\n", it->mx.pref[k], it->mx.hosts[k],
				       p ? "  -> " : "", p ? p->id : "");
			}
			printf("  provider: %s\n", it->verdict == SOURCE_APPLIES ? "applies" :
			       verdict_name(it->verdict));
			printf("  answer:   %s\n", it->answer ? it->answer : "(none)");
			printf("  reason:   %s\n", it->reason);
		}
		if (it->verdict == SOURCE_FAILED || it->verdict == SOURCE_TEMP)
			rc = EXIT_FAIL;
	}
	lookups_close(&lk);
	for (size_t i = 0; i < n; i++)
		free(items[i].answer);
	free(items);
	return rc;
}

/* ------------------------------------------------------------------ */

/* 1 when every MX host of the domain belongs to provider p, else 0
 * after saying why it is not pinned. */
static int template_fits(const struct catalog *cat, const struct provider *p,
			 const struct mx_item *it)
{
	if (it->mx.status != DNS_STATUS_DATA || it->mx.null_mx || it->mx.nhosts == 0) {
		cli_error("provider", "%s: no usable MX (%s%s%s); not pinned", it->domain,
			  it->mx.null_mx ? "null MX" : dns_status_name(it->mx.status),
			  it->mx.why[0] ? ": " : "", it->mx.why);
		return 0;
	}
	for (size_t k = 0; k < it->mx.nhosts; k++) {
		const char *pat = NULL;
		const struct provider *q = catalog_match_host(cat, it->mx.hosts[k], &pat);

		if (q != p) {
			cli_error("provider", "%s: MX host %s does not belong to %s%s%s; "
				  "not pinned", it->domain, it->mx.hosts[k], p->id,
				  q ? " but to " : "", q ? q->id : "");
			return 0;
		}
	}
	return 1;
}

/* The transport and tls_policy texts of the template for the MX sets. */
static int template_render(struct cli *cli, const struct provider *p,
			   const struct provider_mxset **sets, size_t nsets,
			   char **tbuf, size_t *tlen, char **pbuf, size_t *plen)
{
	struct errbuf why;
	FILE *tf, *pf = NULL;

	if ((tf = open_memstream(tbuf, tlen)) == NULL ||
	    (pf = open_memstream(pbuf, plen)) == NULL) {
		if (tf)
			fclose(tf);
		cli_error("provider", "out of memory");
		return -1;
	}
	errbuf_clear(&why);
	if (provider_template_write(tf, pf, p, sets, nsets,
				    config_get_version(cli_config(cli), "postfix_compatibility"),
				    &why) < 0) {
		fclose(tf);
		fclose(pf);
		cli_error("provider", "%s", why.msg);
		return -1;
	}
	fclose(tf);
	fclose(pf);
	return 0;
}

static int provider_template(struct cli *cli, const char *name, int argc, char **argv,
			     const char *tfile, const char *pfile)
{
	struct lookups lk;
	struct mx_item *items;
	const struct provider *p;
	const struct provider_mxset **sets;
	size_t n = (size_t)argc, nsets = 0;
	char *tbuf = NULL, *pbuf = NULL;
	size_t tlen = 0, plen = 0;
	int rc = EXIT_OK, ec;

	if ((ec = domains_open(cli, argc, argv, &items, &lk, &rc)) >= 0)
		return ec;
	if ((sets = calloc(n, sizeof(*sets))) == NULL) {
		cli_error("provider", "out of memory");
		lookups_close(&lk);
		free(items);
		return EXIT_FAIL;
	}
	if ((p = catalog_find(provider_service_catalog(lk.svc), name)) == NULL) {
		cli_error("provider", "unknown provider \"%s\" (see tlspolicy provider list)", name);
		rc = EXIT_FAIL;
		goto out;
	}
	if (p->policy == NULL && p->pin == NULL) {
		cli_error("provider", "provider %s has no template policy", p->id);
		rc = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].invalid)
			continue;
		items[i].pending = &lk.pending;
		lk.pending++;
		provider_mx_lookup(provider_service_dns(lk.svc), items[i].domain, mx_done, &items[i]);
	}
	lookups_run(&lk);
	for (size_t i = 0; i < n; i++) {
		struct mx_item *it = &items[i];

		if (it->invalid)
			continue;
		if (!template_fits(provider_service_catalog(lk.svc), p, it)) {
			rc = EXIT_FAIL;
			continue;
		}
		sets[nsets++] = &it->mx;
	}
	if (nsets == 0 || (rc != EXIT_OK && (tfile || pfile)))
		goto out;       /* nothing to write; files stay as they were */
	if (template_render(cli, p, sets, nsets, &tbuf, &tlen, &pbuf, &plen) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (tfile) {
		/* mode 0600, as mkstemp left it before util/file */
		if (file_write_atomic(tfile, tbuf, tlen, 0600, (gid_t)-1, NULL) < 0) {
			cli_error("provider", "%s: %s", tfile, strerror(errno));
			rc = EXIT_FAIL;
		} else if (file_write_atomic(pfile, pbuf, plen, 0600, (gid_t)-1, NULL) < 0) {
			cli_error("provider", "%s: %s", pfile, strerror(errno));
			rc = EXIT_FAIL;
		}
	} else {
		fwrite(tbuf, 1, tlen, stdout);
		putchar('\n');
		fwrite(pbuf, 1, plen, stdout);
	}
out:
	free(tbuf);
	free(pbuf);
	lookups_close(&lk);
	free(items);
	free(sets);
	return rc;
}

/* ------------------------------------------------------------------ */
/* --check                                                            */
/* ------------------------------------------------------------------ */

static int read_all(const char *path, char **text, size_t *len)
{
	enum file_status st;
	struct errbuf why;
	int err = 0;

	if ((st = file_read(path, PROVIDER_CLI_MAX_FILE, text, len, &err)) == FILE_OK)
		return 0;
	file_read_why(st, path, PROVIDER_CLI_MAX_FILE, err, &why);
	cli_error("provider", "%s", why.msg);
	return -1;
}

struct finding {
	int json;
	size_t count;
};

static void report(struct finding *f, const char *kind, const char *domain,
		   const char *host, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct finding *f, const char *kind, const char *domain,
		   const char *host, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(kind, "ok") != 0)
		f->count++;
	if (f->json) {
		printf("{\"kind\":\"%s\",\"domain\":", kind);
		json_fput_str(stdout, domain ? domain : "", JSON_LATIN1);
		printf(",\"host\":");
		json_fput_str(stdout, host ? host : "", JSON_LATIN1);
		printf(",\"message\":");
		json_fput_str(stdout, msg, JSON_LATIN1);
		printf("}\n");
	} else {
		printf("%-10s %s\n", kind, msg);
	}
}

/* The findings of one transport pin: its hosts against the MX hosts,
 * and its tls_policy lines against the provider's template. */
static void check_pin(struct finding *f, const struct provider_pin *pin,
		      const struct provider_mxset *mx, const struct catalog *cat,
		      const struct provider *prov, const struct policyfile_entry *pe,
		      size_t npe, int *used, const char *tpath, const char *ppath)
{
	const char *pol = prov ? (prov->pin ? prov->pin : prov->policy) : NULL;
	size_t before = f->count;

	if (mx->status != DNS_STATUS_DATA || mx->null_mx) {
		report(f, "no-mx", pin->domain, NULL, "%s (%s:%u): MX lookup: %s%s",
		       pin->domain, tpath, pin->line,
		       mx->null_mx ? "null MX" : dns_status_name(mx->status),
		       mx->status == DNS_STATUS_SERVFAIL || mx->status == DNS_STATUS_TIMEOUT ||
		       mx->status == DNS_STATUS_ERROR ? " (not judged)" : "");
		return;
	}
	for (size_t k = 0; k < pin->nhosts; k++) {
		int found = 0;

		for (size_t m = 0; m < mx->nhosts; m++)
			found |= strcasecmp(mx->hosts[m], pin->hosts[k]) == 0;
		if (!found)
			report(f, "stale", pin->domain, pin->hosts[k], "%s: pinned [%s] is no "
			       "longer an MX host (MX now:%s%s)", pin->domain, pin->hosts[k],
			       mx->nhosts ? " " : " none", mx->nhosts ? mx->hosts[0] : "");
	}
	for (size_t m = 0; m < mx->nhosts; m++) {
		int found = 0;

		for (size_t k = 0; k < pin->nhosts; k++)
			found |= strcasecmp(mx->hosts[m], pin->hosts[k]) == 0;
		if (!found)
			report(f, "missing", pin->domain, mx->hosts[m], "%s: MX host %s is not "
			       "pinned", pin->domain, mx->hosts[m]);
		if (prov && catalog_match_host(cat,
					       mx->hosts[m], NULL) != prov)
			report(f, "elsewhere", pin->domain, mx->hosts[m], "%s: MX host %s "
			       "does not belong to %s", pin->domain, mx->hosts[m], prov->id);
	}
	for (size_t k = 0; k < pin->nhosts; k++) {
		char key[PROVIDER_HOST_MAX + 2];
		size_t e;

		snprintf(key, sizeof(key), "[%.*s]", PROVIDER_HOST_MAX - 3, pin->hosts[k]);
		for (e = 0; e < npe; e++)
			if (strcasecmp(pe[e].key, key) == 0)
				break;
		if (e == npe) {
			report(f, "no-policy", pin->domain, pin->hosts[k], "%s: no tls_policy "
			       "line for %s in %s", pin->domain, key, ppath);
			continue;
		}
		used[e] = 1;
		if (pol) {
			char *have = policy_format(pe[e].policy);

			if (have && strcmp(have, pol) != 0)
				report(f, "differs", pin->domain, pin->hosts[k], "%s (%s:%u): "
				       "\"%s\", %s's template is \"%s\"", key, ppath, pe[e].line,
				       have, prov->id, pol);
			free(have);
		}
	}
	if (f->count == before)
		report(f, "ok", pin->domain, NULL, "%s: pins match the MX hosts", pin->domain);
}

static int provider_check(struct cli *cli, const char *tpath, const char *ppath,
			  const char *name)
{
	struct lookups lk;
	struct provider_pin *pins = NULL;
	struct policyfile_entry *pe = NULL;
	struct mx_item *items = NULL;
	size_t npins = 0, npe = 0;
	char *ttext = NULL, *ptext = NULL;
	size_t tlen, plen;
	const struct provider *prov = NULL;
	struct errbuf why;
	struct policy_opts po = { config_get_version(cli_config(cli), "postfix_compatibility") };
	struct finding f = { cli->json, 0 };
	int rc = EXIT_FAIL, *used = NULL;

	if (read_all(tpath, &ttext, &tlen) < 0 || read_all(ppath, &ptext, &plen) < 0) {
		free(ttext);
		return EXIT_FAIL;
	}
	errbuf_clear(&why);
	if (provider_pins_parse(ttext, tlen, tpath, &pins, &npins, &why) < 0 ||
	    policyfile_parse(ptext, plen, ppath, &po, &pe, &npe, &why) < 0) {
		cli_error("provider", "%s", why.msg);
		free(pins);
		free(ttext);
		free(ptext);
		return EXIT_FAIL;
	}
	if (lookups_open(cli, &lk) < 0)
		goto out_nolk;
	if (name && (prov = catalog_find(provider_service_catalog(lk.svc), name)) == NULL) {
		cli_error("provider", "unknown provider \"%s\"", name);
		goto out;
	}
	if ((items = calloc(npins ? npins : 1, sizeof(*items))) == NULL ||
	    (used = calloc(npe ? npe : 1, sizeof(*used))) == NULL) {
		cli_error("provider", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npins; i++) {
		memcpy(items[i].domain, pins[i].domain, sizeof(items[i].domain));
		items[i].pending = &lk.pending;
		lk.pending++;
		provider_mx_lookup(provider_service_dns(lk.svc), items[i].domain, mx_done, &items[i]);
	}
	lookups_run(&lk);
	for (size_t i = 0; i < npins; i++)
		check_pin(&f, &pins[i], &items[i].mx, provider_service_catalog(lk.svc), prov,
			  pe, npe, used, tpath, ppath);
	for (size_t e = 0; e < npe; e++)
		if (!used[e] && pe[e].kind == POLICY_KEY_HOST && pe[e].key[0] == '[')
			report(&f, "unused", NULL, pe[e].key, "%s (%s:%u) is pinned by no transport "
			       "line", pe[e].key, ppath, pe[e].line);
	rc = f.count ? EXIT_FAIL : EXIT_OK;
out:
	lookups_close(&lk);
out_nolk:
	free(items);
	free(used);
	free(pins);
	policyfile_free(pe, npe);
	free(ttext);
	free(ptext);
	return rc;
}

/* ------------------------------------------------------------------ */

enum { P_LIST = 1, P_MATCH, P_TEMPLATE, P_CHECK };

struct provider_opts {
	int sub;                /* P_LIST, P_MATCH, P_TEMPLATE or P_CHECK
				 * (template --check) */
	const char *tfile;      /* --transport */
	const char *pfile;      /* --tls-policy */
	char **args;            /* the words after the subcommand */
	int rest;
};

/* Fills *o from the command line; -1 when the command must return *code. */
static int parse_provider(struct cli *cli, int argc, char **argv, struct provider_opts *o,
			  int *code)
{
	enum { O_CHECK = 1, O_TRANSPORT, O_TLSPOLICY };
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "check", no_argument, NULL, O_CHECK },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "tls-policy", required_argument, NULL, O_TLSPOLICY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cli_command subs[] = {
		{ "list", NULL, NULL, P_LIST },
		{ "match", NULL, NULL, P_MATCH },
		{ "template", NULL, NULL, P_TEMPLATE },
	};
	const struct cli_command *c;
	const char *sub;
	int opt, check = 0, ok;

	o->tfile = o->pfile = NULL;
	/* GNU getopt permutes: options may come anywhere, the words stay in
	 * order after optind. */
	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, provider_usage,
				    code)) > 0) {
		switch (opt) {
		case O_CHECK: check = 1; break;
		case O_TRANSPORT: o->tfile = optarg; break;
		case O_TLSPOLICY: o->pfile = optarg; break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return -1;
	*code = EXIT_USAGE;
	if (optind >= argc) {
		provider_usage(stderr);
		return -1;
	}
	sub = argv[optind++];
	o->args = argv + optind;
	o->rest = argc - optind;
	/* before the checks below, as always: a bad configuration file is
	 * reported (exit 1) ahead of a usage error */
	(void)cli_config(cli);
	if (cli->verbose)
		log_set_verbose(cli->verbose);
	if ((c = cli_command_find(subs, CLI_NCOMMANDS(subs), sub)) == NULL) {
		cli_error("provider", "unknown subcommand \"%s\" (list, match, template)", sub);
		return -1;
	}
	o->sub = c->id;
	switch (o->sub) {
	case P_LIST:
		ok = o->rest == 0 && !check && !o->tfile && !o->pfile;
		break;
	case P_MATCH:
		ok = !check && !o->tfile && !o->pfile;
		break;
	default: /* P_TEMPLATE */
		if (check) {
			o->sub = P_CHECK;
			ok = o->rest >= 2 && o->rest <= 3 && !o->tfile && !o->pfile;
		} else {
			ok = o->rest >= 2 && (!o->tfile) == (!o->pfile);
		}
		break;
	}
	if (!ok) {
		provider_usage(stderr);
		return -1;
	}
	return 0;
}

static int run_provider(struct cli *cli, const struct provider_opts *o)
{
	switch (o->sub) {
	case P_LIST:
		return provider_list(cli);
	case P_MATCH:
		return provider_match(cli, o->rest, o->args);
	case P_CHECK:
		return provider_check(cli, o->args[0], o->args[1],
				      o->rest == 3 ? o->args[2] : NULL);
	default: /* P_TEMPLATE */
		return provider_template(cli, o->args[0], o->rest - 1, o->args + 1, o->tfile,
					 o->pfile);
	}
}

int cmd_provider(struct cli *cli, int argc, char **argv)
{
	struct provider_opts o;
	int code = EXIT_OK;

	if (parse_provider(cli, argc, argv, &o, &code) < 0)
		return code;
	return run_provider(cli, &o);
}
