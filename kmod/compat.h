/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey: kernel API differences after 6.1 (the tested target).
 *
 * CK_KERNEL_VERSION is KERNEL_VERSION(major, minor, 0) of the kernel being
 * built against, passed by kmod/Kbuild.
 */
#ifndef _CHIPKEY_COMPAT_H
#define _CHIPKEY_COMPAT_H

#include <linux/version.h>

#ifndef CK_KERNEL_VERSION
#error "CK_KERNEL_VERSION must be set by kmod/Kbuild"
#endif

/*
 * 6.4 moved the nvmem post-processing hook from nvmem_config to each
 * nvmem_cell_info (read_post_process) and gave it an index argument.
 */
#define CK_NVMEM_CELL_POST_PROCESS	(KERNEL_VERSION(6, 4, 0) <= CK_KERNEL_VERSION)

/* 6.11 made platform_driver.remove return void. */
#define CK_PLATFORM_REMOVE_VOID		(KERNEL_VERSION(6, 11, 0) <= CK_KERNEL_VERSION)

#endif /* _CHIPKEY_COMPAT_H */
