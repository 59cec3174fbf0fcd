#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen-bulk.py LOG DOMAINS [N] [DAYS] - a Postfix log (year-less syslog
time stamps, November) with N destination domains (default 50,000) over
DAYS days (default 30): domain i gets 1 + i % 3 deliveries, each with the
TLS grade (i + k) % 5 (Verified, Trusted, Untrusted, Anonymous, plaintext),
and DOMAINS lists them one per line.  Deterministic.  Used by
tests/report/report-cli.sh and bench/report/open.py."""
import sys

GRADES = ["Verified", "Trusted", "Untrusted", "Anonymous", None]


def main():
    log, doms = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 50000
    days = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    with open(log, "w") as f, open(doms, "w") as d:
        pid = 1000
        for i in range(n):
            dom = "d%05d.bulk.example" % i
            d.write(dom + "\n")
            day = 1 + i % days
            for k in range(1 + i % 3):
                pid += 1
                g = GRADES[(i + k) % 5]
                ts = "Nov %2d 1%d:%02d:%02d" % (day, k, i % 60, (i // 60) % 60)
                relay = "mx.%s[192.0.2.%d]:25" % (dom, 1 + i % 200)
                if g:
                    f.write("%s mail postfix/smtp[%d]: %s TLS connection established to %s: "
                            "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
                            % (ts, pid, g, relay))
                f.write("%s mail postfix/smtp[%d]: Q%05d%d: to=<u@%s>, relay=%s, delay=1, "
                        "delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)\n"
                        % (ts, pid, i, k, dom, relay))


if __name__ == "__main__":
    main()
