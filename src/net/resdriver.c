/*
 * net/resdriver.c — runs the sans-I/O stub resolver on libuv (see resdriver.h): a policy over
 * net/'s one transport. It decides which connection carries which of the state machine's
 * SEND actions (a UDP socket of its own per query, a TCP connection per query, or the TLS
 * upstream's reused channel), keeps one timer for the state machine's deadline and for sockets
 * that outlive the lookup budget, and hands RESULT actions to the owner. Everything below the
 * decision is net/'s and wire/'s, shared with the probe engine: the UDP socket's system calls
 * and ICMP errors (udpsock.h), the TCP and TLS connection (tcpconn.h, resdot.h), the length
 * framing (wire/frame.h), whether a message answers (wire/answer.h) and the ids (ids.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/ids.h"
#include "net/resdot.h"
#include "net/resdriver.h"
#include "net/tcpconn.h"
#include "net/udpsock.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/answer.h"
#include "wire/frame.h"

/* A query socket still open this long after its send is closed: the state machine gave up on
 * it long before (its budget is 5 s), and a late answer would be dropped anyway. */
#define RQ_MAX_AGE_MS 8000u
/* Datagrams read per readiness: a flood of junk cannot hold the loop. */
#define READS_PER_EVENT 16

typedef struct rq rq;

/* One query on the wire: over UDP a socket of its own (the poll handle's close frees it), over
 * TCP a connection of its own (freed at once, or when the connection's callback that closed
 * it returns). */
struct rq {
    vx__resdrv *d;
    rq *prev, *next;
    unsigned upstream;
    uint16_t id;
    bool tcp;
    bool busy, dead; /* TCP: inside a callback of its connection; closed meanwhile */
    uint64_t born;
    struct sockaddr_storage addr; /* the upstream's */
    vx__question question;
    int fd;              /* UDP */
    uv_poll_t poll;      /* UDP */
    vx__tcpconn *conn;   /* TCP, NULL once closed */
    vx__deframer frames; /* TCP */
    size_t len;
    uint8_t wire[VX__FRAME_PREFIX + VX__QUERY_MAX]; /* TCP's length prefix, then the query */
};

struct vx__resdrv {
    uv_loop_t *loop;
    vx__res *res;
    vx__resdrv_cb cb;
    void *arg;
    uv_timer_t timer;
    rq *head;
    vx__resdot *dot[VX__UPSTREAM_MAX]; /* DNS over TLS channels of TLS upstreams */
    unsigned open_handles;
    bool closing;
    uint64_t dropped; /* messages that answered no query (UDP and TCP) */
    uint8_t udp_buf[65536];
};

static void pump(vx__resdrv *d);

static uint64_t now_ms(vx__resdrv *d)
{
    uv_update_time(d->loop);
    return uv_now(d->loop);
}

static void maybe_free(vx__resdrv *d)
{
    if (d->closing && d->open_handles == 0) {
        vx__res_free(d->res);
        free(d);
    }
}

/* ---- query objects ------------------------------------------------------------------------- */

static void rq_free(rq *q)
{
    vx__deframer_free(&q->frames);
    free(q);
}

static void on_poll_closed(uv_handle_t *h)
{
    rq *q = h->data;
    vx__resdrv *d = q->d;
    close(q->fd);
    rq_free(q);
    d->open_handles--;
    maybe_free(d);
}

static void rq_unlink(rq *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        q->d->head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void rq_close(rq *q)
{
    rq_unlink(q);
    if (!q->tcp) {
        uv_close((uv_handle_t *)&q->poll, on_poll_closed);
        return;
    }
    vx__tcpconn_close(q->conn); /* no callback after this */
    q->conn = NULL;
    if (q->busy)
        q->dead = true;
    else
        rq_free(q);
}

static rq *rq_find(vx__resdrv *d, unsigned upstream, uint16_t id)
{
    for (rq *q = d->head; q; q = q->next)
        if (q->upstream == upstream && q->id == id)
            return q;
    return NULL;
}

/* The attempt failed at the socket level: tell the state machine, drop the socket. */
static void rq_fail(rq *q, int status)
{
    vx__resdrv *d = q->d;
    unsigned upstream = q->upstream;
    uint16_t id = q->id;
    rq_close(q);
    if (d->closing)
        return;
    vx__res_on_send_error(d->res, now_ms(d), upstream, id, status);
    pump(d);
}

/* An answer to the query (wire/answer.h said so): the socket is done, the state machine gets
 * it (and checks it again: it is fed by other drivers too). */
static void rq_deliver(rq *q, const uint8_t *wire, size_t len)
{
    vx__resdrv *d = q->d;
    unsigned upstream = q->upstream;
    rq_close(q);
    vx__res_on_response(d->res, now_ms(d), upstream, wire, len);
    pump(d);
}

static vx__answer_verdict rq_match(const rq *q, const struct sockaddr *src, const uint8_t *msg,
                                   size_t len)
{
    const vx__answer_spec spec = {.server = src ? (const struct sockaddr *)&q->addr : NULL,
                                  .ids = &q->id,
                                  .nids = 1,
                                  .question = &q->question};
    vx__answer a;
    return vx__answer_match(&spec, src, msg, len, &a);
}

/* ---- UDP ----------------------------------------------------------------------------------- */

/* Anything that does not answer (another source, id or question: maybe a forgery racing the
 * real answer) is counted and dropped, and the socket keeps listening. */
static void udp_read(rq *q)
{
    vx__resdrv *d = q->d;
    for (int i = 0; i < READS_PER_EVENT; i++) {
        struct sockaddr_storage src;
        ssize_t n = vx__udpsock_recv(q->fd, d->udp_buf, sizeof d->udp_buf, &src);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                rq_fail(q, vx__udpsock_status(errno));
            return;
        }
        if (rq_match(q, (const struct sockaddr *)&src, d->udp_buf, (size_t)n) == VX__ANSWER_OK) {
            rq_deliver(q, d->udp_buf, (size_t)n);
            return;
        }
        d->dropped++;
    }
}

static void on_udp_poll(uv_poll_t *h, int status, int events)
{
    rq *q = h->data;
    (void)events;
    if (q->d->closing || uv_is_closing((uv_handle_t *)h))
        return;
    if (status < 0) {
        /* EPOLLERR: libuv stopped watching. An ICMP error about the upstream ends the query;
         * any other is read away and the socket watched again. */
        int verdict = vx__udpsock_icmp(q->fd, (const struct sockaddr *)&q->addr);
        if (verdict != VX_OK || uv_poll_start(h, UV_READABLE, on_udp_poll) != 0) {
            rq_fail(q, verdict != VX_OK ? verdict : VX_ENETWORK);
            return;
        }
    }
    udp_read(q);
}

static int udp_start(rq *q)
{
    int rc = vx__udpsock_open(q->addr.ss_family, &q->fd);
    if (rc != VX_OK)
        return rc;
    if (uv_poll_init(q->d->loop, &q->poll, q->fd) != 0) {
        close(q->fd);
        return VX_ENETWORK;
    }
    q->poll.data = q;
    q->d->open_handles++;
    return VX_OK;
}

static int udp_send(rq *q)
{
    if (uv_poll_start(&q->poll, UV_READABLE, on_udp_poll) != 0)
        return VX_ENETWORK;
    return vx__udpsock_send(q->fd, q->wire + VX__FRAME_PREFIX, q->len,
                            (const struct sockaddr *)&q->addr);
}

/* ---- TCP ----------------------------------------------------------------------------------- */

/* The end of a connection callback: a query closed meanwhile goes now. */
static void tcp_leave(rq *q)
{
    q->busy = false;
    if (q->dead)
        rq_free(q);
}

/* Over TCP the connection is the source; a message that does not answer is a broken server,
 * not noise from the network: the attempt fails (as in the engine, net/tcp.c). */
static int on_tcp_message(void *arg, const uint8_t *msg, size_t len)
{
    rq *q = arg;
    if (rq_match(q, NULL, msg, len) != VX__ANSWER_OK) {
        q->d->dropped++;
        return VX_EMALFORMED;
    }
    rq_deliver(q, msg, len);
    return VX_ECANCELED; /* the query is over */
}

static void on_tcp_ready(void *arg, int status, const char *why)
{
    rq *q = arg;
    (void)why;
    q->busy = true;
    if (status != VX_OK) {
        q->conn = NULL; /* a failed ready is its last callback: it closes itself */
        rq_fail(q, status);
    } else if (vx__tcpconn_write(q->conn, q->wire, VX__FRAME_PREFIX + q->len) != VX_OK) {
        rq_fail(q, VX_ENETWORK);
    }
    tcp_leave(q);
}

static void on_tcp_data(void *arg, const uint8_t *buf, size_t len)
{
    rq *q = arg;
    q->busy = true;
    int rc = vx__deframer_feed(&q->frames, buf, len, on_tcp_message, q);
    if (rc != VX_OK && rc != VX_ECANCELED && !q->dead)
        rq_fail(q, rc == VX_ENOMEM ? VX_ENOMEM : VX_EMALFORMED);
    tcp_leave(q);
}

/* The server closed before answering: a network failure, not a refusal. */
static void on_tcp_closed(void *arg, int status)
{
    rq *q = arg;
    q->busy = true;
    q->conn = NULL; /* it closes itself */
    rq_fail(q, status == VX_OK ? VX_ENETWORK : status);
    tcp_leave(q);
}

static int tcp_start(rq *q)
{
    static const vx__tcpconn_cbs cbs = {on_tcp_ready, on_tcp_data, on_tcp_closed};
    const vx__tcpconn_opts opts = {.tls = NULL};
    vx__deframer_init(&q->frames);
    return vx__tcpconn_open(q->d->loop, (const struct sockaddr *)&q->addr, &opts, &cbs, q,
                            &q->conn);
}

/* ---- actions ------------------------------------------------------------------------------- */

static int rq_new(vx__resdrv *d, const vx__res_action *act, rq **out)
{
    const vx__upstream *u = vx__res_upstream(d->res, act->upstream);
    rq *q = calloc(1, sizeof(*q));
    if (!q)
        return VX_ENOMEM;
    if (!u || act->len > VX__QUERY_MAX ||
        vx__wire_read_question(act->wire, act->len, &q->question) != VX_OK) {
        free(q);
        return VX_EINVAL;
    }
    q->d = d;
    q->upstream = act->upstream;
    q->id = act->id;
    q->tcp = act->tcp;
    q->born = uv_now(d->loop);
    memcpy(&q->addr, &u->addr, vx__addr_len((const struct sockaddr *)&u->addr));
    q->len = act->len;
    vx__frame_put_prefix(q->wire, act->len);
    memcpy(q->wire + VX__FRAME_PREFIX, act->wire, act->len);
    *out = q;
    return VX_OK;
}

static void rq_link(vx__resdrv *d, rq *q)
{
    q->next = d->head;
    if (d->head)
        d->head->prev = q;
    d->head = q;
}

/* Opens the query's socket or connection and sends; an error says the attempt failed. */
static int rq_open(vx__resdrv *d, const vx__res_action *act)
{
    rq *q = NULL;
    int rc = rq_new(d, act, &q);
    if (rc != VX_OK)
        return rc;
    rc = q->tcp ? tcp_start(q) : udp_start(q);
    if (rc != VX_OK) {
        rq_free(q);
        return rc;
    }
    rq_link(d, q);
    if (!q->tcp && (rc = udp_send(q)) != VX_OK)
        rq_close(q);
    return rc;
}

static void do_send(vx__resdrv *d, const vx__res_action *act)
{
    int rc;
    if (act->upstream < VX__UPSTREAM_MAX && d->dot[act->upstream])
        rc = vx__resdot_send(d->dot[act->upstream], act->id, act->wire, act->len);
    else
        rc = rq_open(d, act);
    if (rc != VX_OK)
        vx__res_on_send_error(d->res, now_ms(d), act->upstream, act->id, rc);
}

static void do_action(vx__resdrv *d, vx__res_action *act)
{
    if (act->kind == VX__ACT_SEND) {
        do_send(d, act);
    } else if (act->kind == VX__ACT_CANCEL && act->upstream < VX__UPSTREAM_MAX &&
               d->dot[act->upstream]) {
        vx__resdot_cancel(d->dot[act->upstream], act->id);
    } else if (act->kind == VX__ACT_CANCEL) {
        rq *q = rq_find(d, act->upstream, act->id);
        if (q)
            rq_close(q);
    } else if (act->kind == VX__ACT_RESULT) {
        d->cb(d->arg, &act->result);
    }
}

static void on_timer(uv_timer_t *t);

/* The timer serves the state machine's deadline and the oldest socket's age limit. */
static void arm(vx__resdrv *d)
{
    uint64_t at = vx__res_deadline(d->res);
    for (rq *q = d->head; q; q = q->next)
        if (q->born + RQ_MAX_AGE_MS < at)
            at = q->born + RQ_MAX_AGE_MS;
    if (at == UINT64_MAX) {
        uv_timer_stop(&d->timer);
        return;
    }
    uint64_t now = uv_now(d->loop);
    uv_timer_start(&d->timer, on_timer, at > now ? at - now : 0, 0);
}

/* Drains the state machine's actions, then re-arms the timer. A callback may close the driver:
 * the state machine stays allocated until the handles are closed, so this only stops. */
static void pump(vx__resdrv *d)
{
    vx__res_action act;
    while (!d->closing && vx__res_next_action(d->res, &act)) {
        do_action(d, &act);
        vx__res_action_clear(&act);
    }
    if (!d->closing)
        arm(d);
}

static void on_timer(uv_timer_t *t)
{
    vx__resdrv *d = t->data;
    uint64_t now = now_ms(d);
    for (rq *q = d->head, *next; q; q = next) {
        next = q->next;
        if (q->born + RQ_MAX_AGE_MS <= now)
            rq_close(q);
    }
    vx__res_on_timer(d->res, now);
    pump(d);
}

/* ---- API ----------------------------------------------------------------------------------- */

int vx__resdrv_new(uv_loop_t *loop, vx__res *res, vx__resdrv_cb cb, void *arg, vx__resdrv **out)
{
    vx__resdrv *d = calloc(1, sizeof(*d));
    if (!d)
        return VX_ENOMEM;
    if (uv_timer_init(loop, &d->timer) != 0) {
        free(d);
        return VX_ENOMEM;
    }
    d->loop = loop;
    d->res = res;
    d->cb = cb;
    d->arg = arg;
    d->timer.data = d;
    d->open_handles = 1;
    *out = d;
    return VX_OK;
}

static void on_timer_closed(uv_handle_t *h)
{
    vx__resdrv *d = h->data;
    d->open_handles--;
    maybe_free(d);
}

void vx__resdrv_close(vx__resdrv *d)
{
    if (!d || d->closing)
        return;
    d->closing = true;
    while (d->head)
        rq_close(d->head);
    for (unsigned i = 0; i < VX__UPSTREAM_MAX; i++)
        vx__resdot_free(d->dot[i]);
    uv_close((uv_handle_t *)&d->timer, on_timer_closed);
}

vx__res *vx__resdrv_res(vx__resdrv *d)
{
    return d->res;
}

int vx__resdrv_submit(vx__resdrv *d, const vx__question *q, uint64_t *lookup)
{
    int rc = vx__res_submit(d->res, now_ms(d), q, lookup);
    if (rc == VX_OK) /* actions, RESULT included, are carried out from the loop */
        uv_timer_start(&d->timer, on_timer, 0, 0);
    return rc;
}

void vx__resdrv_cancel(vx__resdrv *d, uint64_t lookup)
{
    vx__res_cancel(d->res, now_ms(d), lookup);
    uv_timer_start(&d->timer, on_timer, 0, 0);
}

/* ---- DNS over TLS ------------------------------------------------------------------------- */

static void on_dot_response(void *arg, unsigned upstream, const uint8_t *wire, size_t len)
{
    vx__resdrv *d = arg;
    if (d->closing)
        return;
    vx__res_on_response(d->res, now_ms(d), upstream, wire, len);
    pump(d);
}

static void on_dot_failed(void *arg, unsigned upstream, uint16_t id, int status)
{
    vx__resdrv *d = arg;
    if (d->closing)
        return;
    vx__res_on_send_error(d->res, now_ms(d), upstream, id, status);
    pump(d);
}

static void on_dot_closed(void *arg)
{
    vx__resdrv *d = arg;
    d->open_handles--;
    maybe_free(d);
}

int vx__resdrv_set_tls(vx__resdrv *d, unsigned upstream, vx__tls_ctx *ctx)
{
    const vx__upstream *u = vx__res_upstream(d->res, upstream);
    if (!u || upstream >= VX__UPSTREAM_MAX || d->dot[upstream]) {
        vx__tls_ctx_free(ctx);
        return VX_EINVAL;
    }
    const vx__resdot_cbs cbs = {on_dot_response, on_dot_failed, on_dot_closed, d};
    int rc = vx__resdot_new(d->loop, ctx, (const struct sockaddr *)&u->addr, upstream, &cbs,
                            &d->dot[upstream]);
    if (rc != VX_OK) {
        vx__tls_ctx_free(ctx);
        return rc;
    }
    d->open_handles++; /* its idle timer */
    return VX_OK;
}

unsigned vx__resdrv_tls_connections(const vx__resdrv *d)
{
    unsigned n = 0;
    for (unsigned i = 0; i < VX__UPSTREAM_MAX; i++)
        n += d->dot[i] ? vx__resdot_connections(d->dot[i]) : 0;
    return n;
}

uint64_t vx__resdrv_dropped(const vx__resdrv *d)
{
    uint64_t n = d->dropped;
    for (unsigned i = 0; i < VX__UPSTREAM_MAX; i++)
        n += d->dot[i] ? vx__resdot_dropped(d->dot[i]) : 0;
    return n;
}

uint16_t vx__resdrv_random16(void *arg)
{
    /* One pool per thread: a resolver is used from one thread at a time, several resolvers
     * may run on several threads. resbuild checked that the source works. */
    static _Thread_local vx__id_pool pool = {.pos = VX__ID_POOL};
    uint16_t v = 0;
    (void)arg;
    (void)vx__id_pool_next(&pool, &v);
    return v;
}

int vx__resdrv_random_check(void)
{
    vx__id_pool p;
    uint16_t v;
    vx__id_pool_init(&p);
    return vx__id_pool_next(&p, &v);
}
