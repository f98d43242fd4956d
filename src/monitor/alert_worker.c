/* monitor/alert_worker.c — the alert thread: store-driven delivery to every sink (see .h). */
#include "monitor/alert_worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "monitor/alert.h"
#include "store/store.h"
#include "voxdns/status.h"

#define ROUND_LIMIT 500 /* events per sink per round; the next round takes the rest */

struct vx__alert_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const vx__monitor_config *cfg; /* guarded by mu */
    bool wake;
    bool stop;
    unsigned long rounds_started;
    unsigned long rounds_done;
    /* Owned by the thread: */
    const vx__monitor_config *active;
    vx__alerter **alerters; /* one per sink of active, so each sink is retried on its own */
    size_t alerter_count;
    vx__store *store;
};

static void free_alerters(vx__alert_worker *w)
{
    for (size_t i = 0; i < w->alerter_count; i++)
        vx__alerter_free(w->alerters[i]);
    free(w->alerters);
    w->alerters = NULL;
    w->alerter_count = 0;
}

/* One alerter per sink: a configuration that holds only that sink. */
static void build_alerters(vx__alert_worker *w, const vx__monitor_config *cfg)
{
    free_alerters(w);
    w->active = cfg;
    w->alerters = calloc(cfg->sink_count ? cfg->sink_count : 1, sizeof(*w->alerters));
    if (!w->alerters)
        return;
    for (size_t i = 0; i < cfg->sink_count; i++) {
        vx__monitor_config one = *cfg;
        one.sinks = &cfg->sinks[i];
        one.sink_count = 1;
        if (vx__alerter_new(&one, &w->alerters[i]) != VX_OK)
            vx__log(VX__LOG_ERROR, "alert sink %s: cannot start", cfg->sinks[i].name);
    }
    w->alerter_count = cfg->sink_count;
}

static void deliver_sink(vx__alert_worker *w, size_t i)
{
    const char *sink = w->active->sinks[i].name;
    vx__events evs = {0};
    if (!w->alerters[i] || vx__store_undelivered(w->store, sink, ROUND_LIMIT, &evs) != VX_OK)
        return;
    for (size_t k = 0; k < evs.count; k++) {
        bool delivered = false;
        vx__alerter_deliver(w->alerters[i], &evs.items[k], vx__wall_ms(), &delivered);
        if (!delivered) {
            /* Keep the order: the rest waits for the next round. */
            vx__log(VX__LOG_WARNING, "alert sink %s: event %lld not delivered, will retry", sink,
                    (long long)evs.items[k].id);
            break;
        }
        vx__store_mark_delivered(w->store, sink, evs.items[k].id, vx__wall_ms());
    }
    vx__events_clear(&evs);
}

static void *alert_main(void *arg)
{
    vx__alert_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->wake && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        bool stop = w->stop && !w->wake;
        const vx__monitor_config *cfg = w->cfg;
        w->wake = false;
        unsigned long round = ++w->rounds_started;
        pthread_mutex_unlock(&w->mu);
        if (stop)
            break;
        if (cfg != w->active)
            build_alerters(w, cfg);
        for (size_t i = 0; w->alerters && i < w->alerter_count; i++)
            deliver_sink(w, i);
        pthread_mutex_lock(&w->mu);
        w->rounds_done = round;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

int vx__alert_worker_start(const vx__monitor_config *cfg, vx__alert_worker **out, char *err,
                           size_t errcap)
{
    vx__alert_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return VX_ENOMEM;
    w->cfg = cfg;
    int rc = vx__store_open(cfg->store, &w->store, err, errcap);
    if (rc != VX_OK) {
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, alert_main, w) != 0) {
        snprintf(err, errcap, "cannot start the alert thread");
        vx__store_close(w->store);
        free(w);
        return VX_ENOMEM;
    }
    *out = w;
    return VX_OK;
}

void vx__alert_worker_set_config(vx__alert_worker *w, const vx__monitor_config *cfg)
{
    pthread_mutex_lock(&w->mu);
    w->cfg = cfg;
    pthread_mutex_unlock(&w->mu);
}

void vx__alert_worker_wake(vx__alert_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->wake = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void vx__alert_worker_flush(vx__alert_worker *w)
{
    pthread_mutex_lock(&w->mu);
    unsigned long target = w->rounds_started + 1;
    w->wake = true;
    pthread_cond_broadcast(&w->cv);
    while (w->rounds_done < target)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

void vx__alert_worker_stop(vx__alert_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    free_alerters(w);
    vx__store_close(w->store);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
