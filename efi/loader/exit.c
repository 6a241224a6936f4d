/*
 * exit.c - read the firmware memory map, convert it into Carto's clean map
 * (mm/memmap.c), leave boot services and record the final map in the
 * hand-off block.
 *
 * UEFI 2.10, 7.4 (ExitBootServices): if the map key is stale the call fails
 * with EFI_INVALID_PARAMETER; the loader must then call GetMemoryMap again
 * and retry, and between the two calls it may not allocate (memory services
 * may already be partly shut down). So the buffer is sized with spare room
 * before the first try and reused for the retry.
 */
#include "loader.h"

/* Map buffers are pages recorded for the kernel, never freed: freeing one
 * would change the map the loader is about to read again. */
static EFI_STATUS map_pages(void *ctx, UINTN bytes, void **buf)
{
	*buf = (void *)fw_alloc_pages(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, 0,
				      "the firmware memory map");
	return EFI_SUCCESS;   /* fw_alloc_pages does not return on failure */
}

void fw_map_read(struct efiu_map *m)
{
	static const struct efiu_map_mem pages = { map_pages, NULL, NULL };

	fw_guard("GetMemoryMap wrapper after ExitBootServices");
	EFI_STATUS st = efiu_map_get(BS, m, &pages);
	if (st == EFI_PROTOCOL_ERROR)
		fail(EFI_SUCCESS, "firmware memory descriptors are %lu bytes, less than the %lu the spec defines",
		     (uint64_t)m->desc_size, (uint64_t)sizeof(struct efi_mem_desc));
	if (st == EFI_BUFFER_TOO_SMALL)
		fail(EFI_SUCCESS, "the firmware memory map keeps growing; giving up");
	if (EFI_ERROR(st))
		fail(st, "GetMemoryMap failed");
}

static void exit_boot_services(struct efiu_map *m, struct handoff *h)
{
	EFI_STATUS st;

	/* From the first ExitBootServices call on, only GetMemoryMap and
	 * ExitBootServices itself may be called: flag it for the guards. */
	boot_services_exited = true;
	st = BS->ExitBootServices(loader_image, m->key);
	h->exit_bs_tries = 1;
	if (st == EFI_INVALID_PARAMETER) {
		st = efiu_map_refresh(BS, m);   /* same buffer: no allocation now */
		if (EFI_ERROR(st))
			late_panic("GetMemoryMap failed during the ExitBootServices retry");
		st = BS->ExitBootServices(loader_image, m->key);
		h->exit_bs_tries = 2;
	}
	if (EFI_ERROR(st))
		late_panic("ExitBootServices failed twice");
}

/* ---- the clean map ---------------------------------------------------------------- */

/* Record the first problems the conversion reported, count all of them. */
static void note_warning(void *ctx, const struct memmap_warning *w)
{
	struct handoff *h = ctx;
	if (h->memmap_warnings < HANDOFF_MAX_WARNINGS)
		h->warnings[h->memmap_warnings] = *w;
	h->memmap_warnings++;
}

/* Room for the clean map: conversion may split entries, so twice the
 * firmware map's capacity. Allocated before exit, filled after. */
static struct memmap alloc_clean_map(struct handoff *h, const struct efiu_map *m)
{
	size_t cap = 2 * (m->capacity / m->desc_size);
	uint64_t bytes = ALIGN_UP(cap * sizeof(struct mem_entry), PAGE_SIZE);
	paddr_t pa = fw_alloc_pages(bytes / PAGE_SIZE, 0, "the memory map");

	return (struct memmap){ .entries = (struct mem_entry *)pa, .capacity = cap };
}

/* Show what the conversion of the firmware map found odd, then forget it:
 * the final map's problems are recorded for the kernel. */
static void print_warnings(struct handoff *h)
{
	for (uint32_t i = 0; i < h->memmap_warnings && i < HANDOFF_MAX_WARNINGS; i++) {
		const struct memmap_warning *w = &h->warnings[i];
		Print(L"carto: memory map: descriptor %lu (type %u, %lx, %lu pages): %a\r\n",
		      (uint64_t)w->index, w->desc.type, w->desc.phys_start, w->desc.num_pages,
		      memmap_problem_name(w->problem));
	}
	if (h->memmap_warnings > HANDOFF_MAX_WARNINGS)
		Print(L"carto: memory map: %u more problems\r\n", h->memmap_warnings - HANDOFF_MAX_WARNINGS);
	h->memmap_warnings = 0;
}

static void convert_map(struct handoff *h, struct memmap *out, const struct efiu_map *m)
{
	int st = memmap_from_efi(out, m->buf, m->size, m->desc_size, note_warning, h);
	if (st != E_OK && boot_services_exited)
		late_panic("cannot convert the final memory map");
	if (st != E_OK)
		fail(EFI_SUCCESS, "cannot convert the firmware memory map: %a", status_name(st));
}

struct memmap read_boot_map(struct handoff *h, struct efiu_map *fw)
{
	fw_map_read(fw);
	struct memmap map = alloc_clean_map(h, fw);
	convert_map(h, &map, fw);
	print_warnings(h);
	return map;
}

struct memmap alloc_final_map(struct handoff *h, struct efiu_map *fw)
{
	/* Allocate the clean map's room first, then read, so that the
	 * buffers exist before the page tables map them (the hand-off
	 * window). If the read had to grow the buffer, the room may be too
	 * small: allocate again and re-read. */
	struct memmap final_map;

	do {
		final_map = alloc_clean_map(h, fw);
		fw_map_read(fw);
	} while (final_map.capacity < 2 * (fw->capacity / fw->desc_size));
	reserve(h, (paddr_t)final_map.entries,
		(paddr_t)final_map.entries + ALIGN_UP(final_map.capacity * sizeof(struct mem_entry), PAGE_SIZE),
		FRAME_RES_HANDOFF);
	reserve(h, (paddr_t)fw->buf, (paddr_t)fw->buf + fw->capacity, FRAME_RES_HANDOFF);
	return final_map;
}

void exit_and_hand_off(struct handoff *h, struct efiu_map *fw, struct memmap *final)
{
	/* The final read: nothing is allocated between it and
	 * ExitBootServices. It reuses the buffer the page tables map; had it
	 * to grow it (the page tables took more than the spare room), the
	 * new buffer would lie outside the hand-off window: stop. */
	void *mapped = fw->buf;
	fw_map_read(fw);
	if (fw->buf != mapped || final->capacity < 2 * (fw->capacity / fw->desc_size))
		fail(EFI_SUCCESS, "the firmware memory map grew by more than its spare room while the "
		     "page tables were built");
	struct memmap final_map = *final;
	exit_boot_services(fw, h);

	/* ---- boot services are gone: no firmware calls from here on ---- */
	if (cmdline_value_is(h->cmdline, "loader-test", "late-alloc"))
		fw_alloc_pages(1, 0, "a test of the post-exit guard");   /* must panic */
	convert_map(h, &final_map, fw);
	h->memmap_pa = (paddr_t)final_map.entries;
	h->memmap_count = (uint32_t)final_map.count;
	h->memmap_capacity = (uint32_t)final_map.capacity;
	h->efi_desc_size = (uint32_t)fw->desc_size;
	h->efi_desc_version = fw->desc_version;
	h->fw_map_pa = (paddr_t)fw->buf;
	h->fw_map_size = fw->size;
	h->tsc[PHASE_EXIT_BS] = rdtsc();
}
