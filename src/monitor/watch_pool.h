/*
 * monitor/watch_pool.h — the threads that run the monitor's quiet watches (probe/watch.h).
 * A steady cycle is almost all watches: tens of questions per domain, each a datagram out and
 * one in. They run on worker threads, each with its own libuv loop and query engine, so that
 * the cycle uses every core the machine has; the daemon's loop keeps the full audits, the
 * watched resolvers, the store, metrics and HTTP.
 *
 * Threads: vx__watch_pool_submit() and the callbacks run on the daemon's loop thread; a
 * callback never runs from inside submit. The plan and the addresses must stay untouched until
 * the callback: the worker reads them. vx__watch_pool_stop() cancels what is in flight (those
 * callbacks run, inside stop, with unchanged false), joins the threads and frees the pool.
 */
#ifndef VX_MONITOR_WATCH_POOL_H
#define VX_MONITOR_WATCH_POOL_H

#include <stdbool.h>
#include <sys/socket.h>

#include <uv.h>

#include "net/engine.h"
#include "probe/watch.h"

typedef struct vx__watch_pool vx__watch_pool;

/* workers: threads to start (at least 1). eopts: each worker engine's options. */
int vx__watch_pool_start(uv_loop_t *loop, unsigned workers, const vx__engine_opts *eopts,
                         vx__watch_pool **out);
/* answers is parallel to plan->q and valid during the callback only. round: the monitoring
 * cycle; each worker asks a look-up shared by several plans once per round. */
int vx__watch_pool_submit(vx__watch_pool *pool, const vx__watch_plan *plan,
                          const struct sockaddr_storage *addrs, uint64_t round,
                          vx__watch_done_cb done, void *arg);
/* The workers' engines' counters added up (as of each worker's last finished watch). */
void vx__watch_pool_get_stats(vx__watch_pool *pool, vx__engine_stats *out);
void vx__watch_pool_stop(vx__watch_pool *pool);

#endif
