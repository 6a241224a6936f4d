/*
 * main.c - Carto's memory-map dump tool: print the firmware memory map
 * (and the Memory Attributes Table) as a table, write the same report to
 * \carto-memmap[-N].txt on the volume it was started from, and say where.
 *
 * It runs from the UEFI Shell ("memmap.efi nopause"), as a boot entry, or
 * as \EFI\BOOT\BOOTX64.EFI on a stick. Options: see memdump.h.
 */
#include "efiutil.h"
#include "fatal.h"
#include "memdump.h"
#include "report.h"
#include "textbuf.h"

/* EFI_MEMORY_ATTRIBUTES_TABLE_GUID (UEFI 2.10, section 4.6.4). */
#define MEMORY_ATTRIBUTES_TABLE_GUID \
	{ 0xdcfa911d, 0x26eb, 0x469f, \
	  { 0xa2, 0x20, 0x38, 0xb7, 0xdc, 0x46, 0x12, 0x20 } }

/* The table's header; descriptors follow, DescriptorSize bytes apart. */
struct efi_mat_header {
	UINT32 Version;
	UINT32 NumberOfEntries;
	UINT32 DescriptorSize;
	UINT32 Flags;             /* "Reserved" in version 1 */
};

#define MSG_BYTES 256
#define VENDOR_CHARS 128
/* Characters of load options looked at. */
#define LOAD_OPTION_CHARS 512
/* Characters of an unknown option word quoted back. */
#define OPTION_WORD_CHARS 32

/* ---- options ------------------------------------------------------------ */

static bool word_is(const char *w, size_t n, const char *name)
{
	size_t i = 0;

	for (; i < n && name[i]; i++)
		if ((w[i] | 0x20) != name[i])   /* ASCII letters, any case */
			return false;
	return i == n && !name[i];
}

/* Apply one option word; returns false if it is not an option. */
static bool apply_word(struct options *o, const char *w, size_t n)
{
	while (n > 0 && (*w == '-' || *w == '/')) {
		w++;
		n--;
	}
	if (word_is(w, n, "nopause"))
		o->nopause = true;
	else if (word_is(w, n, "shutdown"))
		o->shutdown = true;
	else if (word_is(w, n, "batch"))
		o->nopause = o->shutdown = true;
	else
		return false;
	return true;
}

static void report_unknown(struct textbuf *tb, const char *source,
			   const char *w, size_t n)
{
	char word[OPTION_WORD_CHARS];
	size_t i = 0;

	for (; i < n && i + 1 < sizeof(word); i++)
		word[i] = w[i];
	word[i] = '\0';
	tb_printf(tb, "memmap: %s: unknown option '%s%s' ignored (options: "
		  "nopause, shutdown, batch)\n", source, word,
		  i < n ? "..." : "");
}

/*
 * Apply every option word in @text. Unknown words are reported in @tb,
 * except the first word of a command line (@skip_first), which is the
 * program's own name when started from the shell.
 */
static void parse_options(struct options *o, const char *text,
			  bool skip_first, const char *source,
			  struct textbuf *tb)
{
	bool first = true;

	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (p == w)
			break;
		if (!apply_word(o, w, (size_t)(p - w)) && !(first && skip_first))
			report_unknown(tb, source, w, (size_t)(p - w));
		first = false;
	}
}

/* The load options as ASCII text (empty if there are none). */
static void load_options_text(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
			      char *buf, size_t cap)
{
	static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	size_t i = 0;

	buf[0] = '\0';
	if (EFI_ERROR(bs->HandleProtocol(image, &loaded_image_guid,
					 (void **)&li)) ||
	    !li->LoadOptions)
		return;
	const CHAR16 *w = li->LoadOptions;
	size_t chars = li->LoadOptionsSize / sizeof(CHAR16);
	for (; i < chars && i + 1 < cap && w[i]; i++)
		buf[i] = (w[i] >= 0x20 && w[i] < 0x7f) ? (char)w[i] : ' ';
	buf[i] = '\0';
}

/* ---- the report --------------------------------------------------------- */

static const struct mat_view *find_mat(EFI_SYSTEM_TABLE *st,
				       struct mat_view *view)
{
	static EFI_GUID guid = MEMORY_ATTRIBUTES_TABLE_GUID;
	const struct efi_mat_header *h = efiu_config_table(st, &guid);

	if (!h)
		return NULL;
	view->version = h->Version;
	view->count = h->NumberOfEntries;
	view->desc_size = h->DescriptorSize;
	view->flags = h->Flags;
	view->entries = h + 1;
	return view;
}

/*
 * Build the report for the map in @map into pool memory. On failure
 * returns the allocation's status and writes why into @msg (@cap bytes).
 */
static EFI_STATUS build_report(EFI_SYSTEM_TABLE *st,
			       const struct efiu_map *map, struct textbuf *tb,
			       char *msg, size_t cap)
{
	char vendor[VENDOR_CHARS];
	struct mat_view mat_view;
	void *storage;

	efiu_ucs2_to_ascii(st->FirmwareVendor, vendor, sizeof(vendor));
	struct dump_input in = {
		.fw_vendor = vendor[0] ? vendor : "(none)",
		.fw_revision = st->FirmwareRevision,
		.uefi_revision = st->Hdr.Revision,
		.map = map->buf,
		.map_size = map->size,
		.desc_size = map->desc_size,
		.desc_version = map->desc_version,
		.mat = find_mat(st, &mat_view),
	};
	size_t bytes = report_size_bound(&in);
	EFI_STATUS s = st->BootServices->AllocatePool(EfiLoaderData, bytes,
						      &storage);
	if (EFI_ERROR(s)) {
		fmt_buf(msg, cap, "memmap: cannot allocate %zu bytes for the "
			"report (%s)\n", bytes, efiu_status_text(s));
		return s;
	}
	tb_init(tb, storage, bytes);
	report_build(tb, &in);
	return EFI_SUCCESS;
}

/* ---- main --------------------------------------------------------------- */

/* Read options from the load options and the option file on @root. */
static void read_options(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
			 EFI_FILE_HANDLE root, struct options *o,
			 struct textbuf *notes)
{
	char cmdline[LOAD_OPTION_CHARS], file[MEMDUMP_OPTION_FILE_MAX];

	load_options_text(bs, image, cmdline, sizeof(cmdline));
	parse_options(o, cmdline, true, "load options", notes);
	if (root && volume_read_small(root, MEMDUMP_OPTION_FILE, file,
				      sizeof(file)))
		parse_options(o, file, false, "\\carto-memmap.opt", notes);
}

/*
 * Save the report on @root; writes the line to show afterwards into @line
 * (@cap bytes): where the report went, or why it could not be saved.
 */
static void save_report(EFI_FILE_HANDLE root, const char *root_why,
			const struct textbuf *report, char *line, size_t cap)
{
	char msg[MSG_BYTES];

	if (!root)
		fmt_buf(line, cap, "memmap: report not saved: %s\n", root_why);
	else if (volume_save_dump(root, report->data, report->len, msg,
				  sizeof(msg)))
		fmt_buf(line, cap, "memmap: report %s on the volume this tool "
			"was started from\n", msg);
	else
		fmt_buf(line, cap, "memmap: report not saved: %s\n", msg);
}

/*
 * Snapshot the map, build the report, save it on @root (if any), show it
 * and say where it went. Returns the first firmware error.
 */
static EFI_STATUS dump(EFI_SYSTEM_TABLE *st, EFI_FILE_HANDLE root,
		       const char *root_why, struct pager *pg)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	struct efiu_map map = { 0 };
	struct textbuf report;
	char msg[MSG_BYTES * 2];

	struct efiu_map_mem pool = efiu_map_pool(bs);
	EFI_STATUS s = efiu_map_get(bs, &map, &pool);
	if (EFI_ERROR(s)) {
		fmt_buf(msg, sizeof(msg), "memmap: GetMemoryMap failed: %s\n",
			efiu_status_text(s));
		pager_puts(pg, msg);
		return s;
	}
	s = build_report(st, &map, &report, msg, sizeof(msg));
	efiu_map_free(bs, &map);   /* the report holds all we need */
	if (EFI_ERROR(s)) {
		pager_puts(pg, msg);
		return s;
	}
	/* Save before showing: the user may never page to the end. */
	if (report.truncated)
		fmt_buf(msg, sizeof(msg), "memmap: report not saved: it did not "
			"fit its buffer (a bug; please report it)\n");
	else
		save_report(root, root_why, &report, msg, sizeof(msg));
	pager_write(pg, report.data, report.len);
	pager_puts(pg, msg);
	bs->FreePool(report.data);
	return EFI_SUCCESS;
}

/* True if the firmware is U-Boot ("Das U-Boot"), whatever its version. */
static bool is_uboot(const EFI_SYSTEM_TABLE *st)
{
	static const char name[] = "Das U-Boot";
	const CHAR16 *v = st->FirmwareVendor;

	for (size_t i = 0; name[i]; i++)
		if (!v || v[i] != (CHAR16)name[i])
			return false;
	return true;
}

/* The console for mm_fatal, set first thing in efi_main. */
static SIMPLE_TEXT_OUTPUT_INTERFACE *fatal_out;

/* mm_fatal (fatal.h) for the dump tool: a line on the console, then halt
 * (the mm/ code it runs has no broken invariant to report in practice). */
void mm_fatal(const char *caller, const char *what, uint64_t value)
{
	char msg[192];

	fmt_buf(msg, sizeof(msg), "\nmemmap: fatal: %s: %s (%llx)\n", caller, what,
		(unsigned long long)value);
	if (fatal_out)
		efiu_con_puts(fatal_out, msg);
	for (;;)
		__asm__ volatile("hlt");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	struct options opt = { 0 };
	struct textbuf notes;
	char notes_buf[MSG_BYTES * 4], root_why[MSG_BYTES];
	struct pager pg;

	fatal_out = st->ConOut;
	bs->SetWatchdogTimer(0, 0, 0, NULL);   /* reading takes its time */
	tb_init(&notes, notes_buf, sizeof(notes_buf));
	EFI_FILE_HANDLE root = volume_open(bs, image, root_why,
					   sizeof(root_why));
	read_options(bs, image, root, &opt, &notes);
	pager_init(&pg, st, !opt.nopause);
	pager_write(&pg, notes.data, notes.len);

	EFI_STATUS s = dump(st, root, root_why, &pg);
	if (root)
		root->Close(root);
	if (opt.shutdown) {
		/* U-Boot's x86 UEFI has no power-off: its ResetSystem
		 * (EfiResetShutdown) spins forever (seen with Debian's
		 * u-boot-qemu 2023.01), so it is not called there. */
		if (!is_uboot(st)) {
			pager_puts(&pg, "memmap: powering off\n");
			st->RuntimeServices->ResetSystem(EfiResetShutdown, s, 0, NULL);
		}
		pager_puts(&pg, "memmap: this firmware cannot power off; switch the "
			   "machine off yourself\n");
		if (!opt.nopause)
			pager_wait_key(&pg, "memmap: press any key to return to the firmware");
		pager_puts(&pg, "memmap: returning to the firmware\n");
		return s;
	}
	pager_wait_key(&pg, "memmap: press any key to return to the firmware");
	return s;
}
