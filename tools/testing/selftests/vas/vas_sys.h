/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VAS system call wrappers, for the selftests (through vas_util.h) and for
 * programs without the test harness (vas_bench).
 *
 * Build against the exported uapi headers (make headers), which provide
 * <linux/vas.h> and the __NR_vas_* numbers in <asm/unistd.h>.
 */
#ifndef __SELFTESTS_VAS_SYS_H
#define __SELFTESTS_VAS_SYS_H

#include <asm/unistd.h>
#include <errno.h>
#include <linux/vas.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline int vas_create(const char *name, unsigned int mode)
{
	return syscall(__NR_vas_create, name, mode);
}

static inline int vas_delete(int vid)
{
	return syscall(__NR_vas_delete, vid);
}

static inline int vas_find(const char *name)
{
	return syscall(__NR_vas_find, name);
}

static inline int vas_getattr(int vid, struct vas_attr *attr)
{
	return syscall(__NR_vas_getattr, vid, attr);
}

static inline int vas_setattr(int vid, const struct vas_attr *attr)
{
	return syscall(__NR_vas_setattr, vid, attr);
}

static inline int vas_attach(pid_t pid, int vid, int type)
{
	return syscall(__NR_vas_attach, pid, vid, type);
}

static inline int vas_detach(pid_t pid, int vid)
{
	return syscall(__NR_vas_detach, pid, vid);
}

static inline int vas_switch(int vid)
{
	return syscall(__NR_vas_switch, vid);
}

static inline int active_vas(void)
{
	return syscall(__NR_active_vas);
}

/*
 * Without CONFIG_VAS every VAS system call fails with ENOSYS.  Looking up a
 * name that cannot exist does not change anything on a kernel with VAS.
 */
static inline bool vas_supported(void)
{
	return vas_find("vas_selftest.probe.does-not-exist") >= 0 ||
	       errno != ENOSYS;
}

#define VAS_SKIP_REASON "VAS system calls not available (ENOSYS)"

static inline double vas_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * vas_delete(), retried for up to @seconds while it fails with EBUSY: a
 * process that has exited may hold its attachments a little longer (its mm
 * can be released after waitpid() returns).
 */
static inline int vas_delete_retry(int vid, double seconds)
{
	double end = vas_now() + seconds;

	while (vas_delete(vid)) {
		if (errno != EBUSY || vas_now() > end)
			return -1;
		usleep(10000);
	}
	return 0;
}

#endif /* __SELFTESTS_VAS_SYS_H */
