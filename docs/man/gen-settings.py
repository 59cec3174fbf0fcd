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

pat = re.compile(r'^SETTING\((\w+),\s*(\w+),\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"\)$')
values_pat = re.compile(r'^VALUES\((\w+),\s*"([^"]*)"\)$')
range_pat = re.compile(r'^RANGE\((\w+),\s*(-?\d+),\s*(-?\d+)\)$')
# A section comment: "/* DNS and DANE */", "/* MTA-STS */" (any title on
# one line that is not part of the header comment).
section_pat = re.compile(r'^/\* ([^*]+?) \*/$')
types = {"STR": "string", "TIME": "time (N, Ns, Nm, Nh, Nd, Nw)", "BOOL": "yes or no",
         "INT": "number", "LIST": "list (whitespace- or comma-separated)",
         "VERSION": "Postfix version x.y", "ENUM": "one of: %s",
         "PATH": "absolute path", "LISTEN": "list of listeners",
         "MODE": "octal mode", "OWNER": "user[:group]", "USER": "user name",
         "NAMES": "list of map names", "RESOLVERS": "list of IP[@port], or recursive",
         "DBURL": "database URL"}
cf_types = {"STR": "a string", "TIME": "a time: N, Ns, Nm, Nh, Nd or Nw",
            "BOOL": "yes or no", "INT": "a number",
            "LIST": "a list, whitespace- or comma-separated",
            "VERSION": "a Postfix version x.y", "ENUM": "one of: %s",
            "PATH": "an absolute path", "LISTEN": "a list of listeners",
            "MODE": "an octal mode", "OWNER": "user[:group]", "USER": "a user name",
            "NAMES": "a list of map names",
            "RESOLVERS": "a list of IP[@port], or recursive",
            "DBURL": "a database URL"}


def title(t):
    """Section titles as written in settings.def, first letter upper case
    (DNS and DANE, MTA-STS: acronyms stay as they are)."""
    return t[0].upper() + t[1:]


def read_def(src):
    """Yields ("section", title) and ("setting", name, type, default, desc,
    values, range) in file order."""
    items, values, ranges = [], {}, {}
    in_header = False
    for line in open(src):
        line = line.strip()
        if line.startswith("/*") and not line.endswith("*/"):
            in_header = True
            continue
        if in_header:
            in_header = not line.endswith("*/")
            continue
        m = section_pat.match(line)
        if m and "SPDX-License-Identifier" not in line:
            items.append(("section", title(m.group(1))))
            continue
        m = pat.match(line)
        if m:
            items.append(["setting"] + list(m.groups()))
            continue
        m = values_pat.match(line)
        if m:
            values[m.group(1)] = m.group(2).split()
            continue
        m = range_pat.match(line)
        if m:
            ranges[m.group(1)] = (int(m.group(2)), int(m.group(3)))
            continue
        if line and "SPDX-License-Identifier" not in line:
            sys.exit("%s: cannot read: %s" % (src, line))
    for it in items:
        if it[0] == "setting":
            yield tuple(it) + (values.get(it[1]), ranges.get(it[1]))
        else:
            yield it


def type_text(table, typ, values, rng):
    t = table[typ]
    if typ == "ENUM":
        t = t % ", ".join(values)
    if rng:
        unit = "s" if typ == "TIME" else ""
        t += ", %d%s to %d%s" % (rng[0], unit, rng[1], unit)
    return t


def unquote(s):
    return s.encode().decode("unicode_escape")


def man(src, tmpl, out):
    parts = []
    esc = lambda s: s.replace("\\", "\\e").replace("-", "\\-")
    for item in read_def(src):
        if item[0] == "section":
            parts.append(".SS %s\n" % esc(item[1]))
            continue
        _, name, typ, default, desc, values, rng = item
        parts.append(".TP\n.B %s\n%s (%s; default: \\fB%s\\fR).\n" % (
            name, esc(desc[0].upper() + desc[1:]), esc(type_text(types, typ, values, rng)),
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
# "tlspolicy config -n" prints the settings this file sets, and every
# command checks every value (an error names FILE:LINE).
# After a change: systemctl reload tlspolicy (SIGHUP, like postfix reload):
# settings that can change live take effect, the daemon logs the others
# ("needs a restart": listen, database, user, ...) and keeps their old
# value until systemctl restart tlspolicy; a file with an error is refused
# (FILE:LINE in the log) and the running configuration stays.
#
# Generated from tlspolicy's settings.def at build time.
"""


def cf(src, out):
    lines = [CF_HEADER]
    for item in read_def(src):
        if item[0] == "section":
            lines.append("\n# ==== %s ====\n" % item[1])
            continue
        _, name, typ, default, desc, values, rng = item
        text = "%s%s; %s." % (desc[0].upper(), desc[1:], type_text(cf_types, typ, values, rng))
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
