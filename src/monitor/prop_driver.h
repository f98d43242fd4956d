/*
 * monitor/prop_driver.h — private to the daemon: runs monitor/propagation.h on the daemon's
 * loop. It feeds the tracker each full audit's servers (with their providers and serials) and
 * each accepted NOTIFY, asks the SOA questions the tracker says are due through the daemon's
 * query engine (as the cycle does), and turns what the tracker reports into the
 * voxdns_propagation_seconds histogram, the dashboard's samples, log lines, and a full audit
 * of the domain at its next cycle when a server turns slow or catches up (the diff then opens
 * or closes PROPAGATION-SLOW, and the event is stored with that cycle).
 */
#ifndef VX_MONITOR_PROP_DRIVER_H
#define VX_MONITOR_PROP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/providers.h"
#include "model/snapshot.h"
#include "monitor/config.h"
#include "monitor/propagation.h"

struct vx__daemon_state;
typedef struct vx__prop_driver vx__prop_driver;

int vx__prop_driver_new(struct vx__daemon_state *d, vx__prop_driver **out);
/* Stops the timer and asks nothing more (SIGTERM); the memory goes in vx__prop_driver_free,
 * once the loop has finished (answers of questions in flight still arrive until then). */
void vx__prop_driver_stop(vx__prop_driver *pd);
void vx__prop_driver_free(vx__prop_driver *pd);
/* A reload: the domains no longer configured are forgotten (their rosters and timings). */
void vx__prop_driver_keep(vx__prop_driver *pd, const vx__monitor_config *cfg);
/* The NOTIFY intake's callback (monitor/notify.h); arg is the driver. */
void vx__prop_driver_notified(void *arg, size_t domain_index, const char *domain, bool has_serial,
                              uint32_t serial, uint64_t now_ms);
/* After a full audit of domain ("example.com"): its servers, providers and serials. */
void vx__prop_driver_audited(vx__prop_driver *pd, const char *domain, const vx__snapshot *snap,
                             const vx__provider_map *pm, uint64_t slow_ms);
/* Did a server of domain turn slow or catch up since the last call? (once) */
bool vx__prop_driver_audit_wanted(vx__prop_driver *pd, const char *domain);
/* The domain's current tracking (monitor/propagation.h); the pointers inside stay valid until
 * the next call into the driver. */
size_t vx__prop_driver_states(const vx__prop_driver *pd, const char *domain, vx__prop_state *out,
                              size_t cap);

#endif
