/*
 * tests/fuzz/fuzz_http.c — libFuzzer target for the monitor's HTTP request handling
 * (http/request.c and the handlers in api.c, dash.c, state.c, auth.c), driven without a socket
 * through vx__http_request(), the function the server runs for every request. A temporary
 * SQLite store is seeded once (a domain with a snapshot, a baseline, events whose text carries
 * markup, an open condition and RTT samples; a domain with a baseline only).
 *
 * Input: "METHOD\nTARGET\nAUTHORIZATION\nBODY..." — the raw request-target with its query
 * (since, limit, domain, percent-escapes), the Authorization header ("-" for none; the token
 * is "fuzz-token"), and the body for POST .../baseline. Aborts when an invariant breaks: a
 * status outside the documented set, a 500 (the store is healthy), a body whose length is
 * wrong, an /api/ answer that is not JSON, an unescaped <script> on a page, a 401 without its
 * challenge or a 405 without Allow.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http/http_impl.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOSTILE "<script>alert(1)</script>"

static const char SNAPSHOT[] =
    "{\"schema\":\"voxdns.snapshot/1\",\"domain\":\"example.com.\",\"profile\":\"generic\","
    "\"started_ms\":1700000000000,\"duration_ms\":812.5,\"delegation\":{\"status\":\"ok\",\""
    "error\":null,\"parent_zone\":\"com.\",\"parent_servers\":[{\"name\":\"a.gtld-servers.n"
    "et.\",\"address\":\"192.0.2.30\",\"port\":53}]},\"servers\":[{\"name\":\"ns1.example.n"
    "et.\",\"address\":\"192.0.2.1\",\"port\":53},{\"name\":\"ns2.example.org.\",\"address\""
    ":\"2001:db8::53\",\"port\":53}],\"obs\":[{\"kind\":\"parent\",\"server\":\"a.gtld-serv"
    "ers.net.\",\"address\":\"192.0.2.30\",\"port\":53,\"transport\":\"udp\",\"qname\":\"ex"
    "ample.com.\",\"qtype\":\"NS\",\"qclass\":\"IN\",\"status\":\"ok\",\"rcode\":0,\"rcode_"
    "name\":\"NOERROR\",\"flags\":33024,\"has_opt\":true,\"rtt_ms\":20.5,\"attempts\":1,\"t"
    "ime_ms\":1700000000010,\"nsid\":null,\"answer\":[],\"authority\":[{\"owner\":\"example"
    ".com.\",\"type\":\"NS\",\"class\":\"IN\",\"ttl\":86400,\"rdata\":[\"ns1.example.net.\""
    ",\"ns2.example.org.\"]}],\"additional\":[{\"owner\":\"ns1.example.net.\",\"type\":\"A\""
    ",\"class\":\"IN\",\"ttl\":86400,\"rdata\":[\"192.0.2.1\"]}]},{\"kind\":\"data\",\"serv"
    "er\":\"ns1.example.net.\",\"address\":\"192.0.2.1\",\"port\":53,\"transport\":\"tcp\","
    "\"qname\":\"example.com.\",\"qtype\":\"NAPTR\",\"qclass\":\"IN\",\"status\":\"ok\",\"r"
    "code\":0,\"rcode_name\":\"NOERROR\",\"flags\":34048,\"has_opt\":true,\"rtt_ms\":3.25,\""
    "attempts\":1,\"time_ms\":1700000000020,\"nsid\":\"ns1.fra\",\"answer\":[{\"owner\":\"e"
    "xample.com.\",\"type\":\"NAPTR\",\"class\":\"IN\",\"ttl\":300,\"rdata\":[\"10 50 \\\"s"
    "\\\" \\\"SIP+D2U\\\" \\\"\\\" _sip._udp.example.com.\"]}],\"authority\":[],\"additiona"
    "l\":[]},{\"kind\":\"version\",\"server\":\"ns2.example.org.\",\"address\":\"2001:db8::"
    "53\",\"port\":53,\"transport\":\"udp\",\"qname\":\"version.bind.\",\"qtype\":\"TXT\",\""
    "qclass\":\"CH\",\"status\":\"timeout\",\"rcode\":0,\"rcode_name\":\"NOERROR\",\"flags\""
    ":0,\"has_opt\":false,\"rtt_ms\":null,\"attempts\":3,\"time_ms\":1700000000030,\"nsid\""
    ":null,\"answer\":[],\"authority\":[],\"additional\":[]},{\"kind\":\"resolve\",\"server"
    "\":\"\",\"address\":null,\"port\":0,\"transport\":\"udp\",\"qname\":\"sip.example.net."
    "\",\"qtype\":\"AAAA\",\"qclass\":\"IN\",\"status\":\"servfail\",\"rcode\":2,\"rcode_na"
    "me\":\"SERVFAIL\",\"flags\":0,\"has_opt\":false,\"rtt_ms\":null,\"attempts\":0,\"time_"
    "ms\":0,\"nsid\":null,\"answer\":[],\"authority\":[],\"additional\":[]}],\"alt\":[{\"do"
    "main\":\"example.org.\",\"profile\":\"generic\",\"started_ms\":0,\"duration_ms\":0,\"d"
    "elegation\":{\"status\":\"notfound\",\"error\":\"NXDOMAIN\",\"parent_zone\":null,\"par"
    "ent_servers\":[]},\"servers\":[],\"obs\":[]}]}";

static vx__http_env env;
static vx__http_stats stats;
static uint64_t now_ms;

static void seed_events(vx__events *ev)
{
    char *old_data[] = {"\"v=1\""}, *new_data[] = {"\"" HOSTILE "\""};
    vx__event e = {.type = VX__EV_RECORD_CHANGED,
                   .severity = VX__SEV_ERROR,
                   .domain = "example.com.",
                   .server = "ns1.example.net./192.0.2.1",
                   .name = "_info.example.com.",
                   .rrtype = 16,
                   .old_data = old_data,
                   .old_count = 1,
                   .new_data = new_data,
                   .new_count = 1,
                   .message = "changed: " HOSTILE,
                   .first_seen_ms = now_ms - 7200000,
                   .last_seen_ms = now_ms - 3600000};
    if (vx__events_push(ev, &e) != VX_OK)
        abort();
    e = (vx__event){.type = VX__EV_NS_DOWN,
                    .severity = VX__SEV_WARNING,
                    .domain = "example.com.",
                    .server = "ns2.example.org./2001:db8::53",
                    .message = "stopped answering",
                    .first_seen_ms = now_ms - 1800000,
                    .last_seen_ms = now_ms - 60000};
    if (vx__events_push(ev, &e) != VX_OK)
        abort();
}

static void seed(vx__store *st)
{
    vx__events ev = {0};
    vx__conditions conds = {0};
    vx__condition cond = {.key = "ns|ns2.example.org./2001:db8::53",
                          .opened_by = VX__EV_NS_DOWN,
                          .first_seen_ms = now_ms - 1800000,
                          .last_seen_ms = now_ms - 60000,
                          .detail = "{}"};
    vx__store_rtt_sample samples[6];
    for (size_t i = 0; i < 6; i++)
        samples[i] = (vx__store_rtt_sample){
            i % 2 ? "ns1.example.net./192.0.2.1" : "ns2.example.org./2001:db8::53",
            i == 5 ? -1.0 : 3.0 + (double)i, now_ms - 3600000 + i * 600000};
    seed_events(&ev);
    if (vx__conditions_put(&conds, &cond) != VX_OK ||
        vx__store_set_baseline(st, "example.com.", SNAPSHOT, now_ms - 86400000) != VX_OK ||
        vx__store_commit_cycle(st, "example.com.", SNAPSHOT, now_ms - 60000, &ev, &conds, samples,
                               6, NULL) != VX_OK ||
        vx__store_set_baseline(st, "quiet.example.", SNAPSHOT, now_ms) != VX_OK)
        abort();
    vx__events_clear(&ev);
    vx__conditions_clear(&conds);
}

/* Once per process: the store lives in a directory removed at exit. */
static char dir[64];
static char db[96];

static void cleanup(void)
{
    static const char *const tails[] = {"", "-wal", "-shm"};
    char path[128];
    if (env.store)
        vx__store_close(env.store);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", db, tails[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void init(void)
{
    char url[128], err[256];
    now_ms = (uint64_t)time(NULL) * 1000u;
    snprintf(dir, sizeof dir, "/tmp/fuzz_http-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(db, sizeof db, "%s/voxdns.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", db);
    if (vx__store_open(url, &env.store, err, sizeof err) != VX_OK)
        abort();
    atexit(cleanup);
    seed(env.store);
    env.metrics = vx__metrics_new();
    env.token = "fuzz-token";
    env.stats = &stats;
}

/* ---- the input --------------------------------------------------------------------------- */

typedef struct input {
    char *method, *target, *auth;
    const char *body;
    size_t body_len;
} input;

/* Cuts the next line out of text (NUL-terminated in place). */
static char *line(char **text, char *end)
{
    char *start = *text, *nl = memchr(start, '\n', (size_t)(end - start));
    if (!nl)
        nl = end;
    *nl = '\0';
    *text = nl < end ? nl + 1 : end;
    return start;
}

static const char *header(void *cls, const char *name)
{
    const input *in = cls;
    return strcmp(name, "Authorization") == 0 && strcmp(in->auth, "-") != 0 ? in->auth : NULL;
}

/* ---- invariants -------------------------------------------------------------------------- */

static bool known_status(unsigned s)
{
    static const unsigned ok[] = {200, 400, 401, 403, 404, 405, 409, 413, 414};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (s == ok[i])
            return true;
    return false;
}

static void check(const input *in, const vx__http_resp *r)
{
    if (!known_status(r->status) || !r->body || !r->type || strlen(r->body) != r->len)
        abort();
    if ((r->status == 401) != r->bearer_challenge || (r->status == 405) != (r->allow != NULL))
        abort();
    if (r->html && strstr(r->body, HOSTILE))
        abort();
    if (strncmp(in->target, "/api/", 5) == 0 && strncmp(r->type, "application/json", 16) == 0) {
        json_t *j = json_loads(r->body, 0, NULL);
        if (!j)
            abort();
        json_decref(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        init();
        ready = true;
    }
    char *copy = malloc(size + 1), *p = copy;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    input in;
    in.method = line(&p, copy + size);
    in.target = line(&p, copy + size);
    in.auth = line(&p, copy + size);
    in.body = p;
    in.body_len = (size_t)(copy + size - p);
    vx__http_resp r = {0};
    vx__http_request(&env, in.method, in.target, header, &in, in.body, in.body_len, now_ms, &r);
    check(&in, &r);
    vx__http_resp_free(&r);
    free(copy);
    return 0;
}
