"""System tests of what a hijacker touches (issue 10), with `voxdns monitor` in its default
configuration (no `records:`) against the hijack lab (tests/lab/scenarios/hijack.yml): MX
changed on every server, the parent's NS
set replaced by an attacker's server, an NS host's address changed (and so a server address
leaving the set), an out-of-zone SRV target's address changed, DS removed from the parent of a
signed zone, an ACME challenge TXT appearing, CAA changed — each event asserted with its type,
name, type, server, old and new data; and 30 quiet cycles of the healthy domains without an
event."""

import os
import re
import signal

import pytest

from test_monitor import Monitor, run_cycles_config, wait_for, zone_file

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab", "scenarios")
HEALTHY = ["voip-example.com", "voip-example.org", "signed-example.com", "lync-example.com",
           "srvoutside-example.com"]
NS1A = "ns1.dnsprov-a.net"   # NSD, 192.0.2.53 and 2001:db8:a::53
NS2A = "ns2.dnsprov-a.net"   # NSD, 198.51.100.53
NS1B = "ns1.dnsprov-b.org"   # Knot, 203.0.113.53
NS2B = "ns2.dnsprov-b.org"   # BIND, 198.18.20.53 and 2001:db8:b::53
GTLD = ["a.gtld-servers.net", "b.gtld-servers.net"]   # com: NSD and BIND
VOIP_SERVERS = {NS1A + "/192.0.2.53", NS1A + "/2001:db8:a::53", NS2A + "/198.51.100.53",
                NS1B + "/203.0.113.53", NS2B + "/198.18.20.53", NS2B + "/2001:db8:b::53"}
COM_SERVERS = {"a.gtld-servers.net/198.18.10.1", "a.gtld-servers.net/2001:db8:10::1",
               "b.gtld-servers.net/198.18.11.1"}


def edit(lab, server, zone, old, new):
    """Edits one server's copy of zone and makes the server load it: SIGHUP (NSD, BIND and
    Knot reload changed zone files on it); the serial goes up too, so that Knot takes it."""
    path = zone_file(lab, server, zone)
    with open(path) as f:
        text = f.read()
    assert re.search(old, text, re.M), (old, path)
    text = re.sub(old, new, text, flags=re.M)
    text = re.sub(r"(\bSOA\s+\S+\s+\S+\s+)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1),
                  text, count=1)
    with open(path, "w") as f:
        f.write(text)
    for kind, pid in lab.servers[server]["pids"].items():
        if kind in ("nsd", "knot", "bind"):
            os.kill(pid, signal.SIGHUP)


def edit_all(lab, servers, zone, old, new):
    for s in servers:
        edit(lab, s, zone, old, new)


@pytest.fixture(scope="module")
def mon(lab_scenario, voxdns_bin, tmp_path_factory):
    lab = lab_scenario(os.path.join(SCENARIOS, "hijack.yml"), fresh=True)
    m = Monitor(lab, voxdns_bin, str(tmp_path_factory.mktemp("hijack")),
                domains=["voip-example.com", "srvoutside-example.com", "signed-example.com"])
    m.start()
    wait_for(lambda: all(d in m.get("/api/v1/domains")[1] for d in
                         ("voip-example.com", "srvoutside-example.com", "signed-example.com")),
             30, "the first cycle")
    yield m
    m.close()
    lab.stop()


def events(mon, type_, domain, name=None, rrtype=None, after=0):
    return [e for e in mon.events() if e["type"] == type_ and e["domain"] == domain
            and e["id"] > after
            and (name is None or (e["name"] or "").rstrip(".") == name)
            and (rrtype is None or e["rrtype"] == rrtype)]


def last_id(mon):
    return max([e["id"] for e in mon.events()] or [0])


def test_healthy_domains_are_quiet_for_30_cycles(mon, tmp_path):
    extra = "domains:\n" + "".join(
        f"  - name: {d}\n" + ("    profile: lync\n" if d.startswith("lync") else "")
        for d in HEALTHY)
    found, _ = run_cycles_config(mon, tmp_path, "quiet30", extra, 30)
    # (cycle, events, quiet, audited in full, queries): the first cycle announces the domains'
    # findings; after it, every cycle is quiet (the watch re-asks every watched question,
    # the new ones included) and nothing is an event.
    assert found[0][3] == len(HEALTHY)
    for c in found[1:]:
        assert c[1] == 0, found
        assert c[2] == len(HEALTHY) and c[3] == 0, found


def test_mx_changed_on_every_server(mon):
    d = "voip-example.com"
    old, new = r"(@\s+3600\s+IN\s+MX\s+)10 mail\.voip-example\.com\.", r"\g<1>10 mx.attacker-example.net."
    edit_all(mon.lab, [NS1A, NS2A, NS1B, NS2B], d, old, new)
    try:
        wait_for(lambda: {e["server"] for e in events(mon, "RECORD-CHANGED", d, d, "MX")}
                 >= VOIP_SERVERS, 40, "RECORD-CHANGED MX on every server")
        for e in events(mon, "RECORD-CHANGED", d, d, "MX"):
            assert e["old"] == ["10 mail.voip-example.com."]
            assert e["new"] == ["10 mx.attacker-example.net."]
    finally:
        edit_all(mon.lab, [NS1A, NS2A, NS1B, NS2B], d, r"(@\s+3600\s+IN\s+MX\s+)10 mx\.attacker-example\.net\.",
                 r"\g<1>10 mail.voip-example.com.")
    wait_for(lambda: {e["server"] for e in events(mon, "CHANGE-REVERTED", d, d, "MX")}
             >= VOIP_SERVERS, 40, "CHANGE-REVERTED MX everywhere")
    reverted = events(mon, "CHANGE-REVERTED", d, d, "MX")[0]
    assert re.search(r"for at least [\d.]+ (s|min) and at most [\d.]+ (s|min)", reverted["message"])


def test_parent_ns_set_replaced_by_an_attacker(mon):
    d = "voip-example.com"
    old = r"^voip-example\s+172800\s+IN\s+NS\s+ns1\.dnsprov-a\.net\.\n(voip-example\s+172800\s+IN\s+NS\s+\S+\n)+"
    new = "voip-example    172800 IN NS   hijacked.faultprov.net.\n"  # another zone's server
    edit_all(mon.lab, GTLD, "com", old, new)
    try:
        wait_for(lambda: {e["server"] for e in events(mon, "DELEGATION-CHANGED", d, d, "NS")}
                 >= COM_SERVERS, 40, "DELEGATION-CHANGED at every com server")
        for e in events(mon, "DELEGATION-CHANGED", d, d, "NS"):
            assert e["severity"] == "critical"
            assert e["old"] == ["ns1.dnsprov-a.net.", "ns1.dnsprov-b.org.", "ns2.dnsprov-a.net.",
                                "ns2.dnsprov-b.org."]
            assert e["new"] == ["hijacked.faultprov.net."]
    finally:
        edit_all(mon.lab, GTLD, "com", r"^voip-example\s+172800\s+IN\s+NS\s+hijacked\.faultprov\.net\.\n",
                 "".join(f"voip-example    172800 IN NS   {n}.\n" for n in (NS1A, NS2A, NS1B, NS2B)))
    wait_for(lambda: {e["server"] for e in events(mon, "CHANGE-REVERTED", d, d, "NS")}
             >= COM_SERVERS, 40, "the delegation reverted")


def test_ns_host_address_changed_and_server_left(mon):
    d, t0 = "voip-example.com", last_id(mon)
    old, new = r"^(ns2\s+86400\s+IN\s+A\s+)198\.51\.100\.53$", r"\g<1>198.51.100.54"
    edit_all(mon.lab, [NS1A, NS2A], "dnsprov-a.net", old, new)
    try:
        wait_for(lambda: events(mon, "NS-ADDRESS-CHANGED", d, NS2A, "A", t0), 40,
                 "NS-ADDRESS-CHANGED")
        wait_for(lambda: events(mon, "SERVER-REMOVED", d, after=t0), 40, "SERVER-REMOVED")
        changed = events(mon, "NS-ADDRESS-CHANGED", d, NS2A, "A", t0)
        # Asked of the servers of ns2.dnsprov-a.net's own zone (dnsprov-a.net).
        assert {e["server"].split("/")[0] for e in changed} <= {NS1A, NS2A}
        for e in changed:
            assert e["old"] == ["198.51.100.53"] and e["new"] == ["198.51.100.54"]
        [removed] = events(mon, "SERVER-REMOVED", d, after=t0)
        assert removed["server"] == NS2A + "/198.51.100.53" and removed["name"] == NS2A
        assert removed["rrtype"] == "A" and removed["old"] == ["198.51.100.53"]
        assert removed["new"] == []
        [added] = events(mon, "SERVER-ADDED", d, after=t0)
        assert added["server"] == NS2A + "/198.51.100.54" and added["new"] == ["198.51.100.54"]
    finally:
        edit_all(mon.lab, [NS1A, NS2A], "dnsprov-a.net", r"^(ns2\s+86400\s+IN\s+A\s+)198\.51\.100\.54$",
                 r"\g<1>198.51.100.53")
    wait_for(lambda: any(e["server"] == NS2A + "/198.51.100.53"
                         for e in events(mon, "CHANGE-REVERTED", d, after=t0)), 40,
             "the server back")


def test_out_of_zone_srv_target_changed(mon):
    d, target = "srvoutside-example.com", "sip2.voip-example.com"
    edit(mon.lab, NS1A, "voip-example.com", r"^(sip2\s+3600\s+IN\s+A\s+)203\.0\.113\.10$",
         r"\g<1>198.18.66.66")
    try:
        wait_for(lambda: events(mon, "RECORD-CHANGED", d, target, "A"), 40,
                 "RECORD-CHANGED of the out-of-zone target")
        for e in events(mon, "RECORD-CHANGED", d, target, "A"):
            assert e["server"] in {NS1A + "/192.0.2.53", NS1A + "/2001:db8:a::53"}
            assert e["old"] == ["203.0.113.10"] and e["new"] == ["198.18.66.66"]
    finally:
        edit(mon.lab, NS1A, "voip-example.com", r"^(sip2\s+3600\s+IN\s+A\s+)198\.18\.66\.66$",
             r"\g<1>203.0.113.10")
    wait_for(lambda: events(mon, "CHANGE-REVERTED", d, target, "A"), 40, "the target reverted")


def test_ds_removed_at_the_parent(mon):
    d = "signed-example.com"
    path = zone_file(mon.lab, GTLD[0], "com")
    with open(path) as f:
        ds = re.search(r"^signed-example\.com\.\s+\d+\s+IN\s+DS\s+(.*)$", f.read(), re.M)
    assert ds, path
    rdata = " ".join(ds.group(1).split()).lower()
    edit_all(mon.lab, GTLD, "com", r"^signed-example\.com\.\s+\d+\s+IN\s+DS\s+.*\n", "")
    try:
        wait_for(lambda: {e["server"] for e in events(mon, "DS-REMOVED", d, d, "DS")}
                 >= COM_SERVERS, 40, "DS-REMOVED at every com server")
        for e in events(mon, "DS-REMOVED", d, d, "DS"):
            assert e["severity"] == "critical"
            assert [x.lower() for x in e["old"]] == [rdata] and e["new"] == []
    finally:
        edit_all(mon.lab, GTLD, "com", r"\Z", "signed-example.com. 86400 IN DS " + ds.group(1) + "\n")
    wait_for(lambda: events(mon, "CHANGE-REVERTED", d, d, "DS"), 40, "the DS back")


def test_acme_challenge_appears(mon):
    d, name = "voip-example.com", "_acme-challenge.voip-example.com"
    edit(mon.lab, NS1A, d, r"^(mail\s+3600\s+IN\s+A\s+192\.0\.2\.25)$",
         '\\g<1>\n_acme-challenge 60 IN TXT "attacker-token"')
    try:
        wait_for(lambda: {e["server"] for e in events(mon, "ACME-CHALLENGE-APPEARED", d, name, "TXT")}
                 >= {NS1A + "/192.0.2.53", NS1A + "/2001:db8:a::53"}, 40, "ACME-CHALLENGE-APPEARED")
        for e in events(mon, "ACME-CHALLENGE-APPEARED", d, name, "TXT"):
            assert e["severity"] == "warning"
            assert e["old"] == [] and e["new"] == ['"attacker-token"']
    finally:
        edit(mon.lab, NS1A, d, r'^_acme-challenge 60 IN TXT "attacker-token"\n', "")
    wait_for(lambda: events(mon, "CHANGE-REVERTED", d, name, "TXT"), 40, "the challenge gone")


def test_caa_changed(mon):
    d = "voip-example.com"
    edit(mon.lab, NS2A, d, r'^(@\s+3600\s+IN\s+CAA\s+0 issue )"letsencrypt\.org"$',
         r'\g<1>"evil-ca.example"')
    try:
        wait_for(lambda: events(mon, "CAA-CHANGED", d, d, "CAA"), 40, "CAA-CHANGED")
        [e] = events(mon, "CAA-CHANGED", d, d, "CAA")
        assert e["server"] == NS2A + "/198.51.100.53" and e["severity"] == "warning"
        assert e["old"] == ['0 issue "letsencrypt.org"'] and e["new"] == ['0 issue "evil-ca.example"']
    finally:
        edit(mon.lab, NS2A, d, r'^(@\s+3600\s+IN\s+CAA\s+0 issue )"evil-ca\.example"$',
             r'\g<1>"letsencrypt.org"')
    wait_for(lambda: events(mon, "CHANGE-REVERTED", d, d, "CAA"), 40, "the CAA back")
