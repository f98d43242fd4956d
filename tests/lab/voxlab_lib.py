"""voxlab: the lab's simulated internet of real DNS servers.

One module owns the whole life of a lab: reading a scenario (YAML, with
includes), turning it into a plan (server configs, zone copies, root hints,
the processes to run), the *holder* process that lives inside an
`unshare -rn` user+network namespace and runs every server there, and the
handle (`Lab`) that tests and the `voxlab` command use to run programs in
the namespace and to tear it all down.

Nothing here ever talks to an address outside the namespace: the namespace
has only `lo` (and, for blackholed servers, a veth pair that leads nowhere)
and no default route.
"""

import base64
import copy
import ctypes
import hashlib
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import re
import tempfile
import time

import yaml

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(os.path.dirname(LAB_DIR))
sys.path.insert(0, LAB_DIR)
import labdns  # noqa: E402
import labsip  # noqa: E402

SCENARIO_DIR = os.path.join(LAB_DIR, "scenarios")
ZONE_DIR = os.path.join(LAB_DIR, "zones")
VOXLAB = os.path.join(LAB_DIR, "voxlab")
RELAY = os.path.join(LAB_DIR, "relay.py")
SPOOFER = os.path.join(LAB_DIR, "spoofer.py")
PYTHON = "/usr/bin/python3"

SOFTWARE = {
    "nsd": "/usr/sbin/nsd",
    "knot": "/usr/sbin/knotd",
    "bind": "/usr/sbin/named",
    "unbound": "/usr/sbin/unbound",
}
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
NSENTER = shutil.which("nsenter") or "/usr/bin/nsenter"
IP = shutil.which("ip") or "/usr/sbin/ip"
LDNS_KEYGEN = shutil.which("ldns-keygen") or "/usr/bin/ldns-keygen"
LDNS_SIGNZONE = shutil.which("ldns-signzone") or "/usr/bin/ldns-signzone"

SERVER_KEYS = {"role", "software", "addresses", "zones", "note",
               "stopped", "blackholed", "delayed", "hijacked", "stale",
               "lame", "open_axfr", "open_recursion", "spoofer",
               "version_hidden", "udp_only", "edns_broken", "xfr_key", "dot"}
TOP_KEYS = {"description", "include", "zones", "zone_path", "servers", "dnssec",
            "audit_expectations", "generated", "tsig", "transfers", "sbcs"}
KNOB_ORDER = ["stopped", "blackholed", "delayed", "spoofer", "udp_only",
              "edns_broken", "hijacked", "stale", "lame", "open_axfr",
              "open_recursion", "dot", "version_hidden"]
EDNS_BROKEN = ("drop", "formerr", "noopt")

# DNSSEC signing at start (the scenario's `dnssec` key)
DNSSEC_KEYS = {"expire_in", "bogus", "tamper"}
DNSSEC_ALGORITHM = "ECDSAP256SHA256"
DNSSEC_DEFAULT_EXPIRE = 30 * 86400
DNSKEY_TTL = 3600
DS_TTL = 86400

# Zone transfers (the scenario's `tsig` and `transfers` keys)
TSIG_KEYS = {"algorithm", "secret"}
TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512")
TRANSFER_KEYS = {"primary", "key", "secondaries", "refused", "also_notify"}
SECONDARY_SOFTWARE = ("nsd", "knot", "bind")
XFR_KEY_SOFTWARE = ("nsd", "knot", "bind")

# The audit's expectations (the scenario's `audit_expectations` key)
SEVERITIES = ("info", "notice", "warning", "error", "critical")
EXPECTATION_KEYS = {"args", "findings", "fault", "note"}
CHECK_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
PATH_OPTIONS = ("--asn-db", "--from", "--hints")  # values relative to REPO_DIR
VARIANT_KNOBS = ("hijacked", "stale")

# Generated customer SIP domains (the scenario's `generated` key), for benchmarks
GENERATED_KEYS = {"count", "prefix", "tlds", "servers"}
GENERATED_MAX = 1000000
GENERATED_SOFTWARE = ("nsd", "knot", "bind")
GENERATED_PROBES_PER_ADDRESS = 3  # first, middle and last generated zone
GENERATED_START_PER_ZONE = 0.001  # start-time allowance per generated zone and server (s)

BLACKHOLE_DEV = "vxbh0"
BLACKHOLE_PEER = "vxbh1"
BLACKHOLE_LLADDR = "02:00:00:00:00:01"
HIDDEN_NET = "127.0.1."
START_TIMEOUT = 30.0  # a ceiling: a lab returns as soon as every server answers
CONTROL_SOCKET = "control.sock"  # the holder's runtime control (Lab.control)
SIP_START_ALLOWANCE = 15.0  # Kamailio's TLS start is CPU-bound: room on a busy machine
SOCKET_BUFFER = 4 << 20  # UDP buffers of the servers: room for benchmark bursts

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class LabError(Exception):
    """Anything that keeps a lab from being described, started or used."""


# --------------------------------------------------------------------------
# Scenario files: include, merge, validate
# --------------------------------------------------------------------------

def scenario_path(name):
    """A scenario name (tests/lab/scenarios/NAME.yml) or a path -> path."""
    if os.sep in name or name.endswith((".yml", ".yaml")):
        path = os.path.abspath(name)
    else:
        path = os.path.join(SCENARIO_DIR, name + ".yml")
    if not os.path.isfile(path):
        raise LabError("no such scenario: %s (looked for %s)" % (name, path))
    return path


def list_scenarios():
    return sorted(f[:-4] for f in os.listdir(SCENARIO_DIR) if f.endswith(".yml"))


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _zones_mapping(value, where):
    """A server's `zones` as {zone: file spec or None}."""
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(z): None for z in value}
    if isinstance(value, dict):
        return {str(z): v for z, v in value.items()}
    raise LabError("%s: zones must be a list or a mapping" % where)


def _merge_server(base, over, where):
    """Overlay one server entry: keys replace, except `zones` given as a
    mapping, which updates the inherited set (false removes a zone)."""
    out = dict(base)
    for key, value in over.items():
        if key == "zones" and isinstance(value, dict) and "zones" in out:
            zones = _zones_mapping(out["zones"], where)
            for zone, spec in _zones_mapping(value, where).items():
                if spec is False:
                    zones.pop(zone, None)
                else:
                    zones[zone] = spec
            out["zones"] = zones
        else:
            out[key] = value
    return out


def _load_file(path, seen):
    if path in seen:
        raise LabError("include loop at %s" % path)
    try:
        with open(path) as f:
            doc = yaml.safe_load(f) or {}
    except yaml.YAMLError as e:
        raise LabError("%s: %s" % (path, e))
    if not isinstance(doc, dict):
        raise LabError("%s: a scenario is a mapping" % path)
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise LabError("%s: unknown keys %s" % (path, ", ".join(sorted(unknown))))
    merged = {"description": "", "zones": {}, "zone_path": [], "servers": {},
              "dnssec": {}, "audit_expectations": {}, "generated": None,
              "tsig": {}, "transfers": {}, "sbcs": {}}
    for inc in _as_list(doc.get("include")):
        inc_path = os.path.join(os.path.dirname(path), str(inc))
        if not os.path.isfile(inc_path):
            raise LabError("%s: included file not found: %s" % (path, inc_path))
        _overlay(merged, _load_file(inc_path, seen | {path}), inc_path)
    own = {
        "description": doc.get("description") or "",
        "zones": {str(k): v for k, v in (doc.get("zones") or {}).items()},
        "zone_path": [os.path.join(os.path.dirname(path), str(p))
                      for p in _as_list(doc.get("zone_path"))],
        "servers": doc.get("servers") or {},
        "dnssec": doc.get("dnssec") or {},
        "audit_expectations": doc.get("audit_expectations") or {},
        "generated": doc.get("generated"),
        "tsig": doc.get("tsig") or {},
        "transfers": doc.get("transfers") or {},
        "sbcs": doc.get("sbcs") or {},
    }
    for key in ("dnssec", "audit_expectations", "tsig", "transfers", "sbcs"):
        if not isinstance(own[key], dict):
            raise LabError("%s: %s must be a mapping" % (path, key))
    _overlay(merged, own, path)
    return merged


def _overlay(merged, layer, where):
    if layer["description"]:
        merged["description"] = layer["description"]
    merged["zones"].update(layer["zones"])
    if layer["generated"] is not None:  # the whole mapping: later wins
        merged["generated"] = layer["generated"]
    # per zone / domain / SIP target: later wins
    for key in ("dnssec", "audit_expectations", "transfers", "sbcs"):
        for name, entry in layer[key].items():
            merged[key][_zone_key(name)] = entry
    for name, entry in layer["tsig"].items():
        merged["tsig"][str(name).lower()] = entry
    merged["zone_path"] = layer["zone_path"] + merged["zone_path"]
    if not isinstance(layer["servers"], dict):
        raise LabError("%s: servers must be a mapping" % where)
    for name, entry in layer["servers"].items():
        name = str(name).rstrip(".").lower()
        if entry is None:
            merged["servers"].pop(name, None)
            continue
        if not isinstance(entry, dict):
            raise LabError("%s: server %s must be a mapping" % (where, name))
        unknown = set(entry) - SERVER_KEYS
        if unknown:
            raise LabError("%s: server %s: unknown keys %s" % (
                where, name, ", ".join(sorted(unknown))))
        merged["servers"][name] = _merge_server(
            merged["servers"].get(name, {}), entry, "%s: %s" % (where, name))


def parse_duration(value):
    """50ms, 0.2s, 1s, or a number of seconds -> seconds (float)."""
    text = str(value).strip().lower()
    try:
        if text.endswith("ms"):
            return float(text[:-2]) / 1000.0
        if text.endswith("s"):
            return float(text[:-1])
        return float(text)
    except ValueError:
        raise LabError("not a duration: %r (use e.g. 50ms or 0.2s)" % value)


def _zone_key(zone):
    zone = str(zone).strip().lower()
    return "." if zone in (".", "") else zone.rstrip(".")


def _zone_selector(value, zones, knob, name):
    """A knob given as true / false / [zones] -> the set of zones it hits."""
    if value in (None, False):
        return set()
    if value is True:
        return set(zones)
    chosen = {_zone_key(z) for z in _as_list(value)}
    missing = chosen - set(zones)
    if missing:
        raise LabError("server %s: %s names zones it does not serve: %s" % (
            name, knob, ", ".join(sorted(missing))))
    return chosen


def load_scenario(name):
    """Read, merge and validate a scenario -> a plain dict (see README)."""
    path = scenario_path(name)
    raw = _load_file(path, frozenset())
    sc = {"name": os.path.splitext(os.path.basename(path))[0], "file": path,
          "description": " ".join(str(raw["description"]).split()),
          "zone_path": raw["zone_path"] + [ZONE_DIR],
          "zone_files": {_zone_key(z): v for z, v in raw["zones"].items()},
          "servers": {}, "dnssec": {}, "audit_expectations": {}, "generated": None,
          "tsig": {}, "transfers": {}}
    for key, entry in sorted(raw["tsig"].items()):
        sc["tsig"][key] = _validate_tsig(key, entry)
    owners = {}
    for name_, entry in sorted(raw["servers"].items()):
        srv = _validate_server(name_, entry, sc)
        for addr in srv["addresses"]:
            if addr in owners:
                raise LabError("address %s is given to both %s and %s" % (
                    addr, owners[addr], name_))
            owners[addr] = name_
        sc["servers"][name_] = srv
    if not sc["servers"]:
        raise LabError("%s: no servers" % path)
    for zone, entry in sorted(raw["dnssec"].items()):
        sc["dnssec"][zone] = _validate_dnssec(zone, entry, sc)
    for domain, entry in sorted(raw["audit_expectations"].items()):
        sc["audit_expectations"][domain] = _validate_expectation(domain, entry)
    if raw["generated"] is not None:
        sc["generated"] = _validate_generated(raw["generated"], sc)
    for zone, entry in sorted(raw["transfers"].items()):
        sc["transfers"][zone] = _validate_transfer(zone, entry, sc)
    _assign_transfer_roles(sc)
    try:
        sc["sbcs"] = labsip.validate_knobs(raw["sbcs"])
    except labsip.SipError as e:
        raise LabError(str(e))
    return sc


def _validate_tsig(name, entry):
    """One entry of the scenario's `tsig` mapping: a TSIG key whose secret
    is made at start unless the scenario gives one."""
    where = "tsig %s" % name
    if entry is None:
        entry = {}
    if not isinstance(entry, dict) or set(entry) - TSIG_KEYS:
        raise LabError("%s: give a mapping (algorithm, secret) or {}" % where)
    if not re.match(r"^[a-z0-9][a-z0-9.-]{0,62}$", name):
        raise LabError("%s: a key name is a lower-case DNS name" % where)
    algorithm = str(entry.get("algorithm", "hmac-sha256")).lower()
    if algorithm not in TSIG_ALGORITHMS:
        raise LabError("%s: algorithm must be one of %s" % (where, ", ".join(TSIG_ALGORITHMS)))
    secret = entry.get("secret")
    if secret is not None:
        try:
            base64.b64decode(str(secret), validate=True)
        except ValueError:
            raise LabError("%s: secret is not base64" % where)
        secret = str(secret)
    return {"name": name, "algorithm": algorithm, "secret": secret}


def _transfer_server(sc, name, zone, where, software):
    srv = sc["servers"].get(name)
    if srv is None:
        raise LabError("%s: no server %s in the scenario" % (where, name))
    if zone not in srv["zones"]:
        raise LabError("%s: server %s does not serve the zone" % (where, name))
    if srv["software"] not in software:
        raise LabError("%s: server %s must be %s" % (where, name, " or ".join(software)))
    if set(srv["knobs"]) - {"version_hidden"}:
        raise LabError("%s: server %s cannot have knobs" % (where, name))
    return srv


def _notify_target(value, where):
    """ADDR or ADDR@PORT -> (address, port)."""
    text = str(value)
    addr, _, port = text.partition("@")
    try:
        return str(ipaddress.ip_address(addr)), int(port or 53)
    except ValueError:
        raise LabError("%s: also_notify takes ADDR or ADDR@PORT, not %r" % (where, text))


def _validate_transfer(zone, entry, sc):
    """One entry of the scenario's `transfers` mapping: a primary (Knot,
    with a journal, so it serves IXFR) and its secondaries, which transfer
    with a TSIG key and get NOTIFY; `refused` secondaries are left out of
    the primary's ACL, so they keep the copy they start with."""
    where = "transfers %s" % zone
    if not isinstance(entry, dict) or set(entry) - TRANSFER_KEYS:
        raise LabError("%s: give a mapping (%s)" % (where, ", ".join(sorted(TRANSFER_KEYS))))
    if zone in sc["dnssec"]:
        raise LabError("%s: a transferred zone cannot be signed at start" % where)
    key = str(entry.get("key", "")).lower()
    if key not in sc["tsig"]:
        raise LabError("%s: key %r is not in tsig" % (where, key))
    primary = str(entry.get("primary", "")).rstrip(".").lower()
    _transfer_server(sc, primary, zone, where, ("knot",))
    secondaries = [str(s).rstrip(".").lower() for s in _as_list(entry.get("secondaries"))]
    if not secondaries or primary in secondaries:
        raise LabError("%s: secondaries lists the other servers of the zone" % where)
    for name in secondaries:
        _transfer_server(sc, name, zone, where, SECONDARY_SOFTWARE)
    refused = [str(s).rstrip(".").lower() for s in _as_list(entry.get("refused"))]
    if set(refused) - set(secondaries):
        raise LabError("%s: refused names servers that are not secondaries" % where)
    notify = [_notify_target(v, where) for v in _as_list(entry.get("also_notify"))]
    return {"zone": zone, "primary": primary, "key": key, "secondaries": secondaries,
            "refused": refused, "also_notify": notify}


def _same_family(addresses, others, where):
    """The first of addresses in the family of the first of others that has one."""
    for other in others:
        for a in addresses:
            if (":" in a) == (":" in other):
                return a, other
    raise LabError("%s: the primary and a secondary share no address family" % where)


def _assign_transfer_roles(sc):
    """Writes each server's part of the transfers into srv["transfers"]:
    zone -> the role, the key and the addresses the config needs. Every
    server sends from its own address (`source`, Knot's `via`): on `lo` the
    kernel would pick the destination's address, unknown to the peer's ACL."""
    for srv in sc["servers"].values():
        srv["transfers"] = {}
    for zone, t in sc["transfers"].items():
        where = "transfers %s" % zone
        prim = sc["servers"][t["primary"]]
        peers = []
        for name in t["secondaries"]:
            sec = sc["servers"][name]
            source, primary_addr = _same_family(sec["addresses"], prim["addresses"], where)
            via, _ = _same_family(prim["addresses"], [source], where)
            refused = name in t["refused"]
            sec["transfers"][zone] = {"role": "secondary", "key": t["key"],
                                      "primary": primary_addr, "source": source,
                                      "refused": refused}
            peers.append({"name": name, "address": source, "via": via,
                          "refused": refused})
        prim["transfers"][zone] = {"role": "primary", "key": t["key"],
                                   "secondaries": peers, "also_notify": t["also_notify"]}


def _validate_generated(entry, sc):
    """The scenario's `generated` mapping: N customer SIP domains made at
    start, served by the named servers and delegated from their TLDs."""
    where = "generated"
    if not isinstance(entry, dict):
        raise LabError("%s: give a mapping (count, prefix, tlds, servers)" % where)
    unknown = set(entry) - GENERATED_KEYS
    if unknown:
        raise LabError("%s: unknown keys %s" % (where, ", ".join(sorted(unknown))))
    count = entry.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or \
            not 1 <= count <= GENERATED_MAX:
        raise LabError("%s: count is a whole number from 1 to %d" % (where, GENERATED_MAX))
    prefix = str(entry.get("prefix", "c")).lower()
    if not re.match(r"^[a-z][a-z0-9]{0,20}$", prefix):
        raise LabError("%s: prefix is a short lower-case label (letters, digits)" % where)
    tlds = [_zone_key(t) for t in _as_list(entry.get("tlds", ["com", "net", "org"]))]
    servers = [str(s).rstrip(".").lower() for s in _as_list(entry.get("servers"))]
    if not tlds or not servers:
        raise LabError("%s: needs tlds and servers" % where)
    served = _served_zones(sc)
    for tld in tlds:
        if tld not in served:
            raise LabError("%s: no server serves the TLD %s" % (where, tld))
    for name in servers:
        srv = sc["servers"].get(name)
        if srv is None:
            raise LabError("%s: no server %s in the scenario" % (where, name))
        if srv["software"] not in GENERATED_SOFTWARE or srv["knobs"]:
            raise LabError("%s: server %s must be a plain %s server" % (
                where, name, "/".join(GENERATED_SOFTWARE)))
    return {"count": count, "prefix": prefix, "tlds": tlds, "servers": servers}


def generated_domains(gen):
    """The names of the generated domains, in order: PREFIX000001-example.TLD,
    the TLDs taken in turn."""
    if not gen:
        return []
    tlds = gen["tlds"]
    return ["%s%06d-example.%s" % (gen["prefix"], i, tlds[(i - 1) % len(tlds)])
            for i in range(1, gen["count"] + 1)]


def start_timeout(sc, timeout=START_TIMEOUT):
    """The start timeout of a scenario: generated zones take a while to load."""
    gen = sc.get("generated")
    if not gen:
        return timeout
    return timeout + GENERATED_START_PER_ZONE * gen["count"] * len(gen["servers"])


def parse_period(value):
    """30d, 12h, 90m, 45s, a number of seconds, or any of those negative
    (-1d: in the past) -> seconds (int)."""
    text = str(value).strip().lower()
    m = re.match(r"^([+-]?\d+(?:\.\d+)?)\s*([dhms]?)$", text)
    if not m:
        raise LabError("not a period: %r (use e.g. 30d, 3d, -1d, 12h)" % value)
    unit = {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}[m.group(2)]
    return int(round(float(m.group(1)) * unit))


def _served_zones(sc):
    zones = set()
    for srv in sc["servers"].values():
        zones |= set(srv["zones"])
    return zones


def _parent_zone(zone, served):
    """The closest enclosing zone of zone among served (None if none)."""
    labels = zone.split(".")
    for i in range(1, len(labels)):
        candidate = ".".join(labels[i:])
        if candidate in served:
            return candidate
    return "." if zone != "." and "." in served else None


def _validate_dnssec(zone, entry, sc):
    """One entry of the scenario's `dnssec` mapping -> its plan."""
    where = "dnssec %s" % zone
    if entry is None or entry is True:
        entry = {}
    if not isinstance(entry, dict):
        raise LabError("%s: give a mapping (expire_in, bogus, tamper) or {}" % where)
    unknown = set(entry) - DNSSEC_KEYS
    if unknown:
        raise LabError("%s: unknown keys %s" % (where, ", ".join(sorted(unknown))))
    served = _served_zones(sc)
    if zone not in served:
        raise LabError("%s: no server serves the zone" % where)
    parent = _parent_zone(zone, served)
    if parent is None and zone != ".":
        raise LabError("%s: no server serves a parent zone for the DS" % where)
    expire_in = parse_period(entry.get("expire_in", DNSSEC_DEFAULT_EXPIRE))
    bogus = entry.get("bogus")
    if bogus not in (None, False, "ds"):
        raise LabError("%s: bogus takes ds (a DS that matches no key of the zone)" % where)
    tamper = entry.get("tamper")
    if tamper is not None:
        if not isinstance(tamper, dict) or set(tamper) != {"owner", "type", "rdata"}:
            raise LabError("%s: tamper needs owner, type and rdata" % where)
        owner = str(tamper["owner"]).strip()
        owner = (owner if owner.endswith(".") else
                 zone + "." if owner == "@" else owner + "." + zone + ".").lower()
        tamper = {"owner": owner, "type": str(tamper["type"]).upper(),
                  "rdata": str(tamper["rdata"]).strip()}
    return {"zone": zone, "parent": parent, "expire_in": expire_in,
            "bogus_ds": bogus == "ds", "tamper": tamper}


def _validate_expectation(domain, entry):
    """One entry of the scenario's `audit_expectations` mapping."""
    where = "audit_expectations %s" % domain
    if not isinstance(entry, dict):
        raise LabError("%s: give a mapping (args, findings, fault, note)" % where)
    unknown = set(entry) - EXPECTATION_KEYS
    if unknown:
        raise LabError("%s: unknown keys %s" % (where, ", ".join(sorted(unknown))))
    args = entry.get("args") or []
    if isinstance(args, str):
        args = args.split()
    if not isinstance(args, list) or not all(isinstance(a, (str, int)) for a in args):
        raise LabError("%s: args is a list of strings" % where)
    findings = entry.get("findings")
    if findings is None:
        findings = {}
    if not isinstance(findings, dict):
        raise LabError("%s: findings maps check ids to severities" % where)
    out = {}
    for check, severity in findings.items():
        if not CHECK_ID_RE.match(str(check)):
            raise LabError("%s: %r is not a check id" % (where, check))
        if str(severity).lower() not in SEVERITIES:
            raise LabError("%s: %s: severity must be one of %s" % (
                where, check, ", ".join(SEVERITIES)))
        out[str(check)] = str(severity).lower()
    return {"domain": domain, "args": [str(a) for a in args], "findings": out,
            "fault": " ".join(str(entry.get("fault", "")).split()),
            "note": " ".join(str(entry.get("note", "")).split())}


def audit_args(expectation, repo_dir=REPO_DIR):
    """The audit arguments of one expectation with the values of path options
    (--asn-db, ...) made absolute (they are written relative to the
    repository root), followed by the domain."""
    args, out = list(expectation["args"]), []
    i = 0
    while i < len(args):
        a = args[i]
        out.append(a)
        if a in PATH_OPTIONS and i + 1 < len(args):
            i += 1
            out.append(os.path.join(repo_dir, args[i]))
        elif "=" in a and a.split("=", 1)[0] in PATH_OPTIONS:
            opt, val = a.split("=", 1)
            out[-1] = "%s=%s" % (opt, os.path.join(repo_dir, val))
        i += 1
    return out + [expectation["domain"]]


def _validate_server(name, entry, sc):
    where = "server %s" % name
    unknown = set(entry) - SERVER_KEYS
    if unknown:
        raise LabError("%s: unknown keys %s" % (where, ", ".join(sorted(unknown))))
    software = str(entry.get("software", "")).lower()
    if software not in SOFTWARE:
        raise LabError("%s: software must be one of %s" % (
            where, ", ".join(sorted(SOFTWARE))))
    addresses = []
    for a in _as_list(entry.get("addresses")):
        try:
            addresses.append(str(ipaddress.ip_address(str(a))))
        except ValueError:
            raise LabError("%s: bad address %r" % (where, a))
    if not addresses:
        raise LabError("%s: no addresses" % where)
    for a in addresses:
        if ipaddress.ip_address(a).is_loopback:
            raise LabError("%s: loopback address %s is reserved" % (where, a))
    zones = {_zone_key(z): spec for z, spec in
             _zones_mapping(entry.get("zones"), where).items()}
    knobs = {k: entry[k] for k in KNOB_ORDER if k in entry and k != "version_hidden"}
    knobs = {k: v for k, v in knobs.items() if v not in (None, False)}
    version_hidden = entry.get("version_hidden", True)
    if not isinstance(version_hidden, bool):
        raise LabError("%s: version_hidden is true or false" % where)
    if not version_hidden:
        knobs["version_hidden"] = False
    for flag in ("stopped", "blackholed", "spoofer", "open_axfr", "open_recursion",
                 "udp_only", "dot"):
        if flag in knobs and knobs[flag] is not True:
            raise LabError("%s: %s takes true or false" % (where, flag))
    if "edns_broken" in knobs and knobs["edns_broken"] not in EDNS_BROKEN:
        raise LabError("%s: edns_broken takes %s" % (where, ", ".join(EDNS_BROKEN)))
    if "stopped" in knobs and "blackholed" in knobs:
        raise LabError("%s: stopped and blackholed exclude each other" % where)
    down = "stopped" in knobs or "blackholed" in knobs
    relayed = [k for k in ("delayed", "spoofer", "udp_only", "edns_broken") if k in knobs]
    if down and relayed:
        raise LabError("%s: a %s server cannot be %s" % (
            where, "stopped" if "stopped" in knobs else "blackholed", relayed[0]))
    if "spoofer" in knobs and ("udp_only" in knobs or "edns_broken" in knobs):
        raise LabError("%s: spoofer cannot be combined with udp_only or edns_broken"
                       % where)
    xfr_key = entry.get("xfr_key")
    if xfr_key is not None:
        xfr_key = str(xfr_key).lower()
        if xfr_key not in sc["tsig"]:
            raise LabError("%s: xfr_key %r is not in tsig" % (where, xfr_key))
        if software not in XFR_KEY_SOFTWARE:
            raise LabError("%s: xfr_key needs %s" % (where, ", ".join(XFR_KEY_SOFTWARE)))
    delay = parse_duration(knobs["delayed"]) if "delayed" in knobs else 0.0
    if delay < 0 or delay > 30:
        raise LabError("%s: delayed must be between 0 and 30 s" % where)
    if "open_recursion" in knobs and software not in ("unbound", "bind"):
        raise LabError("%s: open_recursion needs software unbound (or bind)" % where)
    if "dot" in knobs and software != "unbound":
        raise LabError("%s: dot (DNS over TLS on 853) needs software unbound" % where)
    if "open_axfr" in knobs and software == "unbound":
        raise LabError("%s: unbound cannot serve AXFR; use nsd, knot or bind" % where)
    lame = _zone_selector(knobs.get("lame"), zones, "lame", name)
    variants = {}
    for knob in VARIANT_KNOBS:
        for zone in _zone_selector(knobs.get(knob), zones, knob, name):
            if zone in variants:
                raise LabError("%s: zone %s is both hijacked and stale" % (where, zone))
            variants[zone] = knob
    served = {}
    for zone, spec in sorted(zones.items()):
        if zone in lame:
            continue
        files = _zone_files(sc, zone, spec, where)
        knob = variants.get(zone)
        if knob:
            variant = _variant_files(sc, files, knob)
            if variant is None and knobs.get(knob) is not True:
                raise LabError("%s: no %s variant of zone %s (%s)" % (
                    where, knob, zone, _variant_name(files[0], knob)))
            if variant is None:
                variants.pop(zone)
            else:
                files = variant
        served[zone] = files
    for knob in VARIANT_KNOBS:
        if knobs.get(knob) is True and knob not in variants.values():
            raise LabError("%s: %s, but none of its zones has a %s variant "
                           "(<zone>.%s.zone)" % (where, knob, knob, knob))
    return {"name": name, "role": str(entry.get("role", "")),
            "note": str(entry.get("note", "")), "software": software,
            "addresses": addresses, "knobs": knobs, "delay": delay,
            "zones": served, "lame_zones": sorted(lame), "xfr_key": xfr_key,
            "variants": {z: k for z, k in variants.items()}}


def _find_zone_file(sc, fname, where):
    if os.path.isabs(fname):
        if os.path.isfile(fname):
            return fname
    else:
        for d in sc["zone_path"]:
            candidate = os.path.join(d, fname)
            if os.path.isfile(candidate):
                return os.path.abspath(candidate)
    raise LabError("%s: zone file not found: %s (searched %s)" % (
        where, fname, ", ".join(sc["zone_path"])))


def _zone_files(sc, zone, spec, where):
    if spec in (None, True, "default"):
        spec = sc["zone_files"].get(zone)
    if spec is None:
        spec = "root.zone" if zone == "." else zone + ".zone"
    return [_find_zone_file(sc, str(f), "%s, zone %s" % (where, zone))
            for f in _as_list(spec)]


def _variant_name(path, knob):
    base = path[:-5] if path.endswith(".zone") else path
    return "%s.%s.zone" % (base, knob)


def _variant_files(sc, files, knob):
    first = _variant_name(files[0], knob)
    if not os.path.isfile(first):
        return None
    return [first] + files[1:]


# --------------------------------------------------------------------------
# Plan: configs, zone copies, hints, processes
# --------------------------------------------------------------------------

def _q(text):
    return '"%s"' % str(text).replace("\\", "\\\\").replace('"', '\\"')


def _zone_copy_name(zone):
    return "root.zone" if zone == "." else zone + ".zone"


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _nsd_conf(srv, d, listen, generated=None):
    hidden = srv["knobs"].get("version_hidden", True)
    lines = ["# generated by voxlab for %s" % srv["name"], "server:"]
    lines += ["    ip-address: %s" % a for a in listen]
    lines += [
        "    port: 53",
        '    username: ""',
        '    chroot: ""',
        '    database: ""',
        "    zonesdir: %s" % _q(d),
        "    zonelistfile: %s" % _q(os.path.join(d, "zone.list")),
        "    xfrdfile: %s" % _q(os.path.join(d, "xfrd.state")),
        "    xfrdir: %s" % _q(d),
        "    pidfile: %s" % _q(os.path.join(d, "nsd.pid")),
        "    cookie-secret-file: %s" % _q(os.path.join(d, "cookiesecrets.txt")),
        "    server-count: 1",
        "    reuseport: no",
        "    tcp-count: 256",
        "    receive-buffer-size: %d" % SOCKET_BUFFER,
        "    send-buffer-size: %d" % SOCKET_BUFFER,
        "    hide-version: %s" % ("yes" if hidden else "no"),
        "    hide-identity: no",
        "    identity: %s" % _q(srv["name"]),
        "    nsid: %s" % _q("ascii_" + srv["name"]),
        "    rrl-ratelimit: 0",
        "    rrl-whitelist-ratelimit: 0",
        "    verbosity: %d" % (2 if srv["transfers"] else 1),  # 2: each transfer logged
    ]
    lines += ["remote-control:", "    control-enable: no"]
    for key in srv["tsig_keys"]:
        lines += ["key:", "    name: %s" % _q(key["name"]),
                  "    algorithm: %s" % key["algorithm"], "    secret: %s" % _q(key["secret"])]
    for zone, path in srv["zone_copies"].items():
        lines += ["zone:", "    name: %s" % _q(zone), "    zonefile: %s" % _q(path)]
        if srv["knobs"].get("open_axfr"):
            lines += ["    provide-xfr: 0.0.0.0/0 NOKEY", "    provide-xfr: ::0/0 NOKEY"]
        if srv["xfr_key"]:
            lines += ["    provide-xfr: 0.0.0.0/0 %s" % srv["xfr_key"],
                      "    provide-xfr: ::0/0 %s" % srv["xfr_key"]]
        t = srv["transfers"].get(zone)
        if t:  # NSD is only ever a secondary here
            lines += ["    allow-notify: %s %s" % (t["primary"], t["key"]),
                      "    request-xfr: %s %s" % (t["primary"], t["key"]),
                      "    outgoing-interface: %s" % t["source"]]
    if generated:
        # One pattern names every generated zone's file (%s: the zone name).
        lines += ["pattern:", '    name: "voxlab-generated"',
                  "    zonefile: %s" % _q(os.path.join(generated["dir"], "%s.zone"))]
        for zone in generated["domains"]:
            lines += ["zone:", "    name: %s" % zone, '    include-pattern: "voxlab-generated"']
    return "\n".join(lines) + "\n"


def _knot_conf(srv, d, listen, generated=None):
    hidden = srv["knobs"].get("version_hidden", True)
    lines = [
        "# generated by voxlab for %s" % srv["name"],
        "server:",
        "    rundir: %s" % _q(d),
        "    identity: %s" % _q(srv["name"]),
        "    nsid: %s" % _q(srv["name"]),
    ]
    if hidden:
        lines.append('    version: ""')
    lines += [
        "    udp-workers: 1",
        "    tcp-workers: 1",
        "    background-workers: 1",
        "    listen: [ %s ]" % ", ".join(_q(a + "@53") for a in listen),
        "database:",
        "    storage: %s" % _q(os.path.join(d, "db")),
        "    journal-db-max-size: 64M",
        "    kasp-db-max-size: 16M",
        "    timer-db-max-size: 16M",
        "    catalog-db-max-size: 16M",
        "control:",
        "    listen: %s" % _q(os.path.join(d, "knot.sock")),
        "log:",
        "  - target: stderr",
        "    any: info",
        "template:",
        "  - id: default",
        "    storage: %s" % _q(d),
        "    zonefile-sync: -1",
        "    zonefile-load: whole",
        "    journal-content: none",
    ]
    lines += _knot_keys_remotes(srv)
    acls = _knot_acls(srv)
    if acls:
        lines.append("acl:")
        for acl in acls:
            lines += ["  - id: %s" % acl["id"]] + [
                "    %s: %s" % (k, v) for k, v in acl.items() if k != "id"]
    if srv["zone_copies"] or generated:
        lines.append("zone:")
        for zone, path in srv["zone_copies"].items():
            lines += ["  - domain: %s" % _q(zone if zone == "." else zone + "."),
                      "    file: %s" % _q(path)]
            lines += _knot_zone_xfr(srv, zone, acls)
        for zone in (generated or {}).get("domains", []):
            lines += ["  - domain: %s." % zone,
                      "    file: %s" % _q(_generated_file(generated, zone))]
    return "\n".join(lines) + "\n"


def _knot_keys_remotes(srv):
    lines = []
    if srv["tsig_keys"]:
        lines.append("key:")
        for key in srv["tsig_keys"]:
            lines += ["  - id: %s" % key["name"], "    algorithm: %s" % key["algorithm"],
                      "    secret: %s" % key["secret"]]
    remotes = []
    for zone, t in srv["transfers"].items():
        if t["role"] == "secondary":
            remotes.append(("primary-" + zone, t["primary"], 53, t["source"], t["key"]))
            continue
        for peer in t["secondaries"]:
            remotes.append(("notify-%s-%s" % (zone, peer["name"]), peer["address"], 53,
                            peer["via"], t["key"]))
        for i, (addr, port) in enumerate(t["also_notify"]):
            # from the primary's own address, as to the secondaries (on lo the kernel would
            # pick 127.0.0.1 for a listener there)
            via = next((a for a in srv["addresses"] if (":" in a) == (":" in addr)), None)
            remotes.append(("notify-%s-also%d" % (zone, i), addr, port, via, None))
    if remotes:
        lines.append("remote:")
    for rid, addr, port, via, key in remotes:
        lines += ["  - id: %s" % rid, "    address: %s" % _q("%s@%d" % (addr, port))]
        lines += ["    via: %s" % via] if via else []
        lines += ["    key: %s" % key] if key else []
    return lines


def _knot_acls(srv):
    """Knot ACLs: open AXFR, AXFR to holders of the server's xfr_key, and per
    transferred zone the primary's transfer ACL (its secondaries' addresses
    and key, the refused ones left out) or the secondary's NOTIFY ACL."""
    acls = []
    if srv["knobs"].get("open_axfr"):
        acls.append({"id": "open_axfr", "address": "[ 0.0.0.0/0, ::/0 ]",
                     "action": "transfer"})
    if srv["xfr_key"]:
        acls.append({"id": "xfr_key", "key": srv["xfr_key"], "action": "transfer"})
    for zone, t in srv["transfers"].items():
        if t["role"] == "secondary":
            acls.append({"id": "notify-" + zone, "address": t["primary"], "key": t["key"],
                         "action": "notify"})
            continue
        allowed = [p["address"] for p in t["secondaries"] if not p["refused"]]
        if allowed:
            acls.append({"id": "xfr-" + zone, "address": "[ %s ]" % ", ".join(allowed),
                         "key": t["key"], "action": "transfer"})
    return acls


def _knot_zone_xfr(srv, zone, acls):
    """The zone-level lines that tie a zone to its ACLs, primary or NOTIFY targets."""
    t = srv["transfers"].get(zone)
    ids = [a["id"] for a in acls if a["id"] in ("open_axfr", "xfr_key")]
    ids += [a["id"] for a in acls if a["id"].endswith("-" + zone)]
    lines = ["    acl: [ %s ]" % ", ".join(ids)] if ids else []
    if t and t["role"] == "secondary":
        lines.append("    master: primary-%s" % zone)
    elif t:
        targets = ["notify-%s-%s" % (zone, p["name"]) for p in t["secondaries"]]
        targets += ["notify-%s-also%d" % (zone, i) for i in range(len(t["also_notify"]))]
        lines += ["    notify: [ %s ]" % ", ".join(targets),
                  "    journal-content: changes"]  # a journal: IXFR for the secondaries
    return lines


def _bind_conf(srv, d, listen, hints, generated=None):
    hidden = srv["knobs"].get("version_hidden", True)
    v4 = [a for a in listen if ":" not in a]
    v6 = [a for a in listen if ":" in a]
    recursive = bool(srv["knobs"].get("open_recursion"))

    def addr_list(addrs):
        return "{ %s }" % " ".join(a + ";" for a in addrs) if addrs else "{ none; }"
    opts = [
        "directory %s;" % _q(d),
        "pid-file %s;" % _q(os.path.join(d, "named.pid")),
        "session-keyfile %s;" % _q(os.path.join(d, "session.key")),
        "managed-keys-directory %s;" % _q(d),
        "dump-file %s;" % _q(os.path.join(d, "named_dump.db")),
        "statistics-file %s;" % _q(os.path.join(d, "named.stats")),
        "memstatistics-file %s;" % _q(os.path.join(d, "named.memstats")),
        "listen-on port 53 %s;" % addr_list(v4),
        "listen-on-v6 port 53 %s;" % addr_list(v6),
        "automatic-interface-scan no;",
        "udp-receive-buffer %d;" % SOCKET_BUFFER,
        "udp-send-buffer %d;" % SOCKET_BUFFER,
        "allow-transfer { %s; };" % (
            "any" if srv["knobs"].get("open_axfr") else
            'key "%s"' % srv["xfr_key"] if srv["xfr_key"] else "none"),
        "hostname %s;" % _q(srv["name"]),
        "server-id %s;" % _q(srv["name"]),
        "dnssec-validation no;",
        "notify no;",
        "empty-zones-enable no;",
    ]
    if hidden:
        opts.append("version none;")
    if recursive:
        opts += ["recursion yes;", "allow-recursion { any; };",
                 "allow-query-cache { any; };"]
    else:
        opts.append("recursion no;")
    text = "# generated by voxlab for %s\noptions {\n%s\n};\ncontrols { };\n" % (
        srv["name"], "\n".join("    " + o for o in opts))
    for key in srv["tsig_keys"]:
        text += 'key "%s" { algorithm %s; secret "%s"; };\n' % (
            key["name"], key["algorithm"], key["secret"])
    if recursive and "." not in srv["zone_copies"]:
        text += 'zone "." { type hint; file %s; };\n' % _q(hints)
    for zone, path in srv["zone_copies"].items():
        t = srv["transfers"].get(zone)
        if t:  # BIND is only ever a secondary here
            text += ('zone %s { type secondary; primaries { %s key "%s"; }; file %s; '
                     'masterfile-format text; %s %s; };\n') % (
                _q(zone), t["primary"], t["key"], _q(path),
                "transfer-source-v6" if ":" in t["source"] else "transfer-source",
                t["source"])
        else:
            text += 'zone %s { type primary; file %s; };\n' % (_q(zone), _q(path))
    for zone in (generated or {}).get("domains", []):
        text += 'zone "%s" { type primary; file %s; };\n' % (
            zone, _q(_generated_file(generated, zone)))
    return text


def _dot_files(name, d):
    """DNS over TLS for an Unbound (the `dot` knob): a CA made at start and a certificate for
    the server's name signed by it (ECDSA P-256, 30 days), and the SPKI pin of that
    certificate (RFC 7858: base64 of the SHA-256 of its DER SubjectPublicKeyInfo)."""
    dot = os.path.join(d, "dot")
    os.makedirs(dot, exist_ok=True)
    f = {k: os.path.join(dot, k + ".pem") for k in ("ca", "ca_key", "key", "cert", "csr")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ext = os.path.join(dot, "san.ext")
    _write(ext, "subjectAltName=DNS:%s\n" % name)
    for argv in (["req", "-x509"] + ec + ["-keyout", f["ca_key"], "-out", f["ca"], "-days",
                                          "30", "-subj", "/CN=voxlab DoT CA"],
                 ["req"] + ec + ["-keyout", f["key"], "-out", f["csr"], "-subj", "/CN=" + name],
                 ["x509", "-req", "-in", f["csr"], "-CA", f["ca"], "-CAkey", f["ca_key"],
                  "-CAcreateserial", "-out", f["cert"], "-days", "30", "-extfile", ext]):
        r = subprocess.run(["openssl"] + argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise LabError("dot %s: openssl %s failed: %s" % (name, argv[0], r.stderr.strip()))
    pub = subprocess.run(["openssl", "x509", "-in", f["cert"], "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    pin = base64.b64encode(hashlib.sha256(der).digest()).decode()
    return {"ca": f["ca"], "key": f["key"], "cert": f["cert"], "name": name, "pin": pin,
            "port": 853}


def _unbound_conf(srv, d, listen, hints):
    hidden = srv["knobs"].get("version_hidden", True)
    access = "allow" if srv["knobs"].get("open_recursion") else "refuse_non_local"
    lines = ["# generated by voxlab for %s" % srv["name"], "server:"]
    lines += ["    interface: %s" % a for a in listen]
    lines += [
        "    port: 53",
        "    interface-automatic: no",
        "    do-ip4: yes",
        "    do-ip6: yes",
        "    so-reuseport: no",
        "    so-rcvbuf: %d" % SOCKET_BUFFER,
        "    so-sndbuf: %d" % SOCKET_BUFFER,
        "    num-threads: 1",
        "    verbosity: 1",
        "    directory: %s" % _q(d),
        '    username: ""',
        '    chroot: ""',
        "    pidfile: %s" % _q(os.path.join(d, "unbound.pid")),
        "    use-syslog: no",
        '    logfile: ""',
        "    hide-version: %s" % ("yes" if hidden else "no"),
        "    hide-identity: no",
        "    identity: %s" % _q(srv["name"]),
        "    nsid: %s" % _q("ascii_" + srv["name"]),
        '    module-config: "iterator"',
        "    root-hints: %s" % _q(hints),
    ] + ([
        "    tls-service-key: %s" % _q(srv["dot"]["key"]),
        "    tls-service-pem: %s" % _q(srv["dot"]["cert"]),
        "    tls-port: 853",
    ] + ["    interface: %s@853" % a for a in listen] if srv.get("dot") else []) + [
        "    do-not-query-localhost: no",
        "    access-control: 0.0.0.0/0 %s" % access,
        "    access-control: ::0/0 %s" % access,
        "remote-control:",
        "    control-enable: no",
    ]
    for zone, path in srv["zone_copies"].items():
        lines += ["auth-zone:", "    name: %s" % _q(zone), "    zonefile: %s" % _q(path),
                  "    for-downstream: yes", "    for-upstream: yes",
                  "    fallback-enabled: no"]
    return "\n".join(lines) + "\n"


def _hints_text(sc):
    roots = [s for s in sc["servers"].values() if "." in s["zones"] or "." in s["lame_zones"]]
    lines = ["; Root hints of the voxlab scenario %s (named.root format)." % sc["name"],
             "; The lab root servers; nothing here is on the real internet.", ";"]
    for s in roots:
        lines.append("%-28s 3600000      NS    %s." % (".", s["name"]))
        for a in s["addresses"]:
            lines.append("%-28s 3600000      %-5s %s" % (
                s["name"] + ".", "AAAA" if ":" in a else "A", a))
    return "\n".join(lines) + "\n"


def _server_argv(srv, conf):
    binary = SOFTWARE[srv["software"]]
    return {"nsd": [binary, "-d", "-c", conf],
            "knot": [binary, "-c", conf],
            "bind": [binary, "-g", "-n", "1", "-c", conf],
            "unbound": [binary, "-d", "-c", conf]}[srv["software"]]


def _fqdn(zone):
    return "." if zone == "." else zone + "."


def _utc(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class _Signer:
    """DNSSEC at start (the scenario's `dnssec` key): for each zone, a fresh
    ECDSA P-256 key (one key with the SEP flag signs everything), every
    server's copy of the zone signed with it by ldns-signzone (inception
    one hour ago, expiration `expire_in` from now), and the DS appended to
    every server's copy of the parent zone. `bogus: ds` publishes the DS of
    a second key that is not in the zone; `tamper` changes one RRset of the
    signed text after signing, so its RRSIG no longer verifies."""

    def __init__(self, zones, workdir):
        self.zones = zones
        self.dir = workdir
        self.info = {}
        self._signed = {}
        self._ds = {}
        if not zones:
            return
        now = int(time.time())
        for zone, z in sorted(zones.items()):
            zdir = os.path.join(workdir, "root" if zone == "." else zone)
            os.makedirs(zdir, exist_ok=True)
            key = self._keygen(zone, zdir)
            dnskey = self._record(key + ".key", "DNSKEY", DNSKEY_TTL)
            ds_key = self._keygen(zone, zdir, avoid=key) if z["bogus_ds"] else key
            ds = self._record(ds_key + ".ds", "DS", DS_TTL)
            expiration = now + z["expire_in"]
            inception = min(now - 3600, expiration - 86400)
            if z["parent"] is not None:  # the root's DS is the trust anchor (info)
                self._ds.setdefault(z["parent"], []).append(ds)
            self.info[zone] = {
                "zone": zone, "parent": z["parent"], "algorithm": DNSSEC_ALGORITHM,
                "key": os.path.basename(key), "dnskey": dnskey, "ds": ds,
                "ds_matches_key": not z["bogus_ds"], "tamper": z["tamper"],
                "inception": inception, "expiration": expiration,
                "inception_utc": _utc(inception), "expiration_utc": _utc(expiration),
                "dir": zdir}

    @staticmethod
    def _run(argv, cwd):
        r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        if r.returncode != 0:
            raise LabError("%s failed: %s" % (" ".join(argv), (r.stderr or r.stdout).strip()))
        return r.stdout

    def _keygen(self, zone, zdir, avoid=None):
        for _ in range(5):
            base = self._run([LDNS_KEYGEN, "-a", DNSSEC_ALGORITHM, "-k", _fqdn(zone)],
                             zdir).strip().splitlines()[-1]
            if os.path.join(zdir, base) != avoid:
                return os.path.join(zdir, base)
        raise LabError("dnssec %s: could not make a second key" % zone)

    @staticmethod
    def _record(path, rtype, ttl):
        """The one record of type rtype in an ldns key/DS file, with ttl."""
        with open(path) as f:
            for line in f:
                fields = line.split(";", 1)[0].split()
                if rtype in fields:
                    i = fields.index(rtype)
                    return "%s %d IN %s %s" % (fields[0], ttl, rtype, " ".join(fields[i + 1:]))
        raise LabError("no %s record in %s" % (rtype, path))

    def zone_text(self, zone, text):
        """The text a server gets for zone: DS records of signed children
        added, then signed if the zone is signed."""
        if zone in self._ds:
            text += "; DS records added by voxlab at start (signed children)\n"
            text += "".join(ds + "\n" for ds in self._ds[zone])
        if zone in self.zones:
            text = self._sign(zone, text)
        return text

    def _sign(self, zone, text):
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in self._signed:
            return self._signed[digest]
        info = self.info[zone]
        zdir = info["dir"]
        n = sum(1 for k in self._signed) + 1
        src = os.path.join(zdir, "unsigned-%d.zone" % n)
        out = os.path.join(zdir, "signed-%d.zone" % n)
        _write(src, text + "%s\n" % info["dnskey"])
        self._run([LDNS_SIGNZONE, "-o", _fqdn(zone), "-i", str(info["inception"]),
                   "-e", str(info["expiration"]), "-f", out, src,
                   os.path.join(zdir, info["key"])], zdir)
        with open(out) as f:
            signed = f.read()
        if info["tamper"]:
            signed = self._tamper(zone, signed, info["tamper"])
        header = "; %s signed by voxlab at start: key %s, RRSIG %s .. %s%s\n" % (
            zone, info["key"], info["inception_utc"], info["expiration_utc"],
            ", tampered after signing" if info["tamper"] else "")
        self._signed[digest] = header + signed
        return header + signed

    @staticmethod
    def _tamper(zone, signed, t):
        lines, done = [], False
        for line in signed.splitlines():
            f = line.split()
            if len(f) >= 5 and f[0].lower() == t["owner"] and f[2] == "IN" and \
                    f[3].upper() == t["type"]:
                if not done:
                    lines.append("\t".join(f[:4] + [t["rdata"]]))
                    done = True
                continue
            lines.append(line)
        if not done:
            raise LabError("dnssec %s: tamper: no %s %s in the zone" % (
                zone, t["owner"], t["type"]))
        return "\n".join(lines) + "\n"


def _generated_file(generated, zone):
    return os.path.join(generated["dir"], zone + ".zone")


def _generated_zone_text(i, zone, ns_names):
    """A small but complete SIP zone: SOA, NS at the generated servers, three
    NAPTRs, three SRV RRsets with two targets each, both targets with A and
    AAAA in different prefixes (documentation ranges only)."""
    host = i % 250 + 1
    lines = ["; generated by voxlab: customer SIP domain %d" % i,
             "$ORIGIN %s." % zone, "$TTL 3600",
             "@ 86400 IN SOA %s. hostmaster.%s. 2026112201 7200 3600 1209600 3600" % (
                 ns_names[0], zone)]
    lines += ["@ 86400 IN NS %s." % ns for ns in ns_names]
    for order, (service, proto) in enumerate(
            (("SIPS+D2T", "_sips._tcp"), ("SIP+D2T", "_sip._tcp"), ("SIP+D2U", "_sip._udp"))):
        lines.append('@ IN NAPTR %d 50 "s" "%s" "" %s.%s.' % (
            10 * (order + 1), service, proto, zone))
    for proto, port in (("_sips._tcp", 5061), ("_sip._tcp", 5060), ("_sip._udp", 5060)):
        lines += ["%s IN SRV 10 50 %d sip1.%s." % (proto, port, zone),
                  "%s IN SRV 20 50 %d sip2.%s." % (proto, port, zone)]
    lines += ["sip1 IN A 192.0.2.%d" % host, "sip1 IN AAAA 2001:db8:c::%x" % host,
              "sip2 IN A 203.0.113.%d" % host, "sip2 IN AAAA 2001:db8:d::%x" % host]
    return "\n".join(lines) + "\n"


def _prepare_generated(sc, lab_dir):
    """Writes the generated zones (shared, read-only, by every generated
    server) and the list of names -> the plan's `generated` entry with the
    TLD delegation texts, or None."""
    gen = sc.get("generated")
    if not gen:
        return None
    gdir = os.path.join(lab_dir, "generated")
    os.makedirs(gdir, exist_ok=True)
    domains = generated_domains(gen)
    delegations = {tld: [] for tld in gen["tlds"]}
    for i, zone in enumerate(domains, 1):
        _write(os.path.join(gdir, zone + ".zone"), _generated_zone_text(i, zone, gen["servers"]))
        tld = zone.split(".", 1)[1]
        delegations[tld] += ["%s. 172800 IN NS %s." % (zone, ns) for ns in gen["servers"]]
    listing = os.path.join(gdir, "domains.txt")
    _write(listing, "\n".join(domains) + "\n")
    return dict(gen, dir=gdir, domains_file=listing, domains=domains,
                delegations={t: "; %d generated delegations added by voxlab\n%s\n" % (
                    len(lines) // len(gen["servers"]), "\n".join(lines))
                    for t, lines in delegations.items()})


def _generated_probes(generated, name, addresses):
    """The start probe asks a few generated zones, not all: a server that
    answers for the last one has loaded them all."""
    if not generated or name not in generated["servers"]:
        return []
    doms = generated["domains"]
    picks = sorted({doms[0], doms[len(doms) // 2], doms[-1]})[:GENERATED_PROBES_PER_ADDRESS]
    return [{"server": name, "address": a, "qname": z, "need_aa": True, "edns": True}
            for a in addresses for z in picks]


def prepare(sc, lab_dir):
    """Write every config, zone copy and the hints file under lab_dir and
    return the plan the holder executes (also saved as plan.json)."""
    lab_dir = os.path.abspath(lab_dir)
    hints = os.path.join(lab_dir, "root.hints")
    _write(hints, _hints_text(sc))
    plan = {"scenario": sc["name"], "scenario_file": sc["file"],
            "description": sc["description"], "dir": lab_dir, "hints": hints,
            "loopback": [], "blackholed": [], "processes": [], "probes": [],
            "servers": {}, "audit_expectations": sc.get("audit_expectations", {})}
    signer = _Signer(sc.get("dnssec", {}), os.path.join(lab_dir, "dnssec"))
    plan["dnssec"] = signer.info
    plan["tsig"] = {name: dict(k, secret=k["secret"] or
                               base64.b64encode(os.urandom(32)).decode())
                    for name, k in sc.get("tsig", {}).items()}
    plan["transfers"] = sc.get("transfers", {})
    generated = _prepare_generated(sc, lab_dir)
    if generated:
        plan["generated"] = {k: generated[k] for k in
                             ("count", "prefix", "tlds", "servers", "dir", "domains_file")}
    hidden_n = 0
    for name, srv in sorted(sc["servers"].items()):
        srv = copy.deepcopy(srv)
        d = os.path.join(lab_dir, "servers", name)
        os.makedirs(os.path.join(d, "zones"), exist_ok=True)
        os.makedirs(os.path.join(d, "db"), exist_ok=True)
        srv["dir"] = d
        srv["log"] = os.path.join(d, "server.log")
        srv["zone_copies"] = {}
        for zone, files in srv["zones"].items():
            dest = os.path.join(d, "zones", _zone_copy_name(zone))
            text = ""
            for f in files:
                with open(f) as src:
                    part = src.read()
                text += part if part.endswith("\n") else part + "\n"
            if generated and zone in generated["delegations"]:
                text += generated["delegations"][zone]
            srv["zone_copies"][zone] = dest
            t = srv["transfers"].get(zone)
            if t and t["role"] == "secondary" and not t["refused"]:
                # Starts empty: the start probe then waits for the first AXFR.
                if os.path.exists(dest):
                    os.unlink(dest)
                continue
            _write(dest, signer.zone_text(zone, text))
        needed = {srv["xfr_key"]} | {t["key"] for t in srv["transfers"].values()}
        srv["tsig_keys"] = [plan["tsig"][k] for k in sorted(needed - {None})]
        knobs = srv["knobs"]
        srv["mode"] = ("stopped" if knobs.get("stopped") else
                       "blackholed" if knobs.get("blackholed") else "up")
        srv["front"] = ("spoofer" if knobs.get("spoofer") else
                        "relay" if {"delayed", "udp_only", "edns_broken"} & set(knobs)
                        else None)
        srv["hidden_address"] = None
        if srv["mode"] == "blackholed":
            plan["blackholed"] += srv["addresses"]
        else:
            plan["loopback"] += srv["addresses"]
        if srv["mode"] == "up":
            listen = srv["addresses"]
            if srv["front"]:
                hidden_n += 1
                if hidden_n > 250:
                    raise LabError("too many delayed/spoofed servers (max 250)")
                srv["hidden_address"] = HIDDEN_NET + str(hidden_n)
                listen = [srv["hidden_address"]]
                # BIND binds only addresses configured on an interface, not the whole 127/8.
                plan["loopback"].append(srv["hidden_address"])
            if srv["knobs"].get("dot"):
                plan.setdefault("dot", {})[name] = srv["dot"] = _dot_files(name, d)
            conf = os.path.join(d, srv["software"] + ".conf")
            mine = generated if generated and name in generated["servers"] else None
            srv["generated"] = mine["count"] if mine else 0
            _write(conf, {
                "nsd": lambda: _nsd_conf(srv, d, listen, mine),
                "knot": lambda: _knot_conf(srv, d, listen, mine),
                "bind": lambda: _bind_conf(srv, d, listen, hints, mine),
                "unbound": lambda: _unbound_conf(srv, d, listen, hints),
            }[srv["software"]]())
            srv["config"] = conf
            plan["processes"].append({"server": name, "kind": srv["software"],
                                      "argv": _server_argv(srv, conf),
                                      "cwd": d, "log": srv["log"]})
            if srv["front"]:
                prog = SPOOFER if srv["front"] == "spoofer" else RELAY
                argv = [PYTHON, prog, "--name", "%s(%s)" % (srv["front"], name),
                        "--upstream", srv["hidden_address"] + ":53",
                        "--delay", "%.6f" % srv["delay"]]
                if knobs.get("udp_only"):
                    argv.append("--no-tcp")
                if knobs.get("edns_broken"):
                    argv += ["--edns", knobs["edns_broken"]]
                for a in srv["addresses"]:
                    argv += ["--listen", a]
                plan["processes"].append({
                    "server": name, "kind": srv["front"], "argv": argv, "cwd": d,
                    "log": os.path.join(d, srv["front"] + ".log")})
            targets = list(srv["addresses"])
            if srv["hidden_address"]:
                targets.append(srv["hidden_address"])
            for a in targets:
                for zone in srv["zones"] or ["."]:
                    plan["probes"].append({"server": name, "address": a, "qname": zone,
                                           "need_aa": bool(srv["zones"]),
                                           "edns": not knobs.get("edns_broken")})
            plan["probes"] += _generated_probes(generated, name, targets)
        del srv["zones"]
        plan["servers"][name] = srv
    _prepare_sip(sc, plan)
    plan_path = os.path.join(lab_dir, "plan.json")
    _write(plan_path, json.dumps(plan, indent=2) + "\n")
    return plan


def _served_texts(plan):
    """(zone, text) of every distinct zone copy the servers load (a
    secondary's copy comes by transfer: its primary's file has the data)."""
    seen, out = set(), []
    for srv in plan["servers"].values():
        for zone, path in srv["zone_copies"].items():
            if not os.path.isfile(path):
                continue
            with open(path) as f:
                text = f.read()
            digest = hashlib.sha256(text.encode()).digest()
            if digest not in seen:
                seen.add(digest)
                out.append((zone, text))
    return out


def _prepare_sip(sc, plan):
    """The lab's SIP servers (labsip): an SBC at every public address an
    RFC 3263 chain of the served data leads to, all in one Kamailio (but
    the targets with a Kamailio of their own: the `kamailio` knob)."""
    try:
        sip = labsip.plan_sip(_served_texts(plan), sc.get("sbcs", {}), plan["dir"],
                              unusable=plan["blackholed"])
    except labsip.SipError as e:
        raise LabError(str(e))
    plan["sip"] = sip
    if not sip["endpoints"]:
        return
    on_lo = set(plan["loopback"])
    plan["loopback"] += [a for a in sip["endpoints"] if a not in on_lo]
    for name, k in sip["instances"].items():
        for part, spec in k["parts"].items():
            plan["processes"].append({"server": name, "kind": "kamailio-" + part,
                                      "argv": spec["argv"], "cwd": k["dir"],
                                      "log": spec["log"]})


# --------------------------------------------------------------------------
# The holder: runs inside the namespace
# --------------------------------------------------------------------------

class _Shutdown(Exception):
    pass


def _on_signal(signum, _frame):
    raise _Shutdown(signum)


def _set_pdeathsig(sig):
    if _libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        os._exit(127)


def _child_setup(parent_pid):
    def setup():
        _set_pdeathsig(signal.SIGKILL)
        if os.getppid() != parent_pid:
            os._exit(127)
    return setup


def _log(msg):
    print("%s voxlab holder: %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def _setup_network(plan):
    cmds = ["link set lo up"]
    for a in plan["loopback"]:
        cmds.append("addr add %s/%d dev lo" % (a, 128 if ":" in a else 32))
    if plan["blackholed"] or plan.get("sip", {}).get("endpoints"):
        # SBCs can be silenced at any time: they need the blackhole too
        cmds += ["link add %s type veth peer name %s" % (BLACKHOLE_DEV, BLACKHOLE_PEER),
                 "link set %s up" % BLACKHOLE_DEV, "link set %s up" % BLACKHOLE_PEER]
        for a in plan["blackholed"]:
            cmds += _blackhole_cmds(a, "add")
    _ip_batch(cmds, "network setup")


def _prefix(a):
    return "%s/%d" % (a, 128 if ":" in a else 32)


def _blackhole_cmds(a, verb):
    """Route an address into the veth whose peer drops everything (verb add),
    or take that away again (verb del)."""
    if verb == "del":
        return ["neigh del %s dev %s" % (a, BLACKHOLE_DEV),
                "route del %s dev %s" % (_prefix(a), BLACKHOLE_DEV)]
    return ["route add %s dev %s" % (_prefix(a), BLACKHOLE_DEV),
            "neigh add %s lladdr %s dev %s nud permanent" % (a, BLACKHOLE_LLADDR,
                                                             BLACKHOLE_DEV)]


def _ip_batch(cmds, what):
    r = subprocess.run([IP, "-batch", "-"], input="\n".join(cmds) + "\n",
                       text=True, capture_output=True)
    if r.returncode != 0:
        raise LabError("%s failed: %s" % (what, r.stderr.strip() or r.stdout.strip()))


def _mode_cmds(a, old, new):
    """ip commands that move an SBC address from one mode to another: up (on
    lo), silent (routed into the blackhole: time-outs), unreachable (an
    unreachable route: "no route to host" at once)."""
    cmds = []
    if old == "up":
        cmds.append("addr del %s dev lo" % _prefix(a))
    elif old == "silent":
        cmds += _blackhole_cmds(a, "del")
    elif old == "unreachable":
        cmds.append("route del unreachable %s" % _prefix(a))
    if new == "up":
        cmds.append("addr add %s dev lo" % _prefix(a))
    elif new == "silent":
        cmds += _blackhole_cmds(a, "add")
    elif new == "unreachable":
        cmds.append("route add unreachable %s" % _prefix(a))
    return cmds


def _set_modes(plan, modes):
    """Apply {address: mode} to the SBC addresses; the plan keeps the state
    and DIR/sip/modes.json shows it."""
    endpoints = plan["sip"]["endpoints"]
    cmds = []
    for a, mode in sorted(modes.items()):
        if a not in endpoints:
            raise LabError("%s is not an SBC address of this lab" % a)
        if mode not in labsip.MODES:
            raise LabError("mode must be one of %s" % ", ".join(labsip.MODES))
        old = endpoints[a].get("current_mode", "up")
        if old != mode:
            cmds += _mode_cmds(a, old, mode)
    if cmds:
        _ip_batch(cmds, "changing SBC modes")
    for a, mode in modes.items():
        endpoints[a]["current_mode"] = mode
    _write(os.path.join(plan["sip"]["dir"], "modes.json"), json.dumps(
        {a: e.get("current_mode", "up") for a, e in endpoints.items()}, indent=1) + "\n")


def _tail(path, lines=12):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def _dead_process_error(procs):
    for spec, p in procs:
        if p.poll() is not None:
            return "%s (%s) exited with status %s at start; log %s:\n%s" % (
                spec["server"], spec["kind"], p.returncode, spec["log"],
                _tail(spec["log"]))
    return None


def _probe(plan, procs, deadline):
    """Ask every address of every running server for the SOA of each zone
    it serves until each gives an authoritative answer (a server without
    zones: any answer). Returns an error text or None."""
    waiting = {(p["address"], p["qname"]): p for p in plan["probes"]}
    last = {}
    sent = {}  # every id sent so far: slow (relayed) servers answer rounds late
    socks = {fam: socket.socket(fam, socket.SOCK_DGRAM)
             for fam in (socket.AF_INET, socket.AF_INET6)}
    try:
        while waiting:
            err = _dead_process_error(procs)
            if err:
                return err
            if time.monotonic() > deadline:
                return "no authoritative answer in time from:\n" + "\n".join(
                    _probe_failure(plan, p, last.get(key))
                    for key, p in sorted(waiting.items()))
            for key, p in waiting.items():
                qid, msg = labdns.build_query(p["qname"], "SOA",
                                              edns=1232 if p.get("edns", True) else None)
                while qid in sent:
                    qid, msg = labdns.build_query(
                        p["qname"], "SOA", edns=1232 if p.get("edns", True) else None)
                if len(sent) > 50000:
                    sent.clear()
                sent[qid] = key
                fam = socket.AF_INET6 if ":" in p["address"] else socket.AF_INET
                try:
                    socks[fam].sendto(msg, (p["address"], 53))
                except OSError as e:
                    last[key] = str(e)
            end = time.monotonic() + 0.2
            while waiting and time.monotonic() < end:
                ready, _, _ = select.select(list(socks.values()), [], [],
                                            max(0.0, end - time.monotonic()))
                for s in ready:
                    try:
                        data, src = s.recvfrom(65535)
                        reply = labdns.parse_message(data)
                    except (OSError, labdns.WireError, struct.error):
                        continue
                    key = sent.get(reply["id"])
                    if key is None or key not in waiting or src[1] != 53 or \
                            ipaddress.ip_address(src[0]) != ipaddress.ip_address(key[0]):
                        continue
                    if not waiting[key]["need_aa"] or (
                            reply["aa"] and reply["rcode"] == "NOERROR" and
                            any(r[1] == "SOA" for r in reply["answer"])):
                        del waiting[key]
                    else:
                        last[key] = "%s%s" % (reply["rcode"], " aa" if reply["aa"] else "")
        return None
    finally:
        for s in socks.values():
            s.close()


def _probe_failure(plan, probe, last):
    srv = plan["servers"][probe["server"]]
    what = "SOA %s" % probe["qname"] if probe["need_aa"] else "any query"
    return "  %s at %s, %s: %s; log %s:\n%s" % (
        probe["server"], probe["address"], what,
        "got " + last if last else "no answer", srv["log"],
        "".join("    " + line for line in _tail(srv["log"], 6).splitlines(True)))


def _sip_probe(plan, procs, deadline):
    """Wait until the SBCs answer: OPTIONS over UDP to every address that has
    UDP, a TCP connection to the others (Kamailio binds every socket before
    it forks its workers). Returns an error text or None."""
    waiting = {a: e for a, e in plan["sip"]["endpoints"].items()}
    last = {}
    while waiting:
        err = _dead_process_error(procs)
        if err:
            return err
        if time.monotonic() > deadline:
            logs = [p["log"] for k in plan["sip"]["instances"].values()
                    for p in k["parts"].values()]
            return "no SIP answer in time from %s (%s); logs %s:\n%s" % (
                ", ".join(sorted(waiting)[:8]), "; ".join(sorted(set(last.values())))[:200],
                " ".join(logs), "".join(_tail(log, 6) for log in logs))
        for a, e in list(waiting.items()):  # in order; one failure ends the round
            try:
                if not _sip_answers(a, e["listen"]):
                    break
                del waiting[a]
            except OSError as ex:
                last[a] = str(ex)
                break
        if waiting:
            time.sleep(0.05)
    return None


def _sip_answers(address, listen):
    """OPTIONS over UDP and over TCP get answers (a TLS-only address: a TCP
    connection is accepted): both Kamailio processes are up."""
    udp = [p for t, p in listen if t == "udp"]
    if udp and labsip.options_udp(address, udp[0], timeout=0.5) is None:
        return False
    tcp = [p for t, p in listen if t == "tcp"]
    if tcp:
        return labsip.options_tcp(address, tcp[0], timeout=0.5) is not None
    tls = [p for t, p in listen if t == "tls"]
    if tls:
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect((address, tls[0]))
    return True


def _group_members(pgid, exclude=()):
    """Live (non-zombie) processes whose process group is pgid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in exclude:
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(entry))
    return out


def _terminate(procs, grace=3.0):
    for _spec, p in procs:
        if p.poll() is None:
            try:
                p.terminate()
            except OSError:
                pass
    end = time.monotonic() + grace
    for _spec, p in procs:
        try:
            p.wait(timeout=max(0.05, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    me = os.getpid()
    for pid in _group_members(os.getpgrp(), exclude=(me,)):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _report(fd, text):
    if fd is None:
        return
    try:
        os.write(fd, (text.rstrip("\n") + "\n").encode())
        os.close(fd)
    except OSError:
        pass


def _launch(spec, holder_pid):
    log = open(spec["log"], "ab")
    try:
        p = subprocess.Popen(spec["argv"], cwd=spec["cwd"], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT,
                             preexec_fn=_child_setup(holder_pid))
    finally:
        log.close()
    _log("started %s (%s) pid %d" % (spec["server"], spec["kind"], p.pid))
    return p


def _write_pids(plan, procs):
    pids = {}
    for spec, p in procs:
        if p.poll() is None:
            pids.setdefault(spec["server"], {})[spec["kind"]] = p.pid
    _write(os.path.join(plan["dir"], "pids.json"), json.dumps(pids, indent=2) + "\n")


def _start_probes(plan, procs, deadline):
    t0 = time.monotonic()
    err = _probe(plan, procs, deadline)
    if err is None and plan.get("sip", {}).get("endpoints"):
        t1 = time.monotonic()
        err = _sip_probe(plan, procs, deadline)
        _log("DNS servers answered after %.2f s, the SIP servers %.2f s later" % (
            t1 - t0, time.monotonic() - t1))
    return err


def holder_main(plan_path, ready_fd, outer_netns, timeout):
    """Entry point of `voxlab _holder`: must run in the lab's namespace."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    procs = []
    try:
        if os.readlink("/proc/self/ns/net") == outer_netns:
            raise LabError("the holder is not in a new network namespace; refusing "
                           "to touch the host's network")
        with open(plan_path) as f:
            plan = json.load(f)
        _setup_network(plan)
        started = time.monotonic()
        procs += [(spec, _launch(spec, os.getpid())) for spec in plan["processes"]]
        err = _start_probes(plan, procs, started + timeout)
        if err:
            _log("start failed: " + err)
            _report(ready_fd, "ERROR " + err.replace("\n", "\n  "))
            return 1
        if plan.get("sip", {}).get("endpoints"):
            _set_modes(plan, {a: e["mode"] for a, e in plan["sip"]["endpoints"].items()})
        _write_pids(plan, procs)
        control = _control_socket(plan)
        _log("all %d servers answer for all their zones after %.2f s" % (
            len({p["server"] for p in plan["probes"]}), time.monotonic() - started))
        _report(ready_fd, "READY")
        ready_fd = None
        _serve_control(control, plan, procs)
    except _Shutdown as e:
        _log("signal %s: shutting down" % e.args[0])
        return 0
    except Exception as e:  # reported to the starter, then torn down
        _log("error: %s" % e)
        _report(ready_fd, "ERROR %s" % e)
        return 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        _terminate(procs)


# --------------------------------------------------------------------------
# Runtime control: the holder's control socket (DIR/control.sock)
# --------------------------------------------------------------------------

def _control_socket(plan):
    path = os.path.join(plan["dir"], CONTROL_SOCKET)
    if len(path.encode()) > 107:
        raise LabError("lab directory path too long for its control socket: %s" % path)
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    return srv


def _serve_control(srv, plan, procs):
    """Answer control requests (one JSON line each) until told to stop; log
    processes that exit."""
    reported = set()
    while True:
        ready, _, _ = select.select([srv], [], [], 1.0)
        if ready:
            _answer_control(srv, plan, procs)
        for spec, p in procs:
            if p.poll() is not None and p.pid not in reported:
                reported.add(p.pid)
                _log("%s (%s) exited with status %s" % (
                    spec["server"], spec["kind"], p.returncode))


def _answer_control(srv, plan, procs):
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(30)
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            req = json.loads(data.decode())
            reply = dict(_control(plan, procs, req), ok=True)
        except (LabError, OSError, ValueError, KeyError, TypeError) as e:
            reply = {"ok": False, "error": str(e)}
        _log("control %s -> %s" % (data.decode(errors="replace").strip(),
                                   "ok" if reply["ok"] else reply["error"]))
        try:
            conn.sendall((json.dumps(reply) + "\n").encode())
        except OSError:
            pass


def _control(plan, procs, req):
    cmd = req.get("cmd")
    if cmd == "stop":
        return {"stopped": _stop_server(plan, procs, req["server"])}
    if cmd == "start":
        return {"started": _start_server(plan, procs, req["server"])}
    if cmd == "modes":
        if not plan.get("sip", {}).get("endpoints"):
            raise LabError("this lab has no SIP servers")
        _set_modes(plan, {str(a): str(m) for a, m in req["modes"].items()})
        return {}
    if cmd == "tls-reload":
        return {"output": _tls_reload(plan)}
    raise LabError("unknown control command %r" % cmd)


def _server_procs(procs, name):
    found = [(i, spec, p) for i, (spec, p) in enumerate(procs) if spec["server"] == name]
    if not found:
        raise LabError("no server or SIP instance named %s" % name)
    return found


def _same_program(argv):
    """Live processes of the holder's group running exactly argv: a server
    and the workers it forked (Kamailio's keep their parent's command line,
    and may outlive it)."""
    want = b"\0".join(a.encode() for a in argv)
    out = []
    for pid in _group_members(os.getpgrp(), exclude=(os.getpid(),)):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().rstrip(b"\0") == want:
                    out.append(pid)
        except OSError:
            pass
    return out


def _stop_server(plan, procs, name):
    """Stop every process of a server: SIGTERM, then SIGKILL for anything of
    it left after 3 s. Its addresses stay: refusals, not silence."""
    stopped = []
    for _i, spec, p in _server_procs(procs, name):
        if p.poll() is not None:
            continue
        p.terminate()
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        for pid in _same_program(spec["argv"]):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        stopped.append(p.pid)
    _write_pids(plan, procs)
    return stopped


def _start_server(plan, procs, name):
    """Start the stopped processes of a server again and wait until it
    answers as at lab start."""
    started = []
    for i, spec, p in _server_procs(procs, name):
        if p.poll() is None:
            continue
        procs[i] = (spec, _launch(spec, os.getpid()))
        started.append(procs[i][1].pid)
    kamailio = name in plan.get("sip", {}).get("instances", {})
    deadline = time.monotonic() + START_TIMEOUT + (SIP_START_ALLOWANCE if kamailio else 0)
    mine = [(spec, p) for spec, p in procs if spec["server"] == name]
    if kamailio:
        up = {a: e for a, e in plan["sip"]["endpoints"].items()
              if e.get("current_mode", "up") == "up" and e["instance"] == name}
        err = _sip_probe(dict(plan, sip=dict(plan["sip"], endpoints=up)), mine, deadline)
    else:
        err = _probe(dict(plan, probes=[p for p in plan["probes"] if p["server"] == name]),
                     mine, deadline)
    _write_pids(plan, procs)
    if err:
        raise LabError(err)
    return started


def _tls_reload(plan):
    """kamcmd tls.reload in every Kamailio with a TLS part."""
    ks = [k for k in plan["sip"].get("instances", {}).values() if "tcp" in k["parts"]]
    if not ks:
        raise LabError("this lab has no SIP servers")
    out = []
    for k in ks:
        r = subprocess.run([labsip.KAMCMD, "-s", "unix:" + k["ctl"], "tls.reload"],
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0 or "ERROR" in r.stdout + r.stderr:
            raise LabError("kamcmd tls.reload failed: %s" % (r.stderr or r.stdout).strip())
        out.append(r.stdout.strip())
    return "\n".join(out)


# --------------------------------------------------------------------------
# The handle: start, run inside, stop
# --------------------------------------------------------------------------

def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _is_our_holder(pid, lab_dir):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return b"_holder" in argv and \
        os.path.join(lab_dir, "plan.json").encode() in argv


def _pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


class Lab:
    """A running (or stopped) lab, described by DIR/lab.json."""

    def __init__(self, lab_dir, process=None):
        self.dir = os.path.abspath(lab_dir)
        self._process = process
        self.reload()

    def reload(self):
        path = os.path.join(self.dir, "lab.json")
        if not os.path.isfile(path):
            raise LabError("%s is not a lab directory (no lab.json)" % self.dir)
        self.info = _read_json(path)
        self.name = self.info["scenario"]
        self.hints = self.info["hints"]
        self.servers = self.info["servers"]
        self.zones = self.info["zones"]
        self.holder_pid = self.info.get("holder_pid")
        # zone -> {"ds": [...], "keys": [...], "expiration": ..., ...} of the
        # zones signed at start; domain -> {"args", "findings", ...}
        self.dnssec = self.info.get("dnssec", {})
        self.audit_expectations = self.info.get("audit_expectations", {})
        # count, prefix, tlds, servers, dir, domains_file of the generated domains (or None)
        self.generated = self.info.get("generated")
        # key name -> {"name", "algorithm", "secret"}; zone -> its transfer plan
        self.tsig = self.info.get("tsig", {})
        self.transfers = self.info.get("transfers", {})
        # the SBCs: ca_file, kamailio files, endpoints (address -> hosts, domains,
        # listen, knobs, mode, options_reply, cert), hosts / domains -> addresses
        self.sip = self.info.get("sip") or {"endpoints": {}, "hosts": {}, "domains": {}}
        self.ca_file = self.sip.get("ca_file")

    def __repr__(self):
        return "<Lab %s in %s, holder %s>" % (self.name, self.dir, self.holder_pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def address(self, server, family=4):
        """First IPv4 (family=4) or IPv6 (family=6) address of a server."""
        for a in self.servers[server]["addresses"]:
            if (":" in a) == (family == 6):
                return a
        raise LabError("%s has no IPv%d address" % (server, family))

    def alive(self):
        return bool(self.holder_pid) and _pid_alive(self.holder_pid) and \
            _is_our_holder(self.holder_pid, self.info.get("dir", self.dir))

    def argv(self, cmd):
        """The command line that runs cmd (a list) inside the namespace."""
        if not self.alive():
            raise LabError("lab %s is not running" % self.dir)
        return [NSENTER, "-t", str(self.holder_pid), "-U", "-n",
                "--preserve-credentials", "--"] + [str(c) for c in cmd]

    def env(self, extra=None):
        env = dict(os.environ)
        env.update({"VOXLAB_DIR": self.dir, "VOXLAB_HINTS": self.hints,
                    "VOXLAB_SCENARIO": self.name})
        if self.ca_file:
            env["VOXLAB_CA"] = self.ca_file
        env.update(extra or {})
        return env

    def run(self, cmd, timeout=60, check=False, capture=True, text=True, input=None,
            env=None):
        """Run cmd inside the namespace -> subprocess.CompletedProcess."""
        return subprocess.run(self.argv(cmd), timeout=timeout, check=check,
                              capture_output=capture, text=text, input=input,
                              env=self.env(env))

    def popen(self, cmd, env=None, **kwargs):
        return subprocess.Popen(self.argv(cmd), env=self.env(env), **kwargs)

    def stop(self):
        stop(self.dir)
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._process = None

    def table(self):
        return format_table(self.info)

    def tsig_arg(self, key):
        """ALGORITHM:NAME:SECRET of a TSIG key (dig -y, voxdns --tsig)."""
        k = self.tsig[key]
        return "%s:%s:%s" % (k["algorithm"], k["name"], k["secret"])

    def knotc(self, server, *args, timeout=20):
        """knotc on a Knot server's control socket -> CompletedProcess."""
        sock = os.path.join(self.servers[server]["dir"], "knot.sock")
        return self.run(["knotc", "-s", sock] + list(args), timeout=timeout)

    def change_zone(self, server, zone, set_=(), unset=()):
        """One transaction on a Knot server: set_ adds records (owner, ttl,
        type, rdata), unset removes (owner, type[, rdata]). Knot raises the
        serial by one, writes the change to its journal (IXFR) and sends
        NOTIFY. Returns (new serial, time.time() just before the commit)."""
        steps = [["zone-begin", zone]]
        steps += [["zone-set", zone] + [str(f) for f in rec] for rec in set_]
        steps += [["zone-unset", zone] + [str(f) for f in rec] for rec in unset]
        steps.append(["zone-commit", zone])
        committed = None
        for step in steps:
            if step[0] == "zone-commit":
                committed = time.time()
            r = self.knotc(server, *step)
            if r.returncode != 0 or "error" in (r.stdout + r.stderr).lower():
                self.knotc(server, "zone-abort", zone)
                raise LabError("knotc %s on %s: %s" % (" ".join(step), server,
                                                       (r.stderr or r.stdout).strip()))
        r = self.knotc(server, "zone-read", zone, "@", "SOA")
        m = re.search(r"\bSOA\s+\S+\s+\S+\s+(\d+)", r.stdout)
        if not m:
            raise LabError("knotc zone-read %s on %s: no SOA in %r" % (zone, server, r.stdout))
        return int(m.group(1)), committed

    def xfr_log(self, server, zone):
        """The transfers of zone a server's own log records, in order:
        [{"time": Unix time, "serial": N, "peer": address, "direction":
        "in"|"out", "kind": "AXFR"|"IXFR"|None}]. "in": a secondary's copy
        was updated (NSD, BIND, Knot); "out": a Knot primary started sending
        one. Knot logs whole seconds, NSD and BIND milliseconds."""
        srv = self.servers[server]
        with open(srv["log"], errors="replace") as f:
            text = f.read()
        return _parse_xfr_log(srv["software"], zone.rstrip("."), text)

    def audit_args(self, domain):
        """Arguments for `voxdns audit` of one expected domain: --hints, the
        expectation's own arguments (paths made absolute; `$VOXLAB_CA` becomes
        this lab's CA file), the domain. The lab CA is given as --ca-file
        unless the expectation names one itself: every SBC's certificate
        comes from it."""
        args = [a.replace("$VOXLAB_CA", self.ca_file or "")
                for a in audit_args(self.audit_expectations[domain])]
        ca = ["--ca-file", self.ca_file] if self.ca_file and "--ca-file" not in args else []
        return ["--hints", self.hints] + ca + args

    # --- runtime control (the holder's control socket) --------------------

    def control(self, cmd, timeout=60, **args):
        """Send one request to the holder -> its reply (dict); LabError if it
        failed. Commands: stop / start (server=NAME), modes (modes={address:
        mode}), tls-reload."""
        if not self.alive():
            raise LabError("lab %s is not running" % self.dir)
        path = os.path.join(self.dir, CONTROL_SOCKET)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(path)
            s.sendall((json.dumps(dict(args, cmd=cmd)) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        if not data:
            raise LabError("no answer from the lab's holder (%s)" % path)
        reply = json.loads(data.decode())
        if not reply.get("ok"):
            raise LabError(reply.get("error", "control request failed"))
        return reply

    def server_stop(self, name):
        """Stop a DNS server or the Kamailio (name "kamailio") at runtime:
        its processes end, its addresses stay (refusals, not time-outs)."""
        return self.control("stop", server=name)["stopped"]

    def server_start(self, name):
        """Start a stopped server again; returns once it answers."""
        return self.control("start", server=name)["started"]

    def sip_stop(self, instance=labsip.INSTANCE):
        """Stop a Kamailio: the main one, or a target's own (the `kamailio`
        knob's name)."""
        return self.server_stop(instance)

    def sip_start(self, instance=labsip.INSTANCE):
        return self.server_start(instance)

    def sbc_addresses(self, target):
        """An SBC target (address, SRV target host or SIP domain) -> its
        addresses."""
        key = labsip._target_key(target)
        if key in self.sip["endpoints"]:
            return [key]
        for index in ("hosts", "domains"):
            if key in self.sip[index]:
                return list(self.sip[index][key])
        raise LabError("%s is no SIP target of this lab" % target)

    def sbc(self, target):
        """The endpoint facts of one SBC address (or of a host's first)."""
        return self.sip["endpoints"][self.sbc_addresses(target)[0]]

    def sbc_modes(self):
        """address -> current mode (up, silent, unreachable)."""
        path = os.path.join(self.sip.get("dir", ""), "modes.json")
        return _read_json(path) if os.path.isfile(path) else {}

    def sbc_mode(self, target, mode):
        """Put every address of an SBC target in a mode: up (answers), silent
        (packets dropped: time-outs), unreachable (no route: fails at once)."""
        self.control("modes", modes={a: mode for a in self.sbc_addresses(target)})

    def sbc_swap_cert(self, target, variant=None):
        """Give every address of an SBC target a new certificate from the lab
        CA with a new key (same names and variant unless variant is given),
        then reload Kamailio's TLS -> {address: the new cert facts}."""
        done = {}
        for a in self.sbc_addresses(target):
            e = self.sip["endpoints"][a]
            if not e.get("cert"):
                raise LabError("%s has no TLS listener" % a)
            ca = {"cert": self.sip["ca_file"], "key": self.sip["ca_key"]}
            prefix = e["cert"]["cert"][:-len(".pem")]
            e["cert"] = labsip.make_leaf(ca, variant or e["cert"]["variant"], e["domains"],
                                         e["hosts"], prefix)
            done[a] = e["cert"]
        self.control("tls-reload")
        self.info["sip"] = self.sip
        path = os.path.join(self.dir, "lab.json")
        _write(path + ".tmp", json.dumps(self.info, indent=2) + "\n")
        os.replace(path + ".tmp", path)
        return done


_XFR_PATTERNS = {
    "nsd": [(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\] nsd\[\d+\]: info: "
             r"zone (\S+?)\.? received update to serial (\d+) at \S+ from (\S+)", "in")],
    "bind": [(r"^(\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d(?:\.\d+)?) transfer of '([^/']+)/IN' "
              r"from ([^#]+)#\d+: Transfer completed: .*\(serial (\d+)\)", "in")],
    "knot": [(r"^(\S+T\S+?)(?:[+-]\d{4})? info: \[(\S+?)\.?\] refresh, remote \S+, "
              r"address ([^@]+)@\d+, zone updated, .*serial (?:\d+ -> )?(\d+)", "in"),
             (r"^(\S+T\S+?)(?:[+-]\d{4})? info: \[(\S+?)\.?\] ([AI]XFR), outgoing, "
              r"remote ([^@]+)@\d+, started, serial (?:\d+ -> )?(\d+)", "out")],
}
_LOG_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d-%b-%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def _log_time(text):
    """A server log's timestamp -> Unix time. All three log local time (Knot
    adds the offset, which the pattern drops), so mktime reads them all."""
    whole, _, frac = text.partition(".")
    for fmt in _LOG_TIME_FORMATS:
        try:
            return time.mktime(time.strptime(whole, fmt)) + (float("0." + frac) if frac else 0.0)
        except ValueError:
            continue
    raise LabError("unknown log time %r" % text)


def _parse_xfr_log(software, zone, text):
    out = []
    for line in text.splitlines():
        for pattern, direction in _XFR_PATTERNS.get(software, []):
            m = re.match(pattern, line)
            if not m:
                continue
            g = m.groups()
            if direction == "out":
                when, name, kind, peer, serial = g
            elif software == "bind":
                when, name, peer, serial = g
                kind = None
            else:
                when, name, serial, peer = g if software == "nsd" else (g[0], g[1], g[3], g[2])
                kind = None
            if name.rstrip(".").lower() == zone.lower():
                out.append({"time": _log_time(when), "serial": int(serial), "peer": peer,
                            "direction": direction, "kind": kind})
    return out


def open_lab(lab_dir):
    return Lab(lab_dir)


def _lab_json(plan, holder_pid, state, pids=None):
    servers = {}
    zones = {}
    for name, srv in plan["servers"].items():
        servers[name] = {
            "name": name, "role": srv["role"], "software": srv["software"],
            "addresses": srv["addresses"], "mode": srv["mode"],
            "knobs": srv["knobs"], "zones": sorted(srv["zone_copies"]),
            "lame_zones": srv["lame_zones"], "variants": srv["variants"],
            "front": srv["front"], "hidden_address": srv["hidden_address"],
            "generated": srv.get("generated", 0),
            "xfr_key": srv.get("xfr_key"), "transfers": srv.get("transfers", {}),
            "dir": srv["dir"], "log": srv["log"], "note": srv["note"],
            "pids": (pids or {}).get(name, {}),
        }
        for zone in srv["zone_copies"]:
            zones.setdefault(zone, []).append(name)
    return {"scenario": plan["scenario"], "scenario_file": plan["scenario_file"],
            "description": plan["description"], "dir": plan["dir"],
            "state": state, "holder_pid": holder_pid, "hints": plan["hints"],
            "servers": servers, "zones": {z: sorted(s) for z, s in sorted(zones.items())},
            "dnssec": plan.get("dnssec", {}), "dot": plan.get("dot", {}),
            "audit_expectations": plan.get("audit_expectations", {}),
            "generated": plan.get("generated"),
            "tsig": plan.get("tsig", {}), "transfers": plan.get("transfers", {}),
            "sip": _sip_json(plan.get("sip"))}



def _sip_json(sip):
    """lab.json's `sip`: the CA, the Kamailio files, the SBC endpoints by
    address, and indexes by SRV target host and SIP domain."""
    if not sip:
        return None
    hosts, domains = {}, {}
    for a, e in sip["endpoints"].items():
        for h in e["hosts"]:
            hosts.setdefault(h, []).append(a)
        for d in e["domains"]:
            domains.setdefault(d, []).append(a)
    def files(k):
        return {"dir": k.get("dir"), "tls_config": k.get("tls_config"), "ctl": k.get("ctl"),
                "config": {p: v["config"] for p, v in k.get("parts", {}).items()},
                "log": {p: v["log"] for p, v in k.get("parts", {}).items()}}
    return {"ca_file": sip["ca_file"], "ca_key": sip["ca_key"], "dir": sip["dir"],
            "instance": sip["instance"], "kamailio": files(sip.get("kamailio") or {}),
            "instances": {n: files(k) for n, k in sip.get("instances", {}).items()},
            "endpoints": sip["endpoints"], "hosts": hosts, "domains": domains}


def start(scenario, lab_dir=None, timeout=START_TIMEOUT, attached=False):
    """Start a scenario in a new namespace; return a Lab once every server
    answers. attached=True ties the lab to this process (it is torn down
    if this process dies), for tests and `voxlab run`."""
    sc = load_scenario(scenario)
    if lab_dir is None:
        lab_dir = tempfile.mkdtemp(prefix="voxlab-%s-" % sc["name"])
    lab_dir = os.path.abspath(lab_dir)
    os.makedirs(lab_dir, exist_ok=True)
    if os.path.isfile(os.path.join(lab_dir, "lab.json")):
        old = Lab(lab_dir)
        if old.alive():
            raise LabError("a lab is already running in %s (voxlab stop %s)" % (
                lab_dir, lab_dir))
    timeout = start_timeout(sc, timeout)
    plan = prepare(sc, lab_dir)
    if plan["sip"]["endpoints"]:
        timeout += SIP_START_ALLOWANCE
    plan_path = os.path.join(lab_dir, "plan.json")
    for f in ("pids.json",):
        if os.path.exists(os.path.join(lab_dir, f)):
            os.unlink(os.path.join(lab_dir, f))
    read_fd, write_fd = os.pipe()
    outer_netns = os.readlink("/proc/self/ns/net")
    argv = [UNSHARE, "-rn", PYTHON, VOXLAB, "_holder", plan_path,
            "--ready-fd", str(write_fd), "--outer-netns", outer_netns,
            "--timeout", str(timeout)]
    preexec = (lambda: _set_pdeathsig(signal.SIGTERM)) if attached else None
    with open(os.path.join(lab_dir, "holder.log"), "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, pass_fds=(write_fd,),
                                start_new_session=True, preexec_fn=preexec)
    os.close(write_fd)
    _write(os.path.join(lab_dir, "lab.json"),
           json.dumps(_lab_json(plan, proc.pid, "starting"), indent=2) + "\n")
    lab = Lab(lab_dir, proc if attached else None)
    answer = b""
    try:
        end = time.monotonic() + timeout + 15
        while not answer.endswith(b"\n") and time.monotonic() < end:
            ready, _, _ = select.select([read_fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            answer += chunk
    except BaseException:
        os.close(read_fd)
        lab.stop()
        raise
    os.close(read_fd)
    answer = answer.decode(errors="replace").strip()
    if answer != "READY":
        lab.stop()
        if not answer:
            answer = "the holder gave no answer; its log:\n" + _tail(
                os.path.join(lab_dir, "holder.log"), 20)
        raise LabError("scenario %s did not start (files kept in %s):\n%s" % (
            sc["name"], lab_dir, answer[6:] if answer.startswith("ERROR ") else answer))
    pids = _read_json(os.path.join(lab_dir, "pids.json"))
    _write(os.path.join(lab_dir, "lab.json"),
           json.dumps(_lab_json(plan, proc.pid, "running", pids), indent=2) + "\n")
    lab.reload()
    return lab


def stop(lab_dir, grace=5.0):
    """Tear down the lab in lab_dir: its holder's whole process group.
    Idempotent; returns True if anything was running."""
    lab_dir = os.path.abspath(lab_dir)
    path = os.path.join(lab_dir, "lab.json")
    if not os.path.isfile(path):
        return False
    info = _read_json(path)
    pid = info.get("holder_pid")
    was_running = False
    if pid:
        holder_ok = _is_our_holder(pid, info.get("dir", lab_dir))
        if _pid_alive(pid) and not holder_ok:
            pid = None  # recycled pid: not ours, touch nothing
    if pid:
        members = _group_members(pid)
        was_running = bool(members)
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
            if not _group_members(pid):
                break
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + wait
            while _group_members(pid) and time.monotonic() < end:
                time.sleep(0.05)
    if info.get("state") != "stopped":
        info["state"] = "stopped"
        _write(path, json.dumps(info, indent=2) + "\n")
    return was_running


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def knob_text(knobs):
    parts = []
    for k in KNOB_ORDER:
        if k not in knobs:
            continue
        v = knobs[k]
        if v is True:
            parts.append(k)
        elif isinstance(v, list):
            parts.append("%s=%s" % (k, ",".join(str(z) for z in v)))
        else:
            parts.append("%s=%s" % (k, str(v).lower() if isinstance(v, bool) else v))
    return " ".join(parts) or "-"


def sip_table(info):
    """The SBCs in a few lines: how many, the CA, and every one with knobs."""
    sip = info.get("sip") or {}
    eps = sip.get("endpoints") or {}
    if not eps:
        return ""
    lines = ["SIP: Kamailio serves %d SBC addresses (%d SIP domains); lab CA %s" % (
        len(eps), len(sip.get("domains", {})), sip.get("ca_file"))]
    modes = {}
    path = os.path.join(sip.get("dir") or "", "modes.json")
    if os.path.isfile(path):
        modes = _read_json(path)
    rows = [("SBC ADDRESS", "HOST", "LISTEN", "KNOBS")]
    for a, e in eps.items():
        now = modes.get(a, e["mode"])
        if e["knobs"] or now != e["mode"]:
            knobs = ["%s=%s" % (k, str(v).lower()) for k, v in sorted(e["knobs"].items())]
            if now != e["mode"]:
                knobs.append("now=%s" % now)
            rows.append((a, e["hosts"][0] if e["hosts"] else "-",
                         " ".join("%s/%d" % (t, p) for t, p in e["listen"]) or "-",
                         " ".join(knobs)))
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3]
                  for r in rows]
    return "\n".join(lines)


def format_table(info):
    rows = [("SERVER", "ADDRESSES", "SOFTWARE", "ROLE", "KNOBS")]
    order = {"root": 0, "tld": 1, "provider": 2}
    for name, s in sorted(info["servers"].items(),
                          key=lambda kv: (order.get(kv[1]["role"], 3), kv[0])):
        rows.append((name, " ".join(s["addresses"]), s["software"], s["role"] or "-",
                     knob_text(s["knobs"])))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4]
                     for r in rows)
    sip = sip_table(info)
    return text + ("\n\n" + sip if sip else "")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

USAGE = """\
usage: voxlab start SCENARIO [--dir DIR] [--timeout SECONDS]
       voxlab exec DIR -- CMD [ARG...]
       voxlab stop DIR
       voxlab run SCENARIO [--dir DIR] [--keep] -- CMD [ARG...]
       voxlab show DIR
       voxlab list
       voxlab ctl DIR stop|start NAME         (a DNS server, kamailio or kamailio-NAME)
       voxlab ctl DIR sbc TARGET up|silent|unreachable
       voxlab ctl DIR swap-cert TARGET [VARIANT]

SCENARIO is a name from tests/lab/scenarios (healthy, knobs, ...) or a path
to a .yml file. Commands run by exec/run see VOXLAB_DIR, VOXLAB_HINTS,
VOXLAB_SCENARIO and VOXLAB_CA in their environment. TARGET is an SRV target
host or an SBC address. See tests/lab/README.md."""


def _split_cmd(args):
    if "--" not in args:
        raise LabError("missing '-- CMD'")
    i = args.index("--")
    if not args[i + 1:]:
        raise LabError("missing command after '--'")
    return args[:i], args[i + 1:]


def _options(args, allowed):
    """Tiny option parser: positional words and --opt VALUE / --flag."""
    pos, opts = [], {}
    it = iter(args)
    for a in it:
        if a.startswith("--"):
            key = a[2:]
            if key not in allowed:
                raise LabError("unknown option %s" % a)
            opts[key] = True if allowed[key] is bool else next(it, None)
            if opts[key] is None:
                raise LabError("%s needs a value" % a)
        else:
            pos.append(a)
    return pos, opts


def _print_started(lab, seconds, out):
    print("voxlab: scenario %s is up (%d servers, %.1f s)" % (
        lab.name, len(lab.servers), seconds), file=out)
    print("lab dir:    %s" % lab.dir, file=out)
    print("root hints: %s" % lab.hints, file=out)
    print("holder pid: %s" % lab.holder_pid, file=out)
    print("", file=out)
    print(lab.table(), file=out)
    out.flush()


def _exit_status(code):
    return 128 - code if code < 0 else code


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "_holder":
            pos, opts = _options(args, {"ready-fd": int, "outer-netns": str,
                                        "timeout": float})
            return holder_main(pos[0], int(opts["ready-fd"]), opts["outer-netns"],
                               float(opts.get("timeout", START_TIMEOUT)))
        if cmd == "start":
            pos, opts = _options(args, {"dir": str, "timeout": float})
            if len(pos) != 1:
                raise LabError("start needs exactly one SCENARIO")
            t0 = time.monotonic()
            lab = start(pos[0], opts.get("dir"), float(opts.get("timeout", START_TIMEOUT)))
            try:
                _print_started(lab, time.monotonic() - t0, sys.stdout)
            except BrokenPipeError:  # e.g. | head: the lab is up all the same
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        if cmd == "exec":
            pre, command = _split_cmd(args)
            if len(pre) != 1:
                raise LabError("exec needs exactly one DIR before '--'")
            lab = Lab(pre[0])
            return _exit_status(subprocess.call(lab.argv(command), env=lab.env()))
        if cmd == "stop":
            if len(args) != 1:
                raise LabError("stop needs exactly one DIR")
            if stop(args[0]):
                print("voxlab: stopped %s" % os.path.abspath(args[0]))
            else:
                print("voxlab: nothing running in %s" % os.path.abspath(args[0]))
            return 0
        if cmd == "run":
            pre, command = _split_cmd(args)
            pos, opts = _options(pre, {"dir": str, "keep": bool, "timeout": float})
            if len(pos) != 1:
                raise LabError("run needs exactly one SCENARIO")
            return _run(pos[0], command, opts)
        if cmd == "show":
            if len(args) != 1:
                raise LabError("show needs exactly one DIR")
            lab = Lab(args[0])
            print("scenario %s (%s), holder pid %s, %s" % (
                lab.name, lab.info["state"], lab.holder_pid,
                "running" if lab.alive() else "not running"))
            print("root hints: %s\n" % lab.hints)
            print(lab.table())
            return 0
        if cmd == "ctl":
            return _ctl(args)
        if cmd == "list":
            for name in list_scenarios():
                try:
                    desc = load_scenario(name)["description"]
                except LabError as e:
                    desc = "(invalid: %s)" % e
                print("%-16s %s" % (name, desc))
            return 0
        raise LabError("unknown command %r\n%s" % (cmd, USAGE))
    except LabError as e:
        print("voxlab: error: %s" % e, file=sys.stderr)
        return 2


def _ctl(args):
    """voxlab ctl DIR ...: runtime knobs of a running lab."""
    if len(args) < 3:
        raise LabError("ctl needs DIR, an action and its target")
    lab, action, rest = Lab(args[0]), args[1], args[2:]
    if action in ("stop", "start") and len(rest) == 1:
        pids = (lab.server_stop if action == "stop" else lab.server_start)(rest[0])
        print("voxlab: %s %s (pids %s)" % (action == "stop" and "stopped" or "started",
                                          rest[0], " ".join(map(str, pids)) or "-"))
        return 0
    if action == "sbc" and len(rest) == 2:
        lab.sbc_mode(rest[0], rest[1])
        print("voxlab: %s is %s" % (" ".join(lab.sbc_addresses(rest[0])), rest[1]))
        return 0
    if action == "swap-cert" and len(rest) in (1, 2):
        for a, cert in lab.sbc_swap_cert(*rest).items():
            print("voxlab: %s now serves %s (sha256 %s)" % (a, cert["cert"], cert["sha256"]))
        return 0
    raise LabError("bad ctl command\n%s" % USAGE)


def _run(scenario, command, opts):
    own_dir = opts.get("dir") is None
    t0 = time.monotonic()
    lab = start(scenario, opts.get("dir"), float(opts.get("timeout", START_TIMEOUT)),
                attached=True)
    try:
        _print_started(lab, time.monotonic() - t0, sys.stderr)
        print("", file=sys.stderr, flush=True)
        proc = subprocess.Popen(lab.argv(command), env=lab.env())
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _on_signal)
        try:
            return _exit_status(proc.wait())
        except (KeyboardInterrupt, _Shutdown) as e:
            # Pass the signal on (on a terminal the command has it already),
            # give the command a moment, then make sure it is gone.
            sig = e.args[0] if isinstance(e, _Shutdown) else signal.SIGINT
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                proc.send_signal(sig)
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
            return _exit_status(proc.wait())
    finally:
        lab.stop()
        if own_dir and not opts.get("keep"):
            shutil.rmtree(lab.dir, ignore_errors=True)
        elif own_dir:
            print("voxlab: lab files kept in %s" % lab.dir, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
