/*
 * http/lane.h — internal to http/: a lane is a bounded queue of jobs and a few threads that run
 * them (lane.c). The server has two: /metrics on one thread, the store routes on the workers.
 */
#ifndef VX_HTTP_LANE_H
#define VX_HTTP_LANE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct vx__lane_job {
    struct vx__lane_job *next;
} vx__lane_job; /* embedded in the caller's own job */

/* Runs one job on worker `worker` (0..threads-1); cancelled: the lane is stopping and the job
 * must only be finished off (it runs on the stopping thread then, worker is 0). */
typedef void (*vx__lane_fn)(void *cls, size_t worker, vx__lane_job *job, bool cancelled);

typedef struct vx__lane {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    vx__lane_job *head, *tail;
    size_t len, cap;
    pthread_t *threads;
    void *args;
    size_t started;
    bool stopping, inited;
    vx__lane_fn run;
    void *cls;
} vx__lane;

/* VX_ENOMEM when a thread or memory cannot be had (call vx__lane_stop() all the same). */
int vx__lane_start(vx__lane *l, size_t threads, size_t cap, vx__lane_fn run, void *cls);
/* false: the lane is full or stopping; the job was not taken. */
bool vx__lane_push(vx__lane *l, vx__lane_job *job);
/* Finishes every queued job (cancelled) and joins the threads; the lane refuses pushes from then
 * on. Safe on a zeroed lane and twice. */
void vx__lane_stop(vx__lane *l);
/* Stops the lane if needed and releases it; no push may come any more. */
void vx__lane_free(vx__lane *l);

#endif
