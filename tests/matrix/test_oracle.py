#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_oracle.py - the decision matrix's oracle on hand-made destinations.

Each case states, from the RFC or manual text cited, what tlspolicy must
answer and what Postfix must then do; the oracle must agree.  Runs in the
`unit` suite (no lab needed).  The oracle's model of Postfix is also
checked against every real delivery of a matrix run (the `model=` column).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

SERVERS = {
    "ok1": {"listening": True, "starttls": True, "issuer": "ca", "expired": False,
            "names": ["mx1.a.m.example", "mx1.b.mu.example", "a.m.example"]},
    "ok2": {"listening": True, "starttls": True, "issuer": "ca", "expired": False,
            "names": ["mx2.a.m.example"]},
    "ss1": {"listening": True, "starttls": True, "issuer": "self", "expired": False,
            "names": ["mx1.a.m.example"]},
    "ss2": {"listening": True, "starttls": True, "issuer": "self", "expired": False,
            "names": ["mx2.a.m.example"]},
    "plain": {"listening": True, "starttls": False, "issuer": "-", "expired": False, "names": []},
    "dead": {"listening": False, "starttls": False, "issuer": "-", "expired": False, "names": []},
}


def host(k, tlsa, server, secure=True, dest="a.m.example"):
    return {"pref": 10 * k, "name": "mx%d.%s" % (k, dest), "tlsa": tlsa, "server": server,
            "addr_secure": secure}


def dest(name="a.m.example", dnssec="secure", hosts=(), mx="list", sts=None):
    return {"name": name, "dnssec": dnssec, "hosts": list(hosts), "mx": mx, "sts": sts,
            "desc": "", "family": "test"}


def enforce(mx):
    return {"kind": "enforce", "mode": "enforce", "mx": mx, "txt": "ok", "fetch": "ok"}


def model(d, table=()):
    return {"destinations": [d], "servers": SERVERS, "table": [list(r) for r in table],
            "provider": {"mx": [".mp.example"], "policy": "secure match=mx.mp.example"}}


def first(d, setting="default", table=()):
    return oracle.first_key(d, model(d, table), setting)[0]


def delivery(d, setting="default", table=()):
    m = model(d, table)
    keys = oracle.expected_keys(d, m, setting)
    eff = oracle.effective([(k, w) for k, w, _, _ in keys])
    return oracle.postfix_delivery(d, eff, oracle.SETTINGS[setting][2], m)


class Keys(unittest.TestCase):
    def test_parent_keys_postfix_walks(self):
        # smtp_tls_policy.c tls_policy_lookup(): strchr(name + 1, '.')
        self.assertEqual(oracle.parent_keys("x.y.pt.m.example"),
                         [".y.pt.m.example", ".pt.m.example", ".m.example", ".example"])

    def test_parent_key_never_default(self):
        # issue 10 item 1: a dot key is answered from explicit rows only
        d = dest(hosts=[host(1, "none", "ok1")])
        keys = oracle.expected_keys(d, model(d), "_default may")
        self.assertEqual(keys[0][1], "OK may")
        self.assertEqual([k[1] for k in keys[1:]], ["NOTFOUND", "NOTFOUND"])

    def test_parent_row_beats_discovery(self):
        d = dest(hosts=[host(1, "ee", "ok1")])
        self.assertEqual(first(d, table=[(".m.example", "encrypt")]), "OK encrypt")


class Dane(unittest.TestCase):
    def test_every_mx_usable(self):
        # RFC 7672 2.2: usable TLSA on every MX host
        d = dest(hosts=[host(1, "ee", "ok1"), host(2, "ta", "ok2")])
        self.assertEqual(first(d), "OK dane-only")
        self.assertEqual(first(d, "dane_answer=dane"), "OK dane")
        self.assertEqual(first(d, "dane_answer=notfound"), "NOTFOUND")

    def test_insecure_mx_dane(self):
        # RFC 7672 2.2.1: DANE "MAY" be used with MX hosts obtained via an
        # insecure MX RRset; Postfix 3.7's dane level does (logging
        # Trusted).  tlspolicy answers dane, never dane-only (the names
        # are not authenticated), under every dane_answer
        d = dest(name="b.mu.example", dnssec="insecure",
                 hosts=[host(1, "ee", "ok1", dest="b.mu.example")])
        self.assertEqual(first(d), "OK dane")
        self.assertEqual(first(d, "dane_answer=dane"), "OK dane")
        self.assertEqual(first(d, "dane_answer=notfound"), "OK dane")
        self.assertEqual(delivery(d), {"status": "sent", "grade": "Trusted",
                                       "relay": "mx1.b.mu.example"})

    def test_insecure_mx_dane_enforces_tlsa(self):
        # the TLSA host does not offer STARTTLS.  postconf(5)
        # smtp_tls_dane_insecure_mx_policy: default "dane" only with
        # smtp_tls_security_level = dane, else "may" (TLSA ignored, even
        # for a policy-table dane; seen in the lab, Postfix 3.7.11)
        d = dest(name="b.mu.example", dnssec="insecure",
                 hosts=[host(1, "ee", "plain", dest="b.mu.example")])
        self.assertEqual(first(d), "OK dane")
        self.assertEqual(delivery(d), {"status": "sent", "grade": "none",
                                       "relay": "mx1.b.mu.example"})
        self.assertEqual(delivery(d, "_default may+dane_answer=notfound")["status"], "deferred")
        self.assertEqual(oracle.postfix_delivery(d, "OK dane", "dane", model(d))["status"],
                         "deferred")

    def test_insecure_mx_dane_yields_to_enforce(self):
        # no MX host name is authenticated by DANE here: like partial
        # DANE (issue 10 item 4), an MTA-STS enforce policy answers
        d = dest(name="b.mu.example", dnssec="insecure",
                 hosts=[host(1, "ee", "ok1", dest="b.mu.example")],
                 sts=enforce(["mx1.b.mu.example"]))
        self.assertTrue(first(d).startswith("OK secure match="))

    def test_insecure_mx_insecure_hosts_no_dane(self):
        # RFC 7672 2.2.2: no TLSA lookup below insecure address records
        d = dest(name="b.mu.example", dnssec="insecure",
                 hosts=[host(1, "ee", "ok1", secure=False, dest="b.mu.example")])
        self.assertEqual(first(d), "NOTFOUND")

    def test_insecure_address_no_tlsa(self):
        # RFC 7672 2.2.2: no TLSA lookup for a host with insecure addresses
        d = dest(hosts=[host(1, "ee", "ok1", secure=False)])
        self.assertEqual(first(d), "NOTFOUND")

    def test_usages_0_1_unusable(self):
        # RFC 7672 3.1.3; Postfix: mandatory unauthenticated TLS for them
        d = dest(hosts=[host(1, "u01", "plain"), host(2, "none", "ok2")])
        self.assertEqual(first(d), "OK dane")
        self.assertEqual(delivery(d), {"status": "sent", "grade": "Trusted",
                                       "relay": "mx2.a.m.example"})

    def test_tlsa_lookup_error_is_dane(self):
        # issue 10 item 5, RFC 7672 2.1.1: a failing TLSA lookup defers the
        # host; MTA-STS must not override it (RFC 8461 section 2)
        d = dest(hosts=[host(1, "sf", "ok1")], sts=enforce(["mx1.a.m.example"]))
        self.assertEqual(first(d), "OK dane")
        self.assertEqual(delivery(d)["status"], "deferred")

    def test_bogus_domain_temp(self):
        d = dest(dnssec="bogus", hosts=[host(1, "ee", "ok1")])
        self.assertEqual(first(d), "TEMP")


class Sts(unittest.TestCase):
    def test_enforce_mapping(self):
        # RFC 8461 4.1 patterns, tls_policy(5) match=; "*.x" becomes ".x"
        d = dest(hosts=[host(1, "none", "ok1")], sts=enforce(["*.a.m.example", "mx9.x.example"]))
        self.assertEqual(oracle.canon(first(d)),
                         oracle.canon("OK secure match=.a.m.example:mx9.x.example servername=hostname"))

    def test_partial_dane_yields_to_enforce(self):
        # issue 10 item 4: the DANE host down, the other self-signed: the
        # policy (every MX authenticated) defers; dane would deliver
        d = dest(hosts=[host(1, "ee", "dead"), host(2, "none", "ss2")],
                 sts=enforce(["mx1.a.m.example", "mx2.a.m.example"]))
        self.assertTrue(first(d).startswith("OK secure match="))
        self.assertEqual(delivery(d)["status"], "deferred")
        self.assertEqual(oracle.postfix_delivery(d, "OK dane", "may", model(d))["grade"],
                         "Untrusted")

    def test_full_dane_beats_enforce(self):
        d = dest(hosts=[host(1, "eex", "ok1")], sts=enforce(["mx1.a.m.example"]))
        self.assertEqual(first(d), "OK dane-only")
        self.assertEqual(delivery(d)["status"], "deferred")

    def test_fetch_failure_notfound_not_default(self):
        s = enforce(["mx1.a.m.example"])
        s["fetch"] = "404"
        d = dest(hosts=[host(1, "none", "ok1")], sts=s)
        self.assertEqual(first(d, "_default may"), "NOTFOUND")

    def test_testing(self):
        s = enforce(["mx1.a.m.example"])
        s["mode"] = "testing"
        d = dest(hosts=[host(1, "none", "ok1")], sts=s)
        self.assertEqual(first(d), "NOTFOUND")
        self.assertEqual(first(d, "sts_testing=may"), "OK may")


class Postfix(unittest.TestCase):
    def test_null_mx_bounces(self):
        d = dest(mx="null")
        self.assertEqual(first(d), "NOTFOUND")
        self.assertEqual(delivery(d)["status"], "bounced")

    def test_secure_default_match(self):
        # tls_policy(5): secure defaults to match=nexthop:dot-nexthop
        d = dest(hosts=[host(1, "none", "ok1")])
        self.assertEqual(delivery(d, table=[("a.m.example", "secure")])["grade"], "Verified")

    def test_dane_insecure_mx_uses_secure_host_tlsa(self):
        # RFC 7672 2.2.1 MAY; Postfix 3.7 does, logging Trusted (seen in the lab)
        d = dest(name="b.mu.example", dnssec="insecure",
                 hosts=[host(1, "ee", "plain", dest="b.mu.example")])
        self.assertEqual(oracle.postfix_delivery(d, "NOTFOUND", "dane", model(d))["status"],
                         "deferred")

    def test_policy_words_braces(self):
        self.assertEqual(oracle.policy_words("secure match=a { policy_string = mode: enforce } x=y"),
                         ["secure", "match=a", "policy_string=mode: enforce", "x=y"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
