/*
 * tests/fuzz/fuzz_checks.c — libFuzzer target for what `voxdns audit --from FILE` does after
 * loading: every check over the loaded snapshot (the checks parse rdata again: SRV and SOA
 * fields, ldns_rr_new_frm_str, DNSSEC verification) and every report form (text, JSON, HTML)
 * of the findings. Beyond ASan/UBSan findings it aborts when a snapshot that loaded gives no
 * report, or when the checks fail on anything but memory.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check/check.h"
#include "model/snapshot.h"
#include "report/report.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(const vx__snapshot *s, const vx__findings *f)
{
    vx__report_input in = {s, f, NULL, NULL, NULL, NULL};
    char *text = vx__report_text(&in, false);
    char *json = vx__report_json(&in);
    char *html = vx__report_html(&in);
    if (!text || !json || !html)
        abort();
    free(text);
    free(json);
    free(html);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    vx__snapshot *s = NULL;
    if (vx__snapshot_from_json((const char *)data, size, &s, err, sizeof err) != VX_OK)
        return 0;
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.now_s = 1764633600; /* fixed: signature validity must not depend on the day it runs */
    vx__findings f = {0};
    int rc = vx__run_checks(s, &cfg, &f);
    if (rc != VX_OK && rc != VX_ENOMEM)
        abort();
    if (rc == VX_OK)
        render(s, &f);
    vx__findings_clear(&f);
    vx__snapshot_free(s);
    return 0;
}
