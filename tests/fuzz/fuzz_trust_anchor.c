/* tests/fuzz/fuzz_trust_anchor.c — libFuzzer target for the trust anchor file parser
 * (vx__dnssec_parse_anchors, resolver/dnssec.c: `voxdns resolve --trust-anchor`,
 * vx_config_load_trust_anchor). Aborts when an invariant breaks: success gives at least one
 * record, every one a DS or DNSKEY of a single owner, and a validator can be made from it;
 * failure gives a reason starting with "line ". */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/dnssec.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const ldns_rr_list *list)
{
    size_t n = ldns_rr_list_rr_count(list);
    if (n == 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        ldns_rr_type t = ldns_rr_get_type(rr);
        if ((t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_DNSKEY) ||
            ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(ldns_rr_list_rr(list, 0))) != 0)
            abort();
    }
    vx__dnssec *v = NULL;
    if (vx__dnssec_new(list, &v) != VX_OK)
        abort();
    vx__dnssec_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ldns_rr_list *list = NULL;
    char err[256] = "";
    int rc = vx__dnssec_parse_anchors((const char *)data, size, &list, err, sizeof(err));
    if (rc == VX_OK)
        check_list(list);
    else if (rc == VX_EMALFORMED && strncmp(err, "line ", 5) != 0)
        abort();
    ldns_rr_list_deep_free(list);
    return 0;
}
