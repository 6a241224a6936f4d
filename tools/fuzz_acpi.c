/*
 * fuzz_acpi.c - libFuzzer target for the ACPI table parser (base/acpitab.c).
 *
 * Each input is a machine in acpimem's binary form (tools/acpimem.h): an
 * RSDP address, a memory map and blocks of bytes at physical addresses.
 * acpimem_exercise parses it and checks the invariants; a broken one
 * aborts, so libFuzzer keeps the input as a crash. Built and run by
 * scripts/fuzz.sh --acpi (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "acpimem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];

	if (acpimem_exercise(data, size, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_acpi: %s\n", why);
		abort();
	}
	return 0;
}
