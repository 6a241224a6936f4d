/*
 * fmt.h - printf-style formatting, one implementation (base/fmt.c) for the
 * kernel, the loader, the EFI dump tool and the host tests.
 *
 * kvformat parses a format and hands the output in pieces to a callback;
 * the rest are built on it: ksnprintf into a buffer here, kprintf into the
 * kernel console (kernel/console.c), tb_printf into the EFI applications'
 * text buffers (efi/common/textbuf.c). Nothing here allocates, calls the
 * firmware or keeps state, so it runs before and after ExitBootServices.
 *
 * The subset, the same for every caller:
 * Conversions: %d %i %u %x %X %p %s %c %%. Length modifiers: hh h l ll z
 * (j and t as z). Flags: '-' left-align, '0' zero pad (integers only;
 * strings and characters are padded with spaces), '#' 0x prefix for
 * %x/%X, ' ' and '+' sign for %d/%i. Width and precision, also as '*'.
 * Precision limits %s and sets the minimum digits of integers. %p prints
 * 0x and 16 hex digits. %s of NULL prints "(null)". No floating point. An
 * unknown conversion is copied to the output as written (from the '%' to
 * the conversion character), so a bad format shows up in the text; a '%'
 * spec cut short by the end of the format is copied up to that end.
 */
#ifndef CARTO_FMT_H
#define CARTO_FMT_H

#include <stdarg.h>

#include "types.h"

/* kfmt_emit_fn - receives @n bytes of output at @s (not NUL-terminated). */
typedef void (*kfmt_emit_fn)(void *ctx, const char *s, size_t n);

/*
 * kvformat - format @fmt with @ap, writing the output in pieces to
 * @emit(@ctx, piece, length), in order. Returns the total length written
 * (clamped to INT32_MAX). Never fails: what it cannot format it copies.
 */
int kvformat(kfmt_emit_fn emit, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * kvsnprintf/ksnprintf - format into @buf (at most @size bytes including
 * the terminating NUL; @buf is always terminated when @size > 0). Returns
 * the length the full output has, so a result >= @size means it was cut.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * kfmt_size - @bytes in human units with one decimal ("12.5 MiB", the
 * largest binary unit that keeps the number >= 1) into @buf of @size
 * bytes (cut and terminated like ksnprintf); returns @buf.
 */
const char *kfmt_size(uint64_t bytes, char *buf, size_t size);

#endif
