// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - ownership and permissions: who may delete a VAS and change its
 * attributes, checked with the filesystem ids and capabilities like a file.
 *
 * The tests start as root, create the VASes they need and run the checks
 * that need fewer privileges in forked children.  The fixture teardown runs
 * in the parent, as root, so it can delete whatever a failing test left.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/vas.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"

#define USER1 1000
#define USER2 1001
#define USER3 1002
#define GROUP1 1000
#define GROUP2 2000
#define GROUP3 3000

#define UNCHANGED VAS_ATTR_UNCHANGED

#define MAX_NAMES 32

/* Names used by a test, deleted by the teardown. */
struct name_list {
	char names[MAX_NAMES][64];
	int nr;
};

FIXTURE(perm) {
	struct name_list names;
};

FIXTURE_SETUP(perm)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	if (geteuid())
		SKIP(return, "needs root");
	self->names.nr = 0;
}

FIXTURE_TEARDOWN_PARENT(perm)
{
	int i;

	for (i = 0; i < self->names.nr; i++)
		vas_cleanup_name(self->names.names[i]);
}

static const char *new_name(struct __test_metadata *const _metadata,
			    struct name_list *list, const char *tag)
{
	char *name;

	ASSERT_GT(MAX_NAMES, list->nr);
	name = list->names[list->nr++];
	snprintf(name, sizeof(list->names[0]), "vas_perm.%d.%s", getpid(),
		 tag);
	return name;
}

/* Creates a VAS as root and gives it the owner and mode asked for. */
static int create_owned(struct __test_metadata *const _metadata,
			const char *name, __u32 mode, __u32 user, __u32 group)
{
	struct vas_attr attr = { .mode = mode, .user = user, .group = group };
	int vid;

	vid = vas_create(name, mode);
	ASSERT_LE(1, vid)
	{
		TH_LOG("vas_create(%s): %s", name, strerror(errno));
	}
	ASSERT_EQ(0, vas_setattr(vid, &attr))
	{
		TH_LOG("vas_setattr as root: %s", strerror(errno));
	}
	vas_check_attr(_metadata, vid, mode, user, group);
	return vid;
}

static int do_setattr(int vid, __u32 mode, __u32 user, __u32 group)
{
	struct vas_attr attr = { .mode = mode, .user = user, .group = group };

	return vas_setattr(vid, &attr);
}

static int get_caps(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	memset(data, 0, 2 * sizeof(*data));
	return syscall(SYS_capget, &hdr, data);
}

/* Removes @cap from the effective set of the calling thread. */
static void drop_effective_cap(struct __test_metadata *const _metadata,
			       int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	ASSERT_EQ(0, get_caps(data));
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	ASSERT_EQ(0, syscall(SYS_capset, &hdr, data));
	ASSERT_EQ(0, get_caps(data));
	ASSERT_EQ(0, data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap));
}

/*
 * Switches the calling process to the given ids and supplementary groups;
 * with all uids non-zero this drops every capability.
 */
static void become(struct __test_metadata *const _metadata, uid_t ruid,
		   uid_t euid, uid_t suid, gid_t rgid, gid_t egid, gid_t sgid,
		   size_t ngroups, const gid_t *groups)
{
	struct __user_cap_data_struct data[2];

	ASSERT_EQ(0, setgroups(ngroups, groups));
	ASSERT_EQ(0, setresgid(rgid, egid, sgid));
	ASSERT_EQ(0, setresuid(ruid, euid, suid));
	ASSERT_EQ(euid, setfsuid(-1));
	ASSERT_EQ(egid, setfsgid(-1));
	ASSERT_EQ(0, get_caps(data));
	ASSERT_EQ(0, data[0].effective | data[1].effective |
		     data[0].permitted | data[1].permitted);
}

static void become_user(struct __test_metadata *const _metadata, uid_t uid,
			gid_t gid, size_t ngroups, const gid_t *groups)
{
	become(_metadata, uid, uid, uid, gid, gid, gid, ngroups, groups);
}

TEST_F(perm, unprivileged_create)
{
	static const gid_t groups[] = { GROUP1 };
	const char *name = new_name(_metadata, &self->names, "own");
	const char *name_ro = new_name(_metadata, &self->names, "own-ro");
	pid_t child;
	int vid;

	child = vas_fork_child(_metadata);
	if (!child) {
		become_user(_metadata, USER1, GROUP1, 1, groups);

		/* The caller owns what it creates. */
		vid = vas_create(name, 0600);
		ASSERT_LE(1, vid)
		{
			TH_LOG("vas_create as user: %s", strerror(errno));
		}
		EXPECT_EQ(vid, vas_find(name));
		vas_check_attr(_metadata, vid, 0600, USER1, GROUP1);
		vas_check_sysfs(_metadata, vid, name, 0600, USER1, GROUP1);
		EXPECT_EQ(0, do_setattr(vid, 0640, UNCHANGED, UNCHANGED));
		vas_check_attr(_metadata, vid, 0640, USER1, GROUP1);
		EXPECT_EQ(0, vas_delete(vid));
		vas_check_gone(_metadata, vid, name);

		/* Deleting needs write permission, even for the owner. */
		vid = vas_create(name_ro, 0444);
		ASSERT_LE(1, vid);
		EXPECT_EQ(-1, vas_delete(vid));
		EXPECT_EQ(EACCES, errno);
		vas_check_attr(_metadata, vid, 0444, USER1, GROUP1);
		_exit(0);
	}
	vas_wait_child(_metadata, child);

	/* CAP_DAC_OVERRIDE deletes it anyway. */
	vid = vas_find(name_ro);
	ASSERT_LE(1, vid);
	vas_check_attr(_metadata, vid, 0444, USER1, GROUP1);
	EXPECT_EQ(0, vas_delete(vid));
	vas_check_gone(_metadata, vid, name_ro);
}

TEST_F(perm, unprivileged_on_root_vas)
{
	static const gid_t groups[] = { GROUP1 };
	static const __u32 modes[] = { 0644, 0640, 0600, 0444, 0 };
	const char *name = new_name(_metadata, &self->names, "root");
	pid_t child;
	size_t i;
	int vid;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		vid = create_owned(_metadata, name, modes[i], 0, 0);

		child = vas_fork_child(_metadata);
		if (!child) {
			become_user(_metadata, USER1, GROUP1, 1, groups);

			/* Looking up needs no permission. */
			EXPECT_EQ(vid, vas_find(name));
			vas_check_attr(_metadata, vid, modes[i], 0, 0);
			vas_check_sysfs(_metadata, vid, name, modes[i], 0, 0);

			EXPECT_EQ(-1, vas_delete(vid));
			EXPECT_EQ(EACCES, errno);
			EXPECT_EQ(-1, do_setattr(vid, 0666, UNCHANGED,
						 UNCHANGED));
			EXPECT_EQ(EPERM, errno);
			EXPECT_EQ(-1, do_setattr(vid, modes[i], USER1,
						 UNCHANGED));
			EXPECT_EQ(EPERM, errno);
			EXPECT_EQ(-1, do_setattr(vid, modes[i], UNCHANGED,
						 GROUP1));
			EXPECT_EQ(EPERM, errno);
			EXPECT_EQ(-1, do_setattr(vid, modes[i], UNCHANGED,
						 UNCHANGED));
			EXPECT_EQ(EPERM, errno);
			EXPECT_EQ(vid, vas_find(name));
			vas_check_attr(_metadata, vid, modes[i], 0, 0);
			_exit(0);
		}
		vas_wait_child(_metadata, child);

		EXPECT_EQ(vid, vas_find(name));
		vas_check_attr(_metadata, vid, modes[i], 0, 0);
		vas_check_sysfs(_metadata, vid, name, modes[i], 0, 0);
		ASSERT_EQ(0, vas_delete(vid));
		vas_check_gone(_metadata, vid, name);
	}
}

struct delete_case {
	__u32 mode, user, group;	/* of the VAS */
	uid_t uid;			/* of the caller */
	gid_t gid;
	size_t ngroups;
	gid_t groups[2];
	int error;			/* 0: vas_delete() succeeds */
};

/* Write permission is checked as for files: owner, else group, else other. */
static const struct delete_case delete_cases[] = {
	/* The caller is "other". */
	{ 0666, 0, 0, USER1, GROUP1, 1, { GROUP1 }, 0 },
	{ 0662, 0, 0, USER1, GROUP1, 1, { GROUP1 }, 0 },
	{ 0002, 0, 0, USER1, GROUP1, 1, { GROUP1 }, 0 },
	{ 0664, 0, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0644, 0, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0660, 0, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0600, 0, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0444, 0, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0000, 0, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	/* The caller's primary group owns the VAS. */
	{ 0660, 0, GROUP2, USER1, GROUP2, 0, { }, 0 },
	{ 0020, 0, GROUP2, USER1, GROUP2, 0, { }, 0 },
	{ 0640, 0, GROUP2, USER1, GROUP2, 0, { }, EACCES },
	{ 0606, 0, GROUP2, USER1, GROUP2, 0, { }, EACCES },
	/* A supplementary group of the caller owns the VAS. */
	{ 0660, 0, GROUP2, USER1, GROUP1, 2, { GROUP1, GROUP2 }, 0 },
	{ 0620, 0, GROUP2, USER1, GROUP1, 2, { GROUP1, GROUP2 }, 0 },
	{ 0646, 0, GROUP2, USER1, GROUP1, 2, { GROUP1, GROUP2 }, EACCES },
	{ 0606, 0, GROUP2, USER1, GROUP1, 2, { GROUP1, GROUP2 }, EACCES },
	/* Not a member of the owning group: "other" bits. */
	{ 0606, 0, GROUP2, USER1, GROUP1, 1, { GROUP1 }, 0 },
	{ 0660, 0, GROUP2, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	/* The caller owns the VAS: only the owner bits count. */
	{ 0600, USER1, 0, USER1, GROUP1, 1, { GROUP1 }, 0 },
	{ 0200, USER1, 0, USER1, GROUP1, 1, { GROUP1 }, 0 },
	{ 0400, USER1, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0066, USER1, GROUP1, USER1, GROUP1, 1, { GROUP1 }, EACCES },
	{ 0466, USER1, 0, USER1, GROUP1, 1, { GROUP1 }, EACCES },
};

TEST_F(perm, delete_permission)
{
	const char *name = new_name(_metadata, &self->names, "delete");
	const struct delete_case *c;
	pid_t child;
	size_t i;
	int vid;

	for (i = 0; i < ARRAY_SIZE(delete_cases); i++) {
		c = &delete_cases[i];
		vid = create_owned(_metadata, name, c->mode, c->user,
				   c->group);

		child = vas_fork_child(_metadata);
		if (!child) {
			become_user(_metadata, c->uid, c->gid, c->ngroups,
				    c->groups);
			if (c->error) {
				EXPECT_EQ(-1, vas_delete(vid))
				{
					TH_LOG("case %zu: mode %04o deleted",
					       i, c->mode);
				}
				EXPECT_EQ(c->error, errno);
			} else {
				EXPECT_EQ(0, vas_delete(vid))
				{
					TH_LOG("case %zu: mode %04o: %s", i,
					       c->mode, strerror(errno));
				}
			}
			_exit(0);
		}
		vas_wait_child(_metadata, child);

		if (c->error) {
			EXPECT_EQ(vid, vas_find(name))
			{
				TH_LOG("case %zu: mode %04o", i, c->mode);
			}
			vas_check_attr(_metadata, vid, c->mode, c->user,
				       c->group);
			vas_check_sysfs(_metadata, vid, name, c->mode, c->user,
					c->group);
			ASSERT_EQ(0, vas_delete(vid));
		}
		vas_check_gone(_metadata, vid, name);
	}
}

TEST_F(perm, owner_setattr)
{
	static const gid_t groups[] = { GROUP1, GROUP2 };
	const char *name = new_name(_metadata, &self->names, "owner");
	const char *name_grp = new_name(_metadata, &self->names, "group");
	pid_t child;
	int vid, vid_grp;

	/* Writable by the group, but owned by root. */
	vid_grp = create_owned(_metadata, name_grp, 0666, 0, GROUP2);

	child = vas_fork_child(_metadata);
	if (!child) {
		become_user(_metadata, USER1, GROUP1, ARRAY_SIZE(groups),
			    groups);
		vid = vas_create(name, 0600);
		ASSERT_LE(1, vid);

		/* chmod */
		EXPECT_EQ(0, do_setattr(vid, 0644, UNCHANGED, UNCHANGED));
		vas_check_attr(_metadata, vid, 0644, USER1, GROUP1);
		vas_check_sysfs(_metadata, vid, name, 0644, USER1, GROUP1);

		/* Naming the current owner and group changes nothing. */
		EXPECT_EQ(0, do_setattr(vid, 0644, USER1, GROUP1));
		vas_check_attr(_metadata, vid, 0644, USER1, GROUP1);

		/* No chown, not even together with an allowed change. */
		EXPECT_EQ(-1, do_setattr(vid, 0666, USER2, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid, 0644, 0, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid, 0600, USER2, GROUP2));
		EXPECT_EQ(EPERM, errno);
		vas_check_attr(_metadata, vid, 0644, USER1, GROUP1);

		/* chgrp to a group the owner is a member of. */
		EXPECT_EQ(0, do_setattr(vid, 0640, UNCHANGED, GROUP2));
		vas_check_attr(_metadata, vid, 0640, USER1, GROUP2);
		vas_check_sysfs(_metadata, vid, name, 0640, USER1, GROUP2);
		EXPECT_EQ(-1, do_setattr(vid, 0600, UNCHANGED, GROUP3));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid, 0600, UNCHANGED, 0));
		EXPECT_EQ(EPERM, errno);
		vas_check_attr(_metadata, vid, 0640, USER1, GROUP2);
		EXPECT_EQ(0, do_setattr(vid, 0600, UNCHANGED, GROUP1));
		vas_check_attr(_metadata, vid, 0600, USER1, GROUP1);

		/* The owner may even lock itself out, and back in. */
		EXPECT_EQ(0, do_setattr(vid, 0, UNCHANGED, UNCHANGED));
		vas_check_attr(_metadata, vid, 0, USER1, GROUP1);
		EXPECT_EQ(-1, vas_delete(vid));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(0, do_setattr(vid, 0600, UNCHANGED, UNCHANGED));
		EXPECT_EQ(0, vas_delete(vid));
		vas_check_gone(_metadata, vid, name);

		/* Write permission and group membership do not make an owner. */
		EXPECT_EQ(-1, do_setattr(vid_grp, 0660, UNCHANGED, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid_grp, 0666, UNCHANGED, GROUP1));
		EXPECT_EQ(EPERM, errno);
		vas_check_attr(_metadata, vid_grp, 0666, 0, GROUP2);
		_exit(0);
	}
	vas_wait_child(_metadata, child);

	vas_check_attr(_metadata, vid_grp, 0666, 0, GROUP2);
	vas_check_sysfs(_metadata, vid_grp, name_grp, 0666, 0, GROUP2);
	EXPECT_EQ(0, vas_delete(vid_grp));
	vas_check_gone(_metadata, -1, name);
}

/* Root with its filesystem uid changed loses its filesystem capabilities. */
TEST_F(perm, root_fsuid)
{
	const char *name_root = new_name(_metadata, &self->names, "root");
	const char *name_user = new_name(_metadata, &self->names, "user");
	const char *name_new = new_name(_metadata, &self->names, "new");
	int vid_root, vid_user, vid;
	pid_t child;

	vid_root = create_owned(_metadata, name_root, 0644, 0, 0);
	vid_user = create_owned(_metadata, name_user, 0600, USER1, GROUP1);

	child = vas_fork_child(_metadata);
	if (!child) {
		ASSERT_EQ(0, setgroups(0, NULL));
		setfsgid(GROUP1);
		setfsuid(USER1);
		ASSERT_EQ(USER1, setfsuid(-1));
		ASSERT_EQ(GROUP1, setfsgid(-1));
		ASSERT_EQ(0, geteuid());

		vid = vas_create(name_new, 0600);
		ASSERT_LE(1, vid);
		vas_check_attr(_metadata, vid, 0600, USER1, GROUP1);

		EXPECT_EQ(-1, vas_delete(vid_root));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(-1, do_setattr(vid_root, 0666, UNCHANGED,
					 UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid, 0600, USER2, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		vas_check_attr(_metadata, vid_root, 0644, 0, 0);

		/* fsuid 1000 owns these two. */
		EXPECT_EQ(0, do_setattr(vid_user, 0640, UNCHANGED, UNCHANGED));
		EXPECT_EQ(0, vas_delete(vid_user));
		EXPECT_EQ(0, vas_delete(vid));
		_exit(0);
	}
	vas_wait_child(_metadata, child);

	vas_check_gone(_metadata, vid_user, name_user);
	vas_check_gone(_metadata, -1, name_new);
	vas_check_attr(_metadata, vid_root, 0644, 0, 0);
	EXPECT_EQ(0, vas_delete(vid_root));
}

/* An unprivileged process whose fsuid and fsgid differ from euid and egid. */
TEST_F(perm, unprivileged_fsuid)
{
	const char *name_u = new_name(_metadata, &self->names, "fsuid");
	const char *name_g = new_name(_metadata, &self->names, "fsgid");
	const char *name_new = new_name(_metadata, &self->names, "new");
	int vid_u, vid_g, vid;
	pid_t child;

	vid_u = create_owned(_metadata, name_u, 0600, USER3, 0);
	vid_g = create_owned(_metadata, name_g, 0060, 0, GROUP3 + 2);

	child = vas_fork_child(_metadata);
	if (!child) {
		/* Real, effective and saved ids all differ. */
		become(_metadata, USER1, USER2, USER3, GROUP3, GROUP3 + 1,
		       GROUP3 + 2, 0, NULL);

		/* fsuid == euid == USER2, fsgid == egid == GROUP3 + 1 */
		EXPECT_EQ(-1, vas_delete(vid_u));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(-1, vas_delete(vid_g));
		EXPECT_EQ(EACCES, errno);

		setfsuid(USER3);
		ASSERT_EQ(USER3, setfsuid(-1));
		setfsgid(GROUP3 + 2);
		ASSERT_EQ(GROUP3 + 2, setfsgid(-1));
		ASSERT_EQ(USER2, geteuid());
		ASSERT_EQ(GROUP3 + 1, getegid());

		vid = vas_create(name_new, 0600);
		ASSERT_LE(1, vid);
		vas_check_attr(_metadata, vid, 0600, USER3, GROUP3 + 2);
		EXPECT_EQ(0, do_setattr(vid_u, 0644, UNCHANGED, UNCHANGED));
		vas_check_attr(_metadata, vid_u, 0644, USER3, 0);
		EXPECT_EQ(0, vas_delete(vid_u));
		EXPECT_EQ(0, vas_delete(vid_g));
		EXPECT_EQ(0, vas_delete(vid));
		_exit(0);
	}
	vas_wait_child(_metadata, child);

	vas_check_gone(_metadata, vid_u, name_u);
	vas_check_gone(_metadata, vid_g, name_g);
	vas_check_gone(_metadata, -1, name_new);
}

TEST_F(perm, root_capabilities)
{
	const char *name = new_name(_metadata, &self->names, "caps");
	const char *name_own = new_name(_metadata, &self->names, "caps-own");
	int vid, vid_own;
	pid_t child;

	/* CAP_FOWNER, CAP_CHOWN and CAP_DAC_OVERRIDE at work. */
	vid = create_owned(_metadata, name, 0, USER1, GROUP1);
	EXPECT_EQ(0, do_setattr(vid, 0640, UNCHANGED, UNCHANGED));
	vas_check_attr(_metadata, vid, 0640, USER1, GROUP1);
	EXPECT_EQ(0, do_setattr(vid, 0, USER2, GROUP2));
	vas_check_attr(_metadata, vid, 0, USER2, GROUP2);
	vas_check_sysfs(_metadata, vid, name, 0, USER2, GROUP2);
	EXPECT_EQ(0, vas_delete(vid));
	vas_check_gone(_metadata, vid, name);

	vid = create_owned(_metadata, name, 0644, USER1, GROUP1);
	vid_own = create_owned(_metadata, name_own, 0644, 0, 0);

	/* Without CAP_DAC_OVERRIDE, root is "other" for a user's VAS. */
	child = vas_fork_child(_metadata);
	if (!child) {
		ASSERT_EQ(0, setgroups(0, NULL));
		drop_effective_cap(_metadata, CAP_DAC_OVERRIDE);
		EXPECT_EQ(-1, vas_delete(vid));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(0, do_setattr(vid, 0640, UNCHANGED, UNCHANGED));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	vas_check_attr(_metadata, vid, 0640, USER1, GROUP1);

	/* Without CAP_FOWNER, only the owner may change the mode. */
	child = vas_fork_child(_metadata);
	if (!child) {
		drop_effective_cap(_metadata, CAP_FOWNER);
		EXPECT_EQ(-1, do_setattr(vid, 0666, UNCHANGED, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(0, do_setattr(vid_own, 0600, UNCHANGED, UNCHANGED));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	vas_check_attr(_metadata, vid, 0640, USER1, GROUP1);
	vas_check_attr(_metadata, vid_own, 0600, 0, 0);

	/* Without CAP_CHOWN, even the owner cannot give a VAS away. */
	child = vas_fork_child(_metadata);
	if (!child) {
		static const gid_t groups[] = { 0 };

		ASSERT_EQ(0, setgroups(1, groups));
		drop_effective_cap(_metadata, CAP_CHOWN);
		EXPECT_EQ(-1, do_setattr(vid_own, 0644, USER1, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid_own, 0644, UNCHANGED, GROUP1));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, do_setattr(vid, 0644, 0, UNCHANGED));
		EXPECT_EQ(EPERM, errno);
		/* Same owner, member of the group: allowed. */
		EXPECT_EQ(0, do_setattr(vid_own, 0644, 0, 0));
		_exit(0);
	}
	vas_wait_child(_metadata, child);
	vas_check_attr(_metadata, vid, 0640, USER1, GROUP1);
	vas_check_attr(_metadata, vid_own, 0644, 0, 0);

	EXPECT_EQ(0, vas_delete(vid));
	EXPECT_EQ(0, vas_delete(vid_own));
	vas_check_gone(_metadata, vid, name);
	vas_check_gone(_metadata, vid_own, name_own);
}

static __u32 read_overflow_id(const char *path)
{
	char buf[32] = "";
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 65534;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return len > 0 ? strtoul(buf, NULL, 10) : 65534;
}

/*
 * Ids are reported in the caller's user namespace.  In the child's
 * namespace, uid/gid 0 is 1000 outside and 1 is 0 outside.
 */
TEST_F(perm, user_namespace)
{
	const char *name_user = new_name(_metadata, &self->names, "ns-user");
	const char *name_root = new_name(_metadata, &self->names, "ns-root");
	const char *name_other = new_name(_metadata, &self->names, "ns-other");
	__u32 overflowuid, overflowgid;
	int vid_user, vid_root, vid_other;
	int to_parent[2], to_child[2];
	char path[64], c;
	pid_t child;

	overflowuid = read_overflow_id("/proc/sys/kernel/overflowuid");
	overflowgid = read_overflow_id("/proc/sys/kernel/overflowgid");
	vid_user = create_owned(_metadata, name_user, 0640, USER1, GROUP1);
	vid_root = create_owned(_metadata, name_root, 0644, 0, 0);
	vid_other = create_owned(_metadata, name_other, 0600, USER2, GROUP2);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));

	child = vas_fork_child(_metadata);
	if (!child) {
		c = unshare(CLONE_NEWUSER) ? 'S' : 'U';
		if (write(to_parent[1], &c, 1) != 1 || c == 'S')
			_exit(0);
		if (read(to_child[0], &c, 1) != 1 || c != 'M')
			_exit(1);

		vas_check_attr(_metadata, vid_user, 0640, 0, 0);
		vas_check_attr(_metadata, vid_root, 0644, 1, 1);
		vas_check_attr(_metadata, vid_other, 0600, overflowuid,
			       overflowgid);
		vas_check_sysfs(_metadata, vid_user, name_user, 0640, 0, 0);
		vas_check_sysfs(_metadata, vid_root, name_root, 0644, 1, 1);
		vas_check_sysfs(_metadata, vid_other, name_other, 0600,
				overflowuid, overflowgid);

		/* Ids without a mapping cannot be set. */
		EXPECT_EQ(-1, do_setattr(vid_root, 0600, 5, UNCHANGED));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, do_setattr(vid_root, 0600, UNCHANGED, 5));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, do_setattr(vid_root, 0600, overflowuid,
					 UNCHANGED));
		EXPECT_EQ(EINVAL, errno);
		vas_check_attr(_metadata, vid_root, 0644, 1, 1);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	if (c == 'S') {
		vas_wait_child(_metadata, child);
		SKIP(goto out, "no user namespaces");
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", child);
	EXPECT_EQ(0, vas_write_text(path, "0 1000 1\n1 0 1\n", 0));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", child);
	EXPECT_EQ(0, vas_write_text(path, "0 1000 1\n1 0 1\n", 0));
	c = 'M';
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	vas_wait_child(_metadata, child);

	/* Nothing changed, seen from the initial namespace. */
	vas_check_attr(_metadata, vid_root, 0644, 0, 0);
	vas_check_attr(_metadata, vid_user, 0640, USER1, GROUP1);
	vas_check_sysfs(_metadata, vid_user, name_user, 0640, USER1, GROUP1);
out:
	EXPECT_EQ(0, vas_delete(vid_user));
	EXPECT_EQ(0, vas_delete(vid_root));
	EXPECT_EQ(0, vas_delete(vid_other));
}

TEST_HARNESS_MAIN
