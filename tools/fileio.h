/*
 * fileio.h - whole-file reading for the host tools and tests.
 */
#ifndef CARTO_FILEIO_H
#define CARTO_FILEIO_H

#include <stddef.h>

/*
 * read_file - read all of @path into a malloc'd buffer with a NUL after the
 * last byte (so text can be used as a string; the data may contain NULs
 * too). Sets *len to the byte count. Returns NULL (errno set) if the file
 * cannot be opened or read, or memory runs out. The caller frees it.
 */
char *read_file(const char *path, size_t *len);

#endif
