/* common/file.c — owns reading whole input files (see file.h). */
#include "common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

static int fail(int rc, char *err, size_t errcap, const char *path, const char *why)
{
    if (err && errcap)
        snprintf(err, errcap, "%s: %s", path, why);
    return rc;
}

int vx__read_file(const char *path, size_t max, char **text, size_t *len, char *err, size_t errcap)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(VX_EIO, err, errcap, path, strerror(errno));
    char *buf = malloc(max + 1);
    /* One byte more than allowed tells "exactly max" from "larger". */
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int rc = VX_OK;
    if (!buf)
        rc = fail(VX_ENOMEM, err, errcap, path, "out of memory");
    else if (ferror(f))
        rc = fail(VX_EIO, err, errcap, path, errno ? strerror(errno) : "read error");
    else if (n > max)
        rc = fail(VX_ELIMIT, err, errcap, path, "file too large");
    fclose(f);
    if (rc != VX_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return VX_OK;
}
