/*
 * probe/audit.c — the audit's collector (see audit.h and docs/audit-probes.md).
 *
 * The collector is a set of growing lists that feed each other: NS names found in referrals and
 * NS answers are resolved into addresses; every new address is asked every zone question known;
 * every new zone question (NAPTR replacements and SRV targets inside the domain) is asked of
 * every address known; names outside the domain are resolved iteratively. When nothing is in
 * flight any more, the snapshot is complete.
 */
#include "probe/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/array.h"
#include "common/clock.h"
#include "probe/endpoints.h"
#include "probe/walk.h"
#include "sip/locate_snapshot.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/fingerprint.h"
#include "wire/name.h"
#include "wire/query.h"
#include "wire/rrutil.h"

/* Bounds against hostile or broken data: a zone cannot make the audit ask forever. */
#define MAX_NS_NAMES 32
#define MAX_ZONE_QUESTIONS 256
#define MAX_RESOLVES 512
/* Addresses of a foreign zone asked for one of its names (VX__PROBE_FOREIGN). */
#define MAX_FOREIGN_ADDRS 8
#define CLASS_IN 1
#define CLASS_CH 3
#define TYPE_AXFR 252
#define MAX_CHAIN_ANSWERS 256

typedef enum addr_state { ADDR_UNKNOWN = 0, ADDR_ALIVE, ADDR_DEAD } addr_state;

typedef struct zone_question {
    char *qname;
    uint16_t qtype;
} zone_question;

/* A zone question held for an address whose SOA probe has not settled yet. */
typedef struct deferred {
    size_t question;
    struct deferred *next;
} deferred;

typedef struct address {
    addr_state state;
    deferred *waiting;
} address;

typedef struct name_list {
    char **items;
    size_t count;
    size_t cap;
} name_list;

typedef struct audit {
    vx__engine *engine;
    vx__audit_opts opts;
    char domain[VX__NAME_TEXT_MAX];
    vx__snapshot *snap;
    address *addrs; /* parallel to snap->servers */
    size_t addr_cap;
    zone_question *questions;
    size_t question_count;
    size_t question_cap;
    name_list ns_names;
    name_list resolves;                     /* "name/type" walks started */
    vx__ep_set *endpoints;                  /* NULL when endpoints are not probed */
    uint64_t chain_seen[MAX_CHAIN_ANSWERS]; /* fingerprints of chain answers followed */
    size_t chain_seen_count;
    unsigned pending;
    unsigned asked;
    unsigned answered;
    bool root_reached;
    bool parent_found;
    char last_zone[VX__NAME_TEXT_MAX];
    vx__server_set last_zone_servers;
    uint64_t started_ns;
    int status;
    vx__audit_done_cb done;
    vx__audit_progress_cb progress;
    void *arg;
} audit;

/* What a finished query or walk is for. FOR_ANCESTOR: CAA above the domain (RFC 8659 climbs
 * to it), read by CAA-MISSING but not the domain's data. */
typedef enum purpose { FOR_DATA = 0, FOR_NS_ADDRESS, FOR_CHAIN, FOR_ANCESTOR } purpose;

typedef struct ask_ctx {
    audit *a;
    vx__probe_kind kind;
    size_t addr_index; /* SIZE_MAX: not an authoritative address (parent servers) */
    bool liveness;     /* the SOA probe that settles the address's state */
    char *server_name;
    struct sockaddr_storage addr;
    char qname[VX__NAME_TEXT_MAX];
    uint16_t qtype;
    uint16_t qclass;
    unsigned flags;
    uint64_t time_ms;
} ask_ctx;

typedef struct walk_ctx {
    audit *a;
    purpose why;
    char qname[VX__NAME_TEXT_MAX];
    uint16_t qtype;
    uint64_t time_ms;
    char zone[VX__NAME_TEXT_MAX]; /* the zone whose server gave the final answer */
    vx__server_set zone_servers;  /* that zone's addresses the walk knew then */
} walk_ctx;

static void add_ns_name(audit *a, const char *name);
static void add_zone_question(audit *a, const char *qname, uint16_t qtype);
static void resolve(audit *a, const char *name, uint16_t qtype, purpose why);

void vx__audit_opts_default(vx__audit_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->profile = "generic";
    opts->ipv4 = true;
    opts->ipv6 = true;
}

/* --- lists ---------------------------------------------------------------------------------- */

static bool name_list_has(const name_list *l, const char *s)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static int name_list_add(name_list *l, const char *s)
{
    char **items = vx__grow(l->items, &l->cap, l->count + 1, sizeof *items, 16);
    if (!items)
        return VX_ENOMEM;
    l->items = items;
    l->items[l->count] = strdup(s);
    if (!l->items[l->count])
        return VX_ENOMEM;
    l->count++;
    return VX_OK;
}

static void name_list_clear(name_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void audit_free(audit *a, size_t addr_count)
{
    for (size_t i = 0; i < addr_count; i++) {
        while (a->addrs[i].waiting) {
            deferred *d = a->addrs[i].waiting;
            a->addrs[i].waiting = d->next;
            free(d);
        }
    }
    free(a->addrs);
    for (size_t i = 0; i < a->question_count; i++)
        free(a->questions[i].qname);
    free(a->questions);
    name_list_clear(&a->ns_names);
    name_list_clear(&a->resolves);
    vx__ep_set_free(a->endpoints);
    vx__server_set_clear(&a->last_zone_servers);
    free(a);
}

/* --- finishing ------------------------------------------------------------------------------ */

static void maybe_finish(audit *a)
{
    if (a->pending > 0)
        return;
    vx__snapshot *snap = a->snap;
    size_t addr_count = snap ? snap->server_count : 0;
    if (snap)
        snap->duration_ms = (double)(uv_hrtime() - a->started_ns) / 1e6;
    int status = a->status;
    if (status == VX_OK && !a->root_reached)
        status = VX_ENETWORK;
    vx__audit_done_cb done = a->done;
    void *arg = a->arg;
    audit_free(a, addr_count);
    done(arg, status, snap);
}

static void note_answer(audit *a)
{
    a->answered++;
    if (a->progress)
        a->progress(a->arg, a->answered, a->asked);
}

static void fail(audit *a, int status)
{
    if (a->status == VX_OK)
        a->status = status;
}

/* --- observations --------------------------------------------------------------------------- */

/* Records one observation; the response (msg) may be NULL. Strings are copied by the snapshot. */
static void record(audit *a, vx__probe_kind kind, const char *server, const struct sockaddr *addr,
                   const char *qname, uint16_t qtype, uint16_t qclass, uint64_t time_ms,
                   unsigned qflags, const vx__query_result *q, int status, const vx__msg *msg)
{
    vx__observation obs;
    memset(&obs, 0, sizeof(obs));
    obs.kind = kind;
    obs.qflags = qflags;
    if (msg && q && q->wire &&
        vx__wire_fingerprint(q->wire, q->wire_len, true, &obs.fingerprint) != VX_OK)
        obs.fingerprint = 0;
    obs.server = (char *)(server ? server : "");
    if (addr)
        memcpy(&obs.addr, addr, vx__addr_len(addr));
    /* A failed query has no answering attempt: its transport is that of the last attempt. */
    obs.transport = q ? q->transport : VX__UDP;
    if (q && q->status != VX_OK && q->attempt_count > 0)
        obs.transport = q->attempts[q->attempt_count - 1].transport;
    obs.qname = (char *)qname;
    obs.qtype = qtype;
    obs.qclass = qclass;
    obs.status = status;
    obs.rtt_ms = q ? q->rtt_ms : 0;
    obs.attempts = q ? q->attempt_count : 0;
    obs.time_ms = time_ms;
    int rc = msg ? vx__observation_set_response(&obs, msg) : VX_OK;
    if (rc == VX_OK)
        rc = vx__snapshot_add_obs(a->snap, &obs);
    if (rc != VX_OK)
        fail(a, rc);
    obs.server = NULL;
    obs.qname = NULL;
    vx__observation_clear(&obs);
}

/* --- reacting to answers -------------------------------------------------------------------- */

static void add_address(audit *a, const char *ns_name, const struct sockaddr *addr);

static bool family_allowed(const audit *a, const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET ? a->opts.ipv4 : a->opts.ipv6;
}

static void take_ns_names(audit *a, const ldns_rr_list *list)
{
    char name[VX__NAME_TEXT_MAX];
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (vx__rr_type(rr) == LDNS_RR_TYPE_NS && vx__rr_owner_is(rr, a->domain) &&
            vx__rr_dname(rr, 0, name, sizeof(name)) == VX_OK)
            add_ns_name(a, name);
    }
}

/* Glue from the parent: addresses of NS names in the additional section, accepted for names
 * inside the parent zone (the parent may hold them) — never for unrelated names. */
static void take_glue(audit *a, const vx__msg *m)
{
    const ldns_rr_list *add = ldns_pkt_additional(m->pkt);
    char owner[VX__NAME_TEXT_MAX];
    for (size_t i = 0; add && i < ldns_rr_list_rr_count(add); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(add, i);
        struct sockaddr_storage ss;
        if (vx__rr_owner(rr, owner, sizeof(owner)) != VX_OK ||
            !name_list_has(&a->ns_names, owner) || vx__rr_addr(rr, 53, &ss) != VX_OK)
            continue;
        if (a->snap->parent_zone && vx__name_in_bailiwick(owner, a->snap->parent_zone))
            add_address(a, owner, (struct sockaddr *)&ss);
    }
}

static void add_certificate_questions(audit *a, const char *name);

/* A question the chain needs; a target host's address also brings its certificate questions. */
static void on_endpoint(void *arg, const vx__endpoint_obs *obs)
{
    audit *a = arg;
    if (vx__snapshot_add_endpoint(a->snap, obs) != VX_OK)
        fail(a, VX_ENOMEM);
    a->pending--;
    note_answer(a);
    maybe_finish(a);
}

/* Each target tuple gets its OPTIONS as soon as the chain yields it. */
static void probe_endpoint(audit *a, const vx__sip_target *t)
{
    bool started = false;
    if (vx__ep_set_offer(a->endpoints, t, &started) == VX_ENOMEM)
        fail(a, VX_ENOMEM);
    if (started) {
        a->pending++;
        a->asked++;
    }
}

static void chain_missing(void *ctx, const char *name, uint16_t type)
{
    audit *a = ctx;
    add_zone_question(a, name, type);
    if ((type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) && strcasecmp(name, a->domain) != 0)
        add_certificate_questions(a, name);
}

/* What a hijacker needs to get a certificate for a name: its CAA, and the ACME challenge TXT
 * that appears while one is being validated (docs/events.md "Hijack surface"). */
static void add_certificate_questions(audit *a, const char *name)
{
    char acme[VX__NAME_TEXT_MAX + 16];
    add_zone_question(a, name, LDNS_RR_TYPE_CAA);
    if (snprintf(acme, sizeof(acme), "_acme-challenge.%s", name) < VX__NAME_TEXT_MAX)
        add_zone_question(a, acme, LDNS_RR_TYPE_TXT);
}

static void add_host_questions(audit *a, const char *host)
{
    add_zone_question(a, host, LDNS_RR_TYPE_A);
    add_zone_question(a, host, LDNS_RR_TYPE_AAAA);
}

/* The SIP chain is followed by sip/'s locator itself, over everything observed so far: what
 * it asks and no observation answers yet is asked (of every address, or by a walk outside the
 * domain). Run again for each new answer to a chain question; answers already seen (same
 * fingerprint) cannot lead anywhere new. */
static void follow_chain(audit *a, uint16_t qtype, uint64_t fingerprint)
{
    if (qtype != LDNS_RR_TYPE_NAPTR && qtype != LDNS_RR_TYPE_SRV && qtype != LDNS_RR_TYPE_A &&
        qtype != LDNS_RR_TYPE_AAAA)
        return;
    for (size_t i = 0; fingerprint && i < a->chain_seen_count; i++)
        if (a->chain_seen[i] == fingerprint)
            return;
    if (fingerprint && a->chain_seen_count < MAX_CHAIN_ANSWERS)
        a->chain_seen[a->chain_seen_count++] = fingerprint;
    vx__sip_snap_opts o = {.mode = VX__SIP_SNAP_ANY,
                           .snap = a->snap,
                           .missing = chain_missing,
                           .missing_ctx = a,
                           .every_path = true,
                           .profile = a->opts.profile};
    vx__sip_result *res = NULL;
    if (vx__sip_locate_snapshot(a->domain, &o, &res) == VX_ENOMEM)
        fail(a, VX_ENOMEM);
    for (size_t i = 0; res && a->endpoints && i < res->count; i++)
        probe_endpoint(a, &res->targets[i]);
    vx__sip_result_free(res);
}

/* The mail exchangers' addresses (a hijacker's favourite: mail for the domain). */
static void take_mail_hosts(audit *a, const ldns_rr_list *answer)
{
    char name[VX__NAME_TEXT_MAX];
    for (size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        if (vx__rr_type(rr) == LDNS_RR_TYPE_MX && vx__rr_owner_is(rr, a->domain) &&
            vx__rr_dname(rr, 1, name, sizeof(name)) == VX_OK && strcmp(name, ".") != 0)
            add_host_questions(a, name);
    }
}

/* An undelegated audit (--ns) takes no NS names from referrals, glue or the zone's NS set: its
 * servers are the ones given. */
static void react(audit *a, vx__probe_kind kind, uint16_t qtype, const vx__msg *m,
                  uint64_t fingerprint)
{
    bool given = a->opts.ns_count > 0;
    if (kind == VX__PROBE_DATA || kind == VX__PROBE_RESOLVE)
        follow_chain(a, qtype, fingerprint);
    if (vx__msg_rcode(m) != LDNS_RCODE_NOERROR)
        return;
    if (kind == VX__PROBE_PARENT && !given) {
        take_ns_names(a, ldns_pkt_authority(m->pkt));
        take_ns_names(a, ldns_pkt_answer(m->pkt));
        take_glue(a, m);
    } else if (kind == VX__PROBE_DATA || kind == VX__PROBE_RESOLVE) {
        if (qtype == LDNS_RR_TYPE_NS && !given)
            take_ns_names(a, ldns_pkt_answer(m->pkt));
        if (qtype == LDNS_RR_TYPE_MX)
            take_mail_hosts(a, ldns_pkt_answer(m->pkt));
    }
}

/* --- asking one address --------------------------------------------------------------------- */

/* 0 (unknown: always followed) when the response cannot be fingerprinted. */
static uint64_t fingerprint_of(const vx__query_result *q)
{
    uint64_t fp = 0;
    if (!q || !q->wire || vx__wire_fingerprint(q->wire, q->wire_len, true, &fp) != VX_OK)
        return 0;
    return fp;
}

static void settle(audit *a, size_t idx, bool alive);

static void on_asked(void *arg, const vx__query_result *q)
{
    ask_ctx *c = arg;
    audit *a = c->a;
    vx__msg *m = NULL;
    int status = q->status;
    if (status == VX_OK && vx__msg_parse(q->wire, q->wire_len, &m) != VX_OK)
        status = VX_EMALFORMED;
    record(a, c->kind, c->server_name, (struct sockaddr *)&c->addr, c->qname, c->qtype, c->qclass,
           c->time_ms, c->flags, q, status, m);
    if (m && q->status != VX_ECANCELED)
        react(a, c->kind, c->qtype, m, fingerprint_of(q));
    vx__msg_free(m);
    if (c->liveness)
        settle(a, c->addr_index, q->status == VX_OK);
    a->pending--;
    note_answer(a);
    free(c->server_name);
    free(c);
    maybe_finish(a);
}

static void ask(audit *a, vx__probe_kind kind, const char *server, const struct sockaddr *addr,
                size_t addr_index, const char *qname, uint16_t qtype, uint16_t qclass,
                unsigned flags)
{
    vx__question question;
    uint64_t t = vx__wall_ms();
    int rc = vx__question_from_text(qname, qtype, qclass, &question);
    ask_ctx *c = rc == VX_OK ? calloc(1, sizeof(*c)) : NULL;
    char *name_copy = c ? strdup(server) : NULL;
    if (!name_copy) {
        free(c);
        record(a, kind, server, addr, qname, qtype, qclass, t, flags, NULL, rc ? rc : VX_ENOMEM,
               NULL);
        return;
    }
    *c = (ask_ctx){.a = a,
                   .kind = kind,
                   .addr_index = addr_index,
                   .server_name = name_copy,
                   .qtype = qtype,
                   .qclass = qclass,
                   .flags = flags,
                   .time_ms = t};
    c->liveness = kind == VX__PROBE_DATA && qtype == LDNS_RR_TYPE_SOA && !(flags & VX__Q_TCP);
    memcpy(&c->addr, addr, vx__addr_len(addr));
    snprintf(c->qname, sizeof(c->qname), "%s", qname);
    vx__query_spec spec = {.server = addr, .question = &question, .flags = flags};
    rc = vx__engine_query(a->engine, &spec, on_asked, c);
    if (rc != VX_OK) {
        record(a, kind, server, addr, qname, qtype, qclass, t, flags, NULL, rc, NULL);
        if (c->liveness)
            settle(a, addr_index, false);
        free(c->server_name);
        free(c);
        return;
    }
    a->pending++;
    a->asked++;
}

static void ask_zone_question(audit *a, size_t addr_idx, size_t q_idx)
{
    const vx__server *s = &a->snap->servers[addr_idx];
    const zone_question *zq = &a->questions[q_idx];
    ask(a, VX__PROBE_DATA, s->name, (const struct sockaddr *)&s->addr, addr_idx, zq->qname,
        zq->qtype, CLASS_IN, VX__Q_DO);
}

/* A question found after the address's SOA probe went out: asked at once if the address is
 * known to answer, recorded as skipped if it is dead, held until the probe settles otherwise. */
static void offer_zone_question(audit *a, size_t addr_idx, size_t q_idx)
{
    address *ad = &a->addrs[addr_idx];
    const vx__server *s = &a->snap->servers[addr_idx];
    if (ad->state == ADDR_ALIVE) {
        ask_zone_question(a, addr_idx, q_idx);
    } else if (ad->state == ADDR_DEAD) {
        record(a, VX__PROBE_DATA, s->name, (const struct sockaddr *)&s->addr,
               a->questions[q_idx].qname, a->questions[q_idx].qtype, CLASS_IN, vx__wall_ms(),
               VX__Q_DO, NULL, VX_ECANCELED, NULL);
    } else {
        deferred *d = malloc(sizeof(*d));
        if (!d) {
            fail(a, VX_ENOMEM);
            return;
        }
        d->question = q_idx;
        d->next = ad->waiting;
        ad->waiting = d;
    }
}

static void settle(audit *a, size_t idx, bool alive)
{
    if (idx >= a->snap->server_count)
        return;
    address *ad = &a->addrs[idx];
    ad->state = alive ? ADDR_ALIVE : ADDR_DEAD;
    while (ad->waiting) {
        deferred *d = ad->waiting;
        ad->waiting = d->next;
        offer_zone_question(a, idx, d->question);
        free(d);
    }
}

/* Every question an authoritative address is asked once, when it becomes known. */
static void ask_new_address(audit *a, size_t idx)
{
    const vx__server *s = &a->snap->servers[idx];
    const struct sockaddr *sa = (const struct sockaddr *)&s->addr;
    ask(a, VX__PROBE_DATA, s->name, sa, idx, a->domain, LDNS_RR_TYPE_SOA, CLASS_IN,
        VX__Q_NSID | VX__Q_DO);
    ask(a, VX__PROBE_DATA, s->name, sa, idx, a->domain, LDNS_RR_TYPE_SOA, CLASS_IN, VX__Q_TCP);
    ask(a, VX__PROBE_NOEDNS, s->name, sa, idx, a->domain, LDNS_RR_TYPE_SOA, CLASS_IN, VX__Q_NOEDNS);
    ask(a, VX__PROBE_RECURSION, s->name, sa, idx, ".", LDNS_RR_TYPE_NS, CLASS_IN, VX__Q_RD);
    ask(a, VX__PROBE_AXFR, s->name, sa, idx, a->domain, TYPE_AXFR, CLASS_IN, VX__Q_TCP);
    /* Over TCP: BIND's built-in CHAOS view rate-limits UDP answers to 3 a second per client
     * and drops the rest (RRL, slip 0), so audits in a row waited for UDP retries (0.4 s, 1.2 s);
     * RRL never applies to TCP. */
    ask(a, VX__PROBE_VERSION, s->name, sa, idx, "version.bind", LDNS_RR_TYPE_TXT, CLASS_CH,
        VX__Q_TCP);
    for (size_t q = 0; q < a->question_count; q++)
        ask_zone_question(a, idx, q);
}

static void add_address(audit *a, const char *ns_name, const struct sockaddr *addr)
{
    vx__snapshot *snap = a->snap;
    if (!family_allowed(a, addr))
        return;
    for (size_t i = 0; i < snap->server_count; i++)
        if (vx__addr_equal((const struct sockaddr *)&snap->servers[i].addr, addr))
            return;
    address *addrs = vx__grow(a->addrs, &a->addr_cap, snap->server_count + 1, sizeof *addrs, 8);
    if (!addrs) {
        fail(a, VX_ENOMEM);
        return;
    }
    a->addrs = addrs;
    if (vx__snapshot_add_server(&snap->servers, &snap->server_count, ns_name, addr) != VX_OK) {
        fail(a, VX_ENOMEM);
        return;
    }
    memset(&a->addrs[snap->server_count - 1], 0, sizeof(address));
    ask_new_address(a, snap->server_count - 1);
}

static void add_zone_question(audit *a, const char *qname, uint16_t qtype)
{
    if (!vx__name_is_subdomain(qname, a->domain)) {
        resolve(a, qname, qtype, FOR_CHAIN);
        return;
    }
    for (size_t i = 0; i < a->question_count; i++)
        if (a->questions[i].qtype == qtype && strcmp(a->questions[i].qname, qname) == 0)
            return;
    if (a->question_count == MAX_ZONE_QUESTIONS)
        return;
    zone_question *qs =
        vx__grow(a->questions, &a->question_cap, a->question_count + 1, sizeof *qs, 16);
    if (!qs) {
        fail(a, VX_ENOMEM);
        return;
    }
    a->questions = qs;
    zone_question *zq = &a->questions[a->question_count];
    zq->qtype = qtype;
    if (!(zq->qname = strdup(qname))) {
        fail(a, VX_ENOMEM);
        return;
    }
    size_t q_idx = a->question_count++;
    for (size_t i = 0; i < a->snap->server_count; i++)
        offer_zone_question(a, i, q_idx);
}

/* --- iterative look-ups --------------------------------------------------------------------- */

static bool final_step(vx__walk_event e)
{
    return e == VX__WALK_ANSWER || e == VX__WALK_NODATA || e == VX__WALK_NXDOMAIN;
}

static void record_walk_step(void *arg, const vx__walk_step *st)
{
    walk_ctx *w = arg;
    if (st->depth == 0 && st->event == VX__WALK_CNAME && st->msg)
        record(w->a, VX__PROBE_RESOLVE, st->server->name,
               (const struct sockaddr *)&st->server->addr, st->qname, st->qtype, CLASS_IN,
               w->time_ms, 0, st->query, VX_OK, st->msg);
    if (st->depth != 0 || !final_step(st->event) || !st->zone || !st->zone_servers)
        return;
    snprintf(w->zone, sizeof(w->zone), "%s", st->zone);
    vx__server_set_clear(&w->zone_servers);
    for (size_t i = 0; i < st->zone_servers->count; i++)
        if (vx__server_set_add(&w->zone_servers, st->zone_servers->items[i].name,
                               (const struct sockaddr *)&st->zone_servers->items[i].addr) != VX_OK)
            fail(w->a, VX_ENOMEM);
}

/* The name's data as its own zone serves it: the same question of every address of that zone
 * the walk knew, so that the monitor compares it server by server like the domain's own data.
 * An NS host inside the domain is the domain's data: asked of the domain's servers. */
static void ask_owner_zone(audit *a, walk_ctx *w, const char *qname)
{
    if (strcasecmp(w->zone, a->domain) == 0) {
        if (w->why == FOR_NS_ADDRESS)
            add_zone_question(a, qname, w->qtype);
        return;
    }
    size_t asked = 0;
    for (size_t i = 0; i < w->zone_servers.count && asked < MAX_FOREIGN_ADDRS; i++) {
        const vx__server *s = &w->zone_servers.items[i];
        if (!family_allowed(a, (const struct sockaddr *)&s->addr))
            continue;
        ask(a, VX__PROBE_FOREIGN, s->name, (const struct sockaddr *)&s->addr, SIZE_MAX, qname,
            w->qtype, CLASS_IN, 0);
        asked++;
    }
}

static void take_ns_addresses(audit *a, const char *ns_name, const vx__walk_result *r)
{
    const ldns_rr_list *an = ldns_pkt_answer(r->msg->pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        struct sockaddr_storage ss;
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (vx__rr_owner_is(rr, r->qname) && vx__rr_addr(rr, 53, &ss) == VX_OK)
            add_address(a, ns_name, (struct sockaddr *)&ss);
    }
}

static void on_resolved(void *arg, const vx__walk_result *r)
{
    walk_ctx *w = arg;
    audit *a = w->a;
    const struct sockaddr *sa = r->server ? (const struct sockaddr *)&r->server->addr : NULL;
    int status = r->msg ? VX_OK : r->status;
    record(a, VX__PROBE_RESOLVE, r->server ? r->server->name : "", sa, r->msg ? r->qname : w->qname,
           w->qtype, CLASS_IN, w->time_ms, 0, r->query, status, r->msg);
    if (r->msg && r->status == VX_OK) {
        if (w->why == FOR_NS_ADDRESS)
            take_ns_addresses(a, w->qname, r);
        else
            follow_chain(a, w->qtype, fingerprint_of(r->query));
    }
    if (r->msg && w->why != FOR_ANCESTOR && w->zone[0])
        ask_owner_zone(a, w, r->qname);
    a->pending--;
    note_answer(a);
    vx__server_set_clear(&w->zone_servers);
    free(w);
    maybe_finish(a);
}

static void resolve(audit *a, const char *name, uint16_t qtype, purpose why)
{
    char key[VX__NAME_TEXT_MAX + 16];
    snprintf(key, sizeof(key), "%s/%u", name, qtype);
    if (name_list_has(&a->resolves, key) || a->resolves.count == MAX_RESOLVES)
        return;
    walk_ctx *w = calloc(1, sizeof(*w));
    if (!w || name_list_add(&a->resolves, key) != VX_OK) {
        free(w);
        fail(a, VX_ENOMEM);
        return;
    }
    *w = (walk_ctx){.a = a, .why = why, .qtype = qtype, .time_ms = vx__wall_ms()};
    vx__server_set_init(&w->zone_servers);
    snprintf(w->qname, sizeof(w->qname), "%s", name);
    vx__walk_opts opts;
    vx__walk_opts_default(&opts);
    opts.hints = a->opts.hints;
    opts.ipv4 = a->opts.ipv4;
    opts.ipv6 = a->opts.ipv6;
    opts.on_step = record_walk_step;
    opts.step_arg = w;
    int rc = vx__walk_start(a->engine, name, qtype, &opts, on_resolved, w);
    if (rc != VX_OK) {
        record(a, VX__PROBE_RESOLVE, "", NULL, name, qtype, CLASS_IN, w->time_ms, 0, NULL, rc,
               NULL);
        free(w);
        return;
    }
    a->pending++;
    a->asked++;
}

static void add_ns_name(audit *a, const char *name)
{
    if (name_list_has(&a->ns_names, name) || a->ns_names.count == MAX_NS_NAMES)
        return;
    if (name_list_add(&a->ns_names, name) != VX_OK) {
        fail(a, VX_ENOMEM);
        return;
    }
    /* Both families always: NS-NAME-UNRESOLVABLE needs to know whether any address exists. */
    resolve(a, name, LDNS_RR_TYPE_A, FOR_NS_ADDRESS);
    resolve(a, name, LDNS_RR_TYPE_AAAA, FOR_NS_ADDRESS);
}

/* --- delegation ----------------------------------------------------------------------------- */

static int copy_servers(vx__server **list, size_t *count, const vx__server_set *from)
{
    for (size_t i = 0; from && i < from->count; i++) {
        int rc = vx__snapshot_add_server(list, count, from->items[i].name,
                                         (const struct sockaddr *)&from->items[i].addr);
        if (rc != VX_OK)
            return rc;
    }
    return VX_OK;
}

static void on_delegation_step(void *arg, const vx__walk_step *st)
{
    audit *a = arg;
    if (st->depth != 0 || !st->server)
        return;
    if (st->msg)
        a->root_reached = true;
    if (strcmp(st->zone, a->last_zone) != 0) {
        snprintf(a->last_zone, sizeof(a->last_zone), "%s", st->zone);
        vx__server_set_clear(&a->last_zone_servers);
        for (size_t i = 0; st->zone_servers && i < st->zone_servers->count; i++)
            vx__server_set_add(&a->last_zone_servers, st->zone_servers->items[i].name,
                               (const struct sockaddr *)&st->zone_servers->items[i].addr);
    }
    if (st->event == VX__WALK_REFERRAL && strcmp(st->detail, a->domain) == 0 && !a->parent_found) {
        a->parent_found = true;
        a->snap->parent_zone = strdup(st->zone);
        if (!a->snap->parent_zone ||
            copy_servers(&a->snap->parent_servers, &a->snap->parent_server_count,
                         st->zone_servers) != VX_OK)
            fail(a, VX_ENOMEM);
    }
}

static void set_delegation_error(audit *a, int status, const char *why)
{
    vx__snapshot *snap = a->snap;
    snap->delegation_status = status;
    snap->delegation_error = strdup(why);
    if (!snap->parent_zone && a->last_zone[0]) {
        snap->parent_zone = strdup(a->last_zone);
        if (copy_servers(&snap->parent_servers, &snap->parent_server_count,
                         &a->last_zone_servers) != VX_OK)
            fail(a, VX_ENOMEM);
    }
}

static void judge_delegation(audit *a, const vx__walk_result *r)
{
    char why[2 * VX__NAME_TEXT_MAX + 64];
    if (a->parent_found) {
        a->snap->delegation_status = VX_OK;
    } else if (r->status == VX_ENOTFOUND) {
        snprintf(why, sizeof(why), "%s answers NXDOMAIN for %s", r->zone, a->domain);
        set_delegation_error(a, VX_ENOTFOUND, why);
    } else if (r->status == VX_OK && strcmp(r->zone, a->domain) != 0) {
        snprintf(why, sizeof(why), "%s answers for %s itself instead of delegating it", r->zone,
                 a->domain);
        set_delegation_error(a, VX_ENOTFOUND, why);
    } else if (r->status != VX_OK) {
        set_delegation_error(a, r->status, r->error);
    }
}

static void on_delegation(void *arg, const vx__walk_result *r)
{
    audit *a = arg;
    judge_delegation(a, r);
    if (r->msg && r->status == VX_OK && strcmp(r->zone, a->domain) == 0 && a->opts.ns_count == 0)
        take_ns_names(a, ldns_pkt_answer(r->msg->pkt));
    for (size_t i = 0; i < a->snap->parent_server_count; i++) {
        const vx__server *p = &a->snap->parent_servers[i];
        if (!family_allowed(a, (const struct sockaddr *)&p->addr))
            continue;
        ask(a, VX__PROBE_PARENT, p->name, (const struct sockaddr *)&p->addr, SIZE_MAX, a->domain,
            LDNS_RR_TYPE_NS, CLASS_IN, 0);
        ask(a, VX__PROBE_DS, p->name, (const struct sockaddr *)&p->addr, SIZE_MAX, a->domain,
            LDNS_RR_TYPE_DS, CLASS_IN, VX__Q_DO);
    }
    a->pending--;
    note_answer(a);
    maybe_finish(a);
}

/* --- start ---------------------------------------------------------------------------------- */

/* CAA above the domain, up to its registrable domain: a CA climbs the tree (RFC 8659), so a
 * CAA there covers the SIP domain too. */
static void seed_ancestor_caa(audit *a)
{
    char top[VX__NAME_TEXT_MAX], name[VX__NAME_TEXT_MAX], up[VX__NAME_TEXT_MAX];
    if (vx__name_registrable(a->domain, top, sizeof(top)) != VX_OK ||
        strcasecmp(top, a->domain) == 0)
        return;
    snprintf(name, sizeof(name), "%s", a->domain);
    for (unsigned hops = 0; hops < 8 && vx__name_parent(name, up, sizeof(up)) == VX_OK; hops++) {
        resolve(a, up, LDNS_RR_TYPE_CAA, FOR_ANCESTOR);
        if (strcasecmp(up, top) == 0)
            return;
        snprintf(name, sizeof(name), "%s", up);
    }
}

/* The chain's entry points (sip/ says which) and the profile's SRV names are asked at once;
 * the rest of the chain follows from the answers (follow_chain). */
static void seed_zone_questions(audit *a)
{
    static const char *const lync_hosts[] = {"lyncdiscover", "sip"};
    char name[VX__NAME_TEXT_MAX + 32];
    const vx__sip_srv_name *ms;
    size_t ms_count = vx__sip_profile_srv(a->opts.profile, &ms);
    bool lync = ms_count > 0;
    add_zone_question(a, a->domain, LDNS_RR_TYPE_NS);
    add_zone_question(a, a->domain, LDNS_RR_TYPE_DNSKEY);
    vx__sip_entry_questions(a->domain, chain_missing, a);
    /* RFC 3263's last resort: no NAPTR, no SRV, the domain's own address. */
    add_zone_question(a, a->domain, LDNS_RR_TYPE_A);
    add_zone_question(a, a->domain, LDNS_RR_TYPE_AAAA);
    add_zone_question(a, a->domain, LDNS_RR_TYPE_MX);
    add_certificate_questions(a, a->domain);
    for (size_t i = 0; i < ms_count; i++) {
        snprintf(name, sizeof(name), "%s.%s", ms[i].prefix, a->domain);
        add_zone_question(a, name, LDNS_RR_TYPE_SRV);
    }
    for (size_t i = 0; lync && i < 2; i++) {
        snprintf(name, sizeof(name), "%s.%s", lync_hosts[i], a->domain);
        add_zone_question(a, name, LDNS_RR_TYPE_A);
    }
    for (size_t i = 0; i < a->opts.extra_count; i++) {
        char extra[VX__NAME_TEXT_MAX];
        if (vx__name_normalize(a->opts.extra_names[i], extra, sizeof(extra)) == VX_OK)
            add_zone_question(a, extra, a->opts.extra_types[i]);
    }
}

static void on_alt_done(void *arg, int status, vx__snapshot *alt)
{
    audit *a = arg;
    if (alt && vx__snapshot_add_alt(a->snap, alt) != VX_OK) {
        vx__snapshot_free(alt);
        fail(a, VX_ENOMEM);
    }
    if (status == VX_ENOMEM)
        fail(a, status);
    a->pending--;
    maybe_finish(a);
}

static void on_live_done(void *arg, int status, vx__snapshot *live)
{
    audit *a = arg;
    if (status == VX_OK)
        a->snap->live = live;
    else
        vx__snapshot_free(live);
    if (status == VX_ENOMEM)
        fail(a, status);
    a->pending--;
    maybe_finish(a);
}

/* --ns: the servers given stand in for the delegation; the live one is audited beside them. */
static int start_undelegated(audit *a)
{
    for (size_t i = 0; i < a->opts.ns_count; i++)
        if (vx__snapshot_add_ns_given(a->snap, &a->opts.ns[i]) != VX_OK)
            return VX_ENOMEM;
    for (size_t i = 0; i < a->opts.ns_count; i++) {
        const vx__ns_spec *g = &a->opts.ns[i];
        if (g->has_addr)
            add_address(a, g->name, (const struct sockaddr *)&g->addr);
        else
            add_ns_name(a, g->name);
    }
    vx__audit_opts nested = a->opts;
    nested.endpoints = false;
    nested.alt_domains = NULL;
    nested.alt_count = 0;
    nested.ns = NULL;
    nested.ns_count = 0;
    if (vx__audit_start(a->engine, a->domain, &nested, on_live_done, NULL, a) == VX_OK)
        a->pending++;
    return VX_OK;
}

static void start_alt_domains(audit *a)
{
    vx__audit_opts nested = a->opts;
    nested.endpoints = false;
    nested.alt_domains = NULL;
    nested.alt_count = 0;
    nested.extra_count = 0;
    for (size_t i = 0; i < a->opts.alt_count; i++)
        if (vx__audit_start(a->engine, a->opts.alt_domains[i], &nested, on_alt_done, NULL, a) ==
            VX_OK)
            a->pending++;
}

int vx__audit_start(vx__engine *engine, const char *domain, const vx__audit_opts *opts,
                    vx__audit_done_cb done, vx__audit_progress_cb progress, void *arg)
{
    if (!engine || !domain || !opts || !opts->hints || !done || (!opts->ipv4 && !opts->ipv6))
        return VX_EINVAL;
    audit *a = calloc(1, sizeof(*a));
    if (!a)
        return VX_ENOMEM;
    *a = (audit){.engine = engine,
                 .opts = *opts,
                 .done = done,
                 .progress = progress,
                 .arg = arg,
                 .started_ns = uv_hrtime()};
    if (!a->opts.profile)
        a->opts.profile = "generic";
    int rc = vx__name_normalize(domain, a->domain, sizeof(a->domain));
    if (rc == VX_OK && !(a->snap = vx__snapshot_new(a->domain, a->opts.profile)))
        rc = VX_ENOMEM;
    vx__walk_opts wopts;
    vx__walk_opts_default(&wopts);
    wopts.hints = opts->hints;
    wopts.ipv4 = opts->ipv4;
    wopts.ipv6 = opts->ipv6;
    wopts.on_step = on_delegation_step;
    wopts.step_arg = a;
    /* The parent's referral is all the delegation walk is for: going on to the domain's own
     * servers would make every later question wait for their silence in a total outage. */
    wopts.stop_at = a->domain;
    if (rc == VX_OK && opts->endpoints) {
        rc = opts->tls ? vx__ep_set_new(engine, opts->tls, on_endpoint, a, &a->endpoints)
                       : VX_EINVAL;
        a->snap->endpoints_probed = rc == VX_OK;
    }
    if (rc == VX_OK) {
        a->snap->started_ms = vx__wall_ms();
        seed_zone_questions(a);
        rc = vx__walk_start(engine, a->domain, LDNS_RR_TYPE_NS, &wopts, on_delegation, a);
    }
    if (rc != VX_OK) {
        vx__snapshot_free(a->snap);
        audit_free(a, 0);
        return rc;
    }
    a->pending = 1;
    a->asked = 1;
    seed_ancestor_caa(a);
    if (a->opts.ns_count > 0 && start_undelegated(a) != VX_OK)
        fail(a, VX_ENOMEM);
    start_alt_domains(a);
    return VX_OK;
}
