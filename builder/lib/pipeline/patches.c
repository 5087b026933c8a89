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
#include "lib/fetch.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"
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

/* plinth.yaml's patches.order first, then by id */
static int patch_order(const struct pl_settings *s, const struct pl_patchdef *x,
		       const struct pl_patchdef *y)
{
	int c = rank(s, x->id) - rank(s, y->id);

	return c ? c : strcmp(x->id, y->id);
}

/* An insertion sort: a few patches, and no global state for qsort's comparator. */
static void sort_patches(const struct pl_settings *s, struct pl_patchdef **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct pl_patchdef *p = v[i];
		size_t j = i;

		for (; j > 0 && patch_order(s, v[j - 1], p) > 0; j--)
			v[j] = v[j - 1];
		v[j] = p;
	}
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
	sort_patches(src->settings, out->v, out->n);
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
	bo.no_ledger = true; /* not a recipe of the repo: nothing to track */
	bo.out_ref = o->out_ref;
	bo.recipes = names;
	bo.nrecipes = 1;
	bo.all = false;
	rc = pl_build(&bo, res, err);
	pl_buf_release(&y);
	return rc;
}

/* The dpkg database a recipe's lock describes, for matching without building. */
int pl_locks_pkgdb(const struct pl_locks *locks, const char *arch, struct pl_pkgdb **out,
		   struct pl_err *err)
{
	const struct pl_apt_lock *l = pl_locks_get(locks, arch);
	struct pl_buf st = PL_BUF_INIT;
	int rc = 0;

	*out = calloc(1, sizeof(**out));
	if (!*out)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	pl_pkgdb_init(*out);
	for (size_t i = 0; l && rc == 0 && i < l->npkgs; i++)
		rc = pl_buf_addf(&st, err,
				 "Package: %s\nStatus: install ok installed\nArchitecture: %s\n"
				 "Source: %s (%s)\nVersion: %s\n\n",
				 l->pkgs[i].name, l->pkgs[i].arch, l->pkgs[i].source,
				 l->pkgs[i].source_version, l->pkgs[i].version);
	if (rc == 0 && st.len)
		rc = pl_pkgdb_parse(*out, st.data, st.len, "lock", true, err);
	pl_buf_release(&st);
	return rc;
}

static int plan_recipe(struct pl_source *src, const struct pl_pkg_ctx *pc, const char *name,
		       json_t *images, struct pl_err *err)
{
	struct pl_recipe *r = NULL;
	struct pl_locks locks = { 0 };
	struct pl_patchset ps = { 0 };
	struct pl_pkgdb *db = NULL;
	struct pl_buf why = PL_BUF_INIT;
	json_t *img = json_object(), *list = json_array();
	int rc;

	rc = pl_source_load_recipe(src, name, &r, err);
	if (rc == 0 && (!img || !list))
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc == 0 && pl_recipe_has_packages(r))
		rc = pl_packages_locks(pc, r, false, &locks, err);
	if (rc == 0)
		rc = pl_patchset_load(src, r, NULL, 0, &ps, err);
	if (rc == 0)
		rc = pl_locks_pkgdb(&locks, r->architectures.v[0], &db, err);
	for (size_t i = 0; rc == 0 && i < ps.n; i++) {
		const struct pl_patchdef *p = ps.v[i];
		json_t *e, *acts;
		bool match = false;

		pl_buf_reset(&why);
		rc = pl_patch_match(p, db, r->name, &r->config.labels, &match, &why, err);
		if (rc < 0 || !match)
			continue;
		e = json_object();
		acts = json_array();
		rc = e && acts ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
		for (size_t k = 0; rc == 0 && k < p->nactions; k++) {
			const struct pl_patch_action *a = &p->actions[k];
			struct pl_buf d = PL_BUF_INIT;

			if (a->kind == PL_PATCH_UPGRADE) {
				rc = pl_buf_addf(&d, err, "upgrade");
				for (size_t j = 0; rc == 0 && j < a->packages.n; j++)
					rc = pl_buf_addf(&d, err, " %s", a->packages.v[j]);
				if (rc == 0)
					rc = pl_buf_addf(&d, err, " from %s%s%s", a->from,
							 a->version ? " to " : "",
							 a->version ? a->version : "");
			} else if (a->kind == PL_PATCH_DIFF) {
				rc = pl_buf_addf(&d, err, "diff %s", a->diff);
			} else if (a->kind == PL_PATCH_REMOVE) {
				rc = pl_buf_addf(&d, err, "remove");
				for (size_t j = 0; rc == 0 && j < a->paths.n; j++)
					rc = pl_buf_addf(&d, err, " %s", a->paths.v[j]);
			} else if (a->kind == PL_PATCH_CHMOD) {
				rc = pl_buf_addf(&d, err, "chmod %04o %s", a->mode, a->path);
			} else {
				rc = pl_buf_addf(&d, err, "%s %s", pl_patch_action_name(a->kind),
						 a->path ? a->path : "");
			}
			if (rc == 0)
				rc = pl_json_append_new(acts, json_string(d.data), err);
			pl_buf_release(&d);
		}
		if (rc == 0)
			rc = pl_json_set_str(e, "id", p->id, err);
		if (rc == 0)
			rc = pl_json_set_str(e, "why", why.data ? why.data : "", err);
		if (rc == 0) {
			rc = pl_json_set_new(e, "actions", acts, err);
			acts = NULL;
		}
		if (rc == 0) {
			rc = pl_json_append_new(list, e, err);
			e = NULL;
		}
		json_decref(e);
		json_decref(acts);
	}
	if (rc == 0)
		rc = pl_json_set_str(img, "recipe", r->name, err);
	if (rc == 0 && !pl_recipe_has_packages(r) && r->base && strcmp(r->base, "scratch"))
		rc = pl_json_set_str(img, "note", "matched on the recipe's lock only; the base "
						  "image's packages are seen when it is built",
				     err);
	if (rc == 0) {
		rc = pl_json_set_new(img, "patches", list, err);
		list = NULL;
	}
	if (rc == 0) {
		rc = pl_json_append_new(images, img, err);
		img = NULL;
	}
	if (rc < 0)
		pl_err_wrap(err, "plan for '%s'", name);
	json_decref(img);
	json_decref(list);
	pl_buf_release(&why);
	pl_pkgdb_free(db);
	pl_patchset_release(&ps);
	pl_locks_release(&locks);
	pl_recipe_free(r);
	return rc;
}

int pl_patch_plan(const struct pl_source_opts *so, const char *const *recipes, size_t n,
		  bool offline, json_t **out, struct pl_err *err)
{
	struct pl_oci_strv names = { 0 };
	struct pl_fetch_opts fo = { 0 };
	struct pl_buf dir = PL_BUF_INIT;
	struct pl_cas *content = NULL;
	struct pl_fetch *f = NULL;
	struct pl_source src;
	struct pl_pkg_ctx pc;
	json_t *images = json_array();
	int rc;

	*out = NULL;
	if (!images)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_source_open(&src, so, NULL, err);
	if (rc < 0) {
		json_decref(images);
		return rc;
	}
	rc = pl_buf_addf(&dir, err, "%s/content", so->cache_dir);
	if (rc == 0)
		rc = pl_mkdir_p(dir.data, 0755, err);
	if (rc == 0)
		rc = pl_cas_open(&content, dir.data, err);
	fo.offline = offline;
	if (rc == 0)
		rc = pl_fetch_new(&f, content, &fo, err);
	memset(&pc, 0, sizeof(pc));
	pc.src = &src;
	pc.content = content;
	pc.fetch = f;
	pc.cache_dir = so->cache_dir;
	pc.offline = offline;
	if (rc == 0 && n == 0)
		rc = pl_source_recipe_names(&src, &names, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = pl_oci_strv_push(&names, recipes[i], err);
	for (size_t i = 0; rc == 0 && i < names.n; i++)
		rc = plan_recipe(&src, &pc, names.v[i], images, err);
	if (rc == 0)
		*out = images;
	else
		json_decref(images);
	pl_oci_strv_release(&names);
	pl_fetch_free(f);
	pl_cas_free(content);
	pl_buf_release(&dir);
	pl_source_release(&src);
	return rc;
}
