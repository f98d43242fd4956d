/*
 * cli/audit.c — `voxdns audit`: probes one or more SIP domains concurrently (probe/audit), runs
 * the checks (check/) and prints the report (report/): text for people, --json for programs,
 * --html for a page. --save keeps the snapshot, --from replays checks on one without a network.
 * Exit status follows CHECKS.md: 0 nothing above notice, 1 warning, 2 error or critical, 3 the
 * audit could not run, 64 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check/asndb.h"
#include "check/catalogue.h"
#include "check/check.h"
#include "check/providers.h"
#include "cli/cli.h"
#include "cli/zonefetch.h"
#include "common/file.h"
#include "probe/audit.h"
#include "probe/hints.h"
#include "report/report.h"
#include "voxdns/status.h"
#include "wire/name.h"

#define MAX_DOMAINS 1024
#define MAX_ALT_DOMAINS 16
#define MAX_PROVIDERS 32
#define MAX_NS 32
#define ZONE_LABEL_MAX (VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX + 16)
/* --from reads at most this much unless --max-snapshot says otherwise: loading holds about
 * twice the file (model/snapshot.h), and an audit saves well under a megabyte. */
#define SNAPSHOT_MIB_DEFAULT 256u
#define SNAPSHOT_MIB_MAX (VX__SNAPSHOT_JSON_MAX >> 20)

static const char audit_usage[] =
    "usage: voxdns audit [options] DOMAIN...\n"
    "       voxdns audit --from SNAPSHOT [options]\n"
    "       voxdns audit --list-checks\n"
    "\n"
    "Audits the DNS of SIP domains from outside: delegation, every authoritative server on\n"
    "every address, consistency, the NAPTR -> SRV -> address chain, TTLs and outage survival,\n"
    "provider/prefix/ASN/TLD diversity, DNSSEC and exposure. Several domains run concurrently.\n"
    "\n"
    "  --hints FILE        root hints (default: IANA's root servers, built in)\n"
    "  --profile NAME      generic (default), lync, teams or enum\n"
    "  --alt-domain NAME   the same service under another domain (repeatable)\n"
    "  --asn-db FILE       CAIDA RouteViews pfx2as file: enables the ASN checks\n"
    "  --provider NAME=NS1,NS2  declare a DNS provider: these name servers (names or\n"
    "                      addresses) belong to it (repeatable; others are inferred)\n"
    "  --dual-primary      each provider has its own primary: compare serials only within\n"
    "                      a provider (default: inferred; --no-dual-primary: never)\n"
    "  --tsig PROVIDER=[ALG:]NAME:SECRET  fetch that provider's zone by AXFR with this key\n"
    "                      and compare whole zones between providers (repeatable)\n"
    "  --axfr              also try AXFR without a key at every provider (open transfers)\n"
    "  --ns NAME[/ADDR]    undelegated audit: judge the zone as if delegated to this server\n"
    "                      (repeatable; NAME alone is resolved, ADDR is IPv4 or IPv6) and\n"
    "                      compare its data with the live delegation's (one domain)\n"
    "  --json              the report as JSON (schema voxdns.audit/1)\n"
    "  --html FILE         also write a self-contained HTML report (one domain)\n"
    "  --save FILE         also write the raw snapshot as JSON (one domain)\n"
    "  --from FILE         run the checks on a saved snapshot, without any network\n"
    "  --max-snapshot MIB  the largest snapshot --from reads (default 256, at most 1024)\n"
    "  --list-checks       print the check catalogue and exit (--markdown: as docs/checks.md)\n"
    "  --ca-file PEM       trust these CA certificates too for the SIP servers' TLS\n"
    "                      certificates (added to the system store)\n"
    "  --no-endpoints      do not send SIP OPTIONS to the SIP servers (DNS only)\n"
    "  -4, -6              ask only IPv4 / only IPv6 server addresses\n"
    "\n"
    "exit status: 0 nothing above notice, 1 worst is a warning, 2 worst is an error or\n"
    "             critical, 3 the audit could not run, 64 usage error\n";

typedef struct audit_args {
    const char *domains[MAX_DOMAINS];
    size_t domain_count;
    const char *alt[MAX_ALT_DOMAINS];
    size_t alt_count;
    vx__provider_decl providers[MAX_PROVIDERS];
    size_t provider_count;
    int dual_primary; /* VX__DUAL_* */
    vx__cli_tsig tsig[VX__CLI_TSIG_MAX];
    size_t tsig_count;
    vx__ns_spec ns[MAX_NS];
    size_t ns_count;
    bool axfr;
    const char *hints_path;
    const char *profile;
    const char *asn_path;
    const char *html_path;
    const char *save_path;
    const char *from_path;
    const char *ca_file;
    unsigned max_snapshot_mib;
    bool no_endpoints;
    bool json;
    bool list_checks;
    bool markdown;
    bool ipv4;
    bool ipv6;
} audit_args;

typedef struct audit_run audit_run;

/* One domain's audit and its outcome. */
typedef struct domain_run {
    audit_run *owner;
    char name[VX__NAME_TEXT_MAX];
    int status;
    vx__snapshot *snap;
    unsigned answered;
    unsigned asked;
} domain_run;

struct audit_run {
    audit_args args;
    domain_run *runs;
    size_t remaining;
    bool progress_line;
    vx__server_set hints;
    vx__asndb *asndb;
    vx__engine *engine; /* while the network audits run */
    vx__tls_ctx *tls;
};

/* --- arguments ------------------------------------------------------------------------------ */

static int take_value(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        vx__cli_error("audit", "%s needs a value (try voxdns audit --help)", argv[*i]);
        return VX_EINVAL;
    }
    *out = argv[++*i];
    return VX_OK;
}

static int take_provider(audit_args *a, const char *text)
{
    char err[256];
    if (a->provider_count == MAX_PROVIDERS) {
        vx__cli_error("audit", "at most %d --provider options", MAX_PROVIDERS);
        return VX_EINVAL;
    }
    int rc = vx__provider_decl_parse(text, &a->providers[a->provider_count], err, sizeof err);
    if (rc == VX_OK)
        a->provider_count++;
    else
        vx__cli_error("audit", "--provider %s: %s", text, rc == VX_ENOMEM ? vx_strerror(rc) : err);
    return rc == VX_OK ? VX_OK : VX_EINVAL;
}

static int take_tsig(audit_args *a, const char *text)
{
    if (a->tsig_count == VX__CLI_TSIG_MAX) {
        vx__cli_error("audit", "at most %d --tsig options", VX__CLI_TSIG_MAX);
        return VX_EINVAL;
    }
    if (vx__cli_tsig_parse(text, &a->tsig[a->tsig_count]) != VX_OK) {
        vx__cli_error("audit", "--tsig: give PROVIDER=[ALGORITHM:]NAME:BASE64-SECRET");
        return VX_EINVAL;
    }
    a->tsig_count++;
    return VX_OK;
}

static int take_ns(audit_args *a, const char *text)
{
    char err[256];
    if (a->ns_count == MAX_NS) {
        vx__cli_error("audit", "at most %d --ns options", MAX_NS);
        return VX_EINVAL;
    }
    int rc = vx__ns_spec_parse(text, &a->ns[a->ns_count], err, sizeof err);
    if (rc == VX_OK)
        a->ns_count++;
    else
        vx__cli_error("audit", "--ns %s: %s", text, rc == VX_ENOMEM ? vx_strerror(rc) : err);
    return rc == VX_OK ? VX_OK : VX_EINVAL;
}

static int take_max_snapshot(audit_args *a, int argc, char **argv, int *i)
{
    const char *text = NULL;
    if (take_value(argc, argv, i, &text) != VX_OK)
        return VX_EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long mib = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || mib < 1 || mib > SNAPSHOT_MIB_MAX) {
        vx__cli_error("audit", "--max-snapshot: give a size in MiB from 1 to %u", SNAPSHOT_MIB_MAX);
        return VX_EINVAL;
    }
    a->max_snapshot_mib = (unsigned)mib;
    return VX_OK;
}

static int take_option(audit_args *a, int argc, char **argv, int *i)
{
    const char *opt = argv[*i];
    const char *alt = NULL;
    int rc = VX_OK;
    if (strcmp(opt, "--hints") == 0)
        rc = take_value(argc, argv, i, &a->hints_path);
    else if (strcmp(opt, "--profile") == 0)
        rc = take_value(argc, argv, i, &a->profile);
    else if (strcmp(opt, "--asn-db") == 0)
        rc = take_value(argc, argv, i, &a->asn_path);
    else if (strcmp(opt, "--html") == 0)
        rc = take_value(argc, argv, i, &a->html_path);
    else if (strcmp(opt, "--save") == 0)
        rc = take_value(argc, argv, i, &a->save_path);
    else if (strcmp(opt, "--from") == 0)
        rc = take_value(argc, argv, i, &a->from_path);
    else if (strcmp(opt, "--ca-file") == 0)
        rc = take_value(argc, argv, i, &a->ca_file);
    else if (strcmp(opt, "--max-snapshot") == 0)
        rc = take_max_snapshot(a, argc, argv, i);
    else if (strcmp(opt, "--no-endpoints") == 0)
        a->no_endpoints = true;
    else if (strcmp(opt, "--alt-domain") == 0) {
        rc = take_value(argc, argv, i, &alt);
        if (rc == VX_OK && a->alt_count == MAX_ALT_DOMAINS) {
            vx__cli_error("audit", "at most %d --alt-domain options", MAX_ALT_DOMAINS);
            rc = VX_EINVAL;
        } else if (rc == VX_OK)
            a->alt[a->alt_count++] = alt;
    } else if (strcmp(opt, "--provider") == 0) {
        rc = take_value(argc, argv, i, &alt);
        if (rc == VX_OK)
            rc = take_provider(a, alt);
    } else if (strcmp(opt, "--tsig") == 0) {
        rc = take_value(argc, argv, i, &alt);
        if (rc == VX_OK)
            rc = take_tsig(a, alt);
    } else if (strcmp(opt, "--ns") == 0) {
        rc = take_value(argc, argv, i, &alt);
        if (rc == VX_OK)
            rc = take_ns(a, alt);
    } else if (strcmp(opt, "--axfr") == 0)
        a->axfr = true;
    else if (strcmp(opt, "--dual-primary") == 0)
        a->dual_primary = VX__DUAL_YES;
    else if (strcmp(opt, "--no-dual-primary") == 0)
        a->dual_primary = VX__DUAL_NO;
    else if (strcmp(opt, "--json") == 0)
        a->json = true;
    else if (strcmp(opt, "--list-checks") == 0)
        a->list_checks = true;
    else if (strcmp(opt, "--markdown") == 0)
        a->markdown = true;
    else if (strcmp(opt, "-4") == 0)
        a->ipv6 = false;
    else if (strcmp(opt, "-6") == 0)
        a->ipv4 = false;
    else {
        vx__cli_error("audit", "unknown option '%s' (try voxdns audit --help)", opt);
        rc = VX_EINVAL;
    }
    return rc;
}

static int check_combination(const audit_args *a)
{
    const char *why = NULL;
    if (!a->ipv4 && !a->ipv6)
        why = "-4 and -6 exclude each other";
    else if (a->from_path && a->domain_count > 0)
        why = "--from replays a snapshot: give no domain with it";
    else if (!a->from_path && !a->list_checks && a->domain_count == 0)
        why = "a domain to audit is required (try voxdns audit --help)";
    else if ((a->html_path || a->save_path) && a->domain_count > 1)
        why = "--html and --save take one domain at a time";
    else if (a->save_path && a->from_path)
        why = "--save and --from exclude each other";
    else if (a->ns_count && a->from_path)
        why = "--ns and --from exclude each other (a saved undelegated audit keeps its servers)";
    else if (a->ns_count && a->domain_count > 1)
        why = "--ns audits one domain at a time";
    else if (!vx__profile_known(a->profile))
        why = "unknown profile (generic, lync, teams or enum)";
    if (why)
        vx__cli_error("audit", "%s", why);
    return why ? VX_EINVAL : VX_OK;
}

/* VX_OK, VX_EINVAL (reported), or 1 for --help. */
static int parse_args(int argc, char **argv, audit_args *a)
{
    memset(a, 0, sizeof(*a));
    a->profile = "generic";
    a->ipv4 = a->ipv6 = true;
    a->max_snapshot_mib = SNAPSHOT_MIB_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            if (take_option(a, argc, argv, &i) != VX_OK)
                return VX_EINVAL;
        } else if (a->domain_count == MAX_DOMAINS) {
            vx__cli_error("audit", "at most %d domains at once", MAX_DOMAINS);
            return VX_EINVAL;
        } else {
            a->domains[a->domain_count++] = argv[i];
        }
    }
    return check_combination(a);
}

/* --- inputs --------------------------------------------------------------------------------- */

static int load_asndb(audit_run *run)
{
    char err[512];
    int rc = vx__asndb_load_file(run->args.asn_path, &run->asndb, err, sizeof(err));
    if (rc != VX_OK)
        vx__cli_error("audit", "ASN database %s", err);
    return rc;
}

static int load_snapshot(const char *path, unsigned max_mib, vx__snapshot **out)
{
    char *text = NULL;
    size_t len = 0;
    char err[512];
    int rc = vx__read_file(path, (size_t)max_mib << 20, &text, &len, err, sizeof(err));
    if (rc == VX_ELIMIT)
        vx__cli_error("audit", "cannot read snapshot %s: larger than %u MiB (--max-snapshot)", path,
                      max_mib);
    else if (rc != VX_OK)
        vx__cli_error("audit", "cannot read snapshot %s", err);
    if (rc != VX_OK)
        return VX_EIO;
    rc = vx__snapshot_from_json(text, len, out, err, sizeof(err));
    free(text);
    if (rc != VX_OK)
        vx__cli_error("audit", "%s: not a valid snapshot: %s", path, err);
    return rc;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        vx__cli_error("audit", "cannot write %s: %s", path, strerror(errno));
    return ok ? VX_OK : VX_EIO;
}

/* --- reporting ------------------------------------------------------------------------------ */

static int list_checks(bool markdown)
{
    if (markdown) {
        char *md = vx__check_catalogue_markdown();
        if (!md)
            return VX_EXIT_FAILED;
        fputs(md, stdout);
        free(md);
        return VX_EXIT_OK;
    }
    size_t n = 0;
    const vx__check_def *defs = vx__check_registry(&n);
    printf("%-28s %-13s %-9s %s\n", "CHECK", "AREA", "SEVERITY", "LOOKS FOR");
    for (size_t i = 0; i < n; i++)
        printf("%-28s %-13s %-9s %s\n", defs[i].id, defs[i].area,
               vx__severity_name(defs[i].severity), defs[i].title);
    return VX_EXIT_OK;
}

static int save_outputs(const audit_run *run, const vx__snapshot *snap, const vx__report_input *in)
{
    int rc = VX_OK;
    if (run->args.save_path) {
        char *json = vx__snapshot_to_json(snap);
        rc = json ? write_file(run->args.save_path, json) : VX_ENOMEM;
        free(json);
    }
    if (rc == VX_OK && run->args.html_path) {
        char *html = vx__report_html(in);
        rc = html ? write_file(run->args.html_path, html) : VX_ENOMEM;
        free(html);
    }
    return rc;
}

static void make_config(const audit_run *run, const vx__snapshot *snap, vx__check_config *cfg)
{
    vx__check_config_default(cfg);
    cfg->profile = snap->profile;
    cfg->asndb = run->asndb;
    cfg->now_s = snap->started_ms / 1000u;
    cfg->providers = run->args.providers;
    cfg->provider_count = run->args.provider_count;
    cfg->dual_primary = run->args.dual_primary;
}

/* Runs the checks on one snapshot and prints its report; returns the exit status it earns. */
static int report_one(const audit_run *run, const vx__snapshot *snap, size_t index, size_t count)
{
    vx__check_config cfg;
    make_config(run, snap, &cfg);
    vx__findings findings = {0};
    vx__survival survival;
    vx__provider_map providers, live = {0};
    int rc = vx__run_checks(snap, &cfg, &findings);
    if (rc == VX_OK)
        rc = vx__providers_build(snap, &cfg, &providers);
    /* --ns: the live delegation's servers are grouped under the same declarations */
    bool has_live =
        rc == VX_OK && snap->live && vx__providers_build(snap->live, &cfg, &live) == VX_OK;
    bool has_survival = vx__survival_compute(snap, &survival) == VX_OK;
    vx__report_input in = {.snap = snap,
                           .findings = &findings,
                           .survival = has_survival ? &survival : NULL,
                           .profile = snap->profile,
                           .providers = rc == VX_OK ? &providers : NULL,
                           .live_providers = has_live ? &live : NULL};
    char *out = NULL;
    if (rc == VX_OK)
        out = run->args.json ? vx__report_json(&in) : vx__report_text(&in, isatty(1) != 0);
    if (out) {
        const char *open = run->args.json && count > 1 ? (index == 0 ? "[\n" : ",\n") : "";
        fputs(open, stdout);
        fputs(out, stdout);
        if (run->args.json && count > 1 && index + 1 == count)
            fputs("]\n", stdout);
        else if (!run->args.json && index + 1 < count)
            fputc('\n', stdout);
    }
    int status = out ? vx__report_exit_status(&findings) : VX_EXIT_FAILED;
    if (out && save_outputs(run, snap, &in) != VX_OK)
        status = VX_EXIT_FAILED;
    free(out);
    if (in.providers)
        vx__providers_free(&providers);
    vx__providers_free(&live);
    vx__findings_clear(&findings);
    return status;
}

/* --- running -------------------------------------------------------------------------------- */

static void show_progress(void *arg, unsigned answered, unsigned asked)
{
    domain_run *d = arg;
    const audit_run *run = d->owner;
    d->answered = answered;
    d->asked = asked;
    if (!run->progress_line)
        return;
    unsigned done = 0;
    unsigned total = 0;
    for (size_t i = 0; i < run->args.domain_count; i++) {
        done += run->runs[i].answered;
        total += run->runs[i].asked;
    }
    fprintf(stderr, "\r\033[Kauditing %zu domain%s: %zu left, %u/%u answers",
            run->args.domain_count, run->args.domain_count == 1 ? "" : "s", run->remaining, done,
            total);
}

static void on_zones(void *arg, vx__zone_copy *copies, size_t count)
{
    domain_run *d = arg;
    d->snap->zones = copies;
    d->snap->zone_count = count;
}

/* One zone target per provider of snap (cli/zonefetch.h). An undelegated audit's providers
 * are prefixed "candidate " and the live delegation's "live " (ZONE-DIFFERS then says which
 * side holds what); labels must outlive the fetch's start (vx__zone_fetch copies them). */
static size_t zone_targets(const audit_run *run, const vx__snapshot *snap, const char *side,
                           vx__zone_target *out, char (*labels)[ZONE_LABEL_MAX], size_t cap)
{
    vx__check_config cfg;
    vx__provider_map pm;
    make_config(run, snap, &cfg);
    if (vx__providers_build(snap, &cfg, &pm) != VX_OK)
        return 0;
    size_t n = vx__cli_zone_targets(snap, &pm, run->args.tsig, run->args.tsig_count, run->args.axfr,
                                    out, cap);
    for (size_t i = 0; i < n; i++) { /* out of pm, which is freed here */
        snprintf(labels[i], ZONE_LABEL_MAX, "%s%s", side, out[i].provider);
        out[i].provider = labels[i];
    }
    vx__providers_free(&pm);
    return n;
}

/* --tsig / --axfr: one AXFR per provider once the audit knows the servers (ZONE-DIFFERS). */
static void fetch_zones(domain_run *d)
{
    const audit_run *run = d->owner;
    const vx__snapshot *snap = d->snap;
    vx__zone_target targets[2 * VX__CLI_TSIG_MAX];
    char labels[2 * VX__CLI_TSIG_MAX][ZONE_LABEL_MAX];
    size_t n = zone_targets(run, snap, snap->undelegated ? "candidate " : "", targets, labels,
                            VX__CLI_TSIG_MAX);
    if (snap->live)
        n += zone_targets(run, snap->live, "live ", targets + n, labels + n, VX__CLI_TSIG_MAX);
    if (n > 0)
        vx__zone_fetch(run->engine, snap->domain, targets, n, VX__ZONE_FETCH_TIMEOUT_MS, on_zones,
                       d);
}

static void on_audited(void *arg, int status, vx__snapshot *snap)
{
    domain_run *d = arg;
    d->status = status;
    d->snap = snap;
    d->owner->remaining--;
    if (status == VX_OK && snap && (d->owner->args.tsig_count || d->owner->args.axfr))
        fetch_zones(d);
}

static int start_audits(audit_run *run, vx__engine *engine)
{
    vx__audit_opts opts;
    vx__audit_opts_default(&opts);
    opts.hints = &run->hints;
    opts.profile = run->args.profile;
    opts.alt_domains = run->args.alt;
    opts.alt_count = run->args.alt_count;
    opts.ipv4 = run->args.ipv4;
    opts.ipv6 = run->args.ipv6;
    opts.endpoints = run->tls != NULL;
    opts.tls = run->tls;
    opts.ns = run->args.ns;
    opts.ns_count = run->args.ns_count;
    for (size_t i = 0; i < run->args.domain_count; i++) {
        int rc = vx__audit_start(engine, run->runs[i].name, &opts, on_audited, show_progress,
                                 &run->runs[i]);
        if (rc != VX_OK) {
            run->runs[i].status = rc;
            run->remaining--;
        }
    }
    return VX_OK;
}

static int run_network_audits(audit_run *run)
{
    uv_loop_t loop;
    vx__engine *engine = NULL;
    vx__engine_opts eopts;
    if (uv_loop_init(&loop) != 0)
        return VX_EXIT_FAILED;
    vx__engine_opts_default(&eopts);
    int rc = vx__engine_new(&loop, &eopts, &engine);
    if (rc == VX_OK) {
        run->remaining = run->args.domain_count;
        run->progress_line = isatty(2) != 0;
        run->engine = engine;
        start_audits(run, engine);
        uv_run(&loop, UV_RUN_DEFAULT);
        run->engine = NULL;
        vx__engine_close(engine);
        uv_run(&loop, UV_RUN_DEFAULT);
        if (run->progress_line)
            fputs("\r\033[K", stderr);
    }
    uv_loop_close(&loop);
    return rc == VX_OK ? VX_OK : VX_EXIT_FAILED;
}

static int worse(int a, int b)
{
    /* 3 (could not run) outranks 2, which outranks 1 and 0. */
    return a == VX_EXIT_FAILED || b == VX_EXIT_FAILED ? VX_EXIT_FAILED : (a > b ? a : b);
}

static int report_all(audit_run *run)
{
    int exit_status = VX_EXIT_OK;
    size_t count = run->args.domain_count;
    for (size_t i = 0; i < count; i++) {
        domain_run *d = &run->runs[i];
        if (d->status != VX_OK || !d->snap) {
            vx__cli_error("audit", "%s: %s", d->name,
                          d->status == VX_ENETWORK ? "no root server answered: check --hints "
                                                     "and the network"
                                                   : vx_strerror(d->status));
            exit_status = VX_EXIT_FAILED;
            continue;
        }
        exit_status = worse(exit_status, report_one(run, d->snap, i, count));
    }
    return exit_status;
}

static int prepare_domains(audit_run *run)
{
    run->runs = calloc(run->args.domain_count, sizeof(*run->runs));
    if (!run->runs)
        return VX_ENOMEM;
    for (size_t i = 0; i < run->args.domain_count; i++) {
        const char *name = run->args.domains[i];
        run->runs[i].owner = run;
        if (vx__name_normalize(name, run->runs[i].name, sizeof(run->runs[i].name)) != VX_OK ||
            strcmp(run->runs[i].name, ".") == 0) {
            vx__cli_error("audit", "invalid domain name '%s'", name);
            return VX_EINVAL;
        }
    }
    for (size_t i = 0; i < run->args.alt_count; i++) {
        char alt[VX__NAME_TEXT_MAX];
        if (vx__name_normalize(run->args.alt[i], alt, sizeof(alt)) != VX_OK) {
            vx__cli_error("audit", "invalid alternate domain name '%s'", run->args.alt[i]);
            return VX_EINVAL;
        }
    }
    return VX_OK;
}

static int load_hints(audit_run *run)
{
    char err[512];
    int rc = run->args.hints_path
                 ? vx__hints_load(run->args.hints_path, &run->hints, err, sizeof(err))
                 : vx__hints_builtin(&run->hints);
    if (rc != VX_OK)
        vx__cli_error("audit", "cannot use root hints: %s",
                      run->args.hints_path ? err : vx_strerror(rc));
    return rc;
}

/* The trust store is read before any question is asked, so a bad --ca-file costs nothing. */
static int load_trust(audit_run *run)
{
    /* observing: the audit judges the chains (the endpoint checks), it refuses none */
    const vx__tls_auth auth = {.ca_file = run->args.ca_file, .observe = true};
    if (run->args.no_endpoints)
        return VX_OK;
    int rc = vx__tls_ctx_new(&auth, &run->tls);
    if (rc == VX_EIO)
        vx__cli_error("audit", "--ca-file %s: not a readable PEM file of CA certificates",
                      run->args.ca_file);
    else if (rc != VX_OK)
        vx__cli_error("audit", "--ca-file %s", vx_strerror(rc));
    return rc;
}

static int replay(audit_run *run)
{
    vx__snapshot *snap = NULL;
    if (load_snapshot(run->args.from_path, run->args.max_snapshot_mib, &snap) != VX_OK)
        return VX_EXIT_FAILED;
    int status = report_one(run, snap, 0, 1);
    vx__snapshot_free(snap);
    return status;
}

static void release(audit_run *run)
{
    for (size_t i = 0; run->runs && i < run->args.domain_count; i++)
        vx__snapshot_free(run->runs[i].snap);
    free(run->runs);
    vx__server_set_clear(&run->hints);
    vx__asndb_free(run->asndb);
    vx__tls_ctx_free(run->tls);
    for (size_t i = 0; i < run->args.provider_count; i++)
        vx__provider_decl_clear(&run->args.providers[i]);
    for (size_t i = 0; i < run->args.ns_count; i++)
        vx__ns_spec_clear(&run->args.ns[i]);
}

int vx__cmd_audit(int argc, char **argv)
{
    audit_run run;
    memset(&run, 0, sizeof(run));
    vx__server_set_init(&run.hints);
    int rc = parse_args(argc, argv, &run.args);
    int status = VX_EXIT_FAILED;
    if (rc == 1)
        fputs(audit_usage, stdout);
    if (rc != VX_OK || run.args.list_checks) {
        status = rc == 1       ? VX_EXIT_OK
                 : rc != VX_OK ? VX_EXIT_USAGE
                               : list_checks(run.args.markdown);
        goto out;
    }
    if (load_asndb(&run) != VX_OK)
        goto out;
    if (run.args.from_path) {
        status = replay(&run);
        goto out;
    }
    rc = prepare_domains(&run);
    if (rc != VX_OK) {
        /* A domain name that is not one is bad input on the command line, as for every command. */
        status = rc == VX_EINVAL ? VX_EXIT_USAGE : VX_EXIT_FAILED;
        goto out;
    }
    if (load_hints(&run) != VX_OK)
        goto out;
    if (load_trust(&run) != VX_OK)
        goto out;
    if (run_network_audits(&run) == VX_OK)
        status = report_all(&run);
out:
    release(&run);
    return status;
}
