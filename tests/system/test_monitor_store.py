"""System tests of `voxdns monitor` when its store fails, in the lab: the SQLite files made
immutable mid-run (chattr +i, as root) and PostgreSQL stopped mid-run, each time with a record
hijacked during the outage; then the store back. The hijack is alerted once (webhook and
command sink, marked as not stored), stored once (API), /healthz goes 503 then 200 and
voxdns_store_up 0 then 1. Also: a monitor refuses to start on a store it cannot write (exit 73),
and stopping it while its files are immutable does not crash (SQLite would SIGBUS).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from test_monitor import (MONITORED, NS1, NS1_LABEL, Monitor, edit_zone, wait_for)
from test_store_pg import Cluster, pg_bindir

HIJACK = (r"^(sip1\s+3600\s+IN\s+A\s+)192\.0\.2\.10$", r"\g<1>198.18.66.66")
RESTORE = (r"^(sip1\s+3600\s+IN\s+A\s+)198\.18\.66\.66$", r"\g<1>192.0.2.10")


def chattr(flag, *paths):
    r = subprocess.run(["chattr", flag] + [p for p in paths if os.path.exists(p)],
                       capture_output=True, text=True)
    return r.returncode == 0


def can_chattr(tmp):
    probe = os.path.join(tmp, "chattr-probe")
    open(probe, "w").close()
    ok = chattr("+i", probe)
    chattr("-i", probe)
    os.remove(probe)
    return ok


class StoreMonitor(Monitor):
    """The lab monitor of test_monitor, with a store URL of our choosing and a command sink that
    records what it was given (VOXDNS_STORED and the event JSON)."""

    def __init__(self, lab, voxdns_bin, tmp, store=None):
        super().__init__(lab, voxdns_bin, tmp)
        self.command_file = os.path.join(tmp, "command.jsonl")
        with open(self.config) as f:
            text = f.read()
        if store:
            text = re.sub(r"^store: .*$", "store: " + store, text, flags=re.M)
        text += ('  - {type: command, min_severity: notice, command: '
                 '"printf \'%%s \' $VOXDNS_STORED >> %s; cat >> %s; echo >> %s"}\n'
                 % (self.command_file, self.command_file, self.command_file))
        with open(self.config, "w") as f:
            f.write(text)

    def metric(self, name):
        status, text = self.get("/metrics")
        m = re.search(r"^%s (\S+)$" % name, text, re.M) if status == 200 else None
        return float(m.group(1)) if m else None

    def command_runs(self):
        if not os.path.exists(self.command_file):
            return []
        out = []
        with open(self.command_file) as f:
            for line in f:
                if line.strip():
                    flag, _, body = line.partition(" ")
                    out.append((flag, json.loads(body)))
        return out

    def log_text(self):
        with open(os.path.join(self.tmp, "monitor.log"), errors="replace") as f:
            return f.read()


def is_hijack(e):
    return e.get("type") == "RECORD-CHANGED" and e.get("server") == NS1_LABEL and \
        (e.get("name") or "").rstrip(".") == "sip1." + MONITORED


def outage_then_back(mon, break_store, repair_store, cause):
    """The common story: break the store, hijack, see it alerted unstored, repair, see it
    stored once and alerted once."""
    lab = mon.lab
    break_store()
    try:
        wait_for(lambda: mon.get("/healthz")[0] == 503, 20, "/healthz 503")
        status, body = mon.get("/healthz")
        assert "store failing" in body and re.search(cause, body), body
        assert mon.metric("voxdns_store_up") == 0
        edit_zone(lab, NS1, MONITORED, *HIJACK)
        wait_for(lambda: any(is_hijack(b) for b in mon.webhook_bodies()), 30,
                 "the hijack alerted while the store fails")
        [hook] = [b for b in mon.webhook_bodies() if is_hijack(b)]
        assert hook["stored"] is False and "not stored yet" in hook["text"], hook
        wait_for(lambda: any(is_hijack(e) for _, e in mon.command_runs()), 15,
                 "the command sink run")
        assert [flag for flag, e in mon.command_runs() if is_hijack(e)] == ["0"]
        assert mon.metric("voxdns_store_pending_events") >= 1
        assert mon.get("/healthz")[0] == 503
        log = mon.log_text()
        assert re.search(cause, log), log[-3000:]
        assert "cycle not stored, kept in memory" in log
    finally:
        repair_store()
    wait_for(lambda: mon.get("/healthz")[0] == 200, 30, "/healthz 200 again")
    wait_for(lambda: any(is_hijack(e) for e in mon.events()), 20, "the hijack stored")
    assert mon.metric("voxdns_store_up") == 1
    assert mon.metric("voxdns_store_errors_total") >= 1
    assert mon.metric("voxdns_store_pending_events") == 0
    time.sleep(4)  # a few cycles (and alert rounds) after the store came back: no repeat
    assert len([e for e in mon.events() if is_hijack(e)]) == 1
    assert len([b for b in mon.webhook_bodies() if is_hijack(b)]) == 1
    assert len([e for _, e in mon.command_runs() if is_hijack(e)]) == 1
    assert "kept in memory are written" in mon.log_text()
    # The store works as before: the revert is stored and alerted, marked as stored.
    edit_zone(lab, NS1, MONITORED, *RESTORE)
    def reverted(items):
        return [e for e in items if e.get("type") == "CHANGE-REVERTED" and
                e.get("server") == NS1_LABEL]
    wait_for(lambda: reverted(mon.webhook_bodies()), 30, "CHANGE-REVERTED alerted")
    [rev] = reverted(mon.webhook_bodies())
    assert rev["stored"] is True and rev["id"] > 0
    assert len(reverted(mon.events())) == 1


def first_cycle(mon):
    mon.start()
    wait_for(lambda: MONITORED in mon.get("/api/v1/domains")[1], 25, "the first cycle")
    assert mon.get("/healthz")[0] == 200 and mon.metric("voxdns_store_up") == 1


def test_sqlite_immutable_mid_run_then_writable(lab_scenario, voxdns_bin, tmp_path):
    tmp = str(tmp_path)
    if not can_chattr(tmp):
        pytest.skip("chattr +i needs root on a file system with attributes")
    lab = lab_scenario("knobs", fresh=True)
    mon = StoreMonitor(lab, voxdns_bin, tmp)
    db = os.path.join(tmp, "voxdns.db")
    files = [db, db + "-wal", db + "-shm"]
    try:
        first_cycle(mon)
        # An outage in which nothing happens: 503, then 200 again once a write goes through.
        assert chattr("+i", *files)
        try:
            wait_for(lambda: mon.get("/healthz")[0] == 503, 20, "/healthz 503 (quiet)")
        finally:
            chattr("-i", *files)
        wait_for(lambda: mon.get("/healthz")[0] == 200, 20, "/healthz 200 (quiet)")
        assert "store: writable again" in mon.log_text()
        outage_then_back(mon, lambda: chattr("+i", *files), lambda: chattr("-i", *files),
                         r"cannot be written \(errno 1: Operation not permitted\)")
        # Stopped while the files are immutable: no crash (SQLite would SIGBUS on its -shm
        # mapping), a clean exit.
        assert chattr("+i", *files)
        mon.stop()
        assert mon.proc.returncode == 0, mon.log_text()[-3000:]
    finally:
        chattr("-i", *files)
        mon.close()
        lab.stop()


class RestartableCluster(Cluster):
    def start(self):
        super().start()
        # The monitor runs in the lab's user namespace, where the server's user is not mapped:
        # the socket's directory must be open to others (the socket itself is).
        os.chmod(self.dir, 0o755)

    def pg_ctl(self, *args):
        return self.run("pg_ctl", "-D", self.data, "-l", self.log, *args)

    def halt(self):
        self.pg_ctl("-m", "fast", "-w", "stop")

    def resume(self):
        opts = "-k %s -c listen_addresses= -p 5432 -F" % self.dir
        self.pg_ctl("-o", opts, "-w", "-t", "20", "start")


def test_postgresql_stopped_mid_run_then_started(lab_scenario, voxdns_bin, tmp_path):
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed")
    cluster = RestartableCluster(bindir)
    cluster.start()
    lab = lab_scenario("knobs", fresh=True)
    mon = StoreMonitor(lab, voxdns_bin, str(tmp_path), store=cluster.url)
    try:
        first_cycle(mon)
        outage_then_back(mon, cluster.halt, cluster.resume, r"postgresql: ")
    finally:
        mon.close()
        lab.stop()
        cluster.stop()


# ---- starting on a store that cannot be written --------------------------------------------

def write_config(tmp, store):
    config = os.path.join(tmp, "voxdns.yml")
    with open(config, "w") as f:
        f.write("interval: 60s\nstore: %s\ndomains:\n  - name: example.com\n" % store)
    return config


def make_database(voxdns_bin, tmp, store):
    """Creates the store without probing anything (this test runs outside the lab): baseline
    accept opens it, then finds no snapshot."""
    config = write_config(tmp, store)
    return subprocess.run([voxdns_bin, "baseline", "accept", "example.com", "--config", config],
                          capture_output=True, text=True, timeout=30)


def start_once(voxdns_bin, tmp, store):
    """Fails at the store, before any probe; in a network namespace of its own all the same, so
    that nothing could leave if it did not."""
    config = write_config(tmp, store)
    return subprocess.run(["unshare", "-n", voxdns_bin, "monitor", "--once", "--config", config],
                          capture_output=True, text=True, timeout=30)


def unwritable(path, on):
    """Root ignores file modes: chattr +i."""
    return chattr("+i" if on else "-i", path)


@pytest.mark.parametrize("case", ["read-only file", "read-only directory", "missing directory"])
def test_start_on_unwritable_store_exits_73(voxdns_bin, case):
    if os.geteuid() != 0:
        pytest.skip("needs root: chattr +i, and a network namespace for the monitor")
    tmp = tempfile.mkdtemp(prefix="voxdns-unwritable-")
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    db = os.path.join(data, "voxdns.db")
    target = {"read-only file": db, "read-only directory": data, "missing directory": data}[case]
    store = os.path.join(data, "sub", "voxdns.db") if case == "missing directory" else db
    try:
        if case != "missing directory":  # the database exists, in WAL mode, closed cleanly
            r = make_database(voxdns_bin, tmp, "sqlite:" + db)
            assert os.path.exists(db), r.stderr
        if not unwritable(target, True):
            pytest.skip("chattr +i does not work on %s" % target)
        t0 = time.monotonic()
        r = start_once(voxdns_bin, tmp, "sqlite:" + store)
        assert r.returncode == 73, (r.returncode, r.stderr)
        assert time.monotonic() - t0 < 5
        assert "cannot be written" in r.stderr, r.stderr
        want = {"read-only file": "voxdns.db can only be opened read-only (errno",
                "read-only directory": "directory %s cannot be written" % data,
                "missing directory": "cannot create directory %s/sub" % data}[case]
        assert want in r.stderr, r.stderr
    finally:
        unwritable(target, False)
        shutil.rmtree(tmp, ignore_errors=True)


def test_start_on_unreachable_postgresql_exits_74(voxdns_bin, tmp_path):
    """No server behind the socket: an I/O error (EX_IOERR), with libpq's reason, at once."""
    if os.geteuid() != 0:
        pytest.skip("needs root for a network namespace of its own")
    url = "postgresql://voxdns@/postgres?host=%s/nowhere&port=5432" % tmp_path
    t0 = time.monotonic()
    r = start_once(voxdns_bin, str(tmp_path), url)
    assert r.returncode == 74, (r.returncode, r.stderr)
    assert time.monotonic() - t0 < 10
    assert "cannot be written: postgresql: cannot connect" in r.stderr, r.stderr
    assert "No such file or directory" in r.stderr, r.stderr
