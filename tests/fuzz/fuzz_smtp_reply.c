/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_reply - libFuzzer harness for the SMTP reply parser of the
 * probe (banner, EHLO, STARTTLS replies): the input is parsed as a
 * stream of replies, each complete reply also as an EHLO answer, and
 * again fed in two pieces at every 97th split point (the incremental
 * path).  Invariants are checked with abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct smtp_reply reply;
static struct smtp_ehlo ehlo;

static void check(const struct smtp_reply *r, size_t used, size_t avail)
{
	if (used == 0 || used > avail)
		abort();
	if (r->code < 200 || r->code > 559 || r->nlines == 0 ||
	    r->nlines > SMTP_REPLY_MAX_LINES)
		abort();
	for (size_t i = 0; i < r->nlines; i++) {
		const char *l = smtp_reply_line(r, i);

		if (strlen(l) >= SMTP_REPLY_MAX_LINE || strchr(l, '\n') || strchr(l, '\r'))
			abort();
	}
	if (smtp_ehlo_parse(r, &ehlo) == 0) {
		if (ehlo.next + ehlo.nbad != r->nlines - 1)
			abort();
		for (size_t i = 0; i < ehlo.next; i++)
			if (ehlo.keyword[i][0] == '\0' ||
			    strlen(ehlo.keyword[i]) > SMTP_EHLO_MAX_KEYWORD)
				abort();
		(void)smtp_ehlo_has(&ehlo, "STARTTLS");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t off = 0;
	struct errbuf why;

	while (off < size) {
		size_t used = 0;
		enum smtp_parse_status st = smtp_reply_parse(p + off, size - off, &reply, &used, &why);

		if (st != SMTP_PARSE_DONE)
			break;
		check(&reply, used, size - off);
		off += used;
	}
	/* incremental: a prefix says MORE or the same as the whole */
	for (size_t cut = 0; cut < size; cut += 97) {
		size_t used = 0, used2 = 0;
		enum smtp_parse_status a = smtp_reply_parse(p, cut, &reply, &used, &why);
		enum smtp_parse_status b;

		if (a == SMTP_PARSE_MORE)
			continue;
		b = smtp_reply_parse(p, size, &reply, &used2, &why);
		if (a != b || (a == SMTP_PARSE_DONE && used != used2))
			abort();
	}
	return 0;
}
