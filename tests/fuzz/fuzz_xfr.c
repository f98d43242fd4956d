/*
 * tests/fuzz/fuzz_xfr.c — libFuzzer target for the zone-transfer reader (wire/xfr.c): the
 * input is what a server sends back over TCP for an AXFR of axfr-example.com with id 0x1234
 * (length-prefixed messages, as the corpus recorded from the lab's open-AXFR server). Inputs
 * starting with 'T' are read as a transfer signed with a fixed TSIG key. Beyond ASan/UBSan
 * findings it aborts when an invariant breaks: a transfer said complete gives its records (or
 * refuses them whole) and takes no further message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/xfr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int feed_all(vx__xfr *x, const uint8_t *data, size_t size)
{
    int rc = VX_OK;
    size_t at = 0;
    while (rc == VX_OK && size - at >= 2) {
        size_t len = (size_t)(data[at] << 8 | data[at + 1]);
        if (size - at - 2 < len)
            break;
        rc = vx__xfr_feed(x, data + at + 2, len);
        at += 2 + len;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__tsig_key key;
    bool signed_ = size > 0 && data[0] == 'T';
    if (vx__tsig_key_parse("hmac-sha256:fuzz-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=",
                           &key) != VX_OK)
        abort();
    vx__xfr *x = NULL;
    if (vx__xfr_new("axfr-example.com.", signed_ ? &key : NULL, &x) != VX_OK)
        abort();
    const uint8_t *q;
    size_t qlen;
    if (vx__xfr_query(x, 0x1234, &q, &qlen) != VX_OK || qlen < 12)
        abort();
    int rc = feed_all(x, data + signed_, size - signed_);
    if (rc == VX__XFR_DONE) {
        vx__rrset **sets = NULL;
        size_t count = 0;
        uint32_t serial;
        int taken = vx__xfr_take(x, &sets, &count, &serial);
        if (taken == VX_OK ? count == 0 : (sets != NULL || count != 0))
            abort(); /* records the canonical form cannot hold are refused, never half-kept */
        vx__rrsets_free(sets, count);
        if (vx__xfr_feed(x, q, qlen) != VX_EMALFORMED)
            abort();
    }
    vx__xfr_free(x);
    return 0;
}
