"""System tests of `voxdns resolve` (libvoxdns through its public API) and of the host-loop
example driver, against the lab's `knobs` scenario: the open recursive Unbound at 198.18.47.1
resolves everything, 198.18.41.1 is blackholed (silence)."""
import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest

RECURSOR = "198.18.47.1"
BLACKHOLE = "198.18.41.1"

# A UDP forwarder the test can take away: in front of the recursor on 127.0.0.1:PORT. Killing it
# leaves the port closed (ICMP port unreachable): "every upstream down".
FORWARDER = r"""
import select, socket, sys
lsn = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); lsn.bind(("127.0.0.1", int(sys.argv[1])))
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); pend = {}
print("ready", flush=True)
while True:
    r, _, _ = select.select([lsn, out], [], [])
    if lsn in r:
        d, a = lsn.recvfrom(65535); pend[d[:2]] = a; out.sendto(d, (sys.argv[2], 53))
    if out in r:
        d, _ = out.recvfrom(65535); a = pend.pop(d[:2], None)
        if a: lsn.sendto(d, a)
"""

# The same forwarder, made silent (a blackhole: no answer, no ICMP) by SIGUSR1.
SILENCEABLE = FORWARDER.replace("import select, socket, sys", """import select, signal, socket, sys
silent = []
signal.signal(signal.SIGUSR1, lambda *_: silent.append(1))""").replace(
    "d, a = lsn.recvfrom(65535); pend[d[:2]] = a; out.sendto(d, (sys.argv[2], 53))",
    "d, a = lsn.recvfrom(65535)\n        if silent: continue\n"
    "        pend[d[:2]] = a; out.sendto(d, (sys.argv[2], 53))")

STATIC = """\
sip.static-example.com.        3600 IN A     192.0.2.77
_sip._udp.static-example.com.  3600 IN SRV   10 0 5060 sip.static-example.com.
static-example.com.            3600 IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.static-example.com.
"""


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("knobs")


def resolve(lab, voxdns_bin, *args, timeout=30):
    return lab.run([voxdns_bin, "resolve", *args], timeout=timeout)


def test_finds_service_fast_with_first_resolver_blackholed(lab, voxdns_bin):
    t0 = time.monotonic()
    r = resolve(lab, voxdns_bin, "sip:voip-example.com", "--resolver", BLACKHOLE,
                "--resolver", RECURSOR, "--json")
    wall = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "ok"
    assert out["elapsed_ms"] < 350, out["elapsed_ms"]  # one hedge (200 ms) plus the answers
    assert wall < 2.0
    first = out["targets"][0]
    assert (first["transport"], first["host"], first["port"]) == (
        "tls", "sip1.voip-example.com.", 5061)
    assert first["tls_identity"] == "voip-example.com"
    assert {t["address"] for t in out["targets"]} == {"192.0.2.10", "2001:db8:c::10",
                                                      "203.0.113.10"}
    assert all(t["source"] == "network" for t in out["targets"])


def test_trace_shows_every_step_with_source_and_time(lab, voxdns_bin):
    r = resolve(lab, voxdns_bin, "sip:voip-example.com", "--resolver", RECURSOR, "--trace",
                "--repeat", "2")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith(";;")]
    assert any("NAPTR voip-example.com. -> 3 records from network" in l for l in lines)
    assert any("SRV   _sip._udp.voip-example.com. -> 2 records from network" in l
               for l in lines)
    # the second location on the same resolver is answered from its cache
    assert any("NAPTR voip-example.com. -> 3 records from cache" in l for l in lines)
    assert all(" ms " in l for l in lines)


def test_stale_answer_when_every_upstream_is_down(lab, tmp_path):
    loop_bin = os.path.join(os.path.dirname(os.environ.get("VOXDNS_BIN", "build/voxdns")),
                            "examples", "locate_loop")
    if not os.path.exists(loop_bin):
        pytest.skip("examples/locate_loop not built")
    fwd = lab.popen([sys.executable, "-c", FORWARDER, "5399", RECURSOR],
                    stdout=subprocess.PIPE, text=True)
    try:
        assert fwd.stdout.readline().strip() == "ready"
        drv = lab.popen([loop_bin, "--max-ttl", "1", "127.0.0.1:5399"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        first = ask_loop(drv, "sip:voip-example.com")
        assert "success, 9 targets" in first[0]
        assert all(l.endswith(" network") for l in first[1:])
        fwd.kill()
        fwd.wait()
        time.sleep(1.2)  # past the 1 s TTL cap: the cached data is now stale
        second = ask_loop(drv, "sip:voip-example.com")
        assert "success, 9 targets" in second[0]
        assert all(l.endswith(" stale") for l in second[1:]), second
        drv.stdin.close()
        assert drv.wait(timeout=10) == 0
    finally:
        fwd.kill()


def test_stale_at_once_when_every_upstream_is_known_down(lab):
    """RFC 8767 "known down": the upstream goes silent; the first location after that waits
    the client response timer (1.8 s) once, and declares it down; from then on stale answers
    come at once, also for names that location never asked."""
    loop_bin = os.path.join(os.path.dirname(os.environ.get("VOXDNS_BIN", "build/voxdns")),
                            "examples", "locate_loop")
    if not os.path.exists(loop_bin):
        pytest.skip("examples/locate_loop not built")
    fwd = lab.popen([sys.executable, "-c", SILENCEABLE, "5398", RECURSOR],
                    stdout=subprocess.PIPE, text=True)
    try:
        assert fwd.stdout.readline().strip() == "ready"
        drv = lab.popen([loop_bin, "--max-ttl", "1", "127.0.0.1:5398"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        for uri in ("sip:voip-example.com", "sip:voip-example.org"):
            assert ask_loop(drv, uri)[0].startswith(uri + ": success")
        fwd.send_signal(signal.SIGUSR1)
        time.sleep(1.2)  # past the 1 s TTL cap: the cached data is now stale
        t0 = time.monotonic()
        first = ask_loop(drv, "sip:voip-example.com")
        first_s = time.monotonic() - t0
        assert "success, 9 targets" in first[0]
        assert all(l.endswith(" stale") for l in first[1:]), first
        assert 1.7 < first_s < 2.5, first_s  # one client response timer, not one per step
        t0 = time.monotonic()
        second = ask_loop(drv, "sip:voip-example.org")
        second_s = time.monotonic() - t0
        assert second[0].startswith("sip:voip-example.org: success"), second
        assert all(l.endswith(" stale") for l in second[1:]), second
        assert second_s < 0.05, second_s
        drv.stdin.close()
        assert drv.wait(timeout=10) == 0
    finally:
        fwd.kill()


def ask_loop(drv, uri, timeout=10):
    drv.stdin.write(uri + "\n")
    drv.stdin.flush()
    head = read_line(drv, timeout)
    n = int(head.split(", ")[1].split()[0])
    return [head] + [read_line(drv, timeout) for _ in range(n)]


def read_line(proc, timeout):
    """One line of proc's output, without Python's buffering hiding data from select()."""
    buf = getattr(proc, "_linebuf", b"")
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        ready, _, _ = select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))
        assert ready, "no output from the driver"
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, "the driver exited"
        buf += chunk
    line, proc._linebuf = buf.split(b"\n", 1)
    return line.decode()


def test_static_fallback_when_nothing_is_cached(lab, voxdns_bin, tmp_path):
    cache = tmp_path / "static.txt"
    cache.write_text(STATIC)
    r = resolve(lab, voxdns_bin, "sip:static-example.com", "--resolver", BLACKHOLE,
                "--static-cache", str(cache), "--json", "--trace")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(t["transport"], t["address"], t["port"], t["source"]) for t in out["targets"]] == [
        ("udp", "192.0.2.77", 5060, "static")]
    assert out["trace"][0]["source"] == "static"
    # The NAPTR step waits the client response timer (1.8 s) and finds the resolver silent
    # through its retries: known down. The steps after it answer at once (the AAAA, which the
    # static cache lacks, fails at once), instead of each waiting 1.8 s again.
    assert 1700 < out["trace"][0]["ms"] < 2000, out["trace"][0]
    assert all(s["ms"] < 50 for s in out["trace"][1:]), out["trace"]
    assert out["elapsed_ms"] < 2500, out["elapsed_ms"]


def test_blocking_locations_return_as_soon_as_answered(lab, voxdns_bin, tmp_path):
    """Later locations on one resolver (--repeat) answer from static data at once, and the
    blocking call returns then, not when the earlier lookups still refreshing in the
    background next need the loop (they keep timers for seconds)."""
    cache = tmp_path / "static.txt"
    cache.write_text(STATIC)
    t0 = time.monotonic()
    r = resolve(lab, voxdns_bin, "sip:static-example.com", "--resolver", BLACKHOLE,
                "--static-cache", str(cache), "--repeat", "3")
    wall = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    times = [float(l.split(" in ")[1].split()[0]) for l in r.stdout.splitlines()
             if "target in" in l]
    assert len(times) == 3 and times[0] < 2000 and max(times[1:]) < 50, times
    assert wall < 2.6, wall


def test_static_first_answers_without_waiting(lab, voxdns_bin, tmp_path):
    cache = tmp_path / "static.txt"
    cache.write_text(STATIC)
    r = resolve(lab, voxdns_bin, "sip:static-example.com", "--resolver", BLACKHOLE,
                "--static-cache", str(cache), "--static-first", "--json", "--trace")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["targets"][0]["source"] == "static"
    # what the static cache holds is answered at once; only the AAAA it lacks waits for DNS
    static = [s for s in out["trace"] if s["source"] == "static"]
    assert [s["type"] for s in static] == ["NAPTR", "SRV", "A"]
    assert all(s["ms"] < 50 for s in static), static


def test_domain_fallback_after_nxdomain(lab, voxdns_bin):
    r = resolve(lab, voxdns_bin, "sip:alice@nothing-here-example.com", "--resolver", RECURSOR,
                "--domain-fallback", "voip-example.org", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {t["domain"] for t in out["targets"]} == {"voip-example.org."}
    tls = [t for t in out["targets"] if t["transport"] == "tls"]
    assert tls and all(t["tls_identity"] == "voip-example.org" for t in tls)


def test_policy_strict_drops_foreign_targets(lab, voxdns_bin):
    # voip-example.net's SRV targets are hosts of voip-example.com
    r = resolve(lab, voxdns_bin, "sip:voip-example.net", "--resolver", RECURSOR,
                "--policy", "strict")
    assert r.returncode == 3
    r = resolve(lab, voxdns_bin, "sip:voip-example.net", "--resolver", RECURSOR,
                "--policy", "off")
    assert r.returncode == 0, r.stderr


def test_nothing_found_exits_3(lab, voxdns_bin):
    r = resolve(lab, voxdns_bin, "sip:nothing-here-example.com", "--resolver", RECURSOR)
    assert r.returncode == 3
    assert r.stderr.count("\n") == 1 and "not found" in r.stderr


@pytest.mark.parametrize("args, status, message", [
    (["sip:bad host.com", "--resolver", RECURSOR], 64, "invalid character"),
    (["sip:example.com:70000", "--resolver", RECURSOR], 64, "out of range"),
    (["http://example.com", "--resolver", RECURSOR], 64, ""),
    (["sip:example.com", "--resolver", "1.2.3.999"], 64, "invalid resolver address"),
    (["sip:example.com", "--resolver", "[2001:db8::1"], 64, "invalid resolver address"),
    (["sip:example.com", "--static-cache", "/nonexistent/cache"], 3, "cannot open"),
    (["sip:example.com", "--resolver", RECURSOR, "--static-cache", "/etc/passwd"], 64, "line 1"),
    (["sip:example.com", "--policy", "lax"], 64, "unknown policy"),
    (["sip:example.com", "--domain-fallback", "bad_domain!"], 64, "fallback domain"),
    (["sip:example.com", "--resolv-conf", "/dev/null"], 3, "no usable nameserver"),
    (["sip:example.com", "--resolver"], 64, "needs a value"),
    ([], 64, "URI is required"),
])
def test_bad_input(lab, voxdns_bin, args, status, message):
    r = resolve(lab, voxdns_bin, *args)
    assert r.returncode == status, (r.stdout, r.stderr)
    assert r.stderr.startswith("voxdns resolve: ") and r.stderr.count("\n") == 1
    assert message in r.stderr


def test_resolv_conf_nameservers(lab, voxdns_bin, tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# test\nsearch lab\nnameserver 999.0.0.1\nnameserver %s\n" % RECURSOR)
    r = resolve(lab, voxdns_bin, "sip:voip-example.com", "--resolv-conf", str(conf))
    assert r.returncode == 0, r.stderr
    assert "9 targets" in r.stdout


@pytest.mark.parametrize("fmt, needle", [
    ("voxdns", "_sip._udp.voip-example.com. "),
    ("polycom", 'dns.cache.SRV.1.name="'),
    ("yealink", "dns_cache_srv.1.name = "),
    ("hosts", "192.0.2.10\tsip1.voip-example.com"),
])
def test_export_cache_then_resolve_from_it(lab, voxdns_bin, tmp_path, fmt, needle):
    r = lab.run([voxdns_bin, "export-cache", "voip-example.com", "--format", fmt,
                 "--hints", lab.hints], timeout=60)
    assert r.returncode == 0, r.stderr
    assert needle in r.stdout
    if fmt == "hosts":
        return
    cache = tmp_path / ("cache." + fmt)
    cache.write_text(r.stdout)
    r = resolve(lab, voxdns_bin, "sip:voip-example.com", "--resolver", BLACKHOLE,
                "--static-cache", str(cache), "--static-first", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["targets"]) == 9 and all(t["source"] == "static" for t in out["targets"])


def test_export_cache_through_resolver_and_bad_input(lab, voxdns_bin):
    r = lab.run([voxdns_bin, "export-cache", "voip-example.org", "--format", "voxdns",
                 "--resolver", RECURSOR])
    assert r.returncode == 0, r.stderr
    assert "sip2.voip-example.org. " in r.stdout
    assert lab.run([voxdns_bin, "export-cache", "voip-example.org"]).returncode == 64
    assert lab.run([voxdns_bin, "export-cache", "x.org", "--format", "cisco"]).returncode == 64
    r = lab.run([voxdns_bin, "export-cache", "nothing-here-example.com", "--format", "voxdns",
                 "--resolver", RECURSOR])
    assert r.returncode == 3
