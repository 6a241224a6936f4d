/*
 * klib.h - the kernel's small string and formatting library.
 *
 * The string functions are declared in include/lib.h (base/string.c, shared
 * with the EFI applications); this header adds what only the kernel needs:
 * snprintf-style formatting into a buffer. The command line's grammar lives
 * in include/cmdline.h (base/cmdline.c).
 */
#ifndef CARTO_KLIB_H
#define CARTO_KLIB_H

#include <stdarg.h>

#include "cmdline.h"
#include "lib.h"
#include "types.h"

/*
 * kvsnprintf/ksnprintf - format into @buf (at most @size bytes including
 * the terminating NUL; @buf is always terminated when @size > 0). Returns
 * the length the full output has, so a result >= @size means it was cut.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%. Length modifiers: hh h l ll z.
 * Flags: '-' left-align, '0' zero pad, '#' 0x prefix for %x/%X, ' ' and
 * '+' sign for %d/%i. Width and precision, also as '*'. Precision limits
 * %s and sets the minimum digits of integers. %p prints 0x and 16 hex
 * digits. %s of NULL prints "(null)". No floating point. An unknown
 * conversion is copied to the output as written.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * kvformat - the formatter behind kvsnprintf and kprintf: writes the
 * output in pieces to @emit(@ctx, piece, length). Returns the total length.
 */
typedef void (*kfmt_emit_fn)(void *ctx, const char *s, size_t n);
int kvformat(kfmt_emit_fn emit, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * kfmt_size - @bytes in human units with one decimal ("12.5 MiB", the
 * largest binary unit that keeps the number >= 1) into @buf; returns @buf.
 */
const char *kfmt_size(uint64_t bytes, char *buf, size_t size);

#endif
