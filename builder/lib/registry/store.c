/*
 * Image stores: the same few operations on an OCI layout and on a registry
 * repository, for what lives next to an image (signatures, attestations)
 * and for reading images wherever they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/registry/internal.h"
#include "util/buf.h"
#include "util/json.h"

#define COSIGN_SIGNATURE "dev.cosignproject.cosign/signature"

struct pl_store {
	struct pl_ref ref;
	char *identity;
	char *policy_name;
	struct pl_oci_layout *layout;
	struct pl_registry *reg;
};

int pl_store_open(struct pl_store **out, const char *ref, bool create,
		  const struct pl_reg_opts *o, struct pl_err *err)
{
	static const struct pl_reg_opts none;
	struct pl_store *s = calloc(1, sizeof(*s));
	struct pl_buf id = PL_BUF_INIT;
	int rc;

	*out = NULL;
	if (!s)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_ref_parse(ref, &s->ref, err);
	if (rc == 0 && s->ref.kind == PL_REF_OCI) {
		/* the name part of the layout's ref: "debian-base" of "debian-base:12" */
		const char *t = s->ref.tag ? s->ref.tag : "";
		const char *colon = strrchr(t, ':');
		rc = pl_buf_add(&id, t, colon ? (size_t)(colon - t) : strlen(t), err);
		if (rc == 0)
			rc = pl_buf_addch(&id, 0, err);
		if (rc == 0)
			rc = pl_oci_layout_open(&s->layout, s->ref.path, create, err);
	} else if (rc == 0 && s->ref.kind == PL_REF_REGISTRY) {
		rc = pl_buf_addf(&id, err, "%s/%s", s->ref.domain, s->ref.path);
		if (rc == 0)
			rc = pl_registry_new(&s->reg, s->ref.domain, o ? o : &none, err);
	} else if (rc == 0) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is not an image in a layout or a registry", ref);
	}
	if (rc < 0) {
		pl_buf_release(&id);
		pl_store_free(s);
		return rc;
	}
	s->identity = pl_buf_detach(&id, NULL);
	if (s->ref.kind == PL_REF_OCI ? asprintf(&s->policy_name, "oci:%s", s->ref.path) < 0
				      : !(s->policy_name = strdup(s->identity))) {
		s->policy_name = NULL;
		pl_store_free(s);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

void pl_store_free(struct pl_store *s)
{
	if (!s)
		return;
	pl_ref_release(&s->ref);
	pl_oci_layout_free(s->layout);
	pl_registry_free(s->reg);
	free(s->identity);
	free(s->policy_name);
	free(s);
}

const struct pl_ref *pl_store_ref(const struct pl_store *s)
{
	return &s->ref;
}

struct pl_oci_layout *reg_store_layout(struct pl_store *s)
{
	return s->layout;
}

struct pl_registry *reg_store_registry(struct pl_store *s)
{
	return s->reg;
}

const char *pl_store_identity(const struct pl_store *s)
{
	return s->identity ? s->identity : "";
}

const char *pl_store_policy_name(const struct pl_store *s)
{
	return s->policy_name ? s->policy_name : "";
}

int pl_store_get_manifest(struct pl_store *s, const char *reference, struct pl_reg_manifest *out,
			  struct pl_err *err)
{
	struct pl_oci_desc d = { 0 };
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->reg)
		return pl_registry_get_manifest(s->reg, s->ref.path,
						reference ? reference : pl_ref_reference(&s->ref),
						out, err);
	if (!reference)
		reference = s->ref.tag;
	if (reference && !strncmp(reference, "sha256:", 7)) {
		/* a digest names a blob: index.json need not list it */
		rc = pl_oci_layout_read_blob(s->layout, reference, PL_OCI_JSON_MAX, &data, &len, err);
		if (rc == 0) {
			json_t *j = NULL;
			const char *mt;

			rc = pl_json_load(data, len, reference, &j, err);
			mt = rc == 0 ? pl_oci_sniff_media_type(j) : NULL;
			snprintf(out->media_type, sizeof(out->media_type), "%s", mt ? mt : "");
			json_decref(j);
			memcpy(out->digest, reference, PL_DIGEST_SIZE);
		}
	} else {
		rc = pl_oci_layout_resolve(s->layout, reference, &d, err);
		if (rc == 0)
			rc = pl_oci_layout_read_blob(s->layout, d.digest, PL_OCI_JSON_MAX, &data, &len,
						     err);
		if (rc == 0) {
			snprintf(out->media_type, sizeof(out->media_type), "%s",
				 d.media_type ? d.media_type : "");
			memcpy(out->digest, d.digest, PL_DIGEST_SIZE);
		}
	}
	if (rc == 0) {
		pl_buf_init(&out->body, PL_OCI_JSON_MAX);
		out->body.data = data;
		out->body.len = len;
		out->body.cap = len + 1;
		data = NULL;
	}
	free(data);
	pl_oci_desc_release(&d);
	return rc;
}

int pl_store_get_blob(struct pl_store *s, const char *digest, size_t max, char **data,
		      size_t *len, struct pl_err *err)
{
	if (s->layout)
		return pl_oci_layout_read_blob(s->layout, digest, max, data, len, err);
	return pl_registry_get_blob(s->reg, s->ref.path, digest, max, data, len, err);
}

int pl_store_put_blob(struct pl_store *s, const void *data, size_t len,
		      char digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	if (s->reg)
		return pl_registry_push_blob_mem(s->reg, s->ref.path, data, len, digest, err);
	{
		struct pl_oci_desc d = { 0 };
		int rc = pl_oci_layout_put_blob(s->layout, data, len, NULL, NULL, &d, err);

		if (rc == 0)
			memcpy(digest, d.digest, PL_DIGEST_SIZE);
		pl_oci_desc_release(&d);
		return rc;
	}
}

int pl_store_put_manifest(struct pl_store *s, const char *tag, const void *data, size_t len,
			  const char *media_type, struct pl_err *err)
{
	struct pl_oci_desc d = { 0 };
	int rc;

	if (s->reg) {
		char digest[PL_DIGEST_SIZE];

		rc = pl_sha256_buf(data, len, digest, err);
		if (rc == 0)
			rc = pl_registry_put_manifest(s->reg, s->ref.path, tag ? tag : digest, data,
						      len, media_type, err);
		return rc;
	}
	rc = pl_oci_layout_put_blob(s->layout, data, len, NULL, media_type, &d, err);
	if (rc == 0 && tag)
		rc = pl_oci_layout_tag(s->layout, tag, &d, err);
	pl_oci_desc_release(&d);
	return rc;
}

/* The config cosign writes for a signature image: its layers as diff_ids. */
static int sig_config(const struct pl_oci_manifest *m, struct pl_buf *out, struct pl_err *err)
{
	json_t *j = json_pack("{s:s, s:{}, s:s, s:[{s:s}], s:s, s:{s:s, s:[]}}", "architecture",
			      "", "config", "created", "0001-01-01T00:00:00Z", "history", "created",
			      "0001-01-01T00:00:00Z", "os", "", "rootfs", "type", "layers",
			      "diff_ids");
	json_t *ids = j ? json_object_get(json_object_get(j, "rootfs"), "diff_ids") : NULL;
	int rc = ids ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");

	for (size_t i = 0; rc == 0 && i < m->n_layers; i++)
		rc = pl_json_append_new(ids, json_string(m->layers[i].digest), err);
	if (rc == 0)
		rc = pl_json_dump(j, out, err);
	json_decref(j);
	return rc;
}

/*
 * Add a layer (data of media type mt, with one annotation) to the manifest
 * tagged tag in s, creating it when absent. A layer already there with the
 * same digest and annotation is not added twice.
 */
int pl_store_append_layer(struct pl_store *s, const char *tag, const void *data, size_t len,
		    const char *mt, const char *ann_key, const char *ann_value, struct pl_err *err)
{
	struct pl_reg_manifest old = { 0 };
	struct pl_oci_manifest m = { 0 };
	struct pl_oci_desc *v;
	struct pl_buf cfg = PL_BUF_INIT, body = PL_BUF_INIT;
	char digest[PL_DIGEST_SIZE], cdigest[PL_DIGEST_SIZE];
	json_t *j = NULL;
	int rc;

	rc = pl_store_get_manifest(s, tag, &old, err);
	if (rc == 0) {
		rc = pl_oci_manifest_parse(old.body.data, old.body.len, tag, &m, err);
	} else if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		rc = 0;
		m.schema_version = 2;
	}
	if (rc == 0)
		rc = pl_store_put_blob(s, data, len, digest, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++) {
		const char *a = pl_oci_map_get(&m.layers[i].annotations, ann_key);
		if (!strcmp(m.layers[i].digest, digest) && a && !strcmp(a, ann_value))
			goto out; /* already there */
	}
	v = realloc(m.layers, (m.n_layers + 1) * sizeof(*v));
	if (!v) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	m.layers = v;
	memset(&v[m.n_layers], 0, sizeof(*v));
	m.n_layers++;
	memcpy(v[m.n_layers - 1].digest, digest, PL_DIGEST_SIZE);
	v[m.n_layers - 1].size = len;
	v[m.n_layers - 1].media_type = strdup(mt);
	if (!v[m.n_layers - 1].media_type) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = pl_oci_map_set(&v[m.n_layers - 1].annotations, ann_key, ann_value, err);
	/* cosign reads every layer as a signature: attestations carry an empty one */
	if (rc == 0 && strcmp(ann_key, COSIGN_SIGNATURE))
		rc = pl_oci_map_set(&v[m.n_layers - 1].annotations, COSIGN_SIGNATURE, "", err);
	/* an OCI manifest: skopeo reads signatures only from OCI ones */
	free(m.media_type);
	m.media_type = strdup(PL_MT_OCI_MANIFEST);
	if (rc == 0)
		rc = sig_config(&m, &cfg, err);
	if (rc == 0)
		rc = pl_store_put_blob(s, cfg.data, cfg.len, cdigest, err);
	if (rc == 0) {
		free(m.config.media_type);
		m.config.media_type = strdup(PL_MT_OCI_CONFIG);
		memcpy(m.config.digest, cdigest, PL_DIGEST_SIZE);
		m.config.size = cfg.len;
		rc = pl_oci_manifest_to_json(&m, &j, err);
	}
	if (rc == 0)
		rc = pl_json_dump(j, &body, err);
	if (rc == 0)
		rc = pl_store_put_manifest(s, tag, body.data, body.len, PL_MT_OCI_MANIFEST, err);
out:
	json_decref(j);
	pl_buf_release(&cfg);
	pl_buf_release(&body);
	pl_oci_manifest_release(&m);
	pl_reg_manifest_release(&old);
	return rc;
}

