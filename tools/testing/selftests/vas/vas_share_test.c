// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - sharing: processes attached to one VAS see the same memory,
 * wake each other through futexes and pthread objects in it, find what an
 * exited process left in it, get EOWNERDEAD for a robust mutex whose owner
 * died wherever it was switched, and use VAS buffers in read(), write()
 * and vmsplice().
 *
 * The processes that take part are forked from the image, before anything
 * is attached, and attach the VAS themselves.  They report failures through
 * the shared _metadata.  The fixture teardown runs in the parent once every
 * process of the test is gone, and deletes the VAS whatever happened.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/vas.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

#define ROUNDS 2000		/* ping-pong rounds */
#define WAIT_SECONDS 5		/* a wait that long is a lost wake-up */
#define PAYLOAD_WORDS 512	/* data passed along with each turn */

#define BIG_SIZE (8UL << 20)	/* left in the VAS by an exiting process */
#define BIG_OFFSET (1024UL << 20)

#define IO_SIZE (1024UL << 10)	/* for read() and write() */
#define IO_CHUNK (32UL << 10)	/* fits in an empty pipe */
#define SPLICE_SIZE (256UL << 10)

/* A dead process may hold its attachments a little longer. */
#define DELETE_SECONDS 1.0
#define CLEANUP_SECONDS 5.0

FIXTURE(share) {
	char name[VAS_NAME_MAX + 1];
	int vid;
};

FIXTURE_SETUP(share)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	snprintf(self->name, sizeof(self->name), "vas_selftest.share.%s",
		 _metadata->name);
	/* Left over by an earlier run that was killed. */
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid)
	{
		TH_LOG("vas_create(%s): %s", self->name, strerror(errno));
	}
}

FIXTURE_TEARDOWN_PARENT(share)
{
	int vid = vas_find(self->name);

	if (vid > 0 && vas_delete_retry(vid, CLEANUP_SECONDS))
		TH_LOG("cannot delete %s: %s", self->name, strerror(errno));
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

/* Maps VAS memory at @addr; the caller is switched into the VAS. */
static void map_vas(struct __test_metadata *const _metadata, void *addr,
		    size_t len, int type)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       type | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	ASSERT_EQ(addr, p)
	{
		TH_LOG("mmap(%p, %zu) in the VAS: %s", addr, len,
		       p == MAP_FAILED ? strerror(errno) : "moved");
	}
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

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t ret;

	while (done < len) {
		ret = read(fd, (char *)buf + done, len - done);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return done ? (ssize_t)done : -1;
		if (!ret)
			break;
		done += ret;
	}
	return done;
}

static ssize_t write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t ret;

	while (done < len) {
		ret = write(fd, (const char *)buf + done, len - done);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return done ? (ssize_t)done : -1;
		done += ret;
	}
	return done;
}

static void fill_bytes(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 131 + seed) ^ (i >> 12));
}

/* Ping-pong: the players take turns, each waking the other. */

struct player_stats {
	unsigned int sleeps;	/* waits that returned 0 */
	unsigned int woken;	/* waiters that our wake-ups woke */
	int error;		/* an errno value, 0 if none */
	int round;		/* where the error happened */
};

struct pingpong {
	union {
		struct {
			unsigned int word;	/* 2 * round + player */
			unsigned int last;	/* the last turn played */
			struct player_stats stats[2];
		};
		char page[4096];
	};
	/* On another page than the futex word. */
	unsigned long payload[PAYLOAD_WORDS];
};

static unsigned long payload_value(unsigned int turn)
{
	return turn * 0x9e3779b97f4a7c15UL ^ 0x5a5a5a5a;
}

static int player_fail(struct player_stats *st, int round, int error)
{
	st->error = error;
	st->round = round;
	return -1;
}

static long futex(unsigned int *uaddr, int op, unsigned int val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

/* Plays ROUNDS turns with raw futex calls; @flags: 0 or FUTEX_PRIVATE_FLAG. */
static int futex_player(struct pingpong *pp, int me, int flags)
{
	const struct timespec timeout = { .tv_sec = WAIT_SECONDS };
	struct player_stats *st = &pp->stats[me];
	unsigned int turn, seen;
	int round;
	long ret;

	for (round = 0; round < ROUNDS; round++) {
		turn = 2 * round + me;
		for (;;) {
			seen = __atomic_load_n(&pp->word, __ATOMIC_ACQUIRE);
			if (seen == turn)
				break;
			if (seen > turn)
				return player_fail(st, round, EPROTO);
			ret = futex(&pp->word, FUTEX_WAIT | flags, seen,
				    &timeout);
			if (!ret)
				st->sleeps++;
			else if (errno != EAGAIN && errno != EINTR)
				return player_fail(st, round, errno);
		}
		/* What the other player wrote on its turn. */
		if (turn && (pp->last != turn - 1 ||
			     pp->payload[(turn - 1) % PAYLOAD_WORDS] !=
			     payload_value(turn - 1)))
			return player_fail(st, round, EBADMSG);
		pp->payload[turn % PAYLOAD_WORDS] = payload_value(turn);
		pp->last = turn;
		__atomic_store_n(&pp->word, turn + 1, __ATOMIC_RELEASE);
		ret = futex(&pp->word, FUTEX_WAKE | flags, INT_MAX, NULL);
		if (ret < 0)
			return player_fail(st, round, errno);
		st->woken += ret;
	}
	return 0;
}

static void check_player(struct __test_metadata *const _metadata,
			 const struct player_stats *st, const char *who)
{
	EXPECT_EQ(0, st->error)
	{
		TH_LOG("%s: %s in round %d%s", who, strerror(st->error),
		       st->round,
		       st->error == ETIMEDOUT ? " (lost wake-up)" : "");
	}
}

/*
 * The test process and a child ping-pong through a futex word in VAS memory
 * of type @type (MAP_PRIVATE or MAP_SHARED), with futex operations @flags.
 */
static void futex_pingpong(struct __test_metadata *const _metadata, int vid,
			   int type, int flags)
{
	struct pingpong *pp = VAS_PTR(0);
	int go[2];
	pid_t child;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(go[1]);
		vas_wait_go(_metadata, go[0]);
		attach_switch(_metadata, vid);
		futex_player(pp, 1, flags);
		ASSERT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, vid));
		_exit(0);
	}
	close(go[0]);

	attach_switch(_metadata, vid);
	map_vas(_metadata, pp, sizeof(*pp), type);
	vas_send_go(_metadata, go[1]);
	close(go[1]);
	futex_player(pp, 0, flags);
	vas_wait_child(_metadata, child);

	check_player(_metadata, &pp->stats[0], "test process");
	check_player(_metadata, &pp->stats[1], "child");
	EXPECT_EQ(2 * ROUNDS, pp->word);
	EXPECT_EQ(2 * ROUNDS - 1, pp->last);
	TH_LOG("%d rounds: woken %u + %u, slept %u + %u", ROUNDS,
	       pp->stats[0].woken, pp->stats[1].woken, pp->stats[0].sleeps,
	       pp->stats[1].sleeps);
	/* Some wake-ups found a waiter in the other process. */
	EXPECT_LT(0, pp->stats[0].woken + pp->stats[1].woken);
	finish(_metadata, vid);
}

TEST_F_TIMEOUT(share, futex_shared_op, 120)
{
	futex_pingpong(_metadata, self->vid, MAP_PRIVATE, 0);
}

TEST_F_TIMEOUT(share, futex_private_op, 120)
{
	futex_pingpong(_metadata, self->vid, MAP_PRIVATE, FUTEX_PRIVATE_FLAG);
}

TEST_F_TIMEOUT(share, futex_shared_op_shmem, 120)
{
	futex_pingpong(_metadata, self->vid, MAP_SHARED, 0);
}

TEST_F_TIMEOUT(share, futex_private_op_shmem, 120)
{
	futex_pingpong(_metadata, self->vid, MAP_SHARED, FUTEX_PRIVATE_FLAG);
}

/* The same with a mutex and a condition variable. */

struct condpp {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	unsigned int turn;
	unsigned int last;
	struct player_stats stats[2];
};

static void deadline_in(struct timespec *ts, int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

static int cond_player(struct condpp *cp, int me)
{
	struct player_stats *st = &cp->stats[me];
	struct timespec deadline;
	unsigned int turn;
	int round, ret;

	for (round = 0; round < ROUNDS; round++) {
		turn = 2 * round + me;
		deadline_in(&deadline, WAIT_SECONDS);
		ret = pthread_mutex_clocklock(&cp->mutex, CLOCK_MONOTONIC,
					      &deadline);
		if (ret)
			return player_fail(st, round, ret);
		while (cp->turn != turn) {
			if (cp->turn > turn) {
				ret = EPROTO;
				break;
			}
			ret = pthread_cond_clockwait(&cp->cond, &cp->mutex,
						     CLOCK_MONOTONIC,
						     &deadline);
			if (ret)
				break;
			st->sleeps++;
		}
		if (ret == ETIMEDOUT && cp->turn == turn)
			ret = 0;
		if (!ret && turn && cp->last != turn - 1)
			ret = EBADMSG;
		if (!ret) {
			cp->last = turn;
			cp->turn = turn + 1;
			ret = pthread_cond_signal(&cp->cond);
		}
		pthread_mutex_unlock(&cp->mutex);
		if (ret)
			return player_fail(st, round, ret);
	}
	return 0;
}

static void init_condpp(struct __test_metadata *const _metadata,
			struct condpp *cp)
{
	pthread_mutexattr_t mattr;
	pthread_condattr_t cattr;

	ASSERT_EQ(0, pthread_mutexattr_init(&mattr));
	ASSERT_EQ(0, pthread_mutexattr_setpshared(&mattr,
						  PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_mutex_init(&cp->mutex, &mattr));
	pthread_mutexattr_destroy(&mattr);
	ASSERT_EQ(0, pthread_condattr_init(&cattr));
	ASSERT_EQ(0, pthread_condattr_setpshared(&cattr,
						 PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_cond_init(&cp->cond, &cattr));
	pthread_condattr_destroy(&cattr);
}

static void cond_pingpong(struct __test_metadata *const _metadata, int vid)
{
	struct condpp *cp = VAS_PTR(0);
	int go[2];
	pid_t child;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(go[1]);
		vas_wait_go(_metadata, go[0]);
		attach_switch(_metadata, vid);
		cond_player(cp, 1);
		ASSERT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, vid));
		_exit(0);
	}
	close(go[0]);

	attach_switch(_metadata, vid);
	map_vas(_metadata, cp, sizeof(*cp), MAP_PRIVATE);
	init_condpp(_metadata, cp);
	vas_send_go(_metadata, go[1]);
	close(go[1]);
	cond_player(cp, 0);
	vas_wait_child(_metadata, child);

	check_player(_metadata, &cp->stats[0], "test process");
	check_player(_metadata, &cp->stats[1], "child");
	EXPECT_EQ(2 * ROUNDS, cp->turn);
	EXPECT_EQ(2 * ROUNDS - 1, cp->last);
	TH_LOG("%d rounds: condition waits %u + %u", ROUNDS,
	       cp->stats[0].sleeps, cp->stats[1].sleeps);
	/* The objects stay in the VAS: a failed child may have left waiters. */
	finish(_metadata, vid);
}

TEST_F_TIMEOUT(share, pthread_process_shared, 120)
{
	cond_pingpong(_metadata, self->vid);
}

/* Memory stays with the VAS. */

static unsigned long big_value(size_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15UL;
}

/* Checks the pattern; returns the number of bad words, logs the first. */
static size_t check_big(struct __test_metadata *const _metadata,
			const unsigned long *buf, const char *who)
{
	size_t i, bad = 0;

	for (i = 0; i < BIG_SIZE / sizeof(*buf); i++) {
		if (buf[i] == big_value(i))
			continue;
		if (!bad++)
			TH_LOG("%s: word %zu is %#lx, expected %#lx", who, i,
			       buf[i], big_value(i));
	}
	return bad;
}

/*
 * A process fills 8 MiB of the VAS, detaches and exits; a process that
 * existed before, and is not related to the writer, then attaches the VAS
 * and finds the data.
 */
TEST_F_TIMEOUT(share, persists_after_exit, 120)
{
	unsigned long *buf = VAS_PTR(BIG_OFFSET);
	pid_t reader, writer;
	int go[2];
	size_t i;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	reader = vas_fork_child(_metadata);
	if (!reader) {
		close(go[1]);
		vas_wait_go(_metadata, go[0]);
		attach_switch(_metadata, self->vid);
		EXPECT_EQ(0, check_big(_metadata, buf, "reader"));
		/* Leave a mark for the test process. */
		buf[0] = ~big_value(0);
		ASSERT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, self->vid));
		_exit(0);
	}
	close(go[0]);

	writer = vas_fork_child(_metadata);
	if (!writer) {
		close(go[1]);
		attach_switch(_metadata, self->vid);
		map_vas(_metadata, buf, BIG_SIZE, MAP_PRIVATE);
		for (i = 0; i < BIG_SIZE / sizeof(*buf); i++)
			buf[i] = big_value(i);
		ASSERT_EQ(0, vas_switch(0));
		ASSERT_EQ(0, vas_detach(0, self->vid));
		_exit(0);
	}
	vas_wait_child(_metadata, writer);

	/* Nobody is attached now; the reader attaches. */
	vas_send_go(_metadata, go[1]);
	close(go[1]);
	vas_wait_child(_metadata, reader);

	/* A third process sees the data and the reader's mark. */
	attach_switch(_metadata, self->vid);
	EXPECT_EQ(~big_value(0), buf[0]);
	buf[0] = big_value(0);
	EXPECT_EQ(0, check_big(_metadata, buf, "test process"));
	finish(_metadata, self->vid);
}

/* System calls on VAS buffers. */

TEST_F_TIMEOUT(share, read_write_pipe, 60)
{
	unsigned char *src = VAS_PTR(0), *dst = VAS_PTR(IO_SIZE);
	unsigned char *ref, *img;
	struct iovec iov[2];
	size_t off;
	int p[2], fd, avail;

	ref = malloc(IO_SIZE);
	img = malloc(IO_SIZE);
	ASSERT_TRUE(ref && img);
	fill_bytes(ref, IO_SIZE, 1);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));

	attach_switch(_metadata, self->vid);
	map_vas(_metadata, src, 2 * IO_SIZE, MAP_PRIVATE);
	memcpy(src, ref, IO_SIZE);

	/* VAS to VAS; read() faults the pages of dst in. */
	for (off = 0; off < IO_SIZE; off += IO_CHUNK) {
		ASSERT_EQ(IO_CHUNK, write(p[1], src + off, IO_CHUNK));
		ASSERT_EQ(IO_CHUNK, read_full(p[0], dst + off, IO_CHUNK));
	}
	EXPECT_EQ(0, memcmp(dst, ref, IO_SIZE));

	/* Image to VAS. */
	memset(dst, 0, IO_SIZE);
	for (off = 0; off < IO_SIZE; off += IO_CHUNK) {
		ASSERT_EQ(IO_CHUNK, write(p[1], ref + off, IO_CHUNK));
		ASSERT_EQ(IO_CHUNK, read_full(p[0], dst + off, IO_CHUNK));
	}
	EXPECT_EQ(0, memcmp(dst, ref, IO_SIZE));

	/* VAS to image. */
	memset(img, 0, IO_SIZE);
	for (off = 0; off < IO_SIZE; off += IO_CHUNK) {
		ASSERT_EQ(IO_CHUNK, write(p[1], src + off, IO_CHUNK));
		ASSERT_EQ(IO_CHUNK, read_full(p[0], img + off, IO_CHUNK));
	}
	EXPECT_EQ(0, memcmp(img, ref, IO_SIZE));

	/* Vectors that mix image and VAS buffers. */
	memset(dst, 0, IO_SIZE);
	memset(img, 0, IO_SIZE);
	iov[0].iov_base = ref;
	iov[0].iov_len = IO_CHUNK / 2;
	iov[1].iov_base = src + IO_CHUNK / 2;
	iov[1].iov_len = IO_CHUNK / 2;
	ASSERT_EQ(IO_CHUNK, writev(p[1], iov, 2));
	iov[0].iov_base = dst;
	iov[1].iov_base = img + IO_CHUNK / 2;
	ASSERT_EQ(IO_CHUNK, readv(p[0], iov, 2));
	EXPECT_EQ(0, memcmp(dst, ref, IO_CHUNK / 2));
	EXPECT_EQ(0, memcmp(img + IO_CHUNK / 2, ref + IO_CHUNK / 2,
			    IO_CHUNK / 2));

	/* A file: pwrite() from and pread() into VAS buffers. */
	fd = memfd_create("vas_share", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(dst, 0, IO_SIZE);
	ASSERT_EQ(IO_SIZE, pwrite(fd, src, IO_SIZE, 0));
	ASSERT_EQ(IO_SIZE, pread(fd, dst, IO_SIZE, 0));
	EXPECT_EQ(0, memcmp(dst, ref, IO_SIZE));

	/* Back in the image the VAS buffers are out of reach: EFAULT. */
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(-1, write(p[1], src, IO_CHUNK));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(fd, dst, IO_CHUNK, 0));
	EXPECT_EQ(EFAULT, errno);
	/* Nothing happened: the pipe is empty, the thread in the image. */
	ASSERT_EQ(0, ioctl(p[0], FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	EXPECT_EQ(0, active_vas());

	/* The data is still there for the next switch. */
	ASSERT_EQ(0, vas_switch(self->vid));
	EXPECT_EQ(0, memcmp(dst, ref, IO_SIZE));
	EXPECT_EQ(0, memcmp(src, ref, IO_SIZE));
	close(fd);
	close(p[0]);
	close(p[1]);
	free(ref);
	free(img);
	finish(_metadata, self->vid);
}

struct pipe_worker {
	int vid;
	int out;		/* write end: VAS data to the main thread */
	int in;			/* read end: the data coming back */
	const unsigned char *ref;
	/* Results, checked by the main thread. */
	int error;
	const char *what;
	bool data_ok;
	int active_after;
};

static void *pipe_worker(void *arg)
{
	struct pipe_worker *w = arg;
	unsigned char *src = VAS_PTR(0), *dst = VAS_PTR(IO_SIZE);

	w->what = "vas_switch";
	if (vas_switch(w->vid))
		goto fail;
	memcpy(src, w->ref, IO_SIZE);
	w->what = "write";
	if (write_full(w->out, src, IO_SIZE) != (ssize_t)IO_SIZE)
		goto fail;
	close(w->out);
	w->out = -1;
	w->what = "read";
	if (read_full(w->in, dst, IO_SIZE) != (ssize_t)IO_SIZE)
		goto fail;
	w->data_ok = !memcmp(dst, w->ref, IO_SIZE);
	w->what = "vas_switch back";
	if (vas_switch(0))
		goto fail;
	w->active_after = active_vas();
	w->what = NULL;
	return NULL;
fail:
	w->error = errno;
	vas_switch(0);
	if (w->out >= 0)
		close(w->out);
	w->out = -1;
	return NULL;
}

/*
 * A switched thread writes VAS data into a pipe that the main thread, in
 * the image, reads; the main thread sends it back into VAS memory.
 */
TEST_F_TIMEOUT(share, pipe_between_threads, 60)
{
	struct pipe_worker w = { .vid = self->vid };
	unsigned char *ref, *img;
	int to_main[2], to_worker[2];
	pthread_t thread;

	ref = malloc(IO_SIZE);
	img = malloc(IO_SIZE);
	ASSERT_TRUE(ref && img);
	fill_bytes(ref, IO_SIZE, 7);
	w.ref = ref;
	ASSERT_EQ(0, pipe2(to_main, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(to_worker, O_CLOEXEC));
	w.out = to_main[1];
	w.in = to_worker[0];

	attach_switch(_metadata, self->vid);
	map_vas(_metadata, VAS_PTR(0), 2 * IO_SIZE, MAP_PRIVATE);
	ASSERT_EQ(0, vas_switch(0));

	ASSERT_EQ(0, pthread_create(&thread, NULL, pipe_worker, &w));
	/* On failure the worker closes the pipe: no deadlock. */
	ASSERT_EQ(IO_SIZE, read_full(to_main[0], img, IO_SIZE));
	EXPECT_EQ(0, memcmp(img, ref, IO_SIZE));
	/*
	 * The worker wrote everything and waits for the data in the VAS; this
	 * thread is in the image.
	 */
	EXPECT_EQ(0, active_vas());
	EXPECT_EQ(-1, vas_detach(0, self->vid));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(IO_SIZE, write_full(to_worker[1], img, IO_SIZE));
	close(to_worker[1]);
	ASSERT_EQ(0, pthread_join(thread, NULL));

	EXPECT_EQ(NULL, w.what)
	{
		TH_LOG("worker: %s: %s", w.what, strerror(w.error));
	}
	EXPECT_TRUE(w.data_ok);
	EXPECT_EQ(0, w.active_after);
	close(to_main[0]);
	close(to_worker[0]);
	free(ref);
	free(img);
	ASSERT_EQ(0, vas_detach(0, self->vid));
	EXPECT_EQ(0, vas_delete_retry(self->vid, DELETE_SECONDS));
}

/*
 * vmsplice() of VAS pages into a pipe; the pipe is read while switched into
 * the VAS, from the image and after the VAS is gone.  vmsplice() from a
 * pipe into VAS memory.
 */
TEST_F_TIMEOUT(share, vmsplice, 60)
{
	unsigned char *src = VAS_PTR(0), *dst = VAS_PTR(SPLICE_SIZE);
	unsigned char *ref, *img;
	struct iovec iov;
	size_t off;
	int p[2];

	ref = malloc(SPLICE_SIZE);
	img = malloc(SPLICE_SIZE);
	ASSERT_TRUE(ref && img);
	fill_bytes(ref, SPLICE_SIZE, 3);
	memset(img, 0, SPLICE_SIZE);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));

	attach_switch(_metadata, self->vid);
	map_vas(_metadata, src, 2 * SPLICE_SIZE, MAP_PRIVATE);
	memcpy(src, ref, SPLICE_SIZE);

	for (off = 0; off < SPLICE_SIZE; off += IO_CHUNK) {
		iov.iov_base = src + off;
		iov.iov_len = IO_CHUNK;
		ASSERT_EQ(IO_CHUNK, vmsplice(p[1], &iov, 1, 0))
		{
			TH_LOG("vmsplice of VAS pages: %s", strerror(errno));
		}
		if ((off / IO_CHUNK) % 2) {
			/* The pipe holds VAS pages; read it from the image. */
			ASSERT_EQ(0, vas_switch(0));
			ASSERT_EQ(IO_CHUNK, read_full(p[0], img + off,
						      IO_CHUNK));
			ASSERT_EQ(0, vas_switch(self->vid));
		} else {
			/* vmsplice() from the pipe into VAS memory. */
			iov.iov_base = dst + off;
			ASSERT_EQ(IO_CHUNK, vmsplice(p[0], &iov, 1, 0))
			{
				TH_LOG("vmsplice into VAS memory: %s",
				       strerror(errno));
			}
			memcpy(img + off, dst + off, IO_CHUNK);
		}
	}
	EXPECT_EQ(0, memcmp(img, ref, SPLICE_SIZE));

	/* The pipe keeps its pages after the VAS is gone. */
	iov.iov_base = src;
	iov.iov_len = IO_CHUNK;
	ASSERT_EQ(IO_CHUNK, vmsplice(p[1], &iov, 1, 0));
	finish(_metadata, self->vid);
	memset(img, 0, IO_CHUNK);
	ASSERT_EQ(IO_CHUNK, read_full(p[0], img, IO_CHUNK));
	EXPECT_EQ(0, memcmp(img, ref, IO_CHUNK));

	close(p[0]);
	close(p[1]);
	free(ref);
	free(img);
}

/*
 * Robust mutexes: where the owner is when it dies.  The kernel walks the
 * robust list of a dying thread; the mutex in VAS memory must be found
 * whether the thread is switched into that VAS, back in its image, or into
 * another VAS of its process.
 */
enum robust_where { ROBUST_IN_VAS, ROBUST_IN_IMAGE, ROBUST_IN_OTHER_VAS };

#define ROBUST_WAIT_SECONDS 10

/* The child: takes the mutex in the VAS, goes @where and dies holding it. */
static void robust_owner(struct __test_metadata *const _metadata, int vid,
			 pthread_mutex_t *m, enum robust_where where,
			 int go, int locked)
{
	char other[VAS_NAME_MAX + 1];
	int ret, vid2;

	vas_wait_go(_metadata, go);
	attach_switch(_metadata, vid);
	ret = pthread_mutex_lock(m);
	ASSERT_EQ(0, ret)
	{
		TH_LOG("owner: pthread_mutex_lock: %s", strerror(ret));
	}
	switch (where) {
	case ROBUST_IN_VAS:
		break;
	case ROBUST_IN_IMAGE:
		ASSERT_EQ(0, vas_switch(0));
		break;
	case ROBUST_IN_OTHER_VAS:
		/* The test process deletes it once this process is gone. */
		snprintf(other, sizeof(other), "vas_selftest.share.robust.%d",
			 getpid());
		vid2 = vas_create(other, 0600);
		ASSERT_LE(1, vid2);
		attach_switch(_metadata, vid2);
		break;
	}
	vas_send_go(_metadata, locked);
	vas_wait_go(_metadata, go);
	_exit(0);
}

static void robust_mutex(struct __test_metadata *const _metadata, int vid,
			 enum robust_where where)
{
	char other[VAS_NAME_MAX + 1];
	pthread_mutex_t *m = VAS_PTR(0);
	pthread_mutexattr_t attr;
	struct timespec deadline;
	int go[2], locked[2], ret, vid2;
	pid_t child;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(locked, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(go[1]);
		close(locked[0]);
		robust_owner(_metadata, vid, m, where, go[0], locked[1]);
	}
	close(go[0]);
	close(locked[1]);

	attach_switch(_metadata, vid);
	map_vas(_metadata, m, sizeof(*m), MAP_PRIVATE);
	ASSERT_EQ(0, pthread_mutexattr_init(&attr));
	ASSERT_EQ(0, pthread_mutexattr_setpshared(&attr,
						  PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST));
	ASSERT_EQ(0, pthread_mutex_init(m, &attr));
	pthread_mutexattr_destroy(&attr);

	vas_send_go(_metadata, go[1]);
	vas_wait_go(_metadata, locked[0]);
	/* The owner dies now; this thread may be waiting by then, or not. */
	vas_send_go(_metadata, go[1]);
	deadline_in(&deadline, ROBUST_WAIT_SECONDS);
	ret = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &deadline);
	EXPECT_EQ(EOWNERDEAD, ret)
	{
		TH_LOG("pthread_mutex_clocklock: %s, expected EOWNERDEAD",
		       strerror(ret));
	}
	if (ret == EOWNERDEAD) {
		EXPECT_EQ(0, pthread_mutex_consistent(m));
		EXPECT_EQ(0, pthread_mutex_unlock(m));
		EXPECT_EQ(0, pthread_mutex_lock(m));
		EXPECT_EQ(0, pthread_mutex_unlock(m));
	}
	vas_wait_child(_metadata, child);
	close(go[1]);
	close(locked[0]);
	if (where == ROBUST_IN_OTHER_VAS) {
		snprintf(other, sizeof(other), "vas_selftest.share.robust.%d",
			 child);
		vid2 = vas_find(other);
		EXPECT_LE(1, vid2);
		if (vid2 > 0)
			EXPECT_EQ(0, vas_delete_retry(vid2, DELETE_SECONDS));
	}
	finish(_metadata, vid);
}

TEST_F_TIMEOUT(share, robust_owner_dies_in_vas, 60)
{
	robust_mutex(_metadata, self->vid, ROBUST_IN_VAS);
}

TEST_F_TIMEOUT(share, robust_owner_dies_in_image, 60)
{
	robust_mutex(_metadata, self->vid, ROBUST_IN_IMAGE);
}

TEST_F_TIMEOUT(share, robust_owner_dies_in_other_vas, 60)
{
	robust_mutex(_metadata, self->vid, ROBUST_IN_OTHER_VAS);
}

TEST_HARNESS_MAIN
