/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * First-class virtual address spaces (VAS).
 *
 * A VAS is a named address space that exists independently of any process.
 * See Documentation/userspace-api/vas.rst.
 */
#ifndef _UAPI_LINUX_VAS_H
#define _UAPI_LINUX_VAS_H

#include <linux/const.h>
#include <linux/types.h>

/**
 * define VAS_NAME_MAX - Longest VAS or segment name, in bytes
 *
 * The length does not count the terminating NUL.
 */
#define VAS_NAME_MAX		255

/**
 * define VAS_MODE_MASK - Permission bits a VAS or segment mode may carry
 *
 * Read and write for owner, group and others, as for files.  There are no
 * execute bits.
 */
#define VAS_MODE_MASK		0666

/**
 * define VAS_ATTR_UNCHANGED - Owner or group value that vas_setattr() ignores
 *
 * In &vas_attr.user or &vas_attr.group, keeps the current value, as -1 does
 * for chown(2).
 */
#define VAS_ATTR_UNCHANGED	((__u32)-1)

/**
 * define VAS_SLOT_SIZE - Granularity of ownership in an address space
 *
 * 512 GiB: the range that one entry of the top-level user page table
 * covers on x86-64 (a P4D entry; a PGD entry with 4-level paging).
 */
#define VAS_SLOT_SIZE		_BITULL(39)

/**
 * define VAS_AREA_START - First address of the VAS area
 *
 * The VAS area is where VAS memory lives: while a thread is switched into
 * a VAS, memory management in the VAS area acts on the VAS, everywhere else
 * on the process image.  Ordinary process images do not use the range, and
 * attaching a VAS to a process fails with EADDRINUSE if its image maps
 * anything there.  32 TiB, slot 64.
 */
#define VAS_AREA_START		(64 * VAS_SLOT_SIZE)

/**
 * define VAS_AREA_END - End of the VAS area (exclusive)
 *
 * 64 TiB: 64 slots, 32 TiB.  Below 128 TiB, so the area exists with 4-level
 * and with 5-level paging.
 */
#define VAS_AREA_END		(128 * VAS_SLOT_SIZE)

/**
 * struct vas_attr - Attributes of a VAS, for vas_getattr() and vas_setattr().
 *
 * The layout is fixed: three 32-bit fields, no padding, the same on every ABI.
 */
struct vas_attr {
	/**
	 * @mode: Access rights, a subset of %VAS_MODE_MASK.
	 */
	__u32 mode;
	/**
	 * @user: Owner user id, in the caller's user namespace.
	 */
	__u32 user;
	/**
	 * @group: Owner group id, in the caller's user namespace.
	 */
	__u32 group;
};

#endif /* _UAPI_LINUX_VAS_H */
