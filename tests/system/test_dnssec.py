"""DNSSEC validation in libvoxdns (`voxdns resolve --trust-anchor`) against the lab's `dnssec`
scenario: the root, com and signed-example.com are signed at start, and the root's DS is the
trust anchor. The recursor at 198.18.47.1 (Unbound, not validating) hands out whatever the
zones hold, so the stub's own validation is what is tested: a secure chain, an unsigned
delegation under signed com (insecure), a DS that matches no key (bogus, which falls over to
the static cache), one tampered A record (bogus: that target is dropped), and a wrong anchor."""
import json

import pytest

RECURSOR = "198.18.47.1"

STATIC_BOGUSDS = """\
bogusds-example.com.            3600 IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.bogusds-example.com.
_sip._udp.bogusds-example.com.  3600 IN SRV   10 0 5060 sip.bogusds-example.com.
sip.bogusds-example.com.        3600 IN A     192.0.2.88
"""


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("dnssec")


@pytest.fixture(scope="module")
def anchor(lab, tmp_path_factory):
    path = tmp_path_factory.mktemp("anchor") / "root.ds"
    path.write_text("; the lab root's key\n%s\n" % lab.info["dnssec"]["."]["ds"])
    return str(path)


def resolve(lab, voxdns_bin, anchor, uri, *args):
    r = lab.run([voxdns_bin, "resolve", uri, "--resolver", RECURSOR, "--trust-anchor", anchor,
                 "--transports", "udp", "--trace", "--json", *args], timeout=30)
    return r, json.loads(r.stdout) if r.stdout.strip() else None


def securities(doc):
    return {(s["name"], s["type"]): s["security"] for s in doc["trace"]}


def test_secure_chain(lab, voxdns_bin, anchor):
    r, doc = resolve(lab, voxdns_bin, anchor, "sip:signed-example.com")
    assert r.returncode == 0, r.stderr
    assert [t["address"] for t in doc["targets"]] == [
        "2001:db8:c::20", "192.0.2.20", "2001:db8:d::20", "203.0.113.20"]
    sec = securities(doc)
    assert sec[("signed-example.com.", "NAPTR")] == "secure"
    assert sec[("_sip._udp.signed-example.com.", "SRV")] == "secure"
    assert sec[("sip1.signed-example.com.", "A")] == "secure"
    assert set(sec.values()) == {"secure"}


def test_unsigned_delegation_is_insecure(lab, voxdns_bin, anchor):
    r, doc = resolve(lab, voxdns_bin, anchor, "sip:voip-example.com")
    assert r.returncode == 0, r.stderr
    assert len(doc["targets"]) == 3
    # NODATA (sip2 has no AAAA) is proven insecure too, not only the positive answers
    assert set(securities(doc).values()) == {"insecure"}


def test_bogus_ds_is_never_handed_out(lab, voxdns_bin, anchor):
    r, doc = resolve(lab, voxdns_bin, anchor, "sip:bogusds-example.com")
    assert r.returncode == 3
    assert doc["targets"] == []
    assert {s["status"] for s in doc["trace"]} == {"DNSSEC validation failed (bogus)"}
    assert set(securities(doc).values()) == {"bogus"}


def test_bogus_falls_over_to_static_cache(lab, voxdns_bin, anchor, tmp_path):
    static = tmp_path / "static.txt"
    static.write_text(STATIC_BOGUSDS)
    r, doc = resolve(lab, voxdns_bin, anchor, "sip:bogusds-example.com",
                     "--static-cache", str(static))
    assert r.returncode == 0, r.stderr
    assert [(t["address"], t["source"]) for t in doc["targets"]] == [("192.0.2.88", "static")]
    steps = {(s["name"], s["type"]): s for s in doc["trace"]}
    naptr = steps[("bogusds-example.com.", "NAPTR")]
    assert naptr["source"] == "static" and naptr["security"] == "unchecked"


def test_tampered_record_drops_that_target_only(lab, voxdns_bin, anchor):
    r, doc = resolve(lab, voxdns_bin, anchor, "sip:badsig-example.com")
    assert r.returncode == 0, r.stderr
    addresses = [t["address"] for t in doc["targets"]]
    assert "192.0.2.99" not in addresses and "192.0.2.20" not in addresses
    assert addresses == ["2001:db8:c::20", "2001:db8:d::20", "203.0.113.20"]
    sec = securities(doc)
    assert sec[("sip1.badsig-example.com.", "A")] == "bogus"
    assert sec[("sip1.badsig-example.com.", "AAAA")] == "secure"


def test_wrong_anchor_makes_everything_bogus(lab, voxdns_bin, tmp_path):
    wrong = tmp_path / "wrong.ds"
    ds = lab.info["dnssec"]["com"]["ds"].split()
    wrong.write_text(". 86400 IN DS %s\n" % " ".join(ds[4:]))  # com's key digest at the root
    r, doc = resolve(lab, voxdns_bin, str(wrong), "sip:signed-example.com")
    assert r.returncode == 3
    assert set(securities(doc).values()) == {"bogus"}


def test_without_anchor_nothing_is_checked(lab, voxdns_bin):
    r = lab.run([voxdns_bin, "resolve", "sip:bogusds-example.com", "--resolver", RECURSOR,
                 "--transports", "udp", "--trace", "--json"], timeout=30)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(securities(doc).values()) == {"unchecked"}


def test_bad_anchor_file(lab, voxdns_bin, tmp_path):
    bad = tmp_path / "bad.ds"
    bad.write_text("com. 3600 IN A 192.0.2.1\n")
    r = lab.run([voxdns_bin, "resolve", "sip:signed-example.com", "--resolver", RECURSOR,
                 "--trust-anchor", str(bad)], timeout=30)
    assert r.returncode == 64
    assert "line 1: not a DS or DNSKEY record" in r.stderr
