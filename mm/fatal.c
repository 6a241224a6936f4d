/*
 * fatal.c - mm_fatal() for host builds (tests, tools, benchmarks, fuzzers).
 *
 * The kernel and the EFI applications define their own (fatal.h lists
 * where); in those builds this file is empty.
 */
#include "fatal.h"

#ifdef CARTO_HOST
#include <stdio.h>
#include <stdlib.h>

void mm_fatal(const char *caller, const char *what, uint64_t value)
{
	fprintf(stderr, "%s: %s (%#llx)\n", caller, what, (unsigned long long)value);
	fflush(stderr);
	abort();
}
#endif
