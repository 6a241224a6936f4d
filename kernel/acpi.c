/*
 * acpi.c - the kernel's reader for the ACPI table parser (acpitab.h), the
 * boot report's ACPI lines, and the ACPI reset and power-off methods
 * (acpi.h).
 */
#include "acpi.h"
#include "boot.h"
#include "console.h"
#include "cpu.h"
#include "dmap.h"
#include "klib.h"
#include "kmap.h"
#include "memmap.h"
#include "mmio.h"

#define REPORT_COLS       80     /* boot report lines fit a 640x480 screen */
#define TABLE_NAME_COLS   5      /* " FACP" */
#define METHODS_MAX       240

/* PM1 control register bits (ACPI 6.5, 4.8.3.2.1). */
#define PM1_SCI_EN        (1u << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN        (1u << 13)
#define SETTLE_PORT       0x80   /* POST-code port: each write takes about 1 us */
#define SETTLE_WRITES     100000 /* about 100 ms for a reset or power-off to act */
#define ACPI_ENABLE_POLLS 3000   /* about 3 s (1 ms each) for SCI_EN after SMI_CMD */

static struct acpi_info info;
static struct acpi_info early_info;   /* acpi_ram_ranges' pass */

/* ---- the one way to table memory ---------------------------------------------- */

enum reach {
	REACH_RAM,           /* before mmio_init: RAM only (ram_map) */
	REACH_ANY,           /* RAM through ram_map, the rest mapped read-only */
};

struct reader_ctx {
	const struct handoff *h;
	struct memmap map;
	enum reach reach;
};

static const struct mem_entry *entry_of(const struct memmap *m, paddr_t pa)
{
	for (size_t i = 0; i < m->count; i++)
		if (pa >= m->entries[i].start && pa < m->entries[i].end)
			return &m->entries[i];
	return NULL;
}

/* True if [pa, pa+len) is RAM without a gap (below DMAP_MAX_PHYS): ram_map
 * reaches it, through the direct map where that covers it, else a vmap. */
static bool in_ram(const struct memmap *m, paddr_t pa, uint64_t len)
{
	paddr_t end = pa + len;

	if (end < pa || end > DMAP_MAX_PHYS)
		return false;
	while (pa < end) {
		const struct mem_entry *e = entry_of(m, pa);
		if (!e || !mem_type_is_ram(e->type))
			return false;
		pa = e->end;
	}
	return true;
}

/* Firmware data outside RAM: WB if the memory map says it may be cached. */
static enum cache_type firmware_cache(const struct memmap *m, paddr_t pa)
{
	const struct mem_entry *e = entry_of(m, pa);

	return e && (e->attr & EFI_MEMORY_WB) ? CACHE_WB : CACHE_UC;
}

/*
 * acpi_map_table - @len bytes of table memory at @pa, readable at the
 * returned address until acpi_unmap_table, or NULL with the reason in
 * @why. RAM is read through ram_map (kmap.h: the direct map where it
 * covers the table, else a vmap, so every addressing mode works);
 * anything else, with REACH_ANY, through a read-only firmware mapping.
 * Every kernel access to ACPI table memory goes through this pair.
 */
static const void *acpi_map_table(const struct reader_ctx *c, paddr_t pa, uint32_t len,
				  char *why, size_t size)
{
	const struct resource *in_way;
	vaddr_t va;

	if (in_ram(&c->map, pa, len)) {
		const void *p = ram_map(pa, len, "ACPI table");
		if (!p)
			ksnprintf(why, size, "cannot be mapped: no room for a vmap");
		return p;
	}
	if (c->reach == REACH_RAM) {
		ksnprintf(why, size, "not in RAM");
		return NULL;
	}
	int st = mmio_map_firmware(pa, len, firmware_cache(&c->map, pa), &va, &in_way);
	if (st != E_OK) {
		ksnprintf(why, size, "cannot be mapped: %s%s%s%s", status_name(st),
			  in_way ? " (overlaps \"" : "", in_way ? in_way->owner : "",
			  in_way ? "\")" : "");
		return NULL;
	}
	return (const void *)va;
}

/* acpi_unmap_table - give back what acpi_map_table returned for @len bytes. */
static void acpi_unmap_table(const void *p, uint32_t len)
{
	vaddr_t va = (vaddr_t)p;

	if (va >= MMIO_BASE && va < MMIO_END)
		mmio_unmap(va);
	else
		ram_unmap((void *)p, len);
}

static const void *reader_map(void *ctx, paddr_t pa, uint32_t len, char *why, size_t size)
{
	return acpi_map_table(ctx, pa, len, why, size);
}

static void reader_unmap(void *ctx, const void *p, paddr_t pa, uint32_t len)
{
	acpi_unmap_table(p, len);
}

/* print_wrapped - "acpi: " and @text, broken at blanks into lines of at
 * most REPORT_COLS (continued with an indent): the boot report fits a
 * 640x480 screen. A word longer than a line is printed whole. */
static void print_wrapped(const char *text)
{
	static const char prefix[] = "acpi: ", indent[] = "  ";
	size_t col = sizeof(prefix) - 1;

	kputs(prefix);
	for (const char *s = text; *s;) {
		size_t word = 0;
		while (s[word] && s[word] != ' ')
			word++;
		if (s != text && col + 1 + word > REPORT_COLS) {
			kputs("\n");
			kputs(indent);
			col = sizeof(indent) - 1;
		} else if (s != text) {
			kputs(" ");
			col++;
		}
		console_write(s, word);
		col += word;
		s += word;
		while (*s == ' ')
			s++;
	}
	kputs("\n");
}

static void reader_note(void *ctx, const char *msg)
{
	print_wrapped(msg);
}

static void parse(const struct handoff *h, enum reach reach, struct acpi_info *out)
{
	struct reader_ctx c = { h, boot_memmap(h), reach };
	struct acpi_reader r = { reader_map, reader_unmap,
				 reach == REACH_ANY ? reader_note : NULL, &c.map, &c };

	acpi_parse(&r, h->rsdp, out);
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

size_t acpi_ram_ranges(const struct handoff *h, struct range *out, size_t max,
		       size_t *dropped)
{
	struct ram_ranges s = { out, 0, max, 0 };

	*dropped = 0;
	parse(h, REACH_RAM, &early_info);
	for (unsigned i = 0; i < early_info.rec_count; i++) {
		const struct acpi_table_rec *t = &early_info.rec[i];
		if (t->err == ACPI_OK)   /* read in the RAM-only pass: in RAM */
			note_pages(&s, t->pa, t->len);
	}
	*dropped = s.dropped;
	return s.n;
}

/* ---- the boot report ----------------------------------------------------------- */

/* print_table_names - "acpi: N tables: FACP APIC ..." for the root's
 * accepted entries, continued on indented lines so none is wider than
 * REPORT_COLS: the boot report fits a 640x480 screen. */
static void print_table_names(void)
{
	int col = kprintf("acpi: %u tables:", info.tables);

	for (unsigned i = 0; i < info.rec_count; i++) {
		const struct acpi_table_rec *t = &info.rec[i];
		if (t->source != ACPI_FROM_ROOT || t->err != ACPI_OK)
			continue;
		if (col + TABLE_NAME_COLS > REPORT_COLS) {
			kputs("\n ");
			col = 1;
		}
		col += kprintf(" %s", t->sig);
	}
	kputs("\n");
}

/* print_methods - the reset and power-off line, as two ("reset ...;" and
 * "S5 ...") when one would not fit REPORT_COLS. */
static void print_methods(char *methods)
{
	char *split = strlen("acpi: ") + strlen(methods) > REPORT_COLS ? methods : NULL;

	while (split && *split && !(split[0] == ';' && split[1] == ' '))
		split++;
	if (!split || !*split) {
		print_wrapped(methods);
		return;
	}
	split[1] = '\0';
	print_wrapped(methods);
	print_wrapped(split + 2);
}

void acpi_init(const struct handoff *h)
{
	char methods[METHODS_MAX];

	memset(&info, 0, sizeof(info));
	if (!h->rsdp) {
		kprintf("acpi: the firmware gave no RSDP: no MADT, HPET or MCFG\n");
		return;
	}
	parse(h, REACH_ANY, &info);
	if (info.found) {
		kprintf("acpi: RSDP rev %u at %lx, OEM \"%s\", %s at %lx\n", info.rsdp_revision,
			h->rsdp, info.oem_id, info.root_is_xsdt ? "XSDT" : "RSDT", info.root_addr);
		print_table_names();
	}
	if (info.facs_ok) {
		struct memmap m = boot_memmap(h);
		kprintf("acpi: FACS at %lx (%s), %u bytes, hardware signature %#x\n",
			info.facs_addr, in_ram(&m, info.facs_addr, info.facs_len) ?
			"RAM" : "read-only map", info.facs_len, info.facs_hw_signature);
	}
	acpi_describe_methods(&info, methods, sizeof(methods));
	print_methods(methods);
	if (info.bad_tables)
		kprintf("acpi: %u tables refused (see above)\n", info.bad_tables);
}

const struct acpi_info *acpi_get(void)
{
	return &info;
}

/* ---- reset and power-off ------------------------------------------------------ */

/* settle - wait about 100 ms for a reset or power-off to take effect. */
static void settle(void)
{
	for (unsigned i = 0; i < SETTLE_WRITES; i++)
		outb(SETTLE_PORT, 0);
}

/* A register of a GAS in I/O or memory space (acpitab.h checked which). */
struct reg {
	const struct acpi_gas *g;
	vaddr_t va;                   /* memory space: the mapping */
};

static bool reg_open(struct reg *r, const struct acpi_gas *g, const char *owner)
{
	r->g = g;
	r->va = 0;
	if (g->space == ACPI_SPACE_IO)
		return true;
	r->va = mmio_map(g->addr, 2, CACHE_UC, owner);
	if (!r->va)
		kprintf("acpi: cannot map the %s at %lx\n", owner, g->addr);
	return r->va != 0;
}

static void reg_close(struct reg *r)
{
	if (r->va)
		mmio_unmap(r->va);
}

static uint16_t reg_read16(const struct reg *r)
{
	return r->va ? *(volatile uint16_t *)r->va : inw((uint16_t)r->g->addr);
}

static void reg_write16(const struct reg *r, uint16_t v)
{
	if (r->va)
		*(volatile uint16_t *)r->va = v;
	else
		outw((uint16_t)r->g->addr, v);
}

bool acpi_can_reset(void)
{
	return info.reset_ok;
}

void acpi_reset(void)
{
	struct reg r;

	if (!info.reset_ok) {
		kprintf("acpi: no reset register: %s\n", info.reset_why);
		return;
	}
	if (!reg_open(&r, &info.reset_reg, "ACPI reset register"))
		return;
	kprintf("acpi: reset: writing %#x to the reset register (%s %#lx)\n", info.reset_value,
		info.reset_reg.space == ACPI_SPACE_IO ? "io" : "mem", info.reset_reg.addr);
	cli();
	if (r.va)
		*(volatile uint8_t *)r.va = info.reset_value;
	else
		outb((uint16_t)info.reset_reg.addr, info.reset_value);
	settle();
	reg_close(&r);
	kprintf("acpi: reset: the machine did not reset\n");
}

bool acpi_can_poweroff(void)
{
	return info.s5_ok;
}

/* acpi_mode_on - if SCI_EN is clear, ask the firmware for ACPI mode
 * through SMI_CMD and wait for SCI_EN (ACPI 6.5, 4.8.2.1). */
static void acpi_mode_on(const struct reg *pm1a)
{
	if (reg_read16(pm1a) & PM1_SCI_EN)
		return;
	if (!info.smi_cmd || !info.acpi_enable || info.smi_cmd > 0xffff) {
		kprintf("acpi: SCI_EN is clear and the FADT gives no way to set it\n");
		return;
	}
	outb((uint16_t)info.smi_cmd, info.acpi_enable);
	for (unsigned i = 0; i < ACPI_ENABLE_POLLS && !(reg_read16(pm1a) & PM1_SCI_EN); i++)
		for (unsigned j = 0; j < SETTLE_WRITES / 100; j++)
			outb(SETTLE_PORT, 0);
	if (!(reg_read16(pm1a) & PM1_SCI_EN))
		kprintf("acpi: SCI_EN still clear after ACPI_ENABLE\n");
}

/* Set SLP_TYP = @typ in the PM1 control register @r, then SLP_EN. */
static void pm1_sleep_type(const struct reg *r, uint8_t typ)
{
	uint16_t v = reg_read16(r) & (uint16_t)~(PM1_SLP_TYP_MASK | PM1_SLP_EN);

	reg_write16(r, (uint16_t)(v | typ << PM1_SLP_TYP_SHIFT));
}

static void pm1_sleep_enable(const struct reg *r)
{
	reg_write16(r, (uint16_t)(reg_read16(r) | PM1_SLP_EN));
}

void acpi_poweroff(void)
{
	struct reg a, b = { NULL, 0 };
	bool have_b = info.pm1b_cnt.addr != 0;

	if (!info.s5_ok) {
		kprintf("acpi: no S5 power-off: %s\n", info.s5_why);
		return;
	}
	if (!reg_open(&a, &info.pm1a_cnt, "ACPI PM1a control"))
		return;
	if (have_b && !reg_open(&b, &info.pm1b_cnt, "ACPI PM1b control")) {
		reg_close(&a);
		return;
	}
	kprintf("acpi: power-off: S5 (SLP_TYP a=%u b=%u) through PM1a control %s %#lx\n",
		info.slp_typa, info.slp_typb, info.pm1a_cnt.space == ACPI_SPACE_IO ? "io" : "mem",
		info.pm1a_cnt.addr);
	cli();
	acpi_mode_on(&a);
	pm1_sleep_type(&a, info.slp_typa);
	if (have_b)
		pm1_sleep_type(&b, info.slp_typb);
	pm1_sleep_enable(&a);
	if (have_b)
		pm1_sleep_enable(&b);
	settle();
	reg_close(&a);
	if (have_b)
		reg_close(&b);
	kprintf("acpi: power-off: the machine is still running\n");
}
