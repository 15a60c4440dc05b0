/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-agent's deliberate misbehaviour, compiled only into the test
 * binary chipkey-agent-faulty (-DCK_AGENT_FAULTS; faults.c).  In the real
 * agent these do nothing.  --fault KIND:
 *   HELLO   oversize, short-hello, bad-version, wrong-type (a forged first
 *           frame); random-chip (another chip ID and Q: a chip outside the
 *           batch); wrong-q (this chip ID with another Q)
 *   OFFER   other-chip (SEALED_WRAP on the --other-device chip);
 *           steal-offer (write the OFFER body to --fault-out, give up)
 *   BACKUP  truncate, tamper, bad-mac (damage after the chip's MAC);
 *           garbage (a backup with a well-formed header for this chip and
 *           generation 1 but random contents, and a random MAC: what a
 *           station without the chip can send)
 */
#ifndef CHIPKEY_AGENT_FAULTS_H
#define CHIPKEY_AGENT_FAULTS_H

#include "agent.h"

#ifdef CK_AGENT_FAULTS
/* -1: go on (@hello may be changed); else the exit status. */
int agent_fault_hello(struct agent *a, struct ck_spp_hello *hello);
/* 0: go on (*@wrapper may be another chip); else the exit status. */
int agent_fault_offer(struct agent *a, const struct spp_frame *f,
		      const struct ck_spp_offer *offer, struct chipkey **wrapper);
void agent_fault_backup(struct agent *a, struct ck_spp_backup *m, uint8_t *bk);
#else
static inline int agent_fault_hello(struct agent *a, struct ck_spp_hello *hello)
{
	(void)a;
	(void)hello;
	return -1;
}

static inline int agent_fault_offer(struct agent *a, const struct spp_frame *f,
				    const struct ck_spp_offer *offer,
				    struct chipkey **wrapper)
{
	(void)a;
	(void)f;
	(void)offer;
	(void)wrapper;
	return 0;
}

static inline void agent_fault_backup(struct agent *a, struct ck_spp_backup *m,
				      uint8_t *bk)
{
	(void)a;
	(void)m;
	(void)bk;
}
#endif

#endif /* CHIPKEY_AGENT_FAULTS_H */
