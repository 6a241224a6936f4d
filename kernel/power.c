/*
 * power.c - the reboot and power-off chains (see power.h).
 */
#include "acpi.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "efirt.h"
#include "klib.h"
#include "monitor.h"
#include "panic.h"
#include "power.h"

#define PORT_RESET_CONTROL 0xcf9   /* PCI reset control (Intel chipsets, QEMU) */
#define RST_CPU            0x04    /* bit 2: reset the CPU */
#define RST_FULL           0x08    /* bit 3: full reset (cold) */
#define RST_SYS            0x02    /* bit 1: system reset with the CPU one */
#define KBC_STATUS         0x64    /* 8042 status (read) / command (write) */
#define KBC_IN_FULL        0x02    /* status: input buffer full */
#define KBC_PULSE_RESET    0xfe    /* command: pulse output line 0 (CPU reset) */
#define KBC_ABSENT         0xff    /* what a read of a missing controller returns */
#define KBC_WAIT_LOOPS     100000
#define SETTLE_LOOPS       10000000   /* let a reset take effect before moving on */

#define UBOOT_VENDOR       "Das U-Boot"

struct power_method {
	const char *name;
	bool (*available)(void);
	void (*act)(void);            /* returns only if it did not work */
};

static bool uboot;

/* ---- EFI ------------------------------------------------------------------------- */

static bool efi_reset_ok(void)
{
	return efirt_service_usable(EFIRT_SVC_RESET_SYSTEM, NULL);
}

static bool efi_shutdown_ok(void)
{
	return !uboot && efi_reset_ok();
}

static void efi_reset_as(enum efirt_reset_type type)
{
	uint64_t st = efirt_reset(type);

	kprintf("power: ResetSystem returned status %lx (%s)\n", st, efirt_status_name(st));
}

static void efi_cold(void)
{
	efi_reset_as(EFIRT_RESET_COLD);
}

static void efi_shutdown(void)
{
	efi_reset_as(EFIRT_RESET_SHUTDOWN);
}

/* ---- legacy reset paths ------------------------------------------------------------ */

static bool always(void)
{
	return true;
}

static void settle(void)
{
	for (volatile unsigned i = 0; i < SETTLE_LOOPS; i++)
		cpu_relax();
}

static void cf9_reset(void)
{
	outb(PORT_RESET_CONTROL, RST_SYS);                  /* bit 2 must go 0 -> 1 */
	outb(PORT_RESET_CONTROL, RST_FULL | RST_SYS | RST_CPU);
	settle();
}

static bool kbc_present(void)
{
	return inb(KBC_STATUS) != KBC_ABSENT;
}

static void kbc_reset(void)
{
	for (unsigned i = 0; i < KBC_WAIT_LOOPS && (inb(KBC_STATUS) & KBC_IN_FULL); i++)
		cpu_relax();
	outb(KBC_STATUS, KBC_PULSE_RESET);
	settle();
}

/* An empty IDT: the breakpoint cannot be delivered, nor the #DF nor the
 * triple fault's handlers: the CPU shuts down, and a PC resets. */
static void triple_fault(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };

	__asm__ volatile("lidt %0; int3" : : "m"(idtr) : "memory");
}

/* ---- the lists ---------------------------------------------------------------------- */

static const struct power_method reboot_methods[] = {
	{ "EFI ResetSystem(cold)", efi_reset_ok, efi_cold },
	{ "ACPI reset register", acpi_can_reset, acpi_reset },
	{ "port 0xCF9 reset control", always, cf9_reset },
	{ "keyboard controller reset line", kbc_present, kbc_reset },
	{ "triple fault", always, triple_fault },
};

static const struct power_method off_methods[] = {
	{ "EFI ResetSystem(shutdown)", efi_shutdown_ok, efi_shutdown },
	{ "ACPI S5", acpi_can_poweroff, acpi_poweroff },
};

static const char *first_available(const struct power_method *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].available())
			return m[i].name;
	return NULL;
}

/* Try each available method of @m in order; returns if none worked. */
static void run_chain(const char *what, const struct power_method *m, size_t n)
{
	cli();
	for (size_t i = 0; i < n; i++) {
		if (!m[i].available())
			continue;
		kprintf("power: %s by %s\n", what, m[i].name);
		m[i].act();
		kprintf("power: %s returned; trying the next method\n", m[i].name);
	}
}

void power_init(const struct handoff *h)
{
	const char *off;

	uboot = strncmp(h->fw_vendor, UBOOT_VENDOR, sizeof(UBOOT_VENDOR) - 1) == 0;
	if (uboot)
		kprintf("power: never using U-Boot's EFI ResetSystem(shutdown): it spins\n");
	off = first_available(off_methods, ARRAY_SIZE(off_methods));
	kprintf("power: reboot method: %s\n",
		first_available(reboot_methods, ARRAY_SIZE(reboot_methods)));
	kprintf("power: power-off method: %s\n", off ? off : "none (says it is safe to switch off)");
}

void power_reboot(void)
{
	run_chain("reboot", reboot_methods, ARRAY_SIZE(reboot_methods));
	panic("power_reboot: even the triple fault returned");
}

void power_off(void)
{
	run_chain("power-off", off_methods, ARRAY_SIZE(off_methods));
	console_set_color(CON_YELLOW, CON_BLACK);
	kprintf("power: it is now safe to switch off the machine\n");
	console_set_color(CON_DEFAULT_FG, CON_DEFAULT_BG);
	for (;;) {
		cli();
		hlt();
	}
}

/* ---- the monitor's commands ------------------------------------------------------- */

static void cmd_reboot(const struct handoff *h, int argc, char **argv)
{
	power_reboot();
}
MONITOR_COMMAND("reboot", "", "restart the machine (EFI, ACPI, 0xCF9, 8042, triple fault)",
		cmd_reboot);

static void cmd_poweroff(const struct handoff *h, int argc, char **argv)
{
	power_off();
}
MONITOR_COMMAND("poweroff", "", "switch the machine off (EFI, ACPI S5, or say it is safe)",
		cmd_poweroff);
