/*
 * acpi.h - the kernel's side of the ACPI tables: it reaches the table
 * memory, runs the parser (include/acpitab.h) and keeps what it found, and
 * offers the ACPI ways to reset and power off.
 *
 * The parser is the one walker of the tables; this file only gives it a
 * reader. All kernel access to table memory goes through one pair of
 * functions in acpi.c, acpi_map_table / acpi_unmap_table: tables in RAM are
 * read through the direct map, tables elsewhere (ACPI NVS, reserved) are
 * mapped read-only for as long as they are read (mmio_map_firmware). A
 * boot mode without a direct map changes only that pair.
 *
 * acpi_init copies what it needs into a struct acpi_info and keeps no
 * pointer into the tables, so the memory they live in (ACPI reclaim, later
 * reusable) can go once it has run. Every table is checked before use
 * (acpitab.h); a bad one is refused with a message naming it and the
 * problem, e.g.
 *   acpi: HPET at 7fb77000 refused: checksum: bytes sum to 0x5a, not 0
 * and the tables after it are still read.
 */
#ifndef CARTO_ACPI_H
#define CARTO_ACPI_H

#include "acpitab.h"
#include "handoff.h"
#include "types.h"

/*
 * acpi_init - read the tables from @h->rsdp (physical; 0: none) into the
 * info acpi_get() returns, printing a summary (RSDP, tables, FACS, the
 * reset and power-off methods offered) and a line per refused table.
 * Needs mmio_init. Safe to call again (reads afresh).
 */
void acpi_init(const struct handoff *h);

/*
 * acpi_ram_ranges - where the tables acpi_init will read lie in RAM, for
 * frames_init to reserve before anything is allocated. Firmware may keep
 * its tables in memory the allocator hands out: U-Boot's UEFI puts only
 * the RSDP in ACPI reclaim and the RSDT, FADT, MADT, FACS, DSDT, ... in
 * boot-services code, which Carto gives back at once. Runs the same parser
 * as acpi_init, silently, with a reader limited to the direct map (it runs
 * before the allocator and mmio); tables outside RAM are not the
 * allocator's and are skipped, as is anything refused (acpi_init reports
 * those). Writes page-aligned, merged ranges to @out[0..@max) and returns
 * how many; ranges beyond @max are counted in *@dropped.
 */
size_t acpi_ram_ranges(const struct handoff *h, struct range *out, size_t max,
		       size_t *dropped);

/* acpi_get - what acpi_init found (all zero before it ran). */
const struct acpi_info *acpi_get(void);

/*
 * acpi_can_reset - the FADT's reset register is present and usable: the
 * RESET_REG_SUP flag set, an 8-bit register in I/O or memory space. If
 * not, acpi_get()->reset_why says why (also in the boot report).
 */
bool acpi_can_reset(void);

/*
 * acpi_reset - write RESET_VALUE to the reset register (interrupts off).
 * Does not return if the machine resets; returns, after a message and
 * about 100 ms of waiting, if nothing happened or acpi_can_reset() is
 * false, so the caller can try the next method.
 */
void acpi_reset(void);

/*
 * acpi_can_poweroff - \_S5 was found in the DSDT with SLP_TYP values that
 * fit, and the PM1a (and PM1b if present) control block is an I/O or
 * memory register of 16 bits. If not, acpi_get()->s5_why says why.
 */
bool acpi_can_poweroff(void);

/*
 * acpi_poweroff - enter S5: turn ACPI mode on through SMI_CMD if SCI_EN is
 * clear, then write SLP_TYPa (SLP_TYPb) to PM1a (PM1b) control and set
 * SLP_EN, interrupts off. \_PTS is not run (Carto has no AML
 * interpreter). Returns, after a message and about 100 ms of waiting, if
 * nothing happened or acpi_can_poweroff() is false.
 */
void acpi_poweroff(void);

#endif
