#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-rrl.sh - the lab's authoritative servers answer a burst of 2,000
# queries of one zone in full: nsd's response rate limiting is off
# (tests/lab/setup: rrl-ratelimit: 0), else it throttles the NODATA
# answers of bulk.example and cold DANE discovery of the 1,000 bulk
# domains (bench/dane/run) ends partly in SERVFAIL.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

N=2000
got=$(in_ns python3 "$(dirname "$0")/rrl-burst.py" 127.0.1.3 "$N") || got=error
if [ "$got" = "$N" ]; then
	ok "$N of $N answered in full by nsd 127.0.1.3"
else
	fail "nsd 127.0.1.3 answered $got of $N queries in full (rate limited?)"
fi
for f in "$LAB_DIR"/dns/nsd-*/nsd.conf; do
	grep -q "rrl-ratelimit: 0" "$f" && ok "$f: RRL off" || fail "$f: RRL on"
done

finish
