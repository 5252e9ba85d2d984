// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - memory leaks: creating and deleting VASes, and failing to
 * create them, gives all the memory back.
 *
 * Each VAS owns an mm (at least an mm_struct and a page-table page), so
 * leaking 4000 of them costs 16 MiB or more.  The measurement has to cope
 * with KASAN, whose quarantine keeps freed slab objects (up to 1/32 of RAM)
 * before it really frees them.  As root, the test empties the quarantine
 * by shrinking every slab cache before each reading, after a short warm-up
 * that fills the caches.  When that is not possible it warms up until the
 * slab stops growing, which is when the quarantine recycles as much as it
 * takes in.  Then it measures another round of cycles.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/vas.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "vas_util.h"

#define WARMUP_SHRINK 1000	/* cycles, when the slab can be shrunk */
#define CHUNK 2000		/* cycles between two slab readings */
#define WARMUP_MIN 10000	/* cycles */
#define WARMUP_MAX 40000	/* cycles */
#define WARMUP_SECONDS 60	/* no more warm-up chunks after that */
#define MEASURED 4000		/* cycles */

/* The slab is stable when a chunk grows it by less than this. */
#define STABLE_SLAB_KB 512
/* Allowed growth over MEASURED cycles; a leak would cost 16 MiB or more. */
#define MAX_SLAB_GROWTH_KB (4 * 1024)
#define MAX_MEMFREE_DROP_KB (8 * 1024)

struct names {
	char name[64];		/* never exists between two cycles */
	char existing[64];	/* exists during failed_calls */
	int existing_vid;
};

FIXTURE(leak) {
	struct names names;
	int count;
	bool shrink;		/* vas_shrink_slabs() works */
};

FIXTURE_SETUP(leak)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	snprintf(self->names.name, sizeof(self->names.name), "vas_leak.%d",
		 getpid());
	snprintf(self->names.existing, sizeof(self->names.existing),
		 "vas_leak.%d.existing", getpid());
	self->names.existing_vid = 0;
	self->count = vas_sysfs_count();
	ASSERT_LE(0, self->count);
	self->shrink = vas_shrink_slabs(true) > 0;
	if (!self->shrink)
		TH_LOG("cannot shrink the slab caches: warming up instead");
}

FIXTURE_TEARDOWN(leak)
{
	vas_cleanup_name(self->names.name);
	vas_cleanup_name(self->names.existing);
}

/* One cycle: returns 0, or -1 after logging what went wrong. */
typedef int (*cycle_fn)(struct __test_metadata *const _metadata,
			const struct names *names);

static int create_delete(struct __test_metadata *const _metadata,
			 const struct names *names)
{
	int vid;

	vid = vas_create(names->name, 0600);
	if (vid < 1) {
		TH_LOG("vas_create: %s", strerror(errno));
		return -1;
	}
	if (vas_delete(vid)) {
		TH_LOG("vas_delete(%d): %s", vid, strerror(errno));
		return -1;
	}
	return 0;
}

static int failed_calls(struct __test_metadata *const _metadata,
			const struct names *names)
{
	struct vas_attr attr = {
		.mode = 0777,
		.user = VAS_ATTR_UNCHANGED,
		.group = VAS_ATTR_UNCHANGED,
	};

	if (vas_create(names->existing, 0600) != -1 || errno != EEXIST) {
		TH_LOG("vas_create of an existing name: %s", strerror(errno));
		return -1;
	}
	if (vas_create(names->name, 0777) != -1 || errno != EINVAL) {
		TH_LOG("vas_create with mode 0777: %s", strerror(errno));
		return -1;
	}
	if (vas_find(names->name) != -1 || errno != ENOENT) {
		TH_LOG("vas_find of a missing name: %s", strerror(errno));
		return -1;
	}
	if (vas_setattr(names->existing_vid, &attr) != -1 || errno != EINVAL) {
		TH_LOG("vas_setattr with mode 0777: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void run_cycles(struct __test_metadata *const _metadata,
		       const struct names *names, cycle_fn cycle, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, cycle(_metadata, names));
}

/* Warms up until the slab stops growing; returns the cycles run. */
static int warm_up(struct __test_metadata *const _metadata,
		   const struct names *names, cycle_fn cycle)
{
	struct vas_meminfo first, prev, now;
	double start = vas_now();
	long quarantine_max;
	int warmup = 0;

	vas_settle_and_read(_metadata, 0, false, &first);
	/* The most the KASAN quarantine can take, with some slack. */
	quarantine_max = first.mem_total / 32 + 32 * 1024;
	prev = first;
	for (;;) {
		run_cycles(_metadata, names, cycle, CHUNK);
		warmup += CHUNK;
		vas_settle_and_read(_metadata, 200000, false, &now);
		if (warmup >= WARMUP_MIN &&
		    now.slab - prev.slab < STABLE_SLAB_KB)
			break;
		if (warmup >= WARMUP_MAX ||
		    vas_now() - start > WARMUP_SECONDS)
			break;
		/* Clearly leaking: measure now rather than run out of memory. */
		if (first.mem_free - now.mem_free > quarantine_max)
			break;
		prev = now;
	}
	return warmup;
}

static void check_no_leak(struct __test_metadata *const _metadata,
			  const struct names *names, cycle_fn cycle,
			  bool shrink)
{
	struct vas_meminfo before, after;
	double start = vas_now(), t;
	int warmup = WARMUP_SHRINK;

	if (shrink)
		run_cycles(_metadata, names, cycle, WARMUP_SHRINK);
	else
		warmup = warm_up(_metadata, names, cycle);
	vas_settle_and_read(_metadata, 2000000, shrink, &before);

	t = vas_now();
	run_cycles(_metadata, names, cycle, MEASURED);
	t = vas_now() - t;
	vas_settle_and_read(_metadata, 2000000, shrink, &after);

	TH_LOG("%d warm-up cycles; %d cycles in %.1f s (%.1f ms each); %.1f s in all",
	       warmup, MEASURED, t, 1000 * t / MEASURED, vas_now() - start);
	TH_LOG("over %d cycles: Slab %+ld kB (SUnreclaim %+ld kB), MemFree %+ld kB, Percpu %+ld kB",
	       MEASURED, after.slab - before.slab,
	       after.sunreclaim - before.sunreclaim,
	       after.mem_free - before.mem_free, after.percpu - before.percpu);
	EXPECT_GT(MAX_SLAB_GROWTH_KB, after.slab - before.slab);
	EXPECT_GT(MAX_MEMFREE_DROP_KB, before.mem_free - after.mem_free);
}

TEST_F_TIMEOUT(leak, create_delete, 300)
{
	check_no_leak(_metadata, &self->names, create_delete, self->shrink);
	vas_check_gone(_metadata, 0, self->names.name);
	EXPECT_EQ(self->count, vas_sysfs_count());
}

TEST_F_TIMEOUT(leak, failed_calls, 300)
{
	struct names *names = &self->names;

	names->existing_vid = vas_create(names->existing, 0640);
	ASSERT_LE(1, names->existing_vid);

	check_no_leak(_metadata, names, failed_calls, self->shrink);

	vas_check_attr(_metadata, names->existing_vid, 0640, setfsuid(-1),
		       setfsgid(-1));
	vas_check_gone(_metadata, 0, names->name);
	EXPECT_EQ(self->count + 1, vas_sysfs_count());
	EXPECT_EQ(0, vas_delete(names->existing_vid));
	EXPECT_EQ(self->count, vas_sysfs_count());
}

TEST_HARNESS_MAIN
