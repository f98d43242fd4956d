/*
 * resolver/resolv_conf.c — reads the nameserver lines of resolv.conf(5) (see resolv_conf.h).
 * Outside input: every line is bounded and copied before parsing; nothing is trusted.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/resolv_conf.h"
#include "voxdns/status.h"

#define ADDR_TEXT_MAX 64

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* IPv6 zone: "fe80::1%eth0" or "fe80::1%2". */
static uint32_t scope_id(const char *zone)
{
    char *end;
    unsigned long n = strtoul(zone, &end, 10);
    if (*zone && *end == '\0')
        return n <= UINT32_MAX ? (uint32_t)n : 0;
    return if_nametoindex(zone);
}

static int parse_address(char *text, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(53);
        return VX_OK;
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    char *zone = strchr(text, '%');
    if (zone)
        *zone++ = '\0';
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) != 1)
        return VX_EINVAL;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(53);
    v6->sin6_scope_id = zone ? scope_id(zone) : 0;
    return VX_OK;
}

/* One line [p, end): "nameserver ADDRESS [anything]". True with *out set when it is one. */
static int parse_line(const char *p, const char *end, struct sockaddr_storage *out)
{
    static const char kw[] = "nameserver";
    while (p < end && is_blank(*p))
        p++;
    if ((size_t)(end - p) <= sizeof(kw) - 1 || memcmp(p, kw, sizeof(kw) - 1) != 0 ||
        !is_blank(p[sizeof(kw) - 1]))
        return VX_ENOTFOUND;
    p += sizeof(kw) - 1;
    while (p < end && is_blank(*p))
        p++;
    const char *a = p;
    while (p < end && !is_blank(*p) && *p != '#' && *p != ';')
        p++;
    size_t n = (size_t)(p - a);
    if (n == 0 || n >= ADDR_TEXT_MAX || memchr(a, '\0', n))
        return VX_EINVAL;
    char text[ADDR_TEXT_MAX];
    memcpy(text, a, n);
    text[n] = '\0';
    return parse_address(text, out);
}

int vx__resolv_conf_parse(const char *text, size_t len, struct sockaddr_storage *out, size_t cap,
                          size_t *count)
{
    *count = 0;
    if (len > VX__RESOLV_CONF_MAX)
        return VX_ELIMIT;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        struct sockaddr_storage addr;
        if (*count < cap && parse_line(p, le, &addr) == VX_OK)
            out[(*count)++] = addr;
        p = nl ? nl + 1 : end;
    }
    return VX_OK;
}

int vx__resolv_conf_load(const char *path, struct sockaddr_storage *out, size_t cap, size_t *count)
{
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return VX_EIO;
    char *buf = malloc(VX__RESOLV_CONF_MAX + 1);
    size_t n = buf ? fread(buf, 1, VX__RESOLV_CONF_MAX + 1, f) : 0;
    int rc = !buf ? VX_ENOMEM : ferror(f) ? VX_EIO : VX_OK;
    fclose(f);
    if (rc == VX_OK)
        rc = vx__resolv_conf_parse(buf, n, out, cap, count);
    free(buf);
    return rc;
}
