/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey selftests: dropping privileges, for the tests that check what an
 * unprivileged caller gets (chipkey_perm_test, chipkey_attest_test).
 */
#ifndef CHIPKEY_SELFTEST_CAPS_H
#define CHIPKEY_SELFTEST_CAPS_H

#include <grp.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#define NOBODY 65534

static inline int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	return (int)syscall(SYS_capget, &h, d);
}

static inline int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	return (int)syscall(SYS_capset, &h, d);
}

/* Become uid/gid 65534 with no capabilities at all. */
static inline int drop_to_nobody(void)
{
	struct __user_cap_data_struct d[2];

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -1;
	if (caps_get(d))
		return -1;
	if (d[0].effective || d[1].effective || d[0].permitted || d[1].permitted)
		return -1;
	return getuid() == NOBODY && geteuid() == NOBODY ? 0 : -1;
}

/* Stay uid 0 but remove CAP_SYS_ADMIN (and only it) from every set. */
static inline int drop_sys_admin(void)
{
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0))
		return -1;
	if (caps_get(d))
		return -1;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].inheritable &= ~(1u << (CAP_SYS_ADMIN % 32));
	return caps_set(d);
}

#endif /* CHIPKEY_SELFTEST_CAPS_H */
