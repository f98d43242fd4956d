/*
 * net/engine.h — the asynchronous DNS query engine on libuv: the only code that touches
 * sockets. One call sends one question to one explicit server address and calls back exactly
 * once with the response or an error.
 *
 * Over UDP every query gets its own socket (a fresh random source port) and a random id; a
 * datagram is accepted only when its source address and port, id and question match the
 * query, and anything else is counted (per query and in the engine totals) and dropped.
 * Opt-in (udp_reuse > 1): a socket may carry several queries one after the other, never two at
 * once and only ever to the one server it was opened for, for at most udp_reuse queries and 2 s
 * (1 s idle); datagrams reaching an idle socket are counted as dropped. A
 * truncated (TC) answer is asked again over TCP. Each attempt's timeout comes from the server's
 * RTT state (common/rtt.h); a silent server is given up after VX__RETRY_ATTEMPTS attempts or
 * VX__RETRY_BUDGET_MS, whichever ends first; that budget belongs to the server's silence, not
 * to one query: a query started while the server has not been heard from since an earlier one
 * started gets only what is left of that budget, and none (VX_ETIMEDOUT at once, nothing sent,
 * no attempt) once a whole budget has passed in silence; a silence two budgets old is
 * forgotten. ICMP port unreachable ends a query at once with
 * VX_EREFUSED. Queries wait in a queue when the global in-flight cap, the server's in-flight
 * cap or the server's token bucket says so. Nothing blocks.
 *
 * Callback rule: a callback runs on the loop thread, never from inside vx__engine_query();
 * an error return from vx__engine_query() means no callback will run. Data passed to a
 * callback is valid only during it.
 */
#ifndef VX_NET_ENGINE_H
#define VX_NET_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "common/rtt.h"
#include "model/transport.h"
#include "wire/reader.h"

#define VX__ATTEMPTS_MAX 8

typedef struct vx__engine vx__engine;

typedef struct vx__engine_opts {
    unsigned max_inflight;            /* global cap on queries on the wire (default 1024) */
    unsigned max_inflight_per_server; /* per server address (default 64) */
    double server_rate;               /* token bucket: queries per second per server; 0 = off */
    unsigned server_burst;            /* bucket depth (default 100) */
    unsigned max_attempts;            /* UDP attempts per query (default VX__RETRY_ATTEMPTS) */
    uint32_t budget_ms;               /* per query, all attempts (default VX__RETRY_BUDGET_MS) */
    unsigned udp_reuse;               /* queries per UDP socket, see above (default 1: none) */
} vx__engine_opts;

void vx__engine_opts_default(vx__engine_opts *opts);

/* One attempt of a query, for the attempt history that `voxdns query` prints. */
typedef struct vx__attempt {
    vx__transport transport;
    int status;          /* VX_OK, VX_ETIMEDOUT, VX_EREFUSED, VX_ENETWORK, VX_EMALFORMED */
    uint32_t timeout_ms; /* the timeout this attempt was given */
    double elapsed_ms;   /* from send to answer or to giving up */
    bool truncated;      /* this attempt's answer had TC set (and TCP followed) */
} vx__attempt;

typedef struct vx__query_result {
    int status;          /* VX_OK when a matching response arrived */
    const uint8_t *wire; /* the accepted response (valid during the callback only) */
    size_t wire_len;
    double rtt_ms;           /* of the attempt that got the response */
    vx__transport transport; /* of that attempt */
    unsigned attempt_count;
    vx__attempt attempts[VX__ATTEMPTS_MAX];
    unsigned dropped; /* datagrams dropped for this query: wrong source, id or question */
} vx__query_result;

typedef void (*vx__query_cb)(void *arg, const vx__query_result *result);

typedef struct vx__query_spec {
    const struct sockaddr *server; /* address and port (copied) */
    const vx__question *question;  /* copied */
    unsigned flags;                /* VX__Q_* from wire/query.h; VX__Q_TCP for TCP only */
} vx__query_spec;

typedef struct vx__engine_stats {
    uint64_t queries;  /* vx__engine_query() calls accepted */
    uint64_t sent;     /* datagrams and TCP messages sent */
    uint64_t answered; /* queries completed with VX_OK */
    uint64_t timeouts; /* attempts that timed out */
    uint64_t dropped;  /* datagrams dropped: wrong source, id, question, or malformed */
    uint64_t tcp_fallbacks;
    uint64_t refused; /* ICMP unreachable / connection refused */
} vx__engine_stats;

int vx__engine_new(uv_loop_t *loop, const vx__engine_opts *opts, vx__engine **out);
/* The loop the engine runs on (for other I/O of the same collector). */
uv_loop_t *vx__engine_loop(const vx__engine *e);
/* Cancels every pending query and every SIP ping started on the engine (net/sip_ping.h):
 * their callbacks run from here with VX_ECANCELED, none after. Releases the engine once its
 * handles have closed; the caller then lets the loop run to completion. */
void vx__engine_close(vx__engine *engine);

int vx__engine_query(vx__engine *engine, const vx__query_spec *spec, vx__query_cb cb, void *arg);

void vx__engine_get_stats(const vx__engine *engine, vx__engine_stats *out);
/* The RTT state the engine keeps for a server address (VX_ENOTFOUND if never queried). */
int vx__engine_server_rtt(const vx__engine *engine, const struct sockaddr *server, vx__rtt *out);

#endif
