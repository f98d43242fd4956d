/*
 * model/finding.c — owns the findings list's memory: appending a finding, its server and name
 * lists (each entry once), the worst severity, clearing, and the per-thread out-of-memory note.
 */
#include "model/finding.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "voxdns/status.h"

/* Per thread: the monitor may run checks for several domains at once. */
static _Thread_local bool findings_oom;

bool vx__findings_take_oom(void)
{
    bool oom = findings_oom;
    findings_oom = false;
    return oom;
}

static int reserve(vx__findings *out)
{
    vx__finding *items = vx__grow(out->items, &out->cap, out->count + 1, sizeof *items, 16);
    if (!items)
        return VX_ENOMEM;
    out->items = items;
    return VX_OK;
}

vx__finding *vx__findings_append(vx__findings *out, const char *check, const char *area,
                                 vx__severity severity, char *message)
{
    if (!message || reserve(out) != VX_OK) {
        free(message);
        findings_oom = true;
        return NULL;
    }
    vx__finding *f = &out->items[out->count++];
    memset(f, 0, sizeof *f);
    f->check = check;
    f->area = area;
    f->severity = severity;
    f->message = message;
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
    if (!copy) {
        findings_oom = true;
        return VX_ENOMEM;
    }
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
