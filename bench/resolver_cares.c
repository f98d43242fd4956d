/*
 * bench/resolver_cares.c — the c-ares anchor of bench/resolver: locates a SIP service the way a
 * client built on c-ares does it: ares_query() for the domain's NAPTR records, the best one's
 * SRV name with ares_query(), then ares_getaddrinfo() on the best SRV target, each step run to
 * completion on one channel (c-ares's own select() loop). The channel reads /etc/resolv.conf
 * (the bench bind-mounts its own over it) with c-ares's defaults.
 *
 *   resolver_cares DOMAIN [REPEAT]
 *
 * One line per location (REPEAT times on one channel, default 1):
 *   status=ok ms=WALL naptr_ms=A srv_ms=B addr_ms=C first=ADDRESS
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

typedef struct step {
    int done;
    int status;
    char name[256]; /* NAPTR: the SRV name; SRV: the target */
    unsigned port;
    char addr[INET6_ADDRSTRLEN];
} step;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void wait_for(ares_channel ch, const step *st)
{
    while (!st->done) {
        fd_set r, w;
        struct timeval tv, *tvp;
        FD_ZERO(&r);
        FD_ZERO(&w);
        int nfds = ares_fds(ch, &r, &w);
        if (nfds == 0)
            break;
        tvp = ares_timeout(ch, NULL, &tv);
        select(nfds, &r, &w, NULL, tvp);
        ares_process(ch, &r, &w);
    }
}

/* The NAPTR with the lowest order, then preference (RFC 3403). */
static void on_naptr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    step *st = arg;
    struct ares_naptr_reply *list = NULL, *best = NULL;
    (void)timeouts;
    st->done = 1;
    st->status = status == ARES_SUCCESS ? ares_parse_naptr_reply(abuf, alen, &list) : status;
    for (struct ares_naptr_reply *n = list; n; n = n->next)
        if (!best || n->order < best->order ||
            (n->order == best->order && n->preference < best->preference))
            best = n;
    if (best)
        snprintf(st->name, sizeof(st->name), "%s", best->replacement);
    else if (st->status == ARES_SUCCESS)
        st->status = ARES_ENODATA;
    ares_free_data(list);
}

/* The SRV with the lowest priority (weights ignored). */
static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    step *st = arg;
    struct ares_srv_reply *list = NULL, *best = NULL;
    (void)timeouts;
    st->done = 1;
    st->status = status == ARES_SUCCESS ? ares_parse_srv_reply(abuf, alen, &list) : status;
    for (struct ares_srv_reply *s = list; s; s = s->next)
        if (!best || s->priority < best->priority)
            best = s;
    if (best) {
        snprintf(st->name, sizeof(st->name), "%s", best->host);
        st->port = best->port;
    } else if (st->status == ARES_SUCCESS) {
        st->status = ARES_ENODATA;
    }
    ares_free_data(list);
}

static void on_addr(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    step *st = arg;
    (void)timeouts;
    st->done = 1;
    st->status = status;
    if (status == ARES_SUCCESS && ai && ai->nodes) {
        const struct ares_addrinfo_node *n = ai->nodes;
        const void *a = n->ai_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)n->ai_addr)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)n->ai_addr)->sin_addr;
        inet_ntop(n->ai_family, a, st->addr, sizeof(st->addr));
    } else if (status == ARES_SUCCESS) {
        st->status = ARES_ENODATA;
    }
    ares_freeaddrinfo(ai);
}

static int locate(ares_channel ch, const char *domain)
{
    step naptr = {0}, srv = {0}, addr = {0};
    char port_text[8];
    double t0 = now_ms(), t1 = t0, t2 = t0;
    ares_query(ch, domain, ns_c_in, ns_t_naptr, on_naptr, &naptr);
    wait_for(ch, &naptr);
    t1 = now_ms();
    if (naptr.status != ARES_SUCCESS)
        goto fail;
    ares_query(ch, naptr.name, ns_c_in, ns_t_srv, on_srv, &srv);
    wait_for(ch, &srv);
    t2 = now_ms();
    if (srv.status != ARES_SUCCESS)
        goto fail;
    struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    snprintf(port_text, sizeof(port_text), "%u", srv.port);
    ares_getaddrinfo(ch, srv.name, port_text, &hints, on_addr, &addr);
    wait_for(ch, &addr);
    double t3 = now_ms();
    if (addr.status != ARES_SUCCESS)
        goto fail;
    printf("status=ok ms=%.3f naptr_ms=%.3f srv_ms=%.3f addr_ms=%.3f first=%s\n", t3 - t0, t1 - t0,
           t2 - t1, t3 - t2, addr.addr);
    return 0;
fail:
    printf("status=error ms=%.3f first=- error=%s\n", now_ms() - t0,
           ares_strerror(naptr.status ? naptr.status
                         : srv.status ? srv.status
                                      : addr.status));
    return 1;
}

int main(int argc, char **argv)
{
    ares_channel ch;
    if (argc < 2) {
        fprintf(stderr, "usage: resolver_cares DOMAIN [REPEAT]\n");
        return 64;
    }
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS || ares_init(&ch) != ARES_SUCCESS) {
        fprintf(stderr, "resolver_cares: cannot initialise c-ares\n");
        return 1;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 1, failed = 0;
    for (int i = 0; i < repeat; i++) {
        failed |= locate(ch, argv[1]);
        fflush(stdout);
    }
    ares_destroy(ch);
    ares_library_cleanup();
    return failed;
}
