/*
 * sign: ECDSA P-256 keys, signatures and the signed documents cosign, skopeo
 * and podman read: the "simple signing" payload and in-toto Statements in
 * DSSE envelopes. Wraps OpenSSL 3 (EVP, PEM, PKCS#8); no registry or file
 * layout logic. Every key is P-256; private key material is wiped after use
 * (OPENSSL_cleanse, secure-heap BIOs) and never logged.
 */
#ifndef PL_SIGN_H
#define PL_SIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"

/* Media type and annotation of a cosign simple signing layer. */
#define PL_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define PL_ANN_COSIGN_SIGNATURE "dev.cosignproject.cosign/signature"
/* Media type of a DSSE envelope layer (cosign attestations). */
#define PL_MT_DSSE_ENVELOPE "application/vnd.dsse.envelope.v1+json"
#define PL_DSSE_INTOTO_TYPE "application/vnd.in-toto+json"
#define PL_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define PL_INTOTO_STATEMENT_V01 "https://in-toto.io/Statement/v0.1"
#define PL_SIMPLESIGNING_TYPE "cosign container image signature"

/* Largest simple signing payload parsed (containers/image's limit). */
#define PL_SIGN_PAYLOAD_MAX (4u << 20)
/* Largest key file read. */
#define PL_SIGN_KEYFILE_MAX (64u << 10)

struct pl_sign_key;
struct pl_sign_keyring;

/* ---- keys ------------------------------------------------------------ */

/* Generate a new ECDSA P-256 key pair. Free with pl_sign_key_free. */
int pl_sign_keygen(struct pl_sign_key **out, struct pl_err *err);

/*
 * Write PREFIX.key (mode 0600) and PREFIX.pub (0644) as cosign names them.
 * The private key is PKCS#8 PEM, encrypted ("ENCRYPTED PRIVATE KEY",
 * AES-256-CBC with PBKDF2-HMAC-SHA256) unless passlen is 0, then plain
 * "PRIVATE KEY". The public key is SubjectPublicKeyInfo PEM ("PUBLIC KEY").
 * Each file is written to a temporary name and linked into place, so an
 * existing file is never replaced: PL_EEXIST naming it (and nothing is left
 * behind). PL_EINVAL when key holds no private key, PL_EIO on write errors.
 */
int pl_sign_key_write(const struct pl_sign_key *key, const char *prefix, const char *pass,
		      size_t passlen, struct pl_err *err);

/*
 * Load a private key from path, or parse one from len bytes of data (what
 * names it in errors). Accepted: PKCS#8 PEM, encrypted or not, and SEC1
 * "EC PRIVATE KEY" PEM (also with legacy Proc-Type encryption); blocks such
 * as "EC PARAMETERS" are skipped. *encrypted (may be NULL) tells whether a
 * passphrase was needed, so the caller can warn about plain keys.
 * Errors: PL_EAUTH for a missing or wrong passphrase; PL_EINVAL for a
 * corrupted file, a public key, a cosign-encrypted key (with what to do
 * instead), an RSA key or another curve; PL_ENOTFOUND / PL_EIO / PL_ETOOBIG
 * for the file itself. The message names the file.
 */
int pl_sign_key_load_private(const char *path, const char *pass, size_t passlen,
			     struct pl_sign_key **out, bool *encrypted, struct pl_err *err);
int pl_sign_key_parse_private(const void *data, size_t len, const char *what, const char *pass,
			      size_t passlen, struct pl_sign_key **out, bool *encrypted,
			      struct pl_err *err);

/*
 * Load a public key ("PUBLIC KEY" PEM, SubjectPublicKeyInfo), from a file or
 * from bytes. Same PL_EINVAL checks as above (a private key given where a
 * public key is expected is refused, not silently reduced).
 */
int pl_sign_key_load_public(const char *path, struct pl_sign_key **out, struct pl_err *err);
int pl_sign_key_parse_public(const void *data, size_t len, const char *what,
			     struct pl_sign_key **out, struct pl_err *err);

/* "sha256:<hex>" of the DER SubjectPublicKeyInfo. */
void pl_sign_key_id(const struct pl_sign_key *key, char out[PL_DIGEST_SIZE]);

/* Where the key came from: its file, the what given, or "generated". */
const char *pl_sign_key_name(const struct pl_sign_key *key);

/* Whether the key holds private material (can sign). */
bool pl_sign_key_has_private(const struct pl_sign_key *key);

/*
 * The public key as "PUBLIC KEY" PEM, NUL-terminated; the caller frees *pem.
 * For cosign's --key, a policy.json keyPath, or printing.
 */
int pl_sign_key_public_pem(const struct pl_sign_key *key, char **pem, size_t *len,
			   struct pl_err *err);

/* Free a key (the private part is cleared by OpenSSL); NULL is fine. */
void pl_sign_key_free(struct pl_sign_key *key);

/* ---- trusted keys ------------------------------------------------------ */

/* An empty keyring. Free with pl_sign_keyring_free. */
int pl_sign_keyring_new(struct pl_sign_keyring **out, struct pl_err *err);

/* Add key, which the ring then owns (also on error, when it is freed). */
int pl_sign_keyring_add(struct pl_sign_keyring *ring, struct pl_sign_key *key, struct pl_err *err);

/*
 * Load every public key in dir (not recursive, in name order): each *.pub
 * must be a P-256 public key and one that does not parse is an error naming
 * it; a *.pem is loaded when it holds a "PUBLIC KEY" block (then it must
 * parse) and skipped otherwise (certificates); other files (README.md, apt
 * keyrings *.gpg / *.asc) and dot files are skipped. An empty ring is not an
 * error. PL_ENOTFOUND when dir does not exist.
 */
int pl_sign_keyring_load_dir(const char *dir, struct pl_sign_keyring **out, struct pl_err *err);

size_t pl_sign_keyring_count(const struct pl_sign_keyring *ring);
/* The i-th key (borrowed from the ring). */
const struct pl_sign_key *pl_sign_keyring_get(const struct pl_sign_keyring *ring, size_t i);
void pl_sign_keyring_free(struct pl_sign_keyring *ring);

/* ---- signatures -------------------------------------------------------- */

/*
 * ECDSA P-256 over SHA-256 of data: the DER signature, base64 (standard
 * alphabet, padded, no newlines) in *b64sig, which the caller frees.
 * PL_EINVAL when key has no private part.
 */
int pl_sign_data(const struct pl_sign_key *key, const void *data, size_t len, char **b64sig,
		 struct pl_err *err);

/*
 * Verify a base64 DER signature over data: 0, or PL_EVERIFY when it does
 * not verify, including when b64sig is not base64 or not a DER signature.
 */
int pl_sign_verify(const struct pl_sign_key *key, const void *data, size_t len, const char *b64sig,
		   struct pl_err *err);

/*
 * Verify against every key of ring; *who (may be NULL) is the first key that
 * verifies, borrowed from ring. PL_EVERIFY when none does.
 */
int pl_sign_verify_ring(const struct pl_sign_keyring *ring, const void *data, size_t len,
			const char *b64sig, const struct pl_sign_key **who, struct pl_err *err);

/* ---- simple signing payload ------------------------------------------- */

struct pl_sign_payload {
	char *reference;  /* critical.identity.docker-reference */
	char *digest;	  /* critical.image.docker-manifest-digest */
	json_t *optional; /* an object (possibly empty); never NULL after parse */
};

/*
 * Build the payload cosign signs for an image:
 *   {"critical":{"identity":{"docker-reference":REF},
 *    "image":{"docker-manifest-digest":DIGEST},
 *    "type":"cosign container image signature"},"optional":{...}}
 * canonical (sorted keys, compact), so the same input gives the same bytes.
 * reference is "host/repo" with no tag or digest; optional is an object, or
 * NULL / JSON null for {} (skopeo requires the key, so it is always there).
 * *out is NUL-terminated and the caller frees it. PL_EINVAL for a bad
 * reference or digest, or a non-object optional.
 */
int pl_sign_payload_make(const char *reference, const char *digest, const json_t *optional,
			 char **out, size_t *len, struct pl_err *err);

/*
 * Parse a payload strictly, as containers/image does: the type must be
 * cosign's, identity and digest must be present strings, the digest a valid
 * sha256 digest, and no unknown keys may appear in "critical". "optional"
 * may be absent or null (cosign writes null): then it is an empty object.
 * PL_EINVAL saying what is wrong, PL_ETOOBIG past PL_SIGN_PAYLOAD_MAX.
 * Release out with pl_sign_payload_release (also after an error).
 */
int pl_sign_payload_parse(const void *data, size_t len, struct pl_sign_payload *out,
			  struct pl_err *err);
void pl_sign_payload_release(struct pl_sign_payload *p);

/* ---- in-toto statements and DSSE envelopes ---------------------------- */

struct pl_sign_subject {
	const char *name;
	const char *sha256; /* 64 lowercase hex, or a "sha256:<hex>" digest */
};

/*
 * Build an in-toto Statement v1:
 *   {"_type":"https://in-toto.io/Statement/v1","predicate":P,
 *    "predicateType":T,"subject":[{"digest":{"sha256":HEX},"name":N},...]}
 * canonical bytes; predicate NULL means {}. At least one subject. *out is
 * NUL-terminated, caller frees. PL_EINVAL on a bad digest or empty type.
 */
int pl_sign_statement_make(const char *predicate_type, const json_t *predicate,
			   const struct pl_sign_subject *subjects, size_t nsubjects, char **out,
			   size_t *len, struct pl_err *err);

struct pl_sign_statement {
	char *type; /* "_type": Statement v1 or v0.1 */
	char *predicate_type;
	json_t *predicate; /* never NULL after parse; null when absent */
	size_t nsubjects;
	char **subject_names;
	char **subject_digests; /* "sha256:<hex>"; subjects without sha256 are refused */
};

/*
 * Parse an in-toto Statement (v1, or v0.1 as cosign 2.x writes). Strict on
 * the fields read; PL_EINVAL naming what is wrong. Release out with
 * pl_sign_statement_release (also after an error).
 */
int pl_sign_statement_parse(const void *data, size_t len, struct pl_sign_statement *out,
			    struct pl_err *err);
void pl_sign_statement_release(struct pl_sign_statement *st);

/*
 * DSSE v1 pre-authentication encoding, appended to out:
 *   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * with decimal ASCII lengths. The bytes a DSSE signature is over.
 */
int pl_sign_pae(const char *payload_type, const void *body, size_t len, struct pl_buf *out,
		struct pl_err *err);

/*
 * Sign payload as a DSSE envelope:
 *   {"payload":B64,"payloadType":TYPE,"signatures":[{"keyid":"","sig":B64}]}
 * (canonical; keyid empty as cosign writes it). *envelope is NUL-terminated,
 * caller frees; envlen may be NULL.
 */
int pl_sign_dsse_sign(const struct pl_sign_key *key, const char *payload_type, const void *payload,
		      size_t len, char **envelope, size_t *envlen, struct pl_err *err);

/* A parsed envelope; release with pl_sign_dsse_release. */
struct pl_sign_dsse {
	char *payload_type;
	unsigned char *payload; /* decoded; NUL-terminated for convenience */
	size_t payload_len;
	size_t nsigs;
	unsigned char **sigs; /* decoded DER signatures */
	size_t *sig_lens;
};

/*
 * Parse an envelope strictly: payloadType and payload strings, payload
 * base64 (standard or URL-safe, padding optional, per the DSSE spec), and a
 * non-empty signatures array of objects with a base64 "sig" (keyid, when
 * present, a string; it is not trusted for key selection). PL_EINVAL naming
 * what is wrong. Release out also after an error.
 */
int pl_sign_dsse_parse(const void *data, size_t len, struct pl_sign_dsse *out, struct pl_err *err);
void pl_sign_dsse_release(struct pl_sign_dsse *env);

/*
 * Parse and verify an envelope: any of its signatures by any key of ring
 * (or by key, for the _key variant) over PAE(type, payload). On success the
 * caller owns *payload_type and *payload (NUL-terminated, freed with free);
 * any out pointer may be NULL; *who is borrowed from ring / is key.
 * PL_EINVAL for a malformed envelope, PL_EVERIFY when no signature verifies.
 */
int pl_sign_dsse_verify(const struct pl_sign_keyring *ring, const void *envelope, size_t len,
			char **payload_type, char **payload, size_t *plen,
			const struct pl_sign_key **who, struct pl_err *err);
int pl_sign_dsse_verify_key(const struct pl_sign_key *key, const void *envelope, size_t len,
			    char **payload_type, char **payload, size_t *plen, struct pl_err *err);

#endif
