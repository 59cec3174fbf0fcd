#!/bin/bash
# SPDX-License-Identifier: MIT
# test_deb.sh - the Debian package, built from this tree as a user would
# (dpkg-buildpackage -us -uc -b, in a copy of the tree), then:
#  - no compiler warning under Debian's hardening flags; lintian --pedantic
#    clean apart from debian/tlspolicy.lintian-overrides;
#  - contents: /usr/sbin/tlspolicy, both man pages, the units, the conffile
#    /etc/tlspolicy/tlspolicy.cf identical to the build's generated file;
#    maintainer scripts that never stop or restart the socket on upgrade;
#  - installed (apt-get install ./tlspolicy_*.deb): the system user
#    tlspolicy, /var/lib/tlspolicy owned by it, the shipped configuration
#    at the defaults;
#  - the units offline: systemd-analyze verify, systemd-analyze security
#    --offline=true exposure at most 2.0 (read from its output);
#  - the first start as the unit describes it (ExecStartPre, ExecStart as
#    User=, the socket of tlspolicy.socket passed by systemd-socket-activate,
#    NOTIFY_SOCKET): the database is created, the daemon says READY=1 and
#    answers postmap -q; ExecReload reloads;
#  - remove keeps the state and the edited conffile, purge removes them.
# Runs as root on a machine without the package; state that exists
# before (a /var/lib/tlspolicy of a source install) is moved aside and put
# back at the end, as is a tlspolicy user that the test created removed.
set -eu
: "${SRCDIR:?run through meson test}" "${BUILDDIR:?}"
skip_or_fail() {
    if [ -n "${CI:-}" ]; then echo "FAIL (CI): $*" >&2; exit 1; fi
    echo "SKIP: $*" >&2
    exit 77
}
[ "$(id -u)" = 0 ] || skip_or_fail "needs root (installs the package)"
for tool in dpkg-buildpackage dh lintian systemd-analyze systemd-socket-activate \
        postmap setpriv; do
    command -v "$tool" >/dev/null || skip_or_fail "$tool not installed (scripts/install-deps)"
done
if dpkg-query -W -f='${Status}' tlspolicy 2>/dev/null | grep -q "installed"; then
    skip_or_fail "the tlspolicy package is installed here; this test installs and purges its own"
fi
PORT=$("$SRCDIR/tests/lib/free-port")
T=$(mktemp -d /tmp/tlspolicy-deb.XXXXXX)
chmod 755 "$T"
FAILS=0 SUP_PID="" SINK_PID="" USER_CREATED=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got [$2], want [$3]"; fi; }
apt_get() { # waits for the dpkg lock (another apt-get on this machine)
    DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 \
        --no-install-recommends "$@"
}

saved=()
for d in /var/lib/tlspolicy /etc/tlspolicy; do
    if [ -e "$d" ]; then
        mkdir -p "$T/saved$(dirname "$d")"
        mv "$d" "$T/saved$d"
        saved+=("$d")
    fi
done
getent passwd tlspolicy >/dev/null || USER_CREATED=1
cleanup() {
    [ -n "$SUP_PID" ] && kill "$SUP_PID" 2>/dev/null
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
    if dpkg-query -W -f='${Status}' tlspolicy 2>/dev/null | grep -q "installed\|config-files"; then
        apt_get purge tlspolicy >/dev/null 2>&1 || dpkg -P tlspolicy >/dev/null 2>&1 || true
    fi
    for d in "${saved[@]}"; do
        rm -rf "$d"
        mv "$T/saved$d" "$d"
    done
    if [ "$USER_CREATED" = 1 ] && getent passwd tlspolicy >/dev/null; then
        userdel tlspolicy 2>/dev/null || true
        getent group tlspolicy >/dev/null && groupdel tlspolicy 2>/dev/null || true
    fi
    if [ "$FAILS" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T" >&2; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- build ---------------------------------------------------------------
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRCDIR/meson.build" | head -1)
deb_version=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Version)
expect_eq "debian/changelog version = meson project version" "$deb_version" "$version"
src=$T/src/tlspolicy-$version
mkdir -p "$src"
if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$SRCDIR" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) |
        tar -xf - -C "$src"
else
    tar -C "$SRCDIR" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$src"
fi
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1; then
    tail -40 "$T/build.log" >&2
    echo "FAIL: dpkg-buildpackage" >&2
    exit 1
fi
ok "dpkg-buildpackage -us -uc -b: $(( $(date +%s) - start )) s"
deb=$T/src/tlspolicy_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "FAIL: no $deb" >&2; exit 1; }
if grep -E "warning:" "$T/build.log" >&2; then
    fail "compiler warnings under the package's build flags"
else
    ok "no compiler warning under dpkg-buildflags (hardening=+all)"
fi
grep -q -- "-D_FORTIFY_SOURCE=2" "$T/build.log" && ok "built with Debian's hardening flags" ||
    fail "no -D_FORTIFY_SOURCE in the build log"

# --- lintian -------------------------------------------------------------
if lintian --pedantic -I --fail-on error,warning,info,pedantic \
        "$T/src/tlspolicy_${version}_$(dpkg --print-architecture).changes" > "$T/lintian.log" 2>&1; then
    ok "lintian --pedantic -I: clean (apart from documented overrides)"
else
    grep -v "running with root privileges" "$T/lintian.log" >&2
    fail "lintian tags"
fi

# --- contents --------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$T/contents"
for f in /usr/sbin/tlspolicy /usr/share/man/man8/tlspolicy.8.gz \
        /usr/share/man/man5/tlspolicy.cf.5.gz /etc/tlspolicy/tlspolicy.cf \
        /lib/systemd/system/tlspolicy.service /lib/systemd/system/tlspolicy.socket \
        /usr/share/tlspolicy/providers.conf /usr/share/doc/tlspolicy/copyright; do
    grep -qx "$f" "$T/contents" && ok "ships $f" || fail "missing $f"
done
grep -q "^/var/lib/tlspolicy" "$T/contents" && fail "/var/lib/tlspolicy shipped (postinst creates it)" ||
    ok "state directory not shipped"
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles > "$T/conffiles"
expect_eq "conffiles" "$(cat "$T/conffiles")" "/etc/tlspolicy/tlspolicy.cf"
# The socket outlives upgrades: the maintainer scripts only start it, and
# stop it only on remove (dh_installsystemd --no-stop-on-upgrade
# --no-restart-after-upgrade); the service is restarted on upgrade.
dpkg-deb -e "$deb" "$T/ctl"
if grep "deb-systemd-invoke.*tlspolicy.socket" "$T/ctl/postinst" |
        grep -qv "deb-systemd-invoke start 'tlspolicy.socket'"; then
    fail "postinst restarts tlspolicy.socket: $(grep deb-systemd-invoke "$T/ctl/postinst")"
else
    ok "postinst never restarts tlspolicy.socket"
fi
grep "deb-systemd-invoke" "$T/ctl/postinst" | grep -q "\$_dh_action 'tlspolicy.service'" &&
    ok "postinst restarts tlspolicy.service on upgrade" || fail "service not restarted on upgrade"
if grep -B1 "deb-systemd-invoke stop 'tlspolicy.socket'" "$T/ctl/prerm" | head -1 |
        grep -q '"$1" = remove'; then
    ok "prerm stops tlspolicy.socket only on remove"
else
    fail "prerm: $(cat "$T/ctl/prerm")"
fi
mkdir "$T/x"; dpkg-deb -x "$deb" "$T/x"
cmp -s "$T/x/etc/tlspolicy/tlspolicy.cf" "$BUILDDIR/docs/tlspolicy.cf" &&
    ok "conffile = the build's tlspolicy.cf generated from settings.def" ||
    fail "shipped tlspolicy.cf differs from $BUILDDIR/docs/tlspolicy.cf"
zcat "$T/x/usr/share/man/man5/tlspolicy.cf.5.gz" | grep -q '^\.B unix_socket_mode$' &&
    ok "tlspolicy.cf(5) has the generated settings" || fail "tlspolicy.cf(5) without settings"

# --- install ---------------------------------------------------------------
if ! apt_get install "$deb" > "$T/install.log" 2>&1; then
    tail -20 "$T/install.log" >&2
    echo "FAIL: install" >&2
    exit 1
fi
ok "apt-get install ./tlspolicy_${version}_*.deb"
expect_eq "/usr/sbin/tlspolicy --version" "$(/usr/sbin/tlspolicy --version)" "tlspolicy $version"
uid=$(getent passwd tlspolicy | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && ok "system user tlspolicy (uid $uid)" ||
    fail "no system user tlspolicy: [$uid]"
expect_eq "user's shell" "$(getent passwd tlspolicy | cut -d: -f7)" /usr/sbin/nologin
expect_eq "/var/lib/tlspolicy owner and mode" "$(stat -c '%U:%G %a' /var/lib/tlspolicy)" \
    "tlspolicy:tlspolicy 750"
expect_eq "installed configuration sets nothing (config -n)" "$(/usr/sbin/tlspolicy config -n)" ""
expect_eq "database setting (config NAME: the bare value)" "$(/usr/sbin/tlspolicy config database)" \
    "sqlite:/var/lib/tlspolicy/tlspolicy.db"
[ ! -e /var/lib/tlspolicy/tlspolicy.db ] && ok "no database before the first start" ||
    fail "database exists before the first start"

# --- units offline ---------------------------------------------------------
unit=/lib/systemd/system/tlspolicy.service sock=/lib/systemd/system/tlspolicy.socket
# --man=no: the man pages are checked above from the package itself.
if systemd-analyze verify --man=no "$unit" "$sock" > "$T/verify.log" 2>&1 &&
        ! grep -q tlspolicy "$T/verify.log"; then
    ok "systemd-analyze verify: both units"
else
    cat "$T/verify.log" >&2
    fail "systemd-analyze verify"
fi
systemd-analyze security --offline=true --threshold=20 "$unit" > "$T/security.log" 2>&1 &&
    st=0 || st=$?
exposure=$(sed -n 's/.*Overall exposure level for tlspolicy.service: \([0-9.]*\).*/\1/p' "$T/security.log")
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' && [ "$st" = 0 ]; then
    ok "systemd-analyze security --offline=true: exposure $exposure (at most 2.0)"
else
    grep "✗" "$T/security.log" >&2 || cat "$T/security.log" >&2
    fail "exposure [$exposure] (exit $st), want at most 2.0"
fi
unit_get() { sed -n "s/^$1=//p" "$2"; }
expect_eq "Type" "$(unit_get Type "$unit")" notify
expect_eq "Restart" "$(unit_get Restart "$unit")" always
expect_eq "User" "$(unit_get User "$unit")" tlspolicy
expect_eq "StateDirectory" "$(unit_get StateDirectory "$unit")" tlspolicy
expect_eq "RuntimeDirectory" "$(unit_get RuntimeDirectory "$unit")" tlspolicy
expect_eq "ExecReload" "$(unit_get ExecReload "$unit")" '/bin/kill -HUP $MAINPID'
expect_eq "ListenStream" "$(unit_get ListenStream "$sock")" "127.0.0.1:8461"
expect_eq "service enabled (multi-user.target)" \
    "$(readlink /etc/systemd/system/multi-user.target.wants/tlspolicy.service)" "$unit"
expect_eq "socket enabled (sockets.target)" \
    "$(readlink /etc/systemd/system/sockets.target.wants/tlspolicy.socket)" "$sock"

# --- first start, as the units describe it --------------------------------
# systemd's part without systemd as init: the unit's User=, its
# ExecStartPre= and ExecStart= command lines, the socket of
# tlspolicy.socket (on a test port) passed by systemd-socket-activate,
# NOTIFY_SOCKET for Type=notify.
as_user() { setpriv --reuid="$(unit_get User "$unit")" --regid="$(unit_get Group "$unit")" \
    --init-groups "$@"; }
pre=$(unit_get ExecStartPre "$unit"); pre=${pre#-}
cmd=$(unit_get ExecStart "$unit")
# shellcheck disable=SC2086
(cd / && as_user $pre) > "$T/pre.log" 2>&1 || fail "ExecStartPre: $(cat "$T/pre.log")"
grep -q "created table tlspolicies in sqlite:/var/lib/tlspolicy/tlspolicy.db" "$T/pre.log" &&
    ok "first start: ExecStartPre creates the database" || fail "ExecStartPre: $(cat "$T/pre.log")"
expect_eq "database owner" "$(stat -c %U /var/lib/tlspolicy/tlspolicy.db)" tlspolicy
as_user /usr/sbin/tlspolicy policy set example.com secure match=.example.com >/dev/null
# shellcheck disable=SC2086
(cd / && as_user $pre) > "$T/pre2.log" 2>&1 || fail "second ExecStartPre failed"
grep -q "using the existing table tlspolicies" "$T/pre2.log" &&
    ok "next start: ExecStartPre keeps the existing table" || fail "ExecStartPre: $(cat "$T/pre2.log")"

python3 "$SRCDIR/tests/server/syslog_sink.py" --notify "$T/notify.sock" "$T/notify.out" &
SINK_PID=$!
for _ in $(seq 1 50); do grep -q "sink ready" "$T/notify.out" 2>/dev/null && break; sleep 0.1; done
# shellcheck disable=SC2086
systemd-socket-activate -l 127.0.0.1:$PORT -E NOTIFY_SOCKET="$T/notify.sock" \
    -E ASAN_OPTIONS -E UBSAN_OPTIONS setpriv --reuid=tlspolicy --regid=tlspolicy --init-groups $cmd > "$T/daemon.log" 2>&1 &
SUP_PID=$!
for _ in $(seq 1 50); do grep -q "Listening on" "$T/daemon.log" && break; sleep 0.1; done
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
expect_eq "postmap -q on the passed socket (the first connection starts it)" \
    "$(postmap -c "$T/postfix" -q example.com socketmap:inet:127.0.0.1:$PORT:tlspolicy)" \
    "secure match=.example.com"
for _ in $(seq 1 50); do grep -q "^READY=1" "$T/notify.out" && break; sleep 0.1; done
grep -q "^READY=1|STATUS=answering: 1 table rows$" "$T/notify.out" &&
    ok "Type=notify: READY=1 from the packaged binary" || fail "notify: $(cat "$T/notify.out")"
grep -q "listening on inet:127.0.0.1:$PORT (socket activation" "$T/daemon.log" &&
    ok "daemon on the passed socket" || fail "daemon log: $(cat "$T/daemon.log")"
ps -o user= -p "$SUP_PID" | grep -qx tlspolicy && ok "daemon runs as tlspolicy" ||
    fail "daemon user: $(ps -o user= -p "$SUP_PID")"
as_user /usr/sbin/tlspolicy policy set example.org verify >/dev/null
reload=$(unit_get ExecReload "$unit")
${reload//\$MAINPID/$SUP_PID}
for _ in $(seq 1 50); do
    out=$(postmap -c "$T/postfix" -q example.org socketmap:inet:127.0.0.1:$PORT:tlspolicy || true)
    [ "$out" = verify ] && break; sleep 0.1
done
expect_eq "ExecReload (SIGHUP) reloads the table" "$out" verify
kill -TERM "$SUP_PID"
st=0; wait "$SUP_PID" || st=$?
SUP_PID=""
expect_eq "SIGTERM: exit 0" "$st" 0
grep -q "^STOPPING=1$" "$T/notify.out" && ok "STOPPING=1" || fail "no STOPPING=1"
kill "$SINK_PID"; SINK_PID=""

# --- remove keeps state, purge removes it ---------------------------------
echo "idle_timeout = 77s" >> /etc/tlspolicy/tlspolicy.cf
apt_get remove tlspolicy > "$T/remove.log" 2>&1 || fail "remove: $(tail -5 "$T/remove.log")"
[ ! -e /usr/sbin/tlspolicy ] && ok "remove: binary gone" || fail "remove: binary left"
[ -s /var/lib/tlspolicy/tlspolicy.db ] && ok "remove: database kept" || fail "remove: database gone"
grep -q "^idle_timeout = 77s" /etc/tlspolicy/tlspolicy.cf && ok "remove: edited conffile kept" ||
    fail "remove: conffile gone"
apt_get purge tlspolicy > "$T/purge.log" 2>&1 || fail "purge: $(tail -5 "$T/purge.log")"
[ ! -e /var/lib/tlspolicy ] && ok "purge: /var/lib/tlspolicy removed" || fail "purge: state left"
[ ! -e /etc/tlspolicy ] && ok "purge: /etc/tlspolicy removed" || fail "purge: configuration left"
[ ! -e /etc/systemd/system/multi-user.target.wants/tlspolicy.service ] &&
    ok "purge: unit enablement removed" || fail "purge: enablement symlink left"

if [ "$FAILS" != 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
fi
echo "all checks passed"
