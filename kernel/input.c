/*
 * input.c - the key queue every keyboard driver feeds (input.h).
 */
#include "input.h"
#include "cpu.h"

_Static_assert((INPUT_QUEUE_SIZE & (INPUT_QUEUE_SIZE - 1)) == 0, "queue size is a power of two");

static uint32_t queue[INPUT_QUEUE_SIZE];
static bool from_terminal[INPUT_QUEUE_SIZE];   /* queue[i] came from a serial terminal */
static unsigned head, tail;          /* head: next to pop; tail: next free */
static bool last_from_terminal;      /* the key popped last did */
static uint64_t dropped;

struct source {
	const char *name;
	void (*poll)(void);
};
static struct source sources[INPUT_MAX_SOURCES];
static unsigned source_count;
static void (*wait_hook)(void);

/* Run with interrupts off, restoring the caller's state: a driver may push
 * from an interrupt handler. */
static uint64_t irq_save(void)
{
	uint64_t flags = read_rflags();

	cli();
	return flags;
}

static void irq_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		sti();
}

static bool push(uint32_t key, bool terminal)
{
	uint64_t flags = irq_save();
	bool ok = tail - head < INPUT_QUEUE_SIZE;

	if (ok) {
		from_terminal[tail & (INPUT_QUEUE_SIZE - 1)] = terminal;
		queue[tail++ & (INPUT_QUEUE_SIZE - 1)] = key;
	} else {
		dropped++;
	}
	irq_restore(flags);
	return ok;
}

bool input_push(uint32_t key)
{
	return push(key, false);
}

bool input_push_terminal(uint32_t key)
{
	return push(key, true);
}

bool input_last_from_terminal(void)
{
	return last_from_terminal;
}

bool input_pop(uint32_t *key)
{
	uint64_t flags = irq_save();
	bool ok = head != tail;

	if (ok) {
		last_from_terminal = from_terminal[head & (INPUT_QUEUE_SIZE - 1)];
		*key = queue[head++ & (INPUT_QUEUE_SIZE - 1)];
	}
	irq_restore(flags);
	return ok;
}

bool input_add_source(const char *name, void (*poll)(void))
{
	if (source_count == INPUT_MAX_SOURCES)
		return false;
	sources[source_count++] = (struct source){ .name = name, .poll = poll };
	return true;
}

unsigned input_source_count(void)
{
	return source_count;
}

void input_poll(void)
{
	for (unsigned i = 0; i < source_count; i++)
		sources[i].poll();
}

void input_set_wait_hook(void (*fn)(void))
{
	wait_hook = fn;
}

uint32_t input_getkey(void)
{
	uint32_t key;

	if (input_pop(&key))
		return key;
	if (wait_hook)
		wait_hook();
	while (!input_pop(&key)) {
		input_poll();
		cpu_relax();
	}
	return key;
}

uint64_t input_dropped(void)
{
	return dropped;
}
