/*
 * monitor/diff_base.c — the vocabulary every rule of the monitor's diff shares
 * (monitor/diff_impl.h): an answer's data and its text, events under construction, conditions
 * held, forgotten and closed with honest duration bounds, their JSON details, and lookups in a
 * snapshot.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/query.h"

#define NONE SIZE_MAX

/* ---- small helpers ------------------------------------------------------------------------ */

void vx__diff_fail(vx__diff_ctx *c, int rc)
{
    if (c->rc == VX_OK && rc != VX_OK)
        c->rc = rc;
}

void vx__diff_data_free(vx__diff_data *d)
{
    for (size_t i = 0; d->v && i < d->n; i++)
        free(d->v[i]);
    free(d->v);
    memset(d, 0, sizeof *d);
}

bool vx__diff_data_push(vx__diff_data *d, const char *prefix, const char *s)
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

bool vx__diff_data_equal(const vx__diff_data *a, const vx__diff_data *b)
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
bool vx__diff_obs_usable(const vx__observation *o)
{
    return o && o->status == VX_OK && vx__obs_usable_aa(o) && !(o->flags & VX__FLAG_TC);
}

/* An answer's data for (qname, qtype); RRSIGs are never part of it: re-signing changes them
 * every few days and says nothing about the data. */
int vx__diff_data_of(const vx__observation *o, const char *qname, uint16_t qtype,
                     vx__diff_data *out)
{
    vx__answer a;
    vx__answer_of(o, qname, qtype, &a);
    memset(out, 0, sizeof *out);
    out->rcode = o->rcode;
    bool ok = true;
    if (a.cname && a.cname->count > 0) {
        ok = vx__diff_data_push(out, "CNAME ", a.cname->rdata[0]);
        out->ttl = a.cname->ttl;
    }
    for (size_t i = 0; ok && a.set && i < a.set->count; i++)
        ok = vx__diff_data_push(out, "", a.set->rdata[i]);
    if (a.set)
        out->ttl = a.cname && a.cname->ttl < a.set->ttl ? a.cname->ttl : a.set->ttl;
    if (!ok)
        vx__diff_data_free(out);
    return ok ? VX_OK : VX_ENOMEM;
}

/* "[192.0.2.10, 192.0.2.11]", "NXDOMAIN" or "no data". */
void vx__diff_data_text(const vx__diff_data *d, char *out, size_t cap)
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
void vx__diff_span_text(uint64_t ms, char *out, size_t cap)
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

uint64_t vx__diff_since(const vx__diff_ctx *c, uint64_t t)
{
    return c->in->now_ms > t ? c->in->now_ms - t : 0;
}

bool vx__diff_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The second field of "kind|subject|...". */
void vx__diff_key_subject(const char *key, char *out, size_t cap)
{
    const char *p = strchr(key, '|');
    const char *e = p ? strchr(p + 1, '|') : NULL;
    size_t n = !p ? 0 : (e ? (size_t)(e - p - 1) : strlen(p + 1));
    snprintf(out, cap, "%.*s", (int)n, p ? p + 1 : "");
}

/* ---- events ------------------------------------------------------------------------------- */

void vx__diff_ev_init(vx__diff_ctx *c, vx__diff_ev *b, vx__event_type type, vx__severity sev,
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

void vx__diff_ev_msg(vx__diff_ev *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->message, sizeof b->message, fmt, ap);
    va_end(ap);
}

void vx__diff_ev_data(vx__diff_ev *b, const vx__diff_data *old, const vx__diff_data *now)
{
    b->e.old_data = old ? old->v : NULL;
    b->e.old_count = old ? old->n : 0;
    b->e.old_ttl = old ? old->ttl : 0;
    b->e.new_data = now ? now->v : NULL;
    b->e.new_count = now ? now->n : 0;
    b->e.new_ttl = now ? now->ttl : 0;
}

void vx__diff_emit(vx__diff_ctx *c, const vx__diff_ev *b)
{
    vx__diff_fail(c, vx__events_push(c->out, &b->e));
}

/* A closing event spans the condition: first seen then, ended now. */
void vx__diff_emit_closing(vx__diff_ctx *c, vx__diff_ev *b, const vx__condition *cond)
{
    b->e.first_seen_ms = cond->first_seen_ms;
    b->e.last_seen_ms = c->in->now_ms;
    vx__diff_emit(c, b);
}

/* ---- conditions --------------------------------------------------------------------------- */

static size_t prev_index(const vx__diff_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->prev->count; i++)
        if (!c->handled[i] && strcmp(c->prev->items[i].key, key) == 0)
            return i;
    return NONE;
}

/* The condition open from earlier cycles under key, not yet decided this cycle; NULL if none. */
const vx__condition *vx__diff_prev_get(const vx__diff_ctx *c, const char *key)
{
    size_t i = prev_index(c, key);
    return i == NONE ? NULL : &c->prev->items[i];
}

/* Decides key's condition without keeping it: closed or dropped. */
void vx__diff_forget(vx__diff_ctx *c, const char *key)
{
    size_t i = prev_index(c, key);
    if (i != NONE)
        c->handled[i] = true;
}

void vx__diff_keep(vx__diff_ctx *c, const vx__condition *cond)
{
    vx__diff_fail(c, vx__conditions_put(&c->next, cond));
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

static void keep_with_before(vx__diff_ctx *c, vx__condition *cond, const char *detail,
                             uint64_t before)
{
    char *text = detail_before(detail, before);
    if (!text) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    cond->detail = text;
    vx__diff_keep(c, cond); /* put() copies it */
    free(text);
}

/* The condition holds this cycle: refreshed if open (detail replaced when given), else opened
 * with ev (which is emitted; NULL opens it unannounced). */
void vx__diff_hold(vx__diff_ctx *c, const char *key, vx__event_type opened_by,
                   const vx__diff_ev *ev, const char *detail)
{
    vx__diff_hold_since(c, key, opened_by, ev, detail, c->in->now_ms);
}

void vx__diff_hold_since(vx__diff_ctx *c, const char *key, vx__event_type opened_by,
                         const vx__diff_ev *ev, const char *detail, uint64_t first_ms)
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
            vx__diff_keep(c, &cond);
        return;
    }
    vx__condition cond = {.key = (char *)key,
                          .opened_by = opened_by,
                          .first_seen_ms = first_ms < c->in->now_ms ? first_ms : c->in->now_ms,
                          .last_seen_ms = c->in->now_ms};
    keep_with_before(c, &cond, detail, c->in->prev_cycle_ms);
    if (ev)
        vx__diff_emit(c, ev);
}

/* How long a condition that ended this cycle lasted, as honest bounds: at least from the first
 * to the last cycle that saw it, at most from the last cycle before it (which did not see it)
 * to this one. "at least 4 s and at most 7 s", or "at least 4 s" when the cycle before is
 * unknown (the monitor had just started). */
void vx__diff_bounds_text(const vx__diff_ctx *c, const vx__condition *cond, char *out, size_t cap)
{
    char lo[32], hi[32];
    uint64_t before = detail_u64(cond->detail, "before");
    uint64_t seen =
        cond->last_seen_ms > cond->first_seen_ms ? cond->last_seen_ms - cond->first_seen_ms : 0;
    vx__diff_span_text(seen, lo, sizeof lo);
    if (before == 0 || before > cond->first_seen_ms) {
        snprintf(out, cap, "at least %s", lo);
        return;
    }
    vx__diff_span_text(vx__diff_since(c, before), hi, sizeof hi);
    snprintf(out, cap, "at least %s and at most %s", lo, hi);
}

/* ---- condition details (JSON) -------------------------------------------------------------- */

static json_t *data_json(const vx__diff_data *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < d->n; i++)
        json_array_append_new(arr, json_string(d->v[i]));
    return arr;
}

/* {"old":[...],"new":[...],"old_ttl":n,"new_ttl":n,"new_rcode":n} (malloc'd). */
char *vx__diff_detail_pair(const vx__diff_data *old, const vx__diff_data *now)
{
    json_t *o = json_pack("{s:o,s:o,s:I,s:I,s:i}", "old", data_json(old), "new", data_json(now),
                          "old_ttl", (json_int_t)old->ttl, "new_ttl", (json_int_t)now->ttl,
                          "new_rcode", (int)now->rcode);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* The "new" side of a pair detail: the changed data the condition last announced. */
bool vx__diff_detail_new(const char *detail, vx__diff_data *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    json_t *arr = json_object_get(o, "new");
    bool ok = json_is_array(arr);
    for (size_t i = 0; ok && i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        ok = s && vx__diff_data_push(out, "", s);
    }
    out->ttl = (uint32_t)json_integer_value(json_object_get(o, "new_ttl"));
    out->rcode = (uint16_t)json_integer_value(json_object_get(o, "new_rcode"));
    json_decref(o);
    if (!ok)
        vx__diff_data_free(out);
    return ok;
}

const char *vx__diff_detail_str(const char *detail, const char *field, char *out, size_t cap)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(o, field));
    snprintf(out, cap, "%s", s ? s : "");
    json_decref(o);
    return out[0] ? out : NULL;
}

bool vx__diff_detail_bool(const char *detail, const char *field)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    bool v = json_is_true(json_object_get(o, field));
    json_decref(o);
    return v;
}

char *vx__diff_detail_fields(const char *fmt, ...)
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

bool vx__diff_same_addr(const vx__observation *o, const vx__server *s)
{
    return vx__addr_equal((const struct sockaddr *)&o->addr, (const struct sockaddr *)&s->addr);
}

bool vx__diff_is_data_udp(const vx__observation *o)
{
    return o->kind == VX__PROBE_DATA && o->transport == VX__UDP;
}

/* The first usable UDP DATA answer to (qname, qtype) from addr in snap; NULL if none. */
const vx__observation *vx__diff_find_answer(const vx__snapshot *snap, const vx__server *s,
                                            const char *qname, uint16_t qtype)
{
    for (size_t i = 0; snap && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (vx__diff_is_data_udp(o) && o->qtype == qtype && vx__diff_same_addr(o, s) &&
            vx__name_eq(o->qname, qname) && vx__diff_obs_usable(o))
            return o;
    }
    return NULL;
}

const vx__server *vx__diff_server_in(const vx__snapshot *snap, const char *label)
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
const vx__server *vx__diff_current_server(const vx__diff_ctx *c, const char *label)
{
    const vx__snapshot *snap = c->in->current;
    const vx__server *s = vx__diff_server_in(snap, label);
    for (size_t i = 0; !s && i < snap->alt_count; i++)
        s = vx__diff_server_in(snap->alt[i], label);
    return s;
}
