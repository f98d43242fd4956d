/*
 * check/sip_targets.c — owns the checks on SRV records and their targets (CHECKS.md "sip",
 * RFC 2782, RFC 3263 §4): targets without addresses, aliases, targets outside the domain, one
 * target per service, unusual ports, private addresses and internal names.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

#define MAX_ADDRS 32

/* Adds the SRV owners that name host h (and h itself) to f; the owners' text to sb. */
static void srv_owners_of(const vx__view *v, size_t h, vx__finding *f, vx__strbuf *sb)
{
    for (size_t i = 0; i < v->srv_count; i++) {
        if (v->srvs[i].host != h)
            continue;
        const char *owner = v->srvnames[v->srvs[i].name].owner;
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= v->srvs[j].host == h && v->srvs[j].name == v->srvs[i].name;
        if (seen)
            continue;
        char s[VX__NAME_TEXT_MAX];
        vx__name_show(owner, s, sizeof s);
        if (sb)
            vx__sb_item(sb, s);
        vx__finding_add_name(f, owner);
    }
    vx__finding_add_name(f, v->hosts[h].name);
}

typedef void (*host_fn)(const vx__view *v, size_t h, vx__findings *out);

static void each_host(const vx__snapshot *snap, const vx__check_config *cfg, host_fn fn,
                      vx__findings *out)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t h = 0; h < v.host_count; h++)
        fn(&v, h, out);
    vx__view_free(&v);
}

/* ---- SRV-TARGET-NO-ADDRESS ----------------------------------------------------------------- */

static void no_address(const vx__view *v, size_t h, vx__findings *out)
{
    const vx__cv_host *host = &v->hosts[h];
    if (host->a.set || host->aaaa.set)
        return;
    bool nx = (host->a.obs && host->a.rcode == VX__RCODE_NXDOMAIN) ||
              (host->aaaa.obs && host->aaaa.rcode == VX__RCODE_NXDOMAIN);
    if (!nx && !(vx__answer_conclusive(&host->a) && vx__answer_conclusive(&host->aaaa)))
        return; /* a lookup of ours that timed out proves nothing */
    char n[VX__NAME_TEXT_MAX];
    vx__name_show(host->name, n, sizeof n);
    vx__strbuf sb = {0};
    srv_owners_of(v, h, NULL, &sb);
    vx__finding *f = vx__finding_add(out, "SRV-TARGET-NO-ADDRESS",
                                     "the SRV target %s (of %s) has no A or AAAA (A: %s, AAAA: %s)",
                                     n, vx__sb_str(&sb), vx__answer_why_empty(&host->a),
                                     vx__answer_why_empty(&host->aaaa));
    srv_owners_of(v, h, f, NULL);
    vx__sb_free(&sb);
}

VX__CHECK_FN(vx__chk_srv_target_no_address)
{
    each_host(snap, cfg, no_address, out);
}

/* ---- SRV-TARGET-CNAME ----------------------------------------------------------------------- */

static void target_cname(const vx__view *v, size_t h, vx__findings *out)
{
    const vx__cv_host *host = &v->hosts[h];
    const vx__rrset *c = host->a.cname ? host->a.cname : host->aaaa.cname;
    if (!c || c->count == 0)
        return;
    char n[VX__NAME_TEXT_MAX], t[VX__NAME_TEXT_MAX];
    vx__name_show(host->name, n, sizeof n);
    vx__name_show(c->rdata[0], t, sizeof t);
    vx__strbuf sb = {0};
    srv_owners_of(v, h, NULL, &sb);
    vx__finding *f = vx__finding_add(out, "SRV-TARGET-CNAME",
                                     "the SRV target %s (of %s) is an alias (CNAME to %s)", n,
                                     vx__sb_str(&sb), t);
    srv_owners_of(v, h, f, NULL);
    vx__sb_free(&sb);
}

VX__CHECK_FN(vx__chk_srv_target_cname)
{
    each_host(snap, cfg, target_cname, out);
}

/* ---- SRV-TARGET-OUT-OF-DOMAIN --------------------------------------------------------------- */

/* Under the teams profile the Microsoft 365 targets are out of the domain by design. */
static void out_of_domain(const vx__view *v, size_t h, vx__findings *out)
{
    const char *name = v->hosts[h].name;
    if (vx__name_is_subdomain(name, v->snap->domain) ||
        (strcmp(v->profile, "teams") == 0 && vx__name_is_subdomain(name, "lync.com.")))
        return;
    char n[VX__NAME_TEXT_MAX], d[VX__NAME_TEXT_MAX];
    vx__name_show(name, n, sizeof n);
    vx__name_show(v->snap->domain, d, sizeof d);
    vx__strbuf sb = {0};
    srv_owners_of(v, h, NULL, &sb);
    vx__finding *f = vx__finding_add(out, "SRV-TARGET-OUT-OF-DOMAIN",
                                     "the SRV target %s (of %s) is outside the SIP domain %s", n,
                                     vx__sb_str(&sb), d);
    srv_owners_of(v, h, f, NULL);
    vx__sb_free(&sb);
}

VX__CHECK_FN(vx__chk_srv_target_out_of_domain)
{
    each_host(snap, cfg, out_of_domain, out);
}

/* ---- SRV-SINGLE-TARGET ---------------------------------------------------------------------- */

/* The distinct addresses of every target of SRV name s; returns the count (capped). */
static size_t name_addrs(const vx__view *v, size_t s, struct sockaddr_storage *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < v->srv_count; i++) {
        if (v->srvs[i].name != s)
            continue;
        struct sockaddr_storage a[MAX_ADDRS];
        size_t k = vx__host_addrs(&v->hosts[v->srvs[i].host], a, MAX_ADDRS);
        for (size_t j = 0; j < k && j < MAX_ADDRS && n < cap; j++) {
            bool dup = false;
            for (size_t x = 0; x < n; x++)
                dup |= vx__addr_equal((const struct sockaddr *)&out[x],
                                      (const struct sockaddr *)&a[j]);
            if (!dup)
                out[n++] = a[j];
        }
    }
    return n;
}

static void single_target(const vx__view *v, size_t s, vx__findings *out)
{
    size_t records = 0, host = SIZE_MAX;
    bool one_host = true;
    for (size_t i = 0; i < v->srv_count; i++) {
        if (v->srvs[i].name != s)
            continue;
        records++;
        one_host &= host == SIZE_MAX || v->srvs[i].host == host;
        host = v->srvs[i].host;
    }
    struct sockaddr_storage a[MAX_ADDRS];
    size_t naddr = records ? name_addrs(v, s, a, MAX_ADDRS) : 0;
    if (records == 0 || (!one_host && naddr != 1))
        return;
    char o[VX__NAME_TEXT_MAX], t[VX__NAME_TEXT_MAX], addr[VX__ADDR_TEXT_MAX] = "";
    vx__name_show(v->srvnames[s].owner, o, sizeof o);
    vx__name_show(v->hosts[host].name, t, sizeof t);
    if (naddr == 1)
        vx__addr_format((const struct sockaddr *)&a[0], addr, sizeof addr);
    vx__finding *f =
        one_host
            ? vx__finding_add(out, "SRV-SINGLE-TARGET",
                              "every SRV record of %s leads to one host, %s: no failover", o, t)
            : vx__finding_add(out, "SRV-SINGLE-TARGET",
                              "every SRV record of %s leads to one address, %s: no failover", o,
                              addr);
    vx__finding_add_name(f, v->srvnames[s].owner);
    for (size_t i = 0; i < v->srv_count; i++)
        if (v->srvs[i].name == s)
            vx__finding_add_name(f, v->hosts[v->srvs[i].host].name);
}

VX__CHECK_FN(vx__chk_srv_single_target)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t s = 0; s < v.srvname_count; s++)
        single_target(&v, s, out);
    vx__view_free(&v);
}

/* ---- SRV-PORT-UNUSUAL ----------------------------------------------------------------------- */

VX__CHECK_FN(vx__chk_srv_port_unusual)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t i = 0; i < v.srv_count; i++) {
        const vx__cv_srv *r = &v.srvs[i];
        vx__sipt t = v.srvnames[r->name].transport;
        bool odd = (t == VX__SIPT_TLS && r->port == 5060) ||
                   ((t == VX__SIPT_UDP || t == VX__SIPT_TCP) && r->port == 5061);
        if (!odd)
            continue;
        char o[VX__NAME_TEXT_MAX], h[VX__NAME_TEXT_MAX];
        vx__name_show(v.srvnames[r->name].owner, o, sizeof o);
        vx__name_show(v.hosts[r->host].name, h, sizeof h);
        vx__finding *f = vx__finding_add(out, "SRV-PORT-UNUSUAL",
                                         "%s (%s) points to %s port %u, the usual port of %s", o,
                                         t == VX__SIPT_TLS ? "TLS" : "plain SIP", h, r->port,
                                         t == VX__SIPT_TLS ? "plain SIP" : "SIP over TLS");
        vx__finding_add_name(f, v.srvnames[r->name].owner);
        vx__finding_add_name(f, v.hosts[r->host].name);
    }
    vx__view_free(&v);
}

/* ---- SIP-TARGET-PRIVATE-ADDRESS ------------------------------------------------------------- */

static void private_address(const vx__view *v, size_t h, vx__findings *out)
{
    struct sockaddr_storage a[MAX_ADDRS];
    size_t n = vx__host_addrs(&v->hosts[h], a, MAX_ADDRS);
    vx__strbuf sb = {0};
    for (size_t i = 0; i < n && i < MAX_ADDRS; i++) {
        vx__addr_class c = vx__addr_classify((const struct sockaddr *)&a[i]);
        if (!vx__addr_is_internal(c))
            continue;
        char s[VX__ADDR_TEXT_MAX];
        vx__addr_format((const struct sockaddr *)&a[i], s, sizeof s);
        vx__sb_add(&sb, "%s%s (%s)", sb.len ? ", " : "", s, vx__addr_class_name(c));
    }
    if (sb.len) {
        char name[VX__NAME_TEXT_MAX];
        vx__name_show(v->hosts[h].name, name, sizeof name);
        vx__finding *f = vx__finding_add(out, "SIP-TARGET-PRIVATE-ADDRESS",
                                         "the SIP server %s resolves to %s: unreachable from the "
                                         "internet",
                                         name, vx__sb_str(&sb));
        srv_owners_of(v, h, f, NULL);
    }
    vx__sb_free(&sb);
}

VX__CHECK_FN(vx__chk_sip_target_private_address)
{
    each_host(snap, cfg, private_address, out);
}

/* ---- SIP-TARGET-INTERNAL-NAME --------------------------------------------------------------- */

/* Judgement: a name is internal when its TLD is one of the usual private ones, or is not a
 * public suffix at all per the PSL (without libpsl's implicit "*" rule, which would accept
 * any TLD). */
static bool internal_name(const char *name)
{
    static const char *const internal[] = {"local", "lan",         "internal", "corp",
                                           "home",  "localdomain", "intranet", "private"};
    char n[VX__NAME_TEXT_MAX];
    vx__name_show(name, n, sizeof n);
    const char *dot = strrchr(n, '.');
    const char *tld = dot ? dot + 1 : n;
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++)
        if (strcasecmp(tld, internal[i]) == 0)
            return true;
    return tld[0] &&
           !psl_is_public_suffix2(psl_builtin(), tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
}

static void internal_host(const vx__view *v, size_t h, vx__findings *out)
{
    const vx__cv_host *host = &v->hosts[h];
    const vx__rrset *c = host->a.cname ? host->a.cname : host->aaaa.cname;
    const char *bad = internal_name(host->name)                       ? host->name
                      : (c && c->count && internal_name(c->rdata[0])) ? c->rdata[0]
                                                                      : NULL;
    if (!bad)
        return;
    char b[VX__NAME_TEXT_MAX];
    vx__name_show(bad, b, sizeof b);
    vx__strbuf sb = {0};
    srv_owners_of(v, h, NULL, &sb);
    vx__finding *f = vx__finding_add(out, "SIP-TARGET-INTERNAL-NAME",
                                     "%s (named by %s) is under a non-public suffix: it cannot "
                                     "resolve outside the internal network",
                                     b, vx__sb_str(&sb));
    srv_owners_of(v, h, f, NULL);
    vx__finding_add_name(f, bad);
    vx__sb_free(&sb);
}

VX__CHECK_FN(vx__chk_sip_target_internal_name)
{
    each_host(snap, cfg, internal_host, out);
}
