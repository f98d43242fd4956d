/*
 * bench/engine_bench.c — load generator on the net/ engine, the counterpart of dnsperf in
 * bench/engine: keeps N queries outstanding against one server for a set time, cycling through
 * a dnsperf-format query file ("name type" per line), and prints the rate and CPU time.
 *
 *   engine_bench SERVER QUERYFILE [SECONDS] [OUTSTANDING] [UDP_REUSE]
 *
 * UDP_REUSE > 1 selects the engine's socket-reuse mode (net/engine.h); the default, 1, gives
 * every query a fresh socket and source port.
 *
 * Output (one line, key=value, for the bench script to read):
 *   sent=N answered=N failed=N seconds=S qps=R cpu_ms_per_1000=C
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "net/engine.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/query.h"

typedef struct bench {
    uv_loop_t *loop;
    vx__engine *engine;
    struct sockaddr_storage server;
    vx__question *questions;
    size_t question_count;
    size_t next;
    uint64_t sent;
    uint64_t answered;
    uint64_t failed;
    int stopping;
    uv_timer_t stop_timer;
} bench;

static int load_queries(bench *b, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return VX_EIO;
    char line[512];
    size_t cap = 0;
    while (fgets(line, sizeof(line), f)) {
        char name[300];
        char type[32];
        uint16_t qtype;
        if (sscanf(line, "%299s %31s", name, type) != 2 || vx__rrtype_from_text(type, &qtype))
            continue;
        if (b->question_count == cap) {
            cap = cap ? cap * 2 : 64;
            vx__question *q = realloc(b->questions, cap * sizeof(*q));
            if (!q)
                break;
            b->questions = q;
        }
        if (vx__question_from_text(name, qtype, 1, &b->questions[b->question_count]) == VX_OK)
            b->question_count++;
    }
    fclose(f);
    return b->question_count ? VX_OK : VX_EINVAL;
}

static void send_one(bench *b);

static void on_answer(void *arg, const vx__query_result *r)
{
    bench *b = arg;
    if (r->status == VX_OK)
        b->answered++;
    else
        b->failed++;
    if (!b->stopping)
        send_one(b);
}

static void send_one(bench *b)
{
    vx__query_spec spec = {.server = (struct sockaddr *)&b->server,
                           .question = &b->questions[b->next++ % b->question_count],
                           .flags = 0};
    if (vx__engine_query(b->engine, &spec, on_answer, b) == VX_OK)
        b->sent++;
    else
        b->failed++;
}

static void on_stop(uv_timer_t *t)
{
    bench *b = t->data;
    b->stopping = 1;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: engine_bench SERVER QUERYFILE [SECONDS] [OUTSTANDING] [UDP_REUSE]\n");
        return 64;
    }
    bench b;
    memset(&b, 0, sizeof(b));
    socklen_t len;
    double seconds = argc > 3 ? atof(argv[3]) : 10.0;
    unsigned outstanding = argc > 4 ? (unsigned)atoi(argv[4]) : 100;
    if (vx__addr_parse(argv[1], 53, &b.server, &len) != VX_OK || load_queries(&b, argv[2])) {
        fprintf(stderr, "engine_bench: bad server address or query file\n");
        return 64;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    vx__engine_opts opts;
    vx__engine_opts_default(&opts);
    opts.max_inflight = outstanding;
    opts.max_inflight_per_server = outstanding;
    opts.udp_reuse = argc > 5 ? (unsigned)atoi(argv[5]) : 1;
    vx__engine_new(&loop, &opts, &b.engine);
    uv_timer_init(&loop, &b.stop_timer);
    b.stop_timer.data = &b;
    uv_timer_start(&b.stop_timer, on_stop, (uint64_t)(seconds * 1000), 0);
    double cpu0 = cpu_seconds();
    uint64_t t0 = uv_hrtime();
    for (unsigned i = 0; i < outstanding; i++)
        send_one(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
    double wall = (double)(uv_hrtime() - t0) / 1e9;
    double cpu = cpu_seconds() - cpu0;
    vx__engine_close(b.engine);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    printf("sent=%llu answered=%llu failed=%llu seconds=%.3f qps=%.1f cpu_ms_per_1000=%.3f\n",
           (unsigned long long)b.sent, (unsigned long long)b.answered, (unsigned long long)b.failed,
           wall, (double)b.answered / wall, b.answered ? cpu * 1e6 / (double)b.answered : 0.0);
    free(b.questions);
    return b.answered ? 0 : 1;
}
