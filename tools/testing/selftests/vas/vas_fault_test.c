// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - allocation failures: vas_create(), vas_delete(), vas_attach()
 * and vas_detach() with the n-th fault injection point of the call failing,
 * for n = 1, 2, ... until the call no longer reaches the n-th point.  A
 * failed create or attach must leave no trace, a call that succeeds must be
 * complete, and a delete must always succeed.  A detach allocates nothing:
 * it must reach no fault injection point at all, and always succeed.
 *
 * Needs CONFIG_FAULT_INJECTION (for /proc/<pid>/task/<tid>/fail-nth) with
 * CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS
 * (by default failslab ignores sleeping allocations and fail_page_alloc
 * ignores order-0 pages); skips otherwise.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vas_util.h"

#define DEBUGFS "/sys/kernel/debug"
#define VAS_AREA ((char *)(uintptr_t)VAS_AREA_START)
#define FAULT_MAGIC 0xfa17fa17fa17fa17UL
#define MAX_FAULT_POINTS 2000

/*
 * Settings that make every allocation injectable, without log noise (a
 * verbose fault attribute prints a stack trace for each injected fault).
 * The failslab ones are required, the others are set if they exist.
 */
static const struct {
	const char *path;
	const char *value;
	bool required;
} knobs[] = {
	{ DEBUGFS "/failslab/verbose", "0", true },
	{ DEBUGFS "/failslab/ignore-gfp-wait", "N", true },
	/* For fault.detach: runs of failures, for tasks that ask only. */
	{ DEBUGFS "/failslab/task-filter", "Y", true },
	{ DEBUGFS "/failslab/probability", "0", true },
	{ DEBUGFS "/failslab/interval", "1", true },
	{ DEBUGFS "/failslab/times", "1", true },
	{ DEBUGFS "/fail_page_alloc/verbose", "0", false },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N", false },
	{ DEBUGFS "/fail_page_alloc/min-order", "0", false },
	{ DEBUGFS "/fail_usercopy/verbose", "0", false },
};

#define NR_KNOBS ARRAY_SIZE(knobs)

struct knob_state {
	bool mounted;		/* debugfs mounted by the setup */
	bool saved[NR_KNOBS];
	char old[NR_KNOBS][32];
};

FIXTURE(fault) {
	char name[64];
	int fail_nth;		/* fd of this thread's fail-nth file */
	struct knob_state knobs;
	__u32 user, group;
	int count;
};

/* Returns false if a required knob cannot be set. */
static bool set_knobs(struct knob_state *ks)
{
	struct stat st;
	size_t i;

	if (stat(DEBUGFS "/failslab", &st) &&
	    !mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
		ks->mounted = true;
	for (i = 0; i < NR_KNOBS; i++) {
		if (vas_read_text(knobs[i].path, ks->old[i], sizeof(ks->old[i])) ||
		    vas_write_text(knobs[i].path, knobs[i].value, 0)) {
			if (knobs[i].required)
				return false;
			continue;
		}
		ks->saved[i] = true;
	}
	return true;
}

static int restore_knobs(struct knob_state *ks)
{
	int i, ret = 0;

	for (i = NR_KNOBS - 1; i >= 0; i--) {
		if (ks->saved[i] && vas_write_text(knobs[i].path, ks->old[i], 0))
			ret = -1;
		ks->saved[i] = false;
	}
	if (ks->mounted)
		umount(DEBUGFS);
	ks->mounted = false;
	return ret;
}

FIXTURE_SETUP(fault)
{
	char path[64];

	self->fail_nth = -1;
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	if (geteuid())
		SKIP(return, "needs root");

	snprintf(self->name, sizeof(self->name), "vas_fault.%d", getpid());
	self->user = setfsuid(-1);
	self->group = setfsgid(-1);
	self->count = vas_sysfs_count();
	ASSERT_LE(0, self->count);

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	self->fail_nth = open(path, O_RDWR | O_CLOEXEC);
	if (self->fail_nth < 0)
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION)", path);

	/* The teardown does not run after a skip in the setup. */
	if (!set_knobs(&self->knobs)) {
		restore_knobs(&self->knobs);
		close(self->fail_nth);
		SKIP(return, "cannot configure " DEBUGFS "/failslab");
	}
}

FIXTURE_TEARDOWN(fault)
{
	if (self->fail_nth >= 0) {
		EXPECT_EQ(1, pwrite(self->fail_nth, "0", 1, 0));
		close(self->fail_nth);
	}
	EXPECT_EQ(0, restore_knobs(&self->knobs));
	vas_cleanup_name(self->name);
}

/* Arms the n-th fault injection point of the next system call. */
static void arm(struct __test_metadata *const _metadata, int fail_nth, int n)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%d", n);
	ASSERT_EQ(len, pwrite(fail_nth, buf, len, 0));
}

/* Disarms fail-nth; returns whether the armed fault was injected. */
static bool injected(struct __test_metadata *const _metadata, int fail_nth)
{
	char buf[16] = "";
	bool ret;

	ASSERT_LT(0, pread(fail_nth, buf, sizeof(buf) - 1, 0));
	ret = atoi(buf) == 0;
	ASSERT_EQ(1, pwrite(fail_nth, "0", 1, 0));
	return ret;
}

TEST_F_TIMEOUT(fault, create, 300)
{
	int n, vid, err, failures = 0;
	bool hit;

	for (n = 1; n <= MAX_FAULT_POINTS; n++) {
		arm(_metadata, self->fail_nth, n);
		vid = vas_create(self->name, 0640);
		err = errno;
		hit = injected(_metadata, self->fail_nth);

		if (vid < 0) {
			/* Only allocations and user copies can fail. */
			EXPECT_TRUE(err == ENOMEM || err == EFAULT)
			{
				TH_LOG("fault %d: vas_create: %s", n,
				       strerror(err));
			}
			EXPECT_TRUE(hit)
			{
				TH_LOG("fault %d: failed without injection", n);
			}
			failures++;
			/* Nothing is left behind. */
			vas_check_gone(_metadata, 0, self->name);
			EXPECT_EQ(self->count, vas_sysfs_count())
			{
				TH_LOG("fault %d: sysfs entries", n);
			}
		} else {
			/* A success is complete. */
			ASSERT_LE(1, vid);
			EXPECT_EQ(vid, vas_find(self->name));
			vas_check_attr(_metadata, vid, 0640, self->user,
				       self->group);
			vas_check_sysfs(_metadata, vid, self->name, 0640,
					self->user, self->group);
			EXPECT_EQ(self->count + 1, vas_sysfs_count());
			ASSERT_EQ(0, vas_delete(vid));
			vas_check_gone(_metadata, vid, self->name);
		}
		if (_metadata->exit_code == KSFT_FAIL || !hit)
			break;
	}
	TH_LOG("%d fault points, %d made vas_create() fail", n - 1,
	       failures);
	if (n == 1 && !hit)
		SKIP(return, "no fault injected (see the comment at the top)");
	EXPECT_GT(MAX_FAULT_POINTS, n);
}

TEST_F_TIMEOUT(fault, delete, 300)
{
	int n, vid, ret, err;
	bool hit;

	for (n = 1; n <= MAX_FAULT_POINTS; n++) {
		vid = vas_create(self->name, 0640);
		ASSERT_LE(1, vid);
		arm(_metadata, self->fail_nth, n);
		ret = vas_delete(vid);
		err = errno;
		hit = injected(_metadata, self->fail_nth);

		EXPECT_EQ(0, ret)
		{
			TH_LOG("fault %d: vas_delete: %s", n, strerror(err));
		}
		if (ret) {
			vas_cleanup_name(self->name);
			break;
		}
		vas_check_gone(_metadata, vid, self->name);
		EXPECT_EQ(self->count, vas_sysfs_count());
		if (_metadata->exit_code == KSFT_FAIL || !hit)
			break;
	}
	TH_LOG("%d fault points in vas_delete()", n - 1);
	EXPECT_GT(MAX_FAULT_POINTS, n);
}

/*
 * Whether the image of this process can map at the start of the VAS area,
 * that is, whether no VAS is attached to the process.  While one is, the
 * image has no mapping there, but a fixed mapping there fails with ENOMEM
 * (errno is left as mmap() set it).
 */
static bool area_free(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	p = mmap(VAS_AREA, page, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	munmap(p, page);
	return p == VAS_AREA;
}

/* Attached and usable: a switch in reads the word the VAS holds. */
static void check_attached(struct __test_metadata *const _metadata, int vid,
			   int n)
{
	unsigned long v;

	ASSERT_EQ(0, vas_switch(vid))
	{
		TH_LOG("fault %d: vas_switch: %s", n, strerror(errno));
	}
	v = __atomic_load_n((unsigned long *)VAS_AREA, __ATOMIC_RELAXED);
	EXPECT_EQ(FAULT_MAGIC, v);
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_FALSE(area_free());
	/* Refused, not in the way of a mapping of the image. */
	EXPECT_EQ(ENOMEM, errno)
	{
		TH_LOG("fault %d: mmap in the VAS area: %s", n,
		       strerror(errno));
	}
}

/* Not attached, and the image may map in the VAS area again. */
static void check_detached(struct __test_metadata *const _metadata, int vid,
			   int n)
{
	EXPECT_EQ(-1, vas_switch(vid));
	EXPECT_EQ(-1, vas_detach(0, vid));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(area_free())
	{
		TH_LOG("fault %d: the image still cannot map in the VAS area",
		       n);
	}
}

/* A VAS that holds FAULT_MAGIC at the start of the VAS area. */
static int fault_vas(struct __test_metadata *const _metadata,
		     const char *name)
{
	long page = sysconf(_SC_PAGESIZE);
	int vid;

	vid = vas_create(name, 0600);
	if (vid < 1)
		return -1;
	if (vas_attach(0, vid, O_RDWR) || vas_switch(vid))
		return -1;
	if (mmap(VAS_AREA, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 -1, 0) != VAS_AREA)
		return -1;
	__atomic_store_n((unsigned long *)VAS_AREA, FAULT_MAGIC, __ATOMIC_RELAXED);
	if (vas_switch(0) || vas_detach(0, vid))
		return -1;
	return vid;
}

TEST_F_TIMEOUT(fault, attach, 300)
{
	int n, vid, ret, err, failures = 0;
	bool hit;

	vid = fault_vas(_metadata, self->name);
	ASSERT_LE(1, vid);
	for (n = 1; n <= MAX_FAULT_POINTS; n++) {
		arm(_metadata, self->fail_nth, n);
		ret = vas_attach(0, vid, O_RDWR);
		err = errno;
		hit = injected(_metadata, self->fail_nth);

		if (ret) {
			EXPECT_EQ(ENOMEM, err)
			{
				TH_LOG("fault %d: vas_attach: %s", n,
				       strerror(err));
			}
			EXPECT_TRUE(hit);
			failures++;
			check_detached(_metadata, vid, n);
		} else {
			check_attached(_metadata, vid, n);
			ASSERT_EQ(0, vas_detach(0, vid));
			check_detached(_metadata, vid, n);
		}
		if (_metadata->exit_code == KSFT_FAIL || !hit)
			break;
	}
	TH_LOG("%d fault points, %d made vas_attach() fail", n - 1, failures);
	EXPECT_LT(0, failures);
	EXPECT_GT(MAX_FAULT_POINTS, n);
	EXPECT_EQ(0, vas_delete(vid));
}

/*
 * Fails the first @times slab allocations of the next vas_detach() of this
 * thread (failslab with make-it-fail): a run of failures, unlike fail-nth,
 * so that an allocation retried after a failure fails too.  Returns
 * vas_detach()'s result, sets *@err to its errno and *@left to how many of
 * the @times failures failslab did not inject (-1 if unknown).
 */
static int detach_failing(struct __test_metadata *const _metadata, int vid,
			  int times, int *err, int *left)
{
	char path[64], buf[16];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/self/task/%d/make-it-fail",
		 gettid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -2;
	snprintf(buf, sizeof(buf), "%d", times);
	EXPECT_EQ(0, vas_write_text(DEBUGFS "/failslab/times", buf, 0));
	EXPECT_EQ(0, vas_write_text(DEBUGFS "/failslab/probability", "100",
				    0));
	EXPECT_EQ(1, pwrite(fd, "1", 1, 0));
	ret = vas_detach(0, vid);
	*err = errno;
	EXPECT_EQ(1, pwrite(fd, "0", 1, 0));
	close(fd);
	*left = -1;
	if (!vas_read_text(DEBUGFS "/failslab/times", buf, sizeof(buf)))
		*left = atoi(buf);
	EXPECT_EQ(0, vas_write_text(DEBUGFS "/failslab/probability", "0", 0));
	return ret;
}

/*
 * Detach allocates nothing of its own: the last one only lets the image map
 * in the VAS area again, under the mmap lock, and the attachment is freed
 * later by a work item.  Debugging code it calls may allocate (debug objects
 * refill their pool when call_rcu() tracks a head), so it may reach a fault
 * injection point; whichever it reaches, detach must succeed all the same
 * and leave the VAS detached.
 */
TEST_F_TIMEOUT(fault, detach, 300)
{
	int n, vid, ret, err, left, failures = 0;
	bool hit;

	vid = fault_vas(_metadata, self->name);
	ASSERT_LE(1, vid);
	for (n = 1; n <= MAX_FAULT_POINTS; n++) {
		ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
		arm(_metadata, self->fail_nth, n);
		ret = vas_detach(0, vid);
		err = errno;
		hit = injected(_metadata, self->fail_nth);
		EXPECT_EQ(0, ret)
		{
			TH_LOG("fault %d: vas_detach: %s", n, strerror(err));
		}
		if (ret) {
			failures++;
			check_attached(_metadata, vid, n);
			ASSERT_EQ(0, vas_detach(0, vid));
		}
		check_detached(_metadata, vid, n);
		if (_metadata->exit_code == KSFT_FAIL || !hit)
			break;
	}
	TH_LOG("%d single fault points, %d made vas_detach() fail", n - 1,
	       failures);
	EXPECT_EQ(0, failures);

	failures = 0;
	for (n = 1; n <= 4; n++) {
		ASSERT_EQ(0, vas_attach(0, vid, O_RDWR));
		ret = detach_failing(_metadata, vid, n, &err, &left);
		if (ret == -2)
			SKIP(return, "no make-it-fail (CONFIG_FAULT_INJECTION)");
		EXPECT_EQ(0, ret)
		{
			TH_LOG("%d failures: vas_detach: %s", n, strerror(err));
		}
		if (left >= 0 && left != n)
			TH_LOG("%d failures: %d injected", n, n - left);
		if (ret) {
			failures++;
			check_attached(_metadata, vid, n);
			ASSERT_EQ(0, vas_detach(0, vid));
		}
		check_detached(_metadata, vid, n);
	}
	TH_LOG("%d runs of failures made vas_detach() fail", failures);
	EXPECT_EQ(0, failures);
	EXPECT_EQ(0, vas_delete(vid));
}

TEST_HARNESS_MAIN
