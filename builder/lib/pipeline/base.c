/*
 * base: a recipe's `base:` image. Its layers are reused byte for byte (the
 * blobs are copied into the output layout untouched) and applied, with OCI
 * whiteout semantics, to the merged tree the recipe builds on, so later
 * stages see its files, accounts and dpkg database.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/layer.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/log.h"

void pl_base_release(struct pl_base *b)
{
	free(b->ref);
	pl_oci_manifest_release(&b->manifest);
	pl_oci_config_release(&b->config);
	memset(b, 0, sizeof(*b));
}

/*
 * A Plinth-patched base: its top layer is the patch layer, which the new
 * patch layer replaces rather than stacks on. Drop it, its diff_id and its
 * history entry.
 */
static void drop_patch_layer(struct pl_base *b)
{
	struct pl_oci_config *c = &b->config;

	pl_oci_desc_release(&b->manifest.layers[--b->manifest.n_layers]);
	free(c->diff_ids.v[--c->diff_ids.n]);
	c->diff_ids.v[c->diff_ids.n] = NULL;
	for (size_t i = c->n_history; i-- > 0;) {
		if (!c->history[i].empty_layer) {
			if (c->history[i].created_by &&
			    !strncmp(c->history[i].created_by, "plinth: patches", 15)) {
				pl_oci_history_release(&c->history[i]);
				memmove(&c->history[i], &c->history[i + 1],
					(c->n_history - i - 1) * sizeof(*c->history));
				c->n_history--;
			}
			break;
		}
	}
	b->repatched = true;
}

static bool platform_matches(const struct pl_oci_platform *p, const char *arch,
			     const char *variant)
{
	if (!p || !p->architecture || strcmp(p->architecture, arch) != 0)
		return false;
	if (p->os && strcmp(p->os, "linux") != 0)
		return false;
	if (variant && p->variant && strcmp(variant, p->variant) != 0)
		return false;
	return true;
}

/* The manifest of d for arch: d itself, or the matching entry of an index. */
static int pick_manifest(struct pl_oci_layout *l, const struct pl_oci_desc *d, const char *arch,
			 const char *variant, const char *ref, struct pl_oci_desc *out,
			 struct pl_err *err)
{
	struct pl_oci_index ix;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!d->media_type || !pl_oci_is_index_type(d->media_type))
		return pl_oci_desc_copy(out, d, err);
	memset(&ix, 0, sizeof(ix));
	rc = pl_oci_layout_read_blob(l, d->digest, PL_OCI_JSON_MAX, &data, &len, err);
	if (rc == 0)
		rc = pl_oci_index_parse(data, len, d->digest, &ix, err);
	if (rc == 0) {
		rc = pl_err_set(err, PL_ENOTFOUND, "base '%s' has no linux/%s%s%s image", ref, arch,
				variant ? "/" : "", variant ? variant : "");
		for (size_t i = 0; i < ix.n_manifests; i++) {
			if (platform_matches(ix.manifests[i].platform, arch, variant)) {
				pl_err_init(err);
				rc = pl_oci_desc_copy(out, &ix.manifests[i], err);
				break;
			}
		}
	}
	free(data);
	pl_oci_index_release(&ix);
	return rc;
}

static int apply_layer(const struct pl_assemble_ctx *c, struct pl_cas *dst,
		       const struct pl_oci_desc *layer, size_t i, const char *ref,
		       struct pl_fstree *merged, struct pl_err *err)
{
	struct pl_layer_read_opts ro = { 0 };
	struct pl_buf what = PL_BUF_INIT;
	int fd = -1, rc;

	rc = pl_cas_open_read(dst, layer->digest, &fd, err);
	if (rc == 0)
		rc = pl_buf_addf(&what, err, "base '%s' layer %zu (%s)", ref, i, layer->digest);
	if (rc == 0) {
		ro.what = what.data;
		ro.whiteouts = true;
		ro.allow_devices = true;
		ro.uid = ro.gid = -1;
		rc = pl_layer_read(merged, c->content, fd, &ro, err);
	}
	if (fd >= 0)
		close(fd);
	pl_buf_release(&what);
	return rc;
}

static const struct pl_source_opts none_so;

int pl_base_import(const struct pl_assemble_ctx *c, const char *ref, const char *arch,
		   const char *variant, struct pl_cas *dst, bool drop_patch,
		   struct pl_fstree *merged, struct pl_base *out, struct pl_err *err)
{
	struct pl_ref r;
	struct pl_oci_layout *l = NULL;
	struct pl_oci_desc top, man;
	char *local = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	memset(&top, 0, sizeof(top));
	memset(&man, 0, sizeof(man));
	/* the trust policy first: a base it refuses is not even pulled */
	rc = c->src && c->src->settings ? pl_trust_check_base(c->src, c->so ? c->so : &none_so,
							       ref, err)
					: 0;
	if (rc == 0)
		rc = pl_ref_parse(ref, &r, err);
	if (rc == 0 && r.kind == PL_REF_REGISTRY) {
		/* a registry base is pulled into the cache's layout first */
		pl_ref_release(&r);
		rc = pl_image_local(c->so ? c->so : &none_so, ref, &local, NULL, err);
		if (rc == 0)
			rc = pl_ref_parse(local, &r, err);
	}
	if (rc < 0)
		goto out;
	if (r.kind != PL_REF_OCI) {
		rc = pl_err_set(err, PL_EINVAL,
				"base '%s': not an image (oci:PATH:REF or a registry reference)", ref);
		goto out;
	}
	out->ref = strdup(ref);
	if (!out->ref) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = pl_oci_layout_open(&l, r.path, false, err);
	if (rc == 0)
		rc = pl_oci_layout_resolve(l, r.tag, &top, err);
	if (rc == 0)
		rc = pick_manifest(l, &top, arch, variant, ref, &man, err);
	if (rc == 0)
		rc = pl_oci_layout_read_manifest(l, &man, &out->manifest, err);
	if (rc == 0)
		rc = pl_oci_layout_read_config(l, &out->manifest.config, &out->config, err);
	if (rc < 0)
		goto out;
	memcpy(out->digest, man.digest, sizeof(out->digest));
	if (!out->config.architecture || strcmp(out->config.architecture, arch) != 0) {
		rc = pl_err_set(err, PL_EINVAL, "base '%s' is a %s image, the recipe builds %s", ref,
				out->config.architecture ? out->config.architecture : "(unknown)",
				arch);
		goto out;
	}
	if (drop_patch && pl_oci_map_get(&out->manifest.annotations, "dev.plinth.patches") &&
	    out->manifest.n_layers > 0 && out->config.diff_ids.n == out->manifest.n_layers)
		drop_patch_layer(out);
	if (out->config.diff_ids.n != out->manifest.n_layers) {
		rc = pl_err_set(err, PL_EINVAL, "base '%s': config has %zu diff_ids for %zu layers",
				ref, out->config.diff_ids.n, out->manifest.n_layers);
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < out->manifest.n_layers; i++) {
		const struct pl_oci_desc *ld = &out->manifest.layers[i];

		/* without dst the image is only read (scanning), not reused */
		if (dst)
			rc = pl_cas_copy(pl_oci_layout_cas(l), dst, ld->digest, err);
		if (rc == 0)
			rc = apply_layer(c, dst ? dst : pl_oci_layout_cas(l), ld, i, ref, merged,
					 err);
	}
	pl_log_info("base %s: %zu layers, %zu entries", ref, out->manifest.n_layers,
		    pl_fstree_count(merged));
out:
	if (rc < 0)
		pl_base_release(out);
	pl_oci_desc_release(&top);
	pl_oci_desc_release(&man);
	pl_oci_layout_free(l);
	pl_ref_release(&r);
	free(local);
	return rc;
}
