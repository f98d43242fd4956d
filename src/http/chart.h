/*
 * http/chart.h — private to the dashboard's SVG charts (http/chart.c, chart_prop.c): the
 * geometry they share, the time/value frame, and the axes (value grid in the chart's unit, UTC
 * time ticks). Defines short geometry names, so only chart sources include it.
 */
#ifndef VX_HTTP_CHART_H
#define VX_HTTP_CHART_H

#include <stdint.h>

#include "http/http_impl.h"

#define W 560.0
#define H 160.0
#define L 52.0
#define R 14.0
#define T 40.0
#define B 24.0
#define X_TICKS 4

typedef struct vx__chart_frame {
    uint64_t from, to; /* the time window, ms since the epoch */
    double y_max;      /* the top of the value axis, in the chart's unit */
} vx__chart_frame;

double vx__chart_fx(const vx__chart_frame *f, uint64_t t);
double vx__chart_fy(const vx__chart_frame *f, double v);
/* Three grid lines labelled in unit ("ms", "s") and X_TICKS + 1 UTC time ticks. */
void vx__chart_axes(vx__rbuf *b, const vx__chart_frame *f, const char *unit);

#endif
