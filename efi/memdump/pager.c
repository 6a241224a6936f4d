/*
 * pager.c - show long text a screenful at a time, so the dump can be read
 * on a machine without a serial port.
 */
#include "efiutil.h"
#include "memdump.h"

static const char more_prompt[] =
	"-- more: any key for the next page, 'c' to go on without stopping --";

/* Switch to the text mode with the most columns (rows break ties), so
 * table rows wrap less. Keeps the current mode if the firmware refuses. */
static void pick_widest_mode(SIMPLE_TEXT_OUTPUT_INTERFACE *out)
{
	INTN best = -1;
	UINTN best_cols = 0, best_rows = 0;

	for (INTN mode = 0; mode < out->Mode->MaxMode; mode++) {
		UINTN cols, rows;
		if (EFI_ERROR(out->QueryMode(out, (UINTN)mode, &cols, &rows)))
			continue;
		if (cols > best_cols || (cols == best_cols && rows > best_rows)) {
			best = mode;
			best_cols = cols;
			best_rows = rows;
		}
	}
	if (best >= 0 && best != out->Mode->Mode)
		out->SetMode(out, (UINTN)best);
}

void pager_init(struct pager *p, EFI_SYSTEM_TABLE *st, bool allow_paging)
{
	p->out = st->ConOut;
	p->in = st->ConIn;
	p->bs = st->BootServices;
	p->cols = p->rows = p->rows_used = 0;
	p->paging = p->interactive = false;
	if (!allow_paging || !p->out || !p->in || !p->out->Mode)
		return;
	pick_widest_mode(p->out);
	if (EFI_ERROR(p->out->QueryMode(p->out, (UINTN)p->out->Mode->Mode,
					&p->cols, &p->rows)) ||
	    p->cols == 0 || p->rows < 2)
		return;
	p->in->Reset(p->in, FALSE);   /* forget keys pressed before we ran */
	p->paging = true;
	p->interactive = true;
}

/* Wait for one key; returns its character (0 for special keys). Turns
 * paging off if the console cannot deliver keys. */
static CHAR16 read_key(struct pager *p)
{
	EFI_INPUT_KEY key = { 0 };
	UINTN index;

	if (EFI_ERROR(p->bs->WaitForEvent(1, &p->in->WaitForKey, &index)) ||
	    EFI_ERROR(p->in->ReadKeyStroke(p->in, &key))) {
		p->paging = p->interactive = false;
		return 0;
	}
	return key.UnicodeChar;
}

static void erase_line(struct pager *p)
{
	efiu_con_puts(p->out, "\r");
	for (UINTN i = 0; i + 1 < p->cols; i++)
		efiu_con_puts(p->out, " ");
	efiu_con_puts(p->out, "\r");
}

static void pause_for_key(struct pager *p)
{
	efiu_con_puts(p->out, more_prompt);
	CHAR16 c = read_key(p);
	erase_line(p);
	if (c == L'c' || c == L'C')
		p->paging = false;
	p->rows_used = 0;
}

/* Screen rows a line of @len characters takes (a line exactly as wide as
 * the screen may wrap once more on some consoles; count it as two). */
static UINTN line_rows(const struct pager *p, size_t len)
{
	return len / p->cols + 1;
}

/* Show one line; @len counts its '\n'. */
static void write_line(struct pager *p, const char *line, size_t len)
{
	if (p->paging) {
		UINTN need = line_rows(p, len - 1);
		if (p->rows_used > 0 && p->rows_used + need > p->rows - 1)
			pause_for_key(p);
		p->rows_used += need;
	}
	efiu_con_write(p->out, line, len);
}

void pager_write(struct pager *p, const char *text, size_t len)
{
	size_t start = 0;

	if (!p->out)
		return;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			write_line(p, text + start, i + 1 - start);
			start = i + 1;
		}
	}
	if (start < len)   /* a last line without its newline */
		efiu_con_write(p->out, text + start, len - start);
}

void pager_puts(struct pager *p, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	pager_write(p, s, n);
}

void pager_wait_key(struct pager *p, const char *prompt)
{
	if (!p->out || !p->interactive)
		return;
	efiu_con_puts(p->out, prompt);
	read_key(p);
	efiu_con_puts(p->out, "\n");
}
