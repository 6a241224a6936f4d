/*
 * uaccess.h - the only way the kernel touches user memory.
 *
 * Each routine first checks that the whole user range lies in the lower
 * half [0, USER_END) (no wrap, nothing in or past the non-canonical hole,
 * so no kernel address and no huge length gets through), then copies with
 * SMAP's AC flag set (stac) for the copy alone, clearing it (clac) after.
 * A fault on a user page inside the copy (unmapped, or read-only for
 * copy_to_user) does not stop the kernel: the trap handler finds the
 * faulting instruction in the exception table (arch.h extable_fixup) and
 * resumes at its fixup, which returns -SYS_EFAULT. The kernel touching
 * user memory anywhere else faults (SMAP) when the CPU has SMAP.
 * The current address space must be the user's (proc.c makes it so during
 * a system call).
 */
#ifndef CARTO_UACCESS_H
#define CARTO_UACCESS_H

#include "types.h"

/* copy_from_user / copy_to_user - copy @n bytes; 0 or -SYS_EFAULT
 * (range not in the lower half, or a page of it not accessible: some
 * bytes may have been copied). */
long copy_from_user(void *dst, vaddr_t usrc, uint64_t n);
long copy_to_user(vaddr_t udst, const void *src, uint64_t n);

/*
 * strncpy_from_user - copy the string at @usrc, NUL included, into @dst
 * (at most @n bytes). Returns its length (without the NUL), -SYS_E2BIG
 * if there is no NUL in the first @n bytes (dst not terminated), or
 * -SYS_EFAULT (a byte before the NUL outside the lower half or not
 * readable).
 */
long strncpy_from_user(char *dst, vaddr_t usrc, uint64_t n);

/* The raw copies (uaccess.S): no range check; 0 / length, or -SYS_EFAULT
 * through the exception table. */
long uaccess_copy(void *dst, const void *src, uint64_t n);
long uaccess_strncpy(char *dst, const char *src, uint64_t n);

#endif
