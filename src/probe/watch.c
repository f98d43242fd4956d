/*
 * probe/watch.c — owns watch plans and the quiet probe (see watch.h): which of an audit's
 * observations become a plan, the daemon-wide table of server addresses, asking a plan's
 * questions again and comparing the answers' fingerprints, and the text form a plan is stored
 * in so that a restarted monitor starts quiet.
 */
#include "probe/watch.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "common/hash.h"
#include "probe/watch_ep.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/fingerprint.h"
#include "wire/name.h"
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
    uint64_t h = VX__HASH_SEED;
    for (const char *c = name; *c; c++) {
        unsigned char folded = (unsigned char)(*c | 0x20); /* names compare without case */
        h = vx__hash_bytes(h, &folded, 1);
    }
    h = vx__hash_bytes(h, addr, vx__addr_len(addr));
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
    vx__watch_server *items = vx__grow(t->items, &t->cap, t->count + 1, sizeof *items, 64);
    if (!items)
        return VX_ENOMEM;
    t->items = items;
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
    vx__ep_watch_free(plan->endpoints);
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
    case VX__PROBE_FOREIGN:
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
    char *names = vx__grow(p->names, cap, p->names_len + n, 1, 256);
    if (!names)
        return VX_ENOMEM;
    p->names = names;
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
    /* Kept for a long time, by the hundred thousand: no slack. */
    vx__watch_question *q = realloc(p->q, p->count * sizeof(*q));
    char *names = realloc(p->names, p->names_len);
    p->q = q ? q : p->q;
    p->names = names ? names : p->names;
    *out = p;
    return VX_OK;
}

/* --- the quiet probe ------------------------------------------------------------------------ */

typedef struct watch_query {
    struct watch *w;
    size_t index;
} watch_query;

typedef struct watch {
    const vx__watch_plan *plan;
    vx__watch_answer *answers;
    watch_query *queries; /* one per question, allocated with the watch */
    size_t pending;
    bool unchanged;
    vx__watch_done_cb done;
    void *arg;
} watch;

/* What a response says, reduced to what a watch compares. */
typedef struct result {
    int status;
    uint16_t rcode;
    double rtt_ms;
    bool has_fp;
    uint64_t fp;
} result;

static void finish(watch *w)
{
    w->done(w->arg, w->answers, w->unchanged);
    free(w->answers);
    free(w->queries);
    free(w);
}

static void result_of(const vx__query_result *r, result *out)
{
    *out = (result){.status = r->status, .rtt_ms = r->rtt_ms};
    if (r->status == VX_OK && r->wire_len >= VX__HEADER_LEN)
        out->rcode = VX__RCODE(r->wire[3]);
    out->has_fp =
        r->status == VX_OK && vx__wire_fingerprint(r->wire, r->wire_len, true, &out->fp) == VX_OK;
}

static void apply(watch *w, size_t index, const result *r)
{
    vx__watch_answer *a = &w->answers[index];
    a->status = r->status;
    a->rtt_ms = r->rtt_ms;
    a->rcode = r->rcode;
    a->same = r->has_fp && r->fp == w->plan->q[index].fingerprint;
    w->unchanged = w->unchanged && a->same;
}

static void settle_one(watch *w)
{
    if (--w->pending == 0)
        finish(w);
}

static void on_answer(void *arg, const vx__query_result *r)
{
    watch_query *wq = arg;
    watch *w = wq->w;
    result res;
    result_of(r, &res);
    apply(w, wq->index, &res);
    settle_one(w);
}

/* --- questions shared between domains ------------------------------------------------------- */

/* The look-ups of NS names' addresses (and of SRV targets outside the domain) are the same
 * question for every domain at one provider: within one round (a monitoring cycle) each is
 * asked once per shared cache and its answer given to every watch that needs it. */
typedef struct waiter {
    watch *w;
    size_t index;
    struct waiter *next;
} waiter;

typedef struct shared_q {
    char *key;
    uint64_t round;
    bool done;
    bool in_table; /* false once replaced by a newer round's entry while still in flight */
    result res;
    waiter *waiters;
    struct shared_q *next; /* hash chain */
} shared_q;

struct vx__watch_shared {
    shared_q **buckets;
    size_t bucket_count, count;
    uint64_t round;
};

vx__watch_shared *vx__watch_shared_new(void)
{
    vx__watch_shared *sh = calloc(1, sizeof(*sh));
    if (sh && !(sh->buckets = calloc(sh->bucket_count = 256, sizeof(*sh->buckets)))) {
        free(sh);
        sh = NULL;
    }
    return sh;
}

static void shared_q_free(shared_q *e)
{
    free(e->key);
    free(e);
}

void vx__watch_shared_free(vx__watch_shared *sh)
{
    for (size_t b = 0; sh && b < sh->bucket_count; b++) {
        for (shared_q *e = sh->buckets[b], *next; e; e = next) {
            next = e->next;
            if (e->done) {
                shared_q_free(e);
            } else {
                e->in_table = false; /* its query's callback frees it */
            }
        }
    }
    if (sh)
        free(sh->buckets);
    free(sh);
}

static size_t bucket_of(const vx__watch_shared *sh, const char *key)
{
    uint64_t h = vx__hash_text(key);
    return (size_t)(h ^ (h >> 32)) & (sh->bucket_count - 1);
}

/* A new round: answers of earlier rounds are no longer given out. */
static void start_round(vx__watch_shared *sh, uint64_t round)
{
    sh->round = round;
    for (size_t b = 0; b < sh->bucket_count; b++) {
        for (shared_q **p = &sh->buckets[b]; *p;) {
            shared_q *e = *p;
            if (e->round != round) {
                *p = e->next;
                sh->count--;
                e->in_table = false;
                if (e->done)
                    shared_q_free(e);
                continue;
            }
            p = &e->next;
        }
    }
}

static void grow(vx__watch_shared *sh)
{
    size_t n = sh->bucket_count * 2;
    shared_q **buckets = calloc(n, sizeof(*buckets));
    if (!buckets)
        return; /* longer chains, still correct */
    shared_q **old = sh->buckets;
    size_t old_n = sh->bucket_count;
    sh->buckets = buckets;
    sh->bucket_count = n;
    for (size_t b = 0; b < old_n; b++) {
        for (shared_q *e = old[b], *next; e; e = next) {
            next = e->next;
            size_t at = bucket_of(sh, e->key);
            e->next = buckets[at];
            buckets[at] = e;
        }
    }
    free(old);
}

static void on_shared_answer(void *arg, const vx__query_result *r)
{
    shared_q *e = arg;
    result_of(r, &e->res);
    e->done = true;
    waiter *list = e->waiters;
    e->waiters = NULL;
    bool orphan = !e->in_table;
    result res = e->res;
    if (orphan)
        shared_q_free(e);
    while (list) {
        waiter *wt = list;
        list = wt->next;
        apply(wt->w, wt->index, &res);
        watch *w = wt->w;
        free(wt);
        settle_one(w);
    }
}

static int shared_key(const vx__watch_plan *plan, const vx__watch_question *q,
                      const struct sockaddr_storage *addr, char *out, size_t cap)
{
    char a[VX__ADDR_TEXT_MAX + 8];
    if (vx__addr_format_port((const struct sockaddr *)addr, a, sizeof(a)) != 0)
        return VX_EINVAL;
    int n = snprintf(out, cap, "%s|%s|%u|%u|%u", a, vx__watch_qname(plan, q), q->qtype, q->qclass,
                     q->qflags);
    return n > 0 && (size_t)n < cap ? VX_OK : VX_EINVAL;
}

/* Question i of the watch through the shared cache: answered from it (*cached), waiting for
 * the round's query already in flight, or asking it for everyone. VX_OK or an error to treat
 * the question as not asked. */
static int ask_shared(vx__engine *engine, vx__watch_shared *sh, watch *w, size_t i,
                      const struct sockaddr_storage *addr, const vx__question *question,
                      bool *cached)
{
    char key[VX__NAME_TEXT_MAX + 96];
    const vx__watch_question *q = &w->plan->q[i];
    *cached = false;
    int rc = shared_key(w->plan, q, addr, key, sizeof(key));
    if (rc != VX_OK)
        return rc;
    shared_q *e = sh->buckets[bucket_of(sh, key)];
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    if (e && e->done) {
        apply(w, i, &e->res);
        *cached = true;
        return VX_OK;
    }
    waiter *wt = malloc(sizeof(*wt));
    if (!wt)
        return VX_ENOMEM;
    if (!e) {
        if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
            free(e);
            free(wt);
            return VX_ENOMEM;
        }
        e->round = sh->round;
        vx__query_spec spec = {
            .server = (const struct sockaddr *)addr, .question = question, .flags = q->qflags};
        if ((rc = vx__engine_query(engine, &spec, on_shared_answer, e)) != VX_OK) {
            shared_q_free(e);
            free(wt);
            return rc;
        }
        size_t at = bucket_of(sh, key);
        e->next = sh->buckets[at];
        sh->buckets[at] = e;
        e->in_table = true;
        if (++sh->count > sh->bucket_count)
            grow(sh);
    }
    *wt = (waiter){.w = w, .index = i, .next = e->waiters};
    e->waiters = wt;
    w->pending++;
    return VX_OK;
}

/* Questions about names outside the domain (look-ups, and those names asked of their own
 * zone's servers) are the same for every domain that points at them. */
static bool shared_kind(uint8_t kind)
{
    return kind == VX__PROBE_RESOLVE || kind == VX__PROBE_FOREIGN;
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

static int ask_own(vx__engine *engine, watch *w, size_t i, const struct sockaddr_storage *addr,
                   const vx__question *question)
{
    watch_query *wq = &w->queries[i];
    *wq = (watch_query){.w = w, .index = i};
    vx__query_spec spec = {.server = (const struct sockaddr *)addr,
                           .question = question,
                           .flags = w->plan->q[i].qflags};
    int rc = vx__engine_query(engine, &spec, on_answer, wq);
    if (rc == VX_OK)
        w->pending++;
    return rc;
}

int vx__watch_start(vx__engine *engine, const vx__watch_plan *plan,
                    const struct sockaddr_storage *addrs, vx__watch_shared *shared, uint64_t round,
                    vx__watch_done_cb done, void *arg)
{
    if (!engine || !plan || !addrs || !done || plan->count == 0)
        return VX_EINVAL;
    watch *w = calloc(1, sizeof(*w));
    vx__watch_answer *answers = w ? calloc(plan->count, sizeof(*answers)) : NULL;
    watch_query *queries = answers ? malloc(plan->count * sizeof(*queries)) : NULL;
    if (!queries) {
        free(answers);
        free(w);
        return VX_ENOMEM;
    }
    *w = (watch){.plan = plan,
                 .answers = answers,
                 .queries = queries,
                 .unchanged = true,
                 .done = done,
                 .arg = arg};
    if (shared && shared->round != round)
        start_round(shared, round);
    /* One extra count while asking: answers given at once do not finish the watch here. */
    w->pending = 1;
    size_t cached_one = SIZE_MAX;
    for (size_t i = 0; i < plan->count; i++) {
        const vx__watch_question *q = &plan->q[i];
        vx__question question;
        bool cached = false;
        int rc = vx__question_from_text(vx__watch_qname(plan, q), q->qtype, q->qclass, &question);
        if (rc == VX_OK && shared && shared_kind(q->kind))
            rc = ask_shared(engine, shared, w, i, &addrs[i], &question, &cached);
        else if (rc == VX_OK)
            rc = ask_own(engine, w, i, &addrs[i], &question);
        if (cached)
            cached_one = i;
        if (rc != VX_OK) {
            w->answers[i] = (vx__watch_answer){.status = rc};
            w->unchanged = false;
        }
    }
    /* Everything came from the cache: ask one again, so that the callback comes later. */
    if (w->pending == 1 && cached_one != SIZE_MAX) {
        vx__question question;
        const vx__watch_question *q = &plan->q[cached_one];
        if (vx__question_from_text(vx__watch_qname(plan, q), q->qtype, q->qclass, &question) ==
            VX_OK)
            ask_own(engine, w, cached_one, &addrs[cached_one], &question);
    }
    if (--w->pending == 0) { /* nothing could be asked: no callback (engine.h's rule) */
        free(w->answers);
        free(w->queries);
        free(w);
        return VX_ENETWORK;
    }
    return VX_OK;
}

/* --- the stored form ------------------------------------------------------------------------ */

/* Text, one item per line, servers and names by value (the server table's indexes do not
 * survive a restart):
 *   P <audited_ms> <audit_due_ms> <resolver_digest> <key>    (decimal, digests in hex)
 *   S <name> <address>     the plan's servers, numbered from 0 in order
 *   N <qname>              its names, numbered from 0 in order (the apex first)
 *   Q <fingerprint> <server#> <name#> <qtype> <qclass> <kind> <qflags>   */
typedef struct textbuf {
    char *s;
    size_t len, cap;
    bool oom;
} textbuf;

static void tb_add(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_add(textbuf *b, const char *fmt, ...)
{
    for (int pass = 0; pass < 2 && !b->oom; pass++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
        } else if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        } else {
            size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n + 1;
            char *s = realloc(b->s, cap);
            b->oom = !s;
            b->s = s ? s : b->s;
            b->cap = s ? cap : b->cap;
        }
    }
}

/* The plan's servers in order of first use: local number per question (malloc'd). */
static uint32_t *local_servers(const vx__watch_plan *p, uint32_t **order, size_t *count)
{
    uint32_t *local = malloc(p->count * sizeof(*local));
    *order = malloc(p->count * sizeof(**order));
    *count = 0;
    for (size_t i = 0; local && *order && i < p->count; i++) {
        size_t k = 0;
        while (k < *count && (*order)[k] != p->q[i].server)
            k++;
        if (k == *count)
            (*order)[(*count)++] = p->q[i].server;
        local[i] = (uint32_t)k;
    }
    if (!local || !*order) {
        free(local);
        free(*order);
        *order = NULL;
        return NULL;
    }
    return local;
}

static void encode_servers(textbuf *b, const vx__watch_servers *servers, const uint32_t *order,
                           size_t count)
{
    char addr[VX__ADDR_TEXT_MAX + 8];
    for (size_t k = 0; k < count; k++) {
        const vx__watch_server *s = &servers->items[order[k]];
        if (vx__addr_format_port((const struct sockaddr *)&s->addr, addr, sizeof(addr)) != 0)
            b->oom = true;
        tb_add(b, "S %s %s\n", s->name, addr);
    }
}

char *vx__watch_plan_encode(const vx__watch_plan *p, const vx__watch_servers *servers, uint64_t key)
{
    for (size_t i = 0; p && i < p->count; i++)
        if (p->q[i].server >= servers->count)
            return NULL;
    if (!p || p->count == 0)
        return NULL;
    uint32_t *order = NULL;
    size_t nserv = 0;
    uint32_t *local = local_servers(p, &order, &nserv);
    textbuf b = {0};
    b.oom = !local;
    tb_add(&b, "P %" PRIu64 " %" PRIu64 " %" PRIx64 " %" PRIx64 "\n", p->audited_ms,
           p->audit_due_ms, p->resolver_digest, key);
    if (!b.oom)
        encode_servers(&b, servers, order, nserv);
    for (size_t at = 0; at < p->names_len; at += strlen(p->names + at) + 1)
        tb_add(&b, "N %s\n", p->names + at);
    for (size_t i = 0; local && i < p->count; i++) {
        const vx__watch_question *q = &p->q[i];
        size_t name_no = 0;
        for (size_t at = 0; at < q->qname; at += strlen(p->names + at) + 1)
            name_no++;
        tb_add(&b, "Q %" PRIx64 " %u %zu %u %u %u %u\n", q->fingerprint, local[i], name_no,
               q->qtype, q->qclass, q->kind, q->qflags);
    }
    free(local);
    free(order);
    if (!b.oom && p->endpoints)
        b.oom = vx__ep_watch_encode(p->endpoints, &b.s, &b.len) != VX_OK;
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* --- decoding ------------------------------------------------------------------------------- */

typedef struct decoder {
    vx__watch_plan *p;
    vx__watch_servers *servers;
    uint32_t *server_ids; /* local number -> table index */
    size_t server_count;
    uint32_t *name_offsets; /* local number -> offset in p->names */
    size_t name_count;
    size_t names_cap;
    size_t q_cap;
} decoder;

static int decode_server(decoder *d, const char *rest)
{
    char name[VX__NAME_TEXT_MAX], addr[VX__ADDR_TEXT_MAX + 8];
    struct sockaddr_storage ss;
    socklen_t len;
    if (sscanf(rest, "%1024s %63s", name, addr) != 2 || vx__addr_parse(addr, 53, &ss, &len) != 0)
        return VX_EMALFORMED;
    uint32_t *ids = realloc(d->server_ids, (d->server_count + 1) * sizeof(*ids));
    if (!ids)
        return VX_ENOMEM;
    d->server_ids = ids;
    return vx__watch_servers_intern(d->servers, name, (const struct sockaddr *)&ss,
                                    &ids[d->server_count++]);
}

static int decode_name(decoder *d, const char *rest)
{
    if (!*rest || strlen(rest) >= VX__NAME_TEXT_MAX)
        return VX_EMALFORMED;
    uint32_t *offs = realloc(d->name_offsets, (d->name_count + 1) * sizeof(*offs));
    if (!offs)
        return VX_ENOMEM;
    d->name_offsets = offs;
    return add_name(d->p, &d->names_cap, rest, &offs[d->name_count++]);
}

static int decode_question(decoder *d, const char *rest)
{
    uint64_t fp;
    unsigned server, qtype, qclass, kind, qflags;
    size_t name;
    if (sscanf(rest, "%" SCNx64 " %u %zu %u %u %u %u", &fp, &server, &name, &qtype, &qclass, &kind,
               &qflags) != 7 ||
        server >= d->server_count || name >= d->name_count || qtype > UINT16_MAX ||
        qclass > UINT16_MAX || kind > VX__PROBE_FOREIGN || qflags > UINT8_MAX)
        return VX_EMALFORMED;
    if (d->p->count == d->q_cap) {
        size_t cap = d->q_cap ? d->q_cap * 2 : 64;
        vx__watch_question *q = realloc(d->p->q, cap * sizeof(*q));
        if (!q)
            return VX_ENOMEM;
        d->p->q = q;
        d->q_cap = cap;
    }
    d->p->q[d->p->count++] = (vx__watch_question){.fingerprint = fp,
                                                  .server = d->server_ids[server],
                                                  .qname = d->name_offsets[name],
                                                  .qtype = (uint16_t)qtype,
                                                  .qclass = (uint16_t)qclass,
                                                  .kind = (uint8_t)kind,
                                                  .qflags = (uint8_t)qflags};
    return VX_OK;
}

static int decode_line(decoder *d, const char *line, uint64_t *key)
{
    if (line[0] == 'P' && line[1] == ' ')
        return sscanf(line + 2, "%" SCNu64 " %" SCNu64 " %" SCNx64 " %" SCNx64, &d->p->audited_ms,
                      &d->p->audit_due_ms, &d->p->resolver_digest, key) == 4
                   ? VX_OK
                   : VX_EMALFORMED;
    if (line[0] == 'S' && line[1] == ' ')
        return decode_server(d, line + 2);
    if (line[0] == 'N' && line[1] == ' ')
        return decode_name(d, line + 2);
    if (line[0] == 'Q' && line[1] == ' ')
        return decode_question(d, line + 2);
    if ((line[0] == 'D' || line[0] == 'E') && line[1] == ' ')
        return vx__ep_watch_decode_line(line, &d->p->endpoints);
    return VX_EMALFORMED;
}

int vx__watch_plan_decode(const char *text, size_t len, vx__watch_servers *servers,
                          vx__watch_plan **out, uint64_t *key)
{
    *out = NULL;
    *key = 0;
    decoder d = {.servers = servers, .p = calloc(1, sizeof(vx__watch_plan))};
    int rc = d.p ? VX_OK : VX_ENOMEM;
    char line[VX__NAME_TEXT_MAX + 128];
    for (size_t at = 0; rc == VX_OK && at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        if (n >= sizeof(line) || memchr(text + at, '\0', n))
            rc = VX_EMALFORMED;
        else {
            memcpy(line, text + at, n);
            line[n] = '\0';
            rc = decode_line(&d, line, key);
        }
        at += n + 1;
    }
    if (rc == VX_OK && (d.p->count == 0 || d.name_count == 0))
        rc = VX_EMALFORMED;
    free(d.server_ids);
    free(d.name_offsets);
    if (rc != VX_OK) {
        vx__watch_plan_free(d.p);
        return rc;
    }
    *out = d.p;
    return VX_OK;
}
