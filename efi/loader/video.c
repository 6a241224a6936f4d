/*
 * video.c - "video=WIDTHxHEIGHT" on the command line: switch the GOP to
 * that mode before the framebuffer is described to the kernel.
 *
 * Real machines often start the boot loader in a mode that does not suit
 * the panel (or a small safe mode); the user may pick another. The loader
 * is silent by default, so only a problem is printed: a malformed value,
 * no GOP, no such mode, or a SetMode the firmware refused. In every one of
 * those cases the current mode stays and the boot goes on; the message is
 * left on screen for VIDEO_NOTICE_US before the kernel clears it.
 */
#include "loader.h"

#define VIDEO_KEY        "video"
#define VIDEO_MAX_DIM    16384u        /* wider/taller than any panel */
#define VIDEO_VALUE_MAX  32            /* bytes of the value quoted in messages */
#define VIDEO_NOTICE_US  (2 * 1000 * 1000)
#define VIDEO_LIST_MAX   40            /* modes listed when the asked one is missing */

struct video_size {
	uint32_t width, height;
};

/* parse_dim - decimal digits in [@s, @end) as 1..VIDEO_MAX_DIM. */
static bool parse_dim(const char *s, const char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > VIDEO_MAX_DIM)
			return false;
	}
	*out = v;
	return v != 0;
}

/* parse_size - "WIDTHxHEIGHT" (also 'X') of @len bytes at @s. */
static bool parse_size(const char *s, size_t len, struct video_size *sz)
{
	const char *end = s + len, *x = s;

	while (x < end && *x != 'x' && *x != 'X')
		x++;
	return x < end && parse_dim(s, x, &sz->width) && parse_dim(x + 1, end, &sz->height);
}

/* Leave a problem message on screen long enough to be read. */
static void video_notice_pause(void)
{
	BS->Stall(VIDEO_NOTICE_US);
}

/* has_linear_fb - the mode gives the kernel a framebuffer it can draw on. */
static bool has_linear_fb(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info)
{
	return info->PixelFormat == PixelRedGreenBlueReserved8BitPerColor ||
	       info->PixelFormat == PixelBlueGreenRedReserved8BitPerColor ||
	       info->PixelFormat == PixelBitMask;
}

/*
 * find_mode - the number of a mode of exactly @want with a linear
 * framebuffer, or -1. With @list set, prints every mode's size (for the
 * message that says the wanted one is missing).
 */
static INT64 find_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct video_size want, bool list)
{
	INT64 found = -1;

	for (UINT32 m = 0; m < gop->Mode->MaxMode; m++) {
		EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = NULL;
		UINTN size = 0;

		if (EFI_ERROR(gop->QueryMode(gop, m, &size, &info)) || !info)
			continue;
		if (info->HorizontalResolution == want.width &&
		    info->VerticalResolution == want.height && has_linear_fb(info) && found < 0)
			found = m;
		if (list && m < VIDEO_LIST_MAX)
			Print(L" %ux%u", info->HorizontalResolution, info->VerticalResolution);
		BS->FreePool(info);
	}
	return found;
}

/* The value as a printable, NUL-terminated string for messages. */
static const char *quote_value(const char *v, size_t len, char *buf, size_t size)
{
	size_t n = MIN(len, size - 1);

	memcpy(buf, v, n);
	buf[n] = 0;
	return buf;
}

static void switch_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct video_size want,
			const char *asked)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *cur = gop->Mode->Info;
	INT64 m;
	EFI_STATUS st;

	if (cur && cur->HorizontalResolution == want.width &&
	    cur->VerticalResolution == want.height && has_linear_fb(cur))
		return;                          /* already there: no flicker */
	m = find_mode(gop, want, false);
	if (m < 0) {
		Print(L"carto: video=%a: the firmware has no %ux%u mode; keeping %ux%u.\r\n"
		      L"carto: modes offered:", asked, want.width, want.height,
		      cur ? cur->HorizontalResolution : 0, cur ? cur->VerticalResolution : 0);
		find_mode(gop, want, true);
		Print(L"\r\n");
		video_notice_pause();
		return;
	}
	st = gop->SetMode(gop, (UINT32)m);
	if (EFI_ERROR(st)) {
		Print(L"carto: video=%a: the firmware refused mode %ld (%r); keeping the current "
		      L"mode.\r\n", asked, m, st);
		video_notice_pause();
	}
}

void video_select_mode(const char *cmdline)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	struct video_size want;
	char asked[VIDEO_VALUE_MAX + 1];
	size_t len = 0;
	const char *v = cmdline_value(cmdline, VIDEO_KEY, &len);

	if (!v)
		return;
	fw_guard("GOP mode change after ExitBootServices");
	quote_value(v, len, asked, sizeof(asked));
	if (!parse_size(v, len, &want)) {
		Print(L"carto: video=%a: expected WIDTHxHEIGHT (e.g. video=1024x768, each 1..%u); "
		      L"keeping the current mode.\r\n", asked, VIDEO_MAX_DIM);
		video_notice_pause();
		return;
	}
	if (EFI_ERROR(BS->LocateProtocol(&GraphicsOutputProtocol, NULL, (void **)&gop)) ||
	    !gop || !gop->Mode) {
		Print(L"carto: video=%a: this machine has no graphics output (GOP); ignored.\r\n",
		      asked);
		video_notice_pause();
		return;
	}
	switch_mode(gop, want, asked);
}
