// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - attaching a VAS to a process and switching threads into it:
 * vas_attach(), vas_detach(), vas_switch(), active_vas(), the "Vas:" line of
 * /proc/<pid>/status.  vas_area_test covers how the process image is kept
 * out of the VAS area while a VAS is attached.
 *
 * Every failing call is followed by checks that it changed nothing: whether
 * the image may map in the VAS area and what /proc/self/maps shows there,
 * whether the thread can switch into the VAS, the thread's active VAS and
 * the VAS memory are as before.
 *
 * Forked children and extra threads must not use ASSERT_*(): it longjmp()s
 * into the harness code of the test process, which would run the fixture
 * teardown in the child.  They use EXPECT_*(), which the shared _metadata
 * reports, and end with _exit().
 *
 * /proc/self/maps is only read while the reading thread is in the process
 * image: what it shows while the thread group leader is switched into a VAS
 * is not part of the contract.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/elf.h>
#include <linux/vas.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define NAME_PREFIX "vas_selftest.attach."

#define AREA ((char *)(uintptr_t)VAS_AREA_START)
#define AREA_END ((char *)(uintptr_t)VAS_AREA_END)
#define AREA_SIZE ((size_t)(VAS_AREA_END - VAS_AREA_START))
#define SZ_1G 0x40000000UL
/* VMALLOC_END is inclusive: the smallest vmalloc area is 32 TiB less a byte. */
#define KCORE_VMALLOC_MIN ((32UL << 40) - 1)

/* Pages of VAS memory the tests map at the start of the VAS area. */
#define DATA_PAGES 2

/* The unprivileged user of the permission tests. */
#define USER 1000
#define GROUP 1000

#define UNCHANGED VAS_ATTR_UNCHANGED

#define PIPE_DATA "0123456789abcdef"
#define PIPE_LEN 16

#define RW (PROT_READ | PROT_WRITE)
#define ANON_PRIVATE (MAP_ANONYMOUS | MAP_PRIVATE)

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* attach.legacy_layout runs this program again with the VAS id here. */
#define LEGACY_ENV "VAS_SELFTEST_LEGACY_VID"

FIXTURE(attach) {
	char name[64];		/* of vid */
	char name2[64];		/* of vid2 */
	int vid;		/* the VAS the tests attach */
	int vid2;		/* a second VAS, not attached unless a test does */
	int dead_vid;		/* a deleted VAS */
	long page;
	size_t len;		/* DATA_PAGES pages */
	pid_t child;		/* a child the teardown must kill, if any */
};

static pid_t sys_gettid(void)
{
	return syscall(SYS_gettid);
}

/*
 * Deletes the VASes of this file whose test process is gone: what a test
 * that crashed, or whose teardown could not delete, left behind.
 */
static void cleanup_stale(void)
{
	const size_t prefix_len = strlen(NAME_PREFIX);
	char name[VAS_NAME_MAX + 2];
	struct dirent *de;
	char *end;
	long pid;
	DIR *dir;
	int vid;

	dir = opendir(VAS_SYSFS_DIR);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		vid = atoi(de->d_name);
		if (vid <= 0 || vas_sysfs_read(vid, "name", name,
					       sizeof(name)) < 0)
			continue;
		if (strncmp(name, NAME_PREFIX, prefix_len))
			continue;
		pid = strtol(name + prefix_len, &end, 10);
		if (end == name + prefix_len || pid <= 0 || pid > INT_MAX)
			continue;
		if (kill(pid, 0) && errno == ESRCH)
			vas_delete(vid);
	}
	closedir(dir);
}

/*
 * Deletes the VAS called @name if it exists.  Processes that were attached
 * may still be exiting: retries EBUSY for about a second.  Returns 0 or an
 * errno value.
 */
static int delete_name(const char *name)
{
	int vid = vas_find(name);
	int i;

	if (vid <= 0)
		return errno == ENOENT ? 0 : errno;
	for (i = 0; i < 100; i++) {
		if (!vas_delete(vid) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	return errno;
}

FIXTURE_SETUP(attach)
{
	char dead_name[64];

	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);

	self->page = sysconf(_SC_PAGESIZE);
	self->len = DATA_PAGES * self->page;
	self->child = 0;
	cleanup_stale();

	snprintf(self->name, sizeof(self->name), NAME_PREFIX "%d", getpid());
	snprintf(self->name2, sizeof(self->name2), NAME_PREFIX "%d.b",
		 getpid());
	snprintf(dead_name, sizeof(dead_name), NAME_PREFIX "%d.dead",
		 getpid());
	vas_cleanup_name(self->name);
	vas_cleanup_name(self->name2);
	vas_cleanup_name(dead_name);

	self->dead_vid = vas_create(dead_name, 0600);
	ASSERT_LE(1, self->dead_vid)
	{
		TH_LOG("vas_create(%s): %s", dead_name, strerror(errno));
	}
	ASSERT_EQ(0, vas_delete(self->dead_vid));

	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid)
	{
		TH_LOG("vas_create(%s): %s", self->name, strerror(errno));
	}
	self->vid2 = vas_create(self->name2, 0600);
	ASSERT_LE(1, self->vid2)
	{
		TH_LOG("vas_create(%s): %s", self->name2, strerror(errno));
		vas_delete(self->vid);
	}
}

FIXTURE_TEARDOWN(attach)
{
	int err;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (active_vas() > 0)
		vas_switch(0);
	if (self->vid > 0)
		vas_detach(0, self->vid);
	if (self->vid2 > 0)
		vas_detach(0, self->vid2);
	err = delete_name(self->name);
	EXPECT_EQ(0, err)
	{
		TH_LOG("deleting %s: %s", self->name, strerror(err));
	}
	err = delete_name(self->name2);
	EXPECT_EQ(0, err)
	{
		TH_LOG("deleting %s: %s", self->name2, strerror(err));
	}
}

/* What /proc/<pid>/maps shows of the VAS area. */
struct maps_info {
	int in_area;			/* mappings overlapping the VAS area */
};

/* Reads /proc/<pid>/maps (@pid 0: self).  Returns 0, or -1 with errno. */
static int read_maps(pid_t pid, struct maps_info *mi)
{
	unsigned long start, end;
	char path[64], *line = NULL;
	size_t size = 0;
	ssize_t len;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return -1;
	memset(mi, 0, sizeof(*mi));
	while ((len = getline(&line, &size, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (start < VAS_AREA_END && end > VAS_AREA_START)
			mi->in_area++;
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * Checks that process @pid (0: the caller) has @others mappings in the VAS
 * area, none of them for the VASes, and for the caller, that its image is
 * kept out of the area (@reserved) or may map there.
 */
static void check_reserved(struct __test_metadata *const _metadata,
			   pid_t pid, bool reserved, int others)
{
	char *probe_at = AREA + 2 * SZ_1G;
	struct maps_info mi;
	char *p;
	int ret;

	ret = read_maps(pid, &mi);
	EXPECT_EQ(0, ret)
	{
		TH_LOG("reading the maps of %d: %s", pid, strerror(errno));
	}
	if (!ret) {
		EXPECT_EQ(others, mi.in_area)
		{
			TH_LOG("mappings in the VAS area in the maps of %d",
			       pid);
		}
	}
	if (pid)
		return;
	p = mmap(probe_at, 1, PROT_NONE, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
		 -1, 0);
	if (reserved) {
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(ENOMEM, errno);
	} else {
		EXPECT_EQ(probe_at, p)
		{
			TH_LOG("mmap in the VAS area: %s", strerror(errno));
		}
	}
	if (p != MAP_FAILED)
		munmap(p, 1);
}

/*
 * Checks that @vid is attached to the caller's process, with nothing else
 * attached: the image is kept out of the VAS area and the calling thread can
 * switch into @vid and back to where it was.
 */
static void check_attached(struct __test_metadata *const _metadata, int vid)
{
	int active = active_vas();

	if (!active)
		check_reserved(_metadata, 0, true, 0);
	EXPECT_EQ(0, vas_switch(vid))
	{
		TH_LOG("vas_switch(%d): %s", vid, strerror(errno));
	}
	EXPECT_EQ(vid, active_vas());
	EXPECT_EQ(0, vas_switch(active));
	EXPECT_EQ(active, active_vas());
}

/*
 * Checks that @vid is not attached to the caller's process, with nothing
 * else attached: the image may map in the VAS area and has @others mappings
 * there, the calling thread cannot switch into @vid and stays where it was.
 */
static void check_not_attached(struct __test_metadata *const _metadata,
			       int vid, int others)
{
	int active = active_vas();

	if (!active)
		check_reserved(_metadata, 0, false, others);
	EXPECT_EQ(-1, vas_switch(vid));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(active, active_vas());
}

/*
 * The value of the "Vas:\t<vid>\n" line of the status file @path: -1 if
 * there is none, -2 if the file cannot be read, -3 if the line is malformed
 * or there are several.
 */
static int status_vas(const char *path)
{
	char *line = NULL, *end;
	size_t size = 0;
	int vid = -1;
	long val;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -2;
	while (getline(&line, &size, f) > 0) {
		if (strncmp(line, "Vas:", 4))
			continue;
		if (vid != -1 || line[4] != '\t') {
			vid = -3;
			break;
		}
		val = strtol(line + 5, &end, 10);
		if (end == line + 5 || strcmp(end, "\n") || val < 0 ||
		    val > INT_MAX) {
			vid = -3;
			break;
		}
		vid = val;
	}
	free(line);
	fclose(f);
	return vid;
}

static int task_status_vas(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	return status_vas(path);
}

/* Checks the "Vas:" lines of the process and of the calling thread. */
static void check_status(struct __test_metadata *const _metadata, int vid)
{
	EXPECT_EQ(vid, status_vas("/proc/self/status"));
	EXPECT_EQ(vid, task_status_vas(sys_gettid()));
}

/* Checks that @addr holds @expected and can be written (with the same). */
static void check_rw(struct __test_metadata *const _metadata, char *addr,
		     char expected)
{
	char val = 0;

	EXPECT_EQ(0, vas_probe(addr, false, &val))
	{
		TH_LOG("load at %p", addr);
	}
	EXPECT_EQ(expected, val)
	{
		TH_LOG("contents of %p", addr);
	}
	val = expected;
	EXPECT_EQ(0, vas_probe(addr, true, &val))
	{
		TH_LOG("store at %p", addr);
	}
}

static int pipe_pending(int fd)
{
	int n;

	return ioctl(fd, FIONREAD, &n) ? -1 : n;
}

/* Checks that read(2) into @addr fails with EFAULT and consumes nothing. */
static void check_read_efault(struct __test_metadata *const _metadata,
			      char *addr)
{
	int fds[2], ret;

	ret = pipe(fds);
	EXPECT_EQ(0, ret);
	if (ret)
		return;
	EXPECT_EQ(PIPE_LEN, write(fds[1], PIPE_DATA, PIPE_LEN));
	EXPECT_EQ(-1, read(fds[0], addr, PIPE_LEN));
	EXPECT_EQ(EFAULT, errno)
	{
		TH_LOG("read() into %p", addr);
	}
	EXPECT_EQ(PIPE_LEN, pipe_pending(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

/* Checks that write(2) from @addr fails with EFAULT and writes nothing. */
static void check_write_efault(struct __test_metadata *const _metadata,
			       char *addr)
{
	int fds[2], ret;

	ret = pipe(fds);
	EXPECT_EQ(0, ret);
	if (ret)
		return;
	EXPECT_EQ(-1, write(fds[1], addr, PIPE_LEN));
	EXPECT_EQ(EFAULT, errno)
	{
		TH_LOG("write() from %p", addr);
	}
	EXPECT_EQ(0, pipe_pending(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

static void fill(char *addr, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		addr[i] = (char)(seed + i * 7);
}

/* Whether @addr holds what fill() put there with @seed. */
static bool holds(const char *addr, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (addr[i] != (char)(seed + i * 7))
			return false;
	}
	return true;
}

/* Residency bits of @pages pages at @addr, as a string of '0' and '1'. */
static int residency(char *addr, size_t pages, char *bits)
{
	unsigned char vec[8];
	size_t i;

	if (pages > sizeof(vec))
		return -1;
	if (mincore(addr, pages * sysconf(_SC_PAGESIZE), vec))
		return -1;
	for (i = 0; i < pages; i++)
		bits[i] = '0' + (vec[i] & 1);
	bits[pages] = '\0';
	return 0;
}

/*
 * The file offset of the vmalloc area in /proc/kcore, the largest PT_LOAD
 * segment; -1 if there is none.  Reads from it copy with page faults off
 * and, when the buffer is not mapped yet, fault it in with
 * fault_in_safe_writeable() and retry.  Other segments copy with page
 * faults on, so a segment smaller than any x86_64 vmalloc area would not
 * test that: -1 then too.
 */
static off_t kcore_vmalloc_offset(int fd)
{
	struct elf64_phdr phdr;
	struct elf64_hdr ehdr;
	__u64 size = 0;
	off_t offset = -1;
	int i;

	if (pread(fd, &ehdr, sizeof(ehdr), 0) != sizeof(ehdr) ||
	    memcmp(ehdr.e_ident, ELFMAG, SELFMAG) ||
	    ehdr.e_phentsize != sizeof(phdr))
		return -1;
	for (i = 0; i < ehdr.e_phnum; i++) {
		if (pread(fd, &phdr, sizeof(phdr),
			  ehdr.e_phoff + i * sizeof(phdr)) != sizeof(phdr))
			return -1;
		if (phdr.p_type == PT_LOAD && phdr.p_memsz > size) {
			size = phdr.p_memsz;
			offset = phdr.p_offset;
		}
	}
	return size >= KCORE_VMALLOC_MIN ? offset : -1;
}

/*
 * Attaches @vid read-write, maps DATA_PAGES pages at the start of the VAS
 * area in it and fills them with @seed.  Returns in the image, attached.
 */
static void create_data(struct __test_metadata *const _metadata, int vid,
			size_t len, int seed)
{
	char *p;

	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR))
	{
		TH_LOG("vas_attach(0, %d, O_RDWR): %s", vid, strerror(errno));
	}
	ASSERT_EQ(0, vas_switch(vid))
	{
		TH_LOG("vas_switch(%d): %s", vid, strerror(errno));
	}
	p = mmap(AREA, len, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA, p)
	{
		TH_LOG("mmap in VAS %d: %s", vid, strerror(errno));
	}
	fill(p, len, seed);
	ASSERT_EQ(0, vas_switch(0));
}

/* Switches into @vid, checks that it holds @seed and switches back. */
static void check_data(struct __test_metadata *const _metadata, int vid,
		       size_t len, int seed)
{
	int active = active_vas();

	EXPECT_EQ(0, vas_switch(vid))
	{
		TH_LOG("vas_switch(%d): %s", vid, strerror(errno));
	}
	if (active_vas() == vid) {
		EXPECT_TRUE(holds(AREA, len, seed))
		{
			TH_LOG("memory of VAS %d", vid);
		}
	}
	EXPECT_EQ(0, vas_switch(active));
}

/* A pid that no process has: of a child that was reaped. */
static pid_t dead_pid(struct __test_metadata *const _metadata)
{
	pid_t child = vas_fork_child(_metadata);

	if (!child)
		_exit(0);
	vas_wait_child(_metadata, child);
	return child;
}

static int do_setattr(int vid, __u32 mode, __u32 user, __u32 group)
{
	struct vas_attr attr = { .mode = mode, .user = user, .group = group };

	return vas_setattr(vid, &attr);
}

/* Becomes USER:GROUP with no supplementary groups and no capabilities. */
static bool become_user(void)
{
	return !setgroups(0, NULL) && !setresgid(GROUP, GROUP, GROUP) &&
	       !setresuid(USER, USER, USER);
}

static const pid_t bad_pids[] = { -1, -2, INT_MIN };
static const int bad_vids[] = { 0, -1, INT_MIN };

TEST_F(attach, attach_switch_detach)
{
	const size_t len = self->len;
	const int vid = self->vid;
	char *p;

	EXPECT_EQ(0, active_vas());
	check_not_attached(_metadata, vid, 0);

	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR))
	{
		TH_LOG("vas_attach: %s", strerror(errno));
	}
	/* Attaching does not switch. */
	EXPECT_EQ(0, active_vas());
	check_reserved(_metadata, 0, true, 0);

	ASSERT_EQ(0, vas_switch(vid))
	{
		TH_LOG("vas_switch: %s", strerror(errno));
	}
	EXPECT_EQ(vid, active_vas());
	/* Switching to where the thread is already is fine. */
	EXPECT_EQ(0, vas_switch(vid));
	EXPECT_EQ(vid, active_vas());

	p = mmap(AREA, len, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA, p)
	{
		TH_LOG("mmap in the VAS: %s", strerror(errno));
	}
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, p[len - 1]);
	fill(p, len, 1);
	EXPECT_TRUE(holds(p, len, 1));

	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, active_vas());
	EXPECT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, active_vas());

	/* The image maps nothing there. */
	check_reserved(_metadata, 0, true, 0);
	vas_check_segv(_metadata, p, false, SEGV_MAPERR);
	vas_check_segv(_metadata, p + len - 1, true, SEGV_MAPERR);
	check_read_efault(_metadata, p);
	check_write_efault(_metadata, p);
	EXPECT_EQ(0, active_vas());

	/* Back in the VAS, the memory is unchanged. */
	check_data(_metadata, vid, len, 1);

	ASSERT_EQ(0, vas_detach(0, vid))
	{
		TH_LOG("vas_detach: %s", strerror(errno));
	}
	check_not_attached(_metadata, vid, 0);

	/* Once detached, the image can map there again. */
	p = mmap(AREA, self->page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE, -1,
		 0);
	EXPECT_EQ(AREA, p)
	{
		TH_LOG("mmap in the image after detach: %s", strerror(errno));
	}
	if (p == AREA) {
		EXPECT_EQ(0, p[0]);
		EXPECT_EQ(0, munmap(p, self->page));
	}

	/* The memory stays with the VAS; the caller's own pid works too. */
	ASSERT_EQ(0, vas_attach(getpid(), vid, O_RDWR))
	{
		TH_LOG("re-attaching: %s", strerror(errno));
	}
	check_reserved(_metadata, 0, true, 0);
	check_data(_metadata, vid, len, 1);
	EXPECT_EQ(0, vas_detach(getpid(), vid));
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, second_process)
{
	const size_t len = self->len;
	const int vid = self->vid;
	pid_t child;

	create_data(_metadata, vid, len, 2);

	child = vas_fork_child(_metadata);
	if (!child) {
		/* Attachments are per process: this one attaches itself. */
		EXPECT_EQ(0, active_vas());
		check_not_attached(_metadata, vid, 0);
		EXPECT_EQ(0, vas_attach(0, vid, O_RDWR))
		{
			TH_LOG("vas_attach in the child: %s",
			       strerror(errno));
			_exit(1);
		}
		check_attached(_metadata, vid);
		EXPECT_EQ(0, vas_switch(vid))
		{
			_exit(1);
		}
		EXPECT_TRUE(holds(AREA, len, 2));
		fill(AREA, len, 3);
		EXPECT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, vid));
		check_not_attached(_metadata, vid, 0);
		_exit(0);
	}
	vas_wait_child(_metadata, child);

	/* The parent stayed attached and sees what the child wrote. */
	check_attached(_metadata, vid);
	check_data(_metadata, vid, len, 3);
	EXPECT_EQ(0, vas_detach(0, vid));
}

TEST_F(attach, fork_inherits_nothing)
{
	const size_t len = self->len;
	const int vid = self->vid;
	pid_t child;
	int i;

	create_data(_metadata, vid, len, 4);

	/* Fork once from the image, once while switched into the VAS. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vas_switch(i ? vid : 0));
		child = vas_fork_child(_metadata);
		if (!child) {
			/* The child has the image and no attachment. */
			EXPECT_EQ(0, active_vas());
			check_status(_metadata, 0);
			check_reserved(_metadata, 0, false, 0);
			EXPECT_EQ(-1, vas_detach(0, vid));
			EXPECT_EQ(EINVAL, errno);
			check_not_attached(_metadata, vid, 0);
			vas_check_segv(_metadata, AREA, false, SEGV_MAPERR);
			_exit(0);
		}
		vas_wait_child(_metadata, child);

		EXPECT_EQ(i ? vid : 0, active_vas());
		if (i) {
			/* The VAS memory is still the parent's to write. */
			EXPECT_TRUE(holds(AREA, len, 4));
			fill(AREA, len, 5);
			EXPECT_TRUE(holds(AREA, len, 5));
			ASSERT_EQ(0, vas_switch(0));
		}
		check_attached(_metadata, vid);
	}
	check_data(_metadata, vid, len, 5);
	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, attach_errors)
{
	static const int bad_types[] = {
		3, -1, INT_MIN, O_CREAT | O_RDWR, O_RDWR | O_CLOEXEC,
		O_RDONLY | O_NONBLOCK,
	};
	const int vid = self->vid;
	struct vas_attr attr;
	pid_t dead;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_pids); i++) {
		EXPECT_EQ(-1, vas_attach(bad_pids[i], vid, O_RDWR));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("pid %d", bad_pids[i]);
		}
		check_not_attached(_metadata, vid, 0);
	}
	for (i = 0; i < ARRAY_SIZE(bad_vids); i++) {
		EXPECT_EQ(-1, vas_attach(0, bad_vids[i], O_RDWR));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("vid %d", bad_vids[i]);
		}
		check_not_attached(_metadata, vid, 0);
	}
	for (i = 0; i < ARRAY_SIZE(bad_types); i++) {
		EXPECT_EQ(-1, vas_attach(0, vid, bad_types[i]));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("type %#x", bad_types[i]);
		}
		check_not_attached(_metadata, vid, 0);
	}

	EXPECT_EQ(-1, vas_attach(0, self->dead_vid, O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	check_not_attached(_metadata, vid, 0);
	check_not_attached(_metadata, self->dead_vid, 0);
	if (vas_getattr(INT_MAX, &attr) == -1 && errno == ENOENT) {
		EXPECT_EQ(-1, vas_attach(0, INT_MAX, O_RDONLY));
		EXPECT_EQ(ENOENT, errno);
		check_not_attached(_metadata, vid, 0);
	}

	dead = dead_pid(_metadata);
	EXPECT_EQ(-1, vas_attach(dead, vid, O_RDWR));
	EXPECT_EQ(ESRCH, errno);
	check_not_attached(_metadata, vid, 0);

	/* Nothing holds the VAS. */
	EXPECT_EQ(0, vas_delete(vid))
	{
		TH_LOG("vas_delete: %s", strerror(errno));
	}
	EXPECT_EQ(-1, vas_attach(0, vid, O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, attach_twice)
{
	static const int types[] = { O_RDWR, O_RDONLY, O_WRONLY };
	const size_t len = self->len;
	const int vid = self->vid;
	size_t i;

	create_data(_metadata, vid, len, 6);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		EXPECT_EQ(-1, vas_attach(0, vid, types[i]));
		EXPECT_EQ(EEXIST, errno)
		{
			TH_LOG("type %d", types[i]);
		}
		check_attached(_metadata, vid);
	}
	EXPECT_EQ(-1, vas_attach(getpid(), vid, O_RDWR));
	EXPECT_EQ(EEXIST, errno);
	check_attached(_metadata, vid);

	/* Also from inside; the attachment stays writable. */
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_EQ(-1, vas_attach(0, vid, O_RDONLY));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(vid, active_vas());
	EXPECT_TRUE(holds(AREA, len, 6));
	fill(AREA, len, 7);
	EXPECT_TRUE(holds(AREA, len, 7));
	ASSERT_EQ(0, vas_switch(0));
	check_attached(_metadata, vid);

	/* One detach undoes the one attachment. */
	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(attach, attach_eaddrinuse)
{
	const long page = self->page;
	const struct {
		char *addr;
		size_t len;
		int prot;
	} maps[] = {
		{ AREA, page, RW },
		{ AREA + SZ_1G, page, PROT_READ },
		{ AREA_END - page, page, PROT_NONE },
		/* Across the start and across the end of the area. */
		{ AREA - page, 2 * page, RW },
		{ AREA_END - page, 2 * page, RW },
	};
	const int vid = self->vid;
	char *p, *lo, *hi;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		p = mmap(maps[i].addr, maps[i].len, maps[i].prot,
			 MAP_FIXED_NOREPLACE | ANON_PRIVATE, -1, 0);
		ASSERT_EQ(maps[i].addr, p)
		{
			TH_LOG("mmap at %p: %s", maps[i].addr,
			       strerror(errno));
		}
		if (maps[i].prot & PROT_WRITE)
			p[0] = 'x';

		EXPECT_EQ(-1, vas_attach(0, vid, O_RDWR));
		EXPECT_EQ(EADDRINUSE, errno)
		{
			TH_LOG("image mapping at %p", p);
		}
		check_not_attached(_metadata, vid, 1);
		EXPECT_EQ(-1, vas_attach(0, vid, O_RDONLY));
		EXPECT_EQ(EADDRINUSE, errno);
		check_not_attached(_metadata, vid, 1);
		if (maps[i].prot & PROT_WRITE)
			check_rw(_metadata, p, 'x');

		/* Without the mapping the attach works. */
		ASSERT_EQ(0, munmap(p, maps[i].len));
		ASSERT_EQ(0, vas_attach(0, vid, O_RDWR))
		{
			TH_LOG("vas_attach after munmap: %s",
			       strerror(errno));
		}
		check_attached(_metadata, vid);
		ASSERT_EQ(0, vas_detach(0, vid));
		check_not_attached(_metadata, vid, 0);
	}

	/* Mappings right outside the area do not count. */
	lo = mmap(AREA - page, page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
		  -1, 0);
	ASSERT_EQ(AREA - page, lo);
	hi = mmap(AREA_END, page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
		  -1, 0);
	ASSERT_EQ(AREA_END, hi);
	EXPECT_EQ(0, vas_attach(0, vid, O_RDWR))
	{
		TH_LOG("vas_attach next to image mappings: %s",
		       strerror(errno));
	}
	check_attached(_metadata, vid);
	EXPECT_EQ(0, vas_detach(0, vid));
	EXPECT_EQ(0, munmap(lo, page));
	EXPECT_EQ(0, munmap(hi, page));
}

#define ARCH_ENABLE_TAGGED_ADDR	0x4002
#define ARCH_GET_MAX_TAG_BITS	0x4003
#define LAM_U57_BITS		6

/*
 * A failed attach changes nothing: the process can still enable LAM
 * afterwards (a successful attach locks it, as views copy the setup).
 */
TEST_F(attach, attach_eaddrinuse_lam)
{
	unsigned long bits = 0;
	pid_t child;
	char *p;

	if (syscall(SYS_arch_prctl, ARCH_GET_MAX_TAG_BITS, &bits) || !bits)
		SKIP(return, "the CPU has no LAM");
	child = vas_fork_child(_metadata);
	if (!child) {
		p = mmap(AREA, self->page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
			 -1, 0);
		if (p != AREA)
			_exit(1);
		EXPECT_EQ(-1, vas_attach(0, self->vid, O_RDWR));
		EXPECT_EQ(EADDRINUSE, errno);
		if (munmap(p, self->page))
			_exit(1);
		EXPECT_EQ(0, syscall(SYS_arch_prctl, ARCH_ENABLE_TAGGED_ADDR,
				     LAM_U57_BITS))
		{
			TH_LOG("enabling LAM after a failed attach: %s",
			       strerror(errno));
		}
		/* With LAM enabled, attach works and the view has it too. */
		EXPECT_EQ(0, vas_attach(0, self->vid, O_RDWR));
		EXPECT_EQ(0, vas_switch(self->vid));
		EXPECT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, self->vid));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
}

/* Expected errors for O_RDONLY, O_WRONLY, O_RDWR, attaching as USER:GROUP. */
struct eacces_case {
	__u32 mode, user, group;
	int err[3];
};

static const int access_types[] = { O_RDONLY, O_WRONLY, O_RDWR };

/* In a child: becomes USER:GROUP and tries each type of attachment. */
static void __noreturn
eacces_child(struct __test_metadata *const _metadata, int vid,
	     const struct eacces_case *c)
{
	size_t t;
	int ret;

	EXPECT_TRUE(become_user())
	{
		TH_LOG("cannot become %d: %s", USER, strerror(errno));
		_exit(1);
	}
	for (t = 0; t < ARRAY_SIZE(access_types); t++) {
		ret = vas_attach(0, vid, access_types[t]);
		if (!c->err[t]) {
			EXPECT_EQ(0, ret)
			{
				TH_LOG("mode %04o owner %u:%u type %d: %s",
				       c->mode, c->user, c->group,
				       access_types[t], strerror(errno));
			}
			if (!ret) {
				check_attached(_metadata, vid);
				EXPECT_EQ(0, vas_detach(0, vid));
			}
		} else {
			EXPECT_EQ(-1, ret);
			EXPECT_EQ(c->err[t], errno)
			{
				TH_LOG("mode %04o owner %u:%u type %d",
				       c->mode, c->user, c->group,
				       access_types[t]);
			}
		}
		check_not_attached(_metadata, vid, 0);
	}
	_exit(0);
}

TEST_F(attach, attach_eacces)
{
	static const struct eacces_case cases[] = {
		{ 0, 0, 0, { EACCES, EACCES, EACCES } },
		{ 0004, 0, 0, { 0, EACCES, EACCES } },
		{ 0002, 0, 0, { EACCES, 0, EACCES } },
		{ 0006, 0, 0, { 0, 0, 0 } },
		{ 0660, 0, 0, { EACCES, EACCES, EACCES } },
		{ 0040, 0, GROUP, { 0, EACCES, EACCES } },
		{ 0020, 0, GROUP, { EACCES, 0, EACCES } },
		{ 0400, USER, 0, { 0, EACCES, EACCES } },
		{ 0200, USER, 0, { EACCES, 0, EACCES } },
		/* The owner class applies to the owner, as for files. */
		{ 0066, USER, GROUP, { EACCES, EACCES, EACCES } },
	};
	const int vid = self->vid;
	pid_t child;
	size_t i, t;

	if (geteuid())
		SKIP(return, "needs root");

	/* CAP_DAC_OVERRIDE overrides the mode. */
	ASSERT_EQ(0, do_setattr(vid, 0, UNCHANGED, UNCHANGED));
	for (t = 0; t < ARRAY_SIZE(access_types); t++) {
		ASSERT_EQ(0, vas_attach(0, vid, access_types[t]))
		{
			TH_LOG("root, mode 0, type %d: %s", access_types[t],
			       strerror(errno));
		}
		check_attached(_metadata, vid);
		ASSERT_EQ(0, vas_detach(0, vid));
	}

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, do_setattr(vid, cases[i].mode, cases[i].user,
					cases[i].group));
		child = vas_fork_child(_metadata);
		if (!child)
			eacces_child(_metadata, vid, &cases[i]);
		vas_wait_child(_metadata, child);
		check_not_attached(_metadata, vid, 0);
	}
}

TEST_F(attach, attach_detach_eperm)
{
	const int vid = self->vid;
	pid_t parent = getpid();
	pid_t child;

	if (geteuid())
		SKIP(return, "needs root");

	/* The mode lets everybody attach: only the ptrace check fails. */
	ASSERT_EQ(0, do_setattr(vid, 0666, UNCHANGED, UNCHANGED));
	child = vas_fork_child(_metadata);
	if (!child) {
		EXPECT_TRUE(become_user())
		{
			_exit(1);
		}
		EXPECT_EQ(-1, vas_attach(parent, vid, O_RDWR));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, vas_attach(parent, vid, O_RDONLY));
		EXPECT_EQ(EPERM, errno);
		/* The caller itself may attach it. */
		EXPECT_EQ(0, vas_attach(0, vid, O_RDWR))
		{
			TH_LOG("vas_attach as user: %s", strerror(errno));
		}
		check_attached(_metadata, vid);
		EXPECT_EQ(0, vas_detach(0, vid));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	check_not_attached(_metadata, vid, 0);

	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	child = vas_fork_child(_metadata);
	if (!child) {
		EXPECT_TRUE(become_user())
		{
			_exit(1);
		}
		EXPECT_EQ(-1, vas_detach(parent, vid));
		EXPECT_EQ(EPERM, errno);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	check_attached(_metadata, vid);
	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, attach_other_process)
{
	const size_t len = self->len;
	const int vid = self->vid;
	int to_child[2], to_parent[2];
	pid_t child;
	char c;

	create_data(_metadata, vid, len, 8);
	ASSERT_EQ(0, vas_detach(0, vid));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	child = vas_fork_child(_metadata);
	if (!child) {
		close(to_child[1]);
		close(to_parent[0]);
		/* Wait until the parent attached the VAS to this process. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(1);
		EXPECT_EQ(0, active_vas());
		check_attached(_metadata, vid);
		EXPECT_EQ(0, vas_switch(vid))
		{
			TH_LOG("vas_switch in the target: %s",
			       strerror(errno));
			_exit(1);
		}
		EXPECT_TRUE(holds(AREA, len, 8));
		fill(AREA, len, 9);
		EXPECT_EQ(0, vas_switch(0));
		if (write(to_parent[1], "d", 1) != 1)
			_exit(1);
		/* Wait until the parent detached it. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(1);
		check_not_attached(_metadata, vid, 0);
		_exit(0);
	}
	self->child = child;
	close(to_child[0]);
	close(to_parent[1]);

	ASSERT_EQ(0, vas_attach(child, vid, O_RDWR))
	{
		TH_LOG("vas_attach(%d): %s", child, strerror(errno));
	}
	check_reserved(_metadata, child, true, 0);
	/* The caller is not attached. */
	check_not_attached(_metadata, vid, 0);
	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, vas_attach(child, vid, O_RDONLY));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(EBUSY, errno);
	check_reserved(_metadata, child, true, 0);

	ASSERT_EQ(1, write(to_child[1], "a", 1));
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, vas_detach(child, vid))
	{
		TH_LOG("vas_detach(%d): %s", child, strerror(errno));
	}
	check_reserved(_metadata, child, false, 0);
	EXPECT_EQ(-1, vas_detach(child, vid));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(1, write(to_child[1], "d", 1));
	vas_wait_child(_metadata, child);
	self->child = 0;
	close(to_child[1]);
	close(to_parent[0]);

	/* What the child wrote is in the VAS. */
	ASSERT_EQ(0, vas_attach(0, vid, O_RDONLY));
	check_data(_metadata, vid, len, 9);
	EXPECT_EQ(0, vas_detach(0, vid));
}

TEST_F(attach, detach_errors)
{
	const size_t len = self->len;
	const int vid = self->vid;
	pid_t dead = dead_pid(_metadata);
	size_t i;

	/* Not attached. */
	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, vas_detach(getpid(), vid));
	EXPECT_EQ(EINVAL, errno);
	check_not_attached(_metadata, vid, 0);

	create_data(_metadata, vid, len, 10);
	for (i = 0; i < ARRAY_SIZE(bad_pids); i++) {
		EXPECT_EQ(-1, vas_detach(bad_pids[i], vid));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("pid %d", bad_pids[i]);
		}
		check_attached(_metadata, vid);
	}
	for (i = 0; i < ARRAY_SIZE(bad_vids); i++) {
		EXPECT_EQ(-1, vas_detach(0, bad_vids[i]));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("vid %d", bad_vids[i]);
		}
		check_attached(_metadata, vid);
	}
	/* An existing VAS that is not attached. */
	EXPECT_EQ(-1, vas_detach(0, self->vid2));
	EXPECT_EQ(EINVAL, errno);
	check_attached(_metadata, vid);
	EXPECT_EQ(-1, vas_detach(0, self->dead_vid));
	EXPECT_EQ(ENOENT, errno);
	check_attached(_metadata, vid);
	EXPECT_EQ(-1, vas_detach(dead, vid));
	EXPECT_EQ(ESRCH, errno);
	check_attached(_metadata, vid);

	/* An attached VAS cannot be deleted. */
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(vid, vas_find(self->name));
	check_attached(_metadata, vid);

	/* Not while the calling thread is switched into it. */
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(vid, active_vas());
	EXPECT_TRUE(holds(AREA, len, 10));
	ASSERT_EQ(0, vas_switch(0));
	check_attached(_metadata, vid);
	check_data(_metadata, vid, len, 10);

	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EINVAL, errno);
}

/* A thread that switches in and out of a VAS at the main thread's pace. */
struct switcher {
	pthread_barrier_t barrier;
	int vid;
	pid_t tid;
	int active_start;	/* active_vas() when the thread started */
	int switch_in;		/* vas_switch(vid) */
	int status_in;		/* its "Vas:" line, switched in */
	int switch_out;		/* vas_switch(0) */
	int active_end;		/* active_vas() at the end */
};

static void *switcher_fn(void *arg)
{
	struct switcher *sw = arg;

	sw->tid = sys_gettid();
	sw->active_start = active_vas();
	pthread_barrier_wait(&sw->barrier);	/* 1: started */
	pthread_barrier_wait(&sw->barrier);	/* 2: may switch in */
	sw->switch_in = vas_switch(sw->vid);
	sw->status_in = task_status_vas(sw->tid);
	pthread_barrier_wait(&sw->barrier);	/* 3: switched in */
	pthread_barrier_wait(&sw->barrier);	/* 4: may switch out */
	sw->switch_out = vas_switch(0);
	sw->active_end = active_vas();
	pthread_barrier_wait(&sw->barrier);	/* 5: switched out */
	pthread_barrier_wait(&sw->barrier);	/* 6: may exit */
	return NULL;
}

static void start_switcher(struct __test_metadata *const _metadata,
			   struct switcher *sw, pthread_t *thread, int vid)
{
	memset(sw, 0, sizeof(*sw));
	sw->vid = vid;
	sw->switch_in = -2;
	sw->switch_out = -2;
	ASSERT_EQ(0, pthread_barrier_init(&sw->barrier, NULL, 2));
	ASSERT_EQ(0, pthread_create(thread, NULL, switcher_fn, sw));
	pthread_barrier_wait(&sw->barrier);	/* 1 */
	/* New threads start in the image. */
	EXPECT_EQ(0, sw->active_start);
	EXPECT_EQ(0, task_status_vas(sw->tid));
}

TEST_F(attach, detach_busy_thread)
{
	const size_t len = self->len;
	const int vid = self->vid;
	struct switcher sw;
	pthread_t thread;

	create_data(_metadata, vid, len, 11);
	start_switcher(_metadata, &sw, &thread, vid);
	pthread_barrier_wait(&sw.barrier);	/* 2 */
	pthread_barrier_wait(&sw.barrier);	/* 3 */
	EXPECT_EQ(0, sw.switch_in);
	EXPECT_EQ(vid, task_status_vas(sw.tid));
	EXPECT_EQ(0, active_vas());

	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, vas_detach(getpid(), vid));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(EBUSY, errno);

	/* Still attached: this thread can switch in as well. */
	check_attached(_metadata, vid);
	check_data(_metadata, vid, len, 11);
	EXPECT_EQ(0, active_vas());
	EXPECT_EQ(vid, task_status_vas(sw.tid));

	pthread_barrier_wait(&sw.barrier);	/* 4 */
	pthread_barrier_wait(&sw.barrier);	/* 5 */
	EXPECT_EQ(0, sw.switch_out);
	EXPECT_EQ(0, sw.active_end);
	EXPECT_EQ(0, task_status_vas(sw.tid));

	/* The thread is out, still alive: the detach works. */
	EXPECT_EQ(0, vas_detach(0, vid))
	{
		TH_LOG("vas_detach: %s", strerror(errno));
	}
	check_not_attached(_metadata, vid, 0);
	pthread_barrier_wait(&sw.barrier);	/* 6 */
	EXPECT_EQ(0, pthread_join(thread, NULL));
	pthread_barrier_destroy(&sw.barrier);
}

TEST_F(attach, switch_errors)
{
	static const int bad[] = { -1, -2, INT_MIN };
	const size_t len = self->len;
	const int vid = self->vid;
	size_t i;
	int round;

	/* Nothing attached. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, vas_switch(bad[i]));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, active_vas());
	}
	check_not_attached(_metadata, vid, 0);
	check_not_attached(_metadata, self->vid2, 0);
	check_not_attached(_metadata, self->dead_vid, 0);
	check_not_attached(_metadata, INT_MAX, 0);

	/* Attached, from the image and from inside the VAS. */
	create_data(_metadata, vid, len, 12);
	for (round = 0; round < 2; round++) {
		const int where = round ? vid : 0;

		ASSERT_EQ(0, vas_switch(where));
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(-1, vas_switch(bad[i]));
			EXPECT_EQ(EINVAL, errno)
			{
				TH_LOG("vid %d from %d", bad[i], where);
			}
			EXPECT_EQ(where, active_vas());
		}
		EXPECT_EQ(-1, vas_switch(self->vid2));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(where, active_vas());
		EXPECT_EQ(-1, vas_switch(self->dead_vid));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(where, active_vas());
		check_status(_metadata, where);
		EXPECT_TRUE(!where || holds(AREA, len, 12));
	}
	ASSERT_EQ(0, vas_switch(0));
	check_attached(_metadata, vid);

	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, switch_between)
{
	const size_t len = self->len;
	const int vid = self->vid, vid2 = self->vid2;
	char *p;

	create_data(_metadata, vid, len, 13);
	ASSERT_EQ(0, vas_attach(0, vid2, O_RDWR))
	{
		TH_LOG("attaching a second VAS: %s", strerror(errno));
	}
	/* The image stays out of the area for both. */
	check_reserved(_metadata, 0, true, 0);

	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_TRUE(holds(AREA, len, 13));
	/* Directly from one VAS into the other. */
	ASSERT_EQ(0, vas_switch(vid2));
	EXPECT_EQ(vid2, active_vas());
	check_status(_metadata, vid2);
	p = mmap(AREA, len, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA, p)
	{
		TH_LOG("mmap in the second VAS: %s", strerror(errno));
	}
	EXPECT_EQ(0, p[0]);
	fill(p, len, 14);
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_EQ(vid, active_vas());
	EXPECT_TRUE(holds(AREA, len, 13));
	ASSERT_EQ(0, vas_switch(vid2));
	EXPECT_TRUE(holds(AREA, len, 14));
	ASSERT_EQ(0, vas_switch(0));

	/* Detaching one leaves the other, and the image out of the area. */
	EXPECT_EQ(0, vas_detach(0, vid2));
	check_reserved(_metadata, 0, true, 0);
	EXPECT_EQ(-1, vas_switch(vid2));
	EXPECT_EQ(EINVAL, errno);
	check_attached(_metadata, vid);
	check_data(_metadata, vid, len, 13);
	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, read_only)
{
	const long page = self->page;
	const size_t len = self->len;
	const int vid = self->vid;
	char buf[PIPE_LEN], bits[DATA_PAGES + 1];
	int fds[2];
	char *p;

	/* The memory is created through a read-write attachment. */
	create_data(_metadata, vid, len, 15);
	ASSERT_EQ(0, vas_detach(0, vid));

	ASSERT_EQ(0, vas_attach(0, vid, O_RDONLY))
	{
		TH_LOG("vas_attach(O_RDONLY): %s", strerror(errno));
	}
	check_attached(_metadata, vid);
	ASSERT_EQ(0, vas_switch(vid));

	/* Loads work, stores fault. */
	EXPECT_TRUE(holds(AREA, len, 15));
	vas_check_segv(_metadata, AREA, true, SEGV_ACCERR);
	vas_check_segv(_metadata, AREA + len - 1, true, SEGV_ACCERR);
	EXPECT_EQ(vid, active_vas());

	/* The kernel does not write there either, but may read. */
	check_read_efault(_metadata, AREA);
	ASSERT_EQ(0, pipe(fds));
	EXPECT_EQ(PIPE_LEN, write(fds[1], AREA, PIPE_LEN));
	EXPECT_EQ(PIPE_LEN, read(fds[0], buf, PIPE_LEN));
	EXPECT_EQ(0, memcmp(buf, AREA, PIPE_LEN));
	close(fds[0]);
	close(fds[1]);

	/* No memory management in the area. */
	p = mmap(AREA + len, page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = mmap(AREA + SZ_1G, page, PROT_READ,
		 MAP_FIXED_NOREPLACE | ANON_PRIVATE, -1, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, munmap(AREA, page));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(AREA, page, PROT_READ));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(AREA, page, RW));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, madvise(AREA, len, MADV_DONTNEED));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mremap(AREA, len, 2 * len, MREMAP_MAYMOVE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mremap(AREA, len, page, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_TRUE(holds(AREA, len, 15));
	/* mincore() and msync() change nothing and work. */
	ASSERT_EQ(0, residency(AREA, DATA_PAGES, bits));
	EXPECT_STREQ("11", bits);
	EXPECT_EQ(0, msync(AREA, len, MS_SYNC));
	vas_check_segv(_metadata, AREA, true, SEGV_ACCERR);
	check_status(_metadata, vid);

	/* The image works as usual. */
	p = mmap(NULL, page, RW, ANON_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(p + page <= AREA || p >= AREA_END);
	p[0] = 1;
	EXPECT_EQ(0, munmap(p, page));

	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);

	/* O_WRONLY gives loads and stores, as O_RDWR. */
	ASSERT_EQ(0, vas_attach(0, vid, O_WRONLY))
	{
		TH_LOG("vas_attach(O_WRONLY): %s", strerror(errno));
	}
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_TRUE(holds(AREA, len, 15));
	fill(AREA, len, 16);
	EXPECT_TRUE(holds(AREA, len, 16));
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid));
	check_not_attached(_metadata, vid, 0);
}

TEST_F(attach, proc_status)
{
	const int vid = self->vid;
	struct switcher sw;
	pthread_t thread;

	check_status(_metadata, 0);
	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	/* Attached is not switched. */
	check_status(_metadata, 0);
	ASSERT_EQ(0, vas_switch(vid));
	check_status(_metadata, vid);

	/* A thread started by a switched thread starts in the image. */
	start_switcher(_metadata, &sw, &thread, vid);
	EXPECT_EQ(vid, active_vas());
	check_status(_metadata, vid);

	pthread_barrier_wait(&sw.barrier);	/* 2 */
	pthread_barrier_wait(&sw.barrier);	/* 3 */
	EXPECT_EQ(0, sw.switch_in);
	EXPECT_EQ(vid, sw.status_in);
	EXPECT_EQ(vid, task_status_vas(sw.tid));

	/* Switching this thread out leaves the other one in. */
	ASSERT_EQ(0, vas_switch(0));
	check_status(_metadata, 0);
	EXPECT_EQ(vid, task_status_vas(sw.tid));

	pthread_barrier_wait(&sw.barrier);	/* 4 */
	pthread_barrier_wait(&sw.barrier);	/* 5 */
	EXPECT_EQ(0, sw.switch_out);
	EXPECT_EQ(0, sw.active_end);
	EXPECT_EQ(0, task_status_vas(sw.tid));
	check_status(_metadata, 0);
	pthread_barrier_wait(&sw.barrier);	/* 6 */
	EXPECT_EQ(0, pthread_join(thread, NULL));
	pthread_barrier_destroy(&sw.barrier);

	EXPECT_EQ(0, vas_detach(0, vid));
	check_status(_metadata, 0);
}

/*
 * A switched thread: munmap(), mprotect() and madvise() of ranges across
 * either end of the VAS area fail with EINVAL and change nothing.
 */
/*
 * mremap() of VAS memory by a switched thread: it grows, shrinks and moves
 * in the VAS mm and stays in the VAS area, and it never crosses between
 * the VAS and the image.
 */
TEST_F(attach, mremap_vas)
{
	const long page = self->page;
	const int vid = self->vid;
	char *p, *q, *img, *last, *blocker, *moved;

	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	ASSERT_EQ(0, vas_switch(vid));
	p = mmap(AREA, 2 * page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA, p);
	fill(p, 2 * page, 1);

	/* Grows in place: nothing follows it in the VAS. */
	q = mremap(p, 2 * page, 4 * page, 0);
	ASSERT_EQ(p, q)
	{
		TH_LOG("grow in place: %s", strerror(errno));
	}
	EXPECT_TRUE(holds(p, 2 * page, 1));
	check_rw(_metadata, p + 3 * page, 0);
	q = mremap(p, 4 * page, 3 * page, 0);
	EXPECT_EQ(p, q);
	vas_check_segv(_metadata, p + 3 * page, false, SEGV_MAPERR);

	/* Moves, within the area, when something is in the way. */
	blocker = mmap(p + 3 * page, page, RW, MAP_FIXED | ANON_PRIVATE, -1,
		       0);
	ASSERT_EQ(p + 3 * page, blocker);
	blocker[0] = 'b';
	EXPECT_EQ(MAP_FAILED, mremap(p, 3 * page, 6 * page, 0));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_TRUE(holds(p, 2 * page, 1));
	q = mremap(p, 3 * page, 6 * page, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q)
	{
		TH_LOG("move: %s", strerror(errno));
	}
	EXPECT_TRUE(q >= AREA && q + 6 * page <= AREA_END)
	{
		TH_LOG("moved to %p", q);
	}
	EXPECT_NE(p, q);
	EXPECT_TRUE(holds(q, 2 * page, 1));
	vas_check_segv(_metadata, p, false, SEGV_MAPERR);
	check_rw(_metadata, blocker, 'b');

	/* To a fixed address in the area, replacing what was there. */
	p = mremap(q, 6 * page, 6 * page, MREMAP_MAYMOVE | MREMAP_FIXED,
		   AREA + SZ_1G);
	ASSERT_EQ(AREA + SZ_1G, p)
	{
		TH_LOG("fixed move: %s", strerror(errno));
	}
	EXPECT_TRUE(holds(p, 2 * page, 1));
	vas_check_segv(_metadata, q, false, SEGV_MAPERR);

	/* Not out of the area, and image memory not into it. */
	img = mmap(NULL, page, RW, ANON_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, img);
	img[0] = 'i';
	q = mremap(p, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED,
		   AREA - 16 * page);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EINVAL, errno);
	q = mremap(img, page, page, MREMAP_MAYMOVE | MREMAP_FIXED,
		   AREA + 2 * SZ_1G);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(holds(p, 2 * page, 1));
	check_rw(_metadata, img, 'i');
	vas_check_segv(_metadata, AREA + 2 * SZ_1G, false, SEGV_MAPERR);

	/* Image memory moved by a switched thread stays in the image. */
	q = mremap(img, page, 64 * page, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_TRUE(q + 64 * page <= AREA || q >= AREA_END)
	{
		TH_LOG("image memory moved to %p", q);
	}
	check_rw(_metadata, q, 'i');
	EXPECT_EQ(0, munmap(q, 64 * page));

	/* The last page of the area grows by moving, not past the end. */
	last = mmap(AREA_END - page, page, RW, MAP_FIXED | ANON_PRIVATE, -1,
		    0);
	ASSERT_EQ(AREA_END - page, last);
	last[0] = 'e';
	EXPECT_EQ(MAP_FAILED, mremap(last, page, 2 * page, 0));
	EXPECT_EQ(ENOMEM, errno);
	q = mremap(last, page, 2 * page, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_TRUE(q >= AREA && q + 2 * page <= AREA_END)
	{
		TH_LOG("moved to %p", q);
	}
	check_rw(_metadata, q, 'e');

	/* MREMAP_DONTUNMAP moves the pages and leaves the range empty. */
	moved = mremap(blocker, page, page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
		       NULL);
	ASSERT_NE(MAP_FAILED, moved)
	{
		TH_LOG("MREMAP_DONTUNMAP: %s", strerror(errno));
	}
	EXPECT_TRUE(moved >= AREA && moved + page <= AREA_END)
	{
		TH_LOG("moved to %p", moved);
	}
	check_rw(_metadata, moved, 'b');
	check_rw(_metadata, blocker, 0);
	ASSERT_EQ(0, vas_switch(0));

	/* The image did not change; the VAS keeps the memory. */
	check_reserved(_metadata, 0, true, 0);
	vas_check_segv(_metadata, p, false, SEGV_MAPERR);
	EXPECT_EQ(0, vas_detach(0, vid));
	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_TRUE(holds(p, 2 * page, 1));
	check_rw(_metadata, q, 'e');
	check_rw(_metadata, moved, 'b');
	check_rw(_metadata, blocker, 0);
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid));
}

TEST_F(attach, mincore_msync_vas)
{
	const long page = self->page;
	const int vid = self->vid;
	char *p, *img, *m, *hole;
	char bits[9], buf[PIPE_LEN];
	int fd;

	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	ASSERT_EQ(0, vas_switch(vid));
	hole = AREA + 2 * SZ_1G;

	/* mincore() reports the pages of the VAS, not the image's hole. */
	p = mmap(AREA + SZ_1G, 4 * page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA + SZ_1G, p);
	p[0] = 1;
	p[2 * page] = 1;
	ASSERT_EQ(0, residency(p, 4, bits))
	{
		TH_LOG("mincore in the VAS: %s", strerror(errno));
	}
	EXPECT_STREQ("1010", bits);
	EXPECT_EQ(-1, mincore(hole, page, (unsigned char *)buf));
	EXPECT_EQ(ENOMEM, errno);

	/* ... and of the image for image memory. */
	img = mmap(NULL, 2 * page, RW, ANON_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, img);
	img[page] = 1;
	ASSERT_EQ(0, residency(img, 2, bits));
	EXPECT_STREQ("01", bits);

	/* msync() finds the file mapping of the VAS and its mlock(). */
	fd = memfd_create("vas_msync", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * page));
	m = mmap(AREA + 3 * SZ_1G, 2 * page, RW, MAP_FIXED | MAP_SHARED, fd,
		 0);
	ASSERT_EQ(AREA + 3 * SZ_1G, m);
	memcpy(m + page, PIPE_DATA, PIPE_LEN);
	EXPECT_EQ(0, msync(m, 2 * page, MS_SYNC))
	{
		TH_LOG("msync in the VAS: %s", strerror(errno));
	}
	EXPECT_EQ(0, msync(m, 2 * page, MS_INVALIDATE));
	ASSERT_EQ(0, mlock(m, 2 * page));
	EXPECT_EQ(-1, msync(m, 2 * page, MS_INVALIDATE));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, munlock(m, 2 * page));
	EXPECT_EQ(0, msync(m, 2 * page, MS_INVALIDATE));
	EXPECT_EQ(-1, msync(hole, page, MS_SYNC));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(PIPE_LEN, pread(fd, buf, PIPE_LEN, page));
	EXPECT_EQ(0, memcmp(buf, PIPE_DATA, PIPE_LEN));

	/* The memory and its residency stay with the VAS. */
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, munmap(img, 2 * page));
	ASSERT_EQ(0, vas_switch(vid));
	ASSERT_EQ(0, residency(p, 4, bits));
	EXPECT_STREQ("1010", bits);
	EXPECT_EQ(0, memcmp(m + page, PIPE_DATA, PIPE_LEN));
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid));
	close(fd);
}

TEST_F(attach, kcore_read)
{
	const long page = self->page;
	const size_t len = self->len;
	const int vid = self->vid;
	char *buf, *img;
	off_t offset;
	int fd;

	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "/proc/kcore: %s", strerror(errno));
	offset = kcore_vmalloc_offset(fd);
	ASSERT_LT(0, offset);

	/* Fresh image memory is faulted in by the retry, as usual... */
	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	ASSERT_EQ(0, vas_switch(vid));
	img = mmap(NULL, page, RW, ANON_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, img);
	EXPECT_EQ(page, pread(fd, img, page, offset));
	EXPECT_EQ(0, munmap(img, page));

	/* ... and so is fresh VAS memory, in the VAS. */
	buf = mmap(AREA + SZ_1G, page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA + SZ_1G, buf);
	EXPECT_EQ(page, pread(fd, buf, page, offset))
	{
		TH_LOG("kcore read into the VAS: %s", strerror(errno));
	}
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid));

	/* Through a read-only attachment: EFAULT, not an endless retry. */
	create_data(_metadata, vid, len, 21);
	ASSERT_EQ(0, vas_detach(0, vid));
	ASSERT_EQ(0, vas_attach(0, vid, O_RDONLY));
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_EQ(-1, pread(fd, AREA, page, offset));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(holds(AREA, len, 21));
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid));
	close(fd);
}

TEST_F(attach, straddling_ranges)
{
	const long page = self->page;
	const int vid = self->vid;
	char *lo, *hi, *first, *last;
	unsigned char vec[2];
	char *starts[2];
	size_t i;

	/* Image pages right outside the area, VAS pages right inside. */
	lo = mmap(AREA - page, page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
		  -1, 0);
	ASSERT_EQ(AREA - page, lo);
	hi = mmap(AREA_END, page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE, -1,
		  0);
	ASSERT_EQ(AREA_END, hi);
	lo[0] = 'l';
	hi[0] = 'h';
	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
	ASSERT_EQ(0, vas_switch(vid));
	first = mmap(AREA, page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA, first);
	last = mmap(AREA_END - page, page, RW, MAP_FIXED | ANON_PRIVATE, -1,
		    0);
	ASSERT_EQ(AREA_END - page, last);
	first[0] = 'f';
	last[0] = 'e';

	starts[0] = lo;
	starts[1] = last;
	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		EXPECT_EQ(-1, munmap(starts[i], 2 * page));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("munmap at %p", starts[i]);
		}
		EXPECT_EQ(-1, mprotect(starts[i], 2 * page, PROT_READ));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("mprotect at %p", starts[i]);
		}
		EXPECT_EQ(-1, madvise(starts[i], 2 * page, MADV_DONTNEED));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("madvise at %p", starts[i]);
		}
		EXPECT_EQ(-1, mincore(starts[i], 2 * page, vec));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("mincore at %p", starts[i]);
		}
		EXPECT_EQ(-1, msync(starts[i], 2 * page, MS_SYNC));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("msync at %p", starts[i]);
		}
		EXPECT_EQ(vid, active_vas());
		check_rw(_metadata, lo, 'l');
		check_rw(_metadata, first, 'f');
		check_rw(_metadata, last, 'e');
		check_rw(_metadata, hi, 'h');
	}
	/* Over the whole area and beyond both ends. */
	EXPECT_EQ(-1, munmap(lo, AREA_SIZE + 2 * page));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mprotect(lo, AREA_SIZE + 2 * page, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	check_rw(_metadata, lo, 'l');
	check_rw(_metadata, first, 'f');
	check_rw(_metadata, last, 'e');
	check_rw(_metadata, hi, 'h');

	ASSERT_EQ(0, vas_switch(0));
	check_reserved(_metadata, 0, true, 0);
	check_rw(_metadata, lo, 'l');
	check_rw(_metadata, hi, 'h');
	check_attached(_metadata, vid);
	EXPECT_EQ(0, vas_detach(0, vid));
	EXPECT_EQ(0, munmap(lo, page));
	EXPECT_EQ(0, munmap(hi, page));
}

/*
 * The child of attach.legacy_layout, run before the harness: maps as a
 * dynamically linked program would have before it attaches, then attaches.
 */
__attribute__((constructor)) static void legacy_child(void)
{
	const char *env = getenv(LEGACY_ENV);
	long page = sysconf(_SC_PAGESIZE);
	char *a, *b;

	if (!env)
		return;
	a = mmap(NULL, page, RW, ANON_PRIVATE, -1, 0);
	b = mmap(NULL, page, RW, ANON_PRIVATE, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		_exit(10);
	/* Bottom-up: the layout is the legacy one. */
	if (b < a)
		_exit(11);
	if (a + page > AREA && a < AREA_END)
		_exit(12);
	if (vas_attach(0, atoi(env), O_RDWR))
		_exit(13);
	_exit(0);
}

/*
 * With the legacy bottom-up layout (vm.legacy_va_layout, setarch -L),
 * mmap_base would lie in the VAS area: the image maps above it, and a
 * process that mapped libraries can still attach.
 */
TEST_F(attach, legacy_layout)
{
	static const char * const codes[] = {
		[10] = "mmap failed",
		[11] = "the layout is not bottom-up",
		[12] = "the first mapping is in the VAS area",
		[13] = "vas_attach failed",
	};
	char vid[16];
	int status;
	pid_t pid;

	snprintf(vid, sizeof(vid), "%d", self->vid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		setenv(LEGACY_ENV, vid, 1);
		personality(ADDR_COMPAT_LAYOUT);
		execl("/proc/self/exe", "vas_attach_test", NULL);
		_exit(14);
	}
	self->child = pid;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
	{
		if (WEXITSTATUS(status) >= 10 && WEXITSTATUS(status) <= 13)
			TH_LOG("legacy layout: %s",
			       codes[WEXITSTATUS(status)]);
	}
}

TEST_HARNESS_MAIN
