/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Station authentication of chipkey-spp's TLS context: clients must present
 * a certificate chained to the station CA, not revoked by the station CRL
 * (re-read when the file changes: revocation needs no restart), and every
 * verification is logged with the station's CN and serial.  The station
 * role is checked once the handshake is done (spp_station_refusal(), by
 * the gate, gate.c, before any worker sees the connection).  Documented in
 * docs/provisioning-protocol.md "Transport".
 */
#ifndef CHIPKEY_SPP_STATION_AUTH_H
#define CHIPKEY_SPP_STATION_AUTH_H

#include <openssl/ssl.h>

/* successful station verifications remembered (station-auth.c) */
#define SPP_STATION_CACHE	64

/*
 * Require client certificates on @ctx: chained to a CA of @ca_file
 * (purpose TLS client), through @issuing_ca (NULL: none; the CA that
 * issues station credentials, docs/factory-pki.md), and not listed on the
 * CRL @crl_file, which must be a valid CRL (in force, signed by a CA of
 * @ca_file or by @issuing_ca) now.  0, or -1 after printing why (then the
 * SPP does not start).
 */
int spp_station_auth_setup(SSL_CTX *ctx, const char *ca_file, X509 *issuing_ca,
			   const char *crl_file);

/*
 * After a completed handshake on @ssl: NULL if the client may open a
 * session (@required 0: any TLS client, --no-station-auth), else why not
 * (the certificate is missing, did not verify, or lacks the station role).
 */
const char *spp_station_refusal(SSL *ssl, int required);

/* Free what spp_station_auth_setup() loaded (after the last handshake). */
void spp_station_auth_free(void);

#endif /* CHIPKEY_SPP_STATION_AUTH_H */
