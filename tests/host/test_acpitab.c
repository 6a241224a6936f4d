/*
 * test_acpitab.c - the ACPI table parser (base/acpitab.c) on the tables
 * dumped from QEMU q35 under OVMF and U-Boot (tests/data/acpi/), and on
 * hand-broken copies of them built here: bad checksums, lengths past the
 * end, tables overlapping, pointers into MMIO, holes and beyond the memory
 * map, a root entry pointing at garbage, a \_S5 cut short, huge element
 * counts. Each must be refused with its own error and a message naming
 * the table, its address and the problem; never a crash (this build runs
 * under AddressSanitizer and UBSan, and the reader hands the parser
 * malloc'd copies of exactly the bytes it asked for). Then the fuzzer's
 * kept corpus, tests/fuzz-corpus-acpi/ (scripts/fuzz.sh --acpi), is
 * replayed through the same checks the fuzz target makes; an empty or
 * missing corpus is a failure. CARTO_FUZZ_CORPUS_ACPI overrides it.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acpimem.h"
#include "fileio.h"
#include "tap.h"
#include "testdata.h"

#define NOTES_MAX 4096

static char notes[NOTES_MAX];

static void collect(void *ctx, const char *msg)
{
	size_t n = strlen(notes);

	snprintf(notes + n, sizeof(notes) - n, "%s\n", msg);
}

/* load - a dump of tests/data/acpi/ into @m; false after a failed check. */
static bool load(struct acpimem *m, const char *name)
{
	char path[700], why[120];
	size_t len;

	testdata_path(path, sizeof(path), name);
	char *text = read_file(path, &len);
	if (!TAP_CHECK(text != NULL, "%s: readable", path))
		return false;
	int r = acpimem_from_text(m, text, len, why, sizeof(why));
	free(text);
	return TAP_CHECK(r == 0, "%s: parsed (%s)", name, r ? why : "ok");
}

/* parse - run the parser over @m; checks the maps and unmaps pair. */
static void parse(struct acpimem *m, struct acpi_info *ai)
{
	struct acpi_reader r = acpimem_reader(m, collect);

	notes[0] = '\0';
	m->maps = m->unmaps = m->mapped = m->max_mapped = 0;
	acpi_parse(&r, m->rsdp, ai);
	if (m->maps != m->unmaps || m->max_mapped > 2)
		TAP_CHECK(false, "reader: %u maps, %u unmaps, %u at once (at most 2)", m->maps,
			  m->unmaps, m->max_mapped);
}

/* The record of the table at @pa (the last one there), or NULL. */
static const struct acpi_table_rec *rec_at(const struct acpi_info *ai, paddr_t pa)
{
	const struct acpi_table_rec *found = NULL;

	for (unsigned i = 0; i < ai->rec_count; i++)
		if (ai->rec[i].pa == pa)
			found = &ai->rec[i];
	return found;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The table's length from its header at @pa in @m. */
static uint32_t length_at(struct acpimem *m, paddr_t pa)
{
	const uint8_t *h = acpimem_bytes(m, pa, 8);

	return h ? get32(h + 4) : 0;
}

/* refix - recompute the checksum of the table at @pa (byte 9). */
static void refix(struct acpimem *m, paddr_t pa)
{
	acpimem_fix_checksum(m, pa, length_at(m, pa), 9);
}

/* ---- the dumps as they are ------------------------------------------------------- */

struct expect {
	const char *file, *root, *names, *methods;
	paddr_t rsdp, facs, hpet, mcfg, ioapic;
	uint8_t rsdp_rev;
	unsigned tables;
};

static void names_of(const struct acpi_info *ai, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < ai->rec_count; i++)
		if (ai->rec[i].source == ACPI_FROM_ROOT && ai->rec[i].err == ACPI_OK)
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? " " : "",
				 ai->rec[i].sig);
}

static void test_dump(const struct expect *e)
{
	struct acpimem m;
	struct acpi_info ai;
	char names[200], methods[240];

	if (!load(&m, e->file))
		return;
	parse(&m, &ai);
	names_of(&ai, names, sizeof(names));
	acpi_describe_methods(&ai, methods, sizeof(methods));
	TAP_CHECK(ai.found && ai.bad_tables == 0 && notes[0] == '\0',
		  "%s: tables found, none refused, no message (%s)", e->file, notes);
	TAP_CHECK(ai.rsdp_revision == e->rsdp_rev && strcmp(ai.oem_id, "BOCHS ") == 0 &&
		  ai.root_is_xsdt == (strcmp(e->root, "XSDT") == 0),
		  "%s: RSDP rev %u OEM \"%s\" %s at %" PRIx64, e->file, ai.rsdp_revision, ai.oem_id,
		  ai.root_is_xsdt ? "XSDT" : "RSDT", ai.root_addr);
	TAP_CHECK(ai.tables == e->tables && strcmp(names, e->names) == 0,
		  "%s: %u tables: %s (the kernel's report line)", e->file, ai.tables, names);
	TAP_CHECK(ai.have_madt && ai.cpus == 1 && ai.ioapic_count == 1 &&
		  ai.ioapic[0].addr == e->ioapic && ai.lapic_addr == 0xfee00000 &&
		  ai.override_count == 5,
		  "%s: MADT: %u CPU, I/O APIC at %" PRIx64 ", local APIC %" PRIx64
		  ", %u overrides", e->file, ai.cpus, ai.ioapic[0].addr, ai.lapic_addr,
		  ai.override_count);
	TAP_CHECK(ai.have_hpet && ai.hpet_addr == e->hpet, "%s: HPET at %" PRIx64, e->file,
		  ai.hpet_addr);
	if (e->mcfg)
		TAP_CHECK(ai.have_mcfg && ai.mcfg_count == 1 && ai.mcfg[0].base == e->mcfg &&
			  ai.mcfg[0].bus_start == 0 && ai.mcfg[0].bus_end == 255,
			  "%s: MCFG base %" PRIx64 " buses %u-%u", e->file, ai.mcfg[0].base,
			  ai.mcfg[0].bus_start, ai.mcfg[0].bus_end);
	else
		TAP_CHECK(!ai.have_mcfg && ai.mcfg_count == 0, "%s: no MCFG (i440fx has no ECAM)",
			  e->file);
	TAP_CHECK(ai.have_fadt && ai.facs_ok && ai.facs_addr == e->facs && ai.facs_len == 64 &&
		  ai.dsdt_ok, "%s: FADT rev %u, FACS at %" PRIx64 " (%u bytes), DSDT at %" PRIx64,
		  e->file, ai.fadt_revision, ai.facs_addr, ai.facs_len, ai.dsdt_addr);
	TAP_CHECK(strcmp(methods, e->methods) == 0, "%s: \"%s\"", e->file, methods);
	acpimem_free(&m);
}

/* ---- broken copies ------------------------------------------------------------- */

/* A fresh copy of the OVMF dump for one broken case. */
static bool ovmf(struct acpimem *m)
{
	return load(m, "acpi/q35-ovmf.txt");
}

#define OVMF_XSDT 0x1f77c0e8ull
#define OVMF_FACP 0x1f778000ull
#define OVMF_DSDT 0x1f779000ull
#define OVMF_APIC 0x1f777000ull
#define OVMF_HPET 0x1f776000ull
#define OVMF_WAET 0x1f774000ull
#define XSDT_WAET_ENTRY 4        /* FACP APIC HPET MCFG WAET BGRT */

/* refused - @ai's record at @pa has @err, and a message names @sig, @pa
 * and contains @text. */
static void refused(const struct acpi_info *ai, const char *what, paddr_t pa, const char *sig,
		    enum acpi_err err, const char *text)
{
	const struct acpi_table_rec *r = rec_at(ai, pa);
	char head[64];

	snprintf(head, sizeof(head), "%s at %" PRIx64 " refused: ", sig, pa);
	const char *msg = strstr(notes, head);
	const char *eol = msg ? strchr(msg, '\n') : NULL;
	bool has_text = msg && strstr(msg, text) && strstr(msg, text) < eol;
	TAP_CHECK(r && r->err == err && has_text, "%s: %s error (%s), message \"%.*s\"", what,
		  acpi_err_name(err), r ? acpi_err_name(r->err) : "no record",
		  msg ? (int)(eol - msg) : 0, msg ? msg : "");
}

/* Set XSDT entry @i to @pa (checksum fixed). */
static void set_entry(struct acpimem *m, unsigned i, uint64_t pa)
{
	put64(acpimem_bytes(m, OVMF_XSDT + 36 + 8 * i, 8), pa);
	refix(m, OVMF_XSDT);
}

static void test_checksum_and_length(void)
{
	struct acpimem m;
	struct acpi_info ai;

	if (!ovmf(&m))
		return;
	acpimem_bytes(&m, OVMF_HPET + 50, 1)[0] ^= 0x40;
	parse(&m, &ai);
	refused(&ai, "HPET with a flipped bit", OVMF_HPET, "HPET", ACPI_E_CHECKSUM,
		"checksum: bytes sum to 0x40, not 0");
	TAP_CHECK(!ai.have_hpet && ai.have_madt && ai.have_mcfg && ai.bad_tables == 1,
		  "the other tables are still read (%u refused)", ai.bad_tables);
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	put32(acpimem_bytes(&m, OVMF_APIC + 4, 4), 5000);
	parse(&m, &ai);
	refused(&ai, "APIC length past its data", OVMF_APIC, "APIC", ACPI_E_LENGTH,
		"length 5000 bytes cannot be read");
	TAP_CHECK(!ai.have_madt, "no MADT taken from it");
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	put32(acpimem_bytes(&m, OVMF_APIC + 4, 4), 0x7fffffff);
	parse(&m, &ai);
	refused(&ai, "APIC length 2 GiB", OVMF_APIC, "APIC", ACPI_E_LENGTH,
		"length 2147483647 outside [36, 1048576]");
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	put32(acpimem_bytes(&m, OVMF_APIC + 4, 4), 12);
	parse(&m, &ai);
	refused(&ai, "APIC length below its header", OVMF_APIC, "APIC", ACPI_E_LENGTH,
		"length 12 outside");
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	acpimem_bytes(&m, OVMF_XSDT + 40, 1)[0] ^= 1;
	parse(&m, &ai);
	refused(&ai, "XSDT with a bad checksum", OVMF_XSDT, "XSDT", ACPI_E_CHECKSUM, "checksum");
	TAP_CHECK(!ai.found && ai.tables == 0 && !ai.reset_ok && !ai.s5_ok &&
		  strcmp(ai.s5_why, "no FADT") == 0,
		  "no root table: nothing else read, methods say \"%s\"", ai.s5_why);
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	acpimem_bytes(&m, m.rsdp + 10, 1)[0] ^= 1;
	parse(&m, &ai);
	refused(&ai, "RSDP with a bad checksum", m.rsdp, "RSDP", ACPI_E_CHECKSUM,
		"checksum of the first 20 bytes");
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	put32(acpimem_bytes(&m, m.rsdp + 20, 4), 100000);
	parse(&m, &ai);
	refused(&ai, "RSDP length 100000", m.rsdp, "RSDP", ACPI_E_LENGTH,
		"revision 2 length 100000 outside [36, 4096]");
	acpimem_free(&m);
}

/* The U-Boot tables lie back to back: an APIC 10 bytes longer runs into
 * the HPET after it. */
static void test_overlap(void)
{
	struct acpimem m;
	struct acpi_info ai;
	const paddr_t apic = 0x1ed4447c, hpet = 0x1ed444f4;

	if (!load(&m, "acpi/q35-uboot.txt"))
		return;
	put32(acpimem_bytes(&m, apic + 4, 4), 130);
	refix(&m, apic);
	parse(&m, &ai);
	TAP_CHECK(rec_at(&ai, apic) && rec_at(&ai, apic)->err == ACPI_OK,
		  "the longer APIC is read (its bytes are there and sum to 0)");
	refused(&ai, "HPET under the longer APIC", hpet, "HPET", ACPI_E_OVERLAP,
		"[1ed444f4, 1ed4452c) overlaps the APIC at [1ed4447c, 1ed444fe)");
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	set_entry(&m, XSDT_WAET_ENTRY, OVMF_APIC);   /* the APIC listed twice */
	parse(&m, &ai);
	refused(&ai, "an entry listing the APIC again", OVMF_APIC, "APIC", ACPI_E_OVERLAP,
		"overlaps the APIC");
	TAP_CHECK(ai.have_madt && ai.cpus == 1, "the first APIC still counts once (%u CPUs)",
		  ai.cpus);
	acpimem_free(&m);
}

static void test_pointers(void)
{
	static const struct {
		const char *what;
		uint64_t pa;
		enum acpi_err err;
		const char *text;
	} bad[] = {
		{ "an entry into flash (MMIO)", 0xffc00000, ACPI_E_MEMTYPE,
		  "ffc00000 is in MMIO [ffc00000, 100000000)" },
		{ "an entry beyond the memory map", 0x200000000, ACPI_E_BEYOND,
		  "200000000 is beyond the memory map (it ends at 100000000)" },
		{ "an entry into a hole", 0xa0000, ACPI_E_HOLE,
		  "a0000 is in a hole of the memory map [a0000, 100000)" },
		{ "an entry of 0", 0, ACPI_E_ADDRESS, "is not a table address" },
		{ "an entry at the top of memory", 0xfffffffffffffff0ull, ACPI_E_ADDRESS,
		  "is not a table address" },
		{ "an entry into RAM nobody dumped", 0x1000000, ACPI_E_UNREADABLE,
		  "cannot be read: no dumped data covers [1000000, 1000024)" },
	};
	struct acpimem m;
	struct acpi_info ai;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!ovmf(&m))
			return;
		set_entry(&m, XSDT_WAET_ENTRY, bad[i].pa);
		parse(&m, &ai);
		refused(&ai, bad[i].what, bad[i].pa, "table", bad[i].err, bad[i].text);
		TAP_CHECK(ai.have_madt && ai.have_hpet && ai.have_mcfg && ai.bad_tables == 1 &&
			  ai.s5_ok, "%s: the other tables still read", bad[i].what);
		acpimem_free(&m);
	}

	/* An entry pointing into the middle of the DSDT: AML, not a table. */
	if (!ovmf(&m))
		return;
	set_entry(&m, XSDT_WAET_ENTRY, OVMF_DSDT + 0x100);
	parse(&m, &ai);
	const struct acpi_table_rec *r = rec_at(&ai, OVMF_DSDT + 0x100);
	TAP_CHECK(r && r->err != ACPI_OK && strstr(notes, "at 1f779100 refused: "),
		  "an entry pointing at garbage: refused (%s): %s", r ? acpi_err_name(r->err) : "-",
		  notes);
	TAP_CHECK(ai.dsdt_ok, "the DSDT itself is still read");
	acpimem_free(&m);

	/* The FADT's DSDT pointer into MMIO: no S5, and the reason. */
	if (!ovmf(&m))
		return;
	uint8_t *f = acpimem_bytes(&m, OVMF_FACP, 244);
	put32(f + 40, 0xffc01000);
	put64(f + 140, 0xffc01000);
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	refused(&ai, "the DSDT pointer into MMIO", 0xffc01000, "DSDT", ACPI_E_MEMTYPE, "MMIO");
	TAP_CHECK(!ai.s5_ok && strstr(ai.s5_why, "DSDT at ffc01000 was refused") && ai.reset_ok,
		  "no S5: \"%s\"; the reset register is still offered", ai.s5_why);
	acpimem_free(&m);

	/* The FACS pointer at the FADT itself: a signature problem. */
	if (!ovmf(&m))
		return;
	f = acpimem_bytes(&m, OVMF_FACP, 244);
	put32(f + 36, 0);
	put64(f + 132, OVMF_APIC);
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	refused(&ai, "a FACS pointer at the APIC", OVMF_APIC, "FACS", ACPI_E_SIGNATURE,
		"signature \"APIC\", expected \"FACS\"");
	TAP_CHECK(!ai.facs_ok, "no FACS taken from it");
	acpimem_free(&m);
}

/* ---- the FADT's reset register and PM1 blocks ------------------------------------ */

static void test_fadt_methods(void)
{
	struct acpimem m;
	struct acpi_info ai;
	uint8_t *f;

	if (!ovmf(&m))
		return;
	f = acpimem_bytes(&m, OVMF_FACP, 244);
	f[112 + 1] &= (uint8_t)~(1u << 2);           /* RESET_REG_SUP is flag bit 10 */
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	TAP_CHECK(!ai.reset_ok && strcmp(ai.reset_why, "the FADT's RESET_REG_SUP flag is clear") == 0,
		  "RESET_REG_SUP clear: \"%s\"", ai.reset_why);
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	f = acpimem_bytes(&m, OVMF_FACP, 244);
	f[116] = ACPI_SPACE_PCI_CONFIG;
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	TAP_CHECK(!ai.reset_ok && strstr(ai.reset_why, "address space 2 (PCI configuration)"),
		  "reset register in PCI config space: \"%s\"", ai.reset_why);
	acpimem_free(&m);

	if (!ovmf(&m))
		return;
	f = acpimem_bytes(&m, OVMF_FACP, 244);
	f[117] = 32;                                  /* bit width */
	f[118] = 8;                                   /* bit offset */
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	TAP_CHECK(!ai.reset_ok && strstr(ai.reset_why, "32 bits at bit 8"),
		  "reset register not a byte: \"%s\"", ai.reset_why);
	acpimem_free(&m);

	/* X_PM1a_CNT_BLK zero: the 32-bit PM1a_CNT_BLK (0x604) is used. */
	if (!ovmf(&m))
		return;
	f = acpimem_bytes(&m, OVMF_FACP, 244);
	memset(f + 172, 0, 12);
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	TAP_CHECK(ai.s5_ok && ai.pm1a_cnt.addr == 0x604 && ai.pm1a_cnt.space == ACPI_SPACE_IO &&
		  ai.pm1a_cnt.bit_width == 16, "32-bit PM1a_CNT_BLK when X_ is 0: io %#" PRIx64
		  " %u bits", ai.pm1a_cnt.addr, ai.pm1a_cnt.bit_width);
	/* ... and X_ wins over the 32-bit field when both are set. */
	put64(f + 172 + 4, 0x1804);
	f[172] = ACPI_SPACE_IO;
	f[173] = 16;
	refix(&m, OVMF_FACP);
	parse(&m, &ai);
	TAP_CHECK(ai.pm1a_cnt.addr == 0x1804, "X_PM1a_CNT_BLK wins: io %#" PRIx64,
		  ai.pm1a_cnt.addr);
	acpimem_free(&m);

	/* The U-Boot dump as it is: PM1a control at io 0x4. */
	if (!load(&m, "acpi/q35-uboot.txt"))
		return;
	parse(&m, &ai);
	TAP_CHECK(!ai.s5_ok && ai.pm1a_cnt.addr == 4 && strstr(ai.s5_why, "legacy devices"),
		  "U-Boot's PM1a control at io 0x4 is refused: \"%s\"", ai.s5_why);
	acpimem_free(&m);
}

/* ---- \_S5 in the DSDT ----------------------------------------------------------- */

/* Where "_S5_" is in the OVMF DSDT (byte offset), 0 if not found. */
static size_t s5_offset(struct acpimem *m)
{
	uint32_t len = length_at(m, OVMF_DSDT);
	const uint8_t *d = acpimem_bytes(m, OVMF_DSDT, len);

	for (size_t i = 0; d && i + 4 <= len; i++)
		if (memcmp(d + i, "_S5_", 4) == 0)
			return i;
	return 0;
}

/* Break the OVMF DSDT's \_S5 package (Name(_S5_, 12 06 04 00 00 00 00)):
 * @n bytes @bytes written from the PackageOp on; the DSDT's checksum kept. */
static void s5_case(const char *what, const uint8_t *bytes, size_t n, const char *text)
{
	struct acpimem m;
	struct acpi_info ai;

	if (!ovmf(&m))
		return;
	size_t at = s5_offset(&m);
	if (!TAP_CHECK(at > 0, "%s: _S5_ found in the dump", what))
		return;
	memcpy(acpimem_bytes(&m, OVMF_DSDT + at + 4, n), bytes, n);
	refix(&m, OVMF_DSDT);
	parse(&m, &ai);
	TAP_CHECK(ai.dsdt_ok && !ai.s5_ok && strstr(ai.s5_why, text) && ai.reset_ok,
		  "%s: no S5, \"%s\"", what, ai.s5_why);
	acpimem_free(&m);
}

static void test_s5_broken(void)
{
	static const uint8_t past_end[] = { 0x12, 0x4f, 0xff, 0x04 };      /* PkgLength 4095 */
	static const uint8_t no_count[] = { 0x12, 0x01 };
	static const uint8_t truncated[] = { 0x12, 0x03, 0x04, 0x0a };     /* ends in BytePrefix */
	static const uint8_t huge_count[] = { 0x12, 0x03, 0xff, 0x00 };    /* 255 elements, 1 there */
	static const uint8_t empty[] = { 0x12, 0x02, 0x00 };
	static const uint8_t not_int[] = { 0x12, 0x06, 0x04, 0x70, 0x00, 0x00 };  /* StoreOp */
	static const uint8_t big_typ[] = { 0x12, 0x06, 0x04, 0x0a, 0x09, 0x00 };  /* a = 9 */
	static const uint8_t not_pkg[] = { 0x0a, 0x05 };
	struct acpimem m;
	struct acpi_info ai;

	s5_case("PkgLength past the DSDT's end", past_end, sizeof(past_end),
		"PkgLength 4095 runs past the end of the DSDT");
	s5_case("PkgLength without room for the count", no_count, sizeof(no_count),
		"leaves no element count");
	s5_case("package truncated in an element", truncated, sizeof(truncated),
		"cut short: element 0 needs 2 bytes, 1 left");
	s5_case("255 elements declared, one written", huge_count, sizeof(huge_count),
		"cut short: element 1 is past its end");
	s5_case("no elements", empty, sizeof(empty), "has no elements");
	s5_case("an element that is not an integer", not_int, sizeof(not_int),
		"element 0 is AML opcode 0x70, not an integer constant");
	s5_case("SLP_TYPa 9", big_typ, sizeof(big_typ), "SLP_TYP a=9 b=0 do not fit");
	s5_case("Name(_S5_) of an integer", not_pkg, sizeof(not_pkg), "is not a Package");

	if (!ovmf(&m))
		return;
	size_t at = s5_offset(&m);
	acpimem_bytes(&m, OVMF_DSDT + at, 1)[0] = 'X';
	refix(&m, OVMF_DSDT);
	parse(&m, &ai);
	TAP_CHECK(!ai.s5_ok && strstr(ai.s5_why, "no Name(\\_S5, Package) in the DSDT"),
		  "no _S5_ at all: \"%s\"", ai.s5_why);
	acpimem_free(&m);

	/* The DSDT cut off right after "_S5_" (its length says so). */
	if (!ovmf(&m))
		return;
	at = s5_offset(&m);
	put32(acpimem_bytes(&m, OVMF_DSDT + 4, 4), (uint32_t)at + 4);
	refix(&m, OVMF_DSDT);
	parse(&m, &ai);
	TAP_CHECK(ai.dsdt_ok && !ai.s5_ok && strstr(ai.s5_why, "cut off by the end"),
		  "DSDT ending after _S5_: \"%s\"", ai.s5_why);
	acpimem_free(&m);
}

/* acpi_find_s5 on hand-written AML. */
static void test_s5_forms(void)
{
	static const struct {
		const char *what;
		uint8_t aml[24];
		uint32_t len;
		enum acpi_err err;
		uint8_t a, b;
	} c[] = {
		{ "Name(_S5_, Package(4){5, 5, 0, 0}) with BytePrefix",
		  { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0, 0 }, 14,
		  ACPI_OK, 5, 5 },
		{ "Name(\\_S5_, ...) with the root prefix, One and Zero",
		  { 0x10, 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00 }, 12,
		  ACPI_OK, 1, 0 },
		{ "Name(^^_S5_, ...), WordPrefix and DWordPrefix",
		  { 0x08, 0x5e, 0x5e, '_', 'S', '5', '_', 0x12, 0x0a, 0x02, 0x0b, 7, 0,
		    0x0c, 6, 0, 0, 0 }, 18, ACPI_OK, 7, 6 },
		{ "a two-byte PkgLength",
		  { 0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x01, 0x02, 0x0a, 3, 0x0a, 4 }, 13,
		  ACPI_E_AML, 0, 0 },   /* 0x40 0x01 = length 16: past the 13 bytes */
		{ "one element packs both values", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01,
		  0x0b, 0x05, 0x07 }, 11, ACPI_OK, 5, 7 },
		{ "255 declared, two written (valid AML)", { 0x08, '_', 'S', '5', '_', 0x12, 0x06,
		  0xff, 0x0a, 2, 0x0a, 3 }, 12, ACPI_OK, 2, 3 },
		{ "a reference before the definition", { 0x70, '_', 'S', '5', '_', 0x60, 0x08,
		  '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01 }, 16, ACPI_OK, 1, 1 },
		{ "OnesOp: not a byte", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff,
		  0x00 }, 10, ACPI_E_AML, 0, 0 },
		{ "_S5_ as the last four bytes", { 0x08, '_', 'S', '5', '_' }, 5, ACPI_E_AML, 0, 0 },
		{ "three bytes", { '_', 'S', '5' }, 3, ACPI_E_AML, 0, 0 },
		{ "nothing", { 0 }, 0, ACPI_E_AML, 0, 0 },
	};
	char why[ACPI_WHY_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		uint8_t a = 0xee, b = 0xee;
		/* An exact-size heap copy: ASan sees any read past len. */
		uint8_t *aml = malloc(c[i].len ? c[i].len : 1);
		memcpy(aml, c[i].aml, c[i].len);
		why[0] = '\0';
		enum acpi_err e = acpi_find_s5(aml, c[i].len, &a, &b, why, sizeof(why));
		TAP_CHECK(e == c[i].err && (e != ACPI_OK || (a == c[i].a && b == c[i].b)),
			  "\\_S5: %s: %s a=%u b=%u %s", c[i].what, acpi_err_name(e), a, b, why);
		free(aml);
	}
	/* A two-byte PkgLength that fits: 0x40 | 0 low bits, then 0x01 -> 16. */
	uint8_t big[24] = { 0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x01, 0x02, 0x0a, 3, 0x0a, 4 };
	uint8_t a = 0, b = 0;
	TAP_CHECK(acpi_find_s5(big, sizeof(big), &a, &b, why, sizeof(why)) == ACPI_OK && a == 3 &&
		  b == 4, "\\_S5: a two-byte PkgLength inside the table: a=%u b=%u", a, b);
}

/* ---- the binary form the fuzzer reads ---------------------------------------------- */

static void test_binary_roundtrip(void)
{
	struct acpimem m, back;
	struct acpi_info a1, a2;
	static uint8_t buf[1 << 16];

	if (!ovmf(&m))
		return;
	parse(&m, &a1);
	size_t n = acpimem_to_binary(&m, buf, sizeof(buf));
	acpimem_from_binary(&back, buf, n);
	parse(&back, &a2);
	TAP_CHECK(n > 0 && back.runs == m.runs && back.map.count == m.map.count &&
		  a2.rec_count == a1.rec_count && a2.s5_ok == a1.s5_ok && a2.reset_ok == a1.reset_ok &&
		  a2.tables == a1.tables, "binary form: %zu bytes, parses the same", n);
	acpimem_free(&m);
	acpimem_free(&back);
}

/* ---- the fuzzer's kept corpus ---------------------------------------------------- */

static void test_corpus(void)
{
	char dir[700], path[1200], why[200];
	const char *env = getenv("CARTO_FUZZ_CORPUS_ACPI");
	const char *f = __FILE__, *tail = strstr(f, "tests/host/");
	size_t files = 0;

	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%.*stests/fuzz-corpus-acpi", tail ? (int)(tail - f) : 0,
			 f);
	DIR *d = opendir(dir);
	if (!TAP_CHECK(d != NULL, "corpus directory %s opens", dir))
		return;
	for (struct dirent *e; (e = readdir(d)); ) {
		struct stat st;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		char *data = read_file(path, &len);
		int r = data ? acpimem_exercise((const uint8_t *)data, len, why, sizeof(why)) : -1;
		TAP_CHECK(r == 0, "corpus %s (%zu bytes): %s", e->d_name, len,
			  !data ? "unreadable" : r ? why : "invariants hold");
		free(data);
		files++;
	}
	closedir(d);
	TAP_CHECK(files > 0, "corpus %s: %zu inputs replayed", dir, files);
}

int main(void)
{
	static const struct expect dumps[] = {
		{ "acpi/q35-ovmf.txt", "XSDT", "FACP APIC HPET MCFG WAET BGRT",
		  "reset register io 0xcf9 value 0x0f; S5 SLP_TYP a=0 b=0", 0x1f77d014, 0x1f7dc000,
		  0xfed00000, 0xb0000000, 0xfec00000, 2, 6 },
		{ "acpi/q35-uboot.txt", "RSDT", "FACP APIC HPET MCFG WAET",
		  "reset register io 0xcf9 value 0x0f; no S5 (PM1a control at io 0x4, among the "
		  "legacy devices below 0x100: the PM block was never placed)", 0x1dcee000, 0x1ed422c0,
		  0xfed00000, 0xe0000000, 0xfec00000, 0, 5 },
		{ "acpi/pc-ovmf.txt", "XSDT", "FACP APIC HPET WAET BGRT",
		  "no reset register (FADT revision 1 has no reset register); S5 SLP_TYP a=0 b=0",
		  0x1f77d014, 0x1f7dc000, 0xfed00000, 0, 0xfec00000, 2, 5 },
	};

	tap_plan_unknown();
	for (size_t i = 0; i < ARRAY_SIZE(dumps); i++)
		test_dump(&dumps[i]);
	test_checksum_and_length();
	test_overlap();
	test_pointers();
	test_fadt_methods();
	test_s5_broken();
	test_s5_forms();
	test_binary_roundtrip();
	test_corpus();
	return tap_done();
}
