/*
 * sip/locate_result.c — owns the locator's result: appending targets (with duplicate
 * suppression and the TLS identity rule), recording dropped names, the final status, freeing,
 * and the names of sources and drop reasons.
 *
 * Strings in a result are interned in its own pool, so that every target of one domain points
 * at the same "example.com." and freeing is one loop.
 */
#include "sip/locate_impl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/addr.h"

vx__sip_result *vx__sip_result_new(void)
{
    return calloc(1, sizeof(vx__sip_result));
}

/* The pooled copy of s (one copy per distinct string), NULL when out of memory. */
static const char *keep(vx__sip_result *r, const char *s)
{
    for (size_t i = 0; i < r->string_count; i++)
        if (strcmp(r->strings[i], s) == 0)
            return r->strings[i];
    char **grown = realloc(r->strings, (r->string_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    r->strings = grown;
    if (!(grown[r->string_count] = strdup(s)))
        return NULL;
    return grown[r->string_count++];
}

static bool is_duplicate(const vx__sip_result *r, vx__sip_transport t, const struct sockaddr *sa)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->targets[i].transport == t &&
            vx__addr_equal((const struct sockaddr *)&r->targets[i].addr, sa))
            return true;
    return false;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Fills the strings of t; false when out of memory. */
static bool name_target(vx__sip_result *r, const vx__sip_job *job, const vx__sip_host_step *h,
                        vx__sip_target *t)
{
    t->host = keep(r, h->name);
    t->domain = keep(r, job->uri.host);
    /* RFC 5922 §4: the certificate must name the SIP domain, never the SRV target: the
     * target came from DNS, which an attacker may control. */
    t->tls_identity = h->transport == VX__SIP_TLS ? keep(r, job->identity) : NULL;
    return t->host && t->domain && (h->transport != VX__SIP_TLS || t->tls_identity);
}

static void mark_feedback(const vx__sip_opts *o, vx__sip_target *t)
{
    const struct sockaddr *sa = (const struct sockaddr *)&t->addr;
    t->held = o->held && o->held(o->held_ctx, t->transport, sa);
    t->preferred = !t->held && o->has_preferred && o->preferred_transport == t->transport &&
                   vx__addr_equal(sa, (const struct sockaddr *)&o->preferred);
}

static int group(const vx__sip_target *t)
{
    return t->preferred ? 0 : t->held ? 2 : 1;
}

/* Stable: the preferred target, then the others, then the held ones, each in the order found
 * (RFC 3263 order, then a later pass). */
static int order_targets(vx__sip_result *r)
{
    r->held_count = 0;
    if (r->count == 0)
        return VX_OK;
    vx__sip_target *v = malloc(r->count * sizeof(*v));
    if (!v)
        return VX_ENOMEM;
    size_t n = 0;
    for (int g = 0; g < 3; g++)
        for (size_t i = 0; i < r->count; i++)
            if (group(&r->targets[i]) == g)
                v[n++] = r->targets[i];
    for (size_t i = 0; i < n; i++)
        r->held_count += v[i].held;
    memcpy(r->targets, v, n * sizeof(*v));
    free(v);
    return VX_OK;
}

void vx__sip_add_target(vx__sip_locator *loc, vx__sip_job *job, const vx__sip_host_step *host,
                        const vx__sip_addr *addr, uint32_t ttl)
{
    vx__sip_result *r = loc->res;
    vx__sip_target t = {.transport = host->transport,
                        .port = host->port,
                        .addr = addr->addr,
                        .addr_len = vx__addr_len((const struct sockaddr *)&addr->addr),
                        .domain_index = job->index,
                        .source = host->source,
                        .priority = host->priority,
                        .weight = host->weight,
                        .ttl = ttl};
    set_port(&t.addr, host->port);
    mark_feedback(&loc->opts, &t);
    if (is_duplicate(r, t.transport, (const struct sockaddr *)&t.addr)) {
        vx__sip_add_drop(loc, job, VX__SIP_DROP_DUPLICATE, host->name, host->transport, host->port);
        return;
    }
    if (r->count == VX__SIP_MAX_TARGETS) {
        vx__sip_note_error(loc, VX_ELIMIT);
        return;
    }
    vx__sip_target *grown = realloc(r->targets, (r->count + 1) * sizeof *grown);
    if (!grown || !name_target(r, job, host, &t)) {
        if (grown)
            r->targets = grown;
        vx__sip_note_error(loc, VX_ENOMEM);
        return;
    }
    r->targets = grown;
    r->targets[r->count++] = t;
    job->targets_found += !t.held;
}

void vx__sip_add_drop(vx__sip_locator *loc, const vx__sip_job *job, vx__sip_drop_reason why,
                      const char *name, vx__sip_transport t, uint16_t port)
{
    vx__sip_result *r = loc->res;
    if (r->drop_count == VX__SIP_MAX_TARGETS)
        return;
    vx__sip_drop *grown = realloc(r->drops, (r->drop_count + 1) * sizeof *grown);
    if (!grown) {
        vx__sip_note_error(loc, VX_ENOMEM);
        return;
    }
    r->drops = grown;
    vx__sip_drop d = {.reason = why,
                      .domain = keep(r, job->uri.host),
                      .name = keep(r, name),
                      .transport = t,
                      .port = port};
    if (!d.domain || !d.name) {
        vx__sip_note_error(loc, VX_ENOMEM);
        return;
    }
    r->drops[r->drop_count++] = d;
}

void vx__sip_add_service(vx__sip_locator *loc, const vx__sip_job *job, const vx__sip_srv_step *step,
                         const vx__sip_lookup *lk)
{
    vx__sip_result *r = loc->res;
    if (r->service_count == VX__SIP_MAX_TARGETS)
        return;
    vx__sip_service *grown = realloc(r->services, (r->service_count + 1) * sizeof *grown);
    if (!grown) {
        vx__sip_note_error(loc, VX_ENOMEM);
        return;
    }
    r->services = grown;
    vx__sip_service s = {.owner = keep(r, lk->origname),
                         .domain = keep(r, job->uri.host),
                         .transport = step->transport,
                         .source = step->source,
                         .extra = step->extra,
                         .status = lk->status,
                         .record_count = lk->srv_count};
    if (!s.owner || !s.domain) {
        vx__sip_note_error(loc, VX_ENOMEM);
        return;
    }
    r->services[r->service_count++] = s;
}

void vx__sip_result_finish(vx__sip_locator *loc)
{
    vx__sip_result *r = loc->res;
    if (!r || !loc->done)
        return;
    if (loc->error == VX_ENOMEM || order_targets(r) != VX_OK)
        r->status = VX_ENOMEM;
    else if (r->count > 0)
        r->status = VX_OK;
    else
        r->status = loc->error != VX_OK ? loc->error : VX_ENOTFOUND;
}

static int append_one(vx__sip_result *dst, const vx__sip_target *in)
{
    vx__sip_target t = *in;
    t.host = keep(dst, in->host);
    t.domain = keep(dst, in->domain);
    t.tls_identity = in->tls_identity ? keep(dst, in->tls_identity) : NULL;
    t.pass = 1;
    if (!t.host || !t.domain || (in->tls_identity && !t.tls_identity))
        return VX_ENOMEM;
    dst->targets[dst->count++] = t;
    return VX_OK;
}

int vx__sip_result_append(vx__sip_result *dst, const vx__sip_result *src)
{
    size_t room = dst->count + src->count;
    vx__sip_target *grown = realloc(dst->targets, (room ? room : 1) * sizeof(*grown));
    if (!grown)
        return VX_ENOMEM;
    dst->targets = grown;
    size_t before = dst->count;
    for (size_t i = 0; i < src->count && dst->count < VX__SIP_MAX_TARGETS; i++) {
        const vx__sip_target *t = &src->targets[i];
        if (is_duplicate(dst, t->transport, (const struct sockaddr *)&t->addr))
            continue;
        if (append_one(dst, t) != VX_OK) {
            dst->count = before;
            return VX_ENOMEM;
        }
    }
    if (order_targets(dst) != VX_OK)
        return VX_ENOMEM;
    if (dst->count > 0)
        dst->status = VX_OK;
    return VX_OK;
}

void vx__sip_result_free(vx__sip_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->string_count; i++)
        free(res->strings[i]);
    free(res->strings);
    free(res->targets);
    free(res->drops);
    free(res->services);
    free(res);
}

const char *vx__sip_source_name(vx__sip_source s)
{
    static const char *const names[] = {"numeric", "naptr", "srv", "a"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *vx__sip_drop_name(vx__sip_drop_reason r)
{
    static const char *const names[] = {"policy", "no-service", "no-address", "unsupported",
                                        "duplicate"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}
