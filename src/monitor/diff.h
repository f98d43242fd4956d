/*
 * monitor/diff.h — the pure diff that produces the monitor's events (model/event.h): one cycle's
 * snapshot and findings compared with the accepted baseline and with the conditions still open
 * from earlier cycles. No I/O here: the monitor daemon feeds it, the unit tests feed it
 * hand-built snapshots.
 */
#ifndef VX_MONITOR_DIFF_H
#define VX_MONITOR_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/event.h"
#include "model/finding.h"
#include "model/snapshot.h"

typedef struct vx__diff_config {
    uint64_t serial_lag_ms; /* SERIAL-LAG after a secondary is behind this long (default 0:
                               the first cycle it is behind) */
} vx__diff_config;

/* A watched recursive resolver's answers for the chain names (from the monitor's probes). */
typedef struct vx__resolver_obs {
    const char *label;          /* "192.0.2.99" or "name/address" */
    int status;                 /* VX_OK when it answered */
    const vx__observation *obs; /* its answers (kind RESOLVE), obs_count entries */
    size_t obs_count;
} vx__resolver_obs;

/* One address's state in the domain's propagation timing (monitor/propagation.h). */
typedef struct vx__diff_prop {
    const char *server;   /* "name/address" */
    const char *provider; /* its DNS provider */
    uint32_t serial;      /* the serial propagating */
    uint64_t origin_ms;   /* the NOTIFY, or the cycle that first saw the serial */
    bool notify;          /* origin is a NOTIFY */
    uint64_t served_ms;   /* when the address was seen serving it; 0: not yet */
    bool slow;            /* not serving it propagation_slow after origin */
} vx__diff_prop;

typedef struct vx__diff_input {
    const vx__snapshot *baseline; /* the accepted baseline */
    const vx__snapshot *current;  /* this cycle */
    const vx__findings *findings; /* this cycle's findings */
    const vx__resolver_obs *resolvers;
    size_t resolver_count;
    uint64_t now_ms;
    uint64_t prev_cycle_ms; /* when the domain's previous cycle (quiet or full) asked its
                               questions; 0 when unknown (first cycle since the start): bounds
                               how long a condition opened now may have lasted already */
    const vx__diff_config *cfg;
    /* Dual primaries (check/providers.h): per current->servers, the provider's name; serials
     * are then compared within a provider only. NULL: across every server. */
    const char *const *server_provider;
    /* The domain's propagation timing: PROPAGATION-SLOW opens for a slow address and closes
     * (notice) when it serves the serial; SERIAL-LAG counts from origin_ms. None: neither. */
    const vx__diff_prop *propagation;
    size_t propagation_count;
} vx__diff_input;

/* Compares this cycle with the baseline and the open conditions. Appends the events to emit to
 * out (ids 0, snapshot_id 0) and rewrites open into the conditions that hold after this cycle
 * (the closing events carry first/last seen from the condition they close). */
int vx__diff_cycle(const vx__diff_input *in, vx__conditions *open, vx__events *out);

/* The identity of a finding, the key of its condition ("finding|CHECK|ADDRESSES|NAMES"): the
 * check, the addresses of the servers it concerns and the names it concerns, each set sorted
 * and without repeats. Server labels count by address only: which NS name labelled a shared
 * address is an accident of arrival order. VX_ELIMIT when it does not fit in cap. */
int vx__diff_finding_key(const vx__finding *f, char *out, size_t cap);

#endif
