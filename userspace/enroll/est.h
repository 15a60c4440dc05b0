/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The EST operations of chipkey-enroll (RFC 7030; docs/enrollment.md,
 * "Protocol") and the chip challenge, on the state of one running node.
 */
#ifndef CHIPKEY_ENROLL_EST_H
#define CHIPKEY_ENROLL_EST_H

#include <openssl/ssl.h>

#include "common/pki.h"
#include "ca.h"
#include "ledger.h"
#include "proof.h"

#define EST_PREFIX		"/.well-known/est/"
#define EST_CHALLENGE_PATH	"/chipkey/v1/challenge"

struct enroll_node {
	struct enroll_ca ca;
	struct ledger *ledger;
	struct pki_crls *crls;		/* NULL: no revocation check */
	struct proof_table *proofs;
	int days;			/* customer certificate validity (<= 0: none) */
	int challenge_ttl;		/* seconds */
	int crl_days;			/* validity of the CRLs the node signs */
	int renew_after;		/* seconds a certificate must be old to renew */
};

/* Default of serve --renew-after (docs/enrollment.md, "Renewal"). */
#define ENROLL_RENEW_AFTER	3600

/* What the front hands to an operation: the request and its TLS state. */
struct est_request {
	int post;			/* POST (else GET) */
	const char *path;		/* without the query */
	const uint8_t *body;
	size_t body_len;
	const char *attest;		/* the Chipkey-Attest header, or NULL */
	SSL *ssl;
	const char *addr;		/* peer address, for the log */
};

/* The answer: status, content type, body (the front frees @body). */
struct est_response {
	int status;
	const char *reason;
	const char *type;
	char *body;
	size_t len;
	int base64;			/* add Content-Transfer-Encoding: base64 */
};

/* Dispatch one request to its operation; fills @res (always). */
void est_handle(struct enroll_node *n, const struct est_request *req,
		struct est_response *res);

#endif /* CHIPKEY_ENROLL_EST_H */
