/*
 * tests/fuzz/fuzz_sip_response.c — libFuzzer target for the SIP response reader
 * (wire/sip_msg.c), which reads what the endpoint probe receives over UDP, TCP and TLS.
 *
 * The first byte chooses datagram or stream reading; the rest is the message. Beyond sanitizer
 * findings it aborts when an invariant breaks: an accepted message has a status in 100..699,
 * its length fits the input and covers its body, every kept field is NUL-terminated within its
 * buffer, and reading the accepted message again by itself gives the same result.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const vx__sip_response *r, size_t len)
{
    if (r->status < 100 || r->status > 699 || r->length > len || r->length < r->content_length)
        abort();
    if (!memchr(r->reason, 0, sizeof r->reason) || !memchr(r->branch, 0, sizeof r->branch) ||
        !memchr(r->call_id, 0, sizeof r->call_id) || !memchr(r->server, 0, sizeof r->server) ||
        !memchr(r->cseq_method, 0, sizeof r->cseq_method))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool stream = data[0] & 1;
    const uint8_t *msg = data + 1;
    size_t len = size - 1;
    vx__sip_response r, again;
    int rc = vx__sip_response_parse(msg, len, stream, &r);
    if (rc != VX_OK && rc != VX_EMALFORMED && !(stream && rc == VX__SIP_MORE))
        abort();
    if (rc != VX_OK)
        return 0;
    check(&r, len);
    /* the message alone (what follows it in a stream cut off) reads the same */
    if (vx__sip_response_parse(msg, r.length, stream, &again) != VX_OK ||
        again.status != r.status || again.length != r.length || again.cseq != r.cseq ||
        strcmp(again.branch, r.branch) != 0)
        abort();
    return 0;
}
