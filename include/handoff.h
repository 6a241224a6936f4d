/*
 * handoff.h - what the loader hands the kernel.
 *
 * The loader fills one struct handoff in memory it allocated before
 * ExitBootServices, and jumps to the kernel entry with its address in the
 * hand-off window (handoff_va) in %rdi. Every pointer-like field is a
 * physical address. The block and the maps it points to (the clean map,
 * the firmware's map: the FRAME_RES_HANDOFF reservations) are mapped by
 * the loader at HANDOFF_BASE + pa in every addressing mode, the direct map
 * or not (memlayout.h), and the kernel reaches them there.
 * Versioned: the kernel refuses a magic or version it does not know.
 */
#ifndef CARTO_HANDOFF_H
#define CARTO_HANDOFF_H

#include "fatal.h"
#include "frame.h"
#include "memmap.h"
#include "types.h"

#define HANDOFF_MAGIC   0x6f7468636f747241ull   /* "Artochto" */
#define HANDOFF_VERSION 3

enum fb_format {
	FB_NONE = 0,       /* no GOP framebuffer */
	FB_RGBX,           /* PixelRedGreenBlueReserved8BitPerColor */
	FB_BGRX,           /* PixelBlueGreenRedReserved8BitPerColor */
	FB_BITMASK,        /* PixelBitMask: see the masks */
	FB_BLT_ONLY,       /* no linear framebuffer: cannot be drawn on */
};

struct handoff_fb {
	paddr_t base;
	uint64_t size;
	uint32_t width, height;
	uint32_t stride;           /* pixels per scan line (>= width) */
	uint32_t format;           /* enum fb_format */
	uint32_t mask_r, mask_g, mask_b, mask_x;  /* FB_BITMASK only */
};

/* Boot phases timed with the TSC: the loader stamps the first four, the
 * kernel the rest (kernel/main.c; scripts/bench-boot.sh reads them). */
enum boot_phase {
	PHASE_LOADER_START,
	PHASE_MAP_READ,
	PHASE_PT_BUILT,
	PHASE_EXIT_BS,
	PHASE_KERNEL_ENTRY,
	PHASE_MEMORY_INIT,      /* page tables, frames, PAT, MMIO region */
	PHASE_KERNEL_INIT,      /* and the screen console up */
	PHASE_REPORT,           /* the boot report printed */
	PHASE_DEVICES,          /* ACPI, APICs, HPET/TSC, PCI probed */
	PHASE_READY,            /* "carto: ready" written and on screen */
	PHASE_COUNT
};

/* A loaded kernel segment (one ELF PT_LOAD). */
struct handoff_segment {
	vaddr_t va;
	paddr_t pa;
	uint64_t size;             /* bytes mapped (page multiple) */
	uint32_t flags;            /* MAP_* the loader mapped it with */
	uint32_t pad;
};

/* Physical memory the loader allocated that the kernel still uses. Its
 * kinds are the frame allocator's (frame.h enum frame_res_kind), the ones
 * before HANDOFF_RES_KINDS: kernel image, hand-off, stacks, page-table
 * pool, trampoline. */
#define HANDOFF_RES_KINDS FRAME_RES_FIRMWARE

struct handoff_reservation {
	paddr_t start, end;        /* [start, end) */
	uint32_t kind;             /* enum frame_res_kind, < HANDOFF_RES_KINDS */
	uint32_t pad;
};

#define HANDOFF_MAX_SEGMENTS     8
#define HANDOFF_MAX_RESERVATIONS 32
#define HANDOFF_MAX_POOL_CHUNKS  256   /* 512 MiB of page tables */
#define HANDOFF_MAX_WARNINGS     16
#define HANDOFF_CMDLINE_MAX      512
/* handoff.cmdline_source: where the command line's words came from
 * (include/cmdline.h: cmdline.txt first, then the load options). */
#define CMDLINE_FROM_FILE        (1u << 0)   /* \EFI\carto\cmdline.txt */
#define CMDLINE_FROM_OPTIONS     (1u << 1)   /* the image's load options */
#define CMDLINE_TRUNCATED        (1u << 2)   /* cut at HANDOFF_CMDLINE_MAX - 1 */
#define HANDOFF_VENDOR_MAX       64
/* The firmware's EFI Memory Attributes Table, copied whole (header and
 * descriptors) if it fits: OVMF's is about 2 KiB. */
#define HANDOFF_MAT_MAX          8192

/* handoff.efi_mat_status: what the loader found of the Memory Attributes
 * Table. Only the loader's view; the kernel checks the copy again. */
enum handoff_mat_status {
	HANDOFF_MAT_NONE = 0,      /* no EFI_MEMORY_ATTRIBUTES_TABLE_GUID entry */
	HANDOFF_MAT_COPIED,        /* efi_mat[0..efi_mat_size) holds it */
	HANDOFF_MAT_TOO_BIG,       /* efi_mat_size bytes: more than HANDOFF_MAT_MAX */
	HANDOFF_MAT_BAD_HEADER,    /* entry count x size overflows, or a NULL table */
};

/* A page-table pool chunk: [start, end), mapped in the page-table window
 * (ptwindow.h). Frames in [start, next) have been handed out; [next, end)
 * are free. */
struct handoff_pool_chunk {
	paddr_t start, next, end;
};

struct handoff {
	uint64_t magic;
	uint32_t version;
	uint32_t size;                         /* sizeof(struct handoff) */

	/* Clean memory map (memmap.h), as of ExitBootServices. */
	paddr_t memmap_pa;                     /* struct mem_entry[memmap_count] */
	uint32_t memmap_count;
	uint32_t memmap_capacity;
	uint32_t memmap_warnings;              /* problems found converting it */
	uint32_t efi_desc_size;                /* the firmware's descriptor size */
	uint32_t efi_desc_version;
	uint32_t exit_bs_tries;                /* 1, or 2 if the map key was stale */
	/* The firmware's own map as returned at ExitBootServices, untouched. */
	paddr_t fw_map_pa;
	uint64_t fw_map_size;                  /* bytes (count = size / efi_desc_size) */
	/* The first problems memmap_from_efi reported on that map. */
	struct memmap_warning warnings[HANDOFF_MAX_WARNINGS];

	struct handoff_fb fb;
	paddr_t rsdp;                          /* 0 if none */
	uint32_t rsdp_revision;                /* 2 = ACPI 2.0+ (XSDT) */
	uint32_t fw_revision;
	uint32_t uefi_revision;
	uint32_t pad0;
	char fw_vendor[HANDOFF_VENDOR_MAX];   /* ASCII copy of the vendor string */
	/* EFI runtime services (kernel/efirt.c): the table ST->RuntimeServices
	 * (physical, 0 if none), and a copy of the Memory Attributes Table.
	 * The runtime regions are the EFI_MEMORY_RUNTIME entries of fw_map. */
	paddr_t efi_rt;
	uint32_t efi_mat_status;               /* enum handoff_mat_status */
	uint32_t efi_mat_size;                 /* bytes (see the status) */
	uint8_t efi_mat[HANDOFF_MAT_MAX] __attribute__((aligned(8)));
	char cmdline[HANDOFF_CMDLINE_MAX];     /* NUL-terminated */
	uint32_t cmdline_source;               /* CMDLINE_FROM_* bits */
	uint32_t pad1;

	/* Kernel image. */
	paddr_t loader_image_base;             /* where the firmware loaded BOOTX64.EFI */
	vaddr_t kernel_entry;
	uint32_t segment_count;
	uint32_t pad2;
	struct handoff_segment segments[HANDOFF_MAX_SEGMENTS];

	/* Page tables. */
	paddr_t pml4;
	bool has_1g;
	uint8_t pad3[7];
	uint64_t pt_tables;                    /* page-table frames in use */
	uint64_t dmap_pages_4k, dmap_pages_2m, dmap_pages_1g;
	paddr_t dmap_limit;                    /* RAM at or above is not in the direct map */
	uint64_t pt_ro_tables;                 /* tables added splitting the direct map so
	                                          that page-table chunks are read-only in it */
	uint32_t pool_count;
	uint32_t pad4;
	struct handoff_pool_chunk pool[HANDOFF_MAX_POOL_CHUNKS];
	vaddr_t trampoline_va;                 /* == its physical address */

	uint32_t reservation_count;
	uint32_t pad5;
	struct handoff_reservation reservations[HANDOFF_MAX_RESERVATIONS];

	uint64_t tsc[PHASE_COUNT];
};

/*
 * handoff_va - where the kernel reaches the hand-off data at physical
 * address pa (the block, the clean map, the firmware's map): the one
 * conversion into the hand-off window. pa at or above HANDOFF_MAX_PHYS is
 * mm_fatal naming the caller (the loader refuses such data).
 */
#define handoff_va(pa) handoff_reach((pa), __func__)
static inline void *handoff_reach(paddr_t pa, const char *caller)
{
	if (__builtin_expect(pa >= HANDOFF_MAX_PHYS, 0))
		mm_fatal(caller, "hand-off data beyond the hand-off window (HANDOFF_MAX_PHYS)", pa);
	return (void *)(HANDOFF_BASE + pa);
}

#endif
