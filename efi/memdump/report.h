/*
 * report.h - the text of a Carto memory-map dump, built from plain data.
 *
 * Pure code (no gnu-efi, no firmware calls), so what the dump tool writes
 * depends only on what it was given. The format is parsed by the host
 * analyzer (tools/mapparse_carto.c) and tests/boot/memdump_check.py;
 * change it only together with them. ASCII, lines end in "\n":
 *
 *   Carto memory map dump v1
 *   firmware: <vendor> revision 0x<hex8>, UEFI <major>.<minor>
 *   descriptors: <count> of <size> bytes, version <n>
 *     idx type                   start              end                pages        size attributes
 *       0 BootServicesCode(3)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f UC WC WT WB
 *   end of map: <count> descriptors
 *   totals per type:
 *     type                   descriptors        pages      size
 *     Conventional(7)                  8       119184 465.6 MiB
 *     all                            124       197536 771.6 MiB
 *   warnings: none                          (or "warnings: <n>", then
 *     warning: <text>                        one line each, at most
 *                                            REPORT_MAX_WARNING_LINES)
 *   memory attributes table: descriptor size <n> bytes, flags 0x<hex8>
 *   Memory attributes table v<N>: <count> entries
 *     idx type ...                           (same header and rows)
 *   end of table: <count> entries
 *
 * Rows: idx right-aligned in 5 columns, "Name(number)" left-aligned in 22,
 * start and exclusive end as 0x + 16 hex digits, pages right-aligned in 12,
 * human size right-aligned in 9, the attribute word as 0x + 16 hex digits,
 * then the names of its set bits (UC WC WT WB UCE WP RP XP NV MR RO SP
 * CPU-crypto ISA-valid RUNTIME) and "unknown=0x<hex>" for bits the spec
 * does not define. Types past the spec are named "Unknown(<number>)". A
 * descriptor whose end does not fit in 64 bits shows end
 * 0xffffffffffffffff and gets a warning. The attributes table section is
 * there only if the firmware publishes the table; if the table (or the
 * map) cannot be read, a line starting "error: " replaces its rows.
 */
#ifndef CARTO_MEMDUMP_REPORT_H
#define CARTO_MEMDUMP_REPORT_H

#include "../common/textbuf.h"
#include "types.h"

/* The EFI Memory Attributes Table, as found in the configuration tables. */
struct mat_view {
	uint32_t version;
	uint32_t count;          /* NumberOfEntries */
	uint32_t desc_size;      /* DescriptorSize */
	uint32_t flags;          /* v2+: Flags; v1: reserved */
	const void *entries;     /* count descriptors, desc_size bytes apart */
};

/* Everything the report shows. */
struct dump_input {
	const char *fw_vendor;   /* ASCII */
	uint32_t fw_revision;
	uint32_t uefi_revision;  /* major << 16 | minor */
	const void *map;         /* firmware descriptors, desc_size apart */
	size_t map_size;         /* bytes GetMemoryMap filled in */
	size_t desc_size;
	uint32_t desc_version;
	const struct mat_view *mat;   /* NULL if not published */
};

/* Largest number of warning lines printed; the rest are only counted. */
#define REPORT_MAX_WARNING_LINES 200

/* Bytes of text report_build() can produce for @in, NUL included. */
size_t report_size_bound(const struct dump_input *in);

/*
 * report_build - append the whole report for @in to @tb. Descriptors are
 * read at map + i * desc_size, never by sizeof. A descriptor size too small
 * to hold a descriptor is reported as an error line instead of a table;
 * anything else odd becomes a warning. Never fails; a too-small @tb sets
 * tb->truncated.
 */
void report_build(struct textbuf *tb, const struct dump_input *in);

#endif
