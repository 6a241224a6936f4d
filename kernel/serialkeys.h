/*
 * serialkeys.h - the serial port as a keyboard: bytes received on COM1
 * (console.c's 16550), decoded by termkeys.h, into the input queue.
 */
#ifndef CARTO_SERIALKEYS_H
#define CARTO_SERIALKEYS_H

/*
 * serialkeys_init - register COM1 as an input source (input.h) if the
 * serial console is up; prints nothing. Each poll reads at most
 * SERIALKEYS_POLL_BYTES bytes, so a flood of input cannot keep input_poll
 * from returning. Call once, after console_init_serial.
 */
void serialkeys_init(void);

#define SERIALKEYS_POLL_BYTES 32

#endif
