/*
 * net/sched.c — who may go on the wire: the server table (address and port → RTT state,
 * in-flight count, token bucket, wait queue), the global and per-server in-flight caps, and the
 * per-server token bucket.
 *
 * Queueing: a query waits in its server's FIFO when that server is at its cap or out of
 * tokens, or when earlier queries already wait there (FIFO per server). A server that could
 * admit its next query but is held back only by the global cap sits in the engine's ready list;
 * when global room frees, ready servers are served round-robin, one query each, so that one
 * busy server cannot starve the others. A server out of tokens arms its own timer for the
 * moment the next token is due. Every step is O(1) per query.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "net/engine_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"

#define TABLE_MIN 16u

static const struct sockaddr_in *as_in(const struct sockaddr *sa)
{
    return (const struct sockaddr_in *)(const void *)sa;
}

static const struct sockaddr_in6 *as_in6(const struct sockaddr *sa)
{
    return (const struct sockaddr_in6 *)(const void *)sa;
}

/* FNV-1a over port and address, from a per-engine random seed. */
static uint32_t endpoint_hash(const vx__engine *e, const struct sockaddr *sa)
{
    const uint8_t *p;
    size_t n;
    uint32_t h = 2166136261u ^ e->hash_seed;

    if (sa->sa_family == AF_INET) {
        p = (const uint8_t *)&as_in(sa)->sin_addr;
        n = sizeof(struct in_addr);
        h = (h ^ as_in(sa)->sin_port) * 16777619u;
    } else {
        p = (const uint8_t *)&as_in6(sa)->sin6_addr;
        n = sizeof(struct in6_addr);
        h = (h ^ as_in6(sa)->sin6_port) * 16777619u;
    }
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static size_t table_slot(const vx__engine *e, const struct sockaddr *sa, uint32_t hash)
{
    size_t mask = e->table_cap - 1;
    size_t i = hash & mask;

    while (e->table[i] &&
           !(e->table[i]->hash == hash &&
             vx__addr_endpoint_equal((const struct sockaddr *)&e->table[i]->addr, sa)))
        i = (i + 1) & mask;
    return i;
}

vx__server *vx__server_find(const vx__engine *e, const struct sockaddr *sa)
{
    if (!e->table || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
        return NULL;
    return e->table[table_slot(e, sa, endpoint_hash(e, sa))];
}

static int table_grow(vx__engine *e)
{
    size_t cap = e->table_cap ? 2 * e->table_cap : TABLE_MIN;
    vx__server **old = e->table;
    size_t old_cap = e->table_cap;

    e->table = calloc(cap, sizeof *e->table);
    if (!e->table) {
        e->table = old;
        return VX_ENOMEM;
    }
    e->table_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            e->table[table_slot(e, (struct sockaddr *)&old[i]->addr, old[i]->hash)] = old[i];
    free(old);
    return VX_OK;
}

/* Copies only what names the endpoint, so that the stored address is a clean sendto()
 * target whatever padding or flow label the caller's structure carried. */
static void endpoint_copy(vx__server *s, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;
        in->sin_family = AF_INET;
        in->sin_port = as_in(sa)->sin_port;
        in->sin_addr = as_in(sa)->sin_addr;
        s->addr_len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->addr;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = as_in6(sa)->sin6_port;
        in6->sin6_addr = as_in6(sa)->sin6_addr;
        in6->sin6_scope_id = as_in6(sa)->sin6_scope_id;
        s->addr_len = sizeof *in6;
    }
}

static vx__server *server_new(vx__engine *e, const struct sockaddr *sa, uint32_t hash)
{
    vx__server *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    s->engine = e;
    endpoint_copy(s, sa);
    s->hash = hash;
    vx__rtt_init(&s->rtt);
    vx__list_init(&s->waiting);
    vx__list_init(&s->idle_socks);
    s->tokens = e->opts.server_burst;
    s->refill_ns = uv_hrtime();
    return s;
}

vx__server *vx__server_get(vx__engine *e, const struct sockaddr *sa)
{
    uint32_t hash = endpoint_hash(e, sa);
    size_t i;

    if (e->table) {
        i = table_slot(e, sa, hash);
        if (e->table[i])
            return e->table[i];
    }
    if (2 * (e->table_count + 1) > e->table_cap && table_grow(e) != VX_OK)
        return NULL;
    i = table_slot(e, sa, hash);
    e->table[i] = server_new(e, sa, hash);
    if (e->table[i])
        e->table_count++;
    return e->table[i];
}

/* Token bucket, refilled lazily from the monotonic clock when someone asks. */
static bool tokens_available(vx__engine *e, vx__server *s)
{
    uint64_t now;

    if (e->opts.server_rate <= 0)
        return true;
    now = uv_hrtime();
    s->tokens += (double)(now - s->refill_ns) * e->opts.server_rate / 1e9;
    if (s->tokens > e->opts.server_burst)
        s->tokens = e->opts.server_burst;
    s->refill_ns = now;
    return s->tokens >= 1.0;
}

static bool server_admits(vx__engine *e, vx__server *s)
{
    return s->inflight < e->opts.max_inflight_per_server && tokens_available(e, s);
}

static void admit(vx__engine *e, vx__server *s, vx__query *q)
{
    s->inflight++;
    e->inflight++;
    if (e->opts.server_rate > 0)
        s->tokens -= 1.0;
    vx__query_start(q);
}

static void ready_push(vx__engine *e, vx__server *s)
{
    s->ready = true;
    s->ready_next = NULL;
    if (e->ready_tail)
        e->ready_tail->ready_next = s;
    else
        e->ready_head = s;
    e->ready_tail = s;
}

static vx__server *ready_pop(vx__engine *e)
{
    vx__server *s = e->ready_head;

    e->ready_head = s->ready_next;
    if (!e->ready_head)
        e->ready_tail = NULL;
    s->ready = false;
    s->ready_next = NULL;
    return s;
}

static void server_review(vx__engine *e, vx__server *s);

static void pump(vx__engine *e)
{
    while (e->inflight < e->opts.max_inflight && e->ready_head) {
        vx__server *s = ready_pop(e);
        vx__query *q;

        if (vx__list_empty(&s->waiting) || !server_admits(e, s)) {
            server_review(e, s);
            continue;
        }
        q = VX__CONTAINER_OF(s->waiting.next, vx__query, link);
        vx__list_remove(&q->link);
        admit(e, s, q);
        server_review(e, s);
    }
}

static void on_token_timer(uv_timer_t *t)
{
    vx__server *s = t->data;

    server_review(s->engine, s);
    pump(s->engine);
}

static void arm_token_timer(vx__engine *e, vx__server *s)
{
    double wait_ms = ceil((1.0 - s->tokens) * 1000.0 / e->opts.server_rate);

    if (!s->timer_init) {
        uv_timer_init(e->loop, &s->token_timer);
        s->token_timer.data = s;
        s->timer_init = true;
        e->handles_open++;
    }
    if (uv_is_active((uv_handle_t *)&s->token_timer))
        return;
    uv_timer_start(&s->token_timer, on_token_timer, wait_ms < 1 ? 1 : (uint64_t)wait_ms, 0);
}

/* Puts a server with waiting queries where it will be woken: in the ready list when only
 * global room is missing, on its token timer when tokens are; at its cap it is woken by its
 * next completion (vx__sched_release). */
static void server_review(vx__engine *e, vx__server *s)
{
    if (s->ready || vx__list_empty(&s->waiting) || s->inflight >= e->opts.max_inflight_per_server)
        return;
    if (!tokens_available(e, s)) {
        arm_token_timer(e, s);
        return;
    }
    ready_push(e, s);
}

void vx__sched_submit(vx__engine *e, vx__query *q)
{
    vx__server *s = q->server;

    if (vx__list_empty(&s->waiting) && e->inflight < e->opts.max_inflight && server_admits(e, s)) {
        admit(e, s, q);
        return;
    }
    q->state = VX__QS_WAITING;
    vx__list_push_tail(&s->waiting, &q->link);
    server_review(e, s);
    pump(e);
}

void vx__sched_release(vx__engine *e, vx__server *s)
{
    s->inflight--;
    e->inflight--;
    if (e->closing)
        return;
    server_review(e, s);
    pump(e);
}

void vx__sched_cancel_waiting(vx__engine *e)
{
    for (size_t i = 0; i < e->table_cap; i++) {
        vx__server *s = e->table[i];
        while (s && !vx__list_empty(&s->waiting))
            vx__query_finish(VX__CONTAINER_OF(s->waiting.next, vx__query, link), VX_ECANCELED);
    }
}

static void on_token_timer_closed(uv_handle_t *h)
{
    vx__server *s = h->data;

    vx__engine_handle_closed(s->engine);
}

void vx__sched_close(vx__engine *e)
{
    for (size_t i = 0; i < e->table_cap; i++)
        if (e->table[i] && e->table[i]->timer_init)
            uv_close((uv_handle_t *)&e->table[i]->token_timer, on_token_timer_closed);
}

void vx__sched_free(vx__engine *e)
{
    for (size_t i = 0; i < e->table_cap; i++)
        free(e->table[i]);
    free(e->table);
}
