// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-agent's deliberate misbehaviour for the tests (see faults.h).
 * Compiled to nothing unless -DCK_AGENT_FAULTS.
 */
#ifdef CK_AGENT_FAULTS
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include <chipkey/backup_package.h>
#include "common/exit.h"
#include "common/file.h"
#include "lib/libchipkey.h"
#include "faults.h"

/* A forged first frame; then the SPP's reply. */
static int forged_frame(struct agent *a, const struct ck_spp_hello *hello)
{
	struct ck_spp_header h = {
		.body_len = CK_SPP_HELLO_LEN, .type = CK_SPP_HELLO, .version = CK_SPP_VERSION,
	};
	uint8_t body[CK_SPP_HELLO_LEN];
	size_t len = sizeof(body);
	struct spp_frame f;
	int err;

	spp_hello_encode(hello, body);
	if (!strcmp(a->fault, "oversize"))
		h.body_len = CK_SPP_MAX_BODY + 1, len = 0;
	else if (!strcmp(a->fault, "short-hello"))
		h.body_len = 10, len = 10;
	else if (!strcmp(a->fault, "bad-version"))
		h.version = 1;
	else if (!strcmp(a->fault, "wrong-type"))
		h.type = CK_SPP_BACKUP;
	else
		return -1;
	if (spp_send_raw(&a->c, &h, body, len))
		return agent_die(CK_EXIT_PROTOCOL, "send failed");
	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err)
		return agent_die(CK_EXIT_PROTOCOL, "no reply: %s", strerror(-err));
	err = f.type == CK_SPP_ERROR ? agent_report_error(&f) :
	      agent_die(CK_EXIT_PROTOCOL, "unexpected %s", spp_type_name(f.type));
	spp_frame_clear(&f);
	return err;
}

int agent_fault_hello(struct agent *a, struct ck_spp_hello *hello)
{
	if (!strcmp(a->fault, "random-chip")) {
		if (RAND_bytes(hello->chip_id, sizeof(hello->chip_id)) != 1 ||
		    RAND_bytes(hello->attest_pub + 1, sizeof(hello->attest_pub) - 1) != 1)
			return agent_die(CK_EXIT_OTHER, "no randomness");
		return -1;
	}
	if (!strcmp(a->fault, "wrong-q")) {
		hello->attest_pub[CHIPKEY_EC_POINT_LEN - 1] ^= 1;
		return -1;
	}
	return forged_frame(a, hello);
}

int agent_fault_offer(struct agent *a, const struct spp_frame *f,
		      const struct ck_spp_offer *offer, struct chipkey **wrapper)
{
	int err;

	(void)offer;
	if (!strcmp(a->fault, "other-chip")) {
		if (!a->other_dev || chipkey_open(a->other_dev, wrapper))
			return agent_die(CK_EXIT_USAGE,
					 "--fault other-chip needs a working --other-device");
		return 0;
	}
	if (strcmp(a->fault, "steal-offer"))
		return 0;
	if (!a->fault_out)
		return agent_die(CK_EXIT_USAGE, "--fault steal-offer needs --fault-out");
	err = ck_file_write_atomic(a->fault_out, f->body, f->len, 0600, 1);
	spp_send_error(&a->c, CK_SPP_E_DEVICE, "giving up");
	if (err)
		return agent_die(CK_EXIT_OTHER, "cannot write %s", a->fault_out);
	printf("OFFER written to %s\n", a->fault_out);
	return CK_EXIT_REFUSED;
}

/* Damage after the MAC: the MAC covers the backup as the chip made it. */
void agent_fault_backup(struct agent *a, struct ck_spp_backup *m, uint8_t *bk)
{
	if (!strcmp(a->fault, "truncate"))
		m->backup_len--;
	if (!strcmp(a->fault, "tamper"))
		bk[CHIPKEY_PKG_HEADER_LEN + 3] ^= 0x40;
	if (!strcmp(a->fault, "bad-mac"))
		m->mac[0] ^= 1;
	if (!strcmp(a->fault, "garbage") &&
	    (RAND_bytes(bk + CHIPKEY_PKG_HEADER_LEN,
			(int)(m->backup_len - CHIPKEY_PKG_HEADER_LEN)) != 1 ||
	     RAND_bytes(m->mac, sizeof(m->mac)) != 1))
		m->backup_len = 0;
}
#else
typedef int ck_agent_faults_empty;	/* ISO C: no empty translation unit */
#endif
