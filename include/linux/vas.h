/* SPDX-License-Identifier: GPL-2.0 */
/*
 * First-class virtual address spaces (VAS): the calls that upstream mm,
 * scheduler and arch code make into mm/vas.c.
 *
 * Every entry point has an inline fast path that costs one load and a
 * predicted branch for a process that never attached a VAS: task->vas is
 * NULL for a thread running in its process image, mm->vas is NULL for an mm
 * that has no attachment mms sharing its page tables.
 *
 * See Documentation/mm/vas.rst.
 */
#ifndef _LINUX_VAS_H
#define _LINUX_VAS_H

#include <linux/err.h>
#include <linux/rcupdate.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <uapi/linux/mman.h>
#include <uapi/linux/vas.h>

struct file;
struct seq_file;
struct arch_tlbflush_unmap_batch;
struct mem_cgroup;
struct ipc_namespace;

#ifdef CONFIG_VAS

/* What __vas_resolve() refuses, besides a range across the area's bounds. */
#define VAS_RESOLVE_CHANGE	0x1	/* a change through a read-only view */
#define VAS_RESOLVE_GUP		0x2	/* GUP for a process with mmu notifiers */
#define VAS_RESOLVE_WRITE	0x4	/* with GUP: a write, read-only view */

struct mm_struct *__vas_resolve(unsigned long start, size_t len,
				unsigned int flags);

/**
 * vas_addr_mm - The mm that owns a user address for the running thread
 * @mm: The process mm (current->mm).
 * @addr: A user address.
 *
 * Page faults, GUP and futexes call this to resolve @addr: in the VAS mm if
 * the running thread is switched into a VAS and @addr lies in the VAS area,
 * in @mm otherwise.  Lock-free and NMI-safe.
 *
 * Return: the mm that owns @addr.
 */
static inline struct mm_struct *vas_addr_mm(struct mm_struct *mm,
					    unsigned long addr)
{
	if (likely(!current->vas))
		return mm;
	return __vas_resolve(addr, 1, 0) ?: mm;
}

/**
 * vas_gup_mm - The mm that GUP on the running thread's own memory uses
 * @mm: The mm that the caller passed to GUP.
 * @addr: First user address.
 * @write: Whether the access writes.
 *
 * Like vas_addr_mm(), for GUP: it fails a write through a read-only
 * attachment instead of retrying it, and gives no VAS memory to a process
 * whose mm has MMU notifiers (see __vas_resolve()).
 *
 * Return: the mm that owns @addr, or ERR_PTR(-EFAULT).
 */
static inline struct mm_struct *vas_gup_mm(struct mm_struct *mm,
					   unsigned long addr, bool write)
{
	if (likely(!current->vas) || mm != current->mm)
		return mm;
	return __vas_resolve(addr, 1, VAS_RESOLVE_GUP |
				      (write ? VAS_RESOLVE_WRITE : 0)) ?: mm;
}

/**
 * vas_range_mm - The mm a system call that reads a range acts on
 * @start: First address of the range.
 * @len: Length of the range.
 *
 * mincore() and msync() look a range up in the VAS mm when the caller is
 * switched into a VAS and the range lies in the VAS area, in the process
 * mm otherwise.  They do not change the mappings, so a read-only
 * attachment is no obstacle.
 *
 * The VAS mm needs no reference, also across a drop of its mmap_lock: the
 * caller stays switched into the VAS until it returns to user space, and
 * a VAS with a thread switched in can be neither detached nor deleted.
 *
 * Return: the mm, or ERR_PTR(-EINVAL) if the range straddles the boundary
 * of the VAS area.
 */
static inline struct mm_struct *vas_range_mm(unsigned long start, size_t len)
{
	if (likely(!current->vas))
		return current->mm;
	return __vas_resolve(start, len, 0) ?: current->mm;
}

/**
 * vas_syscall_mm - The mm a memory-management system call acts on
 * @start: First address of the range.
 * @len: Length of the range.
 *
 * munmap(), mprotect(), madvise() and mlock() act on the VAS mm
 * for a range in the VAS area when the caller is switched into a VAS, on
 * the process mm otherwise.
 *
 * Return: the mm, ERR_PTR(-EINVAL) if the range straddles the boundary of
 * the VAS area, ERR_PTR(-EACCES) for a read-only attachment.
 */
static inline struct mm_struct *vas_syscall_mm(unsigned long start,
					       size_t len)
{
	if (likely(!current->vas))
		return current->mm;
	return __vas_resolve(start, len, VAS_RESOLVE_CHANGE) ?: current->mm;
}

/**
 * vas_mremap_mm - The mm that mremap() acts on
 * @addr: Old address.
 * @old_len: Old length.
 * @new_addr: New address, used with %MREMAP_FIXED.
 * @new_len: New length.
 * @flags: mremap() flags.
 *
 * As vas_syscall_mm() for the old range; a fixed new range must belong to
 * the same mm: memory does not move between a VAS and the process image.
 *
 * Return: the mm, or ERR_PTR(-EINVAL) or ERR_PTR(-EACCES).
 */
static inline struct mm_struct *vas_mremap_mm(unsigned long addr,
					      unsigned long old_len,
					      unsigned long new_addr,
					      unsigned long new_len,
					      unsigned long flags)
{
	struct mm_struct *mm = vas_syscall_mm(addr, old_len);

	if (IS_ERR(mm) || !(flags & MREMAP_FIXED))
		return mm;
	if (vas_syscall_mm(new_addr, new_len) != mm)
		return ERR_PTR(-EINVAL);
	return mm;
}

unsigned long vas_get_unmapped_area(struct mm_struct *mm, struct file *file,
				    unsigned long addr, unsigned long len,
				    unsigned long pgoff, unsigned long flags);

/**
 * vas_mmap_redirect - Whether mmap() at @addr creates memory of a VAS
 * @addr: The address (hint or fixed) that mmap() was given.
 *
 * Return: true if the caller is switched into a VAS and @addr lies in the
 * VAS area; vas_mmap() then does the mapping.
 */
static inline bool vas_mmap_redirect(unsigned long addr)
{
	return unlikely(current->vas) && addr >= VAS_AREA_START &&
	       addr < VAS_AREA_END;
}

unsigned long vas_mmap(struct file *file, unsigned long addr,
		       unsigned long len, unsigned long prot,
		       unsigned long flags, unsigned long pgoff);

bool __vas_area_reserved(struct mm_struct *mm);

/**
 * vas_image_conflict - Whether a range of a process image is refused
 * @mm: A process mm (or the mm of @vma for stack growth); its mmap_lock is
 *      held.
 * @addr: First address of the range.
 * @len: Length of the range.
 *
 * While a VAS is attached to a process, the process image stays out of the
 * VAS area, where its threads see their VASes: the unmapped-area search
 * passes over the area, a hint in it is moved, and a fixed mapping,
 * mremap(), brk() and stack growth into it fail.
 *
 * Return: true if [@addr, @addr + @len) overlaps the VAS area and @mm is a
 * process mm with a VAS attached.
 */
static inline bool vas_image_conflict(struct mm_struct *mm, unsigned long addr,
				      unsigned long len)
{
	if (likely(!rcu_access_pointer(mm->vas)))
		return false;
	return addr < VAS_AREA_END && addr + len > VAS_AREA_START &&
	       __vas_area_reserved(mm);
}

struct vm_unmapped_area_info;
unsigned long vas_unmapped_area(struct vm_unmapped_area_info *info);

void __vas_exit_robust_list(struct task_struct *tsk,
			    void (*walk)(struct task_struct *tsk));

/**
 * vas_exit_robust_list - Release a dying thread's robust mutexes in VASes
 * @tsk: The thread that exits or execs; current.
 * @walk: The futex code's walk of @tsk's robust list.
 *
 * Called after @walk ran where @tsk is: walks again in every other VAS of
 * @tsk's process, and leaves @tsk in its image.
 */
static inline void vas_exit_robust_list(struct task_struct *tsk,
					void (*walk)(struct task_struct *tsk))
{
	if (unlikely(rcu_access_pointer(tsk->mm->vas)))
		__vas_exit_robust_list(tsk, walk);
}

struct iov_iter;
bool __vas_iter_in_area(const struct iov_iter *iter);

/**
 * vas_iter_refused - Refuse VAS memory to I/O that may complete elsewhere
 * @iter: A user-backed iterator (ITER_UBUF or ITER_IOVEC).
 *
 * io_uring may finish a request in a worker thread, which is not switched
 * into the submitter's VAS and would resolve the buffer in the image:
 * such I/O gets VAS memory never rather than only when issued inline.
 *
 * Return: true if the caller is switched into a VAS and a segment of
 * @iter touches the VAS area.
 */
static inline bool vas_iter_refused(const struct iov_iter *iter)
{
	if (likely(!current->vas))
		return false;
	return __vas_iter_in_area(iter);
}

/**
 * vas_mmap_legacy_base - Keep the bottom-up mmap layout out of the VAS area
 * @base: The base that the legacy layout (vm.legacy_va_layout, setarch -L)
 *        would use.
 *
 * A third of the address space lies inside the VAS area, where an image
 * mapping would make every attach fail with -EADDRINUSE: start above it.
 *
 * Return: @base, or %VAS_AREA_END if @base lies in the VAS area.
 */
static inline unsigned long vas_mmap_legacy_base(unsigned long base)
{
	if (base >= VAS_AREA_START && base < VAS_AREA_END)
		return VAS_AREA_END;
	return base;
}

bool __vas_access_error(unsigned long error_code,
			struct vm_area_struct *vma);

/**
 * vas_access_error - Refuse a write fault through a read-only attachment
 * @error_code: The x86 page-fault error code.
 * @vma: The VMA that the fault resolved to.
 *
 * Return: true if the fault is a write to VAS memory by a thread whose
 * attachment is read-only.
 */
static inline bool vas_access_error(unsigned long error_code,
				    struct vm_area_struct *vma)
{
	if (likely(!current->vas))
		return false;
	return __vas_access_error(error_code, vma);
}

void __vas_owner_populated(struct mm_struct *mm, unsigned long addr);
void __vas_owner_freed(struct mm_struct *mm, unsigned long addr);

/**
 * vas_owner_populated - An owner mm got a new top-level-reachable table
 * @mm: The owner mm; its page_table_lock is held.
 * @addr: An address that the new table maps.
 *
 * Links the table into every attachment mm that shares @mm's tables for
 * @addr, so that a view never lacks an entry that its owner has.
 */
static inline void vas_owner_populated(struct mm_struct *mm,
				       unsigned long addr)
{
	if (unlikely(rcu_access_pointer(mm->vas)))
		__vas_owner_populated(mm, addr);
}

/**
 * vas_owner_freed - An owner mm cleared a top-level entry to free a table
 * @mm: The owner mm.
 * @addr: An address that the table mapped.
 *
 * Clears the entry in every attachment mm that shares it.  The table is
 * freed after the owner's TLB flush, which reaches those attachment mms
 * through vas_flush_views().
 */
static inline void vas_owner_freed(struct mm_struct *mm, unsigned long addr)
{
	if (unlikely(rcu_access_pointer(mm->vas)))
		__vas_owner_freed(mm, addr);
}

void __vas_flush_views(struct mm_struct *mm, unsigned long start,
		       unsigned long end, unsigned int stride_shift,
		       bool freed_tables);

/**
 * vas_flush_views - Delegate a TLB flush of an owner mm to its views
 * @mm: The owner mm that was flushed.
 * @start: Start of the flushed range.
 * @end: End of the flushed range, or TLB_FLUSH_ALL.
 * @stride_shift: Page size of the flush, as a shift.
 * @freed_tables: Whether page tables were freed.
 */
static inline void vas_flush_views(struct mm_struct *mm, unsigned long start,
				   unsigned long end,
				   unsigned int stride_shift,
				   bool freed_tables)
{
	if (unlikely(rcu_access_pointer(mm->vas)))
		__vas_flush_views(mm, start, end, stride_shift, freed_tables);
}

void __vas_tlbbatch_add_views(struct arch_tlbflush_unmap_batch *batch,
			      struct mm_struct *mm);

/**
 * vas_tlbbatch_add_views - Add the views of an owner to a deferred flush
 * @batch: The batch of reclaim or migration.
 * @mm: The owner mm whose PTE was cleared.
 */
static inline void vas_tlbbatch_add_views(struct arch_tlbflush_unmap_batch *batch,
					  struct mm_struct *mm)
{
	if (unlikely(rcu_access_pointer(mm->vas)))
		__vas_tlbbatch_add_views(batch, mm);
}

/**
 * vas_mm_init - Initialise the VAS state of a new mm
 * @mm: The mm; dup_mm() copied its fields from the parent's mm.
 */
static inline void vas_mm_init(struct mm_struct *mm)
{
	RCU_INIT_POINTER(mm->vas, NULL);
}

/**
 * vas_task_init - Initialise the VAS state of a new task
 * @tsk: The task; dup_task_struct() copied its fields from the parent.
 *
 * New tasks start in their process image.
 */
static inline void vas_task_init(struct task_struct *tsk)
{
	tsk->vas = NULL;
}

void __vas_task_release(struct task_struct *tsk);

/**
 * vas_task_release - Switch an exiting or execing thread back to its image
 * @tsk: current.
 */
static inline void vas_task_release(struct task_struct *tsk)
{
	if (unlikely(tsk->vas))
		__vas_task_release(tsk);
}

void __vas_mm_exit(struct mm_struct *mm);

/**
 * vas_mm_exit - Detach everything from an mm whose last user is gone
 * @mm: The mm, before exit_mmap().
 */
static inline void vas_mm_exit(struct mm_struct *mm)
{
	if (unlikely(rcu_access_pointer(mm->vas)))
		__vas_mm_exit(mm);
}

void vas_task_status(struct seq_file *m, struct task_struct *task);

struct mem_cgroup *vas_mm_memcg(struct mm_struct *mm);
void vas_exit_ns(struct ipc_namespace *ns);

#else /* !CONFIG_VAS */

static inline struct mm_struct *vas_addr_mm(struct mm_struct *mm,
					    unsigned long addr)
{
	return mm;
}

static inline struct mm_struct *vas_gup_mm(struct mm_struct *mm,
					   unsigned long addr, bool write)
{
	return mm;
}

static inline struct mm_struct *vas_range_mm(unsigned long start, size_t len)
{
	return current->mm;
}

static inline struct mm_struct *vas_syscall_mm(unsigned long start,
					       size_t len)
{
	return current->mm;
}

static inline struct mm_struct *vas_mremap_mm(unsigned long addr,
					      unsigned long old_len,
					      unsigned long new_addr,
					      unsigned long new_len,
					      unsigned long flags)
{
	return current->mm;
}

/* A macro: this header cannot include <linux/mm.h>. */
#define vas_get_unmapped_area(mm, file, addr, len, pgoff, flags) \
	((void)(mm), get_unmapped_area(file, addr, len, pgoff, flags))

static inline bool vas_mmap_redirect(unsigned long addr)
{
	return false;
}

static inline unsigned long vas_mmap(struct file *file, unsigned long addr,
				     unsigned long len, unsigned long prot,
				     unsigned long flags, unsigned long pgoff)
{
	return -EINVAL;
}

static inline bool vas_access_error(unsigned long error_code,
				    struct vm_area_struct *vma)
{
	return false;
}

static inline bool vas_image_conflict(struct mm_struct *mm, unsigned long addr,
				      unsigned long len)
{
	return false;
}

struct vm_unmapped_area_info;
static inline unsigned long
vas_unmapped_area(struct vm_unmapped_area_info *info)
{
	return -ENOMEM;
}

struct iov_iter;
static inline bool vas_iter_refused(const struct iov_iter *iter)
{
	return false;
}

static inline void vas_exit_robust_list(struct task_struct *tsk,
					void (*walk)(struct task_struct *tsk))
{
}

static inline unsigned long vas_mmap_legacy_base(unsigned long base)
{
	return base;
}

static inline void vas_owner_populated(struct mm_struct *mm,
				       unsigned long addr)
{
}

static inline void vas_owner_freed(struct mm_struct *mm, unsigned long addr)
{
}

static inline void vas_flush_views(struct mm_struct *mm, unsigned long start,
				   unsigned long end,
				   unsigned int stride_shift,
				   bool freed_tables)
{
}

static inline void vas_tlbbatch_add_views(struct arch_tlbflush_unmap_batch *batch,
					  struct mm_struct *mm)
{
}

static inline void vas_mm_init(struct mm_struct *mm)
{
}

static inline void vas_task_init(struct task_struct *tsk)
{
}

static inline void vas_task_release(struct task_struct *tsk)
{
}

static inline void vas_mm_exit(struct mm_struct *mm)
{
}

static inline void vas_task_status(struct seq_file *m,
				   struct task_struct *task)
{
}

static inline struct mem_cgroup *vas_mm_memcg(struct mm_struct *mm)
{
	return NULL;
}

static inline void vas_exit_ns(struct ipc_namespace *ns)
{
}

#endif /* CONFIG_VAS */
#endif /* _LINUX_VAS_H */
