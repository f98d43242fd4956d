/*
 * sip/locate_steps.c — owns the RFC 3263 steps of one SIP domain (a job): how to begin
 * (numeric TARGET, explicit port, explicit transport, NAPTR), NAPTR filtering and ordering,
 * the SRV queries that follow (from NAPTR replacements or the default service names), RFC 2782
 * ordering and the domain policy on SRV targets, the A/AAAA fallback, and the addresses.
 */
#include "sip/locate_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/addr.h"

static bool supported(const vx__sip_locator *loc, vx__sip_transport t)
{
    return t != 0 && (loc->opts.transports & t) != 0;
}

/* RFC 3263 §4.1: UDP for sip, TCP (that is TLS) for sips. A caller without UDP may use
 * another transport ("another transport protocol, such as TCP, MAY be used"); sips never
 * falls back to anything but TLS. 0 when the caller supports nothing suitable. */
static vx__sip_transport default_transport(const vx__sip_locator *loc, const vx__sip_job *job)
{
    static const vx__sip_transport order[] = {VX__SIP_UDP, VX__SIP_TCP, VX__SIP_TLS, VX__SIP_SCTP};
    if (job->uri.secure)
        return supported(loc, VX__SIP_TLS) ? VX__SIP_TLS : 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (supported(loc, order[i]))
            return order[i];
    return 0;
}

static uint32_t min_ttl(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static bool lk_done(const vx__sip_locator *loc, size_t idx)
{
    const vx__sip_lookup *lk = vx__sip_lk_at(loc, idx);
    return !lk || lk->state == VX__SIP_LK_DONE;
}

/* ---- building blocks ------------------------------------------------------------------- */

static void add_host(vx__sip_locator *loc, vx__sip_job *job, const vx__sip_host_step *h)
{
    if (job->host_count == VX__SIP_MAX_TARGETS) {
        vx__sip_note_error(loc, VX_ELIMIT);
        return;
    }
    vx__sip_host_step *grown = realloc(job->hosts, (job->host_count + 1) * sizeof *grown);
    char *name = strdup(h->name);
    if (!grown || !name) {
        if (grown)
            job->hosts = grown;
        free(name);
        vx__sip_note_error(loc, VX_ENOMEM);
        return;
    }
    job->hosts = grown;
    grown[job->host_count] = *h;
    grown[job->host_count].name = name;
    grown[job->host_count].lk_a = grown[job->host_count].lk_aaaa = VX__SIP_NO_LOOKUP;
    job->host_count++;
}

static void add_srv_step(vx__sip_locator *loc, vx__sip_job *job, vx__sip_transport t,
                         const char *name, vx__sip_source source, uint32_t ttl)
{
    if (job->srv_count == sizeof job->srv / sizeof job->srv[0])
        return;
    size_t lk = vx__sip_lk_add(loc, name, VX__SIP_RR_SRV);
    if (lk == VX__SIP_NO_LOOKUP)
        return;
    /* every_path may reach one name twice (a NAPTR replacement that is a default name). */
    for (size_t i = 0; i < job->srv_count; i++)
        if (job->srv[i].lk == lk && job->srv[i].transport == t)
            return;
    job->srv[job->srv_count++] = (vx__sip_srv_step){lk, t, source, false, ttl};
}

/* Asks A/AAAA for every host and moves to the address stage (or ends the job if there is
 * no host left to ask about). */
static void begin_addr(vx__sip_locator *loc, vx__sip_job *job)
{
    for (size_t i = 0; i < job->host_count; i++) {
        vx__sip_host_step *h = &job->hosts[i];
        if (loc->opts.families & VX__SIP_AF_V6)
            h->lk_aaaa = vx__sip_lk_add(loc, h->name, VX__SIP_RR_AAAA);
        if (loc->opts.families & VX__SIP_AF_V4)
            h->lk_a = vx__sip_lk_add(loc, h->name, VX__SIP_RR_A);
    }
    job->stage = job->host_count ? VX__SIP_ST_ADDR : VX__SIP_ST_DONE;
}

/* A/AAAA of TARGET itself with transport t at port (the explicit-port and no-SRV cases). */
static void begin_target_addr(vx__sip_locator *loc, vx__sip_job *job, vx__sip_transport t,
                              uint16_t port)
{
    if (!supported(loc, t)) {
        vx__sip_add_drop(loc, job, VX__SIP_DROP_UNSUPPORTED, job->target, t, port);
        vx__sip_note_error(loc, VX_EUNSUPPORTED);
        job->stage = VX__SIP_ST_DONE;
        return;
    }
    vx__sip_host_step h = {.name = (char *)job->target,
                           .port = port ? port : vx__sip_default_port(t),
                           .transport = t,
                           .source = VX__SIP_SRC_A,
                           .ttl = UINT32_MAX};
    add_host(loc, job, &h);
    begin_addr(loc, job);
}

/* ---- starting a job -------------------------------------------------------------------- */

static void start_numeric(vx__sip_locator *loc, vx__sip_job *job)
{
    vx__sip_transport t = job->uri.transport ? job->uri.transport : default_transport(loc, job);
    vx__sip_host_step h = {.name = (char *)job->target,
                           .port = job->uri.port ? job->uri.port : vx__sip_default_port(t),
                           .transport = t,
                           .source = VX__SIP_SRC_NUMERIC,
                           .ttl = UINT32_MAX};
    vx__sip_addr a = {.ttl = UINT32_MAX};
    socklen_t len;
    job->stage = VX__SIP_ST_DONE;
    if (!supported(loc, t)) {
        vx__sip_add_drop(loc, job, VX__SIP_DROP_UNSUPPORTED, job->target, t, h.port);
        vx__sip_note_error(loc, VX_EUNSUPPORTED);
        return;
    }
    if (vx__addr_parse(job->target, h.port, &a.addr, &len) == VX_OK)
        vx__sip_add_target(loc, job, &h, &a, UINT32_MAX);
}

static void set_identity(vx__sip_job *job)
{
    size_t n = strlen(job->uri.host);
    memcpy(job->identity, job->uri.host, n + 1);
    if (n > 1 && job->identity[n - 1] == '.')
        job->identity[n - 1] = '\0';
}

/* "_sip._udp" + "." + target, checked to be a valid name (the target may be near 255). */
static bool srv_name(const char *prefix, const char *target, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s.%s", prefix, target);
    return n > 0 && (size_t)n < cap && vx__name_label_count(out) > 0;
}

static const char *srv_prefix(vx__sip_transport t)
{
    switch (t) {
    case VX__SIP_UDP:
        return "_sip._udp";
    case VX__SIP_TCP:
        return "_sip._tcp";
    case VX__SIP_TLS:
        return "_sips._tcp";
    case VX__SIP_SCTP:
        return "_sip._sctp";
    }
    return "_sip._udp";
}

int vx__sip_srv_owner(vx__sip_transport t, const char *domain, char *out, size_t cap)
{
    char norm[VX__NAME_TEXT_MAX];
    if (!domain || !out || vx__name_normalize(domain, norm, sizeof norm) != VX_OK)
        return VX_EINVAL;
    return srv_name(srv_prefix(t), norm, out, cap) ? VX_OK : VX_EINVAL;
}

int vx__sip_entry_questions(const char *domain, vx__sip_question_fn fn, void *ctx)
{
    static const vx__sip_transport order[] = {VX__SIP_TLS, VX__SIP_TCP, VX__SIP_UDP};
    char norm[VX__NAME_TEXT_MAX], name[VX__NAME_TEXT_MAX];
    if (!fn || !domain || vx__name_normalize(domain, norm, sizeof norm) != VX_OK)
        return VX_EINVAL;
    fn(ctx, norm, VX__SIP_RR_NAPTR);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (srv_name(srv_prefix(order[i]), norm, name, sizeof name))
            fn(ctx, name, VX__SIP_RR_SRV);
    return VX_OK;
}

/* RFC 3263 §4.2: a transport but no port → SRV for that transport only. */
static void start_explicit_transport(vx__sip_locator *loc, vx__sip_job *job)
{
    char name[VX__NAME_TEXT_MAX];
    if (!srv_name(srv_prefix(job->uri.transport), job->target, name, sizeof name)) {
        begin_target_addr(loc, job, job->uri.transport, 0);
        return;
    }
    add_srv_step(loc, job, job->uri.transport, name, VX__SIP_SRC_SRV, UINT32_MAX);
    job->stage = VX__SIP_ST_SRV;
}

void vx__sip_job_start(vx__sip_locator *loc, vx__sip_job *job)
{
    const vx__sip_uri *u = &job->uri;
    job->target = u->maddr[0] ? u->maddr : u->host;
    job->target_is_ip = u->maddr[0] ? u->maddr_is_ip : u->host_is_ip;
    job->naptr_lk = VX__SIP_NO_LOOKUP;
    set_identity(job);
    /* An explicit transport the caller lacks, or sips without TLS: nothing to ask. */
    if ((u->transport && !supported(loc, u->transport)) ||
        (u->secure && !supported(loc, VX__SIP_TLS))) {
        vx__sip_transport t = u->transport ? u->transport : VX__SIP_TLS;
        vx__sip_add_drop(loc, job, VX__SIP_DROP_UNSUPPORTED, job->target, t, u->port);
        vx__sip_note_error(loc, VX_EUNSUPPORTED);
        job->stage = VX__SIP_ST_DONE;
    } else if (job->target_is_ip) {
        start_numeric(loc, job);
    } else if (u->port) {
        begin_target_addr(loc, job, u->transport ? u->transport : default_transport(loc, job),
                          u->port);
    } else if (u->transport) {
        start_explicit_transport(loc, job);
    } else {
        job->naptr_lk = vx__sip_lk_add(loc, job->target, VX__SIP_RR_NAPTR);
        job->stage = VX__SIP_ST_NAPTR;
    }
}

/* ---- NAPTR ----------------------------------------------------------------------------- */

/* RFC 3263 §4.1: only "s" records of SIP services the caller supports; a sips URI keeps only
 * SIPS services. The policy is checked last, so that only records that would have been used
 * are reported as dropped for it. */
static bool naptr_usable(vx__sip_locator *loc, const vx__sip_job *job, const vx__sip_naptr_copy *c)
{
    if (!c->flag_s || !supported(loc, c->transport) || (job->uri.secure && !c->secure))
        return false;
    if (strcmp(c->replacement, ".") == 0)
        return false;
    if (!vx__sip_policy_allows(loc->opts.policy, job->uri.host, c->replacement)) {
        vx__sip_add_drop(loc, job, VX__SIP_DROP_POLICY, c->replacement, c->transport, 0);
        return false;
    }
    return true;
}

static bool naptr_before(const vx__sip_naptr_copy *a, const vx__sip_naptr_copy *b)
{
    return a->order < b->order || (a->order == b->order && a->pref < b->pref);
}

/* SRV for _sips._tcp, _sip._tcp, _sip._udp, _sip._sctp: most secure first (RFC 3263 lets the
 * client pick among the transports that answer). */
static void add_default_srv_steps(vx__sip_locator *loc, vx__sip_job *job)
{
    static const vx__sip_transport order[] = {VX__SIP_TLS, VX__SIP_TCP, VX__SIP_UDP, VX__SIP_SCTP};
    char name[VX__NAME_TEXT_MAX];
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!supported(loc, order[i]) || (job->uri.secure && order[i] != VX__SIP_TLS))
            continue;
        if (srv_name(srv_prefix(order[i]), job->target, name, sizeof name))
            add_srv_step(loc, job, order[i], name, VX__SIP_SRC_SRV, UINT32_MAX);
    }
    for (size_t i = 0; i < loc->extra_count; i++) {
        vx__sip_transport t = loc->extra[i].transport;
        if (!supported(loc, t) || (job->uri.secure && t != VX__SIP_TLS) ||
            !srv_name(loc->extra[i].prefix, job->target, name, sizeof name))
            continue;
        size_t before = job->srv_count;
        add_srv_step(loc, job, t, name, VX__SIP_SRC_SRV, UINT32_MAX);
        if (job->srv_count > before)
            job->srv[before].extra = true;
    }
}

static void after_naptr(vx__sip_locator *loc, vx__sip_job *job)
{
    const vx__sip_lookup *lk = vx__sip_lk_at(loc, job->naptr_lk);
    const vx__sip_naptr_copy *use[VX__SIP_MAX_NAPTR];
    size_t n = 0;
    for (size_t i = 0; lk && lk->status == VX_OK && i < lk->naptr_count; i++) {
        const vx__sip_naptr_copy *c = &lk->naptr[i];
        if (!naptr_usable(loc, job, c))
            continue;
        size_t j = n++;
        for (; j > 0 && naptr_before(c, use[j - 1]); j--)
            use[j] = use[j - 1];
        use[j] = c;
    }
    for (size_t i = 0; i < n; i++)
        add_srv_step(loc, job, use[i]->transport, use[i]->replacement, VX__SIP_SRC_NAPTR,
                     min_ttl(use[i]->ttl, lk->ttl_floor));
    if (n > 0)
        job->naptr_transport = use[0]->transport;
    if (n == 0 || loc->opts.every_path)
        add_default_srv_steps(loc, job);
    job->stage = VX__SIP_ST_SRV;
}

/* ---- SRV ------------------------------------------------------------------------------- */

static void take_srv_record(vx__sip_locator *loc, vx__sip_job *job, const vx__sip_srv_step *s,
                            const vx__sip_lookup *lk, const vx__sip_srv *rec)
{
    if (strcmp(rec->target, ".") == 0 || rec->port == 0) {
        vx__sip_add_drop(loc, job, VX__SIP_DROP_NO_SERVICE, lk->origname, s->transport, rec->port);
        return;
    }
    if (!vx__sip_policy_allows(loc->opts.policy, job->uri.host, rec->target)) {
        vx__sip_add_drop(loc, job, VX__SIP_DROP_POLICY, rec->target, s->transport, rec->port);
        return;
    }
    vx__sip_host_step h = {.name = (char *)rec->target,
                           .port = rec->port,
                           .transport = s->transport,
                           .source = s->source,
                           .priority = rec->priority,
                           .weight = rec->weight,
                           .ttl = min_ttl(min_ttl(s->ttl, rec->ttl), lk->ttl_floor)};
    add_host(loc, job, &h);
}

/* Orders a copy: the table's answer may serve another job too. */
static void take_srv_set(vx__sip_locator *loc, vx__sip_job *job, const vx__sip_srv_step *s,
                         const vx__sip_lookup *lk)
{
    vx__sip_srv set[VX__SIP_MAX_SRV];
    memcpy(set, lk->srv, lk->srv_count * sizeof *set);
    vx__sip_srv_order(set, lk->srv_count, loc->opts.random, loc->opts.random_ctx);
    for (size_t i = 0; i < lk->srv_count; i++)
        take_srv_record(loc, job, s, lk, &set[i]);
}

static void after_srv(vx__sip_locator *loc, vx__sip_job *job)
{
    bool any = false;
    for (size_t i = 0; i < job->srv_count; i++) {
        const vx__sip_lookup *lk = vx__sip_lk_at(loc, job->srv[i].lk);
        if (lk)
            vx__sip_add_service(loc, job, &job->srv[i], lk);
        if (!lk || lk->status != VX_OK || lk->srv_count == 0)
            continue;
        any = true;
        take_srv_set(loc, job, &job->srv[i], lk);
    }
    if (any) {
        begin_addr(loc, job);
        return;
    }
    /* RFC 3263 §4.2: no SRV at all → A/AAAA of TARGET, transport as determined so far. */
    vx__sip_transport t = job->naptr_transport ? job->naptr_transport
                          : job->uri.transport ? job->uri.transport
                                               : default_transport(loc, job);
    begin_target_addr(loc, job, t, 0);
}

/* ---- addresses ------------------------------------------------------------------------- */

static size_t take_addrs(vx__sip_locator *loc, vx__sip_job *job, const vx__sip_host_step *h,
                         size_t idx)
{
    const vx__sip_lookup *lk = vx__sip_lk_at(loc, idx);
    if (!lk || lk->status != VX_OK)
        return 0;
    for (size_t i = 0; i < lk->addr_count; i++)
        vx__sip_add_target(loc, job, h, &lk->addr[i],
                           min_ttl(min_ttl(h->ttl, lk->addr[i].ttl), lk->ttl_floor));
    return lk->addr_count;
}

static void after_addr(vx__sip_locator *loc, vx__sip_job *job)
{
    for (size_t i = 0; i < job->host_count; i++) {
        const vx__sip_host_step *h = &job->hosts[i];
        size_t first = loc->opts.ipv4_first ? h->lk_a : h->lk_aaaa;
        size_t second = loc->opts.ipv4_first ? h->lk_aaaa : h->lk_a;
        size_t found = take_addrs(loc, job, h, first);
        found += take_addrs(loc, job, h, second);
        if (found == 0)
            vx__sip_add_drop(loc, job, VX__SIP_DROP_NO_ADDRESS, h->name, h->transport, h->port);
    }
    job->stage = VX__SIP_ST_DONE;
}

/* ---- the stage machine ----------------------------------------------------------------- */

bool vx__sip_job_ready(const vx__sip_locator *loc, const vx__sip_job *job)
{
    switch (job->stage) {
    case VX__SIP_ST_NAPTR:
        return lk_done(loc, job->naptr_lk);
    case VX__SIP_ST_SRV:
        for (size_t i = 0; i < job->srv_count; i++)
            if (!lk_done(loc, job->srv[i].lk))
                return false;
        return true;
    case VX__SIP_ST_ADDR:
        for (size_t i = 0; i < job->host_count; i++)
            if (!lk_done(loc, job->hosts[i].lk_a) || !lk_done(loc, job->hosts[i].lk_aaaa))
                return false;
        return true;
    }
    return true;
}

void vx__sip_job_step(vx__sip_locator *loc, vx__sip_job *job)
{
    switch (job->stage) {
    case VX__SIP_ST_NAPTR:
        after_naptr(loc, job);
        break;
    case VX__SIP_ST_SRV:
        after_srv(loc, job);
        break;
    case VX__SIP_ST_ADDR:
        after_addr(loc, job);
        break;
    default:
        job->stage = VX__SIP_ST_DONE;
    }
}

void vx__sip_job_clear(vx__sip_job *job)
{
    for (size_t i = 0; i < job->host_count; i++)
        free(job->hosts[i].name);
    free(job->hosts);
    job->hosts = NULL;
    job->host_count = 0;
}
