/* tests/fuzz/fuzz_dnssec.c — libFuzzer target for the stub resolver's DNSSEC validator
 * (resolver/dnssec.c): trust anchor text and DNS responses from the network. The input is a
 * sequence of chunks, each a two-octet big-endian length and that many octets: the trust
 * anchor text, the response to validate (its own question is the one checked), then the
 * responses to the chain records the validator asks for, in the order it asks (a chunk that
 * does not parse counts as a failed fetch; when the chunks run out, every fetch fails). Aborts
 * when an invariant breaks: a check ends (at most one fetch per chunk plus a bounded number of
 * failures), and its outcome is one of secure, insecure, bogus. The wall clock is fixed
 * (2026-12-02) so that runs repeat; the seeds are real responses from the lab's signed chain
 * (tests/lab/scenarios/dnssec.yml). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "resolver/dnssec.h"
#include "voxdns/status.h"
#include "wire/msg.h"

#define WALL 1796189000
#define MAX_ROUNDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool chunk(const uint8_t **p, size_t *left, const uint8_t **out, size_t *len)
{
    if (*left < 2)
        return false;
    size_t n = (size_t)(*p)[0] << 8 | (*p)[1];
    if (n > *left - 2)
        return false;
    *out = *p + 2;
    *len = n;
    *p += 2 + n;
    *left -= 2 + n;
    return true;
}

static vx__sec run(vx__dnssec *v, const vx__msg *m, const uint8_t *p, size_t left)
{
    vx__question need;
    vx__sec sec = VX__SEC_NEED;
    for (unsigned round = 0; round < MAX_ROUNDS && sec == VX__SEC_NEED; round++) {
        sec = vx__dnssec_check(v, &m->question, m, 1000, WALL, &need);
        if (sec != VX__SEC_NEED)
            break;
        const uint8_t *c;
        size_t n;
        vx__msg *fetched = NULL;
        if (chunk(&p, &left, &c, &n))
            (void)vx__msg_parse(c, n, &fetched);
        vx__dnssec_store(v, &need, fetched, 1000);
        vx__msg_free(fetched);
    }
    return sec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *text, *resp;
    size_t left = size, tlen, rlen;
    ldns_rr_list *anchors = NULL;
    vx__dnssec *v = NULL;
    vx__msg *m = NULL;
    if (!chunk(&p, &left, &text, &tlen) || !chunk(&p, &left, &resp, &rlen))
        return 0;
    if (vx__dnssec_parse_anchors((const char *)text, tlen, &anchors, NULL, 0) != VX_OK)
        return 0;
    if (vx__dnssec_new(anchors, &v) == VX_OK && vx__msg_parse(resp, rlen, &m) == VX_OK &&
        m->has_question) {
        vx__sec sec = run(v, m, p, left);
        if (sec != VX__SEC_SECURE && sec != VX__SEC_INSECURE && sec != VX__SEC_BOGUS)
            abort();
    }
    vx__msg_free(m);
    vx__dnssec_free(v);
    ldns_rr_list_deep_free(anchors);
    return 0;
}
