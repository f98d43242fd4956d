/*
 * bench/resolver_bench.c — the voxdns side of bench/resolver: RFC 3263 locations through
 * libvoxdns (the public API on a long-lived resolver, so that the cache, stale data and
 * upstream health carry over from one URI to the next), and cache hits per second on the
 * resolver core with no I/O. The glibc and c-ares counterparts are resolver_glibc.c and
 * resolver_cares.c.
 *
 *   resolver_bench locate [--trace] [--max-ttl S] [--static FILE] [--ca-file FILE]
 *                         (--resolv-conf FILE | ADDR... | tls://ADDR#NAME...)
 *       reads one SIP URI per line on standard input and prints one line per URI:
 *       uri=U status=S targets=N ms=WALL naptr_ms=M first=ADDRESS sources=network,stale,...
 *       (naptr_ms: the first step, the NAPTR question, from question to answer; --trace:
 *       every DNS step on standard error too)
 *   resolver_bench cache [SECONDS]
 *       prints: lookups=N seconds=S cache_hits_per_s=R copied_hits_per_s=R resolver_hits_per_s=R
 *       cache_hits_per_s: vx__cache_lookup() of a warm entry (three NAPTR records);
 *       copied_hits_per_s: the same plus vx__cache_hit_copy(), the TTL-adjusted copy of the
 *       records a RESULT hands out; resolver_hits_per_s: a whole lookup answered from the
 *       cache by the sans-I/O state machine (submit, the RESULT action, freeing it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resolver/cache.h"
#include "resolver/resolver.h"
#include "voxdns/voxdns.h"
#include "wire/addr.h"
#include "wire/msg.h"
#include "wire/query.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- locate ------------------------------------------------------------------------------ */

static bool trace;

static int configure(vx_config *cfg, int argc, char **argv)
{
    char err[256];
    for (int i = 2; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "--trace") == 0) {
            trace = true;
            continue;
        }
        if (strcmp(argv[i], "--max-ttl") == 0 && i + 1 < argc) {
            vx_config_set_max_ttl(cfg, (unsigned)atoi(argv[++i]));
            continue;
        }
        if (strcmp(argv[i], "--static") == 0 && i + 1 < argc)
            rc = vx_config_load_static(cfg, argv[++i], VX_STATIC_AUTO, err, sizeof(err));
        else if (strcmp(argv[i], "--resolv-conf") == 0 && i + 1 < argc)
            rc = vx_config_add_resolv_conf(cfg, argv[++i]);
        else if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc)
            rc = vx_config_set_tls_ca_file(cfg, argv[++i]);
        else
            rc = vx_config_add_upstream(cfg, argv[i], 0);
        if (rc != VX_OK) {
            fprintf(stderr, "resolver_bench: %s: %s\n", argv[i], vx_strerror(rc));
            return rc;
        }
    }
    return VX_OK;
}

/* "network,stale": the sources of the targets, each named once, in enum order. */
static void sources_text(const vx_result *r, char *out, size_t cap)
{
    unsigned seen = 0;
    for (size_t i = 0; i < vx_result_count(r); i++)
        seen |= 1u << vx_result_source(r, i);
    out[0] = '\0';
    for (unsigned s = 0; s <= VX_SOURCE_STATIC; s++) {
        if (!(seen & (1u << s)))
            continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? "," : "", vx_source_name((vx_source)s));
    }
}

static void print_trace(const vx_result *r)
{
    for (size_t i = 0; i < vx_result_step_count(r); i++)
        fprintf(stderr, "  %8.2f ms %5u %s -> %s from %s in %.2f ms\n",
                vx_result_step_start_ms(r, i), vx_result_step_type(r, i), vx_result_step_name(r, i),
                vx_strerror(vx_result_step_status(r, i)),
                vx_source_name(vx_result_step_source(r, i)), vx_result_step_ms(r, i));
}

static int run_locate(int argc, char **argv)
{
    vx_config *cfg;
    vx_resolver *res = NULL;
    if (vx_config_new(&cfg) != VX_OK || configure(cfg, argc, argv) != VX_OK ||
        vx_resolver_new(cfg, &res) != VX_OK) {
        fprintf(stderr, "resolver_bench: cannot build the resolver\n");
        vx_config_free(cfg);
        return 64;
    }
    vx_config_free(cfg);
    char line[1024];
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        vx_result *r = NULL;
        double t0 = now_s();
        int rc = vx_resolver_locate_blocking(res, line, &r);
        double ms = (now_s() - t0) * 1e3;
        char sources[64] = "";
        if (r)
            sources_text(r, sources, sizeof(sources));
        const char *first = r && vx_result_count(r) ? vx_result_address(r, 0) : "-";
        double naptr_ms = r && vx_result_step_count(r) ? vx_result_step_ms(r, 0) : 0.0;
        printf("uri=%s status=%s targets=%zu ms=%.3f naptr_ms=%.3f first=%s sources=%s\n", line,
               rc == VX_OK ? "ok" : "error", r ? vx_result_count(r) : 0, ms, naptr_ms, first,
               sources[0] ? sources : "-");
        fflush(stdout);
        if (trace && r)
            print_trace(r);
        vx_result_free(r);
    }
    vx_resolver_free(res);
    return 0;
}

/* ---- cache hits ---------------------------------------------------------------------------- */

/* The answer a recursive resolver gives for voip-example.com NAPTR (three records): its wire
 * form, for the state machine, and parsed, for the cache. */
typedef struct response {
    uint8_t *wire;
    size_t len;
    vx__msg *m;
} response;

static int naptr_response(const vx__question *q, response *out)
{
    static const char *const rrs[] = {
        "voip-example.com. 3600 IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" "
        "_sips._tcp.voip-example.com.",
        "voip-example.com. 3600 IN NAPTR 20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp.voip-example.com.",
        "voip-example.com. 3600 IN NAPTR 30 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.voip-example.com."};
    uint8_t qwire[VX__QUERY_MAX];
    size_t qlen;
    ldns_pkt *p = NULL;
    memset(out, 0, sizeof(*out));
    if (vx__wire_build_query(q, 0x1234, VX__Q_RD, qwire, sizeof(qwire), &qlen) != VX_OK ||
        ldns_wire2pkt(&p, qwire, qlen) != LDNS_STATUS_OK)
        return VX_EINVAL;
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_ra(p, true);
    for (size_t i = 0; i < sizeof(rrs) / sizeof(rrs[0]); i++) {
        ldns_rr *rr;
        if (ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL) == LDNS_STATUS_OK)
            ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
    }
    int rc = ldns_pkt2wire(&out->wire, p, &out->len) == LDNS_STATUS_OK
                 ? vx__msg_parse(out->wire, out->len, &out->m)
                 : VX_ENOMEM;
    ldns_pkt_free(p);
    return rc;
}

static double cache_hits_per_s(const vx__question *q, const vx__msg *m, double seconds, bool copy,
                               uint64_t *count)
{
    vx__cache *cache;
    if (vx__cache_new(1024, 86400000, &cache) != VX_OK || vx__cache_store(cache, q, m, 0) != VX_OK)
        return 0;
    uint64_t n = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        for (int i = 0; i < 1000; i++) {
            vx__cache_hit hit;
            if (vx__cache_lookup(cache, q, 1000, 30, &hit) != VX_OK || hit.state != VX__CACHE_FRESH)
                continue;
            if (copy) {
                ldns_rr_list *records = vx__cache_hit_copy(&hit);
                n += records != NULL;
                ldns_rr_list_deep_free(records);
            } else {
                n++;
            }
        }
        t = now_s();
    }
    vx__cache_free(cache);
    *count = n;
    return (double)n / (t - t0);
}

static uint16_t fixed16(void *arg)
{
    (void)arg;
    return 0x1234;
}

/* Primes a state machine with the answer, then asks the same question again and again. */
static double resolver_hits_per_s(const vx__question *q, const response *resp, double seconds)
{
    vx__res_opts o;
    vx__res *res;
    vx__res_action a;
    unsigned idx;
    uint64_t h, n = 0;
    struct sockaddr_storage ss;
    socklen_t sl;
    vx__res_opts_default(&o);
    o.random16 = fixed16;
    if (vx__res_new(&o, &res) != VX_OK)
        return 0;
    vx__addr_parse("192.0.2.1", 53, &ss, &sl);
    vx__res_add_upstream(res, (struct sockaddr *)&ss, false, &idx);
    vx__res_submit(res, 0, q, &h);
    while (vx__res_next_action(res, &a))
        vx__res_action_clear(&a);
    vx__res_on_response(res, 1, 0, resp->wire, resp->len);
    while (vx__res_next_action(res, &a))
        vx__res_action_clear(&a);
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        for (int i = 0; i < 1000; i++) {
            vx__res_submit(res, 1000, q, &h);
            while (vx__res_next_action(res, &a)) {
                n += a.kind == VX__ACT_RESULT && a.result.source == VX__SRC_CACHE;
                vx__res_action_clear(&a);
            }
        }
        t = now_s();
    }
    vx__res_free(res);
    return (double)n / (t - t0);
}

static int run_cache(int argc, char **argv)
{
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    vx__question q;
    uint64_t n = 0;
    if (vx__question_from_text("voip-example.com", LDNS_RR_TYPE_NAPTR, LDNS_RR_CLASS_IN, &q) !=
        VX_OK)
        return 1;
    response resp;
    if (naptr_response(&q, &resp) != VX_OK) {
        fprintf(stderr, "resolver_bench: cannot build the response\n");
        return 1;
    }
    uint64_t ncopied;
    double cache = cache_hits_per_s(&q, resp.m, seconds, false, &n);
    double copied = cache_hits_per_s(&q, resp.m, seconds, true, &ncopied);
    double full = resolver_hits_per_s(&q, &resp, seconds);
    printf("lookups=%llu seconds=%.1f cache_hits_per_s=%.0f copied_hits_per_s=%.0f "
           "resolver_hits_per_s=%.0f\n",
           (unsigned long long)n, seconds, cache, copied, full);
    vx__msg_free(resp.m);
    free(resp.wire);
    return cache > 0 && full > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "locate") == 0)
        return run_locate(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "cache") == 0)
        return run_cache(argc, argv);
    fprintf(stderr, "usage: resolver_bench locate [--max-ttl S] [--static FILE] "
                    "(--resolv-conf FILE | RESOLVER...) < uris\n"
                    "       resolver_bench cache [SECONDS]\n");
    return 64;
}
