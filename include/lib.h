/*
 * lib.h - the few C library functions mm/ code may call. On the host they
 * come from libc; the kernel (kernel/lib.c) and the loader (efi/common/lib.c)
 * each provide their own freestanding versions.
 */
#ifndef CARTO_LIB_H
#define CARTO_LIB_H

#include <stddef.h>

#ifdef CARTO_HOST
#include <string.h>
#else
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif

#endif
