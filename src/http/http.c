/*
 * http/http.c — owns the HTTP server's life and its glue to libmicrohttpd: the listen address
 * and socket, the daemon (one epoll I/O thread), the limits (connections, per address, idle and
 * absolute time), the lanes that run the slow routes with the connection suspended meanwhile,
 * the workers' own store handles, and the headers every response carries (Content-Type,
 * Cache-Control: no-store, and on pages a Content-Security-Policy that allows no script and no
 * external asset). What a request means is request.c's business.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/deadline.h"
#include "http/http_impl.h"
#include "common/clock.h"
#include "http/lane.h"
#include "voxdns/status.h"

#define DEFAULT_PORT 9153
#define SOMAXCONN_MAX 65535 /* listen(2)'s backlog is clamped by the kernel anyway */
#define FD_RESERVE 256      /* descriptors kept for everything but HTTP connections */

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
static int open_listener(const char *text, unsigned backlog, int *fd_out, bool *v6, unsigned *port,
                         char *err, size_t cap)
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
        bind(fd, (struct sockaddr *)&ss, len) != 0 ||
        listen(fd, (int)(backlog < SOMAXCONN_MAX ? backlog : SOMAXCONN_MAX)) != 0 ||
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

/* ---- the server -------------------------------------------------------------------------- */

struct vx__http {
    struct MHD_Daemon *daemon;
    vx__http_limits limits;
    vx__http_env shared;   /* the metrics lane's and the I/O thread's (no store) */
    vx__http_env *workers; /* one per store worker, each with its own store handle */
    vx__asndb *asndb;      /* the server's own (NULL: no ASN checks) */
    char *token;           /* NULL: writes refused */
    vx__http_stats stats;
    vx__deadlines deadlines;
    vx__lane metrics_lane, store_lane;
    unsigned port;
};

/* One request on its way: made when its request line arrives, freed when it completes. */
typedef struct vx__http_ctx {
    vx__lane_job job; /* first: a lane hands it back */
    vx__http *h;
    struct MHD_Connection *conn;
    vx__dl_conn *dl;
    char *target; /* the raw request-target */
    char *body;
    size_t body_len;
    bool headers_seen, body_too_large, done;
    uint64_t queued_ms;
    vx__http_req req;
    vx__http_resp resp;
} vx__http_ctx;

void vx__http_limits_default(vx__http_limits *l)
{
    *l = (vx__http_limits){.max_connections = VX__HTTP_DEFAULT_MAX_CONNECTIONS,
                           .max_per_ip = VX__HTTP_DEFAULT_MAX_PER_IP,
                           .request_timeout_ms = VX__HTTP_DEFAULT_REQUEST_TIMEOUT_MS,
                           .idle_timeout_ms = VX__HTTP_DEFAULT_IDLE_TIMEOUT_MS,
                           .workers = VX__HTTP_DEFAULT_WORKERS,
                           .queue = VX__HTTP_DEFAULT_QUEUE};
}

/* ---- responses on the wire --------------------------------------------------------------- */

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
    if (r->retry_after)
        MHD_add_response_header(m, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

/* The client now has request_timeout to read the answer. */
static enum MHD_Result send_resp(vx__http_ctx *x)
{
    vx__http_resp *r = &x->resp;
    struct MHD_Response *m =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!m)
        return MHD_NO;
    r->body = NULL; /* the response owns it now */
    add_headers(m, r);
    vx__deadlines_set(&x->h->deadlines, x->dl, vx__mono_ms() + x->h->limits.request_timeout_ms);
    enum MHD_Result ok = MHD_queue_response(x->conn, r->status, m);
    MHD_destroy_response(m);
    return ok;
}

static void busy(vx__http_ctx *x)
{
    atomic_fetch_add(&x->h->stats.busy, 1);
    vx__resp_error(&x->resp, &x->req, MHD_HTTP_SERVICE_UNAVAILABLE, "busy: try again shortly");
    x->resp.retry_after = true;
}

/* ---- lanes ------------------------------------------------------------------------------- */

/* A worker's job: answer, then hand the connection back to the I/O thread. A request that
 * waited longer than request_timeout is not worth answering any more: its client has likely
 * given up, and the queue must drain. */
static void run_job(void *cls, size_t worker, vx__lane_job *job, bool cancelled)
{
    vx__http_ctx *x = (vx__http_ctx *)job;
    vx__http *h = cls;
    const vx__http_env *env = &h->shared;
    if (vx__http_lane_of(&x->req) == VX__LANE_STORE)
        env = &h->workers[worker];
    if (cancelled || vx__mono_ms() - x->queued_ms > h->limits.request_timeout_ms)
        busy(x);
    else
        vx__http_handle(env, &x->req, &x->resp);
    x->done = true;
    MHD_resume_connection(x->conn);
}

/* NOW routes are answered on the I/O thread; others wait, suspended, for their lane. A full
 * lane is answered the way a worker would: done, resumed, sent when libmicrohttpd calls again
 * (a suspended connection must not be given a response directly). */
static enum MHD_Result dispatch(vx__http_ctx *x)
{
    vx__http_lane lane = vx__http_lane_of(&x->req);
    vx__lane *l = lane == VX__LANE_STORE     ? &x->h->store_lane
                  : lane == VX__LANE_METRICS ? &x->h->metrics_lane
                                             : NULL;
    if (!l) {
        vx__http_handle(&x->h->shared, &x->req, &x->resp);
        return send_resp(x);
    }
    x->queued_ms = vx__mono_ms();
    vx__deadlines_set(&x->h->deadlines, x->dl, VX__DEADLINE_NONE);
    MHD_suspend_connection(x->conn);
    if (!vx__lane_push(l, &x->job)) {
        busy(x);
        x->done = true;
        MHD_resume_connection(x->conn);
    }
    return MHD_YES;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode what)
{
    vx__http *h = cls;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_ctx = fd ? vx__deadlines_add(&h->deadlines, fd->connect_fd,
                                             vx__mono_ms() + h->limits.request_timeout_ms)
                         : NULL;
    } else if (*socket_ctx) {
        vx__deadlines_remove(&h->deadlines, *socket_ctx);
        *socket_ctx = NULL;
    }
}

/* The request line has arrived: its raw target is kept (query and escapes included). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    vx__http_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->h = cls;
    x->conn = c;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    x->dl = info ? info->socket_context : NULL;
    if (!(x->target = strdup(uri ? uri : ""))) {
        free(x);
        return NULL;
    }
    return x;
}

/* The next request on a kept-alive connection has request_timeout from now. */
static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    vx__http *h = cls;
    vx__http_ctx *x = *state;
    (void)c, (void)why;
    if (!x)
        return;
    vx__deadlines_set(&h->deadlines, x->dl, vx__mono_ms() + h->limits.request_timeout_ms);
    vx__http_req_free(&x->req);
    vx__http_resp_free(&x->resp);
    free(x->target);
    free(x->body);
    free(x);
    *state = NULL;
}

/* Bodies are kept up to VX__HTTP_MAX_BODY; the rest is read and dropped (the answer is 413). */
static void take_body(vx__http_ctx *x, const char *data, size_t n)
{
    if (x->body_too_large || x->body_len + n > VX__HTTP_MAX_BODY) {
        x->body_too_large = true;
        return;
    }
    char *more = realloc(x->body, x->body_len + n);
    if (!more) {
        x->body_too_large = true;
        return;
    }
    memcpy(more + x->body_len, data, n);
    x->body = more;
    x->body_len += n;
}

static const char *header_of(void *cls, const char *name)
{
    return MHD_lookup_connection_value(cls, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state)
{
    vx__http_ctx *x = *state;
    (void)cls, (void)url, (void)version;
    if (!x)
        return MHD_NO; /* no memory for the request: drop the connection */
    if (x->done)
        return send_resp(x);
    if (!x->headers_seen) {
        x->headers_seen = true;
        return MHD_YES;
    }
    if (*upload_size) {
        take_body(x, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    size_t body_len = x->body_too_large ? VX__HTTP_MAX_BODY + 1 : x->body_len;
    const char *body = x->body_too_large ? NULL : x->body;
    if (vx__http_req_init(&x->req, method, x->target, header_of(c, "Authorization"), body, body_len,
                          vx__wall_ms()) != VX_OK)
        return MHD_NO;
    return dispatch(x);
}

/* ---- start and stop ---------------------------------------------------------------------- */

/* Every connection is a descriptor: the soft limit is raised towards the hard one when the
 * connection limit needs it, and the connection limit is lowered to what the process gets
 * (keeping FD_RESERVE for the store, the probes and the alert sinks). */
static void fit_descriptors(vx__http_limits *l)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)l->max_connections + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want)
        l->max_connections =
            rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)(rl.rlim_cur - FD_RESERVE) : FD_RESERVE;
}

static int start_daemon(vx__http *h, int fd, bool v6, char *err, size_t cap)
{
    /* One I/O thread on epoll for every connection; the work that may be slow is on lanes. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     (v6 ? MHD_USE_IPv6 : 0u);
    unsigned idle_s = (h->limits.idle_timeout_ms + 999u) / 1000u;
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, h->limits.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        h->limits.max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, idle_s, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, h, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, cap, "cannot start the HTTP server on port %u", h->port);
        return VX_EIO;
    }
    return VX_OK;
}

static int open_store(vx__store **out, const char *url, char *err, size_t cap)
{
    char why[256] = "";
    int rc = vx__store_open(url, out, why, sizeof why);
    if (rc != VX_OK) {
        snprintf(err, cap, "cannot open the store %s: %s", url ? url : "(none)",
                 why[0] ? why : vx_strerror(rc));
        return rc == VX_ENOMEM ? VX_ENOMEM : VX_EIO;
    }
    return VX_OK;
}

/* The environments: one shared (no store), one per worker with its own store handle. */
static int make_envs(vx__http *h, const vx__http_opts *opts, char *err, size_t cap)
{
    h->shared = (vx__http_env){
        .asndb = h->asndb, .metrics = opts->metrics, .token = h->token, .stats = &h->stats};
    if (!(h->workers = calloc(h->limits.workers, sizeof *h->workers))) {
        snprintf(err, cap, "out of memory");
        return VX_ENOMEM;
    }
    for (unsigned i = 0; i < h->limits.workers; i++) {
        h->workers[i] = h->shared;
        int rc = open_store(&h->workers[i].store, opts->store_url, err, cap);
        if (rc != VX_OK)
            return rc;
    }
    return VX_OK;
}

static int start_lanes(vx__http *h, char *err, size_t cap)
{
    int rc = vx__deadlines_start(&h->deadlines, &h->stats.connections, &h->stats.deadline_closed);
    if (rc == VX_OK)
        rc = vx__lane_start(&h->metrics_lane, 1, h->limits.queue, run_job, h);
    if (rc == VX_OK)
        rc = vx__lane_start(&h->store_lane, h->limits.workers, h->limits.queue, run_job, h);
    if (rc != VX_OK)
        snprintf(err, cap, "cannot start the HTTP threads");
    return rc;
}

static void set_limits(vx__http *h, const vx__http_limits *asked)
{
    if (asked)
        h->limits = *asked;
    else
        vx__http_limits_default(&h->limits);
    if (!h->limits.workers)
        h->limits.workers = 1;
    if (!h->limits.request_timeout_ms)
        h->limits.request_timeout_ms = VX__HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
    fit_descriptors(&h->limits);
}

int vx__http_start(const vx__http_opts *opts, vx__http **out, char *err, size_t errcap)
{
    int fd = -1, rc;
    bool v6 = false;
    *out = NULL;
    vx__http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errcap, "out of memory");
        return VX_ENOMEM;
    }
    set_limits(h, opts->limits);
    h->token = opts->token && opts->token[0] ? strdup(opts->token) : NULL;
    rc = open_listener(opts->listen, h->limits.max_connections, &fd, &v6, &h->port, err, errcap);
    if (rc == VX_OK)
        rc = vx__asndb_load_file(opts->asn_db, &h->asndb, err, errcap);
    if (rc == VX_OK)
        rc = make_envs(h, opts, err, errcap);
    if (rc == VX_OK)
        rc = start_lanes(h, err, errcap);
    if (rc == VX_OK)
        rc = start_daemon(h, fd, v6, err, errcap);
    if (rc != VX_OK) {
        if (fd >= 0)
            close(fd);
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

const vx__http_limits *vx__http_limits_in_use(const vx__http *h)
{
    return &h->limits;
}

/* The lanes first: every suspended connection is answered and resumed, as libmicrohttpd must
 * not be stopped with one suspended; a request that comes in meanwhile finds its lane stopping
 * and is answered 503 at once. */
void vx__http_stop(vx__http *h)
{
    if (!h)
        return;
    vx__lane_stop(&h->store_lane);
    vx__lane_stop(&h->metrics_lane);
    if (h->daemon)
        MHD_stop_daemon(h->daemon); /* closes the listening socket too */
    vx__lane_free(&h->store_lane);
    vx__lane_free(&h->metrics_lane);
    vx__deadlines_stop(&h->deadlines);
    for (unsigned i = 0; h->workers && i < h->limits.workers; i++)
        if (h->workers[i].store)
            vx__store_close(h->workers[i].store);
    free(h->workers);
    vx__asndb_free(h->asndb);
    free(h->token);
    free(h);
}
