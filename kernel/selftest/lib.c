/*
 * lib.c - self-tests of the string functions, ksnprintf and the
 * command-line lookup (klib.h).
 */
#include "klib.h"
#include "selftest.h"

/* fmt_is - format into a buffer and compare with the expected text. */
__attribute__((format(printf, 3, 4)))
static bool fmt_is(int line, const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return selftest_check(strcmp(buf, want) == 0 && n == (int)strlen(want), __FILE__, line,
			      "ksnprintf", "format \"%s\": got \"%s\" (%d), want \"%s\" (%zu)",
			      fmt, buf, n, want, strlen(want));
}
#define FMT_IS(want, ...) fmt_is(__LINE__, want, __VA_ARGS__)

/* Some cases are deliberately what -Wformat warns about. */
#define ODD_FORMATS_BEGIN _Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wformat\"") \
	_Pragma("GCC diagnostic ignored \"-Wformat-overflow\"")
#define ODD_FORMATS_END _Pragma("GCC diagnostic pop")

SELFTEST(fmt_integers)
{
	FMT_IS("0 -5 7", "%d %i %u", 0, -5, 7u);
	FMT_IS("-9223372036854775808", "%ld", (long)INT64_MIN);
	FMT_IS("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	FMT_IS("ffffffffffffffff", "%zx", (size_t)-1);
	FMT_IS("abc ABC 0xff 0", "%x %X %#x %#x", 0xabcu, 0xabcu, 255u, 0u);
	FMT_IS("-1 255 -1", "%hhd %hhu %hd", 255, 255, 65535);
	FMT_IS("+3  3", "%+d % d", 3, 3);
	FMT_IS("007", "%.3d", 7);
	FMT_IS("", "%.0d", 0);
}

SELFTEST(fmt_width_and_padding)
{
	FMT_IS("   42|42   |00042", "%5d|%-5d|%05d", 42, 42, 42);
	ODD_FORMATS_BEGIN
	FMT_IS("-0042|-42  ", "%05d|%-05d", -42, -42);   /* '-' beats '0' */
	ODD_FORMATS_END
	FMT_IS("000000000000dead", "%016lx", 0xdeadul);
	FMT_IS("    1|2     ", "%*d|%-*d", 5, 1, 6, 2);
	FMT_IS("9   |", "%*d|", -4, 9);
	FMT_IS("0x00000000deadbeef", "%p", (void *)0xdeadbeefull);
	FMT_IS("0xffffffff80001000", "%p", (void *)0xffffffff80001000ull);
}

SELFTEST(fmt_strings_and_chars)
{
	ODD_FORMATS_BEGIN
	FMT_IS("hi|   hi|hi   |he|(null)", "%s|%5s|%-5s|%.2s|%s", "hi", "hi", "hi", "hello",
	       (const char *)NULL);
	ODD_FORMATS_END
	FMT_IS("ab%", "%c%c%%", 'a', 'b');
	FMT_IS("  x", "%3c", 'x');
	FMT_IS("abcd", "%.*s", 4, "abcdef");
}

SELFTEST(fmt_unknown_and_truncation)
{
	char buf[8];
	int n;

	/* Conversions outside the documented set are copied as written. */
	ODD_FORMATS_BEGIN
	FMT_IS("%q %o", "%q %o");
	FMT_IS("50%", "50%");
	ODD_FORMATS_END

	n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");
	ST_CHECK(n == 10, "returned %d, want the full length 10", n);
	ST_CHECK(strcmp(buf, "0123456") == 0, "cut output \"%s\"", buf);
	n = ksnprintf(buf, 1, "%d", 12345);
	ST_CHECK(n == 5 && buf[0] == '\0', "size 1: returned %d, buf[0] %#x", n, buf[0]);
	n = ksnprintf(NULL, 0, "%d%s", 42, "abc");
	ST_CHECK(n == 5, "size 0: returned %d, want 5", n);
}

SELFTEST(cmdline_words)
{
	const char *cl = "  selftest\tcrash=pf foo= selftests=1 bar";

	ST_CHECK(cmdline_has(cl, "selftest"), "plain word");
	ST_CHECK(cmdline_has(cl, "crash"), "key of key=value");
	ST_CHECK(cmdline_has(cl, "bar"), "last word");
	ST_CHECK(!cmdline_has(cl, "selftes"), "a prefix is not a word");
	ST_CHECK(!cmdline_has(cl, "crash=p"), "a cut key=value is not a word");
	ST_CHECK(!cmdline_has(cl, ""), "empty word");
	ST_CHECK(!cmdline_has(NULL, "x"), "NULL command line");
	ST_CHECK(!cmdline_has("", "x"), "empty command line");
	ST_CHECK(cmdline_word_len("pf foo") == 2, "word length %zu", cmdline_word_len("pf foo"));
}

SELFTEST(cmdline_values)
{
	const char *cl = "bar crash=pf foo= bar=2 crash=ud";
	const char *v;

	size_t len = 99;

	/* The same base/cmdline.c as tests/host/test_cmdline.c, here checked
	 * as the kernel's freestanding build of it. */
	v = cmdline_value(cl, "crash", &len);
	ST_CHECK(v && len == 2 && strncmp(v, "ud", 2) == 0, "last crash= value: \"%s\" (%zu)",
		 v ? v : "(none)", len);
	ST_CHECK(cmdline_value_is(cl, "crash", "ud"), "crash is ud (the last setting wins)");
	ST_CHECK(!cmdline_value_is(cl, "crash", "u"), "a prefix of the value is not the value");
	v = cmdline_value(cl, "foo", &len);
	ST_CHECK(v && len == 0 && cmdline_word_len(v) == 0, "\"foo=\" has an empty value");
	ST_CHECK(cmdline_value_is(cl, "bar", "2"), "bare \"bar\" skipped for bar=2");
	ST_CHECK(cmdline_value(cl, "baz", NULL) == NULL, "missing key");
	ST_CHECK(cmdline_value("selftest", "selftest", NULL) == NULL, "a flag has no value");
}

SELFTEST(mem_and_string_functions)
{
	char a[32], b[32];

	for (int i = 0; i < 32; i++)
		a[i] = (char)i;
	memmove(a + 3, a, 20);             /* overlapping, forward */
	ST_CHECK(a[3] == 0 && a[22] == 19, "memmove up: a[3] %d a[22] %d", a[3], a[22]);
	for (int i = 0; i < 32; i++)
		a[i] = (char)i;
	memmove(a, a + 5, 20);             /* overlapping, backward */
	ST_CHECK(a[0] == 5 && a[19] == 24, "memmove down: a[0] %d a[19] %d", a[0], a[19]);
	memset(b, 0x5a, sizeof(b));
	memset(b + 1, 0, 17);              /* unaligned start and length */
	ST_CHECK(b[0] == 0x5a && b[1] == 0 && b[17] == 0 && b[18] == 0x5a, "memset edges");
	memcpy(a, "abc", 4);
	ST_CHECK(memcmp(a, "abd", 3) < 0 && memcmp("\xff", "\x01", 1) > 0, "memcmp is unsigned");
	ST_CHECK(strlen("") == 0 && strlen("carto") == 5, "strlen");
	ST_CHECK(strcmp("a", "b") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0, "strcmp");
	ST_CHECK(strncmp("abcx", "abcy", 3) == 0 && strncmp("ab", "abc", 3) < 0, "strncmp");
}

SELFTEST(fmt_sizes)
{
	char b[24];

	ST_CHECK(strcmp(kfmt_size(0, b, sizeof(b)), "0.0 B") == 0, "0: \"%s\"", b);
	ST_CHECK(strcmp(kfmt_size(1023, b, sizeof(b)), "1023.0 B") == 0, "1023: \"%s\"", b);
	ST_CHECK(strcmp(kfmt_size(1536, b, sizeof(b)), "1.5 KiB") == 0, "1536: \"%s\"", b);
	ST_CHECK(strcmp(kfmt_size(3ull << 30, b, sizeof(b)), "3.0 GiB") == 0, "3 GiB: \"%s\"", b);
	ST_CHECK(strcmp(kfmt_size(~0ull, b, sizeof(b)), "15.9 EiB") == 0, "2^64-1: \"%s\"", b);
}
