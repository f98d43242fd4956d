/*
 * report/report.h — what the audit shows: one snapshot, its findings and the outage survival,
 * written as text for a terminal, as JSON (schema "voxdns.audit/1", CHECKS.md) or as one
 * self-contained HTML page with inline SVG charts. Pure functions of their input: no I/O.
 *
 * Ownership: the input is borrowed; every function returning char * returns a malloc'd,
 * NUL-terminated string the caller frees, or NULL when memory ran out.
 */
#ifndef VX_REPORT_REPORT_H
#define VX_REPORT_REPORT_H

#include <stdbool.h>

#include "check/check.h"
#include "check/providers.h"
#include "model/snapshot.h"

#define VX__AUDIT_SCHEMA "voxdns.audit/1"

typedef struct vx__report_input {
    const vx__snapshot *snap;
    const vx__findings *findings;
    const vx__survival *survival;           /* NULL when not computed */
    const char *profile;                    /* NULL: the snapshot's */
    const vx__provider_map *providers;      /* NULL: inferred (no declarations, no ASN database) */
    const vx__provider_map *live_providers; /* --ns: snap->live's; NULL: inferred */
} vx__report_input;

/* For people: findings grouped by area in catalogue order, worst first, each with its remedy;
 * the outage survival; a one-line summary. ANSI colour only when colour is set (a tty). */
char *vx__report_text(const vx__report_input *in, bool colour);
/* `voxdns audit --json`: exactly the shape of CHECKS.md, keys in its order. */
char *vx__report_json(const vx__report_input *in);
/* One page, no external assets, no script: findings, survival curve, server latency, chain. */
char *vx__report_html(const vx__report_input *in);

/* The monitoring-plugin convention: 0 nothing above notice, 1 worst is a warning, 2 worst is
 * an error or critical. (3 "could not run" and 64 "usage" are the CLI's to give.) */
int vx__report_exit_status(const vx__findings *f);

#endif
