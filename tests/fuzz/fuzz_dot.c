/* tests/fuzz/fuzz_dot.c — libFuzzer target for what a DNS-over-TLS server sends (net/tls.c):
 * the input is fed as the server's bytes to a TLS client session after its ClientHello (the
 * handshake parser, the authentication decision, plaintext reads), in chunks whose sizes the
 * first octet picks. Aborts when a session that says "up" was neither authenticated nor
 * opportunistic. The plaintext's framing is wire/frame.h's: fuzz_net_frame. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/tls.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handshake(const uint8_t *data, size_t size, size_t step, bool strict)
{
    static vx__tls_ctx *ctx[2];
    static const uint8_t pin[1][VX__TLS_PIN_LEN] = {{1}};
    const vx__tls_auth auth = {
        .name = "dns.example.net", .pins = pin, .npins = 1, .strict = strict};
    if (!ctx[strict] && vx__tls_ctx_new(&auth, &ctx[strict]) != VX_OK)
        abort();
    vx__tls_session *s = NULL;
    uint8_t out[4096], plain[4096];
    size_t plen;
    bool up = false;
    if (vx__tls_session_new(ctx[strict], NULL, &s) != VX_OK)
        return;
    int rc = vx__tls_session_run(s, plain, sizeof(plain), &plen, &up);
    while (vx__tls_session_pull(s, out, sizeof(out)) > 0)
        ;
    for (size_t off = 0; rc == VX_OK && off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        vx__tls_session_feed(s, data + off, n);
        rc = vx__tls_session_run(s, plain, sizeof(plain), &plen, &up);
        while (vx__tls_session_pull(s, out, sizeof(out)) > 0)
            ;
        if (up && strict && !vx__tls_authenticated(s))
            abort();
    }
    vx__tls_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] + 1;
    handshake(data + 1, size - 1, step, (data[0] & 1) != 0);
    return 0;
}
