/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey byte order: the one home of the helpers that store integers at a
 * byte pointer in a fixed byte order, for the codecs of the formats under
 * include/chipkey/.  Compiled into the kernel module and into userspace.
 *
 * Big endian: the backup package (backup_package.h) and the other storage
 * formats.  Little endian: the emulator socket protocol (emu_messages.h),
 * which mirrors the ioctl structures as an x86-64 kernel lays them out.
 */
#ifndef _CHIPKEY_BYTEORDER_H
#define _CHIPKEY_BYTEORDER_H

#include <linux/types.h>

static inline void ck_put_be16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static inline void ck_put_be32(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 24);
	p[1] = (__u8)(v >> 16);
	p[2] = (__u8)(v >> 8);
	p[3] = (__u8)v;
}

static inline void ck_put_be64(__u8 *p, __u64 v)
{
	ck_put_be32(p, (__u32)(v >> 32));
	ck_put_be32(p + 4, (__u32)v);
}

static inline __u16 ck_get_be16(const __u8 *p)
{
	return (__u16)((p[0] << 8) | p[1]);
}

static inline __u32 ck_get_be32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) |
	       ((__u32)p[2] << 8) | (__u32)p[3];
}

static inline __u64 ck_get_be64(const __u8 *p)
{
	return ((__u64)ck_get_be32(p) << 32) | ck_get_be32(p + 4);
}

static inline void ck_put_le32(__u8 *p, __u32 v)
{
	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
	p[2] = (__u8)(v >> 16);
	p[3] = (__u8)(v >> 24);
}

static inline void ck_put_le64(__u8 *p, __u64 v)
{
	ck_put_le32(p, (__u32)v);
	ck_put_le32(p + 4, (__u32)(v >> 32));
}

static inline __u32 ck_get_le32(const __u8 *p)
{
	return (__u32)p[0] | ((__u32)p[1] << 8) |
	       ((__u32)p[2] << 16) | ((__u32)p[3] << 24);
}

static inline __u64 ck_get_le64(const __u8 *p)
{
	return (__u64)ck_get_le32(p) | ((__u64)ck_get_le32(p + 4) << 32);
}

#endif /* _CHIPKEY_BYTEORDER_H */
