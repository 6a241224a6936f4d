/*
 * efirt.c - the UEFI runtime services after ExitBootServices (efirt.h).
 */
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "dmap.h"
#include "efirt.h"
#include "efirt_plan.h"
#include "klib.h"
#include "kspace.h"
#include "mmio.h"
#include "panic.h"

/* EFI_RUNTIME_SERVICES (UEFI 2.10, 4.5): a table header, then pointers. */
#define EFI_RT_SIGNATURE   0x56524553544e5552ull   /* "RUNTSERV" */
#define RT_HEADER_SIZE     24
#define RT_OFF_GET_TIME    24
#define RT_OFF_SET_VAMAP   56
#define RT_OFF_RESET       104
#define RT_MIN_SIZE        (RT_OFF_RESET + 8)      /* EFI 1.10: up to ResetSystem */
#define EFIRT_DESC_MAX     128                     /* bytes per descriptor we accept */

/* Owner names in the registry (mmio.h), by EFI type. */
#define OWNER_RT_CODE  "EFI runtime code"
#define OWNER_RT_DATA  "EFI runtime data"
#define OWNER_RT_MMIO  "EFI runtime MMIO"
#define OWNER_RT_OTHER "EFI runtime (other)"

uint64_t efirt_switch(efirt_fn fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		      uint64_t stack_top);
extern const char efirt_fault_resume[];
extern uint64_t efirt_saved_rsp;

static struct efirt_plan plan;
static uint8_t vmap[EFIRT_MAX_DESCS * EFIRT_DESC_MAX] __attribute__((aligned(8)));

static struct {
	bool available;
	vaddr_t table;                        /* the table's kernel-half address */
	uint32_t table_size;                  /* its HeaderSize */
	const char *why_not[EFIRT_SVC_COUNT]; /* set: the service is not usable */
	bool broken[EFIRT_SVC_COUNT];         /* it faulted: never called again */
	enum efirt_service current;           /* the call under way */
	bool in_call;
	trap_hook_fn chained;                 /* the hook before ours */
	struct efirt_fault fault;
} rt;

static const char *const service_names[EFIRT_SVC_COUNT] = {
	[EFIRT_SVC_SET_VIRTUAL_ADDRESS_MAP] = "SetVirtualAddressMap",
	[EFIRT_SVC_GET_TIME] = "GetTime",
	[EFIRT_SVC_RESET_SYSTEM] = "ResetSystem",
	[EFIRT_SVC_TEST] = "a self-test's runtime function",
};

const char *efirt_service_name(enum efirt_service svc)
{
	return (unsigned)svc < EFIRT_SVC_COUNT ? service_names[svc] : "?";
}

const char *efirt_status_name(uint64_t status)
{
	switch (status) {
	case EFIRT_SUCCESS: return "success";
	case EFIRT_INVALID_PARAM: return "invalid parameter";
	case EFIRT_UNSUPPORTED: return "unsupported";
	case EFIRT_NOT_READY: return "not ready";
	case EFIRT_DEVICE_ERROR: return "device error";
	case EFIRT_ABORTED: return "aborted (firmware fault)";
	default: return status & EFI_STATUS_ERROR_BIT ? "error" : "warning";
	}
}

const struct efirt_fault *efirt_last_fault(void)
{
	return &rt.fault;
}

bool efirt_available(void)
{
	return rt.available;
}

bool efirt_service_usable(enum efirt_service svc, const char **why)
{
	const char *r = !rt.available ? "runtime services not in use" : rt.why_not[svc];

	if (why)
		*why = r;
	return r == NULL;
}

/* ---- the call path ----------------------------------------------------------------- */

/* Exceptions during a runtime call are the firmware's: record and resume
 * in efirt_fault_resume. NMI and machine checks are not the firmware's. */
static bool efirt_trap(struct trap_frame *f)
{
	if (!rt.in_call || f->vector >= EXC_VECTORS || f->vector == VEC_NMI || f->vector == VEC_MC)
		return rt.chained ? rt.chained(f) : false;
	rt.fault = (struct efirt_fault){
		.seen = true, .service = rt.current, .vector = f->vector, .error = f->error,
		.rip = f->rip, .cr2 = read_cr2(),
		.rip_in_firmware = efirt_plan_find_va(&plan, f->rip) != NULL ||
				   (!rt.available && efirt_plan_find(&plan, f->rip) != NULL) };
	rt.in_call = false;
	f->rip = (uint64_t)efirt_fault_resume;
	f->rsp = efirt_saved_rsp;
	f->cs = SEL_KCODE;
	f->ss = SEL_KDATA;
	f->rflags = RFLAGS_RESERVED1;
	return true;
}

static void report_fault(void)
{
	const struct efirt_fault *x = &rt.fault;

	console_set_color(CON_YELLOW, CON_BLACK);
	kprintf("efi runtime: firmware fault in %s: %s %s\n", efirt_service_name(x->service),
		exc_mnemonic(x->vector), exc_name(x->vector));
	kprintf("  at RIP %lx (%s),\n  CR2 %lx, error %lx; %s is marked broken, the kernel goes on\n",
		x->rip, x->rip_in_firmware ? "in the firmware's runtime regions" :
		"outside the firmware's regions", x->cr2, x->error, efirt_service_name(x->service));
	console_set_color(CON_DEFAULT_FG, CON_DEFAULT_BG);
}

uint64_t efirt_call(enum efirt_service svc, efirt_fn fn, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3)
{
	uint64_t flags = read_rflags(), st;

	if ((unsigned)svc >= EFIRT_SVC_COUNT || rt.in_call)
		return EFIRT_INVALID_PARAM;
	if (rt.broken[svc])
		return EFIRT_UNSUPPORTED;
	cli();
	rt.current = svc;
	rt.chained = trap_set_hook(efirt_trap);
	rt.in_call = true;
	st = efirt_switch(fn, a0, a1, a2, a3, KSTACK_TOP(KSTACK_EFIRT));
	trap_set_hook(rt.chained);
	if (rt.in_call) {
		rt.in_call = false;
	} else {
		rt.broken[svc] = true;
		rt.why_not[svc] = "broken: it faulted";
		report_fault();
		st = EFIRT_STATUS_FAULT;
	}
	if (flags & RFLAGS_IF)
		sti();
	return st;
}

bool efirt_forget_fault(enum efirt_service svc)
{
	if (svc != EFIRT_SVC_TEST)
		return false;
	rt.broken[svc] = false;
	rt.why_not[svc] = NULL;
	return true;
}

/* ---- mapping ------------------------------------------------------------------------ */

static const char *owner_of(uint32_t type)
{
	switch (type) {
	case EFI_RT_CODE: return OWNER_RT_CODE;
	case EFI_RT_DATA: return OWNER_RT_DATA;
	case EFI_MMIO: case EFI_MMIO_PORT: return OWNER_RT_MMIO;
	default: return OWNER_RT_OTHER;
	}
}

static void note_problem(void *ctx, enum efirt_problem p, uint32_t index, paddr_t s, paddr_t e)
{
	const char *what = p >= EFIRT_MAT_HEADER && p <= EFIRT_MAT_WX ? "MAT entry" : "map entry";

	if (p == EFIRT_MAP_DESC_SIZE || p == EFIRT_MAP_DESC_VERSION || p == EFIRT_MAT_HEADER)
		kprintf("efi runtime: %s\n", efirt_problem_name(p));
	else
		kprintf("efi runtime: %s %u [%lx, %lx):\n  %s\n", what, index, s, e,
			efirt_problem_name(p));
	if (efirt_problem_drops_mat(p))
		kprintf("efi runtime: the Memory Attributes Table is not used; mapping by type\n");
}

/* Claim every runtime descriptor; on a conflict release the claims made
 * and say who holds the range. */
static bool claim_all(void)
{
	struct resource *got[EFIRT_MAX_DESCS];
	uint32_t i;

	for (i = 0; i < plan.descs; i++) {
		const struct efirt_desc *d = &plan.desc[i];
		const struct efirt_piece *p = efirt_plan_find(&plan, d->pa);
		int st = resource_claim(mmio_registry(), d->pa, d->end, owner_of(d->type),
					MAP_CACHE_OF(p->flags), RESOURCE_BUSY, &got[i]);
		if (st != E_OK) {
			kprintf("efi runtime: cannot claim [%lx, %lx) for %s:\n  %s%s%s\n", d->pa,
				d->end, owner_of(d->type), status_name(st), got[i] ? ", held by " : "",
				got[i] ? got[i]->owner : "");
			while (i-- > 0)
				resource_release(mmio_registry(), got[i]);
			return false;
		}
	}
	return true;
}

/* Map every piece at @identity ? pa : va; the identity copy of code is
 * writable too (efirt.h says why). Panics if the page tables refuse: the
 * layout reserves the region and pt_map refuses only on a broken invariant. */
static void map_pieces(bool identity)
{
	for (uint32_t i = 0; i < plan.count; i++) {
		const struct efirt_piece *p = &plan.piece[i];
		uint32_t f = identity ? p->flags | (p->flags & MAP_EXEC ? MAP_WRITE : 0)
				      : p->flags | MAP_GLOBAL;
		int st = pt_map(kernel_space(), identity ? p->pa : p->va, p->pa, p->size, f);
		if (st != E_OK)
			panic("efirt map_pieces: mapping [%lx, %lx) at %lx: %s", p->pa, p->pa + p->size,
			      identity ? p->pa : p->va, status_name(st));
	}
}

static void unmap_identity(void)
{
	for (uint32_t i = 0; i < plan.count; i++) {
		int st = pt_unmap(kernel_space(), plan.piece[i].pa, plan.piece[i].size);
		if (st != E_OK)
			panic("efirt unmap_identity: [%lx, +%lx): %s", plan.piece[i].pa,
			      plan.piece[i].size, status_name(st));
	}
	kspace_check_lower_half("efirt unmap_identity");
}

/* ---- the table ----------------------------------------------------------------------- */

static uint64_t table_word(uint32_t off)
{
	return *(const volatile uint64_t *)(rt.table + off);
}

/* Check the table at physical @pa: in one runtime piece, signature, size. */
static const char *check_table(paddr_t pa)
{
	const struct efirt_piece *p = efirt_plan_find(&plan, pa);
	uint32_t size;

	if (!p || !IS_ALIGNED(pa, 8))
		return "the runtime-services table lies in no runtime region";
	if (pa + RT_HEADER_SIZE > p->pa + p->size)
		return "the runtime-services table runs past its region";
	rt.table = p->va + (pa - p->pa);
	size = (uint32_t)(table_word(8) >> 32);
	if (table_word(0) != EFI_RT_SIGNATURE)
		return "the runtime-services table has a bad signature";
	if (size < RT_MIN_SIZE || pa + size > p->pa + p->size)
		return "the runtime-services table's size is wrong or runs past its region";
	rt.table_size = size;
	if (!(p->flags & MAP_WRITE))
		kprintf("efi runtime: the runtime-services table lies in read-only %s:\n"
			"  the firmware cannot update it after SetVirtualAddressMap\n",
			efi_mem_type_name(p->type));
	return NULL;
}

/* The function at @off if it lies in executable runtime code: at its
 * virtual address (@virt) or its physical one. */
static efirt_fn table_fn(uint32_t off, bool virt)
{
	uint64_t a = table_word(off);
	const struct efirt_piece *p = virt ? efirt_plan_find_va(&plan, a) : efirt_plan_find(&plan, a);

	return p && (p->flags & MAP_EXEC) ? (efirt_fn)a : NULL;
}

/* The virtual map for SetVirtualAddressMap: the runtime descriptors of
 * the firmware map, raw, with VirtualStart set. Returns its size. */
static uint64_t build_vmap(const struct handoff *h)
{
	const uint8_t *map = (const uint8_t *)handoff_va(h->fw_map_pa);

	for (uint32_t i = 0; i < plan.descs; i++) {
		uint8_t *out = vmap + (size_t)i * h->efi_desc_size;
		vaddr_t va = plan.base + plan.desc[i].pa;

		memcpy(out, map + (size_t)plan.desc[i].index * h->efi_desc_size, h->efi_desc_size);
		memcpy(out + __builtin_offsetof(struct efi_mem_desc, virt_start), &va, sizeof(va));
	}
	return (uint64_t)plan.descs * h->efi_desc_size;
}

/* The name of the firmware map type at physical @pa ("none" if no
 * descriptor holds it), for reports. */
static const char *fw_type_at(const struct handoff *h, paddr_t pa)
{
	const uint8_t *map = (const uint8_t *)handoff_va(h->fw_map_pa);

	for (uint64_t off = 0; off + h->efi_desc_size <= h->fw_map_size; off += h->efi_desc_size) {
		struct efi_mem_desc d;
		memcpy(&d, map + off, sizeof(d));
		if (pa >= d.phys_start && (pa - d.phys_start) >> PAGE_SHIFT < d.num_pages)
			return efi_mem_type_name(d.type);
	}
	return "none";
}

/* SetVirtualAddressMap with the identity copy in place; false if it failed. */
static bool go_virtual(const struct handoff *h)
{
	efirt_fn svam = table_fn(RT_OFF_SET_VAMAP, false);
	uint64_t bytes = build_vmap(h), st;

	if (!svam) {
		kprintf("efi runtime: SetVirtualAddressMap at %lx lies outside the runtime\n"
			"  code, in %s memory, which is not kept for the firmware:\n"
			"  not called; runtime services not used\n", table_word(RT_OFF_SET_VAMAP),
			fw_type_at(h, table_word(RT_OFF_SET_VAMAP)));
		return false;
	}
	map_pieces(true);
	st = efirt_call(EFIRT_SVC_SET_VIRTUAL_ADDRESS_MAP, svam, bytes, h->efi_desc_size,
			h->efi_desc_version, (uint64_t)vmap);
	unmap_identity();
	if (st != EFIRT_SUCCESS) {
		kprintf("efi runtime: SetVirtualAddressMap failed: status %lx (%s);\n"
			"  runtime services not used\n", st, efirt_status_name(st));
		return false;
	}
	return true;
}

/* ---- init and report ---------------------------------------------------------------- */

/* With "fwmap": the Memory Attributes Table as the firmware gave it, one
 * line per entry (type, start, pages, attributes), for the boot tests. */
static void dump_mat(const struct handoff *h)
{
	struct efi_mat_header mh;

	if (h->efi_mat_status != HANDOFF_MAT_COPIED || h->efi_mat_size < sizeof(mh))
		return;
	memcpy(&mh, h->efi_mat, sizeof(mh));
	kprintf("efi memory attributes table: version %u, %u entries of %u bytes\n", mh.version,
		mh.entries, mh.desc_size);   /* fwmap only: a report line, kept short */
	for (uint32_t i = 0; i < mh.entries && mh.desc_size >= sizeof(struct efi_mem_desc) &&
	     sizeof(mh) + (uint64_t)(i + 1) * mh.desc_size <= h->efi_mat_size; i++) {
		struct efi_mem_desc d;
		memcpy(&d, h->efi_mat + sizeof(mh) + (size_t)i * mh.desc_size, sizeof(d));
		kprintf("  mat %u 0x%016lx 0x%lx 0x%016lx\n", d.type, d.phys_start, d.num_pages, d.attr);
	}
	kprintf("end of table\n");
}

static const void *mat_of(const struct handoff *h, size_t *size)
{
	switch (h->efi_mat_status) {
	case HANDOFF_MAT_COPIED:
		*size = h->efi_mat_size;
		kprintf("efi runtime: Memory Attributes Table (MAT) of %u bytes\n", h->efi_mat_size);
		return h->efi_mat;
	case HANDOFF_MAT_TOO_BIG:
		kprintf("efi runtime: the Memory Attributes Table (%u bytes) is larger than\n"
			"  the hand-off's %u: not used; mapping by type\n", h->efi_mat_size,
			HANDOFF_MAT_MAX);
		break;
	case HANDOFF_MAT_BAD_HEADER:
		kprintf("efi runtime: the Memory Attributes Table's header is wrong:\n"
			"  not used; mapping by type\n");
		break;
	default:
		kprintf("efi runtime: no Memory Attributes Table: code mapped RX, data RW+NX\n");
		break;
	}
	*size = 0;
	return NULL;
}

/* The plan's summary; each piece too with @pieces ("memmap" or "fwmap"). */
static void print_plan(bool pieces)
{
	uint64_t code = 0, data = 0, other = 0;
	char a[24], b[24], c[24];

	for (uint32_t i = 0; i < plan.count; i++) {
		const struct efirt_piece *p = &plan.piece[i];
		*(p->type == EFI_RT_CODE ? &code : p->type == EFI_RT_DATA ? &data : &other) += p->size;
		if (pieces)
			kprintf("  efirt [%016lx, %016lx) r%s%s %s %s %s\n", p->pa, p->pa + p->size,
			p->flags & MAP_WRITE ? "w" : "-", p->flags & MAP_EXEC ? "x" : "-",
			MAP_CACHE_OF(p->flags) == CACHE_WB ? "WB" : "UC", efi_mem_type_name(p->type),
			p->from_mat ? "MAT" : "type");
	}
	kprintf("efi runtime: %u regions in %u pieces, mapped at %lx + phys\n", plan.descs,
		plan.count, EFIRT_BASE);
	kprintf("  code %s, data %s, other %s; permissions %s\n", kfmt_size(code, a, sizeof(a)),
		kfmt_size(data, b, sizeof(b)), kfmt_size(other, c, sizeof(c)),
		plan.mat_used ? "from the MAT" : "by type");
}

/* Check the two services Carto uses after SetVirtualAddressMap. */
static void check_services(void)
{
	static const struct { enum efirt_service svc; uint32_t off; } used[] = {
		{ EFIRT_SVC_GET_TIME, RT_OFF_GET_TIME }, { EFIRT_SVC_RESET_SYSTEM, RT_OFF_RESET },
	};

	for (size_t i = 0; i < ARRAY_SIZE(used); i++)
		if (!table_fn(used[i].off, true)) {
			rt.why_not[used[i].svc] = "its pointer is not in the firmware's runtime code";
			kprintf("efi runtime: %s at %lx:\n  %s\n", efirt_service_name(used[i].svc),
				table_word(used[i].off), rt.why_not[used[i].svc]);
		}
}

static bool setup(const struct handoff *h)
{
	size_t mat_size;
	const void *mat;
	const char *bad;
	int st;

	if (!h->efi_rt) {
		kprintf("efi runtime: the firmware has no runtime-services table; not used\n");
		return false;
	}
	if (h->efi_desc_size > EFIRT_DESC_MAX) {
		kprintf("efi runtime: memory descriptors of %u bytes (more than %u); not used\n",
			h->efi_desc_size, EFIRT_DESC_MAX);
		return false;
	}
	if (cmdline_has(h->cmdline, "fwmap"))
		dump_mat(h);
	mat = mat_of(h, &mat_size);
	st = efirt_plan_build(&plan, (const void *)handoff_va(h->fw_map_pa), h->fw_map_size,
			      h->efi_desc_size, h->efi_desc_version, mat, mat_size, EFIRT_BASE,
			      EFIRT_MAX_PHYS, note_problem, NULL);
	if (st != E_OK || plan.count == 0) {
		kprintf("efi runtime: %s;\n  not used\n", st != E_OK ? "the memory map's runtime "
			"entries cannot be mapped safely" : "the memory map has no runtime regions");
		return false;
	}
	print_plan(cmdline_has(h->cmdline, "memmap") || cmdline_has(h->cmdline, "fwmap"));
	if (!claim_all())
		return false;
	map_pieces(false);
	if ((bad = check_table(h->efi_rt)) != NULL) {
		kprintf("efi runtime: %s\n  (table at %lx): runtime services not used\n", bad, h->efi_rt);
		return false;
	}
	return go_virtual(h);
}

static void report_time(void)
{
	struct efi_time t;
	const char *why, *bad;
	char buf[64];
	uint64_t st;

	if (!efirt_service_usable(EFIRT_SVC_GET_TIME, &why)) {
		kprintf("efi time: not available (%s)\n", why);
		return;
	}
	memset(&t, 0, sizeof(t));
	st = efirt_get_time(&t);
	if (st != EFIRT_SUCCESS)
		kprintf("efi time: GetTime failed: status %lx (%s)\n", st, efirt_status_name(st));
	else if ((bad = efi_time_check(&t)) != NULL)
		kprintf("efi time: the firmware's time has a bad %s, not shown as a date:\n"
			"  %u-%u-%u %u:%u:%u zone %d\n", bad, t.year, t.month, t.day, t.hour,
			t.minute, t.second, t.time_zone);
	else {
		efi_time_format(&t, buf, sizeof(buf));
		kprintf("efi time: %s\n", buf);
	}
}

void efirt_init(const struct handoff *h)
{
	rt.available = setup(h);
	if (rt.available) {
		check_services();
		kprintf("efi runtime: SetVirtualAddressMap done; table rev %u.%u, %u bytes\n",
			(uint32_t)(table_word(8) >> 16) & 0xffff, (uint32_t)table_word(8) & 0xffff,
			rt.table_size);
		kprintf("  the identity copy is gone: nothing mapped in the lower half\n");
	}
	report_time();
}

/* ---- the services ---------------------------------------------------------------------- */

/* Call @svc at table offset @off, or EFIRT_UNSUPPORTED if not usable;
 * an EFIRT_UNSUPPORTED answer makes it unusable. */
static uint64_t call_service(enum efirt_service svc, uint32_t off, uint64_t a0, uint64_t a1,
			     uint64_t a2, uint64_t a3)
{
	uint64_t st;

	efirt_fn fn = table_fn(off, true);   /* read again: the table is firmware data */

	if (!efirt_service_usable(svc, NULL))
		return EFIRT_UNSUPPORTED;
	if (!fn) {
		rt.why_not[svc] = "its pointer is not in the firmware's runtime code";
		return EFIRT_UNSUPPORTED;
	}
	st = efirt_call(svc, fn, a0, a1, a2, a3);
	if (st == EFIRT_UNSUPPORTED)
		rt.why_not[svc] = "the firmware answers EFI_UNSUPPORTED";
	return st;
}

uint64_t efirt_get_time_at(vaddr_t t_va)
{
	return call_service(EFIRT_SVC_GET_TIME, RT_OFF_GET_TIME, t_va, 0, 0, 0);
}

uint64_t efirt_get_time(struct efi_time *t)
{
	return efirt_get_time_at((vaddr_t)t);
}

uint64_t efirt_reset(enum efirt_reset_type type)
{
	return call_service(EFIRT_SVC_RESET_SYSTEM, RT_OFF_RESET, type, EFIRT_SUCCESS, 0, 0);
}
