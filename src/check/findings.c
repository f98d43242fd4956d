/*
 * check/findings.c — owns the findings list: adding a finding with its servers and names,
 * running every registered check with the profile's severities, the report order (areas in
 * catalogue order, worst first within an area, otherwise as produced), the worst severity and
 * clearing.
 *
 * A check that runs out of memory loses the finding it was adding (vx__finding_add returns
 * NULL and every helper accepts NULL); vx__run_checks reports VX_ENOMEM when that happened.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks_impl.h"
#include "voxdns/status.h"

/* Per thread: the monitor may run checks for several domains at once. */
static _Thread_local bool findings_oom;

static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static int reserve(vx__findings *out)
{
    if (out->count < out->cap)
        return VX_OK;
    size_t cap = out->cap ? out->cap * 2 : 16;
    vx__finding *items = realloc(out->items, cap * sizeof *items);
    if (!items)
        return VX_ENOMEM;
    out->items = items;
    out->cap = cap;
    return VX_OK;
}

vx__finding *vx__finding_add(vx__findings *out, const char *check_id, const char *fmt, ...)
{
    const vx__check_def *def = vx__check_find(check_id);
    if (!out || !def || !fmt)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    if (!msg || reserve(out) != VX_OK) {
        free(msg);
        findings_oom = true;
        return NULL;
    }
    vx__finding *f = &out->items[out->count++];
    memset(f, 0, sizeof *f);
    f->check = def->id;
    f->area = def->area;
    f->severity = def->severity;
    f->message = msg;
    return f;
}

static int strlist_add(char ***list, size_t *count, const char *s)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp((*list)[i], s) == 0)
            return VX_OK; /* each server or name is listed once */
    char **l = realloc(*list, (*count + 1) * sizeof *l);
    if (!l)
        return VX_ENOMEM;
    *list = l;
    l[*count] = strdup(s);
    if (!l[*count])
        return VX_ENOMEM;
    (*count)++;
    return VX_OK;
}

int vx__finding_add_server(vx__finding *f, const char *label)
{
    if (!f || !label)
        return VX_EINVAL;
    int rc = strlist_add(&f->servers, &f->server_count, label);
    findings_oom |= rc == VX_ENOMEM;
    return rc;
}

/* Names are stored without the trailing dot, the way reports show them. */
int vx__finding_add_name(vx__finding *f, const char *name)
{
    if (!f || !name)
        return VX_EINVAL;
    size_t n = strlen(name);
    char *copy = strdup(name);
    if (!copy)
        return VX_ENOMEM;
    if (n > 1 && copy[n - 1] == '.')
        copy[n - 1] = '\0';
    int rc = strlist_add(&f->names, &f->name_count, copy);
    free(copy);
    findings_oom |= rc == VX_ENOMEM;
    return rc;
}

static void finding_free(vx__finding *f)
{
    for (size_t i = 0; i < f->server_count; i++)
        free(f->servers[i]);
    for (size_t i = 0; i < f->name_count; i++)
        free(f->names[i]);
    free(f->servers);
    free(f->names);
    free(f->message);
}

void vx__findings_clear(vx__findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->count; i++)
        finding_free(&f->items[i]);
    free(f->items);
    memset(f, 0, sizeof *f);
}

vx__severity vx__findings_worst(const vx__findings *f)
{
    vx__severity worst = VX__SEV_INFO;
    for (size_t i = 0; f && i < f->count; i++)
        if (f->items[i].severity > worst)
            worst = f->items[i].severity;
    return worst;
}

/* a goes after b in report order. */
static bool goes_after(const vx__finding *a, const vx__finding *b)
{
    size_t ra = vx__area_rank(a->area), rb = vx__area_rank(b->area);
    return ra > rb || (ra == rb && a->severity < b->severity);
}

/* Insertion sort: stable, and lists are short (tens of findings). */
static void sort_from(vx__findings *f, size_t first)
{
    for (size_t i = first + 1; i < f->count; i++) {
        vx__finding x = f->items[i];
        size_t j = i;
        while (j > first && goes_after(&f->items[j - 1], &x)) {
            f->items[j] = f->items[j - 1];
            j--;
        }
        f->items[j] = x;
    }
}

int vx__run_checks(const vx__snapshot *snap, const vx__check_config *cfg, vx__findings *out)
{
    if (!snap || !out)
        return VX_EINVAL;
    vx__check_config dflt;
    if (!cfg) {
        vx__check_config_default(&dflt);
        cfg = &dflt;
    }
    const char *profile = cfg->profile ? cfg->profile : snap->profile;
    size_t n, first = out->count;
    const vx__check_def *defs = vx__check_registry(&n);
    findings_oom = false;
    for (size_t i = 0; i < n; i++) {
        size_t before = out->count;
        defs[i].run(snap, cfg, out);
        for (size_t k = before; k < out->count; k++)
            out->items[k].severity = vx__check_severity(&defs[i], profile);
    }
    sort_from(out, first);
    return findings_oom ? VX_ENOMEM : VX_OK;
}
