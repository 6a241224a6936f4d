/*
 * efi_mem.h - UEFI memory-map vocabulary (UEFI 2.10, section 7.2), without
 * gnu-efi, so host tools and the kernel share it with the loader.
 */
#ifndef CARTO_EFI_MEM_H
#define CARTO_EFI_MEM_H

#include "types.h"

/* EFI_MEMORY_TYPE values. */
enum efi_mem_type {
	EFI_RESERVED = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BS_CODE = 3,
	EFI_BS_DATA = 4,
	EFI_RT_CODE = 5,
	EFI_RT_DATA = 6,
	EFI_CONVENTIONAL = 7,
	EFI_UNUSABLE = 8,
	EFI_ACPI_RECLAIM = 9,
	EFI_ACPI_NVS = 10,
	EFI_MMIO = 11,
	EFI_MMIO_PORT = 12,
	EFI_PAL_CODE = 13,
	EFI_PERSISTENT = 14,
	EFI_UNACCEPTED = 15,
	EFI_MEM_TYPE_COUNT = 16,
	/* 0x70000000..0x7fffffff OEM, 0x80000000..0xffffffff OS loader. */
};

/* EFI_MEMORY_DESCRIPTOR attribute bits. gnu-efi's efidef.h defines some of
 * them too; in EFI code include <efi.h> first and these are skipped. */
#ifndef EFI_MEMORY_UC
#define EFI_MEMORY_UC            0x0000000000000001ull
#define EFI_MEMORY_WC            0x0000000000000002ull
#define EFI_MEMORY_WT            0x0000000000000004ull
#define EFI_MEMORY_WB            0x0000000000000008ull
#define EFI_MEMORY_UCE           0x0000000000000010ull
#define EFI_MEMORY_WP            0x0000000000001000ull
#define EFI_MEMORY_RP            0x0000000000002000ull
#define EFI_MEMORY_XP            0x0000000000004000ull
#define EFI_MEMORY_RUNTIME       0x8000000000000000ull
#endif
#define EFI_MEMORY_NV            0x0000000000008000ull
#define EFI_MEMORY_MORE_RELIABLE 0x0000000000010000ull
#define EFI_MEMORY_RO            0x0000000000020000ull
#define EFI_MEMORY_SP            0x0000000000040000ull
#define EFI_MEMORY_CPU_CRYPTO    0x0000000000080000ull
#define EFI_MEMORY_ISA_VALID     0x4000000000000000ull
#define EFI_MEMORY_KNOWN_BITS    0xc0000000000ff01full

#ifndef EFI_PAGE_SIZE
#define EFI_PAGE_SHIFT 12
#define EFI_PAGE_SIZE  4096ull
#endif

/*
 * The firmware's descriptor layout. The firmware's descriptor *size* may be
 * larger than this struct: always step through a map by the size it reports.
 */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages;
	uint64_t attr;
};

#ifndef EFI_MEMORY_DESCRIPTOR_VERSION
#define EFI_MEMORY_DESCRIPTOR_VERSION 1   /* the only layout the spec defines */
#endif

/*
 * The EFI Memory Attributes Table (UEFI 2.10, 4.6.4): a header, then
 * entries descriptors of desc_size bytes each (struct efi_mem_desc at the
 * start of each), describing the runtime code and data regions' parts
 * with EFI_MEMORY_RO (read-only: code) and EFI_MEMORY_XP (not executable:
 * data). Version 1 and 2 share this layout (2 defines flags bit 0).
 */
struct efi_mat_header {
	uint32_t version;
	uint32_t entries;
	uint32_t desc_size;
	uint32_t flags;
};
#define EFI_MAT_VERSION_MIN 1
#define EFI_MAT_VERSION_MAX 2

/* Short name of an EFI memory type ("Conventional", ...), "?" if unknown. */
const char *efi_mem_type_name(uint32_t type);

#endif
