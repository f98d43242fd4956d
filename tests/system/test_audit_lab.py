"""System tests of the audit lab (tests/lab/scenarios/audit.yml): every
domain really has the fault its audit expectations claim, and nothing else.

The audit (`voxdns audit`) is written elsewhere; these tests check the lab's
DATA with dig, delv and a little Python, so that when the audit later
disagrees with an expectation we know whether the data or the check is
wrong. For every domain a small reference observer, written for these tests
only, asks what the audit asks (docs/audit-probes.md) and derives the check
ids from the answers with the plain reading of CHECKS.md; the set must equal
the scenario's expected set. Explicit tests then show the key faults the
way an operator would see them.
"""

import calendar
import ipaddress
import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import voxlab_lib

SCENARIO = "audit"
PARENT = "198.18.10.1"      # a.gtld-servers.net: com and net
RECURSOR = "198.18.47.1"    # recursor.faultprov.net: an open resolver in the lab
ASN_FILE = os.path.join(voxlab_lib.REPO_DIR, "tests", "lab", "asn", "lab.pfx2as")

# The check ids of CHECKS.md's sections delegation ... profiles, with their
# default severities (the lync profile makes SRV-TARGET-OUT-OF-DOMAIN an error).
CHECKS = {
    "DELEGATION-MISSING": "critical", "NS-COUNT-LOW": "error", "NS-SET-MISMATCH": "warning",
    "GLUE-MISMATCH": "error", "NS-NAME-UNRESOLVABLE": "error",
    "ALL-NS-UNREACHABLE": "critical", "NS-UNREACHABLE": "error", "NS-NO-TCP": "error",
    "NS-LAME": "error", "NS-SLOW": "warning",
    "SOA-SERIAL-MISMATCH": "warning", "RRSET-INCONSISTENT": "error",
    "TTL-INCONSISTENT": "warning", "SOA-TIMERS": "notice",
    "NS-SINGLE-PROVIDER": "error", "NS-SINGLE-PREFIX": "warning", "NS-SINGLE-ASN": "warning",
    "NS-SINGLE-TLD": "notice", "SERVICE-SINGLE-DOMAIN": "notice",
    "SERVICE-ALT-DOMAIN-MISMATCH": "error", "SIP-TARGETS-SINGLE-PREFIX": "warning",
    "SIP-TARGETS-SINGLE-ASN": "warning",
    "SIP-NO-RECORDS": "error", "NAPTR-INCOMPLETE": "warning", "NAPTR-INVALID": "error",
    "NAPTR-DANGLING": "error", "SRV-MISSING-AT-DOMAIN": "warning",
    "SRV-TARGET-NO-ADDRESS": "error", "SRV-TARGET-CNAME": "error",
    "SRV-TARGET-OUT-OF-DOMAIN": "warning", "SRV-SINGLE-TARGET": "warning",
    "SRV-PORT-UNUSUAL": "notice", "SIP-TARGET-PRIVATE-ADDRESS": "warning",
    "SIP-TARGET-INTERNAL-NAME": "warning",
    "TTL-TOO-SHORT": "warning", "TTL-TOO-LONG": "notice",
    "DNSSEC-UNSIGNED": "notice", "DNSSEC-BOGUS": "critical", "DNSSEC-RRSIG-EXPIRING": "warning",
    "NS-OPEN-RECURSION": "error", "NS-AXFR-OPEN": "warning", "NS-VERSION-DISCLOSED": "notice",
    "NS-EDNS-BROKEN": "warning", "ZONE-DIFFERS": "error",
    "CANDIDATE-DIFFERS": "error",
    "LYNC-RECORD-MISSING": "error", "LYNC-STRICT-NAME": "error",
    "CAA-MISSING": "notice",
}
# The endpoint checks judge the SIP servers, not DNS data: dig cannot derive them here;
# test_audit.py and test_lab_sip.py hold each to its domain.
ENDPOINT_CHECKS = {
    "SIP-OPTIONS-NO-ANSWER": "error", "SIP-OPTIONS-ERROR": "warning",
    "SIP-TARGETS-ALL-DOWN": "critical", "TLS-HANDSHAKE-FAILED": "error",
    "TLS-CERT-UNTRUSTED": "error", "TLS-CERT-NAME-MISMATCH": "error",
    "TLS-CERT-EXPIRING": "warning", "TLS-CERT-EXPIRED": "critical",
}
CHECKS.update(ENDPOINT_CHECKS)
NOTICE_OR_BELOW = {"info", "notice"}

STANDARD_SRV = ("_sip._udp", "_sip._tcp", "_sips._tcp")
LYNC_SRV = ("_sipinternaltls._tcp", "_sipfederationtls._tcp", "_sip._tls")
SIP_SERVICES = {"SIP+D2U": "_sip._udp", "SIP+D2T": "_sip._tcp", "SIPS+D2T": "_sips._tcp"}
INTERNAL_TLDS = {"local", "lan", "internal", "corp", "home", "localdomain", "intranet",
                 "private", "localhost"}
INTERNAL_NETS = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "100.64.0.0/10", "fc00::/7", "fe80::/10", "::1/128")]


@pytest.fixture(scope="module")
def lab(lab_scenario):
    return lab_scenario(SCENARIO)


@pytest.fixture(scope="module")
def expectations():
    return voxlab_lib.load_scenario(SCENARIO)["audit_expectations"]


# --------------------------------------------------------------------------
# dig, one question per call (calls run in parallel threads)
# --------------------------------------------------------------------------

class Answer:
    """One dig answer: status (None: no answer), flags, sections of
    (owner, ttl, type, rdata), the round-trip time and whether OPT came back."""

    def __init__(self, out):
        m = re.search(r"status: (\w+)", out)
        self.status = m.group(1) if m else None
        m = re.search(r";; flags: ([a-z ]*);", out)
        self.flags = set(m.group(1).split()) if m else set()
        m = re.search(r";; Query time: (\d+) msec", out)
        self.ms = int(m.group(1)) if m else None
        self.opt = "OPT PSEUDOSECTION" in out
        self.sections = {}
        for sec in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
            m = re.search(r";; %s SECTION:\n(.*?)(?:\n\n|\Z)" % sec, out, re.S)
            rows = []
            for line in (m.group(1).splitlines() if m else []):
                p = line.split(None, 4)
                if len(p) == 5 and not line.startswith(";"):
                    rows.append((p[0].lower(), int(p[1]), p[3], p[4]))
            self.sections[sec] = rows
        if not self.sections["ANSWER"] and "XFR size" in out:  # AXFR: no section headers
            self.sections["ANSWER"] = [
                (p[0].lower(), int(p[1]), p[3], p[4]) for p in
                (line.split(None, 4) for line in out.splitlines()
                 if line and not line.startswith(";")) if len(p) == 5]
            self.status = self.status or "NOERROR"
        self.text = out

    @property
    def aa(self):
        return self.status is not None and "aa" in self.flags

    def rrs(self, owner=None, rtype=None, section="ANSWER"):
        return [r for r in self.sections.get(section, [])
                if (owner is None or r[0] == owner.lower()) and
                (rtype is None or r[2] == rtype)]

    def data(self, owner, rtype, section="ANSWER"):
        return sorted(r[3] for r in self.rrs(owner, rtype, section))


def _dig_args(server, name, rtype="SOA", *opts, rec=False, timeout=1):
    args = ["@" + server, "+rec" if rec else "+norec", "+time=%d" % timeout, "+tries=1",
            "+nocookie"] + list(opts) + [name]
    return args + (["CH", "TXT"] if rtype == "CH-TXT" else [rtype])


def dig(lab, server, name, rtype="SOA", *opts, rec=False, timeout=1):
    """One question, one dig process -> Answer."""
    r = lab.run(["dig"] + _dig_args(server, name, rtype, *opts, rec=rec, timeout=timeout),
                timeout=20)
    return Answer(r.stdout)


BANNER = re.compile(r"^; <<>> DiG .*$", re.M)


def _dig_batch(lab, questions):
    """Several UDP questions in one `dig -f` (which ignores +tcp: TCP and AXFR
    questions go through dig()) -> [Answer]."""
    with tempfile.NamedTemporaryFile("w", suffix=".dig", delete=False) as f:
        for q in questions:
            f.write(" ".join(_dig_args(*q)) + "\n")
    try:
        r = lab.run(["dig", "-f", f.name], timeout=20 + 2 * len(questions))
    finally:
        os.unlink(f.name)
    blocks = BANNER.split(r.stdout)[1:]
    assert len(blocks) == len(questions), r.stdout[-2000:]
    return [Answer(b) for b in blocks]


def many(lab, questions, workers=12):
    """questions: {key: (server, name, type, opts...)} -> {key: Answer}. UDP
    questions are batched per server address (a dead address only delays its
    own batch), the batches and the TCP/AXFR questions run in parallel."""
    single, batches = [], {}
    for k, q in questions.items():
        if "+tcp" in q[3:] or q[2] == "AXFR":
            single.append(k)
        else:
            batches.setdefault(q[0], []).append(k)
    jobs = [[k] for k in single] + list(batches.values())

    def run(keys):
        if len(keys) == 1 and keys[0] in single:
            return [dig(lab, *questions[keys[0]])]
        return _dig_batch(lab, [questions[k] for k in keys])
    out = {}
    with ThreadPoolExecutor(workers) as pool:
        for keys, answers in zip(jobs, pool.map(run, jobs)):
            out.update(zip(keys, answers))
    return out


def fqdn(name):
    return name.lower().rstrip(".") + "."


def under(name, domain):
    name, domain = fqdn(name), fqdn(domain)
    return name == domain or name.endswith("." + domain)


# --------------------------------------------------------------------------
# The reference observer
# --------------------------------------------------------------------------

def load_asn(path=ASN_FILE):
    table = []
    with open(path) as f:
        for line in f:
            prefix, length, asn = line.rstrip("\n").split("\t")
            table.append((ipaddress.ip_network("%s/%s" % (prefix, length)),
                          int(re.split(r"[_,]", asn)[0])))
    return table


def asn_of(addr, table):
    ip = ipaddress.ip_address(addr)
    best = None
    for net, asn in table:
        if ip.version == net.version and ip in net and (
                best is None or net.prefixlen > best[0].prefixlen):
            best = (net, asn)
    return best[1] if best else 0


def single_prefix(addrs):
    """Every address family present sits in one /24 (IPv4) or /48 (IPv6)."""
    nets = {}
    for a in addrs:
        ip = ipaddress.ip_address(a)
        nets.setdefault(ip.version, set()).add(
            ipaddress.ip_network("%s/%d" % (a, 24 if ip.version == 4 else 48), strict=False))
    return bool(nets) and all(len(s) == 1 for s in nets.values())


def registrable(name):
    return ".".join(fqdn(name).rstrip(".").split(".")[-2:])


def tld(name):
    return fqdn(name).rstrip(".").split(".")[-1]


class Observed:
    """What the reference observer saw of one domain, and the ids it derives."""

    def __init__(self, lab, domain, args, asn_table):
        self.domain = fqdn(domain)
        self.profile = args[args.index("--profile") + 1] if "--profile" in args else "generic"
        self.alts = [args[i + 1] for i, a in enumerate(args) if a == "--alt-domain"]
        self.asn = asn_table if "--asn-db" in args else None
        self.axfr = "--axfr" in args
        # --ns: the server names the zone is judged as delegated to (undelegated audit)
        self.given = sorted(fqdn(args[i + 1]) for i, a in enumerate(args) if a == "--ns")
        self.asked = {}
        self.ids = set()
        self.why = {}
        self._delegation(lab)
        if self.ns_names:
            self._servers(lab)
            self._sip(lab)
            self._caa(lab)
        self._dnssec(lab)
        self._diversity()
        if self.given:
            self._candidate(lab, [a for i, a in enumerate(args)
                                  if a != "--ns" and (i == 0 or args[i - 1] != "--ns")], asn_table)
        self.alt_ids = {}
        for alt in self.alts:
            other = Observed(lab, alt, [], asn_table)
            self.alt_ids[alt] = other.ids
            if other.service_set() != self.service_set():
                self.fire("SERVICE-ALT-DOMAIN-MISMATCH", "%s leads to %s" % (
                    alt, sorted(other.service_set() ^ self.service_set())))
        if not any(tld(a) != tld(domain) for a in self.alts):
            self.fire("SERVICE-SINGLE-DOMAIN", "no alternate domain under another TLD")

    def _zone_copies(self, res):
        """--axfr: the whole zone from the first authoritative address of each provider
        (registrable domain of the NS name), compared without SOA and DNSSEC records."""
        skip = {"SOA", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM"}
        copies = {}
        for n, a in self.servers:
            rrs = res[(a, "axfr")].rrs()
            if a in self.auth and rrs and registrable(n) not in copies:
                copies[registrable(n)] = {r for r in rrs if r[2] not in skip}
        if len(copies) > 1 and len({frozenset(c) for c in copies.values()}) > 1:
            first = next(iter(copies.values()))
            self.fire("ZONE-DIFFERS", str({p: sorted(c ^ first) for p, c in copies.items()}))

    def fire(self, check, why):
        self.ids.add(check)
        self.why.setdefault(check, why)

    # -- phase 1: the parent
    def _delegation(self, lab):
        ref = dig(lab, PARENT, self.domain, "NS")
        self.parent_answer = ref
        self.parent_ns = sorted({fqdn(r[3]) for r in ref.rrs(self.domain, "NS", "AUTHORITY")})
        self.glue = {}
        for owner, _ttl, rtype, data in ref.sections["ADDITIONAL"]:
            if rtype in ("A", "AAAA"):
                self.glue.setdefault(owner, set()).add(data)
        self.parent_ns_ttls = [r[1] for r in ref.rrs(self.domain, "NS", "AUTHORITY")]
        if (ref.status == "NXDOMAIN" or not self.parent_ns) and not self.given:
            self.fire("DELEGATION-MISSING", "com: %s, no referral" % ref.status)
        self.ns_names = list(self.given or self.parent_ns)
        if self.given:  # the parent's glue is for its own NS set
            self.glue = {}
        self.ds = dig(lab, PARENT, self.domain, "DS").data(self.domain, "DS")

    # -- phase 2: every address of every NS name
    def _servers(self, lab):
        q = {}
        for n in self.ns_names:
            for t in ("A", "AAAA"):
                q[(n, t)] = (RECURSOR, n, t, "+rec")
        res = many(lab, q)
        self.ns_addrs = {n: sorted(set(res[(n, "A")].data(n, "A") +
                                       res[(n, "AAAA")].data(n, "AAAA")))
                         for n in self.ns_names}
        # Silence proves nothing: only a look-up the resolver concluded (NOERROR, NXDOMAIN)
        # may show that a name has no address or other addresses than its glue.
        concluded = {n: all(res[(n, t)].status in ("NOERROR", "NXDOMAIN") for t in ("A", "AAAA"))
                     for n in self.ns_names}
        for n, addrs in self.ns_addrs.items():
            if not addrs and concluded[n]:
                self.fire("NS-NAME-UNRESOLVABLE", n)
            glue = self.glue.get(n)
            if glue is not None and concluded[n] and glue != set(addrs):
                self.fire("GLUE-MISMATCH", "%s glue %s, real %s" % (n, sorted(glue), addrs))
        self.servers = sorted({(n, a) for n, addrs in self.ns_addrs.items() for a in addrs}
                              | {(n, a) for n, g in self.glue.items() for a in g})
        probes = {}
        for n, a in self.servers:
            for kind, qn, qt, opts in (
                    ("soa", self.domain, "SOA", ()), ("noedns", self.domain, "SOA", ("+noedns",)),
                    ("tcp", self.domain, "SOA", ("+tcp",)), ("ns", self.domain, "NS", ()),
                    ("axfr", self.domain, "AXFR", ()),
                    ("version", "version.bind", "CH-TXT", ())):
                probes[(a, kind)] = (a, qn, qt) + opts
            probes[(a, "rec")] = (a, ".", "NS", "+rec")  # RD set: a resolver answers
        res = many(lab, probes)
        self.alive, self.auth = [], []
        serials, zone_ns = {}, {}
        for n, a in self.servers:
            soa, noedns = res[(a, "soa")], res[(a, "noedns")]
            if soa.status is None and noedns.status is None:
                continue
            self.alive.append(a)
            judged = soa if soa.status not in (None, "FORMERR", "NOTIMP") else noedns
            if not (judged.aa and judged.status == "NOERROR" and judged.rrs(self.domain, "SOA")):
                self.fire("NS-LAME", "%s/%s: %s %s" % (n, a, judged.status, judged.flags))
                continue
            self.auth.append(a)
            serials[a] = judged.rrs(self.domain, "SOA")[0][3].split()[2]
            self.soa = judged.rrs(self.domain, "SOA")[0][3].split()
            if res[(a, "ns")].aa:
                zone_ns[a] = sorted(fqdn(r[3]) for r in res[(a, "ns")].rrs(self.domain, "NS"))
            self.zone_ns_ttls = [r[1] for r in res[(a, "ns")].rrs(self.domain, "NS")]
            if res[(a, "tcp")].status is None:
                self.fire("NS-NO-TCP", "%s/%s" % (n, a))
            if soa.status in ("FORMERR", "NOTIMP") or (soa.status is None) or not soa.opt:
                self.fire("NS-EDNS-BROKEN", "%s/%s: EDNS SOA %s, OPT %s" % (
                    n, a, soa.status, soa.opt))
            if soa.ms is not None and soa.ms > 500:
                self.fire("NS-SLOW", "%s/%s: %d ms" % (n, a, soa.ms))
            rec = res[(a, "rec")]
            if rec.status == "NOERROR" and "ra" in rec.flags and rec.rrs(".", "NS") and not rec.aa:
                self.fire("NS-OPEN-RECURSION", "%s/%s" % (n, a))
            if res[(a, "axfr")].rrs(self.domain, "SOA"):
                self.fire("NS-AXFR-OPEN", "%s/%s" % (n, a))
            if [r for r in res[(a, "version")].rrs("version.bind.", "TXT") if r[3] != '""']:
                self.fire("NS-VERSION-DISCLOSED", "%s/%s" % (n, a))
        dead = [a for _n, a in self.servers if a not in self.alive]
        if self.servers and not self.alive:
            self.fire("ALL-NS-UNREACHABLE", "all of %s" % [a for _n, a in self.servers])
        elif dead:
            self.fire("NS-UNREACHABLE", ", ".join(dead))
        if len(set(serials.values())) > 1:
            self.fire("SOA-SERIAL-MISMATCH", str(serials))
        if self.axfr:
            self._zone_copies(res)
        delegated = self.given or self.parent_ns
        if zone_ns and any(v != delegated for v in zone_ns.values()):
            self.fire("NS-SET-MISMATCH", "delegation %s, zone %s" % (delegated, zone_ns))
        if self.auth:
            serial, refresh, retry, expire = (int(x) for x in self.soa[2:6])
            if expire < 7 * 86400 or not 1200 <= refresh <= 86400 or retry < 120 or \
                    retry >= refresh:
                self.fire("SOA-TIMERS", " ".join(self.soa[2:7]))

    # -- phase 3: the SIP chain, asked of every authoritative address
    def _ask_all(self, lab, questions):
        """{(name, type): [Answer per authoritative address]} for in-domain
        names; the recursor for the others."""
        q = {}
        for name, rtype in questions:
            if under(name, self.domain):
                for a in self.auth:
                    q[(name, rtype, a)] = (a, name, rtype)
            else:
                q[(name, rtype, RECURSOR)] = (RECURSOR, name, rtype, "+rec")
        res = many(lab, q)
        out = {}
        for (name, rtype, _a), ans in res.items():
            out.setdefault((name, rtype), []).append(ans)
        for (name, rtype), answers in out.items():
            if under(name, self.domain):
                self.asked[(name, rtype)] = answers
        return out

    # -- --ns: the candidate servers' answers against the live delegation's
    @staticmethod
    def _view(ans, name, rtype):
        return (ans.status, tuple(sorted((r[3], r[1]) for r in ans.rrs(name, rtype))))

    def _candidate(self, lab, live_args, asn_table):
        live = Observed(lab, self.domain, live_args, asn_table)
        for (name, rtype), answers in sorted(self.asked.items()):
            held = [self._view(a, name, rtype) for a in live.asked.get((name, rtype), [])
                    if a.aa and a.status in ("NOERROR", "NXDOMAIN")]
            if not held:
                continue
            want = max(set(held), key=held.count)
            got = {self._view(a, name, rtype) for a in answers
                   if a.aa and a.status in ("NOERROR", "NXDOMAIN")}
            if got - {want}:
                self.fire("CANDIDATE-DIFFERS", "%s %s: candidate %s, live %s" % (
                    name, rtype, sorted(got), want))

    def _consensus(self, answers, name, rtype):
        """The answer held by most servers; differing data or TTLs are noted.
        Only authoritative answers count (a time-out or a FORMERR to an EDNS
        question is no data)."""
        answers = [a for a in answers if a.aa and a.status in ("NOERROR", "NXDOMAIN")] or \
            [a for a in answers if a.status] or answers
        views = [(tuple(ans.data(name, rtype)), tuple(sorted(
            (r[3], r[1]) for r in ans.rrs(name, rtype)))) for ans in answers]
        datas = {v[0] for v in views}
        if len(datas) > 1:
            self.fire("RRSET-INCONSISTENT", "%s %s: %s" % (name, rtype, sorted(datas)))
        elif len({v[1] for v in views}) > 1:
            self.fire("TTL-INCONSISTENT", "%s %s: %s" % (
                name, rtype, sorted({v[1] for v in views})))
        best = max(datas, key=lambda d: sum(1 for v in views if v[0] == d)) if datas else ()
        for ans in answers:
            if tuple(ans.data(name, rtype)) == best:
                return ans
        return answers[0] if answers else Answer("")

    def _sip(self, lab):
        self.naptr, self.srv, self.hosts, self.ttls = [], {}, {}, []
        if not self.auth:
            return
        d = self.domain
        names = [(d, "NAPTR"), (d, "A"), (d, "AAAA")] + [("%s.%s" % (s, d), "SRV")
                                                       for s in STANDARD_SRV]
        if self.profile == "lync":
            names += [("%s.%s" % (s, d), "SRV") for s in LYNC_SRV]
            names += [("lyncdiscover." + d, "A"), ("sip." + d, "A")]
        got = self._ask_all(lab, names)
        ans = self._consensus(got[(d, "NAPTR")], d, "NAPTR")
        self.ttls += [("NAPTR", r[1]) for r in ans.rrs(d, "NAPTR")]
        for r in ans.data(d, "NAPTR"):
            m = re.match(r'(\d+) (\d+) "([^"]*)" "([^"]*)" "([^"]*)" (\S+)', r)
            self.naptr.append(m.groups()[2:])
        srv_names = {"%s.%s" % (s, d): ("standard", s) for s in STANDARD_SRV}
        if self.profile == "lync":
            srv_names.update({"%s.%s" % (s, d): ("lync", s) for s in LYNC_SRV})
        sip_naptrs = [n for n in self.naptr if n[1].upper().startswith(("SIP+", "SIPS+"))]
        extra = [(fqdn(n[3]), "SRV") for n in sip_naptrs if fqdn(n[3]) not in srv_names]
        got.update(self._ask_all(lab, extra))
        for n in sip_naptrs:
            srv_names.setdefault(fqdn(n[3]), ("naptr", SIP_SERVICES.get(n[1].upper(), "")))
        for owner in srv_names:
            a = self._consensus(got[(owner, "SRV")], owner, "SRV")
            self.srv[owner] = [tuple(r.split()) for r in a.data(owner, "SRV")]
            self.ttls += [("SRV", r[1]) for r in a.rrs(owner, "SRV")]
        targets = sorted({fqdn(r[3]) for recs in self.srv.values() for r in recs if r[3] != "."})
        got.update(self._ask_all(lab, [(t, ty) for t in targets for ty in ("A", "AAAA")]))
        for t in targets:
            addrs, cname = [], False
            for ty in ("A", "AAAA"):
                a = self._consensus(got[(t, ty)], t, ty)
                cname = cname or bool(a.rrs(t, "CNAME"))
                recs = [r for r in a.sections["ANSWER"] if r[2] == ty]
                addrs += [r[3] for r in recs]
                self.ttls += [(ty, r[1]) for r in recs]
            self.hosts[t] = {"addrs": addrs, "cname": cname}
        apex = got[(d, "A")][0].data(d, "A") + got[(d, "AAAA")][0].data(d, "AAAA")
        # sip checks
        if not self.naptr and not any(self.srv.get("%s.%s" % (s, d)) for s in STANDARD_SRV) \
                and not apex:
            self.fire("SIP-NO-RECORDS", "nothing at %s" % d)
        if sip_naptrs:
            services = {n[1].upper() for n in sip_naptrs}
            if not set(SIP_SERVICES) <= services:
                self.fire("NAPTR-INCOMPLETE", "services %s" % sorted(services))
            if not any(self.srv.get("%s.%s" % (s, d)) for s in STANDARD_SRV):
                self.fire("SRV-MISSING-AT-DOMAIN", d)
        for flags, service, regexp, repl in sip_naptrs:
            if flags.lower() != "s" or regexp or not re.match(r"^_[^.]+\._[^.]+\.", repl):
                self.fire("NAPTR-INVALID", "%s %s %s %s" % (flags, service, regexp, repl))
            elif not self.srv.get(fqdn(repl)):
                self.fire("NAPTR-DANGLING", repl)
        for owner, recs in self.srv.items():
            hosts = {fqdn(r[3]) for r in recs if r[3] != "."}
            addrs = {a for h in hosts for a in self.hosts[h]["addrs"]}
            if recs and (len(hosts) == 1 or len(addrs) == 1):
                self.fire("SRV-SINGLE-TARGET", owner)
            kind, label = srv_names[owner]
            tls = label.startswith("_sips") or label in LYNC_SRV
            for r in recs:
                port = int(r[2])
                if (tls and port == 5060) or (not tls and port == 5061):
                    self.fire("SRV-PORT-UNUSUAL", "%s port %d" % (owner, port))
                if kind == "lync" and label in ("_sip._tls", "_sipinternaltls._tcp") and \
                        not under(r[3], d):
                    self.fire("LYNC-STRICT-NAME", "%s -> %s" % (owner, r[3]))
        for h, info in self.hosts.items():
            if not info["addrs"]:
                self.fire("SRV-TARGET-NO-ADDRESS", h)
            if info["cname"]:
                self.fire("SRV-TARGET-CNAME", h)
            if not under(h, d):
                self.fire("SRV-TARGET-OUT-OF-DOMAIN", h)
            if tld(h) in INTERNAL_TLDS:
                self.fire("SIP-TARGET-INTERNAL-NAME", h)
            for a in info["addrs"]:
                if any(ipaddress.ip_address(a) in n for n in INTERNAL_NETS):
                    self.fire("SIP-TARGET-PRIVATE-ADDRESS", "%s %s" % (h, a))
        if self.profile == "lync":
            for s in LYNC_SRV:
                if not self.srv.get("%s.%s" % (s, d)):
                    self.fire("LYNC-RECORD-MISSING", s)
            for n in ("lyncdiscover", "sip"):
                if not got[("%s.%s" % (n, d), "A")][0].data("%s.%s" % (n, d), "A"):
                    self.fire("LYNC-RECORD-MISSING", n)
        ttls = self.ttls + [("NS", t) for t in self.parent_ns_ttls + self.zone_ns_ttls]
        if any(t < 300 for _k, t in ttls):
            self.fire("TTL-TOO-SHORT", str(sorted({t for _k, t in ttls if t < 300})))
        if any(t > 86400 for k, t in self.ttls):
            self.fire("TTL-TOO-LONG", str(sorted({t for _k, t in self.ttls if t > 86400})))

    def service_set(self):
        """(transport, port, address) of every SRV record of the standard names
        and NAPTR replacements (the SERVICE-ALT-DOMAIN-MISMATCH comparison)."""
        out = set()
        for owner, recs in getattr(self, "srv", {}).items():
            label = ".".join(owner.split(".")[:2])
            if label not in STANDARD_SRV and not any(fqdn(n[3]) == owner for n in self.naptr):
                continue
            for r in recs:
                for a in self.hosts.get(fqdn(r[3]), {}).get("addrs", []):
                    out.add((label, int(r[2]), a))
        return out

    def _diversity(self):
        if not self.ns_names:
            return
        # A name whose own look-up gave nothing is known by its glue (the audit asks it there).
        addrs = sorted({a for n, v in self.ns_addrs.items() for a in (v or self.glue.get(n, ()))})
        if len(self.ns_names) < 2 or len(addrs) < 2:
            self.fire("NS-COUNT-LOW", "%d names, %d addresses" % (len(self.ns_names), len(addrs)))
        if len({registrable(n) for n in self.ns_names}) == 1:
            self.fire("NS-SINGLE-PROVIDER", registrable(self.ns_names[0]))
        if len({tld(n) for n in self.ns_names}) == 1:
            self.fire("NS-SINGLE-TLD", tld(self.ns_names[0]))
        if single_prefix(addrs):
            self.fire("NS-SINGLE-PREFIX", str(addrs))
        targets = sorted({a for h in getattr(self, "hosts", {}).values() for a in h["addrs"]})
        if targets and single_prefix(targets):
            self.fire("SIP-TARGETS-SINGLE-PREFIX", str(targets))
        if self.asn:
            asns = {asn_of(a, self.asn) for a in addrs}
            if addrs and 0 not in asns and len(asns) == 1:
                self.fire("NS-SINGLE-ASN", str(asns))
            asns = {asn_of(a, self.asn) for a in targets}
            if targets and 0 not in asns and len(asns) == 1:
                self.fire("SIP-TARGETS-SINGLE-ASN", str(asns))

    def _caa(self, lab):
        """No CAA at the domain (the lab's domains are registrable domains: nothing above)."""
        if not getattr(self, "auth", None):
            return
        for server in self.auth:  # the first that answers (an EDNS-broken one may not)
            r = dig(lab, server, self.domain, "CAA")
            if r.status in ("NOERROR", "NXDOMAIN") and r.aa:
                if not r.data(self.domain, "CAA"):
                    self.fire("CAA-MISSING", "%s CAA: %s, no data" % (server, r.status))
                return

    def _dnssec(self, lab):
        if not self.ds:
            self.fire("DNSSEC-UNSIGNED", "no DS in the parent")
            return
        if not getattr(self, "auth", None):
            return
        server = self.auth[0]
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            for ds in self.ds:
                tag, alg, dt, digest = ds.split(None, 3)
                f.write('trust-anchors { "%s" static-ds %s %s %s "%s"; };\n' % (
                    self.domain, tag, alg, dt, digest.replace(" ", "")))
            anchor = f.name
        try:
            chain = [(self.domain, "DNSKEY"), (self.domain, "NAPTR")]
            chain += [(o, "SRV") for o, recs in self.srv.items() if recs]
            chain += [(h, t) for h in self.hosts if under(h, self.domain)
                      for t in ("A", "AAAA")]
            now = time.time()
            for name, rtype in chain:
                r = lab.run(["delv", "@" + server, "-a", anchor, "+root=" + self.domain,
                             name, rtype], timeout=20)
                if "fully validated" not in r.stdout and \
                        "negative response, fully validated" not in r.stdout:
                    self.fire("DNSSEC-BOGUS", "%s %s: %s" % (name, rtype, r.stderr.strip()[-120:]))
                for exp in re.findall(r"\sRRSIG\s+\S+ \d+ \d+ \d+ (\d{14}) ", r.stdout):
                    if now < calendar_ts(exp) < now + 7 * 86400:
                        self.fire("DNSSEC-RRSIG-EXPIRING", "%s %s until %s" % (name, rtype, exp))
        finally:
            os.unlink(anchor)


def calendar_ts(stamp):
    """An RRSIG time (YYYYMMDDhhmmss, UTC) -> Unix seconds."""
    return calendar.timegm(time.strptime(stamp, "%Y%m%d%H%M%S"))


@pytest.fixture(scope="module")
def observed(lab, expectations):
    """domain -> Observed, for every domain of the expectations."""
    table = load_asn()
    with ThreadPoolExecutor(6) as pool:
        obs = pool.map(lambda d: Observed(lab, d, expectations[d]["args"], table),
                       sorted(expectations))
    return dict(zip(sorted(expectations), obs))


# --------------------------------------------------------------------------
# The expectations themselves
# --------------------------------------------------------------------------

def test_every_check_has_a_domain(expectations):
    fired = {c for e in expectations.values() for c in e["findings"]}
    assert set(CHECKS) - fired == set()
    assert fired - set(CHECKS) == set(), "unknown check ids"


def test_severities_are_the_catalogue_defaults(expectations):
    for domain, e in expectations.items():
        lync = "--profile" in e["args"] and "lync" in e["args"]
        for check, severity in e["findings"].items():
            want = "error" if lync and check == "SRV-TARGET-OUT-OF-DOMAIN" else CHECKS[check]
            assert severity == want, (domain, check)


def test_healthy_domains_stay_at_notice(expectations):
    for domain in ("voip-example.com", "signed-example.com", "lync-example.com"):
        severities = set(expectations[domain]["findings"].values())
        assert severities <= NOTICE_OR_BELOW, (domain, expectations[domain]["findings"])
    assert expectations["voip-example.com"]["findings"] == {"DNSSEC-UNSIGNED": "notice"}
    assert expectations["signed-example.com"]["findings"] == {"SERVICE-SINGLE-DOMAIN": "notice"}


def test_lab_exposes_expectations_and_audit_args(lab, expectations):
    assert lab.audit_expectations == expectations
    args = lab.audit_args("oneasn-example.com")
    assert args[:2] == ["--hints", lab.hints] and args[-1] == "oneasn-example.com"
    assert args[args.index("--asn-db") + 1] == ASN_FILE and os.path.isfile(ASN_FILE)


def test_asn_file(expectations):
    table = load_asn()
    assert {asn_of("192.0.2.53", table), asn_of("2001:db8:a::53", table)} == {64496}
    assert asn_of("198.18.20.53", table) == asn_of("2001:db8:b::53", table) == 64499
    assert {asn_of(a, table) for a in ("198.18.70.1", "198.18.71.1", "2001:db8:70::1",
                                       "2001:db8:71::1")} == {65536}
    assert asn_of("198.18.99.1", table) == 64500 and asn_of("2001:db8:99::1", table) == 64501
    for a in ("192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "198.19.255.1",
              "2001:db8:ffff::1"):
        assert asn_of(a, table) != 0, a


# --------------------------------------------------------------------------
# Each domain has exactly its fault
# --------------------------------------------------------------------------

DOMAINS = sorted(voxlab_lib.load_scenario(SCENARIO)["audit_expectations"])


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_has_exactly_its_fault(observed, expectations, domain):
    o = observed[domain]
    want = set(expectations[domain]["findings"]) - set(ENDPOINT_CHECKS)
    assert o.ids == want, "derived %s, expected %s; evidence: %s" % (
        sorted(o.ids), sorted(want), o.why)
    for alt, ids in o.alt_ids.items():
        assert ids <= {"DNSSEC-UNSIGNED", "SERVICE-SINGLE-DOMAIN", "CAA-MISSING"}, (alt, ids)


# --------------------------------------------------------------------------
# The key faults, shown directly
# --------------------------------------------------------------------------

def test_undelegated_is_served_but_not_delegated(lab):
    assert dig(lab, PARENT, "undelegated-example.com", "NS").status == "NXDOMAIN"
    assert dig(lab, "192.0.2.53", "undelegated-example.com").aa


def test_parent_and_zone_ns_sets_differ(lab):
    parent = dig(lab, PARENT, "nsmismatch-example.com", "NS")
    zone = dig(lab, "192.0.2.53", "nsmismatch-example.com", "NS")
    p = set(parent.data("nsmismatch-example.com.", "NS", "AUTHORITY"))
    z = set(zone.data("nsmismatch-example.com.", "NS"))
    assert z - p == {"ns1.dnsprov-b.org."} and p < z
    assert dig(lab, "203.0.113.53", "nsmismatch-example.com").aa


def test_glue_differs_and_both_addresses_answer(lab):
    ref = dig(lab, PARENT, "gluemismatch-example.com", "NS")
    assert ref.data("ns1.gluemismatch-example.com.", "A", "ADDITIONAL") == ["198.18.58.9"]
    real = dig(lab, "192.0.2.53", "ns1.gluemismatch-example.com", "A")
    assert real.data("ns1.gluemismatch-example.com.", "A") == ["198.18.58.1"]
    assert dig(lab, "198.18.58.1", "gluemismatch-example.com").aa
    assert dig(lab, "198.18.58.9", "gluemismatch-example.com").aa


def test_blackout_domain_is_silent_everywhere(lab):
    """Every address of every NS name of blackout-example.com is silent, and its in-domain NS
    names cannot be resolved at all (their zone is the silent one): SERVFAIL, never NXDOMAIN."""
    ref = dig(lab, PARENT, "blackout-example.com", "NS")
    glue = {r[3] for r in ref.sections["ADDITIONAL"] if r[2] in ("A", "AAAA")}
    assert glue == {"198.18.67.1", "2001:db8:67::1", "198.18.68.1", "2001:db8:68::1"}
    for a in sorted(glue) + ["198.18.57.1", "2001:db8:57::1"]:
        assert dig(lab, a, "blackout-example.com").status is None, a
    looked_up = dig(lab, RECURSOR, "ns1.blackout-example.com", "A", "+rec", timeout=8)
    assert looked_up.status in (None, "SERVFAIL")


def test_unreachable_servers(lab):
    t0 = time.monotonic()
    assert dig(lab, "198.18.41.1", "nsdown-example.com").status is None       # blackholed
    assert time.monotonic() - t0 >= 0.9
    assert dig(lab, "198.18.40.1", "nsstopped-example.com").status is None    # stopped
    for a in ("198.18.40.1", "2001:db8:40::1", "198.18.57.1", "2001:db8:57::1"):
        assert dig(lab, a, "alldown-example.com").status is None, a


def test_udp_only_server(lab):
    assert dig(lab, "198.18.52.1", "notcp-example.com").aa
    r = lab.run(["dig", "@198.18.52.1", "+tcp", "+time=1", "+tries=1", "notcp-example.com",
                 "SOA"], timeout=10)
    assert "connection refused" in r.stdout + r.stderr


def test_slow_server_takes_more_than_500_ms(lab):
    slow = dig(lab, "198.18.53.1", "nsslow-example.com", timeout=3)
    assert slow.aa and slow.ms > 500
    assert dig(lab, "192.0.2.53", "nsslow-example.com").ms < 100
    tcp = dig(lab, "198.18.53.1", "nsslow-example.com", "SOA", "+tcp", timeout=3)
    assert tcp.aa


def test_lame_refuses(lab):
    assert dig(lab, "198.18.45.1", "nslame-example.com").status == "REFUSED"


def test_stale_hijacked_and_ttl_copies(lab):
    def soa_serial(server, zone):
        return dig(lab, server, zone).rrs(zone + ".", "SOA")[0][3].split()[2]
    assert soa_serial("198.18.44.1", "serial-example.com") == "2026110101"
    assert soa_serial("192.0.2.53", "serial-example.com") == "2026112201"
    for name, t in (("serial-example.com", "NAPTR"), ("sip1.serial-example.com", "A")):
        assert dig(lab, "198.18.44.1", name, t).data(name + ".", t) == \
            dig(lab, "192.0.2.53", name, t).data(name + ".", t)
    assert soa_serial("198.18.43.1", "inconsistent-example.com") == \
        soa_serial("192.0.2.53", "inconsistent-example.com")
    assert dig(lab, "198.18.43.1", "sip1.inconsistent-example.com", "A").data(
        "sip1.inconsistent-example.com.", "A") == ["198.18.66.66"]
    a = dig(lab, "203.0.113.53", "_sip._udp.ttlmismatch-example.com", "SRV")
    b = dig(lab, "198.18.20.53", "_sip._udp.ttlmismatch-example.com", "SRV")
    assert a.data("_sip._udp.ttlmismatch-example.com.", "SRV") == \
        b.data("_sip._udp.ttlmismatch-example.com.", "SRV")
    assert {r[1] for r in a.rrs(None, "SRV")} == {1800}
    assert {r[1] for r in b.rrs(None, "SRV")} == {3600}


def test_broken_edns(lab):
    drop = dig(lab, "198.18.54.1", "ednsdrop-example.com")
    assert drop.status is None
    assert dig(lab, "198.18.54.1", "ednsdrop-example.com", "SOA", "+noedns").aa
    assert dig(lab, "198.18.54.1", "ednsdrop-example.com", "SOA", "+tcp").aa
    formerr = dig(lab, "198.18.55.1", "ednsformerr-example.com", "SOA", "+noednsneg")
    assert formerr.status == "FORMERR" and not formerr.opt
    assert dig(lab, "198.18.55.1", "ednsformerr-example.com", "SOA", "+noedns").aa
    noopt = dig(lab, "198.18.56.1", "ednsnoopt-example.com")
    assert noopt.aa and not noopt.opt and noopt.rrs("ednsnoopt-example.com.", "SOA")
    assert dig(lab, "192.0.2.53", "ednsnoopt-example.com").opt


def test_security_knobs(lab):
    rec = dig(lab, "198.18.47.1", ".", "NS", "+rec")
    assert "ra" in rec.flags and rec.rrs(".", "NS") and not rec.aa
    assert dig(lab, "198.18.46.1", "axfropen-example.com", "AXFR").rrs(
        "axfropen-example.com.", "SOA")
    assert not dig(lab, "192.0.2.53", "axfropen-example.com", "AXFR").rrs(
        "axfropen-example.com.", "SOA")
    assert "NSD" in str(dig(lab, "198.18.49.1", "version.bind", "CH-TXT").data(
        "version.bind.", "TXT"))


def test_signed_zones_validate_except_the_bogus_ones(lab):
    """delv with the DS published in com as the only trust anchor."""
    result = {}
    for zone in ("signed-example.com", "expiring-example.com", "expired-example.com",
                 "bogusds-example.com", "badsig-example.com"):
        info = lab.dnssec[zone]
        ds = dig(lab, PARENT, zone, "DS").data(zone + ".", "DS")
        assert len(ds) == 1
        tag, alg, dt, digest = ds[0].split(None, 3)
        assert [tag, alg, dt, digest.replace(" ", "").lower()] == info["ds"].split()[4:8]
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write('trust-anchors { "%s." static-ds %s %s %s "%s"; };\n' % (
                zone, tag, alg, dt, digest.replace(" ", "")))
        try:
            for name, t in ((zone, "DNSKEY"), ("sip1." + zone, "A"), ("sip2." + zone, "A")):
                r = lab.run(["delv", "@192.0.2.53", "-a", f.name, "+root=" + zone, name, t],
                            timeout=20)
                result[(zone, name, t)] = "fully validated" in r.stdout
                # BIND serves the same signed copy
                r6 = lab.run(["delv", "@198.18.20.53", "-a", f.name, "+root=" + zone, name, t],
                             timeout=20)
                assert ("fully validated" in r6.stdout) == result[(zone, name, t)], name
        finally:
            os.unlink(f.name)
    for (zone, name, t), ok in result.items():
        bogus = zone in ("expired-example.com", "bogusds-example.com") or \
            name == "sip1.badsig-example.com"
        assert ok != bogus, (zone, name, t, ok)
    assert lab.dnssec["expiring-example.com"]["expiration"] - time.time() < 3 * 86400 + 60
    assert not lab.dnssec["bogusds-example.com"]["ds_matches_key"]
