/*
 * http/http_impl.h — internal to http/: the server handle, a request and a response as the
 * handlers see them (no libmicrohttpd type crosses this line, so handlers are plain functions
 * of the store and the request), the per-domain state the API and the dashboard share, and the
 * page and chart writers.
 */
#ifndef VX_HTTP_IMPL_H
#define VX_HTTP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/asndb.h"
#include "http/http.h"
#include "report/report_impl.h"
#include "store/store.h"

struct vx__http {
    struct MHD_Daemon *daemon;
    vx__store *store;
    pthread_mutex_t store_mu; /* a store handle is used from one thread at a time */
    vx__metrics *metrics;
    vx__asndb *asndb; /* the server's own (NULL: no ASN checks) */
    char *token;      /* NULL: writes refused */
    unsigned port;
};

#define VX__HTTP_MAX_ARGS 8

typedef struct vx__http_arg {
    const char *key, *value; /* borrowed from the connection */
} vx__http_arg;

typedef struct vx__http_req {
    const char *method;
    const char *path;
    const char *authorization; /* the Authorization header, or NULL */
    vx__http_arg args[VX__HTTP_MAX_ARGS];
    size_t arg_count;
    bool too_many_args;
    uint64_t now_ms;
} vx__http_req;

typedef struct vx__http_resp {
    unsigned status;
    const char *type; /* Content-Type */
    char *body;       /* malloc'd */
    size_t len;
    bool html;             /* adds the page security headers */
    const char *allow;     /* 405: the Allow header */
    bool bearer_challenge; /* 401: WWW-Authenticate */
} vx__http_resp;

#define VX__CT_JSON "application/json"
#define VX__CT_HTML "text/html; charset=utf-8"
#define VX__CT_TEXT "text/plain; charset=utf-8"
#define VX__CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* ---- responses (http.c) ------------------------------------------------------------------ */

/* Takes body (malloc'd; NULL means out of memory → 500). */
void vx__resp_body(vx__http_resp *r, unsigned status, const char *type, char *body);
/* An error for people or programs: JSON {"error":..} under /api/, text elsewhere. */
void vx__resp_error(vx__http_resp *r, const vx__http_req *req, unsigned status, const char *msg);
const char *vx__req_arg(const vx__http_req *req, const char *key);

/* ---- handlers ---------------------------------------------------------------------------- */

typedef void (*vx__http_handler)(vx__http *h, const vx__http_req *req, const char *name,
                                 vx__http_resp *resp);

void vx__api_healthz(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__api_metrics(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__api_domains(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__api_events(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__api_snapshot(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__api_baseline(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__dash_index(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);
void vx__dash_domain(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r);

/* ---- token (auth.c) ---------------------------------------------------------------------- */

/* 0 when the request carries the configured token; else the status to answer: 403 when no
 * token is configured (writes are off), 401 when it is missing or wrong. */
unsigned vx__http_authorize(const vx__http *h, const vx__http_req *req);
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

#endif
