/*
 * Scanning images: the target (an OCI layout image, a root filesystem
 * directory, or inside plinth build the assembled tree) -> inventory ->
 * findings against the vulnerability database, the curation repo's ignore
 * file applied, and the policy gate.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/pipeline/internal.h"
#include "lib/scan.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"

#define IGNORE_FILE ".plinthignore.yaml"

void pl_scan_result_release(struct pl_scan_result *res)
{
	pl_inventory_free(res->inv);
	pl_report_free(res->report);
	free(res->name);
	memset(res, 0, sizeof(*res));
}

/* The repo's ignore file at the commit, or NULL when it has none. */
static int load_ignores(struct pl_source *src, struct pl_ignores **out, struct pl_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!src || !src->git)
		return 0;
	rc = pl_source_read(src, IGNORE_FILE, PL_RECIPE_MAX_BYTES, &data, &len, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		return 0;
	}
	if (rc == 0)
		rc = pl_ignores_parse(data, len, IGNORE_FILE, out, err);
	free(data);
	return rc;
}

int pl_scan_inventory(struct pl_source *src, const struct pl_scan_gate_opts *g,
		      const struct pl_inventory *inv, const char *target, const char *digest,
		      struct pl_report **out, struct pl_err *err)
{
	struct pl_scan_opts so = { 0 };
	struct pl_ignores *ig = NULL;
	struct pl_vulndb *db = NULL;
	int rc;

	*out = NULL;
	rc = pl_vulndb_open(&db, g->db_path, false, err);
	if (rc < 0)
		return pl_err_wrap(err, "vulnerability database '%s' (plinth vulndb update "
				   "or import makes it)", g->db_path);
	so.target = target;
	so.image_digest = digest;
	rc = pl_scan_run(inv, db, &so, out, err);
	if (rc == 0)
		rc = load_ignores(src, &ig, err);
	if (rc == 0 && ig)
		rc = pl_report_apply_ignores(*out, ig, g->today ? g->today : "9999-12-31", err);
	for (size_t i = 0; rc == 0 && *out && i < (*out)->nexpired; i++)
		pl_log_warn("%s: ignore entry for %s expired on %s; it no longer applies",
			    (*out)->expired[i].where, (*out)->expired[i].id,
			    (*out)->expired[i].expires);
	if (rc < 0) {
		pl_report_free(*out);
		*out = NULL;
	}
	pl_ignores_free(ig);
	pl_vulndb_close(db);
	return rc;
}

/* Read an image of an OCI layout into a tree (contents in a scratch cas). */
static int image_inventory(const struct pl_scan_target_opts *o, struct pl_inventory **inv,
			   char digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	struct pl_assemble_ctx ac = { 0 };
	struct pl_fstree *t = NULL;
	struct pl_cas *content = NULL;
	struct pl_buf dir = PL_BUF_INIT;
	struct pl_base base;
	int rc;

	memset(&base, 0, sizeof(base));
	rc = pl_buf_addf(&dir, err, "%s/content", o->src.cache_dir);
	if (rc == 0)
		rc = pl_mkdir_p(dir.data, 0755, err);
	if (rc == 0)
		rc = pl_cas_open(&content, dir.data, err);
	if (rc == 0) {
		pl_cas_set_sync(content, false);
		ac.content = content;
		ac.so = &o->src;
		rc = pl_fstree_new(&t, err);
	}
	if (rc == 0)
		rc = pl_base_import(&ac, o->target, o->arch ? o->arch : "amd64", NULL, NULL, false,
				    t, &base, err);
	if (rc == 0) {
		memcpy(digest, base.digest, PL_DIGEST_SIZE);
		rc = pl_scan_inventory_tree(t, content, inv, err);
	}
	pl_base_release(&base);
	pl_fstree_free(t);
	pl_cas_free(content);
	pl_buf_release(&dir);
	return rc;
}

int pl_scan_target(const struct pl_scan_target_opts *o, struct pl_scan_result *res,
		   struct pl_err *err)
{
	struct pl_scan_gate_opts g = o->gate;
	struct pl_source src;
	bool have_src = false;
	char *db = NULL;
	char digest[PL_DIGEST_SIZE] = "";
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&src, 0, sizeof(src));
	/* inside a curation repo, plinth.yaml gives the database and the ignores */
	if (pl_source_open(&src, &o->src, NULL, NULL) == 0)
		have_src = true;
	if (!strncmp(o->target, "rootfs:", 7)) {
		rc = pl_scan_inventory_dir(o->target + 7, &res->inv, err);
	} else {
		/* oci:DIR:REF, or a registry reference pulled by the base import */
		rc = image_inventory(o, &res->inv, digest, err);
	}
	if (rc < 0)
		goto out;
	res->name = strdup(o->target);
	if (!res->name) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(res->digest, digest, sizeof(res->digest));
	if (!o->want_report)
		goto out;
	if (!g.db_path) {
		struct pl_vuln_opts vo = { 0 };

		rc = pl_vuln_db_path(&vo, have_src ? &src : NULL, &db, err);
		if (rc < 0)
			goto out;
		g.db_path = db;
	}
	rc = pl_scan_inventory(have_src ? &src : NULL, &g, res->inv, o->target,
			       digest[0] ? digest : NULL, &res->report, err);
	if (rc == 0)
		res->gate_rc = pl_scan_gate(res->report, g.fail_on, g.ignore_unfixed,
					    &res->gate_err);
out:
	if (have_src)
		pl_source_release(&src);
	free(db);
	return rc;
}
