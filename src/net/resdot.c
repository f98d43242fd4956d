/*
 * net/resdot.c — owns the DNS-over-TLS channel of one upstream (resdot.h): the connection's
 * life (open on demand, reuse, idle close, failure), the queries waiting or on the wire, and
 * the framing of the byte stream into DNS messages.
 */
#include "net/resdot.h"

#include <stdlib.h>
#include <string.h>

#include "net/tcpconn.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define STREAM_MAX (2u + 65535u)

typedef struct pending {
    uint16_t id;
    bool sent;
    size_t len;
    uint8_t wire[2 + VX__QUERY_MAX]; /* the length prefix, then the query */
} pending;

struct vx__resdot {
    uv_loop_t *loop;
    vx__tls_ctx *ctx;
    struct sockaddr_storage addr;
    unsigned upstream;
    vx__resdot_cbs cbs;
    vx__tcpconn *conn; /* NULL when not connected */
    bool up, freeing;
    unsigned connections;
    uv_timer_t idle;
    pending q[VX__DOT_PENDING_MAX];
    size_t nq;
    uint8_t rx[STREAM_MAX];
    size_t rx_len;
};

/* ---- framing ------------------------------------------------------------------------------- */

int vx__dot_deframe(uint8_t *buf, size_t *len, size_t cap, const uint8_t *data, size_t n,
                    void (*emit)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
    while (n > 0) {
        size_t take = cap - *len < n ? cap - *len : n;
        memcpy(buf + *len, data, take);
        *len += take;
        data += take;
        n -= take;
        size_t off = 0;
        while (*len - off >= 2) {
            size_t m = (size_t)buf[off] << 8 | buf[off + 1];
            if (m == 0)
                return VX_EMALFORMED;
            if (*len - off < 2 + m)
                break;
            emit(arg, buf + off + 2, m);
            off += 2 + m;
        }
        memmove(buf, buf + off, *len - off);
        *len -= off;
    }
    return VX_OK;
}

/* ---- the queue ------------------------------------------------------------------------------ */

static void drop(vx__resdot *c, size_t i)
{
    c->q[i] = c->q[--c->nq];
}

static void close_conn(vx__resdot *c)
{
    vx__tcpconn_close(c->conn);
    c->conn = NULL;
    c->up = false;
    c->rx_len = 0;
}

static void on_idle(uv_timer_t *t)
{
    vx__resdot *c = t->data;
    if (c->nq == 0)
        close_conn(c);
}

/* Nothing outstanding: the connection stays for VX__DOT_IDLE_MS, for the next query. */
static void idle_check(vx__resdot *c)
{
    if (c->nq == 0 && c->conn)
        uv_timer_start(&c->idle, on_idle, VX__DOT_IDLE_MS, 0);
    else
        uv_timer_stop(&c->idle);
}

/* Every query on a failed connection fails (the state machine fails over). */
static void fail_all(vx__resdot *c, int status)
{
    while (c->nq > 0) {
        uint16_t id = c->q[c->nq - 1].id;
        c->nq--;
        c->cbs.failed(c->cbs.arg, c->upstream, id, status);
    }
}

static void write_unsent(vx__resdot *c)
{
    for (size_t i = 0; c->up && i < c->nq; i++) {
        if (c->q[i].sent)
            continue;
        c->q[i].sent = true;
        if (vx__tcpconn_write(c->conn, c->q[i].wire, c->q[i].len) != VX_OK) {
            close_conn(c);
            fail_all(c, VX_ENETWORK);
            return;
        }
    }
}

/* ---- the connection ------------------------------------------------------------------------- */

static void on_message(void *arg, const uint8_t *msg, size_t len)
{
    vx__resdot *c = arg;
    uint16_t id = len >= 2 ? (uint16_t)((unsigned)msg[0] << 8 | msg[1]) : 0;
    for (size_t i = 0; i < c->nq; i++)
        if (c->q[i].sent && c->q[i].id == id) {
            drop(c, i);
            break;
        }
    c->cbs.response(c->cbs.arg, c->upstream, msg, len);
}

/* The connection is gone (it closed itself): its queries fail; even an orderly close by the
 * server fails those still waiting. */
static void lost(vx__resdot *c, int status)
{
    c->conn = NULL;
    c->up = false;
    c->rx_len = 0;
    fail_all(c, status == VX_OK ? VX_ENETWORK : status);
    idle_check(c);
}

static void on_ready(void *arg, int status, const char *why)
{
    vx__resdot *c = arg;
    (void)why;
    if (status != VX_OK) {
        lost(c, status);
        return;
    }
    c->up = true;
    write_unsent(c);
    idle_check(c);
}

static void on_data(void *arg, const uint8_t *data, size_t len)
{
    vx__resdot *c = arg;
    if (vx__dot_deframe(c->rx, &c->rx_len, sizeof(c->rx), data, len, on_message, c) != VX_OK) {
        close_conn(c);
        fail_all(c, VX_EMALFORMED);
    }
    idle_check(c);
}

static void on_closed(void *arg, int status)
{
    lost(arg, status);
}

static int ensure_conn(vx__resdot *c)
{
    static const vx__tcpconn_cbs cbs = {on_ready, on_data, on_closed};
    const vx__tcpconn_opts opts = {.tls = c->ctx};
    if (c->conn)
        return VX_OK;
    int rc = vx__tcpconn_open(c->loop, (const struct sockaddr *)&c->addr, &opts, &cbs, c, &c->conn);
    if (rc == VX_OK)
        c->connections++;
    return rc;
}

/* ---- API ------------------------------------------------------------------------------------ */

int vx__resdot_new(uv_loop_t *loop, vx__tls_ctx *ctx, const struct sockaddr *addr,
                   unsigned upstream, const vx__resdot_cbs *cbs, vx__resdot **out)
{
    vx__resdot *c = calloc(1, sizeof(*c));
    if (!c)
        return VX_ENOMEM;
    c->loop = loop;
    c->ctx = ctx;
    memcpy(&c->addr, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    c->upstream = upstream;
    c->cbs = *cbs;
    uv_timer_init(loop, &c->idle);
    c->idle.data = c;
    *out = c;
    return VX_OK;
}

int vx__resdot_send(vx__resdot *c, uint16_t id, const uint8_t *wire, size_t len)
{
    if (c->nq == VX__DOT_PENDING_MAX)
        return VX_ELIMIT;
    if (len > VX__QUERY_MAX)
        return VX_EINVAL;
    int rc = ensure_conn(c);
    if (rc != VX_OK)
        return rc;
    pending *p = &c->q[c->nq++];
    p->id = id;
    p->sent = false;
    p->len = 2 + len;
    p->wire[0] = (uint8_t)(len >> 8);
    p->wire[1] = (uint8_t)len;
    memcpy(p->wire + 2, wire, len);
    write_unsent(c);
    idle_check(c);
    return VX_OK;
}

void vx__resdot_cancel(vx__resdot *c, uint16_t id)
{
    for (size_t i = 0; i < c->nq; i++)
        if (c->q[i].id == id) {
            drop(c, i);
            break;
        }
    idle_check(c);
}

unsigned vx__resdot_connections(const vx__resdot *c)
{
    return c->connections;
}

static void on_idle_closed(uv_handle_t *h)
{
    vx__resdot *c = h->data;
    vx__resdot_cbs cbs = c->cbs;
    vx__tls_ctx_free(c->ctx);
    free(c);
    cbs.closed(cbs.arg);
}

void vx__resdot_free(vx__resdot *c)
{
    if (!c || c->freeing)
        return;
    c->freeing = true;
    vx__tcpconn_close(c->conn);
    c->conn = NULL;
    c->nq = 0;
    uv_close((uv_handle_t *)&c->idle, on_idle_closed);
}
