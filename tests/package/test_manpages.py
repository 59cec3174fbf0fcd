#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# test_manpages.py - every man page as man(1) shows it (issue 17 item 18):
#  - the sources hold no control bytes (a "\f" written through a program
#    became a form feed: tlspolicy(8) showed "db iniRBcheck");
#  - groff -man -ww reports no warning; the rendered text (man -l) has no
#    leftover roff: font escapes (fB, fR, R|B), backslashes, request lines;
#  - tlspolicy.cf(5): every setting of settings.def is listed once, under
#    the subsection of its group in settings.def (the MTA-STS settings
#    under "MTA-STS", not under "DNS and DANE"), groups in file order;
#    the generated tlspolicy.cf has the same groups with the same settings;
#  - tlspolicy(8): the sections in the usual order, and every command of
#    `tlspolicy --help` documented under COMMANDS.
import os
import re
import subprocess
import sys

SRC = os.environ["SRCDIR"]
BUILD = os.environ["BUILDDIR"]
TLSPOLICY = os.environ["TLSPOLICY"]
PAGES = [os.path.join(SRC, "docs/man/tlspolicy.8"),
         os.path.join(BUILD, "docs/tlspolicy.cf.5")]
fails = 0


def ok(msg):
    print("ok - " + msg)


def fail(msg):
    global fails
    fails += 1
    print("not ok - " + msg)


def render(page):
    env = dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    out = subprocess.run(["man", "-l", page], env=env, capture_output=True,
                         text=True, check=True).stdout
    # no overstrike or colour left when man writes to a pipe, but be sure
    return re.sub(r".\x08", "", out)


# roff that leaked into the text: a font escape with or without its
# backslash (fB, fR, fI, fP), the "R|B" of a lost "\fR|\fB", a roff
# escape left in the text, a request or macro line.
ARTIFACTS = [
    # (a backslash itself may be text: a shell line continuation, "\n" in
    # JSON; a roff escape that leaked is \fB, \(em, \*, \e, \&, \-, \s+1)
    (re.compile(r"\\(?:f[BRIP1-4]|\(..|\*.|e|&|-|s[+-]?\d)"), "roff escape"),
    (re.compile(r"(?<![A-Za-z])f[BRIP](?=[A-Za-z(\[])"), "font escape without backslash"),
    (re.compile(r"[a-z]R\|?B[a-z]"), "lost \\fR|\\fB"),
    (re.compile(r"^\s*\.(?:B|BR|BI|I|IR|TP|PP|SH|SS|RS|RE|nf|fi)\b"), "roff request"),
]

for page in PAGES:
    name = os.path.basename(page)
    if not os.path.exists(page):
        fail("%s: not built" % page)
        continue
    raw = open(page, "rb").read()
    bad = [(n + 1, c) for n, line in enumerate(raw.split(b"\n"))
           for c in line if c < 0x20 and c != 0x09]
    if bad:
        fail("%s: control bytes in the source: line %d byte 0x%02x" % (name, bad[0][0], bad[0][1]))
    else:
        ok("%s: no control bytes in the source" % name)
    warn = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                          capture_output=True, text=True).stderr.strip()
    if warn:
        fail("%s: groff warnings: %s" % (name, warn))
    else:
        ok("%s: groff -ww: no warning" % name)
    text = render(page)
    found = []
    for n, line in enumerate(text.split("\n"), 1):
        for pat, what in ARTIFACTS:
            if pat.search(line):
                found.append("%d: %s: %s" % (n, what, line.strip()))
    if found:
        fail("%s rendered with roff artifacts:\n#   %s" % (name, "\n#   ".join(found)))
    else:
        ok("%s: rendered without roff artifacts (%d lines)" % (name, text.count("\n")))


# ---- settings.def: the groups --------------------------------------------
def def_groups():
    groups, cur, header = [], None, False
    for line in open(os.path.join(SRC, "src/util/settings.def")):
        line = line.strip()
        if line.startswith("/*") and not line.endswith("*/"):
            header = True
            continue
        if header:
            header = not line.endswith("*/")
            continue
        m = re.match(r"^/\* ([^*]+?) \*/$", line)
        if m and "SPDX" not in line:
            cur = (m.group(1)[0].upper() + m.group(1)[1:], [])
            groups.append(cur)
            continue
        m = re.match(r"^SETTING\((\w+),", line)
        if m:
            cur[1].append(m.group(1))
    return groups


groups = def_groups()
want = [(g, s) for g, ss in groups for s in ss]
if not any(g == "MTA-STS" for g, _ in groups):
    fail("settings.def has no MTA-STS group")

# tlspolicy.cf(5): subsections are "   Title", settings "       name"
text = render(PAGES[1])
sect = None
got = []
names = {s for _, s in want}
in_settings = False
for line in text.split("\n"):
    if re.match(r"^[A-Z][A-Z ]+$", line):
        in_settings = line == "SETTINGS"
        continue
    if not in_settings:
        continue
    m = re.match(r"^   (\S.*)$", line)
    if m:
        sect = m.group(1).strip()
        continue
    # a tag shorter than the indent shares its line with the text
    m = re.match(r"^       (\w+)(?: |$)", line)
    if m and m.group(1) in names:
        got.append((sect, m.group(1)))
if got == want:
    ok("tlspolicy.cf(5): all %d settings once, each under its group of settings.def" % len(want))
else:
    wrong = ["%s under %s, want %s" % (s, next((g for g, n in got if n == s),
                                                "nothing (missing)"), g)
             for g, s in want if (g, s) not in got]
    fail("tlspolicy.cf(5) groups differ from settings.def: %s" % "; ".join(wrong or [str(got)]))
sts = [s for g, s in got if g == "MTA-STS"]
if sts and all(s.startswith(("sts_", "https_")) for s in sts) and "sts_testing" in sts:
    ok("tlspolicy.cf(5): MTA-STS settings under MTA-STS: %s" % " ".join(sts))
else:
    fail("tlspolicy.cf(5): MTA-STS subsection holds [%s]" % " ".join(sts))

# the generated tlspolicy.cf: "# ==== Title ====" then "#name = ..."
sect, got_cf = None, []
for line in open(os.path.join(BUILD, "docs/tlspolicy.cf")):
    m = re.match(r"^# ==== (.+) ====$", line)
    if m:
        sect = m.group(1)
        continue
    m = re.match(r"^#(\w+) =", line)
    if m:
        got_cf.append((sect, m.group(1)))
if got_cf == want:
    ok("tlspolicy.cf: every setting commented out, under its group of settings.def")
else:
    fail("tlspolicy.cf groups differ: %s" % [x for x in want if x not in got_cf])

# ---- tlspolicy(8) ----------------------------------------------------------
text = render(PAGES[0])
heads = [l for l in text.split("\n") if re.match(r"^[A-Z][A-Z -]+$", l)]
order = ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS"]
if heads[:4] == order and heads[-1] == "SEE ALSO" and "EXIT STATUS" in heads and "FILES" in heads:
    ok("tlspolicy(8) sections: %s" % ", ".join(heads))
else:
    fail("tlspolicy(8) sections: %s" % heads)
help_out = subprocess.run([TLSPOLICY, "--help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z][a-z-]+)  ", help_out, re.M)
body = text.split("\nCOMMANDS\n", 1)[-1].split("\nPOSTFIX\n", 1)[0]
documented = set(re.findall(r"^       ([a-z][a-z-]+)\b", body, re.M))
missing = [c for c in cmds if c not in documented]
if cmds and not missing:
    ok("tlspolicy(8) COMMANDS documents every command of --help (%d)" % len(cmds))
else:
    fail("tlspolicy(8) COMMANDS lacks: %s (--help lists %s)" % (missing, cmds))

print("%d failed" % fails)
sys.exit(1 if fails else 0)
