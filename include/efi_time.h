/*
 * efi_time.h - the UEFI EFI_TIME structure (UEFI 2.10, 8.3.1, GetTime)
 * checked and written out. What GetTime returns is firmware data: a field
 * out of range is reported by name, never printed as a date.
 */
#ifndef CARTO_EFI_TIME_H
#define CARTO_EFI_TIME_H

#include "types.h"

struct efi_time {
	uint16_t year;            /* 1900..9999 */
	uint8_t month;            /* 1..12 */
	uint8_t day;              /* 1..31 (the month's length) */
	uint8_t hour;             /* 0..23 */
	uint8_t minute;           /* 0..59 */
	uint8_t second;           /* 0..59 */
	uint8_t pad1;
	uint32_t nanosecond;      /* 0..999999999 */
	int16_t time_zone;        /* -1440..1440 minutes, or EFI_UNSPECIFIED_TIMEZONE */
	uint8_t daylight;         /* EFI_TIME_ADJUST_DAYLIGHT | EFI_TIME_IN_DAYLIGHT */
	uint8_t pad2;
};
_Static_assert(sizeof(struct efi_time) == 16, "EFI_TIME is 16 bytes");

/* EFI_TIME_CAPABILITIES. */
struct efi_time_caps {
	uint32_t resolution;
	uint32_t accuracy;
	uint8_t sets_to_zero;
};

#define EFI_UNSPECIFIED_TIMEZONE 0x07ff
#define EFI_TIME_ZONE_LIMIT      1440

/*
 * efi_time_check - NULL if every field of @t is in range, else the name of
 * the first one that is not ("month", "day", ...). The day is checked
 * against the month's length in that year (Gregorian leap years).
 */
const char *efi_time_check(const struct efi_time *t);

/*
 * efi_time_format - write a checked @t as "2026-12-01 16:42:03" and its
 * zone: " UTC+01:00" (UEFI 2.9 and later: local time = UTC + time_zone
 * minutes), " unknown zone" for EFI_UNSPECIFIED_TIMEZONE; then
 * " (daylight saving)" if the firmware says so. Into @buf (cut to @size
 * like ksnprintf); returns the length it wanted.
 */
int efi_time_format(const struct efi_time *t, char *buf, size_t size);

#endif
