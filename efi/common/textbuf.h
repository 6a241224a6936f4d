/*
 * textbuf.h - an ASCII text buffer with a small printf, for the EFI apps.
 *
 * The caller supplies the storage; nothing here allocates or calls the
 * firmware, so the same report text can go to the screen and to a file.
 * Text that does not fit is dropped and remembered in tb->truncated; the
 * buffer always stays NUL-terminated.
 */
#ifndef CARTO_TEXTBUF_H
#define CARTO_TEXTBUF_H

#include <stdarg.h>

#include "types.h"

struct textbuf {
	char *data;        /* caller's storage, cap bytes */
	size_t cap;
	size_t len;        /* bytes used, not counting the terminating NUL */
	bool truncated;    /* some text did not fit */
};

/* Start an empty buffer over @storage of @cap bytes (cap >= 1). */
void tb_init(struct textbuf *tb, char *storage, size_t cap);

/*
 * tb_printf - append formatted text: the format subset of include/fmt.h
 * (kvformat, shared with the kernel), e.g. %s %c %d %u %x with l/ll/z for
 * 64-bit values (%lu, %llx, %zu), flags '-' and '0', a width; %s of NULL
 * prints "(null)". An unknown conversion is copied as is, so a bad format
 * shows up in the text. What does not fit is dropped as tb_putn drops it.
 */
void tb_printf(struct textbuf *tb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tb_vprintf(struct textbuf *tb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Append @n bytes of @s / one character. */
void tb_putn(struct textbuf *tb, const char *s, size_t n);
void tb_putc(struct textbuf *tb, char c);

/*
 * fmt_buf - printf into the fixed array @dst of @cap bytes (cap >= 1);
 * always NUL-terminates. Returns the length written (text that did not fit
 * is cut off).
 */
size_t fmt_buf(char *dst, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
