/*
 * check/providers.c — owns the grouping of a domain's servers into DNS providers and the
 * dual-primary decision (check/providers.h says how both are made). The consistency checks,
 * the reports and the monitor's metrics all ask this one place, so they can never disagree on
 * which provider a server belongs to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/providers.h"
#include "model/view.h"
#include "voxdns/status.h"
#include "wire/addr.h"

#define KEY_MAX (VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX)
#define UNIX_PAST_S (20ull * 366 * 86400) /* a Unix-time serial set up to 20 years ago */
#define UNIX_AHEAD_S 86400ull

/* ---- declarations --------------------------------------------------------------------------- */

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > VX__PROVIDER_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* One NS item: an address literal stays as its canonical text, a name is normalised. */
static int ns_item(const char *item, char **out)
{
    char buf[VX__NAME_TEXT_MAX];
    struct sockaddr_storage ss;
    socklen_t len;
    bool literal = strchr(item, ':') || strspn(item, "0123456789.") == strlen(item);
    if (literal && vx__addr_parse(item, 53, &ss, &len) == VX_OK &&
        vx__addr_format((const struct sockaddr *)&ss, buf, sizeof buf) == VX_OK) {
        *out = strdup(buf);
    } else if (vx__name_normalize(item, buf, sizeof buf) == VX_OK && strcmp(buf, ".") != 0) {
        *out = strdup(buf);
    } else {
        return VX_EINVAL;
    }
    return *out ? VX_OK : VX_ENOMEM;
}

static int add_ns(vx__provider_decl *d, const char *item, char *err, size_t cap)
{
    char **grown = realloc(d->ns, (d->ns_count + 1) * sizeof *grown);
    if (!grown)
        return VX_ENOMEM;
    d->ns = grown;
    int rc = ns_item(item, &d->ns[d->ns_count]);
    if (rc == VX_EINVAL)
        snprintf(err, cap, "'%s' is neither a name-server name nor an address", item);
    if (rc == VX_OK)
        d->ns_count++;
    return rc;
}

int vx__provider_decl_parse(const char *text, vx__provider_decl *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    const char *eq = text ? strchr(text, '=') : NULL;
    if (!eq || !name_ok(text, (size_t)(eq - text))) {
        snprintf(err, cap, "give NAME=NS1,NS2 (NAME: up to %d letters, digits, '.', '-', '_')",
                 VX__PROVIDER_NAME_MAX);
        return VX_EINVAL;
    }
    out->name = strndup(text, (size_t)(eq - text));
    char *list = strdup(eq + 1);
    int rc = out->name && list ? VX_OK : VX_ENOMEM;
    char *save = NULL;
    for (char *it = list ? strtok_r(list, ",", &save) : NULL; rc == VX_OK && it;
         it = strtok_r(NULL, ",", &save))
        rc = add_ns(out, it, err, cap);
    if (rc == VX_OK && out->ns_count == 0) {
        snprintf(err, cap, "provider %s lists no name server", out->name);
        rc = VX_EINVAL;
    }
    free(list);
    if (rc != VX_OK)
        vx__provider_decl_clear(out);
    return rc;
}

void vx__provider_decl_clear(vx__provider_decl *d)
{
    for (size_t i = 0; d && i < d->ns_count; i++)
        free(d->ns[i]);
    if (d) {
        free(d->ns);
        free(d->name);
        memset(d, 0, sizeof *d);
    }
}

/* ---- serial schemes ------------------------------------------------------------------------- */

static bool real_date(uint32_t serial)
{
    unsigned ymd = serial / 100u;
    unsigned y = ymd / 10000u, m = ymd / 100u % 100u, d = ymd % 100u;
    return y >= 1990 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

vx__serial_scheme vx__serial_scheme_of(uint32_t serial, uint64_t now_s)
{
    if (real_date(serial))
        return VX__SERIAL_DATE;
    uint64_t lo = now_s > UNIX_PAST_S ? now_s - UNIX_PAST_S : 0;
    if (now_s && serial >= lo && serial <= now_s + UNIX_AHEAD_S)
        return VX__SERIAL_UNIXTIME;
    return VX__SERIAL_COUNTER;
}

const char *vx__serial_scheme_name(vx__serial_scheme s)
{
    static const char *const names[] = {"date", "Unix time", "counter"};
    return (unsigned)s < 3 ? names[s] : "counter";
}

/* ---- grouping ------------------------------------------------------------------------------- */

static const char *declared_for(const vx__check_config *cfg, const vx__server *srv)
{
    char addr[VX__ADDR_TEXT_MAX];
    if (vx__addr_format((const struct sockaddr *)&srv->addr, addr, sizeof addr) != VX_OK)
        addr[0] = '\0';
    for (size_t p = 0; p < cfg->provider_count; p++) {
        const vx__provider_decl *d = &cfg->providers[p];
        for (size_t k = 0; k < d->ns_count; k++)
            if (vx__name_eq(d->ns[k], srv->name) || strcmp(d->ns[k], addr) == 0)
                return d->name;
    }
    return NULL;
}

static void registrable(const char *name, char *out, size_t cap)
{
    char r[VX__NAME_TEXT_MAX];
    if (vx__name_registrable(name, r, sizeof r) != VX_OK)
        snprintf(r, sizeof r, "%s", name);
    vx__name_show(r, out, cap);
}

/* The inferred key: the NS name's registrable domain; vanity names (under the domain's own
 * registrable domain say nothing about the operator) get their origin ASN added. */
static void inferred_key(const vx__snapshot *snap, const vx__check_config *cfg,
                         const vx__server *srv, char *out, size_t cap)
{
    char own[VX__NAME_TEXT_MAX];
    registrable(srv->name, out, cap);
    registrable(snap->domain, own, sizeof own);
    uint32_t asn = cfg->asndb && strcmp(out, own) == 0
                       ? vx__asndb_lookup(cfg->asndb, (const struct sockaddr *)&srv->addr)
                       : 0;
    if (asn) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, " AS%u", asn);
    }
}

/* The SOA an authoritative address served for the domain, or NULL. */
static const vx__rrset *soa_of(const vx__view *v, size_t i)
{
    const vx__vserver *s = &v->servers[i];
    if (!vx__vserver_authoritative(s))
        return NULL;
    const vx__observation *o =
        vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, v->snap->domain, VX__T_SOA);
    if (!vx__obs_usable_aa(o))
        return NULL;
    vx__answer a;
    vx__answer_of(o, v->snap->domain, VX__T_SOA, &a);
    return a.set && a.set->count > 0 ? a.set : NULL;
}

static void mname_of(const vx__view *v, size_t i, char *out, size_t cap)
{
    const vx__rrset *soa = soa_of(v, i);
    out[0] = '\0';
    if (soa) {
        size_t n = strcspn(soa->rdata[0], " \t");
        snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), soa->rdata[0]);
    }
}

/* Within one inferred key, servers that serve different MNAMEs have different primaries. */
static bool mname_differs(const vx__view *v, char (*keys)[KEY_MAX], const bool *declared, size_t i,
                          char *mname, size_t cap)
{
    char other[VX__NAME_TEXT_MAX];
    mname_of(v, i, mname, cap);
    for (size_t j = 0; !declared[i] && mname[0] && j < v->server_count; j++) {
        mname_of(v, j, other, sizeof other);
        if (!declared[j] && strcmp(keys[i], keys[j]) == 0 && other[0] && !vx__name_eq(mname, other))
            return true;
    }
    return false;
}

static int split_by_mname(const vx__view *v, char (*keys)[KEY_MAX], const bool *declared)
{
    size_t n = v->server_count;
    char(*mnames)[VX__NAME_TEXT_MAX] = calloc(n ? n : 1, sizeof *mnames);
    bool *split = calloc(n ? n : 1, sizeof *split);
    for (size_t i = 0; mnames && split && i < n; i++) /* decided on the keys before any split */
        split[i] = mname_differs(v, keys, declared, i, mnames[i], sizeof mnames[i]);
    for (size_t i = 0; mnames && split && i < n; i++) {
        if (!split[i])
            continue;
        char show[VX__NAME_TEXT_MAX];
        size_t len = strlen(keys[i]);
        vx__name_show(mnames[i], show, sizeof show);
        snprintf(keys[i] + len, KEY_MAX - len, " (primary %s)", show);
    }
    int rc = mnames && split ? VX_OK : VX_ENOMEM;
    free(mnames);
    free(split);
    return rc;
}

static size_t provider_index(vx__provider_map *m, const char *key, bool declared)
{
    for (size_t p = 0; p < m->count; p++)
        if (strcmp(m->items[p].name, key) == 0)
            return p;
    vx__provider *it = &m->items[m->count];
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", key);
    it->declared = declared;
    it->consistent = true;
    return m->count++;
}

static void note_serial(vx__provider *p, const vx__rrset *soa)
{
    uint32_t serial, r, rt, e, mn;
    if (!soa || vx__soa_parse(soa->rdata[0], &serial, &r, &rt, &e, &mn) != VX_OK)
        return;
    if (!p->has_serial) {
        p->has_serial = true;
        p->serial = serial;
    } else if (serial != p->serial) {
        p->consistent = false;
    }
}

/* Dual primaries inferred: two or more providers, each serving one serial, in different
 * schemes. A single scheme with different values is a lagging or broken sync instead. Without
 * cfg->now_s no serial reads as Unix time (checks never read the clock themselves). */
static void infer_dual(vx__provider_map *m, uint64_t now_s)
{
    size_t with = 0;
    bool all_consistent = true, schemes_differ = false;
    vx__serial_scheme first = VX__SERIAL_COUNTER;
    for (size_t p = 0; p < m->count; p++) {
        const vx__provider *it = &m->items[p];
        if (!it->has_serial)
            continue;
        vx__serial_scheme s = vx__serial_scheme_of(it->serial, now_s);
        schemes_differ |= with > 0 && s != first;
        first = with == 0 ? s : first;
        all_consistent &= it->consistent;
        with++;
    }
    if (with < 2 || !all_consistent || !schemes_differ)
        return;
    m->dual_primary = true;
    size_t len = (size_t)snprintf(m->dual_why, sizeof m->dual_why,
                                  "inferred: one serial per provider, in different schemes:");
    const char *sep = " ";
    for (size_t p = 0; p < m->count && len < sizeof m->dual_why; p++) {
        const vx__provider *it = &m->items[p];
        if (!it->has_serial)
            continue;
        len += (size_t)snprintf(
            m->dual_why + len, sizeof m->dual_why - len, "%s%s %s %u", sep, it->name,
            vx__serial_scheme_name(vx__serial_scheme_of(it->serial, now_s)), it->serial);
        sep = ", ";
    }
}

static int group(const vx__snapshot *snap, const vx__check_config *cfg, const vx__view *v,
                 vx__provider_map *m)
{
    size_t n = snap->server_count;
    char(*keys)[KEY_MAX] = calloc(n ? n : 1, sizeof *keys);
    bool *declared = calloc(n ? n : 1, sizeof *declared);
    int rc = keys && declared ? VX_OK : VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < n; i++) {
        const char *d = declared_for(cfg, &snap->servers[i]);
        declared[i] = d != NULL;
        if (d)
            snprintf(keys[i], KEY_MAX, "%s", d);
        else
            inferred_key(snap, cfg, &snap->servers[i], keys[i], KEY_MAX);
    }
    if (rc == VX_OK)
        rc = split_by_mname(v, keys, declared);
    for (size_t i = 0; rc == VX_OK && i < n; i++) {
        m->of_server[i] = provider_index(m, keys[i], declared[i]);
        m->items[m->of_server[i]].servers++;
        note_serial(&m->items[m->of_server[i]], soa_of(v, i));
    }
    free(keys);
    free(declared);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const vx__provider *)a)->name, ((const vx__provider *)b)->name);
}

/* Providers in name order: the servers' order in a snapshot depends on which answer came
 * first, and reports must not. */
static void sort_providers(vx__provider_map *m)
{
    vx__provider *old = malloc(m->count * sizeof *old);
    if (!old || m->count < 2) {
        free(old);
        return;
    }
    memcpy(old, m->items, m->count * sizeof *old);
    qsort(m->items, m->count, sizeof *m->items, by_name);
    for (size_t i = 0; i < m->server_count; i++)
        for (size_t p = 0; p < m->count; p++)
            if (strcmp(m->items[p].name, old[m->of_server[i]].name) == 0) {
                m->of_server[i] = p;
                break;
            }
    free(old);
}

int vx__providers_build(const vx__snapshot *snap, const vx__check_config *cfg,
                        vx__provider_map *out)
{
    memset(out, 0, sizeof *out);
    size_t n = snap->server_count;
    vx__view v;
    int rc = vx__view_build(snap, cfg->profile, &v);
    if (rc != VX_OK)
        return rc;
    out->items = calloc(n ? n : 1, sizeof *out->items);
    out->of_server = calloc(n ? n : 1, sizeof *out->of_server);
    out->server_count = n;
    rc = out->items && out->of_server ? group(snap, cfg, &v, out) : VX_ENOMEM;
    if (rc == VX_OK)
        sort_providers(out);
    if (rc == VX_OK && cfg->dual_primary == VX__DUAL_YES) {
        out->dual_primary = true;
        snprintf(out->dual_why, sizeof out->dual_why, "declared");
    } else if (rc == VX_OK && cfg->dual_primary == VX__DUAL_AUTO) {
        infer_dual(out, cfg->now_s);
    }
    vx__view_free(&v);
    if (rc != VX_OK)
        vx__providers_free(out);
    return rc;
}

void vx__providers_free(vx__provider_map *m)
{
    free(m->items);
    free(m->of_server);
    memset(m, 0, sizeof *m);
}

const char *vx__provider_of(const vx__provider_map *m, size_t server)
{
    return m && server < m->server_count ? m->items[m->of_server[server]].name : "";
}
