/*
 * net/usock.c — the engine's UDP sockets: opening one (net/udpsock.h: kernel-random source
 * port, ICMP errors reported), the one epoll set that holds them all, dispatching its readiness,
 * and closing.
 *
 * Why one epoll set under a single uv_poll_t instead of a uv_poll_t per socket: libuv 1.44
 * spends five epoll_ctl calls and an ioctl on every uv_poll_t it opens and closes; here a
 * socket costs one EPOLL_CTL_ADD and its close() takes it out of the set. On loopback that is
 * a third of the engine's per-query system calls.
 *
 * Reuse (opts.udp_reuse > 1, off by default): a fresh socket costs socket(), setsockopt(),
 * bind() and close(), several microseconds of kernel time that dwarf sendto() and recvfrom()
 * on a fast path. A socket that ended its query cleanly then waits in its server's idle pool
 * and carries a later query to that same server, and only to it: a port that one server has
 * seen is never used to reach another, so a hostile server learns nothing it can use against
 * a different one. Sockets are retired after udp_reuse queries or SOCK_MAX_AGE_MS, and closed
 * after IDLE_MAX_MS unused, which keeps an off-path port scan's window short.
 *
 * Socket objects may outlive their fd: while the epoll batch is being dispatched, a socket
 * closed by a callback may still be named by a later event of the same batch, so it goes to
 * a dead list and is freed when the batch is over.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/engine_impl.h"
#include "net/udpsock.h"
#include "voxdns/status.h"

#define EVENTS_PER_BATCH 256
#define IDLE_READS 16
#define SOCK_MAX_AGE_MS 2000u
#define IDLE_MAX_MS 1000u
#define SWEEP_EVERY_MS 250u
#define MS (1000u * 1000u)

static void sock_free_dead(vx__engine *e)
{
    while (!vx__list_empty(&e->dead_socks)) {
        vx__usock *k = VX__CONTAINER_OF(e->dead_socks.next, vx__usock, engine_link);
        vx__list_remove(&k->engine_link);
        free(k);
    }
}

static void sock_close(vx__engine *e, vx__usock *k)
{
    close(k->fd); /* also takes it out of the epoll set: the fd is never duplicated */
    k->fd = -1;
    if (e->in_batch)
        vx__list_push_tail(&e->dead_socks, &k->engine_link);
    else
        free(k);
}

static int sock_open(vx__engine *e, vx__server *s, vx__usock **out)
{
    vx__usock *k = calloc(1, sizeof *k);
    struct epoll_event ev = {.events = EPOLLIN};
    int rc;

    if (!k)
        return VX_ENOMEM;
    rc = vx__udpsock_open(s->addr.ss_family, &k->fd);
    if (rc != VX_OK) {
        free(k);
        return rc;
    }
    ev.data.ptr = k;
    if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, k->fd, &ev) != 0) {
        close(k->fd);
        free(k);
        return VX_ENETWORK;
    }
    k->server = s;
    k->born_ns = uv_hrtime();
    vx__list_init(&k->server_link);
    vx__list_init(&k->engine_link);
    *out = k;
    return VX_OK;
}

/* Takes the socket out of both idle lists. */
static void idle_unlink(vx__usock *k)
{
    vx__list_remove(&k->server_link);
    vx__list_remove(&k->engine_link);
}

/* The longest-idle socket first, so that successive queries rotate through the pool's
 * ports; sockets past their age are closed on the way. */
int vx__usock_take(vx__engine *e, vx__server *s, vx__usock **out)
{
    uint64_t now = 0;
    int rc;

    while (!vx__list_empty(&s->idle_socks)) {
        vx__usock *k = VX__CONTAINER_OF(s->idle_socks.next, vx__usock, server_link);
        now = now ? now : uv_hrtime();
        idle_unlink(k);
        if (now - k->born_ns < SOCK_MAX_AGE_MS * (uint64_t)MS) {
            k->uses++;
            *out = k;
            return VX_OK;
        }
        sock_close(e, k);
    }
    rc = sock_open(e, s, out);
    if (rc == VX_OK)
        (*out)->uses = 1;
    return rc;
}

static void on_sweep(uv_timer_t *t);

static void sweep_arm(vx__engine *e)
{
    if (!e->sweep_init) {
        uv_timer_init(e->loop, &e->sweep);
        e->sweep.data = e;
        e->sweep_init = true;
        e->handles_open++;
    }
    if (!uv_is_active((uv_handle_t *)&e->sweep)) {
        uv_timer_start(&e->sweep, on_sweep, SWEEP_EVERY_MS, SWEEP_EVERY_MS);
        uv_unref((uv_handle_t *)&e->sweep); /* idle sockets do not keep the loop alive */
    }
}

static void on_sweep(uv_timer_t *t)
{
    vx__engine *e = t->data;
    uint64_t now = uv_hrtime();

    while (!vx__list_empty(&e->idle_socks)) {
        vx__usock *k = VX__CONTAINER_OF(e->idle_socks.next, vx__usock, engine_link);
        if (now - k->idle_ns < IDLE_MAX_MS * (uint64_t)MS)
            break;
        idle_unlink(k);
        sock_close(e, k);
    }
    if (vx__list_empty(&e->idle_socks))
        uv_timer_stop(&e->sweep);
}

void vx__usock_release(vx__engine *e, vx__usock *k, bool reusable)
{
    uint64_t now;

    k->q = NULL;
    if (!reusable || k->uses >= e->opts.udp_reuse) {
        sock_close(e, k);
        return;
    }
    now = uv_hrtime();
    if (now - k->born_ns >= SOCK_MAX_AGE_MS * (uint64_t)MS) {
        sock_close(e, k);
        return;
    }
    k->idle_ns = now;
    vx__list_push_tail(&k->server->idle_socks, &k->server_link);
    vx__list_push_tail(&e->idle_socks, &k->engine_link);
    sweep_arm(e);
}

/* A late answer (to a retransmitted or cancelled query) or anything else reaching an idle
 * socket is read and counted; an error retires the socket. */
static void idle_event(vx__engine *e, vx__usock *k, uint32_t events)
{
    if (events & EPOLLERR) {
        idle_unlink(k);
        sock_close(e, k);
        return;
    }
    for (int i = 0; i < IDLE_READS; i++) {
        if (recv(k->fd, e->rx, sizeof e->rx, 0) < 0 && errno != EINTR)
            return;
        e->stats.dropped++;
    }
}

static void sock_event(vx__engine *e, vx__usock *k, uint32_t events)
{
    if (k->fd < 0)
        return; /* closed earlier in this batch */
    if (k->q)
        vx__udp_event(k->q, events);
    else
        idle_event(e, k, events);
}

/* Dispatches one batch. A callback may close the engine: then the rest of the batch is
 * dropped (every query has been cancelled), but the dead sockets are still freed. */
static void on_epoll(uv_poll_t *h, int status, int events)
{
    vx__engine *e = h->data;
    struct epoll_event ev[EVENTS_PER_BATCH];
    int n;

    (void)events;
    if (status < 0) {
        /* POLLERR on an epoll fd does not happen; libuv stopped watching, so watch again. */
        uv_poll_start(&e->ep_poll, UV_READABLE, on_epoll);
        return;
    }
    n = epoll_wait(e->epfd, ev, EVENTS_PER_BATCH, 0);
    e->in_batch = true;
    for (int i = 0; i < n && !e->closing; i++)
        sock_event(e, ev[i].data.ptr, ev[i].events);
    e->in_batch = false;
    sock_free_dead(e);
}

/* The epoll handle is unreferenced: sockets alone do not keep the loop alive; a query in
 * flight does so through its timer. */
int vx__usock_init(vx__engine *e)
{
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0)
        return VX_ENETWORK;
    if (uv_poll_init(e->loop, &e->ep_poll, e->epfd) != 0) {
        close(e->epfd);
        return VX_ENETWORK;
    }
    e->handles_open++;
    e->ep_poll.data = e;
    vx__list_init(&e->idle_socks);
    vx__list_init(&e->dead_socks);
    uv_poll_start(&e->ep_poll, UV_READABLE, on_epoll);
    uv_unref((uv_handle_t *)&e->ep_poll);
    return VX_OK;
}

static void on_ep_poll_closed(uv_handle_t *h)
{
    vx__engine *e = h->data;

    close(e->epfd);
    vx__engine_handle_closed(e);
}

static void on_sweep_closed(uv_handle_t *h)
{
    vx__engine_handle_closed(h->data);
}

/* At engine close, after every query has ended. */
void vx__usock_shutdown(vx__engine *e)
{
    while (!vx__list_empty(&e->idle_socks)) {
        vx__usock *k = VX__CONTAINER_OF(e->idle_socks.next, vx__usock, engine_link);
        idle_unlink(k);
        sock_close(e, k);
    }
    if (e->sweep_init)
        uv_close((uv_handle_t *)&e->sweep, on_sweep_closed);
    uv_close((uv_handle_t *)&e->ep_poll, on_ep_poll_closed);
}
