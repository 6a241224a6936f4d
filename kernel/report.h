/*
 * report.h - the boot report: what the firmware handed over and what Carto
 * built from it, printed once at boot (fits an 80x30 screen by default).
 *
 * Command-line options that add to it:
 *   memmap   the clean memory map, one line per entry
 *   fwmap    the firmware's own map as it was at ExitBootServices, in the
 *            format of the memory-map dump tool (tools/README.md), so
 *            the analyzer and the boot tests can read it
 */
#ifndef CARTO_REPORT_H
#define CARTO_REPORT_H

#include "handoff.h"

void boot_report(const struct handoff *h);

/* report_phases - print the boot phases stamped so far in @h->tsc (those
 * still 0 are skipped), in TSC ticks since the loader started, and the
 * ExitBootServices tries. kernel_main prints them after "carto: ready". */
void report_phases(const struct handoff *h);

/* Print the firmware map of @h in the dump tool's format. */
void report_fw_map(const struct handoff *h);

#endif
