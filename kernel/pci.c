/*
 * pci.c - configuration space of bus 0 (pci.h): through ECAM when the MCFG
 * gives it, else through configuration mechanism #1 (ports 0xcf8/0xcfc),
 * which every PC chipset has (PCI Local Bus spec 3.0, 3.2.2.3.2).
 */
#include "cpu.h"
#include "mmio.h"
#include "pci.h"
#include "status.h"

#define PCI_CONFIG_ADDRESS   0xcf8          /* configuration mechanism #1 */
#define PCI_CONFIG_DATA      0xcfc
#define PCI_CONFIG_ENABLE    (1u << 31)
#define PCI_BARS             6

static vaddr_t ecam_bus0;

void pci_use_ecam(vaddr_t bus0)
{
	ecam_bus0 = bus0;
}

static vaddr_t ecam_va(struct pci_fn f, unsigned off)
{
	return ecam_bus0 + ((vaddr_t)f.dev << 15) + ((vaddr_t)f.fn << 12) + off;
}

static void port_select(struct pci_fn f, unsigned off)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | (uint32_t)f.dev << 11 |
				 (uint32_t)f.fn << 8 | (off & 0xfc));
}

uint32_t pci_read32(struct pci_fn f, unsigned off)
{
	if (ecam_bus0)
		return mmio_read32(ecam_va(f, off));
	port_select(f, off);
	return inl(PCI_CONFIG_DATA);
}

void pci_write32(struct pci_fn f, unsigned off, uint32_t v)
{
	if (ecam_bus0) {
		mmio_write32(ecam_va(f, off), v);
		return;
	}
	port_select(f, off);
	outl(PCI_CONFIG_DATA, v);
}

bool pci_present(struct pci_fn f)
{
	return (pci_read32(f, PCI_CFG_ID) & 0xffff) != PCI_VENDOR_NONE;
}

bool pci_multifunction(unsigned dev)
{
	return (pci_read32((struct pci_fn){ (uint8_t)dev, 0 }, PCI_CFG_HEADER) >> 16) &
	       PCI_HEADER_MULTIFUNC;
}

bool pci_find_class(uint8_t cls, uint8_t sub, uint8_t prog_if, unsigned index, struct pci_fn *out)
{
	uint32_t want = (uint32_t)cls << 24 | (uint32_t)sub << 16 | (uint32_t)prog_if << 8;

	for (unsigned d = 0; d < PCI_DEVICES; d++) {
		unsigned nfn = pci_multifunction(d) ? PCI_FUNCTIONS : 1;
		for (unsigned fn = 0; fn < nfn; fn++) {
			struct pci_fn f = { (uint8_t)d, (uint8_t)fn };
			if (!pci_present(f) || (pci_read32(f, PCI_CFG_CLASS) & 0xffffff00u) != want)
				continue;
			if (index-- == 0) {
				*out = f;
				return true;
			}
		}
	}
	return false;
}

/* Size one BAR register: all ones written, the read-back's writable bits. */
static uint32_t probe_bar(struct pci_fn f, unsigned off, uint32_t *orig)
{
	*orig = pci_read32(f, off);
	pci_write32(f, off, 0xffffffffu);
	uint32_t back = pci_read32(f, off);
	pci_write32(f, off, *orig);
	return back;
}

int pci_bar_mem(struct pci_fn f, unsigned bar, paddr_t *pa, uint64_t *size)
{
	unsigned off = PCI_CFG_BAR0 + 4 * bar;

	if (bar >= PCI_BARS)
		return E_INVAL;
	uint32_t cmd = pci_read32(f, PCI_CFG_COMMAND);
	pci_write32(f, PCI_CFG_COMMAND, cmd & ~PCI_COMMAND_MEMORY);  /* no decoding of half a BAR */
	uint32_t lo, hi = 0, mask_hi = 0xffffffffu;
	uint32_t mask_lo = probe_bar(f, off, &lo);
	int st = E_OK;
	if (lo & PCI_BAR_IO)
		st = E_INVAL;
	else if ((lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64 && bar + 1 < PCI_BARS)
		mask_hi = probe_bar(f, off + 4, &hi);
	else if ((lo & PCI_BAR_TYPE_MASK) != 0)
		st = E_INVAL;       /* 64-bit in the last slot, or the reserved type */
	pci_write32(f, PCI_CFG_COMMAND, cmd);
	if (st != E_OK)
		return st;
	uint64_t mask = ((uint64_t)mask_hi << 32 | mask_lo) & ~0xfull;
	*pa = ((uint64_t)hi << 32 | lo) & ~0xfull;
	*size = mask ? ~mask + 1 : 0;
	return (*size && *pa) ? E_OK : E_NOENT;
}

void pci_enable(struct pci_fn f, uint16_t bits)
{
	uint32_t cmd = pci_read32(f, PCI_CFG_COMMAND);

	/* The upper half is the status register: its error bits are write-1-to-clear. */
	pci_write32(f, PCI_CFG_COMMAND, (cmd & 0xffff) | bits);
}
