/*
 * net/resdot.h — DNS over TLS (RFC 7858) for the stub resolver's driver (net/resdriver.c): one
 * channel per TLS upstream, holding one connection (net/tcpconn.h carrying net/tls.h's session)
 * that is opened on the first query, kept open and reused, with queries pipelined on it
 * (two-octet length framing, RFC 7766 §8, wire/frame.h; answers may come in any order, and
 * one goes to the state machine only when it answers a query on the wire: wire/answer.h) and
 * closed after VX__DOT_IDLE_MS without an outstanding query. Queries
 * sent before the handshake ends wait for it. When the connection fails, every query on it is
 * reported failed, so that the state machine fails over; the next query opens a new
 * connection.
 *
 * Events go to the owner's callbacks from the loop, never from inside vx__resdot_send().
 */
#ifndef VX_NET_RESDOT_H
#define VX_NET_RESDOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "net/tls.h"

#define VX__DOT_IDLE_MS 20000u
#define VX__DOT_PENDING_MAX 128

typedef struct vx__resdot vx__resdot;

typedef struct vx__resdot_cbs {
    void (*response)(void *arg, unsigned upstream, const uint8_t *wire, size_t len);
    void (*failed)(void *arg, unsigned upstream, uint16_t id, int status);
    void (*closed)(void *arg); /* the channel's memory is gone (after vx__resdot_free) */
    void *arg;
} vx__resdot_cbs;

/* Takes ownership of ctx. */
int vx__resdot_new(uv_loop_t *loop, vx__tls_ctx *ctx, const struct sockaddr *addr,
                   unsigned upstream, const vx__resdot_cbs *cbs, vx__resdot **out);
/* Queues or writes the query (wire[0..len), DNS id id). VX_ELIMIT when too many wait. */
int vx__resdot_send(vx__resdot *c, uint16_t id, const uint8_t *wire, size_t len);
/* Stops waiting for id (its answer, if it comes, is dropped and counted). */
void vx__resdot_cancel(vx__resdot *c, uint16_t id);
/* Connections opened so far (a warm channel reuses one). */
unsigned vx__resdot_connections(const vx__resdot *c);
/* Messages received that answered no query on the wire (dropped). */
uint64_t vx__resdot_dropped(const vx__resdot *c);
/* Closes everything; cbs->closed runs once the loop has closed the handles. */
void vx__resdot_free(vx__resdot *c);

#endif
