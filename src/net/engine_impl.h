/*
 * net/engine_impl.h — private to net/: the layout of the engine, its server table entries and
 * its query objects, and the functions that the engine's files (engine.c: lifecycle and API,
 * sched.c: server table, caps and token buckets, udp.c, tcp.c: transports) call in one another;
 * and the attachment of other net/ work on the engine's loop (sip_ping.c) to its lifetime.
 * Nothing outside src/net/ includes this.
 */
#ifndef VX_NET_ENGINE_IMPL_H
#define VX_NET_ENGINE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "net/engine.h"
#include "common/rtt.h"
#include "net/ids.h"
#include "wire/query.h"
#include "wire/reader.h"

/* Intrusive doubly linked list with a sentinel head: O(1) removal from wherever a query
 * waits, so that no hot path ever scans. */
typedef struct vx__link {
    struct vx__link *prev;
    struct vx__link *next;
} vx__link;

static inline void vx__list_init(vx__link *head)
{
    head->prev = head;
    head->next = head;
}

static inline bool vx__list_empty(const vx__link *head)
{
    return head->next == head;
}

static inline void vx__list_push_tail(vx__link *head, vx__link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static inline void vx__list_remove(vx__link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l;
    l->next = l;
}

#define VX__CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

typedef struct vx__server vx__server;
typedef struct vx__query vx__query;

/* Work on the engine's loop beside its queries (net/sip_ping.c): vx__engine_close() cancels it
 * like a query, so that nothing of it calls back once the engine (and what its owner keeps
 * with it) is gone. cancel runs once, from inside the close, after the op was detached; it
 * gives its owner's callback there (VX_ECANCELED) and never touches the engine again. */
typedef struct vx__engine_op {
    vx__link link; /* vx__list_init() it before the first attach or detach */
    void (*cancel)(struct vx__engine_op *op);
} vx__engine_op;
typedef struct vx__tcp vx__tcp;
typedef struct vx__usock vx__usock;
typedef struct vx__stream vx__stream;

/* One UDP socket (usock.c). It talks to one server only, for the whole of its life. */
struct vx__usock {
    int fd;       /* -1 once closed (the object may outlive the fd, see usock.c) */
    vx__query *q; /* the query using it; NULL while idle in its server's pool */
    vx__server *server;
    unsigned uses; /* queries carried so far */
    uint64_t born_ns;
    uint64_t idle_ns;     /* when it last went idle */
    vx__link server_link; /* in its server's idle pool */
    vx__link engine_link; /* in the engine's idle list (oldest first), or its dead list */
};

/* One server address and port: its RTT state, its in-flight count, its token bucket and the
 * queries that wait for it. Entries live until the engine is freed (the RTT state is the point
 * of keeping them). */
struct vx__server {
    vx__engine *engine;
    struct sockaddr_storage addr; /* normalised: family, port, address (and IPv6 scope) only */
    socklen_t addr_len;
    uint32_t hash;
    vx__rtt rtt;
    uint64_t quiet_since_ns; /* start of the oldest query since the server was last heard from
                                (0: heard from, or nothing asked): its silence budget */
    unsigned inflight;
    vx__link waiting;       /* FIFO of queries not yet started */
    vx__link idle_socks;    /* UDP sockets to this server that may carry another query */
    vx__server *ready_next; /* in the engine's ready list: admissible, waiting for global room */
    bool ready;
    double tokens;
    uint64_t refill_ns;
    bool timer_init;
    uv_timer_t token_timer; /* wakes the server up when its bucket has a token again */
};

typedef enum vx__qstate {
    VX__QS_WAITING = 0, /* queued at its server, not admitted */
    VX__QS_UDP,
    VX__QS_TCP,
    VX__QS_DEFERRED, /* failed while starting; the failure is delivered from the timer */
    VX__QS_DONE      /* callback delivered or under way; waiting for handles to close */
} vx__qstate;

struct vx__query {
    /* Kept while the object sits on the freelist: the timer stays initialised between queries
     * so that a recycled object costs no handle setup. */
    vx__engine *engine;
    bool timer_init;
    uv_timer_t timer;

    /* Everything from here on is reset for each query. */
    vx__link link; /* in its server's waiting list, the engine's active list or the freelist */
    vx__server *server;
    vx__query_cb cb;
    void *arg;
    unsigned flags;
    vx__qstate state;
    int deferred_status;
    vx__rtt plan;       /* the server's RTT state when the query started: its retry plan */
    uint64_t start_ns;  /* first send; the budget counts from here */
    uint32_t budget_ms; /* all attempts: what the server's silence budget had left at start */
    uint64_t sent_ns[VX__ATTEMPTS_MAX];
    uint16_t ids[VX__ATTEMPTS_MAX]; /* id of each attempt; a UDP answer may match any of them */
    vx__usock *sock;                /* while asking over UDP */
    vx__tcp *tcp;
    size_t wire_len;
    uint8_t wire[2 + VX__QUERY_MAX]; /* room for TCP's length prefix, then the query */
    vx__question question;
    vx__query_result result;
    uv_poll_t poll;
};

struct vx__engine {
    uv_loop_t *loop;
    vx__engine_opts opts;
    vx__engine_stats stats;
    unsigned inflight;
    unsigned handles_open; /* initialised handles whose close callback has not run */
    bool closing;
    int epfd;          /* every UDP socket of the engine, in one epoll set */
    uv_poll_t ep_poll; /* ... which is the only fd libuv watches for UDP */
    bool in_batch;     /* inside the epoll batch: closed sockets go to dead_socks */
    vx__link idle_socks;
    vx__link dead_socks;
    bool sweep_init;
    uv_timer_t sweep;  /* closes sockets that sat idle too long */
    vx__link active;   /* admitted queries */
    vx__link streams;  /* TCP exchanges of many messages (stream.c) */
    vx__link ops;      /* attached work of other net/ modules (vx__engine_op) */
    vx__link freelist; /* recycled query objects */
    unsigned free_count;
    vx__server **table; /* open addressing, power-of-two size, at most half full */
    size_t table_cap;
    size_t table_count;
    uint32_t hash_seed;
    vx__server *ready_head;
    vx__server *ready_tail;
    vx__id_pool ids;   /* net/ids.h */
    uint8_t rx[65536]; /* every UDP datagram is received here: one buffer, no copies */
};

/* engine.c */
/* VX_ECANCELED (not attached) once the engine is closing. Detaching twice is harmless. */
int vx__engine_attach(vx__engine *e, vx__engine_op *op);
void vx__engine_detach(vx__engine_op *op);
int vx__engine_next_id(vx__engine *e, uint16_t *out);
void vx__engine_handle_closed(vx__engine *e);
void vx__query_start(vx__query *q);
void vx__server_heard(vx__server *s);
void vx__query_finish(vx__query *q, int status);
void vx__query_arm_timer(vx__query *q, uint32_t timeout_ms);
unsigned vx__attempt_open(vx__query *q, vx__transport transport, uint32_t timeout_ms);
void vx__attempt_close(vx__query *q, int status, uint64_t now_ns);
double vx__ns_to_ms(uint64_t ns);
int vx__status_from_uv(int err);

/* sched.c */
vx__server *vx__server_find(const vx__engine *e, const struct sockaddr *sa);
vx__server *vx__server_get(vx__engine *e, const struct sockaddr *sa);
void vx__sched_submit(vx__engine *e, vx__query *q);
void vx__sched_release(vx__engine *e, vx__server *s);
void vx__sched_cancel_waiting(vx__engine *e);
void vx__sched_close(vx__engine *e);
void vx__sched_free(vx__engine *e);

/* usock.c */
int vx__usock_init(vx__engine *e);
void vx__usock_shutdown(vx__engine *e);
int vx__usock_take(vx__engine *e, vx__server *s, vx__usock **out);
void vx__usock_release(vx__engine *e, vx__usock *k, bool reusable);

/* udp.c */
int vx__udp_start(vx__query *q);
void vx__udp_on_timeout(vx__query *q);
void vx__udp_event(vx__query *q, uint32_t events);
void vx__udp_release(vx__query *q, int status);

/* stream.c */
void vx__stream_cancel_all(vx__engine *e);

/* tcp.c */
int vx__tcp_start(vx__query *q, uint32_t timeout_ms);
void vx__tcp_detach(vx__query *q);

#endif
