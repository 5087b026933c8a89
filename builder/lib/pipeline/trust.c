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
			struct pl_sign_keyring **ring, bool *all, struct pl_err *err)
{
	int rc;

	*ring = NULL;
	*all = false;
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
		rc = pl_trust_policy_keys(&o->src, pl_store_policy_name(s), *ring, NULL, all, err);
	return rc;
}

/* With require: all, every trusted key must have signed every manifest. */
static int all_signed(const struct pl_sign_keyring *ring, const struct pl_verified *v,
		      struct pl_err *err)
{
	for (size_t d = 0; d < v->digests.n; d++) {
		for (size_t k = 0; k < pl_sign_keyring_count(ring); k++) {
			const struct pl_sign_key *key = pl_sign_keyring_get(ring, k);
			char id[PL_DIGEST_SIZE];
			bool found = false;

			pl_sign_key_id(key, id);
			for (size_t i = 0; !found && i < v->n; i++)
				found = !strcmp(v->sigs[i].digest, v->digests.v[d]) &&
					!strcmp(v->sigs[i].key_id, id);
			if (!found)
				return pl_err_set(err, PL_EVERIFY,
						  "%s is not signed by %s, and plinth.yaml's rule "
						  "requires every key",
						  v->digests.v[d], pl_sign_key_name(key) ? pl_sign_key_name(key) : id);
		}
	}
	return 0;
}

int pl_verify_ref(const struct pl_trust_opts *o, const char *ref, struct pl_verified *out,
		  struct pl_err *err)
{
	struct pl_store *s = NULL;
	struct pl_sign_keyring *ring = NULL;
	bool all = false;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pl_store_open(&s, ref, false, reg_opts(o), err);
	if (rc == 0)
		rc = trusted_keys(o, s, &ring, &all, err);
	if (rc == 0)
		rc = pl_verify_store(s, NULL, ring, o->identity, out, err);
	if (rc == 0 && all)
		rc = all_signed(ring, out, err);
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
	bool all;
	int rc;

	*out = NULL;
	rc = pl_store_open(&s, ref, false, reg_opts(o), err);
	if (rc == 0)
		rc = trusted_keys(o, s, &ring, &all, err);
	if (rc == 0)
		rc = pl_attestations_store(s, NULL, ring, type, out, err);
	if (rc < 0)
		pl_err_wrap(err, "attestations of '%s'", ref);
	pl_sign_keyring_free(ring);
	pl_store_free(s);
	return rc;
}

/* Add the public keys (repo-relative paths) read at the commit to ring. */
static int keys_at_commit(struct pl_source *src, const struct pl_recipe_list *paths,
			  struct pl_sign_keyring *ring, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < paths->n; i++) {
		struct pl_sign_key *k = NULL;
		char *data = NULL;
		size_t len = 0;

		rc = pl_source_read(src, paths->v[i], 64 << 10, &data, &len, err);
		if (rc == 0)
			rc = pl_sign_key_parse_public(data, len, paths->v[i], &k, err);
		if (rc == 0)
			rc = pl_sign_keyring_add(ring, k, err);
		free(data);
	}
	return rc;
}

int pl_trust_policy_keys(const struct pl_source_opts *so, const char *identity,
			 struct pl_sign_keyring *ring, bool *covered, bool *all, struct pl_err *err)
{
	struct pl_source src;
	struct pl_err e = PL_ERR_INIT;
	const struct pl_trust_rule *rule;
	int rc;

	if (covered)
		*covered = false;
	if (all)
		*all = false;
	if (pl_source_open(&src, so, NULL, &e) < 0)
		return pl_err_set(err, PL_EUSAGE, "no trusted keys for '%s': pass --key PUB or "
						  "--keys DIR (no curation repo here for a trust "
						  "policy)",
				  identity);
	rule = pl_trust_rule_for(&src.settings->trust, identity);
	if (!rule) {
		rc = pl_err_set(err, PL_EUSAGE, "no trusted keys for '%s': pass --key PUB or --keys "
						"DIR, or add a trust.images rule to plinth.yaml",
				identity);
	} else {
		rc = keys_at_commit(&src, &rule->keys, ring, err);
		if (rc == 0 && covered)
			*covered = true;
		if (rc == 0 && all)
			*all = rule->require_all;
	}
	pl_source_release(&src);
	return rc;
}

int pl_pull(const struct pl_trust_opts *o, const char *src, const char *dst,
	    const struct pl_copy_opts *co, bool skip_verify, struct pl_copy_result *res,
	    struct pl_verified *verified, struct pl_err *err)
{
	struct pl_store *s = NULL;
	struct pl_sign_keyring *ring = NULL;
	struct pl_source repo;
	bool covered = false, have_repo, all = false;
	struct pl_err e = PL_ERR_INIT;
	int rc;

	memset(verified, 0, sizeof(*verified));
	rc = pl_store_open(&s, src, false, reg_opts(o), err);
	if (rc == 0)
		rc = pl_sign_keyring_new(&ring, err);
	if (rc < 0)
		goto out;
	if (o->key || o->keys_dir) {
		pl_sign_keyring_free(ring);
		ring = NULL;
		rc = trusted_keys(o, s, &ring, &all, err);
		covered = rc == 0;
	} else if (pl_trust_policy_keys(&o->src, pl_store_policy_name(s), ring, &covered, &all,
					&e) < 0 &&
		   e.code != PL_EUSAGE) {
		*err = e;
		rc = e.code;
	}
	if (rc < 0)
		goto out;
	have_repo = pl_source_open(&repo, &o->src, NULL, &e) == 0;
	if (!covered && have_repo && repo.settings->trust.default_action == PL_TRUST_DENY &&
	    !skip_verify)
		rc = pl_err_set(err, PL_EPOLICY, "'%s' is not covered by plinth.yaml's trust.images "
						 "and trust.default is deny",
				pl_store_policy_name(s));
	if (have_repo)
		pl_source_release(&repo);
	if (rc < 0)
		goto out;
	if (skip_verify) {
		pl_log_warn("NOT VERIFYING '%s': --insecure-skip-verify; its signatures are not "
			    "checked",
			    src);
	} else if (covered) {
		/* before a byte is written at the destination */
		rc = pl_verify_store(s, NULL, ring, o->identity, verified, err);
		if (rc == 0 && all)
			rc = all_signed(ring, verified, err);
		if (rc < 0) {
			pl_err_wrap(err, "refusing '%s'", src);
			goto out;
		}
	}
	rc = pl_copy(src, dst, co, res, err);
out:
	pl_sign_keyring_free(ring);
	pl_store_free(s);
	return rc;
}

int pl_trust_check_base(struct pl_source *src, const struct pl_source_opts *so,
			const char *ref, struct pl_err *err)
{
	static const struct pl_reg_opts none;
	const struct pl_trust *t = &src->settings->trust;
	const struct pl_trust_base *rule = NULL;
	struct pl_store *s = NULL;
	struct pl_sign_keyring *ring = NULL;
	struct pl_reg_manifest m = { 0 };
	struct pl_verified v = { 0 };
	struct pl_buf why = PL_BUF_INIT;
	int rc, ok;

	if (!t->bases_set)
		return 0; /* no list of bases: any base may be imported */
	rc = pl_store_open(&s, ref, false, so->reg ? so->reg : &none, err);
	if (rc == 0)
		rc = pl_store_get_manifest(s, NULL, &m, err);
	if (rc < 0)
		goto out;
	ok = pl_trust_base_allowed(t, pl_store_policy_name(s), m.digest, &rule, &why, err);
	if (ok < 0) {
		rc = ok;
		goto out;
	}
	if (!ok) {
		rc = pl_err_set(err, PL_EPOLICY, "%s", why.data ? why.data : "base not allowed");
		goto out;
	}
	if (rule && rule->keys.set && rule->keys.n) {
		/* the upstream signs its images: only what its key signed comes in */
		rc = pl_sign_keyring_new(&ring, err);
		if (rc == 0)
			rc = keys_at_commit(src, &rule->keys, ring, err);
		if (rc == 0)
			rc = pl_verify_store(s, m.digest, ring, NULL, &v, err);
		if (rc < 0)
			pl_err_wrap(err, "base '%s' (plinth.yaml trust.bases)", ref);
	}
out:
	pl_verified_release(&v);
	pl_sign_keyring_free(ring);
	pl_reg_manifest_release(&m);
	pl_store_free(s);
	pl_buf_release(&why);
	return rc;
}
