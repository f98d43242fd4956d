/*
 * monitor/daemon.c — the monitor daemon's lifecycle: configuration, store, HTTP server, alert
 * thread, the cycle timer that staggers domains over the start of each interval, signals
 * (SIGHUP reload, SIGTERM/SIGINT stop), and `voxdns baseline accept`. One domain's work is in
 * cycle.c.
 */
#include "monitor/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "monitor/alert.h"
#include "monitor/cycle.h"
#include "monitor/prop_driver.h"
#include "probe/hints.h"
#include "model/snapshot.h"
#include "voxdns/status.h"
#include "wire/name.h"

#define EXIT_CANNOT_RUN 3
#define EXIT_CANTCREAT 73 /* sysexits: the store cannot be created or written */
#define EXIT_IOERR 74     /* sysexits: an I/O error on the store */
/* What the daemon keeps in memory for a failing store (pending.h). */
#define PENDING_MAX_CYCLES 10000u
#define PENDING_MAX_BYTES (256u << 20)
/* Baselines deflated with their conditions (~6 KB of heap for a generated SIP domain): about
 * 11,000 domains. */
#define MEMO_MAX_BYTES (64u << 20)
#define STAGGER_TICK_MS 20u
#define STAGGER_MAX_MS 30000u
/* Domains probed at once: enough to keep the engine's 4096 queries in flight busy, few enough
 * that memory stays bounded (each holds its audit and snapshot until committed). */
#define MAX_DOMAINS_IN_FLIGHT 512u
/* Of those, audited in full: an audit holds its snapshot, queries and TCP connections while it
 * runs, and a first cycle (every domain audited) is CPU-bound, so more at once only wait
 * longer. 5,000 lab domains' first cycle (release build, two runs each, load 0.7-2.8): 512 at once
 * 57.1/65.5 s, CPU 54.5/55.8 s, max RSS 178/177 MiB; 128: 56.3/64.0 s, CPU 49.6/51.1 s,
 * 147/146 MiB; 64: 52.0/61.5 s, CPU 46.4/49.3 s, 137/136 MiB. Not 64: the lab answers at
 * once, but on the Internet an audit waits on far servers (a silent SIP target alone takes
 * 3 s), and 128 still keeps ~40 of those a second going. Domains start in order: a quiet
 * watch waits only when an audit is next in line and 128 run. */
#define MAX_AUDITS_IN_FLIGHT 128u

/* --- inputs the configuration names --------------------------------------------------------- */

static int load_hints(const vx__monitor_config *cfg, vx__server_set *out)
{
    char err[512];
    vx__server_set_init(out);
    int rc =
        cfg->hints ? vx__hints_load(cfg->hints, out, err, sizeof(err)) : vx__hints_builtin(out);
    if (rc != VX_OK)
        vx__log(VX__LOG_ERROR, "root hints: %s", cfg->hints ? err : vx_strerror(rc));
    return rc;
}

static int load_asndb(const vx__monitor_config *cfg, vx__asndb **out)
{
    char err[512];
    int rc = vx__asndb_load_file(cfg->asn_db, out, err, sizeof(err));
    if (rc != VX_OK)
        vx__log(VX__LOG_ERROR, "asn_db %s", err);
    return rc;
}

/* The SIP targets' observing TLS context (system store plus ca_file), made once: a reload that
 * changes endpoints or ca_file takes effect after a restart, like the store. */
static int load_tls(vx__daemon_state *d)
{
    const vx__tls_auth auth = {.ca_file = d->cfg->ca_file, .observe = true};
    if (!d->cfg->endpoints)
        return VX_OK;
    int rc = vx__tls_ctx_new(&auth, &d->tls);
    if (rc == VX_EIO)
        vx__log(VX__LOG_ERROR, "ca_file %s: %s: not a readable PEM file of CA certificates",
                d->cfg->ca_file ? d->cfg->ca_file : "", d->cfg->ca_file ? d->cfg->ca_file : "");
    else if (rc != VX_OK)
        vx__log(VX__LOG_ERROR, "ca_file %s: %s", d->cfg->ca_file ? d->cfg->ca_file : "",
                vx_strerror(rc));
    return rc;
}

/* A sink the store has not seen starts after the events already stored: an alert sink added to
 * a running installation is not flooded with its whole history. Done on the loop thread, which
 * is the one that commits, so no event can slip in between. */
static void register_sinks(vx__daemon_state *d, const vx__monitor_config *cfg)
{
    uint64_t now = (uint64_t)time(NULL) * 1000u;
    for (size_t i = 0; i < cfg->sink_count; i++)
        if (vx__store_register_sink(d->store, cfg->sinks[i].name, now) != VX_OK)
            vx__log(VX__LOG_ERROR, "alert sink %s: %s", cfg->sinks[i].name,
                    vx__store_last_error(d->store));
}

static int start_http(vx__daemon_state *d)
{
    char err[512];
    vx__http_opts o = {.listen = d->cfg->listen,
                       .token = d->cfg->token,
                       .store_url = d->cfg->store,
                       .metrics = d->metrics,
                       .asn_db = d->cfg->asn_db,
                       .limits = &d->cfg->http};
    int rc = vx__http_start(&o, &d->http, err, sizeof(err));
    if (rc != VX_OK) {
        vx__log(VX__LOG_ERROR, "http %s: %s", d->cfg->listen, err);
        return rc;
    }
    const vx__http_limits *l = vx__http_limits_in_use(d->http);
    if (l->max_connections < d->cfg->http.max_connections)
        vx__log(VX__LOG_WARNING,
                "http: max_connections lowered from %u to %u: the process may not open more "
                "descriptors (raise its limit, e.g. LimitNOFILE=)",
                d->cfg->http.max_connections, l->max_connections);
    vx__log(VX__LOG_INFO, "serving metrics, API and dashboard on http://%s/", d->cfg->listen);
    return rc;
}

/* --- cycles --------------------------------------------------------------------------------- */

/* CPU seconds of the whole process so far (every thread: the alert and HTTP threads too). */
static double process_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Starts the domains that are due, as long as fewer than MAX_DOMAINS_IN_FLIGHT are running
 * (and, for a domain to be audited in full, fewer than MAX_AUDITS_IN_FLIGHT audits). A domain
 * that fails to start is done at once and calls back here: the outer loop goes on. */
static void start_due_domains(vx__daemon_state *d)
{
    if (d->starting)
        return;
    d->starting = true;
    while (d->next_domain < d->due_domains && d->in_flight < MAX_DOMAINS_IN_FLIGHT &&
           !d->stopping) {
        if (d->audits_in_flight >= MAX_AUDITS_IN_FLIGHT && vx__cycle_wants_audit(d, d->next_domain))
            break; /* in order: the next one starts when an audit is done */
        d->in_flight++;
        vx__cycle_start_domain(d, d->next_domain++);
    }
    d->starting = false;
}

static void on_stagger(uv_timer_t *t)
{
    vx__daemon_state *d = t->data;
    size_t n = d->cfg->domain_count;
    d->due_domains = n - d->due_domains > d->stagger_batch ? d->due_domains + d->stagger_batch : n;
    start_due_domains(d);
    if (d->due_domains >= n || d->stopping)
        uv_timer_stop(&d->stagger_timer);
}

/* RTT samples past rtt_retention go, a bounded batch per cycle (a few cycles' worth), so that
 * turning retention on for a large old store does not stall one cycle. */
static void prune_history(vx__daemon_state *d)
{
    uint64_t keep = d->cfg->rtt_retention_ms, now = (uint64_t)time(NULL) * 1000u;
    size_t limit = d->cfg->domain_count * 64u + 10000u;
    if (keep == 0 || now <= keep)
        return;
    if (d->pending.count)
        return; /* the store is failing: no point */
    if (vx__store_prune_rtt(d->store, now - keep, limit) != VX_OK) {
        vx__cycle_store_failed(d);
        vx__log(VX__LOG_ERROR, "old RTT samples not deleted: %s", vx__store_last_error(d->store));
    }
}

/* The daemon's engine and the watch threads' engines together. Totals only grow: once the
 * watch pool is stopped (SIGTERM during a cycle) its last totals stand in for it, or the cycle's
 * count would go below its start (an unsigned underflow). */
void vx__daemon_totals(const vx__daemon_state *d, vx__engine_stats *out)
{
    vx__engine_stats w = d->watch_stats_final;
    vx__engine_get_stats(d->engine, out);
    if (d->watch_pool)
        vx__watch_pool_get_stats(d->watch_pool, &w);
    out->queries += w.queries;
    out->sent += w.sent;
}

static void start_cycle(uv_timer_t *t)
{
    vx__daemon_state *d = t->data;
    if (d->stopping)
        return;
    if (d->cycle_running) {
        vx__log(VX__LOG_WARNING, "cycle %lu still running after the interval: skipping one",
                d->cycles);
        return;
    }
    size_t n = d->cfg->domain_count;
    d->cycle_running = true;
    d->cycle_events = 0;
    d->cycle_quiet = 0;
    d->cycle_audited = 0;
    d->cycle_started_ns = uv_hrtime();
    d->cycle_started_cpu_s = process_cpu_s();
    vx__daemon_totals(d, &d->cycle_started_stats);
    d->next_domain = 0;
    d->due_domains = 0;
    d->in_flight = 0;
    d->domains_pending = n;
    /* Spread the domains over the first tenth of the interval, so that no server sees every
     * domain's questions at the same instant. A one-shot run starts them all at once. */
    uint64_t spread = d->max_cycles ? 0 : d->cfg->interval_ms / 10;
    spread = spread > STAGGER_MAX_MS ? STAGGER_MAX_MS : spread;
    uint64_t ticks = spread / STAGGER_TICK_MS;
    d->stagger_batch = ticks > 1 ? (n + ticks - 1) / ticks : n;
    if (d->stagger_batch == 0)
        d->stagger_batch = 1;
    if (n == 0) {
        d->domains_pending = 1;
        vx__cycle_domain_done(d);
        return;
    }
    uv_timer_start(&d->stagger_timer, on_stagger, 0, STAGGER_TICK_MS);
}

static void stop_daemon(vx__daemon_state *d);

void vx__cycle_domain_done(vx__daemon_state *d)
{
    if (d->in_flight > 0) {
        d->in_flight--;
        start_due_domains(d);
    }
    if (d->domains_pending == 0 || --d->domains_pending > 0)
        return;
    d->cycle_running = false;
    d->cycles++;
    vx__cycle_flush_rtt(d);
    vx__cycle_flush_pending(d);
    prune_history(d);
    vx__engine_stats st;
    vx__daemon_totals(d, &st);
    vx__log(VX__LOG_INFO,
            "cycle %lu: %zu domains in %.0f ms, %lu events (%lu quiet, %lu audited in full), "
            "%llu queries, %llu sent, CPU %.1f s",
            d->cycles, d->cfg->domain_count, (double)(uv_hrtime() - d->cycle_started_ns) / 1e6,
            d->cycle_events, d->cycle_quiet, d->cycle_audited,
            (unsigned long long)(st.queries - d->cycle_started_stats.queries),
            (unsigned long long)(st.sent - d->cycle_started_stats.sent),
            process_cpu_s() - d->cycle_started_cpu_s);
    if (d->max_cycles && d->cycles >= d->max_cycles && !d->stopping) {
        if (d->alerts)
            vx__alert_worker_flush(d->alerts);
        stop_daemon(d);
    } else if (d->max_cycles && !d->stopping) {
        /* A counted run (--cycles) starts the next cycle at once instead of waiting. */
        uv_timer_stop(&d->cycle_timer);
        uv_timer_start(&d->cycle_timer, start_cycle, 0, d->cfg->interval_ms);
    }
}

/* --- signals -------------------------------------------------------------------------------- */

static void keep_config(vx__daemon_state *d, vx__monitor_config *old)
{
    vx__monitor_config **list = realloc(d->old_cfgs, (d->old_cfg_count + 1) * sizeof(*list));
    if (!list) {
        return; /* leaking one configuration is better than freeing one still in use */
    }
    d->old_cfgs = list;
    d->old_cfgs[d->old_cfg_count++] = old;
}

static void reload(vx__daemon_state *d, const char *path)
{
    vx__monitor_config *next = NULL;
    char err[1024];
    if (vx__monitor_config_load(path, &next, err, sizeof(err)) != VX_OK) {
        vx__log(VX__LOG_ERROR, "reload refused, keeping the running configuration: %s", err);
        return;
    }
    vx__server_set hints;
    vx__asndb *asndb = NULL;
    if (load_hints(next, &hints) != VX_OK || load_asndb(next, &asndb) != VX_OK) {
        vx__server_set_clear(&hints);
        vx__monitor_config_free(next);
        return;
    }
    if (strcmp(next->store, d->cfg->store) != 0 || strcmp(next->listen, d->cfg->listen) != 0 ||
        next->server_rate != d->cfg->server_rate || next->watch_threads != d->cfg->watch_threads ||
        memcmp(&next->http, &d->cfg->http, sizeof next->http) != 0 ||
        next->endpoints != d->cfg->endpoints ||
        strcmp(next->ca_file ? next->ca_file : "", d->cfg->ca_file ? d->cfg->ca_file : "") != 0 ||
        next->notify_listen_count != d->cfg->notify_listen_count ||
        (next->notify_listen_count &&
         memcmp(next->notify_listen, d->cfg->notify_listen,
                next->notify_listen_count * sizeof *next->notify_listen) != 0))
        vx__log(VX__LOG_WARNING, "store, listen, http, server_rate, watch_threads, endpoints, "
                                 "ca_file and notify_listen changes take effect after a restart");
    /* Audits in flight keep pointing into the old configuration and hints: keep them. */
    keep_config(d, d->cfg);
    register_sinks(d, next);
    vx__cycle_keep_plans(d, d->cfg, next);
    vx__prop_driver_keep(d->prop, next);
    d->cfg = next;
    vx__server_set_clear(&d->hints); /* walks copy the hints they start from */
    d->hints = hints;
    vx__asndb_free(d->asndb);
    d->asndb = asndb;
    vx__log_level level = VX__LOG_INFO;
    if (vx__log_level_from_name(next->log_level, &level) == VX_OK)
        vx__log_set_level(level);
    if (d->alerts)
        vx__alert_worker_set_config(d->alerts, next);
    vx__log(VX__LOG_NOTICE, "configuration reloaded: %zu domains", next->domain_count);
}

static void on_signal(uv_signal_t *s, int signum)
{
    vx__daemon_state *d = s->data;
    if (signum == SIGHUP) {
        reload(d, d->cfg->path);
        return;
    }
    vx__log(VX__LOG_NOTICE, "signal %d: stopping", signum);
    stop_daemon(d);
}

static void stop_daemon(vx__daemon_state *d)
{
    if (d->stopping)
        return;
    d->stopping = true;
    vx__daemon_stop_watches(d);
    uv_timer_stop(&d->cycle_timer);
    uv_timer_stop(&d->stagger_timer);
    uv_close((uv_handle_t *)&d->cycle_timer, NULL);
    uv_close((uv_handle_t *)&d->stagger_timer, NULL);
    uv_close((uv_handle_t *)&d->sig_hup, NULL);
    uv_close((uv_handle_t *)&d->sig_term, NULL);
    uv_close((uv_handle_t *)&d->sig_int, NULL);
    vx__notify_intake_stop(d->notify);
    d->notify = NULL;
    vx__prop_driver_stop(d->prop);
    /* Audits, resolver questions and SIP pings in flight (net/sip_ping.h) end inside the close,
     * cancelled and not recorded: no cycle hears from the engine after it. */
    vx__engine_close(d->engine);
    d->engine = NULL;
}

void vx__daemon_stop_watches(vx__daemon_state *d)
{
    if (d->watch_pool)
        vx__watch_pool_get_stats(d->watch_pool, &d->watch_stats_final);
    vx__watch_pool_stop(d->watch_pool); /* its callbacks run here and abandon their cycles */
    d->watch_pool = NULL;
}

/* --- setup and teardown --------------------------------------------------------------------- */

static void start_signal(vx__daemon_state *d, uv_signal_t *s, int signum)
{
    uv_signal_init(&d->loop, s);
    s->data = d;
    uv_signal_start(s, on_signal, signum);
}

/* A monitor that cannot write its store would alert and forget: it refuses to start, with the
 * reason and a sysexits status (73: cannot create or write, 74: I/O error). */
static int open_store(vx__daemon_state *d)
{
    char err[1024];
    vx__store_fault fault = VX__STORE_FAULT_NONE;
    if (vx__store_open_writable(d->cfg->store, &d->store, &fault, err, sizeof(err)) == VX_OK)
        return 0;
    vx__log(VX__LOG_ERROR, "store %s cannot be written: %s", d->cfg->store, err);
    return fault == VX__STORE_FAULT_CREATE ? EXIT_CANTCREAT
           : fault == VX__STORE_FAULT_IO   ? EXIT_IOERR
                                           : EXIT_CANNOT_RUN;
}

static int open_resources(vx__daemon_state *d)
{
    char err[1024];
    if (load_hints(d->cfg, &d->hints) != VX_OK || load_asndb(d->cfg, &d->asndb) != VX_OK ||
        load_tls(d) != VX_OK)
        return VX__EXIT_CONFIG;
    int status = open_store(d);
    if (status != 0)
        return status;
    register_sinks(d, d->cfg);
    vx__pending_init(&d->pending, PENDING_MAX_CYCLES, PENDING_MAX_BYTES, vx__cycle_pending_dropped,
                     d);
    if (!(d->metrics = vx__metrics_new()) || !(d->memo = vx__memo_new(MEMO_MAX_BYTES)))
        return EXIT_CANNOT_RUN;
    vx__cycle_drop_plans(d, d->cfg->domain_count);
    vx__cycle_load_plans(d);
    if (!d->max_cycles && start_http(d) != VX_OK)
        return EXIT_CANNOT_RUN;
    if (vx__alert_worker_start(d->cfg, &d->alerts, err, sizeof(err)) != VX_OK) {
        vx__log(VX__LOG_ERROR, "alerts: %s", err);
        return EXIT_CANNOT_RUN;
    }
    vx__alert_worker_wake(d->alerts); /* deliver what a previous run left undelivered */
    return 0;
}

static int start_loop(vx__daemon_state *d)
{
    vx__engine_opts eopts;
    vx__engine_opts_default(&eopts);
    /* Many domains share a few providers' servers: more in flight overall, a polite rate per
     * server, and sockets reused for a few queries to the same server. */
    eopts.max_inflight = 4096;
    eopts.server_rate = d->cfg->server_rate; /* 0: no limit */
    eopts.server_burst = 200;
    eopts.udp_reuse = 32;
    if (vx__engine_new(&d->loop, &eopts, &d->engine) != VX_OK)
        return EXIT_CANNOT_RUN;
    /* The watches run on one thread per core (or watch_threads), each with its own engine: the
     * per-server rate is shared out between them. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned workers = cores < 1 ? 1u : cores > 8 ? 8u : (unsigned)cores;
    if (d->cfg->watch_threads)
        workers = d->cfg->watch_threads;
    if (eopts.server_rate > 0)
        eopts.server_rate = eopts.server_rate / workers > 1 ? eopts.server_rate / workers : 1;
    eopts.server_burst = eopts.server_burst / workers > 1 ? eopts.server_burst / workers : 1;
    /* A watch is a burst of questions to a few addresses: longer socket reuse (each socket still
     * carries one query at a time, to one server, for at most 2 s) spares socket churn. */
    eopts.udp_reuse = 16;
    if (vx__watch_pool_start(&d->loop, workers, &eopts, &d->watch_pool) != VX_OK)
        return EXIT_CANNOT_RUN;
    uv_timer_init(&d->loop, &d->cycle_timer);
    uv_timer_init(&d->loop, &d->stagger_timer);
    d->cycle_timer.data = d->stagger_timer.data = d;
    start_signal(d, &d->sig_hup, SIGHUP);
    start_signal(d, &d->sig_term, SIGTERM);
    start_signal(d, &d->sig_int, SIGINT);
    if (vx__prop_driver_new(d, &d->prop) != VX_OK ||
        (d->cfg->notify_listen_count &&
         vx__notify_intake_start(&d->loop, &d->cfg, vx__prop_driver_notified, d->prop,
                                 &d->notify) != VX_OK)) {
        stop_daemon(d);
        return EXIT_CANNOT_RUN;
    }
    uv_timer_start(&d->cycle_timer, start_cycle, 0, d->cfg->interval_ms);
    vx__log(VX__LOG_NOTICE, "monitoring %zu domains every %u s, store %s", d->cfg->domain_count,
            d->cfg->interval_ms / 1000u, vx__store_backend(d->store));
    uv_run(&d->loop, UV_RUN_DEFAULT);
    return 0;
}

/* Cycles the store never took are gone with the process: said, with every event (each was
 * alerted). */
static void report_unstored(vx__daemon_state *d)
{
    vx__pending_cycle *p;
    if (d->pending.count)
        vx__log(VX__LOG_ERROR,
                "store still failing at exit: %zu cycles with %zu events are lost "
                "(they were alerted): %s",
                d->pending.count, d->pending.events, vx__store_last_error(d->store));
    while ((p = vx__pending_head(&d->pending))) {
        for (size_t i = 0; i < p->events.count; i++) {
            char *line = vx__alert_log_line(&p->events.items[i]);
            if (line)
                vx__log(VX__LOG_ERROR, "event never stored: %s", line);
            free(line);
        }
        vx__pending_pop(&d->pending);
    }
}

static void release(vx__daemon_state *d)
{
    if (d->store) {
        vx__cycle_flush_rtt(d);
        vx__cycle_flush_pending(d);
    }
    free(d->rtt_batch.rows);
    vx__cycle_drop_plans(d, 0);
    vx__watch_servers_clear(&d->watch_servers);
    vx__http_stop(d->http);
    vx__alert_worker_stop(d->alerts);
    d->alerts = NULL;
    report_unstored(d);
    vx__pending_clear(&d->pending);
    vx__memo_free(d->memo);
    vx__store_close(d->store);
    vx__metrics_free(d->metrics);
    vx__asndb_free(d->asndb);
    vx__tls_ctx_free(d->tls);
    vx__prop_driver_free(d->prop);
    vx__server_set_clear(&d->hints);
    for (size_t i = 0; i < d->old_cfg_count; i++)
        vx__monitor_config_free(d->old_cfgs[i]);
    free(d->old_cfgs);
    vx__monitor_config_free(d->cfg);
}

int vx__daemon_run(const vx__daemon_opts *opts)
{
    vx__daemon_state *d = calloc(1, sizeof(*d));
    char err[1024];
    if (!d)
        return EXIT_CANNOT_RUN;
    d->max_cycles = opts->once ? 1 : opts->cycles;
    d->jitter_state = (uint64_t)time(NULL) * 2654435761u | 1u;
    if (vx__monitor_config_load(opts->config_path, &d->cfg, err, sizeof(err)) != VX_OK) {
        fprintf(stderr, "%s\n", err);
        free(d);
        return VX__EXIT_CONFIG;
    }
    vx__log_level level = VX__LOG_INFO;
    if (vx__log_level_from_name(d->cfg->log_level, &level) == VX_OK)
        vx__log_set_level(level);
    int status = uv_loop_init(&d->loop) == 0 ? 0 : EXIT_CANNOT_RUN;
    if (status == 0)
        status = open_resources(d);
    if (status == 0)
        status = start_loop(d);
    else if (d->engine == NULL)
        uv_run(&d->loop, UV_RUN_DEFAULT);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    uv_loop_close(&d->loop);
    release(d);
    free(d);
    return status;
}

/* --- baseline accept ------------------------------------------------------------------------ */

int vx__baseline_accept(const char *config_path, const char *domain, char *err, size_t errcap)
{
    vx__monitor_config *cfg = NULL;
    vx__store *store = NULL;
    char name[VX__NAME_TEXT_MAX];
    char *json = NULL;
    int64_t id = 0;
    int rc = vx__monitor_config_load(config_path, &cfg, err, errcap);
    if (rc != VX_OK)
        return VX__EXIT_CONFIG;
    if (vx__name_normalize(domain, name, sizeof(name)) != VX_OK || strcmp(name, ".") == 0) {
        snprintf(err, errcap, "invalid domain name '%s'", domain);
        rc = VX_EINVAL;
    } else {
        name[strlen(name) - 1] = '\0'; /* the store keeps names without the trailing dot */
    }
    if (rc == VX_OK)
        rc = vx__store_open(cfg->store, &store, err, errcap);
    if (rc == VX_OK && (rc = vx__store_latest_snapshot(store, name, &json, &id)) == VX_OK &&
        !json) {
        snprintf(err, errcap, "no snapshot of %s in %s yet: let the monitor run a cycle first",
                 name, cfg->store);
        rc = VX_ENOTFOUND;
    }
    if (rc == VX_OK)
        rc = vx__store_set_baseline(store, name, json, (uint64_t)time(NULL) * 1000u);
    if (rc == VX_OK)
        snprintf(err, errcap, "accepted snapshot %lld of %s as the baseline", (long long)id, name);
    free(json);
    vx__store_close(store);
    vx__monitor_config_free(cfg);
    return rc == VX_OK ? 0 : rc == VX_EINVAL ? 64 : EXIT_CANNOT_RUN;
}
