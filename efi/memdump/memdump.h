/*
 * memdump.h - internal interfaces of the memory-map dump tool
 * (esp/EFI/carto/memmap.efi). The report text itself is built by the pure
 * code in report.c; the files here talk to the firmware.
 *
 *   main.c     efi_main: options, map snapshot, report, save, show, exit
 *   volume.c   the boot volume: option file, writing the dump file
 *   pager.c    showing long text a screenful at a time
 */
#ifndef CARTO_MEMDUMP_H
#define CARTO_MEMDUMP_H

#include <efi.h>

#include "types.h"

/* ---- options ------------------------------------------------------------ */
/*
 * Options come from the load options (the UEFI Shell command line, or a
 * boot entry's optional data) and from the file \carto-memmap.opt on the
 * boot volume (for boot paths that cannot pass options, such as the
 * removable-media \EFI\BOOT\BOOTX64.EFI). Words, separated by blanks,
 * with an optional leading "-", "--" or "/":
 *   nopause    do not wait for keys (no paging, no final key press)
 *   shutdown   power the machine off when done (QEMU then exits)
 *   batch      both
 */
#define MEMDUMP_OPTION_FILE L"\\carto-memmap.opt"
/* Bytes of the option file read; the rest is ignored. */
#define MEMDUMP_OPTION_FILE_MAX 512

struct options {
	bool nopause;
	bool shutdown;
};

/* ---- volume.c ----------------------------------------------------------- */
/*
 * volume_open - the root directory of the volume @image was loaded from.
 * Returns NULL and writes why into @why (@cap bytes) if there is none.
 */
EFI_FILE_HANDLE volume_open(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
			    char *why, size_t cap);

/*
 * volume_read_small - read up to @cap - 1 bytes of the file @path under
 * @root into @buf and NUL-terminate it. Returns the bytes read, or 0 if the
 * file does not exist or cannot be read.
 */
size_t volume_read_small(EFI_FILE_HANDLE root, const CHAR16 *path, char *buf,
			 size_t cap);

/* Dump files are named \carto-memmap.txt, then \carto-memmap-1.txt ... up
 * to this number; an existing file is never overwritten. */
#define DUMP_NAME_MAX_SUFFIX 999

/*
 * volume_save_dump - write @len bytes of @text to the first unused dump
 * file name under @root. On success returns true and writes
 * "written to \NAME (N bytes)" into @msg; on failure returns false and
 * writes the reason (read-only medium, no space, ...) into @msg. A partly
 * written file is deleted. @msg has @cap bytes.
 */
bool volume_save_dump(EFI_FILE_HANDLE root, const char *text, size_t len,
		      char *msg, size_t cap);

/* ---- pager.c ------------------------------------------------------------ */
struct pager {
	SIMPLE_TEXT_OUTPUT_INTERFACE *out;   /* NULL: no console output */
	SIMPLE_INPUT_INTERFACE *in;
	EFI_BOOT_SERVICES *bs;
	UINTN cols, rows;
	UINTN rows_used;       /* screen rows printed since the last pause */
	bool paging;           /* pause at each full screen */
	bool interactive;      /* may wait for keys at all */
};

/*
 * pager_init - set up output on @st's console. Paging is on only if
 * @allow_paging, the console has input and the output mode reports its
 * size; then the widest text mode is selected too.
 */
void pager_init(struct pager *p, EFI_SYSTEM_TABLE *st, bool allow_paging);

/* Show @len bytes of text, pausing for a key at each full screen. */
void pager_write(struct pager *p, const char *text, size_t len);

/* pager_write of a NUL-terminated string. */
void pager_puts(struct pager *p, const char *s);

/* If the console is interactive (paging was allowed and possible, even if
 * the user then chose to go on without stopping), print @prompt and wait
 * for a key. */
void pager_wait_key(struct pager *p, const char *prompt);

#endif
