/* cli/main.c — the voxdns binary: subcommand dispatch, --help and --version. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef VOXDNS_VERSION
#define VOXDNS_VERSION "0.1.0"
#endif

static const char usage_text[] =
    "usage: voxdns COMMAND [ARGS]\n"
    "\n"
    "Keeps the DNS of SIP and unified-communications services honest.\n"
    "\n"
    "commands:\n"
    "  audit [options] DOMAIN...\n"
    "        audit the DNS of SIP domains: delegation, servers, consistency, the SIP chain,\n"
    "        TTLs and outage survival, diversity, DNSSEC, exposure\n"
    "\n"
    "  monitor [--config FILE] [--once | --cycles N] | --check-config FILE\n"
    "        watch domains continuously: availability and integrity of every server's data\n"
    "        against a baseline, with history, alerts, metrics, API and dashboard\n"
    "  baseline accept DOMAIN [--config FILE]\n"
    "        accept the latest snapshot of DOMAIN as its baseline (intended changes)\n"
    "  zone diff DOMAIN (--tsig PROVIDER=KEY... | --axfr) [--zone-file FILE]\n"
    "        transfer the zone from each DNS provider and print where the copies differ\n"
    "  query [@SERVER] NAME [TYPE] [+tcp] [+dnssec] [+nsid] [+norec] [+trace] [--hints FILE]\n"
    "        ask one server, or resolve iteratively from the root hints and show each step\n"
    "  resolve URI [--resolver ADDR]... [--static-cache FILE] [--domain-fallback DOMAIN]...\n"
    "          [--policy strict|suffix|off] [--trace] [--json]\n"
    "        locate a SIP URI's servers as a phone would (libvoxdns)\n"
    "  export-cache DOMAIN --format polycom|yealink|voxdns|hosts [--hints FILE]\n"
    "          [--resolver ADDR]...\n"
    "        write the static DNS cache configuration a phone carries for DOMAIN\n"
    "\n"
    "  voxdns COMMAND --help   help for one command\n"
    "  voxdns --version        the version\n";

void vx__cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "voxdns %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return VX_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return VX_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("voxdns %s\n", VOXDNS_VERSION);
        return VX_EXIT_OK;
    }
    if (strcmp(cmd, "audit") == 0)
        return vx__cmd_audit(argc - 1, argv + 1);
    if (strcmp(cmd, "monitor") == 0)
        return vx__cmd_monitor(argc - 1, argv + 1);
    if (strcmp(cmd, "baseline") == 0)
        return vx__cmd_baseline(argc - 1, argv + 1);
    if (strcmp(cmd, "zone") == 0)
        return vx__cmd_zone(argc - 1, argv + 1);
    if (strcmp(cmd, "query") == 0)
        return vx__cmd_query(argc - 1, argv + 1);
    if (strcmp(cmd, "resolve") == 0)
        return vx__cmd_resolve(argc - 1, argv + 1);
    if (strcmp(cmd, "export-cache") == 0)
        return vx__cmd_export_cache(argc - 1, argv + 1);
    fprintf(stderr, "voxdns: unknown command '%s' (try voxdns --help)\n", cmd);
    return VX_EXIT_USAGE;
}
