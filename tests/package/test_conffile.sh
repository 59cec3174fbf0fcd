#!/bin/bash
# SPDX-License-Identifier: MIT
# test_conffile.sh - the generated tlspolicy.cf (docs/, from settings.def;
# the Debian package's /etc/tlspolicy/tlspolicy.cf) lists every setting of
# the program exactly once, commented out at its built-in default: the
# file as shipped and the file with every setting uncommented both give
# the defaults (the first sets nothing, the second every setting).
set -eu
: "${TLSPOLICY:?run through meson test}" "${BUILDDIR:?}"
CF=$BUILDDIR/docs/tlspolicy.cf
T=$(mktemp -d /tmp/tlspolicy-conffile.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

[ -s "$CF" ] || { echo "FAIL: $CF not built" >&2; exit 1; }
# Settings the program knows vs settings in the file (as #name = ...).
"$TLSPOLICY" -c /dev/null config | sed 's/ = .*//' | sort > "$T/program"
sed -n 's/^#\([a-z_][a-z0-9_]*\) =.*/\1/p' "$CF" | sort > "$T/file"
[ -s "$T/program" ] || fail "tlspolicy config printed nothing"
if diff -u "$T/program" "$T/file" >&2; then
    ok "every setting in the file, once ($(wc -l < "$T/file"))"
else
    fail "settings differ between tlspolicy config and $CF"
fi
# Commented: nothing set.
out=$("$TLSPOLICY" -c "$CF" config -n) || fail "shipped file does not load"
[ -z "$out" ] && ok "shipped file: nothing differs from the defaults" ||
    fail "shipped file sets: $out"
# Uncommented: every value is the default (config -n stays empty), and
# the effective settings equal the built-in ones line by line.
sed 's/^#\([a-z_][a-z0-9_]* =\)/\1/' "$CF" > "$T/uncommented.cf"
n=$(grep -c '^[a-z_][a-z0-9_]* =' "$T/uncommented.cf")
[ "$n" = "$(wc -l < "$T/program")" ] || fail "uncommented $n settings"
# config -n lists what a file sets (like postconf -n): now every setting.
"$TLSPOLICY" -c "$T/uncommented.cf" config -n > "$T/set" || fail "uncommented file does not load"
expect=$(wc -l < "$T/program")
[ "$(wc -l < "$T/set")" = "$expect" ] && ok "uncommented file sets all $expect settings" ||
    fail "uncommented file sets $(wc -l < "$T/set") of $expect settings"
"$TLSPOLICY" -c /dev/null config > "$T/defaults"
"$TLSPOLICY" -c "$T/uncommented.cf" config > "$T/effective"
diff -u "$T/defaults" "$T/effective" >&2 && ok "uncommented file: effective settings = defaults" ||
    fail "effective settings differ"
# A changed value is seen (the check above can fail).
sed 's/^#\(idle_timeout =\).*/\1 7s/' "$CF" > "$T/changed.cf"
expect=$("$TLSPOLICY" -c "$T/changed.cf" config -n)
[ "$expect" = "idle_timeout = 7s" ] && ok "an uncommented change is applied" ||
    fail "changed idle_timeout: [$expect]"
# meson install puts it beside the man pages (the Debian package moves
# it to /etc/tlspolicy, tests/package/test_deb.sh).
if meson install -C "$BUILDDIR" --destdir "$T/inst" --no-rebuild --quiet >"$T/install.log" 2>&1; then
    prefix=$(meson introspect "$BUILDDIR" --buildoptions |
        python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
    for f in share/tlspolicy/tlspolicy.cf share/man/man5/tlspolicy.cf.5 share/man/man8/tlspolicy.8; do
        [ -s "$T/inst$prefix/$f" ] && ok "meson install: $prefix/$f" || fail "meson install: no $prefix/$f"
    done
    cmp -s "$T/inst$prefix/share/tlspolicy/tlspolicy.cf" "$CF" &&
        ok "installed tlspolicy.cf = the generated one" || fail "installed tlspolicy.cf differs"
else
    cat "$T/install.log" >&2
    fail "meson install --destdir"
fi
[ "$fails" = 0 ] || exit 1
echo "all checks passed"
