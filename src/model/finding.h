/*
 * model/finding.h — a finding (one check's conclusion about one domain) and the list of them: the
 * vocabulary check/ produces and report/, monitor/, store/ and http/ consume. Which checks exist,
 * their areas and default severities, is check/'s registry (check/check.h); this header only
 * holds the values.
 *
 * Ownership: a findings list owns every finding's message, server and name strings;
 * vx__findings_clear() releases them. check and area point to static strings of the registry.
 */
#ifndef VX_MODEL_FINDING_H
#define VX_MODEL_FINDING_H

#include <stdbool.h>
#include <stddef.h>

#include "model/severity.h"

typedef struct vx__finding {
    const char *check; /* the id (static string from the registry) */
    const char *area;  /* static */
    vx__severity severity;
    char *message;  /* one sentence, specific: which servers, which records, which values */
    char **servers; /* "ns1.example.net/192.0.2.1" */
    size_t server_count;
    char **names; /* owner names (and "name TYPE" where the type matters) */
    size_t name_count;
} vx__finding;

typedef struct vx__findings {
    vx__finding *items;
    size_t count;
    size_t cap;
} vx__findings;

/* Appends a finding that takes ownership of message (freed on failure). NULL when out of
 * memory; the failure is remembered for vx__findings_take_oom(). */
vx__finding *vx__findings_append(vx__findings *out, const char *check, const char *area,
                                 vx__severity severity, char *message);
/* Each server label or name is listed once; names are stored without the trailing dot. Both
 * accept f == NULL (a finding that could not be added) and return VX_EINVAL. */
int vx__finding_add_server(vx__finding *f, const char *label);
int vx__finding_add_name(vx__finding *f, const char *name);
void vx__findings_clear(vx__findings *f);
vx__severity vx__findings_worst(const vx__findings *f);
/* Whether an allocation failed in this thread since the last call (and forget it): a check that
 * runs out of memory loses the finding it was adding, and whoever runs checks reports it. */
bool vx__findings_take_oom(void);

#endif
