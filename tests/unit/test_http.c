/*
 * tests/unit/test_http.c — the monitor's HTTP face end to end: a server on 127.0.0.1:0 over a
 * temporary SQLite store seeded through the store API (a domain with a snapshot whose NAPTR
 * carries markup, two events, one of them a record changed to <script>alert(1)</script>, an
 * open condition and RTT samples; a second domain without any cycle), fetched with libcurl:
 * every route with its status code and headers, the token rules of the write API, query
 * parameter checks, and the escaping of hostile DNS data in the events and the SIP chain. The
 * helpers (HTML escape, token comparison, RFC 3339) are tested directly.
 *
 * With VOXDNS_HTTP_SERVE=1 it only seeds and serves, printing "PORT n" on stdout, until stdin
 * closes: tests/system/test_dashboard.py drives a headless browser against it.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "check_fixture.h"
#include "http/http.h"
#include "http/http_impl.h"
#include "model/event.h"
#include "monitor/metrics.h"
#include "store/store.h"

#define TOKEN "s3cret-token"
#define HOSTILE "<script>alert(1)</script>"
#define HOSTILE_ESCAPED "&lt;script&gt;alert(1)&lt;/script&gt;"
#define HOUR_MS 3600000ull

/* ---- the seeded store -------------------------------------------------------------------- */

static const char *const NAPTR_LINES[] = {
    "example.com. 3600 IN NAPTR 10 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    "example.com. 3600 IN NAPTR 20 10 \"s\" \"SIP+D2T" HOSTILE "\" \"\" _sip._tcp.example.com.",
    NULL,
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static vx__snapshot *seed_snapshot(uint64_t now)
{
    const char **zone = fx_zone_edit(FX_ZONE, "example.com.", LDNS_RR_TYPE_NAPTR, NAPTR_LINES);
    vx__snapshot *s = fx_healthy_zone("generic", zone);
    fx_zone_free(zone);
    fx_kill(s, "198.51.100.1");
    s->started_ms = now - 60000;
    return s;
}

static void seed_events(vx__events *ev, uint64_t now)
{
    char *old_data[] = {"\"v=1 ok\""}, *new_data[] = {"\"" HOSTILE "\""};
    vx__event e = {
        .type = VX__EV_RECORD_CHANGED,
        .severity = VX__SEV_ERROR,
        .domain = "example.com",
        .server = "ns1.dns-a.net/192.0.2.1",
        .name = "_info.example.com.",
        .rrtype = LDNS_RR_TYPE_TXT,
        .old_data = old_data,
        .old_count = 1,
        .new_data = new_data,
        .new_count = 1,
        .old_ttl = 3600,
        .new_ttl = 3600,
        .message = "_info.example.com TXT changed on ns1.dns-a.net/192.0.2.1: <b>" HOSTILE "</b>",
        .first_seen_ms = now - 2 * HOUR_MS,
        .last_seen_ms = now - HOUR_MS,
    };
    assert_int_equal(vx__events_push(ev, &e), VX_OK);
    e = (vx__event){
        .type = VX__EV_NS_DOWN,
        .severity = VX__SEV_WARNING,
        .domain = "example.com",
        .server = "ns2.dns-b.org/198.51.100.1",
        .message = "ns2.dns-b.org/198.51.100.1 stopped answering",
        .first_seen_ms = now - HOUR_MS / 2,
        .last_seen_ms = now - 60000,
    };
    assert_int_equal(vx__events_push(ev, &e), VX_OK);
}

/* Every server every 20 minutes for 22 hours; ns2's IPv4 address stopped answering lately. */
static vx__store_rtt_sample *seed_samples(uint64_t now, size_t *n)
{
    static const char *const servers[] = {"ns1.dns-a.net/192.0.2.1", "ns1.dns-a.net/2001:db8:a::1",
                                          "ns2.dns-b.org/198.51.100.1",
                                          "ns2.dns-b.org/2001:db8:b::1"};
    size_t per = 66, k = 0;
    vx__store_rtt_sample *s = calloc(4 * per, sizeof *s);
    assert_non_null(s);
    for (size_t i = 0; i < per; i++)
        for (size_t j = 0; j < 4; j++) {
            double base = 8.0 + 6.0 * (double)j + (double)((i * 7 + j * 3) % 11);
            bool dead = j == 2 && i > per - 4;
            s[k++] = (vx__store_rtt_sample){servers[j], dead ? -1 : base,
                                            now - 22 * HOUR_MS + i * 20 * 60000};
        }
    *n = k;
    return s;
}

static void seed_conditions(vx__conditions *c, uint64_t now)
{
    vx__condition cond = {
        .key = "record|ns1.dns-a.net/192.0.2.1|_info.example.com.|TXT",
        .opened_by = VX__EV_RECORD_CHANGED,
        .first_seen_ms = now - 2 * HOUR_MS,
        .last_seen_ms = now - HOUR_MS,
        .detail = "{}",
    };
    assert_int_equal(vx__conditions_put(c, &cond), VX_OK);
}

/* Propagation measurements of two providers (one named with markup) for the charts. */
static void seed_propagation(vx__metrics *metrics, uint64_t now)
{
    static const struct {
        const char *provider, *server;
        double seconds;
        uint64_t ago_ms;
    } m[] = {{"dns-a.net", "ns1.dns-a.net/192.0.2.1", 0.4, 2 * HOUR_MS},
             {"dns-b.org", "ns2.dns-b.org/198.51.100.1", 2.5, 2 * HOUR_MS},
             {"dns-a.net", "ns1.dns-a.net/192.0.2.1", 1.2, HOUR_MS},
             {"dns-b.org", "ns2.dns-b.org/198.51.100.1", 48, HOUR_MS},
             {HOSTILE, "ns9.example/192.0.2.9", 7, 600000}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        vx__prop_sample p = {.domain = "example.com",
                             .serial = (uint32_t)(2024010101 + i),
                             .seconds = m[i].seconds,
                             .at_ms = now - m[i].ago_ms,
                             .notify = true};
        snprintf(p.provider, sizeof p.provider, "%s", m[i].provider);
        snprintf(p.server, sizeof p.server, "%s", m[i].server);
        assert_int_equal(vx__metrics_record_propagation(metrics, &p), VX_OK);
    }
}

static void seed_store(const char *url, vx__metrics *metrics)
{
    char err[256];
    vx__store *st = NULL;
    uint64_t now = now_ms();
    size_t n;
    assert_int_equal(vx__store_open(url, &st, err, sizeof err), VX_OK);
    vx__snapshot *snap = seed_snapshot(now);
    char *json = vx__snapshot_to_json(snap);
    assert_non_null(json);
    vx__events ev = {0};
    vx__conditions conds = {0};
    seed_events(&ev, now);
    seed_conditions(&conds, now);
    vx__store_rtt_sample *samples = seed_samples(now, &n);
    assert_int_equal(vx__store_set_baseline(st, "example.com", json, now - 3 * HOUR_MS), VX_OK);
    assert_int_equal(
        vx__store_commit_cycle(st, "example.com", json, now - 60000, &ev, &conds, samples, n, NULL),
        VX_OK);
    /* A domain with a baseline but no cycle yet. */
    assert_int_equal(vx__store_set_baseline(st, "quiet.example", json, now), VX_OK);
    /* A domain whose lists come from its summary (no snapshot is parsed for them). */
    vx__store_summary sum = {.state = "warning", .findings = {0, 1, 1, 0, 0}};
    assert_int_equal(vx__store_commit_cycle(st, "summarized.example", "{}", now - 30000, NULL, NULL,
                                            NULL, 0, &sum),
                     VX_OK);
    assert_int_equal(vx__metrics_record_cycle(metrics, "example.com", snap, NULL, &ev, 812), VX_OK);
    seed_propagation(metrics, now);
    vx__events_clear(&ev);
    vx__conditions_clear(&conds);
    free(samples);
    free(json);
    fx_free(snap);
    vx__store_close(st);
}

/* ---- a server per test group ------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char url[128];
    vx__metrics *metrics;
    vx__http *http;
    unsigned port;
} fixture;

static fixture *fixture_new(const char *token)
{
    char err[256];
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/voxdns-http-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->url, sizeof fx->url, "sqlite:%s/voxdns.db", fx->dir);
    fx->metrics = vx__metrics_new();
    seed_store(fx->url, fx->metrics);
    vx__http_opts o = {"127.0.0.1:0", token, fx->url, fx->metrics, NULL, NULL};
    int rc = vx__http_start(&o, &fx->http, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("vx__http_start: %s", err);
    fx->port = vx__http_port(fx->http);
    assert_true(fx->port > 0);
    return fx;
}

static void fixture_free(fixture *fx)
{
    char path[128];
    vx__http_stop(fx->http);
    vx__metrics_free(fx->metrics);
    static const char *const files[] = {"voxdns.db", "voxdns.db-wal", "voxdns.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, files[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
}

static int setup(void **state)
{
    *state = fixture_new(TOKEN);
    return 0;
}

static int teardown(void **state)
{
    fixture_free(*state);
    return 0;
}

/* ---- a client ---------------------------------------------------------------------------- */

typedef struct reply {
    long status;
    char *body, *headers;
    size_t len, hlen;
} reply;

static size_t append(char **buf, size_t *len, const char *data, size_t n)
{
    char *p = realloc(*buf, *len + n + 1);
    assert_non_null(p);
    memcpy(p + *len, data, n);
    *len += n;
    p[*len] = '\0';
    *buf = p;
    return n;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    reply *r = arg;
    return append(&r->body, &r->len, data, size * n);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    reply *r = arg;
    return append(&r->headers, &r->hlen, data, size * n);
}

static reply fetch(const fixture *fx, const char *method, const char *path, const char *auth)
{
    char url[512], hdr[256];
    reply r = {0};
    struct curl_slist *headers = NULL;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", fx->port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    else if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (auth) {
        snprintf(hdr, sizeof hdr, "Authorization: %s", auth);
        headers = curl_slist_append(headers, hdr);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (!r.body)
        append(&r.body, &r.len, "", 0);
    return r;
}

static void reply_free(reply *r)
{
    free(r->body);
    free(r->headers);
}

/* The value of a response header (case-insensitive name), copied into out; false if absent. */
static bool header(const reply *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncasecmp(p, name, n) != 0 || p[n] != ':')
            continue;
        const char *v = p + n + 1 + strspn(p + n + 1, " ");
        size_t len = strcspn(v, "\r\n");
        snprintf(out, cap, "%.*s", (int)len, v);
        return true;
    }
    return false;
}

static void assert_header(const reply *r, const char *name, const char *value)
{
    char got[512];
    if (!header(r, name, got, sizeof got))
        fail_msg("no header %s in\n%s", name, r->headers);
    assert_string_equal(got, value);
}

static reply get_ok(const fixture *fx, const char *path, const char *type)
{
    reply r = fetch(fx, "GET", path, NULL);
    if (r.status != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    assert_header(&r, "Content-Type", type);
    assert_header(&r, "Cache-Control", "no-store");
    return r;
}

static void assert_status(const fixture *fx, const char *method, const char *path, long status)
{
    reply r = fetch(fx, method, path, NULL);
    if (r.status != status)
        fail_msg("%s %s: %ld, want %ld (%s)", method, path, r.status, status, r.body);
    reply_free(&r);
}

static json_t *json_of(const reply *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %s", e.text, r->body);
    return j;
}

/* ---- machine routes ---------------------------------------------------------------------- */

static void test_healthz_and_metrics(void **state)
{
    fixture *fx = *state;
    reply r = get_ok(fx, "/healthz", "text/plain; charset=utf-8");
    assert_string_equal(r.body, "ok\n");
    reply_free(&r);
    r = get_ok(fx, "/metrics", "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(r.body, "# TYPE voxdns_server_up gauge\n"));
    assert_non_null(strstr(r.body,
                           "voxdns_server_up{domain=\"example.com\",server=\"ns1.dns-a.net\","
                           "address=\"192.0.2.1\",provider=\"dns-a.net\"} 1\n"));
    assert_non_null(strstr(r.body, "voxdns_events_total{domain=\"example.com\","
                                   "type=\"RECORD-CHANGED\"} 1\n"));
    reply_free(&r);
    r = fetch(fx, "HEAD", "/healthz", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    reply_free(&r);
}

static json_t *domain_entry(json_t *list, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "name")), name) == 0)
            return d;
    }
    fail_msg("no domain %s", name);
    return NULL;
}

static void test_api_domains(void **state)
{
    fixture *fx = *state;
    reply r = get_ok(fx, "/api/v1/domains", "application/json");
    json_t *j = json_of(&r), *list = json_object_get(j, "domains");
    assert_int_equal(json_array_size(list), 3);
    json_t *d = domain_entry(list, "example.com");
    /* An open RECORD-CHANGED condition makes the domain "error" whatever the findings. */
    assert_string_equal(json_string_value(json_object_get(d, "state")), "error");
    assert_true(json_is_string(json_object_get(d, "last_cycle")));
    assert_int_equal(json_integer_value(json_object_get(d, "open_events")), 1);
    json_t *f = json_object_get(d, "findings");
    assert_int_equal(json_object_size(f), 5);
    assert_true(json_integer_value(json_object_get(f, "error")) >= 1); /* the dead server */
    d = domain_entry(list, "quiet.example");
    assert_string_equal(json_string_value(json_object_get(d, "state")), "unknown");
    assert_true(json_is_null(json_object_get(d, "last_cycle")));
    d = domain_entry(list, "summarized.example");
    assert_string_equal(json_string_value(json_object_get(d, "state")), "warning");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "findings"), "warning")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(d, "open_events")), 0);
    assert_true(json_is_string(json_object_get(d, "last_cycle")));
    json_decref(j);
    reply_free(&r);
}

static size_t event_count(const fixture *fx, const char *path)
{
    reply r = get_ok(fx, path, "application/json");
    json_t *j = json_of(&r);
    size_t n = json_array_size(json_object_get(j, "events"));
    json_decref(j);
    reply_free(&r);
    return n;
}

static void test_api_events(void **state)
{
    fixture *fx = *state;
    reply r = get_ok(fx, "/api/v1/events", "application/json");
    json_t *j = json_of(&r), *ev = json_object_get(j, "events");
    assert_int_equal(json_array_size(ev), 2);
    json_t *first = json_array_get(ev, 0);
    assert_string_equal(json_string_value(json_object_get(first, "type")), "RECORD-CHANGED");
    assert_string_equal(json_string_value(json_array_get(json_object_get(first, "new"), 0)),
                        "\"" HOSTILE "\"");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events?since=%lld",
             (long long)json_integer_value(json_object_get(first, "id")));
    json_decref(j);
    reply_free(&r);
    assert_int_equal(event_count(fx, path), 1);
    assert_int_equal(event_count(fx, "/api/v1/events?domain=EXAMPLE.COM.&limit=1"), 1);
    assert_int_equal(event_count(fx, "/api/v1/events?since=2100-01-01T00:00:00Z"), 0);
    assert_int_equal(event_count(fx, "/api/v1/events?since=2000-01-01T00:00:00.5%2B02:00"), 2);
    assert_int_equal(event_count(fx, "/api/v1/events?domain=quiet.example"), 0);
}

static void test_api_events_bad_parameters(void **state)
{
    fixture *fx = *state;
    static const char *const bad[] = {
        "/api/v1/events?limit=0",
        "/api/v1/events?limit=abc",
        "/api/v1/events?limit=10001",
        "/api/v1/events?since=yesterday",
        "/api/v1/events?since=2024-13-01T00:00:00Z",
        "/api/v1/events?sinse=1",
        "/api/v1/events?limit=1&limit=2",
        "/api/v1/events?domain=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reply r = fetch(fx, "GET", bad[i], NULL);
        if (r.status != 400)
            fail_msg("%s: %ld", bad[i], r.status);
        assert_header(&r, "Content-Type", "application/json");
        assert_non_null(strstr(r.body, "\"error\""));
        reply_free(&r);
    }
    assert_status(fx, "GET", "/api/v1/events?domain=nowhere.example", 404);
}

static void test_api_snapshot(void **state)
{
    fixture *fx = *state;
    reply r = get_ok(fx, "/api/v1/domains/example.com/snapshot", "application/json");
    json_t *j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "domain")), "example.com.");
    json_decref(j);
    reply_free(&r);
    assert_status(fx, "GET", "/api/v1/domains/nowhere.example/snapshot", 404);
    assert_status(fx, "GET", "/api/v1/domains/quiet.example/snapshot", 404);
    assert_status(fx, "POST", "/api/v1/domains/example.com/snapshot", 405);
}

/* ---- the write API ----------------------------------------------------------------------- */

static void assert_post(const fixture *fx, const char *path, const char *auth, long status)
{
    reply r = fetch(fx, "POST", path, auth);
    if (r.status != status)
        fail_msg("POST %s (%s): %ld, want %ld: %s", path, auth ? auth : "-", r.status, status,
                 r.body);
    if (status == 401)
        assert_header(&r, "WWW-Authenticate", "Bearer realm=\"voxdns\"");
    reply_free(&r);
}

static void test_baseline_token_rules(void **state)
{
    fixture *fx = *state;
    const char *path = "/api/v1/domains/example.com/baseline";
    assert_post(fx, path, NULL, 401);
    assert_post(fx, path, "Bearer wrong", 401);
    assert_post(fx, path, "Bearer " TOKEN "x", 401);
    assert_post(fx, path, "Basic " TOKEN, 401);
    assert_post(fx, "/api/v1/domains/nowhere.example/baseline", NULL, 401);
    assert_post(fx, "/api/v1/domains/nowhere.example/baseline", "Bearer " TOKEN, 404);
    assert_post(fx, "/api/v1/domains/quiet.example/baseline", "Bearer " TOKEN, 404);

    reply r = fetch(fx, "GET", path, NULL);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow", "POST");
    reply_free(&r);

    uint64_t before = now_ms();
    r = fetch(fx, "POST", path, "bearer  " TOKEN " ");
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "domain")), "example.com");
    json_decref(j);
    reply_free(&r);

    /* The baseline is now the latest snapshot, accepted just now. */
    char err[256], *base = NULL, *latest = NULL;
    uint64_t accepted = 0;
    int64_t id;
    vx__store *st = NULL;
    assert_int_equal(vx__store_open(fx->url, &st, err, sizeof err), VX_OK);
    assert_int_equal(vx__store_get_baseline(st, "example.com", &base, &accepted), VX_OK);
    assert_int_equal(vx__store_latest_snapshot(st, "example.com", &latest, &id), VX_OK);
    assert_string_equal(base, latest);
    assert_true(accepted >= before);
    free(base);
    free(latest);
    vx__store_close(st);
}

static void test_writes_refused_without_token(void **state)
{
    (void)state;
    fixture *fx = fixture_new(NULL);
    assert_post(fx, "/api/v1/domains/example.com/baseline", NULL, 403);
    assert_post(fx, "/api/v1/domains/example.com/baseline", "Bearer " TOKEN, 403);
    assert_post(fx, "/api/v1/domains/example.com/baseline", "Bearer ", 403);
    fixture_free(fx);
}

static void test_routes_and_methods(void **state)
{
    fixture *fx = *state;
    assert_status(fx, "GET", "/nope", 404);
    assert_status(fx, "GET", "/api/v1/domains/", 404);
    assert_status(fx, "GET", "/api/v1/domains/example.com", 404);
    assert_status(fx, "GET", "/domains/", 404);
    assert_status(fx, "GET", "/domains/a/b", 404);
    assert_status(fx, "DELETE", "/nope", 404);
    reply r = fetch(fx, "POST", "/api/v1/domains", NULL);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow", "GET, HEAD");
    reply_free(&r);
    assert_status(fx, "PUT", "/metrics", 405);
    assert_status(fx, "DELETE", "/", 405);
    assert_status(fx, "POST", "/domains/example.com", 405);
}

/* ---- the dashboard ----------------------------------------------------------------------- */

static void assert_page(const reply *r)
{
    assert_header(r, "Content-Security-Policy",
                  "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    assert_header(r, "X-Content-Type-Options", "nosniff");
    for (const char *p = r->body; *p; p++) /* no script, in any case */
        assert_false(strncasecmp(p, "<script", 7) == 0);
    assert_null(strstr(r->body, "http://"));
    assert_null(strstr(r->body, "https://"));
}

static void test_dashboard_index(void **state)
{
    fixture *fx = *state;
    reply r = get_ok(fx, "/", "text/html; charset=utf-8");
    assert_page(&r);
    assert_non_null(strstr(r.body, "<a href=\"/domains/example.com\">example.com</a>"));
    assert_non_null(strstr(r.body, "<a href=\"/domains/quiet.example\">quiet.example</a>"));
    assert_non_null(strstr(r.body, "s-error\">error</span>"));
    assert_non_null(strstr(r.body, "no cycle yet"));
    reply_free(&r);
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_dashboard_domain(void **state)
{
    fixture *fx = *state;
    reply r = get_ok(fx, "/domains/example.com", "text/html; charset=utf-8");
    assert_page(&r);
    const char *events = strstr(r.body, "<h2>Events</h2>");
    const char *chain = strstr(r.body, "<h2>SIP chain</h2>");
    assert_non_null(events);
    assert_non_null(chain);
    /* In the events: the new TXT data and the message; in the chain: the NAPTR service. */
    assert_true(occurrences(events, HOSTILE_ESCAPED) >= 2);
    assert_non_null(strstr(events, "&quot;" HOSTILE_ESCAPED "&quot;"));
    assert_non_null(strstr(events, "&lt;b&gt;"));
    assert_non_null(strstr(chain, "SIP+D2T" HOSTILE_ESCAPED));
    /* One RTT chart per server, the chain diagram, newest event first. */
    assert_int_equal(occurrences(r.body, "aria-label=\"response time of "), 4);
    assert_non_null(strstr(chain, "<svg"));
    const char *down = strstr(events, "NS-DOWN"), *changed = strstr(events, "RECORD-CHANGED");
    assert_true(down && changed && down < changed);
    assert_non_null(strstr(r.body, "<h2>Current findings</h2>"));
    assert_non_null(strstr(r.body, "NS-UNREACHABLE"));
    /* Each server's provider, inferred from its NS name. */
    assert_non_null(strstr(r.body, "<th>provider</th>"));
    assert_non_null(strstr(r.body, "192.0.2.1</td><td>dns-a.net</td>"));
    /* One propagation chart per provider, a dot per measurement, the provider's markup as text. */
    assert_int_equal(occurrences(r.body, "aria-label=\"propagation time at "), 3);
    assert_non_null(strstr(r.body, "aria-label=\"propagation time at dns-b.org\""));
    assert_non_null(strstr(r.body, "aria-label=\"propagation time at " HOSTILE_ESCAPED "\""));
    assert_non_null(strstr(r.body, "2 measured &#183; median 25.250 s &#183; slowest 48.000 s "
                                   "(ns2.dns-b.org/198.51.100.1)"));
    const char *prop = strstr(r.body, "<h2>Propagation</h2>");
    assert_true(prop && prop < events);
    char *section = strndup(prop, (size_t)(events - prop));
    assert_int_equal(occurrences(section, "<circle class=\"pt\" cx="), 5);
    free(section);
    reply_free(&r);

    r = get_ok(fx, "/domains/quiet.example", "text/html; charset=utf-8");
    assert_page(&r);
    assert_non_null(strstr(r.body, "no cycle yet"));
    reply_free(&r);
    assert_status(fx, "GET", "/domains/nowhere.example", 404);
    assert_status(fx, "GET", "/domains/%3Cscript%3E", 404);
}

/* ---- start-up and helpers ---------------------------------------------------------------- */

static void test_listen_addresses(void **state)
{
    fixture *fx = *state;
    char err[256], busy[64];
    vx__http *h = NULL;
    static const char *const bad[] = {
        "nonsense", "127.0.0.1:99999", "127.0.0.1:", "[::1", "[::1]x", "1.2.3.4:5x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vx__http_opts o = {bad[i], NULL, fx->url, NULL, NULL, NULL};
        assert_int_equal(vx__http_start(&o, &h, err, sizeof err), VX_EINVAL);
        assert_null(h);
    }
    snprintf(busy, sizeof busy, "127.0.0.1:%u", fx->port);
    vx__http_opts o = {busy, NULL, fx->url, NULL, NULL, NULL};
    assert_int_equal(vx__http_start(&o, &h, err, sizeof err), VX_EIO);
    assert_non_null(strstr(err, "cannot listen"));
    o = (vx__http_opts){"127.0.0.1:0", NULL, "nosuchscheme:x", NULL, NULL, NULL};
    assert_int_equal(vx__http_start(&o, &h, err, sizeof err), VX_EIO);
    assert_non_null(strstr(err, "store"));
    o = (vx__http_opts){"127.0.0.1:0", NULL, fx->url, NULL, "/nonexistent/pfx2as", NULL};
    assert_int_equal(vx__http_start(&o, &h, err, sizeof err), VX_EIO);
    assert_non_null(strstr(err, "/nonexistent/pfx2as: No such file"));
    assert_null(h);
    o = (vx__http_opts){"[::1]:0", NULL, fx->url, NULL, NULL, NULL};
    if (vx__http_start(&o, &h, err, sizeof err) == VX_OK) { /* IPv6 may be off here */
        assert_true(vx__http_port(h) > 0);
        vx__http_stop(h);
    }
}

#define FD_SCAN 1024

static void open_fds(bool open[FD_SCAN])
{
    char path[32];
    for (int fd = 0; fd < FD_SCAN; fd++) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        open[fd] = access(path, F_OK) == 0;
    }
}

/* libmicrohttpd closes the listening socket it was given: no descriptor is left behind (the
 * fixture's server may close connections meanwhile, so only new descriptors count). One start
 * and stop comes first: SQLite keeps the descriptor of a connection closed while another one
 * in the process holds locks on the file, and reuses it at the next open. */
static void test_stop_releases_descriptors(void **state)
{
    fixture *fx = *state;
    char err[256];
    bool before[FD_SCAN], after[FD_SCAN];
    vx__http *h = NULL;
    for (int i = 0; i < 4; i++) {
        if (i == 1)
            open_fds(before);
        vx__http_opts o = {"127.0.0.1:0", TOKEN, fx->url, NULL, NULL, NULL};
        assert_int_equal(vx__http_start(&o, &h, err, sizeof err), VX_OK);
        vx__http_stop(h);
    }
    open_fds(after);
    for (int fd = 0; fd < FD_SCAN; fd++)
        if (after[fd] && !before[fd])
            fail_msg("descriptor %d left open", fd);
}

static void test_html_escape(void **state)
{
    (void)state;
    char *s = vx__html_escape("a&b<c>d\"e'f");
    assert_string_equal(s, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    free(s);
    s = vx__html_escape(HOSTILE);
    assert_string_equal(s, HOSTILE_ESCAPED);
    free(s);
}

static void test_token_and_time_helpers(void **state)
{
    (void)state;
    uint64_t ms;
    assert_true(vx__token_equal("abc", "abc"));
    assert_false(vx__token_equal("abc", "abd"));
    assert_false(vx__token_equal("abc", "ab"));
    assert_false(vx__token_equal("abc", "abcd"));
    assert_false(vx__token_equal("abc", ""));
    assert_int_equal(vx__parse_rfc3339("2024-01-01T00:00:00Z", &ms), VX_OK);
    assert_true(ms == 1704067200000ull);
    assert_int_equal(vx__parse_rfc3339("2024-01-01T02:00:00.250+02:00", &ms), VX_OK);
    assert_true(ms == 1704067200250ull);
    assert_int_equal(vx__parse_rfc3339("2024-01-01 00:00:00Z", &ms), VX_EINVAL);
    assert_int_equal(vx__parse_rfc3339("2024-01-01T00:00:00", &ms), VX_EINVAL);
    assert_int_equal(vx__parse_rfc3339("2024-01-01T00:00:00+2", &ms), VX_EINVAL);
}

/* ---- serving for the browser test -------------------------------------------------------- */

static int serve(void)
{
    fixture *fx = fixture_new(TOKEN);
    printf("PORT %u\n", fx->port);
    fflush(stdout);
    char buf[64];
    while (fread(buf, 1, sizeof buf, stdin) > 0)
        ; /* until the driver closes stdin */
    fixture_free(fx);
    return 0;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (getenv("VOXDNS_HTTP_SERVE") && strcmp(getenv("VOXDNS_HTTP_SERVE"), "1") == 0)
        return serve();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_and_metrics),
        cmocka_unit_test(test_api_domains),
        cmocka_unit_test(test_api_events),
        cmocka_unit_test(test_api_events_bad_parameters),
        cmocka_unit_test(test_api_snapshot),
        cmocka_unit_test(test_routes_and_methods),
        cmocka_unit_test(test_dashboard_index),
        cmocka_unit_test(test_dashboard_domain),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_stop_releases_descriptors),
        cmocka_unit_test(test_baseline_token_rules),
        cmocka_unit_test(test_writes_refused_without_token),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_token_and_time_helpers),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return failed;
}
