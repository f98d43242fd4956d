/*
 * cli/resolve.c — `voxdns resolve URI`: locates a SIP URI through libvoxdns's public API, the
 * way a phone would (upstream resolvers with failover, cache, static fallback, fallback
 * domains, SRV-target policy), and prints the ordered targets; with --trace every DNS step
 * with its source (network, cache, stale, static) and time; with --json the same as JSON.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "voxdns/voxdns.h"
#include "wire/query.h"

static const char resolve_usage[] =
    "usage: voxdns resolve URI [options]\n"
    "\n"
    "Locates the SIP servers of URI (RFC 3263: NAPTR -> SRV -> A/AAAA) and prints them in the\n"
    "order to try them.\n"
    "\n"
    "  --resolver ADDR         an upstream resolver (ADDR[:PORT], [IPv6]:PORT, or DNS over TLS:\n"
    "                          tls://ADDR[:PORT]#AUTH-NAME); repeatable;\n"
    "                          default: the nameservers of /etc/resolv.conf\n"
    "  --resolv-conf FILE      read the nameservers from FILE instead\n"
    "  --tcp                   ask the upstreams over TCP\n"
    "  --ca-file FILE          CA certificates for DNS over TLS (default: the system's)\n"
    "  --spki-pin BASE64       authenticate DNS-over-TLS upstreams by this SPKI SHA-256 pin\n"
    "                          instead (RFC 7858); repeatable\n"
    "  --tls-opportunistic     use a DNS-over-TLS upstream even when it is not authenticated\n"
    "  --static-cache FILE     static fallback cache (voxdns, Polycom or Yealink; detected)\n"
    "  --static-first          answer from the static cache before asking DNS\n"
    "  --domain-fallback DOM   another SIP domain, used when the ones before yield nothing;\n"
    "                          repeatable (at most 7)\n"
    "  --policy P              SRV-target policy: strict, suffix or off (default off)\n"
    "  --transports LIST       transports the client can use: udp,tcp,tls,sctp (default\n"
    "                          udp,tcp,tls)\n"
    "  --max-ttl SECONDS       cap on the time answers are cached\n"
    "  --trust-anchor FILE     validate DNSSEC from this anchor (DS or DNSKEY records, zone-file\n"
    "                          text); bogus answers count as failed; --trace shows each step's\n"
    "                          security\n"
    "  --repeat N              locate N times on the same resolver (cache carries over)\n"
    "  --trace                 print every DNS step with its source and time\n"
    "  --json                  print JSON\n"
    "\n"
    "exit status: 0 targets found, 3 none found (or a file could not be read),\n"
    "             64 usage error (bad option, URI, address, or cache file)\n";

typedef struct resolve_args {
    const char *uri;
    const char *resolv_conf;
    bool trace, json, tcp, any_resolver;
    unsigned repeat;
} resolve_args;

/* --- arguments ------------------------------------------------------------------------------ */

static int usage_error(const char *fmt, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, what);
    vx__cli_error("resolve", "%s", msg);
    return VX_EXIT_USAGE;
}

static int parse_transports(const char *text, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"udp", VX_UDP}, {"tcp", VX_TCP}, {"tls", VX_TLS}, {"sctp", VX_SCTP}};
    char buf[64];
    *mask = 0;
    if (strlen(text) >= sizeof(buf))
        return VX_EINVAL;
    strcpy(buf, text);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < 4 && strcmp(t, names[i].name) != 0)
            i++;
        if (i == 4)
            return VX_EINVAL;
        *mask |= names[i].bit;
    }
    return *mask ? VX_OK : VX_EINVAL;
}

static int parse_policy(const char *text, vx_config *cfg)
{
    vx_policy p = strcmp(text, "strict") == 0   ? VX_POLICY_STRICT
                  : strcmp(text, "suffix") == 0 ? VX_POLICY_SUFFIX
                  : strcmp(text, "off") == 0    ? VX_POLICY_OFF
                                                : (vx_policy)-1;
    return vx_config_set_policy(cfg, p);
}

static int parse_count(const char *text, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (!*text || *end || text[0] == '-' || v > max)
        return VX_EINVAL;
    *out = (unsigned)v;
    return VX_OK;
}

static int load_static(vx_config *cfg, const char *path)
{
    char err[512];
    int rc = vx_config_load_static(cfg, path, VX_STATIC_AUTO, err, sizeof(err));
    if (rc == VX_OK)
        return VX_EXIT_OK;
    vx__cli_error("resolve", "static cache %s: %s", path, err);
    return rc == VX_EIO ? VX_EXIT_FAILED : VX_EXIT_USAGE;
}

static int load_anchor(vx_config *cfg, const char *path)
{
    char err[512];
    int rc = vx_config_load_trust_anchor(cfg, path, err, sizeof(err));
    if (rc == VX_OK)
        return VX_EXIT_OK;
    vx__cli_error("resolve", "trust anchor %s: %s", path, err);
    return rc == VX_EIO ? VX_EXIT_FAILED : VX_EXIT_USAGE;
}

/* An option with a value: applies it. VX_EXIT_OK, or an exit status after a one-line error. */
static int apply_option(const char *opt, const char *val, resolve_args *a, vx_config *cfg)
{
    unsigned n;
    if (strcmp(opt, "--resolver") == 0) {
        a->any_resolver = true;
        if (vx_config_add_upstream(cfg, val, a->tcp ? VX_UPSTREAM_TCP : 0) != VX_OK)
            return usage_error("invalid resolver address '%s'", val);
    } else if (strcmp(opt, "--resolv-conf") == 0) {
        a->resolv_conf = val;
    } else if (strcmp(opt, "--static-cache") == 0) {
        return load_static(cfg, val);
    } else if (strcmp(opt, "--trust-anchor") == 0) {
        return load_anchor(cfg, val);
    } else if (strcmp(opt, "--ca-file") == 0) {
        if (vx_config_set_tls_ca_file(cfg, val) != VX_OK)
            return usage_error("invalid CA file '%s'", val);
    } else if (strcmp(opt, "--spki-pin") == 0) {
        if (vx_config_add_tls_pin(cfg, val) != VX_OK)
            return usage_error("invalid SPKI pin '%s' (base64 of a SHA-256, or more than 8)", val);
    } else if (strcmp(opt, "--domain-fallback") == 0) {
        if (vx_config_add_fallback_domain(cfg, val) != VX_OK)
            return usage_error("invalid fallback domain '%s' (or more than 7)", val);
    } else if (strcmp(opt, "--policy") == 0) {
        if (parse_policy(val, cfg) != VX_OK)
            return usage_error("unknown policy '%s' (strict, suffix or off)", val);
    } else if (strcmp(opt, "--transports") == 0) {
        if (parse_transports(val, &n) != VX_OK || vx_config_set_transports(cfg, n) != VX_OK)
            return usage_error("invalid transports '%s' (udp,tcp,tls,sctp)", val);
    } else if (strcmp(opt, "--max-ttl") == 0) {
        if (parse_count(val, 604800, &n) != VX_OK)
            return usage_error("invalid --max-ttl '%s'", val);
        vx_config_set_max_ttl(cfg, n);
    } else if (strcmp(opt, "--repeat") == 0) {
        if (parse_count(val, 1000, &a->repeat) != VX_OK || a->repeat == 0)
            return usage_error("invalid --repeat '%s' (1-1000)", val);
    } else {
        return usage_error("unknown option '%s' (try voxdns resolve --help)", opt);
    }
    return VX_EXIT_OK;
}

static bool takes_value(const char *opt)
{
    static const char *const with_value[] = {"--resolver",        "--resolv-conf", "--static-cache",
                                             "--domain-fallback", "--policy",      "--transports",
                                             "--max-ttl",         "--repeat",      "--trust-anchor",
                                             "--ca-file",         "--spki-pin"};
    for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
        if (strcmp(opt, with_value[i]) == 0)
            return true;
    return false;
}

static int apply_flag(const char *arg, resolve_args *a, vx_config *cfg)
{
    if (strcmp(arg, "--trace") == 0)
        a->trace = true;
    else if (strcmp(arg, "--json") == 0)
        a->json = true;
    else if (strcmp(arg, "--tcp") == 0)
        a->tcp = true;
    else if (strcmp(arg, "--static-first") == 0)
        vx_config_set_static_first(cfg, 1);
    else if (strcmp(arg, "--tls-opportunistic") == 0)
        vx_config_set_tls_profile(cfg, VX_TLS_OPPORTUNISTIC);
    else if (arg[0] == '-' || a->uri)
        return usage_error("unexpected argument '%s' (try voxdns resolve --help)", arg);
    else
        a->uri = arg;
    return VX_EXIT_OK;
}

/* Returns VX_EXIT_OK, an exit status after an error, or -1 for --help. */
static int parse_args(int argc, char **argv, resolve_args *a, vx_config *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int rc;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return -1;
        if (takes_value(arg)) {
            if (++i == argc)
                return usage_error("%s needs a value", arg);
            rc = apply_option(arg, argv[i], a, cfg);
        } else {
            rc = apply_flag(arg, a, cfg);
        }
        if (rc != VX_EXIT_OK)
            return rc;
    }
    if (!a->uri)
        return usage_error("%s", "a SIP URI is required (try voxdns resolve --help)");
    return VX_EXIT_OK;
}

static int add_default_resolvers(const resolve_args *a, vx_config *cfg)
{
    if (a->any_resolver)
        return VX_EXIT_OK;
    const char *path = a->resolv_conf ? a->resolv_conf : "/etc/resolv.conf";
    int rc = vx_config_add_resolv_conf(cfg, path);
    if (rc == VX_OK)
        return VX_EXIT_OK;
    vx__cli_error("resolve", "%s: %s", path,
                  rc == VX_ENOTFOUND ? "no usable nameserver line (use --resolver)"
                                     : "cannot read it (use --resolver)");
    return VX_EXIT_FAILED;
}

/* --- printing ------------------------------------------------------------------------------- */

static void print_trace(const vx_result *r)
{
    for (size_t i = 0; i < vx_result_step_count(r); i++) {
        char type[16];
        int st = vx_result_step_status(r, i);
        vx__rrtype_to_text(vx_result_step_type(r, i), type, sizeof(type));
        printf(";; %8.2f ms %-5s %s -> ", vx_result_step_start_ms(r, i), type,
               vx_result_step_name(r, i));
        if (st == VX_OK)
            printf("%zu record%s", vx_result_step_records(r, i),
                   vx_result_step_records(r, i) == 1 ? "" : "s");
        else
            printf("%s", st == VX_ENOTFOUND ? "NXDOMAIN" : vx_strerror(st));
        vx_security sec = vx_result_step_security(r, i);
        printf(" from %s in %.2f ms%s%s\n", vx_source_name(vx_result_step_source(r, i)),
               vx_result_step_ms(r, i), sec ? ", " : "", sec ? vx_security_name(sec) : "");
    }
}

static void print_text(const resolve_args *a, const vx_result *r)
{
    if (a->trace)
        print_trace(r);
    size_t n = vx_result_count(r);
    printf("%s: %zu target%s in %.2f ms\n", a->uri, n, n == 1 ? "" : "s", vx_result_elapsed_ms(r));
    for (size_t i = 0; i < n; i++) {
        const char *id = vx_result_tls_identity(r, i);
        printf("%3zu  %-4s %s:%u  %s  ttl %u  %s%s%s\n", i + 1,
               vx_transport_name(vx_result_transport(r, i)), vx_result_host(r, i),
               vx_result_port(r, i), vx_result_address(r, i), vx_result_ttl(r, i),
               vx_source_name(vx_result_source(r, i)), id ? "  tls-identity " : "", id ? id : "");
    }
}

static json_t *json_trace(const vx_result *r)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < vx_result_step_count(r); i++) {
        char type[16];
        vx__rrtype_to_text(vx_result_step_type(r, i), type, sizeof(type));
        int st = vx_result_step_status(r, i);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:s}", "name",
                                               vx_result_step_name(r, i), "type", type, "source",
                                               vx_source_name(vx_result_step_source(r, i)),
                                               "status", st == VX_OK ? "ok" : vx_strerror(st),
                                               "records", (json_int_t)vx_result_step_records(r, i),
                                               "start_ms", vx_result_step_start_ms(r, i), "ms",
                                               vx_result_step_ms(r, i), "security",
                                               vx_security_name(vx_result_step_security(r, i))));
    }
    return steps;
}

static json_t *json_target(const vx_result *r, size_t i)
{
    const char *id = vx_result_tls_identity(r, i);
    return json_pack("{s:s, s:s, s:i, s:s, s:s?, s:s, s:I, s:s}", "transport",
                     vx_transport_name(vx_result_transport(r, i)), "host", vx_result_host(r, i),
                     "port", (int)vx_result_port(r, i), "address", vx_result_address(r, i),
                     "tls_identity", id, "domain", vx_result_domain(r, i), "ttl",
                     (json_int_t)vx_result_ttl(r, i), "source",
                     vx_source_name(vx_result_source(r, i)));
}

static void print_json(const resolve_args *a, const vx_result *r)
{
    json_t *targets = json_array();
    for (size_t i = 0; i < vx_result_count(r); i++)
        json_array_append_new(targets, json_target(r, i));
    int st = vx_result_status(r);
    json_t *o = json_pack("{s:s, s:s, s:f, s:o}", "uri", a->uri, "status",
                          st == VX_OK ? "ok" : vx_strerror(st), "elapsed_ms",
                          vx_result_elapsed_ms(r), "targets", targets);
    if (a->trace)
        json_object_set_new(o, "trace", json_trace(r));
    json_dumpf(o, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(o);
}

/* --- running -------------------------------------------------------------------------------- */

static int locate_once(const resolve_args *a, vx_resolver *res)
{
    vx_result *r = NULL;
    int rc = vx_resolver_locate_blocking(res, a->uri, &r);
    if (!r) {
        vx__cli_error("resolve", "%s: %s", a->uri, vx_strerror(rc));
        return VX_EXIT_FAILED;
    }
    if (a->json)
        print_json(a, r);
    else
        print_text(a, r);
    fflush(stdout);
    if (rc != VX_OK)
        vx__cli_error("resolve", "%s: no target found: %s", a->uri, vx_strerror(rc));
    vx_result_free(r);
    return rc == VX_OK ? VX_EXIT_OK : VX_EXIT_FAILED;
}

static int run(const resolve_args *a, vx_config *cfg)
{
    char err[256];
    if (vx_uri_check(a->uri, err, sizeof(err)) != VX_OK)
        return usage_error("%s", err);
    vx_resolver *res;
    int rc = vx_resolver_new(cfg, &res);
    if (rc != VX_OK) {
        vx__cli_error("resolve", "cannot start the resolver: %s%s", vx_strerror(rc),
                      rc == VX_EINVAL ? " (a strict DNS-over-TLS upstream needs #AUTH-NAME or "
                                        "--spki-pin)"
                      : rc == VX_EIO  ? " (the CA file)"
                                      : "");
        return rc == VX_EINVAL ? VX_EXIT_USAGE : VX_EXIT_FAILED;
    }
    int status = VX_EXIT_OK;
    for (unsigned i = 0; i < (a->repeat ? a->repeat : 1); i++)
        status = locate_once(a, res);
    vx_resolver_free(res);
    return status;
}

int vx__cmd_resolve(int argc, char **argv)
{
    resolve_args a = {0};
    vx_config *cfg;
    if (vx_config_new(&cfg) != VX_OK)
        return VX_EXIT_FAILED;
    int rc = parse_args(argc, argv, &a, cfg);
    if (rc == -1)
        fputs(resolve_usage, stdout);
    else if (rc == VX_EXIT_OK)
        rc = add_default_resolvers(&a, cfg);
    if (rc == VX_EXIT_OK)
        rc = run(&a, cfg);
    vx_config_free(cfg);
    return rc == -1 ? VX_EXIT_OK : rc;
}
