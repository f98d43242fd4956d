/*
 * monitor/metrics.c — owns the monitor's Prometheus metrics (monitor/metrics.h): the series
 * kept between scrapes and their rendering in the text exposition format 0.0.4. Series are kept
 * per domain (found by a hash of its label), each domain's sorted by family and label text, that
 * text interned once for all domains; a scrape renders the domains in label order, so that it
 * is deterministic. One mutex guards everything: the daemon records after each cycle while the
 * HTTP thread renders.
 */
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/metrics.h"
#include "check/providers.h"
#include "common/array.h"
#include "common/hash.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"
#include "wire/query.h"

#define T_SOA 6
#define RCODE_REFUSED 5

/* ---- series, histograms and the domains that hold them ---------------------------------- */

/* Histogram buckets of voxdns_server_rtt_seconds (upper bounds in seconds; +Inf implied). */
static const double rtt_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
#define RTT_BUCKETS (sizeof rtt_bounds / sizeof rtt_bounds[0])
/* ... and of voxdns_propagation_seconds (a histogram holds up to RTT_BUCKETS buckets). */
static const double prop_bounds[] = {1, 2, 5, 10, 30, 60, 120, 300, 600, 1800};
#define PROP_BUCKETS (sizeof prop_bounds / sizeof prop_bounds[0])
_Static_assert(PROP_BUCKETS <= RTT_BUCKETS, "a histogram holds RTT_BUCKETS buckets");

enum {
    F_SERVER_UP = 0,
    F_SOA_SERIAL,
    F_FINDINGS,
    F_EVENTS,
    F_CYCLE_DURATION,
    F_CYCLES,
    F_QUERIES,
    F_RESOLVER_UP,
    F_SIP_UP,
    F_SIP_RTT,
    F_TLS_NOT_AFTER,
    F_ZONE_TRANSFERS,
    F_COUNT
};

enum { H_RTT = 0, H_PROP, H_COUNT };

/* One series of a domain. Its labels are the domain's (domain="NAME") followed by rest, whose
 * text is interned: 100,000 domains at a few providers share a few dozen server label sets, and
 * a series costs 24 bytes, not a copy of its whole label text (~100 bytes each, ~40 series a
 * domain: ~170 MB at 100,000 domains). */
typedef struct series {
    const char *rest; /* first (new_item): interned; "" when the domain is the only label */
    double value;
    uint32_t stamp; /* the domain's recording that last set it (per-cycle gauges) */
    uint8_t family;
} series;

typedef struct histo {
    const char *rest;              /* first (new_item): interned */
    uint8_t kind;                  /* H_RTT or H_PROP */
    uint64_t buckets[RTT_BUCKETS]; /* non-cumulative here; cumulated when rendered */
    uint64_t count;
    double sum;
} histo;

_Static_assert(offsetof(series, rest) == 0 && offsetof(histo, rest) == 0,
               "new_item sets the label text as the first member");

/* Everything recorded for one domain: its own small arrays, so that a new series is inserted
 * among its domain's forty, not among four million (with domains configured out of order, the
 * first cycle at 100,000 domains spent ~1,000 s moving one sorted array of every series). */
typedef struct domain_metrics {
    char *label;    /* rendered: domain="example.com" ("" for the series of no domain) */
    series *series; /* sorted by family, then rest */
    size_t count, cap;
    histo *histos; /* sorted by kind, then rest */
    size_t hcount, hcap;
    uint32_t stamp; /* counts this domain's recordings: series a cycle did not set are dropped */
} domain_metrics;

/* Interned label text with its count of users (series and histograms). */
typedef struct rest_text {
    struct rest_text *next;
    uint64_t hash;
    size_t refs;
    char text[];
} rest_text;

typedef struct family_def {
    const char *name;
    const char *type;
    const char *help;
    bool per_cycle_gauge; /* replaced by each cycle of its domain */
} family_def;
static const family_def defs[F_COUNT] = {
    [F_SERVER_UP] = {"voxdns_server_up", "gauge",
                     "Whether the authoritative address answered the SOA question over UDP in "
                     "the last cycle (1) or not (0).",
                     true},
    [F_SOA_SERIAL] = {"voxdns_soa_serial", "gauge",
                      "The SOA serial the authoritative address served in the last cycle.", true},
    [F_FINDINGS] = {"voxdns_findings", "gauge",
                    "Current findings of the domain's last cycle by check and severity.", true},
    [F_EVENTS] = {"voxdns_events_total", "counter", "Monitor events emitted, by type.", false},
    [F_CYCLE_DURATION] = {"voxdns_cycle_duration_seconds", "gauge",
                          "How long the domain's last monitoring cycle took.", true},
    [F_CYCLES] = {"voxdns_cycles_total", "counter", "Monitoring cycles completed.", false},
    [F_QUERIES] = {"voxdns_queries_total", "counter",
                   "Questions asked by the probes, by result (ok, timeout, refused, skipped, "
                   "error).",
                   false},
    [F_RESOLVER_UP] = {"voxdns_resolver_up", "gauge",
                       "Whether the watched recursive resolver answered in its last check.", false},
    [F_SIP_UP] = {"voxdns_sip_target_up", "gauge",
                  "Whether the SIP target tuple gave a final response to OPTIONS in the last "
                  "cycle (1) or not (0).",
                  true},
    [F_SIP_RTT] = {"voxdns_sip_options_rtt_seconds", "gauge",
                   "Round trip of the last OPTIONS the SIP target tuple answered (after the TLS "
                   "handshake).",
                   true},
    [F_TLS_NOT_AFTER] = {"voxdns_tls_cert_not_after_seconds", "gauge",
                         "When the SIP target's TLS leaf certificate expires (Unix seconds).",
                         true},
    [F_ZONE_TRANSFERS] = {"voxdns_zone_transfers_total", "counter",
                          "Whole-zone transfers of the zone watch by provider and by what came: "
                          "kind axfr (the whole zone) or ixfr (differences, or up to date).",
                          false},
};

#define RTT_NAME "voxdns_server_rtt_seconds"
#define RTT_HELP "Response time of the authoritative address to the DATA questions it answered."
#define PROP_NAME "voxdns_propagation_seconds"
#define PROP_HELP                                                                                  \
    "Time from a NOTIFY (or the cycle that first saw a new serial) to the authoritative address "  \
    "serving that serial."

struct vx__metrics {
    pthread_mutex_t mu;
    domain_metrics global; /* the series without a domain label (resolvers) */
    domain_metrics **domains;
    size_t domain_count, domain_cap;
    bool domains_sorted;      /* by label, for a deterministic rendering */
    domain_metrics **slots;   /* open addressing by label; 0: empty */
    size_t slot_count;        /* a power of two, at least twice domain_count */
    rest_text **rest_buckets; /* chains; a power of two */
    size_t rest_bucket_count, rest_count;
    vx__prop_sample ring[VX__PROP_SAMPLES]; /* the latest measurements, for the dashboard */
    size_t ring_next, ring_count;
    /* Its own lock: /healthz reads it on the HTTP I/O thread and must never wait for a
     * render of every series. */
    pthread_mutex_t store_mu;
    vx__store_health store;
};

/* ---- interned label text ---------------------------------------------------------------- */

static rest_text *rest_of(const char *text)
{
    return (rest_text *)(void *)(text - offsetof(rest_text, text));
}

static int rest_rehash(vx__metrics *m)
{
    size_t n = m->rest_bucket_count ? m->rest_bucket_count * 2 : 256;
    rest_text **b = calloc(n, sizeof *b);
    if (!b)
        return VX_ENOMEM;
    for (size_t i = 0; i < m->rest_bucket_count; i++) {
        while (m->rest_buckets[i]) {
            rest_text *r = m->rest_buckets[i];
            m->rest_buckets[i] = r->next;
            r->next = b[r->hash & (n - 1)];
            b[r->hash & (n - 1)] = r;
        }
    }
    free(m->rest_buckets);
    m->rest_buckets = b;
    m->rest_bucket_count = n;
    return VX_OK;
}

/* The shared copy of text, one user more; NULL when out of memory. */
static const char *rest_intern(vx__metrics *m, const char *text)
{
    uint64_t h = vx__hash_text(text);
    if (m->rest_count >= m->rest_bucket_count && rest_rehash(m) != VX_OK && !m->rest_buckets)
        return NULL;
    rest_text **head = &m->rest_buckets[h & (m->rest_bucket_count - 1)];
    for (rest_text *r = *head; r; r = r->next) {
        if (r->hash == h && strcmp(r->text, text) == 0) {
            r->refs++;
            return r->text;
        }
    }
    size_t len = strlen(text);
    rest_text *r = malloc(sizeof *r + len + 1);
    if (!r)
        return NULL;
    *r = (rest_text){.next = *head, .hash = h, .refs = 1};
    memcpy(r->text, text, len + 1);
    *head = r;
    m->rest_count++;
    return r->text;
}

static void rest_release(vx__metrics *m, const char *text)
{
    rest_text *r = rest_of(text);
    if (--r->refs > 0)
        return;
    rest_text **p = &m->rest_buckets[r->hash & (m->rest_bucket_count - 1)];
    while (*p != r)
        p = &(*p)->next;
    *p = r->next;
    m->rest_count--;
    free(r);
}

/* ---- the domains -------------------------------------------------------------------------- */

static size_t domain_slot(const domain_metrics *const *slots, size_t slot_count, const char *label)
{
    size_t i = (size_t)vx__hash_text(label) & (slot_count - 1);
    while (slots[i] && strcmp(slots[i]->label, label) != 0)
        i = (i + 1) & (slot_count - 1);
    return i;
}

static int domains_rehash(vx__metrics *m)
{
    size_t n = m->slot_count ? m->slot_count * 2 : 1024;
    domain_metrics **slots = calloc(n, sizeof *slots);
    if (!slots)
        return VX_ENOMEM;
    for (size_t i = 0; i < m->domain_count; i++)
        slots[domain_slot((const domain_metrics *const *)slots, n, m->domains[i]->label)] =
            m->domains[i];
    free(m->slots);
    m->slots = slots;
    m->slot_count = n;
    return VX_OK;
}

/* The domain whose rendered label is label, added when new; NULL when out of memory. */
static domain_metrics *domain_get(vx__metrics *m, const char *label)
{
    if (m->slot_count) {
        domain_metrics *d =
            m->slots[domain_slot((const domain_metrics *const *)m->slots, m->slot_count, label)];
        if (d)
            return d;
    }
    if ((m->domain_count + 1) * 2 > m->slot_count && domains_rehash(m) != VX_OK)
        return NULL;
    domain_metrics **grown =
        vx__grow(m->domains, &m->domain_cap, m->domain_count + 1, sizeof *grown, 256);
    if (!grown)
        return NULL;
    m->domains = grown;
    domain_metrics *d = calloc(1, sizeof *d);
    if (!d || !(d->label = strdup(label))) {
        free(d);
        return NULL;
    }
    m->domains[m->domain_count++] = d;
    m->slots[domain_slot((const domain_metrics *const *)m->slots, m->slot_count, label)] = d;
    m->domains_sorted = false;
    return d;
}

static void domain_clear(domain_metrics *d)
{
    free(d->label);
    free(d->series);
    free(d->histos);
}

/* ---- series ------------------------------------------------------------------------------ */

static int series_cmp(const series *s, unsigned family, const char *rest)
{
    if (s->family != family)
        return s->family < family ? -1 : 1;
    return strcmp(s->rest, rest);
}

/* The index of (family, rest) in the domain's sorted series (found), or of where it belongs. */
static size_t series_find(const domain_metrics *d, unsigned family, const char *rest, bool *found)
{
    size_t lo = 0, hi = d->count;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = series_cmp(&d->series[mid], family, rest);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A new item of size bytes at index at of a domain's sorted array (the items from at on move up
 * one), zeroed, with its first member, the label text, set to rest interned; NULL when out of
 * memory (the array unchanged). Series and histograms alike start with that text. */
static void *new_item(vx__metrics *m, void **items, size_t *count, size_t *cap, size_t at,
                      size_t size, const char *rest)
{
    const char *text = rest_intern(m, rest);
    char *grown = text ? vx__grow(*items, cap, *count + 1, size, 4) : NULL;
    if (!grown) {
        if (text)
            rest_release(m, text);
        return NULL;
    }
    *items = grown;
    memmove(grown + (at + 1) * size, grown + at * size, (*count - at) * size);
    (*count)++;
    memset(grown + at * size, 0, size);
    memcpy(grown + at * size, &text, sizeof text);
    return grown + at * size;
}

/* The series (created at 0 when new); NULL when out of memory. */
static series *series_get(vx__metrics *m, domain_metrics *d, unsigned family, const char *rest)
{
    bool found;
    size_t at = series_find(d, family, rest, &found);
    if (found)
        return &d->series[at];
    series *s = new_item(m, (void **)&d->series, &d->count, &d->cap, at, sizeof *s, rest);
    if (s)
        s->family = (uint8_t)family;
    return s;
}

static int series_set(vx__metrics *m, domain_metrics *d, unsigned family, const char *rest,
                      double v)
{
    series *s = series_get(m, d, family, rest);
    if (!s)
        return VX_ENOMEM;
    s->value = v;
    s->stamp = d->stamp;
    return VX_OK;
}

static int series_add(vx__metrics *m, domain_metrics *d, unsigned family, const char *rest,
                      double v)
{
    series *s = series_get(m, d, family, rest);
    if (!s)
        return VX_ENOMEM;
    s->value += v;
    return VX_OK;
}

/* A per-cycle gauge that sums within the cycle (findings by check): restarts at 0 each cycle. */
static int series_gauge_add(vx__metrics *m, domain_metrics *d, unsigned family, const char *rest,
                            double v)
{
    series *s = series_get(m, d, family, rest);
    if (!s)
        return VX_ENOMEM;
    s->value = s->stamp == d->stamp ? s->value + v : v;
    s->stamp = d->stamp;
    return VX_OK;
}

/* The first of the domain's series of family and the end of them. */
static size_t family_range(const domain_metrics *d, unsigned family, size_t *end)
{
    bool found;
    size_t start = series_find(d, family, "", &found), k = start;
    while (k < d->count && d->series[k].family == family)
        k++;
    *end = k;
    return start;
}

/* A cycle replaces its domain's gauges: a server that left the NS set must not stay "up". The
 * cycle sets its gauges in place first (stamped), then drops those of the family it did not set. */
static void family_sweep(vx__metrics *m, domain_metrics *d, unsigned family)
{
    size_t end, start = family_range(d, family, &end), k = start;
    for (size_t i = start; i < end; i++) {
        if (d->series[i].stamp == d->stamp)
            d->series[k++] = d->series[i];
        else
            rest_release(m, d->series[i].rest);
    }
    if (k < end)
        memmove(&d->series[k], &d->series[end], (d->count - end) * sizeof *d->series);
    d->count -= end - k;
}

/* After a full cycle, which sets every series its domain has: the arrays without the room
 * their doubling left (up to half of them, ~0.4 KB a domain). */
static void domain_fit(domain_metrics *d)
{
    if (d->cap > d->count + d->count / 8 && d->count > 0) {
        series *fit = realloc(d->series, d->count * sizeof *fit);
        if (fit) {
            d->series = fit;
            d->cap = d->count;
        }
    }
    if (d->hcap > d->hcount && d->hcount > 0) {
        histo *fit = realloc(d->histos, d->hcount * sizeof *fit);
        if (fit) {
            d->histos = fit;
            d->hcap = d->hcount;
        }
    }
}

/* The domain's histogram (kind, rest), created empty when new; NULL when out of memory. */
static histo *histo_get(vx__metrics *m, domain_metrics *d, unsigned kind, const char *rest)
{
    size_t at = 0;
    while (at < d->hcount && (d->histos[at].kind < kind ||
                              (d->histos[at].kind == kind && strcmp(d->histos[at].rest, rest) < 0)))
        at++;
    if (at < d->hcount && d->histos[at].kind == kind && strcmp(d->histos[at].rest, rest) == 0)
        return &d->histos[at];
    histo *h = new_item(m, (void **)&d->histos, &d->hcount, &d->hcap, at, sizeof *h, rest);
    if (h)
        h->kind = (uint8_t)kind;
    return h;
}

/* ---- label text ------------------------------------------------------------------------- */

typedef struct lbuf {
    char s[2048];
    size_t len;
    bool overflow;
} lbuf;

static void lb_putc(lbuf *b, char c)
{
    if (b->len + 1 >= sizeof b->s) {
        b->overflow = true;
        return;
    }
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

static void lb_puts(lbuf *b, const char *s)
{
    while (*s)
        lb_putc(b, *s++);
}

/* The exposition format's label value escapes: backslash, double quote and line feed. */
static void lb_value(lbuf *b, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\')
            lb_puts(b, "\\\\");
        else if (*v == '"')
            lb_puts(b, "\\\"");
        else if (*v == '\n')
            lb_puts(b, "\\n");
        else
            lb_putc(b, *v);
    }
}

/* Rendered label set from NULL-terminated name/value pairs. */
static const char *labels(lbuf *b, ...)
{
    va_list ap;
    b->len = 0;
    b->s[0] = '\0';
    b->overflow = false;
    va_start(ap, b);
    for (const char *name; (name = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        if (b->len)
            lb_putc(b, ',');
        lb_puts(b, name);
        lb_puts(b, "=\"");
        lb_value(b, value);
        lb_putc(b, '"');
    }
    va_end(ap);
    return b->overflow ? NULL : b->s;
}

/* "example.com" for "example.com." (labels show names as people write them). */
static void bare_name(const char *name, char *out, size_t cap)
{
    size_t n = name ? strlen(name) : 0;
    if (n > 1 && name[n - 1] == '.')
        n--;
    snprintf(out, cap, "%.*s", (int)n, name ? name : "");
}

/* ---- lifecycle -------------------------------------------------------------------------- */

vx__metrics *vx__metrics_new(void)
{
    vx__metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (!(m->global.label = strdup(""))) {
        free(m);
        return NULL;
    }
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m->global.label);
        free(m);
        return NULL;
    }
    if (pthread_mutex_init(&m->store_mu, NULL) != 0) {
        pthread_mutex_destroy(&m->mu);
        free(m->global.label);
        free(m);
        return NULL;
    }
    m->store.up = true; /* the daemon opened it, and proved it writable, before this */
    return m;
}

void vx__metrics_free(vx__metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->domain_count; i++) {
        domain_clear(m->domains[i]);
        free(m->domains[i]);
    }
    domain_clear(&m->global);
    free(m->domains);
    free(m->slots);
    for (size_t b = 0; b < m->rest_bucket_count; b++) {
        while (m->rest_buckets[b]) {
            rest_text *r = m->rest_buckets[b];
            m->rest_buckets[b] = r->next;
            free(r);
        }
    }
    free(m->rest_buckets);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->store_mu);
    free(m);
}

/* The domain's series, by its name without the trailing dot; NULL when out of memory. */
static domain_metrics *domain_of(vx__metrics *m, const char *name)
{
    lbuf b;
    const char *lbl = labels(&b, "domain", name, (char *)NULL);
    return lbl ? domain_get(m, lbl) : NULL;
}

/* ---- recording: servers ----------------------------------------------------------------- */

typedef struct server_id {
    char name[256];
    char address[VX__ADDR_TEXT_MAX];
} server_id;

static bool obs_of(const vx__observation *o, const vx__server *sv)
{
    return o->kind == VX__PROBE_DATA && o->server && sv->name &&
           strcasecmp(o->server, sv->name) == 0 &&
           vx__addr_equal((const struct sockaddr *)&o->addr, (const struct sockaddr *)&sv->addr);
}

static bool is_domain_soa(const vx__observation *o, const vx__snapshot *snap)
{
    return o->qtype == T_SOA && o->transport == VX__UDP && o->qname && snap->domain &&
           strcasecmp(o->qname, snap->domain) == 0;
}

/* Liveness is the SOA question over UDP; without one, any answered UDP DATA question. */
static bool server_up(const vx__snapshot *snap, const vx__server *sv)
{
    bool any = false;
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (!obs_of(o, sv))
            continue;
        if (is_domain_soa(o, snap))
            return o->status == VX_OK;
        any = any || (o->transport == VX__UDP && o->status == VX_OK);
    }
    return any;
}

/* The serial of the SOA RRset a server answered for the domain; false when none. */
static bool server_serial(const vx__snapshot *snap, const vx__server *sv, double *serial)
{
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (!obs_of(o, sv) || !is_domain_soa(o, snap) || o->status != VX_OK)
            continue;
        for (size_t k = 0; k < o->section_count[VX__SECTION_ANSWER]; k++) {
            const vx__rrset *rs = o->sections[VX__SECTION_ANSWER][k];
            unsigned long v;
            if (rs->type == T_SOA && rs->count > 0 &&
                sscanf(rs->rdata[0], "%*s %*s %lu", &v) == 1) {
                *serial = (double)v;
                return true;
            }
        }
    }
    return false;
}

static void histo_observe_in(histo *h, const double *bounds, size_t n, double seconds)
{
    size_t b = 0;
    while (b < n && seconds > bounds[b])
        b++;
    if (b < n)
        h->buckets[b]++;
    h->count++;
    h->sum += seconds;
}

static void histo_observe(histo *h, double seconds)
{
    histo_observe_in(h, rtt_bounds, RTT_BUCKETS, seconds);
}

static int server_rtts(vx__metrics *m, domain_metrics *d, const vx__snapshot *snap,
                       const vx__server *sv, const char *lbl)
{
    histo *h = histo_get(m, d, H_RTT, lbl);
    if (!h)
        return VX_ENOMEM;
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (obs_of(o, sv) && o->status == VX_OK && o->rtt_ms >= 0 && isfinite(o->rtt_ms))
            histo_observe(h, o->rtt_ms / 1000.0);
    }
    return VX_OK;
}

static int record_server(vx__metrics *m, domain_metrics *d, const vx__snapshot *snap,
                         const vx__server *sv, const char *provider)
{
    server_id id;
    lbuf b;
    double serial;
    bare_name(sv->name, id.name, sizeof id.name);
    if (vx__addr_format((const struct sockaddr *)&sv->addr, id.address, sizeof id.address) != 0)
        snprintf(id.address, sizeof id.address, "?");
    const char *lbl =
        labels(&b, "server", id.name, "address", id.address, "provider", provider, (char *)NULL);
    if (!lbl)
        return VX_EINVAL;
    int rc = series_set(m, d, F_SERVER_UP, lbl, server_up(snap, sv) ? 1 : 0);
    if (rc == VX_OK && server_serial(snap, sv, &serial))
        rc = series_set(m, d, F_SOA_SERIAL, lbl, serial);
    if (rc == VX_OK)
        rc = server_rtts(m, d, snap, sv, lbl);
    return rc;
}

/* ---- recording: propagation ------------------------------------------------------------- */

int vx__metrics_record_propagation(vx__metrics *m, const vx__prop_sample *s)
{
    lbuf b;
    if (!m || !s)
        return VX_EINVAL;
    pthread_mutex_lock(&m->mu);
    domain_metrics *d = domain_of(m, s->domain);
    const char *lbl = labels(&b, "provider", s->provider, "server", s->server, (char *)NULL);
    histo *h = d && lbl ? histo_get(m, d, H_PROP, lbl) : NULL;
    if (h)
        histo_observe_in(h, prop_bounds, PROP_BUCKETS, s->seconds);
    m->ring[m->ring_next] = *s;
    m->ring_next = (m->ring_next + 1) % VX__PROP_SAMPLES;
    m->ring_count += m->ring_count < VX__PROP_SAMPLES;
    pthread_mutex_unlock(&m->mu);
    return h ? VX_OK : VX_ENOMEM;
}

size_t vx__metrics_propagation_samples(vx__metrics *m, const char *domain, vx__prop_sample *out,
                                       size_t cap)
{
    size_t n = 0;
    if (!m)
        return 0;
    pthread_mutex_lock(&m->mu);
    size_t first = (m->ring_next + VX__PROP_SAMPLES - m->ring_count) % VX__PROP_SAMPLES;
    for (size_t k = 0; k < m->ring_count && n < cap; k++) {
        const vx__prop_sample *s = &m->ring[(first + k) % VX__PROP_SAMPLES];
        if (!domain || strcmp(s->domain, domain) == 0)
            out[n++] = *s;
    }
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* ---- recording: queries, findings, events ----------------------------------------------- */

static const char *result_of(const vx__observation *o)
{
    switch (o->status) {
    case VX_OK:
        /* A server that answers REFUSED refuses as plainly as one with a closed port. */
        return o->rcode == RCODE_REFUSED ? "refused" : "ok";
    case VX_ETIMEDOUT:
        return "timeout";
    case VX_EREFUSED:
        return "refused";
    case VX_ECANCELED:
        return "skipped";
    default:
        return "error";
    }
}

/* voxdns_queries_total is labelled by domain, type and result, not by question name: a domain
 * asks some 25 names (its SIP chain, MX, CAA, ACME, NS hosts), so a name label made ~30 series
 * a domain, 3 million at 100,000 domains, for Prometheus to ingest at every scrape and for the
 * daemon to hold (~4.7 KB a domain). Which name failed is what the findings and events say. */
static int record_queries(vx__metrics *m, domain_metrics *d, const vx__snapshot *snap)
{
    char tbuf[16];
    lbuf b;
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        const char *lbl = labels(&b, "qtype", vx__rrtype_to_text(o->qtype, tbuf, sizeof tbuf),
                                 "result", result_of(o), (char *)NULL);
        if (!lbl || series_add(m, d, F_QUERIES, lbl, 1) != VX_OK)
            return VX_ENOMEM;
    }
    /* The alternate domains are probed in the same cycle: their questions count here too. */
    for (size_t i = 0; i < snap->alt_count; i++)
        if (snap->alt[i] && record_queries(m, d, snap->alt[i]) != VX_OK)
            return VX_ENOMEM;
    return VX_OK;
}

static int record_findings(vx__metrics *m, domain_metrics *d, const vx__findings *f)
{
    lbuf b;
    for (size_t i = 0; f && i < f->count; i++) {
        const char *lbl = labels(&b, "check", f->items[i].check, "severity",
                                 vx__severity_name(f->items[i].severity), (char *)NULL);
        if (!lbl || series_gauge_add(m, d, F_FINDINGS, lbl, 1) != VX_OK)
            return VX_ENOMEM;
    }
    return VX_OK;
}

/* Only types that happened are kept; the rendering shows every other type at 0 (see
 * render_events), which saves a dozen series per domain. */
static int record_events(vx__metrics *m, domain_metrics *d, const vx__events *ev)
{
    lbuf b;
    for (size_t i = 0; ev && i < ev->count; i++) {
        const char *lbl = labels(&b, "type", vx__event_type_name(ev->items[i].type), (char *)NULL);
        if (!lbl || series_add(m, d, F_EVENTS, lbl, 1) != VX_OK)
            return VX_ENOMEM;
    }
    return VX_OK;
}

/* ---- recording: SIP endpoints ----------------------------------------------------------- */

static int record_endpoint(vx__metrics *m, domain_metrics *d, const vx__endpoint_obs *e)
{
    char target[256], address[VX__ADDR_TEXT_MAX + 8];
    lbuf b;
    bare_name(e->host, target, sizeof target);
    if (vx__addr_format_port((const struct sockaddr *)&e->addr, address, sizeof address) != 0)
        snprintf(address, sizeof address, "?");
    const char *lbl = labels(&b, "target", target, "address", address, "transport",
                             vx__ep_transport_name(e->transport), (char *)NULL);
    if (!lbl)
        return VX_EINVAL;
    bool up = e->status == VX_OK;
    int rc = series_set(m, d, F_SIP_UP, lbl, up ? 1 : 0);
    if (rc == VX_OK && up && e->rtt_ms >= 0 && isfinite(e->rtt_ms))
        rc = series_set(m, d, F_SIP_RTT, lbl, e->rtt_ms / 1000.0);
    vx__cert_facts leaf;
    if (rc == VX_OK && e->transport == VX__EP_TLS && e->tls_ok && e->chain_count > 0 &&
        e->chain[0] && vx__cert_from_b64(e->chain[0], &leaf) == VX_OK) {
        rc = series_set(m, d, F_TLS_NOT_AFTER, lbl, (double)leaf.not_after);
        vx__cert_clear(&leaf);
    }
    return rc;
}

static int record_endpoints(vx__metrics *m, domain_metrics *d, const vx__endpoint_obs *obs,
                            size_t count)
{
    int rc = VX_OK;
    for (size_t i = 0; rc == VX_OK && i < count; i++)
        rc = record_endpoint(m, d, &obs[i]);
    return rc;
}

static int record_locked(vx__metrics *m, const char *domain, const vx__snapshot *snap,
                         const vx__provider_map *pm, const vx__findings *findings,
                         const vx__events *events, double cycle_ms)
{
    domain_metrics *d = domain_of(m, domain);
    if (!d)
        return VX_ENOMEM;
    d->stamp++;
    int rc = series_set(m, d, F_CYCLE_DURATION, "", cycle_ms / 1000.0);
    if (rc == VX_OK)
        rc = series_add(m, d, F_CYCLES, "", 1);
    for (size_t i = 0; rc == VX_OK && snap && i < snap->server_count; i++)
        rc = record_server(m, d, snap, &snap->servers[i], pm ? vx__provider_of(pm, i) : "");
    if (rc == VX_OK && snap)
        rc = record_queries(m, d, snap);
    if (rc == VX_OK && snap && snap->endpoints_probed)
        rc = record_endpoints(m, d, snap->endpoints, snap->endpoint_count);
    if (rc == VX_OK)
        rc = record_findings(m, d, findings);
    if (rc == VX_OK)
        rc = record_events(m, d, events);
    for (unsigned f = 0; f < F_COUNT; f++)
        if (defs[f].per_cycle_gauge)
            family_sweep(m, d, f);
    domain_fit(d);
    return rc;
}

int vx__metrics_record_cycle_with(vx__metrics *m, const char *domain, const vx__snapshot *snap,
                                  const vx__provider_map *pm, const vx__findings *findings,
                                  const vx__events *events, double cycle_ms)
{
    char name[256];
    if (!m || !domain)
        return VX_EINVAL;
    bare_name(domain, name, sizeof name);
    pthread_mutex_lock(&m->mu);
    int rc = record_locked(m, name, snap, pm, findings, events, cycle_ms);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* Without a map the providers are inferred (the registrable domain of each NS name, split by
 * SOA MNAME), as the audit does without declarations. */
int vx__metrics_record_cycle(vx__metrics *m, const char *domain, const vx__snapshot *snap,
                             const vx__findings *findings, const vx__events *events,
                             double cycle_ms)
{
    vx__check_config ccfg;
    vx__provider_map pm;
    vx__check_config_default(&ccfg);
    bool have = snap && vx__providers_build(snap, &ccfg, &pm) == VX_OK;
    int rc = vx__metrics_record_cycle_with(m, domain, snap, have ? &pm : NULL, findings, events,
                                           cycle_ms);
    if (have)
        vx__providers_free(&pm);
    return rc;
}

static const char *answer_result(const vx__metrics_answer *a)
{
    vx__observation o = {.status = a->status, .rcode = a->rcode};
    return result_of(&o);
}

/* Answers of one kind (same type, same result) next to each other: one series lookup each. */
static int cmp_answer_kind(const void *x, const void *y)
{
    const vx__metrics_answer *a = *(const vx__metrics_answer *const *)x;
    const vx__metrics_answer *b = *(const vx__metrics_answer *const *)y;
    int c = (int)a->qtype - (int)b->qtype;
    return c ? c : strcmp(answer_result(a), answer_result(b));
}

static bool same_kind(const vx__metrics_answer *a, const vx__metrics_answer *b)
{
    return cmp_answer_kind(&a, &b) == 0;
}

static int quiet_queries(vx__metrics *m, domain_metrics *d, const vx__metrics_answer **by_kind,
                         size_t count)
{
    lbuf b;
    char tbuf[16];
    for (size_t i = 0, run; i < count; i += run) {
        for (run = 1; i + run < count && same_kind(by_kind[i], by_kind[i + run]); run++)
            ;
        const vx__metrics_answer *a = by_kind[i];
        const char *lbl = labels(&b, "qtype", vx__rrtype_to_text(a->qtype, tbuf, sizeof tbuf),
                                 "result", answer_result(a), (char *)NULL);
        if (!lbl || series_add(m, d, F_QUERIES, lbl, (double)run) != VX_OK)
            return VX_ENOMEM;
    }
    return VX_OK;
}

/* A server's label set as its domain's last full cycle wrote it (provider included): the
 * voxdns_server_up series whose labels start with server and address; with provider "" when
 * that cycle did not see the server. */
static const char *server_labels(const domain_metrics *d, lbuf *b, const char *server,
                                 const char *address)
{
    const char *prefix =
        labels(b, "server", server, "address", address, "provider", "", (char *)NULL);
    if (!prefix)
        return NULL;
    size_t n = strlen(prefix) - 1; /* up to the provider's opening quote */
    bool found;
    size_t at = series_find(d, F_SERVER_UP, prefix, &found);
    /* "" sorts first among the providers: the match, if any, is at or just after at */
    for (size_t k = at; k < d->count && k <= at + 1; k++)
        if (d->series[k].family == F_SERVER_UP && strncmp(d->series[k].rest, prefix, n) == 0)
            return d->series[k].rest;
    return prefix;
}

static bool rtt_sample(const vx__metrics_answer *a)
{
    return a->data && a->status == VX_OK && isfinite(a->rtt_ms) && a->rtt_ms >= 0;
}

/* Each server's histogram is looked up once and takes all of that server's answers. */
static int quiet_rtts(vx__metrics *m, domain_metrics *d, const vx__metrics_answer *a, size_t count,
                      bool *done)
{
    lbuf b;
    char server[256], address[VX__ADDR_TEXT_MAX];
    for (size_t i = 0; i < count; i++) {
        if (done[i] || !rtt_sample(&a[i]))
            continue;
        bare_name(a[i].server, server, sizeof server);
        if (vx__addr_format(a[i].addr, address, sizeof address) != 0)
            snprintf(address, sizeof address, "?");
        const char *lbl = server_labels(d, &b, server, address);
        histo *h = lbl ? histo_get(m, d, H_RTT, lbl) : NULL;
        if (!h)
            return VX_ENOMEM;
        for (size_t k = i; k < count; k++) {
            if (!done[k] && rtt_sample(&a[k]) && a[k].server == a[i].server &&
                a[k].addr == a[i].addr) {
                histo_observe(h, a[k].rtt_ms / 1000.0);
                done[k] = true;
            }
        }
    }
    return VX_OK;
}

static int record_quiet_locked(vx__metrics *m, const char *domain, const vx__metrics_answer *a,
                               size_t count, double cycle_ms)
{
    domain_metrics *d = domain_of(m, domain);
    if (!d)
        return VX_ENOMEM;
    d->stamp++;
    int rc = series_set(m, d, F_CYCLE_DURATION, "", cycle_ms / 1000.0);
    if (rc == VX_OK)
        rc = series_add(m, d, F_CYCLES, "", 1);
    const vx__metrics_answer **by_kind = malloc((count ? count : 1) * sizeof(*by_kind));
    bool *done = calloc(count ? count : 1, sizeof(*done));
    if (!by_kind || !done)
        rc = VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < count; i++)
        by_kind[i] = &a[i];
    if (rc == VX_OK) {
        qsort(by_kind, count, sizeof(*by_kind), cmp_answer_kind);
        rc = quiet_queries(m, d, by_kind, count);
    }
    if (rc == VX_OK)
        rc = quiet_rtts(m, d, a, count, done);
    free(by_kind);
    free(done);
    return rc;
}

int vx__metrics_record_quiet(vx__metrics *m, const char *domain, const vx__metrics_answer *answers,
                             size_t count, double cycle_ms)
{
    char name[256];
    if (!m || !domain || (!answers && count))
        return VX_EINVAL;
    bare_name(domain, name, sizeof name);
    pthread_mutex_lock(&m->mu);
    int rc = record_quiet_locked(m, name, answers, count, cycle_ms);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* The quiet cycle's pings replace the domain's endpoint gauges (a tuple no longer probed goes). */
static int endpoints_locked(vx__metrics *m, const char *domain, const vx__endpoint_obs *obs,
                            size_t count)
{
    domain_metrics *d = domain_of(m, domain);
    if (!d)
        return VX_ENOMEM;
    d->stamp++;
    int rc = record_endpoints(m, d, obs, count);
    family_sweep(m, d, F_SIP_UP);
    family_sweep(m, d, F_SIP_RTT);
    family_sweep(m, d, F_TLS_NOT_AFTER);
    return rc;
}

int vx__metrics_record_endpoints(vx__metrics *m, const char *domain, const vx__endpoint_obs *obs,
                                 size_t count)
{
    char name[256];
    if (!m || !domain || (!obs && count))
        return VX_EINVAL;
    bare_name(domain, name, sizeof name);
    pthread_mutex_lock(&m->mu);
    int rc = endpoints_locked(m, name, obs, count);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int vx__metrics_zone_transfer(vx__metrics *m, const char *domain, const char *provider,
                              bool incremental)
{
    lbuf b;
    char name[256];
    if (!m || !domain || !provider)
        return VX_EINVAL;
    bare_name(domain, name, sizeof name);
    const char *lbl =
        labels(&b, "provider", provider, "kind", incremental ? "ixfr" : "axfr", (char *)NULL);
    if (!lbl)
        return VX_EINVAL;
    pthread_mutex_lock(&m->mu);
    domain_metrics *d = domain_of(m, name);
    int rc = d ? series_add(m, d, F_ZONE_TRANSFERS, lbl, 1) : VX_ENOMEM;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int vx__metrics_record_resolver(vx__metrics *m, const char *resolver, int up)
{
    lbuf b;
    if (!m || !resolver)
        return VX_EINVAL;
    const char *lbl = labels(&b, "resolver", resolver, (char *)NULL);
    if (!lbl)
        return VX_EINVAL;
    pthread_mutex_lock(&m->mu);
    int rc = series_set(m, &m->global, F_RESOLVER_UP, lbl, up ? 1 : 0);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* ---- the store's health ----------------------------------------------------------------- */

void vx__metrics_store_failed(vx__metrics *m, const char *error, uint64_t now_ms)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->store_mu);
    if (m->store.up || !m->store.since_ms)
        m->store.since_ms = now_ms;
    m->store.up = false;
    m->store.errors_total++;
    snprintf(m->store.error, sizeof m->store.error, "%s", error && *error ? error : "failed");
    pthread_mutex_unlock(&m->store_mu);
}

void vx__metrics_store_ok(vx__metrics *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->store_mu);
    m->store.up = true;
    m->store.since_ms = 0;
    m->store.error[0] = '\0';
    pthread_mutex_unlock(&m->store_mu);
}

void vx__metrics_store_pending(vx__metrics *m, size_t cycles, size_t events,
                               unsigned long dropped_total)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->store_mu);
    m->store.pending_cycles = cycles;
    m->store.pending_events = events;
    m->store.dropped_events_total = dropped_total;
    pthread_mutex_unlock(&m->store_mu);
}

void vx__metrics_store_health(vx__metrics *m, vx__store_health *out)
{
    if (!m) {
        *out = (vx__store_health){.up = true};
        return;
    }
    pthread_mutex_lock(&m->store_mu);
    *out = m->store;
    pthread_mutex_unlock(&m->store_mu);
}

/* ---- rendering -------------------------------------------------------------------------- */

typedef struct obuf {
    char *s;
    size_t len, cap;
    bool oom;
} obuf;

static void ob_printf(obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ob_printf(obuf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (o->oom || n < 0)
        return;
    char *s = vx__grow(o->s, &o->cap, o->len + (size_t)n + 1, 1, 4096);
    if (!s) {
        o->oom = true;
        return;
    }
    o->s = s;
    va_start(ap, fmt);
    vsnprintf(o->s + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* Integers (counts, serials) exactly; anything else with enough digits to round-trip well. */
static void number(char *out, size_t cap, double v)
{
    if (isinf(v))
        snprintf(out, cap, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        snprintf(out, cap, "NaN");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, cap, "%.0f", v);
    else
        snprintf(out, cap, "%.9g", v);
}

/* The labels of a series or histogram between the braces: the domain's, then its own. */
static void ob_labels(obuf *o, const domain_metrics *d, const char *rest)
{
    ob_printf(o, "%s%s%s", d->label, d->label[0] && rest[0] ? "," : "", rest);
}

static void render_series(obuf *o, const char *name, const domain_metrics *d, const series *s)
{
    char v[64];
    number(v, sizeof v, s->value);
    ob_printf(o, "%s{", name);
    ob_labels(o, d, s->rest);
    ob_printf(o, "} %s\n", v);
}

static void render_family(obuf *o, const vx__metrics *m, unsigned family)
{
    const family_def *def = &defs[family];
    ob_printf(o, "# HELP %s %s\n# TYPE %s %s\n", def->name, def->help, def->name, def->type);
    for (size_t k = 0; k <= m->domain_count; k++) {
        const domain_metrics *d = k == 0 ? &m->global : m->domains[k - 1];
        size_t end, i = family_range(d, family, &end);
        for (; i < end; i++)
            render_series(o, def->name, d, &d->series[i]);
    }
}

static void render_bucket(obuf *o, const char *name, const domain_metrics *d, const histo *h,
                          const char *le, uint64_t count)
{
    ob_printf(o, "%s_bucket{", name);
    ob_labels(o, d, h->rest);
    ob_printf(o, ",le=\"%s\"} %llu\n", le, (unsigned long long)count);
}

static void render_histo(obuf *o, const char *name, const double *bounds, size_t n,
                         const domain_metrics *d, const histo *h)
{
    char v[64];
    uint64_t cum = 0;
    for (size_t b = 0; b < n; b++) {
        cum += h->buckets[b];
        snprintf(v, sizeof v, "%g", bounds[b]);
        render_bucket(o, name, d, h, v, cum);
    }
    render_bucket(o, name, d, h, "+Inf", h->count);
    number(v, sizeof v, h->sum);
    ob_printf(o, "%s_sum{", name);
    ob_labels(o, d, h->rest);
    ob_printf(o, "} %s\n%s_count{", v, name);
    ob_labels(o, d, h->rest);
    ob_printf(o, "} %llu\n", (unsigned long long)h->count);
}

static void render_histos(obuf *o, const vx__metrics *m, unsigned kind)
{
    const char *name = kind == H_RTT ? RTT_NAME : PROP_NAME;
    ob_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, kind == H_RTT ? RTT_HELP : PROP_HELP,
              name);
    for (size_t k = 0; k < m->domain_count; k++) {
        const domain_metrics *d = m->domains[k];
        for (size_t i = 0; i < d->hcount; i++) {
            if (d->histos[i].kind != kind)
                continue;
            if (kind == H_RTT)
                render_histo(o, name, rtt_bounds, RTT_BUCKETS, d, &d->histos[i]);
            else
                render_histo(o, name, prop_bounds, PROP_BUCKETS, d, &d->histos[i]);
        }
    }
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every type of every domain that had a cycle, 0 when it never happened, so that rate() and
 * increase() see a type's first event; in label order, as the other families. */
static void render_events(obuf *o, const vx__metrics *m)
{
    const family_def *def = &defs[F_EVENTS];
    const char *types[VX__EV_TYPE_COUNT];
    char rest[256];
    for (int t = 0; t < VX__EV_TYPE_COUNT; t++)
        types[t] = vx__event_type_name((vx__event_type)t);
    qsort(types, VX__EV_TYPE_COUNT, sizeof types[0], cmp_cstr);
    ob_printf(o, "# HELP %s %s\n# TYPE %s %s\n", def->name, def->help, def->name, def->type);
    for (size_t k = 0; k < m->domain_count; k++) {
        const domain_metrics *d = m->domains[k];
        bool found;
        (void)series_find(d, F_CYCLES, "", &found);
        for (int t = 0; found && t < VX__EV_TYPE_COUNT; t++) {
            bool happened;
            snprintf(rest, sizeof rest, "type=\"%s\"", types[t]);
            size_t at = series_find(d, F_EVENTS, rest, &happened);
            series s = {.rest = rest, .value = happened ? d->series[at].value : 0};
            render_series(o, def->name, d, &s);
        }
    }
}

static void render_store(obuf *o, const vx__store_health *st)
{
    ob_printf(o,
              "# HELP voxdns_store_up Whether the last write to the store succeeded (1) or "
              "failed (0).\n# TYPE voxdns_store_up gauge\nvoxdns_store_up %d\n",
              st->up ? 1 : 0);
    ob_printf(o,
              "# HELP voxdns_store_errors_total Store operations of the daemon that failed.\n"
              "# TYPE voxdns_store_errors_total counter\nvoxdns_store_errors_total %lu\n",
              st->errors_total);
    ob_printf(o,
              "# HELP voxdns_store_pending_events Events alerted but not stored yet, kept in "
              "memory until the store takes them.\n# TYPE voxdns_store_pending_events gauge\n"
              "voxdns_store_pending_events %zu\n",
              st->pending_events);
    ob_printf(o,
              "# HELP voxdns_store_dropped_events_total Events that were alerted and logged "
              "but never stored (the in-memory queue was full).\n"
              "# TYPE voxdns_store_dropped_events_total counter\n"
              "voxdns_store_dropped_events_total %lu\n",
              st->dropped_events_total);
}

static int domain_cmp(const void *a, const void *b)
{
    return strcmp((*(const domain_metrics *const *)a)->label,
                  (*(const domain_metrics *const *)b)->label);
}

static void render_locked(vx__metrics *m, obuf *o)
{
    if (!m->domains_sorted && m->domain_count > 1)
        qsort(m->domains, m->domain_count, sizeof *m->domains, domain_cmp);
    m->domains_sorted = true;
    render_family(o, m, F_SERVER_UP);
    render_histos(o, m, H_RTT);
    render_histos(o, m, H_PROP);
    for (unsigned f = F_SOA_SERIAL; f < F_COUNT; f++) {
        if (f == F_EVENTS)
            render_events(o, m);
        else
            render_family(o, m, f);
    }
    vx__store_health st;
    vx__metrics_store_health(m, &st);
    render_store(o, &st);
}

char *vx__metrics_render(vx__metrics *m)
{
    obuf o = {0};
    if (!m)
        return NULL;
    pthread_mutex_lock(&m->mu);
    render_locked(m, &o);
    pthread_mutex_unlock(&m->mu);
    if (o.oom) {
        free(o.s);
        return NULL;
    }
    return o.s ? o.s : strdup("");
}
