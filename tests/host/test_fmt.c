/*
 * test_fmt.c - the formatter of include/fmt.h (base/fmt.c, the same code
 * the kernel's kprintf, the loader and the EFI dump tool's tb_printf run):
 * the documented subset, checked against the host's snprintf where C
 * defines the result, the documented answers where it does not (unknown
 * conversions, %s of NULL, a cut spec), buffer cutting, and every format
 * the dump tool uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "tap.h"

/* Some cases are deliberately what -Wformat warns about. */
#define ODD_FORMATS_BEGIN _Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wformat\"") \
	_Pragma("GCC diagnostic ignored \"-Wformat-extra-args\"") \
	_Pragma("GCC diagnostic ignored \"-Wformat-overflow\"")
#define ODD_FORMATS_END _Pragma("GCC diagnostic pop")

/* is - ksnprintf of @fmt gives @want, and returns its length. */
__attribute__((format(printf, 3, 4)))
static void is(int line, const char *want, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tap_check(strcmp(buf, want) == 0 && n == (int)strlen(want), __FILE__, line,
		  "\"%s\" -> \"%s\" (got \"%s\", %d)", fmt, want, buf, n);
}
#define IS(want, ...) is(__LINE__, want, __VA_ARGS__)

/* like_libc - ksnprintf and the host's vsnprintf agree on @fmt. */
__attribute__((format(printf, 2, 3)))
static void like_libc(int line, const char *fmt, ...)
{
	char ours[160], libc[160];
	va_list ap, ap2;
	int n, m;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = kvsnprintf(ours, sizeof(ours), fmt, ap);
	m = vsnprintf(libc, sizeof(libc), fmt, ap2);
	va_end(ap2);
	va_end(ap);
	tap_check(n == m && strcmp(ours, libc) == 0, __FILE__, line,
		  "\"%s\" as libc: \"%s\" (%d), libc \"%s\" (%d)", fmt, ours, n, libc, m);
}
#define LIKE_LIBC(...) like_libc(__LINE__, __VA_ARGS__)

static void test_integers(void)
{
	IS("0 -5 7", "%d %i %u", 0, -5, 7u);
	IS("-9223372036854775808", "%ld", (long)INT64_MIN);
	IS("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	IS("ffffffffffffffff", "%zx", (size_t)-1);
	IS("abc ABC 0xff 0", "%x %X %#x %#x", 0xabcu, 0xabcu, 255u, 0u);
	IS("-1 255 -1", "%hhd %hhu %hd", 255, 255, 65535);
	IS("+3  3 -3", "%+d % d %+d", 3, 3, -3);
	IS("007 ", "%.3d %.0d", 7, 0);
	LIKE_LIBC("%d|%i|%u|%x|%X", -123456, 42, 4000000000u, 0xdeadu, 0xbeefu);
	LIKE_LIBC("%ld|%lu|%lx|%lld|%llx", -1L, 123ul, 0xfffful, -5LL, 0x1234ull);
	LIKE_LIBC("%zu|%zd|%zx", (size_t)77, (ssize_t)-77, (size_t)0xabc);
	LIKE_LIBC("%hhu|%hhx|%hu|%hx", 300, 0x1ff, 70000, 0x12345);
	LIKE_LIBC("%#x|%#X|%#lx|%#x", 1u, 0xabu, 0x10ul, 0u);
	LIKE_LIBC("%+d|% d|%+i|% i", 0, 0, -9, -9);
	LIKE_LIBC("%.5d|%.5x|%8.3d|%-8.3d|", 42, 0xau, -7, 7);
}

static void test_width_and_padding(void)
{
	IS("   42|42   |00042", "%5d|%-5d|%05d", 42, 42, 42);
	ODD_FORMATS_BEGIN
	IS("-0042|-42  ", "%05d|%-05d", -42, -42);   /* '-' beats '0' */
	ODD_FORMATS_END
	IS("000000000000dead", "%016lx", 0xdeadul);
	IS("    1|2     ", "%*d|%-*d", 5, 1, 6, 2);
	IS("9   |", "%*d|", -4, 9);
	IS("0x00000000deadbeef", "%p", (void *)0xdeadbeefull);
	IS("0xffffffff80001000", "%p", (void *)0xffffffff80001000ull);
	LIKE_LIBC("[%5d|%-5d|%05d|%05d|%+05d]", 42, 42, 42, -42, 42);
	LIKE_LIBC("[%08x|%-8x|%#010x|%010lu]", 0xabcu, 0xabcu, 0xabcu, 99ul);
	LIKE_LIBC("[%*d|%-*d|%*d]", 6, 1, 6, 2, -6, 3);
	LIKE_LIBC("[%3d|%1d|%0d]", 12345, 12345, 5);
}

static void test_strings_and_chars(void)
{
	char buf[16];
	int n;

	ODD_FORMATS_BEGIN
	IS("hi|   hi|hi   |he|(null)", "%s|%5s|%-5s|%.2s|%s", "hi", "hi", "hi", "hello",
	   (const char *)NULL);
	/* '0' pads integers only: strings and characters get spaces. */
	IS("   ab|  c", "%05s|%03c", "ab", 'c');
	IS("  (null)|(nu", "%8s|%.3s", (const char *)NULL, (const char *)NULL);
	ODD_FORMATS_END
	IS("ab%", "%c%c%%", 'a', 'b');
	IS("  x|x  ", "%3c|%-3c", 'x', 'x');
	IS("abcd", "%.*s", 4, "abcdef");
	LIKE_LIBC("[%s|%10s|%-10s|%.3s|%-6.2s|%c]", "carto", "carto", "carto", "carto",
		  "carto", '!');
	n = ksnprintf(buf, sizeof(buf), "%s", "");
	TAP_CHECK(n == 0 && buf[0] == '\0', "empty string: %d", n);
}

static void test_unknown_conversions(void)
{
	ODD_FORMATS_BEGIN
	IS("%q %o", "%q %o");
	IS("50%", "50%");
	IS("a%qb%", "a%qb%");                   /* the dump tool's bad format */
	IS("x%-5y|", "x%-5y|", 1);              /* flags and width copied with it */
	IS("%w 7", "%w %d", 7);                  /* consumes no argument */
	IS("%l", "%l");                          /* cut short by the end */
	ODD_FORMATS_END
}

static void test_cutting(void)
{
	char buf[8];
	int n;

	n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");
	TAP_CHECK(n == 10 && strcmp(buf, "0123456") == 0,
		  "cut at 8: returned %d (want 10), \"%s\"", n, buf);
	n = ksnprintf(buf, sizeof(buf), "%5d%5d", 1, 2);
	TAP_CHECK(n == 10 && strcmp(buf, "    1  ") == 0,
		  "cut inside padding: returned %d, \"%s\"", n, buf);
	memset(buf, 'z', sizeof(buf));
	n = ksnprintf(buf, 1, "%d", 12345);
	TAP_CHECK(n == 5 && buf[0] == '\0' && buf[1] == 'z', "size 1: returned %d, buf[0] %#x",
		  n, buf[0]);
	n = ksnprintf(NULL, 0, "%d%s", 42, "abc");
	TAP_CHECK(n == 5, "size 0 and NULL: returned %d, want 5", n);
}

/* A kvformat sink that records the pieces. */
struct pieces {
	char text[128];
	size_t len;
	int calls;
};

static void collect(void *ctx, const char *s, size_t n)
{
	struct pieces *p = ctx;

	memcpy(p->text + p->len, s, n);
	p->len += n;
	p->text[p->len] = '\0';
	p->calls++;
}

__attribute__((format(printf, 2, 3)))
static int format_pieces(struct pieces *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(p, 0, sizeof(*p));
	va_start(ap, fmt);
	n = kvformat(collect, p, fmt, ap);
	va_end(ap);
	return n;
}

static void test_kvformat(void)
{
	struct pieces p;
	char big[64];
	int n;

	n = format_pieces(&p, "a=%d, b=%-4s|%40s.", 5, "xy", "");
	TAP_CHECK(n == 53 && p.len == 53 && strcmp(p.text, "a=5, b=xy  |                                        .") == 0,
		  "kvformat: pieces add up to the text and the count (%d, \"%s\")", n, p.text);
	TAP_CHECK(p.calls > 1, "kvformat: output arrives in pieces (%d calls)", p.calls);
	n = format_pieces(&p, "%s", "");
	TAP_CHECK(n == 0 && p.calls == 0, "kvformat: empty output emits nothing (%d calls)",
		  p.calls);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = format_pieces(&p, "%s%s", big, "!");
	TAP_CHECK(n == 64 && p.text[63] == '!', "kvformat: long strings pass through (%d)", n);
}

/* Every conversion the EFI dump tool (efi/memdump, efi/common) writes. */
static void test_dump_tool_formats(void)
{
	LIKE_LIBC("%5zu %-22s 0x%016lx 0x%016lx %12lu %9s 0x%016lx%s", (size_t)3,
		  "EfiConventionalMemory", 0x100000ul, 0x7fffffffful, 524288ul, "2.0 GiB",
		  0xful, " [overlap]");
	LIKE_LIBC("  %-22s %11zu %12lu %9s", "a type name longer than 22", (size_t)123456,
		  (unsigned long)UINT64_MAX, "16 EiB");
	LIKE_LIBC("firmware: %s revision 0x%08x, UEFI %u.%u", "EDK II", 0x10000u, 2u, 70u);
	LIKE_LIBC("%s(%u) %lu B %lu.%lu %s (%llx) unknown=0x%lx", "Reserved", 0u, 1023ul,
		  12ul, 5ul, "MiB", 0xdeadbeefull, 0x8000000000000000ul);
	ODD_FORMATS_BEGIN
	IS("[(null)]", "[%s]", (const char *)NULL);
	ODD_FORMATS_END
}

static void test_size(void)
{
	static const struct {
		uint64_t bytes;
		const char *want;
	} cases[] = {
		{ 0, "0.0 B" },
		{ 1023, "1023.0 B" },
		{ 1536, "1.5 KiB" },
		{ 512ull << 20, "512.0 MiB" },
		{ UINT64_MAX, "15.9 EiB" },
	};
	char buf[24];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = kfmt_size(cases[i].bytes, buf, sizeof(buf));
		TAP_CHECK(r == buf && strcmp(buf, cases[i].want) == 0, "kfmt_size(%llu) = \"%s\" (got \"%s\")",
			  (unsigned long long)cases[i].bytes, cases[i].want, buf);
	}
}

int main(void)
{
	tap_plan_unknown();
	test_integers();
	test_width_and_padding();
	test_strings_and_chars();
	test_unknown_conversions();
	test_cutting();
	test_kvformat();
	test_dump_tool_formats();
	test_size();
	return tap_done();
}
