/*
 * lib/config.c — vx_config: what a libvoxdns resolver is built from (upstreams, static cache
 * files, SIP location options), and the description of it from which net/resbuild.c builds
 * the state machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_impl.h"
#include "resolver/resolv_conf.h"
#include "sip/uri.h"

int vx_config_new(vx_config **out)
{
    if (!out)
        return VX_EINVAL;
    *out = calloc(1, sizeof(**out));
    return *out ? VX_OK : VX_ENOMEM;
}

void vx_config_free(vx_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nstatics; i++)
        free(cfg->statics[i].text);
    free(cfg->statics);
    for (size_t i = 0; i < cfg->nfallback; i++)
        free(cfg->fallback[i]);
    ldns_rr_list_deep_free(cfg->trust_anchors);
    for (size_t i = 0; i < cfg->nup; i++)
        free(cfg->up_name[i]);
    free(cfg->tls_ca_file);
    free(cfg);
}

static int add_addr(vx_config *cfg, const struct sockaddr_storage *ss, bool tcp)
{
    if (cfg->nup == VX__UPSTREAM_MAX)
        return VX_ELIMIT;
    cfg->up[cfg->nup] = *ss;
    cfg->up_tcp[cfg->nup++] = tcp;
    return VX_OK;
}

/* "tls://ADDR[:PORT][#AUTH-NAME]": DNS over TLS, port 853 by default (RFC 7858 §3.1). */
static int add_tls(vx_config *cfg, const char *spec)
{
    char addr[128];
    const char *hash = strchr(spec, '#');
    size_t n = hash ? (size_t)(hash - spec) : strlen(spec);
    struct sockaddr_storage ss;
    socklen_t len;
    if (n >= sizeof(addr) || (hash && (hash[1] == '\0' || strlen(hash + 1) > 253)))
        return VX_EINVAL;
    memcpy(addr, spec, n);
    addr[n] = '\0';
    if (vx__addr_parse(addr, 853, &ss, &len) != VX_OK)
        return VX_EINVAL;
    char *name = hash ? strdup(hash + 1) : NULL;
    if (hash && !name)
        return VX_ENOMEM;
    int rc = add_addr(cfg, &ss, true);
    if (rc != VX_OK) {
        free(name);
        return rc;
    }
    cfg->up_tls[cfg->nup - 1] = true;
    cfg->up_name[cfg->nup - 1] = name;
    return VX_OK;
}

int vx_config_add_upstream(vx_config *cfg, const char *address, unsigned flags)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (cfg && address && strncmp(address, "tls://", 6) == 0)
        return add_tls(cfg, address + 6);
    if (!cfg || !address || vx__addr_parse(address, 53, &ss, &len) != VX_OK)
        return VX_EINVAL;
    return add_addr(cfg, &ss, (flags & VX_UPSTREAM_TCP) != 0);
}

int vx_config_set_tls_ca_file(vx_config *cfg, const char *path)
{
    if (!cfg)
        return VX_EINVAL;
    char *copy = path ? strdup(path) : NULL;
    if (path && !copy)
        return VX_ENOMEM;
    free(cfg->tls_ca_file);
    cfg->tls_ca_file = copy;
    return VX_OK;
}

int vx_config_add_tls_pin(vx_config *cfg, const char *spki_sha256_base64)
{
    if (!cfg || !spki_sha256_base64)
        return VX_EINVAL;
    if (cfg->ntls_pins == VX__TLS_PINS_MAX)
        return VX_ELIMIT;
    if (vx__tls_pin_parse(spki_sha256_base64, cfg->tls_pins[cfg->ntls_pins]) != VX_OK)
        return VX_EINVAL;
    cfg->ntls_pins++;
    return VX_OK;
}

int vx_config_set_tls_profile(vx_config *cfg, vx_tls_profile profile)
{
    if (!cfg || (profile != VX_TLS_STRICT && profile != VX_TLS_OPPORTUNISTIC))
        return VX_EINVAL;
    cfg->tls_opportunistic = profile == VX_TLS_OPPORTUNISTIC;
    return VX_OK;
}

int vx_config_add_resolv_conf(vx_config *cfg, const char *path)
{
    struct sockaddr_storage ss[VX__UPSTREAM_MAX];
    size_t n = 0;
    if (!cfg)
        return VX_EINVAL;
    int rc = vx__resolv_conf_load(path ? path : "/etc/resolv.conf", ss, VX__UPSTREAM_MAX, &n);
    for (size_t i = 0; rc == VX_OK && i < n; i++)
        rc = add_addr(cfg, &ss[i], false);
    return rc == VX_OK && n == 0 ? VX_ENOTFOUND : rc;
}

static vx__static_format detect_format(const char *text)
{
    if (strstr(text, "dns.cache.") || strstr(text, "DNS.CACHE."))
        return VX__STATIC_POLYCOM;
    if (strstr(text, "dns_cache_") || strstr(text, "DNS_CACHE_"))
        return VX__STATIC_YEALINK;
    return VX__STATIC_VOXDNS;
}

static int read_text(const char *path, char **text, size_t *len, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "cannot open %s", path);
        return VX_EIO;
    }
    char *buf = malloc(VX__STATIC_TEXT_MAX + 2);
    size_t n = buf ? fread(buf, 1, VX__STATIC_TEXT_MAX + 1, f) : 0;
    int rc = !buf ? VX_ENOMEM : ferror(f) ? VX_EIO : n > VX__STATIC_TEXT_MAX ? VX_ELIMIT : VX_OK;
    fclose(f);
    if (rc != VX_OK) {
        snprintf(err, errcap, "%s: %s", path, rc == VX_ELIMIT ? "over 1 MiB" : "cannot read");
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return VX_OK;
}

static int keep_static(vx_config *cfg, vx__static_format fmt, char *text, size_t len)
{
    vx__static_text *v = realloc(cfg->statics, (cfg->nstatics + 1) * sizeof(*v));
    if (!v)
        return VX_ENOMEM;
    cfg->statics = v;
    v[cfg->nstatics++] = (vx__static_text){.format = fmt, .text = text, .len = len};
    return VX_OK;
}

int vx_config_load_static(vx_config *cfg, const char *path, vx_static_format format, char *err,
                          size_t errcap)
{
    char dummy[1];
    if (!err || errcap == 0) {
        err = dummy;
        errcap = sizeof(dummy);
    }
    if (!cfg || !path || format < VX_STATIC_AUTO || format > VX_STATIC_YEALINK) {
        snprintf(err, errcap, "invalid argument");
        return VX_EINVAL;
    }
    char *text;
    size_t len;
    int rc = read_text(path, &text, &len, err, errcap);
    if (rc != VX_OK)
        return rc;
    vx__static_format fmt =
        format == VX_STATIC_AUTO ? detect_format(text) : (vx__static_format)format;
    vx__static_cache *probe = NULL; /* parsed once here so that errors show up now */
    rc = vx__static_new(&probe);
    if (rc == VX_OK)
        rc = vx__static_parse(probe, fmt, text, len, err, errcap);
    vx__static_free(probe);
    if (rc == VX_OK)
        rc = keep_static(cfg, fmt, text, len);
    if (rc != VX_OK)
        free(text);
    return rc;
}

void vx_config_set_static_first(vx_config *cfg, int on)
{
    if (cfg)
        cfg->static_first = on != 0;
}

int vx_config_add_fallback_domain(vx_config *cfg, const char *domain)
{
    if (!cfg || !domain || strlen(domain) >= VX__SIP_URI_MAX - 8)
        return VX_EINVAL;
    if (cfg->nfallback == VX__LIB_FALLBACK_MAX)
        return VX_ELIMIT;
    char uri[VX__SIP_URI_MAX];
    bool is_uri = strncmp(domain, "sip:", 4) == 0 || strncmp(domain, "sips:", 5) == 0;
    snprintf(uri, sizeof(uri), "%s%s", is_uri ? "" : "sip:", domain);
    vx__sip_uri parsed;
    if (vx__sip_uri_parse(uri, strlen(uri), &parsed, NULL, 0) != VX_OK)
        return VX_EINVAL;
    char *copy = strdup(domain);
    if (!copy)
        return VX_ENOMEM;
    cfg->fallback[cfg->nfallback++] = copy;
    return VX_OK;
}

int vx_config_load_trust_anchor(vx_config *cfg, const char *path, char *err, size_t errcap)
{
    char dummy[1];
    if (!err || errcap == 0) {
        err = dummy;
        errcap = sizeof(dummy);
    }
    if (!cfg || !path) {
        snprintf(err, errcap, "invalid argument");
        return VX_EINVAL;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = read_text(path, &text, &len, err, errcap);
    ldns_rr_list *anchors = NULL;
    if (rc == VX_OK)
        rc = vx__dnssec_parse_anchors(text, len, &anchors, err, errcap);
    free(text);
    if (rc != VX_OK)
        return rc;
    ldns_rr_list_deep_free(cfg->trust_anchors);
    cfg->trust_anchors = anchors;
    return VX_OK;
}

int vx_config_set_policy(vx_config *cfg, vx_policy policy)
{
    if (!cfg || policy < VX_POLICY_OFF || policy > VX_POLICY_SUFFIX)
        return VX_EINVAL;
    cfg->policy = policy;
    return VX_OK;
}

int vx_config_set_transports(vx_config *cfg, unsigned mask)
{
    if (!cfg || (mask & ~(unsigned)(VX_UDP | VX_TCP | VX_TLS | VX_SCTP)) != 0)
        return VX_EINVAL;
    cfg->transports = mask;
    return VX_OK;
}

void vx_config_set_max_ttl(vx_config *cfg, unsigned seconds)
{
    if (cfg)
        cfg->max_ttl_s = seconds;
}

int vx__lib_build_res(const vx_config *cfg, vx__res **out)
{
    const vx__resbuild_spec spec = {.up = cfg->up,
                                    .up_tcp = cfg->up_tcp,
                                    .nup = cfg->nup,
                                    .statics = cfg->statics,
                                    .nstatics = cfg->nstatics,
                                    .static_first = cfg->static_first,
                                    .max_ttl_s = cfg->max_ttl_s,
                                    .trust_anchors = cfg->trust_anchors};
    return vx__resbuild(&spec, out);
}

int vx__lib_setup_tls(const vx_config *cfg, vx__resdrv *drv)
{
    for (size_t i = 0; i < cfg->nup; i++) {
        if (!cfg->up_tls[i])
            continue;
        const vx__tls_auth auth = {.ca_file = cfg->tls_ca_file,
                                   .name = cfg->up_name[i],
                                   .pins = (const uint8_t(*)[VX__TLS_PIN_LEN])cfg->tls_pins,
                                   .npins = cfg->ntls_pins,
                                   .strict = !cfg->tls_opportunistic};
        vx__tls_ctx *ctx = NULL;
        int rc = vx__tls_ctx_new(&auth, &ctx);
        if (rc == VX_OK)
            rc = vx__resdrv_set_tls(drv, (unsigned)i, ctx);
        if (rc != VX_OK)
            return rc;
    }
    return VX_OK;
}
