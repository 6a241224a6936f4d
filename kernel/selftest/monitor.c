/*
 * monitor.c - self-tests of the monitor's pieces that run without typing
 * (tests/boot/monitor.py types at it): the hex parser commands use, and
 * the registered commands' help fitting an 80-column screen.
 */
#include "klib.h"
#include "monitor.h"
#include "selftest.h"

extern const struct monitor_command __moncmds_start[], __moncmds_end[];

#define HELP_USAGE_WIDTH 18      /* monitor.c's help column */
#define SCREEN_COLUMNS   80

SELFTEST(monitor_parse_hex)
{
	static const struct { const char *s; bool ok; uint64_t v; } cases[] = {
		{ "0", true, 0 }, { "1f", true, 0x1f }, { "0x1F", true, 0x1f },
		{ "0XaBc", true, 0xabc }, { "ffffffff80000000", true, 0xffffffff80000000ull },
		{ "0xffffffffffffffff", true, UINT64_MAX },
		{ "", false, 0 }, { "0x", false, 0 }, { "xyz", false, 0 }, { "12g", false, 0 },
		{ "-1", false, 0 }, { "0x1ffffffffffffffff", false, 0 }, { "1 2", false, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 0x5a5a;
		bool ok = monitor_parse_hex(cases[i].s, &v);
		ST_CHECK(ok == cases[i].ok && v == (ok ? cases[i].v : 0x5a5a),
			 "\"%s\": %s %lx", cases[i].s, ok ? "read" : "refused", v);
	}
}

SELFTEST(monitor_commands_fit_help)
{
	unsigned n = 0;

	for (const struct monitor_command *c = __moncmds_start; c < __moncmds_end; c++, n++) {
		size_t usage = strlen(c->name) + (c->args[0] ? 1 + strlen(c->args) : 0);
		ST_CHECK(usage <= HELP_USAGE_WIDTH && 2 + HELP_USAGE_WIDTH + 1 + strlen(c->help) <=
			 SCREEN_COLUMNS, "'%s %s': usage %zu characters, help line %zu", c->name,
			 c->args, usage, 2 + HELP_USAGE_WIDTH + 1 + strlen(c->help));
	}
	ST_CHECK(n >= 8, "only %u commands registered (help, report, memmap, fwmap, iomem, "
		 "frames, pt, selftest at least)", n);
}
