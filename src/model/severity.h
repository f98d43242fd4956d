/*
 * model/severity.h — the five severities every finding and event carries (CHECKS.md): shared by
 * check/, monitor/, store/, report/ and http/ without any of them including another.
 */
#ifndef VX_MODEL_SEVERITY_H
#define VX_MODEL_SEVERITY_H

typedef enum vx__severity {
    VX__SEV_INFO = 0,
    VX__SEV_NOTICE,
    VX__SEV_WARNING,
    VX__SEV_ERROR,
    VX__SEV_CRITICAL
} vx__severity;

#define VX__SEV_COUNT 5
const char *vx__severity_name(vx__severity s); /* "info" ... "critical" */
/* Case-insensitive; VX_OK or VX_EINVAL. out may be NULL (a validity test). */
int vx__severity_from_name(const char *name, vx__severity *out);

#endif
