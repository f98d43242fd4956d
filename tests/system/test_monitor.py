"""System tests of `voxdns monitor` in the lab: a record hijacked on one server mid-run and
restored, a server that stops answering and comes back, a lagging secondary, a watched resolver
that goes down, kill -9 during a cycle, baseline acceptance — asserted through the API, the
metrics, the webhook and the dashboard."""

import json
import os
import re
import signal
import subprocess
import time

import pytest

MONITORED = "voip-example.com"
NS1 = "ns1.dnsprov-a.net"      # NSD, 192.0.2.53 and 2001:db8:a::53: the hijacked server
NS1_LABEL = "ns1.dnsprov-a.net/192.0.2.53"
NS2 = "ns2.dnsprov-a.net"      # NSD, 198.51.100.53: the one that stops
NS2_LABEL = "ns2.dnsprov-a.net/198.51.100.53"
RESOLVER = "recursor.faultprov.net"  # Unbound, 198.18.47.1
HTTP = "127.0.0.1:19153"
HOOK_PORT = 19154
TOKEN = "lab-token-123"

RECEIVER = r"""
import http.server, sys
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""

FETCH = r"""
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], method=sys.argv[2],
                             headers={"Authorization": "Bearer " + sys.argv[3]} if sys.argv[3] else {})
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        sys.stdout.write("%d\n" % r.status + r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write("%d\n" % e.code + e.read().decode())
"""


class Monitor:
    def __init__(self, lab, voxdns_bin, tmp, domains=(MONITORED,)):
        self.lab, self.bin, self.tmp = lab, voxdns_bin, tmp
        names = "".join(f"  - name: {d}\n" for d in domains)
        self.config = os.path.join(tmp, "voxdns.yml")
        self.hook_file = os.path.join(tmp, "webhook.jsonl")
        with open(self.config, "w") as f:
            f.write(f"""\
interval: 1s
hints: {lab.hints}
store: sqlite:{tmp}/voxdns.db
listen: {HTTP}
token: {TOKEN}
log_level: debug
domains:
{names}resolvers:
  - {{name: lab-unbound, address: 198.18.47.1}}
alerts:
  - {{type: log, min_severity: notice}}
  - {{type: webhook, url: "http://127.0.0.1:{HOOK_PORT}/hook", min_severity: notice, retries: 3, timeout: 2s}}
""")
        self.log = open(os.path.join(tmp, "monitor.log"), "ab")
        self.receiver = lab.popen(["/usr/bin/python3", "-c", RECEIVER, str(HOOK_PORT), self.hook_file])
        self.proc = None

    def start(self):
        self.proc = self.lab.popen([self.bin, "monitor", "--config", self.config],
                                   stdout=self.log, stderr=self.log)
        wait_for(lambda: self.get("/healthz")[0] == 200, 15, "monitor HTTP up")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)

    def close(self):
        self.stop()
        self.receiver.kill()
        self.log.close()

    def get(self, path, method="GET", token=""):
        r = self.lab.run(["/usr/bin/python3", "-c", FETCH, f"http://{HTTP}{path}", method, token],
                         timeout=20)
        if not r.stdout:
            return 0, ""
        status, _, body = r.stdout.partition("\n")
        return int(status), body

    def events(self):
        status, body = self.get("/api/v1/events?since=0&limit=10000")
        assert status == 200, body
        return json.loads(body)["events"]

    def find(self, type_, server=None, name=None):
        return [e for e in self.events() if e["type"] == type_
                and (server is None or e["server"] == server)
                and (name is None or (e["name"] or "").rstrip(".") == name)]

    def webhook_bodies(self):
        if not os.path.exists(self.hook_file):
            return []
        with open(self.hook_file) as f:
            return [json.loads(line) for line in f if line.strip()]


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except (AssertionError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise AssertionError("timed out waiting for " + what)


def process_tree(pid):
    """pid and all its descendants."""
    out = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    for child in children.stdout.split():
        out += process_tree(int(child))
    return out


def signal_server(lab, server, sig):
    """Signals every process of a lab server: NSD serves from a grandchild of the process the
    lab started, so stopping that one alone stops nothing."""
    for pid in lab.servers[server]["pids"].values():
        for p in process_tree(pid):
            os.kill(p, sig)


def zone_file(lab, server, zone):
    return os.path.join(lab.servers[server]["dir"], "zones", zone + ".zone")


def edit_zone(lab, server, zone, old, new):
    path = zone_file(lab, server, zone)
    with open(path) as f:
        text = f.read()
    assert re.search(old, text, re.M), (old, path)
    with open(path, "w") as f:
        f.write(re.sub(old, new, text, flags=re.M))
    os.kill(lab.servers[server]["pids"]["nsd"], signal.SIGHUP)


@pytest.fixture(scope="module")
def mon(lab_scenario, voxdns_bin, tmp_path_factory):
    lab = lab_scenario("knobs", fresh=True)
    m = Monitor(lab, voxdns_bin, str(tmp_path_factory.mktemp("monitor")))
    m.start()
    wait_for(lambda: m.get("/api/v1/domains")[0] == 200 and MONITORED in m.get("/api/v1/domains")[1],
             20, "the first cycle")
    yield m
    m.close()
    lab.stop()


def test_hijack_then_restore_is_changed_then_reverted(mon):
    lab = mon.lab
    edit_zone(lab, NS1, MONITORED, r"^(sip1\s+3600\s+IN\s+A\s+)192\.0\.2\.10$", r"\g<1>198.18.66.66")
    wait_for(lambda: mon.find("RECORD-CHANGED", NS1_LABEL, "sip1." + MONITORED), 20,
             "RECORD-CHANGED on ns1")
    [changed] = mon.find("RECORD-CHANGED", NS1_LABEL, "sip1." + MONITORED)
    assert changed["rrtype"] == "A" and changed["domain"] == MONITORED
    # Seen by a quiet cycle's watch, which then audited the domain in full at once.
    with open(os.path.join(mon.tmp, "monitor.log"), errors="replace") as f:
        assert f"{MONITORED}: answers differ from the last audit: auditing" in f.read()
    assert any("192.0.2.10" in d for d in changed["old"]) and any("198.18.66.66" in d for d in changed["new"])
    assert not mon.find("RECORD-CHANGED", NS2_LABEL)  # the other servers still serve the truth
    time.sleep(2.5)  # two more cycles with the change in place: no second event
    assert len(mon.find("RECORD-CHANGED", NS1_LABEL, "sip1." + MONITORED)) == 1
    edit_zone(lab, NS1, MONITORED, r"^(sip1\s+3600\s+IN\s+A\s+)198\.18\.66\.66$", r"\g<1>192.0.2.10")
    wait_for(lambda: mon.find("CHANGE-REVERTED", NS1_LABEL, "sip1." + MONITORED), 20,
             "CHANGE-REVERTED on ns1")
    [reverted] = mon.find("CHANGE-REVERTED", NS1_LABEL, "sip1." + MONITORED)
    assert reverted["first_seen"] <= reverted["last_seen"]
    # The webhook got both, with a Slack-compatible text.
    wait_for(lambda: {"RECORD-CHANGED", "CHANGE-REVERTED"} <= {b.get("type") for b in mon.webhook_bodies()},
             15, "webhook deliveries")
    assert all(b.get("text") for b in mon.webhook_bodies())
    status, metrics = mon.get("/metrics")
    assert status == 200
    assert re.search(r'voxdns_events_total\{[^}]*type="RECORD-CHANGED"[^}]*\} [1-9]', metrics)
    assert re.search(r'voxdns_server_up\{[^}]*\} 1', metrics)
    status, page = mon.get("/domains/" + MONITORED)
    assert status == 200 and "RECORD-CHANGED" in page and "CHANGE-REVERTED" in page


def test_stopped_server_is_down_then_recovered(mon):
    signal_server(mon.lab, NS2, signal.SIGSTOP)
    try:
        wait_for(lambda: mon.find("NS-DOWN", NS2_LABEL), 25, "NS-DOWN")
    finally:
        signal_server(mon.lab, NS2, signal.SIGCONT)
    wait_for(lambda: mon.find("NS-RECOVERED", NS2_LABEL), 25, "NS-RECOVERED")
    assert len(mon.find("NS-DOWN", NS2_LABEL)) == 1


def test_lagging_secondary_is_reported(mon):
    edit_zone(mon.lab, NS1, MONITORED, r"\b2026112201\b", "2026112202")
    try:
        wait_for(lambda: mon.find("SERIAL-LAG"), 20, "SERIAL-LAG")
        lagging = {e["server"] for e in mon.find("SERIAL-LAG")}
        assert NS2_LABEL in lagging and NS1_LABEL not in lagging
    finally:
        edit_zone(mon.lab, NS1, MONITORED, r"\b2026112202\b", "2026112201")


def test_watched_resolver_down(mon):
    signal_server(mon.lab, RESOLVER, signal.SIGSTOP)
    try:
        wait_for(lambda: mon.find("RESOLVER-DOWN"), 25, "RESOLVER-DOWN")
    finally:
        signal_server(mon.lab, RESOLVER, signal.SIGCONT)


def test_write_api_needs_the_token(mon):
    path = f"/api/v1/domains/{MONITORED}/baseline"
    assert mon.get(path, "POST")[0] == 401
    assert mon.get(path, "POST", "wrong-token")[0] == 401
    assert mon.get(path, "POST", TOKEN)[0] == 200


def test_kill9_loses_nothing_and_repeats_nothing(mon):
    before = mon.events()
    mon.stop(signal.SIGKILL)
    mon.start()
    time.sleep(4)  # a few cycles after the restart
    after = mon.events()
    ids = [e["id"] for e in after]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {e["id"] for e in before} <= set(ids)  # nothing committed was lost
    # No open condition was announced again after the restart.
    keys = [(e["type"], e["server"], e["name"], e["rrtype"]) for e in after
            if e["type"] in ("RECORD-CHANGED", "NS-DOWN", "RESOLVER-DOWN")]
    assert len(keys) == len(set(keys)), keys


def test_check_config_reports_file_line_column(voxdns_bin, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("interval: 5 minutes\ndomains:\n  - name: example.com\n")
    r = subprocess.run([voxdns_bin, "monitor", "--check-config", str(bad)], capture_output=True,
                       text=True)
    assert r.returncode == 78
    assert re.fullmatch(rf"{re.escape(str(bad))}:1:11: .+\n", r.stderr), r.stderr
    good = tmp_path / "good.yml"
    good.write_text("domains:\n  - name: example.com\n")
    r = subprocess.run([voxdns_bin, "monitor", "--check-config", str(good)], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "valid: 1 domain" in r.stdout


CYCLE_LINE = re.compile(r"cycle (\d+): \d+ domains in \d+ ms, (\d+) events \((\d+) quiet, "
                        r"(\d+) audited in full\), (\d+) queries, \d+ sent, CPU [\d.]+ s")


def run_cycles(mon, tmp_path, name, extra, cycles):
    return run_cycles_config(mon, tmp_path, name, f"{extra}domains:\n  - name: {MONITORED}\n",
                             cycles)


def run_cycles_config(mon, tmp_path, name, extra, cycles):
    """`voxdns monitor --cycles N` with extra configuration (which must list the domains);
    the (cycle, events, quiet, audited in full, queries) of each cycle and the store."""
    cfg = tmp_path / (name + ".yml")
    db = tmp_path / (name + ".db")
    cfg.write_text(f"interval: 1h\nhints: {mon.lab.hints}\nstore: sqlite:{db}\nlog_level: info\n"
                   f"alerts: []\n{extra}")
    r = mon.lab.run([mon.bin, "monitor", "--config", str(cfg), "--cycles", str(cycles)],
                    timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    found = [tuple(int(g) for g in m.groups()) for m in CYCLE_LINE.finditer(r.stdout + r.stderr)]
    assert [c[0] for c in found] == list(range(1, cycles + 1)), r.stdout + r.stderr
    return found, str(db)


def con_rows(db, sql):
    import sqlite3
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_quiet_cycles_reask_and_store_only_rtt_samples(mon, tmp_path):
    found, db = run_cycles(mon, tmp_path, "quiet", "", 3)
    # (cycle, events, quiet, audited in full, queries)
    assert [(c[2], c[3]) for c in found] == [(0, 1), (1, 0), (1, 0)]
    assert found[1][1] == found[2][1] == 0
    assert 10 < found[1][4] < found[0][4]  # the plan's questions: fewer than an audit's
    assert con_rows(db, "SELECT count(*) FROM snapshots")[0][0] == 1  # none for quiet cycles
    # Every cycle stored one RTT sample per authoritative address (quiet ones in a batch).
    servers = con_rows(db, "SELECT DISTINCT server FROM rtt_samples")
    assert len(servers) >= 2
    assert con_rows(db, "SELECT count(*) FROM rtt_samples")[0][0] == 3 * len(servers)


def test_restart_starts_quiet_from_the_stored_plans(mon, tmp_path):
    found, db = run_cycles(mon, tmp_path, "restart", "", 2)
    assert [(c[2], c[3]) for c in found] == [(0, 1), (1, 0)]
    assert con_rows(db, "SELECT count(*) FROM watch_plans")[0][0] == 1
    # A new process on the same store: its first cycle is a watch, not a full audit.
    again, _ = run_cycles(mon, tmp_path, "restart", "", 2)
    assert [(c[1], c[2], c[3]) for c in again] == [(0, 1, 0), (0, 1, 0)]
    assert again[0][4] == found[1][4]  # the same questions as before the restart


def test_audit_interval_zero_audits_every_cycle(mon, tmp_path):
    found, db = run_cycles(mon, tmp_path, "always", "audit_interval: 0s\n", 2)
    assert [(c[2], c[3]) for c in found] == [(0, 1), (0, 1)]
    assert con_rows(db, "SELECT count(*) FROM snapshots")[0][0] == 2


def test_check_config_refuses_missing_hints(voxdns_bin, tmp_path):
    cfg = tmp_path / "hints.yml"
    cfg.write_text("domains: [example.com]\nhints: %s/nowhere.hints\n" % tmp_path)
    r = subprocess.run([voxdns_bin, "monitor", "--check-config", str(cfg)], capture_output=True,
                       text=True)
    assert r.returncode == 78
    assert r.stderr == "%s:2:8: cannot use root hints '%s/nowhere.hints': No such file or " \
                       "directory\n" % (cfg, tmp_path)
    (tmp_path / "bad.hints").write_text("this is not a hints file\n")
    cfg.write_text("domains: [example.com]\nhints: %s/bad.hints\n" % tmp_path)
    r = subprocess.run([voxdns_bin, "monitor", "--check-config", str(cfg)], capture_output=True,
                       text=True)
    assert r.returncode == 78 and r.stderr.startswith("%s: root hints: " % cfg), r.stderr


def test_cycles_option_wants_a_count(voxdns_bin):
    for bad in ("0", "-1", "x", ""):
        r = subprocess.run([voxdns_bin, "monitor", "--cycles", bad], capture_output=True, text=True)
        assert r.returncode == 64 and "--cycles wants a count" in r.stderr, (bad, r.stderr)


def test_reload_keeps_the_watch_plans_of_unchanged_domains(mon, tmp_path):
    cfg = tmp_path / "reload.yml"
    base = (f"interval: 1s\nhints: {mon.lab.hints}\nstore: sqlite:{tmp_path}/reload.db\n"
            f"listen: 127.0.0.1:19155\nlog_level: info\nalerts: []\ndomains:\n"
            f"  - name: {MONITORED}\n")
    cfg.write_text(base)
    log_path = tmp_path / "reload.log"
    with open(log_path, "wb") as log:
        proc = mon.lab.popen([mon.bin, "monitor", "--config", str(cfg)], stdout=log, stderr=log)
    try:
        def text():
            return log_path.read_text(errors="replace")
        wait_for(lambda: re.search(r"cycle \d+: 1 domains .*\(1 quiet, 0 audited", text()), 20,
                 "a quiet cycle")
        cfg.write_text(base + "  - name: added-example.com\n")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: re.search(r"cycle \d+: 2 domains .*\(1 quiet, 1 audited in full\)",
                                   text()), 20, "a cycle after the reload")
        assert "configuration reloaded: 2 domains" in text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
