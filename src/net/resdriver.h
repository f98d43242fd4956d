/*
 * net/resdriver.h — the driver that runs the sans-I/O stub resolver (resolver/resolver.h) on a
 * libuv loop: it carries out the state machine's SEND and CANCEL actions over UDP and TCP to
 * the upstreams, feeds back what arrives, keeps the one timer armed at vx__res_deadline(), and
 * hands RESULT actions to its owner.
 *
 * A TLS upstream (vx__resdrv_set_tls) is asked over its DNS-over-TLS channel instead: one
 * connection kept open and reused, queries pipelined (net/resdot.h).
 *
 * Every UDP query gets its own socket, bound to an ephemeral port the kernel picks at random,
 * and connected to the upstream, so that the kernel filters the source address and reports ICMP
 * unreachable; the driver still checks the source address of every datagram, and everything
 * else (id, question) is the state machine's job. A socket is closed when a datagram with the
 * query's id arrives from the upstream, on CANCEL, or when it outlives the lookup budget.
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

/* A CSPRNG source of DNS ids for vx__res_opts.random16: net/ids.h, the engine's source too. */
uint16_t vx__resdrv_random16(void *arg);
/* VX_EUNSUPPORTED when the kernel gives no random ids (no getrandom()). */
int vx__resdrv_random_check(void);

#endif
