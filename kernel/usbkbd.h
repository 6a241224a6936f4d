/*
 * usbkbd.h - a USB keyboard in the HID boot protocol, on the xHCI
 * controller (xhci.h), feeding the key queue (input.h).
 *
 * usbkbd_init probes the controller, looks at every connected root hub
 * port for a device with a HID boot-keyboard interface (class 3, subclass
 * 1, protocol 1), configures it (SET_CONFIGURATION, SET_PROTOCOL boot,
 * SET_IDLE 0) and keeps an 8-byte interrupt IN transfer queued. Its
 * input source ("usb keyboard") polls the event ring, turns each report
 * into key codes and queues the next transfer. A keyboard that stalls,
 * fails a transfer or is unplugged is reported in one line and given up;
 * a keyboard plugged in later is taken on the next poll.
 *
 * Hubs are not supported: the keyboard must be on a root port.
 */
#ifndef CARTO_USBKBD_H
#define CARTO_USBKBD_H

#include "types.h"
#include "xhci.h"

/* The boot keyboard report (HID 1.11, appendix B.1). */
#define HID_REPORT_SIZE     8
#define HID_REPORT_MODS     0      /* modifier bits, HID_MOD_* */
#define HID_REPORT_KEYS     2      /* six key usages (byte 1 is reserved) */
#define HID_REPORT_SLOTS    6
#define HID_USAGE_ROLLOVER  0x01   /* every slot: too many keys down */
#define HID_USAGE_FIRST_KEY 0x04   /* 0x00-0x03: none and error codes */

#define HID_MOD_LCTRL   0x01
#define HID_MOD_LSHIFT  0x02
#define HID_MOD_LALT    0x04
#define HID_MOD_LGUI    0x08
#define HID_MOD_RCTRL   0x10
#define HID_MOD_RSHIFT  0x20
#define HID_MOD_RALT    0x40
#define HID_MOD_RGUI    0x80

#define HID_USAGE_CAPS_LOCK 0x39

/* What a keyboard's reports are compared against: the keys down in the
 * last report, and the Caps Lock state. */
struct hid_kbd {
	uint8_t down[HID_REPORT_SLOTS];
	bool caps;
};

/*
 * hid_usage_key - the input.h key code for HID keyboard usage @usage (US
 * layout) with modifier byte @mods and Caps Lock @caps, or 0 for keys
 * input.h has no code for (modifiers, Caps Lock, Print Screen, ...).
 */
uint32_t hid_usage_key(uint8_t usage, uint8_t mods, bool caps);

/*
 * hid_kbd_report - the keys newly pressed in boot report @r (usages not in
 * the previous report), at most @max into @keys[]; updates *@s. A
 * rollover report (error codes in the key slots) is ignored and leaves *@s
 * as it was. Returns the number of keys written.
 */
unsigned hid_kbd_report(struct hid_kbd *s, const uint8_t r[HID_REPORT_SIZE], uint32_t *keys,
			unsigned max);

/*
 * usbkbd_init - find the xHCI controller and a keyboard on it, print what
 * was found (or why not), and register the input source if there is a
 * controller. Call once, after devices_init.
 */
void usbkbd_init(void);

/* usbkbd_device - the keyboard in use (for tests and diagnostics: a
 * control request on it), or NULL if there is none. */
struct xhci_dev *usbkbd_device(void);

#endif
