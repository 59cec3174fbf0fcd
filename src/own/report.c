/* SPDX-License-Identifier: MIT */
/*
 * own/report.c - findings, verdicts, exit code, table and JSON
 * (report.h).
 */
#include "own/report.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void own_report_init(struct own_report *r)
{
	memset(r, 0, sizeof(*r));
}

void own_report_free(struct own_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i].fix);
	free(r->f);
	memset(r, 0, sizeof(*r));
}

struct own_finding *own_report_add(struct own_report *r, const char *domain,
				   const char *check, const char *subject,
				   enum own_verdict v, const char *fix,
				   const char *fmt, ...)
{
	struct own_finding *f;
	va_list ap;
	int n;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct own_finding *nf = realloc(r->f, cap * sizeof(*nf));

		if (nf == NULL)
			abort();
		r->f = nf;
		r->cap = cap;
	}
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->domain, sizeof(f->domain), "%s", domain ? domain : "");
	snprintf(f->check, sizeof(f->check), "%s", check);
	snprintf(f->subject, sizeof(f->subject), "%s", subject ? subject : "");
	f->verdict = v;
	va_start(ap, fmt);
	n = vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(f->msg))
		memcpy(f->msg + sizeof(f->msg) - 4, "...", 4);
	if (fix && *fix && (f->fix = strdup(fix)) == NULL)
		abort();
	return f;
}

const char *own_verdict_name(enum own_verdict v)
{
	switch (v) {
	case OWN_OK: return "ok";
	case OWN_WARNING: return "warning";
	case OWN_ERROR: return "error";
	case OWN_UNKNOWN: return "unknown";
	}
	return "?";
}

/* error > unknown > warning > ok */
static int rank(enum own_verdict v)
{
	return v == OWN_ERROR ? 3 : v == OWN_UNKNOWN ? 2 : v == OWN_WARNING ? 1 : 0;
}

enum own_verdict own_report_worst(const struct own_report *r, const char *domain)
{
	enum own_verdict w = OWN_OK;

	for (size_t i = 0; i < r->n; i++)
		if ((domain == NULL || strcmp(r->f[i].domain, domain) == 0) &&
		    rank(r->f[i].verdict) > rank(w))
			w = r->f[i].verdict;
	return w;
}

int own_report_exit(const struct own_report *r)
{
	switch (own_report_worst(r, NULL)) {
	case OWN_OK: return 0;
	case OWN_WARNING: return 1;
	case OWN_ERROR: return 2;
	case OWN_UNKNOWN: return 3;
	}
	return 3;
}

/* The distinct domains in order of first appearance. */
static int first_of_domain(const struct own_report *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(r->f[j].domain, r->f[i].domain) == 0)
			return 0;
	return 1;
}

void own_report_text(FILE *out, const struct own_report *r)
{
	for (size_t d = 0; d < r->n; d++) {
		const char *dom = r->f[d].domain;
		int wc = 5, ws = 7, nfix = 0;

		if (!first_of_domain(r, d))
			continue;
		for (size_t i = d; i < r->n; i++) {
			const struct own_finding *f = &r->f[i];
			int l;

			if (strcmp(f->domain, dom) != 0)
				continue;
			if ((l = (int)strlen(f->check)) > wc)
				wc = l;
			if ((l = (int)strlen(f->subject)) > ws)
				ws = l;
		}
		if (d > 0)
			fputc('\n', out);
		fprintf(out, "%s: %s\n", dom[0] ? dom : "(no domain)",
			own_verdict_name(own_report_worst(r, dom)));
		fprintf(out, "  %-*s  %-*s  %-7s  %s\n", wc, "CHECK", ws, "SUBJECT",
			"VERDICT", "FINDING");
		for (size_t i = d; i < r->n; i++) {
			const struct own_finding *f = &r->f[i];

			if (strcmp(f->domain, dom) != 0)
				continue;
			fprintf(out, "  %-*s  %-*s  %-7s  %s\n", wc, f->check, ws,
				f->subject, own_verdict_name(f->verdict), f->msg);
			nfix += f->fix != NULL;
		}
		if (nfix == 0)
			continue;
		fprintf(out, "  To fix:\n");
		for (size_t i = d; i < r->n; i++) {
			const struct own_finding *f = &r->f[i];
			const char *p;

			if (strcmp(f->domain, dom) != 0 || f->fix == NULL)
				continue;
			fprintf(out, "  [%s %s]\n", f->check, f->subject);
			for (p = f->fix; *p;) {
				const char *e = strchr(p, '\n');
				size_t len = e ? (size_t)(e - p) : strlen(p);

				fprintf(out, "    %.*s\n", (int)len, p);
				p += len + (e != NULL);
			}
		}
	}
}

void own_report_json(FILE *out, const struct own_report *r)
{
	own_report_json_exit(out, r, own_report_exit(r));
}

void own_report_json_exit(FILE *out, const struct own_report *r, int code)
{
	int first_dom = 1;

	fprintf(out, "{\"verdict\":\"%s\",\"exit\":%d,\"domains\":[",
		own_verdict_name(own_report_worst(r, NULL)), code);
	for (size_t d = 0; d < r->n; d++) {
		const char *dom = r->f[d].domain;
		int first = 1;

		if (!first_of_domain(r, d))
			continue;
		fprintf(out, "%s{\"domain\":", first_dom ? "" : ",");
		first_dom = 0;
		json_fput_str(out, dom, 0);
		fprintf(out, ",\"verdict\":\"%s\",\"checks\":[",
			own_verdict_name(own_report_worst(r, dom)));
		for (size_t i = d; i < r->n; i++) {
			const struct own_finding *f = &r->f[i];

			if (strcmp(f->domain, dom) != 0)
				continue;
			fprintf(out, "%s{\"check\":", first ? "" : ",");
			first = 0;
			json_fput_str(out, f->check, 0);
			fputs(",\"subject\":", out);
			json_fput_str(out, f->subject, 0);
			fprintf(out, ",\"verdict\":\"%s\",\"message\":",
				own_verdict_name(f->verdict));
			json_fput_str(out, f->msg, 0);
			fputs(",\"fix\":", out);
			if (f->fix)
				json_fput_str(out, f->fix, 0);
			else
				fputs("null", out);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}
