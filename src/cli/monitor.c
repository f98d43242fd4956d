/*
 * cli/monitor.c — `voxdns monitor` (the daemon, or --check-config) and `voxdns baseline accept`.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "monitor/config.h"
#include "probe/hints.h"
#include "monitor/daemon.h"
#include "voxdns/status.h"

#define DEFAULT_CONFIG "/etc/voxdns/voxdns.yml"

static const char monitor_usage[] =
    "usage: voxdns monitor [--config FILE] [--once | --cycles N]\n"
    "       voxdns monitor --check-config FILE\n"
    "\n"
    "Probes every configured SIP domain each interval, compares every server's answers with the\n"
    "accepted baseline, records events and alerts, and serves /metrics, /api/v1 and a dashboard.\n"
    "\n"
    "  --config FILE        the configuration (default " DEFAULT_CONFIG ", see voxdns.yml(5))\n"
    "  --once               run one cycle, deliver its alerts and exit\n"
    "  --cycles N           run N cycles back to back (no HTTP), deliver the alerts, exit\n"
    "  --check-config FILE  validate a configuration and exit (0 valid, 78 invalid)\n"
    "\n"
    "signals: SIGHUP reloads the configuration, SIGTERM stops\n";

static const char baseline_usage[] =
    "usage: voxdns baseline accept DOMAIN [--config FILE]\n"
    "\n"
    "Accepts the latest snapshot of DOMAIN as its baseline: the changes it shows are intended.\n";

static int check_config(const char *path)
{
    vx__monitor_config *cfg = NULL;
    char err[1024];
    if (vx__monitor_config_load(path, &cfg, err, sizeof(err)) != VX_OK) {
        fprintf(stderr, "%s\n", err);
        return VX__EXIT_CONFIG;
    }
    /* The hints file exists (the parse saw to that); its contents are judged here too. */
    vx__server_set hints;
    vx__server_set_init(&hints);
    int rc = cfg->hints ? vx__hints_load(cfg->hints, &hints, err, sizeof(err)) : VX_OK;
    vx__server_set_clear(&hints);
    if (rc != VX_OK) {
        fprintf(stderr, "%s: root hints: %s\n", path, err);
        vx__monitor_config_free(cfg);
        return VX__EXIT_CONFIG;
    }
    printf("%s: valid: %zu domain%s, %zu resolver%s, %zu alert sink%s, every %u s, store %s\n",
           path, cfg->domain_count, cfg->domain_count == 1 ? "" : "s", cfg->resolver_count,
           cfg->resolver_count == 1 ? "" : "s", cfg->sink_count, cfg->sink_count == 1 ? "" : "s",
           cfg->interval_ms / 1000u, cfg->store);
    vx__monitor_config_free(cfg);
    return VX_EXIT_OK;
}

int vx__cmd_monitor(int argc, char **argv)
{
    vx__daemon_opts opts = {.config_path = DEFAULT_CONFIG};
    const char *check = NULL;
    for (int i = 1; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(monitor_usage, stdout);
            return VX_EXIT_OK;
        } else if (strcmp(argv[i], "--config") == 0 && has_value) {
            opts.config_path = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0 && has_value) {
            check = argv[++i];
        } else if (strcmp(argv[i], "--once") == 0) {
            opts.once = true;
        } else if (strcmp(argv[i], "--cycles") == 0 && has_value) {
            char *end = NULL;
            const char *text = argv[++i];
            unsigned long n = strtoul(text, &end, 10);
            if (!*text || *end || n == 0 || n > 1000000 || text[0] == '-') {
                vx__cli_error("monitor", "--cycles wants a count from 1 to 1000000, not '%s'",
                              text);
                return VX_EXIT_USAGE;
            }
            opts.cycles = n;
        } else {
            vx__cli_error("monitor", "unexpected argument '%s' (try voxdns monitor --help)",
                          argv[i]);
            return VX_EXIT_USAGE;
        }
    }
    return check ? check_config(check) : vx__daemon_run(&opts);
}

int vx__cmd_baseline(int argc, char **argv)
{
    const char *config = DEFAULT_CONFIG;
    const char *domain = NULL;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(baseline_usage, stdout);
        return VX_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "accept") != 0) {
        vx__cli_error("baseline", "expected 'accept DOMAIN' (try voxdns baseline --help)");
        return VX_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (!domain && argv[i][0] != '-')
            domain = argv[i];
        else {
            vx__cli_error("baseline", "unexpected argument '%s'", argv[i]);
            return VX_EXIT_USAGE;
        }
    }
    if (!domain) {
        vx__cli_error("baseline", "a domain is required");
        return VX_EXIT_USAGE;
    }
    char msg[1024];
    int status = vx__baseline_accept(config, domain, msg, sizeof(msg));
    if (status == 0)
        printf("%s\n", msg);
    else if (status == VX__EXIT_CONFIG)
        fprintf(stderr, "%s\n", msg);
    else
        vx__cli_error("baseline", "%s", msg);
    return status;
}
