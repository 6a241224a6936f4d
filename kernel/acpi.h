/*
 * acpi.h - the few ACPI tables Carto reads: RSDP -> XSDT (or RSDT) ->
 * MADT (local APIC, I/O APICs, interrupt overrides), HPET and MCFG.
 *
 * acpi_init copies what it needs out of the tables into a struct
 * acpi_info and keeps no pointer into them, so the memory they live in
 * (ACPI reclaim, later reusable) can go once it has run. Tables in RAM are
 * read through the direct map; tables elsewhere (ACPI NVS, reserved) are
 * mapped read-only for as long as they are read (mmio_map_firmware).
 *
 * Every table is checked before use: signature, a length between the
 * header size and ACPI_TABLE_MAX, and a checksum of zero. A bad table is
 * refused with a message naming it and the problem, e.g.
 *   acpi: HPET at 7fb77000 refused: checksum: bytes sum to 0x5a, not 0
 * and the tables after it are still read.
 */
#ifndef CARTO_ACPI_H
#define CARTO_ACPI_H

#include "handoff.h"
#include "types.h"

#define ACPI_TABLE_MAX      (1u << 20)   /* larger lengths are taken as corrupt */
#define ACPI_MAX_TABLES     128          /* root-table entries read */
#define ACPI_MAX_IOAPICS    16
#define ACPI_MAX_OVERRIDES  24
#define ACPI_MAX_MCFG       8
#define ACPI_SDT_HEADER_LEN 36

/* The common header of every table except the RSDP (ACPI 6.5, 5.2.6). */
struct acpi_sdt {
	char signature[4];
	uint32_t length;              /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;             /* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt) == ACPI_SDT_HEADER_LEN, "SDT header");

/* The root system description pointer (ACPI 6.5, 5.2.5.3). */
struct acpi_rsdp {
	char signature[8];            /* "RSD PTR " */
	uint8_t checksum;             /* first 20 bytes sum to 0 */
	char oem_id[6];
	uint8_t revision;             /* 0: ACPI 1.0 (RSDT only); 2: 2.0+ */
	uint32_t rsdt;
	uint32_t length;              /* 2.0+: of this structure */
	uint64_t xsdt;
	uint8_t ext_checksum;         /* 2.0+: all @length bytes sum to 0 */
	uint8_t reserved[3];
} __attribute__((packed));
#define ACPI_RSDP_V1_LEN 20
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

struct acpi_ioapic {
	uint8_t id;
	paddr_t addr;
	uint32_t gsi_base;
};

/* An interrupt source override: ISA IRQ @source is GSI @gsi. */
struct acpi_override {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;               /* MPS INTI polarity and trigger mode */
};

/* One PCIe ECAM range: config space of @segment buses start..end. */
struct acpi_mcfg {
	paddr_t base;                 /* address of bus 0 of the segment */
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_info {
	bool found;                   /* a valid RSDP and root table */
	bool have_madt, have_hpet, have_mcfg;
	uint8_t rsdp_revision;
	char oem_id[7];
	unsigned tables, bad_tables;  /* root-table entries; refused tables */

	paddr_t lapic_addr;           /* MADT, after any address override */
	bool lapic_overridden;
	uint32_t madt_flags;          /* bit 0: PC-AT dual 8259s present */
	unsigned cpus;                /* enabled or online-capable processors */
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	unsigned ioapic_count;
	struct acpi_override override[ACPI_MAX_OVERRIDES];
	unsigned override_count;

	paddr_t facs_addr;            /* from the FADT; 0: none */
	bool facs_ok;                 /* signature and length checked */
	bool facs_mapped;             /* read through a firmware mapping (not RAM) */

	paddr_t hpet_addr;
	uint8_t hpet_number;
	uint16_t hpet_min_tick;

	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
	unsigned mcfg_count;

	/* Every table read and found valid (root table, listed tables, FACS):
	 * where it is, so self-tests can check it stayed out of the allocator. */
	struct range read[ACPI_MAX_TABLES + 2];
	unsigned read_count;
};

/*
 * acpi_init - read the tables from @h->rsdp (physical; 0: none) into the
 * info acpi_get() returns, printing one summary line and a line per
 * refused table. Needs mmio_init. Safe to call again (reads afresh).
 */
void acpi_init(const struct handoff *h);

/*
 * acpi_ram_ranges - where the tables acpi_init will read lie in RAM, for
 * frames_init to reserve before anything is allocated. Firmware may keep
 * its tables in memory the allocator hands out: U-Boot's UEFI puts only
 * the RSDP in ACPI reclaim and the RSDT, FADT, MADT, FACS, DSDT, ... in
 * boot-services code, which Carto gives back at once. Walks RSDP -> root
 * table -> each table, and the FADT's FACS and DSDT, through the direct
 * map only (it runs before the allocator and mmio); tables outside RAM are
 * not the allocator's and are skipped, as is anything it cannot read
 * (acpi_init reports those). Writes page-aligned, merged ranges to
 * @out[0..@max) and returns how many; ranges beyond @max are counted in
 * *@dropped.
 */
size_t acpi_ram_ranges(const struct handoff *h, struct range *out, size_t max,
		       size_t *dropped);

/* acpi_get - what acpi_init found (all zero before it ran). */
const struct acpi_info *acpi_get(void);

/*
 * acpi_table_valid - check a table in memory: @avail bytes at @t are
 * readable. Checks the signature (if @sig is non-NULL, 4 characters), that
 * the length is at least the header, at most ACPI_TABLE_MAX and at most
 * @avail, and that the bytes sum to 0. Returns true, or false with the
 * problem described in @why (e.g. "checksum: bytes sum to 0x5a, not 0").
 */
bool acpi_table_valid(const void *t, uint64_t avail, const char *sig, char *why, size_t size);

/*
 * acpi_rsdp_valid - check an RSDP: @avail readable bytes. The signature and
 * the 20-byte checksum; for revision >= 2 also the length (36 .. @avail)
 * and the extended checksum. Returns true or false with @why as above.
 */
bool acpi_rsdp_valid(const void *rsdp, uint64_t avail, char *why, size_t size);

#endif
