/*
 * tests/fuzz/fuzz_ixfr.c — libFuzzer target for the incremental zone-transfer reader
 * (wire/xfr.c IXFR, wire/zdelta.c): the input is what a server sends back over TCP for an IXFR
 * of axfr-example.com with id 0x1234 from the copy below (serial 10), as length-prefixed
 * messages. Inputs starting with 'T' are read as a transfer signed with a fixed TSIG key.
 * Beyond ASan/UBSan findings it aborts when an invariant breaks: a complete transfer gives a
 * zone (the copy held, unchanged, when the answer said it is current), and takes no further
 * message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/xfr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char HELD[] = "$ORIGIN axfr-example.com.\n"
                           "@ 3600 IN SOA ns1.dnsprov-a.net. hostmaster 10 7200 3600 1209600 3600\n"
                           "@ 3600 IN NS ns1.dnsprov-a.net.\n"
                           "www 300 IN A 192.0.2.1\n"
                           "old 300 IN TXT \"old\"\n";

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

static void check_done(vx__xfr *x, size_t held_count, const uint8_t *q, size_t qlen)
{
    vx__rrset **sets = NULL;
    size_t count = 0;
    uint32_t serial;
    int taken = vx__xfr_take(x, &sets, &count, &serial);
    vx__xfr_form form = vx__xfr_form_of(x);
    if (taken == VX_OK ? count == 0 : (sets != NULL || count != 0))
        abort(); /* records the canonical form cannot hold are refused, never half-kept */
    if (taken == VX_OK && form == VX__XFR_UP_TO_DATE && (serial != 10 || count != held_count))
        abort();
    vx__rrsets_free(sets, count);
    if (vx__xfr_feed(x, q, qlen) != VX_EMALFORMED)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__tsig_key key;
    bool signed_ = size > 0 && data[0] == 'T';
    if (vx__tsig_key_parse("hmac-sha256:fuzz-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=",
                           &key) != VX_OK)
        abort();
    vx__rrset **held = NULL;
    size_t n = 0;
    if (vx__zone_text_parse(HELD, sizeof HELD - 1, "axfr-example.com.", &held, &n, NULL, 0) !=
        VX_OK)
        abort();
    vx__xfr *x = NULL;
    if (vx__xfr_new_ixfr("axfr-example.com.", signed_ ? &key : NULL, 10,
                         (const vx__rrset *const *)held, n, &x) != VX_OK)
        abort();
    const uint8_t *q;
    size_t qlen;
    if (vx__xfr_query(x, 0x1234, &q, &qlen) != VX_OK || qlen < 12)
        abort();
    if (feed_all(x, data + signed_, size - signed_) == VX__XFR_DONE)
        check_done(x, n, q, qlen);
    vx__xfr_free(x);
    vx__rrsets_free(held, n);
    return 0;
}
