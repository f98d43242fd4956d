/*
 * check/diversity.c — owns the single-point-of-failure checks (CHECKS.md "diversity"): one DNS
 * operator, one prefix, one AS, one TLD for the name servers; one SIP domain, an alternate
 * domain that leads elsewhere; one prefix or AS for the SIP servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

#define MAX_NAMES 64
#define MAX_ADDRS 256

/* Every address family present sits in one prefix (IPv4 /24, IPv6 /48): with both families,
 * both must be single for the finding, since one diverse family already survives the loss of
 * the other's prefix. prefixes gets the prefixes seen. */
static bool single_prefix(const struct sockaddr_storage *a, size_t n, vx__strbuf *prefixes)
{
    char first[2][VX__ADDR_TEXT_MAX + 8] = {"", ""};
    bool single = n > 0;
    for (size_t i = 0; i < n; i++) {
        char p[VX__ADDR_TEXT_MAX + 8];
        if (vx__addr_prefix((const struct sockaddr *)&a[i], p, sizeof p) != VX_OK)
            continue;
        int fam = a[i].ss_family == AF_INET6;
        if (!first[fam][0]) {
            snprintf(first[fam], sizeof first[fam], "%s", p);
            vx__sb_item(prefixes, p);
        } else if (strcmp(first[fam], p) != 0) {
            single = false;
        }
    }
    return single;
}

/* Every address in one origin AS; silent unless the database covers every address. */
static bool single_asn(const vx__asndb *db, const struct sockaddr_storage *a, size_t n,
                       uint32_t *asn)
{
    *asn = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = vx__asndb_lookup(db, (const struct sockaddr *)&a[i]);
        if (x == 0 || (*asn != 0 && x != *asn))
            return false;
        *asn = x;
    }
    return n > 0;
}

static size_t ns_addrs(const vx__snapshot *snap, struct sockaddr_storage *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < snap->server_count && n < cap; i++)
        out[n++] = snap->servers[i].addr;
    return n;
}

/* Every SIP target address once. */
static size_t sip_addrs(const vx__view *v, struct sockaddr_storage *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < v->host_count; i++) {
        struct sockaddr_storage a[32];
        size_t k = vx__host_addrs(&v->hosts[i], a, 32);
        for (size_t j = 0; j < k && j < 32 && n < cap; j++) {
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

static void addr_list(const struct sockaddr_storage *a, size_t n, vx__strbuf *sb)
{
    for (size_t i = 0; i < n; i++) {
        char s[VX__ADDR_TEXT_MAX];
        vx__addr_format((const struct sockaddr *)&a[i], s, sizeof s);
        vx__sb_item(sb, s);
    }
}

static void all_servers(const vx__snapshot *snap, vx__finding *f)
{
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; f && i < snap->server_count; i++) {
        vx__label_make(snap->servers[i].name, (const struct sockaddr *)&snap->servers[i].addr,
                       label, sizeof label);
        vx__finding_add_server(f, label);
    }
}

/* ---- name servers ---------------------------------------------------------------------------- */

typedef void (*group_fn)(const char *name, char *out, size_t cap);

static void registrable_of(const char *name, char *out, size_t cap)
{
    /* A name that is itself a public suffix (or has no registrable part) stands alone. */
    if (vx__name_registrable(name, out, cap) != VX_OK)
        snprintf(out, cap, "%s", name);
}

static void tld_of(const char *name, char *out, size_t cap)
{
    char n[VX__NAME_TEXT_MAX];
    vx__name_show(name, n, sizeof n);
    const char *dot = strrchr(n, '.');
    if (snprintf(out, cap, "%s.", dot ? dot + 1 : n) < 0)
        out[0] = '\0';
}

/* True when group() gives every NS name the same value (in common). */
static bool ns_all_same(const vx__view *v, group_fn group, char *common, size_t cap,
                        vx__strbuf *names)
{
    const char *list[MAX_NAMES];
    size_t n = vx__view_ns_names(v, list, MAX_NAMES);
    common[0] = '\0';
    bool same = n > 0;
    for (size_t i = 0; i < n; i++) {
        char g[VX__NAME_TEXT_MAX], s[VX__NAME_TEXT_MAX];
        group(list[i], g, sizeof g);
        vx__name_show(list[i], s, sizeof s);
        vx__sb_item(names, s);
        if (i == 0)
            snprintf(common, cap, "%s", g);
        else if (!vx__name_eq(common, g))
            same = false;
    }
    return same;
}

static void ns_same_check(const vx__snapshot *snap, const vx__check_config *cfg, group_fn group,
                          const char *id, const char *what, vx__findings *out)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    char common[VX__NAME_TEXT_MAX], c[VX__NAME_TEXT_MAX], d[VX__NAME_TEXT_MAX];
    vx__strbuf names = {0};
    if (ns_all_same(&v, group, common, sizeof common, &names)) {
        vx__name_show(common, c, sizeof c);
        vx__name_show(snap->domain, d, sizeof d);
        vx__finding *f = vx__finding_add(out, id, "every name server of %s is under %s (%s): %s", d,
                                         c, vx__sb_str(&names), what);
        const char *list[MAX_NAMES];
        size_t n = vx__view_ns_names(&v, list, MAX_NAMES);
        for (size_t i = 0; i < n; i++)
            vx__finding_add_name(f, list[i]);
        all_servers(snap, f);
    }
    vx__sb_free(&names);
    vx__view_free(&v);
}

/* Judgement: vanity NS names (ns1.example.com served by two operators) look like one provider
 * here; the prefix and ASN checks tell the operator whether that is really so. */
VX__CHECK_FN(vx__chk_ns_single_provider)
{
    ns_same_check(snap, cfg, registrable_of, "NS-SINGLE-PROVIDER", "one DNS operator", out);
}

VX__CHECK_FN(vx__chk_ns_single_tld)
{
    ns_same_check(snap, cfg, tld_of, "NS-SINGLE-TLD", "one TLD's servers can hide them all", out);
}

VX__CHECK_FN(vx__chk_ns_single_prefix)
{
    (void)cfg;
    struct sockaddr_storage a[MAX_ADDRS] = {0};
    size_t n = ns_addrs(snap, a, MAX_ADDRS);
    vx__strbuf p = {0}, l = {0};
    if (single_prefix(a, n, &p)) {
        addr_list(a, n, &l);
        vx__finding *f =
            vx__finding_add(out, "NS-SINGLE-PREFIX", "every name-server address (%s) is in %s",
                            vx__sb_str(&l), vx__sb_str(&p));
        all_servers(snap, f);
    }
    vx__sb_free(&p);
    vx__sb_free(&l);
}

VX__CHECK_FN(vx__chk_ns_single_asn)
{
    if (!cfg->asndb)
        return;
    struct sockaddr_storage a[MAX_ADDRS];
    size_t n = ns_addrs(snap, a, MAX_ADDRS);
    uint32_t asn;
    if (single_asn(cfg->asndb, a, n, &asn)) {
        vx__strbuf l = {0};
        addr_list(a, n, &l);
        vx__finding *f = vx__finding_add(out, "NS-SINGLE-ASN",
                                         "every name-server address (%s) is announced by AS%u",
                                         vx__sb_str(&l), asn);
        all_servers(snap, f);
        vx__sb_free(&l);
    }
}

/* ---- the service ----------------------------------------------------------------------------- */

/* Fires with no alternate domain, or when every alternate shares the main domain's TLD. */
VX__CHECK_FN(vx__chk_service_single_domain)
{
    (void)cfg;
    char tld[VX__NAME_TEXT_MAX], t[VX__NAME_TEXT_MAX], d[VX__NAME_TEXT_MAX];
    tld_of(snap->domain, tld, sizeof tld);
    for (size_t i = 0; i < snap->alt_count; i++) {
        tld_of(snap->alt[i]->domain, t, sizeof t);
        if (!vx__name_eq(t, tld))
            return;
    }
    vx__name_show(snap->domain, d, sizeof d);
    vx__finding *f = vx__finding_add(
        out, "SERVICE-SINGLE-DOMAIN", "%s has no alternate SIP domain under another TLD%s", d,
        snap->alt_count ? " (every alternate domain is under the same TLD)" : "");
    vx__finding_add_name(f, snap->domain);
    for (size_t i = 0; i < snap->alt_count; i++)
        vx__finding_add_name(f, snap->alt[i]->domain);
}

typedef struct target_set {
    char **items;
    size_t count;
} target_set;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The (transport, port, address) every SRV record of the chain leads to, sorted, unique. */
static void targets_of(const vx__view *v, target_set *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < v->srv_count; i++) {
        const vx__cv_srv *r = &v->srvs[i];
        struct sockaddr_storage a[32];
        size_t n = vx__host_addrs(&v->hosts[r->host], a, 32);
        for (size_t k = 0; k < n && k < 32; k++) {
            char s[VX__ADDR_TEXT_MAX], item[VX__ADDR_TEXT_MAX + 32];
            vx__addr_format((const struct sockaddr *)&a[k], s, sizeof s);
            snprintf(item, sizeof item, "%s %s:%u", vx__sipt_name(v->srvnames[r->name].transport),
                     s, r->port);
            char **l = realloc(t->items, (t->count + 1) * sizeof *l);
            if (!l)
                return;
            t->items = l;
            if ((l[t->count] = strdup(item)) != NULL)
                t->count++;
        }
    }
    if (t->count > 0)
        qsort(t->items, t->count, sizeof *t->items, cmp_str);
}

static bool has_item(const target_set *t, const char *s)
{
    return t->count && bsearch(&s, t->items, t->count, sizeof *t->items, cmp_str) != NULL;
}

static void target_set_free(target_set *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i]);
    free(t->items);
}

/* Items of a missing from b, each once. */
static size_t diff_list(const target_set *a, const target_set *b, vx__strbuf *sb)
{
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++) {
        if (has_item(b, a->items[i]) || (i > 0 && strcmp(a->items[i], a->items[i - 1]) == 0))
            continue;
        vx__sb_item(sb, a->items[i]);
        n++;
    }
    return n;
}

static void alt_compare(const char *main_domain, const target_set *m, const vx__snapshot *alt,
                        const vx__check_config *cfg, vx__findings *out)
{
    vx__view v;
    if (vx__check_view_build(alt, cfg->profile, &v) != VX_OK)
        return;
    target_set t;
    targets_of(&v, &t);
    vx__strbuf only_main = {0}, only_alt = {0};
    size_t a = diff_list(m, &t, &only_main), b = diff_list(&t, m, &only_alt);
    if (a || b) {
        char d[VX__NAME_TEXT_MAX], x[VX__NAME_TEXT_MAX];
        vx__name_show(main_domain, d, sizeof d);
        vx__name_show(alt->domain, x, sizeof x);
        vx__finding *f = vx__finding_add(
            out, "SERVICE-ALT-DOMAIN-MISMATCH",
            "the alternate domain %s does not lead to the same SIP targets as %s: only via %s: "
            "%s; only via %s: %s",
            x, d, d, a ? vx__sb_str(&only_main) : "none", x, b ? vx__sb_str(&only_alt) : "none");
        vx__finding_add_name(f, alt->domain);
        vx__finding_add_name(f, main_domain);
    }
    vx__sb_free(&only_main);
    vx__sb_free(&only_alt);
    target_set_free(&t);
    vx__view_free(&v);
}

/* Compared by (transport, port, address) of the final targets, not by host names: an
 * alternate domain normally names the same servers under its own names. */
VX__CHECK_FN(vx__chk_service_alt_domain_mismatch)
{
    if (snap->alt_count == 0)
        return;
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    target_set m;
    targets_of(&v, &m);
    for (size_t i = 0; i < snap->alt_count; i++)
        alt_compare(snap->domain, &m, snap->alt[i], cfg, out);
    target_set_free(&m);
    vx__view_free(&v);
}

/* ---- SIP servers ----------------------------------------------------------------------------- */

static void sip_hosts_names(const vx__view *v, vx__finding *f)
{
    for (size_t i = 0; f && i < v->host_count; i++)
        vx__finding_add_name(f, v->hosts[i].name);
}

VX__CHECK_FN(vx__chk_sip_targets_single_prefix)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    struct sockaddr_storage a[MAX_ADDRS];
    size_t n = sip_addrs(&v, a, MAX_ADDRS);
    vx__strbuf p = {0}, l = {0};
    if (single_prefix(a, n, &p)) {
        addr_list(a, n, &l);
        vx__finding *f = vx__finding_add(out, "SIP-TARGETS-SINGLE-PREFIX",
                                         "every SIP server address (%s) is in %s", vx__sb_str(&l),
                                         vx__sb_str(&p));
        sip_hosts_names(&v, f);
    }
    vx__sb_free(&p);
    vx__sb_free(&l);
    vx__view_free(&v);
}

VX__CHECK_FN(vx__chk_sip_targets_single_asn)
{
    if (!cfg->asndb)
        return;
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    struct sockaddr_storage a[MAX_ADDRS];
    size_t n = sip_addrs(&v, a, MAX_ADDRS);
    uint32_t asn;
    if (single_asn(cfg->asndb, a, n, &asn)) {
        vx__strbuf l = {0};
        addr_list(a, n, &l);
        vx__finding *f = vx__finding_add(out, "SIP-TARGETS-SINGLE-ASN",
                                         "every SIP server address (%s) is announced by AS%u",
                                         vx__sb_str(&l), asn);
        sip_hosts_names(&v, f);
        vx__sb_free(&l);
    }
    vx__view_free(&v);
}
