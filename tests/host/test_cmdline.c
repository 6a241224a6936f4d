/*
 * test_cmdline.c - the command-line grammar of include/cmdline.h
 * (base/cmdline.c, the same code the loader and the kernel run): word
 * splitting, flags and settings, the last setting winning, no quoting, and
 * the list of known words.
 */
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fileio.h"
#include "tap.h"

static void check_value(const char *cl, const char *name, const char *want)
{
	size_t len = 12345;
	const char *v = cmdline_value(cl, name, &len);

	if (!want) {
		TAP_CHECK(v == NULL, "\"%s\": %s has no value (got \"%.*s\")", cl, name,
			  v ? (int)len : 0, v ? v : "");
		return;
	}
	TAP_CHECK(v && len == strlen(want) && memcmp(v, want, len) == 0 &&
		  cmdline_word_len(v) == len,
		  "\"%s\": %s = \"%s\" (got \"%.*s\")", cl, name, want, v ? (int)len : 6,
		  v ? v : "(none)");
}

static void test_words(void)
{
	const char *cl = " \t selftest\r\ncrash=pf  video=1024x768\tx==y= \n";
	const char *want[] = { "selftest", "crash=pf", "video=1024x768", "x==y=" };
	size_t want_name[] = { 8, 5, 5, 1 };
	struct cmdline_word w;
	const char *cur = cl;
	size_t n = 0;

	while (cmdline_next(&cur, &w)) {
		if (n < 4)
			TAP_CHECK(w.len == strlen(want[n]) && memcmp(w.start, want[n], w.len) == 0 &&
				  w.name_len == want_name[n],
				  "word %zu is \"%s\" with a %zu-char name (got \"%.*s\", %zu)", n,
				  want[n], want_name[n], (int)w.len, w.start, w.name_len);
		n++;
	}
	TAP_CHECK(n == 4, "4 words split on space, tab, CR and LF (got %zu)", n);
	TAP_CHECK(*cur == 0, "the cursor ends at the NUL");
	TAP_CHECK(!cmdline_next(&cur, &w), "no word after the end");
	cur = NULL;
	TAP_CHECK(!cmdline_next(&cur, &w), "a NULL command line has no words");
	cur = "   \t\n";
	TAP_CHECK(!cmdline_next(&cur, &w), "only blanks: no words");
}

static void test_flags(void)
{
	const char *cl = "selftest crash=pf verbose=1 MEMMAP";

	TAP_CHECK(cmdline_has(cl, "selftest"), "a flag");
	TAP_CHECK(cmdline_has(cl, "crash"), "a setting's name counts as the flag");
	TAP_CHECK(cmdline_has(cl, "verbose"), "verbose=1 has the name verbose");
	TAP_CHECK(!cmdline_has(cl, "selftes"), "a prefix of a word is not a word");
	TAP_CHECK(!cmdline_has(cl, "selftests"), "a longer name is not the word");
	TAP_CHECK(!cmdline_has(cl, "crash=pf"), "a whole setting is not a name");
	TAP_CHECK(!cmdline_has(cl, "memmap"), "names are case-sensitive");
	TAP_CHECK(!cmdline_has(cl, ""), "an empty name never matches");
	TAP_CHECK(!cmdline_has(NULL, "x"), "a NULL command line has nothing");
	TAP_CHECK(!cmdline_has(cl, NULL), "a NULL name never matches");
}

static void test_values(void)
{
	check_value("crash=pf", "crash", "pf");
	check_value("crash=pf crash=ud", "crash", "ud");                  /* last wins */
	check_value("crash=pf crash", "crash", "pf");                     /* a flag sets no value */
	check_value("crash", "crash", NULL);
	check_value("crash=", "crash", "");                               /* empty value */
	check_value("a=b=c", "a", "b=c");                                 /* '=' in a value */
	check_value("video=\"1024x768\"", "video", "\"1024x768\"");      /* no quoting */
	check_value("video=\"1024 x768\"", "video", "\"1024");           /* a blank ends it */
	check_value("crashes=pf", "crash", NULL);
	check_value("xcrash=pf", "crash", NULL);
	check_value("", "crash", NULL);
	check_value("crash=pf", "", NULL);
	TAP_CHECK(cmdline_value_is("selftest=pt_ selftest=frame", "selftest", "frame"),
		  "value_is sees the last setting");
	TAP_CHECK(!cmdline_value_is("crash=pf", "crash", "p"), "a prefix is not the value");
	TAP_CHECK(!cmdline_value_is("crash=pf", "crash", "pff"), "a longer string is not the value");
	TAP_CHECK(!cmdline_value_is("crash", "crash", ""), "a flag's value is not \"\"");
	TAP_CHECK(cmdline_value_is("crash=", "crash", ""), "an empty value is \"\"");
}

static const struct cmdline_option *known(const char *word)
{
	struct cmdline_word w;
	const char *cur = word;

	return cmdline_next(&cur, &w) ? cmdline_known(&w) : NULL;
}

static void test_known(void)
{
	static const char *const good[] = { "selftest", "selftest=pt_", "memmap", "fwmap",
		"framestats", "crash=pf", "video=800x600", "verbose", "gdb",
		"loader-test=late-alloc" };
	static const char *const bad[] = { "root=/dev/sdb3", "init=/sbin/init", "rootwait", "ro",
		"crash", "memmap=1", "video", "Verbose", "", "=x" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		TAP_CHECK(known(good[i]) != NULL, "\"%s\" is a known word", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TAP_CHECK(known(bad[i]) == NULL, "\"%s\" is not a known word (or not in that form)",
			  bad[i]);
	for (size_t i = 0; i < cmdline_option_count; i++) {
		const struct cmdline_option *o = &cmdline_options[i];
		TAP_CHECK(o->name && o->usage && o->help && strncmp(o->usage, o->name,
			  strlen(o->name)) == 0, "option %zu (%s) has a usage starting with its name and help",
			  i, o->name ? o->name : "(null)");
	}
}

/* The README's table of words lists every option, as `usage` (with '|'
 * escaped as "\\|" for Markdown). Run from anywhere: the path comes from
 * where this file was compiled. */
static void test_readme(void)
{
	char path[600], want[200];
	const char *f = __FILE__, *tail = strstr(f, "tests/host/");
	size_t len;

	snprintf(path, sizeof(path), "%.*sREADME.md", tail ? (int)(tail - f) : 0, f);
	char *readme = read_file(path, &len);
	if (!TAP_CHECK(readme != NULL, "%s is readable", path))
		return;
	for (size_t i = 0; i < cmdline_option_count; i++) {
		size_t o = 0;
		for (const char *u = cmdline_options[i].usage; *u && o + 3 < sizeof(want); u++) {
			if (*u == '|')
				want[o++] = '\\';
			want[o++] = *u;
		}
		want[o] = 0;
		char row[220];
		snprintf(row, sizeof(row), "| `%s` |", want);
		TAP_CHECK(strstr(readme, row) != NULL, "README.md documents %s (a row \"%s\")",
			  cmdline_options[i].name, row);
	}
	free(readme);

	/* The comment lines of the USB image's default cmdline.txt list every
	 * option too ("#   USAGE   help"). */
	snprintf(path, sizeof(path), "%.*sscripts/mkusb.sh", tail ? (int)(tail - f) : 0, f);
	char *mkusb = read_file(path, &len);
	if (!TAP_CHECK(mkusb != NULL, "%s is readable", path))
		return;
	for (size_t i = 0; i < cmdline_option_count; i++) {
		char row[200];
		snprintf(row, sizeof(row), "#   %s ", cmdline_options[i].usage);
		TAP_CHECK(strstr(mkusb, row) != NULL, "mkusb.sh's default cmdline.txt lists %s (\"%s\")",
			  cmdline_options[i].name, row);
	}
	free(mkusb);
}

int main(void)
{
	tap_plan_unknown();
	test_words();
	test_flags();
	test_values();
	test_known();
	test_readme();
	return tap_done();
}
