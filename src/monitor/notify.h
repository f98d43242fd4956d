/*
 * monitor/notify.h — the monitor's NOTIFY intake: the listener (net/notify_listen.h) on the
 * configured notify_listen addresses, each request judged by wire/notify.h against the running
 * configuration (notify_allow, notify_keys, the monitored domains), every refusal logged with
 * its reason (rate-limited: at most LOG_BURST lines a minute, then one line saying how many were
 * not logged), and each accepted NOTIFY handed to the daemon (monitor/propagation.h starts
 * timing it).
 */
#ifndef VX_MONITOR_NOTIFY_H
#define VX_MONITOR_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "monitor/config.h"

typedef struct vx__notify_intake vx__notify_intake;

/* An accepted NOTIFY for domain ("example.com", no trailing dot; index in the configuration's
 * domains), with the serial it carried if any, received at now_ms (Unix ms). */
typedef void (*vx__notify_accepted)(void *arg, size_t domain_index, const char *domain,
                                    bool has_serial, uint32_t serial, uint64_t now_ms);

/* Listens on (*cfg)->notify_listen; *cfg is read at each request, so a reload's access lists
 * and domains apply at once (the addresses themselves after a restart). Logs and returns
 * VX_ENETWORK when an address cannot be bound. */
int vx__notify_intake_start(uv_loop_t *loop, vx__monitor_config *const *cfg,
                            vx__notify_accepted accepted, void *arg, vx__notify_intake **out);
void vx__notify_intake_stop(vx__notify_intake *in);

#endif
