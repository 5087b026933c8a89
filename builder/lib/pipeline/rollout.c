/*
 * The rollout as the release manager asks for it: the ledger's records,
 * plus what the curation repo says now -- patches no build has seen yet,
 * and for cells no build evaluated, whether the patch applies at all.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/ledger.h"
#include "lib/pipeline/internal.h"
#include "util/log.h"

struct oracle {
	struct pl_source *src;
	const struct pl_build_opts *bo;
	struct pl_oci_strv recipes; /* at the commit */
	struct pl_oci_strv *ids;    /* per recipe, filled when first asked; v NULL = not yet */
	bool *failed;
};

static int applies(void *ctx, const char *patch_id, const char *image)
{
	struct oracle *o = ctx;

	for (size_t i = 0; i < o->recipes.n; i++) {
		struct pl_err e = PL_ERR_INIT;

		if (strcmp(o->recipes.v[i], image) != 0)
			continue;
		if (!o->ids[i].v && !o->failed[i] &&
		    pl_build_may_apply(o->src, o->bo, image, &o->ids[i], &e) < 0) {
			pl_log_warn("rollout: %s", e.msg);
			o->failed[i] = true;
		}
		if (o->failed[i])
			return -1;
		for (size_t k = 0; k < o->ids[i].n; k++)
			if (!strcmp(o->ids[i].v[k], patch_id))
				return 1;
		return 0;
	}
	return -1; /* the repo has no such recipe any more */
}

int pl_ledger_locate(const struct pl_source_opts *so, const char *flag, char **path,
		     struct pl_err *err)
{
	struct pl_source src;
	struct pl_err e = PL_ERR_INIT;
	struct stat st;

	*path = NULL;
	if (flag) {
		*path = strdup(flag);
	} else if (pl_source_open(&src, so, NULL, &e) == 0) {
		*path = strdup(src.settings->ledger.path);
		pl_source_release(&src);
	} else {
		*path = strdup("out/ledger.db");
	}
	if (!*path)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (stat(*path, &st) < 0) {
		pl_err_set(err, PL_ENOTFOUND, "no ledger at '%s': builds record there once they "
					      "run, or name one with --ledger or PLINTH_LEDGER",
			   *path);
		free(*path);
		*path = NULL;
		return PL_ENOTFOUND;
	}
	return 0;
}

int pl_rollout(const struct pl_rollout_opts *o, struct pl_ledger **ledger,
	       struct pl_ledger_rollout **out, struct pl_err *err)
{
	struct pl_source src;
	struct pl_patchset ps = { 0 };
	struct pl_ledger_patch *extra = NULL;
	struct pl_build_opts bo;
	struct pl_ledger_rollout_opts ro = { 0 };
	struct oracle orc = { 0 };
	struct pl_err e = PL_ERR_INIT;
	bool have_src;
	int rc = 0;

	*out = NULL;
	*ledger = NULL;
	memset(&bo, 0, sizeof(bo));
	bo.src = o->src;
	have_src = pl_source_open(&src, &o->src, NULL, &e) == 0;
	if (!have_src && o->src.repo) {
		*err = e;
		return e.code;
	}
	rc = pl_ledger_open(ledger, o->ledger_path ? o->ledger_path
				    : have_src ? src.settings->ledger.path : "out/ledger.db", err);
	if (rc == 0 && have_src)
		rc = pl_patchset_load(&src, NULL, NULL, 0, &ps, err);
	if (rc == 0 && have_src)
		rc = pl_source_recipe_names(&src, &orc.recipes, err);
	if (rc == 0 && ps.n && !(extra = calloc(ps.n, sizeof(*extra))))
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc == 0 && orc.recipes.n) {
		orc.ids = calloc(orc.recipes.n, sizeof(*orc.ids));
		orc.failed = calloc(orc.recipes.n, sizeof(*orc.failed));
		if (!orc.ids || !orc.failed)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < ps.n; i++) {
		extra[i].id = ps.v[i]->id;
		extra[i].title = ps.v[i]->title;
		extra[i].severity = pl_recipe_sev_name(ps.v[i]->severity);
		extra[i].cves = (const char *const *)ps.v[i]->cves.v;
		extra[i].ncves = ps.v[i]->cves.n;
		extra[i].advisory = ps.v[i]->advisory;
	}
	orc.src = &src;
	orc.bo = &bo;
	ro.patch_ids = o->patch_ids;
	ro.npatch_ids = o->npatch_ids;
	ro.extra = extra;
	ro.nextra = ps.n;
	ro.now = o->now;
	if (have_src) {
		ro.applies = applies;
		ro.applies_ctx = &orc;
	}
	rc = pl_ledger_rollout(*ledger, &ro, out, err);
out:
	for (size_t i = 0; orc.ids && i < orc.recipes.n; i++)
		pl_oci_strv_release(&orc.ids[i]);
	free(orc.ids);
	free(orc.failed);
	pl_oci_strv_release(&orc.recipes);
	free(extra);
	pl_patchset_release(&ps);
	if (have_src)
		pl_source_release(&src);
	if (rc < 0) {
		pl_ledger_free(*ledger);
		*ledger = NULL;
	}
	return rc;
}
