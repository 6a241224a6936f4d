/*
 * mmio.c - self-tests of device mappings on the real page tables
 * and devices: RAM is refused, conflicting claims name the owner, unmap
 * gives everything back, PTEs carry the right PAT bits, a write through a
 * read-only mapping faults, the devices answer plausibly, and bad ACPI
 * tables are refused.
 *
 * Scratch physical ranges come from a gap in the registry above 4 GiB and
 * below the CPU's physical address width: nothing claims them and these
 * tests never touch them, they only map and unmap.
 */
#include "acpi.h"
#include "arch.h"
#include "console.h"
#include "devices.h"
#include "cpu.h"
#include "klib.h"
#include "kspace.h"
#include "mmio.h"
#include "selftest.h"

#define CPUID_EXT_MAX       0x80000000u
#define CPUID_ADDR_SIZES    0x80000008u   /* EAX 7:0: physical address bits */
#define DEFAULT_PHYS_BITS   36

static const char owner_a[] = "selftest device A";
static const char owner_b[] = "selftest device B";

/* A free, unclaimed physical range of @size bytes aligned to @align. */
static paddr_t scratch_phys(uint64_t size, uint64_t align)
{
	unsigned bits = DEFAULT_PHYS_BITS;
	paddr_t pa = 0;

	if (cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_ADDR_SIZES)
		bits = cpuid(CPUID_ADDR_SIZES, 0).eax & 0xff;
	struct range within = { 4 * GiB, 1ull << bits };
	if (!mmio_registry() ||
	    resource_find_gap(mmio_registry(), size, align, within, &pa) != E_OK)
		return 0;
	return pa;
}

static bool registry_ready(void)
{
	return ST_CHECK(mmio_registry() != NULL, "mmio_init has not run (kernel/main.c must call it)");
}

/* The leaf entry and level that map @va in the kernel's tables. */
static uint64_t leaf_of(vaddr_t va, unsigned *level)
{
	struct pt_walk w;

	pt_walk(kernel_space(), va, &w);
	if (w.depth == 0 || !(w.entry[w.depth - 1] & PTE_P))
		return 0;
	*level = w.level[w.depth - 1];
	return w.entry[w.depth - 1];
}

SELFTEST(mmio_ram_refused)
{
	const struct handoff *h = selftest_handoff();
	const struct resource *in_way = NULL;
	vaddr_t va = 0;

	if (!registry_ready() || !ST_CHECK(h && h->segment_count, "no hand-off"))
		return;
	unsigned before = mmio_mapping_count();
	size_t nodes = mmio_registry()->used;
	paddr_t kernel_pa = h->segments[0].pa;
	int st = mmio_try_map(kernel_pa, PAGE_SIZE, CACHE_UC, owner_a, &va, &in_way);
	ST_CHECK(st == E_PERM, "UC mapping of the kernel's own RAM at %lx: %s", kernel_pa,
		 status_name(st));
	ST_CHECK(in_way && strcmp(in_way->owner, RESOURCE_RAM_OWNER) == 0,
		 "the refusal names \"%s\"", in_way ? in_way->owner : "(nothing)");

	/* A range that only starts in RAM is refused too. */
	const struct resource *ram = resource_find(mmio_registry(), kernel_pa);
	if (ST_CHECK(ram != NULL, "kernel RAM not in the registry")) {
		st = mmio_try_map(ram->range.end - PAGE_SIZE, 2 * PAGE_SIZE, CACHE_WC, owner_a, &va,
				  &in_way);
		ST_CHECK(st == E_PERM, "straddling the end of RAM at %lx: %s", ram->range.end,
			 status_name(st));
	}
	st = mmio_map_firmware(kernel_pa, PAGE_SIZE, CACHE_WB, &va, &in_way);
	ST_CHECK(st == E_PERM, "read-only firmware mapping of RAM: %s", status_name(st));
	ST_CHECK(mmio_mapping_count() == before && mmio_registry()->used == nodes,
		 "refusals left mappings (%u -> %u) or claims (%zu -> %zu)", before,
		 mmio_mapping_count(), nodes, mmio_registry()->used);
}

SELFTEST(mmio_conflict_names_owner)
{
	const struct resource *in_way = NULL;
	vaddr_t va = 0, vb = 0;

	if (!registry_ready())
		return;
	paddr_t pa = scratch_phys(4 * PAGE_SIZE, PAGE_SIZE);
	if (!ST_CHECK(pa != 0, "no free physical range for the test"))
		return;
	pa += PAGE_SIZE;   /* a free page on either side */
	int st = mmio_try_map(pa, 2 * PAGE_SIZE, CACHE_UC, owner_a, &va, &in_way);
	if (!ST_CHECK(st == E_OK, "claim of scratch %lx: %s", pa, status_name(st)))
		return;
	static const struct { int64_t start, size; const char *what; } tries[] = {
		{ 0, 2 * PAGE_SIZE, "exact" },
		{ -(int64_t)PAGE_SIZE, 2 * PAGE_SIZE, "lower edge" },
		{ PAGE_SIZE, 2 * PAGE_SIZE, "upper edge" },
		{ 0x10, 0x20, "inside" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tries); i++) {
		st = mmio_try_map(pa + tries[i].start, tries[i].size, CACHE_UC, owner_b, &vb,
				  &in_way);
		ST_CHECK(st == E_BUSY && in_way && in_way->owner == owner_a,
			 "%s overlap: %s, naming \"%s\"", tries[i].what, status_name(st),
			 in_way ? in_way->owner : "(nothing)");
	}
	ST_CHECK(mmio_unmap(va) == E_OK, "unmap");

	/* The machine's own devices, claimed by devices_init. */
	const struct devices *d = devices_get();
	if (ST_CHECK(d->lapic, "local APIC not mapped (devices_init not run?)")) {
		st = mmio_try_map(d->lapic_pa, PAGE_SIZE, CACHE_UC, owner_b, &vb, &in_way);
		ST_CHECK(st == E_BUSY && in_way && strcmp(in_way->owner, OWNER_LAPIC) == 0,
			 "second LAPIC claim: %s naming \"%s\"", status_name(st),
			 in_way ? in_way->owner : "(nothing)");
	}
	if (ST_CHECK(d->hpet, "HPET not mapped")) {
		st = mmio_try_map(d->hpet_pa + 0xf0, 8, CACHE_UC, owner_b, &vb, &in_way);
		ST_CHECK(st == E_BUSY && in_way && strcmp(in_way->owner, OWNER_HPET) == 0,
			 "second HPET claim: %s naming \"%s\"", status_name(st),
			 in_way ? in_way->owner : "(nothing)");
		/* mmio_map, the path drivers take, refuses too and says why on
		 * the console (the boot once showed this to every reader). */
		kprintf("# mmio_map: a second owner asks for the HPET's registers:\n");
		vb = mmio_map(d->hpet_pa, PAGE_SIZE, CACHE_UC, "HPET (second driver)");
		ST_CHECK(vb == 0, "mmio_map granted a second HPET claim at %lx", vb);
		if (vb)
			mmio_unmap(vb);
	}
}

SELFTEST(mmio_unmap_then_remap)
{
	paddr_t got;
	vaddr_t va = 0, va2 = 0;

	if (!registry_ready())
		return;
	paddr_t pa = scratch_phys(3 * PAGE_SIZE, PAGE_SIZE);
	unsigned before = mmio_mapping_count();
	if (!ST_CHECK(pa, "no free physical range") ||
	    !ST_CHECK(mmio_try_map(pa + 0x123, 2 * PAGE_SIZE, CACHE_UC, owner_a, &va, NULL) == E_OK,
		      "first map"))
		return;
	ST_CHECK((va & (PAGE_SIZE - 1)) == 0x123, "the page offset is kept: %lx", va);
	ST_CHECK(va >= MMIO_BASE && va < MMIO_END, "%lx is outside the MMIO region", va);
	got = 0;
	int st = pt_translate(kernel_space(), va + PAGE_SIZE, &got, NULL, NULL);
	ST_CHECK(st == E_OK && got == pa + 0x123 + PAGE_SIZE, "translation %s %lx", status_name(st),
		 got);
	const struct resource *r = resource_find(mmio_registry(), pa + PAGE_SIZE * 2);
	ST_CHECK(r && r->owner == owner_a && r->range.start == pa && r->range.end == pa + 3 * PAGE_SIZE,
		 "claimed whole pages [%lx, %lx)", r ? r->range.start : 0, r ? r->range.end : 0);
	ST_CHECK(mmio_va_of(pa + 0x200) == va - 0x123 + 0x200, "mmio_va_of");

	ST_CHECK(mmio_unmap(va + 0x800) == E_OK, "unmap by an address inside the mapping");
	ST_CHECK(pt_translate(kernel_space(), va, &got, NULL, NULL) == E_NOENT, "still mapped");
	ST_CHECK(resource_find(mmio_registry(), pa) == NULL, "still claimed");
	ST_CHECK(mmio_mapping_count() == before, "mapping count %u, want %u",
		 mmio_mapping_count(), before);
	ST_CHECK(mmio_unmap(va) == E_NOENT, "a second unmap finds nothing");
	ST_CHECK(mmio_unmap(MMIO_END - PAGE_SIZE) == E_NOENT, "unmapping a never-mapped address");

	ST_CHECK(mmio_try_map(pa, PAGE_SIZE, CACHE_UC, owner_b, &va2, NULL) == E_OK,
		 "the range can be claimed again by another owner");
	ST_CHECK(va2 == va - 0x123, "the freed virtual range is reused (%lx, was %lx)", va2,
		 va - 0x123);
	ST_CHECK(mmio_unmap(va2) == E_OK, "second unmap");
}

SELFTEST(mmio_firmware_mapping_readonly)
{
	const struct resource *in_way = NULL;
	vaddr_t va = 0, vb = 0;
	uint32_t flags = MAP_WRITE;
	paddr_t got;

	if (!registry_ready())
		return;
	unsigned before = mmio_mapping_count();
	size_t nodes = mmio_registry()->used;
	paddr_t pa = scratch_phys(2 * PAGE_SIZE, PAGE_SIZE);
	int st = pa ? mmio_map_firmware(pa + 8, 16, CACHE_WB, &va, &in_way) : E_NOENT;
	if (!ST_CHECK(st == E_OK, "firmware mapping of scratch %lx: %s", pa, status_name(st)))
		return;
	st = pt_translate(kernel_space(), va, &got, NULL, &flags);
	ST_CHECK(st == E_OK && got == pa + 8 && !(flags & (MAP_WRITE | MAP_EXEC)) &&
		 MAP_CACHE_OF(flags) == CACHE_WB, "%s: %lx flags %#x", status_name(st), got, flags);
	ST_CHECK(mmio_registry()->used == nodes && resource_find(mmio_registry(), pa) == NULL,
		 "a firmware mapping made a claim");
	ST_CHECK(mmio_mapping_count() == before + 1, "mapping not counted");
	ST_CHECK(mmio_unmap(va) == E_OK && mmio_mapping_count() == before, "unmap");

	if (ST_CHECK(mmio_try_map(pa, PAGE_SIZE, CACHE_UC, owner_a, &vb, NULL) == E_OK, "claim")) {
		st = mmio_map_firmware(pa, PAGE_SIZE, CACHE_WB, &va, &in_way);
		ST_CHECK(st == E_BUSY && in_way && in_way->owner == owner_a,
			 "firmware mapping of a device's range: %s", status_name(st));
		mmio_unmap(vb);
	}
	const struct acpi_info *ai = acpi_get();
	ST_CHECK(!ai->facs_addr || ai->facs_ok, "the FACS at %lx was refused at boot",
		 ai->facs_addr);
}

SELFTEST(mmio_pte_cache_bits)
{
	const struct devices *d = devices_get();
	uint32_t flags;
	unsigned level = 0;
	paddr_t got;
	uint64_t size;

	if (!registry_ready())
		return;
	ST_CHECK(rdmsr(MSR_PAT) == PAT_MSR_VALUE, "PAT MSR %lx", rdmsr(MSR_PAT));
	if (ST_CHECK(d->lapic, "local APIC not mapped")) {
		uint64_t pte = leaf_of(d->lapic, &level);
		ST_CHECK(level == PT_LEVEL_4K && (pte & PTE_PCD) && (pte & PTE_PWT) &&
			 !(pte & PTE_PAT4K), "LAPIC PTE %lx at level %u: want PCD PWT, no PAT (UC)",
			 pte, level);
		ST_CHECK((pte & PTE_NX) && (pte & PTE_W) && (pte & PTE_G), "LAPIC PTE %lx: NX W G",
			 pte);
		got = flags = 0;
		int st = pt_translate(kernel_space(), d->lapic, &got, NULL, &flags);
		ST_CHECK(st == E_OK && MAP_CACHE_OF(flags) == CACHE_UC && got == d->lapic_pa,
			 "LAPIC translates (%s) to %lx as %s", status_name(st), got,
			 cache_type_name(MAP_CACHE_OF(flags)));
	}

	/* A 2 MiB write-combining mapping: one large leaf with the PAT bit. */
	paddr_t pa = scratch_phys(PAGE_SIZE_2M, PAGE_SIZE_2M);
	vaddr_t va = 0;
	if (!ST_CHECK(pa && mmio_try_map(pa, PAGE_SIZE_2M, CACHE_WC, owner_a, &va, NULL) == E_OK,
		      "2 MiB WC map of %lx", pa))
		return;
	uint64_t pte = leaf_of(va, &level);
	ST_CHECK(level == PT_LEVEL_2M && (pte & PTE_PS) && (pte & PTE_PATLG) &&
		 !(pte & (PTE_PCD | PTE_PWT)), "WC 2M PTE %lx at level %u: want PS PAT, no PCD PWT",
		 pte, level);
	size = flags = 0;
	int st = pt_translate(kernel_space(), va, &got, &size, &flags);
	ST_CHECK(st == E_OK && MAP_CACHE_OF(flags) == CACHE_WC && size == PAGE_SIZE_2M,
		 "translate: %s, %s, %lu-byte page", status_name(st),
		 cache_type_name(MAP_CACHE_OF(flags)), size);
	mmio_unmap(va);

	/* A 4 KiB WC page: PAT is bit 7 at level 1. */
	if (mmio_try_map(pa, PAGE_SIZE, CACHE_WC, owner_a, &va, NULL) == E_OK) {
		pte = leaf_of(va, &level);
		ST_CHECK(level == PT_LEVEL_4K && (pte & PTE_PAT4K) && !(pte & (PTE_PCD | PTE_PWT)),
			 "WC 4K PTE %lx at level %u", pte, level);
		mmio_unmap(va);
	}
}

SELFTEST(mmio_framebuffer_is_wc)
{
	const struct handoff *h = selftest_handoff();
	uint32_t flags;
	paddr_t got;

	if (!registry_ready() || !h || h->fb.format == FB_NONE || h->fb.format == FB_BLT_ONLY)
		return;   /* no framebuffer: nothing to check, and nothing claimed */
	const struct resource *r = resource_find(mmio_registry(), h->fb.base);
	ST_CHECK(r && strcmp(r->owner, "framebuffer") == 0 && r->cache == CACHE_WC,
		 "framebuffer at %lx claimed by \"%s\" as %s", h->fb.base, r ? r->owner : "nobody",
		 r ? cache_type_name(r->cache) : "-");
	vaddr_t va = mmio_va_of(h->fb.base);
	flags = 0;
	int st = va ? pt_translate(kernel_space(), va, &got, NULL, &flags) : E_NOENT;
	ST_CHECK(st == E_OK && MAP_CACHE_OF(flags) == CACHE_WC, "framebuffer mapping at %lx: %s, %s",
		 va, status_name(st), cache_type_name(MAP_CACHE_OF(flags)));
}

/* ---- a write through a read-only mapping ------------------------------------- */

static uint8_t scratch_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

SELFTEST(mmio_readonly_write_faults)
{
	struct pt_space *as = kernel_space();
	const vaddr_t alias = TEMPMAP_BASE;
	paddr_t pa, got;
	uint32_t flags;

	if (!ST_CHECK(pt_translate(as, (vaddr_t)scratch_page, &pa, NULL, NULL) == E_OK,
		      "scratch page not mapped") ||
	    !ST_CHECK(pt_translate(as, alias, &got, NULL, NULL) == E_NOENT,
		      "%lx (temporary-mapping region) is already in use", alias))
		return;
	int st = pt_map(as, alias, pa, PAGE_SIZE, MAP_READ | MAP_CACHE(CACHE_WB));
	if (!ST_CHECK(st == E_OK, "read-only alias: %s", status_name(st)))
		return;
	flags = MAP_WRITE;
	st = pt_translate(as, alias, &got, NULL, &flags);
	ST_CHECK(st == E_OK && !(flags & MAP_WRITE), "alias: %s, flags %#x", status_name(st), flags);
	scratch_page[8] = 0x5a;
	ST_CHECK(((volatile uint8_t *)alias)[8] == 0x5a, "the alias reads what was written");

	const struct st_caught *c = st_try_write(alias + 8, 0xa5a5a5a5a5a5a5a5ull);
	ST_CHECK(c->hits == 1 && c->vector == VEC_PF, "hits %u vector %lu", c->hits, c->vector);
	ST_CHECK(c->error == (PF_ERR_P | PF_ERR_W), "error %#lx: want protection, write", c->error);
	ST_CHECK(c->cr2 == alias + 8, "CR2 %lx", c->cr2);
	ST_CHECK(scratch_page[8] == 0x5a, "the write went through: %#x", scratch_page[8]);
	ST_CHECK(pt_unmap(as, alias, PAGE_SIZE) == E_OK &&
		 pt_translate(as, alias, &got, NULL, NULL) == E_NOENT, "alias unmapped");
}

/* ---- the devices -------------------------------------------------------------- */

SELFTEST(lapic_version_plausible)
{
	const struct devices *d = devices_get();

	if (!ST_CHECK(d->lapic, "local APIC not mapped"))
		return;
	uint32_t ver = d->lapic_x2apic ? d->lapic_version :
		       mmio_read32(d->lapic + LAPIC_REG_VERSION);
	unsigned lvt = ((ver >> 16) & 0xff) + 1;
	/* Integrated APICs report 0x1X; every one has at least 4 LVT entries. */
	ST_CHECK((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x1f, "version %#x", ver & 0xff);
	ST_CHECK(lvt >= 4 && lvt <= 7, "%u LVT entries", lvt);
	ST_CHECK(ver == d->lapic_version, "version register changed: %#x then %#x",
		 d->lapic_version, ver);
	uint32_t initial_id = cpuid(1, 0).ebx >> 24;
	ST_CHECK((d->lapic_id >> 24) == initial_id, "APIC ID %u, CPUID says %u", d->lapic_id >> 24,
		 initial_id);
}

SELFTEST(ioapic_and_hpet_plausible)
{
	const struct devices *d = devices_get();

	if (ST_CHECK(d->ioapic_count > 0, "no I/O APIC mapped")) {
		uint32_t v = d->ioapic_version[0];
		ST_CHECK(v != 0xffffffffu && ((v >> 16) & 0xff) + 1 >= 16,
			 "I/O APIC version register %#x", v);
	}
	if (!ST_CHECK(d->hpet && d->hpet_period_fs, "HPET not mapped or no period"))
		return;
	ST_CHECK(d->hpet_period_fs <= HPET_MAX_PERIOD_FS, "period %lu fs", d->hpet_period_fs);
	uint64_t c0 = mmio_read64(d->hpet + HPET_REG_COUNTER);
	for (volatile int i = 0; i < 100000; i++)
		;
	uint64_t c1 = mmio_read64(d->hpet + HPET_REG_COUNTER);
	ST_CHECK(c1 != c0, "HPET counter stuck at %lx", c0);
	ST_CHECK(d->tsc_hz > 10000000ull && d->tsc_hz < 100000000000ull, "TSC %lu Hz", d->tsc_hz);
}

SELFTEST(pci_bus0_enumerated)
{
	const struct devices *d = devices_get();
	const struct acpi_info *ai = acpi_get();

	ST_CHECK(d->pci_functions > 0, "no function found on bus 0");
	if (!ai->have_mcfg) {
		ST_CHECK(d->pci_bus0 == 0, "ECAM mapped without an MCFG");
		kprintf("# no MCFG on this machine: bus 0 was read through I/O ports\n");
		return;
	}
	if (!ST_CHECK(d->pci_bus0, "MCFG present but PCI bus 0 config space not mapped"))
		return;
	ST_CHECK((mmio_read32(d->pci_bus0) & 0xffff) != 0xffff, "no host bridge at 00:00.0");
	const struct resource *r = resource_find(mmio_registry(), d->pci_bus0_pa);
	ST_CHECK(r && strcmp(r->owner, OWNER_PCI_BUS0) == 0 && r->parent &&
		 strcmp(r->parent->owner, OWNER_ECAM) == 0,
		 "bus 0 nests in the ECAM window: \"%s\" in \"%s\"", r ? r->owner : "-",
		 r && r->parent ? r->parent->owner : "-");
}

/* ---- containers, slots ------------------------------------------------------------ */

SELFTEST(mmio_window_subdivided)
{
	static const char bus[] = "selftest bus";
	struct resource *win = NULL;
	const struct resource *in_way = NULL;
	vaddr_t va = 0, vb = 0;

	if (!registry_ready())
		return;
	paddr_t pa = scratch_phys(4 * MiB, PAGE_SIZE);
	if (!ST_CHECK(pa && mmio_claim_window(pa, 2 * MiB, bus, &win) == E_OK, "window at %lx", pa))
		return;
	ST_CHECK(mmio_try_map(pa + MiB, PAGE_SIZE, CACHE_UC, owner_a, &va, NULL) == E_OK,
		 "a device inside the window");
	int st = mmio_try_map(pa + 2 * MiB - PAGE_SIZE, 2 * PAGE_SIZE, CACHE_UC, owner_b, &vb,
			      &in_way);
	ST_CHECK(st == E_BUSY && in_way == win, "crossing the window's edge: %s naming \"%s\"",
		 status_name(st), in_way ? in_way->owner : "-");
	ST_CHECK(resource_release(mmio_registry(), win) == E_BUSY,
		 "a window with a device in it was released");
	ST_CHECK(mmio_unmap(va) == E_OK && resource_release(mmio_registry(), win) == E_OK,
		 "device unmapped, window released");
}

SELFTEST(mmio_slots_exhausted_cleanly)
{
	static vaddr_t got[MMIO_MAX_MAPPINGS + 1];
	unsigned n = 0, before = mmio_mapping_count();
	int st = E_OK;

	if (!registry_ready())
		return;
	size_t nodes = mmio_registry()->used;
	paddr_t pa = scratch_phys((MMIO_MAX_MAPPINGS + 1) * PAGE_SIZE, PAGE_SIZE);
	if (!ST_CHECK(pa, "no free physical range"))
		return;
	while (n <= MMIO_MAX_MAPPINGS) {
		st = mmio_try_map(pa + n * PAGE_SIZE, PAGE_SIZE, CACHE_UC, owner_a, &got[n], NULL);
		if (st != E_OK)
			break;
		n++;
	}
	ST_CHECK(st == E_NOMEM && before + n == MMIO_MAX_MAPPINGS,
		 "after %u maps (with %u before): %s", n, before, status_name(st));
	ST_CHECK(resource_find(mmio_registry(), pa + n * PAGE_SIZE) == NULL,
		 "the refused map left its claim behind");
	while (n > 0) {
		n--;
		ST_CHECK(mmio_unmap(got[n]) == E_OK, "unmap %u", n);
	}
	ST_CHECK(mmio_mapping_count() == before && mmio_registry()->used == nodes,
		 "all given back: %u mappings, %zu nodes", mmio_mapping_count(),
		 mmio_registry()->used);
}

/* ---- ACPI checks ------------------------------------------------------------------- */

/* True if @needle occurs in @s (klib has no strstr). */
static bool contains_text(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++)
		if (strncmp(s, needle, n) == 0)
			return true;
	return false;
}

static void fix_checksum(uint8_t *t, size_t len, size_t at)
{
	uint8_t sum = 0;

	t[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	t[at] = (uint8_t)-sum;
}

SELFTEST(acpi_bad_tables_refused)
{
	uint8_t t[64];
	struct acpi_sdt *h = (struct acpi_sdt *)t;
	struct acpi_rsdp r;
	char why[96];

	memset(t, 0x11, sizeof(t));
	memcpy(h->signature, "TEST", 4);
	h->length = 48;
	fix_checksum(t, 48, 9);
	ST_CHECK(acpi_table_valid(t, sizeof(t), "TEST", why, sizeof(why)), "good table: %s", why);
	ST_CHECK(!acpi_table_valid(t, sizeof(t), "HPET", why, sizeof(why)) &&
		 contains_text(why, "signature"), "wrong signature: \"%s\"", why);
	t[40] ^= 1;
	ST_CHECK(!acpi_table_valid(t, sizeof(t), "TEST", why, sizeof(why)) &&
		 contains_text(why, "checksum"), "bad checksum: \"%s\"", why);
	t[40] ^= 1;
	ST_CHECK(!acpi_table_valid(t, 40, "TEST", why, sizeof(why)) &&
		 contains_text(why, "length 48"), "longer than readable: \"%s\"", why);
	h->length = 20;
	ST_CHECK(!acpi_table_valid(t, sizeof(t), NULL, why, sizeof(why)) &&
		 contains_text(why, "length 20"), "shorter than the header: \"%s\"", why);

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", 8);
	r.revision = 2;
	r.length = sizeof(r);
	r.xsdt = 0x7fb7d0e8;
	fix_checksum((uint8_t *)&r, ACPI_RSDP_V1_LEN, 8);
	fix_checksum((uint8_t *)&r, sizeof(r), 32);
	ST_CHECK(acpi_rsdp_valid(&r, sizeof(r), why, sizeof(why)), "good RSDP: %s", why);
	r.reserved[0] = 1;
	ST_CHECK(!acpi_rsdp_valid(&r, sizeof(r), why, sizeof(why)) &&
		 contains_text(why, "extended checksum"), "bad extended checksum: \"%s\"", why);
	r.signature[0] = 'X';
	ST_CHECK(!acpi_rsdp_valid(&r, sizeof(r), why, sizeof(why)) &&
		 contains_text(why, "signature"), "bad signature: \"%s\"", why);

	const struct acpi_info *ai = acpi_get();
	ST_CHECK(ai->found && ai->have_madt && ai->have_hpet,
		 "ACPI on this machine: found %d MADT %d HPET %d", ai->found, ai->have_madt,
		 ai->have_hpet);
	ST_CHECK(ai->bad_tables == 0, "%u tables refused at boot", ai->bad_tables);
}
