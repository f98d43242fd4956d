/*
 * model/snapshot_json.c — owns the JSON form of a snapshot (schema "voxdns.snapshot/1"):
 * writing it (`voxdns audit --save`) and reading it back (`--from FILE`).
 *
 * Reading is a parser of outside input: every field is checked for type and range, names go
 * through vx__name_normalize, addresses through vx__addr_parse, types through
 * vx__rrtype_from_text, arrays are bounded, unknown keys are refused (a typo should not pass
 * silently), and the first problem is reported as "path: reason". Whatever the reader accepts,
 * the writer writes back the same way, so save → load → save is byte-identical: every string
 * written is printable ASCII and tabs (what ldns prints; anything else is written as '?'), reals
 * are written with 15 significant digits (DBL_DIG, so text → double → text is exact).
 */
#include "model/snapshot.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/jstream.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/name.h"
#include "wire/query.h"

/* Bounds for outside input: well above what an audit records (a few hundred observations,
 * a few dozen servers), well below what would let a file exhaust memory by multiplication. */
#define MAX_SERVERS 4096
#define MAX_OBS 1000000
#define MAX_SETS 65535  /* RRsets in one section: a 64 KiB message holds fewer records */
#define MAX_RDATA 65535 /* records in one RRset */
#define MAX_ALT 64
#define MAX_ENDPOINTS 4096
#define MAX_CERT_TEXT 65536 /* base64 of one certificate's DER */
#define MAX_ZONES 64        /* whole zone copies: one per provider */
#define MAX_ZONE_SETS 4000000
#define MAX_PROVIDER_TEXT 1024
#define MAX_RDATA_TEXT 262144 /* 64 KiB of rdata, every octet escaped as \DDD */
#define MAX_NSID_TEXT 131072  /* 64 KiB of NSID in hex */
#define MAX_ERROR_TEXT 4096
#define MAX_PROFILE_TEXT 32
#define MAX_RTT_MS 1e9
#define MAX_DURATION_MS 1e12

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static const char *const section_keys[3] = {"answer", "authority", "additional"};

/* ---- status names ---------------------------------------------------------------------- */

static const struct {
    int status;
    const char *name;
} status_names[] = {
    {VX_OK, "ok"},
    {VX_ENOMEM, "nomem"},
    {VX_EINVAL, "invalid"},
    {VX_ETIMEDOUT, "timeout"},
    {VX_ENETWORK, "network"},
    {VX_EMALFORMED, "malformed"},
    {VX_EREFUSED, "refused"},
    {VX_ECANCELED, "cancelled"},
    {VX_ENOTFOUND, "notfound"},
    {VX_EIO, "io"},
    {VX_ELIMIT, "limit"},
    {VX_ESERVFAIL, "servfail"},
    {VX_EUNSUPPORTED, "unsupported"},
};

static const char *status_name(int status)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].status == status)
            return status_names[i].name;
    return NULL;
}

static int status_from_name(const char *name, int *out)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
        if (strcmp(status_names[i].name, name) == 0) {
            *out = status_names[i].status;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}

/* ---- class mnemonics ------------------------------------------------------------------- */

static const struct {
    uint16_t rrclass;
    const char *name;
} class_names[] = {{1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"}};

static const char *class_to_text(uint16_t c, char *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++)
        if (class_names[i].rrclass == c)
            return class_names[i].name;
    snprintf(buf, cap, "CLASS%u", (unsigned)c);
    return buf;
}

/* "IN", "CH", ... or "CLASS1".."CLASS65535" (RFC 3597), digits only. */
static int class_from_text(const char *s, uint16_t *out)
{
    for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
        if (strcasecmp(s, class_names[i].name) == 0) {
            *out = class_names[i].rrclass;
            return VX_OK;
        }
    }
    if (strncasecmp(s, "CLASS", 5) != 0 || s[5] == '\0' || strlen(s) > 10)
        return VX_EINVAL;
    unsigned long v = 0;
    for (const char *d = s + 5; *d; d++) {
        if (*d < '0' || *d > '9')
            return VX_EINVAL;
        v = v * 10 + (unsigned long)(*d - '0');
    }
    if (v == 0 || v > 65535)
        return VX_EINVAL;
    *out = (uint16_t)v;
    return VX_OK;
}

/* ==== writing ============================================================================ */

/* ldns prints every octet outside this set as \DDD, but a tab in TXT data as is. */
static bool printable(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/* Strings are written as printable ASCII only, which is also all the reader accepts. */
static json_t *jstr(const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if (!printable((unsigned char)*p))
            *p = '?';
    json_t *j = json_string(copy);
    free(copy);
    return j;
}

static json_t *jstr_or_null(const char *s)
{
    return s ? jstr(s) : json_null();
}

/* JSON integers are signed 64-bit; a time beyond that is not a time. */
static json_t *jtime(uint64_t ms)
{
    return json_integer(ms > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)ms);
}

/* Adds key → v to obj, taking v; false (and v released) on failure. */
static bool put(json_t *obj, const char *key, json_t *v)
{
    return json_object_set_new(obj, key, v) == 0;
}

static bool push(json_t *arr, json_t *v)
{
    return json_array_append_new(arr, v) == 0;
}

static bool put_address(json_t *obj, const struct sockaddr_storage *ss)
{
    char text[VX__ADDR_TEXT_MAX];
    const struct sockaddr *sa = (const struct sockaddr *)ss;
    if (vx__addr_format(sa, text, sizeof text) != VX_OK)
        return put(obj, "address", json_null()) && put(obj, "port", json_integer(0));
    uint16_t port = ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                             : ((const struct sockaddr_in6 *)ss)->sin6_port;
    return put(obj, "address", jstr(text)) && put(obj, "port", json_integer(ntohs(port)));
}

static json_t *servers_to_json(const vx__server *list, size_t count)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        json_t *o = json_object();
        ok = o && put(o, "name", jstr(list[i].name)) && put_address(o, &list[i].addr);
        ok = push(arr, o) && ok;
    }
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

static json_t *rdata_to_json(const vx__rrset *set)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < set->count; i++)
        ok = push(arr, jstr(set->rdata[i]));
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

static json_t *rrset_to_json(const vx__rrset *set)
{
    char tbuf[16], cbuf[16];
    json_t *o = json_object();
    bool ok = o && put(o, "owner", jstr(set->owner)) &&
              put(o, "type", jstr(vx__rrtype_to_text(set->type, tbuf, sizeof tbuf))) &&
              put(o, "class", jstr(class_to_text(set->rrclass, cbuf, sizeof cbuf))) &&
              put(o, "ttl", json_integer(set->ttl)) && put(o, "rdata", rdata_to_json(set));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *section_to_json(vx__rrset *const *sets, size_t count)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < count; i++)
        ok = push(arr, rrset_to_json(sets[i]));
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

/* An RTT that is not a non-negative finite number means "none" and is written as null. */
static json_t *jrtt(double ms)
{
    return isfinite(ms) && ms >= 0 ? json_real(ms) : json_null();
}

static bool put_question(json_t *o, const vx__observation *ob)
{
    char tbuf[16], cbuf[16];
    return put(o, "qname", jstr(ob->qname)) &&
           put(o, "qtype", jstr(vx__rrtype_to_text(ob->qtype, tbuf, sizeof tbuf))) &&
           put(o, "qclass", jstr(class_to_text(ob->qclass, cbuf, sizeof cbuf)));
}

static bool put_outcome(json_t *o, const vx__observation *ob)
{
    const char *st = status_name(ob->status);
    return st && put(o, "status", json_string(st)) && put(o, "rcode", json_integer(ob->rcode)) &&
           put(o, "rcode_name", jstr(vx__rcode_to_text(ob->rcode))) &&
           put(o, "flags", json_integer(ob->flags)) &&
           put(o, "has_opt", json_boolean(ob->has_opt)) && put(o, "rtt_ms", jrtt(ob->rtt_ms)) &&
           put(o, "attempts", json_integer(ob->attempts)) &&
           put(o, "time_ms", jtime(ob->time_ms)) && put(o, "nsid", jstr_or_null(ob->nsid));
}

static json_t *obs_to_json(const vx__observation *ob)
{
    json_t *o = json_object();
    bool ok = o && put(o, "kind", json_string(vx__probe_kind_name(ob->kind))) &&
              put(o, "server", jstr(ob->server)) && put_address(o, &ob->addr) &&
              put(o, "transport", json_string(ob->transport == VX__TCP ? "tcp" : "udp")) &&
              put_question(o, ob) && put_outcome(o, ob);
    for (int i = 0; ok && i < 3; i++)
        ok = put(o, section_keys[i], section_to_json(ob->sections[i], ob->section_count[i]));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *delegation_to_json(const vx__snapshot *s)
{
    const char *st = status_name(s->delegation_status);
    json_t *o = json_object();
    bool ok = o && st && put(o, "status", json_string(st)) &&
              put(o, "error", jstr_or_null(s->delegation_error)) &&
              put(o, "parent_zone", jstr_or_null(s->parent_zone)) &&
              put(o, "parent_servers", servers_to_json(s->parent_servers, s->parent_server_count));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *snapshot_to_json(const vx__snapshot *s, int depth);

/* A whole zone copy (model/zone.h): where it came from, how the transfer ended, its RRsets. */
static json_t *zone_to_json(const vx__zone_copy *z)
{
    const char *status = status_name(z->status);
    json_t *o = json_object();
    bool ok = o && status && put(o, "provider", jstr(z->provider)) &&
              put(o, "server", jstr_or_null(z->server)) && put_address(o, &z->addr) &&
              put(o, "status", json_string(status)) && put(o, "rcode", json_integer(z->rcode)) &&
              put(o, "serial", json_integer(z->serial)) &&
              put(o, "rrsets", section_to_json(z->sets, z->set_count));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *zones_to_json(const vx__snapshot *s)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < s->zone_count; i++)
        ok = push(arr, zone_to_json(&s->zones[i]));
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

static json_t *obs_list_to_json(const vx__snapshot *s)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < s->obs_count; i++)
        ok = push(arr, obs_to_json(&s->obs[i]));
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

/* ---- endpoints ------------------------------------------------------------------------- */

static json_t *tls_to_json(const vx__endpoint_obs *e)
{
    json_t *o = json_object(), *chain = json_array();
    bool ok = o && chain;
    for (size_t i = 0; ok && i < e->chain_count; i++)
        ok = push(chain, jstr(e->chain[i]));
    ok = ok && put(o, "connected", json_boolean(e->connected)) &&
         put(o, "handshake", json_boolean(e->tls_ok)) &&
         put(o, "protocol", jstr_or_null(e->tls_protocol)) &&
         put(o, "cipher", jstr_or_null(e->tls_cipher)) &&
         put(o, "verify", json_integer(e->verify)) &&
         put(o, "verify_error", jstr_or_null(e->verify_error));
    if (ok) {
        ok = put(o, "chain", chain);
        chain = NULL;
    }
    json_decref(chain);
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *endpoint_to_json(const vx__endpoint_obs *e)
{
    const char *st = status_name(e->status);
    json_t *o = json_object();
    bool ok = o && st && put(o, "host", jstr(e->host)) && put_address(o, &e->addr) &&
              put(o, "transport", json_string(vx__ep_transport_name(e->transport))) &&
              put(o, "status", json_string(st)) && put(o, "error", jstr_or_null(e->error)) &&
              put(o, "code", e->status == VX_OK ? json_integer(e->code) : json_null()) &&
              put(o, "reason", jstr_or_null(e->reason)) &&
              put(o, "agent", jstr_or_null(e->agent)) && put(o, "rtt_ms", jrtt(e->rtt_ms)) &&
              put(o, "attempts", json_integer(e->attempts)) &&
              put(o, "time_ms", jtime(e->time_ms)) &&
              put(o, "tls", e->transport == VX__EP_TLS ? tls_to_json(e) : json_null());
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *endpoints_to_json(const vx__snapshot *s)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < s->endpoint_count; i++)
        ok = push(arr, endpoint_to_json(&s->endpoints[i]));
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

/* Alternate domains are written one level deep only: that is all the reader accepts. */
static json_t *alt_to_json(const vx__snapshot *s)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < s->alt_count; i++)
        ok = push(arr, snapshot_to_json(s->alt[i], 1));
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

static json_t *ns_given_to_json(const vx__snapshot *s)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < s->ns_given_count; i++) {
        const vx__ns_spec *g = &s->ns_given[i];
        json_t *o = json_object();
        ok = o && put(o, "name", jstr(g->name));
        if (ok && g->has_addr)
            ok = put_address(o, &g->addr);
        else if (ok)
            ok = put(o, "address", json_null()) && put(o, "port", json_integer(0));
        ok = push(arr, o) && ok;
    }
    if (!ok)
        json_decref(arr);
    return ok ? arr : NULL;
}

static json_t *snapshot_to_json(const vx__snapshot *s, int depth);

/* --ns: the servers given and the live delegation's snapshot (one level deep, like alt). */
static json_t *undelegated_to_json(const vx__snapshot *s)
{
    json_t *o = json_object();
    bool ok = o && put(o, "ns", ns_given_to_json(s)) &&
              put(o, "live", s->live ? snapshot_to_json(s->live, 1) : json_null());
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static json_t *snapshot_to_json(const vx__snapshot *s, int depth)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (ok && depth == 0)
        ok = put(o, "schema", json_string(VX__SNAPSHOT_SCHEMA));
    ok = ok && put(o, "domain", jstr(s->domain)) && put(o, "profile", jstr(s->profile)) &&
         put(o, "started_ms", jtime(s->started_ms)) &&
         put(o, "duration_ms",
             json_real(isfinite(s->duration_ms) && s->duration_ms >= 0 ? s->duration_ms : 0.0)) &&
         put(o, "delegation", delegation_to_json(s)) &&
         put(o, "servers", servers_to_json(s->servers, s->server_count)) &&
         put(o, "obs", obs_list_to_json(s));
    if (ok && depth == 0 && s->endpoints_probed)
        ok = put(o, "endpoints", endpoints_to_json(s));
    if (ok && depth == 0)
        ok = put(o, "alt", alt_to_json(s));
    if (ok && depth == 0 && s->zone_count) /* only when transferred: older readers stay happy */
        ok = put(o, "zones", zones_to_json(s));
    if (ok && depth == 0 && s->undelegated) /* only for --ns, for the same reason */
        ok = put(o, "undelegated", undelegated_to_json(s));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

/* NULL on allocation failure, or when a status is not a vx_status (a bug in the collector: a
 * file that could not be read back would be worse than no file). */
static char *dump(const vx__snapshot *s, size_t flags)
{
    if (!s)
        return NULL;
    json_t *root = snapshot_to_json(s, 0);
    if (!root)
        return NULL;
    char *text = json_dumps(root, flags);
    json_decref(root);
    return text;
}

char *vx__snapshot_to_json(const vx__snapshot *s)
{
    return dump(s, DUMP_FLAGS);
}

char *vx__snapshot_to_json_compact(const vx__snapshot *s)
{
    return dump(s, (DUMP_FLAGS & ~(size_t)JSON_INDENT(31)) | JSON_COMPACT);
}

/* ==== reading ============================================================================ */

/* Where the reader is ("obs[3].answer[0].rdata[1]") and the first problem found. */
typedef struct reader {
    char path[256];
    size_t len;
    char *err;
    size_t errcap;
    bool failed;
} reader;

static size_t path_key(reader *r, const char *key)
{
    size_t old = r->len;
    int n = snprintf(r->path + r->len, sizeof r->path - r->len, "%s%s", r->len ? "." : "", key);
    if (n > 0)
        r->len = strnlen(r->path, sizeof r->path - 1);
    return old;
}

static size_t path_index(reader *r, size_t i)
{
    size_t old = r->len;
    int n = snprintf(r->path + r->len, sizeof r->path - r->len, "[%zu]", i);
    if (n > 0)
        r->len = strnlen(r->path, sizeof r->path - 1);
    return old;
}

static void path_pop(reader *r, size_t old)
{
    r->len = old;
    r->path[old] = '\0';
}

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first problem only: later ones are usually consequences of it. */
static int fail(reader *r, const char *fmt, ...)
{
    if (r->failed || !r->err || r->errcap == 0) {
        r->failed = true;
        return VX_EMALFORMED;
    }
    r->failed = true;
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errcap, "%s: %s", r->len ? r->path : "snapshot", reason);
    return VX_EMALFORMED;
}

/* A piece of outside text made safe to quote in a message: printable, at most 40 chars. */
static const char *quoted(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; s[n] && n + 1 < cap && n < 40; n++)
        buf[n] = printable((unsigned char)s[n]) ? s[n] : '?';
    buf[n] = '\0';
    return buf;
}

/* The value of a key the schema requires (path extended to the key; caller pops). */
static json_t *need(reader *r, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        fail(r, "missing");
    return v;
}

/* Refuses keys the schema does not have. */
static int known_keys(reader *r, json_t *obj, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], key) != 0)
            i++;
        if (!keys[i]) {
            char q[48];
            return fail(r, "unknown key '%s'", quoted(key, q, sizeof q));
        }
    }
    return VX_OK;
}

/* Every string field: a JSON string of printable ASCII, at most max characters. */
static int text_of(reader *r, json_t *v, size_t max, const char **out)
{
    if (!json_is_string(v))
        return fail(r, "not a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max)
        return fail(r, "longer than %zu characters", max);
    for (size_t i = 0; i < n; i++)
        if (!printable((unsigned char)s[i]))
            return fail(r, "character 0x%02x is not printable ASCII", (unsigned char)s[i]);
    *out = s;
    return VX_OK;
}

static int get_text(reader *r, json_t *obj, const char *key, size_t max, const char **out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    int rc = v ? text_of(r, v, max, out) : VX_EMALFORMED;
    path_pop(r, at);
    return rc;
}

/* A nullable string, copied (NULL for JSON null). */
static int get_text_or_null(reader *r, json_t *obj, const char *key, size_t max, char **out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    const char *s = NULL;
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && !json_is_null(v))
        rc = text_of(r, v, max, &s);
    if (rc == VX_OK && s && !(*out = strdup(s)))
        rc = VX_ENOMEM;
    path_pop(r, at);
    return rc;
}

static int get_int(reader *r, json_t *obj, const char *key, json_int_t lo, json_int_t hi,
                   json_int_t *out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && !json_is_integer(v))
        rc = fail(r, "not an integer");
    else if (v && (json_integer_value(v) < lo || json_integer_value(v) > hi))
        rc = fail(r, "%lld is outside %lld..%lld", (long long)json_integer_value(v), (long long)lo,
                  (long long)hi);
    else if (v)
        *out = json_integer_value(v);
    path_pop(r, at);
    return rc;
}

/* A real in 0..max; JSON null gives none_value when nullable. */
static int get_real(reader *r, json_t *obj, const char *key, double max, bool nullable, double *out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && nullable && json_is_null(v))
        *out = -1.0;
    else if (v && !json_is_number(v))
        rc = fail(r, "not a number");
    else if (v && !(json_number_value(v) >= 0 && json_number_value(v) <= max))
        rc = fail(r, "outside 0..%g", max);
    else if (v)
        *out = json_number_value(v);
    path_pop(r, at);
    return rc;
}

static int get_bool(reader *r, json_t *obj, const char *key, bool *out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && !json_is_boolean(v))
        rc = fail(r, "not true or false");
    else if (v)
        *out = json_is_true(v);
    path_pop(r, at);
    return rc;
}

/* An array of at most max elements (path extended to the key: caller pops with *at). */
static json_t *get_array(reader *r, json_t *obj, const char *key, size_t max, size_t *at)
{
    *at = path_key(r, key);
    json_t *v = need(r, obj, key);
    if (v && !json_is_array(v)) {
        fail(r, "not an array");
        return NULL;
    }
    if (v && json_array_size(v) > max) {
        fail(r, "more than %zu elements", max);
        return NULL;
    }
    return v;
}

/* A domain name, normalised; "" accepted where allow_empty (a server whose name is unknown). */
static int name_of(reader *r, json_t *v, bool allow_empty, char **out)
{
    const char *s;
    char norm[VX__NAME_TEXT_MAX], q[48];
    int rc = text_of(r, v, VX__NAME_TEXT_MAX, &s);
    if (rc != VX_OK)
        return rc;
    if (*s == '\0' && allow_empty)
        norm[0] = '\0';
    else if (vx__name_normalize(s, norm, sizeof norm) != VX_OK)
        return fail(r, "invalid domain name '%s'", quoted(s, q, sizeof q));
    *out = strdup(norm);
    return *out ? VX_OK : VX_ENOMEM;
}

static int get_name(reader *r, json_t *obj, const char *key, bool allow_empty, char **out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    int rc = v ? name_of(r, v, allow_empty, out) : VX_EMALFORMED;
    path_pop(r, at);
    return rc;
}

static int get_name_or_null(reader *r, json_t *obj, const char *key, char **out)
{
    size_t at = path_key(r, key);
    json_t *v = need(r, obj, key);
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && !json_is_null(v))
        rc = name_of(r, v, false, out);
    path_pop(r, at);
    return rc;
}

static int get_status(reader *r, json_t *obj, const char *key, int *out)
{
    const char *s;
    char q[48];
    int rc = get_text(r, obj, key, 32, &s);
    if (rc == VX_OK && status_from_name(s, out) != VX_OK) {
        size_t at = path_key(r, key);
        rc = fail(r, "unknown status '%s'", quoted(s, q, sizeof q));
        path_pop(r, at);
    }
    return rc;
}

static int get_type(reader *r, json_t *obj, const char *key, uint16_t *out)
{
    const char *s;
    char q[48];
    int rc = get_text(r, obj, key, 32, &s);
    if (rc == VX_OK && vx__rrtype_from_text(s, out) != VX_OK) {
        size_t at = path_key(r, key);
        rc = fail(r, "unknown type '%s'", quoted(s, q, sizeof q));
        path_pop(r, at);
    }
    return rc;
}

static int get_class(reader *r, json_t *obj, const char *key, uint16_t *out)
{
    const char *s;
    char q[48];
    int rc = get_text(r, obj, key, 32, &s);
    if (rc == VX_OK && class_from_text(s, out) != VX_OK) {
        size_t at = path_key(r, key);
        rc = fail(r, "unknown class '%s'", quoted(s, q, sizeof q));
        path_pop(r, at);
    }
    return rc;
}

/* "address" (text without port, or null where allowed) and "port". */
static int get_address(reader *r, json_t *obj, bool nullable, struct sockaddr_storage *out)
{
    json_int_t port = 0;
    const char *text = NULL;
    char q[48];
    memset(out, 0, sizeof *out);
    if (get_int(r, obj, "port", 0, 65535, &port) != VX_OK)
        return VX_EMALFORMED;
    size_t at = path_key(r, "address");
    json_t *v = need(r, obj, "address");
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && json_is_null(v) && !nullable)
        rc = fail(r, "an address is required");
    else if (v && json_is_null(v) && port != 0)
        rc = fail(r, "no address, but port %lld", (long long)port);
    else if (v && !json_is_null(v))
        rc = text_of(r, v, VX__ADDR_TEXT_MAX, &text);
    socklen_t len;
    /* The port has its own field: a port in the text (parsed over default 0) is refused. */
    if (rc == VX_OK && text &&
        (vx__addr_parse(text, 0, out, &len) != VX_OK || strchr(text, '[') ||
         (out->ss_family == AF_INET ? ((struct sockaddr_in *)out)->sin_port
                                    : ((struct sockaddr_in6 *)out)->sin6_port) != 0))
        rc = fail(r, "invalid address '%s'", quoted(text, q, sizeof q));
    if (rc == VX_OK && text && out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    else if (rc == VX_OK && text)
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    path_pop(r, at);
    return rc;
}

/* ---- servers --------------------------------------------------------------------------- */

static const char *const server_keys[] = {"name", "address", "port", NULL};

static int server_from_json(reader *r, json_t *v, vx__server **list, size_t *count)
{
    if (!json_is_object(v))
        return fail(r, "not an object");
    char *name = NULL;
    struct sockaddr_storage addr;
    int rc = known_keys(r, v, server_keys);
    if (rc == VX_OK)
        rc = get_name(r, v, "name", true, &name);
    if (rc == VX_OK)
        rc = get_address(r, v, false, &addr);
    if (rc == VX_OK)
        rc = vx__snapshot_add_server(list, count, name, (const struct sockaddr *)&addr);
    free(name);
    return rc;
}

static int servers_from_json(reader *r, json_t *obj, const char *key, vx__server **list,
                             size_t *count)
{
    size_t at;
    json_t *arr = get_array(r, obj, key, MAX_SERVERS, &at);
    int rc = arr ? VX_OK : VX_EMALFORMED;
    for (size_t i = 0; rc == VX_OK && i < json_array_size(arr); i++) {
        size_t at_i = path_index(r, i);
        rc = server_from_json(r, json_array_get(arr, i), list, count);
        path_pop(r, at_i);
    }
    path_pop(r, at);
    return rc;
}

/* ---- RRsets ---------------------------------------------------------------------------- */

static int rdata_from_json(reader *r, json_t *obj, vx__rrset *set)
{
    size_t at;
    json_t *arr = get_array(r, obj, "rdata", MAX_RDATA, &at);
    int rc = arr ? VX_OK : VX_EMALFORMED;
    if (rc == VX_OK && json_array_size(arr) == 0)
        rc = fail(r, "an RRset holds at least one record");
    if (rc == VX_OK && !(set->rdata = calloc(json_array_size(arr), sizeof *set->rdata)))
        rc = VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < json_array_size(arr); i++) {
        const char *s;
        size_t at_i = path_index(r, i);
        rc = text_of(r, json_array_get(arr, i), MAX_RDATA_TEXT, &s);
        if (rc == VX_OK && !(set->rdata[set->count++] = strdup(s)))
            rc = VX_ENOMEM;
        path_pop(r, at_i);
    }
    path_pop(r, at);
    /* A file edited by hand is brought back to the canonical form rather than refused, so
     * equality between sets keeps its meaning. */
    if (rc == VX_OK)
        vx__rrset_sort_unique(set);
    return rc;
}

/* Owners are data from the network, printed by ldns: a legal owner may hold characters a host
 * name may not ('/' in RFC 2317 reverse zones), so the owner is checked as a name (labels,
 * lengths, escapes) and kept as written, only lower-cased, rather than put through
 * vx__name_normalize. */
static int owner_of(reader *r, json_t *obj, char **out)
{
    const char *s;
    char q[48];
    vx__question qn;
    int rc = get_text(r, obj, "owner", VX__NAME_TEXT_MAX, &s);
    if (rc != VX_OK)
        return rc;
    size_t at = path_key(r, "owner");
    size_t n = strlen(s);
    if (n == 0 || s[n - 1] != '.' || vx__question_from_text(s, 0, 0, &qn) != VX_OK)
        rc = fail(r, "invalid owner name '%s'", quoted(s, q, sizeof q));
    else if (!(*out = strdup(s)))
        rc = VX_ENOMEM;
    for (char *p = rc == VX_OK ? *out : NULL; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a'); /* canonical owners are lower case */
    path_pop(r, at);
    return rc;
}

static const char *const rrset_keys[] = {"owner", "type", "class", "ttl", "rdata", NULL};

static int rrset_from_json(reader *r, json_t *v, vx__rrset **out)
{
    if (!json_is_object(v))
        return fail(r, "not an object");
    vx__rrset *set = calloc(1, sizeof *set);
    json_int_t ttl = 0;
    int rc = set ? known_keys(r, v, rrset_keys) : VX_ENOMEM;
    if (rc == VX_OK)
        rc = owner_of(r, v, &set->owner);
    if (rc == VX_OK)
        rc = get_type(r, v, "type", &set->type);
    if (rc == VX_OK)
        rc = get_class(r, v, "class", &set->rrclass);
    if (rc == VX_OK)
        rc = get_int(r, v, "ttl", 0, UINT32_MAX, &ttl);
    if (rc == VX_OK) {
        set->ttl = (uint32_t)ttl;
        rc = rdata_from_json(r, v, set);
    }
    if (rc != VX_OK) {
        vx__rrset_free(set);
        return rc;
    }
    *out = set;
    return VX_OK;
}

static int section_from_json(reader *r, json_t *obj, int sec, vx__observation *ob)
{
    size_t at;
    json_t *arr = get_array(r, obj, section_keys[sec], MAX_SETS, &at);
    int rc = arr ? VX_OK : VX_EMALFORMED;
    size_t n = arr ? json_array_size(arr) : 0;
    if (rc == VX_OK && n > 0 && !(ob->sections[sec] = calloc(n, sizeof(vx__rrset *))))
        rc = VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < n; i++) {
        size_t at_i = path_index(r, i);
        rc = rrset_from_json(r, json_array_get(arr, i), &ob->sections[sec][i]);
        if (rc == VX_OK)
            ob->section_count[sec]++;
        path_pop(r, at_i);
    }
    path_pop(r, at);
    return rc;
}

/* ---- observations ---------------------------------------------------------------------- */

static const char *const obs_keys[] = {
    "kind",     "server",  "address", "port",       "transport", "qname",      "qtype",
    "qclass",   "status",  "rcode",   "rcode_name", "flags",     "has_opt",    "rtt_ms",
    "attempts", "time_ms", "nsid",    "answer",     "authority", "additional", NULL,
};

static int kind_of(reader *r, json_t *v, vx__observation *ob)
{
    const char *s;
    char q[48];
    int rc = get_text(r, v, "kind", 32, &s);
    if (rc == VX_OK && vx__probe_kind_from_name(s, &ob->kind) != VX_OK) {
        size_t at = path_key(r, "kind");
        rc = fail(r, "unknown probe kind '%s'", quoted(s, q, sizeof q));
        path_pop(r, at);
    }
    return rc;
}

static int transport_of(reader *r, json_t *v, vx__observation *ob)
{
    const char *s;
    char q[48];
    int rc = get_text(r, v, "transport", 32, &s);
    if (rc == VX_OK && strcmp(s, "udp") != 0 && strcmp(s, "tcp") != 0) {
        size_t at = path_key(r, "transport");
        rc = fail(r, "unknown transport '%s' (udp or tcp)", quoted(s, q, sizeof q));
        path_pop(r, at);
    }
    if (rc == VX_OK)
        ob->transport = strcmp(s, "tcp") == 0 ? VX__TCP : VX__UDP;
    return rc;
}

/* The rcode is a number (12 bits with EDNS); its name is written for people and must agree. */
static int rcode_of(reader *r, json_t *v, vx__observation *ob)
{
    json_int_t rcode = 0;
    const char *name;
    int rc = get_int(r, v, "rcode", 0, 4095, &rcode);
    if (rc == VX_OK)
        rc = get_text(r, v, "rcode_name", 32, &name);
    if (rc != VX_OK)
        return rc;
    ob->rcode = (uint16_t)rcode;
    if (strcmp(name, vx__rcode_to_text(ob->rcode)) != 0) {
        size_t at = path_key(r, "rcode_name");
        char q[48];
        rc = fail(r, "'%s' is not the name of rcode %u", quoted(name, q, sizeof q),
                  (unsigned)ob->rcode);
        path_pop(r, at);
    }
    return rc;
}

static int obs_head(reader *r, json_t *v, vx__observation *ob)
{
    int rc = kind_of(r, v, ob);
    if (rc == VX_OK)
        rc = get_name(r, v, "server", true, &ob->server);
    if (rc == VX_OK)
        rc = get_address(r, v, true, &ob->addr);
    if (rc == VX_OK)
        rc = transport_of(r, v, ob);
    if (rc == VX_OK)
        rc = get_name(r, v, "qname", false, &ob->qname);
    if (rc == VX_OK)
        rc = get_type(r, v, "qtype", &ob->qtype);
    if (rc == VX_OK)
        rc = get_class(r, v, "qclass", &ob->qclass);
    return rc;
}

static int obs_outcome(reader *r, json_t *v, vx__observation *ob)
{
    json_int_t flags = 0, attempts = 0, time_ms = 0;
    int rc = get_status(r, v, "status", &ob->status);
    if (rc == VX_OK)
        rc = rcode_of(r, v, ob);
    if (rc == VX_OK)
        rc = get_int(r, v, "flags", 0, 65535, &flags);
    if (rc == VX_OK)
        rc = get_bool(r, v, "has_opt", &ob->has_opt);
    if (rc == VX_OK)
        rc = get_real(r, v, "rtt_ms", MAX_RTT_MS, true, &ob->rtt_ms);
    if (rc == VX_OK)
        rc = get_int(r, v, "attempts", 0, 1000, &attempts);
    if (rc == VX_OK)
        rc = get_int(r, v, "time_ms", 0, INT64_MAX, &time_ms);
    if (rc == VX_OK)
        rc = get_text_or_null(r, v, "nsid", MAX_NSID_TEXT, &ob->nsid);
    ob->flags = (uint16_t)flags;
    ob->attempts = (unsigned)attempts;
    ob->time_ms = (uint64_t)time_ms;
    return rc;
}

static int obs_from_json(reader *r, json_t *v, vx__snapshot *s)
{
    if (!json_is_object(v))
        return fail(r, "not an object");
    vx__observation ob;
    memset(&ob, 0, sizeof ob);
    int rc = known_keys(r, v, obs_keys);
    if (rc == VX_OK)
        rc = obs_head(r, v, &ob);
    if (rc == VX_OK)
        rc = obs_outcome(r, v, &ob);
    for (int sec = 0; rc == VX_OK && sec < 3; sec++)
        rc = section_from_json(r, v, sec, &ob);
    if (rc == VX_OK)
        rc = vx__snapshot_take_obs(s, &ob);
    vx__observation_clear(&ob);
    return rc;
}

/* ---- endpoints ------------------------------------------------------------------------- */

static const char *const endpoint_keys[] = {"host",     "address", "port",   "transport", "status",
                                            "error",    "code",    "reason", "agent",     "rtt_ms",
                                            "attempts", "time_ms", "tls",    NULL};
static const char *const tls_keys[] = {"connected", "handshake",    "protocol", "cipher",
                                       "verify",    "verify_error", "chain",    NULL};

static int ep_transport_of(reader *r, json_t *v, vx__endpoint_obs *e)
{
    const char *s;
    int rc = get_text(r, v, "transport", 8, &s);
    if (rc == VX_OK && vx__ep_transport_from_name(s, &e->transport) != VX_OK) {
        size_t at = path_key(r, "transport");
        rc = fail(r, "not udp, tcp or tls");
        path_pop(r, at);
    }
    return rc;
}

static int chain_from_json(reader *r, json_t *v, vx__endpoint_obs *e)
{
    size_t at;
    json_t *arr = get_array(r, v, "chain", VX__EP_CHAIN_MAX, &at);
    int rc = arr ? VX_OK : VX_EMALFORMED;
    size_t n = arr ? json_array_size(arr) : 0;
    if (n && !(e->chain = calloc(n, sizeof *e->chain)))
        rc = VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < n; i++) {
        const char *text;
        size_t at_i = path_index(r, i);
        rc = text_of(r, json_array_get(arr, i), MAX_CERT_TEXT, &text);
        if (rc == VX_OK && !(e->chain[e->chain_count++] = strdup(text)))
            rc = VX_ENOMEM;
        path_pop(r, at_i);
    }
    path_pop(r, at);
    return rc;
}

static int tls_from_json(reader *r, json_t *obj, vx__endpoint_obs *e)
{
    json_int_t verify = 0;
    size_t at = path_key(r, "tls");
    json_t *v = need(r, obj, "tls");
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && json_is_null(v) != (e->transport != VX__EP_TLS))
        rc = fail(r, e->transport == VX__EP_TLS ? "required for tls" : "only for tls");
    else if (v && json_is_null(v))
        v = NULL;
    else if (v && !json_is_object(v))
        rc = fail(r, "not an object");
    if (rc == VX_OK && v)
        rc = known_keys(r, v, tls_keys);
    if (rc == VX_OK && v)
        rc = get_bool(r, v, "connected", &e->connected);
    if (rc == VX_OK && v)
        rc = get_bool(r, v, "handshake", &e->tls_ok);
    if (rc == VX_OK && v)
        rc = get_text_or_null(r, v, "protocol", 32, &e->tls_protocol);
    if (rc == VX_OK && v)
        rc = get_text_or_null(r, v, "cipher", 128, &e->tls_cipher);
    if (rc == VX_OK && v)
        rc = get_int(r, v, "verify", 0, 1000000, &verify);
    if (rc == VX_OK && v)
        rc = get_text_or_null(r, v, "verify_error", MAX_ERROR_TEXT, &e->verify_error);
    if (rc == VX_OK && v)
        rc = chain_from_json(r, v, e);
    e->verify = (int)verify;
    path_pop(r, at);
    return rc;
}

static int endpoint_outcome(reader *r, json_t *v, vx__endpoint_obs *e)
{
    json_int_t code = 0, attempts = 0, time_ms = 0;
    int rc = get_status(r, v, "status", &e->status);
    if (rc == VX_OK)
        rc = get_text_or_null(r, v, "error", MAX_ERROR_TEXT, &e->error);
    if (rc == VX_OK && e->status == VX_OK)
        rc = get_int(r, v, "code", 100, 699, &code);
    if (rc == VX_OK)
        rc = get_text_or_null(r, v, "reason", MAX_ERROR_TEXT, &e->reason);
    if (rc == VX_OK)
        rc = get_text_or_null(r, v, "agent", MAX_ERROR_TEXT, &e->agent);
    if (rc == VX_OK)
        rc = get_real(r, v, "rtt_ms", MAX_RTT_MS, true, &e->rtt_ms);
    if (rc == VX_OK)
        rc = get_int(r, v, "attempts", 0, 1000, &attempts);
    if (rc == VX_OK)
        rc = get_int(r, v, "time_ms", 0, INT64_MAX, &time_ms);
    e->code = (unsigned)code;
    e->attempts = (unsigned)attempts;
    e->time_ms = (uint64_t)time_ms;
    return rc;
}

static int endpoint_from_json(reader *r, json_t *v, vx__snapshot *s)
{
    if (!json_is_object(v))
        return fail(r, "not an object");
    vx__endpoint_obs e;
    memset(&e, 0, sizeof e);
    int rc = known_keys(r, v, endpoint_keys);
    if (rc == VX_OK)
        rc = get_text_or_null(r, v, "host", VX__NAME_TEXT_MAX, &e.host);
    if (rc == VX_OK)
        rc = get_address(r, v, false, &e.addr);
    if (rc == VX_OK)
        rc = ep_transport_of(r, v, &e);
    if (rc == VX_OK)
        rc = endpoint_outcome(r, v, &e);
    if (rc == VX_OK)
        rc = tls_from_json(r, v, &e);
    if (rc == VX_OK)
        rc = vx__snapshot_add_endpoint(s, &e);
    vx__endpoint_clear(&e);
    return rc;
}

/* Optional: a snapshot without the key was taken without probing endpoints. */
static int endpoints_from_json(reader *r, json_t *obj, vx__snapshot *s)
{
    if (!json_object_get(obj, "endpoints"))
        return VX_OK;
    size_t at;
    json_t *arr = get_array(r, obj, "endpoints", MAX_ENDPOINTS, &at);
    int rc = arr ? VX_OK : VX_EMALFORMED;
    s->endpoints_probed = rc == VX_OK;
    for (size_t i = 0; rc == VX_OK && i < json_array_size(arr); i++) {
        size_t at_i = path_index(r, i);
        rc = endpoint_from_json(r, json_array_get(arr, i), s);
        path_pop(r, at_i);
    }
    path_pop(r, at);
    return rc;
}

/* ---- the snapshot ---------------------------------------------------------------------- */

static const char *const delegation_keys[] = {"status", "error", "parent_zone", "parent_servers",
                                              NULL};

static int delegation_from_json(reader *r, json_t *obj, vx__snapshot *s)
{
    size_t at = path_key(r, "delegation");
    json_t *v = need(r, obj, "delegation");
    int rc = v ? VX_OK : VX_EMALFORMED;
    if (v && !json_is_object(v))
        rc = fail(r, "not an object");
    if (rc == VX_OK)
        rc = known_keys(r, v, delegation_keys);
    if (rc == VX_OK)
        rc = get_status(r, v, "status", &s->delegation_status);
    if (rc == VX_OK)
        rc = get_text_or_null(r, v, "error", MAX_ERROR_TEXT, &s->delegation_error);
    if (rc == VX_OK)
        rc = get_name_or_null(r, v, "parent_zone", &s->parent_zone);
    if (rc == VX_OK)
        rc = servers_from_json(r, v, "parent_servers", &s->parent_servers, &s->parent_server_count);
    path_pop(r, at);
    return rc;
}

/* Profiles are short words; which ones exist is check/'s business, not the file format's. */
static int profile_of(reader *r, json_t *obj, vx__snapshot *s)
{
    const char *p;
    int rc = get_text(r, obj, "profile", MAX_PROFILE_TEXT, &p);
    if (rc != VX_OK)
        return rc;
    size_t at = path_key(r, "profile");
    if (*p == '\0' || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(p))
        rc = fail(r, "a profile is a lower-case word");
    else if (!(s->profile = strdup(p)))
        rc = VX_ENOMEM;
    path_pop(r, at);
    return rc;
}

/* ---- zone copies ----------------------------------------------------------------------- */

static const char *const zone_keys[] = {"provider", "server", "address", "port", "status",
                                        "rcode",    "serial", "rrsets",  NULL};

/* A member the stream has already read (it left null in the object) must have been there. */
static int present(reader *r, json_t *obj, const char *key)
{
    size_t at = path_key(r, key);
    int rc = need(r, obj, key) ? VX_OK : VX_EMALFORMED;
    path_pop(r, at);
    return rc;
}

/* The copy's members but its RRsets, which the stream has read (zone_member). */
static int zone_from_json(reader *r, json_t *v, vx__zone_copy *z)
{
    const char *provider;
    json_int_t rcode = 0, serial = 0;
    int rc = known_keys(r, v, zone_keys);
    if (rc == VX_OK && (rc = get_text(r, v, "provider", MAX_PROVIDER_TEXT, &provider)) == VX_OK &&
        !(z->provider = strdup(provider)))
        rc = VX_ENOMEM;
    if (rc == VX_OK)
        rc = get_name_or_null(r, v, "server", &z->server);
    if (rc == VX_OK)
        rc = get_address(r, v, true, &z->addr);
    if (rc == VX_OK)
        rc = get_status(r, v, "status", &z->status);
    if (rc == VX_OK)
        rc = get_int(r, v, "rcode", 0, 65535, &rcode);
    if (rc == VX_OK)
        rc = get_int(r, v, "serial", 0, UINT32_MAX, &serial);
    z->rcode = (uint16_t)rcode;
    z->serial = (uint32_t)serial;
    return rc == VX_OK ? present(r, v, "rrsets") : rc;
}

/* ==== streaming ========================================================================== */

/* The members that grow with the audit (observations, alternate domains, zone copies and their
 * RRsets) are read one element at a time through the cursor (common/jstream.h), each element's
 * JSON tree released before the next is decoded; the small members of an object are decoded
 * into a head object and checked as before. The reader so holds the text, the snapshot built
 * so far and one element's tree, instead of a tree of the whole document (about six times the
 * text). Problems are found in the order of the document; "missing" once the object ends. */

/* A cursor failure becomes the reader's first problem, worded as the whole-document parse
 * worded it ("snapshot: line 3 column 7: ..."). */
static int js_rc(reader *r, const vx__jstream *js, int rc)
{
    if (rc != VX_EMALFORMED)
        return rc;
    size_t keep = r->len;
    r->len = 0;
    fail(r, "%s", js->err);
    r->len = keep;
    return VX_EMALFORMED;
}

typedef int (*element_fn)(reader *r, vx__jstream *js, void *ctx);
typedef int (*member_fn)(reader *r, vx__jstream *js, void *ctx, const char *key, bool *took);

/* The array at the cursor (the path at its key), element by element; more than max elements
 * are refused before any is read, as get_array refuses them. */
static int stream_array(reader *r, vx__jstream *js, size_t max, element_fn fn, void *ctx)
{
    if (vx__js_peek(js) != '[')
        return fail(r, "not an array");
    if (vx__js_count_elements(js) > max)
        return fail(r, "more than %zu elements", max);
    int rc = js_rc(r, js, vx__js_enter(js, '['));
    for (size_t i = 0; rc == VX_OK; i++) {
        bool done = false;
        rc = js_rc(r, js, vx__js_next_element(js, i, &done));
        if (rc != VX_OK || done)
            break;
        if (i >= max)
            return fail(r, "more than %zu elements", max);
        size_t at = path_index(r, i);
        rc = fn(r, js, ctx);
        path_pop(r, at);
    }
    return rc;
}

/* One member of a streamed object: fn reads it itself (*took), or it is decoded into head. A
 * member fn took leaves null in head, so that head still tells which keys were there. */
static int member(reader *r, vx__jstream *js, json_t *head, member_fn fn, void *ctx,
                  const char *key)
{
    char why[96], q[48];
    if (json_object_get(head, key)) {
        snprintf(why, sizeof why, "duplicate object key near '\"%s\"'", quoted(key, q, sizeof q));
        return js_rc(r, js, vx__js_fail(js, why));
    }
    bool took = false;
    size_t at = path_key(r, key);
    int rc = fn(r, js, ctx, key, &took);
    path_pop(r, at);
    json_t *v = NULL;
    if (rc == VX_OK && !took)
        rc = js_rc(r, js, vx__js_value(js, &v));
    if (rc == VX_OK && json_object_set_new(head, key, took ? json_null() : v) != 0)
        rc = VX_ENOMEM;
    return rc;
}

static int object_stream(reader *r, vx__jstream *js, json_t *head, member_fn fn, void *ctx)
{
    if (vx__js_peek(js) != '{')
        return fail(r, "not an object");
    int rc = js_rc(r, js, vx__js_enter(js, '{'));
    bool done = false;
    for (size_t i = 0; rc == VX_OK && !done; i++) {
        json_t *key = NULL;
        rc = js_rc(r, js, vx__js_next_member(js, i, &key, &done));
        if (rc == VX_OK && !done)
            rc = member(r, js, head, fn, ctx, json_string_value(key));
        json_decref(key);
    }
    return rc;
}

static int obs_element(reader *r, vx__jstream *js, void *ctx)
{
    json_t *v = NULL;
    int rc = js_rc(r, js, vx__js_value(js, &v));
    if (rc == VX_OK)
        rc = obs_from_json(r, v, ctx);
    json_decref(v);
    return rc;
}

static int rrset_element(reader *r, vx__jstream *js, void *ctx)
{
    vx__zone_copy *z = ctx;
    json_t *v = NULL;
    int rc = js_rc(r, js, vx__js_value(js, &v));
    if (rc == VX_OK)
        rc = rrset_from_json(r, v, &z->sets[z->set_count]);
    z->set_count += rc == VX_OK;
    json_decref(v);
    return rc;
}

/* An array counted before it is read, its elements allocated once at that size (elem bytes
 * each); a count above max is refused. */
static int counted(reader *r, vx__jstream *js, size_t max, size_t elem, void **items, size_t *n)
{
    *n = vx__js_count_elements(js);
    if (*n > max)
        return fail(r, "more than %zu elements", max);
    if (*n && !(*items = calloc(*n, elem)))
        return VX_ENOMEM;
    return VX_OK;
}

static int zone_member(reader *r, vx__jstream *js, void *ctx, const char *key, bool *took)
{
    vx__zone_copy *z = ctx;
    void *sets = NULL;
    size_t n = 0;
    *took = strcmp(key, "rrsets") == 0;
    if (!*took)
        return VX_OK;
    int rc = counted(r, js, MAX_ZONE_SETS, sizeof *z->sets, &sets, &n);
    z->sets = sets;
    return rc == VX_OK ? stream_array(r, js, n, rrset_element, z) : rc;
}

static int zone_element(reader *r, vx__jstream *js, void *ctx)
{
    vx__snapshot *s = ctx;
    vx__zone_copy *z = &s->zones[s->zone_count++];
    json_t *head = json_object();
    int rc = head ? object_stream(r, js, head, zone_member, z) : VX_ENOMEM;
    if (rc == VX_OK)
        rc = zone_from_json(r, head, z);
    json_decref(head);
    return rc;
}

/* "zones" is optional: snapshots without transfers have none. */
static int zones_stream(reader *r, vx__jstream *js, vx__snapshot *s)
{
    void *zones = NULL;
    size_t n = 0;
    int rc = counted(r, js, MAX_ZONES, sizeof *s->zones, &zones, &n);
    s->zones = zones;
    return rc == VX_OK ? stream_array(r, js, n, zone_element, s) : rc;
}

/* ---- the snapshot ---------------------------------------------------------------------- */

static int snapshot_stream(reader *r, vx__jstream *js, int depth, vx__snapshot **out);

static int alt_element(reader *r, vx__jstream *js, void *ctx)
{
    vx__snapshot *alt = NULL;
    int rc = snapshot_stream(r, js, 1, &alt);
    if (rc == VX_OK && (rc = vx__snapshot_add_alt(ctx, alt)) != VX_OK)
        vx__snapshot_free(alt);
    return rc;
}
static const char *const ns_given_keys[] = {"name", "address", "port", NULL};

static int ns_given_one(reader *r, json_t *v, vx__snapshot *s)
{
    vx__ns_spec spec;
    memset(&spec, 0, sizeof spec);
    if (!json_is_object(v))
        return fail(r, "not an object");
    int rc = known_keys(r, v, ns_given_keys);
    if (rc == VX_OK)
        rc = get_name(r, v, "name", false, &spec.name);
    if (rc == VX_OK)
        rc = get_address(r, v, true, &spec.addr);
    spec.has_addr = rc == VX_OK && spec.addr.ss_family != 0;
    if (rc == VX_OK)
        rc = vx__snapshot_add_ns_given(s, &spec);
    vx__ns_spec_clear(&spec);
    return rc;
}

static int ns_given_from_json(reader *r, json_t *obj, vx__snapshot *s)
{
    size_t at;
    json_t *arr = get_array(r, obj, "ns", MAX_SERVERS, &at);
    int rc = arr ? VX_OK : VX_EMALFORMED;
    if (rc == VX_OK && json_array_size(arr) == 0)
        rc = fail(r, "an undelegated audit names at least one server");
    for (size_t i = 0; rc == VX_OK && i < json_array_size(arr); i++) {
        size_t at_i = path_index(r, i);
        rc = ns_given_one(r, json_array_get(arr, i), s);
        path_pop(r, at_i);
    }
    path_pop(r, at);
    return rc;
}

static const char *const undelegated_keys[] = {"ns", "live", NULL};

/* "live": the live delegation's snapshot (one level deep, like an alternate), streamed like the
 * snapshot itself; null stays in head. */
static int undelegated_member(reader *r, vx__jstream *js, void *ctx, const char *key, bool *took)
{
    vx__snapshot *s = ctx;
    *took = strcmp(key, "live") == 0 && vx__js_peek(js) != 'n';
    return *took ? snapshot_stream(r, js, 1, &s->live) : VX_OK;
}

/* "undelegated" is optional: only `audit --ns` writes it. */
static int undelegated_stream(reader *r, vx__jstream *js, vx__snapshot *s)
{
    json_t *head = json_object();
    int rc = head ? object_stream(r, js, head, undelegated_member, s) : VX_ENOMEM;
    if (rc == VX_OK)
        rc = known_keys(r, head, undelegated_keys);
    if (rc == VX_OK)
        rc = ns_given_from_json(r, head, s);
    if (rc == VX_OK)
        rc = present(r, head, "live");
    json_decref(head);
    return rc;
}

typedef struct snap_ctx {
    vx__snapshot *s;
    int depth;
} snap_ctx;

static int snapshot_member(reader *r, vx__jstream *js, void *ctx, const char *key, bool *took)
{
    snap_ctx *c = ctx;
    *took = true;
    if (strcmp(key, "obs") == 0)
        return stream_array(r, js, MAX_OBS, obs_element, c->s);
    if (strcmp(key, "alt") == 0 && c->depth > 0)
        return fail(r, "a nested snapshot (alternate domain, live delegation) cannot have "
                       "alternates of its own");
    if (strcmp(key, "alt") == 0)
        return stream_array(r, js, MAX_ALT, alt_element, c->s);
    if (strcmp(key, "zones") == 0 && c->depth == 0)
        return zones_stream(r, js, c->s);
    if (strcmp(key, "undelegated") == 0 && c->depth == 0)
        return undelegated_stream(r, js, c->s);
    *took = false;
    return VX_OK;
}

static const char *const snapshot_keys[] = {
    "schema", "domain", "profile",   "started_ms", "duration_ms", "delegation", "servers",
    "obs",    "alt",    "endpoints", "zones",      "undelegated", NULL};

/* An alternate has neither the schema nor alternates of its own. */
static const char *const alt_snapshot_keys[] = {
    "domain", "profile", "started_ms", "duration_ms", "delegation", "servers", "obs", NULL};

static int check_schema(reader *r, json_t *obj)
{
    const char *schema;
    int rc = get_text(r, obj, "schema", 64, &schema);
    if (rc == VX_OK && strcmp(schema, VX__SNAPSHOT_SCHEMA) != 0) {
        char q[48];
        size_t at = path_key(r, "schema");
        rc = fail(r, "'%s' is not %s", quoted(schema, q, sizeof q), VX__SNAPSHOT_SCHEMA);
        path_pop(r, at);
    }
    return rc;
}

/* The snapshot's small members (head); the streamed ones are already in s. */
static int snapshot_body(reader *r, json_t *obj, int depth, vx__snapshot *s)
{
    json_int_t started = 0;
    int rc = known_keys(r, obj, depth == 0 ? snapshot_keys : alt_snapshot_keys);
    if (rc == VX_OK && depth == 0)
        rc = check_schema(r, obj);
    if (rc == VX_OK)
        rc = get_name(r, obj, "domain", false, &s->domain);
    if (rc == VX_OK)
        rc = profile_of(r, obj, s);
    if (rc == VX_OK)
        rc = get_int(r, obj, "started_ms", 0, INT64_MAX, &started);
    s->started_ms = (uint64_t)started;
    if (rc == VX_OK)
        rc = get_real(r, obj, "duration_ms", MAX_DURATION_MS, false, &s->duration_ms);
    if (rc == VX_OK)
        rc = delegation_from_json(r, obj, s);
    if (rc == VX_OK)
        rc = servers_from_json(r, obj, "servers", &s->servers, &s->server_count);
    if (rc == VX_OK)
        rc = present(r, obj, "obs");
    if (rc == VX_OK && depth == 0)
        rc = endpoints_from_json(r, obj, s);
    if (rc == VX_OK && depth == 0)
        rc = present(r, obj, "alt");
    return rc;
}

static int snapshot_stream(reader *r, vx__jstream *js, int depth, vx__snapshot **out)
{
    *out = NULL;
    snap_ctx c = {.s = calloc(1, sizeof *c.s), .depth = depth};
    json_t *head = json_object();
    int rc = c.s && head ? object_stream(r, js, head, snapshot_member, &c) : VX_ENOMEM;
    if (rc == VX_OK)
        rc = snapshot_body(r, head, depth, c.s);
    json_decref(head);
    if (rc != VX_OK) {
        vx__snapshot_free(c.s);
        return rc;
    }
    *out = c.s;
    return VX_OK;
}

static int skip_element(reader *r, vx__jstream *js, void *ctx)
{
    (void)ctx;
    json_t *v = NULL;
    int rc = js_rc(r, js, vx__js_value(js, &v));
    json_decref(v);
    return rc;
}

/* A root that is not an object is refused, after its syntax, as a whole-document parse did: an
 * array is stepped through element by element; anything else jansson refuses at its first
 * token ("'[' or '{' expected"). */
static int root_not_object(reader *r, vx__jstream *js)
{
    if (vx__js_peek(js) == '[') {
        int rc = stream_array(r, js, SIZE_MAX, skip_element, NULL);
        if (rc == VX_OK)
            rc = js_rc(r, js, vx__js_end(js));
        return rc == VX_OK ? fail(r, "not an object") : rc;
    }
    json_error_t jerr;
    json_t *root = json_loadb(js->text, js->len, JSON_REJECT_DUPLICATES, &jerr);
    json_decref(root);
    if (!root)
        return fail(r, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    return fail(r, "not an object");
}

/* Every failure, out of memory included, is reported as VX_EMALFORMED with a reason: the
 * caller only needs to know that the file gave no snapshot, and why. */
int vx__snapshot_from_json(const char *text, size_t len, vx__snapshot **out, char *err,
                           size_t errcap)
{
    reader r = {.err = err, .errcap = errcap};
    if (err && errcap)
        err[0] = '\0';
    if (!out)
        return VX_EINVAL;
    *out = NULL;
    if (!text)
        return fail(&r, "no input");
    if (len > VX__SNAPSHOT_JSON_MAX)
        return fail(&r, "larger than %u bytes", VX__SNAPSHOT_JSON_MAX);
    vx__jstream js;
    vx__js_init(&js, text, len);
    int rc = vx__js_peek(&js) == '{' ? snapshot_stream(&r, &js, 0, out) : root_not_object(&r, &js);
    if (rc == VX_OK && (rc = js_rc(&r, &js, vx__js_end(&js))) != VX_OK) {
        vx__snapshot_free(*out);
        *out = NULL;
    }
    if (rc == VX_ENOMEM)
        fail(&r, "out of memory");
    return rc == VX_OK ? VX_OK : VX_EMALFORMED;
}

/* ==== one zone copy ========================================================================= */

char *vx__zone_copy_to_json(const vx__zone_copy *z)
{
    json_t *o = z ? zone_to_json(z) : NULL;
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return text;
}

int vx__zone_copy_from_json(const char *text, size_t len, vx__zone_copy *out, char *err,
                            size_t errcap)
{
    reader r = {.err = err, .errcap = errcap};
    if (err && errcap)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (!text || len > VX__SNAPSHOT_JSON_MAX)
        return fail(&r, "no input, or larger than %u bytes", VX__SNAPSHOT_JSON_MAX);
    vx__jstream js;
    vx__js_init(&js, text, len);
    json_t *head = json_object();
    int rc = !head                     ? VX_ENOMEM
             : vx__js_peek(&js) == '{' ? object_stream(&r, &js, head, zone_member, out)
                                       : root_not_object(&r, &js);
    if (rc == VX_OK)
        rc = zone_from_json(&r, head, out);
    if (rc == VX_OK)
        rc = js_rc(&r, &js, vx__js_end(&js));
    json_decref(head);
    if (rc != VX_OK)
        vx__zone_copy_clear(out);
    if (rc == VX_ENOMEM)
        fail(&r, "out of memory");
    return rc == VX_OK ? VX_OK : VX_EMALFORMED;
}
