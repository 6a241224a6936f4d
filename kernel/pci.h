/*
 * pci.h - PCI configuration space of bus 0: the one accessor every driver
 * and the bus scan use, and the helpers a driver needs to take a function
 * over (find it by class, size a memory BAR, enable decoding and DMA).
 *
 * Configuration space is reached through ECAM (PCIe memory-mapped
 * configuration, mapped UC by devices.c from the MCFG table) once
 * pci_use_ecam() has been called, and through configuration mechanism #1
 * (I/O ports 0xcf8/0xcfc) before or without it. Only bus 0 is reachable:
 * devices.c maps one bus of ECAM, and q35 puts its devices there.
 */
#ifndef CARTO_PCI_H
#define CARTO_PCI_H

#include "types.h"

#define PCI_DEVICES          32
#define PCI_FUNCTIONS        8

/* Configuration header registers (PCI Local Bus spec 3.0, 6.1, 6.2.5). */
#define PCI_CFG_ID           0x00           /* vendor 15:0, device 31:16 */
#define PCI_CFG_COMMAND      0x04           /* command 15:0, status 31:16 */
#define PCI_CFG_CLASS        0x08           /* revision, prog-if, subclass, class */
#define PCI_CFG_HEADER       0x0c           /* header type in bits 23:16 */
#define PCI_CFG_BAR0         0x10
#define PCI_HEADER_MULTIFUNC 0x80
#define PCI_VENDOR_NONE      0xffff

#define PCI_COMMAND_MEMORY   (1u << 1)      /* decode memory BARs */
#define PCI_COMMAND_MASTER   (1u << 2)      /* bus mastering: the device may DMA */
#define PCI_COMMAND_INTX_OFF (1u << 10)     /* no legacy INTx interrupt */

#define PCI_BAR_IO           (1u << 0)
#define PCI_BAR_TYPE_MASK    (3u << 1)
#define PCI_BAR_TYPE_64      (2u << 1)

/* One function on bus 0. */
struct pci_fn {
	uint8_t dev, fn;
};

/* pci_use_ecam - read and write bus 0 through the ECAM mapping at @bus0
 * (the 1 MiB of bus 0, mapped UC); 0 goes back to the I/O ports. */
void pci_use_ecam(vaddr_t bus0);

/* pci_read32/pci_write32 - the 32-bit configuration register at byte
 * offset @off (a multiple of 4, below 256 through the ports, 4096 through
 * ECAM) of @f. A read where no function answers returns all ones. */
uint32_t pci_read32(struct pci_fn f, unsigned off);
void pci_write32(struct pci_fn f, unsigned off, uint32_t v);

/* pci_present - true if a function answers at @f. */
bool pci_present(struct pci_fn f);

/* pci_multifunction - true if device @dev (0-31) has functions 1-7 too
 * (the header type of its function 0 says so). */
bool pci_multifunction(unsigned dev);

/*
 * pci_find_class - the @index-th (0 first) function of bus 0 whose class,
 * subclass and programming interface are @cls, @sub, @prog_if (the three
 * high bytes of PCI_CFG_CLASS), in device and function order. Returns
 * false if there are fewer.
 */
bool pci_find_class(uint8_t cls, uint8_t sub, uint8_t prog_if, unsigned index, struct pci_fn *out);

/*
 * pci_bar_mem - the physical address and size of memory BAR @bar (0-5) of
 * @f, sized the standard way (write all ones, read back, restore) with
 * memory decoding switched off meanwhile. A 64-bit BAR takes the next
 * register too. Returns E_OK; E_INVAL (bar out of range, an I/O BAR, a
 * 64-bit BAR in the last slot, or a reserved type); E_NOENT (the BAR is
 * not implemented or not assigned: size or address 0).
 */
int pci_bar_mem(struct pci_fn f, unsigned bar, paddr_t *pa, uint64_t *size);

/* pci_enable - set @bits (PCI_COMMAND_*) in @f's command register. */
void pci_enable(struct pci_fn f, uint16_t bits);

#endif
