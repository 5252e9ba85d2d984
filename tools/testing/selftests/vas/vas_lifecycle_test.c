// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - lifecycle: fork(), vfork(), execve(), thread and process exit,
 * fatal and caught signals while a thread is switched into a VAS, and what
 * /proc shows of such a process.
 *
 * The image started by execve() is this program: a constructor recognises
 * the arguments EXEC_ARG <vid> <report fd> <hold fd>, checks that the new
 * image has nothing of the VAS, and exits before the harness starts.
 *
 * Forked children report failures through the shared _metadata.  The
 * fixture teardown runs in the parent once every process of the test is
 * gone, and deletes the VAS whatever happened.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vas.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vas_util.h"

/* Address @off bytes into the VAS area. */
#define VAS_PTR(off) ((void *)(uintptr_t)(VAS_AREA_START + (off)))

/* Accesses that the compiler must not drop or merge: other threads look. */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)

#define MEM_SIZE (64UL << 10)	/* VAS memory that the tests map */
#define UNMAPPED_OFFSET (1024UL << 20)	/* nothing is mapped there */

#define VAS_MAGIC 0x7661736d656d6f72UL
#define IMAGE_MAGIC 0x696d6167656d656dUL

#define THREAD_LOOPS 200
#define SIGNAL_ROUNDS 100
#define WAIT_SECONDS 20.0	/* for another thread, in the slowest guest */

/* A dead process may hold its attachments a little longer. */
#define DELETE_SECONDS 1.0
#define CLEANUP_SECONDS 5.0

/* The arguments that make this program the image that execve() checks. */
#define EXEC_ARG "--vas-lifecycle-exec-check"

/* Exit status of the image that execve() started: what it found wrong. */
enum {
	EXEC_OK,
	EXEC_BAD_ARGS = 100,
	EXEC_ACTIVE,
	EXEC_NO_MAPS,
	EXEC_MAPPED,
	EXEC_STATUS,
	EXEC_SWITCH,
	EXEC_DETACH,
	EXEC_AREA_BUSY,
	EXEC_REPORT,
	EXEC_FAILED = 127,
};

static const char *exec_result(int code)
{
	switch (code) {
	case EXEC_OK:
		return "no problem";
	case EXEC_BAD_ARGS:
		return "bad arguments";
	case EXEC_ACTIVE:
		return "active_vas() is not 0";
	case EXEC_NO_MAPS:
		return "cannot read /proc/self/maps";
	case EXEC_MAPPED:
		return "a [vas] line or a mapping in the VAS area in /proc/self/maps";
	case EXEC_STATUS:
		return "no \"Vas:\\t0\" line in /proc/self/status";
	case EXEC_SWITCH:
		return "vas_switch(vid) did not fail with EINVAL";
	case EXEC_DETACH:
		return "vas_detach(0, vid) did not fail with EINVAL";
	case EXEC_AREA_BUSY:
		return "cannot map in the VAS area";
	case EXEC_REPORT:
		return "cannot write the report";
	case EXEC_FAILED:
		return "execve() failed";
	}
	return "unknown exit status";
}

/* What /proc/<pid>/maps shows. */
struct maps_info {
	int vas_lines;		/* lines that end in "[vas]" */
	int area_lines;		/* lines that overlap the VAS area */
	bool has_addr;		/* a line covers the address asked for */
	bool has_stack;		/* a "[stack]" line */
};

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !strcmp(s + len - n, suffix);
}

/* Reads /proc/<pid>/maps (pid 0: self); returns 0 or -1. */
static int read_maps(pid_t pid, unsigned long addr, struct maps_info *mi)
{
	unsigned long start, end;
	char path[64], *line = NULL;
	size_t size = 0, len;
	FILE *f;

	memset(mi, 0, sizeof(*mi));
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &size, f) > 0) {
		if (sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		len = strcspn(line, "\n");
		line[len] = '\0';
		if (ends_with(line, len, "[vas]"))
			mi->vas_lines++;
		if (start < VAS_AREA_END && end > VAS_AREA_START)
			mi->area_lines++;
		if (addr >= start && addr < end)
			mi->has_addr = true;
		if (ends_with(line, len, "[stack]"))
			mi->has_stack = true;
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * The "Vas:" line of /proc/<pid>/task/<tid>/status (pid 0: self; tid 0:
 * /proc/<pid>/status); -1 if there is none.
 */
static int status_vas(pid_t pid, pid_t tid)
{
	char path[64], *line = NULL;
	size_t size = 0;
	int vid = -1;
	FILE *f;

	if (!pid)
		snprintf(path, sizeof(path), "/proc/self/status");
	else if (!tid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid,
			 tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &size, f) > 0) {
		if (!strncmp(line, "Vas:\t", 5)) {
			vid = atoi(line + 5);
			break;
		}
	}
	free(line);
	fclose(f);
	return vid;
}

/* The image started by execve(): nothing of the VAS is left. */
static int exec_check_state(int vid)
{
	struct maps_info mi;
	void *p;

	if (active_vas())
		return EXEC_ACTIVE;
	if (read_maps(0, 0, &mi))
		return EXEC_NO_MAPS;
	if (mi.vas_lines || mi.area_lines)
		return EXEC_MAPPED;
	if (status_vas(0, 0))
		return EXEC_STATUS;
	if (vas_switch(vid) != -1 || errno != EINVAL)
		return EXEC_SWITCH;
	if (active_vas())
		return EXEC_ACTIVE;
	if (vas_detach(0, vid) != -1 || errno != EINVAL)
		return EXEC_DETACH;
	/* Nothing attached: the new image may map there. */
	p = mmap(VAS_PTR(0), getpagesize(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != VAS_PTR(0))
		return EXEC_AREA_BUSY;
	munmap(p, getpagesize());
	return EXEC_OK;
}

/*
 * argv: EXEC_ARG, the vid, a descriptor to write the result to and one to
 * read EOF from before exiting (-1: none).
 */
static int exec_check(int argc, char **argv)
{
	int vid, report, hold, ret;
	char c;

	if (argc != 5)
		return EXEC_BAD_ARGS;
	vid = atoi(argv[2]);
	report = atoi(argv[3]);
	hold = atoi(argv[4]);
	if (vid <= 0)
		return EXEC_BAD_ARGS;
	ret = exec_check_state(vid);
	if (report >= 0) {
		c = ret;
		if (write(report, &c, 1) != 1)
			ret = EXEC_REPORT;
		close(report);
	}
	/* The parent checks things while this image still runs. */
	if (hold >= 0 && read(hold, &c, 1) < 0)
		ret = EXEC_REPORT;
	return ret;
}

/*
 * Runs before the harness: the harness provides main().  The arguments are
 * read from /proc/self/cmdline, which works with any C library.
 */
static void __attribute__((constructor)) exec_check_main(void)
{
	char buf[4096], *argv[6];
	int argc = 0, fd;
	ssize_t len;
	char *p;

	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (p = buf; p < buf + len && argc < 6; p += strlen(p) + 1)
		argv[argc++] = p;
	if (argc < 2 || strcmp(argv[1], EXEC_ARG))
		return;
	_exit(exec_check(argc, argv));
}

/* The arguments of the image to start, built before fork() or vfork(). */
struct exec_args {
	char vid[16];
	char report[16];
	char hold[16];
	char *argv[6];
};

static void exec_args_init(struct exec_args *ea, int vid, int report,
			   int hold)
{
	snprintf(ea->vid, sizeof(ea->vid), "%d", vid);
	snprintf(ea->report, sizeof(ea->report), "%d", report);
	snprintf(ea->hold, sizeof(ea->hold), "%d", hold);
	ea->argv[0] = "vas_lifecycle_test";
	ea->argv[1] = EXEC_ARG;
	ea->argv[2] = ea->vid;
	ea->argv[3] = ea->report;
	ea->argv[4] = ea->hold;
	ea->argv[5] = NULL;
}

/* Starts the checking image in the caller; returns only on failure. */
static void exec_self(const struct exec_args *ea)
{
	execve("/proc/self/exe", ea->argv, environ);
	_exit(EXEC_FAILED);
}

FIXTURE(lifecycle) {
	char name[VAS_NAME_MAX + 1];
	int vid;
};

FIXTURE_SETUP(lifecycle)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	snprintf(self->name, sizeof(self->name), "vas_selftest.lifecycle.%s",
		 _metadata->name);
	/* Left over by an earlier run that was killed. */
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid)
	{
		TH_LOG("vas_create(%s): %s", self->name, strerror(errno));
	}
}

FIXTURE_TEARDOWN_PARENT(lifecycle)
{
	int vid = vas_find(self->name);

	if (vid > 0 && vas_delete_retry(vid, CLEANUP_SECONDS))
		TH_LOG("cannot delete %s: %s", self->name, strerror(errno));
}

/* Waits for a process that ran the checking image. */
static void wait_exec(struct __test_metadata *const _metadata, pid_t child)
{
	int status;

	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
	{
		TH_LOG("the new image ended with status %#x", status);
	}
	EXPECT_EQ(EXEC_OK, WEXITSTATUS(status))
	{
		TH_LOG("after execve(): %s",
		       exec_result(WEXITSTATUS(status)));
	}
}

/*
 * Reads the result that the checking image writes before it waits for EOF
 * on @hold.
 */
static void read_exec_report(struct __test_metadata *const _metadata,
			     int report, int hold, pid_t child)
{
	unsigned char code;
	ssize_t ret;

	ret = read(report, &code, 1);
	if (ret != 1) {
		/* Show how the child ended. */
		close(hold);
		wait_exec(_metadata, child);
	}
	ASSERT_EQ(1, ret)
	{
		TH_LOG("no report from the new image");
	}
	EXPECT_EQ(EXEC_OK, code)
	{
		TH_LOG("after execve(): %s", exec_result(code));
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
	ASSERT_EQ(vid, active_vas());
}

/* Maps MEM_SIZE of VAS memory at VAS_PTR(0) and writes VAS_MAGIC there. */
static unsigned long *map_vas(struct __test_metadata *const _metadata)
{
	unsigned long *mem = VAS_PTR(0);
	void *p;

	p = mmap(mem, MEM_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(VAS_PTR(0), p)
	{
		TH_LOG("mmap in the VAS: %s",
		       p == MAP_FAILED ? strerror(errno) : "moved");
	}
	mem[0] = VAS_MAGIC;
	return mem;
}

/* The test process leaves the VAS, detaches it and deletes it. */
static void finish(struct __test_metadata *const _metadata, int vid)
{
	ASSERT_EQ(0, vas_switch(0));
	ASSERT_EQ(0, vas_detach(0, vid))
	{
		TH_LOG("vas_detach: %s", strerror(errno));
	}
	EXPECT_EQ(0, vas_delete_retry(vid, DELETE_SECONDS))
	{
		TH_LOG("vas_delete: %s", strerror(errno));
	}
}

/* Nothing is attached any more: the VAS can be deleted. */
static void check_deletable(struct __test_metadata *const _metadata,
			    int vid, const char *name)
{
	EXPECT_EQ(0, vas_delete_retry(vid, DELETE_SECONDS))
	{
		TH_LOG("vas_delete: %s", strerror(errno));
	}
	vas_check_gone(_metadata, vid, name);
}

static unsigned long image_word;

/* fork() */

TEST_F(lifecycle, fork_while_switched)
{
	struct maps_info mi;
	unsigned long *mem;
	pid_t child;

	attach_switch(_metadata, self->vid);
	mem = map_vas(_metadata);
	/* Outside the VAS area a switched thread writes the image. */
	image_word = IMAGE_MAGIC;

	child = vas_fork_child(_metadata);
	if (!child) {
		/* The image, and nothing attached. */
		EXPECT_EQ(0, active_vas());
		EXPECT_EQ(0, status_vas(0, 0));
		EXPECT_EQ(IMAGE_MAGIC, image_word);
		ASSERT_EQ(0, read_maps(0, 0, &mi));
		EXPECT_EQ(0, mi.vas_lines);
		EXPECT_EQ(0, mi.area_lines);
		EXPECT_EQ(-1, vas_switch(self->vid));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, vas_detach(0, self->vid));
		EXPECT_EQ(EINVAL, errno);
		/* The failed calls changed nothing. */
		EXPECT_EQ(0, active_vas());
		ASSERT_EQ(0, read_maps(0, 0, &mi));
		EXPECT_EQ(0, mi.area_lines);

		/* The child may attach on its own and sees the memory. */
		attach_switch(_metadata, self->vid);
		EXPECT_EQ(VAS_MAGIC, mem[0]);
		mem[1] = ~VAS_MAGIC;
		ASSERT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, self->vid));
		_exit(0);
	}

	/* The parent is still switched. */
	EXPECT_EQ(self->vid, active_vas());
	EXPECT_EQ(VAS_MAGIC, mem[0]);
	vas_wait_child(_metadata, child);
	EXPECT_EQ(self->vid, active_vas());
	EXPECT_EQ(~VAS_MAGIC, mem[1]);
	EXPECT_EQ(-1, vas_detach(0, self->vid));
	EXPECT_EQ(EBUSY, errno);
	/* The image maps nothing in the VAS area, nor shows the VAS memory. */
	ASSERT_EQ(0, read_maps(0, 0, &mi));
	EXPECT_EQ(0, mi.vas_lines);
	EXPECT_EQ(0, mi.area_lines);
	finish(_metadata, self->vid);
}

/* vfork() and execve() */

static void vfork_exec(struct __test_metadata *const _metadata, int vid,
		       bool switched)
{
	struct exec_args ea;
	unsigned long *mem;
	pid_t child;

	attach_switch(_metadata, vid);
	mem = map_vas(_metadata);
	if (!switched)
		ASSERT_EQ(0, vas_switch(0));
	exec_args_init(&ea, vid, -1, -1);

	fflush(stdout);
	fflush(stderr);
	child = vfork();
	if (!child)
		exec_self(&ea);
	ASSERT_LE(0, child);

	/* The parent runs where it ran before. */
	EXPECT_EQ(switched ? vid : 0, active_vas());
	wait_exec(_metadata, child);
	EXPECT_EQ(switched ? vid : 0, active_vas());
	if (switched) {
		EXPECT_EQ(-1, vas_detach(0, vid));
		EXPECT_EQ(EBUSY, errno);
	}
	ASSERT_EQ(0, vas_switch(vid));
	EXPECT_EQ(VAS_MAGIC, mem[0]);
	finish(_metadata, vid);
}

TEST_F(lifecycle, vfork_exec)
{
	vfork_exec(_metadata, self->vid, false);
}

TEST_F(lifecycle, vfork_exec_switched)
{
	vfork_exec(_metadata, self->vid, true);
}

/*
 * A child switches and calls execve(): the new image has nothing of the
 * VAS, and the VAS can be deleted while the new image still runs.
 */
TEST_F(lifecycle, exec_while_switched)
{
	int report[2], hold[2];
	struct exec_args ea;
	pid_t child;

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(report[0]);
		close(hold[1]);
		attach_switch(_metadata, self->vid);
		map_vas(_metadata);
		ASSERT_EQ(0, fcntl(report[1], F_SETFD, 0));
		ASSERT_EQ(0, fcntl(hold[0], F_SETFD, 0));
		exec_args_init(&ea, self->vid, report[1], hold[0]);
		exec_self(&ea);
	}
	close(report[1]);
	close(hold[0]);

	read_exec_report(_metadata, report[0], hold[1], child);
	check_deletable(_metadata, self->vid, self->name);
	close(hold[1]);
	close(report[0]);
	wait_exec(_metadata, child);
}

struct exec_thread {
	int vid;
	const struct exec_args *ea;
};

static void *exec_thread_fn(void *arg)
{
	struct exec_thread *et = arg;

	if (vas_switch(et->vid))
		_exit(EXEC_SWITCH);
	exec_self(et->ea);
	return NULL;
}

/*
 * A second thread calls execve() while both it and the main thread are
 * switched; execve() ends the main thread.
 */
TEST_F(lifecycle, exec_from_thread)
{
	struct exec_thread et = { .vid = self->vid };
	int report[2], hold[2];
	struct exec_args ea;
	pthread_t thread;
	pid_t child;

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(report[0]);
		close(hold[1]);
		attach_switch(_metadata, self->vid);
		map_vas(_metadata);
		ASSERT_EQ(0, fcntl(report[1], F_SETFD, 0));
		ASSERT_EQ(0, fcntl(hold[0], F_SETFD, 0));
		exec_args_init(&ea, self->vid, report[1], hold[0]);
		et.ea = &ea;
		ASSERT_EQ(0, pthread_create(&thread, NULL, exec_thread_fn,
					    &et));
		for (;;)
			pause();
	}
	close(report[1]);
	close(hold[0]);

	read_exec_report(_metadata, report[0], hold[1], child);
	check_deletable(_metadata, self->vid, self->name);
	close(hold[1]);
	close(report[0]);
	wait_exec(_metadata, child);
}

/* Process exit */

TEST_F(lifecycle, exit_while_switched)
{
	unsigned long *mem;
	pid_t child;

	child = vas_fork_child(_metadata);
	if (!child) {
		attach_switch(_metadata, self->vid);
		mem = map_vas(_metadata);
		mem[1] = VAS_MAGIC;
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	check_deletable(_metadata, self->vid, self->name);
}

struct busy_thread {
	int vid;
	int fd;			/* never readable */
	int kind;		/* 0: blocks in read(), 1: spins, 2: sleeps */
	int *ready;
	int error;
};

static void *busy_thread_fn(void *arg)
{
	struct busy_thread *bt = arg;
	unsigned long *mem = VAS_PTR(0);
	const struct timespec ts = { .tv_sec = 100 };
	char c;

	if (vas_switch(bt->vid)) {
		bt->error = errno;
		INC(*bt->ready);
		return NULL;
	}
	INC(*bt->ready);
	for (;;) {
		switch (bt->kind) {
		case 0:
			if (read(bt->fd, &c, 1) <= 0)
				return NULL;
			break;
		case 1:
			INC(mem[bt->kind + 8]);
			break;
		default:
			nanosleep(&ts, NULL);
			break;
		}
	}
	return NULL;
}

/* Starts the three kinds of busy threads, switched into the VAS. */
static void start_busy_threads(struct __test_metadata *const _metadata,
			       int vid, int fd, struct busy_thread *bt,
			       int *ready)
{
	pthread_t thread;
	double deadline;
	int i;

	for (i = 0; i < 3; i++) {
		bt[i].vid = vid;
		bt[i].fd = fd;
		bt[i].kind = i;
		bt[i].ready = ready;
		bt[i].error = 0;
		ASSERT_EQ(0, pthread_create(&thread, NULL, busy_thread_fn,
					    &bt[i]));
	}
	deadline = vas_now() + WAIT_SECONDS;
	while (LOAD(*ready) < 3 && vas_now() < deadline)
		usleep(1000);
	ASSERT_EQ(3, LOAD(*ready));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, bt[i].error);
}

/* The process exits while all its threads are switched. */
TEST_F(lifecycle, exit_group_while_switched)
{
	struct busy_thread bt[3];
	int ready = 0;
	int p[2];
	pid_t child;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		attach_switch(_metadata, self->vid);
		map_vas(_metadata);
		start_busy_threads(_metadata, self->vid, p[0], bt, &ready);
		EXPECT_EQ(self->vid, status_vas(0, 0));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	close(p[0]);
	close(p[1]);
	check_deletable(_metadata, self->vid, self->name);
}

/* Thread exit */

struct exit_thread {
	int vid;
	unsigned long *mem;
	bool use_pthread_exit;
	int switch_ret;
	int switch_errno;
	int active;
	unsigned long seen;
};

static void *exit_thread_fn(void *arg)
{
	struct exit_thread *et = arg;

	et->switch_ret = vas_switch(et->vid);
	et->switch_errno = errno;
	et->active = active_vas();
	if (!et->switch_ret) {
		et->seen = et->mem[1];
		et->mem[1] = et->seen + 1;
	}
	if (et->use_pthread_exit)
		pthread_exit(NULL);
	return NULL;
}

/* Runs one thread that switches in and exits; returns its results. */
static void run_exit_thread(struct __test_metadata *const _metadata,
			    struct exit_thread *et)
{
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, exit_thread_fn, et));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, et->switch_ret)
	{
		TH_LOG("vas_switch in the thread: %s",
		       strerror(et->switch_errno));
	}
	EXPECT_EQ(et->vid, et->active);
}

/*
 * A thread that exits while switched is switched back: once it is joined,
 * nothing keeps the VAS busy.
 */
TEST_F(lifecycle, thread_exit_while_switched)
{
	struct exit_thread et = { .vid = self->vid };
	unsigned long *mem;

	attach_switch(_metadata, self->vid);
	mem = map_vas(_metadata);
	mem[1] = 41;
	ASSERT_EQ(0, vas_switch(0));
	et.mem = mem;

	run_exit_thread(_metadata, &et);
	EXPECT_EQ(41, et.seen);
	EXPECT_EQ(0, active_vas());
	ASSERT_EQ(0, vas_detach(0, self->vid))
	{
		TH_LOG("vas_detach right after pthread_join: %s",
		       strerror(errno));
	}

	/* What the thread wrote is in the VAS. */
	attach_switch(_metadata, self->vid);
	EXPECT_EQ(42, mem[1]);
	finish(_metadata, self->vid);
}

TEST_F_TIMEOUT(lifecycle, thread_exit_loop, 120)
{
	struct exit_thread et;
	int i, busy = 0, bad = 0;
	unsigned long *mem;
	double deadline;

	attach_switch(_metadata, self->vid);
	mem = map_vas(_metadata);
	mem[1] = 0;
	ASSERT_EQ(0, vas_switch(0));

	for (i = 0; i < THREAD_LOOPS; i++) {
		memset(&et, 0, sizeof(et));
		et.vid = self->vid;
		et.mem = mem;
		et.use_pthread_exit = i & 1;
		run_exit_thread(_metadata, &et);
		if (et.switch_ret || et.active != self->vid || et.seen != i) {
			TH_LOG("loop %d: the thread saw %lu", i, et.seen);
			bad++;
			break;
		}
		/* At once: the thread was switched back when it exited. */
		if (vas_detach(0, self->vid)) {
			ASSERT_EQ(EBUSY, errno);
			busy++;
			deadline = vas_now() + DELETE_SECONDS;
			while (vas_detach(0, self->vid) && errno == EBUSY &&
			       vas_now() < deadline)
				usleep(1000);
		}
		ASSERT_EQ(0, vas_attach(0, self->vid, O_RDWR))
		{
			TH_LOG("loop %d: vas_attach: %s", i, strerror(errno));
		}
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, busy)
	{
		TH_LOG("vas_detach right after pthread_join: EBUSY in %d of %d loops",
		       busy, i);
	}
	ASSERT_EQ(0, vas_switch(self->vid));
	EXPECT_EQ(THREAD_LOOPS, mem[1]);
	finish(_metadata, self->vid);
}

/* Fatal signals */

/* A child with all threads switched is killed. */
TEST_F(lifecycle, sigkill_while_switched)
{
	int p[2], never[2], status;
	struct busy_thread bt[3];
	int ready = 0;
	pid_t child;
	char c;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(p[0]);
		ASSERT_EQ(0, pipe2(never, O_CLOEXEC));
		attach_switch(_metadata, self->vid);
		map_vas(_metadata);
		start_busy_threads(_metadata, self->vid, never[0], bt, &ready);
		ASSERT_EQ(1, write(p[1], "r", 1));
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	EXPECT_EQ(self->vid, status_vas(child, 0));

	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
	{
		TH_LOG("child ended with status %#x", status);
	}
	check_deletable(_metadata, self->vid, self->name);
}

/* A switched thread faults on an address of the VAS where nothing is. */
TEST_F(lifecycle, sigsegv_while_switched)
{
	unsigned long *unmapped = VAS_PTR(UNMAPPED_OFFSET);
	int status;
	pid_t child;

	child = vas_fork_child(_metadata);
	if (!child) {
		attach_switch(_metadata, self->vid);
		map_vas(_metadata);
		signal(SIGSEGV, SIG_DFL);
		STORE(image_word, LOAD(*unmapped));
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
	{
		TH_LOG("child ended with status %#x", status);
	}
	check_deletable(_metadata, self->vid, self->name);
}

/* Caught signals */

/* Lock-free atomics only: the handler interrupts the main thread. */
static struct {
	unsigned long *mem;	/* VAS memory */
	int vid;
	int handled;
	int bad;		/* what the handler found wrong */
} sig;

static void sig_handler(int signo)
{
	int saved_errno = errno;

	if (active_vas() != sig.vid)
		__atomic_fetch_or(&sig.bad, 1, __ATOMIC_SEQ_CST);
	if (LOAD(sig.mem[0]) != VAS_MAGIC)
		__atomic_fetch_or(&sig.bad, 2, __ATOMIC_SEQ_CST);
	if (LOAD(image_word) != IMAGE_MAGIC)
		__atomic_fetch_or(&sig.bad, 4, __ATOMIC_SEQ_CST);
	INC(sig.mem[1]);
	INC(sig.handled);
	errno = saved_errno;
}

struct sender {
	pthread_t target;
	int rounds;
	int fd;			/* written to after the signals, or -1 */
};

/* Sends SIGUSR1 to the target, one at a time, from the image. */
static void *sender_fn(void *arg)
{
	struct sender *s = arg;
	double deadline = vas_now() + WAIT_SECONDS;
	int i, before;

	if (s->fd >= 0)
		usleep(20000);
	for (i = 0; i < s->rounds; i++) {
		before = LOAD(sig.handled);
		if (pthread_kill(s->target, SIGUSR1))
			break;
		while (LOAD(sig.handled) == before && vas_now() < deadline)
			usleep(100);
	}
	if (s->fd >= 0 && write(s->fd, "w", 1) != 1)
		return NULL;
	return NULL;
}

static void check_handled(struct __test_metadata *const _metadata,
			  int handled, int vid, const char *how)
{
	int bad = LOAD(sig.bad);

	EXPECT_EQ(handled, LOAD(sig.handled))
	{
		TH_LOG("%s: the handler ran %d times, expected %d", how,
		       LOAD(sig.handled), handled);
	}
	EXPECT_EQ(0, bad)
	{
		TH_LOG("%s: in the handler:%s%s%s", how,
		       bad & 1 ? " active_vas() wrong" : "",
		       bad & 2 ? " VAS memory wrong" : "",
		       bad & 4 ? " image memory wrong" : "");
	}
	EXPECT_EQ(handled, LOAD(sig.mem[1]));
	/* Still switched after the handler returned. */
	EXPECT_EQ(vid, active_vas());
	EXPECT_EQ(VAS_MAGIC, sig.mem[0]);
}

TEST_F_TIMEOUT(lifecycle, signal_while_switched, 60)
{
	struct sigaction sa = { .sa_handler = sig_handler };
	struct sender s = { .target = pthread_self() };
	int handled, p[2], eintr = 0;
	pthread_t thread;
	double deadline;
	ssize_t ret;
	stack_t ss;
	char c;

	attach_switch(_metadata, self->vid);
	sig.mem = map_vas(_metadata);
	sig.mem[1] = 0;
	sig.vid = self->vid;
	STORE(image_word, IMAGE_MAGIC);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	/* Raised by the switched thread itself. */
	ASSERT_EQ(0, raise(SIGUSR1));
	check_handled(_metadata, 1, self->vid, "raise");

	/* On an alternate stack in the image. */
	ss.ss_sp = malloc(SIGSTKSZ);
	ASSERT_NE(NULL, ss.ss_sp);
	ss.ss_size = SIGSTKSZ;
	ss.ss_flags = 0;
	ASSERT_EQ(0, sigaltstack(&ss, NULL));
	sa.sa_flags = SA_ONSTACK;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	check_handled(_metadata, 2, self->vid, "alternate stack");
	sa.sa_flags = 0;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ss.ss_flags = SS_DISABLE;
	ASSERT_EQ(0, sigaltstack(&ss, NULL));
	free(ss.ss_sp);

	/* From a thread in the image while this one runs in the VAS. */
	handled = LOAD(sig.handled) + SIGNAL_ROUNDS;
	s.rounds = SIGNAL_ROUNDS;
	s.fd = -1;
	ASSERT_EQ(0, pthread_create(&thread, NULL, sender_fn, &s));
	deadline = vas_now() + WAIT_SECONDS;
	while (LOAD(sig.handled) < handled && vas_now() < deadline)
		INC(sig.mem[2]);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	check_handled(_metadata, handled, self->vid, "running");

	/* Interrupting a system call (no SA_RESTART) of the switched thread. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	handled = LOAD(sig.handled) + 1;
	s.rounds = 1;
	s.fd = p[1];
	ASSERT_EQ(0, pthread_create(&thread, NULL, sender_fn, &s));
	do {
		ret = read(p[0], &c, 1);
		if (ret < 0 && errno == EINTR)
			eintr++;
	} while (ret < 0 && errno == EINTR);
	EXPECT_EQ(1, ret);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	check_handled(_metadata, handled, self->vid, "blocked");
	TH_LOG("read() interrupted %d times", eintr);
	close(p[0]);
	close(p[1]);
	finish(_metadata, self->vid);
}

/* /proc of a process with a switched thread */

static unsigned long child_word;

struct image_thread {
	int fd;			/* read until EOF */
	pid_t tid;
};

static void *image_thread_fn(void *arg)
{
	struct image_thread *it = arg;
	char c;

	STORE(it->tid, gettid());
	while (read(it->fd, &c, 1) > 0)
		;
	return NULL;
}

/*
 * A child whose main thread is switched and waits, while another thread
 * waits in the image.
 */
struct switched_child {
	pid_t pid;
	pid_t image_tid;
	int go;			/* closing it ends the child */
};

static void start_switched_child(struct __test_metadata *const _metadata,
				 int vid, struct switched_child *sc)
{
	struct image_thread it = { 0 };
	int ready[2], go[2];
	unsigned long *mem;
	pthread_t thread;
	double deadline;
	pid_t child, tid;
	char c;

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(ready[0]);
		close(go[1]);
		STORE(child_word, IMAGE_MAGIC);
		it.fd = go[0];
		ASSERT_EQ(0, pthread_create(&thread, NULL, image_thread_fn,
					    &it));
		attach_switch(_metadata, vid);
		mem = map_vas(_metadata);
		deadline = vas_now() + WAIT_SECONDS;
		while (!LOAD(it.tid) && vas_now() < deadline)
			usleep(1000);
		tid = LOAD(it.tid);
		ASSERT_NE(0, tid);
		ASSERT_EQ(sizeof(tid), write(ready[1], &tid, sizeof(tid)));

		/* Switched until the parent is done. */
		EXPECT_EQ(0, read(go[0], &c, 1));
		EXPECT_EQ(vid, active_vas());
		EXPECT_EQ(VAS_MAGIC, mem[0]);
		ASSERT_EQ(0, vas_switch(0));
		ASSERT_EQ(0, pthread_join(thread, NULL));
		EXPECT_EQ(0, vas_detach(0, vid));
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	sc->pid = child;
	sc->go = go[1];
	ASSERT_EQ(sizeof(sc->image_tid),
		  read(ready[0], &sc->image_tid, sizeof(sc->image_tid)));
	close(ready[0]);
}

static void end_switched_child(struct __test_metadata *const _metadata,
			       struct switched_child *sc)
{
	close(sc->go);
	vas_wait_child(_metadata, sc->pid);
}

TEST_F(lifecycle, proc_maps_switched)
{
	struct switched_child sc;
	struct maps_info mi;

	start_switched_child(_metadata, self->vid, &sc);

	/* The image's maps: nothing in the VAS area, none of the VAS's own. */
	ASSERT_EQ(0, read_maps(sc.pid, (unsigned long)&child_word, &mi));
	EXPECT_EQ(0, mi.vas_lines);
	EXPECT_EQ(0, mi.area_lines);
	EXPECT_TRUE(mi.has_addr);
	EXPECT_TRUE(mi.has_stack);

	/* Each thread shows where it runs. */
	EXPECT_EQ(self->vid, status_vas(sc.pid, 0));
	EXPECT_EQ(self->vid, status_vas(sc.pid, sc.pid));
	EXPECT_EQ(0, status_vas(sc.pid, sc.image_tid));
	EXPECT_EQ(0, status_vas(0, 0));

	end_switched_child(_metadata, &sc);
	check_deletable(_metadata, self->vid, self->name);
}

/* Without CONFIG_CROSS_MEMORY_ATTACH, process_vm_readv() does not exist. */
static bool have_process_vm(void)
{
	unsigned long a = 1, b = 0;
	struct iovec local = { &b, sizeof(b) };
	struct iovec remote = { &a, sizeof(a) };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       sizeof(a) && b == a;
}

static void check_mem_read(struct __test_metadata *const _metadata, int fd,
			   pid_t pid)
{
	unsigned long val = 0;
	struct iovec local = { &val, sizeof(val) };
	struct iovec remote = { (void *)&child_word, sizeof(val) };
	ssize_t ret;

	/* The image reads fine. */
	ASSERT_EQ(sizeof(val), pread(fd, &val, sizeof(val),
				     (off_t)(uintptr_t)&child_word));
	EXPECT_EQ(IMAGE_MAGIC, val);

	/* The VAS area does not. */
	EXPECT_EQ(-1, pread(fd, &val, sizeof(val), (off_t)VAS_AREA_START));
	EXPECT_TRUE(errno == EIO || errno == EFAULT)
	{
		TH_LOG("reading the VAS area: %s", strerror(errno));
	}
	EXPECT_EQ(-1, pread(fd, &val, sizeof(val),
			    (off_t)(VAS_AREA_START + UNMAPPED_OFFSET)));

	/* Nothing changed: the image still reads fine. */
	val = 0;
	ASSERT_EQ(sizeof(val), pread(fd, &val, sizeof(val),
				     (off_t)(uintptr_t)&child_word));
	EXPECT_EQ(IMAGE_MAGIC, val);

	/* process_vm_readv() too, if the kernel has it. */
	if (!have_process_vm())
		return;
	val = 0;
	ret = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	EXPECT_EQ(sizeof(val), ret);
	EXPECT_EQ(IMAGE_MAGIC, val);
	remote.iov_base = VAS_PTR(0);
	EXPECT_EQ(-1, process_vm_readv(pid, &local, 1, &remote, 1, 0));
	EXPECT_TRUE(errno == EIO || errno == EFAULT);
}

/* /proc/<pid>/mem of a process whose main thread is switched. */
TEST_F(lifecycle, proc_mem_switched)
{
	struct switched_child sc;
	char path[64];
	int fd;

	start_switched_child(_metadata, self->vid, &sc);
	snprintf(path, sizeof(path), "/proc/%d/mem", sc.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd)
	{
		TH_LOG("open(%s): %s", path, strerror(errno));
	}
	check_mem_read(_metadata, fd, sc.pid);
	close(fd);
	end_switched_child(_metadata, &sc);
	check_deletable(_metadata, self->vid, self->name);
}

/* /proc/self/mem read by a switched thread: the image only, too. */
TEST_F(lifecycle, proc_self_mem_switched)
{
	unsigned long *mem;
	int fd;

	attach_switch(_metadata, self->vid);
	mem = map_vas(_metadata);
	STORE(child_word, IMAGE_MAGIC);
	fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	check_mem_read(_metadata, fd, getpid());
	close(fd);
	/* The thread itself reads its VAS memory. */
	EXPECT_EQ(VAS_MAGIC, mem[0]);
	EXPECT_EQ(self->vid, active_vas());
	finish(_metadata, self->vid);
}

TEST_HARNESS_MAIN
