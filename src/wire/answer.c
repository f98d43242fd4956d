/*
 * wire/answer.c — owns the decision whether a received message answers a query (answer.h).
 */
#include "wire/answer.h"

#include "voxdns/status.h"
#include "wire/addr.h"

static bool id_sent(const vx__answer_spec *spec, uint16_t id, size_t *which)
{
    for (size_t i = 0; i < spec->nids; i++)
        if (spec->ids[i] == id) {
            *which = i;
            return true;
        }
    return false;
}

vx__answer_verdict vx__answer_match(const vx__answer_spec *spec, const struct sockaddr *src,
                                    const uint8_t *msg, size_t len, vx__answer *out)
{
    vx__header h;
    vx__question q;
    size_t which = 0;

    if (spec->server && (!src || !vx__addr_endpoint_equal(src, spec->server)))
        return VX__ANSWER_SOURCE;
    if (vx__wire_read_header(msg, len, &h) != VX_OK)
        return VX__ANSWER_MALFORMED;
    if (!(h.flags & VX__FLAG_QR))
        return VX__ANSWER_NOT_RESPONSE;
    if (VX__OPCODE(h.flags) != spec->opcode)
        return VX__ANSWER_OPCODE;
    if (!id_sent(spec, h.id, &which))
        return VX__ANSWER_ID;
    if (vx__wire_read_question(msg, len, &q) != VX_OK || !vx__question_equal(&q, spec->question))
        return VX__ANSWER_QUESTION;
    out->which = which;
    out->flags = h.flags;
    out->truncated = (h.flags & VX__FLAG_TC) != 0;
    return VX__ANSWER_OK;
}

const char *vx__answer_verdict_name(vx__answer_verdict v)
{
    static const char *const names[] = {"answer",         "wrong source", "malformed",
                                        "not a response", "wrong opcode", "wrong id",
                                        "wrong question"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}
