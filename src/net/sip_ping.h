/*
 * net/sip_ping.h — one SIP OPTIONS exchange (RFC 3261 §11) with one target tuple, over UDP,
 * TCP or TLS, on libuv; the endpoint probe's only way to the network.
 *
 * UDP: a connected socket of its own; the request is retransmitted per Timer A (RFC 3261
 * §17.1.2.2: T1 = 500 ms, doubling) until a response, an ICMP error or the budget; a
 * provisional response stops retransmissions. TCP and TLS: a stream (net/tcpconn.h; TLS 1.2+,
 * observed: the verification recorded, never enforced, the peer's chain kept) and one request. A
 * response is taken only when its Via branch, Call-ID and CSeq match the request (wire/sip_msg.h
 * reads it). The whole exchange, connection and handshake included, ends after the budget (default
 * VX__RETRY_BUDGET_MS, 3 s), so a silent target costs what a silent DNS server does; many pings run
 * in parallel on one loop.
 *
 * The result is a model/endpoint.h observation without host (the caller's): status, code,
 * reason, agent, RTT from the first request sent, attempts, and for TLS the session facts and
 * the chain (base64 DER). Callback rule as for net/engine.h: exactly one callback per started
 * ping, never from inside vx__sip_ping(); the observation is valid only during it.
 *
 * Lifetime: a ping runs on its engine's loop and belongs to the engine's lifetime: if
 * vx__engine_close() comes first, the ping's callback runs from inside it (VX_ECANCELED) and
 * the ping is only closing handles afterwards, so an owner that keeps things beside the engine
 * (an audit, a monitor cycle) never hears from a ping once the engine is closed.
 */
#ifndef VX_NET_SIP_PING_H
#define VX_NET_SIP_PING_H

#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "model/endpoint.h"
#include "net/engine.h"
#include "net/tcpconn.h"

typedef struct vx__sip_ping_spec {
    vx__ep_transport transport;
    const struct sockaddr *addr; /* with the port */
    const char *request_uri;     /* "sip:example.com" */
    const char *sni;             /* TLS server name (the SIP domain), may be NULL */
    vx__tls_ctx *tls;            /* required for VX__EP_TLS: an observing context */
    uint32_t budget_ms;          /* 0: VX__RETRY_BUDGET_MS */
} vx__sip_ping_spec;

typedef void (*vx__sip_ping_cb)(void *arg, const vx__endpoint_obs *obs);

/* VX_OK (the callback will run), VX_EINVAL, VX_ENOMEM, VX_ENETWORK (no socket), VX_ECANCELED
 * (the engine is closing). */
int vx__sip_ping(vx__engine *engine, const vx__sip_ping_spec *spec, vx__sip_ping_cb cb, void *arg);

#endif
