// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libchipkey: backend selection and the public API (see libchipkey.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

int chipkey_open(const char *device, struct chipkey **out)
{
	struct chipkey *ck;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!device) {
		device = getenv(CHIPKEY_DEVICE_ENV);
		if (!device || !*device)
			device = CHIPKEY_DEFAULT_DEVICE;
	}
	ck = calloc(1, sizeof(*ck));
	if (!ck)
		return -ENOMEM;
	ck->fd = -1;
	if (pthread_mutex_init(&ck->lock, NULL)) {
		free(ck);
		return -ENOMEM;
	}
	/* No fallback: the string alone decides the backend. */
	if (!strncmp(device, CHIPKEY_EMU_PREFIX, strlen(CHIPKEY_EMU_PREFIX)))
		ret = ck_emu_open(device + strlen(CHIPKEY_EMU_PREFIX), ck);
	else
		ret = ck_kernel_open(device, ck);
	if (ret) {
		pthread_mutex_destroy(&ck->lock);
		free(ck);
		return ret;
	}
	*out = ck;
	return 0;
}

void chipkey_close(struct chipkey *ck)
{
	if (!ck)
		return;
	ck->be->close(ck);
	pthread_mutex_destroy(&ck->lock);
	free(ck);
}

const char *chipkey_backend_name(const struct chipkey *ck)
{
	return ck ? ck->be->name : "none";
}

int chipkey_get_info(struct chipkey *ck, struct chipkey_info *info)
{
	struct chipkey_info tmp;
	int ret;

	if (!ck || !info)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_INFO, &tmp);
	if (!ret)
		*info = tmp;
	return ret;
}

static uint32_t clamp_u32(size_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int do_xfer(struct chipkey *ck, unsigned int cmd, const void *in,
		   size_t in_len, void *out, size_t *out_len,
		   uint64_t *generation)
{
	struct chipkey_xfer x;
	int ret;

	if (!ck || !out_len || (!in && in_len) || (!out && *out_len))
		return -EINVAL;
	if (in_len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&x, 0, sizeof(x));
	x.in_ptr = (uintptr_t)in;
	x.out_ptr = (uintptr_t)out;
	x.in_len = (uint32_t)in_len;
	x.out_len = clamp_u32(*out_len);
	x.generation = *generation;
	ret = ck->be->ioctl(ck, cmd, &x);
	if (!ret || ret == -ENOSPC)
		*out_len = x.out_len;
	if (!ret)
		*generation = x.generation;
	return ret;
}

int chipkey_wrap(struct chipkey *ck, const void *in, size_t in_len,
		 uint64_t generation, void *out, size_t *out_len)
{
	return do_xfer(ck, CHIPKEY_IOC_WRAP, in, in_len, out, out_len,
		       &generation);
}

int chipkey_unwrap(struct chipkey *ck, const void *in, size_t in_len,
		   void *out, size_t *out_len, uint64_t *generation)
{
	uint64_t gen = 0;
	int ret;

	ret = do_xfer(ck, CHIPKEY_IOC_UNWRAP, in, in_len, out, out_len, &gen);
	if (!ret && generation)
		*generation = gen;
	return ret;
}

int chipkey_get_rom_key(struct chipkey *ck, void *buf, size_t *len)
{
	struct chipkey_rom_key k;
	int ret;

	if (!ck || !len || (!buf && *len))
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.buf_ptr = (uintptr_t)buf;
	k.buf_len = clamp_u32(*len);
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_ROM_KEY, &k);
	if (!ret || ret == -ENOSPC)
		*len = k.buf_len;
	return ret;
}

int chipkey_get_attest_key(struct chipkey *ck, uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	struct chipkey_attest_key k;
	int ret;

	if (!ck || !pub)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_ATTEST_KEY, &k);
	if (!ret)
		memcpy(pub, k.pub, CHIPKEY_EC_POINT_LEN);
	return ret;
}

int chipkey_attest(struct chipkey *ck, const uint8_t v[CHIPKEY_EC_POINT_LEN],
		   const void *ctx, size_t ctx_len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct chipkey_attest a;
	int ret;

	if (!ck || !v || !mac || (!ctx && ctx_len))
		return -EINVAL;
	if (ctx_len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&a, 0, sizeof(a));
	a.context_ptr = (uintptr_t)ctx;
	a.context_len = (uint32_t)ctx_len;
	memcpy(a.verifier_pub, v, CHIPKEY_EC_POINT_LEN);
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_ATTEST, &a);
	if (!ret)
		memcpy(mac, a.mac, CHIPKEY_MAC_LEN);
	return ret;
}

int chipkey_sealed_wrap(struct chipkey *ck, const void *sealed, size_t len,
			uint64_t generation, const void *ctx, size_t ctx_len,
			void *out, size_t *out_len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct chipkey_sealed_wrap s;
	int ret;

	if (!ck || !out_len || !mac || (!sealed && len) || (!ctx && ctx_len) ||
	    (!out && *out_len))
		return -EINVAL;
	if (len > UINT32_MAX || ctx_len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&s, 0, sizeof(s));
	s.in_ptr = (uintptr_t)sealed;
	s.out_ptr = (uintptr_t)out;
	s.context_ptr = (uintptr_t)ctx;
	s.in_len = (uint32_t)len;
	s.out_len = clamp_u32(*out_len);
	s.generation = generation;
	s.context_len = (uint32_t)ctx_len;
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_SEALED_WRAP, &s);
	if (!ret || ret == -ENOSPC)
		*out_len = s.out_len;
	if (!ret)
		memcpy(mac, s.mac, CHIPKEY_MAC_LEN);
	return ret;
}

int chipkey_chip_mac(struct chipkey *ck, uint32_t purpose, const void *in,
		     size_t len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct chipkey_chip_mac m;
	int ret;

	if (!ck || !mac || (!in && len))
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&m, 0, sizeof(m));
	m.in_ptr = (uintptr_t)in;
	m.in_len = (uint32_t)len;
	m.purpose = purpose;
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_CHIP_MAC, &m);
	if (!ret)
		memcpy(mac, m.mac, CHIPKEY_MAC_LEN);
	return ret;
}

/* The sealed-key structures have one layout on every ABI: the kernel has
 * no compat handler for them (kmod/sealed-key.c asserts the same). */
_Static_assert(sizeof(struct chipkey_key_new) == 40, "struct chipkey_key_new");
_Static_assert(sizeof(struct chipkey_key_load) == 56, "struct chipkey_key_load");

int chipkey_key_new(struct chipkey *ck, uint32_t key_len, void *out,
		    size_t *out_len)
{
	struct chipkey_key_new k;
	int ret;

	if (!ck || !out || !out_len)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.out_ptr = (uintptr_t)out;
	k.key_len = key_len;
	k.out_len = *out_len > UINT32_MAX ? UINT32_MAX : (uint32_t)*out_len;
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_KEY_NEW, &k);
	if (!ret || ret == -ENOSPC)
		*out_len = k.out_len;
	return ret;
}

int chipkey_key_load(struct chipkey *ck, const void *blob, size_t len,
		     const char *name, int32_t keyring, int32_t *serial)
{
	struct chipkey_key_load k;
	int ret;

	if (!ck || !blob || !name || !serial)
		return -EINVAL;
	if (len > UINT32_MAX || strlen(name) > UINT32_MAX)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.in_ptr = (uintptr_t)blob;
	k.in_len = (uint32_t)len;
	k.name_ptr = (uintptr_t)name;
	k.name_len = (uint32_t)strlen(name);
	k.keyring = keyring;
	ret = ck->be->ioctl(ck, CHIPKEY_IOC_KEY_LOAD, &k);
	if (!ret)
		*serial = k.serial;
	return ret;
}

const char *chipkey_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EPERM:
		return "operation not permitted (wrap/unwrap, attest, sealed-wrap, mac and key new/load need privilege)";
	case EACCES:
		return "permission denied";
	case EINVAL:
		return "malformed request or package";
	case EMSGSIZE:
		return "input larger than the chip's limits";
	case ENOSPC:
		return "output buffer too small";
	case ENOKEY:
		return "package was made by (or sealed to) another chip";
	case EBADMSG:
		return "package failed authentication (tampered or corrupted)";
	case EFAULT:
		return "bad buffer address";
	case ENODEV:
		return "the chip is gone (device unbound, or its emulator exited)";
	case EBUSY:
		return "too many connections to the emulator; try again later";
	case ENOENT:
		return "no such device or socket";
	case ENOTTY:
		return "not a chipkey device";
	case ECONNREFUSED:
		return "connection refused (is chipkey-emu running?)";
	case ECONNRESET:
		return "emulator closed the connection";
	case ENOTSOCK:
		return "not a socket";
	case ENAMETOOLONG:
		return "socket path too long";
	case EPROTO:
		return "emulator protocol error";
	case ENOMEM:
		return "out of memory";
	default: {
		const char *s = strerrordesc_np(err < 0 ? -err : err);

		return s ? s : "unknown error";
	}
	}
}
