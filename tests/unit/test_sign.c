#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/sign.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define DIGEST "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define HEX "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define PASS "correct horse battery staple"

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Whole file as a NUL-terminated string (freed by the caller). */
static char *slurp(const char *dir, const char *rel, size_t *len)
{
	struct pl_buf b = PL_BUF_INIT;
	char *p = tu_path(dir, rel);
	char *s;

	assert_int_equal(pl_read_file(p, 0, &b, NULL), 0);
	free(p);
	s = pl_buf_detach(&b, len);
	assert_non_null(s);
	return s;
}

static struct pl_sign_key *gen(void)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = NULL;

	if (pl_sign_keygen(&k, &err) < 0)
		fail_msg("%s", err.msg);
	return k;
}

static void write_key(const struct pl_sign_key *k, const char *dir, const char *name,
		      const char *pass)
{
	struct pl_err err = PL_ERR_INIT;
	char *prefix = tu_path(dir, name);

	if (pl_sign_key_write(k, prefix, pass, strlen(pass), &err) < 0)
		fail_msg("%s", err.msg);
	free(prefix);
}

static struct pl_sign_key *load_priv(const char *dir, const char *rel, const char *pass, bool *enc)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = NULL;
	char *p = tu_path(dir, rel);

	if (pl_sign_key_load_private(p, pass, strlen(pass), &k, enc, &err) < 0)
		fail_msg("%s", err.msg);
	free(p);
	return k;
}

static struct pl_sign_key *load_pub(const char *dir, const char *rel)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = NULL;
	char *p = tu_path(dir, rel);

	if (pl_sign_key_load_public(p, &k, &err) < 0)
		fail_msg("%s", err.msg);
	free(p);
	return k;
}

/* Load rel as a private key expecting failure code; returns the message. */
static void expect_priv_fail(const char *dir, const char *rel, const char *pass, int code,
			     const char *needle)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = NULL;
	char *p = tu_path(dir, rel);

	assert_int_equal(pl_sign_key_load_private(p, pass, strlen(pass), &k, NULL, &err), code);
	assert_int_equal(err.code, code);
	assert_null(k);
	if (!strstr(err.msg, p))
		fail_msg("message does not name '%s': %s", p, err.msg);
	if (needle && !strstr(err.msg, needle))
		fail_msg("message lacks '%s': %s", needle, err.msg);
	free(p);
}

static void expect_pub_fail(const char *dir, const char *rel, int code, const char *needle)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = NULL;
	char *p = tu_path(dir, rel);

	assert_int_equal(pl_sign_key_load_public(p, &k, &err), code);
	assert_null(k);
	if (!strstr(err.msg, p))
		fail_msg("message does not name '%s': %s", p, err.msg);
	if (needle && !strstr(err.msg, needle))
		fail_msg("message lacks '%s': %s", needle, err.msg);
	free(p);
}

static void same_id(const struct pl_sign_key *a, const struct pl_sign_key *b)
{
	char ia[PL_DIGEST_SIZE], ib[PL_DIGEST_SIZE];

	pl_sign_key_id(a, ia);
	pl_sign_key_id(b, ib);
	assert_string_equal(ia, ib);
}

static char *b64(const void *data, size_t len)
{
	char *s = malloc((len + 2) / 3 * 4 + 1);

	assert_non_null(s);
	EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	return s;
}

/* ---- keys -------------------------------------------------------------- */

static void test_sign_key_write_load_encrypted(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = gen(), *priv, *pub;
	char *kp = tu_path(f->dir, "cosign.key"), *pp = tu_path(f->dir, "cosign.pub");
	char *key, *pubpem, *sig = NULL;
	struct stat st;
	bool enc = false;

	assert_true(pl_sign_key_has_private(k));
	write_key(k, f->dir, "cosign", PASS);
	key = slurp(f->dir, "cosign.key", NULL);
	pubpem = slurp(f->dir, "cosign.pub", NULL);
	assert_true(!strncmp(key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38));
	assert_true(!strncmp(pubpem, "-----BEGIN PUBLIC KEY-----\n", 27));
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(pp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* no temporary files left next to them */
	assert_int_equal(tu_sh(f->dir, "test $(ls -A | wc -l) -eq 2"), 0);

	priv = load_priv(f->dir, "cosign.key", PASS, &enc);
	assert_true(enc);
	assert_true(pl_sign_key_has_private(priv));
	assert_string_equal(pl_sign_key_name(priv), kp);
	pub = load_pub(f->dir, "cosign.pub");
	assert_false(pl_sign_key_has_private(pub));
	same_id(k, priv);
	same_id(k, pub);

	assert_int_equal(pl_sign_data(priv, "payload", 7, &sig, &err), 0);
	assert_null(strchr(sig, '\n'));
	assert_int_equal(pl_sign_verify(pub, "payload", 7, sig, &err), 0);
	assert_int_equal(pl_sign_verify(k, "payload", 7, sig, &err), 0);
	assert_int_equal(pl_sign_verify(pub, "payloaD", 7, sig, &err), PL_EVERIFY);

	free(sig);
	free(key);
	free(pubpem);
	free(kp);
	free(pp);
	pl_sign_key_free(k);
	pl_sign_key_free(priv);
	pl_sign_key_free(pub);
}

static void test_sign_key_write_unencrypted(void **state)
{
	struct fx *f = *state;
	struct pl_sign_key *k = gen(), *priv;
	char *key;
	bool enc = true;

	write_key(k, f->dir, "plain", "");
	key = slurp(f->dir, "plain.key", NULL);
	assert_true(!strncmp(key, "-----BEGIN PRIVATE KEY-----\n", 28));
	priv = load_priv(f->dir, "plain.key", "", &enc);
	assert_false(enc);
	same_id(k, priv);
	/* a passphrase given for a plain key is simply not needed */
	pl_sign_key_free(priv);
	priv = load_priv(f->dir, "plain.key", "unused", &enc);
	assert_false(enc);
	assert_int_equal(tu_sh(f->dir, "openssl pkey -in plain.key -noout 2>/dev/null"), 0);
	free(key);
	pl_sign_key_free(k);
	pl_sign_key_free(priv);
}

static void test_sign_key_write_refuses_overwrite(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = gen(), *k2 = gen();
	char *prefix = tu_path(f->dir, "a"), *prefix2 = tu_path(f->dir, "b");
	char *before, *after, *bkey = tu_path(f->dir, "b.key");

	write_key(k, f->dir, "a", PASS);
	before = slurp(f->dir, "a.key", NULL);
	assert_int_equal(pl_sign_key_write(k2, prefix, "x", 1, &err), PL_EEXIST);
	assert_non_null(strstr(err.msg, "a.key"));
	after = slurp(f->dir, "a.key", NULL);
	assert_string_equal(before, after);

	/* only the .pub exists: refused too, and no .key is created */
	tu_write(f->dir, "b.pub", "x", 1);
	pl_err_init(&err);
	assert_int_equal(pl_sign_key_write(k2, prefix2, "x", 1, &err), PL_EEXIST);
	assert_non_null(strstr(err.msg, "b.pub"));
	assert_int_not_equal(access(bkey, F_OK), 0);
	assert_int_equal(tu_sh(f->dir, "test $(ls -A | wc -l) -eq 3"), 0);

	/* a public key can not be written as a key pair */
	{
		struct pl_sign_key *pub = load_pub(f->dir, "a.pub");
		char *p3 = tu_path(f->dir, "c");

		pl_err_init(&err);
		assert_int_equal(pl_sign_key_write(pub, p3, "", 0, &err), PL_EINVAL);
		pl_sign_key_free(pub);
		free(p3);
	}
	free(before);
	free(after);
	free(prefix);
	free(prefix2);
	free(bkey);
	pl_sign_key_free(k);
	pl_sign_key_free(k2);
}

static void test_sign_openssl_reads_our_keys(void **state)
{
	struct fx *f = *state;
	struct pl_sign_key *k = gen();

	write_key(k, f->dir, "k", PASS);
	assert_int_equal(
	    tu_sh(f->dir, "openssl pkey -in k.key -passin 'pass:" PASS "' -noout 2>/dev/null"), 0);
	assert_int_not_equal(tu_sh(f->dir, "openssl pkey -in k.key -passin pass:wrong "
					   "-noout 2>/dev/null"),
			     0);
	assert_int_equal(tu_sh(f->dir, "openssl pkcs8 -in k.key -passin 'pass:" PASS
				       "' -out plain.pem 2>/dev/null"),
			 0);
	/* PBES2 with PBKDF2 and AES-256-CBC, as the issue asks */
	assert_int_equal(tu_sh(f->dir, "openssl asn1parse -in k.key > asn1.txt && "
				       "grep -q PBES2 asn1.txt && grep -q PBKDF2 asn1.txt && "
				       "grep -q aes-256-cbc asn1.txt"),
			 0);
	/* the public key is the one of the private key */
	assert_int_equal(tu_sh(f->dir, "openssl pkey -in plain.pem -pubout -out derived.pub && "
				       "cmp -s derived.pub k.pub"),
			 0);
	assert_int_equal(tu_sh(f->dir, "openssl pkey -pubin -in k.pub -text -noout | "
				       "grep -q 'NIST CURVE: P-256'"),
			 0);
	pl_sign_key_free(k);
}

static void test_sign_openssl_verifies_our_signature(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = gen();
	const char *payload = "{\"critical\":{}}";
	char *sig = NULL;

	write_key(k, f->dir, "k", "");
	assert_int_equal(pl_sign_data(k, payload, strlen(payload), &sig, &err), 0);
	tu_write(f->dir, "payload", payload, strlen(payload));
	tu_write(f->dir, "sig.b64", sig, strlen(sig));
	assert_int_equal(tu_sh(f->dir, "base64 -d sig.b64 > sig.der && "
				       "openssl dgst -sha256 -verify k.pub -signature sig.der "
				       "payload >/dev/null"),
			 0);
	tu_write(f->dir, "payload", "{\"critical\":{} }", 16);
	assert_int_not_equal(tu_sh(f->dir, "openssl dgst -sha256 -verify k.pub -signature "
					   "sig.der payload >/dev/null 2>&1"),
			     0);
	free(sig);
	pl_sign_key_free(k);
}

static void test_sign_verifies_openssl_signature(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *pub;
	char *der, *sig;
	size_t len;

	assert_int_equal(tu_sh(f->dir,
			       "openssl ecparam -genkey -name prime256v1 -out sec1.pem "
			       "2>/dev/null && openssl ec -in sec1.pem -pubout -out sec1.pub "
			       "2>/dev/null && printf hello > msg && openssl dgst -sha256 "
			       "-sign sec1.pem -out msg.sig msg"),
			 0);
	pub = load_pub(f->dir, "sec1.pub");
	der = slurp(f->dir, "msg.sig", &len);
	sig = b64(der, len);
	assert_int_equal(pl_sign_verify(pub, "hello", 5, sig, &err), 0);
	assert_int_equal(pl_sign_verify(pub, "hellO", 5, sig, &err), PL_EVERIFY);
	free(der);
	free(sig);
	pl_sign_key_free(pub);
}

static void test_sign_loads_openssl_keys(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k, *pub;
	char *sig = NULL;
	bool enc = true;

	/* SEC1 "EC PRIVATE KEY", after an "EC PARAMETERS" block */
	assert_int_equal(tu_sh(f->dir, "openssl ecparam -genkey -name prime256v1 -out sec1.pem "
				       "2>/dev/null && grep -q 'BEGIN EC PARAMETERS' sec1.pem && "
				       "openssl ec -in sec1.pem -pubout -out sec1.pub 2>/dev/null"),
			 0);
	k = load_priv(f->dir, "sec1.pem", "", &enc);
	assert_false(enc);
	pub = load_pub(f->dir, "sec1.pub");
	same_id(k, pub);
	assert_int_equal(pl_sign_data(k, "x", 1, &sig, &err), 0);
	assert_int_equal(pl_sign_verify(pub, "x", 1, sig, &err), 0);
	free(sig);
	pl_sign_key_free(k);
	pl_sign_key_free(pub);

	/* encrypted PKCS#8, PBKDF2 + AES-256-CBC */
	assert_int_equal(tu_sh(f->dir, "openssl genpkey -algorithm EC -pkeyopt "
				       "ec_paramgen_curve:P-256 2>/dev/null | openssl pkcs8 -topk8 "
				       "-v2 aes-256-cbc -passout pass:x -out p8.pem && "
				       "grep -q 'BEGIN ENCRYPTED PRIVATE KEY' p8.pem"),
			 0);
	k = load_priv(f->dir, "p8.pem", "x", &enc);
	assert_true(enc);
	pl_sign_key_free(k);

	/* encrypted PKCS#8 with scrypt */
	assert_int_equal(tu_sh(f->dir, "openssl genpkey -algorithm EC -pkeyopt "
				       "ec_paramgen_curve:P-256 2>/dev/null | openssl pkcs8 -topk8 "
				       "-scrypt -passout pass:x -out scrypt.pem"),
			 0);
	k = load_priv(f->dir, "scrypt.pem", "x", &enc);
	assert_true(enc);
	pl_sign_key_free(k);

	/* legacy PEM encryption of a SEC1 key */
	assert_int_equal(tu_sh(f->dir,
			       "openssl ec -in sec1.pem -aes256 -passout pass:x "
			       "-out sec1enc.pem 2>/dev/null && grep -q Proc-Type sec1enc.pem"),
			 0);
	enc = false;
	k = load_priv(f->dir, "sec1enc.pem", "x", &enc);
	assert_true(enc);
	pl_sign_key_free(k);
	expect_priv_fail(f->dir, "sec1enc.pem", "y", PL_EAUTH, "wrong passphrase for '");
	expect_priv_fail(f->dir, "sec1enc.pem", "", PL_EAUTH, "passphrase");
}

static void test_sign_wrong_passphrase_is_eauth(void **state)
{
	struct fx *f = *state;
	struct pl_sign_key *k = gen();

	write_key(k, f->dir, "k", PASS);
	expect_priv_fail(f->dir, "k.key", "not the passphrase", PL_EAUTH, "wrong passphrase for '");
	expect_priv_fail(f->dir, "k.key", "", PL_EAUTH, "a passphrase is needed");
	assert_int_equal(tu_sh(f->dir, "openssl genpkey -algorithm EC -pkeyopt "
				       "ec_paramgen_curve:P-256 2>/dev/null | openssl pkcs8 -topk8 "
				       "-v2 aes-256-cbc -passout pass:x -out p8.pem"),
			 0);
	for (int i = 0; i < 20; i++) {
		char pass[32];

		/* CBC padding alone passes for 1 in 256 wrong passphrases */
		snprintf(pass, sizeof(pass), "wrong%d", i);
		expect_priv_fail(f->dir, "p8.pem", pass, PL_EAUTH, "wrong passphrase");
	}
	pl_sign_key_free(k);
}

static void test_sign_rejects_rsa_and_other_curves(void **state)
{
	struct fx *f = *state;

	assert_int_equal(tu_sh(f->dir,
			       "openssl genrsa -out rsa.pem 2048 2>/dev/null && "
			       "openssl rsa -in rsa.pem -pubout -out rsa.pub 2>/dev/null && "
			       "openssl rsa -in rsa.pem -traditional -out rsa1.pem "
			       "2>/dev/null && grep -q 'BEGIN RSA PRIVATE' rsa1.pem && "
			       "openssl pkcs8 -topk8 -in rsa.pem -passout pass:x -out "
			       "rsaenc.pem"),
			 0);
	expect_priv_fail(f->dir, "rsa.pem", "", PL_EINVAL,
			 "is an RSA key; plinth signs with "
			 "ECDSA P-256");
	expect_priv_fail(f->dir, "rsa1.pem", "", PL_EINVAL, "RSA");
	expect_priv_fail(f->dir, "rsaenc.pem", "x", PL_EINVAL, "RSA");
	expect_pub_fail(f->dir, "rsa.pub", PL_EINVAL, "RSA");

	assert_int_equal(tu_sh(f->dir, "openssl ecparam -genkey -name secp384r1 -noout "
				       "-out p384.pem 2>/dev/null && openssl ec -in p384.pem "
				       "-pubout -out p384.pub 2>/dev/null && openssl genpkey "
				       "-algorithm ed25519 -out ed.pem"),
			 0);
	expect_priv_fail(f->dir, "p384.pem", "", PL_EINVAL, "secp384r1");
	expect_priv_fail(f->dir, "p384.pem", "", PL_EINVAL, "P-256");
	expect_pub_fail(f->dir, "p384.pub", PL_EINVAL, "secp384r1");
	expect_priv_fail(f->dir, "ed.pem", "", PL_EINVAL, "Ed25519");
}

static void test_sign_rejects_corrupted_pem(void **state)
{
	struct fx *f = *state;
	struct pl_sign_key *k = gen();
	char *key, *pub, *mid;
	size_t klen, plen;

	write_key(k, f->dir, "k", "");
	key = slurp(f->dir, "k.key", &klen);
	pub = slurp(f->dir, "k.pub", &plen);

	/* a character outside base64 in the body */
	mid = key + klen / 2;
	*mid = '*';
	tu_write(f->dir, "badchar.key", key, klen);
	expect_priv_fail(f->dir, "badchar.key", "", PL_EINVAL, "corrupted");
	/* valid base64 that decodes to something else: the DER breaks */
	*mid = (char)(key[klen / 2 - 1] == 'A' ? 'B' : 'A');
	key[30] = key[30] == 'Q' ? 'R' : 'Q';
	key[31] = key[31] == 'Q' ? 'R' : 'Q';
	tu_write(f->dir, "flip.key", key, klen);
	expect_priv_fail(f->dir, "flip.key", "", PL_EINVAL, NULL);
	/* truncated: no END line */
	tu_write(f->dir, "trunc.key", key, klen - 30);
	expect_priv_fail(f->dir, "trunc.key", "", PL_EINVAL, "corrupted");
	/* no PEM at all */
	tu_write(f->dir, "text.key", "hello\n", 6);
	expect_priv_fail(f->dir, "text.key", "", PL_EINVAL, "not a PEM");
	tu_write(f->dir, "empty.key", "", 0);
	expect_priv_fail(f->dir, "empty.key", "", PL_EINVAL, "not a PEM");

	pub[40] = '!';
	tu_write(f->dir, "bad.pub", pub, plen);
	expect_pub_fail(f->dir, "bad.pub", PL_EINVAL, "corrupted");
	pub[40] = 'A';
	pub[60] = pub[60] == 'x' ? 'y' : 'x';
	tu_write(f->dir, "flip.pub", pub, plen);
	expect_pub_fail(f->dir, "flip.pub", PL_EINVAL, NULL);

	/* a missing file is not a corrupted one */
	{
		struct pl_err err = PL_ERR_INIT;
		struct pl_sign_key *none = NULL;
		char *p = tu_path(f->dir, "missing.key");

		assert_int_equal(pl_sign_key_load_private(p, "", 0, &none, NULL, &err),
				 PL_ENOTFOUND);
		free(p);
	}
	free(key);
	free(pub);
	pl_sign_key_free(k);
}

static void test_sign_rejects_wrong_kind_of_pem(void **state)
{
	struct fx *f = *state;
	static const char cosign_key[] =
	    "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
	    "eyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wv\n"
	    "c2VjcmV0Ym94In19\n"
	    "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
	static const char old_cosign_key[] = "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n"
					     "eyJrZGYiOnt9fQ==\n"
					     "-----END ENCRYPTED COSIGN PRIVATE KEY-----\n";
	struct pl_sign_key *k = gen();

	tu_write(f->dir, "cosign.key", cosign_key, sizeof(cosign_key) - 1);
	expect_priv_fail(f->dir, "cosign.key", PASS, PL_EINVAL, "cosign import-key-pair");
	tu_write(f->dir, "old.key", old_cosign_key, sizeof(old_cosign_key) - 1);
	expect_priv_fail(f->dir, "old.key", PASS, PL_EINVAL, "cosign-encrypted");

	write_key(k, f->dir, "k", PASS);
	expect_priv_fail(f->dir, "k.pub", "", PL_EINVAL, "public key");
	expect_pub_fail(f->dir, "k.key", PL_EINVAL, "private key");
	pl_sign_key_free(k);
}

static void test_sign_key_id_matches_openssl(void **state)
{
	struct fx *f = *state;
	struct pl_sign_key *k = gen();
	char id[PL_DIGEST_SIZE], *want;

	write_key(k, f->dir, "k", "");
	pl_sign_key_id(k, id);
	assert_int_equal(tu_sh(f->dir, "openssl pkey -pubin -in k.pub -outform DER | sha256sum "
				       "| cut -c1-64 | tr -d '\\n' > id"),
			 0);
	want = slurp(f->dir, "id", NULL);
	assert_int_equal(strlen(want), 64);
	assert_true(!strncmp(id, "sha256:", 7));
	assert_string_equal(id + 7, want);
	free(want);
	pl_sign_key_free(k);
}

static void test_sign_public_pem_roundtrip(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = gen(), *pub = NULL;
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pl_sign_key_public_pem(k, &pem, &len, &err), 0);
	assert_int_equal(strlen(pem), len);
	assert_int_equal(pl_sign_key_parse_public(pem, len, "inline", &pub, &err), 0);
	assert_string_equal(pl_sign_key_name(pub), "inline");
	same_id(k, pub);
	free(pem);
	pl_sign_key_free(k);
	pl_sign_key_free(pub);
}

/* ---- signatures -------------------------------------------------------- */

static void test_sign_verify_rejects(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = gen(), *other = gen();
	char *sig = NULL;

	(void)state;
	assert_int_equal(pl_sign_data(k, "data", 4, &sig, &err), 0);
	assert_int_equal(pl_sign_verify(k, "data", 4, sig, &err), 0);
	assert_int_equal(pl_sign_verify(other, "data", 4, sig, &err), PL_EVERIFY);
	assert_int_equal(err.code, PL_EVERIFY);
	pl_err_init(&err);
	assert_int_equal(pl_sign_verify(k, "dat", 3, sig, &err), PL_EVERIFY);
	assert_int_equal(pl_sign_verify(k, "data", 4, "not base64!", &err), PL_EVERIFY);
	assert_int_equal(pl_sign_verify(k, "data", 4, "", &err), PL_EVERIFY);
	assert_int_equal(pl_sign_verify(k, "data", 4, "AAAA", &err), PL_EVERIFY);
	/* a signature with one byte changed */
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	assert_int_equal(pl_sign_verify(k, "data", 4, sig, &err), PL_EVERIFY);
	free(sig);
	pl_sign_key_free(k);
	pl_sign_key_free(other);
}

static void test_sign_verify_ring_finds_signer(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_keyring *ring = NULL;
	struct pl_sign_key *a = gen(), *b = gen(), *c = gen();
	const struct pl_sign_key *who = NULL;
	char *sig = NULL, ib[PL_DIGEST_SIZE], iw[PL_DIGEST_SIZE];

	(void)state;
	pl_sign_key_id(b, ib);
	assert_int_equal(pl_sign_data(b, "m", 1, &sig, &err), 0);
	assert_int_equal(pl_sign_keyring_new(&ring, &err), 0);
	assert_int_equal(pl_sign_verify_ring(ring, "m", 1, sig, &who, &err), PL_EVERIFY);
	assert_int_equal(pl_sign_keyring_add(ring, a, &err), 0);
	assert_int_equal(pl_sign_keyring_add(ring, b, &err), 0);
	assert_int_equal(pl_sign_keyring_count(ring), 2);
	pl_err_init(&err);
	assert_int_equal(pl_sign_verify_ring(ring, "m", 1, sig, &who, &err), 0);
	assert_ptr_equal(who, pl_sign_keyring_get(ring, 1));
	pl_sign_key_id(who, iw);
	assert_string_equal(iw, ib);
	free(sig);
	assert_int_equal(pl_sign_data(c, "m", 1, &sig, &err), 0);
	assert_int_equal(pl_sign_verify_ring(ring, "m", 1, sig, &who, &err), PL_EVERIFY);
	assert_null(who);
	free(sig);
	pl_sign_key_free(c);
	pl_sign_keyring_free(ring);
}

static void test_sign_keyring_load_dir(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_keyring *ring = NULL;
	struct pl_sign_key *a = gen(), *b = gen();
	const struct pl_sign_key *who = NULL;
	char *keys = tu_path(f->dir, "keys"), *pem, *sig = NULL, ia[PL_DIGEST_SIZE];
	size_t len;

	assert_int_equal(mkdir(keys, 0755), 0);
	write_key(a, keys, "platform", PASS);
	assert_int_equal(pl_sign_key_public_pem(b, &pem, &len, &err), 0);
	tu_write(keys, "release.pem", pem, len);
	tu_write(keys, "README.md", "# trusted keys\n", 15);
	tu_write(keys, "debian-archive.gpg", "\x99\x02\x0d\x04\x00\xff", 6);
	tu_write(keys, "registry-ca.pem",
		 "-----BEGIN CERTIFICATE-----\nMIIB\n"
		 "-----END CERTIFICATE-----\n",
		 59);
	tu_write(keys, ".hidden.pub", "junk", 4);
	{
		char *sub = tu_path(keys, "sub.pub");

		assert_int_equal(mkdir(sub, 0755), 0);
		free(sub);
	}

	assert_int_equal(pl_sign_keyring_load_dir(keys, &ring, &err), 0);
	/* platform.key (private) and the non-key files are skipped */
	assert_int_equal(pl_sign_keyring_count(ring), 2);
	assert_int_equal(pl_sign_data(a, "img", 3, &sig, &err), 0);
	assert_int_equal(pl_sign_verify_ring(ring, "img", 3, sig, &who, &err), 0);
	pl_sign_key_id(a, ia);
	assert_non_null(strstr(pl_sign_key_name(who), "platform.pub"));
	pl_sign_keyring_free(ring);
	ring = NULL;

	/* a broken .pub is an error naming it */
	tu_write(keys, "broken.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		 56);
	assert_int_equal(pl_sign_keyring_load_dir(keys, &ring, &err), PL_EINVAL);
	assert_null(ring);
	assert_non_null(strstr(err.msg, "broken.pub"));
	/* a .pub that is not PEM at all, too */
	{
		char *broken = tu_path(keys, "broken.pub");

		assert_int_equal(unlink(broken), 0);
		free(broken);
	}
	tu_write(keys, "ssh.pub", "ssh-ed25519 AAAAC3Nza test\n", 27);
	pl_err_init(&err);
	assert_int_equal(pl_sign_keyring_load_dir(keys, &ring, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "ssh.pub"));

	pl_err_init(&err);
	assert_int_equal(pl_sign_keyring_load_dir("/nonexistent/keys", &ring, &err), PL_ENOTFOUND);
	free(sig);
	free(pem);
	free(keys);
	pl_sign_key_free(a);
	pl_sign_key_free(b);
}

/* ---- simple signing ---------------------------------------------------- */

static void test_sign_payload_exact_bytes(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	json_t *opt = json_pack("{s:s,s:s,s:[s]}", "recipe", "debian-base", "commit", "abc123",
				"patches", "PL-2026-0001");
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pl_sign_payload_make("registry.example.com:5000/base/debian", DIGEST, opt,
					      &out, &len, &err),
			 0);
	assert_string_equal(out, "{\"critical\":{\"identity\":{\"docker-reference\":"
				 "\"registry.example.com:5000/base/debian\"},\"image\":{"
				 "\"docker-manifest-digest\":\"" DIGEST "\"},\"type\":"
				 "\"cosign container image signature\"},\"optional\":{"
				 "\"commit\":\"abc123\",\"patches\":[\"PL-2026-0001\"],"
				 "\"recipe\":\"debian-base\"}}");
	assert_int_equal(len, strlen(out));
	free(out);

	/* no claims: "optional" is still there, as skopeo requires */
	assert_int_equal(pl_sign_payload_make("localhost/app", DIGEST, NULL, &out, &len, &err), 0);
	assert_string_equal(out,
			    "{\"critical\":{\"identity\":{\"docker-reference\":"
			    "\"localhost/app\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
			    "\"},\"type\":\"cosign container image signature\"},"
			    "\"optional\":{}}");
	free(out);
	json_decref(opt);
	opt = json_null();
	assert_int_equal(pl_sign_payload_make("localhost/app", DIGEST, opt, &out, &len, &err), 0);
	assert_non_null(strstr(out, "\"optional\":{}"));
	free(out);
	json_decref(opt);

	opt = json_string("x");
	assert_int_equal(pl_sign_payload_make("localhost/app", DIGEST, opt, &out, &len, &err),
			 PL_EINVAL);
	json_decref(opt);
	assert_int_equal(pl_sign_payload_make("localhost/app:1", DIGEST, NULL, &out, &len, &err),
			 PL_EINVAL);
	assert_int_equal(
	    pl_sign_payload_make("localhost/app@" DIGEST, DIGEST, NULL, &out, &len, &err),
	    PL_EINVAL);
	assert_int_equal(pl_sign_payload_make("", DIGEST, NULL, &out, &len, &err), PL_EINVAL);
	assert_int_equal(
	    pl_sign_payload_make("localhost/app", "sha256:ABC", NULL, &out, &len, &err), PL_EINVAL);
	assert_null(out);
}

static void expect_payload_fail(const char *doc, const char *needle)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_payload p;

	assert_int_equal(pl_sign_payload_parse(doc, strlen(doc), &p, &err), PL_EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("'%s': message lacks '%s': %s", doc, needle, err.msg);
	pl_sign_payload_release(&p);
}

static void test_sign_payload_parse(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_payload p;
	json_t *opt = json_pack("{s:s}", "recipe", "r");
	char *out = NULL;
	size_t len;
	const char *cosign = "{\"critical\":{\"identity\":{\"docker-reference\":\"localhost:5000/"
			     "app\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST "\"},"
			     "\"type\":\"cosign container image signature\"},\"optional\":null}";

	(void)state;
	assert_int_equal(pl_sign_payload_make("localhost/app", DIGEST, opt, &out, &len, &err), 0);
	assert_int_equal(pl_sign_payload_parse(out, len, &p, &err), 0);
	assert_string_equal(p.reference, "localhost/app");
	assert_string_equal(p.digest, DIGEST);
	assert_string_equal(json_string_value(json_object_get(p.optional, "recipe")), "r");
	pl_sign_payload_release(&p);
	free(out);
	json_decref(opt);

	/* cosign writes "optional":null */
	assert_int_equal(pl_sign_payload_parse(cosign, strlen(cosign), &p, &err), 0);
	assert_string_equal(p.reference, "localhost:5000/app");
	assert_true(json_is_object(p.optional));
	assert_int_equal(json_object_size(p.optional), 0);
	pl_sign_payload_release(&p);

#define CRIT(id, img, type) "{\"critical\":{" id img "\"type\":" type "},\"optional\":{}}"
#define ID "\"identity\":{\"docker-reference\":\"a/b\"},"
#define IMG "\"image\":{\"docker-manifest-digest\":\"" DIGEST "\"},"
#define TYPE "\"cosign container image signature\""
	{
		const char *ok = CRIT(ID, IMG, TYPE);

		assert_int_equal(pl_sign_payload_parse(ok, strlen(ok), &p, &err), 0);
		pl_sign_payload_release(&p);
	}
	expect_payload_fail(CRIT(ID, IMG, "\"atomic container signature\""), "type");
	expect_payload_fail(CRIT(ID, IMG, "1"), "type is not a string");
	expect_payload_fail(CRIT(ID, "\"image\":{},", TYPE), "docker-manifest-digest is missing");
	expect_payload_fail(CRIT(ID, , TYPE), "critical.image is missing");
	expect_payload_fail(CRIT(, IMG, TYPE), "critical.identity is missing");
	expect_payload_fail(CRIT(ID, "\"image\":{\"docker-manifest-digest\":7},", TYPE),
			    "not a string");
	expect_payload_fail(CRIT(ID, "\"image\":{\"docker-manifest-digest\":\"sha256:12\"},", TYPE),
			    "sha256:12");
	expect_payload_fail(CRIT(ID "\"extra\":1,", IMG, TYPE), "unknown key 'extra'");
	expect_payload_fail("{\"critical\":{" ID IMG "\"type\":" TYPE "},\"optional\":[]}",
			    "optional");
	expect_payload_fail("{\"optional\":{}}", "critical");
	expect_payload_fail("[]", "not an object");
	expect_payload_fail("{\"critical\":", "signature payload");
#undef CRIT
#undef ID
#undef IMG
#undef TYPE
}

/* ---- in-toto and DSSE ------------------------------------------------- */

static void test_sign_pae_spec_example(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	static const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";

	(void)state;
	assert_int_equal(pl_sign_pae("http://example.com/HelloWorld", "hello world", 11, &b, &err),
			 0);
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	pl_buf_reset(&b);
	assert_int_equal(pl_sign_pae("", "", 0, &b, &err), 0);
	assert_string_equal(b.data, "DSSEv1 0  0 ");
	pl_buf_release(&b);
}

static void test_sign_statement_make_and_parse(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_subject subj[] = {{"registry.example.com/base/debian", DIGEST},
					 {"other", HEX}};
	struct pl_sign_statement st;
	json_t *pred = json_pack("{s:{s:s}}", "builder", "id", "plinth");
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pl_sign_statement_make("https://slsa.dev/provenance/v1", pred, subj, 2,
						&out, &len, &err),
			 0);
	assert_string_equal(out, "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicate\":"
				 "{\"builder\":{\"id\":\"plinth\"}},\"predicateType\":"
				 "\"https://slsa.dev/provenance/v1\",\"subject\":[{\"digest\":{"
				 "\"sha256\":\"" HEX "\"},\"name\":\"registry.example.com/base/"
				 "debian\"},{\"digest\":{\"sha256\":\"" HEX "\"},\"name\":"
				 "\"other\"}]}");
	assert_int_equal(pl_sign_statement_parse(out, len, &st, &err), 0);
	assert_string_equal(st.type, PL_INTOTO_STATEMENT_V1);
	assert_string_equal(st.predicate_type, "https://slsa.dev/provenance/v1");
	assert_int_equal(st.nsubjects, 2);
	assert_string_equal(st.subject_names[1], "other");
	assert_string_equal(st.subject_digests[0], DIGEST);
	assert_true(json_equal(st.predicate, pred));
	pl_sign_statement_release(&st);
	free(out);

	/* cosign 2.x writes v0.1 */
	{
		const char *v01 =
		    "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":"
		    "\"x\",\"subject\":[{\"name\":\"n\",\"digest\":{\"sha256\":\"" HEX
		    "\"}}],\"predicate\":{}}";

		assert_int_equal(pl_sign_statement_parse(v01, strlen(v01), &st, &err), 0);
		pl_sign_statement_release(&st);
	}
	{
		const char *bad =
		    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":"
		    "\"x\",\"subject\":[{\"name\":\"n\",\"digest\":{\"sha512\":\"ab\"}}]}";

		assert_int_equal(pl_sign_statement_parse(bad, strlen(bad), &st, &err), PL_EINVAL);
		pl_sign_statement_release(&st);
		bad = "{\"_type\":\"other\",\"predicateType\":\"x\",\"subject\":[]}";
		assert_int_equal(pl_sign_statement_parse(bad, strlen(bad), &st, &err), PL_EINVAL);
		pl_sign_statement_release(&st);
	}
	subj[1].sha256 = "abc";
	assert_int_equal(pl_sign_statement_make("t", NULL, subj, 2, &out, &len, &err), PL_EINVAL);
	assert_int_equal(pl_sign_statement_make("t", NULL, subj, 0, &out, &len, &err), PL_EINVAL);
	assert_int_equal(pl_sign_statement_make("", NULL, subj, 1, &out, &len, &err), PL_EINVAL);
	assert_int_equal(pl_sign_statement_make("t", NULL, subj, 1, &out, &len, &err), 0);
	assert_non_null(strstr(out, "\"predicate\":{}"));
	free(out);
	json_decref(pred);
}

static void test_sign_dsse_roundtrip(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_keyring *ring = NULL;
	struct pl_sign_key *k = gen(), *other = gen();
	const struct pl_sign_key *who = NULL;
	const char *body = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
	char *env = NULL, *type = NULL, *payload = NULL, *pae;
	size_t envlen, plen = 0;
	json_t *j;

	assert_int_equal(
	    pl_sign_dsse_sign(k, PL_DSSE_INTOTO_TYPE, body, strlen(body), &env, &envlen, &err), 0);
	assert_int_equal(envlen, strlen(env));
	j = json_loads(env, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "payloadType")),
			    PL_DSSE_INTOTO_TYPE);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "signatures"), 0), "keyid")),
			    "");

	/* the signature is ECDSA over PAE(type, body), as openssl sees it */
	{
		struct pl_buf b = PL_BUF_INIT;
		const char *sig = json_string_value(
		    json_object_get(json_array_get(json_object_get(j, "signatures"), 0), "sig"));

		assert_int_equal(pl_sign_pae(PL_DSSE_INTOTO_TYPE, body, strlen(body), &b, &err), 0);
		tu_write(f->dir, "pae", b.data, b.len);
		tu_write(f->dir, "sig.b64", sig, strlen(sig));
		write_key(k, f->dir, "k", "");
		assert_int_equal(tu_sh(f->dir, "base64 -d sig.b64 > sig.der && openssl dgst "
					       "-sha256 -verify k.pub -signature sig.der pae "
					       ">/dev/null"),
				 0);
		pae = slurp(f->dir, "pae", NULL);
		assert_true(
		    !strncmp(pae, "DSSEv1 28 application/vnd.in-toto+json 43 {\"_type", 49));
		free(pae);
		pl_buf_release(&b);
	}

	assert_int_equal(pl_sign_dsse_verify_key(k, env, envlen, &type, &payload, &plen, &err), 0);
	assert_string_equal(type, PL_DSSE_INTOTO_TYPE);
	assert_int_equal(plen, strlen(body));
	assert_string_equal(payload, body);
	free(type);
	free(payload);

	assert_int_equal(pl_sign_keyring_new(&ring, &err), 0);
	assert_int_equal(pl_sign_keyring_add(ring, other, &err), 0);
	assert_int_equal(pl_sign_dsse_verify(ring, env, envlen, NULL, NULL, NULL, &who, &err),
			 PL_EVERIFY);
	assert_null(who);
	pl_err_init(&err);
	assert_int_equal(pl_sign_keyring_add(ring, k, &err), 0);
	assert_int_equal(pl_sign_dsse_verify(ring, env, envlen, NULL, NULL, NULL, &who, &err), 0);
	assert_ptr_equal(who, k);

	/* URL-safe base64 without padding is the same envelope to DSSE */
	{
		char *p64 = strdup(json_string_value(json_object_get(j, "payload")));
		char *s, *env2;

		for (s = p64; *s; s++)
			if (*s == '+')
				*s = '-';
			else if (*s == '/')
				*s = '_';
			else if (*s == '=')
				*s = '\0';
		json_object_set_new(j, "payload", json_string(p64));
		env2 = json_dumps(j, JSON_COMPACT);
		assert_int_equal(
		    pl_sign_dsse_verify(ring, env2, strlen(env2), NULL, NULL, NULL, NULL, &err), 0);
		free(env2);
		free(p64);
	}
	json_decref(j);
	free(env);
	pl_sign_keyring_free(ring);
}

static void test_sign_dsse_rejects_tampering(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *k = gen(), *other = gen();
	const char *body = "{\"predicate\":{\"ok\":true}}";
	const char *evil = "{\"predicate\":{\"ok\":false}}";
	char *env = NULL, *env2, *ev64, *payload = NULL;
	size_t envlen;
	json_t *j;

	(void)state;
	assert_int_equal(
	    pl_sign_dsse_sign(k, PL_DSSE_INTOTO_TYPE, body, strlen(body), &env, &envlen, &err), 0);
	/* payload changed after signing */
	j = json_loads(env, 0, NULL);
	ev64 = b64(evil, strlen(evil));
	json_object_set_new(j, "payload", json_string(ev64));
	env2 = json_dumps(j, JSON_COMPACT);
	assert_int_equal(pl_sign_dsse_verify_key(k, env2, strlen(env2), NULL, &payload, NULL, &err),
			 PL_EVERIFY);
	assert_null(payload);
	free(env2);
	/* payload type changed after signing */
	json_decref(j);
	j = json_loads(env, 0, NULL);
	json_object_set_new(j, "payloadType", json_string("application/json"));
	env2 = json_dumps(j, JSON_COMPACT);
	pl_err_init(&err);
	assert_int_equal(pl_sign_dsse_verify_key(k, env2, strlen(env2), NULL, NULL, NULL, &err),
			 PL_EVERIFY);
	free(env2);
	/* wrong key */
	pl_err_init(&err);
	assert_int_equal(pl_sign_dsse_verify_key(other, env, envlen, NULL, NULL, NULL, &err),
			 PL_EVERIFY);
	assert_non_null(strstr(err.msg, "no signature verifies"));
	json_decref(j);
	free(ev64);
	free(env);
	pl_sign_key_free(k);
	pl_sign_key_free(other);
}

static void expect_dsse_fail(const struct pl_sign_key *k, const char *env, const char *needle)
{
	struct pl_err err = PL_ERR_INIT;

	assert_int_equal(pl_sign_dsse_verify_key(k, env, strlen(env), NULL, NULL, NULL, &err),
			 PL_EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("'%s': message lacks '%s': %s", env, needle, err.msg);
}

static void test_sign_dsse_rejects_malformed(void **state)
{
	struct pl_sign_key *k = gen();

	(void)state;
	expect_dsse_fail(k, "{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
			 "payload is missing");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"a*b=\",\"signatures\":"
			 "[{\"sig\":\"AAAA\"}]}",
			 "payload is not valid base64");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"QQ=\",\"signatures\":"
			 "[{\"sig\":\"AAAA\"}]}",
			 "payload is not valid base64");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":"
			 "{\"sig\":\"AAAA\"}}",
			 "signatures is not an array");
	expect_dsse_fail(k, "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":[]}",
			 "signatures is empty");
	expect_dsse_fail(k, "{\"payloadType\":\"t\",\"payload\":\"QQ==\"}",
			 "signatures is missing");
	expect_dsse_fail(k, "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":[\"x\"]}",
			 "signatures[0] is not an object");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":"
			 "[{\"sig\":1}]}",
			 "signatures[0].sig is not a string");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":"
			 "[{\"sig\":\"AAAA\"},{\"keyid\":\"\"}]}",
			 "signatures[1].sig is missing");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":"
			 "[{\"sig\":\"AAAA\",\"keyid\":5}]}",
			 "keyid is not a string");
	expect_dsse_fail(k,
			 "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":"
			 "[{\"sig\":\"\"}]}",
			 "sig is empty");
	expect_dsse_fail(k, "{\"payload\":\"QQ==\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
			 "payloadType is missing");
	expect_dsse_fail(k, "{\"payloadType\":3,\"payload\":\"QQ==\",\"signatures\":[]}",
			 "payloadType is not a string");
	expect_dsse_fail(k, "[1]", "not an object");
	expect_dsse_fail(k, "{\"payloadType\"", "DSSE envelope");
	/* well-formed but unsigned by k: a verification failure, not a format one */
	{
		struct pl_err err = PL_ERR_INIT;
		const char *env = "{\"payloadType\":\"t\",\"payload\":\"QQ==\",\"signatures\":"
				  "[{\"sig\":\"AAAA\"}]}";

		assert_int_equal(
		    pl_sign_dsse_verify_key(k, env, strlen(env), NULL, NULL, NULL, &err),
		    PL_EVERIFY);
	}
	pl_sign_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sign_key_write_load_encrypted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_key_write_unencrypted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_key_write_refuses_overwrite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_openssl_reads_our_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_openssl_verifies_our_signature, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sign_verifies_openssl_signature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_loads_openssl_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_wrong_passphrase_is_eauth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_rejects_rsa_and_other_curves, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sign_rejects_corrupted_pem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_rejects_wrong_kind_of_pem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_key_id_matches_openssl, setup, teardown),
	    cmocka_unit_test(test_sign_public_pem_roundtrip),
	    cmocka_unit_test(test_sign_verify_rejects),
	    cmocka_unit_test(test_sign_verify_ring_finds_signer),
	    cmocka_unit_test_setup_teardown(test_sign_keyring_load_dir, setup, teardown),
	    cmocka_unit_test(test_sign_payload_exact_bytes),
	    cmocka_unit_test(test_sign_payload_parse),
	    cmocka_unit_test(test_sign_pae_spec_example),
	    cmocka_unit_test(test_sign_statement_make_and_parse),
	    cmocka_unit_test_setup_teardown(test_sign_dsse_roundtrip, setup, teardown),
	    cmocka_unit_test(test_sign_dsse_rejects_tampering),
	    cmocka_unit_test(test_sign_dsse_rejects_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
