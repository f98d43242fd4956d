"""System tests of the monitor's SIP endpoints (issue 11, item 4) against the healthy lab's
Kamailio SBCs: a certificate swapped for another valid one (same lab CA, another key) gives
CERT-CHANGED naming the target and the address, with the old and new fingerprints; stopping
Kamailio gives SIP-TARGET-DOWN for every tuple, starting it SIP-TARGET-RECOVERED for the same
ones; the endpoint metrics; and 30 quiet cycles of the healthy domains with endpoints on give
no event (the quiet cycles ping every tuple once); and the dashboard's "SIP servers" section
in headless Chromium (run inside the lab, where the monitor listens)."""

import os
import re
import shutil
import tempfile

import pytest

from test_monitor import Monitor, wait_for

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab", "scenarios")
DOMAIN = "voip-example.com"
HEALTHY = ["voip-example.com", "voip-example.org"]
CYCLE_LINE = re.compile(r"cycle (\d+): \d+ domains in \d+ ms, (\d+) events \((\d+) quiet, "
                        r"(\d+) audited in full\)")


def config(lab, tmp, domains, interval="1s", store=None, extra=""):
    names = "".join(f"  - name: {d}\n" for d in domains)
    return (f"interval: {interval}\nhints: {lab.hints}\n"
            f"store: sqlite:{store or os.path.join(tmp, 'voxdns.db')}\n"
            f"ca_file: {lab.ca_file}\nendpoints: true\nlog_level: debug\n{extra}domains:\n{names}")


@pytest.fixture(scope="module")
def mon(lab_scenario, voxdns_bin, tmp_path_factory):
    lab = lab_scenario(os.path.join(SCENARIOS, "healthy.yml"), fresh=True)
    tmp = str(tmp_path_factory.mktemp("monitor-endpoints"))
    m = Monitor(lab, voxdns_bin, tmp)
    with open(m.config, "w") as f:  # the harness's HTTP address and token, our domains
        f.write(config(lab, tmp, [DOMAIN],
                       extra="listen: 127.0.0.1:19153\ntoken: lab-token-123\nalerts: []\n"))
    m.start()
    wait_for(lambda: DOMAIN in m.get("/api/v1/domains")[1], 30, "the first cycle")
    yield m
    m.close()
    lab.stop()


def tuples(lab, domain, transport=None):
    """(host, address) of the domain's SBC addresses (listening on transport)."""
    out = []
    for addr, ep in lab.sip["endpoints"].items():
        if domain in ep["domains"] and (transport is None or
                                        any(t == transport for t, _ in ep["listen"])):
            out.extend((h.rstrip("."), addr) for h in ep["hosts"])
    return out


def events(mon, type_, after=0):
    return [e for e in mon.events() if e["type"] == type_ and e["domain"] == DOMAIN
            and e["id"] > after]


def last_id(mon):
    return max([e["id"] for e in mon.events()] or [0])


def test_metrics_name_every_tuple(mon):
    tls = tuples(mon.lab, DOMAIN, "tls")
    assert tls
    _, text = mon.get("/metrics")
    for host, addr in tls:
        shown = f"[{addr}]" if ":" in addr else addr
        m = re.search(r'voxdns_sip_target_up\{domain="%s",target="%s",address="%s:\d+",'
                      r'transport="tls"\} 1' % (DOMAIN, re.escape(host), re.escape(shown)), text)
        assert m, (host, addr)
        m = re.search(r'voxdns_tls_cert_not_after_seconds\{domain="%s",target="%s",'
                      r'address="%s:\d+",transport="tls"\} (\d+)'
                      % (DOMAIN, re.escape(host), re.escape(shown)), text)
        assert m and int(m.group(1)) == mon.lab.sbc(addr)["cert"]["not_after"], (host, addr)
    assert re.search(r'voxdns_sip_options_rtt_seconds\{domain="%s",[^}]*transport="udp"\} '
                     r'0\.\d+' % DOMAIN, text)


def chromium_dom(lab, url):
    """The DOM headless Chromium made of url (a 127.0.0.1 page served inside the lab)."""
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(binary, os.X_OK):
        pytest.skip("chromium not installed")
    with tempfile.TemporaryDirectory(prefix="voxdns-chromium-") as profile:
        r = lab.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions",
                     "--disable-default-apps", "--no-proxy-server",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                     "--user-data-dir=" + profile, "--dump-dom", url], timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_dashboard_shows_the_sip_servers(mon):
    dom = chromium_dom(mon.lab, f"http://127.0.0.1:19153/domains/{DOMAIN}")
    assert "<h2>SIP servers</h2>" in dom
    section = dom[dom.index('<section id="sip-servers">'):]
    section = section[:section.index("</section>")]
    rows = re.findall(r'<tr class="ep">(.*?)</tr>', section, re.S)
    every = tuples(mon.lab, DOMAIN)
    assert len(rows) == 3 * len(every)  # UDP, TCP and TLS per address
    for host, addr in tuples(mon.lab, DOMAIN, "tls"):
        shown = f"[{addr}]" if ":" in addr else addr
        [row] = [r for r in rows if f">{host}<" in r and f">{shown}:5061<" in r]
        cert = mon.lab.sbc(addr)["cert"]
        assert re.search(r'<td class="up">200 OK</td><td>[\d.]+ ms</td>', row), row
        assert "CN=" + cert["subject_cn"] in row
        assert "URI:sip:" + DOMAIN in row and "DNS:" + DOMAIN in row
        assert "issuer CN=voxlab lab SIP CA" in row, row
        assert re.search(r"expires \d{4}-\d\d-\d\d[ T][\d:]+.*\(in (89|90) days\)", row), row


def test_swapped_certificate_is_cert_changed(mon):
    t0 = last_id(mon)
    host, _ = tuples(mon.lab, DOMAIN, "tls")[0]
    before = {a: mon.lab.sbc(a)["cert"]["sha256"].lower().replace(":", "")
              for a in mon.lab.sbc_addresses(host)}
    after = {a: f["sha256"].lower().replace(":", "")
             for a, f in mon.lab.sbc_swap_cert(host).items()}
    want = {f"{host}/{a}" for h, a in tuples(mon.lab, DOMAIN, "tls") if h == host}
    wait_for(lambda: {e["server"] for e in events(mon, "CERT-CHANGED", t0)} >= want, 40,
             "CERT-CHANGED for every TLS address of " + host)
    for e in events(mon, "CERT-CHANGED", t0):
        addr = e["server"].split("/", 1)[1]
        assert e["server"] in want and e["name"] == host, e
        assert e["severity"] == "warning"
        assert e["old"][0] == "sha256=" + before[addr] and e["new"][0] == "sha256=" + after[addr]
        assert "another key" in e["message"] and "TLS" in e["message"], e["message"]
    assert len(events(mon, "CERT-CHANGED", t0)) == len(want)  # announced once per tuple


def tuple_keys(lab, domain):
    """(TARGET/ADDRESS, "port PORT TRANSPORT") of every tuple the domain's SBCs listen on, as
    the events name them."""
    out = set()
    for addr, ep in lab.sip["endpoints"].items():
        if domain in ep["domains"]:
            out |= {(f"{h.rstrip('.')}/{addr}", f"port {port} {t.upper()}")
                    for h in ep["hosts"] for t, port in ep["listen"]}
    return out


def event_keys(mon, type_, after):
    return {(e["server"], re.search(r"port \d+ \w+", e["message"]).group(0))
            for e in events(mon, type_, after)}


def test_kamailio_stopped_then_started(mon):
    t0 = last_id(mon)
    want = tuple_keys(mon.lab, DOMAIN)
    assert len(want) == 3 * len(tuples(mon.lab, DOMAIN))  # UDP, TCP and TLS per address
    mon.lab.sip_stop()
    try:
        # Kamailio's processes may end one after the other: several cycles may see it go.
        wait_for(lambda: event_keys(mon, "SIP-TARGET-DOWN", t0) == want, 40,
                 "SIP-TARGET-DOWN for every tuple")
    finally:
        mon.lab.sip_start()
    down = events(mon, "SIP-TARGET-DOWN", t0)
    assert len(down) == len(want)  # once each
    assert all(e["severity"] == "error" and "does not answer OPTIONS" in e["message"]
               for e in down)
    t1 = last_id(mon)
    wait_for(lambda: event_keys(mon, "SIP-TARGET-RECOVERED", t0) == want, 40,
             "SIP-TARGET-RECOVERED for the same tuples")
    assert len(events(mon, "SIP-TARGET-RECOVERED", t0)) == len(want)
    assert not events(mon, "SIP-TARGET-DOWN", t1)
    _, text = mon.get("/metrics")
    assert not re.search(r'voxdns_sip_target_up\{domain="%s",[^}]*\} 0' % DOMAIN, text)


def test_healthy_domains_are_quiet_for_30_cycles(mon, tmp_path):
    cfg = tmp_path / "quiet30.yml"
    cfg.write_text(config(mon.lab, str(tmp_path), HEALTHY, interval="1h",
                          store=str(tmp_path / "quiet30.db"), extra="alerts: []\n")
                   .replace("log_level: debug", "log_level: info"))
    r = mon.lab.run([mon.bin, "monitor", "--config", str(cfg), "--cycles", "30"], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    found = [tuple(int(g) for g in m.groups()) for m in CYCLE_LINE.finditer(r.stdout + r.stderr)]
    assert [c[0] for c in found] == list(range(1, 31)), r.stdout + r.stderr
    # (cycle, events, quiet, audited in full): the first cycle audits and announces the
    # domains' findings; every later one is quiet (DNS watch plus one OPTIONS per tuple).
    assert found[0][3] == len(HEALTHY)
    for c in found[1:]:
        assert c[1] == 0 and c[2] == len(HEALTHY) and c[3] == 0, found
    assert "SIP-TARGET" not in r.stdout + r.stderr and "CERT-CHANGED" not in r.stdout + r.stderr


def test_endpoint_findings_and_a_silent_sbc_in_the_monitor(lab_scenario, voxdns_bin, tmp_path):
    """The audit lab's endpoint domains through `voxdns monitor --cycles 3`: the endpoint
    checks' findings are FINDING-APPEARED events like any other, a silent SBC is
    SIP-TARGET-DOWN for each of its tuples, and the next cycles are quiet (the silent tuples
    stay silent: no change) with no event."""
    lab = lab_scenario(os.path.join(SCENARIOS, "audit.yml"))
    domains = ["tlsexpired-example.com", "sipsilent-example.com"]
    db = tmp_path / "findings.db"
    cfg = tmp_path / "findings.yml"
    cfg.write_text(config(lab, str(tmp_path), domains, interval="1h", store=str(db),
                          extra="alerts: []\n").replace("log_level: debug", "log_level: info"))
    r = lab.run([voxdns_bin, "monitor", "--config", str(cfg), "--cycles", "3"], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    found = [tuple(int(g) for g in m.groups()) for m in CYCLE_LINE.finditer(r.stdout + r.stderr)]
    assert [(c[2], c[3]) for c in found] == [(0, 2), (2, 0), (2, 0)], r.stdout + r.stderr
    assert found[1][1] == found[2][1] == 0
    import sqlite3
    con = sqlite3.connect(str(db))
    rows = con.execute("SELECT d.name, e.type, e.check_id, e.server FROM events e "
                       "JOIN domains d ON d.id = e.domain_id").fetchall()
    con.close()
    checks = {(d, c) for d, t, c, _ in rows if t == "FINDING-APPEARED"}
    assert ("tlsexpired-example.com", "TLS-CERT-EXPIRED") in checks
    assert ("sipsilent-example.com", "SIP-OPTIONS-NO-ANSWER") in checks
    down = sorted(s for d, t, _, s in rows if t == "SIP-TARGET-DOWN")
    silent = sorted(f"sip2.sipsilent-example.com/{a}"
                    for a in lab.sbc_addresses("sip2.sipsilent-example.com"))
    assert down == sorted(silent * 3), rows  # UDP, TCP and TLS of each silent address
    assert not [t for _, t, _, _ in rows if t in ("SIP-TARGET-RECOVERED", "CERT-CHANGED")]
