/*
 * check/findings.c — adding a finding by check id (its area and default severity come from
 * the registry; the list itself is model/finding.h), and running every registered check with
 * the profile's severities in report order (areas in catalogue order, worst first within an
 * area, otherwise as produced).
 *
 * A check that runs out of memory loses the finding it was adding (vx__finding_add returns
 * NULL and every helper accepts NULL); vx__run_checks reports VX_ENOMEM when that happened.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

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

vx__finding *vx__finding_add(vx__findings *out, const char *check_id, const char *fmt, ...)
{
    const vx__check_def *def = vx__check_find(check_id);
    if (!out || !def || !fmt)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    return vx__findings_append(out, def->id, def->area, def->severity, msg);
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
    (void)vx__findings_take_oom();
    /* One view for every check (they only read it); without one, each builds its own. */
    vx__view view;
    bool shared = vx__check_view_build(snap, cfg->profile, &view) == VX_OK;
    if (shared)
        vx__check_view_share(&view);
    for (size_t i = 0; i < n; i++) {
        size_t before = out->count;
        defs[i].run(snap, cfg, out);
        for (size_t k = before; k < out->count; k++)
            out->items[k].severity = vx__check_severity(&defs[i], profile);
    }
    if (shared) {
        vx__check_view_share(NULL);
        vx__view_free(&view);
    }
    sort_from(out, first);
    return vx__findings_take_oom() ? VX_ENOMEM : VX_OK;
}
