/*
 * monitor.h - the `carto>` prompt: a line editor and the commands it runs.
 *
 * After "carto: ready" kernel_main hands the CPU to monitor_run, which
 * prints the prompt `carto> ` (on the screen and on serial, like all
 * output) and reads keys from every keyboard through input.h. Each key
 * is offered to the console first (console_key: scrollback keys); the
 * monitor acts on the rest:
 *   printable characters  insert at the cursor
 *   Backspace / Delete    delete before / at the cursor
 *   Left / Right, Home / End, Ctrl+A / Ctrl+E   move the cursor
 *   Up / Down             walk the history (the last MONITOR_HISTORY lines)
 *   Ctrl+U                clear the line;   Ctrl+C   abandon it ("^C")
 *   Enter                 run it
 * A line holds at most MONITOR_LINE_MAX - 1 characters: further ones are
 * not taken, and Enter then refuses the whole line with one message
 * rather than run a cut-off command. Nothing typed: the monitor polls the
 * keyboards with `pause` between polls (no interrupts are set up).
 *
 * Commands. A line is split at blanks into words; the first names the
 * command. Every module adds its own commands, without the monitor naming
 * them, with one line at file scope:
 *
 *     static void cmd_iomem(const struct handoff *h, int argc, char **argv)
 *     { mmio_report(); }
 *     MONITOR_COMMAND("iomem", "", "the device ownership registry", cmd_iomem);
 *
 * MONITOR_COMMAND places a descriptor in the read-only section ".moncmds"
 * (kept by kernel.ld between __moncmds_start and __moncmds_end), as
 * BOOT_HOOK does for boot hooks. @args is the usage of the arguments:
 * words, optional ones in brackets ("VA", "[PREFIX]"), a last word ending
 * in "..." for any number more. The monitor checks the argument count
 * against it before calling @fn, so a command only checks the values
 * (refusing a bad one with one line "NAME: problem", see monitor_error).
 * `help` lists every command with its usage and help text.
 */
#ifndef CARTO_MONITOR_H
#define CARTO_MONITOR_H

#include "handoff.h"
#include "types.h"

#define MONITOR_LINE_MAX 128     /* bytes of a line, its NUL included */
#define MONITOR_HISTORY  16      /* lines kept for Up/Down */
#define MONITOR_MAX_ARGS 16      /* words of a line, the command included */
#define MONITOR_PROMPT   "carto> "

/* @argv[0] is the command's name, argv[1..argc-1] its arguments (within
 * the count its usage allows); @h is the hand-off block. */
typedef void (*monitor_fn)(const struct handoff *h, int argc, char **argv);

struct monitor_command {
	const char *name;
	const char *args;
	const char *help;
	monitor_fn fn;
};

#define MONITOR_COMMAND(name_, args_, help_, fn_)                                   \
	static const struct monitor_command moncmd_##fn_                            \
		__attribute__((used, section(".moncmds"), aligned(8))) = {          \
			.name = (name_), .args = (args_), .help = (help_), .fn = (fn_) }

/*
 * monitor_run - print the prompt and run commands typed on any keyboard,
 * for ever. With no keyboard at all (no input source registered) says so
 * and halts.
 */
_Noreturn void monitor_run(const struct handoff *h);

/*
 * monitor_parse_hex - read @s, hexadecimal digits with or without "0x",
 * at most 16 of them, as a number into *@v. Returns false (and leaves *@v)
 * for an empty word, another character or more than 64 bits.
 */
bool monitor_parse_hex(const char *s, uint64_t *v);

/*
 * monitor_error - print the one-line refusal "@cmd: <message>" of a
 * command's bad argument.
 */
void monitor_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
