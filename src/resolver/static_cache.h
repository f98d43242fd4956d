/*
 * resolver/static_cache.h — the static fallback cache: A, AAAA, SRV and NAPTR records with
 * TTLs configured by hand, as SIP phones carry them, answered when DNS gives nothing (or first,
 * in "static first" mode — that choice is the resolver's). Three sources of entries:
 *   - a voxdns static-cache file (zone-file-like lines, docs/static-cache.md),
 *   - a Polycom UC Software configuration (dns.cache.A|SRV|NAPTR.x.* attributes),
 *   - a Yealink auto-provisioning configuration (dns_cache_a|srv|naptr.X.* lines).
 *
 * Every parser works on a bounded text, never crashes on any input, and either adds all the
 * entries of the text or none: on error it returns VX_EMALFORMED (VX_ENOMEM, VX_ELIMIT) and
 * writes a one-line reason starting with the line number into err. Records handed out are
 * copies the caller frees with ldns_rr_list_deep_free().
 */
#ifndef VX_RESOLVER_STATIC_CACHE_H
#define VX_RESOLVER_STATIC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "wire/reader.h"

#define VX__STATIC_MAX_RECORDS 4096u
#define VX__STATIC_TEXT_MAX (1u << 20) /* a static cache is a few KB; refuse anything absurd */
#define VX__STATIC_DEFAULT_TTL 3600u   /* the TTL of a vendor entry whose .ttl is empty */
#define VX__STATIC_TTL_MAX 2147483647u /* RFC 2181 §8 */

typedef struct vx__static_cache vx__static_cache;

typedef enum vx__static_format {
    VX__STATIC_VOXDNS = 0,
    VX__STATIC_POLYCOM,
    VX__STATIC_YEALINK
} vx__static_format;

int vx__static_new(vx__static_cache **out);
void vx__static_free(vx__static_cache *sc);
size_t vx__static_count(const vx__static_cache *sc);

/* Parses text in the given format and adds its entries (all or none, see above). */
int vx__static_parse(vx__static_cache *sc, vx__static_format fmt, const char *text, size_t len,
                     char *err, size_t errcap);
/* Reads a file and parses it (VX_EIO with the reason in err when it cannot be read). */
int vx__static_load(vx__static_cache *sc, vx__static_format fmt, const char *path, char *err,
                    size_t errcap);

/* Record i (0 <= i < count), owned by sc: for listing and exporting the cache. */
const ldns_rr *vx__static_record(const vx__static_cache *sc, size_t i);

/* Copies of the records for q's name (any case), type and class IN. VX_ENOTFOUND if none. */
int vx__static_lookup(const vx__static_cache *sc, const vx__question *q, ldns_rr_list **out);

/* ---- for the parsers (static_voxdns.c, static_vendor.c) --------------------------------- */

/* Builders from the text fields found in a file. Each validates its fields and, on failure,
 * returns VX_EMALFORMED with *why pointing at a static reason ("bad port"). Numbers are plain
 * decimal; an A entry holding an IPv6 address becomes an AAAA record. */
int vx__static_rr_a(const char *name, const char *ttl, const char *address, ldns_rr **out,
                    const char **why);
int vx__static_rr_srv(const char *name, const char *ttl, const char *priority, const char *weight,
                      const char *port, const char *target, ldns_rr **out, const char **why);
int vx__static_rr_naptr(const char *name, const char *ttl, const char *order, const char *pref,
                        const char *flags, const char *service, const char *regexp,
                        const char *replacement, ldns_rr **out, const char **why);

/* Each parser appends records to list (created by the caller) and fails as described above. */
int vx__static_parse_voxdns(const char *text, size_t len, ldns_rr_list *list, char *err,
                            size_t errcap);
int vx__static_parse_polycom(const char *text, size_t len, ldns_rr_list *list, char *err,
                             size_t errcap);
int vx__static_parse_yealink(const char *text, size_t len, ldns_rr_list *list, char *err,
                             size_t errcap);

/* Writes "line N: reason" into err (formatted like printf). */
void vx__static_error(char *err, size_t errcap, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
