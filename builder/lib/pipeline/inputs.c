/*
 * What a recipe's build depends on, as one digest: an incremental fleet
 * build skips a recipe whose inputs equal those of its last successful
 * build, and plinth plan says which part changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/patch.h"
#include "lib/pkgdb.h"
#include "lib/registry.h"
#include "lib/vulndb.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/digest.h"

void pl_build_inputs_release(struct pl_build_inputs *in)
{
	pl_oci_strv_release(&in->patches);
	memset(in, 0, sizeof(*in));
}

static int blob_id(struct pl_source *src, const char *path, char id[41], struct pl_err *err)
{
	struct pl_err e = PL_ERR_INIT;
	int rc = pl_gitsrc_blob_id(src->git, src->commit.id, path, id, &e);

	if (rc == PL_ENOTFOUND) {
		id[0] = 0;
		return 0;
	}
	if (rc < 0)
		*err = e;
	return rc;
}

/* The manifest (or index) digest the base reference names now. */
static int base_digest(const struct pl_build_opts *o, const char *ref, char out[PL_DIGEST_SIZE],
		       struct pl_err *err)
{
	struct pl_ref r = { 0 };
	int rc = pl_ref_parse(ref, &r, err);

	if (rc == 0 && r.kind == PL_REF_OCI) {
		struct pl_oci_layout *l = NULL;
		struct pl_oci_desc d = { 0 };

		rc = pl_oci_layout_open(&l, r.path, false, err);
		if (rc == 0)
			rc = pl_oci_layout_resolve(l, r.tag, &d, err);
		if (rc == 0)
			memcpy(out, d.digest, PL_DIGEST_SIZE);
		pl_oci_desc_release(&d);
		pl_oci_layout_free(l);
	} else if (rc == 0 && r.kind == PL_REF_REGISTRY) {
		struct pl_registry *reg = NULL;
		struct pl_reg_manifest m = { 0 };
		static const struct pl_reg_opts none;

		rc = pl_registry_new(&reg, r.domain, o->src.reg ? o->src.reg : &none, err);
		if (rc == 0)
			rc = pl_registry_get_manifest(reg, r.path, pl_ref_reference(&r), &m, err);
		if (rc == 0)
			memcpy(out, m.digest, PL_DIGEST_SIZE);
		pl_reg_manifest_release(&m);
		pl_registry_free(reg);
	}
	pl_ref_release(&r);
	if (rc < 0)
		pl_err_wrap(err, "base '%s'", ref);
	return rc;
}

/* The snapshot of the database the gate reads, or "" when there is none. */
static int db_snapshot(struct pl_source *src, const struct pl_build_opts *o,
		       char out[PL_DIGEST_SIZE], struct pl_err *err)
{
	const char *path = o->db_path ? o->db_path : src->settings->vulndb.path;
	struct pl_vulndb *db = NULL;
	struct stat st;
	int rc;

	out[0] = 0;
	if (stat(path, &st) < 0)
		return 0;
	rc = pl_vulndb_open(&db, path, false, err);
	if (rc == 0)
		rc = pl_vulndb_snapshot(db, out, err);
	pl_vulndb_close(db);
	return rc;
}

/*
 * The patches that may apply: matched on the lock's packages, the name and
 * labels; on a recipe with a base image every patch it takes may apply
 * (the base's packages are only seen when it is built).
 */
static int may_apply(struct pl_source *src, const struct pl_build_opts *o,
		     const struct pl_recipe *r, const char *lock_path, bool has_lock,
		     struct pl_oci_strv *ids, struct pl_buf *h, struct pl_err *err)
{
	struct pl_patchset ps = { 0 };
	struct pl_locks locks = { 0 };
	struct pl_pkgdb *db = NULL;
	struct pl_buf why = PL_BUF_INIT;
	bool base = r->base && strcmp(r->base, "scratch") != 0;
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = pl_patchset_load(src, r, o->patch_ids, o->npatch_ids, &ps, err);
	if (rc == 0 && has_lock)
		rc = pl_source_read(src, lock_path, PL_BLOB_MAX, &data, &len, err);
	if (rc == 0 && has_lock)
		rc = pl_locks_parse(data, len, lock_path, &locks, err);
	if (rc == 0 && !base)
		rc = pl_locks_pkgdb(&locks, r->architectures.v[0], &db, err);
	for (size_t i = 0; rc == 0 && i < ps.n; i++) {
		const struct pl_patchdef *p = ps.v[i];
		char id[41] = "";
		bool match = true;

		if (!base) {
			pl_buf_reset(&why);
			rc = pl_patch_match(p, db, r->name, &r->config.labels, &match, &why, err);
		}
		if (rc < 0 || !match)
			continue;
		rc = pl_oci_strv_push(ids, p->id, err);
		if (!h)
			continue;
		if (rc == 0)
			rc = blob_id(src, p->file, id, err);
		if (rc == 0)
			rc = pl_buf_addf(h, err, "patch %s %s\n", p->id, id);
		/* the files a patch brings are part of it */
		for (size_t k = 0; rc == 0 && k < p->nactions; k++) {
			const char *f = p->actions[k].kind == PL_PATCH_DIFF ? p->actions[k].diff
					: p->actions[k].source;
			if (!f)
				continue;
			rc = blob_id(src, f, id, err);
			if (rc == 0)
				rc = pl_buf_addf(h, err, "  file %s %s\n", f, id);
		}
	}
	pl_buf_release(&why);
	pl_pkgdb_free(db);
	pl_locks_release(&locks);
	pl_patchset_release(&ps);
	free(data);
	return rc;
}

int pl_build_inputs(struct pl_source *src, const struct pl_build_opts *o, const char *name,
		    struct pl_build_inputs *in, struct pl_err *err)
{
	struct pl_recipe *r = NULL;
	struct pl_buf path = PL_BUF_INIT, lock = PL_BUF_INIT, h = PL_BUF_INIT;
	const struct pl_recipe_policy *pol;
	int rc;

	memset(in, 0, sizeof(*in));
	rc = pl_source_load_recipe(src, name, &r, err);
	if (rc == 0)
		rc = pl_buf_addf(&path, err, "recipes/%s.yaml", name);
	if (rc == 0)
		rc = pl_lock_path(name, &lock, err);
	if (rc == 0)
		rc = blob_id(src, path.data, in->recipe_blob, err);
	if (rc == 0)
		rc = blob_id(src, lock.data, in->lock_blob, err);
	if (rc == 0 && r->base && strcmp(r->base, "scratch") != 0)
		rc = base_digest(o, r->base, in->base, err);
	pol = r && r->policy.fail_on_set ? &r->policy : &src->settings->policy;
	if (rc == 0 && pol->fail_on != PL_RECIPE_SEV_NONE)
		rc = db_snapshot(src, o, in->db, err);
	if (rc == 0)
		rc = pl_buf_addf(&h, err,
				 "plinth %s\nrecipe %s\nlock %s\nbase %s\ndb %s\nzstd %d\n"
				 "epoch %lld\nupdate-lock %d\n",
				 PL_VERSION, in->recipe_blob, in->lock_blob, in->base, in->db,
				 (int)o->zstd, o->has_epoch ? (long long)o->epoch : -1LL,
				 (int)o->update_lock);
	if (rc == 0)
		rc = may_apply(src, o, r, lock.data, in->lock_blob[0] != 0, &in->patches, &h, err);
	if (rc == 0)
		rc = pl_sha256_buf(h.data, h.len, in->digest, err);
	if (rc < 0) {
		pl_err_wrap(err, "inputs of '%s'", name);
		pl_build_inputs_release(in);
	}
	pl_recipe_free(r);
	pl_buf_release(&path);
	pl_buf_release(&lock);
	pl_buf_release(&h);
	return rc;
}

int pl_build_may_apply(struct pl_source *src, const struct pl_build_opts *o, const char *name,
		       struct pl_oci_strv *ids, struct pl_err *err)
{
	struct pl_recipe *r = NULL;
	struct pl_buf lock = PL_BUF_INIT;
	char id[41] = "";
	int rc;

	rc = pl_source_load_recipe(src, name, &r, err);
	if (rc == 0)
		rc = pl_lock_path(name, &lock, err);
	if (rc == 0)
		rc = blob_id(src, lock.data, id, err);
	if (rc == 0)
		rc = may_apply(src, o, r, lock.data, id[0] != 0, ids, NULL, err);
	if (rc == 0 && !ids->v && !(ids->v = calloc(1, sizeof(*ids->v))))
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	pl_recipe_free(r);
	pl_buf_release(&lock);
	return rc;
}
