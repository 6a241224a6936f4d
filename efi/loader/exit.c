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

#define SPARE_DESCRIPTORS 64   /* room for the map to grow between reads */

static void alloc_map_buffer(struct fw_map *m, UINTN need)
{
	UINTN bytes = ALIGN_UP(need + SPARE_DESCRIPTORS * m->desc_size, PAGE_SIZE);
	m->buf = (void *)fw_alloc_pages(bytes / PAGE_SIZE, 0, "the firmware memory map");
	m->capacity = bytes;
}

void fw_map_read(struct fw_map *m)
{
	EFI_STATUS st;

	fw_guard("GetMemoryMap wrapper after ExitBootServices");
	for (int tries = 0; tries < 8; tries++) {
		m->size = m->capacity;
		st = BS->GetMemoryMap(&m->size, m->buf, &m->key, &m->desc_size, &m->desc_version);
		if (st == EFI_SUCCESS) {
			if (m->desc_size < sizeof(struct efi_mem_desc))
				fail(EFI_SUCCESS, "firmware memory descriptors are %lu bytes, less than the %lu the spec defines",
				     (uint64_t)m->desc_size, (uint64_t)sizeof(struct efi_mem_desc));
			return;
		}
		if (st != EFI_BUFFER_TOO_SMALL)
			fail(st, "GetMemoryMap failed");
		/* Too small (or first call): allocate afresh. The old buffer
		 * is leaked on purpose: freeing would change the map again. */
		if (m->desc_size == 0)
			m->desc_size = sizeof(struct efi_mem_desc);
		alloc_map_buffer(m, m->size);
	}
	fail(EFI_SUCCESS, "the firmware memory map keeps growing; giving up");
}

void exit_boot_services(struct fw_map *m, struct handoff *h)
{
	EFI_STATUS st;

	/* From the first ExitBootServices call on, only GetMemoryMap and
	 * ExitBootServices itself may be called: flag it for the guards. */
	boot_services_exited = true;
	st = BS->ExitBootServices(loader_image, m->key);
	h->exit_bs_tries = 1;
	if (st == EFI_INVALID_PARAMETER) {
		m->size = m->capacity;
		st = BS->GetMemoryMap(&m->size, m->buf, &m->key, &m->desc_size, &m->desc_version);
		if (EFI_ERROR(st))
			late_panic("GetMemoryMap failed during the ExitBootServices retry");
		st = BS->ExitBootServices(loader_image, m->key);
		h->exit_bs_tries = 2;
	}
	if (EFI_ERROR(st))
		late_panic("ExitBootServices failed twice");
}
