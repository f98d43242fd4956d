/*
 * tests/fuzz/fuzz_watch_plan.c — libFuzzer target for the stored form of a watch plan
 * (probe/watch.c, vx__watch_plan_decode): the monitor reads it back from the store at start.
 * Aborts when an accepted plan points outside its names or the server table, or when encoding
 * it again and decoding that does not give the same questions.
 */
#include <stdlib.h>
#include <string.h>

#include "probe/watch.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plan(const vx__watch_plan *p, const vx__watch_servers *t)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->q[i].server >= t->count || p->q[i].qname >= p->names_len)
            abort();
}

static void check_round_trip(const vx__watch_plan *p, vx__watch_servers *t, uint64_t key)
{
    char *text = vx__watch_plan_encode(p, t, key);
    vx__watch_plan *again = NULL;
    uint64_t k2 = 0;
    if (!text)
        return; /* out of memory only */
    if (vx__watch_plan_decode(text, strlen(text), t, &again, &k2) != VX_OK || k2 != key ||
        again->count != p->count)
        abort();
    for (size_t i = 0; i < p->count; i++)
        if (again->q[i].fingerprint != p->q[i].fingerprint ||
            again->q[i].server != p->q[i].server ||
            strcmp(vx__watch_qname(again, &again->q[i]), vx__watch_qname(p, &p->q[i])) != 0)
            abort();
    vx__watch_plan_free(again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    vx__watch_plan *p = NULL;
    uint64_t key = 0;
    if (vx__watch_plan_decode((const char *)data, size, &t, &p, &key) == VX_OK) {
        check_plan(p, &t);
        check_round_trip(p, &t, key);
        vx__watch_plan_free(p);
    } else if (p) {
        abort();
    }
    vx__watch_servers_clear(&t);
    return 0;
}
