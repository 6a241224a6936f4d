/*
 * kspace.h - the kernel's address space after the hand-off.
 */
#ifndef CARTO_KMEM_H
#define CARTO_KMEM_H

#include "handoff.h"
#include "pt.h"
#include "ptwindow.h"

/* The kernel's page tables (the ones the loader built, now owned here). */
struct pt_space *kernel_space(void);

/*
 * kspace_init - take over the loader's page tables: page-table frames now
 * come from the hand-off's pool chunks, reached through the window.
 * With ptaccess=recursive on the command line, points RECURSIVE_SLOT of
 * the root at the root and from then on reaches the tables of the current
 * space through it (pt.h: recursive_slot). Must run before any other
 * kspace_ call. Panics if the hand-off's chunks are not valid pool chunks,
 * CR3 is not the hand-off's PML4, or the recursive slot is taken.
 */
void kspace_init(const struct handoff *h);

/*
 * kspace_parse_ptaccess - read the ptaccess= value @value (@len bytes; NULL
 * when the option is absent): "window" (the default) or "recursive" (sets
 * *recursive). Returns E_OK, or E_INVAL for any other value (*recursive
 * false: the window is used).
 */
int kspace_parse_ptaccess(const char *value, size_t len, bool *recursive);

/* pat_init - program the PAT MSR with PAT_MSR_VALUE (pt.h) so that every
 * cache type, WC included, can be selected from a PTE. */
void pat_init(void);

/*
 * kspace_drop_identity - remove the loader's identity-mapped trampoline page,
 * the only lower-half mapping, and free the page tables under it.
 * Afterwards every lower-half top-level entry is empty. Panics if the
 * unmap fails (the page tables would be inconsistent with the hand-off).
 */
void kspace_drop_identity(const struct handoff *h);

/* kspace_check_lower_half - panic, naming @who, if any lower-half PML4
 * entry is present (nothing may be mapped there once the loader's
 * trampoline and the EFI runtime identity copy are gone). */
void kspace_check_lower_half(const char *who);

/* Page-table frames in use and pool chunks, for the boot report. */
uint64_t kspace_pt_frames(void);
uint32_t kspace_pool_chunks(void);
/* Page-table frames added (by the loader and since) splitting the direct
 * map so that every pool chunk is read-only there: the cost of keeping
 * page tables writable only through the window. */
uint64_t kspace_pt_ro_tables(void);
/* Frames the pool can hand out without growing (free list + last chunk). */
uint64_t kspace_pool_free_frames(void);

/* The kernel's page-table pool (ptwindow.h): reach is PT_WINDOW_BASE, so
 * pt_window_va(kspace_window(), pa) is where the kernel reads the
 * page-table frame at pa. */
struct pt_window *kspace_window(void);

#endif
