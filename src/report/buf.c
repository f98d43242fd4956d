/*
 * report/buf.c — owns the report text buffer (growing, with a sticky out-of-memory flag so that
 * writers need not check every call), escaping for HTML and for terminals, and the formatting
 * helpers the three report forms share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report_impl.h"
#include "common/array.h"

static bool reserve(vx__rbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    char *s = vx__grow(b->s, &b->cap, b->len + more + 1, 1, 1024);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    return true;
}

static void put_n(vx__rbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void vx__rb_puts(vx__rbuf *b, const char *s)
{
    put_n(b, s, strlen(s));
}

void vx__rb_printf(vx__rbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static bool control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

void vx__rb_html(vx__rbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            vx__rb_puts(b, "&amp;");
            break;
        case '<':
            vx__rb_puts(b, "&lt;");
            break;
        case '>':
            vx__rb_puts(b, "&gt;");
            break;
        case '"':
            vx__rb_puts(b, "&quot;");
            break;
        case '\'':
            vx__rb_puts(b, "&#39;");
            break;
        default:
            put_n(b, control((unsigned char)*s) ? "?" : s, 1);
        }
    }
}

void vx__rb_plain(vx__rbuf *b, const char *s)
{
    for (; s && *s; s++)
        put_n(b, control((unsigned char)*s) ? "?" : s, 1);
}

char *vx__rb_take(vx__rbuf *b)
{
    char *s = b->oom ? NULL : b->s;
    if (!s && !b->oom)
        s = strdup("");
    if (b->oom)
        free(b->s);
    memset(b, 0, sizeof *b);
    return s;
}

/* ---- formatting ------------------------------------------------------------------------ */

void vx__report_name(const char *name, char *out, size_t cap)
{
    size_t n = name ? strlen(name) : 0;
    if (n > 1 && name[n - 1] == '.')
        n--;
    snprintf(out, cap, "%.*s", (int)n, name ? name : "");
}

void vx__report_time(uint64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "1970-01-01T00:00:00Z");
}

void vx__report_span(double seconds, char *out, size_t cap)
{
    long s = seconds > 0 && seconds < 1e12 ? (long)(seconds + 0.5) : 0;
    if (s < 120)
        snprintf(out, cap, "%ld s", s);
    else if (s < 120 * 60)
        snprintf(out, cap, "%ld min", (s + 30) / 60);
    else if (s < 48 * 3600 && (s + 30) / 60 % 60 != 0)
        snprintf(out, cap, "%ld h %ld min", (s + 30) / 3600, (s + 30) / 60 % 60);
    else if (s < 48 * 3600)
        snprintf(out, cap, "%ld h", (s + 30) / 3600);
    else
        snprintf(out, cap, "%.1f days", (double)s / 86400.0);
}

void vx__report_counts(const vx__findings *f, size_t counts[VX__SEV_COUNT])
{
    memset(counts, 0, VX__SEV_COUNT * sizeof counts[0]);
    for (size_t i = 0; f && i < f->count; i++)
        if ((unsigned)f->items[i].severity < VX__SEV_COUNT)
            counts[f->items[i].severity]++;
}

const char *vx__report_profile(const vx__report_input *in)
{
    if (in->profile)
        return in->profile;
    return in->snap && in->snap->profile ? in->snap->profile : "generic";
}

int vx__report_exit_status(const vx__findings *f)
{
    size_t c[VX__SEV_COUNT];
    vx__report_counts(f, c);
    if (c[VX__SEV_CRITICAL] || c[VX__SEV_ERROR])
        return 2;
    return c[VX__SEV_WARNING] ? 1 : 0;
}
