/* model/servers.c — the name-server address list used by hints, the walk and the audit, and
 * the name servers a user names for an undelegated audit (`--ns NAME[/ADDRESS]`). */
#include "model/servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/name.h"

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

/* ---- --ns NAME[/ADDRESS] ------------------------------------------------------------------- */

static bool host_name_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return n > 0;
}

static bool is_address(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    return vx__addr_parse(text, 0, &ss, &len) == VX_OK;
}

static int ns_name(const char *text, size_t n, vx__ns_spec *out, char *err, size_t cap)
{
    char raw[VX__NAME_TEXT_MAX], norm[VX__NAME_TEXT_MAX];
    if (n >= sizeof raw || !host_name_chars(text, n)) {
        snprintf(err, cap, "'%.*s' is not a name-server host name%s", (int)(n < 80 ? n : 80), text,
                 memchr(text, ':', n) ? " (no port: name servers are asked on port 53)" : "");
        return VX_EINVAL;
    }
    memcpy(raw, text, n);
    raw[n] = '\0';
    if (is_address(raw)) {
        snprintf(err, cap, "'%s' is an address: give the server's name, NAME/%s", raw, raw);
        return VX_EINVAL;
    }
    if (vx__name_normalize(raw, norm, sizeof norm) != VX_OK || strcmp(norm, ".") == 0) {
        snprintf(err, cap, "'%s' is not a valid name", raw);
        return VX_EINVAL;
    }
    out->name = strdup(norm);
    return out->name ? VX_OK : VX_ENOMEM;
}

/* An IPv4 or IPv6 literal, nothing more: a port given here would be silently wrong. */
static int ns_addr(const char *text, vx__ns_spec *out, char *err, size_t cap)
{
    socklen_t len;
    bool parsed = vx__addr_parse(text, 0, &out->addr, &len) == VX_OK;
    bool port = parsed && (strchr(text, '[') || ((struct sockaddr_in *)&out->addr)->sin_port);
    if (!parsed || port) {
        snprintf(err, cap, "'%.80s' is not an IPv4 or IPv6 address%s", text,
                 port ? " (no port or brackets: name servers are asked on port 53)" : "");
        return VX_EINVAL;
    }
    /* both families keep the port at the same offset */
    ((struct sockaddr_in *)&out->addr)->sin_port = htons(53);
    out->has_addr = true;
    return VX_OK;
}

int vx__ns_spec_parse(const char *text, vx__ns_spec *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    const char *slash = text ? strchr(text, '/') : NULL;
    size_t n = text ? (slash ? (size_t)(slash - text) : strlen(text)) : 0;
    if (!text || n == 0) {
        snprintf(err, cap, "give NAME or NAME/ADDRESS");
        return VX_EINVAL;
    }
    int rc = ns_name(text, n, out, err, cap);
    if (rc == VX_OK && slash)
        rc = ns_addr(slash + 1, out, err, cap);
    if (rc != VX_OK)
        vx__ns_spec_clear(out);
    return rc;
}

void vx__ns_spec_clear(vx__ns_spec *s)
{
    if (s) {
        free(s->name);
        memset(s, 0, sizeof *s);
    }
}

int vx__ns_spec_format(const vx__ns_spec *s, char *out, size_t cap)
{
    char addr[VX__ADDR_TEXT_MAX] = "";
    size_t n = s->name ? strlen(s->name) : 0;
    if (n > 1 && s->name[n - 1] == '.')
        n--;
    if (s->has_addr &&
        vx__addr_format((const struct sockaddr *)&s->addr, addr, sizeof addr) != VX_OK)
        return VX_EINVAL;
    int w =
        snprintf(out, cap, "%.*s%s%s", (int)n, s->name ? s->name : "", addr[0] ? "/" : "", addr);
    return w >= 0 && (size_t)w < cap ? VX_OK : VX_EINVAL;
}
