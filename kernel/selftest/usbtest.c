/*
 * usbtest.c - "usbtest=stall": once the kernel is up, make the USB
 * keyboard stall a control request and check that the driver clears the
 * stall (xhci.h xhci_control) so the next request works and the keyboard
 * keeps typing. The boot test (tests/boot/usbkbd.py) reads the lines:
 *     usbtest: unknown descriptor request: stall (want stall)
 *     usbtest: device descriptor after the stall: success, 18 bytes
 *     usbtest: stall recovery ok
 * or "usbtest: stall recovery FAILED" / "usbtest: no USB keyboard".
 */
#include "boothook.h"
#include "console.h"
#include "dma.h"
#include "klib.h"
#include "usbkbd.h"

#define BOGUS_DESCRIPTOR 0x77      /* a descriptor type no device has */

static unsigned get_descriptor(struct xhci_dev *d, uint8_t type, const struct dma_buf *b,
			       uint16_t *got)
{
	struct usb_setup s = { USB_DIR_IN | USB_TYPE_STANDARD | USB_RECIP_DEVICE,
			       USB_REQ_GET_DESCRIPTOR, (uint16_t)(type << 8), 0, USB_DEV_DESC_SIZE };

	return xhci_control(d, &s, b->pa, got);
}

static void stall_test(struct xhci_dev *d)
{
	struct dma_buf b;
	uint16_t got = 0;

	if (dma_alloc(PAGE_SIZE, 0, &b) != E_OK) {
		kprintf("usbtest: no frame for a buffer\n");
		return;
	}
	unsigned bogus = get_descriptor(d, BOGUS_DESCRIPTOR, &b, &got);
	kprintf("usbtest: unknown descriptor request: %s (want stall)\n", xhci_cc_name(bogus));
	unsigned after = get_descriptor(d, USB_DESC_DEVICE, &b, &got);
	kprintf("usbtest: device descriptor after the stall: %s, %u bytes\n", xhci_cc_name(after),
		got);
	bool ok = bogus == XHCI_CC_STALL && after == XHCI_CC_SUCCESS && got == USB_DEV_DESC_SIZE &&
		  ((uint8_t *)b.va)[USB_DESC_TYPE] == USB_DESC_DEVICE;
	kprintf("usbtest: stall recovery %s\n", ok ? "ok" : "FAILED");
	dma_free(&b);
}

static void usbtest(const struct handoff *h)
{
	if (!cmdline_value_is(h->cmdline, "usbtest", "stall")) {
		if (cmdline_value(h->cmdline, "usbtest", NULL))
			kprintf("usbtest: unknown test (known: stall); ignored\n");
		return;
	}
	struct xhci_dev *d = usbkbd_device();
	if (!d) {
		kprintf("usbtest: no USB keyboard\n");
		return;
	}
	stall_test(d);
}
BOOT_HOOK(BOOT_READY, usbtest);
