/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: publication of the issued records (the factory store's
 * outbox) into the public store (docs/databases.md, "Databases apart").
 *
 * The provisioning commit writes the record into the factory store's
 * outbox, in the same transaction as the secret record; the publisher, one
 * thread with its own two store handles, then inserts it into the public
 * store and marks it published.  It drains the whole outbox at start, after
 * each commit (spp_publish_wait), and retries every SPP_PUBLISH_RETRY
 * seconds while records it could not publish for another reason than a
 * refusal by its vet (publish-vet.h) remain.  The session sends
 * DONE after spp_publish_wait() returned: its record is in the public
 * store then, unless publication failed (logged; the record stays in the
 * outbox and is retried).
 */
#ifndef CHIPKEY_SPP_PUBLISH_H
#define CHIPKEY_SPP_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "store/store.h"

#define SPP_PUBLISH_RETRY 5	/* seconds */
#define SPP_PUBLISH_BATCH 256	/* records per public/factory transaction pair */

/* Opens both stores, drains the outbox (a record that cannot be published
 * or that the vet refuses, publish-vet.h, is logged and stays) and starts
 * the thread.  @root: the manufacturer root CA (the vet's trust anchor).
 * Non-zero (message on stderr) if a store cannot be opened. */
int spp_publish_start(const char *factory_url, const char *public_url, X509 *root);
/* The record of @chip_id was committed: waits for the end of a
 * publication pass that started after the call.  0 if that pass published
 * it (or found it published), else why not: that record's error (-EEXIST
 * conflict, -EACCES refused by the vet, ...) or the pass's (-ESHUTDOWN:
 * the publisher stopped). */
int spp_publish_wait(const uint8_t chip_id[16]);
/* The newest current (not voided) record of @chip_id in the public store
 * (store_pub_current(), its own handle): 0, -ENOENT (none), or another
 * error (-ENODEV: the public store could not be opened for reads). */
int spp_publish_current(const uint8_t chip_id[16], struct store_pub_record *rec);
/* Stops the thread after a last drain; closes the stores. */
void spp_publish_stop(void);

#endif
