/*
 * The JSON record of applied patches.
 */
#include "lib/patch.h"
#include "util/json.h"

static int action_json(const struct pl_patch_action_result *r, json_t **out, struct pl_err *err)
{
	json_t *o = json_object(), *pkgs = NULL;
	int rc;

	*out = NULL;
	if (!o)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_json_set_str(o, "kind", pl_patch_action_name(r->kind), err);
	if (rc == 0)
		rc = pl_json_set_str(o, "target", r->target ? r->target : "", err);
	if (rc == 0)
		rc = pl_json_set_str(o, "result", r->result ? r->result : "", err);
	if (rc == 0 && r->kind == PL_PATCH_UPGRADE) {
		pkgs = json_array();
		rc = pl_json_set_new(o, "packages", pkgs, err);
		for (size_t i = 0; rc == 0 && i < r->npkgs; i++) {
			json_t *k = json_pack("{s:s, s:s, s:s}", "name", r->pkgs[i].name, "before",
					      r->pkgs[i].before, "after", r->pkgs[i].after);

			rc = pl_json_append_new(pkgs, k, err);
		}
	}
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int pl_patch_record_json(const struct pl_patch_applied *v, size_t n, json_t **out,
			 struct pl_err *err)
{
	json_t *arr = json_array();
	int rc = 0;

	*out = NULL;
	if (!arr)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct pl_patchdef *p = v[i].p;
		json_t *o = json_object(), *cves = json_array(), *acts = json_array();

		rc = pl_json_append_new(arr, o, err);
		if (rc == 0)
			rc = pl_json_set_new(o, "cves", cves, err);
		else
			json_decref(cves);
		if (rc == 0)
			rc = pl_json_set_new(o, "actions", acts, err);
		else
			json_decref(acts);
		if (rc == 0)
			rc = pl_json_set_str(o, "id", p->id, err);
		if (rc == 0)
			rc = pl_json_set_str(o, "title", p->title, err);
		if (rc == 0)
			rc = pl_json_set_str(o, "severity", pl_recipe_sev_name(p->severity), err);
		if (rc == 0)
			rc = pl_json_set_new(o, "advisory",
					     p->advisory ? json_string(p->advisory) : json_null(),
					     err);
		if (rc == 0)
			rc = pl_json_set_str(o, "why", v[i].why ? v[i].why : "", err);
		for (size_t k = 0; rc == 0 && k < p->cves.n; k++)
			rc = pl_json_append_new(cves, json_string(p->cves.v[k]), err);
		for (size_t k = 0; rc == 0 && k < v[i].nactions; k++) {
			json_t *a = NULL;

			rc = action_json(&v[i].actions[k], &a, err);
			if (rc == 0)
				rc = pl_json_append_new(acts, a, err);
		}
	}
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int pl_patch_record_dump(const struct pl_patch_applied *v, size_t n, struct pl_buf *out,
			 struct pl_err *err)
{
	json_t *j = NULL;
	int rc = pl_patch_record_json(v, n, &j, err);

	if (rc == 0)
		rc = pl_json_dump(j, out, err);
	json_decref(j);
	return rc;
}
