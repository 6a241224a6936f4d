/*
 * uart16550.h - polled output on a 16550 UART (base/uart16550.c), for the
 * kernel's serial console and the loader's last words after
 * ExitBootServices, and polled input for the kernel's serial keyboard.
 *
 * Both sides need the same two things: to tell whether a UART answers at
 * all (a PC without one reads 0xff from every port), and to send a byte
 * without ever hanging if the UART stops answering. They differ in who
 * programs the line:
 *   - the kernel owns the port: uart16550_init() sets 115200 8N1 and
 *     checks the UART in loopback mode before using it;
 *   - the loader after ExitBootServices must not touch the line settings
 *     the firmware chose (its console may run at another speed, and the
 *     user's terminal is set to that): uart16550_attach() only probes and
 *     writes at whatever rate the firmware programmed.
 * Interrupts stay off; every wait is bounded (UART_SPIN_LIMIT reads of the
 * line status), and after UART_MAX_TIMEOUTS timeouts in a row the port is
 * taken as dead and output stops: no caller can hang on a missing UART.
 */
#ifndef CARTO_UART16550_H
#define CARTO_UART16550_H

#include "types.h"

#define UART_COM1       0x3f8      /* the first PC serial port's I/O base */
#define UART_BAUD_115200 115200u

/* About 100 ms of line-status polling on real hardware, far longer than
 * the 87 us one character takes at 115200 baud. */
#define UART_SPIN_LIMIT   100000u
/* After this many consecutive timeouts the port is considered dead. */
#define UART_MAX_TIMEOUTS 4u

struct uart16550 {
	uint16_t port;        /* I/O base, e.g. UART_COM1 */
	bool up;              /* output goes out; false: every putc is dropped */
	unsigned timeouts;    /* consecutive transmit timeouts */
	unsigned rx_dropped;  /* received bytes dropped for a line error */
};

/*
 * uart16550_present - true if a 16550 answers at @port: its scratch
 * register keeps two different values written to it (an absent port reads
 * back 0xff). Touches only the scratch register.
 */
bool uart16550_present(uint16_t port);

/*
 * uart16550_attach - use the UART at @port as the firmware left it: @u is
 * up if uart16550_present() says so. Changes no line setting.
 */
void uart16550_attach(struct uart16550 *u, uint16_t port);

/*
 * uart16550_init - take over the UART at @port: if present, disable its
 * interrupts, program @baud (a divisor of 115200) 8N1, enable and clear
 * the FIFOs, and check in loopback mode that a byte sent comes back. @u is
 * up only if all of that worked; otherwise the modem control lines are
 * left off and @u stays down.
 */
void uart16550_init(struct uart16550 *u, uint16_t port, uint32_t baud);

/*
 * uart16550_putc - send @c once the transmitter has room. Waits at most
 * UART_SPIN_LIMIT status reads; on a timeout @c is dropped, and after
 * UART_MAX_TIMEOUTS in a row @u goes down. Returns true if @c was sent
 * (false if @u is down or the wait timed out). No newline translation.
 */
bool uart16550_putc(struct uart16550 *u, char c);

/*
 * uart16550_getc - the next received byte, if one is waiting: never waits.
 * Returns true with the byte in *@c; false if @u is down, nothing has
 * arrived, or the byte came with a parity or framing error or a break
 * (then it is dropped and counted in @u->rx_dropped). The kernel's serial
 * keyboard (kernel/serialkeys.c) polls it; the loader never reads.
 */
bool uart16550_getc(struct uart16550 *u, uint8_t *c);

#endif
