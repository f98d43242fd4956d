/*
 * monitor/diff.c — owns vx__diff_cycle(), the pure diff of one monitor cycle (monitor/diff.h):
 * this cycle's snapshot against the accepted baseline, the watched resolvers against the
 * authoritative servers, and the findings, each turned into open conditions and the events that
 * open and close them. docs/events.md states every rule an operator relies on; the comments
 * here say why a rule is the way it is.
 *
 * Every condition from the previous cycle ends in one of four ways: it still holds (refreshed),
 * it no longer holds (closed with its closing event), its subject was not observed this cycle
 * (a server that did not answer, a question that timed out: carried over unchanged, because
 * "unknown" must never read as "reverted"), or its subject is gone (a server no longer in the
 * NS set, a resolver no longer watched, a name the baseline no longer has: dropped silently).
 */
#include "monitor/diff.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>

#include "model/view.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"
#include "wire/query.h"
#include "wire/reader.h"

#define KEY_MAX (VX__LABEL_TEXT_MAX + VX__NAME_TEXT_MAX + 32)
#define MSG_MAX 1024
#define NONE SIZE_MAX

typedef struct diff_ctx {
    const vx__diff_input *in;
    const vx__conditions *prev; /* open at the start of the cycle */
    bool *handled;              /* per prev item: decided this cycle */
    vx__conditions next;
    vx__events *out;
    char domain[VX__NAME_TEXT_MAX]; /* without the trailing dot */
    vx__view base, cur;
    bool base_ok, cur_ok;
    const char *ns_names[64]; /* the NS names of the baseline and of this cycle */
    size_t ns_name_count;
    int rc; /* sticky: the first failure */
} diff_ctx;

/* The data of one answer: rdata strings (a CNAME at the name first, as "CNAME target"). */
typedef struct adata {
    char **v;
    size_t n;
    uint32_t ttl;
    uint16_t rcode;
} adata;

/* An event under construction; its strings live in the buffers. */
typedef struct evbuf {
    vx__event e;
    char server[VX__LABEL_TEXT_MAX];
    char name[VX__NAME_TEXT_MAX];
    char check[64];
    char message[MSG_MAX];
} evbuf;

/* ---- small helpers ------------------------------------------------------------------------ */

static void fail(diff_ctx *c, int rc)
{
    if (c->rc == VX_OK && rc != VX_OK)
        c->rc = rc;
}

static void adata_free(adata *d)
{
    for (size_t i = 0; d->v && i < d->n; i++)
        free(d->v[i]);
    free(d->v);
    memset(d, 0, sizeof *d);
}

static bool adata_push(adata *d, const char *prefix, const char *s)
{
    char **v = realloc(d->v, (d->n + 1) * sizeof *v);
    if (!v)
        return false;
    d->v = v;
    size_t len = strlen(prefix) + strlen(s) + 1;
    if (!(v[d->n] = malloc(len)))
        return false;
    snprintf(v[d->n++], len, "%s%s", prefix, s);
    return true;
}

static bool adata_equal(const adata *a, const adata *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return false;
    return true;
}

/* A response whose data may be compared: authoritative, conclusive and not truncated (a
 * truncated UDP answer may lack records, which must not read as a removal). */
static bool obs_usable(const vx__observation *o)
{
    return o && o->status == VX_OK && vx__obs_usable_aa(o) && !(o->flags & VX__FLAG_TC);
}

/* An answer's data for (qname, qtype); RRSIGs are never part of it: re-signing changes them
 * every few days and says nothing about the data. */
static int adata_of(const vx__observation *o, const char *qname, uint16_t qtype, adata *out)
{
    vx__answer a;
    vx__answer_of(o, qname, qtype, &a);
    memset(out, 0, sizeof *out);
    out->rcode = o->rcode;
    bool ok = true;
    if (a.cname && a.cname->count > 0) {
        ok = adata_push(out, "CNAME ", a.cname->rdata[0]);
        out->ttl = a.cname->ttl;
    }
    for (size_t i = 0; ok && a.set && i < a.set->count; i++)
        ok = adata_push(out, "", a.set->rdata[i]);
    if (a.set)
        out->ttl = a.cname && a.cname->ttl < a.set->ttl ? a.cname->ttl : a.set->ttl;
    if (!ok)
        adata_free(out);
    return ok ? VX_OK : VX_ENOMEM;
}

/* "[192.0.2.10, 192.0.2.11]", "NXDOMAIN" or "no data". */
static void adata_text(const adata *d, char *out, size_t cap)
{
    if (d->n == 0) {
        snprintf(out, cap, "%s", d->rcode == VX__RCODE_NXDOMAIN ? "NXDOMAIN" : "no data");
        return;
    }
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < d->n && len + 1 < cap; i++) {
        int w = snprintf(out + len, cap - len, "%s%s", i ? ", " : "[", d->v[i]);
        len = w < 0 ? cap : len + (size_t)w;
    }
    if (len + 2 < cap)
        snprintf(out + len, cap - len, "]");
}

/* "45 s", "12 min", "3 h 5 min", "2.5 days". */
static void span_text(uint64_t ms, char *out, size_t cap)
{
    uint64_t s = (ms + 500) / 1000;
    if (ms < 10000)
        snprintf(out, cap, "%.1f s", (double)ms / 1000.0);
    else if (s < 120)
        snprintf(out, cap, "%" PRIu64 " s", s);
    else if (s < 7200)
        snprintf(out, cap, "%" PRIu64 " min", (s + 30) / 60);
    else if (s < 172800)
        snprintf(out, cap, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
    else
        snprintf(out, cap, "%.1f days", (double)s / 86400.0);
}

static uint64_t since(const diff_ctx *c, uint64_t t)
{
    return c->in->now_ms > t ? c->in->now_ms - t : 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The second field of "kind|subject|...". */
static void key_subject(const char *key, char *out, size_t cap)
{
    const char *p = strchr(key, '|');
    const char *e = p ? strchr(p + 1, '|') : NULL;
    size_t n = !p ? 0 : (e ? (size_t)(e - p - 1) : strlen(p + 1));
    snprintf(out, cap, "%.*s", (int)n, p ? p + 1 : "");
}

/* ---- events ------------------------------------------------------------------------------- */

static void ev_init(diff_ctx *c, evbuf *b, vx__event_type type, vx__severity sev,
                    const char *server, const char *name, uint16_t rrtype)
{
    memset(b, 0, sizeof *b);
    b->e.type = type;
    b->e.severity = sev;
    b->e.domain = c->domain;
    if (server) {
        snprintf(b->server, sizeof b->server, "%s", server);
        b->e.server = b->server;
    }
    if (name) {
        vx__name_show(name, b->name, sizeof b->name);
        b->e.name = b->name;
    }
    b->e.rrtype = rrtype;
    b->e.message = b->message;
    b->e.first_seen_ms = b->e.last_seen_ms = c->in->now_ms;
}

static void ev_msg(evbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ev_msg(evbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->message, sizeof b->message, fmt, ap);
    va_end(ap);
}

static void ev_data(evbuf *b, const adata *old, const adata *now)
{
    b->e.old_data = old ? old->v : NULL;
    b->e.old_count = old ? old->n : 0;
    b->e.old_ttl = old ? old->ttl : 0;
    b->e.new_data = now ? now->v : NULL;
    b->e.new_count = now ? now->n : 0;
    b->e.new_ttl = now ? now->ttl : 0;
}

static void emit(diff_ctx *c, const evbuf *b)
{
    fail(c, vx__events_push(c->out, &b->e));
}

/* A closing event spans the condition: first seen then, ended now. */
static void emit_closing(diff_ctx *c, evbuf *b, const vx__condition *cond)
{
    b->e.first_seen_ms = cond->first_seen_ms;
    b->e.last_seen_ms = c->in->now_ms;
    emit(c, b);
}

/* ---- conditions --------------------------------------------------------------------------- */

static size_t prev_index(const diff_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->prev->count; i++)
        if (!c->handled[i] && strcmp(c->prev->items[i].key, key) == 0)
            return i;
    return NONE;
}

/* The condition open from earlier cycles under key, not yet decided this cycle; NULL if none. */
static const vx__condition *prev_get(const diff_ctx *c, const char *key)
{
    size_t i = prev_index(c, key);
    return i == NONE ? NULL : &c->prev->items[i];
}

/* Decides key's condition without keeping it: closed or dropped. */
static void forget(diff_ctx *c, const char *key)
{
    size_t i = prev_index(c, key);
    if (i != NONE)
        c->handled[i] = true;
}

static void keep(diff_ctx *c, const vx__condition *cond)
{
    fail(c, vx__conditions_put(&c->next, cond));
}

static uint64_t detail_u64(const char *detail, const char *field)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    json_int_t v = json_integer_value(json_object_get(o, field));
    json_decref(o);
    return v > 0 ? (uint64_t)v : 0;
}

/* detail with "before": the last cycle before the condition was first seen, which did not see
 * it (0: unknown). A closing event's duration is bounded by it (malloc'd; NULL: no memory). */
static char *detail_before(const char *detail, uint64_t before)
{
    json_t *o = json_loads(detail ? detail : "{}", 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    char *text = NULL;
    if (o && json_object_set_new(o, "before", json_integer((json_int_t)before)) == 0)
        text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static void keep_with_before(diff_ctx *c, vx__condition *cond, const char *detail, uint64_t before)
{
    char *text = detail_before(detail, before);
    if (!text) {
        fail(c, VX_ENOMEM);
        return;
    }
    cond->detail = text;
    keep(c, cond); /* put() copies it */
    free(text);
}

/* The condition holds this cycle: refreshed if open (detail replaced when given), else opened
 * with ev (which is emitted; NULL opens it unannounced). */
static void hold(diff_ctx *c, const char *key, vx__event_type opened_by, const evbuf *ev,
                 const char *detail)
{
    if (vx__conditions_get(&c->next, key))
        return; /* held twice in one cycle (two identical findings): announce once */
    size_t i = prev_index(c, key);
    if (i != NONE) {
        vx__condition cond = c->prev->items[i];
        c->handled[i] = true;
        cond.last_seen_ms = c->in->now_ms;
        if (detail)
            keep_with_before(c, &cond, detail, detail_u64(cond.detail, "before"));
        else
            keep(c, &cond);
        return;
    }
    vx__condition cond = {.key = (char *)key,
                          .opened_by = opened_by,
                          .first_seen_ms = c->in->now_ms,
                          .last_seen_ms = c->in->now_ms};
    keep_with_before(c, &cond, detail, c->in->prev_cycle_ms);
    if (ev)
        emit(c, ev);
}

/* How long a condition that ended this cycle lasted, as honest bounds: at least from the first
 * to the last cycle that saw it, at most from the last cycle before it (which did not see it)
 * to this one. "at least 4 s and at most 7 s", or "at least 4 s" when the cycle before is
 * unknown (the monitor had just started). */
static void bounds_text(const diff_ctx *c, const vx__condition *cond, char *out, size_t cap)
{
    char lo[32], hi[32];
    uint64_t before = detail_u64(cond->detail, "before");
    uint64_t seen =
        cond->last_seen_ms > cond->first_seen_ms ? cond->last_seen_ms - cond->first_seen_ms : 0;
    span_text(seen, lo, sizeof lo);
    if (before == 0 || before > cond->first_seen_ms) {
        snprintf(out, cap, "at least %s", lo);
        return;
    }
    span_text(since(c, before), hi, sizeof hi);
    snprintf(out, cap, "at least %s and at most %s", lo, hi);
}

/* ---- condition details (JSON) -------------------------------------------------------------- */

static json_t *adata_json(const adata *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < d->n; i++)
        json_array_append_new(arr, json_string(d->v[i]));
    return arr;
}

/* {"old":[...],"new":[...],"old_ttl":n,"new_ttl":n,"new_rcode":n} (malloc'd). */
static char *detail_pair(const adata *old, const adata *now)
{
    json_t *o = json_pack("{s:o,s:o,s:I,s:I,s:i}", "old", adata_json(old), "new", adata_json(now),
                          "old_ttl", (json_int_t)old->ttl, "new_ttl", (json_int_t)now->ttl,
                          "new_rcode", (int)now->rcode);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* The "new" side of a pair detail: the changed data the condition last announced. */
static bool detail_new(const char *detail, adata *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    json_t *arr = json_object_get(o, "new");
    bool ok = json_is_array(arr);
    for (size_t i = 0; ok && i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        ok = s && adata_push(out, "", s);
    }
    out->ttl = (uint32_t)json_integer_value(json_object_get(o, "new_ttl"));
    out->rcode = (uint16_t)json_integer_value(json_object_get(o, "new_rcode"));
    json_decref(o);
    if (!ok)
        adata_free(out);
    return ok;
}

static const char *detail_str(const char *detail, const char *field, char *out, size_t cap)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(o, field));
    snprintf(out, cap, "%s", s ? s : "");
    json_decref(o);
    return out[0] ? out : NULL;
}

static bool detail_bool(const char *detail, const char *field)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    bool v = json_is_true(json_object_get(o, field));
    json_decref(o);
    return v;
}

static char *detail_fields(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *o = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* ---- snapshot lookups ---------------------------------------------------------------------- */

static bool same_addr(const vx__observation *o, const vx__server *s)
{
    return vx__addr_equal((const struct sockaddr *)&o->addr, (const struct sockaddr *)&s->addr);
}

static bool is_data_udp(const vx__observation *o)
{
    return o->kind == VX__PROBE_DATA && o->transport == VX__UDP;
}

/* The first usable UDP DATA answer to (qname, qtype) from addr in snap; NULL if none. */
static const vx__observation *find_answer(const vx__snapshot *snap, const vx__server *s,
                                          const char *qname, uint16_t qtype)
{
    for (size_t i = 0; snap && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (is_data_udp(o) && o->qtype == qtype && same_addr(o, s) &&
            vx__name_eq(o->qname, qname) && obs_usable(o))
            return o;
    }
    return NULL;
}

/* The server's own baseline answer; a server that is new (or had no answer in the baseline)
 * is held to the baseline's consensus. false: the baseline has no basis to compare with. */
static bool baseline_data(diff_ctx *c, const vx__server *s, const char *qname, uint16_t qtype,
                          adata *out)
{
    const vx__observation *o = find_answer(c->in->baseline, s, qname, qtype);
    if (!o && c->base_ok) {
        vx__answer a;
        vx__view_answer(&c->base, qname, qtype, &a);
        o = a.holders > 0 && obs_usable(a.obs) ? a.obs : NULL;
    }
    if (!o)
        return false;
    fail(c, adata_of(o, qname, qtype, out));
    return c->rc == VX_OK;
}

static const vx__server *server_in(const vx__snapshot *snap, const char *label)
{
    char l[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; snap && i < snap->server_count; i++) {
        const vx__server *s = &snap->servers[i];
        if (vx__server_label(s->name, (const struct sockaddr *)&s->addr, l, sizeof l) == VX_OK &&
            strcmp(l, label) == 0)
            return s;
    }
    return NULL;
}

/* A server of the domain or of one of its alternate domains, as probed this cycle. */
static const vx__server *current_server(const diff_ctx *c, const char *label)
{
    const vx__snapshot *snap = c->in->current;
    const vx__server *s = server_in(snap, label);
    for (size_t i = 0; !s && i < snap->alt_count; i++)
        s = server_in(snap->alt[i], label);
    return s;
}

/* ---- records and TTLs (per server, per name and type) ------------------------------------- */

/* What a compared answer is: a server's data (record), a parent server's delegation (its NS
 * set and glue for the domain) or its DS RRset. Each has its own condition keys. */
typedef enum rec_family { FAM_RECORD = 0, FAM_DELEGATION, FAM_DS } rec_family;

typedef struct rec {
    rec_family family;
    const char *label; /* the server */
    const char *qname;
    uint16_t qtype;
    const adata *base, *now;
    char rkey[KEY_MAX], tkey[KEY_MAX];
    char tname[16]; /* type mnemonic */
} rec;

static bool is_ns_name(const diff_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->ns_name_count; i++)
        if (vx__name_eq(c->ns_names[i], name))
            return true;
    return false;
}

static bool is_acme_challenge(const char *qname)
{
    return strncasecmp(qname, "_acme-challenge.", 16) == 0;
}

/* The event a change of r's data opens (docs/events.md): the hijack surface has its own
 * events, everything else is RECORD-ADDED, -REMOVED or -CHANGED. */
static vx__event_type change_type(const diff_ctx *c, const rec *r, const adata *from,
                                  vx__severity *sev)
{
    *sev = VX__SEV_ERROR;
    if (r->family == FAM_DELEGATION) {
        *sev = VX__SEV_CRITICAL;
        return VX__EV_DELEGATION_CHANGED;
    }
    if (r->family == FAM_DS) {
        *sev = r->now->n == 0 && from->n > 0 ? VX__SEV_CRITICAL : VX__SEV_ERROR;
        return r->now->n == 0 && from->n > 0 ? VX__EV_DS_REMOVED : VX__EV_DS_CHANGED;
    }
    if (r->qtype == VX__T_CAA) {
        *sev = VX__SEV_WARNING;
        return VX__EV_CAA_CHANGED;
    }
    if (r->qtype == VX__T_TXT && is_acme_challenge(r->qname) && from->n == 0) {
        *sev = VX__SEV_WARNING;
        return VX__EV_ACME_CHALLENGE_APPEARED;
    }
    if ((r->qtype == VX__T_A || r->qtype == VX__T_AAAA) && is_ns_name(c, r->qname))
        return VX__EV_NS_ADDRESS_CHANGED;
    if (from->n == 0)
        return VX__EV_RECORD_ADDED;
    return r->now->n == 0 ? VX__EV_RECORD_REMOVED : VX__EV_RECORD_CHANGED;
}

static void change_event(diff_ctx *c, const rec *r, const adata *from, evbuf *b)
{
    char was[MSG_MAX / 4], is[MSG_MAX / 4], base[MSG_MAX / 4], tail[MSG_MAX / 4 + 16] = "";
    adata_text(from, was, sizeof was);
    adata_text(r->now, is, sizeof is);
    adata_text(r->base, base, sizeof base);
    vx__severity sev;
    vx__event_type type = change_type(c, r, from, &sev);
    ev_init(c, b, type, sev, r->label, r->qname, r->qtype);
    ev_data(b, from, r->now);
    if (from != r->base)
        snprintf(tail, sizeof tail, " (baseline: %s)", base);
    if (r->family == FAM_DELEGATION)
        ev_msg(b, "parent server %s delegates %s to %s instead of %s%s", r->label, b->name, is, was,
               tail);
    else if (r->family == FAM_DS)
        ev_msg(b, "parent server %s answers %s DS with %s instead of %s%s", r->label, b->name, is,
               was, tail);
    else
        ev_msg(b, "%s answers %s %s with %s instead of %s%s", r->label, b->name, r->tname, is, was,
               tail);
}

/* The data differs from the baseline: announce it once, and again whenever it moves on to yet
 * another value (each value a hijacker tries is evidence). */
static void record_differs(diff_ctx *c, const rec *r)
{
    char *detail = detail_pair(r->base, r->now);
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = prev_get(c, r->rkey);
    adata last;
    evbuf b;
    if (open && detail_new(open->detail, &last)) {
        if (!adata_equal(&last, r->now)) {
            change_event(c, r, &last, &b);
            b.e.first_seen_ms = open->first_seen_ms;
            emit(c, &b);
        }
        adata_free(&last);
        hold(c, r->rkey, open->opened_by, NULL, detail);
    } else {
        change_event(c, r, r->base, &b);
        hold(c, r->rkey, b.e.type, &b, detail);
    }
    free(detail);
}

/* The data equals the baseline. The change reverted — unless the baseline itself moved to the
 * changed data (the operator accepted it), which is not news. */
static void record_same(diff_ctx *c, const rec *r)
{
    const vx__condition *open = prev_get(c, r->rkey);
    adata last;
    if (!open || !detail_new(open->detail, &last)) {
        forget(c, r->rkey);
        return;
    }
    if (!adata_equal(&last, r->now)) {
        char was[MSG_MAX / 3], is[MSG_MAX / 3], span[128];
        adata_text(&last, was, sizeof was);
        adata_text(r->now, is, sizeof is);
        bounds_text(c, open, span, sizeof span);
        evbuf b;
        ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, r->label, r->qname, r->qtype);
        ev_data(&b, &last, r->now);
        if (r->family == FAM_DELEGATION)
            ev_msg(&b,
                   "parent server %s delegates %s to %s again, as in the baseline; it gave %s "
                   "for %s",
                   r->label, b.name, is, was, span);
        else
            ev_msg(&b, "%s answers %s %s with %s again, as in the baseline; it served %s for %s",
                   r->label, b.name, r->tname, is, was, span);
        emit_closing(c, &b, open);
    }
    adata_free(&last);
    forget(c, r->rkey);
}

static void ttl_event(diff_ctx *c, const rec *r, const adata *from, evbuf *b)
{
    ev_init(c, b, VX__EV_TTL_CHANGED, VX__SEV_NOTICE, r->label, r->qname, r->qtype);
    ev_data(b, from, r->now);
    ev_msg(b, "%s serves %s %s with TTL %" PRIu32 " s instead of %" PRIu32 " s", r->label, b->name,
           r->tname, r->now->ttl, from->ttl);
}

/* Same data, another TTL: announced once, and again for each further TTL. */
static void ttl_differs(diff_ctx *c, const rec *r)
{
    char *detail = detail_pair(r->base, r->now);
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = prev_get(c, r->tkey);
    adata last = {0};
    evbuf b;
    if (!open) {
        ttl_event(c, r, r->base, &b);
        hold(c, r->tkey, VX__EV_TTL_CHANGED, &b, detail);
    } else {
        if (detail_new(open->detail, &last) && last.ttl != r->now->ttl) {
            ttl_event(c, r, &last, &b);
            b.e.first_seen_ms = open->first_seen_ms;
            emit(c, &b);
        }
        hold(c, r->tkey, open->opened_by, NULL, detail);
    }
    adata_free(&last);
    free(detail);
}

static void ttl_same(diff_ctx *c, const rec *r)
{
    const vx__condition *open = prev_get(c, r->tkey);
    adata last;
    if (!open || !detail_new(open->detail, &last)) {
        forget(c, r->tkey);
        return;
    }
    if (last.ttl != r->now->ttl) {
        char span[128];
        bounds_text(c, open, span, sizeof span);
        evbuf b;
        ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_NOTICE, r->label, r->qname, r->qtype);
        ev_data(&b, &last, r->now);
        ev_msg(&b,
               "%s serves %s %s with the baseline TTL %" PRIu32 " s again (was %" PRIu32
               " s for %s)",
               r->label, b.name, r->tname, r->now->ttl, last.ttl, span);
        emit_closing(c, &b, open);
    }
    adata_free(&last);
    forget(c, r->tkey);
}

static const char *const FAMILY_KEYS[][2] = {
    {"record", "ttl"}, {"delegation", "delegation-ttl"}, {"ds", "ds-ttl"}};

static void compare_keys(rec *r)
{
    vx__rrtype_to_text(r->qtype, r->tname, sizeof r->tname);
    snprintf(r->rkey, sizeof r->rkey, "%s|%s|%s|%s", FAMILY_KEYS[r->family][0], r->label, r->qname,
             r->tname);
    snprintf(r->tkey, sizeof r->tkey, "%s|%s|%s|%s", FAMILY_KEYS[r->family][1], r->label, r->qname,
             r->tname);
}

static void compare_one(diff_ctx *c, rec *r)
{
    compare_keys(r);
    if (!adata_equal(r->base, r->now)) {
        record_differs(c, r); /* the TTL condition waits: unknown while the data differs */
        return;
    }
    record_same(c, r);
    if (r->base->n > 0 && r->base->ttl != r->now->ttl)
        ttl_differs(c, r);
    else
        ttl_same(c, r);
}

/* SOA changes with every update (the serial): SERIAL-LAG watches it instead. */
static bool compared_type(uint16_t t)
{
    return t != VX__T_SOA && t != VX__T_RRSIG;
}

/* Only the first usable answer per (address, name, type) counts. */
static bool first_of_its_kind(const vx__snapshot *snap, const vx__observation *o)
{
    for (const vx__observation *p = snap->obs; p < o; p++)
        if (is_data_udp(p) && p->qtype == o->qtype &&
            vx__addr_equal((const struct sockaddr *)&p->addr, (const struct sockaddr *)&o->addr) &&
            vx__name_eq(p->qname, o->qname) && obs_usable(p))
            return false;
    return true;
}

static void compare_obs(diff_ctx *c, const vx__server *s, const char *label,
                        const vx__observation *o)
{
    adata base, now;
    if (!baseline_data(c, s, o->qname, o->qtype, &base)) {
        char key[KEY_MAX], t[16];
        vx__rrtype_to_text(o->qtype, t, sizeof t);
        snprintf(key, sizeof key, "record|%s|%s|%s", label, o->qname, t);
        forget(c, key); /* no basis any more: the baseline was replaced */
        snprintf(key, sizeof key, "ttl|%s|%s|%s", label, o->qname, t);
        forget(c, key);
        return;
    }
    fail(c, adata_of(o, o->qname, o->qtype, &now));
    if (c->rc == VX_OK) {
        rec r = {.label = label, .qname = o->qname, .qtype = o->qtype, .base = &base, .now = &now};
        compare_one(c, &r);
        adata_free(&now);
    }
    adata_free(&base);
}

static void compare_server_records(diff_ctx *c, const vx__server *s, const char *label)
{
    const vx__snapshot *snap = c->in->current;
    for (size_t i = 0; i < snap->obs_count && c->rc == VX_OK; i++) {
        const vx__observation *o = &snap->obs[i];
        if (is_data_udp(o) && same_addr(o, s) && compared_type(o->qtype) && obs_usable(o) &&
            first_of_its_kind(snap, o))
            compare_obs(c, s, label, o);
    }
}

/* ---- the hijack surface: names outside the domain, the delegation, DS, the server set ----- */

typedef bool (*usable_fn)(const vx__observation *o);
typedef int (*extract_fn)(const vx__observation *o, const char *qname, uint16_t qtype, adata *out);

/* The first UDP answer of kind to (qname, qtype) that passes usable, from addr (NULL: any). */
static const vx__observation *find_kind(const vx__snapshot *snap, vx__probe_kind kind,
                                        const struct sockaddr *addr, const char *qname,
                                        uint16_t qtype, usable_fn usable)
{
    for (size_t i = 0; snap && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == kind && o->transport == VX__UDP && o->qtype == qtype &&
            (!addr || vx__addr_equal((const struct sockaddr *)&o->addr, addr)) &&
            vx__name_eq(o->qname, qname) && usable(o))
            return o;
    }
    return NULL;
}

/* Compares o (this cycle) with the baseline's answer from the same address, else with the
 * baseline's first answer of that kind: a server that is new is held to what the others said. */
static void compare_kind(diff_ctx *c, rec_family fam, const vx__observation *o, usable_fn usable,
                         extract_fn extract)
{
    const struct sockaddr *addr = (const struct sockaddr *)&o->addr;
    const vx__observation *b =
        find_kind(c->in->baseline, o->kind, addr, o->qname, o->qtype, usable);
    if (!b)
        b = find_kind(c->in->baseline, o->kind, NULL, o->qname, o->qtype, usable);
    char label[VX__LABEL_TEXT_MAX];
    vx__obs_label(o, label, sizeof label);
    rec r = {.family = fam, .label = label, .qname = o->qname, .qtype = o->qtype};
    adata base = {0}, now = {0};
    if (!b) { /* no basis: the baseline was replaced, or never had it */
        compare_keys(&r);
        forget(c, r.rkey);
        forget(c, r.tkey);
        return;
    }
    fail(c, extract(b, o->qname, o->qtype, &base));
    fail(c, extract(o, o->qname, o->qtype, &now));
    r.base = &base;
    r.now = &now;
    if (c->rc == VX_OK)
        compare_one(c, &r);
    adata_free(&base);
    adata_free(&now);
}

/* Only the first answer per (kind, address, name, type) counts. */
static bool first_usable(const vx__snapshot *snap, const vx__observation *o, usable_fn usable)
{
    return find_kind(snap, o->kind, (const struct sockaddr *)&o->addr, o->qname, o->qtype,
                     usable) == o;
}

static void compare_all_of_kind(diff_ctx *c, vx__probe_kind kind, rec_family fam, usable_fn usable,
                                extract_fn extract)
{
    const vx__snapshot *snap = c->in->current;
    for (size_t i = 0; i < snap->obs_count && c->rc == VX_OK; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == kind && o->transport == VX__UDP && compared_type(o->qtype) && usable(o) &&
            first_usable(snap, o, usable))
            compare_kind(c, fam, o, usable, extract);
    }
}

/* A referral (or the parent's own answer) that says what the delegation is. */
static bool referral_usable(const vx__observation *o)
{
    return o && o->status == VX_OK && !(o->flags & VX__FLAG_TC) &&
           (o->rcode == VX__RCODE_NOERROR || o->rcode == VX__RCODE_NXDOMAIN);
}

static bool push_glue(adata *out, const vx__observation *o, const char *ns_name)
{
    static const uint16_t types[2] = {VX__T_A, VX__T_AAAA};
    char prefix[VX__NAME_TEXT_MAX + 8];
    for (size_t t = 0; t < 2; t++) {
        const vx__rrset *glue = vx__obs_find(o, VX__SECTION_ADDITIONAL, ns_name, types[t]);
        snprintf(prefix, sizeof prefix, "%s %s ", ns_name, t ? "AAAA" : "A");
        for (size_t j = 0; glue && j < glue->count; j++)
            if (!adata_push(out, prefix, glue->rdata[j]))
                return false;
    }
    return true;
}

/* A parent's delegation of qname: its NS names, then the glue it gives for them
 * ("ns1.example.com. A 192.0.2.1"). */
static int delegation_of(const vx__observation *o, const char *qname, uint16_t qtype, adata *out)
{
    (void)qtype;
    memset(out, 0, sizeof *out);
    out->rcode = o->rcode;
    const vx__rrset *ns = vx__obs_find(o, VX__SECTION_AUTHORITY, qname, VX__T_NS);
    if (!ns)
        ns = vx__obs_find(o, VX__SECTION_ANSWER, qname, VX__T_NS);
    bool ok = true;
    for (size_t i = 0; ok && ns && i < ns->count; i++)
        ok = adata_push(out, "", ns->rdata[i]);
    for (size_t i = 0; ok && ns && i < ns->count; i++)
        ok = push_glue(out, o, ns->rdata[i]);
    out->ttl = ns ? ns->ttl : 0;
    if (!ok)
        adata_free(out);
    return ok ? VX_OK : VX_ENOMEM;
}

/* The delegation and DS at every parent server, and the domain's names as the zones that own
 * them serve them (NS hosts' addresses, out-of-zone SIP targets, their CAA and challenges). */
static void check_surface(diff_ctx *c)
{
    compare_all_of_kind(c, VX__PROBE_PARENT, FAM_DELEGATION, referral_usable, delegation_of);
    compare_all_of_kind(c, VX__PROBE_DS, FAM_DS, obs_usable, adata_of);
    compare_all_of_kind(c, VX__PROBE_FOREIGN, FAM_RECORD, obs_usable, adata_of);
}

/* The set of authoritative addresses: one that joined or left it since the baseline. */
static bool server_set_comparable(const diff_ctx *c)
{
    const vx__snapshot *b = c->in->baseline, *s = c->in->current;
    return b && b != s && s->delegation_status == VX_OK && s->server_count > 0 &&
           b->server_count > 0;
}

static void server_change(diff_ctx *c, vx__event_type type, const vx__server *srv,
                          const char *label)
{
    bool added = type == VX__EV_SERVER_ADDED;
    char key[KEY_MAX], addr[VX__ADDR_TEXT_MAX];
    snprintf(key, sizeof key, "%s|%s", added ? "server-added" : "server-removed", label);
    const struct sockaddr *sa = (const struct sockaddr *)&srv->addr;
    if (vx__addr_format(sa, addr, sizeof addr) != 0)
        snprintf(addr, sizeof addr, "?");
    char *data[1] = {addr};
    evbuf b;
    ev_init(c, &b, type, VX__SEV_WARNING, label, srv->name,
            sa->sa_family == AF_INET6 ? VX__T_AAAA : VX__T_A);
    b.e.old_data = added ? NULL : data;
    b.e.old_count = added ? 0 : 1;
    b.e.new_data = added ? data : NULL;
    b.e.new_count = added ? 1 : 0;
    if (added)
        ev_msg(&b, "%s joined the authoritative servers of %s (it is not in the baseline)", label,
               c->domain);
    else
        ev_msg(&b, "%s left the authoritative servers of %s (it is in the baseline)", label,
               c->domain);
    char *detail = detail_fields("{s:s,s:s}", "name", srv->name, "addr", addr);
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    hold(c, key, type, &b, detail);
    free(detail);
}

/* A server-set condition that no longer holds: the address is back where the baseline has it
 * (reverted), or the baseline now agrees with this cycle (accepted: not news). */
static void server_change_gone(diff_ctx *c, const vx__condition *cond)
{
    bool added = has_prefix(cond->key, "server-added|");
    char label[VX__LABEL_TEXT_MAX], name[VX__NAME_TEXT_MAX], addr[VX__ADDR_TEXT_MAX];
    char span[128];
    key_subject(cond->key, label, sizeof label);
    bool in_now = server_in(c->in->current, label) != NULL;
    forget(c, cond->key);
    if (added == in_now)
        return;
    detail_str(cond->detail, "name", name, sizeof name);
    detail_str(cond->detail, "addr", addr, sizeof addr);
    bounds_text(c, cond, span, sizeof span);
    char *data[1] = {addr};
    evbuf b;
    ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_NOTICE, label, name[0] ? name : NULL,
            strchr(addr, ':') ? VX__T_AAAA : VX__T_A);
    b.e.old_data = added ? data : NULL;
    b.e.old_count = added ? 1 : 0;
    b.e.new_data = added ? NULL : data;
    b.e.new_count = added ? 0 : 1;
    if (added)
        ev_msg(&b,
               "%s is no longer among the authoritative servers of %s, as in the baseline; "
               "it was among them for %s",
               label, c->domain, span);
    else
        ev_msg(&b,
               "%s is among the authoritative servers of %s again, as in the baseline; "
               "it was away for %s",
               label, c->domain, span);
    emit_closing(c, &b, cond);
}

static void check_server_set(diff_ctx *c)
{
    if (!server_set_comparable(c))
        return; /* unknown this cycle: open server-set conditions are carried over */
    const vx__snapshot *b = c->in->baseline, *s = c->in->current;
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < s->server_count && c->rc == VX_OK; i++) {
        const vx__server *srv = &s->servers[i];
        if (vx__server_label(srv->name, (const struct sockaddr *)&srv->addr, label, sizeof label) ==
                VX_OK &&
            !server_in(b, label))
            server_change(c, VX__EV_SERVER_ADDED, srv, label);
    }
    for (size_t i = 0; i < b->server_count && c->rc == VX_OK; i++) {
        const vx__server *srv = &b->servers[i];
        if (vx__server_label(srv->name, (const struct sockaddr *)&srv->addr, label, sizeof label) ==
                VX_OK &&
            !server_in(s, label))
            server_change(c, VX__EV_SERVER_REMOVED, srv, label);
    }
    for (size_t i = 0; i < c->prev->count && c->rc == VX_OK; i++) {
        const vx__condition *cond = &c->prev->items[i];
        if (!c->handled[i] && has_prefix(cond->key, "server-"))
            server_change_gone(c, cond);
    }
}

/* ---- liveness: NS-DOWN / NS-RECOVERED ------------------------------------------------------ */

typedef enum liveness { LIVE_UNKNOWN = 0, LIVE_UP, LIVE_DOWN } liveness;

/* Down: asked over UDP and not one DATA question got a response. */
static liveness server_liveness(const vx__snapshot *snap, const vx__server *s, int *why)
{
    liveness l = LIVE_UNKNOWN;
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (!is_data_udp(o) || !same_addr(o, s))
            continue;
        if (o->status == VX_OK)
            return LIVE_UP;
        if (l == LIVE_UNKNOWN || *why == VX_ECANCELED)
            *why = o->status;
        l = LIVE_DOWN;
    }
    return l;
}

static void recovered(diff_ctx *c, const char *key, const char *label, const char *what)
{
    const vx__condition *open = prev_get(c, key);
    if (!open)
        return;
    char span[128];
    bounds_text(c, open, span, sizeof span);
    evbuf b;
    ev_init(c, &b, VX__EV_NS_RECOVERED, VX__SEV_NOTICE, label, NULL, 0);
    ev_msg(&b, "%s %s answers again after an outage of %s", what, label, span);
    emit_closing(c, &b, open);
    forget(c, key);
}

static liveness check_liveness(diff_ctx *c, const vx__server *s, const char *label)
{
    char key[KEY_MAX];
    snprintf(key, sizeof key, "down|%s", label);
    int why = VX_ETIMEDOUT;
    liveness l = server_liveness(c->in->current, s, &why);
    if (l == LIVE_UP) {
        recovered(c, key, label, "name server");
    } else if (l == LIVE_DOWN) {
        evbuf b;
        ev_init(c, &b, VX__EV_NS_DOWN, VX__SEV_ERROR, label, NULL, 0);
        ev_msg(&b, "name server %s does not answer over UDP (%s)", label, vx_strerror(why));
        char *detail = detail_fields("{s:s}", "error", vx_strerror(why));
        hold(c, key, VX__EV_NS_DOWN, &b, detail);
        free(detail);
    }
    return l;
}

/* ---- serials: SERIAL-LAG ------------------------------------------------------------------- */

/* RFC 1982: a < b in serial number arithmetic. */
static bool serial_lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u;
}

typedef struct serial_of {
    const vx__server *srv;
    uint32_t serial;
    const char *rdata;
    bool known;
} serial_of;

static void serial_read(const diff_ctx *c, const vx__server *s, serial_of *out)
{
    memset(out, 0, sizeof *out);
    out->srv = s;
    const char *d = c->in->current->domain;
    const vx__observation *o = find_answer(c->in->current, s, d, VX__T_SOA);
    const vx__rrset *soa = o ? vx__obs_find(o, VX__SECTION_ANSWER, d, VX__T_SOA) : NULL;
    uint32_t r, rt, e, m;
    if (soa && soa->count > 0 &&
        vx__soa_parse(soa->rdata[0], &out->serial, &r, &rt, &e, &m) == VX_OK) {
        out->rdata = soa->rdata[0];
        out->known = true;
    }
}

static void lag_behind(diff_ctx *c, const char *label, const serial_of *me, const serial_of *top)
{
    char key[KEY_MAX];
    snprintf(key, sizeof key, "lag|%s", label);
    const vx__condition *open = prev_get(c, key);
    uint64_t first = open ? open->first_seen_ms : c->in->now_ms;
    bool announced = open && detail_bool(open->detail, "announced");
    bool due = announced || since(c, first) >= c->in->cfg->serial_lag_ms;
    char *detail =
        detail_fields("{s:b,s:s,s:s}", "announced", due, "old", me->rdata, "new", top->rdata);
    evbuf b;
    char span[32];
    span_text(since(c, first), span, sizeof span);
    ev_init(c, &b, VX__EV_SERIAL_LAG, VX__SEV_WARNING, label, c->in->current->domain, VX__T_SOA);
    ev_msg(&b, "%s serves SOA serial %" PRIu32 ", behind the newest %" PRIu32 "%s%s", label,
           me->serial, top->serial, since(c, first) ? " for " : "", since(c, first) ? span : "");
    char *old_v[1] = {(char *)me->rdata}, *new_v[1] = {(char *)top->rdata};
    b.e.old_data = old_v;
    b.e.old_count = 1;
    b.e.new_data = new_v;
    b.e.new_count = 1;
    b.e.first_seen_ms = first;
    if (open && due && !announced)
        emit(c, &b);
    hold(c, key, VX__EV_SERIAL_LAG, due && !open ? &b : NULL, detail);
    free(detail);
}

/* Caught up: closing SERIAL-LAG (notice) says how long the secondary took. */
static void lag_ok(diff_ctx *c, const char *label, const serial_of *me)
{
    char key[KEY_MAX], old[512];
    snprintf(key, sizeof key, "lag|%s", label);
    const vx__condition *open = prev_get(c, key);
    if (open && detail_bool(open->detail, "announced")) {
        char span[32];
        span_text(since(c, open->first_seen_ms), span, sizeof span);
        evbuf b;
        ev_init(c, &b, VX__EV_SERIAL_LAG, VX__SEV_NOTICE, label, c->in->current->domain, VX__T_SOA);
        ev_msg(&b, "%s caught up with SOA serial %" PRIu32 " after %s", label, me->serial, span);
        char *old_v[1] = {(char *)detail_str(open->detail, "old", old, sizeof old)};
        char *new_v[1] = {(char *)me->rdata};
        b.e.old_data = old_v;
        b.e.old_count = old_v[0] ? 1 : 0;
        b.e.new_data = new_v;
        b.e.new_count = 1;
        emit_closing(c, &b, open);
    }
    forget(c, key);
}

/* The newest serial server i is measured against: of every server, or under dual primaries
 * of the servers of its own provider. NULL when i's serial is unknown. */
static const serial_of *newest_of(const diff_ctx *c, const serial_of *all, size_t n, size_t i)
{
    const char *const *prov = c->in->server_provider;
    const serial_of *top = NULL;
    for (size_t j = 0; all[i].known && j < n; j++) {
        bool peer = !prov || (prov[i] && prov[j] && strcmp(prov[i], prov[j]) == 0);
        if (peer && all[j].known && (!top || serial_lt(top->serial, all[j].serial)))
            top = &all[j];
    }
    return top;
}

static void check_serials(diff_ctx *c, const bool *up)
{
    const vx__snapshot *snap = c->in->current;
    serial_of *all = calloc(snap->server_count ? snap->server_count : 1, sizeof *all);
    if (!all) {
        fail(c, VX_ENOMEM);
        return;
    }
    for (size_t i = 0; i < snap->server_count; i++)
        if (up[i])
            serial_read(c, &snap->servers[i], &all[i]);
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->server_count; i++) {
        const vx__server *s = &snap->servers[i];
        const serial_of *top = newest_of(c, all, snap->server_count, i);
        if (!top ||
            vx__server_label(s->name, (const struct sockaddr *)&s->addr, label, sizeof label))
            continue;
        if (serial_lt(all[i].serial, top->serial))
            lag_behind(c, label, &all[i], top);
        else
            lag_ok(c, label, &all[i]);
    }
    free(all);
}

/* ---- the authoritative servers ------------------------------------------------------------- */

static void check_servers(diff_ctx *c)
{
    const vx__snapshot *snap = c->in->current;
    bool *up = calloc(snap->server_count ? snap->server_count : 1, sizeof *up);
    if (!up) {
        fail(c, VX_ENOMEM);
        return;
    }
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->server_count && c->rc == VX_OK; i++) {
        const vx__server *s = &snap->servers[i];
        if (vx__server_label(s->name, (const struct sockaddr *)&s->addr, label, sizeof label))
            continue;
        up[i] = check_liveness(c, s, label) == LIVE_UP;
        if (up[i])
            compare_server_records(c, s, label);
    }
    if (c->rc == VX_OK)
        check_serials(c, up);
    free(up);
}

/* ---- alternate domains --------------------------------------------------------------------- */

static const vx__snapshot *alt_named(const vx__snapshot *snap, const char *domain)
{
    for (size_t i = 0; snap && i < snap->alt_count; i++)
        if (snap->alt[i] && snap->alt[i]->domain && vx__name_eq(snap->alt[i]->domain, domain))
            return snap->alt[i];
    return NULL;
}

/* The same service under another name: each server's records compared with the baseline's
 * snapshot of that alternate domain, as for the domain itself. Liveness and serials are the
 * domain's own business (its servers usually serve both). The events carry the monitored
 * domain, and the alternate name in their record name. */
static void check_alt_records(diff_ctx *c)
{
    const vx__diff_input *outer = c->in;
    vx__view outer_base = c->base, outer_cur = c->cur;
    bool outer_base_ok = c->base_ok, outer_cur_ok = c->cur_ok;
    for (size_t k = 0; k < outer->current->alt_count && c->rc == VX_OK; k++) {
        const vx__snapshot *alt = outer->current->alt[k];
        if (!alt || !alt->domain)
            continue;
        vx__diff_input in = *outer;
        in.current = alt;
        in.baseline = alt_named(outer->baseline, alt->domain);
        c->in = &in;
        c->base_ok = in.baseline && vx__view_build(in.baseline, NULL, &c->base) == VX_OK;
        c->cur_ok = vx__view_build(alt, NULL, &c->cur) == VX_OK;
        char label[VX__LABEL_TEXT_MAX];
        for (size_t i = 0; i < alt->server_count && c->rc == VX_OK; i++) {
            const vx__server *s = &alt->servers[i];
            int why = VX_OK;
            if (vx__server_label(s->name, (const struct sockaddr *)&s->addr, label, sizeof label) ==
                    VX_OK &&
                server_liveness(alt, s, &why) == LIVE_UP)
                compare_server_records(c, s, label);
        }
        if (c->base_ok)
            vx__view_free(&c->base);
        if (c->cur_ok)
            vx__view_free(&c->cur);
    }
    c->in = outer;
    c->base = outer_base;
    c->cur = outer_cur;
    c->base_ok = outer_base_ok;
    c->cur_ok = outer_cur_ok;
}

/* ---- resolvers ----------------------------------------------------------------------------- */

static bool resolver_answered(const vx__resolver_obs *r)
{
    if (r->status != VX_OK)
        return false;
    for (size_t i = 0; i < r->obs_count; i++)
        if (r->obs[i].status == VX_OK)
            return true;
    return r->obs_count == 0;
}

/* The authoritative data a resolver may legitimately give: this cycle's consensus, or the
 * baseline's (a cache still holding the data from before an accepted change is not a fault). */
static bool consensus_data(diff_ctx *c, const vx__view *v, bool ok, const char *qname,
                           uint16_t qtype, adata *out)
{
    if (!ok)
        return false;
    vx__answer a;
    vx__view_answer(v, qname, qtype, &a);
    if (a.holders == 0 || !obs_usable(a.obs))
        return false;
    fail(c, adata_of(a.obs, qname, qtype, out));
    return c->rc == VX_OK;
}

static void mismatch(diff_ctx *c, const char *label, const char *key, const adata *auth,
                     const adata *got, const vx__observation *o)
{
    char *detail = detail_pair(auth, got);
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = prev_get(c, key);
    adata last = {0};
    bool again = open && detail_new(open->detail, &last) && !adata_equal(&last, got);
    char a[MSG_MAX / 3], g[MSG_MAX / 3], t[16];
    adata_text(auth, a, sizeof a);
    adata_text(got, g, sizeof g);
    evbuf b;
    ev_init(c, &b, VX__EV_RESOLVER_MISMATCH, VX__SEV_ERROR, label, o->qname, o->qtype);
    ev_data(&b, auth, got);
    ev_msg(&b, "resolver %s answers %s %s with %s; the authoritative servers say %s", label, b.name,
           vx__rrtype_to_text(o->qtype, t, sizeof t), g, a);
    if (again) {
        b.e.first_seen_ms = open->first_seen_ms;
        emit(c, &b);
    }
    hold(c, key, VX__EV_RESOLVER_MISMATCH, &b, detail);
    adata_free(&last);
    free(detail);
}

static void mismatch_gone(diff_ctx *c, const char *label, const char *key, const adata *got,
                          const vx__observation *o)
{
    const vx__condition *open = prev_get(c, key);
    adata last;
    if (open && detail_new(open->detail, &last)) {
        char was[MSG_MAX / 3], is[MSG_MAX / 3], t[16], span[128];
        adata_text(&last, was, sizeof was);
        adata_text(got, is, sizeof is);
        bounds_text(c, open, span, sizeof span);
        evbuf b;
        ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, label, o->qname, o->qtype);
        ev_data(&b, &last, got);
        ev_msg(&b,
               "resolver %s answers %s %s with %s again, like the authoritative servers; "
               "it gave %s for %s",
               label, b.name, vx__rrtype_to_text(o->qtype, t, sizeof t), is, was, span);
        emit_closing(c, &b, open);
        adata_free(&last);
    }
    forget(c, key);
}

static void resolver_answer(diff_ctx *c, const char *label, const vx__observation *o)
{
    char key[KEY_MAX], t[16];
    snprintf(key, sizeof key, "resolver-mismatch|%s|%s|%s", label, o->qname,
             vx__rrtype_to_text(o->qtype, t, sizeof t));
    if (o->status != VX_OK || (o->rcode != VX__RCODE_NOERROR && o->rcode != VX__RCODE_NXDOMAIN))
        return; /* unknown: a SERVFAIL or timeout says nothing about the data */
    adata now = {0}, cur = {0}, base = {0};
    fail(c, adata_of(o, o->qname, o->qtype, &now));
    bool have_cur = consensus_data(c, &c->cur, c->cur_ok, o->qname, o->qtype, &cur);
    bool have_base = consensus_data(c, &c->base, c->base_ok, o->qname, o->qtype, &base);
    if (c->rc != VX_OK)
        ; /* out of memory: reported by the caller */
    else if (!have_cur && !have_base)
        forget(c, key);
    else if ((have_cur && adata_equal(&cur, &now)) || (have_base && adata_equal(&base, &now)))
        mismatch_gone(c, label, key, &now, o);
    else
        mismatch(c, label, key, have_cur ? &cur : &base, &now, o);
    adata_free(&now);
    adata_free(&cur);
    adata_free(&base);
}

static void check_resolver(diff_ctx *c, const vx__resolver_obs *r)
{
    char key[KEY_MAX];
    snprintf(key, sizeof key, "resolver-down|%s", r->label);
    if (!resolver_answered(r)) {
        evbuf b;
        ev_init(c, &b, VX__EV_RESOLVER_DOWN, VX__SEV_ERROR, r->label, NULL, 0);
        int why = r->status != VX_OK ? r->status : (r->obs_count ? r->obs[0].status : VX_OK);
        ev_msg(&b, "resolver %s does not answer (%s)", r->label, vx_strerror(why));
        char *detail = detail_fields("{s:s}", "error", vx_strerror(why));
        hold(c, key, VX__EV_RESOLVER_DOWN, &b, detail);
        free(detail);
        return;
    }
    recovered(c, key, r->label, "resolver");
    for (size_t i = 0; i < r->obs_count && c->rc == VX_OK; i++)
        resolver_answer(c, r->label, &r->obs[i]);
}

/* ---- findings ------------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The address of a server label "name/address", or the label itself. */
static const char *label_address(const char *label)
{
    const char *slash = strrchr(label, '/');
    return slash ? slash + 1 : label;
}

/* Appends list (the addresses of its labels when by_address), sorted and each once, comma-
 * separated: a finding is the same finding whatever order the observations that make it
 * arrived in, and whichever of its NS names first labelled a shared address. */
static int append_canonical(char *out, size_t cap, int w, char *const *list, size_t n,
                            bool by_address)
{
    if (n == 0)
        return w;
    const char **sorted = malloc(n * sizeof(*sorted));
    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = by_address ? label_address(list[i]) : list[i];
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    for (size_t i = 0, k = 0; w >= 0 && (size_t)w < cap && i < n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
            w += snprintf(out + w, cap - (size_t)w, "%s%s", k++ ? "," : "", sorted[i]);
    free(sorted);
    return w;
}

int vx__diff_finding_key(const vx__finding *f, char *out, size_t cap)
{
    int w = snprintf(out, cap, "finding|%s|", f->check);
    if (w >= 0 && (size_t)w < cap)
        w = append_canonical(out, cap, w, f->servers, f->server_count, true);
    if (w >= 0 && (size_t)w < cap)
        w += snprintf(out + w, cap - (size_t)w, "|");
    if (w >= 0 && (size_t)w < cap)
        w = append_canonical(out, cap, w, f->names, f->name_count, false);
    return w < 0 || (size_t)w >= cap ? VX_ELIMIT : VX_OK;
}

/* A finding's name may be "name TYPE": the event shows them apart. */
static void finding_name(evbuf *b, const char *entry)
{
    const char *sp = strrchr(entry, ' ');
    uint16_t t = 0;
    char name[VX__NAME_TEXT_MAX];
    if (sp && vx__rrtype_from_text(sp + 1, &t) == VX_OK) {
        snprintf(name, sizeof name, "%.*s", (int)(sp - entry), entry);
        b->e.rrtype = t;
    } else {
        snprintf(name, sizeof name, "%s", entry);
    }
    vx__name_show(name, b->name, sizeof b->name);
    b->e.name = b->name;
}

/* Server and name appear when the finding is about exactly one; the message says the rest. */
static void finding_event(diff_ctx *c, evbuf *b, vx__event_type type, vx__severity sev,
                          const char *check, const char *server, const char *name)
{
    ev_init(c, b, type, sev, server, NULL, 0);
    snprintf(b->check, sizeof b->check, "%s", check);
    b->e.check = b->check;
    if (name)
        finding_name(b, name);
}

static void finding_present(diff_ctx *c, const vx__finding *f)
{
    char key[4096];
    if (vx__diff_finding_key(f, key, sizeof key) != VX_OK)
        return;
    const char *server = f->server_count == 1 ? f->servers[0] : NULL;
    const char *name = f->name_count == 1 ? f->names[0] : NULL;
    evbuf b;
    finding_event(c, &b, VX__EV_FINDING_APPEARED, f->severity, f->check, server, name);
    ev_msg(&b, "%s: %s", f->check, f->message ? f->message : "");
    char *detail = detail_fields("{s:s,s:s,s:s?,s:s?,s:s}", "check", f->check, "severity",
                                 vx__severity_name(f->severity), "server", server, "name", name,
                                 "message", f->message ? f->message : "");
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    hold(c, key, VX__EV_FINDING_APPEARED, &b, detail);
    free(detail);
}

static void finding_cleared(diff_ctx *c, const vx__condition *open)
{
    char check[64], server[VX__LABEL_TEXT_MAX], name[VX__NAME_TEXT_MAX], msg[MSG_MAX - 80];
    const char *d = open->detail;
    evbuf b;
    finding_event(c, &b, VX__EV_FINDING_CLEARED, VX__SEV_NOTICE,
                  detail_str(d, "check", check, sizeof check) ? check : "?",
                  detail_str(d, "server", server, sizeof server),
                  detail_str(d, "name", name, sizeof name));
    ev_msg(&b, "%s cleared: %s", check[0] ? check : "?",
           detail_str(d, "message", msg, sizeof msg) ? msg : "");
    emit_closing(c, &b, open);
}

static void check_findings(diff_ctx *c)
{
    for (size_t i = 0; c->in->findings && i < c->in->findings->count && c->rc == VX_OK; i++)
        finding_present(c, &c->in->findings->items[i]);
}

/* ---- SIP endpoints: SIP-TARGET-DOWN / -RECOVERED, CERT-CHANGED ----------------------------- */

/* One endpoint tuple as events and keys name it. */
typedef struct ep_id {
    char label[VX__LABEL_TEXT_MAX];      /* "sbc1.example.com/192.0.2.10" */
    char where[VX__LABEL_TEXT_MAX + 32]; /* "sbc1.example.com/192.0.2.10 port 5061 TLS" */
    char down[KEY_MAX], cert[KEY_MAX];   /* its condition keys */
} ep_id;

static unsigned ep_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

/* Keys: "sip-down|LABEL|PORT|TRANSPORT" and "cert|LABEL|PORT|TRANSPORT". */
static void ep_id_of(const vx__endpoint_obs *e, ep_id *id)
{
    char host[VX__NAME_TEXT_MAX];
    vx__name_show(e->host ? e->host : "?", host, sizeof host);
    if (vx__server_label(host, (const struct sockaddr *)&e->addr, id->label, sizeof id->label) !=
        VX_OK)
        snprintf(id->label, sizeof id->label, "%s", host);
    const char *t = vx__ep_transport_name(e->transport);
    unsigned port = ep_port(&e->addr);
    snprintf(id->where, sizeof id->where, "%s port %u %s", id->label, port,
             e->transport == VX__EP_TLS   ? "TLS"
             : e->transport == VX__EP_TCP ? "TCP"
                                          : "UDP");
    snprintf(id->down, sizeof id->down, "sip-down|%s|%u|%s", id->label, port, t);
    snprintf(id->cert, sizeof id->cert, "cert|%s|%u|%s", id->label, port, t);
}

/* Server is the tuple's "host/address", name its target host; the message says port and
 * transport. */
static void ep_event(diff_ctx *c, evbuf *b, vx__event_type type, vx__severity sev,
                     const vx__endpoint_obs *e, const ep_id *id)
{
    ev_init(c, b, type, sev, id->label, e->host, 0);
}

static void ep_down(diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id)
{
    const char *why = e->error ? e->error : vx_strerror(e->status);
    evbuf b;
    ep_event(c, &b, VX__EV_SIP_TARGET_DOWN, VX__SEV_ERROR, e, id);
    ev_msg(&b, "SIP target %s does not answer OPTIONS (%s)", id->where, why);
    char *detail = detail_fields("{s:s}", "error", why);
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    hold(c, id->down, VX__EV_SIP_TARGET_DOWN, &b, detail);
    free(detail);
}

static void ep_up(diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id)
{
    const vx__condition *open = prev_get(c, id->down);
    if (!open)
        return;
    char span[32];
    span_text(since(c, open->first_seen_ms), span, sizeof span);
    evbuf b;
    ep_event(c, &b, VX__EV_SIP_TARGET_RECOVERED, VX__SEV_NOTICE, e, id);
    ev_msg(&b, "SIP target %s answers OPTIONS again (%u %s) after an outage of up to %s", id->where,
           e->code, e->reason ? e->reason : "", span);
    emit_closing(c, &b, open);
    forget(c, id->down);
}

/* The endpoint of snap for the same tuple as e (transport, address and port, host). */
static const vx__endpoint_obs *ep_find(const vx__snapshot *snap, const vx__endpoint_obs *e)
{
    for (size_t i = 0; snap && snap->endpoints_probed && i < snap->endpoint_count; i++) {
        const vx__endpoint_obs *b = &snap->endpoints[i];
        if (b->transport == e->transport && b->host && e->host && vx__name_eq(b->host, e->host) &&
            vx__addr_equal((const struct sockaddr *)&b->addr, (const struct sockaddr *)&e->addr))
            return b;
    }
    return NULL;
}

/* The leaf certificate's facts, when the handshake gave one. */
static bool ep_leaf(const vx__endpoint_obs *e, vx__cert_facts *out)
{
    memset(out, 0, sizeof *out);
    return e && e->transport == VX__EP_TLS && e->tls_ok && e->chain_count > 0 && e->chain[0] &&
           vx__cert_from_b64(e->chain[0], out) == VX_OK;
}

/* "sha256=HEX" and "spki-sha256=HEX": the event's old/new data. */
static bool cert_data(const vx__cert_facts *f, adata *out)
{
    memset(out, 0, sizeof *out);
    return adata_push(out, "sha256=", f->sha256) && adata_push(out, "spki-sha256=", f->spki_sha256);
}

static char *cert_detail(const vx__cert_facts *f)
{
    return detail_fields("{s:s,s:s,s:s}", "sha256", f->sha256, "spki", f->spki_sha256, "subject",
                         f->subject);
}

/* A CERT-CHANGED event under construction: its data lives here until emitted. */
typedef struct cert_ev {
    evbuf b;
    adata old, cur;
} cert_ev;

static void cert_ev_free(cert_ev *ce)
{
    adata_free(&ce->old);
    adata_free(&ce->cur);
}

/* The leaf differs from `from` (the baseline's, or the last changed one still open). */
static bool cert_event(diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id,
                       const vx__cert_facts *from, const vx__cert_facts *now, cert_ev *ce)
{
    if (!cert_data(from, &ce->old) || !cert_data(now, &ce->cur)) {
        fail(c, VX_ENOMEM);
        return false;
    }
    ep_event(c, &ce->b, VX__EV_CERT_CHANGED, VX__SEV_WARNING, e, id);
    ev_data(&ce->b, &ce->old, &ce->cur);
    ev_msg(&ce->b,
           "%s presents another certificate: %s issued by %s, SHA-256 %.16s... (was %s, SHA-256 "
           "%.16s...); %s",
           id->where, now->subject, now->issuer, now->sha256, from->subject, from->sha256,
           strcmp(from->spki_sha256, now->spki_sha256) != 0 ? "another key" : "the same key");
    return true;
}

/* The facts an open CERT-CHANGED condition recorded (fingerprints and subject only). */
static void cert_from_detail(const char *detail, vx__cert_facts *out)
{
    memset(out, 0, sizeof *out);
    detail_str(detail, "sha256", out->sha256, sizeof out->sha256);
    detail_str(detail, "spki", out->spki_sha256, sizeof out->spki_sha256);
    detail_str(detail, "subject", out->subject, sizeof out->subject);
}

static void cert_differs(diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id,
                         const vx__cert_facts *base, const vx__cert_facts *now)
{
    char *detail = cert_detail(now);
    if (!detail) {
        fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = prev_get(c, id->cert);
    cert_ev ce = {0};
    if (open) { /* each further certificate is evidence too: announced again */
        vx__cert_facts last;
        cert_from_detail(open->detail, &last);
        if (strcmp(last.sha256, now->sha256) != 0 && cert_event(c, e, id, &last, now, &ce)) {
            ce.b.e.first_seen_ms = open->first_seen_ms;
            emit(c, &ce.b);
        }
        hold(c, id->cert, open->opened_by, NULL, detail);
    } else if (cert_event(c, e, id, base, now, &ce)) {
        hold(c, id->cert, VX__EV_CERT_CHANGED, &ce.b, detail);
    }
    cert_ev_free(&ce);
    free(detail);
}

/* The leaf is the baseline's again: reverted, unless the baseline itself moved to the changed
 * certificate (the operator accepted the renewal), which is not news. */
static void cert_same(diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id,
                      const vx__cert_facts *now)
{
    const vx__condition *open = prev_get(c, id->cert);
    if (!open)
        return;
    vx__cert_facts last;
    cert_from_detail(open->detail, &last);
    if (strcmp(last.sha256, now->sha256) != 0) {
        cert_ev ce = {0};
        if (cert_data(&last, &ce.old) && cert_data(now, &ce.cur)) {
            char span[32];
            span_text(since(c, open->first_seen_ms), span, sizeof span);
            ep_event(c, &ce.b, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, e, id);
            ev_data(&ce.b, &ce.old, &ce.cur);
            ev_msg(&ce.b,
                   "%s presents the baseline's certificate again; it presented %s for up "
                   "to %s",
                   id->where, last.subject, span);
            emit_closing(c, &ce.b, open);
        } else {
            fail(c, VX_ENOMEM);
        }
        cert_ev_free(&ce);
    }
    forget(c, id->cert);
}

/* A TLS tuple's leaf against the baseline's for the same tuple. No handshake this cycle leaves
 * an open condition as it is (unknown is not reverted); no baseline leaf: nothing to compare. */
static void check_cert(diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id)
{
    vx__cert_facts now, base;
    bool have_now = ep_leaf(e, &now);
    bool have_base = have_now && ep_leaf(ep_find(c->in->baseline, e), &base);
    if (have_base && strcmp(base.sha256, now.sha256) != 0)
        cert_differs(c, e, id, &base, &now);
    else if (have_base)
        cert_same(c, e, id, &now);
    else if (have_now)
        forget(c, id->cert); /* no basis any more: the baseline was replaced */
    if (have_base)
        vx__cert_clear(&base);
    if (have_now)
        vx__cert_clear(&now);
}

static void check_endpoints(diff_ctx *c)
{
    const vx__snapshot *snap = c->in->current;
    for (size_t i = 0; snap->endpoints_probed && i < snap->endpoint_count && c->rc == VX_OK; i++) {
        const vx__endpoint_obs *e = &snap->endpoints[i];
        ep_id id;
        ep_id_of(e, &id);
        if (e->status == VX_OK)
            ep_up(c, e, &id);
        else
            ep_down(c, e, &id);
        if (e->transport == VX__EP_TLS)
            check_cert(c, e, &id);
    }
}

/* A tuple's condition whose tuple was not probed this cycle: kept while unknown (endpoints not
 * probed at all, or the tuple probed without a verdict), dropped when the tuple is gone from
 * the chain (the DNS change that removed it is an event of its own). */
static bool ep_still_probed(const diff_ctx *c, const char *key)
{
    const vx__snapshot *snap = c->in->current;
    if (!snap->endpoints_probed)
        return true;
    for (size_t i = 0; i < snap->endpoint_count; i++) {
        ep_id id;
        ep_id_of(&snap->endpoints[i], &id);
        if (strcmp(id.down, key) == 0 || strcmp(id.cert, key) == 0)
            return true;
    }
    return false;
}

/* ---- conditions nobody decided ------------------------------------------------------------- */

static bool resolver_watched(const diff_ctx *c, const char *label)
{
    for (size_t i = 0; i < c->in->resolver_count; i++)
        if (strcmp(c->in->resolvers[i].label, label) == 0)
            return true;
    return false;
}

/* A parent server or a server of a foreign zone that was asked this cycle. */
static bool asked_server(const diff_ctx *c, const char *label)
{
    const vx__snapshot *snap = c->in->current;
    char l[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind != VX__PROBE_PARENT && o->kind != VX__PROBE_DS && o->kind != VX__PROBE_FOREIGN)
            continue;
        vx__obs_label(o, l, sizeof l);
        if (strcmp(l, label) == 0)
            return true;
    }
    return false;
}

static void settle(diff_ctx *c, const vx__condition *cond)
{
    char subject[VX__LABEL_TEXT_MAX];
    key_subject(cond->key, subject, sizeof subject);
    if (has_prefix(cond->key, "finding|")) {
        if (c->in->findings)
            finding_cleared(c, cond);
        else
            keep(c, cond);
    } else if (has_prefix(cond->key, "sip-down|") || has_prefix(cond->key, "cert|")) {
        if (ep_still_probed(c, cond->key))
            keep(c, cond);
    } else if (has_prefix(cond->key, "resolver-")) {
        if (resolver_watched(c, subject))
            keep(c, cond);
    } else if (has_prefix(cond->key, "record|") || has_prefix(cond->key, "ttl|") ||
               has_prefix(cond->key, "delegation") || has_prefix(cond->key, "ds|") ||
               has_prefix(cond->key, "ds-ttl|") || has_prefix(cond->key, "down|") ||
               has_prefix(cond->key, "lag|")) {
        if (current_server(c, subject) || asked_server(c, subject))
            keep(c, cond); /* not observed this cycle: unknown, not reverted */
    } else {
        keep(c, cond);
    }
}

/* ---- the cycle ----------------------------------------------------------------------------- */

static void ctx_free(diff_ctx *c)
{
    if (c->base_ok)
        vx__view_free(&c->base);
    if (c->cur_ok)
        vx__view_free(&c->cur);
    vx__conditions_clear(&c->next);
    free(c->handled);
}

static int ctx_init(diff_ctx *c, const vx__diff_input *in, const vx__conditions *prev,
                    vx__events *out)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->prev = prev;
    c->out = out;
    vx__name_show(in->current->domain, c->domain, sizeof c->domain);
    c->handled = calloc(prev->count ? prev->count : 1, sizeof *c->handled);
    if (!c->handled)
        return VX_ENOMEM;
    c->base_ok = in->baseline && vx__view_build(in->baseline, NULL, &c->base) == VX_OK;
    c->cur_ok = vx__view_build(in->current, NULL, &c->cur) == VX_OK;
    size_t cap = sizeof c->ns_names / sizeof c->ns_names[0];
    if (c->cur_ok)
        c->ns_name_count = vx__view_ns_names(&c->cur, c->ns_names, cap);
    if (c->base_ok && c->ns_name_count < cap)
        c->ns_name_count +=
            vx__view_ns_names(&c->base, c->ns_names + c->ns_name_count, cap - c->ns_name_count);
    return VX_OK;
}

int vx__diff_cycle(const vx__diff_input *in, vx__conditions *open, vx__events *out)
{
    static const vx__diff_config defaults = {0};
    if (!in || !in->current || !in->current->domain || !open || !out)
        return VX_EINVAL;
    vx__diff_input input = *in;
    if (!input.cfg)
        input.cfg = &defaults;
    diff_ctx c;
    int rc = ctx_init(&c, &input, open, out);
    if (rc == VX_OK) {
        check_servers(&c);
        if (c.rc == VX_OK)
            check_surface(&c);
        if (c.rc == VX_OK)
            check_server_set(&c);
        if (c.rc == VX_OK)
            check_alt_records(&c);
        for (size_t i = 0; i < input.resolver_count && c.rc == VX_OK; i++)
            check_resolver(&c, &input.resolvers[i]);
        if (c.rc == VX_OK)
            check_endpoints(&c);
        check_findings(&c);
        for (size_t i = 0; i < open->count && c.rc == VX_OK; i++)
            if (!c.handled[i])
                settle(&c, &open->items[i]);
        rc = c.rc;
    }
    if (rc == VX_OK) {
        vx__conditions_clear(open);
        *open = c.next;
        memset(&c.next, 0, sizeof c.next);
    }
    ctx_free(&c);
    return rc;
}
