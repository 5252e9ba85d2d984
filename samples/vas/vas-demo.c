// SPDX-License-Identifier: GPL-2.0
/*
 * A tour of first-class virtual address spaces (VAS), in six steps:
 *
 *   1. a VAS is created; it belongs to no process;
 *   2. a separate program (the "builder") attaches it, switches into it,
 *      builds a binary search tree out of plain pointers and exits;
 *   3. another program (the "reader"), run by another user, attaches the
 *      VAS read-only and walks the same pointers: nothing was copied or
 *      serialised, and the data outlived the process that wrote it;
 *   4. in this process one thread switches into the VAS and out again
 *      while the main thread keeps working in the process image; a word
 *      that the switched thread adds is seen by the reader at once;
 *   5. the EBUSY rules: no detach while a thread is switched in, no delete
 *      while a process is attached;
 *   6. what /sys/kernel/vas and /proc show, and the delete.
 *
 * Every step checks what it claims and prints "[ ok ]" or "[FAIL]"; the
 * exit status is the number of failed checks (at most 255).
 *
 * The builder and the reader are this program run again with an argument
 * ("vas-demo build VID", "vas-demo read VID"): they are other programs as
 * far as memory goes, as nothing is inherited across execve().
 *
 * Build: gcc -static -pthread -isystem <exported uapi headers> vas-demo.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/unistd.h>
#include <linux/vas.h>

#define DEMO_NAME	"demo.words"
#define READER_UID	1000	/* not the owner: the "others" bits apply */
#define SWITCHES	1000	/* round trips of step 4 */
#define WAIT_SECONDS	10	/* a handshake that takes longer has failed */

static int vas_create(const char *name, unsigned int mode)
{
	return syscall(__NR_vas_create, name, mode);
}

static int vas_delete(int vid)
{
	return syscall(__NR_vas_delete, vid);
}

static int vas_find(const char *name)
{
	return syscall(__NR_vas_find, name);
}

static int vas_attach(pid_t pid, int vid, int type)
{
	return syscall(__NR_vas_attach, pid, vid, type);
}

static int vas_detach(pid_t pid, int vid)
{
	return syscall(__NR_vas_detach, pid, vid);
}

static int vas_switch(int vid)
{
	return syscall(__NR_vas_switch, vid);
}

static int active_vas(void)
{
	return syscall(__NR_active_vas);
}

/*
 * The data structure in the VAS: a header at the start of the VAS area, then
 * the nodes, handed out by a bump allocator.  The pointers are ordinary
 * pointers; they are valid in every process that switches into the VAS,
 * because the VAS is at the same address everywhere.
 */
#define ARENA_SIZE	(1024UL * 1024)
#define ARENA_MAGIC	0x5641532d64656d6fUL	/* "VAS-demo" */

struct node {
	struct node *left, *right;
	char word[24];
};

struct arena {
	unsigned long magic;
	struct node *root;
	unsigned long nodes;
	struct node pool[];
};

static struct arena *const arena = (struct arena *)VAS_AREA_START;

static const char * const words[] = {
	"mango", "apple", "quince", "fig", "banana", "pear", "cherry",
	"lemon", "date", "orange", "grape", "plum",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NWORDS ARRAY_SIZE(words)

static int failures;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Print one check and count it if it failed. */
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("   [%s] ", ok ? " ok " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += !ok;
	return ok;
}

/* The errno of a call that returned @ret, 0 if it succeeded. */
static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

/* "EBUSY" for EBUSY, "success" for 0. */
static const char *errname(int err)
{
	return err ? strerrorname_np(err) : "success";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The tree, used only by a thread that is switched into the VAS. */

static void tree_insert(const char *word)
{
	struct node **link = &arena->root;
	struct node *n;
	int cmp;

	while (*link) {
		cmp = strcmp(word, (*link)->word);
		if (!cmp)
			return;
		link = cmp < 0 ? &(*link)->left : &(*link)->right;
	}
	n = &arena->pool[arena->nodes++];
	n->left = NULL;
	n->right = NULL;
	snprintf(n->word, sizeof(n->word), "%s", word);
	*link = n;
}

static const struct node *tree_find(const char *word)
{
	const struct node *n = arena->root;
	int cmp;

	while (n && (cmp = strcmp(word, n->word)))
		n = cmp < 0 ? n->left : n->right;
	return n;
}

/* In-order walk into @out; returns the number of words, -1 if unsorted. */
static int tree_walk(const struct node *n, char *out, size_t size, const char **prev)
{
	int left, right;

	if (!n)
		return 0;
	left = tree_walk(n->left, out, size, prev);
	if (left < 0 || (*prev && strcmp(*prev, n->word) >= 0))
		return -1;
	*prev = n->word;
	if (out && strlen(out) + strlen(n->word) + 2 < size)
		strcat(strcat(out, " "), n->word);
	right = tree_walk(n->right, out, size, prev);
	return right < 0 ? -1 : left + 1 + right;
}

static int tree_count(char *out, size_t size)
{
	const char *prev = NULL;

	if (out)
		out[0] = '\0';
	return tree_walk(arena->root, out, size, &prev);
}

/* "Vas:" of /proc/self/task/@tid/status: the VAS that thread is in. */
static int task_vas(pid_t tid)
{
	char path[64], line[128];
	int vid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Vas: %d", &vid) == 1)
			break;
	fclose(f);
	return vid;
}

/* Print the lines of @path that contain @match (all lines if NULL). */
static bool show_file(const char *path, const char *match)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (match && !strstr(line, match))
			continue;
		printf("         %-28s %s", path, line);
		found = true;
	}
	fclose(f);
	return found;
}

/* Lines of the maps file @path that overlap the VAS area, or -1. */
static int maps_in_area(const char *path)
{
	unsigned long start, end;
	char line[512];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start < VAS_AREA_END && end > VAS_AREA_START)
			n++;
	fclose(f);
	return n;
}

/*
 * The builder: "vas-demo build VID".  Attaches the VAS, switches into it,
 * maps the arena and builds the tree, then exits without cleaning up: the
 * exit detaches the VAS, the tree stays in it.
 */
static int run_builder(int vid)
{
	char list[256];
	int n;

	if (vas_attach(0, vid, O_RDWR) || vas_switch(vid))
		return 1;
	if (mmap(arena, ARENA_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != arena)
		return 1;
	arena->magic = ARENA_MAGIC;
	for (n = 0; n < (int)NWORDS; n++)
		tree_insert(words[n]);
	n = tree_count(list, sizeof(list));
	check(n == (int)NWORDS, "builder (pid %d): %d words in the tree, root \"%s\" at %p",
	      getpid(), n, arena->root->word, (void *)arena->root);
	return n != (int)NWORDS;
}

/*
 * The reader: "vas-demo read VID".  Runs as another user, attaches the VAS
 * read-only and walks the tree.  Then it stays switched in and answers
 * look-ups for the parent: a word per line on stdin, "yes" or "no" per line
 * on fd 3, until its stdin is closed.
 */
static int run_reader(int vid)
{
	char list[256], word[32];
	int count, err;

	if (setgroups(0, NULL) ||
	    setresgid(READER_UID, READER_UID, READER_UID) ||
	    setresuid(READER_UID, READER_UID, READER_UID))
		return 1;
	err = err_of(vas_attach(0, vid, O_RDWR));
	check(err == EACCES, "reader (pid %d, uid %d): a read-write attach fails with %s",
	      getpid(), getuid(), errname(err));
	if (!check(vas_attach(0, vid, O_RDONLY) == 0 && vas_switch(vid) == 0,
		   "reader: attached read-only and switched in"))
		return 1;
	count = arena->magic == ARENA_MAGIC ? tree_count(list, sizeof(list)) : -1;
	check(count == (int)NWORDS, "reader: %d words, in order:%s", count, list);
	err = err_of(mprotect(arena, ARENA_SIZE, PROT_READ | PROT_WRITE));
	check(err == EACCES, "reader: mprotect() through a read-only attachment fails with %s",
	      errname(err));

	while (fgets(word, sizeof(word), stdin)) {
		word[strcspn(word, "\n")] = '\0';
		dprintf(3, "%s\n", tree_find(word) ? "yes" : "no");
	}
	vas_switch(0);
	return failures;
}

/* Run this program again as "vas-demo ROLE VID"; returns its pid. */
static pid_t run_role(const char *role, int vid, int in_fd, int answer_fd)
{
	char arg[16];
	pid_t pid;

	snprintf(arg, sizeof(arg), "%d", vid);
	pid = fork();
	if (pid == 0) {
		if (in_fd >= 0)
			dup2(in_fd, 0);
		if (answer_fd >= 0)
			dup2(answer_fd, 3);
		execl("/proc/self/exe", "vas-demo", role, arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_role(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Ask the reader (through its stdin) whether @word is in the tree. */
static bool reader_finds(FILE *to, FILE *from, const char *word)
{
	char answer[8] = "";

	fprintf(to, "%s\n", word);
	fflush(to);
	return fgets(answer, sizeof(answer), from) && !strcmp(answer, "yes\n");
}

/*
 * Steps 4 and 5: a thread that switches, driven by the main thread through
 * @phase.  Each phase is set by one side and awaited by the other.
 */
enum phase {
	START,
	INSIDE,		/* thread: switched in */
	ADD_WORD,	/* main: insert "kiwi" */
	WORD_ADDED,	/* thread: done */
	CYCLE,		/* main: switch out, then do the round trips */
	PARKED,		/* thread: round trips done, switched in again */
	RELEASE,	/* main: switch out and finish */
	FAILED,		/* thread: a switch failed */
};

struct switcher {
	int vid;
	atomic_int phase;
	atomic_int tid;
	int cycles_ok;		/* round trips that saw the whole tree */
};

static bool wait_phase(struct switcher *s, int phase)
{
	double end = now() + WAIT_SECONDS;

	while (atomic_load(&s->phase) != phase) {
		if (atomic_load(&s->phase) == FAILED || now() > end)
			return false;
		sched_yield();
	}
	return true;
}

static void *switcher_thread(void *arg)
{
	struct switcher *s = arg;
	int i;

	atomic_store(&s->tid, gettid());
	if (vas_switch(s->vid))
		goto failed;
	atomic_store(&s->phase, INSIDE);
	if (!wait_phase(s, ADD_WORD))
		goto failed;
	tree_insert("kiwi");
	atomic_store(&s->phase, WORD_ADDED);
	if (!wait_phase(s, CYCLE))
		goto failed;
	for (i = 0; i < SWITCHES; i++) {
		if (vas_switch(0) || vas_switch(s->vid))
			goto failed;
		s->cycles_ok += tree_count(NULL, 0) == (int)NWORDS + 1;
	}
	atomic_store(&s->phase, PARKED);
	if (!wait_phase(s, RELEASE) || vas_switch(0))
		goto failed;
	return NULL;
failed:
	atomic_store(&s->phase, FAILED);
	return NULL;
}

/* The errno of a one-byte write() from @buf into a pipe, 0 if it worked. */
static int write_errno(const void *buf)
{
	int fds[2], err;

	if (pipe(fds))
		return errno;
	err = err_of(write(fds[1], buf, 1));
	close(fds[0]);
	close(fds[1]);
	return err;
}

static void step_threads(int vid, FILE *to_reader, FILE *from_reader)
{
	struct switcher s = { .vid = vid };
	unsigned long image_work = 0;
	bool stayed_in_image = true;
	pthread_t thread;
	pid_t tid = 0;
	int err;

	say("\n4. Threads: one thread of this process switches into the VAS while the main");
	say("   thread keeps working in the process image.");
	check(vas_attach(0, vid, O_RDWR) == 0, "this process (pid %d) attached VAS %d read-write",
	      getpid(), vid);
	pthread_create(&thread, NULL, switcher_thread, &s);
	if (!check(wait_phase(&s, INSIDE), "a new thread switched into VAS %d", vid))
		goto out;
	tid = atomic_load(&s.tid);
	check(active_vas() == 0 && task_vas(gettid()) == 0 && task_vas(tid) == vid,
	      "/proc: the main thread is in the image (Vas: 0), thread %d in the VAS (Vas: %d)",
	      tid, task_vas(tid));
	err = write_errno(arena);
	check(err == EFAULT,
	      "%p is the tree for thread %d; for the main thread it is not mapped: write() fails with %s",
	      (void *)arena, tid, errname(err));

	atomic_store(&s.phase, ADD_WORD);
	check(wait_phase(&s, WORD_ADDED) && reader_finds(to_reader, from_reader, "kiwi"),
	      "thread %d added \"kiwi\"; the reader, attached all along, finds it at once", tid);

	say("\n   Thread %d switches out and in %d times; the main thread keeps counting.",
	    tid, SWITCHES);
	atomic_store(&s.phase, CYCLE);
	while (atomic_load(&s.phase) == CYCLE) {
		image_work++;
		stayed_in_image &= active_vas() == 0;
	}
	check(wait_phase(&s, PARKED) && s.cycles_ok == SWITCHES,
	      "%d of %d round trips found all %zu words", s.cycles_ok, SWITCHES, NWORDS + 1);
	check(image_work > 0 && stayed_in_image,
	      "meanwhile the main thread did %lu units of work, always in the image", image_work);

	say("\n5. The EBUSY rules, while thread %d is switched in.", tid);
	err = err_of(vas_detach(0, vid));
	check(err == EBUSY && task_vas(tid) == vid,
	      "vas_detach(this process) fails with %s; the thread is still in the VAS",
	      errname(err));
	err = err_of(vas_delete(vid));
	check(err == EBUSY && vas_find(DEMO_NAME) == vid,
	      "vas_delete fails with %s; the VAS is still there", errname(err));
	atomic_store(&s.phase, RELEASE);
out:
	pthread_join(thread, NULL);
	check(atomic_load(&s.phase) == RELEASE && task_vas(tid) <= 0,
	      "thread %d switched out and exited", tid);
	check(vas_detach(0, vid) == 0, "then vas_detach(this process) succeeds");
	err = err_of(vas_delete(vid));
	check(err == EBUSY, "vas_delete still fails with %s: the reader is attached",
	      errname(err));
}

static void step_admin(int vid, pid_t reader_pid)
{
	static const char * const files[] = { "name", "mode", "user", "group" };
	char path[64];
	unsigned int i;
	bool ok = true;

	say("\n6. What an administrator sees while the reader (pid %d) is attached.", reader_pid);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/vas/%d/%s", vid, files[i]);
		ok &= show_file(path, NULL);
	}
	check(ok, "/sys/kernel/vas/%d/ shows the VAS", vid);
	snprintf(path, sizeof(path), "/proc/%d/maps", reader_pid);
	check(maps_in_area(path) == 0,
	      "the reader's maps show nothing in the VAS area: VAS memory is the VAS's");
	snprintf(path, sizeof(path), "/proc/%d/status", reader_pid);
	check(show_file(path, "Vas:"), "the reader's thread is switched into VAS %d", vid);
}

static int demo_tour(void)
{
	int to_reader[2], answers[2];
	FILE *to, *from;
	pid_t pid, reader_pid;
	char path[64];
	int vid, rc, err;

	say("\n=== First-class virtual address spaces: a tour ===");
	say("\n1. A VAS is a named address space that belongs to no process.");
	vid = vas_find(DEMO_NAME);
	if (vid > 0)	/* left over by an interrupted run */
		vas_delete(vid);
	vid = vas_create(DEMO_NAME, 0644);
	if (!check(vid > 0, "vas_create(\"%s\", 0644) = %d", DEMO_NAME, vid))
		return 1;

	say("\n2. The builder, a separate program, attaches the VAS, switches into it and");
	say("   builds a binary search tree of plain pointers at %p. Then it exits.",
	    (void *)arena);
	pid = run_role("build", vid, -1, -1);
	rc = wait_role(pid);
	check(rc == 0, "builder (pid %d) exited with status %d", pid, rc);

	say("\n3. The reader, another program run as uid %d, attaches the VAS read-only,",
	    READER_UID);
	say("   switches in and follows the same pointers: no copy, no serialisation,");
	say("   and the builder is gone.");
	if (pipe2(to_reader, O_CLOEXEC) || pipe2(answers, O_CLOEXEC))
		return 1;
	reader_pid = run_role("read", vid, to_reader[0], answers[1]);
	close(to_reader[0]);
	close(answers[1]);
	to = fdopen(to_reader[1], "w");
	from = fdopen(answers[0], "r");
	check(!reader_finds(to, from, "kiwi") && reader_finds(to, from, "plum"),
	      "the reader finds \"plum\" and not \"kiwi\"");

	step_threads(vid, to, from);
	step_admin(vid, reader_pid);

	say("\n   The reader detaches by exiting; then the VAS can be deleted.");
	fclose(to);
	rc = wait_role(reader_pid);
	fclose(from);
	check(rc == 0, "reader (pid %d) exited with status %d", reader_pid, rc);
	check(vas_delete(vid) == 0, "vas_delete(%d) succeeds", vid);
	err = err_of(vas_find(DEMO_NAME));
	check(err == ENOENT, "the name is free again: vas_find fails with %s", errname(err));
	snprintf(path, sizeof(path), "/sys/kernel/vas/%d", vid);
	check(access(path, F_OK) == -1, "%s is gone", path);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (vas_find(DEMO_NAME) == -1 && errno == ENOSYS) {
		printf("This kernel has no VAS support (CONFIG_VAS=n).\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "build"))
		return run_builder(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "read"))
		return run_reader(atoi(argv[2]));

	if (demo_tour())
		failures++;
	printf("\n%s\n", failures ? "Demo FAILED." : "Demo finished: every step behaved.");
	return failures > 255 ? 255 : failures;
}
