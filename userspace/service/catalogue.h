/* SPDX-License-Identifier: GPL-2.0-or-later */
/* chipkey-service: answering one catalogue request (catalogue.c). */
#ifndef CHIPKEY_SERVICE_CATALOGUE_H
#define CHIPKEY_SERVICE_CATALOGUE_H

#include <openssl/ssl.h>

/* Read one request on @ssl and answer it from the directory @dir
 * (docs/service-link.md "Catalogue").  0 or -errno; logs as @peer. */
int svc_catalogue_serve(SSL *ssl, const char *dir, const char *peer);

#endif /* CHIPKEY_SERVICE_CATALOGUE_H */
