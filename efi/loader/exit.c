/*
 * exit.c - read the firmware memory map and leave boot services.
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

void exit_boot_services(struct efiu_map *m, struct handoff *h)
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
