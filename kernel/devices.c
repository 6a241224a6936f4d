/*
 * devices.c - map and probe the local APIC, I/O APICs, HPET and PCIe bus 0
 * (devices.h).
 */
#include "devices.h"
#include "console.h"
#include "cpu.h"
#include "klib.h"
#include "mmio.h"
#include "pci.h"

#define MSR_APIC_BASE        0x0000001bu
#define APIC_BASE_X2APIC     (1ull << 10)  /* EXTD: x2APIC mode */
#define APIC_BASE_ENABLE     (1ull << 11)
#define APIC_BASE_ADDR_MASK  0x000ffffffffff000ul

/* I/O APIC: an index register and a data window (82093AA datasheet 3.0). */
#define IOAPIC_REGSEL        0x00
#define IOAPIC_WINDOW        0x10
#define IOAPIC_MMIO_SIZE     0x20
#define IOAPIC_REG_ID        0x00
#define IOAPIC_REG_VERSION   0x01  /* 7:0 version, 23:16 max redirection entry */

#define HPET_CAP_COUNTER_64  (1ull << 13)
#define HPET_CONFIG_ENABLE   (1ull << 0)
#define FS_PER_NS            1000000ul
#define NS_PER_S             1000000000ul
#define CALIBRATE_MAX_READS  5000000u      /* a stuck counter gives up after these */

/* PCIe: one bus of ECAM (registers in pci.h). */
#define PCI_ECAM_BUS_SIZE    (1ul << 20)    /* 32 devices x 8 functions x 4 KiB */
#define PCI_CONFIG_PORTS     "0xcf8/0xcfc"

static struct devices dev;
static char ioapic_owner[ACPI_MAX_IOAPICS][16];

/* ---- local APIC ---------------------------------------------------------- */

static void lapic_probe(const struct acpi_info *ai)
{
	uint64_t msr = rdmsr(MSR_APIC_BASE);
	paddr_t pa = ai->have_madt ? ai->lapic_addr : (msr & APIC_BASE_ADDR_MASK);

	if ((msr & APIC_BASE_ADDR_MASK) != pa)
		kprintf("lapic: MADT says %lx, IA32_APIC_BASE says %lx: using the MADT's\n", pa,
			msr & APIC_BASE_ADDR_MASK);
	dev.lapic_pa = pa;
	dev.lapic = mmio_map(pa, LAPIC_MMIO_SIZE, CACHE_UC, OWNER_LAPIC);
	dev.lapic_x2apic = (msr & APIC_BASE_X2APIC) != 0;
	if (dev.lapic_x2apic || dev.lapic) {
		/* In x2APIC mode the MMIO page is inert: the registers are MSRs,
		 * and the ID register holds the whole 32-bit ID. */
		struct lapic_regs r = { dev.lapic, dev.lapic_x2apic };
		dev.lapic_id = lapic_read(&r, LAPIC_REG_ID) << (dev.lapic_x2apic ? 24 : 0);
		dev.lapic_version = lapic_read(&r, LAPIC_REG_VERSION);
	}
	/* Two lines: the boot report fits 80 columns (a 640x480 screen). */
	kprintf("lapic: %lx -> %lx UC, id %u, version %#x, %u LVT entries\n", pa, dev.lapic,
		dev.lapic_id >> 24, dev.lapic_version & 0xff,
		((dev.lapic_version >> 16) & 0xff) + 1);
	kprintf("lapic: %u CPUs in the MADT%s%s\n", ai->cpus,
		msr & APIC_BASE_ENABLE ? "" : "; disabled in IA32_APIC_BASE",
		dev.lapic_x2apic ? "; x2APIC mode (registers read by MSR)" : "");
}

/* ---- I/O APICs ------------------------------------------------------------ */

static uint32_t ioapic_read(vaddr_t base, uint32_t reg)
{
	mmio_write32(base + IOAPIC_REGSEL, reg);
	return mmio_read32(base + IOAPIC_WINDOW);
}

static void ioapic_probe(const struct acpi_info *ai)
{
	for (unsigned i = 0; i < ai->ioapic_count; i++) {
		const struct acpi_ioapic *io = &ai->ioapic[i];
		ksnprintf(ioapic_owner[i], sizeof(ioapic_owner[i]), "I/O APIC %u", io->id);
		vaddr_t va = mmio_map(io->addr, IOAPIC_MMIO_SIZE, CACHE_UC, ioapic_owner[i]);
		if (!va)
			continue;
		uint32_t ver = ioapic_read(va, IOAPIC_REG_VERSION);
		dev.ioapic[dev.ioapic_count] = va;
		dev.ioapic_version[dev.ioapic_count++] = ver;
		/* One redirection entry per GSI from gsi_base on. */
		kprintf("ioapic: id %u at %lx -> %lx UC, version %#x, GSIs %u-%u\n",
			(ioapic_read(va, IOAPIC_REG_ID) >> 24) & 0xf, io->addr, va, ver & 0xff,
			io->gsi_base, io->gsi_base + ((ver >> 16) & 0xff));
	}
	if (ai->override_count)
		kprintf("ioapic: %u interrupt source overrides (e.g. ISA IRQ %u -> GSI %u)\n",
			ai->override_count, ai->override[0].source, ai->override[0].gsi);
}

/* ---- HPET and the TSC ---------------------------------------------------------- */

/* One HPET counter read and the TSC at its middle. */
static uint64_t hpet_read_timed(vaddr_t hpet, uint64_t *tsc)
{
	uint64_t t0 = rdtsc(), c = mmio_read64(hpet + HPET_REG_COUNTER), t1 = rdtsc();

	*tsc = t0 + (t1 - t0) / 2;
	return c;
}

/*
 * A TSC-against-HPET window: opened on an edge of the HPET counter, closed
 * once at least the wanted number of HPET ticks has passed. Whatever runs
 * in between (the boot's other device work) is not waited for twice.
 */
struct tsc_window {
	vaddr_t hpet;
	uint64_t period_fs, mask, c0, t0;
	bool open;
};

/* Open @w on the HPET at @hpet; false if the counter does not move. */
static bool window_open(struct tsc_window *w, vaddr_t hpet, uint64_t period_fs, bool counter_64)
{
	uint64_t c, t;
	unsigned reads = 0;

	w->hpet = hpet;
	w->period_fs = period_fs;
	w->mask = counter_64 ? ~0ull : 0xffffffffull;
	c = hpet_read_timed(hpet, &t);
	do {                                   /* start on an edge */
		if (++reads == CALIBRATE_MAX_READS)
			return w->open = false;
		w->c0 = hpet_read_timed(hpet, &w->t0);
	} while (w->c0 == c);
	return w->open = true;
}

/* Close @w once @window_ns of HPET time has passed since it opened (at
 * once if it has already): the TSC's Hz, 0 if the counter stopped. */
static uint64_t window_close(struct tsc_window *w, uint64_t window_ns)
{
	uint64_t want = window_ns * FS_PER_NS / w->period_fs, ticks = 0, t1;
	unsigned reads = 0;

	if (!w->open)
		return 0;
	w->open = false;
	if (!want)
		want = 1;
	do {
		if (++reads == CALIBRATE_MAX_READS)
			return 0;
		ticks = (hpet_read_timed(w->hpet, &t1) - w->c0) & w->mask;
	} while (ticks < want);
	uint64_t ns = ticks * w->period_fs / FS_PER_NS;
	return ns ? (t1 - w->t0) * NS_PER_S / ns : 0;
}

/* The boot's window: opened by devices_init, closed by devices_finish. */
static struct tsc_window boot_window;

static bool hpet_window_open(struct tsc_window *w)
{
	if (!dev.hpet || !dev.hpet_period_fs)
		return false;
	return window_open(w, dev.hpet, dev.hpet_period_fs,
			   mmio_read64(dev.hpet + HPET_REG_CAP) & HPET_CAP_COUNTER_64);
}

uint64_t tsc_hz_from_hpet(uint64_t window_ns)
{
	struct tsc_window w;

	return hpet_window_open(&w) ? window_close(&w, window_ns) : 0;
}

const char *tsc_source_name(enum tsc_source src)
{
	static const char *const names[] = {
		[TSC_NONE] = "none", [TSC_CPUID_15] = "CPUID leaf 0x15",
		[TSC_CPUID_16] = "CPUID leaf 0x16", [TSC_HPET] = "HPET",
	};
	return (unsigned)src < ARRAY_SIZE(names) ? names[src] : "?";
}

/*
 * tsc_from_cpuid - the TSC frequency the CPU states: leaf 0x15 gives the
 * TSC/crystal ratio EBX/EAX and the crystal's Hz in ECX; without the
 * crystal, leaf 0x16 EAX is the base frequency in MHz (Intel SDM vol. 2,
 * CPUID). 0 if the CPU states neither (QEMU's TCG CPUs, AMD).
 */
static uint64_t tsc_from_cpuid(enum tsc_source *src)
{
	uint32_t max = cpuid(0, 0).eax;

	if (max >= 0x15) {
		struct cpuid_regs r = cpuid(0x15, 0);
		if (r.eax && r.ebx && r.ecx) {
			*src = TSC_CPUID_15;
			return (uint64_t)r.ecx * r.ebx / r.eax;
		}
	}
	if (max >= 0x16) {
		uint32_t mhz = cpuid(0x16, 0).eax & 0xffff;
		if (mhz) {
			*src = TSC_CPUID_16;
			return (uint64_t)mhz * 1000000;
		}
	}
	return 0;
}

/* The TSC frequency from CPUID if the CPU states it, else open the
 * HPET window that tsc_calibrate_finish closes. */
static void tsc_calibrate_start(void)
{
	dev.tsc_hz = tsc_from_cpuid(&dev.tsc_source);
	if (!dev.tsc_hz)
		hpet_window_open(&boot_window);
}

static void tsc_calibrate_finish(void)
{
	bool invariant = cpuid(0x80000000u, 0).eax >= 0x80000007u &&
			 (cpuid(0x80000007u, 0).edx & (1u << 8));

	if (!dev.tsc_hz && dev.hpet_period_fs) {
		dev.tsc_hz = window_close(&boot_window, TSC_CALIBRATE_NS);
		dev.tsc_source = dev.tsc_hz ? TSC_HPET : TSC_NONE;
	}
	if (!dev.tsc_hz) {
		kprintf("tsc: not calibrated: no CPUID frequency leaf and %s\n",
			dev.hpet_period_fs ? "the HPET counter did not advance" : "no HPET");
		return;
	}
	if (dev.tsc_source == TSC_HPET)
		kprintf("tsc: %lu.%03lu MHz (counted over at least %lu us of HPET time)%s\n",
			dev.tsc_hz / 1000000, dev.tsc_hz / 1000 % 1000, TSC_CALIBRATE_NS / 1000,
			invariant ? ", invariant" : "");
	else
		kprintf("tsc: %lu.%03lu MHz (%s)%s\n", dev.tsc_hz / 1000000, dev.tsc_hz / 1000 % 1000,
			tsc_source_name(dev.tsc_source), invariant ? ", invariant" : "");
}

static void hpet_probe(const struct acpi_info *ai)
{
	if (!ai->have_hpet) {
		kprintf("hpet: no HPET table\n");
		return;
	}
	dev.hpet_pa = ai->hpet_addr;
	dev.hpet = mmio_map(ai->hpet_addr, HPET_MMIO_SIZE, CACHE_UC, OWNER_HPET);
	if (!dev.hpet)
		return;
	uint64_t cap = mmio_read64(dev.hpet + HPET_REG_CAP);
	uint64_t period = cap >> 32;
	if (period == 0 || period > HPET_MAX_PERIOD_FS) {
		kprintf("hpet: at %lx: period %lu fs is outside (0, %lu]: not used\n",
			ai->hpet_addr, period, HPET_MAX_PERIOD_FS);
		return;
	}
	dev.hpet_period_fs = period;
	uint64_t config = mmio_read64(dev.hpet + HPET_REG_CONFIG);
	if (!(config & HPET_CONFIG_ENABLE))
		mmio_write64(dev.hpet + HPET_REG_CONFIG, config | HPET_CONFIG_ENABLE);
	kprintf("hpet: %lx -> %lx UC, %lu kHz (period %lu fs)\n", ai->hpet_addr, dev.hpet,
		FS_PER_NS * NS_PER_S / period / 1000, period);
	kprintf("hpet: %lu timers, %s counter%s\n", ((cap >> 8) & 0x1f) + 1,
		cap & HPET_CAP_COUNTER_64 ? "64-bit" : "32-bit",
		config & HPET_CONFIG_ENABLE ? "" : " (enabled now)");
}

/* ---- PCIe ---------------------------------------------------------------- */

const char *pci_class_name(uint8_t base_class)
{
	static const char *const names[] = {
		"unclassified", "storage", "network", "display", "multimedia", "memory",
		"bridge", "communication", "system", "input", "docking", "processor",
		"serial bus", "wireless", "intelligent I/O", "satellite", "encryption",
		"signal processing", "accelerator", "instrumentation",
	};
	return base_class < ARRAY_SIZE(names) ? names[base_class] : "other";
}

/* Print one function; returns false if none answers there. */
static bool pci_function(unsigned d, unsigned f)
{
	struct pci_fn pf = { (uint8_t)d, (uint8_t)f };
	uint32_t id = pci_read32(pf, PCI_CFG_ID);
	if ((id & 0xffff) == PCI_VENDOR_NONE)
		return false;
	uint32_t cls = pci_read32(pf, PCI_CFG_CLASS);
	kprintf("pci 00:%02x.%u %04x:%04x class %02x.%02x.%02x %s\n", d, f, id & 0xffff, id >> 16,
		cls >> 24, (cls >> 16) & 0xff, (cls >> 8) & 0xff, pci_class_name(cls >> 24));
	dev.pci_functions++;
	return true;
}

static void pci_scan_bus0(void)
{
	for (unsigned d = 0; d < PCI_DEVICES; d++) {
		if (!pci_function(d, 0))
			continue;
		if (!pci_multifunction(d))
			continue;
		for (unsigned f = 1; f < PCI_FUNCTIONS; f++)
			pci_function(d, f);
	}
	kprintf("pci: %u functions on bus 0\n", dev.pci_functions);
}

/* The MCFG entry that covers segment 0 bus 0, or NULL. */
static const struct acpi_mcfg *ecam_segment0(const struct acpi_info *ai)
{
	for (unsigned i = 0; i < ai->mcfg_count; i++)
		if (ai->mcfg[i].segment == 0 && ai->mcfg[i].bus_start == 0)
			return &ai->mcfg[i];
	return NULL;
}

static void pci_probe(const struct acpi_info *ai)
{
	const struct acpi_mcfg *m = ecam_segment0(ai);
	struct resource *in_way;

	if (!m) {
		kprintf("pci: no ECAM for bus 0 in the MCFG: bus 0 read through ports %s\n",
			PCI_CONFIG_PORTS);
		pci_scan_bus0();
		return;
	}
	uint64_t size = (uint64_t)(m->bus_end - m->bus_start + 1) * PCI_ECAM_BUS_SIZE;
	int st = mmio_claim_window(m->base, size, OWNER_ECAM, &in_way);
	if (st != E_OK)
		kprintf("pci: ECAM window [%lx, %lx) not claimed: %s%s%s\n", m->base, m->base + size,
			status_name(st), in_way ? ", held by " : "", in_way ? in_way->owner : "");
	dev.pci_bus0_pa = m->base;
	dev.pci_bus0 = mmio_map(m->base, PCI_ECAM_BUS_SIZE, CACHE_UC, OWNER_PCI_BUS0);
	if (!dev.pci_bus0)
		return;
	pci_use_ecam(dev.pci_bus0);
	kprintf("pci: ECAM segment 0 buses %u-%u at %lx; bus 0 -> %lx UC\n", m->bus_start,
		m->bus_end, m->base, dev.pci_bus0);
	pci_scan_bus0();
}

void devices_init(const struct handoff *h)
{
	acpi_init(h);
	const struct acpi_info *ai = acpi_get();
	lapic_probe(ai);
	ioapic_probe(ai);
	hpet_probe(ai);
	tsc_calibrate_start();
	lapic_timer_init(dev.lapic, dev.lapic_x2apic);
	pci_probe(ai);
}

void devices_finish(void)
{
	tsc_calibrate_finish();
	lapic_timer_init_finish(dev.tsc_hz);
}

const struct devices *devices_get(void)
{
	return &dev;
}
