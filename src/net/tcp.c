/*
 * net/tcp.c — the TCP transport: one connection per query (after a truncated UDP answer, or
 * from the start with VX__Q_TCP), the query with its two-octet length prefix, and one length-
 * prefixed response read to its end. One attempt, timed by the query's timer with what is left
 * of the budget. Over TCP a response with the wrong id or question is not noise from the
 * network but a broken server, so it ends the attempt with VX_EMALFORMED.
 *
 * The connection state is its own allocation, detached from the query when the query ends, so
 * that the query object can be recycled while libuv is still closing the TCP handle.
 */
#include <stdlib.h>
#include <string.h>

#include "net/engine_impl.h"
#include "voxdns/status.h"
#include "wire/answer.h"
#include "wire/frame.h"

struct vx__tcp {
    uv_tcp_t handle;
    uv_connect_t connect;
    uv_write_t write;
    vx__engine *engine;
    vx__query *q; /* NULL once the query no longer wants this connection */
    uint16_t id;
    size_t out_len;
    uint8_t out[2 + VX__QUERY_MAX];
    vx__deframer frames; /* wire/frame.h: holds a message that arrives in pieces */
};

static void on_tcp_closed(uv_handle_t *h)
{
    vx__tcp *t = h->data;
    vx__engine *e = t->engine;

    vx__deframer_free(&t->frames);
    free(t);
    vx__engine_handle_closed(e);
}

void vx__tcp_detach(vx__query *q)
{
    vx__tcp *t = q->tcp;

    if (!t)
        return;
    q->tcp = NULL;
    t->q = NULL;
    /* Pending connect and write requests complete with UV_ECANCELED before the close
     * callback; they see t->q == NULL and do nothing. */
    uv_close((uv_handle_t *)&t->handle, on_tcp_closed);
}

static void fail(vx__query *q, int status)
{
    vx__attempt_close(q, status, uv_hrtime());
    vx__query_finish(q, status);
}

/* Over TCP the connection is the source; a message that does not answer (wrong id or
 * question) ends the attempt. Returns non-VX_OK to stop the deframer: the query is over. */
static int on_message(void *arg, const uint8_t *msg, size_t len)
{
    vx__tcp *t = arg;
    vx__query *q = t->q;
    const vx__answer_spec spec = {.ids = &t->id, .nids = 1, .question = &q->question};
    vx__answer a;
    uint64_t now = uv_hrtime();

    if (vx__answer_match(&spec, NULL, msg, len, &a) != VX__ANSWER_OK) {
        fail(q, VX_EMALFORMED);
        return VX_EMALFORMED;
    }
    vx__attempt_close(q, VX_OK, now);
    /* Includes the handshake, so it is not fed to the (UDP) RTT estimator. */
    q->result.rtt_ms = vx__ns_to_ms(now - q->sent_ns[q->result.attempt_count - 1]);
    q->result.transport = VX__TCP;
    q->result.wire = msg;
    q->result.wire_len = len;
    vx__query_finish(q, VX_OK);
    return VX_ECANCELED;
}

/* Reads go to the engine's receive buffer: libuv calls on_read right after on_alloc, and the
 * deframer copies only a message that arrives in pieces. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vx__tcp *t = h->data;

    (void)suggested;
    *buf = uv_buf_init((char *)t->engine->rx, sizeof t->engine->rx);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    vx__tcp *t = s->data;
    int rc;

    if (!t->q || nread == 0)
        return;
    if (nread < 0) {
        /* A close before the whole answer is a network failure, not a refusal. */
        fail(t->q, nread == UV_EOF ? VX_ENETWORK : vx__status_from_uv((int)nread));
        return;
    }
    rc = vx__deframer_feed(&t->frames, (const uint8_t *)buf->base, (size_t)nread, on_message, t);
    if (rc != VX_OK && rc != VX_ECANCELED && t->q)
        fail(t->q, rc);
}

static void on_write(uv_write_t *req, int status)
{
    vx__tcp *t = req->data;

    if (t->q && status < 0)
        fail(t->q, vx__status_from_uv(status));
}

static void on_connect(uv_connect_t *req, int status)
{
    vx__tcp *t = req->data;
    uv_buf_t b = uv_buf_init((char *)t->out, (unsigned)t->out_len);
    int rc;

    if (!t->q)
        return;
    if (status < 0) {
        fail(t->q, vx__status_from_uv(status));
        return;
    }
    rc = uv_write(&t->write, (uv_stream_t *)&t->handle, &b, 1, on_write);
    if (rc == 0) {
        t->engine->stats.sent++;
        rc = uv_read_start((uv_stream_t *)&t->handle, on_alloc, on_read);
    }
    if (rc != 0)
        fail(t->q, vx__status_from_uv(rc));
}

/* The message is copied with its own id: the query's buffer may be recycled before libuv is
 * done with a cancelled write. */
static int tcp_new(vx__query *q, vx__tcp **out)
{
    vx__tcp *t = calloc(1, sizeof *t);
    int rc;

    if (!t)
        return VX_ENOMEM;
    rc = vx__engine_next_id(q->engine, &t->id);
    if (rc != VX_OK) {
        free(t);
        return rc;
    }
    t->engine = q->engine;
    vx__deframer_init(&t->frames);
    t->out_len = 2 + q->wire_len;
    memcpy(t->out, q->wire, t->out_len);
    t->out[2] = (uint8_t)(t->id >> 8);
    t->out[3] = (uint8_t)t->id;
    *out = t;
    return VX_OK;
}

int vx__tcp_start(vx__query *q, uint32_t timeout_ms)
{
    vx__engine *e = q->engine;
    vx__tcp *t;
    unsigned k;
    int rc;

    if (timeout_ms == 0)
        return VX_ETIMEDOUT;
    rc = tcp_new(q, &t);
    if (rc != VX_OK)
        return rc;
    if (uv_tcp_init_ex(e->loop, &t->handle, q->server->addr.ss_family) != 0) {
        free(t);
        return VX_ENETWORK;
    }
    e->handles_open++;
    t->handle.data = t;
    t->connect.data = t;
    t->write.data = t;
    t->q = q;
    q->tcp = t;
    q->state = VX__QS_TCP;
    k = vx__attempt_open(q, VX__TCP, timeout_ms);
    q->ids[k] = t->id;
    rc = uv_tcp_connect(&t->connect, &t->handle, (const struct sockaddr *)&q->server->addr,
                        on_connect);
    if (rc != 0) {
        rc = vx__status_from_uv(rc);
        vx__attempt_close(q, rc, uv_hrtime());
        return rc;
    }
    vx__query_arm_timer(q, timeout_ms);
    return VX_OK;
}
