/*
 * monitor.c - the `carto>` prompt: line editing, history, and running the
 * commands modules register with MONITOR_COMMAND (monitor.h).
 */
#include "console.h"
#include "input.h"
#include "klib.h"
#include "monitor.h"
#include "panic.h"

extern const struct monitor_command __moncmds_start[], __moncmds_end[];

#define ASCII_FIRST 0x20
#define ASCII_LAST  0x7e

static struct {
	const struct handoff *h;
	char line[MONITOR_LINE_MAX];
	unsigned len, cur;            /* characters in line; cursor, 0..len */
	bool overflow;                /* characters were refused: Enter refuses the line */
	char history[MONITOR_HISTORY][MONITOR_LINE_MAX];
	unsigned hist_count;          /* lines kept, at most MONITOR_HISTORY */
	unsigned hist_next;           /* slot the next line goes to */
	unsigned browse;              /* 0: the new line; k: k-th most recent */
	char draft[MONITOR_LINE_MAX]; /* the new line while browsing */
} mon;

/* ---- output helpers ---------------------------------------------------------- */

static void put_repeat(char c, unsigned n)
{
	while (n--)
		console_write(&c, 1);
}

/* Show line[from, len), blank @erase cells after it, and move the cursor
 * back to mon.cur. */
static void redraw_from(unsigned from, unsigned erase)
{
	console_write(mon.line + from, mon.len - from);
	put_repeat(' ', erase);
	put_repeat('\b', mon.len - mon.cur + erase);
}

static void prompt(void)
{
	kputs(MONITOR_PROMPT);
}

void monitor_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	kprintf("%s: ", cmd);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kputs("\n");
}

/* ---- line editing ------------------------------------------------------------- */

/* Replace the whole line (history, Ctrl+U) by @text, cursor at its end. */
static void set_line(const char *text)
{
	unsigned n = (unsigned)strlen(text), pad = mon.len > n ? mon.len - n : 0;

	put_repeat('\b', mon.cur);
	memcpy(mon.line, text, n + 1);
	mon.len = mon.cur = n;
	console_write(mon.line, n);
	put_repeat(' ', pad);
	put_repeat('\b', pad);
	mon.overflow = false;
}

static void insert_char(char c)
{
	if (mon.len + 1 >= MONITOR_LINE_MAX) {
		mon.overflow = true;
		return;
	}
	memmove(mon.line + mon.cur + 1, mon.line + mon.cur, mon.len - mon.cur);
	mon.line[mon.cur] = c;
	mon.line[++mon.len] = '\0';
	mon.cur++;
	console_write(&c, 1);
	redraw_from(mon.cur, 0);
}

/* Delete the character at @at (the cursor is at @at afterwards). */
static void delete_at(unsigned at)
{
	if (at >= mon.len)
		return;
	put_repeat('\b', mon.cur - at);
	mon.cur = at;
	memmove(mon.line + at, mon.line + at + 1, mon.len - at);
	mon.len--;
	redraw_from(at, 1);
}

static void move_to(unsigned pos)
{
	if (pos < mon.cur)
		put_repeat('\b', mon.cur - pos);
	else
		console_write(mon.line + mon.cur, pos - mon.cur);
	mon.cur = pos;
}

static const char *history_line(unsigned k)   /* k-th most recent, k >= 1 */
{
	return mon.history[(mon.hist_next + MONITOR_HISTORY - k) % MONITOR_HISTORY];
}

static void history_add(const char *line)
{
	bool blank = true;

	for (const char *p = line; *p; p++)
		blank &= *p == ' ' || *p == '\t';
	if (blank || (mon.hist_count && strcmp(history_line(1), line) == 0))
		return;
	memcpy(mon.history[mon.hist_next], line, strlen(line) + 1);
	mon.hist_next = (mon.hist_next + 1) % MONITOR_HISTORY;
	if (mon.hist_count < MONITOR_HISTORY)
		mon.hist_count++;
}

static void history_browse(int step)   /* +1: older, -1: newer */
{
	unsigned k = mon.browse + (unsigned)step;

	if ((step < 0 && mon.browse == 0) || k > mon.hist_count)
		return;
	if (mon.browse == 0)
		memcpy(mon.draft, mon.line, mon.len + 1);
	mon.browse = k;
	set_line(k ? history_line(k) : mon.draft);
}

static void new_line(void)
{
	mon.len = mon.cur = 0;
	mon.line[0] = '\0';
	mon.overflow = false;
	mon.browse = 0;
	prompt();
}

/* ---- running a line ------------------------------------------------------------ */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Split @s in place into words; returns the count, or -1 if more than @max. */
static int split_words(char *s, char **argv, int max)
{
	int argc = 0;

	for (;;) {
		while (is_blank(*s))
			*s++ = '\0';
		if (!*s)
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = s;
		while (*s && !is_blank(*s))
			s++;
	}
}

/* The argument counts a usage string allows: [min, max], max -1: any. */
static void usage_counts(const char *usage, int *min, int *max)
{
	char buf[MONITOR_LINE_MAX], *words[MONITOR_MAX_ARGS];
	int n;

	ksnprintf(buf, sizeof(buf), "%s", usage);
	n = split_words(buf, words, MONITOR_MAX_ARGS);
	*min = *max = 0;
	for (int i = 0; i < n; i++) {
		if (words[i][0] != '[')
			++*min;
		++*max;
		if (i == n - 1 && (ends_with(words[i], "...") || ends_with(words[i], "...]")))
			*max = -1;
	}
}

static const struct monitor_command *find_command(const char *name)
{
	for (const struct monitor_command *c = __moncmds_start; c < __moncmds_end; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static bool arg_count_ok(const struct monitor_command *c, int nargs)
{
	int min, max;

	usage_counts(c->args, &min, &max);
	if (nargs >= min && (max < 0 || nargs <= max))
		return true;
	if (max == 0)
		monitor_error(c->name, "takes no arguments");
	else
		monitor_error(c->name, "%s arguments (usage: %s %s)",
			      nargs < min ? "missing" : "too many", c->name, c->args);
	return false;
}

static void run_line(const char *line)
{
	char buf[MONITOR_LINE_MAX], *argv[MONITOR_MAX_ARGS];
	const struct monitor_command *c;
	int argc;

	memcpy(buf, line, strlen(line) + 1);
	argc = split_words(buf, argv, MONITOR_MAX_ARGS);
	if (argc == 0)
		return;
	if (argc < 0) {
		monitor_error("monitor", "more than %d words in the line", MONITOR_MAX_ARGS);
		return;
	}
	c = find_command(argv[0]);
	if (!c) {
		monitor_error("monitor", "unknown command '%s' ('help' lists the commands)", argv[0]);
		return;
	}
	if (!arg_count_ok(c, argc - 1))
		return;
	/* Page the screen only for a line typed at the screen: a terminal on
	 * the serial line shows the output itself, and waiting for a key on
	 * the screen would stop it there too. */
	bool page = !input_last_from_terminal();

	if (page)
		console_pager_start();
	c->fn(mon.h, argc, argv);
	if (page)
		console_pager_stop();
}

static void enter(void)
{
	kputs("\n");
	if (mon.overflow)
		monitor_error("monitor", "line longer than %u characters refused",
			      MONITOR_LINE_MAX - 1);
	else {
		history_add(mon.line);
		run_line(mon.line);
	}
	new_line();
}

/* Ctrl+letter. */
static void control_key(char letter)
{
	switch (letter) {
	case 'a':
		move_to(0);
		break;
	case 'e':
		move_to(mon.len);
		break;
	case 'c':
		move_to(mon.len);
		kputs("^C\n");
		new_line();
		break;
	case 'u':
		set_line("");
		mon.browse = 0;
		break;
	}
}

static void edit(uint32_t key)
{
	uint32_t code = key_code(key);

	if (key & KEYMOD_CTRL) {
		if (code < 0x80)
			control_key((char)(code | 0x20));   /* either case */
		return;
	}
	switch (code) {
	case '\n':
		enter();
		return;
	case '\b':
		if (mon.cur)
			delete_at(mon.cur - 1);
		return;
	case KEY_DELETE:
		delete_at(mon.cur);
		return;
	case KEY_LEFT:
		if (mon.cur)
			move_to(mon.cur - 1);
		return;
	case KEY_RIGHT:
		if (mon.cur < mon.len)
			move_to(mon.cur + 1);
		return;
	case KEY_HOME:
		move_to(0);
		return;
	case KEY_END:
		move_to(mon.len);
		return;
	case KEY_UP:
		history_browse(+1);
		return;
	case KEY_DOWN:
		history_browse(-1);
		return;
	}
	if (!(key & KEYMOD_ALT) && code >= ASCII_FIRST && code <= ASCII_LAST)
		insert_char((char)code);
}

/* The command table is sound: whole descriptors, every one complete, no
 * name twice (two modules registering one name is a build mistake). */
static void check_commands(void)
{
	size_t bytes = (size_t)((const char *)__moncmds_end - (const char *)__moncmds_start);

	if (bytes % sizeof(struct monitor_command))
		panic("monitor_run: .moncmds is %zu bytes, not a multiple of %zu: check its "
		      "alignment in kernel.ld", bytes, sizeof(struct monitor_command));
	for (const struct monitor_command *c = __moncmds_start; c < __moncmds_end; c++) {
		if (!c->name || !c->name[0] || !c->args || !c->help || !c->fn)
			panic("monitor_run: command descriptor %p has no name, usage, help or "
			      "function", (const void *)c);
		for (const struct monitor_command *d = c + 1; d < __moncmds_end; d++)
			if (strcmp(c->name, d->name) == 0)
				panic("monitor_run: two commands are named '%s'", c->name);
	}
}

_Noreturn void monitor_run(const struct handoff *h)
{
	mon.h = h;
	check_commands();
	if (input_source_count() == 0) {
		kputs("monitor: no keyboard (no serial port, PS/2 or USB keyboard); halting\n");
		halt_forever();
	}
	new_line();
	for (;;) {
		uint32_t key = input_getkey();
		if (!console_key(key))
			edit(key);
	}
}

/* ---- helpers for commands ------------------------------------------------------- */

bool monitor_parse_hex(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	unsigned digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, digits++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			return false;
		if (digits == 16)
			return false;
		x = x << 4 | d;
	}
	if (!digits)
		return false;
	*v = x;
	return true;
}

/* ---- help ------------------------------------------------------------------------- */

static void help_line(const struct monitor_command *c)
{
	char usage[40];

	ksnprintf(usage, sizeof(usage), "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
	kprintf("  %-18s %s\n", usage, c->help);
}

/* The command whose name follows @after in alphabetical order (NULL:
 * the first), or NULL after the last. */
static const struct monitor_command *next_by_name(const struct monitor_command *after)
{
	const struct monitor_command *best = NULL;

	for (const struct monitor_command *c = __moncmds_start; c < __moncmds_end; c++)
		if ((!after || strcmp(c->name, after->name) > 0) &&
		    (!best || strcmp(c->name, best->name) < 0))
			best = c;
	return best;
}

static void cmd_help(const struct handoff *h, int argc, char **argv)
{
	if (argc == 2) {
		const struct monitor_command *c = find_command(argv[1]);
		if (!c) {
			monitor_error("help", "no command '%s'", argv[1]);
			return;
		}
		help_line(c);
		return;
	}
	kputs("commands (Up/Down: history, Ctrl+U: clear the line, Ctrl+C: abandon it):\n");
	for (const struct monitor_command *c = next_by_name(NULL); c; c = next_by_name(c))
		help_line(c);
}
MONITOR_COMMAND("help", "[COMMAND]", "list the commands, or describe one", cmd_help);
