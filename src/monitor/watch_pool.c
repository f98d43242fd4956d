/*
 * monitor/watch_pool.c — owns the watch threads (see watch_pool.h): per worker a loop, an
 * engine, an inbox of watches to start woken by a uv_async; one outbox of finished watches for
 * the daemon's loop, woken by another uv_async. Watches go to the workers in turn.
 */
#include "monitor/watch_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

#define MAX_WORKERS 16

typedef struct job {
    struct job *next;
    const vx__watch_plan *plan;
    const struct sockaddr_storage *addrs;
    vx__watch_done_cb done;
    void *arg;
    uint64_t round;
    vx__watch_answer *answers; /* the worker's copy of the results */
    bool unchanged;
    struct worker *worker;
} job;

typedef struct worker {
    vx__watch_pool *pool;
    pthread_t thread;
    bool thread_started;
    uv_loop_t loop;
    uv_async_t wake;
    vx__engine *engine;
    vx__watch_shared *shared; /* the worker's own: look-ups asked once per round */
    pthread_mutex_t mu;       /* guards inbox and stop */
    job *inbox;
    bool stop;
    vx__engine_stats stats; /* the engine's, as of the last finished watch */
} worker;

struct vx__watch_pool {
    uv_loop_t *main_loop;
    uv_async_t done_wake;
    pthread_mutex_t mu; /* guards outbox */
    job *outbox;
    worker workers[MAX_WORKERS];
    unsigned worker_count;
    unsigned next;
};

/* --- on a worker ---------------------------------------------------------------------------- */

static void post_done(job *j)
{
    vx__watch_pool *p = j->worker->pool;
    pthread_mutex_lock(&p->mu);
    j->next = p->outbox;
    p->outbox = j;
    pthread_mutex_unlock(&p->mu);
    uv_async_send(&p->done_wake);
}

static void on_watch_done(void *arg, const vx__watch_answer *answers, bool unchanged)
{
    job *j = arg;
    worker *w = j->worker;
    pthread_mutex_lock(&w->mu);
    vx__engine_get_stats(w->engine, &w->stats);
    pthread_mutex_unlock(&w->mu);
    j->answers = malloc(j->plan->count * sizeof(*j->answers));
    if (j->answers)
        memcpy(j->answers, answers, j->plan->count * sizeof(*answers));
    j->unchanged = unchanged && j->answers;
    post_done(j);
}

static void on_worker_wake(uv_async_t *h)
{
    worker *w = h->data;
    pthread_mutex_lock(&w->mu);
    job *list = w->inbox;
    bool stop = w->stop;
    w->inbox = NULL;
    pthread_mutex_unlock(&w->mu);
    while (list) {
        job *j = list;
        list = j->next;
        if (!stop && vx__watch_start(w->engine, j->plan, j->addrs, w->shared, j->round,
                                     on_watch_done, j) == VX_OK)
            continue;
        j->unchanged = false; /* not asked: the daemon audits the domain instead */
        post_done(j);
    }
    if (stop) {
        vx__engine_close(w->engine); /* watches in flight end now, as cancelled */
        uv_close((uv_handle_t *)&w->wake, NULL);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* --- on the daemon's loop ------------------------------------------------------------------- */

static void deliver(vx__watch_pool *p)
{
    pthread_mutex_lock(&p->mu);
    job *list = p->outbox;
    p->outbox = NULL;
    pthread_mutex_unlock(&p->mu);
    while (list) {
        job *j = list;
        list = j->next;
        vx__watch_answer none = {0};
        j->done(j->arg, j->answers ? j->answers : &none, j->unchanged);
        free(j->answers);
        free(j);
    }
}

static void on_done_wake(uv_async_t *h)
{
    deliver(h->data);
}

static void free_pool(uv_handle_t *h)
{
    free(h->data);
}

static void worker_cleanup(worker *w)
{
    vx__watch_shared_free(w->shared);
    pthread_mutex_destroy(&w->mu);
    uv_loop_close(&w->loop);
}

static int worker_init(vx__watch_pool *p, worker *w, const vx__engine_opts *eopts)
{
    w->pool = p;
    if (uv_loop_init(&w->loop) != 0)
        return VX_ENOMEM;
    pthread_mutex_init(&w->mu, NULL);
    if (uv_async_init(&w->loop, &w->wake, on_worker_wake) != 0) {
        worker_cleanup(w);
        return VX_ENOMEM;
    }
    w->wake.data = w;
    w->shared = vx__watch_shared_new();
    int rc = w->shared ? vx__engine_new(&w->loop, eopts, &w->engine) : VX_ENOMEM;
    if (rc == VX_OK && pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        vx__engine_close(w->engine);
        rc = VX_ENOMEM;
    }
    if (rc != VX_OK) {
        uv_close((uv_handle_t *)&w->wake, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        worker_cleanup(w);
        return rc;
    }
    w->thread_started = true;
    return VX_OK;
}

int vx__watch_pool_start(uv_loop_t *loop, unsigned workers, const vx__engine_opts *eopts,
                         vx__watch_pool **out)
{
    *out = NULL;
    if (!loop || !eopts || workers == 0)
        return VX_EINVAL;
    vx__watch_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return VX_ENOMEM;
    p->main_loop = loop;
    pthread_mutex_init(&p->mu, NULL);
    if (uv_async_init(loop, &p->done_wake, on_done_wake) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return VX_ENOMEM;
    }
    p->done_wake.data = p;
    workers = workers > MAX_WORKERS ? MAX_WORKERS : workers;
    for (unsigned i = 0; i < workers; i++) {
        if (worker_init(p, &p->workers[i], eopts) != VX_OK)
            break;
        p->worker_count++;
    }
    if (p->worker_count == 0) {
        vx__watch_pool_stop(p);
        return VX_ENOMEM;
    }
    *out = p;
    return VX_OK;
}

int vx__watch_pool_submit(vx__watch_pool *p, const vx__watch_plan *plan,
                          const struct sockaddr_storage *addrs, uint64_t round,
                          vx__watch_done_cb done, void *arg)
{
    if (!p || !plan || !addrs || !done || plan->count == 0)
        return VX_EINVAL;
    job *j = calloc(1, sizeof(*j));
    if (!j)
        return VX_ENOMEM;
    worker *w = &p->workers[p->next++ % p->worker_count];
    *j = (job){.plan = plan, .addrs = addrs, .done = done, .arg = arg, .round = round, .worker = w};
    pthread_mutex_lock(&w->mu);
    bool stopped = w->stop;
    if (!stopped) {
        j->next = w->inbox;
        w->inbox = j;
    }
    pthread_mutex_unlock(&w->mu);
    if (stopped) {
        free(j);
        return VX_ECANCELED;
    }
    uv_async_send(&w->wake);
    return VX_OK;
}

void vx__watch_pool_get_stats(vx__watch_pool *p, vx__engine_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; p && i < p->worker_count; i++) {
        worker *w = &p->workers[i];
        pthread_mutex_lock(&w->mu);
        out->queries += w->stats.queries;
        out->sent += w->stats.sent;
        out->answered += w->stats.answered;
        out->timeouts += w->stats.timeouts;
        out->dropped += w->stats.dropped;
        out->tcp_fallbacks += w->stats.tcp_fallbacks;
        out->refused += w->stats.refused;
        pthread_mutex_unlock(&w->mu);
    }
}

void vx__watch_pool_stop(vx__watch_pool *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->worker_count; i++) {
        worker *w = &p->workers[i];
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_mutex_unlock(&w->mu);
        uv_async_send(&w->wake);
    }
    for (unsigned i = 0; i < p->worker_count; i++) {
        pthread_join(p->workers[i].thread, NULL);
        worker_cleanup(&p->workers[i]);
    }
    deliver(p); /* every job is in the outbox now: the callbacks run here */
    uv_close((uv_handle_t *)&p->done_wake, free_pool);
    pthread_mutex_destroy(&p->mu);
}
