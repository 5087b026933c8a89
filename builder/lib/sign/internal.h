/*
 * sign internals shared by the module's files: the key and keyring structs,
 * strict base64, and the conversion of the OpenSSL error queue into ours.
 */
#ifndef PL_SIGN_INTERNAL_H
#define PL_SIGN_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>

#include "lib/sign.h"

struct pl_sign_key {
	EVP_PKEY *pkey;
	int has_private;
	char id[PL_DIGEST_SIZE];
	char *name;
};

struct pl_sign_keyring {
	struct pl_sign_key **keys;
	size_t n, cap;
};

/* Standard base64 with padding and no newlines; caller frees *out. */
int sign_b64_encode(const void *data, size_t len, char **out, struct pl_err *err);

/*
 * Decode base64, standard or URL-safe alphabet, padding optional but exact
 * when present, nothing else (no whitespace). *out is NUL-terminated (one
 * extra byte) and the caller frees it. PL_EINVAL naming what on bad input.
 */
int sign_b64_decode(const char *s, size_t slen, const char *what, unsigned char **out, size_t *len,
		    struct pl_err *err);

/*
 * Set err to code with the message fmt followed by ": <reason>" of the most
 * recent OpenSSL error (when there is one), and empty the error queue.
 */
int sign_ossl_err(struct pl_err *err, int code, const char *fmt, ...) PL_PRINTF(3, 4);

/* Empty the OpenSSL error queue (after failures we handle ourselves). */
void sign_ossl_clear(void);

/* Verify a raw DER signature with key: 0 or PL_EVERIFY (queue emptied). */
int sign_verify_der(const struct pl_sign_key *key, const void *data, size_t len,
		    const unsigned char *sig, size_t siglen);

/* ECDSA P-256 SHA-256 DER signature of data; caller frees *sig. */
int sign_der(const struct pl_sign_key *key, const void *data, size_t len, unsigned char **sig,
	     size_t *siglen, struct pl_err *err);

#endif
