/*
 * status.h - status codes returned by mm/ and kernel functions.
 * 0 is success; failures are negative so callers can test "< 0".
 */
#ifndef CARTO_STATUS_H
#define CARTO_STATUS_H

enum {
	E_OK = 0,
	E_INVAL = -1,   /* bad argument: unaligned, out of range, non-canonical */
	E_NOMEM = -2,   /* no frame / no space left */
	E_EXIST = -3,   /* something is already there (present PTE, busy range) */
	E_NOENT = -4,   /* nothing is there (not mapped, not claimed) */
	E_BUSY = -5,    /* owned by someone else */
	E_RANGE = -6,   /* address outside what the structure can describe */
	E_NOSPC = -7,   /* caller's buffer too small */
	E_PERM = -8,    /* refused by policy (e.g. device mapping of RAM) */
	E_IO = -9,      /* a device misbehaves (a timer whose count does not run) */
};

/* Short name of a status code ("E_INVAL"), for messages. */
const char *status_name(int status);

#endif
