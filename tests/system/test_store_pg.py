"""The store on a real PostgreSQL server: starts a throwaway cluster in a
temporary directory (unix socket only, inside that directory; as root the
server runs as the unprivileged "postgres" user), runs the store's unit
suite (build/test_store) against it through VOXDNS_TEST_PG_URL, and tears
the cluster down.

Skipped only when the PostgreSQL server binaries are not installed.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.dirname(os.path.abspath(
    os.environ.get("VOXDNS_BIN") or os.path.join(REPO, "build", "voxdns")))
DRIVER = os.environ.get("VOXDNS_TEST_STORE") or os.path.join(BUILD, "test_store")
PORT = 5432  # only names the socket file: the server listens on no TCP port


def pg_bindir():
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0,
                        reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(os.path.dirname(os.path.realpath(on_path)))
    for d in candidates:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


class Cluster:
    def __init__(self, bindir):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="voxdns-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.prefix = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root but there is no 'postgres' user to run the server")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.url = "postgresql://voxdns@/postgres?host=%s&port=%d" % (self.dir, PORT)

    def run(self, tool, *args, timeout=30):
        cmd = self.prefix + [os.path.join(self.bindir, tool)] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            pytest.fail("%s failed (%d):\n%s%s%s" % (tool, r.returncode, r.stdout, r.stderr,
                                                      self.server_log()))
        return r

    def server_log(self):
        try:
            with open(self.log) as f:
                return "\n--- server log ---\n" + f.read()[-4000:]
        except OSError:
            return ""

    def start(self):
        # --no-sync, fsync=off: a throwaway cluster; the tests kill clients, never the server.
        self.run("initdb", "-D", self.data, "-U", "voxdns", "-A", "trust", "-E", "UTF8",
                 "--no-locale", "--no-sync")
        opts = "-k %s -c listen_addresses= -p %d -F" % (self.dir, PORT)
        self.run("pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "20",
                 "start")

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            cmd = self.prefix + [os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                                 "-m", "immediate", "-w", "stop"]
            subprocess.run(cmd, capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed")
    c = Cluster(bindir)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def test_store_suite_on_postgresql(cluster):
    if not os.access(DRIVER, os.X_OK):
        pytest.fail("the store test driver is not built: %s "
                    "(cmake --build build --target test_store, or set VOXDNS_TEST_STORE)" % DRIVER)
    env = dict(os.environ, VOXDNS_TEST_PG_URL=cluster.url)
    r = subprocess.run([DRIVER], env=env, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    print(out)
    assert r.returncode == 0, out + cluster.server_log()
    assert "store tests on PostgreSQL" in out, out
    assert "[  PASSED  ]" in out, out
    assert "FAILED" not in out, out
