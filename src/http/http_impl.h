/*
 * http/http_impl.h — internal to http/: a request and a response as the handlers see them (no
 * libmicrohttpd type crosses this line, so a request can be answered without a socket: the unit
 * tests and the fuzzer do), the handlers' environment, the per-domain state the API and the
 * dashboard share, and the page and chart writers.
 */
#ifndef VX_HTTP_IMPL_H
#define VX_HTTP_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/asndb.h"
#include "http/http.h"
#include "monitor/metrics.h"
#include "report/report_impl.h"
#include "store/store.h"

/* Figures about the server itself, shown on /metrics (atomics: every thread counts). */
typedef struct vx__http_stats {
    atomic_ullong connections;     /* open now */
    atomic_ullong deadline_closed; /* closed by request_timeout */
    atomic_ullong busy;            /* answered 503: the store queue was full, or waited too long */
} vx__http_stats;

/* What a handler may use. Each store worker has its own (its own store handle); the rest is
 * shared and read-only. Any member but token may be NULL (routes that need it answer 500). */
typedef struct vx__http_env {
    vx__store *store;
    const vx__asndb *asndb;
    vx__metrics *metrics;
    const char *token;           /* NULL: writes refused */
    const vx__http_stats *stats; /* NULL: /metrics shows no server figures */
} vx__http_env;

#define VX__HTTP_MAX_ARGS 8
#define VX__HTTP_MAX_TARGET 8192 /* a longer request-target is a 414 */
#define VX__HTTP_MAX_BODY 4096   /* a longer body is a 413 */

typedef struct vx__http_arg {
    const char *key, *value; /* in the request's buffer, percent-decoded */
} vx__http_arg;

typedef struct vx__http_req {
    const char *method;
    const char *path;          /* percent-decoded, without the query */
    const char *authorization; /* the Authorization header, or NULL */
    vx__http_arg args[VX__HTTP_MAX_ARGS];
    size_t arg_count;
    bool too_many_args;
    unsigned bad_status; /* not 0: the request cannot be routed (400, 413, 414), say why */
    const char *bad_why;
    const char *body; /* NULL or body_len bytes (not terminated) */
    size_t body_len;
    uint64_t now_ms; /* wall clock */
    char *buf;       /* owns path and args */
} vx__http_req;

typedef struct vx__http_resp {
    unsigned status;
    const char *type; /* Content-Type */
    char *body;       /* malloc'd */
    size_t len;
    bool html;             /* adds the page security headers */
    const char *allow;     /* 405: the Allow header */
    bool bearer_challenge; /* 401: WWW-Authenticate */
    bool retry_after;      /* 503: Retry-After: 1 */
} vx__http_resp;

#define VX__CT_JSON "application/json"
#define VX__CT_HTML "text/html; charset=utf-8"
#define VX__CT_TEXT "text/plain; charset=utf-8"
#define VX__CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* ---- a request without a socket (request.c) ------------------------------------------------ */

/* Looks up a request header by name (any case); NULL when absent. */
typedef const char *(*vx__http_header_fn)(void *cls, const char *name);

/* Where a request is answered: at once on the I/O thread (it touches nothing slow), on the
 * metrics thread, or by a store worker. */
typedef enum vx__http_lane { VX__LANE_NOW = 0, VX__LANE_METRICS, VX__LANE_STORE } vx__http_lane;

/* Fills req from the raw request-target ("/path?k=v&..."): decodes the path and the query
 * parameters into req->buf, or sets bad_status. VX_ENOMEM only when memory runs out. The
 * strings method, authorization and body are borrowed. */
int vx__http_req_init(vx__http_req *req, const char *method, const char *target,
                      const char *authorization, const char *body, size_t body_len,
                      uint64_t now_ms);
void vx__http_req_free(vx__http_req *req);
vx__http_lane vx__http_lane_of(const vx__http_req *req);
/* Answers a request (resp zeroed by the caller; its body is always set after). */
void vx__http_handle(const vx__http_env *env, const vx__http_req *req, vx__http_resp *resp);
/* All of the above in one call: what the server does with a request, minus the socket. */
void vx__http_request(const vx__http_env *env, const char *method, const char *target,
                      vx__http_header_fn header, void *header_cls, const char *body,
                      size_t body_len, uint64_t now_ms, vx__http_resp *resp);
void vx__http_resp_free(vx__http_resp *resp);

/* ---- responses (request.c) ----------------------------------------------------------------- */

/* Takes body (malloc'd; NULL means out of memory → 500). */
void vx__resp_body(vx__http_resp *r, unsigned status, const char *type, char *body);
/* An error for people or programs: JSON {"error":..} under /api/, text elsewhere. */
void vx__resp_error(vx__http_resp *r, const vx__http_req *req, unsigned status, const char *msg);
const char *vx__req_arg(const vx__http_req *req, const char *key);

/* ---- handlers ---------------------------------------------------------------------------- */

typedef void (*vx__http_handler)(const vx__http_env *env, const vx__http_req *req, const char *name,
                                 vx__http_resp *resp);

void vx__api_healthz(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r);
void vx__api_metrics(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r);
void vx__api_domains(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r);
void vx__api_events(const vx__http_env *env, const vx__http_req *req, const char *name,
                    vx__http_resp *r);
void vx__api_snapshot(const vx__http_env *env, const vx__http_req *req, const char *name,
                      vx__http_resp *r);
void vx__api_baseline(const vx__http_env *env, const vx__http_req *req, const char *name,
                      vx__http_resp *r);
void vx__dash_index(const vx__http_env *env, const vx__http_req *req, const char *name,
                    vx__http_resp *r);
void vx__dash_domain(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r);

/* ---- token (auth.c) ---------------------------------------------------------------------- */

/* 0 when the request carries the configured token; else the status to answer: 403 when no
 * token is configured (writes are off), 401 when it is missing or wrong. */
unsigned vx__http_authorize(const vx__http_env *env, const vx__http_req *req);
/* Equality in time that depends only on the length of expected. */
bool vx__token_equal(const char *expected, const char *given);

/* ---- domain state (state.c) -------------------------------------------------------------- */

typedef struct vx__dstate {
    char *name;         /* as the store spells it */
    vx__snapshot *snap; /* the latest stored snapshot, NULL when none (or unreadable) */
    int64_t snap_id;
    vx__findings findings; /* the checks run on snap */
    vx__conditions conds;  /* open conditions */
    size_t counts[VX__SEV_COUNT];
    const char *state;      /* "ok", "warning", "error"; "unknown" before the first cycle */
    uint64_t last_cycle_ms; /* the latest cycle, quiet or full (0: none) */
    size_t open_count;      /* open conditions */
    char *state_copy;       /* owned by a state read from a summary */
} vx__dstate;

/* The store's spelling of a requested domain (any case, trailing dot or not): VX_ENOTFOUND
 * when the store does not know it. */
int vx__http_find_domain(vx__store *s, const char *requested, char **name);
int vx__dstate_load(vx__store *s, const vx__asndb *asndb, const char *name, vx__dstate *out);
/* The light form for the lists: from the store's summary row (no snapshot, no findings, no
 * conditions), or fully loaded when the domain has no summary yet. */
int vx__dstate_for_list(vx__store *s, const vx__asndb *asndb, const vx__store_summary_row *row,
                        vx__dstate *out);
void vx__dstate_free(vx__dstate *d);

/* RFC 3339 ("2024-01-01T12:00:00Z", fractions and offsets allowed) → Unix ms. */
int vx__parse_rfc3339(const char *text, uint64_t *ms);

/* ---- pages (page.c, chart.c) ------------------------------------------------------------- */

void vx__page_head(vx__rbuf *b, const char *title);
void vx__page_foot(vx__rbuf *b, uint64_t now_ms);
/* A domain name as a path segment, percent-encoded (safe in an attribute too). */
void vx__page_url_name(vx__rbuf *b, const char *name);
void vx__page_state(vx__rbuf *b, const char *state);

/* One line chart per server of the RTT samples (oldest first) between from_ms and to_ms. */
void vx__chart_rtt(vx__rbuf *b, const vx__rtt_row *rows, size_t count, uint64_t from_ms,
                   uint64_t to_ms);
/* http/chart_prop.c: one chart per DNS provider of the domain's propagation measurements (the
 * monitor's in-memory samples, monitor/metrics.h), each a dot at when it was measured and how
 * many seconds the serial took; a sentence when there are none. */
void vx__chart_propagation(vx__rbuf *b, const vx__prop_sample *s, size_t n, uint64_t now_ms);
/* The smallest 1, 2 or 5 times a power of ten at or above v (a chart's y scale). */
double vx__chart_nice_ceil(double v);

#endif
