/*
 * check/checks_impl.h — internal to check/: the check functions the registry points at (one
 * per catalogue id, one file per area), and the per-check judgement notes the Markdown
 * catalogue prints.
 */
#ifndef VX_CHECK_CHECKS_IMPL_H
#define VX_CHECK_CHECKS_IMPL_H

#include "check/check.h"

#define VX__CHECK_FN(fn)                                                                           \
    void fn(const vx__snapshot *snap, const vx__check_config *cfg, vx__findings *out)

/* delegation.c */
VX__CHECK_FN(vx__chk_delegation_missing);
VX__CHECK_FN(vx__chk_ns_count_low);
VX__CHECK_FN(vx__chk_ns_set_mismatch);
VX__CHECK_FN(vx__chk_glue_mismatch);
VX__CHECK_FN(vx__chk_ns_name_unresolvable);
/* availability.c */
VX__CHECK_FN(vx__chk_all_ns_unreachable);
VX__CHECK_FN(vx__chk_ns_unreachable);
VX__CHECK_FN(vx__chk_ns_no_tcp);
VX__CHECK_FN(vx__chk_ns_lame);
VX__CHECK_FN(vx__chk_ns_slow);
/* consistency.c */
VX__CHECK_FN(vx__chk_soa_serial_mismatch);
VX__CHECK_FN(vx__chk_rrset_inconsistent);
VX__CHECK_FN(vx__chk_ttl_inconsistent);
VX__CHECK_FN(vx__chk_soa_timers);
/* zonediff.c */
VX__CHECK_FN(vx__chk_zone_differs);
/* predeleg.c */
VX__CHECK_FN(vx__chk_candidate_differs);
/* diversity.c */
VX__CHECK_FN(vx__chk_ns_single_provider);
VX__CHECK_FN(vx__chk_ns_single_prefix);
VX__CHECK_FN(vx__chk_ns_single_asn);
VX__CHECK_FN(vx__chk_ns_single_tld);
VX__CHECK_FN(vx__chk_service_single_domain);
VX__CHECK_FN(vx__chk_service_alt_domain_mismatch);
VX__CHECK_FN(vx__chk_sip_targets_single_prefix);
VX__CHECK_FN(vx__chk_sip_targets_single_asn);
/* sip.c */
VX__CHECK_FN(vx__chk_sip_no_records);
VX__CHECK_FN(vx__chk_naptr_incomplete);
VX__CHECK_FN(vx__chk_naptr_invalid);
VX__CHECK_FN(vx__chk_naptr_dangling);
VX__CHECK_FN(vx__chk_srv_missing_at_domain);
/* sip_targets.c */
VX__CHECK_FN(vx__chk_srv_target_no_address);
VX__CHECK_FN(vx__chk_srv_target_cname);
VX__CHECK_FN(vx__chk_srv_target_out_of_domain);
VX__CHECK_FN(vx__chk_srv_single_target);
VX__CHECK_FN(vx__chk_srv_port_unusual);
VX__CHECK_FN(vx__chk_sip_target_private_address);
VX__CHECK_FN(vx__chk_sip_target_internal_name);
/* ttl.c */
VX__CHECK_FN(vx__chk_ttl_too_short);
VX__CHECK_FN(vx__chk_ttl_too_long);
/* dnssec.c */
VX__CHECK_FN(vx__chk_dnssec_unsigned);
VX__CHECK_FN(vx__chk_dnssec_bogus);
VX__CHECK_FN(vx__chk_dnssec_rrsig_expiring);
/* security.c */
VX__CHECK_FN(vx__chk_ns_open_recursion);
VX__CHECK_FN(vx__chk_ns_axfr_open);
VX__CHECK_FN(vx__chk_ns_version_disclosed);
VX__CHECK_FN(vx__chk_ns_edns_broken);
/* profiles.c */
VX__CHECK_FN(vx__chk_lync_record_missing);
VX__CHECK_FN(vx__chk_lync_strict_name);
/* hijack.c */
VX__CHECK_FN(vx__chk_caa_missing);
/* endpoints.c */
VX__CHECK_FN(vx__chk_sip_options_no_answer);
VX__CHECK_FN(vx__chk_sip_options_error);
VX__CHECK_FN(vx__chk_sip_targets_all_down);
VX__CHECK_FN(vx__chk_tls_handshake_failed);
VX__CHECK_FN(vx__chk_tls_cert_untrusted);
VX__CHECK_FN(vx__chk_tls_cert_name_mismatch);
VX__CHECK_FN(vx__chk_tls_cert_expiring);
VX__CHECK_FN(vx__chk_tls_cert_expired);

/* registry.c: the judgement notes of a check (the operator-facing "how we decide"), NULL when
 * none; and the profiles under which a check runs ("all", "lync, teams" ...). */
const char *vx__check_notes(const char *id);
const char *vx__check_profiles(const char *id);
/* Position of an area in catalogue order (unknown areas last). */
size_t vx__area_rank(const char *area);

#endif
