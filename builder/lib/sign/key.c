/* Keys: generate, write and load ECDSA P-256 keys as PEM; trusted keyrings. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"

/*
 * A PKCS#8 file chooses its own KDF cost; past this many PBKDF2 iterations a
 * load would take minutes, so it is refused (OpenSSL writes 2048, cosign
 * and most tools stay under a million). scrypt is capped by OpenSSL itself.
 */
#define KDF_ITER_MAX 10000000L

/* ---- the key object ---------------------------------------------------- */

static int key_new(EVP_PKEY *pkey, int has_private, const char *name, struct pl_sign_key **out,
		   struct pl_err *err)
{
	struct pl_sign_key *k = NULL;
	unsigned char *der = NULL;
	int n, rc = 0;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k || !(k->name = strdup(name))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	n = i2d_PUBKEY(pkey, &der);
	if (n <= 0) {
		rc = sign_ossl_err(err, PL_EINVAL, "'%s': can not encode the public key", name);
		goto out;
	}
	rc = pl_sha256_buf(der, (size_t)n, k->id, err);
	if (rc < 0)
		goto out;
	k->pkey = pkey;
	k->has_private = has_private;
	*out = k;
	k = NULL;
out:
	OPENSSL_free(der);
	if (k) {
		free(k->name);
		free(k);
	}
	return rc;
}

void pl_sign_key_free(struct pl_sign_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->name);
	free(key);
}

void pl_sign_key_id(const struct pl_sign_key *key, char out[PL_DIGEST_SIZE])
{
	memcpy(out, key->id, PL_DIGEST_SIZE);
}

const char *pl_sign_key_name(const struct pl_sign_key *key)
{
	return key->name;
}

bool pl_sign_key_has_private(const struct pl_sign_key *key)
{
	return key->has_private != 0;
}

int pl_sign_keygen(struct pl_sign_key **out, struct pl_err *err)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	int rc;

	*out = NULL;
	if (!pkey)
		return sign_ossl_err(err, PL_EIO, "generate an ECDSA P-256 key");
	rc = key_new(pkey, 1, "generated", out, err);
	if (rc < 0)
		EVP_PKEY_free(pkey);
	return rc;
}

/* Only ECDSA P-256: say what the key is otherwise. */
static int check_type(EVP_PKEY *pkey, const char *what, struct pl_err *err)
{
	char group[80];
	size_t glen = 0;
	int id = EVP_PKEY_get_base_id(pkey);

	if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS)
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is an RSA key; plinth signs with ECDSA P-256", what);
	if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448)
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is an Ed25519/Ed448 key; plinth signs with ECDSA P-256",
				  what);
	if (id != EVP_PKEY_EC) {
		const char *t = EVP_PKEY_get0_type_name(pkey);

		return pl_err_set(err, PL_EINVAL, "'%s' is a %s key; plinth signs with ECDSA P-256",
				  what, t ? t : "non-EC");
	}
	if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1) {
		sign_ossl_clear();
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is an EC key without a named curve; plinth signs with "
				  "ECDSA P-256",
				  what);
	}
	if (OBJ_sn2nid(group) != NID_X9_62_prime256v1)
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is an EC key on curve %s; plinth signs with ECDSA P-256",
				  what, group);
	return 0;
}

/* ---- reading PEM ------------------------------------------------------- */

struct passinfo {
	const char *pass;
	size_t len;
};

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const struct passinfo *pi = u;

	(void)rwflag;
	if (!pi || pi->len > (size_t)size)
		return -1;
	memcpy(buf, pi->pass, pi->len);
	return (int)pi->len;
}

/* Refuse key derivations so costly that loading the key would hang. */
static int check_kdf_cost(const X509_SIG *p8, const char *what, struct pl_err *err)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	const void *param = NULL;
	PBE2PARAM *pbe2 = NULL;
	PBKDF2PARAM *kdf = NULL;
	PBEPARAM *pbe = NULL;
	long iter = 0;
	int rc = 0;

	X509_SIG_get0(p8, &alg, NULL);
	X509_ALGOR_get0(&obj, NULL, &param, alg);
	if (OBJ_obj2nid(obj) == NID_pbes2) {
		pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), param);
		if (pbe2 && OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2) {
			kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
							pbe2->keyfunc->parameter);
			if (kdf)
				iter = ASN1_INTEGER_get(kdf->iter);
		}
	} else if (param) {
		pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), param);
		if (pbe)
			iter = ASN1_INTEGER_get(pbe->iter);
	}
	if (iter > KDF_ITER_MAX || iter < 0)
		rc = pl_err_set(err, PL_EINVAL,
				"'%s' asks for %ld key derivation iterations (at most %ld allowed)",
				what, iter, KDF_ITER_MAX);
	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(pbe2);
	PBEPARAM_free(pbe);
	sign_ossl_clear();
	return rc;
}

/* Decrypt an "ENCRYPTED PRIVATE KEY" block. */
static int decode_pkcs8_encrypted(const unsigned char *der, long dlen, const char *what,
				  const struct passinfo *pi, EVP_PKEY **pkey, struct pl_err *err)
{
	const unsigned char *p = der;
	X509_SIG *p8 = d2i_X509_SIG(NULL, &p, dlen);
	PKCS8_PRIV_KEY_INFO *inf = NULL;
	int rc = 0;

	if (!p8 || p != der + dlen) {
		rc =
		    sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad encrypted PKCS#8)", what);
		goto out;
	}
	rc = check_kdf_cost(p8, what, err);
	if (rc < 0)
		goto out;
	inf = PKCS8_decrypt(p8, pi->len ? pi->pass : "", (int)pi->len);
	if (!inf) {
		unsigned long e = ERR_peek_last_error();
		int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);

		if (lib == ERR_LIB_EVP &&
		    (reason == EVP_R_UNSUPPORTED_CIPHER || reason == EVP_R_UNSUPPORTED_PRF ||
		     reason == EVP_R_UNSUPPORTED_KEY_DERIVATION_FUNCTION ||
		     reason == EVP_R_UNKNOWN_CIPHER))
			rc = sign_ossl_err(err, PL_EINVAL, "can not decrypt '%s'", what);
		else if (pi->len == 0)
			rc = pl_err_set(err, PL_EAUTH, "'%s' is encrypted; a passphrase is needed",
					what);
		else
			rc = pl_err_set(err, PL_EAUTH, "wrong passphrase for '%s'", what);
		sign_ossl_clear();
		goto out;
	}
	*pkey = EVP_PKCS82PKEY(inf);
	if (!*pkey)
		rc = sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad PKCS#8 key)", what);
out:
	PKCS8_PRIV_KEY_INFO_free(inf);
	X509_SIG_free(p8);
	return rc;
}

static int decode_private(const char *name, char *header, unsigned char *der, long dlen,
			  const char *what, const struct passinfo *pi, EVP_PKEY **pkey,
			  bool *encrypted, struct pl_err *err)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *inf = NULL;
	EVP_CIPHER_INFO ci;
	int rc = 0;

	*pkey = NULL;
	if (!strcmp(name, "ENCRYPTED PRIVATE KEY")) {
		*encrypted = true;
		rc = decode_pkcs8_encrypted(der, dlen, what, pi, pkey, err);
	} else if (!strcmp(name, "PRIVATE KEY")) {
		inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dlen);
		if (inf && p == der + dlen)
			*pkey = EVP_PKCS82PKEY(inf);
		if (!*pkey)
			rc = sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad PKCS#8 key)",
					   what);
	} else if (!strcmp(name, "EC PRIVATE KEY")) {
		if (!PEM_get_EVP_CIPHER_INFO(header, &ci)) {
			rc = sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad PEM header)",
					   what);
			goto out;
		}
		if (ci.cipher) {
			*encrypted = true;
			if (!PEM_do_header(&ci, der, &dlen, pass_cb, (void *)pi)) {
				sign_ossl_clear();
				rc = pl_err_set(err, PL_EAUTH,
						pi->len
						    ? "wrong passphrase for '%s'"
						    : "'%s' is encrypted; a passphrase is needed",
						what);
				goto out;
			}
		}
		*pkey = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, dlen);
		if ((!*pkey || p != der + dlen) && *encrypted) {
			sign_ossl_clear();
			rc = pl_err_set(err, PL_EAUTH, "wrong passphrase for '%s'", what);
		} else if (!*pkey || p != der + dlen) {
			rc = sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad EC private key)",
					   what);
		}
	} else if (!strcmp(name, "RSA PRIVATE KEY")) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is an RSA key; plinth signs with ECDSA P-256",
				what);
	} else if (!strcmp(name, "ENCRYPTED SIGSTORE PRIVATE KEY") ||
		   !strcmp(name, "ENCRYPTED COSIGN PRIVATE KEY")) {
		rc = pl_err_set(err, PL_EINVAL,
				"'%s' is a cosign-encrypted key, which plinth can not read (cosign "
				"does not export keys); make the key with 'plinth keygen' instead "
				"and, for cosign, decrypt a copy ('openssl pkcs8 -in PREFIX.key "
				"-out plain.pem') for 'cosign import-key-pair --key plain.pem'",
				what);
	} else if (!strcmp(name, "PUBLIC KEY") || !strcmp(name, "RSA PUBLIC KEY")) {
		rc = pl_err_set(err, PL_EINVAL,
				"'%s' is a public key; signing needs the private key", what);
	} else {
		rc = pl_err_set(err, PL_EINVAL, "'%s' holds a PEM '%s', not a private key", what,
				name);
	}
out:
	PKCS8_PRIV_KEY_INFO_free(inf);
	if (rc < 0) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
	return rc;
}

static int decode_public(const char *name, const unsigned char *der, long dlen, const char *what,
			 EVP_PKEY **pkey, struct pl_err *err)
{
	const unsigned char *p = der;

	*pkey = NULL;
	if (!strcmp(name, "PUBLIC KEY")) {
		*pkey = d2i_PUBKEY(NULL, &p, dlen);
		if (*pkey && p == der + dlen)
			return 0;
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		return sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad public key)", what);
	}
	if (!strcmp(name, "RSA PUBLIC KEY"))
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is an RSA key; plinth signs with ECDSA P-256", what);
	if (strstr(name, "PRIVATE KEY"))
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is a private key; give the public key (PREFIX.pub)", what);
	return pl_err_set(err, PL_EINVAL, "'%s' holds a PEM '%s', not a public key", what, name);
}

/*
 * Walk the PEM blocks of data, skipping EC PARAMETERS, and decode the first
 * key block found. Block contents go to the secure heap and are wiped.
 */
static int parse_pem(const void *data, size_t len, const char *what, int private,
		     const struct passinfo *pi, struct pl_sign_key **out, bool *encrypted,
		     struct pl_err *err)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	bool enc = false;
	int rc = 0, blocks = 0;

	*out = NULL;
	if (encrypted)
		*encrypted = false;
	if (len > PL_SIGN_KEYFILE_MAX)
		return pl_err_set(err, PL_ETOOBIG, "'%s' is larger than %u bytes; not a key file",
				  what, PL_SIGN_KEYFILE_MAX);
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;

		if (!PEM_read_bio_ex(bio, &name, &header, &der, &dlen,
				     PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE)) {
			unsigned long e = ERR_peek_last_error();

			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				sign_ossl_clear();
				rc = pl_err_set(err, PL_EINVAL,
						blocks ? "'%s' holds no %s key"
						       : "'%s' is not a PEM %s key file",
						what, private ? "private" : "public");
			} else {
				rc = sign_ossl_err(err, PL_EINVAL, "'%s' is corrupted (bad PEM)",
						   what);
			}
			goto out;
		}
		blocks++;
		if (strcmp(name, "EC PARAMETERS") != 0) {
			if (private)
				rc = decode_private(name, header, der, dlen, what, pi, &pkey, &enc,
						    err);
			else
				rc = decode_public(name, der, dlen, what, &pkey, err);
		}
		OPENSSL_secure_free(name);
		OPENSSL_secure_free(header);
		OPENSSL_secure_clear_free(der, dlen > 0 ? (size_t)dlen : 0);
		if (rc < 0 || pkey)
			break;
	}
	if (rc < 0)
		goto out;
	rc = check_type(pkey, what, err);
	if (rc < 0)
		goto out;
	if (private) {
		/* a flipped bit in the scalar still decodes; the pair must match */
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (!pctx || EVP_PKEY_pairwise_check(pctx) != 1) {
			rc = sign_ossl_err(
			    err, PL_EINVAL,
			    "'%s' is corrupted (private and public key do not match)", what);
			goto out;
		}
	}
	rc = key_new(pkey, private, what, out, err);
	if (rc < 0)
		goto out;
	pkey = NULL;
	if (encrypted)
		*encrypted = enc;
out:
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	sign_ossl_clear();
	return rc;
}

int pl_sign_key_parse_private(const void *data, size_t len, const char *what, const char *pass,
			      size_t passlen, struct pl_sign_key **out, bool *encrypted,
			      struct pl_err *err)
{
	struct passinfo pi = {pass, pass ? passlen : 0};

	if (pi.len > 1024)
		return pl_err_set(err, PL_EINVAL, "passphrase longer than 1024 bytes");
	return parse_pem(data, len, what, 1, &pi, out, encrypted, err);
}

int pl_sign_key_parse_public(const void *data, size_t len, const char *what,
			     struct pl_sign_key **out, struct pl_err *err)
{
	return parse_pem(data, len, what, 0, NULL, out, NULL, err);
}

/*
 * Read a key file in one allocation (no realloc copies of secret bytes
 * left behind); the caller wipes and frees *data.
 */
static int read_keyfile(const char *path, char **data, size_t *len, struct pl_err *err)
{
	struct stat st;
	size_t n = 0;
	char *d = NULL;
	int fd, rc = 0;

	memset(&st, 0, sizeof(st));
	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "open '%s'",
				    path);
	if (fstat(fd, &st) < 0) {
		rc = pl_err_errno(err, PL_EIO, "stat '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is not a regular file", path);
		goto out;
	}
	if (st.st_size > (off_t)PL_SIGN_KEYFILE_MAX) {
		rc = pl_err_set(err, PL_ETOOBIG, "'%s' is larger than %u bytes; not a key file",
				path, PL_SIGN_KEYFILE_MAX);
		goto out;
	}
	d = OPENSSL_secure_malloc((size_t)st.st_size + 1);
	if (!d) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, d + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = pl_err_errno(err, PL_EIO, "read '%s'", path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	d[n] = '\0';
	*data = d;
	*len = n;
	d = NULL;
out:
	if (d)
		OPENSSL_secure_clear_free(d, (size_t)st.st_size + 1);
	close(fd);
	return rc;
}

int pl_sign_key_load_private(const char *path, const char *pass, size_t passlen,
			     struct pl_sign_key **out, bool *encrypted, struct pl_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_keyfile(path, &data, &len, err);
	if (rc < 0)
		return rc;
	rc = pl_sign_key_parse_private(data, len, path, pass, passlen, out, encrypted, err);
	OPENSSL_secure_clear_free(data, len + 1);
	return rc;
}

int pl_sign_key_load_public(const char *path, struct pl_sign_key **out, struct pl_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_keyfile(path, &data, &len, err);
	if (rc < 0)
		return rc;
	rc = pl_sign_key_parse_public(data, len, path, out, err);
	OPENSSL_secure_clear_free(data, len + 1);
	return rc;
}

/* ---- writing ----------------------------------------------------------- */

/*
 * Write a new file: temporary name, fsync, then link(2) to the final name,
 * which fails instead of replacing an existing file.
 */
static int write_new(const char *path, const void *data, size_t len, mode_t mode,
		     struct pl_err *err)
{
	struct pl_tmpfile t;
	struct stat st;
	int rc = pl_tmp_open(&t, path, err);

	if (rc < 0)
		return rc;
	rc = pl_write_all(t.fd, data, len, path, err);
	if (rc < 0)
		goto out;
	if (fchmod(t.fd, mode) < 0 || fsync(t.fd) < 0) {
		rc = pl_err_errno(err, PL_EIO, "write '%s'", path);
		goto out;
	}
	if (close(t.fd) < 0) {
		t.fd = -1;
		rc = pl_err_errno(err, PL_EIO, "close '%s'", path);
		goto out;
	}
	t.fd = -1;
	if (link(t.tmp_path, path) == 0)
		goto out;
	if (errno == EEXIST) {
		rc = pl_err_set(err, PL_EEXIST,
				"'%s' already exists; plinth does not overwrite keys", path);
	} else if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) {
		/* no hard links on this file system: check, then rename */
		if (lstat(path, &st) == 0)
			rc =
			    pl_err_set(err, PL_EEXIST,
				       "'%s' already exists; plinth does not overwrite keys", path);
		else if (rename(t.tmp_path, path) < 0)
			rc = pl_err_errno(err, PL_EIO, "rename to '%s'", path);
	} else {
		rc = pl_err_errno(err, PL_EIO, "create '%s'", path);
	}
out:
	pl_tmp_abort(&t); /* closes and removes the temporary name */
	return rc;
}

static int bio_pem(BIO *bio, const char **data, size_t *len, struct pl_err *err)
{
	BUF_MEM *bm = NULL;

	BIO_get_mem_ptr(bio, &bm);
	if (!bm)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	*data = bm->data;
	*len = bm->length;
	return 0;
}

int pl_sign_key_public_pem(const struct pl_sign_key *key, char **pem, size_t *len,
			   struct pl_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	const char *d = NULL;
	size_t n = 0;
	int rc = 0;

	*pem = NULL;
	if (len)
		*len = 0;
	if (!bio)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (!PEM_write_bio_PUBKEY(bio, key->pkey)) {
		rc = sign_ossl_err(err, PL_EIO, "encode public key '%s'", key->name);
		goto out;
	}
	rc = bio_pem(bio, &d, &n, err);
	if (rc < 0)
		goto out;
	*pem = strndup(d, n);
	if (!*pem) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (len)
		*len = n;
out:
	BIO_free(bio);
	return rc;
}

int pl_sign_key_write(const struct pl_sign_key *key, const char *prefix, const char *pass,
		      size_t passlen, struct pl_err *err)
{
	struct pl_buf kpath = PL_BUF_INIT, ppath = PL_BUF_INIT;
	BIO *bio = NULL;
	char *pub = NULL;
	const char *d = NULL;
	size_t n = 0, publen = 0;
	struct stat st;
	int rc, wrote_key = 0;

	if (!key->has_private)
		return pl_err_set(err, PL_EINVAL, "key '%s' has no private part to write",
				  key->name);
	if (passlen > INT_MAX || (passlen && !pass))
		return pl_err_set(err, PL_EINVAL, "bad passphrase");
	rc = pl_buf_addf(&kpath, err, "%s.key", prefix);
	if (rc == 0)
		rc = pl_buf_addf(&ppath, err, "%s.pub", prefix);
	if (rc < 0)
		goto out;
	/* check both first, so that an existing .pub leaves no new .key behind */
	if (lstat(kpath.data, &st) == 0 || lstat(ppath.data, &st) == 0) {
		rc = pl_err_set(err, PL_EEXIST,
				"'%s' already exists; plinth does not overwrite keys",
				lstat(kpath.data, &st) == 0 ? kpath.data : ppath.data);
		goto out;
	}
	bio = BIO_new(BIO_s_secmem());
	if (!bio) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (!PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, passlen ? EVP_aes_256_cbc() : NULL,
					   passlen ? pass : NULL, (int)passlen, NULL, NULL)) {
		rc = sign_ossl_err(err, PL_EIO, "encode private key for '%s'", kpath.data);
		goto out;
	}
	rc = bio_pem(bio, &d, &n, err);
	if (rc < 0)
		goto out;
	rc = pl_sign_key_public_pem(key, &pub, &publen, err);
	if (rc < 0)
		goto out;
	rc = write_new(kpath.data, d, n, 0600, err);
	if (rc < 0)
		goto out;
	wrote_key = 1;
	rc = write_new(ppath.data, pub, publen, 0644, err);
out:
	if (rc < 0 && wrote_key)
		unlink(kpath.data);
	BIO_free(bio); /* a secure-heap BIO: its memory is wiped on free */
	free(pub);
	pl_buf_release(&kpath);
	pl_buf_release(&ppath);
	return rc;
}

/* ---- keyrings ---------------------------------------------------------- */

int pl_sign_keyring_new(struct pl_sign_keyring **out, struct pl_err *err)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

void pl_sign_keyring_free(struct pl_sign_keyring *ring)
{
	if (!ring)
		return;
	for (size_t i = 0; i < ring->n; i++)
		pl_sign_key_free(ring->keys[i]);
	free(ring->keys);
	free(ring);
}

int pl_sign_keyring_add(struct pl_sign_keyring *ring, struct pl_sign_key *key, struct pl_err *err)
{
	if (ring->n == ring->cap) {
		size_t cap = ring->cap ? ring->cap * 2 : 8;
		struct pl_sign_key **k = reallocarray(ring->keys, cap, sizeof(*k));

		if (!k) {
			pl_sign_key_free(key);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		ring->keys = k;
		ring->cap = cap;
	}
	ring->keys[ring->n++] = key;
	return 0;
}

size_t pl_sign_keyring_count(const struct pl_sign_keyring *ring)
{
	return ring->n;
}

const struct pl_sign_key *pl_sign_keyring_get(const struct pl_sign_keyring *ring, size_t i)
{
	return i < ring->n ? ring->keys[i] : NULL;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load one candidate file into ring (or skip it); path names it. */
static int ring_load_file(struct pl_sign_keyring *ring, const char *path, int is_pem,
			  struct pl_err *err)
{
	static const char begin_pub[] = "-----BEGIN PUBLIC KEY-----";
	struct pl_buf b = PL_BUF_INIT;
	struct pl_sign_key *key = NULL;
	struct stat st;
	int rc = 0;

	if (stat(path, &st) < 0)
		return pl_err_errno(err, PL_EIO, "stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return 0;
	rc = pl_read_file(path, PL_SIGN_KEYFILE_MAX, &b, err);
	if (rc < 0)
		goto out;
	if (is_pem && !memmem(b.data ? b.data : "", b.len, begin_pub, sizeof(begin_pub) - 1)) {
		pl_log_debug("keys: skipping '%s' (no public key in it)", path);
		goto out;
	}
	rc = pl_sign_key_parse_public(b.data ? b.data : "", b.len, path, &key, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < ring->n; i++) {
		if (!strcmp(ring->keys[i]->id, key->id)) {
			pl_log_debug("keys: '%s' is the same key as '%s'", path,
				     ring->keys[i]->name);
			goto out;
		}
	}
	rc = pl_sign_keyring_add(ring, key, err);
	key = NULL;
out:
	pl_sign_key_free(key);
	pl_buf_release(&b);
	return rc;
}

int pl_sign_keyring_load_dir(const char *dir, struct pl_sign_keyring **out, struct pl_err *err)
{
	struct pl_sign_keyring *ring = NULL;
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	*out = NULL;
	rc = pl_sign_keyring_new(&ring, err);
	if (rc < 0)
		goto out;
	d = opendir(dir);
	if (!d) {
		rc = pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO,
				  "open key directory '%s'", dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (!has_suffix(de->d_name, ".pub") && !has_suffix(de->d_name, ".pem")))
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			char **nn = reallocarray(names, c, sizeof(*nn));

			if (!nn) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
			cap = c;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		struct pl_buf p = PL_BUF_INIT;

		rc = pl_buf_addf(&p, err, "%s/%s", dir, names[i]);
		if (rc == 0)
			rc = ring_load_file(ring, p.data, has_suffix(names[i], ".pem"), err);
		pl_buf_release(&p);
		if (rc < 0)
			goto out;
	}
	*out = ring;
	ring = NULL;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	pl_sign_keyring_free(ring);
	return rc;
}
