"""System tests of `voxdns audit` in the audit lab (tests/lab/scenarios/audit.yml): for every
domain, the audit reports exactly the findings the scenario was built to show (check id and
severity), no more and no fewer; plus the output forms, replay, concurrency and bad input."""

import json
import os
import re
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
import voxlab_lib  # noqa: E402

EXPECTATIONS = voxlab_lib.load_scenario("audit")["audit_expectations"]
SEVERITY_RANK = {"info": 0, "notice": 1, "warning": 2, "error": 3, "critical": 4}


@pytest.fixture(scope="module")
def lab(lab_scenario, voxdns_bin):
    return lab_scenario("audit")


def audit(lab, voxdns_bin, *args, timeout=60):
    return lab.run([voxdns_bin, "audit", *args], timeout=timeout)


def findings_by_check(report):
    """check id -> the worst severity reported for it."""
    out = {}
    for f in report["findings"]:
        sev = f["severity"]
        if SEVERITY_RANK[sev] > SEVERITY_RANK.get(out.get(f["check"]), -1):
            out[f["check"]] = sev
    return out


def expected_exit(findings):
    worst = max((SEVERITY_RANK[s] for s in findings.values()), default=0)
    return 2 if worst >= SEVERITY_RANK["error"] else 1 if worst == SEVERITY_RANK["warning"] else 0


@pytest.mark.parametrize("domain", sorted(EXPECTATIONS))
def test_audit_reports_exactly_the_expected_findings(lab, voxdns_bin, domain):
    exp = EXPECTATIONS[domain]
    r = audit(lab, voxdns_bin, "--json", *lab.audit_args(domain))
    assert r.returncode in (0, 1, 2), r.stderr
    report = json.loads(r.stdout)
    assert report["schema"] == "voxdns.audit/1"
    assert report["domain"] == domain
    assert findings_by_check(report) == exp["findings"], exp["fault"]
    assert r.returncode == expected_exit(exp["findings"])


def test_every_check_id_is_shown_by_some_domain(voxdns_bin):
    r = subprocess.run([voxdns_bin, "audit", "--list-checks"], capture_output=True, text=True)
    assert r.returncode == 0
    ids = {line.split()[0] for line in r.stdout.splitlines()[1:] if line.strip()}
    assert len(ids) == 56
    shown = set()
    for exp in EXPECTATIONS.values():
        shown.update(exp["findings"])
    assert ids - shown == set()


def test_healthy_domain_reports_nothing_above_notice(lab, voxdns_bin):
    r = audit(lab, voxdns_bin, *lab.audit_args("voip-example.com"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"voip-example\.com: 0 critical, 0 errors, 0 warnings, \d+ notices?", r.stdout)
    assert "outage survival" in r.stdout


def test_findings_name_servers_and_give_remedies(lab, voxdns_bin):
    r = audit(lab, voxdns_bin, "--json", *lab.audit_args("nsdown-example.com"))
    report = json.loads(r.stdout)
    down = [f for f in report["findings"] if f["check"] == "NS-UNREACHABLE"]
    assert down  # one per dead address (the blackholed server has an IPv4 and an IPv6 one)
    for f in down:
        assert f["severity"] == "error" and f["area"] == "availability"
        assert f["servers"] and all(re.fullmatch(r"[a-z0-9.-]+/[0-9a-f.:]+", s) for s in f["servers"])
    text = audit(lab, voxdns_bin, *lab.audit_args("nsdown-example.com")).stdout
    assert "remedy:" in text and "NS-UNREACHABLE" in text


def test_blackholed_server_costs_one_retry_budget(lab, voxdns_bin):
    started = time.monotonic()
    r = audit(lab, voxdns_bin, "--json", *lab.audit_args("nsdown-example.com"))
    elapsed = time.monotonic() - started
    assert r.returncode == 2
    # One budget (2.8 s) for the dead address, in parallel with everything else; the sanitiser
    # build and process start-up add a little. Once per question would be far over a minute.
    assert elapsed < 6.0


def test_total_outage_is_fast_and_honest(lab, voxdns_bin, tmp_path):
    """blackout-example.com: every name server blackholed, two of them in the domain itself (so
    their own look-ups can only time out). Every silent address costs one retry budget, all in
    parallel, whoever asks (the NS-name walks try the dead addresses one after the other); the
    time-outs of those look-ups are no evidence, so no GLUE-MISMATCH, no NS-NAME-UNRESOLVABLE."""
    snap = tmp_path / "blackout.json"
    started = time.monotonic()
    r = audit(lab, voxdns_bin, "--json", "--save", str(snap),
              *lab.audit_args("blackout-example.com"))
    elapsed = time.monotonic() - started
    assert r.returncode == 2, r.stderr
    report = json.loads(r.stdout)
    assert sorted((f["check"], f["severity"]) for f in report["findings"]) == [
        ("ALL-NS-UNREACHABLE", "critical"), ("DNSSEC-UNSIGNED", "notice"),
        ("SERVICE-SINGLE-DOMAIN", "notice")]
    down = [f for f in report["findings"] if f["check"] == "ALL-NS-UNREACHABLE"][0]
    assert sorted(down["servers"]) == sorted([
        "ns1.blackout-example.com/198.18.67.1", "ns1.blackout-example.com/2001:db8:67::1",
        "ns2.blackout-example.com/198.18.68.1", "ns2.blackout-example.com/2001:db8:68::1",
        "dead.faultprov.org/198.18.57.1", "dead.faultprov.org/2001:db8:57::1"])
    # The audit's own clock: one budget (3 s) and the few round trips before it.
    duration = json.loads(snap.read_text())["duration_ms"]
    assert 2700 < duration < 3500, duration
    # Around it: process start-up of the sanitiser build and entering the lab's namespace.
    assert elapsed < 5.0, elapsed
    walks = [o for o in json.loads(snap.read_text())["obs"] if o["kind"] == "resolve" and
             o["qname"].endswith("blackout-example.com.")]
    assert len(walks) == 4 and all(o["status"] == "timeout" for o in walks), walks


def test_several_domains_are_audited_concurrently(lab, voxdns_bin):
    domains = ["nsdown-example.com", "nsstopped-example.com", "serial-example.com",
               "srvsingle-example.com"]
    started = time.monotonic()
    r = audit(lab, voxdns_bin, "--hints", lab.hints, "--ca-file", lab.ca_file, "--json", *domains)
    elapsed = time.monotonic() - started
    reports = json.loads(r.stdout)
    assert [rep["domain"] for rep in reports] == domains
    for rep in reports:
        assert findings_by_check(rep) == EXPECTATIONS[rep["domain"]]["findings"]
    assert r.returncode == 2
    assert elapsed < 6.0  # not four budgets one after the other


def test_save_and_replay_without_network(lab, voxdns_bin, tmp_path):
    snap = tmp_path / "snap.json"
    live = audit(lab, voxdns_bin, "--json", "--save", str(snap), *lab.audit_args("inconsistent-example.com"))
    assert live.returncode == 2
    # The replay runs outside the lab: no network at all.
    replay = subprocess.run([voxdns_bin, "audit", "--json", "--from", str(snap)],
                            capture_output=True, text=True)
    assert replay.returncode == 2, replay.stderr
    a, b = json.loads(live.stdout), json.loads(replay.stdout)
    assert a["findings"] == b["findings"]
    assert json.loads(snap.read_text())["schema"] == "voxdns.snapshot/1"


def endpoint_findings(report, check):
    return [f for f in report["findings"] if f["check"] == check]


def test_endpoint_findings_name_the_tuple_and_what_the_certificate_names(lab, voxdns_bin):
    r = audit(lab, voxdns_bin, "--json", *lab.audit_args("tlshostonly-example.com"))
    found = endpoint_findings(json.loads(r.stdout), "TLS-CERT-NAME-MISMATCH")
    # one per TLS tuple: sip1 and sip2, IPv4 and IPv6
    assert len(found) == 4, found
    f = [f for f in found if "(198.18.80.4, port 5061, TLS)" in f["message"]]
    assert len(f) == 1, found
    msg = f[0]["message"]
    assert msg.startswith("the certificate of sip1.tlshostonly-example.com (198.18.80.4"), msg
    assert "SAN DNS sip1.tlshostonly-example.com" in msg and "SIP domain tlshostonly-example.com" in msg
    assert f[0]["servers"] == ["sip1.tlshostonly-example.com/198.18.80.4"]
    text = audit(lab, voxdns_bin, *lab.audit_args("tlshostonly-example.com")).stdout
    assert "remedy:  issue the certificate with a subjectAltName URI sip:DOMAIN" in text


def test_silent_targets_cost_one_budget_in_parallel(lab, voxdns_bin, tmp_path):
    snap = tmp_path / "alldown.json"
    started = time.monotonic()
    r = audit(lab, voxdns_bin, "--json", "--save", str(snap),
              *lab.audit_args("sipalldown-example.com"))
    elapsed = time.monotonic() - started
    assert r.returncode == 2, r.stderr
    saved = json.loads(snap.read_text())
    eps = saved["endpoints"]
    # two hosts, IPv4 and IPv6, UDP, TCP and TLS: every tuple timed out once, in parallel
    assert len(eps) == 12 and all(e["status"] == "timeout" for e in eps), eps
    assert all(e["attempts"] == 3 for e in eps if e["transport"] == "udp")  # Timer A: 0, 0.5, 1.5 s
    assert 2900 < saved["duration_ms"] < 3800, saved["duration_ms"]
    assert elapsed < 6.0, elapsed
    down = endpoint_findings(json.loads(r.stdout), "SIP-TARGETS-ALL-DOWN")
    assert len(down) == 1 and len(down[0]["servers"]) == 4  # two hosts, two addresses each
    assert "12 target tuples, none answered" in down[0]["message"]


def test_endpoints_are_saved_and_replayed(lab, voxdns_bin, tmp_path):
    snap = tmp_path / "selfsigned.json"
    live = audit(lab, voxdns_bin, "--json", "--save", str(snap),
                 *lab.audit_args("tlsselfsigned-example.com"))
    saved = json.loads(snap.read_text())
    tls = [e for e in saved["endpoints"] if e["transport"] == "tls"]
    assert tls and all(e["code"] == 200 and e["tls"]["handshake"] for e in tls)
    assert all(e["tls"]["protocol"] in ("TLSv1.2", "TLSv1.3") and e["tls"]["chain"] for e in tls)
    assert all(e["tls"]["verify"] != 0 for e in tls)
    replay = subprocess.run([voxdns_bin, "audit", "--json", "--from", str(snap)],
                            capture_output=True, text=True)
    assert replay.returncode == live.returncode == 2, replay.stderr
    assert json.loads(live.stdout)["findings"] == json.loads(replay.stdout)["findings"]


def test_no_endpoints_leaves_the_sip_servers_alone(lab, voxdns_bin, tmp_path):
    snap = tmp_path / "dnsonly.json"
    r = audit(lab, voxdns_bin, "--json", "--no-endpoints", "--save", str(snap),
              *lab.audit_args("tlsexpired-example.com"))
    want = dict(EXPECTATIONS["tlsexpired-example.com"]["findings"])
    del want["TLS-CERT-EXPIRED"]
    assert findings_by_check(json.loads(r.stdout)) == want
    assert "endpoints" not in json.loads(snap.read_text())


def test_html_report_is_self_contained_and_escaped(lab, voxdns_bin, tmp_path):
    page = tmp_path / "report.html"
    r = audit(lab, voxdns_bin, "--html", str(page), *lab.audit_args("srvsingle-example.com"))
    assert r.returncode == 1, r.stderr
    html = page.read_text()
    assert "<svg" in html and "SRV-SINGLE-TARGET" in html
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html


def test_lync_profile_raises_out_of_domain_to_error(lab, voxdns_bin):
    generic = audit(lab, voxdns_bin, "--json", "--hints", lab.hints, "srvoutside-example.com")
    lync = audit(lab, voxdns_bin, "--json", "--hints", lab.hints, "--profile", "lync",
                 "srvoutside-example.com")
    assert findings_by_check(json.loads(generic.stdout))["SRV-TARGET-OUT-OF-DOMAIN"] == "warning"
    assert findings_by_check(json.loads(lync.stdout))["SRV-TARGET-OUT-OF-DOMAIN"] == "error"


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["bad..domain"], 64, "invalid domain name 'bad..domain'"),
        (["--hints", "/nonexistent/hints", "voip-example.com"], 3, "/nonexistent/hints"),
        (["--asn-db", "/nonexistent/pfx2as", "voip-example.com"], 3, "/nonexistent/pfx2as"),
        (["--from", "/nonexistent/snap.json"], 3, "cannot read snapshot"),
        (["--ca-file", "/nonexistent/ca.pem", "voip-example.com"], 3, "/nonexistent/ca.pem"),
        (["--profile", "nope", "voip-example.com"], 64, "unknown profile"),
        (["--bogus", "voip-example.com"], 64, "unknown option '--bogus'"),
        ([], 64, "a domain to audit is required"),
        (["--html", "x.html", "a.com", "b.com"], 64, "one domain at a time"),
    ],
)
def test_bad_input_gets_one_line_error(lab, voxdns_bin, args, status, message):
    r = audit(lab, voxdns_bin, *args)
    assert r.returncode == status, r.stderr
    assert message in r.stderr
    assert r.stderr.count("\n") == 1


def test_corrupt_snapshot_and_asn_file_are_refused(voxdns_bin, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "voxdns.snapshot/1", "domain": 5}')
    r = subprocess.run([voxdns_bin, "audit", "--from", str(bad)], capture_output=True, text=True)
    assert r.returncode == 3 and "not a valid snapshot" in r.stderr
    asn = tmp_path / "bad.pfx2as"
    asn.write_text("192.0.2.0\t33\t64496\n")
    r = subprocess.run([voxdns_bin, "audit", "--asn-db", str(asn), "--from", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 3 and "line 1" in r.stderr


def test_checks_doc_is_generated_from_the_registry(voxdns_bin):
    """docs/checks.md is never edited by hand: it must equal what the registry prints."""
    r = subprocess.run([voxdns_bin, "audit", "--list-checks", "--markdown"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    with open(os.path.join(REPO, "docs", "checks.md")) as f:
        committed = f.read()
    assert committed == r.stdout, "regenerate: cmake --build build --target docs-checks"
