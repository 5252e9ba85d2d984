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
 * are unique in the system, names in a namespace.  Its reference count is
 * the one of its kobject; the tables hold the reference that vas_delete()
 * drops.
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
 * This file holds the objects; mm/vas_attach.c the views, attach, detach
 * and switch; mm/vas_redirect.c the redirection of memory operations.
 *
 * See Documentation/userspace-api/vas.rst and Documentation/mm/vas.rst.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/syscalls.h>
#include <linux/sysctl.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <xen/xen.h>

#include "internal.h"
#include "vas_internal.h"

/* The tables and every attachment; see the lock order above. */
DEFINE_MUTEX(vas_mutex);
DEFINE_XARRAY_ALLOC1(vas_ids);
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

/**
 * vas_mm_alloc - Allocate an mm that no task runs in.
 *
 * For a VAS mm or a view.  mm_alloc() fills it from the caller: the caller
 * becomes its memcg owner, which would dangle once the caller exits, and
 * the caller's mm flags (THP, KSM, MDWE, dump filter) and default VMA flags
 * are inherited.  A VAS must not depend on who created it.
 *
 * Return: the mm, or NULL.
 */
struct mm_struct *vas_mm_alloc(void)
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

/**
 * vas_find_id - Find a VAS of the caller's IPC namespace by id.
 * @vid: Id of the VAS.
 *
 * Context: under vas_mutex or RCU.
 * Return: the VAS, or NULL.
 */
struct vas *vas_find_id(int vid)
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

/**
 * vas_find_permitted - Find a VAS that the caller may access.
 * @vid: Id of the VAS.
 * @mask: %MAY_READ and %MAY_WRITE, the access asked for.
 *
 * Context: under vas_mutex.
 * Return: the VAS, ERR_PTR(-ENOENT) if there is none in the caller's IPC
 * namespace, or ERR_PTR(-EACCES).
 */
struct vas *vas_find_permitted(int vid, int mask)
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
