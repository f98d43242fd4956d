/*
 * tests/fuzz/fuzz_msg.c — libFuzzer target for everything wire/ does with bytes from the
 * network: the question reader used by net/ to match responses, the monitor's response
 * fingerprint, the full message parser, and, on success, what upper layers do next (dig-style
 * text, canonical RRsets and their hashes).
 *
 * Besides memory errors (ASan/UBSan) it checks a few invariants and aborts when one breaks:
 * a message that parses with exactly one question gives the same question to the light reader,
 * every RRset equals itself and hashes the same twice, a message the parser accepts has a
 * fingerprint, and the fingerprint is the same twice.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/fingerprint.h"
#include "wire/msg.h"
#include "wire/query.h"
#include "wire/reader.h"
#include "wire/rrset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void exercise_section(const ldns_rr_list *list)
{
    vx__rrset **sets = NULL;
    size_t n = 0;
    if (vx__rrsets_from_list(list, &sets, &n) != VX_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        check(vx__rrset_equal(sets[i], sets[i], true));
        check(vx__rrset_hash(sets[i], true) == vx__rrset_hash(sets[i], true));
        for (size_t j = 1; j < sets[i]->count; j++) /* sorted, no duplicates */
            check(strcmp(sets[i]->rdata[j - 1], sets[i]->rdata[j]) < 0);
    }
    vx__rrsets_free(sets, n);
}

static void exercise_question(const vx__question *q)
{
    char text[VX__NAME_WIRE_MAX * 4 + 2];
    vx__question back;
    check(vx__name_wire_to_text(q->name, q->name_len, text, sizeof text) == VX_OK);
    /* The text form reads back to the same name. */
    check(vx__question_from_text(text, q->qtype, q->qclass, &back) == VX_OK);
    check(back.name_len == q->name_len && memcmp(back.name, q->name, q->name_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__question q;
    int qrc = vx__wire_read_question(data, size, &q);
    if (qrc == VX_OK)
        exercise_question(&q);
    uint64_t fp1 = 0, fp2 = 0;
    int frc = vx__wire_fingerprint(data, size, true, &fp1);
    check(frc == VX_OK || frc == VX_EMALFORMED);
    if (frc == VX_OK)
        check(vx__wire_fingerprint(data, size, true, &fp2) == VX_OK && fp1 == fp2);
    vx__msg *m = NULL;
    int rc = vx__msg_parse(data, size, &m);
    check(rc == VX_OK || rc == VX_EMALFORMED || rc == VX_ENOMEM);
    if (rc != VX_OK)
        return 0;
    check(frc == VX_OK);
    if (m->has_question)
        check(qrc == VX_OK && vx__question_equal(&q, &m->question));
    free(vx__msg_to_text(m));
    exercise_section(ldns_pkt_answer(m->pkt));
    exercise_section(ldns_pkt_authority(m->pkt));
    exercise_section(ldns_pkt_additional(m->pkt));
    vx__msg_free(m);
    return 0;
}
