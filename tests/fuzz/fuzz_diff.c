/*
 * tests/fuzz/fuzz_diff.c — libFuzzer target for the monitor's diff against its baseline
 * (monitor/diff.c vx__diff_cycle): the baseline and the cycle's snapshot are saved snapshots
 * from the store, and the open conditions are rows read back from it, whose JSON details the
 * diff json_loads. The input is
 *
 *   BASELINE JSON \n---\n CURRENT JSON \n---\n ROWS
 *
 * with one row per line: "C\tKEY\tEVENT-TYPE\tFIRST_MS\tLAST_MS\tDETAIL" (a stored condition)
 * or "F\tCHECK\tSERVER,SERVER\tNAME,NAME" (a finding of this cycle). The current snapshot's
 * RESOLVE observations are a watched resolver's answers. The diff runs twice, the second time
 * five minutes later over the conditions the first left, as the daemon does. Beyond ASan/UBSan
 * findings it aborts when a cycle fails on anything but memory, an event has no type name or
 * no API JSON, or the second cycle, which sees exactly what the first saw, emits an event
 * (quiet cycles are silent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check/check.h"
#include "model/event.h"
#include "model/finding.h"
#include "model/snapshot.h"
#include "monitor/diff.h"
#include "voxdns/status.h"

#define SEP "\n---\n"
#define T0 1700000000000ull
#define CYCLE_MS 300000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_world {
    vx__snapshot *base, *cur;
    vx__conditions open;
    vx__findings findings;
    vx__observation *res_obs; /* shallow copies of cur's RESOLVE observations */
    size_t res_count;
} fuzz_world;

/* The next tab-separated field of line (NUL-terminated in place); "" past the end. */
static char *field(char **line)
{
    char *f = *line;
    char *tab = strchr(f, '\t');
    if (tab) {
        *tab = '\0';
        *line = tab + 1;
    } else {
        *line = f + strlen(f);
    }
    return f;
}

static void add_condition(fuzz_world *w, char *line)
{
    vx__condition c = {0};
    c.key = field(&line);
    if (vx__event_type_from_name(field(&line), &c.opened_by) != VX_OK)
        c.opened_by = VX__EV_FINDING_APPEARED;
    c.first_seen_ms = strtoull(field(&line), NULL, 10);
    c.last_seen_ms = strtoull(field(&line), NULL, 10);
    c.event_id = 1;
    c.detail = line;
    vx__conditions_put(&w->open, &c);
}

/* Comma-separated items, each added by add (which copies). */
static void add_list(vx__finding *f, char *list, int (*add)(vx__finding *, const char *))
{
    for (char *save = NULL, *item = strtok_r(list, ",", &save); item;
         item = strtok_r(NULL, ",", &save))
        add(f, item);
}

static void add_finding(fuzz_world *w, char *line)
{
    const vx__check_def *def = vx__check_find(field(&line));
    if (!def)
        return; /* the registry's ids only: a finding's check is a static string */
    char *msg = strdup("fuzz finding");
    if (!msg)
        return;
    vx__finding *f = vx__findings_append(&w->findings, def->id, def->area, VX__SEV_WARNING, msg);
    if (!f)
        return;
    add_list(f, field(&line), vx__finding_add_server);
    add_list(f, field(&line), vx__finding_add_name);
}

static void parse_rows(fuzz_world *w, char *rows)
{
    for (char *save = NULL, *line = strtok_r(rows, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "C\t", 2) == 0)
            add_condition(w, line + 2);
        else if (strncmp(line, "F\t", 2) == 0)
            add_finding(w, line + 2);
    }
}

static void collect_resolver(fuzz_world *w)
{
    w->res_obs = calloc(w->cur->obs_count ? w->cur->obs_count : 1, sizeof *w->res_obs);
    for (size_t i = 0; w->res_obs && i < w->cur->obs_count; i++)
        if (w->cur->obs[i].kind == VX__PROBE_RESOLVE)
            w->res_obs[w->res_count++] = w->cur->obs[i];
}

static void check_events(const vx__events *ev)
{
    for (size_t i = 0; i < ev->count; i++) {
        if (!vx__event_type_name(ev->items[i].type))
            abort();
        char *text = vx__event_to_json(&ev->items[i]);
        json_t *j = text ? json_loads(text, 0, NULL) : NULL;
        if (text && !j)
            abort(); /* the API would serve it */
        json_decref(j);
        free(text);
    }
}

/* One cycle at now; VX_OK or VX_ENOMEM (then the caller stops). */
static int cycle(fuzz_world *w, uint64_t now, uint64_t prev, vx__events *ev)
{
    vx__diff_config cfg = {0};
    vx__resolver_obs res = {"192.0.2.99", VX_OK, w->res_obs, w->res_count};
    vx__diff_input in = {.baseline = w->base,
                         .current = w->cur,
                         .findings = &w->findings,
                         .resolvers = &res,
                         .resolver_count = w->res_obs ? 1 : 0,
                         .now_ms = now,
                         .prev_cycle_ms = prev,
                         .cfg = &cfg};
    int rc = vx__diff_cycle(&in, &w->open, ev);
    if (rc != VX_OK && rc != VX_ENOMEM)
        abort();
    if (rc == VX_OK)
        check_events(ev);
    return rc;
}

static void run(fuzz_world *w)
{
    vx__events first = {0}, second = {0};
    collect_resolver(w);
    if (cycle(w, T0, T0 - CYCLE_MS, &first) == VX_OK &&
        cycle(w, T0 + CYCLE_MS, T0, &second) == VX_OK && second.count != 0)
        abort(); /* nothing changed since the first cycle */
    vx__events_clear(&first);
    vx__events_clear(&second);
}

static vx__snapshot *load(const char *text, size_t len)
{
    char err[256];
    vx__snapshot *s = NULL;
    if (vx__snapshot_from_json(text, len, &s, err, sizeof err) != VX_OK)
        return NULL;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *cur = strstr(text, SEP);
    char *rows = cur ? strstr(cur + strlen(SEP), SEP) : NULL;
    fuzz_world w = {0};
    if (rows) {
        cur += strlen(SEP);
        rows += strlen(SEP);
        w.base = load(text, (size_t)(cur - strlen(SEP) - text));
        w.cur = w.base ? load(cur, (size_t)(rows - strlen(SEP) - cur)) : NULL;
    }
    if (w.cur) {
        parse_rows(&w, rows);
        run(&w);
    }
    free(w.res_obs);
    vx__findings_clear(&w.findings);
    vx__conditions_clear(&w.open);
    vx__snapshot_free(w.cur);
    vx__snapshot_free(w.base);
    free(text);
    return 0;
}
