"""System test of the monitor's dashboard in a real browser: the unit test binary test_http,
run with VOXDNS_HTTP_SERVE=1, seeds a temporary SQLite store (a domain whose events and SIP
chain carry <script>alert(1)</script>, RTT samples for four servers; propagation measurements of
three providers, one named with that markup, in its metrics) and serves it on
127.0.0.1; headless Chromium loads the pages (--dump-dom, --screenshot). The markup must be
shown as text, never run; the inline SVG charts must be there. The browser only ever talks to
127.0.0.1: every other host name resolves to nothing and background services are off.

The screenshots stay in the test's tmp_path; their paths are printed (pytest -s shows them).
"""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.dirname(os.environ.get("VOXDNS_BIN") or os.path.join(REPO, "build", "voxdns"))
SERVER_BIN = os.environ.get("VOXDNS_TEST_HTTP") or os.path.join(BUILD, "test_http")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def server():
    """The seeded dashboard; yields its base URL."""
    if not os.access(SERVER_BIN, os.X_OK):
        pytest.skip("test_http not built: %s (set VOXDNS_TEST_HTTP)" % SERVER_BIN)
    env = dict(os.environ, VOXDNS_HTTP_SERVE="1")
    proc = subprocess.Popen([SERVER_BIN], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"PORT (\d+)\n", line)
        assert m, "test_http did not report its port: %r" % line
        yield "http://127.0.0.1:%s" % m.group(1)
    finally:
        proc.stdin.close()  # the server stops when its stdin closes
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def chromium(url, *args):
    """Runs headless Chromium on one 127.0.0.1 URL; returns its stdout."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("chromium not installed")
    assert url.startswith("http://127.0.0.1:"), url
    with tempfile.TemporaryDirectory(prefix="voxdns-chromium-") as profile:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--disable-default-apps",
               "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
               "--user-data-dir=" + profile, *args, url]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_domain_page_shows_markup_as_text(server):
    dom = chromium(server + "/domains/example.com", "--dump-dom")
    assert "<h2>Events</h2>" in dom and "<h2>SIP chain</h2>" in dom
    events = dom[dom.index("<h2>Events</h2>"):dom.index("<h2>Current findings</h2>")]
    chain = dom[dom.index("<h2>SIP chain</h2>"):]
    # The browser parsed the escaped data into text; serialised again, it is escaped again.
    assert HOSTILE_ESCAPED in events
    assert "SIP+D2T" + HOSTILE_ESCAPED in chain
    # Nothing was injected: no script element, no event handler attribute.
    assert not re.search(r"<script", dom, re.I)
    assert not re.search(r"\son[a-z]+=", dom, re.I)


def test_domain_page_draws_svg(server):
    dom = chromium(server + "/domains/example.com", "--dump-dom")
    charts = re.findall(r'<svg class="chart"[^>]*aria-label="response time of ([^"]+)"', dom)
    assert sorted(charts) == ["ns1.dns-a.net/192.0.2.1", "ns1.dns-a.net/2001:db8:a::1",
                              "ns2.dns-b.org/198.51.100.1", "ns2.dns-b.org/2001:db8:b::1"]
    assert '<path class="line"' in dom
    assert '<line class="miss"' in dom  # ns2's IPv4 address stopped answering
    chain = dom[dom.index("<h2>SIP chain</h2>"):]
    assert "<svg" in chain and 'class="box"' in chain and 'class="edge"' in chain


def test_domain_page_charts_propagation_per_provider(server):
    dom = chromium(server + "/domains/example.com", "--dump-dom")
    section = dom[dom.index("<h2>Propagation</h2>"):dom.index("<h2>Events</h2>")]
    charts = re.findall(r'<svg class="chart"[^>]*aria-label="propagation time at ([^"]+)"', section)
    assert sorted(charts) == [HOSTILE_ESCAPED, "dns-a.net", "dns-b.org"], charts
    # one dot per measurement, its server and time in the tooltip
    assert len(re.findall(r'<circle class="pt"', section)) == 5, section
    assert "ns2.dns-b.org/198.51.100.1: serial 2024010104 in 48.000 s after the NOTIFY" in section
    assert "2 measured · median 25.250 s · slowest 48.000 s (ns2.dns-b.org/198.51.100.1)" in section
    assert not re.search(r"<script", dom, re.I)


def test_index_lists_domains(server):
    dom = chromium(server + "/", "--dump-dom")
    assert '<a href="/domains/example.com">example.com</a>' in dom
    assert '<a href="/domains/quiet.example">quiet.example</a>' in dom
    assert not re.search(r"<script", dom, re.I)


@pytest.mark.parametrize("page,path", [("domain", "/domains/example.com"), ("index", "/")])
def test_screenshot(server, tmp_path, page, path):
    out = tmp_path / ("dashboard-%s.png" % page)
    chromium(server + path, "--screenshot=" + str(out), "--window-size=1280,2000",
             "--hide-scrollbars")
    assert out.exists() and out.stat().st_size > 10000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print("screenshot: %s" % out)
