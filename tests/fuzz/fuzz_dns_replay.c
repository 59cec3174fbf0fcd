/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns_replay.c - libFuzzer harness for the DNS replay file parser
 * (src/dns/replay.c): any input is parsed; a file it accepts must give
 * entries that replay_find() finds again by their own name and type,
 * with records within the named limits.  Seeds: corpus/dns_replay/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dns/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf why;
	struct replay *r = replay_parse((const char *)data, size, "fuzz", &why);

	if (r == NULL)
		return 0;
	if (replay_count(r) > REPLAY_MAX_ENTRIES)
		abort();
	/* every entry is found again by its own name and type (no two share
	 * them), within the limits */
	for (size_t i = 0; i < replay_count(r); i++) {
		const struct replay_entry *e = replay_entry_at(r, i);

		if (replay_find(r, e->name, e->qtype) != e || e->count > DNS_MAX_RECORDS ||
		    (e->status != DNS_STATUS_DATA && e->count != 0) ||
		    (e->status == DNS_STATUS_DATA && e->count == 0))
			abort();
		for (size_t k = 0; k < e->count; k++)
			if (e->records[k].len > REPLAY_MAX_RDATA)
				abort();
	}
	replay_free(r);
	return 0;
}
