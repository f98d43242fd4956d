/*
 * wire/name.h — domain-name helpers on presentation-form names: normalisation of user input,
 * subdomain and bailiwick tests, and the registrable domain (public suffix list, libpsl).
 */
#ifndef VX_WIRE_NAME_H
#define VX_WIRE_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Longest presentation form, with escapes and trailing dot, plus NUL. */
#define VX__NAME_TEXT_MAX 1025

/* Validates and normalises a name typed by a user or found in data: lower case, one trailing
 * dot, "." for the root. VX_EINVAL for empty labels ("a..b"), a label over 63 octets, a name over
 * 255 octets in wire form, or characters that cannot appear in a host or service name
 * (letters, digits, '-', '_', '*' are accepted; anything else only as an RFC 1035 escape). */
int vx__name_normalize(const char *in, char *out, size_t cap);

/* True when child equals parent or lies below it ("a.b.example.com." under "example.com.").
 * Both in presentation form, any case, trailing dot optional. Every name is under ".". */
bool vx__name_is_subdomain(const char *child, const char *parent);

/* True when name is in the bailiwick of zone: the zone's servers are authoritative for it,
 * so glue for it from the zone's parent may be trusted. Same as vx__name_is_subdomain. */
bool vx__name_in_bailiwick(const char *name, const char *zone);

/* The registrable domain ("example.co.uk." for "ns1.example.co.uk."), through libpsl's built-in
 * list. VX_ENOTFOUND when the name is itself a public suffix or has no registrable part. */
int vx__name_registrable(const char *name, char *out, size_t cap);

/* The parent of a name ("example.com." → "com.", "com." → "."). VX_ENOTFOUND for ".". */
int vx__name_parent(const char *name, char *out, size_t cap);

/* Number of labels ("." → 0, "example.com." → 2). */
unsigned vx__name_label_count(const char *name);

#endif
