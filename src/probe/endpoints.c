/*
 * probe/endpoints.c — owns the set of target tuples already probed and the hand-over from a
 * ping's observation to the collector (see endpoints.h).
 */
#include "probe/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "net/sip_ping.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/name.h"

typedef struct tuple {
    vx__ep_transport transport;
    struct sockaddr_storage addr;
} tuple;

struct vx__ep_set {
    vx__engine *engine;
    vx__tls_ctx *tls;
    vx__ep_result_cb cb;
    void *arg;
    tuple *seen;
    size_t seen_count, seen_cap;
};

typedef struct ep_ping {
    vx__ep_set *set;
    char host[VX__NAME_TEXT_MAX];
} ep_ping;

int vx__ep_set_new(vx__engine *engine, vx__tls_ctx *tls, vx__ep_result_cb cb, void *arg,
                   vx__ep_set **out)
{
    if (!engine || !cb || !out)
        return VX_EINVAL;
    vx__ep_set *s = calloc(1, sizeof *s);
    if (!s)
        return VX_ENOMEM;
    *s = (vx__ep_set){.engine = engine, .tls = tls, .cb = cb, .arg = arg};
    *out = s;
    return VX_OK;
}

void vx__ep_set_free(vx__ep_set *set)
{
    if (set)
        free(set->seen);
    free(set);
}

static bool ep_transport(vx__sip_transport t, vx__ep_transport *out)
{
    switch (t) {
    case VX__SIP_UDP:
        *out = VX__EP_UDP;
        return true;
    case VX__SIP_TCP:
        *out = VX__EP_TCP;
        return true;
    case VX__SIP_TLS:
        *out = VX__EP_TLS;
        return true;
    default:
        return false;
    }
}

bool vx__ep_probed(vx__sip_transport transport, const struct sockaddr *addr)
{
    vx__ep_transport t;
    vx__addr_class c = vx__addr_classify(addr);
    return ep_transport(transport, &t) &&
           (c == VX__ADDR_PUBLIC || c == VX__ADDR_DOCUMENTATION || c == VX__ADDR_BENCHMARKING);
}

static bool seen_before(const vx__ep_set *set, vx__ep_transport t, const struct sockaddr *sa)
{
    for (size_t i = 0; i < set->seen_count; i++)
        if (set->seen[i].transport == t &&
            vx__addr_equal((const struct sockaddr *)&set->seen[i].addr, sa))
            return true;
    return false;
}

static void on_pinged(void *arg, const vx__endpoint_obs *obs)
{
    ep_ping *p = arg;
    vx__endpoint_obs copy = *obs;
    copy.host = p->host;
    p->set->cb(p->set->arg, &copy);
    free(p);
}

/* "sip:DOMAIN" (no trailing dot): the request URI and, for TLS, the name sent as SNI. */
static int ping_target(vx__ep_set *set, const vx__sip_target *t, vx__ep_transport tr, ep_ping *p)
{
    char uri[VX__NAME_TEXT_MAX + 8], domain[VX__NAME_TEXT_MAX];
    size_t n = strlen(t->domain);
    snprintf(domain, sizeof domain, "%.*s", (int)(n > 1 && t->domain[n - 1] == '.' ? n - 1 : n),
             t->domain);
    snprintf(uri, sizeof uri, "sip:%s", domain);
    vx__sip_ping_spec spec = {.transport = tr,
                              .addr = (const struct sockaddr *)&t->addr,
                              .request_uri = uri,
                              .sni = domain,
                              .tls = set->tls};
    return vx__sip_ping(set->engine, &spec, on_pinged, p);
}

int vx__ep_set_offer(vx__ep_set *set, const vx__sip_target *t, bool *started)
{
    vx__ep_transport tr;
    const struct sockaddr *sa = (const struct sockaddr *)&t->addr;
    *started = false;
    if (!vx__ep_probed(t->transport, sa) || !ep_transport(t->transport, &tr) ||
        seen_before(set, tr, sa))
        return VX_OK;
    tuple *grown = vx__grow(set->seen, &set->seen_cap, set->seen_count + 1, sizeof *grown, 16);
    if (!grown)
        return VX_ENOMEM;
    set->seen = grown;
    set->seen[set->seen_count++] = (tuple){.transport = tr, .addr = t->addr};
    ep_ping *p = calloc(1, sizeof *p);
    if (!p)
        return VX_ENOMEM;
    p->set = set;
    snprintf(p->host, sizeof p->host, "%s", t->host ? t->host : "");
    int rc = ping_target(set, t, tr, p);
    if (rc != VX_OK) {
        free(p);
        return rc;
    }
    *started = true;
    return VX_OK;
}
