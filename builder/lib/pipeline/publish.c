/*
 * Publishing built images: to a registry (every tag, the manifest last),
 * signed and attested where they are published before any tag names them.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "lib/sign.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#define PT_SPDX "https://spdx.dev/Document"
#define PT_CDX "https://cyclonedx.org/bom"
#define PT_VULN "https://cosign.sigstore.dev/attestation/vuln/v1"
#define PT_SLSA "https://slsa.dev/provenance/v1"
#define PT_PATCHES "https://plinth.dev/patch-record/v1"

static json_t *load(const char *text)
{
	json_t *j = NULL;

	if (text && pl_json_load(text, strlen(text), "build result", &j, NULL) < 0)
		j = NULL;
	return j;
}

static void rfc3339(int64_t t, char out[32])
{
	pl_oci_time(t, out);
}

/* SLSA provenance v1: what was built, from what, by what, when. */
static json_t *provenance(const struct pl_build_result *res, const struct pl_built_image *img)
{
	char start[32], end[32];
	json_t *deps = json_array(), *patches = json_array();

	rfc3339(img->started, start);
	rfc3339(img->finished ? img->finished : img->started, end);
	json_array_append_new(deps, json_pack("{s:s, s:{s:s}}", "uri", res->repo_url, "digest",
					      "gitCommit", res->commit));
	for (const char *p = img->patch_ids; p && *p;) {
		const char *c = strchr(p, ',');
		size_t k = c ? (size_t)(c - p) : strlen(p);
		json_array_append_new(patches, json_stringn(p, k));
		p = c ? c + 1 : p + k;
	}
	return json_pack(
		"{s:{s:s, s:{s:s, s:s, s:s}, s:{s:o, s:s, s:s}, s:o}, s:{s:{s:s}, s:{s:s, s:s, s:s}}}",
		"buildDefinition", "buildType", "https://plinth.dev/build/v1", "externalParameters",
		"repository", res->repo_url, "commit", res->commit, "recipe",
		img->recipe_file ? img->recipe_file : "", "internalParameters", "patches", patches,
		"inputs", img->inputs, "vulnerabilityDatabase", img->db_digest,
		"resolvedDependencies", deps, "runDetails", "builder", "id",
		"https://plinth.dev/plinth@" PL_VERSION, "metadata", "invocationId", img->inputs,
		"startedOn", start, "finishedOn", end);
}

/* cosign's vuln predicate around the scan report. */
static json_t *vuln(const struct pl_built_image *img, json_t *report)
{
	char start[32], end[32];

	rfc3339(img->started, start);
	rfc3339(img->finished ? img->finished : img->started, end);
	return json_pack("{s:{s:n, s:s, s:s, s:s}, s:{s:s, s:s, s:{s:s, s:s}, s:o}, "
			 "s:{s:s, s:s}}",
			 "invocation", "parameters", "uri", "", "event_id", "", "builder.id",
			 "plinth", "scanner", "uri", "https://plinth.dev/scan", "version",
			 PL_VERSION, "db", "uri", "plinth vulndb", "version", img->db_digest,
			 "result", report, "metadata", "scanStartedOn", start, "scanFinishedOn",
			 end);
}

static int attest(struct pl_store *s, const struct pl_sign_key *key, struct pl_built_image *img,
		  const char *digest, const char *type, json_t *pred, struct pl_err *err)
{
	char env[PL_DIGEST_SIZE];
	struct pl_buf rec = PL_BUF_INIT;
	int rc;

	if (!pred)
		return 0; /* nothing of that kind for this image (no packages, not scanned) */
	rc = pl_attest_digest(s, key, digest, type, pred, env, err);
	if (rc == 0)
		rc = pl_buf_addf(&rec, err, "%s %s", type, env);
	if (rc == 0)
		rc = pl_oci_strv_push(&img->attestations, rec.data, err);
	pl_buf_release(&rec);
	json_decref(pred);
	return rc;
}

/* Sign every manifest of the image ref names in its store, and attach the attestations. */
static int sign_in(const struct pl_source_opts *so, const char *ref, const struct pl_sign_key *key,
		   const struct pl_build_result *res, struct pl_built_image *img,
		   struct pl_err *err)
{
	static const struct pl_reg_opts none;
	struct pl_store *s = NULL;
	struct pl_oci_strv ds = { 0 };
	json_t *report = NULL;
	int rc;

	pl_oci_strv_release(&img->attestations);
	rc = pl_store_open(&s, ref, false, so->reg ? so->reg : &none, err);
	if (rc == 0)
		rc = pl_image_digests(s, NULL, &ds, err);
	if (rc == 0)
		rc = pl_sign_digests(s, key, &ds, NULL, err);
	if (rc == 0)
		rc = attest(s, key, img, ds.v[0], PT_SPDX, load(img->sbom_json), err);
	if (rc == 0)
		rc = attest(s, key, img, ds.v[0], PT_CDX, load(img->cdx_json), err);
	if (rc == 0 && (report = load(img->report_json)))
		rc = attest(s, key, img, ds.v[0], PT_VULN, vuln(img, report), err);
	if (rc == 0)
		rc = attest(s, key, img, ds.v[0], PT_SLSA, provenance(res, img), err);
	if (rc == 0)
		rc = attest(s, key, img, ds.v[0], PT_PATCHES, load(img->patch_record), err);
	if (rc == 0)
		pl_sign_key_id(key, img->key_id);
	if (rc < 0)
		pl_err_wrap(err, "sign '%s'", ref);
	pl_oci_strv_release(&ds);
	pl_store_free(s);
	return rc;
}

int pl_publish(const struct pl_source_opts *so, const char *out_dir, const char *push_to,
	       const struct pl_sign_key *key, const struct pl_build_result *res,
	       struct pl_built_image *img, struct pl_err *err)
{
	/* the layout's own signatures (naming the layout) must not replace the registry's */
	struct pl_copy_opts co = { .progress = true, .all_platforms = true, .no_signatures = true };
	size_t n = push_to ? strlen(push_to) : 0;
	int rc = 0;

	if (so->reg)
		co.reg = *so->reg;
	co.cache_dir = so->cache_dir;
	while (n > 0 && push_to[n - 1] == '/')
		n--;
	if (!push_to) {
		struct pl_buf ref = PL_BUF_INIT;

		/* no registry: the signatures live in the layout, next to the image */
		rc = img->refs.n ? pl_buf_addf(&ref, err, "oci:%s:%s", out_dir, img->refs.v[0]) : 0;
		if (rc == 0 && key && img->refs.n)
			rc = sign_in(so, ref.data, key, res, img, err);
		pl_buf_release(&ref);
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < img->refs.n; i++) {
		struct pl_buf src = PL_BUF_INIT, dst = PL_BUF_INIT, bydigest = PL_BUF_INIT;
		const char *name = img->refs.v[i], *colon = strrchr(name, ':');
		struct pl_copy_result r;

		rc = pl_buf_addf(&src, err, "oci:%s:%s", out_dir, name);
		if (rc == 0)
			rc = pl_buf_addf(&dst, err, "%.*s/%s", (int)n, push_to, name);
		if (rc == 0 && key && i == 0) {
			/* by digest first: signed and attested before a tag points at it */
			rc = pl_buf_addf(&bydigest, err, "%.*s/%.*s@%s", (int)n, push_to,
					 (int)(colon ? colon - name : (ptrdiff_t)strlen(name)), name,
					 img->desc.digest);
			if (rc == 0)
				rc = pl_copy(src.data, bydigest.data, &co, &r, err);
			if (rc == 0) {
				img->bytes_sent += r.stats.bytes_sent;
				pl_copy_result_release(&r);
				rc = sign_in(so, bydigest.data, key, res, img, err);
			}
		}
		if (rc == 0)
			rc = pl_copy(src.data, dst.data, &co, &r, err);
		if (rc == 0) {
			img->bytes_sent += r.stats.bytes_sent;
			pl_log_info("published %s (%s)", dst.data, r.digest);
			rc = pl_oci_strv_push(&img->published, dst.data, err);
			pl_copy_result_release(&r);
		}
		pl_buf_release(&src);
		pl_buf_release(&dst);
		pl_buf_release(&bydigest);
	}
	if (rc < 0)
		pl_err_wrap(err, "publish '%s'", img->name);
	return rc;
}
