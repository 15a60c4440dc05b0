/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Revocation of customer certificates (docs/enrollment.md, "Revocation"):
 * the ledger records who revoked which certificate, when and why, and
 * holds the CRLs the customer CA signed (one per cRLNumber, increasing),
 * made with the factory's CRL maker (factory/station-crl.h).  The node
 * serves the newest at ENROLL_CRL_PATH, DER.
 */
#ifndef CHIPKEY_ENROLL_CRL_H
#define CHIPKEY_ENROLL_CRL_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "ledger.h"

#define ENROLL_CRL_PATH		"/chipkey/v1/crl"

/*
 * Revoke @serial (hex, any case) or every certificate of @identity (the
 * other NULL) for @reason (a name of station_crl_reason) by @by, and sign
 * a new CRL valid @days days (one, with every new entry), in one
 * transaction, however many certificates.  0 (the serials printed on
 * stdout); -EINVAL bad serial or reason; -ENOENT no such certificate;
 * -EALREADY revoked before; -ENOMEM; -EIO.
 */
int enroll_crl_revoke(struct ledger *l, const struct enroll_ca *ca, const char *serial,
		      const char *identity, const char *reason, const char *by, int days);

/*
 * The CRL to hand out (DER, malloc'd): the newest in the ledger, or a new
 * one (cRLNumber + 1, @days days) if there is none yet or the newest is
 * past half of its validity.  0 or a negative errno.
 */
int enroll_crl_current(struct ledger *l, const struct enroll_ca *ca, int days,
		       uint8_t **der, size_t *len);

#endif /* CHIPKEY_ENROLL_CRL_H */
