/*
 * mapparse_int.h - what the format readers of mapparse share: a cursor
 * over one line of text, number readers that notice values wider than 64
 * bits, and the parser state with its map-building calls.
 *
 * Each format reader (mapparse_carto.c, _linux.c, _e820.c, _shell.c) offers
 * a line function that answers LINE_NOT_MINE (not this format: try the
 * next reader), LINE_MINE (consumed) or LINE_ERROR (it was this format but
 * broken; the error is set). Internal to tools/mapparse*.c.
 */
#ifndef CARTO_MAPPARSE_INT_H
#define CARTO_MAPPARSE_INT_H

#include <stdarg.h>
#include <stdbool.h>

#include "mapparse.h"

typedef unsigned __int128 u128;

#define U64_LIMIT ((u128)1 << 64)   /* first value that does not fit */

enum line_result { LINE_ERROR = -1, LINE_NOT_MINE = 0, LINE_MINE = 1 };

/* ---- a cursor over one line ---------------------------------------------- */

struct cur {
	const char *p;       /* next character */
	const char *end;     /* one past the last character of the line */
};

static inline bool cur_eol(const struct cur *c)
{
	return c->p >= c->end;
}

static inline char cur_peek(const struct cur *c)
{
	return cur_eol(c) ? '\0' : *c->p;
}

static inline bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static inline bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static inline char to_lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Value of hex digit ch, or -1. */
static inline int hex_value(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	ch = to_lower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Skip blanks; returns how many were skipped. */
size_t cur_skip_spaces(struct cur *c);

/* If the text at the cursor is @s (exactly / ignoring case), step over it. */
bool cur_lit(struct cur *c, const char *s);
bool cur_lit_ci(struct cur *c, const char *s);

/* True if the text [s, e) is @name, ignoring case. */
bool span_equal_ci(const char *s, const char *e, const char *name);

/* Position of the first @s in the rest of the line, or NULL. */
const char *cur_find(const struct cur *c, const char *s);

enum num_result {
	NUM_NONE,   /* no digit at the cursor (nothing consumed) */
	NUM_OK,     /* read into the u128 */
	NUM_HUGE,   /* more than 128 bits of digits (all consumed) */
};

/* Read hex digits (no prefix) / "0x" plus hex digits / decimal digits.
 * @ndigits (may be NULL) gets the count of digits read. */
enum num_result cur_hex(struct cur *c, u128 *v, unsigned *ndigits);
enum num_result cur_hex0x(struct cur *c, u128 *v);
enum num_result cur_dec(struct cur *c, u128 *v);

/* ---- the parser ------------------------------------------------------------ */

/* An e820 entry waiting for its table to end: [start, end) in bytes. */
struct e820_ent {
	u128 start, end;
	uint32_t efi_type;
	uint32_t e820_type;          /* the number, when the text gave one */
	bool ram;                    /* usable: rounded inward */
	bool known;                  /* false: unknown e820 type, made reserved */
	bool soft_reserved;
	unsigned line;
};

/* Where the Carto dump reader is. */
enum carto_state {
	CARTO_OUTSIDE,        /* not in a dump */
	CARTO_HEADER,         /* after "Carto memory map dump v1" */
	CARTO_ROWS,           /* after the "descriptors:" line */
	CARTO_TRAILER,        /* after "end of map": totals, warnings */
	CARTO_MEMATTR,        /* in the memory attributes table section */
	CARTO_RESERVATIONS,   /* in the kernel's frame allocator section */
};

struct parser {
	struct map_file *mf;
	struct parse_error *err;
	long cur;                    /* index of the open map, or -1 */

	/* What the last section header said about the next map. */
	bool pending;
	enum map_kind pending_kind;
	enum map_format pending_format;
	bool pending_partial;
	char pending_label[80];

	/* Carto dump reader. */
	enum carto_state carto;
	uint64_t carto_expect;       /* rows the current section announced */
	uint64_t carto_rows;         /* rows read in it */
	unsigned carto_start_line;
	long carto_map;              /* the dump's firmware map, or -1 */

	/* e820 entries of the open map, converted when it closes. */
	struct e820_ent *e820;
	size_t e820_count, e820_cap;
	char e820_source[64];        /* label of the source the open table has */
};

/* Set the error (line 0 = whole file) and return LINE_ERROR. */
int mp_error(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * mp_want_num - check a number just read for a field: an error "@prefix
 * expected @what" if there was none (NUM_NONE), "@prefix@what is too large"
 * if it does not fit below @limit; else 0. @prefix names the format in the
 * message ("Carto dump: ") or is "".
 */
int mp_want_num(struct parser *p, unsigned line, const char *prefix, enum num_result r,
		u128 v, u128 limit, const char *what);

/* Add a note to map @m; never fails (notes past memory are dropped). */
void mp_note(struct parsed_map *m, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The open map, or NULL. */
struct parsed_map *mp_current(struct parser *p);

/*
 * mp_continue - the open map if it has this kind and format, else NULL.
 */
struct parsed_map *mp_continue(struct parser *p, enum map_kind kind,
			       enum map_format fmt);

/*
 * mp_begin - close the open map and open a new one. A pending section
 * header, if any, supplies kind, label and partial flag (and is used up);
 * else @kind and @label. Returns the new map or NULL (error set).
 */
struct parsed_map *mp_begin(struct parser *p, enum map_kind kind,
			    enum map_format fmt, const char *label, unsigned line);

/* Close the open map (run its format's end checks). Returns 0 or -1. */
int mp_close(struct parser *p);

/* A section header: close the open map; the next map gets these. */
int mp_header(struct parser *p, enum map_kind kind, enum map_format fmt,
	      const char *label, bool partial);

/*
 * mp_add_range - append a descriptor for [start, end) to the open map.
 * start must fit 64 bits; the length must be a whole number of 4 KiB pages
 * whose count fits 64 bits. An end past 2^64 is kept (the descriptor then
 * overflows and memmap_from_efi reports it). Returns 0 or -1 (error set).
 */
int mp_add_range(struct parser *p, unsigned line, uint32_t type, uint64_t attr,
		 u128 start, u128 end);

/* Append a descriptor as given. Returns 0 or -1 (error set). */
int mp_add_desc(struct parser *p, unsigned line, const struct efi_mem_desc *d);

/* Format a u128 as 0x-hex into buf (at least 40 bytes). */
const char *u128_hex(char *buf, u128 v);

/* ---- the format readers ---------------------------------------------------- */

int carto_line(struct parser *p, struct cur line, unsigned no);
int carto_eof(struct parser *p, unsigned last_line);

int linux_line(struct parser *p, struct cur line, unsigned no);
int linux_addr_line(struct parser *p, struct cur line, unsigned no);
int linux_header(struct parser *p, struct cur line, unsigned no);
int linux_finish(struct parser *p, struct parsed_map *m);
bool linux_wants_join(struct cur line, struct cur next);

int xen_efi_line(struct parser *p, struct cur line, unsigned no);

int e820_line(struct parser *p, struct cur line, unsigned no);
int e820_finish(struct parser *p, struct parsed_map *m);

int shell_line(struct parser *p, struct cur line, unsigned no);
int shell_finish(struct parser *p, struct parsed_map *m);

#endif
