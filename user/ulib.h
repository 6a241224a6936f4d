/*
 * ulib.h - what user programs share: the system calls of sysabi.h as
 * inline functions, and a few helpers. Header-only, no C library.
 */
#ifndef CARTO_ULIB_H
#define CARTO_ULIB_H

#include "sysabi.h"

typedef unsigned long size_t;

static inline long syscall3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sys_write(const void *buf, size_t len) { return syscall3(SYS_WRITE, (long)buf, (long)len, 0); }
static inline long sys_map(void *va, size_t size, unsigned prot) { return syscall3(SYS_MAP, (long)va, (long)size, prot); }
static inline long sys_unmap(void *va, size_t size) { return syscall3(SYS_UNMAP, (long)va, (long)size, 0); }
static inline long sys_yield(void) { return syscall3(SYS_YIELD, 0, 0, 0); }
static inline long sys_getpid(void) { return syscall3(SYS_GETPID, 0, 0, 0); }
static inline long sys_copyin(const void *buf, size_t len) { return syscall3(SYS_COPYIN, (long)buf, (long)len, 0); }
static inline long sys_copyout(void *buf, size_t len, unsigned byte) { return syscall3(SYS_COPYOUT, (long)buf, (long)len, byte); }
static inline long sys_strlen(const char *s, size_t max) { return syscall3(SYS_STRLEN, (long)s, (long)max, 0); }
static inline __attribute__((noreturn)) void sys_exit(long status)
{
	syscall3(SYS_EXIT, status, 0, 0);
	__builtin_unreachable();
}

static inline size_t ustrlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void puts_(const char *s)
{
	sys_write(s, ustrlen(s));
}

/* The decimal digits of v (v >= 0) into buf, NUL-terminated; returns buf. */
static inline char *utoa(unsigned long v, char *buf)
{
	char t[24];
	int n = 0, i = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[i++] = t[--n];
	buf[i] = 0;
	return buf;
}

/* "name value\n" on the console (a result line the tests read). */
static inline void report(const char *name, long v)
{
	char b[24];
	puts_(name);
	puts_(" ");
	if (v < 0) {
		puts_("-");
		v = -v;
	}
	puts_(utoa((unsigned long)v, b));
	puts_("\n");
}

#endif
