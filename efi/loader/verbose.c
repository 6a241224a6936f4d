/*
 * verbose.c - what the loader tells with "verbose" on the command line:
 * each phase as it ends (with its TSC ticks since the loader started), the
 * firmware map it read and the clean map it made of it, the kernel
 * segments it loaded, the page tables it built and the ranges it reserved
 * for the kernel. Through the firmware console, so only before
 * ExitBootServices (the kernel's boot report covers what comes after).
 * Silent by default: printing through the firmware costs more than the
 * rest of the loader together.
 */
#include <stdarg.h>

#include "loader.h"
#include "memmap.h"

bool loader_verbose;

void vprint(const CHAR16 *fmt, ...)
{
	va_list ap;

	if (!loader_verbose)
		return;
	va_start(ap, fmt);
	VPrint(fmt, ap);
	va_end(ap);
}

void verbose_phase(const struct handoff *h, enum boot_phase p, const CHAR16 *what)
{
	vprint(L"carto: %s (TSC +%lu)\r\n", what, h->tsc[p] - h->tsc[PHASE_LOADER_START]);
}

void verbose_start(const struct handoff *h)
{
	static const CHAR16 *const fbfmt[] = { L"none", L"RGBX", L"BGRX", L"bitmask", L"BLT only" };

	vprint(L"carto: loader at %lx, command line \"%a\"\r\n", h->loader_image_base, h->cmdline);
	vprint(L"carto: firmware %a rev %x, UEFI %u.%u; CPU %s 1 GiB pages\r\n", h->fw_vendor,
	       h->fw_revision, h->uefi_revision >> 16, h->uefi_revision & 0xffff,
	       h->has_1g ? L"with" : L"without");
	vprint(L"carto: framebuffer %ux%u stride %u %s at %lx (%lu bytes); ACPI RSDP %lx rev %u\r\n",
	       h->fb.width, h->fb.height, h->fb.stride,
	       h->fb.format < ARRAY_SIZE(fbfmt) ? fbfmt[h->fb.format] : L"?", h->fb.base,
	       h->fb.size, h->rsdp, h->rsdp_revision);
}

void verbose_maps(const struct efiu_map *fw, const struct memmap *clean)
{
	uint64_t ram = 0;

	if (!loader_verbose)
		return;
	vprint(L"carto: firmware map: %lu descriptors of %lu bytes (version %u), key %lx\r\n",
	       (uint64_t)(fw->size / fw->desc_size), (uint64_t)fw->desc_size, fw->desc_version,
	       (uint64_t)fw->key);
	vprint(L"carto: clean map: %lu entries (sorted, merged):\r\n", (uint64_t)clean->count);
	for (size_t i = 0; i < clean->count; i++) {
		const struct mem_entry *e = &clean->entries[i];
		vprint(L"  [%016lx, %016lx) %8lu KiB %a\r\n", e->start, e->end,
		       (e->end - e->start) / 1024, efi_mem_type_name(e->type));
	}
	ram = memmap_ram_bytes(clean);
	vprint(L"carto: RAM %lu MiB in the clean map\r\n", ram >> 20);
}

void verbose_kernel(const struct handoff *h, paddr_t stacks, paddr_t tramp)
{
	for (uint32_t i = 0; i < h->segment_count; i++) {
		const struct handoff_segment *s = &h->segments[i];
		vprint(L"carto: kernel segment %lx -> %lx, %lu KiB, %s%s\r\n", s->va, s->pa,
		       s->size / 1024, s->flags & MAP_WRITE ? L"rw" : L"r", s->flags & MAP_EXEC ? L"x" : L"");
	}
	vprint(L"carto: entry %lx; %u stacks of %u KiB at %lx; trampoline at %lx\r\n",
	       h->kernel_entry, KSTACK_COUNT, KSTACK_SIZE / 1024, stacks, tramp);
}

void verbose_tables(const struct handoff *h)
{
	if (!loader_verbose)
		return;
	vprint(L"carto: page tables: %lu frames, root %lx\r\n", h->pt_tables, h->pml4);
	vprint(L"carto: direct map: %lu x 1G + %lu x 2M + %lu x 4K pages\r\n", h->dmap_pages_1g,
	       h->dmap_pages_2m, h->dmap_pages_4k);
	for (uint32_t i = 0; i < h->pool_count; i++)
		vprint(L"carto: pool chunk %u: [%lx, %lx), %lu frames used\r\n", i, h->pool[i].start,
		       h->pool[i].end, (h->pool[i].next - h->pool[i].start) / PAGE_SIZE);
	vprint(L"carto: %u reservations for the kernel:\r\n", h->reservation_count);
	for (uint32_t i = 0; i < h->reservation_count; i++) {
		const struct handoff_reservation *r = &h->reservations[i];
		vprint(L"  [%016lx, %016lx) %a\r\n", r->start, r->end, frame_res_kind_name(r->kind));
	}
}
