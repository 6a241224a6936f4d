/*
 * acpi.c - self-tests of the ACPI reset and power-off methods (kernel/acpi.h).
 *
 * acpi_methods_offered checks, on every boot, what the parser found for
 * reset and S5. The two tests that act - acpi_s5_poweroff and
 * acpi_reset_reboot - end the machine, so they do so only when the command
 * line selects exactly them (selftest=acpi_s5_poweroff); in a full run
 * they are reported as skipped. tests/boot/test_acpi_power.sh
 * boots them without isa-debug-exit and watches QEMU end.
 */
#include "acpi.h"
#include "cmdline.h"
#include "console.h"
#include "klib.h"
#include "selftest.h"

/* True if the command line is "selftest=@name" exactly: this test alone. */
static bool selected_alone(const char *name)
{
	const struct handoff *h = selftest_handoff();

	return h && cmdline_value_is(h->cmdline, "selftest", name);
}

/* QEMU's own tables (OVMF and U-Boot both pass them on): OEM "BOCHS ". */
static bool qemu_tables(const struct acpi_info *ai)
{
	return ai->found && strcmp(ai->oem_id, "BOCHS ") == 0;
}

SELFTEST(acpi_methods_offered)
{
	const struct acpi_info *ai = acpi_get();
	char line[240];

	if (!ai->found) {
		ST_CHECK(!ai->reset_ok && !ai->s5_ok, "methods offered without ACPI tables");
		return;
	}
	acpi_describe_methods(ai, line, sizeof(line));
	kprintf("# %s\n", line);
	ST_CHECK(acpi_can_reset() == ai->reset_ok && acpi_can_poweroff() == ai->s5_ok,
		 "acpi_can_* disagree with the parser");
	ST_CHECK(ai->reset_ok || ai->reset_why[0], "no reset register and no reason");
	ST_CHECK(ai->s5_ok || ai->s5_why[0], "no S5 and no reason");
	if (qemu_tables(ai)) {
		/* q35: FADT revision 3 with the reset control register 0xcf9;
		 * pc (i440fx): revision 1, no reset register. */
		if (ai->fadt_revision >= 2)
			ST_CHECK(ai->reset_ok && ai->reset_reg.space == ACPI_SPACE_IO &&
				 ai->reset_reg.addr == 0xcf9, "QEMU's FADT reset register: %s", line);
		else
			ST_CHECK(!ai->reset_ok, "a reset register in an ACPI 1.0 FADT: %s", line);
		ST_CHECK(ai->dsdt_ok, "QEMU's DSDT was refused");
	}
}

SELFTEST(acpi_s5_poweroff)
{
	if (!selected_alone("acpi_s5_poweroff")) {
		selftest_skip("powers off only when run alone: selftest=acpi_s5_poweroff");
		return;
	}
	if (!ST_CHECK(acpi_can_poweroff(), "no S5 power-off: %s", acpi_get()->s5_why))
		return;
	acpi_poweroff();
	ST_CHECK(false, "acpi_poweroff returned: the machine did not power off");
}

SELFTEST(acpi_reset_reboot)
{
	if (!selected_alone("acpi_reset_reboot")) {
		selftest_skip("resets only when run alone: selftest=acpi_reset_reboot");
		return;
	}
	if (!ST_CHECK(acpi_can_reset(), "no reset register: %s", acpi_get()->reset_why))
		return;
	acpi_reset();
	ST_CHECK(false, "acpi_reset returned: the machine did not reset");
}
