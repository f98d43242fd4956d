"""System test of the monitor's finding identity across restarts, on the audit lab
(tests/lab/scenarios/audit.yml): a monitor killed with SIGKILL after
each first cycle and started again, 20 times, must never close a finding and open it again.

A finding's identity (the key of its open condition, monitor/diff.c) comes from the set of
server addresses it concerns, canonically ordered; before, it came from server labels, which
flip between runs: two NS names of one shared address (oneaddr-example.com) label it by
whichever name resolved first, and NS-SET-MISMATCH named whichever parent server answered
first (a. or b.gtld-servers.net)."""

import os
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
