/*
 * xhci.h - a polled driver for one xHCI USB host controller (eXtensible
 * Host Controller Interface 1.2), and the device operations a USB class
 * driver (usbkbd.c) builds on.
 *
 * What the controller is given, all in DMA buffers (dma.h) whose physical
 * addresses are written to its registers or into each other:
 *
 *   DCBAA       one 64-bit pointer per slot to its output device context;
 *               entry 0 points to the scratchpad buffer array when the
 *               controller asks for scratchpad pages (HCSPARAMS2)
 *   command ring          256 TRBs, the last a Link TRB back to the first
 *   event ring  one segment of 256 TRBs and its segment table (interrupter 0)
 *   per device  an output device context, an input context, a transfer
 *               ring for endpoint 0 and one for the interrupt IN endpoint
 *
 * The registers (BAR0) are claimed in the ownership registry and mapped
 * UC by mmio_map under the name "xHCI 00:DD.F".
 *
 * No interrupts: events are taken from the event ring by polling
 * (xhci_poll, and inside each command or control transfer). Every wait is
 * bounded by time (XHCI_*_MS, measured with the TSC) and every completion
 * code is checked; a controller that stops answering is marked dead and
 * every later call fails at once with XHCI_CC_DEAD, so nothing ever spins.
 *
 * Results of commands and transfers are xHCI completion codes (xHCI 1.2,
 * 6.4.5): XHCI_CC_SUCCESS, XHCI_CC_STALL, ... plus the driver's own codes
 * from 256 up (XHCI_CC_TIMEOUT, ...); xhci_cc_name() names them.
 *
 * One CPU, polled from one context: no locking.
 */
#ifndef CARTO_XHCI_H
#define CARTO_XHCI_H

#include "dma.h"
#include "pci.h"
#include "types.h"
#include "usb.h"

#define XHCI_COMMAND_MS      500    /* a command's completion event */
#define XHCI_TRANSFER_MS     1000   /* a control transfer's */
#define XHCI_RESET_MS        1000   /* HCRST, CNR, HCH, port reset, BIOS hand-off */

/* Completion codes (xHCI 1.2, Table 6-90) and the driver's own. */
enum xhci_cc {
	XHCI_CC_INVALID = 0, XHCI_CC_SUCCESS = 1, XHCI_CC_DATA_BUFFER = 2, XHCI_CC_BABBLE = 3,
	XHCI_CC_TRANSACTION = 4, XHCI_CC_TRB = 5, XHCI_CC_STALL = 6, XHCI_CC_RESOURCE = 7,
	XHCI_CC_BANDWIDTH = 8, XHCI_CC_NO_SLOTS = 9, XHCI_CC_SLOT_NOT_ENABLED = 11,
	XHCI_CC_EP_NOT_ENABLED = 12, XHCI_CC_SHORT_PACKET = 13, XHCI_CC_PARAMETER = 17,
	XHCI_CC_CONTEXT_STATE = 19, XHCI_CC_COMMAND_ABORTED = 25, XHCI_CC_STOPPED = 26,
	XHCI_CC_STOPPED_LENGTH = 27,
	XHCI_CC_TIMEOUT = 256,   /* no completion within the time allowed */
	XHCI_CC_DEAD,            /* the controller stopped answering earlier */
	XHCI_CC_GONE,            /* the device was unplugged */
	XHCI_CC_NOMEM,           /* no frame for a ring or context */
	XHCI_CC_BAD_ARG,         /* a length, endpoint or port out of range */
};

struct xhci;

/* A transfer ring (also the command ring): TRBs with a Link TRB at the end. */
struct xhci_ring {
	struct dma_buf mem;
	unsigned enqueue;          /* next TRB to write */
	uint32_t cycle;            /* producer cycle state: 0 or 1 */
};

/* One addressed USB device: its slot and endpoint rings. */
struct xhci_dev {
	struct xhci *hc;
	unsigned slot;             /* 0: none */
	unsigned port;             /* root hub port, 1-based */
	enum usb_speed speed;
	struct dma_buf out_ctx, in_ctx;
	struct xhci_ring ep0;
	struct xhci_ring in_ring;  /* interrupt IN endpoint */
	unsigned in_dci;           /* its device context index; 0: not configured */
	bool in_busy;              /* a transfer is queued on it */
	bool in_done;              /* ... and has completed: in_cc, in_len */
	unsigned in_cc;
	uint32_t in_len;           /* bytes received */
	bool gone;                 /* its port reported a disconnect */
};

/*
 * xhci_probe - find the first xHCI controller on PCI bus 0 (class 0x0c,
 * subclass 0x03, prog-if 0x30), claim and map its registers, take it from
 * the firmware (USB legacy support hand-off), reset and start it. Prints
 * one line per step that matters ("xhci: 00:03.0 at fe... v1.00, 8 ports,
 * 64 slots") and a line saying why when it gives up. Returns the
 * controller, or NULL (none, or unusable: the reason was printed). Call
 * once, after devices_init (ECAM, the TSC frequency).
 */
struct xhci *xhci_probe(void);

/*
 * xhci_take_over - the first steps of xhci_probe on a controller whose
 * BAR0 (@size bytes) is mapped at @regs: check the capability registers,
 * take it from the firmware, halt and reset it; nothing is started and no
 * memory given. Prints why it refuses. Returns true if the controller is
 * reset and ready. Exported for the self-tests, which hand it register
 * images in RAM (all zeros, a reset that never ends, firmware that never
 * lets go) to see each refused in bounded time.
 */
bool xhci_take_over(vaddr_t regs, uint64_t size);

/* xhci_port_count - root hub ports (numbered 1..count). */
unsigned xhci_port_count(const struct xhci *x);

/* xhci_port_connected - true if a device is attached to @port. */
bool xhci_port_connected(struct xhci *x, unsigned port);

/* xhci_port_usb3 - true if @port is a USB 3 (SuperSpeed) port. */
bool xhci_port_usb3(const struct xhci *x, unsigned port);

/*
 * xhci_port_reset - reset @port (USB 2: PR; USB 3: only if the link did
 * not enable the port itself, then a warm reset) and wait until it is
 * enabled. On success *speed is the device's speed. Returns
 * XHCI_CC_SUCCESS, XHCI_CC_GONE (nothing connected, or it left during
 * the reset), XHCI_CC_TIMEOUT, XHCI_CC_DEAD or XHCI_CC_BAD_ARG.
 */
unsigned xhci_port_reset(struct xhci *x, unsigned port, enum usb_speed *speed);

/*
 * xhci_dev_open - Enable Slot and Address Device for the device on @port
 * (reset just before, at @speed), with endpoint 0's max packet size set
 * from the speed. Fills *d. Returns a completion code; on failure nothing
 * is left allocated and the slot is disabled.
 */
unsigned xhci_dev_open(struct xhci *x, unsigned port, enum usb_speed speed, struct xhci_dev *d);

/*
 * xhci_dev_set_mps0 - tell the controller endpoint 0's real max packet
 * size (from the device descriptor; Evaluate Context). Returns a
 * completion code.
 */
unsigned xhci_dev_set_mps0(struct xhci_dev *d, unsigned mps);

/*
 * xhci_control - one control transfer on endpoint 0: @setup, then
 * setup->length bytes to or from @buf (a DMA buffer's physical address;
 * the direction is setup->request_type's bit 7), then the status stage.
 * Waits at most XHCI_TRANSFER_MS. *actual (may be NULL) gets the bytes
 * moved. A STALL is cleared (Reset Endpoint, Set TR Dequeue Pointer) so
 * the next request can go; a timeout stops the endpoint the same way.
 * Returns a completion code (a short IN transfer is XHCI_CC_SUCCESS).
 */
unsigned xhci_control(struct xhci_dev *d, const struct usb_setup *setup, paddr_t buf,
		      uint16_t *actual);

/*
 * xhci_dev_add_in - Configure Endpoint: add interrupt IN endpoint @ep_num
 * (1-15) with max packet size @mps and the descriptor's @interval (frames
 * for low/full speed, 2^(n-1) microframes above). Returns a completion code.
 */
unsigned xhci_dev_add_in(struct xhci_dev *d, unsigned ep_num, unsigned mps, unsigned interval);

/*
 * xhci_queue_in - queue one transfer of up to @len bytes into @buf on the
 * interrupt IN endpoint. Its completion is noticed by xhci_poll and shows
 * in d->in_done, d->in_cc, d->in_len. Returns XHCI_CC_SUCCESS, or
 * XHCI_CC_BAD_ARG if one is already queued or no IN endpoint is
 * configured, XHCI_CC_GONE or XHCI_CC_DEAD.
 */
unsigned xhci_queue_in(struct xhci_dev *d, paddr_t buf, uint32_t len);

/*
 * xhci_poll - take every event waiting on the event ring: completions of
 * interrupt transfers (into their device's in_* fields) and port changes
 * (a disconnect sets its device's gone; xhci_port_changed reports them).
 * Never waits.
 */
void xhci_poll(struct xhci *x);

/* xhci_port_changed - a port whose status changed since the last call (its
 * change bits are cleared), or 0 if none did. */
unsigned xhci_port_changed(struct xhci *x);

/*
 * xhci_dev_close - give up @d: Disable Slot and free its rings and
 * contexts. If the controller does not confirm (dead, timeout) the memory
 * is leaked rather than freed, since the controller may still write it.
 * Safe on a device that is already closed (slot 0).
 */
void xhci_dev_close(struct xhci_dev *d);

/* xhci_cc_name - "success", "stall", "timeout", ... for a completion code. */
const char *xhci_cc_name(unsigned cc);

#endif
