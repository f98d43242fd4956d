/*
 * monitor/diff_zone.h — the zone-wide part of the monitor's diff: each provider's whole copy of
 * the zone this cycle (monitor/zonewatch.h) against its accepted copy, RRset by RRset, into the
 * same RECORD-ADDED / -REMOVED / -CHANGED, TTL-CHANGED and CHANGE-REVERTED events the
 * per-server diff gives (docs/events.md "Whole zone"). SOA, RRSIG, NSEC, NSEC3 and NSEC3PARAM
 * are left out (check/zonediff.h), and so are the (name, type) pairs this cycle's audit asked
 * the servers itself: the per-server diff reports those, per server.
 *
 * Conditions are keyed "zone|PROVIDER|OWNER|TYPE". vx__diff_cycle carries them over untouched;
 * this runs after it on the conditions it left. A provider whose copy is unknown this cycle
 * (transfer failed, nothing accepted yet) keeps its conditions as they are. Pure: no I/O.
 */
#ifndef VX_MONITOR_DIFF_ZONE_H
#define VX_MONITOR_DIFF_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "model/event.h"
#include "model/snapshot.h"
#include "model/zone.h"

typedef struct vx__zone_diff_input {
    const vx__zone_copy *base; /* the accepted copies, one per provider */
    size_t base_count;
    const vx__zone_copy *now; /* this cycle's copies (status other than VX_OK: unknown) */
    size_t now_count;
    const vx__snapshot *current; /* this cycle's audit: what it asked is left to the other diff */
    uint64_t now_ms;
    uint64_t prev_cycle_ms; /* as in vx__diff_input */
} vx__zone_diff_input;

/* Appends the events to out and rewrites open's zone conditions. VX_ENOMEM, VX_EINVAL. */
int vx__diff_zones(const vx__zone_diff_input *in, vx__conditions *open, vx__events *out);

#endif
