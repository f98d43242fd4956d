/*
 * cli/export_cache.c — `voxdns export-cache DOMAIN --format F`: follows the SIP service's chain
 * (NAPTR → SRV → A/AAAA, the RFC 3263 locator of sip/) through upstream resolvers
 * (resolver/ built by net/resbuild, run by net/resdriver) or, with --hints, straight from the
 * authoritative servers (probe/walk), and writes the records as the static DNS cache a phone
 * carries (resolver/static_export: voxdns, Polycom, Yealink, hosts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "net/engine.h"
#include "net/resbuild.h"
#include "net/resdriver.h"
#include "probe/hints.h"
#include "probe/walk.h"
#include "resolver/resolv_conf.h"
#include "resolver/static_export.h"
#include "sip/locate.h"
#include "sip/records_ldns.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/query.h"

static const char export_usage[] =
    "usage: voxdns export-cache DOMAIN --format polycom|yealink|voxdns|hosts [options]\n"
    "\n"
    "Looks up DOMAIN's SIP service chain (NAPTR -> SRV -> A/AAAA) and writes it as the static\n"
    "DNS cache configuration a phone carries (or /etc/hosts lines with --format hosts).\n"
    "\n"
    "  --resolver ADDR   ask this recursive resolver (repeatable; default: /etc/resolv.conf)\n"
    "  --hints FILE      ask the authoritative servers, walking down from these root hints\n"
    "\n"
    "exit status: 0 written, 3 nothing found (or no resolver), 64 usage error\n";

/* A resolver lookup in flight (lookup != 0) or answered. */
typedef struct ex_pending {
    char *name;
    uint16_t type;
    uint64_t lookup;
} ex_pending;

typedef struct ex_run {
    const char *domain;
    const char *hints_path;
    vx__export_format format;
    bool has_format;
    struct sockaddr_storage up[VX__UPSTREAM_MAX]; /* --resolver, else /etc/resolv.conf */
    size_t nup;
    uv_loop_t loop;
    vx__sip_locator *loc;
    vx__resdrv *drv;
    vx__engine *engine;
    vx__server_set hints;
    ex_pending *pending;
    size_t npending;
    unsigned outstanding;
    ldns_rr_list *records;
} ex_run;

typedef struct walk_q {
    ex_run *run;
    char *name;
    uint16_t type;
} walk_q;

static void ask(ex_run *run);

/* Keeps the records of the asked type under the asked name: the phone asks that name. */
static void collect(ex_run *run, const char *name, uint16_t type, const ldns_rr_list *answer)
{
    for (size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        if ((uint16_t)ldns_rr_get_type(rr) != type)
            continue;
        ldns_rr *copy = ldns_rr_clone(rr);
        ldns_rdf *owner = ldns_dname_new_frm_str(name);
        if (!copy || !owner) {
            ldns_rr_free(copy);
            ldns_rdf_deep_free(owner);
            continue;
        }
        ldns_rdf_deep_free(ldns_rr_owner(copy));
        ldns_rr_set_owner(copy, owner);
        if (ldns_rr_list_contains_rr(run->records, copy) ||
            !ldns_rr_list_push_rr(run->records, copy))
            ldns_rr_free(copy);
    }
}

static void answered(ex_run *run, const char *name, uint16_t type, int status,
                     const ldns_rr_list *answer)
{
    vx__sip_conv *c = calloc(1, sizeof(*c));
    vx__sip_records recs = {.status = c ? status : VX_ENOMEM};
    if (c && status == VX_OK) {
        collect(run, name, type, answer);
        vx__sip_records_from_ldns(c, answer, type, &recs);
    }
    run->outstanding--;
    vx__sip_locate_feed(run->loc, name, type, &recs);
    vx__sip_conv_free(c);
    ask(run);
}

/* ---- through resolvers --------------------------------------------------------------------- */

static void on_res_result(void *arg, const vx__res_result *r)
{
    ex_run *run = arg;
    for (size_t i = 0; i < run->npending; i++) {
        ex_pending *st = &run->pending[i];
        if (st->lookup != r->lookup)
            continue;
        st->lookup = 0;
        int status = r->status != VX_OK                ? r->status
                     : r->rcode == LDNS_RCODE_NXDOMAIN ? VX_ENOTFOUND
                                                       : VX_OK;
        answered(run, st->name, st->type, status, r->answer);
        return;
    }
}

static int ask_resolver(ex_run *run, const char *name, uint16_t type)
{
    ex_pending *v = realloc(run->pending, (run->npending + 1) * sizeof(*v));
    if (!v)
        return VX_ENOMEM;
    run->pending = v;
    ex_pending *st = &v[run->npending];
    memset(st, 0, sizeof(*st));
    st->name = strdup(name);
    st->type = type;
    vx__question q;
    int rc = st->name ? vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q) : VX_ENOMEM;
    if (rc == VX_OK)
        rc = vx__resdrv_submit(run->drv, &q, &st->lookup);
    if (rc != VX_OK) {
        free(st->name);
        return rc;
    }
    run->npending++;
    return VX_OK;
}

/* ---- from the authoritative servers -------------------------------------------------------- */

static void on_walk_done(void *arg, const vx__walk_result *r)
{
    walk_q *wq = arg;
    const ldns_rr_list *answer = r->msg ? ldns_pkt_answer(r->msg->pkt) : NULL;
    answered(wq->run, wq->name, wq->type, r->status, answer);
    free(wq->name);
    free(wq);
}

static int ask_walk(ex_run *run, const char *name, uint16_t type)
{
    walk_q *wq = calloc(1, sizeof(*wq));
    if (!wq || !(wq->name = strdup(name))) {
        free(wq);
        return VX_ENOMEM;
    }
    wq->run = run;
    wq->type = type;
    vx__walk_opts opts;
    vx__walk_opts_default(&opts);
    opts.hints = &run->hints;
    int rc = vx__walk_start(run->engine, name, type, &opts, on_walk_done, wq);
    if (rc != VX_OK) {
        free(wq->name);
        free(wq);
    }
    return rc;
}

/* ---- running -------------------------------------------------------------------------------- */

static void finish(ex_run *run)
{
    if (run->drv)
        vx__resdrv_close(run->drv);
    if (run->engine)
        vx__engine_close(run->engine);
    run->drv = NULL;
    run->engine = NULL;
}

static void ask(ex_run *run)
{
    const char *name;
    uint16_t type;
    while (vx__sip_locate_next_question(run->loc, &name, &type) == VX_OK) {
        int rc = run->hints_path ? ask_walk(run, name, type) : ask_resolver(run, name, type);
        run->outstanding++;
        if (rc != VX_OK) {
            vx__sip_records recs = {.status = rc};
            run->outstanding--;
            vx__sip_locate_feed(run->loc, name, type, &recs);
        }
    }
    if (run->outstanding == 0 && vx__sip_locate_done(run->loc))
        finish(run);
}

static int start_backend(ex_run *run)
{
    char err[512];
    if (run->hints_path) {
        if (vx__hints_load(run->hints_path, &run->hints, err, sizeof(err)) != VX_OK) {
            vx__cli_error("export-cache", "cannot use root hints: %s", err);
            return VX_EXIT_FAILED;
        }
        vx__engine_opts eo;
        vx__engine_opts_default(&eo);
        return vx__engine_new(&run->loop, &eo, &run->engine) == VX_OK ? VX_EXIT_OK : VX_EXIT_FAILED;
    }
    const vx__resbuild_spec spec = {.up = run->up, .nup = run->nup};
    vx__res *res;
    if (vx__resbuild(&spec, &res) != VX_OK)
        return VX_EXIT_FAILED;
    if (vx__resdrv_new(&run->loop, res, on_res_result, run, &run->drv) != VX_OK) {
        vx__res_free(res);
        return VX_EXIT_FAILED;
    }
    return VX_EXIT_OK;
}

static int run_export(ex_run *run)
{
    char uri[VX__NAME_TEXT_MAX + 8], err[256];
    snprintf(uri, sizeof(uri), "sip:%s", run->domain);
    if (vx__sip_locate_start(uri, NULL, &run->loc, err, sizeof(err)) != VX_OK) {
        vx__cli_error("export-cache", "invalid domain '%s': %s", run->domain, err);
        return VX_EXIT_USAGE;
    }
    run->records = ldns_rr_list_new();
    int rc = uv_loop_init(&run->loop) == 0 ? start_backend(run) : VX_EXIT_FAILED;
    if (rc == VX_EXIT_OK) {
        ask(run);
        uv_run(&run->loop, UV_RUN_DEFAULT);
        uv_loop_close(&run->loop);
    }
    size_t n = ldns_rr_list_rr_count(run->records);
    if (rc == VX_EXIT_OK && n == 0) {
        vx__cli_error("export-cache", "%s: no NAPTR, SRV or address records found", run->domain);
        rc = VX_EXIT_FAILED;
    }
    if (rc == VX_EXIT_OK) {
        snprintf(err, sizeof(err), "voxdns export-cache %s: %zu records", run->domain, n);
        if (vx__static_export(run->records, run->format, err, stdout) != VX_OK)
            rc = VX_EXIT_FAILED;
    }
    return rc;
}

/* ---- arguments ------------------------------------------------------------------------------ */

static int parse_option(ex_run *run, const char *opt, const char *val)
{
    if (strcmp(opt, "--format") == 0) {
        run->has_format = vx__export_format_from_text(val, &run->format) == VX_OK;
        if (!run->has_format)
            vx__cli_error("export-cache", "unknown format '%s' (polycom, yealink, voxdns, hosts)",
                          val);
        return run->has_format ? VX_OK : VX_EINVAL;
    }
    if (strcmp(opt, "--hints") == 0) {
        run->hints_path = val;
        return VX_OK;
    }
    socklen_t len;
    if (run->nup == VX__UPSTREAM_MAX ||
        vx__addr_parse(val, 53, &run->up[run->nup], &len) != VX_OK) {
        vx__cli_error("export-cache", "invalid resolver address '%s' (or more than %u)", val,
                      VX__UPSTREAM_MAX);
        return VX_EINVAL;
    }
    run->nup++;
    return VX_OK;
}

/* VX_OK, VX_EINVAL after an error, or 1 for --help. */
static int parse_args(ex_run *run, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        bool valued =
            strcmp(a, "--format") == 0 || strcmp(a, "--hints") == 0 || strcmp(a, "--resolver") == 0;
        if (valued && i + 1 < argc) {
            if (parse_option(run, a, argv[++i]) != VX_OK)
                return VX_EINVAL;
        } else if (!valued && a[0] != '-' && !run->domain) {
            run->domain = a;
        } else {
            vx__cli_error("export-cache", "unexpected argument '%s' (try --help)", a);
            return VX_EINVAL;
        }
    }
    if (!run->domain || !run->has_format) {
        vx__cli_error("export-cache", "a DOMAIN and --format are required (try --help)");
        return VX_EINVAL;
    }
    return VX_OK;
}

int vx__cmd_export_cache(int argc, char **argv)
{
    ex_run run;
    memset(&run, 0, sizeof(run));
    vx__server_set_init(&run.hints);
    int rc = parse_args(&run, argc, argv);
    int status = rc == 1 ? VX_EXIT_OK : rc != VX_OK ? VX_EXIT_USAGE : VX_EXIT_OK;
    if (rc == 1)
        fputs(export_usage, stdout);
    if (rc == VX_OK && !run.hints_path && run.nup == 0 &&
        (vx__resolv_conf_load("/etc/resolv.conf", run.up, VX__UPSTREAM_MAX, &run.nup) != VX_OK ||
         run.nup == 0)) {
        vx__cli_error("export-cache", "no resolver: /etc/resolv.conf names none (use --resolver)");
        status = VX_EXIT_FAILED;
    } else if (rc == VX_OK) {
        status = run_export(&run);
    }
    for (size_t i = 0; i < run.npending; i++)
        free(run.pending[i].name);
    free(run.pending);
    if (run.loc)
        vx__sip_locator_free(run.loc);
    ldns_rr_list_deep_free(run.records);
    vx__server_set_clear(&run.hints);
    return status;
}
