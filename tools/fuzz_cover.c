/*
 * fuzz_cover.c - which coverage edges each input reaches, so scripts/fuzz.sh
 * --merge can keep a small set of inputs that covers everything the fuzzer
 * found (libFuzzer's own merge only records each file's new edges).
 *
 *   fuzz_cover FILE...   prints "FILE edge edge ..." per file
 *
 * Built by scripts/fuzz.sh: the analyzer's code with clang
 * -fsanitize-coverage=trace-pc-guard, this file without it. Each input runs
 * through mapfile_exercise, as in the fuzz target.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "exercise.h"

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard);

static uint32_t guards;
static unsigned char *hit;      /* hit[g]: edge g reached by this input */

/* Number the edges 1..n; called once per instrumented module. */
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
	if (start == stop || *start)
		return;
	uint32_t first = guards;
	for (uint32_t *g = start; g < stop; g++)
		*g = ++guards;
	unsigned char *n = realloc(hit, guards + 1);
	if (!n)
		abort();
	memset(n + first, 0, guards + 1 - first);
	hit = n;
}

void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
	hit[*guard] = 1;
}

int main(int argc, char **argv)
{
	FILE *sink = fopen("/dev/null", "w");
	char why[200];

	if (!sink || !hit)
		return 1;
	for (int i = 1; i < argc; i++) {
		size_t len = 0;
		char *data = read_file(argv[i], &len);
		if (!data)
			continue;
		memset(hit, 0, guards + 1);
		mapfile_exercise(data, len, sink, why);
		free(data);
		printf("%s", argv[i]);
		for (uint32_t g = 1; g <= guards; g++)
			if (hit[g])
				printf(" %u", g);
		printf("\n");
	}
	fclose(sink);
	return 0;
}
