/*
 * plinth build: recipe -> layer trees -> deterministic layers -> config,
 * manifest (and index for several architectures) -> tags in an OCI layout.
 * The layout only gains tags once every blob of the image is stored.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/apt.h"
#include "lib/fetch.h"
#include "lib/layer.h"
#include "lib/patch.h"
#include "lib/scan.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/log.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ANN_RECIPE "dev.plinth.recipe"
#define ANN_PATCHES "dev.plinth.patches" /* the top layer is Plinth's patch layer */

struct build_ctx {
	const struct pl_build_opts *o;
	struct pl_source *src;
	struct pl_cas *content;
	struct pl_oci_layout *layout;
	struct pl_fetch *fetch; /* made when a recipe first needs packages */
	int64_t epoch;
	char created[32];
};

/* A layer assembled but not written yet. */
struct pending {
	struct pl_fstree *tree;
	char *created_by, *comment;
};

/* One platform's layers, in order, with their diff_ids and history. */
struct image_layers {
	struct pl_oci_desc *descs;
	struct pl_oci_strv diff_ids;
	struct pl_oci_history *history; /* of the layers Plinth wrote (from n_base on) */
	size_t n;
	struct pending *pend; /* assembled, not yet written (the gate comes first) */
	size_t npend;
	size_t n_base;                          /* layers that came from the base */
	const struct pl_oci_history *hist_base; /* the base's history, borrowed */
	size_t nhist_base;
};

static void image_layers_release(struct image_layers *il)
{
	for (size_t i = 0; i < il->npend; i++) {
		pl_fstree_free(il->pend[i].tree);
		free(il->pend[i].created_by);
		free(il->pend[i].comment);
	}
	free(il->pend);
	for (size_t i = 0; i < il->n; i++) {
		pl_oci_desc_release(&il->descs[i]);
		pl_oci_history_release(&il->history[i]);
	}
	free(il->descs);
	free(il->history);
	pl_oci_strv_release(&il->diff_ids);
	memset(il, 0, sizeof(*il));
}

static int dupstr(char **dst, const char *src, struct pl_err *err)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

/* Room for one more layer; its descriptor and history entry start zeroed. */
static int grow(struct image_layers *il, struct pl_err *err)
{
	struct pl_oci_desc *d = realloc(il->descs, (il->n + 1) * sizeof(*d));
	struct pl_oci_history *h;

	if (!d)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	il->descs = d;
	h = realloc(il->history, (il->n + 1) * sizeof(*h));
	if (!h)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	il->history = h;
	memset(&il->descs[il->n], 0, sizeof(*d));
	memset(&il->history[il->n], 0, sizeof(*h));
	il->n++;
	return 0;
}

static int add_layer(struct build_ctx *b, struct image_layers *il, const struct pl_fstree *t,
		     const char *created_by, const char *comment, struct pl_err *err)
{
	struct pl_layer_write_opts wo = { 0 };
	struct pl_layer_result res;
	struct pl_oci_desc *d;
	struct pl_oci_history *h;
	int rc;

	wo.comp = b->o->zstd || b->src->settings->compression == PL_SETTINGS_ZSTD ? PL_COMP_ZSTD
										   : PL_COMP_GZIP;
	wo.threads = b->o->threads;
	wo.epoch = b->epoch;
	rc = pl_layer_write(t, b->content, pl_oci_layout_cas(b->layout), &wo, &res, err);
	if (rc == 0)
		rc = grow(il, err);
	if (rc < 0)
		return rc;
	d = &il->descs[il->n - 1];
	h = &il->history[il->n - 1];
	memcpy(d->digest, res.digest, sizeof(d->digest));
	d->size = res.size;
	rc = dupstr(&d->media_type, res.media_type, err);
	if (rc == 0)
		rc = dupstr(&h->created, b->created, err);
	if (rc == 0)
		rc = dupstr(&h->created_by, created_by, err);
	if (rc == 0)
		rc = dupstr(&h->comment, comment, err);
	if (rc < 0)
		return rc;
	pl_log_debug("layer %s (%llu bytes): %s", res.digest, (unsigned long long)res.size,
		     created_by);
	return pl_oci_strv_push(&il->diff_ids, res.diff_id, err);
}

/*
 * The base's layers, diff_ids and history head the image's own. History
 * entries are kept whole (empty_layer ones included), as the base wrote them.
 */
static int add_base_layers(struct image_layers *il, const struct pl_base *base,
			   struct pl_err *err)
{
	const struct pl_oci_config *c = &base->config;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < base->manifest.n_layers; i++) {
		rc = grow(il, err);
		if (rc == 0)
			rc = pl_oci_desc_copy(&il->descs[il->n - 1], &base->manifest.layers[i], err);
		if (rc == 0)
			rc = pl_oci_strv_push(&il->diff_ids, c->diff_ids.v[i], err);
	}
	/* history may have more (empty_layer) entries than layers: keep them all */
	il->n_base = base->manifest.n_layers;
	il->nhist_base = c->n_history;
	il->hist_base = c->history;
	return rc;
}

static int ensure_fetch(struct build_ctx *b, struct pl_err *err)
{
	struct pl_fetch_opts fo = { 0 };

	if (b->fetch)
		return 0;
	fo.offline = b->o->offline;
	return pl_fetch_new(&b->fetch, b->content, &fo, err);
}

static void pkg_ctx(struct build_ctx *b, struct pl_pkg_ctx *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->src = b->src;
	pc->content = b->content;
	pc->fetch = b->fetch;
	pc->cache_dir = b->o->src.cache_dir;
	pc->offline = b->o->offline;
	pc->epoch = b->epoch;
}

/* Keep tree (taken over) to be written as a layer once the image passes the gate. */
static int queue_layer(struct image_layers *il, struct pl_fstree *tree, const char *created_by,
		       const char *comment, struct pl_err *err)
{
	struct pending *p = realloc(il->pend, (il->npend + 1) * sizeof(*p));

	if (!p) {
		pl_fstree_free(tree);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	il->pend = p;
	p = &il->pend[il->npend++];
	memset(p, 0, sizeof(*p));
	p->tree = tree;
	if (dupstr(&p->created_by, created_by, err) < 0 || dupstr(&p->comment, comment, err) < 0)
		return err->code;
	return 0;
}

/* Write the queued layers, in order. */
static int write_layers(struct build_ctx *b, struct image_layers *il, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < il->npend; i++)
		rc = add_layer(b, il, il->pend[i].tree, il->pend[i].created_by,
			       il->pend[i].comment, err);
	return rc;
}

/*
 * Install group g of the platform's packages onto work (a tree being built
 * up for one layer). Nothing to do when the group is empty.
 */
static int install_group(struct build_ctx *b, const struct pl_recipe *r,
			 const struct pl_apt_lock *lock, const size_t *group, size_t g,
			 struct pl_fstree *work, struct pl_err *err)
{
	struct pl_fstree *t = NULL;
	struct pl_pkg_ctx pc;
	bool any = false;
	int rc;

	for (size_t i = 0; lock && i < lock->npkgs; i++)
		any |= group[i] == g;
	if (!any)
		return 0;
	pkg_ctx(b, &pc);
	rc = pl_packages_layer(&pc, r, lock, group, g, work, &t, err);
	if (rc == 0)
		rc = pl_fstree_apply(work, t, err);
	pl_fstree_free(t);
	return rc;
}

/* Queue the difference merged -> work as a layer, then make merged equal work. */
static int commit_layer(struct build_ctx *b, struct image_layers *il, struct pl_fstree **merged,
			struct pl_fstree **work, const char *created_by, const char *comment,
			struct pl_err *err)
{
	struct pl_fstree *diff = NULL;
	int rc = pl_fstree_diff(*merged, *work, &diff, err);

	(void)b;
	if (rc == 0 && pl_fstree_count(diff) > 0) {
		rc = queue_layer(il, diff, created_by, comment, err);
		diff = NULL;
	}
	pl_fstree_free(diff);
	if (rc == 0) {
		pl_fstree_free(*merged);
		*merged = *work;
		*work = NULL;
	}
	return rc;
}

/*
 * Assemble the platform's filesystem: base, packages, recipe layers,
 * accounts. The layers are queued in il, the final tree left in *out.
 */
static int build_layers(struct build_ctx *b, const struct pl_recipe *r, const char *deb_arch,
			const char *arch, const char *variant, const struct pl_locks *locks,
			struct image_layers *il, struct pl_base *base, struct pl_fstree **out,
			struct pl_err *err)
{
	struct pl_assemble_ctx ac = { b->src, b->content, b->epoch, &b->o->src };
	const struct pl_apt_lock *lock = pl_locks_get(locks, deb_arch);
	struct pl_fstree *merged = NULL, *work = NULL, *t = NULL;
	struct pl_buf by = PL_BUF_INIT;
	size_t *group = NULL;
	int rc;

	rc = pl_fstree_new(&merged, err);
	if (rc == 0 && r->base && strcmp(r->base, "scratch") != 0) {
		rc = pl_base_import(&ac, r->base, arch, variant, pl_oci_layout_cas(b->layout),
				    true, merged, base, err);
		if (rc < 0)
			pl_err_wrap(err, PL_MARK_FMT, PL_MARK_ARGS(r->base_mark));
		if (rc == 0)
			rc = add_base_layers(il, base, err);
	}
	if (rc == 0 && lock) {
		group = calloc(lock->npkgs ? lock->npkgs : 1, sizeof(*group));
		rc = group ? pl_packages_groups(lock, r, group, err)
			   : pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	/* the recipe's own packages: a layer of their own, first */
	if (rc == 0 && r->packages.n) {
		rc = pl_fstree_clone(merged, &work, err);
		if (rc == 0)
			rc = install_group(b, r, lock, group, 0, work, err);
		if (rc == 0)
			rc = pl_buf_addf(&by, err, "plinth: %s packages", r->file);
		if (rc == 0)
			rc = commit_layer(b, il, &merged, &work, by.data, NULL, err);
	}
	/* each recipe layer: its packages, then its tarballs, directories, files, links */
	for (size_t i = 0; rc == 0 && i < r->nlayers; i++) {
		const struct pl_recipe_layer *l = &r->layers[i];

		rc = pl_fstree_clone(merged, &work, err);
		if (rc == 0)
			rc = install_group(b, r, lock, group, i + 1, work, err);
		if (rc == 0)
			rc = pl_assemble_layer(&ac, r, l, work, &t, err);
		if (rc == 0)
			rc = pl_fstree_apply(work, t, err);
		pl_fstree_free(t);
		t = NULL;
		pl_buf_reset(&by);
		if (rc == 0)
			rc = pl_buf_addf(&by, err, "plinth: %s layer %s", r->file,
					 l->name ? l->name : l->shorthand ? "(files)" : "(unnamed)");
		if (rc == 0)
			rc = commit_layer(b, il, &merged, &work, by.data, l->comment, err);
	}
	if (rc == 0)
		rc = pl_assemble_accounts(&ac, r, merged, &t, err);
	if (rc == 0 && t) {
		pl_buf_reset(&by);
		rc = pl_buf_addf(&by, err, "plinth: %s accounts", r->file);
		if (rc == 0)
			rc = pl_fstree_apply(merged, t, err);
		if (rc == 0)
			rc = queue_layer(il, t, by.data, NULL, err);
		t = NULL;
	}
	if (rc == 0) {
		*out = merged;
		merged = NULL;
	}
	free(group);
	pl_fstree_free(t);
	pl_fstree_free(work);
	pl_fstree_free(merged);
	pl_buf_release(&by);
	return rc;
}

static int map_from_recipe(struct pl_oci_map *m, const struct pl_recipe_map *rm,
			   struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < rm->n; i++)
		rc = pl_oci_map_set(m, rm->v[i].key, rm->v[i].value, err);
	return rc;
}

static int strv_from_recipe(struct pl_oci_strv *s, const struct pl_recipe_list *l,
			    struct pl_err *err)
{
	int rc = 0;

	if (!l->set)
		return 0;
	if (!s->v) {
		s->v = calloc(1, sizeof(char *));
		if (!s->v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < l->n; i++)
		rc = pl_oci_strv_push(s, l->v[i], err);
	return rc;
}

static int history_copy(struct pl_oci_history *dst, const struct pl_oci_history *src,
			struct pl_err *err)
{
	int rc = dupstr(&dst->created, src->created, err);

	if (rc == 0)
		rc = dupstr(&dst->created_by, src->created_by, err);
	if (rc == 0)
		rc = dupstr(&dst->author, src->author, err);
	if (rc == 0)
		rc = dupstr(&dst->comment, src->comment, err);
	dst->empty_layer = src->empty_layer;
	return rc;
}

static const char *recipe_env(const struct pl_recipe_map *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < env->n; i++)
		if (strlen(env->v[i].key) == klen && !strncmp(env->v[i].key, kv, klen))
			return env->v[i].value;
	return NULL;
}

/*
 * Env: the base's variables in its order, with the recipe's values where it
 * sets them, then the recipe's new ones (sorted by name). Like docker and
 * apko, an image without PATH gets the usual one.
 */
static int make_env(const struct pl_recipe_map *env, const struct pl_oci_strv *base,
		    struct pl_oci_strv *out, struct pl_err *err)
{
	struct pl_buf kv = PL_BUF_INIT;
	bool has_path = false;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < env->n; i++)
		has_path |= !strcmp(env->v[i].key, "PATH");
	for (size_t i = 0; rc == 0 && i < base->n; i++)
		has_path |= !strncmp(base->v[i], "PATH=", 5);
	if (!has_path)
		rc = pl_oci_strv_push(out, DEFAULT_PATH, err);
	for (size_t i = 0; rc == 0 && i < base->n; i++) {
		const char *v = recipe_env(env, base->v[i]);

		pl_buf_reset(&kv);
		if (v)
			rc = pl_buf_addf(&kv, err, "%.*s=%s", (int)strcspn(base->v[i], "="),
					 base->v[i], v);
		else
			rc = pl_buf_adds(&kv, base->v[i], err);
		if (rc == 0)
			rc = pl_oci_strv_push(out, kv.data, err);
	}
	for (size_t i = 0; rc == 0 && i < env->n; i++) {
		bool in_base = false;

		pl_buf_reset(&kv);
		rc = pl_buf_addf(&kv, err, "%s=", env->v[i].key);
		for (size_t k = 0; rc == 0 && k < base->n; k++)
			in_base |= !strncmp(base->v[k], kv.data, kv.len);
		if (rc == 0 && !in_base)
			rc = pl_buf_adds(&kv, env->v[i].value, err);
		if (rc == 0 && !in_base)
			rc = pl_oci_strv_push(out, kv.data, err);
	}
	pl_buf_release(&kv);
	return rc;
}

static int strv_copy(struct pl_oci_strv *dst, const struct pl_oci_strv *src, struct pl_err *err)
{
	int rc = 0;

	if (!src->v)
		return 0;
	if (!dst->v) {
		dst->v = calloc(1, sizeof(char *));
		if (!dst->v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < src->n; i++)
		rc = pl_oci_strv_push(dst, src->v[i], err);
	return rc;
}

static bool strv_has(const struct pl_oci_strv *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return true;
	return false;
}

/*
 * The image config: the recipe's settings over the base's (a recipe value
 * replaces the base's; ports and labels accumulate), the layers' diff_ids,
 * and the base's history followed by Plinth's own entries.
 */
static int make_config(struct build_ctx *b, const struct pl_recipe *r, const char *arch,
		       const char *variant, const struct image_layers *il,
		       const struct pl_oci_config *base, struct pl_oci_config *c,
		       struct pl_err *err)
{
	const struct pl_recipe_config *rc_ = &r->config;
	size_t nown = il->n - il->n_base;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	rc = dupstr(&c->architecture, arch, err);
	if (rc == 0)
		rc = dupstr(&c->variant, variant, err);
	if (rc == 0)
		rc = dupstr(&c->os, "linux", err);
	if (rc == 0)
		rc = dupstr(&c->created, b->created, err);
	if (rc == 0)
		rc = dupstr(&c->user, rc_->user ? rc_->user : base->user, err);
	if (rc == 0)
		rc = dupstr(&c->working_dir, rc_->workdir ? rc_->workdir : base->working_dir, err);
	if (rc == 0)
		rc = dupstr(&c->stop_signal, rc_->stop_signal ? rc_->stop_signal
							      : base->stop_signal, err);
	if (rc == 0)
		rc = make_env(&rc_->env, &base->env, &c->env, err);
	if (rc == 0)
		rc = rc_->entrypoint.set ? strv_from_recipe(&c->entrypoint, &rc_->entrypoint, err)
					 : strv_copy(&c->entrypoint, &base->entrypoint, err);
	if (rc == 0)
		rc = rc_->cmd.set ? strv_from_recipe(&c->cmd, &rc_->cmd, err)
				  : strv_copy(&c->cmd, &base->cmd, err);
	if (rc == 0)
		rc = rc_->volumes.set ? strv_from_recipe(&c->volumes, &rc_->volumes, err)
				      : strv_copy(&c->volumes, &base->volumes, err);
	if (rc == 0)
		rc = strv_copy(&c->exposed_ports, &base->exposed_ports, err);
	for (size_t i = 0; rc == 0 && i < rc_->nports; i++)
		if (!strv_has(&c->exposed_ports, rc_->ports[i].spec))
			rc = pl_oci_strv_push(&c->exposed_ports, rc_->ports[i].spec, err);
	for (size_t i = 0; rc == 0 && i < base->labels.n; i++)
		rc = pl_oci_map_set(&c->labels, base->labels.v[i].key, base->labels.v[i].value,
				    err);
	if (rc == 0)
		rc = map_from_recipe(&c->labels, &rc_->labels, err);
	for (size_t i = 0; rc == 0 && i < il->n; i++)
		rc = pl_oci_strv_push(&c->diff_ids, il->diff_ids.v[i], err);
	if (rc == 0 && il->nhist_base + nown) {
		c->history = calloc(il->nhist_base + nown, sizeof(*c->history));
		if (!c->history)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		c->n_history = il->nhist_base + nown;
		for (size_t i = 0; rc == 0 && i < il->nhist_base; i++)
			rc = history_copy(&c->history[i], &il->hist_base[i], err);
		for (size_t i = 0; rc == 0 && i < nown; i++)
			rc = history_copy(&c->history[il->nhist_base + i],
					  &il->history[il->n_base + i], err);
	}
	return rc;
}

/* The annotations every image of the build carries. */
static int annotate(struct build_ctx *b, const struct pl_recipe *r, struct pl_oci_map *m,
		    struct pl_err *err)
{
	int rc = map_from_recipe(m, &r->annotations, err);

	if (rc == 0 && !pl_oci_map_get(m, PL_ANN_SOURCE))
		rc = pl_oci_map_set(m, PL_ANN_SOURCE, pl_gitsrc_url(b->src->git), err);
	if (rc == 0)
		rc = pl_oci_map_set(m, PL_ANN_REVISION, b->src->commit.id, err);
	if (rc == 0)
		rc = pl_oci_map_set(m, PL_ANN_CREATED, b->created, err);
	if (rc == 0 && !pl_oci_map_get(m, "org.opencontainers.image.title"))
		rc = pl_oci_map_set(m, "org.opencontainers.image.title", r->name, err);
	if (rc == 0 && r->description && !pl_oci_map_get(m, "org.opencontainers.image.description"))
		rc = pl_oci_map_set(m, "org.opencontainers.image.description", r->description, err);
	if (rc == 0 && r->tags.n && !pl_oci_map_get(m, "org.opencontainers.image.version"))
		rc = pl_oci_map_set(m, "org.opencontainers.image.version", r->tags.v[0], err);
	if (rc == 0)
		rc = pl_oci_map_set(m, ANN_RECIPE, r->file, err);
	return rc;
}

static int put_json_doc(struct build_ctx *b, json_t *j, const char *mt, struct pl_oci_desc *d,
			struct pl_err *err)
{
	int rc = pl_oci_layout_put_json(b->layout, j, mt, d, err);

	json_decref(j);
	return rc;
}

/* The policy's own `ignore:` ids, applied like ignore-file entries without expiry. */
static int policy_ignores(struct pl_report *rep, const struct pl_recipe_policy *pol,
			  struct pl_err *err)
{
	struct pl_ignores ig;
	int rc;

	memset(&ig, 0, sizeof(ig));
	ig.file = pol->mark.file;
	ig.v = calloc(pol->ignore.n, sizeof(*ig.v));
	if (!ig.v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	ig.n = pol->ignore.n;
	for (size_t i = 0; i < ig.n; i++) {
		ig.v[i].mark = pol->ignore.marks[i];
		ig.v[i].id = pol->ignore.v[i];
		ig.v[i].reason = (char *)"listed in the policy's ignore";
	}
	rc = pl_report_apply_ignores(rep, &ig, "0000-01-01", err);
	free(ig.v);
	return rc;
}

/*
 * The gate: scan the assembled filesystem and refuse the image before any
 * layer is written when the policy is not met. An image without a package
 * database, or a build without a vulnerability database, is not scanned
 * (and says so).
 */
static int scan_counts(struct build_ctx *b, const struct pl_recipe *r,
		       const struct pl_scan_gate_opts *g, const struct pl_fstree *t,
		       struct pl_report **out, struct pl_err *err)
{
	struct pl_inventory *inv = NULL;
	int rc = pl_scan_inventory_tree(t, b->content, &inv, err);

	if (rc == 0)
		rc = pl_scan_inventory(b->src, g, inv, r->name, NULL, out, err);
	pl_inventory_free(inv);
	return rc;
}

/* The CVEs of p found before patching and gone after: what the patch closed. */
static int closed_by(const struct pl_patchdef *p, const struct pl_report *before,
		     const struct pl_report *after, json_t *out, struct pl_err *err)
{
	json_t *list = json_array();
	int rc = 0;

	for (size_t i = 0; rc == 0 && list && i < p->cves.n; i++) {
		bool was = false, is = false;

		for (size_t k = 0; k < before->n; k++)
			was |= !strcmp(before->v[k].cve, p->cves.v[i]);
		for (size_t k = 0; k < after->n; k++)
			is |= !strcmp(after->v[k].cve, p->cves.v[i]);
		if (was && !is)
			rc = pl_json_append_new(list, json_string(p->cves.v[i]), err);
	}
	if (rc == 0)
		return pl_json_set_new(out, p->id, list, err);
	json_decref(list);
	return rc;
}

static int scan_gate(struct build_ctx *b, const struct pl_recipe *r,
		     const struct pl_fstree *before, const struct pl_fstree *merged,
		     const struct pl_patched *pd, struct pl_built_image *img, struct pl_err *err)
{
	const struct pl_recipe_policy *pol =
	    r->policy.fail_on_set ? &r->policy : &b->src->settings->policy;
	struct pl_scan_gate_opts g = { 0 };
	struct pl_inventory *inv = NULL;
	struct pl_report *rep = NULL, *prev = NULL;
	struct pl_buf json = PL_BUF_INIT, closed = PL_BUF_INIT;
	struct stat st;
	int rc;

	g.db_path = b->o->db_path ? b->o->db_path : b->src->settings->vulndb.path;
	g.today = b->o->today;
	g.fail_on = (int)pl_sev_from_recipe(pol->fail_on);
	g.ignore_unfixed = !pol->fail_unfixed;
	rc = pl_scan_inventory_tree(merged, b->content, &inv, err);
	if (rc < 0)
		goto out;
	if (inv->kind != PL_INV_NONE) {
		/* the SBOM: the image's packages, for the build result and its attestations */
		struct pl_sbom_opts so = { 0 };

		so.name = r->name;
		so.created = b->epoch;
		so.tool = "plinth-" PL_VERSION;
		rc = pl_sbom_spdx(inv, &so, &json, err);
		if (rc < 0)
			goto out;
		free(img->sbom_json);
		img->sbom_json = pl_buf_detach(&json, NULL);
		/* and as CycloneDX, for the attestation cosign users ask for by that name */
		rc = pl_sbom_cyclonedx(inv, &so, &json, err);
		if (rc < 0)
			goto out;
		free(img->cdx_json);
		img->cdx_json = pl_buf_detach(&json, NULL);
	}
	if (inv->kind == PL_INV_NONE) {
		img->not_scanned = "no package database in the image";
		goto out;
	}
	if (stat(g.db_path, &st) < 0) {
		img->not_scanned = "no vulnerability database (plinth vulndb update)";
		pl_log_warn("%s: not scanned: no vulnerability database at '%s' (plinth vulndb "
			    "update makes it)", r->file, g.db_path);
		goto out;
	}
	rc = pl_scan_inventory(b->src, &g, inv, r->name, NULL, &rep, err);
	if (rc == 0 && pol->ignore.n)
		rc = policy_ignores(rep, pol, err);
	/* findings before the patches, and the CVEs each patch closed */
	if (rc == 0 && before)
		rc = scan_counts(b, r, &g, before, &prev, err);
	if (rc == 0 && before && pol->ignore.n)
		rc = policy_ignores(prev, pol, err);
	for (size_t i = 0; rc == 0 && prev && i < PL_SEV_COUNT && i < 7; i++)
		img->before_sev[i] += prev->by_sev[i];
	for (size_t i = 0; rc == 0 && prev && i < prev->n; i++)
		if (!prev->v[i].ignored && prev->v[i].state == PL_FSTATE_FIXED)
			img->before_fixable_sev[prev->v[i].sev]++;
	if (rc == 0 && prev && pd && pd->n) {
		json_t *cj = json_object();

		rc = cj ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < pd->n; i++)
			rc = closed_by(pd->v[i].p, prev, rep, cj, err);
		if (rc == 0)
			rc = pl_json_dump(cj, &closed, err);
		json_decref(cj);
		if (rc == 0) {
			free(img->patch_closed);
			img->patch_closed = pl_buf_detach(&closed, NULL);
		}
	}
	if (rc < 0)
		goto out;
	img->scanned = true;
	img->patched_scan = before != NULL;
	for (size_t i = 0; i < PL_SEV_COUNT && i < 7; i++)
		img->by_sev[i] += rep->by_sev[i];
	for (size_t i = 0; i < rep->n; i++)
		if (!rep->v[i].ignored && rep->v[i].state == PL_FSTATE_FIXED)
			img->fixable_sev[rep->v[i].sev]++;
	for (size_t i = 0; i < PL_FSTATE_COUNT && i < 4; i++)
		img->by_state[i] += rep->by_state[i];
	img->ignored += rep->ignored;
	memcpy(img->db_digest, rep->db_digest, sizeof(img->db_digest));
	rc = pl_report_json(rep, &json, err);
	if (rc == 0) {
		free(img->report_json);
		img->report_json = pl_buf_detach(&json, NULL);
	}
	if (rc == 0)
		rc = pl_scan_gate(rep, (enum pl_sev)g.fail_on, g.ignore_unfixed, err);
	if (rc == PL_EPOLICY) {
		img->gate_refused = true;
		pl_err_wrap(err, "policy (fail_on: %s%s)", pl_recipe_sev_name(pol->fail_on),
			    g.ignore_unfixed ? ", fixable findings only" : "");
	}
out:
	pl_buf_release(&json);
	pl_buf_release(&closed);
	pl_report_free(rep);
	pl_report_free(prev);
	pl_inventory_free(inv);
	return rc;
}

/*
 * Apply the matching central patches to the assembled image: one patch
 * layer on top (queued), its history entry, the ids for the annotation and
 * the record for the build result.
 */
static int patch_stage(struct build_ctx *b, const struct pl_recipe *r, const char *deb_arch,
		       const struct pl_patchset *ps, const struct pl_fstree *merged,
		       struct image_layers *il, struct pl_fstree **patched, struct pl_patched *pd,
		       struct pl_built_image *img, struct pl_err *err)
{
	struct pl_buf ids = PL_BUF_INIT, by = PL_BUF_INIT, rec = PL_BUF_INIT;
	struct pl_pkg_ctx pc;
	int rc = ensure_fetch(b, err);

	if (rc < 0)
		return rc;
	pkg_ctx(b, &pc);
	rc = pl_patch_tree(&pc, r, r->name, &r->config.labels, deb_arch, ps, merged, patched, pd,
			   err);
	if (rc < 0 || pd->n == 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < pd->n; i++)
		rc = pl_buf_addf(&ids, err, "%s%s", i ? "," : "", pd->v[i].p->id);
	if (rc == 0)
		rc = pl_buf_addf(&by, err, "plinth: patches %s", ids.data);
	if (rc == 0 && pl_fstree_count(pd->layer) > 0) {
		rc = queue_layer(il, pd->layer, by.data, NULL, err);
		pd->layer = NULL;
	}
	if (rc == 0)
		rc = pl_patch_record_dump(pd->v, pd->n, &rec, err);
	if (rc == 0) {
		free(img->patch_ids);
		free(img->patch_record);
		img->patch_ids = pl_buf_detach(&ids, NULL);
		img->patch_record = pl_buf_detach(&rec, NULL);
	}
	pl_buf_release(&ids);
	pl_buf_release(&by);
	pl_buf_release(&rec);
	return rc;
}

/* Build the recipe for one architecture: layers, config, manifest. */
static int build_platform(struct build_ctx *b, const struct pl_recipe *r, const char *deb_arch,
			  const struct pl_locks *locks, const struct pl_patchset *ps,
			  struct pl_oci_desc *out, struct pl_built_image *img, struct pl_err *err)
{
	struct image_layers layers;
	struct image_layers *il = &layers;
	struct pl_fstree *merged = NULL, *patched = NULL;
	struct pl_patched pd;
	struct pl_base base;
	struct pl_oci_config cfg;
	struct pl_oci_manifest man;
	const char *arch = NULL, *variant = NULL;
	json_t *j = NULL;
	int rc;

	memset(&layers, 0, sizeof(layers));
	memset(&base, 0, sizeof(base));
	memset(&pd, 0, sizeof(pd));
	memset(&cfg, 0, sizeof(cfg));
	memset(&man, 0, sizeof(man));
	memset(out, 0, sizeof(*out));
	if (pl_recipe_arch_oci(deb_arch, &arch, &variant) < 0)
		return pl_err_set(err, PL_EINVAL, PL_MARK_FMT ": unknown architecture '%s'",
				  PL_MARK_ARGS(r->architectures.mark), deb_arch);
	rc = build_layers(b, r, deb_arch, arch, variant, locks, il, &base, &merged, err);
	if (rc == 0 && ps->n)
		rc = patch_stage(b, r, deb_arch, ps, merged, il, &patched, &pd, img, err);
	if (rc == 0)
		rc = scan_gate(b, r, patched ? merged : NULL, patched ? patched : merged, &pd, img,
			       err);
	if (rc == 0)
		rc = write_layers(b, il, err);
	if (rc < 0)
		goto out;
	img->nlayers = il->n;
	rc = make_config(b, r, arch, variant, il, &base.config, &cfg, err);
	if (rc == 0)
		rc = pl_oci_config_to_json(&cfg, &j, err);
	if (rc == 0)
		rc = put_json_doc(b, j, PL_MT_OCI_CONFIG, &man.config, err);
	if (rc < 0)
		goto out;
	man.schema_version = 2;
	man.layers = il->n ? calloc(il->n, sizeof(*man.layers)) : NULL;
	if (il->n && !man.layers) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	man.n_layers = il->n;
	for (size_t i = 0; rc == 0 && i < il->n; i++)
		rc = pl_oci_desc_copy(&man.layers[i], &il->descs[i], err);
	/* plinth patch keeps the image's own annotations (title, source, ...) */
	for (size_t i = 0; rc == 0 && b->o->adhoc_recipe && i < base.manifest.annotations.n; i++) {
		const struct pl_oci_kv *kv = &base.manifest.annotations.v[i];

		if (strcmp(kv->key, ANN_PATCHES) && strcmp(kv->key, PL_ANN_REF_NAME))
			rc = pl_oci_map_set(&man.annotations, kv->key, kv->value, err);
	}
	if (rc == 0)
		rc = annotate(b, r, &man.annotations, err);
	if (rc == 0 && base.ref)
		rc = pl_oci_map_set(&man.annotations, PL_ANN_BASE_NAME, base.ref, err);
	if (rc == 0 && base.ref)
		rc = pl_oci_map_set(&man.annotations, PL_ANN_BASE_DIGEST, base.digest, err);
	if (rc == 0 && img->patch_ids)
		rc = pl_oci_map_set(&man.annotations, ANN_PATCHES, img->patch_ids, err);
	if (rc == 0)
		rc = pl_oci_manifest_to_json(&man, &j, err);
	if (rc == 0)
		rc = put_json_doc(b, j, PL_MT_OCI_MANIFEST, out, err);
	if (rc == 0) {
		out->platform = calloc(1, sizeof(*out->platform));
		if (!out->platform)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		else if (dupstr(&out->platform->architecture, arch, err) < 0 ||
			 dupstr(&out->platform->os, "linux", err) < 0 ||
			 dupstr(&out->platform->variant, variant, err) < 0)
			rc = err->code;
	}
out:
	pl_oci_config_release(&cfg);
	pl_oci_manifest_release(&man);
	image_layers_release(il);
	pl_base_release(&base);
	pl_fstree_free(merged);
	pl_fstree_free(patched);
	pl_patched_release(&pd);
	return rc;
}

static int platform_name(const struct pl_oci_desc *d, struct pl_oci_strv *v, struct pl_err *err)
{
	struct pl_buf s = PL_BUF_INIT;
	int rc = pl_buf_addf(&s, err, "%s/%s%s%s", d->platform->os, d->platform->architecture,
			     d->platform->variant ? "/" : "",
			     d->platform->variant ? d->platform->variant : "");

	if (rc == 0)
		rc = pl_oci_strv_push(v, s.data, err);
	pl_buf_release(&s);
	return rc;
}


static int build_recipe(struct build_ctx *b, const char *name, struct pl_built_image *img,
			struct pl_err *err)
{
	struct pl_recipe *r = NULL;
	struct pl_locks locks = { 0 };
	struct pl_patchset ps = { 0 };
	struct pl_oci_index ix;
	struct pl_buf ref = PL_BUF_INIT;
	json_t *j = NULL;
	int rc;

	memset(&ix, 0, sizeof(ix));
	if (b->o->adhoc_recipe)
		rc = pl_recipe_parse(b->o->adhoc_recipe, strlen(b->o->adhoc_recipe),
				     "(plinth patch)", &r, err);
	else
		rc = pl_source_load_recipe(b->src, name, &r, err);
	if (rc == 0 && pl_recipe_has_packages(r)) {
		struct pl_pkg_ctx pc;

		rc = ensure_fetch(b, err);
		pkg_ctx(b, &pc);
		if (rc == 0)
			rc = pl_packages_locks(&pc, r, b->o->update_lock, &locks, err);
	}
	if (rc == 0)
		rc = pl_patchset_load(b->src, r, b->o->patch_ids, b->o->npatch_ids, &ps, err);
	if (rc < 0)
		goto out;
	img->name = strdup(r->name);
	img->recipe_file = strdup(r->file);
	if (!img->name || !img->recipe_file) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	ix.schema_version = 2;
	ix.manifests = calloc(r->architectures.n, sizeof(*ix.manifests));
	if (!ix.manifests) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < r->architectures.n; i++) {
		rc = build_platform(b, r, r->architectures.v[i], &locks, &ps, &ix.manifests[i],
				    img, err);
		ix.n_manifests = i + 1;
		if (rc == 0)
			rc = platform_name(&ix.manifests[i], &img->platforms, err);
	}
	if (rc < 0)
		goto out;
	if (ix.n_manifests == 1) {
		/* one platform: tags point at the manifest itself */
		rc = pl_oci_desc_copy(&img->desc, &ix.manifests[0], err);
	} else {
		rc = annotate(b, r, &ix.annotations, err);
		if (rc == 0)
			rc = pl_oci_index_to_json(&ix, &j, err);
		if (rc == 0)
			rc = put_json_doc(b, j, PL_MT_OCI_INDEX, &img->desc, err);
	}
	for (size_t i = 0; rc == 0 && i < r->tags.n; i++) {
		pl_buf_reset(&ref);
		/* plinth patch names its output ref itself */
		if (b->o->out_ref)
			rc = pl_buf_adds(&ref, b->o->out_ref, err);
		else
			rc = pl_buf_addf(&ref, err, "%s:%s", r->name, r->tags.v[i]);
		if (rc == 0)
			rc = pl_oci_layout_tag(b->layout, ref.data, &img->desc, err);
		if (rc == 0)
			rc = pl_oci_strv_push(&img->refs, ref.data, err);
	}
out:
	if (rc < 0)
		pl_err_wrap(err, "recipe '%s'", name);
	pl_buf_release(&ref);
	pl_oci_index_release(&ix);
	pl_locks_release(&locks);
	pl_patchset_release(&ps);
	pl_recipe_free(r);
	return rc;
}

static int open_stores(struct build_ctx *b, const char *cache_dir, const char *out_dir,
		       struct pl_err *err)
{
	struct pl_buf p = PL_BUF_INIT;
	int rc = pl_buf_addf(&p, err, "%s/content", cache_dir);

	if (rc == 0)
		rc = pl_mkdir_p(p.data, 0755, err);
	if (rc == 0)
		rc = pl_cas_open(&b->content, p.data, err);
	if (rc == 0)
		pl_cas_set_sync(b->content, false);
	if (rc == 0)
		rc = pl_oci_layout_open(&b->layout, out_dir, true, err);
	pl_buf_release(&p);
	return rc;
}

static void close_stores(struct build_ctx *b)
{
	pl_fetch_free(b->fetch);
	b->fetch = NULL;
	pl_oci_layout_free(b->layout);
	pl_cas_free(b->content);
	b->layout = NULL;
	b->content = NULL;
}

static int build_all(struct build_ctx *b, const struct pl_oci_strv *names, const char *out_dir,
		     struct pl_build_result *res, struct pl_err *err)
{
	int rc = open_stores(b, b->o->src.cache_dir, out_dir, err);

	if (rc < 0)
		goto out;
	res->images = calloc(names->n ? names->n : 1, sizeof(*res->images));
	if (!res->images) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < names->n; i++) {
		res->n = i + 1;
		pl_log_info("building %s", names->v[i]);
		rc = build_recipe(b, names->v[i], &res->images[i], err);
	}
out:
	close_stores(b);
	return rc;
}

/* Build again into a scratch layout with a scratch content store; compare. */
static int check_reproducible(struct build_ctx *b, const struct pl_oci_strv *names,
			      struct pl_build_result *res, struct pl_err *err)
{
	struct pl_build_result again;
	struct pl_build_opts o2 = *b->o;
	struct build_ctx b2 = *b;
	struct pl_buf tmpl = PL_BUF_INIT, dir = PL_BUF_INIT;
	int rc;

	memset(&again, 0, sizeof(again));
	rc = pl_buf_addf(&tmpl, err, "%s/plinth-repro-XXXXXX",
			 b->o->tmp_dir ? b->o->tmp_dir : "/tmp");
	if (rc < 0)
		return rc;
	if (!mkdtemp(tmpl.data)) {
		rc = pl_err_errno(err, PL_EIO, "scratch directory for --check-reproducible");
		pl_buf_release(&tmpl);
		return rc;
	}
	o2.src.cache_dir = tmpl.data;
	b2.o = &o2;
	rc = pl_buf_addf(&dir, err, "%s/layout", tmpl.data);
	if (rc == 0)
		rc = build_all(&b2, names, dir.data, &again, err);
	if (rc < 0) {
		pl_err_wrap(err, "second build for --check-reproducible");
		goto out;
	}
	for (size_t i = 0; i < res->n; i++) {
		struct pl_built_image *img = &res->images[i];
		const struct pl_built_image *two = NULL;

		for (size_t k = 0; k < again.n; k++)
			if (img->name && again.images[k].name &&
			    !strcmp(img->name, again.images[k].name))
				two = &again.images[k];
		if (!two)
			continue;
		img->reproducible = !strcmp(img->desc.digest, two->desc.digest);
		if (!img->reproducible && rc == 0)
			rc = pl_err_set(err, PL_EVERIFY,
					"'%s' is not reproducible: first build %s, second build %s "
					"(kept in %s)",
					img->name, img->desc.digest, two->desc.digest, dir.data);
	}
out:
	pl_build_result_release(&again);
	if (rc == 0)
		pl_rm_rf(tmpl.data, NULL);
	pl_buf_release(&tmpl);
	pl_buf_release(&dir);
	return rc;
}

/* ---- jobs: what pipeline/fleet.c runs, one recipe at a time per job ---- */

int pl_build_job_open(const struct pl_build_opts *o, const char *out_dir,
		      struct pl_build_job **out, struct pl_err *err)
{
	struct build_ctx *b = calloc(1, sizeof(*b));
	struct pl_source *src = calloc(1, sizeof(*src));
	int rc;

	*out = NULL;
	if (!b || !src) {
		free(b);
		free(src);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	/* each job has its own repository handle and stores: libgit2 objects are per thread */
	rc = pl_source_open(src, &o->src, NULL, err);
	if (rc < 0) {
		free(src);
		free(b);
		return rc;
	}
	b->o = o;
	b->src = src;
	b->epoch = o->has_epoch ? o->epoch : src->commit.time;
	pl_oci_time(b->epoch, b->created);
	rc = open_stores(b, o->src.cache_dir, out_dir, err);
	if (rc < 0) {
		pl_build_job_free((struct pl_build_job *)b);
		return rc;
	}
	*out = (struct pl_build_job *)b;
	return 0;
}

int pl_build_job_recipe(struct pl_build_job *j, const char *name, struct pl_built_image *img,
			struct pl_err *err)
{
	return build_recipe((struct build_ctx *)j, name, img, err);
}

struct pl_source *pl_build_job_source(struct pl_build_job *j)
{
	return ((struct build_ctx *)j)->src;
}

struct pl_oci_layout *pl_build_job_layout(struct pl_build_job *j)
{
	return ((struct build_ctx *)j)->layout;
}

void pl_build_job_free(struct pl_build_job *j)
{
	struct build_ctx *b = (struct build_ctx *)j;

	if (!b)
		return;
	close_stores(b);
	if (b->src) {
		pl_source_release(b->src);
		free(b->src);
	}
	free(b);
}

int pl_build_check_reproducible(const struct pl_build_opts *o, const struct pl_oci_strv *names,
				struct pl_build_result *res, struct pl_err *err)
{
	struct pl_source src;
	struct build_ctx b;
	int rc;

	memset(&b, 0, sizeof(b));
	rc = pl_source_open(&src, &o->src, NULL, err);
	if (rc < 0)
		return rc;
	b.o = o;
	b.src = &src;
	b.epoch = o->has_epoch ? o->epoch : src.commit.time;
	pl_oci_time(b.epoch, b.created);
	rc = check_reproducible(&b, names, res, err);
	pl_source_release(&src);
	return rc;
}

void pl_build_result_release(struct pl_build_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		struct pl_built_image *img = &res->images[i];

		free(img->name);
		free(img->recipe_file);
		free(img->report_json);
		free(img->sbom_json);
		free(img->cdx_json);
		pl_oci_strv_release(&img->attestations);
		free(img->patch_ids);
		free(img->patch_record);
		free(img->patch_closed);
		free(img->message);
		pl_oci_desc_release(&img->desc);
		pl_oci_strv_release(&img->refs);
		pl_oci_strv_release(&img->platforms);
		pl_oci_strv_release(&img->published);
	}
	free(res->images);
	free(res->repo_url);
	free(res->out_dir);
	free(res->ledger);
	memset(res, 0, sizeof(*res));
}

static json_t *strv_json(const struct pl_oci_strv *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

/* {"applied": "PL-1,PL-2", "record": [...], "closed": {id: [CVE...]}, "findings_before": {...}} */
static json_t *patches_json(const struct pl_built_image *img)
{
	json_t *o = json_object(), *rec = NULL, *closed = json_object(), *before = json_object();
	const char *p = img->patch_closed;

	if (!o || !closed || !before) {
		json_decref(o);
		json_decref(closed);
		json_decref(before);
		return NULL;
	}
	json_object_set_new(o, "applied", json_string(img->patch_ids));
	if (img->patch_record &&
	    pl_json_load(img->patch_record, strlen(img->patch_record), "record", &rec, NULL) == 0)
		json_object_set_new(o, "record", rec);
	if (p) {
		json_decref(closed);
		if (pl_json_load(p, strlen(p), "closed", &closed, NULL) < 0)
			closed = json_object();
	}
	json_object_set_new(o, "closed", closed);
	if (img->patched_scan) {
		for (int i = 0; i < PL_SEV_COUNT; i++)
			json_object_set_new(before, pl_sev_name((enum pl_sev)i),
					    json_integer((json_int_t)img->before_sev[i]));
		json_object_set_new(o, "findings_before", before);
	} else {
		json_decref(before);
	}
	return o;
}

/* {"scanned", "why_not", "database", "severity": {...}, "state": {...}, "ignored", "report"} */
static json_t *scan_json(const struct pl_built_image *img)
{
	json_t *o = json_object(), *sev = json_object(), *st = json_object(), *rep = NULL;

	if (!o || !sev || !st) {
		json_decref(o);
		json_decref(sev);
		json_decref(st);
		return NULL;
	}
	json_object_set_new(o, "scanned", json_boolean(img->scanned));
	if (img->not_scanned)
		json_object_set_new(o, "why_not", json_string(img->not_scanned));
	for (int i = 0; i < PL_SEV_COUNT; i++)
		json_object_set_new(sev, pl_sev_name((enum pl_sev)i),
				    json_integer((json_int_t)img->by_sev[i]));
	for (int i = 0; i < PL_FSTATE_COUNT; i++)
		json_object_set_new(st, pl_fstate_name((enum pl_fstate)i),
				    json_integer((json_int_t)img->by_state[i]));
	json_object_set_new(o, "severity", sev);
	json_object_set_new(o, "state", st);
	json_object_set_new(o, "ignored", json_integer((json_int_t)img->ignored));
	if (img->scanned)
		json_object_set_new(o, "database", json_string(img->db_digest));
	if (img->report_json && pl_json_load(img->report_json, strlen(img->report_json),
					     "report", &rep, NULL) == 0)
		json_object_set_new(o, "report", rep);
	rep = NULL;
	if (img->sbom_json &&
	    pl_json_load(img->sbom_json, strlen(img->sbom_json), "sbom", &rep, NULL) == 0)
		json_object_set_new(o, "sbom", rep);
	return o;
}

int pl_build_result_json(const struct pl_build_result *res, json_t **out, struct pl_err *err)
{
	json_t *j = json_object(), *imgs = json_array();
	int rc = 0;

	*out = NULL;
	if (!j || !imgs) {
		json_decref(j);
		json_decref(imgs);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	rc = pl_json_set_str(j, "commit", res->commit, err);
	if (rc == 0)
		rc = pl_json_set_str(j, "repo", res->repo_url, err);
	if (rc == 0)
		rc = pl_json_set_new(j, "epoch", json_integer(res->epoch), err);
	if (rc == 0)
		rc = pl_json_set_str(j, "layout", res->out_dir, err);
	if (rc == 0 && res->ledger)
		rc = pl_json_set_str(j, "ledger", res->ledger, err);
	if (rc == 0)
		rc = pl_json_set_new(j, "images", imgs, err);
	else
		json_decref(imgs);
	for (size_t i = 0; rc == 0 && i < res->n; i++) {
		const struct pl_built_image *img = &res->images[i];
		json_t *o = json_object();

		rc = pl_json_append_new(imgs, o, err);
		if (rc == 0)
			rc = pl_json_set_str(o, "name", img->name ? img->name : "", err);
		if (rc == 0)
			rc = pl_json_set_str(o, "recipe", img->recipe_file ? img->recipe_file : "",
					     err);
		if (rc == 0)
			rc = pl_json_set_str(o, "outcome",
					     img->rc == 0 ? (img->unchanged ? "unchanged" : "built")
					     : img->gate_refused ? "gate-refused" : "error", err);
		if (rc == 0 && img->message)
			rc = pl_json_set_str(o, "message", img->message, err);
		if (rc == 0 && img->inputs[0])
			rc = pl_json_set_str(o, "inputs", img->inputs, err);
		if (rc == 0)
			rc = pl_json_set_str(o, "digest", img->desc.digest, err);
		if (rc == 0 && img->desc.media_type)
			rc = pl_json_set_str(o, "mediaType", img->desc.media_type, err);
		if (rc == 0)
			rc = pl_json_set_new(o, "size", json_integer((json_int_t)img->desc.size),
					     err);
		if (rc == 0)
			rc = pl_json_set_new(o, "refs", strv_json(&img->refs), err);
		if (rc == 0)
			rc = pl_json_set_new(o, "platforms", strv_json(&img->platforms), err);
		if (rc == 0)
			rc = pl_json_set_new(o, "layers", json_integer((json_int_t)img->nlayers),
					     err);
		if (rc == 0)
			rc = pl_json_set_new(o, "reproducible", json_boolean(img->reproducible),
					     err);
		if (rc == 0)
			rc = pl_json_set_new(o, "scan", scan_json(img), err);
		if (rc == 0 && img->patch_ids)
			rc = pl_json_set_new(o, "patches", patches_json(img), err);
		if (rc == 0 && img->published.n)
			rc = pl_json_set_new(o, "published", strv_json(&img->published), err);
		if (rc == 0 && img->published.n)
			rc = pl_json_set_new(o, "bytesSent", json_integer((json_int_t)img->bytes_sent),
					     err);
	}
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}
