/*
 * probe/walk.h — iterative resolution from root hints, the way a resolver does it but with every
 * step reported: ask a server of the current zone (RD off), follow referrals (NS and in-bailiwick
 * glue), look up NS names that came without glue with nested walks, follow CNAMEs from the root,
 * and stop at the authoritative answer, NODATA or NXDOMAIN. `voxdns query` prints the steps
 * (+trace); the audit's delegation discovery reads the same steps.
 *
 * Servers of a zone are tried in order (IPv4 before IPv6); a server that times out, refuses or
 * answers uselessly (lame) is reported as a step and the next one is tried. Safety limits: at most
 * max_queries queries in all (nested lookups included), 30 referrals, 8 CNAME hops, nesting 4 deep.
 *
 * Callback rule: as for net/engine.h — callbacks run on the loop, never from inside
 * vx__walk_start(); an error return means no callback. Pointers in a step or result are valid
 * only during the callback.
 */
#ifndef VX_PROBE_WALK_H
#define VX_PROBE_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "net/engine.h"
#include "model/servers.h"
#include "wire/msg.h"

typedef enum vx__walk_event {
    VX__WALK_REFERRAL,  /* the server referred the walk to a child zone */
    VX__WALK_ANSWER,    /* the authoritative answer */
    VX__WALK_NODATA,    /* the name exists but has no record of the type */
    VX__WALK_NXDOMAIN,  /* the name does not exist */
    VX__WALK_CNAME,     /* an alias: the walk starts again at the root for its target */
    VX__WALK_LAME,      /* the server answered, but uselessly (error rcode, not authoritative) */
    VX__WALK_NO_ANSWER, /* the server did not answer (timeout, refused, network error) */
    VX__WALK_NS_LOOKUP  /* an NS name without glue is being looked up (nested walk) */
} vx__walk_event;

const char *vx__walk_event_name(vx__walk_event e);

typedef struct vx__walk_step {
    vx__walk_event event;
    unsigned depth; /* 0: the main walk; n: nested NS-name lookup level */
    const char *qname;
    uint16_t qtype;
    const char *zone;                   /* the zone the server was asked as */
    const vx__server *server;           /* NULL for NS_LOOKUP */
    const vx__query_result *query;      /* NULL for NS_LOOKUP */
    const vx__msg *msg;                 /* NULL when no response was accepted */
    const char *detail;                 /* referral target, CNAME target, lame reason, NS name */
    const vx__server_set *referral;     /* REFERRAL: the child's addresses known from glue */
    const vx__server_set *zone_servers; /* the asked zone's addresses known at this step */
    unsigned referral_ns_count;         /* REFERRAL: NS names in the referral */
} vx__walk_step;

typedef void (*vx__walk_step_cb)(void *arg, const vx__walk_step *step);

typedef struct vx__walk_result {
    int status;                    /* VX_OK (answer or NODATA), VX_ENOTFOUND (NXDOMAIN), or the
                                      error that ended the walk: VX_ETIMEDOUT when no server of
                                      the last zone answered at all (silence proves nothing),
                                      VX_ESERVFAIL when they answered uselessly */
    const char *error;             /* why, when status is an error ("" otherwise) */
    const char *qname;             /* the name finally answered (after CNAMEs) */
    const char *zone;              /* the zone whose server answered */
    const vx__server *server;      /* that server, NULL when none answered */
    const vx__query_result *query; /* the final query and its attempts */
    const vx__msg *msg;            /* the final response */
    unsigned queries;              /* queries sent, nested lookups included */
    unsigned referrals;
    double elapsed_ms;
} vx__walk_result;

typedef void (*vx__walk_done_cb)(void *arg, const vx__walk_result *result);

typedef struct vx__walk_opts {
    const vx__server_set *hints; /* must outlive the walk */
    unsigned query_flags;        /* VX__Q_DO, VX__Q_NSID, VX__Q_TCP; RD is never set */
    bool ipv4;                   /* use IPv4 server addresses (default true) */
    bool ipv6;                   /* use IPv6 server addresses (default true) */
    unsigned max_queries;        /* default 200 */
    const char *stop_at;         /* optional: end with VX_OK at the referral to this zone (the
                                    result's msg is the referral, zone the parent) */
    vx__walk_step_cb on_step;    /* optional */
    void *step_arg;
} vx__walk_opts;

void vx__walk_opts_default(vx__walk_opts *opts);

int vx__walk_start(vx__engine *engine, const char *qname, uint16_t qtype, const vx__walk_opts *opts,
                   vx__walk_done_cb done, void *arg);

#endif
