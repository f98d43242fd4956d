"""System tests of the lab's providers scenario (tests/lab/scenarios/
providers.yml): real zone transfers with TSIG and NOTIFY from a hidden Knot
primary to NSD, BIND and Knot secondaries, a secondary the primary refuses,
dual primaries with different serial schemes, a provider missing a record,
and an undelegated new provider. Checked with dig and the servers' own logs;
voxdns is not involved."""

import re
import time

import pytest

ZONE = "xfr-example.com"
PRIMARY = "primary.xfr-example.com"
SECONDARIES = ["xfr1.dnsprov-a.net", "xfr1.dnsprov-b.org"]  # NSD, BIND
STUCK = "xfr2.dnsprov-b.org"                                # Knot, refused
START_SERIAL = 2026112201
PROVIDER_A = ["ns1.dnsprov-a.net", "ns2.dnsprov-a.net"]
PROVIDER_B = ["ns1.dnsprov-b.org", "ns2.dnsprov-b.org"]
NS_RE = re.compile(r"^\S+\s+\d+\s+IN\s+NS\s+(\S+)", re.M)


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("providers")


def soa_serial(lab, server, zone):
    r = lab.run(["dig", "+norec", "+short", "+time=1", "+tries=2",
                 "@" + lab.address(server), zone, "SOA"], timeout=20)
    fields = r.stdout.split()
    return int(fields[2]) if len(fields) == 7 else None


def axfr(lab, server, zone, key=None):
    """The zone by AXFR (TSIG key name or None) -> (status, set of
    (owner, ttl, type, rdata) without SOA)."""
    cmd = ["dig", "+time=2", "+tries=1", "+nocmd", "+nostats", "+nocomments",
           "@" + lab.address(server), zone, "AXFR"]
    if key:
        cmd[1:1] = ["-y", lab.tsig_arg(key)]
    r = lab.run(cmd, timeout=20)
    records = set()
    for line in r.stdout.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        f = line.split(None, 4)
        if len(f) == 5 and f[3] not in ("SOA", "TSIG"):
            records.add((f[0].lower(), f[1], f[3], " ".join(f[4].split())))
    failed = "Transfer failed" in r.stdout or "; Transfer failed" in r.stderr
    return ("failed" if failed or not records else "ok"), records


def test_secondaries_got_the_zone_by_axfr_at_start(lab):
    for name in SECONDARIES:
        got = [e for e in lab.xfr_log(name, ZONE) if e["direction"] == "in"]
        assert got and got[0]["serial"] == START_SERIAL, (name, got)
        assert got[0]["peer"] == lab.address(PRIMARY)
        sent = [e for e in lab.xfr_log(PRIMARY, ZONE)
                if e["peer"] == lab.address(name)]
        assert sent and sent[0]["kind"] == "AXFR", sent
    assert not [e for e in lab.xfr_log(PRIMARY, ZONE)
                if e["peer"] == lab.address(STUCK)]
    for name in SECONDARIES + [STUCK, PRIMARY]:
        assert soa_serial(lab, name, ZONE) == START_SERIAL, name


def test_transfer_needs_the_provider_key(lab):
    status, records = axfr(lab, "ns1.dnsprov-a.net", "missing-example.com", "prov-a-key")
    assert status == "ok" and len(records) > 10
    assert axfr(lab, "ns1.dnsprov-a.net", "missing-example.com")[0] == "failed"
    assert axfr(lab, "ns1.dnsprov-a.net", "missing-example.com", "prov-b-key")[0] == "failed"
    for name in PROVIDER_B + ["xfr1.dnsprov-b.org", STUCK]:
        zone = ZONE if name.startswith("xfr") else "missing-example.com"
        assert axfr(lab, name, zone, "prov-b-key")[0] == "ok", name
    assert axfr(lab, "xfr1.dnsprov-a.net", ZONE, "prov-a-key")[0] == "ok"
    # The secondaries' key is the primary's alone.
    assert axfr(lab, PRIMARY, ZONE, "prov-a-key")[0] == "failed"
    assert axfr(lab, PRIMARY, ZONE, "xfr-key")[0] == "failed"  # wrong source address


def test_dual_primaries_same_data_other_serials(lab):
    serials = {n: soa_serial(lab, n, "dual-example.com") for n in PROVIDER_A + PROVIDER_B}
    assert {serials[n] for n in PROVIDER_A} == {2026112201}
    assert {serials[n] for n in PROVIDER_B} == {1764547200}
    a = axfr(lab, "ns1.dnsprov-a.net", "dual-example.com", "prov-a-key")
    b = axfr(lab, "ns2.dnsprov-b.org", "dual-example.com", "prov-b-key")
    assert a[0] == b[0] == "ok" and a[1] == b[1]


def test_provider_b_lacks_one_record(lab):
    zone = "missing-example.com"
    a = axfr(lab, "ns2.dnsprov-a.net", zone, "prov-a-key")[1]
    b = axfr(lab, "ns1.dnsprov-b.org", zone, "prov-b-key")[1]
    assert a - b == {("office.missing-example.com.", "3600", "TXT", '"v=office; floor=3"')}
    assert not b - a
    assert len({soa_serial(lab, n, zone) for n in PROVIDER_A + PROVIDER_B}) == 1


def test_new_provider_serves_an_undelegated_copy(lab):
    r = lab.run(["dig", "+norec", "@198.18.10.1", "moving-example.com", "NS"], timeout=20)
    delegated = set(re.findall(NS_RE, r.stdout))
    assert delegated == {"ns1.dnsprov-a.net.", "ns1.dnsprov-b.org."}
    for name in ("ns1.newprov-c.net", "ns2.newprov-c.net"):
        r = lab.run(["dig", "+norec", "@" + lab.address(name), "moving-example.com", "NS"],
                    timeout=20)
        assert "status: NOERROR" in r.stdout and " aa" in r.stdout.split("flags:")[1][:20]
        assert set(re.findall(NS_RE, r.stdout)) == {
            "ns1.newprov-c.net.", "ns2.newprov-c.net."}
    r = lab.run(["dig", "+short", "@198.18.10.1", "ns1.newprov-c.net", "A"], timeout=20)
    assert r.returncode == 0


def test_change_reaches_the_secondaries_by_ixfr_not_the_stuck_one(lab_scenario):
    lab = lab_scenario("providers", fresh=True)
    serial, committed = lab.change_zone(PRIMARY, ZONE, set_=[("office", 3600, "TXT", '"new"')])
    assert serial == START_SERIAL + 1
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
            soa_serial(lab, n, ZONE) != serial for n in SECONDARIES):
        time.sleep(0.1)
    for name in SECONDARIES:
        assert soa_serial(lab, name, ZONE) == serial, name
        got = [e for e in lab.xfr_log(name, ZONE) if e["serial"] == serial]
        assert len(got) == 1, got
        # NOTIFY: the copy is updated within seconds, not at the SOA refresh (2 h)
        assert committed - 1.0 <= got[0]["time"] <= committed + 5.0, (got, committed)
        sent = [e for e in lab.xfr_log(PRIMARY, ZONE)
                if e["serial"] == serial and e["peer"] == lab.address(name)]
        assert [e["kind"] for e in sent] == ["IXFR"], sent
    time.sleep(1.0)
    assert soa_serial(lab, STUCK, ZONE) == START_SERIAL
    with open(lab.servers[STUCK]["log"]) as f:
        log = f.read()
    assert re.search(r"\[xfr-example\.com\.\] notify, incoming, remote [^,]+, serial %d"
                     % serial, log)
    assert re.search(r"\[xfr-example\.com\.\] refresh, failed", log)
