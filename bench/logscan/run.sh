#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/logscan/run.sh - scan a generated Postfix log of >= 1 GB with
# "tlspolicy logscan" and with Debian's pflogsumm, on one core, and print
# wall time, CPU time, MB/s and peak RSS of both (GNU time -v).
#
# usage: bench/logscan/run.sh [BUILDDIR]      (default: build)
# env:   LOG   log file (default /tmp/tlspolicy-bench/mail.log; generated
#              with loggen when missing)
#        SIZE  size to generate (default 1100M)
#        DOMAINS  recipient domains of a generated log (loggen -d; default
#              loggen's 5000; issue 20 measures 50000)
#        JSON=1  tlspolicy logscan --json (the report for every domain)
#              instead of the table
#        Also timed, as a floor: grep -c status= on the same file.
#        RUNS  runs of tlspolicy logscan, best is reported (default 3)
#        CPU   core to pin both tools to (default 0)
#        NICE  nice value for both tools (e.g. -20 on a shared, busy machine,
#              so that wall time measures the tool, not its neighbours)
#        SKIP_PFLOGSUMM=1  only tlspolicy
# Results and the exact commands are recorded in docs/benchmarks.md.
set -eu
B=${1:-build}
TP=$B/src/tlspolicy
GEN=$B/bench/logscan/loggen
LOG=${LOG:-/tmp/tlspolicy-bench/mail.log}
SIZE=${SIZE:-1100M}
RUNS=${RUNS:-3}
CPU=${CPU:-0}
NICE=${NICE:-0}
T=$(mktemp -d /tmp/tlspolicy-bench-run.XXXXXX)
trap 'rm -rf "$T"' EXIT

[ -x "$TP" ] && [ -x "$GEN" ] || { echo "run.sh: build first: ninja -C $B" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }
if [ ! -s "$LOG" ]; then
	mkdir -p "$(dirname "$LOG")"
	dopt=()
	[ -n "${DOMAINS:-}" ] && dopt=(-d "$DOMAINS")
	echo "generating $SIZE log: $GEN -s $SIZE ${dopt[*]} -o $LOG"
	"$GEN" -s "$SIZE" "${dopt[@]}" -o "$LOG"
fi
bytes=$(stat -c %s "$LOG")
lines=$(wc -l <"$LOG")
echo "log: $LOG, $bytes bytes, $lines lines"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$LOG" >/dev/null # into the page cache: both tools read from memory

# measure NAME CMD...: one run under GNU time, pinned to $CPU
measure() {
	local name=$1; shift
	nice -n "$NICE" taskset -c "$CPU" /usr/bin/time -v "$@" >"$T/$name.out" 2>"$T/$name.time"
	local wall user sys rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$T/$name.time")
	user=$(awk -F': ' '/User time/ {print $2}' "$T/$name.time")
	sys=$(awk -F': ' '/System time/ {print $2}' "$T/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/$name.time")
	echo "$wall $user $sys $rss"
}

report() { # NAME WALL USER SYS RSS_KB
	awk -v n="$1" -v w="$2" -v u="$3" -v s="$4" -v r="$5" -v b="$bytes" 'BEGIN {
		printf "%-22s wall %7.2f s  cpu %7.2f s (user %.2f + sys %.2f)  %7.1f MB/s wall  %7.1f MB/s cpu  peak RSS %6.1f MB\n",
			n, w, u + s, u, s, b / 1e6 / w, b / 1e6 / (u + s), r / 1024 }'
}

best=""
for i in $(seq "$RUNS"); do
	jopt=()
	[ "${JSON:-}" = 1 ] && jopt=(--json)
	# -v: the summary line goes to stderr only with -v (or on a terminal)
	r=$(measure logscan "$TP" --db "sqlite:$T/no-table.db" logscan -v "${jopt[@]}" "$LOG")
	grep -h '^tlspolicy logscan: [0-9]* lines,' "$T/logscan.time" | sed 's/^/  /'
	report "tlspolicy logscan #$i" $r
	if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
		best=$r
	fi
done
report "tlspolicy logscan best" $best
if [ "${JSON:-}" != 1 ]; then
	lrows=$(($(wc -l <"$T/logscan.out") - 1))
	echo "  domains in the table: $lrows"
fi
g=$(measure grep grep -c status= "$LOG")
report "grep -c status=" $g

if [ "${SKIP_PFLOGSUMM:-}" != 1 ]; then
	command -v pflogsumm >/dev/null || { echo "run.sh: pflogsumm not installed (scripts/install-deps)" >&2; exit 1; }
	p=$(measure pflogsumm pflogsumm "$LOG")
	report "pflogsumm" $p
	awk -v a="${best%% *}" -v b="${p%% *}" 'BEGIN { printf "ratio (pflogsumm wall / logscan wall): %.1fx\n", b / a }'
	awk -v a="$(echo "$best" | awk '{print $2 + $3}')" -v b="$(echo "$p" | awk '{print $2 + $3}')" 'BEGIN { printf "ratio (pflogsumm cpu / logscan cpu): %.1fx\n", b / a }'
	grep -E '^ +[0-9]+[km]? +delivered' "$T/pflogsumm.out" | head -1 | sed 's/^/  pflogsumm: /'
fi
