/* Raw signatures: ECDSA P-256 over SHA-256, DER, base64; OpenSSL errors. */
#include "internal.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sign_ossl_clear(void)
{
	ERR_clear_error();
}

int sign_ossl_err(struct pl_err *err, int code, const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	char msg[PL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e && ERR_reason_error_string(e))
		pl_err_set(err, code, "%s: %s", msg, ERR_reason_error_string(e));
	else
		pl_err_set(err, code, "%s", msg);
	ERR_clear_error();
	return code;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sign_b64_encode(const void *data, size_t len, char **out, struct pl_err *err)
{
	const unsigned char *p = data;
	size_t n, i, o = 0;
	char *s;

	*out = NULL;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return pl_err_set(err, PL_ETOOBIG, "data too large to encode");
	n = (len + 2) / 3 * 4;
	s = malloc(n + 1);
	if (!s)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v =
		    (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];

		s[o++] = b64_std[v >> 18 & 63];
		s[o++] = b64_std[v >> 12 & 63];
		s[o++] = b64_std[v >> 6 & 63];
		s[o++] = b64_std[v & 63];
	}
	if (i < len) {
		unsigned long v = (unsigned long)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		s[o++] = b64_std[v >> 18 & 63];
		s[o++] = b64_std[v >> 12 & 63];
		s[o++] = i + 1 < len ? b64_std[v >> 6 & 63] : '=';
		s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int sign_b64_decode(const char *s, size_t slen, const char *what, unsigned char **out, size_t *len,
		    struct pl_err *err)
{
	unsigned char *d;
	size_t n = slen, o = 0, i;
	unsigned long acc = 0;
	int bits = 0;

	*out = NULL;
	*len = 0;
	/* padding is optional, but when present it completes the last quantum */
	if (n % 4 == 0 && n >= 2 && s[n - 1] == '=') {
		n--;
		if (s[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return pl_err_set(err, PL_EINVAL, "%s is not valid base64 (truncated)", what);
	d = malloc(n / 4 * 3 + 3);
	if (!d)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		int v = b64_val((unsigned char)s[i]);

		if (v < 0) {
			free(d);
			return pl_err_set(err, PL_EINVAL,
					  "%s is not valid base64 (bad character at offset %zu)",
					  what, i);
		}
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (unsigned char)(acc >> bits);
		}
	}
	d[o] = '\0';
	*out = d;
	*len = o;
	return 0;
}

int sign_der(const struct pl_sign_key *key, const void *data, size_t len, unsigned char **sig,
	     size_t *siglen, struct pl_err *err)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *s = NULL;
	size_t n = 0;
	int rc = 0;

	*sig = NULL;
	*siglen = 0;
	if (!key->has_private)
		return pl_err_set(err, PL_EINVAL, "key '%s' is a public key and can not sign",
				  key->name);
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, data, len) != 1) {
		rc = sign_ossl_err(err, PL_EIO, "sign with '%s'", key->name);
		goto out;
	}
	s = malloc(n);
	if (!s) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(ctx, s, &n, data, len) != 1) {
		rc = sign_ossl_err(err, PL_EIO, "sign with '%s'", key->name);
		goto out;
	}
	*sig = s;
	*siglen = n;
	s = NULL;
out:
	free(s);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int sign_verify_der(const struct pl_sign_key *key, const void *data, size_t len,
		    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : PL_EVERIFY;
}

int pl_sign_data(const struct pl_sign_key *key, const void *data, size_t len, char **b64sig,
		 struct pl_err *err)
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc;

	*b64sig = NULL;
	rc = sign_der(key, data, len, &sig, &siglen, err);
	if (rc < 0)
		goto out;
	rc = sign_b64_encode(sig, siglen, b64sig, err);
out:
	free(sig);
	return rc;
}

/* Decode a base64 signature; a malformed one simply does not verify. */
static int decode_sig(const char *b64sig, unsigned char **sig, size_t *siglen, struct pl_err *err)
{
	struct pl_err e = PL_ERR_INIT;
	int rc = sign_b64_decode(b64sig, strlen(b64sig), "signature", sig, siglen, &e);

	if (rc == PL_EINVAL)
		return pl_err_set(err, PL_EVERIFY, "%s", e.msg);
	if (rc < 0)
		return pl_err_set(err, rc, "%s", e.msg);
	if (*siglen == 0) {
		free(*sig);
		*sig = NULL;
		return pl_err_set(err, PL_EVERIFY, "signature is empty");
	}
	return 0;
}

int pl_sign_verify(const struct pl_sign_key *key, const void *data, size_t len, const char *b64sig,
		   struct pl_err *err)
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc = decode_sig(b64sig, &sig, &siglen, err);

	if (rc < 0)
		goto out;
	rc = sign_verify_der(key, data, len, sig, siglen);
	if (rc < 0)
		pl_err_set(err, rc, "signature does not verify with key '%s' (%s)", key->name,
			   key->id);
out:
	free(sig);
	return rc;
}

int pl_sign_verify_ring(const struct pl_sign_keyring *ring, const void *data, size_t len,
			const char *b64sig, const struct pl_sign_key **who, struct pl_err *err)
{
	unsigned char *sig = NULL;
	size_t siglen = 0, i;
	int rc;

	if (who)
		*who = NULL;
	rc = decode_sig(b64sig, &sig, &siglen, err);
	if (rc < 0)
		goto out;
	rc = PL_EVERIFY;
	for (i = 0; i < ring->n && rc < 0; i++) {
		rc = sign_verify_der(ring->keys[i], data, len, sig, siglen);
		if (rc == 0 && who)
			*who = ring->keys[i];
	}
	if (rc < 0 && ring->n == 0)
		pl_err_set(err, rc, "no trusted public keys to verify the signature with");
	else if (rc < 0)
		pl_err_set(err, rc, "signature does not verify with any of the %zu trusted keys",
			   ring->n);
out:
	free(sig);
	return rc;
}
