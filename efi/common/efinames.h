/*
 * efinames.h - human names for UEFI memory types, attributes and sizes,
 * for the EFI apps' reports. Pure code over include/efi_mem.h: no gnu-efi,
 * no firmware calls (include it in files that do not include <efi.h>,
 * since gnu-efi defines some EFI_MEMORY_* macros differently).
 */
#ifndef CARTO_EFINAMES_H
#define CARTO_EFINAMES_H

#include "efi_mem.h"
#include "types.h"

/*
 * efiu_type_name - the UEFI spec's name of a memory type without its
 * "Efi...Memory" decoration: "Reserved", "LoaderCode", ..., "ACPINVS",
 * "MMIO", "Unaccepted"; "Unknown" for anything past the spec.
 */
const char *efiu_type_name(uint32_t type);

/* True if @type is one the UEFI 2.10 spec defines (0..15). */
bool efiu_type_known(uint32_t type);

/*
 * efiu_attr_names - write the names of the set attribute bits of @attr,
 * each preceded by a space (" UC WC WT WB RUNTIME"), into @dst (@cap bytes,
 * always NUL-terminated). Bits the spec does not define are shown as one
 * " unknown=0x..." token. Returns the length written.
 */
size_t efiu_attr_names(uint64_t attr, char *dst, size_t cap);

/*
 * efiu_human_size - @bytes in binary units with one decimal ("4.0 KiB",
 * "511.6 MiB"); values of 1000 or more in the largest unit drop the
 * decimal ("1024 KiB") so the text stays within 9 characters for all
 * sizes below 1000 EiB. Whole bytes below 1 KiB: "512 B". Returns length.
 */
size_t efiu_human_size(uint64_t bytes, char *dst, size_t cap);

/*
 * efiu_desc_end - the exclusive end of @pages pages from @start, in *end.
 * Returns false (and *end = UINT64_MAX) if the end is not representable
 * in 64 bits, i.e. the range reaches 2^64 or beyond.
 */
bool efiu_desc_end(uint64_t start, uint64_t pages, uint64_t *end);

#endif
