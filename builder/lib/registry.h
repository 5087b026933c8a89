/*
 * registry: an OCI distribution client. HTTP goes through a transport
 * (libcurl by default, a fake in tests); on top of it: WWW-Authenticate
 * challenges, anonymous/basic/bearer auth with tokens cached per scope,
 * credentials where docker and podman keep them, manifests and blobs with
 * digests verified while streaming, mounts, chunked resumable uploads and
 * bounded retries. Secrets never reach a log line or an error message.
 */
#ifndef PL_REGISTRY_H
#define PL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "lib/oci.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"

/* ---- HTTP transport --------------------------------------------------- */

struct pl_http_hdr {
	char *name;
	char *value;
};

/*
 * Response body sink: called with each piece of the body of a 2xx answer
 * (other answers are always buffered, capped, for their error message).
 * Returns 0, or a negative PL_E* code (with err set) to abort the transfer.
 */
typedef int (*pl_http_sink_fn)(void *ctx, const void *data, size_t len, struct pl_err *err);

struct pl_http_req {
	const char *method;  /* "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE" */
	const char *url;
	const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
	/* request body: memory, or a range of an open file (fd >= 0) */
	const void *body;
	size_t body_len;
	int body_fd;          /* -1 when the body is in memory (or absent) */
	uint64_t body_off;
	uint64_t body_fd_len;
	/* response body: buffered into resp->body (at most max_body bytes; 0 =
	 * 1 MiB), or for 2xx answers streamed to sink when it is set */
	size_t max_body;
	pl_http_sink_fn sink;
	void *sink_ctx;
	bool follow;          /* follow redirects (blob downloads to storage) */
	long timeout_s;       /* stall timeout; 0 = 60 */
};

struct pl_http_resp {
	long status;
	struct pl_http_hdr *headers; /* of the last response when redirects were followed */
	size_t n_headers;
	struct pl_buf body;
	uint64_t sent;        /* request body bytes sent */
	uint64_t received;    /* response body bytes received */
};

/*
 * A transport performs one request. Returns 0 when an HTTP answer arrived
 * (any status), PL_ENET for a connection-level failure (refused, reset,
 * timeout, TLS; the message says which, never with credentials), or the
 * sink's error. It may be called from several threads at once.
 */
struct pl_http_transport {
	int (*send)(void *ctx, const struct pl_http_req *req, struct pl_http_resp *resp,
		    struct pl_err *err);
	void *ctx;
};

void pl_http_resp_init(struct pl_http_resp *r);
void pl_http_resp_release(struct pl_http_resp *r);
/* The value of the first header named name (case-insensitive), or NULL. */
const char *pl_http_resp_header(const struct pl_http_resp *r, const char *name);
/* Add a header to r (the transport's and fakes' way of filling it). */
int pl_http_resp_add_header(struct pl_http_resp *r, const char *name, size_t nlen,
			    const char *value, size_t vlen, struct pl_err *err);

/* TLS settings of the libcurl transport. */
struct pl_http_tls {
	bool verify;            /* false: accept any certificate (and plain HTTP) */
	const char *cacert;     /* extra CA bundle file, or NULL */
	const char *ca_dir;     /* directory of *.crt CA files to trust, or NULL */
	const char *client_cert; /* PEM client certificate, or NULL */
	const char *client_key;
	const char *user_agent; /* NULL = "plinth/<version>" */
};

/* The libcurl transport; free with pl_http_curl_free. */
int pl_http_curl_new(struct pl_http_transport **out, const struct pl_http_tls *tls,
		     struct pl_err *err);
void pl_http_curl_free(struct pl_http_transport *t);

/* ---- WWW-Authenticate and credentials ------------------------------------ */

/*
 * One challenge of a WWW-Authenticate header (RFC 7235): the scheme
 * ("Basic", "Bearer"; compared case-insensitively) and its parameters.
 */
struct pl_reg_challenge {
	char *scheme;
	char *realm;
	char *service;
	char *scope;
	char *error;   /* "insufficient_scope", "invalid_token", ... */
};

/*
 * Parse a WWW-Authenticate value: the first challenge whose scheme is
 * Bearer or Basic (others are skipped). Quoted strings with backslash
 * escapes, tokens, commas and whitespace as RFC 7235 allows. PL_EINVAL
 * naming the header for malformed input, PL_ENOTFOUND when no Basic or
 * Bearer challenge is present. out is released and refilled.
 */
int pl_reg_challenge_parse(const char *header, struct pl_reg_challenge *out, struct pl_err *err);
void pl_reg_challenge_release(struct pl_reg_challenge *c);

/* Where credentials are looked for (filled by the CLI from the environment). */
struct pl_reg_credsrc {
	const char *creds;        /* "USER:PASS" from --creds, or NULL */
	const char *auth_file;    /* $REGISTRY_AUTH_FILE, or NULL */
	const char *runtime_dir;  /* $XDG_RUNTIME_DIR (containers/auth.json), or NULL */
	const char *config_home;  /* $XDG_CONFIG_HOME, or NULL (= HOME/.config) */
	const char *docker_config; /* $DOCKER_CONFIG (a directory), or NULL */
	const char *home;         /* $HOME */
	const char *helper_path;  /* $PATH for docker-credential-* helpers, or NULL */
};

struct pl_reg_cred {
	char *user;        /* NULL with an identity token */
	char *secret;      /* password, or the identity (refresh) token */
	bool identity_token;
	char *origin;      /* where it came from: "--creds", a file path, "docker-credential-pass" */
};

/*
 * Credentials for host ("localhost:5000", "docker.io"): --creds, then the
 * containers auth file ($REGISTRY_AUTH_FILE, else runtime_dir/containers/
 * auth.json, else config_home/containers/auth.json), then the docker config
 * (docker_config/config.json, else home/.docker/config.json): its
 * credHelpers[host] or credsStore run as docker-credential-<name> get, else
 * auths[host] ("auth" = base64 user:pass, or "identitytoken"). Keys match
 * as docker matches them (with or without https://, and docker.io as
 * https://index.docker.io/v1/). PL_ENOTFOUND when nothing is configured;
 * PL_EINVAL naming the file for a malformed one. Helpers get the host on
 * stdin, never on their command line.
 */
int pl_reg_creds_lookup(const struct pl_reg_credsrc *src, const char *host, struct pl_reg_cred *out,
			struct pl_err *err);
/* Wipe (OPENSSL_cleanse) and free what c holds. */
void pl_reg_cred_release(struct pl_reg_cred *c);

/*
 * plinth login: store user/secret for host where podman and docker read
 * them: $REGISTRY_AUTH_FILE when set, else the docker config (through its
 * credsStore helper when it names one, else "auths" in config.json, written
 * atomically with mode 0600, other keys kept). *where names the place
 * (malloc'd). plinth logout: remove them (PL_ENOTFOUND when none).
 */
int pl_reg_creds_store(const struct pl_reg_credsrc *src, const char *host, const char *user,
		       const char *secret, char **where, struct pl_err *err);
int pl_reg_creds_erase(const struct pl_reg_credsrc *src, const char *host, char **where,
		       struct pl_err *err);

/* ---- client ------------------------------------------------------------ */

struct pl_reg_opts {
	bool insecure;            /* --tls-verify=false: plain HTTP and unverified TLS */
	const char *cert_dir;     /* --cert-dir: CA *.crt, client *.cert + *.key; NULL =
				     /etc/containers/certs.d/HOST when it exists */
	const char *cacert;       /* --cacert FILE */
	struct pl_reg_credsrc creds;
	int retries;              /* retries after the first attempt; 0 = 5, < 0 = none */
	long backoff_ms;          /* first delay, doubled each time (jitter added); 0 = 500 */
	long max_wait_s;          /* give up retrying after this long; 0 = 120 */
	uint64_t chunk_size;      /* blobs larger than this are uploaded in PATCH chunks; 0 = 16 MiB */
	int parallel;             /* blobs in flight at once; 0 = 4 */
	const struct pl_http_transport *transport; /* NULL = libcurl with the TLS options */
};

/* One registry host; used by several threads at once by pl_registry_copy. */
struct pl_registry;

/*
 * A client for domain ("localhost:5000", "registry.example:443",
 * "docker.io" = registry-1.docker.io). HTTPS unless o->insecure or the
 * host is a loopback address, where HTTPS is tried first and plain HTTP
 * used when the server does not speak TLS. Nothing is sent until the first
 * request.
 */
int pl_registry_new(struct pl_registry **out, const char *domain, const struct pl_reg_opts *o,
		    struct pl_err *err);
void pl_registry_free(struct pl_registry *r);

/*
 * GET /v2/ and authenticate (pull scope on repo when repo is non-NULL):
 * checks that the registry answers and that the credentials work. Wrong
 * credentials are PL_EAUTH.
 */
int pl_registry_ping(struct pl_registry *r, const char *repo, struct pl_err *err);

struct pl_reg_manifest {
	struct pl_buf body;        /* the exact bytes */
	char media_type[128];
	char digest[PL_DIGEST_SIZE]; /* sha256 of body */
};
void pl_reg_manifest_release(struct pl_reg_manifest *m);

/*
 * Fetch the manifest or index reference (tag or digest) of repo, with
 * Accept for the OCI and Docker manifest and index types. A digest
 * reference must match the bytes (else PL_EVERIFY naming both). PL_ENOTFOUND
 * when the registry has no such manifest.
 */
int pl_registry_get_manifest(struct pl_registry *r, const char *repo, const char *reference,
			     struct pl_reg_manifest *out, struct pl_err *err);

/* Store a manifest under reference (a tag or its digest) with Content-Type media_type. */
int pl_registry_put_manifest(struct pl_registry *r, const char *repo, const char *reference,
			     const void *data, size_t len, const char *media_type,
			     struct pl_err *err);

/* HEAD a blob: 0 with *size when present, PL_ENOTFOUND when not. */
int pl_registry_blob_exists(struct pl_registry *r, const char *repo, const char *digest,
			    uint64_t *size, struct pl_err *err);

struct pl_reg_stats {
	uint64_t bytes_sent;      /* blob bytes uploaded, retries included */
	uint64_t bytes_received;
	unsigned blobs_pushed, blobs_skipped, blobs_mounted, blobs_pulled;
	unsigned retries;
};

/*
 * Upload the blob digest of size bytes from the open file fd (positioned
 * anywhere) to repo: skipped when the registry has it, mounted from
 * mount_from (a repository of the same registry, or NULL) when it can,
 * else uploaded monolithically, or in PATCH chunks when larger than the
 * chunk size, resuming at the registry's offset after a failure. stats
 * (may be NULL) is updated atomically. With fd < 0 only the skip and the
 * mount are tried: PL_ENOTFOUND (err untouched) when neither happened.
 */
int pl_registry_push_blob(struct pl_registry *r, const char *repo, const char *digest,
			  uint64_t size, int fd, const char *mount_from, struct pl_reg_stats *stats,
			  struct pl_err *err);

/* Upload a small blob held in memory (skipped when present); *digest gets its digest. */
int pl_registry_push_blob_mem(struct pl_registry *r, const char *repo, const void *data,
			      size_t len, char digest[PL_DIGEST_SIZE], struct pl_err *err);

/*
 * Download the blob digest of size bytes (-1: unknown) from repo into cas,
 * verifying the digest while streaming (nothing is stored when it does not
 * match: PL_EVERIFY); redirects are followed and a cut download resumes
 * with Range.
 */
int pl_registry_pull_blob(struct pl_registry *r, const char *repo, const char *digest,
			  int64_t size, struct pl_cas *cas, struct pl_reg_stats *stats,
			  struct pl_err *err);

/*
 * A small blob (at most max bytes, 0 = 4 MiB) into memory, verified against
 * digest (PL_EVERIFY otherwise). Caller frees *data.
 */
int pl_registry_get_blob(struct pl_registry *r, const char *repo, const char *digest, size_t max,
			 char **data, size_t *len, struct pl_err *err);

/* The tags of repo, all pages, sorted. */
int pl_registry_tags(struct pl_registry *r, const char *repo, struct pl_oci_strv *tags,
		     struct pl_err *err);

/* ---- image stores: an OCI layout or a registry repository ---------------- */

/*
 * One place images live, named by a reference: "oci:DIR[:REF]" or a
 * registry reference. Signatures and attestations are kept in the store of
 * the image they are about, under the tags cosign uses.
 */
struct pl_store;

/* Open the store ref names (create: make a missing layout). Free with pl_store_free. */
int pl_store_open(struct pl_store **out, const char *ref, bool create,
		  const struct pl_reg_opts *o, struct pl_err *err);
void pl_store_free(struct pl_store *s);
const struct pl_ref *pl_store_ref(const struct pl_store *s);

/*
 * The repository identity a signature names: "domain/path" for a registry
 * ("localhost:5000/curated/app"), the name part of a layout's ref
 * ("debian-base" of oci:out:debian-base:12).
 */
const char *pl_store_identity(const struct pl_store *s);

/*
 * The name trust policies match: "domain/path" for a registry, "oci:DIR"
 * for a layout.
 */
const char *pl_store_policy_name(const struct pl_store *s);

/*
 * The manifest reference (a tag or digest; NULL: what the store's ref
 * names) resolves to, its exact bytes verified. PL_ENOTFOUND when absent.
 */
int pl_store_get_manifest(struct pl_store *s, const char *reference, struct pl_reg_manifest *out,
			  struct pl_err *err);
/* A whole blob, at most max bytes, verified against digest. Caller frees *data. */
int pl_store_get_blob(struct pl_store *s, const char *digest, size_t max, char **data,
		      size_t *len, struct pl_err *err);
/* Store a small blob; *digest gets its digest. */
int pl_store_put_blob(struct pl_store *s, const void *data, size_t len,
		      char digest[PL_DIGEST_SIZE], struct pl_err *err);
/* Store a manifest (its blobs already there) under tag, or only by digest when tag is NULL. */
int pl_store_put_manifest(struct pl_store *s, const char *tag, const void *data, size_t len,
			  const char *media_type, struct pl_err *err);

/*
 * Add a layer (data of media type mt, with one annotation) to the OCI
 * manifest tagged tag in s, creating it when absent, as cosign keeps
 * signatures and attestations: a layer already there with the same digest
 * and annotation is not added twice, the others are kept.
 */
int pl_store_append_layer(struct pl_store *s, const char *tag, const void *data, size_t len,
			  const char *mt, const char *ann_key, const char *ann_value,
			  struct pl_err *err);

/* ---- copying images ------------------------------------------------------ */

struct pl_copy_opts {
	struct pl_reg_opts reg;
	const char *cache_dir;    /* registry-to-registry copies stage blobs here */
	bool all_platforms;       /* copy an index whole (always true for now) */
	bool progress;            /* draw progress on a terminal */
	bool no_signatures;       /* leave the image's .sig and .att manifests behind */
};

struct pl_copy_result {
	char digest[PL_DIGEST_SIZE];   /* the top manifest or index */
	char media_type[128];
	struct pl_oci_strv blobs;      /* every blob digest the image references */
	struct pl_reg_stats stats;
};

/*
 * Copy the image src to dst (each "oci:DIR[:REF]" or a registry reference,
 * "docker://" optional), like skopeo copy: every platform of an index,
 * blobs first (several at once), child manifests next, the top manifest
 * last under dst's tag (or only by digest when dst has none), so a tag
 * never points at an incomplete image. Manifests are copied byte for byte,
 * so digests are preserved; Docker schema 2 images stay Docker. A blob or
 * manifest that does not match its digest is PL_EVERIFY and nothing is
 * tagged. The signatures and attestations stored with each of its manifests
 * (cosign's sha256-<hex>.sig and .att tags) travel along unless
 * o->no_signatures. res is filled on success and released by the caller.
 */
int pl_copy(const char *src, const char *dst, const struct pl_copy_opts *o,
	    struct pl_copy_result *res, struct pl_err *err);
void pl_copy_result_release(struct pl_copy_result *res);

#endif
