#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""oracle.py - what tlspolicy may answer, and what Postfix must then do.

Written from RFC 7672 (SMTP DANE), RFC 8461 (MTA-STS), tls_policy(5) and
postconf(5), and the precedence documented in docs/ARCHITECTURE.md
("Rules of the decision matrix"); it reads only the generator's model
(model.json: what each destination publishes) and never the engine
(src/) or the lab's DNS.  For one destination under one setting it states

  * per lookup key (the domain and every parent key Postfix walks:
    .b.example, .example) the answer tlspolicy must give: the strongest
    policy the destination's publications justify ("want"), plus answers
    that are equivalent for Postfix ("also", e.g. NOTFOUND for a key whose
    parent row Postfix finds next);
  * the delivery Postfix 3.7 must then produce: sent (TLS grade Verified,
    Trusted, Untrusted or none, and the relay host), deferred or bounced,
    by a model of smtp(8) with that policy (postfix_delivery()).

Answers are compared canonically (canon()): the level, the match= list as
a set, the other attributes as a set.

Usage: oracle.py MODEL.json [SETTING]   prints the expectations as JSON
       oracle.py --settings             lists the settings
"""
import json
import sys

# --- settings ---------------------------------------------------------------
# name: (daemon settings, _default row or None, sender smtp_tls_security_level,
#        deliveries run, what it shows)
SETTINGS = {
    "default": ({}, None, "may", True, "the defaults"),
    "dane_answer=dane": ({"dane_answer": "dane"}, None, "may", True,
                         "every-MX-usable DANE answers dane"),
    "dane_answer=notfound": ({"dane_answer": "notfound"}, None, "dane", True,
                             "DANE left to Postfix (its level dane)"),
    "sts_testing=may": ({"sts_testing": "may"}, None, "may", True,
                        "MTA-STS testing answers may"),
    "provider_policies=no": ({"provider_policies": "no"}, None, "may", True,
                             "no provider templates"),
    "_default may": ({}, "may", "may", True, "a _default row"),
    "_default may+dane_answer=notfound": ({"dane_answer": "notfound"}, "may", "dane", True,
                                          "issue 10 item 1: parent keys must not get _default"),
    "discovery=no+_default encrypt": ({"discovery": "no"}, "encrypt", "may", True,
                                      "table and _default only"),
    "shadow=yes": ({"shadow": "yes"}, None, "may", True,
                   "shadow mode: discovery logged, not answered (issue 13 item 4)"),
    "shadow=yes+_default encrypt": ({"shadow": "yes"}, "encrypt", "may", False,
                                    "shadow mode over a _default row (answers only)"),
    "sts_servername=no": ({"sts_servername": "no"}, None, "may", False,
                          "MTA-STS answers without servername (answers only)"),
    "postfix_compatibility=3.10": ({"postfix_compatibility": "3.10"}, None, "may", False,
                                   "TLSRPT attributes (answers only: the lab's Postfix is 3.7)"),
}
# the reduced set scripts/test runs: setting -> deliveries run
CI_SETTINGS = {"default": True, "_default may+dane_answer=notfound": True,
               "dane_answer=dane": False, "sts_testing=may": False,
               "provider_policies=no": False, "discovery=no+_default encrypt": False,
               "postfix_compatibility=3.10": False, "shadow=yes": False}

# Attributes Postfix >= 3.10 takes for TLSRPT only (tls_policy(5) of 3.10);
# with postfix_compatibility = 3.10 they are reported, not compared.
TLSRPT_ATTRS = ("policy_type", "policy_domain", "policy_string", "mx_host_pattern",
                "policy_ttl", "policy_failure")

LEVEL_RANK = {"none": 0, "may": 1, "encrypt": 2, "dane": 3, "fingerprint": 4, "verify": 4,
              "secure": 4, "dane-only": 5}


# --- answers ------------------------------------------------------------------
def ok(policy):
    return "OK " + policy


NOTFOUND = "NOTFOUND"
TEMP = "TEMP"


def policy_words(policy):
    """tls_policy(5) words: LEVEL then name=value, where a value with
    whitespace is written { name = value } (postconf(5) grouping)."""
    out, i, n = [], 0, len(policy)
    while i < n:
        if policy[i].isspace():
            i += 1
            continue
        if policy[i] == "{":
            j = policy.find("}", i)
            j = n if j < 0 else j
            inner = policy[i + 1:j].strip()
            k, _, v = inner.partition("=")
            out.append(k.strip() + "=" + v.strip())
            i = j + 1
            continue
        j = i
        while j < n and not policy[j].isspace():
            j += 1
        out.append(policy[i:j])
        i = j
    return out


def canon(answer, ignore=()):
    """Canonical form of an answer line ("OK policy", "NOTFOUND", "TEMP ...")."""
    if answer is None:
        return ("ERROR",)
    if answer.startswith("TEMP"):
        return ("TEMP",)
    if not answer.startswith("OK "):
        return (answer.split(" ")[0],)
    words = policy_words(answer[3:])
    level, attrs = words[0], []
    for w in words[1:]:
        k, _, v = w.partition("=")
        if k in ignore:
            continue
        if k == "match":
            attrs.append(("match", tuple(sorted(x.lower() for x in v.replace(",", ":").split(":") if x))))
        else:
            attrs.append((k, v))
    return ("OK", level, tuple(sorted(attrs)))


def sts_policy_answer(s, setting_cfg):
    # RFC 8461 section 4.1 patterns -> tls_policy(5) match: "*.x" (one
    # label) becomes ".x" (any depth, the closest Postfix has; see the
    # limits in docs/ARCHITECTURE.md); servername=hostname sends SNI.
    pats = [(p[1:] if p.startswith("*.") else p) for p in s["mx"]]
    pol = "secure match=" + ":".join(pats)
    if setting_cfg.get("sts_servername", "yes") == "yes":
        pol += " servername=hostname"
    return ok(pol)


def host_dane(h):
    """RFC 7672: the DANE state of one MX host: usable | unusable | error | none.
    TLSA is looked up only for hosts whose address records are secure
    (section 2.2.2); usages 0 and 1 are unusable for SMTP (section 3.1.3);
    a lookup failure (SERVFAIL, or a bogus answer) is an error, not 'no TLSA'
    (section 2.1.1)."""
    if not h["addr_secure"] or h["tlsa"] == "none":
        return "none"
    return {"ee": "usable", "ta": "usable", "eex": "usable", "u01": "unusable",
            "sf": "error", "bg": "error"}[h["tlsa"]]


def dane_verdict(d):
    """NA (DANE does not apply), FULL (every MX usable), ERR (every MX usable
    or failing, at least one failing), PARTIAL (some MX has TLSA, not all),
    INSECURE_MX (TLSA at secure hosts behind an insecure MX RRset: RFC 7672
    section 2.2.1 "MAY proceed to use DANE TLS even with MX hosts obtained
    via an insecure MX RRset", as Postfix's dane level does)."""
    if d["dnssec"] not in ("secure", "insecure") or d["mx"] == "null":
        return "NA"
    st = [host_dane(h) for h in d["hosts"]]
    if all(x == "none" for x in st):
        return "NA"
    if d["dnssec"] == "insecure":
        return "INSECURE_MX"
    if all(x == "usable" for x in st):
        return "FULL"
    if all(x in ("usable", "error") for x in st):
        return "ERR"
    return "PARTIAL"


def sts_verdict(d, model):
    """RFC 8461: the policy mode if a policy applies, else None.  Section 3.1:
    exactly one TXT record beginning v=STSv1 (whitespace around ';' allowed
    by the ABNF); section 3.3: HTTPS with a valid certificate for
    mta-sts.<domain>, no redirects, text/plain; the body size limit is the
    suggested 64 KiB; fields in any order, unknown fields ignored
    (section 3.2)."""
    s = d.get("sts")
    if not s or s["txt"] != "ok" or s["fetch"] != "ok":
        return None
    if s["mode"] == "none":
        return None
    return s["mode"]


def provider_applies(d, model):
    hosts = [h["name"] for h in d["hosts"]] if d["mx"] == "list" else []
    pats = model["provider"]["mx"]

    def m(n):
        return any((n.endswith(p) and len(n) > len(p)) if p.startswith(".") else n == p for p in pats)
    return bool(hosts) and all(m(n) for n in hosts)


def table_rows(model, setting):
    rows = dict(model["table"])
    default = SETTINGS[setting][1]
    if default:
        rows["_default"] = default
    return rows


def parent_keys(name):
    """The keys Postfix's tls_policy_lookup() asks after the domain itself
    (smtp_tls_policy.c: strchr(name + 1, '.') until none is left)."""
    keys, rest = [], name
    while "." in rest[1:]:
        rest = rest[rest.index(".", 1):]
        keys.append(rest)
    return keys


def first_key(d, model, setting):
    """(want, also, why) for the domain key itself."""
    cfg, _, _, _, _ = SETTINGS[setting]
    rows = table_rows(model, setting)
    name = d["name"]
    if name in rows:
        return ok(rows[name]), [], "table row"
    for pk in parent_keys(name):
        if pk in rows:
            # the daemon answers the parent row for the domain, or leaves it
            # to Postfix's walk; the same for Postfix
            return ok(rows[pk]), [NOTFOUND], "parent table row " + pk
    dflt = ok(rows["_default"]) if "_default" in rows else NOTFOUND
    if cfg.get("discovery", "yes") == "no":
        return dflt, [], "discovery = no"
    want, also, why = discovered(d, model, cfg, dflt)
    if cfg.get("shadow", "no") == "yes" and not why.startswith(NOT_DISCOVERED):
        # issue 13 item 4: what discovery decided (also DNSSEC's TEMP) is
        # only logged; NOTFOUND, even over a _default row: Postfix does
        # what it would do alone (tlspolicy(8), "Shadow mode")
        return NOTFOUND, [], "shadow = yes, NOTFOUND for: " + why
    return want, also, why


# the reasons of discovered() that no source decided (shadow mode leaves
# them as they are)
NOT_DISCOVERED = ("nothing published", "MTA-STS policy fetch failed", "null MX")


def discovered(d, model, cfg, dflt):
    """(want, also, why) from discovery, the table having no row for d."""
    if d["dnssec"] == "bogus":
        # the domain's own DNS is broken (RFC 7672 section 2.1.1): Postfix
        # alone defers as well
        return TEMP, [], "DNSSEC bogus"
    if d["mx"] == "null":
        # RFC 7505: no mail is accepted; nothing to protect.  Any non-TEMP
        # answer bounces the same.
        also = [sts_policy_answer(d["sts"], cfg)] if d.get("sts") and sts_verdict(d, model) == "enforce" else []
        return dflt, also + ([NOTFOUND] if dflt != NOTFOUND else []), "null MX"
    dv = dane_verdict(d)
    sv = sts_verdict(d, model)
    if dv == "FULL":
        da = cfg.get("dane_answer", "dane-only")
        return (NOTFOUND if da == "notfound" else ok(da)), [], "DANE: every MX usable"
    if dv == "ERR":
        # issue 10 item 5: Postfix's dane then defers each failing host, as
        # alone.  When every TLSA RRset is bogus (the domain's own data is
        # broken) TEMP defers exactly the same mail.
        also = [TEMP] if all(h["tlsa"] == "bg" for h in d["hosts"]) else []
        return ok("dane"), also, "DANE: TLSA lookup failure (issue 10 item 5)"
    if dv == "INSECURE_MX":
        # answered "dane", never dane-only (the MX host names are not
        # authenticated); like partial DANE, MTA-STS enforce (which
        # authenticates every MX host) answers instead
        if sv == "enforce":
            return sts_policy_answer(d["sts"], cfg), [], "DANE behind an insecure MX + MTA-STS enforce"
        # every TLSA RRset bogus: TEMP defers the same mail (as above)
        also = [TEMP] if all(h["addr_secure"] and h["tlsa"] == "bg" for h in d["hosts"]) else []
        return ok("dane"), also, "DANE behind an insecure MX RRset (RFC 7672 section 2.2.1)"
    if dv == "PARTIAL":
        if sv == "enforce":
            return sts_policy_answer(d["sts"], cfg), [], "partial DANE + MTA-STS enforce (issue 10 item 4)"
        return ok("dane"), [], "DANE: some MX"
    if sv == "enforce":
        return sts_policy_answer(d["sts"], cfg), [], "MTA-STS enforce"
    if sv == "testing" and cfg.get("sts_testing", "ignore") == "may":
        return ok("may"), [], "MTA-STS testing, sts_testing = may"
    if cfg.get("provider_policies", "yes") == "yes" and provider_applies(d, model):
        return ok(model["provider"]["policy"]), [], "provider template"
    s = d.get("sts")
    if s and s["txt"] == "ok" and s["fetch"] != "ok":
        # RFC 8461 section 3.3: continue "as though the domain has not
        # implemented MTA-STS" - but tlspolicy cannot tell a broken policy
        # host from a broken path to it, so it leaves the domain to
        # Postfix's own level, never to _default (docs/ARCHITECTURE.md)
        return NOTFOUND, [], "MTA-STS policy fetch failed: NOTFOUND, never _default"
    return dflt, [], "nothing published" + (" (_default)" if dflt != NOTFOUND else "")


def expected_keys(d, model, setting):
    """[(key, want, also, why)] in Postfix's lookup order."""
    rows = table_rows(model, setting)
    want, also, why = first_key(d, model, setting)
    if want == ok("dane") and SETTINGS[setting][2] == "dane" and "_default" not in rows:
        # Postfix's own level is dane: NOTFOUND is the same for it
        also = also + [NOTFOUND]
    out = [(d["name"], want, also, why)]
    for pk in parent_keys(d["name"]):
        # issue 10 item 1: a key that begins with a dot is answered from the
        # admin's explicit .parent rows only: never _default, never discovery
        if pk in rows:
            out.append((pk, ok(rows[pk]), [], "parent table row"))
        else:
            out.append((pk, NOTFOUND, [], "no parent row"))
    return out


def effective(answers):
    """What Postfix uses after its walk: [(key, answer)] in order -> answer."""
    for _, a in answers:
        if a is None:
            return None
        if not a.startswith("NOTFOUND"):
            return a
    return NOTFOUND


# --- Postfix smtp(8) ---------------------------------------------------------
def parse_policy(answer, sender_level):
    if answer == NOTFOUND:
        return sender_level, {}
    words = policy_words(answer[3:])
    attrs = {}
    for w in words[1:]:
        k, _, v = w.partition("=")
        attrs[k] = v
    return words[0], attrs


def cert_trusted(srv):
    # chain to the lab root (smtp_tls_CAfile), not expired
    return srv["issuer"] == "ca" and not srv["expired"]


def name_match(patterns, host, nexthop, names):
    """tls_policy(5) match= (also smtp_tls_{verify,secure}_cert_match):
    'hostname', 'nexthop', 'dot-nexthop', '.domain' (any name below it),
    else the exact name; the lab's certificates carry no wildcards."""
    for p in patterns:
        p = p.lower()
        if p == "hostname":
            p = host
        elif p == "nexthop":
            p = nexthop
        elif p == "dot-nexthop":
            p = "." + nexthop
        for n in names:
            if p.startswith("."):
                if n.endswith(p) and len(n) > len(p):
                    return True
            elif n == p:
                return True
    return False


def host_attempt(d, h, level, attrs, model, sender_level="may"):
    """One MX host: ('sent', grade) or ('fail', why).  sender_level is the
    sender's main.cf smtp_tls_security_level (for the default of
    smtp_tls_dane_insecure_mx_policy)."""
    srv = model["servers"][h["server"]]
    if not srv["listening"]:
        return ("fail", "connection refused")
    grade = "Trusted" if cert_trusted(srv) else "Untrusted"
    if level == "none":
        return ("sent", "none")
    if level == "may":
        return ("sent", grade if srv["starttls"] else "none")
    if level == "encrypt":
        return ("sent", grade) if srv["starttls"] else ("fail", "TLS required, not offered")
    if level in ("dane", "dane-only"):
        # tls_policy(5), TLS_README "Mandatory/Opportunistic DANE TLS".
        # With an insecure MX RRset Postfix's dane uses the TLSA of hosts
        # whose address records are secure (RFC 7672 section 2.2.1 allows
        # it) as smtp_tls_dane_insecure_mx_policy says: its default
        # (Postfix >= 3.6) is dane only when main.cf's
        # smtp_tls_security_level is dane, else may (the TLSA is ignored,
        # whatever the policy table said).  A match is logged as Trusted,
        # not Verified: the host name was not obtained securely.
        # dane-only wants a secure MX.
        mx_secure = d["dnssec"] == "secure"
        if not mx_secure and level == "dane-only":
            return ("fail", "dane-only: MX RRset not DNSSEC-validated")
        if not mx_secure and sender_level != "dane":
            return host_attempt(d, h, "may", {}, model, sender_level)
        st = host_dane(h)
        verified = "Verified" if mx_secure else "Trusted"
        if st == "error":
            return ("fail", "TLSA lookup error")
        if st == "none":
            if level == "dane-only":
                return ("fail", "no usable TLSA (dane-only)")
            return host_attempt(d, h, "may", {}, model)
        if st == "unusable":
            if level == "dane-only":
                return ("fail", "no usable TLSA (dane-only)")
            # TLSA present but none usable: mandatory unauthenticated TLS
            return host_attempt(d, h, "encrypt", {}, model)
        if not srv["starttls"]:
            return ("fail", "TLS required (TLSA), not offered")
        if h["tlsa"] == "ee":
            return ("sent", verified)       # DANE-EE: key match, no name/date checks
        if h["tlsa"] == "ta":
            # DANE-TA: chain to the issuing CA, validity dates and the
            # MX host name (RFC 7672 section 3.2.2)
            if cert_trusted(srv) and h["name"] in srv["names"]:
                return ("sent", verified)
            return ("fail", "DANE-TA: not verified")
        return ("fail", "no matching TLSA")
    if level in ("verify", "secure"):
        if not srv["starttls"]:
            return ("fail", "TLS required, not offered")
        if not cert_trusted(srv):
            return ("fail", "certificate not trusted")
        pats = attrs.get("match")
        pats = pats.replace(",", ":").split(":") if pats else (
            ["hostname"] if level == "verify" else ["nexthop", "dot-nexthop"])
        if name_match(pats, h["name"], d["name"], srv["names"]):
            return ("sent", "Verified")
        return ("fail", "certificate name mismatch")
    return ("fail", "level %s not modelled" % level)


def postfix_delivery(d, answer, sender_level, model):
    """The outcome of one message to d when Postfix's lookup walk ends in
    answer: {'status': sent|deferred|bounced, 'grade', 'relay'}."""
    if answer is None or answer.startswith("TEMP"):
        return {"status": "deferred", "why": "TLS policy lookup error"}
    if d["dnssec"] == "bogus":
        return {"status": "deferred", "why": "MX lookup fails (DNSSEC bogus)"}
    if d["mx"] == "null":
        return {"status": "bounced", "why": "null MX"}
    level, attrs = parse_policy(answer, sender_level)
    why = []
    for h in sorted(d["hosts"], key=lambda x: x["pref"]):
        r = host_attempt(d, h, level, attrs, model, sender_level)
        if r[0] == "sent":
            return {"status": "sent", "grade": r[1], "relay": h["name"]}
        why.append("%s: %s" % (h["name"], r[1]))
    return {"status": "deferred", "why": "; ".join(why)}


def rfc_sts_delivery(d, model):
    """RFC 8461 sections 4.1/4.2 strictly, for an applied enforce policy: an
    MX host is used only if its name matches a policy pattern ('*.' one
    label) and its certificate is trusted, unexpired and names it."""
    s = d["sts"]

    def covered(n):
        for p in s["mx"]:
            if p.startswith("*."):
                if n.count(".") == p.count(".") and n.endswith(p[1:]):
                    return True
            elif n == p:
                return True
        return False
    for h in sorted(d["hosts"], key=lambda x: x["pref"]):
        srv = model["servers"][h["server"]]
        if srv["listening"] and srv["starttls"] and covered(h["name"]) and cert_trusted(srv) \
                and h["name"] in srv["names"]:
            return {"status": "sent", "grade": "Verified", "relay": h["name"]}
    return {"status": "deferred", "why": "no MX host matches the policy with a certificate for its name"}


def same_delivery(a, b):
    if a["status"] != b["status"]:
        return False
    if a["status"] == "sent":
        return a.get("grade") == b.get("grade") and a.get("relay") == b.get("relay")
    return True


def expectations(model, setting):
    cfg, _, sender_level, deliveries, _ = SETTINGS[setting]
    out = []
    for d in model["destinations"]:
        keys = expected_keys(d, model, setting)
        eff = effective([(k, w) for k, w, _, _ in keys])
        e = {"name": d["name"], "desc": d["desc"], "family": d["family"],
             "keys": [{"key": k, "want": w, "also": a, "why": y} for k, w, a, y in keys],
             "effective": eff,
             "delivery": postfix_delivery(d, eff, sender_level, model)}
        if keys[0][3].startswith(("MTA-STS enforce", "partial DANE", "DANE behind an insecure MX +")):
            rfc = rfc_sts_delivery(d, model)
            if not same_delivery(rfc, e["delivery"]):
                e["limit"] = {"rfc": "RFC 8461 sections 4.1/4.2 alone", "delivery": rfc}
        out.append(e)
    return out


def strength(delivery):
    """Order of outcomes for classifying a mismatch (higher = stricter)."""
    if delivery["status"] != "sent":
        return 9
    return {"none": 0, "Untrusted": 1, "Trusted": 2, "Verified": 3}.get(delivery.get("grade"), 0)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--settings":
        for k, v in SETTINGS.items():
            print("%-36s %s" % (k, v[4]))
        return 0
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    model = json.load(open(sys.argv[1]))
    settings = [sys.argv[2]] if len(sys.argv) == 3 else list(SETTINGS)
    json.dump({s: expectations(model, s) for s in settings}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
