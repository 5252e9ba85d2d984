/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VAS selftest helpers: the system call wrappers of vas_sys.h, children,
 * /proc/meminfo and sysfs accessors for the test harness.
 */
#ifndef __SELFTESTS_VAS_UTIL_H
#define __SELFTESTS_VAS_UTIL_H

#include <asm/unistd.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/vas.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vas_sys.h"

#define VAS_SYSFS_DIR "/sys/kernel/vas"

/* Longest sysfs path used here: directory, vid, attribute name. */
#define VAS_PATH_MAX 128

/* Reads a short text file into @buf, without its first newline; 0 or -1. */
static inline int vas_read_text(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Writes @text to a file opened with O_WRONLY | @flags; 0 or -1. */
static inline int vas_write_text(const char *path, const char *text,
				 int flags)
{
	ssize_t len = strlen(text);
	int fd, ret;

	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -1;
	ret = write(fd, text, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

/* Blocks until the other process writes a byte to @fd; fails on EOF. */
static inline void vas_wait_go(struct __test_metadata *const _metadata,
			       int fd)
{
	char c;

	ASSERT_EQ(1, read(fd, &c, 1))
	{
		TH_LOG("no go from the other process");
	}
}

/* Lets the process blocked in vas_wait_go() on the other end go on. */
static inline void vas_send_go(struct __test_metadata *const _metadata,
			       int fd)
{
	ASSERT_EQ(1, write(fd, "g", 1));
}

/*
 * Forks a child that dies with the test process, so that it never keeps a
 * VAS attached.  A child reports failures through the shared _metadata and
 * ends with _exit(0); anything else is a failure of vas_wait_child().
 *
 * A failed ASSERT_*() longjmp()s into the harness's frame of the test
 * process, where a child may pass for the test process and run a
 * FIXTURE_TEARDOWN_PARENT() in its place.  Children of tests with such a
 * teardown check with EXPECT_*() and leave with VAS_CHILD_BAIL().
 */
#define VAS_CHILD_BAIL()				\
	do {						\
		if (_metadata->exit_code)		\
			_exit(1);			\
	} while (0)

static inline pid_t vas_fork_child(struct __test_metadata *const _metadata)
{
	pid_t parent = getpid();
	pid_t child;

	fflush(stdout);
	fflush(stderr);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return child;
}

/*
 * In a child of vas_fork_child(): becomes user and group @id, without
 * supplementary groups or capabilities.
 */
static inline void vas_child_become_user(struct __test_metadata *const _metadata,
					 unsigned int id)
{
	EXPECT_EQ(0, setgroups(0, NULL));
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, setresgid(id, id, id));
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, setresuid(id, id, id));
	VAS_CHILD_BAIL();
}

/* Waits for a child of vas_fork_child(), which must have exited with 0. */
static inline void vas_wait_child(struct __test_metadata *const _metadata,
				  pid_t child)
{
	int status;

	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
	{
		TH_LOG("child %d ended with status %#x", child, status);
	}
}

/*
 * The number after @key ("SwapFree:", "pswpout") at the start of a line of a
 * /proc file of key-value lines (/proc/meminfo, /proc/vmstat, status), or -1.
 */
static inline long vas_proc_value(const char *path, const char *key)
{
	size_t len = strlen(key);
	char line[128];
	long v = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) &&
		    (line[len] == ' ' || line[len] == '\t')) {
			v = strtol(line + len, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Figures of /proc/meminfo, in KiB. */
struct vas_meminfo {
	long mem_total;
	long mem_free;
	long slab;
	long page_tables;
	long sunreclaim;
	long percpu;
};

/*
 * Reads /proc/meminfo.  MemTotal, MemFree, Slab and PageTables are needed;
 * SUnreclaim and Percpu are information.  Returns 0, or -1.
 */
static inline int vas_read_meminfo(struct vas_meminfo *mi)
{
	const struct {
		const char *key;
		long *value;
	} fields[] = {
		{ "MemTotal:", &mi->mem_total },
		{ "MemFree:", &mi->mem_free },
		{ "Slab:", &mi->slab },
		{ "PageTables:", &mi->page_tables },
		{ "SUnreclaim:", &mi->sunreclaim },
		{ "Percpu:", &mi->percpu },
	};
	char line[128];
	size_t i, len;
	int found = 0;
	FILE *f;

	memset(mi, 0, sizeof(*mi));
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < ARRAY_SIZE(fields); i++) {
			len = strlen(fields[i].key);
			if (!strncmp(line, fields[i].key, len)) {
				*fields[i].value = strtol(line + len, NULL, 10);
				found |= 1 << i;
			}
		}
	}
	fclose(f);
	return (found & 15) == 15 ? 0 : -1;
}

#define VAS_SLAB_DIR "/sys/kernel/slab"

/*
 * Shrinks every slab cache, which also frees the objects of the cache that
 * the KASAN quarantine holds (up to 1/32 of RAM), so that a leak test need
 * not warm up until the quarantine recycles.  Merged caches are symbolic
 * links: only the directories are written.  Returns the number of caches
 * shrunk; with @probe, shrinks nothing and returns 1 if the first cache
 * could be.
 */
static inline int vas_shrink_slabs(bool probe)
{
	char path[300];
	struct dirent *de;
	int fd, count = 0;
	DIR *dir;

	dir = opendir(VAS_SLAB_DIR);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), VAS_SLAB_DIR "/%s/shrink",
			 de->d_name);
		if (probe) {
			count = !access(path, W_OK);
			break;
		}
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) == 1)
			count++;
		close(fd);
	}
	closedir(dir);
	return count;
}

/*
 * Lets RCU callbacks and deferred work (mm teardown, page tables freed
 * after RCU) run for @usecs, empties the KASAN quarantine if @shrink, then
 * reads /proc/meminfo.
 */
static inline void vas_settle_and_read(struct __test_metadata *const _metadata,
				       unsigned int usecs, bool shrink,
				       struct vas_meminfo *mi)
{
	usleep(usecs);
	if (shrink) {
		vas_shrink_slabs(false);
		usleep(100000);
	}
	ASSERT_EQ(0, vas_read_meminfo(mi));
}

/*
 * Reads the whole sysfs attribute @file of VAS @vid into @buf (NUL
 * terminated).  Returns the number of bytes read, or -1 with errno set.
 */
static inline ssize_t vas_sysfs_read(int vid, const char *file, char *buf,
				     size_t size)
{
	char path[VAS_PATH_MAX];
	size_t len = 0;
	ssize_t ret;
	int fd, err;

	snprintf(path, sizeof(path), VAS_SYSFS_DIR "/%d/%s", vid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < size - 1) {
		ret = read(fd, buf + len, size - 1 - len);
		if (ret < 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (!ret)
			break;
		len += ret;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Whether /sys/kernel/vas/<vid> exists. */
static inline bool vas_sysfs_exists(int vid)
{
	char path[VAS_PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), VAS_SYSFS_DIR "/%d", vid);
	return !stat(path, &st);
}

/* Number of VAS directories in /sys/kernel/vas, or -1 on error. */
static inline int vas_sysfs_count(void)
{
	struct dirent *de;
	int count = 0;
	DIR *dir;

	dir = opendir(VAS_SYSFS_DIR);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			count++;
	}
	closedir(dir);
	return count;
}

/*
 * Returns the vid of the /sys/kernel/vas entry whose name file holds @name,
 * 0 if there is none, or -1 if the directory cannot be read.
 */
static inline int vas_sysfs_lookup(const char *name)
{
	char buf[VAS_NAME_MAX + 16];
	size_t len = strlen(name);
	struct dirent *de;
	int vid, found = 0;
	DIR *dir;

	dir = opendir(VAS_SYSFS_DIR);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		vid = atoi(de->d_name);
		if (vid <= 0)
			continue;
		if (vas_sysfs_read(vid, "name", buf, sizeof(buf)) !=
		    (ssize_t)len + 1)
			continue;
		if (!strncmp(buf, name, len) && buf[len] == '\n') {
			found = vid;
			break;
		}
	}
	closedir(dir);
	return found;
}

/* Deletes the VAS called @name if it exists; for cleanup paths. */
static inline void vas_cleanup_name(const char *name)
{
	int vid = vas_find(name);

	if (vid > 0)
		vas_delete(vid);
}

/* Checks that vas_getattr() reports the given attributes for @vid. */
static inline void vas_check_attr(struct __test_metadata *const _metadata,
				  int vid, __u32 mode, __u32 user, __u32 group)
{
	struct vas_attr attr;

	memset(&attr, 0xa5, sizeof(attr));
	ASSERT_EQ(0, vas_getattr(vid, &attr))
	{
		TH_LOG("vas_getattr(%d): %s", vid, strerror(errno));
	}
	EXPECT_EQ(mode, attr.mode)
	{
		TH_LOG("vid %d: mode %04o, expected %04o", vid, attr.mode,
		       mode);
	}
	EXPECT_EQ(user, attr.user)
	{
		TH_LOG("vid %d: user", vid);
	}
	EXPECT_EQ(group, attr.group)
	{
		TH_LOG("vid %d: group", vid);
	}
}

/* Copies @src to @dst with newlines and other control bytes escaped. */
static inline void vas_escape(char *dst, size_t size, const char *src)
{
	size_t len = 0;

	for (; *src && len + 5 < size; src++) {
		if (*src == '\n')
			len += snprintf(dst + len, size - len, "\\n");
		else if ((unsigned char)*src < 0x20 || *src == 0x7f)
			len += snprintf(dst + len, size - len, "\\x%02x",
					(unsigned char)*src);
		else
			dst[len++] = *src;
	}
	dst[len] = '\0';
}

/* Checks the exact contents of the sysfs attribute @file of @vid. */
static inline void
vas_check_sysfs_file(struct __test_metadata *const _metadata, int vid,
		     const char *file, const char *expected)
{
	char buf[2 * VAS_NAME_MAX];
	char seen_esc[4 * sizeof(buf)], expected_esc[4 * sizeof(buf)];
	ssize_t len;

	len = vas_sysfs_read(vid, file, buf, sizeof(buf));
	ASSERT_LE(0, len)
	{
		TH_LOG("reading " VAS_SYSFS_DIR "/%d/%s: %s", vid, file,
		       strerror(errno));
	}
	vas_escape(seen_esc, sizeof(seen_esc), buf);
	vas_escape(expected_esc, sizeof(expected_esc), expected);
	EXPECT_STREQ(expected_esc, seen_esc)
	{
		TH_LOG("in " VAS_SYSFS_DIR "/%d/%s", vid, file);
	}
	/* No NUL bytes or anything else after the expected text. */
	if (!strcmp(expected, buf)) {
		EXPECT_EQ((ssize_t)strlen(expected), len)
		{
			TH_LOG("size of " VAS_SYSFS_DIR "/%d/%s", vid, file);
		}
	}
}

/* Checks all sysfs attributes of @vid. */
static inline void vas_check_sysfs(struct __test_metadata *const _metadata,
				   int vid, const char *name, __u32 mode,
				   __u32 user, __u32 group)
{
	char expected[VAS_NAME_MAX + 2];

	snprintf(expected, sizeof(expected), "%s\n", name);
	vas_check_sysfs_file(_metadata, vid, "name", expected);
	snprintf(expected, sizeof(expected), "%04o\n", mode);
	vas_check_sysfs_file(_metadata, vid, "mode", expected);
	snprintf(expected, sizeof(expected), "%u\n", user);
	vas_check_sysfs_file(_metadata, vid, "user", expected);
	snprintf(expected, sizeof(expected), "%u\n", group);
	vas_check_sysfs_file(_metadata, vid, "group", expected);
}

/* Checks that neither the system calls nor sysfs know @vid or @name. */
static inline void vas_check_gone(struct __test_metadata *const _metadata,
				  int vid, const char *name)
{
	struct vas_attr attr;

	if (name) {
		EXPECT_EQ(-1, vas_find(name));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(0, vas_sysfs_lookup(name));
	}
	if (vid > 0) {
		EXPECT_EQ(-1, vas_getattr(vid, &attr));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_FALSE(vas_sysfs_exists(vid));
	}
}

/* Keeps the compiler from moving memory accesses across it. */
static inline void vas_compiler_barrier(void)
{
	asm volatile("" ::: "memory");
}

/* What vas_probe() of the calling thread found. */
struct vas_probe_state {
	sigjmp_buf env;
	int armed;
	int code;		/* si_code of the SIGSEGV */
	void *addr;		/* and its si_addr */
};

static inline struct vas_probe_state *vas_probe_state(void)
{
	static __thread struct vas_probe_state state;

	return &state;
}

static inline void vas_probe_handler(int sig, siginfo_t *si, void *ucontext)
{
	struct vas_probe_state *ps = vas_probe_state();

	if (!ps->armed) {
		/* Not a probe: the access faults again and kills. */
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	ps->armed = 0;
	ps->code = si->si_code;
	ps->addr = si->si_addr;
	siglongjmp(ps->env, 1);
}

/*
 * Loads *@addr into *@val or, with @store, stores *@val at @addr.  Returns 0
 * if the access worked, else the si_code of the SIGSEGV it raised, with the
 * faulting address in vas_probe_state()->addr; -1 if the handler cannot be
 * installed.
 */
static inline int vas_probe(char *addr, bool store, char *val)
{
	struct vas_probe_state *ps = vas_probe_state();
	struct sigaction sa = {
		.sa_sigaction = vas_probe_handler,
		.sa_flags = SA_SIGINFO,
	};
	struct sigaction old;
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old))
		return -1;
	ps->code = 0;
	ps->addr = NULL;
	if (!sigsetjmp(ps->env, 1)) {
		ps->armed = 1;
		vas_compiler_barrier();
		if (store)
			__atomic_store_n(addr, *val, __ATOMIC_RELAXED);
		else
			*val = __atomic_load_n(addr, __ATOMIC_RELAXED);
		vas_compiler_barrier();
		ps->armed = 0;
	} else {
		vas_compiler_barrier();
		ret = ps->code;
	}
	sigaction(SIGSEGV, &old, NULL);
	return ret;
}

/* Checks that a load from (or a store to) @addr raises SIGSEGV @code. */
static inline void vas_check_segv(struct __test_metadata *const _metadata,
				  char *addr, bool store, int code)
{
	char val = 0x5a;

	EXPECT_EQ(code, vas_probe(addr, store, &val))
	{
		TH_LOG("%s at %p", store ? "store" : "load", addr);
	}
	EXPECT_EQ((void *)addr, vas_probe_state()->addr);
}

#endif /* __SELFTESTS_VAS_UTIL_H */
