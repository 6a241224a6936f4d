/*
 * acpitab.c - the ACPI table parser of include/acpitab.h. Reads memory only
 * through the caller's struct acpi_reader; checks every address against
 * the memory map before asking for it.
 */
#include <stdarg.h>

#include "acpitab.h"
#include "fmt.h"
#include "lib.h"

#define RSDP_SIG       "RSD PTR "
#define RSDP_MAX_LEN   4096      /* longer RSDP lengths are taken as corrupt */
#define MSG_MAX        200

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
#define HPET_GAS_OFF        40
#define HPET_NUMBER_OFF     52
#define HPET_MIN_TICK_OFF   53
#define HPET_TABLE_LEN      56

/* MCFG (PCI Firmware spec 3.2, 4.1.2): 8 reserved bytes, then 16-byte
 * allocation entries {base u64, segment u16, start bus u8, end bus u8}. */
#define MCFG_ENTRIES_OFF    44
#define MCFG_ENTRY_LEN      16

/* FADT (ACPI 6.5, 5.2.9): byte offsets of the fields read. */
#define FADT_FIRMWARE_CTRL   36    /* 32-bit FACS address */
#define FADT_DSDT            40    /* 32-bit DSDT address */
#define FADT_SMI_CMD         48
#define FADT_ACPI_ENABLE     52
#define FADT_PM1A_CNT_BLK    64    /* 32-bit I/O ports */
#define FADT_PM1B_CNT_BLK    68
#define FADT_PM1_CNT_LEN     89
#define FADT_FLAGS           112
#define FADT_V1_LEN          116   /* ACPI 1.0 ends after the flags */
#define FADT_RESET_REG       116   /* GAS */
#define FADT_RESET_VALUE     128
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT          140
#define FADT_X_PM1A_CNT_BLK  172   /* GAS */
#define FADT_X_PM1B_CNT_BLK  184   /* GAS */
#define FADT_RESET_REG_SUP   (1u << 10)
#define FADT_HW_REDUCED      (1u << 20)
#define GAS_LEN              12
#define PM1_CNT_MIN_LEN      2     /* PM1 control is a 16-bit register */
#define SLP_TYP_MAX          7     /* SLP_TYPx is 3 bits wide */
/* I/O ports below this are the PC's fixed legacy devices (DMA, PICs, PIT,
 * keyboard controller, RTC, ...): a PM1 block there means the firmware
 * never placed the chipset's PM block. QEMU q35 under U-Boot reports PM1a
 * control at io 0x4 (ICH9 PMBASE left 0), where writes power nothing off.
 * A reset register may be there (0x64 with value 0xfe is legal). */
#define PM1_IO_MIN           0x100

/* FACS (ACPI 6.5, 5.2.10): no checksum, only a signature and a length. */
#define FACS_HEADER_LEN      12    /* signature, length, hardware signature */
#define FACS_MIN_LEN         64
#define FACS_MAX_LEN         4096

/* AML opcodes (ACPI 6.5, 20.2) read by the \_S5 search. */
enum aml_op {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE = 0x0a, AML_WORD = 0x0b,
	AML_DWORD = 0x0c, AML_QWORD = 0x0e, AML_PACKAGE = 0x12, AML_ROOT = 0x5c,
	AML_PARENT = 0x5e, AML_ONES = 0xff,
};

/* The parser's state for one acpi_parse call. */
struct parser {
	const struct acpi_reader *r;
	struct acpi_info *info;
	struct acpi_table_rec spare;  /* written when info->rec is full; never read */
};

/* ---- little-endian reads and small helpers ---------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static struct acpi_gas rd_gas(const uint8_t *p)
{
	return (struct acpi_gas){ p[0], p[1], p[2], p[3], rd64(p + 4) };
}

/* printable4 - a signature fit for a message: 4 characters, others as '?'. */
static void printable4(char out[5], const char *sig)
{
	for (unsigned i = 0; i < 4; i++)
		out[i] = sig[i] >= ' ' && sig[i] < 0x7f ? sig[i] : '?';
	out[4] = '\0';
}

static uint8_t byte_sum(const uint8_t *p, uint64_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

const char *acpi_err_name(enum acpi_err e)
{
	static const char *const names[] = {
		[ACPI_OK] = "ok", [ACPI_E_ADDRESS] = "bad address", [ACPI_E_HOLE] = "hole",
		[ACPI_E_BEYOND] = "beyond memory", [ACPI_E_MEMTYPE] = "memory type",
		[ACPI_E_UNREADABLE] = "unreadable", [ACPI_E_LENGTH] = "length",
		[ACPI_E_SIGNATURE] = "signature", [ACPI_E_CHECKSUM] = "checksum",
		[ACPI_E_OVERLAP] = "overlap", [ACPI_E_CONTENT] = "content", [ACPI_E_AML] = "AML",
		[ACPI_E_UNSUPPORTED] = "unsupported",
	};
	return (unsigned)e < ARRAY_SIZE(names) && names[e] ? names[e] : "unknown";
}

static void note(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct parser *p, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	if (!p->r->note)
		return;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->r->note(p->r->ctx, msg);
}

/* ---- checks on memory in hand ------------------------------------------------ */

bool acpi_table_valid(const void *t, uint64_t avail, const char *sig, char *why, size_t size)
{
	const uint8_t *b = t;
	uint8_t sum;

	if (avail < ACPI_SDT_HEADER_LEN) {
		ksnprintf(why, size, "only %lu bytes, less than the %u-byte header", avail,
			  ACPI_SDT_HEADER_LEN);
		return false;
	}
	if (sig && memcmp(b, sig, 4) != 0) {
		ksnprintf(why, size, "signature \"%.4s\", expected \"%.4s\"", (const char *)b, sig);
		return false;
	}
	uint32_t len = rd32(b + 4);
	if (len < ACPI_SDT_HEADER_LEN || len > ACPI_TABLE_MAX || len > avail) {
		ksnprintf(why, size, "length %u outside [%u, %lu]", len, ACPI_SDT_HEADER_LEN,
			  MIN(avail, (uint64_t)ACPI_TABLE_MAX));
		return false;
	}
	if ((sum = byte_sum(b, len)) != 0) {
		ksnprintf(why, size, "checksum: bytes sum to %#x, not 0", sum);
		return false;
	}
	return true;
}

bool acpi_rsdp_valid(const void *rsdp, uint64_t avail, char *why, size_t size)
{
	const uint8_t *b = rsdp;
	uint8_t sum;

	if (avail < ACPI_RSDP_V1_LEN) {
		ksnprintf(why, size, "only %lu bytes, less than %u", avail, ACPI_RSDP_V1_LEN);
		return false;
	}
	if (memcmp(b, RSDP_SIG, 8) != 0) {
		ksnprintf(why, size, "signature is not \"%s\"", RSDP_SIG);
		return false;
	}
	if ((sum = byte_sum(b, ACPI_RSDP_V1_LEN)) != 0) {
		ksnprintf(why, size, "checksum of the first 20 bytes: sum %#x, not 0", sum);
		return false;
	}
	uint8_t rev = b[15];
	if (rev < 2)
		return true;
	uint32_t len = avail >= sizeof(struct acpi_rsdp) ? rd32(b + 20) : 0;
	if (len < sizeof(struct acpi_rsdp) || len > avail) {
		ksnprintf(why, size, "revision %u length %u outside [%zu, %lu]", rev, len,
			  sizeof(struct acpi_rsdp), avail);
		return false;
	}
	if ((sum = byte_sum(b, len)) != 0) {
		ksnprintf(why, size, "extended checksum: sum %#x, not 0", sum);
		return false;
	}
	return true;
}

/* ---- addresses against the memory map ----------------------------------------- */

static const char *refused_type_name(uint32_t type)
{
	switch (type) {
	case EFI_MMIO:        return "MMIO";
	case EFI_MMIO_PORT:   return "MMIO port space";
	case EFI_UNUSABLE:    return "unusable memory";
	case EFI_PERSISTENT:  return "persistent memory";
	case EFI_UNACCEPTED:  return "unaccepted memory";
	default:              return NULL;
	}
}

/*
 * mem_check - may [pa, pa + len) hold firmware tables? Every byte must lie
 * in a memory-map entry of an acceptable type (acpitab.h). ACPI_OK or the
 * refusal with @why.
 */
static enum acpi_err mem_check(const struct memmap *m, paddr_t pa, uint64_t len, char *why,
			       size_t size)
{
	paddr_t end = pa + len;

	if (pa == 0 || len == 0 || end < pa) {
		ksnprintf(why, size, "address %lx (+%lu bytes) is not a table address", pa, len);
		return ACPI_E_ADDRESS;
	}
	if (!m)
		return ACPI_OK;
	size_t i = 0;
	while (pa < end) {
		while (i < m->count && m->entries[i].end <= pa)
			i++;
		if (i == m->count) {
			ksnprintf(why, size, "%lx is beyond the memory map (it ends at %lx)", pa,
				  m->count ? m->entries[m->count - 1].end : 0);
			return ACPI_E_BEYOND;
		}
		const struct mem_entry *e = &m->entries[i];
		if (e->start > pa) {
			ksnprintf(why, size, "%lx is in a hole of the memory map [%lx, %lx)", pa,
				  i ? m->entries[i - 1].end : 0, e->start);
			return ACPI_E_HOLE;
		}
		const char *bad = refused_type_name(e->type);
		if (bad) {
			ksnprintf(why, size, "%lx is in %s [%lx, %lx)", pa, bad, e->start, e->end);
			return ACPI_E_MEMTYPE;
		}
		pa = e->end;
	}
	return ACPI_OK;
}

/* ---- records ---------------------------------------------------------------------- */

static struct acpi_table_rec *new_rec(struct parser *p, paddr_t pa, const char *sig,
				      enum acpi_source src)
{
	struct acpi_info *ai = p->info;
	struct acpi_table_rec *rec = ai->rec_count < ACPI_MAX_RECORDS ? &ai->rec[ai->rec_count++]
								     : &p->spare;

	memset(rec, 0, sizeof(*rec));
	rec->pa = pa;
	rec->source = (uint8_t)src;
	if (sig)
		memcpy(rec->sig, sig, 4);
	return rec;
}

/* refuse - mark @rec refused for @err and say so: "SIG at PA refused: WHY". */
static void refuse(struct parser *p, struct acpi_table_rec *rec, enum acpi_err err,
		   const char *why)
{
	rec->err = (uint8_t)err;
	p->info->bad_tables++;
	note(p, "%s at %lx refused: %s", rec->sig[0] ? rec->sig : "table", rec->pa, why);
}

/* Refuse @rec, a table of @len bytes, if it is shorter than the @need
 * bytes @what needs; true if it was refused. */
static bool refuse_short(struct parser *p, struct acpi_table_rec *rec, uint32_t len,
			 uint32_t need, const char *what)
{
	char why[ACPI_WHY_MAX];

	if (len >= need)
		return false;
	ksnprintf(why, sizeof(why), "%u bytes, %s needs %u", len, what, need);
	refuse(p, rec, ACPI_E_CONTENT, why);
	return true;
}

/* The accepted table that [pa, pa + len) overlaps, or NULL. */
static const struct acpi_table_rec *overlapping(const struct acpi_info *ai, paddr_t pa,
						uint32_t len)
{
	for (unsigned i = 0; i < ai->rec_count; i++) {
		const struct acpi_table_rec *o = &ai->rec[i];
		if (o->err == ACPI_OK && o->len && pa < o->pa + o->len && o->pa < pa + len)
			return o;
	}
	return NULL;
}

/* accept - @rec (at rec->pa, @len bytes) is good unless it overlaps one
 * accepted before; returns false after refusing it. */
static bool accept(struct parser *p, struct acpi_table_rec *rec, uint32_t len)
{
	const struct acpi_table_rec *o = overlapping(p->info, rec->pa, len);
	char why[ACPI_WHY_MAX];

	rec->len = len;
	if (o) {
		ksnprintf(why, sizeof(why), "[%lx, %lx) overlaps the %s at [%lx, %lx)", rec->pa,
			  rec->pa + len, o->sig, o->pa, o->pa + o->len);
		refuse(p, rec, ACPI_E_OVERLAP, why);
		return false;
	}
	return true;
}

/* ---- reading a table ------------------------------------------------------------- */

/*
 * map_checked - @len bytes at @pa after the memory-map check. NULL after
 * refusing @rec: @short_err when the map refuses (ACPI_E_UNREADABLE for a
 * header, ACPI_E_LENGTH for a whole table whose header was readable).
 */
static const uint8_t *map_checked(struct parser *p, struct acpi_table_rec *rec, paddr_t pa,
				  uint32_t len, enum acpi_err short_err)
{
	char why[ACPI_WHY_MAX], reason[ACPI_WHY_MAX];
	enum acpi_err e = mem_check(p->r->memmap, pa, len, why, sizeof(why));

	if (e != ACPI_OK) {
		if (short_err == ACPI_E_LENGTH) {
			ksnprintf(reason, sizeof(reason), "length %u: %s", len, why);
			memcpy(why, reason, sizeof(why));
		}
		refuse(p, rec, e, why);
		return NULL;
	}
	why[0] = '\0';
	const uint8_t *t = p->r->map(p->r->ctx, pa, len, why, sizeof(why));
	if (!t) {
		ksnprintf(reason, sizeof(reason), "%s%u bytes cannot be read: %s",
			  short_err == ACPI_E_LENGTH ? "length " : "", len, why);
		refuse(p, rec, short_err, reason);
	}
	return t;
}

static void unmap(struct parser *p, const uint8_t *t, paddr_t pa, uint32_t len)
{
	p->r->unmap(p->r->ctx, t, pa, len);
}

/*
 * read_table - map and check the table at @pa: signature @sig if non-NULL,
 * length, checksum, no overlap. Returns the mapped table (*@len bytes;
 * the caller unmaps) or NULL after refusing it. Recorded either way, in
 * *@recp.
 */
static const uint8_t *read_table(struct parser *p, paddr_t pa, const char *sig,
				 enum acpi_source src, uint32_t *len, struct acpi_table_rec **recp)
{
	struct acpi_table_rec *rec = new_rec(p, pa, sig, src);
	char why[ACPI_WHY_MAX], shown[5];

	*recp = rec;

	const uint8_t *h = map_checked(p, rec, pa, ACPI_SDT_HEADER_LEN, ACPI_E_UNREADABLE);
	if (!h)
		return NULL;
	*len = rd32(h + 4);
	char found[4];
	memcpy(found, h, 4);
	unmap(p, h, pa, ACPI_SDT_HEADER_LEN);
	printable4(shown, found);
	if (!sig)
		memcpy(rec->sig, shown, sizeof(shown));
	if (sig && memcmp(found, sig, 4) != 0) {
		ksnprintf(why, sizeof(why), "signature \"%s\", expected \"%s\"", shown, sig);
		refuse(p, rec, ACPI_E_SIGNATURE, why);
		return NULL;
	}
	if (*len < ACPI_SDT_HEADER_LEN || *len > ACPI_TABLE_MAX) {
		ksnprintf(why, sizeof(why), "length %u outside [%u, %u]", *len, ACPI_SDT_HEADER_LEN,
			  ACPI_TABLE_MAX);
		refuse(p, rec, ACPI_E_LENGTH, why);
		return NULL;
	}
	const uint8_t *t = map_checked(p, rec, pa, *len, ACPI_E_LENGTH);
	if (!t)
		return NULL;
	if (!acpi_table_valid(t, *len, sig, why, sizeof(why)))   /* the checksum is left */
		refuse(p, rec, ACPI_E_CHECKSUM, why);
	else if (accept(p, rec, *len))
		return t;
	unmap(p, t, pa, *len);
	return NULL;
}

/* ---- MADT ---------------------------------------------------------------------- */

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

static void madt_entry(struct parser *p, const uint8_t *e)
{
	struct acpi_info *ai = p->info;

	switch (e[0]) {
	case MADT_LAPIC:
		ai->cpus += (rd32(e + 4) & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)) != 0;
		break;
	case MADT_X2APIC:
		ai->cpus += (rd32(e + 8) & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)) != 0;
		break;
	case MADT_IOAPIC:
		if (ai->ioapic_count == ACPI_MAX_IOAPICS) {
			note(p, "MADT: more than %u I/O APICs, the rest ignored", ACPI_MAX_IOAPICS);
			break;
		}
		ai->ioapic[ai->ioapic_count++] = (struct acpi_ioapic){ e[2], rd32(e + 4), rd32(e + 8) };
		break;
	case MADT_OVERRIDE:
		if (ai->override_count < ACPI_MAX_OVERRIDES)
			ai->override[ai->override_count++] = (struct acpi_override){
				e[2], e[3], rd32(e + 4), rd16(e + 8) };
		break;
	case MADT_LAPIC_ADDR:
		ai->lapic_addr = rd64(e + 4);
		ai->lapic_overridden = true;
		break;
	default:
		break;
	}
}

static void parse_madt(struct parser *p, const uint8_t *t, uint32_t len)
{
	struct acpi_info *ai = p->info;

	if (len < MADT_ENTRIES_OFF) {
		note(p, "MADT of %u bytes has no room for the local APIC address", len);
		return;
	}
	ai->have_madt = true;
	ai->lapic_addr = rd32(t + MADT_LAPIC_ADDR_OFF);
	ai->madt_flags = rd32(t + MADT_FLAGS_OFF);
	for (uint32_t off = MADT_ENTRIES_OFF; off < len;) {
		unsigned type = len - off >= 2 ? t[off] : 0, elen = len - off >= 2 ? t[off + 1] : 0;
		if (elen < 2 || elen > len - off) {
			note(p, "MADT entry at offset %u has length %u (%u bytes left): the rest of the "
			     "MADT is ignored", off, elen, len - off);
			return;
		}
		if (elen < madt_min_len(type))
			note(p, "MADT entry type %u at offset %u is %u bytes, needs %u: skipped", type,
			     off, elen, madt_min_len(type));
		else
			madt_entry(p, t + off);
		off += elen;
	}
}

/* ---- HPET and MCFG ---------------------------------------------------------------- */

static void parse_hpet(struct parser *p, struct acpi_table_rec *rec, const uint8_t *t,
		       uint32_t len)
{
	struct acpi_info *ai = p->info;
	char why[ACPI_WHY_MAX];

	if (refuse_short(p, rec, len, HPET_TABLE_LEN, "the HPET description"))
		return;
	struct acpi_gas g = rd_gas(t + HPET_GAS_OFF);
	if (g.space != ACPI_SPACE_MEMORY || g.addr == 0) {
		ksnprintf(why, sizeof(why), "registers in address space %u at %lx, not in memory",
			  g.space, g.addr);
		refuse(p, rec, ACPI_E_CONTENT, why);
		return;
	}
	if (ai->have_hpet)
		return;                       /* the first HPET is the one we use */
	ai->have_hpet = true;
	ai->hpet_addr = g.addr;
	ai->hpet_number = t[HPET_NUMBER_OFF];
	ai->hpet_min_tick = rd16(t + HPET_MIN_TICK_OFF);
}

static void parse_mcfg(struct parser *p, const uint8_t *t, uint32_t len)
{
	struct acpi_info *ai = p->info;

	if (len < MCFG_ENTRIES_OFF || (len - MCFG_ENTRIES_OFF) % MCFG_ENTRY_LEN)
		note(p, "MCFG length %u is not %u + n * %u: trailing bytes ignored", len,
		     MCFG_ENTRIES_OFF, MCFG_ENTRY_LEN);
	for (uint32_t off = MCFG_ENTRIES_OFF; off + MCFG_ENTRY_LEN <= len; off += MCFG_ENTRY_LEN) {
		struct acpi_mcfg m = { rd64(t + off), rd16(t + off + 8), t[off + 10], t[off + 11] };
		if (m.bus_start > m.bus_end || !IS_ALIGNED(m.base, MiB)) {
			note(p, "MCFG entry at offset %u (base %lx, buses %u-%u): inconsistent, skipped",
			     off, m.base, m.bus_start, m.bus_end);
			continue;
		}
		if (ai->mcfg_count < ACPI_MAX_MCFG)
			ai->mcfg[ai->mcfg_count++] = m;
	}
	ai->have_mcfg = ai->mcfg_count > 0;
}

/* ---- FADT ------------------------------------------------------------------------ */

/* fadt_addr - the 64-bit X_ field at @off64 if the table has it and it is
 * not zero, else the 32-bit field at @off32, else 0 (ACPI 6.5, 5.2.9). */
static paddr_t fadt_addr(const uint8_t *t, uint32_t len, unsigned off64, unsigned off32)
{
	if (len >= off64 + 8 && rd64(t + off64))
		return rd64(t + off64);
	return len >= off32 + 4 ? rd32(t + off32) : 0;
}

/* fadt_pm1_cnt - a PM1 control block: the X_ GAS if present and non-zero,
 * else the 32-bit I/O port with PM1_CNT_LEN bytes. addr 0: absent. */
static struct acpi_gas fadt_pm1_cnt(const uint8_t *t, uint32_t len, unsigned off_gas,
				    unsigned off32)
{
	if (len >= off_gas + GAS_LEN && rd64(t + off_gas + 4))
		return rd_gas(t + off_gas);
	return (struct acpi_gas){ ACPI_SPACE_IO, (uint8_t)(t[FADT_PM1_CNT_LEN] * 8), 0, 2,
				  rd32(t + off32) };
}

static void parse_fadt(struct parser *p, struct acpi_table_rec *rec, const uint8_t *t,
		       uint32_t len)
{
	struct acpi_info *ai = p->info;

	if (refuse_short(p, rec, len, FADT_V1_LEN, "ACPI 1.0"))
		return;
	ai->have_fadt = true;
	ai->fadt_revision = t[8];
	ai->fadt_flags = rd32(t + FADT_FLAGS);
	ai->facs_addr = fadt_addr(t, len, FADT_X_FIRMWARE_CTRL, FADT_FIRMWARE_CTRL);
	ai->dsdt_addr = fadt_addr(t, len, FADT_X_DSDT, FADT_DSDT);
	ai->smi_cmd = rd32(t + FADT_SMI_CMD);
	ai->acpi_enable = t[FADT_ACPI_ENABLE];
	ai->pm1a_cnt = fadt_pm1_cnt(t, len, FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK);
	ai->pm1b_cnt = fadt_pm1_cnt(t, len, FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK);
	if (len >= FADT_RESET_VALUE + 1) {
		ai->reset_reg = rd_gas(t + FADT_RESET_REG);
		ai->reset_value = t[FADT_RESET_VALUE];
	}
}

/* check_gas - can Carto write a register of at least @bits at @g (an I/O
 * port at least @io_min)? */
static bool check_gas(const struct acpi_gas *g, const char *what, unsigned bits,
		      uint64_t io_min, char *why, size_t size)
{
	if (g->addr == 0) {
		ksnprintf(why, size, "%s: address 0", what);
		return false;
	}
	if (g->space != ACPI_SPACE_IO && g->space != ACPI_SPACE_MEMORY) {
		ksnprintf(why, size, "%s in address space %u (%s): not supported", what, g->space,
			  g->space == ACPI_SPACE_PCI_CONFIG ? "PCI configuration" : "not I/O or memory");
		return false;
	}
	if (g->space == ACPI_SPACE_IO && g->addr > 0xffff) {
		ksnprintf(why, size, "%s: I/O port %#lx beyond 0xffff", what, g->addr);
		return false;
	}
	if (g->space == ACPI_SPACE_IO && g->addr < io_min) {
		ksnprintf(why, size, "%s at io %#lx, among the legacy devices below %#lx: "
			  "the PM block was never placed", what, g->addr, io_min);
		return false;
	}
	if (g->bit_offset != 0 || (g->bit_width && g->bit_width < bits)) {
		ksnprintf(why, size, "%s: %u bits at bit %u, needs %u at bit 0", what, g->bit_width,
			  g->bit_offset, bits);
		return false;
	}
	return true;
}

/* reset_method - is the FADT's reset register usable? Sets reset_ok or
 * reset_why. */
static void reset_method(struct acpi_info *ai)
{
	char *why = ai->reset_why;
	size_t size = sizeof(ai->reset_why);

	if (!ai->have_fadt)
		ksnprintf(why, size, "no FADT");
	else if (ai->fadt_revision < 2 && !ai->reset_reg.addr)
		ksnprintf(why, size, "FADT revision %u has no reset register", ai->fadt_revision);
	else if (!(ai->fadt_flags & FADT_RESET_REG_SUP))
		ksnprintf(why, size, "the FADT's RESET_REG_SUP flag is clear");
	else if (check_gas(&ai->reset_reg, "reset register", 8, 0, why, size))
		ai->reset_ok = true;
}

/* s5_method - are \_S5 and the PM1 control blocks usable? Sets s5_ok or
 * s5_why (the \_S5 search has already filled s5_why if it failed). */
static void s5_method(struct acpi_info *ai, bool s5_found)
{
	char *why = ai->s5_why;
	size_t size = sizeof(ai->s5_why);

	if (!ai->have_fadt) {
		ksnprintf(why, size, "no FADT");
	} else if (ai->fadt_flags & FADT_HW_REDUCED) {
		ksnprintf(why, size, "hardware-reduced ACPI (sleep control register): not supported");
	} else if (!ai->dsdt_ok) {
		if (!why[0])
			ksnprintf(why, size, "no usable DSDT");
	} else if (!s5_found) {
		/* acpi_find_s5 said why */
	} else if (ai->slp_typa > SLP_TYP_MAX || ai->slp_typb > SLP_TYP_MAX) {
		ksnprintf(why, size, "SLP_TYP a=%u b=%u do not fit the 3-bit field", ai->slp_typa,
			  ai->slp_typb);
	} else if (check_gas(&ai->pm1a_cnt, "PM1a control", PM1_CNT_MIN_LEN * 8, PM1_IO_MIN, why,
			     size) &&
		   (!ai->pm1b_cnt.addr ||
		    check_gas(&ai->pm1b_cnt, "PM1b control", PM1_CNT_MIN_LEN * 8, PM1_IO_MIN, why,
			     size))) {
		ai->s5_ok = true;
		why[0] = '\0';
	}
}

/* ---- FACS and DSDT ----------------------------------------------------------------- */

static void read_facs(struct parser *p)
{
	struct acpi_info *ai = p->info;
	struct acpi_table_rec *rec = new_rec(p, ai->facs_addr, "FACS", ACPI_FROM_FADT);
	char why[ACPI_WHY_MAX];

	const uint8_t *h = map_checked(p, rec, ai->facs_addr, FACS_HEADER_LEN, ACPI_E_UNREADABLE);
	if (!h)
		return;
	char sig[4];
	memcpy(sig, h, 4);
	uint32_t len = rd32(h + 4), hw_sig = rd32(h + 8);
	unmap(p, h, ai->facs_addr, FACS_HEADER_LEN);
	if (memcmp(sig, "FACS", 4) != 0) {
		char shown[5];
		printable4(shown, sig);
		ksnprintf(why, sizeof(why), "signature \"%s\", expected \"FACS\"", shown);
		refuse(p, rec, ACPI_E_SIGNATURE, why);
		return;
	}
	if (len < FACS_MIN_LEN || len > FACS_MAX_LEN) {
		ksnprintf(why, sizeof(why), "length %u outside [%u, %u]", len, FACS_MIN_LEN,
			  FACS_MAX_LEN);
		refuse(p, rec, ACPI_E_LENGTH, why);
		return;
	}
	char mwhy[ACPI_WHY_MAX];
	if (mem_check(p->r->memmap, ai->facs_addr, len, mwhy, sizeof(mwhy)) != ACPI_OK) {
		ksnprintf(why, sizeof(why), "length %u: %s", len, mwhy);
		refuse(p, rec, ACPI_E_LENGTH, why);
		return;
	}
	if (!accept(p, rec, len))
		return;
	ai->facs_ok = true;
	ai->facs_len = len;
	ai->facs_hw_signature = hw_sig;
}

static void read_dsdt(struct parser *p)
{
	struct acpi_info *ai = p->info;
	uint32_t len;

	struct acpi_table_rec *rec;
	const uint8_t *t = read_table(p, ai->dsdt_addr, "DSDT", ACPI_FROM_FADT, &len, &rec);
	if (!t) {
		ksnprintf(ai->s5_why, sizeof(ai->s5_why), "the DSDT at %lx was refused",
			  ai->dsdt_addr);
		s5_method(ai, false);
		return;
	}
	ai->dsdt_ok = true;
	enum acpi_err e = acpi_find_s5(t + ACPI_SDT_HEADER_LEN, len - ACPI_SDT_HEADER_LEN,
				       &ai->slp_typa, &ai->slp_typb, ai->s5_why,
				       sizeof(ai->s5_why));
	unmap(p, t, ai->dsdt_addr, len);
	s5_method(ai, e == ACPI_OK);
}

/* ---- \_S5 in AML ----------------------------------------------------------------- */

/* aml_pkglength - decode the PkgLength at @a[*@pos] (ACPI 6.5, 20.2.4):
 * sets *@value and moves *@pos past it; false if cut by @end. */
static bool aml_pkglength(const uint8_t *a, uint32_t end, uint32_t *pos, uint32_t *value)
{
	uint8_t lead = a[*pos];
	unsigned follow = lead >> 6;

	if (*pos + 1 + follow > end)
		return false;
	if (follow == 0) {
		*value = lead & 0x3f;
	} else {
		*value = lead & 0x0f;
		for (unsigned i = 0; i < follow; i++)
			*value |= (uint32_t)a[*pos + 1 + i] << (4 + 8 * i);
	}
	*pos += 1 + follow;
	return true;
}

/* aml_integer - an integer constant at @a[*@pos] before @end; moves *@pos
 * past it. ACPI_OK, or ACPI_E_AML with @why. */
static enum acpi_err aml_integer(const uint8_t *a, uint32_t end, uint32_t *pos, uint64_t *v,
				 unsigned index, char *why, size_t size)
{
	unsigned n;

	if (*pos >= end) {
		ksnprintf(why, size, "\\_S5 package cut short: element %u is past its end", index);
		return ACPI_E_AML;
	}
	switch (a[*pos]) {
	case AML_ZERO:  *v = 0; *pos += 1; return ACPI_OK;
	case AML_ONE:   *v = 1; *pos += 1; return ACPI_OK;
	case AML_ONES:  *v = ~0ull; *pos += 1; return ACPI_OK;
	case AML_BYTE:  n = 1; break;
	case AML_WORD:  n = 2; break;
	case AML_DWORD: n = 4; break;
	case AML_QWORD: n = 8; break;
	default:
		ksnprintf(why, size, "\\_S5 element %u is AML opcode %#x, not an integer constant",
			  index, a[*pos]);
		return ACPI_E_AML;
	}
	if (*pos + 1 + n > end) {
		ksnprintf(why, size, "\\_S5 package cut short: element %u needs %u bytes, %u left",
			  index, 1 + n, end - *pos);
		return ACPI_E_AML;
	}
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v |= (uint64_t)a[*pos + 1 + i] << (8 * i);
	*pos += 1 + n;
	return ACPI_OK;
}

/* s5_package - the package after "_S5_" at @pos. */
static enum acpi_err s5_package(const uint8_t *a, uint32_t len, uint32_t pos, uint8_t *typa,
				uint8_t *typb, char *why, size_t size)
{
	uint32_t at = pos, plen, start;
	uint64_t v[2] = { 0, 0 };

	if (pos >= len || a[pos] != AML_PACKAGE) {
		ksnprintf(why, size, "\\_S5 at AML offset %u is not a Package (%s)", pos - 4,
			  pos >= len ? "cut off by the end" : "another opcode");
		return ACPI_E_AML;
	}
	start = ++pos;
	if (pos >= len || !aml_pkglength(a, len, &pos, &plen)) {
		ksnprintf(why, size, "\\_S5 package cut short: its PkgLength is cut off");
		return ACPI_E_AML;
	}
	if (plen > len - start) {
		ksnprintf(why, size, "\\_S5 PkgLength %u runs past the end of the DSDT (%u bytes left)",
			  plen, len - start);
		return ACPI_E_AML;
	}
	uint32_t end = start + plen;
	if (pos >= end) {
		ksnprintf(why, size, "\\_S5 package cut short: PkgLength %u leaves no element count",
			  plen);
		return ACPI_E_AML;
	}
	unsigned count = a[pos++];
	if (count == 0) {
		ksnprintf(why, size, "\\_S5 package at AML offset %u has no elements", at);
		return ACPI_E_AML;
	}
	for (unsigned i = 0; i < MIN(count, 2u); i++) {
		enum acpi_err e = aml_integer(a, end, &pos, &v[i], i, why, size);
		if (e != ACPI_OK)
			return e;
	}
	if (count == 1) {              /* both values packed in one integer */
		v[1] = (v[0] >> 8) & 0xff;
		v[0] &= 0xff;
	}
	if (v[0] > 0xff || v[1] > 0xff) {
		ksnprintf(why, size, "\\_S5 SLP_TYP values %#lx, %#lx are not bytes", v[0], v[1]);
		return ACPI_E_AML;
	}
	*typa = (uint8_t)v[0];
	*typb = (uint8_t)v[1];
	return ACPI_OK;
}

enum acpi_err acpi_find_s5(const uint8_t *aml, uint32_t len, uint8_t *typa, uint8_t *typb,
			   char *why, size_t size)
{
	unsigned mentions = 0;
	enum acpi_err first = ACPI_OK;
	char first_why[ACPI_WHY_MAX];

	for (uint32_t off = 1; len >= 4 && off <= len - 4; off++) {
		if (memcmp(aml + off, "_S5_", 4) != 0)
			continue;
		mentions++;
		uint32_t q = off;
		while (q > 0 && (aml[q - 1] == AML_ROOT || aml[q - 1] == AML_PARENT))
			q--;
		if (q == 0 || aml[q - 1] != AML_NAME)
			continue;              /* a reference, not the definition */
		enum acpi_err e = s5_package(aml, len, off + 4, typa, typb, why, size);
		if (e == ACPI_OK)
			return ACPI_OK;
		if (first == ACPI_OK) {       /* keep the first reason; a later one may be good */
			first = e;
			ksnprintf(first_why, sizeof(first_why), "%s", why);
		}
	}
	if (first != ACPI_OK) {
		ksnprintf(why, size, "%s", first_why);
		return first;
	}
	ksnprintf(why, size, "no Name(\\_S5, Package) in the DSDT (%u mentions of _S5_)", mentions);
	return ACPI_E_AML;
}

/* ---- the root ------------------------------------------------------------------- */

/* read_rsdp - check the RSDP at @pa; the root table's address and whether
 * it is an XSDT. False after refusing it. */
static bool read_rsdp(struct parser *p, paddr_t pa)
{
	struct acpi_info *ai = p->info;
	struct acpi_table_rec *rec = new_rec(p, pa, "RSDP", ACPI_FROM_HANDOFF);
	char why[ACPI_WHY_MAX];
	uint32_t len = ACPI_RSDP_V1_LEN;

	const uint8_t *b = map_checked(p, rec, pa, ACPI_RSDP_V1_LEN, ACPI_E_UNREADABLE);
	if (!b)
		return false;
	uint8_t rev = b[15];
	unmap(p, b, pa, ACPI_RSDP_V1_LEN);
	if (rev >= 2) {
		b = map_checked(p, rec, pa, sizeof(struct acpi_rsdp), ACPI_E_LENGTH);
		if (!b)
			return false;
		len = rd32(b + 20);
		unmap(p, b, pa, sizeof(struct acpi_rsdp));
		if (len < sizeof(struct acpi_rsdp) || len > RSDP_MAX_LEN) {
			ksnprintf(why, sizeof(why), "revision %u length %u outside [%zu, %u]", rev, len,
				  sizeof(struct acpi_rsdp), RSDP_MAX_LEN);
			refuse(p, rec, ACPI_E_LENGTH, why);
			return false;
		}
	}
	b = map_checked(p, rec, pa, len, ACPI_E_LENGTH);
	if (!b)
		return false;
	bool ok = acpi_rsdp_valid(b, len, why, sizeof(why));
	if (ok) {
		const struct acpi_rsdp *r = (const void *)b;
		ai->rsdp_revision = rev;
		memcpy(ai->oem_id, r->oem_id, sizeof(r->oem_id));
		ai->root_is_xsdt = rev >= 2 && r->xsdt != 0;
		ai->root_addr = ai->root_is_xsdt ? r->xsdt : r->rsdt;
	}
	unmap(p, b, pa, len);
	if (!ok) {
		refuse(p, rec, memcmp(why, "signature", 9) == 0 ? ACPI_E_SIGNATURE : ACPI_E_CHECKSUM,
		       why);
		return false;
	}
	return accept(p, rec, len);
}

/* read_root - copy the root table's entries into @entries; returns how
 * many. *@found: the root table was accepted. */
static unsigned read_root(struct parser *p, paddr_t entries[ACPI_MAX_TABLES], bool *found)
{
	struct acpi_info *ai = p->info;
	unsigned esize = ai->root_is_xsdt ? 8 : 4;
	const char *sig = ai->root_is_xsdt ? "XSDT" : "RSDT";
	uint32_t len;

	struct acpi_table_rec *rec;
	const uint8_t *t = read_table(p, ai->root_addr, sig, ACPI_FROM_RSDP, &len, &rec);
	if (!t)
		return 0;
	*found = true;
	unsigned n = (len - ACPI_SDT_HEADER_LEN) / esize;
	if ((len - ACPI_SDT_HEADER_LEN) % esize)
		note(p, "%s length %u is not %u + n * %u: trailing bytes ignored", sig, len,
		     ACPI_SDT_HEADER_LEN, esize);
	if (n > ACPI_MAX_TABLES) {
		note(p, "%s lists %u tables, only the first %u are read", sig, n, ACPI_MAX_TABLES);
		n = ACPI_MAX_TABLES;
	}
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = t + ACPI_SDT_HEADER_LEN + i * esize;
		entries[i] = esize == 8 ? rd64(e) : rd32(e);
	}
	unmap(p, t, ai->root_addr, len);
	return n;
}

/* read_entry - read and parse one table the root lists. */
static void read_entry(struct parser *p, paddr_t pa)
{
	struct acpi_info *ai = p->info;
	uint32_t len;

	struct acpi_table_rec *rec;
	const uint8_t *t = read_table(p, pa, NULL, ACPI_FROM_ROOT, &len, &rec);
	if (!t)
		return;
	if (memcmp(t, "APIC", 4) == 0 && !ai->have_madt)
		parse_madt(p, t, len);
	else if (memcmp(t, "HPET", 4) == 0)
		parse_hpet(p, rec, t, len);
	else if (memcmp(t, "MCFG", 4) == 0 && !ai->have_mcfg)
		parse_mcfg(p, t, len);
	else if (memcmp(t, "FACP", 4) == 0 && !ai->have_fadt)
		parse_fadt(p, rec, t, len);
	unmap(p, t, pa, len);
}

bool acpi_parse(const struct acpi_reader *r, paddr_t rsdp, struct acpi_info *out)
{
	struct parser p = { .r = r, .info = out };
	paddr_t entries[ACPI_MAX_TABLES];

	memset(out, 0, sizeof(*out));
	out->rsdp_addr = rsdp;
	if (!rsdp) {
		ksnprintf(out->reset_why, sizeof(out->reset_why), "no RSDP");
		ksnprintf(out->s5_why, sizeof(out->s5_why), "no RSDP");
		return false;
	}
	if (read_rsdp(&p, rsdp)) {
		out->tables = read_root(&p, entries, &out->found);
		for (unsigned i = 0; i < out->tables; i++)
			read_entry(&p, entries[i]);
	}
	if (out->facs_addr)
		read_facs(&p);
	if (out->dsdt_addr)
		read_dsdt(&p);
	else
		s5_method(out, false);
	reset_method(out);
	return out->found;
}

/* ---- the boot report's line -------------------------------------------------------- */

static const char *space_name(uint8_t space)
{
	return space == ACPI_SPACE_IO ? "io" : space == ACPI_SPACE_MEMORY ? "mem" : "space?";
}

void acpi_describe_methods(const struct acpi_info *ai, char *buf, size_t size)
{
	int n;

	if (ai->reset_ok)
		n = ksnprintf(buf, size, "reset register %s %#lx value %#04x", space_name(
				      ai->reset_reg.space), ai->reset_reg.addr, ai->reset_value);
	else
		n = ksnprintf(buf, size, "no reset register (%s)", ai->reset_why);
	if (n < 0 || (size_t)n >= size)
		return;
	if (ai->s5_ok)
		ksnprintf(buf + n, size - (size_t)n, "; S5 SLP_TYP a=%u b=%u", ai->slp_typa,
			  ai->slp_typb);
	else
		ksnprintf(buf + n, size - (size_t)n, "; no S5 (%s)", ai->s5_why);
}
