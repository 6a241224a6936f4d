/*
 * efitime.c - EFI_TIME checked and formatted (see efi_time.h).
 */
#include "efi_time.h"
#include "fmt.h"

#define EFI_TIME_IN_DAYLIGHT 0x02

static unsigned days_in_month(unsigned year, unsigned month)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

const char *efi_time_check(const struct efi_time *t)
{
	if (t->year < 1900 || t->year > 9999)
		return "year";
	if (t->month < 1 || t->month > 12)
		return "month";
	if (t->day < 1 || t->day > days_in_month(t->year, t->month))
		return "day";
	if (t->hour > 23)
		return "hour";
	if (t->minute > 59)
		return "minute";
	if (t->second > 59)
		return "second";
	if (t->nanosecond > 999999999u)
		return "nanosecond";
	if (t->time_zone != EFI_UNSPECIFIED_TIMEZONE &&
	    (t->time_zone < -EFI_TIME_ZONE_LIMIT || t->time_zone > EFI_TIME_ZONE_LIMIT))
		return "time zone";
	return NULL;
}

int efi_time_format(const struct efi_time *t, char *buf, size_t size)
{
	char zone[24];
	int tz = t->time_zone, a = tz < 0 ? -tz : tz;

	if (tz == EFI_UNSPECIFIED_TIMEZONE)
		ksnprintf(zone, sizeof(zone), "unknown zone");
	else
		ksnprintf(zone, sizeof(zone), "UTC%c%02d:%02d", tz < 0 ? '-' : '+', a / 60, a % 60);
	return ksnprintf(buf, size, "%04u-%02u-%02u %02u:%02u:%02u %s%s", t->year, t->month, t->day,
			 t->hour, t->minute, t->second, zone,
			 t->daylight & EFI_TIME_IN_DAYLIGHT ? " (daylight saving)" : "");
}
