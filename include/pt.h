/*
 * pt.h - x86_64 page tables: one walk loop for every level.
 *
 * A struct pt_space is one address space: its top-level table and how to
 * reach and allocate page-table frames. Page-table frames are only ever
 * touched at (window + their physical address): in the kernel the window is
 * PT_WINDOW_BASE, in the loader (firmware identity map) it is 0, in host
 * tests it is the offset of a private arena. Nothing here uses the direct
 * map, so the same code runs in a kernel without one.
 *
 * Levels are numbered as the hardware walks them from the leaf: level 1 is
 * the page table (4 KiB leaves), 2 the page directory (2 MiB leaves), 3 the
 * PDPT (1 GiB leaves), 4 the PML4, 5 the PML5 (future LA57).
 *
 * Callers describe mappings with abstract MAP_* flags; pt_pte_bits() is the
 * one place that turns them into PTE and PAT bits.
 *
 * Intermediate (table-pointing) entries are P|W, plus U for tables under the
 * lower half, and never NX or G: the leaf alone decides what an access may
 * do. Kernel-half tables never carry U, so no leaf under them is reachable
 * from user mode whatever its own U bit says.
 *
 * Ranges are half-open [va, va+size); a range may end at the very top of the
 * address space (va + size == 2^64) but may not wrap or cross the
 * non-canonical hole.
 */
#ifndef CARTO_PT_H
#define CARTO_PT_H

#include "memlayout.h"
#include "status.h"
#include "types.h"

#define PT_LEVEL_SHIFT(level) (PAGE_SHIFT + 9 * ((level) - 1))
#define PT_LEVEL_SIZE(level)  (1ull << PT_LEVEL_SHIFT(level))
#define PX(level, va)         (((uint64_t)(va) >> PT_LEVEL_SHIFT(level)) & (PT_ENTRIES - 1))

/* The levels that can hold a leaf, by the page size they map. */
#define PT_LEVEL_4K 1
#define PT_LEVEL_2M 2
#define PT_LEVEL_1G 3

/* Hardware PTE bits (Intel SDM vol. 3, 4.5). */
#define PTE_P     (1ull << 0)
#define PTE_W     (1ull << 1)
#define PTE_U     (1ull << 2)
#define PTE_PWT   (1ull << 3)
#define PTE_PCD   (1ull << 4)
#define PTE_A     (1ull << 5)
#define PTE_D     (1ull << 6)
#define PTE_PS    (1ull << 7)      /* large leaf at level 2/3 */
#define PTE_PAT4K (1ull << 7)      /* PAT bit in a level-1 entry */
#define PTE_G     (1ull << 8)
#define PTE_PATLG (1ull << 12)     /* PAT bit in a level-2/3 leaf */
#define PTE_NX    (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* Abstract mapping flags. Readable is implied by mapping at all. */
#define MAP_READ    0u
#define MAP_WRITE   (1u << 0)
#define MAP_EXEC    (1u << 1)
#define MAP_USER    (1u << 2)
#define MAP_GLOBAL  (1u << 3)
#define MAP_NOHUGE  (1u << 4)      /* force 4 KiB leaves */
#define MAP_CACHE_SHIFT 8
#define MAP_CACHE_MASK  (7u << MAP_CACHE_SHIFT)

enum cache_type {
	CACHE_WB = 0,       /* write-back: RAM */
	CACHE_WT = 1,       /* write-through */
	CACHE_UC_MINUS = 2, /* uncached, MTRR may override to WC */
	CACHE_UC = 3,       /* strong uncached: device registers */
	CACHE_WC = 4,       /* write-combining: framebuffers; needs pat_init() */
	CACHE_TYPE_COUNT
};
#define MAP_CACHE(c)      ((uint32_t)(c) << MAP_CACHE_SHIFT)
#define MAP_CACHE_OF(f)   ((enum cache_type)(((f) & MAP_CACHE_MASK) >> MAP_CACHE_SHIFT))

/*
 * The PAT MSR value Carto programs (pat_init in the kernel). Entry i is
 * selected by PAT:PCD:PWT = i. Entries 0..3 keep the power-on defaults
 * (WB WT UC- UC) so firmware-built mappings mean the same; entry 4 is WC.
 */
#define PAT_MSR_VALUE 0x0007050100070406ull   /* PA7..PA0: UC UC- WP WC UC UC- WT WB */

#define PT_NO_FRAME ((paddr_t)-1)

struct pt_space;

/* Where page-table frames come from. Frames must be reachable through the
 * window and are returned zeroed and PAGE_SIZE aligned by alloc(). */
struct pt_frame_source {
	paddr_t (*alloc)(struct pt_frame_source *src);   /* PT_NO_FRAME if none */
	void (*free)(struct pt_frame_source *src, paddr_t pa);
};

struct pt_space {
	paddr_t root;                 /* physical address of the top-level table */
	unsigned levels;              /* 4 (5 with LA57) */
	uint64_t window;              /* table at pa is at (window + pa) */
	/* ptaccess=recursive: the top-level slot whose entry points at the
	 * root itself, 0 for none. While is_current(as) says the CPU walks
	 * this space, its tables are reached through that slot
	 * (pt_recursive_va) instead of the window. */
	unsigned recursive_slot;
	bool (*is_current)(const struct pt_space *as);
	struct pt_frame_source *src;
	bool has_1g;                  /* CPU supports 1 GiB pages (probed once) */
	/* Called after entries changed for [va, va+size) (TLB shootdown hook);
	 * NULL where no TLB caches this space (loader, host tests). */
	void (*invalidate)(struct pt_space *as, vaddr_t va, uint64_t size);
	uint64_t tables;              /* page-table frames in use, root included */
};

/* One walk, for reports: the entry read at each level, top level first. */
struct pt_walk {
	unsigned depth;               /* number of entries read */
	unsigned level[PT_LEVELS + 1];
	uint64_t entry[PT_LEVELS + 1];
	paddr_t table[PT_LEVELS + 1]; /* physical address of the table read */
};

/*
 * pt_init - make an empty address space: allocate and zero the root table.
 * Sets levels = PT_LEVELS, invalidate = NULL (set it afterwards), tables = 1.
 * Returns E_OK, E_NOMEM (root not allocated, as->tables == 0) or E_INVAL
 * (src NULL).
 */
int pt_init(struct pt_space *as, struct pt_frame_source *src, uint64_t window,
	    bool has_1g);

/*
 * pt_map - map [va, va+size) to [pa, pa+size) with MAP_* flags.
 * va, pa and size must be 4 KiB aligned and va..va+size canonical. Uses the
 * largest leaf that fits alignment and length (1 GiB only if as->has_1g),
 * unless MAP_NOHUGE. Refuses to overwrite: the whole range is checked
 * first, and if any page of it is already mapped nothing is changed and
 * E_EXIST is returned. On E_NOMEM the pages mapped so far stay mapped (the
 * caller unmaps them). Returns E_OK, E_INVAL, E_EXIST or E_NOMEM.
 * E_INVAL: size 0; va, pa or size not 4 KiB aligned; va or va+size-1 not
 * canonical, or the range wraps or crosses the hole; pa+size > 2^52; a
 * flag bit MAP_* does not define or a cache type >= CACHE_TYPE_COUNT.
 * Calls as->invalidate for the part mapped, if any.
 */
int pt_map(struct pt_space *as, vaddr_t va, paddr_t pa, uint64_t size,
	   uint32_t flags);

/*
 * pt_pte_slot - the level-1 (4 KiB) entry for va, creating the tables
 * above it (from as->src) as needed, for code that manages a fixed range
 * of 4 KiB slots itself (kmap: kernel/kmap.c) and then writes entries
 * directly with pt_pte_bits(). The pointer stays valid as long as nothing
 * unmaps the whole table (pt_unmap of the range) - the caller owns the
 * range. Returns E_OK with *slot set, E_INVAL (va not canonical or not
 * page aligned), E_EXIST (a larger leaf covers va) or E_NOMEM.
 */
int pt_pte_slot(struct pt_space *as, vaddr_t va, uint64_t **slot);

/*
 * pt_translate - look up va. On success sets *pa (the physical address va
 * maps to, offset included), and if non-NULL *page_size and *flags (MAP_*
 * decoded from the leaf). Returns E_OK or E_NOENT (also for a
 * non-canonical va, which nothing maps).
 */
int pt_translate(const struct pt_space *as, vaddr_t va, paddr_t *pa,
		 uint64_t *page_size, uint32_t *flags);

/*
 * pt_walk - record the entries the CPU would read to translate va, stopping
 * at the first non-present entry or at the leaf. Never fails; a
 * non-canonical va yields depth 0.
 */
void pt_walk(const struct pt_space *as, vaddr_t va, struct pt_walk *w);

/*
 * pt_pte_bits - the one place MAP_* flags become PTE bits for a leaf at
 * the given level (1, 2 or 3): P; W if MAP_WRITE; NX unless MAP_EXEC; U if
 * MAP_USER; G if MAP_GLOBAL; PS at levels 2 and 3; and PAT:PCD:PWT set to
 * the PAT_MSR_VALUE entry of the cache type (PAT is bit 7 at level 1, bit
 * 12 above). MAP_NOHUGE has no bit. No address bits.
 */
uint64_t pt_pte_bits(uint32_t flags, unsigned level);

/* pt_flags_of - decode a leaf PTE at a level back into MAP_* flags
 * (pt_flags_of(pt_pte_bits(f, l), l) == f without MAP_NOHUGE). A PAT entry
 * Carto never selects (WP) decodes as CACHE_UC. */
uint32_t pt_flags_of(uint64_t pte, unsigned level);

/*
 * pt_recursive_va - where the table at @level that translates @va (level
 * as->levels: the root) appears through a recursive entry in top-level
 * slot @slot: the top @level indices are all @slot, the rest are va's own
 * top (levels - level) indices, shifted down that many levels.
 * For 4 levels and slot R: root = R,R,R,R; the level-1 table of va =
 * R,PX4,PX3,PX2. Only meaningful while the CPU walks a root whose entry
 * @slot points at itself. The result is canonical.
 */
vaddr_t pt_recursive_va(unsigned levels, unsigned slot, vaddr_t va, unsigned level);

/*
 * pt_root_table - a pointer to the root table of @as, through the
 * recursive slot if @as uses one and is current, else the window. For
 * checks and reports that read (or, at boot, write) top-level entries.
 */
uint64_t *pt_root_table(const struct pt_space *as);

/* True if va is canonical for 48-bit virtual addresses. */
bool va_is_canonical(vaddr_t va);

/*
 * pt_unmap - remove every mapping in [va, va+size). Unmapping a hole is not
 * an error: pages of the range that were not mapped are skipped and E_OK is
 * still returned. A large leaf that the range covers only in part is split
 * first (pt_split, down to the level the range's edges need), so the pages
 * outside the range keep their addresses and attributes exactly.
 * Page-table frames left empty are given back through as->src->free and
 * their parent entry cleared - except the root, and the tables the root's
 * kernel-half entries point to: those entries will be shared by every
 * future address space, so once made they stay.
 * The splits are done before anything is removed, so on E_NOMEM (no frame
 * for a split) no page is unmapped (some leaves may be split: same
 * translations). va and size must be 4 KiB aligned, the range non-empty and
 * canonical (as for pt_map). Calls as->invalidate over the changed span
 * (the old leaves of split pages included), and only then frees the
 * emptied tables, so no TLB or paging-structure cache can point into a
 * freed frame once the hook has done its shootdown.
 * Returns E_OK, E_INVAL or E_NOMEM.
 */
int pt_unmap(struct pt_space *as, vaddr_t va, uint64_t size);

/*
 * pt_unmap_release - pt_unmap that also hands the memory of every leaf it
 * removes to @release(@ctx, pa, size) (size: the leaf's bytes inside the
 * range, after any split), when @release is not NULL: how an address
 * space gives back the frames of its user pages. release is called during
 * the unmap, before as->invalidate: it must only record or free the
 * memory, not hand it to anything that could run before pt_unmap_release
 * returns (on one CPU with interrupts off nothing can). Same arguments,
 * results and table handling as pt_unmap.
 */
typedef void (*pt_release_fn)(void *ctx, paddr_t pa, uint64_t size);
int pt_unmap_release(struct pt_space *as, vaddr_t va, uint64_t size,
		     pt_release_fn release, void *ctx);

/*
 * pt_fill_top - give every empty top-level entry of [first, end) an empty
 * next-level table, so those top-level entries never change afterwards
 * (how the kernel half is shared by every address space: kernel/aspace.h).
 * Returns E_OK, E_INVAL (first > end or end > PT_ENTRIES) or E_NOMEM
 * (the entries filled so far stay: valid, empty tables).
 */
int pt_fill_top(struct pt_space *as, unsigned first, unsigned end);

/*
 * pt_protect - give every page of [va, va+size), which must all be mapped,
 * the permissions and cache type of @flags (MAP_WRITE, MAP_EXEC, MAP_USER,
 * MAP_GLOBAL, MAP_CACHE), keeping their physical addresses (and the A/D
 * bits). Large leaves straddling the range's edges are split first. If any
 * page is unmapped, returns E_NOENT and changes nothing; on E_NOMEM (no
 * frame for a split) no permission has changed. Calls as->invalidate over
 * the changed span. Returns E_OK, E_INVAL (bad range as for pt_map, unknown
 * flag, MAP_NOHUGE, bad cache type), E_NOENT or E_NOMEM.
 */
int pt_protect(struct pt_space *as, vaddr_t va, uint64_t size, uint32_t flags);

/*
 * pt_split - replace the leaf at @level (2 or 3) covering va by a table of
 * PT_ENTRIES leaves one level down mapping the same memory with exactly the
 * same attributes (the PAT bit moves from bit 12 to bit 7 when the new
 * leaves are 4 KiB; A/D and every other attribute bit are kept).
 * Translations do not change; as->invalidate is called over the old leaf.
 * Returns E_OK, E_INVAL (level not 2 or 3, va not canonical), E_NOENT (no
 * leaf of that level covers va) or E_NOMEM.
 */
int pt_split(struct pt_space *as, vaddr_t va, unsigned level);

#endif
