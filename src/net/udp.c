/*
 * net/udp.c — the UDP transport of a query: one unconnected socket per query on a kernel-chosen
 * random source port (sockets live in usock.c, their system calls in udpsock.c), a new random id
 * per attempt, retransmission on the query timer, strict matching of what arrives
 * (wire/answer.h), and ICMP errors from the socket's error queue: a port unreachable ends the
 * query at once instead of after the budget.
 *
 * Why these choices:
 * - Raw fds (usock.c) rather than uv_udp_t: uv_udp_t never drains the error queue, so a queued
 *   ICMP error would keep the fd reported for ever. We read the queue on EPOLLERR.
 * - One socket for all attempts of a query, each attempt with a fresh id, and an answer to any
 *   id this query has sent is accepted: a slow first answer still counts (as resolvers do), and
 *   since ids differ we know exactly which transmission was answered, which makes the RTT
 *   sample unambiguous (Karn's problem does not arise for the newest attempt).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "net/engine_impl.h"
#include "net/udpsock.h"
#include "voxdns/status.h"
#include "wire/answer.h"

/* Reads per readiness event: a flood of junk cannot hold the loop. */
#define READS_PER_EVENT 64

static bool reusable_after(int status)
{
    /* A socket that saw an ICMP error or a send failure is not trusted with another query. */
    return status == VX_OK || status == VX_ETIMEDOUT;
}

void vx__udp_release(vx__query *q, int status)
{
    if (!q->sock)
        return;
    vx__usock_release(q->engine, q->sock, reusable_after(status) && !q->engine->closing);
    q->sock = NULL;
}

/* Sends the next attempt of the retry plan; VX_ETIMEDOUT when the plan has none left. */
static int send_next(vx__query *q)
{
    vx__engine *e = q->engine;
    unsigned k = q->result.attempt_count;
    uint32_t timeout = vx__rtt_attempt_timeout(&q->plan, k, e->opts.max_attempts, q->budget_ms);
    int rc;

    if (timeout == 0)
        return VX_ETIMEDOUT;
    rc = vx__engine_next_id(e, &q->ids[k]);
    if (rc != VX_OK)
        return rc;
    q->wire[2] = (uint8_t)(q->ids[k] >> 8);
    q->wire[3] = (uint8_t)q->ids[k];
    vx__attempt_open(q, VX__UDP, timeout);
    rc = vx__udpsock_send(q->sock->fd, q->wire + 2, q->wire_len,
                          (const struct sockaddr *)&q->server->addr);
    if (rc != VX_OK) {
        vx__attempt_close(q, rc, uv_hrtime());
        return rc;
    }
    e->stats.sent++;
    vx__query_arm_timer(q, timeout);
    return VX_OK;
}

int vx__udp_start(vx__query *q)
{
    int rc = vx__usock_take(q->engine, q->server, &q->sock);

    if (rc != VX_OK)
        return rc;
    q->sock->q = q;
    q->state = VX__QS_UDP;
    return send_next(q);
}

void vx__udp_on_timeout(vx__query *q)
{
    int rc;

    q->engine->stats.timeouts++;
    vx__attempt_close(q, VX_ETIMEDOUT, uv_hrtime());
    /* The server's state backs off for later queries; this query follows the plan it started
     * with, which already doubles per attempt (backing off both would square the growth). */
    vx__rtt_backoff(&q->server->rtt);
    rc = send_next(q);
    if (rc != VX_OK)
        vx__query_finish(q, rc);
}

/* A datagram is ours only if it answers the query (wire/answer.h: source address and port,
 * QR, opcode, one of our ids, our question). Returns the attempt index or -1. */
static int classify(const vx__query *q, size_t len, const struct sockaddr *src, uint16_t *flags)
{
    const vx__answer_spec spec = {.server = (const struct sockaddr *)&q->server->addr,
                                  .ids = q->ids,
                                  .nids = q->result.attempt_count,
                                  .question = &q->question};
    vx__answer a;

    if (vx__answer_match(&spec, src, q->engine->rx, len, &a) != VX__ANSWER_OK)
        return -1;
    *flags = a.flags;
    return (int)a.which;
}

static uint32_t rtt_sample_ms(uint64_t ns)
{
    uint64_t ms = (ns + 500000u) / 1000000u;
    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Whatever of the budget the UDP attempts left, for the TCP retry after TC. */
static uint32_t budget_left(const vx__query *q, uint64_t now)
{
    uint64_t spent_ms = (now - q->start_ns) / 1000000u;
    uint32_t budget = q->budget_ms;

    return spent_ms >= budget ? 0 : budget - (uint32_t)spent_ms;
}

static void accept_answer(vx__query *q, unsigned which, size_t len, uint16_t flags)
{
    uint64_t now = uv_hrtime();
    unsigned current = q->result.attempt_count - 1;
    int rc;

    vx__attempt_close(q, VX_OK, now);
    vx__server_heard(q->server);
    q->result.rtt_ms = vx__ns_to_ms(now - q->sent_ns[which]);
    q->result.transport = VX__UDP;
    /* Only the newest transmission has not been retransmitted: Karn's rule. */
    if (which == current)
        vx__rtt_sample(&q->server->rtt, rtt_sample_ms(now - q->sent_ns[which]));
    if (!(flags & VX__FLAG_TC)) {
        q->result.wire = q->engine->rx;
        q->result.wire_len = len;
        vx__query_finish(q, VX_OK);
        return;
    }
    q->result.attempts[current].truncated = true;
    q->engine->stats.tcp_fallbacks++;
    vx__udp_release(q, VX_OK);
    rc = vx__tcp_start(q, budget_left(q, now));
    if (rc != VX_OK)
        vx__query_finish(q, rc);
}

static void drop(vx__query *q)
{
    q->result.dropped++;
    q->engine->stats.dropped++;
}

static void fail(vx__query *q, int status)
{
    vx__attempt_close(q, status, uv_hrtime());
    vx__query_finish(q, status);
}

static void read_datagrams(vx__query *q)
{
    for (int i = 0; i < READS_PER_EVENT; i++) {
        struct sockaddr_storage src;
        uint16_t flags = 0;
        ssize_t n = vx__udpsock_recv(q->sock->fd, q->engine->rx, sizeof q->engine->rx, &src);
        int which;

        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fail(q, vx__udpsock_status(errno));
            return;
        }
        which = classify(q, (size_t)n, (const struct sockaddr *)&src, &flags);
        if (which >= 0) {
            accept_answer(q, (unsigned)which, (size_t)n, flags);
            return;
        }
        drop(q);
    }
}

/* Level-triggered: an error queue left unread would be reported again, so it is always
 * drained; only a verdict ends the query, and datagrams behind the error are still read. */
void vx__udp_event(vx__query *q, uint32_t events)
{
    if (events & EPOLLERR) {
        int verdict = vx__udpsock_icmp(q->sock->fd, (const struct sockaddr *)&q->server->addr);
        if (verdict != VX_OK) {
            fail(q, verdict);
            return;
        }
    }
    if (events & EPOLLIN)
        read_datagrams(q);
}
