/*
 * net/resdriver.h — the driver that runs the sans-I/O stub resolver (resolver/resolver.h) on a
 * libuv loop: it carries out the state machine's SEND and CANCEL actions over UDP and TCP to
 * the upstreams, feeds back what arrives, keeps the one timer armed at vx__res_deadline(), and
 * hands RESULT actions to its owner. Its sockets are net/'s, the probe engine's too: UDP
 * through net/udpsock.h, TCP through net/tcpconn.h, the framing and the matching of answers in
 * wire/frame.h and wire/answer.h, the ids from net/ids.h. Retries, failover and timing are the
 * state machine's, so the driver does not use the engine's queries (their retry plan is the
 * engine's own), and libvoxdns carries no part of the probe engine.
 *
 * A TLS upstream (vx__resdrv_set_tls) is asked over its DNS-over-TLS channel instead: one
 * connection kept open and reused, queries pipelined (net/resdot.h).
 *
 * Every UDP query gets its own socket, unconnected and bound to an ephemeral port the kernel
 * picks at random, with ICMP errors reported (a port unreachable fails the attempt at once);
 * every TCP query its own connection. Only a message that answers the query (source address
 * and port, QR, opcode, id, question: wire/answer.h) goes to the state machine; anything else
 * is counted (vx__resdrv_dropped) and dropped, and a UDP socket keeps listening (a forgery may
 * race the real answer), while over TCP it fails the attempt. A socket is closed when its
 * answer arrives, on CANCEL, or when it outlives the lookup budget.
 *
 * Callback rule: a RESULT callback never runs from inside vx__resdrv_submit() or
 * vx__resdrv_cancel() (those only arm a zero-delay timer); the record list it is given is
 * valid only during the callback.
 */
#ifndef VX_NET_RESDRIVER_H
#define VX_NET_RESDRIVER_H

#include <stdint.h>

#include <uv.h>

#include "net/tls.h"
#include "resolver/resolver.h"

typedef struct vx__resdrv vx__resdrv;

typedef void (*vx__resdrv_cb)(void *arg, const vx__res_result *result);

/* Takes ownership of res (freed by vx__resdrv_close). */
int vx__resdrv_new(uv_loop_t *loop, vx__res *res, vx__resdrv_cb cb, void *arg, vx__resdrv **out);
/* Closes every socket and the timer; no further callbacks. The memory is released once the
 * loop has run the close callbacks. */
void vx__resdrv_close(vx__resdrv *d);

vx__res *vx__resdrv_res(vx__resdrv *d);
int vx__resdrv_submit(vx__resdrv *d, const vx__question *q, uint64_t *lookup);
void vx__resdrv_cancel(vx__resdrv *d, uint64_t lookup);

/* Asks upstream over DNS over TLS (net/resdot.h) from now on; takes ownership of ctx (freed
 * on error too). VX_EINVAL for an unknown upstream or one already set. */
int vx__resdrv_set_tls(vx__resdrv *d, unsigned upstream, vx__tls_ctx *ctx);
/* TLS connections opened so far, all upstreams together (a warm channel reuses one). */
unsigned vx__resdrv_tls_connections(const vx__resdrv *d);
/* Messages received that answered no query (wrong source, id or question), all transports. */
uint64_t vx__resdrv_dropped(const vx__resdrv *d);

/* A CSPRNG source of DNS ids for vx__res_opts.random16: net/ids.h, the engine's source too. */
uint16_t vx__resdrv_random16(void *arg);
/* VX_EUNSUPPORTED when the kernel gives no random ids (no getrandom()). */
int vx__resdrv_random_check(void);

#endif
