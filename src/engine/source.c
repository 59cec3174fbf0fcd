/* SPDX-License-Identifier: MIT */
/* source - names of the source interface's values (see source.h). */
#include "engine/source.h"

const char *answer_source_name(enum answer_source src)
{
	static const char *const names[ANSWER_SOURCE_COUNT] = {
		"table", "default", "dane", "sts", "provider", "none", "error",
	};

	return (unsigned)src < ANSWER_SOURCE_COUNT ? names[src] : "?";
}

const char *source_verdict_name(enum source_verdict v)
{
	switch (v) {
	case SOURCE_APPLIES: return "applies";
	case SOURCE_NOT_APPLICABLE: return "not applicable";
	case SOURCE_NOTFOUND: return "applies (answered NOTFOUND)";
	case SOURCE_TEMP: return "temporary failure";
	case SOURCE_FAILED: return "lookup failed";
	}
	return "?";
}
