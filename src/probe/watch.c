/*
 * probe/watch.c — owns watch plans and the quiet probe (see watch.h): which of an audit's
 * observations become a plan, the daemon-wide table of server addresses, and asking a plan's
 * questions again and comparing the answers' fingerprints.
 */
#include "probe/watch.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/fingerprint.h"
#include "wire/query.h"

/* --- the server table ----------------------------------------------------------------------- */

void vx__watch_servers_init(vx__watch_servers *t)
{
    memset(t, 0, sizeof(*t));
}

void vx__watch_servers_clear(vx__watch_servers *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i].name);
    free(t->items);
    free(t->slots);
    vx__watch_servers_init(t);
}

static uint64_t server_hash(const char *name, const struct sockaddr *addr)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *c = name; *c; c++) {
        h ^= (unsigned char)(*c | 0x20);
        h *= 0x100000001b3ull;
    }
    const uint8_t *a = (const uint8_t *)addr;
    for (size_t i = 0; i < vx__addr_len(addr); i++) {
        h ^= a[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static bool server_is(const vx__watch_server *s, const char *name, const struct sockaddr *addr)
{
    return strcasecmp(s->name, name) == 0 &&
           vx__addr_equal((const struct sockaddr *)&s->addr, addr);
}

static int rehash(vx__watch_servers *t, size_t slot_count)
{
    uint32_t *slots = calloc(slot_count, sizeof(*slots));
    if (!slots)
        return VX_ENOMEM;
    for (size_t i = 0; i < t->count; i++) {
        const vx__watch_server *s = &t->items[i];
        size_t at = server_hash(s->name, (const struct sockaddr *)&s->addr) & (slot_count - 1);
        while (slots[at])
            at = (at + 1) & (slot_count - 1);
        slots[at] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->slot_count = slot_count;
    return VX_OK;
}

int vx__watch_servers_intern(vx__watch_servers *t, const char *name, const struct sockaddr *addr,
                             uint32_t *index)
{
    if ((t->count + 1) * 2 > t->slot_count && rehash(t, t->slot_count ? t->slot_count * 2 : 64))
        return VX_ENOMEM;
    size_t at = server_hash(name, addr) & (t->slot_count - 1);
    for (; t->slots[at]; at = (at + 1) & (t->slot_count - 1)) {
        if (server_is(&t->items[t->slots[at] - 1], name, addr)) {
            *index = t->slots[at] - 1;
            return VX_OK;
        }
    }
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        vx__watch_server *items = realloc(t->items, cap * sizeof(*items));
        if (!items)
            return VX_ENOMEM;
        t->items = items;
        t->cap = cap;
    }
    vx__watch_server *s = &t->items[t->count];
    memset(s, 0, sizeof(*s));
    if (!(s->name = strdup(name)))
        return VX_ENOMEM;
    memcpy(&s->addr, addr, vx__addr_len(addr));
    t->slots[at] = (uint32_t)t->count + 1;
    *index = (uint32_t)t->count++;
    return VX_OK;
}

/* --- plans ---------------------------------------------------------------------------------- */

void vx__watch_plan_free(vx__watch_plan *plan)
{
    if (!plan)
        return;
    free(plan->names);
    free(plan->q);
    free(plan);
}

/* The questions that carry the domain's data; the audit's variants of the SOA question (TCP,
 * no EDNS), AXFR, version.bind and recursion probes only feed checks, audited in full. */
static bool watched_kind(const vx__observation *o)
{
    switch (o->kind) {
    case VX__PROBE_DATA:
    case VX__PROBE_PARENT:
    case VX__PROBE_DS:
    case VX__PROBE_RESOLVE:
        return !(o->qflags & VX__Q_TCP);
    default:
        return false;
    }
}

static int add_name(vx__watch_plan *p, size_t *cap, const char *name, uint32_t *offset)
{
    for (size_t at = 0; at < p->names_len; at += strlen(p->names + at) + 1) {
        if (strcmp(p->names + at, name) == 0) {
            *offset = (uint32_t)at;
            return VX_OK;
        }
    }
    size_t n = strlen(name) + 1;
    if (p->names_len + n > UINT32_MAX)
        return VX_ENOMEM;
    if (p->names_len + n > *cap) {
        size_t bigger = (*cap ? *cap * 2 : 256) + n;
        char *names = realloc(p->names, bigger);
        if (!names)
            return VX_ENOMEM;
        p->names = names;
        *cap = bigger;
    }
    memcpy(p->names + p->names_len, name, n);
    *offset = (uint32_t)p->names_len;
    p->names_len += n;
    return VX_OK;
}

static int add_question(vx__watch_plan *p, vx__watch_servers *servers, const vx__observation *o,
                        size_t *names_cap)
{
    vx__watch_question *q = &p->q[p->count];
    memset(q, 0, sizeof(*q));
    int rc = add_name(p, names_cap, o->qname, &q->qname);
    if (rc == VX_OK)
        rc = vx__watch_servers_intern(servers, o->server, (const struct sockaddr *)&o->addr,
                                      &q->server);
    q->fingerprint = o->fingerprint;
    q->qtype = o->qtype;
    q->qclass = o->qclass;
    q->kind = (uint8_t)o->kind;
    q->qflags = (uint8_t)o->qflags;
    if (rc == VX_OK)
        p->count++;
    return rc;
}

static int add_observations(vx__watch_plan *p, vx__watch_servers *servers, const vx__snapshot *snap,
                            size_t *names_cap)
{
    int rc = VX_OK;
    for (size_t i = 0; rc == VX_OK && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (!watched_kind(o))
            continue;
        if (o->kind == VX__PROBE_RESOLVE && (!o->server || !*o->server || !o->addr.ss_family))
            continue; /* a look-up that never reached a server: nothing to ask again */
        if (o->status != VX_OK || o->fingerprint == 0)
            rc = VX_ENOTFOUND;
        else
            rc = add_question(p, servers, o, names_cap);
    }
    return rc;
}

/* Room for every observation of the snapshot and its alternate domains' snapshots. */
static size_t obs_total(const vx__snapshot *snap)
{
    size_t n = snap->obs_count;
    for (size_t i = 0; i < snap->alt_count; i++)
        n += snap->alt[i] ? snap->alt[i]->obs_count : 0;
    return n ? n : 1;
}

int vx__watch_plan_build(const vx__snapshot *snap, vx__watch_servers *servers, vx__watch_plan **out)
{
    *out = NULL;
    if (!snap || !snap->domain || !servers)
        return VX_EINVAL;
    vx__watch_plan *p = calloc(1, sizeof(*p));
    if (!p || !(p->q = calloc(obs_total(snap), sizeof(*p->q)))) {
        vx__watch_plan_free(p);
        return VX_ENOMEM;
    }
    p->audited_ms = snap->started_ms;
    size_t names_cap = 0;
    uint32_t apex;
    int rc = add_name(p, &names_cap, snap->domain, &apex);
    if (rc == VX_OK)
        rc = add_observations(p, servers, snap, &names_cap);
    for (size_t i = 0; rc == VX_OK && i < snap->alt_count; i++)
        rc = snap->alt[i] ? add_observations(p, servers, snap->alt[i], &names_cap) : VX_OK;
    if (rc == VX_OK && p->count == 0)
        rc = VX_ENOTFOUND;
    if (rc != VX_OK) {
        vx__watch_plan_free(p);
        return rc;
    }
    *out = p;
    return VX_OK;
}

/* --- the quiet probe ------------------------------------------------------------------------ */

typedef struct watch {
    const vx__watch_plan *plan;
    vx__watch_answer *answers;
    size_t pending;
    bool unchanged;
    vx__watch_done_cb done;
    void *arg;
} watch;

typedef struct watch_query {
    watch *w;
    size_t index;
} watch_query;

static void finish(watch *w)
{
    w->done(w->arg, w->answers, w->unchanged);
    free(w->answers);
    free(w);
}

static void on_answer(void *arg, const vx__query_result *r)
{
    watch_query *wq = arg;
    watch *w = wq->w;
    vx__watch_answer *a = &w->answers[wq->index];
    uint64_t fp = 0;
    a->status = r->status;
    a->rtt_ms = r->rtt_ms;
    a->rcode = r->status == VX_OK && r->wire_len >= VX__HEADER_LEN ? VX__RCODE(r->wire[3]) : 0;
    a->same = r->status == VX_OK &&
              vx__wire_fingerprint(r->wire, r->wire_len, true, &fp) == VX_OK &&
              fp == w->plan->q[wq->index].fingerprint;
    w->unchanged = w->unchanged && a->same;
    free(wq);
    if (--w->pending == 0)
        finish(w);
}

int vx__watch_addresses(const vx__watch_plan *plan, const vx__watch_servers *servers,
                        struct sockaddr_storage **out)
{
    *out = NULL;
    if (!plan || !servers || plan->count == 0)
        return VX_EINVAL;
    struct sockaddr_storage *addrs = malloc(plan->count * sizeof(*addrs));
    if (!addrs)
        return VX_ENOMEM;
    for (size_t i = 0; i < plan->count; i++) {
        if (plan->q[i].server >= servers->count) {
            free(addrs);
            return VX_EINVAL;
        }
        addrs[i] = servers->items[plan->q[i].server].addr;
    }
    *out = addrs;
    return VX_OK;
}

int vx__watch_start(vx__engine *engine, const vx__watch_plan *plan,
                    const struct sockaddr_storage *addrs, vx__watch_done_cb done, void *arg)
{
    if (!engine || !plan || !addrs || !done || plan->count == 0)
        return VX_EINVAL;
    watch *w = calloc(1, sizeof(*w));
    if (!w || !(w->answers = calloc(plan->count, sizeof(*w->answers)))) {
        free(w);
        return VX_ENOMEM;
    }
    *w = (watch){.plan = plan, .answers = w->answers, .unchanged = true, .done = done, .arg = arg};
    /* One extra count while asking: a failure to ask completes the watch only at the end. */
    w->pending = 1;
    for (size_t i = 0; i < plan->count; i++) {
        const vx__watch_question *q = &plan->q[i];
        vx__question question;
        watch_query *wq = NULL;
        int rc = vx__question_from_text(vx__watch_qname(plan, q), q->qtype, q->qclass, &question);
        if (rc == VX_OK && !(wq = malloc(sizeof(*wq))))
            rc = VX_ENOMEM;
        if (rc == VX_OK) {
            *wq = (watch_query){.w = w, .index = i};
            vx__query_spec spec = {.server = (const struct sockaddr *)&addrs[i],
                                   .question = &question,
                                   .flags = q->qflags};
            rc = vx__engine_query(engine, &spec, on_answer, wq);
        }
        if (rc != VX_OK) {
            free(wq);
            w->answers[i] = (vx__watch_answer){.status = rc};
            w->unchanged = false;
            continue;
        }
        w->pending++;
    }
    if (--w->pending == 0) { /* nothing could be asked: no callback (engine.h's rule) */
        free(w->answers);
        free(w);
        return VX_ENETWORK;
    }
    return VX_OK;
}
