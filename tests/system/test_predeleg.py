"""System tests of the undelegated (pre-delegation) audit, `voxdns audit --ns NAME[/ADDR]`
(issue 12), against the providers lab (tests/lab/scenarios/providers.yml): provider C
(ns1.newprov-c.net Knot, ns2.newprov-c.net BIND) serves moving-example.com, which is delegated
to providers A and B, and brandnew-example.com, which is delegated nowhere."""

import json

import pytest

MOVING = "moving-example.com"
C_SERVERS = {"ns1.newprov-c.net/198.18.83.1", "ns1.newprov-c.net/2001:db8:83::1",
             "ns2.newprov-c.net/198.18.84.1"}
LIVE_SERVERS = {"ns1.dnsprov-a.net/192.0.2.53", "ns1.dnsprov-a.net/2001:db8:a::53",
                "ns1.dnsprov-b.org/203.0.113.53"}
C_BOTH = ["--ns", "ns1.newprov-c.net", "--ns", "ns2.newprov-c.net"]


@pytest.fixture(scope="module")
def lab(lab_scenario, voxdns_bin):
    return lab_scenario("providers")


def audit(lab, voxdns_bin, *args):
    ca = ["--ca-file", lab.ca_file] if lab.ca_file else []
    r = lab.run([voxdns_bin, "audit", "--hints", lab.hints, *ca, *args], timeout=60)
    assert r.returncode in (0, 1, 2), r.stderr
    return r


def audit_json(lab, voxdns_bin, *args):
    return json.loads(audit(lab, voxdns_bin, "--json", *args).stdout)


def checks(report):
    return sorted(f["check"] for f in report["findings"])


def one(report, check):
    found = [f for f in report["findings"] if f["check"] == check]
    assert len(found) == 1, report["findings"]
    return found[0]


def servers(entries):
    return {"%s/%s" % (s["name"], s["address"]) for s in entries}


def test_ns_audits_the_undelegated_provider(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, *C_BOTH, MOVING)
    # C's copy equals the live one: only what is true of C's server set itself
    assert checks(report) == ["CAA-MISSING", "DNSSEC-UNSIGNED", "NS-SINGLE-PROVIDER",
                              "NS-SINGLE-TLD", "SERVICE-SINGLE-DOMAIN"]
    assert servers(report["servers"]) == C_SERVERS
    assert all(s["up"] and s["provider"] == "newprov-c.net" for s in report["servers"])
    assert [p["name"] for p in report["providers"]["list"]] == ["newprov-c.net"]
    undelegated = report["undelegated"]
    assert undelegated["ns"] == ["ns1.newprov-c.net", "ns2.newprov-c.net"]
    live = undelegated["live"]
    assert live["delegated"] is True and live["error"] is None
    assert servers(live["servers"]) == LIVE_SERVERS
    assert {s["name"]: s["provider"] for s in live["servers"]} == {
        "ns1.dnsprov-a.net": "dnsprov-a.net", "ns1.dnsprov-b.org": "dnsprov-b.org"}
    text = audit(lab, voxdns_bin, *C_BOTH, MOVING).stdout
    assert "  undelegated audit, as if delegated to ns1.newprov-c.net, ns2.newprov-c.net " \
        "(--ns)\n  servers used: ns1.newprov-c.net/198.18.83.1 (newprov-c.net), " in text
    assert "  live delegation: ns1.dnsprov-a.net/192.0.2.53 (dnsprov-a.net), " in text
    # The same domain without --ns is audited at A and B, as delegated.
    plain = audit_json(lab, voxdns_bin, MOVING)
    assert servers(plain["servers"]) == LIVE_SERVERS and "undelegated" not in plain


def test_given_addresses_are_the_ones_asked(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, "--ns", "ns1.newprov-c.net/2001:db8:83::1", "--ns",
                        "ns2.newprov-c.net/198.18.84.1", "--ns", "ns2.newprov-c.net/198.18.83.1",
                        MOVING)
    assert servers(report["servers"]) == {"ns1.newprov-c.net/2001:db8:83::1",
                                          "ns2.newprov-c.net/198.18.84.1",
                                          "ns2.newprov-c.net/198.18.83.1"}
    assert report["undelegated"]["ns"] == ["ns1.newprov-c.net/2001:db8:83::1",
                                           "ns2.newprov-c.net/198.18.84.1",
                                           "ns2.newprov-c.net/198.18.83.1"]
    assert "CANDIDATE-DIFFERS" not in checks(report)


def test_one_given_name_is_too_few_and_not_the_zones_set(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, "--ns", "ns1.newprov-c.net", MOVING)
    assert "the servers given (--ns) lists 1 name server name(s) (ns1.newprov-c.net)" in \
        one(report, "NS-COUNT-LOW")["message"]
    mismatch = one(report, "NS-SET-MISMATCH")
    assert mismatch["message"] == \
        "the NS set given (--ns) and the zone's differ: only in the zone: ns2.newprov-c.net"
    assert mismatch["names"] == ["ns2.newprov-c.net"]


def test_wrong_servers_are_lame_or_unreachable_not_different(lab, voxdns_bin):
    # ns2.dnsprov-a.net does not serve the zone (REFUSED); 198.18.99.1 is no server at all
    report = audit_json(lab, voxdns_bin, "--ns", "ns1.newprov-c.net/198.18.83.1", "--ns",
                        "ns2.dnsprov-a.net", "--ns", "ns9.newprov-c.net/198.18.99.1", MOVING)
    assert one(report, "NS-LAME")["servers"] == ["ns2.dnsprov-a.net/198.51.100.53"]
    assert "answered REFUSED" in one(report, "NS-LAME")["message"]
    assert one(report, "NS-UNREACHABLE")["servers"] == ["ns9.newprov-c.net/198.18.99.1"]
    found = checks(report)
    for false_one in ("CANDIDATE-DIFFERS", "RRSET-INCONSISTENT", "SOA-SERIAL-MISMATCH",
                      "DELEGATION-MISSING"):
        assert false_one not in found, report["findings"]


def test_domain_delegated_nowhere(lab, voxdns_bin):
    report = audit_json(lab, voxdns_bin, *C_BOTH, "brandnew-example.com")
    assert checks(report) == ["DNSSEC-UNSIGNED", "NAPTR-INCOMPLETE", "NS-SINGLE-PROVIDER",
                              "NS-SINGLE-TLD", "SERVICE-SINGLE-DOMAIN"]
    assert servers(report["servers"]) == C_SERVERS
    live = report["undelegated"]["live"]
    assert live["delegated"] is False and live["servers"] == []
    assert live["error"] == "com. answers NXDOMAIN for brandnew-example.com."
    text = audit(lab, voxdns_bin, *C_BOTH, "brandnew-example.com").stdout
    assert "  live delegation: none (com. answers NXDOMAIN for brandnew-example.com.): " \
        "nothing to compare with\n" in text
    # Without --ns the same domain is simply not delegated.
    assert "DELEGATION-MISSING" in checks(audit_json(lab, voxdns_bin, "brandnew-example.com"))


def test_whole_zone_candidate_against_live(lab, voxdns_bin):
    keys = ["--tsig", "dnsprov-a.net=" + lab.tsig_arg("prov-a-key"),
            "--tsig", "dnsprov-b.org=" + lab.tsig_arg("prov-b-key")]
    # Provider B as the candidate of missing-example.com: it lacks a record outside the chain.
    report = audit_json(lab, voxdns_bin, *keys, "--ns", "ns1.dnsprov-b.org", "--ns",
                        "ns2.dnsprov-b.org", "missing-example.com")
    differs = one(report, "ZONE-DIFFERS")
    assert differs["names"] == ["office.missing-example.com TXT"]
    assert '(candidate dnsprov-b.org: absent, live dnsprov-a.net: TTL 3600: "v=office; ' \
        'floor=3", live dnsprov-b.org: absent)' in differs["message"]
    copies = report["providers"]["zone_copies"]
    assert [(c["provider"], c["status"]) for c in copies] == [
        ("candidate dnsprov-b.org", "ok"), ("live dnsprov-a.net", "ok"),
        ("live dnsprov-b.org", "ok")]
    assert "CANDIDATE-DIFFERS" not in checks(report)  # the chain itself is the same


def test_bad_ns_arguments_exit_64(lab, voxdns_bin):
    bad = {"ns1.newprov-c.net:53": "no port",
           "ns1.newprov-c.net/198.18.83.1:53": "no port or brackets",
           "ns1.newprov-c.net/[2001:db8:83::1]": "no port or brackets",
           "ns1.newprov-c.net/ns2.newprov-c.net": "is not an IPv4 or IPv6 address",
           "ns1.newprov-c.net/198.18.83.256": "is not an IPv4 or IPv6 address",
           "198.18.83.1": "is an address: give the server's name",
           "bad name": "is not a name-server host name",
           "": "give NAME or NAME/ADDRESS"}
    for arg, why in bad.items():
        r = lab.run([voxdns_bin, "audit", "--hints", lab.hints, "--ns", arg, MOVING], timeout=20)
        assert r.returncode == 64, (arg, r.stdout, r.stderr)
        assert r.stderr.startswith("voxdns audit: --ns %s: " % arg) and why in r.stderr, r.stderr
        assert r.stdout == ""
    for args in (["--ns", "ns1.newprov-c.net", MOVING, "dual-example.com"],
                 ["--ns", "ns1.newprov-c.net", "--from", "/dev/null"], [MOVING, "--ns"]):
        r = lab.run([voxdns_bin, "audit", *args], timeout=20)
        assert r.returncode == 64 and "--ns" in r.stderr, (args, r.stderr)


def test_candidate_lacking_a_record(lab_scenario, voxdns_bin, tmp_path):
    lab = lab_scenario("providers", fresh=True)
    # Provider C's Knot server loses sip2's AAAA; its BIND server still has it.
    lab.change_zone("ns1.newprov-c.net", MOVING, unset=[("sip2", "AAAA")])
    snap = tmp_path / "moving.json"
    report = audit_json(lab, voxdns_bin, "--save", str(snap), "--ns", "ns1.newprov-c.net",
                        MOVING)
    differs = one(report, "CANDIDATE-DIFFERS")
    assert differs["severity"] == "error"
    assert differs["names"] == ["sip2.moving-example.com AAAA"]
    assert set(differs["servers"]) == {"ns1.newprov-c.net/198.18.83.1",
                                       "ns1.newprov-c.net/2001:db8:83::1"}
    assert differs["message"] == (
        "the candidate servers (--ns) serve 1 RRset of moving-example.com differently from the "
        "live delegation: sip2.moving-example.com AAAA (candidate newprov-c.net: no data; live "
        "dnsprov-a.net, dnsprov-b.org: TTL 3600: 2001:db8:d::123)")
    # The saved snapshot keeps both sides: --from judges it the same way, offline.
    r = lab.run([voxdns_bin, "audit", "--json", "--from", str(snap)], timeout=30)
    assert r.returncode == 2, r.stderr
    assert one(json.loads(r.stdout), "CANDIDATE-DIFFERS")["message"] == differs["message"]
    # Both of C's servers: they disagree among themselves too, and only ns1 lacks the record.
    report = audit_json(lab, voxdns_bin, *C_BOTH, MOVING)
    assert set(one(report, "CANDIDATE-DIFFERS")["servers"]) == {
        "ns1.newprov-c.net/198.18.83.1", "ns1.newprov-c.net/2001:db8:83::1"}
    assert one(report, "RRSET-INCONSISTENT")["names"] == ["sip2.moving-example.com AAAA"]
