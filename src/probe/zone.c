/*
 * probe/zone.c — owns fetching whole zone copies (probe/zone.h): starts one transfer per
 * target, feeds every message to wire/xfr.c, and hands all copies over when the last one ends.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "net/stream.h"
#include "probe/zone.h"
#include "voxdns/status.h"

typedef struct fetch fetch;

typedef struct one {
    fetch *owner;
    size_t index;
    vx__xfr *xfr;
} one;

struct fetch {
    vx__zone_copy *copies;
    one *ones;
    size_t count;
    size_t pending;
    vx__zone_done_cb done;
    void *arg;
};

static int on_msg(void *arg, const uint8_t *msg, size_t len)
{
    one *o = arg;
    int rc = vx__xfr_feed(o->xfr, msg, len);
    if (rc == VX_EREFUSED)
        o->owner->copies[o->index].rcode = vx__xfr_rcode(o->xfr);
    return rc == VX__XFR_DONE ? VX__STREAM_DONE : rc;
}

static void fetch_end(fetch *f)
{
    for (size_t i = 0; i < f->count; i++)
        vx__xfr_free(f->ones[i].xfr);
    free(f->ones);
    f->done(f->arg, f->copies, f->count);
    free(f);
}

static void on_done(void *arg, int status)
{
    one *o = arg;
    vx__zone_copy *z = &o->owner->copies[o->index];
    z->status = status;
    if (status == VX_OK)
        z->status = vx__xfr_take(o->xfr, &z->sets, &z->set_count, &z->serial);
    z->incremental = z->status == VX_OK && vx__xfr_form_of(o->xfr) != VX__XFR_FULL;
    if (--o->owner->pending == 0)
        fetch_end(o->owner);
}

static int start_one(vx__engine *e, fetch *f, size_t i, const char *zone, const vx__zone_target *t,
                     uint32_t timeout_ms)
{
    one *o = &f->ones[i];
    vx__zone_copy *z = &f->copies[i];
    uint16_t id = 0;
    const uint8_t *wire = NULL;
    size_t len = 0;
    o->owner = f;
    o->index = i;
    z->provider = strdup(t->provider);
    z->server = strdup(t->server);
    z->addr = t->addr;
    int rc = !z->provider || !z->server ? VX_ENOMEM
             : t->held                  ? vx__xfr_new_ixfr(zone, t->key, t->held->serial,
                                                           (const vx__rrset *const *)t->held->sets,
                                                           t->held->set_count, &o->xfr)
                                        : vx__xfr_new(zone, t->key, &o->xfr);
    if (rc == VX_OK && getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
        rc = VX_EIO;
    if (rc == VX_OK)
        rc = vx__xfr_query(o->xfr, id, &wire, &len);
    vx__stream_spec spec = {(const struct sockaddr *)&t->addr, wire, len, timeout_ms};
    if (rc == VX_OK)
        rc = vx__engine_stream(e, &spec, on_msg, on_done, o);
    z->status = rc;
    return rc;
}

int vx__zone_fetch(vx__engine *engine, const char *zone, const vx__zone_target *targets,
                   size_t count, uint32_t timeout_ms, vx__zone_done_cb done, void *arg)
{
    if (!engine || !zone || !targets || count == 0 || !done)
        return VX_EINVAL;
    fetch *f = calloc(1, sizeof *f);
    vx__zone_copy *copies = calloc(count, sizeof *copies);
    one *ones = calloc(count, sizeof *ones);
    int first_error = f && copies && ones ? VX_OK : VX_ENOMEM;
    for (size_t i = 0; first_error == VX_OK && i < count; i++) {
        f->copies = copies;
        f->ones = ones;
        f->count = count;
        f->done = done;
        f->arg = arg;
        if (start_one(engine, f, i, zone, &targets[i], timeout_ms) == VX_OK)
            f->pending++;
    }
    if (first_error == VX_OK && f->pending > 0)
        return VX_OK;
    int rc = first_error != VX_OK ? first_error : copies[0].status;
    for (size_t i = 0; ones && i < count; i++)
        vx__xfr_free(ones[i].xfr);
    vx__zone_copies_free(copies, copies ? count : 0);
    free(ones);
    free(f);
    return rc;
}
