/*
 * http/api.c — owns the machine-readable routes: /healthz, /metrics, and the JSON API under
 * /api/v1 (domains with their state, events, the latest snapshot, accepting a baseline).
 * Query parameters and bodies are checked strictly (unknown or repeated ones are a 400), so
 * that a typo in a script fails loudly instead of silently returning everything.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/http_impl.h"
#include "voxdns/status.h"

#define EVENTS_DEFAULT_LIMIT 100
#define EVENTS_MAX_LIMIT 10000

static char *json_take(json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static void store_failed(vx__http_resp *r, const vx__http_req *req, int rc)
{
    if (rc == VX_ENOTFOUND)
        vx__resp_error(r, req, MHD_HTTP_NOT_FOUND, "unknown domain");
    else
        vx__resp_error(r, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
}

/* Runs on the I/O thread that serves every connection (lane NOW): whatever it looks at must be
 * instant — a flag or a counter, never a store query — or every client waits with it. 503 while
 * the daemon's store writes fail, with the reason: a load balancer or a probe sees that events
 * are kept in memory only (they are still alerted). */
void vx__api_healthz(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r)
{
    vx__store_health st = {.up = true};
    char *text = NULL;
    (void)req, (void)name;
    if (env->metrics)
        vx__metrics_store_health(env->metrics, &st);
    if (st.up) {
        vx__resp_body(r, MHD_HTTP_OK, VX__CT_TEXT, strdup("ok\n"));
        return;
    }
    if (asprintf(&text, "store failing: %s (%zu events pending in memory)\n", st.error,
                 st.pending_events) < 0)
        text = NULL;
    vx__resp_body(r, MHD_HTTP_SERVICE_UNAVAILABLE, VX__CT_TEXT, text);
}

static void counter(vx__rbuf *b, const char *name, const char *type, const char *help,
                    unsigned long long value)
{
    vx__rb_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, value);
}

/* The HTTP server's own figures, after the monitor's. */
static void server_metrics(vx__rbuf *b, const vx__http_stats *st)
{
    counter(b, "voxdns_http_connections", "gauge", "Connections open on the HTTP server now.",
            atomic_load(&st->connections));
    counter(b, "voxdns_http_deadline_closed_total", "counter",
            "Connections closed because a request, or the reading of its answer, took longer "
            "than http.request_timeout.",
            atomic_load(&st->deadline_closed));
    counter(b, "voxdns_http_busy_total", "counter",
            "Requests answered 503 because every store worker was busy and the queue full, or "
            "the request waited longer than http.request_timeout.",
            atomic_load(&st->busy));
}

void vx__api_metrics(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r)
{
    vx__rbuf b = {0};
    (void)req, (void)name;
    char *text = env->metrics ? vx__metrics_render(env->metrics) : strdup("");
    if (!text) {
        vx__resp_body(r, MHD_HTTP_OK, VX__CT_METRICS, NULL);
        return;
    }
    vx__rb_puts(&b, text);
    free(text);
    if (env->stats)
        server_metrics(&b, env->stats);
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_METRICS, vx__rb_take(&b));
}

/* ---- /api/v1/domains --------------------------------------------------------------------- */

static json_t *time_or_null(uint64_t ms)
{
    char when[32];
    if (!ms)
        return json_null();
    vx__report_time(ms, when, sizeof when);
    return json_string(when);
}

static json_t *domain_json(const vx__dstate *d)
{
    json_t *counts = json_object();
    for (int s = VX__SEV_CRITICAL; counts && s >= VX__SEV_INFO; s--)
        json_object_set_new(counts, vx__severity_name((vx__severity)s),
                            json_integer((json_int_t)d->counts[s]));
    return json_pack("{ss ss so* so* sI}", "name", d->name, "state", d->state, "last_cycle",
                     time_or_null(d->last_cycle_ms), "findings", counts, "open_events",
                     (json_int_t)d->open_count);
}

void vx__api_domains(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r)
{
    vx__store_summary_row *rows = NULL;
    size_t count = 0;
    (void)name;
    int rc = vx__store_summaries(env->store, &rows, &count);
    json_t *list = json_array();
    for (size_t i = 0; rc == VX_OK && i < count; i++) {
        vx__dstate d;
        rc = vx__dstate_for_list(env->store, env->asndb, &rows[i], &d);
        if (rc == VX_OK)
            json_array_append_new(list, domain_json(&d));
        vx__dstate_free(&d);
    }
    vx__store_summary_rows_free(rows, count);
    if (rc != VX_OK) {
        json_decref(list);
        store_failed(r, req, rc);
        return;
    }
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, json_take(json_pack("{so}", "domains", list)));
}

/* ---- /api/v1/events ---------------------------------------------------------------------- */

typedef struct ev_query {
    const char *domain;
    bool by_time;
    int64_t after_id;
    uint64_t since_ms;
    size_t limit;
} ev_query;

static bool all_digits(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

static const char *check_args(const vx__http_req *req)
{
    static const char *const known[] = {"since", "domain", "limit"};
    if (req->too_many_args)
        return "too many query parameters";
    for (size_t i = 0; i < req->arg_count; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok = ok || strcmp(req->args[i].key, known[k]) == 0;
        if (!ok)
            return "unknown query parameter";
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->args[i].key, req->args[j].key) == 0)
                return "repeated query parameter";
    }
    return NULL;
}

/* NULL when the query is valid, else why not. */
static const char *parse_events_query(const vx__http_req *req, ev_query *q)
{
    const char *why = check_args(req), *since = vx__req_arg(req, "since"),
               *limit = vx__req_arg(req, "limit");
    *q = (ev_query){.domain = vx__req_arg(req, "domain"), .limit = EVENTS_DEFAULT_LIMIT};
    if (why)
        return why;
    if (limit) {
        if (!all_digits(limit, 6) || atol(limit) < 1 || atol(limit) > EVENTS_MAX_LIMIT)
            return "limit must be a number from 1 to 10000";
        q->limit = (size_t)atol(limit);
    }
    if (since && all_digits(since, 18))
        q->after_id = strtoll(since, NULL, 10);
    else if (since && vx__parse_rfc3339(since, &q->since_ms) == VX_OK)
        q->by_time = true;
    else if (since)
        return "since must be an event id or an RFC 3339 time";
    if (q->domain && !q->domain[0])
        return "domain must not be empty";
    return NULL;
}

/* Every events answer says whether the store is taking events: while it fails, the newest
 * events are alerted and kept in the daemon's memory, not yet here. */
static char *events_json(const vx__events *ev, const vx__store_health *st)
{
    vx__rbuf b = {0};
    char tail[160];
    vx__rb_puts(&b, "{\"events\":[");
    for (size_t i = 0; i < ev->count; i++) {
        char *one = vx__event_to_json(&ev->items[i]);
        if (!one) {
            b.oom = true;
            break;
        }
        vx__rb_puts(&b, i ? "," : "");
        vx__rb_puts(&b, one);
        free(one);
    }
    snprintf(tail, sizeof tail, "],\"store\":{\"up\":%s,\"pending_events\":%zu}}",
             st->up ? "true" : "false", st->pending_events);
    vx__rb_puts(&b, tail);
    return vx__rb_take(&b);
}

static void events_store_failed(vx__http_resp *r, const vx__http_req *req,
                                const vx__store_health *st)
{
    char msg[800];
    if (st->up) {
        store_failed(r, req, VX_EIO);
        return;
    }
    snprintf(msg, sizeof msg,
             "the store is failing (%s); %zu events are alerted and kept in memory until it "
             "takes them",
             st->error, st->pending_events);
    vx__resp_error(r, req, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
}

static int query_events(const vx__http_env *env, const ev_query *q, const char *domain,
                        vx__events *ev)
{
    if (q->by_time)
        return vx__store_events_since_time(env->store, domain, q->since_ms, q->limit, ev);
    return vx__store_events_since(env->store, domain, q->after_id, q->limit, ev);
}

void vx__api_events(const vx__http_env *env, const vx__http_req *req, const char *name,
                    vx__http_resp *r)
{
    ev_query q;
    char *domain = NULL;
    vx__events ev = {0};
    (void)name;
    const char *why = parse_events_query(req, &q);
    if (why) {
        vx__resp_error(r, req, MHD_HTTP_BAD_REQUEST, why);
        return;
    }
    vx__store_health st = {.up = true};
    if (env->metrics)
        vx__metrics_store_health(env->metrics, &st);
    int rc = q.domain ? vx__http_find_domain(env->store, q.domain, &domain) : VX_OK;
    if (rc == VX_OK)
        rc = query_events(env, &q, domain, &ev);
    if (rc == VX_OK)
        vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, events_json(&ev, &st));
    else if (rc == VX_EIO)
        events_store_failed(r, req, &st);
    else
        store_failed(r, req, rc);
    vx__events_clear(&ev);
    free(domain);
}

/* ---- /api/v1/domains/NAME/snapshot and /baseline ----------------------------------------- */

void vx__api_snapshot(const vx__http_env *env, const vx__http_req *req, const char *name,
                      vx__http_resp *r)
{
    char *domain = NULL, *json = NULL;
    int64_t id = 0;
    int rc = vx__http_find_domain(env->store, name, &domain);
    if (rc == VX_OK)
        rc = vx__store_latest_snapshot(env->store, domain, &json, &id);
    if (rc == VX_OK && !json)
        vx__resp_error(r, req, MHD_HTTP_NOT_FOUND, "no snapshot yet");
    else if (rc == VX_OK)
        vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, json);
    else
        store_failed(r, req, rc);
    free(domain);
}

static void baseline_accepted(vx__http_resp *r, const char *domain, int64_t id, uint64_t now)
{
    char when[32];
    vx__report_time(now, when, sizeof when);
    json_t *o =
        json_pack("{ss sI ss}", "domain", domain, "snapshot_id", (json_int_t)id, "accepted", when);
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, json_take(o));
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", p[i]) || !p[i])
            return false;
    return true;
}

/* The body is empty (accept the latest snapshot) or {"snapshot_id":N}: accept it only if N is
 * still the latest, so that an operator accepts what they reviewed, not what came after. */
static const char *baseline_body(const vx__http_req *req, int64_t *want)
{
    static const char *const shape = "the body must be empty or {\"snapshot_id\": N}";
    json_error_t jerr;
    *want = 0;
    if (blank(req->body, req->body_len))
        return NULL;
    json_t *o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *id = json_object_get(o, "snapshot_id");
    const char *why = NULL;
    if (!json_is_object(o) || json_object_size(o) != 1 || !json_is_integer(id) ||
        json_integer_value(id) < 1)
        why = shape;
    else
        *want = (int64_t)json_integer_value(id);
    json_decref(o);
    return why;
}

static void baseline_denied(vx__http_resp *r, const vx__http_req *req, unsigned denied)
{
    vx__resp_error(r, req, denied,
                   denied == MHD_HTTP_FORBIDDEN ? "writes are disabled: no token configured"
                                                : "missing or wrong bearer token");
    r->bearer_challenge = denied == MHD_HTTP_UNAUTHORIZED;
}

static void baseline_stale(vx__http_resp *r, const vx__http_req *req, int64_t latest)
{
    char msg[96];
    snprintf(msg, sizeof msg, "the latest snapshot is %lld: review it first", (long long)latest);
    vx__resp_error(r, req, MHD_HTTP_CONFLICT, msg);
}

/* Authorisation comes first: without the token, nobody learns which domains exist. */
void vx__api_baseline(const vx__http_env *env, const vx__http_req *req, const char *name,
                      vx__http_resp *r)
{
    char *domain = NULL, *json = NULL;
    int64_t id = 0, want = 0;
    const char *why;
    unsigned denied = vx__http_authorize(env, req);
    if (denied) {
        baseline_denied(r, req, denied);
        return;
    }
    if ((why = baseline_body(req, &want))) {
        vx__resp_error(r, req, MHD_HTTP_BAD_REQUEST, why);
        return;
    }
    int rc = vx__http_find_domain(env->store, name, &domain);
    if (rc == VX_OK)
        rc = vx__store_latest_snapshot(env->store, domain, &json, &id);
    if (rc == VX_OK && !json)
        vx__resp_error(r, req, MHD_HTTP_NOT_FOUND, "no snapshot yet");
    else if (rc == VX_OK && want && want != id)
        baseline_stale(r, req, id);
    else if (rc == VX_OK &&
             (rc = vx__store_set_baseline(env->store, domain, json, req->now_ms)) == VX_OK)
        baseline_accepted(r, domain, id, req->now_ms);
    else
        store_failed(r, req, rc);
    free(json);
    free(domain);
}
