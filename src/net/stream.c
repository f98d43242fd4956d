/*
 * net/stream.c — owns TCP exchanges with many response messages (net/stream.h): connect,
 * write the query, read length-prefixed messages one after the other into one growing buffer,
 * hand each to the caller, and end on completion, error, EOF or the exchange's timeout. Two
 * handles (the connection and its timer) close before the memory goes, counted in the
 * engine's open handles like every other handle of the engine.
 */
#include <stdlib.h>
#include <string.h>

#include "net/engine_impl.h"
#include "net/stream.h"
#include "voxdns/status.h"
#include "wire/frame.h"

struct vx__stream {
    vx__link link; /* in the engine's streams */
    vx__engine *engine;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t write;
    unsigned open_handles;
    bool finished;
    vx__stream_msg_cb on_msg;
    vx__stream_done_cb done;
    void *arg;
    uint8_t *out;
    size_t out_len;
    vx__deframer frames; /* wire/frame.h */
    size_t total;
};

static void on_closed(uv_handle_t *h)
{
    vx__stream *s = h->data;
    vx__engine *e = s->engine;
    if (--s->open_handles == 0) {
        free(s->out);
        vx__deframer_free(&s->frames);
        free(s);
    }
    vx__engine_handle_closed(e);
}

static void finish(vx__stream *s, int status)
{
    if (s->finished)
        return;
    s->finished = true;
    vx__list_remove(&s->link);
    s->done(s->arg, status);
    uv_close((uv_handle_t *)&s->tcp, on_closed);
    uv_close((uv_handle_t *)&s->timer, on_closed);
}

void vx__stream_cancel_all(vx__engine *e)
{
    while (!vx__list_empty(&e->streams))
        finish(VX__CONTAINER_OF(e->streams.next, vx__stream, link), VX_ECANCELED);
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data, VX_ETIMEDOUT);
}

/* Reads go to the engine's receive buffer (libuv calls on_read right after on_alloc); the
 * deframer keeps only a message that arrives in pieces. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vx__stream *s = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)s->engine->rx, sizeof s->engine->rx);
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    vx__stream *s = h->data;
    if (s->finished || nread == 0)
        return;
    if (nread < 0) {
        finish(s, nread == UV_EOF ? VX_ENETWORK : vx__status_from_uv((int)nread));
        return;
    }
    s->total += (size_t)nread;
    int rc = s->total > VX__STREAM_MAX_BYTES
                 ? VX_ELIMIT
                 : vx__deframer_feed(&s->frames, (const uint8_t *)buf->base, (size_t)nread,
                                     s->on_msg, s->arg);
    if (rc != VX_OK)
        finish(s, rc == VX__STREAM_DONE ? VX_OK : rc);
}

static void on_write(uv_write_t *req, int status)
{
    vx__stream *s = req->data;
    if (status < 0 && !s->finished)
        finish(s, vx__status_from_uv(status));
}

static void on_connect(uv_connect_t *req, int status)
{
    vx__stream *s = req->data;
    if (s->finished)
        return;
    uv_buf_t b = uv_buf_init((char *)s->out, (unsigned)s->out_len);
    int rc = status < 0 ? status : uv_write(&s->write, (uv_stream_t *)&s->tcp, &b, 1, on_write);
    if (rc == 0) {
        s->engine->stats.sent++;
        rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    }
    if (rc != 0)
        finish(s, vx__status_from_uv(rc));
}

static vx__stream *stream_new(vx__engine *e, const vx__stream_spec *spec)
{
    vx__stream *s = calloc(1, sizeof *s);
    uint8_t *out = malloc(spec->query_len + 2);
    if (!s || !out) {
        free(s);
        free(out);
        return NULL;
    }
    vx__frame_put_prefix(out, spec->query_len); /* at most 65535: checked by the caller */
    memcpy(out + 2, spec->query, spec->query_len);
    s->engine = e;
    vx__deframer_init(&s->frames);
    s->out = out;
    s->out_len = spec->query_len + 2;
    s->tcp.data = s->timer.data = s->connect.data = s->write.data = s;
    return s;
}

int vx__engine_stream(vx__engine *e, const vx__stream_spec *spec, vx__stream_msg_cb on_msg,
                      vx__stream_done_cb done, void *arg)
{
    if (!e || !spec || !spec->server || !spec->query || spec->query_len < VX__HEADER_LEN ||
        spec->query_len > 65535 || !on_msg || !done || spec->timeout_ms == 0)
        return VX_EINVAL;
    if (e->closing)
        return VX_ECANCELED;
    vx__stream *s = stream_new(e, spec);
    if (!s)
        return VX_ENOMEM;
    s->on_msg = on_msg;
    s->done = done;
    s->arg = arg;
    if (uv_tcp_init_ex(e->loop, &s->tcp, spec->server->sa_family) != 0) {
        free(s->out);
        free(s);
        return VX_ENETWORK;
    }
    uv_timer_init(e->loop, &s->timer);
    s->open_handles = 2;
    e->handles_open += 2;
    vx__list_push_tail(&e->streams, &s->link);
    int rc = uv_tcp_connect(&s->connect, &s->tcp, spec->server, on_connect);
    if (rc == 0)
        rc = uv_timer_start(&s->timer, on_timeout, spec->timeout_ms, 0);
    if (rc != 0) {
        /* No callback after an error return: finish quietly. */
        s->done = NULL;
        s->finished = true;
        vx__list_remove(&s->link);
        uv_close((uv_handle_t *)&s->tcp, on_closed);
        uv_close((uv_handle_t *)&s->timer, on_closed);
        return vx__status_from_uv(rc);
    }
    return VX_OK;
}
