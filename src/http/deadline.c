/*
 * http/deadline.c — owns the table of open HTTP connections with their absolute deadlines and
 * the thread that enforces them. The fd of a connection is only shut down while its entry is in
 * the table, under the table's lock; libmicrohttpd removes the entry (connection notification
 * "closed") before it closes the fd, so a deadline can never hit a reused descriptor.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "common/clock.h"
#include "http/deadline.h"
#include "voxdns/status.h"

#define SWEEP_MS 100 /* how late past its deadline a connection may be shut */

static void sweep_locked(vx__deadlines *d, uint64_t now)
{
    for (vx__dl_conn *c = d->head; c; c = c->next) {
        if (c->shut || now < c->deadline_ms)
            continue;
        shutdown(c->fd, SHUT_RDWR);
        c->shut = true;
        atomic_fetch_add(d->closed, 1);
    }
}

static void *sweeper(void *arg)
{
    vx__deadlines *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cv, &d->mu, &until);
        sweep_locked(d, vx__mono_ms());
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int vx__deadlines_start(vx__deadlines *d, atomic_ullong *open, atomic_ullong *closed)
{
    *d = (vx__deadlines){.open = open, .closed = closed};
    if (pthread_mutex_init(&d->mu, NULL) != 0)
        return VX_ENOMEM;
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, sweeper, d) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        return VX_ENOMEM;
    }
    d->running = true;
    return VX_OK;
}

void vx__deadlines_stop(vx__deadlines *d)
{
    if (!d->running)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    while (d->head) /* none when the daemon stopped first; kept safe anyway */
        vx__deadlines_remove(d, d->head);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    d->running = false;
}

vx__dl_conn *vx__deadlines_add(vx__deadlines *d, int fd, uint64_t deadline_ms)
{
    vx__dl_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    c->deadline_ms = deadline_ms;
    pthread_mutex_lock(&d->mu);
    c->next = d->head;
    if (d->head)
        d->head->prev = c;
    d->head = c;
    pthread_mutex_unlock(&d->mu);
    atomic_fetch_add(d->open, 1);
    return c;
}

void vx__deadlines_remove(vx__deadlines *d, vx__dl_conn *c)
{
    pthread_mutex_lock(&d->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&d->mu);
    atomic_fetch_sub(d->open, 1);
    free(c);
}

void vx__deadlines_set(vx__deadlines *d, vx__dl_conn *c, uint64_t deadline_ms)
{
    if (!c)
        return;
    pthread_mutex_lock(&d->mu);
    c->deadline_ms = deadline_ms;
    pthread_mutex_unlock(&d->mu);
}
