#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

int pl_sha256_init(struct pl_sha256 *h, struct pl_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (!ctx)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return pl_err_set(err, PL_EIO, "sha256 init failed");
	}
	h->ctx = ctx;
	return 0;
}

void pl_sha256_update(struct pl_sha256 *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void pl_sha256_final(struct pl_sha256 *h, unsigned char out[PL_SHA256_LEN])
{
	unsigned int n = PL_SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &n);
}

void pl_sha256_final_digest(struct pl_sha256 *h, char out[PL_DIGEST_SIZE])
{
	unsigned char raw[PL_SHA256_LEN];

	pl_sha256_final(h, raw);
	memcpy(out, "sha256:", 7);
	pl_hex(raw, sizeof(raw), out + 7);
}

void pl_sha256_release(struct pl_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int pl_sha256_buf(const void *data, size_t len, char out[PL_DIGEST_SIZE], struct pl_err *err)
{
	struct pl_sha256 h;
	int rc = pl_sha256_init(&h, err);

	if (rc < 0)
		return rc;
	pl_sha256_update(&h, data, len);
	pl_sha256_final_digest(&h, out);
	pl_sha256_release(&h);
	return 0;
}

int pl_sha256_file(const char *path, char out[PL_DIGEST_SIZE], uint64_t *size, struct pl_err *err)
{
	struct pl_sha256 h = { NULL };
	unsigned char buf[65536];
	uint64_t total = 0;
	int fd, rc;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "open '%s'", path);
	rc = pl_sha256_init(&h, err);
	if (rc < 0)
		goto out;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pl_err_errno(err, PL_EIO, "read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		pl_sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	pl_sha256_final_digest(&h, out);
	if (size)
		*size = total;
out:
	pl_sha256_release(&h);
	close(fd);
	return rc;
}

void pl_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int pl_digest_check(const char *s, struct pl_err *err)
{
	size_t i;

	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		goto bad;
	for (i = 7; i < 71; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			goto bad;
	return 0;
bad:
	return pl_err_set(err, PL_EINVAL, "'%.80s' is not a sha256 digest (want sha256:<64 hex>)",
			  s ? s : "(null)");
}

const char *pl_digest_hex(const char *digest)
{
	return digest + 7;
}
