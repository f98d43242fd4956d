/*
 * monitor/diff_zone.c — owns the zone-wide rules of the monitor's diff (monitor/diff_zone.h):
 * a provider's copy that differs from its accepted copy opens a condition per (owner, type)
 * and announces it; a further value is announced again; the accepted data back closes it with
 * CHANGE-REVERTED. The same rules as the per-server records (monitor/diff.c), on whole zones.
 */
#include "monitor/diff_zone.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check/providers.h"
#include "check/zonediff.h"
#include "model/view.h"
#include "voxdns/status.h"
#include "wire/query.h"

/* zone|PROVIDER|OWNER|TYPE: room for the longest provider label, name and type text */
#define PREFIX_MAX (VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX + 8)
#define KEY_MAX (PREFIX_MAX + VX__NAME_TEXT_MAX + 24)
#define MSG_MAX 1024

typedef struct zctx {
    const vx__zone_diff_input *in;
    const vx__conditions *prev;
    bool *handled;
    vx__conditions next;
    vx__events *out;
    char domain[VX__NAME_TEXT_MAX];
    int rc;
} zctx;

/* One (owner, type) of one provider being judged. */
typedef struct zitem {
    const vx__zone_copy *copy; /* this cycle's */
    char label[VX__LABEL_TEXT_MAX];
    const char *owner;
    uint16_t type;
    char tname[16];
    char key[KEY_MAX];
} zitem;

/* Data as the events carry it: the rdata strings and the TTL (count 0: absent). */
typedef struct zdata {
    char **v;
    size_t n;
    uint32_t ttl;
} zdata;

static void fail(zctx *c, int rc)
{
    if (c->rc == VX_OK && rc != VX_OK)
        c->rc = rc;
}

static zdata data_of(const vx__rrset *set)
{
    return set ? (zdata){set->rdata, set->count, set->ttl} : (zdata){NULL, 0, 0};
}

static bool data_equal(const zdata *a, const zdata *b)
{
    if (a->n != b->n || a->ttl != b->ttl)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return false;
    return true;
}

static void data_text(const zdata *d, char *out, size_t cap)
{
    size_t w = 0;
    out[0] = '\0';
    if (d->n == 0)
        snprintf(out, cap, "nothing");
    for (size_t i = 0; i < d->n && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? ", " : "", d->v[i]);
}

/* ---- condition details: {"data": [...], "ttl": N, "before": MS} -------------------------- */

static char *detail_of(const zdata *d, uint64_t before)
{
    json_t *arr = json_array(), *o = json_object();
    for (size_t i = 0; arr && i < d->n; i++)
        json_array_append_new(arr, json_string(d->v[i]));
    char *text = NULL;
    if (arr && o && json_object_set(o, "data", arr) == 0 &&
        json_object_set_new(o, "ttl", json_integer(d->ttl)) == 0 &&
        json_object_set_new(o, "before", json_integer((json_int_t)before)) == 0)
        text = json_dumps(o, JSON_COMPACT);
    json_decref(arr);
    json_decref(o);
    return text;
}

/* The data a condition last recorded (strings owned by the caller's json object). */
static bool detail_data(const char *detail, json_t **root, zdata *out, char **buf, size_t cap)
{
    *root = detail ? json_loads(detail, 0, NULL) : NULL;
    json_t *arr = json_object_get(*root, "data");
    *out = (zdata){buf, 0, (uint32_t)json_integer_value(json_object_get(*root, "ttl"))};
    for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr) && i < cap; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s)
            return false;
        buf[out->n++] = (char *)s;
    }
    return json_is_array(arr) && json_array_size(arr) <= cap;
}

static uint64_t detail_before(const char *detail)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    json_int_t v = json_integer_value(json_object_get(o, "before"));
    json_decref(o);
    return v > 0 ? (uint64_t)v : 0;
}

/* ---- conditions --------------------------------------------------------------------------- */

static size_t prev_index(const zctx *c, const char *key)
{
    for (size_t i = 0; i < c->prev->count; i++)
        if (!c->handled[i] && strcmp(c->prev->items[i].key, key) == 0)
            return i;
    return SIZE_MAX;
}

/* The condition holds with data now: refreshed if it was open, else opened by type. */
static void hold(zctx *c, const zitem *it, vx__event_type type, const zdata *now)
{
    size_t i = prev_index(c, it->key);
    vx__condition cond = {.key = (char *)it->key,
                          .opened_by = type,
                          .first_seen_ms = c->in->now_ms,
                          .last_seen_ms = c->in->now_ms};
    uint64_t before = c->in->prev_cycle_ms;
    if (i != SIZE_MAX) {
        cond = c->prev->items[i];
        c->handled[i] = true;
        cond.last_seen_ms = c->in->now_ms;
        before = detail_before(cond.detail);
    }
    char *detail = detail_of(now, before);
    cond.detail = detail;
    fail(c, detail ? vx__conditions_put(&c->next, &cond) : VX_ENOMEM);
    free(detail);
}

/* ---- events ------------------------------------------------------------------------------- */

static void emit(zctx *c, const zitem *it, vx__event_type type, vx__severity sev, const zdata *old,
                 const zdata *now, uint64_t first_seen, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static void emit(zctx *c, const zitem *it, vx__event_type type, vx__severity sev, const zdata *old,
                 const zdata *now, uint64_t first_seen, const char *fmt, ...)
{
    char name[VX__NAME_TEXT_MAX], msg[MSG_MAX];
    vx__name_show(it->owner, name, sizeof name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vx__event e = {.type = type,
                   .severity = sev,
                   .domain = c->domain,
                   .server = (char *)it->label,
                   .name = name,
                   .rrtype = it->type,
                   .old_data = old->v,
                   .old_count = old->n,
                   .old_ttl = old->ttl,
                   .new_data = now->v,
                   .new_count = now->n,
                   .new_ttl = now->ttl,
                   .message = msg,
                   .first_seen_ms = first_seen,
                   .last_seen_ms = c->in->now_ms};
    fail(c, vx__events_push(c->out, &e));
}

static vx__event_type change_type(const zdata *from, const zdata *now, vx__severity *sev)
{
    *sev = VX__SEV_ERROR;
    if (from->n == 0)
        return VX__EV_RECORD_ADDED;
    if (now->n == 0)
        return VX__EV_RECORD_REMOVED;
    bool same_data = from->n == now->n;
    for (size_t i = 0; same_data && i < now->n; i++)
        same_data = strcmp(from->v[i], now->v[i]) == 0;
    if (!same_data)
        return VX__EV_RECORD_CHANGED;
    *sev = VX__SEV_NOTICE;
    return VX__EV_TTL_CHANGED;
}

/* The copy differs from the accepted one; from is what it is compared with (the accepted data,
 * or the value announced last). */
static vx__event_type announce(zctx *c, const zitem *it, const zdata *from, const zdata *now,
                               uint64_t first_seen)
{
    char was[MSG_MAX / 3], is[MSG_MAX / 3], name[VX__NAME_TEXT_MAX];
    vx__severity sev;
    vx__event_type type = change_type(from, now, &sev);
    data_text(from, was, sizeof was);
    data_text(now, is, sizeof is);
    vx__name_show(it->owner, name, sizeof name);
    emit(c, it, type, sev, from, now, first_seen,
         "provider %s's zone copy (serial %" PRIu32 ", from %s) has %s %s %s (TTL %" PRIu32
         ") instead of %s (TTL %" PRIu32 ")",
         it->copy->provider, it->copy->serial, it->label, name, it->tname, is, now->ttl, was,
         from->ttl);
    return type;
}

static void differs(zctx *c, const zitem *it, const zdata *base, const zdata *now)
{
    size_t i = prev_index(c, it->key);
    if (i == SIZE_MAX) {
        hold(c, it, announce(c, it, base, now, c->in->now_ms), now);
        return;
    }
    json_t *root;
    char *buf[256];
    zdata last;
    if (detail_data(c->prev->items[i].detail, &root, &last, buf, 256) && !data_equal(&last, now))
        announce(c, it, &last, now, c->prev->items[i].first_seen_ms);
    json_decref(root);
    hold(c, it, c->prev->items[i].opened_by, now);
}

/* "zone|PROVIDER|OWNER|TYPE" back into the item (false: not a key this file wrote). */
static bool item_of_key(const char *key, size_t skip, zitem *it, char *owner, size_t cap)
{
    const char *o = key + skip, *bar = strrchr(key, '|');
    if (!bar || bar < o || (size_t)(bar - o) >= cap)
        return false;
    snprintf(owner, cap, "%.*s", (int)(bar - o), o);
    snprintf(it->tname, sizeof it->tname, "%s", bar + 1);
    snprintf(it->key, sizeof it->key, "%s", key);
    it->owner = owner;
    return vx__rrtype_from_text(it->tname, &it->type) == VX_OK;
}

static const vx__rrset *set_in(const vx__zone_copy *z, const char *owner, uint16_t type)
{
    for (size_t i = 0; i < z->set_count; i++)
        if (z->sets[i]->type == type && vx__name_eq(z->sets[i]->owner, owner))
            return z->sets[i];
    return NULL;
}

/* The copy holds the accepted data again: the condition closes with CHANGE-REVERTED. */
static void reverted(zctx *c, size_t i, zitem *it, size_t skip)
{
    const vx__condition *cond = &c->prev->items[i];
    char owner[VX__NAME_TEXT_MAX], was[MSG_MAX / 3], is[MSG_MAX / 3], name[VX__NAME_TEXT_MAX];
    c->handled[i] = true;
    if (!item_of_key(cond->key, skip, it, owner, sizeof owner))
        return;
    zdata now = data_of(set_in(it->copy, it->owner, it->type)), last;
    json_t *root;
    char *buf[256];
    if (detail_data(cond->detail, &root, &last, buf, 256) && !data_equal(&last, &now)) {
        data_text(&last, was, sizeof was);
        data_text(&now, is, sizeof is);
        vx__name_show(owner, name, sizeof name);
        emit(c, it, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, &last, &now, cond->first_seen_ms,
             "provider %s's zone copy (serial %" PRIu32 ", from %s) has %s %s as accepted "
             "again: %s (it had %s)",
             it->copy->provider, it->copy->serial, it->label, name, it->tname, is, was);
    }
    json_decref(root);
}

/* Asked of the servers by this cycle's audit: the per-server diff reports it. */
static bool asked(const vx__snapshot *snap, const char *owner, uint16_t type)
{
    for (size_t i = 0; snap && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == VX__PROBE_DATA && o->qtype == type && vx__name_eq(o->qname, owner))
            return true;
    }
    return false;
}

static void judge_item(zctx *c, zitem *it, const vx__zdiff_item *d, const char *prefix)
{
    it->owner = d->owner;
    it->type = d->type;
    vx__rrtype_to_text(d->type, it->tname, sizeof it->tname);
    snprintf(it->key, sizeof it->key, "%s%s|%s", prefix, d->owner, it->tname);
    if (asked(c->in->current, d->owner, d->type)) {
        size_t i = prev_index(c, it->key);
        if (i != SIZE_MAX)
            c->handled[i] = true; /* dropped: the per-server diff has it */
        return;
    }
    zdata base = data_of(d->sets[0]), now = data_of(d->sets[1]);
    differs(c, it, &base, &now);
}

static void compare_provider(zctx *c, const vx__zone_copy *base, const vx__zone_copy *now)
{
    vx__zone_copy pair[2] = {*base, *now};
    pair[0].status = pair[1].status = VX_OK;
    vx__zdiff d;
    if (vx__zone_diff(pair, 2, &d) != VX_OK) {
        fail(c, VX_ENOMEM);
        return;
    }
    zitem it = {.copy = now};
    char prefix[PREFIX_MAX];
    if (vx__server_label(now->server, (const struct sockaddr *)&now->addr, it.label,
                         sizeof it.label) != VX_OK)
        snprintf(it.label, sizeof it.label, "%s", now->server ? now->server : "?");
    size_t skip = (size_t)snprintf(prefix, sizeof prefix, "zone|%s|", now->provider);
    for (size_t i = 0; i < d.count && c->rc == VX_OK; i++)
        judge_item(c, &it, &d.items[i], prefix);
    vx__zdiff_free(&d);
    for (size_t i = 0; i < c->prev->count && c->rc == VX_OK; i++)
        if (!c->handled[i] && strncmp(c->prev->items[i].key, prefix, skip) == 0)
            reverted(c, i, &it, skip);
}

static const vx__zone_copy *accepted(const vx__zone_diff_input *in, const char *provider)
{
    for (size_t i = 0; i < in->base_count; i++)
        if (in->base[i].status == VX_OK && in->base[i].provider &&
            strcmp(in->base[i].provider, provider) == 0)
            return &in->base[i];
    return NULL;
}

int vx__diff_zones(const vx__zone_diff_input *in, vx__conditions *open, vx__events *out)
{
    if (!in || !in->current || !in->current->domain || !open || !out)
        return VX_EINVAL;
    zctx c = {.in = in, .prev = open, .out = out};
    vx__name_show(in->current->domain, c.domain, sizeof c.domain);
    if (!(c.handled = calloc(open->count ? open->count : 1, sizeof *c.handled)))
        return VX_ENOMEM;
    for (size_t i = 0; i < in->now_count && c.rc == VX_OK; i++) {
        const vx__zone_copy *now = &in->now[i];
        const vx__zone_copy *base = now->provider ? accepted(in, now->provider) : NULL;
        if (now->status == VX_OK && base)
            compare_provider(&c, base, now);
    }
    for (size_t i = 0; i < open->count && c.rc == VX_OK; i++)
        if (!c.handled[i]) /* another rule's, or a provider not compared this cycle */
            fail(&c, vx__conditions_put(&c.next, &open->items[i]));
    free(c.handled);
    if (c.rc != VX_OK) {
        vx__conditions_clear(&c.next);
        return c.rc;
    }
    vx__conditions_clear(open);
    *open = c.next;
    return VX_OK;
}
