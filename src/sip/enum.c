/*
 * sip/enum.c — owns E.164 number validation, the e164.arpa. domain of a number, and the
 * selection of usable "E2U+sip" NAPTR records (RFC 6116, RFC 3764). The substitution itself is
 * in enum_regexp.c.
 */
#include "sip/enum.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip/uri.h"
#include "voxdns/status.h"
#include "wire/name.h"

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return VX_EINVAL;
}

static bool is_separator(char c)
{
    return c == ' ' || c == '-' || c == '.';
}

/* Separators only between digits: never right after '+' and never at the end. */
static int check_char(const char *s, size_t i, char *err, size_t cap)
{
    char c = s[i];
    if (c >= '0' && c <= '9')
        return VX_OK;
    if (!is_separator(c))
        return fail(err, cap, "invalid character '%c' at offset %zu (digits, spaces, '-', '.')",
                    (c > 0x20 && c < 0x7f) ? c : '?', i);
    if (i == 1)
        return fail(err, cap, "separator right after '+'");
    if (s[i + 1] == '\0')
        return fail(err, cap, "number ends with a separator");
    return VX_OK;
}

int vx__enum_normalize(const char *number, char *out, size_t cap, char *err, size_t errcap)
{
    char aus[VX__ENUM_AUS_MAX];
    size_t n = 0;
    if (!number || !out)
        return fail(err, errcap, "no number");
    if (number[0] != '+')
        return fail(err, errcap, "an E.164 number starts with '+'");
    for (size_t i = 1; number[i]; i++) {
        int rc = check_char(number, i, err, errcap);
        if (rc != VX_OK)
            return rc;
        if (is_separator(number[i]))
            continue;
        if (n == VX__ENUM_DIGITS_MAX)
            return fail(err, errcap, "more than %d digits", VX__ENUM_DIGITS_MAX);
        aus[++n] = number[i];
    }
    if (n == 0)
        return fail(err, errcap, "no digits after '+'");
    if (aus[1] == '0')
        return fail(err, errcap, "a country code does not start with 0");
    aus[0] = '+';
    aus[n + 1] = '\0';
    if (n + 2 > cap)
        return fail(err, errcap, "output buffer too small");
    memcpy(out, aus, n + 2);
    return VX_OK;
}

int vx__enum_domain(const char *number, const char *apex, char *out, size_t cap, char *err,
                    size_t errcap)
{
    char aus[VX__ENUM_AUS_MAX], zone[VX__NAME_TEXT_MAX], name[VX__NAME_TEXT_MAX];
    int rc = vx__enum_normalize(number, aus, sizeof aus, err, errcap);
    if (rc != VX_OK)
        return rc;
    if (vx__name_normalize(apex ? apex : "e164.arpa.", zone, sizeof zone) != VX_OK)
        return fail(err, errcap, "invalid ENUM apex");
    size_t digits = strlen(aus) - 1, pos = 0;
    for (size_t i = digits; i >= 1; i--) {
        name[pos++] = aus[i];
        name[pos++] = '.';
    }
    name[pos] = '\0';
    if (strcmp(zone, ".") != 0 && pos + strlen(zone) < sizeof name)
        strcat(name, zone);
    if (vx__name_normalize(name, out, cap) != VX_OK)
        return fail(err, errcap, "ENUM name too long or output buffer too small");
    return VX_OK;
}

/* ---- NAPTR selection ------------------------------------------------------------------- */

static bool terminal_sip_record(const vx__sip_naptr *r)
{
    return r->service && strcasecmp(r->service, "E2U+sip") == 0 && r->flags &&
           strcasecmp(r->flags, "u") == 0 && r->regexp &&
           (!r->replacement || r->replacement[0] == '\0' || strcmp(r->replacement, ".") == 0);
}

static bool enum_before(const vx__enum_uri *a, const vx__enum_uri *b)
{
    return a->order < b->order || (a->order == b->order && a->pref < b->pref);
}

/* Inserts u into the sorted out[0..*count), keeping arrival order among equals. */
static void insert_sorted(vx__enum_uri *out, size_t *count, const vx__enum_uri *u)
{
    size_t j = (*count)++;
    for (; j > 0 && enum_before(u, &out[j - 1]); j--)
        out[j] = out[j - 1];
    out[j] = *u;
}

int vx__enum_sip_uris(const vx__sip_naptr *recs, size_t n, const char *aus, vx__enum_uri *out,
                      size_t cap, size_t *count)
{
    vx__sip_uri parsed;
    vx__enum_uri u;
    if (!count || (!recs && n) || (!out && cap) || !aus)
        return VX_EINVAL;
    *count = 0;
    for (size_t i = 0; i < n && *count < cap; i++) {
        if (!terminal_sip_record(&recs[i]))
            continue;
        if (vx__enum_regexp_apply(recs[i].regexp, aus, u.uri, sizeof u.uri, NULL, 0) != VX_OK)
            continue;
        if (vx__sip_uri_parse(u.uri, strlen(u.uri), &parsed, NULL, 0) != VX_OK)
            continue;
        u.order = recs[i].order;
        u.pref = recs[i].pref;
        u.ttl = recs[i].ttl;
        insert_sorted(out, count, &u);
    }
    return *count ? VX_OK : VX_ENOTFOUND;
}
