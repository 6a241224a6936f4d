/*
 * acpimem.h - a machine's ACPI table memory on the host: the tables at
 * their physical addresses and the memory map, for the parser
 * (include/acpitab.h) to read in the host tests and the fuzzer.
 *
 * Two forms of the same content:
 *   text   (tests/data/acpi/NAME.txt, scripts/acpi-dump.py; README there):
 *            rsdp ADDR
 *            mem START END TYPE ATTR      hex; TYPE is the EFI memory type
 *            data ADDR LENGTH NAME        hex ADDR, decimal LENGTH, then
 *            HEX...                       the bytes, any number a line
 *          '#' starts a comment line.
 *   binary (the fuzzer's inputs, tests/fuzz-corpus-acpi/), little endian:
 *            u64 rsdp; u8 n; n x { u64 start; u64 end; u32 type }
 *            then { u64 addr; u16 len; len bytes } to the end.
 * Data blocks that touch or overlap are merged into one readable run
 * (later bytes win), so a table may span blocks as it spans memory. The
 * memory map is kept only as far as it is clean (sorted, page-aligned,
 * not overlapping, like memmap_from_efi's output): the parser is never
 * given anything else.
 */
#ifndef CARTO_ACPIMEM_H
#define CARTO_ACPIMEM_H

#include <stddef.h>
#include <stdint.h>

#include "acpitab.h"
#include "memmap.h"

#define ACPIMEM_MAX_RUNS  64
#define ACPIMEM_MAX_MEM   256

struct acpimem_run {
	paddr_t pa;
	size_t len;
	uint8_t *bytes;               /* malloc'd */
};

struct acpimem {
	paddr_t rsdp;
	struct mem_entry mem[ACPIMEM_MAX_MEM];
	struct memmap map;            /* over mem[] */
	struct acpimem_run run[ACPIMEM_MAX_RUNS];
	unsigned runs;
	unsigned mapped, max_mapped;  /* live acpi_reader maps, and the most at once */
	unsigned maps, unmaps;        /* calls, to check they pair */
};

/* acpimem_from_text - parse the text form (@text, @len bytes). 0, or -1
 * with the problem and its line in @why (@size bytes). */
int acpimem_from_text(struct acpimem *m, const char *text, size_t len, char *why, size_t size);

/* acpimem_from_binary - parse the binary form; never fails (what does not
 * fit is dropped), so any fuzzer input is a machine. */
void acpimem_from_binary(struct acpimem *m, const uint8_t *data, size_t len);

/* acpimem_to_binary - the binary form of @m into @out (@cap bytes);
 * returns the length, 0 if it does not fit or a block is over 65535 bytes. */
size_t acpimem_to_binary(const struct acpimem *m, uint8_t *out, size_t cap);

/* acpimem_free - free the runs (the struct itself is the caller's). */
void acpimem_free(struct acpimem *m);

/* acpimem_bytes - @len bytes at @pa inside one run, writable (tests break
 * tables here), or NULL. */
uint8_t *acpimem_bytes(struct acpimem *m, paddr_t pa, size_t len);

/* acpimem_fix_checksum - set the byte at @pa + @at so the @len bytes at
 * @pa sum to 0. Returns 0, or -1 if they are not in one run. */
int acpimem_fix_checksum(struct acpimem *m, paddr_t pa, size_t len, size_t at);

/*
 * acpimem_reader - an acpi_reader over @m: map gives a malloc'd copy of
 * exactly the bytes asked for (so AddressSanitizer catches any read past
 * them) and fails outside a run; unmap frees it and counts. @note and
 * @ctx are the reader's message callback.
 */
struct acpi_reader acpimem_reader(struct acpimem *m, void (*note)(void *, const char *));

/*
 * acpimem_exercise - what the fuzzer runs on each input: @data in the
 * binary form through acpi_parse, every message formatted, the boot
 * report's line written, then the invariants checked: maps and unmaps
 * pair (at most two live), accepted tables do not overlap and are at least
 * a header long, the reasons are terminated strings, a method offered has
 * an address and SLP_TYP values that fit. Returns 0, or -1 with the broken
 * invariant in @why (@size bytes).
 */
int acpimem_exercise(const uint8_t *data, size_t len, char *why, size_t size);

#endif
