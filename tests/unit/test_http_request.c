/*
 * tests/unit/test_http_request.c — http/request.c without a socket: vx__http_request() over a
 * temporary SQLite store seeded with one domain (a snapshot as baseline and as its latest
 * cycle): decoding of the request-target (percent-escapes, '+' in queries, bad escapes, NUL,
 * too many parameters, a target or body too long), the lane each route runs on, the 404/405
 * answers, the baseline body ({"snapshot_id":N}, 409 when it is no longer the latest), the
 * token checked before the body, the server figures on /metrics, and an environment without a
 * store. The server's own tests (over HTTP) are in test_http.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "check_fixture.h"
#include "http/http_impl.h"
#include "store/store.h"

#define TOKEN "t0ken"

typedef struct fixture {
    char dir[64], db[96];
    vx__http_env env;
    vx__http_stats stats;
    int64_t snap_id;
    uint64_t now;
} fixture;

static void seed(fixture *fx)
{
    vx__snapshot *snap = fx_healthy();
    char *json = vx__snapshot_to_json(snap), *latest = NULL;
    assert_non_null(json);
    assert_int_equal(vx__store_set_baseline(fx->env.store, "example.com", json, fx->now - 1000),
                     VX_OK);
    assert_int_equal(vx__store_commit_cycle(fx->env.store, "example.com", json, fx->now - 500, NULL,
                                            NULL, NULL, 0, NULL),
                     VX_OK);
    assert_int_equal(vx__store_latest_snapshot(fx->env.store, "example.com", &latest, &fx->snap_id),
                     VX_OK);
    assert_true(fx->snap_id > 0);
    free(latest);
    free(json);
    fx_free(snap);
}

static int setup(void **state)
{
    char url[128], err[256];
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/voxdns-req-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->db, sizeof fx->db, "%s/voxdns.db", fx->dir);
    snprintf(url, sizeof url, "sqlite:%s", fx->db);
    assert_int_equal(vx__store_open(url, &fx->env.store, err, sizeof err), VX_OK);
    fx->env.token = TOKEN;
    fx->env.stats = &fx->stats;
    fx->now = (uint64_t)time(NULL) * 1000u;
    seed(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char path[128];
    static const char *const tails[] = {"", "-wal", "-shm"};
    vx__store_close(fx->env.store);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", fx->db, tails[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- one request ------------------------------------------------------------------------- */

static const char *auth_header(void *cls, const char *name)
{
    return strcmp(name, "Authorization") == 0 ? cls : NULL;
}

/* The status; the body in *body (freed by the caller) when body is not NULL. */
static unsigned call(fixture *fx, const char *method, const char *target, const char *auth,
                     const char *body, char **out)
{
    vx__http_resp r = {0};
    vx__http_request(&fx->env, method, target, auth_header, (void *)auth, body,
                     body ? strlen(body) : 0, fx->now, &r);
    assert_non_null(r.body);
    assert_int_equal(strlen(r.body), r.len);
    unsigned status = r.status;
    if (out) {
        *out = r.body;
        r.body = NULL;
    }
    vx__http_resp_free(&r);
    return status;
}

static size_t event_count(fixture *fx, const char *target)
{
    char *body;
    assert_int_equal(call(fx, "GET", target, NULL, NULL, &body), 200);
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    size_t n = json_array_size(json_object_get(j, "events"));
    json_decref(j);
    free(body);
    return n;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_target_decoding(void **state)
{
    fixture *fx = *state;
    char *body;
    assert_int_equal(call(fx, "GET", "/domains/ex%61mple.COM.", NULL, NULL, NULL), 200);
    assert_int_equal(call(fx, "GET", "/api/v1/domains/example%2ecom/snapshot", NULL, NULL, NULL),
                     200);
    /* %2F is a slash inside the name: never a way around the one-segment rule. */
    assert_int_equal(call(fx, "GET", "/domains/example.com%2Fx", NULL, NULL, NULL), 404);
    assert_int_equal(event_count(fx, "/api/v1/events?domain=Example.COM.&limit=5"), 0);
    assert_int_equal(event_count(fx, "/api/v1/events?&&limit=%35&"), 0);
    assert_int_equal(call(fx, "GET", "/api/v1/events?limit=%30", NULL, NULL, NULL), 400);
    /* '+' is a space in a query: "example com" is not a known domain. */
    assert_int_equal(call(fx, "GET", "/api/v1/events?domain=example+com", NULL, NULL, &body), 404);
    assert_non_null(strstr(body, "unknown domain"));
    free(body);
    assert_int_equal(
        call(fx, "GET", "/api/v1/events?since=2024-01-01T00:00:00%2B02:00", NULL, NULL, NULL), 200);
}

static void test_bad_targets(void **state)
{
    fixture *fx = *state;
    static const char *const bad[] = {"/domains/%zz",      "/healthz%",
                                      "/healthz%4",        "/domains/a%00b",
                                      "/api/v1/events?a%", "/api/v1/events?domain=%00"};
    char *body;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(call(fx, "GET", bad[i], NULL, NULL, NULL), 400);
    assert_int_equal(
        call(fx, "GET", "/api/v1/events?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", NULL, NULL, &body),
        400);
    assert_non_null(strstr(body, "too many query parameters"));
    free(body);
    char *longer = malloc(VX__HTTP_MAX_TARGET + 16);
    assert_non_null(longer);
    memset(longer, 'a', VX__HTTP_MAX_TARGET + 8);
    longer[0] = '/';
    longer[VX__HTTP_MAX_TARGET + 8] = '\0';
    assert_int_equal(call(fx, "GET", longer, NULL, NULL, NULL), 414);
    assert_int_equal(call(fx, "GET", NULL, NULL, NULL, NULL), 404);
    free(longer);
}

static void test_lanes_and_routes(void **state)
{
    fixture *fx = *state;
    static const struct {
        const char *method, *target;
        vx__http_lane lane;
    } cases[] = {
        {"GET", "/healthz", VX__LANE_NOW},
        {"HEAD", "/metrics", VX__LANE_METRICS},
        {"GET", "/", VX__LANE_STORE},
        {"GET", "/domains/x", VX__LANE_STORE},
        {"POST", "/api/v1/domains/x/baseline", VX__LANE_STORE},
        {"POST", "/healthz", VX__LANE_NOW}, /* 405: answered at once */
        {"GET", "/nope", VX__LANE_NOW},
        {"GET", "/domains/%zz", VX__LANE_NOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vx__http_req req;
        assert_int_equal(
            vx__http_req_init(&req, cases[i].method, cases[i].target, NULL, NULL, 0, fx->now),
            VX_OK);
        assert_int_equal(vx__http_lane_of(&req), cases[i].lane);
        vx__http_req_free(&req);
    }
    assert_int_equal(call(fx, "POST", "/healthz", NULL, NULL, NULL), 405);
    assert_int_equal(call(fx, "GET", "/api/v1/domains/example.com/baseline", NULL, NULL, NULL),
                     405);
    assert_int_equal(call(fx, "GET", "/domains/", NULL, NULL, NULL), 404);
}

static void test_baseline_body(void **state)
{
    fixture *fx = *state;
    char good[64], stale[64], *body;
    const char *auth = "Bearer " TOKEN;
    snprintf(good, sizeof good, "{\"snapshot_id\": %lld}", (long long)fx->snap_id);
    snprintf(stale, sizeof stale, "{\"snapshot_id\":%lld}", (long long)fx->snap_id + 1);
    const char *target = "/api/v1/domains/example.com/baseline";
    /* The token comes before anything about the body or the domain. */
    assert_int_equal(call(fx, "POST", target, NULL, "{bad", NULL), 401);
    assert_int_equal(call(fx, "POST", target, auth, "{bad", NULL), 400);
    assert_int_equal(call(fx, "POST", target, auth, "{\"snapshot_id\":1,\"x\":2}", NULL), 400);
    assert_int_equal(call(fx, "POST", target, auth, "{\"snapshot_id\":0}", NULL), 400);
    assert_int_equal(call(fx, "POST", target, auth, "[1]", NULL), 400);
    assert_int_equal(call(fx, "POST", target, auth, stale, &body), 409);
    assert_non_null(strstr(body, "the latest snapshot is"));
    free(body);
    assert_int_equal(call(fx, "POST", target, auth, good, &body), 200);
    assert_non_null(strstr(body, "\"snapshot_id\":"));
    free(body);
    assert_int_equal(call(fx, "POST", target, auth, " \r\n", NULL), 200);
    char *big = malloc(VX__HTTP_MAX_BODY + 2);
    assert_non_null(big);
    memset(big, ' ', VX__HTTP_MAX_BODY + 1);
    big[VX__HTTP_MAX_BODY + 1] = '\0';
    assert_int_equal(call(fx, "POST", target, auth, big, NULL), 413);
    free(big);
}

static void test_server_figures_and_no_store(void **state)
{
    fixture *fx = *state;
    char *body;
    atomic_store(&fx->stats.deadline_closed, 7);
    assert_int_equal(call(fx, "GET", "/metrics", NULL, NULL, &body), 200);
    assert_non_null(strstr(body, "\nvoxdns_http_deadline_closed_total 7\n"));
    assert_non_null(strstr(body, "# TYPE voxdns_http_connections gauge"));
    free(body);
    vx__http_env bare = {.token = NULL};
    vx__http_resp r = {0};
    vx__http_request(&bare, "GET", "/api/v1/domains", NULL, NULL, NULL, 0, fx->now, &r);
    assert_int_equal(r.status, 500);
    vx__http_resp_free(&r);
    vx__http_request(&bare, "GET", "/healthz", NULL, NULL, NULL, 0, fx->now, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    vx__http_resp_free(&r);
    vx__http_request(&bare, "POST", "/api/v1/domains/x/baseline", NULL, NULL, NULL, 0, fx->now, &r);
    assert_int_equal(r.status, 500); /* no store: nothing can be written */
    vx__http_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_decoding),
        cmocka_unit_test(test_bad_targets),
        cmocka_unit_test(test_lanes_and_routes),
        cmocka_unit_test(test_baseline_body),
        cmocka_unit_test(test_server_figures_and_no_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
