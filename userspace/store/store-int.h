/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: backend operations behind store.h.  Arguments are validated
 * by store.c before a backend is called. */
#ifndef CHIPKEY_STORE_INT_H
#define CHIPKEY_STORE_INT_H

#include "store.h"

struct store_ops {
	const char *name;
	void (*close)(struct store *st);
	int (*load_identities)(struct store *st, const char *const *ids, size_t n,
			       size_t *added);
	int (*claim_identity)(struct store *st, const uint8_t *chip,
			      char *identity, int *state);
	int (*identity_counts)(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i);
	int (*add_keypair)(struct store *st, const uint8_t *pub, size_t pub_len,
			   const uint8_t *priv, size_t priv_len, int64_t *id);
	int (*claim_keypair)(struct store *st, const uint8_t *chip,
			     struct store_keypair *kp);
	int (*keypair_counts)(struct store *st, uint64_t *f, uint64_t *r);
	/* optional: identity + key pair in one transaction (else both in turn) */
	int (*claim_both)(struct store *st, const uint8_t *chip, char *identity,
			  int *state, struct store_keypair *kp);
	int (*pub_insert)(struct store *st, struct store_pub_record *rec);
	/* generation 0: latest */
	int (*pub_get)(struct store *st, const uint8_t *chip, uint64_t generation,
		       struct store_pub_record *rec);
	int (*pub_generations)(struct store *st, const uint8_t *chip,
			       struct store_generation **list, size_t *n);
	int (*pub_count_chips)(struct store *st, uint64_t *n);
	int (*secret_get)(struct store *st, const uint8_t *chip,
			  struct store_secret_record *rec);
	int (*commit)(struct store *st, const struct store_commit *c);
};

struct store {
	const struct store_ops *ops;
	void *impl;
	char err[256];
};

/* Sets st->err (printf-style) and returns rc. */
int store_fail(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int64_t store_now(void);
void *store_memdup(const void *p, size_t n);

int store_sqlite_open(struct store *st, const char *path);
int store_pg_open(struct store *st, const char *conninfo);
int store_sqlite_tune_reads(struct store *st, uint64_t mmap_bytes, uint64_t cache_kib);

#define STORE_MAX_RETRIES 50

#endif
