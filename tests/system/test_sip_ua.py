"""System tests of examples/sip_ua.c, the small SIP UA on libvoxdns, against the lab's real
Kamailio SBCs (`knobs` scenario: the recursor 198.18.47.1 resolves everything, 198.18.41.1 is
blackholed). voip-example.com's targets in RFC 3263 order: TLS to sip1 (2001:db8:c::10, then
192.0.2.10), then sip2 (203.0.113.10), then TCP and UDP likewise."""
import os
import subprocess
import time

import pytest

RECURSOR = "198.18.47.1"
BLACKHOLE = "198.18.41.1"
SIP1_TLS = "tls sip1.voip-example.com.:5061 "


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("knobs")


@pytest.fixture(scope="module")
def ua():
    exe = os.path.join(os.path.dirname(os.environ.get("VOXDNS_BIN", "build/voxdns")),
                       "examples", "sip_ua")
    if not os.path.exists(exe):
        pytest.skip("examples/sip_ua not built")
    return exe


def run_ua(lab, ua, *args, resolvers=(RECURSOR,)):
    argv = [ua]
    for r in resolvers:
        argv += ["--resolver", r]
    argv += ["--ca-file", lab.ca_file, *args, "sip:voip-example.com"]
    r = lab.run(argv, timeout=60)
    # one line per attempt, between "located ..." and "done/failed after ..."
    return r, r.stdout.splitlines()[1:-1]


def test_registers_with_the_first_target(lab, ua):
    r, attempts = run_ua(lab, ua, "--register", "alice")
    assert r.returncode == 0, r.stdout + r.stderr
    assert attempts == [attempts[0]]
    assert attempts[0].startswith(SIP1_TLS + "2001:db8:c::10 200 OK ")
    assert r.stdout.startswith("located sip:voip-example.com: 9 targets in ")


def test_options_over_each_transport(lab, ua):
    for transport in ("udp", "tcp", "tls"):
        r, attempts = run_ua(lab, ua, "--transport", transport, "--options")
        assert r.returncode == 0, r.stdout + r.stderr
        assert len(attempts) == 1
        assert attempts[0].startswith(transport + " sip1.voip-example.com.:")
        assert " 200 OK " in attempts[0]


def test_tls_without_the_lab_ca_fails_over_and_fails(lab, ua):
    # The SBCs' certificates chain to the lab CA only: with the system's CAs every TLS target is
    # refused (a TLS failure, held down), and the UA gives up on TLS alone.
    r = lab.run([ua, "--resolver", RECURSOR, "--transport", "tls", "--register", "alice",
                 "sip:voip-example.com"], timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.count(" tls-failure ") == 3
    assert r.stdout.splitlines()[-1].startswith("failed after ")


def test_silent_first_target_fails_over_to_the_next(lab, ua):
    lab.sbc_mode("sip1.voip-example.com", "silent")
    try:
        r, attempts = run_ua(lab, ua, "--register", "alice", "--timeout", "1000")
    finally:
        lab.sbc_mode("sip1.voip-example.com", "up")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(attempts) == 3, r.stdout
    assert attempts[0].startswith(SIP1_TLS + "2001:db8:c::10 timeout ")
    assert attempts[1].startswith(SIP1_TLS + "192.0.2.10 timeout ")
    assert attempts[2].startswith("tls sip2.voip-example.com.:5061 203.0.113.10 200 OK ")


def test_stopped_kamailio_is_refused_at_once(lab, ua):
    # Kamailio stopped: the addresses stay, connections are refused (no time-out to wait for).
    lab.sip_stop()
    try:
        r, attempts = run_ua(lab, ua, "--transport", "tcp", "--register", "alice")
    finally:
        lab.sip_start()
    assert r.returncode == 1, r.stdout + r.stderr
    assert len(attempts) == 3 and all(" refused " in a for a in attempts), r.stdout


def test_blackholed_first_resolver_still_registers_quickly(lab, ua):
    t0 = time.monotonic()
    r, attempts = run_ua(lab, ua, "--register", "alice", resolvers=(BLACKHOLE, RECURSOR))
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert attempts[0].startswith(SIP1_TLS + "2001:db8:c::10 200 OK ")
    # glibc's stub would wait its 5 s time-out on the dead first resolver
    assert elapsed < 2.5, r.stdout


# sipfailover: knobs with sip1.voip-example.com (2001:db8:c::10, 192.0.2.10) in a Kamailio of its
# own, kamailio-sip1, stopped and started alone; sip2 (203.0.113.10) stays in the main one.
SIP1 = "kamailio-sip1"
HOLD_MS, INTERVAL_MS = 6000, 2500  # margins of >= 1 s around the ends of the holds
SIP1_HELD = "tls/[2001:db8:c::10]:5061 tls/192.0.2.10:5061"
SIP2_HELD = "tls/203.0.113.10:5061"


@pytest.fixture(scope="module")
def failover_lab(lab_scenario):
    return lab_scenario("sipfailover")


def ua_rounds(lines):
    """The UA's output of --repeat -> [(round start ms or 0, held text, [attempt lines])]."""
    rounds = []
    for line in lines:
        if line.startswith("located "):
            rounds.append((0.0, "-", []))
        elif line.startswith("round "):
            at, held = line.split(" at ", 1)[1].split(" ms: ", 1)[0], line.split("held: ", 1)[1]
            rounds.append((float(at), held, []))
        elif rounds and not line.startswith(("done after", "failed after")):
            rounds[-1][2].append(line)
    return rounds


def kamailio_sockets(lab, instance, user="alice"):
    """The sockets (tls:ADDR:PORT, tcp:...) through which the Kamailio got the bindings of
    user, from its own location table (kamcmd ul.dump of its TCP/TLS part)."""
    ctl = lab.sip["instances"][instance]["ctl"]
    r = lab.run(["kamcmd", "-s", "unix:" + ctl, "ul.dump"], timeout=20)
    assert r.returncode == 0, r.stderr
    if "AoR: %s" % user not in r.stdout:
        return []
    return [l.split("Socket:", 1)[1].strip() for l in r.stdout.splitlines() if "Socket:" in l]


def test_stopped_first_kamailio_reregisters_on_the_next_target(failover_lab, ua):
    """The UA registers with sip1, whose Kamailio is then stopped: the next refresh goes to
    sip1's addresses (refused at once: held down), then to sip2 in RFC 3263 order. sip1 comes
    back while held and sip2 becomes unreachable: the refresh after goes to sip1 over TCP, the
    next target not held, not to sip1 over TLS (first in RFC 3263 order, up again, but held);
    the holds end HOLD_MS after the failures."""
    lab = failover_lab
    argv = [ua, "--resolver", RECURSOR, "--ca-file", lab.ca_file, "--repeat", "6", "--interval",
            str(INTERVAL_MS), "--holddown", str(HOLD_MS), "--register", "alice",
            "sip:voip-example.com"]
    ready = {}  # round -> seconds after the UA started by which the lab change was done
    p = lab.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    t0, lines = time.monotonic(), []
    try:
        for line in p.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("tls sip1.") and " 200 OK " in line and 2 not in ready:
                lab.sip_stop(SIP1)
                ready[2] = time.monotonic() - t0
            elif line.startswith("tls sip2.") and " 200 OK " in line and 3 not in ready:
                lab.sip_start(SIP1)
                lab.sbc_mode("sip2.voip-example.com", "unreachable")
                ready[3] = time.monotonic() - t0
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        lab.sip_start(SIP1)
        lab.sbc_mode("sip2.voip-example.com", "up")
    out = "\n".join(lines) + "\n" + p.stderr.read()
    # each lab change was done before the round it is for began (no race on a busy machine)
    assert sorted(ready) == [2, 3], out
    assert all(ready[k] < (k - 1) * INTERVAL_MS / 1e3 for k in ready), (ready, out)
    assert p.returncode == 0, out
    rounds = ua_rounds(lines)
    assert len(rounds) == 6, out
    r1, r2, r3, r4, r5, r6 = rounds
    assert r1[2] == [r1[2][0]] and r1[2][0].startswith(SIP1_TLS + "2001:db8:c::10 200 OK "), out
    # sip1's Kamailio stopped: both its addresses refuse at once, then sip2, in RFC 3263 order
    assert r2[1] == "-", out
    assert [a.rsplit(" ", 2)[0] for a in r2[2]] == [
        SIP1_TLS + "2001:db8:c::10 refused", SIP1_TLS + "192.0.2.10 refused",
        "tls sip2.voip-example.com.:5061 203.0.113.10 200 OK"], out
    assert sum(float(a.split()[-2]) for a in r2[2]) < 1000, out
    assert sum(float(a.split()[-2]) for a in r2[2][:2]) < 100, out
    # sip1 up again but held; sip2 unreachable: sip1 over TCP, not over TLS
    assert r3[1] == SIP1_HELD, out
    assert [a.rsplit(" ", 2)[0] for a in r3[2]] == [
        "tls sip2.voip-example.com.:5061 203.0.113.10 refused",
        "tcp sip1.voip-example.com.:5060 2001:db8:c::10 200 OK"], out
    assert r4[1] == SIP1_HELD + " " + SIP2_HELD, out
    # sip1's TLS hold (from round 2) has ended, sip2's (from round 3) not yet; then none
    assert r5[1] == SIP2_HELD, out
    assert r6[1] == "-", out
    assert all(len(r[2]) == 1 and " 200 OK " in r[2][0] for r in (r4, r5, r6)), out
    # the servers' side: sip2's Kamailio holds the TLS binding of round 2; sip1's, restarted
    # before round 3, got REGISTERs over TCP only
    assert "tls:203.0.113.10:5061" in kamailio_sockets(lab, "kamailio"), out
    assert set(kamailio_sockets(lab, SIP1)) == {"tcp:[2001:db8:c::10]:5060"}, out


# The audit scenario's endpoint domains: each SBC pair has a certificate from the lab CA that
# names the SIP domain in one way (or does not name it); the recursor is the same address.
@pytest.fixture(scope="module")
def endpoint_lab(lab_scenario):
    return lab_scenario("audit")


def options_over_tls(lab, ua, domain):
    return lab.run([ua, "--resolver", RECURSOR, "--ca-file", lab.ca_file, "--transport", "tls",
                    "--options", "sip:" + domain], timeout=60)


@pytest.mark.parametrize("domain", ["tlsuri-example.com", "tlsdns-example.com",
                                    "tlscn-example.com"])
def test_certificate_naming_the_domain_is_accepted(endpoint_lab, ua, domain):
    # RFC 5922 §7 through vx_cert_check_sip_domain(): SAN URI, SAN dNSName, CN without SAN.
    r = options_over_tls(endpoint_lab, ua, domain)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 200 OK " in r.stdout.splitlines()[1]
    assert "certificate of" not in r.stderr


@pytest.mark.parametrize("domain,named", [
    ("tlshostonly-example.com", "SAN DNS sip1.tlshostonly-example.com"),
    ("tlswildcard-example.com", "SAN DNS *.tlswildcard-example.com")])
def test_certificate_not_naming_the_domain_is_refused(endpoint_lab, ua, domain, named):
    # The chain is valid (lab CA) but the certificate names only the hosts (or a wildcard): every
    # TLS target (sip1 and sip2, IPv6 and IPv4) is a TLS failure, and the UA says what it names.
    r = options_over_tls(endpoint_lab, ua, domain)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.count(" tls-failure ") == 4, r.stdout
    assert " 200 OK " not in r.stdout
    line = "certificate of %s: certificate does not name the SIP domain (it names %s)" % (
        domain, named)
    assert line in r.stderr, r.stderr
