/*
 * uaccess.c - range checks in front of the raw copies (uaccess.h).
 */
#include "aspace.h"
#include "sysabi.h"
#include "uaccess.h"

long copy_from_user(void *dst, vaddr_t usrc, uint64_t n)
{
	if (!user_range_ok(usrc, n))
		return -SYS_EFAULT;
	return uaccess_copy(dst, (const void *)usrc, n);
}

long copy_to_user(vaddr_t udst, const void *src, uint64_t n)
{
	if (!user_range_ok(udst, n))
		return -SYS_EFAULT;
	return uaccess_copy((void *)udst, src, n);
}

long strncpy_from_user(char *dst, vaddr_t usrc, uint64_t n)
{
	if (usrc >= USER_END)
		return -SYS_EFAULT;
	/* The string may end before the hole: copy up to it, and a string
	 * that would run into it has no NUL in the lower half. */
	uint64_t room = USER_END - usrc;
	if (n <= room)
		return uaccess_strncpy(dst, (const char *)usrc, n);
	long r = uaccess_strncpy(dst, (const char *)usrc, room);
	return r == -SYS_E2BIG ? -SYS_EFAULT : r;
}
