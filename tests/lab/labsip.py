"""labsip: the lab's SIP servers (SBCs): which addresses need one, their
certificates and the Kamailio configuration that serves them all.

The SIP targets are derived from the zone data the lab's DNS servers serve:
every RFC 3263 chain (NAPTR -> SRV, or the SRV names directly) of every
zone leads to (transport, port, address) tuples, and each such address gets
an SBC that answers OPTIONS on exactly those transports and ports, with a
certificate (from a CA made at lab start) that names every SIP domain whose
chain reaches it. The scenario's `sbcs` mapping changes that per target
(silent, another OPTIONS reply, TLS port closed, certificate variants).

One Kamailio serves every SBC (unless the `kamailio` knob gives a target a
Kamailio of its own, to stop it alone), in two processes (with their workers): UDP
through one wildcard socket per family and port (a UDP socket costs
Kamailio a worker process, and its TLS module builds one SSL context per
process and TLS domain, so per-address UDP sockets would make the start
quadratic), and TCP plus TLS on each address (a TLS domain per address and
port, so each can present its own certificate). Addresses whose OPTIONS
answer differs get their own UDP socket, because only there does Kamailio
know the address a datagram was sent to. When a target has a Kamailio of
its own, every Kamailio binds a UDP socket per address (a process each):
a wildcard socket would take the datagrams of a stopped Kamailio's
addresses. Standard library plus
python3-cryptography.
"""

import datetime
import glob
import hashlib
import ipaddress
import os
import re
import shutil
import socket
import uuid

KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
KAMCMD = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
INSTANCE = "kamailio"  # the main Kamailio; its name for stop/start
# the names the `kamailio` knob gives a target's own Kamailio
INSTANCE_RE = re.compile(r"^kamailio-[a-z0-9][a-z0-9-]{0,30}$")

SBC_KEYS = {"silent", "options_reply", "tls_closed", "cert", "tls_version", "kamailio",
            "note"}
CERT_VARIANTS = ("ok", "ok-uri", "ok-dns", "cn-only", "host-only", "wildcard",
                 "expired", "expiring", "self-signed")
TLS_VERSIONS = ("1.2", "1.1")  # 1.2: TLS 1.2 and newer (the default); 1.1: only TLS 1.1
MODES = ("up", "silent", "unreachable")
REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
           480: "Temporarily Unavailable", 486: "Busy Here", 500: "Server Internal Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Server Time-out",
           600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere"}

# SRV owner labels -> transport (RFC 3263 and the Lync/Skype names)
SRV_TRANSPORTS = {("_sip", "_udp"): "udp", ("_sip", "_tcp"): "tcp", ("_sips", "_tcp"): "tls",
                  ("_sip", "_tls"): "tls", ("_sipinternaltls", "_tcp"): "tls",
                  ("_sipfederationtls", "_tcp"): "tls"}
NAPTR_TRANSPORTS = {"SIP+D2U": "udp", "SIP+D2T": "tcp", "SIPS+D2T": "tls"}

# Addresses that get no SBC: they are not reachable from the internet, so
# the lab does not pretend they are (privaddr-example.com's sip2 extra).
NOT_PUBLIC = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10")]

CERT_DAYS = 90            # validity of a good leaf
EXPIRING_DAYS = 10        # `cert: expiring`: expires this many days after the start
TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"]+')


class SipError(Exception):
    """A scenario's SIP part that cannot be built."""


# --------------------------------------------------------------------------
# Zone data -> SIP targets
# --------------------------------------------------------------------------

def _strip_comment(line):
    if '"' not in line:
        return line.split(";", 1)[0]
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            break
        out.append(ch)
    return "".join(out)


SKIPPED_TYPES = re.compile(r"\s(RRSIG|NSEC|NSEC3|DNSKEY|DS|TXT)\s")  # most of a signed zone


def _logical_lines(text):
    """Zone text -> (starts_blank, tokens) per record, parentheses joined
    (one-line records of types the chains never use are skipped unread)."""
    pending, blank, depth = [], False, 0
    for raw in text.splitlines():
        line = _strip_comment(raw)
        if depth == 0:
            if not line.strip():
                continue
            blank = line[:1] in (" ", "\t")
            if "(" not in line and SKIPPED_TYPES.search(line):
                yield blank, ([] if blank else line.split()[:1]) + ["-"]  # owner only
                continue
        pending += TOKEN_RE.findall(line)
        depth += line.count("(") - line.count(")")
        if depth <= 0:
            toks = [t for t in pending if t not in ("(", ")")]
            toks = [t.replace("(", "").replace(")", "") if not t.startswith('"') else t
                    for t in toks]
            yield blank, [t for t in toks if t]
            pending, depth = [], 0


def _absolute(name, origin):
    name = name.lower()
    if name == "@":
        return origin
    return name if name.endswith(".") else "%s.%s" % (name, origin)


def zone_records(text, origin):
    """(owner, type, rdata tokens) of a zone file's text (absolute, lower-case
    owner; names in SRV, NAPTR and CNAME rdata made absolute)."""
    origin = _absolute(origin, ".") if origin not in (".", "") else "."
    owner = origin
    for blank, toks in _logical_lines(text):
        if toks[0].upper() == "$ORIGIN":
            origin = _absolute(toks[1], ".")
            continue
        if toks[0].startswith("$"):
            continue
        if not blank:
            owner, toks = _absolute(toks[0], origin), toks[1:]
        while toks and (toks[0].isdigit() or toks[0].upper() in ("IN", "CH", "HS")):
            toks = toks[1:]
        if len(toks) < 2:
            continue
        rtype, rdata = toks[0].upper(), toks[1:]
        if rtype == "SRV" and len(rdata) == 4:
            rdata = rdata[:3] + [_absolute(rdata[3], origin)]
        elif rtype == "NAPTR" and len(rdata) == 6:
            rdata = rdata[:5] + [_absolute(rdata[5], origin)]
        elif rtype == "CNAME" and rdata:
            rdata = [_absolute(rdata[0], origin)]
        yield owner, rtype, rdata


def _public(address):
    ip = ipaddress.ip_address(address)
    return not any(ip in net for net in NOT_PUBLIC)


def _addresses(recs, name, hops=0):
    types = recs.get(name, {})
    if "CNAME" in types and hops < 8:
        out = set()
        for (target,) in types["CNAME"]:
            out |= _addresses(recs, target, hops + 1)
        return out
    out = set()
    for rtype in ("A", "AAAA"):
        for rdata in types.get(rtype, ()):
            try:
                out.add(str(ipaddress.ip_address(rdata[0])))
            except ValueError:
                pass
    return out


def _services(recs):
    """(SIP domain, transport, SRV owner) of every chain in the data."""
    out = set()
    for owner, types in recs.items():
        for rdata in types.get("NAPTR", ()):
            flags, service = rdata[2].strip('"').lower(), rdata[3].strip('"').upper()
            if flags == "s" and service in NAPTR_TRANSPORTS and rdata[5] != ".":
                out.add((owner, NAPTR_TRANSPORTS[service], rdata[5]))
        labels = owner.split(".")
        if "SRV" in types and len(labels) > 3 and tuple(labels[:2]) in SRV_TRANSPORTS:
            out.add((".".join(labels[2:]), SRV_TRANSPORTS[tuple(labels[:2])], owner))
    return out


def derive_targets(zone_texts):
    """[(zone, text)] -> {address: {"domains", "hosts", "listen"}}: every
    public address an RFC 3263 chain of the data leads to, the SIP domains
    and SRV target hosts that lead there and the (transport, port) pairs."""
    recs = {}
    for zone, text in zone_texts:
        for owner, rtype, rdata in zone_records(text, zone):
            recs.setdefault(owner, {}).setdefault(rtype, set()).add(tuple(rdata))
    targets = {}
    for domain, transport, srv in _services(recs):
        for rdata in recs.get(srv, {}).get("SRV", ()):
            if len(rdata) != 4 or rdata[3] == "." or not rdata[2].isdigit():
                continue
            for address in _addresses(recs, rdata[3]):
                if not _public(address):
                    continue
                t = targets.setdefault(address, {"domains": set(), "hosts": set(),
                                                 "listen": set()})
                t["domains"].add(domain.rstrip("."))
                t["hosts"].add(rdata[3].rstrip("."))
                t["listen"].add((transport, int(rdata[2])))
    return targets


# --------------------------------------------------------------------------
# The scenario's `sbcs` knobs
# --------------------------------------------------------------------------

def validate_knobs(raw):
    """The scenario's `sbcs` mapping (target -> knobs) -> a checked copy.
    A target is an address, an SRV target host or a SIP domain."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SipError("sbcs: a mapping of SIP target (host or address) to knobs")
    out = {}
    for target, knobs in raw.items():
        where = "sbcs %s" % target
        knobs = knobs or {}
        if not isinstance(knobs, dict):
            raise SipError("%s: give a mapping of knobs" % where)
        unknown = set(knobs) - SBC_KEYS
        if unknown:
            raise SipError("%s: unknown keys %s" % (where, ", ".join(sorted(unknown))))
        _check_knob_values(knobs, where)
        out[_target_key(target)] = {k: v for k, v in knobs.items()
                                    if v not in (None, False) and k != "note"}
    return out


def _check_knob_values(knobs, where):
    for flag in ("silent", "tls_closed"):
        if flag in knobs and not isinstance(knobs[flag], bool):
            raise SipError("%s: %s takes true or false" % (where, flag))
    code = knobs.get("options_reply", 200)
    if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 699:
        raise SipError("%s: options_reply is a SIP status code (100-699)" % where)
    if knobs.get("cert", "ok") not in CERT_VARIANTS:
        raise SipError("%s: cert takes %s" % (where, ", ".join(CERT_VARIANTS)))
    if str(knobs.get("tls_version", "1.2")) not in TLS_VERSIONS:
        raise SipError("%s: tls_version takes %s" % (where, " or ".join(TLS_VERSIONS)))
    if "kamailio" in knobs and not INSTANCE_RE.match(str(knobs["kamailio"])):
        raise SipError("%s: kamailio names a Kamailio of its own: kamailio-NAME (lower case, "
                       "digits, '-')" % where)


def _target_key(target):
    text = str(target).strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def resolve_target(targets, key):
    """A target key -> its addresses among targets: an address, an SRV target
    host (all its addresses), or a SIP domain (every address its chains
    reach)."""
    key = _target_key(key)
    if key in targets:
        return [key]
    found = sorted(a for a, t in targets.items() if key in t["hosts"]) or \
        sorted(a for a, t in targets.items() if key in t["domains"])
    if not found:
        raise SipError("sbcs: %s is no SIP target of the scenario's zones" % key)
    return found


def apply_knobs(targets, knobs):
    """The knobs of each address (from host and address keys; an address key
    wins over a host key)."""
    per_address = {}
    for key, k in sorted(knobs.items(), key=lambda kv: _is_address(kv[0])):
        for address in resolve_target(targets, key):
            per_address.setdefault(address, {}).update(k)
    return per_address


def _is_address(key):
    try:
        ipaddress.ip_address(key)
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------
# Certificates (python3-cryptography)
# --------------------------------------------------------------------------

def _crypto():
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise SipError("the lab's SIP servers need python3-cryptography (scripts/setup)")
    return x509, hashes, serialization, ec, ExtendedKeyUsageOID, NameOID


def _write_key(key, path):
    _x509, _h, serialization, _ec, _e, _n = _crypto()
    data = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    tmp = path + ".tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_cert(cert, path):
    _x509, _h, serialization, _ec, _e, _n = _crypto()
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp, path)


def _name(cn, org="voxlab"):
    x509, _h, _s, _ec, _e, NameOID = _crypto()
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(ca_dir, now):
    """A fresh lab CA (ECDSA P-256, valid from a day before the start for ten
    years) -> {"cert": path, "key": path}."""
    x509, hashes, _s, ec, _e, _n = _crypto()
    os.makedirs(ca_dir, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("voxlab lab SIP CA")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                         False, False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    paths = {"cert": os.path.join(ca_dir, "ca.pem"), "key": os.path.join(ca_dir, "ca.key")}
    _write_key(key, paths["key"])
    _write_cert(cert, paths["cert"])
    return paths


_CA_CACHE = {}


def _load_ca(ca):
    key_ = (ca["cert"], ca["key"], os.stat(ca["cert"]).st_mtime_ns)
    if key_ not in _CA_CACHE:
        _CA_CACHE[key_] = _read_ca(ca)
    return _CA_CACHE[key_]


def _read_ca(ca):
    x509, _h, serialization, _ec, _e, _n = _crypto()
    with open(ca["cert"], "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(ca["key"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return cert, key


def cert_names(variant, domains, hosts):
    """(common name, SAN URIs, SAN dNSNames) of a certificate variant."""
    domains, hosts = sorted(domains), sorted(hosts)
    cn = hosts[0] if hosts else domains[0]
    uris = ["sip:" + d for d in domains]
    if variant == "ok-uri":
        return cn, uris, []
    if variant == "ok-dns":
        return cn, [], list(domains)
    if variant == "cn-only":
        if len(domains) != 1:
            raise SipError("cert cn-only needs an address of exactly one SIP domain "
                           "(has %s)" % ", ".join(domains))
        return domains[0], [], []
    if variant == "host-only":
        return cn, [], list(hosts)
    if variant == "wildcard":
        return cn, [], ["*." + d for d in domains]
    return cn, uris, list(domains)  # ok, expired, expiring, self-signed


def _validity(variant, now):
    day = datetime.timedelta(days=1)
    if variant == "expired":
        return now - 91 * day, now - day
    if variant == "expiring":
        return now - 80 * day, now + EXPIRING_DAYS * day
    return now - datetime.timedelta(hours=1), now + CERT_DAYS * day


def make_leaf(ca, variant, domains, hosts, prefix, now=None):
    """A leaf certificate for an SBC address, signed by the lab CA (or by its
    own key: `self-signed`), written to PREFIX.pem / PREFIX.key -> its facts."""
    x509, hashes, serialization, ec, ExtendedKeyUsageOID, _n = _crypto()
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cn, uris, dns = cert_names(variant, domains, hosts)
    key = ec.generate_private_key(ec.SECP256R1())
    if variant == "self-signed":
        issuer_name, issuer_key = _name(cn, "voxlab self-signed"), key
        subject = issuer_name
    else:
        ca_cert, issuer_key = _load_ca(ca)
        issuer_name, subject = ca_cert.subject, _name(cn)
    not_before, not_after = _validity(variant, now)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                               ExtendedKeyUsageOID.CLIENT_AUTH]),
                        critical=False))
    if uris or dns:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.UniformResourceIdentifier(u) for u in uris] +
            [x509.DNSName(d) for d in dns]), critical=False)
    cert = b.sign(issuer_key, hashes.SHA256())
    _write_key(key, prefix + ".key")
    _write_cert(cert, prefix + ".pem")
    der = cert.public_bytes(serialization.Encoding.DER)
    return {"variant": variant, "cert": prefix + ".pem", "key": prefix + ".key",
            "sha256": hashlib.sha256(der).hexdigest(), "serial": "%x" % cert.serial_number,
            "subject_cn": cn, "san_uris": uris, "san_dns": dns,
            "issuer": "self" if variant == "self-signed" else "lab-ca",
            "not_before": int(not_before.timestamp()), "not_after": int(not_after.timestamp()),
            "not_before_utc": not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "not_after_utc": not_after.strftime("%Y-%m-%dT%H:%M:%SZ")}


# --------------------------------------------------------------------------
# The plan: endpoints, certificates, Kamailio
# --------------------------------------------------------------------------

def plan_sip(zone_texts, knobs, lab_dir, unusable=()):
    """Everything the lab needs for its SIP servers -> the plan's `sip` entry
    (CA, endpoints by address, the Kamailio files and command line)."""
    sip_dir = os.path.join(lab_dir, "sip")
    os.makedirs(os.path.join(sip_dir, "certs"), exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ca = make_ca(os.path.join(sip_dir, "ca"), now)
    targets = derive_targets(zone_texts)
    for address in unusable:
        targets.pop(address, None)
    per_address = apply_knobs(targets, knobs)
    endpoints = {}
    for address in sorted(targets, key=_address_order):
        endpoints[address] = _endpoint(address, targets[address],
                                       per_address.get(address, {}), ca, sip_dir, now)
    sip = {"dir": sip_dir, "ca_file": ca["cert"], "ca_key": ca["key"],
           "endpoints": endpoints, "instance": INSTANCE, "instances": {}}
    for name in sorted({e["instance"] for e in endpoints.values()}):
        sip["instances"][name] = _write_kamailio(sip, ca, now, name)
    if endpoints:
        sip["kamailio"] = sip["instances"].get(INSTANCE) or \
            next(iter(sip["instances"].values()))
    return sip


def _address_order(address):
    ip = ipaddress.ip_address(address)
    return (ip.version, ip)


def _endpoint(address, target, knobs, ca, sip_dir, now):
    listen = sorted(target["listen"])
    plain = {p for t, p in listen if t == "tcp"}
    dropped = [[t, p] for t, p in listen if t == "tls" and p in plain]
    listen = [[t, p] for t, p in listen if [t, p] not in dropped]
    if knobs.get("tls_closed"):
        dropped += [[t, p] for t, p in listen if t == "tls"]
        listen = [[t, p] for t, p in listen if t != "tls"]
    e = {"address": address, "hosts": sorted(target["hosts"]),
         "domains": sorted(target["domains"]), "listen": listen,
         "not_listening": dropped, "knobs": knobs,
         "mode": "silent" if knobs.get("silent") else "up",
         "options_reply": int(knobs.get("options_reply", 200)),
         "tls_version": str(knobs.get("tls_version", "1.2")), "cert": None,
         "instance": str(knobs.get("kamailio", INSTANCE))}
    if any(t == "tls" for t, _p in listen):
        e["cert"] = make_leaf(ca, knobs.get("cert", "ok"), e["domains"], e["hosts"],
                              os.path.join(sip_dir, "certs", address), now)
    return e


def _host(address):
    return "[%s]" % address if ":" in address else address


def _listen_lines(endpoints, part, wildcard=True):
    """UDP (part udp): a wildcard socket per family and port (main Kamailio
    only), plus a socket of its own for every address whose OPTIONS answer is
    not 200; TCP and TLS (part tcp): each address and port."""
    lines, wild = [], set()
    for e in endpoints.values():
        for transport, port in e["listen"]:
            if (transport == "udp") != (part == "udp"):
                continue
            if transport == "udp" and e["options_reply"] == 200 and wildcard:
                wild.add(("[::]" if ":" in e["address"] else "0.0.0.0", port))
            else:
                lines.append("listen=%s:%s:%d" % (transport, _host(e["address"]), port))
    return ["listen=udp:%s:%d" % w for w in sorted(wild)] + lines


def _options_route(endpoints):
    """OPTIONS: 200, or the `options_reply` of the address it came to."""
    by_code = {}
    for e in endpoints.values():
        if e["options_reply"] != 200:
            by_code.setdefault(e["options_reply"], []).append(e["address"])
    lines = ["route[OPTIONS] {"]
    for code, addresses in sorted(by_code.items()):
        cond = " || ".join('$Ri == "%s"' % a for a in addresses)
        lines += ["    if (%s) {" % cond,
                  '        sl_send_reply("%d", "%s");' % (code, REASONS.get(code, "Lab Reply")),
                  "        exit;", "    }"]
    lines += ['    append_to_reply("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, '
              'MESSAGE\\r\\nAccept: application/sdp\\r\\n");',
              '    sl_send_reply("200", "OK");', "}"]
    return lines


MODULES = ("tm", "sl", "pv", "textops", "siputils", "maxfwd", "xlog", "usrloc", "registrar")
REQUEST_ROUTE = """request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (is_method("OPTIONS")) {
        route(OPTIONS);
        exit;
    }
    if (is_method("REGISTER")) {
        if (!save("location")) sl_reply_error();
        exit;
    }
    if (is_method("ACK")) {
        if (t_check_trans()) t_relay();
        exit;
    }
    if (lookup("location")) {
        t_relay();
        exit;
    }
    sl_send_reply("404", "Not Found");
}"""


def _modules_dir():
    found = sorted(glob.glob("/usr/lib/*/kamailio/modules")) + \
        sorted(glob.glob("/usr/lib/kamailio/modules"))
    if not found:
        raise SipError("Kamailio modules not found (install kamailio, kamailio-tls-modules)")
    return found[0]


def kamailio_cfg(sip, part, name=INSTANCE):
    """kamailio.cfg of one part (udp: the UDP sockets; tcp: TCP and TLS) of
    the Kamailio NAME: answer OPTIONS (200 unless a knob says otherwise),
    REGISTER with 200 (no authentication, kept in memory), relay requests to
    registered users, 404 otherwise. TLS 1.2 or newer unless a knob says
    otherwise."""
    k = sip["instances"][name]
    mine = {a: e for a, e in sip["endpoints"].items() if e["instance"] == name}
    lines = ["#!KAMAILIO", "# generated by voxlab: the lab's SBCs, Kamailio %s, %s part"
             % (name, part.upper()),
             "debug=2", "log_stderror=yes", "children=1", "tcp_children=1",
             "ip_free_bind=1",  # restarts while some addresses are silenced (off lo)
             "auto_aliases=no", "dns=no", "rev_dns=no", "use_dns_cache=off",
             'server_header="Server: voxlab SBC (Kamailio)"', 'mpath="%s/"' % _modules_dir()]
    lines += ["disable_tcp=yes"] if part == "udp" else \
        ["enable_tls=yes", "tcp_connection_lifetime=60"]
    alone = len({e["instance"] for e in sip["endpoints"].values()}) == 1
    lines += _listen_lines(mine, part, wildcard=alone)
    modules = MODULES + (("tls", "ctl") if part == "tcp" else ())
    lines += ['loadmodule "%s.so"' % m for m in modules]
    if part == "tcp":
        lines += ['modparam("tls", "config", "%s")' % k["tls_config"],
                  'modparam("tls", "tls_method", "TLSv1.2+")',
                  'modparam("ctl", "binrpc", "unix:%s")' % k["ctl"]]
    lines += ['modparam("usrloc", "db_mode", 0)', REQUEST_ROUTE]
    lines += _options_route(mine)
    return "\n".join(lines) + "\n"


def _tls_section(head, version, cert=None):
    method = "TLSv1.1" if version == "1.1" else "TLSv1.2+"
    lines = [head, "method = %s" % method, "verify_certificate = no",
             "require_certificate = no"]
    if version == "1.1":  # OpenSSL 3 refuses TLS 1.1 below security level 0
        lines.append("cipher_list = DEFAULT:@SECLEVEL=0")
    if cert:
        lines += ["private_key = %s" % cert["key"], "certificate = %s" % cert["cert"]]
    return "\n".join(lines) + "\n"


def tls_cfg(sip, name=INSTANCE):
    """tls.cfg of the Kamailio NAME: one server domain per TLS address and
    port (its certificate)."""
    parts = ["# generated by voxlab: one TLS domain per SBC address and port\n",
             _tls_section("[server:default]", "1.2", sip["instances"][name]["default_cert"]),
             _tls_section("[client:default]", "1.2")]
    for e in sip["endpoints"].values():
        if e["instance"] != name:
            continue
        for transport, port in e["listen"]:
            if transport == "tls":
                parts.append(_tls_section("[server:%s:%d]" % (_host(e["address"]), port),
                                          e["tls_version"], e["cert"]))
    return "\n".join(parts)


def _write_kamailio(sip, ca, now, name=INSTANCE):
    """The Kamailio NAME of the lab (the main one, or a target's own), in two
    processes: `udp` (the UDP sockets) and `tcp` (TCP and TLS). Its TLS
    module makes an SSL context per process and TLS domain, and every UDP
    socket costs a process, so the TLS part runs with as few processes as
    Kamailio allows."""
    d = os.path.join(sip["dir"], name)
    mine = [e for e in sip["endpoints"].values() if e["instance"] == name]
    os.makedirs(d, exist_ok=True)
    k = {"dir": d, "tls_config": os.path.join(d, "tls.cfg"),
         "ctl": os.path.join(d, "kamailio.ctl"), "parts": {}}
    if len(k["ctl"]) > 100:
        raise SipError("lab directory path too long for Kamailio's control socket: %s" % d)
    prefix = "default" if name == INSTANCE else "default-" + name
    k["default_cert"] = make_leaf(ca, "ok", ["voxlab.invalid"], ["default.voxlab.invalid"],
                                  os.path.join(sip["dir"], "certs", prefix), now)
    sip["instances"][name] = k
    for part in ("udp", "tcp"):
        wanted = ("udp",) if part == "udp" else ("tcp", "tls")
        if not any(t in wanted for e in mine for t, _p in e["listen"]):
            continue
        rundir = os.path.join(d, part)
        os.makedirs(rundir, exist_ok=True)
        conf = os.path.join(d, "kamailio-%s.cfg" % part)
        with open(conf, "w") as f:
            f.write(kamailio_cfg(sip, part, name))
        k["parts"][part] = {
            "config": conf, "log": os.path.join(d, "kamailio-%s.log" % part),
            "argv": [KAMAILIO, "-DD", "-E", "-f", conf, "-P",
                     os.path.join(rundir, "kamailio.pid"), "-Y", rundir, "-w", rundir,
                     "-m", str(_shm_mb(mine) if part == "tcp" else 32), "-M", "8",
                     "-x", "tlsf"]}
    if "tcp" in k["parts"]:
        with open(k["tls_config"], "w") as f:
            f.write(tls_cfg(sip, name))
    return k


def _shm_mb(endpoints):
    """Shared memory of the TCP/TLS part: its TLS module keeps an SSL context
    per process and TLS domain (about 40 KB each)."""
    domains = 1 + sum(1 for e in endpoints
                      for t, _p in e["listen"] if t == "tls")
    return max(64, 32 + domains // 2)


# --------------------------------------------------------------------------
# A minimal SIP client: the holder's start probe and the lab's own tests
# --------------------------------------------------------------------------

def options_request(address, port, transport="UDP", local=None):
    """An OPTIONS request to sip:ADDRESS:PORT -> bytes."""
    host = _host(address)
    branch = "z9hG4bK" + uuid.uuid4().hex
    call_id = uuid.uuid4().hex
    via_host = _host(local[0]) + ":%d" % local[1] if local else host + ":9"
    return ("OPTIONS sip:%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s;rport;branch=%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:probe@voxlab.invalid>;tag=%s\r\n"
            "To: <sip:%s:%d>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n" % (host, port, transport, via_host, branch,
                                           call_id[:10], host, port, call_id)).encode()


def status_code(data):
    """The status code of a SIP response (bytes), or None."""
    m = re.match(rb"SIP/2\.0 (\d{3}) ", data or b"")
    return int(m.group(1)) if m else None


def options_udp(address, port=5060, timeout=2.0):
    """Send OPTIONS over UDP and wait for a final response -> status code,
    or None after timeout (an ICMP refusal raises ConnectionRefusedError)."""
    fam = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((address, port))
        s.send(options_request(address, port, "UDP", s.getsockname()[:2]))
        try:
            while True:
                code = status_code(s.recv(65535))
                if code is not None and code >= 200:
                    return code
        except socket.timeout:
            return None


def options_tcp(address, port=5060, timeout=2.0):
    """Send OPTIONS over TCP -> the final status code, or None after timeout
    (a refused or unreachable connection raises OSError)."""
    fam = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((address, port))
        s.sendall(options_request(address, port, "TCP", s.getsockname()[:2]))
        data = b""
        try:
            while True:
                chunk = s.recv(65535)
                if not chunk:
                    return None
                data += chunk
                for head in data.split(b"\r\n\r\n")[:-1]:
                    code = status_code(head)
                    if code is not None and code >= 200:
                        return code
        except socket.timeout:
            return None


def main(argv):
    """python3 labsip.py udp|tcp ADDRESS [PORT [TIMEOUT]]: one OPTIONS; prints
    the status code, "timeout", or the socket error (for tests, inside a lab)."""
    transport, address = argv[0], argv[1]
    port = int(argv[2]) if len(argv) > 2 else 5060
    timeout = float(argv[3]) if len(argv) > 3 else 2.0
    send = options_udp if transport == "udp" else options_tcp
    try:
        code = send(address, port, timeout)
    except OSError as e:
        print("error %s" % (e.strerror or e))
        return 1
    print(code if code is not None else "timeout")
    return 0 if code is not None else 1


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
