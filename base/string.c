/*
 * string.c - the freestanding string functions of include/lib.h, for the
 * kernel and the EFI applications (the host uses its libc instead).
 *
 * The compiler may emit calls to memset/memcpy/memmove/memcmp itself (for
 * struct copies and zeroing), so these must exist. In the EFI applications
 * memset and memcpy come from gnu-efi's libefi (its init.o, which also
 * holds InitializeLib, so defining them here would clash); the rest are
 * these. GCC can also recognise
 * a byte loop as "a memcpy" and replace it with a call to memcpy - inside
 * memcpy that is infinite recursion - so loop-pattern recognition is off
 * for this file's functions (NO_LOOP_CALLS).
 */
#include "lib.h"
#include "types.h"

#define NO_LOOP_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* A word that may alias any other type, for the 8-byte copy loops. */
typedef uint64_t __attribute__((may_alias)) word_t;
#define WORD_SIZE sizeof(word_t)

#ifndef CARTO_EFI
NO_LOOP_CALLS
void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;

	while (n && !IS_ALIGNED((uintptr_t)d, WORD_SIZE)) {
		*d++ = (unsigned char)c;
		n--;
	}
	for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE)
		*(word_t *)d = pattern;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

#endif

/* copy_forward - copy n bytes low address first; 8 bytes at a time when
 * both pointers share their alignment. Safe when dst < src even if the
 * ranges overlap. */
NO_LOOP_CALLS
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	if (((uintptr_t)d & (WORD_SIZE - 1)) == ((uintptr_t)s & (WORD_SIZE - 1))) {
		while (n && !IS_ALIGNED((uintptr_t)d, WORD_SIZE)) {
			*d++ = *s++;
			n--;
		}
		for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE, s += WORD_SIZE)
			*(word_t *)d = *(const word_t *)s;
	}
	while (n--)
		*d++ = *s++;
}

/* copy_backward - copy n bytes high address first; safe when dst > src. */
NO_LOOP_CALLS
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (((uintptr_t)d & (WORD_SIZE - 1)) == ((uintptr_t)s & (WORD_SIZE - 1))) {
		while (n && !IS_ALIGNED((uintptr_t)d, WORD_SIZE)) {
			*--d = *--s;
			n--;
		}
		for (; n >= WORD_SIZE; n -= WORD_SIZE) {
			d -= WORD_SIZE;
			s -= WORD_SIZE;
			*(word_t *)d = *(const word_t *)s;
		}
	}
	while (n--)
		*--d = *--s;
}

#ifndef CARTO_EFI
void *memcpy(void *dst, const void *src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}
#endif

void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst <= (uintptr_t)src)
		copy_forward(dst, src, n);
	else
		copy_backward(dst, src, n);
	return dst;
}

NO_LOOP_CALLS
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

NO_LOOP_CALLS
size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
		if (!*x)
			return 0;
	}
	return 0;
}
