"""System tests of the lab's SIP servers (tests/lab/labsip.py, Kamailio): in
the audit scenario every address an RFC 3263 chain leads to answers OPTIONS
on the transports the chain names, the SBC knobs (silent, 503, TLS closed,
TLS 1.1 only, certificate variants) behave as tests/lab/README.md says, and
the runtime knobs (SBC modes, certificate swap, Kamailio stop/start) change
what a client sees. Clients: sipsak, openssl s_client and labsip's own
OPTIONS sender, all run inside the lab's namespace."""

import datetime
import os
import re
import subprocess
import textwrap

import pytest

import labsip
import voxlab_lib

LABSIP = os.path.join(voxlab_lib.LAB_DIR, "labsip.py")
PY = voxlab_lib.PYTHON
RECURSOR = "198.18.47.1"   # recursor.faultprov.net: an open resolver in the lab
NAPTR_TRANSPORT = {"SIP+D2U": "udp", "SIP+D2T": "tcp", "SIPS+D2T": "tls"}
SRV_TRANSPORT = {"_sip._udp": "udp", "_sip._tcp": "tcp", "_sips._tcp": "tls"}


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("audit")


def options(lab, transport, address, port=5060, timeout=2.0):
    """One OPTIONS from inside the lab -> "200", "timeout" or "error TEXT"."""
    r = lab.run([PY, LABSIP, transport, address, str(port), str(timeout)],
                timeout=timeout + 20)
    return r.stdout.strip()


def sipsak(lab, address, transport="udp", timeout_factor=None):
    """sipsak OPTIONS (IPv4: sipsak has no IPv6) -> (status line or None, rc)."""
    cmd = ["sipsak", "-vv", "-s", "sip:probe@%s" % address, "-E", transport]
    if timeout_factor:
        cmd += ["-D", str(timeout_factor)]
    r = lab.run(cmd, timeout=60)
    m = re.search(r"^(SIP/2\.0 \d{3} [^\r\n]*)", r.stdout, re.M)
    return (m.group(1).strip() if m else None), r.returncode


def s_client(lab, address, port=5061, *extra):
    """openssl s_client with the lab CA -> (output, the leaf's PEM or None)."""
    host = "[%s]" % address if ":" in address else address
    r = lab.run(["sh", "-c", 'timeout 5 openssl s_client -connect "$0" -CAfile "$VOXLAB_CA" '
                 '-showcerts "$@" </dev/null 2>&1', "%s:%d" % (host, port)] + list(extra),
                timeout=30)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", r.stdout, re.S)
    return r.stdout, (m.group(0) if m else None)


def leaf(pem):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    cert = x509.load_pem_x509_certificate(pem.encode())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
        dns = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        uris, dns = None, None
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    return {"cn": cn, "uris": uris, "dns": dns, "not_after": cert.not_valid_after,
            "self_signed": cert.issuer == cert.subject,
            "sha256": cert.fingerprint(hashes.SHA256()).hex()}


def verify_code(out):
    m = re.search(r"Verify return code: (\d+)", out)
    return int(m.group(1)) if m else None


# --- the SBCs the zones call for ---------------------------------------------

def chains_by_dig(lab, domains):
    """(transport, port, address) of every chain of each domain, as the lab's
    open resolver answers (NAPTR, else the three SRV names; CNAMEs followed)."""
    def batch(questions):
        r = lab.run(["dig", "@" + RECURSOR, "+time=2", "+tries=1", "+noall", "+answer",
                     "-f", "-"], input="".join("%s %s\n" % q for q in questions), timeout=120)
        rows = [line.split(None, 4) for line in r.stdout.splitlines()]
        return [(row[0].lower(), row[3], row[4]) for row in rows if len(row) == 5]

    naptr = batch([(d, "NAPTR") for d in domains])
    services = {}
    for owner, rtype, rdata in naptr:
        f = rdata.split()
        if rtype == "NAPTR" and f[2].strip('"').lower() == "s" and \
                f[3].strip('"').upper() in NAPTR_TRANSPORT:
            services.setdefault(owner.rstrip("."), set()).add(
                (NAPTR_TRANSPORT[f[3].strip('"').upper()], f[5].lower()))
    for d in domains:
        services.setdefault(d, {(t, "%s.%s." % (label, d)) for label, t in SRV_TRANSPORT.items()})
    srv_names = sorted({name for s in services.values() for _t, name in s})
    srvs = {}
    for owner, rtype, rdata in batch([(n, "SRV") for n in srv_names]):
        if rtype == "SRV":
            _prio, _w, port, target = rdata.split()
            srvs.setdefault(owner, set()).add((int(port), target.lower()))
    targets = sorted({t for s in srvs.values() for _p, t in s if t != "."})
    addrs = {}
    for owner, rtype, rdata in batch([(t, q) for t in targets for q in ("A", "AAAA")]):
        if rtype in ("A", "AAAA"):
            addrs.setdefault(owner, set()).add(rdata.strip())
    cnames = {o: r.lower() for o, t, r in batch([(t, "CNAME") for t in targets]) if t == "CNAME"}
    out = {}
    for d, svc in services.items():
        for transport, name in svc:
            for port, target in srvs.get(name, ()):
                for a in addrs.get(target, addrs.get(cnames.get(target), ())):
                    out.setdefault(d, set()).add((transport, port, a))
    return out


def test_every_sip_target_of_the_zones_has_an_sbc(lab):
    """Ask the DNS, not the lab's own derivation: every public (transport,
    port, address) a chain yields is an SBC address that listens there, and
    its certificate (for TLS) belongs to an SBC of that domain."""
    skip = {d for d, e in lab.audit_expectations.items()
            if {"ALL-NS-UNREACHABLE", "DELEGATION-MISSING"} & set(e["findings"])}
    domains = sorted(set(lab.audit_expectations) - skip)
    found = chains_by_dig(lab, domains)
    assert set(found) >= {"voip-example.com", "tlsuri-example.com", "srvoutside-example.com",
                          "sipsilent-example.com", "srvcname-example.com"}
    endpoints = lab.sip["endpoints"]
    checked = 0
    for d, tuples in found.items():
        for transport, port, a in tuples:
            if not labsip._public(a):
                assert a not in endpoints  # privaddr-example.com: no SBC on 10/8, fc00::/7
                continue
            assert a in endpoints, (d, transport, port, a)
            assert [transport, port] in endpoints[a]["listen"] + endpoints[a]["not_listening"]
            assert d in endpoints[a]["domains"], (d, a)
            checked += 1
    assert checked > 300


def test_lab_json_env_and_ca(lab):
    assert os.path.isfile(lab.ca_file)
    r = lab.run(["sh", "-c", 'echo "$VOXLAB_CA"'])
    assert r.stdout.strip() == lab.ca_file
    assert lab.sbc_addresses("sip1.voip-example.com") == ["192.0.2.10", "2001:db8:c::10"]
    assert lab.sip["domains"]["tlsexpired-example.com"] == [
        "198.18.80.6", "198.18.81.6", "2001:db8:80::6", "2001:db8:81::6"]
    e = lab.sbc("198.18.81.11")
    assert e["mode"] == "silent" and e["hosts"] == ["sip2.sipsilent-example.com"]
    assert lab.sbc_modes()["198.18.81.11"] == "silent"
    other = voxlab_lib.Lab(lab.dir)  # an expectation may name the CA as $VOXLAB_CA
    other.audit_expectations["x-example.com"] = {"domain": "x-example.com",
                                                 "args": ["--ca-file", "$VOXLAB_CA"]}
    assert other.audit_args("x-example.com") == ["--hints", lab.hints, "--ca-file",
                                                 lab.ca_file, "x-example.com"]
    assert lab.sbc_addresses("sip503-example.com") == [
        "198.18.80.13", "198.18.81.13", "2001:db8:80::13", "2001:db8:81::13"]
    assert lab.sbc("192.0.2.10")["cert"]["san_uris"] == [
        "sip:lyncstrict-example.com", "sip:srvoutside-example.com",
        "sip:voip-example.com", "sip:voip-example.net"]


# --- OPTIONS -----------------------------------------------------------------

def test_healthy_sbc_answers_options_over_udp_and_tcp(lab):
    assert sipsak(lab, "192.0.2.10", "udp")[0] == "SIP/2.0 200 OK"
    assert sipsak(lab, "203.0.113.20", "tcp")[0] == "SIP/2.0 200 OK"
    for a in ("2001:db8:c::10", "2001:db8:d::20", "198.51.100.12"):
        assert options(lab, "udp", a) == "200"
        assert options(lab, "tcp", a) == "200"


def test_503_knob_answers_503_on_every_transport(lab):
    assert sipsak(lab, "198.18.80.13", "udp")[0] == "SIP/2.0 503 Service Unavailable"
    assert sipsak(lab, "198.18.81.13", "tcp")[0] == "SIP/2.0 503 Service Unavailable"
    assert options(lab, "udp", "2001:db8:81::13") == "503"
    # its neighbour in the same wildcard UDP socket still says 200
    assert options(lab, "udp", "198.18.80.14") == "200"


def test_silent_sbc_times_out_without_refusal(lab):
    assert options(lab, "udp", "198.18.81.11", timeout=1) == "timeout"
    assert options(lab, "tcp", "2001:db8:81::11", timeout=1) == "error timed out"
    out, pem = s_client(lab, "198.18.81.12", 5061, "-verify_return_error")
    assert pem is None
    assert sipsak(lab, "198.18.80.11", "udp")[0] == "SIP/2.0 200 OK"  # sip1 is fine


def test_register_gets_200_without_authentication(lab):
    r = lab.run(["sipsak", "-U", "-C", "sip:alice@198.18.99.1", "-s", "sip:alice@192.0.2.10",
                 "-x", "60", "-vv"], timeout=60)
    assert "registering user alice@... \tOK" in r.stdout  # REGISTER -> 200
    assert "All usrloc tests completed successful" in r.stdout  # and MESSAGE relayed back
    assert r.returncode == 0


# --- TLS -----------------------------------------------------------------------

def test_healthy_certificate_names_every_domain_and_verifies(lab):
    out, pem = s_client(lab, "2001:db8:c::10")
    assert verify_code(out) == 0
    c = leaf(pem)
    assert c["cn"] == "sip1.voip-example.com"
    assert "sip:voip-example.com" in c["uris"] and "voip-example.com" in c["dns"]
    assert c["sha256"] == lab.sbc("2001:db8:c::10")["cert"]["sha256"]
    assert re.search(r"New, TLSv1\.[23]|Protocol *: TLSv1\.[23]", out)
    out, _ = s_client(lab, "192.0.2.20", 443)  # the Lync profile's _sip._tls
    assert verify_code(out) == 0


@pytest.mark.parametrize("address,cn,uris,dns", [
    ("198.18.80.1", "sip1.tlsuri-example.com", ["sip:tlsuri-example.com"], []),
    ("198.18.81.2", "sip2.tlsdns-example.com", [], ["tlsdns-example.com"]),
    ("2001:db8:80::3", "tlscn-example.com", None, None),
    ("198.18.80.4", "sip1.tlshostonly-example.com", [], ["sip1.tlshostonly-example.com"]),
    ("198.18.81.5", "sip2.tlswildcard-example.com", [], ["*.tlswildcard-example.com"]),
])
def test_certificate_name_variants(lab, address, cn, uris, dns):
    out, pem = s_client(lab, address)
    assert verify_code(out) == 0, out[-400:]
    c = leaf(pem)
    assert (c["cn"], c["uris"], c["dns"]) == (cn, uris, dns)


def test_expired_expiring_and_self_signed(lab):
    out, pem = s_client(lab, "198.18.80.6")
    assert verify_code(out) == 10  # certificate has expired
    assert leaf(pem)["not_after"] < datetime.datetime.utcnow()
    out, pem = s_client(lab, "2001:db8:81::7")
    assert verify_code(out) == 0
    left = leaf(pem)["not_after"] - datetime.datetime.utcnow()
    assert datetime.timedelta(days=9) < left < datetime.timedelta(days=11)
    out, pem = s_client(lab, "198.18.81.8")
    assert verify_code(out) == 18  # self-signed
    assert leaf(pem)["self_signed"] and "sip:tlsselfsigned-example.com" in leaf(pem)["uris"]


def test_tls_closed_refuses_and_plain_sip_still_answers(lab):
    out, pem = s_client(lab, "198.18.80.10")
    assert pem is None and "errno=111" in out  # connection refused: TCP reset
    assert options(lab, "tcp", "198.18.80.10") == "200"
    assert options(lab, "tcp", "2001:db8:81::10", 5061) == "error Connection refused"


def test_tls_old_speaks_only_tls_1_1(lab):
    out, pem = s_client(lab, "198.18.80.9", 5061, "-tls1_2")
    assert pem is None
    out, pem = s_client(lab, "198.18.80.9", 5061, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert pem is not None and re.search(r"Protocol *: TLSv1\.1", out)
    out, pem = s_client(lab, "198.18.80.1", 5061, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert pem is None  # the others require TLS 1.2


# --- runtime knobs -----------------------------------------------------------

def test_cert_swap_changes_the_served_fingerprint(lab):
    before = leaf(s_client(lab, "198.18.80.14")[1])
    assert before["sha256"] == lab.sbc("198.18.80.14")["cert"]["sha256"]
    new = lab.sbc_swap_cert("sip1.sipruntime-example.com")
    assert set(new) == {"198.18.80.14", "2001:db8:80::14"}
    out, pem = s_client(lab, "198.18.80.14")
    after = leaf(pem)
    assert after["sha256"] == new["198.18.80.14"]["sha256"] != before["sha256"]
    assert (after["uris"], after["dns"]) == (before["uris"], before["dns"])
    assert verify_code(out) == 0
    assert voxlab_lib.Lab(lab.dir).sbc("198.18.80.14")["cert"]["sha256"] == after["sha256"]
    # the other SBC of the domain keeps its certificate
    assert leaf(s_client(lab, "198.18.81.14")[1])["sha256"] == \
        lab.sbc("198.18.81.14")["cert"]["sha256"]


def test_sbc_modes_at_runtime(lab):
    try:
        lab.sbc_mode("sip2.sipruntime-example.com", "silent")
        assert options(lab, "udp", "198.18.81.14", timeout=1) == "timeout"
        assert options(lab, "tcp", "2001:db8:81::14", timeout=1) == "error timed out"
        lab.sbc_mode("sip2.sipruntime-example.com", "unreachable")
        assert options(lab, "udp", "198.18.81.14").startswith("error No route to host")
        lab.sbc_mode("sip2.sipruntime-example.com", "up")
        assert options(lab, "udp", "198.18.81.14") == "200"
        assert options(lab, "tcp", "2001:db8:81::14") == "200"
        assert verify_code(s_client(lab, "198.18.81.14")[0]) == 0
    finally:
        lab.sbc_mode("sip2.sipruntime-example.com", "up")
    assert lab.sbc_modes()["198.18.81.14"] == "up"


def test_stop_and_start_kamailio(lab):
    try:
        pids = lab.sip_stop()
        assert len(pids) == 2  # the UDP and the TCP/TLS process
        assert options(lab, "udp", "192.0.2.10", timeout=1) == "error Connection refused"
        assert options(lab, "tcp", "2001:db8:c::10", timeout=1) == "error Connection refused"
        assert sipsak(lab, "192.0.2.10", "udp", timeout_factor=1)[0] is None
    finally:
        lab.sip_start()
    assert sipsak(lab, "192.0.2.10", "udp")[0] == "SIP/2.0 200 OK"
    assert options(lab, "tcp", "2001:db8:c::10") == "200"
    assert verify_code(s_client(lab, "198.18.80.1")[0]) == 0
    # the silent SBC stays silent across the restart
    assert options(lab, "udp", "198.18.81.11", timeout=1) == "timeout"


def test_a_target_with_a_kamailio_of_its_own_stops_alone(lab_scenario):
    # sipfailover: sip1.voip-example.com's addresses in kamailio-sip1, every other SBC in the
    # main Kamailio, which then binds its UDP sockets per address (no wildcard to take sip1's)
    lab = lab_scenario("sipfailover")
    assert {a: e["instance"] for a, e in lab.sip["endpoints"].items()
            if e["instance"] != labsip.INSTANCE} == {
        "192.0.2.10": "kamailio-sip1", "2001:db8:c::10": "kamailio-sip1"}
    with open(lab.sip["instances"]["kamailio"]["config"]["udp"]) as f:
        assert "listen=udp:0.0.0.0:" not in f.read()
    try:
        assert len(lab.sip_stop("kamailio-sip1")) == 2
        for transport in ("udp", "tcp"):
            for address in ("192.0.2.10", "2001:db8:c::10"):
                assert options(lab, transport, address, timeout=1) == \
                    "error Connection refused", (transport, address)
            assert options(lab, transport, "203.0.113.10") == "200"
    finally:
        lab.sip_start("kamailio-sip1")
    assert options(lab, "udp", "2001:db8:c::10") == "200"
    assert verify_code(s_client(lab, "192.0.2.10", port=5061)[0]) == 0


def test_voxlab_ctl_command(lab):
    r = subprocess.run([voxlab_lib.VOXLAB, "ctl", lab.dir, "sbc", "198.18.80.14", "silent"],
                       capture_output=True, text=True, timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        assert options(lab, "udp", "198.18.80.14", timeout=1) == "timeout"
    finally:
        subprocess.run([voxlab_lib.VOXLAB, "ctl", lab.dir, "sbc", "198.18.80.14", "up"],
                       capture_output=True, timeout=60)
    assert options(lab, "udp", "198.18.80.14") == "200"
    r = subprocess.run([voxlab_lib.VOXLAB, "ctl", lab.dir, "sbc", "198.51.100.99", "up"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no SIP target" in r.stderr


# --- scenario validation -------------------------------------------------------

@pytest.mark.parametrize("sbcs,message", [
    ("{sip1.voip-example.com: {cert: bogus}}", "cert takes"),
    ("{sip1.voip-example.com: {options_reply: 99}}", "options_reply"),
    ("{sip1.voip-example.com: {silent: yes-please}}", "silent takes"),
    ("{sip1.voip-example.com: {loud: true}}", "unknown keys loud"),
    ("{sip9.voip-example.com: {silent: true}}", "no SIP target"),
    ("{sip1.voip-example.com: {kamailio: sip1}}", "kamailio names a Kamailio of its own"),
])
def test_bad_sbc_knobs_are_refused(tmp_path, sbcs, message):
    path = tmp_path / "bad.yml"
    path.write_text(textwrap.dedent("""\
        include: %s
        sbcs: %s
        """) % (os.path.join(voxlab_lib.SCENARIO_DIR, "healthy.yml"), sbcs))
    os.makedirs(tmp_path / "lab")
    with pytest.raises(voxlab_lib.LabError, match=message):
        sc = voxlab_lib.load_scenario(str(path))
        voxlab_lib.prepare(sc, str(tmp_path / "lab"))


def test_derivation_from_zone_text():
    """The chain walk itself: NAPTR and direct SRV names, relative names,
    CNAMEs, parentheses, skipped record types, private addresses left out."""
    text = textwrap.dedent('''\
        $ORIGIN x-example.com.
        $TTL 60
        @ 60 IN SOA ns1 hostmaster (
                1 7200 3600
                1209600 3600 )
        @ IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.sip   ; a comment "quoted"
        @ IN NAPTR 20 50 "s" "SIP+D2U" "" _sip._udp
        @ IN NAPTR 30 50 "a" "SIP+D2T" "" _sip._tcp
        _sips._tcp.sip IN SRV 10 50 5061 sip2
        _sip._udp IN SRV 10 50 5060 sip1.x-example.com.
        _sip._udp IN SRV 20 50 5060 .
        _sip._tcp IN SRV 10 50 5080 sip3
        sip1 IN TXT "v=1; not a comment"
             IN A 192.0.2.7
             IN AAAA 2001:db8::7
        sip2 IN CNAME sip1
        sip3 IN A 10.1.2.3
        ''')
    targets = labsip.derive_targets([("x-example.com", text)])
    assert set(targets) == {"192.0.2.7", "2001:db8::7"}
    t = targets["192.0.2.7"]
    # _sip._tcp is still found by its name (RFC 3263 without the flag-a NAPTR),
    # but its only target is private; _sips._tcp.sip counts for the domain
    # (through the NAPTR) and for sip.x-example.com (by its own name)
    assert t["listen"] == {("udp", 5060), ("tls", 5061)}
    assert t["domains"] == {"x-example.com", "sip.x-example.com"}
    assert t["hosts"] == {"sip1.x-example.com", "sip2.x-example.com"}
    assert labsip.cert_names("wildcard", ["x-example.com"], ["sip1.x-example.com"]) == \
        ("sip1.x-example.com", [], ["*.x-example.com"])


def test_runtime_stop_start_of_a_dns_server(lab):
    """The same control stops and starts a DNS server (its address stays:
    refused), and `voxlab show` lists SBCs whose mode changed at runtime."""
    def soa():
        return lab.run(["dig", "+norec", "+time=1", "+tries=1", "@198.18.50.1",
                        "version-example.com", "SOA"], timeout=20).stdout
    try:
        assert lab.server_stop("version-bind.faultprov.net")
        assert "connection refused" in soa()
        with pytest.raises(voxlab_lib.LabError, match="no server or SIP instance"):
            lab.server_stop("nosuch.faultprov.net")
    finally:
        lab.server_start("version-bind.faultprov.net")
    assert "status: NOERROR" in soa() and "flags: qr aa" in soa()
    try:
        lab.sbc_mode("2001:db8:81::14", "unreachable")
        show = subprocess.run([voxlab_lib.VOXLAB, "show", lab.dir], capture_output=True,
                              text=True, timeout=60).stdout
        assert re.search(r"^2001:db8:81::14 +sip2\.sipruntime-example\.com .* now=unreachable$",
                         show, re.M)
        assert re.search(r"^198\.18\.81\.11 +sip2\.sipsilent-example\.com .* silent=true$",
                         show, re.M)
    finally:
        lab.sbc_mode("2001:db8:81::14", "up")
