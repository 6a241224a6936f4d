/*
 * tap.h - a tiny TAP (Test Anything Protocol, version 13) producer for the
 * host unit tests. Each test program prints a plan, one "ok"/"not ok" line
 * per check, and ends with the project's "N passed, N failed" line.
 *
 *   int main(void) {
 *       tap_plan_unknown();
 *       TAP_CHECK(x == 1, "x is one (got %d)", x);
 *       return tap_done();
 *   }
 */
#ifndef CARTO_TAP_H
#define CARTO_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed_n;

static inline void tap_plan_unknown(void)
{
	printf("TAP version 13\n");
}

static inline int tap_vcheck(int ok, const char *file, int line,
			     const char *fmt, va_list ap)
{
	tap_n++;
	if (!ok)
		tap_failed_n++;
	printf("%s %d - ", ok ? "ok" : "not ok", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!ok)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return ok;
}

static inline int tap_check(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int tap_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_vcheck(ok, file, line, fmt, ap);
	va_end(ap);
	return r;
}

#define TAP_CHECK(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define TAP_DIAG(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

/* Print the plan and the summary; returns the process exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	printf("%d passed, %d failed\n", tap_n - tap_failed_n, tap_failed_n);
	return tap_failed_n ? 1 : 0;
}

#endif
