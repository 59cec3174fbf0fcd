/* SPDX-License-Identifier: MIT */
/*
 * fuzz_logline.c - libFuzzer harness for the Postfix log line parser and
 * the logscan scanner behind it.
 *
 * The input is split into lines; each line is copied into a buffer of
 * exactly its length (so ASan sees any read past the end) and parsed:
 * envelope, program, smtp message, failure classification.  Invariants
 * checked (abort on violation): every returned piece lies inside the
 * line, enum results are in range.  All lines then go through one
 * scanner, whose rows, suggestions and table/JSON/postmap/SQL output are
 * produced (to /dev/null) so names from the input reach every printer.
 */
#include "logscan/logline.h"
#include "logscan/logscan.h"
#include "logscan/report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void inside(const char *line, size_t len, struct logline_str s)
{
	if (s.len == 0)
		return;
	if (s.p < line || s.p + s.len > line + len)
		abort();
}

static void parse_one(const char *line, size_t len)
{
	struct logline ll;
	struct logline_smtp ev;
	enum logline_kind kind;

	if (logline_envelope(line, len, &ll) < 0)
		return;
	inside(line, len, ll.host);
	inside(line, len, ll.tag);
	inside(line, len, ll.prog);
	inside(line, len, ll.msg);
	if (ll.mon < 1 || ll.mon > 12 || ll.mday < 1 || ll.mday > 31 || ll.hour > 23 ||
	    ll.min > 59 || ll.sec > 60)
		abort();
	if ((unsigned)logline_program(&ll) > LOGLINE_PROG_LMTP)
		abort();
	kind = logline_smtp(&ll, &ev);
	if ((unsigned)kind > LOGLINE_POLICY_WARN || (unsigned)ev.fail >= LOGLINE_FAIL_COUNT ||
	    (unsigned)ev.trust >= LOGLINE_TRUST_COUNT)
		abort();
	inside(line, len, ev.qid);
	inside(line, len, ev.domain);
	inside(line, len, ev.relay);
	inside(line, len, ev.relay_host);
	inside(line, len, ev.relay_addr);
	inside(line, len, ev.text);
	inside(line, len, ev.proto);
	inside(line, len, ev.cipher);
	if ((unsigned)logline_classify(ev.text.p ? ev.text.p : "", ev.text.len) >=
	    LOGLINE_FAIL_COUNT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *e = p + size, *nl;
	struct logscan_opts opts;
	struct logscan *ls;
	struct logscan_row *rows;
	static FILE *devnull;
	size_t n;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	memset(&opts, 0, sizeof(opts));
	opts.year = 2024;
	if ((ls = logscan_new(&opts)) == NULL)
		return 0;
	while (p < e) {
		char *copy;
		size_t len;

		nl = memchr(p, '\n', (size_t)(e - p));
		len = (size_t)((nl ? nl : e) - p);
		if ((copy = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(copy, p, len);
		parse_one(copy, len);
		logscan_line(ls, copy, len);
		free(copy);
		p += len + (nl != NULL);
	}
	n = logscan_rows(ls, &rows);
	for (size_t i = 0; i < n; i++) {
		if (i % 3 == 0) { /* pretend some have a table entry */
			rows[i].has_current = 1;
			rows[i].current_level = (enum policy_level)(i % POLICY_LEVEL_COUNT);
			rows[i].current_text = strdup("may");
			rows[i].current_key = strdup(".x");
		}
		logscan_suggest(&rows[i], 1);
	}
	logscan_print_table(devnull, ls, rows, n);
	logscan_print_json(devnull, ls, rows, n, 1);
	logscan_print_postmap(devnull, rows, n, 1);
	logscan_print_sql(devnull, rows, n, (int)(size & 1));
	logscan_rows_free(rows, n);
	logscan_free(ls);
	return 0;
}
