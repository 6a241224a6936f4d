/*
 * xhci.c - self-tests of the xHCI driver's take-over (xhci.h
 * xhci_take_over) on register images in RAM: a controller that reports
 * nonsense is refused at once; one whose reset never ends, that never
 * halts, or whose firmware never lets go is given up (or taken) after a
 * bounded wait. RAM keeps what is written, so a bit the driver waits for
 * the hardware to clear stays set: exactly a controller that hangs.
 */
#include "cpu.h"
#include "devices.h"
#include "dma.h"
#include "klib.h"
#include "selftest.h"
#include "xhci.h"
#include "xhci_regs.h"

#define IMAGE_SIZE    0x4000           /* BAR0 size of the image */
#define IMAGE_CAPLEN  0x20
#define IMAGE_RTSOFF  0x1000
#define IMAGE_DBOFF   0x2000
#define IMAGE_LEGACY  0x100            /* where the legacy-support capability sits */

static struct dma_buf image;

static volatile uint32_t *reg(unsigned off)
{
	return (volatile uint32_t *)((uint8_t *)image.va + off);
}

/* A plausible controller: 8 ports, 16 slots, halted. Each test frees the
 * image (dma_free) when it is done. */
static bool image_valid(void)
{
	if (!image.va && !ST_CHECK(dma_alloc(IMAGE_SIZE, 0, &image) == E_OK, "no frames"))
		return false;
	memset(image.va, 0, IMAGE_SIZE);
	*reg(CAP_LENGTH) = IMAGE_CAPLEN | 0x0100u << 16;
	*reg(CAP_HCSPARAMS1) = 8u << 24 | 1u << 8 | 16;
	*reg(CAP_DBOFF) = IMAGE_DBOFF;
	*reg(CAP_RTSOFF) = IMAGE_RTSOFF;
	*reg(IMAGE_CAPLEN + OP_USBSTS) = STS_HCH;
	return true;
}

/* Milliseconds xhci_take_over took on the image; *ok its result. */
static uint64_t timed_take_over(bool *ok)
{
	uint64_t hz = devices_get()->tsc_hz, t0 = rdtsc();

	*ok = xhci_take_over((vaddr_t)image.va, IMAGE_SIZE);
	return hz ? (rdtsc() - t0) / (hz / 1000) : 0;
}

SELFTEST(xhci_refuses_nonsense)
{
	bool ok;

	if (!image_valid())
		return;
	memset(image.va, 0, IMAGE_SIZE);
	ST_CHECK(!xhci_take_over((vaddr_t)image.va, IMAGE_SIZE), "capability length 0 taken");
	memset(image.va, 0xff, IMAGE_SIZE);
	ST_CHECK(!xhci_take_over((vaddr_t)image.va, IMAGE_SIZE), "all-ones registers taken");
	image_valid();
	*reg(CAP_DBOFF) = IMAGE_SIZE;
	ST_CHECK(!xhci_take_over((vaddr_t)image.va, IMAGE_SIZE), "doorbells outside BAR0 taken");
	image_valid();
	*reg(CAP_HCSPARAMS1) = 0;
	ST_CHECK(!xhci_take_over((vaddr_t)image.va, IMAGE_SIZE), "0 ports and 0 slots taken");
	image_valid();
	*reg(CAP_HCCPARAMS1) = 0xffffu << 16;        /* extended capabilities past BAR0 */
	uint64_t ms = timed_take_over(&ok);
	ST_CHECK(!ok, "an extended capability beyond BAR0 taken");
	ST_CHECK(ms < XHCI_RESET_MS / 2, "refusing nonsense took %lu ms", ms);
	dma_free(&image);
}

SELFTEST(xhci_reset_bounded)
{
	bool ok;

	if (!image_valid())
		return;
	uint64_t ms = timed_take_over(&ok);   /* HCRST stays set: the reset never ends */
	ST_CHECK(!ok, "a reset that never ends accepted");
	ST_CHECK(*reg(IMAGE_CAPLEN + OP_USBCMD) & CMD_HCRST, "HCRST was not written");
	ST_CHECK(!devices_get()->tsc_hz || (ms >= XHCI_RESET_MS && ms < 3 * XHCI_RESET_MS),
		 "gave up after %lu ms, want about %u", ms, XHCI_RESET_MS);
	dma_free(&image);
}

SELFTEST(xhci_halt_bounded)
{
	bool ok;

	if (!image_valid())
		return;
	*reg(IMAGE_CAPLEN + OP_USBCMD) = CMD_RUN;
	*reg(IMAGE_CAPLEN + OP_USBSTS) = 0;      /* running, and never halts */
	uint64_t ms = timed_take_over(&ok);
	ST_CHECK(!ok, "a controller that never halts accepted");
	ST_CHECK(!(*reg(IMAGE_CAPLEN + OP_USBCMD) & CMD_RUN), "Run/Stop not cleared");
	ST_CHECK(!(*reg(IMAGE_CAPLEN + OP_USBCMD) & CMD_HCRST), "reset while running");
	ST_CHECK(!devices_get()->tsc_hz || ms < 3 * XHCI_RESET_MS, "gave up after %lu ms", ms);
	dma_free(&image);
}

SELFTEST(xhci_firmware_handoff)
{
	bool ok;

	if (!image_valid())
		return;
	*reg(CAP_HCCPARAMS1) = (IMAGE_LEGACY / 4) << 16;
	*reg(IMAGE_LEGACY) = LEGACY_BIOS_OWNED | XCAP_LEGACY;   /* the last capability */
	*reg(IMAGE_LEGACY + LEGACY_CTLSTS) = LEGACY_SMI_ENABLES;
	uint64_t ms = timed_take_over(&ok);   /* the firmware never lets go; HCRST sticks */
	uint32_t sup = *reg(IMAGE_LEGACY), ctl = *reg(IMAGE_LEGACY + LEGACY_CTLSTS);
	ST_CHECK(sup & LEGACY_OS_OWNED, "OS-owned not set: %#x", sup);
	ST_CHECK(!(sup & LEGACY_BIOS_OWNED), "not taken from a firmware that never lets go: %#x",
		 sup);
	ST_CHECK(!(ctl & LEGACY_SMI_ENABLES), "SMIs still enabled: %#x", ctl);
	ST_CHECK(!devices_get()->tsc_hz || ms < 4 * XHCI_RESET_MS, "took %lu ms", ms);
	dma_free(&image);
}
