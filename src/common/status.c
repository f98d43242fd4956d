/* common/status.c — the text for every vx_status code (vx_strerror). */
#include "voxdns/status.h"

const char *vx_strerror(int status)
{
    switch (status) {
    case VX_OK:
        return "success";
    case VX_ENOMEM:
        return "out of memory";
    case VX_EINVAL:
        return "invalid argument";
    case VX_ETIMEDOUT:
        return "timed out";
    case VX_ENETWORK:
        return "network error";
    case VX_EMALFORMED:
        return "malformed data";
    case VX_EREFUSED:
        return "connection refused";
    case VX_ECANCELED:
        return "cancelled";
    case VX_ENOTFOUND:
        return "not found";
    case VX_EIO:
        return "input/output error";
    case VX_ELIMIT:
        return "safety limit reached";
    case VX_ESERVFAIL:
        return "no server gave a usable answer";
    case VX_EUNSUPPORTED:
        return "not supported";
    case VX_EBOGUS:
        return "DNSSEC validation failed (bogus)";
    case VX_ECERTNAME:
        return "certificate does not name the SIP domain";
    default:
        return "unknown error";
    }
}
