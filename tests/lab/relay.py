#!/usr/bin/python3
"""Delay relay of the lab (the `delayed` knob): listens on a server's public
addresses, port 53, UDP and TCP, and forwards everything to the real server
on its hidden address, adding a fixed delay in each direction, so that the
round trip grows by about twice the delay. netem is not available here.

UDP: one upstream socket for all clients; every forwarded query gets a fresh
relay id that maps back to (client, original id), so any number of queries
can be in flight at once (no per-query serialisation, fit for benchmarks).
TCP: one upstream connection per client connection; each chunk is written
onwards `delay` seconds after it was read, in order.

The same relay also plays two broken middleboxes (knobs of voxlab_lib):
--no-tcp (`udp_only`: nothing listens on TCP, so a connection is refused)
and --edns drop|formerr|noopt (`edns_broken`: UDP queries that carry an OPT
record are dropped, answered FORMERR without OPT, or forwarded with the OPT
record stripped from the answer; queries without OPT pass unchanged, TCP
is relayed unchanged).

The spoofer (spoofer.py) reuses this relay and hooks on_query().
"""

import argparse
import asyncio
import os
import signal
import socket
import struct
import sys

MAX_IN_FLIGHT = 60000
PENDING_TIMEOUT = 10.0
BUFFER_BYTES = 4 << 20


def parse_hostport(text, default_port=53):
    """'127.0.1.3:53', '[2001:db8::1]:53' or a bare address -> (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def parse_seconds(text):
    """'50ms', '0.2s', '0.05' -> seconds as float."""
    text = str(text).strip()
    if text.endswith("ms"):
        return float(text[:-2]) / 1000.0
    if text.endswith("s"):
        return float(text[:-1])
    return float(text)


EDNS_MODES = ("drop", "formerr", "noopt")


def _skip_name(msg, off):
    """Offset just after the (possibly compressed) name at off."""
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        if n & 0xC0:
            raise ValueError("bad label type")
        off += 1 + n
        if n == 0:
            return off


def _sections(msg):
    """-> (end of question, [(start, end, type) of every record]), or
    raises ValueError for a message too broken to walk."""
    if len(msg) < 12:
        raise ValueError("short message")
    qd, an, ns, ar = struct.unpack("!HHHH", msg[4:12])
    off = 12
    for _ in range(qd):
        off = _skip_name(msg, off) + 4
    qend = off
    records = []
    for _ in range(an + ns + ar):
        start = off
        off = _skip_name(msg, off)
        if off + 10 > len(msg):
            raise ValueError("short record")
        rtype, _rclass, _ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10 + rdlen
        if off > len(msg):
            raise ValueError("short rdata")
        records.append((start, off, rtype))
    return qend, records


def has_opt(msg):
    """True when the message carries an OPT record (EDNS0)."""
    try:
        return any(t == 41 for _s, _e, t in _sections(msg)[1])
    except ValueError:
        return False


def strip_opt(msg):
    """The message without its OPT record(s) (ARCOUNT adjusted)."""
    try:
        _qend, records = _sections(msg)
    except ValueError:
        return msg
    out, pos, removed = bytearray(msg[:12]), 12, 0
    for start, end, rtype in records:
        if rtype == 41:
            out += msg[pos:start]
            pos = end
            removed += 1
    out += msg[pos:]
    ar = struct.unpack("!H", msg[10:12])[0]
    out[10:12] = struct.pack("!H", max(0, ar - removed))
    return bytes(out)


def formerr_reply(query):
    """FORMERR to query, without OPT: what a server that knows no EDNS says."""
    try:
        qend, _records = _sections(query)
    except ValueError:
        qend = 12
    qid, qflags = struct.unpack("!HH", query[:4])
    flags = 0x8000 | (qflags & 0x7900) | 1  # QR, opcode and RD kept, FORMERR
    qd = 1 if qend > 12 else 0
    return struct.pack("!HHHHHH", qid, flags, qd, 0, 0, 0) + query[12:qend]


def _big_buffers(sock):
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, BUFFER_BYTES)
        except OSError:
            pass


class UdpRelay:
    """UDP half of the relay. on_query() is the hook for subclasses."""

    def __init__(self, loop, listen, port, upstream, delay, answer_delay=0.0,
                 edns=None):
        self.loop = loop
        self.delay = delay
        self.answer_delay = answer_delay
        self.edns = edns
        self.pending = {}
        self.next_id = int.from_bytes(os.urandom(2), "big")
        self.listeners = []
        for host in listen:
            sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
            sock.setblocking(False)
            _big_buffers(sock)
            sock.bind((host, port))
            loop.add_reader(sock.fileno(), self._on_listener, sock)
            self.listeners.append(sock)
        self.up = socket.socket(family_of(upstream[0]), socket.SOCK_DGRAM)
        self.up.setblocking(False)
        _big_buffers(self.up)
        self.up.connect(upstream)
        loop.add_reader(self.up.fileno(), self._on_upstream)
        loop.call_later(1.0, self._expire)

    def later(self, delay, func, *args):
        if delay > 0:
            self.loop.call_later(delay, func, *args)
        else:
            func(*args)

    @staticmethod
    def send(sock, addr, data):
        try:
            sock.sendto(data, addr)
        except OSError:
            pass

    def on_query(self, sock, addr, data):
        """A query arrived from a client on listening socket sock."""
        if self.edns and has_opt(data):
            if self.edns == "drop":
                return
            if self.edns == "formerr":
                self.later(2 * self.delay, self.send, sock, addr, formerr_reply(data))
                return
        self.later(self.delay, self._forward, sock, addr, data)

    def _on_listener(self, sock):
        for _ in range(256):
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            if len(data) >= 12:
                self.on_query(sock, addr, data)

    def _new_id(self):
        if len(self.pending) >= MAX_IN_FLIGHT:
            return None
        while True:
            self.next_id = (self.next_id + 1) & 0xFFFF
            if self.next_id not in self.pending:
                return self.next_id

    def _forward(self, sock, addr, data):
        rid = self._new_id()
        if rid is None:
            return
        self.pending[rid] = (sock, addr, data[:2], self.loop.time() + PENDING_TIMEOUT)
        try:
            self.up.send(struct.pack("!H", rid) + data[2:])
        except OSError:
            self.pending.pop(rid, None)

    def _on_upstream(self):
        for _ in range(256):
            try:
                data = self.up.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            if len(data) < 12:
                continue
            entry = self.pending.pop(struct.unpack("!H", data[:2])[0], None)
            if entry is None:
                continue
            sock, addr, orig_id, _deadline = entry
            if self.edns == "noopt":
                data = strip_opt(data)
            self.later(self.delay + self.answer_delay, self.send, sock, addr,
                       orig_id + data[2:])

    def _expire(self):
        now = self.loop.time()
        for rid in [r for r, e in self.pending.items() if e[3] < now]:
            del self.pending[rid]
        self.loop.call_later(1.0, self._expire)


async def _pump(reader, writer, delay):
    """Copy reader to writer, each chunk `delay` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            when, chunk = await queue.get()
            wait = when - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()

    task = asyncio.ensure_future(sender())
    try:
        while True:
            chunk = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, chunk))
            if not chunk:
                break
        await task
    finally:
        if not task.done():
            task.cancel()


class TcpRelay:
    """TCP half of the relay: per connection, two delayed pumps."""

    def __init__(self, upstream, delay, answer_delay=0.0):
        self.upstream = upstream
        self.delay = delay
        self.answer_delay = answer_delay

    async def start(self, listen, port):
        servers = []
        for host in listen:
            servers.append(await asyncio.start_server(
                self._client, host, port, reuse_address=True))
        return servers

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(
                _pump(reader, up_writer, self.delay),
                _pump(up_reader, writer, self.delay + self.answer_delay))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (writer, up_writer):
                try:
                    w.close()
                except OSError:
                    pass


def arg_parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--listen", action="append", required=True,
                   help="public address to listen on (repeatable)")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--upstream", required=True,
                   help="real server, e.g. 127.0.1.3:53")
    p.add_argument("--delay", default="0",
                   help="added each way, e.g. 50ms (default 0)")
    p.add_argument("--name", default="relay", help="label for the log")
    p.add_argument("--no-tcp", action="store_true",
                   help="do not listen on TCP (connections are refused)")
    p.add_argument("--edns", choices=EDNS_MODES,
                   help="mishandle UDP queries with EDNS: drop, formerr or noopt")
    return p


def serve(make_udp, args, answer_delay=0.0, tcp_answer_delay=0.0):
    """Run UDP (make_udp(loop) -> UdpRelay) and TCP relays until SIGTERM."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    upstream = parse_hostport(args.upstream)
    delay = parse_seconds(args.delay)
    make_udp(loop, upstream, delay)
    if not getattr(args, "no_tcp", False):
        tcp = TcpRelay(upstream, delay, tcp_answer_delay)
        loop.run_until_complete(tcp.start(args.listen, args.port))
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, loop.stop)
    print("%s: %s:%d -> %s:%d, delay %.3fs each way%s%s%s" % (
        args.name, ",".join(args.listen), args.port, upstream[0], upstream[1],
        delay, ", answers +%.3fs" % answer_delay if answer_delay else "",
        ", no TCP" if getattr(args, "no_tcp", False) else "",
        ", EDNS %s" % args.edns if getattr(args, "edns", None) else ""),
        file=sys.stderr, flush=True)
    loop.run_forever()


def main():
    args = arg_parser(__doc__.split("\n\n")[0]).parse_args()
    serve(lambda loop, upstream, delay: UdpRelay(
        loop, args.listen, args.port, upstream, delay, edns=args.edns), args)


if __name__ == "__main__":
    main()
