/* SPDX-License-Identifier: MIT */
/* TEMPORARY scaffolding so the tree links; the store layer replaces it. */
#include "store/store.h"

int store_open(const char *url, struct store **out, struct errbuf *why)
{
	(void)url;
	*out = NULL;
	return errbuf_set(why, "store layer not built yet");
}
