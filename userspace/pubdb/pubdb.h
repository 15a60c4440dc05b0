/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey-pubdb: what its files share.
 *
 *   main.c   options, startup, shutdown
 *   http.c   libmicrohttpd: the daemon, its limits and timeouts, request
 *            bodies, responses
 *   deadline.c  --request-timeout: cuts a request not complete in time
 *   route.c  URL -> resource (struct pubdb_route)
 *   db.c     one store connection per HTTP thread
 *   get.c    GET and HEAD
 *   post.c   POST: record checks and storing
 *   void.c   void entries: POST and GET .../generations/{n}/void
 *   json.c   the JSON answers (jansson)
 */
#ifndef CHIPKEY_PUBDB_PUBDB_H
#define CHIPKEY_PUBDB_PUBDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/x509.h>

#include "common/pubdb-record.h"
#include "store/store.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* Settings: filled by main() before the daemon starts, read-only after. */
struct pubdb_config {
	const char *db_url;
	size_t max_body;		/* largest POST body */
	uint64_t mmap_mib, cache_mib;	/* per SQLite connection (store_tune_reads) */
};
extern struct pubdb_config pubdb_cfg;

/* ---- trust.c: --writers and --crl ---- */

#define PUBDB_MAX_CRLS 8
/* Loads the --writers file and the @n CRL files; 0 or -errno (@err). */
int pubdb_trust_init(const char *writers, const char *const *crls, size_t n, char *err,
		     size_t errlen);
/* The store to check a write against now (a new reference: X509_STORE_free),
 * with the CRLs read again if a file changed; NULL (fail closed) with the
 * reason in @err if a CRL cannot be read. */
X509_STORE *pubdb_trust_get(char *err, size_t errlen);
void pubdb_trust_free(void);

/* ---- http.c ---- */

struct pubdb_http_opts {
	struct sockaddr_in addr;	/* port 0: any free port */
	unsigned int threads;		/* pool threads, each with its own store */
	unsigned int timeout;		/* idle connection timeout, seconds */
	unsigned int request_timeout;	/* whole request head and body, seconds */
	unsigned int max_conns;		/* connections at once */
	unsigned int max_per_ip;	/* connections at once from one address */
};

/* Starts the daemon (NULL on failure); *port gets the bound port. */
struct MHD_Daemon *pubdb_http_start(const struct pubdb_http_opts *o, unsigned int *port);
/* Stops the daemon and the request deadline's watchdog. */
void pubdb_http_stop(struct MHD_Daemon *d);

/* Queues @buf (malloc()ed; MHD frees it, also on failure) as the answer. */
MHD_RESULT pubdb_send_buf(struct MHD_Connection *c, unsigned int status, const char *ctype,
			  void *buf, size_t len, const char *allow, const char *location);
/* A JSON error answer {"status":N,"error":"..."}; @allow: the Allow header
 * of a 405, else NULL. */
MHD_RESULT pubdb_send_error(struct MHD_Connection *c, unsigned int status, const char *allow,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A JSON answer made by json.c (NULL: out of memory, answered with 500). */
MHD_RESULT pubdb_send_json(struct MHD_Connection *c, unsigned int status, char *json,
			   size_t len, const char *location);
/* Sends *d (malloc()ed, as the store returns blobs) without a copy, with
 * status 200; *d is NULL afterwards.  @void_reason (if not NULL): the
 * generation is voided, sent as the header Chipkey-Void. */
#define PUBDB_HEADER_VOID	"Chipkey-Void"
MHD_RESULT pubdb_send_owned(struct MHD_Connection *c, const char *ctype, uint8_t **d,
			    size_t n, const char *void_reason);

/* ---- deadline.c ---- */

/* Starts and stops the watchdog thread (0 or -errno). */
int pubdb_deadline_start(unsigned int seconds);
void pubdb_deadline_stop(void);
/* MHD_OPTION_NOTIFY_CONNECTION: the clock of each connection */
void pubdb_deadline_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			   enum MHD_ConnectionNotificationCode toe);
/* The request is complete (an answer is queued): its clock stops; and
 * the answer is done: the clock starts again for the next request. */
void pubdb_deadline_request_done(struct MHD_Connection *mc);
void pubdb_deadline_answered(struct MHD_Connection *mc);

/* ---- route.c ---- */

enum pubdb_leaf { LEAF_JSON, LEAF_BACKUP, LEAF_RECORD, LEAF_GENERATIONS, LEAF_VOID };

struct pubdb_route {
	bool found;
	uint8_t chip[STORE_CHIP_ID_LEN];
	char hex[2 * STORE_CHIP_ID_LEN + 1];	/* lower case */
	bool bad_chip;
	bool has_gen;		/* /generations/{n} */
	bool bad_gen;
	uint64_t gen;
	enum pubdb_leaf leaf;
	bool postable;		/* /v1/chips/{id}/generations, .../generations/{n}/void */
};

void pubdb_route(const char *url, struct pubdb_route *r);

/* ---- db.c ---- */

/* Opens the database once (creates the schema, fails early). */
int pubdb_db_init(char *err, size_t errlen);
/* The calling thread's store connection, opened on first use and again
 * after the server closed it; NULL (and @err) if none can be opened. */
struct store *pubdb_db(char *err, size_t errlen);

/* ---- get.c, post.c ---- */

/* A POST body as it streams in. */
struct pubdb_upload {
	uint8_t *buf;
	size_t len;
	bool too_large;
};

MHD_RESULT pubdb_handle_get(struct MHD_Connection *c, const struct pubdb_route *r);
MHD_RESULT pubdb_handle_post(struct MHD_Connection *c, const struct pubdb_route *r,
			     const struct pubdb_upload *u);
/* The HTTP status of a refused record or void entry (post.c). */
unsigned int pubdb_verdict_status(enum pubdb_verdict v);
/* ---- void.c ---- */
MHD_RESULT pubdb_void_post(struct MHD_Connection *c, const struct pubdb_route *r,
			   const struct pubdb_upload *u);
MHD_RESULT pubdb_void_get(struct MHD_Connection *c, struct store *st,
			  const struct pubdb_route *r);
/* The answer to a database error (500, logged; 503 if the connection
 * was lost: store_lost). */
MHD_RESULT pubdb_db_error(struct MHD_Connection *c, struct store *st);

/* ---- json.c: each returns malloc()ed text ending in a newline, or NULL ---- */

char *pubdb_json_error(unsigned int status, const char *msg, size_t *len);
/* @void_reason: NULL, or the generation's void reason ("void", "void_reason") */
char *pubdb_json_record(const struct store_pub_record *rec, const char *void_reason,
			size_t *len);
char *pubdb_json_generations(const char *hex, const struct store_generation *g, size_t n,
			     size_t *len);
char *pubdb_json_stored(const char *hex, uint64_t generation, const char *location,
			size_t *len);

#endif /* CHIPKEY_PUBDB_PUBDB_H */
