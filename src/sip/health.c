/*
 * sip/health.c — owns the target health table (rules in health.h): hold-down with doubling and
 * forgetting, and the per-URI preferred target. Both tables are small fixed arrays searched
 * linearly: a SIP client talks to a handful of targets.
 */
#include "sip/health.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "voxdns/status.h"
#include "wire/addr.h"

typedef struct entry {
    bool used;
    vx__sip_transport transport;
    struct sockaddr_storage addr;
    unsigned strikes;    /* failed holds in a row: the doubling exponent */
    uint64_t held_until; /* the end of the current or last hold */
} entry;

typedef struct affinity {
    char *uri;
    vx__sip_transport transport;
    struct sockaddr_storage addr;
    uint64_t at; /* of the success: the oldest is replaced when the table is full */
} affinity;

struct vx__sip_health {
    uint32_t base_ms, max_ms;
    entry e[VX__SIP_HEALTH_MAX];
    affinity a[VX__SIP_AFFINITY_MAX];
};

int vx__sip_health_new(uint32_t base_ms, uint32_t max_ms, vx__sip_health **out)
{
    base_ms = base_ms ? base_ms : VX__SIP_HOLD_BASE_MS;
    max_ms = max_ms ? max_ms : VX__SIP_HOLD_MAX_MS;
    if (!out || base_ms > max_ms)
        return VX_EINVAL;
    vx__sip_health *h = calloc(1, sizeof(*h));
    if (!h)
        return VX_ENOMEM;
    h->base_ms = base_ms;
    h->max_ms = max_ms;
    *out = h;
    return VX_OK;
}

void vx__sip_health_free(vx__sip_health *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < VX__SIP_AFFINITY_MAX; i++)
        free(h->a[i].uri);
    free(h);
}

static bool same(vx__sip_transport t1, const struct sockaddr *a1, vx__sip_transport t2,
                 const struct sockaddr_storage *a2)
{
    return t1 == t2 && vx__addr_equal(a1, (const struct sockaddr *)a2);
}

static entry *find(const vx__sip_health *h, vx__sip_transport t, const struct sockaddr *sa)
{
    for (size_t i = 0; i < VX__SIP_HEALTH_MAX; i++)
        if (h->e[i].used && same(t, sa, h->e[i].transport, &h->e[i].addr))
            return (entry *)&h->e[i];
    return NULL;
}

/* A free slot, or the one whose hold ended first (forgotten soonest anyway). */
static entry *slot(vx__sip_health *h)
{
    entry *oldest = &h->e[0];
    for (size_t i = 0; i < VX__SIP_HEALTH_MAX; i++) {
        if (!h->e[i].used)
            return &h->e[i];
        if (h->e[i].held_until < oldest->held_until)
            oldest = &h->e[i];
    }
    return oldest;
}

static void copy_addr(struct sockaddr_storage *dst, const struct sockaddr *sa)
{
    memset(dst, 0, sizeof(*dst));
    memcpy(dst, sa, vx__addr_len(sa));
}

static uint64_t hold_ms(const vx__sip_health *h, unsigned strikes, uint32_t hint_ms)
{
    uint64_t ms = h->base_ms;
    for (unsigned i = 1; i < strikes && ms < h->max_ms; i++)
        ms *= 2;
    if (hint_ms > ms)
        ms = hint_ms;
    return ms < h->max_ms ? ms : h->max_ms;
}

static void drop_affinity_to(vx__sip_health *h, vx__sip_transport t, const struct sockaddr *sa)
{
    for (size_t i = 0; i < VX__SIP_AFFINITY_MAX; i++) {
        if (h->a[i].uri && same(t, sa, h->a[i].transport, &h->a[i].addr)) {
            free(h->a[i].uri);
            h->a[i].uri = NULL;
        }
    }
}

uint64_t vx__sip_health_failed(vx__sip_health *h, vx__sip_transport t, const struct sockaddr *sa,
                               uint64_t now, uint32_t hint_ms)
{
    entry *e = find(h, t, sa);
    drop_affinity_to(h, t, sa);
    if (e && now >= e->held_until + h->max_ms)
        e->strikes = 0; /* the last hold ended long ago: start over */
    if (!e) {
        e = slot(h);
        *e = (entry){.used = true, .transport = t};
        copy_addr(&e->addr, sa);
    }
    if (now < e->held_until) { /* already held: only a longer hint extends it */
        uint64_t hinted = now + (hint_ms < h->max_ms ? hint_ms : h->max_ms);
        if (hinted > e->held_until)
            e->held_until = hinted;
        return e->held_until;
    }
    e->strikes++;
    e->held_until = now + hold_ms(h, e->strikes, hint_ms);
    return e->held_until;
}

static affinity *affinity_slot(vx__sip_health *h, const char *uri)
{
    affinity *oldest = &h->a[0];
    for (size_t i = 0; i < VX__SIP_AFFINITY_MAX; i++)
        if (h->a[i].uri && strcasecmp(h->a[i].uri, uri) == 0)
            return &h->a[i];
    for (size_t i = 0; i < VX__SIP_AFFINITY_MAX; i++) {
        if (!h->a[i].uri)
            return &h->a[i];
        if (h->a[i].at < oldest->at)
            oldest = &h->a[i];
    }
    return oldest;
}

void vx__sip_health_succeeded(vx__sip_health *h, const char *uri, vx__sip_transport t,
                              const struct sockaddr *sa, uint64_t now)
{
    entry *e = find(h, t, sa);
    if (e)
        memset(e, 0, sizeof(*e));
    if (!uri)
        return;
    affinity *a = affinity_slot(h, uri);
    if (!a->uri || strcasecmp(a->uri, uri) != 0) {
        char *copy = strdup(uri);
        if (!copy)
            return; /* out of memory: no affinity, which is only a preference */
        free(a->uri);
        a->uri = copy;
    }
    a->transport = t;
    copy_addr(&a->addr, sa);
    a->at = now;
}

bool vx__sip_health_held(const vx__sip_health *h, vx__sip_transport t, const struct sockaddr *sa,
                         uint64_t now, uint64_t *until)
{
    const entry *e = find(h, t, sa);
    bool held = e && now < e->held_until;
    if (until)
        *until = held ? e->held_until : 0;
    return held;
}

bool vx__sip_health_preferred(const vx__sip_health *h, const char *uri, vx__sip_transport *t,
                              struct sockaddr_storage *ss)
{
    for (size_t i = 0; uri && i < VX__SIP_AFFINITY_MAX; i++) {
        if (h->a[i].uri && strcasecmp(h->a[i].uri, uri) == 0) {
            *t = h->a[i].transport;
            *ss = h->a[i].addr;
            return true;
        }
    }
    return false;
}
