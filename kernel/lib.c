/*
 * lib.c - the kernel's freestanding string functions and command-line
 * option lookup (klib.h, include/lib.h).
 *
 * The compiler may emit calls to memset/memcpy/memmove/memcmp itself (for
 * struct copies and zeroing), so these must exist. GCC can also recognise
 * a byte loop as "a memcpy" and replace it with a call to memcpy - inside
 * memcpy that is infinite recursion - so loop-pattern recognition is off
 * for this file's functions (NO_LOOP_CALLS).
 */
#include "klib.h"

#define NO_LOOP_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* A word that may alias any other type, for the 8-byte copy loops. */
typedef uint64_t __attribute__((may_alias)) word_t;
#define WORD_SIZE sizeof(word_t)

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

void *memcpy(void *dst, const void *src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

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

/* ---- command line --------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t cmdline_word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && !is_blank(s[n]))
		n++;
	return n;
}

/*
 * find_word - the first word of @cmdline whose key (the part before '=',
 * or the whole word) is exactly @key; NULL if none.
 */
static const char *find_word(const char *cmdline, const char *key)
{
	size_t klen;

	if (!cmdline || !key)
		return NULL;
	klen = strlen(key);
	if (klen == 0)
		return NULL;
	while (*cmdline) {
		size_t wlen;

		while (is_blank(*cmdline))
			cmdline++;
		wlen = cmdline_word_len(cmdline);
		if (wlen >= klen && strncmp(cmdline, key, klen) == 0 &&
		    (wlen == klen || cmdline[klen] == '='))
			return cmdline;
		cmdline += wlen;
	}
	return NULL;
}

bool cmdline_has(const char *cmdline, const char *word)
{
	return find_word(cmdline, word) != NULL;
}

const char *cmdline_value(const char *cmdline, const char *key)
{
	const char *w = find_word(cmdline, key);
	size_t klen;

	while (w) {
		klen = strlen(key);
		if (w[klen] == '=')
			return w + klen + 1;
		/* A bare flag with this name: look for a later key=value. */
		w = find_word(w + klen, key);
	}
	return NULL;
}

bool cmdline_value_is(const char *cmdline, const char *key, const char *value)
{
	const char *v = cmdline_value(cmdline, key);
	size_t n;

	if (!v || !value)
		return false;
	n = strlen(value);
	return cmdline_word_len(v) == n && strncmp(v, value, n) == 0;
}
