/* common/array.c — vx__grow (common/array.h). */
#include "common/array.h"

#include <stdint.h>
#include <stdlib.h>

void *vx__grow(void *items, size_t *cap, size_t need, size_t elem, size_t initial)
{
    if (need <= *cap && items)
        return items;
    size_t n = *cap ? *cap : (initial ? initial : 1);
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    if (elem == 0 || n > SIZE_MAX / elem)
        return NULL;
    void *grown = realloc(items, n * elem);
    if (grown)
        *cap = n;
    return grown;
}
