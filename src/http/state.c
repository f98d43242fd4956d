/*
 * http/state.c — owns what the API and the dashboard say about a domain right now: its latest
 * stored snapshot, the findings of the checks run on it, its open conditions, and the state
 * derived from both (ok / warning / error). The findings are recomputed from the snapshot with
 * the catalogue's default thresholds and the snapshot's profile, at the snapshot's own time,
 * so they are what that cycle saw; the open conditions say what the diff still holds.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/http_impl.h"
#include "voxdns/status.h"

int vx__http_find_domain(vx__store *s, const char *requested, char **name)
{
    char **names = NULL;
    size_t count = 0, n = strlen(requested);
    *name = NULL;
    if (n > 1 && requested[n - 1] == '.')
        n--; /* "example.com." and "example.com" are the same domain */
    int rc = vx__store_domains(s, &names, &count);
    if (rc != VX_OK)
        return rc;
    for (size_t i = 0; i < count; i++) {
        size_t m = strlen(names[i]);
        if (m > 1 && names[i][m - 1] == '.')
            m--;
        if (!*name && m == n && strncasecmp(names[i], requested, n) == 0)
            *name = strdup(names[i]);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return *name ? VX_OK : VX_ENOTFOUND;
}

static const char *state_of(const vx__dstate *d)
{
    return d->snap ? vx__domain_state(d->counts, &d->conds) : "unknown";
}

static int load_snapshot(vx__store *s, vx__dstate *d)
{
    char *json = NULL, err[256];
    int rc = vx__store_latest_snapshot(s, d->name, &json, &d->snap_id);
    if (rc != VX_OK || !json)
        return rc;
    /* An unreadable stored snapshot is shown as "no snapshot", not as a failed page. */
    if (vx__snapshot_from_json(json, strlen(json), &d->snap, err, sizeof err) != VX_OK)
        d->snap = NULL;
    free(json);
    return VX_OK;
}

static int run_checks(vx__dstate *d, const vx__asndb *asndb)
{
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.asndb = asndb;
    if (d->snap->profile && vx__profile_known(d->snap->profile))
        cfg.profile = d->snap->profile;
    cfg.now_s = d->snap->started_ms / 1000;
    int rc = vx__run_checks(d->snap, &cfg, &d->findings);
    for (size_t i = 0; i < d->findings.count; i++)
        if ((unsigned)d->findings.items[i].severity < VX__SEV_COUNT)
            d->counts[d->findings.items[i].severity]++;
    return rc;
}

int vx__dstate_load(vx__store *s, const vx__asndb *asndb, const char *name, vx__dstate *out)
{
    memset(out, 0, sizeof *out);
    if (!(out->name = strdup(name)))
        return VX_ENOMEM;
    int rc = load_snapshot(s, out);
    if (rc == VX_OK && out->snap)
        rc = run_checks(out, asndb);
    if (rc == VX_OK)
        rc = vx__store_get_conditions(s, name, &out->conds);
    out->state = state_of(out);
    out->last_cycle_ms = out->snap ? out->snap->started_ms : 0;
    out->open_count = out->conds.count;
    return rc;
}

int vx__dstate_for_list(vx__store *s, const vx__asndb *asndb, const vx__store_summary_row *row,
                        vx__dstate *out)
{
    if (!row->has_summary)
        return vx__dstate_load(s, asndb, row->domain, out);
    memset(out, 0, sizeof *out);
    out->name = strdup(row->domain);
    out->state_copy = strdup(row->state ? row->state : "unknown");
    if (!out->name || !out->state_copy)
        return VX_ENOMEM;
    out->state = out->state_copy;
    for (int i = 0; i < VX__SEV_COUNT; i++)
        out->counts[i] = row->findings[i];
    out->last_cycle_ms = row->cycle_ms;
    out->open_count = row->open_conditions > 0 ? (size_t)row->open_conditions : 0;
    return VX_OK;
}

void vx__dstate_free(vx__dstate *d)
{
    free(d->name);
    free(d->state_copy);
    vx__snapshot_free(d->snap);
    vx__findings_clear(&d->findings);
    vx__conditions_clear(&d->conds);
    memset(d, 0, sizeof *d);
}

/* ---- RFC 3339 ---------------------------------------------------------------------------- */

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* "Z", "+hh:mm" or "-hh:mm" → seconds east of UTC. */
static bool zone(const char *s, long *offset)
{
    int hh, mm;
    if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
        *offset = 0;
        return true;
    }
    if ((s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &hh) || s[3] != ':' ||
        !digits(s + 4, 2, &mm) || s[6] || hh > 23 || mm > 59)
        return false;
    *offset = (s[0] == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
    return true;
}

int vx__parse_rfc3339(const char *t, uint64_t *ms)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, s, frac = 0, scale = 1000;
    long offset;
    if (strlen(t) < 20 || !digits(t, 4, &y) || t[4] != '-' || !digits(t + 5, 2, &mo) ||
        t[7] != '-' || !digits(t + 8, 2, &d) || (t[10] != 'T' && t[10] != 't') ||
        !digits(t + 11, 2, &h) || t[13] != ':' || !digits(t + 14, 2, &mi) || t[16] != ':' ||
        !digits(t + 17, 2, &s))
        return VX_EINVAL;
    const char *p = t + 19;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            if (scale > 1)
                frac += (*p - '0') * (scale /= 10);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
        !zone(p, &offset))
        return VX_EINVAL;
    tm = (struct tm){.tm_year = y - 1900,
                     .tm_mon = mo - 1,
                     .tm_mday = d,
                     .tm_hour = h,
                     .tm_min = mi,
                     .tm_sec = s};
    long long secs = (long long)timegm(&tm) - offset;
    if (secs < 0)
        return VX_EINVAL;
    *ms = (uint64_t)secs * 1000u + (uint64_t)frac;
    return VX_OK;
}
