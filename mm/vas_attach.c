// SPDX-License-Identifier: GPL-2.0-only
/*
 * First-class virtual address spaces (VAS): views, attach, detach, switch.
 *
 * Attaching VAS V to process P creates the view A(P, V), an mm whose
 * top-level entries borrow P's tables outside the VAS area and V's inside
 * it; its owners P and V keep it current (vas_owner_populated(),
 * vas_owner_freed()) and extend their TLB flushes to it (vas_flush_views(),
 * vas_tlbbatch_add_views()).  vas_switch() loads a view as the thread's
 * active_mm.  While a VAS is attached, the image of P stays out of the VAS
 * area (vas_reserve(), mm/vas_redirect.c).  An exiting or execing thread
 * comes back to P; the last user of P detaches everything.
 *
 * See mm/vas.c for the lock order, and Documentation/mm/vas.rst.
 */

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_context.h>
#include <linux/pgalloc.h>
#include <linux/pgtable.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <linux/workqueue.h>
#include <asm/tlbflush.h>

#include "internal.h"
#include "vas_internal.h"

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
