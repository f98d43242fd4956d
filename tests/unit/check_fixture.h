/*
 * tests/unit/check_fixture.h — hand-built snapshots for the check tests, header-only and
 * independent of model/snapshot.c: snapshots are filled field by field and freed here.
 *
 * fx_healthy() is a healthy SIP domain (example.com, two DNS operators under two TLDs, four
 * addresses in four prefixes, NAPTR → three SRV names → two SIP servers in two prefixes, TTLs
 * of an hour); each test breaks one thing and looks for the one finding that must appear.
 * Answers come from a "zone" (NULL-terminated zone-file lines) the way an authoritative server
 * would give them: the RRset, CNAMEs followed once, RRSIGs covering the type, NODATA or
 * NXDOMAIN with the SOA otherwise.
 */
#ifndef VX_TESTS_CHECK_FIXTURE_H
#define VX_TESTS_CHECK_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/check.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/name.h"
#include "wire/reader.h"
#include "wire/rrset.h"

#define FX_D "example.com."

static const char *const FX_ZONE[] = {
    "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. 2024010101 7200 3600 "
    "1209600 3600",
    "example.com. 3600 IN NS ns1.dns-a.net.",
    "example.com. 3600 IN NS ns2.dns-b.org.",
    "example.com. 3600 IN NAPTR 10 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    "example.com. 3600 IN NAPTR 20 10 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.com.",
    "example.com. 3600 IN NAPTR 30 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    "_sips._tcp.example.com. 3600 IN SRV 10 50 5061 sip1.example.com.",
    "_sips._tcp.example.com. 3600 IN SRV 10 50 5061 sip2.example.com.",
    "_sip._tcp.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sip._tcp.example.com. 3600 IN SRV 10 50 5060 sip2.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 10 50 5060 sip2.example.com.",
    "sip1.example.com. 3600 IN A 192.0.2.10",
    "sip2.example.com. 3600 IN A 198.51.100.10",
    NULL,
};

static const char *const FX_SERVERS[][2] = {
    {"ns1.dns-a.net.", "192.0.2.1"},
    {"ns1.dns-a.net.", "2001:db8:a::1"},
    {"ns2.dns-b.org.", "198.51.100.1"},
    {"ns2.dns-b.org.", "2001:db8:b::1"},
};
#define FX_SERVER_COUNT 4

/* ---- allocation ------------------------------------------------------------------------------ */

static inline char *fx_strdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    assert_true(!s || d);
    return d;
}

static inline void fx_addr(const char *text, struct sockaddr_storage *out)
{
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 53, out, &len), VX_OK);
}

static inline vx__snapshot *fx_new(const char *domain, const char *profile)
{
    vx__snapshot *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->domain = fx_strdup(domain);
    s->profile = fx_strdup(profile);
    s->delegation_status = VX_OK;
    s->parent_zone = fx_strdup("com.");
    s->started_ms = 1700000000000ull;
    return s;
}

static inline void fx_obs_clear_sections(vx__observation *o)
{
    for (int k = 0; k < 3; k++) {
        vx__rrsets_free(o->sections[k], o->section_count[k]);
        o->sections[k] = NULL;
        o->section_count[k] = 0;
    }
}

static inline void fx_servers_free(vx__server *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
}

static inline void fx_free(vx__snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->obs_count; i++) {
        fx_obs_clear_sections(&s->obs[i]);
        free(s->obs[i].server);
        free(s->obs[i].qname);
        free(s->obs[i].nsid);
    }
    free(s->obs);
    fx_servers_free(s->servers, s->server_count);
    fx_servers_free(s->parent_servers, s->parent_server_count);
    for (size_t i = 0; i < s->alt_count; i++)
        fx_free(s->alt[i]);
    free(s->alt);
    vx__zone_copies_free(s->zones, s->zone_count);
    for (size_t i = 0; i < s->endpoint_count; i++)
        vx__endpoint_clear(&s->endpoints[i]);
    free(s->endpoints);
    for (size_t i = 0; i < s->ns_given_count; i++)
        free(s->ns_given[i].name);
    free(s->ns_given);
    fx_free(s->live);
    free(s->domain);
    free(s->profile);
    free(s->parent_zone);
    free(s->delegation_error);
    free(s);
}

static inline void fx_server_add(vx__server **list, size_t *n, const char *name, const char *addr)
{
    vx__server *l = realloc(*list, (*n + 1) * sizeof *l);
    assert_non_null(l);
    *list = l;
    memset(&l[*n], 0, sizeof l[*n]);
    l[*n].name = fx_strdup(name);
    fx_addr(addr, &l[*n].addr);
    (*n)++;
}

static inline void fx_server(vx__snapshot *s, const char *name, const char *addr)
{
    fx_server_add(&s->servers, &s->server_count, name, addr);
}

/* A new observation with a positive authoritative response (status OK, NOERROR, QR|AA, OPT,
 * 20 ms). Pointers into s->obs move when the next one is added. */
static inline vx__observation *fx_obs(vx__snapshot *s, vx__probe_kind kind, const char *server,
                                      const char *addr, vx__transport tr, const char *qname,
                                      uint16_t qtype)
{
    vx__observation *l = realloc(s->obs, (s->obs_count + 1) * sizeof *l);
    assert_non_null(l);
    s->obs = l;
    vx__observation *o = &l[s->obs_count++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->server = fx_strdup(server);
    fx_addr(addr, &o->addr);
    o->transport = tr;
    o->qname = fx_strdup(qname);
    o->qtype = qtype;
    o->qclass = qtype == LDNS_RR_TYPE_TXT && kind == VX__PROBE_VERSION ? 3 : 1;
    o->status = VX_OK;
    o->flags = VX__FLAG_QR | VX__FLAG_AA;
    o->has_opt = true;
    o->rtt_ms = 20;
    o->attempts = 1;
    o->time_ms = s->started_ms;
    return o;
}

/* ---- records -----------------------------------------------------------------------------------
 */

static inline ldns_rr *fx_rr(const char *line)
{
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
    return rr;
}

static inline int fx_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds one record to a section, merging it into the RRset of the same owner and type. */
static inline void fx_add(vx__observation *o, int section, const char *line)
{
    ldns_rr_list *list = ldns_rr_list_new();
    ldns_rr_list_push_rr(list, fx_rr(line));
    vx__rrset *one = NULL;
    assert_int_equal(
        vx__rrset_from_list(list, NULL, (uint16_t)ldns_rr_get_type(ldns_rr_list_rr(list, 0)), &one),
        VX_OK);
    ldns_rr_list_deep_free(list);
    for (size_t i = 0; i < o->section_count[section]; i++) {
        vx__rrset *set = o->sections[section][i];
        if (set->type != one->type || strcmp(set->owner, one->owner) != 0)
            continue;
        for (size_t k = 0; k < set->count; k++) {
            if (strcmp(set->rdata[k], one->rdata[0]) == 0) {
                vx__rrset_free(one);
                return;
            }
        }
        char **r = realloc(set->rdata, (set->count + 1) * sizeof *r);
        assert_non_null(r);
        set->rdata = r;
        r[set->count++] = fx_strdup(one->rdata[0]);
        qsort(set->rdata, set->count, sizeof *set->rdata, fx_cmp_str);
        set->ttl = one->ttl < set->ttl ? one->ttl : set->ttl;
        vx__rrset_free(one);
        return;
    }
    vx__rrset **sets =
        realloc(o->sections[section], (o->section_count[section] + 1) * sizeof *sets);
    assert_non_null(sets);
    o->sections[section] = sets;
    sets[o->section_count[section]++] = one;
}

/* ---- answering from a zone --------------------------------------------------------------------
 */

static inline bool fx_owner_is(const ldns_rr *rr, const char *name)
{
    char *o = ldns_rdf2str(ldns_rr_owner(rr));
    bool eq = o && vx__name_is_subdomain(o, name) && vx__name_is_subdomain(name, o);
    free(o);
    return eq;
}

static inline bool fx_covers(const ldns_rr *rr, uint16_t qtype)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
           ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == qtype;
}

/* Adds the records of zone at name that answer qtype; returns how many and the CNAME target. */
static inline size_t fx_answer_at(vx__observation *o, const char *const *zone, const char *name,
                                  uint16_t qtype, char *cname, size_t cap, bool *exists)
{
    size_t n = 0;
    for (size_t i = 0; zone[i]; i++) {
        ldns_rr *rr = fx_rr(zone[i]);
        uint16_t t = (uint16_t)ldns_rr_get_type(rr);
        if (fx_owner_is(rr, name)) {
            *exists = true;
            if (t == qtype || fx_covers(rr, qtype) ||
                (t == LDNS_RR_TYPE_CNAME && qtype != LDNS_RR_TYPE_CNAME)) {
                fx_add(o, VX__SECTION_ANSWER, zone[i]);
                n++;
            }
            if (t == LDNS_RR_TYPE_CNAME && qtype != LDNS_RR_TYPE_CNAME) {
                char *target = ldns_rdf2str(ldns_rr_rdf(rr, 0));
                snprintf(cname, cap, "%s", target);
                free(target);
            }
        }
        ldns_rr_free(rr);
    }
    return n;
}

static inline void fx_answer_from(vx__observation *o, const char *const *zone)
{
    char cname[256] = "";
    bool exists = false;
    size_t n = fx_answer_at(o, zone, o->qname, o->qtype, cname, sizeof cname, &exists);
    if (cname[0]) {
        bool e2 = false;
        char c2[256] = "";
        n += fx_answer_at(o, zone, cname, o->qtype, c2, sizeof c2, &e2);
    }
    if (n > 0)
        return;
    if (!exists)
        o->rcode = 3; /* NXDOMAIN */
    for (size_t i = 0; zone[i]; i++) {
        ldns_rr *rr = fx_rr(zone[i]);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
            fx_add(o, VX__SECTION_AUTHORITY, zone[i]);
        ldns_rr_free(rr);
    }
}

/* A DATA question to one server, answered from zone. */
static inline vx__observation *fx_data(vx__snapshot *s, size_t server, vx__transport tr,
                                       const char *qname, uint16_t qtype, const char *const *zone)
{
    char addr[VX__ADDR_TEXT_MAX];
    vx__addr_format((const struct sockaddr *)&s->servers[server].addr, addr, sizeof addr);
    vx__observation *o = fx_obs(s, VX__PROBE_DATA, s->servers[server].name, addr, tr, qname, qtype);
    fx_answer_from(o, zone);
    return o;
}

/* Every phase-2 question (docs/audit-probes.md) to one server, answered from zone. */
static inline void fx_server_probes(vx__snapshot *s, size_t server, const char *const *zone)
{
    static const char *const srv[] = {"_sip._udp.", "_sip._tcp.", "_sips._tcp."};
    static const char *const ms_srv[] = {"_sipinternaltls._tcp.", "_sipfederationtls._tcp.",
                                         "_sip._tls."};
    static const char *const hosts[] = {"sip1.", "sip2."};
    char name[256], addr[VX__ADDR_TEXT_MAX];
    const char *d = s->domain, *ns = s->servers[server].name;
    fx_data(s, server, VX__UDP, d, LDNS_RR_TYPE_SOA, zone);
    fx_data(s, server, VX__TCP, d, LDNS_RR_TYPE_SOA, zone);
    fx_data(s, server, VX__UDP, d, LDNS_RR_TYPE_NS, zone);
    fx_data(s, server, VX__UDP, d, LDNS_RR_TYPE_NAPTR, zone);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", srv[i], d);
        fx_data(s, server, VX__UDP, name, LDNS_RR_TYPE_SRV, zone);
    }
    bool ms = strcmp(s->profile, "lync") == 0 || strcmp(s->profile, "teams") == 0;
    for (int i = 0; ms && i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", ms_srv[i], d);
        fx_data(s, server, VX__UDP, name, LDNS_RR_TYPE_SRV, zone);
    }
    for (int i = 0; ms && i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", i ? "sip." : "lyncdiscover.", d);
        fx_data(s, server, VX__UDP, name, LDNS_RR_TYPE_A, zone);
    }
    fx_data(s, server, VX__UDP, d, LDNS_RR_TYPE_DNSKEY, zone);
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", hosts[i], d);
        fx_data(s, server, VX__UDP, name, LDNS_RR_TYPE_A, zone);
        fx_data(s, server, VX__UDP, name, LDNS_RR_TYPE_AAAA, zone);
    }
    vx__addr_format((const struct sockaddr *)&s->servers[server].addr, addr, sizeof addr);
    vx__observation *o = fx_obs(s, VX__PROBE_NOEDNS, ns, addr, VX__UDP, d, LDNS_RR_TYPE_SOA);
    o->has_opt = false;
    fx_answer_from(o, zone);
    o = fx_obs(s, VX__PROBE_RECURSION, ns, addr, VX__UDP, ".", LDNS_RR_TYPE_NS);
    o->rcode = 5;
    o->flags = VX__FLAG_QR | VX__FLAG_RD;
    o = fx_obs(s, VX__PROBE_AXFR, ns, addr, VX__TCP, d, LDNS_RR_TYPE_AXFR);
    o->rcode = 5;
    o = fx_obs(s, VX__PROBE_VERSION, ns, addr, VX__TCP, "version.bind.", LDNS_RR_TYPE_TXT);
    o->rcode = 5;
}

/* The delegation part: parent referral, DS (none), NS-name resolution. */
static inline void fx_delegation(vx__snapshot *s, const char *const *ns_lines,
                                 const char *const *ns_addr_lines)
{
    fx_server_add(&s->parent_servers, &s->parent_server_count, "a.gtld-servers.net.",
                  "203.0.113.53");
    vx__observation *o = fx_obs(s, VX__PROBE_PARENT, "a.gtld-servers.net.", "203.0.113.53", VX__UDP,
                                s->domain, LDNS_RR_TYPE_NS);
    o->flags = VX__FLAG_QR;
    for (size_t i = 0; ns_lines[i]; i++)
        fx_add(o, VX__SECTION_AUTHORITY, ns_lines[i]);
    o = fx_obs(s, VX__PROBE_DS, "a.gtld-servers.net.", "203.0.113.53", VX__UDP, s->domain,
               LDNS_RR_TYPE_DS);
    fx_add(o, VX__SECTION_AUTHORITY,
           "com. 900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. "
           "1 1800 900 604800 86400");
    /* One RESOLVE per NS name and type, answered from the address lines. */
    for (size_t i = 0; ns_lines[i]; i++) {
        ldns_rr *rr = fx_rr(ns_lines[i]);
        char *name = ldns_rdf2str(ldns_rr_rdf(rr, 0));
        for (int t = 0; t < 2; t++) {
            uint16_t type = t ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A;
            vx__observation *r =
                fx_obs(s, VX__PROBE_RESOLVE, name, "203.0.113.99", VX__UDP, name, type);
            fx_answer_from(r, ns_addr_lines);
        }
        free(name);
        ldns_rr_free(rr);
    }
}

static const char *const FX_NS[] = {
    "example.com. 172800 IN NS ns1.dns-a.net.",
    "example.com. 172800 IN NS ns2.dns-b.org.",
    NULL,
};

static const char *const FX_NS_ADDRS[] = {
    "dns-a.net. 3600 IN SOA a.dns-a.net. h.dns-a.net. 1 7200 3600 1209600 3600",
    "ns1.dns-a.net. 3600 IN A 192.0.2.1",
    "ns1.dns-a.net. 3600 IN AAAA 2001:db8:a::1",
    "ns2.dns-b.org. 3600 IN A 198.51.100.1",
    "ns2.dns-b.org. 3600 IN AAAA 2001:db8:b::1",
    NULL,
};

/* A healthy domain answered from zone by every server. */
static inline vx__snapshot *fx_healthy_zone(const char *profile, const char *const *zone)
{
    vx__snapshot *s = fx_new(FX_D, profile);
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server(s, FX_SERVERS[i][0], FX_SERVERS[i][1]);
    fx_delegation(s, FX_NS, FX_NS_ADDRS);
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server_probes(s, i, zone);
    return s;
}

/* The same with its own zone per server (FX_SERVERS order). */
static inline vx__snapshot *fx_healthy_zones(const char *profile, const char *const *const *zones)
{
    vx__snapshot *s = fx_new(FX_D, profile);
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server(s, FX_SERVERS[i][0], FX_SERVERS[i][1]);
    fx_delegation(s, FX_NS, FX_NS_ADDRS);
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server_probes(s, i, zones[i]);
    return s;
}

static inline vx__snapshot *fx_healthy(void)
{
    return fx_healthy_zone("generic", FX_ZONE);
}

/* A zone: base with lines replaced (by owner+type of the first replacement line) or added.
 * Returns a NULL-terminated array that fx_zone_free releases. */
static inline const char **fx_zone_edit(const char *const *base, const char *drop_owner,
                                        uint16_t drop_type, const char *const *add)
{
    size_t n = 0, a = 0;
    while (base[n])
        n++;
    while (add && add[a])
        a++;
    const char **z = calloc(n + a + 1, sizeof *z);
    assert_non_null(z);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = fx_rr(base[i]);
        bool drop = drop_owner && fx_owner_is(rr, drop_owner) &&
                    (drop_type == 0 || ldns_rr_get_type(rr) == drop_type);
        ldns_rr_free(rr);
        if (!drop)
            z[k++] = base[i];
    }
    for (size_t i = 0; i < a; i++)
        z[k++] = add[i];
    return z;
}

static inline void fx_zone_free(const char **z)
{
    free(z);
}

/* ---- editing a snapshot ------------------------------------------------------------------------
 */

/* The first observation matching (address text or NULL, kind, transport, qname, qtype). */
static inline vx__observation *fx_find(vx__snapshot *s, const char *addr, vx__probe_kind kind,
                                       vx__transport tr, const char *qname, uint16_t qtype)
{
    struct sockaddr_storage a;
    if (addr)
        fx_addr(addr, &a);
    for (size_t i = 0; i < s->obs_count; i++) {
        vx__observation *o = &s->obs[i];
        if (o->kind == kind && o->transport == tr && o->qtype == qtype &&
            (!qname || strcmp(o->qname, qname) == 0) &&
            (!addr || vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&o->addr)))
            return o;
    }
    fail_msg("no observation %s %s", qname ? qname : "*", addr ? addr : "*");
    return NULL;
}

/* Every question to addr timed out (the first) or was skipped (the rest). */
static inline void fx_kill(vx__snapshot *s, const char *addr)
{
    struct sockaddr_storage a;
    fx_addr(addr, &a);
    bool first = true;
    for (size_t i = 0; i < s->obs_count; i++) {
        vx__observation *o = &s->obs[i];
        if (o->kind == VX__PROBE_PARENT || o->kind == VX__PROBE_DS ||
            o->kind == VX__PROBE_RESOLVE ||
            !vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&o->addr))
            continue;
        fx_obs_clear_sections(o);
        o->status = first ? VX_ETIMEDOUT : VX_ECANCELED;
        o->rcode = 0;
        o->flags = 0;
        first = false;
    }
}

/* Replaces an observation's answer by zone's. */
static inline void fx_reanswer(vx__observation *o, const char *const *zone)
{
    fx_obs_clear_sections(o);
    o->rcode = 0;
    fx_answer_from(o, zone);
}

/* ---- running and asserting ----------------------------------------------------------------------
 */

static inline void fx_run(const vx__snapshot *s, const char *profile, vx__findings *out)
{
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.profile = profile;
    cfg.now_s = 1700000000;
    memset(out, 0, sizeof *out);
    assert_int_equal(vx__run_checks(s, &cfg, out), VX_OK);
}

static inline size_t fx_count(const vx__findings *f, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        n += strcmp(f->items[i].check, id) == 0;
    return n;
}

/* The only finding with id (fails unless there is exactly one). */
static inline const vx__finding *fx_one(const vx__findings *f, const char *id)
{
    const vx__finding *found = NULL;
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->items[i].check, id) == 0) {
            if (found)
                fail_msg("%s found more than once: \"%s\" and \"%s\"", id, found->message,
                         f->items[i].message);
            found = &f->items[i];
        }
    }
    if (!found)
        fail_msg("%s not found", id);
    return found;
}

static inline bool fx_has_server(const vx__finding *f, const char *label)
{
    for (size_t i = 0; i < f->server_count; i++)
        if (strcmp(f->servers[i], label) == 0)
            return true;
    return false;
}

static inline bool fx_has_name(const vx__finding *f, const char *name)
{
    for (size_t i = 0; i < f->name_count; i++)
        if (strcmp(f->names[i], name) == 0)
            return true;
    return false;
}

static inline void fx_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* Prints every finding (a failing test shows them). */
static inline void fx_dump(const vx__findings *f)
{
    for (size_t i = 0; i < f->count; i++)
        print_message("  %s %s: %s\n", vx__severity_name(f->items[i].severity), f->items[i].check,
                      f->items[i].message);
}

/* The checks of the generic profile on s, dumped when VX_FIXTURE_DUMP is set. */
static inline vx__findings fx_run_generic(vx__snapshot *s)
{
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    return f;
}

#endif
