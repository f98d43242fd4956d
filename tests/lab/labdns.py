"""Just enough DNS wire format for the lab: readiness probes, the spoofer's
forged replies and the lab's own tests. Not a general DNS library (the
servers under test are the real thing); standard library only."""

import ipaddress
import random
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "TXT": 16,
         "AAAA": 28, "SRV": 33, "NAPTR": 35, "OPT": 41, "AXFR": 252,
         "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {"IN": 1, "CH": 3}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}

FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080


class WireError(ValueError):
    """A message that cannot be parsed."""


def encode_name(name):
    """Presentation name (absolute or not) -> uncompressed wire bytes."""
    name = name.rstrip(".")
    out = bytearray()
    if name:
        for label in name.split("."):
            raw = label.encode("ascii")
            if not 0 < len(raw) < 64:
                raise WireError("bad label in %r" % name)
            out.append(len(raw))
            out += raw
    out.append(0)
    return bytes(out)


def read_name(msg, off):
    """Read a possibly compressed name at off -> (name, offset after it)."""
    labels, end, hops = [], None, 0
    while True:
        if off >= len(msg):
            raise WireError("name runs past the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg) or hops > 64:
                raise WireError("bad compression pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            continue
        if n & 0xC0:
            raise WireError("bad label type")
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    name = ".".join(labels) + "." if labels else "."
    return name, (end if end is not None else off)


def build_query(qname, qtype="A", qid=None, rd=False, edns=1232,
                qclass="IN"):
    """Build a query -> (id, bytes). edns=None sends no OPT record."""
    qid = random.getrandbits(16) if qid is None else qid
    flags = FLAG_RD if rd else 0
    qt = TYPES[qtype] if isinstance(qtype, str) else qtype
    qc = CLASSES[qclass] if isinstance(qclass, str) else qclass
    arcount = 1 if edns else 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, arcount)
    msg += encode_name(qname) + struct.pack("!HH", qt, qc)
    if edns:
        msg += b"\x00" + struct.pack("!HHIH", 41, edns, 0, 0)
    return qid, msg


def parse_question(msg):
    """-> (qname, qtype, qclass, offset after the question) of a message."""
    if len(msg) < 12:
        raise WireError("short message")
    if struct.unpack("!H", msg[4:6])[0] < 1:
        raise WireError("no question")
    qname, off = read_name(msg, 12)
    if off + 4 > len(msg):
        raise WireError("short question")
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return qname, qtype, qclass, off + 4


def _rdata_text(msg, rtype, start, rdata):
    if rtype == 1 and len(rdata) == 4:
        return str(ipaddress.IPv4Address(rdata))
    if rtype == 28 and len(rdata) == 16:
        return str(ipaddress.IPv6Address(rdata))
    if rtype in (2, 5, 12):
        return read_name(msg, start)[0]
    if rtype == 16:
        parts, i = [], 0
        while i < len(rdata):
            n = rdata[i]
            parts.append('"%s"' % rdata[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        return " ".join(parts)
    if rtype == 6:
        mname, off = read_name(msg, start)
        rname, off = read_name(msg, off)
        nums = struct.unpack("!IIIII", msg[off:off + 20])
        return " ".join([mname, rname] + [str(n) for n in nums])
    if rtype == 33:
        prio, weight, port = struct.unpack("!HHH", rdata[:6])
        return "%d %d %d %s" % (prio, weight, port, read_name(msg, start + 6)[0])
    return "\\# %d %s" % (len(rdata), rdata.hex())


def parse_message(msg):
    """Parse a whole message into a dict (header fields, question, and the
    answer/authority/additional sections as (name, type, ttl, text))."""
    if len(msg) < 12:
        raise WireError("short message")
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    out = {"id": qid, "flags": flags, "rcode": RCODES.get(flags & 0xF, str(flags & 0xF)),
           "qr": bool(flags & FLAG_QR), "aa": bool(flags & FLAG_AA),
           "tc": bool(flags & FLAG_TC), "rd": bool(flags & FLAG_RD),
           "ra": bool(flags & FLAG_RA), "question": None,
           "answer": [], "authority": [], "additional": []}
    off = 12
    for _ in range(qd):
        qname, off = read_name(msg, off)
        qtype, _qclass = struct.unpack("!HH", msg[off:off + 4])
        off += 4
        out["question"] = (qname, TYPE_NAMES.get(qtype, str(qtype)))
    for section, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            name, off = read_name(msg, off)
            if off + 10 > len(msg):
                raise WireError("short record")
            rtype, _rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            rdata = msg[off:off + rdlen]
            if len(rdata) != rdlen:
                raise WireError("short rdata")
            text = _rdata_text(msg, rtype, off, rdata)
            out[section].append((name, TYPE_NAMES.get(rtype, str(rtype)), ttl, text))
            off += rdlen
    return out
