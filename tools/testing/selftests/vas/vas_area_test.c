// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - area: while a VAS is attached to a process, the process image
 * stays out of the VAS area, where the process's threads see their VASes,
 * and nothing of that shows as a mapping of the image.
 *
 * - the area counts neither in VmSize nor against RLIMIT_AS, and neither
 *   /proc/self/maps nor smaps shows anything there;
 * - the image cannot get there: a fixed mmap() or shmat() fails with
 *   ENOMEM, a hint is moved, the unmapped-area search passes over the area,
 *   mremap() neither grows nor moves into it, brk() and a stack that grows
 *   down do not reach it;
 * - each refusal changes nothing: the image's mappings next to the area and
 *   the VAS's memory are as before;
 * - after the last detach, and in a forked child, which attaches nothing,
 *   the image may map there again.
 *
 * Each test also shows, after the detach, that its way into the area works
 * without a VAS attached: the refusal comes from the attachment, not from
 * the set-up.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/vas.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vas_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define AREA		((char *)(uintptr_t)VAS_AREA_START)
#define AREA_END	((char *)(uintptr_t)VAS_AREA_END)
#define RW		(PROT_READ | PROT_WRITE)
#define ANON_PRIVATE	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SZ_1G		0x40000000UL
#define SZ_1T		0x10000000000UL
#define MAGIC		0x61726561UL
#define OVERCOMMIT	"/proc/sys/vm/overcommit_memory"

FIXTURE(area) {
	char name[VAS_NAME_MAX + 1];
	char overcommit[8];	/* to restore, if a test changed it */
	long page;
	int vid;
};

/* A VAS holding MAGIC at the start of the VAS area. */
FIXTURE_SETUP(area)
{
	unsigned long *word;

	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	self->page = sysconf(_SC_PAGESIZE);
	snprintf(self->name, sizeof(self->name), "vas_selftest.area.%s",
		 _metadata->name);
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid);
	ASSERT_EQ(0, vas_attach(0, self->vid, O_RDWR));
	ASSERT_EQ(0, vas_switch(self->vid));
	word = mmap(AREA, self->page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	if (word != MAP_FAILED)
		*word = MAGIC;
	ASSERT_EQ(0, vas_switch(0));
	ASSERT_EQ((void *)AREA, (void *)word);
}

FIXTURE_TEARDOWN(area)
{
	if (self->overcommit[0] &&
	    vas_write_text(OVERCOMMIT, self->overcommit, 0))
		TH_LOG("cannot restore " OVERCOMMIT);
	if (self->vid <= 0)
		return;
	vas_detach(0, self->vid);
	if (vas_delete(self->vid))
		TH_LOG("deleting %s: %s", self->name, strerror(errno));
}

/* Mappings of /proc/self/@file overlapping [@start, @end), or -1. */
static int maps_in(const char *file, char *start, char *end)
{
	unsigned long lo, hi;
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    lo < (uintptr_t)end && hi > (uintptr_t)start)
			n++;
	fclose(f);
	return n;
}

/* The start of the lowest mapping at or above @addr, or 0. */
static char *lowest_mapping_above(char *addr)
{
	unsigned long lo, hi, best = 0;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    lo >= (uintptr_t)addr && (!best || lo < best))
			best = lo;
	fclose(f);
	return (char *)best;
}

static bool in_area(const char *p, size_t len)
{
	return p < AREA_END && p + len > AREA;
}

/*
 * The image has nothing in the VAS area, and the VAS still holds its
 * memory there: what every refusal below must leave as it was.
 */
static void check_unchanged(struct __test_metadata *const _metadata, int vid)
{
	EXPECT_EQ(0, maps_in("maps", AREA, AREA_END));
	vas_check_segv(_metadata, AREA, false, SEGV_MAPERR);
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_EQ(MAGIC, *(unsigned long *)AREA);
	ASSERT_EQ(0, vas_switch(0));
}

/* A fixed mapping at @addr: ENOMEM while attached. */
static void check_fixed_refused(struct __test_metadata *const _metadata,
				char *addr, size_t len, int flags)
{
	char *p = mmap(addr, len, RW, flags | ANON_PRIVATE, -1, 0);

	EXPECT_EQ(MAP_FAILED, p)
	{
		TH_LOG("mmap(%p, %#zx, %#x) in the image: %p", addr, len,
		       flags, p);
	}
	EXPECT_EQ(ENOMEM, errno);
	if (p != MAP_FAILED)
		munmap(p, len);
}

/* The area costs the image nothing: no VmSize, no RLIMIT_AS, no maps line. */
TEST_F(area, not_a_mapping)
{
	const struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct rlimit limit;
	long size, size_attached;
	char *p;

	ASSERT_EQ(0, vas_detach(0, self->vid));
	/* Twice: the first read may grow the heap by its own buffers. */
	vas_proc_value("/proc/self/status", "VmSize:");
	size = vas_proc_value("/proc/self/status", "VmSize:");
	ASSERT_LT(0, size);
	ASSERT_EQ(0, vas_attach(0, self->vid, O_RDWR));
	size_attached = vas_proc_value("/proc/self/status", "VmSize:");
	EXPECT_EQ(size, size_attached);
	EXPECT_EQ(0, maps_in("maps", AREA, AREA_END));
	EXPECT_EQ(0, maps_in("smaps", AREA, AREA_END));
	check_unchanged(_metadata, self->vid);

	/* 256 MiB more than the image: attaching and mapping both fit. */
	ASSERT_EQ(0, vas_detach(0, self->vid));
	limit.rlim_cur = size * 1024 + (256UL << 20);
	limit.rlim_max = RLIM_INFINITY;
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &limit));
	EXPECT_EQ(0, vas_attach(0, self->vid, O_RDWR))
	{
		TH_LOG("vas_attach under RLIMIT_AS: %s", strerror(errno));
	}
	p = mmap(NULL, 64UL << 20, RW, ANON_PRIVATE, -1, 0);
	EXPECT_NE(MAP_FAILED, p)
	{
		TH_LOG("image mmap under RLIMIT_AS: %s", strerror(errno));
	}
	if (p != MAP_FAILED) {
		EXPECT_FALSE(in_area(p, 64UL << 20));
		EXPECT_EQ(0, munmap(p, 64UL << 20));
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &unlimited));
	check_unchanged(_metadata, self->vid);
}

/*
 * Fixed mappings into the area, across either end of it, and shmat() there
 * fail; the image's page next to the area is untouched by the attempt.
 */
TEST_F(area, fixed_refused)
{
	const long page = self->page;
	char *below, *p;
	void *shm;
	int id;

	below = mmap(AREA - page, page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
		     -1, 0);
	ASSERT_EQ(AREA - page, below);
	below[0] = 'b';

	check_fixed_refused(_metadata, AREA, page, MAP_FIXED);
	check_fixed_refused(_metadata, AREA + SZ_1G, page, MAP_FIXED_NOREPLACE);
	check_fixed_refused(_metadata, AREA_END - page, 2 * page, MAP_FIXED);
	check_fixed_refused(_metadata, AREA - page, 2 * page, MAP_FIXED);
	EXPECT_EQ('b', below[0]);

	id = shmget(IPC_PRIVATE, page, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	shm = shmat(id, AREA + SZ_1G, 0);
	EXPECT_EQ((void *)-1, shm);
	EXPECT_EQ(ENOMEM, errno);
	check_unchanged(_metadata, self->vid);

	/* Detached, the same calls map there. */
	ASSERT_EQ(0, vas_detach(0, self->vid));
	shm = shmat(id, AREA + SZ_1G, 0);
	EXPECT_EQ((void *)(AREA + SZ_1G), shm);
	if (shm != (void *)-1)
		EXPECT_EQ(0, shmdt(shm));
	EXPECT_EQ(0, shmctl(id, IPC_RMID, NULL));
	p = mmap(AREA - page, 2 * page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
	EXPECT_EQ(AREA - page, p);
	EXPECT_EQ(0, munmap(AREA - page, 2 * page));
}

/* A hint in the area, or across its start, is moved out of it. */
TEST_F(area, hint_moved)
{
	const long page = self->page;
	char *const hints[] = { AREA, AREA + SZ_1G, AREA - page,
				AREA_END - page };
	char *p;
	size_t i;
	int fd;

	fd = memfd_create("vas_area", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * page));
	for (i = 0; i < ARRAY_SIZE(hints); i++) {
		p = mmap(hints[i], 2 * page, RW, ANON_PRIVATE, -1, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_FALSE(in_area(p, 2 * page))
		{
			TH_LOG("anonymous, hint %p: at %p", hints[i], p);
		}
		p[0] = 1;
		EXPECT_EQ(0, munmap(p, 2 * page));

		/* shmem finds its own place, and is moved too. */
		p = mmap(hints[i], 2 * page, RW, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_FALSE(in_area(p, 2 * page))
		{
			TH_LOG("memfd, hint %p: at %p", hints[i], p);
		}
		EXPECT_EQ(0, munmap(p, 2 * page));
	}
	check_unchanged(_metadata, self->vid);

	ASSERT_EQ(0, vas_detach(0, self->vid));
	p = mmap(AREA + SZ_1G, page, RW, ANON_PRIVATE, -1, 0);
	EXPECT_EQ(AREA + SZ_1G, p);
	EXPECT_EQ(0, munmap(p, page));
	close(fd);
}

/*
 * With everything between the area and the image's top mappings taken, the
 * top-down search would next find room at the top of the VAS area: it must
 * find it below the area instead.
 */
TEST_F(area, search_passes_over)
{
	char *top = lowest_mapping_above(AREA_END), *block, *p;
	size_t block_len;

	ASSERT_NE(NULL, top);
	block_len = top - AREA_END;
	block = mmap(AREA_END, block_len, PROT_NONE,
		     MAP_FIXED_NOREPLACE | MAP_NORESERVE | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA_END, block);

	p = mmap(NULL, SZ_1T, PROT_NONE, MAP_NORESERVE | ANON_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(p + SZ_1T <= AREA)
	{
		TH_LOG("1 TiB mapped at %p", p);
	}
	EXPECT_EQ(0, munmap(p, SZ_1T));
	check_unchanged(_metadata, self->vid);

	/* Without the VAS, that search ends in the area. */
	ASSERT_EQ(0, vas_detach(0, self->vid));
	p = mmap(NULL, SZ_1T, PROT_NONE, MAP_NORESERVE | ANON_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(in_area(p, SZ_1T))
	{
		TH_LOG("the set-up does not reach the area: 1 TiB at %p", p);
	}
	EXPECT_EQ(0, munmap(p, SZ_1T));
	EXPECT_EQ(0, munmap(block, block_len));
}

/*
 * A mapping that ends at the area cannot grow into it: in place it fails,
 * with MREMAP_MAYMOVE it moves elsewhere, and a move into the area fails.
 */
TEST_F(area, mremap_refused)
{
	const long page = self->page;
	char *below, *p;

	below = mmap(AREA - page, page, RW, MAP_FIXED_NOREPLACE | ANON_PRIVATE,
		     -1, 0);
	ASSERT_EQ(AREA - page, below);
	below[0] = 'm';

	p = mremap(below, page, 2 * page, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENOMEM, errno);
	p = mremap(below, page, page, MREMAP_MAYMOVE | MREMAP_FIXED,
		   AREA + SZ_1G);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ('m', below[0]);
	check_unchanged(_metadata, self->vid);

	p = mremap(below, page, 2 * page, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_FALSE(in_area(p, 2 * page))
	{
		TH_LOG("grown to %p", p);
	}
	EXPECT_EQ('m', p[0]);
	check_unchanged(_metadata, self->vid);

	/* Detached, it grows in place. */
	ASSERT_EQ(0, vas_detach(0, self->vid));
	below = mremap(p, 2 * page, page, MREMAP_MAYMOVE | MREMAP_FIXED,
		       AREA - page);
	ASSERT_EQ(AREA - page, below);
	p = mremap(below, page, 2 * page, 0);
	EXPECT_EQ(below, p);
	EXPECT_EQ(0, munmap(below, 2 * page));
}

/*
 * brk() cannot extend the heap into the area.  Overcommit is allowed for
 * the test, so that nothing but the area refuses the 32 TiB heap.
 */
TEST_F(area, brk_refused)
{
	char *start = (char *)syscall(SYS_brk, 0), *end;

	ASSERT_EQ(0, vas_read_text(OVERCOMMIT, self->overcommit,
				   sizeof(self->overcommit)));
	if (vas_write_text(OVERCOMMIT, "1", 0)) {
		self->overcommit[0] = '\0';
		SKIP(return, "needs to allow overcommit (root)");
	}
	ASSERT_LT(start, AREA);

	end = (char *)syscall(SYS_brk, AREA + self->page);
	EXPECT_EQ(start, end);
	check_unchanged(_metadata, self->vid);

	ASSERT_EQ(0, vas_detach(0, self->vid));
	end = (char *)syscall(SYS_brk, AREA + self->page);
	EXPECT_EQ(AREA + self->page, end);
	EXPECT_EQ(start, (char *)syscall(SYS_brk, start));
}

/* A stack just above the area does not grow down into it. */
TEST_F(area, stack_growth_refused)
{
	const long page = self->page;
	char *stack, val = 's';

	stack = mmap(AREA_END, page, RW,
		     MAP_FIXED_NOREPLACE | MAP_GROWSDOWN | ANON_PRIVATE, -1, 0);
	ASSERT_EQ(AREA_END, stack);
	vas_check_segv(_metadata, AREA_END - page, true, SEGV_MAPERR);
	EXPECT_EQ(1, maps_in("maps", AREA_END, AREA_END + page));
	check_unchanged(_metadata, self->vid);

	/* Detached, it grows. */
	ASSERT_EQ(0, vas_detach(0, self->vid));
	EXPECT_EQ(0, vas_probe(AREA_END - page, true, &val));
	EXPECT_EQ(1, maps_in("maps", AREA_END - page, AREA_END));
	EXPECT_EQ(0, munmap(AREA_END - page, 2 * page));
}

/* A forked child attaches nothing: its image may map in the area. */
TEST_F(area, fork_child_free)
{
	const long page = self->page;
	pid_t child;
	char *p;

	child = vas_fork_child(_metadata);
	if (!child) {
		p = mmap(AREA, page, RW, MAP_FIXED | ANON_PRIVATE, -1, 0);
		EXPECT_EQ(AREA, p)
		{
			TH_LOG("mmap in the child: %s", strerror(errno));
		}
		if (p == AREA)
			EXPECT_EQ(0, p[0]);
		VAS_CHILD_BAIL();
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	check_unchanged(_metadata, self->vid);
}

TEST_HARNESS_MAIN
