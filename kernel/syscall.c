/*
 * syscall.c - the system calls of include/sysabi.h.
 */
#include "console.h"
#include "klib.h"
#include "proc.h"
#include "sysabi.h"
#include "uaccess.h"

/* A status of aspace_* as a system-call error. */
static long sys_err(int st)
{
	switch (st) {
	case E_OK:    return 0;
	case E_EXIST: return -SYS_EEXIST;
	case E_NOMEM: return -SYS_ENOMEM;
	default:      return -SYS_EINVAL;
	}
}

static long sys_write(uint64_t buf, uint64_t len)
{
	char chunk[256];

	if (len > SYS_WRITE_MAX)
		return -SYS_E2BIG;
	if (!user_range_ok(buf, len))
		return -SYS_EFAULT;
	for (uint64_t done = 0; done < len;) {
		uint64_t n = MIN(len - done, sizeof(chunk));
		if (copy_from_user(chunk, buf + done, n) != 0)
			return -SYS_EFAULT;
		console_write(chunk, n);
		done += n;
	}
	return (long)len;
}

/* A map/unmap range: page aligned (else -EINVAL), in the lower half
 * (else -EFAULT). */
static long check_range(uint64_t va, uint64_t size)
{
	if (!user_range_ok(va, size))
		return -SYS_EFAULT;
	if (size == 0 || !IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -SYS_EINVAL;
	return 0;
}

static long sys_map(struct proc *p, uint64_t va, uint64_t size, uint64_t prot)
{
	long r = check_range(va, size);
	uint32_t flags = (prot & SYS_PROT_WRITE ? MAP_WRITE : 0) | (prot & SYS_PROT_EXEC ? MAP_EXEC : 0);

	if (r)
		return r;
	if (prot & ~(uint64_t)(SYS_PROT_WRITE | SYS_PROT_EXEC | SYS_MAP_LAZY) ||
	    (flags & (MAP_WRITE | MAP_EXEC)) == (MAP_WRITE | MAP_EXEC))
		return -SYS_EINVAL;
	if (prot & SYS_MAP_LAZY) {
		if (p->lazy_size)
			return -SYS_EEXIST;   /* one lazy range per process */
		p->lazy_va = va;
		p->lazy_size = size;
		p->lazy_flags = flags;
		return 0;
	}
	return sys_err(aspace_map_anon(&p->as, va, size, flags));
}

static long sys_unmap(struct proc *p, uint64_t va, uint64_t size)
{
	long r = check_range(va, size);

	if (r)
		return r;
	if (p->lazy_size && va <= p->lazy_va && p->lazy_va + p->lazy_size <= va + size)
		p->lazy_size = 0;
	return sys_err(aspace_unmap(&p->as, va, size));
}

static long sys_copyin(uint64_t buf, uint64_t len)
{
	static uint64_t kbuf[SYS_COPY_MAX / 8];
	uint64_t sum = 0;

	if (len > SYS_COPY_MAX)
		return -SYS_E2BIG;
	long r = copy_from_user(kbuf, buf, len);
	if (r)
		return r;
	for (uint64_t i = 0; i < len / 8; i++)
		sum += kbuf[i];
	return (long)(sum & SYS_COPYIN_SUM_MASK);
}

static long sys_copyout(uint64_t buf, uint64_t len, uint64_t byte)
{
	static uint8_t kbuf[SYS_COPY_MAX];

	if (len > SYS_COPY_MAX)
		return -SYS_E2BIG;
	memset(kbuf, (int)(byte & 0xff), len);
	return copy_to_user(buf, kbuf, len);
}

static long sys_strlen(uint64_t s, uint64_t max)
{
	static char kbuf[SYS_COPY_MAX];

	if (max > SYS_COPY_MAX)
		return -SYS_E2BIG;
	return strncpy_from_user(kbuf, s, max);
}

bool syscall_dispatch(struct proc *p, struct trap_frame *f)
{
	uint64_t a = f->rdi, b = f->rsi, c = f->rdx;
	long r;

	switch (f->rax) {
	case SYS_NULL:    r = 0; break;
	case SYS_WRITE:   r = sys_write(a, b); break;
	case SYS_MAP:     r = sys_map(p, a, b, c); break;
	case SYS_UNMAP:   r = sys_unmap(p, a, b); break;
	case SYS_GETPID:  r = p->pid; break;
	case SYS_COPYIN:  r = sys_copyin(a, b); break;
	case SYS_COPYOUT: r = sys_copyout(a, b, c); break;
	case SYS_STRLEN:  r = sys_strlen(a, b); break;
	case SYS_YIELD:
		f->rax = 0;
		return false;
	case SYS_EXIT:
		p->status = (long)a;
		p->state = PROC_ZOMBIE;
		return false;
	default:
		r = -SYS_ENOSYS;
		break;
	}
	f->rax = (uint64_t)r;
	return true;
}
