/*
 * sip/locate_snapshot.h — sip/'s RFC 3263 locator run over a snapshot's observations instead of
 * a resolver, so that the audit judges and probes exactly the targets a client would reach
 * (DESIGN.md: "sip/ is the one RFC 3263 engine"). The audit uses it three ways:
 *
 *   collecting (probe/audit.c)  mode ANY, every_path: every conclusive answer so far, from any
 *                               server, is followed; the questions no observation answers yet
 *                               are handed to `missing`, which asks them;
 *   the chain the checks read   mode CONSENSUS, every_path: the SRV names reached
 *   (check/view_sip.c)          (result->services) and the targets;
 *   the endpoint targets        mode CONSENSUS: the (transport, host, port, address) tuples in
 *                               the order a client tries them (result->targets).
 *
 * Location is of "sip:DOMAIN" with UDP, TCP, TLS and SCTP, both address families and no domain
 * policy. RFC 2782's weighted choice draws from a generator seeded by the domain name, so that
 * one snapshot always gives the same order.
 *
 * Core only: it reads model/, which the installed libvoxdns does not contain (the CMake glob
 * for the library leaves this file out).
 */
#ifndef VX_SIP_LOCATE_SNAPSHOT_H
#define VX_SIP_LOCATE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/snapshot.h"
#include "model/view.h"
#include "sip/locate.h"

typedef enum vx__sip_snap_mode {
    VX__SIP_SNAP_CONSENSUS = 0, /* each question's consensus answer (model/view.h): what a
                                   resolver most likely caches */
    VX__SIP_SNAP_ANY            /* every conclusive answer merged (records deduplicated) */
} vx__sip_snap_mode;

typedef struct vx__sip_snap_opts {
    vx__sip_snap_mode mode;
    const vx__view *view;        /* CONSENSUS: a built view of the snapshot */
    const vx__snapshot *snap;    /* ANY: the snapshot (complete or not) */
    vx__sip_question_fn missing; /* a question without any observation yet (may be NULL) */
    void *missing_ctx;
    bool every_path;     /* see vx__sip_opts */
    const char *profile; /* "lync"/"teams" add their SRV names (extra_srv) */
} vx__sip_snap_opts;

/* Locates domain over the snapshot. Returns result->status as vx__sip_locate() does, and sets
 * *out whenever the domain was valid (the caller frees it with vx__sip_result_free). */
int vx__sip_locate_snapshot(const char *domain, const vx__sip_snap_opts *o, vx__sip_result **out);

/* The SRV names a profile's clients ask besides RFC 3263's (Lync/Skype, Teams); 0 for others. */
size_t vx__sip_profile_srv(const char *profile, const vx__sip_srv_name **out);

#endif
