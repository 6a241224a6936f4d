/*
 * lib.h - the few C library functions mm/ and base/ code may call. On the
 * host they come from libc; the kernel and the EFI applications share one
 * freestanding implementation, base/string.c.
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
/* strcmp/strncmp - compare as unsigned chars; <0, 0, >0 as in C. */
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

#endif
