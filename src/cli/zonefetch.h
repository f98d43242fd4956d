/*
 * cli/zonefetch.h — what `voxdns audit` and `voxdns zone diff` share to fetch whole zones:
 * the --tsig PROVIDER=[ALG:]NAME:SECRET option, and the choice of one server per provider to
 * ask: of each provider that has a key (every provider with --axfr), the authoritative address
 * whose label sorts first, so that every run asks the same server.
 */
#ifndef VX_CLI_ZONEFETCH_H
#define VX_CLI_ZONEFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "check/providers.h"
#include "probe/zone.h"
#include "wire/xfr.h"

#define VX__CLI_TSIG_MAX 32

typedef struct vx__cli_tsig {
    char provider[VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX];
    vx__tsig_key key;
} vx__cli_tsig;

/* "PROVIDER=[ALG:]NAME:SECRET"; VX_EINVAL (the caller reports it as a usage error). */
int vx__cli_tsig_parse(const char *text, vx__cli_tsig *out);

/* Fills out (cap entries) with one target per provider that has a key in keys, or per provider
 * when open_axfr; returns how many. The targets point into snap, pm and keys. */
size_t vx__cli_zone_targets(const vx__snapshot *snap, const vx__provider_map *pm,
                            const vx__cli_tsig *keys, size_t nkeys, bool open_axfr,
                            vx__zone_target *out, size_t cap);

#endif
