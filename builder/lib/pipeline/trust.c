/*
 * plinth sign, verify and attestations: which key, which image, which
 * policy. The keys a repository must be signed by come from --key/--keys
 * or from the curation repo's trust policy (keys read at the commit).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "lib/sign.h"
#include "util/buf.h"
#include "util/log.h"

static const struct pl_reg_opts *reg_opts(const struct pl_trust_opts *o)
{
	static const struct pl_reg_opts none;

	return o->src.reg ? o->src.reg : &none;
}

int pl_sign_ref(const struct pl_trust_opts *o, const char *ref, struct pl_oci_strv *digests,
		char key_id[PL_DIGEST_SIZE], struct pl_err *err)
{
	struct pl_store *s = NULL;
	struct pl_sign_key *key = NULL;
	struct pl_oci_strv ds = { 0 };
	bool encrypted = false;
	int rc;

	if (!o->key)
		return pl_err_set(err, PL_EUSAGE, "no signing key: --key PATH (or plinth.yaml's "
						  "signing.key)");
	rc = pl_sign_key_load_private(o->key, o->pass, o->passlen, &key, &encrypted, err);
	if (rc == 0 && !encrypted)
		pl_log_warn("the signing key '%s' is not encrypted: anyone who reads the file can "
			    "sign as you",
			    o->key);
	if (rc == 0)
		rc = pl_store_open(&s, ref, false, reg_opts(o), err);
	if (rc == 0)
		rc = pl_image_digests(s, NULL, &ds, err);
	if (rc == 0)
		rc = pl_sign_digests(s, key, &ds, NULL, err);
	if (rc == 0 && key_id)
		pl_sign_key_id(key, key_id);
	if (rc == 0 && digests) {
		*digests = ds;
		memset(&ds, 0, sizeof(ds));
	}
	if (rc < 0)
		pl_err_wrap(err, "sign '%s'", ref);
	pl_oci_strv_release(&ds);
	pl_store_free(s);
	pl_sign_key_free(key);
	return rc;
}

/*
 * The keys to trust for the image in s: --key, --keys, else the curation
 * repo's trust.images rule for its repository.
 */
static int trusted_keys(const struct pl_trust_opts *o, struct pl_store *s,
			struct pl_sign_keyring **ring, struct pl_err *err)
{
	int rc;

	*ring = NULL;
	if (o->keys_dir)
		return pl_sign_keyring_load_dir(o->keys_dir, ring, err);
	rc = pl_sign_keyring_new(ring, err);
	if (rc == 0 && o->key) {
		struct pl_sign_key *k = NULL;

		rc = pl_sign_key_load_public(o->key, &k, err);
		if (rc == 0)
			rc = pl_sign_keyring_add(*ring, k, err);
		return rc;
	}
	if (rc == 0)
		rc = pl_trust_policy_keys(&o->src, pl_store_identity(s), *ring, NULL, err);
	return rc;
}

int pl_verify_ref(const struct pl_trust_opts *o, const char *ref, struct pl_verified *out,
		  struct pl_err *err)
{
	struct pl_store *s = NULL;
	struct pl_sign_keyring *ring = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pl_store_open(&s, ref, false, reg_opts(o), err);
	if (rc == 0)
		rc = trusted_keys(o, s, &ring, err);
	if (rc == 0)
		rc = pl_verify_store(s, NULL, ring, o->identity, out, err);
	if (rc < 0)
		pl_err_wrap(err, "verify '%s'", ref);
	pl_sign_keyring_free(ring);
	pl_store_free(s);
	return rc;
}

int pl_attestations_ref(const struct pl_trust_opts *o, const char *ref, const char *type,
			json_t **out, struct pl_err *err)
{
	struct pl_store *s = NULL;
	struct pl_sign_keyring *ring = NULL;
	int rc;

	*out = NULL;
	rc = pl_store_open(&s, ref, false, reg_opts(o), err);
	if (rc == 0)
		rc = trusted_keys(o, s, &ring, err);
	if (rc == 0)
		rc = pl_attestations_store(s, NULL, ring, type, out, err);
	if (rc < 0)
		pl_err_wrap(err, "attestations of '%s'", ref);
	pl_sign_keyring_free(ring);
	pl_store_free(s);
	return rc;
}

int pl_trust_policy_keys(const struct pl_source_opts *so, const char *identity,
			 struct pl_sign_keyring *ring, bool *covered, struct pl_err *err)
{
	(void)so;
	(void)ring;
	if (covered)
		*covered = false;
	return pl_err_set(err, PL_EUSAGE, "no trusted keys for '%s': pass --key PUB or --keys DIR",
			  identity);
}
