/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test fault of crash-test builds (-DCK_CRASH_HOOKS) of chipkey-spp:
 * CHIPKEY_SPP_FAULT=foreign-issuing-ca makes the OFFER carry a device
 * certificate for the right chip, identity and Q, re-issued by an issuing
 * CA with the genuine one's names that the manufacturer root never signed
 * (test-spp.sh: the device must refuse it).  Production builds: no fault.
 */
#ifndef CHIPKEY_SPP_OFFER_FAULT_H
#define CHIPKEY_SPP_OFFER_FAULT_H

#include <stddef.h>
#include <stdint.h>

/*
 * 1 with *cert / *ca (OPENSSL_free both) the forged certificates when the
 * fault is on, else 0.
 */
int spp_offer_fault(const char *identity, const uint8_t *chip_id, const uint8_t *attest_pub,
		    uint8_t **cert, size_t *cert_len, uint8_t **ca, size_t *ca_len);

#endif /* CHIPKEY_SPP_OFFER_FAULT_H */
