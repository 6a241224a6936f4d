/*
 * fuzz_mapparse.c - libFuzzer target for the map parsers, memmap_from_efi
 * as the analyzer drives it, the planner and every output.
 *
 * Built and run by scripts/fuzz.sh (clang -fsanitize=fuzzer,address,
 * undefined). Any broken invariant (tools/exercise.c) aborts, so libFuzzer
 * keeps the input as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	char why[200];

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	if (mapfile_exercise(data, size, sink, why) != 0) {
		fprintf(stderr, "fuzz_mapparse: %s\n", why);
		abort();
	}
	return 0;
}
