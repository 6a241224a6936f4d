/*
 * devices.h - the machine's basic devices, found from ACPI and mapped
 * with mmio_map: the local APIC (its timer and vectors: lapic.h), the I/O
 * APICs, the HPET (which calibrates the TSC), PCIe configuration space
 * (bus 0 enumerated; through I/O ports on machines without ECAM) - each
 * claimed in the ownership registry under its own name.
 */
#ifndef CARTO_DEVICES_H
#define CARTO_DEVICES_H

#include "acpi.h"
#include "handoff.h"
#include "lapic.h"
#include "types.h"

/* Owner names in the registry (mmio.h). */
#define OWNER_LAPIC     "local APIC"
#define OWNER_HPET      "HPET"
#define OWNER_ECAM      "PCIe ECAM (MCFG)"
#define OWNER_PCI_BUS0  "PCI bus 0 config"

/* HPET registers (IA-PC HPET spec 1.0a, 2.3). */
#define HPET_REG_CAP        0x000  /* 63:32 period (fs), 13 64-bit counter,
				      12:8 timers - 1, 7:0 revision */
#define HPET_REG_CONFIG     0x010  /* bit 0: counter enabled */
#define HPET_REG_COUNTER    0x0f0
#define HPET_MMIO_SIZE      0x400
#define HPET_MAX_PERIOD_FS  100000000ul   /* 100 ns: the spec's limit */

/* The TSC's frequency: from CPUID leaf 0x15 (crystal x ratio) or 0x16
 * (base MHz) when the CPU reports them, else counted over a short HPET
 * window. The self-test tsc_calibration measures that window's error
 * against a long one (make bench-boot prints it). */
#define TSC_CALIBRATE_NS      500000ul     /* at least 0.5 ms of HPET time at boot */
#define TSC_CALIBRATE_LONG_NS 20000000ul   /* 20 ms: the reference */

enum tsc_source { TSC_NONE, TSC_CPUID_15, TSC_CPUID_16, TSC_HPET };

struct devices {
	paddr_t lapic_pa;
	vaddr_t lapic;                 /* 0: not mapped */
	uint32_t lapic_id, lapic_version;   /* the registers as read */
	bool lapic_x2apic;             /* x2APIC mode: MMIO interface off */

	unsigned ioapic_count;         /* mapped and read */
	vaddr_t ioapic[ACPI_MAX_IOAPICS];
	uint32_t ioapic_version[ACPI_MAX_IOAPICS];   /* version register */

	paddr_t hpet_pa;
	vaddr_t hpet;                  /* 0: not mapped */
	uint64_t hpet_period_fs;       /* 0: no valid period */
	uint64_t tsc_hz;               /* 0: not calibrated */
	enum tsc_source tsc_source;    /* where tsc_hz came from */

	paddr_t pci_bus0_pa;           /* ECAM of segment 0 bus 0, physical */
	vaddr_t pci_bus0;              /* ECAM of segment 0 bus 0; 0: none (bus 0
					  then read through ports 0xcf8/0xcfc) */
	unsigned pci_functions;        /* functions found on bus 0 */
};

/*
 * devices_init - read ACPI (acpi_init), then map and probe each device,
 * printing one line per device and per PCI function. Needs mmio_init.
 * Missing devices are reported, not fatal. The TSC frequency comes from
 * CPUID if the CPU states it; otherwise devices_init opens a window of
 * HPET time and devices_finish closes it: tsc_hz is 0 until then. Work
 * that needs no timing runs in between and is the window's wait.
 */
void devices_init(const struct handoff *h);

/* devices_finish - close the TSC window (waiting only for what is left of
 * TSC_CALIBRATE_NS), print the TSC line, then finish the LAPIC timer's
 * calibration against it (lapic_timer_init_finish, counting since
 * devices_init too). Call once, after devices_init and before anything
 * that times itself with the TSC (xhci) or the LAPIC timer (sched_init). */
void devices_finish(void);

/* devices_get - what devices_init found. */
const struct devices *devices_get(void);

/*
 * tsc_hz_from_hpet - TSC ticks per second counted over @window_ns of the
 * HPET main counter (devices_init must have found and started it). Starts
 * on a counter edge and times each HPET read by the TSC midpoint around
 * it, so the error is about one read's duration over the window. Returns
 * 0 without an HPET or if its counter does not advance.
 */
uint64_t tsc_hz_from_hpet(uint64_t window_ns);

/* tsc_source_name - "CPUID leaf 0x15", ..., for reports. */
const char *tsc_source_name(enum tsc_source src);

/* pci_class_name - "display", "bridge", ... for a PCI base class. */
const char *pci_class_name(uint8_t base_class);

#endif
