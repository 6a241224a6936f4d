/*
 * mapparse.h - read firmware memory maps out of text.
 *
 * The analyzer (carto-memmap) takes whatever a user has: a Carto dump file,
 * a Linux boot log, a UEFI Shell `memmap` listing, a Xen log, an e820
 * table. mapfile_parse() finds every memory map in such a text and turns
 * each into an array of EFI descriptors (struct efi_mem_desc), remembering
 * the source line of each, so later problems can be reported as FILE:LINE.
 *
 * Formats understood (one file may hold several maps, of several kinds):
 *   Carto dump v1        "Carto memory map dump v1" ... "end of map: N
 *                        descriptors", optionally followed by a "Memory
 *                        attributes table vN: M entries" section
 *   Linux 3.x            "efi: memNN: type=N, attr=0x.., range=[a-b) (NMB)"
 *   Linux 2006           the same without the "efi: " prefix
 *   Linux 4.x            "efi: memNN: [Name|attrs] range=[a-b) (NMB)"
 *   Linux 5.x+           "efi: memNN: [Name|attrs] range=[a-b] (NMB)"
 *   Linux arm64/memattr  "efi:   0xa-0xb [Name|attrs]", "efi: memattr: 0xa-0xb [..]"
 *   UEFI Shell memmap    EFI 1.10 style ("available  a-b  pages attr") and
 *                        EDK II style (header line, summary), and -sfo
 *   Xen                  "(XEN)  aaaaaaaaaaaaa-bbbbbbbbbbbbb type=N attr=.."
 *   e820                 "BIOS-e820: [mem a-b] usable" (and "reserve
 *                        setup_data:", "modified:", "user:" tables), the
 *                        old "BIOS-e820: a - b (usable)" form and Xen's
 *                        "(XEN)  [a, b] (usable)"
 * Lines that belong to none of these (timestamps, other messages) are
 * ignored; a line that starts like a map line but does not parse is an
 * error. Mail-wrapped Linux lines (the "[Name|...|" part cut before the
 * range) are joined again. UTF-16 text (what the UEFI Shell writes with
 * ">") is read too.
 *
 * Kinds of map: the firmware's EFI map, an e820 table, the kernel's EFI
 * runtime map, the EFI memory attributes table. e820 types are turned into
 * EFI types (usable -> Conventional, reserved -> Reserved, ACPI data ->
 * ACPI reclaim, ACPI NVS -> ACPI NVS, unusable -> Unusable, persistent ->
 * Persistent; anything else -> Reserved, with a note), and byte-granular
 * e820 boundaries are rounded to pages (RAM inward, the rest outward).
 *
 * What is NOT done here: sorting, merging, overlap or overflow handling.
 * Descriptors are kept as the text gives them (a range wider than 64 bits
 * becomes a descriptor whose end overflows) and memmap_from_efi() reports
 * and cleans them, exactly as the loader would.
 *
 * Host only: allocates with malloc, never prints.
 */
#ifndef CARTO_MAPPARSE_H
#define CARTO_MAPPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "efi_mem.h"
#include "frame.h"

enum map_kind {
	MAP_KIND_EFI,        /* the firmware's memory map */
	MAP_KIND_E820,       /* an e820 table, converted to EFI types */
	MAP_KIND_RUNTIME,    /* Linux's "EFI runtime memory map" re-print */
	MAP_KIND_MEMATTR,    /* EFI Memory Attributes Table */
	MAP_KIND_COUNT
};

enum map_format {
	FMT_CARTO,           /* Carto memory map dump v1 */
	FMT_LINUX_TYPEATTR,  /* efi: memNN: type=N, attr=0x.., range=[a-b) */
	FMT_LINUX_2006,      /* memNN: type=N, attr=0x.., range=[a-b) (no prefix) */
	FMT_LINUX_HALFOPEN,  /* efi: memNN: [Name|attrs] range=[a-b) */
	FMT_LINUX_INCLUSIVE, /* efi: memNN: [Name|attrs] range=[a-b] */
	FMT_LINUX_ADDRFIRST, /* efi:   0xa-0xb [Name|attrs] (arm64, memattr) */
	FMT_SHELL_OLD,       /* EFI 1.10 shell memmap, no header */
	FMT_SHELL_EDK2,      /* EDK II shell memmap: header, summary */
	FMT_SHELL_SFO,       /* memmap -sfo: MemoryMap,"Type","a","b","n","attr" */
	FMT_XEN_EFI,         /* (XEN)  a-b type=N attr=.. */
	FMT_E820,            /* [mem 0xa-0xb] type (inclusive) */
	FMT_E820_OLD,        /* a - b (type) (exclusive) */
	FMT_E820_XEN,        /* (XEN)  [a, b] (type) (inclusive) */
	FMT_COUNT
};

/* One descriptor as read, with the line it came from (1-based). */
struct map_desc {
	struct efi_mem_desc d;
	unsigned line;
};

/* Something worth telling the user about one line (not an error). */
struct map_note {
	unsigned line;
	char text[160];
};

/* The totals a UEFI Shell listing printed about itself. */
#define SHELL_SUMMARY_MAX 32
struct shell_summary_line {
	uint32_t type;       /* EFI type the line counts */
	uint64_t pages;
	unsigned line;
};

struct parsed_map {
	enum map_kind kind;
	enum map_format format;
	char label[80];              /* where it came from, for humans */
	unsigned first_line, last_line;
	struct map_desc *descs;
	size_t count, cap;
	bool partial;                /* the text says this is not the whole map */
	long first_index, last_index;/* memNN numbers (Linux formats), else -1 */

	/* Carto dump header (FMT_CARTO only). */
	bool has_header;
	char fw_vendor[128];
	uint32_t fw_revision;
	unsigned uefi_major, uefi_minor;
	uint32_t desc_size, desc_version;
	uint64_t declared_count;

	/* The kernel's frame allocator inputs (FMT_CARTO, a kernel 'fwmap'
	 * dump only): the reservations frame_init got, and its limit. */
	bool has_frame_inputs;
	struct frame_reservation frame_res[FRAME_MAX_RESERVED];
	size_t frame_res_count;
	uint64_t frame_limit;

	/* UEFI Shell summary (FMT_SHELL_EDK2 only), checked when parsed. */
	struct shell_summary_line summary[SHELL_SUMMARY_MAX];
	size_t summary_count;

	struct map_note *notes;
	size_t note_count, note_cap;
};

struct map_file {
	struct parsed_map *maps;
	size_t count, cap;
	char firmware[128];          /* "EFI v2.31 by INSYDE Corp." if a log says */
	unsigned firmware_line;
	bool utf16;                  /* the text was UTF-16 */
};

/* Why parsing failed: the line (0 = the file as a whole) and what. */
struct parse_error {
	unsigned line;
	char msg[200];
};

/*
 * Largest input mapfile_parse accepts, and most descriptors in one map:
 * far more than any firmware map seen (a few hundred), small enough that
 * the worst case downstream (every descriptor overlapping every other:
 * n^2/2 overlap reports from memmap_from_efi) stays a matter of seconds.
 */
#define MAPPARSE_MAX_INPUT (64u << 20)
#define MAPPARSE_MAX_DESCS 8192u

/*
 * mapfile_parse - find and read every memory map in @len bytes of @data.
 * On success returns 0 and fills @mf (free it with mapfile_free). On
 * failure returns -1, fills @err with the first problem, and leaves @mf
 * empty: no half-read map is ever returned. A text holding no map at all
 * is a failure (err->line 0).
 */
int mapfile_parse(struct map_file *mf, const void *data, size_t len,
		  struct parse_error *err);

/* Release everything mapfile_parse allocated; @mf is left empty. */
void mapfile_free(struct map_file *mf);

/*
 * mapfile_default - index of the map an analysis uses when the user does
 * not choose: the first firmware EFI map, else the first e820 table, else
 * the first runtime map, else the first memory attributes table.
 * @mf must hold at least one map.
 */
size_t mapfile_default(const struct map_file *mf);

/*
 * mapfile_find_kind - index of the first map of @kind, or -1 if none.
 */
long mapfile_find_kind(const struct map_file *mf, enum map_kind kind);

/* "efi", "e820", "runtime", "memattr"; parse one back (-1 if unknown). */
const char *map_kind_name(enum map_kind kind);
int map_kind_from_name(const char *name);

/* Human description of a format ("Linux 5.x efi=debug, inclusive ends"). */
const char *map_format_name(enum map_format fmt);

/*
 * map_raw_bytes_of_type - bytes the descriptors of @type in @m cover, as
 * listed (before any cleaning); sizes that overflow 64 bits saturate.
 */
uint64_t map_raw_bytes_of_type(const struct parsed_map *m, uint32_t type);

#endif
