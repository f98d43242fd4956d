/*
 * monitor/alert_worker.h — the daemon's alert thread. Alerts can block (a webhook retrying with
 * backoff, a slow command), so they never run on the event loop: the thread is woken after each
 * committed cycle, asks its own store handle which events each sink has not delivered yet,
 * delivers them in order and records each delivery. The store is the queue: nothing is lost
 * across a crash and nothing delivered is delivered again.
 */
#ifndef VX_MONITOR_ALERT_WORKER_H
#define VX_MONITOR_ALERT_WORKER_H

#include "monitor/config.h"

typedef struct vx__alert_worker vx__alert_worker;

/* cfg must stay alive until it is replaced and the worker has moved on (the daemon keeps every
 * configuration it loaded until exit). */
int vx__alert_worker_start(const vx__monitor_config *cfg, vx__alert_worker **out, char *err,
                           size_t errcap);
/* Uses cfg from the next round on. */
void vx__alert_worker_set_config(vx__alert_worker *w, const vx__monitor_config *cfg);
/* Asks for a delivery round. */
void vx__alert_worker_wake(vx__alert_worker *w);
/* Asks for a round and waits until it has completed (at exit of a one-shot run). */
void vx__alert_worker_flush(vx__alert_worker *w);
void vx__alert_worker_stop(vx__alert_worker *w);

#endif
