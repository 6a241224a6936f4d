/*
 * death.h - check that host code stops on a broken invariant.
 *
 * On the host, mm_fatal() (include/fatal.h, mm/fatal.c) prints
 * "caller: what (value)" on stderr and aborts. death_run() calls a
 * function in a child process, collects what it wrote on stderr and says
 * whether it died of SIGABRT; the parent carries on with its next check.
 *
 *   static void bad_free(void *arg) { struct pt_window *w = arg; w->src.free(&w->src, 1); }
 *   struct death d;
 *   death_run(bad_free, &w, &d);
 *   TAP_CHECK(d.aborted && strstr(d.msg, "pt_window_free"), "...: %s", d.msg);
 *
 * A function that returns normally (the check it should trip is missing)
 * gives aborted == false. The child writes no core file. Header-only,
 * host only (fork, pipes).
 */
#ifndef CARTO_TEST_DEATH_H
#define CARTO_TEST_DEATH_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct death {
	bool aborted;       /* the child died of SIGABRT */
	char msg[512];      /* what it wrote on stderr, NUL-terminated */
};

/* Run fn(arg) in a child; fill *d. Returns false if the child could not
 * be started (d->aborted is then false too). */
static inline bool death_run(void (*fn)(void *), void *arg, struct death *d)
{
	int fds[2], status;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) != 0)
		return false;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none);
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	for (ssize_t n; (n = read(fds[0], d->msg + len, sizeof(d->msg) - 1 - len)) > 0;)
		len += (size_t)n;
	close(fds[0]);
	d->msg[len] = 0;
	if (len && d->msg[len - 1] == '\n')
		d->msg[len - 1] = 0;
	if (waitpid(pid, &status, 0) != pid)
		return false;
	d->aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
	return true;
}

#endif
