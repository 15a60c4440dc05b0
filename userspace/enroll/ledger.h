/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node's own database (DIR/enroll.db, SQLite, 0600): the whitelist
 * imported from shipment lists and the issuance ledger, one issuance per
 * device (docs/enrollment.md, "Authorization").  Functions return 0 or a
 * negative errno; -EIO for an SQLite error (message on stderr).
 */
#ifndef CHIPKEY_ENROLL_LEDGER_H
#define CHIPKEY_ENROLL_LEDGER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define ENROLL_DB	"enroll.db"

struct ledger;

/* The empty database in the directory @dir (a new file). */
int ledger_create(const char *dir);
struct ledger *ledger_open(const char *dir);
void ledger_close(struct ledger *l);

/* One whitelist entry: an identity, a chip ID (32 hex digits) or both; "" = any. */
int ledger_whitelist_add(struct ledger *l, const char *identity, const char *chip_hex,
			 int *added);
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);
/* Number of whitelist entries, or -EIO. */
long ledger_whitelist_count(struct ledger *l);

/*
 * May the device (@identity, @chip_hex) get a certificate now?  0;
 * -EACCES: on no whitelist entry; -EEXIST: a certificate was issued to
 * this identity or this chip before.
 */
int ledger_may_issue(struct ledger *l, const char *identity, const char *chip_hex);

struct ledger_issuance {
	const char *identity, *chip_hex;
	const char *serial_hex;		/* of the customer certificate */
	const char *auth_sha256;	/* hex SHA-256 of the certificate that authenticated
					 * (factory; a renewal: the customer certificate) */
	const char *cert_pem;		/* the customer certificate */
	time_t issued_at;
	const char *operation;		/* an enrollment: "simpleenroll" or "serverkeygen" */
	const char *previous_hex;	/* a renewal (simplereenroll): the renewed certificate */
	const uint8_t *envelope;	/* serverkeygen: the key as sent (EnvelopedData DER) */
	size_t envelope_len;
};
/*
 * Record one certificate atomically (one statement): an enrollment
 * (@i->previous_hex NULL: the identity, the chip ID and the serial are
 * each unique) or a renewal of @i->previous_hex.  0; -EEXIST: this
 * identity or chip has an issuance already, or @i->previous_hex was
 * renewed before; -EKEYREVOKED: @i->previous_hex is revoked (nothing
 * recorded in either case).
 */
int ledger_record(struct ledger *l, const struct ledger_issuance *i);

/*
 * A serverkeygen issuance of exactly this identity on this chip, to the
 * factory certificate hashing to @auth_sha256 (hex), whose key envelope
 * is kept: the certificate (PEM) and the envelope, malloc'd.  0; -ENOENT
 * none (or not by serverkeygen, another factory certificate, renewed);
 * -EIO, -ENOMEM.  Whether it is still current is the caller's check.
 */
int ledger_keygen_answer(struct ledger *l, const char *identity, const char *chip_hex,
			 const char *auth_sha256, char **cert_pem, uint8_t **env, size_t *env_len);

/*
 * The certificate (PEM, malloc'd) issued to exactly this identity on this
 * chip, or NULL (none, or a database error): re-delivery of an issuance
 * the device did not store (docs/enrollment.md "Re-delivery").
 */
char *ledger_issued_cert(struct ledger *l, const char *identity, const char *chip_hex);

/*
 * The state of the customer certificate @serial (hex, as issued): 0
 * current; -ENOENT not in the ledger; -EKEYREVOKED revoked; -ESTALE
 * superseded (renewed: the renewal is the current one).
 */
int ledger_cert_state(struct ledger *l, const char *serial);

/* The certificate (PEM, malloc'd) that renewed @previous, or NULL. */
char *ledger_renewal_cert(struct ledger *l, const char *previous);

#define LEDGER_SERIAL_MAX	40	/* hex digits of a serial (20 bytes) */
/*
 * Inside a transaction (ledger_begin): mark revoked, at @at, for @reason
 * by @by, the certificate @serial (or NULL) and every certificate of
 * @identity (or NULL) not revoked yet, however many; their serials in
 * *@serials (malloc'd, *@n of them; the caller frees it, also on error).
 * -ENOENT: no such certificate; -EALREADY: all of them were revoked
 * before; -ENOMEM.
 */
int ledger_revoke(struct ledger *l, const char *serial, const char *identity,
		  const char *reason, const char *by, time_t at,
		  char (**serials)[LEDGER_SERIAL_MAX + 1], size_t *n);

/* The newest CRL (DER, malloc'd): 0, -ENOENT none yet, -EIO. */
int ledger_crl_latest(struct ledger *l, uint8_t **der, size_t *len);
/* Store the CRL number @number: 0, or -EEXIST (that number is taken). */
int ledger_crl_store(struct ledger *l, long long number, const uint8_t *der, size_t len);

/* Print every certificate issued (enrollments and renewals, the operation
 * that issued it, their revocations), oldest first: text lines or one
 * JSON array. */
int ledger_list(struct ledger *l, FILE *out, int json);

#endif /* CHIPKEY_ENROLL_LEDGER_H */
