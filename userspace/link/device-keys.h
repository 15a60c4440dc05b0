/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device's link keys from the keys directory recovery writes
 * (default /run/chipkey; recovery/keys.c): identity, channel.key,
 * device-key.pem, device-cert.pem (the certificate, then its issuing CA).
 */
#ifndef CHIPKEY_LINK_DEVICE_KEYS_H
#define CHIPKEY_LINK_DEVICE_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "link.h"

/*
 * Fill @d from @dir and the ROM key @rom (DER SubjectPublicKeyInfo).  A
 * missing file leaves its field empty (the mode that needs it fails with
 * -ENOKEY); a malformed one is an error, and so is a secret (channel.key,
 * device-key.pem) readable by group or others (-EPERM).  0 or -errno, with
 * the file's name in @what.
 */
int ck_link_device_load(struct ck_link_device *d, const char *dir, const uint8_t *rom,
			size_t rom_len, const char **what);
void ck_link_device_free(struct ck_link_device *d);

#endif /* CHIPKEY_LINK_DEVICE_KEYS_H */
