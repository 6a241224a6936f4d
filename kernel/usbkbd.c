/*
 * usbkbd.c - a HID boot-protocol keyboard on xHCI (usbkbd.h).
 */
#include "console.h"
#include "input.h"
#include "klib.h"
#include "usbkbd.h"
#include "xhci.h"

/* ---- reports -> key codes ----------------------------------------------------------- */

#define USAGE_A         0x04
#define USAGE_Z         0x1d
#define USAGE_TABLE_END 0x65

/* Usages that type a character, US layout: { unshifted, shifted }. */
static const char usage_chars[USAGE_TABLE_END][2] = {
	[0x1e] = { '1', '!' }, { '2', '@' }, { '3', '#' }, { '4', '$' }, { '5', '%' },
	{ '6', '^' }, { '7', '&' }, { '8', '*' }, { '9', '(' }, { '0', ')' },
	[0x28] = { '\n', '\n' }, { 0x1b, 0x1b }, { '\b', '\b' }, { '\t', '\t' }, { ' ', ' ' },
	{ '-', '_' }, { '=', '+' }, { '[', '{' }, { ']', '}' }, { '\\', '|' }, { '#', '~' },
	{ ';', ':' }, { '\'', '"' }, { '`', '~' }, { ',', '<' }, { '.', '>' }, { '/', '?' },
	/* The keypad, as with Num Lock on; then the key left of Z on ISO keyboards. */
	[0x54] = { '/', '/' }, { '*', '*' }, { '-', '-' }, { '+', '+' }, { '\n', '\n' },
	{ '1', '1' }, { '2', '2' }, { '3', '3' }, { '4', '4' }, { '5', '5' }, { '6', '6' },
	{ '7', '7' }, { '8', '8' }, { '9', '9' }, { '0', '0' }, { '.', '.' }, { '\\', '|' },
};

/* Usages of keys that type nothing (HID Usage Tables 1.12, 10). */
static uint32_t special_key(uint8_t usage)
{
	if (usage >= 0x3a && usage <= 0x45)
		return KEY_F1 + (usage - 0x3a);
	switch (usage) {
	case 0x49: return KEY_INSERT;
	case 0x4a: return KEY_HOME;
	case 0x4b: return KEY_PGUP;
	case 0x4c: return KEY_DELETE;
	case 0x4d: return KEY_END;
	case 0x4e: return KEY_PGDN;
	case 0x4f: return KEY_RIGHT;
	case 0x50: return KEY_LEFT;
	case 0x51: return KEY_DOWN;
	case 0x52: return KEY_UP;
	default:   return 0;
	}
}

static uint32_t modifier_bits(uint8_t mods)
{
	return (mods & (HID_MOD_LSHIFT | HID_MOD_RSHIFT) ? KEYMOD_SHIFT : 0) |
	       (mods & (HID_MOD_LCTRL | HID_MOD_RCTRL) ? KEYMOD_CTRL : 0) |
	       (mods & (HID_MOD_LALT | HID_MOD_RALT) ? KEYMOD_ALT : 0);
}

uint32_t hid_usage_key(uint8_t usage, uint8_t mods, bool caps)
{
	bool shift = mods & (HID_MOD_LSHIFT | HID_MOD_RSHIFT);
	uint32_t code;

	if (usage >= USAGE_A && usage <= USAGE_Z)
		code = (uint32_t)((shift != caps ? 'A' : 'a') + (usage - USAGE_A));
	else if (usage < USAGE_TABLE_END && usage_chars[usage][0])
		code = (uint8_t)usage_chars[usage][shift];
	else if (!(code = special_key(usage)))
		return 0;
	return code | modifier_bits(mods);
}

static bool in_report(const uint8_t *slots, uint8_t usage)
{
	for (unsigned i = 0; i < HID_REPORT_SLOTS; i++)
		if (slots[i] == usage)
			return true;
	return false;
}

unsigned hid_kbd_report(struct hid_kbd *s, const uint8_t r[HID_REPORT_SIZE], uint32_t *keys,
			unsigned max)
{
	const uint8_t *slots = r + HID_REPORT_KEYS;
	unsigned n = 0;

	for (unsigned i = 0; i < HID_REPORT_SLOTS; i++)
		if (slots[i] != 0 && slots[i] < HID_USAGE_FIRST_KEY)
			return 0;        /* rollover or another error: keys unknown */
	for (unsigned i = 0; i < HID_REPORT_SLOTS; i++) {
		uint8_t u = slots[i];
		if (u == 0 || in_report(s->down, u))
			continue;
		if (u == HID_USAGE_CAPS_LOCK) {
			s->caps = !s->caps;
			continue;
		}
		uint32_t key = hid_usage_key(u, r[HID_REPORT_MODS], s->caps);
		if (key && n < max)
			keys[n++] = key;
	}
	memcpy(s->down, slots, HID_REPORT_SLOTS);
	return n;
}

/* ---- the device ------------------------------------------------------------------------ */

#define DESC_BUF_SIZE   2048       /* descriptors are read here; reports after it */
#define REPORT_MAX      64         /* bytes asked for per interrupt transfer */

struct keyboard {
	struct xhci_dev dev;
	struct dma_buf buf;            /* descriptors [0, DESC_BUF_SIZE), then the report */
	struct hid_kbd hid;
	bool active;
	uint16_t vendor, product;
	uint16_t report_len;
};

/* What the configuration descriptor offers. */
struct boot_iface {
	uint8_t config, iface;
	uint8_t ep_num, interval;
	uint16_t mps;
};

static struct xhci *hc;
static struct keyboard kbd;
static uint8_t port_seen[256];     /* connected when last looked at */

static uint8_t *buf_bytes(void)
{
	return kbd.buf.va;
}

static paddr_t report_pa(void)
{
	return kbd.buf.pa + DESC_BUF_SIZE;
}

/* One-line report of a failed step; false, for the caller to return. */
static bool step_failed(const char *step, unsigned cc)
{
	kprintf("usbkbd: port %u: %s failed: %s; given up\n", kbd.dev.port, step,
		xhci_cc_name(cc));
	return false;
}

static unsigned request(uint8_t type, uint8_t req, uint16_t value, uint16_t index,
			uint16_t len, uint16_t *actual)
{
	struct usb_setup s = { type, req, value, index, len };

	return xhci_control(&kbd.dev, &s, kbd.buf.pa, actual);
}

static unsigned get_descriptor(uint8_t type, uint16_t len, uint16_t *actual)
{
	return request(USB_DIR_IN | USB_TYPE_STANDARD | USB_RECIP_DEVICE, USB_REQ_GET_DESCRIPTOR,
		       (uint16_t)(type << 8), 0, len, actual);
}

/* Device descriptor: the vendor, product and EP0's real packet size. */
static bool read_device(void)
{
	uint16_t got;
	unsigned cc = get_descriptor(USB_DESC_DEVICE, 8, &got);

	if (cc != XHCI_CC_SUCCESS || got < 8)
		return step_failed("GET_DESCRIPTOR(device, 8)", cc);
	unsigned mps0 = buf_bytes()[USB_DEV_MAX_PACKET0];
	if (kbd.dev.speed != USB_SPEED_SUPER && mps0 != 8 && mps0 != 16 && mps0 != 32 && mps0 != 64) {
		kprintf("usbkbd: port %u: EP0 packet size %u is not 8, 16, 32 or 64\n",
			kbd.dev.port, mps0);
		return false;
	}
	if (kbd.dev.speed < USB_SPEED_HIGH && mps0 != 8 &&
	    (cc = xhci_dev_set_mps0(&kbd.dev, mps0)) != XHCI_CC_SUCCESS)
		return step_failed("Evaluate Context (EP0 size)", cc);
	cc = get_descriptor(USB_DESC_DEVICE, USB_DEV_DESC_SIZE, &got);
	if (cc != XHCI_CC_SUCCESS || got < USB_DEV_DESC_SIZE)
		return step_failed("GET_DESCRIPTOR(device)", cc);
	kbd.vendor = usb_get16(buf_bytes() + USB_DEV_VENDOR);
	kbd.product = usb_get16(buf_bytes() + USB_DEV_PRODUCT);
	return true;
}

/* Look through @len bytes of configuration descriptors for a boot
 * keyboard interface and its interrupt IN endpoint. */
static bool find_boot_keyboard(const uint8_t *p, unsigned len, struct boot_iface *out)
{
	bool in_kbd = false;

	*out = (struct boot_iface){ .config = p[USB_CFG_VALUE] };
	for (unsigned off = 0; off + 2 <= len;) {
		const uint8_t *d = p + off;
		unsigned dlen = d[USB_DESC_LENGTH];
		if (dlen < 2 || off + dlen > len)
			break;                /* malformed: stop rather than loop */
		if (d[USB_DESC_TYPE] == USB_DESC_INTERFACE && dlen >= USB_IF_DESC_SIZE) {
			in_kbd = d[USB_IF_CLASS] == USB_CLASS_HID &&
				 d[USB_IF_SUBCLASS] == HID_SUBCLASS_BOOT &&
				 d[USB_IF_PROTOCOL] == HID_PROTOCOL_KEYBOARD && d[USB_IF_ALT] == 0;
			out->iface = d[USB_IF_NUMBER];
		} else if (in_kbd && d[USB_DESC_TYPE] == USB_DESC_ENDPOINT &&
			   dlen >= USB_EP_DESC_SIZE && (d[USB_EP_ADDRESS] & USB_EP_DIR_IN) &&
			   (d[USB_EP_ATTRIBUTES] & USB_EP_XFER_MASK) == USB_EP_XFER_INTERRUPT) {
			out->ep_num = d[USB_EP_ADDRESS] & USB_EP_NUMBER_MASK;
			out->mps = usb_get16(d + USB_EP_MAX_PACKET) & 0x7ff;
			out->interval = d[USB_EP_INTERVAL];
			return out->ep_num != 0 && out->mps != 0;
		}
		off += dlen;
	}
	return false;
}

static bool read_config(struct boot_iface *bi)
{
	uint16_t got;
	unsigned cc = get_descriptor(USB_DESC_CONFIG, USB_CFG_DESC_SIZE, &got);

	if (cc != XHCI_CC_SUCCESS || got < USB_CFG_DESC_SIZE)
		return step_failed("GET_DESCRIPTOR(config, 9)", cc);
	uint16_t total = usb_get16(buf_bytes() + USB_CFG_TOTAL_LENGTH);
	if (total < USB_CFG_DESC_SIZE)
		total = USB_CFG_DESC_SIZE;
	if (total > DESC_BUF_SIZE)
		total = DESC_BUF_SIZE;    /* the keyboard interface is near the start */
	cc = get_descriptor(USB_DESC_CONFIG, total, &got);
	if (cc != XHCI_CC_SUCCESS || got < USB_CFG_DESC_SIZE)
		return step_failed("GET_DESCRIPTOR(config)", cc);
	if (find_boot_keyboard(buf_bytes(), got, bi))
		return true;
	kprintf("usbkbd: port %u: device %04x:%04x has no boot keyboard interface\n",
		kbd.dev.port, kbd.vendor, kbd.product);
	return false;
}

/* Configure the device for boot reports and queue the first transfer. */
static bool configure(const struct boot_iface *bi)
{
	uint8_t to_if = USB_DIR_OUT | USB_TYPE_CLASS | USB_RECIP_INTERFACE;
	unsigned cc = xhci_dev_add_in(&kbd.dev, bi->ep_num, bi->mps, bi->interval);

	if (cc != XHCI_CC_SUCCESS)
		return step_failed("Configure Endpoint", cc);
	cc = request(USB_DIR_OUT | USB_TYPE_STANDARD | USB_RECIP_DEVICE,
		     USB_REQ_SET_CONFIGURATION, bi->config, 0, 0, NULL);
	if (cc != XHCI_CC_SUCCESS)
		return step_failed("SET_CONFIGURATION", cc);
	cc = request(to_if, HID_REQ_SET_PROTOCOL, HID_PROTOCOL_BOOT, bi->iface, 0, NULL);
	if (cc != XHCI_CC_SUCCESS)
		return step_failed("SET_PROTOCOL(boot)", cc);
	/* Reports only on change. Optional: a keyboard may stall it (cleared). */
	cc = request(to_if, HID_REQ_SET_IDLE, 0, bi->iface, 0, NULL);
	if (cc != XHCI_CC_SUCCESS)
		kprintf("usbkbd: port %u: SET_IDLE: %s (not needed; going on)\n", kbd.dev.port,
			xhci_cc_name(cc));
	kbd.report_len = bi->mps < HID_REPORT_SIZE ? HID_REPORT_SIZE
			 : bi->mps > REPORT_MAX ? REPORT_MAX : bi->mps;
	cc = xhci_queue_in(&kbd.dev, report_pa(), kbd.report_len);
	if (cc != XHCI_CC_SUCCESS)
		return step_failed("first report", cc);
	return true;
}

static void give_up(void)
{
	xhci_dev_close(&kbd.dev);
	dma_free(&kbd.buf);
	kbd.active = false;
}

static const char *speed_name(enum usb_speed speed)
{
	switch (speed) {
	case USB_SPEED_LOW:   return "low";
	case USB_SPEED_FULL:  return "full";
	case USB_SPEED_HIGH:  return "high";
	case USB_SPEED_SUPER: return "super";
	default:              return "unknown";
	}
}

/* attach - try the device on @port as a keyboard; true if it is one. */
static bool attach(unsigned port)
{
	enum usb_speed speed;
	struct boot_iface bi;

	memset(&kbd, 0, sizeof(kbd));
	kbd.dev.port = port;
	unsigned cc = xhci_port_reset(hc, port, &speed);
	if (cc != XHCI_CC_SUCCESS)
		return step_failed("port reset", cc);
	if (dma_alloc(DESC_BUF_SIZE + REPORT_MAX, 0, &kbd.buf) != E_OK)
		return step_failed("buffer", XHCI_CC_NOMEM);
	cc = xhci_dev_open(hc, port, speed, &kbd.dev);
	if (cc != XHCI_CC_SUCCESS) {
		dma_free(&kbd.buf);
		return step_failed("Enable Slot / Address Device", cc);
	}
	if (!read_device() || !read_config(&bi) || !configure(&bi)) {
		give_up();
		return false;
	}
	kbd.active = true;
	kprintf("usbkbd: keyboard on port %u (%04x:%04x), USB %u, %s speed, slot %u\n", port,
		kbd.vendor, kbd.product, xhci_port_usb3(hc, port) ? 3 : 2, speed_name(speed),
		kbd.dev.slot);
	return true;
}

/* A report arrived: queue its keys, then ask for the next one. */
static void take_report(void)
{
	uint32_t keys[HID_REPORT_SLOTS];

	if (kbd.dev.in_cc != XHCI_CC_SUCCESS) {
		kprintf("usbkbd: keyboard on port %u: report failed: %s; given up\n", kbd.dev.port,
			xhci_cc_name(kbd.dev.in_cc));
		give_up();
		return;
	}
	if (kbd.dev.in_len >= HID_REPORT_SIZE) {
		unsigned n = hid_kbd_report(&kbd.hid, buf_bytes() + DESC_BUF_SIZE, keys,
					    ARRAY_SIZE(keys));
		for (unsigned i = 0; i < n; i++)
			input_push(keys[i]);
	}
	unsigned cc = xhci_queue_in(&kbd.dev, report_pa(), kbd.report_len);
	if (cc != XHCI_CC_SUCCESS) {
		kprintf("usbkbd: keyboard on port %u: %s; given up\n", kbd.dev.port,
			xhci_cc_name(cc));
		give_up();
	}
}

/* A port changed: a new device on it may be a keyboard. */
static void port_changed(unsigned port)
{
	bool now = xhci_port_connected(hc, port);

	if (now && !port_seen[port] && !kbd.active)
		attach(port);
	port_seen[port] = now;
}

static void usbkbd_poll(void)
{
	unsigned port;

	xhci_poll(hc);
	if (kbd.active && kbd.dev.gone) {
		kprintf("usbkbd: keyboard on port %u unplugged\n", kbd.dev.port);
		give_up();
	}
	if (kbd.active && kbd.dev.in_done)
		take_report();
	while ((port = xhci_port_changed(hc)) != 0)
		port_changed(port);
}

void usbkbd_init(void)
{
	unsigned looked = 0;

	hc = xhci_probe();
	if (!hc)
		return;
	for (unsigned port = 1; port <= xhci_port_count(hc) && !kbd.active; port++) {
		port_seen[port] = xhci_port_connected(hc, port);
		if (port_seen[port]) {
			looked++;
			attach(port);
		}
	}
	if (!kbd.active)
		kprintf("usbkbd: no USB keyboard (%u devices looked at); one plugged in later "
			"is taken\n", looked);
	if (!input_add_source("usb keyboard", usbkbd_poll))
		kprintf("usbkbd: no free input source: keys are not read\n");
}

struct xhci_dev *usbkbd_device(void)
{
	return kbd.active ? &kbd.dev : NULL;
}
