#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen.py - the decision matrix's destinations, as a model and as a lab.

Builds the destinations of the decision matrix from the cross product of
what a domain can publish (DNSSEC state, MX layout, per-host TLSA, address
security and server certificate, MTA-STS, provider hosting, admin table
rows), where the combination makes sense, and writes

  OUT/model.json         what every destination publishes (the oracle's
                         only input besides the setting)
  OUT/lab/conf/*.conf    lab scenario lines (tests/lab/README.md format)
  OUT/lab/zones/*.zone   zone templates
  OUT/lab/sts/*.txt      MTA-STS policy bodies
  OUT/table.txt          the admin's table rows (KEY VALUE)
  OUT/providers.conf     the lab provider (provider_file)

OUT/lab is given to tests/lab/setup as LAB_EXTRA.  Every generated name
lives under m.example (signed), m2.example (signed), mu.example
(unsigned), mb.example (bogus), me.example (expired signatures),
mp.example (unsigned provider zone) and ic.m.example (unsigned child of
a signed parent); SMTP servers on 127.0.4.x, MTA-STS hosts on
127.0.10.x, so nothing collides with the hand-written scenarios.

Usage: gen.py [--set ci|full] OUT
"""
import argparse
import json
import os
import sys

# --- servers: one receiver listener per certificate class -----------------
# cert names are filled in from the hosts that use each server.
# Classes whose certificate names the hosts that use them have one server
# per MX position (ok1 serves every first MX, ok2 every second...), so the
# hosts of one destination never share a certificate: a policy naming only
# mx1 is not satisfied by mx2's certificate.
SERVERS = {
    # name: address, cert, STARTTLS, issuer (ca|self|other|-), validity
    "ok1": ("127.0.4.1", "mtx-ok1", True, "ca", "valid"),
    "ok2": ("127.0.4.2", "mtx-ok2", True, "ca", "valid"),
    "ok3": ("127.0.4.3", "mtx-ok3", True, "ca", "valid"),
    "ss1": ("127.0.4.11", "mtx-ss1", True, "self", "valid"),
    "ss2": ("127.0.4.12", "mtx-ss2", True, "self", "valid"),
    "ss3": ("127.0.4.13", "mtx-ss3", True, "self", "valid"),
    "ex1": ("127.0.4.21", "mtx-ex1", True, "ca", "expired"),
    "ex2": ("127.0.4.22", "mtx-ex2", True, "ca", "expired"),
    "ex3": ("127.0.4.23", "mtx-ex3", True, "ca", "expired"),
    "wn": ("127.0.4.30", "mtx-wn", True, "ca", "valid"),
    "pl": ("127.0.4.31", None, False, "-", "-"),
    "pv": ("127.0.4.32", "mtx-pv", True, "ca", "valid"),
    "dead": ("127.0.4.250", None, False, "-", "-"),   # nothing listens
}
PER_POSITION = ("ok", "ss", "ex")
FIXED_NAMES = {"wn": ["wrong-name.mw.example"], "pv": ["mx.mp.example"]}
# none; ee: 3 1 1 of the host's certificate; ta: 2 1 1 of the lab issuing
# CA; eex: 3 1 1 of another key; u01: only usages 0 and 1 (unusable);
# sf: the lookup fails (SERVFAIL: lame delegation of _tcp.HOST);
# bg: the TLSA RRset is bogus (a CNAME into the bogus zone).
TLSA_KINDS = ("none", "ee", "ta", "eex", "u01", "sf", "bg")
LAME_NS = "127.0.1.4"       # an nsd that does not serve it: REFUSED, at once
PROVIDER = {"id": "matrixmail", "name": "Matrix lab mail provider",
            "mx": [".mp.example"], "policy": "secure match=mx.mp.example"}

# MTA-STS policy hosts: address per certificate kind
STS_ADDR = {"ok": "127.0.10.1", "other": "127.0.10.2", "expired": "127.0.10.3",
            "wrongname": "127.0.10.4"}
STS_DRIP_BASE = 20          # drip servers on 127.0.10.20, .21, ...
# MTA-STS kinds whose policy cannot be fetched: certificate kind, sts.conf
# KIND, the reason (model.json)
FETCH_FAILURES = {
    "nopolicy": ("ok", "404", "404"),
    "badca": ("other", "policy", "certificate from an untrusted CA"),
    "badexp": ("expired", "policy", "expired certificate"),
    "badname": ("wrongname", "policy", "certificate for another name"),
    "redirect": ("ok", "redirect", "301 redirect"),
    "ctype": ("ok", "html", "Content-Type text/html"),
    "big": ("ok", "big", "body over 64 KiB"),
    "drip": ("ok", "drip", "body at one byte a second (timeout)"),
}

ZONES = [
    # zone, server, mode
    ("m.example.", "127.0.1.3", "signed"),
    ("m2.example.", "127.0.1.3", "signed"),
    ("mu.example.", "127.0.1.3", "unsigned"),
    ("mb.example.", "127.0.1.3", "bogus"),
    ("me.example.", "127.0.1.3", "expired"),
    ("mp.example.", "127.0.1.3", "unsigned"),
    ("ic.m.example.", "127.0.1.4", "unsigned"),
]
ZONE_SECURITY = {"m.example": "secure", "m2.example": "secure", "mu.example": "insecure",
                 "mb.example": "bogus", "me.example": "bogus", "mp.example": "insecure",
                 "ic.m.example": "insecure"}


def zone_of(name):
    best = None
    for z, _, _ in ZONES:
        z = z.rstrip(".")
        if name == z or name.endswith("." + z):
            if best is None or len(z) > len(best):
                best = z
    if best is None:
        raise ValueError("no matrix zone holds " + name)
    return best


class Gen:
    def __init__(self, which):
        self.which = which
        self.dests = []
        self.records = {z.rstrip("."): [] for z, _, _ in ZONES}
        self.server_names = {k: [] for k in SERVERS}
        self.sts_lines = []
        self.sts_files = {}
        self.sts_cert_names = {"ok": [], "other": [], "expired": []}
        self.table = []
        self.drips = 0
        self.labels = set()
        self.lame = False

    # records -------------------------------------------------------------
    def rr(self, owner, rtype, rdata):
        z = zone_of(owner)
        rel = "@" if owner == z else owner[: -len(z) - 1]
        self.records[z].append("%s\t%s\t%s" % (rel, rtype, rdata))

    # hosts ---------------------------------------------------------------
    def host(self, dest, label, k, spec, pref):
        """spec: TLSA-SERVER[-i], optionally 'deep:' first (a name two
        labels below the destination)."""
        deep = spec.startswith("deep:")
        if deep:
            spec = spec[5:]
        parts = spec.split("-")
        tlsa, server = parts[0], parts[1]
        insecure = len(parts) > 2 and parts[2] == "i"
        if server in PER_POSITION:
            server += str(k)
        assert tlsa in TLSA_KINDS and server in SERVERS, spec
        if server == "pv" or (server == "dead" and dest.get("provider_zone")):
            name = "%s-mx%d.mp.example" % (label, k)
            insecure = True
        else:
            # below the destination when its zone has the security the
            # host's address needs, else below LABEL.m.example (secure) or
            # LABEL.mu.example (insecure)
            want = "insecure" if insecure else "secure"
            if ZONE_SECURITY[zone_of(dest["name"])] == want:
                base = dest["name"]
            else:
                base = "%s.%s" % (label, "mu.example" if insecure else "m.example")
            name = "%smx%d.%s" % ("a." if deep else "", k, base)
        h = {"pref": pref, "name": name, "tlsa": tlsa, "server": server,
             "addr_secure": ZONE_SECURITY[zone_of(name)] == "secure"}
        self.place_host(h)
        return h

    def place_host(self, h):
        name, server = h["name"], h["server"]
        self.rr(name, "A", SERVERS[server][0])
        if server not in FIXED_NAMES and SERVERS[server][1]:
            self.server_names[server].append(name)
        self.tlsa(name, h["tlsa"], server)

    def tlsa(self, name, kind, server):
        owner = "_25._tcp." + name
        cert = SERVERS[server][1] or "mtx-ok1"
        if kind == "none":
            return
        if kind == "ee":
            self.rr(owner, "TLSA", "{{tlsa 3 1 1 %s}}" % cert)
        elif kind == "ta":
            self.rr(owner, "TLSA", "{{tlsa 2 1 1 ca-issuing}}")
        elif kind == "eex":
            self.rr(owner, "TLSA", "{{tlsa 3 1 1 mtx-other}}")
        elif kind == "u01":
            self.rr(owner, "TLSA", "{{tlsa 0 1 1 ca-root}}")
            self.rr(owner, "TLSA", "{{tlsa 1 1 1 %s}}" % cert)
        elif kind == "sf":
            # _tcp.HOST is delegated to a name server that does not exist
            self.rr("_tcp." + name, "NS", "lame-ns.m.example.")
            if not self.lame:
                self.rr("lame-ns.m.example", "A", LAME_NS)
                self.lame = True
        elif kind == "bg":
            # the TLSA RRset is a CNAME into the bogus zone
            target = "tlsa-%s.mb.example" % name.replace(".", "-")
            self.rr(owner, "CNAME", target + ".")
            self.rr(target, "TLSA", "{{tlsa 3 1 1 %s}}" % cert)

    # destinations --------------------------------------------------------
    def dest(self, family, label, zone, hosts=None, mx="list", sts=None, cname=None,
             table=None, ci=False, note="", apex=False, implicit_server="ok",
             implicit_tlsa="none"):
        """One destination.  hosts: space-separated host specs (MX in
        preference order 10, 20, 30); mx: list | null | none (implicit MX);
        sts: None or an MTA-STS kind (see sts()); cname: zone of the CNAME
        target; table: exact table row value."""
        if self.which == "ci" and not ci:
            return None
        assert label not in self.labels, label
        self.labels.add(label)
        name = zone if apex else "%s.%s" % (label, zone)
        d = {"name": name, "family": family, "note": note, "ci": ci, "mx": mx,
             "zone": zone, "hosts": [], "sts": None, "cname": None}
        mxowner = name
        if cname:
            target = "%s.%s" % (label, cname)
            self.rr(name, "CNAME", target + ".")
            d["cname"] = {"target": target}
            mxowner = target
        sec = [ZONE_SECURITY[zone_of(name)]]
        if cname:
            sec.append(ZONE_SECURITY[zone_of(mxowner)])
        d["dnssec"] = "bogus" if "bogus" in sec else ("insecure" if "insecure" in sec else "secure")
        if mx == "null":
            self.rr(mxowner, "MX", "0 .")
            self.rr(mxowner, "A", SERVERS["ok1"][0])
        elif mx == "none":
            srv = implicit_server + ("1" if implicit_server in PER_POSITION else "")
            h = {"pref": 0, "name": mxowner, "tlsa": implicit_tlsa, "server": srv,
                 "addr_secure": d["dnssec"] == "secure"}
            self.place_host(h)
            d["hosts"].append(h)
        else:
            if "pv" in (hosts or ""):
                d["provider_zone"] = True
            for k, spec in enumerate(hosts.split(), 1):
                h = self.host(d, label, k, spec, 10 * k)
                self.rr(mxowner, "MX", "%d %s." % (h["pref"], h["name"]))
                d["hosts"].append(h)
            d.pop("provider_zone", None)
        if sts:
            d["sts"] = self.sts(d, sts)
        if table is not None:
            self.table.append((name, table))
            d["table"] = table
        d["desc"] = describe(d)
        self.dests.append(d)
        return d

    def sts(self, d, kind):
        """MTA-STS of destination d.  Kinds: enforce testing none partial
        wild deep (policies); nopolicy nohost notxt twotxt badca badexp
        badname redirect ctype big drip (failures); txtws order longline
        (RFC-valid forms, issue 18); manymx manyext (large policies,
        issue 10)."""
        name = d["name"]
        host = "mta-sts." + name
        hosts = [h["name"] for h in d["hosts"]]
        mode = {"testing": "testing", "none": "none"}.get(kind, "enforce")
        if kind == "partial":
            mxp = hosts[:1]
        elif kind in ("wild", "deep"):
            mxp = ["*." + name]
        elif kind == "wildmp":
            mxp = ["*.mp.example"]
        else:
            mxp = list(hosts)
        lines = ["version: STSv1", "mode: " + mode] + ["mx: " + p for p in mxp if mode != "none"]
        lines.append("max_age: 86400")
        if kind == "order":
            lines = lines[1:2] + lines[2:] + lines[:1]      # version last
        if kind == "longline":
            lines.insert(2, "x-long: " + "a" * 1500)
        if kind == "manymx":
            decoys = ["decoy%d.%s" % (i, name) for i in range(1, 40)]
            lines[2:2] = ["mx: " + p for p in decoys]
            mxp = decoys + mxp
        if kind == "manyext":
            lines[2:2] = ["x-ext%d: value%d" % (i, i) for i in range(1, 61)]
        body = "".join(l + "\r\n" for l in lines)
        txt_id = d["name"].split(".")[0] + "1"
        s = {"kind": kind, "mode": mode, "mx": mxp, "txt": "ok", "fetch": "ok"}
        # TXT
        if kind == "notxt":
            s["txt"] = "missing"
        elif kind == "twotxt":
            self.rr("_mta-sts." + name, "TXT", '"v=STSv1; id=%sa;"' % txt_id)
            self.rr("_mta-sts." + name, "TXT", '"v=STSv1; id=%sb;"' % txt_id)
            s["txt"] = "two records"
        elif kind == "txtws":
            self.rr("_mta-sts." + name, "TXT", '"v=STSv1 ; id=%s"' % txt_id)
        else:
            self.rr("_mta-sts." + name, "TXT", '"v=STSv1; id=%s;"' % txt_id)
        # policy host
        fname = name + ".txt"
        certkind, conf_kind, arg = "ok", "policy", fname
        if kind == "nohost":
            s["fetch"] = "no policy host (NXDOMAIN)"
            return s
        if kind in FETCH_FAILURES:
            certkind, conf_kind, s["fetch"] = FETCH_FAILURES[kind]
            if conf_kind == "404":
                arg = None
            elif conf_kind == "redirect":
                arg = "https://%s/.well-known/mta-sts.txt" % host
        if arg and conf_kind != "redirect":
            self.sts_files[fname] = body
        if conf_kind == "drip":
            addr = "127.0.10.%d" % (STS_DRIP_BASE + self.drips)
            self.drips += 1
        else:
            addr = STS_ADDR[certkind]
        cert = {"ok": "mtx-sts-ok", "other": "mtx-sts-other", "expired": "mtx-sts-expired",
                "wrongname": "mtx-sts-wrongname"}[certkind]
        if certkind in self.sts_cert_names:
            self.sts_cert_names[certkind].append(host)
        self.rr(host, "A", addr)
        self.sts_lines.append(" ".join(x for x in (host, addr, cert, conf_kind, arg) if x))
        return s

    # output --------------------------------------------------------------
    def write(self, out):
        lab = os.path.join(out, "lab")
        for sub in ("conf", "zones", "sts"):
            os.makedirs(os.path.join(lab, sub), exist_ok=True)
        head = "# generated by tests/matrix/gen.py (--set %s); do not edit\n" % self.which
        with open(os.path.join(lab, "conf", "zones.conf"), "w") as f:
            f.write(head)
            for z, srv, mode in ZONES:
                f.write("%-20s %s %s\n" % (z, srv, mode))
        with open(os.path.join(lab, "conf", "certs.conf"), "w") as f:
            f.write(head)
            for k, (addr, cert, tls, issuer, validity) in SERVERS.items():
                if not cert:
                    continue
                names = FIXED_NAMES.get(k) or sorted(set(self.server_names[k])) or \
                    ["unused-%s.mw.example" % k]
                f.write("%s %s %s %s\n" % (cert, issuer, validity, " ".join(names)))
            f.write("mtx-other ca valid other.mw.example\n")
            for k, issuer, validity in (("ok", "ca", "valid"), ("other", "other", "valid"),
                                        ("expired", "ca", "expired")):
                names = sorted(set(self.sts_cert_names[k])) or ["mta-sts.unused.mw.example"]
                f.write("mtx-sts-%s %s %s %s\n" % (k, issuer, validity, " ".join(names)))
            f.write("mtx-sts-wrongname ca valid mta-sts.wrong-name.mw.example\n")
        with open(os.path.join(lab, "conf", "smtp.conf"), "w") as f:
            f.write(head)
            for k, (addr, cert, tls, issuer, validity) in SERVERS.items():
                if k == "dead":
                    continue
                f.write("%s %s %s\n" % (addr, cert or "-", "yes" if tls else "no"))
        with open(os.path.join(lab, "conf", "sts.conf"), "w") as f:
            f.write(head)
            for line in self.sts_lines:
                f.write(line + "\n")
        for z, recs in self.records.items():
            with open(os.path.join(lab, "zones", z + ".zone"), "w") as f:
                f.write("; generated by tests/matrix/gen.py; do not edit\n")
                for r in recs:
                    f.write(r + "\n")
        for fname, body in self.sts_files.items():
            with open(os.path.join(lab, "sts", fname), "w", newline="") as f:
                f.write(body)
        with open(os.path.join(out, "table.txt"), "w") as f:
            for k, v in self.table:
                f.write("%s %s\n" % (k, v))
        with open(os.path.join(out, "providers.conf"), "w") as f:
            f.write("# generated by tests/matrix/gen.py\nprovider %s\nname %s\nmx %s\npolicy %s\n"
                    % (PROVIDER["id"], PROVIDER["name"], " ".join(PROVIDER["mx"]),
                       PROVIDER["policy"]))
        servers = {}
        for k, (addr, cert, tls, issuer, validity) in SERVERS.items():
            servers[k] = {"address": addr, "listening": k != "dead", "starttls": tls,
                          "issuer": issuer, "expired": validity == "expired",
                          "names": FIXED_NAMES.get(k) or sorted(set(self.server_names[k])),
                          "key": cert}
        model = {"set": self.which, "destinations": self.dests, "servers": servers,
                 "table": [[k, v] for k, v in self.table], "provider": PROVIDER,
                 "sts_max_bytes": 65536}
        with open(os.path.join(out, "model.json"), "w") as f:
            json.dump(model, f, indent=1, sort_keys=True)


def describe(d):
    """One line naming what the destination publishes."""
    parts = [d["dnssec"]]
    if d.get("cname"):
        parts.append("CNAME->" + d["cname"]["target"])
    if d["mx"] == "null":
        parts.append("null MX")
    elif d["mx"] == "none":
        h = d["hosts"][0]
        parts.append("no MX (implicit), TLSA %s, server %s" % (h["tlsa"], h["server"]))
    else:
        parts.append("MX " + ", ".join("%d %s/%s%s" % (h["pref"], h["tlsa"], h["server"],
                                                       "" if h["addr_secure"] else "/insecure-addr")
                                      for h in d["hosts"]))
    if d.get("sts"):
        parts.append("sts " + d["sts"]["kind"])
    if d.get("table") is not None:
        parts.append("table row '%s'" % d["table"])
    return "; ".join(parts)


def build(g):
    # F1: one MX host in the signed zone: TLSA x server certificate x address
    n = 0
    ci1 = {"none-ok", "ee-ok", "ta-ok", "eex-ok", "u01-ok", "sf-ok", "bg-ok", "ee-pl", "ee-ss",
           "ta-wn", "ta-ex", "u01-pl", "ee-ex"}
    for tlsa in TLSA_KINDS:
        for srv in ("ok", "wn", "ss", "ex", "pl"):
            n += 1
            spec = "%s-%s" % (tlsa, srv)
            g.dest("dane1", "d%02d" % n, "m.example", spec, ci=spec in ci1)
    for tlsa in ("none", "ee"):
        for srv in ("ok", "wn", "ss", "ex", "pl"):
            n += 1
            spec = "%s-%s-i" % (tlsa, srv)
            g.dest("dane1", "d%02d" % n, "m.example", spec, ci=spec in ("ee-ok-i", "none-pl-i"))
    # F2: one MX host, unsigned domain (MX RRset insecure)
    n = 0
    for addr in ("", "-i"):
        for tlsa in ("none", "ee"):
            for srv in ("ok", "wn", "ss", "ex", "pl"):
                n += 1
                spec = "%s-%s%s" % (tlsa, srv, addr)
                g.dest("unsigned1", "u%02d" % n, "mu.example", spec,
                       ci=spec in ("ee-ok", "ee-ss", "ee-ex", "ee-pl", "none-pl-i", "none-ss"))
    # F3: two or three MX hosts, signed domain
    layouts = [
        ("ee-ok ee-ok", True), ("ee-ok ta-ok", False), ("ee-ok ta-ok ee-ss", False),
        ("ee-ok none-ok", True), ("none-ok ee-ok", False), ("eex-ok none-ok", True),
        ("ee-ok none-pl", False), ("none-pl ee-ok", True), ("ee-ok none-ok-i", False),
        ("ee-dead none-ss", True), ("sf-ok none-ok", True), ("sf-ok ee-ok", False),
        ("sf-ok sf-ok", True), ("bg-ok bg-ok", True), ("bg-ok none-ok", False),
        ("bg-ok ee-ok", False), ("u01-ok none-ok", False), ("u01-pl none-ok", True),
        ("none-ok none-ss", False), ("none-dead none-ok", False),
        ("ee-ok ee-ok none-ok", False), ("ee-dead ee-ok none-ok", False),
        ("none-ok none-ok ee-ok", False), ("ee-ok-i ee-ok-i", False), ("eex-ok eex-ok", True),
    ]
    for n, (lay, ci) in enumerate(layouts, 1):
        g.dest("multi", "x%02d" % n, "m.example", lay, ci=ci)
    g.dest("multi", "x%02d" % (len(layouts) + 1), "mu.example", "ee-ok none-ok")
    # F4: MTA-STS kinds x MX layouts x signed/unsigned domain
    L = {"L1": "none-ok", "L2": "none-ok none-wn", "L3": "none-ss", "L4": "none-pl",
         "L5": "ee-ok", "L6": "ee-ok none-ok", "L6b": "ee-dead none-ss",
         "L6c": "none-pl ee-ok", "L7": "sf-ok", "L7b": "sf-ok none-ok", "L7c": "bg-ok",
         "L8": "u01-ok",
         "L9": "none-ok none-ok", "Lx": "eex-ok"}
    plan = [
        ("enforce", ["L1", "L2", "L3", "L4", "L5", "L6", "L6b", "L6c", "L7", "L7b", "L7c", "L8",
                     "L9", "Lx"],
         {"L1", "L3", "L4", "L6", "L6b", "L6c", "L7", "L7c", "L8", "Lx"}),
        ("testing", ["L1", "L3", "L4", "L6"], {"L1", "L6"}),
        ("none", ["L1", "L3"], {"L3"}),
        ("partial", ["L2", "L9", "L6"], {"L9"}),
        ("wild", ["L1", "L9"], {"L1"}),
        ("deep", ["deep:none-ok none-ok", "none-ok deep:none-ok"], {"deep:none-ok none-ok"}),
    ]
    for kind in ("nopolicy", "nohost", "notxt", "twotxt", "badca", "badexp", "badname",
                 "redirect", "ctype", "big"):
        ciset = {"L6"} if kind in ("badca", "big", "redirect") else set()
        if kind == "nopolicy":
            ciset = {"L1"}      # a failed fetch answers NOTFOUND, never _default
        plan.append((kind, ["L1", "L3", "L6"], ciset))
    for kind in ("txtws", "order", "longline"):
        plan.append((kind, ["L1", "L3"], {"L3"}))
    for kind in ("manymx", "manyext"):
        plan.append((kind, ["L1"], {"L1"}))
    n = 0
    for kind, lays, ciset in plan:
        for zone in ("m.example", "mu.example"):
            for lay in lays:
                n += 1
                hosts = L.get(lay, lay)
                if zone == "mu.example":
                    # the MX RRset is insecure: DANE cannot apply, and the
                    # hosts sit below the destination (wildcard policies)
                    hosts = " ".join(h if h.endswith("-i") else h + "-i" for h in hosts.split())
                g.dest("sts", "s%03d" % n, zone, hosts, sts=kind,
                       ci=lay in ciset and (zone == "m.example" or kind in ("enforce", "testing")))
    for lay in ("L6", "L5"):
        n += 1
        g.dest("sts", "s%03d" % n, "m.example", L[lay], sts="drip", ci=lay == "L6")
    # F5: DNS frames
    g.dest("frame", "b01", "mb.example", "ee-ok", ci=True, note="bogus zone")
    g.dest("frame", "b02", "mb.example", "none-ok", note="bogus zone")
    g.dest("frame", "b03", "mb.example", "none-ok", sts="enforce", note="bogus zone")
    g.dest("frame", "e01", "me.example", "ee-ok", ci=True, note="expired signatures")
    g.dest("frame", "e02", "me.example", "none-ok", note="expired signatures")
    g.dest("frame", "n01", "m.example", mx="null", ci=True)
    g.dest("frame", "n02", "mu.example", mx="null")
    g.dest("frame", "n03", "m.example", mx="null", sts="enforce", ci=True)
    g.dest("frame", "i01", "m.example", mx="none", implicit_tlsa="ee", ci=True)
    g.dest("frame", "i02", "m.example", mx="none")
    g.dest("frame", "i03", "mu.example", mx="none", implicit_tlsa="ee")
    g.dest("frame", "i04", "m.example", mx="none", sts="enforce", ci=True)
    g.dest("frame", "i05", "m.example", mx="none", implicit_tlsa="ee", implicit_server="pl")
    g.dest("frame", "c01", "m.example", "ee-ok", cname="m2.example", ci=True)
    g.dest("frame", "c02", "m.example", "ee-ok", cname="mu.example", ci=True)
    g.dest("frame", "c03", "mu.example", "ee-ok", cname="m2.example")
    g.dest("frame", "c04", "m.example", "ee-ok none-ok", cname="m2.example")
    g.dest("frame", "c05", "m.example", "none-ok", cname="m2.example", sts="enforce", ci=True)
    g.dest("frame", "c06", "m.example", "eex-ok", cname="m2.example")
    g.dest("frame", "icz", "ic.m.example", "ee-ok", apex=True, ci=True,
           note="unsigned child zone of a signed parent")
    g.dest("frame", "apex", "m.example", "ee-ok", apex=True, ci=True,
           note="zone apex: its parent key .m.example must not get its DANE answer")
    g.dest("frame", "apexu", "mu.example", "none-ok", apex=True, sts="enforce", ci=True,
           note="zone apex: its parent key .mu.example must not get its MTA-STS answer")
    # F6: provider hosting
    g.dest("provider", "p01", "m.example", "none-pv", ci=True)
    g.dest("provider", "p02", "mu.example", "none-pv none-pv")
    g.dest("provider", "p03", "m.example", "none-pv none-ok", ci=True)
    g.dest("provider", "p04", "mu.example", "none-pv", sts="wildmp", ci=True)
    g.dest("provider", "p05", "mu.example", "none-pv", sts="enforce")
    g.dest("provider", "p06", "mu.example", "none-dead none-pv")
    g.dest("provider", "p07", "m.example", "none-pv", sts="testing")
    # F7: the admin's table
    g.dest("table", "t01", "m.example", "ee-ok", table="may", ci=True)
    g.dest("table", "t02", "m.example", "none-ok", sts="enforce", table="none", ci=True)
    g.dest("table", "t03", "m.example", "none-ok", table="secure")
    g.dest("table", "t04", "m.example", "none-pl", table="encrypt", ci=True)
    g.dest("table", "t05", "mu.example", "none-ok", table="dane-only")
    g.dest("table", "t06", "m.example", "none-ss", table="verify")
    g.dest("table", "t07", "m.example", "none-wn none-ok", table="secure match=mx1.t07.m.example")
    g.dest("table", "t08", "m.example", "eex-ok", table="may")
    g.dest("table", "t09", "mb.example", "none-ok", table="may", ci=True)
    g.dest("table", "t10", "m.example", "none-ok", table="dane")
    g.table.append((".pt.m.example", "encrypt"))
    g.table.append((".ptu.mu.example", "secure"))
    g.dest("table", "a", "pt.m.example", "ee-ok", ci=True, note="below parent row .pt.m.example")
    g.dest("table", "b", "pt.m.example", "none-pl", ci=True, note="below parent row .pt.m.example")
    g.dest("table", "c", "pt.m.example", "none-ok", sts="enforce",
           note="below parent row .pt.m.example")
    g.dest("table", "x.y", "pt.m.example", "none-ok", note="two labels below .pt.m.example")
    g.dest("table", "d", "pt.m.example", "none-pl", table="may", ci=True,
           note="exact row below parent row .pt.m.example")
    g.dest("table", "a1", "ptu.mu.example", "none-ok-i", note="below parent row .ptu.mu.example")
    g.dest("table", "b1", "ptu.mu.example", "none-ss-i", ci=True,
           note="below parent row .ptu.mu.example")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=("ci", "full"), default="full",
                    help="ci: the reduced set run by scripts/test; full: every destination")
    ap.add_argument("out", help="output directory (created)")
    a = ap.parse_args()
    g = Gen(a.set)
    build(g)
    os.makedirs(a.out, exist_ok=True)
    g.write(os.path.abspath(a.out))
    print("gen: %d destinations (%s set), %d zones, %d MTA-STS hosts, %d table rows -> %s"
          % (len(g.dests), a.set, len(ZONES), len(g.sts_lines), len(g.table), a.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
