"""System tests of the lab itself (tests/lab): the healthy internet resolves
from the root down to the SIP records, and every fault knob of knobs.yml
behaves as tests/lab/README.md says. Uses dig (and a little Python) run
inside the lab's network namespace."""

import json
import re
import signal
import subprocess
import textwrap
import time

import pytest

import voxlab_lib

LAB_DIR = voxlab_lib.LAB_DIR
VOXLAB = voxlab_lib.VOXLAB
PY = voxlab_lib.PYTHON

ROOTS = {"a.root-servers.net": ["198.18.0.1", "2001:db8:ffff::1"],
         "b.root-servers.net": ["198.18.1.1"]}
GTLD = ["198.18.10.1", "2001:db8:10::1", "198.18.11.1"]
ORG_TLD = ["198.18.12.1", "198.18.13.1"]
PROVIDER_A = ["192.0.2.53", "2001:db8:a::53", "198.51.100.53"]
PROVIDER_B = ["203.0.113.53", "198.18.20.53", "2001:db8:b::53"]
CUSTOMER_NS = {"ns1.dnsprov-a.net.", "ns2.dnsprov-a.net.",
               "ns1.dnsprov-b.org.", "ns2.dnsprov-b.org."}


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("knobs")


def dig(lab, server, *args, timeout=20):
    """dig @server +norec ... inside the lab -> (stdout, returncode)."""
    r = lab.run(["dig", "@" + server, "+norec", "+time=1", "+tries=1"] + list(args),
                timeout=timeout)
    return r.stdout, r.returncode


def records(out, section="ANSWER"):
    """[(name, type, rdata)] of one section of dig's output."""
    m = re.search(r";; %s SECTION:\n(.*?)(?:\n\n|\Z)" % section, out, re.S)
    if not m:
        return []
    rows = []
    for line in m.group(1).splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5:
            rows.append((parts[0], parts[3], parts[4]))
    return rows


def status(out):
    m = re.search(r"status: (\w+)", out)
    return m.group(1) if m else None


def flags(out):
    m = re.search(r";; flags: ([a-z ]*);", out)
    return set(m.group(1).split()) if m else set()


def run_py(lab, code, timeout=30):
    """Run a Python snippet inside the lab (labdns importable); its stdout
    is JSON."""
    prog = "import sys; sys.path.insert(0, %r)\n" % LAB_DIR + textwrap.dedent(code)
    r = lab.run([PY, "-c", prog], timeout=timeout)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def group_alive(pgid):
    return voxlab_lib._group_members(pgid)


# --------------------------------------------------------------------------
# voxlab itself
# --------------------------------------------------------------------------

def test_voxlab_start_exec_stop(tmp_path):
    d = tmp_path / "lab"
    r = subprocess.run([VOXLAB, "start", "healthy", "--dir", str(d)],
                       capture_output=True, text=True, timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        assert "root hints: %s/root.hints" % d in r.stdout
        assert re.search(r"a\.root-servers\.net\s+198\.18\.0\.1 2001:db8:ffff::1\s+nsd\s+root",
                         r.stdout)
        info = json.loads((d / "lab.json").read_text())
        assert info["state"] == "running" and info["hints"] == str(d / "root.hints")
        assert set(info["servers"]) >= set(ROOTS) | {"ns1.dnsprov-a.net", "ns2.dnsprov-b.org"}
        pgid = info["holder_pid"]
        server_pids = [p for s in info["servers"].values() for p in s["pids"].values()]
        assert len(server_pids) == 10 and group_alive(pgid)

        r = subprocess.run([VOXLAB, "exec", str(d), "--", "sh", "-c",
                            "dig +short +norec @198.18.0.1 . SOA; exit 3"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 3
        assert r.stdout.startswith("a.root-servers.net. hostmaster.root-servers.net. ")
    finally:
        subprocess.run([VOXLAB, "stop", str(d)], timeout=30)
    assert not group_alive(pgid)
    assert not any(voxlab_lib._pid_alive(p) for p in server_pids)
    r = subprocess.run([VOXLAB, "stop", str(d)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "nothing running" in r.stdout
    assert json.loads((d / "lab.json").read_text())["state"] == "stopped"


def test_voxlab_run_propagates_status_and_cleans_up(tmp_path):
    d = tmp_path / "run"
    r = subprocess.run([VOXLAB, "run", "healthy", "--dir", str(d), "--", "sh", "-c",
                        'dig +short +norec @192.0.2.53 sip2.voip-example.com; '
                        'echo "hints=$VOXLAB_HINTS"; exit 5'],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 5, r.stderr
    assert "203.0.113.10" in r.stdout and "hints=%s/root.hints" % d in r.stdout
    info = json.loads((d / "lab.json").read_text())
    assert info["state"] == "stopped" and not group_alive(info["holder_pid"])


def test_lab_dies_with_an_attached_owner(tmp_path):
    """A test process killed outright (no finalizer) must not leave servers."""
    d = tmp_path / "orphan"
    code = ("import sys, time; sys.path.insert(0, %r); import voxlab_lib;"
            "voxlab_lib.start('healthy', %r, attached=True); print('up', flush=True);"
            "time.sleep(60)" % (LAB_DIR, str(d)))
    owner = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "up"
        pgid = json.loads((d / "lab.json").read_text())["holder_pid"]
        assert group_alive(pgid)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    end = time.monotonic() + 10
    while group_alive(pgid) and time.monotonic() < end:
        time.sleep(0.1)
    assert not group_alive(pgid)


def test_failed_start_is_clear_and_leaves_nothing(tmp_path):
    (tmp_path / "broken.zone").write_text(
        "$ORIGIN voip-example.com.\n@ IN SOA this is not a zone\n")
    sc = tmp_path / "broken.yml"
    sc.write_text("include: %s/scenarios/internet.yml\nzone_path: [.]\n"
                  "servers:\n  ns2.dnsprov-a.net:\n    zones: {voip-example.com: broken.zone}\n"
                  % LAB_DIR)
    with pytest.raises(voxlab_lib.LabError) as e:
        voxlab_lib.start(str(sc), str(tmp_path / "lab"), timeout=2)
    assert "ns2.dnsprov-a.net at 198.51.100.53, SOA voip-example.com" in str(e.value)
    info = json.loads((tmp_path / "lab" / "lab.json").read_text())
    assert info["state"] == "stopped" and not group_alive(info["holder_pid"])


def test_scenario_validation():
    bad = [
        ({"software": "powerdns"}, "software must be one of"),
        ({"colour": "red"}, "unknown keys colour"),
        ({"stopped": True, "blackholed": True}, "exclude each other"),
        ({"open_recursion": True}, "open_recursion needs"),
        ({"delayed": "soon"}, "not a duration"),
        ({"hijacked": ["voip-example.org"]}, "does not serve"),
    ]
    base = {"software": "nsd", "addresses": ["192.0.2.99"], "zones": ["voip-example.com"]}
    for extra, message in bad:
        sc = {"zone_path": [voxlab_lib.ZONE_DIR], "zone_files": {}}
        with pytest.raises(voxlab_lib.LabError, match=message):
            voxlab_lib._validate_server("x.example", dict(base, **extra), sc)


def test_zone_override_and_knob_on_any_server(lab_scenario, tmp_path):
    """Per-server zone files and knobs set on an included server."""
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "custom.zone").write_text(textwrap.dedent("""\
        $ORIGIN voip-example.org.
        $TTL 3600
        @ 86400 IN SOA ns1.dnsprov-a.net. hostmaster.voip-example.org. 2026112299 7200 3600 1209600 3600
        @ 86400 IN NS ns1.dnsprov-a.net.
        @ 86400 IN NS ns2.dnsprov-a.net.
        sip1 3600 IN A 198.51.100.99
        """))
    sc = tmp_path / "custom.yml"
    sc.write_text(textwrap.dedent("""\
        include: %s/scenarios/internet.yml
        zone_path: [zones]
        servers:
          ns2.dnsprov-a.net:
            zones: {voip-example.org: custom.zone, voip-example.net: false}
          ns2.dnsprov-b.org:
            hijacked: true
            version_hidden: false
          b0.org-servers.org: ~
          rec-bind.lab-test.net: {software: bind, addresses: [198.18.60.1], open_recursion: true}
          auth-unbound.lab-test.net: {software: unbound, addresses: [198.18.61.1],
                                      zones: [voip-example.org]}
          axfr-knot.lab-test.net: {software: knot, addresses: [198.18.62.1],
                                   zones: [voip-example.org], open_axfr: true}
          axfr-bind.lab-test.net: {software: bind, addresses: [198.18.63.1],
                                   zones: [voip-example.org], open_axfr: true}
          slow-spoofer.lab-test.net: {software: knot, addresses: [198.18.64.1],
                                      zones: [voip-example.org], delayed: 30ms, spoofer: true}
        """ % LAB_DIR))
    lab = lab_scenario(str(sc), fresh=True)
    assert "b0.org-servers.org" not in lab.servers
    assert lab.zones["voip-example.net"] == ["ns1.dnsprov-a.net", "ns1.dnsprov-b.org",
                                             "ns2.dnsprov-b.org"]
    out, _ = dig(lab, "198.51.100.53", "sip1.voip-example.org")
    assert records(out) == [("sip1.voip-example.org.", "A", "198.51.100.99")]
    out, _ = dig(lab, "192.0.2.53", "sip1.voip-example.org")
    assert records(out) == [("sip1.voip-example.org.", "A", "192.0.2.12")]
    out, _ = dig(lab, "198.51.100.53", "voip-example.net", "SOA")
    assert status(out) == "REFUSED"
    out, _ = dig(lab, "198.18.20.53", "sip1.voip-example.com")
    assert records(out) == [("sip1.voip-example.com.", "A", "198.18.66.66")]
    out, _ = dig(lab, "198.18.20.53", "version.bind", "CH", "TXT")
    assert "9.18" in out
    # knobs on other software than in knobs.yml
    r = lab.run(["dig", "+rec", "@198.18.60.1", "sip2.voip-example.com"])
    assert "ra" in flags(r.stdout) and records(r.stdout)[0][2] == "203.0.113.10", r.stdout
    out, _ = dig(lab, "198.18.61.1", "sip1.voip-example.org")
    assert "aa" in flags(out) and records(out)[0][2] == "192.0.2.12"
    r = lab.run(["dig", "+rec", "@198.18.61.1", "sip2.voip-example.com"])
    assert status(r.stdout) == "REFUSED" and "ra" not in flags(r.stdout)
    for addr in ("198.18.62.1", "198.18.63.1"):
        out, _ = dig(lab, addr, "voip-example.org", "AXFR")
        assert len([r for r in records_axfr(out) if r[1] == "SOA"]) == 2, (addr, out)
    out, _ = dig(lab, "198.18.64.1", "sip1.voip-example.org")
    assert records(out)[0][2] == "192.0.2.12"
    assert int(re.search(r"Query time: (\d+) msec", out).group(1)) >= 75
    lab.stop()


def test_no_route_out_of_the_namespace(lab):
    r = lab.run(["ip", "route", "show", "default"])
    assert r.returncode == 0 and r.stdout.strip() == ""
    r = lab.run(["ip", "-6", "route", "show", "default"])
    assert r.returncode == 0 and r.stdout.strip() == ""


# --------------------------------------------------------------------------
# The healthy internet
# --------------------------------------------------------------------------

def test_hints_file(lab):
    text = open(lab.hints).read()
    rows = [line.split() for line in text.splitlines() if line and not line.startswith(";")]
    assert [r[3] for r in rows if r[2] == "NS"] == ["a.root-servers.net.", "b.root-servers.net."]
    addrs = {(r[0], r[3]) for r in rows if r[2] in ("A", "AAAA")}
    assert addrs == {("a.root-servers.net.", "198.18.0.1"),
                     ("a.root-servers.net.", "2001:db8:ffff::1"),
                     ("b.root-servers.net.", "198.18.1.1")}


@pytest.mark.parametrize("domain,tld_servers,providers", [
    ("voip-example.com", GTLD, PROVIDER_A + PROVIDER_B),
    ("voip-example.net", GTLD, PROVIDER_A + PROVIDER_B),
    ("voip-example.org", ORG_TLD, PROVIDER_A),
])
def test_walk_root_to_customer(lab, domain, tld_servers, providers):
    tld = domain.rsplit(".", 1)[1]
    for root in [a for addrs in ROOTS.values() for a in addrs]:
        out, _ = dig(lab, root, domain, "NAPTR")
        assert status(out) == "NOERROR" and "aa" not in flags(out), out
        ns = {r[2] for r in records(out, "AUTHORITY") if r[1] == "NS"}
        glue = {r[2] for r in records(out, "ADDITIONAL") if r[1] in ("A", "AAAA")}
        assert all(r[0] == tld + "." for r in records(out, "AUTHORITY"))
        assert glue == set(tld_servers) and len(ns) == 2
    for tld_server in tld_servers:
        out, _ = dig(lab, tld_server, domain, "NAPTR")
        ns = {r[2] for r in records(out, "AUTHORITY") if r[1] == "NS"}
        assert ns == (CUSTOMER_NS if providers != PROVIDER_A else
                      {"ns1.dnsprov-a.net.", "ns2.dnsprov-a.net."}), out
    for server in providers:
        out, _ = dig(lab, server, domain, "NAPTR")
        assert "aa" in flags(out), out
        naptr = sorted(r[2] for r in records(out))
        if domain == "voip-example.org":
            assert naptr == []
            out, _ = dig(lab, server, "_sip._udp." + domain, "SRV")
            assert sorted(r[2] for r in records(out)) == [
                "10 50 5060 sip1.voip-example.org.", "20 50 5060 sip2.voip-example.org."]
            continue
        assert naptr == [
            '10 50 "s" "SIPS+D2T" "" _sips._tcp.%s.' % domain,
            '20 50 "s" "SIP+D2T" "" _sip._tcp.%s.' % domain,
            '30 50 "s" "SIP+D2U" "" _sip._udp.%s.' % domain]
        out, _ = dig(lab, server, "_sips._tcp." + domain, "SRV")
        assert sorted(r[2] for r in records(out)) == [
            "10 50 5061 sip1.voip-example.com.", "20 50 5061 sip2.voip-example.com."]
        assert {r[0] for r in records(out)} == {"_sips._tcp.%s." % domain}
    out, _ = dig(lab, providers[-1], "sip1.voip-example.com", "AAAA")
    assert records(out) == [("sip1.voip-example.com.", "AAAA", "2001:db8:c::10")]


def test_ttls_and_soa(lab):
    out, _ = dig(lab, "198.18.20.53", "voip-example.com", "ANY", "+tcp")
    ttl = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[0] == "voip-example.com." and parts[2] == "IN":
            ttl[parts[3]] = int(parts[1])
            if parts[3] == "SOA":
                assert parts[6] == "2026112201"
    assert ttl == {"SOA": 86400, "NS": 86400, "NAPTR": 3600, "MX": 3600, "CAA": 3600}


def test_iterative_resolution_from_the_hints(lab):
    """A real iterative resolver (the open resolver of knobs.yml, Unbound,
    primed from the lab hints) resolves every infrastructure name."""
    expected = {
        "a.root-servers.net": {"198.18.0.1"}, "b.gtld-servers.net": {"198.18.11.1"},
        "a.gtld-servers.net": {"198.18.10.1"}, "b0.org-servers.org": {"198.18.13.1"},
        "ns1.dnsprov-a.net": {"192.0.2.53"}, "ns2.dnsprov-b.org": {"198.18.20.53"},
        "sip2.voip-example.com": {"203.0.113.10"}, "sip2.voip-example.org": {"198.51.100.12"},
    }
    for name, addrs in expected.items():
        r = lab.run(["dig", "+short", "@198.18.47.1", name, "A"])
        assert set(r.stdout.split()) == addrs, (name, r.stdout)
    r = lab.run(["dig", "+short", "@198.18.47.1", "ns2.dnsprov-b.org", "AAAA"])
    assert r.stdout.split() == ["2001:db8:b::53"]


def test_truncation_then_tcp(lab):
    for server in ("192.0.2.53", "203.0.113.53", "198.18.20.53"):
        out, _ = dig(lab, server, "big.voip-example.com", "TXT", "+bufsize=1232", "+ignore")
        assert "tc" in flags(out), out
        out, _ = dig(lab, server, "big.voip-example.com", "TXT", "+tcp")
        txt = records(out)
        assert len(txt) == 10 and sum(len(r[2]) for r in txt) > 1500


def test_every_server_answers_on_every_address(lab):
    """Each running server is authoritative for each of its zones on each
    of its addresses (through the relay for delayed/spoofed ones)."""
    checked = 0
    for name, srv in lab.servers.items():
        if srv["mode"] != "up":
            continue
        for addr in srv["addresses"]:
            for zone in srv["zones"]:
                out, _ = dig(lab, addr, zone, "SOA")
                assert status(out) == "NOERROR" and "aa" in flags(out), (name, addr, zone, out)
                checked += 1
    assert checked > 40


# --------------------------------------------------------------------------
# Knobs
# --------------------------------------------------------------------------

def test_stopped_refuses_connections(lab):
    for addr in lab.servers["stopped.faultprov.net"]["addresses"]:
        for transport in ("+notcp", "+tcp"):
            out, rc = dig(lab, addr, "stopped-example.com", "SOA", transport)
            assert rc != 0 and ("connection refused" in out or "refused" in out.lower()), out


def test_blackholed_times_out_silently(lab):
    addrs = lab.servers["blackholed.faultprov.net"]["addresses"]
    assert lab.run(["ip", "-br", "addr", "show", "dev", "lo"]).stdout.count("198.18.41.1") == 0
    for addr, transport in [(addrs[0], "+notcp"), (addrs[1], "+notcp"), (addrs[0], "+tcp")]:
        t0 = time.monotonic()
        out, rc = dig(lab, addr, "blackholed-example.com", "SOA", transport)
        assert rc != 0 and "timed out" in out and "refused" not in out, out
        assert time.monotonic() - t0 >= 0.9


def test_delayed_adds_latency_both_ways(lab):
    for addr in lab.servers["delayed.faultprov.net"]["addresses"]:
        for transport in ("+notcp", "+tcp"):
            out, _ = dig(lab, addr, "sip1.delayed-example.com", transport)
            assert records(out) == [("sip1.delayed-example.com.", "A", "192.0.2.103")]
            ms = int(re.search(r"Query time: (\d+) msec", out).group(1))
            assert 95 <= ms < 400, (addr, transport, ms)
    out, _ = dig(lab, "192.0.2.53", "sip1.delayed-example.com")
    assert int(re.search(r"Query time: (\d+) msec", out).group(1)) < 50


def test_delayed_relay_handles_concurrent_queries(lab):
    result = run_py(lab, """
        import json, socket, time, labdns
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        t0 = time.monotonic()
        for i in range(100):
            qid, q = labdns.build_query("sip1.delayed-example.com", "A", qid=i)
            s.sendto(q, ("198.18.42.1", 53))
        s.settimeout(2)
        got = set()
        try:
            while len(got) < 100:
                m = labdns.parse_message(s.recv(4096))
                if m["answer"] and m["answer"][0][3] == "192.0.2.103":
                    got.add(m["id"])
        except socket.timeout:
            pass
        print(json.dumps({"answers": len(got), "seconds": time.monotonic() - t0}))
    """)
    assert result["answers"] == 100
    assert 0.09 < result["seconds"] < 1.0  # serialised would take 10 s


def test_hijacked_same_serial_different_data(lab):
    good, _ = dig(lab, "192.0.2.53", "hijacked-example.com", "SOA")
    bad, _ = dig(lab, "198.18.43.1", "hijacked-example.com", "SOA")
    assert records(good)[0][2].split()[2] == records(bad)[0][2].split()[2] == "2026112201"
    good, _ = dig(lab, "192.0.2.53", "sip1.hijacked-example.com")
    bad, _ = dig(lab, "198.18.43.1", "sip1.hijacked-example.com")
    assert records(good)[0][2] == "192.0.2.104"
    assert records(bad)[0][2] == "198.18.66.66" and "aa" in flags(bad)


def test_stale_lower_serial_different_data(lab):
    good, _ = dig(lab, "198.51.100.53", "stale-example.com", "SOA")
    old, _ = dig(lab, "198.18.44.1", "stale-example.com", "SOA")
    assert int(records(old)[0][2].split()[2]) < int(records(good)[0][2].split()[2])
    good, _ = dig(lab, "198.51.100.53", "sip1.stale-example.com", "AAAA")
    old, _ = dig(lab, "198.18.44.1", "sip1.stale-example.com", "AAAA")
    assert records(good) and not records(old) and "aa" in flags(old)


def test_lame_is_delegated_but_refuses(lab):
    out, _ = dig(lab, "198.18.10.1", "lame-example.com", "SOA")
    assert ("lame-example.com.", "NS", "lame.faultprov.net.") in records(out, "AUTHORITY")
    out, _ = dig(lab, "198.18.45.1", "lame-example.com", "SOA")
    assert status(out) == "REFUSED", out
    out, _ = dig(lab, "198.51.100.53", "lame-example.com", "SOA")
    assert status(out) == "NOERROR" and "aa" in flags(out)


def test_open_axfr_only_where_enabled(lab):
    out, _ = dig(lab, "198.18.46.1", "axfr-example.com", "AXFR")
    soa = [r for r in records_axfr(out) if r[1] == "SOA"]
    assert len(soa) == 2 and len(records_axfr(out)) >= 8, out
    for name, srv in lab.servers.items():
        if srv["mode"] != "up" or not srv["zones"] or name == "axfr.faultprov.net":
            continue
        out, _ = dig(lab, srv["addresses"][0], srv["zones"][0], "AXFR")
        assert not [r for r in records_axfr(out) if r[1] == "SOA"], (name, out)
        assert "Transfer failed" in out or "refused" in out.lower(), (name, out)


def records_axfr(out):
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 4)
        if line and not line.startswith(";") and len(parts) == 5 and parts[2] == "IN":
            rows.append((parts[0], parts[3], parts[4]))
    return rows


def test_open_recursion(lab):
    for addr in lab.servers["recursor.faultprov.net"]["addresses"]:
        out, _ = dig(lab, addr, "recursion-example.com", "SOA")
        assert "aa" in flags(out)
        r = lab.run(["dig", "+rec", "@" + addr, "sip1.voip-example.com", "A"])
        assert "ra" in flags(r.stdout) and status(r.stdout) == "NOERROR"
        assert records(r.stdout) == [("sip1.voip-example.com.", "A", "192.0.2.10")]
    r = lab.run(["dig", "+rec", "@198.18.47.1", "_sip._udp.voip-example.org", "SRV", "+short"])
    assert sorted(r.stdout.splitlines()) == ["10 50 5060 sip1.voip-example.org.",
                                             "20 50 5060 sip2.voip-example.org."]
    # authoritative-only servers do not recurse for names outside their zones
    for addr, name in [("192.0.2.53", "ns1.dnsprov-b.org"),
                       ("203.0.113.53", "sip1.voip-example.org"),
                       ("198.18.20.53", "sip1.voip-example.org"),
                       ("198.18.0.1", "sip1.voip-example.org"),
                       ("198.18.12.1", "sip1.voip-example.com")]:
        r = lab.run(["dig", "+rec", "+time=1", "+tries=1", "@" + addr, name])
        assert "ra" not in flags(r.stdout) and not records(r.stdout), (addr, r.stdout)


def test_spoofer_races_two_forgeries(lab):
    result = run_py(lab, """
        import json, socket, time, labdns
        out = []
        for addr, fam, qtype in [("198.18.48.1", socket.AF_INET, "A"),
                                 ("2001:db8:48::1", socket.AF_INET6, "AAAA")]:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            qid, q = labdns.build_query("sip1.spoofed-example.com", qtype)
            t0 = time.monotonic()
            s.sendto(q, (addr, 53))
            s.settimeout(0.4)
            got = []
            try:
                while True:
                    data, src = s.recvfrom(4096)
                    m = labdns.parse_message(data)
                    got.append({"port": src[1], "src": src[0], "id_ok": m["id"] == qid,
                                "data": [a[3] for a in m["answer"]],
                                "ms": (time.monotonic() - t0) * 1000})
            except socket.timeout:
                pass
            out.append({"addr": addr, "replies": got})
        print(json.dumps(out))
    """)
    forged = {"198.18.48.1": ["198.18.66.66"], "2001:db8:48::1": ["2001:db8:66::66"]}
    real = {"198.18.48.1": ["192.0.2.109"], "2001:db8:48::1": ["2001:db8:c::109"]}
    for case in result:
        replies, addr = case["replies"], case["addr"]
        assert len(replies) == 3, case
        assert all(r["src"] == addr for r in replies)
        wrong_port, wrong_id = replies[0], replies[1]
        if wrong_port["port"] == 53:
            wrong_port, wrong_id = wrong_id, wrong_port
        assert wrong_port["port"] != 53 and wrong_port["id_ok"]
        assert wrong_port["data"] == forged[addr]
        assert wrong_id["port"] == 53 and not wrong_id["id_ok"]
        assert wrong_id["data"] == forged[addr]
        genuine = replies[2]
        assert genuine["port"] == 53 and genuine["id_ok"] and genuine["data"] == real[addr]
        assert genuine["ms"] >= max(wrong_port["ms"], wrong_id["ms"]) + 10
    for transport in ("+notcp", "+tcp"):
        out, _ = dig(lab, "198.18.48.1", "sip1.spoofed-example.com", transport)
        assert records(out) == [("sip1.spoofed-example.com.", "A", "192.0.2.109")], out


def test_version_hidden_by_default_and_revealed_on_request(lab):
    for name in ("a.root-servers.net", "b.root-servers.net", "b.gtld-servers.net",
                 "recursor.faultprov.net"):
        out, _ = dig(lab, lab.address(name), "version.bind", "CH", "TXT")
        assert not records(out) or records(out)[0][1] != "TXT", (name, out)
        assert not re.search(r"NSD|Knot|9\.18|unbound", " ".join(r[2] for r in records(out)))
    out, _ = dig(lab, "198.18.49.1", "version.bind", "CH", "TXT")
    assert records(out)[0][2].startswith('"NSD 4.')
    out, _ = dig(lab, "198.18.50.1", "version.bind", "CH", "TXT")
    assert records(out)[0][2].startswith('"9.18')
