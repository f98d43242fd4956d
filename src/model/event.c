/*
 * model/event.c — owns the monitor's event and condition values (model/event.h): the event
 * type names, deep-copying lists of events and of open conditions, and the JSON form of an event
 * as the HTTP API and the alert sinks give it. The diff that produces events is in diff.c.
 */
#include "model/event.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/array.h"
#include "voxdns/status.h"
#include "wire/query.h"

static const char *const TYPE_NAMES[VX__EV_TYPE_COUNT] = {
    "RECORD-CHANGED",
    "RECORD-ADDED",
    "RECORD-REMOVED",
    "TTL-CHANGED",
    "CHANGE-REVERTED",
    "NS-DOWN",
    "NS-RECOVERED",
    "SERIAL-LAG",
    "RESOLVER-DOWN",
    "RESOLVER-MISMATCH",
    "FINDING-APPEARED",
    "FINDING-CLEARED",
    "DELEGATION-CHANGED",
    "DS-CHANGED",
    "DS-REMOVED",
    "NS-ADDRESS-CHANGED",
    "SERVER-ADDED",
    "SERVER-REMOVED",
    "ACME-CHALLENGE-APPEARED",
    "CAA-CHANGED",
    "SIP-TARGET-DOWN",
    "SIP-TARGET-RECOVERED",
    "CERT-CHANGED",
    "PROPAGATION-SLOW",
};

const char *vx__event_type_name(vx__event_type t)
{
    return (unsigned)t < VX__EV_TYPE_COUNT ? TYPE_NAMES[t] : "UNKNOWN";
}

int vx__event_type_from_name(const char *name, vx__event_type *out)
{
    for (unsigned i = 0; name && i < VX__EV_TYPE_COUNT; i++) {
        if (strcmp(name, TYPE_NAMES[i]) == 0) {
            *out = (vx__event_type)i;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}

/* ---- events ------------------------------------------------------------------------------ */

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void vx__event_clear(vx__event *e)
{
    if (!e)
        return;
    free(e->domain);
    free(e->server);
    free(e->name);
    strv_free(e->old_data, e->old_count);
    strv_free(e->new_data, e->new_count);
    free(e->check);
    free(e->message);
    memset(e, 0, sizeof *e);
}

void vx__events_clear(vx__events *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        vx__event_clear(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* A copy of an optional string; false only when memory ran out. */
static bool dup_opt(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return !s || *out;
}

static bool strv_dup(char *const *v, size_t n, char ***out)
{
    *out = NULL;
    if (n == 0)
        return true;
    char **c = calloc(n, sizeof *c);
    if (!c)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!dup_opt(v[i], &c[i])) {
            strv_free(c, n);
            return false;
        }
    }
    *out = c;
    return true;
}

static int event_copy(vx__event *dst, const vx__event *src)
{
    *dst = *src;
    dst->domain = dst->server = dst->name = dst->check = dst->message = NULL;
    dst->old_data = dst->new_data = NULL;
    bool ok = dup_opt(src->domain, &dst->domain) && dup_opt(src->server, &dst->server) &&
              dup_opt(src->name, &dst->name) && dup_opt(src->check, &dst->check) &&
              dup_opt(src->message, &dst->message) &&
              strv_dup(src->old_data, src->old_count, &dst->old_data) &&
              strv_dup(src->new_data, src->new_count, &dst->new_data);
    if (!dst->old_data)
        dst->old_count = 0;
    if (!dst->new_data)
        dst->new_count = 0;
    if (!ok) {
        vx__event_clear(dst);
        return VX_ENOMEM;
    }
    return VX_OK;
}

int vx__events_push(vx__events *list, const vx__event *e)
{
    vx__event *items = vx__grow(list->items, &list->cap, list->count + 1, sizeof *items, 8);
    if (!items)
        return VX_ENOMEM;
    list->items = items;
    int rc = event_copy(&list->items[list->count], e);
    if (rc == VX_OK)
        list->count++;
    return rc;
}

/* ---- conditions -------------------------------------------------------------------------- */

static void condition_clear(vx__condition *c)
{
    free(c->key);
    free(c->detail);
    memset(c, 0, sizeof *c);
}

void vx__conditions_clear(vx__conditions *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        condition_clear(&c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}

static vx__condition *find_mut(const vx__conditions *c, const char *key)
{
    for (size_t i = 0; key && i < c->count; i++)
        if (strcmp(c->items[i].key, key) == 0)
            return &c->items[i];
    return NULL;
}

const vx__condition *vx__conditions_get(const vx__conditions *c, const char *key)
{
    return find_mut(c, key);
}

static int reserve_one(vx__conditions *c)
{
    vx__condition *items = vx__grow(c->items, &c->cap, c->count + 1, sizeof *items, 8);
    if (!items)
        return VX_ENOMEM;
    c->items = items;
    return VX_OK;
}

/* Replaces the condition with the same key, or appends: a key is open at most once. */
int vx__conditions_put(vx__conditions *c, const vx__condition *cond)
{
    if (!cond || !cond->key)
        return VX_EINVAL;
    vx__condition copy = *cond;
    copy.key = copy.detail = NULL;
    if (!dup_opt(cond->key, &copy.key) || !dup_opt(cond->detail, &copy.detail)) {
        condition_clear(&copy);
        return VX_ENOMEM;
    }
    vx__condition *old = find_mut(c, cond->key);
    if (old) {
        condition_clear(old);
        *old = copy;
        return VX_OK;
    }
    if (reserve_one(c) != VX_OK) {
        condition_clear(&copy);
        return VX_ENOMEM;
    }
    c->items[c->count++] = copy;
    return VX_OK;
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* jansson insists on UTF-8; rdata from the network may hold anything, so it degrades to '?'
 * rather than losing the whole event. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* "2024-01-01T12:00:00.123Z": milliseconds matter, a short hijack lasts less than a cycle. */
static json_t *jtime(uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[40], out[48];
    if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(buf, sizeof buf, "1970-01-01T00:00:00");
    snprintf(out, sizeof out, "%s.%03uZ", buf, (unsigned)(ms % 1000));
    return json_string(out);
}

static json_t *jstrv(char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, jstr(v[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *jrrtype(uint16_t type)
{
    char buf[16];
    return type ? json_string(vx__rrtype_to_text(type, buf, sizeof buf)) : json_null();
}

static bool put(json_t *obj, const char *key, json_t *v)
{
    return json_object_set_new(obj, key, v) == 0;
}

char *vx__event_to_json(const vx__event *e)
{
    json_t *o = json_object();
    if (!o || !e)
        return NULL;
    bool ok = put(o, "id", json_integer(e->id)) &&
              put(o, "type", json_string(vx__event_type_name(e->type))) &&
              put(o, "severity", json_string(vx__severity_name(e->severity))) &&
              put(o, "domain", jstr(e->domain)) && put(o, "server", jstr(e->server)) &&
              put(o, "name", jstr(e->name)) && put(o, "rrtype", jrrtype(e->rrtype)) &&
              put(o, "old", jstrv(e->old_data, e->old_count)) &&
              put(o, "new", jstrv(e->new_data, e->new_count)) &&
              put(o, "first_seen", jtime(e->first_seen_ms)) &&
              put(o, "last_seen", jtime(e->last_seen_ms)) && put(o, "message", jstr(e->message));
    char *text = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return text;
}

/* ---- a domain's state ---------------------------------------------------------------------- */

/* What an open condition says about the domain's health (findings speak for themselves). */
static int condition_severity(vx__event_type opened_by)
{
    switch (opened_by) {
    case VX__EV_NS_DOWN:
    case VX__EV_RECORD_CHANGED:
    case VX__EV_RECORD_ADDED:
    case VX__EV_RECORD_REMOVED:
    case VX__EV_RESOLVER_MISMATCH:
    case VX__EV_DELEGATION_CHANGED:
    case VX__EV_DS_CHANGED:
    case VX__EV_DS_REMOVED:
    case VX__EV_NS_ADDRESS_CHANGED:
    case VX__EV_SIP_TARGET_DOWN:
        return VX__SEV_ERROR;
    case VX__EV_TTL_CHANGED:
    case VX__EV_SERIAL_LAG:
    case VX__EV_RESOLVER_DOWN:
    case VX__EV_SERVER_ADDED:
    case VX__EV_SERVER_REMOVED:
    case VX__EV_ACME_CHALLENGE_APPEARED:
    case VX__EV_CAA_CHANGED:
    case VX__EV_CERT_CHANGED:
    case VX__EV_PROPAGATION_SLOW:
        return VX__SEV_WARNING;
    default:
        return -1;
    }
}

const char *vx__domain_state(const size_t counts[VX__SEV_COUNT], const vx__conditions *conds)
{
    int worst = -1;
    for (int s = 0; s < VX__SEV_COUNT; s++)
        if (counts[s])
            worst = s;
    for (size_t i = 0; conds && i < conds->count; i++) {
        int s = condition_severity(conds->items[i].opened_by);
        worst = s > worst ? s : worst;
    }
    if (worst >= VX__SEV_ERROR)
        return "error";
    return worst == VX__SEV_WARNING ? "warning" : "ok";
}
