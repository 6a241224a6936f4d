/*
 * serialkeys.c - COM1 as a keyboard (serialkeys.h).
 */
#include "console.h"
#include "cpu.h"
#include "input.h"
#include "serialkeys.h"
#include "termkeys.h"

static struct termkeys term;

static void push_keys(const uint32_t *keys, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		input_push_terminal(keys[i]);
}

static void serialkeys_poll(void)
{
	uint32_t keys[TERMKEYS_MAX_OUT];
	uint8_t byte;
	unsigned n;

	for (n = 0; n < SERIALKEYS_POLL_BYTES && console_serial_getc(&byte); n++)
		push_keys(keys, termkeys_feed(&term, byte, rdtsc(), keys));
	if (n == 0)
		push_keys(keys, termkeys_idle(&term, rdtsc(), keys));
}

void serialkeys_init(void)
{
	if (!console_has_serial())
		return;
	termkeys_init(&term);
	input_add_source("serial", serialkeys_poll);
}
