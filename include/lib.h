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

/*
 * fast_zero, fast_copy - fill with zeroes / copy @n bytes with one string
 * instruction each (on the host: memset and memcpy, which ASan checks).
 * gnu-efi's memset and memcpy go byte by byte, which costs millions of
 * cycles for the kernel image, the stacks and the page-table frames.
 */
#ifdef CARTO_HOST
static inline void fast_zero(void *dst, size_t n)
{
	memset(dst, 0, n);
}

static inline void fast_copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}
#else
static inline void fast_zero(void *dst, size_t n)
{
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(q) : "a"(0) : "memory");
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(r) : "a"(0) : "memory");
}

static inline void fast_copy(void *dst, const void *src, size_t n)
{
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(r) : : "memory");
}
#endif

#endif
