/*
 * http/http.h — the monitor's HTTP face on libmicrohttpd: /metrics (Prometheus text),
 * /api/v1/... (JSON), /healthz, and the dashboard (server-rendered HTML with inline SVG, no
 * external assets, every piece of DNS data HTML-escaped). Bound to localhost by default; write
 * endpoints refuse any request without the configured token ("Authorization: Bearer TOKEN"),
 * and refuse everything when no token is configured.
 *
 * Routes:
 *   GET  /healthz                            200 "ok", or 503 with the reason while the
 *                                            daemon's store fails
 *   GET  /metrics                            the metrics text (monitor/metrics.h)
 *   GET  /api/v1/domains                     {"domains":[{"name":..,"state":..,"last_cycle":..,
 *                                              "findings":{severity:count},"open_events":n}]}
 *   GET  /api/v1/events?since=ID|RFC3339&domain=NAME&limit=N
 *                                            {"events":[event JSON (model/event.h)]}
 *   GET  /api/v1/domains/NAME/snapshot       the latest snapshot JSON (404 if none)
 *   POST /api/v1/domains/NAME/baseline       accept the latest snapshot as the baseline (token);
 *                                            body empty or {"snapshot_id":N}: 409 unless N is
 *                                            still the latest
 *   GET  /                                   dashboard: the domains with their state
 *   GET  /domains/NAME                       dashboard: servers with RTT over time (SVG), the
 *                                            events timeline, current findings with remedies,
 *                                            the SIP chain
 *
 * Threads: one libmicrohttpd thread does all the socket work (epoll) and answers the cheap
 * routes (/healthz, errors) at once; /metrics is rendered on a thread of its own, and the routes
 * that read the store on a small pool of workers, each with its OWN store handle, behind a
 * bounded queue (full: 503). So a scrape or a health check is never stuck behind a page.
 * Connections are bounded in number, per client address, and in time: besides the idle
 * timeout, a request must arrive whole within request_timeout of the connection's opening (or
 * of its previous response), and its response must be read within request_timeout too, however
 * the client paces its bytes.
 */
#ifndef VX_HTTP_HTTP_H
#define VX_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/metrics.h"

typedef struct vx__http vx__http;

typedef struct vx__http_limits {
    unsigned max_connections;    /* at once, all clients (clamped to the descriptors we get) */
    unsigned max_per_ip;         /* at once from one client address */
    uint32_t request_timeout_ms; /* absolute: to send a request, and to read its answer */
    uint32_t idle_timeout_ms;    /* a connection silent this long is closed */
    unsigned workers;            /* threads (and store handles) for the store routes */
    unsigned queue;              /* store requests waiting for a worker; beyond: 503 */
} vx__http_limits;

#define VX__HTTP_DEFAULT_MAX_CONNECTIONS 4096u
#define VX__HTTP_DEFAULT_MAX_PER_IP 1024u
#define VX__HTTP_DEFAULT_REQUEST_TIMEOUT_MS 15000u
#define VX__HTTP_DEFAULT_IDLE_TIMEOUT_MS 10000u
#define VX__HTTP_DEFAULT_WORKERS 2u
#define VX__HTTP_DEFAULT_QUEUE 256u

void vx__http_limits_default(vx__http_limits *l);

typedef struct vx__http_opts {
    const char *listen;    /* "127.0.0.1:9153", "[::1]:9153", "0.0.0.0:9153" */
    const char *token;     /* NULL: write endpoints refuse everything */
    const char *store_url; /* the server opens its own handle */
    vx__metrics *metrics;  /* shared with the daemon; must outlive the server */
    const char *asn_db;    /* pfx2as file for the findings the pages show (NULL: none); read at
                              start, as the daemon's own copy is replaced on reload */
    const vx__http_limits *limits; /* NULL: the defaults */
} vx__http_opts;

/* Starts serving; VX_EINVAL (bad listen address), VX_EIO (cannot bind / open store; err says
 * why). The actual port (useful with port 0) is in vx__http_port(). */
int vx__http_start(const vx__http_opts *opts, vx__http **out, char *err, size_t errcap);
unsigned vx__http_port(const vx__http *h);
/* The limits in force: max_connections may be lower than asked when the process cannot have
 * that many descriptors. */
const vx__http_limits *vx__http_limits_in_use(const vx__http *h);
void vx__http_stop(vx__http *h);

/* HTML escaping of untrusted text (DNS data): & < > " ' (malloc'd). */
char *vx__html_escape(const char *text);

#endif
