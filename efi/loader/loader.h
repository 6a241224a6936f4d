/*
 * loader.h - internal interfaces of the Carto UEFI loader (efi/loader/).
 *
 * The loader runs in two phases:
 *   1. boot services alive: every firmware call goes through the wrappers
 *      in firmware.c, which refuse to run once phase 2 has begun;
 *   2. after ExitBootServices: no firmware call, no allocation; only code
 *      that works on memory allocated in phase 1. Errors in phase 2 go to
 *      late_panic(), which writes to the serial port and halts.
 */
#ifndef CARTO_LOADER_H
#define CARTO_LOADER_H

#include <efi.h>
#include <efilib.h>

#include "cmdline.h"
#include "cpu.h"
#include "efiutil.h"
#include "handoff.h"
#include "lib.h"
#include "pt.h"
#include "ptwindow.h"
#include "types.h"

/* ---- firmware.c: guarded firmware access --------------------------------- */
extern EFI_HANDLE loader_image;
extern bool boot_services_exited;

/* Allocate @pages 4 KiB pages of EfiLoaderData below @max_addr (or
 * anywhere if 0); returns the physical address or panics with @what.
 * The memory is NOT zeroed (callers zero what they use). */
paddr_t fw_alloc_pages(uint64_t pages, paddr_t max_addr, const char *what);
/* Allocate @bytes (page multiple not needed) aligned to @align (a power of
 * two, at least 4 KiB) below @max_addr; panics with @what on failure.
 * The memory is NOT zeroed (callers zero what they use). */
paddr_t fw_alloc_aligned(uint64_t bytes, uint64_t align, paddr_t max_addr,
			 const char *what);
void fw_free_pages(paddr_t pa, uint64_t pages);
/* Allocate @pages pages at exactly @pa; false if the firmware refuses. */
bool fw_alloc_at(paddr_t pa, uint64_t pages);
/* Stop with a message the user can read; returns to the firmware with
 * @status after a key press (or a timeout) while boot services are alive. */
void __attribute__((noreturn)) fail(EFI_STATUS status, const char *fmt, ...);
/* Phase-2 panic: serial only, then halt. */
void __attribute__((noreturn)) late_panic(const char *msg);
/* True if a 16550 UART answers at COM1. */
bool serial_present(void);
/* Guard used at the top of every firmware wrapper. */
void fw_guard(const char *who);

/* ---- info.c: what the kernel needs to know ----------------------------------- */
void collect_framebuffer(struct handoff *h);
void collect_acpi(struct handoff *h);
void collect_firmware_id(struct handoff *h);
void collect_cmdline(struct handoff *h);
/* The runtime-services table's address and a copy of the Memory
 * Attributes Table, if the configuration table has one (handoff.h). */
void collect_runtime(struct handoff *h);

/* ---- video.c: GOP mode choice ---------------------------------------------- */
/* With "video=WIDTHxHEIGHT" on @cmdline, switch the GOP to that mode (one
 * with a linear framebuffer) before collect_framebuffer. A bad value, no
 * GOP, no such mode or a refused SetMode: a message on screen, a short
 * pause, and the current mode stays. Only before ExitBootServices. */
void video_select_mode(const char *cmdline);

/* ---- elf.c: the embedded kernel ---------------------------------------------------- */
/* Validate the embedded kernel ELF, load its PT_LOAD segments into freshly
 * allocated frames and record them in @h. Fails loudly on a bad image. */
void load_kernel(struct handoff *h);

/* ---- pool.c: page-table frames ----------------------------------------------------- */
/* The pool of page-table frames for building page tables (ptwindow.h):
 * empty, grows by 2 MiB chunks from the firmware below PT_WINDOW_MAX_PHYS,
 * each reserved in @h (FRAME_RES_PT_POOL); frames reached by identity. Give
 * &pool->src to pt_init, pt_window_export the chunks into @h at the end. */
struct pt_window *pool_init(struct handoff *h, const struct memmap *map);

/* ---- paging.c: the new address space ------------------------------------------------- */
void build_page_tables(struct handoff *h, const struct memmap *map,
		       paddr_t stacks_pa, paddr_t trampoline_pa);

/* ---- memmap read / exit ---------------------------------------------------------- */
/* Read the firmware map into @m (efi/common/efiutil.h; the buffer is pages,
 * phys == virt under the firmware), reusing its buffer if it is large
 * enough, else allocating one with spare room. Only before
 * ExitBootServices; fails (returns to the firmware) on error. */
void fw_map_read(struct efiu_map *m);
/* Read the firmware map into @fw and convert it into a clean map for
 * building the page tables (its problems printed, not kept). */
struct memmap read_boot_map(struct handoff *h, struct efiu_map *fw);
/* The final map read into @fw (its clean copy's room allocated first),
 * ExitBootServices with the one retry the spec allows, then the final map
 * converted and recorded in @h. On return boot services are gone. */
void exit_and_hand_off(struct handoff *h, struct efiu_map *fw, struct memmap *final);
/* Allocate the buffers of the final maps (the firmware's and the clean
 * one), reserved as FRAME_RES_HANDOFF, before the page tables are built
 * (they map them in the hand-off window); the firmware's map is read into
 * @fw. Returns the clean map's room. */
struct memmap alloc_final_map(struct handoff *h, struct efiu_map *fw);

/* ---- verbose.c: "verbose" on the command line ------------------------------------ */
extern bool loader_verbose;
/* Print like Print() when loader_verbose is set; only before ExitBootServices. */
void vprint(const CHAR16 *fmt, ...);
/* One line: phase @p ended (@what), with its TSC ticks since the loader started. */
void verbose_phase(const struct handoff *h, enum boot_phase p, const CHAR16 *what);
/* The image, command line, firmware, CPU, framebuffer and RSDP found. */
void verbose_start(const struct handoff *h);
/* The firmware map's shape and the clean map, entry by entry. */
void verbose_maps(const struct efiu_map *fw, const struct memmap *clean);
/* The kernel segments loaded, the entry, the stacks and the trampoline. */
void verbose_kernel(const struct handoff *h, paddr_t stacks, paddr_t tramp);
/* The page tables built: frames, direct-map page sizes, pool chunks, and
 * every range reserved for the kernel. */
void verbose_tables(const struct handoff *h);

/* Add a reservation record; panics if the table is full. */
void reserve(struct handoff *h, paddr_t start, paddr_t end, uint32_t kind);

/* fast_zero and fast_copy (lib.h) fill and copy blocks: gnu-efi's memset
 * and memcpy go byte by byte. */


#endif
