/* SPDX-License-Identifier: MIT */
/*
 * probe_report.c - a probe result as text for people and as one JSON
 * object (see probe.h).  Every string from the peer goes through
 * printable() (text) or a JSON escaper that also replaces invalid
 * UTF-8 by U+FFFD, so a hostile banner cannot break either output.
 */
#include "probe/probe.h"
#include "util/json.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define REPORT_TEXT_MAX 300   /* bytes of one peer string shown in text */

static const char *show(char *buf, size_t len, const char *s)
{
	return printable(buf, len, s, strlen(s));
}

static const char *dns_sec_word(enum dns_sec s)
{
	return dns_sec_name(s);
}

static void fp(const unsigned char *md, char out[FPRINT_TEXT_MAX])
{
	fprint_format(md, FPRINT_SHA256_LEN, out, FPRINT_TEXT_MAX);
}

static const char *validity_word(const struct cert_info *c, time_t now)
{
	if (now < c->not_before)
		return "not yet valid";
	if (now > c->not_after)
		return "EXPIRED";
	return "valid now";
}

static void hex(FILE *out, const unsigned char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", d[i]);
}

static const char *usage_word(unsigned u)
{
	const char *n = tlsa_usage_name(u);

	return n ? n : "unknown";
}

/* ------------------------------------------------------------------ */

void probe_report_text(FILE *out, const struct probe_result *r)
{
	char b1[REPORT_TEXT_MAX * 4 + 8], f1[FPRINT_TEXT_MAX], f2[FPRINT_TEXT_MAX];
	char t1[32], t2[32];
	time_t now = time(NULL);

	fprintf(out, "probe %s port %u%s%s%s\n", show(b1, sizeof(b1), r->host), r->port,
		r->addr[0] ? " (" : "", r->addr, r->addr[0] ? ")" : "");
	fprintf(out, "  status:        %s%s%s\n", probe_status_name(r->status),
		r->why[0] ? ": " : "", r->why[0] ? show(b1, sizeof(b1), r->why) : "");
	for (size_t i = 0; i < r->nattempts; i++)
		fprintf(out, "  address:       %s %s%s%s\n", r->attempts[i].addr,
			probe_status_name(r->attempts[i].status),
			strcmp(r->attempts[i].why, "ok") ? ": " : "",
			strcmp(r->attempts[i].why, "ok") ? show(b1, sizeof(b1), r->attempts[i].why) : "");
	if (r->resolved_by_dns)
		fprintf(out, "  addresses:     DNSSEC %s\n", dns_sec_word(r->addr_sec));
	if (r->banner_code) {
		for (size_t i = 0; i < r->nbanner; i++)
			fprintf(out, "  %s %03d%c%s\n", i == 0 ? "banner:       " : "              ",
				r->banner_code, i + 1 < r->nbanner ? '-' : ' ',
				show(b1, sizeof(b1), r->banner[i]));
	}
	if (r->ehlo_code) {
		fprintf(out, "  EHLO:          %03d %s\n", r->ehlo_code,
			r->ehlo_greeting ? show(b1, sizeof(b1), r->ehlo_greeting) : "");
		for (size_t i = 0; i < r->next; i++)
			fprintf(out, "                 %s\n", show(b1, sizeof(b1), r->ext[i]));
	}
	fprintf(out, "  STARTTLS:      %s", probe_tls_name(r->tls));
	if (r->tls == PROBE_TLS_OK)
		fprintf(out, " (%s, %s, %d bits)", r->tls_version, r->cipher, r->cipher_bits);
	else if (r->tls_why[0])
		fprintf(out, ": %s", show(b1, sizeof(b1), r->tls_why));
	fputc('\n', out);
	fprintf(out, "  SNI:           %s\n", r->servername[0] ? r->servername : "(none)");
	if (r->next_tls > 0) {
		fprintf(out, "  EHLO (TLS):   ");
		for (size_t i = 0; i < r->next_tls; i++)
			fprintf(out, " %s", show(b1, sizeof(b1), r->ext_tls[i]));
		fputc('\n', out);
	}
	if (r->tls == PROBE_TLS_OK) {
		fprintf(out, "  chain:         %zu certificate%s sent%s\n", r->nchain_sent,
			r->nchain_sent == 1 ? "" : "s",
			r->nchain < r->nchain_sent ? " (first ones shown)" : "");
		for (size_t i = 0; i < r->nchain; i++) {
			const struct cert_info *c = &r->chain[i];

			fprintf(out, "  [%zu] subject:   %s\n", i, show(b1, sizeof(b1), c->subject));
			fprintf(out, "      issuer:    %s\n", show(b1, sizeof(b1), c->issuer));
			if (c->ndns > 0) {
				fprintf(out, "      DNS names:");
				for (size_t k = 0; k < c->ndns; k++)
					fprintf(out, " %s", show(b1, sizeof(b1), c->dns[k]));
				fputc('\n', out);
			}
			if (c->nip > 0) {
				fprintf(out, "      IP names: ");
				for (size_t k = 0; k < c->nip; k++)
					fprintf(out, " %s", c->ip[k]);
				fputc('\n', out);
			}
			fprintf(out, "      validity:  %s .. %s (%s)\n",
				cert_time_format(c->not_before, t1, sizeof(t1)),
				cert_time_format(c->not_after, t2, sizeof(t2)), validity_word(c, now));
			fprintf(out, "      key:       %s %d bits%s%s%s, signed %s\n", c->key_type,
				c->key_bits, c->key_curve[0] ? " (" : "", c->key_curve,
				c->key_curve[0] ? ")" : "", c->sig_alg);
			fprintf(out, "      cert sha256: %s\n", (fp(c->cert_sha256, f1), f1));
			fprintf(out, "      pkey sha256: %s\n", (fp(c->pkey_sha256, f2), f2));
		}
		fprintf(out, "  verification:  %s%s%s\n", r->verified ? "ok" : "failed",
			r->verified ? "" : ": ", r->verified ? "" : r->verify_why);
		if (r->nchain > 0) {
			const struct cert_info *c = &r->chain[0];
			char *const *names = c->ndns > 0 ? c->dns : c->cn;
			size_t n = c->ndns > 0 ? c->ndns : c->ncn;

			fprintf(out, "  valid for:    ");
			for (size_t k = 0; k < n; k++)
				fprintf(out, " %s", show(b1, sizeof(b1), names[k]));
			fprintf(out, "%s\n", n == 0 ? " (no names)" : c->ndns > 0 ? "" : " (CommonName)");
		}
		if (r->host_checked) {
			fprintf(out, "  host name:     %s: ", r->host_checked_name);
			if (r->host_match)
				fprintf(out, "matched by %s\n", show(b1, sizeof(b1), r->host_match_name));
			else
				fprintf(out, "no certificate name matches\n");
		}
	}
	if (r->tlsa_name[0]) {
		fprintf(out, "  TLSA:          %s: %s, DNSSEC %s", r->tlsa_name,
			r->tlsa_looked_up ? dns_status_name(r->tlsa_status) : "not looked up",
			dns_sec_word(r->tlsa_sec));
		fprintf(out, "; DANE: %s\n", r->dane);
		for (size_t i = 0; i < r->ntlsa; i++) {
			const struct probe_tlsa *t = &r->tlsa[i];

			fprintf(out, "                 %u %u %u ", t->rr.usage, t->rr.selector, t->rr.mtype);
			hex(out, t->rr.data, t->rr.len > 32 ? 32 : t->rr.len);
			fprintf(out, "%s [%s", t->rr.len > 32 ? "..." : "", usage_word(t->rr.usage));
			if (!t->usable)
				fprintf(out, ", unusable: %s", t->why_unusable ? t->why_unusable : "?");
			if (r->tls == PROBE_TLS_OK) {
				if (t->match == TLSA_CHAIN_MATCH)
					fprintf(out, ", matches depth %d", t->depth);
				else if (t->match == TLSA_CHAIN_NOMATCH)
					fprintf(out, ", no match");
				else
					fprintf(out, ", not used by Postfix");
			}
			fprintf(out, "]\n");
		}
	}
	fprintf(out, "  time:          %u ms (resolve %u, connect %u, banner %u, TLS %u)\n",
		r->ms_total, r->ms_resolve, r->ms_connect, r->ms_banner, r->ms_tls);
}

static void jlines(FILE *out, char *const *v, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_fput_str(out, v[i], 0);
	}
	fputc(']', out);
}

void probe_report_json(FILE *out, const struct probe_result *r)
{
	char f1[FPRINT_TEXT_MAX], t1[32];
	time_t now = time(NULL);

	fprintf(out, "{\"host\":");
	json_fput_str(out, r->host, 0);
	fprintf(out, ",\"port\":%u,\"servername\":", r->port);
	json_fput_str(out, r->servername, 0);
	fprintf(out, ",\"status\":\"%s\",\"why\":", probe_status_name(r->status));
	json_fput_str(out, r->why, 0);
	fprintf(out, ",\"address\":");
	json_fput_str(out, r->addr, 0);
	fprintf(out, ",\"attempts\":[");
	for (size_t i = 0; i < r->nattempts; i++) {
		fprintf(out, "%s{\"address\":", i ? "," : "");
		json_fput_str(out, r->attempts[i].addr, 0);
		fprintf(out, ",\"status\":\"%s\",\"why\":", probe_status_name(r->attempts[i].status));
		json_fput_str(out, r->attempts[i].why, 0);
		fputc('}', out);
	}
	fprintf(out, "],\"address_dnssec\":\"%s\"", r->resolved_by_dns ? dns_sec_word(r->addr_sec) : "");
	fprintf(out, ",\"banner_code\":%d,\"banner\":", r->banner_code);
	jlines(out, r->banner, r->nbanner);
	fprintf(out, ",\"ehlo_code\":%d,\"ehlo_greeting\":", r->ehlo_code);
	json_fput_str(out, r->ehlo_greeting, 0);
	fprintf(out, ",\"extensions\":");
	jlines(out, r->ext, r->next);
	fprintf(out, ",\"starttls_offered\":%s,\"tls\":\"%s\",\"tls_why\":",
		r->starttls_offered ? "true" : "false", probe_tls_name(r->tls));
	json_fput_str(out, r->tls_why, 0);
	fprintf(out, ",\"extensions_tls\":");
	jlines(out, r->ext_tls, r->next_tls);
	fprintf(out, ",\"tls_version\":");
	json_fput_str(out, r->tls_version, 0);
	fprintf(out, ",\"cipher\":");
	json_fput_str(out, r->cipher, 0);
	fprintf(out, ",\"cipher_bits\":%d,\"chain_sent\":%zu,\"chain\":[", r->cipher_bits,
		r->nchain_sent);
	for (size_t i = 0; i < r->nchain; i++) {
		const struct cert_info *c = &r->chain[i];

		fprintf(out, "%s{\"subject\":", i ? "," : "");
		json_fput_str(out, c->subject, 0);
		fprintf(out, ",\"issuer\":");
		json_fput_str(out, c->issuer, 0);
		fprintf(out, ",\"serial\":");
		json_fput_str(out, c->serial, 0);
		fprintf(out, ",\"dns_names\":");
		jlines(out, c->dns, c->ndns);
		fprintf(out, ",\"common_names\":");
		jlines(out, c->cn, c->ncn);
		fprintf(out, ",\"ip_names\":");
		jlines(out, c->ip, c->nip);
		fprintf(out, ",\"not_before\":\"%s\"", cert_time_format(c->not_before, t1, sizeof(t1)));
		fprintf(out, ",\"not_after\":\"%s\"", cert_time_format(c->not_after, t1, sizeof(t1)));
		fprintf(out, ",\"validity\":\"%s\",\"key_type\":\"%s\",\"key_bits\":%d,\"key_curve\":",
			validity_word(c, now), c->key_type, c->key_bits);
		json_fput_str(out, c->key_curve, 0);
		fprintf(out, ",\"signature\":");
		json_fput_str(out, c->sig_alg, 0);
		fprintf(out, ",\"self_issued\":%s,\"ca\":%s", c->self_issued ? "true" : "false",
			c->is_ca ? "true" : "false");
		fprintf(out, ",\"sha256\":\"%s\"", (fp(c->cert_sha256, f1), f1));
		fprintf(out, ",\"pkey_sha256\":\"%s\"}", (fp(c->pkey_sha256, f1), f1));
	}
	fprintf(out, "],\"verified\":%s,\"verify_error\":%ld,\"verify_why\":",
		r->verified ? "true" : "false", r->verify_error);
	json_fput_str(out, r->tls == PROBE_TLS_OK ? r->verify_why : "", 0);
	fprintf(out, ",\"valid_for\":");
	if (r->nchain > 0) {
		const struct cert_info *c = &r->chain[0];

		jlines(out, c->ndns > 0 ? c->dns : c->cn, c->ndns > 0 ? c->ndns : c->ncn);
	} else {
		fputs("[]", out);
	}
	fprintf(out, ",\"host_checked\":%s,\"host_checked_name\":",
		r->host_checked ? "true" : "false");
	json_fput_str(out, r->host_checked_name, 0);
	fprintf(out, ",\"host_match\":%s,\"host_match_name\":", r->host_match ? "true" : "false");
	json_fput_str(out, r->host_match_name, 0);
	fprintf(out, ",\"tlsa_name\":");
	json_fput_str(out, r->tlsa_name, 0);
	fprintf(out, ",\"tlsa_status\":\"%s\",\"tlsa_dnssec\":\"%s\",\"dane\":\"%s\",\"tlsa\":[",
		r->tlsa_looked_up ? dns_status_name(r->tlsa_status) : "",
		r->tlsa_looked_up ? dns_sec_word(r->tlsa_sec) : "", r->dane);
	for (size_t i = 0; i < r->ntlsa; i++) {
		const struct probe_tlsa *t = &r->tlsa[i];

		fprintf(out, "%s{\"usage\":%u,\"selector\":%u,\"mtype\":%u,\"data\":\"", i ? "," : "",
			t->rr.usage, t->rr.selector, t->rr.mtype);
		hex(out, t->rr.data, t->rr.len);
		fprintf(out, "\",\"usable\":%s,\"why_unusable\":", t->usable ? "true" : "false");
		json_fput_str(out, t->usable ? "" : t->why_unusable, 0);
		fprintf(out, ",\"match\":\"%s\",\"depth\":%d}",
			r->tls != PROBE_TLS_OK ? "" :
			t->match == TLSA_CHAIN_MATCH ? "match" :
			t->match == TLSA_CHAIN_NOMATCH ? "no-match" : "ignored", t->depth);
	}
	fprintf(out, "],\"ms\":{\"total\":%u,\"resolve\":%u,\"connect\":%u,\"banner\":%u,\"tls\":%u}}\n",
		r->ms_total, r->ms_resolve, r->ms_connect, r->ms_banner, r->ms_tls);
}
