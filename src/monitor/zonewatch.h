/*
 * monitor/zonewatch.h — private to the daemon: the whole-zone watch of one domain's full cycle.
 * Of each provider that allows a transfer (a TSIG key in the configuration, or a server whose
 * AXFR is open) one server is asked, the authoritative address whose label sorts first. A
 * transfer happens only when needed: the first time (AXFR), when that server serves another
 * SOA serial than the copy held (IXFR from the held serial, AXFR if the IXFR fails), and every
 * zone_refresh (AXFR: an IXFR would only answer "up to date" when the serial did not move).
 * Otherwise the held copy stands. Copies go to the store (store.h zone copies); the first copy
 * of a provider is its baseline.
 *
 * Callback rule: done runs once, on the loop thread, never from inside vx__zonewatch_start (when
 * no transfer is due, on the loop's next turn: the held copies stand); an error return means no
 * callback. The result belongs to the callee (vx__zonewatch_result_clear).
 */
#ifndef VX_MONITOR_ZONEWATCH_H
#define VX_MONITOR_ZONEWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/config.h"
#include "monitor/metrics.h"
#include "model/snapshot.h"
#include "model/zone.h"
#include "net/engine.h"
#include "store/store.h"

typedef struct vx__zonewatch_spec {
    vx__engine *engine;
    vx__store *store;
    vx__metrics *metrics;          /* may be NULL */
    const char *domain;            /* the store's form: "example.com" */
    const vx__monitor_domain *dom; /* its configuration: tsig keys, providers */
    const vx__snapshot *snap;      /* this cycle's audit */
    uint64_t refresh_ms;
    uint64_t now_ms;
} vx__zonewatch_spec;

typedef struct vx__zonewatch_result {
    vx__zone_copy *now; /* per provider asked: this cycle's copy (status != VX_OK: unknown) */
    size_t now_count;
    vx__zone_copy *base; /* the accepted copies (one per provider that has one) */
    size_t base_count;
} vx__zonewatch_result;

typedef void (*vx__zonewatch_cb)(void *arg, vx__zonewatch_result *result);

/* VX_ENOTFOUND: no provider allows a transfer (no callback); VX_OK: done will run. */
int vx__zonewatch_start(const vx__zonewatch_spec *spec, vx__zonewatch_cb done, void *arg);
void vx__zonewatch_result_clear(vx__zonewatch_result *r);

#endif
