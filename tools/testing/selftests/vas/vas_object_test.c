// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - the VAS object: vas_create(), vas_find(), vas_getattr(),
 * vas_setattr(), vas_delete() and /sys/kernel/vas/<vid>/.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/vas.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"

/* An address user space can never access. */
#define KERNEL_PTR ((void *)0xffffffff81000000UL)

#define MAX_NAMES 8

/* Names used by a test, deleted by the teardown. */
struct name_list {
	char names[MAX_NAMES][VAS_NAME_MAX + 1];
	int nr;
};

FIXTURE(object) {
	struct name_list names;
	uid_t fsuid;
	gid_t fsgid;
};

FIXTURE_SETUP(object)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	self->names.nr = 0;
	/* setfsuid(-1) fails and returns the current value. */
	self->fsuid = setfsuid(-1);
	self->fsgid = setfsgid(-1);
}

FIXTURE_TEARDOWN(object)
{
	int i;

	for (i = 0; i < self->names.nr; i++)
		vas_cleanup_name(self->names.names[i]);
}

/*
 * Returns a name unique to this test process, @len bytes long (at least the
 * length of the unique prefix), remembered for the teardown.
 */
static const char *new_name_len(struct __test_metadata *const _metadata,
				struct name_list *list, const char *tag,
				size_t len)
{
	char *name;
	int n;

	ASSERT_GT(MAX_NAMES, list->nr);
	name = list->names[list->nr++];
	n = snprintf(name, VAS_NAME_MAX + 1, "vas_object.%d.%s", getpid(), tag);
	while (n < (int)len && n < VAS_NAME_MAX)
		name[n++] = 'x';
	name[n] = '\0';
	return name;
}

static const char *new_name(struct __test_metadata *const _metadata,
			    struct name_list *list, const char *tag)
{
	return new_name_len(_metadata, list, tag, 0);
}

TEST_F(object, create_find_delete)
{
	const char *name = new_name(_metadata, &self->names, "basic");
	int count, vid;

	count = vas_sysfs_count();
	ASSERT_LE(0, count)
	{
		TH_LOG("cannot read " VAS_SYSFS_DIR ": %s", strerror(errno));
	}
	ASSERT_EQ(-1, vas_find(name));
	ASSERT_EQ(ENOENT, errno);

	vid = vas_create(name, 0640);
	ASSERT_LE(1, vid)
	{
		TH_LOG("vas_create: %s", strerror(errno));
	}
	EXPECT_EQ(vid, vas_find(name));
	vas_check_attr(_metadata, vid, 0640, self->fsuid, self->fsgid);
	vas_check_sysfs(_metadata, vid, name, 0640, self->fsuid, self->fsgid);
	EXPECT_EQ(count + 1, vas_sysfs_count());
	EXPECT_EQ(vid, vas_sysfs_lookup(name));

	ASSERT_EQ(0, vas_delete(vid))
	{
		TH_LOG("vas_delete: %s", strerror(errno));
	}
	vas_check_gone(_metadata, vid, name);
	EXPECT_EQ(count, vas_sysfs_count());

	/* A second delete finds nothing. */
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(object, distinct_ids)
{
	const char *names[3];
	int vids[3];
	int i, j;

	names[0] = new_name(_metadata, &self->names, "a");
	names[1] = new_name(_metadata, &self->names, "b");
	names[2] = new_name(_metadata, &self->names, "c");
	for (i = 0; i < 3; i++) {
		vids[i] = vas_create(names[i], 0600);
		ASSERT_LE(1, vids[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(vids[j], vids[i]);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(vids[i], vas_find(names[i]));
		EXPECT_EQ(vids[i], vas_sysfs_lookup(names[i]));
	}

	/* Deleting one leaves the others alone. */
	ASSERT_EQ(0, vas_delete(vids[1]));
	vas_check_gone(_metadata, vids[1], names[1]);
	EXPECT_EQ(vids[0], vas_find(names[0]));
	EXPECT_EQ(vids[2], vas_find(names[2]));
	vas_check_sysfs(_metadata, vids[0], names[0], 0600, self->fsuid,
			self->fsgid);
	vas_check_sysfs(_metadata, vids[2], names[2], 0600, self->fsuid,
			self->fsgid);
	EXPECT_EQ(0, vas_delete(vids[0]));
	EXPECT_EQ(0, vas_delete(vids[2]));
	vas_check_gone(_metadata, vids[0], names[0]);
	vas_check_gone(_metadata, vids[2], names[2]);
}

TEST_F(object, sysfs_files)
{
	static const unsigned int modes[] = {
		0, 02, 020, 0200, 0400, 0440, 0600, 0644, 0666, 0022,
	};
	static const char *const files[] = { "name", "mode", "user", "group" };
	const char *name = new_name(_metadata, &self->names, "sysfs");
	char path[VAS_PATH_MAX];
	struct stat st;
	int count, vid, fd;
	size_t i, j;

	count = vas_sysfs_count();
	ASSERT_LE(0, count);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		vid = vas_create(name, modes[i]);
		ASSERT_LE(1, vid)
		{
			TH_LOG("vas_create(mode %04o): %s", modes[i],
			       strerror(errno));
		}
		ASSERT_TRUE(vas_sysfs_exists(vid));
		EXPECT_EQ(count + 1, vas_sysfs_count());
		vas_check_sysfs(_metadata, vid, name, modes[i], self->fsuid,
				self->fsgid);

		/* The attributes are read-only regular files. */
		for (j = 0; j < ARRAY_SIZE(files); j++) {
			snprintf(path, sizeof(path), VAS_SYSFS_DIR "/%d/%s",
				 vid, files[j]);
			ASSERT_EQ(0, stat(path, &st));
			EXPECT_TRUE(S_ISREG(st.st_mode));
			EXPECT_EQ(0, (int)(st.st_mode & 0222));
			fd = open(path, O_WRONLY | O_CLOEXEC);
			EXPECT_EQ(-1, fd);
			if (fd >= 0)
				close(fd);
		}

		ASSERT_EQ(0, vas_delete(vid));
		vas_check_gone(_metadata, vid, name);
		EXPECT_EQ(count, vas_sysfs_count());
	}
}

TEST_F(object, name_max_len)
{
	const char *name255 = new_name_len(_metadata, &self->names, "max", 255);
	char name256[VAS_NAME_MAX + 2];
	char huge[4096];
	int count, vid;

	ASSERT_EQ(VAS_NAME_MAX, strlen(name255));
	count = vas_sysfs_count();
	ASSERT_LE(0, count);

	/* One byte too long, and far too long: nothing is created. */
	snprintf(name256, sizeof(name256), "%sx", name255);
	ASSERT_EQ(VAS_NAME_MAX + 1, strlen(name256));
	EXPECT_EQ(-1, vas_create(name256, 0600));
	EXPECT_EQ(ENAMETOOLONG, errno);
	memset(huge, 'y', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, name255, strlen(name255));
	EXPECT_EQ(-1, vas_create(huge, 0600));
	EXPECT_EQ(ENAMETOOLONG, errno);
	/* The names were not truncated to 255 bytes either. */
	vas_check_gone(_metadata, 0, name255);
	EXPECT_EQ(count, vas_sysfs_count());

	/* Exactly VAS_NAME_MAX bytes is fine. */
	vid = vas_create(name255, 0600);
	ASSERT_LE(1, vid)
	{
		TH_LOG("vas_create(255 bytes): %s", strerror(errno));
	}
	EXPECT_EQ(vid, vas_find(name255));
	vas_check_sysfs(_metadata, vid, name255, 0600, self->fsuid,
			self->fsgid);
	EXPECT_EQ(-1, vas_find(name256));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-1, vas_find(huge));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-1, vas_create(name256, 0600));
	EXPECT_EQ(ENAMETOOLONG, errno);

	ASSERT_EQ(0, vas_delete(vid));
	vas_check_gone(_metadata, vid, name255);
	EXPECT_EQ(count, vas_sysfs_count());
}

TEST_F(object, name_reuse)
{
	const char *name = new_name(_metadata, &self->names, "reuse");
	int vid, vid2;

	vid = vas_create(name, 0600);
	ASSERT_LE(1, vid);
	ASSERT_EQ(0, vas_delete(vid));

	/* The name is free at once; the id is not reused at once. */
	vid2 = vas_create(name, 0644);
	ASSERT_LE(1, vid2)
	{
		TH_LOG("re-creating a deleted name: %s", strerror(errno));
	}
	EXPECT_NE(vid, vid2);
	EXPECT_EQ(vid2, vas_find(name));
	vas_check_attr(_metadata, vid2, 0644, self->fsuid, self->fsgid);
	vas_check_sysfs(_metadata, vid2, name, 0644, self->fsuid, self->fsgid);
	EXPECT_FALSE(vas_sysfs_exists(vid));
	EXPECT_EQ(-1, vas_delete(vid));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, vas_delete(vid2));
	vas_check_gone(_metadata, vid2, name);
}

TEST_F(object, outlives_creator)
{
	const char *name = new_name(_metadata, &self->names, "orphan");
	int *shared_vid, status, count;
	pid_t child;

	count = vas_sysfs_count();
	ASSERT_LE(0, count);
	shared_vid = mmap(NULL, sizeof(*shared_vid), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared_vid);
	*shared_vid = 0;

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		*shared_vid = vas_create(name, 0604);
		_exit(*shared_vid >= 1 ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LE(1, *shared_vid);

	/* The creator is gone; its VAS is still there. */
	EXPECT_EQ(*shared_vid, vas_find(name));
	vas_check_attr(_metadata, *shared_vid, 0604, self->fsuid, self->fsgid);
	vas_check_sysfs(_metadata, *shared_vid, name, 0604, self->fsuid,
			self->fsgid);
	EXPECT_EQ(count + 1, vas_sysfs_count());

	ASSERT_EQ(0, vas_delete(*shared_vid));
	vas_check_gone(_metadata, *shared_vid, name);
	EXPECT_EQ(count, vas_sysfs_count());
	munmap(shared_vid, sizeof(*shared_vid));
}

TEST_F(object, owner_is_fsuid)
{
	const char *name = new_name(_metadata, &self->names, "fsuid");
	int vid;

	if (geteuid())
		SKIP(return, "needs root");

	/*
	 * Only the filesystem ids count: the real and effective ids stay 0.
	 * Changing them temporarily drops the filesystem capabilities, which
	 * vas_create() does not need.
	 */
	setfsgid(4321);
	setfsuid(1234);
	ASSERT_EQ(1234, setfsuid(-1));
	ASSERT_EQ(4321, setfsgid(-1));
	vid = vas_create(name, 0600);
	setfsuid(self->fsuid);
	setfsgid(self->fsgid);
	ASSERT_EQ(self->fsuid, setfsuid(-1));
	ASSERT_LE(1, vid)
	{
		TH_LOG("vas_create: %s", strerror(errno));
	}
	vas_check_attr(_metadata, vid, 0600, 1234, 4321);
	vas_check_sysfs(_metadata, vid, name, 0600, 1234, 4321);
	ASSERT_EQ(0, vas_delete(vid));
	vas_check_gone(_metadata, vid, name);
}

TEST_F(object, setattr)
{
	const char *name = new_name(_metadata, &self->names, "setattr");
	struct vas_attr attr;
	int vid;

	if (geteuid())
		SKIP(return, "needs root");

	vid = vas_create(name, 0600);
	ASSERT_LE(1, vid);

	/* Mode only. */
	attr.mode = 0644;
	attr.user = VAS_ATTR_UNCHANGED;
	attr.group = VAS_ATTR_UNCHANGED;
	ASSERT_EQ(0, vas_setattr(vid, &attr))
	{
		TH_LOG("vas_setattr: %s", strerror(errno));
	}
	vas_check_attr(_metadata, vid, 0644, self->fsuid, self->fsgid);
	vas_check_sysfs(_metadata, vid, name, 0644, self->fsuid, self->fsgid);

	/* The mode is always set, here to 0. */
	attr.mode = 0;
	attr.user = 1234;
	ASSERT_EQ(0, vas_setattr(vid, &attr));
	vas_check_attr(_metadata, vid, 0, 1234, self->fsgid);
	vas_check_sysfs(_metadata, vid, name, 0, 1234, self->fsgid);

	attr.mode = 0660;
	attr.user = VAS_ATTR_UNCHANGED;
	attr.group = 5678;
	ASSERT_EQ(0, vas_setattr(vid, &attr));
	vas_check_attr(_metadata, vid, 0660, 1234, 5678);
	vas_check_sysfs(_metadata, vid, name, 0660, 1234, 5678);

	attr.mode = 0666;
	attr.user = 4321;
	attr.group = 8765;
	ASSERT_EQ(0, vas_setattr(vid, &attr));
	vas_check_attr(_metadata, vid, 0666, 4321, 8765);
	vas_check_sysfs(_metadata, vid, name, 0666, 4321, 8765);

	/* The attributes do not change the name or the id. */
	EXPECT_EQ(vid, vas_find(name));
	ASSERT_EQ(0, vas_delete(vid));
	vas_check_gone(_metadata, vid, name);
}

/*
 * Error paths.  Each test runs its failing calls next to a reference VAS and
 * checks afterwards that nothing changed: the reference VAS keeps its id, its
 * attributes and its sysfs files, no other VAS appears.
 */
struct reference {
	char name[64];		/* of the reference VAS */
	char other[64];		/* valid name that must not come to exist */
	int vid;		/* of the reference VAS */
	int dead_vid;		/* deleted VAS */
	int count;		/* entries in /sys/kernel/vas */
	__u32 user, group;
};

FIXTURE(errors) {
	struct reference ref;
	long page_size;
	char *pages;		/* read-write, PROT_NONE, read-only */
	char *none;		/* the PROT_NONE page */
	char *rdonly;		/* the read-only page */
};

#define REF_MODE 0640

FIXTURE_SETUP(errors)
{
	struct reference *ref = &self->ref;

	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);

	self->page_size = sysconf(_SC_PAGESIZE);
	self->pages = mmap(NULL, 3 * self->page_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->pages);
	self->none = self->pages + self->page_size;
	self->rdonly = self->pages + 2 * self->page_size;
	memset(self->rdonly, 0x5a, self->page_size);
	ASSERT_EQ(0, mprotect(self->none, self->page_size, PROT_NONE));
	ASSERT_EQ(0, mprotect(self->rdonly, self->page_size, PROT_READ));

	snprintf(ref->name, sizeof(ref->name), "vas_errors.%d.ref",
		 getpid());
	snprintf(ref->other, sizeof(ref->other), "vas_errors.%d.other",
		 getpid());
	ref->user = setfsuid(-1);
	ref->group = setfsgid(-1);

	ref->dead_vid = vas_create(ref->other, 0600);
	ASSERT_LE(1, ref->dead_vid);
	ASSERT_EQ(0, vas_delete(ref->dead_vid));

	ref->vid = vas_create(ref->name, REF_MODE);
	ASSERT_LE(1, ref->vid);
	ref->count = vas_sysfs_count();
	ASSERT_LE(1, ref->count);
}

FIXTURE_TEARDOWN(errors)
{
	struct reference *ref = &self->ref;

	vas_cleanup_name(ref->name);
	vas_cleanup_name(ref->other);
}

static void check_unchanged(struct __test_metadata *const _metadata,
			    const struct reference *ref)
{
	EXPECT_EQ(ref->vid, vas_find(ref->name));
	vas_check_attr(_metadata, ref->vid, REF_MODE, ref->user, ref->group);
	vas_check_sysfs(_metadata, ref->vid, ref->name, REF_MODE, ref->user,
			ref->group);
	vas_check_gone(_metadata, ref->dead_vid, ref->other);
	EXPECT_EQ(ref->count, vas_sysfs_count());
}

/*
 * Puts @len bytes of @name, without a terminating NUL, right before @end.
 */
static const char *unterminated(char *end, const char *name, size_t len)
{
	char *start = end - len;
	size_t i, name_len = strlen(name);

	for (i = 0; i < len; i++)
		start[i] = i < name_len ? name[i] : 'z';
	return start;
}

static const size_t unterminated_lens[] = { 1, 16, VAS_NAME_MAX - 1,
					    VAS_NAME_MAX };

TEST_F(errors, create_bad_name_pointer)
{
	const struct reference *ref = &self->ref;
	size_t i;

	EXPECT_EQ(-1, vas_create(NULL, 0600));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_create((const char *)1, 0600));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_create(KERNEL_PTR, 0600));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_create(self->none, 0600));
	EXPECT_EQ(EFAULT, errno);
	check_unchanged(_metadata, ref);

	/* Unterminated names that run into the PROT_NONE page. */
	for (i = 0; i < ARRAY_SIZE(unterminated_lens); i++) {
		EXPECT_EQ(-1, vas_create(unterminated(self->none, ref->other,
						      unterminated_lens[i]),
					 0600));
		EXPECT_EQ(EFAULT, errno)
		{
			TH_LOG("unterminated name of %zu bytes",
			       unterminated_lens[i]);
		}
		check_unchanged(_metadata, ref);
	}
}

TEST_F(errors, create_invalid_name)
{
	const struct reference *ref = &self->ref;
	static const char *const bad[] = {
		"", "/", "a/b", "trailing/", "/leading", "//",
		"new\nline", "\n", "\x01", "tab\there", "\x1f", "del\x7f",
	};
	static const char *const good[] = {
		"vas_selftest with space", "vas_selftest caf\xc3\xa9 \xff",
	};
	char name[VAS_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, vas_create(bad[i], 0600));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("name \"%s\"", bad[i]);
		}
		check_unchanged(_metadata, ref);
	}

	/* Spaces and bytes above 0x7f (UTF-8) are ordinary name bytes. */
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		int vid = vas_create(good[i], 0600);

		ASSERT_LT(0, vid)
		{
			TH_LOG("name \"%s\": %s", good[i], strerror(errno));
		}
		EXPECT_EQ(vid, vas_find(good[i]));
		EXPECT_EQ(0, vas_delete(vid));
	}

	/* A '/' anywhere, even in the last allowed byte. */
	memset(name, 'a', VAS_NAME_MAX);
	name[VAS_NAME_MAX] = '\0';
	name[VAS_NAME_MAX - 1] = '/';
	EXPECT_EQ(-1, vas_create(name, 0600));
	EXPECT_EQ(EINVAL, errno);
	check_unchanged(_metadata, ref);
}

TEST_F(errors, create_name_too_long)
{
	const struct reference *ref = &self->ref;
	static const size_t lens[] = { VAS_NAME_MAX + 1, VAS_NAME_MAX + 2,
				       1000, 4095 };
	char name[4096];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		memset(name, 'n', lens[i]);
		memcpy(name, ref->other, strlen(ref->other));
		name[lens[i]] = '\0';
		EXPECT_EQ(-1, vas_create(name, 0600));
		EXPECT_EQ(ENAMETOOLONG, errno)
		{
			TH_LOG("name of %zu bytes", lens[i]);
		}
		/* Not created under a truncated name either. */
		name[VAS_NAME_MAX] = '\0';
		vas_check_gone(_metadata, 0, name);
		check_unchanged(_metadata, ref);
	}
}

TEST_F(errors, create_invalid_mode)
{
	const struct reference *ref = &self->ref;
	static const unsigned int bad[] = {
		0777, 0700, 0100, 0010, 0001, 01000, 01666, 02644, 04644,
		0100644, 0170000, 0177777,
		/* Bits above 16: the mode is not truncated to a umode_t. */
		0x10000 | 0600, 0x80000000u | 0600,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, vas_create(ref->other, bad[i]));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("mode %#o", bad[i]);
		}
		check_unchanged(_metadata, ref);
	}
}

TEST_F(errors, create_exists)
{
	const struct reference *ref = &self->ref;

	EXPECT_EQ(-1, vas_create(ref->name, 0600));
	EXPECT_EQ(EEXIST, errno);
	check_unchanged(_metadata, ref);
	EXPECT_EQ(-1, vas_create(ref->name, REF_MODE));
	EXPECT_EQ(EEXIST, errno);
	check_unchanged(_metadata, ref);
}

TEST_F(errors, find)
{
	const struct reference *ref = &self->ref;
	char name[VAS_NAME_MAX + 2];
	size_t i;

	EXPECT_EQ(-1, vas_find(NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_find((const char *)1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_find(KERNEL_PTR));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_find(self->none));
	EXPECT_EQ(EFAULT, errno);
	for (i = 0; i < ARRAY_SIZE(unterminated_lens); i++) {
		EXPECT_EQ(-1, vas_find(unterminated(self->none, ref->name,
						    unterminated_lens[i])));
		EXPECT_EQ(EFAULT, errno)
		{
			TH_LOG("unterminated name of %zu bytes",
			       unterminated_lens[i]);
		}
	}

	EXPECT_EQ(-1, vas_find(""));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, vas_find("/"));
	EXPECT_EQ(EINVAL, errno);
	snprintf(name, sizeof(name), "%s/", ref->name);
	EXPECT_EQ(-1, vas_find(name));
	EXPECT_EQ(EINVAL, errno);

	memset(name, 'f', VAS_NAME_MAX + 1);
	name[VAS_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-1, vas_find(name));
	EXPECT_EQ(ENAMETOOLONG, errno);
	name[VAS_NAME_MAX] = '\0';
	EXPECT_EQ(-1, vas_find(name));
	EXPECT_EQ(ENOENT, errno);

	EXPECT_EQ(-1, vas_find(ref->other));
	EXPECT_EQ(ENOENT, errno);
	/* A prefix or an extension of an existing name is another name. */
	snprintf(name, sizeof(name), "%s", ref->name);
	name[strlen(name) - 1] = '\0';
	EXPECT_EQ(-1, vas_find(name));
	EXPECT_EQ(ENOENT, errno);
	snprintf(name, sizeof(name), "%sx", ref->name);
	EXPECT_EQ(-1, vas_find(name));
	EXPECT_EQ(ENOENT, errno);

	check_unchanged(_metadata, ref);
}

TEST_F(errors, delete)
{
	const struct reference *ref = &self->ref;
	static const int bad[] = { 0, -1, -2, INT_MIN };
	struct vas_attr attr;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, vas_delete(bad[i]));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("vid %d", bad[i]);
		}
	}
	EXPECT_EQ(-1, vas_delete(ref->dead_vid));
	EXPECT_EQ(ENOENT, errno);
	if (vas_getattr(INT_MAX, &attr) == -1 && errno == ENOENT) {
		EXPECT_EQ(-1, vas_delete(INT_MAX));
		EXPECT_EQ(ENOENT, errno);
	}
	check_unchanged(_metadata, ref);
}

TEST_F(errors, getattr)
{
	const struct reference *ref = &self->ref;
	static const int bad[] = { 0, -1, -2, INT_MIN };
	struct vas_attr attr, poison;
	char *ptr;
	size_t i;

	memset(&poison, 0xa5, sizeof(poison));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		attr = poison;
		EXPECT_EQ(-1, vas_getattr(bad[i], &attr));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("vid %d", bad[i]);
		}
		EXPECT_EQ(0, memcmp(&attr, &poison, sizeof(attr)));
	}
	attr = poison;
	EXPECT_EQ(-1, vas_getattr(ref->dead_vid, &attr));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, memcmp(&attr, &poison, sizeof(attr)));

	EXPECT_EQ(-1, vas_getattr(ref->vid, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_getattr(ref->vid, (struct vas_attr *)1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_getattr(ref->vid, KERNEL_PTR));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_getattr(ref->vid, (struct vas_attr *)self->none));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_getattr(ref->vid, (struct vas_attr *)self->rdonly));
	EXPECT_EQ(EFAULT, errno);
	/* The last field does not fit before the PROT_NONE page. */
	ptr = self->none - sizeof(struct vas_attr) + sizeof(__u32);
	EXPECT_EQ(-1, vas_getattr(ref->vid, (struct vas_attr *)ptr));
	EXPECT_EQ(EFAULT, errno);
	check_unchanged(_metadata, ref);
}

TEST_F(errors, setattr)
{
	const struct reference *ref = &self->ref;
	static const int bad_vids[] = { 0, -1, -2, INT_MIN };
	static const unsigned int bad_modes[] = {
		0777, 0700, 0100, 0010, 0001, 01000, 01640, 02640, 04640,
		0100640, 0xffffffff, 0x10640,
	};
	struct vas_attr attr = {
		.mode = 0600,
		.user = VAS_ATTR_UNCHANGED,
		.group = VAS_ATTR_UNCHANGED,
	};
	struct vas_attr *ptr;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_vids); i++) {
		EXPECT_EQ(-1, vas_setattr(bad_vids[i], &attr));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("vid %d", bad_vids[i]);
		}
	}
	EXPECT_EQ(-1, vas_setattr(ref->dead_vid, &attr));
	EXPECT_EQ(ENOENT, errno);
	check_unchanged(_metadata, ref);

	EXPECT_EQ(-1, vas_setattr(ref->vid, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_setattr(ref->vid, (struct vas_attr *)1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_setattr(ref->vid, KERNEL_PTR));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, vas_setattr(ref->vid, (struct vas_attr *)self->none));
	EXPECT_EQ(EFAULT, errno);
	/* Mode and user are readable, group is not: nothing is applied. */
	ptr = (struct vas_attr *)(self->none - sizeof(struct vas_attr) +
				  sizeof(__u32));
	ptr->mode = 0600;
	ptr->user = 1234;
	EXPECT_EQ(-1, vas_setattr(ref->vid, ptr));
	EXPECT_EQ(EFAULT, errno);
	check_unchanged(_metadata, ref);

	/* A bad mode changes nothing, not even the valid user and group. */
	for (i = 0; i < ARRAY_SIZE(bad_modes); i++) {
		attr.mode = bad_modes[i];
		attr.user = VAS_ATTR_UNCHANGED;
		attr.group = VAS_ATTR_UNCHANGED;
		EXPECT_EQ(-1, vas_setattr(ref->vid, &attr));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("mode %#x", bad_modes[i]);
		}
		attr.user = 1234;
		attr.group = 5678;
		EXPECT_EQ(-1, vas_setattr(ref->vid, &attr));
		EXPECT_EQ(EINVAL, errno)
		{
			TH_LOG("mode %#x with user and group", bad_modes[i]);
		}
		check_unchanged(_metadata, ref);
	}
}

TEST_HARNESS_MAIN
