/*
 * monitor/daemon.h — `voxdns monitor`: the daemon that runs the audit's probes on every
 * configured domain each interval, diffs them against the accepted baseline into events,
 * commits each cycle to the store, then alerts, and serves metrics, the API and the dashboard.
 *
 * Order of work for one domain (so that nothing is lost and nothing repeats, kill -9 included):
 *   probe → checks → diff against baseline and the stored open conditions → ONE store
 *   transaction (snapshot, events, conditions, RTT samples) → metrics → wake the alert thread,
 *   which delivers what the store says each sink has not delivered yet.
 * When the commit fails the cycle is kept in memory (monitor/pending.h) and its events go to
 * the alert thread at once, unstored; they are committed, in order, when the store is back.
 *
 * Signals: SIGHUP reloads the configuration (an invalid one is logged and ignored), SIGTERM and
 * SIGINT stop cleanly (a cycle in flight is abandoned, never half-committed).
 */
#ifndef VX_MONITOR_DAEMON_H
#define VX_MONITOR_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vx__daemon_opts {
    const char *config_path;
    bool once;            /* one cycle, deliver its alerts, exit (for cron and tests) */
    unsigned long cycles; /* this many cycles back to back, then exit (0: run on) */
} vx__daemon_opts;

/* Runs until stopped; returns the process exit status (0, 78 for a bad configuration, 73 when
 * the store cannot be created or written, 74 for an I/O error on the store at start, 3 when the
 * root hints or the HTTP listener cannot be used). */
int vx__daemon_run(const vx__daemon_opts *opts);

/* `voxdns baseline accept DOMAIN`: the latest stored snapshot becomes the baseline. */
int vx__baseline_accept(const char *config_path, const char *domain, char *err, size_t errcap);

#endif
