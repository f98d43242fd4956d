/*
 * wire/fingerprint.h — a 64-bit digest of what a DNS response says, read straight from the
 * received bytes without building ldns objects, for the monitor's quiet cycles: two responses
 * get the same fingerprint when they carry the same rcode, AA and TC bits and the same records
 * in the same sections, whatever their order, name compression or letter case. The OPT record
 * (its NSID, its buffer size) and the message id are left out. Used to tell "nothing changed
 * since the last audit" cheaply; never to prove that something did not change (a collision is
 * a 2^-64 event, and every domain is still audited in full every audit_interval).
 */
#ifndef VX_WIRE_FINGERPRINT_H
#define VX_WIRE_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* with_ttl false leaves TTLs out: a recursive resolver's answers count down. VX_OK, or
 * VX_EMALFORMED when the header, the questions or a record's framing is out of bounds. */
int vx__wire_fingerprint(const uint8_t *msg, size_t len, bool with_ttl, uint64_t *out);

#endif
