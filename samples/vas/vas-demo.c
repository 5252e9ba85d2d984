// SPDX-License-Identifier: GPL-2.0
/*
 * A tour of first-class virtual address spaces (VAS) as they exist today:
 * VAS objects that are created, found, inspected, re-permissioned and
 * deleted, and that outlive the process that created them.
 *
 * Build: gcc -static -isystem <exported uapi headers> vas-demo.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/unistd.h>
#include <linux/vas.h>

static int failures;

static long vas_create(const char *name, unsigned int mode)
{
	return syscall(__NR_vas_create, name, mode);
}

static long vas_delete(int vid)
{
	return syscall(__NR_vas_delete, vid);
}

static long vas_find(const char *name)
{
	return syscall(__NR_vas_find, name);
}

static long vas_getattr(int vid, struct vas_attr *attr)
{
	return syscall(__NR_vas_getattr, vid, attr);
}

static long vas_setattr(int vid, const struct vas_attr *attr)
{
	return syscall(__NR_vas_setattr, vid, attr);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Print one step and whether it did what the feature promises. */
static void step(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("  [%s] ", ok ? " ok " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += !ok;
}

static void show_sysfs(int vid)
{
	static const char * const files[] = { "name", "mode", "user", "group" };
	char path[64], line[300];
	unsigned int i;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/vas/%d/%s", vid, files[i]);
		f = fopen(path, "r");
		if (!f || !fgets(line, sizeof(line), f)) {
			step(0, "read %s", path);
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		printf("         %-32s %s", path, line);
	}
}

int main(void)
{
	struct vas_attr attr;
	char path[64];
	int vid, status;
	pid_t child;
	long ret;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("\n=== First-class virtual address spaces: VAS objects ===\n\n");

	if (vas_find("demo") == -1 && errno == ENOSYS) {
		printf("This kernel has no VAS support (CONFIG_VAS=n).\n");
		return 1;
	}

	printf("1. A child process creates the VAS \"demo\" (mode 0640) and exits.\n");
	child = fork();
	if (child == 0)
		_exit(vas_create("demo", 0640) > 0 ? 0 : 1);
	waitpid(child, &status, 0);
	step(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	     "child %d created it and is gone", child);

	printf("\n2. The VAS outlives its creator: the parent finds it by name.\n");
	vid = vas_find("demo");
	step(vid > 0, "vas_find(\"demo\") = %d", vid);
	show_sysfs(vid);

	printf("\n3. Names are unique: a second vas_create(\"demo\") fails.\n");
	ret = vas_create("demo", 0600);
	step(ret == -1 && errno == EEXIST, "vas_create(\"demo\") = %ld (%s)",
	     ret, strerror(errno));

	printf("\n4. Attributes: vas_getattr, then vas_setattr to mode 0664, group 100.\n");
	ret = vas_getattr(vid, &attr);
	step(ret == 0 && attr.mode == 0640, "mode %04o user %u group %u",
	     attr.mode, attr.user, attr.group);
	attr.mode = 0664;
	attr.user = VAS_ATTR_UNCHANGED;
	attr.group = 100;
	ret = vas_setattr(vid, &attr);
	step(ret == 0, "vas_setattr = %ld", ret);
	show_sysfs(vid);

	printf("\n5. Permissions are checked like files: uid 1000 may not delete it.\n");
	child = fork();
	if (child == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(2);
		_exit(vas_delete(vid) == -1 && errno == EACCES ? 0 : 1);
	}
	waitpid(child, &status, 0);
	step(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	     "vas_delete as uid 1000 failed with EACCES");

	printf("\n6. The owner deletes it; its name and sysfs directory go at once.\n");
	ret = vas_delete(vid);
	step(ret == 0, "vas_delete(%d) = %ld", vid, ret);
	ret = vas_find("demo");
	step(ret == -1 && errno == ENOENT, "vas_find(\"demo\") = %ld (%s)",
	     ret, strerror(errno));
	snprintf(path, sizeof(path), "/sys/kernel/vas/%d", vid);
	step(access("/sys/kernel/vas", F_OK) == 0 && access(path, F_OK) != 0,
	     "%s is gone", path);

	printf("\n%s\n", failures ? "Demo FAILED." : "Demo finished: every step behaved.");
	return failures ? 1 : 0;
}
