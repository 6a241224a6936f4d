/*
 * main.c - the Carto UEFI loader: firmware map -> fresh page tables ->
 * ExitBootServices -> higher-half kernel.
 *
 * Everything the kernel needs is allocated and built before the firmware
 * is told to go away; after that the loader only converts the final memory
 * map (into memory allocated for it), sets EFER.NXE and CR0.WP, and jumps
 * through the identity-mapped trampoline.
 */
#include "loader.h"
#include "dmap.h"

extern const uint8_t tramp_start[], tramp_end[];
typedef void __attribute__((noreturn)) (*trampoline_fn)(vaddr_t handoff, paddr_t pml4,
							 vaddr_t entry, vaddr_t stack);

/* Probe once what the page tables may use. */
static void probe_cpu(struct handoff *h)
{
	if (cpuid(0x80000000u, 0).eax < 0x80000001u)
		fail(EFI_SUCCESS, "this CPU does not report extended features (CPUID 0x80000001)");
	uint32_t edx = cpuid(0x80000001u, 0).edx;
	if (!(edx & (1u << 20)))
		fail(EFI_SUCCESS, "this CPU has no NX bit: Carto needs it to keep data non-executable");
	h->has_1g = (edx & (1u << 26)) != 0;
}

static struct handoff *alloc_handoff(void)
{
	uint64_t bytes = ALIGN_UP(sizeof(struct handoff), PAGE_SIZE);
	paddr_t pa = fw_alloc_pages(bytes / PAGE_SIZE, 0, "the hand-off block");
	struct handoff *h = (struct handoff *)pa;

	fast_zero(h, bytes);
	h->magic = HANDOFF_MAGIC;
	h->version = HANDOFF_VERSION;
	h->size = sizeof(*h);
	reserve(h, pa, pa + bytes, FRAME_RES_HANDOFF);
	return h;
}

static paddr_t alloc_trampoline(struct handoff *h)
{
	/* Below 4 GiB, so its identity address is a canonical lower-half one. */
	paddr_t pa = fw_alloc_pages(1, 4 * GiB, "the trampoline");
	fast_zero((void *)pa, PAGE_SIZE);
	fast_copy((void *)pa, tramp_start, (size_t)(tramp_end - tramp_start));
	reserve(h, pa, pa + PAGE_SIZE, FRAME_RES_TRAMPOLINE);
	return pa;
}

static void __attribute__((noreturn)) enter_kernel(struct handoff *h, paddr_t tramp)
{
	cli();
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	write_cr4(read_cr4() | CR4_PGE);
	((trampoline_fn)tramp)((vaddr_t)handoff_va((paddr_t)h), h->pml4, h->kernel_entry, KSTACK_TOP(0));
}

/*
 * With "gdb" on the command line the loader waits here until a debugger
 * clears loader_wait (scripts/gdbinit does: it loads the loader's symbols
 * at the base printed above, then sets the variable).
 */
volatile int loader_wait = 1;
static void wait_for_debugger(void)
{
	Print(L"carto: waiting for gdb (scripts/gdbinit clears loader_wait)\r\n");
	while (loader_wait)
		cpu_relax();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	uint64_t t0 = rdtsc();
	struct efiu_map fwmap = { 0 };

	InitializeLib(image, systab);
	loader_image = image;
	BS->SetWatchdogTimer(0, 0, 0, NULL);

	struct handoff *h = alloc_handoff();
	h->tsc[PHASE_LOADER_START] = t0;
	collect_cmdline(h);
	/* Printing through the firmware console costs more than the rest of
	 * the loader together, so by default the loader is silent. */
	loader_verbose = cmdline_has(h->cmdline, "verbose");
	if (!loader_verbose && cmdline_has(h->cmdline, "gdb"))
		Print(L"carto: loader at %lx\r\n", h->loader_image_base);   /* for scripts/gdbinit */
	if (cmdline_has(h->cmdline, "gdb"))
		wait_for_debugger();
	probe_cpu(h);
	collect_firmware_id(h);
	video_select_mode(h->cmdline);
	collect_framebuffer(h);
	if ((h->fb.format == FB_NONE || h->fb.format == FB_BLT_ONLY) && !serial_present())
		fail(EFI_SUCCESS, "this machine offers no graphics framebuffer (GOP) and no serial "
		     "port, so Carto would have nowhere to show anything");
	collect_acpi(h);
	collect_runtime(h);
	verbose_start(h);

	struct memmap boot_map = read_boot_map(h, &fwmap);
	h->tsc[PHASE_MAP_READ] = rdtsc();
	verbose_phase(h, PHASE_MAP_READ, L"firmware map read");
	verbose_maps(&fwmap, &boot_map);

	load_kernel(h);
	paddr_t stacks = fw_alloc_pages(KSTACK_COUNT * KSTACK_PAGES, 0, "the kernel stacks");
	reserve(h, stacks, stacks + KSTACK_COUNT * KSTACK_SIZE, FRAME_RES_STACKS);
	paddr_t tramp = alloc_trampoline(h);
	struct memmap final_map = alloc_final_map(h, &fwmap);
	verbose_kernel(h, stacks, tramp);
	build_page_tables(h, &boot_map, stacks, tramp);
	h->tsc[PHASE_PT_BUILT] = rdtsc();
	verbose_phase(h, PHASE_PT_BUILT, L"page tables built");
	verbose_tables(h);
	vprint(L"carto: reading the final map and leaving boot services; the kernel reports "
	       L"from here\r\n");

	exit_and_hand_off(h, &fwmap, &final_map);   /* boot services are gone after it */
	enter_kernel(h, tramp);
}
