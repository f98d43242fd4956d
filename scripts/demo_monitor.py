#!/usr/bin/python3
"""scripts/demo_monitor.py — the monitor part of the README's main command: starts the lab, runs
`voxdns monitor` inside it with the dashboard, makes the dashboard reachable on the host at
http://127.0.0.1:PORT/ (the lab lives in its own network namespace), then hijacks a record on one
server for a few cycles and puts it back, so the events, the metrics and the dashboard show
RECORD-CHANGED and CHANGE-REVERTED. Runs until Ctrl-C (or --seconds)."""

import argparse
import ctypes
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
import voxlab_lib  # noqa: E402

INSIDE = ("127.0.0.1", 19153)
CLONE_NEWNET = 0x40000000


def forward(listener, netns_fd):
    """Accepts on the host listener and connects inside the lab: a thread that entered the lab's
    network namespace creates its sockets there, while the listener stays on the host."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(netns_fd, CLONE_NEWNET) != 0:
        print("demo: cannot enter the lab's network namespace", file=sys.stderr)
        return
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(INSIDE, timeout=5)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()


def pump(a, b):
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in sel.select(timeout=30):
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def hijack(lab, restore=False):
    server = "ns1.dnsprov-a.net"
    path = os.path.join(lab.servers[server]["dir"], "zones", "voip-example.com.zone")
    with open(path) as f:
        text = f.read()
    old, new = ("198.18.66.66", "192.0.2.10") if restore else ("192.0.2.10", "198.18.66.66")
    with open(path, "w") as f:
        f.write(re.sub(r"^(sip1\s+\d+\s+IN\s+A\s+)" + re.escape(old) + "$", r"\g<1>" + new, text,
                       flags=re.M))
    os.kill(lab.servers[server]["pids"]["nsd"], signal.SIGHUP)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=9153)
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    args = ap.parse_args()
    lab = voxlab_lib.start("knobs", attached=True)
    tmp = tempfile.mkdtemp(prefix="voxdns-demo-")
    config = os.path.join(tmp, "voxdns.yml")
    with open(config, "w") as f:
        f.write(f"""interval: 2s
hints: {lab.hints}
store: sqlite:{tmp}/voxdns.db
listen: {INSIDE[0]}:{INSIDE[1]}
token: demo
ca_file: {lab.ca_file}
domains:
  - name: voip-example.com
  - name: delayed-example.com
  - name: stale-example.com
resolvers:
  - {{name: lab-unbound, address: 198.18.47.1}}
alerts:
  - {{type: log, min_severity: notice}}
""")
    monitor = lab.popen([os.path.join(REPO, "build", "voxdns"), "monitor", "--config", config])
    listener = socket.create_server(("127.0.0.1", args.port), reuse_port=False)
    netns = os.open("/proc/%d/ns/net" % lab.holder_pid, os.O_RDONLY)
    threading.Thread(target=forward, args=(listener, netns), daemon=True).start()
    print(f"\n== voxdns monitor is watching 3 lab domains every 2 s")
    print(f"   dashboard: http://127.0.0.1:{args.port}/   metrics: http://127.0.0.1:{args.port}/metrics")
    print("   in a few seconds one server's sip1.voip-example.com A is hijacked, then restored\n",
          flush=True)
    started = time.monotonic()
    try:
        time.sleep(6)
        hijack(lab)
        time.sleep(6)
        hijack(lab, restore=True)
        while not args.seconds or time.monotonic() - started < args.seconds:
            time.sleep(0.5)
            if monitor.poll() is not None:
                break
    except KeyboardInterrupt:
        pass
    finally:
        monitor.send_signal(signal.SIGTERM)
        try:
            monitor.wait(timeout=10)
        except subprocess.TimeoutExpired:
            monitor.kill()
        lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
