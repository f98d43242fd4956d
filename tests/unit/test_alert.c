/* tests/unit/test_alert.c — the alert sinks and the levelled logger (monitor/alert.c, log.c):
 * the log line, the webhook body and its delivery with retries to an HTTP server run here on
 * 127.0.0.1, the command hook (stdin, environment, timeout), the severity filter and flap
 * suppression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/alert.h"
#include "voxdns/status.h"

static char *old_data[] = {"192.0.2.10"};
static char *new_data[] = {"203.0.113.5", "203.0.113.6"};

static vx__event sample_event(void)
{
    vx__event e = {0};
    e.id = 42;
    e.type = VX__EV_RECORD_CHANGED;
    e.severity = VX__SEV_WARNING;
    e.domain = "example.com";
    e.server = "ns1.example.net/192.0.2.1";
    e.name = "sip.example.com";
    e.rrtype = 1;
    e.old_data = old_data;
    e.old_count = 1;
    e.new_data = new_data;
    e.new_count = 2;
    e.message = "ns1.example.net/192.0.2.1 answers other A data for sip.example.com";
    e.first_seen_ms = 1700000000000ull;
    e.last_seen_ms = 1700000000000ull;
    return e;
}

/* ---- the logger ---------------------------------------------------------------------------- */

/* Runs fn with stderr sent to a temporary file and returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    static char buf[4096];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    fn();
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static void log_some(void)
{
    vx__log_set_level(VX__LOG_NOTICE);
    vx__log(VX__LOG_INFO, "hidden %d", 1);
    vx__log(VX__LOG_WARNING, "cycle %d: %s", 7, "slow");
    vx__log(VX__LOG_ERROR, "two\nlines");
    vx__log_set_level(VX__LOG_ERROR);
}

static void log_line_format(void **state)
{
    (void)state;
    char want[256];
    long pid = (long)getpid();
    snprintf(want, sizeof want,
             "voxdns[%ld]: warning: cycle 7: slow\nvoxdns[%ld]: error: two\n"
             "voxdns[%ld]: error: lines\n",
             pid, pid, pid);
    unsetenv("JOURNAL_STREAM");
    assert_string_equal(capture_stderr(log_some), want);
}

static void journal_once(void)
{
    /* JOURNAL_STREAM names the descriptor stderr is now: the temporary file. */
    struct stat st;
    char env[64];
    fstat(2, &st);
    snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", env, 1);
    vx__log_set_level(VX__LOG_WARNING);
    vx__log(VX__LOG_WARNING, "to the journal");
    setenv("JOURNAL_STREAM", "1:2", 1); /* inherited but not ours: no prefix */
    vx__log(VX__LOG_ERROR, "plain");
    vx__log_set_level(VX__LOG_ERROR);
    unsetenv("JOURNAL_STREAM");
}

static void log_journal_priority(void **state)
{
    (void)state;
    char want[256];
    long pid = (long)getpid();
    snprintf(want, sizeof want,
             "<4>voxdns[%ld]: warning: to the journal\nvoxdns[%ld]: error: plain\n", pid, pid);
    assert_string_equal(capture_stderr(journal_once), want);
}

static void log_level_names(void **state)
{
    (void)state;
    vx__log_level l;
    assert_int_equal(vx__log_level_from_name("debug", &l), VX_OK);
    assert_int_equal(l, VX__LOG_DEBUG);
    assert_int_equal(vx__log_level_from_name("Warning", &l), VX_OK);
    assert_int_equal(l, VX__LOG_WARNING);
    assert_int_equal(vx__log_level_from_name("error", &l), VX_OK);
    assert_int_equal(l, VX__LOG_ERROR);
    assert_int_equal(vx__log_level_from_name("critical", &l), VX_EINVAL);
    assert_int_equal(vx__log_level_from_name(NULL, &l), VX_EINVAL);
}

/* ---- text and JSON ------------------------------------------------------------------------- */

static void alert_log_line(void **state)
{
    (void)state;
    vx__event e = sample_event();
    char *line = vx__alert_log_line(&e);
    assert_string_equal(line, "warning RECORD-CHANGED example.com ns1.example.net/192.0.2.1 "
                              "sip.example.com A: [192.0.2.10] -> [203.0.113.5, 203.0.113.6]");
    free(line);
    vx__event f = {0};
    f.type = VX__EV_FINDING_APPEARED;
    f.severity = VX__SEV_ERROR;
    f.domain = "example.com";
    f.check = "NS-SINGLE-PROVIDER";
    f.message = "every name server is at one provider";
    line = vx__alert_log_line(&f);
    assert_string_equal(line, "error FINDING-APPEARED example.com NS-SINGLE-PROVIDER: every name "
                              "server is at one provider");
    free(line);
    f.type = VX__EV_TTL_CHANGED;
    f.check = NULL;
    f.old_ttl = 3600;
    f.new_ttl = 60;
    line = vx__alert_log_line(&f);
    assert_string_equal(line, "error TTL-CHANGED example.com: TTL 3600 -> 60");
    free(line);
}

static void webhook_body_is_json_with_text(void **state)
{
    (void)state;
    vx__event e = sample_event();
    char *body = vx__alert_webhook_body(&e);
    assert_non_null(body);
    json_error_t jerr;
    json_t *o = json_loads(body, 0, &jerr);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "type")), "RECORD-CHANGED");
    assert_string_equal(json_string_value(json_object_get(o, "domain")), "example.com");
    assert_string_equal(json_string_value(json_object_get(o, "severity")), "warning");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 42);
    assert_int_equal(json_array_size(json_object_get(o, "new")), 2);
    assert_string_equal(json_string_value(json_object_get(o, "text")),
                        "voxdns: warning RECORD-CHANGED example.com ns1.example.net/192.0.2.1 "
                        "sip.example.com A: [192.0.2.10] -> [203.0.113.5, 203.0.113.6]");
    assert_true(json_is_true(json_object_get(o, "stored")));
    json_decref(o);
    free(body);
    e.id = 0; /* the store is failing: delivered anyway, and says so */
    body = vx__alert_webhook_body(&e);
    assert_non_null(o = json_loads(body, 0, &jerr));
    assert_true(json_is_false(json_object_get(o, "stored")));
    assert_non_null(strstr(json_string_value(json_object_get(o, "text")), "not stored yet"));
    json_decref(o);
    free(body);
}

/* ---- a tiny HTTP server ---------------------------------------------------------------------- */

typedef struct http_srv {
    int fd;
    uint16_t port;
    int statuses[8]; /* the answer to each request in turn; the last one repeats */
    int status_count;
    int requests;
    int good_requests; /* POST, application/json, a JSON body with "text" */
    pthread_t thread;
} http_srv;

static bool request_ok(const char *req, const char *body)
{
    json_t *o = json_loads(body, 0, NULL);
    bool ok = strncmp(req, "POST /hook ", 11) == 0 &&
              strstr(req, "\r\nContent-Type: application/json\r\n") && o &&
              json_is_string(json_object_get(o, "text")) &&
              json_is_string(json_object_get(o, "type"));
    json_decref(o);
    return ok;
}

/* Reads one request (headers and a Content-Length body) into buf. */
static char *read_request(int c, char *buf, size_t cap)
{
    size_t n = 0;
    char *end = NULL;
    while (n < cap - 1 && !end) {
        ssize_t r = read(c, buf + n, cap - 1 - n);
        if (r <= 0)
            return NULL;
        n += (size_t)r;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strstr(buf, "Content-Length: ");
    size_t want = (size_t)(end - buf) + 4 + (cl ? strtoul(cl + 16, NULL, 10) : 0);
    while (n < want && n < cap - 1) {
        ssize_t r = read(c, buf + n, cap - 1 - n);
        if (r <= 0)
            return NULL;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return end + 4;
}

static void *serve(void *arg)
{
    http_srv *s = arg;
    char buf[8192], resp[128];
    int c;
    while ((c = accept(s->fd, NULL, NULL)) >= 0) {
        const char *body = read_request(c, buf, sizeof buf);
        int i = s->requests < s->status_count ? s->requests : s->status_count - 1;
        s->requests++;
        s->good_requests += body && request_ok(buf, body);
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                         s->statuses[i]);
        assert_int_equal(write(c, resp, (size_t)n), n);
        close(c);
    }
    return NULL;
}

static void srv_start(http_srv *s)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    getsockname(s->fd, (struct sockaddr *)&sin, &len);
    s->port = ntohs(sin.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void srv_stop(http_srv *s)
{
    shutdown(s->fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* ---- alerters over hand-built configurations ---------------------------------------------------
 */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static vx__alerter *one_sink(vx__sink_config *sink)
{
    vx__monitor_config cfg = {0};
    cfg.sinks = sink;
    cfg.sink_count = 1;
    cfg.flap_window_ms = 60000;
    cfg.flap_max_changes = 4;
    vx__alerter *a = NULL;
    assert_int_equal(vx__alerter_new(&cfg, &a), VX_OK);
    return a;
}

static bool deliver(vx__alerter *a, const vx__event *e, uint64_t now)
{
    bool delivered = false;
    vx__alerter_deliver(a, e, now, &delivered);
    return delivered;
}

static void webhook(http_srv *s, unsigned retries, bool *delivered, uint64_t *elapsed)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", s->port);
    vx__sink_config sink = {.type = VX__SINK_WEBHOOK,
                            .name = "webhook-1",
                            .url = url,
                            .retries = retries,
                            .timeout_ms = 2000,
                            .min_severity = VX__SEV_INFO};
    vx__event e = sample_event();
    setenv("VOXDNS_ALERT_BACKOFF_MS", "20", 1);
    vx__alerter *a = one_sink(&sink);
    uint64_t t0 = mono_ms();
    *delivered = deliver(a, &e, 1000);
    *elapsed = mono_ms() - t0;
    vx__alerter_free(a);
    unsetenv("VOXDNS_ALERT_BACKOFF_MS");
}

static void webhook_retries_after_500(void **state)
{
    (void)state;
    http_srv s = {.statuses = {500, 200}, .status_count = 2};
    bool delivered;
    uint64_t elapsed;
    srv_start(&s);
    webhook(&s, 3, &delivered, &elapsed);
    srv_stop(&s);
    assert_true(delivered);
    assert_int_equal(s.requests, 2);
    assert_int_equal(s.good_requests, 2);
    assert_true(elapsed >= 20); /* one backoff step */
}

static void webhook_gives_up_after_retries(void **state)
{
    (void)state;
    http_srv s = {.statuses = {500}, .status_count = 1};
    bool delivered = true;
    uint64_t elapsed;
    srv_start(&s);
    webhook(&s, 2, &delivered, &elapsed);
    srv_stop(&s);
    assert_false(delivered);
    assert_int_equal(s.requests, 3); /* the first attempt and two retries */
    assert_true(elapsed >= 20 + 40); /* exponential: 20 ms, then 40 ms */
}

static void webhook_unreachable_is_not_delivered(void **state)
{
    (void)state;
    http_srv s = {.statuses = {200}, .status_count = 1};
    bool delivered = true;
    uint64_t elapsed;
    srv_start(&s);
    srv_stop(&s); /* the port is closed now: connection refused */
    webhook(&s, 1, &delivered, &elapsed);
    assert_false(delivered);
    assert_int_equal(s.requests, 0);
}

/* ---- command hook -------------------------------------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/voxdns-alert-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *name)
{
    static char buf[4096];
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static vx__alerter *command_sink(const char *script, uint32_t timeout_ms, vx__severity min)
{
    static char cmd[512];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s", tmpdir, script);
    vx__sink_config sink = {.type = VX__SINK_COMMAND,
                            .name = "command-1",
                            .command = cmd,
                            .timeout_ms = timeout_ms,
                            .min_severity = min};
    return one_sink(&sink); /* copies the sink: cmd may change afterwards */
}

static void command_gets_json_and_env(void **state)
{
    (void)state;
    vx__alerter *a = command_sink("cat > in.json; printf '%s|%s|%s|%s' \"$VOXDNS_EVENT_TYPE\" "
                                  "\"$VOXDNS_DOMAIN\" \"$VOXDNS_SEVERITY\" \"$VOXDNS_FLAPPING\" "
                                  "> env.txt",
                                  5000, VX__SEV_INFO);
    vx__event e = sample_event();
    assert_true(deliver(a, &e, 1000));
    vx__alerter_free(a);
    assert_string_equal(slurp("env.txt"), "RECORD-CHANGED|example.com|warning|");
    json_t *o = json_loads(slurp("in.json"), 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "server")),
                        "ns1.example.net/192.0.2.1");
    assert_non_null(json_object_get(o, "text"));
    json_decref(o);
}

static void command_failure_and_timeout(void **state)
{
    (void)state;
    vx__event e = sample_event();
    vx__alerter *a = command_sink("exit 3", 5000, VX__SEV_INFO);
    assert_false(deliver(a, &e, 1000));
    vx__alerter_free(a);
    /* A hook that ignores stdin and exits at once must not hurt us (no SIGPIPE). */
    a = command_sink("exit 0", 5000, VX__SEV_INFO);
    assert_true(deliver(a, &e, 1000));
    vx__alerter_free(a);
    a = command_sink("sleep 5; touch late", 200, VX__SEV_INFO);
    uint64_t t0 = mono_ms();
    bool delivered = true;
    assert_int_equal(vx__alerter_deliver(a, &e, 1000, &delivered), VX_ETIMEDOUT);
    uint64_t elapsed = mono_ms() - t0;
    vx__alerter_free(a);
    assert_false(delivered);
    assert_true(elapsed >= 200 && elapsed < 2000);
    usleep(100000);
    assert_null(slurp("late")); /* the whole process group was killed */
}

static void severity_filter(void **state)
{
    (void)state;
    vx__alerter *a = command_sink("echo \"$VOXDNS_SEVERITY\" >> sev.txt", 5000, VX__SEV_ERROR);
    vx__event e = sample_event();
    e.severity = VX__SEV_WARNING;
    assert_true(deliver(a, &e, 1000)); /* finished with: not for this sink */
    assert_null(slurp("sev.txt"));
    e.severity = VX__SEV_CRITICAL;
    e.id = 43;
    assert_true(deliver(a, &e, 2000));
    assert_string_equal(slurp("sev.txt"), "critical\n");
    vx__alerter_free(a);
}

/* ---- flap suppression ---------------------------------------------------------------------- */

static void flap_suppression(void **state)
{
    (void)state;
    vx__alerter *a = command_sink("echo \"$VOXDNS_EVENT_TYPE $VOXDNS_FLAPPING\" >> flap.txt", 5000,
                                  VX__SEV_INFO);
    vx__event e = sample_event();
    uint64_t t = 10000000;
    /* Open and close six times, a minute window, four changes allowed. */
    for (int i = 0; i < 7; i++) {
        e.id = 100 + i;
        e.type = i % 2 ? VX__EV_CHANGE_REVERTED : VX__EV_RECORD_CHANGED;
        assert_true(deliver(a, &e, t + (uint64_t)i * 1000));
    }
    assert_true(deliver(a, &e, t + 6000)); /* a redelivery of id 106: still held, not counted */
    /* Another condition (another server) is not held back. */
    vx__event other = sample_event();
    other.id = 200;
    other.server = "ns2.example.net/198.51.100.1";
    assert_true(deliver(a, &other, t + 7000));
    /* Quiet for a window: announced again. */
    e.id = 300;
    e.type = VX__EV_RECORD_CHANGED;
    assert_true(deliver(a, &e, t + 6000 + 60000));
    vx__alerter_free(a);
    assert_string_equal(slurp("flap.txt"), "RECORD-CHANGED \n"
                                           "CHANGE-REVERTED \n"
                                           "RECORD-CHANGED \n"
                                           "CHANGE-REVERTED \n"
                                           "RECORD-CHANGED 1\n"
                                           "RECORD-CHANGED \n"
                                           "RECORD-CHANGED \n");
}

static void flap_summary_line(void **state)
{
    (void)state;
    vx__sink_config sink = {.type = VX__SINK_LOG, .name = "log", .min_severity = VX__SEV_INFO};
    vx__alerter *a = one_sink(&sink);
    vx__event e = sample_event();
    e.old_count = e.new_count = 0;
    e.message = "changed";
    bool delivered[1];
    vx__log_set_level(VX__LOG_ERROR); /* the four announcements need not be seen */
    for (int i = 0; i < 4; i++) {
        e.id = i + 1;
        vx__alerter_deliver(a, &e, 5000 + (uint64_t)i, delivered);
    }
    vx__log_set_level(VX__LOG_INFO);
    e.id = 5;
    /* the fifth change: the summary goes to the log */
    FILE *tmp = tmpfile();
    int saved = dup(2);
    fflush(stderr);
    dup2(fileno(tmp), 2);
    assert_int_equal(vx__alerter_deliver(a, &e, 5010, delivered), VX_OK);
    dup2(saved, 2);
    close(saved);
    char buf[512] = "", want[512];
    rewind(tmp);
    buf[fread(buf, 1, sizeof buf - 1, tmp)] = '\0';
    fclose(tmp);
    snprintf(want, sizeof want,
             "voxdns[%ld]: warning: flapping: warning RECORD-CHANGED example.com "
             "ns1.example.net/192.0.2.1 sip.example.com A: changed (5 changes within 1m; held "
             "back until quiet for 1m)\n",
             (long)getpid());
    assert_string_equal(buf, want);
    assert_true(delivered[0]);
    vx__log_set_level(VX__LOG_ERROR);
    vx__alerter_free(a);
}

int main(void)
{
    vx__log_set_level(VX__LOG_ERROR); /* the sinks' warnings about failures expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_line_format),
        cmocka_unit_test(log_journal_priority),
        cmocka_unit_test(log_level_names),
        cmocka_unit_test(alert_log_line),
        cmocka_unit_test(webhook_body_is_json_with_text),
        cmocka_unit_test(webhook_retries_after_500),
        cmocka_unit_test(webhook_gives_up_after_retries),
        cmocka_unit_test(webhook_unreachable_is_not_delivered),
        cmocka_unit_test_setup_teardown(command_gets_json_and_env, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(command_failure_and_timeout, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(severity_filter, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(flap_suppression, make_tmpdir, remove_tmpdir),
        cmocka_unit_test(flap_summary_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
