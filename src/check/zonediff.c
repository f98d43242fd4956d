/*
 * check/zonediff.c — owns the comparison of whole zone copies (check/zonediff.h) and the
 * ZONE-DIFFERS check built on it: one finding naming every differing name and type (the
 * message lists the first few with what each provider holds) and the servers whose copies
 * were compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/zonediff.h"
#include "common/array.h"
#include "model/view.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define SHOWN_IN_MESSAGE 8

bool vx__zdiff_ignored(uint16_t type)
{
    return type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_RRSIG || type == LDNS_RR_TYPE_NSEC ||
           type == LDNS_RR_TYPE_NSEC3 || type == LDNS_RR_TYPE_NSEC3PARAM;
}

/* Each copy's RRsets sorted by (owner, type), so that a set is found by binary search and all
 * copies' keys can be walked in one merged order: a diff of two large zones costs n log n, not
 * n squared. */
typedef struct sorted_copy {
    const vx__rrset **sets;
    size_t count;
} sorted_copy;

static int key_cmp(const char *owner_a, uint16_t type_a, const char *owner_b, uint16_t type_b)
{
    int c = strcmp(owner_a, owner_b);
    return c ? c : (type_a > type_b) - (type_a < type_b);
}

static int set_cmp(const void *a, const void *b)
{
    const vx__rrset *x = *(const vx__rrset *const *)a, *y = *(const vx__rrset *const *)b;
    return key_cmp(x->owner, x->type, y->owner, y->type);
}

static const vx__rrset *find_set(const sorted_copy *z, const char *owner, uint16_t type)
{
    size_t lo = 0, hi = z->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(z->sets[mid]->owner, z->sets[mid]->type, owner, type);
        if (c == 0)
            return z->sets[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static bool same(const vx__rrset *a, const vx__rrset *b)
{
    return a && b ? vx__rrset_equal(a, b, true) : a == b;
}

/* Adds (owner, type) when the usable copies do not all hold the same RRset. */
static int consider(const vx__zone_copy *c, const sorted_copy *sc, size_t n, const char *owner,
                    uint16_t type, vx__zdiff *d, size_t *cap)
{
    const vx__rrset *first = NULL;
    bool seen = false, differ = false;
    for (size_t i = 0; i < n; i++) {
        if (c[i].status != VX_OK)
            continue;
        const vx__rrset *s = find_set(&sc[i], owner, type);
        differ |= seen && !same(s, first);
        first = seen ? first : s;
        seen = true;
    }
    if (!differ)
        return VX_OK;
    vx__zdiff_item *grown = vx__grow(d->items, cap, d->count + 1, sizeof *grown, 16);
    const vx__rrset **sets = calloc(n ? n : 1, sizeof *sets);
    if (grown)
        d->items = grown;
    if (!grown || !sets) {
        free(sets);
        return VX_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        sets[i] = c[i].status == VX_OK ? find_set(&sc[i], owner, type) : NULL;
    d->items[d->count++] = (vx__zdiff_item){owner, type, sets};
    return VX_OK;
}

/* The smallest key not yet walked, over every copy's cursor; false when all are done. */
static bool next_key(const sorted_copy *sc, const size_t *at, size_t n, const vx__rrset **out)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (at[i] < sc[i].count && (!*out || set_cmp(&sc[i].sets[at[i]], out) < 0))
            *out = sc[i].sets[at[i]];
    return *out != NULL;
}

static int sort_copies(const vx__zone_copy *copies, size_t n, sorted_copy *sc)
{
    for (size_t i = 0; i < n; i++) {
        const vx__zone_copy *z = &copies[i];
        if (z->status != VX_OK || z->set_count == 0)
            continue;
        sc[i].sets = malloc(z->set_count * sizeof *sc[i].sets);
        if (!sc[i].sets)
            return VX_ENOMEM;
        for (size_t k = 0; k < z->set_count; k++)
            if (!vx__zdiff_ignored(z->sets[k]->type))
                sc[i].sets[sc[i].count++] = z->sets[k];
        qsort(sc[i].sets, sc[i].count, sizeof *sc[i].sets, set_cmp);
    }
    return VX_OK;
}

/* Every (owner, type) of any copy once, in order: the copies' sorted sets merged. */
static int walk(const vx__zone_copy *copies, const sorted_copy *sc, size_t n, vx__zdiff *out)
{
    size_t *at = calloc(n ? n : 1, sizeof *at), cap = 0;
    const vx__rrset *k;
    int rc = at ? VX_OK : VX_ENOMEM;
    while (rc == VX_OK && next_key(sc, at, n, &k)) {
        rc = consider(copies, sc, n, k->owner, k->type, out, &cap);
        for (size_t i = 0; i < n; i++)
            while (at[i] < sc[i].count && set_cmp(&sc[i].sets[at[i]], &k) == 0)
                at[i]++;
    }
    free(at);
    return rc;
}

int vx__zone_diff(const vx__zone_copy *copies, size_t n, vx__zdiff *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out->compared += copies[i].status == VX_OK;
    if (out->compared < 2)
        return VX_OK;
    sorted_copy *sc = calloc(n, sizeof *sc);
    int rc = sc ? sort_copies(copies, n, sc) : VX_ENOMEM;
    if (rc == VX_OK)
        rc = walk(copies, sc, n, out); /* items come out sorted: the merge's order */
    for (size_t i = 0; sc && i < n; i++)
        free(sc[i].sets);
    free(sc);
    if (rc != VX_OK)
        vx__zdiff_free(out);
    return rc;
}

void vx__zdiff_free(vx__zdiff *d)
{
    for (size_t i = 0; d->items && i < d->count; i++)
        free(d->items[i].sets);
    free(d->items);
    memset(d, 0, sizeof *d);
}

void vx__zdiff_describe(const vx__rrset *set, char *out, size_t cap)
{
    if (!set) {
        snprintf(out, cap, "absent");
        return;
    }
    size_t len = (size_t)snprintf(out, cap, "TTL %u: ", set->ttl);
    for (size_t i = 0; i < set->count && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " | " : "", set->rdata[i]);
}

/* ---- ZONE-DIFFERS --------------------------------------------------------------------------- */

static void describe_item(const vx__snapshot *snap, const vx__zdiff_item *it, vx__strbuf *sb)
{
    char key[VX__NAME_TEXT_MAX + 20], t[16], what[512];
    vx__name_show(it->owner, key, sizeof key);
    vx__sb_add(sb, "%s%s %s (", sb->len ? "; " : "", key,
               vx__rrtype_to_text(it->type, t, sizeof t));
    for (size_t i = 0, first = 1; i < snap->zone_count; i++) {
        if (snap->zones[i].status != VX_OK)
            continue;
        vx__zdiff_describe(it->sets[i], what, sizeof what);
        vx__sb_add(sb, "%s%s: %s", first ? "" : ", ", snap->zones[i].provider, what);
        first = 0;
    }
    vx__sb_add(sb, ")");
}

static void zone_servers(const vx__snapshot *snap, vx__finding *f)
{
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->zone_count; i++) {
        const vx__zone_copy *z = &snap->zones[i];
        if (z->status == VX_OK && z->server &&
            vx__label_make(z->server, (const struct sockaddr *)&z->addr, label, sizeof label) ==
                VX_OK)
            vx__finding_add_server(f, label);
    }
}

VX__CHECK_FN(vx__chk_zone_differs)
{
    (void)cfg;
    vx__zdiff d;
    if (vx__zone_diff(snap->zones, snap->zone_count, &d) != VX_OK || d.count == 0) {
        vx__zdiff_free(&d);
        return;
    }
    vx__strbuf sb = {0};
    for (size_t i = 0; i < d.count && i < SHOWN_IN_MESSAGE; i++)
        describe_item(snap, &d.items[i], &sb);
    if (d.count > SHOWN_IN_MESSAGE)
        vx__sb_add(&sb, "; and %zu more", d.count - SHOWN_IN_MESSAGE);
    char dom[VX__NAME_TEXT_MAX];
    vx__name_show(snap->domain, dom, sizeof dom);
    vx__finding *f =
        vx__finding_add(out, "ZONE-DIFFERS",
                        "the copies of %s that %zu providers transfer differ in %zu RRset%s: %s",
                        dom, d.compared, d.count, d.count == 1 ? "" : "s", vx__sb_str(&sb));
    zone_servers(snap, f);
    for (size_t i = 0; f && i < d.count; i++) {
        char key[VX__NAME_TEXT_MAX + 20], n[VX__NAME_TEXT_MAX], t[16];
        vx__name_show(d.items[i].owner, n, sizeof n);
        snprintf(key, sizeof key, "%s %s", n, vx__rrtype_to_text(d.items[i].type, t, sizeof t));
        vx__finding_add_name(f, key);
    }
    vx__sb_free(&sb);
    vx__zdiff_free(&d);
}
