/*
 * probe/walk.c — iterative resolution from root hints with every step reported (see walk.h).
 *
 * One walk has at most one query on the wire at a time: it is a chain of dependent round trips
 * by nature. Independent walks (the audit's many questions) run concurrently on one engine.
 */
#include "probe/walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/name.h"
#include "wire/query.h"
#include "wire/rrutil.h"

#define MAX_REFERRALS 30
#define MAX_CNAME_HOPS 8
#define MAX_DEPTH 4
#define DEFAULT_MAX_QUERIES 200

/* An NS name that came without glue, and the address type still to look up for it. */
typedef struct pending_lookup {
    char *name;
    uint16_t type;
} pending_lookup;

typedef struct walk walk;
struct walk {
    vx__engine *engine;
    vx__walk_opts opts;
    unsigned depth;
    unsigned *queries; /* shared by a walk and its nested lookups */
    unsigned own_queries;
    char qname[VX__NAME_TEXT_MAX];
    uint16_t qtype;
    char zone[VX__NAME_TEXT_MAX];
    vx__server_set servers;
    size_t next_server;
    size_t current; /* index in servers of the server being asked */
    pending_lookup *pending;
    size_t pending_count;
    size_t pending_next;
    const char *lookup_name; /* the pending NS name a nested walk is resolving */
    unsigned referrals;
    unsigned cname_hops;
    bool heard;       /* a server of the current zone answered something (even uselessly) */
    int last_silence; /* why the last server that did not answer did not (timeout, refused) */
    uint64_t started_ns;
    vx__walk_done_cb done;
    void *arg;
    char error[256];
};

static int ask_next(walk *w);

void vx__walk_opts_default(vx__walk_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->ipv4 = true;
    opts->ipv6 = true;
    opts->max_queries = DEFAULT_MAX_QUERIES;
}

const char *vx__walk_event_name(vx__walk_event e)
{
    static const char *const names[] = {"referral", "answer", "nodata",    "nxdomain",
                                        "cname",    "lame",   "no answer", "ns lookup"};
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown";
}

static void clear_pending(walk *w)
{
    for (size_t i = 0; i < w->pending_count; i++)
        free(w->pending[i].name);
    free(w->pending);
    w->pending = NULL;
    w->pending_count = w->pending_next = 0;
}

static void walk_free(walk *w)
{
    clear_pending(w);
    vx__server_set_clear(&w->servers);
    free(w);
}

static int set_error(walk *w, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof(w->error), fmt, ap);
    va_end(ap);
    return status;
}

static int copy_servers(vx__server_set *dst, const vx__server_set *src)
{
    vx__server_set_init(dst);
    for (size_t i = 0; i < src->count; i++) {
        int rc = vx__server_set_add(dst, src->items[i].name,
                                    (const struct sockaddr *)&src->items[i].addr);
        if (rc != VX_OK)
            return rc;
    }
    return VX_OK;
}

/* Starts (again) at the root for w->qname: the beginning, and after a CNAME. */
static int restart_at_root(walk *w)
{
    clear_pending(w);
    vx__server_set_clear(&w->servers);
    snprintf(w->zone, sizeof(w->zone), ".");
    w->next_server = 0;
    w->heard = false;
    return copy_servers(&w->servers, w->opts.hints);
}

static void emit(walk *w, vx__walk_event ev, const vx__query_result *q, const vx__msg *m,
                 const char *detail)
{
    if (!w->opts.on_step)
        return;
    vx__walk_step step = {
        .event = ev,
        .depth = w->depth,
        .qname = w->qname,
        .qtype = w->qtype,
        .zone = w->zone,
        .server = q ? &w->servers.items[w->current] : NULL,
        .query = q,
        .msg = m,
        .detail = detail,
        .zone_servers = &w->servers,
    };
    w->opts.on_step(w->opts.step_arg, &step);
}

static void finish(walk *w, int status, const vx__query_result *q, const vx__msg *m)
{
    vx__walk_result r = {
        .status = status,
        .error = (status == VX_OK || status == VX_ENOTFOUND) ? "" : w->error,
        .qname = w->qname,
        .zone = w->zone,
        .server = q ? &w->servers.items[w->current] : NULL,
        .query = q,
        .msg = m,
        .queries = *w->queries,
        .referrals = w->referrals,
        .elapsed_ms = (double)(uv_hrtime() - w->started_ns) / 1e6,
    };
    w->done(w->arg, &r);
    walk_free(w);
}

static void continue_or_finish(walk *w)
{
    int rc = ask_next(w);
    if (rc != VX_OK)
        finish(w, rc, NULL, NULL);
}

static bool family_allowed(const walk *w, const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? w->opts.ipv4 : w->opts.ipv6;
}

/* --- responses ------------------------------------------------------------------------------ */

/* Follows a CNAME chain inside one answer section. Returns true when the chain ends in records
 * of the wanted type (then w->qname is the final name), false when it leaves the section (then
 * target holds the name to resolve from the root). */
static bool follow_cnames_in_answer(walk *w, const ldns_rr_list *an, char *target, size_t cap)
{
    snprintf(target, cap, "%s", w->qname);
    for (unsigned hops = 0; hops <= MAX_CNAME_HOPS; hops++) {
        if (vx__rr_count(an, target, w->qtype) > 0) {
            snprintf(w->qname, sizeof(w->qname), "%s", target);
            return true;
        }
        const ldns_rr *cname = vx__rr_find(an, target, LDNS_RR_TYPE_CNAME);
        if (!cname || vx__rr_dname(cname, 0, target, cap) != VX_OK)
            return false;
    }
    return false;
}

static void on_cname(walk *w, const vx__query_result *q, vx__msg *m, const ldns_rr_list *an)
{
    char target[VX__NAME_TEXT_MAX];
    if (follow_cnames_in_answer(w, an, target, sizeof(target))) {
        emit(w, VX__WALK_ANSWER, q, m, NULL);
        finish(w, VX_OK, q, m);
        return;
    }
    emit(w, VX__WALK_CNAME, q, m, target);
    if (++w->cname_hops > MAX_CNAME_HOPS || strcmp(target, w->qname) == 0) {
        finish(w, set_error(w, VX_ELIMIT, "CNAME chain too long or looping at %s", target), q, m);
        return;
    }
    snprintf(w->qname, sizeof(w->qname), "%s", target);
    int rc = restart_at_root(w);
    if (rc == VX_OK)
        rc = ask_next(w);
    if (rc != VX_OK)
        finish(w, rc, NULL, NULL);
}

/* The owner of the NS records in the authority section, when they form a referral to a zone
 * strictly below the current one that contains the name being resolved. */
static bool referral_zone(const ldns_rr_list *auth, char *out, size_t cap)
{
    const ldns_rr *ns = NULL;
    for (size_t i = 0; auth && i < ldns_rr_list_rr_count(auth) && !ns; i++)
        if (vx__rr_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NS)
            ns = ldns_rr_list_rr(auth, i);
    return ns && vx__rr_owner(ns, out, cap) == VX_OK;
}

static bool referral_is_downward(const walk *w, const char *child)
{
    return strcmp(child, w->zone) != 0 && vx__name_is_subdomain(child, w->zone) &&
           vx__name_is_subdomain(w->qname, child);
}

static int add_pending(walk *w, const char *name, uint16_t type)
{
    pending_lookup *p = realloc(w->pending, (w->pending_count + 1) * sizeof(*p));
    if (!p)
        return VX_ENOMEM;
    w->pending = p;
    p[w->pending_count].name = strdup(name);
    p[w->pending_count].type = type;
    if (!p[w->pending_count].name)
        return VX_ENOMEM;
    w->pending_count++;
    return VX_OK;
}

/* Collects the child zone's servers: glue for NS names in the bailiwick of the zone that sent
 * the referral (anything else could be a poisoning attempt), and a lookup for every NS name
 * without usable glue. */
static int collect_referral(walk *w, const vx__msg *m, const char *child, vx__server_set *next,
                            unsigned *ns_count)
{
    const ldns_rr_list *auth = ldns_pkt_authority(m->pkt);
    const ldns_rr_list *add = ldns_pkt_additional(m->pkt);
    int rc = VX_OK;
    *ns_count = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth) && rc == VX_OK; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        char ns[VX__NAME_TEXT_MAX];
        if (vx__rr_type(rr) != LDNS_RR_TYPE_NS || !vx__rr_owner_is(rr, child) ||
            vx__rr_dname(rr, 0, ns, sizeof(ns)) != VX_OK)
            continue;
        (*ns_count)++;
        size_t before = next->count;
        for (size_t j = 0; vx__name_in_bailiwick(ns, w->zone) && j < ldns_rr_list_rr_count(add);
             j++) {
            const ldns_rr *glue = ldns_rr_list_rr(add, j);
            struct sockaddr_storage ss;
            if (vx__rr_owner_is(glue, ns) && vx__rr_addr(glue, 53, &ss) == VX_OK &&
                family_allowed(w, &ss))
                rc = vx__server_set_add(next, ns, (struct sockaddr *)&ss);
        }
        if (next->count == before && rc == VX_OK && !vx__server_set_has_name(next, ns))
            rc = add_pending(w, ns, w->opts.ipv4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
    }
    /* IPv6 lookups come after every IPv4 one: a v4-only host tries all of those first. */
    for (size_t i = 0, n = w->pending_count; rc == VX_OK && i < n && w->opts.ipv4 && w->opts.ipv6;
         i++)
        rc = add_pending(w, w->pending[i].name, LDNS_RR_TYPE_AAAA);
    return rc;
}

static void on_referral(walk *w, const vx__query_result *q, vx__msg *m, const char *child)
{
    vx__server_set next;
    unsigned ns_count = 0;
    vx__server_set_init(&next);
    clear_pending(w);
    int rc = collect_referral(w, m, child, &next, &ns_count);
    if (rc != VX_OK) {
        vx__server_set_clear(&next);
        finish(w, rc, q, m);
        return;
    }
    vx__server_set_v4_first(&next);
    if (w->opts.on_step) {
        vx__walk_step step = {.event = VX__WALK_REFERRAL,
                              .depth = w->depth,
                              .qname = w->qname,
                              .qtype = w->qtype,
                              .zone = w->zone,
                              .server = &w->servers.items[w->current],
                              .query = q,
                              .msg = m,
                              .detail = child,
                              .referral = &next,
                              .zone_servers = &w->servers,
                              .referral_ns_count = ns_count};
        w->opts.on_step(w->opts.step_arg, &step);
    }
    if (w->opts.stop_at && strcmp(child, w->opts.stop_at) == 0) {
        vx__server_set_clear(&next);
        finish(w, VX_OK, q, m);
        return;
    }
    vx__server_set_clear(&w->servers);
    w->servers = next;
    w->next_server = 0;
    w->heard = false;
    snprintf(w->zone, sizeof(w->zone), "%s", child);
    if (++w->referrals > MAX_REFERRALS) {
        finish(w, set_error(w, VX_ELIMIT, "more than %d referrals", MAX_REFERRALS), NULL, NULL);
        return;
    }
    continue_or_finish(w);
}

static void on_lame(walk *w, const vx__query_result *q, vx__msg *m, const char *why)
{
    emit(w, VX__WALK_LAME, q, m, why);
    continue_or_finish(w);
}

static void handle_response(walk *w, const vx__query_result *q, vx__msg *m)
{
    const ldns_rr_list *an = ldns_pkt_answer(m->pkt);
    uint16_t rcode = vx__msg_rcode(m);
    char child[VX__NAME_TEXT_MAX];
    char why[96];
    if (rcode == LDNS_RCODE_NXDOMAIN) {
        emit(w, VX__WALK_NXDOMAIN, q, m, NULL);
        finish(w, VX_ENOTFOUND, q, m);
    } else if (rcode != LDNS_RCODE_NOERROR) {
        snprintf(why, sizeof(why), "rcode %s", vx__rcode_to_text(rcode));
        on_lame(w, q, m, why);
    } else if (vx__rr_count(an, w->qname, w->qtype) > 0) {
        emit(w, VX__WALK_ANSWER, q, m, NULL);
        finish(w, VX_OK, q, m);
    } else if (w->qtype != LDNS_RR_TYPE_CNAME && vx__rr_find(an, w->qname, LDNS_RR_TYPE_CNAME)) {
        on_cname(w, q, m, an);
    } else if (vx__msg_aa(m)) {
        emit(w, VX__WALK_NODATA, q, m, NULL);
        finish(w, VX_OK, q, m);
    } else if (referral_zone(ldns_pkt_authority(m->pkt), child, sizeof(child))) {
        if (referral_is_downward(w, child))
            on_referral(w, q, m, child);
        else {
            snprintf(why, sizeof(why), "bad referral to %.60s", child);
            on_lame(w, q, m, why);
        }
    } else {
        on_lame(w, q, m, "not authoritative and no referral");
    }
}

static void on_response(void *arg, const vx__query_result *q)
{
    walk *w = arg;
    if (q->status == VX_ECANCELED) {
        finish(w, set_error(w, VX_ECANCELED, "cancelled"), NULL, NULL);
        return;
    }
    if (q->status != VX_OK) {
        w->last_silence = q->status;
        emit(w, VX__WALK_NO_ANSWER, q, NULL, vx_strerror(q->status));
        continue_or_finish(w);
        return;
    }
    vx__msg *m = NULL;
    w->heard = true;
    if (vx__msg_parse(q->wire, q->wire_len, &m) != VX_OK) {
        emit(w, VX__WALK_LAME, q, NULL, "malformed response");
        continue_or_finish(w);
        return;
    }
    handle_response(w, q, m);
    vx__msg_free(m);
}

/* --- asking --------------------------------------------------------------------------------- */

static int send_query(walk *w, size_t idx)
{
    vx__question question;
    int rc = vx__question_from_text(w->qname, w->qtype, LDNS_RR_CLASS_IN, &question);
    if (rc != VX_OK)
        return set_error(w, rc, "invalid name %s", w->qname);
    vx__query_spec spec = {
        .server = (const struct sockaddr *)&w->servers.items[idx].addr,
        .question = &question,
        .flags = w->opts.query_flags & ~(unsigned)VX__Q_RD,
    };
    rc = vx__engine_query(w->engine, &spec, on_response, w);
    if (rc != VX_OK)
        return set_error(w, rc, "cannot send a query: %s", vx_strerror(rc));
    w->current = idx;
    (*w->queries)++;
    return VX_OK;
}

static int start_walk(vx__engine *engine, const char *qname, uint16_t qtype,
                      const vx__walk_opts *opts, walk *parent, vx__walk_done_cb done, void *arg);

static void on_lookup_done(void *arg, const vx__walk_result *r)
{
    walk *w = arg;
    const ldns_rr_list *an = r->msg ? ldns_pkt_answer(r->msg->pkt) : NULL;
    for (size_t i = 0; r->status == VX_OK && an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        struct sockaddr_storage ss;
        if (vx__rr_owner_is(rr, r->qname) && vx__rr_addr(rr, 53, &ss) == VX_OK &&
            family_allowed(w, &ss) &&
            vx__server_set_add(&w->servers, w->lookup_name, (struct sockaddr *)&ss) != VX_OK) {
            finish(w, set_error(w, VX_ENOMEM, "out of memory"), NULL, NULL);
            return;
        }
    }
    continue_or_finish(w);
}

static int start_lookup(walk *w, const pending_lookup *p)
{
    vx__walk_step step = {.event = VX__WALK_NS_LOOKUP,
                          .depth = w->depth,
                          .qname = p->name,
                          .qtype = p->type,
                          .zone = w->zone,
                          .detail = p->name};
    if (w->opts.on_step)
        w->opts.on_step(w->opts.step_arg, &step);
    w->lookup_name = p->name;
    return start_walk(w->engine, p->name, p->type, &w->opts, w, on_lookup_done, w);
}

static int ask_next(walk *w)
{
    if (*w->queries >= w->opts.max_queries)
        return set_error(w, VX_ELIMIT, "gave up after %u queries", *w->queries);
    while (w->next_server < w->servers.count) {
        size_t idx = w->next_server++;
        if (!family_allowed(w, &w->servers.items[idx].addr))
            continue;
        int rc = send_query(w, idx);
        if (rc == VX_OK || rc == VX_ECANCELED || rc == VX_ENOMEM)
            return rc;
    }
    while (w->depth + 1 < MAX_DEPTH && w->pending_next < w->pending_count) {
        const pending_lookup *p = &w->pending[w->pending_next++];
        if (start_lookup(w, p) == VX_OK)
            return VX_OK;
    }
    if (w->servers.count == 0 && w->pending_count == 0)
        return set_error(w, VX_ESERVFAIL, "no usable address for any server of zone %s", w->zone);
    if (!w->heard && w->last_silence != VX_OK)
        return set_error(w, w->last_silence, "no server of zone %s answered for %s (%s)", w->zone,
                         w->qname, vx_strerror(w->last_silence));
    return set_error(w, VX_ESERVFAIL, "no server of zone %s gave a usable answer for %s", w->zone,
                     w->qname);
}

static int start_walk(vx__engine *engine, const char *qname, uint16_t qtype,
                      const vx__walk_opts *opts, walk *parent, vx__walk_done_cb done, void *arg)
{
    walk *w = calloc(1, sizeof(*w));
    if (!w)
        return VX_ENOMEM;
    w->engine = engine;
    w->opts = *opts;
    w->depth = parent ? parent->depth + 1 : 0;
    w->queries = parent ? parent->queries : &w->own_queries;
    w->qtype = qtype;
    w->done = done;
    w->arg = arg;
    w->started_ns = uv_hrtime();
    int rc = vx__name_normalize(qname, w->qname, sizeof(w->qname));
    if (rc == VX_OK)
        rc = restart_at_root(w);
    if (rc == VX_OK)
        rc = ask_next(w);
    if (rc != VX_OK)
        walk_free(w);
    return rc;
}

int vx__walk_start(vx__engine *engine, const char *qname, uint16_t qtype, const vx__walk_opts *opts,
                   vx__walk_done_cb done, void *arg)
{
    if (!engine || !qname || !opts || !opts->hints || opts->hints->count == 0 || !done)
        return VX_EINVAL;
    if (!opts->ipv4 && !opts->ipv6)
        return VX_EINVAL;
    vx__walk_opts o = *opts;
    if (o.max_queries == 0)
        o.max_queries = DEFAULT_MAX_QUERIES;
    return start_walk(engine, qname, qtype, &o, NULL, done, arg);
}
