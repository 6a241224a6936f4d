/*
 * cmdline.h - the Carto command line: one grammar for the loader, the
 * kernel and the host tests (base/cmdline.c, built all three ways).
 *
 * Where it comes from (efi/loader/info.c): the first line of
 * \EFI\carto\cmdline.txt on the boot volume, then the image's load options
 * when they are printable text (the UEFI Shell's arguments, a boot entry's
 * optional data, U-Boot's bootargs), joined by one space. Both are always
 * read; neither replaces the other.
 *
 * Grammar:
 *   - Words are separated by blanks: space, tab, CR, LF.
 *   - A word is a flag ("selftest") or a setting ("crash=pf"): the name is
 *     what comes before the first '=', the value everything after it, up to
 *     the next blank. A value may be empty and may contain '='.
 *   - There is no quoting: '"' and '\'' are ordinary characters, so a value
 *     cannot contain a blank.
 *   - Names are case-sensitive.
 *   - Repeated names: the last setting wins (so the load options, which
 *     come after cmdline.txt, override it); a flag counts if its name
 *     appears anywhere, alone or as a setting's name.
 *   - Words whose name is not in cmdline_options[] are ignored by every
 *     lookup; the kernel lists them once in its boot report, so a word meant
 *     for another system (U-Boot passes Linux's "root=/dev/sdb3 ro") is seen,
 *     never acted on.
 */
#ifndef CARTO_CMDLINE_H
#define CARTO_CMDLINE_H

#include "types.h"

/* One word of a command line: [start, start + len); name_len is the length
 * of the name (== len for a flag). */
struct cmdline_word {
	const char *start;
	size_t len;
	size_t name_len;
};

/*
 * cmdline_next - the word at or after *@cursor, into @w; advances *@cursor
 * past it. Returns false (and leaves @w alone) when no word is left. A NULL
 * *@cursor has no words.
 */
bool cmdline_next(const char **cursor, struct cmdline_word *w);

/* cmdline_has - true if a word of @cmdline has the name @name (a flag, or
 * the name of a setting). NULL @cmdline or an empty @name never match. */
bool cmdline_has(const char *cmdline, const char *name);

/*
 * cmdline_value - the value of the last "@name=value" word of @cmdline, or
 * NULL if there is none (a bare flag "@name" has no value). The value is
 * not NUL-terminated: its length is stored in *@len when @len is not NULL,
 * and is also cmdline_word_len(result).
 */
const char *cmdline_value(const char *cmdline, const char *name, size_t *len);

/* cmdline_value_is - true if cmdline_value(@cmdline, @name) is exactly
 * @value. */
bool cmdline_value_is(const char *cmdline, const char *name, const char *value);

/* cmdline_word_len - the length of the word starting at @s: characters up
 * to the next blank or NUL. */
size_t cmdline_word_len(const char *s);

/* What the words Carto knows mean; the one list (README, cmdline.txt's
 * comment lines and the unknown-word report all follow it). */
enum cmdline_arg { CMDLINE_FLAG, CMDLINE_VALUE, CMDLINE_FLAG_OR_VALUE };
struct cmdline_option {
	const char *name;
	enum cmdline_arg arg;
	const char *usage;   /* e.g. "crash=stack|pf|wp|ud" */
	const char *help;    /* one short line */
};
extern const struct cmdline_option cmdline_options[];
extern const size_t cmdline_option_count;

/* cmdline_known - the option @w names, if its form (flag or setting) is
 * one that option takes; NULL for a word Carto does not know. */
const struct cmdline_option *cmdline_known(const struct cmdline_word *w);

#endif
