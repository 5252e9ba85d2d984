// SPDX-License-Identifier: GPL-2.0-only
/*
 * First-class virtual address spaces (VAS).
 *
 * A VAS is a named address space that exists independently of any process.
 * It is a kernel object with an id, a unique name, an owner, a group and a
 * mode, and it owns a VAS mm: an mm_struct that no task runs in, which will
 * hold the VAS's memory.  A VAS lives until vas_delete(), not until its
 * creator exits.
 *
 * Objects are found through two tables, both protected by vas_mutex:
 * vas_ids (id -> VAS, an allocating xarray handing out ids cyclically from 1
 * so that a deleted id is not soon reused) and vas_names (a hash of names).
 * A VAS is in both tables or in neither.  Each VAS belongs to the IPC
 * namespace of its creator, and lookups see the caller's namespace only: ids
 * are unique in the system, names in a namespace.  Its reference count is the one of
 * its kobject; the tables hold the reference that vas_delete() drops.
 * kobject_del() waits for sysfs readers, so they need no reference.
 *
 * Attaching VAS V to process P creates an attachment mm A(P, V), the view:
 * an mm with its own top-level page table and arch context (ASID, cpumask,
 * TLB generation) and nothing else.  Its top-level entries, one per 512 GiB
 * slot, point at P's PUD tables outside the VAS area and at V's PUD tables
 * inside it.  Nothing is copied at attach and nothing is synchronised at
 * switch: P and V own every VMA, page, PTE and lock, and a view only
 * borrows their tables.  Owners keep their views current:
 *  - vas_owner_populated() and vas_owner_freed() mirror each change of an
 *    owner's top-level entries into its views, under the owner's
 *    page_table_lock;
 *  - vas_flush_views() and vas_tlbbatch_add_views() extend each TLB flush of
 *    an owner to its views, so a CPU that runs a view never keeps a stale
 *    translation of the owner's memory.
 * vas_switch() loads a view as the thread's active_mm; task->mm stays P.
 *
 * Lock order: vas_mutex, then vas->lock; vas_mutex, then an owner's
 * mmap_lock, then an owner's page_table_lock.
 * The fault, GUP, futex and TLB flush paths take none of these: they find
 * views through RCU lists and read task->vas of current.
 *
 * See Documentation/userspace-api/vas.rst and Documentation/mm/vas.rst.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/kobject.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_context.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/pgtable.h>
#include <linux/pgalloc.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/ptrace.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/syscalls.h>
#include <linux/sysctl.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>
#include <linux/userfaultfd_k.h>
#include <linux/workqueue.h>
#include <linux/vas.h>
#include <linux/xarray.h>
#include <xen/xen.h>
#include <asm/trap_pf.h>
#include <asm/tlbflush.h>

#include "internal.h"

/**
 * struct vas_owner - What an owner mm knows of the views of its tables.
 * @views: The &vas_link.node of the attachments whose views share this
 *         mm's tables: &vas_attachment.proc_link for a process mm,
 *         &vas_attachment.vas_link for a VAS mm.  Changed under vas_mutex,
 *         read under RCU.
 * @is_vas: Whether this is a VAS mm (owns the VAS area) or a process mm
 *          (owns everything else).  Immutable.
 *
 * mm->vas of a process mm or VAS mm points here once the mm has had a view.
 * It is set under vas_mutex (a process mm; a VAS mm's before anyone sees it)
 * and read under RCU: a process mm's vas_proc is freed after a grace period.
 */
struct vas_owner {
	struct list_head views;
	bool is_vas;
};

/**
 * struct vas_link - Entry of an attachment in the views of one owner.
 * @node: Entry in &vas_owner.views.
 * @att: The attachment.  Immutable.
 */
struct vas_link {
	struct list_head node;
	struct vas_attachment *att;
};

/**
 * struct vas_proc - VAS state of a process mm, its &mm_struct.vas.
 * @owner: The views of the process's tables: its attachments.
 * @nr_attached: Number of attached VASes, protected by vas_mutex.
 * @reserved: Whether the image must stay out of the VAS area: while
 *            @nr_attached is not zero.  Written under vas_mutex and the
 *            mm's mmap_lock for writing, read under its mmap_lock.
 * @rcu: Frees the structure after the mm's last RCU reader.
 *
 * Allocated at the first attach, freed when the mm's last user is gone.
 */
struct vas_proc {
	struct vas_owner owner;
	unsigned int nr_attached;
	bool reserved;
	struct rcu_head rcu;
};

/**
 * struct vas_attachment - VAS @vas attached to process mm @proc.
 * @vas: The VAS; the attachment holds a reference.
 * @vid: Id of @vas, for lookups under RCU.
 * @proc: The process mm, grabbed (mm_count, not mm_users).
 * @view: The attachment mm; the attachment holds its mm_users reference.
 * @own_p4d: With 5-level paging, the P4D table of @view for PGD entry 0,
 *           which @view owns; NULL with 4-level paging.
 * @proc_link: Entry in the views of @proc.
 * @vas_link: Entry in the views of the VAS mm.
 * @readonly: Whether the VAS is attached without write access.
 * @unlinked: Set when teardown begins, under each owner's page_table_lock:
 *            owners stop writing the view's entries.
 * @users: One plus the number of threads switched into the view while
 *         the attachment lives; zero once detach has begun, and then no
 *         thread may switch in.  Atomic, so that a switch takes no lock.
 * @free_work: Frees the view and the structure after a grace period,
 *             once no RCU reader of the owners' lists or of task->vas can
 *             see them.
 */
struct vas_attachment {
	struct vas *vas;
	int vid;
	struct mm_struct *proc;
	struct mm_struct *view;
	p4d_t *own_p4d;
	struct vas_link proc_link;
	struct vas_link vas_link;
	bool readonly;
	bool unlinked;
	atomic_t users;
	struct rcu_work free_work;
};

/**
 * struct vas - A first-class virtual address space.
 * @kobj: Directory /sys/kernel/vas/<id>/; its kref counts the references.
 * @id: Identifier, at least 1.  Immutable.
 * @mm: The VAS mm, owned by the VAS and freed with it, a grace period after
 *      release: vas_owner_locked_vm() reads it under RCU.  Immutable.
 * @owner: The views of @mm's tables; @mm->vas points here.
 * @nr_attached: Number of processes the VAS is attached to, protected by
 *               vas_mutex.
 * @name_node: Entry in vas_names, protected by vas_mutex.
 * @ucounts: The creator's count of VASes in its user namespace, charged
 *            from vas_publish() until vas_uncount(): at vas_unpublish(), or
 *            at release for a VAS that was still attached then.  Protected
 *            by vas_mutex while the VAS is in the tables.
 * @objcg: The memory cgroup of the creator, which pays for what kernel
 *         threads fault into @mm; NULL for the root cgroup.  Immutable.
 * @ns: The IPC namespace of the creator, whose names and ids the VAS is
 *      among.  Not a reference: vas_exit_ns() takes the VAS out of the
 *      tables before the namespace is freed, and @ns is used only while the
 *      VAS is in them.  Immutable.
 * @lock: Protects @mode, @uid and @gid; __vas_locked_vm() also reads @uid
 *        locklessly.
 * @mode: Access rights, a subset of %VAS_MODE_MASK.
 * @uid: Owner, also of what is locked in @mm (see __vas_locked_vm()).
 * @gid: Owning group.
 * @free_work: Frees the VAS after a grace period: RCU readers of @mm->vas
 *             (TLB flushes, vas_mm_memcg()) may still look at @owner and
 *             @objcg, and readers of vas_ids at @mm.
 * @name: NUL-terminated name, 1 to %VAS_NAME_MAX bytes.  Immutable.
 */
struct vas {
	struct kobject kobj;
	int id;
	struct mm_struct *mm;
	struct vas_owner owner;
	unsigned int nr_attached;
	struct hlist_node name_node;
	struct ucounts *ucounts;
	struct obj_cgroup *objcg;
	struct ipc_namespace *ns;
	struct mutex lock;	/* protects mode, uid and gid */
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	struct rcu_work free_work;
	char name[];
};

static DEFINE_MUTEX(vas_mutex);
static DEFINE_XARRAY_ALLOC1(vas_ids);
static u32 vas_next_id;
/*
 * VASes counted against vm.max_vas: those in the tables, and those that an
 * IPC namespace left behind attached.  Checked and raised under vas_mutex.
 */
static atomic_t vas_count = ATOMIC_INIT(0);
static unsigned int sysctl_max_vas = 32768;
static DEFINE_HASHTABLE(vas_names, 8);
static struct kset *vas_kset;

static struct vas *to_vas(struct kobject *kobj)
{
	return container_of(kobj, struct vas, kobj);
}

/* The IPC namespace whose VASes the calling task sees. */
static struct ipc_namespace *vas_current_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/*
 * sysfs: /sys/kernel/vas/<id>/{name,mode,user,group}, one line each, for the
 * VASes of the initial IPC namespace only.  sysfs is not namespaced: a reader
 * in another IPC namespace sees the directories, but reading gives -EACCES.
 * /proc/vas lists the VASes of the reader's namespace.
 */
static bool vas_sysfs_readable(void)
{
	return vas_current_ns() == &init_ipc_ns;
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	if (!vas_sysfs_readable())
		return -EACCES;
	return sysfs_emit(buf, "%s\n", to_vas(kobj)->name);
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct vas *vas = to_vas(kobj);
	umode_t mode;

	if (!vas_sysfs_readable())
		return -EACCES;
	mutex_lock(&vas->lock);
	mode = vas->mode;
	mutex_unlock(&vas->lock);
	return sysfs_emit(buf, "%04o\n", mode);
}

static ssize_t user_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct vas *vas = to_vas(kobj);
	kuid_t uid;

	if (!vas_sysfs_readable())
		return -EACCES;
	mutex_lock(&vas->lock);
	uid = vas->uid;
	mutex_unlock(&vas->lock);
	return sysfs_emit(buf, "%u\n", from_kuid_munged(current_user_ns(), uid));
}

static ssize_t group_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct vas *vas = to_vas(kobj);
	kgid_t gid;

	if (!vas_sysfs_readable())
		return -EACCES;
	mutex_lock(&vas->lock);
	gid = vas->gid;
	mutex_unlock(&vas->lock);
	return sysfs_emit(buf, "%u\n", from_kgid_munged(current_user_ns(), gid));
}

static struct kobj_attribute name_attribute = __ATTR_RO(name);
static struct kobj_attribute mode_attribute = __ATTR_RO(mode);
static struct kobj_attribute user_attribute = __ATTR_RO(user);
static struct kobj_attribute group_attribute = __ATTR_RO(group);

static struct attribute *vas_attrs[] = {
	&name_attribute.attr,
	&mode_attribute.attr,
	&user_attribute.attr,
	&group_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vas);

/* Give back what vas_publish() counted. */
static void vas_uncount(struct vas *vas)
{
	atomic_dec(&vas_count);
	dec_ucount(vas->ucounts, UCOUNT_VAS);
	vas->ucounts = NULL;
}

static void vas_free_work(struct work_struct *work)
{
	struct vas *vas = container_of(to_rcu_work(work), struct vas,
				       free_work);

	mmput(vas->mm);
	obj_cgroup_put(vas->objcg);
	mutex_destroy(&vas->lock);
	kfree(vas);
}

static void vas_release(struct kobject *kobj)
{
	struct vas *vas = to_vas(kobj);

	if (vas->ucounts)
		vas_uncount(vas);
	INIT_RCU_WORK(&vas->free_work, vas_free_work);
	queue_rcu_work(system_wq, &vas->free_work);
}

static const struct kobj_type vas_ktype = {
	.release	= vas_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vas_groups,
};

/*
 * An mm that no task runs in.  mm_alloc() fills it from the caller: the
 * caller becomes its memcg owner, which would dangle once the caller exits,
 * and the caller's mm flags (THP, KSM, MDWE, dump filter) and default VMA
 * flags are inherited.  A VAS must not depend on who created it.
 */
static struct mm_struct *vas_mm_alloc(void)
{
	struct mm_struct *mm = mm_alloc();

	if (!mm)
		return NULL;
#ifdef CONFIG_MEMCG
	mm->owner = NULL;
#endif
	mm->flags = MMF_DUMP_FILTER_DEFAULT;
	mm->def_flags = 0;
	return mm;
}

#ifdef CONFIG_MEMCG
/*
 * Who pays for VAS memory: the task that faults it in, with the memory cgroup
 * that pays for its own memory (its mm owner's), as for tmpfs pages.  So a
 * container's memory.max bounds what its tasks put into any VAS, and the
 * cgroup whose limit a fault meets holds the faulting task, which its OOM
 * killer can kill.  Kernel threads (khugepaged's collapses) fault for no task:
 * they charge the cgroup of the VAS's creator, kept as an obj_cgroup, which
 * moves to the parent when that cgroup is removed.
 */
static void vas_charge_creator(struct vas *vas)
{
	vas->objcg = get_obj_cgroup_from_current();
}

/**
 * vas_mm_memcg - The memory cgroup that pays for memory of a VAS mm
 * @mm: An mm without an owner task.
 *
 * A VAS mm has no owner task to take a memory cgroup from.  A user task that
 * charges memory of a VAS mm pays with the cgroup of its own mm, a kernel
 * thread with the cgroup of the VAS's creator.  The caller holds
 * rcu_read_lock(), which keeps the VAS (freed after a grace period) and the
 * cgroup, and takes its own reference to the cgroup.
 *
 * Return: that memory cgroup, or NULL if @mm is not a VAS mm or the cgroup
 * is the root.
 */
struct mem_cgroup *vas_mm_memcg(struct mm_struct *mm)
{
	struct vas_owner *owner = rcu_dereference(mm->vas);
	struct obj_cgroup *objcg;

	if (!owner || !owner->is_vas)
		return NULL;
	if (current->mm && !(current->flags & PF_KTHREAD))
		return mem_cgroup_from_task(rcu_dereference(current->mm->owner));
	objcg = container_of(owner, struct vas, owner)->objcg;
	return objcg ? obj_cgroup_memcg(objcg) : NULL;
}
#else
static void vas_charge_creator(struct vas *vas)
{
}
#endif

static struct vas *vas_alloc(const char *name, unsigned int mode)
{
	size_t len = strlen(name);
	struct vas *vas;

	vas = kzalloc(struct_size(vas, name, len + 1), GFP_KERNEL_ACCOUNT);
	if (!vas)
		return NULL;
	vas->mm = vas_mm_alloc();
	if (!vas->mm) {
		kfree(vas);
		return NULL;
	}
	INIT_LIST_HEAD(&vas->owner.views);
	vas->owner.is_vas = true;
	RCU_INIT_POINTER(vas->mm->vas, &vas->owner);
	kobject_init(&vas->kobj, &vas_ktype);
	mutex_init(&vas->lock);
	vas->mode = mode;
	vas->uid = current_fsuid();
	vas->gid = current_fsgid();
	vas->ns = vas_current_ns();
	vas_charge_creator(vas);
	memcpy(vas->name, name, len + 1);
	return vas;
}

/*
 * Copy a VAS name from user memory, once, into a buffer of VAS_NAME_MAX + 1
 * bytes.  Names are 1 to VAS_NAME_MAX bytes long; '/' is reserved and
 * control characters are refused, so that a name is one line in sysfs.
 */
static int vas_copy_name(char *buf, const char __user *uname)
{
	long len = strncpy_from_user(buf, uname, VAS_NAME_MAX + 1);
	long i;

	if (len < 0)
		return len;
	if (len > VAS_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (buf[i] == '/' || (u8)buf[i] < ' ' || buf[i] == 0x7f)
			return -EINVAL;
	return 0;
}

static u32 vas_name_hash(struct ipc_namespace *ns, const char *name)
{
	return full_name_hash(ns, name, strlen(name));
}

static struct vas *vas_find_name(struct ipc_namespace *ns, const char *name)
{
	struct vas *vas;

	lockdep_assert_held(&vas_mutex);
	hash_for_each_possible(vas_names, vas, name_node,
			       vas_name_hash(ns, name))
		if (vas->ns == ns && !strcmp(vas->name, name))
			return vas;
	return NULL;
}

/* VAS @vid, if it is in the caller's IPC namespace. */
static struct vas *vas_find_id(int vid)
{
	struct vas *vas;

	lockdep_assert_held(&vas_mutex);
	vas = xa_load(&vas_ids, vid);
	return vas && vas->ns == vas_current_ns() ? vas : NULL;
}

/* Whether @vas has a directory in sysfs: see vas_sysfs_readable(). */
static bool vas_in_sysfs(struct vas *vas)
{
	return vas->ns == &init_ipc_ns;
}

/*
 * Enter @vas into the tables and sysfs, and count it against vm.max_vas and
 * the creator's user.max_vas.  On error the caller still owns it.
 */
static int vas_publish(struct vas *vas)
{
	struct ucounts *ucounts;
	u32 id;
	int err;

	lockdep_assert_held(&vas_mutex);
	if (vas_find_name(vas->ns, vas->name))
		return -EEXIST;
	if (atomic_read(&vas_count) >= READ_ONCE(sysctl_max_vas))
		return -ENOSPC;
	ucounts = inc_ucount(current_user_ns(), current_euid(), UCOUNT_VAS);
	if (!ucounts)
		return -ENOSPC;
	err = xa_alloc_cyclic(&vas_ids, &id, vas, XA_LIMIT(1, INT_MAX),
			      &vas_next_id, GFP_KERNEL);
	if (err < 0) {
		err = err == -EBUSY ? -ENOSPC : err;
		goto out_ucount;
	}
	vas->id = id;
	if (vas_in_sysfs(vas)) {
		vas->kobj.kset = vas_kset;
		err = kobject_add(&vas->kobj, NULL, "%d", vas->id);
		if (err)
			goto out_id;
		kobject_uevent(&vas->kobj, KOBJ_ADD);
	}
	vas->ucounts = ucounts;
	atomic_inc(&vas_count);
	hash_add(vas_names, &vas->name_node, vas_name_hash(vas->ns, vas->name));
	return 0;

out_id:
	xa_erase(&vas_ids, vas->id);
out_ucount:
	dec_ucount(ucounts, UCOUNT_VAS);
	return err;
}

/* Take @vas out of the tables and sysfs; the caller drops the tables' reference. */
static void vas_unpublish(struct vas *vas)
{
	lockdep_assert_held(&vas_mutex);
	hash_del(&vas->name_node);
	xa_erase(&vas_ids, vas->id);
	if (vas_in_sysfs(vas))
		kobject_del(&vas->kobj);
	/*
	 * A VAS that its IPC namespace leaves attached keeps its count until
	 * release: the count limits what exists, not what has a name.
	 */
	if (!vas->nr_attached)
		vas_uncount(vas);
}

/*
 * Whether the caller has @cap in the user namespace that owns the VAS's IPC
 * namespace, as for System V IPC objects.
 */
static bool vas_capable(struct vas *vas, int cap)
{
	return ns_capable(vas->ns->user_ns, cap);
}

/*
 * File-like access check of the caller's fs credentials against the mode.
 * CAP_DAC_OVERRIDE grants everything, CAP_DAC_READ_SEARCH grants reading.
 */
static int vas_permission(struct vas *vas, int mask)
{
	umode_t mode = vas->mode;

	lockdep_assert_held(&vas->lock);
	if (uid_eq(current_fsuid(), vas->uid))
		mode >>= 6;
	else if (in_group_p(vas->gid))
		mode >>= 3;
	if (!(mask & ~mode & (MAY_READ | MAY_WRITE)))
		return 0;
	if (vas_capable(vas, CAP_DAC_OVERRIDE))
		return 0;
	if (!(mask & MAY_WRITE) && vas_capable(vas, CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}

/* VAS @vid if the caller has access @mask to it; under vas_mutex. */
static struct vas *vas_find_permitted(int vid, int mask)
{
	struct vas *vas = vas_find_id(vid);
	int err;

	if (!vas)
		return ERR_PTR(-ENOENT);
	mutex_lock(&vas->lock);
	err = vas_permission(vas, mask);
	mutex_unlock(&vas->lock);
	return err ? ERR_PTR(err) : vas;
}

/**
 * sys_vas_create - Create a VAS.
 * @name: Name of the new VAS: 1 to %VAS_NAME_MAX bytes, no '/', no control
 *        characters.
 * @mode: Access rights, a subset of %VAS_MODE_MASK.
 *
 * The caller's fs user and group own the new VAS.  It lives until
 * vas_delete(), counts against the caller's user.max_vas (by effective uid)
 * until then, and its memory is charged to the caller's memory cgroup.
 *
 * Return: the id of the new VAS (at least 1), or
 * -%EFAULT if @name cannot be read;
 * -%EINVAL if @name is empty or contains '/' or a control character, or
 * @mode has bits outside %VAS_MODE_MASK;
 * -%ENAMETOOLONG if @name is longer than %VAS_NAME_MAX bytes;
 * -%EEXIST if a VAS of that name exists;
 * -%ENOSPC if vm.max_vas VASes exist, if the caller's user has created
 * user.max_vas VASes in its user namespace or an ancestor's, or if no id is
 * free;
 * -%EOPNOTSUPP under Xen PV;
 * -%ENOMEM.
 */
SYSCALL_DEFINE2(vas_create, const char __user *, name, unsigned int, mode)
{
	struct vas *vas;
	char *buf;
	int err;

	/* Xen PV pins each mm's own page tables: a view cannot borrow them. */
	if (xen_pv_domain())
		return -EOPNOTSUPP;
	if (mode & ~VAS_MODE_MASK)
		return -EINVAL;
	if (!vas_kset)
		return -ENOMEM;
	buf = kmalloc(VAS_NAME_MAX + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = vas_copy_name(buf, name);
	if (err)
		goto out;
	vas = vas_alloc(buf, mode);
	if (!vas) {
		err = -ENOMEM;
		goto out;
	}

	/*
	 * Once published, a concurrent vas_delete() may free the VAS: read its
	 * id before dropping the lock.
	 */
	mutex_lock(&vas_mutex);
	err = vas_publish(vas);
	if (!err)
		err = vas->id;
	mutex_unlock(&vas_mutex);
	if (err < 0)
		kobject_put(&vas->kobj);
out:
	kfree(buf);
	return err;
}

/**
 * sys_vas_delete - Delete a VAS.
 * @vid: Id of the VAS.
 *
 * Removes the VAS from the name and id tables and from sysfs, and frees it
 * with its VAS mm once the last reference is gone: detaches that returned
 * just before may still hold one until their views are freed after a grace
 * period.
 *
 * Return: 0, or
 * -%EINVAL if @vid is not positive;
 * -%ENOENT if there is no VAS @vid;
 * -%EACCES if the caller may not write to the VAS;
 * -%EBUSY if the VAS is attached to a process.
 */
SYSCALL_DEFINE1(vas_delete, int, vid)
{
	struct vas *vas;
	int err;

	if (vid <= 0)
		return -EINVAL;

	mutex_lock(&vas_mutex);
	vas = vas_find_permitted(vid, MAY_WRITE);
	err = PTR_ERR_OR_ZERO(vas);
	if (!err && vas->nr_attached)
		err = -EBUSY;
	if (err)
		goto out;
	vas_unpublish(vas);
out:
	mutex_unlock(&vas_mutex);
	if (!err)
		kobject_put(&vas->kobj);
	return err;
}

/**
 * sys_vas_find - Look up a VAS by name.
 * @name: Name of the VAS.
 *
 * Return: the id of the VAS, or
 * -%EFAULT if @name cannot be read;
 * -%EINVAL if @name is empty or contains '/' or a control character;
 * -%ENAMETOOLONG if @name is longer than %VAS_NAME_MAX bytes;
 * -%ENOENT if there is no VAS of that name;
 * -%ENOMEM.
 */
SYSCALL_DEFINE1(vas_find, const char __user *, name)
{
	struct vas *vas;
	char *buf;
	int err;

	buf = kmalloc(VAS_NAME_MAX + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = vas_copy_name(buf, name);
	if (err)
		goto out;

	mutex_lock(&vas_mutex);
	vas = vas_find_name(vas_current_ns(), buf);
	err = vas ? vas->id : -ENOENT;
	mutex_unlock(&vas_mutex);
out:
	kfree(buf);
	return err;
}

/**
 * sys_vas_getattr - Read the attributes of a VAS.
 * @vid: Id of the VAS.
 * @uattr: Where to store the attributes.
 *
 * The owner and group are translated into the caller's user namespace.
 *
 * Return: 0, or
 * -%EINVAL if @vid is not positive;
 * -%ENOENT if there is no VAS @vid;
 * -%EFAULT if @uattr cannot be written.
 */
SYSCALL_DEFINE2(vas_getattr, int, vid, struct vas_attr __user *, uattr)
{
	struct user_namespace *ns = current_user_ns();
	struct vas_attr attr;
	struct vas *vas;

	if (vid <= 0)
		return -EINVAL;

	mutex_lock(&vas_mutex);
	vas = vas_find_id(vid);
	if (vas) {
		mutex_lock(&vas->lock);
		attr.mode = vas->mode;
		attr.user = from_kuid_munged(ns, vas->uid);
		attr.group = from_kgid_munged(ns, vas->gid);
		mutex_unlock(&vas->lock);
	}
	mutex_unlock(&vas_mutex);
	if (!vas)
		return -ENOENT;

	if (copy_to_user(uattr, &attr, sizeof(attr)))
		return -EFAULT;
	return 0;
}

/*
 * The rules of chmod(2) and chown(2): the owner or CAP_FOWNER may change the
 * mode; changing the owner needs CAP_CHOWN; the owner may give the VAS to a
 * group it is a member of, anything else needs CAP_CHOWN.
 */
static int vas_may_setattr(struct vas *vas, kuid_t uid, kgid_t gid)
{
	bool owner = uid_eq(current_fsuid(), vas->uid);

	lockdep_assert_held(&vas->lock);
	if (!owner && !vas_capable(vas, CAP_FOWNER))
		return -EPERM;
	if (!uid_eq(uid, vas->uid) && !vas_capable(vas, CAP_CHOWN))
		return -EPERM;
	if (!gid_eq(gid, vas->gid) && !(owner && in_group_p(gid)) &&
	    !vas_capable(vas, CAP_CHOWN))
		return -EPERM;
	return 0;
}

/**
 * sys_vas_setattr - Change the attributes of a VAS.
 * @vid: Id of the VAS.
 * @uattr: The new attributes.  &vas_attr.user and &vas_attr.group may be
 *         %VAS_ATTR_UNCHANGED.
 *
 * Follows chmod(2) and chown(2): the caller must own the VAS or have
 * CAP_FOWNER; changing the owner needs CAP_CHOWN; changing the group needs
 * CAP_CHOWN unless the caller owns the VAS and is a member of the new group.
 * Either every attribute changes or none does.
 *
 * Return: 0, or
 * -%EINVAL if @vid is not positive, the mode has bits outside
 * %VAS_MODE_MASK, or the user or group has no mapping in the caller's user
 * namespace;
 * -%EFAULT if @uattr cannot be read;
 * -%ENOENT if there is no VAS @vid;
 * -%EPERM if the caller may not make the change.
 */
SYSCALL_DEFINE2(vas_setattr, int, vid, const struct vas_attr __user *, uattr)
{
	struct user_namespace *ns = current_user_ns();
	struct vas_attr attr;
	struct vas *vas;
	kuid_t uid;
	kgid_t gid;
	int err;

	if (vid <= 0)
		return -EINVAL;
	if (copy_from_user(&attr, uattr, sizeof(attr)))
		return -EFAULT;
	if (attr.mode & ~VAS_MODE_MASK)
		return -EINVAL;
	uid = make_kuid(ns, attr.user);
	gid = make_kgid(ns, attr.group);
	if ((attr.user != VAS_ATTR_UNCHANGED && !uid_valid(uid)) ||
	    (attr.group != VAS_ATTR_UNCHANGED && !gid_valid(gid)))
		return -EINVAL;

	mutex_lock(&vas_mutex);
	vas = vas_find_id(vid);
	if (!vas) {
		err = -ENOENT;
		goto out;
	}
	mutex_lock(&vas->lock);
	if (attr.user == VAS_ATTR_UNCHANGED)
		uid = vas->uid;
	if (attr.group == VAS_ATTR_UNCHANGED)
		gid = vas->gid;
	err = vas_may_setattr(vas, uid, gid);
	if (!err) {
		vas->mode = attr.mode;
		WRITE_ONCE(vas->uid, uid);
		vas->gid = gid;
	}
	mutex_unlock(&vas->lock);
out:
	mutex_unlock(&vas_mutex);
	return err;
}

/* Attachment mms and their top-level entries. */

static bool vas_addr_in_area(unsigned long addr)
{
	return addr >= VAS_AREA_START && addr < VAS_AREA_END;
}

/*
 * The user half of the top-level table, in steps of one entry: slots of
 * 512 GiB with 4-level paging; with 5-level paging slots inside PGD entry 0,
 * which the view owns, then whole PGD entries, which it shares.
 */
static unsigned long vas_entry_size(unsigned long addr)
{
	if (pgtable_l5_enabled() && pgd_index(addr))
		return PGDIR_SIZE;
	return VAS_SLOT_SIZE;
}

/*
 * Clear a PGD entry of a view with 5-level paging; pgd_clear() is a
 * conditional expression that sparse rejects as a statement.
 */
static void vas_pgd_clear(pgd_t *pgd)
{
	set_pgd(pgd, __pgd(0));
}

/*
 * Make the view's entry for @addr what the owner's entry says: the owner's
 * table, read-only for a read-only attachment of VAS memory, or nothing.
 * The caller holds the owner's page_table_lock.
 */
static void vas_sync_entry(struct vas_attachment *att, struct mm_struct *owner,
			   unsigned long addr)
{
	pgd_t *opgd = pgd_offset(owner, addr);
	pgd_t *vpgd = pgd_offset(att->view, addr);
	pteval_t prot = _PAGE_TABLE;
	p4d_t *op4d, *vp4d;

	lockdep_assert_held(&owner->page_table_lock);
	if (READ_ONCE(att->unlinked))
		return;
	if (pgtable_l5_enabled() && pgd_index(addr)) {
		if (pgd_present(*opgd))
			set_pgd(vpgd, __pgd(_PAGE_TABLE |
					    __pa(pgd_page_vaddr(*opgd))));
		else
			vas_pgd_clear(vpgd);
		return;
	}
	vp4d = p4d_offset(vpgd, addr);
	op4d = pgd_none(*opgd) ? NULL : p4d_offset(opgd, addr);
	if (!op4d || !p4d_present(*op4d)) {
		p4d_clear(vp4d);
		return;
	}
	if (att->readonly && owner != att->proc)
		prot &= ~_PAGE_RW;
	set_p4d(vp4d, __p4d(prot | __pa(p4d_pgtable(*op4d))));
}

/* Whether the owner @owner provides the view's entry for @addr. */
static bool vas_owns(struct vas_owner *owner, unsigned long addr)
{
	return owner->is_vas == vas_addr_in_area(addr);
}

/* Mirror the owner's entry for @addr into all its views. */
static void vas_sync_views(struct mm_struct *mm, unsigned long addr)
{
	struct vas_owner *owner;
	struct vas_link *link;

	rcu_read_lock();
	owner = rcu_dereference(mm->vas);
	if (owner && vas_owns(owner, addr))
		list_for_each_entry_rcu(link, &owner->views, node)
			vas_sync_entry(link->att, mm, addr);
	rcu_read_unlock();
}

/**
 * __vas_owner_populated - Link a new owner table into the views.
 * @mm: The owner mm, with its page_table_lock held.
 * @addr: An address that the new table maps.
 *
 * Called from __p4d_alloc() and __pud_alloc() after they populated the
 * owner's entry.
 */
void __vas_owner_populated(struct mm_struct *mm, unsigned long addr)
{
	vas_sync_views(mm, addr);
}

/**
 * __vas_owner_freed - Unlink an owner table that is being freed.
 * @mm: The owner mm.
 * @addr: An address that the table mapped.
 *
 * Called from free_pud_range() and free_p4d_range() after they cleared the
 * owner's entry and before the table goes to the mmu_gather.  No fault can
 * populate that entry meanwhile: the owner has no VMA left there and holds
 * its mmap_lock.
 */
void __vas_owner_freed(struct mm_struct *mm, unsigned long addr)
{
	spin_lock(&mm->page_table_lock);
	vas_sync_views(mm, addr);
	spin_unlock(&mm->page_table_lock);
}

/**
 * __vas_flush_views - Flush the views of an owner mm.
 * @mm: The owner mm, just flushed by flush_tlb_mm_range().
 * @start: Start of the range.
 * @end: End of the range, or %TLB_FLUSH_ALL.
 * @stride_shift: Page size of the flush, as a shift.
 * @freed_tables: Whether page tables were freed.
 *
 * A CPU that runs a view is in the view's cpumask, not the owner's, and a
 * CPU that keeps the view's ASID has its TLB generation to compare: each
 * view is flushed under its own identity.  Views have no views, so this
 * recurses once.
 */
void __vas_flush_views(struct mm_struct *mm, unsigned long start,
		       unsigned long end, unsigned int stride_shift,
		       bool freed_tables)
{
	struct vas_owner *owner;
	struct vas_link *link;

	/*
	 * The OOM reaper and process_mrelease() flush a dying mm preemptibly,
	 * while __vas_mm_exit() may free its vas_proc: look it up under RCU.
	 */
	rcu_read_lock();
	owner = rcu_dereference(mm->vas);
	if (owner)
		list_for_each_entry_rcu(link, &owner->views, node)
			flush_tlb_mm_range(link->att->view, start, end,
					   stride_shift, freed_tables);
	rcu_read_unlock();
}

/**
 * __vas_tlbbatch_add_views - Add the views of @mm to a deferred flush.
 * @batch: The batch of reclaim or migration.
 * @mm: The owner mm whose PTE was cleared.
 *
 * arch_tlbbatch_flush() flushes every CPU of @batch whose loaded mm is
 * behind its TLB generation: bump each view's generation and add its CPUs.
 * Runs under a page table lock: RCU only.
 */
void __vas_tlbbatch_add_views(struct arch_tlbflush_unmap_batch *batch,
			      struct mm_struct *mm)
{
	struct vas_owner *owner;
	struct mm_struct *view;
	struct vas_link *link;

	rcu_read_lock();
	owner = rcu_dereference(mm->vas);
	if (owner) {
		list_for_each_entry_rcu(link, &owner->views, node) {
			view = link->att->view;
			inc_mm_tlb_gen(view);
			cpumask_or(&batch->cpumask, &batch->cpumask,
				   mm_cpumask(view));
		}
	}
	rcu_read_unlock();
}

/*
 * A new attachment mm: its own top-level table and context, no VMAs, no
 * tables below the top level except, with 5-level paging, the P4D table for
 * PGD entry 0, where VAS slots and image slots meet.
 */
static int vas_view_alloc(struct vas_attachment *att)
{
	struct mm_struct *view = vas_mm_alloc();

	if (!view)
		return -ENOMEM;
	if (pgtable_l5_enabled()) {
		att->own_p4d = p4d_alloc_one(view, 0);
		if (!att->own_p4d) {
			mmput(view);
			return -ENOMEM;
		}
		pgd_populate(view, pgd_offset(view, 0), att->own_p4d);
	}
	paravirt_enter_mmap(view);
	att->view = view;
	return 0;
}

/*
 * Free a view whose entries are clear: its own P4D table once no CPU can
 * cache it, then the mm (lazy TLB references may keep the mm_struct).
 */
static void vas_view_free(struct vas_attachment *att)
{
	if (att->own_p4d) {
		vas_pgd_clear(pgd_offset(att->view, 0));
		flush_tlb_mm_range(att->view, 0, TLB_FLUSH_ALL, PAGE_SHIFT,
				   true);
		p4d_free(att->view, att->own_p4d);
	}
	mmput(att->view);
}

/* Link every present entry of each owner into the new, published view. */
static void vas_view_link(struct vas_attachment *att)
{
	struct mm_struct *vmm = att->vas->mm;
	unsigned long addr;

	spin_lock(&att->proc->page_table_lock);
	for (addr = 0; addr < TASK_SIZE_MAX; addr += vas_entry_size(addr))
		if (!vas_addr_in_area(addr))
			vas_sync_entry(att, att->proc, addr);
	spin_unlock(&att->proc->page_table_lock);

	spin_lock(&vmm->page_table_lock);
	for (addr = VAS_AREA_START; addr < VAS_AREA_END; addr += VAS_SLOT_SIZE)
		vas_sync_entry(att, vmm, addr);
	spin_unlock(&vmm->page_table_lock);
}

/* Clear every entry of the view; owners stop writing it. */
static void vas_view_unlink(struct vas_attachment *att)
{
	struct mm_struct *vmm = att->vas->mm;
	unsigned long addr;

	spin_lock(&att->proc->page_table_lock);
	WRITE_ONCE(att->unlinked, true);
	for (addr = 0; addr < TASK_SIZE_MAX; addr += vas_entry_size(addr)) {
		if (vas_entry_size(addr) == PGDIR_SIZE)
			vas_pgd_clear(pgd_offset(att->view, addr));
		else if (!vas_addr_in_area(addr))
			p4d_clear(p4d_offset(pgd_offset(att->view, addr), addr));
	}
	spin_unlock(&att->proc->page_table_lock);

	spin_lock(&vmm->page_table_lock);
	for (addr = VAS_AREA_START; addr < VAS_AREA_END; addr += VAS_SLOT_SIZE)
		p4d_clear(p4d_offset(pgd_offset(att->view, addr), addr));
	spin_unlock(&vmm->page_table_lock);
}

/* After a grace period: no owner hook or flush walks the view any more. */
static void vas_attachment_free_work(struct work_struct *work)
{
	struct vas_attachment *att = container_of(to_rcu_work(work),
						  struct vas_attachment,
						  free_work);

	vas_view_free(att);
	mmdrop(att->proc);
	kobject_put(&att->vas->kobj);
	kfree(att);
}

/*
 * Tear down an attachment whose view no thread runs.  The view's entries
 * go first, then its TLB, including lazy CPUs (freed_tables), and only
 * then is it unlinked from the owners' lists, so that no owner flush misses
 * a CPU that could still walk the owner's tables through it.  The view and
 * the attachment are freed after a grace period, by a work item: detach
 * does not wait for it.  Called under vas_mutex.
 */
static void vas_attachment_destroy(struct vas_attachment *att)
{
	lockdep_assert_held(&vas_mutex);
	vas_view_unlink(att);
	flush_tlb_mm_range(att->view, 0, TLB_FLUSH_ALL, PAGE_SHIFT, true);
	list_del_rcu(&att->proc_link.node);
	list_del_rcu(&att->vas_link.node);
	att->vas->nr_attached--;
	INIT_RCU_WORK(&att->free_work, vas_attachment_free_work);
	queue_rcu_work(system_wq, &att->free_work);
}

/*
 * The view runs the process's code: give it the process's tagged-address
 * setup, which the first attach has locked (see vas_reserve()).
 */
static void vas_view_lam(struct vas_attachment *att)
{
#ifdef CONFIG_ADDRESS_MASKING
	att->view->context.lam_cr3_mask = att->proc->context.lam_cr3_mask;
	att->view->context.untag_mask = att->proc->context.untag_mask;
#endif
}

/*
 * Reserve the VAS area for the VASes of process mm @mm, the first time one
 * is attached: from now on, the image can map nothing there (see
 * vas_image_conflict()).  Publishes @proc as mm->vas under the mmap_lock
 * that the image's mmap() takes, so that no mapping can slip in.  Once it
 * is reserved, the process can no longer change its tagged-address (LAM)
 * setup, which its views copy; LAM is enabled under the same mmap lock.
 * Fails with -EADDRINUSE if the image maps anything in the area, and then
 * changes nothing.
 */
static int vas_reserve(struct mm_struct *mm, struct vas_proc *proc)
{
	mmap_assert_write_locked(mm);
	if (find_vma_intersection(mm, VAS_AREA_START, VAS_AREA_END))
		return -EADDRINUSE;
	WRITE_ONCE(proc->reserved, true);
	/* Readers follow mm->vas under RCU: publish it initialised. */
	if (!rcu_access_pointer(mm->vas))
		rcu_assign_pointer(mm->vas, &proc->owner);
#ifdef CONFIG_ADDRESS_MASKING
	set_bit(MM_CONTEXT_LOCK_LAM, &mm->context.flags);
#endif
	return 0;
}

/**
 * __vas_area_reserved - Whether a process image stays out of the VAS area.
 * @mm: An mm whose mmap_lock is held; mm->vas is set.
 *
 * Return: true if @mm is a process mm with a VAS attached.
 */
bool __vas_area_reserved(struct mm_struct *mm)
{
	/* Once set, mm->vas stays until @mm is freed. */
	struct vas_owner *owner = rcu_dereference_raw(mm->vas);

	mmap_assert_locked(mm);
	if (owner->is_vas)
		return false;
	return READ_ONCE(container_of(owner, struct vas_proc, owner)->reserved);
}

/* More pages than any RLIMIT_MEMLOCK allows. */
#define VAS_LOCK_REFUSED	(ULONG_MAX >> PAGE_SHIFT)

/* Pages locked in the VASes that @uid owns, other than in @skip. */
static unsigned long vas_owner_locked_vm(kuid_t uid, struct vas *skip)
{
	unsigned long locked = 0, id;
	struct vas *vas;

	rcu_read_lock();
	xa_for_each(&vas_ids, id, vas)
		if (vas != skip && uid_eq(READ_ONCE(vas->uid), uid))
			locked += READ_ONCE(vas->mm->locked_vm);
	rcu_read_unlock();
	return locked;
}

/**
 * __vas_locked_vm - What RLIMIT_MEMLOCK counts for a lock in an mm.
 * @mm: The mm that mlock() or a locked mapping acts on, write-locked;
 *      mm->vas is set.
 *
 * Memory locked in a VAS is its owner's, as a SysV segment that SHM_LOCK
 * locks is: the owner may lock in all its VASes together what its
 * RLIMIT_MEMLOCK allows, and nobody else may lock a VAS's memory without
 * %CAP_IPC_LOCK, whatever its limit.  The count is taken at the time of
 * the lock; the callers check %CAP_IPC_LOCK.
 *
 * Return: for a process mm, its locked pages; for a VAS mm, the pages
 * locked in every VAS of the VAS's owner if the caller is the owner,
 * else more than any limit.
 */
unsigned long __vas_locked_vm(struct mm_struct *mm)
{
	/* Once set, mm->vas stays until @mm is freed. */
	struct vas_owner *owner = rcu_dereference_raw(mm->vas);
	struct vas *vas;
	kuid_t uid;

	mmap_assert_write_locked(mm);
	if (!owner->is_vas)
		return mm->locked_vm;
	vas = container_of(owner, struct vas, owner);
	uid = READ_ONCE(vas->uid);
	if (!uid_eq(current_fsuid(), uid))
		return VAS_LOCK_REFUSED;
	return mm->locked_vm + vas_owner_locked_vm(uid, vas);
}

/**
 * vas_unmapped_area - Search again, outside the VAS area.
 * @info: A search of the process image that found a gap in the VAS area.
 *
 * A top-down search finds the highest gap that fits: if it lies in the VAS
 * area, none fits above the area, so the search continues below it; a
 * bottom-up search continues above it for the same reason.
 *
 * Return: an address outside the VAS area, or -%ENOMEM.
 */
unsigned long vas_unmapped_area(struct vm_unmapped_area_info *info)
{
	struct vm_unmapped_area_info outside = *info;

	if (info->flags & VM_UNMAPPED_AREA_TOPDOWN)
		outside.high_limit = min(info->high_limit, VAS_AREA_START);
	else
		outside.low_limit = max(info->low_limit, VAS_AREA_END);
	return vm_unmapped_area(&outside);
}

/*
 * The VAS state of a process mm, under vas_mutex: the published one, or a
 * new one that vas_attach_mm() publishes in mm->vas only once the attach
 * can no longer fail (and frees otherwise), so that a failed attach leaves
 * mm->vas as it was.
 */
static struct vas_proc *vas_proc_get(struct mm_struct *mm)
{
	struct vas_owner *owner;
	struct vas_proc *proc;

	owner = rcu_dereference_protected(mm->vas, lockdep_is_held(&vas_mutex));
	if (owner)
		return container_of(owner, struct vas_proc, owner);
	proc = kzalloc(sizeof(*proc), GFP_KERNEL_ACCOUNT);
	if (proc)
		INIT_LIST_HEAD(&proc->owner.views);
	return proc;
}

/*
 * The VAS state of process mm @mm, if it has any.  Under RCU or vas_mutex,
 * or once @mm has no users left, when nothing can change mm->vas but
 * __vas_mm_exit().
 */
static struct vas_proc *vas_proc_of(struct mm_struct *mm)
{
	struct vas_owner *owner;

	owner = rcu_dereference_check(mm->vas, lockdep_is_held(&vas_mutex) ||
				      !atomic_read(&mm->mm_users));

	if (!owner || owner->is_vas)
		return NULL;
	return container_of(owner, struct vas_proc, owner);
}

/* The attachment of VAS @vid to @mm, under RCU or vas_mutex. */
static struct vas_attachment *vas_proc_find(struct mm_struct *mm, int vid)
{
	struct vas_proc *proc = vas_proc_of(mm);
	struct vas_link *link;

	if (!proc)
		return NULL;
	list_for_each_entry_rcu(link, &proc->owner.views, node,
				lockdep_is_held(&vas_mutex))
		if (link->att->vid == vid)
			return link->att;
	return NULL;
}

/*
 * The mm of the process @pid for attach and detach, with an mm_users
 * reference: the caller's for 0, otherwise one it may ptrace-attach to.
 */
static struct mm_struct *vas_target_mm(pid_t pid)
{
	struct task_struct *task;
	struct mm_struct *mm;

	if (pid < 0)
		return ERR_PTR(-EINVAL);
	if (!pid)
		task = get_task_struct(current);
	else
		task = find_get_task_by_vpid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);
	mm = get_task_mm(task);
	if (!mm) {
		mm = ERR_PTR(-ESRCH);
	} else if (pid && !ptrace_may_access(task,
					     PTRACE_MODE_ATTACH_REALCREDS)) {
		mmput(mm);
		mm = ERR_PTR(-EPERM);
	}
	put_task_struct(task);
	return mm;
}

static int vas_attach_type(int type)
{
	switch (type) {
	case O_RDONLY:
		return MAY_READ;
	case O_WRONLY:
		return MAY_WRITE;
	case O_RDWR:
		return MAY_READ | MAY_WRITE;
	}
	return -EINVAL;
}

/* Attach @vas to process mm @mm.  Called under vas_mutex. */
static int vas_attach_mm(struct vas *vas, struct mm_struct *mm, bool readonly)
{
	struct vas_attachment *att;
	struct vas_proc *proc;
	int err;

	lockdep_assert_held(&vas_mutex);
	if (vas_proc_find(mm, vas->id))
		return -EEXIST;
	proc = vas_proc_get(mm);
	if (!proc)
		return -ENOMEM;
	att = kzalloc(sizeof(*att), GFP_KERNEL_ACCOUNT);
	if (!att) {
		err = -ENOMEM;
		goto out_proc;
	}
	att->vas = vas;
	att->vid = vas->id;
	att->proc = mm;
	att->readonly = readonly;
	atomic_set(&att->users, 1);
	err = vas_view_alloc(att);
	if (err)
		goto out_free;

	if (!proc->nr_attached) {
		err = mmap_write_lock_killable(mm);
		if (err)
			goto out_view;
		err = vas_reserve(mm, proc);
		mmap_write_unlock(mm);
		if (err)
			goto out_view;
	}
	vas_view_lam(att);

	/* Publish first: owners then keep the view current while we link. */
	mmgrab(mm);
	kobject_get(&vas->kobj);
	att->proc_link.att = att;
	att->vas_link.att = att;
	list_add_rcu(&att->proc_link.node, &proc->owner.views);
	list_add_rcu(&att->vas_link.node, &vas->owner.views);
	vas_view_link(att);
	proc->nr_attached++;
	vas->nr_attached++;
	return 0;

out_view:
	vas_view_free(att);
out_free:
	kfree(att);
out_proc:
	/* Not published: vas_proc_get() made it for this attach. */
	if (!rcu_access_pointer(mm->vas))
		kfree(proc);
	return err;
}

/**
 * sys_vas_attach - Attach a VAS to a process.
 * @pid: The process, 0 for the caller's.
 * @vid: Id of the VAS.
 * @type: %O_RDONLY, %O_WRONLY or %O_RDWR.
 *
 * Creates the attachment mm through which the threads of the process can
 * switch into the VAS, and reserves the VAS area in the process image.
 * Costs the same whatever the VAS holds: page tables are shared.  The
 * caller needs the access @type asks for on the VAS and, for another
 * process, ptrace access to it.
 *
 * Return: 0, or
 * -%EINVAL if @pid is negative, @vid is not positive or @type is invalid;
 * -%ESRCH if there is no process @pid;
 * -%EPERM if the caller may not ptrace the process;
 * -%ENOENT if there is no VAS @vid;
 * -%EACCES if the caller lacks the access @type asks for;
 * -%EEXIST if the VAS is attached to the process;
 * -%EADDRINUSE if the process image maps something in the VAS area;
 * -%ENOMEM;
 * -%EINTR if a fatal signal arrived.
 */
SYSCALL_DEFINE3(vas_attach, pid_t, pid, int, vid, int, type)
{
	int mask = vas_attach_type(type);
	struct mm_struct *mm;
	struct vas *vas;
	int err;

	if (vid <= 0 || mask < 0 || pid < 0)
		return -EINVAL;
	mm = vas_target_mm(pid);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	mutex_lock(&vas_mutex);
	vas = vas_find_permitted(vid, mask);
	err = PTR_ERR_OR_ZERO(vas);
	if (!err)
		err = vas_attach_mm(vas, mm, !(mask & MAY_WRITE));
	mutex_unlock(&vas_mutex);
	/* Outside vas_mutex: the last mmput() detaches through it. */
	mmput(mm);
	return err;
}

/**
 * sys_vas_detach - Detach a VAS from a process.
 * @pid: The process, 0 for the caller's.
 * @vid: Id of the VAS.
 *
 * The memory of the VAS stays with the VAS.
 *
 * Return: 0, or
 * -%EINVAL if @pid is negative, @vid is not positive, or the VAS is not
 * attached to the process;
 * -%ESRCH if there is no process @pid;
 * -%EPERM if the caller may not ptrace the process;
 * -%ENOENT if there is no VAS @vid;
 * -%EBUSY if a thread of the process is switched into the VAS.
 */
SYSCALL_DEFINE2(vas_detach, pid_t, pid, int, vid)
{
	struct vas_attachment *att;
	struct vas_proc *proc;
	struct mm_struct *mm;
	int err = 0;

	if (vid <= 0 || pid < 0)
		return -EINVAL;
	mm = vas_target_mm(pid);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	mutex_lock(&vas_mutex);
	att = vas_proc_find(mm, vid);
	if (!att) {
		err = vas_find_id(vid) ? -EINVAL : -ENOENT;
		goto out;
	}
	/* Only while no thread is switched in; none can switch in after. */
	if (atomic_cmpxchg(&att->users, 1, 0) != 1) {
		err = -EBUSY;
		goto out;
	}
	proc = vas_proc_of(mm);
	if (proc->nr_attached == 1) {
		/* The image may map in the VAS area again. */
		mmap_write_lock(mm);
		WRITE_ONCE(proc->reserved, false);
		mmap_write_unlock(mm);
	}
	proc->nr_attached--;
	vas_attachment_destroy(att);
out:
	mutex_unlock(&vas_mutex);
	mmput(mm);
	return err;
}

/**
 * __vas_mm_exit - Detach everything from a process mm.
 * @mm: The mm; its last user is gone, so no thread is switched.
 *
 * Called from __mmput() before exit_mmap().
 */
void __vas_mm_exit(struct mm_struct *mm)
{
	struct vas_proc *proc = vas_proc_of(mm);
	struct vas_link *link, *next;
	struct vas_attachment *att;

	if (!proc) {
		/* A VAS mm: its VAS is gone, and with it every view. */
		RCU_INIT_POINTER(mm->vas, NULL);
		return;
	}
	mutex_lock(&vas_mutex);
	list_for_each_entry_safe(link, next, &proc->owner.views, node) {
		att = link->att;
		/* As detach: zero once torn down. */
		WARN_ON_ONCE(atomic_cmpxchg(&att->users, 1, 0) != 1);
		vas_attachment_destroy(att);
	}
	RCU_INIT_POINTER(mm->vas, NULL);
	mutex_unlock(&vas_mutex);
	kfree_rcu(proc, rcu);
}

/* Switching */

/*
 * Load @next as the running thread's address space.  IRQs stay off from the
 * store of active_mm to the CR3 write, so that a flush IPI sees both or
 * neither.  task->mm does not change.
 */
static void vas_load(struct mm_struct *next, struct vas_attachment *att)
{
	struct mm_struct *prev;

	local_irq_disable();
	prev = current->active_mm;
	current->active_mm = next;
	switch_mm_irqs_off(prev, next, current);
	WRITE_ONCE(current->vas, att);
	local_irq_enable();
}

/* Count a thread into the view of @vid; fails once detach has begun. */
static struct vas_attachment *vas_switch_get(struct mm_struct *mm, int vid)
{
	struct vas_attachment *att;

	rcu_read_lock();
	att = vas_proc_find(mm, vid);
	if (att && !atomic_inc_not_zero(&att->users))
		att = NULL;
	rcu_read_unlock();
	return att ?: ERR_PTR(-EINVAL);
}

/* Threads that must not run in a view; see Documentation/mm/vas.rst. */
static bool vas_switch_refused(struct mm_struct *mm)
{
	if (current->flags & (PF_KTHREAD | PF_IO_WORKER | PF_USER_WORKER))
		return true;
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	/* A view has no LDT. */
	if (READ_ONCE(mm->context.ldt))
		return true;
#endif
	return false;
}

/*
 * Leave the current view for @next (NULL: the image).  The count in
 * &vas_attachment.users keeps a view alive while a thread runs in it, so a
 * switch takes no reference on the mm: a CPU that keeps the view loaded
 * lazily after the thread left holds its own (mmgrab_lazy_tlb()).
 */
static void vas_switch_to(struct vas_attachment *next)
{
	struct vas_attachment *prev = current->vas;

	vas_load(next ? next->view : current->mm, next);
	if (prev) {
		/* Detach may tear the view down once it sees the count drop. */
		smp_mb__before_atomic();
		atomic_dec(&prev->users);
	}
}

/**
 * sys_vas_switch - Switch the calling thread into a VAS or back.
 * @vid: Id of a VAS attached to the caller's process, or 0 for the process
 *       image.
 *
 * The thread keeps its process: only the address space it runs in changes.
 * Switching to where the thread is does nothing.
 *
 * Return: 0, or
 * -%EINVAL if @vid is negative or not attached to the caller's process;
 * -%EPERM if the thread cannot run in a VAS (it uses an LDT, or is a
 * kernel or I/O worker thread).
 */
SYSCALL_DEFINE1(vas_switch, int, vid)
{
	struct vas_attachment *cur = current->vas, *att = NULL;
	struct mm_struct *mm = current->mm;

	if (vid < 0)
		return -EINVAL;
	if (vid == (cur ? cur->vid : 0))
		return 0;
	if (vid) {
		if (vas_switch_refused(mm))
			return -EPERM;
		att = vas_switch_get(mm, vid);
		if (IS_ERR(att))
			return PTR_ERR(att);
	}
	vas_switch_to(att);
	return 0;
}

/*
 * The attachment of @mm with the smallest id above *@vid that a thread can
 * still switch into, counted in (&vas_attachment.users); NULL if none.
 * Advances *@vid past every attachment it looked at.  The views list is
 * read under RCU; the count, taken before the read side ends, keeps the
 * attachment and its view alive after it, as for vas_switch_get().
 */
static struct vas_attachment *vas_next_attached(struct mm_struct *mm,
						int *vid)
{
	struct vas_attachment *att, *next;
	struct vas_proc *proc;
	struct vas_link *link;

	rcu_read_lock();
	proc = vas_proc_of(mm);
	if (!proc) {
		rcu_read_unlock();
		return NULL;
	}
	do {
		next = NULL;
		list_for_each_entry_rcu(link, &proc->owner.views, node) {
			att = link->att;
			if (att->vid > *vid && (!next || att->vid < next->vid))
				next = att;
		}
		if (next)
			*vid = next->vid;
	} while (next && !atomic_inc_not_zero(&next->users));
	rcu_read_unlock();
	return next;
}

/**
 * __vas_exit_robust_list - Walk a robust list in every VAS of the thread.
 * @tsk: The thread that exits or execs; current.
 * @walk: The futex code's walk, which marks the mutexes that @tsk holds
 *        %FUTEX_OWNER_DIED and wakes a waiter of each.
 *
 * The futex code walked the list where @tsk runs: the image and the VAS it
 * is switched into.  A robust mutex in another VAS of the process, taken
 * while @tsk was switched there, is not mapped in that walk, which stops.
 * So @tsk switches into each other VAS and walks again: a mutex whose owner
 * field no longer holds @tsk's TID is left alone, so a mutex seen twice is
 * released once.  @tsk ends in the image, as
 * vas_task_release() would leave it.
 */
void __vas_exit_robust_list(struct task_struct *tsk,
			    void (*walk)(struct task_struct *tsk))
{
	struct vas_attachment *home = current->vas, *att;
	int vid = 0;

	if (WARN_ON_ONCE(tsk != current) || vas_switch_refused(tsk->mm))
		return;
	while ((att = vas_next_attached(tsk->mm, &vid))) {
		if (att == home) {
			atomic_dec(&att->users);
			continue;
		}
		vas_switch_to(att);
		walk(tsk);
	}
	vas_switch_to(NULL);
}

/**
 * sys_active_vas - The VAS the calling thread is switched into.
 *
 * Return: the VAS id, or 0 in the process image.
 */
SYSCALL_DEFINE0(active_vas)
{
	struct vas_attachment *att = current->vas;

	return att ? att->vid : 0;
}

/**
 * __vas_task_release - Switch an exiting or execing thread back.
 * @tsk: current, switched into a VAS.
 *
 * Called from exit_mm_release() and exec_mm_release(): after the robust
 * futex list was handled in the view (it may point into VAS memory), before
 * clear_child_tid wakes threads that join this one and may then detach.
 */
void __vas_task_release(struct task_struct *tsk)
{
	if (!WARN_ON_ONCE(tsk != current))
		vas_switch_to(NULL);
}

/**
 * vas_task_status - Show the VAS a thread runs in, in /proc/<pid>/status.
 * @m: The status file.
 * @task: The thread.
 */
void vas_task_status(struct seq_file *m, struct task_struct *task)
{
	struct vas_attachment *att;
	int vid;

	rcu_read_lock();
	att = READ_ONCE(task->vas);
	vid = att ? att->vid : 0;
	rcu_read_unlock();
	seq_printf(m, "Vas:\t%d\n", vid);
}

/* Address resolution for a thread switched into a VAS */

/**
 * __vas_addr_mm - The VAS mm for an address in the VAS area.
 * @addr: A user address.
 *
 * Return: the VAS mm of current's VAS if @addr lies in the VAS area,
 * NULL otherwise.
 */
struct mm_struct *__vas_addr_mm(unsigned long addr)
{
	struct vas_attachment *att = current->vas;

	if (!att || !vas_addr_in_area(addr))
		return NULL;
	return att->vas->mm;
}

/**
 * __vas_gup_mm - The VAS mm for GUP on an address in the VAS area.
 * @addr: A user address.
 * @write: Whether the access writes.
 *
 * A secondary MMU (KVM, an HMM device) that mirrors the process mm may
 * map what GUP returns, and learns of invalidations through the process
 * mm's notifiers only, which never hear of the VAS mm: so a process whose
 * mm has notifiers gets no VAS memory from GUP at all.
 *
 * Return: as __vas_addr_mm(), or ERR_PTR(-EFAULT) for a write through a
 * read-only attachment or if the process mm has mmu notifiers.
 */
struct mm_struct *__vas_gup_mm(unsigned long addr, bool write)
{
	struct mm_struct *mm = __vas_addr_mm(addr);

	if (mm && ((write && current->vas->readonly) ||
		   mm_has_notifiers(current->mm)))
		return ERR_PTR(-EFAULT);
	return mm;
}

/**
 * __vas_range_mm - The mm a call that reads a range acts on.
 * @start: First address.
 * @len: Length.
 *
 * Return: see vas_range_mm().
 */
struct mm_struct *__vas_range_mm(unsigned long start, size_t len)
{
	unsigned long end = start + len;

	if (end < start)
		return current->mm;
	if (!vas_addr_in_area(start)) {
		if (start < VAS_AREA_START && end > VAS_AREA_START)
			return ERR_PTR(-EINVAL);
		return current->mm;
	}
	if (end > VAS_AREA_END)
		return ERR_PTR(-EINVAL);
	return current->vas->vas->mm;
}

/**
 * __vas_syscall_mm - The mm a memory-management call acts on.
 * @start: First address.
 * @len: Length.
 *
 * Return: see vas_syscall_mm().
 */
struct mm_struct *__vas_syscall_mm(unsigned long start, size_t len)
{
	struct mm_struct *mm = __vas_range_mm(start, len);

	if (!IS_ERR(mm) && mm != current->mm && current->vas->readonly)
		return ERR_PTR(-EACCES);
	return mm;
}

/**
 * __vas_access_error - Whether a fault writes through a read-only view.
 * @error_code: The x86 page-fault error code.
 * @vma: The VMA of the fault.
 *
 * The VAS mm's VMAs and PTEs are writable; only the view's top-level entry
 * is not.  Without this the write would fault forever.
 *
 * Return: true to refuse the fault.
 */
bool __vas_access_error(unsigned long error_code, struct vm_area_struct *vma)
{
	struct vas_attachment *att = current->vas;

	return att->readonly && (error_code & X86_PF_WRITE) &&
	       vma->vm_mm == att->vas->mm;
}

static bool vas_range_in_area(const void __user *base, size_t len)
{
	unsigned long start = (unsigned long)base;

	return len && start < VAS_AREA_END && start + len > VAS_AREA_START;
}

/**
 * __vas_iter_in_area - Whether a user iterator touches the VAS area.
 * @iter: An ITER_UBUF or ITER_IOVEC iterator.
 *
 * Return: true if a segment of @iter overlaps the VAS area.
 */
bool __vas_iter_in_area(const struct iov_iter *iter)
{
	const struct iovec *iov;
	unsigned long i;

	if (iter_is_ubuf(iter))
		return vas_range_in_area(iter->ubuf + iter->iov_offset,
					 iter->count);
	if (!iter_is_iovec(iter))
		return false;
	iov = iter_iov(iter);
	for (i = 0; i < iter->nr_segs; i++)
		if (vas_range_in_area(iov[i].iov_base, iov[i].iov_len))
			return true;
	return false;
}

/*
 * The lowest free range of @len bytes in the VAS area of @mm at or above
 * @addr, as mmap() without MAP_FIXED finds one in a process image.
 */
static unsigned long vas_find_gap(struct mm_struct *mm, unsigned long addr,
				  unsigned long len)
{
	VMA_ITERATOR(vmi, mm, addr);
	struct vm_area_struct *vma;

	for_each_vma(vmi, vma) {
		if (vma->vm_start >= addr + len)
			break;
		addr = vma->vm_end;
	}
	if (addr + len > VAS_AREA_END)
		return -ENOMEM;
	return addr;
}

/**
 * __vas_mremap_mm - The mm that mremap() acts on.
 * @addr: Old address.
 * @old_len: Old length.
 * @new_addr: New address, used with %MREMAP_FIXED.
 * @new_len: New length.
 * @flags: mremap() flags.
 *
 * Return: see vas_mremap_mm().
 */
struct mm_struct *__vas_mremap_mm(unsigned long addr, unsigned long old_len,
				  unsigned long new_addr, unsigned long new_len,
				  unsigned long flags)
{
	struct mm_struct *mm = __vas_syscall_mm(addr, old_len);

	if (IS_ERR(mm) || !(flags & MREMAP_FIXED))
		return mm;
	if (__vas_syscall_mm(new_addr, new_len) != mm)
		return ERR_PTR(-EINVAL);
	return mm;
}

/**
 * vas_get_unmapped_area - get_unmapped_area() in the mm mremap() moves in.
 * @mm: The mm, from vas_mremap_mm(); its mmap_lock is held for writing.
 * @file: As for get_unmapped_area().
 * @addr: As for get_unmapped_area().
 * @len: As for get_unmapped_area().
 * @pgoff: As for get_unmapped_area().
 * @flags: As for get_unmapped_area().
 *
 * get_unmapped_area() searches current->mm; a range it returns there must
 * also stay out of the VAS area while a VAS is attached (mremap() in place
 * checks a fixed range through it).  Memory of a VAS must stay in the VAS
 * area of the VAS mm: there the lowest free range at or above @addr is
 * taken, and a fixed range must lie in the area.  For the VAS mm,
 * @file, @pgoff and %MAP_SHARED are not used: the range is only page
 * aligned (no THP or DAX alignment) and no guard gap is kept.
 *
 * Return: the address, or a negative error.
 */
unsigned long vas_get_unmapped_area(struct mm_struct *mm, struct file *file,
				    unsigned long addr, unsigned long len,
				    unsigned long pgoff, unsigned long flags)
{
	if (mm == current->mm) {
		addr = get_unmapped_area(file, addr, len, pgoff, flags);
		if (!IS_ERR_VALUE(addr) && vas_image_conflict(mm, addr, len))
			return -ENOMEM;
		return addr;
	}
	mmap_assert_write_locked(mm);
	if (len > VAS_AREA_END - VAS_AREA_START)
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		if (addr < VAS_AREA_START || addr > VAS_AREA_END - len)
			return -ENOMEM;
		return addr;
	}
	addr = clamp(addr & PAGE_MASK, VAS_AREA_START, VAS_AREA_END - len);
	return vas_find_gap(mm, addr, len);
}

/**
 * vas_mmap - mmap() in the VAS area for a thread switched into a VAS.
 * @file: File to map, or NULL.
 * @addr: The hint or fixed address, in the VAS area.
 * @len: Length.
 * @prot: Protection.
 * @flags: mmap() flags.
 * @pgoff: Offset in @file, in pages.
 *
 * The mapping is created in the VAS mm: it is memory of the VAS, seen by
 * every process that attaches it.  A hint is honoured inside the VAS area:
 * the mapping goes to the first free range at or above it.
 *
 * Return: the address of the mapping, or a negative error: -%EACCES for a
 * read-only attachment, -%EINVAL for a fixed range that leaves the VAS
 * area, -%ENOMEM if no range is free, or an error of mmap().
 */
unsigned long vas_mmap(struct file *file, unsigned long addr,
		       unsigned long len, unsigned long prot,
		       unsigned long flags, unsigned long pgoff)
{
	struct vas_attachment *att = current->vas;
	struct mm_struct *mm = att->vas->mm;
	unsigned long ret, populate;
	LIST_HEAD(uf);

	if (att->readonly)
		return -EACCES;
	if (!len || len > VAS_AREA_END - VAS_AREA_START)
		return len ? -ENOMEM : -EINVAL;
	len = PAGE_ALIGN(len);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr + len > VAS_AREA_END)
			return -EINVAL;
	}
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) {
		addr = vas_find_gap(mm, addr & PAGE_MASK, len);
		flags |= MAP_FIXED_NOREPLACE;
	}
	ret = addr;
	if (!IS_ERR_VALUE(addr))
		ret = do_mmap_mm(mm, file, addr, len, prot, flags, 0, pgoff,
				 &populate, &uf);
	mmap_write_unlock(mm);
	userfaultfd_unmap_complete(mm, &uf);
	if (!IS_ERR_VALUE(ret) && populate)
		mm_populate(ret, populate);
	return ret;
}

/**
 * vas_exit_ns - Delete the VASes of an IPC namespace that is being freed.
 * @ns: The namespace; no task is left in it.
 *
 * As System V shared memory goes with its namespace.  A VAS that a process
 * still has attached (one that left the namespace) lives on, out of the
 * tables, until its last detach.
 */
void vas_exit_ns(struct ipc_namespace *ns)
{
	HLIST_HEAD(gone);
	struct hlist_node *next;
	struct vas *vas;
	unsigned long id;

	mutex_lock(&vas_mutex);
	xa_for_each(&vas_ids, id, vas) {
		if (vas->ns != ns)
			continue;
		vas_unpublish(vas);
		hlist_add_head(&vas->name_node, &gone);
	}
	mutex_unlock(&vas_mutex);
	hlist_for_each_entry_safe(vas, next, &gone, name_node) {
		hlist_del(&vas->name_node);
		kobject_put(&vas->kobj);
	}
}

/*
 * /proc/vas: the VASes of the opener's IPC namespace, one line each after a
 * header, as /proc/sysvipc/shm lists shared memory.  The position is a VAS
 * id, 0 for the header; vas_mutex is held from start to stop.
 */
static void *vas_seq_find(struct seq_file *m, loff_t *pos)
{
	unsigned long id = *pos;
	struct vas *vas;

	xa_for_each_start(&vas_ids, id, vas, id) {
		if (vas->ns == m->private) {
			*pos = id;
			return vas;
		}
	}
	return NULL;
}

static void *vas_seq_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&vas_mutex);
	return *pos ? vas_seq_find(m, pos) : SEQ_START_TOKEN;
}

static void *vas_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return vas_seq_find(m, pos);
}

static void vas_seq_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&vas_mutex);
}

static int vas_seq_show(struct seq_file *m, void *v)
{
	struct user_namespace *user_ns = seq_user_ns(m);
	struct vas *vas = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "       vid mode        uid        gid   attached name\n");
		return 0;
	}
	mutex_lock(&vas->lock);
	seq_printf(m, "%10d %04o %10u %10u %10u %s\n", vas->id, vas->mode,
		   from_kuid_munged(user_ns, vas->uid),
		   from_kgid_munged(user_ns, vas->gid), vas->nr_attached,
		   vas->name);
	mutex_unlock(&vas->lock);
	return 0;
}

static const struct seq_operations vas_seq_ops = {
	.start	= vas_seq_start,
	.next	= vas_seq_next,
	.stop	= vas_seq_stop,
	.show	= vas_seq_show,
};

static int vas_proc_open(struct inode *inode, struct file *file)
{
	int err = seq_open(file, &vas_seq_ops);

	if (!err)
		((struct seq_file *)file->private_data)->private =
			get_ipc_ns(vas_current_ns());
	return err;
}

static int vas_proc_release(struct inode *inode, struct file *file)
{
	put_ipc_ns(((struct seq_file *)file->private_data)->private);
	return seq_release(inode, file);
}

static const struct proc_ops vas_proc_ops = {
	.proc_open	= vas_proc_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= vas_proc_release,
};

static struct ctl_table vas_sysctls[] = {
	{
		.procname	= "max_vas",
		.data		= &sysctl_max_vas,
		.maxlen		= sizeof(sysctl_max_vas),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra2		= SYSCTL_INT_MAX,
	},
};

static int __init vas_init(void)
{
	/* user.max_vas: a quota per user, below the system's vm.max_vas. */
	init_user_ns.ucount_max[UCOUNT_VAS] = 1024;
	register_sysctl_init("vm", vas_sysctls);
	proc_create("vas", 0444, NULL, &vas_proc_ops);
	vas_kset = kset_create_and_add("vas", NULL, kernel_kobj);
	return vas_kset ? 0 : -ENOMEM;
}
subsys_initcall(vas_init);
