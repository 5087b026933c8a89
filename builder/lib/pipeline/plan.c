/*
 * plinth plan: which images need a rebuild at the commit and why, from
 * each recipe's inputs against its last successful build in the ledger;
 * emitted as a job matrix a CI system fans out over (one plinth build
 * RECIPE per entry).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ledger.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/json.h"

static int reason(json_t *list, struct pl_err *err, const char *fmt, ...) PL_PRINTF(3, 4);

static int reason(json_t *list, struct pl_err *err, const char *fmt, ...)
{
	struct pl_buf b = PL_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pl_buf_vaddf(&b, err, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = pl_json_append_new(list, json_string(b.data), err);
	pl_buf_release(&b);
	return rc;
}

static bool same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static bool evaluated(const struct pl_ledger_build *last, const char *id)
{
	for (size_t i = 0; i < last->npatches; i++)
		if (!strcmp(last->patches[i].patch.id, id))
			return true;
	return false;
}

static bool was_applied(const struct pl_ledger_build *last, const char *id)
{
	for (size_t i = 0; i < last->npatches; i++)
		if (!strcmp(last->patches[i].patch.id, id))
			return last->patches[i].status == PL_LEDGER_APPLIED;
	return false;
}

/* Why recipe name needs a rebuild (reasons stays empty when it does not). */
static int why(struct pl_source *src, const struct pl_build_opts *o, struct pl_ledger *l,
	       struct pl_oci_layout *layout, const char *name, json_t *img, json_t *reasons,
	       struct pl_err *err)
{
	struct pl_build_inputs in;
	struct pl_ledger_history *h = NULL;
	const struct pl_ledger_build *last;
	size_t n0;
	int rc;

	rc = pl_build_inputs(src, o, name, &in, err);
	if (rc < 0)
		return rc;
	rc = pl_ledger_last_success(l, name, &h, err);
	if (rc < 0)
		goto out;
	if (h->n == 0) {
		rc = reason(reasons, err, "never built successfully");
		goto out;
	}
	last = &h->builds[0];
	rc = pl_json_set_new(img, "last", json_pack("{s:s?, s:s?, s:I}", "digest",
						    last->image_digest, "commit", last->commit,
						    "finished", (json_int_t)last->finished),
			     err);
	if (rc == 0 && !same(last->recipe_blob, in.recipe_blob))
		rc = reason(reasons, err, "the recipe changed (commit %.12s)", src->commit.id);
	if (rc == 0 && !same(last->lock_digest, in.lock_blob[0] ? in.lock_blob : NULL))
		rc = reason(reasons, err, "the lock file changed");
	if (rc == 0 && !same(last->base_digest, in.base[0] ? in.base : NULL))
		rc = reason(reasons, err, "the base image changed: %s", in.base);
	for (size_t i = 0; rc == 0 && i < in.patches.n; i++) {
		const char *id = in.patches.v[i];

		if (!evaluated(last, id))
			rc = reason(reasons, err, "new patch %s applies", id);
		else if (!was_applied(last, id))
			rc = reason(reasons, err, "patch %s now applies", id);
	}
	if (rc == 0 && in.db[0] && !same(last->vulndb_digest, in.db))
		rc = reason(reasons, err, "the vulnerability database changed (%.19s): the gate "
					  "may judge differently",
			    in.db);
	n0 = json_array_size(reasons);
	if (rc == 0 && n0 == 0 && !same(last->inputs_digest, in.digest))
		rc = reason(reasons, err, "a patch, the builder or the build options changed");
	for (size_t i = 0; rc == 0 && json_array_size(reasons) == 0 && i < last->ntags; i++) {
		struct pl_oci_desc d = { 0 };
		struct pl_err e = PL_ERR_INIT;

		if (!layout || pl_oci_layout_resolve(layout, last->tags[i], &d, &e) < 0 ||
		    !same(d.digest, last->image_digest))
			rc = reason(reasons, err, "its image is no longer in the layout");
		pl_oci_desc_release(&d);
	}
out:
	if (rc < 0)
		pl_err_wrap(err, "plan for '%s'", name);
	pl_ledger_history_free(h);
	pl_build_inputs_release(&in);
	return rc;
}

int pl_plan(const struct pl_build_opts *o, json_t **out, struct pl_err *err)
{
	struct pl_source src;
	struct pl_oci_strv names = { 0 };
	struct pl_ledger *l = NULL;
	struct pl_oci_layout *layout = NULL;
	struct pl_err e = PL_ERR_INIT;
	json_t *j = json_object(), *imgs = json_array(), *include = json_array();
	const char *lp;
	int rc;

	*out = NULL;
	rc = pl_source_open(&src, &o->src, NULL, err);
	if (rc < 0) {
		json_decref(j);
		json_decref(imgs);
		json_decref(include);
		return rc;
	}
	if (!j || !imgs || !include)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc == 0 && (o->all || o->nrecipes == 0))
		rc = pl_source_recipe_names(&src, &names, err);
	for (size_t i = 0; rc == 0 && !(o->all || o->nrecipes == 0) && i < o->nrecipes; i++)
		rc = pl_oci_strv_push(&names, o->recipes[i], err);
	lp = o->ledger_path ? o->ledger_path : src.settings->ledger.path;
	if (rc == 0)
		rc = pl_ledger_open(&l, lp, err);
	/* a missing layout only means every image is missing from it */
	if (pl_oci_layout_open(&layout, o->out_dir ? o->out_dir : src.settings->output, false,
			       &e) < 0)
		layout = NULL;
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		json_t *img = json_object(), *reasons = json_array();

		rc = img && reasons ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
		if (rc == 0)
			rc = why(&src, o, l, layout, names.v[i], img, reasons, err);
		if (rc == 0)
			rc = pl_json_set_str(img, "recipe", names.v[i], err);
		if (rc == 0)
			rc = pl_json_set_new(img, "rebuild", json_boolean(json_array_size(reasons)),
					     err);
		if (rc == 0 && json_array_size(reasons))
			rc = pl_json_append_new(include,
						json_pack("{s:s, s:O}", "recipe", names.v[i],
							  "reasons", reasons),
						err);
		if (rc == 0) {
			rc = pl_json_set_new(img, "reasons", reasons, err);
			reasons = NULL;
		}
		if (rc == 0) {
			rc = pl_json_append_new(imgs, img, err);
			img = NULL;
		}
		json_decref(img);
		json_decref(reasons);
	}
	if (rc == 0)
		rc = pl_json_set_str(j, "commit", src.commit.id, err);
	if (rc == 0)
		rc = pl_json_set_str(j, "ledger", lp, err);
	if (rc == 0) {
		rc = pl_json_set_new(j, "images", imgs, err);
		imgs = NULL;
	}
	if (rc == 0) {
		/* {"include": [...]}: GitHub Actions' strategy.matrix, GitLab's parallel:matrix */
		rc = pl_json_set_new(j, "matrix", json_pack("{s:O}", "include", include), err);
	}
	if (rc == 0) {
		*out = j;
		j = NULL;
	}
	json_decref(j);
	json_decref(imgs);
	json_decref(include);
	pl_oci_layout_free(layout);
	pl_ledger_free(l);
	pl_oci_strv_release(&names);
	pl_source_release(&src);
	return rc;
}
