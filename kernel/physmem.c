/*
 * physmem.c - the kernel's frame allocator: mm/frame.c's allocator built
 * from the hand-off, with the kernel's reservations (see physmem.h).
 */
#include "boot.h"
#include "console.h"
#include "dmap.h"
#include "physmem.h"
#include "cpu.h"
#include "klib.h"
#include "monitor.h"
#include "panic.h"
#include "pt.h"

/* Hand-off reservations plus low memory, the framebuffer and the caller's
 * firmware ranges. */
#define FRAMES_EXTRA_RES (2 + FRAMES_FIRMWARE_RES)
_Static_assert(HANDOFF_MAX_RESERVATIONS + FRAMES_EXTRA_RES < FRAME_MAX_RESERVED,
	       "frame_init takes every reservation the kernel passes");

static struct frame_alloc kframes;
static bool ready;
static uint64_t init_ticks;
/* What frame_init was given besides the map (frames_report_inputs). */
static struct frame_reservation kres[HANDOFF_MAX_RESERVATIONS + FRAMES_EXTRA_RES];
static size_t kres_count;
static const paddr_t klimit = DMAP_MAX_PHYS;



/* Collect what must not be handed out; returns the count. */
static size_t collect_reservations(const struct handoff *h, struct frame_reservation *res,
				   const struct range *fw, size_t nfw)
{
	size_t n = 0;

	for (uint32_t i = 0; i < h->reservation_count && i < HANDOFF_MAX_RESERVATIONS; i++)
		res[n++] = (struct frame_reservation){ h->reservations[i].start, h->reservations[i].end,
						       h->reservations[i].kind, 0 };
	res[n++] = (struct frame_reservation){ 0, FRAMES_LOWMEM_END, FRAME_RES_LOWMEM, 0 };
	for (size_t i = 0; i < nfw && i < FRAMES_FIRMWARE_RES; i++)
		res[n++] = (struct frame_reservation){ fw[i].start, fw[i].end, FRAME_RES_FIRMWARE, 0 };
	if (h->fb.format != FB_NONE && h->fb.size)
		res[n++] = (struct frame_reservation){ h->fb.base, h->fb.base + h->fb.size,
						       FRAME_RES_FIRMWARE, 0 };
	return n;
}

void frames_init(const struct handoff *h, const struct range *firmware, size_t n,
		 struct frame_mem *mem)
{
	struct frame_reservation *res = kres;
	struct memmap map = boot_memmap(h);

	for (uint32_t i = 0; i < h->reservation_count && i < HANDOFF_MAX_RESERVATIONS; i++)
		if (h->reservations[i].kind >= HANDOFF_RES_KINDS)
			panic("frames_init: hand-off reservation %u has unknown kind %u", i,
			      h->reservations[i].kind);
	struct frame_config cfg = {
		.map = &map, .res = res, .res_count = collect_reservations(h, res, firmware, n),
		.mem = mem, .limit = klimit,
		.direct_limit = h->dmap_limit < DMAP_MAX_PHYS ? h->dmap_limit : 0,
		.flags = FRAMES_POISON ? FRAME_INIT_POISON : 0,
	};
	kres_count = cfg.res_count;
	uint64_t t0 = rdtsc();
	int st = frame_init(&kframes, &cfg);
	init_ticks = rdtsc() - t0;
	if (st != E_OK)
		panic("frames_init: cannot build the frame allocator from the hand-off's %u-entry map: %s%s",
		      h->memmap_count, status_name(st),
		      st == E_NOMEM ? " (no direct-mapped RAM region holds its metadata)" : "");
	ready = true;
}

struct frame_alloc *frames(void)
{
	return ready ? &kframes : NULL;
}

int frames_alloc(unsigned order, uint32_t flags, paddr_t *pa)
{
	return frame_alloc_block(&kframes, order, flags, pa);
}

int frames_free(paddr_t pa, unsigned order)
{
	return frame_free_block(&kframes, pa, order);
}

paddr_t frames_alloc_pt_chunk(void)
{
	const unsigned order = FRAME_ORDER_2M;
	paddr_t pa;

	_Static_assert(PT_POOL_CHUNK == PAGE_SIZE << FRAME_ORDER_2M, "a pool chunk is one 2 MiB block");
	/* Not zeroed here: the pool zeroes each frame as it hands it out
	 * (through the window), and a chunk need not be in the direct map. */
	if (frames_alloc(order, 0, &pa) != E_OK)
		return PT_NO_FRAME;
	if (pa + PT_POOL_CHUNK <= PT_WINDOW_MAX_PHYS)
		return pa;
	/* Above the window's reach (more than 32 TiB of RAM): low memory
	 * always is within it. */
	frames_free(pa, order);
	return frames_alloc(order, FRAME_LOW32, &pa) == E_OK ? pa : PT_NO_FRAME;
}

uint64_t frames_init_ticks(void)
{
	return init_ticks;
}

/* Print "label item, item, ..." wrapped to fit 80 columns. */
struct wrap {
	char line[96];
	size_t len;
};

static void wrap_add(struct wrap *w, const char *item, bool last)
{
	size_t n = strlen(item);
	if (w->len + n + 2 > 78) {
		kprintf("%s\n", w->line);
		w->len = (size_t)ksnprintf(w->line, sizeof(w->line), "   ");
	}
	w->len += (size_t)ksnprintf(w->line + w->len, sizeof(w->line) - w->len, " %s%s", item,
				    last ? "" : ",");
	if (last)
		kprintf("%s\n", w->line);
}

static void report_reserved(const struct frame_stats *st)
{
	struct wrap w;
	char a[24], item[48];

	w.len = (size_t)ksnprintf(w.line, sizeof(w.line), "  reserved:");
	for (unsigned k = 0; k < FRAME_RES_KIND_COUNT; k++) {
		ksnprintf(item, sizeof(item), "%s %s", frame_res_kind_name(k),
			  kfmt_size(st->reserved[k] * PAGE_SIZE, a, sizeof(a)));
		wrap_add(&w, item, k + 1 == FRAME_RES_KIND_COUNT);
	}
	w.len = (size_t)ksnprintf(w.line, sizeof(w.line), "  kept out:");
	ksnprintf(item, sizeof(item), "ACPI reclaim %s", kfmt_size(st->kept_acpi * PAGE_SIZE, a, sizeof(a)));
	wrap_add(&w, item, false);
	ksnprintf(item, sizeof(item), "runtime-flagged boot memory %s",
		  kfmt_size(st->kept_runtime * PAGE_SIZE, a, sizeof(a)));
	wrap_add(&w, item, false);
	ksnprintf(item, sizeof(item), "beyond the direct map %s",
		  kfmt_size(st->kept_limit * PAGE_SIZE, a, sizeof(a)));
	wrap_add(&w, item, true);
}

void frames_report(unsigned what)
{
	struct frame_stats st;
	char a[24], b[24], c[24];

	if (!ready) {
		kprintf("frames: not initialised\n");
		return;
	}
	frame_get_stats(&kframes, &st);
	kprintf("frames: %s free of %s", kfmt_size(st.free * PAGE_SIZE, a, sizeof(a)),
		kfmt_size(st.managed * PAGE_SIZE, b, sizeof(b)));
	kprintf(" (%s below 4 GiB), %u regions\n", kfmt_size(st.free_low * PAGE_SIZE, c, sizeof(c)),
		st.regions);
	report_reserved(&st);
	if (dmap_limit && dmap_limit < DMAP_MAX_PHYS)
		kprintf("  lowmem (direct map below %s): %s managed; highmem %s managed "
			"(FRAME_HIGHMEM only)\n", kfmt_size(dmap_limit, a, sizeof(a)),
			kfmt_size((st.managed - st.managed_highmem) * PAGE_SIZE, b, sizeof(b)),
			kfmt_size(st.managed_highmem * PAGE_SIZE, c, sizeof(c)));
	uint64_t per_gib = st.managed ? st.meta_bytes * (GiB / PAGE_SIZE) / st.managed : 0;
	kprintf("  metadata %s (%lu B/GiB), init %lu TSC ticks, %lu words written\n",
		kfmt_size(st.meta_bytes, a, sizeof(a)), per_gib, init_ticks, st.init_words);
	if (!(what & FRAMES_REPORT_STATS))
		return;
	kprintf("frames: init_tsc=%lu meta_bytes=%lu managed_bytes=%lu free_bytes=%lu regions=%u init_words=%lu\n",
		init_ticks, st.meta_bytes, st.managed * PAGE_SIZE, st.free * PAGE_SIZE, st.regions,
		st.init_words);
}

void frames_report_inputs(void)
{
	struct frame_stats st;

	if (!ready)
		return;
	kprintf("frame allocator: %lu reservations, limit 0x%016lx\n", (uint64_t)kres_count, klimit);
	for (size_t i = 0; i < kres_count; i++)
		kprintf("  0x%016lx 0x%016lx %u %s\n", kres[i].start, kres[i].end, kres[i].kind,
			frame_res_kind_name(kres[i].kind));
	frame_get_stats(&kframes, &st);
	kprintf("frame allocator metadata: %lu bytes\n", st.meta_bytes);
}

static void cmd_frames(const struct handoff *h, int argc, char **argv)
{
	frames_report(FRAMES_REPORT_STATS);
}
MONITOR_COMMAND("frames", "", "the frame allocator's state", cmd_frames);
