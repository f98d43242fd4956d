"""HTTP load driver for tests/system/test_http_limits.py, run INSIDE the lab's network namespace
(it only ever talks to the address it is given). Prints one JSON object on stdout.

    http_load.py burst HOST PORT N PATH...   N parallel GETs (Connection: close) spread over the
                                             paths, while /healthz is probed every 100 ms
    http_load.py slow HOST PORT N PACE        N connections that each send one header line every
                                             PACE seconds and never finish, while /healthz and
                                             /metrics are probed every 250 ms; ends when every
                                             slow connection has been closed by the server (or
                                             after 30 s)
    http_load.py probe HOST PORT EVERY PATH...  GETs the paths every EVERY seconds until stdin
                                             closes (burst and slow run it as a process of its
                                             own, so their load never delays a probe)
    http_load.py hold HOST PORT N SRC         N idle connections from source address SRC, then
                                             one more GET from SRC and one /healthz from
                                             127.0.0.2; the idle ones are closed at the end
"""

import asyncio
import json
import subprocess
import sys
import time


async def get(host, port, path, timeout=20.0, src=None):
    """-> (status or 0 for no answer, seconds)."""
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(src, 0) if src else None), timeout)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
    except (OSError, asyncio.TimeoutError):
        return 0, time.monotonic() - t0
    line = data.split(b"\r\n", 1)[0].split()
    status = int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/") else 0
    return status, time.monotonic() - t0


async def probe(host, port, paths, every, stop, out):
    while not stop.is_set():
        for path in paths:
            status, secs = await get(host, port, path, timeout=5.0)
            out.append({"path": path, "status": status, "secs": round(secs, 4)})
        await asyncio.sleep(every)


async def probe_main(host, port, every, paths):
    """Probes until stdin closes: the prober runs as a process of its own, so that the load's
    event loop (hundreds of sockets) never delays a probe and the latency is the server's."""
    stop, probes = asyncio.Event(), []
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read() or stop.set())
    await probe(host, port, paths, every, stop, probes)
    return probes


class Prober:
    def __init__(self, host, port, every, paths):
        self.proc = subprocess.Popen([sys.executable, __file__, "probe", host, str(port),
                                      str(every), *paths],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def finish(self):
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.wait(timeout=30)
        return json.loads(out)


async def burst(host, port, n, paths):
    prober = Prober(host, port, 0.1, ["/healthz"])
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    results = await asyncio.gather(*(get(host, port, paths[i % len(paths)]) for i in range(n)))
    elapsed = time.monotonic() - t0
    probes = prober.finish()
    statuses = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"statuses": statuses, "elapsed": round(elapsed, 3),
            "slowest": round(max(s for _, s in results), 3), "probes": probes}


async def slow_client(host, port, pace, index, closed_after):
    t0 = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode())
    line = 0
    try:
        while time.monotonic() - t0 < 30:
            try:
                data = await asyncio.wait_for(reader.read(4096), pace)
                if not data:
                    break  # the server closed it
            except asyncio.TimeoutError:
                line += 1
                writer.write(f"X-Slow-{index}: line {line}\r\n".encode())
                await writer.drain()
    except OSError:
        pass
    closed_after.append(round(time.monotonic() - t0, 3))
    writer.close()


async def slow(host, port, n, pace):
    closed_after = []
    slows = [asyncio.ensure_future(slow_client(host, port, pace, i, closed_after))
             for i in range(n)]
    await asyncio.sleep(0.5)
    prober = Prober(host, port, 0.25, ["/healthz", "/metrics"])
    await asyncio.gather(*slows)
    return {"closed_after": sorted(closed_after), "probes": prober.finish()}


async def hold(host, port, n, src):
    conns = []
    for _ in range(n):
        conns.append(await asyncio.open_connection(host, port, local_addr=(src, 0)))
    await asyncio.sleep(0.3)
    extra, _ = await get(host, port, "/healthz", timeout=3.0, src=src)
    other, secs = await get(host, port, "/healthz", timeout=3.0, src="127.0.0.2")
    for _, writer in conns:
        writer.close()
    return {"extra_from_src": extra, "other_source": other, "other_secs": round(secs, 3)}


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "probe":
        result = probe_main(host, port, float(sys.argv[4]), sys.argv[5:])
    elif mode == "burst":
        result = burst(host, port, int(sys.argv[4]), sys.argv[5:])
    elif mode == "slow":
        result = slow(host, port, int(sys.argv[4]), float(sys.argv[5]))
    else:
        result = hold(host, port, int(sys.argv[4]), sys.argv[5])
    print(json.dumps(asyncio.run(result)))


if __name__ == "__main__":
    main()
