/*
 * tests/unit/test_check_dnssec.c — DNSSEC checks on a zone signed here with ldns (an ECDSA
 * P-256 key generated per run): unsigned (no DS), a valid signed zone (silent), a DS that
 * matches no key, a forged record under a valid signature, an expired signature, one that
 * expires within the warning window.
 */
#include "check_fixture.h"

#define NOW 1700000000u
#define DAY 86400u

typedef struct signer {
    ldns_key_list *keys;
    ldns_rr *dnskey;
    char *dnskey_text;
    char *ds_text;
} signer;

static char *rr_text(const ldns_rr *rr)
{
    char *s = ldns_rr2str(rr);
    assert_non_null(s);
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

static void signer_init(signer *sg, uint32_t inception, uint32_t expiration)
{
    ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
    assert_non_null(k);
    ldns_rdf *owner = ldns_dname_new_frm_str(FX_D);
    ldns_key_set_pubkey_owner(k, owner);
    ldns_key_set_flags(k, 257);
    ldns_key_set_inception(k, inception);
    ldns_key_set_expiration(k, expiration);
    sg->keys = ldns_key_list_new();
    ldns_key_list_push_key(sg->keys, k);
    sg->dnskey = ldns_key2rr(k);
    ldns_rr_set_ttl(sg->dnskey, 3600);
    ldns_key_set_keytag(k, ldns_calc_keytag(sg->dnskey));
    sg->dnskey_text = rr_text(sg->dnskey);
    ldns_rr *ds = ldns_key_rr2ds(sg->dnskey, LDNS_SHA256);
    sg->ds_text = rr_text(ds);
    ldns_rr_free(ds);
}

static void signer_free(signer *sg)
{
    ldns_key_list_free(sg->keys);
    ldns_rr_free(sg->dnskey);
    free(sg->dnskey_text);
    free(sg->ds_text);
}

/* The zone lines plus the DNSKEY and an RRSIG over every RRset (texts owned by out). */
static const char **sign_zone(signer *sg, const char *const *zone, char ***owned, size_t *n_owned)
{
    size_t n = 0;
    while (zone[n])
        n++;
    const char **z = calloc(2 * n + 4, sizeof *z);
    *owned = calloc(2 * n + 4, sizeof **owned);
    *n_owned = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        z[k++] = zone[i];
    z[k++] = sg->dnskey_text;
    /* Group by owner and type, sign each group once. */
    for (size_t i = 0; i <= n; i++) {
        ldns_rr *first = fx_rr(i < n ? zone[i] : sg->dnskey_text);
        bool seen = false;
        for (size_t j = 0; j < i && j < n; j++) {
            ldns_rr *other = fx_rr(zone[j]);
            seen |= ldns_rr_get_type(other) == ldns_rr_get_type(first) &&
                    ldns_dname_compare(ldns_rr_owner(other), ldns_rr_owner(first)) == 0;
            ldns_rr_free(other);
        }
        if (!seen) {
            ldns_rr_list *set = ldns_rr_list_new();
            for (size_t j = i; j <= n; j++) {
                ldns_rr *rr = fx_rr(j < n ? zone[j] : sg->dnskey_text);
                if (ldns_rr_get_type(rr) == ldns_rr_get_type(first) &&
                    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(first)) == 0)
                    ldns_rr_list_push_rr(set, rr);
                else
                    ldns_rr_free(rr);
            }
            ldns_rr_list *sigs = ldns_sign_public(set, sg->keys);
            assert_non_null(sigs);
            for (size_t j = 0; j < ldns_rr_list_rr_count(sigs); j++) {
                char *t = rr_text(ldns_rr_list_rr(sigs, j));
                (*owned)[(*n_owned)++] = t;
                z[k++] = t;
            }
            ldns_rr_list_deep_free(sigs);
            ldns_rr_list_deep_free(set);
        }
        ldns_rr_free(first);
    }
    return z;
}

static void owned_free(const char **z, char **owned, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(z);
}

static void set_ds(vx__snapshot *s, const char *ds_text)
{
    vx__observation *o = fx_find(s, NULL, VX__PROBE_DS, VX__UDP, FX_D, LDNS_RR_TYPE_DS);
    fx_obs_clear_sections(o);
    fx_add(o, VX__SECTION_ANSWER, ds_text);
}

static void test_unsigned(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "DNSSEC-UNSIGNED");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    fx_contains(x->message, "the parent has no DS for example.com (no data)");
    /* About the domain, not one parent server: the monitor must see the same finding whichever
     * parent server answers first. */
    assert_int_equal(x->server_count, 0);
    assert_int_equal(x->name_count, 1);
    assert_int_equal(fx_count(&f, "DNSSEC-BOGUS"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_signed_valid(void **state)
{
    (void)state;
    signer sg;
    signer_init(&sg, NOW - DAY, NOW + 30 * DAY);
    char **owned;
    size_t n;
    const char **z = sign_zone(&sg, FX_ZONE, &owned, &n);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    set_ds(s, sg.ds_text);
    vx__findings f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "DNSSEC-UNSIGNED"), 0);
    assert_int_equal(fx_count(&f, "DNSSEC-BOGUS"), 0);
    assert_int_equal(fx_count(&f, "DNSSEC-RRSIG-EXPIRING"), 0);
    /* Signatures are not compared between servers. */
    assert_int_equal(fx_count(&f, "RRSET-INCONSISTENT"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    owned_free(z, owned, n);
    signer_free(&sg);
}

static void test_ds_matches_no_key(void **state)
{
    (void)state;
    signer sg, other;
    signer_init(&sg, NOW - DAY, NOW + 30 * DAY);
    signer_init(&other, NOW - DAY, NOW + 30 * DAY);
    char **owned;
    size_t n;
    const char **z = sign_zone(&sg, FX_ZONE, &owned, &n);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    set_ds(s, other.ds_text);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "DNSSEC-BOGUS");
    assert_int_equal(x->severity, VX__SEV_CRITICAL);
    fx_contains(x->message, "example.com DNSKEY does not validate: the DS at the parent (key tag ");
    fx_contains(x->message, ") matches no DNSKEY (key tags ");
    vx__findings_clear(&f);
    fx_free(s);
    owned_free(z, owned, n);
    signer_free(&sg);
    signer_free(&other);
}

static void test_forged_record(void **state)
{
    (void)state;
    signer sg;
    signer_init(&sg, NOW - DAY, NOW + 30 * DAY);
    char **owned;
    size_t n;
    const char **z = sign_zone(&sg, FX_ZONE, &owned, &n);
    /* Same signature, other address. */
    for (size_t i = 0; z[i]; i++)
        if (strcmp(z[i], "sip2.example.com. 3600 IN A 198.51.100.10") == 0)
            z[i] = "sip2.example.com. 3600 IN A 203.0.113.66";
    vx__snapshot *s = fx_healthy_zone("generic", z);
    set_ds(s, sg.ds_text);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "DNSSEC-BOGUS");
    fx_contains(x->message, "sip2.example.com A does not validate: ");
    assert_true(fx_has_name(x, "sip2.example.com"));
    vx__findings_clear(&f);
    fx_free(s);
    owned_free(z, owned, n);
    signer_free(&sg);
}

static void test_expired_and_expiring(void **state)
{
    (void)state;
    signer sg;
    signer_init(&sg, NOW - 30 * DAY, NOW - DAY);
    char **owned;
    size_t n;
    const char **z = sign_zone(&sg, FX_ZONE, &owned, &n);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    set_ds(s, sg.ds_text);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "DNSSEC-BOGUS");
    assert_string_equal(x->message, "example.com DNSKEY does not validate: its signature has "
                                    "expired; validating resolvers answer SERVFAIL for it");
    assert_int_equal(fx_count(&f, "DNSSEC-RRSIG-EXPIRING"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    owned_free(z, owned, n);
    signer_free(&sg);

    signer_init(&sg, NOW - DAY, NOW + 2 * DAY);
    z = sign_zone(&sg, FX_ZONE, &owned, &n);
    s = fx_healthy_zone("generic", z);
    set_ds(s, sg.ds_text);
    f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "DNSSEC-BOGUS"), 0);
    /* NAPTR, three SRV, two A and the DNSKEY RRset. */
    assert_int_equal(fx_count(&f, "DNSSEC-RRSIG-EXPIRING"), 7);
    bool seen = false;
    for (size_t i = 0; i < f.count; i++) {
        if (strcmp(f.items[i].check, "DNSSEC-RRSIG-EXPIRING") != 0 ||
            !strstr(f.items[i].message, "over _sips._tcp.example.com SRV"))
            continue;
        assert_int_equal(f.items[i].severity, VX__SEV_WARNING);
        fx_contains(f.items[i].message, "expires at 2023-11-16 22:13:20Z, in 2.0 days");
        seen = true;
    }
    assert_true(seen);
    vx__findings_clear(&f);
    fx_free(s);
    owned_free(z, owned, n);
    signer_free(&sg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_signed_valid),
        cmocka_unit_test(test_ds_matches_no_key),
        cmocka_unit_test(test_forged_record),
        cmocka_unit_test(test_expired_and_expiring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
