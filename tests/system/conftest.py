"""Fixtures of the system tests: labs (real DNS servers in a private
network namespace, see tests/lab/README.md) and the voxdns binary.

    def test_something(lab_scenario):
        lab = lab_scenario("knobs")          # started once per session
        r = lab.run(["dig", "@" + lab.address("ns1.dnsprov-a.net"), ...])

    @pytest.fixture(scope="module")
    def lab(lab_scenario):                   # a module's own alias
        return lab_scenario("healthy")

A lab object (voxlab_lib.Lab) has .hints (path of the root hints file),
.servers (name -> dict with "addresses", "software", "role", "knobs",
"zones", ...), .zones (zone -> server names), .dir, .address(name, 4|6),
.run(cmd_list, timeout=...) -> CompletedProcess (text, captured) run inside
the namespace, .popen(cmd_list, ...) and .argv(cmd_list) for other ways of
running, and .stop(). Every lab started here is torn down at the end of the
session, whatever the tests did; the servers also die with this process.
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

import voxlab_lib  # noqa: E402

VOXDNS_BIN = os.environ.get("VOXDNS_BIN") or os.path.join(REPO, "build", "voxdns")


@pytest.fixture(scope="session")
def lab_scenario(tmp_path_factory):
    """Factory: lab_scenario(name_or_path, fresh=False) -> a running Lab.

    Labs are shared by scenario within the session (starting one takes
    about a second); fresh=True always starts a new one, for tests that
    change or break a lab. All are stopped in the finalizer."""
    labs = {}
    started = []

    def get(scenario, fresh=False):
        if not fresh and scenario in labs and labs[scenario].alive():
            return labs[scenario]
        label = os.path.splitext(os.path.basename(str(scenario)))[0]
        lab_dir = tmp_path_factory.mktemp("lab-%s-" % label)
        try:
            lab = voxlab_lib.start(scenario, str(lab_dir), attached=True)
        except voxlab_lib.LabError as e:
            pytest.fail("lab scenario %s did not start: %s" % (scenario, e),
                        pytrace=False)
        started.append(lab)
        if not fresh:
            labs[scenario] = lab
        return lab

    yield get
    for lab in started:
        lab.stop()


@pytest.fixture(scope="session")
def voxdns_bin():
    """Path of the voxdns binary ($VOXDNS_BIN, default build/voxdns);
    skips the test when it has not been built."""
    if not (os.path.isfile(VOXDNS_BIN) and os.access(VOXDNS_BIN, os.X_OK)):
        pytest.skip("voxdns binary not built: %s (set VOXDNS_BIN)" % VOXDNS_BIN)
    return VOXDNS_BIN
