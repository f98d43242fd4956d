/* model/severity.c — severity names, both ways. */
#include "model/severity.h"

#include <strings.h>

#include "voxdns/status.h"

static const char *const severity_names[VX__SEV_COUNT] = {"info", "notice", "warning", "error",
                                                          "critical"};

const char *vx__severity_name(vx__severity s)
{
    return (unsigned)s < VX__SEV_COUNT ? severity_names[s] : "unknown";
}

int vx__severity_from_name(const char *name, vx__severity *out)
{
    for (int i = 0; name && i < VX__SEV_COUNT; i++) {
        if (strcasecmp(severity_names[i], name) == 0) {
            if (out)
                *out = (vx__severity)i;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}
