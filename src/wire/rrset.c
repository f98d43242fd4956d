/*
 * wire/rrset.c — owns the canonical form of RRsets (what "two servers serve the same data"
 * means), their grouping out of a message section, equality and the FNV-1a hash.
 *
 * Canonical form: owner in lower case with its trailing dot; each record's rdata printed by
 * ldns field by field, with every domain-name field (LDNS_RDF_TYPE_DNAME) lower-cased first
 * (names compare case-insensitively, RFC 4343, and servers do echo case differently); the
 * strings sorted by strcmp and de-duplicated (an RRset is a set, RFC 2181 §5); TTL = minimum.
 */
#include "wire/rrset.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "voxdns/status.h"
#include "wire/query.h"

/* ---- canonical text of one record ----------------------------------------------------- */

static char *dname_canonical_text(const ldns_rdf *name)
{
    ldns_rdf *copy = ldns_rdf_clone(name);
    if (!copy)
        return NULL;
    ldns_dname2canonical(copy);
    char *s = ldns_rdf2str(copy);
    ldns_rdf_deep_free(copy);
    return s;
}

static ldns_status put_rdf(ldns_buffer *b, const ldns_rdf *rdf)
{
    if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
        return ldns_rdf2buffer_str(b, rdf);
    ldns_rdf *copy = ldns_rdf_clone(rdf);
    if (!copy)
        return LDNS_STATUS_MEM_ERR;
    ldns_dname2canonical(copy);
    ldns_status st = ldns_rdf2buffer_str(b, copy);
    ldns_rdf_deep_free(copy);
    return st;
}

/* ldns ends some fields with a space (NSEC type bitmaps); canonical text must not depend on
 * such printing details, so trailing blanks go. */
static void trim_right(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

/* The rdata fields separated by single spaces, as in a zone file. */
static char *rdata_canonical_text(const ldns_rr *rr)
{
    ldns_buffer *b = ldns_buffer_new(64);
    if (!b)
        return NULL;
    ldns_status st = LDNS_STATUS_OK;
    for (size_t i = 0; st == LDNS_STATUS_OK && i < ldns_rr_rd_count(rr); i++) {
        if (i > 0)
            ldns_buffer_printf(b, " ");
        st = put_rdf(b, ldns_rr_rdf(rr, i));
    }
    char *s = NULL;
    if (st == LDNS_STATUS_OK && ldns_buffer_status_ok(b))
        s = ldns_buffer_export2str(b);
    ldns_buffer_free(b);
    if (s)
        trim_right(s);
    return s;
}

int vx__rr_canonical_text(const ldns_rr *rr, char **owner, char **rdata)
{
    *owner = dname_canonical_text(ldns_rr_owner(rr));
    *rdata = *owner ? rdata_canonical_text(rr) : NULL;
    if (*rdata)
        return VX_OK;
    free(*owner);
    *owner = NULL;
    return VX_ENOMEM;
}

/* ---- building one set ------------------------------------------------------------------ */

/* The key records are grouped by; owner is canonical text so keys compare with strcmp. */
typedef struct rr_key {
    char *owner;
    uint16_t type;
    uint16_t rrclass;
} rr_key;

static bool key_equal(const rr_key *a, const rr_key *b)
{
    return a->type == b->type && a->rrclass == b->rrclass && strcmp(a->owner, b->owner) == 0;
}

static int key_of(const ldns_rr *rr, rr_key *k)
{
    k->owner = dname_canonical_text(ldns_rr_owner(rr));
    k->type = (uint16_t)ldns_rr_get_type(rr);
    k->rrclass = (uint16_t)ldns_rr_get_class(rr);
    return k->owner ? VX_OK : VX_ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void vx__rrset_sort_unique(vx__rrset *set)
{
    qsort(set->rdata, set->count, sizeof set->rdata[0], cmp_str);
    size_t kept = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (kept > 0 && strcmp(set->rdata[kept - 1], set->rdata[i]) == 0)
            free(set->rdata[i]);
        else
            set->rdata[kept++] = set->rdata[i];
    }
    set->count = kept;
}

static vx__rrset *set_new(const rr_key *k, size_t capacity)
{
    vx__rrset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->owner = strdup(k->owner);
    set->rdata = calloc(capacity ? capacity : 1, sizeof *set->rdata);
    set->type = k->type;
    set->rrclass = k->rrclass;
    set->ttl = UINT32_MAX;
    if (!set->owner || !set->rdata) {
        vx__rrset_free(set);
        return NULL;
    }
    return set;
}

static int set_add(vx__rrset *set, const ldns_rr *rr)
{
    char *s = rdata_canonical_text(rr);
    if (!s)
        return VX_ENOMEM;
    set->rdata[set->count++] = s;
    if (ldns_rr_ttl(rr) < set->ttl)
        set->ttl = ldns_rr_ttl(rr);
    return VX_OK;
}

/* Builds the set of every record in list (from index first on) whose key equals k. keys[i]
 * is the precomputed key of record i. */
static int build_set(const ldns_rr_list *list, const rr_key *keys, size_t first, const rr_key *k,
                     vx__rrset **out)
{
    size_t n = ldns_rr_list_rr_count(list);
    vx__rrset *set = set_new(k, n - first);
    if (!set)
        return VX_ENOMEM;
    for (size_t i = first; i < n; i++) {
        if (key_equal(&keys[i], k) && set_add(set, ldns_rr_list_rr(list, i)) != VX_OK) {
            vx__rrset_free(set);
            return VX_ENOMEM;
        }
    }
    vx__rrset_sort_unique(set);
    *out = set;
    return VX_OK;
}

static void keys_free(rr_key *keys, size_t n)
{
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i].owner);
    free(keys);
}

static rr_key *keys_of(const ldns_rr_list *list, size_t n)
{
    rr_key *keys = calloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; keys && i < n; i++) {
        if (key_of(ldns_rr_list_rr(list, i), &keys[i]) != VX_OK) {
            keys_free(keys, n);
            return NULL;
        }
    }
    return keys;
}

/* ---- public functions ------------------------------------------------------------------ */

/* Canonical text of a user-given owner: parsed by our own presentation parser, then printed
 * the same way record owners are, so that the two compare with strcmp. */
static int owner_key(const char *owner, rr_key *k)
{
    vx__question q;
    if (vx__question_from_text(owner, 0, 0, &q) != VX_OK)
        return VX_EINVAL;
    ldns_rdf *rdf = ldns_dname_new_frm_data((uint16_t)q.name_len, q.name);
    if (!rdf)
        return VX_ENOMEM;
    k->owner = dname_canonical_text(rdf);
    ldns_rdf_deep_free(rdf);
    return k->owner ? VX_OK : VX_ENOMEM;
}

static size_t first_match(const rr_key *keys, size_t n, const char *owner, uint16_t type)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i].type == type && (!owner || strcmp(keys[i].owner, owner) == 0))
            return i;
    return n;
}

int vx__rrset_from_list(const ldns_rr_list *list, const char *owner, uint16_t type, vx__rrset **out)
{
    if (!out)
        return VX_EINVAL;
    *out = NULL;
    size_t n = list ? ldns_rr_list_rr_count(list) : 0;
    if (n == 0)
        return VX_ENOTFOUND;
    rr_key want = {0};
    int rc = owner ? owner_key(owner, &want) : key_of(ldns_rr_list_rr(list, 0), &want);
    rr_key *keys = rc == VX_OK ? keys_of(list, n) : NULL;
    if (rc == VX_OK && !keys)
        rc = VX_ENOMEM;
    if (rc == VX_OK) {
        size_t i = first_match(keys, n, want.owner, type);
        /* The class of the first matching record decides: a set never mixes classes. */
        rc = i == n ? VX_ENOTFOUND : build_set(list, keys, i, &keys[i], out);
    }
    keys_free(keys, n);
    free(want.owner);
    return rc;
}

/* Grouping a whole section sorts the records by key once and takes each run of equal keys as
 * one set: a zone transfer of n records costs n log n time and n memory (a scan per set, and a
 * set sized for every record after its first, made a 20,000-record zone take seconds and GiBs). */
typedef struct keyed {
    const rr_key *key;
    size_t index; /* in the list: ties keep list order, and sets come out in first-seen order */
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key->owner, y->key->owner);
    if (c == 0)
        c = (x->key->type > y->key->type) - (x->key->type < y->key->type);
    if (c == 0)
        c = (x->key->rrclass > y->key->rrclass) - (x->key->rrclass < y->key->rrclass);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

typedef struct made_set {
    vx__rrset *set;
    size_t first; /* index of its first record in the list */
} made_set;

static int made_cmp(const void *a, const void *b)
{
    const made_set *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* The set of the records order[from, to) (one key), in list order. */
static int build_run(const ldns_rr_list *list, const keyed *order, size_t from, size_t to,
                     vx__rrset **out)
{
    vx__rrset *set = set_new(order[from].key, to - from);
    if (!set)
        return VX_ENOMEM;
    for (size_t i = from; i < to; i++) {
        if (set_add(set, ldns_rr_list_rr(list, order[i].index)) != VX_OK) {
            vx__rrset_free(set);
            return VX_ENOMEM;
        }
    }
    vx__rrset_sort_unique(set);
    *out = set;
    return VX_OK;
}

static int build_runs(const ldns_rr_list *list, const keyed *order, size_t n, made_set *made,
                      size_t *count)
{
    for (size_t from = 0, to; from < n; from = to) {
        for (to = from + 1; to < n && key_equal(order[to].key, order[from].key);)
            to++;
        made[*count].first = order[from].index;
        if (build_run(list, order, from, to, &made[*count].set) != VX_OK)
            return VX_ENOMEM;
        (*count)++;
    }
    return VX_OK;
}

static int group_all(const ldns_rr_list *list, const rr_key *keys, size_t n, vx__rrset **sets,
                     size_t *count)
{
    keyed *order = calloc(n ? n : 1, sizeof *order);
    made_set *made = calloc(n ? n : 1, sizeof *made);
    size_t runs = 0;
    int rc = order && made ? VX_OK : VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < n; i++)
        order[i] = (keyed){&keys[i], i};
    if (rc == VX_OK) {
        qsort(order, n, sizeof *order, keyed_cmp);
        rc = build_runs(list, order, n, made, &runs);
        qsort(made, runs, sizeof *made, made_cmp);
    }
    for (size_t r = 0; r < runs; r++)
        sets[(*count)++] = made[r].set; /* on failure too: the caller frees what was made */
    free(order);
    free(made);
    return rc;
}

int vx__rrsets_from_list(const ldns_rr_list *list, vx__rrset ***out, size_t *count)
{
    if (!out || !count)
        return VX_EINVAL;
    *out = NULL;
    *count = 0;
    size_t n = list ? ldns_rr_list_rr_count(list) : 0;
    rr_key *keys = keys_of(list, n);
    vx__rrset **sets = calloc(n ? n : 1, sizeof *sets);
    size_t made = 0;
    int rc = (keys && sets) ? group_all(list, keys, n, sets, &made) : VX_ENOMEM;
    keys_free(keys, n);
    if (rc != VX_OK) {
        vx__rrsets_free(sets, made);
        return rc;
    }
    *out = sets;
    *count = made;
    return VX_OK;
}

void vx__rrset_free(vx__rrset *set)
{
    if (!set)
        return;
    for (size_t i = 0; set->rdata && i < set->count; i++)
        free(set->rdata[i]);
    free(set->rdata);
    free(set->owner);
    free(set);
}

void vx__rrsets_free(vx__rrset **sets, size_t count)
{
    for (size_t i = 0; sets && i < count; i++)
        vx__rrset_free(sets[i]);
    free(sets);
}

bool vx__rrset_equal(const vx__rrset *a, const vx__rrset *b, bool with_ttl)
{
    if (a->type != b->type || a->rrclass != b->rrclass || a->count != b->count ||
        (with_ttl && a->ttl != b->ttl) || strcmp(a->owner, b->owner) != 0)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->rdata[i], b->rdata[i]) != 0)
            return false;
    return true;
}

/* Strings are hashed with their NUL: no presentation string contains one, so the NUL
 * separates fields unambiguously ("ab"+"c" and "a"+"bc" hash differently). Integers are hashed
 * big-endian so that the hash is the same on every host. */
static uint64_t fnv_str(uint64_t h, const char *s)
{
    return vx__hash_bytes(h, s, strlen(s) + 1);
}

uint64_t vx__rrset_hash(const vx__rrset *set, bool with_ttl)
{
    uint64_t h = fnv_str(VX__HASH_SEED, set->owner);
    h = vx__hash_u32(h, (uint32_t)set->type << 16 | set->rrclass);
    for (size_t i = 0; i < set->count; i++)
        h = fnv_str(h, set->rdata[i]);
    if (with_ttl)
        h = vx__hash_u32(h, set->ttl);
    return h;
}
