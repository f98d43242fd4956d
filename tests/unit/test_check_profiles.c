/*
 * tests/unit/test_check_profiles.c — the lync and teams profiles: records Lync/Skype and
 * Microsoft 365 clients look for, strict domain matching of sign-in SRV targets, and nothing
 * at all under the generic profile.
 */
#include "check_fixture.h"

static const char *const LYNC_RECORDS[] = {
    "_sipinternaltls._tcp.example.com. 3600 IN SRV 0 0 5061 pool.example.com.",
    "_sipfederationtls._tcp.example.com. 3600 IN SRV 0 0 5061 edge.example.com.",
    "_sip._tls.example.com. 3600 IN SRV 0 0 443 edge.example.com.",
    "lyncdiscover.example.com. 3600 IN CNAME web.example.com.",
    "web.example.com. 3600 IN A 192.0.2.30",
    "sip.example.com. 3600 IN A 192.0.2.31",
    NULL,
};

static vx__findings run(const char *const *add, const char *drop, const char *profile)
{
    const char **z = fx_zone_edit(FX_ZONE, drop, 0, add);
    vx__snapshot *s = fx_healthy_zone(profile, z);
    vx__findings f;
    fx_run(s, profile, &f);
    fx_dump(&f);
    fx_free(s);
    fx_zone_free(z);
    return f;
}

static void test_lync_complete(void **state)
{
    (void)state;
    vx__findings f = run(LYNC_RECORDS, NULL, "lync");
    assert_int_equal(fx_count(&f, "LYNC-RECORD-MISSING"), 0);
    assert_int_equal(fx_count(&f, "LYNC-STRICT-NAME"), 0);
    vx__findings_clear(&f);
}

static void test_lync_missing(void **state)
{
    (void)state;
    const char *some[] = {LYNC_RECORDS[0], LYNC_RECORDS[1], LYNC_RECORDS[4], LYNC_RECORDS[5], NULL};
    vx__findings f = run(some, NULL, "lync");
    assert_int_equal(fx_count(&f, "LYNC-RECORD-MISSING"), 2);
    bool tls = false, disc = false;
    for (size_t i = 0; i < f.count; i++) {
        const vx__finding *x = &f.items[i];
        if (strcmp(x->check, "LYNC-RECORD-MISSING") != 0)
            continue;
        assert_int_equal(x->severity, VX__SEV_ERROR);
        tls |= strcmp(x->message, "_sip._tls.example.com SRV, which Lync/Skype automatic "
                                  "configuration expects, is missing (NXDOMAIN)") == 0;
        disc |= strcmp(x->message, "lyncdiscover.example.com A/CNAME, which Lync/Skype "
                                   "automatic configuration expects, is missing (NXDOMAIN)") == 0;
    }
    assert_true(tls && disc);
    vx__findings_clear(&f);
    /* The generic profile does not look for them. */
    f = run(some, NULL, "generic");
    assert_int_equal(fx_count(&f, "LYNC-RECORD-MISSING"), 0);
    vx__findings_clear(&f);
}

static void test_lync_strict_name(void **state)
{
    (void)state;
    const char *add[] = {
        "_sipinternaltls._tcp.example.com. 3600 IN SRV 0 0 5061 pool.example.com.",
        "_sipfederationtls._tcp.example.com. 3600 IN SRV 0 0 5061 edge.example.com.",
        "_sip._tls.example.com. 3600 IN SRV 0 0 443 edge.example-hosting.net.",
        LYNC_RECORDS[3],
        LYNC_RECORDS[4],
        LYNC_RECORDS[5],
        NULL};
    vx__findings f = run(add, NULL, "lync");
    const vx__finding *x = fx_one(&f, "LYNC-STRICT-NAME");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message, "the sign-in record _sip._tls.example.com points to "
                                    "edge.example-hosting.net, which is neither example.com nor "
                                    "under it: Lync/Skype clients refuse to sign in");
    assert_true(fx_has_name(x, "edge.example-hosting.net"));
    /* And the generic check at error severity under lync. */
    assert_int_equal(fx_one(&f, "SRV-TARGET-OUT-OF-DOMAIN")->severity, VX__SEV_ERROR);
    vx__findings_clear(&f);
    /* The generic profile neither runs the Lync check nor follows the Lync SRV names. */
    f = run(add, NULL, "generic");
    assert_int_equal(fx_count(&f, "LYNC-STRICT-NAME"), 0);
    assert_int_equal(fx_count(&f, "SRV-TARGET-OUT-OF-DOMAIN"), 0);
    vx__findings_clear(&f);
}

static const char *const TEAMS_RECORDS[] = {
    "sip.example.com. 3600 IN CNAME sipdir.online.lync.com.",
    "lyncdiscover.example.com. 3600 IN CNAME webdir.online.lync.com.",
    "_sip._tls.example.com. 3600 IN SRV 100 1 443 sipdir.online.lync.com.",
    "_sipfederationtls._tcp.example.com. 3600 IN SRV 100 1 5061 sipfed.online.lync.com.",
    NULL,
};

static void test_teams(void **state)
{
    (void)state;
    vx__findings f = run(TEAMS_RECORDS, NULL, "teams");
    assert_int_equal(fx_count(&f, "LYNC-RECORD-MISSING"), 0);
    /* Microsoft's own names are out of the domain by design. */
    assert_int_equal(fx_count(&f, "SRV-TARGET-OUT-OF-DOMAIN"), 0);
    vx__findings_clear(&f);
    const char *wrong[] = {"sip.example.com. 3600 IN CNAME sip.old-provider.net.", TEAMS_RECORDS[1],
                           TEAMS_RECORDS[2],
                           "_sipfederationtls._tcp.example.com. 3600 IN SRV 100 1 5061 "
                           "sipfed.online.lync.com.",
                           NULL};
    f = run(wrong, NULL, "teams");
    const vx__finding *x = fx_one(&f, "LYNC-RECORD-MISSING");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message, "sip.example.com CNAME, which Microsoft 365 expects, should "
                                    "be a CNAME to sipdir.online.lync.com, but is a CNAME to "
                                    "sip.old-provider.net");
    vx__findings_clear(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lync_complete),
        cmocka_unit_test(test_lync_missing),
        cmocka_unit_test(test_lync_strict_name),
        cmocka_unit_test(test_teams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
