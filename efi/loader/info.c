/*
 * info.c - collect what the kernel needs from the firmware before exit:
 * the framebuffer, the ACPI RSDP, the firmware's identity, the command line,
 * the runtime-services table and the Memory Attributes Table.
 */
#include "loader.h"

/* Bytes per pixel of @fb: 4 for the 8-bit-per-colour formats, else up to
 * the highest bit of any mask (a 5:6:5 mode has 2). */
static uint64_t fb_bytes_per_pixel(const struct handoff_fb *fb)
{
	uint64_t all = fb->mask_r | fb->mask_g | fb->mask_b | fb->mask_x;
	uint64_t bits = 0;

	if (fb->format != FB_BITMASK)
		return 4;
	while (all >> bits)
		bits++;
	return bits ? (bits + 7) / 8 : 4;
}

void collect_framebuffer(struct handoff *h)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_STATUS st;

	fw_guard("GOP query after ExitBootServices");
	st = BS->LocateProtocol(&GraphicsOutputProtocol, NULL, (void **)&gop);
	if (EFI_ERROR(st) || !gop || !gop->Mode || !gop->Mode->Info) {
		h->fb.format = FB_NONE;
		return;
	}
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
	h->fb.base = gop->Mode->FrameBufferBase;
	h->fb.size = gop->Mode->FrameBufferSize;
	h->fb.width = info->HorizontalResolution;
	h->fb.height = info->VerticalResolution;
	h->fb.stride = info->PixelsPerScanLine;
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor: h->fb.format = FB_RGBX; break;
	case PixelBlueGreenRedReserved8BitPerColor: h->fb.format = FB_BGRX; break;
	case PixelBitMask:
		h->fb.format = FB_BITMASK;
		h->fb.mask_r = info->PixelInformation.RedMask;
		h->fb.mask_g = info->PixelInformation.GreenMask;
		h->fb.mask_b = info->PixelInformation.BlueMask;
		h->fb.mask_x = info->PixelInformation.ReservedMask;
		break;
	default: h->fb.format = FB_BLT_ONLY; break;
	}
	/* Firmware is bad input: a framebuffer smaller than its own geometry
	 * would let the console write past the end of the device. */
	if (h->fb.format != FB_BLT_ONLY &&
	    (h->fb.stride < h->fb.width ||
	     (uint64_t)h->fb.stride * h->fb.height * fb_bytes_per_pixel(&h->fb) > h->fb.size ||
	     h->fb.base == 0)) {
		Print(L"carto: ignoring inconsistent GOP framebuffer (%ux%u stride %u, %lu bytes)\r\n",
		      h->fb.width, h->fb.height, h->fb.stride, h->fb.size);
		h->fb.format = FB_NONE;
	}
}

static bool rsdp_valid(const uint8_t *p, uint32_t *revision)
{
	static const char sig[8] = "RSD PTR ";
	uint8_t sum = 0;

	if (!p || memcmp(p, sig, 8) != 0)
		return false;
	for (int i = 0; i < 20; i++)   /* the ACPI 1.0 part */
		sum += p[i];
	if (sum != 0)
		return false;
	*revision = p[15] >= 2 ? 2 : 1;
	return true;
}

void collect_acpi(struct handoff *h)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const EFI_GUID *want[2] = { &acpi20, &acpi10 };

	for (int w = 0; w < 2 && !h->rsdp; w++) {
		for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
			EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
			uint32_t rev;
			if (CompareGuid(&t->VendorGuid, (EFI_GUID *)want[w]) != 0)
				continue;
			if (rsdp_valid(t->VendorTable, &rev)) {
				h->rsdp = (paddr_t)t->VendorTable;
				h->rsdp_revision = rev;
				break;
			}
			Print(L"carto: ignoring ACPI table entry with a bad RSDP at %lx\r\n",
			      (uint64_t)t->VendorTable);
		}
	}
}

/* EFI_MEMORY_ATTRIBUTES_TABLE_GUID (UEFI 2.10, 4.6.4); gnu-efi lacks it. */
#define MAT_GUID { 0xdcfa911d, 0x26eb, 0x469f, { 0xa2, 0x20, 0x38, 0xb7, 0xdc, 0x46, 0x12, 0x20 } }

/* Copy the Memory Attributes Table at @mat into h->efi_mat if it fits.
 * Only its size is checked here; the kernel checks the contents. */
static void copy_mat(struct handoff *h, const struct efi_mat_header *mat)
{
	uint64_t bytes;

	if (!mat) {
		h->efi_mat_status = HANDOFF_MAT_BAD_HEADER;
		return;
	}
	bytes = sizeof(*mat) + (uint64_t)mat->entries * mat->desc_size;   /* < 2^65: no wrap */
	if (bytes > UINT32_MAX) {
		h->efi_mat_status = HANDOFF_MAT_BAD_HEADER;
		return;
	}
	h->efi_mat_size = (uint32_t)bytes;
	if (bytes > HANDOFF_MAT_MAX) {
		h->efi_mat_status = HANDOFF_MAT_TOO_BIG;
		return;
	}
	fast_copy(h->efi_mat, mat, bytes);
	h->efi_mat_status = HANDOFF_MAT_COPIED;
}

void collect_runtime(struct handoff *h)
{
	EFI_GUID mat = MAT_GUID;

	fw_guard("runtime-services query after ExitBootServices");
	h->efi_rt = (paddr_t)ST->RuntimeServices;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (CompareGuid(&t->VendorGuid, &mat) == 0) {
			copy_mat(h, t->VendorTable);
			return;
		}
	}
}

void collect_firmware_id(struct handoff *h)
{
	const CHAR16 *v = ST->FirmwareVendor;
	size_t i = 0;

	for (; v && v[i] && i < HANDOFF_VENDOR_MAX - 1; i++)
		h->fw_vendor[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	h->fw_vendor[i] = 0;
	h->fw_revision = ST->FirmwareRevision;
	h->uefi_revision = ST->Hdr.Revision;
}

/* Append the printable characters of @s[0..@n) (char or CHAR16, read
 * through @at; a tab becomes a space, other control bytes such as a UTF-8
 * BOM's are dropped), blanks at either end dropped, to h->cmdline, after
 * one space if it is not empty. Records @source if anything was added, and
 * CMDLINE_TRUNCATED if the line filled up. */
static void cmdline_append(struct handoff *h, uint32_t source, UINTN n,
			   unsigned (*at)(const void *, UINTN), const void *s)
{
	size_t start = strlen(h->cmdline), o = start;
	UINTN i = 0;

	while (i < n && (at(s, i) == ' ' || at(s, i) == '\t'))
		i++;
	while (n > i && (at(s, n - 1) == ' ' || at(s, n - 1) == '\t'))
		n--;
	for (; i < n; i++) {
		unsigned c = at(s, i) == '\t' ? ' ' : at(s, i);
		bool sep = o == start && start > 0;
		if (c < 0x20 || c > 0x7e)
			continue;
		if (o + sep + 1 > HANDOFF_CMDLINE_MAX - 1) {
			h->cmdline_source |= CMDLINE_TRUNCATED;
			break;
		}
		if (sep)
			h->cmdline[o++] = ' ';
		h->cmdline[o++] = (char)c;
	}
	h->cmdline[o] = 0;
	if (o > start)
		h->cmdline_source |= source;
}

static unsigned char_at(const void *s, UINTN i) { return ((const unsigned char *)s)[i]; }
static unsigned char16_at(const void *s, UINTN i) { return ((const CHAR16 *)s)[i]; }

/*
 * The load options are words for Carto only if they are printable UCS-2
 * text: firmware boot managers often pass binary data there (EDK II tags
 * its auto-created boot options with a GUID), which is ignored. From the
 * UEFI Shell the first word is the program's own name, which is dropped.
 */
static void cmdline_from_options(struct handoff *h, const CHAR16 *opt, UINTN bytes)
{
	UINTN n = bytes / sizeof(CHAR16), i = 0;

	if (!opt || bytes == 0 || bytes % 2)
		return;
	while (n && opt[n - 1] == 0)
		n--;
	for (UINTN k = 0; k < n; k++)
		if (opt[k] < 0x20 || opt[k] > 0x7e)
			return;
	/* Skip a first word ending in ".efi" (the shell passes argv[0]). */
	UINTN end = 0;
	while (end < n && opt[end] != ' ')
		end++;
	if (end >= 4 && (opt[end - 1] | 0x20) == 'i' && (opt[end - 2] | 0x20) == 'f' &&
	    (opt[end - 3] | 0x20) == 'e' && opt[end - 4] == '.')
		i = end;
	while (i < n && opt[i] == ' ')
		i++;
	cmdline_append(h, CMDLINE_FROM_OPTIONS, n - i, char16_at, opt + i);
}

/* The first line of \EFI\carto\cmdline.txt, if the boot volume has one;
 * the other lines are comments for the person editing it. */
static void cmdline_from_file(struct handoff *h, EFI_LOADED_IMAGE *li)
{
	EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle), f;
	char buf[HANDOFF_CMDLINE_MAX];
	UINTN len = sizeof(buf), n = 0;

	if (!root)
		return;
	if (root->Open(root, &f, L"\\EFI\\carto\\cmdline.txt", EFI_FILE_MODE_READ, 0) != EFI_SUCCESS) {
		root->Close(root);
		return;
	}
	if (f->Read(f, &len, buf) != EFI_SUCCESS)
		len = 0;
	f->Close(f);
	root->Close(root);
	while (n < len && buf[n] != '\n' && buf[n] != '\r')
		n++;
	if (n == len && len == sizeof(buf))
		h->cmdline_source |= CMDLINE_TRUNCATED;   /* the first line is longer */
	cmdline_append(h, CMDLINE_FROM_FILE, n, char_at, buf);
}

/* The command line: cmdline.txt's first line, then the load options
 * (include/cmdline.h has the grammar and says why both are read). */
void collect_cmdline(struct handoff *h)
{
	EFI_LOADED_IMAGE *li = NULL;

	fw_guard("command line read after ExitBootServices");
	h->cmdline[0] = 0;
	if (BS->HandleProtocol(loader_image, &LoadedImageProtocol, (void **)&li) != EFI_SUCCESS || !li)
		return;
	h->loader_image_base = (paddr_t)li->ImageBase;
	cmdline_from_file(h, li);
	cmdline_from_options(h, li->LoadOptions, li->LoadOptionsSize);
}
