/*
 * resolver/static_export.h — writes records (A, AAAA, SRV, NAPTR) as the static DNS cache
 * configuration a phone carries, in the formats resolver/static_*.c read back (voxdns, Polycom,
 * Yealink; docs/static-cache.md), or as /etc/hosts lines (addresses only). Export then parse
 * gives back the same records: tests/unit/test_static_export.c holds that.
 */
#ifndef VX_RESOLVER_STATIC_EXPORT_H
#define VX_RESOLVER_STATIC_EXPORT_H

#include <stdio.h>

#include <ldns/ldns.h>

typedef enum vx__export_format {
    VX__EXPORT_VOXDNS = 0,
    VX__EXPORT_POLYCOM,
    VX__EXPORT_YEALINK,
    VX__EXPORT_HOSTS
} vx__export_format;

/* "voxdns", "polycom", "yealink", "hosts" → format; VX_EINVAL otherwise. */
int vx__export_format_from_text(const char *text, vx__export_format *out);

/* Writes the records of list (other types are skipped) to out; comment is put in the file's
 * comment header (one line, may be NULL). VX_EIO on a write error. */
int vx__static_export(const ldns_rr_list *list, vx__export_format fmt, const char *comment,
                      FILE *out);

#endif
