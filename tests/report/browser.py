# SPDX-License-Identifier: MIT
"""browser.py - open a report page in headless Chromium (Debian `chromium`)
and read it back through the DOM.

Chromium runs with every request sent to a recording proxy on loopback
(--proxy-server, '<-loopback>' so that loopback goes through it too),
which answers 403 and logs the request line: a page that loads anything
leaves a line.  Chromium's own background services still talk (component
updater, account service) whatever the flags; those exact request lines
(BROWSER_OWN) are not the page's and are dropped.  selftest() proves the
recorder sees a page's request: a page with one <img src=http://...>
must leave exactly that line.

Used by lab-report.sh and report-cli.sh:
    python3 browser.py render PAGE OUTDIR [--screenshot FILE]
writes OUTDIR/dom.html (--dump-dom, after the inline script ran),
OUTDIR/requests.log (the page's requests) and the screenshot; prints the
wall time of the --dump-dom run (seconds) on stdout.
"""
import html.parser
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BROWSER_OWN = [
    re.compile(r"^CONNECT update\.googleapis\.com:443 "),
    re.compile(r"^POST http://update\.googleapis\.com/service/update2/json\?"),
    re.compile(r"^CONNECT accounts\.google\.com:443 "),
    re.compile(r"^GET http://clients2\.google\.com/time/1/current\?"),
]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--no-pings",
    "--disable-client-side-phishing-detection", "--disable-domain-reliability",
    "--disable-breakpad", "--hide-scrollbars",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,"
    "Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "SafeBrowsing",
]


class Recorder:
    """The recording proxy: a thread accepting on 127.0.0.1, port 0."""

    def __init__(self):
        self.lines = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        try:
            c.settimeout(10)
            line = c.makefile("rb").readline().decode("latin1").strip()
            with self.lock:
                self.lines.append(line)
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            c.close()

    def page_requests(self):
        with self.lock:
            return [l for l in self.lines
                    if l and not any(p.search(l) for p in BROWSER_OWN)]

    def close(self):
        self.sock.close()


def chromium(args, timeout=120):
    exe = shutil.which("chromium")
    if exe is None:
        raise RuntimeError("chromium is not installed (scripts/install-deps)")
    return subprocess.run([exe] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)


def render(page, outdir, screenshot=None, size="1280,2400", extra=()):
    """Returns (dom text, page requests, seconds of the --dump-dom run);
    extra: more Chromium flags.  (Scripts cannot be turned off here: this
    Chromium's headless mode ignores --disable-javascript, and with
    --blink-settings=scriptEnabled=false --dump-dom and --screenshot give
    nothing.)"""
    os.makedirs(outdir, exist_ok=True)
    rec = Recorder()
    url = "file://" + os.path.abspath(page)
    common = FLAGS + list(extra) + ["--proxy-server=http://127.0.0.1:%d" % rec.port,
                                    "--proxy-bypass-list=<-loopback>"]
    try:
        with tempfile.TemporaryDirectory(prefix="report-chromium-") as ud:
            t0 = time.monotonic()
            r = chromium(common + ["--user-data-dir=" + ud, "--dump-dom", url])
            secs = time.monotonic() - t0
            if r.returncode != 0 or not r.stdout:
                raise RuntimeError("chromium --dump-dom failed (%d): %s" % (
                    r.returncode, r.stderr.decode(errors="replace")[-800:]))
            dom = r.stdout.decode("utf-8")
            if screenshot:
                r = chromium(common + ["--user-data-dir=" + ud, "--window-size=" + size,
                                       "--screenshot=" + screenshot, url])
                if r.returncode != 0 or not os.path.getsize(screenshot):
                    raise RuntimeError("chromium --screenshot failed (%d)" % r.returncode)
        time.sleep(0.2)
        reqs = rec.page_requests()
    finally:
        rec.close()
    with open(os.path.join(outdir, "dom.html"), "w") as f:
        f.write(dom)
    with open(os.path.join(outdir, "requests.log"), "w") as f:
        f.write("".join(l + "\n" for l in reqs))
    return dom, reqs, secs


def selftest(outdir):
    """The recorder sees what a page loads (else the checks prove nothing)."""
    os.makedirs(outdir, exist_ok=True)
    page = os.path.join(outdir, "control.html")
    with open(page, "w") as f:
        f.write('<!DOCTYPE html><html><body><img src="http://control.invalid/x.png">'
                '</body></html>')
    _, reqs, _ = render(page, os.path.join(outdir, "control"))
    want = "GET http://control.invalid/x.png HTTP/1.1"
    if reqs != [want]:
        raise RuntimeError("recording proxy self-test: expected [%r], got %r" % (want, reqs))


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.content = [], []   # content: text and nodes in order

    def classes(self):
        return self.attrs.get("class", "").split()

    def all_text(self):
        return "".join(c if isinstance(c, str) else c.all_text() for c in self.content)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, tag=None, cls=None, id=None):
        return [n for n in self.walk()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes())
                and (id is None or n.attrs.get("id") == id)]


VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "wbr",
        "source", "track", "embed", "param", "rect", "line", "path", "circle"}


class _Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.cur.content.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.cur.content.append(n)

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.content.append(data)


def parse(dom):
    p = _Parser()
    p.feed(dom)
    p.close()
    return p.root


EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|formaction|poster|data|srcset|background|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:https?:|//|ftp:|ws:|wss:))|url\(|@import""", re.I)


def external_refs(dom):
    """Attribute values or CSS that would load something (empty: none)."""
    root = parse(dom)
    bad = []
    for n in root.walk():
        for k, v in n.attrs.items():
            if v is None:
                continue
            if k in ("src", "href", "action", "formaction", "poster", "data", "srcset",
                     "background", "xlink:href") and not v.startswith("#"):
                bad.append("%s %s=%s" % (n.tag, k, v))
        if n.tag == "style" and re.search(r"url\(|@import", n.all_text(), re.I):
            bad.append("style: url() or @import")
        # the one link element allowed: rel=expect to an element of the
        # page itself (render blocking; it fetches nothing)
        if n.tag == "link" and not (n.attrs.get("rel") == "expect" and
                                    (n.attrs.get("href") or "").startswith("#")):
            bad.append("link element")
    return bad


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "render":
        shot = None
        if "--screenshot" in sys.argv:
            shot = sys.argv[sys.argv.index("--screenshot") + 1]
        _, reqs, secs = render(sys.argv[2], sys.argv[3], shot)
        print("%.3f" % secs)
        sys.exit(1 if reqs else 0)
    if len(sys.argv) == 3 and sys.argv[1] == "selftest":
        selftest(sys.argv[2])
        sys.exit(0)
    sys.exit("usage: browser.py render PAGE OUTDIR [--screenshot FILE] | selftest DIR")
