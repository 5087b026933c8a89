/*
 * Recipe layers -> layer trees. Everything a recipe declares gets the build
 * epoch as mtime; tarball entries keep theirs (the layer writer clamps).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/layer.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/fsutil.h"

/*
 * Where a declared path lands in the tree: its parent resolved the way the
 * kernel would inside the image (so "/bin/sh" on a merged-/usr tree is
 * usr/bin/sh), the last component kept as is. Missing parents stay as
 * written and are created by the put.
 */
static int place(const struct pl_fstree *t, const char *path, char **out, struct pl_err *err)
{
	const char *slash;
	char *dir = NULL, *canon = NULL;
	int rc;

	*out = NULL;
	while (*path == '/')
		path++;
	slash = strrchr(path, '/');
	if (!slash) {
		*out = strdup(path);
		return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_fstree_resolve(t, dir, true, true, &canon, NULL);
	if (rc < 0) {
		/* a missing directory on the way: created lexically */
		rc = 0;
		canon = dir;
		dir = NULL;
	}
	if (asprintf(out, "%s%s%s", canon, *canon ? "/" : "", slash + 1) < 0) {
		*out = NULL;
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	free(dir);
	free(canon);
	return rc;
}

static int put(struct pl_fstree *t, const char *path, const struct pl_fsmeta *m,
	       struct pl_err *err)
{
	char *where = NULL;
	int rc = place(t, path, &where, err);

	if (rc == 0)
		rc = pl_fstree_put(t, where, m, err);
	free(where);
	return rc;
}

static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

static int add_tarball(const struct pl_assemble_ctx *c, const struct pl_recipe_tarball *t,
		       struct pl_fstree *work, struct pl_err *err)
{
	struct pl_layer_read_opts ro = { 0 };
	char digest[PL_DIGEST_SIZE];
	struct pl_buf what = PL_BUF_INIT;
	char *data = NULL;
	size_t len = 0;
	int fd = -1, rc;

	rc = pl_source_read(c->src, t->source, PL_BLOB_MAX, &data, &len, err);
	if (rc < 0) {
		pl_err_wrap(err, PL_MARK_FMT ": tarball", PL_MARK_ARGS(t->source_mark));
		goto out;
	}
	rc = pl_sha256_buf(data, len, digest, err);
	if (rc < 0)
		goto out;
	if (strcmp(pl_digest_hex(digest), t->sha256) != 0) {
		rc = pl_err_set(err, PL_EVERIFY,
				PL_MARK_FMT ": tarball '%s' has sha256 %s, the recipe expects %s",
				PL_MARK_ARGS(t->sha256_mark), t->source, pl_digest_hex(digest),
				t->sha256);
		goto out;
	}
	fd = memfd_create("plinth-tarball", MFD_CLOEXEC);
	if (fd < 0) {
		rc = pl_err_errno(err, PL_EIO, "memfd for tarball '%s'", t->source);
		goto out;
	}
	rc = pl_write_all(fd, data, len, t->source, err);
	if (rc < 0)
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		rc = pl_err_errno(err, PL_EIO, "rewind tarball '%s'", t->source);
		goto out;
	}
	rc = pl_buf_addf(&what, err, "tarball '%s'", t->source);
	if (rc < 0)
		goto out;
	if (t->destination && strcmp(rel(t->destination), "") != 0) {
		struct pl_fsmeta dir = { .type = PL_FT_DIR, .mode = 0755, .mtime = c->epoch };
		const struct pl_fsmeta *m = pl_fstree_get(work, rel(t->destination));

		if (!m || m->type != PL_FT_DIR) {
			rc = put(work, t->destination, &dir, err);
			if (rc < 0)
				goto out;
		}
	}
	ro.what = what.data;
	ro.prefix = t->destination ? rel(t->destination) : NULL;
	ro.whiteouts = false;
	ro.allow_devices = false;
	ro.uid = t->has_uid ? (int64_t)t->uid : -1;
	ro.gid = t->has_gid ? (int64_t)t->gid : -1;
	rc = pl_layer_read(work, c->content, fd, &ro, err);
	if (rc < 0)
		pl_err_wrap(err, PL_MARK_FMT, PL_MARK_ARGS(t->mark));
out:
	if (fd >= 0)
		close(fd);
	free(data);
	pl_buf_release(&what);
	return rc;
}

static int add_file(const struct pl_assemble_ctx *c, const struct pl_recipe_file *f,
		    struct pl_fstree *work, struct pl_err *err)
{
	struct pl_fsmeta m = { .type = PL_FT_REG, .mode = f->mode, .uid = f->uid, .gid = f->gid,
			       .mtime = c->epoch };
	const char *data = f->content;
	size_t len = f->content_len;
	char *blob = NULL;
	int rc = 0;

	if (f->source) {
		rc = pl_source_read(c->src, f->source, PL_BLOB_MAX, &blob, &len, err);
		if (rc < 0) {
			pl_err_wrap(err, PL_MARK_FMT ": file '%s'", PL_MARK_ARGS(f->source_mark),
				    f->path);
			goto out;
		}
		data = blob;
	}
	rc = pl_cas_put_buf(c->content, data ? data : "", len, NULL, m.digest, err);
	if (rc < 0)
		goto out;
	m.size = len;
	rc = put(work, f->path, &m, err);
	if (rc < 0)
		pl_err_wrap(err, PL_MARK_FMT, PL_MARK_ARGS(f->mark));
out:
	free(blob);
	return rc;
}

int pl_assemble_layer(const struct pl_assemble_ctx *c, const struct pl_recipe *r,
		      const struct pl_recipe_layer *l, const struct pl_fstree *merged,
		      struct pl_fstree **out, struct pl_err *err)
{
	struct pl_fstree *t = NULL;
	size_t i;
	int rc;

	(void)r;
	*out = NULL;
	rc = pl_fstree_clone(merged, &t, err);
	for (i = 0; rc == 0 && i < l->ntarballs; i++)
		rc = add_tarball(c, &l->tarballs[i], t, err);
	for (i = 0; rc == 0 && i < l->ndirs; i++) {
		const struct pl_recipe_dir *d = &l->dirs[i];
		struct pl_fsmeta m = { .type = PL_FT_DIR, .mode = d->mode, .uid = d->uid,
				       .gid = d->gid, .mtime = c->epoch };

		rc = put(t, d->path, &m, err);
		if (rc < 0)
			pl_err_wrap(err, PL_MARK_FMT, PL_MARK_ARGS(d->mark));
	}
	for (i = 0; rc == 0 && i < l->nfiles; i++)
		rc = add_file(c, &l->files[i], t, err);
	for (i = 0; rc == 0 && i < l->nsymlinks; i++) {
		const struct pl_recipe_symlink *s = &l->symlinks[i];
		struct pl_fsmeta m = { .type = PL_FT_SYMLINK, .mode = 0777, .mtime = c->epoch,
				       .link = s->target };

		rc = put(t, s->path, &m, err);
		if (rc < 0)
			pl_err_wrap(err, PL_MARK_FMT, PL_MARK_ARGS(s->mark));
	}
	/* the layer is what the recipe changed */
	if (rc == 0)
		rc = pl_fstree_diff(merged, t, out, err);
	pl_fstree_free(t);
	return rc;
}
