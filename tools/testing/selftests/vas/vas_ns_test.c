// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - ns: containers are apart.  VAS names and ids are scoped to the
 * IPC namespace, as System V shared memory is, and capabilities count in the
 * user namespace that owns it.
 *
 * - a process in a new IPC namespace neither finds, nor reads the attributes
 *   of, nor attaches, changes or deletes a VAS of another namespace, and the
 *   host's VAS is unchanged afterwards;
 * - names are per namespace: both may hold a VAS of one name;
 * - /sys/kernel/vas holds the initial namespace's VASes only, and its files
 *   cannot be read from another namespace; /proc/vas lists the reader's
 *   namespace's VASes;
 * - the VASes of a namespace go with it, while a process that has one
 *   attached keeps it until it detaches;
 * - CAP_DAC_OVERRIDE counts in the user namespace that owns the IPC
 *   namespace, and only there.
 *
 * Each child becomes USER and then, with unshare(CLONE_NEWUSER |
 * CLONE_NEWIPC), root of a namespace of its own: the unprivileged way into a
 * container.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vas.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"

#define VAS_AREA		((char *)(uintptr_t)VAS_AREA_START)
#define RW			(PROT_READ | PROT_WRITE)
#define USER			1000
#define PROC_VAS		"/proc/vas"
#define USER_MAX_FILE		"/proc/sys/user/max_vas"
#define MAGIC			0x6e616d6573706163UL
#define GONE_SECONDS		10.0	/* a dead namespace is freed by a worker */

FIXTURE(ns) {
	char name[VAS_NAME_MAX + 1];
	int vid;		/* the host's VAS */
	char user_max[32];
};

FIXTURE_SETUP(ns)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	snprintf(self->name, sizeof(self->name), "vas_selftest.ns.%s",
		 _metadata->name);
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0666);
	ASSERT_LE(1, self->vid);
	ASSERT_EQ(0, vas_read_text(USER_MAX_FILE, self->user_max,
				   sizeof(self->user_max)));
}

FIXTURE_TEARDOWN_PARENT(ns)
{
	int vid = vas_find(self->name);

	if (vid > 0 && vas_delete_retry(vid, GONE_SECONDS))
		TH_LOG("cannot delete %s: %s", self->name, strerror(errno));
	if (self->user_max[0] &&
	    vas_write_text(USER_MAX_FILE, self->user_max, 0))
		TH_LOG("cannot restore " USER_MAX_FILE);
}

/* Writes a one-line map of id @id to @file of /proc/self; 0 or -1. */
static int write_map(const char *file, unsigned int id)
{
	char path[64], text[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	snprintf(text, sizeof(text), "0 %u 1", id);
	return vas_write_text(path, text, 0);
}

/*
 * Becomes USER, then root of a new user namespace (USER mapped to 0) that
 * owns a new IPC namespace, if @flags has CLONE_NEWIPC.
 */
static void enter_container(struct __test_metadata *const _metadata,
			    int flags)
{
	vas_child_become_user(_metadata, USER);
	/* A changed uid makes the task undumpable: /proc/self is root's. */
	EXPECT_EQ(0, prctl(PR_SET_DUMPABLE, 1));
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, unshare(CLONE_NEWUSER | flags))
	{
		TH_LOG("unshare(%#x): %s", CLONE_NEWUSER | flags,
		       strerror(errno));
	}
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, write_map("uid_map", USER));
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, vas_write_text("/proc/self/setgroups", "deny", 0));
	VAS_CHILD_BAIL();
	EXPECT_EQ(0, write_map("gid_map", USER));
	VAS_CHILD_BAIL();
}

/*
 * Whether /proc/vas lists a VAS called @name: after a header line, one line
 * per VAS, "vid mode uid gid attached name", the name last as it may hold
 * spaces.
 */
static bool proc_lists(const char *name)
{
	char line[VAS_NAME_MAX + 128];
	unsigned int mode, uid, gid, attached;
	bool found = false;
	int vid, pos;
	FILE *f = fopen(PROC_VAS, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%d %o %u %u %u %n", &vid, &mode, &uid, &gid,
			   &attached, &pos) == 5 && !strcmp(line + pos, name))
			found = true;
	}
	fclose(f);
	return found;
}

/* The host's VAS @vid called @name is as the fixture made it. */
static void check_host_vas(struct __test_metadata *const _metadata, int vid,
			   const char *name)
{
	struct vas_attr attr;

	EXPECT_EQ(vid, vas_find(name));
	ASSERT_EQ(0, vas_getattr(vid, &attr));
	EXPECT_EQ(0666, attr.mode);
	EXPECT_EQ(0, attr.user);
	EXPECT_EQ(vid, vas_sysfs_lookup(name));
	EXPECT_TRUE(proc_lists(name));
}

/* Another namespace's VAS is not there: every call gives ENOENT. */
TEST_F(ns, other_namespace_invisible)
{
	pid_t child = vas_fork_child(_metadata);

	if (!child) {
		struct vas_attr attr = { .mode = 0666 };
		char path[VAS_PATH_MAX], buf[64];

		enter_container(_metadata, CLONE_NEWIPC);
		EXPECT_EQ(-1, vas_find(self->name));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(-1, vas_getattr(self->vid, &attr));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(-1, vas_setattr(self->vid, &attr));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(-1, vas_attach(0, self->vid, O_RDWR));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(-1, vas_delete(self->vid));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_FALSE(proc_lists(self->name));
		/* sysfs is the initial namespace's: its files say nothing. */
		snprintf(path, sizeof(path), VAS_SYSFS_DIR "/%d/name",
			 self->vid);
		EXPECT_EQ(-1, vas_read_text(path, buf, sizeof(buf)));
		EXPECT_EQ(EACCES, errno);
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	check_host_vas(_metadata, self->vid, self->name);
}

/*
 * A namespace holds its own VAS of the host's VAS's name, visible to it
 * and to nobody else, outside sysfs.
 */
TEST_F(ns, names_per_namespace)
{
	int to_parent[2], to_child[2], vid = 0;
	pid_t child;
	char c;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	child = vas_fork_child(_metadata);
	if (!child) {
		struct vas_attr attr;

		enter_container(_metadata, CLONE_NEWIPC);
		vid = vas_create(self->name, 0600);
		EXPECT_LE(1, vid)
		{
			TH_LOG("vas_create in a new namespace: %s",
			       strerror(errno));
		}
		VAS_CHILD_BAIL();
		EXPECT_NE(self->vid, vid);
		EXPECT_EQ(vid, vas_find(self->name));
		EXPECT_EQ(0, vas_getattr(vid, &attr));
		EXPECT_EQ(0, attr.user);	/* root of the namespace */
		EXPECT_TRUE(proc_lists(self->name));
		EXPECT_EQ(sizeof(vid), write(to_parent[1], &vid, sizeof(vid)));
		EXPECT_EQ(1, read(to_child[0], &c, 1));
		EXPECT_EQ(0, vas_delete(vid));
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(sizeof(vid), read(to_parent[0], &vid, sizeof(vid)));
	/* The host sees its own VAS of that name, and not the other. */
	check_host_vas(_metadata, self->vid, self->name);
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_FALSE(vas_sysfs_exists(vid));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	vas_wait_child(_metadata, child);
	close(to_parent[0]);
	close(to_child[1]);
}

/*
 * The VASes of a namespace are deleted with it, and the user's count comes
 * back.  A VAS that a process still has attached lives on, unnamed, and
 * counts until that process detaches it.
 *
 * USER may have two VASes.  In namespace 1 it creates V0 and V1 and
 * attaches V1, then moves to namespace 2, and namespace 1 is freed by a
 * worker.  V0 is then deleted: a VAS in namespace 2 can be created (the
 * test polls for that).  V1, attached, still counts: no third VAS until the
 * process detaches it.
 */
TEST_F_TIMEOUT(ns, namespace_exit_deletes, 60)
{
	pid_t child;

	ASSERT_EQ(0, vas_write_text(USER_MAX_FILE, "2", 0));
	child = vas_fork_child(_metadata);
	if (!child) {
		double end = vas_now() + GONE_SECONDS;
		int v1, v2, v3;

		enter_container(_metadata, CLONE_NEWIPC);
		EXPECT_LE(1, vas_create("v0", 0600));
		v1 = vas_create("v1", 0600);
		EXPECT_LE(1, v1);
		VAS_CHILD_BAIL();
		EXPECT_EQ(0, vas_attach(0, v1, O_RDWR));
		EXPECT_EQ(0, vas_switch(v1));
		VAS_CHILD_BAIL();
		EXPECT_EQ(VAS_AREA, mmap(VAS_AREA, 4096, RW, MAP_PRIVATE |
					 MAP_ANONYMOUS | MAP_FIXED, -1, 0));
		VAS_CHILD_BAIL();
		*(unsigned long *)VAS_AREA = MAGIC;
		EXPECT_EQ(0, vas_switch(0));

		/* Leave namespace 1: nothing else holds it. */
		EXPECT_EQ(0, unshare(CLONE_NEWIPC));
		VAS_CHILD_BAIL();
		EXPECT_EQ(-1, vas_find("v1"));
		while ((v2 = vas_create("v2", 0600)) < 0 && errno == ENOSPC &&
		       vas_now() < end)
			usleep(10000);
		EXPECT_LE(1, v2)
		{
			TH_LOG("namespace 1 not deleted after %.0f s: %s",
			       GONE_SECONDS, strerror(errno));
		}
		VAS_CHILD_BAIL();
		EXPECT_EQ(-1, vas_create("v3", 0600));
		EXPECT_EQ(ENOSPC, errno);

		/* The unnamed VAS works until it is detached. */
		EXPECT_EQ(0, vas_switch(v1));
		VAS_CHILD_BAIL();
		EXPECT_EQ(MAGIC, *(unsigned long *)VAS_AREA);
		EXPECT_EQ(0, vas_switch(0));
		EXPECT_EQ(0, vas_detach(0, v1));
		while ((v3 = vas_create("v3", 0600)) < 0 && errno == ENOSPC &&
		       vas_now() < end)
			usleep(10000);
		EXPECT_LE(1, v3)
		{
			TH_LOG("the detached VAS still counts: %s",
			       strerror(errno));
		}
		_exit(0);
	}
	vas_wait_child(_metadata, child);
}

/*
 * CAP_DAC_OVERRIDE overrides the mode of a VAS for a process that has it
 * in the user namespace owning the VAS's IPC namespace; a capability in
 * another user namespace does not.
 */
TEST_F(ns, capability_of_owning_namespace)
{
	struct vas_attr attr = { .mode = 0, .user = VAS_ATTR_UNCHANGED,
				 .group = VAS_ATTR_UNCHANGED };
	pid_t child;

	ASSERT_EQ(0, vas_setattr(self->vid, &attr));
	child = vas_fork_child(_metadata);
	if (!child) {
		/* Root of a user namespace; the IPC namespace is the host's. */
		enter_container(_metadata, 0);
		EXPECT_EQ(-1, vas_attach(0, self->vid, O_RDONLY));
		EXPECT_EQ(EACCES, errno);
		_exit(0);
	}
	vas_wait_child(_metadata, child);

	child = vas_fork_child(_metadata);
	if (!child) {
		int vid;

		enter_container(_metadata, CLONE_NEWIPC);
		/* Mode 0: even its owner needs the override. */
		vid = vas_create(self->name, 0);
		EXPECT_LE(1, vid);
		VAS_CHILD_BAIL();
		EXPECT_EQ(0, vas_attach(0, vid, O_RDWR))
		{
			TH_LOG("CAP_DAC_OVERRIDE in the owning namespace: %s",
			       strerror(errno));
		}
		EXPECT_EQ(0, vas_detach(0, vid));
		EXPECT_EQ(0, vas_delete(vid));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
}

TEST_HARNESS_MAIN
