/*
 * http/request.c — owns a request as plain data, without a socket: decoding the raw
 * request-target (percent-escapes in the path, "k=v&..." query parameters with '+' as a space),
 * the route table that maps a method and a path to a handler and to the lane that runs it, the
 * 400/404/405/413/414 answers, and the response helpers. The server (http.c) and the tests and
 * fuzzer call the same functions, so what they exercise is what a client reaches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/http_impl.h"
#include "voxdns/status.h"

/* ---- responses --------------------------------------------------------------------------- */

void vx__resp_body(vx__http_resp *r, unsigned status, const char *type, char *body)
{
    free(r->body);
    if (!body) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        type = VX__CT_TEXT;
        body = strdup("out of memory\n");
    }
    r->status = status;
    r->type = type;
    r->body = body;
    r->len = body ? strlen(body) : 0;
    r->html = type && strncmp(type, "text/html", 9) == 0;
}

void vx__resp_error(vx__http_resp *r, const vx__http_req *req, unsigned status, const char *msg)
{
    if (req->path && strncmp(req->path, "/api/", 5) == 0) {
        json_t *o = json_pack("{ss}", "error", msg);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        vx__resp_body(r, status, VX__CT_JSON, text);
        return;
    }
    size_t n = strlen(msg) + 2;
    char *text = malloc(n);
    if (text)
        snprintf(text, n, "%s\n", msg);
    vx__resp_body(r, status, VX__CT_TEXT, text);
}

void vx__http_resp_free(vx__http_resp *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

const char *vx__req_arg(const vx__http_req *req, const char *key)
{
    for (size_t i = 0; i < req->arg_count; i++)
        if (strcmp(req->args[i].key, key) == 0)
            return req->args[i].value;
    return NULL;
}

/* ---- the request-target ------------------------------------------------------------------ */

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes src[0..n) into out (at most n + 1 bytes); false on a bad escape or a NUL. */
static bool decode(const char *src, size_t n, bool plus_is_space, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hex(src[i + 1]), lo = hex(src[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == 0)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

static void bad(vx__http_req *req, unsigned status, const char *why)
{
    req->bad_status = status;
    req->bad_why = why;
}

/* One "k=v" (or "k") parameter of the query, decoded into *at. */
static bool add_arg(vx__http_req *req, const char *p, size_t n, char **at)
{
    const char *eq = memchr(p, '=', n);
    size_t kn = eq ? (size_t)(eq - p) : n;
    if (req->arg_count == VX__HTTP_MAX_ARGS) {
        req->too_many_args = true;
        return true;
    }
    char *key = *at;
    if (!decode(p, kn, true, key))
        return false;
    char *value = key + strlen(key) + 1;
    if (!decode(eq ? eq + 1 : p + n, eq ? n - kn - 1 : 0, true, value))
        return false;
    *at = value + strlen(value) + 1;
    req->args[req->arg_count++] = (vx__http_arg){key, value};
    return true;
}

static bool parse_query(vx__http_req *req, const char *q, char *at)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n && !add_arg(req, q, n, &at))
            return false;
        q += n + (q[n] == '&');
    }
    return true;
}

int vx__http_req_init(vx__http_req *req, const char *method, const char *target,
                      const char *authorization, const char *body, size_t body_len, uint64_t now_ms)
{
    *req = (vx__http_req){.method = method ? method : "",
                          .authorization = authorization,
                          .body = body,
                          .body_len = body_len,
                          .now_ms = now_ms};
    const char *t = target ? target : "";
    size_t n = strlen(t);
    if (n > VX__HTTP_MAX_TARGET) {
        bad(req, MHD_HTTP_URI_TOO_LONG, "request-target too long");
        return VX_OK;
    }
    if (body_len > VX__HTTP_MAX_BODY)
        bad(req, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    /* Decoded text is never longer than the raw text; each piece gains one terminator. */
    if (!(req->buf = malloc(2 * n + 2 * VX__HTTP_MAX_ARGS + 2)))
        return VX_ENOMEM;
    size_t path_len = strcspn(t, "?#");
    req->path = req->buf;
    if (!decode(t, path_len, false, req->buf) ||
        (t[path_len] == '?' && !parse_query(req, t + path_len + 1, req->buf + path_len + 1)))
        bad(req, MHD_HTTP_BAD_REQUEST, "bad percent-encoding in the request-target");
    return VX_OK;
}

void vx__http_req_free(vx__http_req *req)
{
    free(req->buf);
    req->buf = NULL;
}

/* ---- routing ----------------------------------------------------------------------------- */

typedef struct route {
    const char *method; /* GET routes answer HEAD too */
    const char *prefix;
    const char *suffix; /* NULL: the path is exactly prefix; else prefix NAME suffix */
    vx__http_handler handler;
    vx__http_lane lane; /* /healthz never waits for anything; /metrics never for a page */
} route;

static const route routes[] = {
    {"GET", "/healthz", NULL, vx__api_healthz, VX__LANE_NOW},
    {"GET", "/metrics", NULL, vx__api_metrics, VX__LANE_METRICS},
    {"GET", "/api/v1/domains", NULL, vx__api_domains, VX__LANE_STORE},
    {"GET", "/api/v1/events", NULL, vx__api_events, VX__LANE_STORE},
    {"GET", "/api/v1/domains/", "/snapshot", vx__api_snapshot, VX__LANE_STORE},
    {"POST", "/api/v1/domains/", "/baseline", vx__api_baseline, VX__LANE_STORE},
    {"GET", "/", NULL, vx__dash_index, VX__LANE_STORE},
    {"GET", "/domains/", "", vx__dash_domain, VX__LANE_STORE},
};

#define NAME_CAP 1024

/* NAME is one non-empty path segment. */
static bool match(const route *rt, const char *path, char *name, size_t cap)
{
    size_t pl = strlen(rt->prefix);
    name[0] = '\0';
    if (!rt->suffix)
        return strcmp(path, rt->prefix) == 0;
    if (strncmp(path, rt->prefix, pl) != 0)
        return false;
    const char *start = path + pl;
    size_t rest = strlen(start), sl = strlen(rt->suffix);
    if (rest <= sl || strcmp(start + rest - sl, rt->suffix) != 0)
        return false;
    size_t n = rest - sl;
    if (n >= cap || memchr(start, '/', n))
        return false;
    memcpy(name, start, n);
    name[n] = '\0';
    return true;
}

static bool method_ok(const route *rt, const char *method)
{
    return strcmp(rt->method, method) == 0 ||
           (strcmp(rt->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* The route for the request (NULL: none), and the one whose path matched with another method. */
static const route *find_route(const vx__http_req *req, char *name, const route **wrong)
{
    *wrong = NULL;
    if (req->bad_status)
        return NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!match(&routes[i], req->path, name, NAME_CAP))
            continue;
        if (method_ok(&routes[i], req->method))
            return &routes[i];
        *wrong = &routes[i];
    }
    return NULL;
}

vx__http_lane vx__http_lane_of(const vx__http_req *req)
{
    char name[NAME_CAP];
    const route *wrong, *rt = find_route(req, name, &wrong);
    return rt ? rt->lane : VX__LANE_NOW;
}

void vx__http_handle(const vx__http_env *env, const vx__http_req *req, vx__http_resp *resp)
{
    char name[NAME_CAP];
    const route *wrong, *rt = find_route(req, name, &wrong);
    if (req->bad_status) {
        vx__resp_error(resp, req, req->bad_status, req->bad_why);
    } else if (rt && rt->lane == VX__LANE_STORE && !env->store) {
        vx__resp_error(resp, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no store");
    } else if (rt) {
        rt->handler(env, req, name, resp);
    } else if (wrong) {
        vx__resp_error(resp, req, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
        resp->allow = strcmp(wrong->method, "GET") == 0 ? "GET, HEAD" : "POST";
    } else {
        vx__resp_error(resp, req, MHD_HTTP_NOT_FOUND, "not found");
    }
    if (!resp->body)
        vx__resp_error(resp, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no response");
}

void vx__http_request(const vx__http_env *env, const char *method, const char *target,
                      vx__http_header_fn header, void *header_cls, const char *body,
                      size_t body_len, uint64_t now_ms, vx__http_resp *resp)
{
    vx__http_req req;
    const char *auth = header ? header(header_cls, MHD_HTTP_HEADER_AUTHORIZATION) : NULL;
    if (vx__http_req_init(&req, method, target, auth, body, body_len, now_ms) != VX_OK) {
        vx__resp_body(resp, MHD_HTTP_INTERNAL_SERVER_ERROR, VX__CT_TEXT, NULL);
        return;
    }
    vx__http_handle(env, &req, resp);
    vx__http_req_free(&req);
}
