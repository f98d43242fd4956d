/*
 * net/sip_ping.c — owns one OPTIONS exchange: the UDP socket and Timer A, or the stream; the
 * budget timer; matching and reading responses; the observation handed back (see sip_ping.h).
 * A ping is attached to its engine until it has called back (vx__engine_close() cancels it),
 * and frees itself once its handles are closed.
 */
#include "net/sip_ping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/rtt.h"
#include "net/engine_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"
#include "wire/name.h"
#include "wire/sip_msg.h"

#define T1_MS 500u
#define T2_MS 4000u
#define REQ_MAX 2048

typedef struct ping {
    vx__engine_op op; /* attached to the engine while the callback is owed */
    uv_loop_t *loop;
    vx__ep_transport transport;
    struct sockaddr_storage addr;
    char uri[VX__NAME_TEXT_MAX + 16];
    char sni[VX__NAME_TEXT_MAX];
    vx__tls_ctx *tls;
    uint32_t budget_ms;
    uv_timer_t budget, retransmit;
    uv_udp_t udp;
    bool udp_open;
    vx__tcpconn *stream;
    unsigned open_handles;
    char branch[40], call_id[48], tag[24];
    vx__sip_options_req req;
    char wire[REQ_MAX];
    size_t wire_len;
    uint32_t interval_ms;
    uint64_t started_ns, sent_ns;
    uint8_t *rx; /* stream bytes not yet read */
    size_t rx_len;
    bool done;
    vx__endpoint_obs obs;
    char error[256];
    char reason[VX__SIP_FIELD_MAX], agent[VX__SIP_FIELD_MAX];
    char protocol[32], cipher[128], verify_error[256];
    char *chain[VX__EP_CHAIN_MAX];
    vx__sip_ping_cb cb;
    void *arg;
} ping;

static void random_token(char *out, size_t cap, const char *prefix)
{
    uint8_t r[8] = {0};
    if (getentropy(r, sizeof r) != 0) {
        uint64_t t = uv_hrtime();
        memcpy(r, &t, sizeof r);
    }
    snprintf(out, cap, "%s%02x%02x%02x%02x%02x%02x%02x%02x", prefix, r[0], r[1], r[2], r[3], r[4],
             r[5], r[6], r[7]);
}

/* ---- ending ---------------------------------------------------------------------------- */

static void free_ping(ping *p)
{
    for (size_t i = 0; i < VX__EP_CHAIN_MAX; i++)
        free(p->chain[i]);
    free(p->rx);
    free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
    ping *p = h->data;
    if (--p->open_handles == 0)
        free_ping(p);
}

static void close_all(ping *p)
{
    uv_close((uv_handle_t *)&p->budget, on_handle_closed);
    uv_close((uv_handle_t *)&p->retransmit, on_handle_closed);
    if (p->udp_open)
        uv_close((uv_handle_t *)&p->udp, on_handle_closed);
    p->udp_open = false;
    vx__tcpconn_close(p->stream);
    p->stream = NULL;
}

static void finish(ping *p, int status, const char *why)
{
    if (p->done)
        return;
    p->done = true;
    vx__engine_detach(&p->op);
    p->obs.status = status;
    if (status != VX_OK) {
        snprintf(p->error, sizeof p->error, "%s", why ? why : vx_strerror(status));
        p->obs.error = p->error;
    }
    p->cb(p->arg, &p->obs);
    close_all(p);
}

static void on_engine_closed(vx__engine_op *op)
{
    finish(VX__CONTAINER_OF(op, ping, op), VX_ECANCELED, "cancelled: the engine was closed");
}

static void take_response(ping *p, const vx__sip_response *r)
{
    snprintf(p->reason, sizeof p->reason, "%s", r->reason);
    snprintf(p->agent, sizeof p->agent, "%s", r->server);
    p->obs.code = r->status;
    p->obs.reason = p->reason[0] ? p->reason : NULL;
    p->obs.agent = p->agent[0] ? p->agent : NULL;
    p->obs.rtt_ms = (double)(uv_hrtime() - p->sent_ns) / 1e6;
    finish(p, VX_OK, NULL);
}

static void on_budget(uv_timer_t *t)
{
    ping *p = t->data;
    char why[160];
    /* A stream may be connected with its handshake still under way. */
    if (p->stream)
        p->obs.connected = vx__tcpconn_connected(p->stream);
    if (p->transport == VX__EP_TLS && p->obs.connected && !p->obs.tls_ok)
        snprintf(why, sizeof why, "TLS handshake did not complete within %u ms", p->budget_ms);
    else if (p->transport != VX__EP_UDP && !p->obs.connected)
        snprintf(why, sizeof why, "no TCP connection within %u ms", p->budget_ms);
    else
        snprintf(why, sizeof why, "no answer to OPTIONS within %u ms (%u request%s)", p->budget_ms,
                 p->obs.attempts, p->obs.attempts == 1 ? "" : "s");
    finish(p, VX_ETIMEDOUT, why);
}

/* ---- the request ----------------------------------------------------------------------- */

static int build_request(ping *p, const struct sockaddr_storage *local)
{
    static const char *const names[] = {"UDP", "TCP", "TLS"};
    random_token(p->branch, sizeof p->branch, "z9hG4bK");
    random_token(p->call_id, sizeof p->call_id, "");
    random_token(p->tag, sizeof p->tag, "");
    p->req = (vx__sip_options_req){.transport = names[p->transport],
                                   .request_uri = p->uri,
                                   .local = (const struct sockaddr *)local,
                                   .branch = p->branch,
                                   .call_id = p->call_id,
                                   .tag = p->tag,
                                   .cseq = 1};
    p->wire_len = vx__sip_options_build(&p->req, p->wire, sizeof p->wire);
    return p->wire_len ? VX_OK : VX_EINVAL;
}

/* A response, if it is ours and final; provisional ones only stop retransmission. */
static void consider(ping *p, const vx__sip_response *r)
{
    if (!vx__sip_response_matches(r, &p->req))
        return;
    if (r->status >= 200)
        take_response(p, r);
    else
        uv_timer_stop(&p->retransmit);
}

/* ---- UDP ------------------------------------------------------------------------------- */

static void udp_send(ping *p)
{
    uv_buf_t b = uv_buf_init(p->wire, (unsigned)p->wire_len);
    /* A datagram that cannot be queued now is lost like one lost on the way: Timer A. */
    (void)uv_udp_try_send(&p->udp, &b, 1, NULL);
    p->obs.attempts++;
}

static void on_retransmit(uv_timer_t *t)
{
    ping *p = t->data;
    udp_send(p);
    p->interval_ms = p->interval_ms * 2 < T2_MS ? p->interval_ms * 2 : T2_MS;
    uv_timer_start(&p->retransmit, on_retransmit, p->interval_ms, 0);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    ping *p = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)p->rx, VX__SIP_MSG_MAX);
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags)
{
    ping *p = h->data;
    vx__sip_response r;
    (void)flags;
    if (p->done)
        return;
    if (nread < 0) {
        finish(p, nread == UV_ECONNREFUSED ? VX_EREFUSED : VX_ENETWORK,
               nread == UV_ECONNREFUSED ? "port unreachable (ICMP)" : uv_strerror((int)nread));
        return;
    }
    if (nread == 0 || !from || !vx__addr_equal(from, (const struct sockaddr *)&p->addr))
        return;
    if (vx__sip_response_parse((const uint8_t *)buf->base, (size_t)nread, false, &r) == VX_OK)
        consider(p, &r);
}

static int udp_start(ping *p)
{
    struct sockaddr_storage local;
    int len = sizeof local;
    if (uv_udp_init_ex(p->loop, &p->udp, p->addr.ss_family) != 0)
        return VX_ENETWORK;
    p->udp.data = p;
    p->udp_open = true;
    p->open_handles++;
    if (uv_udp_connect(&p->udp, (const struct sockaddr *)&p->addr) != 0 ||
        uv_udp_getsockname(&p->udp, (struct sockaddr *)&local, &len) != 0)
        return VX_ENETWORK;
    if (build_request(p, &local) != VX_OK ||
        uv_udp_recv_start(&p->udp, udp_alloc, on_udp_recv) != 0)
        return VX_ENETWORK;
    p->sent_ns = uv_hrtime();
    udp_send(p);
    p->interval_ms = T1_MS;
    uv_timer_start(&p->retransmit, on_retransmit, T1_MS, 0);
    return VX_OK;
}

/* ---- TCP and TLS ----------------------------------------------------------------------- */

static void keep_tls_facts(ping *p, vx__tcpconn *s)
{
    const char *why = NULL;
    uint8_t *der[VX__EP_CHAIN_MAX];
    size_t len[VX__EP_CHAIN_MAX];
    size_t n = vx__tcpconn_peer_chain(s, der, len, VX__EP_CHAIN_MAX);
    for (size_t i = 0; i < n; i++) {
        p->chain[p->obs.chain_count] = vx__cert_der_to_b64(der[i], len[i]);
        if (p->chain[p->obs.chain_count])
            p->obs.chain_count++;
        free(der[i]);
    }
    p->obs.chain = p->chain;
    p->obs.verify = (int)vx__tcpconn_tls_verify(s, &why);
    snprintf(p->verify_error, sizeof p->verify_error, "%s", why ? why : "");
    p->obs.verify_error = why ? p->verify_error : NULL;
    if (vx__tcpconn_tls_protocol(s)) {
        snprintf(p->protocol, sizeof p->protocol, "%s", vx__tcpconn_tls_protocol(s));
        snprintf(p->cipher, sizeof p->cipher, "%s", vx__tcpconn_tls_cipher(s));
        p->obs.tls_protocol = p->protocol;
        p->obs.tls_cipher = p->cipher;
    }
}

static void on_stream_ready(void *arg, int status, const char *why)
{
    ping *p = arg;
    struct sockaddr_storage local;
    p->obs.connected = vx__tcpconn_connected(p->stream);
    if (p->transport == VX__EP_TLS)
        keep_tls_facts(p, p->stream);
    if (status != VX_OK) {
        p->stream = NULL; /* closed by net/tcpconn.c after this callback */
        finish(p, status, why);
        return;
    }
    p->obs.tls_ok = p->transport == VX__EP_TLS;
    if (vx__tcpconn_local(p->stream, &local) != VX_OK || build_request(p, &local) != VX_OK) {
        finish(p, VX_ENETWORK, "no local address");
        return;
    }
    p->sent_ns = uv_hrtime();
    p->obs.attempts = 1;
    if (vx__tcpconn_write(p->stream, (const uint8_t *)p->wire, p->wire_len) != VX_OK)
        finish(p, VX_ENETWORK, "cannot send the request");
}

static void on_stream_data(void *arg, const uint8_t *buf, size_t len)
{
    ping *p = arg;
    vx__sip_response r;
    if (p->done)
        return;
    if (len > VX__SIP_MSG_MAX - p->rx_len) {
        finish(p, VX_EMALFORMED, "more than 64 KiB without a complete SIP response");
        return;
    }
    memcpy(p->rx + p->rx_len, buf, len);
    p->rx_len += len;
    while (!p->done && p->rx_len > 0) {
        int rc = vx__sip_response_parse(p->rx, p->rx_len, true, &r);
        if (rc == VX__SIP_MORE)
            return;
        if (rc != VX_OK) {
            finish(p, VX_EMALFORMED, "the answer is not a SIP response");
            return;
        }
        consider(p, &r);
        memmove(p->rx, p->rx + r.length, p->rx_len - r.length);
        p->rx_len -= r.length;
    }
}

static void on_stream_closed(void *arg, int status)
{
    ping *p = arg;
    (void)status;
    p->stream = NULL; /* closed by net/tcpconn.c after this callback */
    finish(p, VX_ENETWORK, "the connection closed before a response");
}

static int stream_start(ping *p)
{
    static const vx__tcpconn_cbs cbs = {on_stream_ready, on_stream_data, on_stream_closed};
    vx__tcpconn_opts o = {.tls = p->transport == VX__EP_TLS ? p->tls : NULL,
                          .sni = p->sni[0] ? p->sni : NULL};
    if (p->transport == VX__EP_TLS && !p->tls)
        return VX_EINVAL;
    return vx__tcpconn_open(p->loop, (const struct sockaddr *)&p->addr, &o, &cbs, p, &p->stream);
}

/* ---- starting -------------------------------------------------------------------------- */

static int setup(ping *p, const vx__sip_ping_spec *spec)
{
    if (!spec->addr || !spec->request_uri || (unsigned)spec->transport > VX__EP_TLS ||
        snprintf(p->uri, sizeof p->uri, "%s", spec->request_uri) >= (int)sizeof p->uri)
        return VX_EINVAL;
    memcpy(&p->addr, spec->addr, vx__addr_len(spec->addr));
    snprintf(p->sni, sizeof p->sni, "%s", spec->sni ? spec->sni : "");
    p->transport = spec->transport;
    p->tls = spec->tls;
    p->budget_ms = spec->budget_ms ? spec->budget_ms : VX__RETRY_BUDGET_MS;
    p->obs.transport = spec->transport;
    p->obs.addr = p->addr;
    p->obs.rtt_ms = -1;
    p->obs.time_ms = vx__wall_ms();
    p->rx = malloc(VX__SIP_MSG_MAX);
    return p->rx ? VX_OK : VX_ENOMEM;
}

int vx__sip_ping(vx__engine *engine, const vx__sip_ping_spec *spec, vx__sip_ping_cb cb, void *arg)
{
    uv_loop_t *loop = vx__engine_loop(engine);
    if (!loop || !spec || !cb)
        return VX_EINVAL;
    ping *p = calloc(1, sizeof *p);
    if (!p)
        return VX_ENOMEM;
    *p = (ping){.loop = loop, .cb = cb, .arg = arg, .started_ns = uv_hrtime()};
    p->op.cancel = on_engine_closed;
    vx__list_init(&p->op.link);
    int rc = setup(p, spec);
    if (rc == VX_OK)
        rc = vx__engine_attach(engine, &p->op);
    if (rc != VX_OK) {
        free_ping(p);
        return rc;
    }
    uv_timer_init(loop, &p->budget);
    uv_timer_init(loop, &p->retransmit);
    p->budget.data = p->retransmit.data = p;
    p->open_handles = 2;
    rc = p->transport == VX__EP_UDP ? udp_start(p) : stream_start(p);
    if (rc != VX_OK) {
        p->done = true; /* no callback: the error return says it */
        vx__engine_detach(&p->op);
        close_all(p);
        return rc;
    }
    uv_timer_start(&p->budget, on_budget, p->budget_ms, 0);
    return VX_OK;
}
