/*
 * check/providers.h — the servers of a domain grouped into DNS providers, and whether the
 * domain runs dual primaries. A provider is declared (`--provider NAME=NS1,NS2`, the monitor's
 * `providers:`) or inferred: the registrable domain of the NS name; vanity names (under the
 * audited domain's own registrable domain) are told apart by origin ASN when an ASN database
 * is loaded; servers of one group that serve different SOA MNAMEs (different primaries) are
 * split by MNAME. Dual-primary mode is declared, or inferred when every provider is internally
 * consistent but their serials follow different schemes (date YYYYMMDDnn, Unix time, counter):
 * serials are then compared within a provider only, data still across all. Pure: no I/O.
 *
 * Ownership: a map owns its arrays; vx__providers_free releases them. Declarations own their
 * strings; vx__provider_decl_clear releases them.
 */
#ifndef VX_CHECK_PROVIDERS_H
#define VX_CHECK_PROVIDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/check.h"
#include "wire/name.h"

#define VX__PROVIDER_NAME_MAX 64

/* One declared provider: a name and the NS names (or addresses) of its servers. */
typedef struct vx__provider_decl {
    char *name;
    char **ns; /* normalised NS names ("ns1.example.net.") or address literals */
    size_t ns_count;
} vx__provider_decl;

/* "NAME=NS1,NS2[,...]" -> a declaration. VX_EINVAL with the reason in err. */
int vx__provider_decl_parse(const char *text, vx__provider_decl *out, char *err, size_t cap);
void vx__provider_decl_clear(vx__provider_decl *d);

typedef enum vx__serial_scheme {
    VX__SERIAL_DATE = 0, /* YYYYMMDDnn with a real date (RFC 1912 §2.2) */
    VX__SERIAL_UNIXTIME, /* seconds since 1970, within 20 years before now and a day after */
    VX__SERIAL_COUNTER   /* anything else: a plain counter */
} vx__serial_scheme;

vx__serial_scheme vx__serial_scheme_of(uint32_t serial, uint64_t now_s);
const char *vx__serial_scheme_name(vx__serial_scheme s);

typedef struct vx__provider {
    char name[VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX]; /* "dnsprov-a.net", declared name... */
    bool declared;
    size_t servers;  /* addresses in it */
    bool has_serial; /* some authoritative member served a SOA */
    uint32_t serial; /* the first one's */
    bool consistent; /* every authoritative member serves that serial */
} vx__provider;

typedef struct vx__provider_map {
    vx__provider *items;
    size_t count;
    size_t *of_server; /* snap->servers[i] belongs to items[of_server[i]] */
    size_t server_count;
    bool dual_primary;
    char dual_why[160]; /* "declared", "inferred: ..."; empty when not dual */
} vx__provider_map;

/* Groups snap's servers under cfg (declarations, dual_primary, asndb, now_s). */
int vx__providers_build(const vx__snapshot *snap, const vx__check_config *cfg,
                        vx__provider_map *out);
void vx__providers_free(vx__provider_map *m);
/* The provider name of snap->servers[i] ("" when out of range). */
const char *vx__provider_of(const vx__provider_map *m, size_t server);

#endif
