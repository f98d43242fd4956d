/*
 * http/deadline.h — internal to http/: the absolute time limit on connections (deadline.c).
 * libmicrohttpd's own timeout is an idle timeout that every byte resets, so a client sending
 * one header line every few seconds would hold a connection for ever. Here every open
 * connection has a deadline on the monotonic clock, and a thread shuts down (shutdown(2)) the
 * socket of any connection past it; libmicrohttpd then sees the connection end and closes it.
 */
#ifndef VX_HTTP_DEADLINE_H
#define VX_HTTP_DEADLINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VX__DEADLINE_NONE UINT64_MAX /* paused: the server itself is working on the request */

typedef struct vx__dl_conn {
    struct vx__dl_conn *prev, *next;
    int fd;
    uint64_t deadline_ms;
    bool shut;
} vx__dl_conn;

typedef struct vx__deadlines {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    vx__dl_conn *head;
    bool stopping, running;
    pthread_t thread;
    atomic_ullong *open;   /* counts the connections in the table */
    atomic_ullong *closed; /* counts the ones shut down by their deadline */
} vx__deadlines;

int vx__deadlines_start(vx__deadlines *d, atomic_ullong *open, atomic_ullong *closed);
void vx__deadlines_stop(vx__deadlines *d);
/* A new connection (fd stays libmicrohttpd's). NULL when out of memory: no deadline then. */
vx__dl_conn *vx__deadlines_add(vx__deadlines *d, int fd, uint64_t deadline_ms);
/* Called before libmicrohttpd closes the socket: from then on the fd is never touched. */
void vx__deadlines_remove(vx__deadlines *d, vx__dl_conn *c);
void vx__deadlines_set(vx__deadlines *d, vx__dl_conn *c, uint64_t deadline_ms);

#endif
