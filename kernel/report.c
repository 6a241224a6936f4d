/*
 * report.c - the boot report (see report.h).
 */
#include "boot.h"
#include "console.h"
#include "dmap.h"
#include "physmem.h"
#include "klib.h"
#include "kspace.h"
#include "monitor.h"
#include "report.h"

extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern const char __data_start[], __data_end[];

static const char *const phase_names[PHASE_COUNT] = {
	"loader start", "map read", "page tables", "exit boot services",
	"kernel entry", "memory init", "kernel init", "report", "devices", "ready",
};

static void report_memory(const struct handoff *h)
{
	struct memmap m = boot_memmap(h);
	char a[24], b[24];

	kprintf("memory: %u entries, RAM %s, free %s, %u firmware map problems\n",
		h->memmap_count, kfmt_size(memmap_ram_bytes(&m), a, sizeof(a)),
		kfmt_size(memmap_bytes_of_type(&m, EFI_CONVENTIONAL), b, sizeof(b)), h->memmap_warnings);
	kprintf("  loader %s, boot services ",
		kfmt_size(memmap_bytes_of_type(&m, EFI_LOADER_CODE) + memmap_bytes_of_type(&m, EFI_LOADER_DATA), a, sizeof(a)));
	kprintf("%s, ACPI reclaim ",
		kfmt_size(memmap_bytes_of_type(&m, EFI_BS_CODE) + memmap_bytes_of_type(&m, EFI_BS_DATA), a, sizeof(a)));
	kprintf("%s, NVS %s\n", kfmt_size(memmap_bytes_of_type(&m, EFI_ACPI_RECLAIM), a, sizeof(a)),
		kfmt_size(memmap_bytes_of_type(&m, EFI_ACPI_NVS), b, sizeof(b)));
	for (uint32_t i = 0; i < h->memmap_warnings && i < HANDOFF_MAX_WARNINGS; i++)
		kprintf("  map problem: entry %zu (type %u at %lx): %s\n",
			h->warnings[i].index, h->warnings[i].desc.type, h->warnings[i].desc.phys_start,
			memmap_problem_name(h->warnings[i].problem));
}

static void report_clean_map(const struct handoff *h)
{
	const struct mem_entry *e = boot_memmap(h).entries;
	char a[24];

	for (uint32_t i = 0; i < h->memmap_count; i++)
		kprintf("  [%016lx, %016lx) %-20s %10s attr %lx\n", e[i].start, e[i].end,
			efi_mem_type_name(e[i].type), kfmt_size(e[i].end - e[i].start, a, sizeof(a)), e[i].attr);
}

/* The addressing mode (addressing=, dmap.h); an unknown value is named
 * with the values that exist (the loader fell back to the default). */
static void report_addressing(const struct handoff *h)
{
	size_t len = 0;
	const char *v = cmdline_value(h->cmdline, "addressing", &len);
	paddr_t limit;
	char a[24];

	if (dmap_parse_addressing(v, len, &limit) != E_OK)
		kprintf("addressing=%.*s: unknown value; the values are %s; using direct\n",
			(int)len, v, DMAP_ADDRESSING_VALUES);
	v = cmdline_value(h->cmdline, "ptaccess", &len);
	bool recursive;
	if (kspace_parse_ptaccess(v, len, &recursive) != E_OK)
		kprintf("ptaccess=%.*s: unknown value; the values are window, recursive; using window\n",
			(int)len, v);
	if (kernel_space()->recursive_slot)
		kprintf("ptaccess: recursive: PML4 slot %u points at the PML4; the current space's "
			"tables at %lx, new and freed tables in the window\n",
			kernel_space()->recursive_slot, KSLOT(kernel_space()->recursive_slot));
	if (h->dmap_limit == 0)
		kprintf("addressing: explicit: no direct map; RAM through kmap/vmap only\n");
	else if (h->dmap_limit < DMAP_MAX_PHYS)
		kprintf("addressing: direct:LIMIT: the direct map covers RAM below %s (lowmem); "
			"above it is highmem\n", kfmt_size(h->dmap_limit, a, sizeof(a)));
}

static void report_paging(const struct handoff *h)
{
	char a[24], b[24], c[24];

	report_addressing(h);
	kprintf("direct map: %lx, %lu x 1G + %lu x 2M + %lu x 4K pages\n", DMAP_BASE,
		h->dmap_pages_1g, h->dmap_pages_2m, h->dmap_pages_4k);
	if (!h->has_1g)
		kprintf("  (this CPU has no 1 GiB pages)\n");
	kprintf("page tables: %lu frames (%s) in %u pool chunks, window at %lx\n",
		kspace_pt_frames(), kfmt_size(kspace_pt_frames() * PAGE_SIZE, a, sizeof(a)),
		kspace_pool_chunks(), PT_WINDOW_BASE);
	kprintf("  read-only outside the window: %lu tables added splitting the direct map\n",
		kspace_pt_ro_tables());
	kprintf("kernel: text %s, rodata %s, data+bss %s\n",
		kfmt_size((uint64_t)(__text_end - __text_start), a, sizeof(a)),
		kfmt_size((uint64_t)(__rodata_end - __rodata_start), b, sizeof(b)),
		kfmt_size((uint64_t)(__data_end - __data_start), c, sizeof(c)));
	for (uint32_t i = 0; i < h->segment_count; i++)
		kprintf("  segment %lx -> phys %lx, %s, %s%s\n", h->segments[i].va, h->segments[i].pa,
			kfmt_size(h->segments[i].size, a, sizeof(a)),
			h->segments[i].flags & MAP_WRITE ? "rw" : "r",
			h->segments[i].flags & MAP_EXEC ? "x" : "");
	kprintf("stacks: %u x %s at %lx, guard page below each\n", KSTACK_COUNT,
		kfmt_size(KSTACK_SIZE, a, sizeof(a)), KSTACK_BOTTOM(0));
}

static void report_devices(const struct handoff *h)
{
	static const char *const fmt[] = { "none", "RGBX", "BGRX", "bitmask", "BLT only" };

	if (h->fb.format == FB_NONE)
		kprintf("framebuffer: none (serial console only)");
	else
		kprintf("framebuffer: %ux%u stride %u %s at %lx", h->fb.width, h->fb.height,
			h->fb.stride, h->fb.format < ARRAY_SIZE(fmt) ? fmt[h->fb.format] : "?",
			h->fb.base);
	if (h->rsdp)
		kprintf("; ACPI RSDP %lx (rev %u)\n", h->rsdp, h->rsdp_revision);
	else
		kprintf("; no ACPI RSDP\n");
	console_report();
}

void report_phases(const struct handoff *h)
{
	kprintf("boot phases (TSC ticks since loader start):");
	for (unsigned i = 1; i < PHASE_COUNT; i++) {
		if (!h->tsc[i])
			continue;   /* not reached yet */
		kprintf("%s %s %lu", i == 1 || i == PHASE_KERNEL_ENTRY || i == PHASE_REPORT ?
			"\n " : ",", phase_names[i], h->tsc[i] - h->tsc[PHASE_LOADER_START]);
	}
	kprintf("\n  exit boot services took %u tries; loader -> kernel entry %lu ticks\n",
		h->exit_bs_tries, h->tsc[PHASE_KERNEL_ENTRY] - h->tsc[PHASE_LOADER_START]);
}

void report_fw_map(const struct handoff *h)
{
	const uint8_t *buf = (const uint8_t *)handoff_va(h->fw_map_pa);
	uint64_t n = h->efi_desc_size ? h->fw_map_size / h->efi_desc_size : 0;
	char name[40], size[24];

	kprintf("Carto memory map dump v1\n");
	kprintf("firmware: %s revision 0x%08x, UEFI %u.%u\n", h->fw_vendor, h->fw_revision,
		h->uefi_revision >> 16, h->uefi_revision & 0xffff);
	kprintf("descriptors: %lu of %u bytes, version %u\n", n, h->efi_desc_size, h->efi_desc_version);
	kprintf("  idx type                   start              end                pages        size attributes\n");
	for (uint64_t i = 0; i < n; i++) {
		const struct efi_mem_desc *d = (const void *)(buf + i * h->efi_desc_size);
		ksnprintf(name, sizeof(name), "%s(%u)", efi_mem_type_name(d->type), d->type);
		kprintf("%5lu %-22s 0x%016lx 0x%016lx %12lu %9s 0x%016lx\n", i, name, d->phys_start,
			d->phys_start + d->num_pages * PAGE_SIZE, d->num_pages,
			kfmt_size(d->num_pages * PAGE_SIZE, size, sizeof(size)), d->attr);
	}
	kprintf("end of map: %lu descriptors\n", n);
	frames_report_inputs();
}

#define REPORT_COLUMNS 80

/* Print "@label" and then the words of @cmdline (only the unknown ones if
 * @unknown_only) filled into lines of at most REPORT_COLUMNS, continuation
 * lines indented by four spaces. Returns how many words it printed; prints
 * nothing at all when that is none and @unknown_only. Streams the words:
 * no copy of the line on the (small) kernel stack. */
static size_t report_words(const char *label, const char *cmdline, bool unknown_only)
{
	struct cmdline_word w;
	const char *cur = cmdline;
	size_t col = 0, n = 0;

	while (cmdline_next(&cur, &w)) {
		if (unknown_only && cmdline_known(&w))
			continue;
		if (n++ == 0)
			col = (size_t)kprintf("%s", label);
		if (col + 1 + w.len > REPORT_COLUMNS && col > 4)
			col = (size_t)kprintf("\n   ");
		col += (size_t)kprintf(" %.*s", (int)w.len, w.start);
	}
	if (n)
		kprintf("\n");
	return n;
}

/*
 * The command line, where it came from, and the words in it that Carto
 * does not know: listed here, once, and acted on nowhere (include/
 * cmdline.h). Under U-Boot the load options are its Linux bootargs. Both
 * lists are wrapped at REPORT_COLUMNS like the rest of the report.
 */
static void report_cmdline(const struct handoff *h)
{
	static const char *const from[] = { "command line: none", "command line (cmdline.txt):",
					    "command line (load options):",
					    "command line (cmdline.txt + load options):" };

	if (!report_words(from[h->cmdline_source & (CMDLINE_FROM_FILE | CMDLINE_FROM_OPTIONS)],
			  h->cmdline, false))
		kprintf("%s\n", from[0]);
	if (h->cmdline_source & CMDLINE_TRUNCATED)
		kprintf("  cut at %u characters: shorten cmdline.txt or the load options\n",
			HANDOFF_CMDLINE_MAX - 1);
	report_words("  ignored (not Carto options):", h->cmdline, true);
}

void boot_report(const struct handoff *h)
{
	kprintf("Carto kernel: firmware %s rev %x, UEFI %u.%u\n", h->fw_vendor, h->fw_revision,
		h->uefi_revision >> 16, h->uefi_revision & 0xffff);
	report_cmdline(h);
	report_memory(h);
	if (cmdline_has(h->cmdline, "memmap"))
		report_clean_map(h);
	if (cmdline_has(h->cmdline, "fwmap"))
		report_fw_map(h);
	report_paging(h);
	report_devices(h);
}

/* ---- monitor commands ----------------------------------------------------- */

static void cmd_report(const struct handoff *h, int argc, char **argv)
{
	boot_report(h);
	frames_report(0);
}
MONITOR_COMMAND("report", "", "the boot report again (devices: see iomem)", cmd_report);

static void cmd_memmap(const struct handoff *h, int argc, char **argv)
{
	report_clean_map(h);
}
MONITOR_COMMAND("memmap", "", "the clean memory map the kernel uses", cmd_memmap);

static void cmd_fwmap(const struct handoff *h, int argc, char **argv)
{
	report_fw_map(h);
}
MONITOR_COMMAND("fwmap", "", "the firmware's memory map (dump tool format)", cmd_fwmap);
