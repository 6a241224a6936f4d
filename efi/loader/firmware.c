/*
 * firmware.c - every firmware call the loader makes goes through here, so
 * that a call after ExitBootServices is caught and reported instead of
 * jumping into memory the firmware no longer owns.
 */
#include <stdarg.h>

#include "fatal.h"
#include "fmt.h"
#include "loader.h"
#include "uart16550.h"

EFI_HANDLE loader_image;
bool boot_services_exited;

/* ---- phase 2: raw COM1 output, no firmware ----------------------------------- */

bool serial_present(void)
{
	return uart16550_present(UART_COM1);
}

/*
 * late_panic writes at the rate the firmware programmed: the line settings
 * stay the firmware's (see include/uart16550.h). Without a UART, or with
 * one that stops answering, the bounded waits give up and it halts.
 */
void late_panic(const char *msg)
{
	const char *p = "\r\ncarto loader: fatal after ExitBootServices: ";
	struct uart16550 com1;

	uart16550_attach(&com1, UART_COM1);
	while (*p)
		uart16550_putc(&com1, *p++);
	while (*msg)
		uart16550_putc(&com1, *msg++);
	uart16550_putc(&com1, '\r');
	uart16550_putc(&com1, '\n');
	cli();
	for (;;)
		hlt();
}

/* mm_fatal (fatal.h) for the loader: fail() while the firmware runs,
 * late_panic() after ExitBootServices. */
void mm_fatal(const char *caller, const char *what, uint64_t value)
{
	if (boot_services_exited) {
		char msg[192];
		ksnprintf(msg, sizeof(msg), "%s: %s (%llx)", caller, what, (unsigned long long)value);
		late_panic(msg);
	}
	fail(EFI_SUCCESS, "%a: %a (%lx)", caller, what, value);
}

void fw_guard(const char *who)
{
	if (boot_services_exited)
		late_panic(who);
}

/* ---- phase 1 ------------------------------------------------------------------------- */
void fail(EFI_STATUS status, const char *fmt, ...)
{
	CHAR16 msg[256];
	va_list ap;
	UINTN i;

	fw_guard("fail() called after ExitBootServices");
	/* The format is ASCII; widen it for the firmware's Print. */
	CHAR16 wfmt[256];
	for (i = 0; fmt[i] && i < ARRAY_SIZE(wfmt) - 1; i++)
		wfmt[i] = (CHAR16)fmt[i];
	wfmt[i] = 0;
	va_start(ap, fmt);
	VSPrint(msg, sizeof(msg), wfmt, ap);
	va_end(ap);
	Print(L"\r\ncarto: cannot start: %s\r\n", msg);
	if (status != EFI_SUCCESS)
		Print(L"carto: firmware status: %r\r\n", status);
	Print(L"carto: returning to the firmware in 10 seconds (or press a key).\r\n");
	/* Wait for a key or 10 s, then go back to the boot manager. */
	EFI_EVENT events[2];
	UINTN which;
	events[0] = ST->ConIn ? ST->ConIn->WaitForKey : NULL;
	if (BS->CreateEvent(EVT_TIMER, 0, NULL, NULL, &events[1]) == EFI_SUCCESS &&
	    BS->SetTimer(events[1], TimerRelative, 10 * 1000 * 1000 * 10ull) == EFI_SUCCESS) {
		if (events[0])
			BS->WaitForEvent(2, events, &which);
		else
			BS->WaitForEvent(1, &events[1], &which);
	}
	BS->Exit(loader_image, status == EFI_SUCCESS ? EFI_LOAD_ERROR : status, 0, NULL);
	for (;;)
		hlt();
}

paddr_t fw_alloc_pages(uint64_t pages, paddr_t max_addr, const char *what)
{
	EFI_PHYSICAL_ADDRESS pa = max_addr ? max_addr - 1 : 0;
	EFI_STATUS st;

	fw_guard("allocation after ExitBootServices");
	st = BS->AllocatePages(max_addr ? AllocateMaxAddress : AllocateAnyPages,
			       EfiLoaderData, pages, &pa);
	if (EFI_ERROR(st))
		fail(st, "out of memory allocating %lu KiB for %a", pages * 4, what);
	return pa;
}

bool fw_alloc_at(paddr_t pa, uint64_t pages)
{
	EFI_PHYSICAL_ADDRESS addr = pa;

	fw_guard("allocation after ExitBootServices");
	return BS->AllocatePages(AllocateAddress, EfiLoaderData, pages, &addr) == EFI_SUCCESS;
}

void fw_free_pages(paddr_t pa, uint64_t pages)
{
	fw_guard("FreePages after ExitBootServices");
	if (pages)
		BS->FreePages(pa, pages);
}

paddr_t fw_alloc_aligned(uint64_t bytes, uint64_t align, paddr_t max_addr,
			 const char *what)
{
	uint64_t pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	uint64_t extra = align / PAGE_SIZE - 1;
	EFI_PHYSICAL_ADDRESS pa = max_addr ? max_addr - 1 : 0;
	EFI_STATUS st;

	fw_guard("allocation after ExitBootServices");
	st = BS->AllocatePages(max_addr ? AllocateMaxAddress : AllocateAnyPages,
			       EfiLoaderData, pages + extra, &pa);
	if (EFI_ERROR(st))
		fail(st, "out of memory allocating %lu KiB for %a", pages * 4, what);
	/* Give back the unaligned head and the tail beyond the aligned block. */
	paddr_t start = ALIGN_UP(pa, align);
	fw_free_pages(pa, (start - pa) / PAGE_SIZE);
	fw_free_pages(start + pages * PAGE_SIZE, extra - (start - pa) / PAGE_SIZE);
	return start;
}

void reserve(struct handoff *h, paddr_t start, paddr_t end, uint32_t kind)
{
	if (h->reservation_count >= HANDOFF_MAX_RESERVATIONS)
		fail(EFI_SUCCESS, "too many reserved ranges (HANDOFF_MAX_RESERVATIONS)");
	h->reservations[h->reservation_count++] =
		(struct handoff_reservation){ .start = start, .end = end, .kind = kind };
}
