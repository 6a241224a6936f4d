/*
 * main.c - carto-memmap: look at a firmware memory map the way Carto would.
 *
 *   carto-memmap show [--json] [--map KIND | --index N] [FILE|-]
 *   carto-memmap plan [--json] [--no-1g] [--map KIND | --index N] [FILE|-]
 *   carto-memmap svg  [--map KIND | --index N] [FILE|-] > map.svg
 *
 * The whole input is read and parsed before anything is written, and the
 * output is built in memory and written only when complete: on bad input
 * the user gets "FILE:LINE: what is wrong" on stderr, exit status 1, and
 * nothing on stdout. Usage errors exit with 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "mapparse.h"
#include "plan.h"
#include "report.h"
#include "svg.h"

#define EXIT_BAD_INPUT 1
#define EXIT_USAGE     2
#define STDIN_NAME     "<stdin>"

enum command { CMD_SHOW, CMD_PLAN, CMD_SVG };

struct options {
	enum command cmd;
	enum out_style style;
	bool no_1g;
	int kind;                /* --map, or -1 */
	long index;              /* --index (1-based), or 0 */
	const char *file;        /* NULL or "-" for stdin */
};

static const char usage_text[] =
"usage: carto-memmap show [--json] [--map KIND | --index N] [FILE|-]\n"
"       carto-memmap plan [--json] [--no-1g] [--map KIND | --index N] [FILE|-]\n"
"       carto-memmap svg  [--map KIND | --index N] [FILE|-] > map.svg\n"
"       carto-memmap --help\n";

static const char help_text[] =
"\n"
"Reads a firmware memory map from FILE (or standard input) and shows what\n"
"Carto would make of it. Formats are detected: Carto's own dump (memmap.efi),\n"
"Linux boot logs (efi=debug prints of 2.6, 3.x, 4.x, 5.x+, arm64, the runtime\n"
"map and the memory attributes table; BIOS-e820 tables), UEFI Shell `memmap`\n"
"output (EFI 1.10 and EDK II styles, -sfo), and Xen logs. Other log lines are\n"
"ignored.\n"
"\n"
"commands:\n"
"  show   the clean map (built by the same mm/ code as Carto's loader), totals\n"
"         per type in bytes, and every problem found, as FILE:LINE\n"
"  plan   how Carto would map it: direct-map pages by size, page-table frames,\n"
"         page-table window chunks, allocator metadata, what is not mapped and\n"
"         which ranges were dropped and why\n"
"  svg    an SVG picture of the physical address space on standard output\n"
"\n"
"options:\n"
"  --json       machine-readable output (show, plan)\n"
"  --no-1g      plan for a CPU without 1 GiB pages\n"
"  --map KIND   analyse the first map of KIND: efi, e820, runtime, memattr\n"
"               (default: efi, else e820, else runtime, else memattr)\n"
"  --index N    analyse the N-th map found (`show` lists them)\n"
"\n"
"exit status: 0 done, 1 bad input (message FILE:LINE: problem), 2 bad usage\n";

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "carto-memmap: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* Parse argv into o. Returns -1 on a usage error (message printed), 1 if
 * --help was asked (help printed), else 0. */
static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = -1;
	if (argc < 2)
		return usage("no command given"), -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		return 1;
	}
	if (!strcmp(argv[1], "show"))
		o->cmd = CMD_SHOW;
	else if (!strcmp(argv[1], "plan"))
		o->cmd = CMD_PLAN;
	else if (!strcmp(argv[1], "svg"))
		o->cmd = CMD_SVG;
	else
		return usage("unknown command"), -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json") && o->cmd != CMD_SVG) {
			o->style = OUT_JSON;
		} else if (!strcmp(a, "--no-1g") && o->cmd == CMD_PLAN) {
			o->no_1g = true;
		} else if (!strcmp(a, "--map") && i + 1 < argc) {
			o->kind = map_kind_from_name(argv[++i]);
			if (o->kind < 0)
				return usage("--map takes efi, e820, runtime or memattr"), -1;
		} else if (!strcmp(a, "--index") && i + 1 < argc) {
			char *end;
			errno = 0;
			o->index = strtol(argv[++i], &end, 10);
			if (errno || *end || o->index < 1)
				return usage("--index takes a number from 1"), -1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "carto-memmap: unknown option or missing value: %s\n", a);
			return usage(NULL), -1;
		} else if (o->file) {
			return usage("more than one input file"), -1;
		} else {
			o->file = a;
		}
	}
	if (o->kind >= 0 && o->index > 0)
		return usage("--map and --index exclude each other"), -1;
	return 0;
}

/* Read all of f into a malloc'd buffer (at most MAPPARSE_MAX_INPUT + 1
 * bytes, so too large an input is noticed). Returns NULL on error. */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t want = cap - n;
		size_t got = fread(buf + n, 1, want, f);
		n += got;
		if (got < want)
			break;
		if (n > MAPPARSE_MAX_INPUT)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Which map to analyse, per the options; -1 (message printed) if none. */
static long pick_map(const struct map_file *mf, const struct options *o,
		     const char *name)
{
	if (o->index > 0) {
		if ((size_t)o->index > mf->count) {
			fprintf(stderr, "%s: --index %ld: the input holds %zu map%s\n", name,
				o->index, mf->count, mf->count == 1 ? "" : "s");
			return -1;
		}
		return o->index - 1;
	}
	if (o->kind >= 0) {
		long k = mapfile_find_kind(mf, (enum map_kind)o->kind);
		if (k < 0)
			fprintf(stderr, "%s: no %s map in the input\n", name,
				map_kind_name((enum map_kind)o->kind));
		return k;
	}
	return (long)mapfile_default(mf);
}

/* Produce the command's output for map index of mf into out. */
static int run(const struct options *o, const char *name, const struct map_file *mf,
	       size_t index, FILE *out)
{
	struct analysis a;
	struct plan p;
	char err[200];

	if (analyze_map(&a, mf, index, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		analysis_free(&a);
		return EXIT_BAD_INPUT;
	}
	switch (o->cmd) {
	case CMD_SHOW:
		report_show(out, name, &a, o->style);
		break;
	case CMD_PLAN:
		plan_make(&a.clean, a.map, !o->no_1g, &p);
		report_plan(out, name, &a, &p, o->style);
		break;
	case CMD_SVG:
		svg_write(out, name, &a);
		break;
	}
	analysis_free(&a);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct map_file mf;
	struct parse_error perr;
	char *data, *text = NULL;
	size_t len = 0, text_len = 0;
	FILE *in = stdin, *out;
	int r = parse_args(argc, argv, &o);

	if (r != 0)
		return r > 0 ? 0 : EXIT_USAGE;
	const char *name = o.file && strcmp(o.file, "-") ? o.file : STDIN_NAME;
	if (in == stdin && o.file && strcmp(o.file, "-")) {
		in = fopen(o.file, "rb");
		if (!in) {
			fprintf(stderr, "%s: cannot open: %s\n", name, strerror(errno));
			return EXIT_BAD_INPUT;
		}
	}
	data = read_all(in, &len);
	if (in != stdin)
		fclose(in);
	if (!data) {
		fprintf(stderr, "%s: cannot read: %s\n", name, errno ? strerror(errno) : "out of memory");
		return EXIT_BAD_INPUT;
	}
	if (mapfile_parse(&mf, data, len, &perr) < 0) {
		if (perr.line)
			fprintf(stderr, "%s:%u: %s\n", name, perr.line, perr.msg);
		else
			fprintf(stderr, "%s: %s\n", name, perr.msg);
		free(data);
		return EXIT_BAD_INPUT;
	}
	free(data);
	long index = pick_map(&mf, &o, name);
	r = EXIT_BAD_INPUT;
	out = index >= 0 ? open_memstream(&text, &text_len) : NULL;
	if (out) {
		r = run(&o, name, &mf, (size_t)index, out);
		if (fclose(out) != 0)
			r = EXIT_BAD_INPUT;
	}
	if (r == 0 && (fwrite(text, 1, text_len, stdout) != text_len || fflush(stdout) != 0)) {
		fprintf(stderr, "carto-memmap: writing the output: %s\n", strerror(errno));
		r = EXIT_BAD_INPUT;
	}
	free(text);
	mapfile_free(&mf);
	return r;
}
