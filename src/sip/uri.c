/*
 * sip/uri.c — owns the strict parser of sip:/sips: URIs (RFC 3261 §25.1 grammar): scheme,
 * userinfo, host (hostname, IPv4, [IPv6]), port, uri-parameters (transport and maddr are kept,
 * others only validated) and headers (validated, ignored).
 *
 * The text is first bounded and checked for printable ASCII, so that every later step can work
 * on a NUL-terminated copy and never meets a control character or an embedded NUL.
 */
#include "sip/uri.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "voxdns/status.h"
#include "wire/addr.h"

/* Longest hostname text before normalisation: 253 characters and an optional final dot. */
#define HOST_TEXT_MAX 254

static int fail(char *err, size_t cap, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t cap, int status, const char *fmt, ...)
{
    if (err && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* ---- character classes (RFC 3261 §25.1) ------------------------------------------------ */

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_unreserved(char c)
{
    return is_alnum(c) || (c != '\0' && strchr("-_.!~*'()", c) != NULL);
}

static bool is_hex(char c)
{
    return isxdigit((unsigned char)c) != 0;
}

/* Checks s[0..n) holds only unreserved characters, %HH escapes and the characters in extra.
 * Returns the offset of the first bad character, or n when all are good. */
static size_t bad_char_at(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return i;
            i += 2;
            continue;
        }
        if (!is_unreserved(s[i]) && strchr(extra, s[i]) == NULL)
            return i;
    }
    return n;
}

/* ---- small pieces ---------------------------------------------------------------------- */

const char *vx__sip_transport_name(vx__sip_transport t)
{
    switch (t) {
    case VX__SIP_UDP:
        return "udp";
    case VX__SIP_TCP:
        return "tcp";
    case VX__SIP_TLS:
        return "tls";
    case VX__SIP_SCTP:
        return "sctp";
    }
    return "?";
}

uint16_t vx__sip_default_port(vx__sip_transport t)
{
    return t == VX__SIP_TLS ? 5061 : 5060;
}

/* Printable ASCII only: SIP URIs carry everything else %-escaped. */
static int check_text(const char *text, size_t len, char *err, size_t cap)
{
    if (len == 0)
        return fail(err, cap, VX_EINVAL, "empty URI");
    if (len >= VX__SIP_URI_MAX)
        return fail(err, cap, VX_EINVAL, "URI longer than %d characters", VX__SIP_URI_MAX - 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f)
            return fail(err, cap, VX_EINVAL, "invalid character 0x%02x at offset %zu",
                        (unsigned char)text[i], i);
    return VX_OK;
}

/* "sip:" or "sips:" in any case; returns the length of the scheme with its colon. */
static int parse_scheme(const char *s, vx__sip_uri *out, size_t *used, char *err, size_t cap)
{
    if (strncasecmp(s, "sips:", 5) == 0) {
        out->secure = true;
        *used = 5;
        return VX_OK;
    }
    if (strncasecmp(s, "sip:", 4) == 0) {
        *used = 4;
        return VX_OK;
    }
    return fail(err, cap, VX_EINVAL, "scheme must be sip: or sips:");
}

/* userinfo = user [ ":" password ] "@" (RFC 3261: user is not empty). */
static int parse_userinfo(const char *s, size_t n, char *err, size_t cap)
{
    const char *colon = memchr(s, ':', n);
    size_t user_len = colon ? (size_t)(colon - s) : n;
    if (user_len == 0)
        return fail(err, cap, VX_EINVAL, "empty user part before '@'");
    size_t bad = bad_char_at(s, user_len, "&=+$,;?/");
    if (bad < user_len)
        return fail(err, cap, VX_EINVAL, "invalid character '%c' in user part", s[bad]);
    if (!colon)
        return VX_OK;
    size_t pw_len = n - user_len - 1;
    bad = bad_char_at(colon + 1, pw_len, "&=+$,");
    if (bad < pw_len)
        return fail(err, cap, VX_EINVAL, "invalid character '%c' in password", colon[1 + bad]);
    return VX_OK;
}

/* ---- host ------------------------------------------------------------------------------ */

/* RFC 3261 hostname: labels of letters, digits and inner hyphens; the last label starts with
 * a letter (which is what tells "1.2.3.4" from a name). One final dot is allowed. */
static bool hostname_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > HOST_TEXT_MAX || h[0] == '.')
        return false;
    if (h[n - 1] == '.')
        n--;
    const char *last = h;
    for (size_t i = 0, start = 0; i <= n; i++) {
        if (i < n && h[i] != '.') {
            if (!is_alnum(h[i]) && h[i] != '-')
                return false;
            continue;
        }
        if (i == start || i - start > 63 || h[start] == '-' || h[i - 1] == '-')
            return false;
        last = h + start;
        start = i + 1;
    }
    return isalpha((unsigned char)*last) != 0;
}

/* A host or maddr value: IPv6 reference, IPv4 address or hostname. */
static int parse_host_value(const char *h, bool bracketed, char *host, size_t host_cap,
                            struct sockaddr_storage *sa, socklen_t *sa_len, bool *is_ip)
{
    char lit[VX__ADDR_TEXT_MAX + 2];
    *is_ip = false;
    if (bracketed || strchr(h, ':')) {
        int n = snprintf(lit, sizeof lit, "[%s]", h);
        if (n < 0 || (size_t)n >= sizeof lit || vx__addr_parse(lit, 0, sa, sa_len) != VX_OK ||
            sa->ss_family != AF_INET6)
            return VX_EINVAL;
        *is_ip = true;
        return vx__addr_format((struct sockaddr *)sa, host, host_cap);
    }
    if (strspn(h, "0123456789.") == strlen(h)) {
        if (vx__addr_parse(h, 0, sa, sa_len) != VX_OK || sa->ss_family != AF_INET)
            return VX_EINVAL;
        *is_ip = true;
        return vx__addr_format((struct sockaddr *)sa, host, host_cap);
    }
    if (!hostname_ok(h))
        return VX_EINVAL;
    return vx__name_normalize(h, host, host_cap);
}

/* Copies s[0..n) into a bounded NUL-terminated buffer. */
static bool copy_span(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* Reads "[v6]" or a host up to ':', ';', '?' or the end. *used is what was consumed. */
static int parse_host(const char *s, vx__sip_uri *out, size_t *used, char *err, size_t cap)
{
    char text[HOST_TEXT_MAX + 2];
    bool bracketed = s[0] == '[';
    size_t n;
    if (bracketed) {
        const char *close = strchr(s, ']');
        if (!close)
            return fail(err, cap, VX_EINVAL, "IPv6 reference without closing ']'");
        n = (size_t)(close - s - 1);
        *used = n + 2;
    } else {
        n = strcspn(s, ":;?");
        *used = n;
    }
    if (n == 0)
        return fail(err, cap, VX_EINVAL, "empty host");
    if (!copy_span(text, sizeof text, s + (bracketed ? 1 : 0), n))
        return fail(err, cap, VX_EINVAL, "host longer than 253 characters");
    if (parse_host_value(text, bracketed, out->host, sizeof out->host, &out->addr, &out->addr_len,
                         &out->host_is_ip) != VX_OK)
        return fail(err, cap, VX_EINVAL, "invalid host '%s'", text);
    return VX_OK;
}

/* ":" 1*5DIGIT, 1..65535. */
static int parse_port(const char *s, vx__sip_uri *out, size_t *used, char *err, size_t cap)
{
    size_t n = strspn(s, "0123456789");
    unsigned long v = 0;
    if (n == 0)
        return fail(err, cap, VX_EINVAL, "port missing after ':'");
    if (n > 5)
        return fail(err, cap, VX_EINVAL, "port out of range (1-65535)");
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned long)(s[i] - '0');
    if (v == 0 || v > 65535)
        return fail(err, cap, VX_EINVAL, "port %lu out of range (1-65535)", v);
    out->port = (uint16_t)v;
    *used = n;
    return VX_OK;
}

/* ---- parameters and headers ------------------------------------------------------------ */

static int transport_value(const char *v, bool secure, vx__sip_transport *t, char *err, size_t cap)
{
    if (strcasecmp(v, "udp") == 0)
        *t = VX__SIP_UDP;
    else if (strcasecmp(v, "tcp") == 0)
        *t = secure ? VX__SIP_TLS : VX__SIP_TCP;
    else if (strcasecmp(v, "tls") == 0)
        *t = VX__SIP_TLS;
    else if (strcasecmp(v, "sctp") == 0)
        *t = VX__SIP_SCTP;
    else
        return fail(err, cap, VX_EUNSUPPORTED, "transport '%s' not supported", v);
    if (secure && *t == VX__SIP_UDP)
        return fail(err, cap, VX_EINVAL, "sips: cannot use transport=udp (TLS needs TCP)");
    if (secure && *t == VX__SIP_SCTP)
        return fail(err, cap, VX_EUNSUPPORTED, "sips: over sctp (TLS over SCTP) not supported");
    return VX_OK;
}

/* maddr = host: a bracketed IPv6 reference, IPv4 or hostname. */
static int parse_maddr(const char *value, vx__sip_uri *out, char *err, size_t cap)
{
    char text[HOST_TEXT_MAX + 2];
    size_t n = strlen(value);
    bool bracketed = n >= 2 && value[0] == '[' && value[n - 1] == ']';
    struct sockaddr_storage sa;
    socklen_t sa_len;
    if (!copy_span(text, sizeof text, value + (bracketed ? 1 : 0), n - (bracketed ? 2 : 0)) ||
        parse_host_value(text, bracketed, out->maddr, sizeof out->maddr, &sa, &sa_len,
                         &out->maddr_is_ip) != VX_OK)
        return fail(err, cap, VX_EINVAL, "invalid maddr '%s'", value);
    if (!bracketed && out->maddr_is_ip && sa.ss_family == AF_INET6)
        return fail(err, cap, VX_EINVAL, "maddr IPv6 address needs brackets");
    return VX_OK;
}

static int known_param(const char *name, const char *value, vx__sip_uri *out, char *err, size_t cap)
{
    bool is_transport = strcasecmp(name, "transport") == 0;
    bool is_maddr = strcasecmp(name, "maddr") == 0;
    if (!is_transport && !is_maddr)
        return VX_OK;
    if (!value || *value == '\0')
        return fail(err, cap, VX_EINVAL, "parameter %s needs a value", name);
    if ((is_transport && out->transport) || (is_maddr && out->maddr[0]))
        return fail(err, cap, VX_EINVAL, "parameter %s given twice", name);
    if (is_transport)
        return transport_value(value, out->secure, &out->transport, err, cap);
    return parse_maddr(value, out, err, cap);
}

/* One "pname[=pvalue]" in s[0..n). */
static int parse_param(const char *s, size_t n, vx__sip_uri *out, char *err, size_t cap)
{
    char buf[VX__SIP_URI_MAX];
    if (n == 0)
        return fail(err, cap, VX_EINVAL, "empty parameter after ';'");
    copy_span(buf, sizeof buf, s, n);
    char *eq = strchr(buf, '=');
    if (eq)
        *eq = '\0';
    size_t name_len = strlen(buf);
    const char *value = eq ? eq + 1 : NULL;
    if (name_len == 0 || bad_char_at(buf, name_len, "[]/:&+$") < name_len)
        return fail(err, cap, VX_EINVAL, "invalid parameter name in '%.*s'", (int)n, s);
    if (value && (*value == '\0' || bad_char_at(value, strlen(value), "[]/:&+$") < strlen(value)))
        return fail(err, cap, VX_EINVAL, "invalid parameter value in '%.*s'", (int)n, s);
    return known_param(buf, value, out, err, cap);
}

/* *( ";" param ) up to '?' or the end. */
static int parse_params(const char *s, vx__sip_uri *out, size_t *used, char *err, size_t cap)
{
    size_t pos = 0;
    while (s[pos] == ';') {
        size_t n = strcspn(s + pos + 1, ";?");
        int rc = parse_param(s + pos + 1, n, out, err, cap);
        if (rc != VX_OK)
            return rc;
        pos += n + 1;
    }
    *used = pos;
    return VX_OK;
}

/* "?" hname "=" hvalue *( "&" hname "=" hvalue ): checked, then ignored. */
static int parse_headers(const char *s, char *err, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0)
        return fail(err, cap, VX_EINVAL, "empty header part after '?'");
    size_t bad = bad_char_at(s, n, "[]/?:+$=&");
    if (bad < n)
        return fail(err, cap, VX_EINVAL, "invalid character '%c' in headers", s[bad]);
    return VX_OK;
}

/* ---- the URI --------------------------------------------------------------------------- */

/* Splits off "userinfo@": the grammar allows '@' nowhere else. */
static int parse_user(const char *s, vx__sip_uri *out, size_t *used, char *err, size_t cap)
{
    const char *at = strchr(s, '@');
    *used = 0;
    if (!at)
        return VX_OK;
    if (strchr(at + 1, '@'))
        return fail(err, cap, VX_EINVAL, "more than one '@'");
    int rc = parse_userinfo(s, (size_t)(at - s), err, cap);
    if (rc != VX_OK)
        return rc;
    out->has_user = true;
    *used = (size_t)(at - s) + 1;
    return VX_OK;
}

/* hostport params headers, after scheme and userinfo. */
static int parse_rest(const char *s, vx__sip_uri *out, char *err, size_t cap)
{
    size_t used = 0;
    int rc = parse_host(s, out, &used, err, cap);
    if (rc != VX_OK)
        return rc;
    s += used;
    if (*s == ':') {
        if ((rc = parse_port(s + 1, out, &used, err, cap)) != VX_OK)
            return rc;
        s += used + 1;
    }
    if ((rc = parse_params(s, out, &used, err, cap)) != VX_OK)
        return rc;
    s += used;
    if (*s == '?')
        return parse_headers(s + 1, err, cap);
    if (*s != '\0')
        return fail(err, cap, VX_EINVAL, "unexpected '%c' after host", *s);
    return VX_OK;
}

int vx__sip_uri_parse(const char *text, size_t len, vx__sip_uri *out, char *err, size_t errcap)
{
    char buf[VX__SIP_URI_MAX];
    if (!text || !out)
        return fail(err, errcap, VX_EINVAL, "no URI");
    memset(out, 0, sizeof *out);
    int rc = check_text(text, len, err, errcap);
    if (rc != VX_OK)
        return rc;
    copy_span(buf, sizeof buf, text, len);
    size_t used = 0, pos = 0;
    if ((rc = parse_scheme(buf, out, &pos, err, errcap)) != VX_OK)
        return rc;
    if ((rc = parse_user(buf + pos, out, &used, err, errcap)) != VX_OK)
        return rc;
    return parse_rest(buf + pos + used, out, err, errcap);
}
