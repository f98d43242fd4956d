/*
 * common/array.h — growing an array (or a byte buffer) geometrically: the one place that knows
 * how capacities double and that their byte size must not overflow.
 */
#ifndef VX_COMMON_ARRAY_H
#define VX_COMMON_ARRAY_H

#include <stddef.h>

/* Returns items, moved if it had to grow, with room for at least need elements of elem bytes:
 * *cap becomes initial (when 0) doubled until it holds need. NULL when out of memory or when the
 * size would overflow; items and *cap are then unchanged and still owned by the caller. */
void *vx__grow(void *items, size_t *cap, size_t need, size_t elem, size_t initial);

#endif
