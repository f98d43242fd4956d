/*
 * check/asndb.c — owns the origin-ASN database: the parser of CAIDA RouteViews pfx2as text
 * (outside input: every line is validated, errors say "line N: reason") and the longest-prefix
 * lookup. Prefixes are kept per family in one array sorted by (length, network), with the
 * range of each length indexed, so a lookup is at most 33 (IPv4) or 129 (IPv6) binary
 * searches: fast enough for a full table (~1M lines) without a trie's memory. Also the one
 * loader of such files (through common/file.h).
 */
#include "check/asndb.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/file.h"
#include "voxdns/status.h"

#define FIELD_MAX 64

typedef struct entry {
    uint8_t net[16]; /* network, host bits cleared; IPv4 in the first 4 bytes */
    uint8_t len;
    uint32_t asn;
} entry;

typedef struct family {
    entry *items;
    size_t count, cap;
    size_t start[130], end[130]; /* per prefix length: [start, end) in items after sorting */
    unsigned bytes;              /* 4 or 16 */
} family;

struct vx__asndb {
    family v4, v6;
};

/* ---- parsing -------------------------------------------------------------------------------- */

typedef struct line_in {
    const char *p, *end;
} line_in;

/* The next whitespace-separated field of the line into out; false when none. */
static bool next_field(line_in *l, char *out, size_t cap, bool *too_long)
{
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
        l->p++;
    size_t n = 0;
    while (l->p < l->end && *l->p != ' ' && *l->p != '\t') {
        if (n + 1 >= cap) {
            *too_long = true;
            return false;
        }
        out[n++] = *l->p++;
    }
    out[n] = '\0';
    return n > 0;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out, const char **stop)
{
    uint64_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max)
            return false;
        p++;
    }
    *out = v;
    *stop = p;
    return p != s;
}

/* "64496", "64496_64497" (multi-origin), "64496,64497" or "{64496,64497}" (AS set): the
 * first. AS 0 is reserved and means "no origin" to the lookup, so it is refused. */
static const char *parse_asn(const char *s, uint32_t *asn)
{
    if (*s == '{')
        s++;
    uint64_t v;
    const char *stop;
    if (!parse_uint(s, UINT32_MAX, &v, &stop))
        return "bad ASN";
    if (*stop != '\0' && *stop != '_' && *stop != ',' && *stop != '}')
        return "bad ASN";
    if (v == 0)
        return "ASN 0 is not an origin";
    *asn = (uint32_t)v;
    return NULL;
}

static void clear_host_bits(uint8_t *net, unsigned bytes, unsigned len)
{
    for (unsigned i = 0; i < bytes; i++) {
        unsigned bits = len > i * 8 ? len - i * 8 : 0;
        if (bits < 8)
            net[i] &= (uint8_t)(0xff00u >> bits);
    }
}

static int family_add(family *f, const entry *e)
{
    entry *items = vx__grow(f->items, &f->cap, f->count + 1, sizeof *items, 1024);
    if (!items)
        return VX_ENOMEM;
    f->items = items;
    f->items[f->count++] = *e;
    return VX_OK;
}

/* One non-empty line; returns NULL or the reason it is bad. */
static const char *parse_line(vx__asndb *db, line_in *l, int *rc)
{
    char pfx[FIELD_MAX], len[FIELD_MAX], asn[FIELD_MAX], extra[FIELD_MAX];
    bool too_long = false;
    if (!next_field(l, pfx, sizeof pfx, &too_long) || !next_field(l, len, sizeof len, &too_long) ||
        !next_field(l, asn, sizeof asn, &too_long))
        return too_long ? "field too long" : "expected prefix, length and ASN";
    if (next_field(l, extra, sizeof extra, &too_long) || too_long)
        return "unexpected text after the ASN";
    entry e;
    memset(&e, 0, sizeof e);
    bool v6 = strchr(pfx, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, pfx, e.net) != 1)
        return "bad prefix address";
    uint64_t n;
    const char *stop;
    if (!parse_uint(len, v6 ? 128 : 32, &n, &stop) || *stop != '\0')
        return v6 ? "prefix length must be 0-128" : "prefix length must be 0-32";
    e.len = (uint8_t)n;
    const char *bad = parse_asn(asn, &e.asn);
    if (bad)
        return bad;
    clear_host_bits(e.net, v6 ? 16 : 4, e.len);
    *rc = family_add(v6 ? &db->v6 : &db->v4, &e);
    return *rc == VX_OK ? NULL : "out of memory";
}

static bool blank_or_comment(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p == end || *p == '#';
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->net, y->net, 16);
}

static void family_index(family *f, unsigned bytes)
{
    f->bytes = bytes;
    if (f->count > 0)
        qsort(f->items, f->count, sizeof *f->items, cmp_entry);
    memset(f->start, 0, sizeof f->start);
    memset(f->end, 0, sizeof f->end);
    for (size_t i = 0; i < f->count; i++) {
        if (i == 0 || f->items[i].len != f->items[i - 1].len)
            f->start[f->items[i].len] = i;
        f->end[f->items[i].len] = i + 1;
    }
}

static int fail(vx__asndb *db, char *err, size_t errcap, size_t line, const char *why)
{
    if (err && errcap)
        snprintf(err, errcap, "line %zu: %s", line, why);
    vx__asndb_free(db);
    return VX_EMALFORMED;
}

static int parse_all(vx__asndb *db, const char *text, size_t len, char *err, size_t errcap)
{
    const char *p = text, *end = text + len;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (memchr(p, '\0', (size_t)(le - p)))
            return fail(db, err, errcap, line, "NUL byte");
        line_in l = {p, le > p && le[-1] == '\r' ? le - 1 : le};
        int rc = VX_OK;
        const char *bad = blank_or_comment(l.p, l.end) ? NULL : parse_line(db, &l, &rc);
        if (rc != VX_OK) {
            vx__asndb_free(db);
            return rc;
        }
        if (bad)
            return fail(db, err, errcap, line, bad);
        p = nl ? nl + 1 : end;
    }
    return VX_OK;
}

int vx__asndb_parse(const char *text, size_t len, vx__asndb **out, char *err, size_t errcap)
{
    if (!out || (!text && len))
        return VX_EINVAL;
    *out = NULL;
    if (err && errcap)
        err[0] = '\0';
    vx__asndb *db = calloc(1, sizeof *db);
    if (!db)
        return VX_ENOMEM;
    int rc = parse_all(db, text ? text : "", len, err, errcap);
    if (rc != VX_OK)
        return rc;
    if (db->v4.count + db->v6.count == 0)
        return fail(db, err, errcap, 1, "no prefixes (empty file)");
    family_index(&db->v4, 4);
    family_index(&db->v6, 16);
    *out = db;
    return VX_OK;
}

void vx__asndb_free(vx__asndb *db)
{
    if (!db)
        return;
    free(db->v4.items);
    free(db->v6.items);
    free(db);
}

size_t vx__asndb_size(const vx__asndb *db)
{
    return db ? db->v4.count + db->v6.count : 0;
}

/* ---- lookup --------------------------------------------------------------------------------- */

static const entry *find_in(const family *f, unsigned len, const uint8_t *net)
{
    size_t lo = f->start[len], hi = f->end[len];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(f->items[mid].net, net, 16);
        if (c == 0)
            return &f->items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static uint32_t family_lookup(const family *f, const uint8_t *addr, unsigned bits)
{
    for (unsigned len = bits + 1; len-- > 0;) {
        if (f->start[len] == f->end[len])
            continue;
        uint8_t net[16] = {0};
        memcpy(net, addr, f->bytes);
        clear_host_bits(net, f->bytes, len);
        const entry *e = find_in(f, len, net);
        if (e)
            return e->asn;
    }
    return 0;
}

uint32_t vx__asndb_lookup(const vx__asndb *db, const struct sockaddr *addr)
{
    if (!db || !addr)
        return 0;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        return family_lookup(&db->v4, (const uint8_t *)&in->sin_addr, 32);
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        return family_lookup(&db->v6, in6->sin6_addr.s6_addr, 128);
    }
    return 0;
}

int vx__asndb_load_file(const char *path, vx__asndb **out, char *err, size_t errcap)
{
    char *text = NULL, inner[256];
    size_t len = 0;
    *out = NULL;
    if (!path)
        return VX_OK;
    int rc = vx__read_file(path, 256u << 20, &text, &len, err, errcap);
    if (rc == VX_OK && (rc = vx__asndb_parse(text, len, out, inner, sizeof(inner))) != VX_OK)
        snprintf(err, errcap, "%s: %s", path, inner);
    free(text);
    return rc;
}
