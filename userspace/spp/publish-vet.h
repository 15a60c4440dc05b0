/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: the vet of the publisher (publish.c): what of the factory
 * store's outbox may reach the public store.  The outbox is a table of the
 * factory database; whoever can write that database can add rows to it,
 * so every row is checked as chipkey-pubdb checks a POST of generation 1
 * (docs/databases.md, "Databases apart"):
 *   - signed_record parses (pubdb_record_parse) and is format 2 (CMS);
 *   - the columns chip, generation, identity, backup and cert equal the
 *     signed content;
 *   - generation 1 (the SPP writes no other);
 *   - pubdb_record_validate(record, no previous record, the manufacturer
 *     root) == PUBDB_VALID: a record-signing credential chaining to the
 *     root signed it, the writer is an SPP, the content is sound.
 */
#ifndef CHIPKEY_SPP_PUBLISH_VET_H
#define CHIPKEY_SPP_PUBLISH_VET_H

#include <stddef.h>

#include <openssl/x509.h>

#include "store/store.h"

/* @root: the manufacturer root CA certificate (mfr-ca.pem).  0 or -1. */
int spp_vet_init(X509 *root);
void spp_vet_free(void);
/* struct store_publish_pass's vet: 0 = may be published, else -1 and
 * the reason in @why (the verdict where pubdb_record_validate() gave one). */
int spp_vet(void *arg, const struct store_pub_record *rec, char *why, size_t whylen);

#endif
