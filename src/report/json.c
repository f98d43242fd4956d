/*
 * report/json.c — owns `voxdns audit --json` (schema "voxdns.audit/1"): exactly the shape that
 * CHECKS.md documents, keys in its order, names without their trailing dot. Monitoring systems
 * parse this, so a field is never renamed or dropped within the schema version; an absent value
 * is null, not a missing key.
 */
#include <math.h>
#include <stdlib.h>

#include <jansson.h>

#include "report/report_impl.h"
#include "voxdns/status.h"

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))

static bool put(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) == 0;
}

static bool push(json_t *a, json_t *v)
{
    return json_array_append_new(a, v) == 0;
}

/* jansson refuses invalid UTF-8; report strings come from printable DNS text, but a string
 * that is not valid is still shown rather than losing the whole report. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    vx__rbuf b = {0};
    for (const char *p = s; *p; p++)
        vx__rb_puts(&b, (unsigned char)*p < 0x80 ? (char[]){*p, 0} : "?");
    char *clean = vx__rb_take(&b);
    j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}

static json_t *jname(const char *name)
{
    char shown[VX__NAME_TEXT_MAX];
    vx__report_name(name, shown, sizeof shown);
    return jstr(shown);
}

static json_t *strings(char *const *items, size_t n)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = push(a, jstr(items[i]));
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

static json_t *server_json(const vx__rserver *r)
{
    json_t *o = json_object();
    bool ok =
        o && put(o, "name", jstr(r->name)) && put(o, "address", jstr(r->address)) &&
        put(o, "rtt_ms", r->rtt_ms >= 0 ? json_real(round(r->rtt_ms * 10) / 10) : json_null()) &&
        put(o, "up", json_boolean(r->up)) &&
        put(o, "serial", r->has_serial ? json_integer(r->serial) : json_null()) &&
        put(o, "nsid", r->nsid ? jstr(r->nsid) : json_null()) &&
        put(o, "provider", jstr(r->provider));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *servers_json(const vx__rmodel *m)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < m->server_count; i++)
        ok = push(a, server_json(&m->servers[i]));
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

static json_t *naptr_json(const vx__rmodel *m)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < m->naptr_count; i++) {
        const vx__rnaptr *n = &m->naptr[i];
        ok = push(a, json_pack("{s:i,s:i,s:o,s:o,s:o,s:o,s:I}", "order", n->order, "preference",
                               n->preference, "flags", jstr(n->flags), "service", jstr(n->service),
                               "regexp", jstr(n->regexp), "replacement", jstr(n->replacement),
                               "ttl", (json_int_t)n->ttl));
    }
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

static json_t *srv_json(const vx__rmodel *m)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < m->srv_count; i++) {
        const vx__rsrv *r = &m->srv[i];
        ok = push(a, json_pack("{s:o,s:i,s:i,s:i,s:o,s:I}", "name", jstr(r->name), "priority",
                               r->priority, "weight", r->weight, "port", r->port, "target",
                               jstr(r->target), "ttl", (json_int_t)r->ttl));
    }
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

static json_t *targets_json(const vx__rmodel *m)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < m->target_count; i++) {
        const vx__rtarget *t = &m->targets[i];
        json_t *ttl = t->has_ttl ? json_integer(t->ttl) : json_null();
        ok = push(a, json_pack("{s:o,s:o,s:o}", "host", jstr(t->host), "addresses",
                               strings(t->addresses, t->address_count), "ttl", ttl));
    }
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

static json_t *sip_json(const vx__rmodel *m)
{
    return json_pack("{s:o,s:o,s:o}", "naptr", naptr_json(m), "srv", srv_json(m), "targets",
                     targets_json(m));
}

/* Whole seconds, as CHECKS.md shows; null when there is no chain to lose. */
static json_t *survival_json(const vx__survival *sv)
{
    if (!sv || sv->half_s < 0 || !isfinite(sv->half_s) || !isfinite(sv->ninety_s))
        return json_null();
    return json_pack("{s:I,s:I}", "half_s", (json_int_t)llround(sv->half_s), "ninety_s",
                     (json_int_t)llround(sv->ninety_s));
}

static json_t *finding_json(const vx__finding *f)
{
    return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o}", "check", jstr(f->check), "severity",
                     vx__severity_name(f->severity), "area", jstr(f->area), "message",
                     jstr(f->message), "servers", strings(f->servers, f->server_count), "names",
                     strings(f->names, f->name_count));
}

static json_t *findings_json(const vx__findings *f)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && f && i < f->count; i++)
        ok = push(a, finding_json(&f->items[i]));
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

static json_t *summary_json(const vx__findings *f)
{
    size_t n[VX__SEV_COUNT];
    vx__report_counts(f, n);
    return json_pack("{s:I,s:I,s:I,s:I,s:I}", "critical", (json_int_t)n[VX__SEV_CRITICAL], "error",
                     (json_int_t)n[VX__SEV_ERROR], "warning", (json_int_t)n[VX__SEV_WARNING],
                     "notice", (json_int_t)n[VX__SEV_NOTICE], "info", (json_int_t)n[VX__SEV_INFO]);
}

static json_t *provider_json(const vx__provider *p)
{
    return json_pack("{s:o, s:b, s:I, s:o, s:b}", "name", jstr(p->name), "declared", p->declared,
                     "addresses", (json_int_t)p->servers, "serial",
                     p->has_serial ? json_integer(p->serial) : json_null(), "consistent",
                     p->consistent);
}

static json_t *zone_copy_json(const vx__zone_copy *z)
{
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2];
    if (!z->server || vx__server_label(z->server, (const struct sockaddr *)&z->addr, label,
                                       sizeof label) != VX_OK)
        label[0] = '\0';
    return json_pack("{s:o, s:o, s:s, s:o, s:I}", "provider", jstr(z->provider), "server",
                     label[0] ? jstr(label) : json_null(), "status",
                     z->status == VX_OK ? "ok" : vx_strerror(z->status), "serial",
                     z->status == VX_OK ? json_integer(z->serial) : json_null(), "rrsets",
                     (json_int_t)z->set_count);
}

static json_t *zone_copies_json(const vx__snapshot *s)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < s->zone_count; i++)
        ok = push(a, zone_copy_json(&s->zones[i]));
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

/* Beside "servers": each provider, whether serials are compared within providers only, and
 * the whole copies of the zone transferred (--tsig, --axfr). */
static json_t *providers_json(const vx__provider_map *pm, const vx__snapshot *s)
{
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && pm && i < pm->count; i++)
        ok = push(a, provider_json(&pm->items[i]));
    json_t *o = ok ? json_pack("{s:o, s:b, s:o, s:o}", "list", a, "dual_primary",
                               pm && pm->dual_primary, "dual_primary_why",
                               pm && pm->dual_primary ? jstr(pm->dual_why) : json_null(),
                               "zone_copies", zone_copies_json(s))
                   : NULL;
    if (!ok)
        json_decref(a);
    return o;
}

static json_t *given_json(const vx__snapshot *s)
{
    char given[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2];
    json_t *a = json_array();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < s->ns_given_count; i++) {
        vx__report_given(&s->ns_given[i], given, sizeof given);
        ok = push(a, jstr(given));
    }
    if (!ok)
        json_decref(a);
    return ok ? a : NULL;
}

/* The live delegation an undelegated audit compared with: null when it was not audited. */
static json_t *live_json(const vx__report_input *in)
{
    const vx__snapshot *live = in->snap->live;
    vx__rmodel m;
    if (vx__rmodel_build_live(in, &m) != VX_OK)
        return live ? NULL : json_null();
    bool delegated = live->delegation_status == VX_OK;
    json_t *o =
        json_pack("{s:b, s:o, s:o}", "delegated", delegated, "error",
                  delegated || !live->delegation_error ? json_null() : jstr(live->delegation_error),
                  "servers", servers_json(&m));
    vx__rmodel_free(&m);
    return o;
}

/* --ns: the servers given (they are "servers" above) and the live delegation. */
static json_t *undelegated_json(const vx__report_input *in)
{
    return json_pack("{s:o, s:o}", "ns", given_json(in->snap), "live", live_json(in));
}

static json_t *audit_json(const vx__report_input *in, const vx__rmodel *m,
                          const vx__provider_map *pm)
{
    const vx__snapshot *s = in->snap;
    char started[32];
    vx__report_time(s->started_ms, started, sizeof started);
    double ms = isfinite(s->duration_ms) && s->duration_ms > 0 ? s->duration_ms : 0;
    json_t *o = json_object();
    bool ok = o && put(o, "schema", json_string(VX__AUDIT_SCHEMA)) &&
              put(o, "domain", jname(s->domain)) &&
              put(o, "profile", jstr(vx__report_profile(in))) &&
              put(o, "started", json_string(started)) &&
              put(o, "duration_ms", json_integer((json_int_t)llround(ms))) &&
              put(o, "servers", servers_json(m)) && put(o, "providers", providers_json(pm, s)) &&
              (!s->undelegated || put(o, "undelegated", undelegated_json(in))) &&
              put(o, "sip", sip_json(m)) && put(o, "survival", survival_json(in->survival)) &&
              put(o, "findings", findings_json(in->findings)) &&
              put(o, "summary", summary_json(in->findings));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

char *vx__report_json(const vx__report_input *in)
{
    if (!in || !in->snap)
        return NULL;
    vx__rmodel m;
    vx__provider_map own;
    const vx__provider_map *pm;
    if (vx__report_providers(in, &own, &pm) != VX_OK)
        return NULL;
    json_t *root = vx__rmodel_build_with(in->snap, pm, &m) == VX_OK ? audit_json(in, &m, pm) : NULL;
    char *text = root ? json_dumps(root, DUMP_FLAGS) : NULL;
    json_decref(root);
    if (root)
        vx__rmodel_free(&m);
    vx__providers_free(&own);
    return text;
}
