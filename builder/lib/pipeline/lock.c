/*
 * plinth lock: resolve recipes' packages at a commit and write
 * recipes/<name>.lock.json into the work tree, for the admin to commit.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/apt.h"
#include "lib/fetch.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/fsutil.h"

void pl_lock_result_release(struct pl_lock_result *res)
{
	pl_oci_strv_release(&res->files);
	free(res->pkgs);
	memset(res, 0, sizeof(*res));
}

static int lock_one(struct pl_pkg_ctx *pc, const char *name, const char *workdir,
		    struct pl_lock_result *res, struct pl_err *err)
{
	struct pl_buf rel = PL_BUF_INIT, path = PL_BUF_INIT, json = PL_BUF_INIT;
	struct pl_locks locks = { 0 };
	struct pl_recipe *r = NULL;
	size_t *p, npkgs = 0;
	int rc;

	rc = pl_source_load_recipe(pc->src, name, &r, err);
	if (rc < 0)
		goto out;
	if (!pl_recipe_has_packages(r))
		goto out; /* nothing to pin */
	rc = pl_packages_resolve(pc, r, &locks, err);
	if (rc == 0)
		rc = pl_locks_write(&locks, r->name, &json, err);
	if (rc == 0)
		rc = pl_lock_path(r->name, &rel, err);
	if (rc == 0)
		rc = pl_buf_addf(&path, err, "%s/%s", workdir, rel.data);
	if (rc == 0)
		rc = pl_write_file_atomic(path.data, json.data, json.len, 0644, err);
	if (rc == 0)
		rc = pl_oci_strv_push(&res->files, rel.data, err);
	for (size_t i = 0; i < locks.n; i++)
		npkgs += locks.locks[i]->npkgs;
	p = rc == 0 ? realloc(res->pkgs, res->files.n * sizeof(*p)) : NULL;
	if (rc == 0 && !p)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc == 0) {
		res->pkgs = p;
		res->pkgs[res->files.n - 1] = npkgs;
	}
out:
	if (rc < 0)
		pl_err_wrap(err, "lock '%s'", name);
	pl_locks_release(&locks);
	pl_recipe_free(r);
	pl_buf_release(&rel);
	pl_buf_release(&path);
	pl_buf_release(&json);
	return rc;
}

int pl_lock(const struct pl_lock_opts *o, struct pl_lock_result *res, struct pl_err *err)
{
	struct pl_fetch_opts fo = { 0 };
	struct pl_oci_strv names = { 0 };
	struct pl_buf dir = PL_BUF_INIT;
	struct pl_cas *content = NULL;
	struct pl_fetch *fetch = NULL;
	struct pl_source src;
	struct pl_pkg_ctx pc;
	struct stat st;
	int rc;

	memset(res, 0, sizeof(*res));
	if (o->src.repo && strstr(o->src.repo, "://"))
		return pl_err_set(err, PL_EUSAGE,
				  "plinth lock writes lock files into a work tree; run it in a "
				  "clone, not on the URL '%s'",
				  o->src.repo);
	rc = pl_source_open(&src, &o->src, NULL, err);
	if (rc < 0)
		return rc;
	/* a bare repository has nowhere to put the files */
	rc = pl_buf_addf(&dir, err, "%s/%s", pl_gitsrc_path(src.git), PL_RECIPES_DIR);
	if (rc == 0 && (stat(dir.data, &st) < 0 || !S_ISDIR(st.st_mode)))
		rc = pl_err_set(err, PL_ENOTFOUND, "no %s in the work tree to write locks into",
				dir.data);
	pl_buf_reset(&dir);
	if (rc == 0)
		rc = pl_buf_addf(&dir, err, "%s/content", o->src.cache_dir);
	if (rc == 0)
		rc = pl_mkdir_p(dir.data, 0755, err);
	if (rc == 0)
		rc = pl_cas_open(&content, dir.data, err);
	if (rc == 0) {
		pl_cas_set_sync(content, false);
		fo.offline = o->offline;
		rc = pl_fetch_new(&fetch, content, &fo, err);
	}
	if (rc < 0)
		goto out;
	memset(&pc, 0, sizeof(pc));
	pc.src = &src;
	pc.content = content;
	pc.fetch = fetch;
	pc.cache_dir = o->src.cache_dir;
	pc.offline = o->offline;
	pc.epoch = src.commit.time;
	if (o->all || o->nrecipes == 0)
		rc = pl_source_recipe_names(&src, &names, err);
	for (size_t i = 0; rc == 0 && i < o->nrecipes && !o->all; i++)
		rc = pl_oci_strv_push(&names, o->recipes[i], err);
	for (size_t i = 0; rc == 0 && i < names.n; i++)
		rc = lock_one(&pc, names.v[i], pl_gitsrc_path(src.git), res, err);
out:
	pl_oci_strv_release(&names);
	pl_fetch_free(fetch);
	pl_cas_free(content);
	pl_buf_release(&dir);
	pl_source_release(&src);
	return rc;
}
