"""System tests of the monitor's whole-zone watch (issue 12, item 2) against the providers lab
(tests/lab/scenarios/providers.yml): one server of each provider transferred with that
provider's TSIG key; a record added and one removed on the hidden Knot primary mid-run give one
RECORD-ADDED / RECORD-REMOVED per provider as each secondary gets the change; after the first
AXFR the monitor asks IXFR (BIND's copy answers with the differences, NSD's with the whole zone,
AXFR-style); the provider that lacks one record from the start is one ZONE-DIFFERS finding,
once; a restart and 30 cycles that audit and transfer in full give no event."""

import re
import subprocess
import time

from store_wait import db_rows, wait_until

ZONE = "xfr-example.com"
PRIMARY = "primary.xfr-example.com"
PROV_A, PROV_B = "dnsprov-a.net", "dnsprov-b.org"
# One server per provider: the authoritative address whose label sorts first.
SERVER_A, SERVER_B = "xfr1.dnsprov-a.net/198.18.81.1", "xfr1.dnsprov-b.org/198.18.82.1"
HTTP = "127.0.0.1:19171"


def domain_entry(lab, name):
    return ("  - name: %s\n    tsig:\n      %s: \"%s\"\n      %s: \"%s\"\n" %
            (name, PROV_A, lab.tsig_arg("prov-a-key"), PROV_B, lab.tsig_arg("prov-b-key")))


def write_config(lab, path, db, domains, extra=""):
    path.write_text("interval: 1s\nhints: %s\nstore: sqlite:%s\nlog_level: info\nlisten: %s\n"
                    "alerts: []\n%sdomains:\n%s" % (lab.hints, db, HTTP, extra,
                                                   "".join(domain_entry(lab, d) for d in domains)))






def events_named(db, etype, name):
    return db_rows(db, "SELECT server, message FROM events WHERE type = ? AND name = ? ORDER BY id",
                etype, name)


def test_zone_changes_are_events_per_provider(lab_scenario, voxdns_bin, tmp_path):
    lab = lab_scenario("providers", fresh=True)
    cfg, db, log = tmp_path / "zone.yml", tmp_path / "zone.db", tmp_path / "monitor.log"
    write_config(lab, cfg, db, [ZONE], "serial_lag: 1m\n")
    mon = lab.popen([voxdns_bin, "monitor", "--config", str(cfg)], stdout=open(log, "wb"),
                    stderr=subprocess.STDOUT)
    try:
        copies = "SELECT provider FROM zone_copies ORDER BY provider"
        wait_until(lambda: db_rows(db, copies) == [(PROV_A,), (PROV_B,)], 60,
                   "a zone copy of each provider")
        lab.change_zone(PRIMARY, ZONE, set_=[("zw-added", 300, "TXT", '"zone watch"')])
        added = "zw-added." + ZONE
        wait_until(lambda: len(events_named(db, "RECORD-ADDED", added)) == 2, 60,
                   "RECORD-ADDED from both providers")
        lab.change_zone(PRIMARY, ZONE, unset=[("primary", "A")])
        removed = "primary." + ZONE
        wait_until(lambda: len(events_named(db, "RECORD-REMOVED", removed)) == 2, 60,
                   "RECORD-REMOVED from both providers")
        time.sleep(3)  # a few more cycles: nothing may be announced twice
        metrics = lab.run(["curl", "-s", "http://%s/metrics" % HTTP], timeout=20).stdout
    finally:
        mon.terminate()
        mon.wait(timeout=30)
    text = log.read_text(errors="replace")
    ev = events_named(db, "RECORD-ADDED", added)
    assert sorted(e[0] for e in ev) == [SERVER_A, SERVER_B], ev
    for server, message in ev:
        assert '"zone watch"' in message and "instead of nothing" in message, message
        assert (PROV_A if server == SERVER_A else PROV_B) in message, message
    ev = events_named(db, "RECORD-REMOVED", removed)
    assert sorted(e[0] for e in ev) == [SERVER_A, SERVER_B], ev
    assert all("198.18.80.1" in m for _, m in ev), ev
    # Only the zone watch saw these names (outside the SIP chain), once per provider. (A cycle
    # that finds one provider's copy changed and the other's not yet may also open and close a
    # ZONE-DIFFERS finding on them: that is a finding's event, not a record's.)
    others = db_rows(db, "SELECT type, server, name FROM events WHERE name IN (?, ?)"
                      " AND type NOT LIKE 'FINDING-%'", added, removed)
    assert len(others) == 4, others
    # The first copy came by AXFR, the changes by IXFR: BIND answers with the differences.
    assert re.search(r"zone transfer from xfr1\.dnsprov-b\.org \(dnsprov-b\.org\): AXFR", text)
    assert re.search(r"zone transfer from xfr1\.dnsprov-b\.org \(dnsprov-b\.org\): IXFR", text), text
    # NSD (provider A) keeps no IXFR journal: it answers the monitor's IXFR with the whole zone
    # (AXFR-style, RFC 1995 §4), which is read as a full copy; its RECORD-ADDED above came so.
    assert re.search(r"zone transfer from xfr1\.dnsprov-a\.net \(dnsprov-a\.net\): AXFR "
                     r"\(the IXFR came AXFR-style\)", text), text
    m = re.search(r'voxdns_zone_transfers_total\{domain="xfr-example.com",provider="dnsprov-b.org",'
                  r'kind="ixfr"\} (\d+)', metrics)
    assert m and int(m.group(1)) >= 2, metrics


def test_missing_record_once_restart_and_quiet_cycles(lab_scenario, voxdns_bin, tmp_path):
    lab = lab_scenario("providers")
    cfg, db = tmp_path / "quiet.yml", tmp_path / "quiet.db"
    domains = ["missing-example.com", "dual-example.com"]
    write_config(lab, cfg, db, domains)
    r = lab.run([voxdns_bin, "monitor", "--config", str(cfg), "--cycles", "1"], timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    first = db_rows(db, "SELECT type, check_id, name FROM events ORDER BY id")
    zd = [e for e in first if e[1] == "ZONE-DIFFERS"]
    assert len(zd) == 1 and zd[0][0] == "FINDING-APPEARED", first
    assert not [e for e in first if e[0].startswith("RECORD-")], first
    copies = db_rows(db, "SELECT d.name, z.provider FROM zone_copies z JOIN domains d"
                      " ON d.id = z.domain_id ORDER BY 1, 2")
    assert copies == [(d, p) for d in sorted(domains) for p in (PROV_A, PROV_B)], copies
    # A restart, then 30 cycles that audit in full and transfer again whenever a second has
    # passed: the zone copies are compared every cycle, and nothing is announced.
    write_config(lab, cfg, db, domains, "audit_interval: 0s\nzone_refresh: 1s\n")
    r = lab.run([voxdns_bin, "monitor", "--config", str(cfg), "--cycles", "30"], timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    after = db_rows(db, "SELECT type, check_id, server, name, message FROM events ORDER BY id")
    assert after[len(first):] == [], after[len(first):]
    transfers = re.findall(r"zone transfer from \S+ \((\S+)\): (AXFR|IXFR)", r.stdout + r.stderr)
    assert len(transfers) >= 4, transfers  # refreshed by AXFR at least once per provider
