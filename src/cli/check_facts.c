/* SPDX-License-Identifier: MIT */
/*
 * check_facts.c - the DANE facts part of `tlspolicy check`: the MX
 * RRset, each host's A/AAAA and TLSA RRsets with their DNSSEC status,
 * every TLSA record usable or not and why (text for --details, JSON for
 * --json).  Pure formatting of struct dane_facts into a buffer.
 *
 * LIMITS: CHECK_HEX_FULL bytes of full TLSA data shown in text; the
 * caller's buffer maximum bounds the output.
 */
#include "cli/check.h"
#include "util/json.h"
#include "dane/dane.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

#define CHECK_HEX_FULL 24

/* ---- text report ---- */

static void hex(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%02x", p[i]);
}

static const char *rrset_state(const struct dane_rrset *r, char *tmp, size_t len)
{
	if (!r->done)
		return "not looked up";
	if (r->status == DNS_STATUS_DATA)
		return dns_sec_name(r->sec);
	snprintf(tmp, len, "%s %s", dns_sec_name(r->sec), dns_status_name(r->status));
	if (r->status == DNS_STATUS_TIMEOUT || r->status == DNS_STATUS_ERROR ||
	    (r->status == DNS_STATUS_SERVFAIL && r->sec != DNS_SEC_BOGUS))
		snprintf(tmp, len, "%s", dns_status_name(r->status));
	return tmp;
}

/* One RRset line: label (indented by depth), status, TTL, rest. */
#define COL_LABEL CHECK_COL_LABEL
static void text_rrset_line(struct buf *b, int depth, const char *label,
			    const struct dane_rrset *r, const char *rest)
{
	char tmp[64], ttl[24] = "";

	if (r->done && (r->status == DNS_STATUS_DATA || r->status == DNS_STATUS_NODATA ||
			r->status == DNS_STATUS_NXDOMAIN) && r->sec != DNS_SEC_BOGUS)
		snprintf(ttl, sizeof(ttl), "ttl %u", r->ttl);
	buf_printf(b, "  %*s%-*s%-18s %-9s %s", depth * 2, "", COL_LABEL - depth * 2,
		   label, rrset_state(r, tmp, sizeof(tmp)), ttl, rest ? rest : "");
	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	if (r->done && r->canon[0] && strcmp(r->canon, r->qname) != 0)
		buf_printf(b, " (CNAME -> %s)", r->canon);
	if (r->done && r->why[0] && (r->status != DNS_STATUS_DATA || r->sec == DNS_SEC_BOGUS))
		buf_printf(b, " [%s]", r->why);
	buf_puts(b, "\n");
}

static void text_tlsa(struct buf *b, const struct dane_tlsa *t)
{
	buf_printf(b, "  %*s%-18s ", COL_LABEL, "", t->usable ? "usable" : "unusable");
	if (t->malformed) {
		buf_printf(b, "(%s)\n", t->why_unusable ? t->why_unusable : "?");
		return;
	}
	buf_printf(b, "%u %u %u ", t->rr.usage, t->rr.selector, t->rr.mtype);
	if (t->rr.mtype == TLSA_MATCH_FULL && t->rr.len > CHECK_HEX_FULL) {
		hex(b, t->rr.data, CHECK_HEX_FULL);
		buf_printf(b, "... (%zu bytes)", t->rr.len);
	} else if (t->rr.len > TLSA_SHA512_LEN) {
		hex(b, t->rr.data, TLSA_SHA512_LEN);
		buf_printf(b, "... (%zu bytes)", t->rr.len);
	} else {
		hex(b, t->rr.data, t->rr.len);
	}
	if (!t->usable && t->why_unusable)
		buf_printf(b, "  (%s)", t->why_unusable);
	buf_puts(b, "\n");
}

/* The addresses of one family, space-separated. */
static void addr_list(struct buf *b, const struct dane_host *h, int v6)
{
	int first = 1;

	for (size_t j = 0; j < h->naddrs; j++) {
		if ((strchr(h->addrs[j], ':') != NULL) != v6)
			continue;
		buf_printf(b, "%s%s", first ? "" : " ", h->addrs[j]);
		first = 0;
	}
}

void check_facts_text(struct buf *b, const struct dane_facts *f, int looked_up)
{
	struct buf tmp;

	buf_init(&tmp, 16384);
	if (f->null_mx)
		buf_puts(&tmp, "0 . (null MX)");
	else if (f->implicit_mx)
		buf_printf(&tmp, "none: implicit MX %s", f->domain);
	for (size_t i = 0; !f->implicit_mx && i < f->nhosts; i++)
		buf_printf(&tmp, "%s%u %s", i ? ", " : "", f->hosts[i].pref,
			   f->hosts[i].name);
	if (f->truncated)
		buf_printf(&tmp, ", ... (only the first %d looked at)", DANE_MAX_HOSTS);
	if (f->nbad_mx)
		buf_printf(&tmp, " (+%zu invalid MX record%s)", f->nbad_mx,
			   f->nbad_mx == 1 ? "" : "s");
	text_rrset_line(b, 0, "MX", &f->mx, tmp.data);
	for (size_t i = 0; i < f->nhosts; i++) {
		const struct dane_host *h = &f->hosts[i];

		if (!looked_up || f->null_mx) {
			buf_printf(b, "  %-*s%s: not looked up (MX RRset not validated)\n",
				   COL_LABEL, "host", h->name);
			continue;
		}
		buf_printf(b, "  %-*s%s: %s\n", COL_LABEL, "host", h->name,
			   dane_host_state_name(dane_host_state(h)));
		buf_reset(&tmp);
		addr_list(&tmp, h, 0);
		text_rrset_line(b, 1, "A", &h->a, tmp.data);
		buf_reset(&tmp);
		addr_list(&tmp, h, 1);
		text_rrset_line(b, 1, "AAAA", &h->aaaa, tmp.data);
		if (h->tlsa_canon.done)
			text_rrset_line(b, 1, "TLSA", &h->tlsa_canon, h->tlsa_canon.qname);
		if (h->tlsa_orig.done)
			text_rrset_line(b, 1, "TLSA", &h->tlsa_orig, h->tlsa_orig.qname);
		for (size_t j = 0; j < h->ntlsa; j++)
			text_tlsa(b, &h->tlsas[j]);
	}
	buf_free(&tmp);
}

static void json_rrset(struct buf *b, const struct dane_rrset *r)
{
	if (!r->done) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"name\":");
	json_buf_str(b, r->qname, JSON_LATIN1);
	buf_puts(b, ",\"canonical\":");
	json_buf_str(b, r->canon[0] ? r->canon : r->qname, JSON_LATIN1);
	buf_printf(b, ",\"status\":\"%s\",\"dnssec\":\"%s\",\"ttl\":%u,\"why\":",
		   dns_status_name(r->status), dns_sec_name(r->sec), r->ttl);
	if (r->why[0])
		json_buf_str(b, r->why, JSON_LATIN1);
	else
		buf_puts(b, "null");
	buf_puts(b, "}");
}

void check_facts_json(struct buf *b, const struct dane_facts *f, int looked_up)
{
	buf_puts(b, "\"mx\":");
	json_rrset(b, &f->mx);
	buf_printf(b, ",\"implicit_mx\":%s,\"null_mx\":%s,\"truncated\":%s,"
		   "\"invalid_mx_records\":%zu,\"hosts\":[",
		   f->implicit_mx ? "true" : "false", f->null_mx ? "true" : "false",
		   f->truncated ? "true" : "false", f->nbad_mx);
	for (size_t i = 0; i < f->nhosts; i++) {
		const struct dane_host *h = &f->hosts[i];

		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		json_buf_str(b, h->name, JSON_LATIN1);
		buf_printf(b, ",\"preference\":%u,\"looked_up\":%s,\"state\":", h->pref,
			   looked_up && !f->null_mx ? "true" : "false");
		if (looked_up && !f->null_mx)
			json_buf_str(b, dane_host_state_name(dane_host_state(h)), JSON_LATIN1);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"a\":");
		json_rrset(b, &h->a);
		buf_puts(b, ",\"aaaa\":");
		json_rrset(b, &h->aaaa);
		buf_puts(b, ",\"addresses\":[");
		for (size_t j = 0; j < h->naddrs; j++) {
			if (j)
				buf_puts(b, ",");
			json_buf_str(b, h->addrs[j], JSON_LATIN1);
		}
		buf_puts(b, "],\"tlsa_lookups\":[");
		if (h->tlsa_canon.done) {
			json_rrset(b, &h->tlsa_canon);
			if (h->tlsa_orig.done)
				buf_puts(b, ",");
		}
		if (h->tlsa_orig.done)
			json_rrset(b, &h->tlsa_orig);
		buf_puts(b, "],\"tlsa\":[");
		for (size_t j = 0; j < h->ntlsa; j++) {
			const struct dane_tlsa *t = &h->tlsas[j];

			if (t->malformed) {
				buf_puts(b, j ? ",{\"malformed\":true,\"usable\":false,\"why\":"
					      : "{\"malformed\":true,\"usable\":false,\"why\":");
				json_buf_str(b, t->why_unusable, JSON_LATIN1);
				buf_puts(b, "}");
				continue;
			}
			buf_printf(b, "%s{\"usage\":%u,\"selector\":%u,\"matching_type\":%u,"
				   "\"data\":\"", j ? "," : "", t->rr.usage,
				   t->rr.selector, t->rr.mtype);
			hex(b, t->rr.data, t->rr.len);
			buf_printf(b, "\",\"usable\":%s,\"why\":", t->usable ? "true" : "false");
			if (t->why_unusable)
				json_buf_str(b, t->why_unusable, JSON_LATIN1);
			else
				buf_puts(b, "null");
			buf_puts(b, "}");
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]");
}
