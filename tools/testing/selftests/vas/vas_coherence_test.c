// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - coherence between the process image and VAS views.
 *
 * A thread switched into a VAS runs on an attachment mm whose top-level
 * entries point at the page tables of the process mm (image slots) and of
 * the VAS mm (VAS slots).  Nothing is copied, so nothing may ever be stale:
 * memory that one thread maps, writes, unmaps or protects is seen exactly so,
 * at once, by every other thread, switched or not, and by every process
 * attached to the same VAS.  A missed TLB flush shows up here as a read of
 * an old value, a read through a revoked page, or a write that reaches a page
 * fork() made copy-on-write.
 *
 * Worker threads and child processes only record what they see; the main
 * thread checks it, as the harness assertions are not thread safe.  The
 * teardown runs in the harness's parent process, after every thread of the
 * test has exited (which detaches the VAS), so it also cleans up after a
 * test that failed with threads still running.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <linux/vas.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vas_util.h"

#define MIB			(1024UL * 1024)
#define VAS_AREA		((char *)(uintptr_t)VAS_AREA_START)

/* Children a test forks; the teardown kills those still recorded. */
#define MAX_CHILDREN		2

/* The teardown's wait for an asynchronous mm teardown to detach the VAS. */
#define DELETE_RETRY_SECONDS	5

static size_t page_size;

FIXTURE(coherence) {
	char name[VAS_NAME_MAX + 1];
	int vid;
	pid_t children[MAX_CHILDREN];
};

/* Every test gets its own VAS, "vas_selftest.coherence.<test>", attached. */
FIXTURE_SETUP(coherence)
{
	int ret, err;

	memset(self, 0, sizeof(*self));
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	page_size = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, active_vas());

	snprintf(self->name, sizeof(self->name), "vas_selftest.coherence.%s",
		 _metadata->name);
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid)
	{
		TH_LOG("vas_create(%s): %s", self->name, strerror(errno));
	}
	ret = vas_attach(0, self->vid, O_RDWR);
	if (ret) {
		/* The teardown does not run after a failed setup. */
		err = errno;
		vas_delete(self->vid);
		self->vid = 0;
		errno = err;
	}
	ASSERT_EQ(0, ret)
	{
		TH_LOG("vas_attach: %s", strerror(errno));
	}
}

/*
 * Runs in the parent process once the test process and all its threads have
 * exited, which detached the VAS; children of the test may still run.
 */
FIXTURE_TEARDOWN_PARENT(coherence)
{
	double end = vas_now() + DELETE_RETRY_SECONDS;
	int i, ret;

	for (i = 0; i < MAX_CHILDREN; i++) {
		if (self->children[i] > 0)
			kill(self->children[i], SIGKILL);
	}
	if (self->vid <= 0)
		return;
	while ((ret = vas_delete(self->vid)) && errno == EBUSY &&
	       vas_now() < end)
		usleep(10000);
	EXPECT_EQ(0, ret)
	{
		TH_LOG("vas_delete(%d): %s", self->vid, strerror(errno));
	}
}

/* The orderly end of a test: back in the image, the VAS detached. */
static void finish(struct __test_metadata *const _metadata,
		   struct _test_data_coherence *self)
{
	EXPECT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, active_vas());
	EXPECT_EQ(0, vas_detach(0, self->vid))
	{
		TH_LOG("vas_detach(0, %d): %s", self->vid, strerror(errno));
	}
}

/*
 * What threads and children found wrong: the number of failures and the
 * first one.  Any failure also asks every thread of the test to stop.
 */
struct report {
	int failures;
	int stop;
	char first[256];
};

static void __printf(2, 3) report(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (!__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED)) {
		va_start(ap, fmt);
		vsnprintf(r->first, sizeof(r->first), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
}

static bool stopped(struct report *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static void check_report(struct __test_metadata *const _metadata,
			 struct report *r)
{
	EXPECT_EQ(0, r->failures)
	{
		TH_LOG("%d failures, the first: %s", r->failures, r->first);
	}
}

/* Switches the calling thread to @vid: vas_switch() must never fail. */
static bool switch_to(struct report *r, int vid)
{
	int now;

	if (vas_switch(vid)) {
		report(r, "thread %d: vas_switch(%d): %s", gettid(), vid,
		       strerror(errno));
		return false;
	}
	now = active_vas();
	if (now != vid) {
		report(r, "thread %d: active_vas() is %d after vas_switch(%d)",
		       gettid(), now, vid);
		return false;
	}
	return true;
}

/* The first two CPUs the test may run on; returns how many there are. */
static int pick_cpus(int cpus[2])
{
	cpu_set_t set;
	int cpu, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	}
	return n;
}

/* Pins the calling thread to @cpu. */
static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline unsigned long load_ul(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store_ul(unsigned long *p, unsigned long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/*
 * Loads that may fault: a SIGSEGV while a probe is armed returns to the
 * probe, any other SIGSEGV kills the process.
 */
static __thread sigjmp_buf probe_env;
static __thread int probe_armed;
static __thread int probe_code;

static void segv_handler(int sig, siginfo_t *info, void *ucontext)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if (!__atomic_load_n(&probe_armed, __ATOMIC_RELAXED)) {
		/* Not a probe: die of it when the access is repeated. */
		sigaction(SIGSEGV, &dfl, NULL);
		return;
	}
	__atomic_store_n(&probe_armed, 0, __ATOMIC_RELAXED);
	probe_code = info->si_code;
	siglongjmp(probe_env, 1);
}

/* SA_NODEFER: the probe's siglongjmp() leaves SIGSEGV unblocked. */
static int catch_segv(void)
{
	struct sigaction sa = {
		.sa_sigaction = segv_handler,
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};

	return sigaction(SIGSEGV, &sa, NULL);
}

static void default_segv(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	sigaction(SIGSEGV, &sa, NULL);
}

/* Reads *@p into *@val; false if the load faulted (code in probe_code). */
static bool probe_load(const unsigned long *p, unsigned long *val)
{
	/* No signal mask saved: a probe costs no system call. */
	if (sigsetjmp(probe_env, 0))
		return false;
	__atomic_store_n(&probe_armed, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	*val = load_ul(p);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&probe_armed, 0, __ATOMIC_RELAXED);
	return true;
}

/*
 * heap_growth: 4 threads that switch into the VAS and out again and 4
 * threads in the image grow memory in every way there is, write a pattern
 * into it and publish it (the last HEAP_RING allocations of each thread are
 * published at any time).  Every thread reads every published allocation as
 * soon as it sees it, through whatever view it is in at the time.  Image
 * memory in a slot nobody used before checks that a new top-level table of
 * the owner reaches the views at once; VAS memory in a new VAS slot does the
 * same for the VAS mm.  Unmapping may free those tables again.
 */

#define HEAP_SWITCHED		4
#define HEAP_THREADS		(HEAP_SWITCHED + 4)
#define HEAP_ITERATIONS		400
#define HEAP_SECONDS		8
#define HEAP_MMAP_THRESHOLD	(128 * 1024)
#define HEAP_STRIDE		4096
#define HEAP_RING		4	/* published allocations per thread */
/* Image slots 8.. (4 TiB..): far from where the image maps anything. */
#define HEAP_IMAGE_SLOT		8

enum heap_kind {
	HEAP_SMALL,	/* malloc() below a page */
	HEAP_MEDIUM,	/* malloc() up to 96 KiB: the thread's arena */
	HEAP_LARGE,	/* malloc() above the mmap threshold: mmap() */
	HEAP_SBRK,
	HEAP_MMAP,	/* mmap(NULL, ...) */
	HEAP_NEW_SLOT,	/* image memory at a fixed address in a fresh slot */
	HEAP_VAS,	/* VAS memory: threads switched into the VAS only */
	NR_HEAP_KINDS
};

static const char * const heap_kind_names[NR_HEAP_KINDS] = {
	"malloc small", "malloc medium", "malloc large", "sbrk",
	"mmap(NULL)", "mmap in a new image slot", "VAS mmap",
};

/* An allocation a thread publishes. */
struct heap_pub {
	char *ptr;		/* NULL while there is none */
	size_t size;
	unsigned long pattern;
	int kind;
	int refs;		/* readers looking at ptr */
};

struct heap_ctx {
	int vid;
	int stop;		/* time is up */
	int running;
	pthread_mutex_t brk_lock;
	struct heap_pub pub[HEAP_THREADS][HEAP_RING];
	unsigned long made[NR_HEAP_KINDS];
	unsigned long checked[NR_HEAP_KINDS];	/* by other threads */
	unsigned long switches;
	struct report report;
};

struct heap_arg {
	struct heap_ctx *ctx;
	int id;
	bool switcher;		/* switches into the VAS */
	bool in_vas;		/* switched right now */
	unsigned int seed;
	unsigned long iterations;
};

static unsigned long heap_word(unsigned long pattern, size_t off)
{
	return pattern ^ (off * 0x9e3779b97f4a7c15UL);
}

/* The pattern is at every HEAP_STRIDE and in the last word. */
static size_t heap_next(size_t off, size_t size)
{
	size_t last = (size - sizeof(long)) & ~(sizeof(long) - 1);

	if (off == last)
		return size;
	off += HEAP_STRIDE;
	return off < last ? off : last;
}

static void heap_fill(char *p, size_t size, unsigned long pattern)
{
	size_t off;

	for (off = 0; off < size; off = heap_next(off, size))
		store_ul((unsigned long *)(p + off), heap_word(pattern, off));
}

static bool heap_switch(struct heap_arg *arg, int vid)
{
	if (!switch_to(&arg->ctx->report, vid))
		return false;
	arg->in_vas = vid;
	__atomic_add_fetch(&arg->ctx->switches, 1, __ATOMIC_RELAXED);
	return true;
}

/* Reads an allocation thread @owner publishes, if this view can. */
static void heap_check(struct heap_arg *arg, int owner, int slot)
{
	struct heap_ctx *ctx = arg->ctx;
	struct heap_pub *pub = &ctx->pub[owner][slot];
	unsigned long seen, expected;
	size_t off;
	char *p;

	/* Announce the reader before looking: the owner frees after that. */
	__atomic_add_fetch(&pub->refs, 1, __ATOMIC_SEQ_CST);
	p = __atomic_load_n(&pub->ptr, __ATOMIC_SEQ_CST);
	if (!p || (pub->kind == HEAP_VAS && !arg->in_vas))
		goto out;
	for (off = 0; off < pub->size; off = heap_next(off, pub->size)) {
		seen = load_ul((unsigned long *)(p + off));
		expected = heap_word(pub->pattern, off);
		if (seen != expected) {
			report(&ctx->report,
			       "thread %d (%s) read %#lx at +%zu of the %zu bytes of %s at %p of thread %d, expected %#lx",
			       arg->id, arg->in_vas ? "in the VAS" : "in the image",
			       seen, off, pub->size, heap_kind_names[pub->kind],
			       p, owner, expected);
			goto out;
		}
	}
	if (owner != arg->id)
		__atomic_add_fetch(&ctx->checked[pub->kind], 1,
				   __ATOMIC_RELAXED);
out:
	__atomic_sub_fetch(&pub->refs, 1, __ATOMIC_SEQ_CST);
}

static void heap_scan(struct heap_arg *arg)
{
	int i, slot;

	for (i = 0; i < HEAP_THREADS; i++) {
		for (slot = 0; slot < HEAP_RING; slot++)
			heap_check(arg, i, slot);
	}
}

/* Withdraws an allocation of this thread, frees it once nobody reads it. */
static bool heap_retire(struct heap_arg *arg, int slot)
{
	struct heap_pub *pub = &arg->ctx->pub[arg->id][slot];
	char *p = pub->ptr;

	if (!p)
		return true;
	__atomic_store_n(&pub->ptr, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&pub->refs, __ATOMIC_SEQ_CST))
		sched_yield();
	switch (pub->kind) {
	case HEAP_SMALL:
	case HEAP_MEDIUM:
	case HEAP_LARGE:
		free(p);
		break;
	case HEAP_SBRK:
		/* Others may have moved the break since: this stays. */
		break;
	default:
		if (munmap(p, pub->size)) {
			report(&arg->ctx->report,
			       "thread %d: munmap(%p) of %s: %s", arg->id, p,
			       heap_kind_names[pub->kind], strerror(errno));
			return false;
		}
	}
	return true;
}

static size_t heap_size(struct heap_arg *arg, size_t min, size_t max)
{
	size_t size = min + rand_r(&arg->seed) % (max - min + 1);

	return (size + 63) & ~63UL;
}

static char *heap_map(struct heap_arg *arg, char *addr, size_t size)
{
	char *p;

	p = mmap(addr, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == addr)
		return p;
	report(&arg->ctx->report, "thread %d (%s): mmap(%p, %zu) gave %p: %s",
	       arg->id, arg->in_vas ? "in the VAS" : "in the image", addr,
	       size, p, p == MAP_FAILED ? strerror(errno) : "elsewhere");
	if (p != MAP_FAILED)
		munmap(p, size);
	return NULL;
}

/* Allocates memory of the next kind, fills and publishes it in @slot. */
static bool heap_produce(struct heap_arg *arg, int slot)
{
	struct heap_ctx *ctx = arg->ctx;
	struct heap_pub *pub = &ctx->pub[arg->id][slot];
	int kinds = arg->in_vas ? NR_HEAP_KINDS : NR_HEAP_KINDS - 1;
	/* Every thread goes through every kind, each from a different one. */
	int kind = (arg->iterations + arg->id) % kinds;
	size_t pages = 1 + rand_r(&arg->seed) % 16;
	unsigned long where = (arg->iterations % 64) * 2 * MIB;
	char *p = NULL;
	size_t size;

	switch (kind) {
	case HEAP_SMALL:
		size = heap_size(arg, 16, 4096);
		p = malloc(size);
		break;
	case HEAP_MEDIUM:
		size = heap_size(arg, 4096, 96 * 1024);
		p = malloc(size);
		break;
	case HEAP_LARGE:
		size = heap_size(arg, HEAP_MMAP_THRESHOLD + 4096, 512 * 1024);
		p = malloc(size);
		break;
	case HEAP_SBRK:
		size = heap_size(arg, 4096, 64 * 1024);
		pthread_mutex_lock(&ctx->brk_lock);
		p = sbrk(size);
		pthread_mutex_unlock(&ctx->brk_lock);
		if (p == (void *)-1)
			p = NULL;
		break;
	case HEAP_MMAP:
		size = (1 + rand_r(&arg->seed) % 64) * page_size;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		break;
	case HEAP_NEW_SLOT:
		size = pages * page_size;
		p = heap_map(arg, (char *)(uintptr_t)((HEAP_IMAGE_SLOT +
			     arg->id) * VAS_SLOT_SIZE) + where, size);
		if (!p)
			return false;
		break;
	default:
		size = pages * page_size;
		p = heap_map(arg, VAS_AREA + (1 + arg->id) * VAS_SLOT_SIZE +
			     where, size);
		if (!p)
			return false;
		break;
	}
	if (!p) {
		report(&ctx->report, "thread %d (%s): %s of %zu bytes: %s",
		       arg->id, arg->in_vas ? "in the VAS" : "in the image",
		       heap_kind_names[kind], size, strerror(errno));
		return false;
	}

	pub->size = size;
	pub->kind = kind;
	pub->pattern = ((unsigned long)arg->id << 56) ^
		       (arg->iterations << 24) ^ rand_r(&arg->seed);
	heap_fill(p, size, pub->pattern);
	__atomic_store_n(&pub->ptr, p, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ctx->made[kind], 1, __ATOMIC_RELAXED);
	return true;
}

static bool heap_done(struct heap_ctx *ctx)
{
	return __atomic_load_n(&ctx->stop, __ATOMIC_RELAXED) ||
	       stopped(&ctx->report);
}

static void *heap_thread(void *data)
{
	struct heap_arg *arg = data;
	struct heap_ctx *ctx = arg->ctx;
	struct heap_pub *pub = ctx->pub[arg->id];
	bool ok = true, vas = false;
	int slot;

	while (ok && !heap_done(ctx) && arg->iterations < HEAP_ITERATIONS) {
		/* Replaces the oldest of this thread's allocations. */
		slot = arg->iterations % HEAP_RING;
		if (arg->switcher)
			ok = heap_switch(arg, ctx->vid);
		ok = ok && heap_retire(arg, slot) && heap_produce(arg, slot);
		heap_scan(arg);
		if (ok && arg->switcher) {
			/* Out, in and out again: every view is the same. */
			ok = heap_switch(arg, 0);
			heap_scan(arg);
			ok = ok && heap_switch(arg, ctx->vid);
			heap_scan(arg);
			ok = ok && heap_switch(arg, 0);
			heap_scan(arg);
		}
		arg->iterations++;
	}

	/* VAS memory is unmapped from the VAS. */
	for (slot = 0; slot < HEAP_RING; slot++)
		vas |= pub[slot].ptr && pub[slot].kind == HEAP_VAS;
	if (vas && !arg->in_vas)
		heap_switch(arg, ctx->vid);
	for (slot = 0; slot < HEAP_RING; slot++) {
		if (pub[slot].kind != HEAP_VAS || arg->in_vas)
			heap_retire(arg, slot);
	}
	if (arg->in_vas)
		heap_switch(arg, 0);
	__atomic_sub_fetch(&ctx->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F_TIMEOUT(coherence, heap_growth, 120)
{
	struct heap_arg args[HEAP_THREADS];
	pthread_t threads[HEAP_THREADS];
	unsigned long iterations = 0;
	struct heap_ctx *ctx;
	double end;
	int i, slot;

	ctx = calloc(1, sizeof(*ctx));
	ASSERT_NE(NULL, ctx);
	ctx->vid = self->vid;
	ctx->running = HEAP_THREADS;
	ASSERT_EQ(0, pthread_mutex_init(&ctx->brk_lock, NULL));
	/* A fixed threshold: large malloc() always uses mmap(). */
	ASSERT_EQ(1, mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD));

	memset(args, 0, sizeof(args));
	for (i = 0; i < HEAP_THREADS; i++) {
		args[i].ctx = ctx;
		args[i].id = i;
		args[i].switcher = i < HEAP_SWITCHED;
		args[i].seed = i + 1;
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, heap_thread,
					    &args[i]));
	}
	end = vas_now() + HEAP_SECONDS;
	while (__atomic_load_n(&ctx->running, __ATOMIC_ACQUIRE) &&
	       vas_now() < end)
		usleep(10000);
	__atomic_store_n(&ctx->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < HEAP_THREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));

	check_report(_metadata, &ctx->report);
	for (i = 0; i < HEAP_THREADS; i++)
		iterations += args[i].iterations;
	TH_LOG("%lu iterations, %lu switches", iterations, ctx->switches);
	for (i = 0; i < NR_HEAP_KINDS; i++) {
		TH_LOG("%s: %lu made, %lu read by other threads",
		       heap_kind_names[i], ctx->made[i], ctx->checked[i]);
		EXPECT_LT(0, ctx->checked[i]);
	}
	EXPECT_LT(0, ctx->switches);
	for (i = 0; i < HEAP_THREADS; i++) {
		for (slot = 0; slot < HEAP_RING; slot++)
			EXPECT_EQ(NULL, ctx->pub[i][slot].ptr);
	}
	pthread_mutex_destroy(&ctx->brk_lock);
	free(ctx);
	finish(_metadata, self);
}

/*
 * condvar: a one-slot mailbox guarded by a mutex and two condition
 * variables; two producers and two consumers, one of each switched into the
 * VAS (and switching out and in again now and then, at times holding the
 * mutex), hand over CV_HANDOFFS items.  A wait that times out is a lost
 * wakeup.  condvar_vas: the same with the mailbox in VAS memory, where all
 * threads are switched while they touch it.
 */

#define CV_HANDOFFS		2000
#define CV_WAIT_SECONDS		5
#define CV_TOGGLE		16	/* switch round trip every 16 items */
#define CV_VAS_OFFSET		(16 * MIB)

struct cv_box {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	bool full, stop;
	unsigned long item, produced, consumed, sum;
	unsigned char taken[CV_HANDOFFS + 1];
};

struct cv_ctx {
	struct cv_box *box;
	int vid;
	bool box_in_vas;
	unsigned long switches;
	struct report report;
};

struct cv_arg {
	struct cv_ctx *ctx;
	bool producer;
	bool switcher;
	unsigned long ops;
};

/* Called with the lock held. */
static void cv_stop(struct cv_box *box)
{
	box->stop = true;
	pthread_cond_broadcast(&box->not_empty);
	pthread_cond_broadcast(&box->not_full);
}

static int cv_wait(pthread_cond_t *cond, pthread_mutex_t *lock)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += CV_WAIT_SECONDS;
	return pthread_cond_timedwait(cond, lock, &ts);
}

static bool cv_round_trip(struct cv_ctx *ctx)
{
	if (!switch_to(&ctx->report, 0) || !switch_to(&ctx->report, ctx->vid))
		return false;
	__atomic_add_fetch(&ctx->switches, 2, __ATOMIC_RELAXED);
	return true;
}

/* Puts the next item into the box; false when done. */
static bool cv_produce(struct cv_ctx *ctx)
{
	struct cv_box *box = ctx->box;
	int ret;

	while (box->full && !box->stop && box->produced < CV_HANDOFFS) {
		ret = cv_wait(&box->not_full, &box->lock);
		if (ret) {
			report(&ctx->report,
			       "producer: lost wakeup (%s) after %lu items produced, %lu consumed",
			       strerror(ret), box->produced, box->consumed);
			cv_stop(box);
			return false;
		}
	}
	if (box->stop || box->produced == CV_HANDOFFS)
		return false;
	box->item = ++box->produced;
	box->full = true;
	pthread_cond_signal(&box->not_empty);
	if (box->produced == CV_HANDOFFS)
		pthread_cond_broadcast(&box->not_full);
	return true;
}

/* Takes an item out of the box; false when done. */
static bool cv_consume(struct cv_ctx *ctx)
{
	struct cv_box *box = ctx->box;
	unsigned long item;
	int ret;

	while (!box->full && !box->stop && box->consumed < CV_HANDOFFS) {
		ret = cv_wait(&box->not_empty, &box->lock);
		if (ret) {
			report(&ctx->report,
			       "consumer: lost wakeup (%s) after %lu items produced, %lu consumed",
			       strerror(ret), box->produced, box->consumed);
			cv_stop(box);
			return false;
		}
	}
	if (box->stop || !box->full)
		return false;
	item = box->item;
	box->full = false;
	box->consumed++;
	if (!item || item > CV_HANDOFFS || box->taken[item]++) {
		report(&ctx->report, "consumer: took item %lu twice or out of range",
		       item);
		cv_stop(box);
		return false;
	}
	box->sum += item;
	pthread_cond_signal(&box->not_full);
	if (box->consumed == CV_HANDOFFS)
		pthread_cond_broadcast(&box->not_empty);
	return true;
}

static void *cv_thread(void *data)
{
	struct cv_arg *arg = data;
	struct cv_ctx *ctx = arg->ctx;
	struct cv_box *box = ctx->box;
	bool more = true, round_trip;

	if ((arg->switcher || ctx->box_in_vas) &&
	    !switch_to(&ctx->report, ctx->vid)) {
		/* Cannot reach a box in VAS memory: let the others fail. */
		return NULL;
	}
	while (more) {
		round_trip = arg->switcher && ++arg->ops % CV_TOGGLE == 0;
		if (round_trip && ctx->box_in_vas && !cv_round_trip(ctx))
			break;
		pthread_mutex_lock(&box->lock);
		if (round_trip && !ctx->box_in_vas && !cv_round_trip(ctx)) {
			cv_stop(box);
			more = false;
		} else if (arg->producer) {
			more = cv_produce(ctx);
		} else {
			more = cv_consume(ctx);
		}
		pthread_mutex_unlock(&box->lock);
	}
	if (active_vas())
		switch_to(&ctx->report, 0);
	return NULL;
}

static void run_condvar(struct __test_metadata *const _metadata,
			struct _test_data_coherence *self, bool box_in_vas)
{
	struct cv_arg args[4];
	pthread_t threads[4];
	pthread_condattr_t attr;
	struct cv_ctx *ctx;
	struct cv_box *box;
	unsigned long i;
	int t, ret = 0;

	ctx = calloc(1, sizeof(*ctx));
	ASSERT_NE(NULL, ctx);
	ctx->vid = self->vid;
	ctx->box_in_vas = box_in_vas;
	if (box_in_vas) {
		ASSERT_EQ(0, vas_switch(self->vid));
		box = mmap(VAS_AREA + CV_VAS_OFFSET, sizeof(*box),
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
		ASSERT_EQ(VAS_AREA + CV_VAS_OFFSET, (char *)box)
		{
			TH_LOG("mmap in the VAS: %s", strerror(errno));
		}
	} else {
		box = calloc(1, sizeof(*box));
		ASSERT_NE(NULL, box);
	}
	ctx->box = box;
	ASSERT_EQ(0, pthread_mutex_init(&box->lock, NULL));
	ASSERT_EQ(0, pthread_condattr_init(&attr));
	ASSERT_EQ(0, pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	ASSERT_EQ(0, pthread_cond_init(&box->not_empty, &attr));
	ASSERT_EQ(0, pthread_cond_init(&box->not_full, &attr));
	pthread_condattr_destroy(&attr);
	ASSERT_EQ(0, vas_switch(0));

	/* A switched and an unswitched producer and consumer. */
	memset(args, 0, sizeof(args));
	for (t = 0; t < 4; t++) {
		args[t].ctx = ctx;
		args[t].producer = t < 2;
		args[t].switcher = t % 2;
		ASSERT_EQ(0, pthread_create(&threads[t], NULL, cv_thread,
					    &args[t]));
	}
	for (t = 0; t < 4; t++)
		ASSERT_EQ(0, pthread_join(threads[t], NULL));

	check_report(_metadata, &ctx->report);
	if (box_in_vas)
		ASSERT_EQ(0, vas_switch(self->vid));
	EXPECT_EQ(CV_HANDOFFS, box->produced);
	EXPECT_EQ(CV_HANDOFFS, box->consumed);
	EXPECT_EQ(CV_HANDOFFS * (CV_HANDOFFS + 1UL) / 2, box->sum);
	i = 1;
	while (i <= CV_HANDOFFS && box->taken[i] == 1)
		i++;
	EXPECT_EQ(CV_HANDOFFS + 1, i)
	{
		TH_LOG("item %lu taken %d times", i, box->taken[i]);
	}
	pthread_cond_destroy(&box->not_empty);
	pthread_cond_destroy(&box->not_full);
	pthread_mutex_destroy(&box->lock);
	if (box_in_vas)
		ret = munmap(box, sizeof(*box));
	else
		free(box);
	EXPECT_EQ(0, ret);
	TH_LOG("%d items handed over, %lu switches", CV_HANDOFFS,
	       ctx->switches);
	free(ctx);
	finish(_metadata, self);
}

TEST_F_TIMEOUT(coherence, condvar, 120)
{
	run_condvar(_metadata, self, false);
}

TEST_F_TIMEOUT(coherence, condvar_vas, 120)
{
	run_condvar(_metadata, self, true);
}

/*
 * TLB shootdown.  A reader pinned to one CPU and switched into the VAS
 * spins on loads of a token page.  A writer pinned to another CPU changes
 * the page under it each round and then raises a flag: after seeing the flag
 * the reader must read exactly the new token k + 1, never the old k nor 0;
 * after mprotect(PROT_NONE) it must fault.  A missed flush of the view the
 * reader runs on leaves it reading the old page.
 *
 * tlb_vas_*: the token is VAS memory and the writer is a second process
 * attached to the VAS.  tlb_image_*: the token is image memory and the
 * writer an unswitched thread of the same process.
 *
 * A page freed by munmap() or MADV_DONTNEED may be the next page the
 * writer's CPU allocates (the per-CPU free lists are LIFO), and a new token
 * in the old page would hide a stale entry: so the writer first touches a
 * page of a "sink" buffer, which is likely to take the freed page, and marks
 * it with TLB_SINK_MAGIC.
 *
 * tlb_*_pageout and tlb_*_migrate move the page instead of freeing it: to
 * swap with MADV_PAGEOUT (the batched reclaim flush), or to the other NUMA
 * node with move_pages() (the migration flush; image memory only, as
 * move_pages() does not resolve VAS addresses).  The reader must then
 * find the token the writer stored in the page's new home, through the
 * TLB entry it held of the old one if that was not flushed.  The swapped
 * page is freed, so the writer takes it with the sink before it faults
 * the page back in.
 *
 * tlb_*_collapse keep the token in a 2 MiB range that the writer splits
 * (MADV_DONTNEED of another page) and collapses into a new huge page
 * (MADV_COLLAPSE) every round: the token moves to the new huge page.
 * tlb_*_mbind migrate the page between the NUMA nodes with mbind(), which
 * resolves VAS memory (move_pages() does not).
 * tlb_*_khugepaged split the range the same way and wait for khugepaged
 * to collapse it.
 * tlb_*_hugetlb replace a 2 MiB hugetlb page by another each round.
 * tlb_*_ksm make the page after the token's a copy of it each round, wait
 * until ksmd merged the two, and the writer's store breaks the merge.
 * tlb_image_high_* use image memory above 128 TiB, which exists with
 * 5-level paging only (skipped otherwise): a view shares those PGD entries.
 */

#define TLB_ROUNDS		1000
#define TLB_SECONDS		4	/* of rounds, per test */
#define TLB_WAIT_SECONDS	10	/* for the other side */
#define TLB_VAS_OFFSET		(16 * MIB)
#define TLB_SINK_MAGIC		0x5151000000000000UL

enum tlb_op {
	TLB_MUNMAP, TLB_MADVISE, TLB_MPROTECT, TLB_PAGEOUT, TLB_MIGRATE,
	TLB_COLLAPSE, TLB_KHUGEPAGED, TLB_HUGETLB, TLB_KSM, TLB_MBIND
};

/* Where the token lives. */
enum tlb_where { TLB_VAS, TLB_IMAGE, TLB_IMAGE_HIGH };

#define TLB_THP_SIZE		(2UL << 20)
/* Image memory above the 47-bit boundary, with 5-level paging. */
#define TLB_HIGH_HINT		((char *)(1UL << 47) + (1UL << 30))

#define TLB_THP_DIR		"/sys/kernel/mm/transparent_hugepage/khugepaged/"
#define TLB_KSM_DIR		"/sys/kernel/mm/ksm/"
#define TLB_SCAN_WAIT_SECONDS	2	/* for ksmd or khugepaged, per round */
#define TLB_HUGETLB_PAGES	3	/* token, sink, and one to spare */
#define TLB_HUGETLB_SYSCTL	"/proc/sys/vm/nr_hugepages"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/* In a MAP_SHARED page: reader and writer may be different processes. */
struct tlb_ctl {
	int op;
	unsigned long seen;	/* reader: read token k from the page */
	unsigned long revoked;	/* writer: page of round k is PROT_NONE */
	unsigned long faulted;	/* reader: faulted on the revoked page */
	unsigned long done;	/* writer: token k + 1 is in the new page */
	unsigned long moved;	/* writer: rounds MADV_COLLAPSE moved it */
	int finished;		/* writer: no more rounds */
	unsigned long window_faults;	/* reader, while the page changed */
	unsigned long revoked_faults;
	struct report report;
};

struct tlb_thread {
	struct tlb_ctl *ctl;
	char *page;
	char *sink;
	int cpu;
	int vid;		/* the reader's VAS */
};

static const char *tlb_hint(unsigned long v, unsigned long k)
{
	if (v == k)
		return " (the old token: stale TLB entry)";
	if (!v)
		return " (a zero page)";
	if ((v & 0xffff000000000000UL) == TLB_SINK_MAGIC)
		return " (a page the writer reused: stale TLB entry)";
	return "";
}

/* The writer waits until the reader has set *@field to @k. */
static bool tlb_wait(struct tlb_ctl *ctl, unsigned long *field,
		     unsigned long k, const char *what)
{
	double end = vas_now() + TLB_WAIT_SECONDS;
	unsigned long spins = 0;

	while (__atomic_load_n(field, __ATOMIC_ACQUIRE) < k) {
		if (stopped(&ctl->report))
			return false;
		if (++spins % 1024 == 0 && vas_now() > end) {
			report(&ctl->report,
			       "writer: round %lu: the reader did not %s in %d s",
			       k, what, TLB_WAIT_SECONDS);
			return false;
		}
	}
	return true;
}

/* Takes the page the writer's CPU freed last, see above. */
static void tlb_sink(char *sink, unsigned long k)
{
	store_ul((unsigned long *)(sink + (k - 1) * page_size),
		 TLB_SINK_MAGIC | k);
}

/* The pages swapped out so far, or -1. */
static long swapped_out(void)
{
	return vas_proc_value("/proc/vmstat", "pswpout");
}

/* Moves the page to NUMA node @node; false (reported) if it did not move. */
static bool tlb_migrate(struct report *r, char *page, int node)
{
	void *pages[1] = { page };
	int nodes[1] = { node }, status[1] = { -1 };
	long ret;

	ret = syscall(__NR_move_pages, 0, 1, pages, nodes, status,
		      MPOL_MF_MOVE);
	if (ret < 0) {
		report(r, "writer: move_pages: %s", strerror(errno));
		return false;
	}
	if (status[0] != node) {
		report(r, "writer: move_pages: page status %d, expected node %d",
		       status[0], node);
		return false;
	}
	return true;
}

static long tlb_sysfs_read(const char *dir, const char *name)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return buf[0] ? atol(buf) : -1;
}

static bool tlb_sysfs_write(const char *dir, const char *name, long value)
{
	char path[128], buf[32];
	int fd, len;
	bool ok;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = snprintf(buf, sizeof(buf), "%ld", value);
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok;
}

/*
 * Makes the page after the token's a twin of it (both hold only k) and
 * waits until ksmd has merged them: the token's page becomes a KSM page.
 */
static bool tlb_ksm_merge(char *page, unsigned long k)
{
	double end = vas_now() + TLB_SCAN_WAIT_SECONDS;

	store_ul((unsigned long *)(page + page_size), k);
	while (tlb_sysfs_read(TLB_KSM_DIR, "pages_sharing") < 1) {
		if (vas_now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* AnonHugePages of /proc/meminfo, in KiB, or -1. */
static long anon_huge_kib(void)
{
	return vas_proc_value("/proc/meminfo", "AnonHugePages:");
}

/*
 * Splits the huge page of the range at @page (MADV_DONTNEED of another
 * page) and waits until khugepaged collapsed it again.
 */
static bool tlb_khugepaged(struct report *r, char *page)
{
	double end = vas_now() + TLB_SCAN_WAIT_SECONDS;
	long base;

	/* The split is done when madvise() returns. */
	if (madvise(page + page_size, page_size, MADV_DONTNEED)) {
		report(r, "writer: madvise(MADV_DONTNEED): %s", strerror(errno));
		return false;
	}
	base = anon_huge_kib();
	while (anon_huge_kib() < base + (long)(TLB_THP_SIZE >> 10)) {
		if (vas_now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * Replaces the hugetlb page at @page by another one.  The pool is LIFO: a
 * sink mapping takes the page just freed, so the new token page is another.
 */
static bool tlb_hugetlb_remap(struct report *r, char *page, unsigned long k)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	const int rw = PROT_READ | PROT_WRITE;
	char *sink;

	if (munmap(page, TLB_THP_SIZE)) {
		report(r, "writer: munmap(hugetlb): %s", strerror(errno));
		return false;
	}
	sink = mmap(NULL, TLB_THP_SIZE, rw, flags, -1, 0);
	if (sink == MAP_FAILED) {
		report(r, "writer: mmap(hugetlb sink): %s", strerror(errno));
		return false;
	}
	store_ul((unsigned long *)sink, TLB_SINK_MAGIC | k);
	if (mmap(page, TLB_THP_SIZE, rw, flags | MAP_FIXED, -1, 0) != page) {
		report(r, "writer: mmap(hugetlb, MAP_FIXED): %s",
		       strerror(errno));
		return false;
	}
	store_ul((unsigned long *)page, k + 1);
	munmap(sink, TLB_THP_SIZE);
	return true;
}

/*
 * Moves the page to NUMA node @node with mbind(MPOL_MF_MOVE), which works
 * on VAS memory; false (reported) if it did not move.
 */
static bool tlb_mbind(struct report *r, char *page, int node)
{
	unsigned long mask = 1UL << node;
	int where = -1;

	if (syscall(__NR_mbind, page, page_size, MPOL_BIND, &mask,
		    8 * sizeof(mask), MPOL_MF_MOVE | MPOL_MF_STRICT)) {
		report(r, "writer: mbind: %s", strerror(errno));
		return false;
	}
	if (syscall(__NR_get_mempolicy, &where, NULL, 0, page,
		    MPOL_F_NODE | MPOL_F_ADDR)) {
		report(r, "writer: get_mempolicy: %s", strerror(errno));
		return false;
	}
	if (where != node) {
		report(r, "writer: mbind: the page is on node %d, expected %d",
		       where, node);
		return false;
	}
	return true;
}

static void tlb_writer(struct tlb_ctl *ctl, char *page, char *sink)
{
	const int rw = PROT_READ | PROT_WRITE;
	double end = vas_now() + TLB_SECONDS;
	struct report *r = &ctl->report;
	unsigned long k;

	for (k = 1; k <= TLB_ROUNDS && vas_now() < end; k++) {
		if (!tlb_wait(ctl, &ctl->seen, k, "read the token"))
			break;
		switch (ctl->op) {
		case TLB_MUNMAP:
			if (munmap(page, page_size)) {
				report(r, "writer: munmap: %s", strerror(errno));
				goto out;
			}
			tlb_sink(sink, k);
			if (mmap(page, page_size, rw,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != page) {
				report(r, "writer: mmap(MAP_FIXED): %s",
				       strerror(errno));
				goto out;
			}
			break;
		case TLB_MADVISE:
			if (madvise(page, page_size, MADV_DONTNEED)) {
				report(r, "writer: madvise: %s",
				       strerror(errno));
				goto out;
			}
			tlb_sink(sink, k);
			break;
		case TLB_PAGEOUT:
			if (madvise(page, page_size, MADV_PAGEOUT)) {
				report(r, "writer: madvise(MADV_PAGEOUT): %s",
				       strerror(errno));
				goto out;
			}
			tlb_sink(sink, k);
			break;
		case TLB_MIGRATE:
			if (!tlb_migrate(r, page, k & 1))
				goto out;
			break;
		case TLB_MBIND:
			if (!tlb_mbind(r, page, k & 1))
				goto out;
			break;
		case TLB_HUGETLB:
			if (!tlb_hugetlb_remap(r, page, k))
				goto out;
			break;
		case TLB_KSM:
			/* The store below breaks the merge: a new page. */
			if (tlb_ksm_merge(page, k))
				ctl->moved++;
			break;
		case TLB_KHUGEPAGED:
			if (tlb_khugepaged(r, page))
				ctl->moved++;
			break;
		case TLB_COLLAPSE:
			/* Split the huge page, then collapse the range anew. */
			if (madvise(page + page_size, page_size, MADV_DONTNEED)) {
				report(r, "writer: madvise(MADV_DONTNEED): %s",
				       strerror(errno));
				goto out;
			}
			if (!madvise(page, TLB_THP_SIZE, MADV_COLLAPSE)) {
				ctl->moved++;
			} else if (errno != EAGAIN) {
				report(r, "writer: madvise(MADV_COLLAPSE): %s",
				       strerror(errno));
				goto out;
			}
			break;
		case TLB_MPROTECT:
			if (mprotect(page, page_size, PROT_NONE)) {
				report(r, "writer: mprotect(PROT_NONE): %s",
				       strerror(errno));
				goto out;
			}
			__atomic_store_n(&ctl->revoked, k, __ATOMIC_RELEASE);
			if (!tlb_wait(ctl, &ctl->faulted, k,
				      "fault on the PROT_NONE page"))
				goto out;
			if (mprotect(page, page_size, rw)) {
				report(r, "writer: mprotect(RW): %s",
				       strerror(errno));
				goto out;
			}
			break;
		}
		store_ul((unsigned long *)page, k + 1);
		__atomic_store_n(&ctl->done, k, __ATOMIC_RELEASE);
	}
out:
	__atomic_store_n(&ctl->finished, 1, __ATOMIC_RELEASE);
}

/* The reader's look at the page of round @k; returns whether it saw k. */
static bool tlb_probe(struct tlb_ctl *ctl, const unsigned long *token,
		      unsigned long k, bool seen)
{
	struct report *r = &ctl->report;
	unsigned long v = 0;
	bool ok;

	ok = probe_load(token, &v);
	if (!seen) {
		/* The writer waits for this: the page holds k. */
		if (!ok) {
			report(r, "reader: round %lu: fault (si_code %d) before the change",
			       k, probe_code);
		} else if (v != k) {
			report(r,
			       "reader: round %lu: read %#lx before the change, expected %#lx",
			       k, v, k);
		} else {
			__atomic_store_n(&ctl->seen, k, __ATOMIC_RELEASE);
			return true;
		}
		return false;
	}
	if (!ok) {
		if (ctl->op == TLB_MADVISE)
			report(r,
			       "reader: round %lu: fault (si_code %d) after MADV_DONTNEED",
			       k, probe_code);
		else
			ctl->window_faults++;
	} else if (v != k && v != k + 1 && (v || ctl->op == TLB_MPROTECT)) {
		report(r, "reader: round %lu: read %#lx while the page changed%s",
		       k, v, tlb_hint(v, k));
	}
	return true;
}

static void tlb_reader(struct tlb_ctl *ctl, const unsigned long *token)
{
	double end = vas_now() + TLB_WAIT_SECONDS;
	bool seen = false, revoked = false;
	struct report *r = &ctl->report;
	unsigned long k = 1, v = 0, spins = 0;

	while (!stopped(r)) {
		if (__atomic_load_n(&ctl->done, __ATOMIC_ACQUIRE) >= k) {
			/* The writer is done with round k: exactly k + 1. */
			if (!probe_load(token, &v))
				report(r, "reader: round %lu: fault (si_code %d) after the change",
				       k, probe_code);
			else if (v != k + 1)
				report(r,
				       "reader: round %lu: read %#lx after the change, expected %#lx%s",
				       k, v, k + 1, tlb_hint(v, k));
			k++;
			seen = false;
			revoked = false;
			end = vas_now() + TLB_WAIT_SECONDS;
			continue;
		}
		if (ctl->op == TLB_MPROTECT && !revoked &&
		    __atomic_load_n(&ctl->revoked, __ATOMIC_ACQUIRE) >= k) {
			if (probe_load(token, &v))
				report(r,
				       "reader: round %lu: read %#lx through a PROT_NONE page: stale TLB entry",
				       k, v);
			else
				ctl->revoked_faults++;
			revoked = true;
			__atomic_store_n(&ctl->faulted, k, __ATOMIC_RELEASE);
			continue;
		}

		/*
		 * MADV_PAGEOUT skips a folio that waits in a CPU's LRU-add
		 * batch: the reader leaves the fault-in to the writer, whose
		 * next madvise() drains its own CPU's batch.
		 */
		if (!seen || ctl->op != TLB_PAGEOUT)
			seen = tlb_probe(ctl, token, k, seen);

		if (++spins % 4096)
			continue;
		if (__atomic_load_n(&ctl->finished, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&ctl->done, __ATOMIC_ACQUIRE) < k)
			break;
		if (vas_now() > end)
			report(r, "reader: round %lu: the writer made no progress in %d s",
			       k, TLB_WAIT_SECONDS);
	}
}

static void *tlb_reader_thread(void *data)
{
	struct tlb_thread *t = data;
	struct report *r = &t->ctl->report;

	if (pin_cpu(t->cpu)) {
		report(r, "reader: sched_setaffinity(%d): %s", t->cpu,
		       strerror(errno));
		return NULL;
	}
	if (!switch_to(r, t->vid))
		return NULL;
	tlb_reader(t->ctl, (unsigned long *)t->page);
	switch_to(r, 0);
	return NULL;
}

static void *tlb_writer_thread(void *data)
{
	struct tlb_thread *t = data;

	if (pin_cpu(t->cpu)) {
		report(&t->ctl->report, "writer: sched_setaffinity(%d): %s",
		       t->cpu, strerror(errno));
		return NULL;
	}
	tlb_writer(t->ctl, t->page, t->sink);
	return NULL;
}

/* The writer process of tlb_vas_*: attaches the VAS itself. */
static int tlb_child(struct tlb_ctl *ctl, int vid, char *page, char *sink,
		     int cpu)
{
	struct report *r = &ctl->report;
	unsigned long v;

	if (pin_cpu(cpu)) {
		report(r, "writer: sched_setaffinity(%d): %s", cpu,
		       strerror(errno));
		return 1;
	}
	if (vas_attach(0, vid, O_RDWR)) {
		report(r, "writer: vas_attach: %s", strerror(errno));
		return 1;
	}
	if (!switch_to(r, vid))
		return 1;
	v = load_ul((unsigned long *)page);
	if (v != 1) {
		report(r, "writer: the token is %#lx in a second attacher, expected 1",
		       v);
		return 1;
	}
	tlb_writer(ctl, page, sink);
	if (!switch_to(r, 0))
		return 1;
	if (vas_detach(0, vid)) {
		report(r, "writer: vas_detach: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * @len bytes of anonymous image memory, aligned to @len, above the 47-bit
 * boundary if @high (where the kernel puts it only with 5-level paging).
 */
static char *tlb_image_map(size_t len, bool high)
{
	size_t map = len == page_size ? len : 2 * len;
	char *p, *a;

	p = mmap(high ? TLB_HIGH_HINT : NULL, map, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || map == len)
		return p;
	a = (char *)(((uintptr_t)p + len - 1) & ~(uintptr_t)(len - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + map - (a + len));
	return a;
}

/*
 * Grows the hugetlb pool by TLB_HUGETLB_PAGES; *@old gets its size, to
 * give back.  False if the pool cannot grow (no hugetlb, not enough memory).
 */
static bool tlb_hugetlb_pool(long *old)
{
	char buf[32];
	long now = -1;
	FILE *f;

	f = fopen(TLB_HUGETLB_SYSCTL, "r+");
	if (!f)
		return false;
	if (fscanf(f, "%ld", old) != 1)
		goto fail;
	rewind(f);
	fprintf(f, "%ld\n", *old + TLB_HUGETLB_PAGES);
	fflush(f);
	rewind(f);
	if (fgets(buf, sizeof(buf), f))
		now = atol(buf);
	fclose(f);
	return now >= *old + TLB_HUGETLB_PAGES;
fail:
	fclose(f);
	return false;
}

static void tlb_hugetlb_restore(long old)
{
	FILE *f = fopen(TLB_HUGETLB_SYSCTL, "w");

	if (f) {
		fprintf(f, "%ld\n", old);
		fclose(f);
	}
}

/* Fills a THP-sized range so that MADV_COLLAPSE has every page to copy. */
static void tlb_thp_fill(char *range)
{
	size_t off;

	madvise(range, TLB_THP_SIZE, MADV_HUGEPAGE);
	for (off = 0; off < TLB_THP_SIZE; off += page_size)
		store_ul((unsigned long *)(range + off), TLB_SINK_MAGIC);
}

static void run_tlb(struct __test_metadata *const _metadata,
		    struct _test_data_coherence *self, int op, int where)
{
	const bool vas_memory = where == TLB_VAS;
	const bool huge = op == TLB_COLLAPSE || op == TLB_KHUGEPAGED ||
			  op == TLB_HUGETLB;
	int map = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t len = huge ? TLB_THP_SIZE : page_size;
	long pool = -1, ksm_run = -1, ksm_sleep = -1, ksm_smart = -1;
	long khp_sleep = -1;
	const int rw = PROT_READ | PROT_WRITE;
	struct tlb_thread reader = {}, writer = {};
	pthread_t reader_thread, writer_thread;
	char *page, *sink, *want;
	struct tlb_ctl *ctl;
	int cpus[2], status;
	long swapped = 0;
	pid_t pid = 0;

	if (pick_cpus(cpus) < 2)
		SKIP(return, "needs 2 CPUs");
	if ((op == TLB_MIGRATE || op == TLB_MBIND) &&
	    access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs 2 NUMA nodes");
	if ((op == TLB_COLLAPSE || op == TLB_KHUGEPAGED) &&
	    access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		SKIP(return, "needs transparent huge pages");
	if (op == TLB_KHUGEPAGED) {
		/* khugepaged scanning without pause. */
		khp_sleep = tlb_sysfs_read(TLB_THP_DIR, "scan_sleep_millisecs");
		ASSERT_LE(0, khp_sleep);
		ASSERT_TRUE(tlb_sysfs_write(TLB_THP_DIR, "scan_sleep_millisecs",
					    0));
	}
	if (op == TLB_HUGETLB) {
		if (!tlb_hugetlb_pool(&pool)) {
			if (pool >= 0)
				tlb_hugetlb_restore(pool);
			SKIP(return, "needs %d free 2 MiB hugetlb pages",
			     TLB_HUGETLB_PAGES);
		}
		map |= MAP_HUGETLB;
	}
	if (op == TLB_KSM) {
		/* The token's page and its twin, and ksmd scanning fast. */
		len = 2 * page_size;
		ksm_run = tlb_sysfs_read(TLB_KSM_DIR, "run");
		ksm_sleep = tlb_sysfs_read(TLB_KSM_DIR, "sleep_millisecs");
		ksm_smart = tlb_sysfs_read(TLB_KSM_DIR, "smart_scan");
		if (ksm_run < 0 || tlb_sysfs_read(TLB_KSM_DIR, "pages_sharing") != 0)
			SKIP(return, "needs KSM, and no other merged pages");
		ASSERT_TRUE(tlb_sysfs_write(TLB_KSM_DIR, "sleep_millisecs", 0));
		/* A page that changes would be scanned less and less often. */
		if (ksm_smart >= 0)
			ASSERT_TRUE(tlb_sysfs_write(TLB_KSM_DIR, "smart_scan", 0));
		ASSERT_TRUE(tlb_sysfs_write(TLB_KSM_DIR, "run", 1));
	}
	if (op == TLB_PAGEOUT) {
		swapped = swapped_out();
		if (swapped < 0)
			SKIP(return, "needs swap (no pswpout in /proc/vmstat)");
	}
	/*
	 * The first token's page waits in the LRU-add batch of the CPU that
	 * faults it in, which must be the writer's (see tlb_reader()).
	 */
	ASSERT_EQ(0, pin_cpu(cpus[0]));
	ctl = shared_alloc(sizeof(*ctl));
	ASSERT_NE(NULL, ctl);
	ctl->op = op;
	sink = mmap(NULL, TLB_ROUNDS * page_size, rw,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sink);
	/* One small page per round; fails harmlessly without THP. */
	madvise(sink, TLB_ROUNDS * page_size, MADV_NOHUGEPAGE);
	ASSERT_EQ(0, catch_segv());

	if (vas_memory) {
		want = VAS_AREA + TLB_VAS_OFFSET;
		ASSERT_EQ(0, vas_switch(self->vid));
		page = mmap(want, len, rw, map | MAP_FIXED_NOREPLACE, -1, 0);
		ASSERT_EQ(want, page)
		{
			TH_LOG("mmap in the VAS: %s", strerror(errno));
		}
		if (op == TLB_COLLAPSE)
			tlb_thp_fill(page);
		if (op == TLB_KSM)
			ASSERT_EQ(0, madvise(page, len, MADV_MERGEABLE));
		store_ul((unsigned long *)page, 1);
		ASSERT_EQ(0, vas_switch(0));
		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(tlb_child(ctl, self->vid, page, sink, cpus[0]));
		self->children[0] = pid;
	} else {
		if (op == TLB_HUGETLB)
			page = mmap(NULL, len, rw, map, -1, 0);
		else
			page = tlb_image_map(len, where == TLB_IMAGE_HIGH);
		ASSERT_NE(MAP_FAILED, page);
		if (where == TLB_IMAGE_HIGH && (uintptr_t)page < (1UL << 47))
			SKIP(return, "needs 5-level paging (mapped at %p)", page);
		if (op == TLB_COLLAPSE)
			tlb_thp_fill(page);
		if (op == TLB_KSM)
			ASSERT_EQ(0, madvise(page, len, MADV_MERGEABLE));
		store_ul((unsigned long *)page, 1);
		writer.ctl = ctl;
		writer.page = page;
		writer.sink = sink;
		writer.cpu = cpus[0];
		ASSERT_EQ(0, pthread_create(&writer_thread, NULL,
					    tlb_writer_thread, &writer));
	}
	reader.ctl = ctl;
	reader.page = page;
	reader.cpu = cpus[1];
	reader.vid = self->vid;
	ASSERT_EQ(0, pthread_create(&reader_thread, NULL, tlb_reader_thread,
				    &reader));

	ASSERT_EQ(0, pthread_join(reader_thread, NULL));
	if (vas_memory) {
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		self->children[0] = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		{
			TH_LOG("writer process: wait status %#x", status);
		}
	} else {
		ASSERT_EQ(0, pthread_join(writer_thread, NULL));
	}
	default_segv();

	check_report(_metadata, &ctl->report);
	TH_LOG("%lu rounds, %lu faults while the page changed", ctl->done,
	       ctl->window_faults);
	EXPECT_LT(0, ctl->done);
	/* Not vacuous: the token page did go to swap, round after round. */
	if (op == TLB_PAGEOUT) {
		swapped = swapped_out() - swapped;
		TH_LOG("%ld pages swapped out", swapped);
		EXPECT_LE(ctl->done / 2, swapped);
	}
	if (op == TLB_COLLAPSE || op == TLB_KHUGEPAGED) {
		TH_LOG("%lu rounds collapsed the range", ctl->moved);
		EXPECT_LE(ctl->done / 2, ctl->moved);
	}
	if (khp_sleep >= 0)
		tlb_sysfs_write(TLB_THP_DIR, "scan_sleep_millisecs", khp_sleep);
	if (op == TLB_KSM) {
		TH_LOG("%lu rounds merged the page", ctl->moved);
		EXPECT_LE(ctl->done / 2, ctl->moved);
		/* Unmerge what is merged (run = 2), then KSM as it was. */
		if (ksm_run != 1)
			tlb_sysfs_write(TLB_KSM_DIR, "run", 2);
		tlb_sysfs_write(TLB_KSM_DIR, "run", ksm_run);
		tlb_sysfs_write(TLB_KSM_DIR, "sleep_millisecs", ksm_sleep);
		if (ksm_smart >= 0)
			tlb_sysfs_write(TLB_KSM_DIR, "smart_scan", ksm_smart);
	}
	if (!ctl->report.failures) {
		if (op == TLB_MPROTECT)
			EXPECT_EQ(ctl->done, ctl->revoked_faults);
		/* What the last round left, in this process's view too. */
		if (vas_memory)
			ASSERT_EQ(0, vas_switch(self->vid));
		EXPECT_EQ(ctl->done + 1, load_ul((unsigned long *)page));
		EXPECT_EQ(0, vas_switch(0));
	}
	munmap(sink, TLB_ROUNDS * page_size);
	munmap(ctl, sizeof(*ctl));
	if (op == TLB_HUGETLB) {
		/* The VAS keeps its hugetlb page until finish() deletes it. */
		if (!vas_memory)
			munmap(page, len);
	}
	finish(_metadata, self);
	if (pool >= 0)
		tlb_hugetlb_restore(pool);
}

TEST_F_TIMEOUT(coherence, tlb_vas_munmap, 120)
{
	run_tlb(_metadata, self, TLB_MUNMAP, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_vas_madvise, 120)
{
	run_tlb(_metadata, self, TLB_MADVISE, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_vas_mprotect, 120)
{
	run_tlb(_metadata, self, TLB_MPROTECT, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_vas_pageout, 120)
{
	run_tlb(_metadata, self, TLB_PAGEOUT, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_image_pageout, 120)
{
	run_tlb(_metadata, self, TLB_PAGEOUT, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_image_migrate, 120)
{
	run_tlb(_metadata, self, TLB_MIGRATE, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_image_munmap, 120)
{
	run_tlb(_metadata, self, TLB_MUNMAP, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_image_madvise, 120)
{
	run_tlb(_metadata, self, TLB_MADVISE, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_image_mprotect, 120)
{
	run_tlb(_metadata, self, TLB_MPROTECT, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_vas_collapse, 120)
{
	run_tlb(_metadata, self, TLB_COLLAPSE, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_image_collapse, 120)
{
	run_tlb(_metadata, self, TLB_COLLAPSE, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_vas_mbind, 120)
{
	run_tlb(_metadata, self, TLB_MBIND, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_image_mbind, 120)
{
	run_tlb(_metadata, self, TLB_MBIND, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_vas_khugepaged, 120)
{
	run_tlb(_metadata, self, TLB_KHUGEPAGED, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_image_khugepaged, 120)
{
	run_tlb(_metadata, self, TLB_KHUGEPAGED, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_vas_ksm, 120)
{
	run_tlb(_metadata, self, TLB_KSM, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_image_ksm, 120)
{
	run_tlb(_metadata, self, TLB_KSM, TLB_IMAGE);
}

TEST_F_TIMEOUT(coherence, tlb_vas_hugetlb, 120)
{
	run_tlb(_metadata, self, TLB_HUGETLB, TLB_VAS);
}

TEST_F_TIMEOUT(coherence, tlb_image_hugetlb, 120)
{
	run_tlb(_metadata, self, TLB_HUGETLB, TLB_IMAGE);
}

/* With 5-level paging: image memory above 128 TiB, in PGD entries >= 1. */
TEST_F_TIMEOUT(coherence, tlb_image_high_munmap, 120)
{
	run_tlb(_metadata, self, TLB_MUNMAP, TLB_IMAGE_HIGH);
}

TEST_F_TIMEOUT(coherence, tlb_image_high_mprotect, 120)
{
	run_tlb(_metadata, self, TLB_MPROTECT, TLB_IMAGE_HIGH);
}

/*
 * fork_cow: a thread switched into the VAS keeps incrementing a counter in
 * an image page on one CPU while a thread on another CPU forks.  fork()
 * write-protects the page in the process mm; unless that reaches the view
 * the counter thread runs on, its writes go on into the page the child now
 * shares, and the child sees the counter move.  The forking thread also
 * overwrites a buffer on its stack right after fork(): the child must still
 * see the old contents, and must exit normally ("stack smashing detected"
 * is the classic symptom).  fork_cow_switched: the forking thread is itself
 * switched into the VAS.
 */

#define COW_FORKS		50
#define COW_SAMPLE_SECONDS	0.01
#define COW_WAIT_SECONDS	5
#define COW_STACK_WORDS		512

enum cow_result {
	COW_OK,
	COW_COUNTER_MOVED,
	COW_STACK_CHANGED,
	COW_CHILD_SWITCHED,
};

/* In a MAP_SHARED page: also written by the children. */
struct cow_ctl {
	int stop;
	unsigned long scribbled;	/* fork n: the parent's buffer is new */
	/* What the last child saw. */
	unsigned long first, last, samples;
	long index;
	unsigned long value, expected;
	int child_vas;
	struct report report;
};

struct cow_counter {
	struct cow_ctl *ctl;
	unsigned long *counter;
	int cpu, vid;
};

static void *cow_counter_thread(void *data)
{
	struct cow_counter *c = data;
	struct report *r = &c->ctl->report;

	if (pin_cpu(c->cpu)) {
		report(r, "counter: sched_setaffinity(%d): %s", c->cpu,
		       strerror(errno));
		return NULL;
	}
	if (!switch_to(r, c->vid))
		return NULL;
	while (!__atomic_load_n(&c->ctl->stop, __ATOMIC_RELAXED))
		store_ul(c->counter, load_ul(c->counter) + 1);
	switch_to(r, 0);
	return NULL;
}

/* Async-signal-safe only: the parent has other threads. */
static int cow_child(struct cow_ctl *ctl, const unsigned long *counter,
		     const unsigned long *buf, unsigned long pattern,
		     unsigned long n)
{
	unsigned long first, v, samples = 0;
	double end;
	long i;

	ctl->child_vas = active_vas();
	if (ctl->child_vas)
		return COW_CHILD_SWITCHED;

	first = load_ul(counter);
	ctl->first = first;
	end = vas_now() + COW_SAMPLE_SECONDS;
	do {
		for (i = 0; i < 256; i++, samples++) {
			v = load_ul(counter);
			if (v != first) {
				ctl->last = v;
				ctl->samples = samples;
				return COW_COUNTER_MOVED;
			}
		}
	} while (vas_now() < end);
	ctl->samples = samples;

	/* Wait until the parent has overwritten its copy of the buffer. */
	end = vas_now() + COW_WAIT_SECONDS;
	while (__atomic_load_n(&ctl->scribbled, __ATOMIC_ACQUIRE) < n &&
	       vas_now() < end)
		sched_yield();
	for (i = 0; i < COW_STACK_WORDS; i++) {
		v = load_ul(&buf[i]);
		if (v != pattern + i) {
			ctl->index = i;
			ctl->value = v;
			ctl->expected = pattern + i;
			return COW_STACK_CHANGED;
		}
	}
	return COW_OK;
}

/* Waits until the counter thread moves the counter. */
static bool cow_moving(const unsigned long *counter)
{
	unsigned long before = load_ul(counter);
	double end = vas_now() + COW_WAIT_SECONDS;

	while (load_ul(counter) == before) {
		if (vas_now() > end)
			return false;
		sched_yield();
	}
	return true;
}

static void cow_log_child(struct __test_metadata *const _metadata,
			  struct cow_ctl *ctl, unsigned long n, int status)
{
	if (WIFSIGNALED(status)) {
		TH_LOG("fork %lu: the child died of signal %d (%s)", n,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		return;
	}
	switch (WIFEXITED(status) ? WEXITSTATUS(status) : -1) {
	case COW_COUNTER_MOVED:
		TH_LOG("fork %lu: the child saw the counter go from %lu to %lu",
		       n, ctl->first, ctl->last);
		TH_LOG("after %lu reads: a write of the parent reached the child",
		       ctl->samples);
		TH_LOG("(missed flush of the COW write protection)");
		break;
	case COW_STACK_CHANGED:
		TH_LOG("fork %lu: word %ld of the child's stack is %#lx, expected %#lx",
		       n, ctl->index, ctl->value, ctl->expected);
		TH_LOG("the parent's writes after fork() reached the child");
		break;
	case COW_CHILD_SWITCHED:
		TH_LOG("fork %lu: active_vas() is %d in the child", n,
		       ctl->child_vas);
		break;
	default:
		TH_LOG("fork %lu: child wait status %#x", n, status);
	}
}

static void run_fork_cow(struct __test_metadata *const _metadata,
			 struct _test_data_coherence *self, bool switched)
{
	unsigned long buf[COW_STACK_WORDS];
	struct cow_counter counter = {};
	unsigned long n, pattern, i;
	unsigned long *page;
	pthread_t thread;
	struct cow_ctl *ctl;
	int cpus[2], status;
	bool ok;
	pid_t pid;

	if (pick_cpus(cpus) < 2)
		SKIP(return, "needs 2 CPUs");
	ctl = shared_alloc(sizeof(*ctl));
	ASSERT_NE(NULL, ctl);
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);

	ASSERT_EQ(0, pin_cpu(cpus[0]));
	counter.ctl = ctl;
	counter.counter = page;
	counter.cpu = cpus[1];
	counter.vid = self->vid;
	ASSERT_EQ(0, pthread_create(&thread, NULL, cow_counter_thread,
				    &counter));
	if (switched)
		ASSERT_EQ(0, vas_switch(self->vid));

	for (n = 1; n <= COW_FORKS && !stopped(&ctl->report); n++) {
		pattern = n << 32;
		for (i = 0; i < COW_STACK_WORDS; i++)
			store_ul(&buf[i], pattern + i);
		ASSERT_TRUE(cow_moving(page))
		{
			TH_LOG("fork %lu: the counter does not move", n);
		}
		fflush(NULL);
		pid = fork();
		if (!pid)
			_exit(cow_child(ctl, page, buf, pattern, n));
		ASSERT_LT(0, pid);
		self->children[0] = pid;
		/* Only the parent's copy changes. */
		for (i = 0; i < COW_STACK_WORDS; i++)
			store_ul(&buf[i], ~(pattern + i));
		__atomic_store_n(&ctl->scribbled, n, __ATOMIC_RELEASE);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		self->children[0] = 0;
		ok = WIFEXITED(status) && !WEXITSTATUS(status);
		EXPECT_TRUE(ok)
		{
			cow_log_child(_metadata, ctl, n, status);
		}
		if (!ok)
			break;
	}
	if (switched)
		EXPECT_EQ(0, vas_switch(0));
	__atomic_store_n(&ctl->stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(thread, NULL));

	check_report(_metadata, &ctl->report);
	TH_LOG("%lu forks, the counter at %lu", n - 1, load_ul(page));
	munmap(page, page_size);
	munmap(ctl, sizeof(*ctl));
	finish(_metadata, self);
}

TEST_F_TIMEOUT(coherence, fork_cow, 120)
{
	run_fork_cow(_metadata, self, false);
}

TEST_F_TIMEOUT(coherence, fork_cow_switched, 120)
{
	run_fork_cow(_metadata, self, true);
}

TEST_HARNESS_MAIN
