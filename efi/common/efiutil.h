/*
 * efiutil.h - small boot-services helpers shared by the EFI apps: reading
 * the memory map safely, finding configuration tables, naming status
 * codes, printing ASCII text on a console.
 *
 * Only for use while boot services are alive. Includes <efi.h>; do not
 * include include/efi_mem.h in the same file (gnu-efi defines several
 * EFI_MEMORY_* macros itself) - put pure code in a file of its own.
 */
#ifndef CARTO_EFIUTIL_H
#define CARTO_EFIUTIL_H

#include <efi.h>

#include "types.h"

/*
 * A snapshot of the firmware memory map. Descriptors are desc_size bytes
 * apart - read them with efiu_map_desc(), never by indexing an array of
 * EFI_MEMORY_DESCRIPTOR (the firmware's descriptors may be larger).
 */
struct efiu_map {
	void *buf;             /* pool memory, capacity bytes */
	UINTN capacity;
	UINTN size;            /* bytes the firmware filled in */
	UINTN key;             /* MapKey for ExitBootServices */
	UINTN desc_size;
	UINT32 desc_version;
};

/* Descriptors allocated beyond what the firmware asked for: allocating the
 * buffer (and the loader's allocations between its reads) may split free
 * ranges, and ExitBootServices' retry must fit in the same buffer. */
#define EFIU_MAP_SPARE_DESCS 64

/*
 * Where efiu_map_get takes map buffers from. The dump tool uses pool
 * memory and frees a buffer that turned out too small (efiu_map_pool); the
 * loader takes pages it records for the kernel and never frees one
 * (release NULL), since freeing would change the map it is about to read.
 */
struct efiu_map_mem {
	/* Allocate @bytes into *@buf; returns an EFI status. */
	EFI_STATUS (*alloc)(void *ctx, UINTN bytes, void **buf);
	/* Give back a buffer efiu_map_get no longer needs; NULL: keep it. */
	void (*release)(void *ctx, void *buf);
	void *ctx;
};

/* AllocatePool(EfiLoaderData) / FreePool; ctx is the boot services table. */
struct efiu_map_mem efiu_map_pool(EFI_BOOT_SERVICES *bs);

/*
 * efiu_map_get - read the memory map into @m, in a buffer from @mem with
 * EFIU_MAP_SPARE_DESCS descriptors of spare room, growing it while the
 * firmware says EFI_BUFFER_TOO_SMALL (a bounded number of times). @m must
 * be zeroed or hold a buffer from an earlier call (which is reused if it
 * is large enough). Returns EFI_SUCCESS, the allocation's error,
 * EFI_BUFFER_TOO_SMALL if the map kept growing, or EFI_PROTOCOL_ERROR if
 * the firmware reported a descriptor size smaller than the specification's
 * descriptor. On error the buffer is released (if @mem releases) and
 * m->buf is NULL.
 */
EFI_STATUS efiu_map_get(EFI_BOOT_SERVICES *bs, struct efiu_map *m, const struct efiu_map_mem *mem);

/*
 * efiu_map_refresh - read the map again into @m's existing buffer, without
 * allocating (for the last read before ExitBootServices). Returns the
 * firmware's status; EFI_BUFFER_TOO_SMALL if the spare room ran out.
 */
EFI_STATUS efiu_map_refresh(EFI_BOOT_SERVICES *bs, struct efiu_map *m);

/* Free @m's pool buffer (if any; efiu_map_pool only) and zero it. */
void efiu_map_free(EFI_BOOT_SERVICES *bs, struct efiu_map *m);

/* Number of whole descriptors in @m (trailing partial bytes ignored). */
UINTN efiu_map_count(const struct efiu_map *m);

/* The @i-th descriptor (i < efiu_map_count(m)), at buf + i * desc_size. */
const EFI_MEMORY_DESCRIPTOR *efiu_map_desc(const struct efiu_map *m, UINTN i);

/* The configuration table registered under @guid, or NULL. */
void *efiu_config_table(const EFI_SYSTEM_TABLE *st, const EFI_GUID *guid);

/* Short description of an EFI status ("write protected"), for messages;
 * unknown codes give "unknown status". */
const char *efiu_status_text(EFI_STATUS status);

/*
 * efiu_con_write - print @n bytes of ASCII text on @out, turning "\n" into
 * "\r\n" and bytes outside printable ASCII (other than '\r') into '?'.
 * Ignores errors (there is nobody to tell).
 */
void efiu_con_write(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *s, size_t n);

/* efiu_con_write of a NUL-terminated string. */
void efiu_con_puts(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *s);

/* Copy the UCS-2 string @src into ASCII @dst (@cap bytes, NUL-terminated),
 * replacing non-ASCII characters by '?'. NULL @src gives "". */
void efiu_ucs2_to_ascii(const CHAR16 *src, char *dst, size_t cap);

#endif
