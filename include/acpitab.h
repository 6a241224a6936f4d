/*
 * acpitab.h - the ACPI table parser: RSDP -> XSDT (or RSDT) -> FADT (with
 * its FACS and DSDT), MADT, HPET, MCFG, and the \_S5 object in the DSDT.
 *
 * The tables come from firmware and are read like any other bad input.
 * The parser never touches memory itself: it asks a caller-supplied reader
 * for "len bytes at physical address pa, or fail" (struct acpi_reader),
 * so the same code runs in the kernel (tables mapped by kernel/acpi.c),
 * on the host (tests/host/test_acpitab.c serves dumped tables) and under
 * the fuzzer (tools/fuzz_acpi.c). Before any pointer a table holds is
 * followed it is checked against the memory map:
 *   - acceptable: RAM of every kind (conventional, loader, boot services),
 *     ACPI reclaim, ACPI NVS, reserved, runtime code and data, and types
 *     the map does not know (kept as reserved by memmap_from_efi);
 *   - refused: MMIO, MMIO port space, unusable, persistent and unaccepted
 *     memory (ACPI_E_MEMTYPE); a hole between map entries (ACPI_E_HOLE);
 *     anything past the map's last entry (ACPI_E_BEYOND).
 * Then each table: a length between its header and ACPI_TABLE_MAX and
 * readable in full, its signature, a checksum of zero, and no overlap with
 * a table already accepted. Each refusal is one message naming the table,
 * its address and the problem, e.g.
 *   HPET at 7fb77000 refused: checksum: bytes sum to 0x5a, not 0
 * and the parser goes on with the next table. Nothing here allocates or
 * keeps state between calls; everything found is copied into struct
 * acpi_info, which holds no pointer into the tables.
 *
 * Freestanding (kernel, host tests, fuzzer): include/ only.
 */
#ifndef CARTO_ACPITAB_H
#define CARTO_ACPITAB_H

#include "memmap.h"
#include "types.h"

#define ACPI_TABLE_MAX      (1u << 20)   /* larger lengths are taken as corrupt */
#define ACPI_MAX_TABLES     128          /* root-table entries read */
#define ACPI_MAX_RECORDS    (ACPI_MAX_TABLES + 4)   /* + RSDP, root, FACS, DSDT */
#define ACPI_MAX_IOAPICS    16
#define ACPI_MAX_OVERRIDES  24
#define ACPI_MAX_MCFG       8
#define ACPI_SDT_HEADER_LEN 36
#define ACPI_WHY_MAX        96           /* room for one reason, NUL included */

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

/* A generic address structure (ACPI 6.5, 5.2.3.2), unpacked. */
struct acpi_gas {
	uint8_t space;                /* enum acpi_space */
	uint8_t bit_width, bit_offset;
	uint8_t access_size;          /* 0 undefined, 1 byte .. 4 qword */
	uint64_t addr;
};

enum acpi_space {
	ACPI_SPACE_MEMORY = 0,
	ACPI_SPACE_IO = 1,
	ACPI_SPACE_PCI_CONFIG = 2,
};

/* Why a table (or the reset register, or \_S5) was refused. */
enum acpi_err {
	ACPI_OK = 0,
	ACPI_E_ADDRESS,      /* address 0, or the range wraps past 2^64 */
	ACPI_E_HOLE,         /* a hole between memory-map entries */
	ACPI_E_BEYOND,       /* past the memory map's last entry */
	ACPI_E_MEMTYPE,      /* MMIO, unusable, persistent or unaccepted memory */
	ACPI_E_UNREADABLE,   /* the reader could not give the header */
	ACPI_E_LENGTH,       /* length below the header, above the limit, or past what is readable */
	ACPI_E_SIGNATURE,
	ACPI_E_CHECKSUM,
	ACPI_E_OVERLAP,      /* overlaps a table already accepted */
	ACPI_E_CONTENT,      /* a field the table needs is missing or inconsistent */
	ACPI_E_AML,          /* \_S5 missing, cut short or not integers */
	ACPI_E_UNSUPPORTED,  /* present but not usable by Carto (e.g. PCI config space) */
};

/* acpi_err_name - a short name for @e ("checksum", "overlap", ...). */
const char *acpi_err_name(enum acpi_err e);

/* Where a table's address came from. */
enum acpi_source {
	ACPI_FROM_HANDOFF,   /* the RSDP: from the firmware */
	ACPI_FROM_RSDP,      /* the root table */
	ACPI_FROM_ROOT,      /* an entry of the root table */
	ACPI_FROM_FADT,      /* FACS, DSDT */
};

/* One table the parser looked at, accepted or not. */
struct acpi_table_rec {
	char sig[5];                  /* as expected or found; "" if unreadable */
	uint8_t source;               /* enum acpi_source */
	uint8_t err;                  /* enum acpi_err; ACPI_OK: accepted */
	uint32_t len;                 /* 0 if not known */
	paddr_t pa;
};

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
	bool have_madt, have_hpet, have_mcfg, have_fadt;
	uint8_t rsdp_revision;
	char oem_id[7];
	paddr_t rsdp_addr, root_addr;
	bool root_is_xsdt;
	unsigned tables, bad_tables;  /* root-table entries read; refused tables */

	paddr_t lapic_addr;           /* MADT, after any address override */
	bool lapic_overridden;
	uint32_t madt_flags;          /* bit 0: PC-AT dual 8259s present */
	unsigned cpus;                /* enabled or online-capable processors */
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	unsigned ioapic_count;
	struct acpi_override override[ACPI_MAX_OVERRIDES];
	unsigned override_count;

	/* FADT (ACPI 6.5, 5.2.9); X_ fields win over 32-bit ones when non-zero. */
	uint8_t fadt_revision;
	uint32_t fadt_flags;
	paddr_t facs_addr;            /* 0: none */
	bool facs_ok;                 /* signature and length checked */
	uint32_t facs_len, facs_hw_signature;
	paddr_t dsdt_addr;            /* 0: none */
	bool dsdt_ok;
	uint32_t smi_cmd;             /* port for ACPI_ENABLE; 0: ACPI always on */
	uint8_t acpi_enable;
	struct acpi_gas pm1a_cnt, pm1b_cnt;   /* addr 0: absent */

	/* The reset register: usable (reset_ok) or why not (reset_why). */
	bool reset_ok;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	char reset_why[ACPI_WHY_MAX];

	/* Power-off through S5: the \_S5 values found and PM1a control usable
	 * (s5_ok), or why not (s5_why). */
	bool s5_ok;
	uint8_t slp_typa, slp_typb;
	char s5_why[ACPI_WHY_MAX];

	paddr_t hpet_addr;
	uint8_t hpet_number;
	uint16_t hpet_min_tick;

	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
	unsigned mcfg_count;

	/* Every table looked at, in the order read: RSDP, root, its entries,
	 * FACS, DSDT. The accepted ones (err == ACPI_OK) are the memory the
	 * tables live in. */
	struct acpi_table_rec rec[ACPI_MAX_RECORDS];
	unsigned rec_count;
};

/*
 * How the parser reaches memory.
 * map:   @len bytes at physical @pa readable at the returned pointer, or
 *        NULL with the reason in @why (@size bytes). Called only for
 *        ranges that passed the memory-map check; @len <= ACPI_TABLE_MAX.
 * unmap: give back what map returned (same @pa and @len). At most two
 *        ranges are mapped at once.
 * note:  one message without a trailing newline (a refusal or a warning);
 *        may be NULL.
 * memmap: the clean memory map (include/memmap.h) every address is checked
 *        against; NULL checks nothing (tests of the table checks alone).
 */
struct acpi_reader {
	const void *(*map)(void *ctx, paddr_t pa, uint32_t len, char *why, size_t size);
	void (*unmap)(void *ctx, const void *p, paddr_t pa, uint32_t len);
	void (*note)(void *ctx, const char *msg);
	const struct memmap *memmap;
	void *ctx;
};

/*
 * acpi_parse - read the tables from the RSDP at @rsdp (0: none) through
 * @r into @out (zeroed first). Returns true if the RSDP and the root table
 * were accepted (out->found); the tables after a refused one are still
 * read. Never fails otherwise: every problem is a message through
 * r->note, a refused record in out->rec, and out->reset_why/s5_why say
 * why a method is not offered.
 */
bool acpi_parse(const struct acpi_reader *r, paddr_t rsdp, struct acpi_info *out);

/*
 * acpi_find_s5 - the \_S5 package in AML @aml[0..@len) (a DSDT's body):
 * a NameOp with "_S5_" (after any root or parent prefixes), a PackageOp,
 * a PkgLength inside @len, an element count and integer elements (ZeroOp,
 * OneOp, OnesOp, Byte/Word/DWord/QWordPrefix). Sets *@typa, *@typb from
 * the first two elements (one element: its low two bytes) and returns
 * ACPI_OK; ACPI_E_AML with the reason in @why (@size bytes) otherwise. A
 * declared count larger than the elements written is valid AML (the rest
 * are uninitialized); only the elements read must be inside the package.
 */
enum acpi_err acpi_find_s5(const uint8_t *aml, uint32_t len, uint8_t *typa, uint8_t *typb,
			   char *why, size_t size);

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

/*
 * acpi_describe_methods - one line (no newline) into @buf of @size bytes
 * saying what @ai offers for reset and power-off, e.g.
 *   reset register io 0xcf9 value 0x06; S5 SLP_TYP a=5 b=5
 * or why not ("no reset register: the FADT's RESET_REG_SUP flag is clear").
 */
void acpi_describe_methods(const struct acpi_info *ai, char *buf, size_t size);

#endif
