/*
 * A patch's actions on a tree, all-or-nothing per patch.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/patch.h"

#define DPKG_DIR "var/lib/dpkg"

static int set_str(char **dst, const char *s, struct pl_err *err)
{
	char *c = strdup(s);

	if (!c)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	free(*dst);
	*dst = c;
	return 0;
}

void pl_patch_action_result_release(struct pl_patch_action_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->npkgs; i++) {
		free(res->pkgs[i].name);
		free(res->pkgs[i].before);
		free(res->pkgs[i].after);
	}
	free(res->pkgs);
	free(res->target);
	free(res->result);
	memset(res, 0, sizeof(*res));
}

void pl_patch_applied_release(struct pl_patch_applied *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; i < rec->nactions; i++)
		pl_patch_action_result_release(&rec->actions[i]);
	free(rec->actions);
	free(rec->why);
	memset(rec, 0, sizeof(*rec));
}

/* Canonical form of an image path, symlinks of the parents followed. */
static int canon(const struct pl_fstree *t, const char *path, bool follow_last, char **out,
		 struct pl_err *err)
{
	int rc = pl_fstree_resolve(t, path, follow_last, true, out, err);

	if (rc == PL_ENOTFOUND)
		return pl_err_wrap(err, "'%s'", path);
	return rc;
}

static bool is_prefix_dir(const char *anc, const char *p)
{
	size_t n = strlen(anc);

	if (n == 0)
		return true; /* the root is everyone's ancestor */
	return strncmp(anc, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Refuse removing the dpkg database, the directories holding it or its status. */
static int guard_dpkg(const struct pl_fstree *t, const char *path, const char *c,
		      struct pl_err *err)
{
	struct pl_err ignore = PL_ERR_INIT;
	char *db = NULL;
	const char *dbp = DPKG_DIR;
	int rc = 0;

	if (pl_fstree_resolve(t, DPKG_DIR, true, true, &db, &ignore) == 0)
		dbp = db;
	if (is_prefix_dir(c, dbp) || is_prefix_dir(c, DPKG_DIR)) {
		rc = pl_err_set(err, PL_EPOLICY, "remove '%s': would remove the dpkg database",
				path);
	} else {
		size_t n = strlen(dbp);

		if (strncmp(c, dbp, n) == 0 && c[n] == '/' &&
		    (strcmp(c + n + 1, "status") == 0 || strcmp(c + n + 1, "status.d") == 0))
			rc = pl_err_set(err, PL_EPOLICY,
					"remove '%s': would remove the dpkg database", path);
	}
	free(db);
	return rc;
}

static int act_remove(const struct pl_patch_action *a, struct pl_fstree *t, struct pl_buf *target,
		      struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < a->paths.n && rc == 0; i++) {
		const char *path = a->paths.v[i];
		char *c = NULL;

		rc = canon(t, path, false, &c, err);
		if (rc == 0)
			rc = guard_dpkg(t, path, c, err);
		if (rc == 0 && !pl_fstree_get(t, c))
			rc = pl_err_set(err, PL_ENOTFOUND, "remove '%s': no such file", path);
		if (rc == 0)
			rc = pl_fstree_remove(t, c, err);
		if (rc == 0)
			rc = pl_buf_addf(target, err, "%s%s", i ? "," : "", path);
		free(c);
	}
	return rc;
}

/* Rewrite the metadata of an existing path (symlinks followed). */
static int act_meta(const struct pl_patch_action *a, struct pl_fstree *t, struct pl_err *err)
{
	const struct pl_fsmeta *m;
	struct pl_fsmeta nm;
	char *c = NULL;
	int rc;

	rc = canon(t, a->path, true, &c, err);
	if (rc < 0)
		goto out;
	m = pl_fstree_get(t, c);
	if (!m) {
		rc = pl_err_set(err, PL_ENOTFOUND, "%s '%s': no such file",
				pl_patch_action_name(a->kind), a->path);
		goto out;
	}
	nm = *m;
	if (a->kind == PL_PATCH_CHMOD) {
		nm.mode = a->mode & 07777;
	} else {
		if (a->has_uid)
			nm.uid = a->uid;
		if (a->has_gid)
			nm.gid = a->gid;
	}
	rc = pl_fstree_put(t, c, &nm, err);
out:
	free(c);
	return rc;
}

static int put_bytes(struct pl_fstree *t, const struct pl_patch_env *env, const char *path,
		     const char *data, size_t len, const struct pl_fsmeta *like, unsigned mode,
		     struct pl_err *err)
{
	struct pl_fsmeta m = {0};
	int rc;

	if (like) {
		m = *like;
	} else {
		m.mode = mode & 07777;
		m.mtime = env->epoch;
	}
	m.type = PL_FT_REG;
	m.mtime = env->epoch;
	m.size = len;
	m.link = NULL;
	rc = pl_cas_put_buf(env->cas, data, len, NULL, m.digest, err);
	if (rc == 0)
		rc = pl_fstree_put(t, path, &m, err);
	return rc;
}

static int act_file(const struct pl_patch_action *a, const struct pl_patch_env *env,
		    struct pl_fstree *t, struct pl_err *err)
{
	char *data = NULL, *c = NULL;
	size_t len = 0;
	int rc;

	rc = canon(t, a->path, true, &c, err);
	if (rc < 0)
		goto out;
	if (a->source) {
		if (!env->read) {
			rc =
			    pl_err_set(err, PL_EINVAL, "file '%s': no repository to read '%s' from",
				       a->path, a->source);
			goto out;
		}
		rc = env->read(env->read_ctx, a->source, &data, &len, err);
		if (rc < 0) {
			pl_err_wrap(err, "file '%s'", a->path);
			goto out;
		}
		rc = put_bytes(t, env, c, data, len, NULL, a->mode, err);
	} else {
		rc = put_bytes(t, env, c, a->content ? a->content : "", a->content_len, NULL,
			       a->mode, err);
	}
out:
	free(data);
	free(c);
	return rc;
}

static int act_diff(const struct pl_patch_action *a, const struct pl_patch_env *env,
		    struct pl_fstree *t, struct pl_buf *target, struct pl_err *err)
{
	struct pl_udiff *d = NULL;
	struct pl_buf res = PL_BUF_INIT;
	char *data = NULL, *old = NULL;
	size_t len = 0, oldlen = 0;
	int rc;

	if (!env->read) {
		rc =
		    pl_err_set(err, PL_EINVAL, "diff '%s': no repository to read it from", a->diff);
		goto out;
	}
	rc = env->read(env->read_ctx, a->diff, &data, &len, err);
	if (rc < 0) {
		pl_err_wrap(err, "diff '%s'", a->diff);
		goto out;
	}
	rc = pl_udiff_parse(data, len, a->diff, &d, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct pl_udiff_file *f = &d->files[i];
		const struct pl_fsmeta *m;
		char *c = NULL;

		rc = canon(t, f->path, true, &c, err);
		if (rc < 0) {
			pl_err_wrap(err, "diff '%s'", a->diff);
			goto out;
		}
		m = pl_fstree_get(t, c);
		free(old);
		old = NULL;
		oldlen = 0;
		if (f->create && m) {
			rc = pl_err_set(err, PL_EINVAL, "diff '%s': '%s' already exists", a->diff,
					f->path);
		} else if (!f->create && !m) {
			rc = pl_err_set(err, PL_ENOTFOUND, "diff '%s': '%s' does not exist",
					a->diff, f->path);
		} else if (m && m->type != PL_FT_REG) {
			rc = pl_err_set(err, PL_EINVAL, "diff '%s': '%s' is not a regular file",
					a->diff, f->path);
		} else if (m) {
			rc =
			    pl_cas_read(env->cas, m->digest, PL_UDIFF_MAX_FILE, &old, &oldlen, err);
		}
		pl_buf_init(&res, PL_UDIFF_MAX_FILE);
		if (rc == 0)
			rc = pl_udiff_apply(d, f, old ? old : "", oldlen, &res, err);
		if (rc == 0 && f->remove) {
			if (res.len != 0)
				rc = pl_err_set(err, PL_EINVAL,
						"diff '%s': '%s' is not empty after deleting its "
						"lines",
						a->diff, f->path);
			else
				rc = pl_fstree_remove(t, c, err);
		} else if (rc == 0) {
			rc = put_bytes(t, env, c, res.data ? res.data : "", res.len, m, 0644, err);
		}
		if (rc == 0)
			rc = pl_buf_addf(target, err, "%s/%s", i ? "," : "", f->path);
		pl_buf_release(&res);
		free(c);
		if (rc < 0)
			goto out;
	}
out:
	pl_udiff_free(d);
	free(data);
	free(old);
	return rc;
}

int pl_patch_action_apply(const struct pl_patch_action *a, const struct pl_patch_env *env,
			  struct pl_fstree *t, struct pl_patch_action_result *res,
			  struct pl_err *err)
{
	struct pl_buf target = PL_BUF_INIT;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->kind = a->kind;
	switch (a->kind) {
	case PL_PATCH_REMOVE:
		rc = act_remove(a, t, &target, err);
		break;
	case PL_PATCH_CHMOD:
	case PL_PATCH_CHOWN:
		rc = act_meta(a, t, err);
		if (rc == 0)
			rc = pl_buf_adds(&target, a->path, err);
		break;
	case PL_PATCH_FILE:
		rc = act_file(a, env, t, err);
		if (rc == 0)
			rc = pl_buf_adds(&target, a->path, err);
		break;
	case PL_PATCH_DIFF:
		rc = act_diff(a, env, t, &target, err);
		break;
	case PL_PATCH_UPGRADE:
		rc = pl_patch_upgrade(t, env, (const char *const *)a->packages.v, a->packages.n,
				      a->from, a->version, res, err);
		for (size_t i = 0; rc == 0 && i < a->packages.n; i++)
			rc = pl_buf_addf(&target, err, "%s%s", i ? "," : "", a->packages.v[i]);
		break;
	}
	if (rc == 0)
		rc = set_str(&res->target, target.data ? target.data : "", err);
	if (rc == 0 && !res->result)
		rc = set_str(&res->result, "applied", err);
	pl_buf_release(&target);
	return rc;
}

int pl_patch_apply(const struct pl_patchdef *p, const char *why, const struct pl_patch_env *env,
		   struct pl_fstree *t, struct pl_patch_applied *rec, struct pl_err *err)
{
	struct pl_fstree *work = NULL, *diff = NULL;
	int rc;

	memset(rec, 0, sizeof(*rec));
	rec->p = p;
	rc = set_str(&rec->why, why ? why : "", err);
	if (rc < 0)
		goto out;
	rec->actions = calloc(p->nactions ? p->nactions : 1, sizeof(*rec->actions));
	if (!rec->actions) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = pl_fstree_clone(t, &work, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < p->nactions; i++) {
		rc = pl_patch_action_apply(&p->actions[i], env, work, &rec->actions[i], err);
		rec->nactions = i + 1;
		if (rc < 0) {
			pl_err_wrap(err, "patch '%s': action %zu (%s)", p->id, i + 1,
				    pl_patch_action_name(p->actions[i].kind));
			goto out;
		}
	}
	/* replace t's contents with work's: diff then apply keeps t's identity */
	rc = pl_fstree_diff(t, work, &diff, err);
	if (rc == 0)
		rc = pl_fstree_apply(t, diff, err);
out:
	pl_fstree_free(diff);
	pl_fstree_free(work);
	return rc;
}
