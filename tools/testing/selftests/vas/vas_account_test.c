// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - account: who pays for a VAS, and how many VASes a user may
 * create.
 *
 * - memcg: VAS memory is charged to the memory cgroup of the task that
 *   faults it in, not to the creator's; the charge stays after every process
 *   is gone and leaves with vas_delete().  The faulter's memory.max bounds
 *   it: reclaim to swap, then the OOM killer of the faulter's cgroup, which
 *   kills the faulter and none of the creator's tasks.
 * - count: vas_create() fails with ENOSPC beyond user.max_vas VASes per user
 *   (per user namespace, and in every ancestor namespace), and beyond
 *   vm.max_vas VASes in the system.  A failed create leaves no VAS behind,
 *   and a delete gives the count back at once.
 * - mlock: RLIMIT_MEMLOCK bounds what a user locks in all the VASes it owns
 *   together, as it bounds the SysV segments it locks; only the owner locks
 *   a VAS's memory.
 *
 * Cgroups live in /sys/fs/cgroup/vas_selftest.account.<test>.<n>; the guest
 * (and any cgroup v2 system) runs the test in a cgroup whose subtree has the
 * memory controller.  The teardown, in the parent, deletes the VASes, removes
 * the cgroups and restores the sysctls.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vas.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"

#define VAS_AREA		((char *)(uintptr_t)VAS_AREA_START)
#define RW			(PROT_READ | PROT_WRITE)
#define MIB			(1024L * 1024)

#define CGROUP_ROOT		"/sys/fs/cgroup"
#define NR_CGROUPS		2
#define CG_PATH_MAX		256
#define NR_NAMES		6	/* VASes a test may create */
#define NR_HIDDEN		64	/* VASes of other IPC namespaces, at most */
#define USER			1000	/* an unprivileged user */

#define USER_MAX_FILE		"/proc/sys/user/max_vas"
#define SYSTEM_MAX_FILE		"/proc/sys/vm/max_vas"

/*
 * memory.current of a cgroup without tasks still holds kernel objects and
 * the per-CPU charge cache (64 pages a CPU): what a test does not explain.
 */
#define CHARGE_SLACK		(2 * MIB)
#define FILL_SIZE		(16 * MIB)
#define LIMIT			(32 * MIB)
#define SWAP_FILL_SIZE		(64 * MIB)
#define OOM_FILL_SIZE		(256 * MIB)
#define SETTLE_SECONDS		5.0	/* for a freed VAS to uncharge */
#define LOCK_PAGES		16	/* RLIMIT_MEMLOCK of memlock_per_user */

/* Brackets for the console scan of make check: an OOM report expected. */
#define KMSG_OOM_BEGIN		"VAS-EXPECT-OOM-BEGIN\n"
#define KMSG_OOM_END		"VAS-EXPECT-OOM-END\n"

FIXTURE(account) {
	char names[NR_NAMES][VAS_NAME_MAX + 1];
	char cgroups[NR_CGROUPS][CG_PATH_MAX / 2];
	char user_max[32];
	char system_max[32];
};

FIXTURE_SETUP(account)
{
	int i;

	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	for (i = 0; i < NR_NAMES; i++) {
		snprintf(self->names[i], sizeof(self->names[i]),
			 "vas_selftest.account.%s.%d", _metadata->name, i);
		vas_cleanup_name(self->names[i]);
	}
	for (i = 0; i < NR_CGROUPS; i++) {
		snprintf(self->cgroups[i], sizeof(self->cgroups[i]),
			 CGROUP_ROOT "/vas_selftest.account.%s.%d",
			 _metadata->name, i);
		/* Left over by an earlier run that was killed. */
		rmdir(self->cgroups[i]);
	}
	ASSERT_EQ(0, vas_read_text(USER_MAX_FILE, self->user_max,
				   sizeof(self->user_max)));
	ASSERT_EQ(0, vas_read_text(SYSTEM_MAX_FILE, self->system_max,
				   sizeof(self->system_max)));
}

FIXTURE_TEARDOWN_PARENT(account)
{
	int i, vid;

	for (i = 0; i < NR_NAMES; i++) {
		vid = vas_find(self->names[i]);
		if (vid > 0 && vas_delete_retry(vid, SETTLE_SECONDS))
			TH_LOG("cannot delete %s: %s", self->names[i],
			       strerror(errno));
	}
	for (i = 0; i < NR_CGROUPS; i++)
		if (rmdir(self->cgroups[i]) && errno != ENOENT)
			TH_LOG("cannot remove %s: %s", self->cgroups[i],
			       strerror(errno));
	if (self->user_max[0] &&
	    vas_write_text(USER_MAX_FILE, self->user_max, 0))
		TH_LOG("cannot restore " USER_MAX_FILE);
	if (self->system_max[0] &&
	    vas_write_text(SYSTEM_MAX_FILE, self->system_max, 0))
		TH_LOG("cannot restore " SYSTEM_MAX_FILE);
}

/* Cgroups */

/* Creates a cgroup with the memory controller; 0 or -1. */
static int cg_create(const char *cgroup)
{
	char path[CG_PATH_MAX];
	struct stat st;

	if (mkdir(cgroup, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/memory.current", cgroup);
	return stat(path, &st);
}

static int cg_write(const char *cgroup, const char *file, const char *text)
{
	char path[CG_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", cgroup, file);
	return vas_write_text(path, text, 0);
}

/* A number that a cgroup file holds, or -1. */
static long cg_read(const char *cgroup, const char *file)
{
	char path[CG_PATH_MAX];
	char buf[64];

	snprintf(path, sizeof(path), "%s/%s", cgroup, file);
	if (vas_read_text(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* The count of @event in a cgroup's memory.events, or -1. */
static long cg_event(const char *cgroup, const char *event)
{
	char path[CG_PATH_MAX];
	char line[128], key[64];
	long value = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", cgroup);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 &&
		    !strcmp(key, event))
			value = v;
	fclose(f);
	return value;
}

/* Moves the calling process into @cgroup. */
static void cg_enter(struct __test_metadata *const _metadata,
		     const char *cgroup)
{
	EXPECT_EQ(0, cg_write(cgroup, "cgroup.procs", "0"))
	{
		TH_LOG("cannot enter %s: %s", cgroup, strerror(errno));
	}
	VAS_CHILD_BAIL();
}

/*
 * Waits up to SETTLE_SECONDS for memory.current of @cgroup to be at most
 * @bound, and returns its last value.
 */
static long cg_settle_below(const char *cgroup, long bound)
{
	double end = vas_now() + SETTLE_SECONDS;
	long cur;

	for (;;) {
		cur = cg_read(cgroup, "memory.current");
		if (cur <= bound || vas_now() > end)
			return cur;
		usleep(10000);
	}
}

static bool memcg_available(void)
{
	char buf[256];

	return !vas_read_text(CGROUP_ROOT "/cgroup.subtree_control", buf,
			      sizeof(buf)) && strstr(buf, "memory");
}

/* Whether at least @bytes of swap are free. */
static bool swap_free(long bytes)
{
	return vas_proc_value("/proc/meminfo", "SwapFree:") * 1024 >= bytes;
}

/* VAS memory */

/*
 * Attaches VAS @vid, switches in, maps @len bytes at @off in the VAS area
 * and writes a pattern on each page, unless @len is 0.  Stays switched.
 */
static void fill_vas(struct __test_metadata *const _metadata, int vid,
		     size_t off, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *addr = VAS_AREA + off, *p;
	size_t i;

	EXPECT_EQ(0, vas_attach(0, vid, O_RDWR))
	{
		TH_LOG("vas_attach(%d): %s", vid, strerror(errno));
	}
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, vas_switch(vid));
	VAS_CHILD_BAIL();
	p = mmap(addr, len, RW, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ(addr, p)
	{
		TH_LOG("mmap in the VAS: %s", strerror(errno));
	}
	VAS_CHILD_BAIL();
	for (i = 0; i < len; i += page)
		*(size_t *)(p + i) = i ^ off;
}

/* Whether the pattern of fill_vas() is intact; the caller is switched. */
static bool vas_intact(size_t off, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = VAS_AREA + off;
	size_t i;

	for (i = 0; i < len; i += page)
		if (*(size_t *)(p + i) != (i ^ off))
			return false;
	return true;
}

static void leave_vas(struct __test_metadata *const _metadata, int vid)
{
	EXPECT_EQ(0, vas_switch(0));
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, vas_detach(0, vid));
	VAS_CHILD_BAIL();
}

/* In a child: enters cgroup @cg and creates VAS @name there; its id. */
static int child_create_in(struct __test_metadata *const _metadata,
			   const char *cg, const char *name, unsigned int mode)
{
	int vid;

	cg_enter(_metadata, cg);
	vid = vas_create(name, mode);
	EXPECT_LE(1, vid)
	{
		TH_LOG("vas_create in %s: %s", cg, strerror(errno));
	}
	VAS_CHILD_BAIL();
	return vid;
}

/*
 * A child in cgroup @cg creates VAS @name and fills FILL_SIZE bytes of it;
 * returns once the child is gone, with the id of the VAS.
 */
static int create_and_fill_in(struct __test_metadata *const _metadata,
			      const char *cg, const char *name)
{
	pid_t child = vas_fork_child(_metadata);
	int vid;

	if (!child) {
		vid = child_create_in(_metadata, cg, name, 0666);
		fill_vas(_metadata, vid, 0, FILL_SIZE);
		leave_vas(_metadata, vid);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	vid = vas_find(name);
	ASSERT_LE(1, vid);
	return vid;
}

/*
 * VAS memory stays charged to the cgroup of the process that faulted it in
 * once that process is gone, and leaves with vas_delete().
 */
TEST_F(account, memcg_charge_outlives_task)
{
	long before, filled, after;
	int vid;

	if (!memcg_available())
		SKIP(return, "no cgroup v2 memory controller at " CGROUP_ROOT);
	ASSERT_EQ(0, cg_create(self->cgroups[0]));
	before = cg_read(self->cgroups[0], "memory.current");
	ASSERT_LE(0, before);

	vid = create_and_fill_in(_metadata, self->cgroups[0], self->names[0]);
	filled = cg_read(self->cgroups[0], "memory.current");
	EXPECT_LE(before + FILL_SIZE, filled)
	{
		TH_LOG("memory.current %ld before, %ld with %ld MiB of VAS memory and no task",
		       before, filled, FILL_SIZE / MIB);
	}
	EXPECT_GE(before + FILL_SIZE + CHARGE_SLACK, filled);

	ASSERT_EQ(0, vas_delete(vid));
	after = cg_settle_below(self->cgroups[0], filled - FILL_SIZE);
	EXPECT_GE(filled - FILL_SIZE, after)
	{
		TH_LOG("memory.current %ld with the VAS, %ld after vas_delete()",
		       filled, after);
	}
}

/*
 * A process in another cgroup that faults VAS memory in pays for it with
 * its own cgroup, as for tmpfs: the creator's cgroup does not grow.
 */
TEST_F(account, memcg_faulter_pays)
{
	long owner_before, owner_after, faulter_after;
	pid_t child;
	int vid;

	if (!memcg_available())
		SKIP(return, "no cgroup v2 memory controller at " CGROUP_ROOT);
	ASSERT_EQ(0, cg_create(self->cgroups[0]));
	ASSERT_EQ(0, cg_create(self->cgroups[1]));
	vid = create_and_fill_in(_metadata, self->cgroups[0], self->names[0]);
	owner_before = cg_read(self->cgroups[0], "memory.current");

	child = vas_fork_child(_metadata);
	if (!child) {
		cg_enter(_metadata, self->cgroups[1]);
		fill_vas(_metadata, vid, FILL_SIZE, FILL_SIZE);
		EXPECT_TRUE(vas_intact(0, FILL_SIZE));
		leave_vas(_metadata, vid);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	owner_after = cg_read(self->cgroups[0], "memory.current");
	faulter_after = cg_read(self->cgroups[1], "memory.current");
	EXPECT_LE(FILL_SIZE, faulter_after)
	{
		TH_LOG("faulter's memory.current %ld once it is gone",
		       faulter_after);
	}
	EXPECT_GE(owner_before + CHARGE_SLACK, owner_after)
	{
		TH_LOG("creator's memory.current %ld, then %ld", owner_before,
		       owner_after);
	}

	ASSERT_EQ(0, vas_delete(vid));
	EXPECT_GE(CHARGE_SLACK, cg_settle_below(self->cgroups[1], CHARGE_SLACK));
}

/*
 * memory.max of the faulter's cgroup bounds the VAS memory it faults in:
 * beyond it, VAS memory goes to swap, and reads back intact.
 */
TEST_F_TIMEOUT(account, memcg_limit_reclaims_to_swap, 120)
{
	long swapped;
	pid_t child;
	char text[32];

	if (!memcg_available())
		SKIP(return, "no cgroup v2 memory controller at " CGROUP_ROOT);
	if (!swap_free(2 * SWAP_FILL_SIZE))
		SKIP(return, "less than %ld MiB of free swap",
		     2 * SWAP_FILL_SIZE / MIB);
	ASSERT_EQ(0, cg_create(self->cgroups[0]));
	snprintf(text, sizeof(text), "%ld", LIMIT);
	ASSERT_EQ(0, cg_write(self->cgroups[0], "memory.max", text));

	child = vas_fork_child(_metadata);
	if (!child) {
		int vid = child_create_in(_metadata, self->cgroups[0],
					  self->names[0], 0600);

		fill_vas(_metadata, vid, 0, SWAP_FILL_SIZE);
		EXPECT_TRUE(vas_intact(0, SWAP_FILL_SIZE));
		leave_vas(_metadata, vid);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	swapped = cg_read(self->cgroups[0], "memory.swap.current");
	EXPECT_LE(SWAP_FILL_SIZE - LIMIT, swapped)
	{
		TH_LOG("memory.swap.current %ld after %ld MiB in a %ld MiB cgroup",
		       swapped, SWAP_FILL_SIZE / MIB, LIMIT / MIB);
	}
	EXPECT_LE(1, cg_event(self->cgroups[0], "max"));
}

/*
 * Without swap, a task that faults VAS memory in beyond its cgroup's
 * memory.max meets its cgroup's OOM killer, which kills it; the creator of
 * the VAS, alive in another cgroup, is not touched.  Killing the faulter
 * frees no VAS memory: the charge stays until vas_delete().
 */
TEST_F_TIMEOUT(account, memcg_limit_oom_kills_faulter, 120)
{
	int to_parent[2], to_child[2];
	pid_t creator, faulter;
	long held;
	int status, vid;
	char text[32];

	if (!memcg_available())
		SKIP(return, "no cgroup v2 memory controller at " CGROUP_ROOT);
	ASSERT_EQ(0, cg_create(self->cgroups[0]));
	ASSERT_EQ(0, cg_create(self->cgroups[1]));
	snprintf(text, sizeof(text), "%ld", LIMIT);
	ASSERT_EQ(0, cg_write(self->cgroups[1], "memory.max", text));
	if (cg_write(self->cgroups[1], "memory.swap.max", "0") && swap_free(1))
		SKIP(return, "swap, and no memory.swap.max to forbid it");

	/* The creator stays alive in its cgroup until the end. */
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	creator = vas_fork_child(_metadata);
	if (!creator) {
		char c;

		child_create_in(_metadata, self->cgroups[0], self->names[0],
				0666);
		EXPECT_EQ(1, write(to_parent[1], "g", 1));
		EXPECT_EQ(1, read(to_child[0], &c, 1));
		_exit(0);
	}
	vas_wait_go(_metadata, to_parent[0]);
	vid = vas_find(self->names[0]);
	ASSERT_LE(1, vid);

	vas_write_text("/dev/kmsg", KMSG_OOM_BEGIN, 0);
	faulter = vas_fork_child(_metadata);
	if (!faulter) {
		cg_enter(_metadata, self->cgroups[1]);
		fill_vas(_metadata, vid, 0, OOM_FILL_SIZE);
		_exit(0);
	}
	ASSERT_EQ(faulter, waitpid(faulter, &status, 0));
	vas_write_text("/dev/kmsg", KMSG_OOM_END, 0);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
	{
		TH_LOG("faulter ended with status %#x after %ld MiB in a %ld MiB cgroup",
		       status, OOM_FILL_SIZE / MIB, LIMIT / MIB);
	}
	EXPECT_LE(1, cg_event(self->cgroups[1], "oom_kill"));
	EXPECT_EQ(0, cg_event(self->cgroups[0], "oom_kill"));
	EXPECT_EQ(0, kill(creator, 0));

	held = cg_read(self->cgroups[1], "memory.current");
	EXPECT_LE(LIMIT - CHARGE_SLACK, held)
	{
		TH_LOG("memory.current %ld once the faulter is killed", held);
	}
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	vas_wait_child(_metadata, creator);
	ASSERT_EQ(0, vas_delete_retry(vid, SETTLE_SECONDS));
	EXPECT_GE(CHARGE_SLACK, cg_settle_below(self->cgroups[1], CHARGE_SLACK));
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/* Counts */

/* vas_create(@name) must fail with ENOSPC and leave no VAS behind. */
static void expect_no_space(struct __test_metadata *const _metadata,
			    const char *name)
{
	int count = vas_sysfs_count();

	EXPECT_EQ(-1, vas_create(name, 0600));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, vas_find(name));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(count, vas_sysfs_count());
}

/*
 * user.max_vas limits the VASes of each user: USER gets ENOSPC beyond it,
 * root still creates its own, and a delete gives one back.
 */
TEST_F(account, user_limit)
{
	int to_parent[2], to_child[2];
	pid_t child;
	int vid;

	ASSERT_EQ(0, vas_write_text(USER_MAX_FILE, "3", 0));
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	child = vas_fork_child(_metadata);
	if (!child) {
		int vids[3], i;
		char c;

		vas_child_become_user(_metadata, USER);
		for (i = 0; i < 3; i++) {
			vids[i] = vas_create(self->names[i], 0600);
			EXPECT_LE(1, vids[i])
			{
				TH_LOG("VAS %d of 3: %s", i + 1,
				       strerror(errno));
			}
			VAS_CHILD_BAIL();
		}
		expect_no_space(_metadata, self->names[3]);
		/* Root creates one meanwhile: another user's count. */
		EXPECT_EQ(1, write(to_parent[1], "g", 1));
		EXPECT_EQ(1, read(to_child[0], &c, 1));
		VAS_CHILD_BAIL();
		EXPECT_EQ(0, vas_delete(vids[0]));
		VAS_CHILD_BAIL();
		vid = vas_create(self->names[3], 0600);
		EXPECT_LE(1, vid);
		expect_no_space(_metadata, self->names[4]);
		_exit(0);
	}
	vas_wait_go(_metadata, to_parent[0]);
	vid = vas_create(self->names[5], 0600);
	EXPECT_LE(1, vid)
	{
		TH_LOG("root beside a user at its limit: %s", strerror(errno));
	}
	vas_send_go(_metadata, to_child[1]);
	vas_wait_child(_metadata, child);
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/*
 * user.max_vas is per user namespace: a namespace's own limit holds inside
 * it, and the limit of the parent namespace holds too, for the user that
 * owns the namespace.
 */
TEST_F(account, user_namespace_limit)
{
	pid_t child;

	ASSERT_EQ(0, vas_write_text(USER_MAX_FILE, "4", 0));
	child = vas_fork_child(_metadata);
	if (!child) {
		int i;

		vas_child_become_user(_metadata, USER);
		EXPECT_EQ(0, unshare(CLONE_NEWUSER))
		{
			TH_LOG("unshare(CLONE_NEWUSER): %s", strerror(errno));
		}
		VAS_CHILD_BAIL();
		EXPECT_EQ(0, vas_write_text(USER_MAX_FILE, "2", 0))
		{
			TH_LOG("the namespace's %s: %s", USER_MAX_FILE,
			       strerror(errno));
		}
		VAS_CHILD_BAIL();
		for (i = 0; i < 2; i++) {
			EXPECT_LE(1, vas_create(self->names[i], 0600));
			VAS_CHILD_BAIL();
		}
		expect_no_space(_metadata, self->names[2]);

		/* Above the parent's limit of 4 for this user: ENOSPC. */
		EXPECT_EQ(0, vas_write_text(USER_MAX_FILE, "10", 0));
		VAS_CHILD_BAIL();
		for (i = 2; i < 4; i++) {
			EXPECT_LE(1, vas_create(self->names[i], 0600));
			VAS_CHILD_BAIL();
		}
		expect_no_space(_metadata, self->names[4]);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
}

/* Sets vm.max_vas to @max; 0 or -1. */
static int set_system_max(int max)
{
	char text[32];

	snprintf(text, sizeof(text), "%d", max);
	return vas_write_text(SYSTEM_MAX_FILE, text, 0);
}

/*
 * vm.max_vas limits the VASes of the system, root's too.  VASes of other IPC
 * namespaces count but are not in sysfs: the test finds the limit at which
 * it can create one VAS, then no other.
 */
TEST_F(account, system_limit)
{
	int count, max, vid = -1;
	pid_t child;

	count = vas_sysfs_count();
	ASSERT_LE(0, count);
	for (max = count + 1; vid < 0 && max <= count + NR_HIDDEN; max++) {
		ASSERT_EQ(0, set_system_max(max));
		vid = vas_create(self->names[0], 0600);
		if (vid < 0)
			ASSERT_EQ(ENOSPC, errno);
	}
	ASSERT_LE(1, vid)
	{
		TH_LOG("no VAS created below vm.max_vas %d", max);
	}
	/* At the limit: nobody creates, a delete makes room for one. */
	expect_no_space(_metadata, self->names[1]);
	child = vas_fork_child(_metadata);
	if (!child) {
		vas_child_become_user(_metadata, USER);
		expect_no_space(_metadata, self->names[1]);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	ASSERT_EQ(0, vas_delete(vid));
	EXPECT_LE(1, vas_create(self->names[1], 0600));
	expect_no_space(_metadata, self->names[2]);

	/* A limit below the count lets nobody create. */
	ASSERT_EQ(0, set_system_max(0));
	expect_no_space(_metadata, self->names[3]);
}

/* RLIMIT_MEMLOCK */

enum lock_op { LOCK, UNLOCK, MAP_LOCKED_PAGE };

/*
 * Switched into @vid: mlock() or munlock() @pages pages at the start of the
 * VAS area, or map one more page there with MAP_LOCKED.  Returns 0 or the
 * errno of the call.
 */
static int lock_in(int vid, enum lock_op op, long pages)
{
	size_t len = pages * sysconf(_SC_PAGESIZE);
	int err = 0;
	void *p;

	if (vas_switch(vid))
		return errno;
	switch (op) {
	case LOCK:
		err = mlock(VAS_AREA, len) ? errno : 0;
		break;
	case UNLOCK:
		err = munlock(VAS_AREA, len) ? errno : 0;
		break;
	case MAP_LOCKED_PAGE:
		p = mmap(VAS_AREA + 2 * LOCK_PAGES * sysconf(_SC_PAGESIZE),
			 sysconf(_SC_PAGESIZE), RW,
			 MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_LOCKED, -1, 0);
		err = p == MAP_FAILED ? errno : munmap(p, 1);
		break;
	}
	if (vas_switch(0))
		return -1;
	return err;
}

/* Attaches @vid and maps LOCK_PAGES pages at the start of its area; 0 or -1. */
static int attach_mapped(int vid)
{
	void *p;

	if (vas_attach(0, vid, O_RDWR) || vas_switch(vid))
		return -1;
	p = mmap(VAS_AREA, LOCK_PAGES * sysconf(_SC_PAGESIZE), RW,
		 MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vas_switch(0) || p != VAS_AREA)
		return -1;
	return 0;
}

/*
 * An unprivileged user with RLIMIT_MEMLOCK of LOCK_PAGES pages locks that
 * much in its two VASes together, not in each: munlock() and vas_delete()
 * give the pages back.  In root's VAS, writable to all, it locks nothing.
 */
TEST_F(account, memlock_per_user)
{
	const rlim_t bytes = LOCK_PAGES * sysconf(_SC_PAGESIZE);
	const struct rlimit limit = { bytes, bytes };
	int others;
	pid_t child;

	others = vas_create(self->names[2], 0666);
	ASSERT_LE(1, others);
	child = vas_fork_child(_metadata);
	if (!child) {
		int v1, v2;

		vas_child_become_user(_metadata, USER);
		EXPECT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
		v1 = vas_create(self->names[0], 0600);
		v2 = vas_create(self->names[1], 0600);
		EXPECT_EQ(0, attach_mapped(v1));
		EXPECT_EQ(0, attach_mapped(v2));
		EXPECT_EQ(0, attach_mapped(others));
		VAS_CHILD_BAIL();

		/* Not the owner: no lock, though the limit has room. */
		EXPECT_EQ(ENOMEM, lock_in(others, LOCK, 1));
		EXPECT_EQ(EAGAIN, lock_in(others, MAP_LOCKED_PAGE, 1));

		EXPECT_EQ(0, lock_in(v1, LOCK, 12));
		EXPECT_EQ(ENOMEM, lock_in(v2, LOCK, 12));
		EXPECT_EQ(0, lock_in(v2, LOCK, 4));
		EXPECT_EQ(EAGAIN, lock_in(v2, MAP_LOCKED_PAGE, 1));
		EXPECT_EQ(ENOMEM, lock_in(v1, LOCK, 13));

		/* munlock() gives back: v2 takes what v1 had. */
		EXPECT_EQ(0, lock_in(v1, UNLOCK, 12));
		EXPECT_EQ(0, lock_in(v2, LOCK, 12));
		EXPECT_EQ(0, lock_in(v1, LOCK, 4));
		EXPECT_EQ(ENOMEM, lock_in(v1, LOCK, 5));

		/* So does vas_delete(). */
		EXPECT_EQ(0, vas_detach(0, v2));
		EXPECT_EQ(0, vas_delete(v2));
		EXPECT_EQ(0, lock_in(v1, LOCK, 16));
		EXPECT_EQ(ENOMEM, lock_in(others, LOCK, 1));
		VAS_CHILD_BAIL();
		_exit(0);
	}
	vas_wait_child(_metadata, child);
}

TEST_HARNESS_MAIN
