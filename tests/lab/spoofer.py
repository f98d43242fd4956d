#!/usr/bin/python3
"""Spoofer of the lab (the `spoofer` knob): stands in front of a real server
like the delay relay (relay.py) does, and for every UDP query at once sends
two forged replies, then forwards the query and relays the real answer a
little later (--answer-delay, default 20 ms) so the forgeries surely win
the race:

  1. from the right address but a WRONG SOURCE PORT (a second socket bound
     on the same public address, another port), with the right id;
  2. from the right address and port 53 but with a WRONG ID.

Both carry different data: A 198.18.66.66, AAAA 2001:db8:66::66,
TXT "spoofed", and NXDOMAIN for any other type. A client that checks source
address, port and id ignores both and gets the real answer. TCP is relayed
unchanged.
"""

import ipaddress
import socket
import struct
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labdns  # noqa: E402
import relay   # noqa: E402

FORGED_A = "198.18.66.66"
FORGED_AAAA = "2001:db8:66::66"
FORGED_TXT = b"spoofed"
WRONG_ID_XOR = 0x5A5A


def forge_reply(query):
    """A forged authoritative reply to query (same id and question)."""
    _qname, qtype, qclass, qend = labdns.parse_question(query)
    qid, qflags = struct.unpack("!HH", query[:4])
    rdata = None
    if qtype == 1:
        rdata = ipaddress.IPv4Address(FORGED_A).packed
    elif qtype == 28:
        rdata = ipaddress.IPv6Address(FORGED_AAAA).packed
    elif qtype == 16:
        rdata = bytes([len(FORGED_TXT)]) + FORGED_TXT
    flags = labdns.FLAG_QR | labdns.FLAG_AA | (qflags & labdns.FLAG_RD)
    if rdata is None:
        flags |= 3  # NXDOMAIN
    has_opt = struct.unpack("!H", query[10:12])[0] > 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 1 if rdata else 0, 0,
                      1 if has_opt else 0)
    msg += query[12:qend]
    if rdata:
        msg += struct.pack("!HHHIH", 0xC00C, qtype, qclass, 3600, len(rdata))
        msg += rdata
    if has_opt:
        msg += b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return msg


class SpoofingRelay(relay.UdpRelay):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.side = {}
        for sock in self.listeners:
            side = socket.socket(sock.family, socket.SOCK_DGRAM)
            side.setblocking(False)
            side.bind((sock.getsockname()[0], 0))
            self.side[sock] = side
        self.forged = 0

    def on_query(self, sock, addr, data):
        try:
            forged = forge_reply(data)
        except (labdns.WireError, struct.error):
            forged = None
        if forged is not None and not data[2] & 0x80:  # queries only
            self.send(self.side[sock], addr, forged)
            wrong_id = struct.unpack("!H", forged[:2])[0] ^ WRONG_ID_XOR
            self.send(sock, addr, struct.pack("!H", wrong_id) + forged[2:])
            self.forged += 2
        super().on_query(sock, addr, data)


def main():
    p = relay.arg_parser("Spoofing relay of the lab (see the module doc).")
    p.add_argument("--answer-delay", default="20ms",
                   help="extra delay of the real UDP answer (default 20ms)")
    args = p.parse_args()
    answer_delay = relay.parse_seconds(args.answer_delay)
    relay.serve(lambda loop, upstream, delay: SpoofingRelay(
        loop, args.listen, args.port, upstream, delay, answer_delay),
        args, answer_delay=answer_delay)


if __name__ == "__main__":
    main()
