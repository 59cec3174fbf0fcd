/* SPDX-License-Identifier: MIT */
/*
 * page.c - the HTML page of `tlspolicy report` (report.h): one document,
 * inline CSS and SVG, readable without script; one small inline script
 * sorts the destinations table when a column head is clicked.  A
 * Content-Security-Policy meta element forbids every load (default-src
 * 'none') and allows only the inline style and that one script, by its
 * SHA-256, so even a name that escaped the escaping could not run or
 * fetch anything.
 *
 * Opening fast with 1000 rows (bench/report/open.py, docs/benchmarks.md):
 * Chromium's parser yields to draw a frame every few milliseconds, and
 * each frame laid the growing table out again; a render-blocking
 * <link rel="expect" href="#end"> (it fetches nothing) holds the first
 * frame until the last element is parsed.  The destinations come in
 * chunks of 50 rows, each a table of fixed layout (the column widths
 * computed here from the content, so the chunks line up) in a
 * content-visibility:auto box: only the chunks on screen are laid out
 * (one auto-sized table of 1000 rows took ~0.4 s of layout).
 */
#include "report/report.h"
#include "report/html.h"
#include "report/svg.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px;"
	"color:#1f2328;background:#fff}"
	"h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;"
	"border-bottom:1px solid #d0d7de}h3{font-size:15px;margin:16px 0 6px}"
	".meta{color:#59636e}nav a{margin-right:14px}"
	"table{border-collapse:collapse;width:100%;margin:6px 0}"
	"th,td{border-bottom:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}"
	"td.n,th.n,.dests td:nth-child(n+6):nth-child(-n+13){text-align:right;"
	"font-variant-numeric:tabular-nums}"
	"th{background:#f6f8fa;cursor:pointer;white-space:nowrap}"
	"tr.warn td:first-child{border-left:3px solid #cf222e}"
	".chart{width:100%;height:auto;max-height:340px}"
	".chart .grid{stroke:#d0d7de;stroke-width:1}"
	".chart .tick{font-size:11px;text-anchor:end;fill:#59636e}"
	".chart .xlabel{font-size:11px;text-anchor:middle;fill:#59636e}"
	".chart .empty{font-size:16px;text-anchor:middle;fill:#59636e}"
	".g-verified{fill:#1a7f37;background:#1a7f37}.g-trusted{fill:#54aeff;background:#54aeff}"
	".g-untrusted{fill:#d4a72c;background:#d4a72c}.g-anonymous{fill:#bc4c00;background:#bc4c00}"
	".g-plaintext{fill:#cf222e;background:#cf222e}"
	".key{display:inline-block;width:11px;height:11px;margin:0 4px 0 12px}"
	".none{color:#59636e;font-style:italic}"
	"code{font-size:13px;word-break:break-all}.scroll{overflow-x:auto}"
	".dests{table-layout:fixed;min-width:100%;margin:0}.dests td{overflow-wrap:anywhere}"
	".chunk{content-visibility:auto}";

/* Sorts a table.sortable by the clicked column: numbers (th.n) as
 * numbers, everything else as text; a second click reverses.  A table
 * without a body is the head of the chunks that follow it in its box
 * (the destinations): their rows are sorted together and dealt back in
 * the same counts. */
static const char script[] =
	"document.querySelectorAll('table.sortable th').forEach(function(th,i){"
	"th.addEventListener('click',function(){"
	"var t=th.closest('table'),tbs=t.tBodies.length?[t.tBodies[0]]:"
	"Array.from(t.parentNode.querySelectorAll('tbody')),rows=[],"
	"num=th.classList.contains('n'),dir=th.dataset.dir==='a'?-1:1,k=0;"
	"th.dataset.dir=dir===1?'a':'d';"
	"var ns=tbs.map(function(tb){rows.push.apply(rows,tb.rows);return tb.rows.length;});"
	"rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;"
	"return dir*(num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y));});"
	"tbs.forEach(function(tb,j){tb.replaceChildren.apply(tb,rows.slice(k,k+ns[j]));"
	"k+=ns[j];});});});";

static const char *const grade_key[LOGLINE_TRUST_COUNT] = {
	"verified", "trusted", "untrusted", "anonymous", "plaintext"
};
static const char *const grade_cls[LOGLINE_TRUST_COUNT] = {
	"g-verified", "g-trusted", "g-untrusted", "g-anonymous", "g-plaintext"
};

static const char *day_label(const void *arg, size_t i)
{
	return ((const struct report *)arg)->days[i].date;
}

static unsigned long day_value(const void *arg, size_t i, size_t s)
{
	return ((const struct report *)arg)->days[i].n[s];
}

/* 'sha256-BASE64' of the script for the Content-Security-Policy. */
static void script_hash(char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;

	if (!EVP_Digest(script, sizeof(script) - 1, md, &mdlen, EVP_sha256(), NULL)) {
		snprintf(out, n, "'none'");
		return;
	}
	EVP_EncodeBlock(b64, md, (int)mdlen);
	snprintf(out, n, "'sha256-%s'", (const char *)b64);
}

static int td(struct buf *b, const char *cls, const char *s)
{
	int rc = buf_printf(b, cls ? "<td class=\"%s\">" : "<td>", cls);

	rc |= html_text(b, s ? s : "");
	rc |= buf_puts(b, "</td>");
	return rc;
}

static int td_num(struct buf *b, unsigned long v)
{
	return buf_printf(b, "<td class=\"n\">%lu</td>", v);
}

/* A number cell of the destinations table: right-aligned by its column
 * (the CSS above), not by a class on each of its up to 8,000 cells. */
static int td_col_num(struct buf *b, unsigned long v)
{
	return buf_printf(b, "<td>%lu</td>", v);
}

static int pct(char *out, size_t n, unsigned long part, unsigned long all)
{
	return snprintf(out, n, all ? "%.1f%%" : "-", all ? 100.0 * (double)part / (double)all : 0.0);
}

static void fmt_time(char *out, size_t n, time_t t)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm);
}

static int coverage(struct buf *b, const struct report *r)
{
	static struct svg_series series[LOGLINE_TRUST_COUNT];
	unsigned long tot[LOGLINE_TRUST_COUNT] = { 0 }, all;
	struct svg_bars c;
	char p[32];
	int rc = 0;

	for (int g = 0; g < LOGLINE_TRUST_COUNT; g++) {
		series[g].key = grade_key[g];
		series[g].title = report_grade_title(g);
		series[g].cls = grade_cls[g];
	}
	for (size_t i = 0; i < r->ndays; i++)
		for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
			tot[g] += r->days[i].n[g];
	all = report_sum(tot);
	rc |= buf_puts(b, "<section id=\"coverage\"><h2>TLS coverage per day</h2>");
	if (!r->have_logs) {
		rc |= buf_puts(b, "<p class=\"none\">No logs were given (--from-logs FILE).</p>"
			       "</section>");
		return rc;
	}
	rc |= buf_printf(b, "<p class=\"meta\">Sent deliveries per day from %lu log file%s "
			 "(%lu lines), by the TLS grade Postfix logged.", r->files,
			 r->files == 1 ? "" : "s", r->lines);
	if (r->undated)
		rc |= buf_printf(b, " %lu deliveries without a usable time stamp are in the "
				 "totals but in no day.", r->undated);
	rc |= buf_puts(b, "</p><p>");
	for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
		rc |= buf_printf(b, "<span class=\"key %s\"></span>%s", grade_cls[g],
				 report_grade_title(g));
	rc |= buf_puts(b, "</p>");
	memset(&c, 0, sizeof(c));
	c.title = "Sent deliveries per day by TLS grade";
	c.empty = "No deliveries in the logs";
	c.nseries = LOGLINE_TRUST_COUNT;
	c.series = series;
	c.nbars = r->ndays;
	c.label = day_label;
	c.value = day_value;
	c.arg = r;
	rc |= svg_stacked(b, &c);
	rc |= buf_puts(b, "<table id=\"totals\"><thead><tr><th>grade</th><th class=\"n\">"
		       "deliveries</th><th class=\"n\">share</th></tr></thead><tbody>");
	for (int g = 0; g < LOGLINE_TRUST_COUNT; g++) {
		pct(p, sizeof(p), tot[g], all);
		rc |= buf_printf(b, "<tr data-grade=\"%s\"><td><span class=\"key %s\"></span>%s</td>",
				 grade_key[g], grade_cls[g], report_grade_title(g));
		rc |= td_num(b, tot[g]);
		rc |= td(b, "n", p);
		rc |= buf_puts(b, "</tr>");
	}
	rc |= buf_printf(b, "<tr data-grade=\"total\"><td><b>total</b></td><td class=\"n\"><b>%lu"
			 "</b></td><td class=\"n\"></td></tr></tbody></table>", all);
	if (r->ndays) {
		rc |= buf_puts(b, "<details><summary>Numbers per day</summary><table id=\"days\">"
			       "<thead><tr><th>day</th>");
		for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
			rc |= buf_printf(b, "<th class=\"n\">%s</th>", report_grade_title(g));
		rc |= buf_puts(b, "<th class=\"n\">total</th></tr></thead><tbody>");
		for (size_t i = 0; i < r->ndays; i++) {
			rc |= buf_printf(b, "<tr><td>%s</td>", r->days[i].date);
			for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
				rc |= td_num(b, r->days[i].n[g]);
			rc |= td_num(b, report_sum(r->days[i].n));
			rc |= buf_puts(b, "</tr>");
		}
		rc |= buf_puts(b, "</tbody></table></details>");
	}
	rc |= buf_puts(b, "</section>");
	return rc;
}

/* The destinations table: DEST_COLS columns, DEST_CHUNK rows per chunk. */
enum { DEST_COLS = 10 + LOGLINE_TRUST_COUNT, DEST_CHUNK = 50, DEST_MAX_CH = 40 };

/* Characters of a UTF-8 string as a browser counts them (approximately:
 * code points, not grapheme clusters). */
static size_t u8len(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static size_t digits(unsigned long v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void widen(size_t *w, size_t n)
{
	if (n > *w)
		*w = n < DEST_MAX_CH ? n : DEST_MAX_CH;
}

static const char *dest_title(int c)
{
	static const char *const t[DEST_COLS] = {
		"domain", "provider", "published", "TLS policy", "parameter", "deliveries",
		[6 + LOGLINE_TRUST_COUNT] = "deferred", "TLS failures", "recommendation", "note",
	};

	return c >= 6 && c < 6 + LOGLINE_TRUST_COUNT ? report_grade_title(c - 6) : t[c];
}

/*
 * The widths of the destinations' columns, in em (the same in the bold
 * head as in the rows, unlike ch), from the longest content of each
 * (text capped at DEST_MAX_CH characters, then wrapped), and the
 * page style that gives them to the first row of every chunk:
 * table-layout:fixed lays each chunk out from those widths alone, so the
 * chunks' columns line up, and a chunk off screen is not laid out at all
 * (content-visibility:auto).  One table of 1000 auto-sized rows cost
 * Chromium ~0.4 s of layout before its first frame (docs/benchmarks.md).
 */
static int dest_style(struct buf *b, const struct report *r)
{
	/* thousandths of an em per character: bold heads, digits, text */
	enum { EM_HEAD = 660, EM_DIGIT = 640, EM_TEXT = 620 };
	size_t w[DEST_COLS], h[DEST_COLS], sum = 0;
	int rc = 0;

	for (int c = 0; c < DEST_COLS; c++) {
		h[c] = u8len(dest_title(c)) * EM_HEAD;
		w[c] = 0;
	}
	for (size_t i = 0; i < r->ndests; i++) {
		const struct report_dest *d = &r->dests[i];

		widen(&w[0], u8len(d->domain));
		if (d->checked) {
			widen(&w[1], u8len(d->provider));
			widen(&w[2], u8len(d->published));
			widen(&w[3], u8len(d->policy));
			widen(&w[4], u8len(d->parameter));
		}
		widen(&w[5], digits(d->sent));
		for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
			widen(&w[6 + g], digits(d->n[g]));
		widen(&w[6 + LOGLINE_TRUST_COUNT], digits(d->deferred));
		widen(&w[7 + LOGLINE_TRUST_COUNT], digits(d->failures));
		if (d->recommend)
			widen(&w[8 + LOGLINE_TRUST_COUNT], u8len(d->recommend) + 3 +
			      u8len(d->recommend_src ? d->recommend_src : "check"));
		else if (d->suggestion)
			widen(&w[8 + LOGLINE_TRUST_COUNT], u8len(d->suggestion) + 7);
		widen(&w[9 + LOGLINE_TRUST_COUNT], u8len(d->note));
	}
	rc |= buf_puts(b, "<style>");
	for (int c = 0; c < DEST_COLS; c++) {
		size_t em = w[c] * (c >= 5 && c < 8 + LOGLINE_TRUST_COUNT ? EM_DIGIT : EM_TEXT);

		if (em < h[c])
			em = h[c];
		rc |= buf_printf(b, ".dests tr:first-child>:nth-child(%d){width:%zu.%02zuem}",
				 c + 1, em / 1000, em % 1000 / 10);
		sum += em;
	}
	/* 12px: the cells' padding */
	rc |= buf_printf(b, ".dests{width:calc(%zu.%02zuem + %dpx)}</style>", sum / 1000,
			 sum % 1000 / 10, 12 * DEST_COLS);
	return rc;
}

static int dest_row(struct buf *b, const struct report_dest *d)
{
	const char *na = d->checked ? "" : "-";
	int rc = 0;

	rc |= buf_printf(b, "<tr class=\"dest%s\" data-domain=\"", d->warning ? " warn" : "");
	rc |= html_attr(b, d->domain);
	rc |= buf_puts(b, "\">");
	rc |= td(b, NULL, d->domain);
	rc |= td(b, NULL, d->checked ? d->provider : na);
	rc |= td(b, NULL, d->checked ? d->published : na);
	rc |= td(b, NULL, d->checked ? d->policy : na);
	rc |= td(b, NULL, d->checked ? d->parameter : na);
	rc |= td_col_num(b, d->sent);
	for (int g = 0; g < LOGLINE_TRUST_COUNT; g++)
		rc |= td_col_num(b, d->n[g]);
	rc |= td_col_num(b, d->deferred);
	rc |= td_col_num(b, d->failures);
	rc |= buf_puts(b, "<td>");
	if (d->recommend) {
		rc |= buf_puts(b, "<code>");
		rc |= html_text(b, d->recommend);
		rc |= buf_puts(b, "</code> (");
		rc |= html_text(b, d->recommend_src ? d->recommend_src : "check");
		rc |= buf_puts(b, ")");
	} else if (d->suggestion) {
		rc |= buf_puts(b, "<code>");
		rc |= html_text(b, d->suggestion);
		rc |= buf_puts(b, "</code> (logs)");
	}
	rc |= buf_puts(b, "</td>");
	rc |= td(b, NULL, d->note);
	rc |= buf_puts(b, "</tr>");
	return rc;
}

/*
 * The head is table#dests (the sort script's handle); the rows follow in
 * chunks of DEST_CHUNK, each its own table in a content-visibility:auto
 * box whose height until laid out is estimated from its row count.
 */
static int destinations(struct buf *b, const struct report *r)
{
	int rc = 0;

	rc |= buf_puts(b, "<section id=\"destinations\"><h2>Destinations</h2>");
	if (r->ndests == 0) {
		rc |= buf_puts(b, "<p class=\"none\">No destinations: the logs have no deliveries "
			       "and no domains were given (--domains FILE, DOMAIN...).</p></section>");
		return rc;
	}
	rc |= buf_printf(b, "<p class=\"meta\">%zu destination%s by deliveries%s%s. Click a column "
			 "head to sort.", r->ndests, r->ndests == 1 ? "" : "s",
			 r->checked ? "; provider, published, policy and parameters as "
				      "<code>tlspolicy check</code> reports them" : "",
			 r->probed ? " with <code>--probe</code>" : "");
	if (r->dests_left)
		rc |= buf_printf(b, " %zu more destinations are left out (--top).", r->dests_left);
	if (r->check_note) {
		rc |= buf_puts(b, " Not checked: ");
		rc |= html_text(b, r->check_note);
		rc |= buf_puts(b, ".");
	}
	rc |= buf_puts(b, "</p>");
	rc |= dest_style(b, r);
	rc |= buf_puts(b, "<div class=\"scroll\" id=\"dests-box\"><table id=\"dests\" "
		       "class=\"sortable dests\"><thead><tr>");
	for (int c = 0; c < DEST_COLS; c++)
		rc |= buf_printf(b, c >= 5 && c < 8 + LOGLINE_TRUST_COUNT ?
				 "<th class=\"n\">%s</th>" : "<th>%s</th>", dest_title(c));
	rc |= buf_puts(b, "</tr></thead></table>");
	for (size_t i = 0; i < r->ndests; i++) {
		if (i % DEST_CHUNK == 0) {
			size_t n = r->ndests - i < DEST_CHUNK ? r->ndests - i : DEST_CHUNK;

			rc |= buf_printf(b, "<div class=\"chunk\" style=\"contain-intrinsic-size:"
					 "auto %zupx\"><table class=\"dests\"><tbody>", 24 * n);
		}
		rc |= dest_row(b, &r->dests[i]);
		if (i % DEST_CHUNK == DEST_CHUNK - 1 || i + 1 == r->ndests)
			rc |= buf_puts(b, "</tbody></table></div>");
	}
	rc |= buf_puts(b, "</div></section>");
	return rc;
}

static const char *const kind_title[REPORT_F_COUNT] = {
	"Table rows weaker than what the domain publishes",
	"Policies that would defer mail",
	"Certificates that expire soon",
	"Own domains",
};
static const char *const kind_id[REPORT_F_COUNT] = {
	"f-weaker", "f-defer", "f-expiry", "f-own"
};

static int findings(struct buf *b, const struct report *r)
{
	int rc = 0;
	char t[64];

	rc |= buf_puts(b, "<section id=\"findings\"><h2>Findings</h2>");
	if (r->findings_left)
		rc |= buf_printf(b, "<p class=\"meta\">%zu more findings are left out.</p>",
				 r->findings_left);
	for (int k = 0; k < REPORT_F_COUNT; k++) {
		rc |= buf_printf(b, "<div id=\"%s\" data-count=\"%zu\"><h3>%s (%zu)</h3>",
				 kind_id[k], r->nkind[k], kind_title[k], r->nkind[k]);
		if (k == REPORT_F_OWN && !r->own_checks) {
			rc |= buf_puts(b, "<p class=\"none\">The checks of your own domains "
				       "(DANE rollover, MTA-STS, TLSRPT) are not part of this report "
				       "yet: run <code>tlspolicy own check</code>, or give the report "
				       "<code>--own</code>.</p></div>");
			continue;
		}
		if (k == REPORT_F_OWN && r->nkind[k] == 0) {
			rc |= buf_puts(b, "<p class=\"none\">");
			rc |= html_text(b, r->own_note ? r->own_note :
					"None: own check found nothing that is not ok");
			rc |= buf_puts(b, ".</p></div>");
			continue;
		}
		if (!r->checked && k != REPORT_F_OWN) {
			rc |= buf_puts(b, "<p class=\"none\">Not checked: ");
			rc |= html_text(b, r->check_note ? r->check_note : "--no-check");
			rc |= buf_puts(b, ".</p></div>");
			continue;
		}
		if ((k == REPORT_F_DEFER || k == REPORT_F_EXPIRY) && !r->probed) {
			rc |= buf_puts(b, "<p class=\"none\">Not checked: needs --probe (connects "
				       "to every MX host).</p></div>");
			continue;
		}
		if (r->nkind[k] == 0) {
			rc |= buf_puts(b, "<p class=\"none\">None.</p></div>");
			continue;
		}
		rc |= buf_printf(b, "<table class=\"findings\"><thead><tr><th>domain</th>%s"
				 "<th>finding</th></tr></thead><tbody>",
				 k == REPORT_F_WEAKER ? "" : k == REPORT_F_EXPIRY ?
				 "<th>MX host</th><th>not after</th>" : k == REPORT_F_OWN ?
				 "<th>subject</th>" : "<th>MX host</th>");
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct report_finding *f = &r->findings[i];

			if ((int)f->kind != k)
				continue;
			rc |= buf_puts(b, "<tr>");
			rc |= td(b, NULL, f->domain);
			if (k != REPORT_F_WEAKER)
				rc |= td(b, NULL, f->host);
			if (k == REPORT_F_EXPIRY) {
				fmt_time(t, sizeof(t), f->when);
				rc |= td(b, NULL, t);
			}
			rc |= td(b, NULL, f->text);
			rc |= buf_puts(b, "</tr>");
		}
		rc |= buf_puts(b, "</tbody></table></div>");
	}
	rc |= buf_puts(b, "</section>");
	return rc;
}

static int changes(struct buf *b, const struct report *r)
{
	char t[64];
	int rc = 0;

	rc |= buf_puts(b, "<section id=\"changes\"><h2>Changes since the previous report</h2>");
	if (!r->have_previous) {
		rc |= buf_puts(b, "<p class=\"none\">No previous report");
		if (r->snap_note) {
			rc |= buf_puts(b, ": ");
			rc |= html_text(b, r->snap_note);
		}
		rc |= buf_puts(b, ".</p></section>");
		return rc;
	}
	fmt_time(t, sizeof(t), r->previous);
	rc |= buf_printf(b, "<p class=\"meta\">Previous report: %s.", t);
	if (r->changes_left)
		rc |= buf_printf(b, " %zu more changes are left out.", r->changes_left);
	rc |= buf_puts(b, "</p>");
	if (r->nchanges == 0) {
		rc |= buf_puts(b, "<p class=\"none\">Nothing changed.</p></section>");
		return rc;
	}
	rc |= buf_puts(b, "<table id=\"changelist\" class=\"sortable\"><thead><tr><th>domain</th>"
		       "<th>what</th><th>before</th><th>now</th></tr></thead><tbody>");
	for (size_t i = 0; i < r->nchanges; i++) {
		rc |= buf_puts(b, "<tr>");
		rc |= td(b, NULL, r->changes[i].domain);
		rc |= td(b, NULL, r->changes[i].what);
		rc |= td(b, NULL, r->changes[i].before);
		rc |= td(b, NULL, r->changes[i].after);
		rc |= buf_puts(b, "</tr>");
	}
	rc |= buf_puts(b, "</tbody></table></section>");
	return rc;
}

int report_html(struct buf *b, const struct report *r)
{
	char hash[128], t[64];
	int rc = 0;

	script_hash(hash, sizeof(hash));
	fmt_time(t, sizeof(t), r->generated);
	rc |= buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			 "style-src 'unsafe-inline'; script-src %s\">"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			 "<link rel=\"expect\" href=\"#end\" blocking=\"render\">"
			 "<title>tlspolicy report ", hash);
	rc |= html_text(b, r->host);
	rc |= buf_printf(b, " %s</title><style>%s</style></head>\n<body>"
			 "<h1>TLS policy report</h1><p class=\"meta\">", t, css);
	rc |= html_text(b, r->host);
	rc |= buf_printf(b, ", %s. %lu deliveries to %lu domains in the logs.</p>"
			 "<nav><a href=\"#coverage\">coverage</a><a href=\"#destinations\">"
			 "destinations</a><a href=\"#findings\">findings</a><a href=\"#changes\">"
			 "changes</a></nav>\n", t, r->deliveries, r->domains);
	rc |= coverage(b, r);
	rc |= buf_puts(b, "\n");
	rc |= destinations(b, r);
	rc |= buf_puts(b, "\n");
	rc |= findings(b, r);
	rc |= buf_puts(b, "\n");
	rc |= changes(b, r);
	rc |= buf_printf(b, "\n<p class=\"meta\" id=\"end\">tlspolicy %s</p><script>%s</script>"
			 "</body></html>\n",
			 TLSPOLICY_VERSION, script);
	return rc ? -1 : 0;
}
