/*
 * resolver/upstream.c — upstream health (see upstream.h): scores, hedging delay, timeouts,
 * down marking and re-probe backoff.
 */
#include "resolver/upstream.h"

#include <string.h>

#include "voxdns/status.h"
#include "wire/addr.h"

void vx__upstream_set_init(vx__upstream_set *set)
{
    memset(set, 0, sizeof(*set));
}

int vx__upstream_add(vx__upstream_set *set, const struct sockaddr *addr, bool tcp, unsigned *index)
{
    if (set->n >= VX__UPSTREAM_MAX)
        return VX_ELIMIT;
    vx__upstream *u = &set->v[set->n];
    memset(u, 0, sizeof(*u));
    if (addr)
        memcpy(&u->addr, addr, vx__addr_len(addr));
    u->tcp = tcp;
    vx__rtt_init(&u->rtt);
    *index = (unsigned)set->n++;
    return VX_OK;
}

uint64_t vx__upstream_score(const vx__upstream *u)
{
    uint64_t base = u->rtt.measured ? u->rtt.srtt_ms : VX__SCORE_UNMEASURED_MS;
    return base + (uint64_t)u->failures * VX__SCORE_FAILURE_MS;
}

uint32_t vx__upstream_hedge_delay(const vx__upstream *u)
{
    if (!u->rtt.measured)
        return VX__HEDGE_UNMEASURED_MS;
    uint64_t d = (uint64_t)u->rtt.srtt_ms + 4u * (uint64_t)u->rtt.rttvar_ms;
    if (d < VX__HEDGE_FLOOR_MS)
        return VX__HEDGE_FLOOR_MS;
    return d > VX__HEDGE_CAP_MS ? VX__HEDGE_CAP_MS : (uint32_t)d;
}

uint32_t vx__upstream_attempt_timeout(const vx__upstream *u)
{
    uint32_t rto = vx__rtt_rto(&u->rtt); /* includes the backoff after earlier timeouts */
    return rto > VX__TIMEOUT_FLOOR_MS ? rto : VX__TIMEOUT_FLOOR_MS;
}

bool vx__upstream_is_up(const vx__upstream *u)
{
    return !u->down;
}

bool vx__upstream_probe_due(const vx__upstream *u, uint64_t now)
{
    return u->down && !u->probing && now >= u->retry_at;
}

bool vx__upstream_all_down(const vx__upstream_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (!set->v[i].down)
            return false;
    return true;
}

void vx__upstream_on_response(vx__upstream *u, uint32_t sample_ms, bool ok)
{
    vx__rtt_sample(&u->rtt, sample_ms);
    u->consecutive_timeouts = 0;
    u->down = false;
    u->probing = false;
    u->down_probes = 0;
    if (ok)
        u->failures /= 2u;
    else if (u->failures < 16u)
        u->failures++;
}

static uint64_t backoff_ms(unsigned probes)
{
    uint64_t d = VX__BACKOFF_BASE_MS;
    for (unsigned i = 0; i < probes && d < VX__BACKOFF_MAX_MS; i++)
        d *= 2u;
    return d > VX__BACKOFF_MAX_MS ? VX__BACKOFF_MAX_MS : d;
}

static void mark_down(vx__upstream *u, uint64_t now)
{
    u->down = true;
    u->down_probes = 0;
    u->retry_at = now + backoff_ms(0);
}

/* Shared by timeouts and send errors: a failed probe doubles the backoff, and the
 * DOWN_AFTER-th consecutive failure of an up upstream marks it down. Late failures of attempts
 * sent before the upstream went down change nothing more: it is already down. */
static void on_failure(vx__upstream *u, uint64_t now, bool probe)
{
    if (u->failures < 16u)
        u->failures++;
    if (u->down) {
        if (probe && u->probing) {
            u->probing = false;
            u->down_probes++;
            u->retry_at = now + backoff_ms(u->down_probes);
        }
        return;
    }
    if (u->consecutive_timeouts++ == 0)
        u->first_timeout_at = now;
    if (u->consecutive_timeouts >= VX__DOWN_AFTER &&
        now - u->first_timeout_at >= VX__DOWN_MIN_SPAN_MS)
        mark_down(u, now);
}

bool vx__upstream_on_silent_lookup(vx__upstream *u, uint64_t now)
{
    if (u->down || u->consecutive_timeouts < VX__SILENT_DOWN_AFTER ||
        now - u->first_timeout_at < VX__DOWN_MIN_SPAN_MS)
        return false;
    mark_down(u, now);
    return true;
}

void vx__upstream_on_timeout(vx__upstream *u, uint64_t now, bool probe)
{
    vx__rtt_backoff(&u->rtt);
    on_failure(u, now, probe);
}

void vx__upstream_on_error(vx__upstream *u, uint64_t now, bool probe)
{
    on_failure(u, now, probe);
}

void vx__upstream_on_slow(vx__upstream *u)
{
    if (u->failures < 16u)
        u->failures++;
}

void vx__upstream_on_probe_sent(vx__upstream *u)
{
    u->probing = true;
}
