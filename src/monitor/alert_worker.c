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

#define ROUND_LIMIT 500     /* events per sink per round; the next round takes the rest */
#define MAX_SINK_BITS 64    /* sinks past the 64th get unstored events from the store only */
#define MAX_UNSTORED 20000u /* the daemon's queue is smaller: this only bounds a runaway */

/* An event delivered before it was stored. The daemon appends (under mu) and sets id (under
 * mu); only the worker thread unlinks and frees, so it may read ev without the lock. */
typedef struct unstored {
    struct unstored *next;
    uint64_t seq;
    int64_t id;    /* 0: not stored yet; > 0: stored as this id; < 0: never will be */
    uint64_t done; /* bit i: sink i of the active configuration has it */
    vx__event ev;
} unstored;

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
    int64_t *marked; /* per sink: the last id recorded as delivered (a failed record is not
                        a reason to send the event again) */
    vx__store *store;
    unstored *head, *tail; /* guarded by mu */
    size_t unstored_count;
};

static void free_alerters(vx__alert_worker *w)
{
    for (size_t i = 0; i < w->alerter_count; i++)
        vx__alerter_free(w->alerters[i]);
    free(w->alerters);
    w->alerters = NULL;
    w->alerter_count = 0;
}

/* A reload may reorder the sinks: each unstored event keeps what it says per sink name. */
static void remap_done(vx__alert_worker *w, const vx__monitor_config *old,
                       const vx__monitor_config *next)
{
    pthread_mutex_lock(&w->mu);
    for (unstored *u = w->head; u; u = u->next) {
        uint64_t done = 0;
        for (size_t j = 0; j < next->sink_count && j < MAX_SINK_BITS; j++)
            for (size_t i = 0; old && i < old->sink_count && i < MAX_SINK_BITS; i++)
                if ((u->done >> i & 1u) && strcmp(old->sinks[i].name, next->sinks[j].name) == 0)
                    done |= (uint64_t)1 << j;
        u->done = done;
    }
    pthread_mutex_unlock(&w->mu);
}

/* One alerter per sink: a configuration that holds only that sink. */
static void build_alerters(vx__alert_worker *w, const vx__monitor_config *cfg)
{
    remap_done(w, w->active, cfg);
    free_alerters(w);
    free(w->marked);
    w->marked = calloc(cfg->sink_count ? cfg->sink_count : 1, sizeof(*w->marked));
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

/* ---- events not stored yet ----------------------------------------------------------------- */

/* The unstored events sink i still lacks and that are still not stored, oldest first (an event
 * stored meanwhile goes the store's way; one dropped before it was delivered is still due). */
static size_t unstored_due(vx__alert_worker *w, size_t i, unstored ***out)
{
    size_t n = 0;
    *out = NULL;
    pthread_mutex_lock(&w->mu);
    unstored **list = calloc(w->unstored_count ? w->unstored_count : 1, sizeof(*list));
    for (unstored *u = w->head; list && u; u = u->next)
        if (u->id <= 0 && !(u->done >> i & 1u))
            list[n++] = u;
    pthread_mutex_unlock(&w->mu);
    *out = list;
    return n;
}

static void deliver_unstored(vx__alert_worker *w, size_t i)
{
    unstored **due;
    size_t n = i < MAX_SINK_BITS ? unstored_due(w, i, &due) : 0;
    for (size_t k = 0; k < n; k++) {
        bool delivered = false;
        vx__alerter_deliver(w->alerters[i], &due[k]->ev, vx__wall_ms(), &delivered);
        if (!delivered) {
            vx__log(VX__LOG_WARNING,
                    "alert sink %s: an event not stored yet was not delivered, "
                    "will retry",
                    w->active->sinks[i].name);
            break;
        }
        pthread_mutex_lock(&w->mu);
        due[k]->done |= (uint64_t)1 << i;
        pthread_mutex_unlock(&w->mu);
    }
    if (i < MAX_SINK_BITS)
        free(due);
}

/* Whether sink i already has stored event id: delivered before the store took it. */
static bool had_unstored(vx__alert_worker *w, size_t i, int64_t id)
{
    bool had = false;
    pthread_mutex_lock(&w->mu);
    for (unstored *u = w->head; u && i < MAX_SINK_BITS; u = u->next)
        if (u->id == id) {
            had = (u->done >> i & 1u) != 0;
            break;
        }
    pthread_mutex_unlock(&w->mu);
    return had;
}

/* An unstored event is forgotten once the store path has passed it for every sink, or, when it
 * will never be stored, once every sink has it. */
static bool finished(const vx__alert_worker *w, const unstored *u)
{
    size_t n = w->alerter_count < MAX_SINK_BITS ? w->alerter_count : MAX_SINK_BITS;
    for (size_t i = 0; i < n; i++) {
        if (u->id < 0 && !(u->done >> i & 1u))
            return false;
        if (u->id > 0 && (!w->marked || w->marked[i] < u->id))
            return false;
    }
    return u->id != 0;
}

static void prune_unstored(vx__alert_worker *w)
{
    pthread_mutex_lock(&w->mu);
    unstored **link = &w->head, *prev = NULL;
    while (*link) {
        unstored *u = *link;
        if (!finished(w, u)) {
            prev = u;
            link = &u->next;
            continue;
        }
        *link = u->next;
        vx__event_clear(&u->ev);
        free(u);
        w->unstored_count--;
    }
    w->tail = prev;
    pthread_mutex_unlock(&w->mu);
}

int vx__alert_worker_unstored(vx__alert_worker *w, uint64_t seq, const vx__event *e)
{
    vx__events one = {0};
    unstored *u = calloc(1, sizeof(*u));
    if (!u || vx__events_push(&one, e) != VX_OK) {
        free(u);
        vx__events_clear(&one);
        return VX_ENOMEM;
    }
    u->seq = seq;
    u->ev = one.items[0]; /* moved out of the list */
    free(one.items);
    pthread_mutex_lock(&w->mu);
    if (w->unstored_count >= MAX_UNSTORED)
        vx__log(VX__LOG_WARNING, "alert thread: %zu events not stored yet are waiting",
                w->unstored_count);
    if (w->tail)
        w->tail->next = u;
    else
        w->head = u;
    w->tail = u;
    w->unstored_count++;
    pthread_mutex_unlock(&w->mu);
    return VX_OK;
}

void vx__alert_worker_stored(vx__alert_worker *w, uint64_t seq, int64_t id)
{
    pthread_mutex_lock(&w->mu);
    for (unstored *u = w->head; u; u = u->next)
        if (u->seq == seq)
            u->id = id;
    pthread_mutex_unlock(&w->mu);
}

/* ---- store-driven delivery ------------------------------------------------------------------ */

static void deliver_sink(vx__alert_worker *w, size_t i)
{
    const char *sink = w->active->sinks[i].name;
    vx__events evs = {0};
    if (!w->alerters[i] || vx__store_undelivered(w->store, sink, ROUND_LIMIT, &evs) != VX_OK)
        return;
    for (size_t k = 0; k < evs.count; k++) {
        bool delivered = evs.items[k].id <= w->marked[i] || had_unstored(w, i, evs.items[k].id);
        if (!delivered)
            vx__alerter_deliver(w->alerters[i], &evs.items[k], vx__wall_ms(), &delivered);
        if (!delivered) {
            /* Keep the order: the rest waits for the next round. */
            vx__log(VX__LOG_WARNING, "alert sink %s: event %lld not delivered, will retry", sink,
                    (long long)evs.items[k].id);
            break;
        }
        vx__store_mark_delivered(w->store, sink, evs.items[k].id, vx__wall_ms());
        if (evs.items[k].id > w->marked[i])
            w->marked[i] = evs.items[k].id;
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
        for (size_t i = 0; w->alerters && w->marked && i < w->alerter_count; i++) {
            if (w->alerters[i])
                deliver_unstored(w, i);
            deliver_sink(w, i);
        }
        prune_unstored(w);
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
    free(w->marked);
    while (w->head) {
        unstored *u = w->head;
        w->head = u->next;
        vx__event_clear(&u->ev);
        free(u);
    }
    vx__store_close(w->store);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
