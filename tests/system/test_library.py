"""libvoxdns as a user gets it: install to a temporary prefix, check the exported symbols,
compile examples/locate.c stand-alone with pkg-config, and run it inside the lab."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    build = os.path.dirname(os.path.abspath(os.environ.get("VOXDNS_BIN", "build/voxdns")))
    if not os.path.exists(os.path.join(build, "libvoxdns.so")):
        pytest.skip("libvoxdns.so not built")
    if not shutil.which("pkg-config") or not shutil.which("cc"):
        pytest.skip("needs pkg-config and cc")
    dest = str(tmp_path_factory.mktemp("vxinst"))
    subprocess.run(["cmake", "--install", build, "--prefix", dest], check=True,
                   capture_output=True)
    return dest


def pc_env(prefix):
    libdir = os.path.dirname(subprocess.run(
        ["find", prefix, "-name", "voxdns.pc"], capture_output=True, text=True,
        check=True).stdout.strip())
    env = dict(os.environ, PKG_CONFIG_PATH=libdir)
    env["LD_LIBRARY_PATH"] = os.path.dirname(libdir)
    return env


def test_installed_files(prefix):
    for rel in ["include/voxdns/voxdns.h", "include/voxdns/locate.h",
                "include/voxdns/feedback.h", "share/man/man3/vx_target_failed.3",
                "include/voxdns/cert.h", "share/man/man3/vx_cert_check_sip_domain.3",
                "share/man/man1/voxdns-resolve.1", "share/man/man3/vx_locate.3"]:
        assert os.path.exists(os.path.join(prefix, rel)), rel


def test_only_vx_symbols_exported(prefix):
    lib = subprocess.run(["find", prefix, "-name", "libvoxdns.so"], capture_output=True,
                         text=True).stdout.split()[0]
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    names = [l.split()[-1] for l in out.splitlines() if l.strip()]
    assert names and all(n.startswith("vx_") and not n.startswith("vx__") for n in names), names
    assert "vx_locate_blocking" in names and "vx_resolver_process" in names
    assert "vx_cert_check_sip_domain" in names


def test_archive_holds_only_what_the_library_uses(prefix):
    archive = subprocess.run(["find", prefix, "-name", "libvoxdns.a"], capture_output=True,
                             text=True).stdout.split()[0]
    members = set(subprocess.run(["ar", "t", archive], capture_output=True, text=True,
                                 check=True).stdout.split())
    assert {"resdriver.c.o", "resolver.c.o", "locate.c.o", "rtt.c.o"} <= members
    # the probe engine, the audit's locator over snapshots, the monitor's fingerprints
    assert not {"engine.c.o", "sched.c.o", "udp.c.o", "tcp.c.o", "usock.c.o", "fingerprint.c.o",
                "locate_snapshot.c.o", "snapshot.c.o"} & members


def test_example_builds_with_pkg_config_and_runs(prefix, tmp_path, lab_scenario):
    env = pc_env(prefix)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "voxdns"], env=env,
                           capture_output=True, text=True, check=True).stdout.split()
    exe = str(tmp_path / "locate")
    subprocess.run(["cc", "-Wall", "-Werror", os.path.join(ROOT, "examples", "locate.c"),
                    *flags, "-o", exe], env=env, check=True)
    lab = lab_scenario("knobs")
    r = lab.run([exe, "sip:voip-example.com", "198.18.41.1", "198.18.47.1"],
                env={"LD_LIBRARY_PATH": env["LD_LIBRARY_PATH"]}, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "tls sip1.voip-example.com.:5061 2001:db8:c::10 (network)"
    assert len(lines) == 9
