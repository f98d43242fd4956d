/*
 * tests/fuzz/fuzz_notify.c — libFuzzer target for the NOTIFY reader and answerer (wire/notify.c).
 * Input: one control byte (bit 0: the listener requires a TSIG key; bit 1: the source address
 * is refused), eight bytes of the clock (Unix seconds, big-endian: the TSIG time check), then
 * the message as a primary would send it. Two keys are configured, "notify-key." (hmac-sha256)
 * and "second." (hmac-sha512), with the secrets the corpus was signed with. Beyond ASan/UBSan it
 * aborts when an invariant breaks: no answer to what was ignored, an answer always a readable
 * response with the request's id, NOERROR only when accepted, a refused source never accepted,
 * an accepted NOTIFY without a key only where no key is required, and the same verdict twice.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool known(void *arg, const char *zone)
{
    (void)arg;
    return strcmp(zone, "xfr-example.com.") == 0 || strcmp(zone, "example.com.") == 0;
}

static void check_answer(const uint8_t *msg, size_t len, const vx__notify *n)
{
    if (n->answer_len == 0) {
        if (n->verdict != VX__NOTIFY_IGNORED)
            abort();
        return;
    }
    ldns_pkt *a = NULL;
    if (n->verdict == VX__NOTIFY_IGNORED || n->answer_len > sizeof n->answer || len < 12 ||
        ldns_wire2pkt(&a, n->answer, n->answer_len) != LDNS_STATUS_OK)
        abort();
    bool noerror = ldns_pkt_get_rcode(a) == LDNS_RCODE_NOERROR;
    if (!ldns_pkt_qr(a) || ldns_pkt_id(a) != (uint16_t)(msg[0] << 8 | msg[1]) ||
        noerror != (n->verdict == VX__NOTIFY_ACCEPTED))
        abort();
    ldns_pkt_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vx__tsig_key keys[2];
    static bool ready;
    if (!ready &&
        (vx__tsig_key_parse("hmac-sha256:notify-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=",
                            &keys[0]) != VX_OK ||
         vx__tsig_key_parse("hmac-sha512:second:b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI=",
                            &keys[1]) != VX_OK))
        abort();
    ready = true;
    if (size < 9)
        return 0;
    uint64_t now = 0;
    for (int i = 1; i < 9; i++)
        now = now << 8 | data[i];
    vx__notify_policy pol = {.keys = keys,
                             .key_count = data[0] & 1 ? 2 : 0,
                             .source_allowed = !(data[0] & 2),
                             .zone_known = known,
                             .now_s = now};
    static vx__notify n1, n2;
    if (vx__notify_handle(data + 9, size - 9, &pol, &n1) != VX_OK)
        return 0;
    check_answer(data + 9, size - 9, &n1);
    if (n1.verdict == VX__NOTIFY_ACCEPTED && (!pol.source_allowed || (pol.key_count && !n1.key[0])))
        abort();
    if (vx__notify_handle(data + 9, size - 9, &pol, &n2) != VX_OK || n2.verdict != n1.verdict ||
        n2.has_serial != n1.has_serial || strcmp(n2.zone, n1.zone) != 0)
        abort();
    return 0;
}
