/* The cosign "simple signing" payload: canonical builder and strict parser. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define WHAT "signature payload"

/* A docker reference without tag or digest: "host[:port]/repo". */
static int check_reference(const char *ref, struct pl_err *err)
{
	const char *slash = strrchr(ref, '/');

	if (!*ref)
		return pl_err_set(err, PL_EINVAL, "empty image reference in signature payload");
	for (const char *p = ref; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == '@' || *p == 0x7f)
			return pl_err_set(err, PL_EINVAL,
					  "'%s' is not a repository reference (no digest, no "
					  "spaces)",
					  ref);
	}
	if (strchr(slash ? slash : ref, ':'))
		return pl_err_set(err, PL_EINVAL,
				  "'%s' has a tag; the signed identity is the repository only",
				  ref);
	return 0;
}

int pl_sign_payload_make(const char *reference, const char *digest, const json_t *optional,
			 char **out, size_t *len, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	json_t *root = NULL, *crit = NULL, *opt = NULL;
	int rc;

	*out = NULL;
	if (len)
		*len = 0;
	rc = check_reference(reference, err);
	if (rc < 0)
		return rc;
	rc = pl_digest_check(digest, err);
	if (rc < 0)
		return rc;
	if (optional && !json_is_null(optional) && !json_is_object(optional))
		return pl_err_set(err, PL_EINVAL,
				  "the optional claims of a signature must be an "
				  "object");
	opt = optional && json_is_object(optional) ? json_deep_copy(optional) : json_object();
	root = json_object();
	crit = json_object();
	if (!opt || !root || !crit) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = pl_json_set_new(crit, "identity", json_pack("{s:s}", "docker-reference", reference),
			     err);
	if (rc == 0)
		rc = pl_json_set_new(crit, "image",
				     json_pack("{s:s}", "docker-manifest-digest", digest), err);
	if (rc == 0)
		rc = pl_json_set_str(crit, "type", PL_SIMPLESIGNING_TYPE, err);
	if (rc == 0)
		rc = pl_json_set_new(root, "critical", crit, err);
	crit = NULL;
	if (rc == 0)
		rc = pl_json_set_new(root, "optional", opt, err);
	opt = NULL;
	if (rc == 0)
		rc = pl_json_dump(root, &b, err);
	if (rc < 0)
		goto out;
	*out = pl_buf_detach(&b, len);
	if (!*out)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	json_decref(crit);
	json_decref(opt);
	json_decref(root);
	pl_buf_release(&b);
	return rc;
}

/* obj must be an object with no keys but those listed (NULL-terminated). */
static int only_keys(const json_t *obj, const char *what, const char *const *keys,
		     struct pl_err *err)
{
	const char *k;
	const json_t *v;

	if (!json_is_object(obj))
		return pl_err_set(err, PL_EINVAL, WHAT ": %s is not an object", what);
	json_object_foreach((json_t *)obj, k, v)
	{
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i])
			return pl_err_set(err, PL_EINVAL, WHAT ": unknown key '%s' in %s", k, what);
	}
	return 0;
}

/* A required string member, duplicated into *out. */
static int req_str(const json_t *obj, const char *key, const char *what, char **out,
		   struct pl_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (!v)
		return pl_err_set(err, PL_EINVAL, WHAT ": %s.%s is missing", what, key);
	if (!json_is_string(v))
		return pl_err_set(err, PL_EINVAL, WHAT ": %s.%s is not a string", what, key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

int pl_sign_payload_parse(const void *data, size_t len, struct pl_sign_payload *out,
			  struct pl_err *err)
{
	static const char *const top_keys[] = {"critical", "optional", NULL};
	static const char *const crit_keys[] = {"identity", "image", "type", NULL};
	static const char *const id_keys[] = {"docker-reference", NULL};
	static const char *const img_keys[] = {"docker-manifest-digest", NULL};
	json_t *root = NULL, *crit, *opt;
	char *type = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > PL_SIGN_PAYLOAD_MAX)
		return pl_err_set(err, PL_ETOOBIG, WHAT " is larger than %u bytes",
				  PL_SIGN_PAYLOAD_MAX);
	rc = pl_json_load(data, len, WHAT, &root, err);
	if (rc < 0)
		goto out;
	rc = only_keys(root, "the document", top_keys, err);
	if (rc < 0)
		goto out;
	crit = json_object_get(root, "critical");
	if (!crit) {
		rc = pl_err_set(err, PL_EINVAL, WHAT ": \"critical\" is missing");
		goto out;
	}
	rc = only_keys(crit, "critical", crit_keys, err);
	if (rc == 0)
		rc = req_str(crit, "type", "critical", &type, err);
	if (rc < 0)
		goto out;
	if (strcmp(type, PL_SIMPLESIGNING_TYPE) != 0) {
		rc = pl_err_set(err, PL_EINVAL, WHAT ": type is '%.100s', not '%s'", type,
				PL_SIMPLESIGNING_TYPE);
		goto out;
	}
	if (!json_object_get(crit, "identity") || !json_object_get(crit, "image")) {
		rc = pl_err_set(err, PL_EINVAL, WHAT ": critical.%s is missing",
				json_object_get(crit, "identity") ? "image" : "identity");
		goto out;
	}
	rc = only_keys(json_object_get(crit, "identity"), "critical.identity", id_keys, err);
	if (rc == 0)
		rc = only_keys(json_object_get(crit, "image"), "critical.image", img_keys, err);
	if (rc == 0)
		rc = req_str(json_object_get(crit, "identity"), "docker-reference",
			     "critical.identity", &out->reference, err);
	if (rc == 0)
		rc = req_str(json_object_get(crit, "image"), "docker-manifest-digest",
			     "critical.image", &out->digest, err);
	if (rc < 0)
		goto out;
	rc = pl_digest_check(out->digest, err);
	if (rc < 0) {
		pl_err_wrap(err, WHAT);
		goto out;
	}
	opt = json_object_get(root, "optional");
	if (opt && !json_is_null(opt) && !json_is_object(opt)) {
		rc = pl_err_set(err, PL_EINVAL, WHAT ": \"optional\" is not an object");
		goto out;
	}
	out->optional = json_is_object(opt) ? json_incref(opt) : json_object();
	if (!out->optional)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	free(type);
	json_decref(root);
	return rc;
}

void pl_sign_payload_release(struct pl_sign_payload *p)
{
	if (!p)
		return;
	free(p->reference);
	free(p->digest);
	json_decref(p->optional);
	memset(p, 0, sizeof(*p));
}
