/*
 * resolver/resolver.c — the sans-I/O stub resolver state machine (policy in resolver.h): the
 * lookups in progress with their attempts and timers, the action queue, and the glue between
 * upstream health (upstream.c), the answer cache (cache.c) and the static cache.
 */
#include "resolver/resolver.h"

#include <stdlib.h>
#include <string.h>

#include "resolver/cache.h"
#include "voxdns/status.h"
#include "wire/msg.h"

#define NEVER UINT64_MAX

typedef enum attempt_state {
    ATT_WAITING, /* on the wire, within its timeout */
    ATT_LATE,    /* timed out; a late answer is still welcome until the lookup ends */
    ATT_DONE     /* answered, failed or cancelled */
} attempt_state;

typedef struct attempt {
    unsigned upstream;
    uint16_t id;
    bool tcp;
    bool probe;       /* went to a down upstream: its re-probe */
    bool side;        /* a probe copy sent beside the lookup's own attempts (send_probes) */
    bool error_rcode; /* answered SERVFAIL, REFUSED, ...: not asked again in this lookup */
    attempt_state state;
    uint64_t sent_at;
    uint64_t timeout_at;
} attempt;

typedef struct lookup {
    uint64_t handle;
    vx__question q;
    uint64_t client_at;  /* RFC 8767 client response timer; NEVER once handled */
    uint64_t give_up_at; /* end of the lookup's budget */
    uint64_t hedge_at;   /* when to ask the next upstream; NEVER when not armed */
    attempt att[VX__RES_ATTEMPTS_MAX];
    unsigned natt;
    bool delivered;       /* its RESULT is out; now it only refreshes the cache */
    bool saw_error_rcode; /* some upstream answered SERVFAIL, REFUSED, ... */
    bool finished;        /* to be freed by sweep() */
    /* DNSSEC */
    bool internal;       /* a DS/DNSKEY fetch of the validator: no RESULT, no cache */
    bool saw_bogus;      /* some upstream's answer was bogus */
    uint32_t bogus_from; /* bit per upstream whose answer was bogus: not asked again */
    vx__sec sec;         /* of the answer being delivered */
    vx__msg *pending;    /* the answer waiting for its chain (validating while set) */
    unsigned pending_from;
} lookup;

struct vx__res {
    vx__res_opts opts;
    vx__upstream_set ups;
    vx__cache *cache;
    vx__static_cache *statics;
    lookup **lookups;
    size_t nlookups;
    vx__res_action *queue; /* FIFO of pending actions: [qhead, qlen) */
    size_t qhead, qlen, qcap;
    uint64_t next_handle;
    vx__res_stats stats;
    vx__dnssec *dnssec; /* NULL: no validation */
};

void vx__res_opts_default(vx__res_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->client_timeout_ms = 1800;           /* RFC 8767 §5 suggests 1.8 s */
    opts->stale_ttl_s = 30;                   /* RFC 8767 §4 */
    opts->max_stale_ms = 24ull * 3600 * 1000; /* RFC 8767 §5: 1 to 3 days */
    opts->recheck_ms = 30000;                 /* RFC 8767 §5 failure recheck */
    opts->budget_ms = 5000;                   /* like resolv.conf's default timeout */
    opts->max_attempts = 6;
    opts->cache_entries = 1024;
    opts->max_lookups = 256;
    opts->query_flags = VX__Q_RD;
}

const char *vx__res_source_name(vx__res_source source)
{
    static const char *const names[] = {"none", "network", "cache", "stale", "static"};
    return (unsigned)source < 5u ? names[source] : "unknown";
}

void vx__res_action_clear(vx__res_action *action)
{
    if (action->kind == VX__ACT_RESULT)
        ldns_rr_list_deep_free(action->result.answer);
    memset(action, 0, sizeof(*action));
}

/* ---- lifetime ---------------------------------------------------------------------------- */

int vx__res_new(const vx__res_opts *opts, vx__res **out)
{
    if (!opts || !opts->random16)
        return VX_EINVAL;
    vx__res *res = calloc(1, sizeof(*res));
    if (!res)
        return VX_ENOMEM;
    res->opts = *opts;
    if (res->opts.max_attempts == 0 || res->opts.max_attempts > VX__RES_ATTEMPTS_MAX)
        res->opts.max_attempts = VX__RES_ATTEMPTS_MAX;
    res->lookups = calloc(opts->max_lookups ? opts->max_lookups : 1, sizeof(*res->lookups));
    int rc = res->lookups ? vx__cache_new(opts->cache_entries, opts->max_stale_ms, &res->cache)
                          : VX_ENOMEM;
    if (rc != VX_OK) {
        free(res->lookups);
        free(res);
        return rc;
    }
    vx__cache_set_max_ttl(res->cache, opts->max_ttl_s);
    if (opts->trust_anchors && vx__dnssec_new(opts->trust_anchors, &res->dnssec) != VX_OK) {
        vx__res_free(res);
        return VX_ENOMEM;
    }
    if (res->dnssec) /* RFC 4035 §3.2: a validating stub wants the signatures, unchecked */
        res->opts.query_flags |= VX__Q_DO | VX__Q_CD;
    res->opts.trust_anchors = NULL; /* not kept: the validator has its copy */
    vx__upstream_set_init(&res->ups);
    res->next_handle = 1;
    *out = res;
    return VX_OK;
}

static void lookup_free(lookup *lk)
{
    vx__msg_free(lk->pending);
    free(lk);
}

void vx__res_free(vx__res *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->nlookups; i++)
        lookup_free(res->lookups[i]);
    for (size_t i = res->qhead; i < res->qlen; i++)
        vx__res_action_clear(&res->queue[i]);
    free(res->queue);
    free(res->lookups);
    vx__cache_free(res->cache);
    vx__dnssec_free(res->dnssec);
    vx__static_free(res->statics);
    free(res);
}

int vx__res_add_upstream(vx__res *res, const struct sockaddr *addr, bool tcp, unsigned *index)
{
    return vx__upstream_add(&res->ups, addr, tcp, index);
}

void vx__res_set_static(vx__res *res, vx__static_cache *sc)
{
    vx__static_free(res->statics);
    res->statics = sc;
}

const vx__static_cache *vx__res_static(const vx__res *res)
{
    return res->statics;
}

const vx__upstream *vx__res_upstream(const vx__res *res, unsigned index)
{
    return index < res->ups.n ? &res->ups.v[index] : NULL;
}

void vx__res_get_stats(const vx__res *res, vx__res_stats *out)
{
    *out = res->stats;
}

/* ---- the action queue --------------------------------------------------------------------- */

/* A zeroed action at the tail of the queue, or NULL when memory ran out. */
static vx__res_action *push_action(vx__res *res, vx__res_action_kind kind)
{
    if (res->qhead == res->qlen)
        res->qhead = res->qlen = 0;
    if (res->qlen == res->qcap) {
        size_t cap = res->qcap ? 2 * res->qcap : 16;
        vx__res_action *q = realloc(res->queue, cap * sizeof(*q));
        if (!q)
            return NULL;
        res->queue = q;
        res->qcap = cap;
    }
    vx__res_action *a = &res->queue[res->qlen++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    return a;
}

bool vx__res_next_action(vx__res *res, vx__res_action *out)
{
    if (res->qhead == res->qlen)
        return false;
    *out = res->queue[res->qhead++];
    return true;
}

/* Queues a RESULT; takes answer. Out of memory loses the result (and frees answer). */
static void push_result(vx__res *res, lookup *lk, int status, uint16_t rcode, vx__res_source source,
                        ldns_rr_list *answer)
{
    vx__res_action *a = push_action(res, VX__ACT_RESULT);
    lk->delivered = true;
    if (!a) {
        ldns_rr_list_deep_free(answer);
        return;
    }
    a->result.lookup = lk->handle;
    a->result.status = status;
    a->result.rcode = rcode;
    a->result.source = source;
    a->result.answer = answer;
    a->result.security = source == VX__SRC_STATIC ? VX__SEC_UNCHECKED
                         : status == VX_EBOGUS    ? VX__SEC_BOGUS
                                                  : lk->sec;
    res->stats.results[source]++;
}

/* ---- local answers: cache, stale, static -------------------------------------------------- */

static bool deliver_static(vx__res *res, lookup *lk)
{
    ldns_rr_list *answer;
    if (!res->statics || vx__static_lookup(res->statics, &lk->q, &answer) != VX_OK)
        return false;
    push_result(res, lk, VX_OK, LDNS_RCODE_NOERROR, VX__SRC_STATIC, answer);
    return true;
}

/* A cache entry as the answer: fresh ones as CACHE, stale ones as STALE. A negative entry
 * gives way to a static entry. */
static void deliver_hit(vx__res *res, lookup *lk, vx__cache_hit *hit)
{
    if (hit->negative && deliver_static(res, lk)) {
        vx__cache_hit_clear(hit);
        return;
    }
    vx__res_source src = hit->state == VX__CACHE_FRESH ? VX__SRC_CACHE : VX__SRC_STALE;
    ldns_rr_list *copy = vx__cache_hit_copy(hit);
    lk->sec = (vx__sec)hit->security;
    push_result(res, lk, copy ? VX_OK : VX_ENOMEM, hit->rcode, src, copy);
    vx__cache_hit_clear(hit);
}

/* What the client gets when DNS does not answer (in time): stale data, else static data.
 * A fresh entry stored meanwhile by another lookup is better still. */
static bool deliver_fallback(vx__res *res, lookup *lk, uint64_t now)
{
    vx__cache_hit hit;
    if (vx__cache_lookup(res->cache, &lk->q, now, res->opts.stale_ttl_s, &hit) == VX_OK &&
        hit.state != VX__CACHE_MISS && !hit.negative) {
        deliver_hit(res, lk, &hit);
        return true;
    }
    vx__cache_hit_clear(&hit);
    return deliver_static(res, lk);
}

/* ---- attempts ----------------------------------------------------------------------------- */

static bool id_in_use(const vx__res *res, unsigned upstream, uint16_t id)
{
    for (size_t i = 0; i < res->nlookups; i++) {
        const lookup *lk = res->lookups[i];
        for (unsigned a = 0; a < lk->natt; a++)
            if (lk->att[a].state != ATT_DONE && lk->att[a].upstream == upstream &&
                lk->att[a].id == id)
                return true;
    }
    return false;
}

static uint16_t fresh_id(vx__res *res, unsigned upstream)
{
    uint16_t id = res->opts.random16(res->opts.random_arg);
    for (int tries = 0; tries < 64 && id_in_use(res, upstream, id); tries++)
        id = res->opts.random16(res->opts.random_arg);
    return id; /* 64 collisions in a row cannot happen with a working random source */
}

static int send_attempt(vx__res *res, lookup *lk, unsigned i, uint64_t now, bool tcp, bool probe,
                        bool side)
{
    vx__upstream *u = &res->ups.v[i];
    if (lk->natt >= res->opts.max_attempts)
        return VX_ELIMIT;
    vx__res_action *a = push_action(res, VX__ACT_SEND);
    if (!a)
        return VX_ENOMEM;
    a->upstream = i;
    a->id = fresh_id(res, i);
    a->tcp = tcp || u->tcp;
    int rc = vx__wire_build_query(&lk->q, a->id, res->opts.query_flags, a->wire, sizeof(a->wire),
                                  &a->len);
    if (rc != VX_OK) {
        res->qlen--; /* un-queue it: it was the last one pushed */
        return rc;
    }
    attempt *at = &lk->att[lk->natt++];
    *at = (attempt){.upstream = i,
                    .id = a->id,
                    .tcp = a->tcp,
                    .probe = probe,
                    .state = ATT_WAITING,
                    .sent_at = now,
                    .timeout_at = now + vx__upstream_attempt_timeout(u)};
    if (probe) {
        vx__upstream_on_probe_sent(u);
        res->stats.probes++;
    }
    if (!side)
        lk->hedge_at = now + vx__upstream_hedge_delay(u);
    res->stats.sent++;
    return VX_OK;
}

static bool waiting_on(const lookup *lk, unsigned i)
{
    for (unsigned a = 0; a < lk->natt; a++)
        if (lk->att[a].upstream == i && lk->att[a].state == ATT_WAITING)
            return true;
    return false;
}

/* The lookup's own attempts (probes are long shots on the side) still within their timeout,
 * or, with late, still open at all. */
static unsigned open_count(const lookup *lk, bool late)
{
    unsigned n = 0;
    for (unsigned a = 0; a < lk->natt; a++) {
        const attempt *at = &lk->att[a];
        n += !at->side && (at->state == ATT_WAITING || (late && at->state == ATT_LATE));
    }
    return n;
}

static bool said_error(const lookup *lk, unsigned i)
{
    if (i < 32 && (lk->bogus_from & (1u << i)))
        return true;
    for (unsigned a = 0; a < lk->natt; a++)
        if (lk->att[a].upstream == i && lk->att[a].error_rcode)
            return true;
    return false;
}

static unsigned tries_of(const lookup *lk, unsigned i)
{
    unsigned n = 0;
    for (unsigned a = 0; a < lk->natt; a++)
        n += lk->att[a].upstream == i;
    return n;
}

/* Is (tries, key, index) of candidate i better than that of best? */
static bool better(const lookup *lk, unsigned i, uint64_t key, int best, uint64_t best_key)
{
    if (best < 0)
        return true;
    unsigned ti = tries_of(lk, i), tb = tries_of(lk, (unsigned)best);
    return ti != tb ? ti < tb : key < best_key;
}

/* The next upstream for lk, never one that answered it with an error rcode (a recursive
 * resolver's SERVFAIL rarely changes within seconds): the up upstream tried least in this
 * lookup, then best score; else a down one whose probe is due. -1 when none: a down upstream
 * inside its backoff is not asked (RFC 8767 §5 "known down"; the lookup has been answered
 * from stale or static data, or fails, at once). */
static int pick_upstream(const vx__res *res, const lookup *lk, uint64_t now, bool *probe)
{
    int best = -1;
    uint64_t best_key = 0;
    for (int pass = 0; pass < 2 && best < 0; pass++) {
        for (unsigned i = 0; i < res->ups.n; i++) {
            const vx__upstream *u = &res->ups.v[i];
            bool ok = pass == 0 ? vx__upstream_is_up(u) : vx__upstream_probe_due(u, now);
            uint64_t key = pass == 0 ? vx__upstream_score(u) : u->retry_at;
            if (!ok || waiting_on(lk, i) || said_error(lk, i) ||
                !better(lk, i, key, best, best_key))
                continue;
            best = (int)i;
            best_key = key;
            *probe = pass > 0;
        }
    }
    return best;
}

/* Asks the next upstream. It is a hedge when an earlier attempt is still open (waiting or
 * late): whichever answers first wins. */
static int send_next(vx__res *res, lookup *lk, uint64_t now)
{
    bool probe = false;
    bool hedge = open_count(lk, true) > 0;
    int i = pick_upstream(res, lk, now, &probe);
    if (i < 0)
        return VX_ENOTFOUND;
    int rc = send_attempt(res, lk, (unsigned)i, now, false, probe, false);
    if (rc == VX_OK && hedge)
        res->stats.hedged++;
    return rc;
}

static bool any_probe_due(const vx__res *res, uint64_t now)
{
    for (unsigned i = 0; i < res->ups.n; i++)
        if (vx__upstream_probe_due(&res->ups.v[i], now))
            return true;
    return false;
}

/* Down upstreams whose backoff has passed get a copy of this lookup's query. */
static void send_probes(vx__res *res, lookup *lk, uint64_t now)
{
    for (unsigned i = 0; i < res->ups.n; i++)
        if (vx__upstream_probe_due(&res->ups.v[i], now) && !waiting_on(lk, i))
            send_attempt(res, lk, i, now, false, true, true);
}

static void cancel_attempts(vx__res *res, lookup *lk)
{
    for (unsigned a = 0; a < lk->natt; a++) {
        attempt *at = &lk->att[a];
        if (at->state == ATT_DONE)
            continue;
        vx__res_action *act = push_action(res, VX__ACT_CANCEL);
        if (act) {
            act->upstream = at->upstream;
            act->id = at->id;
        }
        at->state = ATT_DONE;
    }
}

/* ---- ending a lookup ----------------------------------------------------------------------- */

static void deliver_error(vx__res *res, lookup *lk)
{
    int status = lk->saw_bogus ? VX_EBOGUS : lk->saw_error_rcode ? VX_ESERVFAIL : VX_ETIMEDOUT;
    push_result(res, lk, status, 0, VX__SRC_NONE, NULL);
}

/* DNS gave nothing: stale, static or an error for the client, and the failure recheck. */
static void revalidate(vx__res *res, uint64_t now);

static void finish_failure(vx__res *res, lookup *lk, uint64_t now)
{
    cancel_attempts(res, lk);
    vx__msg_free(lk->pending);
    lk->pending = NULL;
    lk->finished = true;
    if (lk->internal) { /* the validators waiting on it will call their answers bogus */
        vx__dnssec_store(res->dnssec, &lk->q, NULL, now);
        revalidate(res, now);
        return;
    }
    vx__cache_mark_failed(res->cache, &lk->q, now, res->opts.recheck_ms);
    if (!lk->delivered && !deliver_fallback(res, lk, now))
        deliver_error(res, lk);
}

/* Attempts still open when another upstream answered, past their upstream's hedging delay:
 * they were slow, and without this a dead first choice rescued by hedges every time would
 * never lose its place (a cancelled attempt never times out). */
static void note_slow(vx__res *res, const lookup *lk, uint64_t now)
{
    for (unsigned a = 0; a < lk->natt; a++) {
        const attempt *at = &lk->att[a];
        vx__upstream *u = &res->ups.v[at->upstream];
        if (at->state == ATT_WAITING && !at->side &&
            now - at->sent_at >= vx__upstream_hedge_delay(u))
            vx__upstream_on_slow(u);
    }
}

/* A (validated) answer: cached, delivered unless something was already. */
static void accept_answer(vx__res *res, lookup *lk, const vx__msg *m, uint64_t now, vx__sec sec)
{
    const ldns_rr_list *ans = ldns_pkt_answer(m->pkt);
    uint16_t rcode = vx__msg_rcode(m);
    bool negative = rcode == LDNS_RCODE_NXDOMAIN || !ans || ldns_rr_list_rr_count(ans) == 0;

    /* not cacheable: served all the same */
    (void)vx__cache_store_sec(res->cache, &lk->q, m, now, (uint8_t)sec);
    lk->sec = sec;
    if (!lk->delivered && !(negative && deliver_static(res, lk))) {
        ldns_rr_list *copy = ans ? ldns_rr_list_clone(ans) : ldns_rr_list_new();
        push_result(res, lk, copy ? VX_OK : VX_ENOMEM, rcode, VX__SRC_NETWORK, copy);
    }
    lk->finished = true;
}

static void keep_going(vx__res *res, lookup *lk, uint64_t now);
static lookup *lookup_new(vx__res *res, const vx__question *q, uint64_t now);

/* The chain record the validator needs, fetched as an internal lookup (once at a time). */
static void fetch_chain(vx__res *res, const vx__question *q, uint64_t now)
{
    for (size_t i = 0; i < res->nlookups; i++)
        if (res->lookups[i]->internal && !res->lookups[i]->finished &&
            vx__question_equal(&res->lookups[i]->q, q))
            return;
    lookup *lk = res->nlookups < res->opts.max_lookups ? lookup_new(res, q, now) : NULL;
    if (!lk) {
        vx__dnssec_store(res->dnssec, q, NULL, now); /* the check calls it bogus */
        return;
    }
    lk->internal = true;
    lk->delivered = true; /* nothing to deliver: no client timer, no stale, no static */
    res->stats.chain++;
    keep_going(res, lk, now);
}

/* Checks lk's pending answer; the chain may need a record first. */
static void validate(vx__res *res, lookup *lk, uint64_t now)
{
    vx__question need;
    time_t wall = (time_t)(res->opts.wall_offset_s + (int64_t)(now / 1000u));
    vx__sec sec = vx__dnssec_check(res->dnssec, &lk->q, lk->pending, now, wall, &need);
    if (sec == VX__SEC_NEED) {
        fetch_chain(res, &need, now);
        return;
    }
    vx__msg *m = lk->pending;
    lk->pending = NULL;
    if (sec == VX__SEC_BOGUS) { /* as if that upstream had failed: on to the next one */
        res->stats.bogus++;
        lk->saw_bogus = true;
        if (lk->pending_from < 32)
            lk->bogus_from |= 1u << lk->pending_from;
        keep_going(res, lk, now);
    } else {
        accept_answer(res, lk, m, now, sec);
    }
    vx__msg_free(m);
}

/* A chain record arrived (or failed): every answer waiting on one is checked again. */
static void revalidate(vx__res *res, uint64_t now)
{
    for (size_t i = 0; i < res->nlookups; i++)
        if (res->lookups[i]->pending && !res->lookups[i]->finished)
            validate(res, res->lookups[i], now);
}

/* Takes *m (sets it to NULL) when the answer must wait for its chain. */
static void finish_success(vx__res *res, lookup *lk, vx__msg **m, unsigned from, uint64_t now)
{
    note_slow(res, lk, now);
    cancel_attempts(res, lk);
    if (lk->internal) {
        lk->finished = true;
        vx__dnssec_store(res->dnssec, &lk->q, *m, now);
        revalidate(res, now);
    } else if (res->dnssec) {
        lk->pending = *m;
        lk->pending_from = from;
        *m = NULL;
        validate(res, lk, now);
    } else {
        accept_answer(res, lk, *m, now, VX__SEC_UNCHECKED);
    }
}

/* Nothing on the wire any more: ask the next upstream, or give up. */
static void keep_going(vx__res *res, lookup *lk, uint64_t now)
{
    if (lk->pending || lk->finished)
        return; /* validating: its chain is being fetched */
    if (open_count(lk, false) == 0 && send_next(res, lk, now) != VX_OK)
        finish_failure(res, lk, now);
}

static void sweep(vx__res *res)
{
    for (size_t i = 0; i < res->nlookups;) {
        if (!res->lookups[i]->finished) {
            i++;
            continue;
        }
        lookup_free(res->lookups[i]);
        res->lookups[i] = res->lookups[--res->nlookups];
    }
}

/* ---- submit -------------------------------------------------------------------------------- */

static lookup *lookup_new(vx__res *res, const vx__question *q, uint64_t now)
{
    lookup *lk = calloc(1, sizeof(*lk));
    if (!lk)
        return NULL;
    lk->handle = res->next_handle++;
    lk->q = *q;
    lk->client_at = now + res->opts.client_timeout_ms;
    lk->give_up_at = now + res->opts.budget_ms;
    lk->hedge_at = NEVER;
    res->lookups[res->nlookups++] = lk;
    return lk;
}

/* Steps 1-4 of the policy: an answer without asking (or before asking) upstreams. Returns true
 * when the lookup needs no upstream at all. */
static bool answer_locally(vx__res *res, lookup *lk, uint64_t now)
{
    vx__cache_hit hit;
    if (res->opts.static_first && deliver_static(res, lk))
        return true;
    if (vx__cache_lookup(res->cache, &lk->q, now, res->opts.stale_ttl_s, &hit) != VX_OK)
        return false;
    bool fresh = hit.state == VX__CACHE_FRESH;
    bool stale = hit.state == VX__CACHE_STALE;
    if (fresh || (stale && hit.in_recheck)) {
        deliver_hit(res, lk, &hit);
        return true;
    }
    if (vx__upstream_all_down(&res->ups)) {
        if (stale)
            deliver_hit(res, lk, &hit);
        else if (!deliver_static(res, lk) && !any_probe_due(res, now))
            deliver_error(res, lk); /* nobody to ask before a backoff ends: no long shots */
    }
    vx__cache_hit_clear(&hit);
    return false;
}

int vx__res_submit(vx__res *res, uint64_t now, const vx__question *q, uint64_t *handle)
{
    if (res->ups.n == 0 || q->name_len == 0 || q->name_len > VX__NAME_WIRE_MAX)
        return VX_EINVAL;
    if (res->nlookups >= res->opts.max_lookups)
        return VX_ELIMIT;
    lookup *lk = lookup_new(res, q, now);
    if (!lk)
        return VX_ENOMEM;
    *handle = lk->handle;
    if (answer_locally(res, lk, now)) {
        lk->finished = true;
    } else if (lk->delivered) {
        send_probes(res, lk, now); /* known down: answered; refresh only where a probe is due */
        lk->finished = lk->natt == 0;
    } else {
        keep_going(res, lk, now);
        if (!lk->finished)
            send_probes(res, lk, now);
    }
    sweep(res);
    return VX_OK;
}

/* A RESULT of a cancelled lookup may still sit in the queue: take it out, as promised. */
static void drop_queued_result(vx__res *res, uint64_t handle)
{
    for (size_t i = res->qhead; i < res->qlen; i++) {
        if (res->queue[i].kind != VX__ACT_RESULT || res->queue[i].result.lookup != handle)
            continue;
        vx__res_action_clear(&res->queue[i]);
        memmove(&res->queue[i], &res->queue[i + 1], (res->qlen - i - 1) * sizeof(*res->queue));
        res->qlen--;
        return;
    }
}

static lookup *find_lookup(vx__res *res, uint64_t handle)
{
    for (size_t i = 0; i < res->nlookups; i++)
        if (res->lookups[i]->handle == handle)
            return res->lookups[i];
    return NULL;
}

void vx__res_cancel(vx__res *res, uint64_t now, uint64_t handle)
{
    lookup *lk = find_lookup(res, handle);
    (void)now;
    if (!lk)
        return;
    cancel_attempts(res, lk);
    lk->finished = true;
    drop_queued_result(res, handle);
    sweep(res);
}

/* ---- responses, errors, timers ------------------------------------------------------------ */

/* The live attempt (not DONE) with this upstream and id, and its lookup. */
static attempt *find_attempt(vx__res *res, unsigned upstream, uint16_t id, lookup **lk_out)
{
    for (size_t i = 0; i < res->nlookups; i++) {
        lookup *lk = res->lookups[i];
        for (unsigned a = 0; !lk->finished && a < lk->natt; a++) {
            attempt *at = &lk->att[a];
            if (at->state != ATT_DONE && at->upstream == upstream && at->id == id) {
                *lk_out = lk;
                return at;
            }
        }
    }
    return NULL;
}

/* A response is taken only when it parses, is a response to a standard query and carries the
 * question asked; anything else is dropped and the attempt keeps waiting (a spoofer must not
 * be able to cut a lookup short). */
static vx__msg *accept_response(const lookup *lk, const uint8_t *wire, size_t len)
{
    vx__msg *m = NULL;
    if (vx__msg_parse(wire, len, &m) != VX_OK)
        return NULL;
    if (!(m->header.flags & VX__FLAG_QR) || VX__OPCODE(m->header.flags) != 0 || !m->has_question ||
        !vx__question_equal(&m->question, &lk->q)) {
        vx__msg_free(m);
        return NULL;
    }
    return m;
}

static void handle_response(vx__res *res, lookup *lk, attempt *at, vx__msg **mp, uint64_t now)
{
    const vx__msg *m = *mp;
    vx__upstream *u = &res->ups.v[at->upstream];
    uint64_t rtt = now - at->sent_at;
    uint16_t rcode = vx__msg_rcode(m);
    bool answer = rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN;

    at->state = ATT_DONE;
    /* Each attempt has its own id, so the sample is unambiguous even after a timeout. */
    vx__upstream_on_response(u, rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt,
                             answer || vx__msg_tc(m));
    if (vx__msg_tc(m) && !at->tcp &&
        send_attempt(res, lk, at->upstream, now, true, false, false) == VX_OK)
        return; /* truncated: the same upstream again over TCP */
    if (answer) {
        finish_success(res, lk, mp, at->upstream, now);
        return;
    }
    lk->saw_error_rcode = true;
    at->error_rcode = true;
    keep_going(res, lk, now);
}

void vx__res_on_response(vx__res *res, uint64_t now, unsigned upstream, const uint8_t *wire,
                         size_t len)
{
    vx__header h;
    lookup *lk = NULL;
    attempt *at = NULL;
    vx__msg *m = NULL;

    if (vx__wire_read_header(wire, len, &h) == VX_OK)
        at = find_attempt(res, upstream, h.id, &lk);
    if (at)
        m = accept_response(lk, wire, len);
    if (!m) {
        res->stats.dropped++;
        return;
    }
    handle_response(res, lk, at, &m, now);
    vx__msg_free(m);
    sweep(res);
}

void vx__res_on_send_error(vx__res *res, uint64_t now, unsigned upstream, uint16_t id, int status)
{
    lookup *lk = NULL;
    attempt *at = find_attempt(res, upstream, id, &lk);
    (void)status; /* every send error says the same: this upstream cannot be reached now */
    if (!at)
        return;
    if (at->state == ATT_WAITING) /* a LATE attempt was already counted as a failure */
        vx__upstream_on_error(&res->ups.v[upstream], now, at->probe);
    at->state = ATT_DONE;
    keep_going(res, lk, now);
    sweep(res);
}

static void expire_attempts(vx__res *res, lookup *lk, uint64_t now)
{
    for (unsigned a = 0; a < lk->natt; a++) {
        attempt *at = &lk->att[a];
        if (at->state != ATT_WAITING || now < at->timeout_at)
            continue;
        at->state = ATT_LATE;
        vx__upstream_on_timeout(&res->ups.v[at->upstream], now, at->probe);
        res->stats.timeouts++;
    }
}

/* The RFC 8767 client response timer of a lookup nobody has answered. The upstreams it asked
 * that stayed silent may be declared down now (vx__upstream_on_silent_lookup), so that the
 * lookups after it answer from stale or static data at once instead of each waiting this timer
 * again. Then stale data, else static data; with neither and every upstream known down, the
 * error now rather than at the end of the budget. The attempts go on either way: a late
 * answer still fills the cache. */
static void on_client_timer(vx__res *res, lookup *lk, uint64_t now)
{
    for (unsigned i = 0; i < res->ups.n; i++)
        if (tries_of(lk, i) > 0)
            (void)vx__upstream_on_silent_lookup(&res->ups.v[i], now);
    if (!deliver_fallback(res, lk, now) && vx__upstream_all_down(&res->ups))
        deliver_error(res, lk);
}

/* Runs every timer of lk that is due, in the order: attempt timeouts, client response timer,
 * budget, hedge, failover. */
static void run_timers(vx__res *res, lookup *lk, uint64_t now)
{
    expire_attempts(res, lk, now);
    if (!lk->delivered && now >= lk->client_at) {
        lk->client_at = NEVER;
        on_client_timer(res, lk, now);
    }
    if (now >= lk->give_up_at) {
        finish_failure(res, lk, now);
        return;
    }
    if (now >= lk->hedge_at) {
        lk->hedge_at = NEVER;
        if (open_count(lk, false) > 0 && !lk->pending)
            send_next(res, lk, now);
    }
    keep_going(res, lk, now);
}

void vx__res_on_timer(vx__res *res, uint64_t now)
{
    for (size_t i = 0; i < res->nlookups; i++)
        if (!res->lookups[i]->finished)
            run_timers(res, res->lookups[i], now);
    sweep(res);
}

static uint64_t lookup_deadline(const lookup *lk)
{
    uint64_t d = lk->give_up_at < lk->hedge_at ? lk->give_up_at : lk->hedge_at;
    if (!lk->delivered && lk->client_at < d)
        d = lk->client_at;
    for (unsigned a = 0; a < lk->natt; a++)
        if (lk->att[a].state == ATT_WAITING && lk->att[a].timeout_at < d)
            d = lk->att[a].timeout_at;
    return d;
}

uint64_t vx__res_deadline(const vx__res *res)
{
    uint64_t d = NEVER;
    for (size_t i = 0; i < res->nlookups; i++) {
        uint64_t l = lookup_deadline(res->lookups[i]);
        if (l < d)
            d = l;
    }
    return d;
}
