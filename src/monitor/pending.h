/*
 * monitor/pending.h — what the daemon keeps in memory for the store while the store fails: the
 * cycles it could not commit (a bounded queue, written in order once the store takes writes
 * again) and, per domain, the last baseline and open conditions it used (the memo), so that a
 * cycle can still be diffed while the store cannot be read, and so that the next cycle's diff
 * starts from the conditions the previous one left, not from stale stored ones.
 *
 * Bounds, and what happens at them (never silently):
 *  - a new cycle of a domain whose newest queued cycle has no events replaces it (its
 *    conditions, summary and snapshot are superseded; its RTT samples are given up);
 *  - past max_cycles or max_bytes the oldest cycle without events goes first, then the oldest
 *    with events: the drop callback is called for each (the daemon logs every event, which was
 *    alerted already, and counts them in voxdns_store_dropped_events_total);
 *  - the memo keeps baselines, deflated, within its byte budget (a baseline that does not fit
 *    is not kept: that domain's cycles cannot be diffed while the store cannot be read);
 *  - conditions the store has are kept only for a domain whose baseline the memo holds (without
 *    it the cycle is not diffed anyway), within the same budget, and go with the baseline;
 *  - conditions of a domain whose cycle is not stored are always kept, past the budget too:
 *    they are the truth until the store has it (the byte count then exceeds the budget, and
 *    nothing else is admitted until it is back under);
 *  - the budget counts heap blocks as glibc allocates them (headers and rounding included),
 *    and a domain with neither a baseline nor conditions has no entry.
 * Used from the daemon's loop thread only.
 */
#ifndef VX_MONITOR_PENDING_H
#define VX_MONITOR_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/event.h"
#include "store/store.h"

/* One cycle as vx__store_commit_cycle() wants it, owned. */
typedef struct vx__pending_cycle {
    char *domain;
    char *snapshot_json;
    uint64_t time_ms;
    vx__events events;
    uint64_t *seqs; /* per event: its number in the alert worker's unstored list */
    vx__conditions conds;
    vx__store_rtt_sample *samples; /* server strings owned */
    size_t sample_count;
    vx__store_summary summary; /* state: a static string (vx__domain_state) */
    size_t bytes;              /* what it holds, roughly */
} vx__pending_cycle;

/* A deep copy of one cycle (events, conditions and samples copied; summary by value). */
vx__pending_cycle *vx__pending_cycle_new(const char *domain, const char *snapshot_json,
                                         uint64_t time_ms, const vx__events *events,
                                         const vx__conditions *conds,
                                         const vx__store_rtt_sample *samples, size_t sample_count,
                                         const vx__store_summary *summary);
void vx__pending_cycle_free(vx__pending_cycle *c);

typedef void (*vx__pending_drop_fn)(void *arg, const vx__pending_cycle *c);

typedef struct vx__pending {
    vx__pending_cycle **items; /* oldest first */
    size_t count, cap;
    size_t max_cycles, max_bytes;
    size_t bytes, events;
    unsigned long dropped_events; /* evicted with their cycle, ever */
    vx__pending_drop_fn on_drop;
    void *drop_arg;
} vx__pending;

void vx__pending_init(vx__pending *p, size_t max_cycles, size_t max_bytes,
                      vx__pending_drop_fn on_drop, void *drop_arg);
void vx__pending_clear(vx__pending *p);
/* Takes c (left to the caller on failure); applies the bounds above. */
int vx__pending_push(vx__pending *p, vx__pending_cycle *c);
/* The oldest cycle (NULL when none); pop frees it. */
vx__pending_cycle *vx__pending_head(const vx__pending *p);
void vx__pending_pop(vx__pending *p);
bool vx__pending_has(const vx__pending *p, const char *domain);

/* ---- the memo ------------------------------------------------------------------------------ */

typedef struct vx__memo vx__memo;

vx__memo *vx__memo_new(size_t max_bytes);
void vx__memo_free(vx__memo *m);
/* Remembers the baseline read from the store (takes json; kept deflated, and not at all when
 * over budget; NULL forgets the domain's). */
void vx__memo_set_baseline(vx__memo *m, const char *domain, char *json);
/* The remembered baseline (malloc'd: the caller frees it) or NULL. */
char *vx__memo_baseline(const vx__memo *m, const char *domain);
/* The conditions a cycle left (copied); stored false: the store does not have them yet, so
 * they, not the store's, are the next cycle's. Stored ones are not kept without the domain's
 * baseline or past the budget (VX_OK all the same: the store has them). */
int vx__memo_set_conditions(vx__memo *m, const char *domain, const vx__conditions *conds,
                            bool stored);
/* The store caught up with the domain (its last queued cycle was written): its conditions
 * are now bounded as stored ones. */
void vx__memo_mark_stored(vx__memo *m, const char *domain);
/* A copy of the remembered conditions: VX_OK, or VX_ENOTFOUND when none. *unstored: the store
 * does not have them yet. */
int vx__memo_conditions(const vx__memo *m, const char *domain, vx__conditions *out, bool *unstored);
/* The heap the memo holds, as counted against its budget. */
size_t vx__memo_bytes(const vx__memo *m);

#endif
