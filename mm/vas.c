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
 * A VAS is in both tables or in neither.  Its reference count is the one of
 * its kobject; the tables hold the reference that vas_delete() drops.
 * kobject_del() waits for sysfs readers, so they need no reference.
 *
 * Lock order: vas_mutex, then vas->lock.
 *
 * See Documentation/userspace-api/vas.rst and Documentation/mm/vas.rst.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/syscalls.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/vas.h>

/**
 * struct vas - A first-class virtual address space.
 * @kobj: Directory /sys/kernel/vas/<id>/; its kref counts the references.
 * @id: Identifier, at least 1.  Immutable.
 * @mm: The VAS mm, owned by the VAS and freed with it.  Immutable.
 * @name_node: Entry in vas_names, protected by vas_mutex.
 * @lock: Protects @mode, @uid and @gid.
 * @mode: Access rights, a subset of %VAS_MODE_MASK.
 * @uid: Owner.
 * @gid: Owning group.
 * @name: NUL-terminated name, 1 to %VAS_NAME_MAX bytes.  Immutable.
 */
struct vas {
	struct kobject kobj;
	int id;
	struct mm_struct *mm;
	struct hlist_node name_node;
	struct mutex lock;	/* protects mode, uid and gid */
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	char name[];
};

static DEFINE_MUTEX(vas_mutex);
static DEFINE_XARRAY_ALLOC1(vas_ids);
static u32 vas_next_id;
static DEFINE_HASHTABLE(vas_names, 8);
static struct kset *vas_kset;

static struct vas *to_vas(struct kobject *kobj)
{
	return container_of(kobj, struct vas, kobj);
}

/* sysfs: /sys/kernel/vas/<id>/{name,mode,user,group}, one line each. */

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_vas(kobj)->name);
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct vas *vas = to_vas(kobj);
	umode_t mode;

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

static void vas_release(struct kobject *kobj)
{
	struct vas *vas = to_vas(kobj);

	mmput(vas->mm);
	mutex_destroy(&vas->lock);
	kfree(vas);
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
	kobject_init(&vas->kobj, &vas_ktype);
	mutex_init(&vas->lock);
	vas->mode = mode;
	vas->uid = current_fsuid();
	vas->gid = current_fsgid();
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

static u32 vas_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct vas *vas_find_name(const char *name)
{
	struct vas *vas;

	lockdep_assert_held(&vas_mutex);
	hash_for_each_possible(vas_names, vas, name_node, vas_name_hash(name))
		if (!strcmp(vas->name, name))
			return vas;
	return NULL;
}

static struct vas *vas_find_id(int vid)
{
	lockdep_assert_held(&vas_mutex);
	return xa_load(&vas_ids, vid);
}

/* Enter @vas into the tables and sysfs.  On error the caller still owns it. */
static int vas_publish(struct vas *vas)
{
	u32 id;
	int err;

	lockdep_assert_held(&vas_mutex);
	if (vas_find_name(vas->name))
		return -EEXIST;
	err = xa_alloc_cyclic(&vas_ids, &id, vas, XA_LIMIT(1, INT_MAX),
			      &vas_next_id, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOSPC : err;
	vas->id = id;
	vas->kobj.kset = vas_kset;
	err = kobject_add(&vas->kobj, NULL, "%d", vas->id);
	if (err) {
		xa_erase(&vas_ids, vas->id);
		return err;
	}
	hash_add(vas_names, &vas->name_node, vas_name_hash(vas->name));
	kobject_uevent(&vas->kobj, KOBJ_ADD);
	return 0;
}

/* Take @vas out of the tables and sysfs; the caller drops the tables' reference. */
static void vas_unpublish(struct vas *vas)
{
	lockdep_assert_held(&vas_mutex);
	hash_del(&vas->name_node);
	xa_erase(&vas_ids, vas->id);
	kobject_del(&vas->kobj);
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
	if (capable(CAP_DAC_OVERRIDE))
		return 0;
	if (!(mask & MAY_WRITE) && capable(CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}

/**
 * sys_vas_create - Create a VAS.
 * @name: Name of the new VAS: 1 to %VAS_NAME_MAX bytes, no '/', no control
 *        characters.
 * @mode: Access rights, a subset of %VAS_MODE_MASK.
 *
 * The caller's fs user and group own the new VAS.  It lives until
 * vas_delete().
 *
 * Return: the id of the new VAS (at least 1), or
 * -%EFAULT if @name cannot be read;
 * -%EINVAL if @name is empty or contains '/' or a control character, or
 * @mode has bits outside %VAS_MODE_MASK;
 * -%ENAMETOOLONG if @name is longer than %VAS_NAME_MAX bytes;
 * -%EEXIST if a VAS of that name exists;
 * -%ENOSPC if no id is free;
 * -%ENOMEM.
 */
SYSCALL_DEFINE2(vas_create, const char __user *, name, unsigned int, mode)
{
	struct vas *vas;
	char *buf;
	int err;

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
 * with its VAS mm.
 *
 * Return: 0, or
 * -%EINVAL if @vid is not positive;
 * -%ENOENT if there is no VAS @vid;
 * -%EACCES if the caller may not write to the VAS.
 */
SYSCALL_DEFINE1(vas_delete, int, vid)
{
	struct vas *vas;
	int err;

	if (vid <= 0)
		return -EINVAL;

	mutex_lock(&vas_mutex);
	vas = vas_find_id(vid);
	if (!vas) {
		err = -ENOENT;
		goto out;
	}
	mutex_lock(&vas->lock);
	err = vas_permission(vas, MAY_WRITE);
	mutex_unlock(&vas->lock);
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
	vas = vas_find_name(buf);
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
	if (!owner && !capable(CAP_FOWNER))
		return -EPERM;
	if (!uid_eq(uid, vas->uid) && !capable(CAP_CHOWN))
		return -EPERM;
	if (!gid_eq(gid, vas->gid) && !(owner && in_group_p(gid)) &&
	    !capable(CAP_CHOWN))
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
		vas->uid = uid;
		vas->gid = gid;
	}
	mutex_unlock(&vas->lock);
out:
	mutex_unlock(&vas_mutex);
	return err;
}

static int __init vas_init(void)
{
	vas_kset = kset_create_and_add("vas", NULL, kernel_kobj);
	return vas_kset ? 0 : -ENOMEM;
}
subsys_initcall(vas_init);
