/*
 * cli/zone.c — `voxdns zone diff DOMAIN`: finds the domain's servers and providers the way the
 * audit does (probe/audit), transfers one whole copy per provider (--tsig keys, --axfr for open
 * transfers), adds a zone file as one more copy (--zone-file), and prints every RRset on which
 * the copies differ (check/zonediff.h). Exit status follows diff(1): 0 the copies are the same,
 * 1 they differ, 2 trouble (a transfer failed, fewer than two copies, no network); 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/providers.h"
#include "check/zonediff.h"
#include "cli/cli.h"
#include "cli/zonefetch.h"
#include "common/file.h"
#include "model/view.h"
#include "probe/audit.h"
#include "probe/hints.h"
#include "voxdns/status.h"
#include "wire/name.h"
#include "wire/query.h"

#define EXIT_SAME 0
#define EXIT_DIFFERENT 1
#define EXIT_TROUBLE 2
#define MAX_PROVIDERS 32
#define ZONE_FILE_MAX (512u << 20)

static const char zone_usage[] =
    "usage: voxdns zone diff [options] DOMAIN\n"
    "\n"
    "Transfers the zone (AXFR) from one server of each DNS provider of DOMAIN and prints\n"
    "every RRset on which the copies differ (SOA, RRSIG, NSEC, NSEC3 and NSEC3PARAM left\n"
    "out; TTLs count).\n"
    "\n"
    "  --tsig PROVIDER=[ALG:]NAME:SECRET  transfer that provider's copy with this key\n"
    "  --axfr              try AXFR without a key at every provider\n"
    "  --zone-file FILE    compare with this zone file too (master format)\n"
    "  --provider NAME=NS1,NS2  declare a provider (as voxdns audit)\n"
    "  --hints FILE        root hints (default: IANA's root servers, built in)\n"
    "  -4, -6              ask only IPv4 / only IPv6 server addresses\n"
    "\n"
    "exit status: 0 the copies are the same, 1 they differ, 2 trouble (a transfer failed,\n"
    "             fewer than two copies, no answer), 64 usage error\n";

typedef struct zone_args {
    const char *domain;
    const char *hints_path;
    const char *zone_file;
    vx__provider_decl providers[MAX_PROVIDERS];
    size_t provider_count;
    vx__cli_tsig tsig[VX__CLI_TSIG_MAX];
    size_t tsig_count;
    bool axfr;
    bool ipv4, ipv6;
} zone_args;

typedef struct zone_run {
    zone_args args;
    char domain[VX__NAME_TEXT_MAX];
    vx__server_set hints;
    vx__engine *engine;
    int status;
    vx__snapshot *snap;
} zone_run;

/* ---- arguments ------------------------------------------------------------------------------ */

static int value(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        vx__cli_error("zone", "%s needs a value (try voxdns zone --help)", argv[*i]);
        return VX_EINVAL;
    }
    *out = argv[++*i];
    return VX_OK;
}

static int take_repeatable(zone_args *a, const char *opt, const char *v)
{
    char err[256] = "";
    int rc = VX_EINVAL;
    if (strcmp(opt, "--tsig") == 0 && a->tsig_count < VX__CLI_TSIG_MAX) {
        rc = vx__cli_tsig_parse(v, &a->tsig[a->tsig_count]);
        a->tsig_count += rc == VX_OK;
        snprintf(err, sizeof err, "give PROVIDER=[ALGORITHM:]NAME:BASE64-SECRET");
    } else if (strcmp(opt, "--provider") == 0 && a->provider_count < MAX_PROVIDERS) {
        rc = vx__provider_decl_parse(v, &a->providers[a->provider_count], err, sizeof err);
        a->provider_count += rc == VX_OK;
    } else {
        snprintf(err, sizeof err, "too many");
    }
    if (rc != VX_OK)
        vx__cli_error("zone", "%s %s: %s", opt, v, err);
    return rc == VX_OK ? VX_OK : VX_EINVAL;
}

static int take_option(zone_args *a, int argc, char **argv, int *i)
{
    const char *opt = argv[*i], *v = NULL;
    if (strcmp(opt, "--axfr") == 0 || strcmp(opt, "-4") == 0 || strcmp(opt, "-6") == 0) {
        a->axfr |= opt[1] == '-';
        a->ipv6 &= strcmp(opt, "-4") != 0;
        a->ipv4 &= strcmp(opt, "-6") != 0;
        return VX_OK;
    }
    if (strcmp(opt, "--tsig") && strcmp(opt, "--provider") && strcmp(opt, "--hints") &&
        strcmp(opt, "--zone-file")) {
        vx__cli_error("zone", "unknown option '%s' (try voxdns zone --help)", opt);
        return VX_EINVAL;
    }
    if (value(argc, argv, i, &v) != VX_OK)
        return VX_EINVAL;
    if (strcmp(opt, "--hints") == 0)
        a->hints_path = v;
    else if (strcmp(opt, "--zone-file") == 0)
        a->zone_file = v;
    else
        return take_repeatable(a, opt, v);
    return VX_OK;
}

/* VX_OK, VX_EINVAL (reported) or 1 for --help. */
static int parse_args(int argc, char **argv, zone_args *a)
{
    a->ipv4 = a->ipv6 = true;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return argc < 2 ? VX_EINVAL : 1;
    if (strcmp(argv[1], "diff") != 0) {
        vx__cli_error("zone", "unknown subcommand '%s' (try voxdns zone --help)", argv[1]);
        return VX_EINVAL;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            if (take_option(a, argc, argv, &i) != VX_OK)
                return VX_EINVAL;
        } else if (a->domain) {
            vx__cli_error("zone", "one domain at a time");
            return VX_EINVAL;
        } else {
            a->domain = argv[i];
        }
    }
    const char *why = !a->domain                   ? "a domain is required (try voxdns zone --help)"
                      : !a->ipv4 && !a->ipv6       ? "-4 and -6 exclude each other"
                      : !a->tsig_count && !a->axfr ? "give --tsig for a provider, or --axfr"
                                                   : NULL;
    if (why)
        vx__cli_error("zone", "%s", why);
    return why ? VX_EINVAL : VX_OK;
}

/* ---- fetching ------------------------------------------------------------------------------- */

static void config(const zone_run *run, vx__check_config *cfg)
{
    vx__check_config_default(cfg);
    cfg->now_s = run->snap->started_ms / 1000u;
    cfg->providers = run->args.providers;
    cfg->provider_count = run->args.provider_count;
}

static void on_zones(void *arg, vx__zone_copy *copies, size_t count)
{
    zone_run *run = arg;
    run->snap->zones = copies;
    run->snap->zone_count = count;
}

static void on_audited(void *arg, int status, vx__snapshot *snap)
{
    zone_run *run = arg;
    vx__check_config cfg;
    vx__provider_map pm;
    vx__zone_target targets[VX__CLI_TSIG_MAX];
    run->status = status;
    run->snap = snap;
    if (status != VX_OK || !snap)
        return;
    config(run, &cfg);
    if (vx__providers_build(snap, &cfg, &pm) != VX_OK)
        return;
    size_t n = vx__cli_zone_targets(snap, &pm, run->args.tsig, run->args.tsig_count, run->args.axfr,
                                    targets, VX__CLI_TSIG_MAX);
    if (n > 0)
        run->status = vx__zone_fetch(run->engine, snap->domain, targets, n,
                                     VX__ZONE_FETCH_TIMEOUT_MS, on_zones, run);
    vx__providers_free(&pm);
}

static int fetch(zone_run *run)
{
    uv_loop_t loop;
    vx__engine_opts eopts;
    vx__audit_opts opts;
    if (uv_loop_init(&loop) != 0)
        return VX_ENOMEM;
    vx__engine_opts_default(&eopts);
    int rc = vx__engine_new(&loop, &eopts, &run->engine);
    vx__audit_opts_default(&opts);
    opts.hints = &run->hints;
    opts.ipv4 = run->args.ipv4;
    opts.ipv6 = run->args.ipv6;
    if (rc == VX_OK)
        rc = vx__audit_start(run->engine, run->domain, &opts, on_audited, NULL, run);
    if (rc == VX_OK)
        uv_run(&loop, UV_RUN_DEFAULT);
    if (run->engine) {
        vx__engine_close(run->engine);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&loop);
    return rc == VX_OK ? run->status : rc;
}

/* --zone-file: one more copy, named after the file. */
static int add_zone_file(zone_run *run)
{
    char *text = NULL, err[512];
    size_t len = 0;
    if (vx__read_file(run->args.zone_file, ZONE_FILE_MAX, &text, &len, err, sizeof err) != VX_OK) {
        vx__cli_error("zone", "cannot read zone file %s", err);
        return VX_EIO;
    }
    vx__zone_copy *grown = realloc(run->snap->zones, (run->snap->zone_count + 1) * sizeof *grown);
    int rc = grown ? VX_OK : VX_ENOMEM;
    if (grown) {
        run->snap->zones = grown;
        vx__zone_copy *z = memset(&grown[run->snap->zone_count++], 0, sizeof *z);
        z->provider = malloc(strlen(run->args.zone_file) + 6);
        if (z->provider)
            sprintf(z->provider, "file %s", run->args.zone_file);
        rc = vx__zone_text_parse(text, len, run->domain, &z->sets, &z->set_count, err, sizeof err);
        z->status = rc;
        if (rc != VX_OK)
            vx__cli_error("zone", "%s: %s", run->args.zone_file, err);
    }
    free(text);
    return rc;
}

/* ---- printing ------------------------------------------------------------------------------- */

static bool print_copies(const vx__snapshot *s)
{
    bool all_ok = true;
    char label[VX__NAME_TEXT_MAX + 64];
    for (size_t i = 0; i < s->zone_count; i++) {
        const vx__zone_copy *z = &s->zones[i];
        if (!z->server || vx__server_label(z->server, (const struct sockaddr *)&z->addr, label,
                                           sizeof label) != VX_OK)
            label[0] = '\0';
        printf("  %s%s%s: ", z->provider, label[0] ? " from " : "", label);
        if (z->status == VX_OK)
            printf("%zu RRsets%s", z->set_count, z->server ? "" : "\n");
        if (z->status == VX_OK && z->server)
            printf(", serial %u\n", z->serial);
        else if (z->status != VX_OK && z->rcode)
            printf("transfer refused (%s)\n", vx__rcode_name(z->rcode));
        else if (z->status != VX_OK)
            printf("transfer failed (%s)\n", vx_strerror(z->status));
        all_ok &= z->status == VX_OK;
    }
    return all_ok;
}

static void print_item(const vx__snapshot *s, const vx__zdiff_item *it)
{
    char n[VX__NAME_TEXT_MAX], t[16], what[1024];
    vx__name_show(it->owner, n, sizeof n);
    printf("%s %s\n", n, vx__rrtype_to_text(it->type, t, sizeof t));
    for (size_t i = 0; i < s->zone_count; i++) {
        if (s->zones[i].status != VX_OK)
            continue;
        vx__zdiff_describe(it->sets[i], what, sizeof what);
        printf("  %s: %s\n", s->zones[i].provider, what);
    }
}

static int report(const zone_run *run)
{
    const vx__snapshot *s = run->snap;
    char d[VX__NAME_TEXT_MAX];
    vx__name_show(s->domain, d, sizeof d);
    printf("zone diff of %s: %zu cop%s\n", d, s->zone_count, s->zone_count == 1 ? "y" : "ies");
    bool all_ok = print_copies(s);
    vx__zdiff diff;
    if (vx__zone_diff(s->zones, s->zone_count, &diff) != VX_OK)
        return EXIT_TROUBLE;
    for (size_t i = 0; i < diff.count; i++)
        print_item(s, &diff.items[i]);
    printf("%zu RRset%s differ%s between %zu copies (SOA, RRSIG, NSEC, NSEC3 and NSEC3PARAM "
           "not compared)\n",
           diff.count, diff.count == 1 ? "" : "s", diff.count == 1 ? "s" : "", diff.compared);
    int status = !all_ok || diff.compared < 2 ? EXIT_TROUBLE
                 : diff.count                 ? EXIT_DIFFERENT
                                              : EXIT_SAME;
    if (diff.compared < 2)
        vx__cli_error("zone", "fewer than two copies to compare");
    vx__zdiff_free(&diff);
    return status;
}

static void release(zone_run *run)
{
    vx__snapshot_free(run->snap);
    vx__server_set_clear(&run->hints);
    for (size_t i = 0; i < run->args.provider_count; i++)
        vx__provider_decl_clear(&run->args.providers[i]);
}

static int prepare(zone_run *run)
{
    char err[512];
    if (vx__name_normalize(run->args.domain, run->domain, sizeof run->domain) != VX_OK ||
        strcmp(run->domain, ".") == 0) {
        vx__cli_error("zone", "invalid domain name '%s'", run->args.domain);
        return VX_EINVAL;
    }
    int rc = run->args.hints_path
                 ? vx__hints_load(run->args.hints_path, &run->hints, err, sizeof err)
                 : vx__hints_builtin(&run->hints);
    if (rc != VX_OK)
        vx__cli_error("zone", "cannot use root hints: %s",
                      run->args.hints_path ? err : vx_strerror(rc));
    return rc == VX_OK ? VX_OK : VX_EIO;
}

int vx__cmd_zone(int argc, char **argv)
{
    zone_run run;
    memset(&run, 0, sizeof run);
    vx__server_set_init(&run.hints);
    int rc = parse_args(argc, argv, &run.args);
    int status = rc == 1 ? VX_EXIT_OK : VX_EXIT_USAGE;
    if (rc == 1)
        fputs(zone_usage, stdout);
    if (rc != VX_OK)
        goto out;
    status = EXIT_TROUBLE;
    if ((rc = prepare(&run)) != VX_OK) {
        status = rc == VX_EINVAL ? VX_EXIT_USAGE : EXIT_TROUBLE;
        goto out;
    }
    rc = fetch(&run);
    if (rc != VX_OK || !run.snap) {
        vx__cli_error("zone", "%s: %s", run.domain,
                      rc == VX_ENETWORK ? "no root server answered" : vx_strerror(rc));
        goto out;
    }
    if (run.args.zone_file && add_zone_file(&run) != VX_OK)
        goto out;
    status = report(&run);
out:
    release(&run);
    return status;
}
