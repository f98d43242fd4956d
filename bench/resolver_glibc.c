/*
 * bench/resolver_glibc.c — the glibc anchor of bench/resolver: locates a SIP service the way a
 * simple client on glibc does (RFC 3263 by hand): res_query() for the domain's NAPTR records,
 * the best one's SRV name with res_query(), then getaddrinfo() on the best SRV target. Every
 * call reads /etc/resolv.conf the glibc way (the bench bind-mounts its own over it).
 *
 *   resolver_glibc DOMAIN [REPEAT]
 *
 * One line per location (REPEAT times in one process, default 1):
 *   status=ok ms=WALL naptr_ms=A srv_ms=B addr_ms=C first=ADDRESS
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The replacement of the NAPTR with the lowest order, then preference (RFC 3403). */
static int best_naptr(const unsigned char *msg, int len, char *out, size_t cap)
{
    ns_msg h;
    ns_rr rr;
    uint64_t best = UINT64_MAX; /* above every 32-bit (order, preference) key */
    if (ns_initparse(msg, len, &h) < 0)
        return -1;
    for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
        if (ns_parserr(&h, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_naptr)
            continue;
        const unsigned char *p = ns_rr_rdata(rr), *end = p + ns_rr_rdlen(rr);
        unsigned key = (unsigned)(p[0] << 8 | p[1]) << 16 | (unsigned)(p[2] << 8 | p[3]);
        p += 4;
        for (int s = 0; s < 3 && p < end; s++) /* flags, services, regexp */
            p += 1 + *p;
        if (p >= end || key >= best)
            continue;
        if (dn_expand(msg, msg + len, p, out, (int)cap) < 0)
            return -1;
        best = key;
    }
    return best == UINT64_MAX ? -1 : 0;
}

/* The target and port of the SRV with the lowest priority (weights ignored). */
static int best_srv(const unsigned char *msg, int len, char *out, size_t cap, unsigned *port)
{
    ns_msg h;
    ns_rr rr;
    unsigned best = 0x10000;
    if (ns_initparse(msg, len, &h) < 0)
        return -1;
    for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
        if (ns_parserr(&h, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_srv)
            continue;
        const unsigned char *p = ns_rr_rdata(rr);
        unsigned prio = (unsigned)(p[0] << 8 | p[1]);
        if (prio >= best || dn_expand(msg, msg + len, p + 6, out, (int)cap) < 0)
            continue;
        best = prio;
        *port = (unsigned)(p[4] << 8 | p[5]);
    }
    return best == 0x10000 ? -1 : 0;
}

static int locate(const char *domain)
{
    unsigned char ans[4096];
    char srv[NS_MAXDNAME], target[NS_MAXDNAME], addr[INET6_ADDRSTRLEN] = "-", port_text[8];
    unsigned port = 0;
    double t0 = now_ms();
    int n = res_query(domain, ns_c_in, ns_t_naptr, ans, (int)sizeof(ans));
    double t1 = now_ms();
    if (n < 0 || best_naptr(ans, n, srv, sizeof(srv)) < 0)
        goto fail;
    n = res_query(srv, ns_c_in, ns_t_srv, ans, (int)sizeof(ans));
    double t2 = now_ms();
    if (n < 0 || best_srv(ans, n, target, sizeof(target), &port) < 0)
        goto fail;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    snprintf(port_text, sizeof(port_text), "%u", port);
    int rc = getaddrinfo(target, port_text, &hints, &ai);
    double t3 = now_ms();
    if (rc != 0 || !ai)
        goto fail;
    const void *a = ai->ai_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
    inet_ntop(ai->ai_family, a, addr, sizeof(addr));
    freeaddrinfo(ai);
    printf("status=ok ms=%.3f naptr_ms=%.3f srv_ms=%.3f addr_ms=%.3f first=%s\n", t3 - t0, t1 - t0,
           t2 - t1, t3 - t2, addr);
    return 0;
fail:
    printf("status=error ms=%.3f first=-\n", now_ms() - t0);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: resolver_glibc DOMAIN [REPEAT]\n");
        return 64;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 1, failed = 0;
    for (int i = 0; i < repeat; i++) {
        failed |= locate(argv[1]);
        fflush(stdout);
    }
    return failed;
}
