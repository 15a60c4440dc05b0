/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Station authentication of chipkey-spp's TLS context: clients must present
 * a certificate chained to the station CA, not revoked by the station CRL
 * (re-read when the file changes: revocation needs no restart), and every
 * verification is logged with the station's CN and serial.  The station
 * role itself is checked by the session (session.c).  Documented in
 * docs/provisioning-protocol.md "Transport".
 */
#ifndef CHIPKEY_SPP_STATION_AUTH_H
#define CHIPKEY_SPP_STATION_AUTH_H

#include <openssl/ssl.h>

/*
 * Require client certificates on @ctx: chained to a CA of @ca_file
 * (purpose TLS client) and not listed on the CRL @crl_file, which must be
 * a valid CRL (in force, signed by a CA of @ca_file) now.  0, or -1 after
 * printing why (then the SPP does not start).
 */
int spp_station_auth_setup(SSL_CTX *ctx, const char *ca_file, const char *crl_file);

/* Free what spp_station_auth_setup() loaded (after the last handshake). */
void spp_station_auth_free(void);

#endif /* CHIPKEY_SPP_STATION_AUTH_H */
