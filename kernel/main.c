/*
 * main.c - the kernel entry: take over from the loader, print the boot
 * report, run the self-tests or announce "carto: ready" and start the
 * monitor.
 */
#include "acpi.h"
#include "arch.h"
#include "aspace.h"
#include "boothook.h"
#include "console.h"
#include "dmap.h"
#include "physmem.h"
#include "cpu.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "devices.h"
#include "efirt.h"
#include "mmio.h"
#include "monitor.h"
#include "panic.h"
#include "power.h"
#include "proc.h"
#include "ps2.h"
#include "report.h"
#include "serialkeys.h"
#include "usbkbd.h"

static const struct handoff *check_handoff(const struct handoff *h)
{
	if (h->magic != HANDOFF_MAGIC || h->version != HANDOFF_VERSION || h->size != sizeof(*h))
		panic("hand-off block at %p: magic %lx version %u size %u, expected version %u size %zu",
		      (void *)h, h->magic, h->version, h->size, HANDOFF_VERSION, sizeof(*h));
	return h;
}

/* Map the GOP framebuffer write-combining and start the screen console. */
static void start_fb_console(const struct handoff *h)
{
	if (h->fb.format == FB_NONE || h->fb.format == FB_BLT_ONLY) {
		console_init_fb(&h->fb, NULL, NULL);   /* says why there is no screen */
		return;
	}
	vaddr_t va = mmio_map(h->fb.base, h->fb.size, CACHE_WC, "framebuffer");
	if (!va)
		panic("cannot map the framebuffer (%lx, %lu bytes)", h->fb.base, h->fb.size);
	console_init_fb(&h->fb, (void *)va, ram_alloc);
}

/* Build the frame allocator, keeping out the firmware's ACPI tables
 * wherever in RAM they lie (U-Boot keeps them in boot-services code). */
static void keep_firmware_data(const struct handoff *h)
{
	struct range acpi[FRAMES_FIRMWARE_RES];
	size_t dropped, n = acpi_ram_ranges(h, acpi, FRAMES_FIRMWARE_RES, &dropped);

	if (dropped)
		kprintf("frames: ACPI tables lie in more than %u separate RAM ranges; %zu more are "
			"not protected and may be overwritten\n", FRAMES_FIRMWARE_RES, dropped);
	frames_init(h, acpi, n, kmap_frame_mem());
}

void __attribute__((noreturn)) kernel_main(struct handoff *hv);

void kernel_main(struct handoff *hv)
{
	uint64_t entry_tsc = rdtsc();
	struct handoff *h = hv;

	console_init_serial();
	arch_init();
	check_handoff(h);
	boot_hooks_run(BOOT_EARLY, h);   /* the self-tests: "selftest" makes a panic end QEMU */
	h->tsc[PHASE_KERNEL_ENTRY] = entry_tsc;
	kspace_init(h);
	kmap_init(h);
	keep_firmware_data(h);
	kspace_drop_identity(h);
	pat_init();
	aspace_init();
	proc_init(h);
	mmio_init(h);
	h->tsc[PHASE_MEMORY_INIT] = rdtsc();
	start_fb_console(h);

	h->tsc[PHASE_KERNEL_INIT] = rdtsc();
	boot_report(h);
	frames_report(cmdline_has(h->cmdline, "framestats") ? FRAMES_REPORT_STATS : 0);
	h->tsc[PHASE_REPORT] = rdtsc();
	devices_init(h);
	efirt_init(h);                   /* inside the TSC window: it needs no timing */
	devices_finish();
	sched_init(h);
	power_init(h);
	serialkeys_init();
	ps2_init();
	usbkbd_init();
	h->tsc[PHASE_DEVICES] = rdtsc();
	mmio_report();

	kprintf("carto: ready tsc %lu\n", rdtsc());
	console_flush();                 /* the screen shows it too */
	h->tsc[PHASE_READY] = rdtsc();
	report_phases(h);

	boot_hooks_run(BOOT_READY, h);   /* the self-tests: "crash=WORD", "selftest" */
	console_flush();
	if (cmdline_has(h->cmdline, "poweroff"))
		power_off();
	if (cmdline_has(h->cmdline, "reboot"))
		power_reboot();
	monitor_run(h);
}
