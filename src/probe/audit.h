/*
 * probe/audit.h — the audit's collector: from the root hints to every authoritative address of
 * a SIP domain and along its SIP chain, every independent question in flight at once, every
 * answer recorded in a snapshot (what is asked: docs/audit-probes.md).
 *
 * Speed: questions that do not depend on each other are all sent at once, bounded only by the
 * engine's per-server caps; the wall time approaches the chain of dependent round trips. An
 * address whose SOA probe got no answer is dead: questions found for it later are recorded as
 * VX_ECANCELED without being sent, so a dead server costs one retry budget, not one per question.
 *
 * Callback rule as for net/engine.h. The snapshot passed to done belongs to the callee.
 */
#ifndef VX_PROBE_AUDIT_H
#define VX_PROBE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "net/engine.h"
#include "net/tcpconn.h"
#include "model/servers.h"
#include "model/snapshot.h"

typedef struct vx__audit_opts {
    const vx__server_set *hints;    /* must outlive the audit */
    const char *profile;            /* "generic" (default), "lync", "teams", "enum" */
    const char *const *alt_domains; /* audited the same way into snapshot->alt */
    size_t alt_count;
    const char *const *extra_names; /* more (name, type) questions for every address: the */
    const uint16_t *extra_types;    /* records a monitor configuration watches */
    size_t extra_count;
    bool ipv4;        /* ask IPv4 addresses (default true) */
    bool ipv6;        /* ask IPv6 addresses (default true) */
    bool endpoints;   /* OPTIONS to every SIP target tuple as the chain yields it, in
                         parallel with the DNS questions (probe/endpoints.h); default
                         false; never for alternate domains */
    vx__tls_ctx *tls; /* observing TLS context for TLS targets (required with endpoints) */
    /* Undelegated audit (`--ns`): the zone's servers are these, not the parent's or the zone's
     * NS set (a name without address is resolved, every address of it taken); the parent is
     * still asked (delegation, DS), and the live delegation is audited beside it into
     * snapshot->live (no endpoints, no alternates). */
    const vx__ns_spec *ns;
    size_t ns_count;
} vx__audit_opts;

void vx__audit_opts_default(vx__audit_opts *opts);

/* status: VX_OK when the snapshot is complete (whatever it shows); VX_ENETWORK when not a
 * single root server answered (the audit could not run); VX_ENOMEM, VX_ECANCELED. */
typedef void (*vx__audit_done_cb)(void *arg, int status, vx__snapshot *snap);

/* Progress for a terminal's progress line: questions answered and questions asked so far. */
typedef void (*vx__audit_progress_cb)(void *arg, unsigned done, unsigned asked);

int vx__audit_start(vx__engine *engine, const char *domain, const vx__audit_opts *opts,
                    vx__audit_done_cb done, vx__audit_progress_cb progress, void *arg);

#endif
