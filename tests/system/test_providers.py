"""System tests of providers in `voxdns audit` (issue 12) against the providers lab
(tests/lab/scenarios/providers.yml): servers grouped into providers (inferred or --provider),
dual primaries with different serial schemes raising no serial finding, a secondary stuck
behind a refusing primary raising SOA-SERIAL-MISMATCH within its provider."""

import json
import os
import re
import subprocess
import time

import pytest

from store_wait import db_rows, wait_until

ZONE = "xfr-example.com"
PRIMARY = "primary.xfr-example.com"


@pytest.fixture(scope="module")
def lab(lab_scenario, voxdns_bin):
    return lab_scenario("providers")


def audit(lab, voxdns_bin, *args):
    ca = ["--ca-file", lab.ca_file] if lab.ca_file else []  # the SIP servers' certificates
    r = lab.run([voxdns_bin, "audit", "--hints", lab.hints, *ca, *args], timeout=60)
    assert r.returncode in (0, 1, 2), r.stderr
    return r


def audit_json(lab, voxdns_bin, *args):
    return json.loads(audit(lab, voxdns_bin, "--json", *args).stdout)


def checks(report):
    return sorted({f["check"] for f in report["findings"]})


def test_dual_primaries_raise_no_serial_finding(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, "dual-example.com")
    assert checks(report) == ["DNSSEC-UNSIGNED", "SERVICE-SINGLE-DOMAIN"]
    providers = report["providers"]
    assert [p["name"] for p in providers["list"]] == ["dnsprov-a.net", "dnsprov-b.org"]
    assert [p["serial"] for p in providers["list"]] == [2026112201, 1764547200]
    assert all(p["consistent"] and not p["declared"] for p in providers["list"])
    assert providers["dual_primary"] is True
    assert "dnsprov-a.net date 2026112201, dnsprov-b.org Unix time 1764547200" in \
        providers["dual_primary_why"]
    by_server = {s["name"]: s["provider"] for s in report["servers"]}
    assert by_server["ns2.dnsprov-b.org"] == "dnsprov-b.org"
    assert by_server["ns1.dnsprov-a.net"] == "dnsprov-a.net"
    text = audit(lab, voxdns_bin, "dual-example.com").stdout
    assert "providers: dnsprov-a.net (3 addresses, serial 2026112201), dnsprov-b.org " \
        "(3 addresses, serial 1764547200)" in text
    assert "dual primaries, serials compared within each provider" in text


def test_no_dual_primary_compares_serials_across_providers(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, "--no-dual-primary", "dual-example.com")
    assert "SOA-SERIAL-MISMATCH" in checks(report)
    assert report["providers"]["dual_primary"] is False


def test_declared_provider(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, "--provider",
                        "anycast-one=xfr1.dnsprov-a.net,198.18.82.1", ZONE)
    by_server = {s["name"]: s["provider"] for s in report["servers"]}
    assert by_server == {"xfr1.dnsprov-a.net": "anycast-one", "xfr1.dnsprov-b.org": "anycast-one",
                         "xfr2.dnsprov-b.org": "dnsprov-b.org"}
    declared = {p["name"]: p["declared"] for p in report["providers"]["list"]}
    assert declared == {"anycast-one": True, "dnsprov-b.org": False}
    r = lab.run([voxdns_bin, "audit", "--provider", "bad name=x", ZONE], timeout=20)
    assert r.returncode == 64 and "--provider" in r.stderr


def test_stuck_secondary_raises_serial_mismatch_in_its_provider(lab_scenario, voxdns_bin):
    lab = lab_scenario("providers", fresh=True)
    assert checks(audit_json(lab, voxdns_bin, ZONE)) == ["DNSSEC-UNSIGNED", "SERVICE-SINGLE-DOMAIN"]
    serial, _ = lab.change_zone(PRIMARY, ZONE, set_=[("office", 3600, "TXT", '"moved"')])
    time.sleep(1.0)  # NOTIFY + IXFR take milliseconds; the stuck one never gets it
    for mode in ([], ["--dual-primary"]):
        report = audit_json(lab, voxdns_bin, *mode, ZONE)
        found = [f for f in report["findings"] if f["check"] == "SOA-SERIAL-MISMATCH"]
        assert len(found) == 1, report["findings"]
        msg = found[0]["message"]
        assert "serial %d on" % serial in msg and "serial %d on xfr2.dnsprov-b.org" % (
            serial - 1) in msg
        if mode:
            assert "at provider dnsprov-b.org" in msg
            assert sorted(found[0]["servers"]) == ["xfr1.dnsprov-b.org/198.18.82.1",
                                                   "xfr2.dnsprov-b.org/198.18.82.2"]


# ---- whole zones (AXFR with each provider's TSIG key) ----------------------------------------

def keys(lab):
    return ["--tsig", "dnsprov-a.net=" + lab.tsig_arg("prov-a-key"),
            "--tsig", "dnsprov-b.org=" + lab.tsig_arg("prov-b-key")]


def test_missing_record_is_zone_differs(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, *keys(lab), "missing-example.com")
    found = [f for f in report["findings"] if f["check"] == "ZONE-DIFFERS"]
    assert len(found) == 1 and found[0]["severity"] == "error"
    assert found[0]["names"] == ["office.missing-example.com TXT"]
    assert 'dnsprov-a.net: TTL 3600: "v=office; floor=3", dnsprov-b.org: absent' in \
        found[0]["message"]
    copies = report["providers"]["zone_copies"]
    assert [(c["provider"], c["status"], c["serial"]) for c in copies] == [
        ("dnsprov-a.net", "ok", 2026112201), ("dnsprov-b.org", "ok", 2026112201)]
    # Without keys nothing is transferred and nothing is compared.
    assert "ZONE-DIFFERS" not in checks(audit_json(lab, voxdns_bin, "missing-example.com"))


def test_saved_snapshot_keeps_the_zone_copies(lab, voxdns_bin, tmp_path):
    snap = tmp_path / "missing.json"
    audit(lab, voxdns_bin, "--save", str(snap), *keys(lab), "missing-example.com")
    saved = json.loads(snap.read_text())
    assert [z["provider"] for z in saved["zones"]] == ["dnsprov-a.net", "dnsprov-b.org"]
    r = lab.run([voxdns_bin, "audit", "--json", "--from", str(snap)], timeout=30)
    assert r.returncode == 2, r.stderr
    assert "ZONE-DIFFERS" in checks(json.loads(r.stdout))


def test_equal_zones_and_dual_primaries_raise_nothing(lab, voxdns_bin):
    for domain in ("dual-example.com", "voip-example.com"):
        report = audit_json(lab, voxdns_bin, *keys(lab), domain)
        assert "ZONE-DIFFERS" not in checks(report)
        assert all(c["status"] == "ok" for c in report["providers"]["zone_copies"])


def zone_diff(lab, voxdns_bin, *args):
    return lab.run([voxdns_bin, "zone", "diff", "--hints", lab.hints, *args], timeout=60)


def test_zone_diff_exit_status_follows_diff(lab, voxdns_bin):
    r = zone_diff(lab, voxdns_bin, *keys(lab), "missing-example.com")
    assert r.returncode == 1, r.stderr
    assert "office.missing-example.com TXT\n" \
        '  dnsprov-a.net: TTL 3600: "v=office; floor=3"\n' \
        "  dnsprov-b.org: absent\n" in r.stdout
    assert "1 RRset differs between 2 copies" in r.stdout
    r = zone_diff(lab, voxdns_bin, *keys(lab), "dual-example.com")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 RRsets differ between 2 copies" in r.stdout
    # A wrong key: the transfer is refused, which is trouble, not "the same".
    bad = ["--tsig", "dnsprov-a.net=" + lab.tsig_arg("prov-b-key"),
           "--tsig", "dnsprov-b.org=" + lab.tsig_arg("prov-b-key")]
    r = zone_diff(lab, voxdns_bin, *bad, "dual-example.com")
    assert r.returncode == 2 and "dnsprov-a.net from ns1.dnsprov-a.net/192.0.2.53: transfer " \
        "refused (NOTAUTH)" in r.stdout
    assert zone_diff(lab, voxdns_bin, "dual-example.com").returncode == 64


def test_zone_diff_against_a_zone_file(lab, voxdns_bin, tmp_path):
    zone_file = tmp_path / "missing.zone"
    with open(voxlab_zone("missing-example.com.zone")) as f:
        zone_file.write_text(f.read())
    args = ["--tsig", "dnsprov-a.net=" + lab.tsig_arg("prov-a-key"), "--zone-file",
            str(zone_file), "missing-example.com"]
    r = zone_diff(lab, voxdns_bin, *args)
    assert r.returncode == 0, r.stdout + r.stderr
    zone_file.write_text(zone_file.read_text().replace('"v=office; floor=3"', '"v=office; floor=4"'))
    r = zone_diff(lab, voxdns_bin, *args)
    assert r.returncode == 1
    assert '  file %s: TTL 3600: "v=office; floor=4"' % zone_file in r.stdout
    zone_file.write_text("this is not a zone\n")
    assert zone_diff(lab, voxdns_bin, *args).returncode == 2


def voxlab_zone(name):
    import voxlab_lib
    return os.path.join(voxlab_lib.LAB_DIR, "zones", "providers", name)


# ---- the monitor: providers and dual_primary in its configuration ---------------------------

def monitor_events(lab, voxdns_bin, tmp_path, name, domains, cycles=3):
    cfg = tmp_path / (name + ".yml")
    db = tmp_path / (name + ".db")
    cfg.write_text("interval: 1h\naudit_interval: 0s\nhints: %s\nstore: sqlite:%s\n"
                   "log_level: info\nalerts: []\ndomains:\n%s" % (lab.hints, db, domains))
    r = lab.run([voxdns_bin, "monitor", "--config", str(cfg), "--cycles", str(cycles)],
                timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    import sqlite3
    con = sqlite3.connect(str(db))
    try:
        return con.execute("SELECT type, check_id FROM events ORDER BY id").fetchall()
    finally:
        con.close()


def test_monitor_dual_primaries_give_no_serial_event(lab, voxdns_bin, tmp_path):
    events = monitor_events(lab, voxdns_bin, tmp_path, "dual", "  - dual-example.com\n")
    assert not [e for e in events if "SERIAL" in e[0] or e[1] == "SOA-SERIAL-MISMATCH"], events
    # Declared not dual, the same servers are a serial mismatch.
    events = monitor_events(lab, voxdns_bin, tmp_path, "notdual",
                            "  - name: dual-example.com\n    dual_primary: false\n")
    assert ("FINDING-APPEARED", "SOA-SERIAL-MISMATCH") in events, events


def test_monitor_declared_providers_group_the_serials(lab, voxdns_bin, tmp_path):
    # One declared provider holding both primaries: their serials must agree, and do not.
    domains = ("  - name: dual-example.com\n    dual_primary: true\n    providers:\n"
               "      everything: [ns1.dnsprov-a.net, ns2.dnsprov-a.net, ns1.dnsprov-b.org,\n"
               "                   ns2.dnsprov-b.org]\n")
    events = monitor_events(lab, voxdns_bin, tmp_path, "declared", domains, cycles=1)
    assert ("FINDING-APPEARED", "SOA-SERIAL-MISMATCH") in events, events






def test_monitor_stuck_secondary_lags_with_its_duration(lab_scenario, voxdns_bin, tmp_path):
    lab = lab_scenario("providers", fresh=True)
    cfg, db = tmp_path / "stuck.yml", tmp_path / "stuck.db"
    cfg.write_text("interval: 1s\nserial_lag: 2s\nhints: %s\nstore: sqlite:%s\nlog_level: info\n"
                   "alerts: []\ndomains:\n  - %s\n" % (lab.hints, db, ZONE))
    mon = lab.popen([voxdns_bin, "monitor", "--config", str(cfg)], stdout=open(
        tmp_path / "monitor.log", "wb"), stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: db_rows(db, "SELECT count(*) FROM snapshots")[0:1] not in ([], [(0,)]),
                   30, "the first cycle")
        serial, committed = lab.change_zone(PRIMARY, ZONE, set_=[("office", 3600, "TXT", '"x"')])
        lag = "SELECT message, first_seen_ms, server FROM events WHERE type = 'SERIAL-LAG'"
        wait_until(lambda: db_rows(db, lag), 30, "SERIAL-LAG")
    finally:
        mon.terminate()
        mon.wait(timeout=15)
    rows = db_rows(db, lag)
    assert [r[2] for r in rows] == ["xfr2.dnsprov-b.org/198.18.82.2"], rows
    message, first_seen_ms, _ = rows[0]
    m = re.search(r"serves SOA serial %d, behind the newest %d for ([\d.]+) s" % (serial - 1, serial),
                  message)
    assert m and 2 <= float(m.group(1)) <= 10, message
    # The lag began with the cycle that first saw the new serial: within a few cycles of the
    # commit the primary's own log records.
    assert committed - 1.0 <= first_seen_ms / 1000.0 <= committed + 4.0, (first_seen_ms, committed)
    # The secondaries that got it by IXFR never lagged long enough to be reported.
    events = db_rows(db, "SELECT type, server FROM events")
    assert not [e for e in events if e[0] == "SERIAL-LAG" and "xfr1" in (e[1] or "")], events
