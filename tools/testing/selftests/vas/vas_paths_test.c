// SPDX-License-Identifier: GPL-2.0
/*
 * VAS tests - paths: how memory-management paths other than the core treat
 * VAS memory.  A path that runs in a switched thread's own context resolves
 * the VAS area in the VAS; a path that works on a process from outside
 * (another process, a kernel worker, a device) sees the process image.
 *
 * - remote: process_vm_readv()/writev() and PTRACE_PEEKDATA/POKEDATA reach
 *   the image of a process with a switched thread, never its VAS;
 * - coredump: the dump holds the image, nothing of the VAS;
 * - seccomp: a supervisor reads a switched thread's pointer argument through
 *   /proc/<pid>/mem: image memory yes, VAS memory EIO;
 * - uffd: userfaultfd cannot register the VAS area;
 * - io_uring: reads and writes refuse VAS buffers inline and in a worker;
 *   buffers registered by a switched thread work;
 * - mempolicy: mbind(), get_mempolicy(), set_mempolicy_home_node() act on
 *   VAS memory, move_pages() does not see it;
 * - prctl_vma, mseal: PR_SET_VMA names and mseal() seals VAS memory;
 * - exec_pkey: PROT_EXEC in the VAS takes no execute-only protection key;
 * - hmm: a process mirrored by a secondary MMU (lib/test_hmm.c) gets no VAS
 *   memory from the device, nor from GUP.
 *
 * Through a read-only attachment, calls that change VAS memory fail with
 * EACCES.  After every refusal the tests check that nothing changed.
 *
 * Children are forked before anything is attached and report through the
 * shared _metadata.  The setup saves the core pattern; the teardown, in the
 * parent once the test is gone, restores it and deletes the VAS.
 */

#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/elf.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/mempolicy.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <linux/vas.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vas_util.h"
#include "../../../../lib/test_hmm_uapi.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

#define VAS_AREA		((char *)(uintptr_t)VAS_AREA_START)
#define RW			(PROT_READ | PROT_WRITE)
#define ANON_PRIVATE		(MAP_PRIVATE | MAP_ANONYMOUS)

/* Seeds of the patterns that the tests write: VAS memory, image memory. */
#define VAS_MAGIC		0x7661732d70617468UL
#define IMAGE_MAGIC		0x696d6167652d6f6bUL

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

#define WAIT_MS			10000	/* for a notification */
#define CLEANUP_SECONDS		5.0	/* a dead child may hold its views */

#define CORE_PATTERN_FILE	"/proc/sys/kernel/core_pattern"
#define CORE_PREFIX		"/tmp/vas_paths_core."
#define CORE_WINDOW_WORDS	8	/* of a pattern: found only where it is */

#define SECCOMP_IMAGE_DIR	"/tmp/vas_paths_seccomp.image"
#define SECCOMP_VAS_DIR		"/tmp/vas_paths_seccomp.vas"

#define RING_ENTRIES		4
#define NUMA_PAGES		8
#define NODE_BITS		(8 * sizeof(unsigned long))
#define NODE_SYSFS		"/sys/devices/system/node/node1"

#define HMM_DEVICE		"/dev/hmm_dmirror0"

static size_t page_size;

FIXTURE(paths) {
	char name[VAS_NAME_MAX + 1];
	int vid;
	bool core_saved;
	char core_pattern[256];
};

FIXTURE_SETUP(paths)
{
	if (!vas_supported())
		SKIP(return, VAS_SKIP_REASON);
	page_size = sysconf(_SC_PAGESIZE);
	self->core_saved = !vas_read_text(CORE_PATTERN_FILE, self->core_pattern,
				      sizeof(self->core_pattern));
	snprintf(self->name, sizeof(self->name), "vas_selftest.paths.%s",
		 _metadata->name);
	/* Left over by an earlier run that was killed. */
	vas_cleanup_name(self->name);
	self->vid = vas_create(self->name, 0600);
	ASSERT_LE(1, self->vid)
	{
		TH_LOG("vas_create(%s): %s", self->name, strerror(errno));
	}
}

FIXTURE_TEARDOWN_PARENT(paths)
{
	char now[sizeof(self->core_pattern)];
	int vid = vas_find(self->name);

	if (self->core_saved &&
	    (vas_read_text(CORE_PATTERN_FILE, now, sizeof(now)) ||
	     strcmp(now, self->core_pattern)) &&
	    vas_write_text(CORE_PATTERN_FILE, self->core_pattern, 0))
		TH_LOG("cannot restore the core pattern: %s", strerror(errno));
	if (vid > 0 && vas_delete_retry(vid, CLEANUP_SECONDS))
		TH_LOG("cannot delete %s: %s", self->name, strerror(errno));
}

/* Helpers */

static void attach_switch(struct __test_metadata *const _metadata, int vid,
			  int type)
{
	ASSERT_EQ(0, vas_attach(0, vid, type))
	{
		TH_LOG("vas_attach(0, %d, %#x): %s", vid, type,
		       strerror(errno));
	}
	ASSERT_EQ(0, vas_switch(vid))
	{
		TH_LOG("vas_switch(%d): %s", vid, strerror(errno));
	}
	ASSERT_EQ(vid, active_vas());
}

/* Back in the image, the VAS detached. */
static void finish(struct __test_metadata *const _metadata, int vid)
{
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(0, vas_detach(0, vid))
	{
		TH_LOG("vas_detach(0, %d): %s", vid, strerror(errno));
	}
}

/* Attaches the VAS again, with access @type, and switches into it. */
static void reattach(struct __test_metadata *const _metadata, int vid,
		     int type)
{
	finish(_metadata, vid);
	attach_switch(_metadata, vid, type);
}

/* Maps VAS memory @off bytes into the VAS area; the caller is switched. */
static char *map_vas(struct __test_metadata *const _metadata, size_t off,
		     size_t len)
{
	char *addr = VAS_AREA + off;
	char *p = mmap(addr, len, RW, ANON_PRIVATE | MAP_FIXED_NOREPLACE, -1,
		       0);

	ASSERT_EQ(addr, p)
	{
		TH_LOG("mmap(%p, %zu) in the VAS: %s", addr, len,
		       p == MAP_FAILED ? strerror(errno) : "moved");
	}
	return p;
}

static char *map_image(struct __test_metadata *const _metadata, size_t len)
{
	char *p = mmap(NULL, len, RW, ANON_PRIVATE, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	return p;
}

static unsigned long pattern(unsigned long seed, size_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15UL ^ seed;
}

static void fill(void *buf, size_t len, unsigned long seed)
{
	unsigned long *w = buf;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = pattern(seed, i);
}

/* Number of words of @buf that do not hold the pattern of @seed. */
static size_t count_bad(const void *buf, size_t len, unsigned long seed)
{
	const unsigned long *w = buf;
	size_t i, bad = 0;

	for (i = 0; i < len / sizeof(*w); i++)
		bad += w[i] != pattern(seed, i);
	return bad;
}

/* Remote access: the image only */

static unsigned long image_word;

/* A child whose main thread is switched, with a word in each space. */
struct remote_child {
	pid_t pid;
	int go;		/* then the image word the child must find */
};

static void start_remote_child(struct __test_metadata *const _metadata,
			       int vid, struct remote_child *rc)
{
	unsigned long *mem, expected;
	int ready[2], go[2];

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	rc->pid = vas_fork_child(_metadata);
	if (!rc->pid) {
		close(ready[0]);
		close(go[1]);
		attach_switch(_metadata, vid, O_RDWR);
		mem = (unsigned long *)map_vas(_metadata, 0, page_size);
		mem[0] = VAS_MAGIC;
		STORE(image_word, IMAGE_MAGIC);
		vas_send_go(_metadata, ready[1]);
		/* Switched while the parent reads and writes. */
		ASSERT_EQ(sizeof(expected),
			  read(go[0], &expected, sizeof(expected)));
		EXPECT_EQ(VAS_MAGIC, mem[0]);
		EXPECT_EQ(expected, LOAD(image_word));
		EXPECT_EQ(vid, active_vas());
		finish(_metadata, vid);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	rc->go = go[1];
	vas_wait_go(_metadata, ready[0]);
	close(ready[0]);
}

static void end_remote_child(struct __test_metadata *const _metadata,
			     struct remote_child *rc, unsigned long expected)
{
	ASSERT_EQ(sizeof(expected), write(rc->go, &expected, sizeof(expected)));
	close(rc->go);
	vas_wait_child(_metadata, rc->pid);
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

TEST_F_TIMEOUT(paths, remote_process_vm, 60)
{
	unsigned long val = 0, poison = ~VAS_MAGIC, two[2] = { 0, 0 };
	struct iovec local = { &val, sizeof(val) };
	struct iovec remote[2] = {
		{ &image_word, sizeof(val) },
		{ VAS_AREA, sizeof(val) },
	};
	struct remote_child rc;

	if (!have_process_vm())
		SKIP(return, "process_vm_readv() not available");
	start_remote_child(_metadata, self->vid, &rc);

	/* The image reads and writes as usual. */
	EXPECT_EQ(sizeof(val), process_vm_readv(rc.pid, &local, 1, remote, 1,
						0));
	EXPECT_EQ(IMAGE_MAGIC, val);
	val = ~IMAGE_MAGIC;
	EXPECT_EQ(sizeof(val), process_vm_writev(rc.pid, &local, 1, remote, 1,
						 0));

	/* The VAS area does not: EFAULT both ways. */
	EXPECT_EQ(-1, process_vm_readv(rc.pid, &local, 1, &remote[1], 1, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(~IMAGE_MAGIC, val);
	local.iov_base = &poison;
	EXPECT_EQ(-1, process_vm_writev(rc.pid, &local, 1, &remote[1], 1, 0));
	EXPECT_EQ(EFAULT, errno);

	/* A vector that runs into the VAS area stops there. */
	local.iov_base = two;
	local.iov_len = sizeof(two);
	EXPECT_EQ(sizeof(val), process_vm_readv(rc.pid, &local, 1, remote, 2,
						0));
	EXPECT_EQ(~IMAGE_MAGIC, two[0]);
	EXPECT_EQ(0, two[1]);

	/* The child finds the image write, and its VAS word as it was. */
	end_remote_child(_metadata, &rc, ~IMAGE_MAGIC);
}

TEST_F_TIMEOUT(paths, remote_ptrace, 60)
{
	struct remote_child rc;
	int status;
	long val;

	start_remote_child(_metadata, self->vid, &rc);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, rc.pid, NULL, NULL))
	{
		TH_LOG("PTRACE_SEIZE: %s", strerror(errno));
	}
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, rc.pid, NULL, NULL));
	ASSERT_EQ(rc.pid, waitpid(rc.pid, &status, __WALL));
	ASSERT_TRUE(WIFSTOPPED(status));

	errno = 0;
	val = ptrace(PTRACE_PEEKDATA, rc.pid, &image_word, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ((long)IMAGE_MAGIC, val);

	/* Peeking and poking the VAS area: EIO. */
	errno = 0;
	EXPECT_EQ(-1, ptrace(PTRACE_PEEKDATA, rc.pid, VAS_AREA, NULL));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, rc.pid, VAS_AREA,
			     (void *)~VAS_MAGIC));
	EXPECT_EQ(EIO, errno);

	/* The image still works after the failures; the child checks. */
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, rc.pid, &image_word,
			    (void *)~IMAGE_MAGIC));
	EXPECT_EQ(0, ptrace(PTRACE_DETACH, rc.pid, NULL, NULL));

	end_remote_child(_metadata, &rc, ~IMAGE_MAGIC);
}

/* Core dumps */

static void *crash_thread(void *arg)
{
	/* Not switched: nothing is mapped in the VAS area here. */
	__atomic_store_n(VAS_AREA, 1, __ATOMIC_RELAXED);
	return arg;
}

/*
 * The child: a page of pattern in the image and one in the VAS, then a
 * crash of its switched main thread (SIGABRT) or of another thread, in the
 * image (SIGSEGV).  Reports the address of the image page first.
 */
static void core_child(struct __test_metadata *const _metadata, int vid,
		       bool switched_crashes, int report)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	pthread_t thread;
	char *img;

	ASSERT_EQ(0, setrlimit(RLIMIT_CORE, &rl));
	ASSERT_EQ(0, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	img = map_image(_metadata, page_size);
	fill(img, page_size, IMAGE_MAGIC);
	attach_switch(_metadata, vid, O_RDWR);
	fill(map_vas(_metadata, 0, page_size), page_size, VAS_MAGIC);
	ASSERT_EQ(sizeof(img), write(report, &img, sizeof(img)));
	if (switched_crashes)
		abort();
	ASSERT_EQ(0, pthread_create(&thread, NULL, crash_thread, NULL));
	pthread_join(thread, NULL);
	/* Not reached: the fault of the thread kills the process. */
	_exit(1);
}

static void check_core(struct __test_metadata *const _metadata,
		       const char *core, size_t size, const char *img)
{
	const struct elf64_hdr *eh = (const struct elf64_hdr *)core;
	unsigned long window[CORE_WINDOW_WORDS], start, end;
	const struct elf64_phdr *ph;
	int i, in_area = 0;
	bool found = false;

	ASSERT_EQ(0, memcmp(eh->e_ident, ELFMAG, SELFMAG));
	ASSERT_EQ(ET_CORE, eh->e_type);
	ASSERT_LE(eh->e_phoff + eh->e_phnum * sizeof(*ph), size);
	ph = (const struct elf64_phdr *)(core + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		start = ph[i].p_vaddr;
		end = start + ph[i].p_memsz;
		ASSERT_LE(ph[i].p_offset + ph[i].p_filesz, size);
		/* The image maps nothing in the area: no segment, no data. */
		if (start < VAS_AREA_END && end > VAS_AREA_START) {
			in_area++;
			EXPECT_EQ(0, ph[i].p_filesz)
			{
				TH_LOG("%lu bytes of %#lx-%#lx dumped",
				       (unsigned long)ph[i].p_filesz, start,
				       end);
			}
		}
		if ((uintptr_t)img >= start &&
		    (uintptr_t)img + page_size <= start + ph[i].p_filesz) {
			found = true;
			EXPECT_EQ(0, count_bad(core + ph[i].p_offset +
					       ((uintptr_t)img - start),
					       page_size, IMAGE_MAGIC));
		}
	}
	EXPECT_TRUE(found)
	{
		TH_LOG("the image page %p is not in the dump", img);
	}
	EXPECT_EQ(0, in_area)
	{
		TH_LOG("%d segments of the dump overlap the VAS area",
		       in_area);
	}

	/* The image pattern is there, nothing of the VAS pattern. */
	fill(window, sizeof(window), IMAGE_MAGIC);
	EXPECT_NE(NULL, memmem(core, size, window, sizeof(window)));
	fill(window, sizeof(window), VAS_MAGIC);
	EXPECT_EQ(NULL, memmem(core, size, window, sizeof(window)))
	{
		TH_LOG("VAS memory in the dump");
	}
}

static void coredump(struct __test_metadata *const _metadata,
		     struct _test_data_paths *self, bool switched_crashes)
{
	int sig = switched_crashes ? SIGABRT : SIGSEGV;
	int report[2], status, fd;
	char path[64], *img, *core;
	struct stat st;
	pid_t child;

	if (!self->core_saved)
		SKIP(return, "cannot read " CORE_PATTERN_FILE);
	if (vas_write_text(CORE_PATTERN_FILE, CORE_PREFIX "%p", 0))
		SKIP(return, "cannot set the core pattern: %s",
		     strerror(errno));
	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(report[0]);
		core_child(_metadata, self->vid, switched_crashes, report[1]);
	}
	close(report[1]);
	ASSERT_EQ(sizeof(img), read(report[0], &img, sizeof(img)));
	close(report[0]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
	{
		TH_LOG("child status %#x, expected signal %d", status, sig);
	}
	ASSERT_TRUE(WCOREDUMP(status));

	snprintf(path, sizeof(path), CORE_PREFIX "%d", child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd)
	{
		TH_LOG("open(%s): %s", path, strerror(errno));
	}
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_LT(sizeof(struct elf64_hdr), st.st_size);
	core = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, core);
	check_core(_metadata, core, st.st_size, img);
	munmap(core, st.st_size);
	close(fd);
	unlink(path);

	/* The VAS memory outlives the process that crashed in it. */
	attach_switch(_metadata, self->vid, O_RDWR);
	EXPECT_EQ(0, count_bad(VAS_AREA, page_size, VAS_MAGIC));
	finish(_metadata, self->vid);
}

TEST_F_TIMEOUT(paths, coredump_switched_thread_crashes, 120)
{
	coredump(_metadata, self, true);
}

TEST_F_TIMEOUT(paths, coredump_image_thread_crashes, 120)
{
	coredump(_metadata, self, false);
}

/* seccomp user notification */

static char seccomp_image_path[] = SECCOMP_IMAGE_DIR;

/* Installs a filter that passes mkdir() to a supervisor; the listener fd. */
static int notify_mkdir(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdir, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(filter),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* The target: mkdir() of a path in the image, then of one in the VAS. */
static void seccomp_target(struct __test_metadata *const _metadata, int vid,
			   int report)
{
	char *path;
	int fd;

	attach_switch(_metadata, vid, O_RDWR);
	path = map_vas(_metadata, 0, page_size);
	memcpy(path, SECCOMP_VAS_DIR, sizeof(SECCOMP_VAS_DIR));
	fd = notify_mkdir();
	ASSERT_LE(0, fd)
	{
		TH_LOG("seccomp(NEW_LISTENER): %s", strerror(errno));
	}
	ASSERT_EQ(sizeof(fd), write(report, &fd, sizeof(fd)));

	/* The supervisor answers ENOENT; mkdir() itself would succeed. */
	EXPECT_EQ(-1, syscall(__NR_mkdir, seccomp_image_path, 0700));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, syscall(__NR_mkdir, path, 0700));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, memcmp(path, SECCOMP_VAS_DIR, sizeof(SECCOMP_VAS_DIR)));
	EXPECT_EQ(vid, active_vas());
	finish(_metadata, vid);
	_exit(0);
}

/*
 * Receives the mkdir() of @pid, reads the path at @addr through @mem and
 * answers ENOENT.  @expected is the path, or NULL if the read must fail.
 */
static void supervise_mkdir(struct __test_metadata *const _metadata,
			    int listener, int mem, pid_t pid, const char *addr,
			    const char *expected)
{
	struct pollfd pfd = { .fd = listener, .events = POLLIN };
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	char buf[64];
	ssize_t ret;

	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS))
	{
		TH_LOG("no notification from the target");
	}
	memset(&req, 0, sizeof(req));
	ASSERT_EQ(0, ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req))
	{
		TH_LOG("SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(errno));
	}
	EXPECT_EQ(pid, req.pid);
	EXPECT_EQ(__NR_mkdir, req.data.nr);
	EXPECT_EQ((uintptr_t)addr, req.data.args[0]);

	memset(buf, 0, sizeof(buf));
	ret = pread(mem, buf, sizeof(buf), (off_t)req.data.args[0]);
	if (expected) {
		EXPECT_EQ(sizeof(buf), ret);
		EXPECT_STREQ(expected, buf);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EIO, errno);
	}

	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -ENOENT;
	EXPECT_EQ(0, ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp))
	{
		TH_LOG("SECCOMP_IOCTL_NOTIF_SEND: %s", strerror(errno));
	}
}

TEST_F_TIMEOUT(paths, seccomp_notify_args, 60)
{
	int report[2], fd, pidfd, listener, mem;
	char path[64];
	pid_t child;

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		close(report[0]);
		seccomp_target(_metadata, self->vid, report[1]);
	}
	close(report[1]);
	ASSERT_EQ(sizeof(fd), read(report[0], &fd, sizeof(fd)));
	close(report[0]);
	pidfd = syscall(__NR_pidfd_open, child, 0);
	ASSERT_LE(0, pidfd);
	listener = syscall(__NR_pidfd_getfd, pidfd, fd, 0);
	ASSERT_LE(0, listener)
	{
		TH_LOG("pidfd_getfd: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", child);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mem);

	supervise_mkdir(_metadata, listener, mem, child, seccomp_image_path,
			SECCOMP_IMAGE_DIR);
	supervise_mkdir(_metadata, listener, mem, child, VAS_AREA, NULL);
	close(mem);
	close(listener);
	close(pidfd);
	vas_wait_child(_metadata, child);
}

/* userfaultfd */

static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int uffd_register(int uffd, void *addr, size_t len,
			 struct uffdio_register *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->range.start = (uintptr_t)addr;
	reg->range.len = len;
	reg->mode = UFFDIO_REGISTER_MODE_MISSING;
	return ioctl(uffd, UFFDIO_REGISTER, reg);
}

/*
 * A userfaultfd context belongs to the process image: no thread registers
 * the VAS area, switched or not.  A switched thread registers image memory,
 * which UFFDIO_COPY then fills.
 */
TEST_F_TIMEOUT(paths, uffd_register, 60)
{
	const size_t len = 4 * page_size, words = len / sizeof(long);
	struct uffdio_register reg;
	struct uffdio_range range;
	struct uffdio_copy copy;
	unsigned long *mem;
	char *img, *src;
	int uffd;

	uffd = uffd_open();
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	img = map_image(_metadata, len);
	src = map_image(_metadata, page_size);
	fill(src, page_size, IMAGE_MAGIC);
	attach_switch(_metadata, self->vid, O_RDWR);
	mem = (unsigned long *)map_vas(_metadata, 0, len);
	mem[0] = VAS_MAGIC;

	EXPECT_EQ(-1, uffd_register(uffd, mem, len, &reg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, uffd_register(uffd, mem + words / 2, page_size, &reg));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vas_switch(0));
	EXPECT_EQ(-1, uffd_register(uffd, mem, len, &reg));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vas_switch(self->vid));

	ASSERT_EQ(0, uffd_register(uffd, img, len, &reg))
	{
		TH_LOG("UFFDIO_REGISTER of image memory: %s", strerror(errno));
	}
	memset(&copy, 0, sizeof(copy));
	copy.dst = (uintptr_t)img;
	copy.src = (uintptr_t)src;
	copy.len = page_size;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy))
	{
		TH_LOG("UFFDIO_COPY: %s", strerror(errno));
	}
	EXPECT_EQ(page_size, copy.copy);
	EXPECT_EQ(0, count_bad(img, page_size, IMAGE_MAGIC));
	range.start = (uintptr_t)img;
	range.len = len;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_UNREGISTER, &range));

	/*
	 * Nothing of the VAS was registered: the data is there, and untouched
	 * pages fault in without a handler while the context is open.
	 */
	EXPECT_EQ(VAS_MAGIC, mem[0]);
	EXPECT_EQ(0, mem[words / 2]);
	mem[words - 1] = ~VAS_MAGIC;
	EXPECT_EQ(~VAS_MAGIC, mem[words - 1]);
	close(uffd);
	finish(_metadata, self->vid);
}

/* io_uring, through the raw system calls */

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* Sets up a ring and maps it into the image; -1 with errno on failure. */
static int ring_init(struct ring *r)
{
	const int shared = MAP_SHARED | MAP_POPULATE;
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = syscall(__NR_io_uring_setup, RING_ENTRIES, &p);
	if (r->fd < 0)
		return -1;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		sq_len = sq_len > cq_len ? sq_len : cq_len;
		cq_len = sq_len;
	}
	sq = mmap(NULL, sq_len, RW, shared, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -1;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, RW, shared, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -1;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(*r->sqes), RW, shared,
		       r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/*
 * Submits one request, @op on @fd at @off with the buffer @buf (registered
 * buffer 0 for the fixed operations), waits for it and returns its result.
 */
static int ring_io(struct __test_metadata *const _metadata, struct ring *r,
		   int op, int sqe_flags, int fd, void *buf, size_t len,
		   off_t off)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	struct io_uring_cqe *cqe;
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->flags = sqe_flags;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->user_data = tail + 1;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	ASSERT_EQ(1, syscall(__NR_io_uring_enter, r->fd, 1, 1,
			     IORING_ENTER_GETEVENTS, NULL, 0))
	{
		TH_LOG("io_uring_enter: %s", strerror(errno));
	}
	head = *r->cq_head;
	ASSERT_NE(head, __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE));
	cqe = &r->cqes[head & *r->cq_mask];
	EXPECT_EQ(tail + 1, cqe->user_data);
	res = cqe->res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* Inline, and punted to an io-wq worker, which is never switched. */
static const int ring_modes[] = { 0, IOSQE_ASYNC };

/* Runs @op on a page of @buf at @off and checks the result. */
static void check_io(struct __test_metadata *const _metadata, struct ring *r,
		     int op, int mode, int file, char *buf, off_t off,
		     int expected)
{
	int res = ring_io(_metadata, r, op, mode, file, buf, page_size, off);

	EXPECT_EQ(expected, res)
	{
		TH_LOG("opcode %d, %s, buffer %p: %d", op,
		       mode ? "punted" : "inline", buf, res);
	}
}

/*
 * A switched thread reads from a tmpfs file into VAS memory and writes VAS
 * memory to it: -EFAULT inline and in a worker, which would resolve the
 * buffer in the image.  Image buffers work both ways.
 */
TEST_F_TIMEOUT(paths, io_uring_rw_vas, 60)
{
	const int size = page_size;
	char *vas, *buf, *back, *zero;
	struct ring r;
	int file, mode;
	size_t i;

	if (ring_init(&r))
		SKIP(return, "io_uring: %s", strerror(errno));
	buf = map_image(_metadata, page_size);
	back = map_image(_metadata, page_size);
	zero = map_image(_metadata, page_size);
	fill(buf, page_size, IMAGE_MAGIC);
	file = memfd_create("vas_paths_uring", MFD_CLOEXEC);
	ASSERT_LE(0, file);
	ASSERT_EQ(size, pwrite(file, buf, page_size, 0));
	ASSERT_EQ(0, ftruncate(file, 2 * page_size));
	attach_switch(_metadata, self->vid, O_RDWR);
	vas = map_vas(_metadata, 0, page_size);
	fill(vas, page_size, VAS_MAGIC);

	for (i = 0; i < ARRAY_SIZE(ring_modes); i++) {
		mode = ring_modes[i];
		check_io(_metadata, &r, IORING_OP_READ, mode, file, vas, 0,
			 -EFAULT);
		check_io(_metadata, &r, IORING_OP_WRITE, mode, file, vas,
			 page_size, -EFAULT);
		EXPECT_EQ(0, count_bad(vas, page_size, VAS_MAGIC));
		ASSERT_EQ(size, pread(file, back, page_size, page_size));
		EXPECT_EQ(0, memcmp(back, zero, page_size));

		/* The same requests with an image buffer. */
		memset(buf, 0, page_size);
		check_io(_metadata, &r, IORING_OP_READ, mode, file, buf, 0,
			 size);
		EXPECT_EQ(0, count_bad(buf, page_size, IMAGE_MAGIC));
		check_io(_metadata, &r, IORING_OP_WRITE, mode, file, buf,
			 page_size, size);
		ASSERT_EQ(size, pread(file, back, page_size, page_size));
		EXPECT_EQ(0, count_bad(back, page_size, IMAGE_MAGIC));
		ASSERT_EQ(size, pwrite(file, zero, page_size, page_size));
	}
	close(file);
	close(r.fd);
	finish(_metadata, self->vid);
}

/*
 * Buffers registered by a switched thread are pinned in the VAS: fixed
 * reads fill VAS memory, inline and in a worker, and every attacher sees
 * the data.
 */
TEST_F_TIMEOUT(paths, io_uring_fixed_vas, 60)
{
	const size_t len = 2 * page_size;
	struct iovec iov;
	struct ring r;
	int file, go[2];
	char *ref, *vas;
	pid_t child;
	size_t i;

	if (ring_init(&r))
		SKIP(return, "io_uring: %s", strerror(errno));
	ref = map_image(_metadata, len);
	fill(ref, len, IMAGE_MAGIC);
	file = memfd_create("vas_paths_uring", MFD_CLOEXEC);
	ASSERT_LE(0, file);
	ASSERT_EQ(len, pwrite(file, ref, len, 0));

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		/* Another attacher, once the reads are done. */
		close(go[1]);
		vas_wait_go(_metadata, go[0]);
		attach_switch(_metadata, self->vid, O_RDWR);
		EXPECT_EQ(0, count_bad(VAS_AREA, len, IMAGE_MAGIC));
		finish(_metadata, self->vid);
		_exit(0);
	}
	close(go[0]);

	attach_switch(_metadata, self->vid, O_RDWR);
	vas = map_vas(_metadata, 0, len);
	fill(vas, len, VAS_MAGIC);
	iov.iov_base = vas;
	iov.iov_len = len;
	ASSERT_EQ(0, syscall(__NR_io_uring_register, r.fd,
			     IORING_REGISTER_BUFFERS, &iov, 1))
	{
		TH_LOG("IORING_REGISTER_BUFFERS of VAS memory: %s",
		       strerror(errno));
	}
	for (i = 0; i < ARRAY_SIZE(ring_modes); i++)
		check_io(_metadata, &r, IORING_OP_READ_FIXED, ring_modes[i],
			 file, vas + i * page_size, i * page_size, page_size);
	EXPECT_EQ(0, count_bad(vas, len, IMAGE_MAGIC));
	vas_send_go(_metadata, go[1]);
	close(go[1]);
	vas_wait_child(_metadata, child);

	EXPECT_EQ(0, syscall(__NR_io_uring_register, r.fd,
			     IORING_UNREGISTER_BUFFERS, NULL, 0));
	close(file);
	close(r.fd);
	finish(_metadata, self->vid);
}

/* NUMA memory policy */

static bool have_node1(void)
{
	return !access(NODE_SYSFS, F_OK);
}

static long mbind_range(void *addr, size_t len, int mode,
			unsigned long nodes, unsigned int flags)
{
	return syscall(__NR_mbind, addr, len, mode, &nodes, NODE_BITS, flags);
}

/* The node of the page at @addr, or -1. */
static int page_node(void *addr)
{
	int node = -1;

	if (syscall(__NR_get_mempolicy, &node, NULL, 0, addr,
		    MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

static void check_nodes(struct __test_metadata *const _metadata, char *mem,
			size_t len, int node)
{
	size_t off;

	for (off = 0; off < len; off += page_size) {
		EXPECT_EQ(node, page_node(mem + off))
		{
			TH_LOG("page %p: %s", mem + off, strerror(errno));
		}
	}
}

static void check_policy(struct __test_metadata *const _metadata,
			 void *addr, int mode, unsigned long nodes)
{
	unsigned long mask = ~0UL;
	int seen = -1;

	ASSERT_EQ(0, syscall(__NR_get_mempolicy, &seen, &mask, NODE_BITS,
			     addr, MPOL_F_ADDR))
	{
		TH_LOG("get_mempolicy(%p): %s", addr, strerror(errno));
	}
	EXPECT_EQ(mode, seen);
	EXPECT_EQ(nodes, mask);
}

/* The image has no VMA in the area, so no policy there: EFAULT. */
static void check_image_policy(struct __test_metadata *const _metadata,
			       int vid)
{
	int mode = -1;
	long ret;

	ASSERT_EQ(0, vas_switch(0));
	ret = syscall(__NR_get_mempolicy, &mode, NULL, 0, VAS_AREA,
		      MPOL_F_ADDR);
	EXPECT_TRUE(ret == -1 && errno == EFAULT)
	{
		TH_LOG("the image's policy for the VAS area: %ld, mode %d",
		       ret, mode);
	}
	ASSERT_EQ(0, vas_switch(vid));
}

TEST_F_TIMEOUT(paths, mempolicy_mbind_vas, 60)
{
	const size_t len = NUMA_PAGES * page_size, half = len / 2;
	char *mem;

	if (!have_node1())
		SKIP(return, "no NUMA node 1");
	attach_switch(_metadata, self->vid, O_RDWR);
	mem = map_vas(_metadata, 0, len);
	/* Half the pages exist before mbind(), half come after it. */
	fill(mem, half, VAS_MAGIC);
	ASSERT_EQ(0, mbind_range(mem, len, MPOL_BIND, 1UL << 1,
				 MPOL_MF_MOVE | MPOL_MF_STRICT))
	{
		TH_LOG("mbind(node 1) of VAS memory: %s", strerror(errno));
	}
	fill(mem + half, half, ~VAS_MAGIC);
	check_nodes(_metadata, mem, len, 1);
	check_policy(_metadata, mem, MPOL_BIND, 1UL << 1);
	check_policy(_metadata, mem + len - page_size, MPOL_BIND, 1UL << 1);
	check_image_policy(_metadata, self->vid);

	/* Back to node 0: every page moves, its data with it. */
	ASSERT_EQ(0, mbind_range(mem, len, MPOL_BIND, 1UL << 0, MPOL_MF_MOVE))
	{
		TH_LOG("mbind(node 0) of VAS memory: %s", strerror(errno));
	}
	check_nodes(_metadata, mem, len, 0);
	check_policy(_metadata, mem, MPOL_BIND, 1UL << 0);
	EXPECT_EQ(0, count_bad(mem, half, VAS_MAGIC));
	EXPECT_EQ(0, count_bad(mem + half, half, ~VAS_MAGIC));
	finish(_metadata, self->vid);
}

/*
 * The home node is the first choice of an MPOL_BIND policy; without it, a
 * page goes to the node of the CPU that touches it.  So the pages of a
 * range bound to both nodes, with the other node as home, show whether the
 * home node reached the VAS's VMA.
 */
TEST_F_TIMEOUT(paths, mempolicy_home_node_vas, 60)
{
	const size_t len = NUMA_PAGES * page_size;
	unsigned int cpu, node;
	cpu_set_t set;
	char *mem, *other;
	int home;

	if (!have_node1())
		SKIP(return, "no NUMA node 1");
	ASSERT_EQ(0, syscall(__NR_getcpu, &cpu, NULL, NULL));
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(0, syscall(__NR_getcpu, &cpu, &node, NULL));
	home = node ? 0 : 1;

	attach_switch(_metadata, self->vid, O_RDWR);
	mem = map_vas(_metadata, 0, len);
	ASSERT_EQ(0, mbind_range(mem, len, MPOL_BIND, 3, 0));
	EXPECT_EQ(0, syscall(__NR_set_mempolicy_home_node, mem, len, home, 0))
	{
		TH_LOG("set_mempolicy_home_node: %s", strerror(errno));
	}
	fill(mem, len, VAS_MAGIC);
	check_nodes(_metadata, mem, len, home);

	/* Other policies take no home node: this is the VAS's VMA. */
	other = map_vas(_metadata, len, page_size);
	ASSERT_EQ(0, mbind_range(other, page_size, MPOL_INTERLEAVE, 3, 0));
	EXPECT_EQ(-1, syscall(__NR_set_mempolicy_home_node, other, page_size,
			      home, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	check_policy(_metadata, other, MPOL_INTERLEAVE, 3);
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));
	finish(_metadata, self->vid);
}

TEST_F(paths, mempolicy_read_only)
{
	const size_t len = 2 * page_size;
	char *mem;
	int mode;

	if (syscall(__NR_get_mempolicy, &mode, NULL, 0, NULL, 0))
		SKIP(return, "no NUMA policies: %s", strerror(errno));
	attach_switch(_metadata, self->vid, O_RDWR);
	mem = map_vas(_metadata, 0, len);
	fill(mem, len, VAS_MAGIC);
	ASSERT_EQ(0, mbind_range(mem, len, MPOL_PREFERRED, 1UL << 0, 0));

	reattach(_metadata, self->vid, O_RDONLY);
	EXPECT_EQ(-1, mbind_range(mem, len, MPOL_BIND, 1UL << 0, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, syscall(__NR_set_mempolicy_home_node, mem, len, 0, 0));
	EXPECT_EQ(EACCES, errno);
	/* Reading the policy needs no write access: it did not change. */
	check_policy(_metadata, mem, MPOL_PREFERRED, 1UL << 0);
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));
	finish(_metadata, self->vid);
}

/* move_pages() looks addresses up in the image, where no VAS page is. */
TEST_F_TIMEOUT(paths, mempolicy_move_pages, 60)
{
	int nodes[2], status[2] = { -1, -1 }, to, vas_node;
	unsigned long *vas, *img;
	void *pages[2];

	if (!have_node1())
		SKIP(return, "no NUMA node 1");
	img = (unsigned long *)map_image(_metadata, page_size);
	img[0] = IMAGE_MAGIC;
	attach_switch(_metadata, self->vid, O_RDWR);
	vas = (unsigned long *)map_vas(_metadata, 0, page_size);
	vas[0] = VAS_MAGIC;
	vas_node = page_node(vas);
	ASSERT_LE(0, vas_node);
	pages[0] = img;
	pages[1] = vas;
	ASSERT_EQ(0, syscall(__NR_move_pages, 0, 2, pages, NULL, status, 0));
	ASSERT_LE(0, status[0]);
	to = status[0] ? 0 : 1;
	/* The query finds no mapping there: the image has none in the area. */
	EXPECT_EQ(-EFAULT, status[1]);

	pages[0] = vas;
	pages[1] = img;
	nodes[0] = to;
	nodes[1] = to;
	status[0] = -1;
	status[1] = -1;
	EXPECT_EQ(0, syscall(__NR_move_pages, 0, 2, pages, nodes, status,
			     MPOL_MF_MOVE))
	{
		TH_LOG("move_pages: %s", strerror(errno));
	}
	EXPECT_EQ(-EFAULT, status[0]);
	EXPECT_EQ(to, status[1]);
	EXPECT_EQ(to, page_node(img));
	EXPECT_EQ(vas_node, page_node(vas));
	EXPECT_EQ(VAS_MAGIC, vas[0]);
	EXPECT_EQ(IMAGE_MAGIC, img[0]);
	finish(_metadata, self->vid);
}

/* PR_SET_VMA */

static int name_range(void *addr, size_t len, const char *name)
{
	return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name);
}

/* Names an image page: false without CONFIG_ANON_VMA_NAME. */
static bool have_vma_names(struct __test_metadata *const _metadata)
{
	return !name_range(map_image(_metadata, page_size), page_size,
			   "vas_paths_image");
}

/*
 * Number of mappings of the process image that overlap the VAS area, where
 * it maps nothing while a VAS is attached: a name given to VAS memory must
 * not show there.
 */
static int area_maps_lines(void)
{
	unsigned long start, end;
	char line[512];
	int lines = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start < VAS_AREA_END && end > VAS_AREA_START)
			lines++;
	}
	fclose(f);
	return lines;
}

TEST_F(paths, prctl_vma_name_vas)
{
	const size_t len = 2 * page_size;
	char *mem;

	if (!have_vma_names(_metadata))
		SKIP(return, "PR_SET_VMA: %s", strerror(errno));
	attach_switch(_metadata, self->vid, O_RDWR);
	ASSERT_EQ(0, area_maps_lines());
	mem = map_vas(_metadata, 0, len);
	fill(mem, len, VAS_MAGIC);
	EXPECT_EQ(0, name_range(mem, len, "vas_paths_vas"))
	{
		TH_LOG("PR_SET_VMA of VAS memory: %s", strerror(errno));
	}
	/* The VAS's VMAs answer: a hole is ENOMEM. */
	EXPECT_EQ(-1, name_range(mem, 2 * len, "vas_paths_hole"));
	EXPECT_EQ(ENOMEM, errno);

	/* Nothing of it reached the image. */
	EXPECT_EQ(0, area_maps_lines());
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));
	finish(_metadata, self->vid);
}

TEST_F(paths, prctl_vma_read_only)
{
	char *mem;

	if (!have_vma_names(_metadata))
		SKIP(return, "PR_SET_VMA: %s", strerror(errno));
	attach_switch(_metadata, self->vid, O_RDWR);
	mem = map_vas(_metadata, 0, page_size);
	fill(mem, page_size, VAS_MAGIC);
	reattach(_metadata, self->vid, O_RDONLY);
	ASSERT_EQ(0, area_maps_lines());
	EXPECT_EQ(-1, name_range(mem, page_size, "vas_paths_ro"));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, area_maps_lines());
	EXPECT_EQ(0, count_bad(mem, page_size, VAS_MAGIC));
	EXPECT_EQ(self->vid, active_vas());

	/* A read-write attachment names it. */
	reattach(_metadata, self->vid, O_RDWR);
	EXPECT_EQ(0, name_range(mem, page_size, "vas_paths_rw"));
	finish(_metadata, self->vid);
}

/* mseal() */

static long mseal_range(void *addr, size_t len)
{
	return syscall(__NR_mseal, addr, len, 0);
}

/* Nothing removes or changes sealed VAS memory at @mem. */
static void check_sealed(struct __test_metadata *const _metadata, char *mem,
			 size_t len)
{
	EXPECT_EQ(-1, munmap(mem, len));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mprotect(mem, len, PROT_READ));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mremap(mem, len, 2 * len, MREMAP_MAYMOVE));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mremap(mem, len, len / 2, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(mem, len, RW, ANON_PRIVATE | MAP_FIXED, -1,
				   0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));
}

TEST_F_TIMEOUT(paths, mseal_vas, 60)
{
	const size_t len = 2 * page_size;
	int go[2];
	pid_t child;
	char *mem;

	if (mseal_range(NULL, 0))
		SKIP(return, "mseal: %s", strerror(errno));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	child = vas_fork_child(_metadata);
	if (!child) {
		/* Another attacher: the seal is the VAS's. */
		close(go[1]);
		vas_wait_go(_metadata, go[0]);
		attach_switch(_metadata, self->vid, O_RDWR);
		check_sealed(_metadata, VAS_AREA, len);
		finish(_metadata, self->vid);
		_exit(0);
	}
	close(go[0]);

	attach_switch(_metadata, self->vid, O_RDWR);
	mem = map_vas(_metadata, 0, 2 * len);
	fill(mem, 2 * len, VAS_MAGIC);
	EXPECT_EQ(0, mseal_range(mem, len))
	{
		TH_LOG("mseal of VAS memory: %s", strerror(errno));
	}
	check_sealed(_metadata, mem, len);
	/* The rest of the mapping is not sealed. */
	EXPECT_EQ(0, mprotect(mem + len, len, PROT_READ));
	EXPECT_EQ(0, munmap(mem + len, len));

	vas_send_go(_metadata, go[1]);
	close(go[1]);
	vas_wait_child(_metadata, child);
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));
	finish(_metadata, self->vid);
}

TEST_F(paths, mseal_read_only)
{
	const size_t len = 2 * page_size;
	char *mem;

	if (mseal_range(NULL, 0))
		SKIP(return, "mseal: %s", strerror(errno));
	attach_switch(_metadata, self->vid, O_RDWR);
	mem = map_vas(_metadata, 0, len);
	fill(mem, len, VAS_MAGIC);
	reattach(_metadata, self->vid, O_RDONLY);
	EXPECT_EQ(-1, mseal_range(mem, len));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));

	/* Not sealed: a read-write attachment changes and removes it. */
	reattach(_metadata, self->vid, O_RDWR);
	EXPECT_EQ(0, mprotect(mem, len, PROT_READ));
	EXPECT_EQ(0, count_bad(mem, len, VAS_MAGIC));
	EXPECT_EQ(0, munmap(mem, len));
	finish(_metadata, self->vid);
}

/* Execute-only protection keys */

static bool have_ospke(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return false;
	return ecx & (1U << 4);
}

static unsigned int rdpkru(void)
{
	unsigned int eax, edx;

	asm volatile(".byte 0x0f,0x01,0xee" : "=a" (eax), "=d" (edx) : "c" (0));
	return eax;
}

static void wrpkru(unsigned int pkru)
{
	asm volatile(".byte 0x0f,0x01,0xef"
		     : : "a" (pkru), "c" (0), "d" (0) : "memory");
}

/*
 * Whether an image mapping of PROT_EXEC alone takes an execute-only key
 * and disables it in the caller's PKRU, tried in a child that is thrown
 * away.  The default PKRU already disables every key but 0, so the callers
 * open all keys first (PKRU 0): only then does a new key show.
 */
static bool image_exec_changes_pkru(struct __test_metadata *const _metadata)
{
	int status;
	pid_t child;
	void *p;

	child = vas_fork_child(_metadata);
	if (!child) {
		wrpkru(0);
		p = mmap(NULL, page_size, PROT_EXEC, ANON_PRIVATE, -1, 0);
		_exit(p != MAP_FAILED && rdpkru() ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

TEST_F(paths, exec_pkey_mmap)
{
	unsigned int pkru;
	char *p;

	if (!have_ospke())
		SKIP(return, "no OSPKE");
	if (!image_exec_changes_pkru(_metadata))
		SKIP(return, "no execute-only pkey in the image either");
	attach_switch(_metadata, self->vid, O_RDWR);
	wrpkru(0);
	p = mmap(VAS_AREA, page_size, PROT_EXEC,
		 ANON_PRIVATE | MAP_FIXED_NOREPLACE, -1, 0);
	pkru = rdpkru();
	ASSERT_EQ(VAS_AREA, p)
	{
		TH_LOG("mmap(PROT_EXEC) in the VAS: %s",
		       p == MAP_FAILED ? strerror(errno) : "moved");
	}
	EXPECT_EQ(0, pkru);
	/* Without an execute-only key the mapping is readable. */
	EXPECT_EQ(0, __atomic_load_n(p, __ATOMIC_RELAXED));
	finish(_metadata, self->vid);
}

TEST_F(paths, exec_pkey_mprotect_call)
{
	void (*fn)(void);
	unsigned char *p;
	bool pkru;

	pkru = have_ospke() && image_exec_changes_pkru(_metadata);
	if (!pkru)
		TH_LOG("no execute-only pkeys: PKRU not checked");
	attach_switch(_metadata, self->vid, O_RDWR);
	p = (unsigned char *)map_vas(_metadata, 0, page_size);
	p[0] = 0xc3;	/* ret */
	if (pkru)
		wrpkru(0);
	ASSERT_EQ(0, mprotect(p, page_size, PROT_EXEC))
	{
		TH_LOG("mprotect(PROT_EXEC) in the VAS: %s", strerror(errno));
	}
	if (pkru)
		EXPECT_EQ(0, rdpkru());
	/* The switched thread runs the code, and returns. */
	fn = (void (*)(void))(uintptr_t)p;
	fn();
	EXPECT_EQ(0xc3, __atomic_load_n(p, __ATOMIC_RELAXED));
	EXPECT_EQ(self->vid, active_vas());
	finish(_metadata, self->vid);
}

/* Secondary MMUs: the HMM test device */

/* Makes sure HMM_DEVICE exists; creates it from /proc/devices if needed. */
static int hmm_device(void)
{
	char line[128], name[64];
	int major = -1, m;
	struct stat st;
	FILE *f;

	if (!stat(HMM_DEVICE, &st))
		return 0;
	f = fopen("/proc/devices", "re");
	if (!f)
		return -1;
	while (major < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %63s", &m, name) == 2 &&
		    !strcmp(name, "HMM_DMIRROR"))
			major = m;
	}
	fclose(f);
	if (major < 0)
		return -1;
	return mknod(HMM_DEVICE, S_IFCHR | 0600, makedev(major, 0));
}

static int hmm_read(int fd, const void *addr, void *buf)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)buf,
		.npages = 1,
	};

	return ioctl(fd, HMM_DMIRROR_READ, &cmd);
}

/*
 * A child with a switched thread and the VAS page at the start of the area.
 * @mirrored: the child opens the HMM device, which mirrors its image (and
 * registers mmu notifiers on its mm, which never hear of the VAS): the
 * device and GUP get no VAS memory.  Otherwise the child maps the page and
 * fills it, and vmsplice() of it works.
 */
static void hmm_child(struct __test_metadata *const _metadata, int vid,
		      bool mirrored)
{
	struct iovec iov = { VAS_AREA, page_size };
	int p[2], fd, avail = -1;
	char *img, *buf;

	img = map_image(_metadata, page_size);
	buf = map_image(_metadata, page_size);
	fill(img, page_size, IMAGE_MAGIC);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	attach_switch(_metadata, vid, O_RDWR);
	if (!mirrored) {
		fill(map_vas(_metadata, 0, page_size), page_size, VAS_MAGIC);
		EXPECT_EQ(page_size, vmsplice(p[1], &iov, 1, 0))
		{
			TH_LOG("vmsplice of VAS memory: %s", strerror(errno));
		}
		goto out;
	}

	fd = open(HMM_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd)
	{
		TH_LOG("open(" HMM_DEVICE "): %s", strerror(errno));
	}
	EXPECT_EQ(-1, hmm_read(fd, VAS_AREA, buf));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, hmm_read(fd, img, buf))
	{
		TH_LOG("HMM_DMIRROR_READ of image memory: %s",
		       strerror(errno));
	}
	EXPECT_EQ(0, count_bad(buf, page_size, IMAGE_MAGIC));

	EXPECT_EQ(-1, vmsplice(p[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ioctl(p[0], FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	/* A copy needs no GUP: write() of the VAS page works. */
	EXPECT_EQ(page_size, write(p[1], VAS_AREA, page_size));
	close(fd);
out:
	EXPECT_EQ(page_size, read(p[0], buf, page_size));
	EXPECT_EQ(0, count_bad(buf, page_size, VAS_MAGIC));
	EXPECT_EQ(0, count_bad(VAS_AREA, page_size, VAS_MAGIC));
	finish(_metadata, vid);
	_exit(0);
}

TEST_F_TIMEOUT(paths, hmm_mirror_refused, 60)
{
	pid_t child;

	if (hmm_device())
		SKIP(return, "no " HMM_DEVICE " (CONFIG_TEST_HMM)");
	/* A process without a secondary MMU, the control. */
	child = vas_fork_child(_metadata);
	if (!child)
		hmm_child(_metadata, self->vid, false);
	vas_wait_child(_metadata, child);
	child = vas_fork_child(_metadata);
	if (!child)
		hmm_child(_metadata, self->vid, true);
	vas_wait_child(_metadata, child);

	/* The VAS memory is as the first child left it. */
	attach_switch(_metadata, self->vid, O_RDWR);
	EXPECT_EQ(0, count_bad(VAS_AREA, page_size, VAS_MAGIC));
	finish(_metadata, self->vid);
}

TEST_HARNESS_MAIN
