/*
 * uart16550.c - polled output on a 16550 UART (include/uart16550.h): the
 * presence probe, the line setup the kernel does, the bounded-wait
 * transmit both the kernel and the loader use, and the kernel's polled
 * receive.
 */
#include "cpu.h"
#include "uart16550.h"

#define UART_INPUT_HZ    115200u    /* 1.8432 MHz crystal / 16 */

enum uart_reg {
	UART_DATA = 0,      /* receive / transmit holding; divisor low with DLAB */
	UART_IER = 1,       /* interrupt enable; divisor high with DLAB */
	UART_FCR = 2,       /* FIFO control (write) */
	UART_LCR = 3,       /* line control */
	UART_MCR = 4,       /* modem control */
	UART_LSR = 5,       /* line status */
	UART_SCRATCH = 7,
};
#define UART_DLL UART_DATA
#define UART_DLM UART_IER

#define LCR_8N1          0x03
#define LCR_DLAB         0x80
#define FCR_ENABLE_CLEAR 0x07       /* enable FIFOs, clear both */
#define MCR_DTR          0x01
#define MCR_RTS          0x02
#define MCR_OUT1         0x04
#define MCR_OUT2         0x08
#define MCR_LOOP         0x10
#define MCR_NORMAL       (MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2)
#define LSR_DATA_READY   0x01
#define LSR_RX_ERRORS    0x1c       /* parity, framing error, break */
#define LSR_THR_EMPTY    0x20

#define UART_PROBE_A      0x5a
#define UART_PROBE_B      0xa5

static void uart_out(uint16_t port, enum uart_reg reg, uint8_t v)
{
	outb((uint16_t)(port + reg), v);
}

static uint8_t uart_in(uint16_t port, enum uart_reg reg)
{
	return inb((uint16_t)(port + reg));
}

/* uart_wait - poll LSR until @bit is set; false after UART_SPIN_LIMIT reads. */
static bool uart_wait(uint16_t port, uint8_t bit)
{
	for (unsigned i = 0; i < UART_SPIN_LIMIT; i++) {
		if (uart_in(port, UART_LSR) & bit)
			return true;
		cpu_relax();
	}
	return false;
}

bool uart16550_present(uint16_t port)
{
	uart_out(port, UART_SCRATCH, UART_PROBE_A);
	if (uart_in(port, UART_SCRATCH) != UART_PROBE_A)
		return false;
	uart_out(port, UART_SCRATCH, UART_PROBE_B);
	return uart_in(port, UART_SCRATCH) == UART_PROBE_B;
}

void uart16550_attach(struct uart16550 *u, uint16_t port)
{
	u->port = port;
	u->timeouts = 0;
	u->rx_dropped = 0;
	u->up = uart16550_present(port);
}

/* In loopback mode a transmitted byte comes straight back as received. */
static bool uart_loopback_ok(uint16_t port)
{
	uart_out(port, UART_MCR, MCR_LOOP | MCR_RTS | MCR_OUT1 | MCR_OUT2);
	for (unsigned i = 0; i < UART_SPIN_LIMIT && (uart_in(port, UART_LSR) & LSR_DATA_READY); i++)
		(void)uart_in(port, UART_DATA);           /* drain stale input */
	uart_out(port, UART_DATA, UART_PROBE_B);
	return uart_wait(port, LSR_DATA_READY) && uart_in(port, UART_DATA) == UART_PROBE_B;
}

void uart16550_init(struct uart16550 *u, uint16_t port, uint32_t baud)
{
	uint32_t divisor = UART_INPUT_HZ / baud;

	u->port = port;
	u->up = false;
	u->timeouts = 0;
	u->rx_dropped = 0;
	if (!uart16550_present(port))
		return;
	uart_out(port, UART_IER, 0);                    /* polled: no interrupts */
	uart_out(port, UART_LCR, LCR_DLAB);
	uart_out(port, UART_DLL, divisor & 0xff);
	uart_out(port, UART_DLM, (divisor >> 8) & 0xff);
	uart_out(port, UART_LCR, LCR_8N1);
	uart_out(port, UART_FCR, FCR_ENABLE_CLEAR);
	if (!uart_loopback_ok(port)) {
		uart_out(port, UART_MCR, 0);
		return;
	}
	uart_out(port, UART_MCR, MCR_NORMAL);
	u->up = true;
}

bool uart16550_putc(struct uart16550 *u, char c)
{
	if (!u->up)
		return false;
	if (!uart_wait(u->port, LSR_THR_EMPTY)) {
		if (++u->timeouts >= UART_MAX_TIMEOUTS)
			u->up = false;
		return false;
	}
	u->timeouts = 0;
	uart_out(u->port, UART_DATA, (uint8_t)c);
	return true;
}

bool uart16550_getc(struct uart16550 *u, uint8_t *c)
{
	if (!u->up)
		return false;
	uint8_t lsr = uart_in(u->port, UART_LSR);
	if (!(lsr & LSR_DATA_READY))
		return false;
	*c = uart_in(u->port, UART_DATA);
	if (lsr & LSR_RX_ERRORS) {
		u->rx_dropped++;
		return false;
	}
	return true;
}
