/*
 * net/engine.c — the engine's public face and the life of a query: creation and close, query
 * objects (a freelist, so that a steady query rate allocates nothing), the attempt history,
 * the per-query timer, completion and callback delivery, query ids, and the deferred release
 * of memory once libuv has closed every handle. Transports live in udp.c and tcp.c, the
 * server table and admission in sched.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/engine_impl.h"
#include "voxdns/status.h"
#include "wire/frame.h"

#define OPT_MAX_INFLIGHT 1024u
#define OPT_MAX_PER_SERVER 64u
#define OPT_BURST 100u

void vx__engine_opts_default(vx__engine_opts *opts)
{
    opts->max_inflight = OPT_MAX_INFLIGHT;
    opts->max_inflight_per_server = OPT_MAX_PER_SERVER;
    opts->server_rate = 0;
    opts->server_burst = OPT_BURST;
    opts->max_attempts = VX__RETRY_ATTEMPTS;
    opts->budget_ms = VX__RETRY_BUDGET_MS;
    opts->udp_reuse = 1;
}

/* Zero means "default" for every count, so that callers set only what they care about. UDP
 * attempts stop one short of VX__ATTEMPTS_MAX: the history keeps a slot for the TCP retry. */
static int opts_normalise(const vx__engine_opts *in, vx__engine_opts *out)
{
    vx__engine_opts_default(out);
    if (!in)
        return VX_OK;
    if (!(in->server_rate >= 0)) /* also rejects NaN */
        return VX_EINVAL;
    out->server_rate = in->server_rate;
    if (in->max_inflight)
        out->max_inflight = in->max_inflight;
    if (in->max_inflight_per_server)
        out->max_inflight_per_server = in->max_inflight_per_server;
    if (in->server_burst)
        out->server_burst = in->server_burst;
    if (in->max_attempts)
        out->max_attempts = in->max_attempts;
    if (out->max_attempts > VX__ATTEMPTS_MAX - 1)
        out->max_attempts = VX__ATTEMPTS_MAX - 1;
    if (in->budget_ms)
        out->budget_ms = in->budget_ms;
    if (in->udp_reuse)
        out->udp_reuse = in->udp_reuse;
    return VX_OK;
}

int vx__engine_next_id(vx__engine *e, uint16_t *out)
{
    return vx__id_pool_next(&e->ids, out);
}

uv_loop_t *vx__engine_loop(const vx__engine *e)
{
    return e ? e->loop : NULL;
}

int vx__engine_new(uv_loop_t *loop, const vx__engine_opts *opts, vx__engine **out)
{
    vx__engine *e;
    int rc;

    if (!loop || !out)
        return VX_EINVAL;
    e = calloc(1, sizeof *e);
    if (!e)
        return VX_ENOMEM;
    rc = opts_normalise(opts, &e->opts);
    vx__id_pool_init(&e->ids);
    uint16_t seed[2];
    if (rc == VX_OK)
        rc = vx__id_pool_next(&e->ids, &seed[0]);
    if (rc == VX_OK)
        rc = vx__id_pool_next(&e->ids, &seed[1]);
    if (rc != VX_OK) {
        free(e);
        return rc;
    }
    e->loop = loop;
    if (vx__usock_init(e) != VX_OK) {
        free(e);
        return VX_ENETWORK;
    }
    vx__list_init(&e->active);
    vx__list_init(&e->streams);
    vx__list_init(&e->ops);
    vx__list_init(&e->freelist);
    /* Seeds the server table's hash: server addresses come from referrals, i.e. from outside. */
    e->hash_seed = (uint32_t)seed[0] << 16 | seed[1];
    *out = e;
    return VX_OK;
}

static void engine_free(vx__engine *e)
{
    vx__sched_free(e);
    free(e);
}

void vx__engine_handle_closed(vx__engine *e)
{
    e->handles_open--;
    if (e->closing && e->handles_open == 0)
        engine_free(e);
}

static void on_query_timer_closed(uv_handle_t *h)
{
    vx__query *q = h->data;
    vx__engine *e = q->engine;

    free(q);
    vx__engine_handle_closed(e);
}

/* Drops a query object for good: its timer (if any) must close before the memory goes. */
static void query_destroy(vx__query *q)
{
    if (q->timer_init)
        uv_close((uv_handle_t *)&q->timer, on_query_timer_closed);
    else
        free(q);
}

/* Keeps at most max_inflight objects for reuse: enough for a steady rate, while a burst of
 * queued queries does not pin its peak memory for ever. */
static void query_release(vx__query *q)
{
    vx__engine *e = q->engine;

    if (e->closing || e->free_count >= e->opts.max_inflight) {
        query_destroy(q);
        return;
    }
    vx__list_push_tail(&e->freelist, &q->link);
    e->free_count++;
}

static vx__query *query_alloc(vx__engine *e)
{
    vx__query *q;

    if (!vx__list_empty(&e->freelist)) {
        q = VX__CONTAINER_OF(e->freelist.next, vx__query, link);
        vx__list_remove(&q->link);
        e->free_count--;
    } else {
        q = malloc(sizeof *q);
        if (!q)
            return NULL;
        q->engine = e;
        q->timer_init = false;
    }
    memset(&q->link, 0, sizeof *q - offsetof(vx__query, link));
    vx__list_init(&q->link);
    return q;
}

static void on_query_timer(uv_timer_t *t);

void vx__query_arm_timer(vx__query *q, uint32_t timeout_ms)
{
    /* The loop's idea of "now" is from the start of this iteration; a long iteration would
     * otherwise shorten the timeout of a query sent late in it. */
    uv_update_time(q->engine->loop);
    uv_timer_start(&q->timer, on_query_timer, timeout_ms, 0);
}

double vx__ns_to_ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

unsigned vx__attempt_open(vx__query *q, vx__transport transport, uint32_t timeout_ms)
{
    unsigned k = q->result.attempt_count++;
    vx__attempt *a = &q->result.attempts[k];

    a->transport = transport;
    a->status = VX_ETIMEDOUT;
    a->timeout_ms = timeout_ms;
    a->elapsed_ms = 0;
    a->truncated = false;
    q->sent_ns[k] = uv_hrtime();
    return k;
}

void vx__attempt_close(vx__query *q, int status, uint64_t now_ns)
{
    unsigned k = q->result.attempt_count - 1;

    q->result.attempts[k].status = status;
    q->result.attempts[k].elapsed_ms = vx__ns_to_ms(now_ns - q->sent_ns[k]);
}

int vx__status_from_uv(int err)
{
    switch (err) {
    case UV_ECONNREFUSED:
        return VX_EREFUSED;
    case UV_ECANCELED:
        return VX_ECANCELED;
    case UV_ENOMEM:
    case UV_ENOBUFS:
        return VX_ENOMEM;
    default:
        return VX_ENETWORK;
    }
}

/* A query that failed while starting is finished from its timer, never from inside
 * vx__engine_query(): the callback rule. */
static void query_defer(vx__query *q, int status)
{
    q->state = VX__QS_DEFERRED;
    q->deferred_status = status;
    uv_timer_start(&q->timer, on_query_timer, 0, 0);
}

static void on_query_timer(uv_timer_t *t)
{
    vx__query *q = t->data;

    switch (q->state) {
    case VX__QS_UDP:
        vx__udp_on_timeout(q);
        break;
    case VX__QS_TCP:
        q->engine->stats.timeouts++;
        vx__attempt_close(q, VX_ETIMEDOUT, uv_hrtime());
        vx__query_finish(q, VX_ETIMEDOUT);
        break;
    case VX__QS_DEFERRED:
        vx__query_finish(q, q->deferred_status);
        break;
    default:
        break;
    }
}

/* One budget per silence, not per query: a server not heard from since quiet_since gives
 * every query sent to it meanwhile only what is left of the budget that began then, so that a
 * silent address costs one budget whoever asks and however many ask one after the other (a
 * walk tries a zone's addresses in turn, each also probed by others). A silence older than two
 * budgets is forgotten and the next query tries afresh. */
static uint32_t silence_budget_left(vx__server *s, uint32_t budget_ms, uint64_t now)
{
    uint64_t quiet_ms;

    if (s->quiet_since_ns && now - s->quiet_since_ns >= 2u * (uint64_t)budget_ms * 1000000u)
        s->quiet_since_ns = 0;
    if (!s->quiet_since_ns)
        s->quiet_since_ns = now;
    quiet_ms = (now - s->quiet_since_ns) / 1000000u;
    return quiet_ms >= budget_ms ? 0 : budget_ms - (uint32_t)quiet_ms;
}

void vx__server_heard(vx__server *s)
{
    s->quiet_since_ns = 0;
}

/* Called by the scheduler once the query is admitted (it already counts as in flight). */
void vx__query_start(vx__query *q)
{
    vx__engine *e = q->engine;
    int rc;

    if (!q->timer_init) {
        uv_timer_init(e->loop, &q->timer); /* cannot fail on Unix */
        q->timer.data = q;
        q->timer_init = true;
        e->handles_open++;
    }
    vx__list_push_tail(&e->active, &q->link);
    q->plan = q->server->rtt;
    q->start_ns = uv_hrtime();
    q->budget_ms = silence_budget_left(q->server, e->opts.budget_ms, q->start_ns);
    /* The transport asked for, until an attempt that got an answer says otherwise. */
    q->result.transport = (q->flags & VX__Q_TCP) ? VX__TCP : VX__UDP;
    if (q->budget_ms < VX__RTO_MIN_MS) /* silent for a whole budget already: not sent */
        rc = VX_ETIMEDOUT;
    else if (q->flags & VX__Q_TCP)
        rc = vx__tcp_start(q, q->budget_ms);
    else
        rc = vx__udp_start(q);
    if (rc != VX_OK)
        query_defer(q, rc);
}

/* The one way a query ends. Capacity is handed on (and waiting queries started) before the
 * callback runs, so that a callback that queries again finds the room it just freed; nothing
 * touches the engine after the callback except releasing this query, because the callback may
 * have closed the engine. */
void vx__query_finish(vx__query *q, int status)
{
    vx__engine *e = q->engine;
    bool admitted = q->state != VX__QS_WAITING;

    if (q->timer_init)
        uv_timer_stop(&q->timer);
    vx__udp_release(q, status);
    vx__tcp_detach(q);
    vx__list_remove(&q->link);
    q->state = VX__QS_DONE;
    q->result.status = status;
    if (status == VX_OK)
        e->stats.answered++;
    else if (status == VX_EREFUSED)
        e->stats.refused++;
    /* Anything but silence (an answer, a refusal, a broken reply) ends the server's silence. */
    if (admitted && status != VX_ETIMEDOUT && status != VX_ECANCELED)
        vx__server_heard(q->server);
    if (admitted)
        vx__sched_release(e, q->server);
    q->cb(q->arg, &q->result);
    query_release(q);
}

static int spec_check(const vx__query_spec *spec)
{
    const struct sockaddr *sa = spec->server;

    if (!sa || !spec->question)
        return VX_EINVAL;
    if (sa->sa_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)sa)->sin_port ? VX_OK : VX_EINVAL;
    if (sa->sa_family == AF_INET6)
        return ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port ? VX_OK : VX_EINVAL;
    return VX_EINVAL;
}

static int query_prepare(vx__query *q, const vx__query_spec *spec)
{
    size_t len;
    int rc;

    q->question = *spec->question;
    q->flags = spec->flags;
    /* The id is patched in per attempt; the rest of the message is built once. */
    rc = vx__wire_build_query(&q->question, 0, spec->flags & ~(unsigned)VX__Q_TCP, q->wire + 2,
                              VX__QUERY_MAX, &len);
    if (rc != VX_OK)
        return VX_EINVAL;
    q->wire_len = len;
    return vx__frame_put_prefix(q->wire, len);
}

int vx__engine_query(vx__engine *e, const vx__query_spec *spec, vx__query_cb cb, void *arg)
{
    vx__query *q;
    int rc;

    if (!e || !spec || !cb)
        return VX_EINVAL;
    if (e->closing)
        return VX_ECANCELED;
    rc = spec_check(spec);
    if (rc != VX_OK)
        return rc;
    q = query_alloc(e);
    if (!q)
        return VX_ENOMEM;
    rc = query_prepare(q, spec);
    if (rc == VX_OK && !(q->server = vx__server_get(e, spec->server)))
        rc = VX_ENOMEM;
    if (rc != VX_OK) {
        q->state = VX__QS_DONE;
        query_release(q);
        return rc;
    }
    q->cb = cb;
    q->arg = arg;
    e->stats.queries++;
    vx__sched_submit(e, q);
    return VX_OK;
}

static void close_freelist(vx__engine *e)
{
    while (!vx__list_empty(&e->freelist)) {
        vx__query *q = VX__CONTAINER_OF(e->freelist.next, vx__query, link);
        vx__list_remove(&q->link);
        e->free_count--;
        query_destroy(q);
    }
}

int vx__engine_attach(vx__engine *e, vx__engine_op *op)
{
    if (e->closing)
        return VX_ECANCELED;
    vx__list_push_tail(&e->ops, &op->link);
    return VX_OK;
}

void vx__engine_detach(vx__engine_op *op)
{
    vx__list_remove(&op->link);
}

static void cancel_ops(vx__engine *e)
{
    while (!vx__list_empty(&e->ops)) {
        vx__engine_op *op = VX__CONTAINER_OF(e->ops.next, vx__engine_op, link);
        vx__engine_detach(op);
        op->cancel(op);
    }
}

/* Cancels in flight first (they started first), then what waits, then the attached work (SIP
 * pings). Callbacks run from here; one that calls vx__engine_query() gets VX_ECANCELED, one
 * that calls close again is ignored. */
void vx__engine_close(vx__engine *e)
{
    if (!e || e->closing)
        return;
    e->closing = true;
    while (!vx__list_empty(&e->active))
        vx__query_finish(VX__CONTAINER_OF(e->active.next, vx__query, link), VX_ECANCELED);
    vx__stream_cancel_all(e);
    vx__sched_cancel_waiting(e);
    cancel_ops(e);
    close_freelist(e);
    vx__sched_close(e);
    vx__usock_shutdown(e);
    if (e->handles_open == 0)
        engine_free(e);
}

void vx__engine_get_stats(const vx__engine *e, vx__engine_stats *out)
{
    *out = e->stats;
}

int vx__engine_server_rtt(const vx__engine *e, const struct sockaddr *server, vx__rtt *out)
{
    const vx__server *s;

    if (!e || !server || !out)
        return VX_EINVAL;
    s = vx__server_find(e, server);
    if (!s)
        return VX_ENOTFOUND;
    *out = s->rtt;
    return VX_OK;
}
