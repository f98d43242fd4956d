/*
 * wire/reader.h — the bounds-checked cursor through which every byte received from the network
 * is read, plus the message header and question readers built on it.
 *
 * Every function returns VX_OK or VX_EMALFORMED and never reads outside [buf, buf+len).
 * Names are returned in uncompressed wire form (length-prefixed labels, ending in the root
 * label), at most VX__NAME_WIRE_MAX octets. Compression pointers must point strictly backwards
 * (this rules out loops) and at most VX__NAME_MAX_POINTERS are followed per name.
 */
#ifndef VX_WIRE_READER_H
#define VX_WIRE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX__NAME_WIRE_MAX 255
#define VX__LABEL_MAX 63
#define VX__NAME_MAX_POINTERS 64
#define VX__HEADER_LEN 12

typedef struct vx__reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} vx__reader;

void vx__reader_init(vx__reader *r, const uint8_t *buf, size_t len);
int vx__reader_u8(vx__reader *r, uint8_t *out);
int vx__reader_u16(vx__reader *r, uint16_t *out);
int vx__reader_u32(vx__reader *r, uint32_t *out);
int vx__reader_skip(vx__reader *r, size_t n);
/* Reads a possibly compressed name at the cursor into out (uncompressed wire form). The cursor
 * ends after the name as it appears at the cursor (after the first pointer, if any). */
int vx__reader_name(vx__reader *r, uint8_t out[VX__NAME_WIRE_MAX], size_t *out_len);

/* DNS header flag bits (host order, as in the 16-bit flags word). */
#define VX__FLAG_QR 0x8000u
#define VX__FLAG_AA 0x0400u
#define VX__FLAG_TC 0x0200u
#define VX__FLAG_RD 0x0100u
#define VX__FLAG_RA 0x0080u
#define VX__FLAG_AD 0x0020u
#define VX__FLAG_CD 0x0010u
#define VX__OPCODE(flags) (((flags) >> 11) & 0xfu)
#define VX__RCODE(flags) ((flags)&0xfu)

typedef struct vx__header {
    uint16_t id;
    uint16_t flags;
    uint16_t qdcount;
    uint16_t ancount;
    uint16_t nscount;
    uint16_t arcount;
} vx__header;

/* A question: the name in uncompressed wire form, its type and class. */
typedef struct vx__question {
    uint8_t name[VX__NAME_WIRE_MAX];
    size_t name_len;
    uint16_t qtype;
    uint16_t qclass;
} vx__question;

int vx__wire_read_header(const uint8_t *msg, size_t len, vx__header *out);
/* Reads the first question of a message (VX_EMALFORMED when qdcount is not 1). */
int vx__wire_read_question(const uint8_t *msg, size_t len, vx__question *out);
/* Same name (ASCII case-insensitive), type and class. */
bool vx__question_equal(const vx__question *a, const vx__question *b);

#endif
