#!/bin/sh
# SPDX-License-Identifier: MIT
# upward-include.sh FARM CC... - the build refuses an upward include.
#
# Compiles a scratch file of the lowest layer, util, with exactly the
# include path the build gives util (FARM/util, see scripts/layers):
# including util/buf.h must compile (else this test proves nothing),
# including engine/engine.h (a higher layer) must fail with "No such
# file".  The scratch files live in a temporary directory, removed on
# exit.
set -u
farm=$1; shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tp-layers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

printf '#include "util/buf.h"\nint scratch(void);\nint scratch(void) { return 0; }\n' >"$tmp/ok.c"
if ! "$@" -std=c11 -D_GNU_SOURCE -Werror -fsyntax-only -I"$farm/util" "$tmp/ok.c" 2>"$tmp/ok.err"; then
	echo "FAIL: util/buf.h does not compile with util's include path:"
	cat "$tmp/ok.err"
	fail=1
fi

printf '#include "util/buf.h"\n#include "engine/engine.h"\nint scratch(void);\nint scratch(void) { return 0; }\n' >"$tmp/up.c"
if "$@" -std=c11 -D_GNU_SOURCE -Werror -fsyntax-only -I"$farm/util" "$tmp/up.c" 2>"$tmp/up.err"; then
	echo "FAIL: util compiled an #include of engine/engine.h"
	fail=1
elif ! grep -q 'engine/engine.h' "$tmp/up.err"; then
	echo "FAIL: the upward include failed for another reason:"
	cat "$tmp/up.err"
	fail=1
else
	echo "ok: util cannot include engine/engine.h:"
	grep 'engine/engine.h' "$tmp/up.err" | head -2
fi
# the same for a source including the engine (not only engine/source.h)
printf '#include "engine/source.h"\n#include "engine/engine.h"\n' >"$tmp/src.c"
if "$@" -std=c11 -D_GNU_SOURCE -fsyntax-only -I"$farm/dane" "$tmp/src.c" 2>"$tmp/src.err"; then
	echo "FAIL: dane compiled an #include of engine/engine.h"
	fail=1
elif ! grep -q 'engine/engine.h' "$tmp/src.err"; then
	echo "FAIL: dane's include of engine/engine.h failed for another reason:"
	cat "$tmp/src.err"
	fail=1
else
	echo "ok: dane includes engine/source.h, not engine/engine.h"
fi
exit $fail
