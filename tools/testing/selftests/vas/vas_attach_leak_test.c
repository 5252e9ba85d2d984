// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - memory leaks of attach, switch and detach: a cycle of create,
 * attach, switch, touching VAS memory, switching back, detach and delete
 * gives all the memory back, and so do processes that attach a VAS, use its
 * memory and exit.
 *
 * Each cycle allocates a VAS mm, an attachment mm (the view), two VMAs in
 * two top-level slots of the VAS with their page tables, and two pages: a
 * leak of any of them over 4000 cycles shows in Slab, PageTables or
 * MemFree.  (A cycle costs 20-60 ms under TCG with KASAN and lockdep;
 * touching more pages would only make it slower.)  The measured cycles run
 * in WORKERS processes at once, one per vCPU of the test guest, each on a
 * VAS of its own name, so that VASes are created, attached and deleted
 * concurrently too.
 *
 * KASAN's quarantine keeps freed slab objects (up to 1/32 of RAM) before it
 * really frees them.  As root, the test empties it before each reading with
 * vas_shrink_slabs(); when that is not possible it warms up until the slab
 * stops growing, as vas_leak_test does.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vas.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"

/* Address @off bytes into the VAS area. */
#define VAS_PTR(off) ((void *)(uintptr_t)(VAS_AREA_START + (off)))

/* One page at the start of the area, one in another top-level slot. */
#define PAGE_ADDR VAS_PTR(0)
#define FAR_ADDR VAS_PTR(33 * VAS_SLOT_SIZE + (1024UL << 20))

#define WARMUP 200		/* cycles */
#define MEASURED 4000		/* cycles, in all */
#define WORKERS 2		/* processes that run them at once */
#define MEASURE_SECONDS 390	/* fail if they take longer */

/* Fallback without shrinking, as vas_leak_test. */
#define CHUNK 200		/* cycles between two slab readings */
#define WARMUP_SECONDS 60	/* no more warm-up chunks after that */
#define STABLE_SLAB_KB 512	/* a chunk that grows the slab less: stable */

#define MAX_SLAB_GROWTH_KB (4 * 1024)
#define MAX_PAGETABLES_GROWTH_KB 256
#define MAX_MEMFREE_DROP_KB (8 * 1024)

#define NR_CHILDREN 16
#define SHARED_SIZE (64UL << 20)

/* A dead process may hold its attachments a little longer. */
#define DELETE_SECONDS 1.0
#define CLEANUP_SECONDS 5.0

/* Free pages on the per-CPU lists, in kB, from /proc/zoneinfo. */
static long pcp_free_kb(void)
{
	long kb = 0, count;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " count: %ld", &count) == 1)
			kb += count * (getpagesize() / 1024);
	}
	fclose(f);
	return kb;
}

/* The name of the VAS of worker @w. */
static void worker_name(char *buf, size_t size, const char *name, int w)
{
	snprintf(buf, size, "%.*s.%d", VAS_NAME_MAX - 4, name, w);
}

FIXTURE(attach_leak) {
	char name[VAS_NAME_MAX + 1];
	bool shrink;		/* vas_shrink_slabs() works */
};

FIXTURE_SETUP(attach_leak)
{
	char wname[VAS_NAME_MAX + 1];
	int w;

	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	snprintf(self->name, sizeof(self->name),
		 "vas_selftest.attach_leak.%s", _metadata->name);
	/* Left over by an earlier run that was killed. */
	vas_cleanup_name(self->name);
	for (w = 0; w < WORKERS; w++) {
		worker_name(wname, sizeof(wname), self->name, w);
		vas_cleanup_name(wname);
	}
	self->shrink = vas_shrink_slabs(true) > 0;
	if (!self->shrink)
		TH_LOG("cannot shrink the slab caches: warming up instead");
}

static void delete_name(struct __test_metadata *const _metadata,
			const char *name)
{
	int vid = vas_find(name);

	if (vid > 0 && vas_delete_retry(vid, CLEANUP_SECONDS))
		TH_LOG("cannot delete %s: %s", name, strerror(errno));
}

FIXTURE_TEARDOWN_PARENT(attach_leak)
{
	char wname[VAS_NAME_MAX + 1];
	int w;

	delete_name(_metadata, self->name);
	for (w = 0; w < WORKERS; w++) {
		worker_name(wname, sizeof(wname), self->name, w);
		delete_name(_metadata, wname);
	}
}

static bool map_and_touch(struct __test_metadata *const _metadata,
			  void *addr, size_t len)
{
	size_t page = getpagesize(), off;
	char *p;

	p = mmap(addr, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != addr) {
		TH_LOG("mmap(%p, %zu) in the VAS: %s", addr, len,
		       p == MAP_FAILED ? strerror(errno) : "moved");
		return false;
	}
	for (off = 0; off < len; off += page)
		p[off] = 1;
	return true;
}

/*
 * One cycle: create, attach, switch, touch two pages, switch back,
 * detach, delete.  Returns 0, or -1 after logging what went wrong.
 */
static int attach_cycle(struct __test_metadata *const _metadata,
			const char *name)
{
	int vid, ret = -1;

	vid = vas_create(name, 0600);
	if (vid < 1) {
		TH_LOG("vas_create: %s", strerror(errno));
		return -1;
	}
	if (vas_attach(0, vid, O_RDWR)) {
		TH_LOG("vas_attach: %s", strerror(errno));
		goto out_delete;
	}
	if (vas_switch(vid)) {
		TH_LOG("vas_switch: %s", strerror(errno));
		goto out_detach;
	}
	if (map_and_touch(_metadata, PAGE_ADDR, getpagesize()) &&
	    map_and_touch(_metadata, FAR_ADDR, getpagesize()))
		ret = 0;
	if (vas_switch(0)) {
		TH_LOG("vas_switch(0): %s", strerror(errno));
		ret = -1;
	}
out_detach:
	if (vas_detach(0, vid)) {
		TH_LOG("vas_detach: %s", strerror(errno));
		ret = -1;
	}
out_delete:
	if (vas_delete(vid)) {
		TH_LOG("vas_delete: %s", strerror(errno));
		ret = -1;
	}
	return ret;
}

/*
 * Runs @n cycles, or fewer if one fails or @seconds run out; returns the
 * number that succeeded.
 */
static int run_cycles(struct __test_metadata *const _metadata,
		      const char *name, int n, double seconds)
{
	double end = vas_now() + seconds;
	int i, ret;

	for (i = 0; i < n && vas_now() <= end; i++) {
		ret = attach_cycle(_metadata, name);
		EXPECT_EQ(0, ret)
		{
			TH_LOG("%s: cycle %d", name, i);
		}
		if (ret)
			break;
	}
	return i;
}

/*
 * Runs @n / WORKERS cycles in each of WORKERS processes at once, or fewer if
 * @seconds run out; returns the number that succeeded in all.
 */
static int run_workers(struct __test_metadata *const _metadata,
		       const char *name, int n, double seconds)
{
	char wname[VAS_NAME_MAX + 1];
	pid_t children[WORKERS];
	int *done, w, total = 0;

	done = mmap(NULL, WORKERS * sizeof(*done), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, done);
	for (w = 0; w < WORKERS; w++) {
		children[w] = vas_fork_child(_metadata);
		if (children[w])
			continue;
		worker_name(wname, sizeof(wname), name, w);
		done[w] = run_cycles(_metadata, wname, n / WORKERS, seconds);
		_exit(0);
	}
	for (w = 0; w < WORKERS; w++) {
		vas_wait_child(_metadata, children[w]);
		total += done[w];
	}
	munmap(done, WORKERS * sizeof(*done));
	return total;
}

TEST_F_TIMEOUT(attach_leak, attach_switch_detach, 420)
{
	struct vas_meminfo first, prev, before, after;
	char wname[VAS_NAME_MAX + 1];
	double start = vas_now(), t;
	long quarantine_max;
	int warmup, done, w;

	vas_settle_and_read(_metadata, 0, self->shrink, &first);
	warmup = run_cycles(_metadata, self->name, WARMUP, WARMUP_SECONDS);
	if (!self->shrink) {
		/* As vas_leak_test: until the quarantine recycles. */
		quarantine_max = first.mem_total / 32 + 32 * 1024;
		prev = first;
		for (;;) {
			vas_settle_and_read(_metadata, 200000, false, &before);
			if (before.slab - prev.slab < STABLE_SLAB_KB)
				break;
			if (vas_now() - start > WARMUP_SECONDS)
				break;
			if (first.mem_free - before.mem_free > quarantine_max)
				break;
			prev = before;
			warmup += run_cycles(_metadata, self->name, CHUNK,
					     WARMUP_SECONDS);
		}
	}
	vas_settle_and_read(_metadata, 1000000, self->shrink, &before);

	t = vas_now();
	done = run_workers(_metadata, self->name, MEASURED, MEASURE_SECONDS);
	t = vas_now() - t;
	vas_settle_and_read(_metadata, 2000000, self->shrink, &after);

	TH_LOG("%d warm-up cycles; %d cycles in %.1f s (%.1f ms each)",
	       warmup, done, t, 1000 * t / done);
	TH_LOG("over %d cycles: Slab %+ld kB (SUnreclaim %+ld kB)", done,
	       after.slab - before.slab, after.sunreclaim - before.sunreclaim);
	TH_LOG("over %d cycles: PageTables %+ld kB, MemFree %+ld kB", done,
	       after.page_tables - before.page_tables,
	       after.mem_free - before.mem_free);
	EXPECT_EQ(MEASURED, done)
	{
		TH_LOG("only %d of %d cycles within %d s", done, MEASURED,
		       MEASURE_SECONDS);
	}
	EXPECT_GT(MAX_SLAB_GROWTH_KB, after.slab - before.slab);
	EXPECT_GT(MAX_PAGETABLES_GROWTH_KB,
		  after.page_tables - before.page_tables);
	EXPECT_GT(MAX_MEMFREE_DROP_KB, before.mem_free - after.mem_free);
	vas_check_gone(_metadata, 0, self->name);
	for (w = 0; w < WORKERS; w++) {
		worker_name(wname, sizeof(wname), self->name, w);
		vas_check_gone(_metadata, 0, wname);
	}
}

static void attach_switch(struct __test_metadata *const _metadata, int vid)
{
	ASSERT_EQ(0, vas_attach(0, vid, O_RDWR))
	{
		TH_LOG("vas_attach(0, %d, O_RDWR): %s", vid, strerror(errno));
	}
	ASSERT_EQ(0, vas_switch(vid))
	{
		TH_LOG("vas_switch(%d): %s", vid, strerror(errno));
	}
}

static unsigned long child_mark(int i)
{
	return 0x6368696c64000000UL + i;
}

/* Checks that page i of the shared memory starts with i; returns the bad. */
static size_t check_pages(const unsigned long *mem, size_t pages,
			  size_t stride)
{
	size_t i, bad = 0;

	for (i = 0; i < pages; i++)
		bad += mem[i * stride] != i;
	return bad;
}

/*
 * NR_CHILDREN processes attach a VAS that holds 64 MiB, all at once, read
 * all of it and exit, half of them switched, all still attached.  The
 * page tables of the VAS are shared: when they are gone PageTables is back
 * where it was, and when the VAS is deleted too, so is MemFree.
 */
TEST_F_TIMEOUT(attach_leak, multi_process, 300)
{
	size_t stride = getpagesize() / sizeof(unsigned long);
	size_t pages = SHARED_SIZE / getpagesize(), i;
	struct vas_meminfo first, populated, during, after, last;
	unsigned long *mem = VAS_PTR(0);
	pid_t children[NR_CHILDREN];
	int ready[2], go[2], vid, c, status;
	pid_t parent = getpid();
	char buf[NR_CHILDREN];
	long free_first, free_last;
	size_t got = 0;
	ssize_t ret;

	vas_settle_and_read(_metadata, 0, self->shrink, &first);
	free_first = first.mem_free + pcp_free_kb();
	vid = vas_create(self->name, 0600);
	ASSERT_LE(1, vid);
	attach_switch(_metadata, vid);
	ASSERT_EQ(mem, mmap(mem, SHARED_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0));
	for (i = 0; i < pages; i++)
		mem[i * stride] = i;
	ASSERT_EQ(0, vas_switch(0));
	ASSERT_EQ(0, vas_detach(0, vid));
	vas_settle_and_read(_metadata, 1000000, self->shrink, &populated);

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	for (c = 0; c < NR_CHILDREN; c++) {
		fflush(stdout);
		fflush(stderr);
		children[c] = fork();
		ASSERT_LE(0, children[c]);
		if (children[c])
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(ready[0]);
		close(go[1]);
		attach_switch(_metadata, vid);
		EXPECT_EQ(0, check_pages(mem, pages, stride))
		{
			TH_LOG("child %d: bad data", c);
		}
		mem[c * stride + 1] = child_mark(c);
		/* Half of them exit switched, all exit attached. */
		if (c % 2)
			ASSERT_EQ(0, vas_switch(0));
		ASSERT_EQ(1, write(ready[1], "r", 1));
		/* Until all are attached. */
		ASSERT_EQ(0, read(go[0], buf, 1));
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	while (got < NR_CHILDREN) {
		ret = read(ready[0], buf, sizeof(buf) - got);
		if (ret <= 0)
			break;
		got += ret;
	}
	EXPECT_EQ(NR_CHILDREN, got);
	ASSERT_EQ(0, vas_read_meminfo(&during));
	close(go[1]);
	close(ready[0]);
	for (c = 0; c < NR_CHILDREN; c++) {
		ASSERT_EQ(children[c], waitpid(children[c], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		{
			TH_LOG("child %d ended with status %#x", c, status);
		}
	}
	vas_settle_and_read(_metadata, 2000000, self->shrink, &after);

	/* The memory and the marks of the children are all there. */
	attach_switch(_metadata, vid);
	EXPECT_EQ(0, check_pages(mem, pages, stride));
	for (c = 0; c < NR_CHILDREN; c++)
		EXPECT_EQ(child_mark(c), mem[c * stride + 1]);
	ASSERT_EQ(0, vas_switch(0));
	ASSERT_EQ(0, vas_detach(0, vid));
	EXPECT_EQ(0, vas_delete_retry(vid, DELETE_SECONDS))
	{
		TH_LOG("vas_delete: %s", strerror(errno));
	}
	vas_settle_and_read(_metadata, 2000000, self->shrink, &last);
	free_last = last.mem_free + pcp_free_kb();

	TH_LOG("PageTables %ld kB; %+ld kB with 64 MiB in the VAS",
	       first.page_tables, populated.page_tables - first.page_tables);
	TH_LOG("then %+ld kB with %d attached, %+ld kB after they exited",
	       during.page_tables - populated.page_tables, NR_CHILDREN,
	       after.page_tables - populated.page_tables);
	TH_LOG("after the delete: PageTables %+ld kB",
	       last.page_tables - first.page_tables);
	TH_LOG("MemFree %+ld kB, with per-CPU lists %+ld kB, Slab %+ld kB after the delete",
	       last.mem_free - first.mem_free, free_last - free_first,
	       last.slab - first.slab);
	EXPECT_GT(MAX_PAGETABLES_GROWTH_KB,
		  after.page_tables - populated.page_tables);
	EXPECT_GT(MAX_PAGETABLES_GROWTH_KB,
		  last.page_tables - first.page_tables);
	/*
	 * MemFree leaves out the free pages on the per-CPU lists, which
	 * alone vary by up to 16 MiB after 16 processes exit: count them.
	 */
	EXPECT_GT(MAX_MEMFREE_DROP_KB, free_first - free_last);
	if (self->shrink)
		EXPECT_GT(MAX_SLAB_GROWTH_KB, last.slab - first.slab);
	vas_check_gone(_metadata, vid, self->name);
}

TEST_HARNESS_MAIN
