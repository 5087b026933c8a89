/* DSSE v1 envelopes and in-toto Statements (attestations as cosign stores them). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define ENV "DSSE envelope"
#define STMT "in-toto statement"

int pl_sign_pae(const char *payload_type, const void *body, size_t len, struct pl_buf *out,
		struct pl_err *err)
{
	int rc =
	    pl_buf_addf(out, err, "DSSEv1 %zu %s %zu ", strlen(payload_type), payload_type, len);

	return rc < 0 ? rc : pl_buf_add(out, body, len, err);
}

/* 64 lowercase hex digits, or the same after "sha256:". */
static const char *subject_hex(const char *s)
{
	size_t i;

	if (!strncmp(s, "sha256:", 7))
		s += 7;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return NULL;
	return s[64] ? NULL : s;
}

static int detach(struct pl_buf *b, char **out, size_t *len, struct pl_err *err)
{
	*out = pl_buf_detach(b, len);
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

int pl_sign_statement_make(const char *predicate_type, const json_t *predicate,
			   const struct pl_sign_subject *subjects, size_t nsubjects, char **out,
			   size_t *len, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	json_t *root = NULL, *subj = NULL;
	int rc = 0;

	*out = NULL;
	if (len)
		*len = 0;
	if (!predicate_type || !*predicate_type)
		return pl_err_set(err, PL_EINVAL, STMT ": empty predicate type");
	if (nsubjects == 0)
		return pl_err_set(err, PL_EINVAL, STMT ": no subjects");
	root = json_object();
	subj = json_array();
	if (!root || !subj) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nsubjects && rc == 0; i++) {
		const char *hex = subjects[i].sha256 ? subject_hex(subjects[i].sha256) : NULL;

		if (!subjects[i].name || !hex) {
			rc = pl_err_set(err, PL_EINVAL,
					STMT ": subject %zu needs a name and a "
					     "sha256 digest",
					i);
			goto out;
		}
		rc = pl_json_append_new(
		    subj,
		    json_pack("{s:s,s:{s:s}}", "name", subjects[i].name, "digest", "sha256", hex),
		    err);
	}
	if (rc == 0)
		rc = pl_json_set_str(root, "_type", PL_INTOTO_STATEMENT_V1, err);
	if (rc == 0)
		rc = pl_json_set_new(root, "subject", subj, err);
	subj = NULL;
	if (rc == 0)
		rc = pl_json_set_str(root, "predicateType", predicate_type, err);
	if (rc == 0)
		rc = pl_json_set_new(root, "predicate",
				     predicate ? json_deep_copy(predicate) : json_object(), err);
	if (rc == 0)
		rc = pl_json_dump(root, &b, err);
	if (rc == 0)
		rc = detach(&b, out, len, err);
out:
	json_decref(subj);
	json_decref(root);
	pl_buf_release(&b);
	return rc;
}

int pl_sign_statement_parse(const void *data, size_t len, struct pl_sign_statement *out,
			    struct pl_err *err)
{
	json_t *root = NULL, *subj, *v;
	const char *s;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pl_json_load(data, len, STMT, &root, err);
	if (rc < 0)
		goto out;
	if (!json_is_object(root)) {
		rc = pl_err_set(err, PL_EINVAL, STMT ": not an object");
		goto out;
	}
	s = pl_json_str(root, "_type");
	if (!s || (strcmp(s, PL_INTOTO_STATEMENT_V1) && strcmp(s, PL_INTOTO_STATEMENT_V01))) {
		rc =
		    pl_err_set(err, PL_EINVAL, STMT ": _type is %s%.100s%s, not '%s'", s ? "'" : "",
			       s ? s : "missing", s ? "'" : "", PL_INTOTO_STATEMENT_V1);
		goto out;
	}
	out->type = strdup(s);
	s = pl_json_str(root, "predicateType");
	if (!s || !*s) {
		rc = pl_err_set(err, PL_EINVAL, STMT ": predicateType is missing");
		goto out;
	}
	out->predicate_type = strdup(s);
	v = json_object_get(root, "predicate");
	out->predicate = v ? json_incref(v) : json_null();
	subj = json_object_get(root, "subject");
	if (!json_is_array(subj) || json_array_size(subj) == 0) {
		rc = pl_err_set(err, PL_EINVAL, STMT ": subject is not a non-empty array");
		goto out;
	}
	out->subject_names = calloc(json_array_size(subj), sizeof(char *));
	out->subject_digests = calloc(json_array_size(subj), sizeof(char *));
	if (!out->type || !out->predicate_type || !out->subject_names || !out->subject_digests) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(subj, i, v)
	{
		const char *name = pl_json_str(v, "name");
		const char *hex = pl_json_str(json_object_get(v, "digest"), "sha256");
		struct pl_buf d = PL_BUF_INIT;

		if (!name || !hex || !subject_hex(hex) || !strncmp(hex, "sha256:", 7)) {
			rc = pl_err_set(err, PL_EINVAL,
					STMT ": subject %zu needs a name and a sha256 digest", i);
			goto out;
		}
		rc = pl_buf_addf(&d, err, "sha256:%s", hex);
		if (rc < 0)
			goto out;
		out->subject_digests[i] = pl_buf_detach(&d, NULL);
		out->subject_names[i] = strdup(name);
		out->nsubjects = i + 1;
		if (!out->subject_names[i] || !out->subject_digests[i]) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

void pl_sign_statement_release(struct pl_sign_statement *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nsubjects; i++) {
		free(st->subject_names[i]);
		free(st->subject_digests[i]);
	}
	free(st->subject_names);
	free(st->subject_digests);
	free(st->type);
	free(st->predicate_type);
	json_decref(st->predicate);
	memset(st, 0, sizeof(*st));
}

int pl_sign_dsse_sign(const struct pl_sign_key *key, const char *payload_type, const void *payload,
		      size_t len, char **envelope, size_t *envlen, struct pl_err *err)
{
	struct pl_buf pae = PL_BUF_INIT, b = PL_BUF_INIT;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *b64p = NULL, *b64s = NULL;
	json_t *root = NULL;
	int rc;

	*envelope = NULL;
	if (envlen)
		*envlen = 0;
	rc = pl_sign_pae(payload_type, payload, len, &pae, err);
	if (rc == 0)
		rc = sign_der(key, pae.data, pae.len, &sig, &siglen, err);
	if (rc == 0)
		rc = sign_b64_encode(sig, siglen, &b64s, err);
	if (rc == 0)
		rc = sign_b64_encode(payload, len, &b64p, err);
	if (rc < 0)
		goto out;
	root = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payloadType", payload_type, "payload", b64p,
			 "signatures", "keyid", "", "sig", b64s);
	if (!root) {
		rc = pl_err_set(err, PL_EINVAL, ENV ": payload type is not UTF-8");
		goto out;
	}
	rc = pl_json_dump(root, &b, err);
	if (rc == 0)
		rc = detach(&b, envelope, envlen, err);
out:
	json_decref(root);
	free(sig);
	free(b64p);
	free(b64s);
	pl_buf_release(&pae);
	pl_buf_release(&b);
	return rc;
}

void pl_sign_dsse_release(struct pl_sign_dsse *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->nsigs; i++)
		free(env->sigs[i]);
	free(env->sigs);
	free(env->sig_lens);
	free(env->payload_type);
	free(env->payload);
	memset(env, 0, sizeof(*env));
}

static int b64_member(const json_t *obj, const char *key, const char *what, unsigned char **out,
		      size_t *len, struct pl_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char w[96];

	if (!v)
		return pl_err_set(err, PL_EINVAL, ENV ": %s is missing", what);
	if (!json_is_string(v))
		return pl_err_set(err, PL_EINVAL, ENV ": %s is not a string", what);
	snprintf(w, sizeof(w), ENV ": %s", what);
	return sign_b64_decode(json_string_value(v), json_string_length(v), w, out, len, err);
}

int pl_sign_dsse_parse(const void *data, size_t len, struct pl_sign_dsse *out, struct pl_err *err)
{
	json_t *root = NULL, *sigs, *v;
	const char *s;
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pl_json_load(data, len, ENV, &root, err);
	if (rc < 0)
		goto out;
	if (!json_is_object(root)) {
		rc = pl_err_set(err, PL_EINVAL, ENV ": not an object");
		goto out;
	}
	v = json_object_get(root, "payloadType");
	if (!json_is_string(v)) {
		rc = pl_err_set(err, PL_EINVAL, ENV ": payloadType is %s",
				v ? "not a string" : "missing");
		goto out;
	}
	s = json_string_value(v);
	out->payload_type = strdup(s);
	if (!out->payload_type) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = b64_member(root, "payload", "payload", &out->payload, &out->payload_len, err);
	if (rc < 0)
		goto out;
	sigs = json_object_get(root, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) == 0) {
		rc = pl_err_set(err, PL_EINVAL, ENV ": signatures is %s",
				!sigs		      ? "missing"
				: json_is_array(sigs) ? "empty"
						      : "not an array");
		goto out;
	}
	n = json_array_size(sigs);
	out->sigs = calloc(n, sizeof(*out->sigs));
	out->sig_lens = calloc(n, sizeof(*out->sig_lens));
	if (!out->sigs || !out->sig_lens) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(sigs, i, v)
	{
		const json_t *kid = json_object_get(v, "keyid");
		char what[64];

		snprintf(what, sizeof(what), "signatures[%zu].sig", i);
		if (!json_is_object(v)) {
			rc =
			    pl_err_set(err, PL_EINVAL, ENV ": signatures[%zu] is not an object", i);
			goto out;
		}
		if (kid && !json_is_string(kid)) {
			rc = pl_err_set(err, PL_EINVAL,
					ENV ": signatures[%zu].keyid is not a "
					    "string",
					i);
			goto out;
		}
		rc = b64_member(v, "sig", what, &out->sigs[i], &out->sig_lens[i], err);
		out->nsigs = i + 1;
		if (rc < 0)
			goto out;
		if (out->sig_lens[i] == 0) {
			rc = pl_err_set(err, PL_EINVAL, ENV ": %s is empty", what);
			goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

static int dsse_verify(const struct pl_sign_key *const *keys, size_t nkeys, const void *envelope,
		       size_t len, char **payload_type, char **payload, size_t *plen,
		       const struct pl_sign_key **who, struct pl_err *err)
{
	struct pl_sign_dsse env;
	struct pl_buf pae = PL_BUF_INIT;
	const struct pl_sign_key *found = NULL;
	int rc;

	if (payload_type)
		*payload_type = NULL;
	if (payload)
		*payload = NULL;
	if (plen)
		*plen = 0;
	if (who)
		*who = NULL;
	rc = pl_sign_dsse_parse(envelope, len, &env, err);
	if (rc == 0)
		rc = pl_sign_pae(env.payload_type, env.payload, env.payload_len, &pae, err);
	if (rc < 0)
		goto out;
	for (size_t s = 0; s < env.nsigs && !found; s++)
		for (size_t k = 0; k < nkeys && !found; k++)
			if (sign_verify_der(keys[k], pae.data, pae.len, env.sigs[s],
					    env.sig_lens[s]) == 0)
				found = keys[k];
	if (!found) {
		if (nkeys == 0)
			rc = pl_err_set(err, PL_EVERIFY,
					ENV ": no trusted public keys to verify "
					    "with");
		else
			rc = nkeys == 1
				 ? pl_err_set(err, PL_EVERIFY,
					      ENV ": no signature verifies with key '%s' (%s)",
					      keys[0]->name, keys[0]->id)
				 : pl_err_set(err, PL_EVERIFY,
					      ENV ": no signature verifies with any of the %zu "
						  "trusted keys",
					      nkeys);
		goto out;
	}
	if (who)
		*who = found;
	if (payload_type) {
		*payload_type = env.payload_type;
		env.payload_type = NULL;
	}
	if (plen)
		*plen = env.payload_len;
	if (payload) {
		*payload = (char *)env.payload;
		env.payload = NULL;
	}
out:
	pl_sign_dsse_release(&env);
	pl_buf_release(&pae);
	return rc;
}

int pl_sign_dsse_verify(const struct pl_sign_keyring *ring, const void *envelope, size_t len,
			char **payload_type, char **payload, size_t *plen,
			const struct pl_sign_key **who, struct pl_err *err)
{
	return dsse_verify((const struct pl_sign_key *const *)ring->keys, ring->n, envelope, len,
			   payload_type, payload, plen, who, err);
}

int pl_sign_dsse_verify_key(const struct pl_sign_key *key, const void *envelope, size_t len,
			    char **payload_type, char **payload, size_t *plen, struct pl_err *err)
{
	return dsse_verify(&key, 1, envelope, len, payload_type, payload, plen, NULL, err);
}
