"""DNS over TLS in libvoxdns (`voxdns resolve --resolver tls://...`) against the lab's recursor
(Unbound with tls-service-key on 853, certificate from a CA made at lab start, `dot` knob of
knobs.yml): strict with the CA and the right authentication name, a wrong name refused (and
failed over to the next resolver), an SPKI pin without any CA, a wrong pin refused, the
opportunistic profile, and a blackholed first resolver in front of DoT."""
import json
import time

import pytest

RECURSOR = "198.18.47.1"
NAME = "recursor.faultprov.net"
BLACKHOLE = "198.18.41.1"


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario("knobs")


@pytest.fixture(scope="module")
def dot(lab):
    return lab.info["dot"][NAME]


def resolve(lab, voxdns_bin, *args):
    r = lab.run([voxdns_bin, "resolve", "sip:voip-example.com", "--json", *args], timeout=30)
    return r, json.loads(r.stdout) if r.stdout.strip() else None


def test_strict_with_ca_and_name(lab, voxdns_bin, dot):
    r, doc = resolve(lab, voxdns_bin, "--resolver", "tls://%s#%s" % (RECURSOR, NAME),
                     "--ca-file", dot["ca"])
    assert r.returncode == 0, r.stderr
    assert len(doc["targets"]) == 9
    assert doc["targets"][0]["address"] == "2001:db8:c::10"


def test_wrong_auth_name_is_refused(lab, voxdns_bin, dot):
    r, doc = resolve(lab, voxdns_bin, "--resolver", "tls://%s#wrong.example.net" % RECURSOR,
                     "--ca-file", dot["ca"])
    assert r.returncode == 3
    assert doc["targets"] == []


def test_refused_server_fails_over_at_once(lab, voxdns_bin, dot):
    t0 = time.monotonic()
    r, doc = resolve(lab, voxdns_bin, "--resolver", "tls://%s#wrong.example.net" % RECURSOR,
                     "--resolver", "tls://%s#%s" % (RECURSOR, NAME), "--ca-file", dot["ca"])
    assert r.returncode == 0, r.stderr
    assert len(doc["targets"]) == 9
    assert time.monotonic() - t0 < 1.5  # a refusal is an error, not a timeout


def test_spki_pin_without_ca(lab, voxdns_bin, dot):
    r, doc = resolve(lab, voxdns_bin, "--resolver", "tls://%s" % RECURSOR,
                     "--spki-pin", dot["pin"])
    assert r.returncode == 0, r.stderr
    assert len(doc["targets"]) == 9


def test_wrong_pin_is_refused(lab, voxdns_bin, dot):
    wrong = "A" * 43 + "="
    r, doc = resolve(lab, voxdns_bin, "--resolver", "tls://%s#%s" % (RECURSOR, NAME),
                     "--spki-pin", wrong, "--ca-file", dot["ca"])
    assert r.returncode == 3  # with a pin configured, the pin decides, not the CA


def test_opportunistic_takes_an_unauthenticated_server(lab, voxdns_bin, dot):
    r, doc = resolve(lab, voxdns_bin, "--resolver", "tls://%s#wrong.example.net" % RECURSOR,
                     "--tls-opportunistic")
    assert r.returncode == 0, r.stderr
    assert len(doc["targets"]) == 9


def test_strict_needs_a_name_or_pin(lab, voxdns_bin):
    r, _ = resolve(lab, voxdns_bin, "--resolver", "tls://%s" % RECURSOR)
    assert r.returncode == 64
    assert "needs #AUTH-NAME or --spki-pin" in r.stderr


def test_blackholed_first_resolver_then_dot(lab, voxdns_bin, dot):
    t0 = time.monotonic()
    r, doc = resolve(lab, voxdns_bin, "--resolver", BLACKHOLE,
                     "--resolver", "tls://%s#%s" % (RECURSOR, NAME), "--ca-file", dot["ca"])
    assert r.returncode == 0, r.stderr
    assert len(doc["targets"]) == 9
    assert time.monotonic() - t0 < 2.5
