/*
 * What the registry client's files share: the client struct, the request
 * loop (client.c) and the retry bookkeeping used by the resumable blob
 * transfers (ops.c). Not part of the public API.
 */
#ifndef PL_REGISTRY_INTERNAL_H
#define PL_REGISTRY_INTERNAL_H

#include <assert.h>
#include <pthread.h>

#include "lib/registry.h"

#define REG_DEFAULT_CHUNK (16u << 20)
#define REG_MAX_HEADERS 8

enum reg_auth { REG_AUTH_NONE = 0, REG_AUTH_BASIC, REG_AUTH_BEARER };

struct reg_token {
	char *scope;
	char *token;
	int64_t expires; /* reg_now_ms() clock */
};

struct pl_registry {
	pthread_mutex_t lock;     /* guards base, auth, challenge, tokens, cred, rng */
	char *domain;             /* as named: "docker.io", "localhost:5000" */
	char *host;               /* where requests go: "registry-1.docker.io" */
	char *base;               /* "https://host" or "http://host"; NULL until decided */
	bool insecure, loopback;
	struct pl_http_tls tls;
	char *cert_dir, *client_cert, *client_key;
	struct pl_http_transport *own;
	const struct pl_http_transport *t;
	struct pl_reg_credsrc creds;  /* creds.creds is our copy */
	struct pl_reg_cred cred;
	bool cred_looked;
	enum reg_auth auth;
	struct pl_reg_challenge challenge;
	struct reg_token *tokens;
	size_t n_tokens;
	int retries;
	long backoff_ms;
	int64_t max_wait_ms;
	uint64_t chunk_size;
	int parallel;
	uint64_t rng;
	unsigned n_retries;       /* atomic */
};

/* One operation's retry budget. */
struct reg_try {
	int attempt;
	int64_t start_ms;
};

int64_t reg_now_ms(void);
const char *reg_domain(const struct pl_registry *r);

/* base + printf(fmt) into a new string. */
int reg_url(struct pl_registry *r, char **url, struct pl_err *err, const char *fmt, ...)
	PL_PRINTF(4, 5);
/* A Location header (absolute, or a path on the registry) as a URL. */
int reg_resolve_location(struct pl_registry *r, const char *loc, char **url, struct pl_err *err);
/* Append "key=value" percent-encoded to b, after '?' or '&' as b needs. */
int reg_add_query(struct pl_buf *b, const char *key, const char *val, struct pl_err *err);

/*
 * Wait before another attempt (Retry-After when resp says, else backoff with
 * jitter) and count it; false when the budget (count or time) is spent.
 */
bool reg_retry_wait(struct pl_registry *r, struct reg_try *t, const struct pl_http_resp *resp,
		    const char *why);

/* Send with authentication and retries (see client.c). */
int reg_send(struct pl_registry *r, const char *scope, struct pl_http_req *q,
	     struct pl_http_resp *resp, bool retry, struct pl_err *err);

/* An error for an unexpected status: "HTTP 404 Not Found (BLOB_UNKNOWN: ...)". */
int reg_status_error(const struct pl_http_resp *resp, int code, struct pl_err *err);

/* Find a client certificate pair (*.cert with its *.key) in dir. */
int reg_find_client_pair(struct pl_registry *r, const char *dir, struct pl_err *err);

/* What a store is made of (borrowed): exactly one of them is non-NULL. */
struct pl_oci_layout *reg_store_layout(struct pl_store *s);
struct pl_registry *reg_store_registry(struct pl_store *s);

#endif
