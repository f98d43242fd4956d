"""System tests of providers in `voxdns audit` (issue 12) against the providers lab
(tests/lab/scenarios/providers.yml): servers grouped into providers (inferred or --provider),
dual primaries with different serial schemes raising no serial finding, a secondary stuck
behind a refusing primary raising SOA-SERIAL-MISMATCH within its provider."""

import json
import time

import pytest

ZONE = "xfr-example.com"
PRIMARY = "primary.xfr-example.com"


@pytest.fixture(scope="module")
def lab(lab_scenario, voxdns_bin):
    return lab_scenario("providers")


def audit(lab, voxdns_bin, *args):
    r = lab.run([voxdns_bin, "audit", "--hints", lab.hints, *args], timeout=60)
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
