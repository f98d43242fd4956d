/*
 * check/check.h — the check catalogue (CHECKS.md): one pure function per check id, registered
 * in one table with its id, area, default severity, title and remedy; profiles that raise or
 * lower severities; and the findings the checks produce. Checks read a snapshot and a
 * configuration and never do I/O: the audit and the monitor run the same checks, live or on a
 * snapshot saved earlier.
 */
#ifndef VX_CHECK_CHECK_H
#define VX_CHECK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/asndb.h"
#include "model/finding.h"
#include "model/severity.h"
#include "model/snapshot.h"

/* Thresholds a user can set; vx__check_config_default() gives CHECKS.md's defaults. */
typedef struct vx__check_config {
    const char *profile;     /* "generic" (default), "lync", "teams", "enum" */
    double slow_ms;          /* NS-SLOW: median RTT above this (500) */
    uint32_t ttl_min;        /* TTL-TOO-SHORT below this (300 s) */
    uint32_t ttl_max;        /* TTL-TOO-LONG above this (86400 s) */
    uint32_t soa_expire_min; /* SOA-TIMERS: expire below this (7 days) */
    uint32_t rrsig_warn_s;   /* DNSSEC-RRSIG-EXPIRING: within this (7 days) */
    uint64_t now_s;          /* "now" for signature validity (Unix seconds) */
    uint32_t cert_warn_s;    /* TLS-CERT-EXPIRING: the leaf expires within this (21 days) */
    const vx__asndb *asndb;  /* NULL: the ASN checks do not run */
    /* Providers (check/providers.h): declared groups, and the dual-primary mode. */
    const struct vx__provider_decl *providers;
    size_t provider_count;
    int dual_primary; /* VX__DUAL_AUTO (infer), VX__DUAL_YES, VX__DUAL_NO */
} vx__check_config;

enum { VX__DUAL_AUTO = 0, VX__DUAL_YES = 1, VX__DUAL_NO = 2 };

void vx__check_config_default(vx__check_config *cfg);

typedef void (*vx__check_fn)(const vx__snapshot *snap, const vx__check_config *cfg,
                             vx__findings *out);

typedef struct vx__check_def {
    const char *id;
    const char *area;      /* delegation, availability, consistency, diversity, sip, ttl,
                              dnssec, security, profiles, hijack,
                              endpoints */
    vx__severity severity; /* default, before the profile */
    const char *title;     /* one line: what the check looks for */
    const char *remedy;    /* what to change, in operator terms */
    vx__check_fn run;
} vx__check_def;

/* The registry, in catalogue order. */
const vx__check_def *vx__check_registry(size_t *count);
const vx__check_def *vx__check_find(const char *id);

/* The severity of a check under a profile (the profile may raise or lower the default). */
vx__severity vx__check_severity(const vx__check_def *def, const char *profile);
bool vx__profile_known(const char *profile);

/* Runs every check on the snapshot; findings are appended to out, worst first within each
 * area, areas in catalogue order. */
int vx__run_checks(const vx__snapshot *snap, const vx__check_config *cfg, vx__findings *out);

/* Used by the checks: appends a finding (message printf-style); servers/names added after. */
vx__finding *vx__finding_add(vx__findings *out, const char *check_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Outage survival of the SIP chain (CHECKS.md, ttl): if every authoritative server went dark at
 * once, the time after which half (and 90%) of resolver caches have lost a record the chain
 * needs, cache ages uniform over each TTL. -1 when the chain is empty. */
typedef struct vx__survival {
    double half_s;
    double ninety_s;
    uint32_t min_ttl; /* the shortest TTL in the chain */
} vx__survival;
int vx__survival_compute(const vx__snapshot *snap, vx__survival *out);
/* Fraction of caches still holding every record after t seconds (for the HTML curve). */
double vx__survival_at(const vx__snapshot *snap, double t);

#endif
