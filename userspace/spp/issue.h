/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: what the SPP issues to one chip (issue.c): the data package
 * it offers, the copy kept in the secret database and the device
 * certificate for the public record.
 */
#ifndef CHIPKEY_SPP_ISSUE_H
#define CHIPKEY_SPP_ISSUE_H

#include <stddef.h>
#include <stdint.h>
#include "common/pki.h"
#include "factory/factory.h"
#include "store/store.h"

struct spp_issued {
	uint8_t *dp;			/* the data package (offered) */
	size_t dp_len;
	uint8_t *secret;		/* ... without the device private key */
	size_t secret_len;
	uint8_t *cert_der;		/* the device certificate */
	size_t cert_len;
	int used_pregen;		/* the key pair came from @kp */
};

/*
 * Build the package of generation 1 for @identity and @chip_id, whose
 * device certificate names the chip's attestation key @attest_pub, with the
 * pre-generated key pair @kp if it holds one (it is cleared), else a fresh
 * one.  0, -EBADMSG (@kp is malformed) or another -errno.
 */
int spp_issue(struct ck_factory *f, const char *identity,
	      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
	      const uint8_t attest_pub[STORE_ATTEST_PUB_LEN], struct store_keypair *kp,
	      struct spp_issued *out);
void spp_issued_clear(struct spp_issued *is);

#endif /* CHIPKEY_SPP_ISSUE_H */
