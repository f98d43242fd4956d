"""System tests of the monitor's NOTIFY listener and propagation timing (issue 12, item 3)
against the providers lab (tests/lab/scenarios/providers.yml): the hidden Knot primary of
xfr-example.com also sends NOTIFY to 127.0.0.1@5300, where the monitor listens
(notify_listen); dig sends the NOTIFYs that must be refused (a source not allowed, no TSIG,
a bad TSIG) and the signed one that must be accepted."""

import os
import re
import sqlite3
import subprocess
import time

import pytest

ZONE = "xfr-example.com"
PRIMARY = "primary.xfr-example.com"
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
WRONG = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI="


def wait_until(predicate, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def db_rows(db, sql):
    con = sqlite3.connect(str(db))
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        con.close()


class Monitor:
    """A monitor daemon inside the lab with its own config, store and log."""

    def __init__(self, lab, voxdns_bin, tmp_path, name, extra, http_port):
        self.lab, self.log = lab, tmp_path / (name + ".log")
        self.db = tmp_path / (name + ".db")
        cfg = tmp_path / (name + ".yml")
        cfg.write_text("interval: 1s\nhints: %s\nstore: sqlite:%s\nlisten: 127.0.0.1:%d\n"
                       "log_level: info\nalerts: []\ndomains:\n  - %s\n%s"
                       % (lab.hints, self.db, http_port, ZONE, extra))
        self.proc = lab.popen([voxdns_bin, "monitor", "--config", str(cfg)],
                              stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        wait_until(lambda: "listening for NOTIFY" in self.text() or self.proc.poll() is not None,
                   20, "the NOTIFY listener")
        assert self.proc.poll() is None, self.text()

    def text(self):
        return self.log.read_text(errors="replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


def notify(lab, port, *args):
    """dig sends a NOTIFY for ZONE to 127.0.0.1:port -> the answer's status."""
    r = lab.run(["dig", "@127.0.0.1", "-p", str(port), "+opcode=notify", "+norec", "+tries=1",
                 "+time=3", *args, ZONE, "SOA"], timeout=30)
    m = re.search(r"opcode: NOTIFY, status: (\w+)", r.stdout)
    return (m.group(1) if m else None), r.stdout + r.stderr


@pytest.fixture(scope="module")
def lab(lab_scenario, voxdns_bin):
    return lab_scenario("providers")


def test_notify_access_by_address_and_tsig(lab, voxdns_bin, tmp_path):
    mon = Monitor(lab, voxdns_bin, tmp_path, "access",
                  'notify_listen: ["127.0.0.1:5301"]\nnotify_allow: [127.0.0.0/8]\n'
                  'notify_keys: ["hmac-sha256:notify-key:%s"]\n' % SECRET, 9161)
    try:
        good = ["-y", "hmac-sha256:notify-key:" + SECRET]
        assert notify(lab, 5301, *good)[0] == "NOERROR"
        assert notify(lab, 5301, "+tcp", *good)[0] == "NOERROR"
        assert notify(lab, 5301)[0] == "REFUSED"  # no TSIG where a key is required
        status, out = notify(lab, 5301, "-y", "hmac-sha256:notify-key:" + WRONG)
        assert status == "NOTAUTH" or "tsig verify failure" in out, out
        status, out = notify(lab, 5301, "-y", "hmac-sha256:stranger:" + SECRET)
        assert status == "NOTAUTH" or "tsig verify failure" in out, out
        # a good key from an address outside notify_allow
        src = lab.address("xfr1.dnsprov-a.net")
        assert notify(lab, 5301, "-b", src, *good)[0] == "REFUSED"
        r = lab.run(["dig", "@127.0.0.1", "-p", "5301", "+opcode=notify", "+tries=1", "+time=3",
                     "example.org", "SOA", *good], timeout=30)
        assert "status: NOTAUTH" in r.stdout, r.stdout
    finally:
        mon.stop()
    log = mon.text()
    assert log.count("refused: TSIG MAC does not verify") == 1, log
    assert log.count("refused: unknown TSIG key") == 1, log
    assert log.count("refused: no TSIG, and notify_keys requires one") == 1, log
    assert log.count("refused: source address not in notify_allow") == 1, log
    assert "NOTIFY for example.org. from 127.0.0.1 over UDP refused: zone not monitored" in log, log
    assert len(re.findall(r"NOTIFY for xfr-example\.com\. from 127\.0\.0\.1 over (UDP|TCP), "
                          r"key notify-key\.: accepted", log)) == 2, log
