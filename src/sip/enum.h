/*
 * sip/enum.h — ENUM (RFC 6116): an E.164 number to its domain under e164.arpa., and the
 * NAPTR "E2U+sip" records found there to SIP URIs, through the RFC 3402 substitution
 * expression "!ere!replacement!flags" applied to the number.
 *
 * Input rules (strict; every refusal says why in err):
 *   number  "+" then 1 to 15 digits, the first not 0 (E.164 §6), with spaces, '-' or '.' allowed
 *           between digits: "+44 20 7946 0000", "+1-202-555-0100", "+33.1.23.45.67.89".
 *   regexp  at most 255 characters (one DNS character-string). The first character is the
 *           delimiter (not a digit, not '\\', not 'i'); it appears escaped ("\!") inside the
 *           ERE and the replacement. The ERE is POSIX extended (regcomp); a back-reference
 *           inside the ERE is refused (not ERE), and so are adjacent repetition operators
 *           ("a+*", undefined in POSIX) and repetitions whose copies multiply past 64 ('+'
 *           counts 2, "{m,n}" counts n+1, nested or not): glibc's regcomp copies the operand
 *           of each, so "((a+)+)+..." would exhaust memory. Real ENUM expressions need none
 *           of this: the string matched is at most 16 characters. The replacement may hold
 *           \1..\9 (a group that did not take part gives ""), "\\" for a backslash and the
 *           escaped delimiter; any other escape is refused. The only flag is "i".
 */
#ifndef VX_SIP_ENUM_H
#define VX_SIP_ENUM_H

#include <stddef.h>
#include <stdint.h>

#include "sip/records.h"

#define VX__ENUM_DIGITS_MAX 15
#define VX__ENUM_AUS_MAX (VX__ENUM_DIGITS_MAX + 2) /* "+" digits NUL */
#define VX__ENUM_REGEXP_MAX 255
#define VX__ENUM_URI_MAX 512

/* "+44 20 7946 0000" → "+442079460000", the Application Unique String (RFC 6116 §3.4). */
int vx__enum_normalize(const char *number, char *out, size_t cap, char *err, size_t errcap);

/* "+44 20 7946 0000" → "0.0.0.0.6.4.9.7.0.2.4.4.e164.arpa." under apex (NULL = "e164.arpa."). */
int vx__enum_domain(const char *number, const char *apex, char *out, size_t cap, char *err,
                    size_t errcap);

/* Applies one NAPTR regexp field to the AUS. VX_OK with the result in out; VX_ENOTFOUND when
 * the ERE does not match; VX_EINVAL for a malformed or refused expression, or a result that does
 * not fit in cap. */
int vx__enum_regexp_apply(const char *regexp, const char *aus, char *out, size_t cap, char *err,
                          size_t errcap);

typedef struct vx__enum_uri {
    char uri[VX__ENUM_URI_MAX];
    uint16_t order, pref;
    uint32_t ttl;
} vx__enum_uri;

/* The SIP URIs an ENUM NAPTR RRset gives for the number aus (normalised), in order then
 * preference order. Only terminal records are used: service "E2U+sip" (any case), flags "u",
 * replacement "." or empty, and a regexp whose result is a valid sip:/sips: URI; others are
 * skipped (non-terminal rewrites to another domain are not followed). VX_ENOTFOUND when none
 * is usable; *count says how many were written (at most cap). */
int vx__enum_sip_uris(const vx__sip_naptr *recs, size_t n, const char *aus, vx__enum_uri *out,
                      size_t cap, size_t *count);

#endif
