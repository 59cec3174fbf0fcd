/* SPDX-License-Identifier: MIT */
/*
 * own/roll.c - the rollover state machine (roll.h).
 */
#include "own/roll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIX_MAX 4096

char *own_duration(long long s, char *out, size_t outlen)
{
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, x = s % 60;

	if (s < 0)
		s = 0;
	if (d)
		snprintf(out, outlen, "%lldd%lldh", d, h);
	else if (h)
		snprintf(out, outlen, "%lldh%lldm", h, m);
	else if (m)
		snprintf(out, outlen, "%lldm%llds", m, x);
	else
		snprintf(out, outlen, "%llds", s < 0 ? 0 : s);
	return out;
}

char *own_time(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

/* Appends line unless fix has it already (an issuing CA shared by an
 * RSA and an ECDSA key gives the same 2 1 1 record twice). */
static void fix_add(char *fix, size_t len, const char *line)
{
	size_t n = strlen(fix), l = strlen(line);

	for (const char *p = fix; (p = strstr(p, line)) != NULL; p += l)
		if ((p == fix || p[-1] == '\n') && p[l] == '\n')
			return;
	snprintf(fix + n, len - n, "%s\n", line);
}

/* The records that authenticate ks: its 3 1 1, and 2 1 1 of its CA. */
static void fix_records(char *fix, size_t len, const struct own_roll_in *in,
			const struct own_keyset *ks)
{
	char line[OWN_TLSA_LINE_MAX];
	struct own_tlsa_rr rr;
	unsigned ttl = in->ttl ? in->ttl : 0;

	own_tlsa_leaf(ks, &rr);
	fix_add(fix, len, own_tlsa_zone_line(in->host, in->port, ttl, &rr, line,
					     sizeof(line)));
	if (own_tlsa_issuer(ks, &rr))
		fix_add(fix, len, own_tlsa_zone_line(in->host, in->port, ttl, &rr,
						     line, sizeof(line)));
}

static int usable(const struct own_tlsa_rr *rr)
{
	return (rr->usage == 2 || rr->usage == 3) && rr->selector <= 1 &&
	       ((rr->mtype == 1 && rr->len == 32) || (rr->mtype == 2 && rr->len == 64));
}

/* The oldest published usable record that authenticates ks, or NULL. */
static const struct own_roll_pub *covering(const struct own_roll_in *in,
					   const struct own_keyset *ks)
{
	const struct own_roll_pub *best = NULL;

	for (size_t i = 0; i < in->ntlsa; i++) {
		const struct own_roll_pub *p = &in->tlsa[i];

		if (!usable(&p->rr) || !own_tlsa_matches(&p->rr, ks, NULL))
			continue;
		if (best == NULL || p->first_seen < best->first_seen)
			best = p;
	}
	return best;
}

static const char *key_desc(const struct own_keyset *ks, char *out, size_t len)
{
	snprintf(out, len, "%s %d key from %s", ks->key_type, ks->key_bits, ks->source);
	return out;
}

static void check_tlsa(const struct own_roll_in *in, const char *owner,
		       struct own_report *rep, size_t nusable)
{
	char fix[FIX_MAX] = "";

	switch (in->state) {
	case OWN_TLSA_SECURE:
		own_report_add(rep, in->domain, "tlsa", owner,
			       nusable || in->nuncompared ? OWN_OK : OWN_ERROR,
			       NULL, "%zu record(s), %zu usable for SMTP, TTL %u, DNSSEC secure%s",
			       in->ntlsa + in->nuncompared, nusable, in->ttl,
			       in->nuncompared ? " (matching type 0 records not compared)" : "");
		return;
	case OWN_TLSA_NONE:
		for (size_t i = 0; i < in->nlive; i++)
			fix_records(fix, sizeof(fix), in, &in->live[i]);
		for (size_t i = 0; i < in->nnext; i++)
			fix_records(fix, sizeof(fix), in, &in->next[i]);
		own_report_add(rep, in->domain, "tlsa", owner, OWN_WARNING, fix,
			       "no TLSA records (DNSSEC secure denial): DANE senders "
			       "do not authenticate this host");
		return;
	case OWN_TLSA_INSECURE:
		own_report_add(rep, in->domain, "tlsa", owner, OWN_ERROR, NULL,
			       "the TLSA RRset or the host's zone is not DNSSEC-signed: "
			       "senders ignore it; sign the zone and publish a DS");
		return;
	case OWN_TLSA_BOGUS:
		own_report_add(rep, in->domain, "tlsa", owner, OWN_ERROR, NULL,
			       "DNSSEC validation fails (%s): DANE senders defer all "
			       "mail to this host", in->tlsa_why ? in->tlsa_why : "bogus");
		return;
	case OWN_TLSA_FAILED:
		own_report_add(rep, in->domain, "tlsa", owner, OWN_UNKNOWN, NULL,
			       "could not look up the TLSA RRset: %s",
			       in->tlsa_why ? in->tlsa_why : "lookup failed");
		return;
	}
}

/* (a) the keys in service */
static void check_current(const struct own_roll_in *in, struct own_report *rep,
			  size_t nusable)
{
	char desc[400], txt[OWN_TLSA_HEX + 16];

	if (in->nlive == 0)
		own_report_add(rep, in->domain, "current", in->host, OWN_UNKNOWN, NULL,
			       "the key in service is not known: %s",
			       in->live_why ? in->live_why : "no probe, no --cert");
	for (size_t i = 0; i < in->nlive; i++) {
		const struct own_keyset *ks = &in->live[i];
		const struct own_roll_pub *p;
		char fix[FIX_MAX] = "";

		key_desc(ks, desc, sizeof(desc));
		if (in->state != OWN_TLSA_SECURE || (nusable == 0 && in->nuncompared == 0)) {
			if (in->state == OWN_TLSA_SECURE) {
				fix_records(fix, sizeof(fix), in, ks);
				own_report_add(rep, in->domain, "current", in->host, OWN_ERROR,
					       fix, "%s: no usable TLSA record at all: "
					       "DANE senders defer mail (OUTAGE NOW)", desc);
			}
			continue;
		}
		if ((p = covering(in, ks)) != NULL) {
			own_report_add(rep, in->domain, "current", in->host, OWN_OK, NULL,
				       "%s: published (%s)", desc,
				       own_tlsa_text(&p->rr, txt, sizeof(txt)));
			continue;
		}
		fix_records(fix, sizeof(fix), in, ks);
		if (in->nuncompared > 0) {
			own_report_add(rep, in->domain, "current", in->host, OWN_UNKNOWN, fix,
				       "%s matches no compared record; %zu record(s) with "
				       "matching type 0 (full data) were not compared: "
				       "publish the 3 1 1 record below to be sure", desc,
				       in->nuncompared);
			continue;
		}
		own_report_add(rep, in->domain, "current", in->host, OWN_ERROR, fix,
			       "OUTAGE NOW: the %s matches no TLSA record; DANE "
			       "senders defer mail to this host", desc);
	}

}

/* (b) the next keys */
static void check_next(const struct own_roll_in *in, struct own_report *rep)
{
	char desc[400], a[32], b[32], txt[OWN_TLSA_HEX + 16];
	char line[OWN_TLSA_LINE_MAX];
	long long two_ttl = 2LL * in->ttl;

	for (size_t i = 0; i < in->nnext; i++) {
		const struct own_keyset *ks = &in->next[i];
		const struct own_roll_pub *p;
		enum own_verdict notyet = in->deploy_check ? OWN_ERROR : OWN_WARNING;
		char fix[FIX_MAX] = "";
		int same = 0;

		key_desc(ks, desc, sizeof(desc));
		for (size_t j = 0; j < in->nlive; j++)
			same |= own_keyset_same_key(ks, &in->live[j]);
		p = in->state == OWN_TLSA_SECURE ? covering(in, ks) : NULL;
		if (p == NULL) {
			fix_records(fix, sizeof(fix), in, ks);
			if (in->state == OWN_TLSA_NONE && !in->deploy_check) {
				own_report_add(rep, in->domain, "next", in->host, OWN_WARNING,
					       NULL, "%s: no TLSA published yet (see tlsa)", desc);
				continue;
			}
			own_report_add(rep, in->domain, "next", in->host, notyet, fix,
				       "%s: NOT published: not safe to switch; publish "
				       "the 3 1 1 record below%s and wait 2 x TTL (%s)", desc,
				       ks->n > 1 ? " (the 2 1 1 of its issuing CA also covers "
				       "later keys the CA certifies)" : "",
				       own_duration(two_ttl, a, sizeof(a)));
			continue;
		}
		if (in->now - p->first_seen >= two_ttl) {
			own_report_add(rep, in->domain, "next", in->host, OWN_OK, NULL,
				       "%s: published (%s) for %s >= 2 x TTL (%s): safe to switch%s",
				       desc, own_tlsa_text(&p->rr, txt, sizeof(txt)),
				       own_duration(in->now - p->first_seen, a, sizeof(a)),
				       own_duration(two_ttl, b, sizeof(b)),
				       same ? " (same key as in service)" : "");
			continue;
		}
		{
			char when[32];

			own_report_add(rep, in->domain, "next", in->host, notyet, NULL,
				       "%s: published (%s) only %s ago, first seen %s: "
				       "not safe to switch before %s (2 x TTL = %s)",
				       desc, own_tlsa_text(&p->rr, txt, sizeof(txt)),
				       own_duration(in->now - p->first_seen, a, sizeof(a)),
				       own_time(p->first_seen, when, sizeof(when)),
				       own_time(p->first_seen + two_ttl, line, sizeof(line)),
				       own_duration(two_ttl, b, sizeof(b)));
		}
	}

}

/* (c) records that serve no key: stale, and unusable ones */
static void check_stale(const struct own_roll_in *in, struct own_report *rep,
			const char *owner)
{
	char a[32], b[32], txt[OWN_TLSA_HEX + 16];
	char line[OWN_TLSA_LINE_MAX];
	long long two_ttl = 2LL * in->ttl;
	long long since = in->live_since > 0 ? in->live_since : in->now;

	for (size_t i = 0; i < in->ntlsa; i++) {
		const struct own_tlsa_rr *rr = &in->tlsa[i].rr;
		int used = 0;
		char fix[FIX_MAX] = "", del[OWN_TLSA_LINE_MAX + 16];

		own_tlsa_zone_line(in->host, in->port, in->ttl, rr, line, sizeof(line));
		snprintf(del, sizeof(del), "delete: %s", line);
		if (!usable(rr)) {
			fix_add(fix, sizeof(fix), del);
			own_report_add(rep, in->domain, "unusable", owner, OWN_WARNING, fix,
				       "%s: not usable for SMTP (RFC 7672: usage 2 or 3, "
				       "selector 0/1, SHA-256/512)",
				       own_tlsa_text(rr, txt, sizeof(txt)));
			continue;
		}
		if (in->nlive == 0)
			continue; /* cannot tell stale from current */
		for (size_t j = 0; j < in->nlive && !used; j++)
			used = own_tlsa_matches(rr, &in->live[j], NULL);
		for (size_t j = 0; j < in->nnext && !used; j++)
			used = own_tlsa_matches(rr, &in->next[j], NULL);
		if (used)
			continue;
		fix_add(fix, sizeof(fix), del);
		{
			const char *what = rr->usage == 2 ?
				"pinned to a CA that the served chain no longer contains" :
				"matches no key in service or next";
			if (in->now - since >= two_ttl)
				own_report_add(rep, in->domain, "stale", owner, OWN_WARNING, fix,
					       "%s: %s; the key in service has been served "
					       "for %s >= 2 x TTL: safe to remove",
					       own_tlsa_text(rr, txt, sizeof(txt)), what,
					       own_duration(in->now - since, a, sizeof(a)));
			else
				own_report_add(rep, in->domain, "stale", owner, OWN_WARNING, fix,
					       "%s: %s; remove it after %s (the key in service "
					       "first seen %s ago, 2 x TTL = %s)",
					       own_tlsa_text(rr, txt, sizeof(txt)), what,
					       own_time(since + two_ttl, line, sizeof(line)),
					       own_duration(in->now - since, a, sizeof(a)),
					       own_duration(two_ttl, b, sizeof(b)));
		}
	}
}

int own_roll_check(const struct own_roll_in *in, struct own_report *rep)
{
	char owner[300];
	size_t nusable = 0;

	snprintf(owner, sizeof(owner), "_%u._tcp.%s", in->port ? in->port : 25, in->host);
	for (size_t i = 0; i < in->ntlsa; i++)
		nusable += usable(&in->tlsa[i].rr);
	check_tlsa(in, owner, rep, nusable);
	if (in->state == OWN_TLSA_FAILED)
		return 0;
	check_current(in, rep, nusable);
	check_next(in, rep);
	check_stale(in, rep, owner);
	return 0;
}

int own_roll_deploy_exit(const struct own_report *rep)
{
	int unknown = 0, bad = 0, any = 0;

	for (size_t i = 0; i < rep->n; i++) {
		const struct own_finding *f = &rep->f[i];

		if (strcmp(f->check, "tlsa") == 0 && f->verdict == OWN_UNKNOWN)
			unknown = 1;
		if (strcmp(f->check, "next") != 0)
			continue;
		any = 1;
		if (f->verdict != OWN_OK)
			bad = 1;
	}
	if (bad)
		return 2;
	if (unknown || !any)
		return 3;
	return 0;
}
