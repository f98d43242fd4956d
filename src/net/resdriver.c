/*
 * net/resdriver.c — runs the sans-I/O stub resolver on libuv (see resdriver.h): one socket per
 * query (UDP connected to the upstream, or TCP), one timer for the state machine's deadline and
 * for sockets that outlive the lookup budget, RESULT actions handed to the owner.
 */
#include <stdlib.h>
#include <string.h>

#include "net/ids.h"
#include "net/resdot.h"
#include "net/resdriver.h"
#include "voxdns/status.h"
#include "wire/addr.h"

/* A query socket still open this long after its send is closed: the state machine gave up on
 * it long before (its budget is 5 s), and a late answer would be dropped anyway. */
#define RQ_MAX_AGE_MS 8000u
#define TCP_RX_MAX (2u + 65535u)

typedef struct rq rq;

struct rq {
    vx__resdrv *d;
    rq *prev, *next;
    unsigned upstream;
    uint16_t id;
    bool tcp;
    uint64_t born;
    union {
        uv_handle_t any;
        uv_udp_t udp;
        uv_tcp_t tcp;
    } h;
    uv_udp_send_t usend;
    uv_connect_t conn;
    uv_write_t wr;
    size_t len;
    uint8_t wire[2 + VX__QUERY_MAX]; /* TCP's length prefix, then the query */
    uint8_t *rx;                     /* TCP: the response being assembled */
    size_t rx_len;
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

static void on_rq_closed(uv_handle_t *h)
{
    rq *q = h->data;
    vx__resdrv *d = q->d;
    free(q->rx);
    free(q);
    d->open_handles--;
    maybe_free(d);
}

static void rq_close(rq *q)
{
    vx__resdrv *d = q->d;
    if (q->prev)
        q->prev->next = q->next;
    else
        d->head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
    uv_close(&q->h.any, on_rq_closed);
}

static rq *rq_find(vx__resdrv *d, unsigned upstream, uint16_t id)
{
    for (rq *q = d->head; q; q = q->next)
        if (q->upstream == upstream && q->id == id)
            return q;
    return NULL;
}

static int status_from_uv(int err)
{
    if (err == UV_ECONNREFUSED || err == UV_ECONNRESET)
        return VX_EREFUSED;
    if (err == UV_ENOMEM)
        return VX_ENOMEM;
    return VX_ENETWORK;
}

/* The attempt failed at the socket level: tell the state machine, drop the socket. */
static void rq_fail(rq *q, int uv_err)
{
    vx__resdrv *d = q->d;
    unsigned upstream = q->upstream;
    uint16_t id = q->id;
    rq_close(q);
    if (d->closing)
        return;
    vx__res_on_send_error(d->res, now_ms(d), upstream, id, status_from_uv(uv_err));
    pump(d);
}

/* A response from the upstream: fed to the state machine, which checks id and question. The
 * socket is done once a message with its id arrived; another id may be a forgery racing the
 * real answer, so the socket keeps listening. */
static void rq_deliver(rq *q, const uint8_t *wire, size_t len)
{
    vx__resdrv *d = q->d;
    unsigned upstream = q->upstream;
    if (len >= 2 && ((uint16_t)(wire[0] << 8) | wire[1]) == q->id)
        rq_close(q);
    vx__res_on_response(d->res, now_ms(d), upstream, wire, len);
    pump(d);
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    rq *q = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)q->d->udp_buf, sizeof(q->d->udp_buf));
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags)
{
    rq *q = h->data;
    (void)flags;
    if (q->d->closing || uv_is_closing((uv_handle_t *)h))
        return;
    if (nread < 0) {
        rq_fail(q, (int)nread);
        return;
    }
    const vx__upstream *u = vx__res_upstream(q->d->res, q->upstream);
    if (nread == 0 || !from || !u || !vx__addr_equal(from, (const struct sockaddr *)&u->addr))
        return; /* nothing, or not from the upstream: never fed to the state machine */
    rq_deliver(q, (const uint8_t *)buf->base, (size_t)nread);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    rq *q = req->data;
    if (status < 0 && status != UV_ECANCELED && !uv_is_closing(&q->h.any))
        rq_fail(q, status);
}

static int udp_start(rq *q, const struct sockaddr *sa)
{
    int rc = uv_udp_connect(&q->h.udp, sa);
    if (rc == 0)
        rc = uv_udp_recv_start(&q->h.udp, udp_alloc, on_udp_recv);
    if (rc == 0) {
        uv_buf_t b = uv_buf_init((char *)q->wire + 2, (unsigned)q->len);
        q->usend.data = q;
        rc = uv_udp_send(&q->usend, &q->h.udp, &b, 1, NULL, on_udp_sent);
    }
    return rc;
}

/* ---- TCP ----------------------------------------------------------------------------------- */

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    rq *q = h->data;
    (void)suggested;
    if (!q->rx)
        q->rx = malloc(TCP_RX_MAX);
    if (!q->rx || q->rx_len >= TCP_RX_MAX) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init((char *)q->rx + q->rx_len, (unsigned)(TCP_RX_MAX - q->rx_len));
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    rq *q = s->data;
    (void)buf;
    if (q->d->closing || uv_is_closing((uv_handle_t *)s))
        return;
    if (nread < 0) {
        rq_fail(q, nread == UV_EOF ? UV_ECONNRESET : (int)nread);
        return;
    }
    q->rx_len += (size_t)nread;
    if (q->rx_len < 2)
        return;
    size_t need = 2u + (size_t)((q->rx[0] << 8) | q->rx[1]);
    if (q->rx_len >= need)
        rq_deliver(q, q->rx + 2, need - 2);
}

static void on_tcp_written(uv_write_t *req, int status)
{
    rq *q = req->data;
    if (status < 0 && status != UV_ECANCELED && !uv_is_closing(&q->h.any))
        rq_fail(q, status);
}

static void on_tcp_connect(uv_connect_t *req, int status)
{
    rq *q = req->data;
    if (status == UV_ECANCELED || uv_is_closing(&q->h.any))
        return;
    int rc = status;
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&q->h.tcp, tcp_alloc, on_tcp_read);
    if (rc == 0) {
        uv_buf_t b = uv_buf_init((char *)q->wire, (unsigned)(q->len + 2));
        q->wr.data = q;
        rc = uv_write(&q->wr, (uv_stream_t *)&q->h.tcp, &b, 1, on_tcp_written);
    }
    if (rc != 0)
        rq_fail(q, rc);
}

static int tcp_start(rq *q, const struct sockaddr *sa)
{
    q->wire[0] = (uint8_t)(q->len >> 8);
    q->wire[1] = (uint8_t)q->len;
    q->conn.data = q;
    return uv_tcp_connect(&q->conn, &q->h.tcp, sa, on_tcp_connect);
}

/* ---- actions ------------------------------------------------------------------------------- */

static int rq_open(vx__resdrv *d, const vx__res_action *act, rq **out)
{
    const vx__upstream *u = vx__res_upstream(d->res, act->upstream);
    rq *q = calloc(1, sizeof(*q));
    if (!q || !u || act->len > VX__QUERY_MAX) {
        free(q);
        return UV_ENOMEM;
    }
    q->d = d;
    q->upstream = act->upstream;
    q->id = act->id;
    q->tcp = act->tcp;
    q->born = uv_now(d->loop);
    q->len = act->len;
    memcpy(q->wire + 2, act->wire, act->len);
    int rc = q->tcp ? uv_tcp_init(d->loop, &q->h.tcp)
                    : uv_udp_init_ex(d->loop, &q->h.udp, u->addr.ss_family);
    if (rc != 0) {
        free(q);
        return rc;
    }
    q->h.any.data = q;
    d->open_handles++;
    q->next = d->head;
    if (d->head)
        d->head->prev = q;
    d->head = q;
    *out = q;
    return 0;
}

static void do_send(vx__resdrv *d, const vx__res_action *act)
{
    if (act->upstream < VX__UPSTREAM_MAX && d->dot[act->upstream]) {
        int rc = vx__resdot_send(d->dot[act->upstream], act->id, act->wire, act->len);
        if (rc != VX_OK)
            vx__res_on_send_error(d->res, now_ms(d), act->upstream, act->id, rc);
        return;
    }
    rq *q = NULL;
    int rc = rq_open(d, act, &q);
    if (rc == 0) {
        const vx__upstream *u = vx__res_upstream(d->res, act->upstream);
        const struct sockaddr *sa = (const struct sockaddr *)&u->addr;
        rc = q->tcp ? tcp_start(q, sa) : udp_start(q, sa);
        if (rc != 0)
            rq_close(q);
    }
    if (rc != 0)
        vx__res_on_send_error(d->res, now_ms(d), act->upstream, act->id, status_from_uv(rc));
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
