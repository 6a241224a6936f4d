/*
 * acpi.c - find and check the ACPI tables, copy out MADT, HPET and MCFG
 * (acpi.h).
 */
#include "acpi.h"
#include "boot.h"
#include "console.h"
#include "dmap.h"
#include "klib.h"
#include "kmap.h"
#include "memmap.h"
#include "mmio.h"

#define ACPI_RSDP_SIG     "RSD PTR "
#define ACPI_RSDP_MAX_LEN 4096   /* longer RSDP lengths are taken as corrupt */
#define WHY_MAX           96
#define REPORT_COLS       80     /* boot report lines fit a 640x480 screen */
#define TABLE_NAME_COLS   5      /* " FACP" */

/* MADT (ACPI 6.5, 5.2.12): after the header, the local APIC address and
 * flags, then variable-length entries {type, length, ...}. */
#define MADT_LAPIC_ADDR_OFF 36
#define MADT_FLAGS_OFF      40
#define MADT_ENTRIES_OFF    44
enum madt_entry_type {
	MADT_LAPIC = 0,            /* processor local APIC */
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,         /* interrupt source override */
	MADT_LAPIC_ADDR = 5,       /* 64-bit local APIC address override */
	MADT_X2APIC = 9,           /* processor local x2APIC */
};
#define MADT_CPU_ENABLED        (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)

/* HPET description table (IA-PC HPET spec 1.0a, 3.2.4). */
#define HPET_GAS_SPACE_OFF  40     /* generic address structure: space id */
#define HPET_GAS_ADDR_OFF   44
#define HPET_NUMBER_OFF     52
#define HPET_MIN_TICK_OFF   53
#define HPET_TABLE_LEN      56
#define GAS_SYSTEM_MEMORY   0

/* FADT (ACPI 6.5, 5.2.9): where the FACS is; the FACS (5.2.10) has no
 * checksum, only a signature and a length. */
#define FADT_FIRMWARE_CTRL_OFF   36     /* 32-bit FACS address */
#define FADT_X_FIRMWARE_CTRL_OFF 132    /* 64-bit FACS address (2.0+) */
#define FADT_DSDT_OFF            40     /* 32-bit DSDT address */
#define FADT_X_DSDT_OFF          140    /* 64-bit DSDT address (2.0+) */
#define FACS_HEADER_LEN          12     /* signature, length, hardware signature */
#define FACS_MIN_LEN             64

/* MCFG (PCI Firmware spec 3.2, 4.1.2): 8 reserved bytes, then 16-byte
 * allocation entries {base u64, segment u16, start bus u8, end bus u8}. */
#define MCFG_ENTRIES_OFF    44
#define MCFG_ENTRY_LEN      16

static struct acpi_info info;
static const struct handoff *boot;   /* for the memory map */

/* ---- unaligned little-endian reads --------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint8_t byte_sum(const uint8_t *p, uint64_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

/* ---- checks ---------------------------------------------------------------- */

bool acpi_table_valid(const void *t, uint64_t avail, const char *sig, char *why, size_t size)
{
	const struct acpi_sdt *h = t;
	uint8_t sum;

	if (avail < ACPI_SDT_HEADER_LEN) {
		ksnprintf(why, size, "only %lu bytes, less than the %u-byte header", avail,
			  ACPI_SDT_HEADER_LEN);
		return false;
	}
	if (sig && memcmp(h->signature, sig, 4) != 0) {
		ksnprintf(why, size, "signature \"%.4s\", expected \"%.4s\"", h->signature, sig);
		return false;
	}
	if (h->length < ACPI_SDT_HEADER_LEN || h->length > ACPI_TABLE_MAX || h->length > avail) {
		ksnprintf(why, size, "length %u outside [%u, %lu]", h->length, ACPI_SDT_HEADER_LEN,
			  MIN(avail, (uint64_t)ACPI_TABLE_MAX));
		return false;
	}
	if ((sum = byte_sum(t, h->length)) != 0) {
		ksnprintf(why, size, "checksum: bytes sum to %#x, not 0", sum);
		return false;
	}
	return true;
}

bool acpi_rsdp_valid(const void *rsdp, uint64_t avail, char *why, size_t size)
{
	const struct acpi_rsdp *r = rsdp;
	uint8_t sum;

	if (avail < ACPI_RSDP_V1_LEN) {
		ksnprintf(why, size, "only %lu bytes, less than %u", avail, ACPI_RSDP_V1_LEN);
		return false;
	}
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) != 0) {
		ksnprintf(why, size, "signature is not \"%s\"", ACPI_RSDP_SIG);
		return false;
	}
	if ((sum = byte_sum(rsdp, ACPI_RSDP_V1_LEN)) != 0) {
		ksnprintf(why, size, "checksum of the first 20 bytes: sum %#x, not 0", sum);
		return false;
	}
	if (r->revision < 2)
		return true;
	if (avail < sizeof(*r) || r->length < sizeof(*r) || r->length > avail) {
		ksnprintf(why, size, "revision %u length %u outside [%zu, %lu]", r->revision,
			  avail >= sizeof(*r) ? r->length : 0, sizeof(*r), avail);
		return false;
	}
	if ((sum = byte_sum(rsdp, r->length)) != 0) {
		ksnprintf(why, size, "extended checksum: sum %#x, not 0", sum);
		return false;
	}
	return true;
}

/* ---- reaching the tables ------------------------------------------------------ */

struct tmap {
	const uint8_t *p;
	vaddr_t mapped;               /* non-zero: a firmware mapping to undo */
};

static const struct mem_entry *entry_of(paddr_t pa)
{
	struct memmap m = boot_memmap(boot);

	for (size_t i = 0; i < m.count; i++)
		if (pa >= m.entries[i].start && pa < m.entries[i].end)
			return &m.entries[i];
	return NULL;
}

/* True if [pa, pa+len) is RAM without a gap (below DMAP_MAX_PHYS): ram_map
 * reaches it, through the direct map where that covers it. */
static bool direct_mapped(paddr_t pa, uint64_t len)
{
	paddr_t end = pa + len;

	if (end > DMAP_MAX_PHYS || end < pa)
		return false;
	while (pa < end) {
		const struct mem_entry *e = entry_of(pa);
		if (!e || !mem_type_is_ram(e->type))
			return false;
		pa = e->end;
	}
	return true;
}

/* Firmware data outside RAM: WB if the memory map says it may be cached. */
static enum cache_type firmware_cache(paddr_t pa)
{
	const struct mem_entry *e = entry_of(pa);

	return e && (e->attr & EFI_MEMORY_WB) ? CACHE_WB : CACHE_UC;
}

static bool tmap_get(struct tmap *m, paddr_t pa, uint64_t len, char *why, size_t size)
{
	const struct resource *in_way;
	vaddr_t va;

	m->p = NULL;
	m->mapped = 0;
	if (pa == 0 || pa + len < pa) {
		ksnprintf(why, size, "bad address %lx", pa);
		return false;
	}
	if (direct_mapped(pa, len)) {
		/* RAM: the direct map, or a long-lived mapping where it does not
		 * reach (kmap.h); kept, since the tables are read again. */
		m->p = (const uint8_t *)ram_map(pa, len, "ACPI table");
		if (m->p)
			return true;
		ksnprintf(why, size, "cannot be mapped: no room for a vmap");
		return false;
	}
	int st = mmio_map_firmware(pa, len, firmware_cache(pa), &va, &in_way);
	if (st != E_OK) {
		ksnprintf(why, size, "cannot be mapped: %s%s%s%s", status_name(st),
			  in_way ? " (overlaps \"" : "", in_way ? in_way->owner : "",
			  in_way ? "\")" : "");
		return false;
	}
	m->p = (const uint8_t *)va;
	m->mapped = va;
	return true;
}

static void tmap_put(struct tmap *m)
{
	if (m->mapped)
		mmio_unmap(m->mapped);
	m->p = NULL;
	m->mapped = 0;
}

static void note_read(paddr_t pa, uint64_t len)
{
	if (info.read_count < sizeof(info.read) / sizeof(info.read[0]))
		info.read[info.read_count++] = (struct range){ pa, pa + len };
}

static void refuse(const char *what, paddr_t pa, const char *why)
{
	info.bad_tables++;
	kprintf("acpi: %s at %lx refused: %s\n", what, pa, why);
}

/*
 * read_table - map the table at @pa and check it (signature @sig if
 * non-NULL). Returns its bytes (m->p) or NULL after printing why it was
 * refused; @what names it in messages when its signature is unknown.
 */
static const uint8_t *read_table(struct tmap *m, paddr_t pa, const char *sig, const char *what)
{
	char why[WHY_MAX], name[8];

	if (!tmap_get(m, pa, ACPI_SDT_HEADER_LEN, why, sizeof(why))) {
		refuse(sig ? sig : what, pa, why);
		return NULL;
	}
	uint32_t len = ((const struct acpi_sdt *)m->p)->length;
	ksnprintf(name, sizeof(name), "%.4s", m->p);
	tmap_put(m);
	if (len < ACPI_SDT_HEADER_LEN || len > ACPI_TABLE_MAX) {
		ksnprintf(why, sizeof(why), "length %u outside [%u, %u]", len,
			  ACPI_SDT_HEADER_LEN, ACPI_TABLE_MAX);
	} else if (tmap_get(m, pa, len, why, sizeof(why))) {
		if (acpi_table_valid(m->p, len, sig, why, sizeof(why))) {
			note_read(pa, len);
			return m->p;
		}
		tmap_put(m);
	}
	refuse(sig ? sig : name, pa, why);
	return NULL;
}

/* fadt_addr - an address field of the FADT @t (@len bytes): the 64-bit
 * X_ field at @off64 if the table has it and it is not zero, else the
 * 32-bit field at @off32, else 0 (ACPI 6.5, 5.2.9). */
static paddr_t fadt_addr(const uint8_t *t, uint32_t len, unsigned off64, unsigned off32)
{
	if (len >= off64 + 8 && rd64(t + off64))
		return rd64(t + off64);
	return len >= off32 + 4 ? rd32(t + off32) : 0;
}

/* ---- tables in RAM, before the frame allocator ------------------------------ */

struct ram_ranges {
	struct range *r;
	size_t n, max, dropped;
};

/* Add the pages of [pa, pa + len) to @s, merged with a range they touch. */
static void note_pages(struct ram_ranges *s, paddr_t pa, uint64_t len)
{
	paddr_t start = ALIGN_DOWN(pa, PAGE_SIZE), end = ALIGN_UP(pa + len, PAGE_SIZE);

	for (size_t i = 0; i < s->n; i++)
		if (start <= s->r[i].end && end >= s->r[i].start) {
			s->r[i].start = MIN(s->r[i].start, start);
			s->r[i].end = MAX(s->r[i].end, end);
			return;
		}
	if (s->n < s->max)
		s->r[s->n++] = (struct range){ start, end };
	else
		s->dropped++;
}

/* The table at @pa if it is in RAM and whole (header length inside
 * [header, ACPI_TABLE_MAX], all of it RAM); its pages noted. NULL else. */
static const uint8_t *ram_table(struct ram_ranges *s, paddr_t pa, uint64_t min_len)
{
	if (pa == 0 || pa + min_len < pa || !direct_mapped(pa, min_len))
		return NULL;
	const uint8_t *t = (const uint8_t *)ram_map(pa, min_len, "ACPI table header");
	if (!t)
		return NULL;
	uint32_t len = rd32(t + 4);   /* SDT and FACS both keep their length here */
	ram_unmap((void *)t, min_len);
	if (len < min_len || len > ACPI_TABLE_MAX || !direct_mapped(pa, len))
		return NULL;
	note_pages(s, pa, len);
	return (const uint8_t *)ram_map(pa, len, "ACPI table");
}

static void note_fadt_targets(struct ram_ranges *s, const uint8_t *fadt)
{
	uint32_t len = rd32(fadt + 4);

	ram_table(s, fadt_addr(fadt, len, FADT_X_FIRMWARE_CTRL_OFF, FADT_FIRMWARE_CTRL_OFF),
		  FACS_MIN_LEN);
	ram_table(s, fadt_addr(fadt, len, FADT_X_DSDT_OFF, FADT_DSDT_OFF), ACPI_SDT_HEADER_LEN);
}

size_t acpi_ram_ranges(const struct handoff *h, struct range *out, size_t max,
		       size_t *dropped)
{
	struct ram_ranges s = { out, 0, max, 0 };
	const struct acpi_rsdp *r;

	boot = h;
	*dropped = 0;
	if (!h->rsdp || !direct_mapped(h->rsdp, sizeof(*r)))
		return 0;
	r = (const struct acpi_rsdp *)ram_map(h->rsdp, sizeof(*r), "ACPI RSDP");
	if (!r)
		return 0;
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) != 0)
		return 0;
	note_pages(&s, h->rsdp, r->revision >= 2 ? sizeof(*r) : ACPI_RSDP_V1_LEN);
	bool xsdt = r->revision >= 2 && r->xsdt != 0;
	unsigned esize = xsdt ? 8 : 4;
	const uint8_t *root = ram_table(&s, xsdt ? r->xsdt : r->rsdt, ACPI_SDT_HEADER_LEN);
	if (root) {
		unsigned n = (rd32(root + 4) - ACPI_SDT_HEADER_LEN) / esize;
		for (unsigned i = 0; i < n && i < ACPI_MAX_TABLES; i++) {
			const uint8_t *e = root + ACPI_SDT_HEADER_LEN + i * esize;
			const uint8_t *t = ram_table(&s, esize == 8 ? rd64(e) : rd32(e),
						     ACPI_SDT_HEADER_LEN);
			if (t && memcmp(t, "FACP", 4) == 0)
				note_fadt_targets(&s, t);
		}
	}
	*dropped = s.dropped;
	return s.n;
}

/* ---- MADT --------------------------------------------------------------------- */

static unsigned madt_min_len(unsigned type)
{
	switch (type) {
	case MADT_LAPIC:      return 8;
	case MADT_IOAPIC:     return 12;
	case MADT_OVERRIDE:   return 10;
	case MADT_LAPIC_ADDR: return 12;
	case MADT_X2APIC:     return 16;
	default:              return 2;
	}
}

static void madt_entry(const uint8_t *e)
{
	switch (e[0]) {
	case MADT_LAPIC:
		info.cpus += (rd32(e + 4) & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)) != 0;
		break;
	case MADT_X2APIC:
		info.cpus += (rd32(e + 8) & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)) != 0;
		break;
	case MADT_IOAPIC:
		if (info.ioapic_count == ACPI_MAX_IOAPICS) {
			kprintf("acpi: MADT: more than %u I/O APICs, the rest ignored\n",
				ACPI_MAX_IOAPICS);
			break;
		}
		info.ioapic[info.ioapic_count++] = (struct acpi_ioapic){ e[2], rd32(e + 4),
									rd32(e + 8) };
		break;
	case MADT_OVERRIDE:
		if (info.override_count < ACPI_MAX_OVERRIDES)
			info.override[info.override_count++] = (struct acpi_override){
				e[2], e[3], rd32(e + 4), rd16(e + 8) };
		break;
	case MADT_LAPIC_ADDR:
		info.lapic_addr = rd64(e + 4);
		info.lapic_overridden = true;
		break;
	default:
		break;
	}
}

static void parse_madt(const uint8_t *t, uint32_t len)
{
	if (len < MADT_ENTRIES_OFF) {
		kprintf("acpi: MADT of %u bytes has no room for the local APIC address\n", len);
		return;
	}
	info.have_madt = true;
	info.lapic_addr = rd32(t + MADT_LAPIC_ADDR_OFF);
	info.madt_flags = rd32(t + MADT_FLAGS_OFF);
	for (uint32_t off = MADT_ENTRIES_OFF; off < len;) {
		unsigned type = len - off >= 2 ? t[off] : 0, elen = len - off >= 2 ? t[off + 1] : 0;
		if (elen < 2 || elen > len - off) {
			kprintf("acpi: MADT entry at offset %u has length %u (%u bytes left):\n"
				"  the rest of the MADT is ignored\n", off, elen, len - off);
			return;
		}
		if (elen < madt_min_len(type))
			kprintf("acpi: MADT entry type %u at offset %u is %u bytes, needs %u: "
				"skipped\n", type, off, elen, madt_min_len(type));
		else
			madt_entry(t + off);
		off += elen;
	}
}

/* ---- HPET and MCFG ------------------------------------------------------------- */

static void parse_hpet(const uint8_t *t, uint32_t len, paddr_t pa)
{
	char why[WHY_MAX];

	if (len < HPET_TABLE_LEN) {
		ksnprintf(why, sizeof(why), "%u bytes, needs %u", len, HPET_TABLE_LEN);
		refuse("HPET", pa, why);
		return;
	}
	if (t[HPET_GAS_SPACE_OFF] != GAS_SYSTEM_MEMORY || rd64(t + HPET_GAS_ADDR_OFF) == 0) {
		ksnprintf(why, sizeof(why), "registers in address space %u at %lx, not in memory",
			  t[HPET_GAS_SPACE_OFF], rd64(t + HPET_GAS_ADDR_OFF));
		refuse("HPET", pa, why);
		return;
	}
	if (info.have_hpet)
		return;                       /* the first HPET is the one we use */
	info.have_hpet = true;
	info.hpet_addr = rd64(t + HPET_GAS_ADDR_OFF);
	info.hpet_number = t[HPET_NUMBER_OFF];
	info.hpet_min_tick = rd16(t + HPET_MIN_TICK_OFF);
}

static void parse_mcfg(const uint8_t *t, uint32_t len)
{
	if (len < MCFG_ENTRIES_OFF || (len - MCFG_ENTRIES_OFF) % MCFG_ENTRY_LEN)
		kprintf("acpi: MCFG length %u is not %u + n * %u: trailing bytes ignored\n", len,
			MCFG_ENTRIES_OFF, MCFG_ENTRY_LEN);
	for (uint32_t off = MCFG_ENTRIES_OFF; off + MCFG_ENTRY_LEN <= len; off += MCFG_ENTRY_LEN) {
		struct acpi_mcfg m = { rd64(t + off), rd16(t + off + 8), t[off + 10], t[off + 11] };
		if (m.bus_start > m.bus_end || !IS_ALIGNED(m.base, MiB)) {
			kprintf("acpi: MCFG entry at offset %u (base %lx, buses %u-%u):\n"
				"  inconsistent, skipped\n", off, m.base, m.bus_start, m.bus_end);
			continue;
		}
		if (info.mcfg_count < ACPI_MAX_MCFG)
			info.mcfg[info.mcfg_count++] = m;
	}
	info.have_mcfg = info.mcfg_count > 0;
}

static void parse_fadt(const uint8_t *t, uint32_t len)
{
	info.facs_addr = fadt_addr(t, len, FADT_X_FIRMWARE_CTRL_OFF, FADT_FIRMWARE_CTRL_OFF);
}

/*
 * read_facs - check the FACS the FADT points to. Firmware keeps it in
 * ACPI NVS, which is not in the direct map: this is where the read-only
 * firmware mapping is used on most machines.
 */
static void read_facs(void)
{
	struct tmap m;
	char why[WHY_MAX], sig[8];

	if (!info.facs_addr)
		return;
	if (!tmap_get(&m, info.facs_addr, FACS_HEADER_LEN, why, sizeof(why))) {
		refuse("FACS", info.facs_addr, why);
		return;
	}
	uint32_t len = rd32(m.p + 4), hw_sig = rd32(m.p + 8);
	ksnprintf(sig, sizeof(sig), "%.4s", m.p);
	info.facs_mapped = m.mapped != 0;
	tmap_put(&m);
	if (strcmp(sig, "FACS") != 0 || len < FACS_MIN_LEN) {
		ksnprintf(why, sizeof(why), "signature \"%s\", length %u (needs \"FACS\", >= %u)",
			  sig, len, FACS_MIN_LEN);
		refuse("FACS", info.facs_addr, why);
		return;
	}
	info.facs_ok = true;
	note_read(info.facs_addr, len);
	kprintf("acpi: FACS at %lx (%s), %u bytes, hardware signature %#x\n",
		info.facs_addr, info.facs_mapped ? "read-only map" : "direct map", len, hw_sig);
}

static void parse_table(const uint8_t *t, paddr_t pa)
{
	uint32_t len = ((const struct acpi_sdt *)t)->length;

	if (memcmp(t, "APIC", 4) == 0 && !info.have_madt)
		parse_madt(t, len);
	else if (memcmp(t, "HPET", 4) == 0)
		parse_hpet(t, len, pa);
	else if (memcmp(t, "MCFG", 4) == 0 && !info.have_mcfg)
		parse_mcfg(t, len);
	else if (memcmp(t, "FACP", 4) == 0 && !info.facs_addr)
		parse_fadt(t, len);
}

/* ---- the root ---------------------------------------------------------------- */

static paddr_t entries[ACPI_MAX_TABLES];

/* read_rsdp - check the RSDP; the root table's address and entry size
 * (8: XSDT, 4: RSDT) through the pointers. False after a message. */
static bool read_rsdp(paddr_t pa, paddr_t *root, unsigned *entry_size)
{
	struct tmap m;
	char why[WHY_MAX];
	uint32_t len = ACPI_RSDP_V1_LEN;

	if (!tmap_get(&m, pa, ACPI_RSDP_V1_LEN, why, sizeof(why)))
		goto bad;
	const struct acpi_rsdp *r = (const void *)m.p;
	if (r->revision >= 2) {
		len = r->length;
		tmap_put(&m);
		if (len < sizeof(*r) || len > ACPI_RSDP_MAX_LEN) {
			ksnprintf(why, sizeof(why), "revision 2+ length %u outside [%zu, %u]", len,
				  sizeof(*r), ACPI_RSDP_MAX_LEN);
			goto bad;
		}
		if (!tmap_get(&m, pa, len, why, sizeof(why)))
			goto bad;
		r = (const void *)m.p;
	}
	if (!acpi_rsdp_valid(r, len, why, sizeof(why))) {
		tmap_put(&m);
		goto bad;
	}
	info.rsdp_revision = r->revision;
	memcpy(info.oem_id, r->oem_id, sizeof(r->oem_id));
	bool xsdt = r->revision >= 2 && r->xsdt != 0;
	*root = xsdt ? r->xsdt : r->rsdt;
	*entry_size = xsdt ? 8 : 4;
	tmap_put(&m);
	return true;
bad:
	refuse("RSDP", pa, why);
	return false;
}

/* read_root - copy the root table's entries; returns how many. */
static unsigned read_root(paddr_t root, unsigned entry_size)
{
	const char *sig = entry_size == 8 ? "XSDT" : "RSDT";
	struct tmap m;
	const uint8_t *t = read_table(&m, root, sig, sig);

	if (!t)
		return 0;
	uint32_t len = ((const struct acpi_sdt *)t)->length;
	unsigned n = (len - ACPI_SDT_HEADER_LEN) / entry_size;
	if (n > ACPI_MAX_TABLES) {
		kprintf("acpi: %s lists %u tables, only the first %u are read\n", sig, n,
			ACPI_MAX_TABLES);
		n = ACPI_MAX_TABLES;
	}
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = t + ACPI_SDT_HEADER_LEN + i * entry_size;
		entries[i] = entry_size == 8 ? rd64(e) : rd32(e);
	}
	tmap_put(&m);
	return n;
}

/* print_table_names - "acpi: N tables: FACP APIC ..." from @names (" XXXX"
 * per table), continued on indented lines so none is wider than
 * REPORT_COLS: the boot report fits a 640x480 screen. */
static void print_table_names(unsigned n, const char *names)
{
	int col = kprintf("acpi: %u tables:", n);
	size_t len = strlen(names);

	for (size_t i = 0; i < len; i += TABLE_NAME_COLS) {
		if (col + TABLE_NAME_COLS > REPORT_COLS) {
			kputs("\n ");
			col = 1;
		}
		console_write(names + i, MIN((size_t)TABLE_NAME_COLS, len - i));
		col += TABLE_NAME_COLS;
	}
	kputs("\n");
}

void acpi_init(const struct handoff *h)
{
	char names[ACPI_MAX_TABLES * TABLE_NAME_COLS + 1];
	size_t used = 0;
	paddr_t root;
	unsigned entry_size;

	memset(&info, 0, sizeof(info));
	boot = h;
	if (!h->rsdp) {
		kprintf("acpi: the firmware gave no RSDP: no MADT, HPET or MCFG\n");
		return;
	}
	if (!read_rsdp(h->rsdp, &root, &entry_size))
		return;
	info.tables = read_root(root, entry_size);
	info.found = info.tables > 0;
	names[0] = '\0';
	for (unsigned i = 0; i < info.tables; i++) {
		struct tmap m;
		char what[16];
		ksnprintf(what, sizeof(what), "table %u", i);
		const uint8_t *t = read_table(&m, entries[i], NULL, what);
		if (!t)
			continue;
		used += (size_t)ksnprintf(names + used, sizeof(names) - used, " %.4s", t);
		parse_table(t, entries[i]);
		tmap_put(&m);
	}
	kprintf("acpi: RSDP rev %u at %lx, OEM \"%s\", %s at %lx\n", info.rsdp_revision,
		h->rsdp, info.oem_id, entry_size == 8 ? "XSDT" : "RSDT", root);
	print_table_names(info.tables, names);
	read_facs();
	if (info.bad_tables)
		kprintf("acpi: %u tables refused (see above)\n", info.bad_tables);
}

const struct acpi_info *acpi_get(void)
{
	return &info;
}
