/*
 * http/chart_prop.c — owns the dashboard's propagation charts: per DNS provider of the domain,
 * one inline SVG with a dot per measurement (x: when the server was seen serving the new serial,
 * y: seconds from the NOTIFY or first sighting), a 1-2-5 y scale, UTC time ticks, and a line
 * of figures (measurements, median, slowest and which server). The samples are the monitor's
 * last ones, kept in memory (monitor/metrics.h). Provider and server names come from DNS data
 * or the configuration and are escaped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/chart.h"

#define MAX_PROVIDERS 32

typedef vx__chart_frame frame;

static int by_seconds(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Count, median and slowest of one provider's samples. */
static void figures(vx__rbuf *b, const vx__prop_sample *s, size_t n, const char *provider)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    size_t k = 0, slowest = 0;
    for (size_t i = 0; v && i < n; i++) {
        if (strcmp(s[i].provider, provider) != 0)
            continue;
        if (k == 0 || s[i].seconds > s[slowest].seconds)
            slowest = i;
        v[k++] = s[i].seconds;
    }
    if (!v || k == 0) {
        free(v);
        return;
    }
    qsort(v, k, sizeof *v, by_seconds);
    double median = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2.0;
    vx__rb_printf(b, "%zu measured &#183; median %.3f s &#183; slowest %.3f s (", k, median,
                  s[slowest].seconds);
    vx__rb_html(b, s[slowest].server);
    vx__rb_puts(b, ")");
    free(v);
}

static void dots(vx__rbuf *b, const frame *f, const vx__prop_sample *s, size_t n,
                 const char *provider)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].provider, provider) != 0)
            continue;
        vx__rb_printf(b, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>",
                      vx__chart_fx(f, s[i].at_ms), vx__chart_fy(f, s[i].seconds));
        vx__rb_html(b, s[i].server);
        vx__rb_printf(b, ": serial %u in %.3f s after the %s</title></circle>", s[i].serial,
                      s[i].seconds, s[i].notify ? "NOTIFY" : "first sighting");
    }
}

static void one_chart(vx__rbuf *b, const vx__prop_sample *s, size_t n, const char *provider,
                      const frame *range)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].provider, provider) == 0)
            max = fmax(max, s[i].seconds);
    frame f = *range;
    f.y_max = vx__chart_nice_ceil(fmax(max, 1.0));
    vx__rb_printf(b,
                  "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"propagation time at ",
                  W, H);
    vx__rb_html(b, provider[0] ? provider : "(no provider)");
    vx__rb_printf(b, "\"><text class=\"label\" x=\"%.0f\" y=\"15\" font-weight=\"600\">", L);
    vx__rb_html(b, provider[0] ? provider : "(no provider)");
    vx__rb_printf(b, "</text><text class=\"small\" x=\"%.0f\" y=\"30\">", L);
    figures(b, s, n, provider);
    vx__rb_puts(b, "</text>");
    vx__chart_axes(b, &f, "s");
    dots(b, &f, s, n, provider);
    vx__rb_puts(b, "</svg>\n");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void vx__chart_propagation(vx__rbuf *b, const vx__prop_sample *s, size_t n, uint64_t now_ms)
{
    const char *providers[MAX_PROVIDERS];
    size_t k = 0;
    frame range = {UINT64_MAX, now_ms, 1};
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(providers[j], s[i].provider) == 0;
        if (!seen && k < MAX_PROVIDERS)
            providers[k++] = s[i].provider;
        range.from = s[i].at_ms < range.from ? s[i].at_ms : range.from;
        range.to = s[i].at_ms > range.to ? s[i].at_ms : range.to;
    }
    if (n == 0) {
        vx__rb_puts(b, "<p class=\"muted\">No propagation measured since the monitor started "
                       "(a NOTIFY through notify_listen, or a new serial seen in a cycle, "
                       "starts one).</p>\n");
        return;
    }
    /* a minute of margin on the left, so that the first dot is not on the axis */
    range.from = range.from > 60000 ? range.from - 60000 : 0;
    qsort(providers, k, sizeof *providers, by_name);
    vx__rb_puts(b, "<div class=\"charts\">\n");
    for (size_t i = 0; i < k; i++)
        one_chart(b, s, n, providers[i], &range);
    vx__rb_puts(b, "</div>\n");
}
