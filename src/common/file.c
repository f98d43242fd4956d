/* common/file.c — owns reading whole input files (see file.h). */
#include "common/file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "voxdns/status.h"

#define PIPE_FIRST_READ 65536

static int fail(int rc, char *err, size_t errcap, const char *path, const char *why)
{
    if (err && errcap)
        snprintf(err, errcap, "%s: %s", path, why);
    return rc;
}

/* How many bytes to ask for first: a regular file's size and one more byte (to see its end in
 * one read, with a buffer no larger than the file); a pipe starts small and doubles. Never more
 * than max + 1: one byte more than allowed tells "exactly max" from "larger". */
static size_t first_cap(FILE *f, size_t max)
{
    struct stat st;
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0;
    if (regular && (unsigned long long)st.st_size < max)
        return (size_t)st.st_size + 1;
    if (regular)
        return max + 1;
    return max < PIPE_FIRST_READ ? max + 1 : PIPE_FIRST_READ;
}

/* Reads until the end of the file or max + 1 bytes; *buf has room for a NUL after *n bytes.
 * NULL *buf when out of memory. */
static void read_all(FILE *f, size_t max, char **buf, size_t *n)
{
    size_t cap = first_cap(f, max);
    *n = 0;
    *buf = malloc(cap + 1);
    while (*buf) {
        *n += fread(*buf + *n, 1, cap - *n, f);
        if (*n < cap || cap > max) /* the end (or an error), or more than max */
            return;
        size_t next = cap > max / 2 ? max + 1 : cap * 2; /* a file that grew, or a pipe */
        char *p = realloc(*buf, next + 1);
        if (!p) {
            free(*buf);
            *buf = NULL;
            return;
        }
        *buf = p;
        cap = next;
    }
}

int vx__read_file(const char *path, size_t max, char **text, size_t *len, char *err, size_t errcap)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(VX_EIO, err, errcap, path, strerror(errno));
    char *buf;
    size_t n;
    read_all(f, max, &buf, &n);
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
