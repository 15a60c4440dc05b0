// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: the query layer its parts share.
 * Errors as negative errno codes, statement parameters, running statements
 * and transactions, the chip's advisory lock, the retry of claims, and
 * reading binary results (store-pg.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chipkey/byteorder.h>

#include "store-pg.h"

int pg_res_fail(struct store *st, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int rc = -EIO;
	size_t n;

	if (!msg)
		msg = PQerrorMessage(pg_conn(st));
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
		rc = -EBUSY;
	store_fail(st, rc, "postgresql: %s: %s%s%s", what, msg ? msg : "?",
		   state ? " SQLSTATE " : "", state ? state : "");
	/* strip a trailing newline from libpq messages */
	n = strlen(st->err);
	while (n && (st->err[n - 1] == '\n' || st->err[n - 1] == '\r'))
		st->err[--n] = '\0';
	if (r)
		PQclear(r);
	return rc;
}

bool pg_is_unique_violation(PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return state && !strcmp(state, "23505");
}

void pg_p_text(struct pg_params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

void pg_p_i64(struct pg_params *p, int64_t x)
{
	snprintf(p->buf[p->n], sizeof(p->buf[0]), "%" PRId64, x);
	pg_p_text(p, p->buf[p->n]);
}

void pg_p_bin(struct pg_params *p, const void *b, size_t n)
{
	p->v[p->n] = n ? b : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

void pg_p_null(struct pg_params *p)
{
	pg_p_text(p, NULL);
}

PGresult *pg_run(struct store *st, const char *sql, const struct pg_params *p)
{
	return PQexecParams(pg_conn(st), sql, p ? p->n : 0, NULL, p ? p->v : NULL,
			    p ? p->len : NULL, p ? p->fmt : NULL, 1);
}

int pg_cmd(struct store *st, const char *sql, const struct pg_params *p, const char *what)
{
	PGresult *r = pg_run(st, sql, p);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, what);
	PQclear(r);
	return 0;
}

int pg_begin(struct store *st)
{
	return pg_cmd(st, "BEGIN", NULL, "begin");
}

int pg_commit_tx(struct store *st)
{
	return pg_cmd(st, "COMMIT", NULL, "commit");
}

void pg_rollback(struct store *st)
{
	if (PQtransactionStatus(pg_conn(st)) != PQTRANS_IDLE)
		PQclear(PQexec(pg_conn(st), "ROLLBACK"));
}

int pg_lock_chip(struct store *st, const uint8_t *chip)
{
	struct pg_params p = { 0 };

	/* the key: the first 8 bytes of the chip ID */
	pg_p_i64(&p, (int64_t)ck_get_be64(chip));
	return pg_cmd(st, "SELECT pg_advisory_xact_lock($1::bigint)", &p, "lock chip");
}

int pg_retry(struct store *st, int (*once)(struct store *, void *), void *arg,
	     const char *what)
{
	int attempt, rc;

	for (attempt = 0; attempt < STORE_MAX_RETRIES; attempt++) {
		rc = once(st, arg);
		if (rc != -EAGAIN)
			return rc;
		usleep(1000);
	}
	return store_fail(st, -EBUSY, "%s: too many retries", what);
}

int64_t pg_get_i64(PGresult *r, int row, int col)
{
	const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, col);

	if (PQgetisnull(r, row, col))
		return 0;
	if (PQgetlength(r, row, col) == 8)
		return (int64_t)ck_get_be64(b);
	if (PQgetlength(r, row, col) == 2)
		return (int16_t)ck_get_be16(b);
	return 0;
}

int pg_get_blob(PGresult *r, int row, int col, uint8_t **out, size_t *len)
{
	int n = PQgetlength(r, row, col);

	*out = NULL;
	*len = 0;
	if (PQgetisnull(r, row, col) || n <= 0)
		return 0;
	*out = store_memdup(PQgetvalue(r, row, col), (size_t)n);
	if (!*out)
		return -ENOMEM;
	*len = (size_t)n;
	return 0;
}

void pg_get_identity(PGresult *r, int row, int col, char *out)
{
	int n = PQgetlength(r, row, col);

	if (n > STORE_IDENTITY_LEN)
		n = STORE_IDENTITY_LEN;
	memcpy(out, PQgetvalue(r, row, col), (size_t)n);
	out[n] = '\0';
}
