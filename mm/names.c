/*
 * names.c - short names of EFI memory types, status codes and memory-map
 * problems, for messages and reports. Every function returns a static
 * string and never NULL.
 */
#include "efi_mem.h"
#include "memmap.h"
#include "status.h"

static const char *const efi_type_names[EFI_MEM_TYPE_COUNT] = {
	[EFI_RESERVED]     = "Reserved",
	[EFI_LOADER_CODE]  = "LoaderCode",
	[EFI_LOADER_DATA]  = "LoaderData",
	[EFI_BS_CODE]      = "BootServicesCode",
	[EFI_BS_DATA]      = "BootServicesData",
	[EFI_RT_CODE]      = "RuntimeServicesCode",
	[EFI_RT_DATA]      = "RuntimeServicesData",
	[EFI_CONVENTIONAL] = "Conventional",
	[EFI_UNUSABLE]     = "Unusable",
	[EFI_ACPI_RECLAIM] = "ACPIReclaim",
	[EFI_ACPI_NVS]     = "ACPINVS",
	[EFI_MMIO]         = "MMIO",
	[EFI_MMIO_PORT]    = "MMIOPortSpace",
	[EFI_PAL_CODE]     = "PalCode",
	[EFI_PERSISTENT]   = "Persistent",
	[EFI_UNACCEPTED]   = "Unaccepted",
};

const char *efi_mem_type_name(uint32_t type)
{
	if (type >= EFI_MEM_TYPE_COUNT)
		return "?";
	return efi_type_names[type];
}

const char *status_name(int status)
{
	switch (status) {
	case E_OK:    return "E_OK";
	case E_INVAL: return "E_INVAL";
	case E_NOMEM: return "E_NOMEM";
	case E_EXIST: return "E_EXIST";
	case E_NOENT: return "E_NOENT";
	case E_BUSY:  return "E_BUSY";
	case E_RANGE: return "E_RANGE";
	case E_NOSPC: return "E_NOSPC";
	case E_PERM:  return "E_PERM";
	case E_IO:    return "E_IO";
	default:      return "E_?";
	}
}

const char *memmap_problem_name(enum memmap_problem p)
{
	switch (p) {
	case MEMMAP_ZERO_LENGTH:  return "zero-length entry";
	case MEMMAP_OVERFLOW:     return "end overflows 64 bits";
	case MEMMAP_ABOVE_LIMIT:  return "past the 2^52 physical limit";
	case MEMMAP_UNALIGNED:    return "start not page aligned";
	case MEMMAP_UNKNOWN_TYPE: return "unknown memory type";
	case MEMMAP_UNKNOWN_ATTR: return "unknown attribute bits";
	case MEMMAP_OVERLAP:      return "overlapping entries";
	}
	return "unknown problem";
}
