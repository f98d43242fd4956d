/*
 * net/notify_listen.h — the monitor's NOTIFY listener: a UDP socket and a TCP listener on each
 * configured address, on the monitor's libuv loop. It only carries messages: each request (a
 * datagram, or one length-prefixed message on a TCP connection) goes to the handler with its
 * source address, and the handler's answer, if any, goes back the way the request came. What a
 * request means is wire/notify.h's and the monitor's business.
 *
 * Bounds: at most VX__NOTIFY_MAX_CONNS TCP connections at once (more are accepted and closed at
 * once), a connection silent for VX__NOTIFY_IDLE_MS is closed, a TCP message is at most 65535
 * bytes by its framing. Callback rule as for net/engine.h: the handler runs on the loop thread.
 */
#ifndef VX_NET_NOTIFY_LISTEN_H
#define VX_NET_NOTIFY_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#define VX__NOTIFY_MAX_CONNS 64u
#define VX__NOTIFY_IDLE_MS 10000u

typedef struct vx__notify_listen vx__notify_listen;

/* One request from `from` over UDP or TCP; writes the answer into answer (cap bytes) and
 * returns its length, 0 for no answer. msg is valid during the call only. */
typedef size_t (*vx__notify_handler)(void *arg, const uint8_t *msg, size_t len,
                                     const struct sockaddr *from, bool tcp, uint8_t *answer,
                                     size_t cap);

/* Binds UDP and TCP on every address (with its port). On failure nothing stays open and err
 * says which address and why (VX_ENETWORK; VX_ENOMEM). */
int vx__notify_listen_start(uv_loop_t *loop, const struct sockaddr_storage *addrs, size_t count,
                            vx__notify_handler handler, void *arg, vx__notify_listen **out,
                            char *err, size_t errcap);
/* Closes every socket and connection; the memory goes once the loop has run the closes. No
 * handler call after this. NULL is fine. */
void vx__notify_listen_stop(vx__notify_listen *l);
/* Requests carried so far (UDP and TCP), and TCP connections turned away at the cap. */
void vx__notify_listen_counts(const vx__notify_listen *l, uint64_t *requests, uint64_t *turned);

#endif
