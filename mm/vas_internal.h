/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * First-class virtual address spaces (VAS): what the three parts of mm/vas*
 * share.
 *
 *  - mm/vas.c: VAS objects, their names, ids, permissions and limits,
 *    sysfs and /proc/vas;
 *  - mm/vas_attach.c: views, attach, detach, switch and the lifecycle of
 *    processes and threads that use VASes;
 *  - mm/vas_redirect.c: where a memory operation of a switched thread goes,
 *    and how the process image is kept out of the VAS area.
 *
 * See Documentation/mm/vas.rst.
 */
#ifndef _MM_VAS_INTERNAL_H
#define _MM_VAS_INTERNAL_H

#include <linux/kobject.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/vas.h>

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

/*
 * Protects the tables of VASes and every attachment; see mm/vas.c for the
 * lock order.
 */
extern struct mutex vas_mutex;
/* id -> VAS, of every IPC namespace; changed under vas_mutex, read under RCU. */
extern struct xarray vas_ids;

static inline bool vas_addr_in_area(unsigned long addr)
{
	return addr >= VAS_AREA_START && addr < VAS_AREA_END;
}

struct mm_struct *vas_mm_alloc(void);
struct vas *vas_find_id(int vid);
struct vas *vas_find_permitted(int vid, int mask);

#endif /* _MM_VAS_INTERNAL_H */
