/*
 * tests/fuzz/fuzz_sip_uri.c — libFuzzer target for SIP URIs (sip/uri.c) and the locator that
 * runs on them (sip/locate*.c, sip/srv.c, sip/policy.c).
 *
 * Input: a URI, then optionally '\n' and bytes that script a fake DNS: each question the
 * locator asks consumes a few bytes that choose a status, a CNAME, and records built from
 * small pools of names and services. Beyond sanitizer findings it aborts when an invariant of
 * the result breaks: only supported transports, TLS exactly when an identity is given, sips
 * gives only TLS, the strict policy holds for every SRV target, status OK exactly with targets.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/locate.h"
#include "sip/uri.h"
#include "voxdns/status.h"
#include "wire/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct script {
    const uint8_t *p;
    size_t left;
    vx__sip_naptr naptr[4];
    vx__sip_srv srv[4];
    vx__sip_addr addr[4];
} script;

static uint8_t next(script *s)
{
    if (s->left == 0)
        return 0;
    s->left--;
    return *s->p++;
}

static const char *const names[] = {
    ".",
    "example.com.",
    "sip.example.com.",
    "a.b.example.com.",
    "example.net.",
    "sip.example.net.",
    "badexample.com.",
    "_sip._udp.example.com.",
    "_sips._tcp.example.com.",
    "_sip._tcp.example.net.",
    "bad..name",
    "x.",
};
static const char *const services[] = {"SIP+D2U", "SIP+D2T",  "SIPS+D2T", "SIP+D2S",
                                       "E2U+sip", "sips+d2t", "",         "SIP+D2X"};
static const char *const flags[] = {"s", "S", "u", "a", "", "sa"};

#define PICK(arr, b) (arr[(b) % (sizeof(arr) / sizeof(arr[0]))])

static void make_records(script *s, uint16_t type, size_t n, vx__sip_records *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = next(s);
        if (type == VX__SIP_RR_NAPTR)
            s->naptr[i] = (vx__sip_naptr){
                next(s), next(s), PICK(flags, b), PICK(services, b >> 3), "", PICK(names, next(s)),
                next(s)};
        else if (type == VX__SIP_RR_SRV)
            s->srv[i] = (vx__sip_srv){next(s) % 3, next(s), (uint16_t)(next(s) << 8 | b),
                                      PICK(names, next(s)), next(s)};
        else {
            struct sockaddr_in *v4 = (struct sockaddr_in *)&s->addr[i].addr;
            memset(&s->addr[i], 0, sizeof s->addr[i]);
            v4->sin_family = (b & 1) ? AF_INET6 : AF_INET;
            v4->sin_addr.s_addr = htonl(0xc0000200u | next(s));
        }
    }
    out->naptr = s->naptr;
    out->naptr_count = type == VX__SIP_RR_NAPTR ? n : 0;
    out->srv = s->srv;
    out->srv_count = type == VX__SIP_RR_SRV ? n : 0;
    out->addr = s->addr;
    out->addr_count = (type == VX__SIP_RR_A || type == VX__SIP_RR_AAAA) ? n : 0;
}

static int lookup(void *ctx, const char *name, uint16_t type, vx__sip_records *out)
{
    static const int statuses[] = {VX_OK, VX_OK, VX_OK, VX_ENOTFOUND, VX_ETIMEDOUT};
    script *s = ctx;
    (void)name;
    uint8_t b = next(s);
    if ((b & 0xe0) == 0xe0) {
        out->cname = PICK(names, b);
        return VX_OK;
    }
    make_records(s, type, (b >> 3) % 5, out);
    return PICK(statuses, b);
}

static void check_result(const vx__sip_uri *u, const vx__sip_opts *o, const vx__sip_result *r)
{
    if ((r->status == VX_OK) != (r->count > 0) || r->count > VX__SIP_MAX_TARGETS)
        abort();
    for (size_t i = 0; i < r->count; i++) {
        const vx__sip_target *t = &r->targets[i];
        if (!(t->transport & o->transports) || (t->transport == VX__SIP_TLS) != !!t->tls_identity)
            abort();
        if (u->secure && t->transport != VX__SIP_TLS)
            abort();
        if (o->policy == VX__SIP_POLICY_STRICT && t->source != VX__SIP_SRC_A &&
            t->source != VX__SIP_SRC_NUMERIC && !vx__name_is_subdomain(t->host, t->domain))
            abort();
    }
}

static void run_locator(const char *uri, const vx__sip_uri *u, const uint8_t *rest, size_t n)
{
    script s = {.p = rest, .left = n};
    vx__sip_xorshift x;
    vx__sip_xorshift_seed(&x, n);
    uint8_t cfg = next(&s);
    const char *fallbacks[] = {"example.net", "sips:example.org;transport=tcp"};
    vx__sip_opts o = {.transports = (cfg & 15u) ? (cfg & 15u) : VX__SIP_TRANSPORTS_ALL,
                      .policy = (vx__sip_policy)((cfg >> 4) % 3),
                      .ipv4_first = (cfg & 0x40) != 0,
                      .all_domains = (cfg & 0x80) != 0,
                      .fallback_domains = fallbacks,
                      .fallback_count = (cfg >> 5) % 3,
                      .random = vx__sip_xorshift_next,
                      .random_ctx = &x};
    vx__sip_result *r = NULL;
    vx__sip_locate(uri, &o, lookup, &s, &r, NULL, 0);
    if (r)
        check_result(u, &o, r);
    vx__sip_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t len = nl ? (size_t)(nl - data) : size;
    vx__sip_uri u;
    char err[256];
    if (vx__sip_uri_parse((const char *)data, len, &u, err, sizeof err) != VX_OK) {
        if (err[0] == '\0')
            abort(); /* every refusal says why */
        return 0;
    }
    if (u.host[0] == '\0' || (u.transport & ~(unsigned)VX__SIP_TRANSPORTS_ALL))
        abort();
    char *uri = malloc(len + 1);
    if (!uri)
        return 0;
    memcpy(uri, data, len);
    uri[len] = '\0';
    if (nl)
        run_locator(uri, &u, nl + 1, size - len - 1);
    free(uri);
    return 0;
}
