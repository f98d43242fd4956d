/*
 * tests/unit/test_metrics.c — the monitor's Prometheus metrics on hand-built snapshots
 * (check_fixture.h): every line of a scrape is valid text exposition format 0.0.4 (HELP and
 * TYPE before the samples of a family, label values escaped, numbers parse), liveness and
 * serial per server, RTT histograms whose buckets are cumulative and agree with _count and
 * _sum, findings by check and severity, events and queries counted by type and result,
 * gauges replaced and counters kept across cycles, and concurrent recording and rendering.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check_fixture.h"
#include "cert_fixture.h"
#include "model/event.h"
#include "monitor/metrics.h"

/* ---- a small parser of the exposition format --------------------------------------------- */

/* The line after p's, or NULL at the end. By hand: ASan's strchr reads the whole rest of the
 * text each time, which made scanning a scrape of many domains quadratic. */
static const char *next_line(const char *p)
{
    while (*p && *p != '\n')
        p++;
    return *p ? p + 1 : NULL;
}

/* The value of the sample whose name and label text match exactly, or NAN. */
static double sample(const char *text, const char *name, const char *labels)
{
    char head[2048];
    snprintf(head, sizeof head, "%s{%s} ", name, labels);
    for (const char *p = text; p && *p; p = next_line(p))
        if (strncmp(p, head, strlen(head)) == 0)
            return strtod(p + strlen(head), NULL);
    return NAN;
}

static bool present(double v)
{
    return !isnan(v);
}

/* Reads a label block "{a="x",b="y\""}" and returns the character after it, or NULL. */
static const char *label_block(const char *p)
{
    if (*p != '{')
        return p;
    for (p++; *p != '}';) {
        while ((*p >= 'a' && *p <= 'z') || *p == '_')
            p++;
        if (*p++ != '=' || *p++ != '"')
            return NULL;
        for (; *p != '"'; p++) {
            if (*p == '\n' || !*p)
                return NULL;
            if (*p == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
                p++;
            else if (*p == '\\')
                return NULL;
        }
        p++;
        if (*p == ',')
            p++;
        else if (*p != '}')
            return NULL;
    }
    return p + 1;
}

typedef struct declared {
    char name[64], type[16];
    bool help;
} declared;

static void check_sample(const char *line, const declared *d)
{
    size_t n = strlen(d->name);
    assert_true(d->name[0]);
    assert_memory_equal(line, d->name, n);
    const char *rest = line + n;
    if (strcmp(d->type, "histogram") == 0 && *rest == '_') {
        bool ok = strncmp(rest, "_bucket{", 8) == 0 || strncmp(rest, "_sum{", 5) == 0 ||
                  strncmp(rest, "_count{", 7) == 0;
        assert_true(ok);
        rest = strchr(rest, '{');
    }
    rest = label_block(rest);
    assert_non_null(rest);
    assert_int_equal(*rest, ' ');
    char *end;
    double v = strtod(rest + 1, &end);
    (void)v;
    assert_true(end > rest + 1 && (*end == '\n' || *end == '\0'));
}

/* Every line: "# HELP name text", "# TYPE name type" (after HELP), or a sample of the family
 * declared last. */
static void assert_valid_exposition(const char *text)
{
    declared d;
    memset(&d, 0, sizeof d);
    size_t families = 0;
    for (const char *p = text; *p;) {
        const char *nl = p;
        while (*nl && *nl != '\n')
            nl++;
        assert_int_equal(*nl, '\n'); /* the text ends with a line feed */
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(sscanf(line, "# HELP %63s", d.name), 1);
            d.help = true;
            d.type[0] = '\0';
            families++;
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[64];
            assert_int_equal(sscanf(line, "# TYPE %63s %15s", name, d.type), 2);
            assert_string_equal(name, d.name);
            assert_true(d.help);
        } else {
            assert_true(d.type[0]);
            check_sample(line, &d);
        }
        p = nl + 1;
    }
    assert_int_equal(families, 18);
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void findings(vx__findings *f)
{
    memset(f, 0, sizeof *f);
    vx__finding_add(f, "NS-SLOW", "one");
    vx__finding_add(f, "NS-SLOW", "two");
    vx__finding_add(f, "TTL-TOO-SHORT", "three");
    f->items[2].severity = VX__SEV_WARNING;
    f->items[0].severity = f->items[1].severity = VX__SEV_NOTICE;
}

static void events(vx__events *list, vx__event_type type, size_t n)
{
    vx__event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.domain = "example.com";
    for (size_t i = 0; i < n; i++)
        assert_int_equal(vx__events_push(list, &e), VX_OK);
}

#define SRV_LABELS(addr)                                                                           \
    "domain=\"example.com\",server=\"ns1.dns-a.net\",address=\"" addr "\",provider=\"dns-a.net\""

static char *one_cycle(vx__metrics *m)
{
    vx__snapshot *s = fx_healthy();
    fx_kill(s, "198.51.100.1");
    vx__findings f;
    vx__events ev = {0};
    findings(&f);
    events(&ev, VX__EV_NS_DOWN, 2);
    assert_int_equal(vx__metrics_record_cycle(m, "example.com.", s, &f, &ev, 1234.5), VX_OK);
    vx__findings_clear(&f);
    vx__events_clear(&ev);
    fx_free(s);
    char *text = vx__metrics_render(m);
    assert_non_null(text);
    return text;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_empty_scrape_declares_every_family(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_non_null(strstr(text, "# TYPE voxdns_server_rtt_seconds histogram\n"));
    assert_non_null(strstr(text, "# TYPE voxdns_events_total counter\n"));
    assert_non_null(strstr(text, "# TYPE voxdns_server_up gauge\n"));
    free(text);
    vx__metrics_free(m);
}

/* The zone watch's transfers count by provider and by what came (axfr, ixfr). */
static void test_zone_transfers(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    assert_int_equal(vx__metrics_zone_transfer(m, "example.com.", "dns-a.net", false), VX_OK);
    assert_int_equal(vx__metrics_zone_transfer(m, "example.com", "dns-a.net", true), VX_OK);
    assert_int_equal(vx__metrics_zone_transfer(m, "example.com", "dns-a.net", true), VX_OK);
    assert_int_equal(vx__metrics_zone_transfer(m, NULL, "dns-a.net", true), VX_EINVAL);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_true(sample(text, "voxdns_zone_transfers_total",
                       "domain=\"example.com\",provider=\"dns-a.net\",kind=\"axfr\"") == 1);
    assert_true(sample(text, "voxdns_zone_transfers_total",
                       "domain=\"example.com\",provider=\"dns-a.net\",kind=\"ixfr\"") == 2);
    free(text);
    vx__metrics_free(m);
}

/* A sample without labels: "name value". */
static double bare_sample(const char *text, const char *name)
{
    char head[128];
    snprintf(head, sizeof head, "\n%s ", name);
    const char *p = strstr(text, head);
    return p ? strtod(p + strlen(head), NULL) : NAN;
}

/* The store's health: up at start, down with the reason and a count per failure, the pending
 * events, up again at the next write. */
static void test_store_health(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    vx__store_health h;
    char *text = vx__metrics_render(m);
    assert_true(bare_sample(text, "voxdns_store_up") == 1);
    assert_true(bare_sample(text, "voxdns_store_errors_total") == 0);
    free(text);
    vx__metrics_store_failed(m, "sqlite: disk I/O error (SQLITE_IOERR_WRITE)", 1000);
    vx__metrics_store_failed(m, "sqlite: database or disk is full (SQLITE_FULL)", 2000);
    vx__metrics_store_pending(m, 2, 3, 1);
    vx__metrics_store_health(m, &h);
    assert_false(h.up);
    assert_int_equal(h.since_ms, 1000);
    assert_string_equal(h.error, "sqlite: database or disk is full (SQLITE_FULL)");
    text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_true(bare_sample(text, "voxdns_store_up") == 0);
    assert_true(bare_sample(text, "voxdns_store_errors_total") == 2);
    assert_true(bare_sample(text, "voxdns_store_pending_events") == 3);
    assert_true(bare_sample(text, "voxdns_store_dropped_events_total") == 1);
    free(text);
    vx__metrics_store_ok(m);
    vx__metrics_store_pending(m, 0, 0, 1);
    vx__metrics_store_health(m, &h);
    assert_true(h.up);
    assert_string_equal(h.error, "");
    text = vx__metrics_render(m);
    assert_true(bare_sample(text, "voxdns_store_up") == 1);
    assert_true(bare_sample(text, "voxdns_store_errors_total") == 2);
    free(text);
    vx__metrics_free(m);
}

static void test_cycle_servers_serial_findings(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    char *text = one_cycle(m);
    assert_valid_exposition(text);
    assert_true(sample(text, "voxdns_server_up", SRV_LABELS("192.0.2.1")) == 1);
    assert_true(sample(text, "voxdns_server_up",
                       "domain=\"example.com\",server=\"ns2.dns-b.org\",address=\"198.51.100.1\","
                       "provider=\"dns-b.org\"") == 0);
    assert_true(sample(text, "voxdns_soa_serial", SRV_LABELS("2001:db8:a::1")) == 2024010101.0);
    /* A dead server has no serial to report. */
    assert_false(present(sample(text, "voxdns_soa_serial",
                                "domain=\"example.com\",server=\"ns2.dns-b.org\","
                                "address=\"198.51.100.1\",provider=\"dns-b.org\"")));
    assert_true(sample(text, "voxdns_findings",
                       "domain=\"example.com\",check=\"NS-SLOW\",severity=\"notice\"") == 2);
    assert_true(sample(text, "voxdns_findings",
                       "domain=\"example.com\",check=\"TTL-TOO-SHORT\",severity=\"warning\"") == 1);
    assert_true(sample(text, "voxdns_cycle_duration_seconds", "domain=\"example.com\"") == 1.2345);
    assert_true(sample(text, "voxdns_cycles_total", "domain=\"example.com\"") == 1);
    free(text);
    vx__metrics_free(m);
}

static void test_events_and_queries(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    char *text = one_cycle(m);
    assert_true(sample(text, "voxdns_events_total", "domain=\"example.com\",type=\"NS-DOWN\"") ==
                2);
    /* Every type is present from the first cycle on, at 0. */
    assert_true(
        sample(text, "voxdns_events_total", "domain=\"example.com\",type=\"RECORD-CHANGED\"") == 0);
    /* by type and result, not by name: 3 live servers' SOA over UDP, TCP and without EDNS */
    assert_true(sample(text, "voxdns_queries_total",
                       "domain=\"example.com\",qtype=\"SOA\",result=\"ok\"") == 9);
    assert_true(sample(text, "voxdns_queries_total",
                       "domain=\"example.com\",qtype=\"SOA\",result=\"timeout\"") == 1);
    assert_true(sample(text, "voxdns_queries_total",
                       "domain=\"example.com\",qtype=\"SOA\",result=\"skipped\"") == 2);
    assert_true(sample(text, "voxdns_queries_total",
                       "domain=\"example.com\",qtype=\"TXT\",result=\"refused\"") == 3);
    assert_null(strstr(text, "qname="));
    free(text);
    vx__metrics_free(m);
}

/* A quiet cycle: counters, RTT and duration move; the gauges stay as the full cycle set them. */
static void test_quiet_cycle_keeps_gauges(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    char *first = one_cycle(m);
    double before = sample(first, "voxdns_server_rtt_seconds_count", SRV_LABELS("192.0.2.1"));
    free(first);
    struct sockaddr_storage a1;
    fx_addr("192.0.2.1", &a1);
    vx__metrics_answer ans[] = {
        {"ns1.dns-a.net.", (struct sockaddr *)&a1, "example.com.", 6, true, VX_OK, 0, 3.0},
        {"ns1.dns-a.net.", (struct sockaddr *)&a1, "example.com.", 35, true, VX_OK, 0, 4.0},
        {"ns1.dns-a.net.", (struct sockaddr *)&a1, "ns1.dns-a.net.", 1, false, VX_OK, 0, 9.0},
    };
    assert_int_equal(vx__metrics_record_quiet(m, "example.com.", ans, 3, 20.0), VX_OK);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_true(sample(text, "voxdns_cycles_total", "domain=\"example.com\"") == 2);
    assert_true(sample(text, "voxdns_cycle_duration_seconds", "domain=\"example.com\"") == 0.02);
    assert_true(sample(text, "voxdns_server_up", SRV_LABELS("192.0.2.1")) == 1);
    assert_true(sample(text, "voxdns_soa_serial", SRV_LABELS("2001:db8:a::1")) == 2024010101.0);
    assert_true(sample(text, "voxdns_findings",
                       "domain=\"example.com\",check=\"NS-SLOW\",severity=\"notice\"") == 2);
    assert_true(sample(text, "voxdns_events_total", "domain=\"example.com\",type=\"NS-DOWN\"") ==
                2);
    /* The quiet answers' RTTs join the series the full cycle labelled with the provider. */
    double after = sample(text, "voxdns_server_rtt_seconds_count", SRV_LABELS("192.0.2.1"));
    assert_true(present(before) && after == before + 2); /* the two DATA answers */
    assert_null(strstr(text, "address=\"192.0.2.1\",provider=\"\""));
    assert_true(sample(text, "voxdns_queries_total",
                       "domain=\"example.com\",qtype=\"NAPTR\",result=\"ok\"") ==
                4); /* 3 from the full cycle, 1 quiet */
    assert_true(sample(text, "voxdns_queries_total",
                       "domain=\"example.com\",qtype=\"A\",result=\"ok\"") >= 1);
    free(text);
    assert_int_equal(vx__metrics_record_quiet(NULL, "example.com.", ans, 3, 1), VX_EINVAL);
    vx__metrics_free(m);
}

/* ---- SIP endpoints ----------------------------------------------------------------------------
 */

#define EP_LABELS(addr, tr)                                                                        \
    "domain=\"example.com\",target=\"sbc1.example.com\",address=\"" addr "\",transport=\"" tr "\""

static vx__endpoint_obs ep(const char *addr, unsigned port, vx__ep_transport t, int status,
                           double rtt_ms)
{
    vx__endpoint_obs e = {.host = "sbc1.example.com.",
                          .transport = t,
                          .status = status,
                          .rtt_ms = rtt_ms,
                          .code = status == VX_OK ? 200 : 0};
    socklen_t len;
    assert_int_equal(vx__addr_parse(addr, (uint16_t)port, &e.addr, &len), VX_OK);
    return e;
}

/* A full cycle sets the three endpoint gauges per tuple from the snapshot (RTT only when it
 * answered, expiry only for a TLS leaf); a quiet cycle's pings replace them. */
static void test_sip_endpoints(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    vx__snapshot *s = fx_healthy();
    char *leaf = cf_b64_at("sbc1.example.com", "URI:sip:example.com", 1700000000, 1800000000);
    char *chain[1] = {leaf};
    vx__endpoint_obs e[3] = {ep("192.0.2.10", 5060, VX__EP_UDP, VX_OK, 12.5),
                             ep("192.0.2.10", 5060, VX__EP_TCP, VX_ETIMEDOUT, -1),
                             ep("2001:db8::10", 5061, VX__EP_TLS, VX_OK, 30.0)};
    e[2].tls_ok = e[2].connected = true;
    e[2].chain = chain;
    e[2].chain_count = 1;
    s->endpoints_probed = true;
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(vx__snapshot_add_endpoint(s, &e[i]), VX_OK);
    assert_int_equal(vx__metrics_record_cycle(m, "example.com.", s, NULL, NULL, 10.0), VX_OK);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_true(sample(text, "voxdns_sip_target_up", EP_LABELS("192.0.2.10:5060", "udp")) == 1);
    assert_true(sample(text, "voxdns_sip_target_up", EP_LABELS("192.0.2.10:5060", "tcp")) == 0);
    assert_true(sample(text, "voxdns_sip_target_up", EP_LABELS("[2001:db8::10]:5061", "tls")) == 1);
    assert_true(sample(text, "voxdns_sip_options_rtt_seconds",
                       EP_LABELS("192.0.2.10:5060", "udp")) == 0.0125);
    assert_false(present(
        sample(text, "voxdns_sip_options_rtt_seconds", EP_LABELS("192.0.2.10:5060", "tcp"))));
    assert_true(sample(text, "voxdns_tls_cert_not_after_seconds",
                       EP_LABELS("[2001:db8::10]:5061", "tls")) == 1800000000.0);
    assert_false(present(
        sample(text, "voxdns_tls_cert_not_after_seconds", EP_LABELS("192.0.2.10:5060", "udp"))));
    free(text);
    e[0].status = VX_ETIMEDOUT;
    assert_int_equal(vx__metrics_record_endpoints(m, "example.com.", e, 1), VX_OK);
    text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_true(sample(text, "voxdns_sip_target_up", EP_LABELS("192.0.2.10:5060", "udp")) == 0);
    assert_false(present(
        sample(text, "voxdns_sip_options_rtt_seconds", EP_LABELS("192.0.2.10:5060", "udp"))));
    assert_false(present(sample(text, "voxdns_tls_cert_not_after_seconds",
                                EP_LABELS("[2001:db8::10]:5061", "tls"))));
    assert_true(sample(text, "voxdns_server_up", SRV_LABELS("192.0.2.1")) == 1);
    free(text);
    assert_int_equal(vx__metrics_record_endpoints(m, "example.com.", NULL, 1), VX_EINVAL);
    free(leaf);
    fx_free(s);
    vx__metrics_free(m);
}

static void test_query_results_map_every_status(void **state)
{
    (void)state;
    static const int status[] = {VX_OK, VX_ETIMEDOUT, VX_EREFUSED, VX_ECANCELED, VX_ENETWORK};
    static const char *const result[] = {"ok", "timeout", "refused", "skipped", "error"};
    vx__metrics *m = vx__metrics_new();
    vx__snapshot *s = fx_new(FX_D, "generic");
    for (size_t i = 0; i < 5; i++)
        fx_obs(s, VX__PROBE_DATA, "ns1.dns-a.net.", "192.0.2.1", VX__UDP, "x.example.com.",
               LDNS_RR_TYPE_A)
            ->status = status[i];
    assert_int_equal(vx__metrics_record_cycle(m, "example.com", s, NULL, NULL, 1), VX_OK);
    char *text = vx__metrics_render(m);
    for (size_t i = 0; i < 5; i++) {
        char lbl[256];
        snprintf(lbl, sizeof lbl, "domain=\"example.com\",qtype=\"A\",result=\"%s\"", result[i]);
        assert_true(sample(text, "voxdns_queries_total", lbl) == 1);
    }
    free(text);
    fx_free(s);
    vx__metrics_free(m);
}

/* Buckets never decrease, +Inf equals _count, and _sum is the sum of the answered RTTs. */
static void assert_histogram(const char *text, const char *labels, uint64_t count, double sum)
{
    static const char *const le[] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                     "0.25",  "0.5",    "1",     "2.5",  "5",     "+Inf"};
    char lbl[512];
    double prev = 0;
    for (size_t i = 0; i < sizeof le / sizeof le[0]; i++) {
        snprintf(lbl, sizeof lbl, "%s,le=\"%s\"", labels, le[i]);
        double v = sample(text, "voxdns_server_rtt_seconds_bucket", lbl);
        assert_true(present(v));
        assert_true(v >= prev);
        prev = v;
    }
    assert_true(prev == (double)count);
    assert_true(sample(text, "voxdns_server_rtt_seconds_count", labels) == (double)count);
    assert_true(fabs(sample(text, "voxdns_server_rtt_seconds_sum", labels) - sum) < 1e-9);
}

static void test_histogram_consistent(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    vx__snapshot *s = fx_new(FX_D, "generic");
    fx_server(s, "ns1.dns-a.net.", "192.0.2.1");
    static const double rtts[] = {0.5, 3, 20, 20, 700, 9000};
    double sum = 0;
    for (size_t i = 0; i < 6; i++) {
        fx_obs(s, VX__PROBE_DATA, "ns1.dns-a.net.", "192.0.2.1", VX__UDP, "a.example.com.",
               LDNS_RR_TYPE_A)
            ->rtt_ms = rtts[i];
        sum += rtts[i] / 1000.0;
    }
    /* Unanswered questions are not latency samples. */
    fx_obs(s, VX__PROBE_DATA, "ns1.dns-a.net.", "192.0.2.1", VX__UDP, "b.example.com.",
           LDNS_RR_TYPE_A)
        ->status = VX_ETIMEDOUT;
    assert_int_equal(vx__metrics_record_cycle(m, "example.com", s, NULL, NULL, 1), VX_OK);
    assert_int_equal(vx__metrics_record_cycle(m, "example.com", s, NULL, NULL, 1), VX_OK);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_histogram(text, SRV_LABELS("192.0.2.1"), 12, 2 * sum);
    char lbl[512];
    snprintf(lbl, sizeof lbl, "%s,le=\"0.001\"", SRV_LABELS("192.0.2.1"));
    assert_true(sample(text, "voxdns_server_rtt_seconds_bucket", lbl) == 2);
    snprintf(lbl, sizeof lbl, "%s,le=\"0.025\"", SRV_LABELS("192.0.2.1"));
    assert_true(sample(text, "voxdns_server_rtt_seconds_bucket", lbl) == 8);
    snprintf(lbl, sizeof lbl, "%s,le=\"5\"", SRV_LABELS("192.0.2.1"));
    assert_true(sample(text, "voxdns_server_rtt_seconds_bucket", lbl) == 10);
    free(text);
    fx_free(s);
    vx__metrics_free(m);
}

/* voxdns_propagation_seconds: its own buckets (1 s .. 30 min), one series per domain, provider
 * and server, and the kept samples for the dashboard, oldest first, by domain. */
static void test_propagation_histogram(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    static const double secs[] = {0.2, 1.0, 4, 45, 3600};
    for (size_t i = 0; i < 5; i++) {
        vx__prop_sample s = {.domain = "example.com",
                             .provider = "dns-a.net",
                             .server = "ns1.dns-a.net/192.0.2.1",
                             .serial = 7,
                             .seconds = secs[i],
                             .at_ms = 1000 + i,
                             .notify = true};
        assert_int_equal(vx__metrics_record_propagation(m, &s), VX_OK);
    }
    vx__prop_sample other = {
        .domain = "example.org", .provider = "b", .server = "x/192.0.2.9", .seconds = 3};
    assert_int_equal(vx__metrics_record_propagation(m, &other), VX_OK);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_non_null(strstr(text, "# TYPE voxdns_propagation_seconds histogram\n"));
#define PL "domain=\"example.com\",provider=\"dns-a.net\",server=\"ns1.dns-a.net/192.0.2.1\""
    static const struct {
        const char *le;
        double n;
    } want[] = {{"1", 2}, {"2", 2}, {"5", 3}, {"30", 3}, {"60", 4}, {"1800", 4}, {"+Inf", 5}};
    char lbl[512];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(lbl, sizeof lbl, PL ",le=\"%s\"", want[i].le);
        assert_true(sample(text, "voxdns_propagation_seconds_bucket", lbl) == want[i].n);
    }
    assert_true(sample(text, "voxdns_propagation_seconds_count", PL) == 5);
    assert_true(fabs(sample(text, "voxdns_propagation_seconds_sum", PL) - 3650.2) < 1e-9);
#undef PL
    free(text);
    vx__prop_sample got[8];
    assert_int_equal(vx__metrics_propagation_samples(m, "example.com", got, 8), 5);
    assert_true(got[0].seconds == 0.2 && got[4].seconds == 3600);
    assert_int_equal(vx__metrics_propagation_samples(m, NULL, got, 8), 6);
    assert_int_equal(vx__metrics_propagation_samples(m, "example.com", got, 2), 2);
    vx__metrics_free(m);
}

static void test_labels_escaped(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    vx__snapshot *s = fx_new("we\"ird\\x\nname.", "generic");
    fx_obs(s, VX__PROBE_DATA, "ns1.dns-a.net.", "192.0.2.1", VX__UDP, "q\"\\\n.", LDNS_RR_TYPE_A);
    assert_int_equal(vx__metrics_record_cycle(m, "we\"ird\\x\nname", s, NULL, NULL, 1), VX_OK);
    assert_int_equal(vx__metrics_record_resolver(m, "office \"main\"", 1), VX_OK);
    assert_int_equal(vx__metrics_record_resolver(m, "10.0.0.1", 0), VX_OK);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_non_null(strstr(text, "voxdns_cycles_total{domain=\"we\\\"ird\\\\x\\nname\"} 1\n"));
    assert_non_null(strstr(text, "voxdns_resolver_up{resolver=\"office \\\"main\\\"\"} 1\n"));
    assert_non_null(strstr(text, "voxdns_resolver_up{resolver=\"10.0.0.1\"} 0\n"));
    free(text);
    fx_free(s);
    vx__metrics_free(m);
}

static void test_gauges_replaced_counters_kept(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    free(one_cycle(m));
    vx__snapshot *s = fx_new(FX_D, "generic");
    fx_server(s, "ns9.other.net.", "203.0.113.9");
    assert_int_equal(vx__metrics_record_cycle(m, "example.com", s, NULL, NULL, 500), VX_OK);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_false(present(sample(text, "voxdns_server_up", SRV_LABELS("192.0.2.1"))));
    assert_true(sample(text, "voxdns_server_up",
                       "domain=\"example.com\",server=\"ns9.other.net\","
                       "address=\"203.0.113.9\",provider=\"other.net\"") == 0);
    assert_null(strstr(text, "voxdns_findings{"));
    assert_true(sample(text, "voxdns_cycles_total", "domain=\"example.com\"") == 2);
    assert_true(sample(text, "voxdns_cycle_duration_seconds", "domain=\"example.com\"") == 0.5);
    assert_true(sample(text, "voxdns_events_total", "domain=\"example.com\",type=\"NS-DOWN\"") ==
                2);
    /* The histogram of a server no longer asked is a counter: it stays. */
    assert_true(present(sample(text, "voxdns_server_rtt_seconds_count", SRV_LABELS("192.0.2.1"))));
    free(text);
    fx_free(s);
    vx__metrics_free(m);
}

/* The label value of key in the line's label block ("" when absent). */
static void label_value(const char *line, const char *key, char *out, size_t cap)
{
    char head[64], text[4096];
    const char *nl = next_line(line);
    snprintf(head, sizeof head, "%s=\"", key);
    snprintf(text, sizeof text, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
    const char *p = strstr(text, head);
    out[0] = '\0';
    if (!p)
        return;
    p += strlen(head);
    size_t n = strcspn(p, "\"");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

/* Every sample line of name in the text has its domain label no smaller than the one before. */
static size_t assert_domains_in_order(const char *text, const char *name)
{
    char prev[256] = "", cur[256], head[128];
    size_t lines = 0;
    snprintf(head, sizeof head, "%s{", name);
    for (const char *p = text; p && *p; p = next_line(p)) {
        if (strncmp(p, head, strlen(head)) != 0)
            continue;
        label_value(p, "domain", cur, sizeof cur);
        assert_true(strcmp(prev, cur) <= 0);
        snprintf(prev, sizeof prev, "%s", cur);
        lines++;
    }
    return lines;
}

#define MANY 600

/* Domains recorded in a scrambled order are rendered in label order; a domain whose servers
 * changed drops its old series while the domains still using the same server labels (their
 * text is shared) keep theirs intact. */
static void test_many_domains_out_of_order(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    vx__snapshot *s = fx_healthy(), *other = fx_new(FX_D, "generic");
    fx_server(other, "ns9.other.net.", "203.0.113.9");
    char name[64], lbl[256];
    for (unsigned k = 0; k < MANY; k++) {
        snprintf(name, sizeof name, "d%04u.example.", (k * 367u) % MANY); /* 367 is prime */
        assert_int_equal(vx__metrics_record_cycle(m, name, s, NULL, NULL, k), VX_OK);
    }
    for (unsigned k = 0; k < MANY; k += 2) {
        snprintf(name, sizeof name, "d%04u.example.", k);
        assert_int_equal(vx__metrics_record_cycle(m, name, other, NULL, NULL, 1), VX_OK);
    }
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_int_equal(assert_domains_in_order(text, "voxdns_cycles_total"), MANY);
    assert_true(assert_domains_in_order(text, "voxdns_server_up") > MANY);
    assert_true(assert_domains_in_order(text, "voxdns_server_rtt_seconds_count") > MANY);
    assert_domains_in_order(text, "voxdns_events_total");
    for (unsigned k = 0; k < MANY; k += k % 2 ? 37 : 1) { /* pairs of an even and an odd */
        snprintf(lbl, sizeof lbl,
                 "domain=\"d%04u.example\",server=\"ns1.dns-a.net\",address=\"192.0.2.1\","
                 "provider=\"dns-a.net\"",
                 k);
        if (k % 2)
            assert_true(sample(text, "voxdns_server_up", lbl) == 1);
        else
            assert_false(present(sample(text, "voxdns_server_up", lbl)));
        snprintf(lbl, sizeof lbl,
                 "domain=\"d%04u.example\",server=\"ns9.other.net\",address=\"203.0.113.9\","
                 "provider=\"other.net\"",
                 k);
        if (k % 2)
            assert_false(present(sample(text, "voxdns_server_up", lbl)));
        else
            assert_true(sample(text, "voxdns_server_up", lbl) == 0);
        snprintf(lbl, sizeof lbl, "domain=\"d%04u.example\"", k);
        assert_true(sample(text, "voxdns_cycles_total", lbl) == (k % 2 ? 1 : 2));
    }
    free(text);
    fx_free(s);
    fx_free(other);
    vx__metrics_free(m);
}

static void *recorder(void *arg)
{
    vx__metrics *m = arg;
    vx__snapshot *s = fx_healthy();
    for (int i = 0; i < 50; i++)
        assert_int_equal(
            vx__metrics_record_cycle(m, i % 2 ? "a.example" : "b.example", s, NULL, NULL, i),
            VX_OK);
    fx_free(s);
    return NULL;
}

static void test_concurrent_record_and_render(void **state)
{
    (void)state;
    vx__metrics *m = vx__metrics_new();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, recorder, m), 0);
    for (int i = 0; i < 50; i++) {
        char *text = vx__metrics_render(m);
        assert_non_null(text);
        free(text);
    }
    pthread_join(t, NULL);
    char *text = vx__metrics_render(m);
    assert_valid_exposition(text);
    assert_true(sample(text, "voxdns_cycles_total", "domain=\"a.example\"") == 25);
    free(text);
    vx__metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_scrape_declares_every_family),
        cmocka_unit_test(test_cycle_servers_serial_findings),
        cmocka_unit_test(test_events_and_queries),
        cmocka_unit_test(test_quiet_cycle_keeps_gauges),
        cmocka_unit_test(test_query_results_map_every_status),
        cmocka_unit_test(test_histogram_consistent),
        cmocka_unit_test(test_propagation_histogram),
        cmocka_unit_test(test_labels_escaped),
        cmocka_unit_test(test_gauges_replaced_counters_kept),
        cmocka_unit_test(test_concurrent_record_and_render),
        cmocka_unit_test(test_store_health),
        cmocka_unit_test(test_sip_endpoints),
        cmocka_unit_test(test_zone_transfers),
        cmocka_unit_test(test_many_domains_out_of_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
