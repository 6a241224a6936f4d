/*
 * input.h - keys from every keyboard, in one queue.
 *
 * Keyboard drivers (the 16550's receiver, the i8042 PS/2 controller, a USB
 * HID keyboard behind xHCI) turn what their device sends into key codes and
 * push them here; the console and the monitor take them out. A key code is
 * a 32-bit value: the low 21 bits are a Unicode code point for keys that
 * type a character (Enter is '\n', Backspace '\b', Tab '\t', Escape 0x1b),
 * or one of the KEY_* values below for keys that do not; the KEYMOD_* bits
 * above say which modifiers were held. Ctrl+letter arrives as the letter
 * with KEYMOD_CTRL (the monitor decides what Ctrl+C means).
 *
 * Drivers are polled: each registers a poll function with input_add_source
 * and input_poll calls them all. Single CPU; a driver may also push from an
 * interrupt handler, as the queue is only touched with interrupts off.
 * When the queue is full the newest keys are dropped and counted.
 */
#ifndef CARTO_INPUT_H
#define CARTO_INPUT_H

#include "types.h"

/* Keys that type no character: above the Unicode range. */
#define KEY_BASE       0x110000u
enum input_key {
	KEY_UP = KEY_BASE, KEY_DOWN, KEY_LEFT, KEY_RIGHT,
	KEY_HOME, KEY_END, KEY_PGUP, KEY_PGDN, KEY_INSERT, KEY_DELETE,
	KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6,
	KEY_F7, KEY_F8, KEY_F9, KEY_F10, KEY_F11, KEY_F12,
	KEY_LAST
};
#define KEY_CODE_MASK  0x1fffffu
#define KEYMOD_SHIFT   (1u << 24)
#define KEYMOD_CTRL    (1u << 25)
#define KEYMOD_ALT     (1u << 26)

static inline uint32_t key_code(uint32_t key) { return key & KEY_CODE_MASK; }

#define INPUT_QUEUE_SIZE 256     /* keys; a power of two */
#define INPUT_MAX_SOURCES 8

/* input_push - queue @key. Returns false (and counts it) if the queue is
 * full. */
bool input_push(uint32_t key);

/* input_push_terminal - as input_push, for a key typed on a terminal at the
 * far end of the serial line. That user reads the output on the terminal,
 * with its own scrollback, so the screen's pager must not hold the output
 * back waiting for a key (see input_last_from_terminal). */
bool input_push_terminal(uint32_t key);

/* input_pop - take the oldest key into *@key; false if there is none. Does
 * not poll the drivers (input_getkey does). */
bool input_pop(uint32_t *key);

/* input_last_from_terminal - true if the key input_pop (or input_getkey)
 * returned last was queued by input_push_terminal. */
bool input_last_from_terminal(void);

/* input_add_source - register @poll (named @name, a static string) to be
 * called by input_poll. Returns false if INPUT_MAX_SOURCES are taken. */
bool input_add_source(const char *name, void (*poll)(void));

/* input_source_count - how many sources are registered (0: no keyboard
 * at all). */
unsigned input_source_count(void);

/* input_poll - call every registered source's poll function once. */
void input_poll(void);

/* input_getkey - poll the sources until a key is queued and return it.
 * Waits for ever: only for code that has nothing else to do. Runs the wait
 * hook once first when no key is queued. */
uint32_t input_getkey(void);

/* input_set_wait_hook - @fn (or NULL) runs when input_getkey is about to
 * wait: the screen console brings the screen up to date there. */
void input_set_wait_hook(void (*fn)(void));

/* input_dropped - keys lost to a full queue since boot. */
uint64_t input_dropped(void);

#endif
