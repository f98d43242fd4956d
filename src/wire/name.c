/*
 * wire/name.c — owns the helpers on presentation-form names: normalisation of user and data
 * input, subdomain / bailiwick tests, parent and label count, and the registrable domain
 * through libpsl's built-in public suffix list.
 *
 * Every function goes through the wire form (vx__question_from_text → bytes → text), so that
 * escapes, limits and case are handled by one parser and one printer, and label boundaries are
 * explicit: "badexample.com." is not under "example.com." because no label starts there.
 */
#include "wire/name.h"

#include <string.h>

#include <libpsl.h>

#include "voxdns/status.h"
#include "wire/query.h"

/* Characters a host or service name may hold unescaped ('.' separates labels, '\\' starts an
 * RFC 1035 escape, which may stand for anything). */
static bool allowed_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '*' || c == '.' || c == '\\';
}

/* Rejects characters outside allowed_char, except the one right after a backslash. */
static bool text_chars_ok(const char *s)
{
    for (; *s; s++) {
        if (!allowed_char(*s))
            return false;
        if (*s == '\\' && s[1] != '\0')
            s++;
    }
    return true;
}

static void wire_lower(uint8_t *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (name[i] >= 'A' && name[i] <= 'Z')
            name[i] = (uint8_t)(name[i] + ('a' - 'A'));
}

/* Any-case text to lower-case wire form. VX_EINVAL when the name is not valid. */
static int to_wire(const char *text, vx__question *q)
{
    if (!text || vx__question_from_text(text, 0, 0, q) != VX_OK)
        return VX_EINVAL;
    wire_lower(q->name, q->name_len);
    return VX_OK;
}

int vx__name_normalize(const char *in, char *out, size_t cap)
{
    vx__question q;
    if (!in || !out || !text_chars_ok(in) || to_wire(in, &q) != VX_OK)
        return VX_EINVAL;
    return vx__name_wire_to_text(q.name, q.name_len, out, cap);
}

/* Offset in a wire-form name where its last want octets begin on a label boundary, or -1. */
static long suffix_at(const vx__question *q, size_t want)
{
    for (size_t i = 0; i < q->name_len; i += (size_t)q->name[i] + 1) {
        if (q->name_len - i == want)
            return (long)i;
        if (q->name[i] == 0)
            break;
    }
    return -1;
}

bool vx__name_is_subdomain(const char *child, const char *parent)
{
    vx__question c, p;
    if (to_wire(child, &c) != VX_OK || to_wire(parent, &p) != VX_OK)
        return false;
    long at = suffix_at(&c, p.name_len);
    return at >= 0 && memcmp(c.name + at, p.name, p.name_len) == 0;
}

bool vx__name_in_bailiwick(const char *name, const char *zone)
{
    return vx__name_is_subdomain(name, zone);
}

/* libpsl works on names without the trailing dot; the result is given back with one. The PSL's
 * private section counts too (a "foo.github.io" customer is its own registrant). */
int vx__name_registrable(const char *name, char *out, size_t cap)
{
    char norm[VX__NAME_TEXT_MAX];
    if (!out || vx__name_normalize(name, norm, sizeof norm) != VX_OK)
        return VX_EINVAL;
    if (strcmp(norm, ".") == 0)
        return VX_ENOTFOUND;
    norm[strlen(norm) - 1] = '\0';
    const psl_ctx_t *psl = psl_builtin();
    if (!psl)
        return VX_EUNSUPPORTED;
    const char *reg = psl_registrable_domain(psl, norm);
    if (!reg)
        return VX_ENOTFOUND;
    size_t n = strlen(reg);
    if (n + 2 > cap)
        return VX_EINVAL;
    memcpy(out, reg, n);
    out[n] = '.';
    out[n + 1] = '\0';
    return VX_OK;
}

int vx__name_parent(const char *name, char *out, size_t cap)
{
    vx__question q;
    if (!out || to_wire(name, &q) != VX_OK)
        return VX_EINVAL;
    if (q.name_len == 1)
        return VX_ENOTFOUND;
    size_t skip = (size_t)q.name[0] + 1;
    return vx__name_wire_to_text(q.name + skip, q.name_len - skip, out, cap);
}

/* 0 for the root and for anything that is not a valid name. */
unsigned vx__name_label_count(const char *name)
{
    vx__question q;
    unsigned n = 0;
    if (to_wire(name, &q) != VX_OK)
        return 0;
    for (size_t i = 0; q.name[i] != 0; i += (size_t)q.name[i] + 1)
        n++;
    return n;
}
