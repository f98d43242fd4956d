/*
 * cli/query.c — `voxdns query`: a dig-like command on the engine. With @SERVER it asks that one
 * server; without, it resolves iteratively from the root hints (probe/walk) and, with +trace,
 * prints every step. Either way it shows the answer in presentation form with the server, the
 * RTT and the history of attempts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "net/engine.h"
#include "probe/hints.h"
#include "probe/walk.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/query.h"
#include "wire/rrutil.h"

static const char query_usage[] =
    "usage: voxdns query [@SERVER] NAME [TYPE] [options]\n"
    "\n"
    "Without @SERVER, resolves NAME iteratively from the root hints, as a resolver would.\n"
    "With @SERVER (an address, address:port, [IPv6]:port or a name), asks that server.\n"
    "\n"
    "  TYPE           record type (default A): NAPTR, SRV, NS, SOA, AAAA, TXT, TYPE65, ...\n"
    "  +tcp           TCP from the first attempt (otherwise UDP, then TCP if truncated)\n"
    "  +dnssec        set the DO bit (ask for DNSSEC records)\n"
    "  +nsid          ask for the server's NSID\n"
    "  +norec         recursion not desired (with @SERVER; the iterative walk never sets RD)\n"
    "  +trace         print every step of the iterative walk\n"
    "  --hints FILE   root hints file (default: IANA's root servers, built in)\n"
    "  -4, -6         use only IPv4 / only IPv6 server addresses\n"
    "\n"
    "exit status: 0 a response was received (whatever its rcode), 3 no response,\n"
    "             64 usage error (bad option, malformed name, unknown type)\n";

typedef struct query_args {
    const char *server;
    const char *name;
    const char *type_text;
    const char *hints_path;
    unsigned flags;
    bool trace;
    bool ipv4;
    bool ipv6;
} query_args;

typedef struct query_run {
    query_args args;
    char qname[VX__NAME_TEXT_MAX];
    uint16_t qtype;
    vx__server_set hints;
    vx__engine *engine;
    struct sockaddr_storage server_addr;
    char server_label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX];
    int exit_status;
} query_run;

/* --- arguments ------------------------------------------------------------------------------ */

static int parse_plus_option(query_args *a, const char *opt)
{
    if (strcmp(opt, "+tcp") == 0 || strcmp(opt, "+vc") == 0)
        a->flags |= VX__Q_TCP;
    else if (strcmp(opt, "+dnssec") == 0)
        a->flags |= VX__Q_DO;
    else if (strcmp(opt, "+nsid") == 0)
        a->flags |= VX__Q_NSID;
    else if (strcmp(opt, "+norec") == 0 || strcmp(opt, "+norecurse") == 0)
        a->flags &= ~(unsigned)VX__Q_RD;
    else if (strcmp(opt, "+rec") == 0 || strcmp(opt, "+recurse") == 0)
        a->flags |= VX__Q_RD;
    else if (strcmp(opt, "+trace") == 0)
        a->trace = true;
    else
        return VX_EINVAL;
    return VX_OK;
}

static int parse_positional(query_args *a, const char *arg)
{
    if (!a->name)
        a->name = arg;
    else if (!a->type_text)
        a->type_text = arg;
    else
        return VX_EINVAL;
    return VX_OK;
}

/* Returns VX_OK, VX_EINVAL (usage error, already reported) or 1 for --help. */
static int parse_args(int argc, char **argv, query_args *a)
{
    memset(a, 0, sizeof(*a));
    a->flags = VX__Q_RD;
    a->ipv4 = a->ipv6 = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int rc = VX_OK;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (strcmp(arg, "--hints") == 0) {
            if (++i == argc) {
                vx__cli_error("query", "--hints needs a file name");
                return VX_EINVAL;
            }
            a->hints_path = argv[i];
        } else if (strcmp(arg, "-4") == 0) {
            a->ipv6 = false;
        } else if (strcmp(arg, "-6") == 0) {
            a->ipv4 = false;
        } else if (arg[0] == '@' && !a->server) {
            a->server = arg + 1;
        } else if (arg[0] == '+') {
            rc = parse_plus_option(a, arg);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            rc = VX_EINVAL;
        } else {
            rc = parse_positional(a, arg);
        }
        if (rc != VX_OK) {
            vx__cli_error("query", "unexpected argument '%s' (try voxdns query --help)", arg);
            return VX_EINVAL;
        }
    }
    if (!a->name || (a->server && a->server[0] == '\0') || (!a->ipv4 && !a->ipv6)) {
        vx__cli_error("query", !a->name ? "a name to look up is required (try --help)"
                                        : "-4 and -6 exclude each other, and @ needs a server");
        return VX_EINVAL;
    }
    return VX_OK;
}

static int check_inputs(query_run *run)
{
    const query_args *a = &run->args;
    if (vx__name_normalize(a->name, run->qname, sizeof(run->qname)) != VX_OK) {
        vx__cli_error("query", "invalid domain name '%s'", a->name);
        return VX_EINVAL;
    }
    run->qtype = LDNS_RR_TYPE_A;
    if (a->type_text && vx__rrtype_from_text(a->type_text, &run->qtype) != VX_OK) {
        vx__cli_error("query", "unknown record type '%s'", a->type_text);
        return VX_EINVAL;
    }
    return VX_OK;
}

/* --- printing ------------------------------------------------------------------------------- */

static void format_server(const vx__server *s, char *out, size_t cap)
{
    char addr[VX__ADDR_TEXT_MAX];
    vx__addr_format((const struct sockaddr *)&s->addr, addr, sizeof(addr));
    size_t n = strlen(s->name);
    int name_len = (int)(n > 1 && s->name[n - 1] == '.' ? n - 1 : n);
    snprintf(out, cap, "%.*s/%s", name_len, s->name, addr);
}

static const char *transport_name(vx__transport t)
{
    return t == VX__TCP ? "tcp" : "udp";
}

static void print_attempts(const vx__query_result *q)
{
    printf(";; ATTEMPTS: %u:", q->attempt_count);
    for (unsigned i = 0; i < q->attempt_count && i < VX__ATTEMPTS_MAX; i++) {
        const vx__attempt *at = &q->attempts[i];
        const char *outcome =
            at->status == VX_OK ? (at->truncated ? "truncated" : "ok") : vx_strerror(at->status);
        printf("%s %s %.2f ms %s (timeout %u ms)", i ? "," : "", transport_name(at->transport),
               at->elapsed_ms, outcome, at->timeout_ms);
    }
    if (q->dropped)
        printf("; %u unmatched datagram%s dropped", q->dropped, q->dropped == 1 ? "" : "s");
    printf("\n");
}

static double total_elapsed(const vx__query_result *q)
{
    double sum = 0;
    for (unsigned i = 0; i < q->attempt_count && i < VX__ATTEMPTS_MAX; i++)
        sum += q->attempts[i].elapsed_ms;
    return sum;
}

static void print_response(const vx__query_result *q, const char *server_label)
{
    vx__msg *m = NULL;
    if (vx__msg_parse(q->wire, q->wire_len, &m) != VX_OK) {
        printf(";; malformed response from %s (%zu octets)\n", server_label, q->wire_len);
        print_attempts(q);
        return;
    }
    char *text = vx__msg_to_text(m);
    if (text)
        fputs(text, stdout);
    free(text);
    printf(";; SERVER: %s over %s, RTT %.2f ms\n", server_label, transport_name(q->transport),
           q->rtt_ms);
    print_attempts(q);
    vx__msg_free(m);
}

static void print_failure(const vx__query_result *q, const char *server_label)
{
    vx__cli_error("query", "no answer from %s: %s after %u attempt%s in %.2f s", server_label,
                  vx_strerror(q->status), q->attempt_count, q->attempt_count == 1 ? "" : "s",
                  total_elapsed(q) / 1000.0);
}

static void print_referral_records(const vx__walk_step *st, int indent)
{
    const ldns_rr_list *auth = ldns_pkt_authority(st->msg->pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS)
            continue;
        char *text = vx__rr_to_text(rr);
        if (text)
            printf("%*s%s\n", indent, "", text);
        free(text);
    }
    for (size_t i = 0; st->referral && i < st->referral->count; i++) {
        char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX];
        format_server(&st->referral->items[i], label, sizeof(label));
        printf("%*s;; glue %s\n", indent, "", label);
    }
}

static void describe_step(const vx__walk_step *st, char *out, size_t cap)
{
    size_t answers = st->msg ? ldns_rr_list_rr_count(ldns_pkt_answer(st->msg->pkt)) : 0;
    switch (st->event) {
    case VX__WALK_REFERRAL:
        snprintf(out, cap, "referral to %s (%u NS, %zu glue address%s)", st->detail,
                 st->referral_ns_count, st->referral->count, st->referral->count == 1 ? "" : "es");
        break;
    case VX__WALK_ANSWER:
        snprintf(out, cap, "answer (%zu record%s%s)", answers, answers == 1 ? "" : "s",
                 st->msg && vx__msg_aa(st->msg) ? ", authoritative" : "");
        break;
    case VX__WALK_CNAME:
        snprintf(out, cap, "alias to %s, starting again at the root", st->detail);
        break;
    case VX__WALK_LAME:
    case VX__WALK_NO_ANSWER:
        snprintf(out, cap, "%s: %s", vx__walk_event_name(st->event), st->detail);
        break;
    default:
        snprintf(out, cap, "%s", vx__walk_event_name(st->event));
        break;
    }
}

static void print_step(void *arg, const vx__walk_step *st)
{
    (void)arg;
    int indent = 2 * (int)st->depth;
    char type[16];
    vx__rrtype_to_text(st->qtype, type, sizeof(type));
    if (st->event == VX__WALK_NS_LOOKUP) {
        printf("%*s;; looking up %s %s (NS name without glue)\n", indent, "", st->detail, type);
        return;
    }
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX];
    char what[VX__NAME_TEXT_MAX + 96];
    format_server(st->server, label, sizeof(label));
    describe_step(st, what, sizeof(what));
    double ms = st->msg ? st->query->rtt_ms : total_elapsed(st->query);
    printf("%*s;; zone %s @%s %s %.2f ms: %s %s -> %s\n", indent, "", st->zone, label,
           transport_name(st->query->transport), ms, st->qname, type, what);
    if (st->event == VX__WALK_REFERRAL)
        print_referral_records(st, indent);
}

/* --- running -------------------------------------------------------------------------------- */

static void on_walk_done(void *arg, const vx__walk_result *r)
{
    query_run *run = arg;
    if (!r->msg) {
        vx__cli_error("query", "%s: %s", run->qname, r->error);
        run->exit_status = VX_EXIT_FAILED;
        return;
    }
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX];
    format_server(r->server, label, sizeof(label));
    if (run->args.trace)
        printf("\n");
    print_response(r->query, label);
    printf(";; WALK: zone %s, %u referral%s, %u quer%s, %.2f ms\n", r->zone, r->referrals,
           r->referrals == 1 ? "" : "s", r->queries, r->queries == 1 ? "y" : "ies", r->elapsed_ms);
    run->exit_status = VX_EXIT_OK;
}

static void on_direct_done(void *arg, const vx__query_result *q)
{
    query_run *run = arg;
    if (q->status != VX_OK) {
        print_failure(q, run->server_label);
        run->exit_status = VX_EXIT_FAILED;
        return;
    }
    print_response(q, run->server_label);
    run->exit_status = VX_EXIT_OK;
}

static int start_direct(query_run *run)
{
    vx__question question;
    int rc = vx__question_from_text(run->qname, run->qtype, LDNS_RR_CLASS_IN, &question);
    if (rc != VX_OK)
        return rc;
    vx__query_spec spec = {.server = (const struct sockaddr *)&run->server_addr,
                           .question = &question,
                           .flags = run->args.flags};
    return vx__engine_query(run->engine, &spec, on_direct_done, run);
}

/* @NAME: the server's own address is found by an iterative walk first. */
static void on_server_name_done(void *arg, const vx__walk_result *r)
{
    query_run *run = arg;
    const ldns_rr_list *an = r->msg ? ldns_pkt_answer(r->msg->pkt) : NULL;
    for (size_t i = 0; r->status == VX_OK && an && i < ldns_rr_list_rr_count(an); i++) {
        vx__server s = {.name = (char *)r->qname};
        if (vx__rr_addr(ldns_rr_list_rr(an, i), 53, &s.addr) != VX_OK)
            continue;
        run->server_addr = s.addr;
        format_server(&s, run->server_label, sizeof(run->server_label));
        if (start_direct(run) == VX_OK)
            return;
    }
    vx__cli_error("query", "cannot find an address for server '%s'%s%s", run->args.server,
                  r->error[0] ? ": " : "", r->error);
    run->exit_status = VX_EXIT_FAILED;
}

static int load_hints(query_run *run)
{
    char err[512];
    int rc = run->args.hints_path
                 ? vx__hints_load(run->args.hints_path, &run->hints, err, sizeof(err))
                 : vx__hints_builtin(&run->hints);
    if (rc != VX_OK)
        vx__cli_error("query", "cannot use root hints: %s",
                      run->args.hints_path ? err : vx_strerror(rc));
    return rc;
}

static int start_walk(query_run *run, const char *name, uint16_t type, vx__walk_done_cb done,
                      bool trace)
{
    vx__walk_opts opts;
    vx__walk_opts_default(&opts);
    opts.hints = &run->hints;
    opts.query_flags = run->args.flags & (VX__Q_DO | VX__Q_NSID | VX__Q_TCP);
    opts.ipv4 = run->args.ipv4;
    opts.ipv6 = run->args.ipv6;
    opts.on_step = trace ? print_step : NULL;
    return vx__walk_start(run->engine, name, type, &opts, done, run);
}

static int start(query_run *run)
{
    const char *server = run->args.server;
    if (!server)
        return start_walk(run, run->qname, run->qtype, on_walk_done, run->args.trace);
    socklen_t len;
    if (vx__addr_parse(server, 53, &run->server_addr, &len) == VX_OK) {
        vx__addr_format_port((const struct sockaddr *)&run->server_addr, run->server_label,
                             sizeof(run->server_label));
        return start_direct(run);
    }
    char name[VX__NAME_TEXT_MAX];
    if (vx__name_normalize(server, name, sizeof(name)) != VX_OK) {
        vx__cli_error("query", "invalid server '%s': not an address or a host name", server);
        return VX_EINVAL;
    }
    uint16_t type = run->args.ipv4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
    return start_walk(run, name, type, on_server_name_done, false);
}

static int run_query(query_run *run)
{
    uv_loop_t loop;
    vx__engine_opts opts;
    if (uv_loop_init(&loop) != 0)
        return VX_EXIT_FAILED;
    vx__engine_opts_default(&opts);
    int rc = vx__engine_new(&loop, &opts, &run->engine);
    if (rc == VX_OK) {
        rc = start(run);
        if (rc == VX_OK)
            uv_run(&loop, UV_RUN_DEFAULT);
        else if (rc != VX_EINVAL)
            vx__cli_error("query", "cannot start: %s", vx_strerror(rc));
        vx__engine_close(run->engine);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&loop);
    if (rc == VX_EINVAL)
        return VX_EXIT_USAGE;
    return rc == VX_OK ? run->exit_status : VX_EXIT_FAILED;
}

int vx__cmd_query(int argc, char **argv)
{
    query_run run;
    memset(&run, 0, sizeof(run));
    run.exit_status = VX_EXIT_FAILED;
    int rc = parse_args(argc, argv, &run.args);
    if (rc == 1) {
        fputs(query_usage, stdout);
        return VX_EXIT_OK;
    }
    if (rc != VX_OK || check_inputs(&run) != VX_OK)
        return VX_EXIT_USAGE;
    vx__server_set_init(&run.hints);
    int status = VX_EXIT_FAILED;
    if (load_hints(&run) == VX_OK)
        status = run_query(&run);
    vx__server_set_clear(&run.hints);
    return status;
}
