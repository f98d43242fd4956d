/*
 * monitor/alert.c — the alert sinks (alert.h): the log line, the webhook (a JSON POST through
 * libcurl, retried with exponential backoff) and the command hook (/bin/sh -c with the event
 * JSON on stdin), the per-sink severity filter, and flap suppression.
 *
 * "Delivered" means the sink is finished with the event: sent, or deliberately not sent (below
 * the sink's min_severity, or held back as flapping). Only a failure reports false, because the
 * alert worker stops a sink's queue at the first undelivered event and retries it later.
 *
 * Flap history lives in memory only: after a restart it starts afresh, so a condition that was
 * flapping is announced again (at most max_changes times) before it is held back again.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/alert.h"
#include "common/array.h"
#include "common/clock.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define BACKOFF_BASE_MS 1000u
#define BACKOFF_CAP_MS 30000u

typedef enum flap_verdict { FLAP_SEND = 0, FLAP_SUMMARY, FLAP_HOLD } flap_verdict;

/* One condition key's recent transitions. */
typedef struct flap_entry {
    char *key;
    uint64_t *times; /* when each change within the window was seen, oldest first */
    size_t count;
    size_t cap;
    uint64_t last_change_ms;
    int64_t last_id;   /* the newest event counted, so a redelivery is not counted twice */
    flap_verdict last; /* ... and gets the verdict it had */
    bool flapping;
} flap_entry;

struct vx__alerter {
    vx__sink_config *sinks; /* deep copies: the caller's configuration may go away */
    size_t sink_count;
    uint32_t flap_window_ms;
    unsigned flap_max_changes;
    uint64_t backoff_base_ms;
    flap_entry *flaps;
    size_t flap_count;
};

/* What one delivery says: the event, and whether it stands for a flapping condition. */
typedef struct alert_item {
    const vx__event *e;
    bool flapping;
    size_t changes;
    uint32_t window_ms;
} alert_item;

/* ---- text and JSON ------------------------------------------------------------------------- */

static void put_list(FILE *f, char *const *v, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "", v[i] ? v[i] : "");
    fputc(']', f);
}

static void put_detail(FILE *f, const vx__event *e)
{
    if (e->type == VX__EV_TTL_CHANGED)
        fprintf(f, ": TTL %u -> %u", e->old_ttl, e->new_ttl);
    else if (e->old_count || e->new_count) {
        fputs(": ", f);
        put_list(f, e->old_data, e->old_count);
        fputs(" -> ", f);
        put_list(f, e->new_data, e->new_count);
    } else if (e->message && *e->message)
        fprintf(f, ": %s", e->message);
}

/* A duration for people: "1h", "90s", "1h30m" (whole units only, as the config writes them). */
static void put_duration(FILE *f, uint64_t ms)
{
    static const struct {
        uint64_t ms;
        char unit;
    } units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};
    if (ms % 1000 || ms == 0) {
        fprintf(f, "%llums", (unsigned long long)ms);
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms >= units[i].ms) {
            fprintf(f, "%llu%c", (unsigned long long)(ms / units[i].ms), units[i].unit);
            ms %= units[i].ms;
        }
    }
}

static char *item_log_line(const alert_item *it)
{
    const vx__event *e = it->e;
    char *text = NULL, type[16];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s%s %s %s", it->flapping ? "flapping: " : "", vx__severity_name(e->severity),
            vx__event_type_name(e->type), e->domain ? e->domain : "-");
    if (e->server)
        fprintf(f, " %s", e->server);
    if (e->name)
        fprintf(f, " %s", e->name);
    if (e->rrtype)
        fprintf(f, " %s", vx__rrtype_to_text(e->rrtype, type, sizeof type));
    if (e->check)
        fprintf(f, " %s", e->check);
    put_detail(f, e);
    if (it->flapping) {
        fprintf(f, " (%zu changes within ", it->changes);
        put_duration(f, it->window_ms);
        fputs("; held back until quiet for ", f);
        put_duration(f, it->window_ms);
        fputc(')', f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *vx__alert_log_line(const vx__event *e)
{
    alert_item it = {.e = e};
    return e ? item_log_line(&it) : NULL;
}

/* An event the store could not take yet has no id: the daemon delivers it anyway, and says so
 * (the store gives it an id later, and it is not delivered again). */
#define NOT_STORED_NOTE " (not stored yet: the store is failing)"

static bool stored(const alert_item *it)
{
    return it->e->id > 0;
}

static char *item_body(const alert_item *it)
{
    char *event = vx__event_to_json(it->e), *line = item_log_line(it), *out = NULL;
    json_t *o = event ? json_loads(event, 0, NULL) : NULL;
    char *text = NULL;
    if (o && line &&
        asprintf(&text, "voxdns: %s%s", line, stored(it) ? "" : NOT_STORED_NOTE) >= 0) {
        bool ok = json_object_set_new(o, "text", json_string(text)) == 0 &&
                  json_object_set_new(o, "stored", json_boolean(stored(it))) == 0;
        if (ok && it->e->check && !json_object_get(o, "check"))
            ok = json_object_set_new(o, "check", json_string(it->e->check)) == 0;
        if (ok && it->flapping)
            ok = json_object_set_new(o, "flapping", json_true()) == 0;
        out = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    }
    json_decref(o);
    free(event);
    free(line);
    free(text);
    return out;
}

char *vx__alert_webhook_body(const vx__event *e)
{
    alert_item it = {.e = e};
    return e ? item_body(&it) : NULL;
}

/* ---- log sink -------------------------------------------------------------------------------- */

static vx__log_level level_of(vx__severity s)
{
    switch (s) {
    case VX__SEV_INFO:
        return VX__LOG_INFO;
    case VX__SEV_NOTICE:
        return VX__LOG_NOTICE;
    case VX__SEV_WARNING:
        return VX__LOG_WARNING;
    default:
        return VX__LOG_ERROR; /* error and critical: the logger's highest level */
    }
}

static int deliver_log(const alert_item *it)
{
    char *line = item_log_line(it);
    if (!line)
        return VX_ENOMEM;
    vx__log(level_of(it->e->severity), "%s%s", line, stored(it) ? "" : NOT_STORED_NOTE);
    free(line);
    return VX_OK;
}

/* ---- clocks -------------------------------------------------------------------------------- */

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- webhook sink ---------------------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t n, void *user)
{
    (void)ptr;
    (void)user;
    return size * n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT); /* never cleaned up: lives as long as the daemon */
}

/* One POST; VX_OK on a 2xx answer. */
static int post_once(const vx__sink_config *s, const char *body, long *status)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    /* No "Expect: 100-continue": many hook receivers never answer it, costing a second. */
    struct curl_slist *all = hdr ? curl_slist_append(hdr, "Expect:") : NULL;
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    *status = 0;
    hdr = all ? all : hdr;
    if (h && all) {
        curl_easy_setopt(h, CURLOPT_URL, s->url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* signals are unsafe in a threaded daemon */
        curl_easy_setopt(h, CURLOPT_USERAGENT, "voxdns-monitor");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        vx__log(VX__LOG_DEBUG, "alert sink %s: %s", s->name, curl_easy_strerror(cc));
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return VX_ETIMEDOUT;
    return cc == CURLE_OK && *status >= 200 && *status < 300 ? VX_OK : VX_ENETWORK;
}

static uint64_t backoff_ms(const vx__alerter *a, unsigned attempt)
{
    uint64_t d = a->backoff_base_ms;
    for (unsigned i = 0; i < attempt && d < BACKOFF_CAP_MS; i++)
        d *= 2;
    return d < BACKOFF_CAP_MS ? d : BACKOFF_CAP_MS;
}

static int deliver_webhook(const vx__alerter *a, const vx__sink_config *s, const alert_item *it)
{
    char *body = item_body(it);
    long status = 0;
    int rc = body ? VX_ENETWORK : VX_ENOMEM;
    for (unsigned attempt = 0; body && attempt <= s->retries; attempt++) {
        if (attempt > 0)
            sleep_ms(backoff_ms(a, attempt - 1));
        if ((rc = post_once(s, body, &status)) == VX_OK)
            break;
        vx__log(VX__LOG_DEBUG, "alert sink %s: attempt %u of %u failed (HTTP %ld)", s->name,
                attempt + 1, s->retries + 1, status);
    }
    if (rc != VX_OK && body)
        vx__log(VX__LOG_WARNING, "alert sink %s: %u attempts failed, the last %s%ld", s->name,
                s->retries + 1, status ? "with HTTP " : "without an HTTP answer", status);
    free(body);
    return rc;
}

/* ---- command sink ---------------------------------------------------------------------------- */

static const char *const hook_vars[] = {"VOXDNS_EVENT_TYPE=", "VOXDNS_DOMAIN=", "VOXDNS_SEVERITY=",
                                        "VOXDNS_FLAPPING=", "VOXDNS_STORED="};

static bool is_hook_var(const char *entry)
{
    for (size_t i = 0; i < sizeof hook_vars / sizeof hook_vars[0]; i++)
        if (strncmp(entry, hook_vars[i], strlen(hook_vars[i])) == 0)
            return true;
    return false;
}

static void free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

static bool env_add(char **env, size_t *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool env_add(char **env, size_t *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&env[*k], fmt, ap);
    va_end(ap);
    if (n < 0) {
        env[*k] = NULL; /* vasprintf leaves it undefined */
        return false;
    }
    (*k)++;
    return true;
}

/* The daemon's environment, minus stale copies of the hook's variables, plus the event's. */
static char **hook_env(const alert_item *it)
{
    size_t n = 0, k = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 6, sizeof *env);
    bool ok = env != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = is_hook_var(environ[i]) || env_add(env, &k, "%s", environ[i]);
    ok = ok && env_add(env, &k, "VOXDNS_EVENT_TYPE=%s", vx__event_type_name(it->e->type)) &&
         env_add(env, &k, "VOXDNS_DOMAIN=%s", it->e->domain ? it->e->domain : "") &&
         env_add(env, &k, "VOXDNS_SEVERITY=%s", vx__severity_name(it->e->severity)) &&
         env_add(env, &k, "VOXDNS_STORED=%d", stored(it) ? 1 : 0) &&
         (!it->flapping || env_add(env, &k, "VOXDNS_FLAPPING=1"));
    if (!ok) {
        free_env(env);
        return NULL;
    }
    return env;
}

/* The child starts with default signal handling and its own process group, so a timeout can
 * kill everything the shell started. */
static int spawn_hook(const char *command, char **env, int stdin_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, stdin_fd, STDIN_FILENO);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    int err = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return err == 0 ? VX_OK : VX_EIO;
}

/* Writes the JSON to the hook's stdin without blocking past the deadline. A hook that exits
 * without reading is not an error of ours: SIGPIPE is blocked for this thread and a pending one
 * is consumed, so it never kills the daemon. */
static void feed_stdin(int fd, const char *data, size_t len, uint64_t deadline)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    bool broken = false;
    for (uint64_t now = vx__mono_ms(); len > 0 && now < deadline; now = vx__mono_ms()) {
        struct pollfd p = {fd, POLLOUT, 0};
        uint64_t left = deadline - now;
        if (poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) <= 0)
            continue;
        ssize_t n = write(fd, data, len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0) {
            broken = errno == EPIPE;
            break;
        }
        data += n;
        len -= (size_t)n;
    }
    if (broken && !was_pending) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static int exit_result(const vx__sink_config *s, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return VX_OK;
    if (WIFEXITED(status))
        vx__log(VX__LOG_WARNING, "alert sink %s: the command exited with status %d", s->name,
                WEXITSTATUS(status));
    else
        vx__log(VX__LOG_WARNING, "alert sink %s: the command was killed by signal %d", s->name,
                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return VX_EIO;
}

/* Exit status 0 within the deadline; past it the whole process group is killed. */
static int reap(const vx__sink_config *s, pid_t pid, uint64_t deadline)
{
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return exit_result(s, status);
        if (r < 0 && errno != EINTR) {
            vx__log(VX__LOG_WARNING, "alert sink %s: %s", s->name, strerror(errno));
            return VX_EIO;
        }
        if (vx__mono_ms() >= deadline) {
            kill(-pid, SIGKILL); /* the whole group: sh may have started children */
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            vx__log(VX__LOG_WARNING, "alert sink %s: the command ran past %u ms and was killed",
                    s->name, s->timeout_ms);
            return VX_ETIMEDOUT;
        }
        sleep_ms(5);
    }
}

static int deliver_command(const vx__sink_config *s, const alert_item *it)
{
    uint64_t deadline = vx__mono_ms() + s->timeout_ms;
    char *body = item_body(it);
    char **env = body ? hook_env(it) : NULL;
    int fds[2] = {-1, -1}, rc = VX_ENOMEM;
    pid_t pid;
    if (env && pipe2(fds, O_CLOEXEC) != 0)
        rc = VX_EIO;
    else if (env && (rc = spawn_hook(s->command, env, fds[0], &pid)) == VX_OK) {
        close(fds[0]);
        fds[0] = -1;
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
        feed_stdin(fds[1], body, strlen(body), deadline);
        close(fds[1]);
        fds[1] = -1;
        rc = reap(s, pid, deadline);
    }
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    free_env(env);
    free(body);
    return rc;
}

/* ---- flap suppression ------------------------------------------------------------------------ */

/* An opening and a closing event have different types but the same condition. */
static const char *condition_family(vx__event_type t)
{
    switch (t) {
    case VX__EV_NS_DOWN:
    case VX__EV_NS_RECOVERED:
        return "down";
    case VX__EV_SERIAL_LAG:
        return "lag";
    case VX__EV_RESOLVER_DOWN:
        return "resolver-down";
    case VX__EV_RESOLVER_MISMATCH:
        return "resolver-mismatch";
    case VX__EV_FINDING_APPEARED:
    case VX__EV_FINDING_CLEARED:
        return "finding";
    default:
        return "record"; /* changed, added, removed, TTL, reverted */
    }
}

static char *condition_key(const vx__event *e)
{
    char *key = NULL;
    if (asprintf(&key, "%s|%s|%s|%s|%u|%s", condition_family(e->type), e->domain ? e->domain : "",
                 e->server ? e->server : "", e->name ? e->name : "", (unsigned)e->rrtype,
                 e->check ? e->check : "") < 0)
        return NULL;
    return key;
}

static flap_entry *flap_find(vx__alerter *a, const char *key)
{
    for (size_t i = 0; i < a->flap_count; i++)
        if (strcmp(a->flaps[i].key, key) == 0)
            return &a->flaps[i];
    flap_entry *bigger = realloc(a->flaps, (a->flap_count + 1) * sizeof *bigger);
    if (!bigger)
        return NULL;
    a->flaps = bigger;
    flap_entry *f = &a->flaps[a->flap_count];
    memset(f, 0, sizeof *f);
    if (!(f->key = strdup(key)))
        return NULL;
    a->flap_count++;
    return f;
}

/* Forgets conditions quiet for a whole window, so memory follows what is active. */
static void flap_sweep(vx__alerter *a, uint64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < a->flap_count; i++) {
        flap_entry *f = &a->flaps[i];
        if (now >= f->last_change_ms && now - f->last_change_ms >= a->flap_window_ms) {
            free(f->key);
            free(f->times);
            continue;
        }
        a->flaps[k++] = *f;
    }
    a->flap_count = k;
}

static void flap_prune(flap_entry *f, uint64_t now, uint32_t window)
{
    size_t drop = 0;
    while (drop < f->count && now > f->times[drop] && now - f->times[drop] >= window)
        drop++;
    if (drop == 0)
        return;
    memmove(f->times, f->times + drop, (f->count - drop) * sizeof *f->times);
    f->count -= drop;
}

static int flap_record(vx__alerter *a, flap_entry *f, uint64_t now)
{
    if (f->flapping && now >= f->last_change_ms && now - f->last_change_ms >= a->flap_window_ms) {
        f->flapping = false; /* quiet for a window: announce again from scratch */
        f->count = 0;
    }
    flap_prune(f, now, a->flap_window_ms);
    uint64_t *bigger = vx__grow(f->times, &f->cap, f->count + 1, sizeof *bigger, 8);
    if (!bigger)
        return VX_ENOMEM;
    f->times = bigger;
    f->times[f->count++] = now;
    f->last_change_ms = now;
    return VX_OK;
}

static flap_verdict flap_judge(vx__alerter *a, const vx__event *e, uint64_t now, size_t *changes)
{
    char *key = condition_key(e);
    flap_entry *f = key ? flap_find(a, key) : NULL;
    free(key);
    if (!f)
        return FLAP_SEND; /* out of memory: rather too many alerts than none */
    if (e->id != 0 && e->id <= f->last_id) {
        *changes = f->count;
        return f->last;
    }
    if (flap_record(a, f, now) != VX_OK)
        return FLAP_SEND;
    f->last_id = e->id;
    *changes = f->count;
    if (f->flapping)
        f->last = FLAP_HOLD;
    else if (f->count > a->flap_max_changes) {
        f->flapping = true;
        f->last = FLAP_SUMMARY;
    } else
        f->last = FLAP_SEND;
    return f->last;
}

/* ---- the alerter ----------------------------------------------------------------------------- */

static int copy_sink(vx__sink_config *dst, const vx__sink_config *src)
{
    *dst = *src;
    dst->name = src->name ? strdup(src->name) : NULL;
    dst->url = src->url ? strdup(src->url) : NULL;
    dst->command = src->command ? strdup(src->command) : NULL;
    bool ok =
        (dst->name || !src->name) && (dst->url || !src->url) && (dst->command || !src->command);
    return ok ? VX_OK : VX_ENOMEM;
}

/* VOXDNS_ALERT_BACKOFF_MS shortens the webhook's backoff, so tests of retries stay fast. */
static uint64_t backoff_base(void)
{
    const char *env = getenv("VOXDNS_ALERT_BACKOFF_MS");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 10) : 0;
    return env && *env && !*end && v <= BACKOFF_CAP_MS ? v : BACKOFF_BASE_MS;
}

int vx__alerter_new(const vx__monitor_config *cfg, vx__alerter **out)
{
    if (!cfg || !out)
        return VX_EINVAL;
    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    vx__alerter *a = calloc(1, sizeof *a);
    if (!a || (cfg->sink_count && !(a->sinks = calloc(cfg->sink_count, sizeof *a->sinks)))) {
        free(a);
        return VX_ENOMEM;
    }
    a->flap_window_ms = cfg->flap_window_ms;
    a->flap_max_changes = cfg->flap_max_changes;
    a->backoff_base_ms = backoff_base();
    for (; a->sink_count < cfg->sink_count; a->sink_count++) {
        if (copy_sink(&a->sinks[a->sink_count], &cfg->sinks[a->sink_count]) != VX_OK) {
            a->sink_count++; /* so free releases the partial copy */
            vx__alerter_free(a);
            return VX_ENOMEM;
        }
    }
    *out = a;
    return VX_OK;
}

void vx__alerter_free(vx__alerter *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->sink_count; i++) {
        free(a->sinks[i].name);
        free(a->sinks[i].url);
        free(a->sinks[i].command);
    }
    for (size_t i = 0; i < a->flap_count; i++) {
        free(a->flaps[i].key);
        free(a->flaps[i].times);
    }
    free(a->sinks);
    free(a->flaps);
    free(a);
}

static int deliver_sink(const vx__alerter *a, const vx__sink_config *s, const alert_item *it)
{
    switch (s->type) {
    case VX__SINK_LOG:
        return deliver_log(it);
    case VX__SINK_WEBHOOK:
        return deliver_webhook(a, s, it);
    case VX__SINK_COMMAND:
        return deliver_command(s, it);
    }
    return VX_EINVAL;
}

/* Returns VX_OK when every sink is finished with the event, else the first failure's status;
 * delivered[i] says it per sink. now_ms times the flap window. */
int vx__alerter_deliver(vx__alerter *a, const vx__event *e, uint64_t now_ms, bool *delivered)
{
    if (!a || !e || (!delivered && a->sink_count))
        return VX_EINVAL;
    alert_item it = {.e = e, .window_ms = a->flap_window_ms};
    flap_sweep(a, now_ms);
    flap_verdict v = flap_judge(a, e, now_ms, &it.changes);
    it.flapping = v == FLAP_SUMMARY;
    int first = VX_OK;
    for (size_t i = 0; i < a->sink_count; i++) {
        const vx__sink_config *s = &a->sinks[i];
        int rc = v == FLAP_HOLD || e->severity < s->min_severity ? VX_OK : deliver_sink(a, s, &it);
        delivered[i] = rc == VX_OK;
        if (rc != VX_OK && first == VX_OK)
            first = rc;
    }
    return first;
}
