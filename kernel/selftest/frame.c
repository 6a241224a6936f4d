/*
 * frame.c - self-tests of the live frame allocator (physmem.h):
 * allocation and free, zeroing and poisoning seen through the direct map,
 * the below-4 GiB limit, alignment of blocks, refused frees (double free,
 * reserved frames, memory that is not RAM) and the accounting.
 */
#include "acpi.h"
#include "dmap.h"
#include "physmem.h"
#include "klib.h"
#include "kmap.h"
#include "selftest.h"

/* Fill the @n bytes at @pa with @v, through ram_map (the direct map, or a
 * vmap where there is none). */
static void fill_at(paddr_t pa, uint64_t n, uint8_t v)
{
	uint8_t *p = ram_map(pa, n, "selftest frames");

	if (!ST_CHECK(p != NULL, "cannot map %lx", pa))
		return;
	memset(p, v, n);
	ram_unmap(p, n);
}

/* True if the @n bytes at @pa all equal v. */
static bool all_bytes(paddr_t pa, uint64_t n, uint8_t v)
{
	const uint8_t *p = ram_map(pa, n, "selftest frames");
	bool same = p != NULL;

	for (uint64_t i = 0; same && i < n; i++)
		same = p[i] == v;
	if (p)
		ram_unmap((void *)p, n);
	return same;
}

/* Every test starts here: without frames_init there is nothing to test. */
static bool have_frames(void)
{
	return ST_CHECK(frames() != NULL,
			"frames_init has not run: kernel/main.c must call frames_init after kspace_init");
}

static uint64_t free_now(void)
{
	struct frame_stats st;
	frame_get_stats(frames(), &st);
	return st.free;
}

SELFTEST(frames_ready)
{
	struct frame_stats st;
	paddr_t bad = 0;

	if (!have_frames())
		return;
	frame_get_stats(frames(), &st);
	uint64_t reserved = 0;
	for (unsigned k = 0; k < FRAME_RES_KIND_COUNT; k++)
		reserved += st.reserved[k];
	ST_CHECK(st.managed > 0 && st.free > 0, "nothing to hand out (%lu managed)", st.managed);
	ST_CHECK(st.ram == st.managed + reserved + st.kept_acpi + st.kept_runtime + st.kept_limit,
		 "RAM %lu != managed %lu + reserved %lu + kept %lu/%lu/%lu", st.ram, st.managed, reserved,
		 st.kept_acpi, st.kept_runtime, st.kept_limit);
	ST_CHECK(st.reserved[FRAME_RES_KERNEL] > 0 && st.reserved[FRAME_RES_PT_POOL] > 0 &&
		 st.reserved[FRAME_RES_METADATA] > 0, "kernel %lu, pool %lu, metadata %lu frames reserved",
		 st.reserved[FRAME_RES_KERNEL], st.reserved[FRAME_RES_PT_POOL], st.reserved[FRAME_RES_METADATA]);
	int r = frame_verify(frames(), &bad);
	ST_CHECK(r == E_OK, "frame_verify: %s at %lx", status_name(r), bad);
}

SELFTEST(frames_alloc_free)
{
	if (!have_frames())
		return;
	uint64_t before = free_now();
	paddr_t pa;
	int r = frames_alloc(0, 0, &pa);

	if (!ST_CHECK(r == E_OK, "frames_alloc: %s", status_name(r)))
		return;
	ST_CHECK(IS_ALIGNED(pa, PAGE_SIZE) && pa >= FRAMES_LOWMEM_END, "frame %lx", pa);
	ST_CHECK(frame_state(frames(), pa) == FRAME_STATE_USED, "frame %lx not marked used", pa);
	ST_CHECK(free_now() == before - 1, "free count %lu, want %lu", free_now(), before - 1);
	fill_at(pa, PAGE_SIZE, 0x5a);   /* it is RAM, ours */
	r = frames_free(pa, 0);
	ST_CHECK(r == E_OK && frame_state(frames(), pa) == FRAME_STATE_FREE, "free: %s", status_name(r));
	ST_CHECK(free_now() == before, "free count %lu, want %lu", free_now(), before);
}

SELFTEST(frames_zeroed_and_poisoned)
{
	paddr_t pa, pb;

	if (!have_frames() || !ST_CHECK(frames_alloc(0, 0, &pa) == E_OK, "no frame"))
		return;
	fill_at(pa, PAGE_SIZE, 0xaa);
	frames_free(pa, 0);
#if FRAMES_POISON
	ST_CHECK(all_bytes(pa, PAGE_SIZE, FRAME_POISON), "freed frame %lx not poisoned", pa);
#endif
	if (!ST_CHECK(frames_alloc(0, FRAME_ZERO, &pb) == E_OK, "no zeroed frame"))
		return;
	ST_CHECK(all_bytes(pb, PAGE_SIZE, 0), "FRAME_ZERO frame %lx not zero", pb);
	frames_free(pb, 0);
	if (!ST_CHECK(frames_alloc(4, FRAME_ZERO, &pb) == E_OK, "no zeroed 64 KiB block"))
		return;
	ST_CHECK(all_bytes(pb, 16 * PAGE_SIZE, 0), "FRAME_ZERO block %lx not zero", pb);
	frames_free(pb, 4);
}

SELFTEST(frames_below_4g)
{
	paddr_t pa;

	if (!have_frames())
		return;
	int r = frames_alloc(0, FRAME_LOW32, &pa);

	ST_CHECK(r == E_OK && pa + PAGE_SIZE <= FRAME_LOW_LIMIT, "FRAME_LOW32 frame: %s %lx", status_name(r), pa);
	if (r == E_OK)
		frames_free(pa, 0);
	r = frames_alloc(FRAME_ORDER_2M, FRAME_LOW32, &pa);
	ST_CHECK(r == E_OK && pa + (PAGE_SIZE << FRAME_ORDER_2M) <= FRAME_LOW_LIMIT &&
		 IS_ALIGNED(pa, PAGE_SIZE_2M), "FRAME_LOW32 2 MiB block: %s %lx", status_name(r), pa);
	if (r == E_OK)
		frames_free(pa, FRAME_ORDER_2M);
}

SELFTEST(frames_blocks_aligned)
{
	if (!have_frames())
		return;
	for (unsigned order = 1; order <= 10; order++) {
		paddr_t pa;
		int r = frames_alloc(order, 0, &pa);
		if (!ST_CHECK(r == E_OK, "order %u: %s", order, status_name(r)))
			continue;
		ST_CHECK(IS_ALIGNED(pa, PAGE_SIZE << order), "order %u block at %lx", order, pa);
		ST_CHECK(frame_state(frames(), pa + (PAGE_SIZE << order) - PAGE_SIZE) == FRAME_STATE_USED,
			 "order %u: last frame not used", order);
		ST_CHECK(frames_free(pa, order) == E_OK, "order %u: free", order);
	}
	paddr_t chunk = frames_alloc_pt_chunk();
	ST_CHECK(chunk != PT_NO_FRAME && IS_ALIGNED(chunk, PT_POOL_CHUNK) &&
		 chunk + PT_POOL_CHUNK <= PT_WINDOW_MAX_PHYS, "page-table chunk %lx", chunk);
	if (chunk != PT_NO_FRAME)
		frames_free(chunk, FRAME_ORDER_2M);
}

SELFTEST(frames_bad_frees_refused)
{
	const struct handoff *h = selftest_handoff();
	struct frame_stats before, after;
	paddr_t pa;

	if (!have_frames() || !ST_CHECK(h && frames_alloc(0, 0, &pa) == E_OK, "no hand-off or no frame"))
		return;
	frames_free(pa, 0);
	frame_get_stats(frames(), &before);
	ST_CHECK(frames_free(pa, 0) == E_NOENT, "double free of %lx not caught", pa);
	ST_CHECK(frames_free(h->segments[0].pa, 0) == E_PERM, "free of the kernel image %lx not refused",
		 h->segments[0].pa);
	ST_CHECK(frames_free(h->pool[0].start, 0) == E_PERM, "free of a page-table frame %lx not refused",
		 h->pool[0].start);
	ST_CHECK(frames_free(ALIGN_DOWN(h->memmap_pa, PAGE_SIZE), 0) == E_PERM,
		 "free of the hand-off's memory map not refused");
	int r = frames_free(0x1000, 0);
	ST_CHECK(r == E_PERM || r == E_RANGE, "free of low memory: %s", status_name(r));
	ST_CHECK(frames_free(0xfee00000, 0) == E_RANGE, "free of the local APIC's page not refused");
	ST_CHECK(frames_free(pa + 1, 0) == E_INVAL, "unaligned free not refused");
	frame_get_stats(frames(), &after);
	ST_CHECK(after.free == before.free && after.refused_free == before.refused_free + 1 &&
		 after.refused_reserved >= before.refused_reserved + 3,
		 "refused frees changed the counts (free %lu -> %lu)", before.free, after.free);
	ST_CHECK(frame_verify(frames(), NULL) == E_OK, "allocator inconsistent after refused frees");
}

/* Firmware may keep ACPI tables in memory the allocator manages (U-Boot
 * keeps them in boot-services code): every table acpi_init read must be in
 * frames that were never free, whatever the firmware. */
SELFTEST(frames_acpi_tables_kept)
{
	const struct acpi_info *ai = acpi_get();

	if (!have_frames())
		return;
	if (!ai->found) {
		ST_CHECK(selftest_handoff() && !selftest_handoff()->rsdp,
			 "the firmware gave an RSDP, yet acpi_init found no tables");
		return;
	}
	unsigned read = 0;
	for (unsigned i = 0; i < ai->rec_count; i++) {
		const struct acpi_table_rec *t = &ai->rec[i];
		if (t->err != ACPI_OK)
			continue;
		read++;
		for (paddr_t pa = ALIGN_DOWN(t->pa, PAGE_SIZE); pa < t->pa + t->len; pa += PAGE_SIZE) {
			enum frame_state s = frame_state(frames(), pa);
			if (!ST_CHECK(s == FRAME_STATE_RESERVED || s == FRAME_STATE_UNMANAGED,
				      "ACPI %s [%lx, %lx): frame %lx is %s", t->sig, t->pa,
				      t->pa + t->len, pa, s == FRAME_STATE_FREE ? "free" : "allocated"))
				break;
		}
	}
	ST_CHECK(read > 0, "acpi_init found tables but recorded none it read");
}

SELFTEST(frames_handoff_reservations_kept)
{
	const struct handoff *h = selftest_handoff();

	if (!have_frames() || !ST_CHECK(h != NULL, "no hand-off"))
		return;
	for (uint32_t i = 0; i < h->reservation_count; i++) {
		const struct handoff_reservation *rv = &h->reservations[i];
		for (paddr_t pa = ALIGN_DOWN(rv->start, PAGE_SIZE); pa < rv->end; pa += PAGE_SIZE) {
			enum frame_state s = frame_state(frames(), pa);
			if (!ST_CHECK(s == FRAME_STATE_RESERVED || s == FRAME_STATE_UNMANAGED,
				      "reservation %u (kind %u) frame %lx is %d", i, rv->kind, pa, s))
				break;
		}
	}
	for (paddr_t pa = 0; pa < FRAMES_LOWMEM_END; pa += PAGE_SIZE)
		if (!ST_CHECK(frame_state(frames(), pa) != FRAME_STATE_FREE, "low frame %lx is free", pa))
			break;
}
