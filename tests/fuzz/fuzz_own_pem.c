/* SPDX-License-Identifier: MIT */
/*
 * fuzz_own_pem - libFuzzer harness for the PEM reader of tlspolicy own
 * tlsa (own/tlsa.h own_keyset_from_pem): certificates, keys and chains
 * in any order and any damage.  Invariants: on success 1..max key sets,
 * each with 1..OWN_TLSA_MAX_CHAIN items that have a SubjectPublicKeyInfo;
 * the 3 1 1 record is 32 bytes and matches its own set; on failure no
 * set is handed out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct own_keyset sets[OWN_TLSA_MAX_SETS];
	struct errbuf why;
	size_t n = 99;

	if (size > OWN_TLSA_MAX_FILE)
		return 0;
	if (own_keyset_from_pem((const char *)data, size, "fuzz", sets,
				OWN_TLSA_MAX_SETS, &n, &why) < 0) {
		if (n != 0)
			abort();
		return 0;
	}
	if (n == 0 || n > OWN_TLSA_MAX_SETS)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct own_tlsa_rr rr;

		if (sets[i].n == 0 || sets[i].n > OWN_TLSA_MAX_CHAIN)
			abort();
		for (size_t j = 0; j < sets[i].n; j++)
			if (sets[i].chain[j].spki == NULL || sets[i].chain[j].spkilen == 0)
				abort();
		own_tlsa_leaf(&sets[i], &rr);
		if (rr.len != 32 || !own_tlsa_matches(&rr, &sets[i], NULL))
			abort();
		own_keyset_free(&sets[i]);
	}
	return 0;
}
