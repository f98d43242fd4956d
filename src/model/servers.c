/* model/servers.c — the name-server address list used by hints, the walk and the audit. */
#include "model/servers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "voxdns/status.h"
#include "wire/addr.h"

void vx__server_set_init(vx__server_set *set)
{
    memset(set, 0, sizeof(*set));
}

void vx__server_set_clear(vx__server_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->items[i].name);
    free(set->items);
    vx__server_set_init(set);
}

bool vx__server_set_has_addr(const vx__server_set *set, const struct sockaddr *addr)
{
    for (size_t i = 0; i < set->count; i++)
        if (vx__addr_equal((const struct sockaddr *)&set->items[i].addr, addr))
            return true;
    return false;
}

bool vx__server_set_has_name(const vx__server_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcasecmp(set->items[i].name, name) == 0)
            return true;
    return false;
}

int vx__server_set_add(vx__server_set *set, const char *name, const struct sockaddr *addr)
{
    if (vx__server_set_has_addr(set, addr))
        return VX_OK;
    vx__server *items = vx__grow(set->items, &set->cap, set->count + 1, sizeof *items, 8);
    if (!items)
        return VX_ENOMEM;
    set->items = items;
    vx__server *s = &set->items[set->count];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    if (!s->name)
        return VX_ENOMEM;
    memcpy(&s->addr, addr, vx__addr_len(addr));
    set->count++;
    return VX_OK;
}

void vx__server_set_v4_first(vx__server_set *set)
{
    size_t placed = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (set->items[i].addr.ss_family != AF_INET)
            continue;
        vx__server v4 = set->items[i];
        memmove(&set->items[placed + 1], &set->items[placed], (i - placed) * sizeof(v4));
        set->items[placed++] = v4;
    }
}
