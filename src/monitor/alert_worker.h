/*
 * monitor/alert_worker.h — the daemon's alert thread. Alerts can block (a webhook retrying with
 * backoff, a slow command), so they never run on the event loop: the thread is woken after each
 * committed cycle, asks its own store handle which events each sink has not delivered yet,
 * delivers them in order and records each delivery. The store is the queue: nothing is lost
 * across a crash and nothing delivered is delivered again.
 *
 * While the store fails, the daemon hands the cycle's events over directly (unstored: id 0,
 * numbered by the daemon): each sink gets them at once, marked as not stored. When the store
 * takes them later the daemon says which id each got; the store-driven delivery then passes
 * over the ones a sink already has (recording the delivery), so nothing is alerted twice. An
 * event the daemon had to drop (its queue was full) is forgotten once every sink has it.
 */
#ifndef VX_MONITOR_ALERT_WORKER_H
#define VX_MONITOR_ALERT_WORKER_H

#include <stdint.h>

#include "model/event.h"
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

/* An event the store could not take (e->id 0; copied): delivered in the next round. seq: the
 * daemon's number for it, increasing. */
int vx__alert_worker_unstored(vx__alert_worker *w, uint64_t seq, const vx__event *e);
/* Unstored event seq is now stored as id (> 0), or will never be (id < 0: dropped). */
void vx__alert_worker_stored(vx__alert_worker *w, uint64_t seq, int64_t id);

#endif
