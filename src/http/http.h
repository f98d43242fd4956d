/*
 * http/http.h — the monitor's HTTP face on libmicrohttpd: /metrics (Prometheus text),
 * /api/v1/... (JSON), /healthz, and the dashboard (server-rendered HTML with inline SVG, no
 * external assets, every piece of DNS data HTML-escaped). Bound to localhost by default; write
 * endpoints refuse any request without the configured token ("Authorization: Bearer TOKEN"),
 * and refuse everything when no token is configured.
 *
 * Routes:
 *   GET  /healthz                            200 "ok"
 *   GET  /metrics                            the metrics text (monitor/metrics.h)
 *   GET  /api/v1/domains                     {"domains":[{"name":..,"state":..,"last_cycle":..,
 *                                              "findings":{severity:count},"open_events":n}]}
 *   GET  /api/v1/events?since=ID|RFC3339&domain=NAME&limit=N
 *                                            {"events":[event JSON (model/event.h)]}
 *   GET  /api/v1/domains/NAME/snapshot       the latest snapshot JSON (404 if none)
 *   POST /api/v1/domains/NAME/baseline       accept the latest snapshot as the baseline (token)
 *   GET  /                                   dashboard: the domains with their state
 *   GET  /domains/NAME                       dashboard: servers with RTT over time (SVG), the
 *                                            events timeline, current findings with remedies,
 *                                            the SIP chain
 *
 * Threads: libmicrohttpd answers on its own thread; the server opens its OWN store handle
 * (store URL given) and reads metrics through vx__metrics_render(), which is thread-safe.
 */
#ifndef VX_HTTP_HTTP_H
#define VX_HTTP_HTTP_H

#include <stddef.h>

#include "monitor/metrics.h"

typedef struct vx__http vx__http;

typedef struct vx__http_opts {
    const char *listen;    /* "127.0.0.1:9153", "[::1]:9153", "0.0.0.0:9153" */
    const char *token;     /* NULL: write endpoints refuse everything */
    const char *store_url; /* the server opens its own handle */
    vx__metrics *metrics;  /* shared with the daemon; must outlive the server */
    const char *asn_db;    /* pfx2as file for the findings the pages show (NULL: none); read at
                              start, as the daemon's own copy is replaced on reload */
} vx__http_opts;

/* Starts serving; VX_EINVAL (bad listen address), VX_EIO (cannot bind / open store; err says
 * why). The actual port (useful with port 0) is in vx__http_port(). */
int vx__http_start(const vx__http_opts *opts, vx__http **out, char *err, size_t errcap);
unsigned vx__http_port(const vx__http *h);
void vx__http_stop(vx__http *h);

/* HTML escaping of untrusted text (DNS data): & < > " ' (malloc'd). */
char *vx__html_escape(const char *text);

#endif
