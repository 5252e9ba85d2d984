// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - uprobes on code in a VAS: a uprobe on a file that is mapped
 * in a VAS fires when a switched thread runs the probed instruction, and
 * the thread goes on as if there were no probe; the same as for the file
 * mapped in the process image.  Without the VAS lookup in the uprobe code
 * the breakpoint reached the thread as SIGTRAP.
 *
 * Needs tracefs with uprobe events (CONFIG_UPROBE_EVENTS) and root; skips
 * otherwise.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vas_util.h"

#define TRACEFS "/sys/kernel/tracing"
#define GROUP "vas_selftest"
#define CALLS 10

/* Offset of the probed function in the VAS area. */
#define CODE_OFFSET (8UL << 20)

/* The probed function: nop; ret.  The probe is on the nop. */
static const unsigned char code[] = { 0x90, 0xc3 };

FIXTURE(uprobe) {
	char name[VAS_NAME_MAX + 1];
	char file[64];
	char event[32];
	bool mounted;		/* tracefs mounted by the setup */
	bool registered;
	int vid;
	long page;
};

/* The hits of the probe ("file event hits" in uprobe_profile), or -1. */
static long hits(const char *event)
{
	char line[512], file[256], name[128];
	long n = -1, h;
	FILE *f;

	f = fopen(TRACEFS "/uprobe_profile", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %127s %ld", file, name, &h) == 3 &&
		    !strcmp(name, event))
			n = h;
	fclose(f);
	return n;
}

FIXTURE_SETUP(uprobe)
{
	char def[256], path[256];
	struct stat st;
	int fd;

	self->vid = -1;
	self->page = sysconf(_SC_PAGESIZE);
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	if (geteuid())
		SKIP(return, "needs root");
	if (stat(TRACEFS "/uprobe_events", &st)) {
		if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
			SKIP(return, "no tracefs at " TRACEFS);
		self->mounted = true;
		if (stat(TRACEFS "/uprobe_events", &st))
			SKIP(return, "no uprobe events (CONFIG_UPROBE_EVENTS)");
	}

	snprintf(self->file, sizeof(self->file), "/tmp/vas_uprobe.%d",
		 getpid());
	fd = open(self->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, self->page));
	ASSERT_EQ(sizeof(code), pwrite(fd, code, sizeof(code), 0));
	close(fd);

	snprintf(self->event, sizeof(self->event), "probe%d", getpid());
	snprintf(def, sizeof(def), "p:" GROUP "/%s %s:0x0", self->event,
		 self->file);
	ASSERT_EQ(0, vas_write_text(TRACEFS "/uprobe_events", def, O_APPEND))
	{
		TH_LOG("uprobe_events <- %s: %s", def, strerror(errno));
	}
	self->registered = true;
	snprintf(path, sizeof(path), TRACEFS "/events/" GROUP "/%s/enable",
		 self->event);
	ASSERT_EQ(0, vas_write_text(path, "1", 0));

	snprintf(self->name, sizeof(self->name), "vas_selftest.uprobe.%d",
		 getpid());
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid);
	ASSERT_EQ(0, vas_attach(0, self->vid, O_RDWR));
}

FIXTURE_TEARDOWN(uprobe)
{
	char def[128], path[256];

	if (active_vas() > 0)
		vas_switch(0);
	if (self->vid > 0) {
		vas_detach(0, self->vid);
		EXPECT_EQ(0, vas_delete(self->vid));
	}
	if (self->registered) {
		snprintf(path, sizeof(path),
			 TRACEFS "/events/" GROUP "/%s/enable", self->event);
		vas_write_text(path, "0", 0);
		snprintf(def, sizeof(def), "-:" GROUP "/%s", self->event);
		EXPECT_EQ(0, vas_write_text(TRACEFS "/uprobe_events", def, O_APPEND));
	}
	if (self->file[0])
		unlink(self->file);
	if (self->mounted)
		umount(TRACEFS);
}

/* Maps the probed file at @addr (NULL: anywhere) and calls it CALLS times. */
static void call_probed(struct __test_metadata *const _metadata,
			const char *file, void *addr, long page)
{
	void (*fn)(void);
	void *p;
	int fd, i;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(addr, page, PROT_READ | PROT_EXEC,
		 MAP_PRIVATE | (addr ? MAP_FIXED_NOREPLACE : 0), fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, p);
	if (addr)
		ASSERT_EQ(addr, p);
	fn = (void (*)(void))p;
	for (i = 0; i < CALLS; i++)
		fn();
	EXPECT_EQ(0, munmap(p, page));
}

TEST_F_TIMEOUT(uprobe, in_image, 60)
{
	long before = hits(self->event);

	ASSERT_LE(0, before);
	call_probed(_metadata, self->file, NULL, self->page);
	EXPECT_EQ(before + CALLS, hits(self->event));
}

TEST_F_TIMEOUT(uprobe, in_vas, 60)
{
	long before = hits(self->event);

	ASSERT_LE(0, before);
	ASSERT_EQ(0, vas_switch(self->vid));
	call_probed(_metadata, self->file,
		    (void *)(uintptr_t)(VAS_AREA_START + CODE_OFFSET),
		    self->page);
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(before + CALLS, hits(self->event));
}

/* Mapped in the VAS before the probe exists: installed into the VAS mm. */
TEST_F_TIMEOUT(uprobe, in_vas_mapped_first, 60)
{
	void *addr = (void *)(uintptr_t)(VAS_AREA_START + CODE_OFFSET);
	char path[256];
	void (*fn)(void);
	long before;
	int fd, i;
	void *p;

	snprintf(path, sizeof(path), TRACEFS "/events/" GROUP "/%s/enable",
		 self->event);
	ASSERT_EQ(0, vas_write_text(path, "0", 0));
	ASSERT_EQ(0, vas_switch(self->vid));
	fd = open(self->file, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(addr, self->page, PROT_READ | PROT_EXEC,
		 MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	close(fd);
	ASSERT_EQ(addr, p);
	ASSERT_EQ(0, vas_write_text(path, "1", 0));
	before = hits(self->event);
	ASSERT_LE(0, before);
	fn = (void (*)(void))p;
	for (i = 0; i < CALLS; i++)
		fn();
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(before + CALLS, hits(self->event));
	EXPECT_EQ(0, vas_switch(self->vid));
	EXPECT_EQ(0, munmap(p, self->page));
}

TEST_HARNESS_MAIN
