/*
 * monitor/alert.h — alert sinks: the levelled log (stderr, which journald collects), a webhook
 * (JSON POST through libcurl, with a Slack-compatible "text" field, retried with exponential
 * backoff) and a command hook (/bin/sh -c, the event JSON on stdin). Every event goes to every
 * sink whose min_severity it reaches, AFTER the store committed it; the store remembers what
 * each sink delivered, so a restart delivers what was missed and never twice what was
 * delivered.
 *
 * An event with id 0 is one the store could not take yet (it was failing): it is delivered
 * anyway, marked — "stored": false and a note in the webhook's text, VOXDNS_STORED=0 for the
 * command, a note on the log line — and the alert worker does not deliver it again once stored.
 *
 * De-duplication: one condition announces itself once (the diff guarantees that). Flap
 * suppression: a condition key that opened and closed more than max_changes times within the
 * window is alerted as one "flapping" summary and then held back until it is quiet for a
 * window; the events themselves are still stored and shown.
 */
#ifndef VX_MONITOR_ALERT_H
#define VX_MONITOR_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/config.h"
#include "model/event.h"

typedef struct vx__alerter vx__alerter;

int vx__alerter_new(const vx__monitor_config *cfg, vx__alerter **out);
void vx__alerter_free(vx__alerter *a);

/* Delivers one event to every sink that wants it. Returns per sink whether it was delivered
 * (delivered[i] for cfg->sinks[i]); a webhook is retried with backoff (1 s, 2 s, 4 s, ...) up
 * to its retries before it counts as not delivered. Blocking: the daemon calls it from its
 * alert thread, never from the event loop. */
int vx__alerter_deliver(vx__alerter *a, const vx__event *e, uint64_t now_ms, bool *delivered);

/* The log sink's line for an event ("warning RECORD-CHANGED example.com ns1.../192.0.2.1
 * sip.example.com A: [old] -> [new]"), malloc'd. */
char *vx__alert_log_line(const vx__event *e);
/* The webhook body: the event JSON with a Slack-compatible "text" field added (malloc'd). */
char *vx__alert_webhook_body(const vx__event *e);

/* Levelled logging for the daemon (not for libraries): "voxdns[pid]: level: message". */
typedef enum vx__log_level {
    VX__LOG_DEBUG = 0,
    VX__LOG_INFO,
    VX__LOG_NOTICE,
    VX__LOG_WARNING,
    VX__LOG_ERROR
} vx__log_level;
void vx__log_set_level(vx__log_level level);
int vx__log_level_from_name(const char *name, vx__log_level *out);
void vx__log(vx__log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
