/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * First-class virtual address spaces (VAS).
 *
 * A VAS is a named address space that exists independently of any process.
 * See Documentation/userspace-api/vas.rst.
 */
#ifndef _UAPI_LINUX_VAS_H
#define _UAPI_LINUX_VAS_H

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
