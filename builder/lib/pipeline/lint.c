/* plinth lint: every recipe, patch and plinth.yaml at a commit. */
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "util/buf.h"

/* Patch files: parse and lint each, collecting their ids for the recipes. */
static int lint_patches(struct pl_source *s, struct pl_oci_strv *ids, struct pl_lint *out,
			struct pl_err *err)
{
	struct pl_gitsrc_entry *e = NULL;
	size_t n = 0;
	int rc, problems = 0;

	rc = pl_gitsrc_list(s->git, s->commit.id, PL_PATCHES_DIR, &e, &n, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct pl_buf path = PL_BUF_INIT;
		struct pl_patchdef *p = NULL;
		struct pl_err perr = PL_ERR_INIT;
		size_t l = strlen(e[i].name), len = 0;
		char *data = NULL;

		if (e[i].type != PL_GITSRC_BLOB || l <= 5 || strcmp(e[i].name + l - 5, ".yaml"))
			continue;
		rc = pl_buf_addf(&path, err, "%s/%s", PL_PATCHES_DIR, e[i].name);
		if (rc == 0)
			rc = pl_source_read(s, path.data, PL_RECIPE_MAX_BYTES, &data, &len, err);
		if (rc == 0) {
			if (pl_patchdef_parse(data, len, path.data, &p, &perr) < 0) {
				rc = pl_lint_add(out, perr.msg, err);
				problems++;
			} else {
				int k = pl_patchdef_lint(p, path.data, out, err);

				if (k < 0)
					rc = k;
				else
					problems += k;
				if (rc == 0)
					rc = pl_oci_strv_push(ids, p->id, err);
			}
		}
		pl_patchdef_free(p);
		free(data);
		pl_buf_release(&path);
		if (rc < 0)
			break;
	}
	pl_gitsrc_entries_free(e, n);
	return rc < 0 ? rc : problems;
}

int pl_lint_repo(const struct pl_source_opts *src, const char *const *recipes, size_t nrecipes,
		 struct pl_lint *out, struct pl_err *err)
{
	struct pl_oci_strv names = { 0 }, ids = { 0 };
	struct pl_source s;
	int rc, problems = 0;

	size_t before = out->n;

	/* a broken plinth.yaml is a lint finding, not a failure to lint */
	rc = pl_source_open(&s, src, out, err);
	if (rc < 0)
		return rc;
	problems += (int)(out->n - before);
	rc = pl_settings_lint(s.settings, out, err);
	if (rc < 0)
		goto out;
	problems += rc;
	rc = lint_patches(&s, &ids, out, err);
	if (rc < 0)
		goto out;
	problems += rc;
	if (nrecipes == 0) {
		rc = pl_source_recipe_names(&s, &names, err);
		if (rc < 0)
			goto out;
	} else {
		for (size_t i = 0; rc == 0 && i < nrecipes; i++)
			rc = pl_oci_strv_push(&names, recipes[i], err);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < names.n; i++) {
		struct pl_recipe_lint_opts lo = { 0 };
		struct pl_buf path = PL_BUF_INIT;
		char *data = NULL;
		size_t len = 0;

		rc = pl_buf_addf(&path, err, "%s/%s.yaml", PL_RECIPES_DIR, names.v[i]);
		if (rc == 0)
			rc = pl_source_read(&s, path.data, PL_RECIPE_MAX_BYTES, &data, &len, err);
		if (rc == 0) {
			lo.file_name = path.data;
			lo.settings = s.settings;
			lo.patch_ids = (const char *const *)ids.v;
			lo.npatch_ids = ids.n;
			rc = pl_recipe_lint_data(data, len, path.data, &lo, out, err);
			if (rc >= 0) {
				problems += rc;
				rc = 0;
			}
		}
		free(data);
		pl_buf_release(&path);
		if (rc < 0)
			goto out;
	}
	rc = problems;
out:
	pl_oci_strv_release(&names);
	pl_oci_strv_release(&ids);
	pl_source_release(&s);
	return rc;
}
