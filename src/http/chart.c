/*
 * http/chart.c — owns the dashboard's RTT-over-time charts: for each server, one inline SVG
 * line chart of its stored RTT samples over a time window, a red tick wherever it did not
 * answer (the line breaks there rather than pretending it answered), a y scale rounded to
 * 1-2-5 steps, and UTC time ticks. Server labels come from DNS data and are escaped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/chart.h"

typedef vx__chart_frame frame;

double vx__chart_fx(const vx__chart_frame *f, uint64_t t)
{
    double span = (double)(f->to - f->from);
    double at = t < f->from ? 0.0 : (double)(t - f->from);
    return L + (W - L - R) * fmin(at / span, 1.0);
}

double vx__chart_fy(const vx__chart_frame *f, double v)
{
    return T + (H - T - B) * (1.0 - fmin(v / f->y_max, 1.0));
}

double vx__chart_nice_ceil(double v)
{
    double p = pow(10.0, floor(log10(v)));
    for (int k = 0; k < 3; k++) {
        static const double steps[] = {1, 2, 5};
        if (steps[k] * p >= v)
            return steps[k] * p;
    }
    return 10 * p;
}

void vx__chart_axes(vx__rbuf *b, const vx__chart_frame *f, const char *unit)
{
    for (int i = 0; i <= 2; i++) {
        double v = f->y_max * i / 2.0, y = vx__chart_fy(f, v);
        vx__rb_printf(b,
                      "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
                      "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g %s</text>",
                      L, y, W - R, y, L - 5, y + 4, v, unit);
    }
    for (int i = 0; i <= X_TICKS; i++) {
        uint64_t t = f->from + (f->to - f->from) * (uint64_t)i / X_TICKS;
        time_t secs = (time_t)(t / 1000);
        struct tm tm;
        char hhmm[8] = "";
        if (gmtime_r(&secs, &tm))
            strftime(hhmm, sizeof hhmm, "%H:%M", &tm);
        vx__rb_printf(b, "<text class=\"axis\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%s</text>",
                      vx__chart_fx(f, t), H - 6,
                      i == 0         ? "start"
                      : i == X_TICKS ? "end"
                                     : "middle",
                      hhmm);
    }
}

static bool same(const vx__rtt_row *r, const char *server)
{
    return r->server && strcmp(r->server, server) == 0;
}

/* The line, broken at each miss; a lone answered sample is a dot. */
static void line(vx__rbuf *b, const frame *f, const vx__rtt_row *rows, size_t n, const char *sv)
{
    size_t run = 0;
    double last_x = 0, last_y = 0;
    for (size_t i = 0; i <= n; i++) {
        bool hit = i < n && same(&rows[i], sv) && rows[i].rtt_ms >= 0 &&
                   rows[i].time_ms >= f->from && rows[i].time_ms <= f->to;
        bool miss = i < n && same(&rows[i], sv) && rows[i].rtt_ms < 0;
        if (hit) {
            last_x = vx__chart_fx(f, rows[i].time_ms), last_y = vx__chart_fy(f, rows[i].rtt_ms);
            vx__rb_printf(b, run ? " L%.1f %.1f" : "<path class=\"line\" d=\"M%.1f %.1f", last_x,
                          last_y);
            run++;
        }
        if ((miss || i == n) && run) {
            vx__rb_puts(b, "\"/>");
            if (run == 1)
                vx__rb_printf(b, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", last_x,
                              last_y);
            run = 0;
        }
        if (miss && rows[i].time_ms >= f->from)
            vx__rb_printf(b,
                          "<line class=\"miss\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\">"
                          "<title>no answer</title></line>",
                          vx__chart_fx(f, rows[i].time_ms), H - B, vx__chart_fx(f, rows[i].time_ms),
                          H - B - 10);
    }
}

typedef struct tally {
    size_t answered, missed;
    double max, sum;
} tally;

static tally count(const vx__rtt_row *rows, size_t n, const char *server)
{
    tally t = {0};
    for (size_t i = 0; i < n; i++) {
        if (!same(&rows[i], server))
            continue;
        if (rows[i].rtt_ms < 0) {
            t.missed++;
            continue;
        }
        t.answered++;
        t.sum += rows[i].rtt_ms;
        t.max = fmax(t.max, rows[i].rtt_ms);
    }
    return t;
}

static void one_chart(vx__rbuf *b, const vx__rtt_row *rows, size_t n, const char *server,
                      uint64_t from, uint64_t to)
{
    tally t = count(rows, n, server);
    frame f = {from, to, vx__chart_nice_ceil(fmax(t.max, 1.0))};
    vx__rb_printf(b,
                  "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"response time of ",
                  W, H);
    vx__rb_html(b, server);
    vx__rb_printf(b, "\"><text class=\"label\" x=\"%.0f\" y=\"15\" font-weight=\"600\">", L);
    vx__rb_html(b, server);
    vx__rb_printf(b, "</text><text class=\"small\" x=\"%.0f\" y=\"30\">", L);
    if (t.answered)
        vx__rb_printf(b, "mean %.1f ms &#183; max %.1f ms &#183; ", t.sum / (double)t.answered,
                      t.max);
    vx__rb_printf(b, "%zu answered &#183; %zu unanswered</text>", t.answered, t.missed);
    vx__chart_axes(b, &f, "ms");
    line(b, &f, rows, n, server);
    vx__rb_puts(b, "</svg>\n");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct server labels, sorted (borrowed from rows). */
static size_t servers_of(const vx__rtt_row *rows, size_t n, const char **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = !rows[i].server;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(out[j], rows[i].server) == 0;
        if (!seen && k < max)
            out[k++] = rows[i].server;
    }
    qsort(out, k, sizeof *out, by_name);
    return k;
}

void vx__chart_rtt(vx__rbuf *b, const vx__rtt_row *rows, size_t count_rows, uint64_t from_ms,
                   uint64_t to_ms)
{
    const char *servers[64];
    if (to_ms <= from_ms)
        return;
    size_t n = servers_of(rows, count_rows, servers, sizeof servers / sizeof servers[0]);
    vx__rb_puts(b, "<div class=\"charts\">\n");
    for (size_t i = 0; i < n; i++)
        one_chart(b, rows, count_rows, servers[i], from_ms, to_ms);
    vx__rb_puts(b, "</div>\n");
}
