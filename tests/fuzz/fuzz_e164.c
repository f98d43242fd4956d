/*
 * tests/fuzz/fuzz_e164.c — libFuzzer target for ENUM input (sip/enum.c, sip/enum_regexp.c):
 * an E.164 number, then optionally '\n' and a NAPTR regexp field. The number goes through
 * vx__enum_domain(); the regexp is applied to the number's AUS (or a fixed one) and given to
 * vx__enum_sip_uris() as an E2U+sip record. Aborts when an accepted number does not give
 * exactly one label per digit under e164.arpa., or a refusal comes without a reason.
 */
#include <stdlib.h>
#include <string.h>

#include "sip/enum.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NUL-terminated copy of data[0..n); NULL when n is beyond what any caller would give. */
static char *dup_text(const uint8_t *data, size_t n)
{
    if (n > 4096)
        return NULL;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, data, n);
        s[n] = '\0';
    }
    return s;
}

static void check_number(const char *number, char *aus, size_t cap)
{
    char name[1100], err[256] = "";
    if (vx__enum_domain(number, NULL, name, sizeof name, err, sizeof err) != VX_OK) {
        if (err[0] == '\0')
            abort();
        return;
    }
    if (vx__enum_normalize(number, aus, cap, NULL, 0) != VX_OK)
        abort();
    size_t digits = strlen(aus) - 1;
    if (strlen(name) != 2 * digits + strlen("e164.arpa.") ||
        strcmp(name + 2 * digits, "e164.arpa.") != 0)
        abort();
}

static void check_regexp(const char *re, const char *aus)
{
    char out[VX__ENUM_URI_MAX], err[256] = "";
    int rc = vx__enum_regexp_apply(re, aus, out, sizeof out, err, sizeof err);
    if (rc != VX_OK && err[0] == '\0')
        abort();
    if (rc == VX_OK && strlen(out) >= sizeof out)
        abort();
    vx__sip_naptr rec = {10, 10, "u", "E2U+sip", re, ".", 60};
    vx__enum_uri uris[1];
    size_t n;
    vx__enum_sip_uris(&rec, 1, aus, uris, 1, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t len = nl ? (size_t)(nl - data) : size;
    char aus[VX__ENUM_AUS_MAX] = "+15551234567";
    char *number = dup_text(data, len);
    if (!number)
        return 0;
    check_number(number, aus, sizeof aus);
    free(number);
    if (nl) {
        char *re = dup_text(nl + 1, size - len - 1);
        if (re)
            check_regexp(re, aus);
        free(re);
    }
    return 0;
}
