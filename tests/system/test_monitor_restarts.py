"""System tests of the monitor stopped and started on the audit lab (tests/lab/scenarios/audit.yml).

Finding identity across restarts: a monitor killed with SIGKILL after
each first cycle and started again, 20 times, must never close a finding and open it again.

A finding's identity (the key of its open condition, monitor/diff.c) comes from the set of
server addresses it concerns, canonically ordered; before, it came from server labels, which
flip between runs: two NS names of one shared address (oneaddr-example.com) label it by
whichever name resolved first, and NS-SET-MISMATCH named whichever parent server answered
first (a. or b.gtld-servers.net).

SIGTERM during a cycle: the cycle's closing log line counts its queries right."""

import os
import re
import signal
import sqlite3
import time

import pytest


HTTP = "127.0.0.1:19163"
RESTARTS = int(os.environ.get("VOXDNS_TEST_RESTARTS", "20"))
# The audit lab's domains whose findings name servers: two names of one address (oneaddr), the
# parent's NS set against the zone's (nsmismatch), glue against the name's address
# (gluemismatch), one server's data against the others' (inconsistent, serial), a dead address
# (nsdown). Not all 57 at once: on a loaded test machine that many concurrent audits make the
# lab's servers slow (NS-SLOW comes and goes for real), which is not what this test is about.
DOMAINS = ["gluemismatch-example.com", "inconsistent-example.com", "nsdown-example.com",
           "nsmismatch-example.com", "oneaddr-example.com", "serial-example.com"]

METRICS = r"""
import sys, urllib.request
try:
    with urllib.request.urlopen("http://%s/metrics" % sys.argv[1], timeout=5) as r:
        sys.stdout.write(r.read().decode())
except Exception:
    pass
"""


def cycled_domains(lab):
    """Domains whose first cycle has completed, from the running monitor's /metrics."""
    r = lab.run(["/usr/bin/python3", "-c", METRICS, HTTP], timeout=20)
    done = set()
    for line in r.stdout.splitlines():
        if line.startswith("voxdns_cycles_total{"):
            name = line.split('domain="', 1)[1].split('"', 1)[0]
            if float(line.rsplit(" ", 1)[1]) >= 1:
                done.add(name.rstrip("."))
    return done


def run_once(lab, voxdns_bin, config, log):
    proc = lab.popen([voxdns_bin, "monitor", "--config", config], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the monitor exited: see %s" % log.name
            if cycled_domains(lab) >= set(DOMAINS):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("no complete first cycle within 90 s")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)


def finding_events(db):
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT e.id, d.name, e.type, e.check_id, e.server, e.message "
                           "FROM events e "
                           "JOIN domains d ON d.id = e.domain_id "
                           "WHERE e.type IN ('FINDING-APPEARED', 'FINDING-CLEARED') "
                           "ORDER BY e.id").fetchall()
    finally:
        con.close()
    return rows


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("audit")


def test_restarts_never_flap_findings(lab, voxdns_bin, tmp_path):
    config = tmp_path / "voxdns.yml"
    db = tmp_path / "voxdns.db"
    config.write_text("interval: 1h\naudit_interval: 0s\nhints: %s\nstore: sqlite:%s\n"
                      "listen: %s\nlog_level: info\nalerts: []\ndomains:\n%s" % (
                          lab.hints, db, HTTP,
                          "".join("  - name: %s\n" % d for d in DOMAINS)))
    with open(tmp_path / "monitor.log", "ab") as log:
        run_once(lab, voxdns_bin, str(config), log)
        first = finding_events(str(db))
        assert first and all(row[2] == "FINDING-APPEARED" for row in first)
        # The findings that make identities hard are there from the start.
        checks = {(row[1].rstrip("."), row[3]) for row in first}
        assert ("nsmismatch-example.com", "NS-SET-MISMATCH") in checks
        assert ("oneaddr-example.com", "NS-COUNT-LOW") in checks
        for _ in range(RESTARTS):
            run_once(lab, voxdns_bin, str(config), log)
    # NS-SLOW is left out: it judges a measured RTT, and on a test machine shared by many jobs
    # the lab's servers really do cross 500 ms now and then (seen: 505 to 940 ms medians); that
    # is a true observation coming and going, not an identity that changes.
    later = [row for row in finding_events(str(db))[len(first):] if row[3] != "NS-SLOW"]
    assert later == [], "findings flapped across restarts: %s" % later


def test_sigterm_during_a_cycle_counts_right(lab, voxdns_bin, tmp_path):
    """The watch pool stops first on SIGTERM; an audit then still in flight ends after it (the
    engine is closed next), and the cycle's log line must count its queries from the pool's last
    totals, not underflow to 2^64 - n (it said "18446744073709242636 queries"). The pool has
    counted queries: nsslow-example.com is watched quietly (~600 ms a cycle); nsdown-example.com
    has a server down, so it is audited in full every cycle. A stop that happened to fall between
    two cycles is tried again."""
    cfg = tmp_path / "term.yml"
    cfg.write_text("interval: 1s\nhints: %s\nstore: sqlite:%s/term.db\nlisten: 127.0.0.1:19164\n"
                   "log_level: info\nwatch_threads: 2\nalerts: []\ndomains:\n  - name: nsslow-example.com\n"
                   "  - name: nsdown-example.com\n"
                   % (lab.hints, tmp_path))
    for attempt in range(6):
        log_path = tmp_path / ("term%d.log" % attempt)
        with open(log_path, "wb") as log:
            proc = lab.popen([voxdns_bin, "monitor", "--config", str(cfg)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            # The pool's totals must outgrow one cycle's audit (~230 queries) for the old
            # arithmetic to go below zero: six quiet cycles of ~96.
            while len(re.findall(r"cycle \d+: .*[1-9]\d* quiet", log_path.read_text())) < 6:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            time.sleep(0.2 * attempt)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        text = log_path.read_text()
        counts = [int(n) for n in re.findall(r"(\d+) queries", text)]
        assert counts and max(counts) < 100000, counts
        after_stop = text.split("stopping", 1)[1] if "stopping" in text else ""
        if re.search(r"cycle \d+: .*[1-9]\d* audited", after_stop):
            return  # the stop fell inside a cycle, and its count was right
    pytest.fail("no SIGTERM fell inside a cycle in 6 attempts")
