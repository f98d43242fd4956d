/*
 * monitor/cycle.h — private to the daemon: one domain's part of a monitoring cycle (a quiet
 * watch or a full audit, the watched resolvers, checks, diff, commit, metrics) and the daemon
 * state it works on.
 */
#ifndef VX_MONITOR_CYCLE_H
#define VX_MONITOR_CYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "check/asndb.h"
#include "http/http.h"
#include "monitor/alert_worker.h"
#include "monitor/config.h"
#include "monitor/metrics.h"
#include "monitor/notify.h"
#include "monitor/pending.h"
#include "monitor/watch_pool.h"
#include "net/engine.h"
#include "net/tcpconn.h"
#include "model/servers.h"
#include "probe/watch.h"
#include "store/store.h"

/* Quiet cycles' RTT samples waiting for one store transaction (see vx__store_add_rtt_samples). */
typedef struct vx__rtt_batch {
    vx__store_rtt_row *rows; /* domain and server strings owned here */
    size_t count, cap;
} vx__rtt_batch;

typedef struct vx__daemon_state {
    uv_loop_t loop;
    vx__engine *engine;
    vx__monitor_config *cfg;
    vx__monitor_config **old_cfgs; /* kept until exit: the alert thread may still read them */
    size_t old_cfg_count;
    vx__server_set hints;
    vx__asndb *asndb;
    vx__tls_ctx *tls; /* the SIP targets' observing TLS context; NULL: endpoints not probed */
    vx__store *store;
    vx__metrics *metrics;
    vx__http *http;
    vx__alert_worker *alerts;
    vx__notify_intake *notify;    /* NULL without notify_listen */
    struct vx__prop_driver *prop; /* propagation timing (monitor/prop_driver.h) */
    uv_timer_t cycle_timer;
    uv_timer_t stagger_timer;
    uv_signal_t sig_hup;
    uv_signal_t sig_term;
    uv_signal_t sig_int;
    unsigned long max_cycles; /* exit after this many cycles, run back to back (0: run on) */
    bool stopping;
    bool cycle_running;
    bool starting;           /* inside start_due_domains() */
    size_t next_domain;      /* the next domain to start in this cycle */
    size_t due_domains;      /* domains the stagger has made due so far */
    size_t in_flight;        /* started and not yet done (at most MAX_DOMAINS_IN_FLIGHT) */
    size_t audits_in_flight; /* of those, audited in full (MAX_AUDITS_IN_FLIGHT, daemon.c) */
    size_t domains_pending;
    size_t stagger_batch;
    uint64_t cycle_started_ns;
    double cycle_started_cpu_s;
    vx__engine_stats cycle_started_stats;
    vx__engine_stats watch_stats_final; /* the watch pool's totals when it was stopped */
    unsigned long cycles;
    unsigned long cycle_events;
    unsigned long cycle_quiet;   /* domains whose watch found nothing changed this cycle */
    unsigned long cycle_audited; /* domains audited in full this cycle */
    unsigned audits_since_trim;  /* full audits processed since the heap was last trimmed */
    /* Watch plans (probe/watch.h), one slot per domain of the current configuration; a
     * domain's cycle takes its plan out of the slot while it runs. A reload moves them to the
     * new slots and bumps the generation, so that cycles of the old configuration do not put
     * theirs back (those domains are audited in full next). */
    vx__watch_servers watch_servers;
    vx__watch_pool *watch_pool; /* the watches' threads */
    vx__watch_plan **plans;
    uint64_t *asked_ms; /* per slot: when the domain's last cycle asked its questions (Unix ms,
                           0: not since the start); bounds how long a change may have lasted */
    size_t plan_count;
    unsigned generation;
    uint64_t jitter_state; /* xorshift state for spreading full audits (never 0) */
    vx__rtt_batch rtt_batch;
    /* While the store fails: the cycles it has not taken yet and what the diff needs. */
    vx__pending pending;
    vx__memo *memo;
    uint64_t unstored_seq; /* numbers the events handed to the alert thread unstored */
    int exit_status;
} vx__daemon_state;

/* Starts the probes of domain index i of the current configuration. */
void vx__cycle_start_domain(vx__daemon_state *d, size_t i);
/* Whether domain index i's cycle will start with a full audit (no plan in its slot, or the
 * plan's audit is due). A domain the propagation tracker wants audited, or whose watch finds a
 * change, is audited without being told here. */
bool vx__cycle_wants_audit(const vx__daemon_state *d, size_t i);
/* Called when a domain's part is finished (committed or abandoned). */
void vx__cycle_domain_done(vx__daemon_state *d);
/* The queries and datagrams of the daemon's engine and the watch pool so far: what a cycle's
 * log line counts from. Never less than an earlier answer, also once the pool is stopped (its
 * last totals stand in for it). Not after the engine is closed: no cycle hears from it then. */
void vx__daemon_totals(const vx__daemon_state *d, vx__engine_stats *out);
/* Stopping (SIGTERM) starts here: the watch pool stops (its callbacks run inside and abandon
 * their cycles), its last totals kept in d. */
void vx__daemon_stop_watches(vx__daemon_state *d);
/* Writes the quiet cycles' RTT samples collected so far. */
void vx__cycle_flush_rtt(vx__daemon_state *d);
/* Writes the cycles kept in memory while the store failed, oldest first, until one fails. */
void vx__cycle_flush_pending(vx__daemon_state *d);
/* The pending queue's drop callback (pending.h): logs the events and tells the alert thread. */
void vx__cycle_pending_dropped(void *arg, const vx__pending_cycle *c);
/* A store operation of the daemon failed: metrics and /healthz say so. */
void vx__cycle_store_failed(vx__daemon_state *d);
/* Drops every watch plan (start, exit): each domain's next cycle is a full audit. */
void vx__cycle_drop_plans(vx__daemon_state *d, size_t new_count);
/* A start: the plans the store kept for the configured domains (made under the same domain
 * configuration) go into their slots, so that the first cycle after a restart is quiet. */
void vx__cycle_load_plans(vx__daemon_state *d);
/* A reload: the plans of domains still configured the same way move to their new slots; the
 * others are dropped (those domains are audited in full next). Bumps the generation. */
void vx__cycle_keep_plans(vx__daemon_state *d, const vx__monitor_config *old,
                          const vx__monitor_config *next);

#endif
