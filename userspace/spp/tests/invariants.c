// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spp-check invariants: the crash-safety invariants of the factory
 * databases, checked on a dump taken directly from the database (SQL run by
 * the test script with sqlite3 or psql, one read transaction), not through
 * the store API.  Dump lines (hex lower case, one record a line):
 *
 *   P chip generation identity backup cert      public_records
 *   S chip identity generation data             device_secrets
 *   I identity state chip|-                     identity_pool
 *   K id pub chip|-                             keypair_pool
 *
 *   spp-check invariants DUMP FACTORY PREGEN [--prev F] [--save F]
 *             [--agent CHIP=IDENTITY]... [--unwrap CHIP=DEVICE]...
 *
 * PREGEN lists the public keys (SPKI DER, hex) of every pre-generated key
 * pair ever loaded.  Checked:
 *  - no identity issued twice: every public record's identity is the one the
 *    pool issued to that chip, the same in every generation and in the
 *    secret record; no identity recorded for two chips; --agent: a device
 *    that reported success holds the identity the pool issued to it;
 *  - no device recorded without a complete restorable backup: a secret
 *    record only with a public record and an issued identity (and the other
 *    way round); every public backup passes ck_pkg_header_parse for its chip
 *    and generation, every certificate verifies with the ROM key for that
 *    identity and chip; --unwrap: the backup unwraps on that device to the
 *    data package = secret record + the device key of the certificate;
 *  - no pre-generated key lost: each is either free, or reserved for a chip
 *    that has not committed, or the certificate key of exactly one committed
 *    device, never two of these; no key pair appears from nowhere;
 *  - --prev: every chip that held an identity (reserved or issued) in the
 *    previous dump still holds the same one; --save writes this dump's map.
 * Violations are printed as "# ..." lines; exit status 1 if there was any.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "common/identity.h"
#include "common/hex.h"
#include "lib/libchipkey.h"
#include "common/pki.h"
#include "factory/factory.h"
#include "store/store.h"

struct blob { uint8_t *p; size_t n; };
struct prec { char chip[33]; unsigned long long gen; char id[16]; struct blob bk, cert, spki; };
struct srec { char chip[33]; char id[16]; unsigned long long gen; struct blob data; };
struct irec { char id[16]; int state; char chip[33]; };
struct krec { long long id; struct blob pub; char chip[33]; int used; };

static struct prec *P; static size_t nP;
static struct srec *S; static size_t nS;
static struct irec *I; static size_t nI;
static struct krec *K; static size_t nK;
static int bad;

#define VIOL(...) do { printf("# VIOLATION: " __VA_ARGS__); printf("\n"); bad++; } while (0)

static int unhex(const char *h, struct blob *b)
{
	return ck_hex_decode_alloc(h, &b->p, &b->n) ? -1 : 0;
}

#define GROW(arr, n) (arr = realloc(arr, (n + 1) * sizeof(*arr)), memset(&arr[n], 0, sizeof(*arr)), &arr[n++])

static int load_dump(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *tok[8];
	size_t cap = 0;
	int lno = 0;

	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		int nt = 0;
		char *save = NULL, *t;

		lno++;
		for (t = strtok_r(line, " |\t\n", &save); t && nt < 8;
		     t = strtok_r(NULL, " |\t\n", &save))
			tok[nt++] = t;
		if (!nt)
			continue;
		if (!strcmp(tok[0], "P") && nt == 6) {
			struct prec *r = GROW(P, nP);

			snprintf(r->chip, sizeof(r->chip), "%s", tok[1]);
			r->gen = strtoull(tok[2], NULL, 10);
			snprintf(r->id, sizeof(r->id), "%s", tok[3]);
			if (unhex(tok[4], &r->bk) || unhex(tok[5], &r->cert))
				goto bad_line;
		} else if (!strcmp(tok[0], "S") && nt == 5) {
			struct srec *r = GROW(S, nS);

			snprintf(r->chip, sizeof(r->chip), "%s", tok[1]);
			snprintf(r->id, sizeof(r->id), "%s", tok[2]);
			r->gen = strtoull(tok[3], NULL, 10);
			if (unhex(tok[4], &r->data))
				goto bad_line;
		} else if (!strcmp(tok[0], "I") && nt == 4) {
			struct irec *r = GROW(I, nI);

			snprintf(r->id, sizeof(r->id), "%s", tok[1]);
			r->state = atoi(tok[2]);
			snprintf(r->chip, sizeof(r->chip), "%s", tok[3]);
		} else if (!strcmp(tok[0], "K") && nt == 4) {
			struct krec *r = GROW(K, nK);

			r->id = atoll(tok[1]);
			snprintf(r->chip, sizeof(r->chip), "%s", tok[3]);
			if (unhex(tok[2], &r->pub))
				goto bad_line;
		} else {
			goto bad_line;
		}
	}
	free(line);
	fclose(f);
	return 0;
bad_line:
	printf("# dump line %d does not parse\n", lno);
	free(line);
	fclose(f);
	return -1;
}

static struct irec *i_by_chip(const char *chip)
{
	for (size_t i = 0; i < nI; i++)
		if (!strcmp(I[i].chip, chip))
			return &I[i];
	return NULL;
}

static struct srec *s_by_chip(const char *chip)
{
	for (size_t i = 0; i < nS; i++)
		if (!strcmp(S[i].chip, chip))
			return &S[i];
	return NULL;
}

static struct prec *p_latest(const char *chip)
{
	struct prec *best = NULL;

	for (size_t i = 0; i < nP; i++)
		if (!strcmp(P[i].chip, chip) && (!best || P[i].gen > best->gen))
			best = &P[i];
	return best;
}

static int blob_eq(const struct blob *a, const uint8_t *p, size_t n)
{
	return a->n == n && !memcmp(a->p, p, n);
}

static void check_public(struct ck_factory *fac)
{
	for (size_t i = 0; i < nP; i++) {
		struct prec *r = &P[i];
		struct irec *ir = i_by_chip(r->chip);
		struct srec *sr = s_by_chip(r->chip);
		struct ck_pkg_header h;
		uint8_t chip[16];
		X509 *x;

		if (ck_hex_decode(r->chip, chip, STORE_CHIP_ID_LEN)) {
			VIOL("public record with a bad chip ID %s", r->chip);
			continue;
		}
		if (!ir || ir->state != STORE_ID_ISSUED || strcmp(ir->id, r->id))
			VIOL("chip %s: public record names identity %s, the pool says %s (state %d)",
			     r->chip, r->id, ir ? ir->id : "none", ir ? ir->state : -1);
		if (!sr || strcmp(sr->id, r->id))
			VIOL("chip %s: public record without a matching secret record", r->chip);
		for (size_t j = 0; j < nP; j++) {
			if (!strcmp(P[j].chip, r->chip) && strcmp(P[j].id, r->id))
				VIOL("chip %s: two identities across generations", r->chip);
			if (strcmp(P[j].chip, r->chip) && !strcmp(P[j].id, r->id))
				VIOL("identity %s recorded for chips %s and %s", r->id,
				     r->chip, P[j].chip);
		}
		if (ck_pkg_header_parse(r->bk.p, r->bk.n, &h))
			VIOL("chip %s: public backup does not parse as a backup package", r->chip);
		else if (memcmp(h.chip_id, chip, 16) || h.generation != r->gen ||
			 r->bk.n != ck_pkg_size(h.payload_len))
			VIOL("chip %s: backup header is for another chip, generation or length",
			     r->chip);
		x = pki_cert_from_der(r->cert.p, r->cert.n);
		if (!x || pki_verify_device_cert(x, fac->ca_cert, fac->rom_key, fac->rom_key_len, r->id,
						 chip, 0)) {
			VIOL("chip %s: certificate does not verify for identity %s", r->chip, r->id);
		} else if (pki_public_to_der(X509_get0_pubkey(x), &r->spki.p, &r->spki.n)) {
			VIOL("chip %s: certificate key not readable", r->chip);
		}
		X509_free(x);
	}
}

static void check_secret(void)
{
	for (size_t i = 0; i < nS; i++) {
		struct srec *r = &S[i];
		struct ck_dp *dp = NULL;
		char id[16];
		uint8_t chip[16], want[16];
		const uint8_t *v;
		size_t vl;

		if (!p_latest(r->chip))
			VIOL("chip %s: secret record but no public record (no restorable backup)",
			     r->chip);
		if (ck_hex_decode(r->chip, want, STORE_CHIP_ID_LEN) || ck_dp_decode(r->data.p, r->data.n, &dp) ||
		    ck_dp_device_id(dp, id) || ck_dp_chip_id(dp, chip) ||
		    strcmp(id, r->id) || memcmp(chip, want, 16))
			VIOL("chip %s: secret record does not decode to its identity and chip", r->chip);
		else if (!ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &vl))
			VIOL("chip %s: secret record holds the device private key", r->chip);
		ck_dp_free(dp);
	}
}

static void check_pool(void)
{
	for (size_t i = 0; i < nI; i++) {
		struct irec *r = &I[i];

		if (r->state < 0 || r->state > 2 || (r->state == 0) != !strcmp(r->chip, "-"))
			VIOL("identity %s: state %d with chip %s", r->id, r->state, r->chip);
		if (!ck_identity_valid(r->id))
			VIOL("identity %s is not a valid IMEI", r->id);
		for (size_t j = i + 1; j < nI; j++) {
			if (!strcmp(r->id, I[j].id))
				VIOL("identity %s twice in the pool", r->id);
			if (strcmp(r->chip, "-") && !strcmp(r->chip, I[j].chip))
				VIOL("chip %s holds identities %s and %s", r->chip, r->id, I[j].id);
		}
		if (r->state == STORE_ID_ISSUED && (!p_latest(r->chip) || !s_by_chip(r->chip)))
			VIOL("identity %s issued to chip %s without public and secret records",
			     r->id, r->chip);
	}
}

static int check_keys(const char *pregen_path, unsigned *kfree, unsigned *kres,
		      unsigned *kused)
{
	FILE *f = fopen(pregen_path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return -1;
	for (size_t i = 0; i < nK; i++) {
		struct irec *ir;

		if (!strcmp(K[i].chip, "-"))
			continue;
		ir = i_by_chip(K[i].chip);
		if (!ir || ir->state != STORE_ID_RESERVED)
			VIOL("key pair %lld reserved for chip %s, whose identity state is %d",
			     K[i].id, K[i].chip, ir ? ir->state : -1);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct blob pub = { 0 };
		int where = 0, users = 0;

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n)
			continue;
		if (unhex(line, &pub)) {
			free(pub.p);
			continue;
		}
		for (size_t i = 0; i < nK; i++)
			if (blob_eq(&K[i].pub, pub.p, pub.n)) {
				where++;
				K[i].used++;
				if (strcmp(K[i].chip, "-"))
					(*kres)++;
				else
					(*kfree)++;
			}
		for (size_t i = 0; i < nP; i++) {
			if (!blob_eq(&P[i].spki, pub.p, pub.n))
				continue;
			if (p_latest(P[i].chip) == &P[i])
				users++;
		}
		if (users)
			(*kused)++;
		if (where + (users ? 1 : 0) != 1 || users > 1)
			VIOL("pre-generated key %.24s...: %d rows in the pool, used by %d devices",
			     line, where, users);
		free(pub.p);
	}
	free(line);
	fclose(f);
	for (size_t i = 0; i < nK; i++)
		if (K[i].used != 1)
			VIOL("key pair %lld in the pool is not one of the pre-generated keys",
			     K[i].id);
	return 0;
}

static void check_prev(const char *path)
{
	FILE *f = fopen(path, "r");
	char chip[64], id[32];

	if (!f)
		return;		/* first round */
	while (fscanf(f, "%63s %31s", chip, id) == 2) {
		struct irec *r = i_by_chip(chip);

		if (!r || strcmp(r->id, id))
			VIOL("chip %s held identity %s before, now %s", chip, id,
			     r ? r->id : "none");
	}
	fclose(f);
}

static int save_map(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (size_t i = 0; i < nI; i++)
		if (I[i].state)
			fprintf(f, "%s %s\n", I[i].chip, I[i].id);
	return fclose(f) ? -1 : 0;
}

static void check_agent(const char *arg)
{
	char chip[64];
	const char *eq = strchr(arg, '=');
	struct irec *r;

	if (!eq || (size_t)(eq - arg) >= sizeof(chip)) {
		VIOL("bad --agent %s", arg);
		return;
	}
	memcpy(chip, arg, (size_t)(eq - arg));
	chip[eq - arg] = 0;
	r = i_by_chip(chip);
	if (!r || r->state != STORE_ID_ISSUED || strcmp(r->id, eq + 1))
		VIOL("device %s reported identity %s, the pool says %s (state %d)", chip,
		     eq + 1, r ? r->id : "none", r ? r->state : -1);
}

/* Unwrap the latest public backup of CHIP on DEVICE; compare with 160. */
static int check_unwrap(const char *arg)
{
	char chip[64];
	const char *eq = strchr(arg, '=');
	struct prec *p;
	struct srec *s;
	struct chipkey *ck = NULL;
	uint8_t *out = NULL;
	size_t out_len = CHIPKEY_MAX_PAYLOAD, vl, vl2;
	struct ck_dp *dp = NULL, *sdp = NULL;
	const uint8_t *v, *v2;
	EVP_PKEY *dk = NULL;
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	int err, ok = 0;

	if (!eq || (size_t)(eq - arg) >= sizeof(chip))
		return 0;
	memcpy(chip, arg, (size_t)(eq - arg));
	chip[eq - arg] = 0;
	p = p_latest(chip);
	s = s_by_chip(chip);
	if (!p || !s)
		return 0;	/* nothing recorded for it: nothing to restore */
	out = malloc(out_len);
	if (!out || chipkey_open(eq + 1, &ck)) {
		VIOL("cannot open device %s", eq + 1);
		goto done;
	}
	err = chipkey_unwrap(ck, p->bk.p, p->bk.n, out, &out_len, NULL);
	if (err) {
		VIOL("chip %s: its public backup does not unwrap on its device: %s", chip,
		     chipkey_strerror(err));
		goto done;
	}
	if (ck_dp_decode(out, out_len, &dp) || ck_dp_decode(s->data.p, s->data.n, &sdp) ||
	    ck_dp_count(dp) != ck_dp_count(sdp) + 1) {
		VIOL("chip %s: unwrapped package does not match the secret record", chip);
		goto done;
	}
	for (size_t i = 0; i < ck_dp_count(sdp); i++) {
		uint16_t t, fl;

		if (ck_dp_entry(sdp, i, &t, &fl, &v, &vl) || ck_dp_get(dp, t, &v2, &vl2) ||
		    vl != vl2 || memcmp(v, v2, vl)) {
			VIOL("chip %s: entry %u differs between backup and secret record", chip, t);
			goto done;
		}
	}
	if (ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &vl) ||
	    !(dk = pki_private_from_pkcs8_der(v, vl)) ||
	    pki_public_to_der(dk, &spki, &spki_len) || !blob_eq(&p->spki, spki, spki_len)) {
		VIOL("chip %s: device key in the backup is not the certificate's", chip);
		goto done;
	}
	ok = 1;
done:
	OPENSSL_free(spki);
	EVP_PKEY_free(dk);
	ck_dp_free(dp);
	ck_dp_free(sdp);
	if (out) {
		OPENSSL_cleanse(out, CHIPKEY_MAX_PAYLOAD);
		free(out);
	}
	chipkey_close(ck);
	return ok;
}

static void free_all(void)
{
	for (size_t i = 0; i < nP; i++) {
		free(P[i].bk.p);
		free(P[i].cert.p);
		OPENSSL_free(P[i].spki.p);
	}
	for (size_t i = 0; i < nS; i++) {
		OPENSSL_cleanse(S[i].data.p, S[i].data.n);
		free(S[i].data.p);
	}
	for (size_t i = 0; i < nK; i++)
		free(K[i].pub.p);
	free(P);
	free(S);
	free(I);
	free(K);
}

int spp_check_invariants(int argc, char **argv)
{
	struct ck_factory *fac = NULL;
	const char *prev = NULL, *save = NULL;
	unsigned kfree = 0, kres = 0, kused = 0, unwrapped = 0, issued = 0, reserved = 0;
	int i;

	if (argc < 5)
		return 2;
	if (load_dump(argv[2]) || ck_factory_open(argv[3], &fac)) {
		printf("# cannot read the dump %s or the factory %s\n", argv[2], argv[3]);
		return 1;
	}
	check_public(fac);
	check_secret();
	check_pool();
	if (check_keys(argv[4], &kfree, &kres, &kused))
		VIOL("cannot read %s", argv[4]);
	for (i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--prev") && i + 1 < argc)
			prev = argv[++i];
		else if (!strcmp(argv[i], "--save") && i + 1 < argc)
			save = argv[++i];
		else if (!strcmp(argv[i], "--agent") && i + 1 < argc)
			check_agent(argv[++i]);
		else if (!strcmp(argv[i], "--unwrap") && i + 1 < argc)
			unwrapped += (unsigned)check_unwrap(argv[++i]);
		else
			VIOL("unknown argument %s", argv[i]);
	}
	if (prev)
		check_prev(prev);
	if (save && save_map(save))
		VIOL("cannot write %s", save);
	for (size_t k = 0; k < nI; k++) {
		issued += I[k].state == STORE_ID_ISSUED;
		reserved += I[k].state == STORE_ID_RESERVED;
	}
	printf("# invariants: %zu public records, %zu secret, identities %u issued %u reserved;"
	       " pre-generated keys %u free %u reserved %u used; %u backups unwrapped;"
	       " %d violations\n", nP, nS, issued, reserved, kfree, kres, kused, unwrapped, bad);
	ck_factory_close(fac);
	free_all();
	return bad ? 1 : 0;
}
