#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# gen-settings.py SETTINGS.DEF TEMPLATE OUTPUT: fills @SETTINGS@ in the
# tlspolicy.cf(5) template with one entry per setting of settings.def.
# gen-settings.py --cf SETTINGS.DEF OUTPUT: writes the configuration
# file installed as /etc/tlspolicy/tlspolicy.cf, every setting commented
# out at its default with its description.
# Both come from settings.def at build time, so the manual, the shipped
# file and the program cannot drift apart.
import re, sys, textwrap

pat = re.compile(r'^SETTING\((\w+),\s*(\w+),\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"\)')
types = {"STR": "string", "TIME": "time (N, Ns, Nm, Nh, Nd, Nw)", "BOOL": "yes or no",
         "INT": "number", "LIST": "list (whitespace- or comma-separated)",
         "VERSION": "Postfix version x.y"}
cf_types = {"STR": "a string", "TIME": "a time: N, Ns, Nm, Nh, Nd or Nw",
            "BOOL": "yes or no", "INT": "a number",
            "LIST": "a list, whitespace- or comma-separated",
            "VERSION": "a Postfix version x.y"}


def read_def(src):
    """Yields ("section", title) and ("setting", name, type, default, desc)."""
    for line in open(src):
        m = re.match(r'^/\* (\w[\w ,]*) \*/$', line.strip())
        if m and not line.startswith(" *"):
            yield ("section", m.group(1))
            continue
        m = pat.match(line.strip())
        if m:
            yield ("setting",) + m.groups()


def unquote(s):
    return s.encode().decode("unicode_escape")


def man(src, tmpl, out):
    parts = []
    esc = lambda s: s.replace("\\", "\\e").replace("-", "\\-")
    for item in read_def(src):
        if item[0] == "section":
            parts.append(".SS %s\n" % item[1].capitalize())
            continue
        _, name, typ, default, desc = item
        parts.append(".TP\n.B %s\n%s (%s; default: \\fB%s\\fR).\n" % (
            name, esc(desc[0].upper() + desc[1:]), types[typ],
            esc(default) if default else "empty"))
    text = open(tmpl).read().replace("@SETTINGS@\n", "".join(parts))
    open(out, "w").write(text)


CF_HEADER = """\
# /etc/tlspolicy/tlspolicy.cf - configuration of tlspolicy(8).
#
# Syntax of Postfix's main.cf: "name = value", a line starting with white
# space continues the previous one, "#" starts a comment.  Every setting is
# listed below, commented out, at its built-in default: remove the "#" and
# change the value to set one.  tlspolicy.cf(5) describes them;
# "tlspolicy config -n" prints the settings this file sets.
# After a change: systemctl restart tlspolicy (the table itself is reloaded
# every reload_interval and on systemctl reload).
#
# Generated from tlspolicy's settings.def at build time.
"""


def cf(src, out):
    lines = [CF_HEADER]
    for item in read_def(src):
        if item[0] == "section":
            lines.append("\n# ==== %s ====\n" % item[1].capitalize())
            continue
        _, name, typ, default, desc = item
        text = "%s%s; %s." % (desc[0].upper(), desc[1:], cf_types[typ])
        lines.append("\n")
        for w in textwrap.wrap(unquote(text), 74, break_on_hyphens=False):
            lines.append("# %s\n" % w)
        default = unquote(default)
        lines.append("#%s =%s\n" % (name, " " + default if default else ""))
    open(out, "w").write("".join(lines))


if sys.argv[1] == "--cf":
    cf(*sys.argv[2:4])
else:
    man(*sys.argv[1:4])
