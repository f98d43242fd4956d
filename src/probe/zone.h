/*
 * probe/zone.h — whole copies of a zone: one AXFR per target (one server of each provider, the
 * caller picks them), or an IXFR from a copy the caller holds, all at once over net/stream.h,
 * each parsed and TSIG-checked by wire/xfr.h into a model/zone.h copy. A refusal or a failure
 * is recorded in its copy, not treated as an error of the fetch.
 *
 * Callback rule as for net/engine.h: done runs once, with every copy, after the last transfer
 * ended; the copies then belong to the callee (vx__zone_copies_free).
 */
#ifndef VX_PROBE_ZONE_H
#define VX_PROBE_ZONE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "model/zone.h"
#include "net/engine.h"
#include "wire/xfr.h"

#define VX__ZONE_FETCH_TIMEOUT_MS 30000u

typedef struct vx__zone_target {
    const char *provider;         /* copied */
    const char *server;           /* NS name, copied */
    struct sockaddr_storage addr; /* with port */
    const vx__tsig_key *key;      /* NULL: unsigned (open AXFR); copied */
    const vx__zone_copy *held;    /* non-NULL: IXFR from this copy (its serial and RRsets,
                                     copied at the start) instead of AXFR */
} vx__zone_target;

typedef void (*vx__zone_done_cb)(void *arg, vx__zone_copy *copies, size_t count);

/* VX_OK (done will run), or an error when no transfer could even start (no callback). */
int vx__zone_fetch(vx__engine *engine, const char *zone, const vx__zone_target *targets,
                   size_t count, uint32_t timeout_ms, vx__zone_done_cb done, void *arg);

#endif
