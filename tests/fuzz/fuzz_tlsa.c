/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsa.c - libFuzzer harness for the parsers of DNS data that
 * libunbound hands back (src/dns/rr.c): TLSA rdata and its usability
 * rules (including the DER parse of full certificates / SPKI), domain
 * names in wire form, MX rdata, A/AAAA rdata, and the host name checks
 * applied to what they return.
 *
 * The first input byte picks the parser (byte % 5; for addresses
 * (byte / 5) & 1 picks AAAA); the rest is the rdata.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/rr.h"
#include "util/hostname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[DNS_NAME_BUF], small[64], addr[46];
	struct tlsa_rr rr;
	struct errbuf why;
	unsigned pref;
	size_t used;
	const char *reason;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (rr_tlsa(data + 1, size - 1, &rr, &why) == 0) {
			(void)tlsa_usable(&rr, &reason);
			(void)tlsa_usage_name(rr.usage);
		}
		break;
	case 1:
		if (rr_name(data + 1, size - 1, &used, name, sizeof(name), &why) == 0) {
			if (used > size - 1)
				__builtin_trap();
			(void)hostname_valid(name);
		}
		/* a short output buffer must fail cleanly, never overflow */
		(void)rr_name(data + 1, size - 1, &used, small, sizeof(small), &why);
		break;
	case 2:
		if (rr_mx(data + 1, size - 1, &pref, name, sizeof(name), &why) == 0)
			(void)hostname_valid(name);
		break;
	case 3:
		(void)rr_addr((data[0] / 5) & 1 ? DNS_TYPE_AAAA : DNS_TYPE_A, data + 1, size - 1,
			      addr, sizeof(addr), &why);
		break;
	case 4: {
		/* a name as a user or Postfix hands it over */
		char in[600], out[300];
		size_t n = size - 1 < sizeof(in) - 1 ? size - 1 : sizeof(in) - 1;

		memcpy(in, data + 1, n);
		in[n] = '\0';
		(void)rr_domain_normalize(in, out, sizeof(out), &why);
		break;
	}
	}
	return 0;
}
