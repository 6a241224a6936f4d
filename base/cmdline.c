/*
 * cmdline.c - the command-line grammar of include/cmdline.h, and the list
 * of the words Carto knows. Freestanding: built for the loader, the kernel
 * and the host tests.
 */
#include "cmdline.h"
#include "lib.h"

const struct cmdline_option cmdline_options[] = {
	{ "selftest", CMDLINE_FLAG_OR_VALUE, "selftest[=PREFIX]",
	  "run the in-kernel self-tests (only those whose name starts with PREFIX)" },
	{ "memmap", CMDLINE_FLAG, "memmap", "print Carto's clean memory map (and the EFI runtime pieces)" },
	{ "fwmap", CMDLINE_FLAG, "fwmap", "print the firmware's map in the dump tool's format" },
	{ "framestats", CMDLINE_FLAG, "framestats", "add a machine-readable frame-allocator line" },
	{ "crash", CMDLINE_VALUE, "crash=stack|pf|wp|ud", "inject a fault to see the exception report" },
	{ "video", CMDLINE_VALUE, "video=WIDTHxHEIGHT", "pick that GOP mode (loader)" },
	{ "verbose", CMDLINE_FLAG, "verbose", "make the loader print what it does" },
	{ "gdb", CMDLINE_FLAG, "gdb", "make the loader wait for a debugger (make debug)" },
	{ "addressing", CMDLINE_VALUE, "addressing=direct|direct:LIMIT|explicit",
	  "how the kernel reaches RAM: a direct map of all of it, of RAM below LIMIT, or none" },
	{ "ptaccess", CMDLINE_VALUE, "ptaccess=window|recursive",
	  "how the kernel reaches its page tables: the window (default) or a recursive PML4 slot" },
	{ "bench", CMDLINE_FLAG_OR_VALUE, "bench[=PREFIX]",
	  "run the in-kernel benchmarks after carto: ready (those whose name starts with PREFIX)" },
	{ "isolation", CMDLINE_VALUE, "isolation=on|off",
	  "processes get the isolated kernel (only an entry area mapped; default off: shared)" },
	{ "slice", CMDLINE_VALUE, "slice=MS",
	  "the scheduler's time slice in ms (default 10; 0: cooperative, no timer preemption)" },
	{ "user", CMDLINE_VALUE, "user=PROGRAM",
	  "run that embedded user program after carto: ready (hello, spin, ...)" },
	{ "loader-test", CMDLINE_VALUE, "loader-test=late-alloc",
	  "test hook: an allocation after ExitBootServices (boot tests)" },
	{ "reboot", CMDLINE_FLAG, "reboot", "reboot once the kernel is ready (kernel/power.h)" },
	{ "poweroff", CMDLINE_FLAG, "poweroff", "switch the machine off once the kernel is ready" },
	{ "keytest", CMDLINE_VALUE, "keytest=N", "test hook: print the next N keys typed (boot tests)" },
	{ "usbtest", CMDLINE_VALUE, "usbtest=stall",
	  "test hook: the USB keyboard stalls a request, the driver recovers (boot tests)" },
};
const size_t cmdline_option_count = sizeof(cmdline_options) / sizeof(cmdline_options[0]);

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t cmdline_word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && !is_blank(s[n]))
		n++;
	return n;
}

bool cmdline_next(const char **cursor, struct cmdline_word *w)
{
	const char *p = *cursor;

	if (!p)
		return false;
	while (is_blank(*p))
		p++;
	if (!*p) {
		*cursor = p;
		return false;
	}
	w->start = p;
	w->len = cmdline_word_len(p);
	w->name_len = 0;
	while (w->name_len < w->len && p[w->name_len] != '=')
		w->name_len++;
	*cursor = p + w->len;
	return true;
}

static bool name_is(const struct cmdline_word *w, const char *name, size_t n)
{
	return w->name_len == n && memcmp(w->start, name, n) == 0;
}

bool cmdline_has(const char *cmdline, const char *name)
{
	struct cmdline_word w;
	size_t n = name ? strlen(name) : 0;

	if (n == 0)
		return false;
	while (cmdline_next(&cmdline, &w))
		if (name_is(&w, name, n))
			return true;
	return false;
}

const char *cmdline_value(const char *cmdline, const char *name, size_t *len)
{
	struct cmdline_word w;
	const char *found = NULL;
	size_t n = name ? strlen(name) : 0, flen = 0;

	if (n == 0)
		return NULL;
	while (cmdline_next(&cmdline, &w))
		if (name_is(&w, name, n) && w.len > n) {
			found = w.start + n + 1;
			flen = w.len - n - 1;
		}
	if (found && len)
		*len = flen;
	return found;
}

bool cmdline_value_is(const char *cmdline, const char *name, const char *value)
{
	size_t len;
	const char *v = cmdline_value(cmdline, name, &len);

	return v && value && strlen(value) == len && memcmp(v, value, len) == 0;
}

const struct cmdline_option *cmdline_known(const struct cmdline_word *w)
{
	bool setting = w->name_len < w->len;

	for (size_t i = 0; i < cmdline_option_count; i++) {
		const struct cmdline_option *o = &cmdline_options[i];
		if (!name_is(w, o->name, strlen(o->name)))
			continue;
		if (o->arg == CMDLINE_FLAG_OR_VALUE || setting == (o->arg == CMDLINE_VALUE))
			return o;
	}
	return NULL;
}
