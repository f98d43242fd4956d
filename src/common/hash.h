/*
 * common/hash.h — the one string hash of the in-memory tables (64-bit FNV-1a): fast on the short
 * names and label texts they are keyed by, and not exposed to anyone who could choose keys to
 * collide them (the keys come from the operator's configuration and the servers it watches).
 */
#ifndef VX_COMMON_HASH_H
#define VX_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define VX__HASH_SEED 0xcbf29ce484222325ull

/* Folds n bytes into h (start from VX__HASH_SEED). */
static inline uint64_t vx__hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Folds v big-endian into h: the same hash on every host (fingerprints are stored). */
static inline uint64_t vx__hash_u32(uint64_t h, uint32_t v)
{
    const uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return vx__hash_bytes(h, be, sizeof be);
}

/* The hash of a NUL-terminated text; NULL hashes as "". */
static inline uint64_t vx__hash_text(const char *s)
{
    uint64_t h = VX__HASH_SEED;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

#endif
