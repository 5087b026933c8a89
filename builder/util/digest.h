/*
 * digest: streaming SHA-256 (OpenSSL EVP) and "sha256:<hex>" digest strings
 * as OCI writes them. A digest string is always 71 characters plus NUL;
 * parsing accepts only lowercase hex of the right length.
 */
#ifndef PL_DIGEST_H
#define PL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PL_SHA256_LEN 32
#define PL_DIGEST_SIZE 72 /* "sha256:" + 64 hex + NUL */

struct pl_sha256 {
	void *ctx; /* EVP_MD_CTX */
};

/* Start a hash; release with pl_sha256_release (also after final). */
int pl_sha256_init(struct pl_sha256 *h, struct pl_err *err);
void pl_sha256_update(struct pl_sha256 *h, const void *data, size_t len);
/* Finish into raw bytes; the context can not be updated afterwards. */
void pl_sha256_final(struct pl_sha256 *h, unsigned char out[PL_SHA256_LEN]);
/* Finish into a "sha256:<hex>" string. */
void pl_sha256_final_digest(struct pl_sha256 *h, char out[PL_DIGEST_SIZE]);
void pl_sha256_release(struct pl_sha256 *h);

/* One-shot hash of a memory buffer into a digest string. */
int pl_sha256_buf(const void *data, size_t len, char out[PL_DIGEST_SIZE], struct pl_err *err);

/* Hash a file, streaming; size may be NULL. */
int pl_sha256_file(const char *path, char out[PL_DIGEST_SIZE], uint64_t *size, struct pl_err *err);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void pl_hex(const unsigned char *in, size_t n, char *out);

/*
 * Check that s is "sha256:" followed by 64 lowercase hex digits; returns 0
 * or PL_EINVAL naming s.
 */
int pl_digest_check(const char *s, struct pl_err *err);

/* The hex part of a valid digest string. */
const char *pl_digest_hex(const char *digest);

#endif
