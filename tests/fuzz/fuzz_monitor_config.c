/* tests/fuzz/fuzz_monitor_config.c — libFuzzer target for the monitor's YAML configuration
 * parser (monitor/config.c). Aborts when an invariant breaks: success and failure are exclusive
 * (a config, or one error line "NAME:LINE:COLUMN: ..." and no config), and a parsed config holds
 * at least one normalised domain, valid sinks and an interval of at least a second. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/config.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const vx__monitor_config *c)
{
    if (c->domain_count == 0 || c->interval_ms < 1000 || !c->store || !c->listen || !c->log_level ||
        c->flap_max_changes == 0)
        abort();
    for (size_t i = 0; i < c->domain_count; i++) {
        size_t len = strlen(c->domains[i].name);
        if (len < 2 || c->domains[i].name[len - 1] != '.' || !c->domains[i].profile)
            abort();
    }
    for (size_t i = 0; i < c->sink_count; i++) {
        const vx__sink_config *s = &c->sinks[i];
        if (!s->name || (s->type == VX__SINK_WEBHOOK && !s->url) ||
            (s->type == VX__SINK_COMMAND && !s->command))
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->sinks[j].name, s->name) == 0)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__monitor_config *cfg = NULL;
    char err[256] = "";
    int rc = vx__monitor_config_parse("f.yml", (const char *)data, size, &cfg, err, sizeof err);
    if (rc == VX_OK) {
        if (!cfg || err[0])
            abort();
        check_config(cfg);
    } else if (cfg || strncmp(err, "f.yml:", 6) != 0 || strchr(err, '\n')) {
        abort();
    }
    vx__monitor_config_free(cfg);
    return 0;
}
