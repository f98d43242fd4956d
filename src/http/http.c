/*
 * http/http.c — owns the HTTP server's life (listen address, socket, libmicrohttpd daemon, the
 * server's own store handle), the routing of a request to its handler with the right 404/405,
 * and the headers every response carries (Content-Type, Cache-Control: no-store, and on pages
 * a Content-Security-Policy that allows no script and no external asset).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/http_impl.h"
#include "common/clock.h"
#include "voxdns/status.h"

#define DEFAULT_PORT 9153
#define CONNECTION_LIMIT 32u
#define CONNECTION_TIMEOUT_S 10u
#define LISTEN_BACKLOG 32

#define PAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

/* ---- listen address ---------------------------------------------------------------------- */

static int parse_port(const char *text, uint16_t *port)
{
    char *end;
    if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 5)
        return VX_EINVAL;
    unsigned long v = strtoul(text, &end, 10);
    if (v > 65535)
        return VX_EINVAL;
    *port = (uint16_t)v;
    return VX_OK;
}

/* Splits "[v6]:port", "v4:port", "[v6]", "v4" or a bare "v6" into host and port text. */
static int split_listen(const char *text, char *host, size_t cap, const char **port)
{
    const char *colon = strrchr(text, ':');
    size_t n;
    *port = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] && close[1] != ':'))
            return VX_EINVAL;
        n = (size_t)(close - text - 1);
        *port = close[1] ? close + 2 : NULL;
        text++;
    } else if (colon && strchr(text, ':') == colon) {
        n = (size_t)(colon - text);
        *port = colon + 1;
    } else {
        n = strlen(text);
    }
    if (n == 0 || n >= cap)
        return VX_EINVAL;
    memcpy(host, text, n);
    host[n] = '\0';
    return VX_OK;
}

static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *port_text;
    uint16_t port = DEFAULT_PORT;
    memset(ss, 0, sizeof *ss);
    if (!text || split_listen(text, host, sizeof host, &port_text) != VX_OK)
        return VX_EINVAL;
    if (port_text && parse_port(port_text, &port) != VX_OK)
        return VX_EINVAL;
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof *v6;
    } else {
        return VX_EINVAL;
    }
    return VX_OK;
}

/* Our own socket: a bind failure is reported with its errno, and port 0 is read back. */
static int open_listener(const char *text, int *fd_out, bool *v6, unsigned *port, char *err,
                         size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    if (parse_listen(text, &ss, &len) != VX_OK) {
        snprintf(err, cap, "bad listen address \"%s\" (want ADDRESS:PORT or [ADDRESS]:PORT)",
                 text ? text : "");
        return VX_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(err, cap, "cannot listen on %s: %s", text, strerror(errno));
        if (fd >= 0)
            close(fd);
        return VX_EIO;
    }
    *port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    *v6 = ss.ss_family == AF_INET6;
    *fd_out = fd;
    return VX_OK;
}

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
    if (strncmp(req->path, "/api/", 5) == 0) {
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

const char *vx__req_arg(const vx__http_req *req, const char *key)
{
    for (size_t i = 0; i < req->arg_count; i++)
        if (strcmp(req->args[i].key, key) == 0)
            return req->args[i].value;
    return NULL;
}

/* ---- routing ----------------------------------------------------------------------------- */

typedef struct route {
    const char *method; /* GET routes answer HEAD too */
    const char *prefix;
    const char *suffix; /* NULL: the path is exactly prefix; else prefix NAME suffix */
    vx__http_handler handler;
    bool store; /* takes the store lock: /healthz and /metrics never wait for a slow page */
} route;

static const route routes[] = {
    {"GET", "/healthz", NULL, vx__api_healthz, false},
    {"GET", "/metrics", NULL, vx__api_metrics, false},
    {"GET", "/api/v1/domains", NULL, vx__api_domains, true},
    {"GET", "/api/v1/events", NULL, vx__api_events, true},
    {"GET", "/api/v1/domains/", "/snapshot", vx__api_snapshot, true},
    {"POST", "/api/v1/domains/", "/baseline", vx__api_baseline, true},
    {"GET", "/", NULL, vx__dash_index, true},
    {"GET", "/domains/", "", vx__dash_domain, true},
};

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

static void dispatch(vx__http *h, const vx__http_req *req, vx__http_resp *resp)
{
    char name[1024];
    const route *wrong_method = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!match(&routes[i], req->path, name, sizeof name))
            continue;
        if (!method_ok(&routes[i], req->method)) {
            wrong_method = &routes[i];
            continue;
        }
        if (routes[i].store)
            pthread_mutex_lock(&h->store_mu);
        routes[i].handler(h, req, name, resp);
        if (routes[i].store)
            pthread_mutex_unlock(&h->store_mu);
        return;
    }
    if (wrong_method) {
        vx__resp_error(resp, req, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
        resp->allow = strcmp(wrong_method->method, "GET") == 0 ? "GET, HEAD" : "POST";
        return;
    }
    vx__resp_error(resp, req, MHD_HTTP_NOT_FOUND, "not found");
}

/* ---- libmicrohttpd glue ------------------------------------------------------------------ */

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    vx__http_req *req = cls;
    (void)kind;
    if (req->arg_count == VX__HTTP_MAX_ARGS) {
        req->too_many_args = true;
        return MHD_NO;
    }
    req->args[req->arg_count++] = (vx__http_arg){key, value ? value : ""};
    return MHD_YES;
}

static void add_headers(struct MHD_Response *m, const vx__http_resp *r)
{
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->type ? r->type : VX__CT_TEXT);
    MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    if (r->html) {
        MHD_add_response_header(m, "Content-Security-Policy", PAGE_CSP);
        MHD_add_response_header(m, "X-Frame-Options", "DENY");
        MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
    }
    if (r->allow)
        MHD_add_response_header(m, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->bearer_challenge)
        MHD_add_response_header(m, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"voxdns\"");
}

static enum MHD_Result send_resp(struct MHD_Connection *c, vx__http_resp *r)
{
    struct MHD_Response *m =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!m) {
        free(r->body);
        return MHD_NO;
    }
    r->body = NULL; /* the response owns it now */
    add_headers(m, r);
    enum MHD_Result ok = MHD_queue_response(c, r->status, m);
    MHD_destroy_response(m);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state)
{
    static int seen; /* marks a request whose headers have been read */
    (void)version;
    (void)upload_data;
    if (!*state) {
        *state = &seen;
        return MHD_YES;
    }
    if (*upload_size) { /* no route reads a body: it is discarded */
        *upload_size = 0;
        return MHD_YES;
    }
    vx__http_req req = {.method = method, .path = url, .now_ms = vx__wall_ms()};
    req.authorization =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
    vx__http_resp resp = {0};
    dispatch(cls, &req, &resp);
    if (!resp.body)
        vx__resp_error(&resp, &req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no response");
    return send_resp(c, &resp);
}

/* ---- start and stop ---------------------------------------------------------------------- */

static int start_daemon(vx__http *h, int fd, bool v6, char *err, size_t cap)
{
    /* A thread per connection (at most CONNECTION_LIMIT): a scrape is answered while a page is
     * still being rendered; the store lock keeps the store handle to one thread at a time. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | (v6 ? MHD_USE_IPv6 : 0u);
    h->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
                         (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
                         MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, cap, "cannot start the HTTP server on port %u", h->port);
        return VX_EIO;
    }
    return VX_OK;
}

static int open_store(vx__http *h, const char *url, char *err, size_t cap)
{
    char why[256] = "";
    int rc = vx__store_open(url, &h->store, why, sizeof why);
    if (rc != VX_OK) {
        snprintf(err, cap, "cannot open the store %s: %s", url ? url : "(none)",
                 why[0] ? why : vx_strerror(rc));
        return rc == VX_ENOMEM ? VX_ENOMEM : VX_EIO;
    }
    return VX_OK;
}

int vx__http_start(const vx__http_opts *opts, vx__http **out, char *err, size_t errcap)
{
    int fd = -1, rc;
    bool v6 = false;
    *out = NULL;
    vx__http *h = calloc(1, sizeof *h);
    if (!h || pthread_mutex_init(&h->store_mu, NULL) != 0) {
        free(h);
        snprintf(err, errcap, "out of memory");
        return VX_ENOMEM;
    }
    h->metrics = opts->metrics;
    h->token = opts->token && opts->token[0] ? strdup(opts->token) : NULL;
    rc = open_listener(opts->listen, &fd, &v6, &h->port, err, errcap);
    if (rc == VX_OK)
        rc = open_store(h, opts->store_url, err, errcap);
    if (rc == VX_OK)
        rc = vx__asndb_load_file(opts->asn_db, &h->asndb, err, errcap);
    if (rc == VX_OK)
        rc = start_daemon(h, fd, v6, err, errcap);
    if (rc != VX_OK) {
        if (fd >= 0)
            close(fd);
        h->daemon = NULL;
        vx__http_stop(h);
        return rc;
    }
    *out = h;
    return VX_OK;
}

unsigned vx__http_port(const vx__http *h)
{
    return h ? h->port : 0;
}

void vx__http_stop(vx__http *h)
{
    if (!h)
        return;
    if (h->daemon)
        MHD_stop_daemon(h->daemon); /* closes the listening socket too */
    if (h->store)
        vx__store_close(h->store);
    pthread_mutex_destroy(&h->store_mu);
    vx__asndb_free(h->asndb);
    free(h->token);
    free(h);
}
