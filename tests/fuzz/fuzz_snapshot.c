/*
 * tests/fuzz/fuzz_snapshot.c — libFuzzer target for the snapshot reader (model/snapshot_json.c,
 * `voxdns audit --from FILE`). Beyond ASan/UBSan findings it aborts when an invariant breaks:
 * whatever loads saves, the saved text loads again, and saving that gives the same bytes.
 * A loaded snapshot is also rendered (report/ parses its rdata for the SIP chain), since
 * `voxdns audit --from FILE` renders whatever the file holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/snapshot.h"
#include "report/report.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    vx__snapshot *s = NULL;
    if (vx__snapshot_from_json((const char *)data, size, &s, err, sizeof err) != VX_OK) {
        if (s || err[0] == '\0')
            abort(); /* a failure gives no snapshot and always says why */
        return 0;
    }
    char *one = vx__snapshot_to_json(s);
    vx__snapshot *again = NULL;
    if (!one || vx__snapshot_from_json(one, strlen(one), &again, err, sizeof err) != VX_OK)
        abort();
    char *two = vx__snapshot_to_json(again);
    if (!two || strcmp(one, two) != 0)
        abort();
    vx__report_input in = {s, NULL, NULL, NULL, NULL, NULL};
    free(vx__report_json(&in));
    free(vx__report_html(&in));
    free(one);
    free(two);
    vx__snapshot_free(again);
    vx__snapshot_free(s);
    return 0;
}
