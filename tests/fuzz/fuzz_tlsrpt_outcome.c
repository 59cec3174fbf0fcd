/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsrpt_outcome - libFuzzer harness for the TLSRPT log correlator
 * (src/tlsrpt/outcome.c): the input is split into lines and fed; every
 * outcome must carry a result in range, a UTC day and names within the
 * named limits (TLSRPT_NAME_MAX, TLSRPT_IP_MAX, printable, no spaces);
 * the state saved at the end must load into a new collector, and the
 * rest of the input fed there must keep the same invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt/outcome.h"
#include "util/buf.h"

static void check_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

static void on_outcome(void *arg, const struct tlsrpt_outcome *o)
{
	(void)arg;
	if (tlsrpt_result_name(o->result) == NULL || strlen(o->day) != 10 || o->domain[0] == '\0')
		abort();
	check_name(o->domain, TLSRPT_NAME_MAX);
	check_name(o->mx_host, TLSRPT_NAME_MAX);
	check_name(o->mx_ip, TLSRPT_IP_MAX);
	check_name(o->mta, TLSRPT_NAME_MAX);
}

static void feed(struct tlsrpt_collector *c, const uint8_t *d, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++)
		if (i == n || d[i] == '\n') {
			tlsrpt_collector_line(c, (const char *)d + start, i - start);
			start = i + 1;
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsrpt_collector *c = tlsrpt_collector_new(on_outcome, NULL), *c2;
	size_t half = size / 2;
	struct buf b;

	if (c == NULL)
		return 0;
	tlsrpt_collector_reftime(c, 1798718400);
	tlsrpt_collector_ignore_sender(c, "tlsrpt-noreply@lab.example");
	while (half < size && data[half] != '\n')
		half++;
	feed(c, data, half);
	buf_init(&b, 1 << 20);
	if (tlsrpt_collector_save(c, &b) == 0 && (c2 = tlsrpt_collector_new(on_outcome, NULL))) {
		tlsrpt_collector_reftime(c2, 1798718400);
		tlsrpt_collector_load(c2, b.data ? b.data : "");
		if (half < size)
			feed(c2, data + half + 1, size - half - 1);
		tlsrpt_collector_free(c2);
	}
	buf_free(&b);
	tlsrpt_collector_free(c);
	return 0;
}
