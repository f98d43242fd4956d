/*
 * monitor/config.c — the monitor's YAML configuration (voxdns.yml(5)): loading through libyaml's
 * document API, validation of every key against one table per mapping, the defaults, and the
 * duration parser. Every error becomes ONE line "FILE:LINE:COLUMN: message" pointing at the node
 * that caused it, because an operator fixing a config file wants the place, not a stack of
 * complaints; the first error stops the parse.
 *
 * The document API (not the event API) is used because libyaml 0.2.2+ builds the tree without
 * recursion and records a start mark on every node; the walk below is driven by the schema, so
 * its depth is fixed whatever the input nests, and an alias costs no more than the node it names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <yaml.h>

#include "monitor/alert.h"
#include "common/array.h"
#include "common/file.h"
#include "monitor/config.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/name.h"
#include "wire/query.h"

/* A config file is a few KB, or a few MB with 100,000 domains; this only stops a wrong path (a
 * disk image) from being slurped. */
#define CONFIG_MAX_BYTES (64u << 20)
#define MS_PER_S 1000u
#define MAX_RETRIES 100u
#define MAX_FLAP_CHANGES 1000000u
#define MAX_SERVER_RATE 1000000u
#define MAX_WATCH_THREADS 16u
#define MAX_FLOW_DEPTH 64u
#define MAX_KEYS 32u /* keys of any one mapping (the top level has the most) */
#define MAX_HTTP_CONNECTIONS 1000000u
#define MAX_HTTP_WORKERS 64u
#define MAX_HTTP_QUEUE 100000u

typedef struct cfg_ctx {
    yaml_document_t *doc;
    const char *file;
    char *err;
    size_t errcap;
    const char *key; /* the key whose value is being read, for messages */
    vx__monitor_config *cfg;
    size_t *domain_slots; /* hash set of the domains so far: index + 1, 0 for an empty slot */
    size_t domain_slot_cap;
    size_t domain_cap; /* of cfg->domains */
} cfg_ctx;

typedef int (*key_fn)(cfg_ctx *c, const yaml_node_t *val, void *obj);
typedef struct key_def {
    const char *key;
    key_fn fn;
} key_def;

/* ---- errors ---------------------------------------------------------------------------- */

/* Messages quote values from the file, which may hold newlines (quoted or folded scalars); the
 * error must stay one line, so control characters are escaped as C would write them. */
static void one_line(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 5 < cap; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch == '\n' || ch == '\t')
            n += (size_t)snprintf(out + n, cap - n, "\\%c", ch == '\n' ? 'n' : 't');
        else if (ch < 0x20 || ch == 0x7f)
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", ch);
        else
            out[n++] = (char)ch;
    }
    out[n] = '\0';
}

static int fail_at(cfg_ctx *c, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(cfg_ctx *c, yaml_mark_t m, const char *fmt, ...)
{
    char msg[512], safe[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    one_line(msg, safe, sizeof safe);
    if (c->err && c->errcap)
        snprintf(c->err, c->errcap, "%s:%zu:%zu: %s", c->file, m.line + 1, m.column + 1, safe);
    return VX_EINVAL;
}

#define fail(c, node, ...) fail_at((c), (node)->start_mark, __VA_ARGS__)

static int fail_nomem(cfg_ctx *c)
{
    if (c->err && c->errcap)
        snprintf(c->err, c->errcap, "%s: out of memory", c->file);
    return VX_ENOMEM;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) != b[j - 1]);
            size_t ins = (up < row[j - 1] ? up : row[j - 1]) + 1;
            row[j] = sub < ins ? sub : ins;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidate a typo most likely meant: a prefix of at least three letters ("warn" for
 * "warning") or within two edits of a word long enough that two edits are still a typo. */
static const char *suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (strlen(word) >= 3 && strncasecmp(word, cands[i], strlen(word)) == 0)
            d = 1;
        if (d <= 2 && d * 2 < strlen(cands[i]) && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

/* "unknown profile 'team' (did you mean 'teams'?)" or with the whole list when nothing is
 * close. */
static int fail_choice(cfg_ctx *c, const yaml_node_t *n, const char *what, const char *word,
                       const char *const *cands, size_t count)
{
    const char *s = suggest(word, cands, count);
    if (s)
        return fail(c, n, "unknown %s '%s' (did you mean '%s'?)", what, word, s);
    char list[256] = "";
    for (size_t i = 0; i < count; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", cands[i]);
    }
    return fail(c, n, "unknown %s '%s' (%s)", what, word, list);
}

/* ---- node access ------------------------------------------------------------------------ */

static const char *kind_name(const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    return "a single value";
}

static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return !*v || strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0;
}

/* The text of a scalar node; what says what was expected ("a duration"). */
static int scalar(cfg_ctx *c, const yaml_node_t *n, const char *what, const char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "'%s' must be %s, not %s", c->key, what, kind_name(n));
    const char *v = (const char *)n->data.scalar.value;
    if (strlen(v) != n->data.scalar.length)
        return fail(c, n, "'%s' contains a NUL character", c->key);
    if (!*v)
        return fail(c, n, "'%s' must not be empty", c->key);
    *out = v;
    return VX_OK;
}

static int expect(cfg_ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
    if (n->type != type)
        return fail(c, n, "'%s' must be %s, not %s", c->key, what, kind_name(n));
    return VX_OK;
}

static const yaml_node_t *node_at(cfg_ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

/* Copies a scalar into *slot (replacing what a default put there). */
static int set_string(cfg_ctx *c, const yaml_node_t *n, char **slot)
{
    const char *v;
    int rc = scalar(c, n, "a string", &v);
    if (rc != VX_OK)
        return rc;
    char *copy = strdup(v);
    if (!copy)
        return fail_nomem(c);
    free(*slot);
    *slot = copy;
    return VX_OK;
}

static const yaml_node_t *find_key(cfg_ctx *c, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node_at(c, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return node_at(c, p->value);
    }
    return NULL;
}

static int lookup_key(cfg_ctx *c, const yaml_node_t *k, const key_def *defs, size_t n,
                      size_t *index)
{
    if (k->type != YAML_SCALAR_NODE)
        return fail(c, k, "a key must be a single word, not %s", kind_name(k));
    const char *name = (const char *)k->data.scalar.value;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(defs[i].key, name) == 0) {
            *index = i;
            return VX_OK;
        }
    }
    const char *cands[MAX_KEYS];
    for (size_t i = 0; i < n && i < MAX_KEYS; i++)
        cands[i] = defs[i].key;
    const char *s = suggest(name, cands, n < MAX_KEYS ? n : MAX_KEYS);
    if (s)
        return fail(c, k, "unknown key '%s' (did you mean '%s'?)", name, s);
    return fail(c, k, "unknown key '%s'", name);
}

/* Runs the handler of every key in a mapping; unknown and repeated keys are errors. A key whose
 * value is empty (or ~, null) keeps its default. */
static int walk_mapping(cfg_ctx *c, const yaml_node_t *map, const key_def *defs, size_t n,
                        void *obj)
{
    size_t first_line[MAX_KEYS] = {0};
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        size_t i = 0;
        int rc = lookup_key(c, k, defs, n, &i);
        if (rc != VX_OK)
            return rc;
        if (first_line[i])
            return fail(c, k, "duplicate key '%s' (first at line %zu)", defs[i].key, first_line[i]);
        first_line[i] = k->start_mark.line + 1;
        c->key = defs[i].key;
        if (!is_null(v) && (rc = defs[i].fn(c, v, obj)) != VX_OK)
            return rc;
    }
    return VX_OK;
}

/* ---- value parsers ----------------------------------------------------------------------- */

static int unit_ms(const char *u, size_t len, uint64_t *ms)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == len && strncmp(u, units[i].name, len) == 0) {
            *ms = units[i].ms;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}

/* One "<digits><unit>" step of a duration; advances *s. */
static int duration_step(const char **s, uint64_t *total)
{
    uint64_t n = 0, unit;
    const char *p = *s;
    if (!isdigit((unsigned char)*p))
        return VX_EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return VX_EINVAL;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    const char *u = p;
    while (isalpha((unsigned char)*p))
        p++;
    if (unit_ms(u, (size_t)(p - u), &unit) != VX_OK || n > UINT64_MAX / unit ||
        n * unit > UINT64_MAX - *total)
        return VX_EINVAL;
    *total += n * unit;
    *s = p;
    return VX_OK;
}

int vx__duration_parse(const char *text, uint64_t *ms)
{
    uint64_t total = 0;
    if (!text || !*text || !ms)
        return VX_EINVAL;
    for (const char *s = text; *s;)
        if (duration_step(&s, &total) != VX_OK)
            return VX_EINVAL;
    *ms = total;
    return VX_OK;
}

/* A duration between min and max milliseconds; max_text names max for people. */
static int get_duration(cfg_ctx *c, const yaml_node_t *n, uint64_t min, const char *min_text,
                        uint64_t max, const char *max_text, uint64_t *out)
{
    const char *v;
    int rc = scalar(c, n, "a duration", &v);
    if (rc != VX_OK)
        return rc;
    if (vx__duration_parse(v, out) != VX_OK)
        return fail(c, n, "bad duration '%s' for '%s' (examples: 250ms, 30s, 5m, 1h30m, 2d)", v,
                    c->key);
    if (*out < min)
        return fail(c, n, "'%s' must be at least %s", c->key, min_text);
    if (*out > max)
        return fail(c, n, "'%s' is too long (at most %s)", c->key, max_text);
    return VX_OK;
}

static int get_duration32(cfg_ctx *c, const yaml_node_t *n, uint64_t min, const char *min_text,
                          uint32_t *out)
{
    uint64_t ms;
    int rc = get_duration(c, n, min, min_text, UINT32_MAX, "49d", &ms);
    if (rc == VX_OK)
        *out = (uint32_t)ms;
    return rc;
}

static int get_count(cfg_ctx *c, const yaml_node_t *n, unsigned min, unsigned max, unsigned *out)
{
    const char *v;
    int rc = scalar(c, n, "a whole number", &v);
    if (rc != VX_OK)
        return rc;
    unsigned long x = 0;
    for (const char *p = v; *p; p++) {
        if (!isdigit((unsigned char)*p) || x > max)
            return fail(c, n, "'%s' must be a whole number from %u to %u", c->key, min, max);
        x = x * 10 + (unsigned long)(*p - '0');
    }
    if (x < min || x > max)
        return fail(c, n, "'%s' must be a whole number from %u to %u", c->key, min, max);
    *out = (unsigned)x;
    return VX_OK;
}

/* A normalised domain name ("example.com."), never the root. */
static int get_domain(cfg_ctx *c, const yaml_node_t *n, char **out)
{
    const char *v;
    char norm[VX__NAME_TEXT_MAX];
    int rc = scalar(c, n, "a domain name", &v);
    if (rc != VX_OK)
        return rc;
    if (vx__name_normalize(v, norm, sizeof norm) != VX_OK || strcmp(norm, ".") == 0)
        return fail(c, n, "bad domain name '%s'", v);
    if (!(*out = strdup(norm)))
        return fail_nomem(c);
    return VX_OK;
}

/* Grows a malloc'd array by one zeroed element; returns it or NULL. */
static void *grow(void *arr_ptr, size_t *count, size_t size)
{
    void **arr = arr_ptr;
    void *bigger = realloc(*arr, (*count + 1) * size);
    if (!bigger)
        return NULL;
    *arr = bigger;
    memset((char *)bigger + *count * size, 0, size);
    return (char *)bigger + (*count)++ * size;
}

/* ---- top-level keys ------------------------------------------------------------------------ */

static int key_interval(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_duration32(c, v, MS_PER_S, "1s", &cfg->interval_ms);
}

static int key_serial_lag(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_duration(c, v, 0, "0s", UINT64_MAX, "", &cfg->serial_lag_ms);
}

static int key_audit_interval(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_duration(c, v, 0, "0s", UINT64_MAX, "", &cfg->audit_interval_ms);
}

static int key_zone_refresh(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_duration(c, v, MS_PER_S, "1s", UINT64_MAX, "", &cfg->zone_refresh_ms);
}

static int key_rtt_retention(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_duration(c, v, 0, "0s", UINT64_MAX, "", &cfg->rtt_retention_ms);
}

static int key_watch_threads(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_count(c, v, 1, MAX_WATCH_THREADS, &cfg->watch_threads);
}

static int key_server_rate(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_count(c, v, 0, MAX_SERVER_RATE, &cfg->server_rate);
}

/* A hints file that is not there is found now, not when the daemon (or a reload) needs it;
 * only looked at, not read: its contents are vx__hints_load()'s to judge. */
static int key_hints(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    char **hints = &((vx__monitor_config *)obj)->hints;
    int rc = set_string(c, v, hints);
    struct stat st;
    if (rc != VX_OK || !*hints)
        return rc;
    if (stat(*hints, &st) != 0 || access(*hints, R_OK) != 0)
        return fail(c, v, "cannot use root hints '%s': %s", *hints, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(c, v, "cannot use root hints '%s': not a regular file", *hints);
    return VX_OK;
}

static int key_asn_db(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return set_string(c, v, &((vx__monitor_config *)obj)->asn_db);
}

/* true/false (YAML 1.2 core schema spellings). */
static int get_bool(cfg_ctx *c, const yaml_node_t *n, bool *out)
{
    const char *v;
    int rc = scalar(c, n, "true or false", &v);
    if (rc != VX_OK)
        return rc;
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0)
        *out = false;
    else
        return fail(c, n, "'%s' must be true or false", c->key);
    return VX_OK;
}

static int key_endpoints(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return get_bool(c, v, &((vx__monitor_config *)obj)->endpoints);
}

static int key_zone_watch(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return get_bool(c, v, &((vx__monitor_config *)obj)->zone_watch);
}

static int key_ca_file(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return set_string(c, v, &((vx__monitor_config *)obj)->ca_file);
}

static int key_token(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return set_string(c, v, &((vx__monitor_config *)obj)->token);
}

/* Only the form: the store opens (and reports) the database itself. */
static bool store_form_ok(const char *v)
{
    if (strncmp(v, "sqlite:", 7) == 0)
        return v[7] != '\0';
    if (strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0)
        return true;
    return strstr(v, "://") == NULL; /* a bare path; anything else is an unknown scheme */
}

static int key_store(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    int rc = set_string(c, v, &cfg->store);
    if (rc == VX_OK && !store_form_ok(cfg->store))
        return fail(c, v, "bad store '%s' (sqlite:PATH, a file path, or postgresql://...)",
                    cfg->store);
    return rc;
}

/* A numeric address with a port: the listener binds exactly what it is told. */
static int key_listen(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = set_string(c, v, &cfg->listen);
    if (rc != VX_OK)
        return rc;
    const char *s = cfg->listen, *bracket = strrchr(s, ']');
    const char *colon = strrchr(bracket ? bracket : s, ':');
    bool has_port = colon && (s[0] == '[' || strchr(s, ':') == colon);
    if (!has_port || vx__addr_parse(s, 0, &ss, &len) != VX_OK)
        return fail(c, v, "bad listen address '%s' (ADDRESS:PORT or [IPV6]:PORT)", s);
    return VX_OK;
}

static int key_log_level(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    static const char *const names[] = {"debug", "info", "notice", "warning", "error"};
    vx__monitor_config *cfg = obj;
    vx__log_level level;
    int rc = set_string(c, v, &cfg->log_level);
    if (rc != VX_OK)
        return rc;
    if (vx__log_level_from_name(cfg->log_level, &level) != VX_OK)
        return fail_choice(c, v, "log level", cfg->log_level, names, 5);
    free(cfg->log_level); /* stored in its canonical (lower) case */
    cfg->log_level = strdup(names[level]);
    return cfg->log_level ? VX_OK : fail_nomem(c);
}

/* ---- domains ------------------------------------------------------------------------------- */

static int key_dom_name(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    free(d->name);
    d->name = NULL;
    return get_domain(c, v, &d->name);
}

static int key_dom_profile(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    static const char *const profiles[] = {"generic", "lync", "teams", "enum"};
    vx__monitor_domain *d = obj;
    int rc = set_string(c, v, &d->profile);
    for (char *p = rc == VX_OK ? d->profile : NULL; p && *p; p++)
        *p = (char)tolower((unsigned char)*p); /* the checks compare profiles in lower case */
    if (rc == VX_OK && !vx__profile_known(d->profile))
        return fail_choice(c, v, "profile", d->profile, profiles, 4);
    return rc;
}

static int key_dom_alt(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    int rc = expect(c, v, YAML_SEQUENCE_NODE, "a list of domain names");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         rc == VX_OK && it < v->data.sequence.items.top; it++) {
        char **slot = grow(&d->alt_domains, &d->alt_count, sizeof *slot);
        rc = slot ? get_domain(c, node_at(c, *it), slot) : fail_nomem(c);
    }
    return rc;
}

static int key_rec_name(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__watched_record *r = obj;
    free(r->name);
    r->name = NULL;
    return get_domain(c, v, &r->name);
}

static int key_rec_type(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__watched_record *r = obj;
    const char *t;
    int rc = scalar(c, v, "a record type", &t);
    if (rc == VX_OK && vx__rrtype_from_text(t, &r->type) != VX_OK)
        return fail(c, v, "unknown record type '%s'", t);
    return rc;
}

static int parse_record(cfg_ctx *c, const yaml_node_t *n, vx__watched_record *r)
{
    static const key_def defs[] = {{"name", key_rec_name}, {"type", key_rec_type}};
    c->key = "records";
    int rc = expect(c, n, YAML_MAPPING_NODE, "a list of {name, type} mappings");
    if (rc == VX_OK)
        rc = walk_mapping(c, n, defs, 2, r);
    if (rc == VX_OK && !r->name)
        return fail(c, n, "a record needs a 'name'");
    if (rc == VX_OK && !r->type)
        return fail(c, n, "a record needs a 'type'");
    return rc;
}

static int key_dom_records(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    int rc = expect(c, v, YAML_SEQUENCE_NODE, "a list of {name, type} mappings");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         rc == VX_OK && it < v->data.sequence.items.top; it++) {
        vx__watched_record *r = grow(&d->records, &d->record_count, sizeof *r);
        rc = r ? parse_record(c, node_at(c, *it), r) : fail_nomem(c);
    }
    return rc;
}

/* One provider: NAME: [NS name or address, ...], checked by the audit's own parser. */
static int parse_provider(cfg_ctx *c, const yaml_node_t *key, const yaml_node_t *list,
                          vx__provider_decl *p)
{
    const char *name, *ns;
    char text[4096], err[256];
    int rc = scalar(c, key, "a provider name", &name);
    size_t len = rc == VX_OK ? (size_t)snprintf(text, sizeof text, "%s=", name) : 0;
    if (rc == VX_OK)
        rc = expect(c, list, YAML_SEQUENCE_NODE, "a list of name servers");
    for (yaml_node_item_t *it = rc == VX_OK ? list->data.sequence.items.start : NULL;
         rc == VX_OK && it < list->data.sequence.items.top; it++) {
        rc = scalar(c, node_at(c, *it), "a name server", &ns);
        if (rc == VX_OK && len < sizeof text)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
                                    it == list->data.sequence.items.start ? "" : ",", ns);
    }
    if (rc == VX_OK && len >= sizeof text)
        return fail(c, list, "provider '%s' lists too many name servers", name);
    if (rc == VX_OK && vx__provider_decl_parse(text, p, err, sizeof err) != VX_OK)
        return fail(c, key, "provider '%s': %s", name, err);
    return rc;
}

static int key_dom_providers(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    int rc = expect(c, v, YAML_MAPPING_NODE, "a mapping of provider names to name servers");
    for (yaml_node_pair_t *p = rc == VX_OK ? v->data.mapping.pairs.start : NULL;
         rc == VX_OK && p < v->data.mapping.pairs.top; p++) {
        vx__provider_decl *decl = grow(&d->providers, &d->provider_count, sizeof *decl);
        rc = decl ? parse_provider(c, node_at(c, p->key), node_at(c, p->value), decl)
                  : fail_nomem(c);
    }
    return rc;
}

static int key_dom_dual(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    const char *t;
    int rc = scalar(c, v, "true or false", &t);
    if (rc == VX_OK && strcasecmp(t, "true") != 0 && strcasecmp(t, "false") != 0)
        return fail(c, v, "'dual_primary' must be true or false, not '%s'", t);
    if (rc == VX_OK)
        d->dual_primary = strcasecmp(t, "true") == 0 ? VX__DUAL_YES : VX__DUAL_NO;
    return rc;
}

static int key_dom_propagation_slow(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    return get_duration(c, v, MS_PER_S, "1s", UINT64_MAX, "", &d->propagation_slow_ms);
}

/* tsig: PROVIDER: "[ALGORITHM:]NAME:SECRET", the form of `voxdns audit --tsig`. */
static int key_dom_tsig(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    int rc = expect(c, v, YAML_MAPPING_NODE, "a mapping of provider names to TSIG keys");
    for (yaml_node_pair_t *p = rc == VX_OK ? v->data.mapping.pairs.start : NULL;
         rc == VX_OK && p < v->data.mapping.pairs.top; p++) {
        const char *provider, *key;
        vx__provider_tsig *t = grow(&d->tsig, &d->tsig_count, sizeof *t);
        if (!t)
            return fail_nomem(c);
        rc = scalar(c, node_at(c, p->key), "a provider name", &provider);
        if (rc == VX_OK)
            rc = scalar(c, node_at(c, p->value), "[ALGORITHM:]NAME:SECRET", &key);
        if (rc == VX_OK && !(t->provider = strdup(provider)))
            return fail_nomem(c);
        if (rc == VX_OK && vx__tsig_key_parse(key, &t->key) != VX_OK)
            return fail(c, node_at(c, p->value),
                        "provider '%s': a TSIG key is [ALGORITHM:]NAME:SECRET (base64)", provider);
    }
    return rc;
}

static int key_dom_zone_watch(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_domain *d = obj;
    bool on = true;
    int rc = get_bool(c, v, &on);
    d->zone_watch = on;
    return rc;
}

static int parse_domain(cfg_ctx *c, const yaml_node_t *n, vx__monitor_domain *d)
{
    static const key_def defs[] = {{"name", key_dom_name},
                                   {"profile", key_dom_profile},
                                   {"alt_domains", key_dom_alt},
                                   {"records", key_dom_records},
                                   {"providers", key_dom_providers},
                                   {"dual_primary", key_dom_dual},
                                   {"propagation_slow", key_dom_propagation_slow},
                                   {"tsig", key_dom_tsig},
                                   {"zone_watch", key_dom_zone_watch}};
    d->zone_watch = -1;
    if (!(d->profile = strdup("generic")))
        return fail_nomem(c);
    if (n->type == YAML_SCALAR_NODE) /* "- example.com" is short for "- name: example.com" */
        return key_dom_name(c, n, d);
    int rc = expect(c, n, YAML_MAPPING_NODE, "a list of domains");
    if (rc == VX_OK)
        rc = walk_mapping(c, n, defs, sizeof defs / sizeof defs[0], d);
    if (rc == VX_OK && !d->name)
        return fail(c, n, "a domain needs a 'name'");
    return rc;
}

static const yaml_node_t *domain_name_node(cfg_ctx *c, const yaml_node_t *n)
{
    const yaml_node_t *name = n->type == YAML_MAPPING_NODE ? find_key(c, n, "name") : NULL;
    return name ? name : n;
}

/* FNV-1a: domain names are the operator's own, not an attacker's, so no keyed hash is needed. */
static size_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t domain_slot(const cfg_ctx *c, const char *name)
{
    size_t mask = c->domain_slot_cap - 1, i = name_hash(name) & mask;
    while (c->domain_slots[i] && strcmp(c->cfg->domains[c->domain_slots[i] - 1].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Keeps the set at most half full: probes stay short. */
static int domain_slots_grow(cfg_ctx *c)
{
    size_t cap = c->domain_slot_cap ? c->domain_slot_cap * 2 : 64;
    size_t *old = c->domain_slots, old_cap = c->domain_slot_cap;
    if (!(c->domain_slots = calloc(cap, sizeof *c->domain_slots))) {
        c->domain_slots = old;
        return VX_ENOMEM;
    }
    c->domain_slot_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            c->domain_slots[domain_slot(c, c->cfg->domains[old[i] - 1].name)] = old[i];
    free(old);
    return VX_OK;
}

/* Domain i is new, or the error names the line of the first one with its name: a hash set, so
 * that 100,000 domains are checked in linear time (it was a comparison with every earlier one). */
static int check_unique_domain(cfg_ctx *c, const yaml_node_t *seq, size_t i)
{
    const vx__monitor_config *cfg = c->cfg;
    if (2 * (i + 1) > c->domain_slot_cap && domain_slots_grow(c) != VX_OK)
        return fail_nomem(c);
    size_t slot = domain_slot(c, cfg->domains[i].name);
    if (!c->domain_slots[slot]) {
        c->domain_slots[slot] = i + 1;
        return VX_OK;
    }
    size_t j = c->domain_slots[slot] - 1;
    const yaml_node_t *first = node_at(c, seq->data.sequence.items.start[j]);
    const yaml_node_t *dup = node_at(c, seq->data.sequence.items.start[i]);
    size_t len = strlen(cfg->domains[i].name);
    return fail(c, domain_name_node(c, dup), "duplicate domain '%.*s' (first at line %zu)",
                (int)(len - 1), cfg->domains[i].name, first->start_mark.line + 1);
}

/* Geometric growth: one realloc per domain made a long list quadratic in copies. */
static vx__monitor_domain *domain_new(cfg_ctx *c)
{
    vx__monitor_config *cfg = c->cfg;
    vx__monitor_domain *d =
        vx__grow(cfg->domains, &c->domain_cap, cfg->domain_count + 1, sizeof *d, 16);
    if (!d)
        return NULL;
    cfg->domains = d;
    memset(&d[cfg->domain_count], 0, sizeof *d);
    return &d[cfg->domain_count++];
}

static int key_domains(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    int rc = expect(c, v, YAML_SEQUENCE_NODE, "a list of domains");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         rc == VX_OK && it < v->data.sequence.items.top; it++) {
        vx__monitor_domain *d = domain_new(c);
        rc = d ? parse_domain(c, node_at(c, *it), d) : fail_nomem(c);
        if (rc == VX_OK)
            rc = check_unique_domain(c, v, cfg->domain_count - 1);
    }
    return rc;
}

/* ---- resolvers ----------------------------------------------------------------------------- */

static int set_resolver_addr(cfg_ctx *c, const yaml_node_t *v, vx__monitor_resolver *r)
{
    const char *text;
    socklen_t len;
    int rc = scalar(c, v, "an address", &text);
    if (rc != VX_OK)
        return rc;
    if (vx__addr_parse(text, 53, &r->addr, &len) != VX_OK)
        return fail(c, v, "bad resolver address '%s'", text);
    return VX_OK;
}

static int key_res_name(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return set_string(c, v, &((vx__monitor_resolver *)obj)->name);
}

static int key_res_address(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return set_resolver_addr(c, v, obj);
}

/* The default label: the address, with the port only when it is not 53. */
static int default_resolver_name(cfg_ctx *c, vx__monitor_resolver *r)
{
    char text[VX__ADDR_TEXT_MAX];
    const struct sockaddr *sa = (const struct sockaddr *)&r->addr;
    bool port53 = sa->sa_family == AF_INET
                      ? ((const struct sockaddr_in *)sa)->sin_port == htons(53)
                      : ((const struct sockaddr_in6 *)sa)->sin6_port == htons(53);
    int rc = port53 ? vx__addr_format(sa, text, sizeof text)
                    : vx__addr_format_port(sa, text, sizeof text);
    if (rc != VX_OK || !(r->name = strdup(text)))
        return fail_nomem(c);
    return VX_OK;
}

static int parse_resolver(cfg_ctx *c, const yaml_node_t *n, vx__monitor_resolver *r)
{
    static const key_def defs[] = {{"name", key_res_name}, {"address", key_res_address}};
    int rc;
    if (n->type == YAML_SCALAR_NODE) {
        rc = set_resolver_addr(c, n, r);
    } else {
        rc = expect(c, n, YAML_MAPPING_NODE, "a list of addresses or {name, address} mappings");
        if (rc == VX_OK)
            rc = walk_mapping(c, n, defs, 2, r);
        if (rc == VX_OK && r->addr.ss_family == 0)
            return fail(c, n, "a resolver needs an 'address'");
    }
    if (rc == VX_OK && !r->name)
        rc = default_resolver_name(c, r);
    return rc;
}

static int check_unique_resolver(cfg_ctx *c, const yaml_node_t *n, size_t i)
{
    const vx__monitor_resolver *rs = c->cfg->resolvers;
    for (size_t j = 0; j < i; j++)
        if (strcmp(rs[j].name, rs[i].name) == 0)
            return fail(c, n, "duplicate resolver '%s'", rs[i].name);
    return VX_OK;
}

static int key_resolvers(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    int rc = expect(c, v, YAML_SEQUENCE_NODE, "a list of resolvers");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         rc == VX_OK && it < v->data.sequence.items.top; it++) {
        vx__monitor_resolver *r = grow(&cfg->resolvers, &cfg->resolver_count, sizeof *r);
        c->key = "resolvers";
        rc = r ? parse_resolver(c, node_at(c, *it), r) : fail_nomem(c);
        if (rc == VX_OK)
            rc = check_unique_resolver(c, node_at(c, *it), cfg->resolver_count - 1);
    }
    return rc;
}

/* ---- NOTIFY -------------------------------------------------------------------------------- */

/* A list of scalars, each read by one(): the NOTIFY keys share it. */
static int scalar_list(cfg_ctx *c, const yaml_node_t *v, const char *what,
                       int (*one)(cfg_ctx *, const yaml_node_t *, const char *, void *), void *obj)
{
    const char *text;
    int rc = expect(c, v, YAML_SEQUENCE_NODE, what);
    for (yaml_node_item_t *it = rc == VX_OK ? v->data.sequence.items.start : NULL;
         rc == VX_OK && it < v->data.sequence.items.top; it++) {
        const yaml_node_t *n = node_at(c, *it);
        rc = scalar(c, n, what, &text);
        if (rc == VX_OK)
            rc = one(c, n, text, obj);
    }
    return rc;
}

static int one_notify_listen(cfg_ctx *c, const yaml_node_t *n, const char *text, void *obj)
{
    vx__monitor_config *cfg = obj;
    struct sockaddr_storage *a = grow(&cfg->notify_listen, &cfg->notify_listen_count, sizeof *a);
    socklen_t len;
    if (!a)
        return fail_nomem(c);
    if (vx__addr_parse(text, 53, a, &len) != VX_OK)
        return fail(c, n, "bad notify_listen address '%s' (ADDRESS[:PORT] or [IPV6]:PORT)", text);
    return VX_OK;
}

static int one_notify_allow(cfg_ctx *c, const yaml_node_t *n, const char *text, void *obj)
{
    vx__monitor_config *cfg = obj;
    vx__addr_block *b = grow(&cfg->notify_allow, &cfg->notify_allow_count, sizeof *b);
    if (!b)
        return fail_nomem(c);
    if (vx__addr_block_parse(text, b) != VX_OK)
        return fail(c, n, "bad notify_allow entry '%s' (ADDRESS or ADDRESS/LENGTH, no host bits)",
                    text);
    return VX_OK;
}

static int one_notify_key(cfg_ctx *c, const yaml_node_t *n, const char *text, void *obj)
{
    vx__monitor_config *cfg = obj;
    vx__tsig_key *k = grow(&cfg->notify_keys, &cfg->notify_key_count, sizeof *k);
    if (!k)
        return fail_nomem(c);
    if (vx__tsig_key_parse(text, k) != VX_OK)
        return fail(c, n, "bad notify_keys entry: [ALGORITHM:]NAME:BASE64-SECRET expected");
    for (size_t i = 0; i + 1 < cfg->notify_key_count; i++)
        if (strcasecmp(cfg->notify_keys[i].name, k->name) == 0)
            return fail(c, n, "duplicate notify key '%s'", k->name);
    return VX_OK;
}

static int key_notify_listen(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return scalar_list(c, v, "a list of addresses", one_notify_listen, obj);
}

static int key_notify_allow(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return scalar_list(c, v, "a list of addresses or prefixes", one_notify_allow, obj);
}

static int key_notify_keys(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return scalar_list(c, v, "a list of TSIG keys", one_notify_key, obj);
}

static int key_propagation_slow(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_duration(c, v, MS_PER_S, "1s", UINT64_MAX, "", &cfg->propagation_slow_ms);
}

/* A listener open to any source without a key would let anyone start propagation polls. */
static int check_notify(cfg_ctx *c, const yaml_node_t *root)
{
    const vx__monitor_config *cfg = c->cfg;
    if (cfg->notify_listen_count == 0 || cfg->notify_allow_count || cfg->notify_key_count)
        return VX_OK;
    c->key = "notify_listen";
    return fail(c, find_key(c, root, "notify_listen"),
                "notify_listen needs notify_allow (source addresses) or notify_keys (TSIG), "
                "or both");
}

/* ---- alerts -------------------------------------------------------------------------------- */

static const char *const sink_types[] = {"log", "webhook", "command"};

static int only_for(cfg_ctx *c, const yaml_node_t *v, const vx__sink_config *s, unsigned mask)
{
    if (mask & (1u << s->type))
        return VX_OK;
    return fail(c, v, "'%s' does not apply to a %s alert", c->key, sink_types[s->type]);
}

static int key_sink_type(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__sink_config *s = obj;
    const char *t;
    int rc = scalar(c, v, "an alert type", &t);
    for (unsigned i = 0; rc == VX_OK && i < 3; i++) {
        if (strcasecmp(t, sink_types[i]) == 0) {
            s->type = (vx__sink_type)i;
            return VX_OK;
        }
    }
    return rc == VX_OK ? fail_choice(c, v, "alert type", t, sink_types, 3) : rc;
}

static int key_sink_name(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return set_string(c, v, &((vx__sink_config *)obj)->name);
}

static int key_sink_severity(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    static const char *const names[] = {"info", "notice", "warning", "error", "critical"};
    vx__sink_config *s = obj;
    const char *t;
    int rc = scalar(c, v, "a severity", &t);
    if (rc == VX_OK && vx__severity_from_name(t, &s->min_severity) != VX_OK)
        return fail_choice(c, v, "severity", t, names, 5);
    return rc;
}

static int key_sink_url(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__sink_config *s = obj;
    int rc = only_for(c, v, s, 1u << VX__SINK_WEBHOOK);
    if (rc == VX_OK)
        rc = set_string(c, v, &s->url);
    if (rc != VX_OK)
        return rc;
    size_t skip = strncasecmp(s->url, "http://", 7) == 0    ? 7
                  : strncasecmp(s->url, "https://", 8) == 0 ? 8
                                                            : 0;
    if (!skip || !s->url[skip] || strchr("/?#", s->url[skip]))
        return fail(c, v, "'url' must be an http:// or https:// URL with a host");
    return VX_OK;
}

static int key_sink_retries(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__sink_config *s = obj;
    int rc = only_for(c, v, s, 1u << VX__SINK_WEBHOOK);
    return rc == VX_OK ? get_count(c, v, 0, MAX_RETRIES, &s->retries) : rc;
}

static int key_sink_timeout(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__sink_config *s = obj;
    int rc = only_for(c, v, s, 1u << VX__SINK_WEBHOOK | 1u << VX__SINK_COMMAND);
    return rc == VX_OK ? get_duration32(c, v, 1, "1ms", &s->timeout_ms) : rc;
}

static int key_sink_command(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__sink_config *s = obj;
    int rc = only_for(c, v, s, 1u << VX__SINK_COMMAND);
    return rc == VX_OK ? set_string(c, v, &s->command) : rc;
}

/* "log", "log-2", "webhook-1", "command-1", ...: the n-th sink of its type. */
static int default_sink_name(cfg_ctx *c, vx__sink_config *s)
{
    unsigned nth = 0;
    for (size_t i = 0; i < c->cfg->sink_count; i++)
        nth += c->cfg->sinks[i].type == s->type;
    char name[32];
    if (s->type == VX__SINK_LOG && nth == 1)
        snprintf(name, sizeof name, "log");
    else
        snprintf(name, sizeof name, "%s-%u", sink_types[s->type], nth);
    if (!(s->name = strdup(name)))
        return fail_nomem(c);
    return VX_OK;
}

static int check_sink_complete(cfg_ctx *c, const yaml_node_t *n, const vx__sink_config *s)
{
    if (s->type == VX__SINK_WEBHOOK && !s->url)
        return fail(c, n, "a webhook alert needs a 'url'");
    if (s->type == VX__SINK_COMMAND && !s->command)
        return fail(c, n, "a command alert needs a 'command'");
    return VX_OK;
}

static int parse_sink(cfg_ctx *c, const yaml_node_t *n, vx__sink_config *s)
{
    static const key_def defs[] = {{"type", key_sink_type},
                                   {"name", key_sink_name},
                                   {"min_severity", key_sink_severity},
                                   {"url", key_sink_url},
                                   {"retries", key_sink_retries},
                                   {"timeout", key_sink_timeout},
                                   {"command", key_sink_command}};
    s->min_severity = VX__SEV_WARNING;
    s->retries = 5;
    s->timeout_ms = 10 * MS_PER_S;
    c->key = "alerts";
    int rc = expect(c, n, YAML_MAPPING_NODE, "a list of {type: ...} mappings");
    if (rc != VX_OK)
        return rc;
    /* The type decides which other keys apply, so it is read first wherever it stands. */
    const yaml_node_t *type = find_key(c, n, "type");
    c->key = "type";
    if (!type || is_null(type))
        return fail(c, n, "an alert needs a 'type' (log, webhook, command)");
    if ((rc = key_sink_type(c, type, s)) != VX_OK || (rc = walk_mapping(c, n, defs, 7, s)) != VX_OK)
        return rc;
    rc = check_sink_complete(c, n, s);
    return rc == VX_OK && !s->name ? default_sink_name(c, s) : rc;
}

static int check_unique_sink(cfg_ctx *c, const yaml_node_t *seq, size_t i)
{
    const vx__sink_config *sinks = c->cfg->sinks;
    for (size_t j = 0; j < i; j++) {
        if (strcmp(sinks[j].name, sinks[i].name) != 0)
            continue;
        const yaml_node_t *first = node_at(c, seq->data.sequence.items.start[j]);
        const yaml_node_t *dup = node_at(c, seq->data.sequence.items.start[i]);
        const yaml_node_t *name = find_key(c, dup, "name");
        return fail(c, name && !is_null(name) ? name : dup,
                    "duplicate alert name '%s' (first at line %zu)", sinks[i].name,
                    first->start_mark.line + 1);
    }
    return VX_OK;
}

static int key_alerts(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    int rc = expect(c, v, YAML_SEQUENCE_NODE, "a list of alert sinks");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         rc == VX_OK && it < v->data.sequence.items.top; it++) {
        vx__sink_config *s = grow(&cfg->sinks, &cfg->sink_count, sizeof *s);
        rc = s ? parse_sink(c, node_at(c, *it), s) : fail_nomem(c);
        if (rc == VX_OK)
            rc = check_unique_sink(c, v, cfg->sink_count - 1);
    }
    return rc;
}

/* ---- flap ------------------------------------------------------------------------------------ */

static int key_flap_window(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    return get_duration32(c, v, MS_PER_S, "1s", &((vx__monitor_config *)obj)->flap_window_ms);
}

static int key_flap_max(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__monitor_config *cfg = obj;
    return get_count(c, v, 1, MAX_FLAP_CHANGES, &cfg->flap_max_changes);
}

static int key_flap(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    static const key_def defs[] = {{"window", key_flap_window}, {"max_changes", key_flap_max}};
    int rc = expect(c, v, YAML_MAPPING_NODE, "a mapping (window, max_changes)");
    return rc == VX_OK ? walk_mapping(c, v, defs, 2, obj) : rc;
}

/* ---- http ------------------------------------------------------------------------------------ */

static int key_http_max_connections(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__http_limits *l = &((vx__monitor_config *)obj)->http;
    return get_count(c, v, 1, MAX_HTTP_CONNECTIONS, &l->max_connections);
}

static int key_http_max_per_ip(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__http_limits *l = &((vx__monitor_config *)obj)->http;
    return get_count(c, v, 1, MAX_HTTP_CONNECTIONS, &l->max_per_ip);
}

static int key_http_request_timeout(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__http_limits *l = &((vx__monitor_config *)obj)->http;
    return get_duration32(c, v, MS_PER_S, "1s", &l->request_timeout_ms);
}

static int key_http_idle_timeout(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__http_limits *l = &((vx__monitor_config *)obj)->http;
    return get_duration32(c, v, MS_PER_S, "1s", &l->idle_timeout_ms);
}

static int key_http_workers(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__http_limits *l = &((vx__monitor_config *)obj)->http;
    return get_count(c, v, 1, MAX_HTTP_WORKERS, &l->workers);
}

static int key_http_queue(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    vx__http_limits *l = &((vx__monitor_config *)obj)->http;
    return get_count(c, v, 1, MAX_HTTP_QUEUE, &l->queue);
}

static int key_http(cfg_ctx *c, const yaml_node_t *v, void *obj)
{
    static const key_def defs[] = {{"max_connections", key_http_max_connections},
                                   {"max_per_ip", key_http_max_per_ip},
                                   {"request_timeout", key_http_request_timeout},
                                   {"idle_timeout", key_http_idle_timeout},
                                   {"workers", key_http_workers},
                                   {"queue", key_http_queue}};
    int rc = expect(c, v, YAML_MAPPING_NODE,
                    "a mapping (max_connections, max_per_ip, request_timeout, idle_timeout, "
                    "workers, queue)");
    return rc == VX_OK ? walk_mapping(c, v, defs, sizeof defs / sizeof defs[0], obj) : rc;
}

/* ---- the document -------------------------------------------------------------------------- */

static const key_def root_keys[] = {{"interval", key_interval},
                                    {"hints", key_hints},
                                    {"store", key_store},
                                    {"listen", key_listen},
                                    {"token", key_token},
                                    {"log_level", key_log_level},
                                    {"serial_lag", key_serial_lag},
                                    {"asn_db", key_asn_db},
                                    {"endpoints", key_endpoints},
                                    {"ca_file", key_ca_file},
                                    {"domains", key_domains},
                                    {"resolvers", key_resolvers},
                                    {"alerts", key_alerts},
                                    {"flap", key_flap},
                                    {"http", key_http},
                                    {"server_rate", key_server_rate},
                                    {"audit_interval", key_audit_interval},
                                    {"watch_threads", key_watch_threads},
                                    {"rtt_retention", key_rtt_retention},
                                    {"notify_listen", key_notify_listen},
                                    {"notify_allow", key_notify_allow},
                                    {"notify_keys", key_notify_keys},
                                    {"propagation_slow", key_propagation_slow},
                                    {"zone_watch", key_zone_watch},
                                    {"zone_refresh", key_zone_refresh}};
_Static_assert(sizeof root_keys / sizeof root_keys[0] <= MAX_KEYS, "raise MAX_KEYS");

/* Without an 'alerts' key the events go to the log from warning up; an empty list silences. */
static int set_defaults(vx__monitor_config *cfg, const char *name)
{
    cfg->interval_ms = 300 * MS_PER_S;
    cfg->flap_window_ms = 3600 * MS_PER_S;
    cfg->flap_max_changes = 4;
    cfg->server_rate = VX__DEFAULT_SERVER_RATE;
    cfg->audit_interval_ms = 24ull * 3600u * MS_PER_S;
    cfg->rtt_retention_ms = 7ull * 24u * 3600u * MS_PER_S;
    cfg->endpoints = true;
    cfg->propagation_slow_ms = 300 * MS_PER_S;
    cfg->zone_watch = true;
    cfg->zone_refresh_ms = 3600u * MS_PER_S;
    vx__http_limits_default(&cfg->http);
    cfg->path = strdup(name);
    cfg->store = strdup(VX__DEFAULT_STORE);
    cfg->listen = strdup(VX__DEFAULT_LISTEN);
    cfg->log_level = strdup("info");
    return cfg->path && cfg->store && cfg->listen && cfg->log_level ? VX_OK : VX_ENOMEM;
}

static int default_sinks(cfg_ctx *c, const yaml_node_t *root)
{
    const yaml_node_t *alerts = find_key(c, root, "alerts");
    if (alerts && !is_null(alerts))
        return VX_OK;
    vx__sink_config *s = grow(&c->cfg->sinks, &c->cfg->sink_count, sizeof *s);
    if (!s || !(s->name = strdup("log")))
        return fail_nomem(c);
    s->type = VX__SINK_LOG;
    s->min_severity = VX__SEV_WARNING;
    s->retries = 5;
    s->timeout_ms = 10 * MS_PER_S;
    return VX_OK;
}

static int parse_root(cfg_ctx *c, const yaml_node_t *root)
{
    c->key = "configuration";
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, root,
                    "the configuration must be a mapping of keys (domains, interval, "
                    "...), not %s",
                    kind_name(root));
    int rc = walk_mapping(c, root, root_keys, sizeof root_keys / sizeof root_keys[0], c->cfg);
    if (rc == VX_OK && c->cfg->domain_count == 0) {
        const yaml_node_t *d = find_key(c, root, "domains");
        return fail(c, d && !is_null(d) ? d : root, "no domains to watch: add one under 'domains'");
    }
    if (rc == VX_OK)
        rc = check_notify(c, root);
    return rc == VX_OK ? default_sinks(c, root) : rc;
}

/* Reader errors (bad UTF-8) carry only an offset; the line and column are counted here. */
static yaml_mark_t offset_mark(const char *text, size_t len, size_t offset)
{
    yaml_mark_t m = {offset, 0, 0};
    for (size_t i = 0; i < offset && i < len; i++) {
        m.column = text[i] == '\n' ? 0 : m.column + 1;
        m.line += text[i] == '\n';
    }
    return m;
}

static int syntax_error(cfg_ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return fail_nomem(c);
    yaml_mark_t m =
        p->error == YAML_READER_ERROR ? offset_mark(text, len, p->problem_offset) : p->problem_mark;
    const char *problem = p->problem ? p->problem : "unreadable YAML";
    if (p->context)
        return fail_at(c, m, "YAML syntax error: %s (%s)", problem, p->context);
    return fail_at(c, m, "YAML syntax error: %s", problem);
}

/* One document only: a second one would be silently ignored otherwise. */
static int check_single_document(cfg_ctx *c, yaml_parser_t *p, const char *text, size_t len)
{
    yaml_document_t next;
    if (!yaml_parser_load(p, &next))
        return syntax_error(c, p, text, len);
    yaml_node_t *root = yaml_document_get_root_node(&next);
    int rc = root ? fail_at(c, next.start_mark, "only one YAML document is allowed") : VX_OK;
    yaml_document_delete(&next);
    return rc;
}

/* Where a quoted scalar may start: at the start of a token, not inside a plain scalar (it's). */
static bool token_start(char prev)
{
    return prev == '\n' || prev == ' ' || prev == '\t' || strchr("[{,:-", prev);
}

/* The scanner state of check_nesting(): enough YAML to skip comments and quoted scalars. */
typedef struct scan {
    char quote; /* the open quote, or 0 */
    bool comment;
    char prev;
    size_t depth;
    yaml_mark_t mark;
} scan;

/* One byte; false when it opens a flow collection one level too deep. */
static bool scan_byte(scan *sc, const char *text, size_t *i, size_t len)
{
    char ch = text[*i];
    if (ch == '\n')
        sc->comment = false;
    else if (sc->comment)
        return true;
    else if (sc->quote == '"' && ch == '\\' && *i + 1 < len)
        ch = text[++*i]; /* an escaped character, whatever it is */
    else if (sc->quote && ch == sc->quote)
        sc->quote = 0;
    else if (!sc->quote && (ch == '\'' || ch == '"') && token_start(sc->prev))
        sc->quote = ch;
    else if (!sc->quote && ch == '#' && (sc->prev == ' ' || sc->prev == '\t' || sc->prev == '\n'))
        sc->comment = true;
    else if (!sc->quote && (ch == '[' || ch == '{') && ++sc->depth > MAX_FLOW_DEPTH)
        return false;
    else if (!sc->quote && (ch == ']' || ch == '}') && sc->depth > 0)
        sc->depth--;
    sc->prev = ch;
    return true;
}

/* Flow collections ([...], {...}) nested deeper than MAX_FLOW_DEPTH are refused before libyaml
 * sees them: its scanner takes time quadratic in the depth (200 KB of '[' took 38 s), and no
 * configuration nests more than three. A bracket inside a plain scalar counts too, which only
 * ever counts a balanced pair (an IPv6 URL) or errs on the safe side. */
static int check_nesting(cfg_ctx *c, const char *text, size_t len)
{
    scan sc = {.prev = '\n'};
    size_t line_start = 0;
    for (size_t i = 0; i < len; i++) {
        size_t at = i;
        if (!scan_byte(&sc, text, &i, len)) {
            yaml_mark_t m = {at, sc.mark.line, at - line_start};
            return fail_at(c, m, "flow collections ([...], {...}) nested deeper than %u levels",
                           MAX_FLOW_DEPTH);
        }
        for (; at <= i; at++)
            if (text[at] == '\n') {
                sc.mark.line++;
                line_start = at + 1;
            }
    }
    return VX_OK;
}

static int parse_document(cfg_ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_mark_t start = {0, 0, 0};
    if (len > CONFIG_MAX_BYTES)
        return fail_at(c, start, "larger than %u MiB: not a configuration file",
                       CONFIG_MAX_BYTES >> 20);
    int rc = check_nesting(c, text, len);
    if (rc != VX_OK)
        return rc;
    if (!yaml_parser_initialize(&parser))
        return fail_nomem(c);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_error(c, &parser, text, len);
        yaml_parser_delete(&parser);
        return rc;
    }
    c->doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    rc = root ? parse_root(c, root)
              : fail_at(c, start, "empty configuration: at least one domain is needed");
    if (rc == VX_OK)
        rc = check_single_document(c, &parser, text, len);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int vx__monitor_config_parse(const char *name, const char *text, size_t len,
                             vx__monitor_config **out, char *err, size_t errcap)
{
    cfg_ctx c = {.file = name ? name : "<config>", .err = err, .errcap = errcap};
    if (err && errcap)
        err[0] = '\0';
    if (!out || (!text && len))
        return VX_EINVAL;
    *out = NULL;
    if (!(c.cfg = calloc(1, sizeof *c.cfg)) || set_defaults(c.cfg, c.file) != VX_OK) {
        vx__monitor_config_free(c.cfg);
        return fail_nomem(&c);
    }
    int rc = parse_document(&c, text ? text : "", len);
    free(c.domain_slots);
    if (rc != VX_OK) {
        vx__monitor_config_free(c.cfg);
        return rc;
    }
    *out = c.cfg;
    return VX_OK;
}

int vx__monitor_config_load(const char *path, vx__monitor_config **out, char *err, size_t errcap)
{
    char *text;
    size_t len;
    if (!path || !out)
        return VX_EINVAL;
    *out = NULL;
    int rc = vx__read_file(path, CONFIG_MAX_BYTES, &text, &len, err, errcap);
    if (rc == VX_ELIMIT) {
        snprintf(err, errcap, "%s: too large for a configuration file", path);
        rc = VX_EINVAL;
    }
    if (rc != VX_OK)
        return rc;
    rc = vx__monitor_config_parse(path, text, len, out, err, errcap);
    free(text);
    return rc;
}

static void free_domain(vx__monitor_domain *d)
{
    free(d->name);
    free(d->profile);
    for (size_t i = 0; i < d->alt_count; i++)
        free(d->alt_domains[i]);
    free(d->alt_domains);
    for (size_t i = 0; i < d->record_count; i++)
        free(d->records[i].name);
    free(d->records);
    for (size_t i = 0; i < d->provider_count; i++)
        vx__provider_decl_clear(&d->providers[i]);
    free(d->providers);
    for (size_t i = 0; i < d->tsig_count; i++)
        free(d->tsig[i].provider);
    free(d->tsig);
}

void vx__monitor_config_free(vx__monitor_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->domain_count; i++)
        free_domain(&cfg->domains[i]);
    for (size_t i = 0; i < cfg->resolver_count; i++)
        free(cfg->resolvers[i].name);
    for (size_t i = 0; i < cfg->sink_count; i++) {
        free(cfg->sinks[i].name);
        free(cfg->sinks[i].url);
        free(cfg->sinks[i].command);
    }
    free(cfg->domains);
    free(cfg->resolvers);
    free(cfg->sinks);
    free(cfg->path);
    free(cfg->hints);
    free(cfg->store);
    free(cfg->listen);
    free(cfg->token);
    free(cfg->log_level);
    free(cfg->asn_db);
    free(cfg->ca_file);
    free(cfg->notify_listen);
    free(cfg->notify_allow);
    free(cfg->notify_keys);
    free(cfg);
}
