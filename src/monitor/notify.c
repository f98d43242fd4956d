/*
 * monitor/notify.c — owns the NOTIFY intake: the source check against notify_allow, the zone
 * lookup among the monitored domains, the log lines (one per accepted NOTIFY and per refusal,
 * rate-limited together so that a flood cannot fill the log) and the hand-over of an accepted
 * NOTIFY. The message itself is wire/notify.c's; the sockets net/notify_listen.c's.
 */
#include "monitor/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/clock.h"
#include "monitor/alert.h"
#include "net/notify_listen.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/notify.h"

#define LOG_WINDOW_MS 60000u
#define LOG_BURST 20u

struct vx__notify_intake {
    vx__monitor_config *const *cfg;
    vx__notify_accepted accepted;
    void *arg;
    vx__notify_listen *listen;
    uint64_t window_start_ms;
    unsigned logged;   /* lines in this window */
    uint64_t dropped;  /* lines not written in this window */
    size_t zone_index; /* the last zone_known() hit */
};

static bool source_allowed(const vx__monitor_config *cfg, const struct sockaddr *from)
{
    if (cfg->notify_allow_count == 0)
        return true; /* only keys were configured: any source with a good signature */
    for (size_t i = 0; i < cfg->notify_allow_count; i++)
        if (vx__addr_block_contains(&cfg->notify_allow[i], from))
            return true;
    return false;
}

static bool zone_known(void *arg, const char *zone)
{
    vx__notify_intake *in = arg;
    const vx__monitor_config *cfg = *in->cfg;
    for (size_t i = 0; i < cfg->domain_count; i++) {
        if (strcasecmp(cfg->domains[i].name, zone) == 0) {
            in->zone_index = i;
            return true;
        }
    }
    return false;
}

/* At most LOG_BURST lines a minute; the first line of the next window says what was left out. */
static bool may_log(vx__notify_intake *in, uint64_t now_ms)
{
    if (now_ms - in->window_start_ms >= LOG_WINDOW_MS) {
        if (in->dropped)
            vx__log(VX__LOG_WARNING, "NOTIFY: %llu more log lines left out in the last minute",
                    (unsigned long long)in->dropped);
        in->window_start_ms = now_ms;
        in->logged = 0;
        in->dropped = 0;
    }
    if (in->logged >= LOG_BURST) {
        in->dropped++;
        return false;
    }
    in->logged++;
    return true;
}

static void log_verdict(vx__notify_intake *in, const vx__notify *n, const struct sockaddr *from,
                        bool tcp, uint64_t now_ms)
{
    char addr[VX__ADDR_TEXT_MAX], serial[24] = "";
    if (n->verdict == VX__NOTIFY_IGNORED || !may_log(in, now_ms))
        return;
    if (vx__addr_format(from, addr, sizeof addr) != VX_OK)
        snprintf(addr, sizeof addr, "?");
    if (n->has_serial)
        snprintf(serial, sizeof serial, " serial %u", n->serial);
    if (n->verdict == VX__NOTIFY_ACCEPTED)
        vx__log(VX__LOG_INFO, "NOTIFY for %s%s from %s over %s%s%s: accepted", n->zone, serial,
                addr, tcp ? "TCP" : "UDP", n->key[0] ? ", key " : "", n->key);
    else
        vx__log(VX__LOG_WARNING, "NOTIFY for %s from %s over %s refused: %s",
                n->zone[0] ? n->zone : "(unreadable)", addr, tcp ? "TCP" : "UDP", n->reason);
}

static size_t on_request(void *arg, const uint8_t *msg, size_t len, const struct sockaddr *from,
                         bool tcp, uint8_t *answer, size_t cap)
{
    vx__notify_intake *in = arg;
    const vx__monitor_config *cfg = *in->cfg;
    uint64_t now_ms = vx__wall_ms();
    vx__notify_policy pol = {.keys = cfg->notify_keys,
                             .key_count = cfg->notify_key_count,
                             .source_allowed = source_allowed(cfg, from),
                             .zone_known = zone_known,
                             .zone_arg = in,
                             .now_s = now_ms / 1000u};
    static vx__notify n; /* the loop thread only; too big for the stack of a callback */
    if (vx__notify_handle(msg, len, &pol, &n) != VX_OK)
        return 0;
    log_verdict(in, &n, from, tcp, now_ms);
    if (n.verdict == VX__NOTIFY_ACCEPTED && in->accepted) {
        char domain[VX__NAME_TEXT_MAX];
        snprintf(domain, sizeof domain, "%.*s", (int)(strlen(n.zone) - 1), n.zone);
        in->accepted(in->arg, in->zone_index, domain, n.has_serial, n.serial, now_ms);
    }
    if (n.answer_len > cap)
        return 0;
    memcpy(answer, n.answer, n.answer_len);
    return n.answer_len;
}

int vx__notify_intake_start(uv_loop_t *loop, vx__monitor_config *const *cfg,
                            vx__notify_accepted accepted, void *arg, vx__notify_intake **out)
{
    char err[512];
    vx__notify_intake *in = calloc(1, sizeof *in);
    *out = NULL;
    if (!in)
        return VX_ENOMEM;
    *in = (vx__notify_intake){.cfg = cfg, .accepted = accepted, .arg = arg};
    int rc = vx__notify_listen_start(loop, (*cfg)->notify_listen, (*cfg)->notify_listen_count,
                                     on_request, in, &in->listen, err, sizeof err);
    if (rc != VX_OK) {
        vx__log(VX__LOG_ERROR, "%s", err);
        free(in);
        return rc;
    }
    for (size_t i = 0; i < (*cfg)->notify_listen_count; i++) {
        char text[VX__ADDR_TEXT_MAX];
        if (vx__addr_format_port((const struct sockaddr *)&(*cfg)->notify_listen[i], text,
                                 sizeof text) == VX_OK)
            vx__log(VX__LOG_INFO, "listening for NOTIFY on %s (UDP and TCP)", text);
    }
    *out = in;
    return VX_OK;
}

void vx__notify_intake_stop(vx__notify_intake *in)
{
    if (!in)
        return;
    vx__notify_listen_stop(in->listen);
    free(in);
}
