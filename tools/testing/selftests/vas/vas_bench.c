// SPDX-License-Identifier: GPL-2.0
/*
 * VAS benchmark: what switching into a VAS, attaching one and sharing its
 * page tables cost.  Not a test (the runner only runs *_test programs):
 * "make bench" runs it on a kernel without debugging options.
 *
 * 1. vas_switch(vid) + vas_switch(0), a round trip into a VAS and back,
 *    against getppid() (a null system call) and against a pipe round trip
 *    between two processes (1 byte each way) on one CPU and on two.  Each
 *    measurement is calibrated to about RUN_NS, the runs of all of them are
 *    interleaved, and the medians of RUNS runs are compared.  For scale, the
 *    table also shows a pipe round trip between two threads of one process
 *    on one CPU, which changes no address space.
 * 2. vas_attach() + vas_detach() of a VAS holding 1 MiB and one holding
 *    1 GiB: the page tables are shared, so the cost must not depend on the
 *    size.  Medians of ATTACH_REPS, the two sizes alternating.
 * 3. PageTables in /proc/meminfo with 1 and with NR_CHILDREN processes that
 *    attach a VAS holding 1 GiB, switch into it and read every page: the
 *    growth must stay flat (page tables that were copied would grow it
 *    NR_CHILDREN times).  The children exist before the baseline is taken,
 *    so that only the VAS and the attachments count.
 *
 * Times come from the TSC, calibrated against CLOCK_MONOTONIC at the start.
 * Prints a table and, last, the goals with PASS or FAIL.  Exits 0 when
 * every goal is met, 1 otherwise, KSFT_SKIP (4) without the VAS system
 * calls.  The VASes it creates are called "vas_selftest.vas_bench.*".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <linux/vas.h>

#include "vas_sys.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define KSFT_SKIP 4
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define RUNS 7			/* runs of each measurement, odd: a median */
#define RUN_NS 200e6		/* length of one run */
#define CALIBRATE_NS 10e6	/* calibration runs at least that long */
#define MAX_ITERS 100000000L
#define PIPE_WARMUP 100		/* untimed round trips before a pipe run */

#define ATTACH_REPS 51		/* odd: a median */
#define SMALL_SIZE (1024UL * 1024)
#define LARGE_SIZE (1024UL * 1024 * 1024)

#define NR_CHILDREN 16
#define CHILD_TIMEOUT_MS 120000	/* for a child to read 1 GiB */
#define EBUSY_RETRY_S 1.0	/* a VAS may stay busy briefly after exit */
#define MEMORY_WAIT_NS 10e9	/* for the memory of a deleted VAS */
#define MEMORY_SPARE_KB (64 * 1024)
#define TSC_CALIBRATE_NS 1e9	/* the TSC's rate is measured that long */

/* The goals. */
#define PIPE_RATIO_MIN 6.0
#define ATTACH_RATIO_MAX 1.25
#define PGTABLES_RATIO_MAX 1.5

#define NAME_PREFIX "vas_selftest.vas_bench."
#define SWITCH_NAME NAME_PREFIX "switch"
#define SMALL_NAME NAME_PREFIX "1M"
#define LARGE_NAME NAME_PREFIX "1G"
#define PGTABLES_NAME NAME_PREFIX "pgtables"

#define VAS_AREA ((char *)(unsigned long)VAS_AREA_START)

static long page_size;
static cpu_set_t all_cpus;	/* the CPUs the program may run on */
static int cpus[2];		/* the first two of them, -1 if absent */

struct goal {
	const char *name;
	bool at_least;		/* value >= limit, else value < limit */
	double limit;
	bool measured;
	double value;
};

enum { GOAL_PIPE, GOAL_ATTACH, GOAL_PGTABLES };

static struct goal goals[] = {
	[GOAL_PIPE] = {
		.name = "faster pipe round trip / vas_switch round trip",
		.at_least = true,
		.limit = PIPE_RATIO_MIN,
	},
	[GOAL_ATTACH] = {
		.name = "vas_attach+vas_detach, 1 GiB / 1 MiB",
		.limit = ATTACH_RATIO_MAX,
	},
	[GOAL_PGTABLES] = {
		.name = "PageTables growth, 16 / 1 processes",
		.limit = PGTABLES_RATIO_MAX,
	},
};

static void set_goal(int i, double value)
{
	goals[i].measured = true;
	goals[i].value = value;
}

static bool goal_met(const struct goal *g)
{
	if (!g->measured)
		return false;
	return g->at_least ? g->value >= g->limit : g->value < g->limit;
}

static double tsc_per_ns;	/* TSC ticks per nanosecond */

/* The first CLOCK_MONOTONIC reading after it moved past @t; the TSC in @tsc. */
static double next_tick(double t, unsigned long long *tsc)
{
	double now;

	do {
		*tsc = __rdtsc();
		now = vas_now() * 1e9;
	} while (now == t);
	return now;
}

/*
 * The benchmark times with the TSC.  Under QEMU TCG the kernel may keep a
 * jiffies clocksource, whose steps of several milliseconds are too coarse
 * for the runs here; the TSC counts at a constant rate whatever the
 * clocksource.  Its rate is measured against CLOCK_MONOTONIC over
 * TSC_CALIBRATE_NS, from one step of the clock to another.
 */
static void calibrate_tsc(void)
{
	unsigned long long c0, c1;
	double t0, t1;

	t0 = next_tick(vas_now() * 1e9, &c0);
	do {
		t1 = next_tick(t0, &c1);
	} while (t1 - t0 < TSC_CALIBRATE_NS);
	tsc_per_ns = (c1 - c0) / (t1 - t0);
}

static double now_ns(void)
{
	return __rdtsc() / tsc_per_ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n values; sorts @v. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Reads exactly @len bytes, waiting at most @timeout_ms for each part (-1:
 * no limit); 0, or -1 on error, end of file or timeout.
 */
static int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t ret;

	while (len) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return -1;
		ret = read(fd, buf, len);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return -1;
		buf = (char *)buf + ret;
		len -= ret;
	}
	return 0;
}

/* The value of @key ("MemAvailable:") in /proc/meminfo, or -1. */
static long meminfo_kb(const char *key)
{
	size_t len = strlen(key);
	char line[128];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len))
			kb = strtol(line + len, NULL, 10);
	}
	fclose(f);
	return kb;
}

/*
 * Waits up to MEMORY_WAIT_NS for @size bytes and some more to be available:
 * the memory of a VAS deleted just before may take a moment to come back.
 */
static void wait_for_memory(unsigned long size)
{
	double end = now_ns() + MEMORY_WAIT_NS;
	long kb;

	for (;;) {
		kb = meminfo_kb("MemAvailable:");
		if (kb < 0 || kb > (long)(size >> 10) + MEMORY_SPARE_KB ||
		    now_ns() > end)
			return;
		usleep(100000);
	}
}

static void delete_by_name(const char *name)
{
	long vid = vas_find(name);

	if (vid > 0)
		vas_delete_retry(vid, EBUSY_RETRY_S);
}

static void cleanup(void)
{
	static const char * const names[] = {
		SWITCH_NAME, SMALL_NAME, LARGE_NAME, PGTABLES_NAME,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		delete_by_name(names[i]);
}

/*
 * Maps @size bytes of anonymous memory at the start of the VAS area of
 * @vid, populated, with 1 in the first byte of every page.  The VAS is
 * attached for that and detached again.
 */
static int populate(int vid, unsigned long size)
{
	unsigned long off;
	int err = 0;
	char *p;

	wait_for_memory(size);
	if (vas_attach(0, vid, O_RDWR))
		return -1;
	if (vas_switch(vid)) {
		err = errno;
		goto detach;
	}
	p = mmap(VAS_AREA, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE |
		 MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		err = errno;
	} else {
		/* Also populates it if MAP_POPULATE did not. */
		for (off = 0; off < size; off += page_size)
			p[off] = 1;
	}
	if (vas_switch(0) && !err)
		err = errno;
detach:
	if (vas_detach(0, vid) && !err)
		err = errno;
	errno = err;
	return err ? -1 : 0;
}

/* A VAS called @name holding @size bytes; its vid, or -1. */
static int create_vas(const char *name, unsigned long size)
{
	int vid, err;

	delete_by_name(name);
	vid = vas_create(name, 0600);
	if (vid < 0) {
		printf("vas_bench: vas_create(%s): %s\n", name, strerror(errno));
		return -1;
	}
	if (size && populate(vid, size)) {
		err = errno;
		printf("vas_bench: %lu MiB in %s: %s\n", size >> 20, name,
		       strerror(err));
		vas_delete_retry(vid, EBUSY_RETRY_S);
		return -1;
	}
	return vid;
}

/* Part 1: round trips. */

struct row {
	const char *name;
	int (*fn)(struct row *row, long iters, double *ns);
	int vid;		/* switch_rtt: the VAS */
	int cpu;		/* pipe_rtt: the child's CPU */
	bool thread;		/* pipe_rtt: the partner is a thread */
	long iters;		/* per run */
	double ns[RUNS];	/* per operation, in each run */
	double med, min, max;
};

static int null_syscall(struct row *row, long iters, double *ns)
{
	double start = now_ns();
	long i;

	for (i = 0; i < iters; i++)
		getppid();
	*ns = now_ns() - start;
	return 0;
}

static int switch_rtt(struct row *row, long iters, double *ns)
{
	double start = now_ns();
	long i;

	for (i = 0; i < iters; i++) {
		if (vas_switch(row->vid) || vas_switch(0))
			return -1;
	}
	*ns = now_ns() - start;
	return 0;
}

struct echo {
	int in, out, cpu;
	long count;
	int err;		/* echo_thread(): whether echo() failed */
};

/* Echoes @e->count bytes from @e->in to @e->out on @e->cpu; 0 or -1. */
static int echo(const struct echo *e)
{
	char c;
	long i;

	if (pin(e->cpu))
		return -1;
	for (i = 0; i < e->count; i++) {
		if (read(e->in, &c, 1) != 1 || write(e->out, &c, 1) != 1)
			return -1;
	}
	return 0;
}

static void *echo_thread(void *arg)
{
	struct echo *e = arg;

	/* Only the thread writes to_parent: its end is an end of file. */
	e->err = echo(e);
	if (e->err)
		close(e->out);
	return NULL;
}

/*
 * Sends a byte on @out and waits for it on @in, PIPE_WARMUP times untimed
 * and @iters times timed; false if the partner is gone.
 */
static bool ping(int out, int in, long iters, double *ns)
{
	double start = 0;
	char c = 0;
	long i;

	for (i = 0; i < iters + PIPE_WARMUP; i++) {
		if (i == PIPE_WARMUP)
			start = now_ns();
		if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1)
			return false;
	}
	*ns = now_ns() - start;
	return true;
}

/* The partner of pipe_rtt() as a thread of this process; 0 or an errno. */
static int pipe_thread(struct row *row, long iters, int to_child[2],
		       int to_parent[2], double *ns)
{
	struct echo e = {
		.in = to_child[0], .out = to_parent[1], .cpu = row->cpu,
		.count = iters + PIPE_WARMUP,
	};
	pthread_t thread;
	int err;

	err = pthread_create(&thread, NULL, echo_thread, &e);
	if (err)
		return err;
	err = ping(to_child[1], to_parent[0], iters, ns) ? 0 : EPIPE;
	/* A thread blocked in read() sees the end of file and returns. */
	close(to_child[1]);
	pthread_join(thread, NULL);
	close(to_child[0]);
	close(to_parent[0]);
	if (!e.err)
		close(to_parent[1]);
	return err;
}

/*
 * A child on row->cpu echoes every byte the parent (on cpus[0]) sends; or
 * a thread does, with row->thread.  Only the round trips after PIPE_WARMUP
 * are timed, not the fork.
 */
static int pipe_rtt(struct row *row, long iters, double *ns)
{
	int to_child[2], to_parent[2], status, err = 0;
	struct echo e;
	pid_t pid;

	if (pipe(to_child))
		return -1;
	if (pipe(to_parent)) {
		err = errno;
		close(to_child[0]);
		close(to_child[1]);
		errno = err;
		return -1;
	}
	if (row->thread) {
		err = pipe_thread(row, iters, to_child, to_parent, ns);
		errno = err;
		return err ? -1 : 0;
	}
	pid = fork();
	if (!pid) {
		close(to_child[1]);
		close(to_parent[0]);
		e = (struct echo){
			.in = to_child[0], .out = to_parent[1],
			.cpu = row->cpu, .count = iters + PIPE_WARMUP,
		};
		_exit(echo(&e) ? 1 : 0);
	}
	if (pid < 0)
		err = errno;
	/* Only the child holds these ends: its exit is an end of file. */
	close(to_child[0]);
	close(to_parent[1]);
	if (!err && !ping(to_child[1], to_parent[0], iters, ns))
		err = EPIPE;
	close(to_child[1]);
	close(to_parent[0]);
	if (pid > 0 && (waitpid(pid, &status, 0) != pid ||
			!WIFEXITED(status) || WEXITSTATUS(status)) && !err)
		err = ECHILD;
	errno = err;
	return err ? -1 : 0;
}

/* Iterations that make a run of @row last about RUN_NS. */
static int calibrate(struct row *row)
{
	double ns, iters;
	long n;

	for (n = 64;; n *= 4) {
		if (row->fn(row, n, &ns))
			return -1;
		if (ns >= CALIBRATE_NS || n >= MAX_ITERS / 4)
			break;
	}
	iters = n * RUN_NS / (ns < 1 ? 1 : ns);
	row->iters = iters < n ? n : iters > MAX_ITERS ? MAX_ITERS : iters;
	return 0;
}

enum { ROW_NULL, ROW_SWITCH, ROW_PIPE, ROW_THREADS, ROW_PIPE2, NR_ROWS };

static void bench_switch(void)
{
	char same[64], threads[64], two[64];
	struct row rows[NR_ROWS] = {
		[ROW_NULL] = { .name = "getppid()", .fn = null_syscall },
		[ROW_SWITCH] = { .name = "vas_switch(vid) + vas_switch(0)",
				 .fn = switch_rtt },
		[ROW_PIPE] = { .name = same, .fn = pipe_rtt, .cpu = cpus[0] },
		[ROW_THREADS] = { .name = threads, .fn = pipe_rtt,
				  .cpu = cpus[0], .thread = true },
		[ROW_PIPE2] = { .name = two, .fn = pipe_rtt, .cpu = cpus[1] },
	};
	int nr_rows = cpus[1] >= 0 ? NR_ROWS : NR_ROWS - 1;
	double v[RUNS], pipe;
	int vid, i, run;

	snprintf(same, sizeof(same), "pipe round trip, CPU %d", cpus[0]);
	snprintf(threads, sizeof(threads), "  same, 2 threads of 1 process");
	snprintf(two, sizeof(two), "pipe round trip, CPUs %d and %d",
		 cpus[0], cpus[1]);

	printf("\nRound trips, medians of %d runs of about %.0f ms each\n",
	       RUNS, RUN_NS / 1e6);
	vid = create_vas(SWITCH_NAME, SMALL_SIZE);
	if (vid < 0)
		return;
	if (vas_attach(0, vid, O_RDWR)) {
		printf("vas_bench: vas_attach(%s): %s\n", SWITCH_NAME,
		       strerror(errno));
		goto out;
	}
	rows[ROW_SWITCH].vid = vid;

	for (i = 0; i < nr_rows; i++) {
		if (calibrate(&rows[i])) {
			printf("vas_bench: %s: %s\n", rows[i].name,
			       strerror(errno));
			goto detach;
		}
	}
	/* Interleaved, so that every row sees the same conditions. */
	for (run = 0; run < RUNS; run++) {
		for (i = 0; i < nr_rows; i++) {
			if (rows[i].fn(&rows[i], rows[i].iters,
				       &rows[i].ns[run])) {
				printf("vas_bench: %s: %s\n", rows[i].name,
				       strerror(errno));
				goto detach;
			}
			rows[i].ns[run] /= rows[i].iters;
		}
	}

	printf("  %-36s %10s %10s %10s %10s\n", "ns per operation", "median",
	       "min", "max", "iters/run");
	for (i = 0; i < nr_rows; i++) {
		memcpy(v, rows[i].ns, sizeof(v));
		rows[i].med = median(v, RUNS);
		rows[i].min = v[0];
		rows[i].max = v[RUNS - 1];
		printf("  %-36s %10.0f %10.0f %10.0f %10ld\n", rows[i].name,
		       rows[i].med, rows[i].min, rows[i].max, rows[i].iters);
	}
	if (nr_rows < NR_ROWS)
		printf("  %-36s %10s\n", "pipe round trip, 2 CPUs", "(1 CPU)");

	/* The goal compares with the faster pipe between processes. */
	pipe = rows[ROW_PIPE].med;
	if (nr_rows == NR_ROWS && rows[ROW_PIPE2].med < pipe)
		pipe = rows[ROW_PIPE2].med;
	printf("  %-36s %10.2f\n", "ratio vas_switch / getppid",
	       rows[ROW_SWITCH].med / rows[ROW_NULL].med);
	printf("  %-36s %10.2f\n", "ratio pipe 1 CPU / vas_switch",
	       rows[ROW_PIPE].med / rows[ROW_SWITCH].med);
	if (nr_rows == NR_ROWS)
		printf("  %-36s %10.2f\n", "ratio pipe 2 CPUs / vas_switch",
		       rows[ROW_PIPE2].med / rows[ROW_SWITCH].med);
	set_goal(GOAL_PIPE, pipe / rows[ROW_SWITCH].med);

detach:
	vas_switch(0);
	vas_detach(0, vid);
out:
	vas_delete_retry(vid, EBUSY_RETRY_S);
}

/* Part 2: attaching. */

static void bench_attach(void)
{
	static const char * const sizes[] = { "1 MiB", "1 GiB" };
	double att[2][ATTACH_REPS], det[2][ATTACH_REPS], sum[2][ATTACH_REPS];
	double t0, t1, t2, med[2][3];
	int vid[2], rep, i;

	printf("\nvas_attach + vas_detach of a populated VAS, medians of %d, us\n",
	       ATTACH_REPS);
	vid[0] = create_vas(SMALL_NAME, SMALL_SIZE);
	if (vid[0] < 0)
		return;
	vid[1] = create_vas(LARGE_NAME, LARGE_SIZE);
	if (vid[1] < 0)
		goto out_small;

	for (rep = 0; rep < ATTACH_REPS; rep++) {
		for (i = 0; i < 2; i++) {
			t0 = now_ns();
			if (vas_attach(0, vid[i], O_RDWR)) {
				printf("vas_bench: vas_attach(%s): %s\n",
				       sizes[i], strerror(errno));
				goto out;
			}
			t1 = now_ns();
			if (vas_detach(0, vid[i])) {
				printf("vas_bench: vas_detach(%s): %s\n",
				       sizes[i], strerror(errno));
				goto out;
			}
			t2 = now_ns();
			att[i][rep] = (t1 - t0) / 1e3;
			det[i][rep] = (t2 - t1) / 1e3;
			sum[i][rep] = (t2 - t0) / 1e3;
		}
	}

	printf("  %-36s %10s %10s %10s\n", "VAS holding", "attach", "detach",
	       "both");
	for (i = 0; i < 2; i++) {
		med[i][0] = median(att[i], ATTACH_REPS);
		med[i][1] = median(det[i], ATTACH_REPS);
		med[i][2] = median(sum[i], ATTACH_REPS);
		printf("  %-36s %10.2f %10.2f %10.2f\n", sizes[i], med[i][0],
		       med[i][1], med[i][2]);
	}
	printf("  %-36s %10.2f %10.2f %10.2f\n", "1 GiB / 1 MiB",
	       med[1][0] / med[0][0], med[1][1] / med[0][1],
	       med[1][2] / med[0][2]);
	set_goal(GOAL_ATTACH, med[1][2] / med[0][2]);
out:
	vas_delete_retry(vid[1], EBUSY_RETRY_S);
out_small:
	vas_delete_retry(vid[0], EBUSY_RETRY_S);
}

/* Part 3: page tables. */

/* PageTables from /proc/meminfo, in KiB, with the per-CPU counts folded. */
static long page_tables_kb(void)
{
	int fd;

	/* Folds the per-CPU vmstat deltas; otherwise wait for vmstat_update. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		sleep(2);
	if (fd >= 0)
		close(fd);
	return meminfo_kb("PageTables:");
}

/*
 * Tells the parent it runs, waits for a byte on @go, attaches @vid, switches
 * into it and reads the first byte of every page of LARGE_SIZE, then reports
 * 0 (they all held 1) or an errno on @ready and stays switched until @quit
 * reaches its end.
 */
static void pgtables_child(int vid, int go, int ready, int quit)
{
	unsigned long off, sum = 0;
	int status = 0;
	char c;

	sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
	if (write(ready, &status, sizeof(status)) != sizeof(status) ||
	    read_full(go, &c, 1, -1))
		_exit(1);
	if (vas_attach(0, vid, O_RDONLY) || vas_switch(vid)) {
		status = errno;
	} else {
		for (off = 0; off < LARGE_SIZE; off += page_size)
			sum += VAS_AREA[off];
		if (sum != LARGE_SIZE / page_size)
			status = EIO;
	}
	if (write(ready, &status, sizeof(status)) != sizeof(status))
		_exit(1);
	while (read(quit, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Releases @n children and collects their reports; 0 if all succeeded. */
static int release(int go, int ready, int n)
{
	int status, err = 0;

	while (n--) {
		if (write(go, "g", 1) != 1 ||
		    read_full(ready, &status, sizeof(status),
			      CHILD_TIMEOUT_MS)) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (status && !err)
			err = status;
	}
	errno = err;
	return err ? -1 : 0;
}

static void bench_pgtables(void)
{
	int go[2] = { -1, -1 }, ready[2] = { -1, -1 }, quit[2] = { -1, -1 };
	long base = -1, one = -1, all = -1;
	int vid, i, status, nr = 0;
	pid_t pids[NR_CHILDREN];
	double ratio;

	printf("\nPageTables, processes reading all of a VAS holding 1 GiB\n");
	/* Also lets the page tables of part 2 go before the baseline. */
	wait_for_memory(LARGE_SIZE);
	vid = create_vas(PGTABLES_NAME, 0);
	if (vid < 0)
		return;
	if (pipe(go) || pipe(ready) || pipe(quit)) {
		printf("vas_bench: pipe: %s\n", strerror(errno));
		goto out;
	}
	for (nr = 0; nr < NR_CHILDREN; nr++) {
		pids[nr] = fork();
		if (pids[nr] < 0) {
			printf("vas_bench: fork: %s\n", strerror(errno));
			goto out;
		}
		if (!pids[nr]) {
			close(go[1]);
			close(ready[0]);
			close(quit[1]);
			pgtables_child(vid, go[0], ready[1], quit[0]);
		}
	}
	/* Only the children hold these ends: their exit is an end of file. */
	close(go[0]);
	close(ready[1]);
	close(quit[0]);
	go[0] = -1;
	ready[1] = -1;
	quit[0] = -1;
	for (i = 0; i < NR_CHILDREN; i++) {
		if (read_full(ready[0], &status, sizeof(status),
			      CHILD_TIMEOUT_MS)) {
			printf("vas_bench: a child did not start\n");
			goto out;
		}
	}

	/* The children exist, the VAS is empty: only what follows counts. */
	base = page_tables_kb();
	if (populate(vid, LARGE_SIZE)) {
		printf("vas_bench: 1 GiB in %s: %s\n", PGTABLES_NAME,
		       strerror(errno));
		goto out;
	}
	if (release(go[1], ready[0], 1)) {
		printf("vas_bench: child: %s\n", strerror(errno));
		goto out;
	}
	one = page_tables_kb();
	if (release(go[1], ready[0], NR_CHILDREN - 1)) {
		printf("vas_bench: children: %s\n", strerror(errno));
		goto out;
	}
	all = page_tables_kb();
	if (base < 0 || one < 0 || all < 0) {
		printf("vas_bench: no PageTables in /proc/meminfo\n");
		goto out;
	}

	printf("  %-36s %10s %10s\n", "KiB", "PageTables", "growth");
	printf("  %-36s %10ld\n", "baseline (children forked)", base);
	printf("  %2d %-33s %10ld %+10ld\n", 1, "process attached", one,
	       one - base);
	printf("  %2d %-33s %10ld %+10ld\n", NR_CHILDREN, "processes attached",
	       all, all - base);
	printf("  %-36s %21ld\n", "(PTE pages for 1 GiB of 4 KiB pages)",
	       LARGE_SIZE / page_size * 8 / 1024);
	if (one - base <= 0) {
		printf("vas_bench: PageTables did not grow\n");
		goto out;
	}
	ratio = (double)(all - base) / (one - base);
	printf("  %-36s %21.2f\n", "growth, all / 1 process", ratio);
	printf("  %-36s %21.2f\n", "KiB per further process",
	       (double)(all - one) / (NR_CHILDREN - 1));
	set_goal(GOAL_PGTABLES, ratio);
out:
	/* Children waiting for @go or @quit see their end and exit. */
	for (i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (quit[i] >= 0)
			close(quit[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	for (i = 0; i < nr; i++) {
		/* After an error, a child may not be waiting for either. */
		if (!goals[GOAL_PGTABLES].measured)
			kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	if (vas_delete_retry(vid, EBUSY_RETRY_S))
		printf("vas_bench: vas_delete(%s): %s\n", PGTABLES_NAME,
		       strerror(errno));
}

/* Paging levels, from whether the image can map above 128 TiB. */
static int paging_levels(void)
{
	void *p = mmap((void *)(1UL << 56), page_size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	munmap(p, page_size);
	return (unsigned long)p >= 1UL << 47 ? 5 : 4;
}

/* Reads the current clocksource into @clock, "?" if unknown. */
static void read_clocksource(char *clock, size_t size)
{
	FILE *f;

	snprintf(clock, size, "?");
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  "re");
	if (!f)
		return;
	if (!fgets(clock, size, f))
		snprintf(clock, size, "?");
	clock[strcspn(clock, "\n")] = 0;
	fclose(f);
}

static void print_header(void)
{
	char clock[64];

	read_clocksource(clock, sizeof(clock));
	printf("vas_bench: %d CPUs online, %d-level paging, clocksource %s\n",
	       (int)sysconf(_SC_NPROCESSORS_ONLN), paging_levels(), clock);
	printf("vas_bench: timed with the TSC, %.1f MHz against CLOCK_MONOTONIC\n",
	       tsc_per_ns * 1e3);
	if (!access("/proc/lockdep", F_OK))
		printf("vas_bench: WARNING: lockdep kernel, not representative\n");
}

static bool print_goals(void)
{
	const struct goal *g;
	bool all = true;
	char limit[16];
	size_t i;

	printf("\n  %-48s %8s %8s  %s\n", "Goal", "value", "limit",
	       "result");
	for (i = 0; i < ARRAY_SIZE(goals); i++) {
		g = &goals[i];
		snprintf(limit, sizeof(limit), "%s %g", g->at_least ? ">=" : "<",
			 g->limit);
		if (g->measured)
			printf("  %-48s %8.2f %8s  %s\n", g->name, g->value,
			       limit, goal_met(g) ? "PASS" : "FAIL");
		else
			printf("  %-48s %8s %8s  %s\n", g->name, "-", limit,
			       "FAIL (not measured)");
		all &= goal_met(g);
	}
	printf("vas_bench: %s\n", all ? "every goal met" : "goals missed");
	return all;
}

int main(void)
{
	int i, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	page_size = sysconf(_SC_PAGESIZE);

	if (!vas_supported()) {
		printf("vas_bench: %s\n", VAS_SKIP_REASON);
		return KSFT_SKIP;
	}
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus)) {
		printf("vas_bench: sched_getaffinity: %s\n", strerror(errno));
		return 1;
	}
	cpus[0] = -1;
	cpus[1] = -1;
	for (i = 0; i < CPU_SETSIZE && n < 2; i++) {
		if (CPU_ISSET(i, &all_cpus))
			cpus[n++] = i;
	}
	/* The parent stays on the first CPU, the pipe's partner moves. */
	if (pin(cpus[0])) {
		printf("vas_bench: sched_setaffinity: %s\n", strerror(errno));
		return 1;
	}

	calibrate_tsc();
	print_header();
	cleanup();
	bench_switch();
	bench_attach();
	bench_pgtables();
	cleanup();
	return print_goals() ? 0 : 1;
}
