"""System tests of `voxdns query` in the lab: the iterative walk from the lab root to a
customer's NAPTR, direct queries, and the engine's behaviour against every fault knob."""

import re
import time

import pytest

BLACKHOLED = "198.18.41.1"
STOPPED = "198.18.40.1"
DELAYED = "198.18.42.1"
HIJACKED = "198.18.43.1"
STALE = "198.18.44.1"
LAME = "198.18.45.1"
RECURSOR = "198.18.47.1"
SPOOFER = "198.18.48.1"
PROVIDER_A = "192.0.2.53"
PROVIDER_A_V6 = "2001:db8:a::53"


@pytest.fixture(scope="module")
def lab(lab_scenario, voxdns_bin):
    return lab_scenario("knobs")


def query(lab, voxdns_bin, *args, timeout=30):
    return lab.run([voxdns_bin, "query", *args], timeout=timeout)


def answer_records(stdout, rtype):
    return [l for l in stdout.splitlines() if re.search(rf"\sIN\s+{rtype}\s", l) and not l.startswith(";")]


def test_walk_from_lab_root_to_customer_naptr(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "--hints", lab.hints, "voip-example.com", "NAPTR")
    assert r.returncode == 0, r.stderr
    naptr = answer_records(r.stdout, "NAPTR")
    assert len(naptr) == 3
    assert any('"SIPS+D2T"' in l and "_sips._tcp.voip-example.com." in l for l in naptr)
    assert re.search(r";; SERVER: ns[12]\.dnsprov-[ab]\.(net|org)/", r.stdout)
    m = re.search(r";; WALK: zone voip-example.com., (\d+) referrals?, (\d+) quer", r.stdout)
    assert m and int(m.group(1)) == 2  # . -> com. -> voip-example.com.


def test_trace_prints_every_referral_and_glueless_lookup(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "--hints", lab.hints, "+trace", "_sip._udp.voip-example.com", "SRV")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert re.search(r"zone \. @[ab]\.root-servers\.net/[\d.]+ udp .*referral to com\.", out)
    assert re.search(r"zone com\. @[ab]\.gtld-servers\.net/.*referral to voip-example\.com\.", out)
    # NS names of the customer zone live under net/org: no glue, so nested look-ups appear.
    assert re.search(r";; looking up ns\d\.dnsprov-[ab]\.(net|org)\. A", out)
    assert re.search(r"zone voip-example\.com\. @ns.*answer \(2 records, authoritative\)", out)
    assert len(answer_records(out, "SRV")) == 2


def test_direct_query_norec_is_authoritative(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + PROVIDER_A, "voip-example.com", "SOA", "+norec")
    assert r.returncode == 0, r.stderr
    assert re.search(r";; flags:.* aa", r.stdout)
    assert not re.search(r";; flags:.* rd", r.stdout)
    assert "2026112201" in r.stdout
    assert re.search(r";; ATTEMPTS: 1: udp [\d.]+ ms ok", r.stdout)


def test_direct_query_over_ipv6_and_tcp(lab, voxdns_bin):
    r = query(lab, voxdns_bin, f"@[{PROVIDER_A_V6}]:53", "sip1.voip-example.com", "AAAA", "+tcp")
    assert r.returncode == 0, r.stderr
    assert "2001:db8:c::10" in r.stdout
    assert re.search(r"over tcp", r.stdout)
    assert re.search(r";; ATTEMPTS: 1: tcp", r.stdout)


def test_server_given_by_name_is_resolved_from_hints(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "--hints", lab.hints, "@ns1.dnsprov-b.org", "voip-example.com", "NS")
    assert r.returncode == 0, r.stderr
    assert "ns1.dnsprov-b.org./203.0.113.53" in r.stdout or "ns1.dnsprov-b.org/203.0.113.53" in r.stdout


def test_truncated_udp_answer_is_retried_over_tcp(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + PROVIDER_A, "big.voip-example.com", "TXT", "+norec")
    assert r.returncode == 0, r.stderr
    assert re.search(r";; ATTEMPTS: 2: udp [\d.]+ ms truncated .*, tcp [\d.]+ ms ok", r.stdout)
    assert "over tcp" in r.stdout
    assert len(answer_records(r.stdout, "TXT")) > 5


def test_blackholed_server_is_given_up_within_budget(lab, voxdns_bin):
    started = time.monotonic()
    r = query(lab, voxdns_bin, "@" + BLACKHOLED, "blackholed-example.com", "SOA")
    elapsed = time.monotonic() - started
    assert r.returncode == 3
    assert re.fullmatch(
        rf"voxdns query: no answer from {BLACKHOLED}:53: timed out after 3 attempts in 2\.\d\d s\n",
        r.stderr,
    ), r.stderr
    assert elapsed < 3.5  # 400 + 800 + 1600 ms of attempts, plus process start-up


def test_stopped_server_fails_at_once(lab, voxdns_bin):
    for extra in ([], ["+tcp"]):
        r = query(lab, voxdns_bin, "@" + STOPPED, "stopped-example.com", "SOA", *extra)
        assert r.returncode == 3
        assert "connection refused after 1 attempt" in r.stderr


def test_spoofed_answers_are_dropped_and_the_real_one_used(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + SPOOFER, "sip1.spoofed-example.com", "A", "+norec")
    assert r.returncode == 0, r.stderr
    assert "198.18.66.66" not in r.stdout  # the forged data
    assert len(answer_records(r.stdout, "A")) >= 1
    m = re.search(r"; (\d+) unmatched datagrams? dropped", r.stdout)
    assert m and int(m.group(1)) >= 2, r.stdout  # wrong port and wrong id


def test_delayed_server_rtt_reflects_relay(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + DELAYED, "delayed-example.com", "SOA", "+norec")
    assert r.returncode == 0, r.stderr
    rtt = float(re.search(r"RTT ([\d.]+) ms", r.stdout).group(1))
    assert 95.0 <= rtt < 400.0


def test_lame_server_refuses_and_walk_moves_on(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + LAME, "lame-example.com", "SOA", "+norec")
    assert r.returncode == 0  # a response, though a useless one
    assert "REFUSED" in r.stdout
    r = query(lab, voxdns_bin, "--hints", lab.hints, "-4", "+trace", "lame-example.com", "SOA")
    assert r.returncode == 0, r.stderr
    assert "2026" in r.stdout


def test_walk_survives_a_blackholed_name_server(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "--hints", lab.hints, "blackholed-example.com", "NAPTR", timeout=20)
    assert r.returncode == 0, r.stderr
    assert len(answer_records(r.stdout, "NAPTR")) >= 1


def test_hijacked_server_serves_other_data_with_same_serial(lab, voxdns_bin):
    good = query(lab, voxdns_bin, "@" + PROVIDER_A, "sip1.hijacked-example.com", "A", "+norec")
    bad = query(lab, voxdns_bin, "@" + HIJACKED, "sip1.hijacked-example.com", "A", "+norec")
    assert good.returncode == bad.returncode == 0
    assert answer_records(good.stdout, "A") != answer_records(bad.stdout, "A")
    serial = lambda out: re.search(r"\sSOA\s+\S+\s+\S+\s+(\d+)", out).group(1)
    g = query(lab, voxdns_bin, "@" + PROVIDER_A, "hijacked-example.com", "SOA", "+norec")
    b = query(lab, voxdns_bin, "@" + HIJACKED, "hijacked-example.com", "SOA", "+norec")
    assert serial(g.stdout) == serial(b.stdout)


def test_stale_server_serves_an_older_serial(lab, voxdns_bin):
    serial = lambda out: int(re.search(r"\sSOA\s+\S+\s+\S+\s+(\d+)", out).group(1))
    g = query(lab, voxdns_bin, "@" + PROVIDER_A, "stale-example.com", "SOA", "+norec")
    s = query(lab, voxdns_bin, "@" + STALE, "stale-example.com", "SOA", "+norec")
    assert serial(s.stdout) < serial(g.stdout)


def test_open_recursion_answers_for_other_zones(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + RECURSOR, "sip1.voip-example.com", "A")
    assert r.returncode == 0, r.stderr
    assert re.search(r";; flags:.* ra", r.stdout)
    assert "192.0.2.10" in r.stdout


def test_nsid_and_dnssec_flags_are_sent(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "@" + PROVIDER_A, "voip-example.com", "SOA", "+nsid", "+dnssec", "+norec")
    assert r.returncode == 0, r.stderr
    assert re.search(r"EDNS: version: 0, flags: do; udp: \d+", r.stdout), r.stdout
    assert re.search(r"NSID: .*ns1\.dnsprov-a\.net", r.stdout), r.stdout


def test_nxdomain_is_a_response(lab, voxdns_bin):
    r = query(lab, voxdns_bin, "--hints", lab.hints, "nothere.voip-example.com", "A")
    assert r.returncode == 0
    assert "NXDOMAIN" in r.stdout


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["a..b"], 64, "invalid domain name 'a..b'"),
        (["example.com", "NOTATYPE"], 64, "unknown record type 'NOTATYPE'"),
        (["x" * 64 + ".com"], 64, "invalid domain name"),
        (["--bogus", "example.com"], 64, "unexpected argument '--bogus'"),
        ([], 64, "a name to look up is required"),
        (["--hints", "/nonexistent/root.hints", "example.com"], 3, "/nonexistent/root.hints: No such file"),
        (["@not_an..address", "example.com"], 64, "invalid server"),
    ],
)
def test_bad_input_gets_one_line_error(lab, voxdns_bin, args, status, message):
    r = query(lab, voxdns_bin, *args)
    assert r.returncode == status
    assert message in r.stderr
    assert r.stderr.count("\n") == 1
    assert r.stdout == ""


def test_corrupt_hints_file_is_reported_with_line(lab, voxdns_bin, tmp_path):
    hints = tmp_path / "bad.hints"
    hints.write_text(". NS a.root.\na.root. A 999.1.1.1\n")
    r = query(lab, voxdns_bin, "--hints", str(hints), "example.com")
    assert r.returncode == 3
    assert "line 2: invalid IPv4 address" in r.stderr
