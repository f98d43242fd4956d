/*
 * examples/sip_ua.c — a small SIP user agent on libvoxdns: it locates a SIP URI (RFC 3263),
 * sends one REGISTER (or OPTIONS) to the targets in the order the library gives, over UDP, TCP
 * or TLS, and tells the library how each target fared (voxdns/feedback.h): a time-out, a
 * refused connection, a 503 or a TLS failure holds the target down and the UA moves on to the
 * next one; a 200 makes that target the preferred one. It prints one line per attempt and
 * exits 0 on a 200.
 *
 * With --repeat N it registers N times, --interval MS apart (a registration refresh, shortened),
 * locating the URI again each time: the library then lists the target that answered 200 first
 * and the held-down ones last, until their hold-down (--holddown MS, the first hold) ends. Each
 * round after the first starts with a line "round K at T ms: N targets in T ms, held: LIST"
 * (LIST: transport/address:port of the targets held when the result was made, or "-"); the UA
 * exits 0 when every round ended in a 200.
 *
 * Over TLS the server's certificate must chain to the CA file (or the system's CAs) and name
 * the SIP domain as RFC 5922 §7 says: a subjectAltName URI "sip:DOMAIN", else a DNS name equal
 * to DOMAIN (no wildcards, the CN only without subjectAltNames). OpenSSL makes the handshake
 * and verifies the chain; libvoxdns's vx_cert_check_sip_domain() (voxdns/cert.h) judges the
 * names of the peer's leaf certificate.
 *
 *   sip_ua [--resolver ADDR]... [--transport udp|tcp|tls] [--ca-file PEM] [--timeout MS]
 *          [--repeat N [--interval MS]] [--holddown MS] [--register USER | --options] sip:DOMAIN
 */
#define _DEFAULT_SOURCE /* struct timeval, getrandom with -std=c17 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <voxdns/feedback.h>
#include <voxdns/voxdns.h>

#define MAX_RESOLVERS 8
#define T1_MS 500 /* RFC 3261 §17.1.1.1: the UDP retransmission interval starts at T1 */

struct options {
    const char *resolvers[MAX_RESOLVERS];
    int nresolvers;
    unsigned transports; /* mask of enum vx_transport; 0: all */
    const char *ca_file;
    const char *user; /* REGISTER this user; NULL: OPTIONS */
    const char *uri;
    int timeout_ms;  /* per attempt (RFC 3261's timer F is 32 s; a UA with targets to go waits less)
                      */
    int repeat;      /* registrations (rounds) */
    int interval_ms; /* between the starts of two rounds */
    int holddown_ms; /* the first hold-down of a failed target; 0: the library's 30 s */
};

/* One attempt's connection: a connected socket, with TLS on top when ssl is set. */
struct conn {
    int fd;
    SSL *ssl;
    unsigned transport;
};

/* What an attempt ended with: a SIP status code, or one of these. */
enum { OUTCOME_TIMEOUT = -1, OUTCOME_REFUSED = -2, OUTCOME_TLS = -3, OUTCOME_ERROR = -4 };

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--resolver ADDR]... [--transport udp|tcp|tls] [--ca-file PEM]\n"
            "          [--timeout MS] [--repeat N [--interval MS]] [--holddown MS]\n"
            "          [--register USER | --options] sip:DOMAIN\n",
            argv0);
    return 64;
}

static int parse_transport(const char *s, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"udp", VX_UDP}, {"tcp", VX_TCP}, {"tls", VX_TLS}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *mask = names[i].bit;
            return 0;
        }
    return -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){.timeout_ms = 2000, .repeat = 1, .interval_ms = 1000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--options") == 0)
            o->user = NULL;
        else if (!v && a[0] == '-')
            return -1;
        else if (strcmp(a, "--resolver") == 0 && o->nresolvers < MAX_RESOLVERS)
            o->resolvers[o->nresolvers++] = argv[++i];
        else if (strcmp(a, "--transport") == 0 && parse_transport(v, &o->transports) == 0)
            i++;
        else if (strcmp(a, "--ca-file") == 0)
            o->ca_file = argv[++i];
        else if (strcmp(a, "--register") == 0)
            o->user = argv[++i];
        else if (strcmp(a, "--timeout") == 0 && (o->timeout_ms = atoi(v)) > 0)
            i++;
        else if (strcmp(a, "--repeat") == 0 && (o->repeat = atoi(v)) > 0)
            i++;
        else if (strcmp(a, "--interval") == 0 && (o->interval_ms = atoi(v)) > 0)
            i++;
        else if (strcmp(a, "--holddown") == 0 && (o->holddown_ms = atoi(v)) > 0)
            i++;
        else if (a[0] != '-' && !o->uri)
            o->uri = a;
        else
            return -1;
    }
    return o->uri ? 0 : -1;
}

/* A resolver from the options: the given upstreams, else /etc/resolv.conf. */
static int make_resolver(const struct options *o, vx_resolver **res)
{
    vx_config *cfg;
    int rc = vx_config_new(&cfg);
    if (rc != VX_OK)
        return rc;
    rc = o->nresolvers ? VX_OK : vx_config_add_resolv_conf(cfg, NULL);
    for (int i = 0; i < o->nresolvers && rc == VX_OK; i++)
        rc = vx_config_add_upstream(cfg, o->resolvers[i], 0);
    if (rc == VX_OK && o->transports)
        rc = vx_config_set_transports(cfg, o->transports);
    if (rc == VX_OK && o->holddown_ms) /* the cap stays the default 15 min unless below */
        rc = vx_config_set_holddown(cfg, (unsigned)o->holddown_ms,
                                    o->holddown_ms > 900000 ? (unsigned)o->holddown_ms : 0);
    if (rc == VX_OK)
        rc = vx_resolver_new(cfg, res);
    vx_config_free(cfg);
    return rc;
}

/* name without the final dot of an absolute name ("example.com." -> "example.com"). */
static void plain_name(const char *name, char *out, size_t cap)
{
    size_t len = strlen(name);
    if (len && name[len - 1] == '.')
        len--;
    snprintf(out, cap, "%.*s", (int)len, name);
}

/* ---- TLS -------------------------------------------------------------------------------- */

static SSL_CTX *tls_context(const char *ca_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* RFC 5922 §7: the certificate names the SIP domain (a SAN URI sip:DOMAIN, else a SAN DNS name,
 * the CN only without SANs, no wildcards): libvoxdns judges the peer's leaf certificate. */
static int cert_names_domain(SSL *ssl, const char *domain)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    unsigned char *der = NULL;
    int len = cert ? i2d_X509(cert, &der) : -1;
    X509_free(cert);
    if (len <= 0)
        return 0;
    char named[512];
    int rc = vx_cert_check_sip_domain(der, (size_t)len, domain, named, sizeof named);
    OPENSSL_free(der);
    if (rc != VX_OK)
        fprintf(stderr, "certificate of %s: %s (it names %s)\n", domain, vx_strerror(rc),
                named[0] ? named : "nothing readable");
    return rc == VX_OK;
}

/* The handshake on a connected socket, the chain checked against the CA and the domain. */
static int tls_start(SSL_CTX *ctx, struct conn *c, const char *domain)
{
    c->ssl = SSL_new(ctx);
    if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
        return OUTCOME_TLS;
    char name[256];
    plain_name(domain, name, sizeof name);
    SSL_set_tlsext_host_name(c->ssl, name); /* RFC 5922 §7.3 */
    if (SSL_connect(c->ssl) != 1 || SSL_get_verify_result(c->ssl) != X509_V_OK)
        return OUTCOME_TLS;
    return cert_names_domain(c->ssl, domain) ? 0 : OUTCOME_TLS;
}

/* ---- transport ---------------------------------------------------------------------------- */

/* Connects to target i (UDP too: the kernel then picks the source address for the Via). The
 * socket is blocking with a send/receive time-out; TCP's connect gets the same bound. */
static int conn_open(const vx_result *r, size_t i, int timeout_ms, struct conn *c)
{
    socklen_t len;
    const struct sockaddr *sa = vx_result_addr(r, i, &len);
    c->transport = vx_result_transport(r, i);
    c->ssl = NULL;
    c->fd = socket(sa->sa_family, c->transport == VX_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (c->fd < 0)
        return OUTCOME_ERROR;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(c->fd, sa, len) == 0)
        return 0;
    return errno == EINPROGRESS || errno == EAGAIN ? OUTCOME_TIMEOUT : OUTCOME_REFUSED;
}

static void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
}

static int conn_send(struct conn *c, const char *msg, size_t len)
{
    if (c->ssl)
        return SSL_write(c->ssl, msg, (int)len) == (int)len ? 0 : OUTCOME_TLS;
    return send(c->fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : OUTCOME_REFUSED;
}

/* Up to cap bytes of what arrives within ms milliseconds: >0 bytes, 0 on time-out, <0 an
 * OUTCOME (TLS records may already be buffered, so SSL_pending comes first). */
static int conn_recv(struct conn *c, char *buf, size_t cap, int ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    if (!(c->ssl && SSL_pending(c->ssl)) && poll(&p, 1, ms) <= 0)
        return 0;
    if (c->ssl) {
        int n = SSL_read(c->ssl, buf, (int)cap);
        return n > 0 ? n : OUTCOME_TLS;
    }
    ssize_t n = recv(c->fd, buf, cap, 0);
    if (n < 0)
        return errno == ECONNREFUSED ? OUTCOME_REFUSED : OUTCOME_ERROR;
    return n > 0 ? (int)n : OUTCOME_ERROR; /* a stream closed by the server */
}

/* ---- SIP ---------------------------------------------------------------------------------- */

/* The local address of the connection, as a SIP host ("[2001:db8::1]") and port. */
static void local_hostport(int fd, char *host, size_t cap, unsigned *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char text[INET6_ADDRSTRLEN] = "0.0.0.0";
    *port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        int v6 = ss.ss_family == AF_INET6;
        inet_ntop(ss.ss_family, v6 ? (const void *)&s6->sin6_addr : (const void *)&s4->sin_addr,
                  text, sizeof text);
        *port = ntohs(v6 ? s6->sin6_port : s4->sin_port);
    }
    snprintf(host, cap, strchr(text, ':') ? "[%s]" : "%s", text);
}

/* The request: REGISTER sip:DOMAIN for USER@DOMAIN (a contact at our address), or OPTIONS. */
static int build_request(char *buf, size_t cap, const struct options *o, const char *domain,
                         const struct conn *c)
{
    static const char *via_names[] = {[VX_UDP] = "UDP", [VX_TCP] = "TCP", [VX_TLS] = "TLS"};
    const char *via = via_names[c->transport], *method = o->user ? "REGISTER" : "OPTIONS";
    const char *user = o->user ? o->user : "voxdns";
    char host[INET6_ADDRSTRLEN + 2];
    unsigned port;
    local_hostport(c->fd, host, sizeof host, &port);
    unsigned long tag = 0; /* tag, branch and Call-ID: unique per request (RFC 3261 §8.1.1) */
    if (getrandom(&tag, sizeof tag, 0) != (ssize_t)sizeof tag)
        tag = (unsigned long)now_ms();
    return snprintf(buf, cap,
                    "%s sip:%s SIP/2.0\r\n"
                    "Via: SIP/2.0/%s %s:%u;branch=z9hG4bK%lx;rport\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:%s@%s>;tag=%lx\r\nTo: <sip:%s@%s>\r\n"
                    "Call-ID: %lx@%s\r\nCSeq: 1 %s\r\n"
                    "Contact: <sip:%s@%s:%u;transport=%s>\r\n"
                    "Expires: 300\r\nUser-Agent: voxdns sip_ua example\r\n"
                    "Content-Length: 0\r\n\r\n",
                    method, domain, via, host, port, tag, user, domain, tag, user, domain, tag,
                    host, method, user, host, port, vx_transport_name(c->transport));
}

/* The first final response in what arrived (a stream may carry a 1xx and the final response
 * in one read): its status line after "SIP/2.0 ", code in *code; NULL when there is none. */
static const char *final_response(const char *buf, int *code)
{
    for (const char *p = buf; p && *p; p = strstr(p, "\r\nSIP/2.0 ")) {
        p += p == buf ? 0 : 2;
        if (sscanf(p, "SIP/2.0 %3d", code) == 1 && *code >= 200)
            return p + 8;
        p++;
    }
    return NULL;
}

/* Sends the request and waits for a final response: UDP retransmits at T1, 2*T1, ... (RFC
 * 3261 §17.1.2.2); a stream needs one send. Returns the code, or an OUTCOME. */
static int transact(struct conn *c, const char *req, size_t len, int timeout_ms, char *line,
                    size_t linecap)
{
    double end = now_ms() + timeout_ms;
    int interval = T1_MS, rc = conn_send(c, req, len);
    double resend = now_ms() + interval;
    while (rc == 0 && now_ms() < end) {
        char buf[4096];
        double wait = (c->transport == VX_UDP && resend < end ? resend : end) - now_ms();
        int n = conn_recv(c, buf, sizeof buf - 1, wait > 0 ? (int)wait : 0);
        if (n < 0)
            return n;
        buf[n > 0 ? n : 0] = '\0';
        int code = 0;
        const char *status = final_response(buf, &code);
        if (status) {
            snprintf(line, linecap, "%.*s", (int)strcspn(status, "\r\n"), status);
            return code;
        }
        if (c->transport == VX_UDP && now_ms() >= resend) {
            rc = conn_send(c, req, len);
            interval *= 2;
            resend = now_ms() + interval;
        }
    }
    return rc ? rc : OUTCOME_TIMEOUT;
}

/* One attempt at target i: connect, TLS, the transaction. */
static int attempt(SSL_CTX *tls, const struct options *o, const vx_result *r, size_t i, char *line,
                   size_t linecap)
{
    struct conn c;
    const char *domain = vx_result_domain(r, i);
    int rc = conn_open(r, i, o->timeout_ms, &c);
    if (rc == 0 && c.transport == VX_TLS)
        rc = tls ? tls_start(tls, &c, vx_result_tls_identity(r, i)) : OUTCOME_TLS;
    char req[2048], dom[256];
    plain_name(domain, dom, sizeof dom);
    if (rc == 0) {
        int len = build_request(req, sizeof req, o, dom, &c);
        rc = transact(&c, req, (size_t)len, o->timeout_ms, line, linecap);
    }
    conn_close(&c);
    return rc;
}

/* ---- the UA ------------------------------------------------------------------------------- */

static const char *outcome_text(int rc, const char *line)
{
    switch (rc) {
    case OUTCOME_TIMEOUT:
        return "timeout";
    case OUTCOME_REFUSED:
        return "refused";
    case OUTCOME_TLS:
        return "tls-failure";
    case OUTCOME_ERROR:
        return "error";
    default:
        return line;
    }
}

/* The feedback for an outcome: what RFC 3263 §4.3 counts as a target failure holds the
 * target down; any other final response means the server is there (stop trying). */
static int feedback(vx_resolver *res, const vx_result *r, size_t i, int rc)
{
    if (rc == 200)
        return vx_target_succeeded(res, r, i) == VX_OK ? 1 : -1;
    if (rc >= 300 && rc != 503)
        return -1;
    vx_failure why = rc == 503               ? VX_FAIL_503
                     : rc == OUTCOME_TIMEOUT ? VX_FAIL_TIMEOUT
                     : rc == OUTCOME_REFUSED ? VX_FAIL_REFUSED
                     : rc == OUTCOME_TLS     ? VX_FAIL_TLS
                                             : VX_FAIL_OTHER;
    vx_target_failed(res, r, i, why, 0);
    return 0;
}

/* Tries the targets in order until one answers 200 (1), refuses the request (-1) or none is
 * left (0). */
static int try_targets(vx_resolver *res, const vx_result *r, const struct options *o)
{
    /* Loading the CA store takes time: only when there is a TLS target. */
    SSL_CTX *tls = NULL;
    for (size_t i = 0; i < vx_result_count(r) && !tls; i++)
        if (vx_result_transport(r, i) == VX_TLS)
            tls = tls_context(o->ca_file);
    int done = 0;
    for (size_t i = 0; i < vx_result_count(r) && !done; i++) {
        char line[256] = "";
        double t0 = now_ms();
        int rc = attempt(tls, o, r, i, line, sizeof line);
        printf("%s %s:%u %s %s %.1f ms\n", vx_transport_name(vx_result_transport(r, i)),
               vx_result_host(r, i), vx_result_port(r, i), vx_result_address(r, i),
               outcome_text(rc, line), now_ms() - t0);
        fflush(stdout);
        done = feedback(res, r, i, rc);
    }
    SSL_CTX_free(tls);
    return done;
}

/* The targets held down when r was made: "tls/[2001:db8::1]:5061 udp/192.0.2.1:5060", or "-". */
static void held_list(const vx_result *r, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < vx_result_count(r) && used < cap; i++) {
        if (!vx_result_held(r, i))
            continue;
        const char *addr = vx_result_address(r, i);
        int n = snprintf(out + used, cap - used, strchr(addr, ':') ? "%s%s/[%s]:%u" : "%s%s/%s:%u",
                         used ? " " : "", vx_transport_name(vx_result_transport(r, i)), addr,
                         vx_result_port(r, i));
        used += n > 0 ? (size_t)n : 0;
    }
    if (!out[0])
        snprintf(out, cap, "-");
}

/* One registration round: locate the URI (again), try its targets. 1 on a 200, 0 when no
 * target answered 200, -1 when the request was refused, -2 when the location failed. */
static int round_trip(vx_resolver *res, const struct options *o, int round, double start)
{
    vx_result *r = NULL;
    double t0 = now_ms();
    int rc = vx_resolver_locate_blocking(res, o->uri, &r);
    if (rc != VX_OK) {
        fprintf(stderr, "%s: %s\n", o->uri, vx_strerror(rc));
        vx_result_free(r);
        return -2;
    }
    if (round == 1) {
        printf("located %s: %zu targets in %.1f ms\n", o->uri, vx_result_count(r), now_ms() - t0);
    } else {
        char held[1024];
        held_list(r, held, sizeof held);
        printf("round %d at %.1f ms: %zu targets in %.1f ms, held: %s\n", round, t0 - start,
               vx_result_count(r), now_ms() - t0, held);
    }
    int done = try_targets(res, r, o);
    vx_result_free(r);
    return done;
}

/* Sleeps until start + ms (monotonic). */
static void sleep_until(double start, double ms)
{
    double left = start + ms - now_ms();
    if (left <= 0)
        return;
    long long ns = (long long)(left * 1e6);
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_args(argc, argv, &o) != 0)
        return usage(argv[0]);
    vx_resolver *res = NULL;
    double t0 = now_ms();
    int rc = make_resolver(&o, &res);
    if (rc != VX_OK) {
        fprintf(stderr, "%s: %s\n", o.uri, vx_strerror(rc));
        return 3;
    }
    /* every round must end in a 200; a refused request or a failed location ends the rounds */
    int got = 1, all = 1;
    for (int round = 1; round <= o.repeat && got >= 0; round++) {
        sleep_until(t0, (double)(round - 1) * o.interval_ms);
        got = round_trip(res, &o, round, t0);
        if (got == -2 && round == 1) {
            vx_resolver_free(res);
            return 3;
        }
        all = all && got > 0;
    }
    printf("%s after %.1f ms\n", all ? "done" : "failed", now_ms() - t0);
    vx_resolver_free(res);
    return all ? 0 : 1;
}
