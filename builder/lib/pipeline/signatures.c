/*
 * Signatures and attestations as cosign stores them, in a layout or a
 * registry: a simple-signing payload per manifest digest as a layer of the
 * manifest tagged sha256-<hex>.sig, DSSE envelopes of in-toto statements
 * as layers of sha256-<hex>.att; new ones are added to what is there.
 * Verification checks digest, identity and key for every manifest of an
 * image (an index and each platform).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "lib/sign.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#define ANN_PREDICATE "predicateType"

/* "sha256-<hex>.sig" / ".att" */
static void tag_for(const char *digest, const char *suffix, char out[PL_DIGEST_SIZE + 8])
{
	snprintf(out, PL_DIGEST_SIZE + 8, "sha256-%s.%s", pl_digest_hex(digest), suffix);
}

/* The manifest digests an image consists of: the top one, then each platform's. */
int pl_image_digests(struct pl_store *s, const char *reference, struct pl_oci_strv *out,
		     struct pl_err *err)
{
	struct pl_reg_manifest top = { 0 };
	int rc = pl_store_get_manifest(s, reference, &top, err);

	if (rc == 0)
		rc = pl_oci_strv_push(out, top.digest, err);
	if (rc == 0 && pl_oci_is_index_type(top.media_type)) {
		struct pl_oci_index ix = { 0 };

		rc = pl_oci_index_parse(top.body.data, top.body.len, top.digest, &ix, err);
		for (size_t i = 0; rc == 0 && i < ix.n_manifests; i++)
			if (pl_oci_is_manifest_type(ix.manifests[i].media_type))
				rc = pl_oci_strv_push(out, ix.manifests[i].digest, err);
		pl_oci_index_release(&ix);
	}
	pl_reg_manifest_release(&top);
	return rc;
}

/* The claims a signature carries: the image's own Plinth annotations. */
static int claims(struct pl_store *s, const char *digest, json_t **out, struct pl_err *err)
{
	static const char *const keys[][2] = {
		{ "dev.plinth.recipe", "recipe" },
		{ "org.opencontainers.image.revision", "commit" },
		{ "org.opencontainers.image.source", "source" },
		{ "dev.plinth.patches", "patches" },
	};
	struct pl_reg_manifest m = { 0 };
	json_t *j = json_object(), *doc = NULL, *ann;
	int rc = j ? pl_store_get_manifest(s, digest, &m, err)
		   : pl_err_set(err, PL_ENOMEM, "out of memory");

	if (rc == 0 && pl_json_load(m.body.data, m.body.len, digest, &doc, err) == 0) {
		ann = json_object_get(doc, "annotations");
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const char *v = json_string_value(json_object_get(ann, keys[i][0]));
			if (v)
				json_object_set_new(j, keys[i][1], json_string(v));
		}
	}
	json_decref(doc);
	pl_reg_manifest_release(&m);
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}

int pl_sign_digests(struct pl_store *s, const struct pl_sign_key *key,
		    const struct pl_oci_strv *digests, const json_t *extra, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < digests->n; i++) {
		char *payload = NULL, *sig = NULL, tag[PL_DIGEST_SIZE + 8];
		size_t len = 0;
		json_t *opt = NULL;

		rc = claims(s, digests->v[i], &opt, err);
		if (rc == 0 && extra)
			json_object_update(opt, (json_t *)extra);
		if (rc == 0)
			rc = pl_sign_payload_make(pl_store_identity(s), digests->v[i], opt, &payload,
						  &len, err);
		if (rc == 0)
			rc = pl_sign_data(key, payload, len, &sig, err);
		tag_for(digests->v[i], "sig", tag);
		if (rc == 0)
			rc = pl_store_append_layer(s, tag, payload, len, PL_MT_SIMPLESIGNING,
					     PL_ANN_COSIGN_SIGNATURE, sig, err);
		if (rc < 0)
			pl_err_wrap(err, "sign %s", digests->v[i]);
		json_decref(opt);
		free(payload);
		free(sig);
	}
	return rc;
}

int pl_attest_digest(struct pl_store *s, const struct pl_sign_key *key, const char *digest,
		     const char *predicate_type, const json_t *predicate,
		     char env_digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	struct pl_sign_subject sub = { pl_store_identity(s), digest };
	char *st = NULL, *env = NULL, tag[PL_DIGEST_SIZE + 8];
	size_t len = 0, elen = 0;
	int rc;

	rc = pl_sign_statement_make(predicate_type, predicate, &sub, 1, &st, &len, err);
	if (rc == 0)
		rc = pl_sign_dsse_sign(key, PL_DSSE_INTOTO_TYPE, st, len, &env, &elen, err);
	if (rc == 0 && env_digest)
		rc = pl_sha256_buf(env, elen, env_digest, err);
	tag_for(digest, "att", tag);
	if (rc == 0)
		rc = pl_store_append_layer(s, tag, env, elen, PL_MT_DSSE_ENVELOPE, ANN_PREDICATE,
				     predicate_type, err);
	if (rc < 0)
		pl_err_wrap(err, "attestation %s for %s", predicate_type, digest);
	free(st);
	free(env);
	return rc;
}

/* ---- verification ---- */

void pl_verified_release(struct pl_verified *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->sigs[i].digest);
		free(v->sigs[i].key);
		free(v->sigs[i].identity);
		json_decref(v->sigs[i].optional);
	}
	free(v->sigs);
	pl_oci_strv_release(&v->digests);
	memset(v, 0, sizeof(*v));
}

static int add_sig(struct pl_verified *v, const char *digest, const struct pl_sign_key *who,
		   const struct pl_sign_payload *p, struct pl_err *err)
{
	struct pl_verified_sig *n = realloc(v->sigs, (v->n + 1) * sizeof(*n));
	char id[PL_DIGEST_SIZE];

	if (!n)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	v->sigs = n;
	n = &n[v->n];
	memset(n, 0, sizeof(*n));
	pl_sign_key_id(who, id);
	n->digest = strdup(digest);
	n->key = pl_sign_key_name(who) ? strdup(pl_sign_key_name(who)) : strdup(id);
	snprintf(n->key_id, sizeof(n->key_id), "%s", id);
	n->identity = strdup(p->reference);
	n->optional = json_incref(p->optional);
	v->n++;
	if (!n->digest || !n->key || !n->identity)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

static void why_add(struct pl_buf *why, const char *fmt, ...) PL_PRINTF(2, 3);

/* Note one reason a signature was not good (cut, not failed, when too long). */
static void why_add(struct pl_buf *why, const char *fmt, ...)
{
	struct pl_err e = PL_ERR_INIT;
	va_list ap;

	va_start(ap, fmt);
	/* out of memory loses a reason, never the verdict */
	if (why->len < 2048 && pl_buf_vaddf(why, &e, fmt, ap) < 0)
		pl_log_debug("a reason was lost: %s", e.msg);
	va_end(ap);
}

/*
 * The good signatures of one manifest digest. why collects what was wrong
 * with the others, for the error when none is good.
 */
static int verify_one(struct pl_store *s, const struct pl_sign_keyring *ring,
		      const char *identity, const char *digest, struct pl_verified *v,
		      struct pl_buf *why, struct pl_err *err)
{
	struct pl_reg_manifest sm = { 0 };
	struct pl_oci_manifest m = { 0 };
	char tag[PL_DIGEST_SIZE + 8];
	size_t good = 0;
	int rc;

	tag_for(digest, "sig", tag);
	rc = pl_store_get_manifest(s, tag, &sm, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		rc = pl_err_set(err, PL_EVERIFY, "%s is not signed (no %s)", digest, tag);
		goto out;
	}
	if (rc == 0)
		rc = pl_oci_manifest_parse(sm.body.data, sm.body.len, tag, &m, err);
	for (size_t i = 0; rc == 0 && i < m.n_layers; i++) {
		const struct pl_oci_desc *l = &m.layers[i];
		const char *sig = pl_oci_map_get(&l->annotations, PL_ANN_COSIGN_SIGNATURE);
		struct pl_sign_payload p = { 0 };
		const struct pl_sign_key *who = NULL;
		struct pl_err e = PL_ERR_INIT;
		char *data = NULL;
		size_t len = 0;

		if (!l->media_type || strcmp(l->media_type, PL_MT_SIMPLESIGNING) || !sig)
			continue;
		if (pl_store_get_blob(s, l->digest, PL_SIGN_PAYLOAD_MAX, &data, &len, &e) < 0 ||
		    pl_sign_payload_parse(data, len, &p, &e) < 0) {
			why_add(why, "; payload %.19s: %s", l->digest, e.msg);
		} else if (strcmp(p.digest, digest) != 0) {
			why_add(why, "; a signature is for %s, not this manifest",
					  p.digest);
		} else if (identity && strcmp(p.reference, identity) != 0) {
			why_add(why, "; a signature names '%s', not '%s'",
					  p.reference, identity);
		} else if (pl_sign_verify_ring(ring, data, len, sig, &who, &e) < 0) {
			why_add(why, "; a signature by a key not trusted here, or "
						    "over other bytes");
		} else {
			rc = add_sig(v, digest, who, &p, err);
			good++;
		}
		pl_sign_payload_release(&p);
		free(data);
	}
	if (rc == 0 && good == 0)
		rc = pl_err_set(err, PL_EVERIFY, "%s has no valid signature by a trusted key%s",
				digest, why->len ? why->data : "");
out:
	pl_oci_manifest_release(&m);
	pl_reg_manifest_release(&sm);
	return rc;
}

int pl_verify_store(struct pl_store *s, const char *reference,
		    const struct pl_sign_keyring *ring, const char *identity,
		    struct pl_verified *out, struct pl_err *err)
{
	struct pl_buf why = PL_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if (pl_sign_keyring_count(ring) == 0)
		return pl_err_set(err, PL_EVERIFY, "no trusted keys to verify with");
	rc = pl_image_digests(s, reference, &out->digests, err);
	for (size_t i = 0; rc == 0 && i < out->digests.n; i++) {
		pl_buf_reset(&why);
		rc = verify_one(s, ring, identity ? identity : pl_store_identity(s),
				out->digests.v[i], out, &why, err);
	}
	pl_buf_release(&why);
	if (rc < 0)
		pl_verified_release(out);
	return rc;
}

int pl_attestations_store(struct pl_store *s, const char *reference,
			  const struct pl_sign_keyring *ring, const char *type, json_t **out,
			  struct pl_err *err)
{
	struct pl_reg_manifest top = { 0 }, am = { 0 };
	struct pl_oci_manifest m = { 0 };
	char tag[PL_DIGEST_SIZE + 8];
	json_t *list = json_array();
	int rc;

	*out = NULL;
	rc = list ? pl_store_get_manifest(s, reference, &top, err)
		  : pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc < 0)
		goto out;
	tag_for(top.digest, "att", tag);
	rc = pl_store_get_manifest(s, tag, &am, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		rc = pl_err_set(err, PL_ENOTFOUND, "%s has no attestations (no %s)", top.digest,
				tag);
	}
	if (rc == 0)
		rc = pl_oci_manifest_parse(am.body.data, am.body.len, tag, &m, err);
	for (size_t i = 0; rc == 0 && i < m.n_layers; i++) {
		const struct pl_oci_desc *l = &m.layers[i];
		const char *pt = pl_oci_map_get(&l->annotations, ANN_PREDICATE);
		struct pl_sign_statement st = { 0 };
		const struct pl_sign_key *who = NULL;
		char *data = NULL, *ptype = NULL, *payload = NULL;
		size_t len = 0, plen = 0;
		bool subject_ok = false;

		if (!l->media_type || strcmp(l->media_type, PL_MT_DSSE_ENVELOPE))
			continue;
		if (type && (!pt || strcmp(pt, type)))
			continue;
		rc = pl_store_get_blob(s, l->digest, PL_SIGN_PAYLOAD_MAX * 8, &data, &len, err);
		if (rc == 0)
			rc = pl_sign_dsse_verify(ring, data, len, &ptype, &payload, &plen, &who, err);
		if (rc == 0)
			rc = pl_sign_statement_parse(payload, plen, &st, err);
		for (size_t k = 0; rc == 0 && k < st.nsubjects; k++)
			if (!strcmp(st.subject_digests[k], top.digest))
				subject_ok = true;
		if (rc == 0 && !subject_ok)
			rc = pl_err_set(err, PL_EVERIFY, "an attestation is about another image");
		if (rc == 0 && pt && strcmp(pt, st.predicate_type))
			rc = pl_err_set(err, PL_EVERIFY, "an attestation's annotation says '%s', "
							 "its statement '%s'",
					pt, st.predicate_type);
		if (rc == 0)
			rc = pl_json_append_new(
				list,
				json_pack("{s:s, s:s, s:O}", "predicateType", st.predicate_type,
					  "signedBy", pl_sign_key_name(who) ? pl_sign_key_name(who) : "",
					  "predicate", st.predicate),
				err);
		if (rc < 0)
			pl_err_wrap(err, "attestation %.19s", l->digest);
		pl_sign_statement_release(&st);
		free(data);
		free(ptype);
		free(payload);
	}
	if (rc == 0 && type && json_array_size(list) == 0)
		rc = pl_err_set(err, PL_ENOTFOUND, "%s has no attestation of type '%s'", top.digest,
				type);
	if (rc == 0) {
		*out = list;
		list = NULL;
	}
out:
	json_decref(list);
	pl_oci_manifest_release(&m);
	pl_reg_manifest_release(&am);
	pl_reg_manifest_release(&top);
	return rc;
}
