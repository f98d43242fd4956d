/*
 * common/file.h — reading a whole input file (configuration, hints, static caches, snapshots,
 * the ASN table) into memory, with a size limit, for every layer that takes a file name.
 */
#ifndef VX_COMMON_FILE_H
#define VX_COMMON_FILE_H

#include <stddef.h>

/* The file's bytes, NUL-terminated (malloc'd, *len without the NUL). VX_OK; VX_EIO when it
 * cannot be opened or read, VX_ELIMIT when it is larger than max bytes, VX_ENOMEM; err then
 * says "PATH: reason". */
int vx__read_file(const char *path, size_t max, char **text, size_t *len, char *err, size_t errcap);

#endif
