# SPDX-License-Identifier: MIT
# lib.sh: shared functions of the tlspolicy test lab (sourced by the scripts
# in tests/lab/, never run by itself).
#
# The lab is a network namespace ($LAB_NS) whose loopback carries every lab
# address (127.x and ::1); all servers run inside it, started with
# "ip netns exec" and stopped by the pid they recorded.  State (keys, zones,
# certificates, configs, logs, pids) lives in $LAB_DIR.
#
# SECURITY: runs as root.  Only touches $LAB_DIR, /etc/netns/$LAB_NS and the
# namespace itself; never the host's /etc/postfix or network.

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LAB_NS:=tplab}"
: "${LAB_DIR:=/tmp/tlspolicy-lab}"
export LAB_NS LAB_DIR

LAB_CONF=$LAB_SRC/conf
# shellcheck disable=SC2034  # used by the scripts that source this file
LAB_NETNS_ETC=/etc/netns/$LAB_NS
# shellcheck disable=SC2034
LAB_SENDER_ADDR=127.0.0.25
LAB_PY=/usr/bin/python3

# Signature windows (ldns-signzone dates, UTC).
lab_sigdate() { date -u -d "$1" +%Y%m%d%H%M%S; }

die() { echo "lab: $*" >&2; exit 1; }
note() { [ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2; }

# Extra scenario directories (generated labs, e.g. tests/matrix): each has
# the layout of this directory (conf/*.conf, zones/*.zone, sts/*), merged
# into the lab.  Given to setup as LAB_EXTRA (colon-separated absolute
# paths); setup records them in $LAB_DIR/extra for the other scripts.
lab_extra_dirs() {
    local e=${LAB_EXTRA-}
    if [ -z "${LAB_EXTRA+x}" ] && [ -r "$LAB_DIR/extra" ]; then e=$(cat "$LAB_DIR/extra"); fi
    [ -n "$e" ] && printf '%s\n' "${e//:/$'\n'}"
    return 0
}

# Lines of a conf file without comments and blank lines: conf/NAME, then
# conf/NAME of every extra directory that has one.
conf_lines() {
    local d
    sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$LAB_CONF/$1"
    while read -r d; do
        [ -r "$d/conf/$1" ] || continue
        sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$d/conf/$1"
    done < <(lab_extra_dirs)
}

# Path of scenario file KIND/NAME (KIND zones or sts): this directory's,
# else the first extra directory's that has it; nothing when none has.
lab_file() {
    local d
    if [ -r "$LAB_SRC/$1/$2" ]; then echo "$LAB_SRC/$1/$2"; return 0; fi
    while read -r d; do
        if [ -r "$d/$1/$2" ]; then echo "$d/$1/$2"; return 0; fi
    done < <(lab_extra_dirs)
    return 0
}

# Run a command inside the namespace.
in_ns() { ip netns exec "$LAB_NS" "$@"; }

# True when this process already runs in the lab namespace.
lab_inside() { [ "$(ip netns identify $$ 2>/dev/null)" = "$LAB_NS" ]; }

# Load $LAB_DIR/env (written by setup) or fail.
lab_load_env() {
    [ -r "$LAB_DIR/env" ] || die "no lab at $LAB_DIR (run tests/lab/setup)"
    # shellcheck disable=SC1091
    . "$LAB_DIR/env"
}

# --- names -----------------------------------------------------------------

# File stem of a zone: "." -> root, "a.example." -> a.example
zone_stem() { if [ "$1" = . ]; then echo root; else echo "${1%.}"; fi; }

# Parent zone of ZONE among conf/zones.conf (longest proper suffix).
zone_parent() {
    local z=$1 best="" cand
    [ "$z" = . ] && return 0
    while read -r cand _ _; do
        [ "$cand" = "$z" ] && continue
        if [ "$cand" = . ] || [[ "$z" == *".$cand" ]]; then
            [ ${#cand} -gt ${#best} ] && best=$cand
        fi
    done < <(conf_lines zones.conf)
    echo "$best"
}

# Zone (from zones.conf) that holds NAME (absolute, trailing dot).
zone_of() {
    local n=$1 best="" cand
    [[ "$n" == *. ]] || n=$n.
    while read -r cand _ _; do
        if [ "$cand" = . ] || [ "$cand" = "$n" ] || [[ "$n" == *".$cand" ]]; then
            [ ${#cand} -gt ${#best} ] && best=$cand
        fi
    done < <(conf_lines zones.conf)
    echo "$best"
}

# Apex name server of a zone.
zone_ns() { if [ "$1" = . ]; then echo a.root-servers.; else echo "ns.$1"; fi; }

# --- certificates ----------------------------------------------------------

# TLSA rdata "U S M HEX" for certificate NAME in $LAB_DIR/ca (computed
# once per U S M NAME, then read from $LAB_DIR/ca/NAME.tlsa-U-S-M).
tlsa_rdata() {
    local u=$1 s=$2 m=$3 name=$4 f=$LAB_DIR/ca/$4.crt hex
    local c=$LAB_DIR/ca/$4.tlsa-$1-$2-$3
    if [ -s "$c" ]; then cat "$c"; return 0; fi
    [ -r "$f" ] || die "tlsa: no certificate '$name'"
    case $s in
        0) data() { openssl x509 -in "$f" -outform DER; } ;;
        1) data() { openssl x509 -in "$f" -noout -pubkey |
                    openssl pkey -pubin -outform DER; } ;;
        *) die "tlsa: bad selector $s" ;;
    esac
    case $m in
        0) hex=$(data | od -An -v -tx1 | tr -d ' \n') ;;
        1) hex=$(data | sha256sum | cut -d' ' -f1) ;;
        2) hex=$(data | sha512sum | cut -d' ' -f1) ;;
        *) die "tlsa: bad matching type $m" ;;
    esac
    echo "$u $s $m $hex" > "$c.$$"
    mv -f "$c.$$" "$c"
    echo "$u $s $m $hex"
}

# --- DNS -------------------------------------------------------------------

LAB_DNS=$LAB_DIR/dns

# Expand {{...}} placeholders of one template line.
tmpl_expand() {
    local line=$1 expr val
    while [[ $line =~ \{\{([^}]*)\}\} ]]; do
        expr=${BASH_REMATCH[1]}
        # shellcheck disable=SC2086
        set -- $expr
        case $1 in
            tlsa) [ $# = 5 ] || die "template: {{tlsa U S M CERT}} expected: $expr"
                  val=$(tlsa_rdata "$2" "$3" "$4" "$5") ;;
            bulk) val=$(bulk_records) ;;
            *) die "template: unknown placeholder {{$expr}}" ;;
        esac
        line=${line/"${BASH_REMATCH[0]}"/$val}
    done
    printf '%s\n' "$line"
}

# Records of the bulk benchmark domains (zones/bulk.example.zone).
LAB_BULK_STS_ADDR=127.0.2.17
bulk_records() {
    local tlsa
    tlsa=$(tlsa_rdata 3 1 1 mx.dane-ee.example)
    awk -v n="${LAB_BULK:-1000}" -v tlsa="$tlsa" -v sts="$LAB_BULK_STS_ADDR" 'BEGIN {
        for (i = 1; i <= n; i++) {
            printf "d%d MX 10 mx.d%d\nmx.d%d A 127.0.3.1\n_25._tcp.mx.d%d TLSA %s\n", i, i, i, i, tlsa
            printf "s%d MX 10 mx.s%d\nmx.s%d A 127.0.3.42\n", i, i, i
            printf "_mta-sts.s%d TXT \"v=STSv1; id=bulk%d;\"\nmta-sts.s%d A %s\n", i, i, i, sts
        } }'
}

# Sign (or copy) the canonical zone ZONE into its served file.
zone_sign() {
    local z=$1 stem mode ksk zsk inc exp
    stem=$(zone_stem "$z")
    # shellcheck disable=SC1090
    . "$LAB_DNS/zones/$stem.meta"      # mode ksk zsk
    if [ "$mode" = unsigned ]; then
        cp "$LAB_DNS/zones/$stem.zone" "$LAB_DNS/zones/$stem.served.tmp"
    else
        if [ "$mode" = expired ]; then
            inc=$(lab_sigdate '-40 days'); exp=$(lab_sigdate '-10 days')
        else
            inc=$(lab_sigdate '-1 day'); exp=$(lab_sigdate '+30 days')
        fi
        ldns-signzone -i "$inc" -e "$exp" -o "$z" \
            -f "$LAB_DNS/zones/$stem.served.tmp" \
            "$LAB_DNS/zones/$stem.zone" "$LAB_DNS/keys/$ksk" "$LAB_DNS/keys/$zsk" ||
            die "ldns-signzone failed for $z"
    fi
    mv -f "$LAB_DNS/zones/$stem.served.tmp" "$LAB_DNS/zones/$stem.served"
}

# SOA serial currently served for ZONE by its nsd.
zone_served_serial() {
    local z=$1 srv
    srv=$(conf_lines zones.conf | awk -v z="$z" '$1==z {print $2}')
    in_ns dig +short +norec +time=1 +tries=1 @"$srv" "$z" SOA 2>/dev/null |
        awk '{print $3}'
}

# Replace the RRset NAME TYPE of the zone holding NAME by RDATA lines
# (none: delete), re-sign, reload nsd and flush the resolver cache.
#   zone_set NAME TYPE TTL [RDATA]...
zone_set() {
    local name=$1 type=${2^^} ttl=$3 z stem f serial srv pid rd
    shift 3
    [[ "$name" == *. ]] || name=$name.
    name=${name,,}
    z=$(zone_of "$name")
    [ -n "$z" ] || die "no lab zone holds $name"
    stem=$(zone_stem "$z")
    f=$LAB_DNS/zones/$stem.zone
    [ -r "$f" ] || die "zone $z not built (run setup)"
    awk -v n="$name" -v t="$type" 'BEGIN{OFS="\t"}
        $4=="SOA" {$7=$7+1}
        !(tolower($1)==n && $4==t) {print}' "$f" > "$f.tmp"
    for rd in "$@"; do
        printf '%s\t%s\tIN\t%s\t%s\n' "$name" "$ttl" "$type" "$rd" >> "$f.tmp"
    done
    ldns-read-zone -z "$f.tmp" > "$f.new" 2>/dev/null || {
        rm -f "$f.tmp" "$f.new"; die "bad record data for $name $type"; }
    mv -f "$f.new" "$f"; rm -f "$f.tmp"
    serial=$(awk '$4=="SOA" {print $7; exit}' "$f")
    zone_sign "$z"
    srv=$(conf_lines zones.conf | awk -v z="$z" '$1==z {print $2}')
    pid=$(cat "$LAB_DIR/pids/nsd-$srv.pid" 2>/dev/null) || die "nsd $srv not running"
    kill -HUP "$pid"
    for _ in $(seq 100); do
        [ "$(zone_served_serial "$z")" = "$serial" ] && break
        sleep 0.1
    done
    [ "$(zone_served_serial "$z")" = "$serial" ] || die "nsd $srv did not load $z serial $serial"
    resolver_flush "$z"
}

resolver_flush() {
    in_ns unbound-control -c "$LAB_DIR/unbound/unbound.conf" flush_zone "$1" >/dev/null &&
    in_ns unbound-control -c "$LAB_DIR/unbound/unbound.conf" flush_bogus >/dev/null &&
    in_ns unbound-control -c "$LAB_DIR/unbound/unbound.conf" flush_negative >/dev/null ||
        die "could not flush the resolver cache"
}

# --- processes -------------------------------------------------------------

# Wait until pidfile FILE names a live process (up to 5 s).
wait_pidfile() {
    local f=$1
    for _ in $(seq 50); do
        [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Stop the process of pidfile FILE: TERM, wait up to 5 s, then KILL.
stop_pidfile() {
    local f=$1 pid
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "lab: pid $pid ($f) ignored TERM, killing" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$f"
}

# Wait until TCP ADDR PORT accepts connections inside the namespace.
wait_tcp() {
    local addr=$1 port=$2 _
    for _ in $(seq 100); do
        in_ns bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- services --------------------------------------------------------------
# Every service NAME has svc_start and a pidfile $LAB_DIR/pids/NAME.pid.
# Names: nsd-ADDR, unbound, receiver, sender, nginx, drip-ADDR.
# $LAB_DIR/services lists them in start order.

svc_pidfile() { echo "$LAB_DIR/pids/$1.pid"; }

svc_start() {
    local s=$1 d pf
    pf=$(svc_pidfile "$s")
    if [ -s "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null; then
        return 0
    fi
    case $s in
    nsd-*)
        d=$LAB_DNS/$s
        rm -f "$d/nsd.pid"
        in_ns nsd -c "$d/nsd.conf" || die "$s did not start (see $d/nsd.log)"
        wait_pidfile "$d/nsd.pid" || die "$s: no pid (see $d/nsd.log)"
        cp "$d/nsd.pid" "$pf" ;;
    unbound)
        d=$LAB_DIR/unbound
        rm -f "$d/unbound.pid"
        in_ns unbound -c "$d/unbound.conf" || die "unbound did not start (see $d/unbound.log)"
        wait_pidfile "$d/unbound.pid" || die "unbound: no pid (see $d/unbound.log)"
        cp "$d/unbound.pid" "$pf" ;;
    sender|receiver)
        # Queue directories made once; then "quick-start" skips
        # postfix-script's slow integrity checks (seconds per start).
        d=$LAB_DIR/$s
        mkdir -p "$LAB_DIR/spool/$s"
        if [ ! -d "$LAB_DIR/spool/$s/active" ]; then
            in_ns postfix -c "$d" post-install create-missing >"$d/start.log" 2>&1 ||
                { cat "$d/start.log" >&2; die "postfix $s: cannot create its queue"; }
        fi
        touch "$LAB_DIR/spool/$s/quick-start"
        in_ns postfix -c "$d" start >"$d/start.log" 2>&1 ||
            { cat "$d/start.log" >&2; die "postfix $s did not start"; }
        wait_pidfile "$LAB_DIR/spool/$s/pid/master.pid" || die "postfix $s: no master pid"
        tr -d ' ' < "$LAB_DIR/spool/$s/pid/master.pid" > "$pf" ;;
    nginx)
        d=$LAB_DIR/nginx
        rm -f "$d/nginx.pid"
        in_ns nginx -c "$d/nginx.conf" -p "$d/" -e "$d/error.log" ||
            die "nginx did not start (see $d/error.log)"
        wait_pidfile "$d/nginx.pid" || die "nginx: no pid"
        cp "$d/nginx.pid" "$pf" ;;
    drip-*)
        d=$LAB_DIR/drip/${s#drip-}
        local a c k b
        read -r a c k b < "$d.args"
        ip netns exec "$LAB_NS" "$LAB_PY" "$LAB_SRC/drip.py" "$a" 443 "$c" "$k" "$b" \
            >>"$d.log" 2>&1 < /dev/null &
        echo $! > "$pf" ;;
    *) die "unknown service $s" ;;
    esac
}

# Postfix's master, on TERM, stops its whole process group (what
# "postfix stop" does, minus its 1 s polling).
svc_stop() { stop_pidfile "$(svc_pidfile "$1")"; }

svc_list() { [ -r "$LAB_DIR/services" ] && cat "$LAB_DIR/services"; }
