/*
 * usb.h - what the USB 2.0 specification (chapter 9) and the HID 1.11
 * specification define that Carto's USB code uses: the setup packet of a
 * control transfer, standard requests and descriptors, HID class requests.
 * Descriptors are read as byte arrays at these offsets (they are packed
 * little-endian records of varying length).
 */
#ifndef CARTO_USB_H
#define CARTO_USB_H

#include "types.h"

/* The 8-byte setup packet (USB 2.0, 9.3). */
struct usb_setup {
	uint8_t request_type;      /* USB_DIR_* | USB_TYPE_* | USB_RECIP_* */
	uint8_t request;
	uint16_t value;
	uint16_t index;
	uint16_t length;           /* bytes of the data stage */
} __attribute__((packed));
_Static_assert(sizeof(struct usb_setup) == 8, "setup packet is 8 bytes");

#define USB_DIR_IN             0x80
#define USB_DIR_OUT            0x00
#define USB_TYPE_STANDARD      0x00
#define USB_TYPE_CLASS         0x20
#define USB_RECIP_DEVICE       0x00
#define USB_RECIP_INTERFACE    0x01

/* Standard requests (USB 2.0, Table 9-4). */
#define USB_REQ_GET_DESCRIPTOR    6
#define USB_REQ_SET_CONFIGURATION 9

/* Descriptor types (USB 2.0, Table 9-5; HID 1.11, 7.1). */
#define USB_DESC_DEVICE        1
#define USB_DESC_CONFIG        2
#define USB_DESC_INTERFACE     4
#define USB_DESC_ENDPOINT      5
#define USB_DESC_HID           0x21

/* Descriptor fields: byte offsets. */
#define USB_DESC_LENGTH        0       /* every descriptor: its length */
#define USB_DESC_TYPE          1       /* every descriptor: its type */
#define USB_DEV_DESC_SIZE      18
#define USB_DEV_MAX_PACKET0    7       /* EP0 max packet size */
#define USB_DEV_VENDOR         8       /* 16-bit */
#define USB_DEV_PRODUCT        10      /* 16-bit */
#define USB_CFG_DESC_SIZE      9
#define USB_CFG_TOTAL_LENGTH   2       /* 16-bit: all descriptors of the configuration */
#define USB_CFG_VALUE          5       /* for SET_CONFIGURATION */
#define USB_IF_DESC_SIZE       9
#define USB_IF_NUMBER          2
#define USB_IF_ALT             3
#define USB_IF_CLASS           5
#define USB_IF_SUBCLASS        6
#define USB_IF_PROTOCOL        7
#define USB_EP_DESC_SIZE       7
#define USB_EP_ADDRESS         2       /* bit 7: IN; 3:0 endpoint number */
#define USB_EP_ATTRIBUTES      3       /* 1:0 transfer type */
#define USB_EP_MAX_PACKET      4       /* 16-bit, 10:0 the size */
#define USB_EP_INTERVAL        6
#define USB_EP_DIR_IN          0x80
#define USB_EP_NUMBER_MASK     0x0f
#define USB_EP_XFER_MASK       0x03
#define USB_EP_XFER_INTERRUPT  3

/* HID class (HID 1.11, 4.2, 4.3, 7.2). */
#define USB_CLASS_HID          3
#define HID_SUBCLASS_BOOT      1
#define HID_PROTOCOL_KEYBOARD  1
#define HID_REQ_SET_IDLE       0x0a
#define HID_REQ_SET_PROTOCOL   0x0b
#define HID_PROTOCOL_BOOT      0       /* SET_PROTOCOL value */

/* Bus speeds, as xHCI's default Protocol Speed IDs number them (xHCI 1.2, 7.2.2.1.1). */
enum usb_speed {
	USB_SPEED_NONE = 0, USB_SPEED_FULL = 1, USB_SPEED_LOW = 2, USB_SPEED_HIGH = 3,
	USB_SPEED_SUPER = 4,
};

static inline uint16_t usb_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

#endif
