/*
 * check/registry.c — owns the check catalogue of CHECKS.md as data: every id with its area,
 * default severity, title, remedy and function, in catalogue order; the profiles and how they
 * change severities; severity names; the default thresholds; and the judgement notes printed in
 * the Markdown catalogue (docs/checks-judgement.md explains them at length).
 */
#include <string.h>
#include <strings.h>

#include "check/checks_impl.h"
#include "voxdns/status.h"

#define DAY (24u * 3600u)

/* clang-format off */
static const vx__check_def registry[] = {
    /* delegation */
    {"DELEGATION-MISSING", "delegation", VX__SEV_CRITICAL,
     "the parent zone does not delegate the domain",
     "register the domain (or renew it) and have the registrar publish the NS records of your DNS operators in the parent zone",
     vx__chk_delegation_missing},
    {"NS-COUNT-LOW", "delegation", VX__SEV_ERROR,
     "fewer than 2 name-server names or fewer than 2 addresses",
     "delegate to at least two name servers on different addresses, better at two operators, and list them all at the registrar",
     vx__chk_ns_count_low},
    {"NS-SET-MISMATCH", "delegation", VX__SEV_WARNING,
     "the parent's NS set differs from the zone's own NS set",
     "make the NS records in the zone and the delegation at the registrar list exactly the same servers",
     vx__chk_ns_set_mismatch},
    {"GLUE-MISMATCH", "delegation", VX__SEV_ERROR,
     "glue at the parent differs from the name server's real addresses",
     "update the glue (host records) at the registrar to the addresses the name servers have now",
     vx__chk_glue_mismatch},
    {"NS-NAME-UNRESOLVABLE", "delegation", VX__SEV_ERROR,
     "an NS name has no A or AAAA record",
     "publish A/AAAA records for the name server's host name, or remove the name from the NS set and the delegation",
     vx__chk_ns_name_unresolvable},
    /* availability */
    {"ALL-NS-UNREACHABLE", "availability", VX__SEV_CRITICAL,
     "no authoritative address answers at all",
     "restore the name servers or the network path to them now; once they answer, add servers at a second operator so one outage cannot take all of them",
     vx__chk_all_ns_unreachable},
    {"NS-UNREACHABLE", "availability", VX__SEV_ERROR,
     "an authoritative address does not answer over UDP",
     "bring the server back, open UDP and TCP port 53 to it, or remove the address from the NS records and glue",
     vx__chk_ns_unreachable},
    {"NS-NO-TCP", "availability", VX__SEV_ERROR,
     "an address answers over UDP but not over TCP",
     "open TCP port 53 to the server (firewall, load balancer) and make the server listen on TCP: large and truncated answers need it",
     vx__chk_ns_no_tcp},
    {"NS-LAME", "availability", VX__SEV_ERROR,
     "an address answers, but not authoritatively for the zone",
     "load the zone on this server (add it as a secondary of the primary), or remove the server from the NS records and the delegation",
     vx__chk_ns_lame},
    {"NS-SLOW", "availability", VX__SEV_WARNING,
     "an address's median response time is above the threshold",
     "find out why the server is slow (load, distance, rate limiting) or add servers nearer to your users, e.g. an anycast operator",
     vx__chk_ns_slow},
    /* consistency */
    {"SOA-SERIAL-MISMATCH", "consistency", VX__SEV_WARNING,
     "authoritative addresses serve different SOA serials",
     "check zone transfers from the primary to every secondary (NOTIFY, allowed transfer addresses, TSIG keys) until all serve the same serial",
     vx__chk_soa_serial_mismatch},
    {"RRSET-INCONSISTENT", "consistency", VX__SEV_ERROR,
     "one name and type gets different data from different servers",
     "find which servers serve wrong data (a failed transfer, an edited copy, or a hijack) and resynchronise them from the primary",
     vx__chk_rrset_inconsistent},
    {"TTL-INCONSISTENT", "consistency", VX__SEV_WARNING,
     "the same data with different TTLs on different servers",
     "serve one zone from one source: a TTL that differs means a server holds its own copy of the zone",
     vx__chk_ttl_inconsistent},
    {"SOA-TIMERS", "consistency", VX__SEV_NOTICE,
     "SOA expire too short, or refresh/retry outside sane ranges",
     "set the SOA expire to 2-4 weeks, refresh between 20 minutes and a day and retry below refresh, so secondaries keep answering through a long primary outage",
     vx__chk_soa_timers},
    {"ZONE-DIFFERS", "consistency", VX__SEV_ERROR,
     "whole-zone comparison (AXFR) finds names or RRsets that differ between providers",
     "find which provider's copy is wrong (a record added or deleted at one provider only, a failed sync, or a hijack) and make every provider serve the same zone; automate the sync so that no provider is edited by hand",
     vx__chk_zone_differs},
    {"CANDIDATE-DIFFERS", "consistency", VX__SEV_ERROR,
     "an undelegated audit (--ns): a candidate server answers a question differently from the live delegation",
     "make the new provider's copy of the zone equal to the live one (a record missing or changed at the candidate, other TTLs) before the delegation at the registrar is changed to include it",
     vx__chk_candidate_differs},
    /* diversity */
    {"NS-SINGLE-PROVIDER", "diversity", VX__SEV_ERROR,
     "every NS name sits under one registrable domain (one DNS operator)",
     "add a second DNS operator that shares no infrastructure with the first, and list its servers in the delegation at the registrar",
     vx__chk_ns_single_provider},
    {"NS-SINGLE-PREFIX", "diversity", VX__SEV_WARNING,
     "every name-server address in one /24 (IPv6: one /48)",
     "add name servers in other networks, so that one routing incident cannot take every server away",
     vx__chk_ns_single_prefix},
    {"NS-SINGLE-ASN", "diversity", VX__SEV_WARNING,
     "every name-server address in one origin AS",
     "add name servers announced by another network operator (another AS)",
     vx__chk_ns_single_asn},
    {"NS-SINGLE-TLD", "diversity", VX__SEV_NOTICE,
     "every NS name under one TLD",
     "use at least one name server whose host name is under another TLD, so a failure of one TLD's servers cannot hide all of them",
     vx__chk_ns_single_tld},
    {"SERVICE-SINGLE-DOMAIN", "diversity", VX__SEV_NOTICE,
     "no alternate SIP domain under another TLD",
     "configure phones with a second SIP domain under another TLD and another DNS operator, leading to the same SIP servers",
     vx__chk_service_single_domain},
    {"SERVICE-ALT-DOMAIN-MISMATCH", "diversity", VX__SEV_ERROR,
     "an alternate SIP domain leads to other SIP servers than the main one",
     "make the alternate domain's NAPTR/SRV records lead to the same SIP servers, ports and transports as the main domain's",
     vx__chk_service_alt_domain_mismatch},
    {"SIP-TARGETS-SINGLE-PREFIX", "diversity", VX__SEV_WARNING,
     "every SIP server address in one /24 (IPv6: one /48)",
     "add a SIP server in another network and list it in the SRV records",
     vx__chk_sip_targets_single_prefix},
    {"SIP-TARGETS-SINGLE-ASN", "diversity", VX__SEV_WARNING,
     "every SIP server address in one origin AS",
     "add a SIP server reached through another network operator (another AS) and list it in the SRV records",
     vx__chk_sip_targets_single_asn},
    /* sip */
    {"SIP-NO-RECORDS", "sip", VX__SEV_ERROR,
     "no NAPTR, no SIP SRV and no address at the domain",
     "publish SRV records for _sip._udp, _sip._tcp and _sips._tcp (and NAPTR records pointing to them) naming your SIP servers",
     vx__chk_sip_no_records},
    {"NAPTR-INCOMPLETE", "sip", VX__SEV_WARNING,
     "NAPTR present but SIP+D2U, SIP+D2T or SIPS+D2T missing",
     "publish a NAPTR record for each transport the service offers (SIP+D2U, SIP+D2T, SIPS+D2T): clients that find NAPTR use only what it lists",
     vx__chk_naptr_incomplete},
    {"NAPTR-INVALID", "sip", VX__SEV_ERROR,
     "a SIP NAPTR with a flag other than \"s\", a regexp, or a replacement that is not an SRV name",
     "write SIP NAPTR records as ORDER PREF \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com. (flag s, empty regexp, an SRV name as replacement)",
     vx__chk_naptr_invalid},
    {"NAPTR-DANGLING", "sip", VX__SEV_ERROR,
     "a SIP NAPTR whose replacement has no SRV records",
     "publish the SRV records the NAPTR points to, or remove the NAPTR record",
     vx__chk_naptr_dangling},
    {"SRV-MISSING-AT-DOMAIN", "sip", VX__SEV_WARNING,
     "NAPTR in use, but no SIP SRV at the domain itself",
     "also publish _sip._udp, _sip._tcp and _sips._tcp SRV records at the domain: many phones skip NAPTR and look there",
     vx__chk_srv_missing_at_domain},
    {"SRV-TARGET-NO-ADDRESS", "sip", VX__SEV_ERROR,
     "an SRV target has no A or AAAA record",
     "publish A/AAAA records for the SRV target, or correct the target name in the SRV record",
     vx__chk_srv_target_no_address},
    {"SRV-TARGET-CNAME", "sip", VX__SEV_ERROR,
     "an SRV target is an alias (CNAME)",
     "point the SRV record at the canonical host name (the CNAME's target), or replace the CNAME by A/AAAA records",
     vx__chk_srv_target_cname},
    {"SRV-TARGET-OUT-OF-DOMAIN", "sip", VX__SEV_WARNING,
     "an SRV target outside the SIP domain",
     "name the SIP servers inside the SIP domain (e.g. sip1.example.com as an A record or host), so clients with strict domain matching accept them",
     vx__chk_srv_target_out_of_domain},
    {"SRV-SINGLE-TARGET", "sip", VX__SEV_WARNING,
     "every SRV record of a service leads to one host or one address",
     "add a second SIP server on another address to the SRV RRset (equal priority to share load, higher priority as a standby)",
     vx__chk_srv_single_target},
    {"SRV-PORT-UNUSUAL", "sip", VX__SEV_NOTICE,
     "a TLS service on port 5060 or a plain one on 5061",
     "check the SRV port: SIP over TLS normally listens on 5061 and plain SIP on 5060",
     vx__chk_srv_port_unusual},
    {"SIP-TARGET-PRIVATE-ADDRESS", "sip", VX__SEV_WARNING,
     "a public SIP record resolves to a private, loopback, link-local, CGNAT or ULA address",
     "publish the public addresses of the SIP servers in public DNS; keep internal addresses in an internal view",
     vx__chk_sip_target_private_address},
    {"SIP-TARGET-INTERNAL-NAME", "sip", VX__SEV_WARNING,
     "a public record names a host under a non-public suffix",
     "name the SIP servers under a registered domain; keep internal host names (.local, .lan, .corp ...) out of public DNS",
     vx__chk_sip_target_internal_name},
    /* ttl */
    {"TTL-TOO-SHORT", "ttl", VX__SEV_WARNING,
     "an NS, NAPTR, SRV or SIP-target address record with a short TTL",
     "raise the TTL to at least an hour; lower it only ahead of a planned change",
     vx__chk_ttl_too_short},
    {"TTL-TOO-LONG", "ttl", VX__SEV_NOTICE,
     "a record of the SIP chain with a TTL above a day",
     "lower the TTL to a few hours so that a planned move of the SIP servers takes effect the same day",
     vx__chk_ttl_too_long},
    /* dnssec */
    {"DNSSEC-UNSIGNED", "dnssec", VX__SEV_NOTICE,
     "no DS at the parent: the zone is unsigned",
     "sign the zone (your DNS operators can do it) and publish the DS record at the registrar, so forged SIP records are rejected by validating resolvers",
     vx__chk_dnssec_unsigned},
    {"DNSSEC-BOGUS", "dnssec", VX__SEV_CRITICAL,
     "a DS that matches no DNSKEY, or a SIP-chain signature that does not verify or has expired",
     "re-sign the zone now and check the DS at the registrar matches a current key: validating resolvers return SERVFAIL for the SIP records",
     vx__chk_dnssec_bogus},
    {"DNSSEC-RRSIG-EXPIRING", "dnssec", VX__SEV_WARNING,
     "a SIP-chain signature expires soon",
     "check that automatic re-signing runs on the signer (and that secondaries receive the re-signed zone) before the signatures expire",
     vx__chk_dnssec_rrsig_expiring},
    /* security */
    {"NS-OPEN-RECURSION", "security", VX__SEV_ERROR,
     "an authoritative address answers recursive queries for other names",
     "turn recursion off on the authoritative server (or restrict it to your own networks): open resolvers are used for amplification attacks and cache poisoning",
     vx__chk_ns_open_recursion},
    {"NS-AXFR-OPEN", "security", VX__SEV_WARNING,
     "an authoritative address hands out the whole zone by AXFR",
     "allow zone transfers only to your secondaries' addresses, ideally with a TSIG key",
     vx__chk_ns_axfr_open},
    {"NS-VERSION-DISCLOSED", "security", VX__SEV_NOTICE,
     "version.bind reveals software and version",
     "hide the version string (BIND: version \"none\"; NSD: hide-version: yes; Knot: version: \"\")",
     vx__chk_ns_version_disclosed},
    {"NS-EDNS-BROKEN", "security", VX__SEV_WARNING,
     "an address mishandles EDNS0",
     "update the server software, or fix the firewall/load balancer that drops or rewrites DNS packets with an OPT record",
     vx__chk_ns_edns_broken},
    /* profiles */
    {"LYNC-RECORD-MISSING", "profiles", VX__SEV_ERROR,
     "a record that Lync/Skype/Teams automatic configuration looks for is absent or wrong",
     "publish the records the clients look for (_sipinternaltls._tcp, _sipfederationtls._tcp, _sip._tls SRV; lyncdiscover and sip) with the values your platform documents",
     vx__chk_lync_record_missing},
    {"LYNC-STRICT-NAME", "profiles", VX__SEV_ERROR,
     "a sign-in SRV target is neither the SIP domain nor under it",
     "point the sign-in SRV records at a host name inside the SIP domain: Lync/Skype clients refuse targets outside it",
     vx__chk_lync_strict_name},
    /* hijack surface */
    {"CAA-MISSING", "hijack", VX__SEV_NOTICE,
     "no CAA record at the SIP domain (or above it): any CA may issue its certificates",
     "publish a CAA record at the SIP domain naming the certificate authorities you use (e.g. example.com. CAA 0 issue \"letsencrypt.org\", one record per CA, plus iodef for reports)",
     vx__chk_caa_missing},
    /* endpoints */
    {"SIP-OPTIONS-NO-ANSWER", "endpoints", VX__SEV_ERROR,
     "a SIP server gives no answer to OPTIONS over one transport",
     "check that the SIP server runs and listens on this address, port and transport, and that firewalls let SIP through; or remove the address from DNS so that clients stop trying it",
     vx__chk_sip_options_no_answer},
    {"SIP-OPTIONS-ERROR", "endpoints", VX__SEV_WARNING,
     "a SIP server answers OPTIONS with a 5xx or 6xx response",
     "look at the SIP server's state (overload, maintenance, a back end it depends on) and its logs; take it out of the SRV records while it cannot serve",
     vx__chk_sip_options_error},
    {"SIP-TARGETS-ALL-DOWN", "endpoints", VX__SEV_CRITICAL,
     "no SIP server of the domain answers OPTIONS on any transport",
     "bring at least one SIP server back, or point the SRV/A records at servers that run: every client of the domain fails now",
     vx__chk_sip_targets_all_down},
    {"TLS-HANDSHAKE-FAILED", "endpoints", VX__SEV_ERROR,
     "no TLS session with a TLS target (refused, reset, no common protocol, TLS below 1.2 only)",
     "listen for TLS on the advertised port with TLS 1.2 or newer enabled (and a certificate), or stop advertising SIPS/TLS for this target",
     vx__chk_tls_handshake_failed},
    {"TLS-CERT-UNTRUSTED", "endpoints", VX__SEV_ERROR,
     "a TLS target's certificate chain does not verify against the trust store",
     "install a certificate from a CA the clients trust and send the intermediate certificates with it",
     vx__chk_tls_cert_untrusted},
    {"TLS-CERT-NAME-MISMATCH", "endpoints", VX__SEV_ERROR,
     "a TLS target's certificate does not name the SIP domain (RFC 5922)",
     "issue the certificate with a subjectAltName URI sip:DOMAIN (or a dNSName equal to the SIP domain itself, not only the host name or a wildcard)",
     vx__chk_tls_cert_name_mismatch},
    {"TLS-CERT-EXPIRING", "endpoints", VX__SEV_WARNING,
     "a TLS target's certificate expires within 21 days",
     "renew the certificate now and install it on every SIP server that presents it",
     vx__chk_tls_cert_expiring},
    {"TLS-CERT-EXPIRED", "endpoints", VX__SEV_CRITICAL,
     "a TLS target's certificate has expired (or is not valid yet)",
     "install a valid certificate at once: TLS clients refuse this server",
     vx__chk_tls_cert_expired},
};
/* clang-format on */

#define REGISTRY_COUNT (sizeof registry / sizeof registry[0])

typedef struct check_note {
    const char *id;
    const char *profiles;
    const char *notes;
} check_note;

/* Only the checks with something to say; see docs/checks-judgement.md for the reasoning. */
static const check_note notes[] = {
    {"DELEGATION-MISSING", NULL,
     "Not raised by an undelegated audit (--ns): the zone is judged as if delegated to the "
     "servers given."},
    {"NS-COUNT-LOW", NULL,
     "Counts the names of the parent's NS set (the one every resolver starts with), the zone's "
     "own when the parent's is unknown, and their addresses. With --ns, the names given."},
    {"NS-SET-MISMATCH", NULL,
     "With --ns the NS set given stands for the parent's: the zone's own NS set must list the "
     "servers it is about to be delegated to; the live parent's set is not compared."},
    {"NS-NAME-UNRESOLVABLE", NULL,
     "Judged from the iterative resolution of each NS name; a lookup that timed out proves "
     "nothing and is not reported."},
    {"ALL-NS-UNREACHABLE", NULL,
     "When it fires, NS-UNREACHABLE is not repeated for every address."},
    {"NS-UNREACHABLE", NULL,
     "A dead address produces no other finding (lame, TCP, EDNS, consistency, security)."},
    {"NS-LAME", NULL,
     "Judged from the SOA of the domain over UDP; when that failed for EDNS reasons "
     "(FORMERR/NOTIMP, timeout) the SOA without EDNS decides."},
    {"RRSET-INCONSISTENT", NULL,
     "Compares every name and type asked of every authoritative address, except SOA (see "
     "SOA-SERIAL-MISMATCH) and signatures (they differ legitimately between signers and "
     "re-signing runs). Dead and lame addresses are left out."},
    {"SOA-SERIAL-MISMATCH", NULL,
     "Under dual primaries (declared with --dual-primary, or inferred when every provider "
     "serves one serial and the providers' serials follow different schemes: date, Unix time, "
     "counter) serials are compared within each provider only; the data is still compared "
     "across all."},
    {"ZONE-DIFFERS", NULL,
     "Needs whole copies: one server per provider is asked for AXFR (with the provider's TSIG "
     "key, --tsig, or --axfr for open transfers). Every RRset is compared, TTL included, except "
     "SOA, RRSIG, NSEC, NSEC3 and NSEC3PARAM. Copies that could not be transferred take no "
     "part; with fewer than two copies nothing is compared."},
    {"CANDIDATE-DIFFERS", NULL,
     "Runs only with --ns, when the domain has a live delegation: every question the audit asked "
     "of both server sets (the SIP chain, apex MX and addresses, CAA, ACME TXT) is compared, "
     "each candidate server's authoritative answer against the live servers' consensus, TTL "
     "included; SOA, NS, DNSKEY, DS and signatures legitimately differ and are left out. A "
     "candidate server that does not answer, or not authoritatively, is not compared (NS-LAME and "
     "NS-UNREACHABLE say why). With --tsig/--axfr the whole zones are compared too, by "
     "ZONE-DIFFERS."},
    {"SOA-TIMERS", NULL,
     "Fires for expire below 7 days, refresh outside 1200-86400 s, retry below 120 s or not "
     "below refresh."},
    {"NS-SINGLE-PROVIDER", NULL,
     "Vanity NS names (ns1.example.com run by two operators) look like one provider; "
     "NS-SINGLE-ASN and NS-SINGLE-PREFIX tell the difference."},
    {"NS-SINGLE-PREFIX", NULL,
     "Fires when every address family present sits in one prefix (IPv4 /24, IPv6 /48)."},
    {"NS-SINGLE-ASN", NULL,
     "Needs an ASN database; addresses the database does not cover are not counted, and the "
     "check stays silent unless every address is covered."},
    {"SERVICE-ALT-DOMAIN-MISMATCH", NULL,
     "Compares the set of (transport, port, address) the SRV targets of each domain lead to."},
    {"SIP-NO-RECORDS", NULL,
     "The domain's own A/AAAA count only when the snapshot holds them; under the enum profile "
     "an E2U+sip NAPTR counts as a record."},
    {"SRV-TARGET-OUT-OF-DOMAIN", "all (error under lync)",
     "Under the teams profile Microsoft 365 targets (*.lync.com) are expected and not "
     "reported."},
    {"SRV-SINGLE-TARGET", NULL,
     "Per SRV RRset; a target \".\" (service not offered) is ignored. One host with several "
     "addresses still fires: SRV failover between hosts is what clients implement reliably."},
    {"TTL-TOO-SHORT", NULL, "NS TTLs are checked both at the parent (referral) and in the zone."},
    {"DNSSEC-BOGUS", NULL,
     "The DNSKEY RRset must be signed by a key the DS matches; NAPTR, SRV and target address "
     "RRsets inside the zone must carry a signature that verifies with the zone's keys."},
    {"NS-EDNS-BROKEN", NULL,
     "FORMERR/NOTIMP to the EDNS SOA, a response without OPT, or every EDNS question timing "
     "out while the question without EDNS is answered."},
    {"LYNC-RECORD-MISSING", "lync, teams",
     "Under teams, each Microsoft 365 record must also have the documented value."},
    {"LYNC-STRICT-NAME", "lync", NULL},
    {"CAA-MISSING", NULL,
     "Judged from the authoritative answers for CAA at the domain, and CAA looked up above it "
     "up to the registrable domain; servers that did not answer prove nothing."},
    {"SIP-OPTIONS-NO-ANSWER", NULL,
     "Every (transport, target, port, address) tuple the RFC 3263 chain yields (every path: "
     "each usable NAPTR record, the default SRV names) gets OPTIONS; UDP retransmits per "
     "Timer A, and a silent tuple is given up after 3 s. A TLS tuple whose TCP connection is "
     "refused or whose handshake fails is TLS-HANDSHAKE-FAILED instead. SCTP and internal "
     "addresses are not probed."},
    {"SIP-OPTIONS-ERROR", NULL,
     "A 5xx or 6xx is an answer: the server is up but refuses service. 4xx (405, 403 ...) "
     "mean the server does not allow OPTIONS, which says nothing about its health."},
    {"SIP-TARGETS-ALL-DOWN", NULL,
     "Fires when at least one tuple was probed and none gave any SIP response."},
    {"TLS-CERT-UNTRUSTED", NULL,
     "Verified against the system trust store plus --ca-file. An out-of-date leaf is "
     "TLS-CERT-EXPIRED's finding, not this one's."},
    {"TLS-CERT-NAME-MISMATCH", NULL,
     "RFC 5922 section 7: SAN URIs sip:DOMAIN first (when the certificate has any SIP URI, only "
     "they count), else SAN dNSNames, the subject CN only when there is no SAN; matched against "
     "the SIP domain, never the SRV target host; wildcards never match."},
};

const vx__check_def *vx__check_registry(size_t *count)
{
    if (count)
        *count = REGISTRY_COUNT;
    return registry;
}

const vx__check_def *vx__check_find(const char *id)
{
    for (size_t i = 0; id && i < REGISTRY_COUNT; i++)
        if (strcmp(registry[i].id, id) == 0)
            return &registry[i];
    return NULL;
}

static const check_note *note_of(const char *id)
{
    for (size_t i = 0; id && i < sizeof notes / sizeof notes[0]; i++)
        if (strcmp(notes[i].id, id) == 0)
            return &notes[i];
    return NULL;
}

const char *vx__check_notes(const char *id)
{
    const check_note *n = note_of(id);
    return n ? n->notes : NULL;
}

const char *vx__check_profiles(const char *id)
{
    const check_note *n = note_of(id);
    return n && n->profiles ? n->profiles : "all";
}

size_t vx__area_rank(const char *area)
{
    static const char *const areas[] = {"delegation", "availability", "consistency", "diversity",
                                        "sip",        "ttl",          "dnssec",      "security",
                                        "profiles",   "hijack",       "endpoints"};
    for (size_t i = 0; area && i < sizeof areas / sizeof areas[0]; i++)
        if (strcmp(areas[i], area) == 0)
            return i;
    return sizeof areas / sizeof areas[0];
}

bool vx__profile_known(const char *profile)
{
    static const char *const known[] = {"generic", "lync", "teams", "enum"};
    for (size_t i = 0; profile && i < 4; i++)
        if (strcmp(known[i], profile) == 0)
            return true;
    return false;
}

/* generic and enum keep every default (enum only changes what SIP-NO-RECORDS counts); lync
 * makes an out-of-domain SRV target an error, as the clients refuse it. The profile checks
 * (LYNC-*) keep their own severity and decide themselves whether they run. */
vx__severity vx__check_severity(const vx__check_def *def, const char *profile)
{
    if (!def)
        return VX__SEV_INFO;
    if (profile && strcmp(profile, "lync") == 0 && strcmp(def->id, "SRV-TARGET-OUT-OF-DOMAIN") == 0)
        return VX__SEV_ERROR;
    return def->severity;
}

void vx__check_config_default(vx__check_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = "generic";
    cfg->slow_ms = 500;
    cfg->ttl_min = 300;
    cfg->ttl_max = DAY;
    cfg->soa_expire_min = 7 * DAY;
    cfg->rrsig_warn_s = 7 * DAY;
    cfg->cert_warn_s = 21 * DAY;
}
