/*
 * http/lane.c — owns the worker lanes of the HTTP server: a bounded FIFO of jobs and the
 * threads that run them. A push into a full (or stopping) lane fails at once, so the caller
 * answers 503 instead of piling work up; stopping runs what is still queued as cancelled, on the
 * stopping thread, so every job is finished exactly once and no connection stays suspended. A
 * stopped lane stays valid (refusing every push) until it is freed: the I/O thread may still
 * push while the server shuts down.
 */
#include <stdlib.h>
#include <string.h>

#include "http/lane.h"
#include "voxdns/status.h"

typedef struct worker_arg {
    vx__lane *lane;
    size_t index;
} worker_arg;

static vx__lane_job *pop_locked(vx__lane *l)
{
    vx__lane_job *j = l->head;
    if (j) {
        l->head = j->next;
        if (!l->head)
            l->tail = NULL;
        l->len--;
        j->next = NULL;
    }
    return j;
}

static void *worker_main(void *arg)
{
    worker_arg *w = arg;
    vx__lane *l = w->lane;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->head && !l->stopping)
            pthread_cond_wait(&l->cv, &l->mu);
        vx__lane_job *j = pop_locked(l);
        if (!j)
            break; /* stopping, and nothing left */
        pthread_mutex_unlock(&l->mu);
        l->run(l->cls, w->index, j, false);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int vx__lane_start(vx__lane *l, size_t threads, size_t cap, vx__lane_fn run, void *cls)
{
    memset(l, 0, sizeof *l);
    l->cap = cap;
    l->run = run;
    l->cls = cls;
    if (pthread_mutex_init(&l->mu, NULL) != 0)
        return VX_ENOMEM;
    l->inited = true;
    pthread_cond_init(&l->cv, NULL);
    l->threads = calloc(threads, sizeof *l->threads);
    l->args = calloc(threads, sizeof(worker_arg));
    if (!l->threads || !l->args)
        return VX_ENOMEM;
    worker_arg *args = l->args;
    for (size_t i = 0; i < threads; i++) {
        args[i] = (worker_arg){l, i};
        if (pthread_create(&l->threads[i], NULL, worker_main, &args[i]) != 0)
            return VX_ENOMEM;
        l->started++;
    }
    return VX_OK;
}

bool vx__lane_push(vx__lane *l, vx__lane_job *job)
{
    bool ok;
    pthread_mutex_lock(&l->mu);
    ok = !l->stopping && l->len < l->cap;
    if (ok) {
        job->next = NULL;
        if (l->tail)
            l->tail->next = job;
        else
            l->head = job;
        l->tail = job;
        l->len++;
        pthread_cond_signal(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

void vx__lane_stop(vx__lane *l)
{
    vx__lane_job *j;
    if (!l->inited)
        return;
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    pthread_cond_broadcast(&l->cv);
    while ((j = pop_locked(l))) {
        pthread_mutex_unlock(&l->mu);
        l->run(l->cls, 0, j, true);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < l->started; i++)
        pthread_join(l->threads[i], NULL);
    l->started = 0;
}

void vx__lane_free(vx__lane *l)
{
    if (!l->inited)
        return;
    vx__lane_stop(l);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l->threads);
    free(l->args);
    memset(l, 0, sizeof *l);
}
