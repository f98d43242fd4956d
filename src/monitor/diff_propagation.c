/*
 * monitor/diff_propagation.c — the propagation timing in the monitor's diff
 * (monitor/diff_impl.h): PROPAGATION-SLOW opens (warning) for an address the timing calls slow,
 * first seen at the NOTIFY (or first sighting), and closes (notice) with the measured time when
 * the address serves the serial; SERIAL-LAG asks here when a lag began. The timing itself is
 * monitor/propagation.c's; the diff only turns its states into conditions, so that the events
 * are stored with the cycle like every other.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/query.h"

/* RFC 1982: a <= b in serial number arithmetic. */
static bool serial_le(uint32_t a, uint32_t b)
{
    return a == b || (uint32_t)(b - a) < 0x80000000u;
}

static const vx__diff_prop *prop_of(const vx__diff_ctx *c, const char *label)
{
    for (size_t i = 0; i < c->in->propagation_count; i++)
        if (c->in->propagation[i].server && strcmp(c->in->propagation[i].server, label) == 0)
            return &c->in->propagation[i];
    return NULL;
}

uint64_t vx__diff_prop_lag_start(const vx__diff_ctx *c, const char *label, uint32_t top)
{
    const vx__diff_prop *p = prop_of(c, label);
    return p && !p->served_ms && serial_le(p->serial, top) ? p->origin_ms : UINT64_MAX;
}

static const char *origin_name(const vx__diff_prop *p)
{
    return p->notify ? "the NOTIFY" : "the cycle that first saw it";
}

static void slow_open(vx__diff_ctx *c, const vx__diff_prop *p, const char *key,
                      const vx__condition *open)
{
    char span[32];
    vx__diff_span_text(vx__diff_since(c, p->origin_ms), span, sizeof span);
    vx__diff_ev b;
    vx__diff_ev_init(c, &b, VX__EV_PROPAGATION_SLOW, VX__SEV_WARNING, p->server,
                     c->in->current->domain, VX__T_SOA);
    vx__diff_ev_msg(&b, "%s (provider %s) has not served SOA serial %" PRIu32 " %s after %s",
                    p->server, p->provider, p->serial, span, origin_name(p));
    b.e.first_seen_ms = p->origin_ms;
    char *detail = vx__diff_detail_fields("{s:I,s:s,s:b}", "serial", (json_int_t)p->serial,
                                          "provider", p->provider, "notify", p->notify);
    vx__diff_hold_since(c, key, VX__EV_PROPAGATION_SLOW, open ? NULL : &b, detail, p->origin_ms);
    free(detail);
}

/* Served at last: the closing notice carries the measured time. */
static void slow_closed(vx__diff_ctx *c, const vx__diff_prop *p, const vx__condition *open)
{
    char span[32];
    uint64_t took = p->served_ms > p->origin_ms ? p->served_ms - p->origin_ms : 0;
    vx__diff_span_text(took, span, sizeof span);
    vx__diff_ev b;
    vx__diff_ev_init(c, &b, VX__EV_PROPAGATION_SLOW, VX__SEV_NOTICE, p->server,
                     c->in->current->domain, VX__T_SOA);
    vx__diff_ev_msg(&b, "%s (provider %s) serves SOA serial %" PRIu32 ", %s after %s", p->server,
                    p->provider, p->serial, span, origin_name(p));
    vx__diff_emit_closing(c, &b, open);
}

void vx__diff_check_propagation(vx__diff_ctx *c)
{
    char key[VX__DIFF_KEY_MAX];
    for (size_t i = 0; i < c->in->propagation_count && c->rc == VX_OK; i++) {
        const vx__diff_prop *p = &c->in->propagation[i];
        if (!p->server || !p->provider)
            continue;
        snprintf(key, sizeof key, "propslow|%s", p->server);
        const vx__condition *open = vx__diff_prev_get(c, key);
        if (p->served_ms) {
            if (open)
                slow_closed(c, p, open);
            vx__diff_forget(c, key);
        } else if (p->slow) {
            slow_open(c, p, key, open);
        } else if (open) {
            /* a newer serial restarted the timing: still behind, not yet slow again */
            vx__diff_hold(c, key, VX__EV_PROPAGATION_SLOW, NULL, NULL);
        }
    }
}
