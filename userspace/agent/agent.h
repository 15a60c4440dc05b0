/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-agent: the device side of factory provisioning.  main.c parses
 * the options, tls.c connects to the SPP and checks its credential against
 * the ROM key, provision.c runs the protocol and writes the flash store.
 * Functions returning an exit status use common/exit.h.
 */
#ifndef CHIPKEY_AGENT_H
#define CHIPKEY_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <linux/chipkey.h>
#include "common/pki.h"
#include "proto/messages.h"

/* --crl may be given this many times */
#define AGENT_MAX_CRLS 8

struct agent {
	struct chipkey *ck;
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	uint8_t rom[CHIPKEY_MAX_ROM_KEY];	/* manufacturer public key (ROM) */
	size_t rom_len;
	uint8_t fp[CK_SPP_FP_LEN];		/* SHA-256 of its canonical DER */
	uint8_t attest_pub[CHIPKEY_EC_POINT_LEN];	/* the chip's Q */
	struct pki_crls *crls;			/* --crl (NULL: none) */
	SSL_CTX *ctx;
	struct spp_conn c;
	const char *store_dir;
	/* test builds (-DCK_AGENT_FAULTS, faults.c): --fault KIND,
	 * --other-device DEV, --fault-out FILE */
	const char *fault;
	const char *other_dev;
	const char *fault_out;
};

/*
 * tls.c: @cert (a device certificate if @device, else the SPP's TLS
 * certificate) and the issuing CA @ca that signed it, checked against the
 * ROM key and the --crl CRLs (pki_verify_device_cert / pki_verify_spp_cert,
 * then pki_crls_check) at @now; a device certificate must name this chip.
 * 0 or -errno (-EKEYREVOKED: revoked).
 */
int agent_check_chain(struct agent *a, X509 *cert, X509 *ca, int device, time_t now);

/* Print "chipkey-agent: MESSAGE" and return @code. */
int agent_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* tls.c: TCP + TLS 1.3 to @spec (HOST:PORT), the SPP credential checked
 * with the ROM key; the station credential if @st_cert.  Exit status. */
int agent_tls_connect(struct agent *a, const char *spec, int timeout,
		      const char *st_cert, const char *st_key);
/* Close the connection (TLS close_notify if @polite). */
void agent_tls_close(struct agent *a, int polite);

/* provision.c: open the chip (@dev: NULL for the default), read its ID,
 * ROM key and fingerprint.  Exit status. */
int agent_read_chip(struct agent *a, const char *dev);
/* One provisioning session on the connected agent.  Exit status. */
int agent_provision(struct agent *a);
/* Print the SPP's ERROR frame @f.  Exit status (CK_EXIT_REFUSED). */
int agent_report_error(const struct spp_frame *f);

#endif /* CHIPKEY_AGENT_H */
