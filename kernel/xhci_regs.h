/*
 * xhci_regs.h - the xHCI registers Carto uses (xHCI 1.2, chapter 5 and the
 * extended capabilities of chapter 7): offsets and bits, no code. Read
 * by kernel/xhci.c, and by the self-tests that build register images.
 *
 *   BAR0 + 0          capability registers (CAP_*), CAP_LENGTH bytes
 *   BAR0 + CAP_LENGTH operational registers (OP_*), then the port registers
 *   BAR0 + RTSOFF     runtime registers: interrupters from RT_IR0
 *   BAR0 + DBOFF      doorbells, one dword per slot (0: the command ring)
 *   BAR0 + xECP * 4   extended capabilities, a chain of XCAP_NEXT steps
 */
#ifndef CARTO_XHCI_REGS_H
#define CARTO_XHCI_REGS_H

/* Capability registers, from BAR0 (5.3). */
#define CAP_LENGTH        0x00     /* 8 bits: where the operational registers start */
#define CAP_VERSION       0x02     /* 16 bits: BCD interface version */
#define CAP_HCSPARAMS1    0x04     /* 7:0 slots, 18:8 interrupters, 31:24 ports */
#define CAP_HCSPARAMS2    0x08     /* 25:21 scratchpads hi, 31:27 scratchpads lo */
#define CAP_HCCPARAMS1    0x10     /* 0 AC64, 2 CSZ, 31:16 xECP (dwords) */
#define CAP_DBOFF         0x14
#define CAP_RTSOFF        0x18
#define HCC_AC64          (1u << 0)
#define HCC_CSZ           (1u << 2)

/* Operational registers, from BAR0 + CAP_LENGTH (5.4). */
#define OP_USBCMD         0x00
#define OP_USBSTS         0x04
#define OP_PAGESIZE       0x08     /* bit n: pages of 2^(n+12) bytes */
#define OP_CRCR           0x18     /* 64 bits: command ring */
#define OP_DCBAAP         0x30     /* 64 bits */
#define OP_CONFIG         0x38     /* 7:0 MaxSlotsEn */
#define OP_PORTSC(port)   (0x400 + 0x10 * ((port) - 1))
#define CMD_RUN           (1u << 0)
#define CMD_HCRST         (1u << 1)
#define STS_HCH           (1u << 0)   /* halted */
#define STS_HSE           (1u << 2)   /* host system error */
#define STS_CNR           (1u << 11)  /* controller not ready */
#define STS_HCE           (1u << 12)  /* host controller error */
#define CRCR_RCS          (1ull << 0)
#define CRCR_CA           (1u << 2)    /* command abort */
#define CRCR_CRR          (1u << 3)    /* command ring running */

/*
 * PORTSC (5.4.8). Writing it needs care: PED and the change bits 17-23 are
 * write-1-to-clear, PR and WPR start resets, and the link state is only
 * written with LWS. port_neutral() keeps only the bits a write preserves.
 */
#define PORTSC_CCS        (1u << 0)   /* connected */
#define PORTSC_PED        (1u << 1)   /* enabled (RW1C: writing 1 disables) */
#define PORTSC_PR         (1u << 4)   /* port reset */
#define PORTSC_PP         (1u << 9)   /* port power */
#define PORTSC_SPEED(v)   (((v) >> 10) & 0xf)
#define PORTSC_CHANGES    (0x7fu << 17)  /* CSC PEC WRC OCC PRC PLC CEC */
#define PORTSC_PRC        (1u << 21)
#define PORTSC_WRC        (1u << 19)
#define PORTSC_WPR        (1u << 31)  /* warm port reset (USB 3) */
#define PORTSC_KEEP       (PORTSC_PP | (3u << 14) | (7u << 25))   /* PP, PIC, WCE/WDE/WOE */

/* Interrupter 0's registers, from the runtime base + 0x20 (5.5.2). */
#define RT_IR0            0x20
#define IR_IMAN           0x00
#define IR_ERSTSZ         0x08
#define IR_ERSTBA         0x10
#define IR_ERDP           0x18
#define ERDP_EHB          (1ull << 3)  /* event handler busy, RW1C */

/* Extended capabilities (7): a chain of dwords in BAR0. */
#define XCAP_ID(v)        ((v) & 0xff)
#define XCAP_NEXT(v)      (((v) >> 8) & 0xff)   /* dwords to the next; 0: last */
#define XCAP_LEGACY       1
#define XCAP_PROTOCOL     2
#define LEGACY_BIOS_OWNED (1u << 16)
#define LEGACY_OS_OWNED   (1u << 24)
#define LEGACY_CTLSTS     4            /* USBLEGCTLSTS: SMI enables, RW1C events */
#define LEGACY_SMI_ENABLES 0x0000e011u  /* bits 0, 4, 13, 14, 15 */
#define LEGACY_SMI_EVENTS  0xe0000000u  /* bits 29-31 */
#define XCAP_MAX_STEPS    64           /* a chain longer than this is nonsense */

#endif
