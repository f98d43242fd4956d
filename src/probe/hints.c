/* probe/hints.c — IANA's root servers built in, and the parser of named.root-style hints files. */
#include "probe/hints.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "common/file.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/name.h"

#define HINTS_FILE_MAX (1u << 20) /* a root hints file is a few KB; refuse anything absurd */
#define LINE_MAX_LEN 1024
#define FIELDS_MAX 8

/* IANA root servers (https://www.iana.org/domains/root/servers), as of 2026. */
static const struct {
    const char *name;
    const char *v4;
    const char *v6;
} iana_roots[] = {
    {"a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"},
    {"b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"},
    {"c.root-servers.net.", "192.33.4.12", "2001:500:2::c"},
    {"d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"},
    {"e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"},
    {"f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"},
    {"g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"},
    {"h.root-servers.net.", "198.97.190.53", "2001:500:1::53"},
    {"i.root-servers.net.", "192.36.148.17", "2001:7fe::53"},
    {"j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"},
    {"k.root-servers.net.", "193.0.14.129", "2001:7fd::1"},
    {"l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"},
    {"m.root-servers.net.", "202.12.27.33", "2001:dc3::35"},
};

static int add_text_addr(vx__server_set *out, const char *name, const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = vx__addr_parse(text, 53, &ss, &len);
    if (rc != VX_OK)
        return rc;
    return vx__server_set_add(out, name, (struct sockaddr *)&ss);
}

int vx__hints_builtin(vx__server_set *out)
{
    vx__server_set_init(out);
    for (size_t i = 0; i < sizeof(iana_roots) / sizeof(iana_roots[0]); i++) {
        int rc = add_text_addr(out, iana_roots[i].name, iana_roots[i].v4);
        if (rc == VX_OK)
            rc = add_text_addr(out, iana_roots[i].name, iana_roots[i].v6);
        if (rc != VX_OK) {
            vx__server_set_clear(out);
            return rc;
        }
    }
    vx__server_set_v4_first(out);
    return VX_OK;
}

/* One parsed line: owner, type and the single rdata field (NS name or address). */
typedef struct hint_line {
    char owner[VX__NAME_TEXT_MAX];
    char type[8];
    char rdata[VX__NAME_TEXT_MAX];
} hint_line;

typedef struct hint_state {
    char ns_names[32][VX__NAME_TEXT_MAX / 4];
    size_t ns_count;
    hint_line *addrs;
    size_t addr_count;
    size_t addr_cap;
} hint_state;

static size_t split_fields(char *line, char *fields[FIELDS_MAX])
{
    size_t n = 0;
    char *semicolon = strchr(line, ';');
    if (semicolon)
        *semicolon = '\0';
    for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        if (n == FIELDS_MAX)
            return FIELDS_MAX + 1;
        fields[n++] = tok;
    }
    return n;
}

static bool is_ttl(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* Fields are OWNER [TTL] [CLASS] TYPE RDATA, TTL and class in either order. */
static int parse_fields(char **fields, size_t n, hint_line *out, const char **why)
{
    size_t i = 1;
    while (i < n && (is_ttl(fields[i]) || strcasecmp(fields[i], "IN") == 0))
        i++;
    if (n < 3 || i + 2 != n) {
        *why = "expected: NAME [TTL] [IN] TYPE DATA";
        return VX_EMALFORMED;
    }
    if (vx__name_normalize(fields[0], out->owner, sizeof(out->owner)) != VX_OK) {
        *why = "invalid owner name";
        return VX_EMALFORMED;
    }
    if (strlen(fields[i]) >= sizeof(out->type)) {
        *why = "unknown record type";
        return VX_EMALFORMED;
    }
    strcpy(out->type, fields[i]);
    snprintf(out->rdata, sizeof(out->rdata), "%s", fields[i + 1]);
    return VX_OK;
}

static int remember_ns(hint_state *st, const hint_line *hl, const char **why)
{
    if (strcmp(hl->owner, ".") != 0) {
        *why = "NS record for a name other than the root";
        return VX_EMALFORMED;
    }
    if (st->ns_count == sizeof(st->ns_names) / sizeof(st->ns_names[0])) {
        *why = "too many root name servers";
        return VX_EMALFORMED;
    }
    char *dst = st->ns_names[st->ns_count];
    if (vx__name_normalize(hl->rdata, dst, sizeof(st->ns_names[0])) != VX_OK) {
        *why = "invalid name server name";
        return VX_EMALFORMED;
    }
    st->ns_count++;
    return VX_OK;
}

static int remember_addr(hint_state *st, const hint_line *hl)
{
    hint_line *a = vx__grow(st->addrs, &st->addr_cap, st->addr_count + 1, sizeof *a, 32);
    if (!a)
        return VX_ENOMEM;
    st->addrs = a;
    st->addrs[st->addr_count++] = *hl;
    return VX_OK;
}

static int parse_line(hint_state *st, char *line, const char **why)
{
    char *fields[FIELDS_MAX];
    size_t n = split_fields(line, fields);
    if (n == 0)
        return VX_OK;
    if (n > FIELDS_MAX) {
        *why = "too many fields";
        return VX_EMALFORMED;
    }
    hint_line hl;
    int rc = parse_fields(fields, n, &hl, why);
    if (rc != VX_OK)
        return rc;
    if (strcasecmp(hl.type, "NS") == 0)
        return remember_ns(st, &hl, why);
    if (strcasecmp(hl.type, "A") == 0 || strcasecmp(hl.type, "AAAA") == 0) {
        struct sockaddr_storage ss;
        socklen_t len;
        int family = strcasecmp(hl.type, "A") == 0 ? AF_INET : AF_INET6;
        if (vx__addr_parse(hl.rdata, 53, &ss, &len) != VX_OK || ss.ss_family != family ||
            strchr(hl.rdata, '[') || (family == AF_INET && strchr(hl.rdata, ':'))) {
            *why = family == AF_INET ? "invalid IPv4 address" : "invalid IPv6 address";
            return VX_EMALFORMED;
        }
        return remember_addr(st, &hl);
    }
    *why = "only NS, A and AAAA records belong in a hints file";
    return VX_EMALFORMED;
}

static bool is_root_ns(const hint_state *st, const char *name)
{
    for (size_t i = 0; i < st->ns_count; i++)
        if (strcmp(st->ns_names[i], name) == 0)
            return true;
    return false;
}

static int collect_servers(const hint_state *st, vx__server_set *out, char *err, size_t errcap)
{
    for (size_t i = 0; i < st->addr_count; i++) {
        if (!is_root_ns(st, st->addrs[i].owner))
            continue;
        int rc = add_text_addr(out, st->addrs[i].owner, st->addrs[i].rdata);
        if (rc != VX_OK)
            return rc;
    }
    if (out->count == 0) {
        snprintf(err, errcap, "no address for any root name server");
        return VX_EMALFORMED;
    }
    vx__server_set_v4_first(out);
    return VX_OK;
}

int vx__hints_parse(const char *text, size_t len, vx__server_set *out, char *err, size_t errcap)
{
    hint_state st = {0};
    int rc = VX_OK;
    size_t lineno = 0;
    vx__server_set_init(out);
    for (size_t pos = 0; pos < len && rc == VX_OK;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char line[LINE_MAX_LEN];
        const char *why = "line too long";
        lineno++;
        if (line_len >= sizeof(line) || memchr(text + pos, '\0', line_len)) {
            why = line_len >= sizeof(line) ? why : "NUL byte in text";
            rc = VX_EMALFORMED;
        } else {
            memcpy(line, text + pos, line_len);
            line[line_len] = '\0';
            rc = parse_line(&st, line, &why);
        }
        if (rc == VX_EMALFORMED)
            snprintf(err, errcap, "line %zu: %s", lineno, why);
        pos += line_len + 1;
    }
    if (rc == VX_OK)
        rc = collect_servers(&st, out, err, errcap);
    free(st.addrs);
    if (rc != VX_OK)
        vx__server_set_clear(out);
    return rc;
}

int vx__hints_load(const char *path, vx__server_set *out, char *err, size_t errcap)
{
    char *text = NULL, inner[256];
    size_t n = 0;
    int rc = vx__read_file(path, HINTS_FILE_MAX, &text, &n, err, errcap);
    if (rc == VX_ELIMIT) {
        snprintf(err, errcap, "%s: file too large for a hints file", path);
        rc = VX_EMALFORMED;
    }
    if (rc == VX_OK && (rc = vx__hints_parse(text, n, out, inner, sizeof(inner))) != VX_OK)
        snprintf(err, errcap, "%s: %s", path, inner);
    free(text);
    return rc;
}
