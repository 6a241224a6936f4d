/*
 * memlayout.h - Carto's virtual address space, in one place.
 *
 * x86_64 4-level paging: 48-bit virtual addresses, 512 top-level (PML4)
 * slots of 512 GiB each. Slots 0..255 are the lower (user) half; slots
 * 256..511 are the kernel half, shared later by every address space.
 *
 *   virtual address                      PML4 slots  what
 *   0x0000000000000000 .. 0x00007fffffffffff   0..255  lower half: empty in the kernel's own
 *                                                      tables once the identity trampoline page
 *                                                      is dropped; each process's user space
 *                                                      (kernel/aspace.h): its programs from
 *                                                      USER_LOAD_BASE, its stack below
 *                                                      USER_STACK_TOP above a guard page
 *   -- non-canonical hole --
 *   0xffff800000000000 .. 0xffffc00000000000 256..383  DIRECT MAP: DMAP_BASE + phys, RAM only,
 *                                                      write-back, NX (64 TiB of phys)
 *   0xffffc00000000000 .. 0xffffe00000000000 384..447  PAGE-TABLE WINDOW: PT_WINDOW_BASE + phys,
 *                                                      only page-table pool chunks mapped, RW NX
 *   0xffffe00000000000 .. 0xfffff00000000000 448..479  EXPLICIT MAPPINGS (kernel/kmap.h):
 *                                                 448  scratch for the page-table self-tests
 *                                                 449  KMAP: per-CPU temporary 4 KiB slots
 *                                                      (KMAP_SLOTS each), RW NX
 *                                            450..457  VMAP: long-lived mappings of frames,
 *                                                      each followed by an unmapped guard page
 *                                            464..479  HAND-OFF WINDOW: HANDOFF_BASE + phys, only
 *                                                      the hand-off block and its maps, RW NX
 *                                                      (mapped by the loader in every mode)
 *   0xfffff00000000000 .. 0xfffff40000000000 480..487  MMIO: device mappings made by mmio_map
 *   0xfffff40000000000 .. 0xfffff80000000000 488..495  EFI RUNTIME: the firmware's runtime regions
 *                                                      at EFIRT_BASE + phys (kernel/efirt.c), with
 *                                                      the Memory Attributes Table's permissions
 *   0xfffff80000000000 .. 0xfffff88000000000      496  RECURSIVE SLOT (ptaccess=recursive only):
 *                                                      the entry points at the PML4 itself, NX,
 *                                                      supervisor; empty in the default mode
 *   0xfffff88000000000 .. 0xffffff0000000000 497..509  (reserved)
 *   0xffffff0000000000 .. 0xffffff8000000000      510  KERNEL STACKS: each stack sits above an
 *                                                      unmapped guard page
 *   0xffffff8000000000 .. 0xffffffff80000000      511  (unused bottom of the last slot)
 *   0xffffffff80000000 .. 0x0000000000000000      511  KERNEL IMAGE (top 2 GiB, -mcmodel=kernel),
 *                                                      mapped per ELF segment with W^X
 *
 * Why a page-table window separate from the direct map: page tables are the
 * one kind of memory the kernel must reach even in a mode without a direct
 * map, and they are the memory we want to keep read-only everywhere but in
 * one place. So page-table frames are not taken one by one from anywhere in
 * RAM: they come from "pool chunks" of PT_POOL_CHUNK bytes (2 MiB, 2 MiB
 * aligned), and only those chunks are mapped in the window, each with one
 * 2 MiB page. The window's virtual range is sized for any physical address
 * below PT_WINDOW_MAX_PHYS, but what is mapped of it is a handful of 2 MiB
 * pages. Chunks are allocated below PT_WINDOW_MAX_PHYS. A page-table frame at
 * physical address pa is always at PT_WINDOW_BASE + pa, with no lookup;
 * include/ptwindow.h is the module that owns the chunks and the one
 * conversion (pt_window_va), which checks pa lies in a chunk.
 *
 * The direct map covers RAM only (see memmap.h for which EFI types count as
 * RAM) and never maps holes or MMIO: a device mapping must go through the
 * MMIO region with its own cache type.
 *
 * Going to 5-level paging changes the slot size (256 TiB) and these bases;
 * everything below is derived from KSLOT() so that change is made here.
 */
#ifndef CARTO_MEMLAYOUT_H
#define CARTO_MEMLAYOUT_H

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1ul << PAGE_SHIFT)
#define PAGE_SIZE_2M    (1ul << 21)
#define PAGE_SIZE_1G    (1ul << 30)

#define PT_ENTRIES      512ul          /* entries per table at every level */
#define PT_LEVELS       4               /* 4-level paging (PML4) */
#define VA_BITS         48
#define SLOT_SHIFT      39              /* one PML4 slot maps 512 GiB */
#define SLOT_SIZE       (1ul << SLOT_SHIFT)

/* Highest physical address bits any x86_64 CPU may implement (MAXPHYADDR). */
#define PHYS_ADDR_BITS_MAX 52
#define PHYS_ADDR_LIMIT    (1ul << PHYS_ADDR_BITS_MAX)

/* Kernel-half virtual address of the first byte of PML4 slot n (n >= 256). */
#define KSLOT(n)        (0xffff000000000000ul | ((unsigned long)(n) << SLOT_SHIFT))

#define DMAP_SLOT       256
#define DMAP_SLOTS      128
#define DMAP_BASE       KSLOT(DMAP_SLOT)                    /* 0xffff800000000000 */
#define DMAP_SIZE       ((unsigned long)DMAP_SLOTS * SLOT_SIZE) /* 64 TiB */
#define DMAP_END        (DMAP_BASE + DMAP_SIZE)
#define DMAP_MAX_PHYS   DMAP_SIZE   /* RAM above this is not direct-mapped */

#define PT_WINDOW_SLOT  384
#define PT_WINDOW_SLOTS 64
#define PT_WINDOW_BASE  KSLOT(PT_WINDOW_SLOT)               /* 0xffffc00000000000 */
#define PT_WINDOW_SIZE  ((unsigned long)PT_WINDOW_SLOTS * SLOT_SIZE) /* 32 TiB */
#define PT_WINDOW_END   (PT_WINDOW_BASE + PT_WINDOW_SIZE)
#define PT_WINDOW_MAX_PHYS PT_WINDOW_SIZE  /* pool chunks must lie below this */
#define PT_POOL_CHUNK   PAGE_SIZE_2M

#define TEMPMAP_SLOT    448
#define TEMPMAP_BASE    KSLOT(TEMPMAP_SLOT)                 /* 0xffffe00000000000 */
#define KMAP_SLOT       449
#define KMAP_BASE       KSLOT(KMAP_SLOT)                    /* 0xffffe08000000000 */
#define KMAP_SLOTS      32                                  /* temporary slots per CPU */
#define KMAP_MAX_CPUS   64
#define KMAP_CPU_BASE(cpu) (KMAP_BASE + (unsigned long)(cpu) * KMAP_SLOTS * PAGE_SIZE)
#define KMAP_END        KMAP_CPU_BASE(KMAP_MAX_CPUS)
#define VMAP_SLOT       450
#define VMAP_SLOTS      8
#define VMAP_BASE       KSLOT(VMAP_SLOT)                    /* 0xffffe10000000000 */
#define VMAP_END        (VMAP_BASE + (unsigned long)VMAP_SLOTS * SLOT_SIZE) /* 4 TiB */

#define HANDOFF_SLOT    464
#define HANDOFF_SLOTS   16
#define HANDOFF_BASE    KSLOT(HANDOFF_SLOT)                 /* 0xffffe80000000000 */
#define HANDOFF_MAX_PHYS ((unsigned long)HANDOFF_SLOTS * SLOT_SIZE) /* 8 TiB */

#define MMIO_SLOT       480
#define MMIO_SLOTS      8
#define MMIO_BASE       KSLOT(MMIO_SLOT)                    /* 0xfffff00000000000 */
#define MMIO_SIZE       ((unsigned long)MMIO_SLOTS * SLOT_SIZE) /* 4 TiB */
#define MMIO_END        (MMIO_BASE + MMIO_SIZE)

/* EFI runtime regions: a region at physical address pa is mapped at
 * EFIRT_BASE + pa, so the firmware's regions keep their distances (some
 * firmware assumes they do). Regions at or above EFIRT_MAX_PHYS cannot be
 * mapped: the runtime services are then not used. */
#define EFIRT_SLOT      488
#define EFIRT_SLOTS     8
#define EFIRT_BASE      KSLOT(EFIRT_SLOT)                   /* 0xfffff40000000000 */
#define EFIRT_SIZE      ((unsigned long)EFIRT_SLOTS * SLOT_SIZE) /* 4 TiB */
#define EFIRT_END       (EFIRT_BASE + EFIRT_SIZE)
#define EFIRT_MAX_PHYS  EFIRT_SIZE

/* ptaccess=recursive (kernel/kspace.c): this PML4 entry points at the
 * PML4, so the CPU shows every table of the current space in this slot,
 * at pt_recursive_va() (mm/pt.c). */
#define RECURSIVE_SLOT  496
#define RECURSIVE_BASE  KSLOT(RECURSIVE_SLOT)               /* 0xfffff80000000000 */

#define KSTACK_SLOT     510
#define KSTACK_BASE     KSLOT(KSTACK_SLOT)                  /* 0xffffff0000000000 */
#define KSTACK_PAGES    8                                   /* 32 KiB per stack */
#define KSTACK_SIZE     (KSTACK_PAGES * PAGE_SIZE)
/* Stack i occupies [KSTACK_BASE + i*KSTACK_STRIDE + PAGE_SIZE, +KSTACK_SIZE);
 * the page below it is never mapped (the guard page). */
#define KSTACK_STRIDE   (KSTACK_SIZE + PAGE_SIZE)
#define KSTACK_BOTTOM(i) (KSTACK_BASE + (unsigned long)(i) * KSTACK_STRIDE + PAGE_SIZE)
#define KSTACK_TOP(i)   (KSTACK_BOTTOM(i) + KSTACK_SIZE)
/* Stack numbers: 0 = boot/kernel stack, 1..KSTACK_IST_END-1 = IST stacks (double
 * fault, NMI, MCE: an isolated process's tables map these too, kernel/aspace.h),
 * KSTACK_EFIRT = the stack every EFI runtime call runs on (kernel/efirt.c). */
#define KSTACK_IST_END  4
#define KSTACK_EFIRT    4
#define KSTACK_COUNT    5

/* The lower half, every process's own (kernel/aspace.h). USER_END is the
 * first address past it: the copy routines check ranges against it. */
#define USER_END        0x0000800000000000ul
#define USER_LOAD_BASE  0x0000000000400000ul               /* user programs' link address */
#define USER_STACK_TOP  0x00007ffffff00000ul
#define USER_STACK_SIZE (64 * 1024ul)                      /* a guard page lies below it */

#define KERNEL_SLOT     511
#define KERNEL_BASE     0xffffffff80000000ul               /* link address (-mcmodel=kernel) */

#ifndef __ASSEMBLER__
/* The facts the rest of the code relies on, checked at compile time. */
_Static_assert(DMAP_BASE == 0xffff800000000000ul, "direct map base is part of the ABI");
_Static_assert(PT_WINDOW_BASE == DMAP_END, "window follows the direct map");
_Static_assert(DMAP_SLOT + DMAP_SLOTS <= PT_WINDOW_SLOT, "direct map and window overlap");
_Static_assert(PT_WINDOW_SLOT + PT_WINDOW_SLOTS <= TEMPMAP_SLOT, "window and tempmap overlap");
_Static_assert(TEMPMAP_SLOT < KMAP_SLOT && KMAP_END <= VMAP_BASE, "kmap slots overlap");
_Static_assert((KMAP_SLOTS * PAGE_SIZE) % PAGE_SIZE_2M == 0 || PAGE_SIZE_2M % (KMAP_SLOTS * PAGE_SIZE) == 0,
	       "one CPU's kmap slots share one page table");
_Static_assert(VMAP_SLOT + VMAP_SLOTS <= HANDOFF_SLOT, "vmap and hand-off window overlap");
_Static_assert(HANDOFF_SLOT + HANDOFF_SLOTS <= MMIO_SLOT, "hand-off window and MMIO overlap");
_Static_assert(MMIO_SLOT + MMIO_SLOTS <= EFIRT_SLOT, "MMIO and EFI runtime overlap");
_Static_assert(EFIRT_SLOT + EFIRT_SLOTS <= RECURSIVE_SLOT, "EFI runtime and recursive slot overlap");
_Static_assert(RECURSIVE_SLOT < KSTACK_SLOT, "recursive slot and stacks overlap");
_Static_assert(EFIRT_BASE == MMIO_END, "EFI runtime follows MMIO");
_Static_assert((EFIRT_BASE & (PAGE_SIZE_1G - 1)) == 0, "EFI runtime region is 1 GiB aligned");
_Static_assert(KSTACK_EFIRT < KSTACK_COUNT, "the EFI runtime stack is one of the kernel stacks");
_Static_assert(KSTACK_EFIRT >= KSTACK_IST_END, "the EFI runtime stack is not an IST stack");
_Static_assert(KSTACK_SLOT < KERNEL_SLOT, "stacks and kernel image share a slot");
_Static_assert(KSTACK_TOP(KSTACK_COUNT - 1) <= KSLOT(KSTACK_SLOT + 1), "stacks overflow their slot");
_Static_assert(USER_END == 1ul << (VA_BITS - 1), "the lower half ends at the hole");
_Static_assert(USER_STACK_TOP < USER_END && USER_LOAD_BASE < USER_STACK_TOP - USER_STACK_SIZE,
	       "user layout inside the lower half");
_Static_assert(((KERNEL_BASE >> SLOT_SHIFT) & (PT_ENTRIES - 1)) == KERNEL_SLOT, "kernel slot");
_Static_assert((PT_POOL_CHUNK & (PAGE_SIZE_2M - 1)) == 0, "pool chunks are whole 2 MiB pages");
_Static_assert((MMIO_BASE & (PAGE_SIZE_1G - 1)) == 0, "MMIO region is 1 GiB aligned");
#endif

#endif
