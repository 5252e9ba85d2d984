// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - concurrency: atomic create-if-absent, lookups racing with
 * create and delete, concurrent allocation of ids.
 *
 * Worker threads only record what they see; the main thread checks it, as
 * the harness assertions are not thread safe.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/vas.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "vas_util.h"

#define NR_THREADS 16

/* Bounds for the slowest setup: QEMU TCG with KASAN and lockdep. */
#define SAME_NAME_ROUNDS 500
#define SAME_NAME_SECONDS 15
#define CHURN_SECONDS 5
#define DISTINCT_PER_THREAD 64
#define DELETE_ROUNDS 200
#define DELETE_SECONDS 10

#define NR_CHURN_NAMES 4
static const __u32 churn_modes[NR_CHURN_NAMES] = { 0600, 0640, 0644, 0660 };

FIXTURE(race) {
	char prefix[48];
};

FIXTURE_SETUP(race)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	snprintf(self->prefix, sizeof(self->prefix), "vas_race.%d", getpid());
}

static void make_name(char *buf, size_t size, const char *prefix,
		      const char *tag, int a, int b)
{
	snprintf(buf, size, "%s.%s.%d.%d", prefix, tag, a, b);
}

FIXTURE_TEARDOWN(race)
{
	char name[VAS_NAME_MAX + 1];
	int t, i;

	make_name(name, sizeof(name), self->prefix, "same", 0, 0);
	vas_cleanup_name(name);
	make_name(name, sizeof(name), self->prefix, "delete", 0, 0);
	vas_cleanup_name(name);
	for (i = 0; i < NR_CHURN_NAMES; i++) {
		make_name(name, sizeof(name), self->prefix, "churn", i, 0);
		vas_cleanup_name(name);
	}
	for (t = 0; t < NR_THREADS; t++) {
		for (i = 0; i < DISTINCT_PER_THREAD; i++) {
			make_name(name, sizeof(name), self->prefix, "distinct",
				  t, i);
			vas_cleanup_name(name);
		}
	}
}

static int result_of(int ret)
{
	return ret >= 0 ? ret : -errno;
}

/* What each thread gets: the test's shared context and its own index. */
struct worker {
	void *ctx;
	int id;
};

/*
 * Start NR_THREADS threads running @fn; thread i gets element i of @args, an
 * array of structures of @arg_size bytes that each begin with a struct worker.
 */
static void start_threads(struct __test_metadata *const _metadata,
			  pthread_t *threads, void *(*fn)(void *), void *ctx,
			  void *args, size_t arg_size)
{
	struct worker *w;
	int i;

	for (i = 0; i < NR_THREADS; i++) {
		w = (struct worker *)((char *)args + i * arg_size);
		w->ctx = ctx;
		w->id = i;
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, fn, w));
	}
}

static void join_threads(struct __test_metadata *const _metadata,
			 pthread_t *threads)
{
	int i;

	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
}

/* N threads create the same name at once: exactly one of them wins. */

struct same_name {
	pthread_barrier_t barrier;
	char name[VAS_NAME_MAX + 1];
	bool stop;
	int created[NR_THREADS];	/* vid or -errno */
	int found[NR_THREADS];		/* vid or -errno */
};

static void *same_name_thread(void *data)
{
	struct worker *arg = data;
	struct same_name *ctx = arg->ctx;

	for (;;) {
		pthread_barrier_wait(&ctx->barrier);
		if (ctx->stop)
			break;
		ctx->created[arg->id] = result_of(vas_create(ctx->name, 0600));
		pthread_barrier_wait(&ctx->barrier);
		ctx->found[arg->id] = result_of(vas_find(ctx->name));
		pthread_barrier_wait(&ctx->barrier);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, create_same_name, 120)
{
	struct worker args[NR_THREADS];
	pthread_t threads[NR_THREADS];
	struct same_name *ctx;
	int round, i, winner, winners, count;
	bool ok = true;
	double end;

	ctx = calloc(1, sizeof(*ctx));
	ASSERT_NE(NULL, ctx);
	make_name(ctx->name, sizeof(ctx->name), self->prefix, "same", 0, 0);
	ASSERT_EQ(0, pthread_barrier_init(&ctx->barrier, NULL,
					  NR_THREADS + 1));
	count = vas_sysfs_count();
	ASSERT_LE(0, count);
	start_threads(_metadata, threads, same_name_thread, ctx, args,
		      sizeof(args[0]));

	end = vas_now() + SAME_NAME_SECONDS;
	for (round = 0; ok && round < SAME_NAME_ROUNDS && vas_now() < end;
	     round++) {
		pthread_barrier_wait(&ctx->barrier);	/* start */
		pthread_barrier_wait(&ctx->barrier);	/* all created */
		pthread_barrier_wait(&ctx->barrier);	/* all found */

		winner = 0;
		winners = 0;
		for (i = 0; i < NR_THREADS; i++) {
			if (ctx->created[i] >= 1) {
				winner = ctx->created[i];
				winners++;
			} else if (ctx->created[i] != -EEXIST) {
				TH_LOG("round %d: vas_create: %s", round,
				       strerror(-ctx->created[i]));
				ok = false;
			}
		}
		if (winners != 1) {
			TH_LOG("round %d: %d creates succeeded", round,
			       winners);
			ok = false;
		}
		for (i = 0; i < NR_THREADS; i++) {
			if (ctx->found[i] != winner) {
				TH_LOG("round %d: vas_find gave %d, not %d",
				       round, ctx->found[i], winner);
				ok = false;
			}
		}
		if (round % 16 == 0 && winner > 0 &&
		    (vas_sysfs_lookup(ctx->name) != winner ||
		     vas_sysfs_count() != count + 1)) {
			TH_LOG("round %d: sysfs does not show exactly vid %d",
			       round, winner);
			ok = false;
		}
		for (i = 0; i < NR_THREADS; i++) {
			if (ctx->created[i] >= 1 && vas_delete(ctx->created[i])) {
				TH_LOG("round %d: vas_delete: %s", round,
				       strerror(errno));
				ok = false;
			}
		}
	}
	ctx->stop = true;
	pthread_barrier_wait(&ctx->barrier);
	join_threads(_metadata, threads);

	EXPECT_TRUE(ok);
	EXPECT_LE(1, round);
	TH_LOG("%d rounds", round);
	vas_check_gone(_metadata, 0, ctx->name);
	EXPECT_EQ(count, vas_sysfs_count());
	pthread_barrier_destroy(&ctx->barrier);
	free(ctx);
}

/*
 * Create, setattr and delete loops race with find, getattr and sysfs
 * readers.  A reader may see a VAS or not, but never a wrong one and never
 * another error.
 */

struct churn {
	char names[NR_CHURN_NAMES][VAS_NAME_MAX + 1];
	__u32 user, group;
	bool stop;
	pthread_mutex_t lock;
	int anomalies;
	char first_anomaly[256];
};

struct churn_arg {
	struct worker w;	/* w.ctx is the struct churn */
	unsigned long iterations;
	unsigned long hits;	/* creates or deletes done, VASes seen */
};

static void __printf(2, 3) anomaly(struct churn *ctx, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&ctx->lock);
	if (!ctx->anomalies++) {
		va_start(ap, fmt);
		vsnprintf(ctx->first_anomaly, sizeof(ctx->first_anomaly), fmt,
			  ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&ctx->lock);
}

static void churn_mutate(struct churn_arg *arg, int k)
{
	struct churn *ctx = arg->w.ctx;
	struct vas_attr attr = {
		.mode = churn_modes[k],
		.user = VAS_ATTR_UNCHANGED,
		.group = VAS_ATTR_UNCHANGED,
	};
	int vid;

	vid = vas_create(ctx->names[k], churn_modes[k]);
	if (vid >= 1) {
		arg->hits++;
		if (vas_setattr(vid, &attr) && errno != ENOENT)
			anomaly(ctx, "vas_setattr(%d): %s", vid,
				strerror(errno));
	} else if (errno != EEXIST) {
		anomaly(ctx, "vas_create: %s", strerror(errno));
	}

	vid = vas_find(ctx->names[k]);
	if (vid < 1) {
		if (errno != ENOENT)
			anomaly(ctx, "vas_find: %s", strerror(errno));
		return;
	}
	if (!vas_delete(vid))
		arg->hits++;
	else if (errno != ENOENT)
		anomaly(ctx, "vas_delete(%d): %s", vid, strerror(errno));
}

static void churn_lookup(struct churn_arg *arg, int k)
{
	struct churn *ctx = arg->w.ctx;
	char buf[VAS_NAME_MAX + 16];
	struct vas_attr attr;
	size_t len;
	int vid;

	vid = vas_find(ctx->names[k]);
	if (vid < 1) {
		if (vid != -1 || errno != ENOENT)
			anomaly(ctx, "vas_find: %d (%s)", vid,
				strerror(errno));
		return;
	}

	if (vas_getattr(vid, &attr)) {
		if (errno != ENOENT)
			anomaly(ctx, "vas_getattr(%d): %s", vid,
				strerror(errno));
	} else if (attr.mode != churn_modes[k] || attr.user != ctx->user ||
		   attr.group != ctx->group) {
		anomaly(ctx, "vid %d of %s: mode %04o owner %u:%u", vid,
			ctx->names[k], attr.mode, attr.user, attr.group);
	} else {
		arg->hits++;
	}

	/* Every other reader looks at sysfs as well. */
	if (arg->w.id % 2)
		return;
	len = strlen(ctx->names[k]);
	if (vas_sysfs_read(vid, "name", buf, sizeof(buf)) < 0) {
		/* Gone before open(), or before read(). */
		if (errno != ENOENT && errno != ENODEV)
			anomaly(ctx, "reading name of %d: %s", vid,
				strerror(errno));
	} else if (strncmp(buf, ctx->names[k], len) || buf[len] != '\n' ||
		   buf[len + 1]) {
		anomaly(ctx, "sysfs name of %d is \"%s\"", vid, buf);
	}
}

/* Threads 0-3 create and delete, the others look up. */
#define NR_MUTATORS 4

static void *churn_thread(void *data)
{
	struct churn_arg *arg = data;
	struct churn *ctx = arg->w.ctx;
	unsigned int seed = arg->w.id;
	int k;

	while (!__atomic_load_n(&ctx->stop, __ATOMIC_RELAXED)) {
		k = rand_r(&seed) % NR_CHURN_NAMES;
		if (arg->w.id < NR_MUTATORS)
			churn_mutate(arg, k);
		else
			churn_lookup(arg, k);
		arg->iterations++;
	}
	return NULL;
}

TEST_F_TIMEOUT(race, create_delete_lookup, 120)
{
	struct churn_arg args[NR_THREADS];
	pthread_t threads[NR_THREADS];
	unsigned long mutations = 0, seen = 0, lookups = 0;
	struct churn *ctx;
	int i, count;

	ctx = calloc(1, sizeof(*ctx));
	ASSERT_NE(NULL, ctx);
	ASSERT_EQ(0, pthread_mutex_init(&ctx->lock, NULL));
	for (i = 0; i < NR_CHURN_NAMES; i++)
		make_name(ctx->names[i], sizeof(ctx->names[i]), self->prefix,
			  "churn", i, 0);
	ctx->user = setfsuid(-1);
	ctx->group = setfsgid(-1);
	count = vas_sysfs_count();
	ASSERT_LE(0, count);

	memset(args, 0, sizeof(args));
	start_threads(_metadata, threads, churn_thread, ctx, args,
		      sizeof(args[0]));
	sleep(CHURN_SECONDS);
	__atomic_store_n(&ctx->stop, true, __ATOMIC_RELAXED);
	join_threads(_metadata, threads);

	for (i = 0; i < NR_THREADS; i++) {
		if (i < NR_MUTATORS) {
			mutations += args[i].hits;
		} else {
			seen += args[i].hits;
			lookups += args[i].iterations;
		}
	}
	TH_LOG("%lu creates and deletes, %lu lookups, %lu VASes seen",
	       mutations, lookups, seen);
	EXPECT_EQ(0, ctx->anomalies)
	{
		TH_LOG("%d anomalies, the first: %s", ctx->anomalies,
		       ctx->first_anomaly);
	}
	EXPECT_LT(0, mutations);
	EXPECT_LT(0, lookups);

	/* Whatever the race left is consistent, and can be deleted. */
	for (i = 0; i < NR_CHURN_NAMES; i++) {
		int vid = vas_find(ctx->names[i]);

		if (vid == -1 && errno == ENOENT) {
			vas_check_gone(_metadata, 0, ctx->names[i]);
			continue;
		}
		ASSERT_LE(1, vid);
		vas_check_attr(_metadata, vid, churn_modes[i], ctx->user,
			       ctx->group);
		vas_check_sysfs(_metadata, vid, ctx->names[i], churn_modes[i],
				ctx->user, ctx->group);
		EXPECT_EQ(0, vas_delete(vid));
		vas_check_gone(_metadata, vid, ctx->names[i]);
	}
	EXPECT_EQ(count, vas_sysfs_count());
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

/* Concurrent creates of distinct names get distinct ids. */

struct distinct {
	pthread_barrier_t barrier;
	char prefix[48];
	int vids[NR_THREADS][DISTINCT_PER_THREAD];	/* vid or -errno */
	int deleted[NR_THREADS][DISTINCT_PER_THREAD];	/* 0 or -errno */
};

static void *distinct_thread(void *data)
{
	struct worker *arg = data;
	struct distinct *ctx = arg->ctx;
	char name[VAS_NAME_MAX + 1];
	int i;

	pthread_barrier_wait(&ctx->barrier);
	for (i = 0; i < DISTINCT_PER_THREAD; i++) {
		make_name(name, sizeof(name), ctx->prefix, "distinct", arg->id,
			  i);
		ctx->vids[arg->id][i] = result_of(vas_create(name, 0600));
	}
	/* The main thread checks everything in between. */
	pthread_barrier_wait(&ctx->barrier);
	pthread_barrier_wait(&ctx->barrier);
	for (i = 0; i < DISTINCT_PER_THREAD; i++) {
		if (ctx->vids[arg->id][i] >= 1)
			ctx->deleted[arg->id][i] =
				result_of(vas_delete(ctx->vids[arg->id][i]));
	}
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

TEST_F_TIMEOUT(race, distinct_names, 120)
{
	const int total = NR_THREADS * DISTINCT_PER_THREAD;
	struct worker args[NR_THREADS];
	pthread_t threads[NR_THREADS];
	char name[VAS_NAME_MAX + 1];
	char expected[VAS_NAME_MAX + 2];
	char buf[VAS_NAME_MAX + 16];
	struct distinct *ctx;
	int *sorted;
	int t, i, count, bad = 0;

	ctx = calloc(1, sizeof(*ctx));
	sorted = calloc(total, sizeof(*sorted));
	ASSERT_NE(NULL, ctx);
	ASSERT_NE(NULL, sorted);
	snprintf(ctx->prefix, sizeof(ctx->prefix), "%s", self->prefix);
	ASSERT_EQ(0, pthread_barrier_init(&ctx->barrier, NULL,
					  NR_THREADS + 1));
	count = vas_sysfs_count();
	ASSERT_LE(0, count);
	start_threads(_metadata, threads, distinct_thread, ctx, args,
		      sizeof(args[0]));

	pthread_barrier_wait(&ctx->barrier);	/* start creating */
	pthread_barrier_wait(&ctx->barrier);	/* all created */
	for (t = 0; t < NR_THREADS; t++) {
		for (i = 0; i < DISTINCT_PER_THREAD; i++) {
			int vid = ctx->vids[t][i];

			sorted[t * DISTINCT_PER_THREAD + i] = vid;
			make_name(name, sizeof(name), self->prefix, "distinct",
				  t, i);
			if (vid < 1) {
				if (!bad++)
					TH_LOG("vas_create(%s): %s", name,
					       strerror(-vid));
				continue;
			}
			snprintf(expected, sizeof(expected), "%s\n", name);
			if (vas_find(name) != vid ||
			    vas_sysfs_read(vid, "name", buf, sizeof(buf)) < 0 ||
			    strcmp(buf, expected)) {
				if (!bad++)
					TH_LOG("vid %d is not found as %s",
					       vid, expected);
			}
		}
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(count + total, vas_sysfs_count());
	qsort(sorted, total, sizeof(*sorted), cmp_int);
	for (i = 1; i < total; i++) {
		EXPECT_NE(sorted[i - 1], sorted[i])
		{
			TH_LOG("vid %d allocated twice", sorted[i]);
		}
	}
	pthread_barrier_wait(&ctx->barrier);	/* delete */
	join_threads(_metadata, threads);

	for (t = 0; t < NR_THREADS; t++) {
		for (i = 0; i < DISTINCT_PER_THREAD; i++) {
			if (ctx->vids[t][i] < 1)
				continue;
			EXPECT_EQ(0, ctx->deleted[t][i])
			{
				TH_LOG("vas_delete(%d): %s", ctx->vids[t][i],
				       strerror(-ctx->deleted[t][i]));
			}
			make_name(name, sizeof(name), self->prefix, "distinct",
				  t, i);
			EXPECT_EQ(-1, vas_find(name));
			EXPECT_EQ(ENOENT, errno);
			EXPECT_FALSE(vas_sysfs_exists(ctx->vids[t][i]));
		}
	}
	EXPECT_EQ(count, vas_sysfs_count());
	pthread_barrier_destroy(&ctx->barrier);
	free(sorted);
	free(ctx);
}

/* N threads delete the same VAS at once: exactly one of them succeeds. */

struct same_vid {
	pthread_barrier_t barrier;
	int vid;
	bool stop;
	int deleted[NR_THREADS];	/* 0 or -errno */
};

static void *same_vid_thread(void *data)
{
	struct worker *arg = data;
	struct same_vid *ctx = arg->ctx;

	for (;;) {
		pthread_barrier_wait(&ctx->barrier);
		if (ctx->stop)
			break;
		ctx->deleted[arg->id] = result_of(vas_delete(ctx->vid));
		pthread_barrier_wait(&ctx->barrier);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, delete_same_vid, 120)
{
	struct worker args[NR_THREADS];
	pthread_t threads[NR_THREADS];
	char name[VAS_NAME_MAX + 1];
	struct same_vid *ctx;
	int round, i, winners, count;
	bool ok = true;
	double end;

	ctx = calloc(1, sizeof(*ctx));
	ASSERT_NE(NULL, ctx);
	make_name(name, sizeof(name), self->prefix, "delete", 0, 0);
	ASSERT_EQ(0, pthread_barrier_init(&ctx->barrier, NULL,
					  NR_THREADS + 1));
	count = vas_sysfs_count();
	ASSERT_LE(0, count);
	start_threads(_metadata, threads, same_vid_thread, ctx, args,
		      sizeof(args[0]));

	end = vas_now() + DELETE_SECONDS;
	for (round = 0; ok && round < DELETE_ROUNDS && vas_now() < end;
	     round++) {
		ctx->vid = vas_create(name, 0600);
		if (ctx->vid < 1) {
			TH_LOG("round %d: vas_create: %s", round,
			       strerror(errno));
			ok = false;
			break;
		}
		pthread_barrier_wait(&ctx->barrier);	/* start */
		pthread_barrier_wait(&ctx->barrier);	/* all deleted */

		winners = 0;
		for (i = 0; i < NR_THREADS; i++) {
			if (!ctx->deleted[i]) {
				winners++;
			} else if (ctx->deleted[i] != -ENOENT) {
				TH_LOG("round %d: vas_delete: %s", round,
				       strerror(-ctx->deleted[i]));
				ok = false;
			}
		}
		if (winners != 1) {
			TH_LOG("round %d: %d deletes succeeded", round,
			       winners);
			ok = false;
		}
		if (vas_find(name) != -1 || errno != ENOENT) {
			TH_LOG("round %d: name still there", round);
			ok = false;
			vas_cleanup_name(name);
		}
	}
	ctx->stop = true;
	pthread_barrier_wait(&ctx->barrier);
	join_threads(_metadata, threads);

	EXPECT_TRUE(ok);
	EXPECT_LE(1, round);
	vas_check_gone(_metadata, ctx->vid, name);
	EXPECT_EQ(count, vas_sysfs_count());
	pthread_barrier_destroy(&ctx->barrier);
	free(ctx);
}

TEST_HARNESS_MAIN
