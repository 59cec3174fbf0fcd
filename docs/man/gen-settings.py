#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# gen-settings.py SETTINGS.DEF TEMPLATE OUTPUT: fills @SETTINGS@ in the
# tlspolicy.cf(5) template with one entry per setting of settings.def,
# so the manual and the program cannot drift apart.
import re, sys

src, tmpl, out = sys.argv[1:4]
pat = re.compile(r'^SETTING\((\w+),\s*(\w+),\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"\)')
types = {"STR": "string", "TIME": "time (N, Ns, Nm, Nh, Nd, Nw)", "BOOL": "yes or no",
         "INT": "number", "LIST": "list (whitespace- or comma-separated)",
         "VERSION": "Postfix version x.y"}
parts, section = [], None
for line in open(src):
    m = re.match(r'^/\* (\w[\w ,]*) \*/$', line.strip())
    if m and not line.startswith(" *"):
        parts.append(".SS %s\n" % m.group(1).capitalize())
        continue
    m = pat.match(line.strip())
    if not m:
        continue
    name, typ, default, desc = m.groups()
    esc = lambda s: s.replace("\\", "\\e").replace("-", "\\-")
    parts.append(".TP\n.B %s\n%s (%s; default: \\fB%s\\fR).\n" % (
        name.replace("_", "_"), esc(desc[0].upper() + desc[1:]), types[typ],
        esc(default) if default else "empty"))
text = open(tmpl).read().replace("@SETTINGS@\n", "".join(parts))
open(out, "w").write(text)
