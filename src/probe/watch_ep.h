/*
 * probe/watch_ep.h — the quiet cycle's SIP endpoint part (voxdns-monitor(1)): the target tuples
 * an audit probed (its snapshot's endpoint observations), each asked again with one OPTIONS
 * exchange (net/sip_ping.h), and whether every tuple is as it was at the audit — answering or
 * not, and over TLS the same leaf certificate (SHA-256 of the DER). Another status code or RTT
 * is no change: the next full audit's checks and diff judge those; a tuple that starts or stops
 * answering, or presents another certificate, sends the domain to a full audit at once, the way
 * a changed DNS answer does (probe/watch.h).
 *
 * Callback rule as for net/engine.h: exactly one callback per started run, never from inside
 * vx__ep_watch_run(); the observations are valid only during it. The pings run on the engine:
 * vx__engine_close() ends a run in flight from inside it (its pings read VX_ECANCELED).
 */
#ifndef VX_PROBE_WATCH_EP_H
#define VX_PROBE_WATCH_EP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <uv.h>

#include "model/endpoint.h"
#include "model/snapshot.h"
#include "net/engine.h"
#include "net/tcpconn.h"

typedef struct vx__ep_watch_tuple {
    char *host; /* the target host ("sbc1.example.com.") */
    vx__ep_transport transport;
    struct sockaddr_storage addr; /* with the port */
    bool up;                      /* a final response to OPTIONS at the audit */
    char leaf[65];                /* TLS: the leaf's SHA-256 at the audit, "" when none */
} vx__ep_watch_tuple;

typedef struct vx__ep_watch {
    char *domain; /* without the trailing dot: the request URI's host and the TLS SNI */
    vx__ep_watch_tuple *items;
    size_t count;
} vx__ep_watch;

/* The tuples of snap (VX_ENOTFOUND when it has none: endpoints not probed, or no target);
 * VX_ENOMEM. */
int vx__ep_watch_build(const vx__snapshot *snap, vx__ep_watch **out);
void vx__ep_watch_free(vx__ep_watch *w);

/* unchanged: every tuple as at the audit. obs: w->count observations, parallel to w->items,
 * with host set. */
typedef void (*vx__ep_watch_cb)(void *arg, bool unchanged, const vx__endpoint_obs *obs,
                                size_t count);

/* Pings every tuple in parallel; w and tls must outlive the run, until the callback, which may
 * free them. VX_OK (the callback will run), VX_EINVAL, VX_ENOMEM, or the error of the first
 * ping when none could start. */
int vx__ep_watch_run(vx__engine *engine, const vx__ep_watch *w, vx__tls_ctx *tls,
                     vx__ep_watch_cb cb, void *arg);

/* The stored form (in the watch plan's text, probe/watch.h): "D DOMAIN" once, then one line
 * per tuple "E TRANSPORT UP ADDRESS:PORT HOST LEAF" (LEAF "-" when none), each ending in a
 * line feed; appended to *out (malloc'd, grown). VX_ENOMEM. */
int vx__ep_watch_encode(const vx__ep_watch *w, char **out, size_t *len);
/* One such line (without the line feed) read back into *w (created by the D line). Anything
 * malformed is VX_EMALFORMED, never a crash; VX_ENOMEM. */
int vx__ep_watch_decode_line(const char *line, vx__ep_watch **w);

/* Is obs as tup was at the audit? */
bool vx__ep_watch_same(const vx__ep_watch_tuple *tup, const vx__endpoint_obs *obs);

#endif
