// SPDX-License-Identifier: GPL-2.0-only
/*
 * First-class virtual address spaces (VAS): where the memory operations of
 * a thread go.
 *
 * A thread switched into a VAS reaches the VAS mm for addresses in the VAS
 * area, and its process mm for the others: page faults, GUP, futexes and
 * the memory-management system calls resolve their addresses through
 * __vas_resolve(), mmap() in the area goes to vas_mmap().  A process with a
 * VAS attached keeps its image out of the VAS area: vas_image_conflict()
 * and vas_unmapped_area().
 *
 * See Documentation/mm/vas.rst.
 */

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/uio.h>
#include <linux/userfaultfd_k.h>
#include <asm/trap_pf.h>

#include "internal.h"
#include "vas_internal.h"

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

/**
 * __vas_resolve - The mm that an operation of the running thread acts on.
 * @start: First user address of the range.
 * @len: Length of the range; 1 for a single address.
 * @flags: %VAS_RESOLVE_CHANGE, %VAS_RESOLVE_GUP, %VAS_RESOLVE_WRITE.
 *
 * A range in the VAS area belongs to the VAS the thread is switched into;
 * any other range to the process mm.  A range across a boundary of the
 * area belongs to neither: memory operations never span both.  @flags add
 * refusals: a change of the mappings through a read-only attachment
 * (%VAS_RESOLVE_CHANGE), and, for GUP (%VAS_RESOLVE_GUP), a write through
 * a read-only attachment (%VAS_RESOLVE_WRITE) or any GUP if the process mm
 * has MMU notifiers: a secondary MMU (KVM, an HMM device) that mirrors the
 * process mm may map what GUP returns, and hears only of the process mm's
 * invalidations, never of the VAS mm's.  Lock-free and NMI-safe.
 *
 * Return: the VAS mm, NULL for the process mm, ERR_PTR(-EINVAL) for a range
 * across a boundary of the area, ERR_PTR(-EACCES) for a refused change, or
 * ERR_PTR(-EFAULT) for a refused GUP.
 */
struct mm_struct *__vas_resolve(unsigned long start, size_t len,
				unsigned int flags)
{
	struct vas_attachment *att = current->vas;
	unsigned long end = start + len;

	if (!att || end < start)
		return NULL;
	if (!vas_addr_in_area(start)) {
		if (start < VAS_AREA_START && end > VAS_AREA_START)
			return ERR_PTR(-EINVAL);
		return NULL;
	}
	if (end > VAS_AREA_END)
		return ERR_PTR(-EINVAL);
	if ((flags & VAS_RESOLVE_CHANGE) && att->readonly)
		return ERR_PTR(-EACCES);
	if ((flags & VAS_RESOLVE_GUP) &&
	    (((flags & VAS_RESOLVE_WRITE) && att->readonly) ||
	     mm_has_notifiers(current->mm)))
		return ERR_PTR(-EFAULT);
	return att->vas->mm;
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
