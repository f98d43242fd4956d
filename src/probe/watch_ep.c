/*
 * probe/watch_ep.c — owns the quiet cycle's endpoint pings (probe/watch_ep.h): the tuples kept
 * from an audit's snapshot, one OPTIONS exchange each per quiet cycle, and the comparison with
 * the audit (answering or not, the TLS leaf's fingerprint).
 */
#include "probe/watch_ep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sip_ping.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"
#include "wire/name.h"

typedef struct ep_run {
    const vx__ep_watch *w;
    vx__ep_watch_cb cb;
    void *arg;
    vx__endpoint_obs *obs; /* copies, parallel to w->items */
    size_t pending;
} ep_run;

typedef struct ep_slot {
    ep_run *run;
    size_t i;
} ep_slot;

/* The leaf certificate's SHA-256, "" when the handshake gave none. */
static void leaf_sha256(const vx__endpoint_obs *e, char out[65])
{
    vx__cert_facts f;
    out[0] = '\0';
    if (e->transport != VX__EP_TLS || !e->tls_ok || e->chain_count == 0 || !e->chain[0] ||
        vx__cert_from_b64(e->chain[0], &f) != VX_OK)
        return;
    memcpy(out, f.sha256, 65);
    vx__cert_clear(&f);
}

void vx__ep_watch_free(vx__ep_watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->count; i++)
        free(w->items[i].host);
    free(w->items);
    free(w->domain);
    free(w);
}

static int tuple_of(const vx__endpoint_obs *e, vx__ep_watch_tuple *t)
{
    *t = (vx__ep_watch_tuple){.transport = e->transport, .addr = e->addr, .up = e->status == VX_OK};
    leaf_sha256(e, t->leaf);
    t->host = strdup(e->host ? e->host : "");
    return t->host ? VX_OK : VX_ENOMEM;
}

int vx__ep_watch_build(const vx__snapshot *snap, vx__ep_watch **out)
{
    *out = NULL;
    if (!snap || !snap->domain || !snap->endpoints_probed || snap->endpoint_count == 0)
        return VX_ENOTFOUND;
    vx__ep_watch *w = calloc(1, sizeof *w);
    if (!w || !(w->items = calloc(snap->endpoint_count, sizeof *w->items)) ||
        !(w->domain = strdup(snap->domain))) {
        vx__ep_watch_free(w);
        return VX_ENOMEM;
    }
    size_t n = strlen(w->domain);
    if (n > 1 && w->domain[n - 1] == '.')
        w->domain[n - 1] = '\0';
    for (; w->count < snap->endpoint_count; w->count++) {
        if (tuple_of(&snap->endpoints[w->count], &w->items[w->count]) != VX_OK) {
            vx__ep_watch_free(w);
            return VX_ENOMEM;
        }
    }
    *out = w;
    return VX_OK;
}

bool vx__ep_watch_same(const vx__ep_watch_tuple *tup, const vx__endpoint_obs *obs)
{
    if ((obs->status == VX_OK) != tup->up)
        return false;
    if (obs->transport != VX__EP_TLS || !tup->up)
        return true;
    char leaf[65];
    leaf_sha256(obs, leaf);
    return strcmp(leaf, tup->leaf) == 0;
}

/* The callback may free the watch (the monitor's cycle ends with it and frees its plan): w is
 * not touched after it. */
static void run_finish(ep_run *r)
{
    bool same = true;
    size_t n = r->w->count;
    for (size_t i = 0; i < n; i++)
        same = same && vx__ep_watch_same(&r->w->items[i], &r->obs[i]);
    r->cb(r->arg, same, r->obs, n);
    for (size_t i = 0; i < n; i++)
        vx__endpoint_clear(&r->obs[i]);
    free(r->obs);
    free(r);
}

static void on_ping(void *arg, const vx__endpoint_obs *obs)
{
    ep_slot *s = arg;
    ep_run *r = s->run;
    vx__endpoint_obs copy = *obs;
    copy.host = r->w->items[s->i].host;
    if (vx__endpoint_copy(&r->obs[s->i], &copy) != VX_OK) /* no memory: reads as "changed" */
        r->obs[s->i] = (vx__endpoint_obs){.transport = obs->transport, .status = VX_ENOMEM};
    free(s);
    if (--r->pending == 0)
        run_finish(r);
}

/* A ping that could not start counts as an observation that failed with its error. */
static void start_one(vx__engine *engine, ep_run *r, size_t i, vx__tls_ctx *tls, const char *uri,
                      int *first_rc)
{
    const vx__ep_watch_tuple *t = &r->w->items[i];
    vx__sip_ping_spec spec = {.transport = t->transport,
                              .addr = (const struct sockaddr *)&t->addr,
                              .request_uri = uri,
                              .sni = r->w->domain,
                              .tls = tls};
    ep_slot *s = calloc(1, sizeof *s);
    int rc = s ? VX_OK : VX_ENOMEM;
    if (s) {
        *s = (ep_slot){.run = r, .i = i};
        r->pending++;
        rc = vx__sip_ping(engine, &spec, on_ping, s);
    }
    if (rc != VX_OK) {
        r->pending -= s ? 1 : 0;
        free(s);
        r->obs[i] = (vx__endpoint_obs){.transport = t->transport, .addr = t->addr, .status = rc};
        if (*first_rc == VX_OK)
            *first_rc = rc;
    }
}

int vx__ep_watch_run(vx__engine *engine, const vx__ep_watch *w, vx__tls_ctx *tls,
                     vx__ep_watch_cb cb, void *arg)
{
    if (!engine || !w || w->count == 0 || !cb)
        return VX_EINVAL;
    ep_run *r = calloc(1, sizeof *r);
    if (!r || !(r->obs = calloc(w->count, sizeof *r->obs))) {
        free(r);
        return VX_ENOMEM;
    }
    *r = (ep_run){.w = w, .cb = cb, .arg = arg, .obs = r->obs};
    char uri[VX__NAME_TEXT_MAX + 8];
    snprintf(uri, sizeof uri, "sip:%s", w->domain);
    int first_rc = VX_OK;
    r->pending = 1; /* held while starting: no callback from inside this function */
    for (size_t i = 0; i < w->count; i++)
        start_one(engine, r, i, tls, uri, &first_rc);
    if (--r->pending > 0)
        return VX_OK;
    for (size_t i = 0; i < w->count; i++)
        vx__endpoint_clear(&r->obs[i]);
    free(r->obs);
    free(r);
    return first_rc != VX_OK ? first_rc : VX_ENETWORK;
}

/* ---- stored form --------------------------------------------------------------------------- */

static int append(char **out, size_t *len, const char *line)
{
    size_t n = strlen(line);
    char *grown = realloc(*out, *len + n + 1);
    if (!grown)
        return VX_ENOMEM;
    memcpy(grown + *len, line, n + 1);
    *out = grown;
    *len += n;
    return VX_OK;
}

int vx__ep_watch_encode(const vx__ep_watch *w, char **out, size_t *len)
{
    char line[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 128], addr[VX__ADDR_TEXT_MAX + 8];
    snprintf(line, sizeof line, "D %s\n", w->domain);
    int rc = append(out, len, line);
    for (size_t i = 0; rc == VX_OK && i < w->count; i++) {
        const vx__ep_watch_tuple *t = &w->items[i];
        if (vx__addr_format_port((const struct sockaddr *)&t->addr, addr, sizeof addr) != 0)
            return VX_EINVAL;
        snprintf(line, sizeof line, "E %s %d %s %s %s\n", vx__ep_transport_name(t->transport),
                 t->up ? 1 : 0, addr, t->host, t->leaf[0] ? t->leaf : "-");
        rc = append(out, len, line);
    }
    return rc;
}

static bool is_hex64(const char *s)
{
    size_t n = 0;
    while (isxdigit((unsigned char)s[n]))
        n++;
    return n == 64 && s[n] == '\0';
}

static int decode_tuple(const char *rest, vx__ep_watch *w)
{
    char tr[8], addr[VX__ADDR_TEXT_MAX + 8], host[VX__NAME_TEXT_MAX], leaf[80];
    int up;
    vx__ep_watch_tuple t = {0};
    socklen_t sl;
    if (sscanf(rest, "%7s %d %63s %1024s %79s", tr, &up, addr, host, leaf) != 5 ||
        (up != 0 && up != 1) || vx__ep_transport_from_name(tr, &t.transport) != VX_OK ||
        vx__addr_parse(addr, 5060, &t.addr, &sl) != VX_OK ||
        (strcmp(leaf, "-") != 0 && !is_hex64(leaf)))
        return VX_EMALFORMED;
    vx__ep_watch_tuple *grown = realloc(w->items, (w->count + 1) * sizeof *grown);
    if (!grown)
        return VX_ENOMEM;
    w->items = grown;
    t.up = up == 1;
    if (strcmp(leaf, "-") != 0)
        memcpy(t.leaf, leaf, sizeof t.leaf); /* 64 hex digits and the NUL, checked above */
    if (!(t.host = strdup(host)))
        return VX_ENOMEM;
    w->items[w->count++] = t;
    return VX_OK;
}

int vx__ep_watch_decode_line(const char *line, vx__ep_watch **w)
{
    if (line[0] == 'D' && line[1] == ' ') {
        if (*w || !line[2] || strlen(line + 2) >= VX__NAME_TEXT_MAX || strchr(line + 2, ' '))
            return VX_EMALFORMED;
        if (!(*w = calloc(1, sizeof **w)) || !((*w)->domain = strdup(line + 2)))
            return VX_ENOMEM; /* the caller frees *w */
        return VX_OK;
    }
    if (line[0] == 'E' && line[1] == ' ' && *w)
        return decode_tuple(line + 2, *w);
    return VX_EMALFORMED;
}
