/*
 * The patch stage: the central patches of the commit (patches/<id>.yaml)
 * that the recipe takes and that match the assembled image are applied, in
 * plinth.yaml's order, to a copy of its tree; the difference becomes one
 * patch layer on top, and a record says what each patch did.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/apt.h"
#include "lib/patch.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/log.h"

void pl_patchset_release(struct pl_patchset *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		pl_patchdef_free(ps->v[i]);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

static bool listed(const struct pl_recipe_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], id))
			return true;
	return false;
}

static int rank(const struct pl_settings *s, const char *id)
{
	for (size_t i = 0; i < s->patches.order.n; i++)
		if (!strcmp(s->patches.order.v[i], id))
			return (int)i;
	return (int)s->patches.order.n;
}

static const struct pl_settings *sort_settings;

/* plinth.yaml's patches.order first, then by id */
static int patch_order(const void *a, const void *b)
{
	const struct pl_patchdef *x = *(const struct pl_patchdef *const *)a;
	const struct pl_patchdef *y = *(const struct pl_patchdef *const *)b;
	int c = rank(sort_settings, x->id) - rank(sort_settings, y->id);

	return c ? c : strcmp(x->id, y->id);
}

int pl_patchset_load(struct pl_source *src, const struct pl_recipe *r,
		     const char *const *only, size_t nonly, struct pl_patchset *out,
		     struct pl_err *err)
{
	struct pl_gitsrc_entry *e = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (r && r->patches == PL_RECIPE_PATCHES_NONE)
		return 0;
	rc = pl_gitsrc_list(src->git, src->commit.id, PL_PATCHES_DIR, &e, &n, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		return 0;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct pl_buf path = PL_BUF_INIT;
		struct pl_patchdef *p = NULL, **v;
		size_t l = strlen(e[i].name), len = 0;
		char *data = NULL;

		if (e[i].type != PL_GITSRC_BLOB || l <= 5 || strcmp(e[i].name + l - 5, ".yaml"))
			continue;
		rc = pl_buf_addf(&path, err, "%s/%s", PL_PATCHES_DIR, e[i].name);
		if (rc == 0)
			rc = pl_source_read(src, path.data, PL_RECIPE_MAX_BYTES, &data, &len, err);
		if (rc == 0)
			rc = pl_patchdef_parse(data, len, path.data, &p, err);
		free(data);
		pl_buf_release(&path);
		if (rc < 0)
			break;
		if (listed(&src->settings->patches.exclude, p->id) ||
		    (r && r->patches == PL_RECIPE_PATCHES_LIST && !listed(&r->patch_ids, p->id))) {
			pl_patchdef_free(p);
			continue;
		}
		if (nonly) {
			bool want = false;

			for (size_t k = 0; k < nonly; k++)
				want |= !strcmp(only[k], p->id);
			if (!want) {
				pl_patchdef_free(p);
				continue;
			}
		}
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			pl_patchdef_free(p);
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		out->v = v;
		out->v[out->n++] = p;
	}
	pl_gitsrc_entries_free(e, n);
	if (rc < 0) {
		pl_patchset_release(out);
		return rc;
	}
	sort_settings = src->settings;
	qsort(out->v, out->n, sizeof(*out->v), patch_order);
	return 0;
}

static int read_repo_file(void *ctx, const char *path, char **data, size_t *len,
			  struct pl_err *err)
{
	return pl_source_read(ctx, path, PL_BLOB_MAX, data, len, err);
}

/* The repositories a patch's upgrades need: each `from`, then the recipe's own. */
static int patch_repos(const struct pl_patchdef *p, const struct pl_recipe *r,
		       struct pl_oci_strv *names, struct pl_mark **marks, struct pl_err *err)
{
	struct pl_mark *m = NULL;
	int rc = 0;

	memset(names, 0, sizeof(*names));
	*marks = NULL;
	for (size_t i = 0; rc == 0 && i < p->nactions; i++) {
		const struct pl_patch_action *a = &p->actions[i];
		bool have = false;

		if (a->kind != PL_PATCH_UPGRADE || !a->from)
			continue;
		for (size_t k = 0; k < names->n; k++)
			have |= !strcmp(names->v[k], a->from);
		if (have)
			continue;
		rc = pl_oci_strv_push(names, a->from, err);
		m = rc == 0 ? realloc(*marks, names->n * sizeof(*m)) : NULL;
		if (rc == 0 && !m)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		if (rc == 0) {
			*marks = m;
			m[names->n - 1] = a->mark;
		}
	}
	for (size_t i = 0; rc == 0 && names->n && r && i < r->sources.n; i++) {
		bool have = false;

		for (size_t k = 0; k < names->n; k++)
			have |= !strcmp(names->v[k], r->sources.v[i]);
		if (have)
			continue;
		rc = pl_oci_strv_push(names, r->sources.v[i], err);
		m = rc == 0 ? realloc(*marks, names->n * sizeof(*m)) : NULL;
		if (rc == 0 && !m)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		if (rc == 0) {
			*marks = m;
			m[names->n - 1] = r->sources.marks[i];
		}
	}
	return rc;
}

void pl_patched_release(struct pl_patched *pd)
{
	for (size_t i = 0; i < pd->n; i++)
		pl_patch_applied_release(&pd->v[i]);
	free(pd->v);
	pl_fstree_free(pd->layer);
	memset(pd, 0, sizeof(*pd));
}

int pl_patch_tree(const struct pl_pkg_ctx *c, const struct pl_recipe *r, const char *recipe_name,
		  const struct pl_recipe_map *labels, const char *deb_arch,
		  const struct pl_patchset *ps, const struct pl_fstree *merged,
		  struct pl_fstree **patched, struct pl_patched *out, struct pl_err *err)
{
	struct pl_pkgdb *db = NULL;
	struct pl_fstree *work = NULL;
	struct pl_buf why = PL_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	*patched = NULL;
	rc = pl_pkgdb_read(merged, c->content, &db, err);
	if (rc == 0)
		rc = pl_fstree_clone(merged, &work, err);
	for (size_t i = 0; rc == 0 && i < ps->n; i++) {
		const struct pl_patchdef *p = ps->v[i];
		struct pl_patch_env env = { 0 };
		struct pl_oci_strv names = { 0 };
		struct pl_mark *marks = NULL;
		struct pl_apt *apt = NULL;
		const struct pl_apt *apts[1];
		struct pl_patch_applied *v;
		bool match = false;

		pl_buf_reset(&why);
		rc = pl_patch_match(p, db, recipe_name, labels, &match, &why, err);
		if (rc < 0 || !match)
			continue;
		rc = patch_repos(p, r, &names, &marks, err);
		if (rc == 0 && names.n)
			rc = pl_open_repos(c, (const char *const *)names.v, marks, names.n, deb_arch,
					   &apt, err);
		v = rc == 0 ? realloc(out->v, (out->n + 1) * sizeof(*v)) : NULL;
		if (rc == 0 && !v)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		if (rc == 0) {
			out->v = v;
			env.cas = c->content;
			env.epoch = c->epoch;
			env.read = read_repo_file;
			env.read_ctx = c->src;
			apts[0] = apt;
			env.apts = apt ? apts : NULL;
			env.napts = apt ? 1 : 0;
			env.fetch = c->fetch;
			env.fetch_cas = c->content;
			env.arch = deb_arch;
			rc = pl_patch_apply(p, why.data, &env, work, &out->v[out->n], err);
			out->n++;
			pl_log_info("%s: applied %s (%s)", recipe_name ? recipe_name : "image",
				    p->id, why.data);
		}
		pl_apt_free(apt);
		pl_oci_strv_release(&names);
		free(marks);
	}
	if (rc == 0 && out->n)
		rc = pl_fstree_diff(merged, work, &out->layer, err);
	if (rc == 0 && out->n) {
		*patched = work;
		work = NULL;
	}
	pl_fstree_free(work);
	pl_pkgdb_free(db);
	pl_buf_release(&why);
	if (rc < 0)
		pl_patched_release(out);
	return rc;
}

int pl_patch_image(const struct pl_patch_image_opts *o, struct pl_build_result *res,
		   struct pl_err *err)
{
	struct pl_build_opts bo = o->build;
	struct pl_buf y = PL_BUF_INIT;
	const char *names[1] = { "patched" };
	int rc;

	/*
	 * The image's own recipe is unknown: a recipe of nothing but its base.
	 * Its config is the base's; patches: all (or --patch) decide the rest.
	 */
	rc = pl_buf_addf(&y, err,
			 "name: patched\nbase: \"%s\"\narchitectures: [%s]\ntags: [patched]\n",
			 o->target, o->arch ? o->arch : "amd64");
	if (rc < 0)
		return rc;
	if (strchr(o->target, '"') || strchr(o->target, '\n')) {
		pl_buf_release(&y);
		return pl_err_set(err, PL_EINVAL, "'%s' is not an image reference", o->target);
	}
	bo.adhoc_recipe = y.data;
	bo.out_ref = o->out_ref;
	bo.recipes = names;
	bo.nrecipes = 1;
	bo.all = false;
	rc = pl_build(&bo, res, err);
	pl_buf_release(&y);
	return rc;
}
