/* plinth inspect: an image in an OCI layout as one JSON document. */
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "util/json.h"

static int blob_json(struct pl_oci_layout *l, const struct pl_oci_desc *d, json_t **out,
		     struct pl_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc = pl_oci_layout_read_blob(l, d->digest, PL_OCI_JSON_MAX, &data, &len, err);

	if (rc == 0)
		rc = pl_json_load(data, len, d->digest, out, err);
	free(data);
	return rc;
}

/* {"digest", "mediaType", "manifest", "config"} for one image manifest. */
static int manifest_json(struct pl_oci_layout *l, const struct pl_oci_desc *d, json_t **out,
			 struct pl_err *err)
{
	struct pl_oci_manifest m;
	json_t *o = json_object(), *mj = NULL, *cj = NULL, *pj = NULL;
	int rc;

	memset(&m, 0, sizeof(m));
	*out = NULL;
	if (!o)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_oci_layout_read_manifest(l, d, &m, err);
	if (rc == 0)
		rc = blob_json(l, d, &mj, err);
	if (rc == 0)
		rc = pl_json_set_new(o, "manifest", mj, err);
	if (rc == 0)
		rc = blob_json(l, &m.config, &cj, err);
	if (rc == 0)
		rc = pl_json_set_new(o, "config", cj, err);
	if (rc == 0)
		rc = pl_json_set_str(o, "digest", d->digest, err);
	if (rc == 0)
		rc = pl_json_set_str(o, "mediaType", d->media_type ? d->media_type
								   : PL_MT_OCI_MANIFEST, err);
	if (rc == 0 && d->platform) {
		rc = pl_oci_desc_to_json(d, &pj, err);
		if (rc == 0)
			rc = pl_json_set_new(o, "platform",
					     json_incref(json_object_get(pj, "platform")), err);
		json_decref(pj);
	}
	pl_oci_manifest_release(&m);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int pl_inspect(const struct pl_source_opts *so, const char *name, json_t **out,
	       struct pl_err *err)
{
	char *refstr = NULL;
	struct pl_ref ref;
	struct pl_oci_layout *l = NULL;
	struct pl_oci_desc d;
	struct pl_oci_index ix;
	json_t *o = NULL, *arr = NULL, *ij = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(&ref, 0, sizeof(ref));
	memset(&d, 0, sizeof(d));
	memset(&ix, 0, sizeof(ix));
	*out = NULL;
	rc = pl_image_local(so, name, &refstr, NULL, err);
	if (rc == 0)
		rc = pl_ref_parse(refstr, &ref, err);
	if (rc < 0)
		goto out;
	if (ref.kind != PL_REF_OCI) {
		rc = pl_err_set(err, PL_EINVAL, "'%s': not an image reference", name);
		goto out;
	}
	rc = pl_oci_layout_open(&l, ref.path, false, err);
	if (rc == 0)
		rc = pl_oci_layout_resolve(l, ref.tag, &d, err);
	if (rc < 0)
		goto out;
	if (d.media_type && pl_oci_is_index_type(d.media_type)) {
		rc = pl_oci_layout_read_blob(l, d.digest, PL_OCI_JSON_MAX, &data, &len, err);
		if (rc == 0)
			rc = pl_oci_index_parse(data, len, d.digest, &ix, err);
		if (rc == 0)
			rc = pl_json_load(data, len, d.digest, &ij, err);
		o = json_object();
		arr = json_array();
		if (rc == 0 && (!o || !arr))
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		if (rc == 0)
			rc = pl_json_set_str(o, "digest", d.digest, err);
		if (rc == 0)
			rc = pl_json_set_str(o, "mediaType", d.media_type, err);
		if (rc == 0) {
			rc = pl_json_set_new(o, "index", ij, err);
			ij = NULL;
		}
		for (size_t i = 0; rc == 0 && i < ix.n_manifests; i++) {
			json_t *mj = NULL;

			if (!pl_oci_is_manifest_type(ix.manifests[i].media_type))
				continue;
			rc = manifest_json(l, &ix.manifests[i], &mj, err);
			if (rc == 0)
				rc = pl_json_append_new(arr, mj, err);
		}
		if (rc == 0) {
			rc = pl_json_set_new(o, "manifests", arr, err);
			arr = NULL;
		}
	} else {
		rc = manifest_json(l, &d, &o, err);
	}
out:
	if (rc < 0) {
		pl_err_wrap(err, "inspect '%s'", name);
		json_decref(o);
		o = NULL;
	}
	*out = o;
	json_decref(arr);
	json_decref(ij);
	free(data);
	pl_oci_index_release(&ix);
	pl_oci_desc_release(&d);
	pl_oci_layout_free(l);
	free(refstr);
	pl_ref_release(&ref);
	return rc;
}
