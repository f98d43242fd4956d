/*
 * net/resdot.c — owns the DNS-over-TLS channel of one upstream (resdot.h): the connection's
 * life (open on demand, reuse, idle close, failure) and the queries waiting or on the wire.
 * The byte stream is cut into messages by wire/frame.h, and an answer goes to the state
 * machine only when it answers a query on the wire (wire/answer.h).
 */
#include "net/resdot.h"

#include <stdlib.h>
#include <string.h>

#include "net/tcpconn.h"
#include "voxdns/status.h"
#include "wire/answer.h"
#include "wire/frame.h"
#include "wire/query.h"

typedef struct pending {
    uint16_t id;
    bool sent;
    vx__question question;
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
    vx__deframer frames;
    uint64_t dropped; /* messages that answered no query on the wire */
};

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
    vx__deframer_reset(&c->frames);
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

/* Answers may come in any order (RFC 7766 §7): the one pending query the message answers
 * leaves the queue and the message goes to the state machine; anything else is dropped. Stops
 * the deframer once the channel is being freed. */
static int on_message(void *arg, const uint8_t *msg, size_t len)
{
    vx__resdot *c = arg;
    for (size_t i = 0; i < c->nq; i++) {
        const vx__answer_spec spec = {.ids = &c->q[i].id, .nids = 1, .question = &c->q[i].question};
        vx__answer a;
        if (!c->q[i].sent || vx__answer_match(&spec, NULL, msg, len, &a) != VX__ANSWER_OK)
            continue;
        drop(c, i);
        c->cbs.response(c->cbs.arg, c->upstream, msg, len);
        return c->freeing || !c->conn ? VX_ECANCELED : VX_OK;
    }
    c->dropped++;
    return VX_OK;
}

/* The connection is gone (it closed itself): its queries fail; even an orderly close by the
 * server fails those still waiting. */
static void lost(vx__resdot *c, int status)
{
    c->conn = NULL;
    c->up = false;
    vx__deframer_reset(&c->frames);
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
    int rc = vx__deframer_feed(&c->frames, data, len, on_message, c);
    if (c->freeing)
        return;
    if (rc != VX_OK && rc != VX_ECANCELED && c->conn) {
        close_conn(c);
        fail_all(c, rc);
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
    vx__deframer_init(&c->frames);
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
    pending *p = &c->q[c->nq];
    if (vx__wire_read_question(wire, len, &p->question) != VX_OK)
        return VX_EINVAL;
    int rc = ensure_conn(c);
    if (rc != VX_OK)
        return rc;
    c->nq++;
    p->id = id;
    p->sent = false;
    p->len = 2 + len;
    vx__frame_put_prefix(p->wire, len);
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

uint64_t vx__resdot_dropped(const vx__resdot *c)
{
    return c->dropped;
}

static void on_idle_closed(uv_handle_t *h)
{
    vx__resdot *c = h->data;
    vx__resdot_cbs cbs = c->cbs;
    vx__tls_ctx_free(c->ctx);
    vx__deframer_free(&c->frames);
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
