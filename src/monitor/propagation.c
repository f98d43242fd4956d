/*
 * monitor/propagation.c — owns the propagation trackings: per domain the roster of its servers
 * (from the last full audit) and at most one tracking, a copy of the roster taken at its start
 * with each server's poll schedule and outcome. No I/O and no clock of its own: the caller says
 * what time it is (monitor/prop_driver.c on the loop, the unit tests on a virtual clock).
 *
 * Sized for 100,000 domains: each is found through a hash index (every full audit asks for its
 * domain three times: a scan of the list made the first cycle quadratic), its roster keeps its
 * strings at their length (a vx__prop_server is ~2.3 KB of fixed arrays, made only for the
 * rare tracking), and the domains with a tracking are listed apart, so that the timer's
 * questions (next_ms, due) do not walk every domain.
 */
#include "monitor/propagation.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "voxdns/status.h"

typedef struct srv_track {
    uint64_t next_ms;     /* next poll */
    uint64_t interval_ms; /* 0 before the first answer */
    uint64_t served_ms;
    bool in_flight, done, slow, gave_up;
} srv_track;

/* A server's address in 28 bytes, not sockaddr_storage's 128 (name servers are IPv4 or
 * IPv6); with the label and provider in one block, a roster entry takes ~110 bytes less of
 * the heap (56 bytes and one block instead of 152 and two). */
typedef union roster_addr {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} roster_addr;

/* A server of the roster, as vx__prop_server without its fixed-size arrays. */
typedef struct roster_entry {
    char *label;    /* "label\0provider\0", one block */
    char *provider; /* inside label's block */
    roster_addr addr;
    bool has_serial;
    uint32_t serial;
} roster_entry;

typedef struct domain_prop {
    char *name;
    roster_entry *roster;
    size_t roster_count;
    bool dual;
    uint64_t slow_ms;
    bool top_known; /* the roster's newest serial */
    uint32_t top;
    /* the tracking */
    bool tracking;
    uint64_t id;
    uint32_t serial;
    bool newer_than; /* target: any serial newer than serial (a NOTIFY without one) */
    vx__prop_origin origin;
    uint64_t origin_ms;
    vx__prop_server *servers; /* the roster when it started */
    srv_track *st;
    size_t count;
} domain_prop;

struct vx__prop {
    vx__prop_hooks hooks;
    domain_prop *d;
    size_t count, cap;
    uint64_t next_id;
    uint32_t *slots; /* the index: 1 + a domain's position, by name hash (open addressing) */
    size_t slot_count;
    size_t *tracked; /* positions of the domains with a tracking */
    size_t tracked_count, tracked_cap;
};

/* RFC 1982: a < b in serial number arithmetic. */
static bool serial_lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u;
}

static bool reaches(const domain_prop *d, uint32_t s)
{
    return d->newer_than ? serial_lt(d->serial, s) : s == d->serial || serial_lt(d->serial, s);
}

vx__prop *vx__prop_new(const vx__prop_hooks *hooks)
{
    vx__prop *p = calloc(1, sizeof *p);
    if (p && hooks)
        p->hooks = *hooks;
    return p;
}

static void clear_tracking(domain_prop *d)
{
    free(d->servers);
    free(d->st);
    d->servers = NULL;
    d->st = NULL;
    d->count = 0;
    d->tracking = false;
}

static void roster_free(roster_entry *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        free(r[i].label);
    free(r);
}

/* The roster's copy of a server; false when out of memory. */
static bool roster_set(roster_entry *r, const vx__prop_server *s)
{
    size_t label = strlen(s->label) + 1, provider = strlen(s->provider) + 1;
    *r = (roster_entry){
        .label = malloc(label + provider), .has_serial = s->has_serial, .serial = s->serial};
    if (!r->label)
        return false;
    memcpy(r->label, s->label, label);
    r->provider = memcpy(r->label + label, s->provider, provider);
    memcpy(&r->addr, &s->addr,
           s->addr.ss_family == AF_INET ? sizeof r->addr.v4 : sizeof r->addr.v6);
    return true;
}

static void clear_domain(domain_prop *d)
{
    clear_tracking(d);
    roster_free(d->roster, d->roster_count);
    free(d->name);
}

void vx__prop_free(vx__prop *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        clear_domain(&p->d[i]);
    free(p->d);
    free(p->slots);
    free(p->tracked);
    free(p);
}

static size_t name_slot(const char *name, size_t slot_count)
{
    uint64_t h = vx__hash_text(name);
    return (size_t)(h ^ (h >> 32)) & (slot_count - 1);
}

static void index_all(const vx__prop *p, uint32_t *slots, size_t slot_count)
{
    memset(slots, 0, slot_count * sizeof *slots);
    for (size_t i = 0; i < p->count; i++) {
        size_t at = name_slot(p->d[i].name, slot_count);
        while (slots[at])
            at = (at + 1) & (slot_count - 1);
        slots[at] = (uint32_t)(i + 1);
    }
}

/* A larger index; false when out of memory. */
static bool reindex(vx__prop *p, size_t slot_count)
{
    uint32_t *slots = calloc(slot_count, sizeof *slots);
    if (!slots)
        return false;
    index_all(p, slots, slot_count);
    free(p->slots);
    p->slots = slots;
    p->slot_count = slot_count;
    return true;
}

static domain_prop *find(const vx__prop *p, const char *domain)
{
    if (!p->slot_count)
        return NULL;
    for (size_t at = name_slot(domain, p->slot_count); p->slots[at];
         at = (at + 1) & (p->slot_count - 1))
        if (strcmp(p->d[p->slots[at] - 1].name, domain) == 0)
            return &p->d[p->slots[at] - 1];
    return NULL;
}

static domain_prop *find_or_add(vx__prop *p, const char *domain)
{
    domain_prop *d = find(p, domain);
    if (d || strlen(domain) >= VX__NAME_TEXT_MAX || p->count >= UINT32_MAX - 1)
        return d;
    if ((p->count + 1) * 2 > p->slot_count && !reindex(p, p->slot_count ? p->slot_count * 2 : 64))
        return NULL;
    domain_prop *items = vx__grow(p->d, &p->cap, p->count + 1, sizeof *items, 8);
    char *name = items ? strdup(domain) : NULL;
    if (!name)
        return NULL;
    p->d = items;
    d = &p->d[p->count++];
    memset(d, 0, sizeof *d);
    d->name = name;
    size_t at = name_slot(domain, p->slot_count);
    while (p->slots[at])
        at = (at + 1) & (p->slot_count - 1);
    p->slots[at] = (uint32_t)p->count;
    return d;
}

/* The roster as the hooks and states show it (the tracking's copy); NULL when out of memory. */
static vx__prop_server *roster_expand(const domain_prop *d)
{
    vx__prop_server *out = calloc(d->roster_count ? d->roster_count : 1, sizeof *out);
    for (size_t i = 0; out && i < d->roster_count; i++) {
        const roster_entry *r = &d->roster[i];
        snprintf(out[i].label, sizeof out[i].label, "%s", r->label);
        snprintf(out[i].provider, sizeof out[i].provider, "%s", r->provider);
        memcpy(&out[i].addr, &r->addr, sizeof r->addr);
        out[i].has_serial = r->has_serial;
        out[i].serial = r->serial;
    }
    return out;
}

/* A new tracking of target from origin_ms: every server of the roster polled from now_ms. */
static int start(vx__prop *p, domain_prop *d, uint32_t target, bool newer_than,
                 vx__prop_origin origin, uint64_t origin_ms)
{
    size_t n = d->roster_count;
    vx__prop_server *servers = roster_expand(d);
    srv_track *st = calloc(n ? n : 1, sizeof *st);
    size_t *tracked = d->tracking ? p->tracked
                                  : vx__grow(p->tracked, &p->tracked_cap, p->tracked_count + 1,
                                             sizeof *p->tracked, 16);
    if (!servers || !st || !tracked) {
        free(servers);
        free(st);
        return VX_ENOMEM;
    }
    p->tracked = tracked;
    if (!d->tracking)
        p->tracked[p->tracked_count++] = (size_t)(d - p->d);
    clear_tracking(d);
    for (size_t i = 0; i < n; i++)
        st[i].next_ms = origin_ms;
    d->tracking = true;
    d->id = ++p->next_id;
    d->serial = target;
    d->newer_than = newer_than;
    d->origin = origin;
    d->origin_ms = origin_ms;
    d->servers = servers;
    d->st = st;
    d->count = n;
    return VX_OK;
}

static bool newest_of(const roster_entry *s, size_t n, uint32_t *top)
{
    bool known = false;
    for (size_t i = 0; i < n; i++)
        if (s[i].has_serial && (!known || serial_lt(*top, s[i].serial))) {
            *top = s[i].serial;
            known = true;
        }
    return known;
}

/* The cycle that first sees a newer serial starts a tracking unless one already covers it. */
static int sighting(vx__prop *p, domain_prop *d, bool had_top, uint32_t old_top, uint64_t seen)
{
    if (d->dual || !d->top_known || !had_top || !serial_lt(old_top, d->top))
        return VX_OK;
    if (d->tracking && reaches(d, d->top))
        return VX_OK;
    int rc = start(p, d, d->top, false, VX__PROP_SIGHTING, seen);
    for (size_t i = 0; rc == VX_OK && i < d->count; i++)
        if (d->servers[i].has_serial && reaches(d, d->servers[i].serial)) {
            d->st[i].done = true; /* already there: when it got there is not known */
            d->st[i].served_ms = seen;
        }
    return rc;
}

int vx__prop_set_servers(vx__prop *p, const char *domain, const vx__prop_server *servers,
                         size_t count, bool dual_primary, uint64_t slow_ms, uint64_t seen_ms)
{
    domain_prop *d = find_or_add(p, domain);
    roster_entry *copy = calloc(count ? count : 1, sizeof *copy);
    bool ok = d && copy;
    for (size_t i = 0; ok && i < count; i++)
        ok = roster_set(&copy[i], &servers[i]);
    if (!ok) {
        roster_free(copy, count);
        return VX_ENOMEM;
    }
    roster_free(d->roster, d->roster_count);
    d->roster = copy;
    d->roster_count = count;
    d->dual = dual_primary;
    d->slow_ms = slow_ms;
    bool had_top = d->top_known;
    uint32_t old_top = d->top;
    d->top_known = newest_of(copy, count, &d->top);
    return sighting(p, d, had_top, old_top, seen_ms);
}

/* Is the target (s, or anything newer than s) newer than the one tracked? A repeated NOTIFY is
 * not: the primary sends it again until answered, and a restart would lose the time. */
static bool supersedes(const domain_prop *d, uint32_t s, bool newer_than)
{
    if (!d->tracking)
        return true;
    if (newer_than && !d->newer_than)
        return s == d->serial || serial_lt(d->serial, s);
    return serial_lt(d->serial, s);
}

int vx__prop_notify(vx__prop *p, const char *domain, bool has_serial, uint32_t serial,
                    uint64_t now_ms)
{
    domain_prop *d = find(p, domain);
    if (!d || d->dual || d->roster_count == 0 || (!has_serial && !d->top_known))
        return VX_ENOTFOUND;
    uint32_t target = has_serial ? serial : d->top;
    if (!supersedes(d, target, !has_serial))
        return VX_EINVAL;
    return start(p, d, target, !has_serial, VX__PROP_NOTIFY, now_ms);
}

static void check_deadlines(vx__prop *p, domain_prop *d, size_t i, uint64_t now_ms)
{
    srv_track *t = &d->st[i];
    uint64_t age = now_ms > d->origin_ms ? now_ms - d->origin_ms : 0;
    if (!t->slow && age >= d->slow_ms) {
        t->slow = true;
        if (p->hooks.slow)
            p->hooks.slow(p->hooks.arg, d->name, &d->servers[i], d->serial, (double)age / 1e3);
    }
    if (age >= VX__PROP_GIVE_UP_MS)
        t->gave_up = true;
}

size_t vx__prop_due(vx__prop *p, uint64_t now_ms, vx__prop_poll *out, size_t cap)
{
    size_t n = 0;
    for (size_t k = 0; k < p->tracked_count; k++) {
        domain_prop *d = &p->d[p->tracked[k]];
        for (size_t i = 0; d->tracking && i < d->count; i++) {
            srv_track *t = &d->st[i];
            if (t->done || t->gave_up)
                continue;
            check_deadlines(p, d, i, now_ms);
            if (t->gave_up || t->in_flight || t->next_ms > now_ms || n >= cap)
                continue;
            t->in_flight = true;
            out[n] = (vx__prop_poll){.addr = d->servers[i].addr, .tracking = d->id, .server = i};
            strcpy(out[n++].domain, d->name);
        }
    }
    return n;
}

void vx__prop_answer(vx__prop *p, const vx__prop_poll *poll, bool ok, uint32_t serial,
                     uint64_t now_ms)
{
    domain_prop *d = find(p, poll->domain);
    if (!d || !d->tracking || d->id != poll->tracking || poll->server >= d->count)
        return; /* a replaced tracking's answer */
    srv_track *t = &d->st[poll->server];
    t->in_flight = false;
    if (t->done || t->gave_up)
        return;
    if (ok && reaches(d, serial)) {
        t->done = true;
        t->served_ms = now_ms;
        double s = (double)(now_ms > d->origin_ms ? now_ms - d->origin_ms : 0) / 1e3;
        if (p->hooks.measured)
            p->hooks.measured(p->hooks.arg, d->name, &d->servers[poll->server], serial, d->origin,
                              s, t->slow);
        return;
    }
    t->interval_ms = t->interval_ms ? t->interval_ms * 2 : VX__PROP_FIRST_MS;
    if (t->interval_ms > VX__PROP_MAX_INTERVAL_MS)
        t->interval_ms = VX__PROP_MAX_INTERVAL_MS;
    t->next_ms = now_ms + t->interval_ms;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t vx__prop_next_ms(const vx__prop *p)
{
    uint64_t next = UINT64_MAX;
    for (size_t k = 0; k < p->tracked_count; k++) {
        const domain_prop *d = &p->d[p->tracked[k]];
        for (size_t i = 0; d->tracking && i < d->count; i++) {
            const srv_track *t = &d->st[i];
            if (t->done || t->gave_up)
                continue;
            if (!t->in_flight)
                next = min_u64(next, t->next_ms);
            next = min_u64(next, d->origin_ms + (t->slow ? VX__PROP_GIVE_UP_MS : d->slow_ms));
        }
    }
    return next;
}

size_t vx__prop_states(const vx__prop *p, const char *domain, vx__prop_state *out, size_t cap)
{
    const domain_prop *d = find(p, domain);
    size_t n = 0;
    for (size_t i = 0; d && d->tracking && i < d->count && n < cap; i++)
        out[n++] = (vx__prop_state){.server = &d->servers[i],
                                    .serial = d->serial,
                                    .origin_ms = d->origin_ms,
                                    .notify = d->origin == VX__PROP_NOTIFY,
                                    .served_ms = d->st[i].served_ms,
                                    .slow = d->st[i].slow,
                                    .gave_up = d->st[i].gave_up};
    return n;
}

void vx__prop_keep_only(vx__prop *p, const char *const *names, size_t count)
{
    bool *keep = calloc(p->count ? p->count : 1, sizeof *keep);
    for (size_t j = 0; j < count; j++) {
        const domain_prop *d = find(p, names[j]);
        if (d && keep)
            keep[d - p->d] = true;
    }
    size_t kept = 0;
    p->tracked_count = 0;
    for (size_t k = 0; k < p->count; k++) {
        if (keep && !keep[k]) {
            clear_domain(&p->d[k]);
            continue;
        }
        p->d[kept] = p->d[k];
        if (p->d[kept].tracking) /* fits: the list had every tracking before */
            p->tracked[p->tracked_count++] = kept;
        kept++;
    }
    free(keep);
    p->count = kept;
    if (p->slot_count) /* positions moved; fewer domains fit the same index */
        index_all(p, p->slots, p->slot_count);
}
