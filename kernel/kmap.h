/*
 * kmap.h - explicit mappings of RAM: how the kernel reaches a frame that
 * the direct map does not cover (highmem under addressing=direct:LIMIT,
 * every frame under addressing=explicit), or any frame when it wants to.
 *
 * Two kinds, both in the EXPLICIT MAPPINGS region of memlayout.h:
 *
 *   kmap     short-lived: one frame in one of this CPU's KMAP_SLOTS fixed
 *            4 KiB slots, RW NX WB, not global. kunmap clears the entry
 *            and invalidates it on this CPU only (invlpg): a slot is used
 *            by the CPU that mapped it and no other, so no shootdown is
 *            needed. Mapping and unmapping write one PTE each (the slot
 *            tables are made once by kmap_init): no walk, no allocation.
 *   vmap     long-lived: a range of frames at consecutive addresses in the
 *            VMAP area, each area followed by an unmapped guard page, until
 *            vunmap. Global: it stays valid on every CPU.
 *
 * ram_map is the one function for "map this physical RAM for long-lived
 * kernel use" (buffers, rings, firmware tables): it returns the direct-map
 * address when the direct map covers the whole range, and a vmap of it
 * otherwise, so its callers work in every addressing mode.
 *
 * Leaks: every kmap records its owner (the calling function). A function
 * that maps temporarily opens a scope with KMAP_SCOPE(); when it returns,
 * any slot taken since the scope began and still mapped is a panic naming
 * the slot, its frame and the function that mapped it. The self-test
 * runner checks the same after every test.
 *
 * Misuse is refused with a status, never a silent wrong answer: kunmap of
 * an address that is not a live slot of this CPU (E_INVAL), kmap with
 * every slot in use (E_NOSPC), vunmap of an address that is not the start
 * of a live area (E_NOENT).
 */
#ifndef CARTO_KMAP_H
#define CARTO_KMAP_H

#include "frame.h"
#include "handoff.h"
#include "types.h"

/*
 * kmap_init - make the page tables of every CPU's kmap slots (one level-1
 * table per 2 MiB of slots) and set up the vmap area. Call once after
 * kspace_init, before any other function here. Panics if the tables
 * cannot be made.
 */
void kmap_init(const struct handoff *h);

/*
 * kmap_try - map the frame holding @pa into a free slot of this CPU; *va
 * gets the address of the byte at @pa (the offset in the frame is kept).
 * @owner names the caller (kept for leak reports). Returns E_OK, E_NOSPC
 * (every slot of this CPU is in use; nothing changed) or E_RANGE (@pa at
 * or above 2^52).
 */
int kmap_try(paddr_t pa, const char *owner, void **va);

/* kmap - kmap_try that panics on failure (the caller can rely on a slot:
 * running out is a leak), naming the caller and the slots' owners. */
#define kmap(pa) kmap_owned((pa), __func__)
void *kmap_owned(paddr_t pa, const char *owner);

/*
 * kunmap - unmap the slot holding @va (any address inside the slot),
 * which must be a live slot of this CPU, and invalidate it locally.
 * Returns E_OK or E_INVAL (not a kmap slot, or a slot not in use); on
 * E_INVAL nothing changes.
 */
int kunmap(const void *va);

/* kmap_slots_used - slots of this CPU in use now. */
unsigned kmap_slots_used(void);

/* A leak-checking scope (see the header comment). */
struct kmap_scope {
	uint64_t used_at_entry;     /* bitmap of slots in use when it began */
	const char *owner;
};
/*
 * kmap_scope_leak - the first slot taken since @s began that is still in
 * use (its index), or -1 if none. Changes nothing.
 */
int kmap_scope_leak(const struct kmap_scope *s);
/* kmap_scope_end - the check run when the scope's function returns:
 * panics naming the leaked slot, its frame, who mapped it and @s->owner. */
void kmap_scope_end(struct kmap_scope *s);
struct kmap_scope kmap_scope_begin(const char *owner);
#define KMAP_SCOPE()                                                           \
	struct kmap_scope kmap_scope_ __attribute__((cleanup(kmap_scope_end))) = \
		kmap_scope_begin(__func__)

/* kmap_slot_owner - who mapped slot @i of this CPU, NULL if it is free. */
const char *kmap_slot_owner(unsigned i);

/*
 * vmap - map @n frames @frames[0..n) (each page aligned) at consecutive
 * addresses in the vmap area, with MAP_* @flags (MAP_WRITE,
 * MAP_CACHE(...); always NX and global). Returns the address of the
 * first, or 0 if @n is 0, a frame is not aligned, the area is full or a
 * page table could not be allocated (nothing stays mapped then).
 */
vaddr_t vmap(const paddr_t *frames, size_t n, uint32_t flags, const char *owner);

/* vmap_range - vmap of the contiguous frames [pa, pa + size) (page
 * aligned), with large pages where alignment allows. 0 on failure. */
vaddr_t vmap_range(paddr_t pa, uint64_t size, uint32_t flags, const char *owner);

/* vunmap - unmap the area that starts at @va and free its addresses.
 * Returns E_OK or E_NOENT (@va is not the start of a live area). */
int vunmap(vaddr_t va);

/* vmap_areas - live vmap areas; vmap_bytes - bytes they map. */
unsigned vmap_areas(void);
uint64_t vmap_bytes(void);

/*
 * ram_map - map [pa, pa + size) of RAM for long-lived kernel use, RW, WB,
 * NX, and return a pointer to the byte at @pa: the direct-map address if
 * the direct map covers the whole range, else a vmap of the frames
 * holding it (@owner names it). NULL if @size is 0 or the vmap failed.
 * Give it back with ram_unmap(pointer, size) (a no-op for the direct map).
 */
void *ram_map(paddr_t pa, uint64_t size, const char *owner);
void ram_unmap(void *p, uint64_t size);

/*
 * ram_alloc - @bytes (rounded up to a power-of-two number of pages) of
 * RAM from the frame allocator, for the kernel's own data (the console's
 * back buffer and scrollback), not zeroed, reached through ram_map.
 * Returns where the kernel reaches it, or NULL if no block that size is
 * free or there is no room to map it (nothing is kept then). Kept for
 * good: there is no free.
 */
void *ram_alloc(size_t bytes);

/*
 * phys_read64 - the 8 bytes at @pa (8-byte aligned, RAM), read the way
 * this mode reaches RAM: through the direct map where it covers @pa,
 * else through a kmap slot mapped and unmapped around the load.
 */
uint64_t phys_read64(paddr_t pa);

/* phys_copy_frame - copy the frame at @src to the frame at @dst (both
 * page aligned, RAM), through the direct map where it covers both, else
 * through two kmap slots. */
void phys_copy_frame(paddr_t dst, paddr_t src);

/*
 * dmap_covers - true if the direct map maps every byte of [pa, pa+size)
 * (the RAM below the direct map's limit; see kmap_dmap_limit).
 */
bool dmap_covers(paddr_t pa, uint64_t size);

/*
 * kmap_frame_mem - how the frame allocator reaches RAM (frame.h struct
 * frame_mem) in this addressing mode: its metadata through the direct map
 * (under direct:LIMIT in lowmem) or, without a direct map, a ram_map; its
 * zeroing and poisoning through the direct map where it covers the
 * block, else a kmap slot (one frame) or a vmap (a block). For
 * frames_init (physmem.h); valid after kmap_init.
 */
struct frame_mem *kmap_frame_mem(void);

/* kmap_dmap_limit - RAM at or above this is not in the direct map:
 * DMAP_MAX_PHYS in addressing=direct, LIMIT in direct:LIMIT, 0 in
 * explicit. */
paddr_t kmap_dmap_limit(void);

#endif
