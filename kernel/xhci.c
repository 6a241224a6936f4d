/*
 * xhci.c - a polled xHCI host controller driver (xhci.h).
 *
 * Register and structure layouts are those of the xHCI 1.2 specification;
 * the section is named where each is defined.
 */
#include "console.h"
#include "cpu.h"
#include "devices.h"
#include "klib.h"
#include "mmio.h"
#include "xhci.h"
#include "xhci_regs.h"

/* ---- registers (xhci_regs.h) ---------------------------------------------------------- */

/* What to write back so that nothing changes but the bits one adds. */
static uint32_t port_neutral(uint32_t portsc)
{
	return portsc & PORTSC_KEEP;
}

/* ---- TRBs (6.4) -------------------------------------------------------------------- */

struct trb {
	uint64_t param;
	uint32_t status;
	uint32_t control;
};
_Static_assert(sizeof(struct trb) == 16, "a TRB is 16 bytes");

#define TRB_CYCLE         (1u << 0)
#define TRB_TC            (1u << 1)    /* Link: toggle cycle */
#define TRB_ISP           (1u << 2)    /* interrupt on short packet */
#define TRB_IOC           (1u << 5)
#define TRB_IDT           (1u << 6)    /* immediate data (the setup packet) */
#define TRB_TYPE(t)       ((uint32_t)(t) << 10)
#define TRB_TYPE_OF(c)    (((c) >> 10) & 0x3f)
#define TRB_DIR_IN        (1u << 16)   /* Data and Status stages */
#define TRB_TRT(t)        ((uint32_t)(t) << 16)  /* Setup: 0 none, 2 OUT, 3 IN */
#define TRB_EP(dci)       ((uint32_t)(dci) << 16)
#define TRB_SLOT(s)       ((uint32_t)(s) << 24)
#define TRB_SLOT_OF(c)    ((c) >> 24)
#define TRB_EP_OF(c)      (((c) >> 16) & 0x1f)
#define EVT_CC(status)    ((status) >> 24)
#define EVT_RESIDUE(st)   ((st) & 0xffffff)
#define TRT_OUT           2
#define TRT_IN            3

enum trb_type {
	TRB_NORMAL = 1, TRB_SETUP = 2, TRB_DATA = 3, TRB_STATUS = 4, TRB_LINK = 6,
	CMD_ENABLE_SLOT = 9, CMD_DISABLE_SLOT = 10, CMD_ADDRESS_DEVICE = 11,
	CMD_CONFIGURE_EP = 12, CMD_EVALUATE_CONTEXT = 13, CMD_RESET_EP = 14, CMD_STOP_EP = 15,
	CMD_SET_TR_DEQUEUE = 16,
	EVT_TRANSFER = 32, EVT_COMMAND = 33, EVT_PORT_CHANGE = 34, EVT_HOST = 37,
};

#define RING_TRBS         (PAGE_SIZE / sizeof(struct trb))   /* one frame per ring */
#define EVENT_TRBS        RING_TRBS

/* Event Ring Segment Table entry (6.5). */
struct erst_entry {
	uint64_t base;
	uint32_t size;             /* TRBs */
	uint32_t reserved;
};

/* ---- contexts (6.2) ----------------------------------------------------------------- */

/* Fields of the slot and endpoint contexts (6.2.2, 6.2.3); a context is
 * 32 or 64 bytes (CSZ), its fields in the first 32. */
#define SLOT_SPEED(s)     ((uint32_t)(s) << 20)
#define SLOT_ENTRIES(n)   ((uint32_t)(n) << 27)
#define SLOT_PORT(p)      ((uint32_t)(p) << 16)
#define EP_INTERVAL(i)    ((uint32_t)(i) << 16)
#define EP_CERR(n)        ((uint32_t)(n) << 1)
#define EP_TYPE(t)        ((uint32_t)(t) << 3)
#define EP_MPS(m)         ((uint32_t)(m) << 16)
#define EP_TYPE_CONTROL   4
#define EP_TYPE_INTR_IN   7
#define EP_ERRORS         3            /* retries before a transaction error */
#define DCI_EP0           1
#define CTX_INPUT         0            /* input context: control, slot, then DCI 1.. */
#define CTX_SLOT          1

#define MAX_SLOTS         255
#define MAX_PORTS         255

struct xhci {
	struct pci_fn pci;
	char owner[32];                /* "xHCI 00:03.0": the registry's owner name */
	paddr_t bar_pa;
	vaddr_t cap, op, rt, db;       /* register blocks (UC) */
	unsigned ports, slots, ctx_size, version;
	uint32_t dma_flags;            /* DMA_LOW32 unless AC64 */
	bool dead;                     /* stopped answering: fail everything */
	struct dma_buf dcbaa, scratch_array, erst, event;
	struct xhci_ring cmd;
	unsigned event_dequeue;
	uint32_t event_cycle;
	uint8_t port_major[MAX_PORTS + 1];       /* USB major revision per port */
	uint8_t port_slot_type[MAX_PORTS + 1];   /* for Enable Slot (7.2.2.1.4) */
	uint64_t port_change[(MAX_PORTS + 64) / 64];
	struct xhci_dev *dev[MAX_SLOTS + 1];     /* by slot */
};

static struct xhci controller;

/*
 * reg_write64 - a 64-bit register as two 32-bit writes, low half first:
 * the access every xHCI must accept (5.1), whatever AC64 says.
 */
static void reg_write64(vaddr_t reg, uint64_t v)
{
	mmio_write32(reg, (uint32_t)v);
	mmio_write32(reg + 4, (uint32_t)(v >> 32));
}

/* ---- bounded waits --------------------------------------------------------------------- */

#define SPINS_PER_MS      2000         /* without a TSC frequency: reads per ms, at least */

struct deadline {
	uint64_t end_tsc;              /* used if tsc_hz is known */
	uint64_t spins_left;           /* used otherwise */
};

static struct deadline deadline_in(unsigned ms)
{
	uint64_t hz = devices_get()->tsc_hz;

	if (hz)
		return (struct deadline){ .end_tsc = rdtsc() + hz / 1000 * ms };
	return (struct deadline){ .spins_left = (uint64_t)ms * SPINS_PER_MS };
}

static bool expired(struct deadline *d)
{
	if (d->end_tsc)
		return rdtsc() >= d->end_tsc;
	return d->spins_left-- == 0;
}

static void delay_ms(unsigned ms)
{
	struct deadline d = deadline_in(ms);

	while (!expired(&d))
		cpu_relax();
}

/* Wait until (reg & mask) == want; false on timeout. */
static bool wait_reg(vaddr_t reg, uint32_t mask, uint32_t want, unsigned ms)
{
	struct deadline d = deadline_in(ms);

	while ((mmio_read32(reg) & mask) != want)
		if (expired(&d))
			return false;
	return true;
}

/* ---- rings ----------------------------------------------------------------------------- */

static struct trb *ring_trbs(const struct xhci_ring *r)
{
	return r->mem.va;
}

static bool ring_init(struct xhci *x, struct xhci_ring *r)
{
	if (dma_alloc(PAGE_SIZE, x->dma_flags, &r->mem) != E_OK)
		return false;
	r->enqueue = 0;
	r->cycle = 1;
	/* The last TRB links back to the first and toggles the cycle state. */
	struct trb *link = &ring_trbs(r)[RING_TRBS - 1];
	link->param = r->mem.pa;
	link->control = TRB_TYPE(TRB_LINK) | TRB_TC;     /* cycle 0: not ours yet */
	return true;
}

/* ring_pa - the physical address of the TRB at @index. */
static paddr_t ring_pa(const struct xhci_ring *r, unsigned index)
{
	return r->mem.pa + index * sizeof(struct trb);
}

/*
 * ring_push - write one TRB at the enqueue pointer, the cycle bit last so
 * the controller never sees half of it; step over the Link TRB at the
 * end (handing it over with the current cycle, then toggling). Returns
 * the TRB's physical address.
 */
static paddr_t ring_push(struct xhci_ring *r, uint64_t param, uint32_t status, uint32_t control)
{
	volatile struct trb *t = &ring_trbs(r)[r->enqueue];
	paddr_t pa = ring_pa(r, r->enqueue);

	t->param = param;
	t->status = status;
	dma_wmb();
	t->control = (control & ~TRB_CYCLE) | r->cycle;
	if (++r->enqueue == RING_TRBS - 1) {
		volatile struct trb *link = &ring_trbs(r)[RING_TRBS - 1];
		dma_wmb();
		link->control = TRB_TYPE(TRB_LINK) | TRB_TC | r->cycle;
		r->enqueue = 0;
		r->cycle ^= 1;
	}
	return pa;
}

static void doorbell(struct xhci *x, unsigned slot, unsigned target)
{
	dma_wmb();
	mmio_write32(x->db + 4 * slot, target);
}

/* ---- events ------------------------------------------------------------------------------ */

static vaddr_t ir0(const struct xhci *x)
{
	return x->rt + RT_IR0;
}

/* Take the next event into *ev; false if the ring holds none. */
static bool event_next(struct xhci *x, struct trb *ev)
{
	const volatile struct trb *t = (const struct trb *)x->event.va + x->event_dequeue;

	if ((t->control & TRB_CYCLE) != x->event_cycle)
		return false;
	dma_rmb();
	ev->param = t->param;
	ev->status = t->status;
	ev->control = t->control;
	if (++x->event_dequeue == EVENT_TRBS) {
		x->event_dequeue = 0;
		x->event_cycle ^= 1;
	}
	reg_write64(ir0(x) + IR_ERDP, (x->event.pa + x->event_dequeue * sizeof(struct trb)) |
					       ERDP_EHB);
	return true;
}

static void mark_port_change(struct xhci *x, unsigned port)
{
	if (port >= 1 && port <= x->ports)
		x->port_change[port / 64] |= 1ull << (port % 64);
}

/* A transfer event for the interrupt IN endpoint of its device. */
static void in_complete(struct xhci *x, const struct trb *ev)
{
	unsigned slot = TRB_SLOT_OF(ev->control);
	struct xhci_dev *d = slot <= MAX_SLOTS ? x->dev[slot] : NULL;

	if (!d || !d->in_busy || TRB_EP_OF(ev->control) != d->in_dci)
		return;     /* nothing waits for it (a device already given up) */
	uint32_t residue = EVT_RESIDUE(ev->status);
	d->in_cc = EVT_CC(ev->status) == XHCI_CC_SHORT_PACKET ? XHCI_CC_SUCCESS
							      : EVT_CC(ev->status);
	d->in_len = d->in_len > residue ? d->in_len - residue : 0;
	d->in_busy = false;
	d->in_done = true;
}

/* Handle an event nobody is waiting for in particular. */
static void event_dispatch(struct xhci *x, const struct trb *ev)
{
	switch (TRB_TYPE_OF(ev->control)) {
	case EVT_TRANSFER:
		in_complete(x, ev);
		break;
	case EVT_PORT_CHANGE:
		mark_port_change(x, (unsigned)(ev->param >> 24) & 0xff);
		break;
	case EVT_HOST:
		kprintf("xhci: %s: host controller event: %s\n", x->owner,
			xhci_cc_name(EVT_CC(ev->status)));
		break;
	default:
		break;      /* a late command completion (after a timeout): dropped */
	}
}

/* Mark the controller dead if it reports an error or has vanished (its
 * registers read all ones); true if it is still alive. */
static bool check_alive(struct xhci *x)
{
	uint32_t sts = mmio_read32(x->op + OP_USBSTS);

	if (!x->dead && (sts == 0xffffffffu || (sts & (STS_HSE | STS_HCE)))) {
		kprintf("xhci: %s failed (USBSTS %#x): given up\n", x->owner, sts);
		x->dead = true;
	}
	return !x->dead;
}

/*
 * wait_event - take events until one for which @match returns true (copied
 * to *out), dispatching the others; give up after @ms. False on timeout;
 * a controller that reports an error or vanishes (all-ones registers) is
 * marked dead.
 */
static bool wait_event(struct xhci *x, bool (*match)(const struct trb *ev, void *ctx),
		       void *ctx, unsigned ms, struct trb *out)
{
	struct deadline d = deadline_in(ms);

	/* The deadline is checked on every turn: a storm of other events ends too. */
	while (!x->dead && !expired(&d)) {
		struct trb ev;
		if (!event_next(x, &ev)) {
			cpu_relax();
			continue;
		}
		if (match(&ev, ctx)) {
			*out = ev;
			return true;
		}
		event_dispatch(x, &ev);
	}
	check_alive(x);
	return false;
}

/* ---- commands ------------------------------------------------------------------------------ */

static bool is_completion_of(const struct trb *ev, void *ctx)
{
	return TRB_TYPE_OF(ev->control) == EVT_COMMAND && ev->param == *(const paddr_t *)ctx;
}

/* Abort the command that did not complete, so the ring can take the next. */
static void command_abort(struct xhci *x)
{
	/* While the ring runs only CS and CA are taken from a write (5.4.5). */
	mmio_write32(x->op + OP_CRCR, CRCR_CA);
	struct deadline d = deadline_in(XHCI_COMMAND_MS);
	while (mmio_read32(x->op + OP_CRCR) & CRCR_CRR) {
		if (expired(&d)) {
			kprintf("xhci: %s: command ring does not stop: given up\n", x->owner);
			x->dead = true;
			return;
		}
	}
	xhci_poll(x);    /* the "aborted" and "ring stopped" completions */
}

/* command - run one command; returns its completion code, *slot (may be
 * NULL) the slot ID of the completion event. */
static unsigned command(struct xhci *x, uint64_t param, uint32_t control, unsigned *slot)
{
	struct trb ev;

	if (x->dead)
		return XHCI_CC_DEAD;
	paddr_t pa = ring_push(&x->cmd, param, 0, control);
	doorbell(x, 0, 0);
	if (!wait_event(x, is_completion_of, &pa, XHCI_COMMAND_MS, &ev)) {
		if (x->dead)
			return XHCI_CC_DEAD;
		command_abort(x);
		return XHCI_CC_TIMEOUT;
	}
	if (slot)
		*slot = TRB_SLOT_OF(ev.control);
	return EVT_CC(ev.status);
}

/* ---- controller setup ---------------------------------------------------------------------------- */

/* The firmware may still own the controller through SMIs (USB legacy
 * support, 7.1): ask for it and switch its SMIs off. */
static void take_from_bios(struct xhci *x, vaddr_t cap)
{
	uint32_t v = mmio_read32(cap);

	if (v & LEGACY_BIOS_OWNED) {
		mmio_write32(cap, v | LEGACY_OS_OWNED);
		if (!wait_reg(cap, LEGACY_BIOS_OWNED, 0, XHCI_RESET_MS)) {
			kprintf("xhci: %s: the firmware did not let go in %u ms: taken\n",
				x->owner, XHCI_RESET_MS);
			mmio_write32(cap, (mmio_read32(cap) & ~LEGACY_BIOS_OWNED) | LEGACY_OS_OWNED);
		} else {
			kprintf("xhci: %s: taken over from the firmware\n", x->owner);
		}
	}
	uint32_t ctl = mmio_read32(cap + LEGACY_CTLSTS);
	mmio_write32(cap + LEGACY_CTLSTS, (ctl & ~LEGACY_SMI_ENABLES) | LEGACY_SMI_EVENTS);
}

/* Which ports speak USB 2 and which USB 3 (Supported Protocol, 7.2). */
static void note_protocol(struct xhci *x, vaddr_t cap)
{
	uint32_t major = mmio_read32(cap) >> 24, ports = mmio_read32(cap + 8);
	uint32_t slot_type = mmio_read32(cap + 12) & 0x1f;
	unsigned first = ports & 0xff, count = (ports >> 8) & 0xff;

	for (unsigned p = first; p < first + count && p <= x->ports; p++) {
		if (p >= 1) {
			x->port_major[p] = (uint8_t)major;
			x->port_slot_type[p] = (uint8_t)slot_type;
		}
	}
}

/* Walk the extended capabilities; false if the chain is nonsense. */
static bool walk_xcaps(struct xhci *x, uint64_t bar_size)
{
	uint64_t off = (uint64_t)(mmio_read32(x->cap + CAP_HCCPARAMS1) >> 16) * 4;

	for (unsigned steps = 0; off; steps++) {
		if (steps == XCAP_MAX_STEPS || off + 16 > bar_size) {
			kprintf("xhci: %s: extended capabilities run off BAR0 (at %#lx)\n",
				x->owner, off);
			return false;
		}
		uint32_t v = mmio_read32(x->cap + off);
		if (XCAP_ID(v) == XCAP_LEGACY)
			take_from_bios(x, x->cap + off);
		else if (XCAP_ID(v) == XCAP_PROTOCOL)
			note_protocol(x, x->cap + off);
		off = XCAP_NEXT(v) ? off + XCAP_NEXT(v) * 4 : 0;
	}
	return true;
}

/* Stop the controller the firmware left running, then reset it (4.22.1). */
static bool halt_and_reset(struct xhci *x)
{
	vaddr_t cmd = x->op + OP_USBCMD, sts = x->op + OP_USBSTS;

	mmio_write32(cmd, mmio_read32(cmd) & ~CMD_RUN);
	if (!wait_reg(sts, STS_HCH, STS_HCH, XHCI_RESET_MS)) {
		kprintf("xhci: %s: does not halt (USBSTS %#x): not used\n", x->owner,
			mmio_read32(sts));
		return false;
	}
	mmio_write32(cmd, CMD_HCRST);
	delay_ms(1);     /* some controllers must not be read just after HCRST (Linux waits too) */
	if (!wait_reg(cmd, CMD_HCRST, 0, XHCI_RESET_MS) ||
	    !wait_reg(sts, STS_CNR, 0, XHCI_RESET_MS)) {
		kprintf("xhci: %s: reset does not end (USBCMD %#x USBSTS %#x): not used\n",
			x->owner, mmio_read32(cmd), mmio_read32(sts));
		return false;
	}
	return true;
}

/* Scratchpad pages the controller keeps for itself (4.20), in DCBAA[0]. */
static bool give_scratchpads(struct xhci *x, unsigned page_size)
{
	uint32_t p2 = mmio_read32(x->cap + CAP_HCSPARAMS2);
	unsigned count = ((p2 >> 21) & 0x1f) << 5 | p2 >> 27;

	if (!count)
		return true;
	if (dma_alloc(count * sizeof(uint64_t), x->dma_flags, &x->scratch_array) != E_OK)
		return false;
	uint64_t *array = x->scratch_array.va;
	for (unsigned i = 0; i < count; i++) {
		struct dma_buf page;
		if (dma_alloc(page_size, x->dma_flags, &page) != E_OK)
			return false;
		array[i] = page.pa;
	}
	((uint64_t *)x->dcbaa.va)[0] = x->scratch_array.pa;
	kprintf("xhci: %u scratchpad pages given to the controller\n", count);
	return true;
}

/* The event ring: one segment, its table, interrupter 0 (4.9.4, 5.5.2). */
static bool event_ring_init(struct xhci *x)
{
	if (dma_alloc(PAGE_SIZE, x->dma_flags, &x->event) != E_OK ||
	    dma_alloc(sizeof(struct erst_entry), x->dma_flags, &x->erst) != E_OK)
		return false;
	struct erst_entry *e = x->erst.va;
	e->base = x->event.pa;
	e->size = EVENT_TRBS;
	x->event_dequeue = 0;
	x->event_cycle = 1;
	mmio_write32(ir0(x) + IR_ERSTSZ, 1);
	reg_write64(ir0(x) + IR_ERDP, x->event.pa);
	reg_write64(ir0(x) + IR_ERSTBA, x->erst.pa);    /* last: it starts the ring */
	mmio_write32(ir0(x) + IR_IMAN, mmio_read32(ir0(x) + IR_IMAN));  /* clear IP, IE off */
	return true;
}

/* Everything the controller reads, then Run (4.2). */
static bool start(struct xhci *x)
{
	uint32_t page_bits = mmio_read32(x->op + OP_PAGESIZE) & 0xffff;

	if (!page_bits) {
		kprintf("xhci: %s: PAGESIZE register is 0: not used\n", x->owner);
		return false;
	}
	unsigned page_size = PAGE_SIZE << __builtin_ctz(page_bits);
	if (dma_alloc((x->slots + 1) * sizeof(uint64_t), x->dma_flags, &x->dcbaa) != E_OK ||
	    !give_scratchpads(x, page_size) || !ring_init(x, &x->cmd) || !event_ring_init(x)) {
		kprintf("xhci: %s: out of frames for its rings: not used\n", x->owner);
		return false;
	}
	mmio_write32(x->op + OP_CONFIG, (mmio_read32(x->op + OP_CONFIG) & ~0xffu) | x->slots);
	reg_write64(x->op + OP_DCBAAP, x->dcbaa.pa);
	reg_write64(x->op + OP_CRCR, x->cmd.mem.pa | CRCR_RCS);
	mmio_write32(x->op + OP_USBCMD, CMD_RUN);      /* no interrupts: polled */
	if (!wait_reg(x->op + OP_USBSTS, STS_HCH, 0, XHCI_RESET_MS)) {
		kprintf("xhci: %s: does not start (USBSTS %#x): not used\n", x->owner,
			mmio_read32(x->op + OP_USBSTS));
		return false;
	}
	return true;
}

/* Ports whose power is switched (HCCPARAMS1.PPC) are off after a reset:
 * power them and give devices the 20 ms USB 2.0 allows (7.1.7.3). */
static void power_ports(struct xhci *x)
{
	bool powered = false;

	for (unsigned port = 1; port <= x->ports; port++) {
		vaddr_t reg = x->op + OP_PORTSC(port);
		uint32_t v = mmio_read32(reg);
		if (!(v & PORTSC_PP)) {
			mmio_write32(reg, port_neutral(v) | PORTSC_PP);
			powered = true;
		}
	}
	if (powered)
		delay_ms(20);
}

/* Read and check the capability registers; false (reported) if nonsense. */
static bool read_caps(struct xhci *x, uint64_t bar_size)
{
	uint32_t caplen = mmio_read32(x->cap + CAP_LENGTH) & 0xff;
	uint32_t p1 = mmio_read32(x->cap + CAP_HCSPARAMS1);
	uint32_t c1 = mmio_read32(x->cap + CAP_HCCPARAMS1);
	uint32_t dboff = mmio_read32(x->cap + CAP_DBOFF) & ~3u;
	uint32_t rtsoff = mmio_read32(x->cap + CAP_RTSOFF) & ~0x1fu;

	x->version = mmio_read32(x->cap) >> 16;
	x->slots = p1 & 0xff;
	x->ports = p1 >> 24;
	if (caplen < 0x20 || dboff < caplen || rtsoff < caplen || dboff >= bar_size ||
	    rtsoff >= bar_size || OP_PORTSC(x->ports + 1) + caplen > bar_size || !x->slots ||
	    !x->ports || p1 == 0xffffffffu) {
		kprintf("xhci: %s: nonsense capability registers, not used:\n"
			"  length %#x, doorbells at %#x, runtime at %#x, %u slots, %u ports\n",
			x->owner, caplen, dboff, rtsoff, x->slots, x->ports);
		return false;
	}
	x->op = x->cap + caplen;
	x->db = x->cap + dboff;
	x->rt = x->cap + rtsoff;
	x->ctx_size = c1 & HCC_CSZ ? 64 : 32;
	x->dma_flags = c1 & HCC_AC64 ? 0 : DMA_LOW32;
	return true;
}

/* Find the controller's BAR0, refuse nonsense, claim and map it UC. */
static bool map_registers(struct xhci *x, uint64_t *size)
{
	int st = pci_bar_mem(x->pci, 0, &x->bar_pa, size);

	if (st != E_OK) {
		kprintf("xhci: %s: BAR0 %s: not used\n", x->owner,
			st == E_NOENT ? "is not assigned (address or size 0)" : "is not a memory BAR");
		return false;
	}
	/* mmio_map refuses RAM (E_PERM) and ranges someone else holds, and says why. */
	x->cap = mmio_map(x->bar_pa, *size, CACHE_UC, x->owner);
	if (!x->cap)
		kprintf("xhci: %s: BAR0 [%lx, %lx) not mapped: not used\n", x->owner, x->bar_pa,
			x->bar_pa + *size);
	return x->cap != 0;
}

static void release(struct xhci *x)
{
	/* Frames handed to a controller that failed are not taken back: it may
	 * still write them. It is told to stop, and the mapping is undone. */
	if (x->op)
		mmio_write32(x->op + OP_USBCMD, 0);
	if (x->cap)
		mmio_unmap(x->cap);
	x->cap = 0;
}

/* Check the registers at x->cap, take the controller from the firmware, reset it. */
static bool take_over(struct xhci *x, uint64_t bar_size)
{
	return read_caps(x, bar_size) && walk_xcaps(x, bar_size) && halt_and_reset(x);
}

bool xhci_take_over(vaddr_t regs, uint64_t size)
{
	static struct xhci scratch;      /* never the live controller */

	memset(&scratch, 0, sizeof(scratch));
	ksnprintf(scratch.owner, sizeof(scratch.owner), "registers at %lx", regs);
	scratch.cap = regs;
	return take_over(&scratch, size);
}

struct xhci *xhci_probe(void)
{
	struct xhci *x = &controller;
	uint64_t bar_size;

	memset(x, 0, sizeof(*x));
	if (!pci_find_class(0x0c, 0x03, 0x30, 0, &x->pci)) {
		kprintf("xhci: no xHCI controller on PCI bus 0\n");
		return NULL;
	}
	ksnprintf(x->owner, sizeof(x->owner), "xHCI 00:%02x.%u", x->pci.dev, x->pci.fn);
	if (!map_registers(x, &bar_size))
		return NULL;
	pci_enable(x->pci, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
	if (!take_over(x, bar_size) || !start(x)) {
		release(x);
		return NULL;
	}
	power_ports(x);
	kprintf("xhci: %s at %lx -> %lx UC, version %x.%02x\n", x->owner, x->bar_pa, x->cap,
		x->version >> 8, x->version & 0xff);
	kprintf("xhci: %u ports, %u slots, %u-byte contexts, %s DMA\n", x->ports, x->slots,
		x->ctx_size, x->dma_flags & DMA_LOW32 ? "32-bit" : "64-bit");
	return x;
}

/* ---- ports ------------------------------------------------------------------------------------- */

unsigned xhci_port_count(const struct xhci *x)
{
	return x->ports;
}

bool xhci_port_usb3(const struct xhci *x, unsigned port)
{
	return port >= 1 && port <= x->ports && x->port_major[port] >= 3;
}

static uint32_t port_read(struct xhci *x, unsigned port)
{
	return mmio_read32(x->op + OP_PORTSC(port));
}

bool xhci_port_connected(struct xhci *x, unsigned port)
{
	return !x->dead && port >= 1 && port <= x->ports && (port_read(x, port) & PORTSC_CCS);
}

unsigned xhci_port_changed(struct xhci *x)
{
	for (unsigned port = 1; port <= x->ports; port++) {
		uint64_t bit = 1ull << (port % 64);
		if (!(x->port_change[port / 64] & bit))
			continue;
		x->port_change[port / 64] &= ~bit;
		uint32_t v = port_read(x, port);
		mmio_write32(x->op + OP_PORTSC(port), port_neutral(v) | (v & PORTSC_CHANGES));
		return port;
	}
	return 0;
}

/* Start a reset with @bit (PR or WPR) and wait for its change bit @done. */
static unsigned port_reset_with(struct xhci *x, unsigned port, uint32_t bit, uint32_t done)
{
	vaddr_t reg = x->op + OP_PORTSC(port);

	mmio_write32(reg, port_neutral(mmio_read32(reg)) | bit);
	if (!wait_reg(reg, done, done, XHCI_RESET_MS))
		return XHCI_CC_TIMEOUT;
	mmio_write32(reg, port_neutral(mmio_read32(reg)) | PORTSC_PRC | PORTSC_WRC);
	return XHCI_CC_SUCCESS;
}

unsigned xhci_port_reset(struct xhci *x, unsigned port, enum usb_speed *speed)
{
	if (x->dead)
		return XHCI_CC_DEAD;
	if (port < 1 || port > x->ports)
		return XHCI_CC_BAD_ARG;
	uint32_t v = port_read(x, port);
	if (!(v & PORTSC_CCS))
		return XHCI_CC_GONE;
	unsigned cc = XHCI_CC_SUCCESS;
	if (!xhci_port_usb3(x, port))
		cc = port_reset_with(x, port, PORTSC_PR, PORTSC_PRC);
	else if (!(v & PORTSC_PED))     /* USB 3 links enable the port by themselves */
		cc = port_reset_with(x, port, PORTSC_WPR, PORTSC_WRC);
	if (cc != XHCI_CC_SUCCESS)
		return cc;
	v = port_read(x, port);
	if (!(v & PORTSC_CCS))
		return XHCI_CC_GONE;
	if (!(v & PORTSC_PED))
		return XHCI_CC_TIMEOUT;
	*speed = (enum usb_speed)PORTSC_SPEED(v);
	delay_ms(10);        /* reset recovery (USB 2.0, 7.1.7.3) */
	return XHCI_CC_SUCCESS;
}

/* ---- devices ------------------------------------------------------------------------------------ */

/* Context @index of the input context (0: input control, 1: slot, DCI + 1). */
static uint32_t *in_ctx(struct xhci_dev *d, unsigned index)
{
	return (uint32_t *)((uint8_t *)d->in_ctx.va + index * d->hc->ctx_size);
}

/* Start an input context: clear it, set the add flags, copy the slot. */
static void in_ctx_begin(struct xhci_dev *d, uint32_t add)
{
	memset(d->in_ctx.va, 0, d->in_ctx.size);
	in_ctx(d, CTX_INPUT)[1] = add;
}

static unsigned ep0_mps_for(enum usb_speed speed)
{
	switch (speed) {
	case USB_SPEED_HIGH:  return 64;
	case USB_SPEED_SUPER: return 512;
	default:              return 8;    /* low and full speed: 8 until the descriptor says */
	}
}

static void free_dev_memory(struct xhci_dev *d)
{
	dma_free(&d->ep0.mem);
	dma_free(&d->in_ring.mem);
	dma_free(&d->in_ctx);
	dma_free(&d->out_ctx);
}

unsigned xhci_dev_open(struct xhci *x, unsigned port, enum usb_speed speed, struct xhci_dev *d)
{
	unsigned slot = 0;

	memset(d, 0, sizeof(*d));
	d->hc = x;
	d->port = port;
	d->speed = speed;
	unsigned cc = command(x, 0, TRB_TYPE(CMD_ENABLE_SLOT) |
				    (uint32_t)x->port_slot_type[port] << 16, &slot);
	if (cc != XHCI_CC_SUCCESS)
		return cc;
	if (slot == 0 || slot > x->slots) {
		kprintf("xhci: Enable Slot gave slot %u of %u\n", slot, x->slots);
		return XHCI_CC_BAD_ARG;
	}
	d->slot = slot;
	x->dev[slot] = d;
	if (dma_alloc(PAGE_SIZE, x->dma_flags, &d->out_ctx) != E_OK ||
	    dma_alloc(PAGE_SIZE, x->dma_flags, &d->in_ctx) != E_OK || !ring_init(x, &d->ep0)) {
		xhci_dev_close(d);
		return XHCI_CC_NOMEM;
	}
	((uint64_t *)x->dcbaa.va)[slot] = d->out_ctx.pa;
	in_ctx_begin(d, 1u << 0 | 1u << DCI_EP0);          /* A0: slot, A1: EP0 */
	uint32_t *sc = in_ctx(d, CTX_SLOT), *ep0 = in_ctx(d, DCI_EP0 + 1);
	sc[0] = SLOT_SPEED(speed) | SLOT_ENTRIES(DCI_EP0);
	sc[1] = SLOT_PORT(port);
	ep0[1] = EP_CERR(EP_ERRORS) | EP_TYPE(EP_TYPE_CONTROL) | EP_MPS(ep0_mps_for(speed));
	*(uint64_t *)&ep0[2] = d->ep0.mem.pa | d->ep0.cycle;
	ep0[4] = 8;                                          /* average TRB length */
	cc = command(x, d->in_ctx.pa, TRB_TYPE(CMD_ADDRESS_DEVICE) | TRB_SLOT(slot), NULL);
	if (cc != XHCI_CC_SUCCESS)
		xhci_dev_close(d);
	return cc;
}

unsigned xhci_dev_set_mps0(struct xhci_dev *d, unsigned mps)
{
	in_ctx_begin(d, 1u << DCI_EP0);
	uint32_t *ep0 = in_ctx(d, DCI_EP0 + 1);
	ep0[1] = EP_CERR(EP_ERRORS) | EP_TYPE(EP_TYPE_CONTROL) | EP_MPS(mps);
	return command(d->hc, d->in_ctx.pa, TRB_TYPE(CMD_EVALUATE_CONTEXT) | TRB_SLOT(d->slot),
		       NULL);
}

/* xHCI's interval: 2^n microframes (6.2.3.6) from the descriptor's bInterval. */
static unsigned ep_interval(enum usb_speed speed, unsigned interval)
{
	if (speed == USB_SPEED_HIGH || speed == USB_SPEED_SUPER)
		return interval >= 1 && interval <= 16 ? interval - 1 : 3;
	/* Low and full speed: bInterval frames of 8 microframes; the largest
	 * power of two not above it. */
	unsigned n = 3;
	while (n < 10 && (1u << (n + 1)) <= interval * 8u)
		n++;
	return n;
}

unsigned xhci_dev_add_in(struct xhci_dev *d, unsigned ep_num, unsigned mps, unsigned interval)
{
	unsigned dci = ep_num * 2 + 1;

	if (!d->slot || ep_num < 1 || ep_num > 15 || mps == 0 || mps > 1024)
		return XHCI_CC_BAD_ARG;
	if (!ring_init(d->hc, &d->in_ring))
		return XHCI_CC_NOMEM;
	in_ctx_begin(d, 1u << 0 | 1u << dci);
	uint32_t *sc = in_ctx(d, CTX_SLOT), *ep = in_ctx(d, dci + 1);
	sc[0] = SLOT_SPEED(d->speed) | SLOT_ENTRIES(dci);
	sc[1] = SLOT_PORT(d->port);
	ep[0] = EP_INTERVAL(ep_interval(d->speed, interval));
	ep[1] = EP_CERR(EP_ERRORS) | EP_TYPE(EP_TYPE_INTR_IN) | EP_MPS(mps);
	*(uint64_t *)&ep[2] = d->in_ring.mem.pa | d->in_ring.cycle;
	ep[4] = mps | mps << 16;       /* average TRB length, max ESIT payload */
	unsigned cc = command(d->hc, d->in_ctx.pa, TRB_TYPE(CMD_CONFIGURE_EP) | TRB_SLOT(d->slot),
			      NULL);
	if (cc == XHCI_CC_SUCCESS)
		d->in_dci = dci;
	else
		dma_free(&d->in_ring.mem);     /* the controller did not take it */
	return cc;
}

/*
 * ep_recover - after a STALL (endpoint Halted) or a timeout (still
 * Running): Reset Endpoint or Stop Endpoint, then move the dequeue
 * pointer past everything queued, so the ring starts clean (4.6.8, 4.6.9,
 * 4.6.10). Returns a completion code.
 */
static unsigned ep_recover(struct xhci_dev *d, unsigned dci, struct xhci_ring *r, bool halted)
{
	uint32_t ep = TRB_EP(dci) | TRB_SLOT(d->slot);
	unsigned cc = command(d->hc, 0, TRB_TYPE(halted ? CMD_RESET_EP : CMD_STOP_EP) | ep, NULL);

	if (cc != XHCI_CC_SUCCESS && cc != XHCI_CC_CONTEXT_STATE)
		return cc;
	return command(d->hc, ring_pa(r, r->enqueue) | r->cycle, TRB_TYPE(CMD_SET_TR_DEQUEUE) | ep,
		       NULL);
}

struct control_wait {
	unsigned slot;
	paddr_t status_trb;
	uint32_t residue;          /* of a short data stage */
};

static bool is_control_end(const struct trb *ev, void *ctx)
{
	struct control_wait *w = ctx;

	if (TRB_TYPE_OF(ev->control) != EVT_TRANSFER || TRB_SLOT_OF(ev->control) != w->slot ||
	    TRB_EP_OF(ev->control) != DCI_EP0)
		return false;
	if (EVT_CC(ev->status) == XHCI_CC_SHORT_PACKET) {
		w->residue = EVT_RESIDUE(ev->status);   /* the data stage; status follows */
		return false;
	}
	return ev->param == w->status_trb || EVT_CC(ev->status) != XHCI_CC_SUCCESS;
}

unsigned xhci_control(struct xhci_dev *d, const struct usb_setup *setup, paddr_t buf,
		      uint16_t *actual)
{
	struct xhci *x = d->hc;
	bool in = setup->request_type & USB_DIR_IN;
	uint16_t len = setup->length;
	uint64_t packet;
	struct trb ev;

	if (actual)
		*actual = 0;
	if (x->dead)
		return XHCI_CC_DEAD;
	if (d->gone || !d->slot)
		return XHCI_CC_GONE;
	memcpy(&packet, setup, sizeof(packet));
	ring_push(&d->ep0, packet, 8, TRB_TYPE(TRB_SETUP) | TRB_IDT |
				      TRB_TRT(len ? (in ? TRT_IN : TRT_OUT) : 0));
	if (len)
		ring_push(&d->ep0, buf, len, TRB_TYPE(TRB_DATA) | TRB_ISP | (in ? TRB_DIR_IN : 0));
	/* The status stage goes the other way from the data (IN if there is none). */
	struct control_wait w = { d->slot, 0, 0 };
	w.status_trb = ring_push(&d->ep0, 0, 0, TRB_TYPE(TRB_STATUS) | TRB_IOC |
						 (len && in ? 0 : TRB_DIR_IN));
	doorbell(x, d->slot, DCI_EP0);
	if (!wait_event(x, is_control_end, &w, XHCI_TRANSFER_MS, &ev)) {
		if (x->dead)
			return XHCI_CC_DEAD;
		ep_recover(d, DCI_EP0, &d->ep0, false);
		return XHCI_CC_TIMEOUT;
	}
	unsigned cc = EVT_CC(ev.status);
	if (cc == XHCI_CC_STALL || cc == XHCI_CC_TRANSACTION || cc == XHCI_CC_BABBLE)
		ep_recover(d, DCI_EP0, &d->ep0, true);
	if (cc == XHCI_CC_SUCCESS && actual)
		*actual = len > w.residue ? (uint16_t)(len - w.residue) : 0;
	return cc;
}

unsigned xhci_queue_in(struct xhci_dev *d, paddr_t buf, uint32_t len)
{
	if (d->hc->dead)
		return XHCI_CC_DEAD;
	if (d->gone)
		return XHCI_CC_GONE;
	if (!d->in_dci || d->in_busy || len == 0)
		return XHCI_CC_BAD_ARG;
	d->in_busy = true;
	d->in_done = false;
	d->in_len = len;
	ring_push(&d->in_ring, buf, len, TRB_TYPE(TRB_NORMAL) | TRB_IOC | TRB_ISP);
	doorbell(d->hc, d->slot, d->in_dci);
	return XHCI_CC_SUCCESS;
}

/* A port change: a device on a port that is no longer connected is gone. */
static void note_disconnects(struct xhci *x)
{
	for (unsigned slot = 1; slot <= x->slots; slot++) {
		struct xhci_dev *d = x->dev[slot];
		if (d && !d->gone && !(port_read(x, d->port) & PORTSC_CCS))
			d->gone = true;
	}
}

void xhci_poll(struct xhci *x)
{
	struct trb ev;
	bool port_event = false;

	if (x->dead)
		return;
	/* At most one ring's worth: a controller that floods events cannot keep
	 * the caller here. */
	for (unsigned n = 0; n < EVENT_TRBS && event_next(x, &ev); n++) {
		port_event |= TRB_TYPE_OF(ev.control) == EVT_PORT_CHANGE;
		event_dispatch(x, &ev);
	}
	if (port_event)
		note_disconnects(x);
	check_alive(x);
}

void xhci_dev_close(struct xhci_dev *d)
{
	struct xhci *x = d->hc;

	if (!d->slot)
		return;
	unsigned cc = command(x, 0, TRB_TYPE(CMD_DISABLE_SLOT) | TRB_SLOT(d->slot), NULL);
	x->dev[d->slot] = NULL;
	if (cc == XHCI_CC_SUCCESS) {
		((uint64_t *)x->dcbaa.va)[d->slot] = 0;
		free_dev_memory(d);
	} else {
		kprintf("xhci: Disable Slot %u: %s; its rings and contexts are not reused\n",
			d->slot, xhci_cc_name(cc));
	}
	d->slot = 0;
	d->in_dci = 0;
	d->in_busy = false;
}

const char *xhci_cc_name(unsigned cc)
{
	static const char *const names[] = {
		[XHCI_CC_INVALID] = "invalid", [XHCI_CC_SUCCESS] = "success",
		[XHCI_CC_DATA_BUFFER] = "data buffer error", [XHCI_CC_BABBLE] = "babble",
		[XHCI_CC_TRANSACTION] = "USB transaction error", [XHCI_CC_TRB] = "TRB error",
		[XHCI_CC_STALL] = "stall", [XHCI_CC_RESOURCE] = "out of resources",
		[XHCI_CC_BANDWIDTH] = "no bandwidth", [XHCI_CC_NO_SLOTS] = "no slots",
		[XHCI_CC_SLOT_NOT_ENABLED] = "slot not enabled",
		[XHCI_CC_EP_NOT_ENABLED] = "endpoint not enabled",
		[XHCI_CC_SHORT_PACKET] = "short packet", [XHCI_CC_PARAMETER] = "parameter error",
		[XHCI_CC_CONTEXT_STATE] = "context state error",
		[XHCI_CC_COMMAND_ABORTED] = "command aborted", [XHCI_CC_STOPPED] = "stopped",
		[XHCI_CC_STOPPED_LENGTH] = "stopped (length invalid)",
	};
	switch (cc) {
	case XHCI_CC_TIMEOUT: return "timeout";
	case XHCI_CC_DEAD:    return "controller dead";
	case XHCI_CC_GONE:    return "device gone";
	case XHCI_CC_NOMEM:   return "out of frames";
	case XHCI_CC_BAD_ARG: return "bad argument";
	}
	return cc < ARRAY_SIZE(names) && names[cc] ? names[cc] : "unknown completion code";
}
