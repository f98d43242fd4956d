/*
 * monitor/propagation.h — how long a new serial takes to reach each authoritative address of a
 * domain, written sans-I/O: the caller gives it the domain's servers (after each full audit),
 * the start of a propagation (an accepted NOTIFY, or the cycle that first saw a server serve a
 * newer serial), the SOA answers it asked for, and the time; it says which server to ask next
 * and when, and reports each server's time to serve, and each server still not serving it
 * after the domain's propagation_slow. Tests drive it on a virtual clock.
 *
 * Polling: every other server is asked at once, then after 250 ms, doubling up to 30 s between
 * asks, until it serves the serial (or a newer one: RFC 1982 order); a server is given up after
 * VX__PROP_GIVE_UP_MS. The time recorded is when the answer that showed the serial arrived: an
 * upper bound, at most the last interval late. A newer serial for the domain replaces the
 * tracking (the servers still behind start again towards it, from the new start); an equal or
 * older one is ignored. Domains in dual-primary mode are not tracked (each provider's serials
 * follow their own scheme: one serial does not propagate to every server). The last tracking of
 * each domain stays after it completes, so that its servers' states can still be read.
 */
#ifndef VX_MONITOR_PROPAGATION_H
#define VX_MONITOR_PROPAGATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check/providers.h"
#include "model/view.h"

#define VX__PROP_FIRST_MS 250u
#define VX__PROP_MAX_INTERVAL_MS 30000u
#define VX__PROP_GIVE_UP_MS (24u * 3600u * 1000u)

typedef struct vx__prop vx__prop;

typedef struct vx__prop_server {
    char label[VX__LABEL_TEXT_MAX]; /* "ns1.example.net/192.0.2.1" */
    char provider[VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX];
    struct sockaddr_storage addr;
    bool has_serial; /* what it served in the audit the roster comes from */
    uint32_t serial;
} vx__prop_server;

typedef enum vx__prop_origin { VX__PROP_NOTIFY = 0, VX__PROP_SIGHTING } vx__prop_origin;

/* What the tracker reports (each hook may be NULL). seconds: from the start to the answer that
 * showed the serial (measured), or so far (slow). */
typedef struct vx__prop_hooks {
    void (*measured)(void *arg, const char *domain, const vx__prop_server *s, uint32_t serial,
                     vx__prop_origin origin, double seconds, bool was_slow);
    void (*slow)(void *arg, const char *domain, const vx__prop_server *s, uint32_t serial,
                 double seconds);
    void *arg;
} vx__prop_hooks;

/* One SOA question to send: domain (no trailing dot) to addr; give it back to
 * vx__prop_answer with the outcome. */
typedef struct vx__prop_poll {
    char domain[VX__NAME_TEXT_MAX];
    struct sockaddr_storage addr;
    uint64_t tracking; /* which tracking asked (a replaced one ignores its answers) */
    size_t server;
} vx__prop_poll;

/* A server's state in the domain's current tracking (for the diff and the dashboard). */
typedef struct vx__prop_state {
    const vx__prop_server *server;
    uint32_t serial;    /* the serial propagating */
    uint64_t origin_ms; /* when it started */
    bool notify;        /* started by a NOTIFY (else by a sighting) */
    uint64_t served_ms; /* when it was seen serving it; 0: not yet */
    bool slow;          /* not serving it propagation_slow after the start (stays once set) */
    bool gave_up;
} vx__prop_state;

vx__prop *vx__prop_new(const vx__prop_hooks *hooks);
void vx__prop_free(vx__prop *p);

/* The domain's servers as its latest full audit found them (copied), its dual-primary verdict
 * and its propagation_slow. When a server serves a serial newer than every serial of the
 * previous roster and no tracking has it yet, a SIGHTING tracking starts at seen_ms: the
 * servers already serving it are not measured (when they got it is not known). */
int vx__prop_set_servers(vx__prop *p, const char *domain, const vx__prop_server *servers,
                         size_t count, bool dual_primary, uint64_t slow_ms, uint64_t seen_ms);
/* A NOTIFY announced serial (has_serial false: "newer than the newest the roster saw").
 * VX_OK when a tracking started; VX_ENOTFOUND when the domain has no roster yet (no audit),
 * or is dual-primary, or, without a serial, the roster saw none; VX_EINVAL when the serial is
 * not newer than the one tracked already. */
int vx__prop_notify(vx__prop *p, const char *domain, bool has_serial, uint32_t serial,
                    uint64_t now_ms);

/* The questions due at now_ms (at most cap; the rest stay due); reports slow servers. */
size_t vx__prop_due(vx__prop *p, uint64_t now_ms, vx__prop_poll *out, size_t cap);
/* The outcome of a poll: ok with the serial the server answered, or not ok (no answer). */
void vx__prop_answer(vx__prop *p, const vx__prop_poll *poll, bool ok, uint32_t serial,
                     uint64_t now_ms);
/* When vx__prop_due has something next (a poll or a slow deadline); UINT64_MAX: nothing. */
uint64_t vx__prop_next_ms(const vx__prop *p);
/* The domain's current tracking, one state per server (at most cap); 0 when none. */
size_t vx__prop_states(const vx__prop *p, const char *domain, vx__prop_state *out, size_t cap);
/* Drops the domains not in names (a reload removed them). */
void vx__prop_keep_only(vx__prop *p, const char *const *names, size_t count);

#endif
